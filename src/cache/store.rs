//! The byte store (filled in by the store work).

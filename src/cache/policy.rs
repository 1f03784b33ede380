//! Pure cache policy (filled in by the policy work).

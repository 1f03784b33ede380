//! Parsing of caching headers (filled in by the policy work).

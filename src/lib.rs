//! vxb: a miniature but complete VoiceXML voice browser.
//!
//! See `ARCHITECTURE.md` for the bird's-eye view and the code map. The user
//! guide — installing, the caller's input, scenarios, the JSON report and its
//! schema, the configuration, `vxb lint`, a CI recipe — is in the
//! repository's `docs/` (start at `docs/README.md`).

pub mod audio;
pub mod bench;
pub mod cache;
pub mod call;
pub mod cli;
pub mod clock;
pub mod config;
pub mod fetch;
pub mod grammar;
pub mod interp;
pub mod lint;
pub mod proxy;
pub mod resource;
pub mod script;
pub mod serve;
pub mod server;
pub mod simulate;
pub mod vxml;

//! Fleets on one machine: several vxb processes behind one shared HTTP
//! caching tier, the way a voice platform scales past one process.
//!
//! vxb does not grow a cache server of its own: the tier is Squid.
//! [`squid`] writes Squid's configuration for a vxb fleet (`vxb tier
//! squid`) and runs a private Squid from it (for `vxb bench --tier squid`,
//! `scripts/fleet.sh` and the tests). The browsers reach it through
//! `fetch.proxy`; what the tier decided comes back in each fetch record
//! (`fetch::tier`).

pub mod squid;

pub use squid::{Squid, SquidConfig, SquidError};

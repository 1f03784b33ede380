//! Fetching: the caching fetcher every call reads through, and the I/O layer
//! under it (HTTP exchanges, `file:` reads, URL resolution, cookie jars).
//!
//! - [`fetcher`]: [`Fetcher`] (one per process) and [`CallFetcher`] (one per
//!   call), [`FetchRequest`] in, [`Fetched`] out, a [`FetchRecord`] left
//!   behind; its docs describe the spec §3 flow, which `hop` carries out —
//!   cache lookup, revalidation, single flight, redirects, `file:` stamps,
//!   POST invalidation.
//! - [`parse`]: the parse hook, so parsed forms live in the cache and bad
//!   bodies never do.
//! - [`preload`]: `[preload]` documents and their roots and scripts.
//! - [`request`], [`record`]: a fetch asked for; a fetch reported.
//! - [`outcome`]: what one hop did with the cache, from which its decision,
//!   record, counter and proxy answer are derived.
//! - `singleflight`: one origin request for many waiting calls.
//! - [`status`]: `Cache-Status` (RFC 9211), written from an [`Outcome`] and
//!   read back from an upstream cache's response.
//!
//! The I/O layer caches nothing; it hands complete responses (or a
//! [`FetchError`]) to the fetcher:
//! - [`http`]: one shared client; one exchange per call, redirects surfaced,
//!   never followed; bodies complete or an error.
//! - [`file`](mod@file): `file:` URLs confined to `fetch.file_root`, read with a
//!   (modification time, size) stamp.
//! - [`location`]: URL parsing and resolution (`xml:base` included), the
//!   schemes fetched, and the http → `file:` refusal.
//! - [`tier`]: the proxy (shared caching tier) a request goes through.
//! - [`cookies`]: per-call or shared jars, with `cookies.remove`.
//! - [`error`]: [`FetchError`] and its VoiceXML event name.

pub mod cookies;
pub mod error;
pub mod fetcher;
pub mod file;
mod hop;
pub mod http;
pub mod location;
pub mod outcome;
pub mod parse;
pub mod preload;
pub mod record;
pub mod request;
mod singleflight;
pub mod status;
pub mod tier;

pub use cookies::{CookieJar, Cookies};
pub use error::FetchError;
pub use fetcher::{CallFetcher, CallLabel, Fetched, Fetcher, NotCached, Redirect};
pub use file::{ConfinedPath, FileBody, FileRoot, FileStamp};
pub use http::{HttpClient, HttpRequest, HttpResponse};
pub use location::{Scheme, check_access, effective_base, resolve};
pub use outcome::{Forward, Kept, Outcome};
pub use parse::{BodyParser, ParseFailure, ParsedBody};
pub use preload::PreloadOutcome;
pub use record::{Failure, FetchRecord, FetchResult};
pub use request::{FetchMethod, FetchRequest, Referrer};
pub use status::CacheStatus;

//! The I/O layer under the caching fetcher: HTTP exchanges, `file:` reads,
//! URL resolution and cookie jars. Nothing here caches; it hands complete
//! responses (or a [`FetchError`]) to the layer that does.
//!
//! - [`http`]: one shared client; one exchange per call, redirects surfaced,
//!   never followed; bodies complete or an error.
//! - [`file`]: `file:` URLs confined to `fetch.file_root`, read with a
//!   (modification time, size) stamp.
//! - [`location`]: URL parsing and resolution (`xml:base` included), the
//!   schemes fetched, and the http → `file:` refusal.
//! - [`cookies`]: per-call or shared jars, with `cookies.remove`.
//! - [`error`]: [`FetchError`] and its VoiceXML event name.

pub mod cookies;
pub mod error;
pub mod file;
pub mod http;
pub mod location;

pub use cookies::{CookieJar, Cookies};
pub use error::FetchError;
pub use file::{ConfinedPath, FileBody, FileRoot, FileStamp};
pub use http::{HttpClient, HttpRequest, HttpResponse};
pub use location::{Scheme, check_access, effective_base, resolve};

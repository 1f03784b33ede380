//! Answering one request from the served directory: path mapping and
//! confinement, Content-Type, validators, conditional requests, and the
//! rules' additions.
//!
//! Files are read on every request (no server-side caching), so a test that
//! rewrites a file sees the new content, ETag and Last-Modified at once.
//!
//! Conditional requests follow RFC 9110 §13.2.2, evaluated against the
//! validators the response would carry (after rules): If-None-Match first
//! (weak comparison), If-Modified-Since only when If-None-Match is absent.
//! They apply to GET and HEAD only. POST is answered like GET, without
//! conditionals, so `<submit method="post">` works against static samples.

use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{
    ALLOW, CONTENT_TYPE, DATE, ETAG, HeaderMap, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED,
};
use http::{Method, StatusCode};
use tokio::io::AsyncReadExt;

use super::rules::Effect;

/// A response before it is turned into hyper's type.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The Content-Type for a file name.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("vxml") => "application/voicexml+xml",
        Some("grxml") => "application/srgs+xml",
        Some("ssml") => "application/ssml+xml",
        Some("xml") => "application/xml",
        Some("wav") => "audio/wav",
        Some("mp3") => "audio/mpeg",
        Some("ogg" | "oga" | "opus") => "audio/ogg",
        // Sun .au is µ-law by tradition; its header says what it really holds.
        Some("au" | "snd" | "ul" | "ulaw" | "mu") => "audio/basic",
        Some("al" | "alaw") => "audio/x-alaw-basic",
        Some("js") => "text/javascript",
        Some("json") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("html" | "htm") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The strong ETag of a file version: size and modification time (to the
/// nanosecond), which change whenever the content is rewritten.
pub fn etag(len: u64, modified: SystemTime) -> String {
    let nanos = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("\"{len:x}-{nanos:x}\"")
}

/// Where a request path leads.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// Something inside the root (canonical); a directory or unreadable
    /// file is answered 404 when read.
    File(PathBuf),
    /// Nothing there.
    Missing,
    /// The path tried to leave the root (`..`, a symlink out).
    Escape,
    /// The path is not valid percent-encoded UTF-8.
    Malformed,
}

/// Maps a request path (still percent-encoded) below the canonical `root`.
pub(crate) async fn locate(root: &Path, raw_path: &str) -> Target {
    let Ok(decoded) = percent_encoding::percent_decode_str(raw_path).decode_utf8() else {
        return Target::Malformed;
    };
    if decoded.contains('\0') {
        return Target::Malformed;
    }
    let relative = Path::new(decoded.trim_start_matches('/'));
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Target::Escape;
    }
    match tokio::fs::canonicalize(root.join(relative)).await {
        Ok(p) if !p.starts_with(root) => Target::Escape,
        Ok(p) => Target::File(p),
        Err(_) => Target::Missing,
    }
}

/// The decoded path rules are matched against (the raw path if it does not
/// decode).
pub(crate) fn decoded_path(raw_path: &str) -> String {
    percent_encoding::percent_decode_str(raw_path)
        .decode_utf8_lossy()
        .into_owned()
}

/// Answers a request for `target`.
pub(crate) async fn answer(
    method: &Method,
    request: &HeaderMap,
    target: Target,
    effect: &Effect,
) -> Answer {
    if !matches!(*method, Method::GET | Method::HEAD | Method::POST) {
        let mut a = plain(StatusCode::METHOD_NOT_ALLOWED);
        a.headers
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
        return finish(a, effect);
    }
    let file = match target {
        Target::File(path) => read(&path).await,
        Target::Missing => None,
        Target::Escape => return finish(plain(StatusCode::FORBIDDEN), effect),
        Target::Malformed => return finish(plain(StatusCode::BAD_REQUEST), effect),
    };
    let Some((path, body, len, modified)) = file else {
        return finish(
            plain(effect.status.unwrap_or(StatusCode::NOT_FOUND)),
            effect,
        );
    };
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    if effect.etag
        && let Ok(v) = HeaderValue::from_str(&etag(len, modified))
    {
        headers.insert(ETAG, v);
    }
    if effect.last_modified
        && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(modified))
    {
        headers.insert(LAST_MODIFIED, v);
    }
    let mut a = finish(
        Answer {
            status: StatusCode::OK,
            headers,
            body,
        },
        effect,
    );
    if effect.status.is_none()
        && matches!(*method, Method::GET | Method::HEAD)
        && not_modified(request, &a.headers)
    {
        a.status = StatusCode::NOT_MODIFIED;
        a.headers.remove(CONTENT_TYPE);
        a.body = Bytes::new();
    }
    a
}

/// Reads a file fresh from disk: its path, content, size and mtime, the
/// metadata taken from the open file so that it describes what was read.
/// `None` for anything that is not a readable regular file.
async fn read(path: &Path) -> Option<(PathBuf, Bytes, u64, SystemTime)> {
    let mut file = tokio::fs::File::open(path).await.ok()?;
    let meta = file.metadata().await.ok()?;
    if !meta.is_file() {
        return None;
    }
    let modified = meta.modified().ok()?;
    let mut body = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut body).await.ok()?;
    Some((path.to_path_buf(), Bytes::from(body), meta.len(), modified))
}

/// A short text answer for an error status.
fn plain(status: StatusCode) -> Answer {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    let text = format!(
        "{} {}\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    Answer {
        status,
        headers,
        body: Bytes::from(text),
    }
}

/// Adds Date and the rules' headers and status.
fn finish(mut a: Answer, effect: &Effect) -> Answer {
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(SystemTime::now())) {
        a.headers.insert(DATE, v);
    }
    for (name, value) in &effect.headers {
        a.headers.insert(name.clone(), value.clone());
    }
    if let Some(status) = effect.status {
        a.status = status;
    }
    a
}

fn text(h: &HeaderMap, name: http::header::HeaderName) -> Option<&str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// RFC 9110 §13.2.2 steps 3 and 4 against the response's own validators.
pub(crate) fn not_modified(request: &HeaderMap, response: &HeaderMap) -> bool {
    if request.contains_key(IF_NONE_MATCH) {
        let Some(current) = text(response, ETAG) else {
            return false;
        };
        return request
            .get_all(IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|tag| tag == "*" || weak_eq(tag, current));
    }
    // The common unconditional request parses no date at all.
    let Some(since) =
        text(request, IF_MODIFIED_SINCE).and_then(|v| httpdate::parse_http_date(v).ok())
    else {
        return false;
    };
    let modified = text(response, LAST_MODIFIED).and_then(|v| httpdate::parse_http_date(v).ok());
    modified.is_some_and(|modified| modified <= since)
}

/// Weak comparison (RFC 9110 §8.8.3.2): equal opaque tags, `W/` ignored.
fn weak_eq(a: &str, b: &str) -> bool {
    a.trim_start_matches("W/") == b.trim_start_matches("W/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_str(v).expect("test header"));
        }
        h
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type(Path::new("a.vxml")),
            "application/voicexml+xml"
        );
        assert_eq!(content_type(Path::new("x/B.WAV")), "audio/wav");
        assert_eq!(content_type(Path::new("p.ul")), "audio/basic");
        assert_eq!(content_type(Path::new("p.au")), "audio/basic");
        assert_eq!(content_type(Path::new("p.alaw")), "audio/x-alaw-basic");
        assert_eq!(content_type(Path::new("p.ogg")), "audio/ogg");
        assert_eq!(content_type(Path::new("g.grxml")), "application/srgs+xml");
        assert_eq!(content_type(Path::new("s.js")), "text/javascript");
        assert_eq!(content_type(Path::new("d.json")), "application/json");
        assert_eq!(content_type(Path::new("d.xml")), "application/xml");
        assert_eq!(
            content_type(Path::new("t.txt")),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("i.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("noext")), "application/octet-stream");
    }

    #[test]
    fn etag_changes_with_size_and_time() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_704_067_200);
        let a = etag(10, t);
        assert!(a.starts_with('"') && a.ends_with('"'), "strong: {a}");
        assert_ne!(a, etag(11, t));
        assert_ne!(a, etag(10, t + std::time::Duration::from_nanos(1)));
        assert_eq!(a, etag(10, t));
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let resp = headers(&[
            ("etag", "\"1-2\""),
            ("last-modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ]);
        let later = "Tue, 02 Jan 2024 00:00:00 GMT";
        assert!(not_modified(
            &headers(&[("if-none-match", "\"1-2\"")]),
            &resp
        ));
        assert!(not_modified(
            &headers(&[("if-none-match", "\"x\", W/\"1-2\"")]),
            &resp
        ));
        assert!(not_modified(&headers(&[("if-none-match", "*")]), &resp));
        assert!(not_modified(
            &headers(&[("if-modified-since", later)]),
            &resp
        ));
        assert!(
            !not_modified(
                &headers(&[("if-none-match", "\"old\""), ("if-modified-since", later)]),
                &resp
            ),
            "a failing If-None-Match is not rescued by If-Modified-Since"
        );
        let earlier = "Sun, 31 Dec 2023 00:00:00 GMT";
        assert!(!not_modified(
            &headers(&[("if-modified-since", earlier)]),
            &resp
        ));
        assert!(!not_modified(
            &headers(&[("if-modified-since", "garbage")]),
            &resp
        ));
        assert!(!not_modified(&headers(&[]), &resp));
        // No validator on the response: nothing can match.
        assert!(!not_modified(
            &headers(&[("if-none-match", "\"1-2\"")]),
            &HeaderMap::new()
        ));
        assert!(!not_modified(
            &headers(&[("if-modified-since", later)]),
            &HeaderMap::new()
        ));
    }

    #[tokio::test]
    async fn locate_confines_to_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = std::fs::canonicalize(dir.path()).expect("canonical root");
        std::fs::create_dir(root.join("sub")).expect("mkdir");
        std::fs::write(root.join("sub/a b.vxml"), "x").expect("write");
        assert_eq!(
            locate(&root, "/sub/a%20b.vxml").await,
            Target::File(root.join("sub/a b.vxml"))
        );
        assert_eq!(locate(&root, "/sub/none.vxml").await, Target::Missing);
        // A directory is located, then answered 404 by `answer`.
        assert_eq!(locate(&root, "/sub").await, Target::File(root.join("sub")));
        assert_eq!(locate(&root, "/../x").await, Target::Escape);
        assert_eq!(locate(&root, "/sub/..%2F..%2Fx").await, Target::Escape);
        assert_eq!(locate(&root, "/%ff").await, Target::Malformed);
        assert_eq!(locate(&root, "/a%00b").await, Target::Malformed);
    }
}

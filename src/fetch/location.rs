//! Where a fetch goes: parsing and resolving URLs, the schemes vxb fetches,
//! and the rule that a document fetched over http(s) never reads a `file:` URL.
//!
//! Resolution is plain RFC 3986 (`Url::join`). The interpreter is the one that
//! knows a document's effective base (its URL, or an `xml:base` on the element
//! or an ancestor); [`effective_base`] turns one `xml:base` into that base.

use url::Url;

use super::error::FetchError;
use super::request::Referrer;

/// The schemes vxb fetches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    File,
}

impl Scheme {
    /// The scheme of `url`, or [`FetchError::UnsupportedScheme`].
    pub fn of(url: &Url) -> Result<Scheme, FetchError> {
        match url.scheme() {
            "http" => Ok(Scheme::Http),
            "https" => Ok(Scheme::Https),
            "file" => Ok(Scheme::File),
            other => Err(FetchError::UnsupportedScheme {
                url: url.to_string(),
                scheme: other.to_string(),
            }),
        }
    }

    /// Whether this is http or https.
    pub fn is_http(self) -> bool {
        matches!(self, Scheme::Http | Scheme::Https)
    }
}

/// Parses an absolute URL.
pub fn parse(url: &str) -> Result<Url, FetchError> {
    Url::parse(url).map_err(|e| FetchError::InvalidUrl {
        url: url.to_string(),
        cause: e.to_string(),
    })
}

/// Resolves `reference` (relative or absolute) against `base`, the effective
/// base URL of the referring element.
pub fn resolve(base: &Url, reference: &str) -> Result<Url, FetchError> {
    base.join(reference).map_err(|e| FetchError::InvalidUrl {
        url: reference.to_string(),
        cause: format!("{e} (resolving against {base})"),
    })
}

/// The base URL in force under an element carrying `xml:base` (XML Base
/// §4.2: the attribute is itself resolved against the base outside it).
/// Without the attribute the base stays `outer`.
pub fn effective_base(outer: &Url, xml_base: Option<&str>) -> Result<Url, FetchError> {
    match xml_base {
        Some(b) => resolve(outer, b),
        None => Ok(outer.clone()),
    }
}

/// Checks that a document fetched from `referrer` may fetch `target`, and
/// returns the target's scheme. A document that came over http(s) may not read
/// `file:` URLs: a remote application must never see the browser's disk.
pub fn check_access(referrer: &Referrer, target: &Url) -> Result<Scheme, FetchError> {
    let scheme = Scheme::of(target)?;
    if let Referrer::Document(referrer) = referrer
        && scheme == Scheme::File
        && Scheme::of(referrer).is_ok_and(Scheme::is_http)
    {
        return Err(FetchError::FileFromHttp {
            url: target.to_string(),
            referrer: referrer.to_string(),
        });
    }
    Ok(scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        parse(s).expect("test URL parses")
    }

    #[test]
    fn relative_references_resolve_against_the_base() {
        let base = url("http://127.0.0.1:8080/app/main.vxml");
        assert_eq!(
            resolve(&base, "next.vxml").map(String::from),
            Ok("http://127.0.0.1:8080/app/next.vxml".into())
        );
        assert_eq!(
            resolve(&base, "../audio/a.wav").map(String::from),
            Ok("http://127.0.0.1:8080/audio/a.wav".into())
        );
        assert_eq!(
            resolve(&base, "/root.vxml?x=1").map(String::from),
            Ok("http://127.0.0.1:8080/root.vxml?x=1".into())
        );
        assert_eq!(
            resolve(&base, "https://example.org/x").map(String::from),
            Ok("https://example.org/x".into())
        );
        let file = url("file:///srv/app/main.vxml");
        assert_eq!(
            resolve(&file, "grammars/yesno.grxml").map(String::from),
            Ok("file:///srv/app/grammars/yesno.grxml".into())
        );
    }

    #[test]
    fn xml_base_changes_the_base_and_is_itself_relative() {
        let doc = url("http://127.0.0.1:8080/app/main.vxml");
        let absolute = effective_base(&doc, Some("http://other.example/base/")).expect("base");
        assert_eq!(
            resolve(&absolute, "x.vxml").map(String::from),
            Ok("http://other.example/base/x.vxml".into())
        );
        let relative = effective_base(&doc, Some("sub/")).expect("base");
        assert_eq!(
            resolve(&relative, "x.vxml").map(String::from),
            Ok("http://127.0.0.1:8080/app/sub/x.vxml".into())
        );
        // Nested xml:base: the inner one resolves against the outer one.
        let nested = effective_base(&relative, Some("../deeper/")).expect("base");
        assert_eq!(
            resolve(&nested, "y.vxml").map(String::from),
            Ok("http://127.0.0.1:8080/app/deeper/y.vxml".into())
        );
        assert_eq!(effective_base(&doc, None), Ok(doc.clone()));
    }

    #[test]
    fn bad_references_are_errors() {
        let e = parse("not a url").expect_err("relative without base");
        assert!(matches!(e, FetchError::InvalidUrl { .. }), "{e:?}");
        assert_eq!(e.event(), "error.badfetch");
        let base = url("http://127.0.0.1:8080/a.vxml");
        let e = resolve(&base, "http://[::1").expect_err("bad host");
        assert!(e.to_string().contains("http://[::1"), "{e}");
    }

    #[test]
    fn only_http_https_and_file_are_fetched() {
        assert_eq!(Scheme::of(&url("http://h/")), Ok(Scheme::Http));
        assert_eq!(Scheme::of(&url("https://h/")), Ok(Scheme::Https));
        assert_eq!(Scheme::of(&url("file:///x")), Ok(Scheme::File));
        let e = Scheme::of(&url("ftp://h/x")).expect_err("ftp refused");
        assert!(e.to_string().contains("unsupported scheme `ftp`"), "{e}");
    }

    fn doc(url: &Url) -> Referrer {
        Referrer::Document(url.clone())
    }

    #[test]
    fn http_documents_cannot_read_file_urls() {
        let target = url("file:///etc/passwd");
        let e = check_access(&doc(&url("http://evil.example/a.vxml")), &target)
            .expect_err("http → file refused");
        assert!(matches!(e, FetchError::FileFromHttp { .. }), "{e:?}");
        assert!(e.to_string().contains("refused"), "{e}");
        assert!(check_access(&doc(&url("https://h/a.vxml")), &target).is_err());
        // A local document, or the start of a call, may.
        assert_eq!(
            check_access(&doc(&url("file:///srv/a.vxml")), &target),
            Ok(Scheme::File)
        );
        assert_eq!(check_access(&Referrer::User, &target), Ok(Scheme::File));
        // And a local document may fetch over http.
        assert_eq!(
            check_access(&doc(&url("file:///srv/a.vxml")), &url("http://h/b.vxml")),
            Ok(Scheme::Http)
        );
    }
}

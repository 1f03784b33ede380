//! Where a proxied request goes: the origin URL it maps to, and the resource
//! type whose cache budget it is kept in.

use http::Uri;
use url::Url;

use crate::resource::ResourceType;

/// The origin the proxy stands in front of: `http(s)://host[:port]`, with an
/// optional path prefix that every request path is appended to
/// (`--origin http://h/app` maps `/a.vxml` to `http://h/app/a.vxml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    /// The URL as given (normalised by the `url` crate): each request's URL
    /// is a copy with its path and query set, which parses neither scheme
    /// nor host again.
    url: Url,
    /// The path prefix without its trailing slash (`""` for none).
    prefix: String,
}

/// Why an origin URL is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("bad origin URL `{url}`: {problem}")]
pub struct BadOrigin {
    pub url: String,
    pub problem: String,
}

impl Upstream {
    /// Parses `--origin`: an absolute http or https URL with a host, and no
    /// query, fragment or credentials.
    pub fn parse(text: &str) -> Result<Upstream, BadOrigin> {
        let bad = |problem: &str| BadOrigin {
            url: text.to_string(),
            problem: problem.to_string(),
        };
        let url =
            Url::parse(text).map_err(|e| bad(&format!("{e} (write it as http://host:port)")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("a query or fragment has no place in an origin"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("credentials in the URL are not forwarded"));
        }
        let prefix = url.path().trim_end_matches('/').to_string();
        Ok(Upstream { url, prefix })
    }

    /// The URL as given.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The origin URL of a request's target: the prefix and the target's
    /// path and query (dot segments resolved as a URL parser does). `None`
    /// for a target with no path (`OPTIONS *`, a CONNECT authority).
    pub fn target(&self, uri: &Uri) -> Option<Url> {
        let pq = uri.path_and_query()?;
        let path = pq.path();
        if !path.starts_with('/') {
            return None;
        }
        let mut url = self.url.clone();
        if self.prefix.is_empty() {
            url.set_path(path);
        } else {
            url.set_path(&format!("{}{path}", self.prefix));
        }
        url.set_query(pq.query());
        Some(url)
    }
}

/// The resource type of a proxied request, by the extension of its URL path:
/// `.wav` (and other audio) → audio, `.js` → script, `.grxml` / `.gram` →
/// grammar, `.json` / `.xml` → data, anything else (`.vxml`, no extension)
/// → document.
///
/// A proxy request says nothing of what the resource is for, and the cache
/// key (type, URL) must be known before the response is: so the
/// Content-Type cannot decide. The extension puts the bulky audio in the
/// audio budget and keeps scripts, grammars and data out of the documents'.
/// Application roots (`context`) cannot be told from documents and share the
/// document budget.
pub fn resource_type(path: &str) -> ResourceType {
    ResourceType::by_extension(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResourceType::{Audio, Data, Document, Grammar, Script};

    fn uri(s: &str) -> Uri {
        s.parse().expect("test URI")
    }

    #[test]
    fn targets_join_the_prefix_and_the_path_and_query() {
        let up = Upstream::parse("http://127.0.0.1:8080").expect("valid origin");
        let t = |s: &str| up.target(&uri(s)).map(|u| u.to_string());
        assert_eq!(
            t("/a.vxml?x=1").as_deref(),
            Some("http://127.0.0.1:8080/a.vxml?x=1")
        );
        assert_eq!(t("/").as_deref(), Some("http://127.0.0.1:8080/"));
        // An absolute-form target (sent to a forward proxy) keeps only its path.
        assert_eq!(
            t("http://elsewhere.example/b?q").as_deref(),
            Some("http://127.0.0.1:8080/b?q")
        );
        assert_eq!(t("*"), None);
        assert_eq!(
            t("/a/../b/./c?").as_deref(),
            Some("http://127.0.0.1:8080/b/c?")
        );
        assert_eq!(t("/a%20b").as_deref(), Some("http://127.0.0.1:8080/a%20b"));
        let app = Upstream::parse("https://apps.example/voice/").expect("valid origin");
        assert_eq!(
            app.target(&uri("/a.vxml"))
                .map(|u| u.to_string())
                .as_deref(),
            Some("https://apps.example/voice/a.vxml")
        );
        assert_eq!(app.url().as_str(), "https://apps.example/voice/");
    }

    #[test]
    fn bad_origins_say_why() {
        for (text, problem) in [
            ("127.0.0.1:8080", "http://host:port"),
            ("localhost:8080", "http or https"),
            ("not a url", "relative URL"),
            ("ftp://h/", "http or https"),
            ("http://h/?q=1", "query"),
            ("http://h/#top", "fragment"),
            ("http://u:p@h/", "credentials"),
            ("file:///tmp", "http or https"),
        ] {
            let e = Upstream::parse(text).expect_err(text);
            assert!(e.to_string().contains(problem), "{text}: {e}");
            assert!(e.to_string().contains(text), "{e}");
        }
    }

    #[test]
    fn resource_type_follows_the_extension() {
        for (path, rtype) in [
            ("/app/start.vxml", Document),
            ("/", Document),
            ("/no-extension", Document),
            ("/dir.d/file", Document),
            ("/audio/hello.wav", Audio),
            ("/audio/HELLO.WAV", Audio),
            ("/lib/util.js", Script),
            ("/g/yesno.grxml", Grammar),
            ("/api/balance.json", Data),
            ("/api/balance.xml", Data),
        ] {
            assert_eq!(resource_type(path), rtype, "{path}");
        }
    }
}

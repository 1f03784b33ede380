//! Which headers cross the proxy: everything end to end, nothing hop by hop
//! (RFC 9110 §7.6.1), both ways.
//!
//! Hop-by-hop, and so dropped: `Connection` and every header it names,
//! `Keep-Alive`, `Proxy-Connection`, `TE`, `Transfer-Encoding`, `Upgrade`,
//! `Proxy-Authorization`, `Proxy-Authenticate`. Besides these, the framing
//! is the proxy's own on each side: `Content-Length` is dropped (the body
//! is complete in hand, and each side's HTTP stack writes its length), and
//! so are a request's `Host` (the origin's is set from its URL) and
//! `Expect` (the body has already been read).
//!
//! Added to a forwarded request: `Via: 1.1 vxb` (RFC 9110 §7.6.3) and the
//! client's address as `X-Forwarded-For`. Added to every response:
//! `Via: 1.1 vxb` after the origin's own `Via` lines, and `X-Cache` with the
//! decision in upper case (`HIT`, `MISS`…), as Squid and the CDNs write it.
//!
//! What a client says about where it came from — `X-Forwarded-For`,
//! `-Host`, `-Proto`, `-Port`, `-Server`, `Forwarded` — is dropped, not
//! passed on: the cache key does not hold those headers, so an origin that
//! reflects one (a link built from `X-Forwarded-Host`) would let one request
//! poison the stored response for every later client. The proxy speaks
//! only for itself: the address it accepted the connection from.

use http::header::{
    CONNECTION, CONTENT_LENGTH, EXPECT, HOST, HeaderMap, HeaderName, HeaderValue,
    PROXY_AUTHENTICATE, PROXY_AUTHORIZATION, TE, TRANSFER_ENCODING, UPGRADE, VIA,
};

use crate::cache::Decision;

const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
/// The client's address, as the origin sees it.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// The cache's decision on every response.
pub const X_CACHE: HeaderName = HeaderName::from_static("x-cache");
/// What a client claims about its path, never forwarded (see the module
/// docs).
static CLIENT_CLAIMS: [HeaderName; 6] = [
    X_FORWARDED_FOR,
    HeaderName::from_static("x-forwarded-host"),
    HeaderName::from_static("x-forwarded-proto"),
    HeaderName::from_static("x-forwarded-port"),
    HeaderName::from_static("x-forwarded-server"),
    HeaderName::from_static("forwarded"),
];
/// What the proxy adds to `Via`.
const VIA_VXB: HeaderValue = HeaderValue::from_static("1.1 vxb");

/// Dropped in both directions. A static, not a const: a const array of
/// `HeaderName`s would be built and dropped at every use.
static HOP_BY_HOP: [HeaderName; 8] = [
    CONNECTION,
    KEEP_ALIVE,
    PROXY_CONNECTION,
    TE,
    TRANSFER_ENCODING,
    UPGRADE,
    PROXY_AUTHORIZATION,
    PROXY_AUTHENTICATE,
];

/// The headers of a client's request to send to the origin: the end-to-end
/// ones but the client's claims about its path, then `Via` and
/// `X-Forwarded-For` (`client`, made once per connection).
pub fn request(from_client: &HeaderMap, client: &HeaderValue) -> HeaderMap {
    let mut out = end_to_end(from_client, &[HOST, EXPECT]);
    for claim in &CLIENT_CLAIMS {
        out.remove(claim);
    }
    out.append(VIA, VIA_VXB);
    out.append(X_FORWARDED_FOR, client.clone());
    out
}

/// The headers of an origin's (or the cache's) response to send to the
/// client: the end-to-end ones and `Via`, room left for `Age` and `X-Cache`.
pub fn response(from_origin: &HeaderMap) -> HeaderMap {
    let mut out = end_to_end(from_origin, &[]);
    out.append(VIA, VIA_VXB);
    out
}

/// The `Via` line the proxy adds, for the answers it makes itself.
pub fn via() -> (HeaderName, HeaderValue) {
    (VIA, VIA_VXB)
}

/// `X-Cache`'s value for `decision`: its name in upper case.
pub fn x_cache(decision: Decision) -> HeaderValue {
    HeaderValue::from_static(x_cache_name(decision))
}

/// The decision's name in upper case, as `X-Cache` and the log line say it.
pub fn x_cache_name(decision: Decision) -> &'static str {
    match decision {
        Decision::Miss => "MISS",
        Decision::Hit => "HIT",
        Decision::Revalidated => "REVALIDATED",
        Decision::Refreshed => "REFRESHED",
        Decision::Stale => "STALE",
        Decision::Bypass => "BYPASS",
    }
}

/// `headers` without the hop-by-hop ones, `Content-Length` and `also`.
fn end_to_end(headers: &HeaderMap, also: &[HeaderName]) -> HeaderMap {
    // Room for what the caller adds; no rehash on the way.
    let mut out = HeaderMap::with_capacity(headers.keys_len() + 2);
    let named = headers.contains_key(CONNECTION);
    for (name, value) in headers {
        let dropped = HOP_BY_HOP.contains(name)
            || *name == CONTENT_LENGTH
            || also.contains(name)
            || (named && connection_names(headers, name));
        if !dropped {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// Whether a `Connection` header of `headers` names `name`.
fn connection_names(headers: &HeaderMap, name: &HeaderName) -> bool {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case(name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_static(v));
        }
        h
    }

    fn names(h: &HeaderMap) -> Vec<&str> {
        let mut v: Vec<&str> = h.keys().map(HeaderName::as_str).collect();
        v.sort_unstable();
        v
    }

    #[test]
    fn hop_by_hop_and_connection_named_headers_are_dropped() {
        let from_client = map(&[
            ("host", "proxy:8081"),
            ("connection", "keep-alive, X-Foo"),
            ("connection", "x-bar"),
            ("x-foo", "1"),
            ("x-bar", "2"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "keep-alive"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("proxy-authorization", "Basic eA=="),
            ("content-length", "3"),
            ("expect", "100-continue"),
            ("accept", "text/plain"),
            ("cookie", "a=1"),
            ("cache-control", "max-age=0"),
            ("x-custom", "kept"),
        ]);
        let client = HeaderValue::from_static("10.0.0.1");
        let out = request(&from_client, &client);
        assert_eq!(
            names(&out),
            [
                "accept",
                "cache-control",
                "cookie",
                "via",
                "x-custom",
                "x-forwarded-for"
            ]
        );
        assert_eq!(out["via"], "1.1 vxb");
        assert_eq!(out["x-custom"], "kept");
    }

    #[test]
    fn via_is_appended_and_the_clients_forwarding_claims_replaced() {
        let from_client = map(&[
            ("via", "1.0 edge"),
            ("x-forwarded-for", "192.0.2.7"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
            ("x-forwarded-server", "edge"),
            ("forwarded", "for=192.0.2.7"),
        ]);
        let out = request(&from_client, &HeaderValue::from_static("10.0.0.1"));
        let via: Vec<_> = out.get_all(VIA).iter().collect();
        assert_eq!(via, ["1.0 edge", "1.1 vxb"]);
        let xff: Vec<_> = out.get_all(X_FORWARDED_FOR).iter().collect();
        assert_eq!(xff, ["10.0.0.1"]);
        assert_eq!(names(&out), ["via", "x-forwarded-for"]);
    }

    #[test]
    fn response_keeps_unknown_and_repeated_headers_in_order() {
        let from_origin = map(&[
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("x-powered-by", "tests"),
            ("keep-alive", "timeout=5"),
            ("connection", "close"),
            ("transfer-encoding", "chunked"),
            ("content-length", "12"),
            ("proxy-authenticate", "Basic"),
            ("etag", "\"1\""),
        ]);
        let out = response(&from_origin);
        assert_eq!(names(&out), ["etag", "set-cookie", "via", "x-powered-by"]);
        let cookies: Vec<_> = out.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1", "b=2"]);
    }

    #[test]
    fn a_response_says_it_came_through_vxb_after_the_origins_own_via() {
        let out = response(&map(&[("via", "1.1 origin-lb")]));
        let via: Vec<_> = out.get_all(VIA).iter().collect();
        assert_eq!(via, ["1.1 origin-lb", "1.1 vxb"]);
        assert_eq!(response(&HeaderMap::new())[VIA], "1.1 vxb");
    }

    #[test]
    fn x_cache_is_the_decision_in_upper_case() {
        for d in Decision::ALL {
            assert_eq!(x_cache(d), d.as_str().to_ascii_uppercase().as_str());
        }
    }

    #[test]
    fn connection_tokens_match_whatever_their_case_and_spacing() {
        let h = map(&[
            ("connection", " Keep-Alive ,X-Trace-Id"),
            ("x-trace-id", "7"),
        ]);
        assert!(connection_names(&h, &HeaderName::from_static("x-trace-id")));
        assert!(!connection_names(&h, &HeaderName::from_static("x-trace")));
        assert_eq!(names(&response(&h)), ["via"], "only the proxy's own Via");
    }
}

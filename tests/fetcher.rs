//! The caching fetcher end to end, against real servers on 127.0.0.1: vxb's
//! own origin (`vxb::serve`, whose request log counts what reached it) and
//! scripted raw TCP servers for the faults an honest origin never makes.
//!
//! Time: the cache runs on a `ManualClock` standing at 2024-01-01 while the
//! origin stamps `Date` with the real time. A `Date` later than the receipt
//! time gives an apparent age of zero (RFC 9111 §4.2.3: `max(0, …)`), so a
//! stored copy's age is exactly how far the test advanced the clock.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http::header::{HeaderValue, SET_COOKIE};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;
use vxb::cache::Decision;
use vxb::cache::policy::{self, NotStored};
use vxb::cache::store::Visibility;
use vxb::clock::{Clock, ManualClock};
use vxb::config::{Config, CookieScope, MaxAgeMode};
use vxb::fetch::{
    BodyParser, CallFetcher, FetchError, FetchRequest, Fetched, Fetcher, NotCached, ParseFailure,
    ParsedBody, Referrer,
};
use vxb::resource::ResourceType::{self, Audio, Context, Data, Document, Script};
use vxb::serve::Origin;

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::{origin, site, write};

// ------------------------------------------------------------ fixtures ----

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Rules giving every path `Cache-Control: max-age=60`.
const FRESH_60: &str =
    "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"max-age=60\" }\n";

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::at_epoch_2024())
}

fn fetcher_with(config: Config, clock: &Arc<ManualClock>) -> Arc<Fetcher> {
    let clock: Arc<dyn Clock> = clock.clone();
    Fetcher::new(Arc::new(config), clock, None).expect("fetcher builds")
}

fn fetcher(clock: &Arc<ManualClock>) -> Arc<Fetcher> {
    fetcher_with(Config::direct(), clock)
}

/// A site of `files` served with `rules`, and a fetcher on a manual clock.
async fn world(
    files: &[(&str, &str)],
    rules: &str,
    config: Config,
) -> (TempDir, Origin, Arc<ManualClock>, Arc<Fetcher>) {
    let dir = site(files);
    let o = origin(dir.path(), rules).await;
    let clock = clock();
    let f = fetcher_with(config, &clock);
    (dir, o, clock, f)
}

/// A rule giving `path` the response header `Cache-Control: value`.
fn cache_control(path: &str, value: &str) -> String {
    format!("[[rule]]\npath = \"{path}\"\nheaders = {{ \"Cache-Control\" = \"{value}\" }}\n")
}

fn url(o: &Origin, path: &str) -> Url {
    o.base_url().join(path).expect("test path")
}

async fn get(call: &CallFetcher, url: &Url, rtype: ResourceType) -> Fetched {
    call.fetch(&FetchRequest::get(url.clone(), rtype, Referrer::User), None)
        .await
        .unwrap_or_else(|e| panic!("fetch {url}: {e}"))
}

async fn get_parsed(call: &CallFetcher, url: &Url, parser: &LineParser) -> Fetched {
    call.fetch(
        &FetchRequest::get(url.clone(), Document, Referrer::User),
        Some(parser),
    )
    .await
    .unwrap_or_else(|e| panic!("fetch {url}: {e}"))
}

fn stored_urls(f: &Fetcher) -> Vec<String> {
    f.store()
        .entries()
        .iter()
        .map(|e| e.entry.url.to_string())
        .collect()
}

/// A small real parser for a line format standing in for VoiceXML:
///
/// ```text
/// meta Cache-Control: max-age=60     <meta http-equiv="Cache-Control" content="max-age=60"/>
/// context root.txt                   <vxml application="root.txt">
/// script s.js                        <script src="s.js"/>
/// audio 1.wav                        <audio src="1.wav"/>
/// bad …                              a syntax error on this line
/// anything else                      content
/// ```
///
/// It counts its calls, so a test can tell a cached parsed form from a re-parse.
#[derive(Default)]
struct LineParser {
    calls: AtomicUsize,
}

/// What [`LineParser`] makes of a body: its content lines.
#[derive(Debug, PartialEq)]
struct Lines(Vec<String>);

impl LineParser {
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl BodyParser for LineParser {
    fn parse(&self, url: &Url, body: &Bytes) -> Result<ParsedBody, ParseFailure> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let text = std::str::from_utf8(body).map_err(|e| ParseFailure::new(e.to_string()))?;
        let mut out = ParsedBody::new(());
        let mut content = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
            let reference = |t: ResourceType| -> Result<(ResourceType, String), ParseFailure> {
                let u = url.join(rest.trim()).map_err(|e| {
                    ParseFailure::new(format!("bad reference `{rest}`: {e}")).at_line(lineno)
                })?;
                Ok((t, u.to_string()))
            };
            match word {
                "meta" => {
                    let (name, value) = rest.split_once(':').ok_or_else(|| {
                        ParseFailure::new("meta needs `name: value`").at_line(lineno)
                    })?;
                    out.http_equiv
                        .push((name.trim().to_string(), value.trim().to_string()));
                }
                "context" => out.references.push(reference(Context)?),
                "script" => out.references.push(reference(Script)?),
                "audio" => out.references.push(reference(Audio)?),
                "bad" => {
                    return Err(ParseFailure::new(format!("syntax error: {rest}")).at_line(lineno));
                }
                _ => content.push(line.to_string()),
            }
        }
        out.parsed = Arc::new(Lines(content));
        Ok(out)
    }
}

/// What a scripted server does with one connection.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes and closes.
    Send(&'static [u8]),
    /// Writes these bytes, lets the client read them, then resets.
    Reset(&'static [u8]),
}

/// A raw HTTP server answering each connection with the next scripted reply
/// (the last one repeats), recording every request head.
struct Scripted {
    base: Url,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    async fn start(replies: Vec<Reply>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&heads);
        tokio::spawn(async move {
            let mut n = 0;
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let reply = replies[n.min(replies.len() - 1)].clone();
                n += 1;
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => head.extend_from_slice(&buf[..k]),
                    }
                }
                seen.lock()
                    .expect("heads lock")
                    .push(String::from_utf8_lossy(&head).to_lowercase());
                match reply {
                    Reply::Send(bytes) => {
                        let _ = stream.write_all(bytes).await;
                        let _ = stream.shutdown().await;
                    }
                    Reply::Reset(bytes) => {
                        let _ = stream.write_all(bytes).await;
                        let _ = stream.flush().await;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        let _ = stream.set_zero_linger();
                    }
                }
            }
        });
        Scripted {
            base: Url::parse(&format!("http://{addr}/x.txt")).expect("url"),
            heads,
        }
    }

    fn requests(&self) -> usize {
        self.heads.lock().expect("heads lock").len()
    }

    fn head(&self, i: usize) -> String {
        self.heads.lock().expect("heads lock")[i].clone()
    }
}

const OK_FRESH_10: &[u8] = b"HTTP/1.1 200 OK\r\nCache-Control: max-age=10\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
const OK_FRESH_60: &[u8] = b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
const SERVER_ERROR: &[u8] =
    b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\noops";

// ------------------------------------------------ decisions of spec §3 ----

#[tokio::test]
async fn a_first_fetch_is_a_miss_and_the_next_a_hit_with_the_parsed_form_kept() {
    let (_dir, o, clock, f) = world(&[("a.txt", "hello\nworld")], FRESH_60, Config::direct()).await;
    let parser = LineParser::default();
    let call = f.call();
    let u = url(&o, "/a.txt");

    let first = get_parsed(&call, &u, &parser).await;
    assert_eq!(first.decision(), Decision::Miss);
    assert_eq!(first.status(), 200);
    assert_eq!(&first.body()[..], b"hello\nworld");
    assert_eq!(first.final_url, u);
    assert!(first.not_cached().is_none());

    clock.advance(secs(59));
    let second = get_parsed(&call, &u, &parser).await;
    assert_eq!(second.decision(), Decision::Hit);
    assert!(
        Arc::ptr_eq(&first.entry, &second.entry),
        "a hit is the stored entry itself"
    );
    assert_eq!(
        second.parsed_as::<Lines>().as_deref(),
        Some(&Lines(vec!["hello".into(), "world".into()]))
    );
    assert_eq!(parser.calls(), 1, "a hit never parses again");
    assert_eq!(o.log().requests("/a.txt"), 1);

    let stats = f.store().stats()[Document];
    assert_eq!(
        (stats.count(Decision::Miss), stats.count(Decision::Hit)),
        (1, 1)
    );
    assert_eq!(stats.entries, 1);
}

#[tokio::test]
async fn a_stale_entry_is_revalidated_with_both_validators_and_its_age_reset() {
    let (_dir, o, clock, f) = world(
        &[("a.txt", "v1")],
        &cache_control("/a.txt", "max-age=10"),
        Config::direct(),
    )
    .await;
    let parser = LineParser::default();
    let call = f.call();
    let u = url(&o, "/a.txt");

    let first = get_parsed(&call, &u, &parser).await;
    assert_eq!(first.decision(), Decision::Miss);
    clock.advance(secs(15));
    let second = get_parsed(&call, &u, &parser).await;
    assert_eq!(second.decision(), Decision::Revalidated);
    assert_eq!(&second.body()[..], b"v1");
    assert_eq!(parser.calls(), 1, "a 304 keeps the parsed form");

    let log = o.log().for_path("/a.txt");
    assert_eq!(log.len(), 2);
    let etag = first
        .headers()
        .get("etag")
        .expect("etag")
        .to_str()
        .expect("ascii");
    let lm = first
        .headers()
        .get("last-modified")
        .expect("last-modified")
        .to_str()
        .expect("ascii");
    assert_eq!(log[1].if_none_match.as_deref(), Some(etag));
    assert_eq!(log[1].if_modified_since.as_deref(), Some(lm));
    assert_eq!(log[1].status.as_u16(), 304);

    // The 304 reset the age: fresh for another 10 s.
    clock.advance(secs(9));
    assert_eq!(get(&call, &u, Document).await.decision(), Decision::Hit);
    assert_eq!(o.log().requests("/a.txt"), 2);
    assert_eq!(f.store().stats()[Document].count(Decision::Revalidated), 1);
}

#[tokio::test]
async fn a_file_changed_on_the_origin_is_refreshed() {
    let (dir, o, clock, f) = world(
        &[("a.txt", "old")],
        &cache_control("/a.txt", "max-age=10"),
        Config::direct(),
    )
    .await;
    let parser = LineParser::default();
    let call = f.call();
    let u = url(&o, "/a.txt");

    assert_eq!(
        get_parsed(&call, &u, &parser).await.decision(),
        Decision::Miss
    );
    write(dir.path(), "a.txt", "brand new");
    clock.advance(secs(15));
    let refreshed = get_parsed(&call, &u, &parser).await;
    assert_eq!(refreshed.decision(), Decision::Refreshed);
    assert_eq!(&refreshed.body()[..], b"brand new");
    assert_eq!(
        refreshed.parsed_as::<Lines>().as_deref(),
        Some(&Lines(vec!["brand new".into()]))
    );
    assert_eq!(o.log().statuses("/a.txt"), [200, 200]);
    assert_eq!(o.log().conditional("/a.txt"), 1);
    // The new body replaced the old one.
    assert_eq!(
        get(&call, &u, Document).await.body(),
        &Bytes::from("brand new")
    );
    assert_eq!(f.store().stats()[Document].entries, 1);
}

#[tokio::test]
async fn maxstale_serves_a_stale_copy_without_asking_the_origin() {
    let (_dir, o, clock, f) = world(
        &[("a.wav", "RIFF")],
        &cache_control("/a.wav", "max-age=10"),
        Config::direct(),
    )
    .await;
    let call = f.call();
    let u = url(&o, "/a.wav");
    get(&call, &u, Audio).await;
    clock.advance(secs(15));

    let req = FetchRequest::get(u.clone(), Audio, Referrer::User).max_stale(secs(10));
    let stale = call.fetch(&req, None).await.expect("stale");
    assert_eq!(stale.decision(), Decision::Stale);
    assert_eq!(o.log().requests("/a.wav"), 1, "served without asking");

    // Stale by 5 s, and this request accepts only 2: revalidate.
    let req = FetchRequest::get(u.clone(), Audio, Referrer::User).max_stale(secs(2));
    let r = call.fetch(&req, None).await.expect("revalidated");
    assert_eq!(r.decision(), Decision::Revalidated);
    assert_eq!(o.log().requests("/a.wav"), 2);
    assert_eq!(f.store().stats()[Audio].count(Decision::Stale), 1);
}

#[tokio::test]
async fn stale_if_error_serves_a_stale_copy_while_the_origin_is_down() {
    let rules = "[[rule]]\npath = \"/a.txt\"\nheaders = { \"Cache-Control\" = \"max-age=10\" }\n";
    let mut config = Config::direct();
    config.cache.stale_if_error = secs(60);
    let (_dir, o, clock, f) = world(&[("a.txt", "kept")], rules, config).await;
    let call = f.call();
    let u = url(&o, "/a.txt");
    get(&call, &u, Document).await;
    o.shutdown().await;

    clock.advance(secs(15));
    let stale = get(&call, &u, Document).await;
    assert_eq!(stale.decision(), Decision::Stale);
    assert_eq!(&stale.body()[..], b"kept");

    // 80 s past expiry is beyond stale_if_error: the failure shows.
    clock.advance(secs(75));
    let e = call
        .fetch(
            &FetchRequest::get(u.clone(), Document, Referrer::User),
            None,
        )
        .await
        .expect_err("origin down, copy too stale");
    assert!(
        matches!(e, FetchError::Connect { .. } | FetchError::Broken { .. }),
        "{e:?}"
    );
    assert_eq!(e.event(), "error.badfetch");
    assert_eq!(
        stored_urls(&f),
        [u.to_string()],
        "the failure removed nothing"
    );
}

#[tokio::test]
async fn stale_if_error_covers_a_500_and_without_it_the_500_is_the_answer() {
    let server = Scripted::start(vec![Reply::Send(OK_FRESH_10), Reply::Send(SERVER_ERROR)]).await;
    let clock = clock();
    let mut config = Config::direct();
    config.cache.stale_if_error = secs(60);
    let f = fetcher_with(config, &clock);
    let call = f.call();
    assert_eq!(
        get(&call, &server.base, Data).await.decision(),
        Decision::Miss
    );
    clock.advance(secs(15));
    let stale = get(&call, &server.base, Data).await;
    assert_eq!(stale.decision(), Decision::Stale);
    assert_eq!(&stale.body()[..], b"hello");
    assert_eq!(server.requests(), 2, "the origin was asked, and failed");

    // Without stale_if_error the 500 comes through: an error for VoiceXML…
    let server = Scripted::start(vec![Reply::Send(OK_FRESH_10), Reply::Send(SERVER_ERROR)]).await;
    let f = fetcher(&clock);
    let call = f.call();
    get(&call, &server.base, Data).await;
    clock.advance(secs(15));
    let req = FetchRequest::get(server.base.clone(), Data, Referrer::User);
    let e = call.fetch(&req, None).await.expect_err("500");
    assert_eq!(e.event(), "error.badfetch.http.500");
    // …and a response for the proxy, not stored over the good copy.
    let r = call
        .fetch_response(&req, None)
        .await
        .expect("a 500 response");
    assert_eq!(r.status(), 500);
    assert_eq!(r.decision(), Decision::Bypass);
    assert_eq!(
        r.not_cached(),
        Some(&NotCached::Policy(NotStored::Status(
            StatusCode::INTERNAL_SERVER_ERROR
        ))),
        "an error without explicit freshness is not stored"
    );
    let held = f.store().entries();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].entry.response.status, 200);
}

#[tokio::test]
async fn no_store_is_a_bypass_every_time() {
    let (_dir, o, _clock, f) = world(
        &[("a.txt", "x")],
        &cache_control("/a.txt", "no-store"),
        Config::direct(),
    )
    .await;
    let call = f.call();
    let u = url(&o, "/a.txt");
    for _ in 0..2 {
        let r = get(&call, &u, Document).await;
        assert_eq!(r.decision(), Decision::Bypass);
        assert_eq!(r.not_cached(), Some(&NotCached::Policy(NotStored::NoStore)));
        assert_eq!(&r.body()[..], b"x");
    }
    assert_eq!(o.log().requests("/a.txt"), 2);
    assert!(f.store().entries().is_empty());
    assert_eq!(f.store().stats()[Document].count(Decision::Bypass), 2);
}

#[tokio::test]
async fn a_body_past_max_body_bytes_fails_and_nothing_is_stored() {
    let mut config = Config::direct();
    config.fetch.max_body_bytes = 8;
    let big = "0123456789abcdef";
    let (_dir, o, _clock, f) =
        world(&[("big.wav", big), ("small.wav", "tiny")], FRESH_60, config).await;
    let call = f.call();
    let e = call
        .fetch(
            &FetchRequest::get(url(&o, "/big.wav"), Audio, Referrer::User),
            None,
        )
        .await
        .expect_err("over the limit");
    assert!(matches!(e, FetchError::TooLarge { limit: 8, .. }), "{e:?}");
    assert_eq!(e.event(), "error.badfetch");
    // Nothing of it was kept, and the call's record says why.
    assert!(f.store().entries().is_empty());
    let records = call.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].event(), Some("error.badfetch"));
    assert_eq!(records[0].decision(), None);
    // A body within the limit is fetched and stored as ever.
    let r = get(&call, &url(&o, "/small.wav"), Audio).await;
    assert_eq!(&r.body()[..], b"tiny");
    assert_eq!(f.store().entries().len(), 1);
}

#[tokio::test]
async fn a_response_without_freshness_information_is_a_bypass() {
    let rules = "[[rule]]\npath = \"/a.txt\"\netag = false\nlast_modified = false\n";
    let (_dir, o, _clock, f) = world(&[("a.txt", "x")], rules, Config::direct()).await;
    let call = f.call();
    let r = get(&call, &url(&o, "/a.txt"), Document).await;
    assert_eq!(r.decision(), Decision::Bypass);
    assert_eq!(
        r.not_cached(),
        Some(&NotCached::Policy(NotStored::NoFreshnessInformation))
    );
    assert!(f.store().entries().is_empty());
}

#[tokio::test]
async fn a_body_over_max_entry_bytes_is_delivered_but_not_stored() {
    let mut config = Config::direct();
    config.cache.types[Audio].max_entry_bytes = 1000;
    let (_dir, o, _clock, f) = world(&[("big.wav", &"x".repeat(2000))], FRESH_60, config).await;
    let call = f.call();
    let u = url(&o, "/big.wav");
    for _ in 0..2 {
        let r = get(&call, &u, Audio).await;
        assert_eq!(r.decision(), Decision::Bypass, "the fetch still succeeds");
        assert_eq!(r.body().len(), 2000);
        assert!(
            matches!(
                r.not_cached(),
                Some(&NotCached::Policy(NotStored::TooLarge {
                    size: 2000,
                    limit: 1000
                }))
            ),
            "{:?}",
            r.not_cached()
        );
    }
    assert_eq!(o.log().requests("/big.wav"), 2);
    assert!(f.store().entries().is_empty());
}

#[tokio::test]
async fn a_post_is_a_bypass_and_invalidates_the_stored_copy() {
    let (_dir, o, _clock, f) = world(&[("form.txt", "thanks")], FRESH_60, Config::direct()).await;
    let call = f.call();
    let u = url(&o, "/form.txt");
    assert_eq!(get(&call, &u, Document).await.decision(), Decision::Miss);
    assert_eq!(get(&call, &u, Data).await.decision(), Decision::Miss);
    assert_eq!(f.store().entries().len(), 2);

    let post = FetchRequest::post(
        u.clone(),
        Document,
        Referrer::User,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
        Bytes::from("city=chicago"),
    );
    let r = call.fetch(&post, None).await.expect("post");
    assert_eq!(r.decision(), Decision::Bypass);
    assert_eq!(&r.body()[..], b"thanks");
    assert!(f.store().entries().is_empty(), "every type's copy is gone");

    assert_eq!(get(&call, &u, Document).await.decision(), Decision::Miss);
    let methods: Vec<String> = o
        .log()
        .for_path("/form.txt")
        .iter()
        .map(|r| r.method.to_string())
        .collect();
    assert_eq!(methods, ["GET", "GET", "POST", "GET"]);
    assert_eq!(f.store().stats()[Document].count(Decision::Bypass), 1);
}

#[tokio::test]
async fn request_maxage_and_maxstale_go_out_as_cache_control() {
    // "overrides" (the default): maxage 30 also accepts a copy stale by up
    // to 30 s, so a cache on the way answers as this one would; "limits":
    // the directives as they are.
    for (mode, sent) in [
        (MaxAgeMode::Overrides, "max-age=30, max-stale=35"),
        (MaxAgeMode::Limits, "max-age=30, max-stale=5"),
    ] {
        let server = Scripted::start(vec![Reply::Send(OK_FRESH_60)]).await;
        let mut config = Config::direct();
        config.cache.maxage = mode;
        let f = fetcher_with(config, &clock());
        let call = f.call();
        let req = FetchRequest::get(server.base.clone(), Audio, Referrer::User)
            .max_age(secs(30))
            .max_stale(secs(5));
        call.fetch(&req, None).await.expect("fetch");
        let head = server.head(0);
        assert!(
            head.contains(&format!("\r\ncache-control: {sent}\r\n")),
            "{mode:?}: {head}"
        );
    }
}

// --------------------------------------------------- the seeds' examples ----

/// 003_1ed39794a2726984.txt, "Example of Behaviour", the clock standing in for
/// the 20 seconds between the calls.
#[tokio::test]
async fn worked_example_003_two_calls_twenty_seconds_apart() {
    let rules = r#"
[[rule]]
path = "/app.txt"       # no caching headers: only the document's meta
etag = false
last_modified = false

[[rule]]
path = "/1.wav"
headers = { "Cache-Control" = "max-age=10" }

[[rule]]
path = "/2.wav"
headers = { "Cache-Control" = "max-age=10" }

[[rule]]
path = "/3.wav"         # no Cache-Control headers (nor validators)
etag = false
last_modified = false
"#;
    let mut config = Config::direct();
    config.cache.types[Audio].default_max_age = secs(180);
    let (_dir, o, clock, f) = world(
        &[
            (
                "app.txt",
                "meta cache-control: max-age=60\naudio 1.wav\naudio 2.wav\naudio 3.wav\n",
            ),
            ("1.wav", "one"),
            ("2.wav", "two"),
            ("3.wav", "three"),
        ],
        rules,
        config,
    )
    .await;
    let parser = LineParser::default();

    // One call of the application: the document, then its three prompts,
    // 1.wav with maxage="120".
    async fn call_once(f: &Arc<Fetcher>, o: &Origin, parser: &LineParser) -> Vec<Decision> {
        let call = f.call();
        let doc = get_parsed(&call, &url(o, "/app.txt"), parser).await;
        let mut decisions = vec![doc.decision()];
        for (rtype, audio) in doc.references() {
            assert_eq!(*rtype, Audio);
            let mut req =
                FetchRequest::get(Url::parse(audio).expect("resolved"), Audio, Referrer::User);
            if audio.ends_with("/1.wav") {
                req = req.max_age(secs(120));
            }
            let r = call.fetch(&req, None).await.expect("audio");
            decisions.push(r.decision());
        }
        decisions
    }

    let first = call_once(&f, &o, &parser).await;
    use Decision::{Hit, Miss, Revalidated};
    assert_eq!(first, [Miss, Miss, Miss, Miss]);
    // The lifetimes stored with each resource.
    let cache = &f.config().cache;
    let lifetime = |path: &str, rtype| {
        let e = f
            .store()
            .peek(rtype, url(&o, path).as_str(), f.store().new_call())
            .expect("stored");
        policy::freshness_lifetime(&e.response, cache, rtype)
    };
    assert_eq!(lifetime("/app.txt", Document), secs(60), "from the meta");
    assert_eq!(
        lifetime("/1.wav", Audio),
        secs(10),
        "maxage is never stored"
    );
    assert_eq!(lifetime("/2.wav", Audio), secs(10));
    assert_eq!(lifetime("/3.wav", Audio), secs(180), "resource_max_age");

    clock.advance(secs(20));
    let second = call_once(&f, &o, &parser).await;
    assert_eq!(second, [Hit, Hit, Revalidated, Hit]);
    let log = o.log();
    assert_eq!(log.requests("/app.txt"), 1);
    assert_eq!(log.requests("/1.wav"), 1);
    assert_eq!(
        log.requests("/2.wav"),
        2,
        "exactly 2.wav goes back to the origin"
    );
    assert_eq!(log.requests("/3.wav"), 1);
    assert_eq!(parser.calls(), 1);
}

/// 000_faec5ba6da9dadf9.txt: `Cache-Control: no-cache` means "always check":
/// every use is a conditional request, answered 304, the body from the cache.
#[tokio::test]
async fn seed_000_no_cache_with_an_etag_revalidates_every_use() {
    let (_dir, o, _clock, f) = world(
        &[("AAAA.wav", "RIFF-audio")],
        &cache_control("/AAAA.wav", "no-cache"),
        Config::direct(),
    )
    .await;
    let call = f.call();
    let u = url(&o, "/AAAA.wav");
    let decisions: Vec<Decision> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            let r = get(&call, &u, Audio).await;
            assert_eq!(&r.body()[..], b"RIFF-audio");
            v.push(r.decision());
        }
        v
    };
    assert_eq!(
        decisions,
        [Decision::Miss, Decision::Revalidated, Decision::Revalidated]
    );
    assert_eq!(o.log().statuses("/AAAA.wav"), [200, 304, 304]);
    assert_eq!(o.log().conditional("/AAAA.wav"), 2);
    let bytes: Vec<u64> = o
        .log()
        .for_path("/AAAA.wav")
        .iter()
        .map(|r| r.bytes)
        .collect();
    assert_eq!(bytes, [10, 0, 0], "the body crossed the network once");
}

#[tokio::test]
async fn meta_http_equiv_decides_storability_and_still_wins_after_a_304() {
    // The server says no-cache; the document's meta says max-age=60.
    let (_dir, o, clock, f) = world(
        &[("a.txt", "meta Cache-Control: max-age=60\nhello")],
        &cache_control("/a.txt", "no-cache"),
        Config::direct(),
    )
    .await;
    let parser = LineParser::default();
    let call = f.call();
    let u = url(&o, "/a.txt");
    let first = get_parsed(&call, &u, &parser).await;
    assert_eq!(first.decision(), Decision::Miss);
    assert_eq!(
        first
            .headers()
            .get("cache-control")
            .map(HeaderValue::as_bytes),
        Some(&b"max-age=60"[..])
    );
    assert_eq!(
        get_parsed(&call, &u, &parser).await.decision(),
        Decision::Hit
    );

    clock.advance(secs(70));
    let r = get_parsed(&call, &u, &parser).await;
    assert_eq!(
        r.decision(),
        Decision::Revalidated,
        "the 304 said no-cache…"
    );
    assert_eq!(
        r.headers().get("cache-control").map(HeaderValue::as_bytes),
        Some(&b"max-age=60"[..]),
        "…and the meta still wins"
    );
    clock.advance(secs(30));
    assert_eq!(
        get_parsed(&call, &u, &parser).await.decision(),
        Decision::Hit
    );
    assert_eq!(o.log().requests("/a.txt"), 2);

    // Without the parser the same answer carries no freshness of its own
    // but a validator: stored, revalidated on every use.
    let other = fetcher(&clock);
    let call = other.call();
    get(&call, &u, Document).await;
    assert_eq!(
        get(&call, &u, Document).await.decision(),
        Decision::Revalidated
    );
}

// --------------------------------------------------------- single flight ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_on_one_missing_url_reach_the_origin_once() {
    let rules = format!("{FRESH_60}\n[[rule]]\npath = \"/slow.txt\"\ndelay = \"300ms\"\n");
    let (_dir, o, _clock, f) = world(&[("slow.txt", "line")], &rules, Config::direct()).await;
    let parser = Arc::new(LineParser::default());
    let u = url(&o, "/slow.txt");
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (f, u, parser) = (Arc::clone(&f), u.clone(), Arc::clone(&parser));
            tokio::spawn(async move {
                let call = f.call();
                let r = get_parsed(&call, &u, &parser).await;
                (r.decision(), r.parsed_as::<Lines>().map(|l| l.0.clone()))
            })
        })
        .collect();
    let mut decisions = Vec::new();
    for t in tasks {
        let (d, lines) = t.await.expect("task");
        assert_eq!(
            lines,
            Some(vec!["line".to_string()]),
            "everyone gets the parsed form"
        );
        decisions.push(d);
    }
    assert_eq!(o.log().requests("/slow.txt"), 1);
    assert_eq!(parser.calls(), 1, "parsed once for all");
    let misses = decisions.iter().filter(|d| **d == Decision::Miss).count();
    let hits = decisions.iter().filter(|d| **d == Decision::Hit).count();
    assert_eq!((misses, hits), (1, 99));
    let stats = f.store().stats()[Document];
    assert_eq!(
        (stats.count(Decision::Miss), stats.count(Decision::Hit)),
        (1, 99),
        "stats agree"
    );
    assert_eq!(f.in_flight(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_calls_on_one_stale_url_revalidate_once() {
    let rules = "[[rule]]\npath = \"/slow.txt\"\ndelay = \"300ms\"\n\
                 headers = { \"Cache-Control\" = \"max-age=10\" }\n";
    let (_dir, o, clock, f) = world(&[("slow.txt", "line")], rules, Config::direct()).await;
    let u = url(&o, "/slow.txt");
    get(&f.call(), &u, Script).await;
    clock.advance(secs(15));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (f, u) = (Arc::clone(&f), u.clone());
            tokio::spawn(async move { get(&f.call(), &u, Script).await.decision() })
        })
        .collect();
    let mut decisions = Vec::new();
    for t in tasks {
        decisions.push(t.await.expect("task"));
    }
    assert_eq!(o.log().requests("/slow.txt"), 2);
    assert_eq!(o.log().conditional("/slow.txt"), 1);
    let revalidated = decisions
        .iter()
        .filter(|d| **d == Decision::Revalidated)
        .count();
    assert_eq!(revalidated, 1);
    assert_eq!(
        decisions.iter().filter(|d| **d == Decision::Hit).count(),
        99
    );
    let stats = f.store().stats()[Script];
    assert_eq!(
        (
            stats.count(Decision::Miss),
            stats.count(Decision::Revalidated),
            stats.count(Decision::Hit)
        ),
        (1, 1, 99)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_leader_does_not_wedge_its_followers() {
    let rules = format!("{FRESH_60}\n[[rule]]\npath = \"/slow.txt\"\ndelay = \"500ms\"\n");
    let (_dir, o, _clock, f) = world(&[("slow.txt", "line")], &rules, Config::direct()).await;
    let u = url(&o, "/slow.txt");
    let leader = {
        let (f, u) = (Arc::clone(&f), u.clone());
        tokio::spawn(async move { get(&f.call(), &u, Document).await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(f.in_flight(), 1, "the leader is on its way");
    let followers: Vec<_> = (0..5)
        .map(|_| {
            let (f, u) = (Arc::clone(&f), u.clone());
            tokio::spawn(async move { get(&f.call(), &u, Document).await.decision() })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    leader.abort();
    assert!(leader.await.is_err(), "the leader was cancelled");
    let mut decisions = Vec::new();
    for t in followers {
        let d = tokio::time::timeout(secs(5), t)
            .await
            .expect("followers finish")
            .expect("task");
        decisions.push(d);
    }
    decisions.sort_by_key(|d| d.as_str());
    assert_eq!(
        decisions,
        [
            Decision::Hit,
            Decision::Hit,
            Decision::Hit,
            Decision::Hit,
            Decision::Miss
        ],
        "one follower led a new flight, the others followed it"
    );
    assert_eq!(f.in_flight(), 0);
    assert_eq!(stored_urls(&f), [u.to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_never_reuse_a_private_answer() {
    let rules = "[[rule]]\npath = \"/me.txt\"\ndelay = \"300ms\"\n\
                 headers = { \"Cache-Control\" = \"private, max-age=60\" }\n";
    let (_dir, o, _clock, f) = world(&[("me.txt", "yours")], rules, Config::direct()).await;
    let u = url(&o, "/me.txt");
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (f, u) = (Arc::clone(&f), u.clone());
            tokio::spawn(async move {
                let call = f.call();
                let d = get(&call, &u, Document).await.decision();
                (d, call) // keep the call alive until every task is done
            })
        })
        .collect();
    let mut calls = Vec::new();
    for t in tasks {
        let (d, call) = t.await.expect("task");
        assert_eq!(d, Decision::Miss, "each call asked for its own copy");
        calls.push(call);
    }
    assert_eq!(o.log().requests("/me.txt"), 10);
    assert_eq!(f.store().stats()[Document].private_entries, 10);
    drop(calls);
    assert!(f.store().entries().is_empty(), "they die with their calls");
}

// --------------------------------------------------------------- cookies ----

const SET_SID: &str = "[[rule]]\npath = \"/login.txt\"\n\
                       headers = { \"Set-Cookie\" = \"sid=abc; Path=/\", \"Cache-Control\" = \"no-store\" }\n\
                       [[rule]]\npath = \"/page.txt\"\nheaders = { \"Cache-Control\" = \"no-store\" }\n";

#[tokio::test]
async fn each_call_has_its_own_cookie_jar() {
    let (_dir, o, _clock, f) = world(
        &[("login.txt", "in"), ("page.txt", "p")],
        SET_SID,
        Config::direct(),
    )
    .await;
    let a = f.call();
    get(&a, &url(&o, "/login.txt"), Data).await;
    get(&a, &url(&o, "/page.txt"), Document).await;
    let b = f.call();
    get(&b, &url(&o, "/page.txt"), Document).await;
    let cookies: Vec<Option<String>> = o
        .log()
        .for_path("/page.txt")
        .into_iter()
        .map(|r| r.cookie)
        .collect();
    assert_eq!(cookies, [Some("sid=abc".to_string()), None]);
}

#[tokio::test]
async fn a_shared_jar_carries_cookies_across_calls() {
    let mut config = Config::direct();
    config.cookies.scope = CookieScope::Shared;
    let (_dir, o, _clock, f) =
        world(&[("login.txt", "in"), ("page.txt", "p")], SET_SID, config).await;
    get(&f.call(), &url(&o, "/login.txt"), Data).await;
    get(&f.call(), &url(&o, "/page.txt"), Document).await;
    assert_eq!(
        o.log().for_path("/page.txt")[0].cookie.as_deref(),
        Some("sid=abc")
    );
}

#[tokio::test]
async fn a_removed_cookie_is_never_sent_so_the_origin_issues_a_fresh_one() {
    let mut config = Config::direct();
    config.cookies.scope = CookieScope::Shared;
    config.cookies.remove = vec!["sid".to_string()];
    let (_dir, o, _clock, f) =
        world(&[("login.txt", "in"), ("page.txt", "p")], SET_SID, config).await;
    for _ in 0..2 {
        let call = f.call();
        get(&call, &url(&o, "/login.txt"), Data).await;
        get(&call, &url(&o, "/login.txt"), Data).await;
        get(&call, &url(&o, "/page.txt"), Document).await;
    }
    let log = o.log().records();
    assert!(
        log.len() == 6 && log.iter().all(|r| r.cookie.is_none()),
        "{log:?}"
    );
}

// ------------------------------------------------------------ preloading ----

#[tokio::test]
async fn preload_fills_the_cache_with_documents_their_root_and_scripts() {
    let dir = site(&[
        ("welcome.txt", "context app/root.txt\nscript s1.js\nhello"),
        ("app/root.txt", "script ../s2.js\nroot"),
        ("s1.js", "var a;"),
        ("s2.js", "var b;"),
    ]);
    let o = origin(dir.path(), FRESH_60).await;
    let mut config = Config::direct();
    for (name, path) in [("welcome", "/welcome.txt"), ("zz-broken", "/missing.txt")] {
        config
            .preload
            .insert(name.into(), url(&o, path).to_string());
    }
    let f = fetcher_with(config, &clock());
    let parser = LineParser::default();
    let outcomes = f.preload(&parser).await;
    let summary: Vec<(String, ResourceType, Result<Decision, String>)> = outcomes
        .iter()
        .map(|p| {
            let path = Url::parse(&p.url)
                .map(|u| u.path().to_string())
                .unwrap_or_default();
            (path, p.rtype, p.result.clone().map_err(|e| e.event()))
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("/welcome.txt".to_string(), Document, Ok(Decision::Miss)),
            ("/app/root.txt".to_string(), Context, Ok(Decision::Miss)),
            ("/s2.js".to_string(), Script, Ok(Decision::Miss)),
            ("/s1.js".to_string(), Script, Ok(Decision::Miss)),
            (
                "/missing.txt".to_string(),
                Document,
                Err("error.badfetch.http.404".to_string())
            ),
        ]
    );
    assert_eq!(outcomes[4].name, "zz-broken");
    assert_eq!(parser.calls(), 2, "the document and its root were parsed");
    let before = o.log().total();

    let call = f.call();
    let doc = get_parsed(&call, &url(&o, "/welcome.txt"), &parser).await;
    let root = call
        .fetch(
            &FetchRequest::get(url(&o, "/app/root.txt"), Context, Referrer::User),
            Some(&parser),
        )
        .await
        .expect("root");
    let s1 = get(&call, &url(&o, "/s1.js"), Script).await;
    let s2 = get(&call, &url(&o, "/s2.js"), Script).await;
    for r in [&doc, &root, &s1, &s2] {
        assert_eq!(r.decision(), Decision::Hit, "{}", r.url);
    }
    assert_eq!(o.log().total(), before, "the origin heard nothing");
    assert_eq!(parser.calls(), 2, "and nothing was parsed again");
}

// ------------------------------------------------------- parse and faults ----

#[tokio::test]
async fn a_body_that_does_not_parse_is_not_stored_and_fails_with_line_and_event() {
    let (dir, o, _clock, f) = world(
        &[("a.txt", "fine\nbad unclosed <form>\n")],
        FRESH_60,
        Config::direct(),
    )
    .await;
    let parser = LineParser::default();
    let call = f.call();
    let u = url(&o, "/a.txt");
    let req = FetchRequest::get(u.clone(), Document, Referrer::User);
    let e = call.fetch(&req, Some(&parser)).await.expect_err("bad body");
    assert_eq!(e.event(), "error.badfetch");
    assert_eq!(
        e.to_string(),
        format!("{u}:2: syntax error: unclosed <form>")
    );
    assert!(
        f.store().entries().is_empty(),
        "a bad body never lives in the cache"
    );
    let record = &call.records()[0];
    assert_eq!(record.decision(), None);
    assert_eq!(record.event(), Some("error.badfetch"));

    write(dir.path(), "a.txt", "fine\n");
    let r = call.fetch(&req, Some(&parser)).await.expect("fixed");
    assert_eq!(r.decision(), Decision::Miss);
}

#[tokio::test]
async fn a_timeout_fails_stores_nothing_and_the_next_fetch_works() {
    let rules = format!("{FRESH_60}\n[[rule]]\npath = \"/slow.txt\"\ndelay = \"700ms\"\n");
    let (_dir, o, _clock, f) = world(&[("slow.txt", "late")], &rules, Config::direct()).await;
    let call = f.call();
    let u = url(&o, "/slow.txt");
    let req =
        FetchRequest::get(u.clone(), Document, Referrer::User).timeout(Duration::from_millis(200));
    let e = call.fetch(&req, None).await.expect_err("too slow");
    assert_eq!(
        e,
        FetchError::Timeout {
            url: u.to_string(),
            limit: Duration::from_millis(200)
        }
    );
    assert!(f.store().entries().is_empty());
    let r = call
        .fetch(&req.clone().timeout(secs(5)), None)
        .await
        .expect("patient");
    assert_eq!(r.decision(), Decision::Miss);
    assert_eq!(stored_urls(&f), [u.to_string()]);
}

/// Each broken answer: the right error, nothing stored, and the next fetch
/// (answered properly) is a miss that is stored.
#[tokio::test]
async fn broken_answers_fail_store_nothing_and_do_not_poison_the_next_fetch() {
    type Check = fn(&FetchError) -> bool;
    let cases: [(Reply, Check); 3] = [
        (
            Reply::Send(SERVER_ERROR),
            |e| e.event() == "error.badfetch.http.500",
        ),
        (
            Reply::Reset(b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 100\r\n\r\nhello"),
            |e| matches!(e, FetchError::Broken { .. }),
        ),
        (
            Reply::Send(b"HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: 100\r\nConnection: close\r\n\r\nhello"),
            |e| matches!(e, FetchError::ShortBody { expected: 100, received: 5, .. }),
        ),
    ];
    for (broken, check) in cases {
        let server = Scripted::start(vec![broken, Reply::Send(OK_FRESH_60)]).await;
        let f = fetcher(&clock());
        let call = f.call();
        let req = FetchRequest::get(server.base.clone(), Data, Referrer::User);
        let e = call.fetch(&req, None).await.expect_err("broken answer");
        assert!(check(&e), "{e:?}");
        assert!(f.store().entries().is_empty(), "{e}: nothing stored");
        let r = call.fetch(&req, None).await.expect("the next fetch works");
        assert_eq!(
            (r.decision(), &r.body()[..]),
            (Decision::Miss, &b"hello"[..])
        );
        assert_eq!(
            get(&call, &server.base, Data).await.decision(),
            Decision::Hit
        );
        assert_eq!(server.requests(), 2);
    }
}

#[tokio::test]
async fn error_statuses_are_answers_for_the_proxy_and_errors_for_voicexml() {
    let rules =
        "[[rule]]\npath = \"/gone.txt\"\nheaders = { \"Cache-Control\" = \"max-age=60\" }\n";
    let (_dir, o, _clock, f) = world(&[], rules, Config::direct()).await;
    let call = f.call();
    let req = FetchRequest::get(url(&o, "/gone.txt"), Document, Referrer::User);
    let e = call.fetch(&req, None).await.expect_err("404");
    assert_eq!(e.event(), "error.badfetch.http.404");
    let r = f
        .proxy_call()
        .fetch_response(&req, None)
        .await
        .expect("a 404 answer");
    assert_eq!(r.status(), 404);
    assert_eq!(r.decision(), Decision::Hit, "stored under its max-age");
    // RFC 9111 §3: a 404 with explicit freshness is stored, and every use
    // is still error.badfetch.http.404 — but the origin is asked once.
    let again = call.fetch(&req, None).await.expect_err("404 again");
    assert_eq!(again.event(), "error.badfetch.http.404");
    assert_eq!(o.log().requests("/gone.txt"), 1);
    let records = call.records();
    let seen: Vec<_> = records
        .iter()
        .map(|r| (r.decision(), r.status(), r.event()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                Some(Decision::Miss),
                Some(404),
                Some("error.badfetch.http.404")
            ),
            (
                Some(Decision::Hit),
                Some(404),
                Some("error.badfetch.http.404")
            )
        ]
    );
}

/// Without explicit freshness a 404 is not stored (not even with validators
/// or a `default_max_age`): each use asks the origin.
#[tokio::test]
async fn an_error_without_explicit_freshness_is_not_stored() {
    let rules = "[[rule]]\npath = \"/gone.txt\"\nheaders = { \"ETag\" = \"\\\"x\\\"\" }\n";
    let mut config = Config::direct();
    config.cache.types[Document].default_max_age = secs(600);
    let (_dir, o, _clock, f) = world(&[], rules, config).await;
    let call = f.proxy_call();
    let req = FetchRequest::get(url(&o, "/gone.txt"), Document, Referrer::User);
    for _ in 0..2 {
        let r = call.fetch_response(&req, None).await.expect("a 404 answer");
        assert_eq!(r.status(), 404);
        assert_eq!(
            r.not_cached(),
            Some(&NotCached::Policy(NotStored::Status(StatusCode::NOT_FOUND)))
        );
    }
    assert_eq!(o.log().requests("/gone.txt"), 2);
}

// ------------------------------------------------------- private answers ----

#[tokio::test]
async fn private_answers_are_seen_only_by_their_call_and_die_with_it() {
    let rules = r#"
[[rule]]
path = "/p.txt"
headers = { "Cache-Control" = "private, max-age=60" }

[[rule]]
path = "/c.txt"
headers = { "Cache-Control" = "max-age=60", "Set-Cookie" = "k=v" }
"#;
    let (_dir, o, _clock, f) = world(
        &[("p.txt", "mine"), ("c.txt", "cookie")],
        rules,
        Config::direct(),
    )
    .await;
    for path in ["/p.txt", "/c.txt"] {
        let u = url(&o, path);
        let a = f.call();
        assert_eq!(get(&a, &u, Document).await.decision(), Decision::Miss);
        assert_eq!(
            get(&a, &u, Document).await.decision(),
            Decision::Hit,
            "{path}"
        );
        let listed = f.store().entries();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].visibility, Visibility::Call(a.id()));

        let b = f.call();
        assert_eq!(
            get(&b, &u, Document).await.decision(),
            Decision::Miss,
            "{path}: another call never sees it"
        );
        assert_eq!(o.log().requests(path), 2);
        drop(a);
        b.end();
        assert!(
            f.store().entries().is_empty(),
            "{path}: gone with the calls"
        );
    }
}

/// RFC 9111 §3.5: an application that puts credentials in a URL (reqwest
/// sends them as `Authorization`) gets its answer for its own call; another
/// caller is not served it — unless the origin marks it `public`.
#[tokio::test]
async fn a_response_to_credentials_in_the_url_stays_with_its_call() {
    let rules = r#"
[[rule]]
path = "/a.txt"
headers = { "Cache-Control" = "max-age=60" }

[[rule]]
path = "/p.txt"
headers = { "Cache-Control" = "public, max-age=60" }
"#;
    let (_dir, o, _clock, f) = world(
        &[("a.txt", "secret"), ("p.txt", "shared")],
        rules,
        Config::direct(),
    )
    .await;
    let with_credentials = |path: &str| {
        let mut u = url(&o, path);
        u.set_username("alice").expect("http URL");
        u.set_password(Some("pw")).expect("http URL");
        u
    };
    let a = with_credentials("/a.txt");
    let first = f.call();
    assert_eq!(get(&first, &a, Document).await.decision(), Decision::Miss);
    assert_eq!(get(&first, &a, Document).await.decision(), Decision::Hit);
    let second = f.call();
    assert_eq!(
        get(&second, &a, Document).await.decision(),
        Decision::Miss,
        "another call never sees it"
    );
    assert_eq!(o.log().requests("/a.txt"), 2);
    let p = with_credentials("/p.txt");
    get(&first, &p, Document).await;
    assert_eq!(get(&second, &p, Document).await.decision(), Decision::Hit);
    assert_eq!(o.log().requests("/p.txt"), 1);
}

// -------------------------------------------------------------- redirects ----

#[tokio::test]
async fn redirects_are_followed_and_a_cached_redirect_is_not_asked_again() {
    let rules = format!(
        "{FRESH_60}\n\
         [[rule]]\npath = \"/old.txt\"\nstatus = 301\nheaders = {{ Location = \"new.txt#part\" }}\n\
         [[rule]]\npath = \"/temp.txt\"\nstatus = 302\nheaders = {{ Location = \"/new.txt\", \"Cache-Control\" = \"no-store\" }}\n"
    );
    let (_dir, o, _clock, f) = world(&[("new.txt", "here")], &rules, Config::direct()).await;
    let call = f.call();
    let old = url(&o, "/old.txt");
    let r = get(&call, &old, Document).await;
    assert_eq!(&r.body()[..], b"here");
    assert_eq!(
        r.final_url,
        url(&o, "/new.txt#part"),
        "the redirect's fragment"
    );
    assert_eq!(r.decision(), Decision::Miss);
    assert_eq!(r.redirects.len(), 1);
    assert_eq!(
        (r.redirects[0].status, r.redirects[0].decision),
        (StatusCode::MOVED_PERMANENTLY, Decision::Miss)
    );

    let again = get(&call, &old, Document).await;
    assert_eq!(again.decision(), Decision::Hit);
    assert_eq!(again.redirects[0].decision, Decision::Hit);
    assert_eq!(
        o.log().requests("/old.txt"),
        1,
        "the stored 301 was followed"
    );
    assert_eq!(o.log().requests("/new.txt"), 1);

    let temp = url(&o, "/temp.txt");
    for _ in 0..2 {
        let r = get(&call, &temp, Document).await;
        assert_eq!(r.decision(), Decision::Hit, "the target is stored");
        assert_eq!(r.redirects[0].decision, Decision::Bypass);
    }
    assert_eq!(
        o.log().requests("/temp.txt"),
        2,
        "an uncacheable redirect is asked each time"
    );
    assert_eq!(call.records()[0].redirects, 1);
}

#[tokio::test]
async fn a_redirect_loop_is_too_many_redirects() {
    let rules = r#"
[[rule]]
path = "/a.txt"
status = 302
headers = { Location = "b.txt" }

[[rule]]
path = "/b.txt"
status = 302
headers = { Location = "a.txt" }
"#;
    let mut config = Config::direct();
    config.fetch.max_redirects = 3;
    let (_dir, o, _clock, f) = world(&[], rules, config).await;
    let u = url(&o, "/a.txt");
    let e = f
        .call()
        .fetch(
            &FetchRequest::get(u.clone(), Document, Referrer::User),
            None,
        )
        .await
        .expect_err("loop");
    assert_eq!(
        e,
        FetchError::TooManyRedirects {
            url: u.to_string(),
            limit: 3
        }
    );
    assert_eq!(o.log().total(), 4, "the first request and three redirects");
}

#[tokio::test]
async fn a_303_after_a_post_continues_as_a_get() {
    let rules = format!(
        "{FRESH_60}\n[[rule]]\npath = \"/submit\"\nstatus = 303\nheaders = {{ Location = \"done.txt\" }}\n"
    );
    let (_dir, o, _clock, f) = world(&[("done.txt", "thanks")], &rules, Config::direct()).await;
    let call = f.call();
    let post = FetchRequest::post(
        url(&o, "/submit"),
        Document,
        Referrer::User,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
        Bytes::from("a=1"),
    );
    let r = call.fetch(&post, None).await.expect("post");
    assert_eq!(&r.body()[..], b"thanks");
    assert_eq!(
        r.decision(),
        Decision::Miss,
        "the GET of the target is cached"
    );
    let methods: Vec<(String, String)> = o
        .log()
        .records()
        .iter()
        .map(|r| (r.method.to_string(), r.path().to_string()))
        .collect();
    assert_eq!(
        methods,
        [
            ("POST".to_string(), "/submit".to_string()),
            ("GET".to_string(), "/done.txt".to_string())
        ]
    );
}

// ----------------------------------------------------------------- file: ----

#[tokio::test]
async fn file_urls_are_reused_by_stamp_and_a_change_is_noticed() {
    let root = site(&[("app/main.txt", "first")]);
    let clock = clock();
    let config = Arc::new(Config::direct());
    let f = Fetcher::new(config, clock.clone(), Some(root.path())).expect("fetcher");
    let parser = LineParser::default();
    let call = f.call();
    let u = Url::from_file_path(root.path().join("app/main.txt")).expect("file URL");

    let first = get_parsed(&call, &u, &parser).await;
    assert_eq!(
        (first.decision(), first.status()),
        (Decision::Miss, StatusCode::OK)
    );
    assert_eq!(&first.body()[..], b"first");
    // maxage does not apply to files: unchanged means reused.
    let req = FetchRequest::get(u.clone(), Document, Referrer::User).max_age(Duration::ZERO);
    let second = call.fetch(&req, Some(&parser)).await.expect("hit");
    assert_eq!(second.decision(), Decision::Hit);
    assert_eq!(parser.calls(), 1, "the parsed form is reused");

    write(root.path(), "app/main.txt", "second, longer");
    let third = get_parsed(&call, &u, &parser).await;
    assert_eq!(third.decision(), Decision::Refreshed);
    assert_eq!(
        third.parsed_as::<Lines>().as_deref(),
        Some(&Lines(vec!["second, longer".into()]))
    );
    assert_eq!(f.store().stats()[Document].entries, 1);
}

#[tokio::test]
async fn file_urls_are_confined_and_never_read_from_http_documents() {
    let root = site(&[("inside.txt", "ok")]);
    let outside = site(&[("secret.txt", "no")]);
    let f = Fetcher::new(Arc::new(Config::direct()), clock(), Some(root.path())).expect("fetcher");
    let call = f.call();
    let secret = Url::from_file_path(outside.path().join("secret.txt")).expect("url");
    let e = call
        .fetch(&FetchRequest::get(secret, Document, Referrer::User), None)
        .await
        .expect_err("outside the root");
    assert!(matches!(e, FetchError::OutsideRoot { .. }), "{e:?}");

    let inside = Url::from_file_path(root.path().join("inside.txt")).expect("url");
    let from_http = FetchRequest::get(
        inside.clone(),
        Document,
        Referrer::Document(Url::parse("http://127.0.0.1:1/app.vxml").expect("url")),
    );
    let e = call.fetch(&from_http, None).await.expect_err("http → file");
    assert!(matches!(e, FetchError::FileFromHttp { .. }), "{e:?}");

    // An http page redirecting to a file: is refused the same way.
    let dir = site(&[]);
    let rules = format!(
        "[[rule]]\npath = \"/jump\"\nstatus = 302\nheaders = {{ Location = \"{inside}\" }}\n"
    );
    let o = origin(dir.path(), &rules).await;
    let e = call
        .fetch(
            &FetchRequest::get(url(&o, "/jump"), Document, Referrer::User),
            None,
        )
        .await
        .expect_err("redirect to file:");
    assert!(matches!(e, FetchError::FileFromHttp { .. }), "{e:?}");

    let from_file = FetchRequest::get(inside.clone(), Document, Referrer::Document(inside.clone()));
    assert_eq!(
        call.fetch(&from_file, None).await.expect("local").body(),
        &Bytes::from("ok")
    );

    // Without any root, file: URLs are refused with a clear error.
    let rootless = fetcher(&clock());
    let e = rootless
        .call()
        .fetch(&FetchRequest::get(inside, Document, Referrer::User), None)
        .await
        .expect_err("no root");
    assert!(matches!(e, FetchError::NoFileRoot { .. }), "{e:?}");
    assert!(e.to_string().contains("fetch.file_root"), "{e}");
}

// ---------------------------------------------------------------- records ----

#[tokio::test]
async fn every_fetch_leaves_one_record() {
    let (_dir, o, _clock, f) = world(&[("a.txt", "abc")], FRESH_60, Config::direct()).await;
    let call = f.call();
    let u = url(&o, "/a.txt");
    get(&call, &u, Document).await;
    get(&call, &u, Document).await;
    let missing = FetchRequest::get(url(&o, "/nope.txt"), Audio, Referrer::User);
    call.fetch(&missing, None).await.expect_err("404");
    let records = call.take_records();
    assert!(call.records().is_empty());
    let summary: Vec<_> = records
        .iter()
        .map(|r| {
            (
                r.rtype,
                r.decision(),
                r.status(),
                r.bytes,
                r.error().is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (Document, Some(Decision::Miss), Some(200), 3, false),
            (Document, Some(Decision::Hit), Some(200), 3, false),
            // Every path says max-age=60, the 404 too: stored (RFC 9111
            // §3), and still an error for VoiceXML.
            (Audio, Some(Decision::Miss), Some(404), 14, true),
        ]
    );
    assert_eq!(records[0].url, u.to_string());
    assert_eq!(records[0].method, "GET");
    let json = serde_json::to_value(&records[1]).expect("serializes");
    assert_eq!(json["decision"], "hit");
}

#[tokio::test]
async fn set_cookie_headers_of_a_proxied_request_are_passed_on_not_kept() {
    let (_dir, o, _clock, f) = world(&[("login.txt", "in")], SET_SID, Config::direct()).await;
    let proxied = f.proxy_call();
    assert!(proxied.jar().is_none());
    let mut req = FetchRequest::get(url(&o, "/login.txt"), Data, Referrer::User);
    req.headers
        .insert("cookie", HeaderValue::from_static("client=1"));
    let r = proxied.fetch_response(&req, None).await.expect("proxied");
    assert!(r.headers().contains_key(SET_COOKIE), "for the client");
    assert_eq!(
        o.log().for_path("/login.txt")[0].cookie.as_deref(),
        Some("client=1"),
        "the client's cookie was forwarded"
    );
}

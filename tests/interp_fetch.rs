//! The interpreter and the cache together, end to end through the Rust API
//! against `vxb::serve::Origin` on 127.0.0.1: fetch attributes and the
//! properties they fall back on, `<meta http-equiv>`, parsed-document reuse,
//! preload, `file:` documents, `<audio>`, and many calls at once.
//!
//! Time: the cache runs on a `ManualClock` at 2024-01-01 while the origin
//! stamps `Date` with the real time, so a stored copy's age is exactly how
//! far a test advanced the clock (see tests/fetcher.rs).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tempfile::TempDir;
use vxb::audio::NullSink;
use vxb::cache::Decision;
use vxb::clock::{Clock, ManualClock};
use vxb::config::Config;
use vxb::resource::ResourceType;
use vxb::serve::Origin;
use vxb::{Browser, CallEnd, CallOptions, CallReport, CallerInput, PromptRecord};

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/interp.rs"]
mod support;
use fixtures::{origin, write};
use support::{logs, vxml};

struct World {
    dir: TempDir,
    origin: Origin,
    clock: Arc<ManualClock>,
    browser: Browser,
}

fn browser(config: Config, clock: &Arc<ManualClock>, root: Option<&Path>) -> Browser {
    let clock: Arc<dyn Clock> = clock.clone();
    Browser::with_workers(config, clock, root, 2).expect("browser")
}

async fn world(files: &[(&str, &str)], rules: &str) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        write(dir.path(), name, body.as_bytes());
    }
    let origin = origin(dir.path(), rules).await;
    let clock = Arc::new(ManualClock::at_epoch_2024());
    let browser = browser(Config::direct(), &clock, Some(dir.path()));
    World {
        dir,
        origin,
        clock,
        browser,
    }
}

impl World {
    fn url(&self, path: &str) -> String {
        self.origin.base_url().join(path).expect("path").to_string()
    }

    async fn call(&self, path: &str) -> CallReport {
        self.browser
            .call(
                &self.url(path),
                CallerInput::default(),
                CallOptions::default(),
            )
            .await
    }
}

/// The decision of the (last) fetch of `path` in the call.
fn decision(r: &CallReport, path: &str) -> Option<Decision> {
    r.fetches
        .iter()
        .rev()
        .find(|f| f.url.ends_with(path))
        .and_then(|f| f.decision())
}

fn rule(path: &str, cache_control: &str) -> String {
    format!(
        "[[rule]]\npath = \"{path}\"\nheaders = {{ \"Cache-Control\" = \"{cache_control}\" }}\n"
    )
}

// ------------------------------------------- fetch attributes, properties ----

#[tokio::test]
async fn script_src_is_fetched_as_script_with_scriptmaxage_falling_back_through_scopes() {
    let w = world(
        &[
            ("root.vxml", &vxml(r#"<property name="scriptmaxage" value="0"/>"#)),
            (
                "plain.vxml",
                &vxml(r#"<script src="s.js"/><form><block><log><value expr="v"/></log></block></form>"#),
            ),
            (
                "fromroot.vxml",
                r#"<vxml version="2.1" application="root.vxml"><script src="s.js"/><form><block/></form></vxml>"#,
            ),
            (
                "attribute.vxml",
                r#"<vxml version="2.1" application="root.vxml"><script src="s.js" maxage="3600"/><form><block/></form></vxml>"#,
            ),
            (
                "dialog.vxml",
                r#"<vxml version="2.1" application="root.vxml"><form><property name="scriptmaxage" value="3600"/><script src="s.js"/><block/></form></vxml>"#,
            ),
            ("s.js", "var v = 'script ran';"),
        ],
        &rule("/s.js", "max-age=3600"),
    )
    .await;
    let r = w.call("plain.vxml").await;
    assert_eq!(logs(&r), vec!["script ran"]);
    let script = r
        .fetches
        .iter()
        .find(|f| f.url.ends_with("/s.js"))
        .expect("fetched");
    assert_eq!(script.rtype, ResourceType::Script);
    assert_eq!(script.decision(), Some(Decision::Miss));

    w.clock.advance(Duration::from_secs(10));
    // The root's scriptmaxage=0 applies to the leaf's script: revalidated.
    let r = w.call("fromroot.vxml").await;
    assert_eq!(
        decision(&r, "/s.js"),
        Some(Decision::Revalidated),
        "{:?}",
        r.fetches
    );
    // The attribute wins over the property.
    let r = w.call("attribute.vxml").await;
    assert_eq!(decision(&r, "/s.js"), Some(Decision::Hit));
    // The dialog's property is inner to the root's.
    let r = w.call("dialog.vxml").await;
    assert_eq!(decision(&r, "/s.js"), Some(Decision::Hit));
    // No property: the stored lifetime.
    let r = w.call("plain.vxml").await;
    assert_eq!(decision(&r, "/s.js"), Some(Decision::Hit));
    assert_eq!(w.origin.log().requests("/s.js"), 2);
    assert_eq!(w.origin.log().conditional("/s.js"), 1);
}

#[tokio::test]
async fn document_fetches_use_documentmaxage_and_maxstale_unless_the_element_says() {
    let w = world(
        &[
            ("first.vxml", &vxml(r#"<form><block><goto next="next.vxml"/></block></form>"#)),
            (
                "strict.vxml",
                &vxml(r#"<property name="documentmaxage" value="0"/><form><block><goto next="next.vxml"/></block></form>"#),
            ),
            (
                "relaxed.vxml",
                &vxml(r#"<property name="documentmaxage" value="0"/><form><block><goto next="next.vxml" maxage="3600"/></block></form>"#),
            ),
            (
                "stale.vxml",
                &vxml(r#"<property name="documentmaxstale" value="600"/><form><block><goto next="short.vxml"/></block></form>"#),
            ),
            ("short0.vxml", &vxml(r#"<form><block><goto next="short.vxml"/></block></form>"#)),
            ("next.vxml", &vxml("<form><block><log>next</log></block></form>")),
            ("short.vxml", &vxml("<form><block><log>short</log></block></form>")),
        ],
        &format!("{}{}", rule("/next.vxml", "max-age=3600"), rule("/short.vxml", "max-age=5")),
    )
    .await;
    let r = w.call("first.vxml").await;
    assert_eq!(decision(&r, "/next.vxml"), Some(Decision::Miss));
    let r = w.call("short0.vxml").await;
    assert_eq!(decision(&r, "/short.vxml"), Some(Decision::Miss));
    w.clock.advance(Duration::from_secs(10));
    let r = w.call("strict.vxml").await;
    assert_eq!(decision(&r, "/next.vxml"), Some(Decision::Revalidated));
    let r = w.call("relaxed.vxml").await;
    assert_eq!(decision(&r, "/next.vxml"), Some(Decision::Hit));
    assert_eq!(logs(&r), vec!["next"]);
    let r = w.call("stale.vxml").await;
    assert_eq!(decision(&r, "/short.vxml"), Some(Decision::Stale));
    assert_eq!(logs(&r), vec!["short"]);
}

#[tokio::test]
async fn fetchtimeout_falls_back_to_the_property() {
    let w = world(
        &[
            (
                "a.vxml",
                &vxml(r#"<property name="fetchtimeout" value="300ms"/><form><block><goto next="slow.vxml"/></block></form>"#),
            ),
            ("slow.vxml", &vxml("<form><block/></form>")),
        ],
        "[[rule]]\npath = \"/slow.vxml\"\ndelay = \"3s\"\n",
    )
    .await;
    let started = std::time::Instant::now();
    let r = w.call("a.vxml").await;
    match &r.ended {
        CallEnd::Error { event, message } => {
            assert_eq!(event, "error.badfetch");
            assert!(
                message.contains("no complete response within 300ms"),
                "{message}"
            );
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

// ------------------------------------------------ meta, parsed documents ----

#[tokio::test]
async fn meta_http_equiv_makes_an_uncacheable_document_cacheable() {
    let no_caching_headers = "[[rule]]\npath = \"/**\"\netag = false\nlast_modified = false\n";
    let w = world(
        &[
            (
                "meta.vxml",
                &vxml(r#"<meta http-equiv="Cache-Control" content="max-age=60"/><form><block>Hello</block></form>"#),
            ),
            ("plain.vxml", &vxml("<form><block>Hello</block></form>")),
        ],
        no_caching_headers,
    )
    .await;
    let first = w.call("meta.vxml").await;
    assert_eq!(decision(&first, "/meta.vxml"), Some(Decision::Miss));
    let second = w.call("meta.vxml").await;
    assert_eq!(decision(&second, "/meta.vxml"), Some(Decision::Hit));
    assert_eq!(
        w.origin.log().requests("/meta.vxml"),
        1,
        "the second call asked nobody"
    );
    assert_eq!(second.prompts[0].text(), "Hello");

    let _ = w.call("plain.vxml").await;
    let again = w.call("plain.vxml").await;
    assert_eq!(decision(&again, "/plain.vxml"), Some(Decision::Bypass));
    assert_eq!(w.origin.log().requests("/plain.vxml"), 2);
}

#[tokio::test]
async fn a_cache_hit_or_revalidation_reuses_the_parsed_document() {
    let w = world(
        &[
            ("fresh.vxml", &vxml("<form><block>Fresh</block></form>")),
            (
                "validated.vxml",
                &vxml("<form><block>Validated</block></form>"),
            ),
        ],
        &rule("/fresh.vxml", "max-age=600"),
    )
    .await;
    for _ in 0..3 {
        let r = w.call("fresh.vxml").await;
        assert_eq!(r.prompts[0].text(), "Fresh");
    }
    assert_eq!(w.browser.parser().parses(), 1, "one parse for three calls");
    // No freshness but validators: each call revalidates, a 304 keeps the
    // parsed form.
    let _ = w.call("validated.vxml").await;
    w.clock.advance(Duration::from_secs(30));
    let r = w.call("validated.vxml").await;
    assert_eq!(decision(&r, "/validated.vxml"), Some(Decision::Revalidated));
    assert_eq!(r.prompts[0].text(), "Validated");
    assert_eq!(w.browser.parser().parses(), 2);
}

// ------------------------------------------------------------- preload ----

#[tokio::test]
async fn preload_fetches_document_root_and_scripts_so_a_call_asks_the_origin_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        (
            "start.vxml",
            r#"<vxml version="2.1" application="root.vxml"><script src="lib.js"/><form><block><log><value expr="lib + ' ' + rootlib"/></log></block></form></vxml>"#,
        ),
        (
            "root.vxml",
            r#"<vxml version="2.1"><script src="rootlib.js"/></vxml>"#,
        ),
        ("lib.js", "var lib = 'leaf script';"),
        ("rootlib.js", "var rootlib = 'root script';"),
    ];
    for (name, body) in files {
        write(dir.path(), name, body.as_bytes());
    }
    let o = origin(dir.path(), &rule("/**", "max-age=3600")).await;
    let mut config = Config::direct();
    let start = o.base_url().join("start.vxml").expect("url").to_string();
    config.preload.insert("start".into(), start.clone());
    let clock = Arc::new(ManualClock::at_epoch_2024());
    let b = browser(config, &clock, None);
    let outcomes = b.preload().await;
    let mut loaded: Vec<(ResourceType, String)> = outcomes
        .iter()
        .map(|o| {
            assert!(o.result.is_ok(), "{o:?}");
            (o.rtype, o.url.rsplit('/').next().unwrap_or("").to_string())
        })
        .collect();
    loaded.sort();
    assert_eq!(
        loaded,
        vec![
            (ResourceType::Document, "start.vxml".into()),
            (ResourceType::Context, "root.vxml".into()),
            (ResourceType::Script, "lib.js".into()),
            (ResourceType::Script, "rootlib.js".into()),
        ]
    );
    let parses = b.parser().parses();
    o.log().clear();
    let r = b
        .call(&start, CallerInput::default(), CallOptions::default())
        .await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(logs(&r), vec!["leaf script root script"]);
    assert_eq!(o.log().total(), 0, "{:?}", o.log().records());
    assert!(
        r.fetches
            .iter()
            .all(|f| f.decision() == Some(Decision::Hit)),
        "{:?}",
        r.fetches
    );
    assert_eq!(b.parser().parses(), parses, "nothing parsed again");
}

// ---------------------------------------------------------------- file: ----

#[tokio::test]
async fn file_documents_run_and_http_documents_cannot_read_files() {
    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interp/flow");
    let clock = Arc::new(ManualClock::at_epoch_2024());
    let b = browser(Config::direct(), &clock, Some(&flow));
    let start = url::Url::from_file_path(flow.join("step1.vxml")).expect("file URL");
    let r = b
        .call(
            start.as_str(),
            CallerInput::default(),
            CallOptions::default(),
        )
        .await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(r.exit_value, Some(serde_json::json!(4)));

    let w = world(
        &[(
            "a.vxml",
            &vxml(&format!(
                r#"<form><block><goto next="{start}"/></block></form>"#
            )),
        )],
        "",
    )
    .await;
    let r = w.call("a.vxml").await;
    match &r.ended {
        CallEnd::Error { event, message } => {
            assert_eq!(event, "error.badfetch");
            assert!(message.contains("cannot read file: URLs"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

// --------------------------------------------------------------- audio ----

/// A mono 16-bit PCM WAVE file of `frames` silent frames at 8 kHz.
fn wav(frames: u32) -> Vec<u8> {
    let data = frames * 2;
    let mut w = Vec::new();
    w.extend_from_slice(b"RIFF");
    w.extend_from_slice(&(36 + data).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&16000u32.to_le_bytes());
    w.extend_from_slice(&2u16.to_le_bytes());
    w.extend_from_slice(&16u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data.to_le_bytes());
    w.resize(w.len() + data as usize, 0);
    w
}

#[tokio::test]
async fn audio_plays_decoded_from_the_cache_or_its_fallback_with_a_warning() {
    let w = world(
        &[(
            "a.vxml",
            &vxml(
                r#"<form><block><prompt>Hello <audio src="tone.wav">not heard</audio> and <audio src="missing.wav">the missing fallback</audio><audio src="bad.wav">the bad fallback</audio><audio expr="undefined">ignored</audio></prompt></block></form>"#,
            ),
        )],
        &rule("/*.wav", "max-age=600"),
    )
    .await;
    write(w.dir.path(), "tone.wav", wav(4000));
    write(w.dir.path(), "bad.wav", b"RIFF....WAVEjunk");
    let options = CallOptions {
        // A sink of its own: played on the blocking pool.
        sink: Some(Box::new(NullSink::new(false))),
        ..CallOptions::default()
    };
    let r = w
        .browser
        .call(&w.url("a.vxml"), CallerInput::default(), options)
        .await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    let tone = w.url("tone.wav");
    assert_eq!(
        r.prompts,
        vec![
            PromptRecord::Text {
                text: "Hello".into(),
                duration: Duration::from_millis(400)
            },
            PromptRecord::Audio {
                src: tone.clone(),
                duration: Duration::from_millis(500)
            },
            PromptRecord::Text {
                text: "and the missing fallback the bad fallback".into(),
                duration: Duration::from_millis(2800)
            },
        ]
    );
    assert_eq!(r.warnings.len(), 2, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("missing.wav") && r.warnings[0].contains("404"),
        "{:?}",
        r.warnings
    );
    assert!(
        r.warnings[1].contains("bad.wav") && r.warnings[1].contains("cannot play"),
        "{:?}",
        r.warnings
    );
    let audio: Vec<_> = r
        .fetches
        .iter()
        .filter(|f| f.rtype == ResourceType::Audio)
        .collect();
    assert_eq!(audio.len(), 3);
    let again = w.call("a.vxml").await;
    assert_eq!(decision(&again, "/tone.wav"), Some(Decision::Hit));
}

// ------------------------------------------------------- many at once ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_calls_share_one_cache() {
    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interp/flow");
    let o = origin(&flow, &rule("/**", "max-age=3600")).await;
    let clock = Arc::new(ManualClock::at_epoch_2024());
    let b = Arc::new(browser(Config::direct(), &clock, None));
    let start = o.base_url().join("step1.vxml").expect("url").to_string();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let b = Arc::clone(&b);
        let start = start.clone();
        calls.spawn(async move {
            b.call(&start, CallerInput::default(), CallOptions::default())
                .await
        });
    }
    let mut n = 0;
    while let Some(report) = calls.join_next().await {
        let r = report.expect("call task");
        assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
        assert_eq!(
            r.exit_value,
            Some(serde_json::json!(4)),
            "four steps visited"
        );
        assert_eq!(r.prompts.len(), 5);
        assert_eq!(
            r.prompts[4].text(),
            "Goodbye after STEP1 > STEP2 > STEP3 > STEP4."
        );
        n += 1;
    }
    assert_eq!(n, 100);
    // Six resources, each asked of the origin once: the rest were hits
    // (single flight folds the concurrent misses into one request).
    assert_eq!(o.log().total(), 6, "{:?}", o.log().records());
    assert_eq!(b.parser().parses(), 6);
}

#[test]
fn call_blocking_runs_a_call_without_a_runtime() {
    let flow = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/interp/flow");
    let clock = Arc::new(ManualClock::at_epoch_2024());
    let b = browser(Config::direct(), &clock, Some(&flow));
    let start = url::Url::from_file_path(flow.join("step3.vxml")).expect("file URL");
    let r = b.call_blocking(
        start.as_str(),
        CallerInput::default(),
        CallOptions::default(),
    );
    assert_eq!(r.ended, CallEnd::Exit);
    assert_eq!(
        r.exit_value,
        Some(serde_json::json!(2)),
        "steps 3 and 4 visited"
    );
}

#[tokio::test]
async fn the_roots_scripts_are_fetched_with_the_roots_properties_not_the_leafs() {
    let w = world(
        &[
            (
                "root.vxml",
                r#"<vxml version="2.1"><script src="r.js"/></vxml>"#,
            ),
            (
                "leaf.vxml",
                r#"<vxml version="2.1" application="root.vxml"><property name="scriptmaxage" value="0"/><form><block><log><value expr="r"/></log></block></form></vxml>"#,
            ),
            ("r.js", "var r = 'root script';"),
        ],
        &rule("/r.js", "max-age=3600"),
    )
    .await;
    let r = w.call("leaf.vxml").await;
    assert_eq!(logs(&r), vec!["root script"]);
    assert_eq!(decision(&r, "/r.js"), Some(Decision::Miss));
    w.clock.advance(Duration::from_secs(10));
    let r = w.call("leaf.vxml").await;
    assert_eq!(
        decision(&r, "/r.js"),
        Some(Decision::Hit),
        "{:?}",
        r.fetches
    );
    let script = r
        .fetches
        .iter()
        .find(|f| f.url.ends_with("/r.js"))
        .expect("fetch");
    assert_eq!(script.rtype, ResourceType::Script);
}

// ------------------------------------------------------------ fetchhint ----

/// The URLs the call fetched as `rtype`, in order.
fn fetched(r: &CallReport, rtype: ResourceType) -> Vec<&str> {
    r.fetches
        .iter()
        .filter(|f| f.rtype == rtype)
        .map(|f| f.url.as_str())
        .collect()
}

#[tokio::test]
async fn fetchhint_prefetch_fetches_audio_and_scripts_when_the_document_loads() {
    // The marked sources sit where the call never goes (a form it never
    // enters, a handler never run): only a prefetch can fetch them.
    let doc = vxml(
        r##"<catch event="never"><audio src="handler.wav" fetchhint="prefetch"/></catch>
<form id="first"><block>
  <log>first</log>
  <audio src="played.wav" fetchhint="prefetch"/>
  <exit/>
</block></form>
<form id="unvisited"><block>
  <script src="lib.js" fetchhint="prefetch"/>
  <audio src="safe.wav" fetchhint="safe"/>
  <audio src="unmarked.wav"/>
  <audio expr="'by-expr.wav'" fetchhint="prefetch"/>
</block></form>"##,
    );
    let w = world(
        &[("a.vxml", &doc), ("lib.js", "var lib = 1;")],
        &rule("/**", "max-age=600"),
    )
    .await;
    for name in [
        "handler.wav",
        "played.wav",
        "safe.wav",
        "unmarked.wav",
        "by-expr.wav",
    ] {
        write(w.dir.path(), name, wav(800));
    }
    let r = w.call("a.vxml").await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(logs(&r), ["first"]);
    assert_eq!(
        fetched(&r, ResourceType::Audio),
        [
            w.url("handler.wav"),
            w.url("played.wav"),
            w.url("played.wav")
        ],
        "prefetched at load, then played"
    );
    assert_eq!(fetched(&r, ResourceType::Script), [w.url("lib.js")]);
    // The play found the prefetched copy: the prefetch was a miss, the play a hit.
    let played: Vec<_> = r
        .fetches
        .iter()
        .filter(|f| f.url.ends_with("/played.wav"))
        .map(|f| f.decision())
        .collect();
    assert_eq!(played, [Some(Decision::Miss), Some(Decision::Hit)]);
    // Loading happens before the document runs: the prefetches come right
    // after the document's own fetch.
    let order: Vec<_> = r.fetches.iter().map(|f| f.rtype).collect();
    assert_eq!(
        order[..4],
        [
            ResourceType::Document,
            ResourceType::Audio,
            ResourceType::Audio,
            ResourceType::Script
        ]
    );
}

#[tokio::test]
async fn fetchhint_properties_set_the_default_and_safe_still_waits() {
    let doc = vxml(
        r#"<property name="audiofetchhint" value="prefetch"/>
<form><block><exit/></block></form>
<form id="unvisited"><block>
  <audio src="unmarked.wav"/>
  <audio src="safe.wav" fetchhint="safe"/>
  <script src="lib.js"/>
</block></form>"#,
    );
    let w = world(&[("a.vxml", &doc), ("lib.js", "var lib = 1;")], "").await;
    write(w.dir.path(), "unmarked.wav", wav(800));
    write(w.dir.path(), "safe.wav", wav(800));
    let r = w.call("a.vxml").await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(fetched(&r, ResourceType::Audio), [w.url("unmarked.wav")]);
    assert!(
        fetched(&r, ResourceType::Script).is_empty(),
        "scriptfetchhint is safe by default"
    );
}

#[tokio::test]
async fn a_failed_prefetch_is_not_an_event() {
    let doc = vxml(
        r#"<form><block>
  <log>ran</log>
  <audio src="missing.wav" fetchhint="prefetch">fallback</audio>
</block></form>"#,
    );
    let w = world(&[("a.vxml", &doc)], "").await;
    let r = w.call("a.vxml").await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert!(r.events.is_empty(), "{:?}", r.events);
    assert_eq!(logs(&r), ["ran"]);
    // Fetched at load (404), then again when the prompt needs it, whose
    // failure is the prompt's: its fallback is spoken.
    assert_eq!(
        fetched(&r, ResourceType::Audio),
        [w.url("missing.wav"), w.url("missing.wav")]
    );
    assert_eq!(r.prompts.len(), 1, "{:?}", r.prompts);
    assert_eq!(r.prompts[0].text(), "fallback");
}

// ------------------------------------------------------- parse budgets ----

/// An internal DTD whose entity `l{levels-1}` expands to 10^levels bytes,
/// each reference small: the "billion laughs" kept under every
/// per-reference guard.
fn laughs_dtd(root: &str, levels: usize) -> String {
    let mut dtd = format!("<!DOCTYPE {root} [\n<!ENTITY l0 \"xxxxxxxxxx\">\n");
    for k in 1..levels {
        dtd += &format!(
            "<!ENTITY l{k} \"{}\">\n",
            format!("&l{};", k - 1).repeat(10)
        );
    }
    dtd + "]>\n"
}

#[tokio::test]
async fn documents_data_and_grammars_that_expand_past_their_budget_are_badfetch() {
    let top = "&l6;".repeat(3); // 3 × 10 MB from a page of a few hundred bytes
    let page = format!(
        "<?xml version=\"1.0\"?>\n{}<vxml xmlns=\"http://www.w3.org/2001/vxml\" version=\"2.1\">\n<form><block>{top}</block></form>\n</vxml>\n",
        laughs_dtd("vxml", 7)
    );
    let data = format!(
        "<?xml version=\"1.0\"?>\n{}<quote>{top}</quote>\n",
        laughs_dtd("quote", 7)
    );
    let grammar = format!(
        "<?xml version=\"1.0\"?>\n{}<grammar xmlns=\"http://www.w3.org/2001/06/grammar\" version=\"1.0\" root=\"r\" mode=\"dtmf\">\n<rule id=\"r\"><item>{top}</item></rule>\n</grammar>\n",
        laughs_dtd("grammar", 7)
    );
    let catching = |what: &str| {
        vxml(&format!(
            r#"<form><block>{what}</block><catch event="error.badfetch"><log expr="'caught: ' + _message"/><exit/></catch></form>"#
        ))
    };
    let many: String = "<q/>".repeat(300_000);
    let w = world(
        &[
            ("laughs.vxml", &page),
            ("data.vxml", &catching(r#"<data name="d" src="quote.xml"/>"#)),
            ("quote.xml", &data),
            ("many.vxml", &catching(r#"<data name="d" src="many.xml"/>"#)),
            ("many.xml", &format!("<quotes>{many}</quotes>")),
            (
                "grammar.vxml",
                &vxml(r#"<form><field name="f"><grammar src="g.grxml"/><prompt>Say</prompt></field><catch event="error.badfetch"><log expr="'caught: ' + _message"/><exit/></catch></form>"#),
            ),
            ("g.grxml", &grammar),
        ],
        "",
    )
    .await;

    let r = w.call("laughs.vxml").await;
    match &r.ended {
        CallEnd::Error { event, message } => {
            assert_eq!(event, "error.badfetch");
            assert!(
                message.contains("expand to more than 1048576 bytes"),
                "{message}"
            );
            assert!(message.contains("laughs.vxml:12"), "{message}");
        }
        other => panic!("expected error.badfetch, got {other:?}"),
    }
    assert!(r.prompts.is_empty());

    for (page, why) in [
        ("data.vxml", "expand to more than 1048576 bytes"),
        ("many.vxml", "nodes"),
        ("grammar.vxml", "expand to more than 1048576 bytes"),
    ] {
        let r = w.call(page).await;
        let logs: Vec<&str> = r.logs.iter().map(|l| l.message.as_str()).collect();
        assert_eq!(logs.len(), 1, "{page}: {:?}", r.ended);
        assert!(logs[0].starts_with("caught: "), "{page}: {logs:?}");
        assert!(logs[0].contains(why), "{page}: {logs:?}");
    }
    // Nothing refused was kept.
    let held: Vec<String> = w
        .browser
        .fetcher()
        .store()
        .entries()
        .iter()
        .map(|e| e.entry.url.to_string())
        .collect();
    for refused in ["laughs.vxml", "quote.xml", "many.xml", "g.grxml"] {
        assert!(
            !held.iter().any(|u| u.ends_with(refused)),
            "{refused} kept: {held:?}"
        );
    }
}

//! vxb browsers behind a real shared caching tier: Squid (the Debian
//! package), started from the configuration `vxb tier squid` writes, on a
//! loopback port with its own temporary directory, in front of vxb's own
//! origin, whose request log counts what reached it.
//!
//! Where Squid is not installed (and could not be: `.ci/run` installs it as
//! root), each test says so and passes without checking anything; with
//! `VXB_REQUIRE_SQUID=1` (set by `.ci/run`) a missing Squid fails instead.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use url::Url;
use vxb::clock::SystemClock;
use vxb::config::{Config, MaxAgeMode, ProxyList, ProxySetting};
use vxb::fetch::tier::TierDecision;
use vxb::fetch::{FetchRequest, Fetched, Fetcher, Referrer};
use vxb::fleet::{Squid, SquidConfig, SquidError};
use vxb::resource::ResourceType::Document;
use vxb::serve::Origin;

#[path = "support/fixtures.rs"]
mod fixtures;
use fixtures::{origin, site};

/// A private Squid on a free loopback port, or `None` (with the reason
/// printed) where Squid is not installed.
fn squid() -> Option<Squid> {
    let config = SquidConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        memory_mb: 16,
        ..SquidConfig::default()
    };
    match Squid::start(&config) {
        Ok(s) => Some(s),
        Err(SquidError::NotInstalled) if std::env::var_os("VXB_REQUIRE_SQUID").is_none() => {
            eprintln!("skipped: squid is not installed (apt-get install squid)");
            None
        }
        Err(e) => panic!("squid: {e}"),
    }
}

/// A browser (its own process-wide cache) whose requests go through `tier`.
fn browser(tier: &Squid, maxage: MaxAgeMode) -> Arc<Fetcher> {
    let mut config = Config::direct();
    config.fetch.proxy = ProxySetting::Urls(ProxyList::new(vec![tier.url()]).expect("one proxy"));
    config.cache.maxage = maxage;
    Fetcher::new(Arc::new(config), Arc::new(SystemClock), None).expect("fetcher builds")
}

async fn fetch(browser: &Arc<Fetcher>, req: FetchRequest) -> Fetched {
    let url = req.url.clone();
    browser
        .call()
        .fetch(&req, None)
        .await
        .unwrap_or_else(|e| panic!("fetch {url}: {e}"))
}

fn get(url: &Url) -> FetchRequest {
    FetchRequest::get(url.clone(), Document, Referrer::User)
}

/// An origin serving `/page.vxml` with the response headers `headers`
/// (TOML inline-table body, e.g. `"Cache-Control" = "max-age=60"`).
async fn page_origin(headers: &str) -> (tempfile::TempDir, Origin, Url) {
    let dir = site(&[("page.vxml", "<vxml version=\"2.1\"/>")]);
    let rules = format!("[[rule]]\npath = \"/**\"\nheaders = {{ {headers} }}\n");
    let o = origin(dir.path(), &rules).await;
    let url = o.base_url().join("/page.vxml").expect("URL");
    (dir, o, url)
}

/// The tier's access-log lines for `url` (`TCP_MISS/200`, `TCP_MEM_HIT/200`…),
/// once there are at least `want` of them: Squid logs a request after it
/// has answered it, so the line may come just after the response. Gives up
/// (returning what there is) after 10 s.
fn tier_lines(tier: &Squid, url: &Url, want: usize) -> Vec<String> {
    let lines = || -> Vec<String> {
        tier.access_log()
            .into_iter()
            .filter(|l| l.contains(url.as_str()))
            .collect()
    };
    for _ in 0..200 {
        let now = lines();
        if now.len() >= want {
            return now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    lines()
}

#[tokio::test]
async fn a_second_browsers_miss_reaches_no_origin() {
    let Some(tier) = squid() else { return };
    let (_dir, o, url) = page_origin("\"Cache-Control\" = \"max-age=60\"").await;
    let (a, b) = (
        browser(&tier, MaxAgeMode::Overrides),
        browser(&tier, MaxAgeMode::Overrides),
    );
    let first = fetch(&a, get(&url)).await;
    let second = fetch(&b, get(&url)).await;
    assert_eq!(first.decision().as_str(), "miss");
    assert_eq!(second.decision().as_str(), "miss", "b's own cache was cold");
    assert_eq!(second.body(), first.body());
    assert_eq!(o.log().requests("/page.vxml"), 1, "the tier answered b");
    // Each fetch says what the tier did; b's record and statistics too.
    let tier_of = |f: &Fetched| f.tier().map(|t| t.decision);
    assert_eq!(tier_of(&first), Some(TierDecision::Miss));
    assert_eq!(tier_of(&second), Some(TierDecision::Hit));
    let call = b.call();
    let third = call.fetch(&get(&url), None).await.expect("fetch");
    assert_eq!(third.decision().as_str(), "hit", "b's own cache now");
    assert_eq!(tier_of(&third), None, "the tier was not asked");
    assert_eq!(b.store().stats()[Document].tier_hits, 1);
    assert_eq!(a.store().stats()[Document].tier_hits, 0);
    let lines = tier_lines(&tier, &url, 2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[1].contains("HIT"), "{lines:?}");
}

#[tokio::test]
async fn maxage_0_makes_one_conditional_request_answered_304() {
    let Some(tier) = squid() else { return };
    let (_dir, o, url) = page_origin("\"Cache-Control\" = \"max-age=60\"").await;
    let (a, b) = (
        browser(&tier, MaxAgeMode::Overrides),
        browser(&tier, MaxAgeMode::Overrides),
    );
    fetch(&a, get(&url)).await;
    let fresh = fetch(&b, get(&url).max_age(Duration::ZERO)).await;
    assert_eq!(fresh.status(), 200);
    assert_eq!(o.log().requests("/page.vxml"), 2);
    assert_eq!(o.log().conditional("/page.vxml"), 1);
    assert_eq!(o.log().statuses("/page.vxml"), [200, 304]);
}

#[tokio::test]
async fn maxstale_within_bounds_reaches_no_origin() {
    let Some(tier) = squid() else { return };
    // Ten seconds stale the moment it arrives: no waiting for it to age.
    let (_dir, o, url) = page_origin("\"Cache-Control\" = \"max-age=5\", \"Age\" = \"15\"").await;
    let tiered = |_| browser(&tier, MaxAgeMode::Overrides);
    let [a, b, c] = [0, 1, 2].map(tiered);
    fetch(&a, get(&url)).await;
    assert_eq!(o.log().requests("/page.vxml"), 1);
    let stale_ok = fetch(&b, get(&url).max_stale(Duration::from_secs(60))).await;
    assert_eq!(stale_ok.status(), 200);
    assert_eq!(
        o.log().requests("/page.vxml"),
        1,
        "maxstale 60 covers 10 s stale"
    );
    // Without maxstale the tier must ask the origin: the copy is stale.
    fetch(&c, get(&url)).await;
    assert_eq!(o.log().requests("/page.vxml"), 2);
    assert_eq!(o.log().conditional("/page.vxml"), 1);
}

#[tokio::test]
async fn overrides_reaches_the_tier_as_max_age_and_max_stale() {
    let Some(tier) = squid() else { return };
    // A 10 s lifetime, 20 s old on arrival: stale by 10 s, younger than 60 s.
    let (_dir, o, url) = page_origin("\"Cache-Control\" = \"max-age=10\", \"Age\" = \"20\"").await;
    fetch(&browser(&tier, MaxAgeMode::Overrides), get(&url)).await;
    assert_eq!(o.log().requests("/page.vxml"), 1);
    // "overrides": maxage 60 accepts anything up to 60 s old, as this
    // browser's own cache would; the tier serves its stale copy.
    let over = browser(&tier, MaxAgeMode::Overrides);
    fetch(&over, get(&url).max_age(Duration::from_secs(60))).await;
    assert_eq!(
        o.log().requests("/page.vxml"),
        1,
        "overrides: served by the tier"
    );
    // "limits": maxage 60 only shortens the 10 s lifetime; the tier revalidates.
    let limits = browser(&tier, MaxAgeMode::Limits);
    fetch(&limits, get(&url).max_age(Duration::from_secs(60))).await;
    assert_eq!(
        o.log().requests("/page.vxml"),
        2,
        "limits: the origin is asked"
    );
    assert_eq!(o.log().conditional("/page.vxml"), 1);
}

#[tokio::test]
async fn four_concurrent_cold_fetches_from_four_browsers_make_one_origin_request() {
    let Some(tier) = squid() else { return };
    let dir = site(&[("slow.vxml", "<vxml version=\"2.1\"/>")]);
    // The origin takes its time, so the four requests overlap at the tier.
    let rules = "[[rule]]\npath = \"/**\"\ndelay = \"500ms\"\n\
                 headers = { \"Cache-Control\" = \"max-age=60\" }\n";
    let o = origin(dir.path(), rules).await;
    let url = o.base_url().join("/slow.vxml").expect("URL");
    let browsers: Vec<_> = (0..4)
        .map(|_| browser(&tier, MaxAgeMode::Overrides))
        .collect();
    let [a, b, c, d] = [0, 1, 2, 3].map(|i| &browsers[i]);
    let all = tokio::join!(
        fetch(a, get(&url)),
        fetch(b, get(&url)),
        fetch(c, get(&url)),
        fetch(d, get(&url))
    );
    assert!(
        [all.0, all.1, all.2, all.3]
            .iter()
            .all(|f| f.status() == 200)
    );
    assert_eq!(o.log().requests("/slow.vxml"), 1, "collapsed at the tier");
    assert_eq!(tier_lines(&tier, &url, 4).len(), 4);
}

#[tokio::test]
async fn proxy_none_bypasses_an_http_proxy_that_is_set() {
    let Some(tier) = squid() else { return };
    let (dir, o, url) = page_origin("\"Cache-Control\" = \"max-age=60\"").await;
    let none = dir.path().join("none.toml");
    std::fs::write(&none, "[fetch]\nproxy = \"none\"\n").expect("write config");
    let tier_url = tier.url();
    let page = url.clone();
    // `vxb fetch` with HTTP_PROXY pointing at the tier, in a blocking task
    // (the origin answers on this test's runtime).
    let run = |config: Option<std::path::PathBuf>| {
        let (tier_url, page) = (tier_url.clone(), page.clone());
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_vxb"));
            cmd.args(["fetch", page.as_str()]);
            if let Some(c) = config {
                cmd.arg("--config").arg(c);
            }
            cmd.env("HTTP_PROXY", tier_url.as_str())
                .env("http_proxy", tier_url.as_str())
                .env_remove("NO_PROXY")
                .env_remove("no_proxy");
            let out = cmd.output().expect("vxb runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
    };
    run(Some(none)).await.expect("vxb fetch with proxy = none");
    assert_eq!(o.log().requests("/page.vxml"), 1);
    assert_eq!(tier_lines(&tier, &url, 0), Vec::<String>::new(), "bypassed");
    // The default, proxy = "env", does go through the tier.
    run(None).await.expect("vxb fetch with proxy = env");
    assert_eq!(o.log().requests("/page.vxml"), 2);
    assert_eq!(tier_lines(&tier, &url, 1).len(), 1);
}

#[tokio::test]
async fn two_nodes_each_url_goes_to_the_node_its_hash_names() {
    let (Some(n1), Some(n2)) = (squid(), squid()) else {
        return;
    };
    let names: Vec<String> = (0..16).map(|i| format!("p{i}.vxml")).collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .map(|n| (n.as_str(), "<vxml version=\"2.1\"/>"))
        .collect();
    let dir = site(&files);
    let o = origin(
        dir.path(),
        "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"max-age=60\" }\n",
    )
    .await;
    let nodes = vec![n1.url(), n2.url()];
    let mut config = Config::direct();
    config.fetch.proxy = ProxySetting::Urls(ProxyList::new(nodes.clone()).expect("two"));
    let b = Fetcher::new(Arc::new(config), Arc::new(SystemClock), None).expect("fetcher");
    let mut on = [0, 0];
    for name in &names {
        let url = o.base_url().join(name).expect("URL");
        fetch(&b, get(&url)).await;
        let node = vxb::fetch::tier::pick(&nodes, &url).expect("a node");
        let (chosen, other) = if *node == nodes[0] {
            (&n1, &n2)
        } else {
            (&n2, &n1)
        };
        assert_eq!(tier_lines(chosen, &url, 1).len(), 1, "{url} on its node");
        assert_eq!(
            tier_lines(other, &url, 0).len(),
            0,
            "{url} not on the other"
        );
        on[usize::from(*node != nodes[0])] += 1;
    }
    assert!(on[0] > 0 && on[1] > 0, "both nodes hold URLs: {on:?}");
    assert_eq!(o.log().total(), names.len());
}

//! What the interpreter's end-to-end tests share besides `fixtures.rs`:
//! a site on a live origin with a browser to call it, wrapping a document,
//! reading a report. Each test crate uses a subset.
#![allow(dead_code)]

use std::sync::Arc;

use tempfile::TempDir;
use vxb::clock::{Clock, SystemClock};
use vxb::config::Config;
use vxb::serve::Origin;
use vxb::{Browser, CallEnd, CallOptions, CallReport, CallerInput};

use crate::fixtures::{origin, write};

/// A site on a live origin and a browser to call it with.
pub struct World {
    pub dir: TempDir,
    pub origin: Origin,
    pub browser: Browser,
}

/// `files` served with the rules file text `rules`, called with `config`.
pub async fn world_with(files: &[(&str, &str)], rules: &str, config: Config) -> World {
    world_on(files, rules, config, 2).await
}

/// As [`world_with`], with `workers` call workers (1: consecutive calls
/// share one worker and its engines).
pub async fn world_on(
    files: &[(&str, &str)],
    rules: &str,
    config: Config,
    workers: usize,
) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        write(dir.path(), name, body.as_bytes());
    }
    let origin = origin(dir.path(), rules).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let browser = Browser::with_workers(config, clock, Some(dir.path()), workers).expect("browser");
    World {
        dir,
        origin,
        browser,
    }
}

pub async fn world(files: &[(&str, &str)]) -> World {
    world_with(files, "", Config::direct()).await
}

impl World {
    pub fn url(&self, path: &str) -> String {
        self.origin.base_url().join(path).expect("path").to_string()
    }

    pub async fn call(&self, path: &str, input: &[&str]) -> CallReport {
        let input = CallerInput::parse(input).expect("tokens");
        self.browser
            .call(&self.url(path), input, CallOptions::default())
            .await
    }
}

/// What the caller heard, as text.
pub fn prompts(r: &CallReport) -> Vec<&str> {
    r.prompts.iter().map(|p| p.text()).collect()
}

/// The names of the events thrown, in order.
pub fn events(r: &CallReport) -> Vec<&str> {
    r.events.iter().map(|e| e.name.as_str()).collect()
}

/// The event and message of a call that ended in an error.
pub fn error_of(r: &CallReport) -> (&str, &str) {
    match &r.ended {
        CallEnd::Error { event, message } => (event.as_str(), message.as_str()),
        other => panic!("expected an error end, got {other:?}"),
    }
}

/// A VoiceXML 2.1 document around `body` (which starts on line 3).
pub fn vxml(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n{body}\n</vxml>\n"
    )
}

/// The messages of the call's `<log>`s.
pub fn logs(r: &CallReport) -> Vec<&str> {
    r.logs.iter().map(|l| l.message.as_str()).collect()
}

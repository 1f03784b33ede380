//! What the end-to-end tests share: writing a site and serving it on
//! 127.0.0.1. Each test crate uses a subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::Path;

use tempfile::TempDir;
use vxb::serve::{Origin, Rules, ServeOptions};

/// A temporary directory holding `files` (name, body).
pub fn site(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        write(dir.path(), name, body);
    }
    dir
}

/// Writes `body` at `name` under `dir`, making directories as needed.
pub fn write(dir: &Path, name: &str, body: impl AsRef<[u8]>) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, body).expect("write fixture");
}

/// Serves `dir` on 127.0.0.1 (ephemeral port) with the rules file text `rules`.
pub async fn origin(dir: &Path, rules: &str) -> Origin {
    let options = ServeOptions {
        rules: Rules::parse(rules, Path::new("rules.toml")).expect("test rules parse"),
        ..ServeOptions::new(dir)
    };
    Origin::start(options).await.expect("origin starts")
}

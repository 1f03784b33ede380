//! Build script: `VXB_VERSION` for `vxb --version` — the package version,
//! and the commit when the source is a git checkout (`0.1.0 (3f2c1ab)`).
//! Without git (a source tarball) the version alone.

use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let commit = Command::new("git")
        .args(["rev-parse", "--short=9", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let full = match commit {
        Some(c) => format!("{version} ({c})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=VXB_VERSION={full}");
    // A new commit changes HEAD (detached) or the branch ref it points to.
    // (A path that does not exist would rerun the script on every build.)
    let watch = |path: String| {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    };
    if let Some(git_dir) = git_path("--git-dir") {
        watch(format!("{git_dir}/HEAD"));
    }
    if let (Some(common), Some(head_ref)) = (
        git_path("--git-common-dir"),
        git_path_of(&["symbolic-ref", "-q", "HEAD"]),
    ) {
        watch(format!("{common}/{head_ref}"));
    }
    println!("cargo:rerun-if-changed=build.rs");
}

fn git_path(flag: &str) -> Option<String> {
    git_path_of(&["rev-parse", flag])
}

fn git_path_of(args: &[&str]) -> Option<String> {
    Command::new("git")
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

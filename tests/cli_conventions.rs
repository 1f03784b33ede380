//! The command line's conventions through the real binary: `check-config`
//! as TOML that parses back, shell completions, the man page, `--version`
//! with the commit, the order of the subcommands, `--quiet`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use vxb::config::Config;

fn vxb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("the vxb binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn check_config_prints_toml_that_parses_back_into_the_same_configuration() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("vxb.toml");
    std::fs::write(
        &file,
        "[fetch]\ntimeout = \"30s\"\n[cache]\nmust_revalidate = \"always\"\n\
         [cache.document]\ndefault_max_age = \"1h\"\n[limits]\nmax_document_transitions = 20\n",
    )
    .expect("config written");
    let out = vxb(&["check-config", file.to_str().expect("UTF-8 path")]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    for line in [
        "[fetch]\ntimeout = \"30s\"  # default: \"7s\"\n",
        "must_revalidate = \"always\"  # default: \"when-stale\"\n",
        "[cache.document]\n",
        "default_max_age = \"1h\"  # default: \"0s\"\n",
        "max_heuristic_lifetime = \"24h\"\n",
        "max_document_transitions = 20  # default: 1000\n",
    ] {
        assert!(text.contains(line), "no `{line}` in:\n{text}");
    }
    let original = Config::load(&file).expect("valid");
    let back = Config::parse(&text, Path::new("printed.toml")).expect("the output parses");
    assert_eq!(back, original);
}

#[test]
fn completions_are_generated_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef vxb"),
        ("fish", "complete -c vxb"),
    ] {
        let out = vxb(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {out:?}");
        let text = stdout(&out);
        assert!(text.contains(marker), "{shell}: {text}");
        // Every subcommand is offered.
        for sub in ["run", "simulate", "check-config", "manpage"] {
            assert!(text.contains(sub), "{shell} lacks {sub}");
        }
    }
    assert_eq!(vxb(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_man_page_is_generated_on_stdout_or_one_per_command() {
    let out = vxb(&["manpage"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let page = stdout(&out);
    assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page}");
    assert!(page.contains(".TH vxb 1"), "{page}");
    assert!(page.contains("vxb\\-run"), "{page}");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = vxb(&["manpage", "--dir", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    for page in ["vxb.1", "vxb-run.1", "vxb-simulate.1", "vxb-check-config.1"] {
        let text = std::fs::read_to_string(dir.path().join(page)).expect(page);
        assert!(text.contains(".SH NAME"), "{page}: {text}");
    }
}

#[test]
fn version_names_the_commit_when_built_from_git() {
    let out = vxb(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let expected = format!("vxb {}", env!("CARGO_PKG_VERSION"));
    assert!(text.starts_with(&expected), "{text}");
    let head = Command::new("git")
        .args(["rev-parse", "--short=9", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success());
    if let Some(head) = head {
        // Built from this checkout: the commit it was built at (a commit
        // made since needs a rebuild, which cargo test does).
        let commit = String::from_utf8_lossy(&head.stdout).trim().to_string();
        assert_eq!(text, format!("{expected} ({commit})\n"));
    }
}

#[test]
fn help_lists_the_call_first_and_the_tools_after() {
    let help = stdout(&vxb(&["--help"]));
    let at = |name: &str| {
        help.find(&format!("\n  {name} "))
            .unwrap_or_else(|| panic!("{name} not listed:\n{help}"))
    };
    let order = [
        "run",
        "simulate",
        "fetch",
        "lint",
        "serve",
        "proxy",
        "bench",
        "check-config",
        "completions",
        "manpage",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{pair:?}:\n{help}");
    }
}

#[test]
fn quiet_leaves_the_call_transcript_and_drops_warnings() {
    let out = vxb(&[
        "run",
        "--quiet",
        "vxml-samples/hello/index.vxml",
        "--input",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).contains("ended: "), "{}", stdout(&out));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let both = vxb(&["-q", "-v", "run", "vxml-samples/hello/index.vxml"]);
    assert_eq!(both.status.code(), Some(2), "{both:?}");
    assert!(
        String::from_utf8_lossy(&both.stderr).contains("cannot be used with"),
        "{both:?}"
    );
}

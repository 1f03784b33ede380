//! `vxb completions <shell>` and `vxb manpage`: the command line describing
//! itself, generated from the same clap definitions that parse it, so the
//! completions and the man pages never disagree with the binary.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, EXIT_FAILED, EXIT_OK};

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: Shell) -> u8 {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "vxb", &mut out);
    if out.flush().is_err() {
        return EXIT_FAILED;
    }
    EXIT_OK
}

/// Writes `vxb(1)` to stdout, or with `dir`, one page per command into it
/// (`vxb.1`, `vxb-run.1`, …).
pub fn manpage(dir: Option<&Path>) -> u8 {
    let written = match dir {
        Some(dir) => std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(Cli::command(), dir)),
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .and_then(|()| std::io::stdout().lock().write_all(&page))
        }
    };
    match written {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("vxb manpage: {e}");
            EXIT_FAILED
        }
    }
}

//! `vxb run` and `vxb simulate` through the real binary: the samples'
//! scenarios, the caller at a terminal (a pseudo-terminal) and on a pipe,
//! tracing, the cache listing, and every bad-input path (one line on
//! stderr naming the file, exit code 2).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/report_schema.rs"]
mod report_schema;

/// `vxb ARGS` from the crate root, with no `RUST_LOG` from the environment.
fn vxb(args: &[&str]) -> Output {
    vxb_env(args, &[])
}

/// `vxb ARGS` with extra environment variables.
fn vxb_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args(args)
        .env("NO_PROXY", "127.0.0.1,localhost") // a developer's HTTP_PROXY must not capture loopback
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the vxb binary runs")
}

/// `vxb ARGS` off the runtime's threads, so an origin served by the test
/// keeps answering while the process runs.
async fn vxb_async(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        vxb(&args)
    })
    .await
    .expect("vxb ran")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `vxb run` with `stdin` piped in.
fn vxb_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args(args)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the vxb binary runs");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.as_bytes()).expect("stdin written");
    }
    child.wait_with_output().expect("vxb ends")
}

/// A path as an argument.
fn arg(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The one line a usage error prints: exit code 2, nothing on stdout,
/// exactly one line on stderr.
fn usage_error(out: &Output) -> String {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}stderr: {err}",
        stdout(out)
    );
    assert_eq!(stdout(out), "", "a usage error places no call");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err.trim_end().to_string()
}

/// A port on 127.0.0.1 nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// A field that takes no recognition to exercise: noinput and nomatch are
/// answered by their handlers, and the call goes on until the caller hangs up.
const ASK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml">
  <form>
    <field name="pin" type="digits">
      <prompt>Please key in your number.</prompt>
      <noinput>I did not hear you. <reprompt/></noinput>
      <nomatch>That is not a number. <reprompt/></nomatch>
    </field>
  </form>
</vxml>
"#;

// ----- run: output, report, cache listing -----------------------------------------

#[test]
fn run_plays_the_hello_sample_and_writes_its_report() {
    let dir = TempDir::new().expect("tempdir");
    let json = dir.path().join("report.json");
    let out = vxb(&[
        "run",
        "vxml-samples/hello/index.vxml",
        "--input",
        "hangup",
        "--json",
        arg(&json),
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("vxml-samples/hello");
    let url = |name: &str| format!("file://{}/{name}", root.display());
    assert_eq!(
        lines,
        [
            format!("fetch miss 200 {}", url("index.vxml")),
            format!("fetch miss 200 {}", url("welcome.wav")),
            format!("fetch miss 200 {}", url("goodbye.wav")),
            "prompt: Hello from vxb, a miniature voice browser.".into(),
            format!("prompt: [audio {}, 1.94s]", url("welcome.wav")),
            "prompt: That was a recording. This sentence is text to speech.".into(),
            format!("prompt: [audio {}, 2.50s]", url("goodbye.wav")),
            "ended: exit".into(),
        ]
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report written"))
            .expect("report is JSON");
    assert_eq!(report["ended"]["how"], "exit");
    assert_eq!(
        report["prompts"][0]["text"],
        "Hello from vxb, a miniature voice browser."
    );
    assert_eq!(report["fetches"].as_array().map(Vec::len), Some(3));
}

/// `--record-audio`: the call as one 8 kHz WAVE — text as a tone of its
/// estimated length (400 ms a word), clips sample for sample where they
/// played — in either format. (With `tts` text is speech: the next test.)
#[cfg(not(feature = "tts"))]
#[test]
fn record_audio_writes_what_the_caller_heard_in_order() {
    let dir = TempDir::new().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("vxml-samples/hello");
    let clip = |name: &str| {
        vxb::audio::decode(&std::fs::read(root.join(name)).expect("sample")).expect("decodes")
    };
    let (welcome, goodbye) = (clip("welcome.wav"), clip("goodbye.wav"));
    // 7 words, the welcome clip, 10 words, the goodbye clip.
    let welcome_at = 7 * 3200;
    let goodbye_at = welcome_at + welcome.samples().len() + 10 * 3200;
    let total = goodbye_at + goodbye.samples().len();
    for (format, encoding) in [("pcm16", "16-bit PCM"), ("ulaw", "G.711 µ-law")] {
        let wav = dir.path().join(format!("call-{format}.wav"));
        let out = vxb(&[
            "run",
            "vxml-samples/hello/index.vxml",
            "--input",
            "hangup",
            "--record-audio",
            arg(&wav),
            "--record-format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
        let call = vxb::audio::decode(&std::fs::read(&wav).expect("written")).expect("a WAVE");
        assert_eq!(
            call.format().to_string(),
            format!("{encoding}, 8000 Hz, mono")
        );
        let s = call.samples();
        assert_eq!(s.len(), total, "{format}");
        assert!(s[..welcome_at].iter().any(|&x| x != 0), "text is a tone");
        // The clips are µ-law: expanded and compressed again, they are exact.
        let welcome_end = welcome_at + welcome.samples().len();
        assert_eq!(&s[welcome_at..welcome_end], welcome.samples());
        assert_eq!(&s[goodbye_at..], goodbye.samples());
    }
    let out = vxb(&[
        "run",
        "vxml-samples/hello/index.vxml",
        "--record-format",
        "mp3",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// With the `tts` feature, `--play` speaks text through eSpeak NG: the
/// sink (here the null sink: no `speaker` feature, or no sound card) is
/// handed the synthesized speech, so the report has its real length and
/// the recording holds it.
#[cfg(feature = "tts")]
#[test]
fn with_tts_play_speaks_text_and_the_recording_holds_the_speech() {
    let dir = TempDir::new().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("vxml-samples/hello");
    let clip = |name: &str| {
        vxb::audio::decode(&std::fs::read(root.join(name)).expect("sample")).expect("decodes")
    };
    let (welcome, goodbye) = (clip("welcome.wav"), clip("goodbye.wav"));
    let wav = dir.path().join("call.wav");
    let json = dir.path().join("call.json");
    let out = vxb(&[
        "run",
        "vxml-samples/hello/index.vxml",
        "--play",
        "--input",
        "hangup",
        "--record-audio",
        arg(&wav),
        "--record-format",
        "pcm16",
        "--json",
        arg(&json),
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("report")).expect("JSON");
    let ms = |i: usize| {
        report["prompts"][i]["duration_ms"]
            .as_f64()
            .expect("a duration")
    };
    // "Hello from vxb, a miniature voice browser.": 7 words, estimated at
    // 2800 ms; eSpeak NG says it in its own time.
    let (first, second) = (ms(0), ms(2));
    assert!(first > 1000.0 && first < 5000.0, "{first}");
    assert_ne!(first, 2800.0, "not the estimate");
    let call = vxb::audio::decode(&std::fs::read(&wav).expect("written")).expect("a WAVE");
    let s = call.samples();
    let frames = |ms: f64| (ms * 8.0).round() as usize;
    let welcome_at = frames(first);
    let goodbye_at = welcome_at + welcome.samples().len() + frames(second);
    // Resampled from 22.05 kHz, each speech may differ by a frame.
    let total = goodbye_at + goodbye.samples().len();
    assert!(s.len().abs_diff(total) <= 2, "{} vs {total}", s.len());
    // Speech is loud, where the tone that stands in for it never passes 1000.
    assert!(s[..welcome_at].iter().any(|&x| x.abs() > 4000), "speech");
    assert_eq!(&s[s.len() - goodbye.samples().len()..], goodbye.samples());
}

#[test]
fn run_shows_the_cache_after_the_call() {
    let out = vxb(&["run", "vxml-samples/hello/index.vxml", "--show-cache"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let listing = &text[text.find("ended: exit").expect("ended line")..];
    let header = listing.lines().nth(1).expect("a table header");
    assert_eq!(
        header.split_whitespace().collect::<Vec<_>>(),
        ["TYPE", "URL", "SIZE", "AGE", "EXPIRES", "IN", "VALIDATORS"]
    );
    let wav = listing
        .lines()
        .find(|l| l.contains("hello/welcome.wav"))
        .expect("the clip is listed");
    assert!(wav.starts_with("audio "), "{wav}");
    // A file: entry is reused while its time and size are unchanged.
    assert!(wav.contains("on change"), "{wav}");
    assert!(wav.contains("file time and size"), "{wav}");
    let audio = listing
        .lines()
        .find(|l| l.starts_with("audio ") && !l.contains("file:"))
        .expect("an audio statistics row");
    // audio: 2 entries, budget 16,000,000, 0 hits, 2 misses.
    let cells: Vec<&str> = audio.split_whitespace().collect();
    assert_eq!(cells[1], "2", "{audio}");
    assert!(cells[2].ends_with("/16000000"), "{audio}");
    assert_eq!((cells[3], cells[4]), ("0", "2"), "{audio}");
}

#[test]
fn play_sends_the_prompts_to_the_speaker_or_says_why_not() {
    let hello = "vxml-samples/hello/index.vxml";
    let silent = vxb(&["run", hello]);
    let played = vxb(&["run", hello, "--play"]);
    assert_eq!(played.status.code(), Some(0), "{}", stderr(&played));
    // The same call, heard the same way.
    assert_eq!(stdout(&played), stdout(&silent));
    if !cfg!(feature = "speaker") {
        assert_eq!(
            stderr(&played),
            "vxb run: --play: vxb was built without the `speaker` feature; audio is not \
             played (rebuild with `cargo build --features speaker`)\n"
        );
    } else if !stderr(&played).is_empty() {
        // A machine without a sound card says so, once.
        let err = stderr(&played);
        assert!(
            err.starts_with("vxb run: --play: cannot open the speaker"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

// ----- run: the caller at a terminal, on a pipe ------------------------------------

/// A pseudo-terminal: `vxb run` sees a terminal on stdin, stdout and
/// stderr, exactly as a person's shell would give it.
#[cfg(target_os = "linux")]
mod pty {
    use std::ffi::CStr;
    use std::fs::{File, OpenOptions};
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
    use std::time::{Duration, Instant};

    /// A child process that is killed if the test fails before it ends,
    /// so a stuck call does not outlive the test.
    pub struct Reaped(pub std::process::Child);

    impl Drop for Reaped {
        fn drop(&mut self) {
            if let Ok(None) = self.0.try_wait() {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }
    }

    /// The terminal's master side: what the program writes is read here,
    /// what is written here is typed.
    pub struct Terminal {
        typing: File,
        output: Receiver<Vec<u8>>,
        /// Read but not yet consumed by `expect`.
        seen: String,
    }

    /// Opens a pseudo-terminal: the terminal, and its slave side to hand
    /// to a child process.
    pub fn open() -> (Terminal, File) {
        // SAFETY: plain libc calls on a descriptor this function owns; the
        // name buffer is large enough and NUL-terminated by ptsname_r.
        let (master, slave_path) = unsafe {
            let fd = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
            assert!(fd >= 0, "posix_openpt: {}", std::io::Error::last_os_error());
            let master = File::from_raw_fd(fd);
            assert_eq!(libc::grantpt(fd), 0, "grantpt");
            assert_eq!(libc::unlockpt(fd), 0, "unlockpt");
            let mut name = [0 as libc::c_char; 256];
            assert_eq!(libc::ptsname_r(fd, name.as_mut_ptr(), name.len()), 0);
            let path = CStr::from_ptr(name.as_ptr()).to_string_lossy().into_owned();
            (master, path)
        };
        let slave = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&slave_path)
            .expect("open the pseudo-terminal's slave");
        let mut reader = master.try_clone().expect("clone the master");
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once the child has gone and the slave is closed.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let terminal = Terminal {
            typing: master,
            output,
            seen: String::new(),
        };
        (terminal, slave)
    }

    impl Terminal {
        /// Everything shown up to and including `needle` (carriage returns
        /// removed), waiting for it at most 30 s.
        pub fn expect(&mut self, needle: &str) -> String {
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if let Some(at) = self.seen.find(needle) {
                    let rest = self.seen.split_off(at + needle.len());
                    return std::mem::replace(&mut self.seen, rest);
                }
                let left = deadline.saturating_duration_since(Instant::now());
                match self.output.recv_timeout(left) {
                    Ok(bytes) => {
                        let text = String::from_utf8_lossy(&bytes).replace('\r', "");
                        self.seen.push_str(&text);
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        panic!("no {needle:?} on the terminal; it shows: {:?}", self.seen)
                    }
                    Err(RecvTimeoutError::Disconnected) => {
                        panic!(
                            "the terminal closed before {needle:?}; it showed: {:?}",
                            self.seen
                        )
                    }
                }
            }
        }

        /// Types `text` at the keyboard.
        pub fn type_in(&mut self, text: &str) {
            self.typing.write_all(text.as_bytes()).expect("typed");
        }
    }
}

#[cfg(target_os = "linux")]
#[test]
fn run_on_a_terminal_is_interactive() {
    let site = fixtures::site(&[("ask.vxml", ASK)]);
    let (mut term, slave) = pty::open();
    let child = Command::new(env!("CARGO_BIN_EXE_vxb"))
        .args(["run", arg(&site.path().join("ask.vxml"))])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("RUST_LOG")
        .stdin(slave.try_clone().expect("slave"))
        .stdout(slave.try_clone().expect("slave"))
        .stderr(slave)
        .spawn()
        .expect("vxb runs");
    let mut child = pty::Reaped(child);

    // The fetch and the first prompt are shown before the caller is asked.
    let shown = term.expect("> ");
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown:?}");
    assert!(lines[0].starts_with("fetch miss 200 file://"), "{shown:?}");
    assert_eq!(lines[1], "prompt: Please key in your number.");
    assert_eq!(lines[2], "> ");

    term.type_in("noinput\n");
    let shown = term.expect("> ");
    // The terminal echoes what was typed.
    assert_eq!(
        shown,
        "noinput\nevent noinput: no input within the timeout of 5s\nprompt: I did not hear you.\nprompt: Please key in your number.\n> "
    );

    // A line that is no token: a hint, and the caller is asked again.
    term.type_in("press one\n");
    let shown = term.expect("> ");
    assert_eq!(
        shown,
        "press one\nnot understood: `press one`; type DTMF keys (0-9 * # A-D), \
         `say <words>`, `noinput`, `nomatch`, `help` or `hangup`\n> "
    );

    term.type_in("nomatch\n");
    let shown = term.expect("> ");
    assert!(
        shown.contains("event nomatch\nprompt: That is not a number.\n"),
        "{shown:?}"
    );

    // End of input (Ctrl-D at the start of a line) hangs up.
    term.type_in("\x04");
    let shown = term.expect("ended: hangup\n");
    assert!(shown.starts_with("hangup\n"), "{shown:?}");
    assert!(
        shown.contains("event connection.disconnect.hangup"),
        "{shown:?}"
    );
    let status = child.0.wait().expect("vxb ends");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn a_scripted_call_shows_each_token_in_its_transcript_as_typed() {
    let out = vxb(&[
        "run",
        "vxml-samples/pizza/index.vxml",
        "--input",
        "1, say large, Say pepperoni and olives",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let turns: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("> ") || l.starts_with("prompt: W"))
        .collect();
    assert_eq!(
        turns,
        [
            "prompt: Welcome to Pizza Palace. For delivery, press 1 or say delivery. \
             For pickup, press 2 or say pickup.",
            "> 1",
            "prompt: What size would you like: small, medium or large? You can also \
             press 1, 2 or 3.",
            "> say large",
            "prompt: Which toppings? We have pepperoni, mushrooms and olives. You can \
             choose two, for example: pepperoni and olives.",
            "> say pepperoni and olives",
            // The script ran out: the caller hangs up.
            "> hangup",
        ],
        "{text}"
    );
}

#[test]
fn run_reads_a_token_a_line_from_a_pipe_without_prompting() {
    let site = fixtures::site(&[("ask.vxml", ASK)]);
    let out = vxb_with_stdin(
        &["run", arg(&site.path().join("ask.vxml"))],
        "noinput\n\nbogus!\nsay\nnomatch\nhangup\nnoinput\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let events: Vec<&str> = text.lines().filter(|l| l.starts_with("event ")).collect();
    assert_eq!(
        events,
        [
            "event noinput: no input within the timeout of 5s",
            "event nomatch",
            "event connection.disconnect.hangup: the caller hung up"
        ],
        "the blank line and the bad ones are skipped; `hangup` ends the call: {text}"
    );
    assert!(text.ends_with("ended: hangup\n"), "{text}");
    // The transcript shows each token taken, as a `> ` line where the
    // caller answered.
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[1..],
        [
            "prompt: Please key in your number.",
            "> noinput",
            "event noinput: no input within the timeout of 5s",
            "prompt: I did not hear you.",
            "prompt: Please key in your number.",
            "> nomatch",
            "event nomatch",
            "prompt: That is not a number.",
            "prompt: Please key in your number.",
            "> hangup",
            "event connection.disconnect.hangup: the caller hung up",
            "ended: hangup",
        ],
        "{text}"
    );
    // No `>` prompt on a pipe; one hint per bad line.
    let err = stderr(&out);
    assert!(!err.contains("> "), "{err}");
    let hints: Vec<&str> = err.lines().collect();
    assert_eq!(hints.len(), 2, "{err}");
    assert!(hints[0].starts_with("not understood: `bogus!`"), "{err}");
    assert!(hints[1].starts_with("`say` needs words after it"), "{err}");
}

#[test]
fn run_without_input_reads_tokens_from_a_piped_stdin() {
    // A blank line and a bad token are skipped (the bad one reported); the
    // first good token reaches the call's <menu>, where `delivery` leads to
    // the size question, and the end of stdin hangs up (exit 0).
    let out = vxb_with_stdin(
        &["run", "vxml-samples/pizza/index.vxml"],
        "\nbogus!\nsay:delivery\n",
    );
    let text = stdout(&out);
    assert!(text.contains("prompt: Welcome to Pizza Palace"), "{text}");
    assert!(stderr(&out).contains("bogus!"), "{}", stderr(&out));
    assert!(text.contains("What size would you like"), "{text}");
    assert!(text.contains("ended: hangup"), "{text}");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_pizza_sample_takes_an_order_by_keys_and_its_scenario_passes() {
    let out = vxb(&[
        "run",
        "vxml-samples/pizza/index.vxml",
        "--input",
        "2,noinput,7,1,say:olives,1,1",
    ]);
    let text = stdout(&out);
    let heard: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("prompt: "))
        .collect();
    assert_eq!(heard.len(), 10, "{text}");
    assert!(heard[0].starts_with("Welcome to Pizza Palace"), "{text}");
    assert_eq!(heard[2], "Please say small, medium or large.");
    assert_eq!(
        heard[4],
        "Sorry, we only make small, medium and large pizzas."
    );
    assert!(heard[6].starts_with("Which toppings?"), "{text}");
    assert_eq!(heard[7], "How many pizzas would you like?");
    assert!(
        heard[8].starts_with("You ordered 1 small pizza with olives for pickup."),
        "{text}"
    );
    assert_eq!(heard[9], "Thank you. Your order is on its way.");
    assert!(
        text.contains("log [order]: size=small toppings=olives quantity=1 method=pickup"),
        "{text}"
    );
    assert!(text.contains("event noinput") && text.contains("event nomatch"));
    assert!(text.ends_with("ended: exit\n"), "{text}");
    assert_eq!(out.status.code(), Some(0));

    let out = vxb(&["simulate", "vxml-samples/pizza/scenario.toml"]);
    assert!(
        stdout(&out).contains("2 calls: 2 passed, 0 failed"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(out.status.code(), Some(0));
}

// ----- tracing ---------------------------------------------------------------------

#[test]
fn v_traces_each_fetch_on_stderr_and_quiet_is_the_default() {
    let dir = TempDir::new().expect("tempdir");
    let json = dir.path().join("r.json");
    let hello = "vxml-samples/hello/index.vxml";

    let quiet = vxb(&["run", hello, "--input", "hangup"]);
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "", "no tracing without -v");

    let verbose = vxb(&[
        "run",
        "-v",
        hello,
        "--input",
        "hangup",
        "--json",
        arg(&json),
    ]);
    assert_eq!(verbose.status.code(), Some(0));
    let err = stderr(&verbose);
    let fetches: Vec<&str> = err.lines().filter(|l| l.contains("vxb::fetch")).collect();
    assert_eq!(fetches.len(), 3, "one line per fetch: {err}");
    assert!(fetches[0].contains("INFO"), "{err}");
    assert!(fetches[0].contains("hello/index.vxml"), "{err}");
    assert!(fetches[0].contains(" decision=miss "), "{err}");
    for line in &fetches {
        // The call the user placed is call 1 (whatever ids the process
        // handed out before it).
        assert!(line.contains(" call=1 "), "{line}");
        // A duration reads `elapsed=0.41ms`: milliseconds, two decimals.
        let elapsed = line
            .split(" elapsed=")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("an elapsed field: {line}"));
        let ms = elapsed
            .strip_suffix("ms")
            .unwrap_or_else(|| panic!("in ms: {line}"));
        assert_eq!(ms.split('.').nth(1).map(str::len), Some(2), "{line}");
        assert!(ms.parse::<f64>().is_ok(), "{line}");
        // Nothing a fetch does not have: no tier, no error, no empty field.
        assert!(!line.contains("=\"\""), "{line}");
        assert!(
            !line.contains(" error=") && !line.contains(" tier="),
            "{line}"
        );
        assert!(!line.contains(" final_url="), "not redirected: {line}");
    }
    // Not a debug line at -v, and nothing of it on stdout or in the report.
    assert!(!err.contains("DEBUG"), "{err}");
    assert_eq!(stdout(&verbose), stdout(&quiet));
    let report = std::fs::read_to_string(&json).expect("report written");
    serde_json::from_str::<serde_json::Value>(&report).expect("the report is pure JSON");

    let debug = vxb(&["-vv", "run", hello, "--input", "hangup"]);
    let err = stderr(&debug);
    let ended = err
        .lines()
        .find(|l| l.contains("DEBUG vxb::call: call ended"))
        .unwrap_or_else(|| panic!("a call-ended line: {err}"));
    assert!(
        ended.contains(" call=1 ") && ended.contains("ms "),
        "{ended}"
    );
}

#[test]
fn a_preload_is_traced_as_such_and_the_call_is_still_call_1() {
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("vxml-samples/hello/index.vxml");
    let dir = TempDir::new().expect("tempdir");
    let config = dir.path().join("vxb.toml");
    let url = format!("file://{}", hello.display());
    std::fs::write(&config, format!("[preload]\nhello = \"{url}\"\n")).expect("config");
    let out = vxb(&[
        "-v",
        "run",
        arg(&hello),
        "--config",
        arg(&config),
        "--input",
        "hangup",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    let calls: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("vxb::fetch"))
        .filter_map(|l| l.split(" call=").nth(1)?.split(' ').next())
        .collect();
    assert_eq!(calls.first(), Some(&"preload"), "{err}");
    assert_eq!(calls.last(), Some(&"1"), "{err}");
    assert!(calls.iter().all(|c| *c == "preload" || *c == "1"), "{err}");
}

#[test]
fn rust_log_chooses_what_is_traced() {
    let out = vxb_env(
        &["run", "vxml-samples/hello/index.vxml", "--input", "hangup"],
        &[("RUST_LOG", "vxb::call=debug")],
    );
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("DEBUG vxb::call: call ended"), "{err}");
    assert!(!err.contains("vxb::fetch"), "{err}");
}

// ----- run: bad input is one line and exit code 2 -----------------------------------

#[test]
fn run_of_a_missing_file_names_it() {
    let out = vxb(&["run", "vxml-samples/no-such-sample.vxml"]);
    assert_eq!(
        usage_error(&out),
        "vxb run: vxml-samples/no-such-sample.vxml: no such file"
    );
}

#[test]
fn run_of_a_directory_says_so() {
    let out = vxb(&["run", "vxml-samples/hello"]);
    assert_eq!(
        usage_error(&out),
        "vxb run: vxml-samples/hello: is a directory, not a VoiceXML document"
    );
}

#[test]
fn run_with_a_bad_input_token_names_it() {
    let out = vxb(&[
        "run",
        "vxml-samples/hello/index.vxml",
        "--input",
        "1,bogus!",
    ]);
    let err = usage_error(&out);
    assert!(
        err.starts_with("vxb run: --input: bad input token `bogus!`"),
        "{err}"
    );
}

#[test]
fn say_with_a_space_and_capitals_is_accepted_by_input() {
    let out = vxb(&[
        "run",
        "vxml-samples/pizza/index.vxml",
        "--input",
        "Say delivery, say a large one please, SAY:pepperoni and mushrooms, say two, Say yes",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("You ordered 2 large pizzas with pepperoni and mushrooms for delivery"),
        "{text}"
    );
    assert!(text.ends_with("ended: exit\n"), "{text}");
}

#[test]
fn run_with_a_bad_config_names_its_file_line_and_key() {
    let dir = fixtures::site(&[
        ("syntax.toml", "[fetch]\ntimeout = 7s\n"),
        (
            "unknown.toml",
            "[cache]\nheuristic_fraction = 0.1\nno_cahce = \"revalidate\"\n",
        ),
        (
            "duration.toml",
            "[cache.audio]\ndefault_max_age = \"three minutes\"\n",
        ),
    ]);
    let run = |name: &str| {
        let config = dir.path().join(name);
        let out = vxb(&[
            "run",
            "vxml-samples/hello/index.vxml",
            "--config",
            arg(&config),
        ]);
        (usage_error(&out), config.display().to_string())
    };
    let (err, file) = run("syntax.toml");
    assert!(err.starts_with(&format!("vxb run: {file}:2:11: ")), "{err}");
    let (err, file) = run("unknown.toml");
    assert!(err.starts_with(&format!("vxb run: {file}:3:1: ")), "{err}");
    assert!(err.contains("no_cahce"), "{err}");
    let (err, file) = run("duration.toml");
    assert!(
        err.starts_with(&format!(
            "vxb run: {file}:2:19: cache.audio.default_max_age: bad duration"
        )),
        "{err}"
    );
    let missing = vxb(&[
        "run",
        "vxml-samples/hello/index.vxml",
        "--config",
        "no-such.toml",
    ]);
    assert!(
        usage_error(&missing).starts_with("vxb run: no-such.toml: "),
        "{}",
        stderr(&missing)
    );
}

/// A diagnostic of a refused start document: exit code 2, nothing on
/// stdout, the rustc-like text on stderr.
fn start_diagnostic(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{}", stderr(out));
    assert_eq!(stdout(out), "", "nothing on stdout");
    stderr(out)
}

#[test]
fn run_of_a_malformed_start_document_shows_its_line_and_a_caret() {
    let site = fixtures::site(&[(
        "bad.vxml",
        "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n\
         <form><block><prompt>Hi</block></form></vxml>\n",
    )]);
    let path = site.path().join("bad.vxml");
    let err = start_diagnostic(&vxb(&["run", arg(&path)]));
    let url = format!("file://{}", path.display());
    assert_eq!(
        err,
        format!(
            "vxb run: cannot start the call:\n\
             error[error.badfetch]: malformed XML: expected 'prompt' tag, not 'block' at 3:24\n  \
             --> {url}:3:24\n  \
             |\n\
             3 | <form><block><prompt>Hi</block></form></vxml>\n  \
             |                        ^\n\n"
        )
    );
}

#[test]
fn run_of_a_misspelt_element_suggests_the_right_one() {
    let site = fixtures::site(&[(
        "typo.vxml",
        "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n\
         <form id=\"main\">\n  <block>\n    <promt>Hello</promt>\n  </block>\n</form>\n</vxml>\n",
    )]);
    let path = site.path().join("typo.vxml");
    let err = start_diagnostic(&vxb(&["run", arg(&path), "--input", "1"]));
    let url = format!("file://{}", path.display());
    assert_eq!(
        err,
        format!(
            "vxb run: cannot start the call:\n\
             error[error.badfetch]: <promt> is not a VoiceXML element\n  \
             --> {url}:5:5\n  \
             |\n\
             5 |     <promt>Hello</promt>\n  \
             |     ^^^^^^\n  \
             |\n  \
             = help: did you mean `<prompt>`?\n\n"
        )
    );
}

#[test]
fn a_fetch_failing_later_is_a_failed_call_not_bad_input() {
    let site = fixtures::site(&[(
        "goto.vxml",
        "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n\
         <form><block><goto next=\"nope.vxml\"/></block></form></vxml>\n",
    )]);
    let out = vxb(&["run", arg(&site.path().join("goto.vxml"))]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("fetch failed - file://"), "{text}");
    assert!(text.contains("ended: error error.badfetch: "), "{text}");
}

#[test]
fn run_of_an_unreachable_start_url_is_one_line() {
    let url = format!("http://127.0.0.1:{}/app.vxml", closed_port());
    let err = usage_error(&vxb(&["run", &url]));
    assert!(
        err.starts_with(&format!(
            "vxb run: cannot start the call: {url}: cannot connect: "
        )),
        "{err}"
    );
}

const BROKEN_RULES: &str = r#"
[[rule]]
path = "/broken.vxml"
status = 500
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_of_a_start_url_answering_404_or_500_is_one_line() {
    let site = fixtures::site(&[("broken.vxml", ASK)]);
    let origin = fixtures::origin(site.path(), BROKEN_RULES).await;
    let missing = origin.base_url().join("missing.vxml").expect("url");
    let err = usage_error(&vxb_async(&["run", missing.as_str()]).await);
    assert_eq!(
        err,
        format!("vxb run: cannot start the call: {missing}: HTTP 404 Not Found")
    );
    let broken = origin.base_url().join("broken.vxml").expect("url");
    let err = usage_error(&vxb_async(&["run", broken.as_str()]).await);
    assert_eq!(
        err,
        format!("vxb run: cannot start the call: {broken}: HTTP 500 Internal Server Error")
    );
    origin.shutdown().await;
}

// ----- simulate: bad input is one line and exit code 2 ------------------------------

#[test]
fn simulate_of_a_missing_scenario_or_an_empty_directory_names_it() {
    let err = usage_error(&vxb(&["simulate", "vxml-samples/no-such/scenario.toml"]));
    assert!(
        err.starts_with("vxb simulate: vxml-samples/no-such/scenario.toml: cannot read: "),
        "{err}"
    );
    let empty = TempDir::new().expect("tempdir");
    std::fs::write(
        empty.path().join("vxb.toml"),
        "[cache]
",
    )
    .expect("config");
    let err = usage_error(&vxb(&["simulate", arg(empty.path())]));
    assert!(err.ends_with("no scenario (*.toml with [[step]])"), "{err}");
}

/// `vxb simulate` of a scenario with `text`, written next to `ASK`.
fn simulate_text(text: &str) -> (Output, String) {
    let dir = fixtures::site(&[("scenario.toml", text), ("ask.vxml", ASK)]);
    let path = dir.path().join("scenario.toml");
    (vxb(&["simulate", arg(&path)]), path.display().to_string())
}

#[test]
fn simulate_of_a_bad_scenario_names_its_file_line_and_cause() {
    let (out, file) = simulate_text("[[step]]\ncall = \"ask.vxml\ninput = []\n");
    let err = usage_error(&out);
    assert!(
        err.starts_with(&format!("vxb simulate: {file}:2:")),
        "{err}"
    );

    let (out, file) = simulate_text("[[step]]\ncall = \"ask.vxml\"\nexpekt = [\"Please\"]\n");
    assert_eq!(
        usage_error(&out),
        format!(
            "vxb simulate: {file}:3:1: step 1: expekt: unknown field `expekt`, expected one of \
             `name`, `call`, `wait`, `input`, `allow_unused_input`, `expect`, `expect_end`, \
             `expect_events`, `expect_logs`, `expect_fetch`, `record_audio`, `record_format`"
        )
    );

    let (out, file) = simulate_text("[[step]]\ncall = \"ask.vxml\"\ninput = [\"1\", \"one\"]\n");
    let err = usage_error(&out);
    assert!(
        err.starts_with(&format!(
            "vxb simulate: {file}:3:15: step 1: input[1]: bad input token `one`"
        )),
        "{err}"
    );

    let (out, file) = simulate_text("[[step]]\ncall = \"missing.vxml\"\n");
    let err = usage_error(&out);
    assert!(
        err.starts_with(&format!("vxb simulate: {file}:2:")),
        "{err}"
    );
    assert!(err.contains("missing.vxml"), "{err}");
}

#[test]
fn simulate_with_a_bad_config_names_the_config_file_and_line() {
    let dir = fixtures::site(&[
        (
            "scenario.toml",
            "config = \"vxb.toml\"\n[[step]]\ncall = \"ask.vxml\"\n",
        ),
        ("vxb.toml", "[fetch]\ntimeout = \"seven\"\n"),
        ("ask.vxml", ASK),
    ]);
    let scenario = dir.path().join("scenario.toml");
    let config = dir.path().join("vxb.toml");
    let expected = format!(
        "vxb simulate: {}:2:11: fetch.timeout: bad duration `seven`",
        config.display()
    );
    let err = usage_error(&vxb(&["simulate", arg(&scenario)]));
    assert!(err.starts_with(&expected), "{err}");
    let err = usage_error(&vxb(&[
        "simulate",
        "vxml-samples/hello/scenario.toml",
        "--config",
        arg(&config),
    ]));
    assert!(err.starts_with(&expected), "{err}");
}

#[test]
fn simulate_of_an_unreachable_start_url_is_an_error_of_its_step_and_the_reports_are_written() {
    let url = format!("http://127.0.0.1:{}/app.vxml", closed_port());
    let dir = fixtures::site(&[
        (
            "scenario.toml",
            &format!(
                "# a comment\n[[step]]\ncall = \"ask.vxml\"\n\n[[step]]\ncall = \"{url}\"\n\n[[step]]\ncall = \"ask.vxml\"\n"
            ),
        ),
        ("ask.vxml", ASK),
    ]);
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let out = vxb(&[
        "simulate",
        arg(&dir.path().join("scenario.toml")),
        "--json",
        arg(&json),
        "--junit",
        arg(&junit),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains(&format!("step 2: call {url} (line 5) ... ERROR")),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "    cannot start the call: {url}: cannot connect: "
        )),
        "{text}"
    );
    // The steps around it ran.
    assert!(text.contains("step 3: call file://"), "{text}");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<error type=\"start\""), "{xml}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written")).expect("JSON");
    assert_eq!(report["errors"], 1);
    assert!(
        report["steps"][1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("cannot connect")),
        "{report}"
    );

    // Unless the step expects the call to fail.
    let (out, _) = simulate_text(&format!(
        "[[step]]\ncall = \"{url}\"\nexpect_end = \"error.badfetch\"\n"
    ));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simulate_of_a_start_url_answering_404_shows_its_status_and_event() {
    let site = fixtures::site(&[("broken.vxml", ASK)]);
    let origin = fixtures::origin(site.path(), BROKEN_RULES).await;
    let url = origin.base_url().join("missing.vxml").expect("url");
    let dir = fixtures::site(&[("s.toml", &format!("[[step]]\ncall = \"{url}\"\n"))]);
    let path = dir.path().join("s.toml");
    let out = vxb_async(&["simulate", arg(&path)]).await;
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(
        text.contains("    fetches: missing.vxml 404 error.badfetch.http.404\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "    cannot start the call: {url}: HTTP 404 Not Found\n"
        )),
        "{text}"
    );
    origin.shutdown().await;
}

// ----- the samples' scenarios --------------------------------------------------------

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("vxml-samples")
        .join(name)
}

#[test]
fn the_hello_sample_scenario_passes() {
    let out = vxb(&["simulate", "vxml-samples/hello/scenario.toml"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("fetches: index.vxml hit, welcome.wav hit, goodbye.wav hit"),
        "{text}"
    );
    assert!(
        text.contains("vxml-samples/hello/scenario.toml: 2 calls: 2 passed, 0 failed in "),
        "{text}"
    );
}

/// The caching sample copied to `dir` with its clock scaled down: the
/// origin's `max-age=10` becomes 1 s and the 20 s wait 2 s, so the second
/// call comes after the clips' max-age and well within the document's 60 s,
/// as in the worked example. Everything else — the document, the scenario's
/// expectations, the configuration — is the sample's own.
fn quick_caching_sample(dir: &Path) -> PathBuf {
    let from = sample("caching");
    for entry in std::fs::read_dir(&from).expect("the caching sample") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copied");
    }
    let scale = |name: &str, from: &str, to: &str| {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).expect("sample file");
        assert!(text.contains(from), "{name} no longer has {from:?}");
        std::fs::write(&path, text.replace(from, to)).expect("rewritten");
    };
    scale("rules.toml", "max-age=10", "max-age=1");
    scale("scenario.toml", "wait = \"20s\"", "wait = \"2s\"");
    scale("scenario.toml", "clock = \"virtual\"", "clock = \"real\"");
    dir.join("scenario.toml")
}

#[test]
fn the_caching_sample_refetches_only_2_wav_and_writes_both_reports() {
    let dir = TempDir::new().expect("tempdir");
    let scenario = quick_caching_sample(dir.path());
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let out = vxb(&[
        "simulate",
        arg(&scenario),
        "--json",
        arg(&json),
        "--junit",
        arg(&junit),
        "--show-cache",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    assert!(
        text.contains("fetches: index.vxml miss, 1.wav miss, 2.wav miss, 3.wav miss"),
        "{text}"
    );
    assert!(
        text.contains("20 seconds later (line 22): wait 2s"),
        "{text}"
    );
    assert!(
        text.contains("fetches: index.vxml hit, 1.wav hit, 2.wav revalidated, 3.wav hit"),
        "{text}"
    );
    assert!(text.contains("2 calls: 2 passed, 0 failed"), "{text}");

    // The listing: what is stored with each resource, not the request's maxage.
    let row = |name: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.starts_with("audio ") && l.contains(&format!("/{name}")))
            .unwrap_or_else(|| panic!("no row for {name}: {text}"));
        line.split_whitespace().map(String::from).collect()
    };
    let (one, two, three) = (row("1.wav"), row("2.wav"), row("3.wav"));
    // 1.wav: used under maxage=120, but by its own max-age=1 it is stale.
    assert!(one[4].starts_with('-'), "{one:?}");
    assert_eq!(one[5], "ETag", "{one:?}");
    // 2.wav: just revalidated, so its age starts again.
    assert_eq!(two[3], "0s", "{two:?}");
    // 3.wav: no validators; kept for the audio default_max_age of 3 minutes.
    assert!(three[4..].join(" ").starts_with("2m "), "{three:?}");
    assert_eq!(three.last().map(String::as_str), Some("-"), "{three:?}");
    let stats = text
        .lines()
        .find(|l| l.starts_with("audio ") && l.contains("/16000000"))
        .expect("the audio statistics row");
    let cells: Vec<&str> = stats.split_whitespace().collect();
    // entries, bytes/budget, hits, misses, revalidated.
    assert_eq!(
        (cells[1], cells[3], cells[4], cells[5]),
        ("3", "2", "3", "1"),
        "{stats}"
    );

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json written"))
            .expect("report is JSON");
    report_schema::assert_valid_report(&report);
    assert_eq!(report["clock"], "real");
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<testsuite"), "{xml}");
    assert!(!xml.contains("<failure"), "{xml}");
}

#[test]
fn a_failing_expectation_says_what_was_expected_and_exits_1() {
    let dir = TempDir::new().expect("tempdir");
    let scenario = quick_caching_sample(dir.path());
    let text = std::fs::read_to_string(&scenario).expect("scenario");
    let (first, second) = text.split_at(text.rfind("expect = ").expect("second expect"));
    let second = second.replacen("\"3.wav\"]", "\"a prompt nobody plays\"]", 1);
    std::fs::write(&scenario, format!("{first}{second}")).expect("rewritten");
    let out = vxb(&["simulate", arg(&scenario)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}{}", stderr(&out));
    assert!(text.contains("FAILED"), "{text}");
    assert!(
        text.contains("expected prompt \"a prompt nobody plays\""),
        "{text}"
    );
    assert!(text.contains("2 calls: 1 passed, 1 failed"), "{text}");
}

/// `bank` and `pizza` need DTMF and speech recognition (the PIN-entry
/// subdialog, the menu and the fields): every expectation of both
/// scenarios holds through the real binary.
#[test]
fn samples_that_need_recognition() {
    for name in ["bank", "pizza", "voicemail"] {
        let scenario = sample(name).join("scenario.toml");
        let out = vxb(&["simulate", arg(&scenario)]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{name}: {text}{}", stderr(&out));
        assert!(text.contains(" 0 failed"), "{name}: {text}");
        assert!(!text.contains("error.unsupported"), "{name}: {text}");
    }
}

/// The fetch decisions of every call of a `--json` report, in order.
fn decisions(report: &serde_json::Value) -> Vec<Vec<(String, String)>> {
    let steps = report["steps"].as_array().expect("steps");
    steps
        .iter()
        .filter(|s| s.get("call").is_some())
        .map(|s| {
            let fetches = s["report"]["fetches"].as_array().expect("fetches");
            fetches
                .iter()
                .map(|f| {
                    let url = f["url"].as_str().expect("url");
                    let name = url.rsplit('/').next().unwrap_or(url).to_string();
                    (name, f["decision"].as_str().unwrap_or("failed").to_string())
                })
                .collect()
        })
        .collect()
}

#[test]
fn the_caching_sample_on_virtual_time_decides_as_the_real_one_scaled_down() {
    let dir = TempDir::new().expect("tempdir");
    let quick = quick_caching_sample(dir.path());
    let (real_json, virtual_json) = (dir.path().join("real.json"), dir.path().join("v.json"));
    let real = vxb(&["simulate", arg(&quick), "--json", arg(&real_json)]);
    assert_eq!(real.status.code(), Some(0), "{}", stdout(&real));
    let started = std::time::Instant::now();
    let virt = vxb(&[
        "simulate",
        "vxml-samples/caching/scenario.toml",
        "--json",
        arg(&virtual_json),
    ]);
    let took = started.elapsed();
    let text = stdout(&virt);
    assert_eq!(virt.status.code(), Some(0), "{text}{}", stderr(&virt));
    assert!(
        text.starts_with("vxml-samples/caching/scenario.toml (virtual clock)\n"),
        "{text}"
    );
    // The 20 s wait took none of it.
    assert!(took < std::time::Duration::from_secs(15), "{took:?}");
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).expect("written")).expect("JSON")
    };
    let (real, virt) = (read(&real_json), read(&virtual_json));
    report_schema::assert_valid_report(&virt);
    assert_eq!(virt["clock"], "virtual");
    assert_eq!(decisions(&real), decisions(&virt));
    assert_eq!(
        decisions(&virt)[1],
        [
            ("index.vxml".to_string(), "hit".to_string()),
            ("1.wav".to_string(), "hit".to_string()),
            ("2.wav".to_string(), "revalidated".to_string()),
            ("3.wav".to_string(), "hit".to_string()),
        ]
    );
}

#[test]
fn several_scenarios_and_directories_run_in_one_invocation() {
    let dir = TempDir::new().expect("tempdir");
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let out = vxb(&[
        "simulate",
        "vxml-samples/hello/scenario.toml",
        "vxml-samples",
        "--jobs",
        "2",
        "--json",
        arg(&json),
        "--junit",
        arg(&junit),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    // hello named, then the directory's five scenarios (its vxb.toml and
    // rules.toml are no scenarios), each with its summary line.
    for name in ["bank", "caching", "hello", "pizza", "voicemail"] {
        let line = format!("vxml-samples/{name}/scenario.toml: ");
        assert!(text.contains(&line), "{line} in {text}");
    }
    assert!(
        text.ends_with("6 scenarios, 10 calls: 10 passed, 0 failed\n"),
        "{text}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    let doc = roxmltree::Document::parse(&xml).expect("XML");
    let suites: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(suites.len(), 6, "{xml}");
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert!(
        names.contains(&"second call revalidates only 2.wav"),
        "{names:?}"
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("JSON");
    report_schema::assert_valid_report(&report);
    assert_eq!(report["reports"].as_array().map(Vec::len), Some(6));
}

#[test]
fn an_unreadable_scenario_among_others_exits_2_and_the_others_still_report() {
    let dir = fixtures::site(&[("bad.toml", "[[step]]\ncall = 3\n")]);
    let junit = dir.path().join("r.xml");
    let out = vxb(&[
        "simulate",
        arg(&dir.path().join("bad.toml")),
        "vxml-samples/hello/scenario.toml",
        "--junit",
        arg(&junit),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("bad.toml:2:"), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("hello/scenario.toml: 2 calls: 2 passed"),
        "{}",
        stdout(&out)
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(xml.contains("<error type=\"scenario\""), "{xml}");
    assert!(xml.contains("first call reads the files"), "{xml}");
}

/// `--strict` on `run` and `simulate`: a page with a schema slip runs with
/// a warning on stderr, and is refused with `error.badfetch` under the flag.
#[test]
fn strict_refuses_the_slips_run_and_simulate_otherwise_tolerate() {
    let site = fixtures::site(&[
        (
            "index.vxml",
            "<?xml version=\"1.0\"?>\n<vxml version=\"2.1\" xmlns=\"http://www.w3.org/2001/vxml\">\n<form>\n  <log>stray</log>\n</form>\n</vxml>\n",
        ),
        (
            "scenario.toml",
            "[[step]]\nname = \"the page runs\"\ncall = \"index.vxml\"\nexpect_end = \"exit\"\n",
        ),
    ]);
    let index = site.path().join("index.vxml");
    let out = vxb(&["run", arg(&index), "--input", "hangup"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(stdout(&out).contains("ended: exit"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("index.vxml:4:3: <log> directly inside <form>"),
        "{}",
        stderr(&out)
    );
    let out = vxb(&["run", "--strict", arg(&index), "--input", "hangup"]);
    let text = stdout(&out);
    assert!(
        text.contains("error.badfetch") && text.contains("index.vxml:4:3:"),
        "{text}\n{}",
        stderr(&out)
    );
    let scenario = site.path().join("scenario.toml");
    let out = vxb(&["simulate", arg(&scenario)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let out = vxb(&["simulate", "--strict", arg(&scenario)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("error.badfetch"), "{}", stdout(&out));
}

// ----- a cache shared by scenarios -------------------------------------------------

/// Two scenarios calling the same `file:` page, the second expecting a cache
/// hit, with the configuration `vxb.toml` saying `share`.
fn two_scenarios(share: bool) -> TempDir {
    let dir = TempDir::new().expect("tempdir");
    let page = "<?xml version=\"1.0\"?>\n<vxml xmlns=\"http://www.w3.org/2001/vxml\" version=\"2.1\">\n  <form><block><prompt>Hi.</prompt></block></form>\n</vxml>\n";
    fixtures::write(dir.path(), "app.vxml", page);
    fixtures::write(
        dir.path(),
        "vxb.toml",
        format!("[simulate]\nshare_cache = {share}\n"),
    );
    for (name, decision) in [("a", "miss"), ("b", "hit")] {
        fixtures::write(
            dir.path(),
            &format!("{name}.toml"),
            format!(
                "config = \"vxb.toml\"\n\n[[step]]\nname = \"{name}\"\ncall = \"app.vxml\"\nexpect = [\"Hi.\"]\nexpect_fetch = {{ \"app.vxml\" = \"{decision}\" }}\n"
            ),
        );
    }
    dir
}

#[test]
fn scenarios_whose_configuration_says_share_cache_run_through_one_cache() {
    let dir = two_scenarios(true);
    let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
    let paths = [a.to_str().expect("utf-8"), b.to_str().expect("utf-8")];
    // Even with --jobs 2 they run one after another, the second warm.
    let out = vxb(&["simulate", "--jobs", "2", paths[0], paths[1]]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("1 call: 1 passed, 0 failed"),
        "{}",
        stdout(&out)
    );

    // Without it, each scenario has its own cache: the second misses.
    let dir = two_scenarios(false);
    let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
    let out = vxb(&[
        "simulate",
        "--jobs",
        "2",
        a.to_str().expect("utf-8"),
        b.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("app.vxml"), "{}", stdout(&out));
}

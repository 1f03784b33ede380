//! Prompts and audio end to end (issue 6), through the Rust API
//! (`vxb::Browser`) with clips served by `vxb::serve::Origin` on
//! 127.0.0.1: exact durations of every WAVE format, fallback content and
//! its warnings, decoding once per cache entry, the order a caller hears
//! things in, SSML timing, barge-in flags, fetch audio during slow fetches,
//! and `vxb run --realtime`.

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use vxb::audio::{Heard, HeardLog, Mark, NullSink, decode};
use vxb::cache::Decision;
use vxb::clock::{Clock, SystemClock};
use vxb::config::Config;
use vxb::resource::ResourceType;
use vxb::serve::Origin;
use vxb::{Browser, CallEnd, CallOptions, CallReport, CallerInput, PromptRecord};

#[path = "support/fixtures.rs"]
mod fixtures;
#[path = "support/interp.rs"]
mod support;
use fixtures::{origin, write};
use support::vxml;

// ------------------------------------------------------------ harness ----

struct World {
    dir: TempDir,
    origin: Origin,
    browser: Browser,
}

async fn world_with(files: &[(&str, &[u8])], rules: &str) -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, body) in files {
        write(dir.path(), name, body);
    }
    let origin = origin(dir.path(), rules).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let browser =
        Browser::with_workers(Config::direct(), clock, Some(dir.path()), 1).expect("browser");
    World {
        dir,
        origin,
        browser,
    }
}

impl World {
    fn url(&self, path: &str) -> String {
        self.origin.base_url().join(path).expect("path").to_string()
    }

    async fn call(&self, path: &str, input: &[&str]) -> CallReport {
        let input = CallerInput::parse(input).expect("tokens");
        self.browser
            .call(&self.url(path), input, CallOptions::default())
            .await
    }

    /// A call through a null sink; returns the report and what the sink heard.
    async fn call_heard(&self, path: &str, input: &[&str]) -> (CallReport, Vec<Heard>) {
        let sink = NullSink::new(false);
        let log: HeardLog = sink.log();
        let options = CallOptions {
            sink: Some(Box::new(sink)),
            ..CallOptions::default()
        };
        let input = CallerInput::parse(input).expect("tokens");
        let r = self.browser.call(&self.url(path), input, options).await;
        (r, log.heard())
    }
}

fn cache_forever() -> String {
    "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"max-age=600\" }\n".to_string()
}

/// `(text or src, duration)` of each prompt.
fn heard(r: &CallReport) -> Vec<(String, Duration)> {
    r.prompts
        .iter()
        .map(|p| (p.text().to_string(), p.duration()))
        .collect()
}

fn texts(r: &CallReport) -> Vec<&str> {
    r.prompts.iter().map(|p| p.text()).collect()
}

// ------------------------------------------------------ WAVE builders ----

/// A WAVE file written by hound (an independent writer).
fn hound_wav(
    rate: u32,
    channels: u16,
    bits: u16,
    format: hound::SampleFormat,
    frames: usize,
) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: format,
    };
    let mut out = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).expect("hound header");
    for i in 0..frames * usize::from(channels) {
        match format {
            hound::SampleFormat::Float => writer.write_sample((i % 7) as f32 / 10.0),
            hound::SampleFormat::Int => writer.write_sample((i % 100) as i32),
        }
        .expect("hound sample");
    }
    writer.finalize().expect("hound finalize");
    out.into_inner()
}

fn pcm(rate: u32, channels: u16, bits: u16, frames: usize) -> Vec<u8> {
    hound_wav(rate, channels, bits, hound::SampleFormat::Int, frames)
}

/// A G.711 WAVE file by hand (hound does not write G.711): format tag 7
/// (µ-law) or 6 (A-law), 8 bits a sample.
fn g711(tag: u16, rate: u32, channels: u16, data: &[u8]) -> Vec<u8> {
    let mut fmt = Vec::new();
    fmt.extend_from_slice(&tag.to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes());
    fmt.extend_from_slice(&rate.to_le_bytes());
    fmt.extend_from_slice(&(rate * u32::from(channels)).to_le_bytes());
    fmt.extend_from_slice(&channels.to_le_bytes()); // block align
    fmt.extend_from_slice(&8u16.to_le_bytes());
    let mut body = b"WAVE".to_vec();
    for (id, chunk) in [(b"fmt ", &fmt[..]), (b"data", data)] {
        body.extend_from_slice(id);
        body.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
        body.extend_from_slice(chunk);
        if chunk.len() % 2 == 1 {
            body.push(0);
        }
    }
    let mut file = b"RIFF".to_vec();
    file.extend_from_slice(&(body.len() as u32).to_le_bytes());
    file.extend_from_slice(&body);
    file
}

const MULAW: u16 = 7;
const ALAW: u16 = 6;

// ---------------------------------------------------------- durations ----

#[tokio::test]
async fn every_format_plays_for_exactly_its_sample_count() {
    let clips: Vec<(&str, Vec<u8>, Duration)> = vec![
        // 12,345 frames at 8 kHz.
        (
            "pcm16-8k-mono.wav",
            pcm(8000, 1, 16, 12_345),
            Duration::from_nanos(1_543_125_000),
        ),
        (
            "pcm8-16k-stereo.wav",
            pcm(16_000, 2, 8, 4_000),
            Duration::from_millis(250),
        ),
        (
            "pcm24-44k1-mono.wav",
            pcm(44_100, 1, 24, 44_541),
            Duration::from_millis(1010),
        ),
        (
            "float-44k1-stereo.wav",
            hound_wav(44_100, 2, 32, hound::SampleFormat::Float, 22_050),
            Duration::from_millis(500),
        ),
        // One frame at 44.1 kHz: 22,675.73… ns, truncated.
        (
            "pcm16-44k1-one-frame.wav",
            pcm(44_100, 1, 16, 1),
            Duration::from_nanos(22_675),
        ),
        (
            "pcm16-16k-stereo.wav",
            pcm(16_000, 2, 16, 1),
            Duration::from_nanos(62_500),
        ),
        (
            "mulaw-8k-mono.wav",
            g711(MULAW, 8000, 1, &[0xFF; 8001]),
            Duration::from_nanos(1_000_125_000),
        ),
        (
            "alaw-8k-stereo.wav",
            g711(ALAW, 8000, 2, &[0xD5; 4000]),
            Duration::from_millis(250),
        ),
        (
            "mulaw-16k-stereo.wav",
            g711(MULAW, 16_000, 2, &[0x80; 3]),
            // Three bytes are one whole stereo frame (the half frame is dropped).
            Duration::from_nanos(62_500),
        ),
    ];
    let body: String = clips
        .iter()
        .map(|(name, _, _)| format!("<audio src=\"{name}\">fallback {name}</audio>\n"))
        .collect();
    let doc = vxml(&format!("<form><block>{body}</block></form>"));
    let mut files: Vec<(&str, &[u8])> = vec![("a.vxml", doc.as_bytes())];
    files.extend(clips.iter().map(|(n, b, _)| (*n, &b[..])));
    let w = world_with(&files, "").await;

    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let expected: Vec<(String, Duration)> = clips.iter().map(|(n, _, d)| (w.url(n), *d)).collect();
    assert_eq!(heard(&r), expected);
    assert!(
        r.prompts
            .iter()
            .all(|p| matches!(p, PromptRecord::Audio { .. }))
    );
    // Each clip was fetched as audio.
    let audio_fetches = r
        .fetches
        .iter()
        .filter(|f| f.rtype == ResourceType::Audio)
        .count();
    assert_eq!(audio_fetches, clips.len());
}

#[test]
fn g711_decodes_to_the_standard_sample_values() {
    // ITU-T G.711 reference points: µ-law 0x80/0x00 are the extremes
    // (±32124), 0xFF and 0x7F are zero; A-law 0xD5/0x55 are ±8 and
    // 0xAA/0x2A ±32256.
    let mulaw = decode(&g711(MULAW, 8000, 1, &[0x80, 0x00, 0xFF, 0x7F, 0xF0])).expect("µ-law");
    assert_eq!(mulaw.samples(), &[32124, -32124, 0, 0, 120]);
    let alaw = decode(&g711(ALAW, 8000, 1, &[0xD5, 0x55, 0xAA, 0x2A])).expect("A-law");
    assert_eq!(alaw.samples(), &[8, -8, 32256, -32256]);
}

#[test]
fn the_sample_prompts_decode_with_equal_lengths_in_every_format() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("audio-samples");
    let read = |name: &str| decode(&std::fs::read(dir.join(name)).expect("sample")).expect(name);
    let pcm = read("welcome.wav");
    let ulaw = read("welcome.ulaw.wav");
    let alaw = read("welcome.alaw.wav");
    assert_eq!(pcm.sample_rate(), 8000);
    assert!(pcm.duration() > Duration::from_millis(500), "a spoken word");
    assert_eq!(ulaw.duration(), pcm.duration());
    assert_eq!(alaw.duration(), pcm.duration());
}

// ----------------------------------------------------------- fallback ----

#[tokio::test]
async fn unplayable_clips_play_their_fallback_and_say_why_without_an_event() {
    let good = pcm(8000, 1, 16, 800); // 100 ms
    let mut truncated = pcm(8000, 1, 16, 800);
    truncated.truncate(truncated.len() - 100);
    let doc = vxml(
        r#"<form><block>
  <audio src="missing.wav">Missing fallback.</audio>
  <audio src="truncated.wav">Truncated fallback.</audio>
  <audio src="text.wav">Not a wave fallback.</audio>
  <audio src="missing.wav"/>
  <audio src="good.wav">Not heard.</audio>
</block></form>"#,
    );
    let w = world_with(
        &[
            ("a.vxml", doc.as_bytes()),
            ("good.wav", &good),
            ("truncated.wav", &truncated),
            ("text.wav", b"<html>this is not audio</html>"),
        ],
        "",
    )
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(
        texts(&r),
        vec![
            "Missing fallback. Truncated fallback. Not a wave fallback.",
            w.url("good.wav").as_str()
        ]
    );
    assert_eq!(r.prompts[1].duration(), Duration::from_millis(100));
    // §4.1.3: the alternate content plays instead, and an empty one plays
    // nothing, with no event thrown either way.
    assert!(r.events.is_empty(), "{:?}", r.events);
    let w4 = &r.warnings;
    assert_eq!(w4.len(), 4, "{w4:?}");
    assert!(
        w4[0].contains("missing.wav") && w4[0].contains("error.badfetch.http.404"),
        "{w4:?}"
    );
    assert!(
        w4[1].contains("truncated.wav") && w4[1].contains("truncated data"),
        "{w4:?}"
    );
    assert!(
        w4[2].contains("text.wav") && w4[2].contains("not a RIFF/WAVE file"),
        "{w4:?}"
    );
    assert!(w4[3].contains("no fallback content"), "{w4:?}");
    assert!(w4.iter().all(|w| w.contains("a.vxml:")), "{w4:?}");
}

// ----------------------------------------- formats beyond WAVE (issue 15) ----

fn sample(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("audio-samples")
        .join(name);
    std::fs::read(&path).expect("a committed sample")
}

#[tokio::test]
async fn every_voicexml_format_plays_told_by_magic_type_or_name() {
    let welcome = decode(&sample("welcome.ulaw.wav")).expect("wave");
    let raw = sample("welcome.ul");
    let mp3 = sample("welcome.mp3");
    let doc = vxml(
        r#"<form><block>
  <audio src="welcome.ul">x</audio>
  <audio src="welcome.al">x</audio>
  <audio src="welcome.au">x</audio>
  <audio src="served-as-basic">x</audio>
  <audio src="wave-served-as-basic.ul">x</audio>
  <audio src="mp3-served-as-wav.wav">x</audio>
  <audio src="welcome.ogg">x</audio>
</block></form>"#,
    );
    let wave = sample("welcome.ulaw.wav");
    let w = world_with(
        &[
            ("a.vxml", doc.as_bytes()),
            ("welcome.ul", &raw),
            ("welcome.al", &sample("welcome.al")),
            ("welcome.au", &sample("welcome.au")),
            ("served-as-basic", &raw),
            ("wave-served-as-basic.ul", &wave),
            ("mp3-served-as-wav.wav", &mp3),
            ("welcome.ogg", &sample("welcome.ogg")),
        ],
        "[[rule]]\npath = \"/served-as-basic\"\nheaders = { \"Content-Type\" = \"audio/basic\" }\n",
    )
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let d = welcome.duration();
    let durations: Vec<Duration> = r.prompts.iter().map(PromptRecord::duration).collect();
    // G.711 in any container lasts exactly as long as the WAVE; the WAVE
    // served as µ-law plays as WAVE (the magic wins), and so does the MP3
    // served as WAVE; MP3 and Vorbis last as long as what was encoded.
    assert_eq!(durations[..5], [d, d, d, d, d]);
    assert_eq!(
        durations[5],
        Duration::from_nanos(42_678 * 1_000_000_000 / 22_050)
    );
    assert_eq!(
        durations[6],
        Duration::from_nanos(30_968 * 1_000_000_000 / 16_000)
    );
}

#[tokio::test]
async fn a_corrupt_mp3_or_au_plays_its_fallback_says_why_and_is_not_stored() {
    let mp3 = sample("welcome.mp3");
    let au = sample("welcome.au");
    let doc = vxml(
        r#"<form><block>
  <audio src="cut.mp3">Cut MP3.</audio>
  <audio src="cut.au">Cut AU.</audio>
  <audio src="welcome.opus">Opus.</audio>
</block></form>"#,
    );
    let w = world_with(
        &[
            ("a.vxml", doc.as_bytes()),
            ("cut.mp3", &mp3[..mp3.len() / 2]),
            ("cut.au", &au[..au.len() - 10]),
            ("welcome.opus", &sample("welcome.opus")),
        ],
        &cache_forever(),
    )
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(texts(&r), vec!["Cut MP3. Cut AU. Opus."]);
    let w3 = &r.warnings;
    assert_eq!(w3.len(), 3, "{w3:?}");
    assert!(
        w3[0].contains("cut.mp3") && w3[0].contains("truncated MP3 stream"),
        "{w3:?}"
    );
    assert!(
        w3[1].contains("cut.au") && w3[1].contains("truncated data"),
        "{w3:?}"
    );
    assert!(
        w3[2].contains("welcome.opus") && w3[2].contains("Opus, which vxb cannot decode"),
        "{w3:?}"
    );
    // Opus is whole but undecodable: an unsupported format, not a bad fetch.
    assert!(w3[2].contains("error.unsupported.format"), "{w3:?}");
    assert!(
        w3[0].contains("error.badfetch") && !w3[0].contains("unsupported"),
        "{w3:?}"
    );
    let stored: Vec<String> = w
        .browser
        .fetcher()
        .store()
        .entries()
        .into_iter()
        .map(|e| e.entry.url.to_string())
        .collect();
    assert!(stored.iter().all(|u| u.ends_with(".vxml")), "{stored:?}");
}

// ------------------------------------------------------ decode once ----

#[tokio::test]
async fn a_cache_hit_does_not_decode_again() {
    let clip = pcm(8000, 1, 16, 4000);
    let doc = vxml(r#"<form><block><audio src="a.wav"/><audio src="a.wav"/></block></form>"#);
    let w = world_with(
        &[("a.vxml", doc.as_bytes()), ("a.wav", &clip)],
        &cache_forever(),
    )
    .await;
    let first = w.call("a.vxml", &[]).await;
    let second = w.call("a.vxml", &[]).await;
    for r in [&first, &second] {
        assert_eq!(r.prompts.len(), 2, "{r:?}");
        assert!(
            r.prompts
                .iter()
                .all(|p| p.duration() == Duration::from_millis(500))
        );
    }
    let decisions: Vec<_> = first
        .fetches
        .iter()
        .chain(&second.fetches)
        .filter(|f| f.rtype == ResourceType::Audio)
        .map(|f| f.decision())
        .collect();
    assert_eq!(
        decisions,
        vec![
            Some(Decision::Miss),
            Some(Decision::Hit),
            Some(Decision::Hit),
            Some(Decision::Hit)
        ]
    );
    assert_eq!(
        w.browser.audio_parser().decodes(),
        1,
        "four plays, one decode"
    );

    // A clip that may not be stored is decoded on every fetch.
    let doc = vxml(r#"<form><block><audio src="b.wav"/></block></form>"#);
    let no_store = world_with(
        &[("b.vxml", doc.as_bytes()), ("b.wav", &clip)],
        "[[rule]]\npath = \"/**\"\nheaders = { \"Cache-Control\" = \"no-store\" }\n",
    )
    .await;
    for _ in 0..2 {
        let r = no_store.call("b.vxml", &[]).await;
        assert_eq!(r.prompts[0].duration(), Duration::from_millis(500));
    }
    assert_eq!(no_store.browser.audio_parser().decodes(), 2);
}

// ------------------------------------------- audiomaxage, audiomaxstale ----

#[tokio::test]
async fn clips_fetch_as_audio_under_audiomaxage_and_audiomaxstale() {
    let clip = pcm(8000, 1, 16, 800);
    let play = |props: &str, attrs: &str, src: &str| {
        vxml(&format!(
            r#"{props}<form><block><audio src="{src}" {attrs}/></block></form>"#
        ))
    };
    let fresh = play("", "", "fresh.wav");
    let maxage_prop = play(
        r#"<property name="audiomaxage" value="0"/>"#,
        "",
        "fresh.wav",
    );
    // The attribute wins over the property.
    let maxage_attr = play(
        r#"<property name="audiomaxage" value="600"/>"#,
        r#"maxage="0""#,
        "fresh.wav",
    );
    // `documentmaxage` is not the audio's property.
    let other_type = play(
        r#"<property name="documentmaxage" value="0"/>"#,
        "",
        "fresh.wav",
    );
    let stale = play("", "", "stale.wav");
    let maxstale_prop = play(
        r#"<property name="audiomaxstale" value="60"/>"#,
        "",
        "stale.wav",
    );
    let rules = "[[rule]]\npath = \"/fresh.wav\"\nheaders = { \"Cache-Control\" = \"max-age=600\" }\n\
                 [[rule]]\npath = \"/stale.wav\"\nheaders = { \"Cache-Control\" = \"max-age=0\" }\n";
    let w = world_with(
        &[
            ("fresh.vxml", fresh.as_bytes()),
            ("maxage-prop.vxml", maxage_prop.as_bytes()),
            ("maxage-attr.vxml", maxage_attr.as_bytes()),
            ("other-type.vxml", other_type.as_bytes()),
            ("stale.vxml", stale.as_bytes()),
            ("maxstale-prop.vxml", maxstale_prop.as_bytes()),
            ("fresh.wav", &clip),
            ("stale.wav", &clip),
        ],
        rules,
    )
    .await;
    let mut decisions = Vec::new();
    for page in [
        "fresh.vxml",
        "fresh.vxml",
        "maxage-prop.vxml",
        "maxage-attr.vxml",
        "other-type.vxml",
        "stale.vxml",
        "stale.vxml",
        "maxstale-prop.vxml",
    ] {
        let r = w.call(page, &[]).await;
        assert_eq!(r.prompts.len(), 1, "{page}: {r:?}");
        assert_eq!(r.prompts[0].duration(), Duration::from_millis(100));
        let audio: Vec<_> = r
            .fetches
            .iter()
            .filter(|f| f.rtype == ResourceType::Audio)
            .map(|f| f.decision())
            .collect();
        decisions.push((page, audio));
    }
    let one = |d: Decision| vec![Some(d)];
    assert_eq!(
        decisions,
        vec![
            ("fresh.vxml", one(Decision::Miss)),
            ("fresh.vxml", one(Decision::Hit)),
            ("maxage-prop.vxml", one(Decision::Revalidated)),
            ("maxage-attr.vxml", one(Decision::Revalidated)),
            ("other-type.vxml", one(Decision::Hit)),
            ("stale.vxml", one(Decision::Miss)),
            ("stale.vxml", one(Decision::Revalidated)),
            ("maxstale-prop.vxml", one(Decision::Stale)),
        ]
    );
    // A 304 keeps the decoded clip with the entry.
    assert_eq!(w.browser.audio_parser().decodes(), 2);
}

// -------------------------------------------------------------- order ----

#[tokio::test]
async fn the_report_lists_prompts_in_the_order_a_caller_hears_them() {
    let tone = pcm(8000, 1, 16, 1600); // 200 ms
    let a = vxml(
        r#"<form>
  <block>
    <prompt>One <audio src="tone.wav">no</audio> two</prompt>
    <audio src="gone.wav">three</audio>
  </block>
  <field name="f">
    <prompt>Four</prompt>
    <noinput>Five <reprompt/></noinput>
    <grammar mode="dtmf" root="d" version="1.0" xmlns="http://www.w3.org/2001/06/grammar"><rule id="d"><item>1</item></rule></grammar>
  </field>
  <catch event="connection.disconnect.hangup">
    <prompt>not heard after a hangup</prompt>
  </catch>
</form>"#,
    );
    let w = world_with(&[("a.vxml", a.as_bytes()), ("tone.wav", &tone)], "").await;
    let r = w.call("a.vxml", &["noinput", "hangup"]).await;
    assert_eq!(r.ended, CallEnd::Hangup, "{r:?}");
    assert_eq!(
        texts(&r),
        vec![
            "One",
            w.url("tone.wav").as_str(),
            "two",
            "three",
            "Four",
            "Five",
            "Four",
        ]
    );

    // Prompts queued before a transition play in the next document, before
    // its own (they wait for the next input collection or the end).
    let b = vxml(r#"<form><block>Leaving. <goto next="c.vxml"/></block></form>"#);
    let c = vxml(r#"<form><block><audio src="tone.wav"/>Arrived.</block></form>"#);
    write(w.dir.path(), "b.vxml", b);
    write(w.dir.path(), "c.vxml", c);
    let r = w.call("b.vxml", &[]).await;
    assert_eq!(
        texts(&r),
        vec!["Leaving.", w.url("tone.wav").as_str(), "Arrived."]
    );
}

// --------------------------------------------------------------- SSML ----

#[tokio::test]
async fn ssml_breaks_rates_and_marks_time_the_speech() {
    let doc = vxml(
        r#"<form><block>
  <prompt>one two<break time="1500ms"/>three</prompt>
  <prompt>a<break strength="x-strong"/>b<break/>c<break strength="none"/>d</prompt>
  <prompt><prosody rate="x-slow">slow words</prosody> then <prosody rate="200%">four fast words here</prosody></prompt>
  <prompt><prosody duration="3s">however many words are here</prosody> end</prompt>
  <prompt><s>A sentence.</s><p>A paragraph.</p> <emphasis>loud</emphasis> <say-as interpret-as="digits">123</say-as> <sub alias="World Wide Web">WWW</sub></prompt>
  <prompt>start <mark name="middle"/> after <mark nameexpr="'e' + 'nd'"/></prompt>
  <prompt><break time="2s"/></prompt>
</block></form>"#,
    );
    let w = world_with(&[("a.vxml", doc.as_bytes())], "").await;
    let (r, sink) = w.call_heard("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    let ms = Duration::from_millis;
    assert_eq!(
        heard(&r),
        vec![
            ("one two three".into(), ms(3 * 400 + 1500)),
            ("a b c d".into(), ms(4 * 400 + 1000 + 400)),
            // 2 words at half speed, 1 at normal speed, 4 at double speed.
            (
                "slow words then four fast words here".into(),
                ms(1600 + 400 + 800)
            ),
            ("however many words are here end".into(), ms(3000 + 400)),
            (
                "A sentence. A paragraph. loud 123 World Wide Web".into(),
                ms(9 * 400)
            ),
            ("start after".into(), ms(800)),
            // A break alone is heard as silence.
            (String::new(), ms(2000)),
        ]
    );
    // The sink sees the marks with their offsets in the speech.
    let marks: Vec<&Vec<Mark>> = sink
        .iter()
        .filter_map(|h| match h {
            Heard::Speech { marks, .. } if !marks.is_empty() => Some(marks),
            _ => None,
        })
        .collect();
    assert_eq!(
        marks,
        vec![&vec![
            Mark {
                name: "middle".into(),
                at: ms(400)
            },
            Mark {
                name: "end".into(),
                at: ms(800)
            }
        ]]
    );
    assert_eq!(sink.len(), r.prompts.len());
}

// ------------------------------------------------------------ barge-in ----

/// What each item the sink heard was, with its `bargein`.
fn bargein_flags(sink: &[Heard]) -> Vec<(String, bool)> {
    sink.iter()
        .map(|h| {
            let what = match h {
                Heard::Speech { text, .. } => text.clone(),
                Heard::Audio { source, .. } => source.path().to_string(),
                Heard::FetchAudio { source, .. } => format!("fetch {source}"),
            };
            (what, h.bargein())
        })
        .collect()
}

#[tokio::test]
async fn bargein_comes_from_the_attribute_else_the_innermost_property() {
    let tone = pcm(8000, 1, 16, 800);
    let doc = vxml(
        r#"<property name="bargein" value="false"/>
<form>
  <block>
    <prompt>Legal notice <audio src="tone.wav"/></prompt>
    <prompt bargein="true">You may interrupt.</prompt>
  </block>
  <field name="f">
    <property name="bargein" value="true"/>
    <prompt>Menu.</prompt>
    <grammar mode="dtmf" root="d" version="1.0" xmlns="http://www.w3.org/2001/06/grammar"><rule id="d"><item>1</item></rule></grammar>
  </field>
</form>"#,
    );
    let w = world_with(&[("a.vxml", doc.as_bytes()), ("tone.wav", &tone)], "").await;
    let (r, sink) = w.call_heard("a.vxml", &["hangup"]).await;
    assert_eq!(r.ended, CallEnd::Hangup, "{r:?}");
    let f = |s: &str, b: bool| (s.to_string(), b);
    assert_eq!(
        bargein_flags(&sink),
        vec![
            f("Legal notice", false),
            f("/tone.wav", false),
            f("You may interrupt.", true),
            f("Menu.", true),
        ]
    );
}

#[tokio::test]
async fn each_prompt_keeps_its_own_bargein_when_queued_together() {
    let doc = vxml(
        r#"<form>
  <field name="f">
    <prompt bargein="false">Listen to the end.</prompt>
    <prompt>Menu.</prompt>
    <noinput><prompt>Again.</prompt><reprompt/></noinput>
    <grammar mode="dtmf" root="d" version="1.0" xmlns="http://www.w3.org/2001/06/grammar"><rule id="d"><item>1</item></rule></grammar>
  </field>
</form>"#,
    );
    let w = world_with(&[("a.vxml", doc.as_bytes())], "").await;
    let (r, sink) = w.call_heard("a.vxml", &["noinput", "hangup"]).await;
    assert_eq!(r.ended, CallEnd::Hangup, "{r:?}");
    let f = |s: &str, b: bool| (s.to_string(), b);
    let flags = bargein_flags(&sink);
    // Every queued prompt is heard in full before the caller's token is
    // taken: the noinput handler's prompt comes after both.
    assert_eq!(
        flags,
        vec![
            f("Listen to the end.", false),
            f("Menu.", true),
            f("Again.", true),
            f("Listen to the end.", false),
            f("Menu.", true),
        ]
    );
    assert_eq!(
        texts(&r),
        flags.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_bad_bargein_property_is_a_semantic_error() {
    let doc = vxml(
        r#"<property name="bargein" value="sometimes"/>
<form><block>Hello</block></form>"#,
    );
    let w = world_with(&[("a.vxml", doc.as_bytes())], "").await;
    let r = w.call("a.vxml", &[]).await;
    match &r.ended {
        CallEnd::Error { event, message } => {
            assert_eq!(event, "error.semantic");
            assert!(
                message.contains("bargein") && message.contains("sometimes"),
                "{message}"
            );
        }
        other => panic!("expected error.semantic, got {other:?}"),
    }
    assert!(r.prompts.is_empty());
}

// --------------------------------------------------------- fetch audio ----

fn slow(path: &str, delay: &str) -> String {
    format!("[[rule]]\npath = \"{path}\"\ndelay = \"{delay}\"\n")
}

fn fetch_audio_site(attrs: &str) -> (String, String) {
    (
        vxml(&format!(
            r#"<form><block>Please wait. <goto next="next.vxml" {attrs}/></block></form>"#
        )),
        vxml(r#"<form><block>Here we are.</block></form>"#),
    )
}

#[tokio::test]
async fn fetch_audio_plays_while_a_slow_document_is_fetched() {
    let hold = pcm(8000, 1, 16, 8000); // 1 s
    let (a, next) =
        fetch_audio_site(r#"fetchaudio="hold.wav" fetchaudiodelay="50ms" fetchaudiominimum="0s""#);
    let w = world_with(
        &[
            ("a.vxml", a.as_bytes()),
            ("next.vxml", next.as_bytes()),
            ("hold.wav", &hold),
        ],
        &slow("/next.vxml", "300ms"),
    )
    .await;
    let (r, sink) = w.call_heard("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    // The queued prompt plays first, then the hold clip, then the new document.
    assert_eq!(
        texts(&r),
        vec!["Please wait.", w.url("hold.wav").as_str(), "Here we are."]
    );
    let PromptRecord::FetchAudio { duration, .. } = &r.prompts[1] else {
        panic!("fetch audio, not {:?}", r.prompts[1]);
    };
    // It played from the end of the 50 ms delay to the end of the 300 ms fetch.
    assert!(
        *duration >= Duration::from_millis(150) && *duration <= Duration::from_secs(1),
        "{duration:?}"
    );
    assert!(matches!(sink[1], Heard::FetchAudio { .. }), "{sink:?}");
    let hold_fetch = r
        .fetches
        .iter()
        .find(|f| f.url.ends_with("hold.wav"))
        .expect("the clip was fetched");
    assert_eq!(hold_fetch.rtype, ResourceType::Audio);
    let json = serde_json::to_value(&r).expect("serializes");
    assert_eq!(json["prompts"][1]["kind"], "fetchaudio");
}

#[tokio::test]
async fn a_fast_fetch_plays_no_fetch_audio() {
    let hold = pcm(8000, 1, 16, 8000);
    let (a, next) = fetch_audio_site(r#"fetchaudio="hold.wav" fetchaudiodelay="200ms""#);
    let w = world_with(
        &[
            ("a.vxml", a.as_bytes()),
            ("next.vxml", next.as_bytes()),
            ("hold.wav", &hold),
        ],
        "",
    )
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(texts(&r), vec!["Please wait.", "Here we are."]);
    assert!(
        !r.fetches.iter().any(|f| f.url.ends_with("hold.wav")),
        "the clip is not even fetched"
    );
}

#[tokio::test]
async fn fetch_audio_once_started_plays_at_least_its_minimum() {
    let hold = pcm(8000, 1, 16, 16_000); // 2 s
    // Properties instead of attributes; the fetch takes 100 ms, the
    // minimum holds the call 600 ms after the clip starts.
    let a = vxml(
        r#"<property name="fetchaudio" value="hold.wav"/>
<property name="fetchaudiodelay" value="20ms"/>
<property name="fetchaudiominimum" value="600ms"/>
<form><block><data name="d" src="slow.xml"/><log expr="'got data'"/></block></form>"#,
    );
    let w = world_with(
        &[
            ("a.vxml", a.as_bytes()),
            ("slow.xml", b"<r/>"),
            ("hold.wav", &hold),
        ],
        &slow("/slow.xml", "100ms"),
    )
    .await;
    let started = Instant::now();
    let r = w.call("a.vxml", &[]).await;
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(support::logs(&r), vec!["got data"]);
    assert_eq!(r.prompts.len(), 1, "{:?}", r.prompts);
    let d = r.prompts[0].duration();
    assert!(
        d >= Duration::from_millis(600) && d <= Duration::from_secs(2),
        "{d:?}"
    );
}

#[tokio::test]
async fn fetch_audio_that_cannot_be_fetched_is_a_warning_and_the_fetch_goes_on() {
    let (a, next) = fetch_audio_site(
        r#"fetchaudio="nothing.wav" fetchaudiodelay="10ms" fetchaudiominimum="0s""#,
    );
    let w = world_with(
        &[("a.vxml", a.as_bytes()), ("next.vxml", next.as_bytes())],
        &slow("/next.vxml", "200ms"),
    )
    .await;
    let r = w.call("a.vxml", &[]).await;
    assert_eq!(r.ended, CallEnd::Exit, "{r:?}");
    assert_eq!(texts(&r), vec!["Please wait.", "Here we are."]);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("nothing.wav") && r.warnings[0].contains("404"),
        "{:?}",
        r.warnings
    );
}

// ---------------------------------------------------- vxb run --realtime ----
// (`--play` itself is tested in `cli_run.rs`.)

#[tokio::test]
async fn run_with_realtime_takes_as_long_as_the_prompts() {
    let doc =
        vxml(r#"<form><block><prompt>Wait <break time="700ms"/> for it.</prompt></block></form>"#);
    let w = world_with(&[("a.vxml", doc.as_bytes())], "").await;
    let url = w.url("a.vxml");
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_vxb"))
            .args(["run", &url, "--realtime", "--input", "hangup"])
            .env("NO_PROXY", "127.0.0.1,localhost")
            .output()
            .expect("vxb runs")
    })
    .await
    .expect("joined");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("prompt: Wait for it."), "{stdout}");
    // Three words and the break: 1.9 s of prompt.
    assert!(started.elapsed() >= Duration::from_millis(1900));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

//! Sinks: where the prompts of a call go, in the order the caller hears them.
//!
//! Text arrives as the prompt layer timed it — unless the `tts` feature's
//! [`speaking`] sink synthesized it first, which hands it on with its audio
//! and real length. The estimate ([`Speech`]: words at
//! [`SPEECH_WORDS_PER_MINUTE`], scaled by `<prosody rate>`, plus the
//! silences of `<break>`; the `<mark>`s it passes, with their offsets).
//! Audio clips arrive decoded, and their duration is exact. Every sink
//! answers each item with a [`Heard`] record, which is what reports and
//! expectations are built from; the record says whether the caller could
//! barge in on it (`bargein`).
//!
//! A sink blocks for as long as the item plays when it plays in real time
//! (the speaker, or the null sink with `realtime`); callers on an async
//! runtime run it on a blocking thread. Fetch audio is the exception: it
//! plays while a fetch is under way, for as long as the interpreter decided
//! (the fetch's own wait), so a sink is told of it afterwards and does not
//! block for it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use url::Url;

use super::decode::{AudioFormat, DecodedAudio};

/// Speaking rate assumed for text prompts: 150 words a minute, the usual
/// planning figure for IVR prompts (a word every 400 ms).
pub const SPEECH_WORDS_PER_MINUTE: u64 = 150;

/// How long `text` takes to say at [`SPEECH_WORDS_PER_MINUTE`]; words are
/// separated by whitespace. Exact integer arithmetic: 400 ms a word.
pub fn speech_duration(text: &str) -> Duration {
    let words = text.split_whitespace().count() as u64;
    Duration::from_millis(words * 60_000 / SPEECH_WORDS_PER_MINUTE)
}

/// Text to be spoken, with the time it takes (SSML timing included) and
/// the marks it passes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Speech {
    /// What TTS would say, whitespace normalized.
    pub text: String,
    /// How long it takes, silences included.
    pub duration: Duration,
    /// `<mark>`s in order, each at its offset from the start of the speech.
    pub marks: Vec<Mark>,
    /// The speech's time in order: words and `<break>` silences, adding up
    /// to `duration` (a recording renders each as it sounds).
    pub timeline: Vec<Stretch>,
    /// The same speech as an SSML `<speak>` document — the text with the
    /// `<break>`, `<prosody>`, `<say-as>`, `<emphasis>` and `<voice>` it
    /// was written with — for a synthesizer.
    pub ssml: String,
    /// The speech synthesized (the `tts` feature): when present, this is
    /// what is heard, `duration` is its length, and `timeline` is one
    /// stretch of it.
    pub audio: Option<Arc<DecodedAudio>>,
}

/// A stretch of a speech's time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stretch {
    /// Words, spoken for this long.
    Words(Duration),
    /// A `<break>`'s silence.
    Silence(Duration),
}

impl Speech {
    /// Plain text at the default rate, without breaks or marks.
    pub fn plain(text: &str) -> Speech {
        let duration = speech_duration(text);
        Speech {
            text: text.to_owned(),
            duration,
            marks: Vec::new(),
            timeline: vec![Stretch::Words(duration)],
            ssml: speak_document(&crate::vxml::xml::escape(text, false)),
            audio: None,
        }
    }

    /// This speech as `audio` says it: the synthesized samples, their
    /// exact length, one stretch of words; the marks keep their estimated
    /// offsets, scaled to the real length.
    pub fn synthesized(&self, audio: Arc<DecodedAudio>) -> Speech {
        let duration = audio.duration();
        let scale = if self.duration.is_zero() {
            0.0
        } else {
            duration.as_secs_f64() / self.duration.as_secs_f64()
        };
        Speech {
            text: self.text.clone(),
            duration,
            marks: self
                .marks
                .iter()
                .map(|m| Mark {
                    name: m.name.clone(),
                    at: m.at.mul_f64(scale).min(duration),
                })
                .collect(),
            timeline: vec![Stretch::Words(duration)],
            ssml: self.ssml.clone(),
            audio: Some(audio),
        }
    }
}

/// `body` (SSML content, already escaped) as a whole SSML document.
pub fn speak_document(body: &str) -> String {
    format!("<speak>{body}</speak>")
}

/// A `<mark>` reached while speaking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub name: String,
    /// Offset from the start of its speech.
    pub at: Duration,
}

/// One item a caller heard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Heard {
    /// Text spoken by the (unsynthesized) TTS, with its estimated duration.
    Speech {
        text: String,
        duration: Duration,
        marks: Vec<Mark>,
        /// Whether the caller could interrupt it (`bargein`).
        bargein: bool,
    },
    /// An audio clip, with the URL it came from and its exact duration.
    Audio {
        source: Url,
        format: AudioFormat,
        duration: Duration,
        bargein: bool,
    },
    /// `fetchaudio` played while a fetch was under way: `duration` is how
    /// long it played (at most the clip's length; it is not repeated).
    FetchAudio {
        source: Url,
        format: AudioFormat,
        duration: Duration,
    },
}

impl Heard {
    /// The record of speaking `speech`.
    pub fn speech(speech: &Speech, bargein: bool) -> Heard {
        Heard::Speech {
            text: speech.text.clone(),
            duration: speech.duration,
            marks: speech.marks.clone(),
            bargein,
        }
    }

    /// The record of playing `audio`, fetched from `source`.
    pub fn audio(source: &Url, audio: &DecodedAudio, bargein: bool) -> Heard {
        Heard::Audio {
            source: source.clone(),
            format: audio.format(),
            duration: audio.duration(),
            bargein,
        }
    }

    /// The record of fetch audio that played for `played` (cut to the clip's length).
    pub fn fetch_audio(source: &Url, audio: &DecodedAudio, played: Duration) -> Heard {
        Heard::FetchAudio {
            source: source.clone(),
            format: audio.format(),
            duration: played.min(audio.duration()),
        }
    }

    /// How long the item took (or would take) to hear.
    pub fn duration(&self) -> Duration {
        match self {
            Heard::Speech { duration, .. }
            | Heard::Audio { duration, .. }
            | Heard::FetchAudio { duration, .. } => *duration,
        }
    }

    /// Whether the caller could barge in on it (fetch audio: no, no input
    /// is collected during a fetch).
    pub fn bargein(&self) -> bool {
        match self {
            Heard::Speech { bargein, .. } | Heard::Audio { bargein, .. } => *bargein,
            Heard::FetchAudio { .. } => false,
        }
    }
}

/// Receives what a caller hears, in order.
pub trait Sink: Send {
    /// Speaks `speech`. Returns the record of it.
    fn speak(&mut self, speech: &Speech, bargein: bool) -> Heard;

    /// Plays a decoded clip that was fetched from `source`. Returns the record of it.
    fn play(&mut self, source: &Url, audio: &DecodedAudio, bargein: bool) -> Heard;

    /// Fetch audio that has played for `played` while a fetch was under
    /// way (the wait already happened: this does not block).
    fn fetch_audio(&mut self, source: &Url, audio: &DecodedAudio, played: Duration) -> Heard {
        Heard::fetch_audio(source, audio, played)
    }
}

/// A shared view of what a [`NullSink`] has recorded, readable after the
/// sink was handed to a call.
#[derive(Clone, Debug, Default)]
pub struct HeardLog(Arc<Mutex<Vec<Heard>>>);

impl HeardLog {
    /// Everything heard so far, in order.
    pub fn heard(&self) -> Vec<Heard> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn push(&self, heard: Heard) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(heard);
    }
}

/// A sink that plays nothing and records everything. With `realtime` it
/// also takes as long as each item would (it sleeps), so timeouts and
/// timings behave as on a real line.
#[derive(Debug, Default)]
pub struct NullSink {
    realtime: bool,
    log: HeardLog,
}

impl NullSink {
    /// A null sink; `realtime` makes each item take its duration.
    pub fn new(realtime: bool) -> NullSink {
        NullSink {
            realtime,
            log: HeardLog::default(),
        }
    }

    /// Everything heard so far, in order.
    pub fn heard(&self) -> Vec<Heard> {
        self.log.heard()
    }

    /// A handle on the record that outlives handing the sink to a call.
    pub fn log(&self) -> HeardLog {
        self.log.clone()
    }

    fn hear(&mut self, heard: Heard) -> Heard {
        if self.realtime {
            std::thread::sleep(heard.duration());
        }
        self.log.push(heard.clone());
        heard
    }
}

impl Sink for NullSink {
    fn speak(&mut self, speech: &Speech, bargein: bool) -> Heard {
        self.hear(Heard::speech(speech, bargein))
    }

    fn play(&mut self, source: &Url, audio: &DecodedAudio, bargein: bool) -> Heard {
        self.hear(Heard::audio(source, audio, bargein))
    }

    fn fetch_audio(&mut self, source: &Url, audio: &DecodedAudio, played: Duration) -> Heard {
        let heard = Heard::fetch_audio(source, audio, played);
        self.log.push(heard.clone());
        heard
    }
}

/// Opens the sink for a call: the speaker when `play` is set and it can be
/// opened, else a [`NullSink`] (real time when `realtime`).
///
/// When `play` was asked for but the speaker could not be used, the second
/// value is one line saying why, for the caller to print once; nothing is
/// printed here. The sink is `Send`: calls run on worker threads.
pub fn open_sink(play: bool, realtime: bool) -> (Box<dyn Sink + Send>, Option<String>) {
    if !play {
        return (Box::new(NullSink::new(realtime)), None);
    }
    match open_speaker() {
        Ok(speaker) => (speaker, None),
        Err(why) => (Box::new(NullSink::new(realtime)), Some(why)),
    }
}

/// `sink` with text synthesized in front of it when vxb is built with the
/// `tts` feature (speech reaches it with its audio and real length); `sink`
/// itself otherwise. Put it outside a [`RecordingSink`](super::RecordingSink)
/// so the recording holds the speech.
pub fn speaking(sink: Box<dyn Sink + Send>) -> Box<dyn Sink + Send> {
    #[cfg(feature = "tts")]
    return Box::new(super::tts::SpeakingSink::new(sink));
    #[cfg(not(feature = "tts"))]
    sink
}

#[cfg(feature = "speaker")]
fn open_speaker() -> Result<Box<dyn Sink + Send>, String> {
    super::speaker::SpeakerSink::open()
        .map(|speaker| Box::new(speaker) as Box<dyn Sink + Send>)
        .map_err(|why| format!("cannot open the speaker: {why}; audio is not played"))
}

#[cfg(not(feature = "speaker"))]
fn open_speaker() -> Result<Box<dyn Sink + Send>, String> {
    Err(WITHOUT_SPEAKER_FEATURE.to_owned())
}

/// Why `--play` does nothing in a build without the `speaker` feature.
#[cfg(not(feature = "speaker"))]
const WITHOUT_SPEAKER_FEATURE: &str = "vxb was built without the `speaker` feature; audio is not played \
     (rebuild with `cargo build --features speaker`)";

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::audio::decode;
    use crate::audio::decode::testwav;

    fn url(path: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:8080/{path}")).unwrap()
    }

    /// `frames` frames of silence at 8 kHz, mono.
    fn clip(frames: usize) -> DecodedAudio {
        decode(&testwav::pcm16(8000, 1, &vec![0; frames])).unwrap()
    }

    #[test]
    fn speech_duration_is_400_ms_a_word() {
        assert_eq!(speech_duration(""), Duration::ZERO);
        assert_eq!(speech_duration("  \n\t "), Duration::ZERO);
        assert_eq!(speech_duration("Welcome"), Duration::from_millis(400));
        assert_eq!(
            speech_duration("For pizza press 1,\n for drinks  press 2."),
            Duration::from_millis(8 * 400)
        );
    }

    #[test]
    fn null_sink_records_in_order_with_exact_durations() {
        let mut sink = NullSink::new(false);
        let menu = clip(25_681);
        let beep = decode(&testwav::pcm16(16_000, 2, &[0; 6])).unwrap();

        let log = sink.log();
        let first = sink.speak(&Speech::plain("Hello caller"), true);
        let second = sink.play(&url("menu.wav"), &menu, false);
        let third = sink.play(&url("beep.wav"), &beep, true);
        let timed = Speech {
            text: "Goodbye".into(),
            duration: Duration::from_millis(900),
            marks: vec![Mark {
                name: "end".into(),
                at: Duration::from_millis(400),
            }],
            timeline: vec![Stretch::Words(Duration::from_millis(900))],
            ..Speech::default()
        };
        let fourth = sink.speak(&timed, false);
        let fifth = sink.fetch_audio(&url("hold.wav"), &menu, Duration::from_secs(1));

        let expected = vec![
            Heard::Speech {
                text: "Hello caller".into(),
                duration: Duration::from_millis(800),
                marks: Vec::new(),
                bargein: true,
            },
            Heard::Audio {
                source: url("menu.wav"),
                format: menu.format(),
                // 25681 / 8000 s.
                duration: Duration::from_nanos(3_210_125_000),
                bargein: false,
            },
            Heard::Audio {
                source: url("beep.wav"),
                format: beep.format(),
                // 3 frames / 16000 Hz.
                duration: Duration::from_nanos(187_500),
                bargein: true,
            },
            Heard::Speech {
                text: "Goodbye".into(),
                duration: Duration::from_millis(900),
                marks: timed.marks.clone(),
                bargein: false,
            },
            Heard::FetchAudio {
                source: url("hold.wav"),
                format: menu.format(),
                duration: Duration::from_secs(1),
            },
        ];
        assert_eq!(sink.heard(), expected);
        assert_eq!(log.heard(), expected, "the shared log sees the same");
        assert_eq!(vec![first, second, third, fourth, fifth], expected);
        assert!(!expected[4].bargein());
    }

    #[test]
    fn realtime_null_sink_takes_at_least_the_duration() {
        let mut sink = NullSink::new(true);
        let clip = clip(400); // 50 ms
        let started = Instant::now();
        let heard = sink.play(&url("short.wav"), &clip, true);
        assert_eq!(heard.duration(), Duration::from_millis(50));
        assert!(started.elapsed() >= Duration::from_millis(50));

        let started = Instant::now();
        let heard = sink.speak(&Speech::plain("one"), true);
        assert!(started.elapsed() >= heard.duration());

        // Fetch audio was waited for by the fetch itself: no second wait.
        let started = Instant::now();
        let heard = sink.fetch_audio(&url("hold.wav"), &clip, Duration::from_secs(5));
        assert_eq!(
            heard.duration(),
            Duration::from_millis(50),
            "cut to the clip"
        );
        assert!(started.elapsed() < Duration::from_millis(50));
    }

    #[test]
    fn open_sink_without_play_is_a_silent_null_sink() {
        let (mut sink, why) = open_sink(false, false);
        assert_eq!(why, None);
        let heard = sink.play(&url("a.wav"), &clip(8), true);
        assert_eq!(heard.duration(), Duration::from_millis(1));
    }

    #[cfg(not(feature = "speaker"))]
    #[test]
    fn asking_for_the_speaker_without_the_feature_says_so_and_falls_back() {
        let (mut sink, why) = open_sink(true, false);
        let why = why.expect("a reason");
        assert!(why.contains("built without the `speaker` feature"), "{why}");
        assert!(!why.contains('\n'));
        // The fallback is a working, non-realtime null sink.
        let started = Instant::now();
        assert_eq!(
            sink.speak(&Speech::plain("a b c d e f g h i j"), true)
                .duration(),
            Duration::from_secs(4)
        );
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    /// With the feature the result depends on the machine: either a speaker
    /// opened (no reason) or one line saying why not, with a working sink.
    #[cfg(feature = "speaker")]
    #[test]
    fn asking_for_the_speaker_opens_it_or_says_why_not() {
        let (mut sink, why) = open_sink(true, false);
        if let Some(why) = why {
            assert!(why.starts_with("cannot open the speaker: "), "{why}");
            assert!(!why.contains('\n'), "{why}");
        }
        let heard = sink.play(&url("short.wav"), &clip(80), true);
        assert_eq!(heard.duration(), Duration::from_millis(10));
    }
}

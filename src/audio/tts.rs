//! Spoken text (cargo feature `tts`): text prompts synthesized by eSpeak NG.
//!
//! vxb runs Debian's `espeak-ng` program (`espeak-ng -m --stdout`, the SSML
//! of the speech on its standard input) and decodes the WAVE it writes with
//! the same decoder as every clip. A program rather than the C library
//! through a Rust binding: the bindings (`espeakng-sys`, `espeakng`) need
//! bindgen and libclang to build and wrap a library whose state is global to
//! the process, which the call workers would have to take turns on; a
//! process per prompt keeps calls independent, and a crash of the engine is
//! a failed prompt, not a failed browser. eSpeak NG reads SSML itself, so
//! `<break>`, `<prosody rate|pitch|volume>`, `<say-as>`, `<emphasis>` and
//! `<voice>` are honoured as far as it goes (it says `<say-as
//! interpret-as="characters">` letter by letter, and ignores what it does
//! not know).
//!
//! [`SpeakingSink`] wraps a call's sink: each speech is synthesized (once
//! per text in a call: reprompts repeat) and handed on with its audio and
//! its real length, so the speaker says it, the null sink records its
//! length and a recording holds it. When synthesis fails (no `espeak-ng`
//! installed) the sink says why once and hands speech on unsynthesized.

use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::decode::{DecodeError, DecodedAudio};
use super::sink::{Heard, Sink, Speech};

/// The synthesizer program, found on `PATH`.
pub const PROGRAM: &str = "espeak-ng";

/// Why a speech could not be synthesized.
#[derive(Debug, thiserror::Error)]
pub enum TtsError {
    /// The program could not be started (it is not installed) or talked to.
    #[error("cannot run {PROGRAM}: {0}")]
    Run(#[source] std::io::Error),
    /// It ran and failed.
    #[error("{PROGRAM} failed ({status}): {stderr}")]
    Failed {
        /// How it exited.
        status: std::process::ExitStatus,
        /// What it said.
        stderr: String,
    },
    /// What it wrote is not audio vxb can read.
    #[error("{PROGRAM} wrote no usable audio: {0}")]
    Output(#[source] DecodeError),
}

/// Synthesizes `ssml` (a `<speak>` document) with eSpeak NG.
///
/// # Errors
///
/// [`TtsError`] when the program is missing, fails, or writes no audio.
pub fn synthesize(ssml: &str) -> Result<DecodedAudio, TtsError> {
    let mut child = Command::new(PROGRAM)
        .args(["-m", "--stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(TtsError::Run)?;
    // Written from another thread: a long text's audio fills the output
    // pipe before the program has read all of its input.
    let mut stdin = child.stdin.take();
    let text = ssml.to_owned();
    let writer = std::thread::spawn(move || match stdin.as_mut() {
        Some(pipe) => pipe.write_all(text.as_bytes()),
        None => Ok(()),
    });
    let output = child.wait_with_output().map_err(TtsError::Run)?;
    let written = writer
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("the writer thread panicked")));
    if !output.status.success() {
        return Err(TtsError::Failed {
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    written.map_err(TtsError::Run)?;
    super::decode(&seal_streamed_wave(output.stdout)).map_err(TtsError::Output)
}

/// A WAVE written to a pipe cannot seek back to fill in its sizes, so
/// eSpeak NG's header declares about 2 GiB of data; the program has exited,
/// so what arrived is all there is: the RIFF and `data` sizes are set to it.
/// (A clip fetched from elsewhere keeps the strict reading: a short data
/// chunk there is a truncated download.)
fn seal_streamed_wave(mut wave: Vec<u8>) -> Vec<u8> {
    if wave.len() < 12 || &wave[..4] != b"RIFF" || &wave[8..12] != b"WAVE" {
        return wave;
    }
    let riff = u32::try_from(wave.len() - 8).unwrap_or(u32::MAX);
    wave[4..8].copy_from_slice(&riff.to_le_bytes());
    let mut at = 12;
    while at + 8 <= wave.len() {
        let declared = u32::from_le_bytes([wave[at + 4], wave[at + 5], wave[at + 6], wave[at + 7]]);
        let body = at + 8;
        if &wave[at..at + 4] == b"data" {
            let present = u32::try_from(wave.len() - body).unwrap_or(u32::MAX);
            let size = declared.min(present);
            wave[at + 4..body].copy_from_slice(&size.to_le_bytes());
            break;
        }
        // Chunks are padded to even length.
        at = body + declared as usize + (declared as usize & 1);
    }
    wave
}

/// A sink that synthesizes each speech before handing it to `inner`.
pub struct SpeakingSink {
    inner: Box<dyn Sink + Send>,
    /// Each SSML document synthesized in this call.
    said: HashMap<String, Arc<DecodedAudio>>,
    /// Set once synthesis failed: the rest of the call is not synthesized
    /// (a missing program stays missing).
    gave_up: bool,
}

impl SpeakingSink {
    /// Speaks to `inner`.
    pub fn new(inner: Box<dyn Sink + Send>) -> SpeakingSink {
        SpeakingSink {
            inner,
            said: HashMap::new(),
            gave_up: false,
        }
    }

    /// `speech` synthesized, or `None` when there is nothing to say (a
    /// `<break>` alone is silence already) or synthesis failed.
    fn voice(&mut self, speech: &Speech) -> Option<Arc<DecodedAudio>> {
        if self.gave_up || speech.text.trim().is_empty() || speech.audio.is_some() {
            return None;
        }
        if let Some(audio) = self.said.get(&speech.ssml) {
            return Some(Arc::clone(audio));
        }
        match synthesize(&speech.ssml) {
            Ok(audio) => {
                let audio = Arc::new(audio);
                self.said.insert(speech.ssml.clone(), Arc::clone(&audio));
                Some(audio)
            }
            Err(e) => {
                tracing::warn!(target: "vxb::call", "text is not synthesized: {e}");
                self.gave_up = true;
                None
            }
        }
    }
}

impl Sink for SpeakingSink {
    fn speak(&mut self, speech: &Speech, bargein: bool) -> Heard {
        match self.voice(speech) {
            Some(audio) => self.inner.speak(&speech.synthesized(audio), bargein),
            None => self.inner.speak(speech, bargein),
        }
    }

    fn play(&mut self, source: &Url, audio: &DecodedAudio, bargein: bool) -> Heard {
        self.inner.play(source, audio, bargein)
    }

    fn fetch_audio(&mut self, source: &Url, audio: &DecodedAudio, played: Duration) -> Heard {
        self.inner.fetch_audio(source, audio, played)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::audio::decode::testwav;
    use crate::audio::sink::speak_document;

    fn say(ssml_body: &str) -> DecodedAudio {
        synthesize(&speak_document(ssml_body)).expect("espeak-ng synthesizes")
    }

    #[test]
    fn a_sentence_lasts_a_plausible_time() {
        let audio = say("Welcome to the voice browser. Please say the name of a city.");
        // Eleven words: well over a second, well under eleven.
        let d = audio.duration();
        assert!(
            d > Duration::from_millis(2000) && d < Duration::from_secs(8),
            "{d:?}"
        );
        assert_eq!(audio.channels(), 1);
        assert_eq!(audio.sample_rate(), 22_050);
        // Speech, not silence: a good part of the samples are loud.
        let loud = audio.samples().iter().filter(|s| s.abs() > 1000).count();
        assert!(loud * 10 > audio.samples().len(), "{loud} loud samples");
    }

    #[test]
    fn ssml_timing_is_honoured() {
        let plain = say("one two three").duration();
        let pause = say("one two <break time=\"2s\"/> three").duration();
        assert!(
            pause >= plain + Duration::from_millis(1800),
            "{plain:?} {pause:?}"
        );
        let slow = say("<prosody rate=\"x-slow\">one two three</prosody>").duration();
        let fast = say("<prosody rate=\"x-fast\">one two three</prosody>").duration();
        assert!(slow > plain && plain > fast, "{slow:?} {plain:?} {fast:?}");
        let spelled = say("<say-as interpret-as=\"characters\">abc</say-as>").duration();
        let word = say("abc").duration();
        assert!(spelled > word, "spelled {spelled:?} vs {word:?}");
        // Emphasis is accepted (its effect is the engine's to choose).
        assert!(say("<emphasis>now</emphasis>").duration() > Duration::ZERO);
    }

    #[test]
    fn a_streamed_header_is_sealed_to_what_arrived() {
        let mut wave = testwav::pcm16(8000, 1, &[1, 2, 3]);
        let data = wave.len() - 6;
        wave[data - 4..data].copy_from_slice(&0x7fff_f000u32.to_le_bytes());
        wave[4..8].copy_from_slice(&0x7fff_f024u32.to_le_bytes());
        assert!(crate::audio::decode(&wave).is_err(), "strict for clips");
        let sealed = crate::audio::decode(&seal_streamed_wave(wave)).expect("sealed");
        assert_eq!(sealed.samples(), &[1, 2, 3]);
        assert_eq!(seal_streamed_wave(b"RIFF".to_vec()), b"RIFF".to_vec());
    }

    /// Keeps what it is told to speak.
    struct Ear(Arc<Mutex<Vec<Speech>>>);

    impl Sink for Ear {
        fn speak(&mut self, speech: &Speech, bargein: bool) -> Heard {
            self.0.lock().unwrap().push(speech.clone());
            Heard::speech(speech, bargein)
        }
        fn play(&mut self, source: &Url, audio: &DecodedAudio, bargein: bool) -> Heard {
            Heard::audio(source, audio, bargein)
        }
    }

    #[test]
    fn the_sink_hears_speech_with_its_real_length_once_per_text() {
        let told = Arc::new(Mutex::new(Vec::new()));
        let mut sink = SpeakingSink::new(Box::new(Ear(Arc::clone(&told))));
        let text = Speech::plain("For sales press one");
        let heard = sink.speak(&text, true);
        let again = sink.speak(&text, true);
        assert_eq!(heard, again);
        {
            let told = told.lock().unwrap();
            let audio = told[0].audio.as_ref().expect("synthesized audio");
            assert_eq!(heard.duration(), audio.duration(), "the real length");
            assert_ne!(heard.duration(), text.duration, "not the estimate");
            assert!(
                Arc::ptr_eq(audio, told[1].audio.as_ref().unwrap()),
                "said once"
            );
        }
        // A break alone is silence already.
        let mut silent = Speech::plain("");
        silent.duration = Duration::from_millis(300);
        assert_eq!(
            sink.speak(&silent, true).duration(),
            Duration::from_millis(300)
        );
    }
}

//! `<record>` simulated (VoiceXML 2.0 §2.3.6): the caller's `record:` token
//! becomes a recording — a WAVE clip the call keeps — that fills the item.
//!
//! - `record:3s`: the caller speaks for 3 s and falls silent; the recording
//!   is the speech (a quiet tone, so that it is not silence) followed by
//!   `finalsilence` of silence (default [`DEFAULT_FINAL_SILENCE`]), which is
//!   what ends it.
//! - `record:3s:#`: the caller presses `#` after 3 s; with `dtmfterm`
//!   (the default) the key ends the recording at once and is its
//!   `termchar`; without it the key is not heard and silence ends it.
//! - `record:msg.wav`: the caller's message is that WAVE file.
//!
//! A recording is cut at `maxtime` (`name$.maxtime` then true); an empty
//! one is `noinput`. The item's variable holds a small object naming the
//! recording, which `<audio expr>` plays and a `multipart/form-data`
//! `<submit>` sends as a file part. `beep` plays a beep before recording.
//!
//! The same machinery records utterances (VoiceXML 2.1 `recordutterance`):
//! see [`Interpreter::record_utterance`].

use std::io::Cursor;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use url::Url;

use super::events::Event;
use super::{Interpreter, Jump};
use crate::audio::{DecodedAudio, decode};
use crate::call::{Recording, Token};
use crate::script::{UtteranceRecording, Value};
use crate::vxml::Record;

/// The property that marks a value as a recording, and holds its index.
pub(crate) const MARK: &str = "vxb$recording";
/// How long a caller is silent before a recording ends, when the
/// `<record>` gives no `finalsilence`.
pub(crate) const DEFAULT_FINAL_SILENCE: Duration = Duration::from_secs(1);
/// How long a recorded utterance lasts: a word said, a key pressed.
pub(crate) const UTTERANCE_WORD: Duration = Duration::from_millis(400);
pub(crate) const UTTERANCE_KEY: Duration = Duration::from_millis(200);
/// The rate recordings are made at (telephone audio).
const RATE: u32 = 8000;
/// The longest recording kept whatever `maxtime` says: a bound on memory.
const MAX_RECORDING: Duration = Duration::from_secs(600);
const WAV_TYPES: [&str; 4] = ["audio/x-wav", "audio/wav", "audio/wave", "audio/vnd.wave"];

/// A recording the call made.
#[derive(Debug)]
pub(crate) struct Recorded {
    /// The WAVE file.
    pub bytes: Bytes,
    /// Its media type (the `<record type>`).
    pub mime: String,
    pub audio: Arc<DecodedAudio>,
    /// Where a playback says it came from (`vxb-recording:<name>`).
    pub url: Url,
}

impl Interpreter {
    /// The caller's `record:` token at `<record>` `r`: fills the item and
    /// its shadow variable, or throws `noinput`.
    pub(crate) fn record(&mut self, r: &Record, rec: &Recording) -> Result<(), Jump> {
        let name = r.common.name.clone();
        let here = || {
            format!(
                "{}:{}: <record name=\"{name}\">",
                self.source(),
                r.common.span
            )
        };
        let mime = r.type_.as_deref().map_or("audio/x-wav", str::trim);
        if !WAV_TYPES.contains(&mime) {
            return Err(Event::unsupported(
                "format",
                format!(
                    "{}: type=\"{mime}\": recordings are made as audio/x-wav",
                    here()
                ),
            )
            .into());
        }
        let maxtime = r.maxtime.unwrap_or(MAX_RECORDING).min(MAX_RECORDING);
        let (samples, rate, channels, termchar, over) = match rec {
            Recording::Speech { length, term } => {
                let term = term.filter(|_| r.dtmfterm);
                let silence = match term {
                    Some(_) => Duration::ZERO,
                    None => r.finalsilence.unwrap_or(DEFAULT_FINAL_SILENCE),
                };
                let speech = (*length).min(maxtime);
                if speech.is_zero() {
                    // Silence alone is no recording.
                    return Err(Event::new(
                        "noinput",
                        Some(format!("{}: the caller said nothing", here())),
                    )
                    .into());
                }
                let total = (speech + silence).min(maxtime);
                // Still recording when maxtime came: it ended the recording.
                let over = *length + silence > maxtime;
                (speech_then_silence(speech, total), RATE, 1u16, term, over)
            }
            Recording::File(path) => {
                let bytes = std::fs::read(path).map_err(|e| {
                    Event::badfetch(format!(
                        "{}: caller's recording {}: {e}",
                        here(),
                        path.display()
                    ))
                })?;
                let audio = decode(&bytes).map_err(|e| {
                    Event::badfetch(format!(
                        "{}: caller's recording {}: {e}",
                        here(),
                        path.display()
                    ))
                })?;
                (
                    audio.samples().to_vec(),
                    audio.sample_rate(),
                    audio.channels(),
                    None,
                    false,
                )
            }
        };
        // Cut at maxtime.
        let frames_max = frames_in(maxtime, rate) * u64::from(channels);
        let hit_maxtime = over || samples.len() as u64 > frames_max;
        let samples = &samples[..samples
            .len()
            .min(usize::try_from(frames_max).unwrap_or(usize::MAX))];
        if samples.is_empty() {
            return Err(
                Event::new("noinput", Some(format!("{}: nothing was recorded", here()))).into(),
            );
        }
        let at = here();
        let (value, size, duration) = self
            .keep(samples, rate, channels, mime)
            .map_err(|e| Event::semantic(format!("{at}: cannot make the recording: {e}")))?;
        self.engine
            .assign_value(&name, &value)
            .map_err(|e| self.script_event(r.common.span, "record", e))?;
        let shadow = Value::Object(vec![
            (
                "duration".into(),
                Value::Number(duration.as_millis() as f64),
            ),
            ("size".into(), Value::Number(size as f64)),
            (
                "termchar".into(),
                termchar.map_or(Value::Undefined, |c| Value::String(c.to_string())),
            ),
            ("maxtime".into(), Value::Bool(hit_maxtime)),
        ]);
        self.engine
            .declare_value(&format!("{name}$"), &shadow)
            .map_err(|e| self.script_event(r.common.span, "record", e).into())
    }

    /// Keeps `samples` as one of the call's recordings: the value that
    /// names it, its size in bytes and its length.
    fn keep(
        &mut self,
        samples: &[i16],
        rate: u32,
        channels: u16,
        mime: &str,
    ) -> Result<(Value, u64, Duration), String> {
        let bytes = wav(samples, rate, channels).map_err(|e| e.to_string())?;
        let audio = decode(&bytes).map_err(|e| e.to_string())?;
        let duration = audio.duration();
        let index = self.recordings.len();
        let url = Url::parse(&format!("vxb-recording:{index}")).map_err(|e| e.to_string())?;
        let size = bytes.len() as u64;
        self.recordings.push(Arc::new(Recorded {
            bytes,
            mime: mime.into(),
            audio: Arc::new(audio),
            url,
        }));
        let value = Value::Object(vec![
            (MARK.into(), Value::Number(index as f64)),
            ("type".into(), Value::String(mime.into())),
        ]);
        Ok((value, size, duration))
    }

    /// VoiceXML 2.1 `recordutterance`: when the property is `true`, the
    /// caller's `say:`/DTMF `token` recorded as it was recognised, as long
    /// as it takes to say ([`UTTERANCE_WORD`] a word, [`UTTERANCE_KEY`] a
    /// key), in the `recordutterancetype` format (`audio/x-wav`, the
    /// default, is the one vxb makes).
    pub(crate) fn record_utterance(
        &mut self,
        token: &Token,
    ) -> Result<Option<UtteranceRecording>, Jump> {
        let props = self.properties();
        let on = props
            .get("recordutterance")
            .is_some_and(|(_, p)| p.value.trim() == "true");
        let mime = props
            .get("recordutterancetype")
            .map_or("audio/x-wav".to_string(), |(_, p)| {
                p.value.trim().to_string()
            });
        if !on {
            return Ok(None);
        }
        let count = |n: usize| u32::try_from(n.max(1)).unwrap_or(u32::MAX);
        let length = match token {
            Token::Say(words) => UTTERANCE_WORD * count(words.split_whitespace().count()),
            Token::Dtmf(keys) => UTTERANCE_KEY * count(keys.chars().count()),
            _ => return Ok(None),
        };
        if !WAV_TYPES.contains(&mime.as_str()) {
            return Err(Event::unsupported(
                "format",
                format!("recordutterancetype \"{mime}\": utterances are recorded as audio/x-wav"),
            )
            .into());
        }
        let samples = speech_then_silence(length, length);
        let (recording, size, duration) = self
            .keep(&samples, RATE, 1, &mime)
            .map_err(|e| Event::semantic(format!("cannot record the utterance: {e}")))?;
        Ok(Some(UtteranceRecording {
            recording,
            size,
            duration_ms: duration.as_millis() as f64,
        }))
    }

    /// The recording a script value names, if it is one this call made.
    pub(crate) fn recording_of(&self, v: &Value) -> Option<Arc<Recorded>> {
        let Value::Object(props) = v else {
            return None;
        };
        let index = props.iter().find_map(|(k, v)| match v {
            Value::Number(n) if k == MARK && *n >= 0.0 && n.fract() == 0.0 => Some(*n as usize),
            _ => None,
        })?;
        self.recordings.get(index).cloned()
    }

    /// The beep a `<record beep="true">` plays before recording.
    pub(crate) fn beep(&mut self) -> Result<(), Jump> {
        let tone: Vec<i16> = (0..frames_in(Duration::from_millis(250), RATE))
            .map(|i| tone_sample(i, 1000.0, 8000.0))
            .collect();
        let made = wav(&tone, RATE, 1)
            .map_err(|e| e.to_string())
            .and_then(|b| decode(&b).map_err(|e| e.to_string()))
            .map_err(|e| Event::semantic(format!("cannot make the beep: {e}")))?;
        let url = Url::parse("vxb-beep:").map_err(|e| Event::semantic(e.to_string()))?;
        self.queue_clip(url, Arc::new(made));
        Ok(())
    }
}

fn frames_in(d: Duration, rate: u32) -> u64 {
    (d.as_secs_f64() * f64::from(rate)).round() as u64
}

fn tone_sample(i: u64, hz: f64, amplitude: f64) -> i16 {
    let t = i as f64 / f64::from(RATE);
    (amplitude * (2.0 * std::f64::consts::PI * hz * t).sin()) as i16
}

/// `speech` of a quiet tone, then silence up to `total`.
fn speech_then_silence(speech: Duration, total: Duration) -> Vec<i16> {
    let spoken = frames_in(speech, RATE);
    (0..frames_in(total, RATE))
        .map(|i| {
            if i < spoken {
                tone_sample(i, 220.0, 2000.0)
            } else {
                0
            }
        })
        .collect()
}

/// 16-bit PCM WAVE bytes.
fn wav(samples: &[i16], rate: u32, channels: u16) -> Result<Bytes, hound::Error> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec)?;
    for s in samples {
        w.write_sample(*s)?;
    }
    w.finalize()?;
    Ok(Bytes::from(out.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recordings_are_wave_files_of_the_length_asked() {
        let samples = speech_then_silence(Duration::from_millis(1500), Duration::from_millis(2500));
        assert_eq!(samples.len(), 20_000);
        assert!(
            samples[..12_000].iter().any(|s| *s != 0),
            "speech is not silence"
        );
        assert!(samples[12_000..].iter().all(|s| *s == 0), "then silence");
        let bytes = wav(&samples, RATE, 1).expect("encodes");
        assert_eq!(bytes.len(), 44 + 40_000);
        let audio = decode(&bytes).expect("decodes");
        assert_eq!(audio.duration(), Duration::from_millis(2500));
    }
}

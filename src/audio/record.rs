//! The call as a recording: what the caller heard, in order, as one WAVE
//! file on the 8 kHz telephone line.
//!
//! A [`RecordingSink`] wraps the sink a call plays to (so `--play` and
//! `--realtime` behave as without it) and writes everything that sink is
//! given onto a [`Tape`]: clips mixed to mono and resampled to 8 kHz, fetch
//! audio for as long as it played, and text as its synthesized speech (the
//! `tts` feature) or, without it, a quiet comfort tone for its estimated
//! time with each `<break>` as silence.
//! The tape is a shared handle, readable after the sink went to the call.

use std::fmt;
use std::io::Cursor;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use url::Url;

use super::decode::DecodedAudio;
use super::g711::linear_to_mulaw;
use super::sink::{Heard, Sink, Speech, Stretch};

/// The line's rate: every recording is 8 kHz mono.
pub const RECORD_RATE: u32 = 8000;

/// The comfort tone standing in for unsynthesized words: 425 Hz (the
/// European dial-tone pitch, clearly not speech) at about −30 dBFS.
const TONE_HZ: f64 = 425.0;
const TONE_AMPLITUDE: f64 = 1000.0;

/// How a recording's samples are stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordFormat {
    /// G.711 µ-law, 8 bits a sample: what the line carries.
    #[default]
    MuLaw,
    /// 16-bit linear PCM.
    Pcm16,
}

impl FromStr for RecordFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<RecordFormat, String> {
        match s {
            "ulaw" | "mulaw" => Ok(RecordFormat::MuLaw),
            "pcm16" | "pcm" => Ok(RecordFormat::Pcm16),
            other => Err(format!(
                "unknown recording format `{other}` (ulaw or pcm16)"
            )),
        }
    }
}

impl fmt::Display for RecordFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RecordFormat::MuLaw => "ulaw",
            RecordFormat::Pcm16 => "pcm16",
        })
    }
}

/// The samples recorded so far (8 kHz mono), shared between the sink and
/// whoever writes the file after the call.
#[derive(Clone, Debug, Default)]
pub struct Tape(Arc<Mutex<Vec<i16>>>);

impl Tape {
    /// Everything recorded so far.
    pub fn samples(&self) -> Vec<i16> {
        self.lock().clone()
    }

    /// How long the recording lasts.
    pub fn duration(&self) -> Duration {
        frames_to_duration(self.lock().len() as u64)
    }

    /// The recording as the bytes of a WAVE file.
    pub fn wav(&self, format: RecordFormat) -> Vec<u8> {
        let samples = self.lock();
        match format {
            RecordFormat::MuLaw => {
                // A WAVE data chunk holds at most 4 GiB: 149 hours at 8 kHz.
                let frames = u32::try_from(samples.len()).unwrap_or(u32::MAX);
                let codes = samples
                    .iter()
                    .take(frames as usize)
                    .map(|&s| linear_to_mulaw(s));
                mulaw_wav(RECORD_RATE, frames, codes)
            }
            RecordFormat::Pcm16 => pcm16_wav(&samples),
        }
    }

    /// Writes the recording to `path`.
    pub fn write(&self, path: &Path, format: RecordFormat) -> std::io::Result<()> {
        std::fs::write(path, self.wav(format))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<i16>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn silence(&self, d: Duration) {
        let mut tape = self.lock();
        let n = tape.len() + duration_to_frames(d);
        tape.resize(n, 0);
    }

    fn tone(&self, d: Duration) {
        let step = std::f64::consts::TAU * TONE_HZ / f64::from(RECORD_RATE);
        let tone =
            (0..duration_to_frames(d)).map(|i| ((step * i as f64).sin() * TONE_AMPLITUDE) as i16);
        self.lock().extend(tone);
    }

    fn speech(&self, speech: &Speech) {
        if let Some(audio) = &speech.audio {
            return self.clip(audio, None);
        }
        for stretch in &speech.timeline {
            match *stretch {
                Stretch::Words(d) => self.tone(d),
                Stretch::Silence(d) => self.silence(d),
            }
        }
    }

    /// Appends `audio` (at most its first `limit`), mono, at 8 kHz.
    fn clip(&self, audio: &DecodedAudio, limit: Option<Duration>) {
        let mut line = to_line(audio);
        if let Some(limit) = limit {
            line.truncate(duration_to_frames(limit));
        }
        self.lock().extend(line);
    }
}

/// Frames at [`RECORD_RATE`] in `d`, rounded to the nearest.
fn duration_to_frames(d: Duration) -> usize {
    let frames = (d.as_nanos() * u128::from(RECORD_RATE) + 500_000_000) / 1_000_000_000;
    usize::try_from(frames).unwrap_or(usize::MAX)
}

fn frames_to_duration(frames: u64) -> Duration {
    let rate = u64::from(RECORD_RATE);
    Duration::from_secs(frames / rate)
        + Duration::from_nanos((frames % rate) * 1_000_000_000 / rate)
}

/// `audio` mixed to mono and resampled to [`RECORD_RATE`] by linear
/// interpolation (a clip at 8 kHz is copied exactly; a higher rate is read
/// at the line's instants, which is what a telephone line does to it).
fn to_line(audio: &DecodedAudio) -> Vec<i16> {
    let channels = usize::from(audio.channels());
    let mono: Vec<i32> = audio
        .samples()
        .chunks_exact(channels)
        .map(|frame| frame.iter().map(|&s| i32::from(s)).sum::<i32>() / channels as i32)
        .collect();
    let rate = u64::from(audio.sample_rate());
    let line = u64::from(RECORD_RATE);
    let out_len = (mono.len() as u64 * line / rate) as usize;
    (0..out_len)
        .map(|i| {
            // Position i × rate / line in source frames, as whole + fraction.
            let pos = i as u64 * rate;
            let (at, frac) = ((pos / line) as usize, pos % line);
            let a = i64::from(mono[at]);
            let b = i64::from(*mono.get(at + 1).unwrap_or(&mono[at]));
            (a + (b - a) * frac as i64 / line as i64) as i16
        })
        .collect()
}

/// 16-bit PCM WAVE, written by hound.
fn pcm16_wav(samples: &[i16]) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RECORD_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = Cursor::new(Vec::new());
    // Writing to memory fails only past WAVE's 4 GiB limit: stop there.
    if let Ok(mut writer) = hound::WavWriter::new(&mut out, spec) {
        for &s in samples {
            if writer.write_sample(s).is_err() {
                break;
            }
        }
        let _ = writer.finalize();
    }
    out.into_inner()
}

/// A sink that records what it passes on to `inner`.
pub struct RecordingSink {
    inner: Box<dyn Sink + Send>,
    tape: Tape,
}

impl RecordingSink {
    /// Records what `inner` is given; the returned tape reads it.
    pub fn new(inner: Box<dyn Sink + Send>) -> (RecordingSink, Tape) {
        let tape = Tape::default();
        let sink = RecordingSink {
            inner,
            tape: tape.clone(),
        };
        (sink, tape)
    }
}

impl Sink for RecordingSink {
    fn speak(&mut self, speech: &Speech, bargein: bool) -> Heard {
        self.tape.speech(speech);
        self.inner.speak(speech, bargein)
    }

    fn play(&mut self, source: &Url, audio: &DecodedAudio, bargein: bool) -> Heard {
        self.tape.clip(audio, None);
        self.inner.play(source, audio, bargein)
    }

    fn fetch_audio(&mut self, source: &Url, audio: &DecodedAudio, played: Duration) -> Heard {
        self.tape.clip(audio, Some(played));
        self.inner.fetch_audio(source, audio, played)
    }
}

/// The RIFF/WAVE bytes of mono µ-law `frames` at `rate`: `fmt ` (format
/// tag 7 with the 18-byte WAVEFORMATEX), `fact` (required for non-PCM
/// formats) and `data`, padded to even length as RIFF requires.
pub(crate) fn mulaw_wav(rate: u32, frames: u32, samples: impl Iterator<Item = u8>) -> Vec<u8> {
    const FMT_LEN: u32 = 18;
    const FACT_LEN: u32 = 4;
    let pad = frames % 2;
    let riff_len = 4 + (8 + FMT_LEN) + (8 + FACT_LEN) + 8 + frames + pad;
    let mut out = Vec::with_capacity(8 + riff_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&riff_len.to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&FMT_LEN.to_le_bytes());
    out.extend_from_slice(&7u16.to_le_bytes()); // WAVE_FORMAT_MULAW
    out.extend_from_slice(&1u16.to_le_bytes()); // channels
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes()); // bytes per second
    out.extend_from_slice(&1u16.to_le_bytes()); // block align
    out.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(&0u16.to_le_bytes()); // cbSize
    out.extend_from_slice(b"fact");
    out.extend_from_slice(&FACT_LEN.to_le_bytes());
    out.extend_from_slice(&frames.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&frames.to_le_bytes());
    out.extend(samples);
    if pad == 1 {
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::decode::testwav;
    use crate::audio::{NullSink, decode};

    fn url(path: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:8080/{path}")).unwrap()
    }

    fn recorder() -> (RecordingSink, Tape, crate::audio::HeardLog) {
        let null = NullSink::new(false);
        let log = null.log();
        let (sink, tape) = RecordingSink::new(Box::new(null));
        (sink, tape, log)
    }

    #[test]
    fn clips_speech_breaks_and_fetch_audio_land_in_order_at_8_khz() {
        let (mut sink, tape, log) = recorder();
        let at8k: Vec<i16> = (0..800).map(|i| (i * 37 % 2000 - 1000) as i16).collect();
        let clip8k = decode(&testwav::pcm16(8000, 1, &at8k)).unwrap();
        // 16 kHz stereo: the line keeps every other frame's channel mean.
        let at16k: Vec<i16> = (0..3200).map(|i| (i % 400) as i16).collect();
        let clip16k = decode(&testwav::pcm16(16_000, 2, &at16k)).unwrap();
        let speech = Speech {
            text: "hello there".into(),
            duration: Duration::from_millis(1100),
            marks: Vec::new(),
            timeline: vec![
                Stretch::Words(Duration::from_millis(400)),
                Stretch::Silence(Duration::from_millis(300)),
                Stretch::Words(Duration::from_millis(400)),
            ],
            ..Speech::default()
        };
        sink.play(&url("a.wav"), &clip8k, true);
        sink.speak(&speech, true);
        sink.play(&url("b.wav"), &clip16k, false);
        sink.fetch_audio(&url("hold.wav"), &clip8k, Duration::from_millis(25));
        assert_eq!(log.heard().len(), 4, "the inner sink heard everything");

        let s = tape.samples();
        // 800 + (3200 + 2400 + 3200) + 800 + 200 frames.
        assert_eq!(s.len(), 800 + 8800 + 800 + 200);
        assert_eq!(tape.duration(), Duration::from_millis(1325));
        assert_eq!(&s[..800], &at8k[..]);
        let tone = &s[800..4000];
        assert!(tone.iter().any(|&x| x > 900) && tone.iter().all(|&x| x.abs() <= 1000));
        assert!(
            s[4000..6400].iter().all(|&x| x == 0),
            "the break is silence"
        );
        assert!(s[6400..9600].iter().any(|&x| x != 0));
        let resampled: Vec<i16> = (0..800)
            .map(|i| ((at16k[4 * i] as i32 + at16k[4 * i + 1] as i32) / 2) as i16)
            .collect();
        assert_eq!(&s[9600..10_400], &resampled[..]);
        assert_eq!(
            &s[10_400..],
            &at8k[..200],
            "fetch audio as long as it played"
        );
    }

    #[test]
    fn written_files_decode_back_in_both_formats() {
        let (mut sink, tape, _) = recorder();
        let samples: Vec<i16> = (0..1001).map(|i| (i * 13 % 8000 - 4000) as i16).collect();
        sink.play(
            &url("a.wav"),
            &decode(&testwav::pcm16(8000, 1, &samples)).unwrap(),
            true,
        );
        let pcm = decode(&tape.wav(RecordFormat::Pcm16)).unwrap();
        assert_eq!(pcm.samples(), &samples[..]);
        assert_eq!(pcm.format().to_string(), "16-bit PCM, 8000 Hz, mono");
        let ulaw = decode(&tape.wav(RecordFormat::MuLaw)).unwrap();
        assert_eq!(ulaw.format().to_string(), "G.711 µ-law, 8000 Hz, mono");
        assert_eq!(ulaw.frames(), 1001);
        // µ-law keeps a 4-bit mantissa: within 1/32 of each sample, plus the
        // bias near 0.
        for (&a, &b) in samples.iter().zip(ulaw.samples()) {
            let tolerance = i32::from(a).abs() / 30 + 8;
            assert!(
                (i32::from(a) - i32::from(b)).abs() <= tolerance,
                "{a} vs {b}"
            );
        }
        assert_eq!("ulaw".parse(), Ok(RecordFormat::MuLaw));
        assert_eq!("pcm16".parse(), Ok(RecordFormat::Pcm16));
        assert!(
            "mp3"
                .parse::<RecordFormat>()
                .unwrap_err()
                .contains("ulaw or pcm16")
        );
    }
}

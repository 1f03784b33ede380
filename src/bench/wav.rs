//! Telephony prompts for the benchmark application: 8 kHz mono G.711 µ-law
//! WAVE files holding a tone with a little noise.
//!
//! µ-law because that is what voice platforms store prompts as (and half the
//! bytes of 16-bit PCM). The RIFF layout and the G.711 compressor are
//! `crate::audio`'s, which call recordings use too.

/// Samples per second.
pub const RATE: u32 = 8_000;

/// A µ-law WAVE file of `frames` samples: a sine of `hz` at about −12 dBFS
/// with noise from `rng` mixed in, so no two prompts are the same bytes.
pub fn tone(frames: u32, hz: f64, rng: &mut fastrand::Rng) -> Vec<u8> {
    let step = std::f64::consts::TAU * hz / f64::from(RATE);
    let samples = (0..frames).map(|i| {
        let tone = (step * f64::from(i)).sin() * 8_000.0;
        let noise = f64::from(rng.i16(-600..=600));
        // |tone + noise| ≤ 8600: well inside i16.
        crate::audio::linear_to_mulaw((tone + noise) as i16)
    });
    crate::audio::mulaw_wav(RATE, frames, samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{Encoding, decode};

    #[test]
    fn mulaw_encoding_inverts_the_decoder() {
        // Every code, through the crate's own decoder and back: each comes
        // back as itself but 0x7F ("negative zero" decodes to 0, which
        // encodes as 0xFF).
        let bytes = crate::audio::mulaw_wav(RATE, 256, 0..=255u8);
        let audio = decode(&bytes).expect("decodes");
        assert_eq!(audio.frames(), 256);
        for (code, &linear) in (0..=255u8).zip(audio.samples()) {
            let back = crate::audio::linear_to_mulaw(linear);
            if code == 0x7F {
                assert_eq!(back, 0xFF);
            } else {
                assert_eq!(back, code, "code {code:#04x} → {linear} → {back:#04x}");
            }
        }
        // Clipping at both ends.
        assert_eq!(crate::audio::linear_to_mulaw(i16::MAX), 0x80);
        assert_eq!(crate::audio::linear_to_mulaw(i16::MIN), 0x00);
    }

    #[test]
    fn tones_decode_as_8khz_mulaw_with_the_exact_duration() {
        let mut rng = fastrand::Rng::with_seed(9);
        for frames in [4_000u32, 4_001, 64_000] {
            let bytes = tone(frames, 440.0, &mut rng);
            assert_eq!(bytes.len() as u32, 58 + frames + frames % 2);
            let audio = decode(&bytes).expect("decodes");
            assert_eq!(audio.sample_rate(), RATE);
            assert_eq!(audio.channels(), 1);
            assert_eq!(audio.frames(), u64::from(frames));
            assert_eq!(audio.format().encoding, Encoding::MuLaw);
            assert_eq!(
                audio.duration(),
                std::time::Duration::from_secs_f64(f64::from(frames) / 8_000.0)
            );
            let peak = audio.samples().iter().map(|s| s.unsigned_abs()).max();
            assert!(
                peak.is_some_and(|p| (7_000..10_000).contains(&p)),
                "{peak:?}"
            );
        }
    }
}

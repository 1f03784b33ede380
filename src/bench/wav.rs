//! Telephony prompts for the benchmark application: 8 kHz mono G.711 µ-law
//! WAVE files holding a tone with a little noise.
//!
//! µ-law because that is what voice platforms store prompts as (and half the
//! bytes of 16-bit PCM). `hound` writes PCM only, so the RIFF layout and the
//! G.711 compressor are written here; the decoder in `crate::audio` reads
//! them back in the tests.

/// Samples per second.
pub const RATE: u32 = 8_000;

/// Compresses a 16-bit linear sample to G.711 µ-law (the classic Sun
/// `g711.c` encoder; the inverse of `audio::g711::mulaw_to_linear` on its
/// outputs).
pub fn linear_to_mulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let s = i32::from(sample);
    let (sign, magnitude) = if s < 0 { (0x80, -s) } else { (0, s) };
    let biased = magnitude.min(CLIP) + BIAS;
    // The segment is the position of the top bit above bit 7 (biased ≥ 0x84).
    let segment = (31 - biased.leading_zeros()).saturating_sub(7).min(7);
    let step = (biased >> (segment + 3)) & 0x0F;
    // Codes are sent with every bit inverted; every part fits in a byte.
    !(sign | (segment << 4) as u8 | step as u8)
}

/// A µ-law WAVE file of `frames` samples: a sine of `hz` at about −12 dBFS
/// with noise from `rng` mixed in, so no two prompts are the same bytes.
pub fn tone(frames: u32, hz: f64, rng: &mut fastrand::Rng) -> Vec<u8> {
    let step = std::f64::consts::TAU * hz / f64::from(RATE);
    let samples = (0..frames).map(|i| {
        let tone = (step * f64::from(i)).sin() * 8_000.0;
        let noise = f64::from(rng.i16(-600..=600));
        // |tone + noise| ≤ 8600: well inside i16.
        linear_to_mulaw((tone + noise) as i16)
    });
    riff_mulaw(frames, samples)
}

/// The RIFF/WAVE bytes of mono µ-law `frames` at [`RATE`]: `fmt ` (format
/// tag 7 with the 18-byte WAVEFORMATEX), `fact` (required for non-PCM
/// formats) and `data`, padded to even length as RIFF requires.
fn riff_mulaw(frames: u32, samples: impl Iterator<Item = u8>) -> Vec<u8> {
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
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&RATE.to_le_bytes()); // bytes per second
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
    use crate::audio::{Encoding, decode};

    #[test]
    fn mulaw_encoding_inverts_the_decoder() {
        // Every code, through the crate's own decoder and back: each comes
        // back as itself but 0x7F ("negative zero" decodes to 0, which
        // encodes as 0xFF).
        let bytes = riff_mulaw(256, 0..=255u8);
        let audio = decode(&bytes).expect("decodes");
        assert_eq!(audio.frames(), 256);
        for (code, &linear) in (0..=255u8).zip(audio.samples()) {
            let back = linear_to_mulaw(linear);
            if code == 0x7F {
                assert_eq!(back, 0xFF);
            } else {
                assert_eq!(back, code, "code {code:#04x} → {linear} → {back:#04x}");
            }
        }
        // Clipping at both ends.
        assert_eq!(linear_to_mulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_mulaw(i16::MIN), 0x00);
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

//! Sun/NeXT `.au` files: a 24-byte big-endian header (magic `.snd`, data
//! offset, data size, encoding, rate, channels), then the samples,
//! big-endian. No crate reads this tiny format without bringing a decoder
//! framework for it, so it is read here, with the G.711 expanders shared
//! with WAVE.

use std::num::{NonZeroU16, NonZeroU32};

use super::decode::{AudioFormat, DecodeError, DecodedAudio, Encoding};
use super::g711;
use super::riff::HeaderPart;

/// The header's length; the data offset may be larger (an annotation follows).
const HEADER_LEN: usize = 24;
/// The data size of a file written to a pipe: "up to the end".
const UNKNOWN_SIZE: u32 = u32::MAX;

/// Decodes a `.au` file held in memory. Data shorter than the header's size
/// is [`DecodeError::TruncatedData`]; a trailing partial frame is ignored.
pub(crate) fn decode(bytes: &[u8]) -> Result<DecodedAudio, DecodeError> {
    let word = |at: usize| -> Result<u32, DecodeError> {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or(DecodeError::TruncatedHeader {
                len: bytes.len(),
                inside: HeaderPart::Au,
            })
    };
    if bytes.get(..4) != Some(b".snd") {
        return Err(DecodeError::NotAu);
    }
    let (offset, size, code, rate, channels) =
        (word(4)?, word(8)?, word(12)?, word(16)?, word(20)?);
    let channels = u16::try_from(channels)
        .ok()
        .and_then(NonZeroU16::new)
        .ok_or(DecodeError::ZeroChannels)?;
    let sample_rate = NonZeroU32::new(rate).ok_or(DecodeError::ZeroSampleRate)?;
    let start = usize::try_from(offset)
        .ok()
        .filter(|&o| o >= HEADER_LEN && o <= bytes.len())
        .ok_or(DecodeError::AuDataOffset {
            offset,
            len: bytes.len(),
        })?;
    let available = &bytes[start..];
    let data = if size == UNKNOWN_SIZE {
        available
    } else {
        available
            .get(..size as usize)
            .ok_or(DecodeError::TruncatedData {
                declared: size,
                available: available.len(),
            })?
    };

    let (encoding, width): (Encoding, usize) = match code {
        1 => (Encoding::MuLaw, 1),
        2 => (Encoding::Pcm { bits: 8 }, 1),
        3 => (Encoding::Pcm { bits: 16 }, 2),
        4 => (Encoding::Pcm { bits: 24 }, 3),
        5 => (Encoding::Pcm { bits: 32 }, 4),
        6 => (Encoding::Float32, 4),
        27 => (Encoding::ALaw, 1),
        code => return Err(DecodeError::UnsupportedAuEncoding { code }),
    };
    let frame = width * usize::from(channels.get());
    let data = &data[..data.len() - data.len() % frame];
    let samples = data.chunks_exact(width).map(|s| match (encoding, s) {
        (Encoding::MuLaw, &[b]) => g711::mulaw_to_linear(b),
        (Encoding::ALaw, &[b]) => g711::alaw_to_linear(b),
        // Signed, big-endian; keep the top 16 bits.
        (Encoding::Pcm { .. }, &[b]) => i16::from(b as i8) << 8,
        (Encoding::Pcm { .. }, &[hi, lo, ..]) => i16::from_be_bytes([hi, lo]),
        (Encoding::Float32, &[a, b, c, d]) => {
            // `as` saturates out-of-range values and maps NaN to 0.
            (f32::from_be_bytes([a, b, c, d]) * 32768.0).round() as i16
        }
        // `width` matches the encoding, so no other shape reaches here.
        _ => 0,
    });
    Ok(DecodedAudio::new(
        AudioFormat {
            encoding,
            sample_rate,
            channels,
        },
        samples.collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn au(offset: u32, size: u32, code: u32, rate: u32, channels: u32, data: &[u8]) -> Vec<u8> {
        let mut b = b".snd".to_vec();
        for w in [offset, size, code, rate, channels] {
            b.extend_from_slice(&w.to_be_bytes());
        }
        b.resize(offset as usize, 0);
        b.extend_from_slice(data);
        b
    }

    #[test]
    fn every_encoding_with_big_endian_samples() {
        let d = decode(&au(24, 2, 1, 8000, 1, &[0xFF, 0x80])).unwrap();
        assert_eq!(
            (d.format().encoding, d.samples()),
            (Encoding::MuLaw, &[0, 32124][..])
        );
        let d = decode(&au(24, 2, 27, 8000, 1, &[0xD5, 0x55])).unwrap();
        assert_eq!(
            (d.format().encoding, d.samples()),
            (Encoding::ALaw, &[8, -8][..])
        );
        let d = decode(&au(24, 2, 2, 8000, 1, &[0x7F, 0x80])).unwrap();
        assert_eq!(d.samples(), &[0x7F00, -0x8000]);
        let d = decode(&au(32, 4, 3, 16_000, 2, &[0x12, 0x34, 0xFF, 0xFE])).unwrap();
        assert_eq!(d.samples(), &[0x1234, -2]);
        assert_eq!(d.format().to_string(), "16-bit PCM, 16000 Hz, stereo");
        let d = decode(&au(24, 3, 4, 8000, 1, &[0x12, 0x34, 0x56])).unwrap();
        assert_eq!(d.samples(), &[0x1234]);
        let d = decode(&au(24, 4, 6, 8000, 1, &0.5f32.to_be_bytes())).unwrap();
        assert_eq!(d.samples(), &[16384]);
        // Unknown size: up to the end, whole frames only.
        let d = decode(&au(24, u32::MAX, 3, 8000, 1, &[0, 1, 0, 2, 9])).unwrap();
        assert_eq!(d.samples(), &[1, 2]);
        assert_eq!(d.duration(), std::time::Duration::from_micros(250));
    }

    #[test]
    fn damage_is_an_error() {
        let good = au(24, 4, 1, 8000, 1, &[1, 2, 3, 4]);
        for len in 0..good.len() {
            assert!(decode(&good[..len]).is_err(), "prefix of {len}");
        }
        assert_eq!(
            decode(&good[..good.len() - 1]),
            Err(DecodeError::TruncatedData {
                declared: 4,
                available: 3
            })
        );
        assert_eq!(
            decode(&good[..10]),
            Err(DecodeError::TruncatedHeader {
                len: 10,
                inside: HeaderPart::Au
            })
        );
        assert_eq!(
            decode(&au(24, 4, 23, 8000, 1, &[0; 4])),
            Err(DecodeError::UnsupportedAuEncoding { code: 23 })
        );
        let mut bad_offset = good.clone();
        bad_offset[4..8].copy_from_slice(&99u32.to_be_bytes());
        assert_eq!(
            decode(&bad_offset).unwrap_err().to_string(),
            "the .au header declares a data offset of 99, past the end of the 28-byte file"
        );
        assert_eq!(
            decode(&au(24, 0, 1, 0, 1, &[])),
            Err(DecodeError::ZeroSampleRate)
        );
        assert_eq!(
            decode(&au(24, 0, 1, 8000, 0, &[])),
            Err(DecodeError::ZeroChannels)
        );
        assert_eq!(decode(b"RIFF...."), Err(DecodeError::NotAu));
    }
}

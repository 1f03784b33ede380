//! Decoding of WAVE audio into 16-bit linear samples with an exact duration.
//!
//! [`decode`](super::decode()) (WAVE, through `decode_wave` here) is a
//! pure function over the bytes of a fetched (or cached) resource. Its
//! result, [`DecodedAudio`], is immutable, `Send + Sync` and shares its
//! samples through an `Arc`, so the cache can keep it beside the bytes and
//! a hit never decodes again.
//!
//! Supported: integer PCM in 8-, 16-, 24- and 32-bit containers, 32-bit IEEE
//! float, G.711 µ-law and A-law, each as a plain format tag or wrapped in
//! `WAVE_FORMAT_EXTENSIBLE`; any sample rate; any channel count. The
//! container is walked by `super::riff`; PCM and float samples are read by
//! `hound`'s sample decoder, G.711 by `super::g711`.
//!
//! Samples are kept as interleaved `i16`: G.711 and 8/16-bit PCM convert
//! exactly, and wider formats keep their top 16 bits (float is scaled,
//! rounded and clamped), which is more than a telephone line carries and half
//! the memory of `f32`.

use std::fmt;
use std::num::{NonZeroU16, NonZeroU32};
use std::sync::Arc;
use std::time::Duration;

use super::g711;
use super::riff::{self, HeaderPart};

const FORMAT_PCM: u16 = 0x0001;
const FORMAT_IEEE_FLOAT: u16 = 0x0003;
const FORMAT_ALAW: u16 = 0x0006;
const FORMAT_MULAW: u16 = 0x0007;

/// How the samples were stored in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Integer PCM; `bits` is the number of significant bits (8, 16, 20, 24, 32, …).
    Pcm { bits: u16 },
    /// 32-bit IEEE float.
    Float32,
    /// G.711 µ-law (8 bits a sample).
    MuLaw,
    /// G.711 A-law (8 bits a sample).
    ALaw,
    /// MPEG-1/2/2.5 Layer III.
    Mp3,
    /// Vorbis (in an Ogg container).
    Vorbis,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Encoding::Pcm { bits } => write!(f, "{bits}-bit PCM"),
            Encoding::Float32 => f.write_str("32-bit float"),
            Encoding::MuLaw => f.write_str("G.711 µ-law"),
            Encoding::ALaw => f.write_str("G.711 A-law"),
            Encoding::Mp3 => f.write_str("MP3"),
            Encoding::Vorbis => f.write_str("Ogg Vorbis"),
        }
    }
}

/// What a clip is: encoding, rate and channel count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AudioFormat {
    pub encoding: Encoding,
    pub sample_rate: NonZeroU32,
    pub channels: NonZeroU16,
}

impl fmt::Display for AudioFormat {
    /// For example `G.711 µ-law, 8000 Hz, mono`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {} Hz, ", self.encoding, self.sample_rate)?;
        match self.channels.get() {
            1 => f.write_str("mono"),
            2 => f.write_str("stereo"),
            n => write!(f, "{n} channels"),
        }
    }
}

/// A decoded clip: its format and its interleaved 16-bit samples.
///
/// Cloning shares the samples. The number of samples is always a whole
/// number of frames (one sample per channel).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedAudio {
    format: AudioFormat,
    samples: Arc<[i16]>,
}

impl DecodedAudio {
    /// A clip of `samples` (interleaved); a trailing partial frame is
    /// dropped, so the samples are always whole frames.
    pub(crate) fn new(format: AudioFormat, mut samples: Vec<i16>) -> DecodedAudio {
        let channels = usize::from(format.channels.get());
        samples.truncate(samples.len() - samples.len() % channels);
        DecodedAudio {
            format,
            samples: samples.into(),
        }
    }

    /// Encoding, sample rate and channel count.
    pub fn format(&self) -> AudioFormat {
        self.format
    }

    /// Frames a second.
    pub fn sample_rate(&self) -> u32 {
        self.format.sample_rate.get()
    }

    /// Samples a frame.
    pub fn channels(&self) -> u16 {
        self.format.channels.get()
    }

    /// The number of frames (samples per channel).
    pub fn frames(&self) -> u64 {
        (self.samples.len() / usize::from(self.channels())) as u64
    }

    /// The interleaved samples, `frames() * channels()` of them.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }

    /// How long the clip plays: `frames / sample_rate` seconds, computed in
    /// integers and truncated to the nanosecond, so it never drifts.
    pub fn duration(&self) -> Duration {
        let frames = self.frames();
        let rate = u64::from(self.sample_rate());
        // (frames % rate) < rate ≤ u32::MAX, so the product stays below 2^62.
        Duration::from_secs(frames / rate)
            + Duration::from_nanos((frames % rate) * 1_000_000_000 / rate)
    }
}

/// Why bytes could not be decoded as audio. Every variant is a reason for a
/// prompt to fall back to its alternate content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty file")]
    Empty,
    #[error("not a RIFF/WAVE file")]
    NotWave,
    #[error("not a Sun .au file")]
    NotAu,
    #[error("not a recognized audio format: {0}")]
    Unrecognized(super::clip::Unrecognized),
    #[error(
        "the .au header declares a data offset of {offset}, past the end of the {len}-byte file"
    )]
    AuDataOffset { offset: u32, len: usize },
    #[error("unsupported .au encoding {code}")]
    UnsupportedAuEncoding { code: u32 },
    #[error("{codec} stream: {reason}")]
    Stream { codec: &'static str, reason: String },
    #[error("truncated {codec} stream: {decoded} of the {declared} frames its header declares")]
    TruncatedStream {
        codec: &'static str,
        decoded: u64,
        declared: u64,
    },
    #[error("{container} holding {codec}, which vxb cannot decode")]
    UnsupportedCodec {
        container: &'static str,
        codec: String,
    },
    #[error("truncated header: the file ends at byte {len}, inside {inside}")]
    TruncatedHeader { len: usize, inside: HeaderPart },
    #[error("the `fmt ` chunk is {len} bytes long, at least {needed} are needed")]
    FmtTooShort { len: usize, needed: usize },
    #[error("no `fmt ` chunk before the `data` chunk")]
    MissingFmt,
    #[error("no `data` chunk")]
    MissingData,
    #[error(
        "truncated data: the data chunk declares {declared} bytes but only {available} are present"
    )]
    TruncatedData { declared: u32, available: usize },
    #[error("unsupported WAVE format tag 0x{tag:04x}")]
    UnsupportedFormat { tag: u16 },
    #[error(
        "unsupported WAVE_FORMAT_EXTENSIBLE sub-format {}",
        riff::format_guid(guid)
    )]
    UnsupportedSubformat { guid: [u8; 16] },
    #[error("unsupported bit depth: {bits}-bit {format}")]
    UnsupportedBitDepth { format: &'static str, bits: u16 },
    #[error("the file declares zero channels")]
    ZeroChannels,
    #[error("the file declares a sample rate of zero")]
    ZeroSampleRate,
    #[error(
        "inconsistent block alignment: {block_align} bytes a frame for {channels} channels of {bits} bits"
    )]
    BadBlockAlign {
        block_align: u16,
        channels: u16,
        bits: u16,
    },
    #[error("sample data rejected by the WAV sample reader: {0}")]
    Samples(String),
}

impl DecodeError {
    /// The VoiceXML event this failure names: `error.unsupported.format`
    /// for a clip that is whole but in a format or encoding vxb cannot
    /// decode (Ogg Opus, an unknown WAVE tag), `error.badfetch` for one
    /// that is damaged, cut short or not audio at all. Either way the
    /// prompt plays its fallback; the event goes into the warning.
    pub fn event(&self) -> &'static str {
        match self {
            DecodeError::UnsupportedAuEncoding { .. }
            | DecodeError::UnsupportedCodec { .. }
            | DecodeError::UnsupportedFormat { .. }
            | DecodeError::UnsupportedSubformat { .. }
            | DecodeError::UnsupportedBitDepth { .. } => "error.unsupported.format",
            _ => "error.badfetch",
        }
    }
}

/// Decodes a WAVE file held in memory.
///
/// The container is a RIFF/WAVE one whatever its name or type says: this is
/// [`decode`](super::decode()) after sniffing. A data chunk shorter than it declares is [`DecodeError::TruncatedData`]
/// (a truncated download must fall back, not play half a prompt). A trailing
/// partial frame inside a complete data chunk is ignored.
pub(crate) fn decode_wave(bytes: &[u8]) -> Result<DecodedAudio, DecodeError> {
    let riff::Layout { fmt, data } = riff::parse(bytes)?;
    let channels = NonZeroU16::new(fmt.channels).ok_or(DecodeError::ZeroChannels)?;
    let sample_rate = NonZeroU32::new(fmt.sample_rate).ok_or(DecodeError::ZeroSampleRate)?;

    let bad_block_align = DecodeError::BadBlockAlign {
        block_align: fmt.block_align,
        channels: fmt.channels,
        bits: fmt.bits_per_sample,
    };
    if fmt.block_align == 0 || fmt.block_align % fmt.channels != 0 {
        return Err(bad_block_align);
    }
    // Bytes a sample occupies; the significant bits sit at its top (MSB-aligned,
    // as WAVEFORMATEXTENSIBLE specifies), so reading the whole container and
    // keeping its top 16 bits is right for every valid-bit count.
    let container = fmt.block_align / fmt.channels;
    if fmt.bits_per_sample > container.saturating_mul(8) {
        return Err(bad_block_align);
    }

    let encoding = match fmt.format_tag {
        FORMAT_PCM => Encoding::Pcm {
            bits: fmt.valid_bits,
        },
        FORMAT_IEEE_FLOAT => Encoding::Float32,
        FORMAT_MULAW => Encoding::MuLaw,
        FORMAT_ALAW => Encoding::ALaw,
        tag => return Err(DecodeError::UnsupportedFormat { tag }),
    };
    let unsupported = |format| DecodeError::UnsupportedBitDepth {
        format,
        bits: fmt.bits_per_sample,
    };
    // Whole frames only: a trailing partial frame carries no full instant.
    let frames_len = data.len() - data.len() % usize::from(fmt.block_align);
    let data = &data[..frames_len];
    let samples: Vec<i16> = match encoding {
        Encoding::Pcm { .. } => {
            if fmt.bits_per_sample == 0 || !(1..=4).contains(&container) {
                return Err(unsupported("PCM"));
            }
            read_with_hound(data, container, hound::SampleFormat::Int, |v: i32| {
                // Keep the top 16 bits of the container (8-bit widens).
                if container == 1 {
                    (v << 8) as i16
                } else {
                    (v >> (8 * (u32::from(container) - 2))) as i16
                }
            })?
        }
        Encoding::Float32 => {
            if fmt.bits_per_sample != 32 || container != 4 {
                return Err(unsupported("IEEE float"));
            }
            read_with_hound(data, container, hound::SampleFormat::Float, |v: f32| {
                // `as` saturates out-of-range values and maps NaN to 0.
                (v * 32768.0).round() as i16
            })?
        }
        Encoding::MuLaw | Encoding::ALaw => {
            let (name, expand): (_, fn(u8) -> i16) = if encoding == Encoding::MuLaw {
                ("G.711 µ-law", g711::mulaw_to_linear)
            } else {
                ("G.711 A-law", g711::alaw_to_linear)
            };
            if fmt.bits_per_sample != 8 || container != 1 {
                return Err(unsupported(name));
            }
            data.iter().copied().map(expand).collect()
        }
        // Not a WAVE format tag mapped above: compressed audio in a WAVE
        // (tag 0x55, MP3) is refused by its tag.
        Encoding::Mp3 | Encoding::Vorbis => {
            return Err(DecodeError::UnsupportedFormat {
                tag: fmt.format_tag,
            });
        }
    };

    Ok(DecodedAudio::new(
        AudioFormat {
            encoding,
            sample_rate,
            channels,
        },
        samples,
    ))
}

/// Reads every `container`-byte sample of `data` (a whole number of them)
/// with `hound`'s sample decoder and converts it with `to_i16`.
fn read_with_hound<S: hound::Sample>(
    data: &[u8],
    container: u16,
    format: hound::SampleFormat,
    to_i16: impl Fn(S) -> i16,
) -> Result<Vec<i16>, DecodeError> {
    let count = data.len() / usize::from(container);
    let mut reader = data;
    let mut samples = Vec::with_capacity(count);
    for _ in 0..count {
        // `reader` holds whole containers and (container, container × 8 bits)
        // is a pair hound decodes for this format, so this fails only if a
        // hound release changes what it accepts.
        let sample = S::read(&mut reader, format, container, container * 8)
            .map_err(|e| DecodeError::Samples(e.to_string()))?;
        samples.push(to_i16(sample));
    }
    Ok(samples)
}

/// Builders of WAVE files for tests: hound's writer for what it writes,
/// hand-made RIFF bytes for what it does not (G.711, odd chunks, damage).
#[cfg(test)]
pub(crate) mod testwav {
    use std::io::Cursor;

    /// A WAVE file written by hound (an independent writer) from i32 samples.
    pub(crate) fn hound_int(rate: u32, channels: u16, bits: u16, samples: &[i32]) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut out, spec).expect("hound header");
        for &s in samples {
            writer.write_sample(s).expect("hound sample");
        }
        writer.finalize().expect("hound finalize");
        out.into_inner()
    }

    /// 16-bit PCM written by hound.
    pub(crate) fn pcm16(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
        let wide: Vec<i32> = samples.iter().map(|&s| i32::from(s)).collect();
        hound_int(rate, channels, 16, &wide)
    }

    /// A 16-byte PCMWAVEFORMAT body.
    pub(crate) fn fmt(tag: u16, channels: u16, rate: u32, block_align: u16, bits: u16) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&tag.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&rate.wrapping_mul(u32::from(block_align)).to_le_bytes());
        b.extend_from_slice(&block_align.to_le_bytes());
        b.extend_from_slice(&bits.to_le_bytes());
        b
    }

    /// A 40-byte WAVEFORMATEXTENSIBLE body whose sub-format wraps `sub_tag`.
    pub(crate) fn fmt_extensible(
        sub_tag: u16,
        channels: u16,
        rate: u32,
        container_bits: u16,
        valid_bits: u16,
    ) -> Vec<u8> {
        let block_align = channels * container_bits / 8;
        let mut b = fmt(0xFFFE, channels, rate, block_align, container_bits);
        b.extend_from_slice(&22u16.to_le_bytes());
        b.extend_from_slice(&valid_bits.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&sub_tag.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&crate::audio::riff::SUBFORMAT_GUID_TAIL);
        b
    }

    /// A RIFF/WAVE file of the given chunks, each padded to an even length.
    pub(crate) fn riff(chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let mut body = b"WAVE".to_vec();
        for (id, data) in chunks {
            body.extend_from_slice(&id[..]);
            body.extend_from_slice(&(data.len() as u32).to_le_bytes());
            body.extend_from_slice(data);
            if data.len() % 2 == 1 {
                body.push(0);
            }
        }
        let mut file = b"RIFF".to_vec();
        file.extend_from_slice(&(body.len() as u32).to_le_bytes());
        file.extend_from_slice(&body);
        file
    }
}

#[cfg(test)]
mod tests {
    use super::decode_wave as decode;
    use super::testwav::{fmt, fmt_extensible, hound_int, pcm16, riff};
    use super::*;

    fn mono() -> NonZeroU16 {
        NonZeroU16::MIN
    }

    #[test]
    fn pcm16_mono_samples_and_exact_duration() {
        let samples: Vec<i16> = (0..12_345)
            .map(|i| (i * 7 % 65_536 - 32_768) as i16)
            .collect();
        let audio = decode(&pcm16(8000, 1, &samples)).unwrap();
        assert_eq!(audio.samples(), &samples[..]);
        assert_eq!(audio.frames(), 12_345);
        assert_eq!(audio.format().encoding, Encoding::Pcm { bits: 16 });
        assert_eq!(audio.format().channels, mono());
        assert_eq!(audio.sample_rate(), 8000);
        assert_eq!(audio.duration(), Duration::from_nanos(1_543_125_000));
        assert_eq!(audio.format().to_string(), "16-bit PCM, 8000 Hz, mono");
    }

    #[test]
    fn pcm8_stereo_widens_unsigned_bytes() {
        let audio = decode(&hound_int(11_025, 2, 8, &[-128, 127, 0, 1, -1, 64])).unwrap();
        assert_eq!(audio.samples(), &[-32768, 32512, 0, 256, -256, 16384]);
        assert_eq!(audio.channels(), 2);
        assert_eq!(audio.frames(), 3);
        // 3 / 11025 s = 272108.843… µs, truncated to the nanosecond.
        assert_eq!(audio.duration(), Duration::from_nanos(272_108));
        assert_eq!(audio.format().to_string(), "8-bit PCM, 11025 Hz, stereo");
    }

    #[test]
    fn pcm24_extensible_at_odd_rate_keeps_top_16_bits() {
        // hound writes 24-bit as WAVE_FORMAT_EXTENSIBLE with the PCM GUID.
        let mut samples = vec![0x7F_FFFF, -0x80_0000, 0x12_3456, -0x12_3456];
        samples.resize(1000, 0x100);
        let audio = decode(&hound_int(22_051, 1, 24, &samples)).unwrap();
        assert_eq!(
            &audio.samples()[..5],
            &[0x7FFF, -0x8000, 0x1234, -0x1235, 1]
        );
        assert_eq!(audio.format().encoding, Encoding::Pcm { bits: 24 });
        assert_eq!(audio.frames(), 1000);
        // 1000 / 22051 s = 45 349 417.26 ns.
        assert_eq!(audio.duration(), Duration::from_nanos(45_349_417));
    }

    #[test]
    fn pcm24_plain_tag_and_pcm32() {
        let data24 = [0x56, 0x34, 0x12, 0xAA, 0xCB, 0xED];
        let file = riff(&[(b"fmt ", &fmt(1, 1, 48_000, 3, 24)), (b"data", &data24)]);
        assert_eq!(decode(&file).unwrap().samples(), &[0x1234, -0x1235]);

        let audio = decode(&hound_int(
            44_100,
            2,
            32,
            &[i32::MAX, i32::MIN, 0x0001_0000, -1],
        ))
        .unwrap();
        assert_eq!(audio.samples(), &[0x7FFF, -0x8000, 1, -1]);
        assert_eq!(audio.format().encoding, Encoding::Pcm { bits: 32 });
        // 2 frames / 44100 Hz = 45 351.47 ns.
        assert_eq!(audio.duration(), Duration::from_nanos(45_351));
    }

    #[test]
    fn pcm_with_fewer_valid_bits_reads_msb_aligned_container() {
        // 20 significant bits in a 24-bit container, left-justified as
        // WAVEFORMATEXTENSIBLE specifies: 0x123450 is 0x12345 << 4.
        let data = [0x50, 0x34, 0x12];
        let file = riff(&[
            (b"fmt ", &fmt_extensible(1, 1, 8000, 24, 20)),
            (b"data", &data),
        ]);
        let audio = decode(&file).unwrap();
        assert_eq!(audio.samples(), &[0x1234]);
        assert_eq!(audio.format().encoding, Encoding::Pcm { bits: 20 });
    }

    #[test]
    fn float32_plain_and_extensible_scale_round_and_clamp() {
        let values = [0.5f32, -1.0, 1.5, -3.0, f32::NAN, 0.000_01, 1.0];
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let expected = [16384, -32768, 32767, -32768, 0, 0, 32767];
        let plain = riff(&[(b"fmt ", &fmt(3, 1, 16_000, 4, 32)), (b"data", &data)]);
        let audio = decode(&plain).unwrap();
        assert_eq!(audio.samples(), &expected);
        assert_eq!(audio.format().to_string(), "32-bit float, 16000 Hz, mono");
        assert_eq!(audio.duration(), Duration::from_nanos(437_500));

        let extensible = riff(&[
            (b"fmt ", &fmt_extensible(3, 1, 16_000, 32, 32)),
            (b"data", &data),
        ]);
        assert_eq!(decode(&extensible).unwrap(), audio);
    }

    #[test]
    fn mulaw_with_fact_odd_list_chunk_and_padding() {
        // The layout sox writes (18-byte fmt, fact), plus an odd-sized LIST
        // chunk whose pad byte must be skipped, and an odd data length.
        let mut fmt18 = fmt(7, 1, 8000, 1, 8);
        fmt18.extend_from_slice(&[0, 0]);
        let data = [0xFF, 0x00, 0x80, 0x7F, 0xFE];
        let file = riff(&[
            (b"fmt ", &fmt18),
            (b"fact", &5u32.to_le_bytes()),
            (b"LIST", b"INFOISFT\x03\x00\x00\x00vx\x00"),
            (b"data", &data),
        ]);
        let audio = decode(&file).unwrap();
        assert_eq!(audio.samples(), &[0, -32124, 32124, 0, 8]);
        assert_eq!(audio.format().to_string(), "G.711 µ-law, 8000 Hz, mono");
        assert_eq!(audio.duration(), Duration::from_nanos(625_000));
        // The data chunk is whole without the pad byte after it.
        assert_eq!(decode(&file[..file.len() - 1]), Ok(audio));
    }

    /// All 256 codes of each law, decoded here and by SoX (an independent
    /// G.711 implementation) from files made by `testdata/make.sh`.
    #[test]
    fn g711_matches_sox_for_every_code() {
        let cases: [(&[u8], &[u8], Encoding); 2] = [
            (
                include_bytes!("testdata/all-codes.ulaw.wav"),
                include_bytes!("testdata/all-codes.ulaw.sox.wav"),
                Encoding::MuLaw,
            ),
            (
                include_bytes!("testdata/all-codes.alaw.wav"),
                include_bytes!("testdata/all-codes.alaw.sox.wav"),
                Encoding::ALaw,
            ),
        ];
        for (g711, by_sox, encoding) in cases {
            let ours = decode(g711).unwrap();
            let theirs = decode(by_sox).unwrap();
            assert_eq!(ours.format().encoding, encoding);
            assert_eq!(theirs.format().encoding, Encoding::Pcm { bits: 16 });
            assert_eq!(ours.frames(), 256);
            assert_eq!(ours.samples(), theirs.samples(), "{encoding}");
        }
    }

    #[test]
    fn alaw_stereo_and_extensible_g711() {
        let data = [0xD5, 0x55, 0x2A, 0xAA];
        let file = riff(&[(b"fmt ", &fmt(6, 2, 8000, 2, 8)), (b"data", &data)]);
        let audio = decode(&file).unwrap();
        assert_eq!(audio.samples(), &[8, -8, -32256, 32256]);
        assert_eq!(audio.frames(), 2);
        assert_eq!(audio.duration(), Duration::from_micros(250));
        assert_eq!(audio.format().to_string(), "G.711 A-law, 8000 Hz, stereo");

        let ext_alaw = riff(&[
            (b"fmt ", &fmt_extensible(6, 2, 8000, 8, 8)),
            (b"data", &data),
        ]);
        assert_eq!(decode(&ext_alaw).unwrap(), audio);
        let ext_mulaw = riff(&[
            (b"fmt ", &fmt_extensible(7, 1, 8000, 8, 8)),
            (b"data", &[0x80]),
        ]);
        let audio = decode(&ext_mulaw).unwrap();
        assert_eq!(
            (audio.format().encoding, audio.samples()),
            (Encoding::MuLaw, &[32124][..])
        );
    }

    #[test]
    fn many_channels_and_huge_rate_do_not_overflow_the_duration() {
        let file = riff(&[
            (b"fmt ", &fmt(7, 6, u32::MAX, 6, 8)),
            (b"data", &[0xFF; 12]),
        ]);
        let audio = decode(&file).unwrap();
        assert_eq!(audio.frames(), 2);
        assert_eq!(
            audio.format().to_string(),
            format!("G.711 µ-law, {} Hz, 6 channels", u32::MAX)
        );
        assert_eq!(audio.duration(), Duration::from_nanos(0));
        let file = riff(&[(b"fmt ", &fmt(7, 1, 1, 1, 8)), (b"data", &[0xFF; 3])]);
        assert_eq!(decode(&file).unwrap().duration(), Duration::from_secs(3));
    }

    #[test]
    fn trailing_partial_frame_and_chunks_after_data_are_ignored() {
        let mut file = pcm16(8000, 2, &[1, 2, 3, 4]);
        // Declare one more byte than two whole frames, then append a chunk.
        let data_at = file.len() - 8 - 8;
        file.push(0x55);
        file[data_at + 4..data_at + 8].copy_from_slice(&9u32.to_le_bytes());
        file.push(0);
        file.extend_from_slice(b"LIST\x02\x00\x00\x00ab");
        assert_eq!(&file[data_at..data_at + 4], b"data");
        let audio = decode(&file).unwrap();
        assert_eq!(audio.samples(), &[1, 2, 3, 4]);
    }

    #[test]
    fn riff_size_field_is_not_trusted() {
        let mut file = pcm16(8000, 1, &[5, 6]);
        file[4..8].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(decode(&file).unwrap().samples(), &[5, 6]);
    }

    #[test]
    fn clones_share_samples_and_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<DecodedAudio>();
        send_sync::<DecodeError>();
        let audio = decode(&pcm16(8000, 1, &[1, 2, 3])).unwrap();
        let copy = audio.clone();
        assert!(std::ptr::eq(audio.samples(), copy.samples()));
        let from_thread = std::thread::spawn(move || copy.frames()).join().unwrap();
        assert_eq!(from_thread, 3);
    }

    #[test]
    fn not_wave_and_empty() {
        assert_eq!(decode(b""), Err(DecodeError::Empty));
        assert_eq!(
            decode(b"<html><body>404</body></html>"),
            Err(DecodeError::NotWave)
        );
        assert_eq!(decode(b"ID3\x03"), Err(DecodeError::NotWave));
        assert_eq!(
            decode(b"RIFF\x04\x00\x00\x00AVI LIST"),
            Err(DecodeError::NotWave)
        );
        // Big-endian RIFX and RF64 are not supported containers.
        let mut rifx = pcm16(8000, 1, &[1]);
        rifx[..4].copy_from_slice(b"RIFX");
        assert_eq!(decode(&rifx), Err(DecodeError::NotWave));
    }

    #[test]
    fn truncated_header_says_where() {
        let file = pcm16(8000, 1, &[1, 2]);
        assert_eq!(
            decode(&file[..7]),
            Err(DecodeError::TruncatedHeader {
                len: 7,
                inside: HeaderPart::Riff
            })
        );
        assert_eq!(
            decode(&file[..16]),
            Err(DecodeError::TruncatedHeader {
                len: 16,
                inside: HeaderPart::ChunkHeader
            })
        );
        let err = decode(&file[..30]).unwrap_err();
        assert_eq!(
            err,
            DecodeError::TruncatedHeader {
                len: 30,
                inside: HeaderPart::Chunk(riff::ChunkId(*b"fmt "))
            }
        );
        assert_eq!(
            err.to_string(),
            "truncated header: the file ends at byte 30, inside the `fmt ` chunk"
        );
        let list_cut = riff(&[(b"fmt ", &fmt(1, 1, 8000, 2, 16)), (b"LIST", &[0; 40])]);
        assert_eq!(
            decode(&list_cut[..list_cut.len() - 1])
                .unwrap_err()
                .to_string(),
            format!(
                "truncated header: the file ends at byte {}, inside the `LIST` chunk",
                list_cut.len() - 1
            )
        );
    }

    #[test]
    fn short_data_chunk_is_an_error() {
        let file = pcm16(8000, 1, &[1, 2, 3, 4]);
        assert_eq!(
            decode(&file[..file.len() - 1]),
            Err(DecodeError::TruncatedData {
                declared: 8,
                available: 7
            })
        );
        assert_eq!(
            decode(&file[..file.len() - 8]),
            Err(DecodeError::TruncatedData {
                declared: 8,
                available: 0
            })
        );
    }

    #[test]
    fn structural_errors() {
        let pcm = fmt(1, 1, 8000, 2, 16);
        assert_eq!(
            decode(&riff(&[(b"data", &[0, 0])])),
            Err(DecodeError::MissingFmt)
        );
        assert_eq!(
            decode(&riff(&[(b"LIST", b"x")])),
            Err(DecodeError::MissingFmt)
        );
        assert_eq!(
            decode(&riff(&[(b"fmt ", &pcm)])),
            Err(DecodeError::MissingData)
        );
        assert_eq!(
            decode(&riff(&[(b"fmt ", &pcm[..14]), (b"data", &[])])),
            Err(DecodeError::FmtTooShort {
                len: 14,
                needed: 16
            })
        );
        let ext = fmt_extensible(1, 1, 8000, 16, 16);
        assert_eq!(
            decode(&riff(&[(b"fmt ", &ext[..39]), (b"data", &[])])),
            Err(DecodeError::FmtTooShort {
                len: 39,
                needed: 40
            })
        );
    }

    #[test]
    fn unsupported_formats() {
        let data = [0u8; 8];
        let with = |fmt_body: &[u8]| decode(&riff(&[(b"fmt ", fmt_body), (b"data", &data)]));
        // IMA ADPCM and MPEG layer 3.
        assert_eq!(
            with(&fmt(0x11, 1, 8000, 256, 4)),
            Err(DecodeError::UnsupportedFormat { tag: 0x11 })
        );
        assert_eq!(
            with(&fmt(0x55, 1, 8000, 1, 0)).unwrap_err().to_string(),
            "unsupported WAVE format tag 0x0055"
        );
        let mut ambisonic = fmt_extensible(1, 1, 8000, 16, 16);
        ambisonic[24..28].copy_from_slice(&[0x01, 0x00, 0x00, 0x00]);
        ambisonic[28..40].copy_from_slice(&[
            0x21, 0x07, 0xD3, 0x11, 0x86, 0x44, 0xC8, 0xC1, 0xCA, 0x00, 0x00, 0x00,
        ]);
        let err = with(&ambisonic).unwrap_err();
        assert!(matches!(err, DecodeError::UnsupportedSubformat { .. }));
        assert_eq!(
            err.to_string(),
            "unsupported WAVE_FORMAT_EXTENSIBLE sub-format 00000001-0721-11d3-8644-c8c1ca000000"
        );
        assert_eq!(
            with(&fmt(3, 1, 8000, 8, 64)),
            Err(DecodeError::UnsupportedBitDepth {
                format: "IEEE float",
                bits: 64
            })
        );
        assert_eq!(
            with(&fmt(7, 1, 8000, 2, 16)),
            Err(DecodeError::UnsupportedBitDepth {
                format: "G.711 µ-law",
                bits: 16
            })
        );
        assert_eq!(
            with(&fmt(1, 1, 8000, 8, 64)),
            Err(DecodeError::UnsupportedBitDepth {
                format: "PCM",
                bits: 64
            })
        );
        assert_eq!(
            with(&fmt(1, 1, 8000, 2, 0)),
            Err(DecodeError::UnsupportedBitDepth {
                format: "PCM",
                bits: 0
            })
        );
    }

    #[test]
    fn zero_channels_rate_and_bad_block_align() {
        let data = [0u8; 4];
        let with = |fmt_body: Vec<u8>| decode(&riff(&[(b"fmt ", &fmt_body), (b"data", &data)]));
        assert_eq!(with(fmt(1, 0, 8000, 2, 16)), Err(DecodeError::ZeroChannels));
        assert_eq!(with(fmt(1, 1, 0, 2, 16)), Err(DecodeError::ZeroSampleRate));
        let bad = |block_align, channels, bits| DecodeError::BadBlockAlign {
            block_align,
            channels,
            bits,
        };
        assert_eq!(with(fmt(1, 1, 8000, 0, 16)), Err(bad(0, 1, 16)));
        assert_eq!(with(fmt(1, 2, 8000, 3, 8)), Err(bad(3, 2, 8)));
        assert_eq!(with(fmt(1, 1, 8000, 1, 16)), Err(bad(1, 1, 16)));
    }

    #[test]
    fn chunk_ids_from_the_file_are_escaped() {
        let err =
            decode(&riff(&[(b"fmt ", &fmt(1, 1, 8000, 2, 16)), (b"\n\"\xFFx", &[0; 9])])[..46]);
        assert_eq!(
            err.unwrap_err().to_string(),
            "truncated header: the file ends at byte 46, inside the `\\n\\\"\\xffx` chunk"
        );
    }

    /// Every prefix and thousands of random mutations of valid files of each
    /// kind decode to a value or an error, never a panic; and whatever
    /// decodes is self-consistent.
    #[test]
    fn no_bytes_make_it_panic() {
        let mut fmt18 = fmt(7, 2, 8000, 2, 8);
        fmt18.extend_from_slice(&[0, 0]);
        let seeds = [
            pcm16(8000, 1, &[1, -2, 3, -4, 5]),
            hound_int(22_050, 2, 8, &[1, 2, 3, 4]),
            hound_int(44_100, 3, 24, &[1, 2, 3, 4, 5, 6]),
            riff(&[
                (b"fmt ", &fmt(3, 1, 16_000, 4, 32)),
                (b"data", &1.0f32.to_le_bytes()),
            ]),
            riff(&[
                (b"fmt ", &fmt18),
                (b"fact", &[2, 0, 0, 0]),
                (b"LIST", b"abc"),
                (b"data", &[1, 2, 3, 4]),
            ]),
            riff(&[
                (b"fmt ", &fmt_extensible(6, 1, 8000, 8, 8)),
                (b"data", &[9, 8, 7, 6]),
            ]),
        ];
        let check = |bytes: &[u8]| {
            if let Ok(audio) = decode(bytes) {
                assert_eq!(
                    audio.samples().len() as u64,
                    audio.frames() * u64::from(audio.channels())
                );
                let _ = audio.duration();
            }
        };
        for seed in &seeds {
            assert!(decode(seed).is_ok(), "seed must be valid");
            for len in 0..seed.len() {
                // Every seed ends with its data chunk: any cut is an error.
                assert!(
                    decode(&seed[..len]).is_err(),
                    "prefix of {len} bytes decoded"
                );
            }
        }
        let mut rng = fastrand::Rng::with_seed(0x5EED_A0D10);
        for _ in 0..20_000 {
            let mut bytes = seeds[rng.usize(..seeds.len())].clone();
            for _ in 0..rng.usize(1..6) {
                let at = rng.usize(..bytes.len());
                match rng.u8(..4) {
                    0 => bytes[at] = rng.u8(..),
                    1 => bytes[at] ^= 1 << rng.u8(..8),
                    // Header fields are where damage matters: hit them hard.
                    2 => {
                        let header_at = rng.usize(..bytes.len().min(48));
                        bytes[header_at] = [0, 1, 0x7F, 0x80, 0xFF][rng.usize(..5)];
                    }
                    _ => bytes.truncate(at),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            check(&bytes);
        }
    }
}

//! What a fetched clip is, and decoding it by what it is.
//!
//! A clip's format is read from its first bytes where it has magic (RIFF/WAVE,
//! Sun `.snd`, Ogg, ID3-tagged MP3): a server's `Content-Type` is often wrong
//! (`application/octet-stream`, or the type of another format), and the bytes
//! are not. Headerless G.711 — the raw 8 kHz µ-law (`audio/basic`) and A-law
//! (`audio/x-alaw-basic`) VoiceXML requires — has no magic, so it is known
//! only from the `Content-Type` or, where there is none worth reading (a
//! `file:` clip, a generic type), from the name's extension.
//!
//! An MP3 without an ID3 tag starts with a bare frame sync, which is weak
//! magic: two bytes that raw G.711 can hold too. So a bare sync counts only
//! when the type or name does not say the clip is raw G.711.

use std::fmt;
use std::num::{NonZeroU16, NonZeroU32};

use super::decode::{AudioFormat, DecodeError, DecodedAudio, Encoding, decode_wave};
use super::{au, compressed, g711};

/// What is known of a clip besides its bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hint<'a> {
    /// The response's `Content-Type`, parameters and all.
    pub content_type: Option<&'a str>,
    /// The path of the URL the clip came from (its extension may say what it is).
    pub path: Option<&'a str>,
}

/// The containers (and headerless encodings) vxb decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// RIFF/WAVE: PCM, float, G.711.
    Wave,
    /// Sun/NeXT `.au`: G.711, PCM, float, big-endian.
    Au,
    /// MPEG audio (Layer III).
    Mp3,
    /// Ogg (Vorbis; Opus is recognized but has no pure-Rust decoder here).
    Ogg,
    /// Headerless 8 kHz mono G.711 µ-law.
    RawMuLaw,
    /// Headerless 8 kHz mono G.711 A-law.
    RawALaw,
}

/// Why a clip's format could not be told: what the type and name said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unrecognized {
    pub content_type: Option<String>,
    pub extension: Option<String>,
}

impl fmt::Display for Unrecognized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no known magic bytes, and ")?;
        match &self.content_type {
            Some(t) => write!(f, "the Content-Type `{t}`")?,
            None => f.write_str("no Content-Type")?,
        }
        match &self.extension {
            Some(e) => write!(f, " and the extension `.{e}` do not name an audio format"),
            None => f.write_str(" and no extension name an audio format"),
        }
    }
}

/// Decodes a clip of any supported format, told by its bytes and `hint`.
pub fn decode_clip(bytes: &[u8], hint: Hint<'_>) -> Result<DecodedAudio, DecodeError> {
    match sniff(bytes, hint)? {
        Container::Wave => decode_wave(bytes),
        Container::Au => au::decode(bytes),
        Container::Mp3 => compressed::decode(bytes, compressed::Kind::Mp3),
        Container::Ogg => compressed::decode(bytes, compressed::Kind::Ogg),
        Container::RawMuLaw => Ok(raw_g711(bytes, Encoding::MuLaw)),
        Container::RawALaw => Ok(raw_g711(bytes, Encoding::ALaw)),
    }
}

/// Decodes a clip known only by its bytes (no type, no name): what has magic.
pub fn decode(bytes: &[u8]) -> Result<DecodedAudio, DecodeError> {
    decode_clip(bytes, Hint::default())
}

/// Which container `bytes` are, by magic first, then type, then extension.
pub fn sniff(bytes: &[u8], hint: Hint<'_>) -> Result<Container, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let strong = match bytes.get(..4) {
        Some(b"RIFF" | b"RIFX" | b"RF64") => Some(Container::Wave),
        Some(b".snd") => Some(Container::Au),
        Some(b"OggS") => Some(Container::Ogg),
        _ if bytes.starts_with(b"ID3") => Some(Container::Mp3),
        _ => None,
    };
    if let Some(container) = strong {
        return Ok(container);
    }
    let by_type = hint.content_type.and_then(by_content_type);
    let extension = hint.path.and_then(extension);
    let by_name = extension.as_deref().and_then(by_extension);
    let declared = by_type.or(by_name);
    let raw = matches!(declared, Some(Container::RawMuLaw | Container::RawALaw));
    if !raw && mpeg_layer3_sync(bytes) {
        return Ok(Container::Mp3);
    }
    declared.ok_or_else(|| {
        DecodeError::Unrecognized(Unrecognized {
            content_type: hint.content_type.map(str::to_owned),
            extension,
        })
    })
}

/// The container a `Content-Type` names; `None` for types that name none
/// (generic ones such as `application/octet-stream`).
fn by_content_type(content_type: &str) -> Option<Container> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "audio/basic" | "audio/ulaw" | "audio/x-mulaw" | "audio/pcmu" => Some(Container::RawMuLaw),
        "audio/x-alaw-basic" | "audio/alaw" | "audio/x-alaw" | "audio/pcma" => {
            Some(Container::RawALaw)
        }
        "audio/wav" | "audio/wave" | "audio/x-wav" | "audio/vnd.wave" => Some(Container::Wave),
        "audio/mpeg" | "audio/mp3" | "audio/x-mpeg" => Some(Container::Mp3),
        "audio/ogg" | "audio/vorbis" | "application/ogg" => Some(Container::Ogg),
        _ => None,
    }
}

/// The lower-cased extension of the last segment of `path`, if any.
fn extension(path: &str) -> Option<String> {
    let name = path.rsplit('/').next()?;
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

fn by_extension(ext: &str) -> Option<Container> {
    match ext {
        "ul" | "ulaw" | "mu" | "u8" => Some(Container::RawMuLaw),
        "al" | "alaw" | "a8" => Some(Container::RawALaw),
        "wav" | "wave" => Some(Container::Wave),
        "au" | "snd" => Some(Container::Au),
        "mp3" => Some(Container::Mp3),
        "ogg" | "oga" => Some(Container::Ogg),
        _ => None,
    }
}

/// Whether `bytes` open with an MPEG audio Layer III frame header: 11 set
/// sync bits, a valid version, layer bits `01`, a bitrate index that is
/// neither free (0) nor bad (15), and a valid sample-rate index.
fn mpeg_layer3_sync(bytes: &[u8]) -> bool {
    let [a, b, c, ..] = *bytes else {
        return false;
    };
    let version = (b >> 3) & 0b11;
    let layer = (b >> 1) & 0b11;
    let bitrate = c >> 4;
    let rate = (c >> 2) & 0b11;
    a == 0xFF
        && b & 0xE0 == 0xE0
        && version != 0b01
        && layer == 0b01
        && !matches!(bitrate, 0 | 15)
        && rate != 0b11
}

/// The rate of headerless G.711 (it has no header to say another).
const G711_RATE: NonZeroU32 = NonZeroU32::new(8000).expect("8000 is not zero");

/// Headerless G.711: every byte a sample at 8 kHz, mono.
fn raw_g711(bytes: &[u8], encoding: Encoding) -> DecodedAudio {
    let expand = if encoding == Encoding::MuLaw {
        g711::mulaw_to_linear
    } else {
        g711::alaw_to_linear
    };
    DecodedAudio::new(
        AudioFormat {
            encoding,
            sample_rate: G711_RATE,
            channels: NonZeroU16::MIN,
        },
        bytes.iter().copied().map(expand).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::decode::testwav;

    fn typed(content_type: &str) -> Hint<'_> {
        Hint {
            content_type: Some(content_type),
            path: None,
        }
    }

    fn named(path: &str) -> Hint<'_> {
        Hint {
            content_type: None,
            path: Some(path),
        }
    }

    #[test]
    fn magic_beats_a_lying_content_type_and_name() {
        let wave = testwav::pcm16(8000, 1, &[1, 2, 3]);
        let lying = Hint {
            content_type: Some("audio/basic"),
            path: Some("/prompts/a.ul"),
        };
        assert_eq!(sniff(&wave, lying), Ok(Container::Wave));
        // Decoded as WAVE, not as 47 bytes of µ-law.
        assert_eq!(decode_clip(&wave, lying).unwrap().samples(), &[1, 2, 3]);
        assert_eq!(
            sniff(b".snd\0\0\0\x18", typed("audio/x-wav")),
            Ok(Container::Au)
        );
        assert_eq!(
            sniff(b"OggS\0\x02", typed("audio/mpeg")),
            Ok(Container::Ogg)
        );
        assert_eq!(
            sniff(b"ID3\x04\0", typed("audio/basic")),
            Ok(Container::Mp3)
        );
        // A bare MPEG-1 Layer III sync at 128 kbit/s, 44.1 kHz.
        let sync = [0xFF, 0xFB, 0x90, 0x64];
        assert_eq!(
            sniff(&sync, typed("application/octet-stream")),
            Ok(Container::Mp3)
        );
        assert_eq!(sniff(&sync, Hint::default()), Ok(Container::Mp3));
    }

    #[test]
    fn headerless_g711_is_told_by_type_then_extension() {
        let bytes = [0xFF, 0x80, 0x00];
        for t in ["audio/basic", "Audio/Basic; rate=8000", "audio/x-mulaw"] {
            assert_eq!(sniff(&bytes, typed(t)), Ok(Container::RawMuLaw), "{t}");
        }
        assert_eq!(
            sniff(&bytes, typed("audio/x-alaw-basic")),
            Ok(Container::RawALaw)
        );
        for p in ["/a/b.ul", "x.ULAW", "c.mu"] {
            assert_eq!(sniff(&bytes, named(p)), Ok(Container::RawMuLaw), "{p}");
        }
        for p in ["b.al", "/x/y.alaw"] {
            assert_eq!(sniff(&bytes, named(p)), Ok(Container::RawALaw), "{p}");
        }
        // A generic type leaves it to the name; a specific type wins over it.
        let both = |t, p| Hint {
            content_type: Some(t),
            path: Some(p),
        };
        assert_eq!(
            sniff(&bytes, both("application/octet-stream", "b.al")),
            Ok(Container::RawALaw)
        );
        assert_eq!(
            sniff(&bytes, both("audio/basic", "b.al")),
            Ok(Container::RawMuLaw)
        );
        let audio = decode_clip(&bytes, typed("audio/basic")).unwrap();
        assert_eq!(audio.samples(), &[0, 32124, -32124]);
        assert_eq!(audio.format().to_string(), "G.711 µ-law, 8000 Hz, mono");
        assert_eq!(audio.duration(), std::time::Duration::from_nanos(375_000));
        let audio = decode_clip(&[0xD5, 0x55], named("p.al")).unwrap();
        assert_eq!(
            (audio.format().encoding, audio.samples()),
            (Encoding::ALaw, &[8, -8][..])
        );
    }

    #[test]
    fn raw_g711_that_looks_like_an_mp3_sync_stays_g711() {
        let sync_like = [0xFF, 0xFB, 0x90, 0x64];
        assert_eq!(
            sniff(&sync_like, typed("audio/basic")),
            Ok(Container::RawMuLaw)
        );
        assert_eq!(sniff(&sync_like, named("a.al")), Ok(Container::RawALaw));
        // Layer I and II syncs, a free bitrate and a bad rate are not MP3.
        for b in [
            [0xFF, 0xFF, 0x90],
            [0xFF, 0xFD, 0x90],
            [0xFF, 0xFB, 0x00],
            [0xFF, 0xFB, 0x9C],
        ] {
            assert!(!mpeg_layer3_sync(&b), "{b:x?}");
        }
    }

    #[test]
    fn unknown_bytes_say_what_the_type_and_name_said() {
        assert_eq!(sniff(b"", typed("audio/basic")), Err(DecodeError::Empty));
        let err = decode_clip(b"<html>", typed("text/html")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a recognized audio format: no known magic bytes, and the Content-Type \
             `text/html` and no extension name an audio format"
        );
        let err = decode_clip(b"hello", named("/x/notes.txt")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a recognized audio format: no known magic bytes, and no Content-Type \
             and the extension `.txt` do not name an audio format"
        );
        assert_eq!(extension("/dir.d/file"), None);
        assert_eq!(extension("/.hidden"), None);
        // A declared container whose magic is missing fails in its decoder.
        assert_eq!(
            decode_clip(b"<html>", named("a.wav")),
            Err(DecodeError::NotWave)
        );
        assert_eq!(
            decode_clip(b"<html>", named("a.au")),
            Err(DecodeError::NotAu)
        );
    }

    /// A damaged or cut MP3 is an error, never half a prompt: the fallback plays.
    #[test]
    fn corrupt_and_truncated_compressed_clips_are_errors() {
        let mp3 = include_bytes!("../../audio-samples/welcome.mp3");
        let ogg = include_bytes!("../../audio-samples/welcome.ogg");
        assert!(decode(mp3).is_ok() && decode(ogg).is_ok());
        let cut = decode(&mp3[..mp3.len() / 2]).unwrap_err();
        assert!(
            matches!(cut, DecodeError::TruncatedStream { codec: "MP3", declared, .. } if declared == 42_678),
            "{cut:?}"
        );
        assert!(
            cut.to_string().starts_with("truncated MP3 stream: "),
            "{cut}"
        );
        let cut = decode(&ogg[..ogg.len() / 2]).unwrap_err();
        assert!(cut.to_string().contains("Ogg"), "{cut}");
        // The LAME tag survives, the audio after it is noise.
        let mut noisy = mp3.to_vec();
        let mut rng = fastrand::Rng::with_seed(15);
        for b in &mut noisy[600..] {
            *b = rng.u8(..);
        }
        assert!(decode(&noisy).is_err());
        // Whatever the damage, no panic.
        for _ in 0..300 {
            let mut bytes = if rng.bool() {
                mp3.to_vec()
            } else {
                ogg.to_vec()
            };
            for _ in 0..rng.usize(1..20) {
                let at = rng.usize(..bytes.len());
                bytes[at] = rng.u8(..);
            }
            let _ = decode(&bytes);
        }
    }
}

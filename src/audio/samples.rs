//! Tests of the committed prompts in `audio-samples/` (made by its
//! `make.sh`): every file decodes, in the format its name promises, with a
//! plausible duration, and the µ-law, A-law and PCM versions of one prompt
//! last equally long; and the other formats (headerless G.711, `.au`, MP3,
//! Ogg Vorbis) decode to what SoX decodes them to (`src/audio/testdata/`,
//! made by the same script).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::decode::{DecodeError, DecodedAudio, Encoding};
use super::{Hint, decode, decode_clip};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("audio-samples")
}

fn read(name: &str) -> Vec<u8> {
    let path = samples_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Decodes a committed file as a `file:` fetch would: by its bytes and name.
fn load(name: &str) -> DecodedAudio {
    let hint = Hint {
        content_type: None,
        path: Some(name),
    };
    decode_clip(&read(name), hint).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// SoX's decoding of a committed file, as 16-bit PCM.
fn by_sox(name: &str) -> DecodedAudio {
    let bytes = match name {
        "welcome.ul" => &include_bytes!("testdata/welcome.ul.sox.wav")[..],
        "welcome.al" => include_bytes!("testdata/welcome.al.sox.wav"),
        "welcome.au" => include_bytes!("testdata/welcome.au.sox.wav"),
        "goodbye.au" => include_bytes!("testdata/goodbye.au.sox.wav"),
        "welcome.mp3" => include_bytes!("testdata/welcome.mp3.sox.wav"),
        "welcome.ogg" => include_bytes!("testdata/welcome.ogg.sox.wav"),
        other => panic!("no SoX decoding of {other}"),
    };
    decode(bytes).unwrap_or_else(|e| panic!("sox's {name}: {e}"))
}

/// The frame count of the audio that was encoded, as SoX counted it.
fn source_frames(committed: &str) -> u64 {
    committed.trim().parse().expect("a frame count")
}

/// Spoken prompts, with the number of words said (from `make.sh`).
const PROMPTS: [(&str, u32); 6] = [
    ("welcome", 5),
    ("goodbye", 5),
    ("main-menu", 8),
    ("enter-pin", 11),
    ("thank-you", 2),
    ("please-hold", 7),
];

/// Every committed file, and the encoding its name promises.
fn expected_files() -> Vec<(String, Encoding)> {
    let mut files = Vec::new();
    for (name, _) in PROMPTS {
        files.push((format!("{name}.wav"), Encoding::Pcm { bits: 16 }));
        files.push((format!("{name}.ulaw.wav"), Encoding::MuLaw));
    }
    files.push(("welcome.alaw.wav".into(), Encoding::ALaw));
    files.push(("beep.wav".into(), Encoding::Pcm { bits: 16 }));
    files.push(("beep.ulaw.wav".into(), Encoding::MuLaw));
    files.push(("hold-music.ulaw.wav".into(), Encoding::MuLaw));
    files.push(("welcome.ul".into(), Encoding::MuLaw));
    files.push(("welcome.al".into(), Encoding::ALaw));
    files.push(("welcome.au".into(), Encoding::MuLaw));
    files.push(("goodbye.au".into(), Encoding::Pcm { bits: 16 }));
    files.push(("welcome.mp3".into(), Encoding::Mp3));
    files.push(("welcome.ogg".into(), Encoding::Vorbis));
    files
}

/// Files that are there to be refused: the reason their fallback plays.
const REFUSED: [(&str, &str); 1] = [("welcome.opus", "Ogg holding Opus, which vxb cannot decode")];

fn rms(audio: &DecodedAudio) -> f64 {
    let sum: f64 = audio.samples().iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / audio.samples().len() as f64).sqrt()
}

#[test]
fn every_sample_file_is_listed_and_decodes_as_named() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".sh") && !name.ends_with(".md"))
        .collect();
    let expected = expected_files();
    let mut listed: BTreeSet<String> = expected.iter().map(|(name, _)| name.clone()).collect();
    listed.extend(REFUSED.iter().map(|(name, _)| name.to_string()));
    assert_eq!(on_disk, listed);

    for (name, encoding) in expected {
        let audio = load(&name);
        assert_eq!(audio.format().encoding, encoding, "{name}");
        let rate = match encoding {
            Encoding::Mp3 => 22_050,
            Encoding::Vorbis => 16_000,
            _ => 8000,
        };
        assert_eq!(audio.sample_rate(), rate, "{name}");
        assert_eq!(audio.channels(), 1, "{name}");
        // Not silence: speech and tones are well above the noise floor.
        assert!(rms(&audio) > 500.0, "{name}: rms {}", rms(&audio));
    }
}

#[test]
fn prompts_last_plausibly_long_in_every_encoding() {
    for (name, words) in PROMPTS {
        let pcm = load(&format!("{name}.wav"));
        let mulaw = load(&format!("{name}.ulaw.wav"));
        // espeak-ng at 160 words a minute, plus its lead-in and trailing
        // silence: between 200 ms and 600 ms a word.
        let d = pcm.duration();
        assert!(d >= Duration::from_millis(200) * words, "{name}: {d:?}");
        assert!(d <= Duration::from_millis(600) * words, "{name}: {d:?}");
        assert!(pcm.frames().abs_diff(mulaw.frames()) <= 1, "{name}");
    }
    let welcome = load("welcome.wav");
    assert!(welcome.frames().abs_diff(load("welcome.alaw.wav").frames()) <= 1);
}

#[test]
fn g711_and_au_decode_exactly_as_sox_does() {
    for name in ["welcome.ul", "welcome.al", "welcome.au", "goodbye.au"] {
        let (ours, sox) = (load(name), by_sox(name));
        assert_eq!(ours.sample_rate(), sox.sample_rate(), "{name}");
        assert_eq!(ours.frames(), sox.frames(), "{name}");
        assert_eq!(ours.samples(), sox.samples(), "{name}");
        assert_eq!(ours.duration(), sox.duration(), "{name}");
    }
    // The same prompt in every G.711 container lasts exactly as long.
    let wave = load("welcome.ulaw.wav");
    assert_eq!(load("welcome.ul").samples(), wave.samples());
    assert_eq!(load("welcome.au").samples(), wave.samples());
}

/// The largest difference between `ours` and `theirs` shifted by `lag`
/// frames (`theirs` starts `lag` frames later), over what both hold.
fn max_diff(ours: &[i16], theirs: &[i16], lag: usize) -> i32 {
    ours.iter()
        .zip(theirs.iter().skip(lag))
        .map(|(&a, &b)| (i32::from(a) - i32::from(b)).abs())
        .max()
        .unwrap_or(i32::MAX)
}

/// MP3 and Vorbis decoders differ in their last bits (fixed against
/// floating point), so samples are compared within a tolerance; lengths are
/// exact: gapless decoding gives the frames that were encoded, where SoX's
/// MP3 decoding keeps the encoder's delay and padding.
#[test]
fn mp3_and_vorbis_decode_as_sox_does_with_exact_gapless_lengths() {
    let mp3 = load("welcome.mp3");
    assert_eq!(
        mp3.frames(),
        source_frames(include_str!("testdata/welcome.22050.frames"))
    );
    let sox = by_sox("welcome.mp3");
    assert_eq!(sox.sample_rate(), 22_050);
    assert!(sox.frames() > mp3.frames(), "sox keeps the encoder delay");
    // SoX decodes the LAME tag's frame as 576 frames of silence, then keeps
    // LAME's delay (576 frames of the encoder, 529 of the decoder).
    let lag = 576 + 576 + 529;
    assert_eq!(sox.frames() % 576, 0, "SoX keeps whole MPEG-2 frames");
    let diff = max_diff(mp3.samples(), sox.samples(), lag);
    assert!(diff <= 64, "MP3 differs from SoX by up to {diff}");
    let misaligned = max_diff(mp3.samples(), sox.samples(), lag - 1);
    assert!(misaligned > 1000, "the comparison sees a one-frame shift");

    let ogg = load("welcome.ogg");
    let frames = source_frames(include_str!("testdata/welcome.16000.frames"));
    assert_eq!(ogg.frames(), frames);
    let sox = by_sox("welcome.ogg");
    assert_eq!((sox.frames(), sox.sample_rate()), (frames, 16_000));
    let diff = max_diff(ogg.samples(), sox.samples(), 0);
    assert!(diff <= 64, "Vorbis differs from SoX by up to {diff}");
}

#[test]
fn opus_is_refused_with_its_reason() {
    for (name, reason) in REFUSED {
        let err = decode_clip(&read(name), Hint::default()).unwrap_err();
        assert!(
            matches!(err, DecodeError::UnsupportedCodec { .. }),
            "{err:?}"
        );
        assert_eq!(err.to_string(), reason);
        assert_eq!(err.event(), "error.unsupported.format");
    }
    // A damaged clip is a bad fetch, not an unsupported format.
    let mp3 = read("welcome.mp3");
    let err = decode_clip(&mp3[..mp3.len() / 2], Hint::default()).unwrap_err();
    assert_eq!(err.event(), "error.badfetch", "{err}");
}

#[test]
fn tones_have_their_synthesized_lengths() {
    assert_eq!(load("beep.wav").duration(), Duration::from_millis(250));
    assert_eq!(load("beep.ulaw.wav").duration(), Duration::from_millis(250));
    assert_eq!(
        load("hold-music.ulaw.wav").duration(),
        Duration::from_millis(1500)
    );
}

#[test]
fn the_folder_stays_small() {
    let total: u64 = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum();
    assert!(total < 1_000_000, "audio-samples/ is {total} bytes");
}

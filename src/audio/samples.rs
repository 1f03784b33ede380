//! Tests of the committed prompts in `audio-samples/` (made by its
//! `make.sh`): every file decodes, in the format its name promises, with a
//! plausible duration, and the µ-law, A-law and PCM versions of one prompt
//! last equally long.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use super::decode::{DecodedAudio, Encoding, decode};

fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("audio-samples")
}

fn load(name: &str) -> DecodedAudio {
    let path = samples_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
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
    files
}

fn rms(audio: &DecodedAudio) -> f64 {
    let sum: f64 = audio.samples().iter().map(|&s| f64::from(s).powi(2)).sum();
    (sum / audio.samples().len() as f64).sqrt()
}

#[test]
fn every_sample_file_is_listed_and_decodes_as_named() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(samples_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".wav"))
        .collect();
    let expected = expected_files();
    let listed: BTreeSet<String> = expected.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(on_disk, listed);

    for (name, encoding) in expected {
        let audio = load(&name);
        assert_eq!(audio.format().encoding, encoding, "{name}");
        assert_eq!(audio.sample_rate(), 8000, "{name}");
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

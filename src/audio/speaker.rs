//! The speaker sink: plays clips on the default output device through rodio
//! (cargo feature `speaker`; on Linux it needs the ALSA library).
//!
//! rodio 0.22 renamed its output API: the device is a `MixerDeviceSink`
//! opened by `DeviceSinkBuilder::open_default_sink()`, and the queue that
//! plays one sound after another is a `Player` connected to its mixer.

use std::time::Instant;

use rodio::buffer::SamplesBuffer;
use rodio::{DeviceSinkBuilder, DeviceSinkError, MixerDeviceSink, Player};
use url::Url;

use super::decode::DecodedAudio;
use super::sink::{Heard, Sink, Speech};

/// Plays clips one after another and waits for each to end; text, which is
/// not synthesized, is a silence of its estimated length. Fetch audio is
/// recorded, not played: it is told of once its fetch has ended.
pub(crate) struct SpeakerSink {
    player: Player,
    // Dropping the device stops playback, so it lives as long as the player.
    _device: MixerDeviceSink,
}

impl SpeakerSink {
    /// Opens the default output device (or the first one that works).
    pub(crate) fn open() -> Result<SpeakerSink, SpeakerError> {
        SpeakerSink::open_with(DeviceSinkBuilder::open_default_sink)
    }

    fn open_with(
        open: impl FnOnce() -> Result<MixerDeviceSink, DeviceSinkError>,
    ) -> Result<SpeakerSink, SpeakerError> {
        // ALSA reports a missing card on stderr, a dozen lines of it, on the
        // calling thread; collect them instead, for the one-line reason.
        #[cfg(target_os = "linux")]
        let alsa_messages = alsa::Output::local_error_handler().ok();
        #[cfg(not(target_os = "linux"))]
        let alsa_messages: Option<std::rc::Rc<std::cell::RefCell<String>>> = None;

        let mut device = open().map_err(|error| SpeakerError {
            error,
            // The last message is the one nearest the cause ("Unknown PCM default").
            detail: alsa_messages.and_then(|out| {
                let text = out.borrow().to_string();
                text.lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .map(|l| l.trim().to_owned())
            }),
        })?;
        // rodio prints a line to stderr when the device is dropped; closing
        // at the end of a call is normal here.
        device.log_on_drop(false);
        let player = Player::connect_new(device.mixer());
        Ok(SpeakerSink {
            player,
            _device: device,
        })
    }
}

impl Sink for SpeakerSink {
    fn speak(&mut self, speech: &Speech, bargein: bool) -> Heard {
        match &speech.audio {
            // Synthesized (the `tts` feature): said aloud.
            Some(audio) => self.sound(audio),
            None => std::thread::sleep(speech.duration),
        }
        Heard::speech(speech, bargein)
    }

    fn play(&mut self, source: &Url, audio: &DecodedAudio, bargein: bool) -> Heard {
        self.sound(audio);
        Heard::audio(source, audio, bargein)
    }
}

impl SpeakerSink {
    /// Plays `audio` to its end, taking at least its length.
    fn sound(&mut self, audio: &DecodedAudio) {
        let format = audio.format();
        let samples: Vec<f32> = audio
            .samples()
            .iter()
            .map(|&s| f32::from(s) / 32768.0)
            .collect();
        let started = Instant::now();
        self.player.append(SamplesBuffer::new(
            format.channels,
            format.sample_rate,
            samples,
        ));
        self.player.sleep_until_end();
        // A device that takes samples faster than real time (ALSA's null
        // device does) must not make the prompt shorter than it is.
        if let Some(rest) = audio.duration().checked_sub(started.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

/// Why the speaker could not be opened: rodio's error with its causes, and
/// the last message of the audio library if it printed one, on one line.
#[derive(Debug)]
pub(crate) struct SpeakerError {
    error: DeviceSinkError,
    detail: Option<String>,
}

impl std::fmt::Display for SpeakerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)?;
        let mut cause = std::error::Error::source(&self.error);
        while let Some(err) = cause {
            write!(f, ": {err}")?;
            cause = err.source();
        }
        if let Some(detail) = &self.detail {
            write!(f, " (ALSA: {detail})")?;
        }
        Ok(())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::time::Duration;

    use rodio::cpal::traits::{DeviceTrait, HostTrait};

    use super::*;
    use crate::audio::decode;
    use crate::audio::decode::testwav;

    /// ALSA's `null` PCM, defined by alsa-lib's own configuration, so it
    /// exists on every Linux machine that can build this feature, sound
    /// card or not.
    fn alsa_null_device() -> rodio::Device {
        rodio::cpal::default_host()
            .output_devices()
            .expect("ALSA lists its devices")
            .find(|d| {
                d.description()
                    .is_ok_and(|desc| desc.driver() == Some("null"))
            })
            .expect("ALSA's null device")
    }

    #[test]
    fn plays_a_clip_for_at_least_its_duration_and_speaks_silently() {
        let mut speaker = SpeakerSink::open_with(|| {
            DeviceSinkBuilder::from_device(alsa_null_device())?.open_stream()
        })
        .unwrap();
        let source = Url::parse("http://127.0.0.1/beep.wav").unwrap();
        let clip = decode(&testwav::pcm16(8000, 1, &[1000; 400])).unwrap();

        let started = Instant::now();
        let heard = speaker.play(&source, &clip, true);
        assert!(started.elapsed() >= Duration::from_millis(50));
        assert_eq!(heard, Heard::audio(&source, &clip, true));

        let started = Instant::now();
        let heard = speaker.speak(&Speech::plain("one"), false);
        assert_eq!(heard, Heard::speech(&Speech::plain("one"), false));
        assert!(started.elapsed() >= Duration::from_millis(400));
    }

    #[test]
    fn failure_to_open_reads_as_one_line() {
        let error = SpeakerSink::open_with(|| Err(DeviceSinkError::NoDevice))
            .err()
            .expect("no device");
        assert_eq!(error.to_string(), "Could not find any output device");
    }
}

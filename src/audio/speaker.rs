//! The speaker sink: plays clips on the default output device through rodio
//! (cargo feature `speaker`; on Linux it needs the ALSA library).
//!
//! rodio 0.22 renamed its output API: the device is a `MixerDeviceSink`
//! opened by `DeviceSinkBuilder::open_default_sink()`, and the queue that
//! plays one sound after another is a `Player` connected to its mixer.

use rodio::buffer::SamplesBuffer;
use rodio::{DeviceSinkBuilder, DeviceSinkError, MixerDeviceSink, Player};
use url::Url;

use super::decode::DecodedAudio;
use super::sink::{Heard, Sink};

/// Plays clips one after another and waits for each to end; text, which is
/// not synthesized, is a silence of its estimated length.
pub(crate) struct SpeakerSink {
    player: Player,
    // Dropping the device stops playback, so it lives as long as the player.
    _device: MixerDeviceSink,
}

impl SpeakerSink {
    /// Opens the default output device (or the first one that works).
    pub(crate) fn open() -> Result<SpeakerSink, SpeakerError> {
        // ALSA reports a missing card on stderr, a dozen lines of it, on the
        // calling thread; collect them instead, for the one-line reason.
        #[cfg(target_os = "linux")]
        let alsa_messages = alsa::Output::local_error_handler().ok();
        #[cfg(not(target_os = "linux"))]
        let alsa_messages: Option<std::rc::Rc<std::cell::RefCell<String>>> = None;

        let mut device = DeviceSinkBuilder::open_default_sink().map_err(|error| SpeakerError {
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
    fn speak(&mut self, text: &str) -> Heard {
        let heard = Heard::speech(text);
        std::thread::sleep(heard.duration());
        heard
    }

    fn play(&mut self, source: &Url, audio: &DecodedAudio) -> Heard {
        let format = audio.format();
        let samples: Vec<f32> = audio
            .samples()
            .iter()
            .map(|&s| f32::from(s) / 32768.0)
            .collect();
        self.player.append(SamplesBuffer::new(
            format.channels,
            format.sample_rate,
            samples,
        ));
        self.player.sleep_until_end();
        Heard::audio(source, audio)
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

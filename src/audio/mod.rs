//! Audio: decoding what `<audio>` fetches, and the sinks that play what a
//! caller hears.
//!
//! - [`decode_clip`] (in `clip`): what a fetched clip is (magic, then
//!   `Content-Type`, then extension) and its decoding to [`DecodedAudio`]
//!   with an exact duration. Pure. The decoders: [`decode`](mod@decode) for
//!   WAVE (PCM, float, G.711 µ-law and A-law), `au` for Sun `.au`, headerless
//!   G.711 in `clip`, and `compressed` for MP3 and Ogg Vorbis (symphonia).
//! - [`sink`]: the [`Sink`] trait, the null sink (records, optionally in real
//!   time) and [`open_sink`], which picks the speaker when asked and
//!   available.
//! - `record`: the call as one WAVE file ([`RecordingSink`] around any
//!   sink, [`Tape`]), everything resampled to the 8 kHz line.
//! - `speaker` (cargo feature `speaker`): playback through rodio.
//! - `tts` (cargo feature `tts`): text synthesized by eSpeak NG
//!   ([`speaking`] puts it in front of a call's sink).

mod au;
mod clip;
mod compressed;
pub mod decode;
mod g711;
mod record;
mod riff;
#[cfg(test)]
mod samples;
pub mod sink;
#[cfg(feature = "speaker")]
mod speaker;
#[cfg(feature = "tts")]
pub mod tts;

pub use clip::{Container, Hint, Unrecognized, decode, decode_clip, sniff};
pub use decode::{AudioFormat, DecodeError, DecodedAudio, Encoding};
pub(crate) use g711::linear_to_mulaw;
pub(crate) use record::mulaw_wav;
pub use record::{RecordFormat, RecordingSink, Tape};
pub use riff::{ChunkId, HeaderPart};
pub use sink::{
    Heard, HeardLog, Mark, NullSink, Sink, Speech, Stretch, open_sink, speak_document, speaking,
    speech_duration,
};

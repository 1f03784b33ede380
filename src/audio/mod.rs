//! Audio: decoding what `<audio>` fetches, and the sinks that play what a
//! caller hears.
//!
//! - [`decode`](mod@decode): WAVE bytes (PCM, float, G.711 µ-law and A-law) to
//!   [`DecodedAudio`] with an exact duration. Pure.
//! - [`sink`]: the [`Sink`] trait, the null sink (records, optionally in real
//!   time) and [`open_sink`], which picks the speaker when asked and
//!   available.
//! - `speaker` (cargo feature `speaker`): playback through rodio.

pub mod decode;
mod g711;
mod riff;
#[cfg(test)]
mod samples;
pub mod sink;
#[cfg(feature = "speaker")]
mod speaker;

pub use decode::{AudioFormat, DecodeError, DecodedAudio, Encoding, decode};
pub use riff::{ChunkId, HeaderPart};
pub use sink::{Heard, HeardLog, Mark, NullSink, Sink, Speech, open_sink, speech_duration};

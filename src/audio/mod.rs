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
//! - `speaker` (cargo feature `speaker`): playback through rodio.

mod au;
mod clip;
mod compressed;
pub mod decode;
mod g711;
mod riff;
#[cfg(test)]
mod samples;
pub mod sink;
#[cfg(feature = "speaker")]
mod speaker;

pub use clip::{Container, Hint, Unrecognized, decode, decode_clip, sniff};
pub use decode::{AudioFormat, DecodeError, DecodedAudio, Encoding};
pub use riff::{ChunkId, HeaderPart};
pub use sink::{Heard, HeardLog, Mark, NullSink, Sink, Speech, open_sink, speech_duration};

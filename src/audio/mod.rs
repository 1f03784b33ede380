//! Audio: decoding what `<audio>` fetches, and the sinks that play what a
//! caller hears.
//!
//! - [`decode`]: WAVE bytes (PCM, float, G.711 µ-law and A-law) to
//!   [`DecodedAudio`] with an exact duration. Pure.

pub mod decode;
mod g711;
mod riff;

pub use decode::{AudioFormat, DecodeError, DecodedAudio, Encoding, decode};
pub use riff::{ChunkId, HeaderPart};

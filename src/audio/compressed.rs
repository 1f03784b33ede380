//! Compressed clips — MP3 and Ogg Vorbis — decoded by `symphonia`, the
//! pure-Rust decoder family rodio itself uses.
//!
//! Gapless decoding is on: the encoder's delay and padding (which LAME and
//! Vorbis record in the stream) are trimmed, so a clip lasts as long as the
//! audio that was encoded, to the frame. Decoding is strict, because half a
//! prompt must not play: a damaged packet is an error, and so is a stream
//! that ends before the frame count its header declares (a truncated
//! download). Ogg Opus is recognized and refused with its reason: no
//! well-kept pure-Rust Opus decoder exists for symphonia 0.5.

use std::io::Cursor;
use std::num::{NonZeroU16, NonZeroU32};

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_MP3, CODEC_TYPE_NULL, CODEC_TYPE_VORBIS, DecoderOptions};
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::{MediaSourceStream, MediaSourceStreamOptions};
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::decode::{AudioFormat, DecodeError, DecodedAudio, Encoding};

/// Which compressed container the clip was sniffed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Mp3,
    Ogg,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Mp3 => "MP3",
            Kind::Ogg => "Ogg",
        }
    }
}

/// Decodes a whole MP3 or Ogg clip held in memory to interleaved `i16`.
pub(crate) fn decode(bytes: &[u8], kind: Kind) -> Result<DecodedAudio, DecodeError> {
    let stream_error = |e: Error| DecodeError::Stream {
        codec: kind.name(),
        reason: e.to_string(),
    };
    let mut hint = Hint::new();
    hint.with_extension(match kind {
        Kind::Mp3 => "mp3",
        Kind::Ogg => "ogg",
    });
    let source = MediaSourceStream::new(
        Box::new(Cursor::new(bytes.to_vec())),
        MediaSourceStreamOptions::default(),
    );
    let options = FormatOptions {
        enable_gapless: true,
        ..FormatOptions::default()
    };
    let mut reader = symphonia::default::get_probe()
        .format(&hint, source, &options, &MetadataOptions::default())
        .map_err(stream_error)?
        .format;
    let track = reader
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| DecodeError::Stream {
            codec: kind.name(),
            reason: "no audio track".into(),
        })?
        .clone();
    let params = &track.codec_params;
    let encoding = match params.codec {
        CODEC_TYPE_MP3 => Encoding::Mp3,
        CODEC_TYPE_VORBIS => Encoding::Vorbis,
        other => {
            let codec = symphonia::default::get_codecs()
                .get_codec(other)
                .map_or_else(|| codec_name(other), |d| d.short_name.to_owned());
            return Err(DecodeError::UnsupportedCodec {
                container: kind.name(),
                codec,
            });
        }
    };
    let mut decoder = symphonia::default::get_codecs()
        .make(params, &DecoderOptions::default())
        .map_err(stream_error)?;

    let mut samples: Vec<i16> = Vec::new();
    let mut spec = None;
    loop {
        let packet = match reader.next_packet() {
            Ok(packet) => packet,
            // The end of the stream (symphonia's only way of saying so).
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(stream_error(e)),
        };
        if packet.track_id() != track.id {
            continue;
        }
        let buffer = decoder.decode(&packet).map_err(stream_error)?;
        let this = *buffer.spec();
        if *spec.get_or_insert(this) != this {
            return Err(DecodeError::Stream {
                codec: kind.name(),
                reason: "the sample rate or channel layout changes mid-stream".into(),
            });
        }
        let mut out = SampleBuffer::<i16>::new(buffer.capacity() as u64, this);
        out.copy_interleaved_ref(buffer);
        samples.extend_from_slice(out.samples());
    }
    let spec = spec.ok_or_else(|| DecodeError::Stream {
        codec: kind.name(),
        reason: "no audio frames".into(),
    })?;
    let channels = u16::try_from(spec.channels.count())
        .ok()
        .and_then(NonZeroU16::new)
        .ok_or(DecodeError::ZeroChannels)?;
    let sample_rate = NonZeroU32::new(spec.rate).ok_or(DecodeError::ZeroSampleRate)?;
    let audio = DecodedAudio::new(
        AudioFormat {
            encoding,
            sample_rate,
            channels,
        },
        samples,
    );
    if let Some(declared) = params.n_frames
        && audio.frames() < declared
    {
        return Err(DecodeError::TruncatedStream {
            codec: kind.name(),
            decoded: audio.frames(),
            declared,
        });
    }
    Ok(audio)
}

/// A name for a codec symphonia has no decoder registered for.
fn codec_name(codec: symphonia::core::codecs::CodecType) -> String {
    if codec == symphonia::core::codecs::CODEC_TYPE_OPUS {
        "Opus".to_owned()
    } else {
        format!("codec {codec}")
    }
}

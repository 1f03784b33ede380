//! The RIFF/WAVE container: finds the `fmt ` and `data` chunks in a byte slice.
//!
//! This is the one chunk walker for every WAVE file vxb reads. `hound`'s own
//! walker cannot be used for it: it refuses G.711 format tags before reaching
//! the data, and it skips unknown chunks without their pad byte, so an
//! odd-sized `LIST` chunk before `data` (common in files from editors) throws
//! it off. Everything here is bounds-checked slicing: no input can panic it.

use std::fmt;

use super::decode::DecodeError;

/// `WAVE_FORMAT_EXTENSIBLE`: the real format is the sub-format GUID.
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;

/// The last twelve bytes shared by every `KSDATAFORMAT_SUBTYPE_*` GUID that
/// wraps a plain format tag (`0000xxxx-0000-0010-8000-00aa00389b71`, stored
/// with its first three fields little-endian).
pub(crate) const SUBFORMAT_GUID_TAIL: [u8; 12] = [
    0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
];

/// A four-character chunk identifier, as found in the file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ChunkId(pub [u8; 4]);

impl fmt::Display for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Identifiers come from untrusted bytes: escape anything unprintable.
        for &b in &self.0 {
            write!(f, "{}", std::ascii::escape_default(b))?;
        }
        Ok(())
    }
}

impl fmt::Debug for ChunkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChunkId(\"{self}\")")
    }
}

/// Which part of the header a truncated file ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderPart {
    /// The 12-byte `RIFF....WAVE` header.
    Riff,
    /// The 8-byte header (identifier and size) of a chunk.
    ChunkHeader,
    /// The body of a chunk before `data` (`fmt `, `fact`, `LIST`, …).
    Chunk(ChunkId),
    /// The 24-byte header of a Sun `.au` file.
    Au,
}

impl fmt::Display for HeaderPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderPart::Riff => f.write_str("the RIFF header"),
            HeaderPart::ChunkHeader => f.write_str("a chunk header"),
            HeaderPart::Chunk(id) => write!(f, "the `{id}` chunk"),
            HeaderPart::Au => f.write_str("the .au header"),
        }
    }
}

/// The fields of the `fmt ` chunk that decoding needs, with
/// `WAVE_FORMAT_EXTENSIBLE` already resolved to the tag of its sub-format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fmt {
    pub format_tag: u16,
    pub channels: u16,
    pub sample_rate: u32,
    pub block_align: u16,
    /// `wBitsPerSample`: for EXTENSIBLE the container size.
    pub bits_per_sample: u16,
    /// The bits that carry signal: `wValidBitsPerSample` for EXTENSIBLE when
    /// set, else `bits_per_sample`.
    pub valid_bits: u16,
}

/// Where the pieces of a WAVE file are.
#[derive(Debug)]
pub(crate) struct Layout<'a> {
    pub fmt: Fmt,
    /// The whole `data` chunk body, exactly as long as it declares.
    pub data: &'a [u8],
}

/// Walks the chunks of a RIFF/WAVE file up to and including `data`.
///
/// The RIFF size field is not trusted (streaming writers leave it 0 or
/// maximal); chunks are walked over the bytes that exist. Chunks after
/// `data` are never looked at.
pub(crate) fn parse(bytes: &[u8]) -> Result<Layout<'_>, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let Some(header) = bytes.get(..12) else {
        // A short file that starts like a WAVE file is a truncated one.
        let prefix_len = bytes.len().min(4);
        return if bytes[..prefix_len] == b"RIFF"[..prefix_len] {
            Err(DecodeError::TruncatedHeader {
                len: bytes.len(),
                inside: HeaderPart::Riff,
            })
        } else {
            Err(DecodeError::NotWave)
        };
    };
    if &header[..4] != b"RIFF" || &header[8..12] != b"WAVE" {
        return Err(DecodeError::NotWave);
    }

    let mut fmt = None;
    let mut offset = 12usize;
    while offset < bytes.len() {
        let Some(chunk_header) = bytes.get(offset..offset + 8) else {
            return Err(DecodeError::TruncatedHeader {
                len: bytes.len(),
                inside: HeaderPart::ChunkHeader,
            });
        };
        let id = ChunkId([
            chunk_header[0],
            chunk_header[1],
            chunk_header[2],
            chunk_header[3],
        ]);
        let size = le_u32(chunk_header, 4);
        let body_start = offset + 8;
        // On 32-bit targets a huge size could overflow usize: saturate, so it
        // simply reads as "longer than the file".
        let body_end = body_start.saturating_add(size as usize);
        let body = bytes.get(body_start..body_end);

        match &id.0 {
            b"data" => {
                let fmt = fmt.ok_or(DecodeError::MissingFmt)?;
                let data = body.ok_or(DecodeError::TruncatedData {
                    declared: size,
                    available: bytes.len() - body_start,
                })?;
                return Ok(Layout { fmt, data });
            }
            b"fmt " => {
                let body = body.ok_or(DecodeError::TruncatedHeader {
                    len: bytes.len(),
                    inside: HeaderPart::Chunk(id),
                })?;
                fmt = Some(parse_fmt(body)?);
            }
            _ => {
                if body.is_none() {
                    return Err(DecodeError::TruncatedHeader {
                        len: bytes.len(),
                        inside: HeaderPart::Chunk(id),
                    });
                }
            }
        }
        // Chunks are word-aligned: an odd-sized body is followed by a pad byte
        // that its size does not count.
        offset = body_end.saturating_add(size as usize & 1);
    }
    Err(if fmt.is_none() {
        DecodeError::MissingFmt
    } else {
        DecodeError::MissingData
    })
}

/// Reads the `fmt ` chunk body (PCMWAVEFORMAT, WAVEFORMATEX or
/// WAVEFORMATEXTENSIBLE).
fn parse_fmt(body: &[u8]) -> Result<Fmt, DecodeError> {
    const BASIC_LEN: usize = 16;
    const EXTENSIBLE_LEN: usize = 40;
    if body.len() < BASIC_LEN {
        return Err(DecodeError::FmtTooShort {
            len: body.len(),
            needed: BASIC_LEN,
        });
    }
    let mut fmt = Fmt {
        format_tag: le_u16(body, 0),
        channels: le_u16(body, 2),
        sample_rate: le_u32(body, 4),
        // Bytes 8..12 are the average byte rate: redundant, and often wrong
        // in files from the wild, so it is not checked.
        block_align: le_u16(body, 12),
        bits_per_sample: le_u16(body, 14),
        valid_bits: le_u16(body, 14),
    };
    if fmt.format_tag == FORMAT_EXTENSIBLE {
        if body.len() < EXTENSIBLE_LEN {
            return Err(DecodeError::FmtTooShort {
                len: body.len(),
                needed: EXTENSIBLE_LEN,
            });
        }
        // Bytes 16..18 are cbSize, 20..24 the speaker mask: neither matters
        // for decoding.
        let valid_bits = le_u16(body, 18);
        let mut guid = [0u8; 16];
        guid.copy_from_slice(&body[24..40]);
        if guid[2..4] != [0, 0] || guid[4..] != SUBFORMAT_GUID_TAIL {
            return Err(DecodeError::UnsupportedSubformat { guid });
        }
        fmt.format_tag = le_u16(&guid, 0);
        // 0 means "all of the container", and some writers put nonsense here.
        if valid_bits != 0 && valid_bits <= fmt.bits_per_sample {
            fmt.valid_bits = valid_bits;
        }
    }
    Ok(fmt)
}

/// A little-endian u16 at `at`; callers have checked the length.
fn le_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// A little-endian u32 at `at`; callers have checked the length.
fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Formats a sub-format GUID the way Windows headers write it.
pub(crate) fn format_guid(guid: &[u8; 16]) -> String {
    format!(
        "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        u32::from_le_bytes([guid[0], guid[1], guid[2], guid[3]]),
        u16::from_le_bytes([guid[4], guid[5]]),
        u16::from_le_bytes([guid[6], guid[7]]),
        guid[8],
        guid[9],
        guid[10],
        guid[11],
        guid[12],
        guid[13],
        guid[14],
        guid[15],
    )
}

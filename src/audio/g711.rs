//! ITU-T G.711 expansion: one µ-law or A-law byte to a 16-bit linear sample.
//!
//! Telephony audio is nearly always G.711, and `hound` refuses it (format tags
//! 6 and 7 fall into its `Unsupported` arm), so the two expanders live here.
//! They are the classic bit-manipulation form of the G.711 decoder (as in the
//! public-domain Sun Microsystems `g711.c`, also used by SoX): the output is
//! the table value of ITU-T G.711 scaled to 16 bits (µ-law table × 4, A-law
//! table × 8). The tests check them against the ITU tables' segment end
//! points.

/// Expands one G.711 µ-law code to a linear sample (range −32124..=32124).
pub(crate) fn mulaw_to_linear(code: u8) -> i16 {
    const BIAS: i16 = 0x84;
    // µ-law codes are transmitted with every bit inverted.
    let code = !code;
    let segment = (code >> 4) & 0x07;
    let step = i16::from(code & 0x0F);
    // The largest value is (15 << 3 | 0x84) << 7 = 32256, within i16.
    let magnitude = ((step << 3) + BIAS) << segment;
    if code & 0x80 != 0 {
        BIAS - magnitude
    } else {
        magnitude - BIAS
    }
}

/// Expands one G.711 A-law code to a linear sample (range −32256..=32256).
pub(crate) fn alaw_to_linear(code: u8) -> i16 {
    // A-law codes are transmitted with the even bits inverted.
    let code = code ^ 0x55;
    let segment = (code >> 4) & 0x07;
    let step = i16::from(code & 0x0F) << 4;
    // Segments 0 and 1 share a step size; from segment 2 on each doubles it.
    let magnitude = match segment {
        0 => step + 8,
        s => (step + 0x108) << (s - 1),
    };
    if code & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    }
}

/// Compresses a 16-bit linear sample to G.711 µ-law (the classic Sun
/// `g711.c` encoder; the inverse of [`mulaw_to_linear`] on its
/// outputs).
pub(crate) fn linear_to_mulaw(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let s = i32::from(sample);
    let (sign, magnitude) = if s < 0 { (0x80, -s) } else { (0, s) };
    let biased = magnitude.min(CLIP) + BIAS;
    // The segment is the position of the top bit above bit 7 (biased ≥ 0x84).
    let segment = (31 - biased.leading_zeros()).saturating_sub(7).min(7);
    let step = (biased >> (segment + 3)) & 0x0F;
    // Codes are sent with every bit inverted; every part fits in a byte.
    !(sign | (segment << 4) as u8 | step as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mulaw_known_values() {
        assert_eq!(mulaw_to_linear(0xFF), 0);
        assert_eq!(mulaw_to_linear(0x7F), 0);
        assert_eq!(mulaw_to_linear(0x00), -32124);
        assert_eq!(mulaw_to_linear(0x80), 32124);
        assert_eq!(mulaw_to_linear(0xFE), 8);
        assert_eq!(mulaw_to_linear(0x7E), -8);
    }

    #[test]
    fn alaw_known_values() {
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0x2A), -32256);
        assert_eq!(alaw_to_linear(0xAA), 32256);
    }

    /// ITU-T G.711 Table 2 (µ-law): decoder output values, in the table's
    /// units (full scale 8159), of the first and last step of each segment.
    const MULAW_SEGMENT_ENDS: [(i16, i16); 8] = [
        (0, 30),
        (33, 93),
        (99, 219),
        (231, 471),
        (495, 975),
        (1023, 1983),
        (2079, 3999),
        (4191, 8031),
    ];

    /// ITU-T G.711 Table 1 (A-law): decoder output values, in the table's
    /// units (full scale 4096), of the first and last step of each segment.
    const ALAW_SEGMENT_ENDS: [(i16, i16); 8] = [
        (1, 31),
        (33, 63),
        (66, 126),
        (132, 252),
        (264, 504),
        (528, 1008),
        (1056, 2016),
        (2112, 4032),
    ];

    #[test]
    fn mulaw_matches_itu_table_at_every_segment_end() {
        for (segment, &(first, last)) in MULAW_SEGMENT_ENDS.iter().enumerate() {
            let segment = segment as u8;
            // After the inversion of every bit, a set sign bit means negative.
            let positive = |step: u8| !(segment << 4 | step);
            let negative = |step: u8| !(0x80 | segment << 4 | step);
            assert_eq!(mulaw_to_linear(positive(0)), first * 4, "segment {segment}");
            assert_eq!(mulaw_to_linear(positive(15)), last * 4, "segment {segment}");
            assert_eq!(
                mulaw_to_linear(negative(0)),
                -first * 4,
                "segment {segment}"
            );
            assert_eq!(
                mulaw_to_linear(negative(15)),
                -last * 4,
                "segment {segment}"
            );
        }
    }

    #[test]
    fn alaw_matches_itu_table_at_every_segment_end() {
        for (segment, &(first, last)) in ALAW_SEGMENT_ENDS.iter().enumerate() {
            let segment = segment as u8;
            // Positive values: sign bit 1 before the inversion of the even bits.
            let positive = |step: u8| (0x80 | segment << 4 | step) ^ 0x55;
            let negative = |step: u8| (segment << 4 | step) ^ 0x55;
            assert_eq!(alaw_to_linear(positive(0)), first * 8, "segment {segment}");
            assert_eq!(alaw_to_linear(positive(15)), last * 8, "segment {segment}");
            assert_eq!(alaw_to_linear(negative(0)), -first * 8, "segment {segment}");
            assert_eq!(alaw_to_linear(negative(15)), -last * 8, "segment {segment}");
        }
    }

    #[test]
    fn both_laws_are_odd_symmetric_and_monotonic() {
        // Within one sign, a larger segment/step code is a larger magnitude.
        let mulaw: Vec<i16> = (0..128u8).map(|c| mulaw_to_linear(!c)).collect();
        let alaw: Vec<i16> = (0..128u8)
            .map(|c| alaw_to_linear((0x80 | c) ^ 0x55))
            .collect();
        assert!(mulaw.windows(2).all(|w| w[0] < w[1]), "{mulaw:?}");
        assert!(alaw.windows(2).all(|w| w[0] < w[1]), "{alaw:?}");
        for code in 0..=255u8 {
            assert_eq!(mulaw_to_linear(code), -mulaw_to_linear(code ^ 0x80));
            assert_eq!(alaw_to_linear(code), -alaw_to_linear(code ^ 0x80));
        }
    }
}

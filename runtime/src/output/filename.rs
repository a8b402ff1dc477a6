//! Filename-segment encoding (core.md §3): percent-encoding with an unreserved pass-through
//! set, a SHA-256 fallback for long segments, and the `b64.` form for binary DynamoDB keys.
//!
//! Output is byte-identical to upstream's `EncodeSegment` / `EncodeBinarySegment`; decoding
//! mirrors `DecodeSegment`, including its leniency (either hex case after `%`; base64 that
//! skips CR/LF and ignores non-zero trailing bits).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Longest encoded segment (`key_segment_max_bytes` in the manifest).
pub const MAX_SEGMENT_BYTES: usize = 240;
/// Hex digits of SHA-256 kept at the start of a fallback segment.
pub const SHA_FALLBACK_HEX_LEN: usize = 32;
/// Raw bytes whose percent-encoding follows `__` in a fallback segment.
pub const SHA_FALLBACK_SUFFIX_BYTES: usize = 64;
/// Prefix of binary (base64url) segments.
pub const BINARY_PREFIX: &str = "b64.";
const SHA_FALLBACK_SEPARATOR: &str = "__";

/// Errors of [`decode_segment`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilenameError {
    /// `ErrInvalidEncodedSegment`.
    #[error("backup: invalid encoded filename segment: {reason}")]
    InvalidEncodedSegment { reason: String },
    /// `ErrShaFallbackNeedsKeymap`: the original bytes are only in `KEYMAP.jsonl`.
    #[error("backup: filename uses SHA fallback; consult KEYMAP.jsonl")]
    ShaFallbackNeedsKeymap,
}

fn invalid(reason: impl Into<String>) -> FilenameError {
    FilenameError::InvalidEncodedSegment {
        reason: reason.into(),
    }
}

/// RFC 3986 unreserved minus `~`: `A-Z a-z 0-9 - . _`.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn push_percent_encoded(out: &mut String, raw: &[u8]) {
    for &b in raw {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(b & 0x0F)]));
        }
    }
}

fn encoded_len(raw: &[u8]) -> usize {
    raw.iter()
        .map(|&b| if is_unreserved(b) { 1 } else { 3 })
        .sum()
}

/// `<first 32 lower-hex digits of SHA-256(raw)>__<percent-encoding of raw[..64]>`.
pub fn sha_fallback(raw: &[u8]) -> String {
    let digest = Sha256::digest(raw);
    let mut out = String::with_capacity(SHA_FALLBACK_HEX_LEN + 2 + 3 * SHA_FALLBACK_SUFFIX_BYTES);
    for b in &digest[..SHA_FALLBACK_HEX_LEN / 2] {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0x0F)]));
    }
    out.push_str(SHA_FALLBACK_SEPARATOR);
    push_percent_encoded(&mut out, &raw[..raw.len().min(SHA_FALLBACK_SUFFIX_BYTES)]);
    out
}

/// Upstream `EncodeSegment`: one path segment from arbitrary bytes (§3.2). Does not special-case
/// `""`, `.` or `..` (callers must guard those; [`crate::output::SafeName`] refuses them).
pub fn encode_segment(raw: &[u8]) -> String {
    if raw.len() > MAX_SEGMENT_BYTES || encoded_len(raw) > MAX_SEGMENT_BYTES {
        return sha_fallback(raw);
    }
    let mut encoded = String::with_capacity(MAX_SEGMENT_BYTES);
    push_percent_encoded(&mut encoded, raw);
    if is_sha_fallback_shape(&encoded) || is_binary_shape(&encoded) {
        return sha_fallback(raw);
    }
    encoded
}

/// base64url (no padding) length of `n` bytes, without overflow.
fn base64_len(n: usize) -> usize {
    (n / 3).saturating_mul(4).saturating_add([0, 2, 3][n % 3])
}

/// Upstream `EncodeBinarySegment`: `b64.` + base64url without padding, or the SHA fallback
/// when that would exceed 240 bytes (inputs of 178 bytes and more).
pub fn encode_binary_segment(raw: &[u8]) -> String {
    if BINARY_PREFIX.len().saturating_add(base64_len(raw.len())) > MAX_SEGMENT_BYTES {
        return sha_fallback(raw);
    }
    let mut out = String::with_capacity(MAX_SEGMENT_BYTES);
    out.push_str(BINARY_PREFIX);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode_string(raw, &mut out);
    out
}

/// SHA-fallback shape (§3.4): at least 34 bytes, 32 hex digits of either case, then `__`.
pub fn is_sha_fallback_shape(seg: &str) -> bool {
    let b = seg.as_bytes();
    b.len() >= SHA_FALLBACK_HEX_LEN + SHA_FALLBACK_SEPARATOR.len()
        && b[..SHA_FALLBACK_HEX_LEN].iter().all(u8::is_ascii_hexdigit)
        && &b[SHA_FALLBACK_HEX_LEN..SHA_FALLBACK_HEX_LEN + 2] == SHA_FALLBACK_SEPARATOR.as_bytes()
}

/// Binary shape: starts with `b64.` (case-sensitive).
pub fn is_binary_shape(seg: &str) -> bool {
    seg.starts_with(BINARY_PREFIX)
}

/// The base64url decoder Go's `base64.RawURLEncoding` behaves like: no padding allowed,
/// non-zero trailing bits accepted, CR and LF skipped.
pub(crate) fn decode_base64url_lenient(text: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(true),
    );
    decode_skipping_newlines(&ENGINE, text)
}

/// Decodes `text` with `engine` after removing every CR and LF byte, which Go's base64
/// decoders skip wherever they occur.
pub(crate) fn decode_skipping_newlines(
    engine: &GeneralPurpose,
    text: &[u8],
) -> Result<Vec<u8>, base64::DecodeError> {
    if text.iter().any(|&b| b == b'\r' || b == b'\n') {
        let filtered: Vec<u8> = text
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != b'\n')
            .collect();
        engine.decode(filtered)
    } else {
        engine.decode(text)
    }
}

/// base64url without padding (what KEYMAP `original` and `b64.` segments use).
pub(crate) fn encode_base64url(raw: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn unhex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Upstream `DecodeSegment` (§3.6).
pub fn decode_segment(seg: &str) -> Result<Vec<u8>, FilenameError> {
    if seg.len() > MAX_SEGMENT_BYTES {
        return Err(invalid(format!(
            "segment length {} exceeds maximum {MAX_SEGMENT_BYTES}",
            seg.len()
        )));
    }
    if is_sha_fallback_shape(seg) {
        return Err(FilenameError::ShaFallbackNeedsKeymap);
    }
    if let Some(rest) = seg.strip_prefix(BINARY_PREFIX) {
        return decode_base64url_lenient(rest.as_bytes()).map_err(|e| invalid(e.to_string()));
    }
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'%' {
            if !is_unreserved(c) {
                return Err(invalid(format!(
                    "unexpected raw byte 0x{c:02x} at offset {i}"
                )));
            }
            out.push(c);
            i += 1;
            continue;
        }
        if i + 2 >= b.len() {
            return Err(invalid(format!("truncated percent escape at offset {i}")));
        }
        let hi =
            unhex(b[i + 1]).ok_or_else(|| invalid(format!("non-hex digit at offset {}", i + 1)))?;
        let lo =
            unhex(b[i + 2]).ok_or_else(|| invalid(format!("non-hex digit at offset {}", i + 2)))?;
        out.push((hi << 4) | lo);
        i += 3;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_sha_shape(seg: &str) {
        assert!(is_sha_fallback_shape(seg), "{seg}");
        assert!(seg.len() <= MAX_SEGMENT_BYTES, "{}", seg.len());
        assert_eq!(
            decode_segment(seg),
            Err(FilenameError::ShaFallbackNeedsKeymap)
        );
    }

    // ---- core.md §3.8 worked examples -------------------------------------------------

    #[test]
    fn worked_examples_segment() {
        let cases: &[(&[u8], &str)] = &[
            (b"user:42", "user%3A42"),
            (b"hello world", "hello%20world"),
            (&[0x63, 0x61, 0x66, 0xC3, 0xA9], "caf%C3%A9"),
            (b"~tilde", "%7Etilde"),
            (b"50%", "50%25"),
            (b"", ""),
            (b"..", ".."),
            (b"B64.foo", "B64.foo"),
            (b"b64.foo", "72ef1a090c013093607ce5a62f598cf4__b64.foo"),
            (
                b"0123456789abcdef0123456789abcdef__suffix",
                "15ab66e43bccfd49246a5025d407ebc5__0123456789abcdef0123456789abcdef__suffix",
            ),
        ];
        for (raw, want) in cases {
            let got = encode_segment(raw);
            assert_eq!(&got, want, "{raw:?}");
            assert_eq!(got.len(), want.len());
        }
        assert_eq!(
            encode_segment(b"0123456789abcdef0123456789abcdef__suffix").len(),
            74
        );
    }

    #[test]
    fn worked_examples_lengths_at_the_ceiling() {
        let a240 = vec![b'a'; 240];
        assert_eq!(encode_segment(&a240), "a".repeat(240));
        let a241 = vec![b'a'; 241];
        let got = encode_segment(&a241);
        assert_eq!(
            got,
            format!("ec6e326ef29fe322b62111584194c54e__{}", "a".repeat(64))
        );
        assert_eq!(got.len(), 98);
        let ones80 = vec![1u8; 80];
        assert_eq!(encode_segment(&ones80), "%01".repeat(80));
        assert_eq!(encode_segment(&ones80).len(), 240);
        let ones81 = vec![1u8; 81];
        let got = encode_segment(&ones81);
        assert_eq!(
            got,
            format!("60c285d83690be0345cc75ae7c286b6e__{}", "%01".repeat(64))
        );
        assert_eq!(got.len(), 226);
    }

    #[test]
    fn worked_examples_binary() {
        assert_eq!(encode_binary_segment(b""), "b64.");
        assert_eq!(encode_binary_segment(&[1, 2, 3]), "b64.AQID");
        assert_eq!(
            encode_binary_segment(&[0xFF, 0xFE, 0xFD, 0xFC]),
            "b64.__79_A"
        );
        assert_eq!(encode_binary_segment(&[0xFB, 0xFF]), "b64.-_8");
        let b177: Vec<u8> = (0u8..=0xB0).collect();
        assert_eq!(b177.len(), 177);
        let got = encode_binary_segment(&b177);
        assert_eq!(got.len(), 240);
        assert!(got.starts_with("b64."));
        assert_eq!(decode_segment(&got).unwrap(), b177);
        let b178: Vec<u8> = (0u8..=0xB1).collect();
        let got = encode_binary_segment(&b178);
        let mut suffix = String::new();
        for b in 0u8..64 {
            if is_unreserved(b) {
                suffix.push(char::from(b));
            } else {
                suffix.push_str(&format!("%{b:02X}"));
            }
        }
        assert!(suffix.ends_with("%2C-.%2F0123456789%3A%3B%3C%3D%3E%3F"));
        assert_eq!(got, format!("af37eee16b62d9665944da23a7712f45__{suffix}"));
        assert_eq!(got.len(), 202);
    }

    // ---- core.md §9.3 (upstream filename_test.go) -------------------------------------

    #[test]
    fn passthrough_for_unreserved() {
        for s in [
            "",
            "a",
            "A",
            "0",
            "-",
            ".",
            "_",
            "abc",
            "ABCdef-123_test.json",
            "customer-7421",
            "2026-04-29T12-00-00Z",
        ] {
            assert_eq!(encode_segment(s.as_bytes()), s);
            assert_eq!(decode_segment(s).unwrap(), s.as_bytes());
        }
    }

    #[test]
    fn percent_escapes_reserved_bytes() {
        let cases: &[(&[u8], &str)] = &[
            (b"hello world", "hello%20world"),
            (b"a/b", "a%2Fb"),
            (b"a:b", "a%3Ab"),
            (b"key|with|pipe", "key%7Cwith%7Cpipe"),
            (b"\x00", "%00"),
            (b"\xff", "%FF"),
            (b"colon:.", "colon%3A."),
            (b"plus+", "plus%2B"),
        ];
        for (raw, want) in cases {
            assert_eq!(&encode_segment(raw), want);
            assert_eq!(&decode_segment(want).unwrap(), raw);
        }
    }

    #[test]
    fn hex_is_uppercase() {
        assert_eq!(encode_segment(&[0xAB, 0xCD]), "%AB%CD");
    }

    #[test]
    fn long_input_takes_sha_fallback() {
        assert_sha_shape(&encode_segment(&[b'a'; 250]));
    }

    #[test]
    fn short_bytes_that_expand_past_ceiling_take_sha_fallback() {
        assert_sha_shape(&encode_segment(&[1u8; 81]));
    }

    #[test]
    fn deterministic() {
        let raw = b"some key \xff with / stuff";
        assert_eq!(encode_segment(raw), encode_segment(raw));
        assert_eq!(encode_binary_segment(raw), encode_binary_segment(raw));
    }

    #[test]
    fn binary_basic_round_trip() {
        let cases: &[&[u8]] = &[
            b"",
            &[0],
            &[1, 2, 3],
            b"hello, world",
            &[0xFF, 0xFE, 0xFD, 0xFC],
        ];
        for raw in cases {
            let seg = encode_binary_segment(raw);
            assert!(seg.starts_with("b64."));
            assert!(is_binary_shape(&seg));
            assert_eq!(&decode_segment(&seg).unwrap(), raw);
        }
    }

    #[test]
    fn binary_long_input_takes_sha_fallback() {
        let raw: Vec<u8> = (0..200u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
            .collect();
        assert_sha_shape(&encode_binary_segment(&raw));
    }

    #[test]
    fn sha_prefix_cannot_collide_with_encoded_hex() {
        let hex31 = "0123456789abcdef0123456789abcde";
        let hex32 = "0123456789abcdef0123456789abcdef";
        assert!(!is_sha_fallback_shape(&format!("{hex31}__")));
        assert!(!is_sha_fallback_shape(&format!("{hex32}_")));
        assert!(!is_sha_fallback_shape(&format!("{hex32}_x")));
        assert!(is_sha_fallback_shape(&format!("{hex32}__")));
        assert!(is_sha_fallback_shape(&format!(
            "{}__",
            hex32.to_uppercase()
        )));
        assert!(!is_sha_fallback_shape(&format!("{}g__", &hex32[..31])));
    }

    #[test]
    fn decode_rejects_truncated_percent_escape() {
        for s in ["%", "%1", "abc%", "abc%2"] {
            assert!(matches!(
                decode_segment(s),
                Err(FilenameError::InvalidEncodedSegment { .. })
            ));
        }
    }

    #[test]
    fn decode_rejects_non_hex_in_percent_escape() {
        for s in ["%GG", "%1G", "%G1", "foo%XYbar"] {
            assert!(matches!(
                decode_segment(s),
                Err(FilenameError::InvalidEncodedSegment { .. })
            ));
        }
    }

    #[test]
    fn decode_rejects_raw_reserved_bytes() {
        for s in ["a/b", "a:b", "hello world", "~", "a%2", "é"] {
            assert!(matches!(
                decode_segment(s),
                Err(FilenameError::InvalidEncodedSegment { .. })
            ));
        }
    }

    #[test]
    fn decode_rejects_malformed_binary() {
        for s in ["b64.!!!", "b64.padding=", "b64.A", "b64.AQ=="] {
            assert!(
                matches!(
                    decode_segment(s),
                    Err(FilenameError::InvalidEncodedSegment { .. })
                ),
                "{s}"
            );
        }
    }

    #[test]
    fn decode_is_lenient_like_upstream() {
        assert_eq!(decode_segment("%2f").unwrap(), b"/");
        assert_eq!(decode_segment("%41").unwrap(), b"A");
        // base64: CR/LF skipped, non-zero trailing bits accepted.
        assert_eq!(decode_segment("b64.AQ\r\nID").unwrap(), vec![1, 2, 3]);
        assert_eq!(decode_segment("b64.AR").unwrap(), vec![1]);
        assert_eq!(decode_segment("b64.").unwrap(), Vec::<u8>::new());
        // Upper-case look-alike of the SHA shape is still treated as fallback.
        assert_eq!(
            decode_segment("0123456789ABCDEF0123456789ABCDEF__x"),
            Err(FilenameError::ShaFallbackNeedsKeymap)
        );
    }

    #[test]
    fn output_length_bounded_by_max() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for n in [0usize, 1, 240, 241, 1000, 65536] {
            let raw: Vec<u8> = (0..n)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            assert!(encode_segment(&raw).len() <= MAX_SEGMENT_BYTES);
            assert!(encode_binary_segment(&raw).len() <= MAX_SEGMENT_BYTES);
        }
    }

    #[test]
    fn long_unreserved_ascii_encodes_as_is() {
        let raw = vec![b'a'; 200];
        let seg = encode_segment(&raw);
        assert!(!is_sha_fallback_shape(&seg));
        assert_eq!(seg.as_bytes(), &raw[..]);
        assert_eq!(decode_segment(&seg).unwrap(), raw);
    }

    #[test]
    fn key_starting_with_binary_prefix_is_promoted_to_fallback() {
        assert_sha_shape(&encode_segment(b"b64.foo"));
    }

    #[test]
    fn key_matching_sha_shape_is_promoted_to_fallback() {
        let raw = b"0123456789abcdef0123456789abcdef__suffix";
        let seg = encode_segment(raw);
        assert_sha_shape(&seg);
        assert_ne!(&seg[..32], "0123456789abcdef0123456789abcdef");
    }

    #[test]
    fn huge_input_does_not_materialise_full_expansion() {
        let raw = vec![0u8; 1 << 20];
        assert_sha_shape(&encode_segment(&raw));
        assert_sha_shape(&encode_binary_segment(&raw));
    }

    #[test]
    fn decode_rejects_oversized_input() {
        assert!(matches!(
            decode_segment(&"a".repeat(241)),
            Err(FilenameError::InvalidEncodedSegment { .. })
        ));
    }

    #[test]
    fn sha_fallback_embeds_recognisable_suffix() {
        let mut raw = b"human-recognisable-prefix".to_vec();
        raw.extend_from_slice(&[b'a'; 300]);
        let seg = encode_segment(&raw);
        assert_sha_shape(&seg);
        assert!(seg.contains("human-recognisable-prefix"));
    }

    #[test]
    fn base64_len_matches_engine() {
        for n in 0..40 {
            assert_eq!(base64_len(n), encode_base64url(&vec![0u8; n]).len());
        }
        assert_eq!(base64_len(usize::MAX), usize::MAX);
    }

    proptest! {
        #[test]
        fn fuzz_round_trip_if_not_sha_fallback(raw in proptest::collection::vec(any::<u8>(), 0..=80)) {
            let seg = encode_segment(&raw);
            prop_assert!(seg.len() <= MAX_SEGMENT_BYTES);
            if is_sha_fallback_shape(&seg) {
                prop_assert_eq!(decode_segment(&seg), Err(FilenameError::ShaFallbackNeedsKeymap));
            } else {
                prop_assert_eq!(decode_segment(&seg).unwrap(), raw);
            }
        }

        #[test]
        fn fuzz_ascii_heavy_round_trip(raw in "[a-zA-Z0-9._~%:/ -]{0,300}") {
            let seg = encode_segment(raw.as_bytes());
            prop_assert!(seg.len() <= MAX_SEGMENT_BYTES);
            if is_sha_fallback_shape(&seg) {
                prop_assert_eq!(decode_segment(&seg), Err(FilenameError::ShaFallbackNeedsKeymap));
            } else {
                prop_assert_eq!(decode_segment(&seg).unwrap(), raw.as_bytes());
            }
        }

        #[test]
        fn fuzz_binary_round_trip_if_not_sha_fallback(raw in proptest::collection::vec(any::<u8>(), 0..=200)) {
            let seg = encode_binary_segment(&raw);
            prop_assert!(seg.len() <= MAX_SEGMENT_BYTES);
            if raw.len() > 177 {
                prop_assert!(is_sha_fallback_shape(&seg));
                prop_assert_eq!(decode_segment(&seg), Err(FilenameError::ShaFallbackNeedsKeymap));
            } else {
                prop_assert!(seg.starts_with(BINARY_PREFIX));
                prop_assert_eq!(decode_segment(&seg).unwrap(), raw);
            }
        }
    }
}

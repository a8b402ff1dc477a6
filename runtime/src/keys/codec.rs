//! Segment codecs shared by the generated parsers: base64url with Go's non-strict rules and
//! the S3 escaped segment. Both types borrow the key and decode only on request.

use std::borrow::Cow;

/// A base64url (no padding) segment, validated like Go's `base64.RawURLEncoding.DecodeString`
/// in its default non-strict mode (sqs.md §2.3, dynamodb.md §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct B64Url<'a>(&'a [u8]);

impl<'a> B64Url<'a> {
    /// Validates `encoded`: CR and LF are skipped, every other byte must be in
    /// `[A-Za-z0-9_-]` (so `=` is rejected), a length ≡ 1 (mod 4) after skipping is rejected,
    /// non-zero unused trailing bits are accepted, and the empty string is valid.
    pub fn new(encoded: &'a [u8]) -> Option<Self> {
        let mut n = 0usize;
        for &b in encoded {
            if b == b'\r' || b == b'\n' {
                continue;
            }
            sextet(b)?;
            n += 1;
        }
        (n % 4 != 1).then_some(B64Url(encoded))
    }

    /// The encoded bytes exactly as they appear in the key (state is keyed by these).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The encoded text; always ASCII once validated.
    pub fn as_str(&self) -> &'a str {
        std::str::from_utf8(self.0).expect("validated base64url is ASCII")
    }

    /// The decoded bytes.
    pub fn decode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.0.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0u32);
        for &b in self.0 {
            let Some(v) = sextet(b) else {
                continue; // CR/LF; nothing else passed validation
            };
            acc = (acc << 6) | u32::from(v);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        // Leftover bits (< 8) are the unused trailing bits, which Go ignores.
        out
    }
}

fn sextet(b: u8) -> Option<u8> {
    match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

/// Whether `b` is in the base64url alphabet (the `alphabet` end rule).
pub fn is_base64url_byte(b: u8) -> bool {
    sextet(b).is_some()
}

/// An S3 escaped segment (s3.md §2.1): the raw bytes between the segment start and its
/// `00 01` terminator, in which every `00` is followed by `FF`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Escaped<'a>(&'a [u8]);

impl<'a> Escaped<'a> {
    /// Scans `input` for the end of an escaped segment (s3.md §2.3). Returns the segment and
    /// the number of bytes consumed including the terminator.
    pub fn scan(input: &'a [u8]) -> Result<(Self, usize), EscapeError> {
        let mut i = 0;
        while let Some(at) = memchr::memchr(0, &input[i..]) {
            let at = i + at;
            match input.get(at + 1) {
                Some(0x01) => return Ok((Escaped(&input[..at]), at + 2)),
                Some(0xFF) => i = at + 2,
                Some(_) => return Err(EscapeError::BadEscape { at }),
                // A 00 as the last byte: truncated escape, the terminator is missing.
                None => return Err(EscapeError::Unterminated),
            }
        }
        Err(EscapeError::Unterminated)
    }

    /// Wraps raw bytes that [`Escaped::scan`] already delimited and checked.
    pub(crate) fn from_checked(raw: &'a [u8]) -> Self {
        Escaped(raw)
    }

    /// The raw (still escaped) bytes, without the terminator.
    pub fn raw(&self) -> &'a [u8] {
        self.0
    }

    /// Whether the segment is empty (raw and unescaped emptiness agree).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The unescaped bytes; borrows unless the segment contains an escaped `00`.
    pub fn unescape(&self) -> Cow<'a, [u8]> {
        if !self.0.contains(&0) {
            return Cow::Borrowed(self.0);
        }
        let mut out = Vec::with_capacity(self.0.len());
        let mut bytes = self.0.iter();
        while let Some(&b) = bytes.next() {
            out.push(b);
            if b == 0 {
                bytes.next(); // the FF of `00 FF`, checked by `scan`
            }
        }
        Cow::Owned(out)
    }
}

/// Why [`Escaped::scan`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapeError {
    /// `00` followed by a byte other than `FF`/`01`, at this offset of the input.
    BadEscape { at: usize },
    /// The input ended before a `00 01` terminator.
    Unterminated,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &[u8]) -> Option<Vec<u8>> {
        B64Url::new(s).map(|b| b.decode())
    }

    #[test]
    fn base64url_follows_go_non_strict_rules() {
        assert_eq!(b64(b"").unwrap(), b"");
        assert_eq!(b64(b"cQ").unwrap(), b"q");
        assert_eq!(b64(b"cXVldWUx").unwrap(), b"queue1");
        assert_eq!(b64(b"bXNnLTAwMQ").unwrap(), b"msg-001");
        assert_eq!(b64(b"_-8").unwrap(), [0xFF, 0xEF]);
        // CR and LF are skipped anywhere, also in the length count.
        assert_eq!(b64(b"cX\r\nVl\ndWUx\r").unwrap(), b"queue1");
        assert!(B64Url::new(b"c\nQ\n\n\n\nQ").is_some()); // 3 data chars
        assert!(B64Url::new(b"cQ\r\nQ\nQQ").is_none()); // 5 data chars
                                                        // `=` padding, standard-alphabet `+` `/` and other bytes are rejected.
        assert!(B64Url::new(b"cQ==").is_none());
        assert!(B64Url::new(b"a+b/").is_none());
        assert!(B64Url::new(b"a b").is_none());
        assert!(B64Url::new(b"\x00").is_none());
        // Length ≡ 1 (mod 4) is rejected.
        assert!(B64Url::new(b"a").is_none());
        assert!(B64Url::new(b"abcde").is_none());
        // Non-zero trailing bits are accepted: `cR` decodes like `cQ`.
        assert_eq!(b64(b"cR").unwrap(), b"q");
        assert_eq!(b64(b"cXF").unwrap(), b"qq");
        assert_eq!(B64Url::new(b"cQ").unwrap().as_str(), "cQ");
    }

    #[test]
    fn base64url_decodes_all_lengths() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..40 {
            let enc = encode(&data[..len]);
            assert_eq!(B64Url::new(enc.as_bytes()).unwrap().decode(), &data[..len]);
        }
    }

    fn encode(data: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut s = String::new();
        for chunk in data.chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        s
    }

    #[test]
    fn escaped_segment_follows_s3_rules() {
        // Example from s3.md §2.1: `b\x00k` → 62 00 FF 6B 00 01.
        let (seg, used) = Escaped::scan(b"b\x00\xffk\x00\x01rest").unwrap();
        assert_eq!(used, 6);
        assert_eq!(seg.raw(), b"b\x00\xffk");
        assert_eq!(seg.unescape().as_ref(), b"b\x00k");
        assert!(matches!(seg.unescape(), Cow::Owned(_)));
        // Empty segment.
        let (seg, used) = Escaped::scan(b"\x00\x01").unwrap();
        assert_eq!((seg.raw(), used), (&b""[..], 2));
        assert!(seg.is_empty());
        // Lone FF and 01 are ordinary bytes; no 00 → borrowed.
        let (seg, _) = Escaped::scan(b"\xff\x01a\x00\x01").unwrap();
        assert_eq!(seg.raw(), b"\xff\x01a");
        assert!(matches!(seg.unescape(), Cow::Borrowed(_)));
        // Failures: 00 as the last byte, 00 + other byte, no terminator.
        assert_eq!(Escaped::scan(b"ab\x00"), Err(EscapeError::Unterminated));
        assert_eq!(
            Escaped::scan(b"ab\x00\x02"),
            Err(EscapeError::BadEscape { at: 2 })
        );
        assert_eq!(Escaped::scan(b"abc"), Err(EscapeError::Unterminated));
        assert_eq!(Escaped::scan(b""), Err(EscapeError::Unterminated));
        // The first terminator ends the segment, even after an escaped 00.
        let (seg, used) = Escaped::scan(b"\x00\xff\x00\x01\x00\x01").unwrap();
        assert_eq!((seg.raw(), used), (&b"\x00\xff"[..], 4));
    }
}

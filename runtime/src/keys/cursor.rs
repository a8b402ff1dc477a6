//! The reading position of a generated key parser. Each method reads one segment by one of the
//! spec's end rules or fixed widths; the generated code only sequences the calls. Nothing here
//! allocates.

use super::codec::{is_base64url_byte, B64Url, EscapeError, Escaped};
use super::error::{KeyError, KeyErrorKind, END_SEGMENT, PREFIX_SEGMENT};

/// A key being parsed: the whole user key and the offset of the next unread byte.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    key: &'a [u8],
    pos: usize,
    family: &'static str,
}

/// The raw bytes of one variable-length segment, before conversion to its field type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span<'a> {
    family: &'static str,
    segment: &'static str,
    at: usize,
    bytes: &'a [u8],
}

// Which readers the generated code calls depends on the encodings the specs use.
#[allow(dead_code)]
impl<'a> Cursor<'a> {
    pub fn new(key: &'a [u8], family: &'static str) -> Self {
        Cursor {
            key,
            pos: 0,
            family,
        }
    }

    fn rest(&self) -> &'a [u8] {
        &self.key[self.pos..]
    }

    fn error(&self, segment: &'static str, offset: usize, kind: KeyErrorKind) -> KeyError {
        KeyError {
            family: self.family,
            segment,
            offset,
            kind,
        }
    }

    /// Consumes `len` bytes as the span of `segment`.
    fn span(&mut self, segment: &'static str, len: usize) -> Span<'a> {
        let span = Span {
            family: self.family,
            segment,
            at: self.pos,
            bytes: &self.key[self.pos..self.pos + len],
        };
        self.pos += len;
        span
    }

    /// The family prefix (the key includes it).
    pub fn prefix(&mut self, prefix: &[u8]) -> Result<(), KeyError> {
        if !self.rest().starts_with(prefix) {
            return Err(self.error(PREFIX_SEGMENT, self.pos, KeyErrorKind::MissingPrefix));
        }
        self.pos += prefix.len();
        Ok(())
    }

    /// Consumes `literal` if the key continues with it (a variant's `when`).
    pub fn eat(&mut self, literal: &[u8]) -> bool {
        let matched = self.rest().starts_with(literal);
        if matched {
            self.pos += literal.len();
        }
        matched
    }

    /// `end: rest`: everything but the `tail` bytes of the fixed-width segments that follow.
    /// If fewer than `tail` bytes are left the span is empty and the next fixed-width read
    /// reports `ShortField`.
    pub fn take_rest(&mut self, segment: &'static str, tail: usize) -> Span<'a> {
        let len = self.rest().len().saturating_sub(tail);
        self.span(segment, len)
    }

    /// `end: alphabet`: up to the first byte outside the base64url alphabet (not consumed).
    pub fn take_alphabet(&mut self, segment: &'static str) -> Span<'a> {
        let rest = self.rest();
        let len = rest
            .iter()
            .position(|&b| !is_base64url_byte(b))
            .unwrap_or(rest.len());
        self.span(segment, len)
    }

    /// `end: {separator}`: up to the first occurrence of `separator`, which is consumed.
    pub fn take_until(
        &mut self,
        segment: &'static str,
        separator: &[u8],
    ) -> Result<Span<'a>, KeyError> {
        let Some(len) = memchr::memmem::find(self.rest(), separator) else {
            return Err(self.error(segment, self.pos, KeyErrorKind::MissingSeparator));
        };
        let span = self.span(segment, len);
        self.pos += separator.len();
        Ok(span)
    }

    /// `enc: escaped`: up to the `00 01` terminator, which is consumed.
    pub fn take_escaped(&mut self, segment: &'static str) -> Result<Span<'a>, KeyError> {
        match Escaped::scan(self.rest()) {
            Ok((escaped, used)) => {
                let span = self.span(segment, escaped.raw().len());
                self.pos += used - escaped.raw().len();
                Ok(span)
            }
            Err(EscapeError::BadEscape { at }) => {
                Err(self.error(segment, self.pos + at, KeyErrorKind::BadEscape))
            }
            Err(EscapeError::Unterminated) => {
                Err(self.error(segment, self.pos, KeyErrorKind::MissingTerminator))
            }
        }
    }

    /// `enc: len_prefixed`: a u32 big-endian length `L`, then `L` bytes.
    pub fn take_len_prefixed(&mut self, segment: &'static str) -> Result<Span<'a>, KeyError> {
        let start = self.pos;
        let len = u32::from_be_bytes(self.fixed(segment)?);
        // Compared in 64 bits: a huge L cannot wrap around on any platform.
        if u64::from(len) > self.rest().len() as u64 {
            return Err(self.error(segment, start, KeyErrorKind::LengthOverrun));
        }
        let mut span = self.span(segment, len as usize);
        span.at = start;
        Ok(span)
    }

    fn fixed<const N: usize>(&mut self, segment: &'static str) -> Result<[u8; N], KeyError> {
        let rest = self.rest();
        let Some(bytes) = rest.get(..N) else {
            let kind = KeyErrorKind::ShortField {
                need: N,
                have: rest.len(),
            };
            return Err(self.error(segment, self.pos, kind));
        };
        self.pos += N;
        Ok(bytes.try_into().expect("N bytes"))
    }

    pub fn u16be(&mut self, segment: &'static str) -> Result<u16, KeyError> {
        self.fixed(segment).map(u16::from_be_bytes)
    }

    pub fn u32be(&mut self, segment: &'static str) -> Result<u32, KeyError> {
        self.fixed(segment).map(u32::from_be_bytes)
    }

    pub fn u64be(&mut self, segment: &'static str) -> Result<u64, KeyError> {
        self.fixed(segment).map(u64::from_be_bytes)
    }

    /// u64 big-endian XOR 2^63: signed values that sort as unsigned bytes.
    pub fn i64be_flipped(&mut self, segment: &'static str) -> Result<i64, KeyError> {
        self.u64be(segment).map(|v| (v ^ (1 << 63)) as i64)
    }

    pub fn f64be(&mut self, segment: &'static str) -> Result<f64, KeyError> {
        self.u64be(segment).map(f64::from_bits)
    }

    /// Sortable float: the sign bit was flipped for non-negative values and all bits for
    /// negative ones, so a set top bit means "was non-negative".
    pub fn f64_sortable(&mut self, segment: &'static str) -> Result<f64, KeyError> {
        self.u64be(segment).map(|v| {
            let bits = if v & (1 << 63) != 0 {
                v ^ (1 << 63)
            } else {
                !v
            };
            f64::from_bits(bits)
        })
    }

    /// `N` bytes written as `2N` hex digits of either case.
    pub fn hex<const N: usize>(&mut self, segment: &'static str) -> Result<[u8; N], KeyError> {
        let start = self.pos;
        let rest = self.rest();
        let Some(digits) = rest.get(..2 * N) else {
            let kind = KeyErrorKind::ShortField {
                need: 2 * N,
                have: rest.len(),
            };
            return Err(self.error(segment, start, kind));
        };
        let mut out = [0u8; N];
        for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            match (hex_digit(pair[0]), hex_digit(pair[1])) {
                (Some(hi), Some(lo)) => *byte = hi << 4 | lo,
                _ => return Err(self.error(segment, start, KeyErrorKind::BadHex)),
            }
        }
        self.pos += 2 * N;
        Ok(out)
    }

    /// An optional fixed-width trailer: `false` when nothing is left, `true` when exactly
    /// `width` bytes are left, `BadTrailer` otherwise.
    pub fn trailer(&self, segment: &'static str, width: usize) -> Result<bool, KeyError> {
        match self.rest().len() {
            0 => Ok(false),
            n if n == width => Ok(true),
            len => Err(self.error(segment, self.pos, KeyErrorKind::BadTrailer { len })),
        }
    }

    /// The whole key was consumed (unless the spec says `extra: ignore`).
    pub fn finish(&self) -> Result<(), KeyError> {
        match self.rest().len() {
            0 => Ok(()),
            count => Err(self.error(END_SEGMENT, self.pos, KeyErrorKind::TrailingBytes { count })),
        }
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[allow(dead_code)]
impl<'a> Span<'a> {
    fn error(&self, kind: KeyErrorKind) -> KeyError {
        KeyError {
            family: self.family,
            segment: self.segment,
            offset: self.at,
            kind,
        }
    }

    /// `non_empty: true`.
    pub fn non_empty(self) -> Result<Self, KeyError> {
        if self.bytes.is_empty() {
            return Err(self.error(KeyErrorKind::EmptySegment));
        }
        Ok(self)
    }

    /// `enc: bytes` / `len_prefixed`.
    pub fn bytes(self) -> &'a [u8] {
        self.bytes
    }

    /// `enc: base64url`.
    pub fn base64url(self) -> Result<B64Url<'a>, KeyError> {
        B64Url::new(self.bytes).ok_or_else(|| self.error(KeyErrorKind::BadBase64))
    }

    /// `enc: decimal`: ASCII digits only (leading zeros allowed), at most 2^64 − 1.
    pub fn decimal(self) -> Result<u64, KeyError> {
        let bad = || self.error(KeyErrorKind::BadDecimal);
        if self.bytes.is_empty() {
            return Err(bad());
        }
        self.bytes.iter().try_fold(0u64, |acc, &b| {
            if !b.is_ascii_digit() {
                return Err(bad());
            }
            acc.checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .ok_or_else(bad)
        })
    }

    /// `enc: escaped`; only for spans from [`Cursor::take_escaped`], which checked the escapes.
    pub fn escaped(self) -> Escaped<'a> {
        Escaped::from_checked(self.bytes)
    }
}

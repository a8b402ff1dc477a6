//! The error of a generated key parser: which family, which segment, where, and what.

use thiserror::Error;

/// Segment name used when the key does not start with the family prefix.
pub const PREFIX_SEGMENT: &str = "(prefix)";
/// Segment name used for bytes after the last segment.
pub const END_SEGMENT: &str = "(end)";

/// A user key that does not have the shape its family's spec declares.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("malformed `{family}` key: segment `{segment}` at byte {offset}: {kind}")]
pub struct KeyError {
    /// The family name (`msg_data`).
    pub family: &'static str,
    /// The segment name from the spec, or [`PREFIX_SEGMENT`] / [`END_SEGMENT`].
    pub segment: &'static str,
    /// Byte offset in the whole user key (prefix included) where the segment starts.
    pub offset: usize,
    pub kind: KeyErrorKind,
}

/// What is wrong with the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum KeyErrorKind {
    #[error("the key does not start with the family prefix")]
    MissingPrefix,
    #[error("the segment is empty")]
    EmptySegment,
    #[error("no separator ends the segment")]
    MissingSeparator,
    #[error("no 00 01 terminator ends the escaped segment")]
    MissingTerminator,
    #[error("00 is followed by a byte other than FF or 01")]
    BadEscape,
    #[error("needs {need} bytes, {have} left")]
    ShortField { need: usize, have: usize },
    #[error("not valid base64url")]
    BadBase64,
    #[error("not an unsigned 64-bit decimal number")]
    BadDecimal,
    #[error("not hexadecimal")]
    BadHex,
    #[error("the length prefix exceeds the rest of the key")]
    LengthOverrun,
    #[error("an optional trailer of {len} bytes is neither absent nor full width")]
    BadTrailer { len: usize },
    #[error("{count} unexpected bytes after the last segment")]
    TrailingBytes { count: usize },
}

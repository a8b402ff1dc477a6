//! Every way reading a snapshot can fail.
//!
//! Each failure is fatal: the reader never skips or resynchronises (core.md §1.5). Messages
//! are written for an operator: they name the byte offset of the entry concerned where there
//! is one, and say what the decoder expected.

use std::fmt;
use std::io;
use std::path::PathBuf;

use super::framing::describe_magic;
use super::{MAX_ENCODED_KEY_SIZE, MAX_ENCODED_VALUE_SIZE};

/// Which part of an entry the input ended in (for [`SnapshotError::Truncated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryPart {
    /// The 8-byte little-endian key length (1-7 bytes present; or, for a file whose tail is
    /// not exactly a 4-byte footer, a damaged footer).
    KeyLength,
    /// The encoded key bytes.
    Key,
    /// The 8-byte little-endian value length (0-7 bytes present).
    ValueLength,
    /// The encoded value bytes.
    Value,
}

impl fmt::Display for EntryPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EntryPart::KeyLength => "key length",
            EntryPart::Key => "key",
            EntryPart::ValueLength => "value length",
            EntryPart::Value => "value",
        })
    }
}

/// A snapshot read failure. `offset` fields are byte offsets from the start of the input
/// (including any FSM header); for entry errors they point at the entry's key length.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The input has no bytes at all.
    #[error(
        "snapshot input is empty (0 bytes); expected an elastickv .fsm file or EKVPBBL1 stream"
    )]
    EmptyInput,

    /// The input ends inside the FSM header, the store magic or `lastCommitTS`.
    #[error(
        "snapshot header truncated: the input ends after {input_len} bytes, \
         before the header (magic, FSM header and last_commit_ts) is complete"
    )]
    TruncatedHeader {
        /// Total number of bytes the input had.
        input_len: u64,
    },

    /// The first 8 bytes are not any elastickv snapshot magic.
    #[error(
        "not an elastickv snapshot: magic header {} does not match \"EKVPBBL1\" \
         (nor an EKVTHLC1/EKVTHLC2 FSM header)",
        quote_bytes(found)
    )]
    BadMagic {
        /// The 8 bytes read.
        found: [u8; 8],
    },

    /// An elastickv format this decoder does not read (`EKVSSTI1`, `EKVMVCC2`, an FSM header
    /// version other than 1/2, any other `EKV…` magic), or anything but `EKVPBBL1` after an
    /// FSM header.
    #[error("{}", unsupported_message(magic, *offset))]
    UnsupportedFormat {
        /// The 8 bytes read.
        magic: [u8; 8],
        /// Where they were read: 0 for the file magic, else the store-stream magic after the
        /// FSM header.
        offset: u64,
    },

    /// An `EKVTHLC2` header whose payload length is outside `[16, 1024]`.
    #[error(
        "bad EKVTHLC2 FSM header: payload length {payload_len} is outside the allowed range \
         [16, 1024]"
    )]
    BadFsmHeader {
        /// The u16be payload length read.
        payload_len: u16,
    },

    /// The input ends in the middle of an entry.
    #[error(
        "snapshot truncated mid-entry: the input ends inside the {part} of the entry at byte \
         offset {offset}{}",
        if matches!(part, EntryPart::KeyLength) { " (or the 4-byte CRC footer is damaged)" } else { "" }
    )]
    Truncated {
        /// Offset of the entry (its key length field).
        offset: u64,
        /// Which field was incomplete.
        part: EntryPart,
    },

    /// `keyLen` exceeds [`MAX_ENCODED_KEY_SIZE`] (checked before reading the key).
    #[error(
        "snapshot key length {len} exceeds the limit of {MAX_ENCODED_KEY_SIZE} bytes \
         (entry at byte offset {offset})"
    )]
    KeyTooLarge {
        /// The declared key length.
        len: u64,
        /// Offset of the entry.
        offset: u64,
    },

    /// `valLen` exceeds [`MAX_ENCODED_VALUE_SIZE`] (checked before reading the value).
    #[error(
        "snapshot value length {len} exceeds the limit of {MAX_ENCODED_VALUE_SIZE} bytes \
         (entry at byte offset {offset})"
    )]
    ValueTooLarge {
        /// The declared value length.
        len: u64,
        /// Offset of the entry.
        offset: u64,
    },

    /// The encoded key is shorter than its 8-byte timestamp suffix.
    #[error(
        "encoded key of {len} bytes is shorter than the 8-byte timestamp suffix \
         (entry at byte offset {offset})"
    )]
    ShortKey {
        /// The key length.
        len: u64,
        /// Offset of the entry.
        offset: u64,
    },

    /// The encoded value is shorter than its 9-byte header (flags + expireAt).
    #[error(
        "encoded value of {len} bytes is shorter than the 9-byte value header \
         (entry at byte offset {offset})"
    )]
    ShortValue {
        /// The value length.
        len: u64,
        /// Offset of the entry.
        offset: u64,
    },

    /// The entry is encrypted (encryption_state 01); there is no keyring.
    #[error(
        "snapshot contains encrypted entries (flags {flags:#04x}, entry at byte offset \
         {offset}); this decoder has no decryption keyring"
    )]
    EncryptedEntry {
        /// The flags byte.
        flags: u8,
        /// Offset of the entry.
        offset: u64,
    },

    /// Reserved flag bits (0xF8) or a reserved encryption_state (10, 11) are set.
    #[error(
        "value header carries reserved flag bits or a reserved encryption_state \
         (flags {flags:#04x}, entry at byte offset {offset}); decoder cannot interpret this entry"
    )]
    EncryptedReserved {
        /// The flags byte.
        flags: u8,
        /// Offset of the entry.
        offset: u64,
    },

    /// The CRC-32C footer does not match the content.
    #[error(
        "snapshot CRC-32C mismatch: the footer says {expected:#010x} but the preceding bytes \
         hash to {actual:#010x} (file corrupted, truncated or with trailing bytes)"
    )]
    CrcMismatch {
        /// The value stored in the footer.
        expected: u32,
        /// The CRC-32C computed over every preceding byte.
        actual: u32,
    },

    /// A node file with an FSM header ends cleanly where its CRC footer should be.
    #[error(
        "snapshot file ends at byte offset {offset} without its 4-byte CRC-32C footer \
         (file truncated at an entry boundary?)"
    )]
    MissingFooter {
        /// Length of the input.
        offset: u64,
    },

    /// A raw key is not strictly greater than the previous one.
    #[error(
        "entry at byte offset {offset} is out of order: its key is not strictly greater than \
         the previous entry's key (duplicate or unsorted snapshot)"
    )]
    OutOfOrder {
        /// Offset of the entry.
        offset: u64,
    },

    /// A directory given as input holds no `<16 hex digits>.fsm` file.
    #[error(
        "no snapshot file named <16 lower-case hex digits>.fsm in {} or {}/fsm-snap",
        dir.display(),
        dir.display()
    )]
    NoSnapshotFound {
        /// The directory searched.
        dir: PathBuf,
    },

    /// The input file or directory could not be opened / listed.
    #[error("cannot open snapshot input {}: {source}", path.display())]
    Open {
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },

    /// Any other I/O error of the underlying reader.
    #[error("I/O error while reading the snapshot: {0}")]
    Io(#[from] io::Error),
}

/// `"EKVSSTI1"` with non-printable bytes as `\xNN`.
pub(crate) fn quote_bytes(magic: &[u8]) -> String {
    let mut s = String::with_capacity(magic.len() + 2);
    s.push('"');
    for &b in magic {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

fn unsupported_message(magic: &[u8; 8], offset: u64) -> String {
    let mut s = format!(
        "unsupported snapshot format: magic {} ({})",
        quote_bytes(magic),
        describe_magic(magic)
    );
    if offset != 0 {
        s.push_str(&format!(
            " at byte offset {offset}, after the FSM header; only \"EKVPBBL1\" store streams \
             are supported"
        ));
    }
    s
}

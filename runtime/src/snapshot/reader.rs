//! Streaming reader of `.fsm` files and bare `EKVPBBL1` store streams.
//!
//! Checks run in exactly the order of core.md §1.5, extended by the node-file framing of
//! §1.7 (FSM header, CRC footer), operational rows (§1.6) and a strict key-order check:
//!
//! 1. E1 read keyLen: 0 bytes left → end (error [`SnapshotError::MissingFooter`] if the file
//!    has an FSM header); exactly 4 bytes left → CRC footer; 1-3 / 5-7 bytes → `Truncated`.
//! 2. E2 keyLen limit, E3 key bytes, E4 valLen, E5 valLen limit, E6 value bytes.
//! 3. Raw key strictly greater than the previous raw key, else [`SnapshotError::OutOfOrder`].
//! 4. Operational rows by exact shape ([`OperationalRow::parse`]).
//! 5. D1 short key, D2 short value, D3 reserved flag bits, D4 encryption state.

use std::io::{self, Read};

use super::entry::{
    Entry, MvccEntry, OperationalRow, FLAG_RESERVED_MASK, FLAG_TOMBSTONE, TS_SUFFIX_LEN,
    VALUE_HEADER_LEN,
};
use super::error::{EntryPart, SnapshotError};
use super::framing::{
    is_elastickv_family, FooterStatus, Framing, FsmHeader, FOOTER_LEN, FSM_V2_MAX_PAYLOAD,
    FSM_V2_MIN_PAYLOAD, MAGIC_FSM_V1, MAGIC_FSM_V2, MAGIC_PEBBLE,
};
use super::source::{CrcSource, DEFAULT_BUFFER_SIZE};
use super::{MAX_ENCODED_KEY_SIZE, MAX_ENCODED_VALUE_SIZE};

/// Options of [`SnapshotReader::open`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Compute the CRC-32C and compare it with the footer (default `true`). When `false`
    /// nothing is hashed and a footer is reported as [`FooterStatus::Unverified`].
    pub verify_crc: bool,
    /// Size of the internal read buffer (default 1 MiB; at least 64 bytes are used).
    pub buffer_size: usize,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            verify_crc: true,
            buffer_size: DEFAULT_BUFFER_SIZE,
        }
    }
}

/// What the reader learnt from the start of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamInfo {
    /// How the input is framed (see [`Framing::NodeFile`] for headerless files).
    pub framing: Framing,
    /// The FSM header, if present.
    pub fsm_header: Option<FsmHeader>,
    /// `lastCommitTS` from the store-stream header (u64le after `EKVPBBL1`).
    pub last_commit_ts: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Done,
    Failed,
}

/// What `advance` decoded; the slices are rebuilt from the reader's buffers.
#[derive(Clone, Copy)]
enum Decoded {
    Mvcc {
        commit_ts: u64,
        tombstone: bool,
        expire_at: u64,
    },
    Operational(OperationalRow),
}

/// Reads a snapshot entry by entry. See the module documentation for the check order.
pub struct SnapshotReader<R> {
    src: CrcSource<R>,
    info: StreamInfo,
    verify_crc: bool,
    key: Vec<u8>,
    prev_key: Vec<u8>,
    has_prev: bool,
    value: Vec<u8>,
    state: State,
    footer: FooterStatus,
    entry_offset: u64,
    entries: u64,
}

impl<R: Read> SnapshotReader<R> {
    /// Reads and validates the framing (FSM header, store magic, `lastCommitTS`).
    pub fn open(reader: R, options: ReaderOptions) -> Result<Self, SnapshotError> {
        let mut src = CrcSource::new(reader, options.buffer_size, options.verify_crc);
        let magic = read_header_array::<8, R>(&mut src)?;
        let fsm_header = match magic {
            MAGIC_PEBBLE => None,
            MAGIC_FSM_V1 => {
                let ceiling = read_header_array::<8, R>(&mut src)?;
                Some(FsmHeader::V1 {
                    ceiling_ms: u64::from_be_bytes(ceiling),
                })
            }
            MAGIC_FSM_V2 => {
                let payload_len = u16::from_be_bytes(read_header_array::<2, R>(&mut src)?);
                if !(FSM_V2_MIN_PAYLOAD..=FSM_V2_MAX_PAYLOAD).contains(&payload_len) {
                    return Err(SnapshotError::BadFsmHeader { payload_len });
                }
                let ceiling = read_header_array::<8, R>(&mut src)?;
                let cutover = read_header_array::<8, R>(&mut src)?;
                let extension_len = payload_len - FSM_V2_MIN_PAYLOAD;
                let skipped = src.skip(u64::from(extension_len))?;
                if skipped < u64::from(extension_len) {
                    return Err(SnapshotError::TruncatedHeader {
                        input_len: src.consumed(),
                    });
                }
                Some(FsmHeader::V2 {
                    ceiling_ms: u64::from_be_bytes(ceiling),
                    cutover_index: u64::from_be_bytes(cutover),
                    extension_len,
                })
            }
            other if is_elastickv_family(&other) => {
                return Err(SnapshotError::UnsupportedFormat {
                    magic: other,
                    offset: 0,
                })
            }
            other => return Err(SnapshotError::BadMagic { found: other }),
        };
        if fsm_header.is_some() {
            let offset = src.consumed();
            let inner = read_header_array::<8, R>(&mut src)?;
            if inner != MAGIC_PEBBLE {
                return Err(SnapshotError::UnsupportedFormat {
                    magic: inner,
                    offset,
                });
            }
        }
        let last_commit_ts = u64::from_le_bytes(read_header_array::<8, R>(&mut src)?);
        let framing = match fsm_header {
            Some(h) => Framing::NodeFile { header: Some(h) },
            None => Framing::BareStream,
        };
        Ok(SnapshotReader {
            src,
            info: StreamInfo {
                framing,
                fsm_header,
                last_commit_ts,
            },
            verify_crc: options.verify_crc,
            key: Vec::new(),
            prev_key: Vec::new(),
            has_prev: false,
            value: Vec::new(),
            state: State::Reading,
            footer: FooterStatus::Absent,
            entry_offset: 0,
            entries: 0,
        })
    }

    /// Framing, FSM header and `lastCommitTS`. For a headerless input `framing` turns into
    /// `NodeFile { header: None }` once a footer has been found at the end.
    pub fn info(&self) -> &StreamInfo {
        &self.info
    }

    /// Bytes consumed so far, including header and (after the end) footer.
    pub fn bytes_read(&self) -> u64 {
        self.src.consumed()
    }

    /// Footer state; [`FooterStatus::Absent`] until the end of the input has been reached.
    pub fn footer(&self) -> FooterStatus {
        self.footer
    }

    /// Whether the end of the input has been reached without error.
    pub fn is_finished(&self) -> bool {
        self.state == State::Done
    }

    /// Byte offset of the entry returned last (or of the position where an error occurred).
    pub fn entry_offset(&self) -> u64 {
        self.entry_offset
    }

    /// Number of entries (MVCC and operational) returned so far.
    pub fn entries_read(&self) -> u64 {
        self.entries
    }

    /// The next entry, `Ok(None)` at the (valid) end of the input. The returned slices are
    /// valid until the next call. After an error every further call fails.
    pub fn next_entry(&mut self) -> Result<Option<Entry<'_>>, SnapshotError> {
        match self.state {
            State::Done => return Ok(None),
            State::Failed => {
                return Err(SnapshotError::Io(io::Error::other(
                    "snapshot reader used after an earlier error",
                )))
            }
            State::Reading => {}
        }
        let decoded = match self.advance() {
            Ok(Some(d)) => d,
            Ok(None) => {
                self.state = State::Done;
                return Ok(None);
            }
            Err(e) => {
                self.state = State::Failed;
                return Err(e);
            }
        };
        self.entries += 1;
        Ok(Some(match decoded {
            Decoded::Operational(row) => Entry::Operational(row),
            Decoded::Mvcc {
                commit_ts,
                tombstone,
                expire_at,
            } => Entry::Mvcc(MvccEntry {
                encoded_key: &self.key,
                user_key: &self.key[..self.key.len() - TS_SUFFIX_LEN],
                commit_ts,
                tombstone,
                expire_at,
                body: &self.value[VALUE_HEADER_LEN..],
            }),
        }))
    }

    fn advance(&mut self) -> Result<Option<Decoded>, SnapshotError> {
        let offset = self.src.consumed();
        self.entry_offset = offset;

        // E1: key length, or the end of the input, or the footer.
        let key_len = match self.src.read_u64_le()? {
            Ok(v) => v,
            Err(0) => {
                if self.info.fsm_header.is_some() {
                    return Err(SnapshotError::MissingFooter { offset });
                }
                return Ok(None);
            }
            Err(FOOTER_LEN) => {
                self.read_footer()?;
                return Ok(None);
            }
            Err(_) => {
                return Err(SnapshotError::Truncated {
                    offset,
                    part: EntryPart::KeyLength,
                })
            }
        };
        // E2
        if key_len > MAX_ENCODED_KEY_SIZE {
            return Err(SnapshotError::KeyTooLarge {
                len: key_len,
                offset,
            });
        }
        // E3
        std::mem::swap(&mut self.key, &mut self.prev_key);
        self.key.clear();
        let key_len_usize = key_len as usize; // ≤ MAX_ENCODED_KEY_SIZE
        if self.src.read_into(&mut self.key, key_len_usize)? < key_len_usize {
            return Err(SnapshotError::Truncated {
                offset,
                part: EntryPart::Key,
            });
        }
        // E4
        let val_len = match self.src.read_u64_le()? {
            Ok(v) => v,
            Err(_) => {
                return Err(SnapshotError::Truncated {
                    offset,
                    part: EntryPart::ValueLength,
                })
            }
        };
        // E5
        if val_len > MAX_ENCODED_VALUE_SIZE {
            return Err(SnapshotError::ValueTooLarge {
                len: val_len,
                offset,
            });
        }
        // E6
        self.value.clear();
        let val_len_usize = val_len as usize; // ≤ MAX_ENCODED_VALUE_SIZE
        if self.src.read_into(&mut self.value, val_len_usize)? < val_len_usize {
            return Err(SnapshotError::Truncated {
                offset,
                part: EntryPart::Value,
            });
        }
        // Strictly ascending raw keys.
        if self.has_prev && self.key.as_slice() <= self.prev_key.as_slice() {
            return Err(SnapshotError::OutOfOrder { offset });
        }
        self.has_prev = true;
        // Operational rows, by exact shape.
        if let Some(row) = OperationalRow::parse(&self.key, &self.value) {
            return Ok(Some(Decoded::Operational(row)));
        }
        // D1, D2
        if self.key.len() < TS_SUFFIX_LEN {
            return Err(SnapshotError::ShortKey {
                len: key_len,
                offset,
            });
        }
        if self.value.len() < VALUE_HEADER_LEN {
            return Err(SnapshotError::ShortValue {
                len: val_len,
                offset,
            });
        }
        // D3, D4
        let flags = self.value[0];
        if flags & FLAG_RESERVED_MASK != 0 {
            return Err(SnapshotError::EncryptedReserved { flags, offset });
        }
        match (flags >> 1) & 3 {
            0 => {}
            1 => return Err(SnapshotError::EncryptedEntry { flags, offset }),
            _ => return Err(SnapshotError::EncryptedReserved { flags, offset }),
        }
        let split = self.key.len() - TS_SUFFIX_LEN;
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&self.key[split..]);
        let mut exp = [0u8; 8];
        exp.copy_from_slice(&self.value[1..VALUE_HEADER_LEN]);
        Ok(Some(Decoded::Mvcc {
            commit_ts: !u64::from_be_bytes(ts),
            tombstone: flags & FLAG_TOMBSTONE != 0,
            expire_at: u64::from_le_bytes(exp),
        }))
    }

    /// Exactly 4 bytes remain where a key length would start: the CRC-32C footer.
    fn read_footer(&mut self) -> Result<(), SnapshotError> {
        let actual = self.src.crc();
        let mut b = [0u8; FOOTER_LEN];
        b.copy_from_slice(&self.src.available()[..FOOTER_LEN]);
        self.src.consume(FOOTER_LEN);
        let expected = u32::from_be_bytes(b);
        self.footer = if self.verify_crc {
            if expected != actual {
                return Err(SnapshotError::CrcMismatch { expected, actual });
            }
            FooterStatus::Verified(expected)
        } else {
            FooterStatus::Unverified(expected)
        };
        self.info.framing = Framing::NodeFile {
            header: self.info.fsm_header,
        };
        Ok(())
    }
}

/// Reads `N` header bytes; a short input is [`SnapshotError::EmptyInput`] (nothing at all)
/// or [`SnapshotError::TruncatedHeader`].
fn read_header_array<const N: usize, R: Read>(
    src: &mut CrcSource<R>,
) -> Result<[u8; N], SnapshotError> {
    match src.read_array::<N>()? {
        Some(b) => Ok(b),
        None if src.consumed() == 0 => Err(SnapshotError::EmptyInput),
        None => Err(SnapshotError::TruncatedHeader {
            input_len: src.consumed(),
        }),
    }
}

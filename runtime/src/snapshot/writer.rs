//! Writing snapshot streams and node files: for tests, the demo generator and `encode`.
//!
//! [`SnapshotWriter`] writes entries in the order given (tests control the order, including
//! wrong ones); [`SortedSnapshotBuilder`] collects entries and writes them in ascending raw
//! key order as a live node would.

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::entry::{encode_mvcc_key, encode_mvcc_value, OperationalRow, FLAG_TOMBSTONE};
use super::framing::{
    FSM_V2_MAX_PAYLOAD, FSM_V2_MIN_PAYLOAD, MAGIC_FSM_V1, MAGIC_FSM_V2, MAGIC_PEBBLE,
};
use super::{MAX_ENCODED_KEY_SIZE, MAX_ENCODED_VALUE_SIZE};

/// How the output is framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriterFraming {
    /// Bare store stream: `EKVPBBL1`, `lastCommitTS`, entries. No footer.
    Bare,
    /// Legacy node file: store stream + CRC-32C footer, no FSM header.
    NodeHeaderless,
    /// `EKVTHLC1` header + store stream + footer.
    NodeV1 {
        /// HLC ceiling in Unix milliseconds.
        ceiling_ms: u64,
    },
    /// `EKVTHLC2` header (payload 16 + extension bytes, at most 1024) + store stream + footer.
    NodeV2 {
        /// HLC ceiling in Unix milliseconds.
        ceiling_ms: u64,
        /// Raft cutover index.
        cutover_index: u64,
        /// Extension bytes after the 16-byte payload (at most 1008).
        extension: Vec<u8>,
    },
}

impl WriterFraming {
    fn has_footer(&self) -> bool {
        !matches!(self, WriterFraming::Bare)
    }
}

const FLUSH_AT: usize = 256 * 1024;

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// The flags byte of an MVCC version: `0x01` (tombstone) or `0x00` (live).
fn mvcc_flags(tombstone: bool) -> u8 {
    if tombstone {
        FLAG_TOMBSTONE
    } else {
        0
    }
}

/// The encoded key and value lengths of an MVCC version (`user_key ‖ ts`, `flags ‖ expire_at
/// ‖ body`), or an error if either would exceed the reader's limits.
fn check_mvcc_sizes(user_key: &[u8], body: &[u8]) -> io::Result<(u64, u64)> {
    let key_len = user_key.len() as u64 + 8;
    let val_len = body.len() as u64 + 9;
    if key_len > MAX_ENCODED_KEY_SIZE {
        return Err(invalid(format!(
            "encoded key of {key_len} bytes exceeds the limit of {MAX_ENCODED_KEY_SIZE}"
        )));
    }
    if val_len > MAX_ENCODED_VALUE_SIZE {
        return Err(invalid(format!(
            "encoded value of {val_len} bytes exceeds the limit of {MAX_ENCODED_VALUE_SIZE}"
        )));
    }
    Ok((key_len, val_len))
}

/// Writes a snapshot entry by entry, keeping a CRC-32C of everything written.
pub struct SnapshotWriter<W: Write> {
    inner: W,
    buf: Vec<u8>,
    crc: u32,
    footer: bool,
    written: u64,
}

impl<W: Write> SnapshotWriter<W> {
    /// Writes the framing's header, `EKVPBBL1` and `last_commit_ts`.
    pub fn new(inner: W, framing: WriterFraming, last_commit_ts: u64) -> io::Result<Self> {
        Self::with_store_magic(inner, framing, MAGIC_PEBBLE, last_commit_ts)
    }

    /// Like [`SnapshotWriter::new`] but with another store magic (tests: `EKVSSTI1`, …).
    /// With [`WriterFraming::Bare`] the magic is the first thing in the output.
    pub fn with_store_magic(
        inner: W,
        framing: WriterFraming,
        store_magic: [u8; 8],
        last_commit_ts: u64,
    ) -> io::Result<Self> {
        let mut w = SnapshotWriter {
            inner,
            buf: Vec::with_capacity(FLUSH_AT),
            crc: 0,
            footer: framing.has_footer(),
            written: 0,
        };
        match &framing {
            WriterFraming::Bare | WriterFraming::NodeHeaderless => {}
            WriterFraming::NodeV1 { ceiling_ms } => {
                w.emit(&MAGIC_FSM_V1)?;
                w.emit(&ceiling_ms.to_be_bytes())?;
            }
            WriterFraming::NodeV2 {
                ceiling_ms,
                cutover_index,
                extension,
            } => {
                let max_ext = usize::from(FSM_V2_MAX_PAYLOAD - FSM_V2_MIN_PAYLOAD);
                if extension.len() > max_ext {
                    return Err(invalid(format!(
                        "EKVTHLC2 extension of {} bytes exceeds {max_ext}",
                        extension.len()
                    )));
                }
                let payload_len = FSM_V2_MIN_PAYLOAD + extension.len() as u16;
                w.emit(&MAGIC_FSM_V2)?;
                w.emit(&payload_len.to_be_bytes())?;
                w.emit(&ceiling_ms.to_be_bytes())?;
                w.emit(&cutover_index.to_be_bytes())?;
                w.emit(extension)?;
            }
        }
        w.emit(&store_magic)?;
        w.emit(&last_commit_ts.to_le_bytes())?;
        Ok(w)
    }

    /// Bytes written so far (header and entries; the footer after [`Self::finish`]).
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// An MVCC version with flags `0x00` (live) or `0x01` (tombstone).
    pub fn put_mvcc(
        &mut self,
        user_key: &[u8],
        commit_ts: u64,
        tombstone: bool,
        expire_at: u64,
        body: &[u8],
    ) -> io::Result<()> {
        self.put_mvcc_flags(user_key, commit_ts, mvcc_flags(tombstone), expire_at, body)
    }

    /// An MVCC version with an arbitrary flags byte. Fails (nothing written) if the encoded
    /// key or value would exceed the reader's limits.
    pub fn put_mvcc_flags(
        &mut self,
        user_key: &[u8],
        commit_ts: u64,
        flags: u8,
        expire_at: u64,
        body: &[u8],
    ) -> io::Result<()> {
        let (key_len, val_len) = check_mvcc_sizes(user_key, body)?;
        self.emit(&key_len.to_le_bytes())?;
        self.emit(user_key)?;
        self.emit(&(!commit_ts).to_be_bytes())?;
        self.emit(&val_len.to_le_bytes())?;
        self.emit(&[flags])?;
        self.emit(&expire_at.to_le_bytes())?;
        self.emit(body)
    }

    /// A store metadata or writer-registry row, raw as the live store writes it.
    pub fn put_operational(&mut self, row: &OperationalRow) -> io::Result<()> {
        let (k, v) = row.encode();
        self.put_raw(&k, &v)
    }

    /// One entry with arbitrary raw key and value bytes (no checks at all).
    pub fn put_raw(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        self.emit(&(key.len() as u64).to_le_bytes())?;
        self.emit(key)?;
        self.emit(&(value.len() as u64).to_le_bytes())?;
        self.emit(value)
    }

    /// Arbitrary bytes (truncated entries, bogus lengths, …). They count for the CRC.
    pub fn write_raw_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.emit(bytes)
    }

    /// Writes the CRC-32C footer (node framings), flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.footer {
            self.flush_buf()?;
            let crc = self.crc;
            self.emit(&crc.to_be_bytes())?;
        }
        self.flush_buf()?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    fn emit(&mut self, data: &[u8]) -> io::Result<()> {
        self.written += data.len() as u64;
        if self.buf.len() + data.len() > FLUSH_AT {
            self.flush_buf()?;
            if data.len() >= FLUSH_AT {
                self.crc = crc32c::crc32c_append(self.crc, data);
                return self.inner.write_all(data);
            }
        }
        self.buf.extend_from_slice(data);
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.crc = crc32c::crc32c_append(self.crc, &self.buf);
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// Collects entries in any order and writes them sorted by raw key. Duplicate raw keys are
/// rejected.
#[derive(Debug, Default, Clone)]
pub struct SortedSnapshotBuilder {
    rows: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl SortedSnapshotBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries collected.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no entry was collected.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// See [`SnapshotWriter::put_mvcc`].
    pub fn put_mvcc(
        &mut self,
        user_key: &[u8],
        commit_ts: u64,
        tombstone: bool,
        expire_at: u64,
        body: &[u8],
    ) -> io::Result<()> {
        self.put_mvcc_flags(user_key, commit_ts, mvcc_flags(tombstone), expire_at, body)
    }

    /// See [`SnapshotWriter::put_mvcc_flags`].
    pub fn put_mvcc_flags(
        &mut self,
        user_key: &[u8],
        commit_ts: u64,
        flags: u8,
        expire_at: u64,
        body: &[u8],
    ) -> io::Result<()> {
        check_mvcc_sizes(user_key, body)?;
        self.put_raw(
            encode_mvcc_key(user_key, commit_ts),
            encode_mvcc_value(flags, expire_at, body),
        )
    }

    /// See [`SnapshotWriter::put_operational`].
    pub fn put_operational(&mut self, row: &OperationalRow) -> io::Result<()> {
        let (k, v) = row.encode();
        self.put_raw(k, v)
    }

    /// A raw entry.
    pub fn put_raw(&mut self, key: Vec<u8>, value: Vec<u8>) -> io::Result<()> {
        use std::collections::btree_map::Entry;
        match self.rows.entry(key) {
            Entry::Occupied(o) => Err(invalid(format!(
                "duplicate raw key {}",
                super::error::quote_bytes(o.key())
            ))),
            Entry::Vacant(v) => {
                v.insert(value);
                Ok(())
            }
        }
    }

    /// Writes every collected entry, in ascending raw-key order, to `writer`.
    pub fn write_to<W: Write>(&self, writer: &mut SnapshotWriter<W>) -> io::Result<()> {
        for (k, v) in &self.rows {
            writer.put_raw(k, v)?;
        }
        Ok(())
    }
}

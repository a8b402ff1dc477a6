//! Tests of the snapshot reader, framing, writer, input resolution and the real fixture.
//! MVCC resolver tests live next to the resolver in `mvcc.rs`.

use std::io::{self, Read};

use super::*;

mod fixture;
mod framing;
mod input;
mod reader;
mod roundtrip;

/// An entry copied out of the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Owned {
    Mvcc {
        user_key: Vec<u8>,
        commit_ts: u64,
        tombstone: bool,
        expire_at: u64,
        body: Vec<u8>,
    },
    Op(OperationalRow),
}

impl Owned {
    pub(super) fn from_entry(e: &Entry<'_>) -> Owned {
        match e {
            Entry::Mvcc(m) => {
                assert_eq!(m.encoded_key.len(), m.user_key.len() + 8);
                assert!(m.encoded_key.starts_with(m.user_key));
                Owned::Mvcc {
                    user_key: m.user_key.to_vec(),
                    commit_ts: m.commit_ts,
                    tombstone: m.tombstone,
                    expire_at: m.expire_at,
                    body: m.body.to_vec(),
                }
            }
            Entry::Operational(r) => Owned::Op(*r),
        }
    }

    pub(super) fn live(user_key: &[u8], commit_ts: u64, body: &[u8]) -> Owned {
        Owned::Mvcc {
            user_key: user_key.to_vec(),
            commit_ts,
            tombstone: false,
            expire_at: 0,
            body: body.to_vec(),
        }
    }
}

/// Everything a complete read produced.
#[derive(Debug)]
pub(super) struct ReadAll {
    pub info: StreamInfo,
    pub entries: Vec<Owned>,
    pub footer: FooterStatus,
    pub bytes_read: u64,
}

pub(super) fn read_all_with<R: Read>(
    input: R,
    opts: ReaderOptions,
) -> Result<ReadAll, SnapshotError> {
    let mut r = SnapshotReader::open(input, opts)?;
    let mut entries = Vec::new();
    while let Some(e) = r.next_entry()? {
        entries.push(Owned::from_entry(&e));
    }
    assert!(r.is_finished());
    // Further calls keep returning the end.
    assert!(r.next_entry()?.is_none());
    Ok(ReadAll {
        info: *r.info(),
        entries,
        footer: r.footer(),
        bytes_read: r.bytes_read(),
    })
}

pub(super) fn read_all(bytes: &[u8]) -> Result<ReadAll, SnapshotError> {
    read_all_with(bytes, ReaderOptions::default())
}

/// Reads, collecting entries until the first error (entries before it are kept).
pub(super) fn read_until_error(bytes: &[u8]) -> (Vec<Owned>, Option<SnapshotError>) {
    let mut r = match SnapshotReader::open(bytes, ReaderOptions::default()) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut entries = Vec::new();
    loop {
        match r.next_entry() {
            Ok(Some(e)) => entries.push(Owned::from_entry(&e)),
            Ok(None) => return (entries, None),
            Err(e) => return (entries, Some(e)),
        }
    }
}

pub(super) fn build(
    framing: WriterFraming,
    last_commit_ts: u64,
    f: impl FnOnce(&mut SnapshotWriter<Vec<u8>>) -> io::Result<()>,
) -> Vec<u8> {
    let mut w = SnapshotWriter::new(Vec::new(), framing, last_commit_ts).unwrap();
    f(&mut w).unwrap();
    w.finish().unwrap()
}

pub(super) fn bare(
    last_commit_ts: u64,
    f: impl FnOnce(&mut SnapshotWriter<Vec<u8>>) -> io::Result<()>,
) -> Vec<u8> {
    build(WriterFraming::Bare, last_commit_ts, f)
}

/// A reader that hands out at most `chunk` bytes per call and reports `Interrupted` every
/// third call, to exercise buffer refills at every position.
pub(super) struct Trickle<'a> {
    pub data: &'a [u8],
    pub chunk: usize,
    pub calls: usize,
}

impl<'a> Trickle<'a> {
    pub(super) fn new(data: &'a [u8], chunk: usize) -> Self {
        Trickle {
            data,
            chunk: chunk.max(1),
            calls: 0,
        }
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls == 3 {
            self.calls = 0;
            return Err(io::Error::new(io::ErrorKind::Interrupted, "try again"));
        }
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Little-endian u64 bytes.
pub(super) fn le(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

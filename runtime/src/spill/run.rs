//! Run files: the on-disk format shared by the sorter and the queue.
//!
//! A run is records back to back, each a 4-byte little-endian length followed by the
//! encoded record. There is no header or trailer: the owning [`RunFile`] remembers how many
//! bytes and records it wrote, and the reader checks the file against both, so a truncated
//! or overwritten file is [`SpillError::Corrupt`] instead of silently fewer records.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::marker::PhantomData;
use std::path::Path;

use tempfile::TempPath;

use super::record::SpillRecord;
use super::{Scratch, SpillError};

/// Buffer of one run writer. Only one writer is open at a time per sorter or queue.
const WRITE_BUFFER: usize = 64 << 10;
/// Buffer of one run reader; a merge holds `fan_in` of them.
pub(crate) const READ_BUFFER: usize = 64 << 10;
/// Size of the length prefix.
const PREFIX: u64 = 4;

/// A spill file and what was written to it. Deleted on drop. Not kept open between writes:
/// thousands of buffers may each own a file, and neither their descriptors nor their write
/// buffers may add up.
#[derive(Debug)]
pub(crate) struct RunFile {
    path: TempPath,
    bytes: u64,
    records: u64,
    /// Keeps the directory alive as long as the file (dropped after `path`).
    _scratch: Scratch,
}

impl RunFile {
    /// A new empty file in `scratch`.
    pub(crate) fn new(scratch: &Scratch, prefix: &str) -> Result<Self, SpillError> {
        let (_file, path) = scratch.create_file(prefix)?;
        Ok(RunFile {
            path,
            bytes: 0,
            records: 0,
            _scratch: scratch.clone(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Opens the file to append records; nothing counts until [`RunWriter::finish`].
    pub(crate) fn writer(&mut self) -> Result<RunWriter<'_>, SpillError> {
        let file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| SpillError::io("open", &self.path, e))?;
        Ok(RunWriter {
            out: BufWriter::with_capacity(WRITE_BUFFER, file),
            encoded: Vec::new(),
            bytes: 0,
            records: 0,
            run: self,
        })
    }

    /// Reads the records back in write order; the file is deleted when the reader drops.
    pub(crate) fn into_reader<T: SpillRecord>(self) -> Result<RunReader<T>, SpillError> {
        let file = File::open(&self.path).map_err(|e| SpillError::io("open", &self.path, e))?;
        let len = file
            .metadata()
            .map_err(|e| SpillError::io("stat", &self.path, e))?
            .len();
        if len != self.bytes {
            return Err(SpillError::corrupt(
                &self.path,
                len.min(self.bytes),
                format!(
                    "file is {len} bytes but {} were written (truncated or overwritten)",
                    self.bytes
                ),
            ));
        }
        Ok(RunReader {
            input: BufReader::with_capacity(READ_BUFFER, file),
            offset: 0,
            left: self.records,
            encoded: Vec::new(),
            run: self,
            _record: PhantomData,
        })
    }
}

/// Appends records to a [`RunFile`].
pub(crate) struct RunWriter<'a> {
    run: &'a mut RunFile,
    out: BufWriter<File>,
    /// Reused encoding buffer.
    encoded: Vec<u8>,
    bytes: u64,
    records: u64,
}

impl RunWriter<'_> {
    pub(crate) fn write<T: SpillRecord>(&mut self, record: &T) -> Result<(), SpillError> {
        self.encoded.clear();
        record.encode(&mut self.encoded);
        let len = u32::try_from(self.encoded.len()).map_err(|_| SpillError::RecordTooLarge {
            bytes: self.encoded.len(),
        })?;
        self.out
            .write_all(&len.to_le_bytes())
            .and_then(|()| self.out.write_all(&self.encoded))
            .map_err(|e| SpillError::io("write", &self.run.path, e))?;
        self.bytes += PREFIX + u64::from(len);
        self.records += 1;
        Ok(())
    }

    /// Flushes and closes the file, and only then counts what was written.
    pub(crate) fn finish(mut self) -> Result<(), SpillError> {
        self.out
            .flush()
            .map_err(|e| SpillError::io("write", &self.run.path, e))?;
        self.run.bytes += self.bytes;
        self.run.records += self.records;
        Ok(())
    }
}

/// Streams the records of a [`RunFile`] in write order. After an error it yields nothing.
pub(crate) struct RunReader<T> {
    run: RunFile,
    input: BufReader<File>,
    /// Offset of the next record's length prefix.
    offset: u64,
    /// Records not read yet.
    left: u64,
    encoded: Vec<u8>,
    _record: PhantomData<fn() -> T>,
}

impl<T: SpillRecord> RunReader<T> {
    fn read_record(&mut self) -> Result<T, SpillError> {
        let path = self.run.path();
        let mut prefix = [0u8; PREFIX as usize];
        self.input
            .read_exact(&mut prefix)
            .map_err(|e| read_error(path, self.offset, e))?;
        let len = u32::from_le_bytes(prefix);
        let end = self.offset + PREFIX + u64::from(len);
        // A damaged prefix must not make us allocate or read past what was written.
        if end > self.run.bytes {
            return Err(SpillError::corrupt(
                path,
                self.offset,
                format!("record length {len} runs past the end of the run"),
            ));
        }
        self.encoded.resize(len as usize, 0);
        self.input
            .read_exact(&mut self.encoded)
            .map_err(|e| read_error(path, self.offset, e))?;
        let record = T::decode(&self.encoded).map_err(|e| e.located(path, self.offset))?;
        self.offset = end;
        self.left -= 1;
        Ok(record)
    }
}

impl<T: SpillRecord> Iterator for RunReader<T> {
    type Item = Result<T, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let record = self.read_record();
        if record.is_err() {
            self.left = 0;
        }
        Some(record)
    }
}

fn read_error(path: &Path, offset: u64, e: io::Error) -> SpillError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        SpillError::corrupt(path, offset, "file ends inside a record")
    } else {
        SpillError::io("read", path, e)
    }
}

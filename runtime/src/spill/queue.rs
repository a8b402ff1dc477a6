//! [`SpillQueue`]: a FIFO buffer under the shared [`MemoryBudget`], for records that need
//! no sort.
//!
//! Invariant: the spill file holds the oldest records, the memory buffer the newest. When
//! the budget refuses a record, the buffer and then the record are appended to the file, so
//! reading the file and then the buffer gives insertion order.

use std::vec;

use super::budget::{MemoryBudget, Reservation};
use super::record::{charge, SpillRecord};
use super::run::{RunFile, RunReader};
use super::{Scratch, SpillError};

/// Buffers records in insertion order, spilling to one file when the budget runs out.
pub struct SpillQueue<T> {
    reservation: Reservation,
    scratch: Scratch,
    /// Records newer than everything in `file`. Its charge is `reservation`.
    buffer: Vec<T>,
    /// Created at the first spill.
    file: Option<RunFile>,
    pushed: u64,
}

impl<T: SpillRecord> SpillQueue<T> {
    /// An empty queue drawing on `budget` and spilling into `scratch`.
    pub fn new(budget: &MemoryBudget, scratch: &Scratch) -> Self {
        SpillQueue {
            reservation: budget.reservation(),
            scratch: scratch.clone(),
            buffer: Vec::new(),
            file: None,
            pushed: 0,
        }
    }

    /// Appends a record, moving the buffer (and the record) to disk if the budget refuses it.
    pub fn push(&mut self, record: T) -> Result<(), SpillError> {
        self.pushed += 1;
        if self.reservation.try_grow(charge(&record)) {
            self.buffer.push(record);
            return Ok(());
        }
        let file = match &mut self.file {
            Some(file) => file,
            None => self.file.insert(RunFile::new(&self.scratch, "queue-")?),
        };
        let mut writer = file.writer()?;
        for buffered in &self.buffer {
            writer.write(buffered)?;
        }
        writer.write(&record)?;
        writer.finish()?;
        // Dropped, not cleared: the allocation must go with its reservation.
        self.buffer = Vec::new();
        self.reservation.release_all();
        Ok(())
    }

    /// Records pushed so far.
    pub fn len(&self) -> u64 {
        self.pushed
    }

    pub fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    /// Bytes in the spill file so far.
    pub fn bytes_written(&self) -> u64 {
        self.file.as_ref().map_or(0, RunFile::bytes)
    }

    /// All records in insertion order. The spill file is deleted when the iterator is done
    /// with it or drops.
    pub fn finish(self) -> Result<QueueRecords<T>, SpillError> {
        Ok(QueueRecords {
            disk: self.file.map(RunFile::into_reader).transpose()?,
            memory: self.buffer.into_iter(),
            reservation: self.reservation,
            failed: false,
        })
    }
}

/// The records of [`SpillQueue::finish`], oldest first. Yields nothing after an error.
pub struct QueueRecords<T> {
    disk: Option<RunReader<T>>,
    memory: vec::IntoIter<T>,
    reservation: Reservation,
    failed: bool,
}

impl<T: SpillRecord> Iterator for QueueRecords<T> {
    type Item = Result<T, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        if let Some(disk) = &mut self.disk {
            match disk.next() {
                Some(Ok(record)) => return Some(Ok(record)),
                Some(Err(e)) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                None => self.disk = None,
            }
        }
        let record = self.memory.next()?;
        // The record now belongs to the caller.
        self.reservation.shrink(charge(&record));
        Some(Ok(record))
    }
}

//! K-way merge of sorted sources with a binary heap.
//!
//! Ties between equal records are broken by source index, and sources are always given in
//! insertion order (older runs first, the in-memory remainder last). Every source is a
//! contiguous stretch of insertions, stably sorted, so the merged output is stable: equal
//! records come out in the order they were pushed.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::vec;

use super::budget::Reservation;
use super::record::{charge, SpillRecord};
use super::run::RunReader;
use super::SpillError;

/// One sorted input of a merge.
pub(crate) enum Source<T> {
    /// A run file, streamed through its read buffer.
    Run(RunReader<T>),
    /// Records still in memory, with the budget they hold; each record's share is released
    /// as it leaves the merge.
    Memory {
        records: vec::IntoIter<T>,
        reservation: Reservation,
    },
}

impl<T: SpillRecord> Source<T> {
    fn next(&mut self) -> Option<Result<T, SpillError>> {
        match self {
            Source::Run(reader) => reader.next(),
            Source::Memory { records, .. } => records.next().map(Ok),
        }
    }
}

/// The smallest unread record of one source.
struct Head<T> {
    record: T,
    source: usize,
}

impl<T: Ord> Ord for Head<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.record
            .cmp(&other.record)
            .then(self.source.cmp(&other.source))
    }
}

impl<T: Ord> PartialOrd for Head<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ord> PartialEq for Head<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ord> Eq for Head<T> {}

/// Merged records of several sorted sources, smallest first. Holds one record and one read
/// buffer per source. After an error it yields nothing.
pub(crate) struct Merge<T> {
    /// `None` once exhausted, which closes (and deletes) a run file early.
    sources: Vec<Option<Source<T>>>,
    /// Min-heap on (record, source index).
    heap: BinaryHeap<Reverse<Head<T>>>,
    failed: bool,
}

impl<T: SpillRecord + Ord> Merge<T> {
    /// `sources` must be in insertion order (see the module comment).
    pub(crate) fn new(sources: Vec<Source<T>>) -> Result<Self, SpillError> {
        let mut merge = Merge {
            heap: BinaryHeap::with_capacity(sources.len()),
            sources: sources.into_iter().map(Some).collect(),
            failed: false,
        };
        for source in 0..merge.sources.len() {
            merge.refill(source)?;
        }
        Ok(merge)
    }

    /// Moves the next record of `source` into the heap, or retires the source.
    fn refill(&mut self, source: usize) -> Result<(), SpillError> {
        let Some(input) = &mut self.sources[source] else {
            return Ok(());
        };
        match input.next() {
            Some(record) => self.heap.push(Reverse(Head {
                record: record?,
                source,
            })),
            None => self.sources[source] = None,
        }
        Ok(())
    }
}

impl<T: SpillRecord + Ord> Iterator for Merge<T> {
    type Item = Result<T, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let Reverse(Head { record, source }) = self.heap.pop()?;
        if let Some(Source::Memory { reservation, .. }) = &mut self.sources[source] {
            // The record now belongs to the caller.
            reservation.shrink(charge(&record));
        }
        if let Err(e) = self.refill(source) {
            self.failed = true;
            return Some(Err(e));
        }
        Some(Ok(record))
    }
}

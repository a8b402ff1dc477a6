//! [`SpillSorter`]: an external merge sort under the shared [`MemoryBudget`].
//!
//! Records are buffered while the budget allows. When a reservation is refused, the sorter
//! sorts its buffer and writes it as a run file, then frees its share. [`finish`] merges
//! the runs and the in-memory remainder.
//!
//! The sorter that hits the limit spills its *own* buffer, whoever holds the rest of the
//! budget. A sorter starved by its neighbours therefore writes many tiny runs (one record
//! each with a zero budget). To keep the number of files, and the work at [`finish`],
//! bounded, runs are compacted as they are written: whenever `fan_in` runs of the same
//! level sit at the end of the list, they are merged into one run of the next level (the
//! tiering of an LSM tree). Each record is rewritten O(log_fan_in(n)) times and at most
//! `(fan_in - 1)` runs exist per level.
//!
//! [`finish`]: SpillSorter::finish

use super::budget::{MemoryBudget, Reservation};
use super::merge::{Merge, Source};
use super::record::{charge, SpillRecord};
use super::run::RunFile;
use super::{Scratch, SpillError};

/// Default maximum number of sources one merge reads at once (open files and read buffers).
pub const DEFAULT_FAN_IN: usize = 64;

/// A run file and how many merges its records went through.
struct Run {
    file: RunFile,
    level: u32,
}

/// Sorts records of one buffer (one queue, one table) by `T: Ord`, spilling to the scratch
/// directory when the shared budget runs out.
///
/// The sort is stable: records that compare equal come out in the order they were pushed,
/// whatever the budget, so output never depends on `--memory-budget`.
pub struct SpillSorter<T> {
    reservation: Reservation,
    scratch: Scratch,
    /// Records not yet spilled, in push order. Its charge is `reservation`.
    buffer: Vec<T>,
    /// Spilled runs, oldest first; levels never increase along the list.
    runs: Vec<Run>,
    fan_in: usize,
    pushed: u64,
    runs_written: u64,
    bytes_written: u64,
}

impl<T: SpillRecord + Ord> SpillSorter<T> {
    /// An empty sorter drawing on `budget` and spilling into `scratch`.
    pub fn new(budget: &MemoryBudget, scratch: &Scratch) -> Self {
        SpillSorter {
            reservation: budget.reservation(),
            scratch: scratch.clone(),
            buffer: Vec::new(),
            runs: Vec::new(),
            fan_in: DEFAULT_FAN_IN,
            pushed: 0,
            runs_written: 0,
            bytes_written: 0,
        }
    }

    /// Sets how many sources one merge may read at once (at least 2).
    ///
    /// # Panics
    /// If `fan_in < 2`: a merge must be able to reduce the number of runs.
    pub fn with_fan_in(mut self, fan_in: usize) -> Self {
        assert!(fan_in >= 2, "spill merge fan-in must be at least 2");
        self.fan_in = fan_in;
        self
    }

    /// Adds a record, spilling the buffer (with the record) if the budget refuses it.
    pub fn push(&mut self, record: T) -> Result<(), SpillError> {
        let fits = self.reservation.try_grow(charge(&record));
        // A refused record goes out with the buffer: it is in memory already, and one run
        // is better than two.
        self.buffer.push(record);
        self.pushed += 1;
        if fits {
            Ok(())
        } else {
            self.spill()
        }
    }

    /// Records pushed so far.
    pub fn len(&self) -> u64 {
        self.pushed
    }

    pub fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    /// Run files written so far, including those written by merges.
    pub fn runs_written(&self) -> u64 {
        self.runs_written
    }

    /// Bytes written to run files so far, including merges.
    pub fn bytes_written(&self) -> u64 {
        self.bytes_written
    }

    /// All records in order. Merges first, in passes, until at most `fan_in` sources are
    /// left; then streams them. Run files are deleted as they are used up, the rest when the
    /// iterator drops.
    pub fn finish(mut self) -> Result<SortedRecords<T>, SpillError> {
        let mut records = std::mem::take(&mut self.buffer);
        records.sort();
        let max_runs = self.fan_in - usize::from(!records.is_empty());
        while self.runs.len() > max_runs {
            // Merge just enough of the newest (smallest) runs to get under the limit.
            let count = (self.runs.len() - max_runs + 1).min(self.fan_in);
            self.merge_tail(count)?;
        }
        let mut sources = self
            .runs
            .drain(..)
            .map(|run| run.file.into_reader().map(Source::Run))
            .collect::<Result<Vec<_>, _>>()?;
        if !records.is_empty() {
            sources.push(Source::Memory {
                records: records.into_iter(),
                reservation: self.reservation,
            });
        }
        Ok(SortedRecords {
            merge: Merge::new(sources)?,
        })
    }

    /// Writes the buffer as a new run and gives its budget back.
    fn spill(&mut self) -> Result<(), SpillError> {
        // Taken, not cleared: the buffer's allocation must go with its reservation.
        let mut records = std::mem::take(&mut self.buffer);
        records.sort();
        let mut file = RunFile::new(&self.scratch, "run-")?;
        let mut writer = file.writer()?;
        for record in &records {
            writer.write(record)?;
        }
        writer.finish()?;
        drop(records);
        self.reservation.release_all();
        tracing::debug!(
            path = %file.path().display(),
            bytes = file.bytes(),
            runs = self.runs.len() + 1,
            "spilled sort buffer"
        );
        self.add_run(file, 0);
        self.compact()
    }

    fn add_run(&mut self, file: RunFile, level: u32) {
        self.runs_written += 1;
        self.bytes_written += file.bytes();
        self.runs.push(Run { file, level });
    }

    /// Merges `fan_in` runs of the same level into one, as long as there are such.
    fn compact(&mut self) -> Result<(), SpillError> {
        while let Some(last) = self.runs.last() {
            let level = last.level;
            let same = self
                .runs
                .iter()
                .rev()
                .take_while(|r| r.level == level)
                .count();
            if same < self.fan_in {
                break;
            }
            self.merge_tail(self.fan_in)?;
        }
        Ok(())
    }

    /// Replaces the newest `count` runs by one run holding their merge. Being adjacent,
    /// they are one stretch of insertions, which keeps the sort stable.
    fn merge_tail(&mut self, count: usize) -> Result<(), SpillError> {
        let start = self.runs.len() - count;
        let level = self.runs[start..]
            .iter()
            .map(|r| r.level)
            .max()
            .unwrap_or(0)
            + 1;
        let sources: Vec<Source<T>> = self
            .runs
            .drain(start..)
            .map(|run| run.file.into_reader().map(Source::Run))
            .collect::<Result<_, _>>()?;
        let mut file = RunFile::new(&self.scratch, "merged-")?;
        let mut writer = file.writer()?;
        for record in Merge::new(sources)? {
            writer.write(&record?)?;
        }
        writer.finish()?;
        self.add_run(file, level);
        Ok(())
    }
}

/// The sorted output of [`SpillSorter::finish`]. Yields nothing after an error.
pub struct SortedRecords<T> {
    merge: Merge<T>,
}

impl<T: SpillRecord + Ord> Iterator for SortedRecords<T> {
    type Item = Result<T, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.merge.next()
    }
}

//! Buffering adapter records to disk under one shared memory budget.
//!
//! Adapters must hold records until the scan ends (SQS messages arrive before their queue's
//! meta and are written sorted; DynamoDB items arrive before their schema). No such buffer
//! may grow with a queue's or table's size in memory: each one draws on the single
//! `--memory-budget` and moves to the scratch directory when the budget runs out. Whatever
//! the budget, the records come back in the same order, so the dump does not depend on it.
//!
//! * [`budget`] — [`MemoryBudget`] and [`Reservation`]: the shared byte account.
//! * [`scratch`] — [`Scratch`]: the temporary directory, never inside the output tree.
//! * [`record`] — [`SpillRecord`]: how a record goes to disk and comes back.
//! * [`sorter`] — [`SpillSorter`]: external merge sort, stable by insertion order.
//! * [`queue`] — [`SpillQueue`]: FIFO buffer.
//!
//! Memory not charged to the budget: per merge, one read buffer (64 KiB) and one decoded
//! record per source (at most the fan-in, 64 by default); while spilling, one 64 KiB write
//! buffer and the scratch space of the stable sort.

pub mod budget;
mod error;
mod merge;
pub mod queue;
pub mod record;
mod run;
pub mod scratch;
pub mod sorter;

#[cfg(test)]
mod tests;

pub use budget::{MemoryBudget, Reservation};
pub use error::SpillError;
pub use queue::{QueueRecords, SpillQueue};
pub use record::SpillRecord;
pub use scratch::Scratch;
pub use sorter::{SortedRecords, SpillSorter, DEFAULT_FAN_IN};

/// What an adapter needs to create buffers: the shared budget and the scratch directory.
#[derive(Debug, Clone)]
pub struct SpillContext {
    budget: MemoryBudget,
    scratch: Scratch,
}

impl SpillContext {
    pub fn new(budget: MemoryBudget, scratch: Scratch) -> Self {
        SpillContext { budget, scratch }
    }

    pub fn budget(&self) -> &MemoryBudget {
        &self.budget
    }

    pub fn scratch(&self) -> &Scratch {
        &self.scratch
    }

    /// A new sorter on the shared budget.
    pub fn sorter<T: SpillRecord + Ord>(&self) -> SpillSorter<T> {
        SpillSorter::new(&self.budget, &self.scratch)
    }

    /// A new FIFO queue on the shared budget.
    pub fn queue<T: SpillRecord>(&self) -> SpillQueue<T> {
        SpillQueue::new(&self.budget, &self.scratch)
    }
}

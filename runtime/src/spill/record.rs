//! [`SpillRecord`]: what a buffered record must provide to go to disk and come back.

use super::SpillError;

/// A record that can be buffered by [`SpillSorter`](super::SpillSorter) or
/// [`SpillQueue`](super::SpillQueue).
///
/// `decode(encode(r))` must give back a record equal to `r` in every field the adapter later
/// writes: output is identical whatever the budget only if a round trip through a spill
/// file loses nothing.
pub trait SpillRecord: Sized {
    /// Appends the encoding of `self` to `out` (which may already hold other bytes).
    fn encode(&self, out: &mut Vec<u8>);

    /// Rebuilds a record from exactly the bytes [`encode`](Self::encode) produced. Report
    /// bad input with [`SpillError::invalid_record`]; the reader adds file and offset.
    fn decode(bytes: &[u8]) -> Result<Self, SpillError>;

    /// Estimated bytes the record occupies in memory: `size_of::<Self>()` plus its heap
    /// allocations. Charged to the budget while the record is buffered, so it must not
    /// change between calls.
    fn approx_size(&self) -> usize;
}

/// What buffering `record` costs against the budget. Never zero, so a zero budget really
/// does send every record to disk.
pub(crate) fn charge<T: SpillRecord>(record: &T) -> u64 {
    record.approx_size().max(1) as u64
}

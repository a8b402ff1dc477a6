//! Reading elastickv `.fsm` snapshot files and bare `EKVPBBL1` store streams.
//!
//! * [`framing`] — FSM header (`EKVTHLC1`/`EKVTHLC2`), store magic, CRC-32C footer.
//! * [`reader`] — [`SnapshotReader`]: entries one by one, with every check of core.md §1.5.
//! * [`entry`] — [`Entry`], [`MvccEntry`], [`OperationalRow`] and the MVCC key/value codec.
//! * [`mvcc`] — [`mvcc::VersionResolver`]: which version a reader at a timestamp sees.
//! * [`writer`] — [`writer::SnapshotWriter`] for tests, demo data and `encode`.
//! * [`input`] — `--input` resolution and the snapshot index in file names.

pub mod entry;
pub mod error;
pub mod framing;
pub mod input;
pub mod mvcc;
pub mod reader;
mod source;
pub mod writer;

#[cfg(test)]
mod tests;

pub use entry::{Entry, MvccEntry, OperationalRow};
pub use error::{EntryPart, SnapshotError};
pub use framing::{FooterStatus, Framing, FsmHeader};
pub use input::{snapshot_index_from_name, InputSource};
pub use mvcc::{Verdict, VersionResolver};
pub use reader::{ReaderOptions, SnapshotReader, StreamInfo};
pub use source::DEFAULT_BUFFER_SIZE;
pub use writer::{SnapshotWriter, SortedSnapshotBuilder, WriterFraming};

/// Largest accepted encoded key: 1 MiB user key + 8-byte timestamp suffix.
pub const MAX_ENCODED_KEY_SIZE: u64 = 1_048_584;
/// Largest accepted encoded value: 256 MiB + 9-byte header + 34-byte encryption envelope.
pub const MAX_ENCODED_VALUE_SIZE: u64 = 268_435_499;

/// `Result` with [`SnapshotError`].
pub type Result<T, E = SnapshotError> = std::result::Result<T, E>;

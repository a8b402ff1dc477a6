//! [`SpillError`]: every way buffering to disk can fail. All of them are fatal to a decode:
//! a lost or damaged spill file would silently drop records from the dump.

use std::io;
use std::path::{Path, PathBuf};

/// A spill failure.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    /// A file-system operation on the scratch directory or a spill file failed.
    #[error("spill: cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done ("create", "write", "read", ...).
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A spill file does not hold what was written to it (truncated, overwritten), or a
    /// record did not decode. `offset` is the byte offset of the record's length prefix.
    #[error("spill file {} is corrupt at byte {offset}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },

    /// The scratch directory would be inside the output tree, or contain it; spill files
    /// must never end up in (or delete) the dump.
    #[error(
        "scratch directory {} overlaps the output root {}; choose a scratch location outside it",
        scratch.display(),
        output.display()
    )]
    ScratchOverlap { scratch: PathBuf, output: PathBuf },

    /// An encoded record does not fit the 32-bit length prefix of the run format.
    #[error("spill: encoded record of {bytes} bytes exceeds the 4 GiB record limit")]
    RecordTooLarge { bytes: usize },
}

impl SpillError {
    /// For [`SpillRecord::decode`](super::SpillRecord::decode): the bytes are not a valid
    /// record. The run reader adds the file and offset.
    pub fn invalid_record(reason: impl Into<String>) -> Self {
        SpillError::Corrupt {
            path: PathBuf::new(),
            offset: 0,
            reason: reason.into(),
        }
    }

    pub(crate) fn io(op: &'static str, path: &Path, source: io::Error) -> Self {
        SpillError::Io {
            op,
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> Self {
        SpillError::Corrupt {
            path: path.to_path_buf(),
            offset,
            reason: reason.into(),
        }
    }

    /// Fills in where a location-less [`invalid_record`](Self::invalid_record) error was
    /// found; any other error is returned unchanged.
    pub(crate) fn located(self, at: &Path, at_offset: u64) -> Self {
        match self {
            SpillError::Corrupt { path, reason, .. } if path.as_os_str().is_empty() => {
                SpillError::corrupt(at, at_offset, reason)
            }
            other => other,
        }
    }
}

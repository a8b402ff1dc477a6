//! [`SqsError`]: every way the SQS adapter stops a decode. The first three variants are
//! upstream's error classes (sqs.md §9); the messages start with upstream's sentinel text.

use crate::json::GoStructError;
use crate::keys::{KeyError, ValueError};
use crate::output::{PathError, TemplateError};
use crate::snapshot::error::quote_bytes;
use crate::spill::SpillError;

/// Why the SQS adapter failed.
#[derive(Debug, thiserror::Error)]
pub enum SqsError {
    /// Upstream `ErrSQSMalformedKey`: a key without the shape of its family, or a
    /// `!sqs|queue|gen|` value that is not a decimal uint64 (upstream reports that under the
    /// key class too, sqs.md §11 item 11).
    #[error("backup: malformed SQS key {key}: {reason}")]
    MalformedKey {
        key: String,
        #[source]
        reason: MalformedKeyReason,
    },

    /// Upstream `ErrSQSInvalidQueueMeta`: a `!sqs|queue|meta|` value without its magic or
    /// whose JSON does not decode.
    #[error("backup: invalid !sqs|queue|meta value (key {key}): {reason}")]
    InvalidQueueMeta {
        key: String,
        #[source]
        reason: ValueReason,
    },

    /// Upstream `ErrSQSInvalidMessage`: a `!sqs|msg|data|` value without its magic or whose
    /// JSON does not decode (bad base64, wrong types, trailing garbage).
    #[error("backup: invalid !sqs|msg|data value (key {key}): {reason}")]
    InvalidMessage {
        key: String,
        #[source]
        reason: ValueReason,
    },

    /// A key-derived queue name whose output path (the spec's `output:` template) is not a
    /// safe path: `""`, `.` or `..` (upstream would write into `sqs/` itself or the output
    /// root, sqs.md §11 item 8).
    #[error("SQS queue {encoded_queue} (name {name:?}): no usable output path: {reason}")]
    UnsafeQueueName {
        /// The queue segment of the keys (`encQ`), quoted.
        encoded_queue: String,
        name: String,
        #[source]
        reason: TemplateError,
    },

    /// An orphan directory name (`<encQ>.orphan`) that is not a valid file name (longer
    /// than a file name may be).
    #[error("SQS orphan directory {name:?}: {reason}")]
    UnsafeOrphanDirectory {
        name: String,
        #[source]
        reason: PathError,
    },

    /// Buffering messages or side records to the scratch directory failed.
    #[error("SQS buffer: {0}")]
    Spill(#[from] SpillError),
}

/// What made a key malformed.
#[derive(Debug, thiserror::Error)]
pub enum MalformedKeyReason {
    #[error(transparent)]
    Layout(#[from] KeyError),
    #[error("generation value {value} is not a decimal uint64")]
    Generation { value: String },
}

/// What is wrong with a queue-meta or message value.
#[derive(Debug, thiserror::Error)]
pub enum ValueReason {
    #[error("missing magic prefix: {0}")]
    MissingMagic(#[source] ValueError),
    /// The JSON does not decode into upstream's struct (syntax, document type, field type).
    #[error(transparent)]
    Json(#[from] GoStructError),
}

impl SqsError {
    pub(crate) fn malformed_key(key: &[u8], reason: impl Into<MalformedKeyReason>) -> Self {
        SqsError::MalformedKey {
            key: quote_bytes(key),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_meta(key: &[u8], reason: ValueReason) -> Self {
        SqsError::InvalidQueueMeta {
            key: quote_bytes(key),
            reason,
        }
    }

    pub(crate) fn invalid_message(key: &[u8], reason: ValueReason) -> Self {
        SqsError::InvalidMessage {
            key: quote_bytes(key),
            reason,
        }
    }

    pub(crate) fn unsafe_queue_name(
        encoded_queue: &[u8],
        name: &[u8],
        reason: TemplateError,
    ) -> Self {
        SqsError::UnsafeQueueName {
            encoded_queue: quote_bytes(encoded_queue),
            name: String::from_utf8_lossy(name).into_owned(),
            reason,
        }
    }
}

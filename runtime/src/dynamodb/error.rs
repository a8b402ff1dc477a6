//! [`DynamodbError`]: every way the DynamoDB adapter stops a decode. The first four variants
//! are upstream's three error classes (dynamodb.md §9; `ErrDDBInvalidItem` is raised at
//! intake and at finalize); their messages start with upstream's sentinel text.

use crate::keys::{KeyError, ValueError};
use crate::output::{KeymapError, PathError, TemplateError};
use crate::snapshot::error::quote_bytes;
use crate::spill::SpillError;

use super::item::ItemKeyError;
use super::wire::WireError;

/// Upstream's error class of a [`DynamodbError`] (dynamodb.md §9), or ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// `ErrDDBMalformedKey`
    MalformedKey,
    /// `ErrDDBInvalidSchema`
    InvalidSchema,
    /// `ErrDDBInvalidItem`
    InvalidItem,
    /// A difference of ours (docs/compatibility.md) or an I/O failure.
    Other,
}

/// Why the DynamoDB adapter failed.
#[derive(Debug, thiserror::Error)]
pub enum DynamodbError {
    /// `ErrDDBMalformedKey`: a `!ddb|meta|table|` or `!ddb|item|` key without its family's
    /// shape (dynamodb.md §2.1).
    #[error("backup: malformed DynamoDB key {key}: {reason}")]
    MalformedKey {
        key: String,
        #[source]
        reason: KeyError,
    },

    /// `ErrDDBInvalidSchema`: a table schema value without its magic, or whose protobuf Go
    /// would not decode.
    #[error("backup: invalid !ddb|meta|table value (key {key}): {reason}")]
    InvalidSchema {
        key: String,
        #[source]
        reason: ValueReason,
    },

    /// `ErrDDBInvalidItem` at intake: an item value without its magic, or whose protobuf Go
    /// would not decode.
    #[error("backup: invalid !ddb|item value (key {key}): {reason}")]
    InvalidItem {
        key: String,
        #[source]
        reason: ValueReason,
    },

    /// `ErrDDBInvalidItem` at finalize: an item of an emitted generation that has no file
    /// name (missing key attribute, key of another kind, `.` or `..` segment).
    #[error(
        "backup: invalid !ddb|item value (table {table:?}, generation {generation}, key \
         payload {primary_key}): {reason}"
    )]
    ItemKey {
        table: String,
        generation: u64,
        primary_key: String,
        #[source]
        reason: ItemKeyError,
    },

    /// A key-derived table name whose directory would not be a safe path: `""`, `.` or
    /// `..` (upstream writes into `dynamodb/` itself or the output root, dynamodb.md §11.3).
    #[error("DynamoDB table {encoded_table} (name {name:?}): no usable directory name: {reason}")]
    UnsafeTableName {
        encoded_table: String,
        name: String,
        #[source]
        reason: TemplateError,
    },

    /// Two table key segments that decode to the same name, both with a schema: their files
    /// would mix in one directory.
    #[error(
        "DynamoDB tables {first} and {second} both decode to the name {name:?}; refusing to \
         write both into one directory"
    )]
    DuplicateTable {
        name: String,
        first: String,
        second: String,
    },

    /// A file name built from key segments that is not a valid path name (cannot happen for
    /// encoded segments; reported rather than assumed).
    #[error("DynamoDB table {table:?}: item path: {reason}")]
    ItemPath {
        table: String,
        #[source]
        reason: PathError,
    },

    /// Buffering items to the scratch directory failed.
    #[error("DynamoDB buffer: {0}")]
    Spill(#[from] SpillError),

    /// Writing a `KEYMAP.jsonl` failed.
    #[error("DynamoDB KEYMAP.jsonl: {0}")]
    Keymap(#[from] KeymapError),
}

/// What is wrong with a schema or item value.
#[derive(Debug, thiserror::Error)]
pub enum ValueReason {
    #[error("missing magic prefix: {0}")]
    MissingMagic(#[source] ValueError),
    /// Go's protobuf decoder would reject it.
    #[error(transparent)]
    Protobuf(#[from] WireError),
    /// prost rejected a payload the wire check accepted (a bug of ours, never expected).
    #[error("protobuf: {0}")]
    Decode(#[from] prost::DecodeError),
}

impl DynamodbError {
    /// Upstream's class of this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            DynamodbError::MalformedKey { .. } => ErrorClass::MalformedKey,
            DynamodbError::InvalidSchema { .. } => ErrorClass::InvalidSchema,
            DynamodbError::InvalidItem { .. } | DynamodbError::ItemKey { .. } => {
                ErrorClass::InvalidItem
            }
            _ => ErrorClass::Other,
        }
    }

    pub(crate) fn malformed_key(key: &[u8], reason: KeyError) -> Self {
        DynamodbError::MalformedKey {
            key: quote_bytes(key),
            reason,
        }
    }

    pub(crate) fn invalid_schema(key: &[u8], reason: impl Into<ValueReason>) -> Self {
        DynamodbError::InvalidSchema {
            key: quote_bytes(key),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid_item(key: &[u8], reason: impl Into<ValueReason>) -> Self {
        DynamodbError::InvalidItem {
            key: quote_bytes(key),
            reason: reason.into(),
        }
    }
}

//! [`S3Error`]: every way the S3 adapter stops a decode. The first seven variants are
//! upstream's error classes (s3.md §10); their messages start with upstream's sentinel text.
//! The others name what happened where upstream reports something misleading (H4) or only
//! an OS error.

use std::io;
use std::path::PathBuf;

use crate::json::GoStructError;
use crate::keys::{KeyError, ValueError};
use crate::output::{KeymapError, PathError, TemplateError};
use crate::snapshot::error::quote_bytes;
use crate::spill::SpillError;

use super::naming::PathProblem;

/// Why the S3 adapter failed.
#[derive(Debug, thiserror::Error)]
pub enum S3Error {
    /// Upstream `ErrS3MalformedKey`.
    #[error("backup: malformed S3 key {key}: {reason}")]
    MalformedKey {
        /// The user key, or the bucket / object name, quoted.
        key: String,
        #[source]
        reason: MalformedKeyReason,
    },

    /// Upstream `ErrS3InvalidBucketMeta`.
    #[error("backup: invalid !s3|bucket|meta value (key {key}): {reason}")]
    InvalidBucketMeta {
        key: String,
        #[source]
        reason: GoStructError,
    },

    /// Upstream `ErrS3InvalidManifest`.
    #[error("backup: invalid !s3|obj|head value (key {key}): {reason}")]
    InvalidManifest {
        key: String,
        #[source]
        reason: ManifestReason,
    },

    /// Upstream `ErrS3MetaSuffixCollision`: a key ending in `.elastickv-meta.json` without
    /// `--rename-collisions`.
    #[error(
        "backup: user S3 object key collides with reserved sidecar suffix: bucket {bucket}, \
         object {object} ends with .elastickv-meta.json (use --rename-collisions to write it \
         as <key>.user-data)"
    )]
    MetaSuffixCollision { bucket: String, object: String },

    /// A renamed object's target name is itself an object key (`--strict-s3-keys`).
    /// Upstream reports it as `ErrS3MetaSuffixCollision` also for leaf-data renames (H4).
    #[error(
        "S3 rename target collision: bucket {bucket}, object {object} is also the {kind} \
         rename target of another object"
    )]
    RenameTargetCollision {
        bucket: String,
        object: String,
        kind: &'static str,
    },

    /// An object key whose natural path clashes with a name of the dump layout or with
    /// another object's file (`--strict-s3-keys`; upstream overwrites or fails with an OS
    /// error, H6).
    #[error("S3 object path clash: bucket {bucket}, object {object}: {problem}")]
    PathClash {
        bucket: String,
        object: String,
        problem: PathProblem,
    },

    /// Upstream `ErrS3IncompleteBlobChunks`, for a chunk that is really missing.
    #[error(
        "backup: incomplete blob chunks for manifest-declared part: bucket {bucket}, object \
         {object}, generation {generation}, part {part_no} (version {version}{offloaded}): \
         chunk {chunk_no} of {chunk_count} is missing"
    )]
    IncompleteBlobChunks {
        bucket: String,
        object: String,
        generation: u64,
        part_no: u64,
        version: u64,
        offloaded: &'static str,
        chunk_no: u64,
        chunk_count: u64,
    },

    /// A chunk index at or beyond the part's `chunk_count`. Upstream reports it as
    /// `ErrS3IncompleteBlobChunks` ("observed unique=…", H4).
    #[error(
        "S3 surplus chunk: bucket {bucket}, object {object}, generation {generation}, part \
         {part_no} (version {version}{offloaded}) declares {chunk_count} chunks but chunk \
         {chunk_no} exists"
    )]
    SurplusChunk {
        bucket: String,
        object: String,
        generation: u64,
        part_no: u64,
        version: u64,
        offloaded: &'static str,
        chunk_no: u64,
        chunk_count: u64,
    },

    /// Upstream `ErrS3InvalidChunkRef`.
    #[error("backup: invalid S3 chunk reference {key}: {reason}")]
    InvalidChunkRef {
        /// The chunkref key, or `bucket/object part/chunk` at finalize.
        key: String,
        reason: String,
    },

    /// Upstream `ErrS3ChunkBlobHashMismatch`.
    #[error(
        "backup: S3 chunkblob hash mismatch: key {key} holds a value whose SHA-256 is {actual}"
    )]
    ChunkBlobHashMismatch { key: String, actual: String },

    /// The assembled bytes disagree with the manifest's sizes (upstream never compares,
    /// H12).
    #[error(
        "S3 size mismatch: bucket {bucket}, object {object}, generation {generation}: {what} \
         declares {declared} bytes, the chunks hold {assembled}"
    )]
    SizeMismatch {
        bucket: String,
        object: String,
        generation: u64,
        /// `size_bytes` or `part N (version V) size_bytes`.
        what: String,
        declared: i64,
        assembled: u64,
    },

    /// An orphan chunk file name that is not a valid file name (an absurdly long upload id).
    #[error("S3 orphan chunk file name for bucket {bucket}, object {object}: {reason}")]
    OrphanName {
        bucket: String,
        object: String,
        #[source]
        reason: PathError,
    },

    /// Reading or writing the S3 scratch files (chunk bodies held until finalize).
    #[error("S3 scratch: cannot {op} {}: {source}", path.display())]
    Scratch {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// Copying chunk bytes into an output file.
    #[error("S3 object {path}: cannot {op}: {source}")]
    Assemble {
        op: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },

    /// Writing a bucket's `KEYMAP.jsonl`.
    #[error("S3 KEYMAP.jsonl of bucket {bucket}: {source}")]
    Keymap {
        bucket: String,
        #[source]
        source: KeymapError,
    },

    /// Buffering records to the scratch directory failed.
    #[error("S3 buffer: {0}")]
    Spill(#[from] SpillError),
}

/// What made a key (or a name taken from one) malformed.
#[derive(Debug, thiserror::Error)]
pub enum MalformedKeyReason {
    #[error(transparent)]
    Layout(#[from] KeyError),
    /// A bucket name `""`, `.` or `..` (never a legal S3 bucket) in a blob or upload key.
    #[error("bucket name is empty or a dot segment")]
    DotBucket,
    /// A bucket name that cannot be a directory (`""`, `.`, `..`), found at finalize.
    #[error("bucket name has no usable directory: {0}")]
    BucketName(#[source] TemplateError),
    /// `--strict-s3-keys`: an object name `""`, `.` or `..` in a blob key or an orphan.
    #[error("object name is empty or a dot segment")]
    DotObject,
    /// `--strict-s3-keys`: an object key that is not a safe relative path (s3.md §6.5).
    #[error("{0}")]
    UnsafePath(PathProblem),
}

/// What is wrong with a manifest value.
#[derive(Debug, thiserror::Error)]
pub enum ManifestReason {
    #[error(transparent)]
    Value(#[from] ValueError),
    #[error(transparent)]
    Json(#[from] GoStructError),
    #[error("offloaded part {part_no} declares {chunk_count} chunks but has {sizes} chunk sizes")]
    ChunkSizes {
        part_no: u64,
        chunk_count: u64,
        sizes: usize,
    },
}

pub(super) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl S3Error {
    pub(crate) fn malformed_key(key: &[u8], reason: impl Into<MalformedKeyReason>) -> Self {
        S3Error::MalformedKey {
            key: quote_bytes(key),
            reason: reason.into(),
        }
    }

    pub(crate) fn scratch(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        S3Error::Scratch {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid_chunk_ref(key: &[u8], reason: impl Into<String>) -> Self {
        S3Error::InvalidChunkRef {
            key: quote_bytes(key),
            reason: reason.into(),
        }
    }
}

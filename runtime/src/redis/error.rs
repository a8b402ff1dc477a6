//! [`RedisError`]: every way the Redis adapter stops a decode. The first variants are
//! upstream's error classes (redis.md §9), messages starting with upstream's sentinel text,
//! then the classes of what we decode and upstream does not (legacy blobs, meta deltas).

use crate::keys::KeyError;
use crate::output::keymap::KeymapError;
use crate::output::{TemplateError, TreeError};
use crate::snapshot::error::quote_bytes;
use crate::spill::SpillError;

/// The error classes, each with its sentinel text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// `ErrRedisInvalidStringValue`.
    StringValue,
    /// `ErrRedisInvalidHLLValue`.
    HllValue,
    /// `ErrRedisInvalidTTLValue`.
    TtlValue,
    /// `ErrRedisInvalidHashKey`.
    HashKey,
    /// `ErrRedisInvalidHashMeta`.
    HashMeta,
    /// `ErrRedisInvalidListKey`.
    ListKey,
    /// `ErrRedisInvalidListMeta`.
    ListMeta,
    /// `ErrRedisInvalidSetKey`.
    SetKey,
    /// `ErrRedisInvalidSetMeta`.
    SetMeta,
    /// `ErrRedisInvalidZSetKey`.
    ZsetKey,
    /// `ErrRedisInvalidZSetMeta`.
    ZsetMeta,
    /// `ErrRedisInvalidZSetMember`.
    ZsetMember,
    /// `ErrRedisInvalidZSetLegacyBlob`.
    ZsetLegacyBlob,
    /// `ErrRedisInvalidStreamKey`.
    StreamKey,
    /// `ErrRedisInvalidStreamMeta`.
    StreamMeta,
    /// `ErrRedisInvalidStreamEntry`.
    StreamEntry,
    /// Ours: a `!redis|hash|` legacy blob that the live server could not read either.
    HashLegacyBlob,
    /// Ours: a `!redis|set|` legacy blob.
    SetLegacyBlob,
    /// Ours: a `!redis|stream|` legacy blob.
    StreamLegacyBlob,
    /// Ours: a `!hs|meta|d|`, `!st|meta|d|`, `!zs|meta|d|` or `!lst|meta|d|` delta row with
    /// a bad key or value (upstream never reads them; the live server fails on them too).
    MetaDelta,
}

impl ErrorClass {
    /// Upstream's sentinel message (ours for the last four).
    pub fn sentinel(self) -> &'static str {
        match self {
            ErrorClass::StringValue => "backup: invalid !redis|str| value",
            ErrorClass::HllValue => "backup: invalid !redis|hll| value",
            ErrorClass::TtlValue => "backup: invalid !redis|ttl| value",
            ErrorClass::HashKey => "backup: malformed !hs| key",
            ErrorClass::HashMeta => "backup: invalid !hs|meta| value",
            ErrorClass::ListKey => "backup: malformed !lst| key",
            ErrorClass::ListMeta => "backup: invalid !lst|meta| value",
            ErrorClass::SetKey => "backup: malformed !st| key",
            ErrorClass::SetMeta => "backup: invalid !st|meta| value",
            ErrorClass::ZsetKey => "backup: malformed !zs| key",
            ErrorClass::ZsetMeta => "backup: invalid !zs|meta| value",
            ErrorClass::ZsetMember => "backup: invalid !zs|mem| value",
            ErrorClass::ZsetLegacyBlob => "backup: invalid !redis|zset| value",
            ErrorClass::StreamKey => "backup: malformed !stream| key",
            ErrorClass::StreamMeta => "backup: invalid !stream|meta| value",
            ErrorClass::StreamEntry => "backup: invalid !stream|entry| value",
            ErrorClass::HashLegacyBlob => "backup: invalid !redis|hash| value",
            ErrorClass::SetLegacyBlob => "backup: invalid !redis|set| value",
            ErrorClass::StreamLegacyBlob => "backup: invalid !redis|stream| value",
            ErrorClass::MetaDelta => "backup: invalid Redis meta delta row",
        }
    }
}

impl std::fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.sentinel())
    }
}

/// Why the Redis adapter failed.
#[derive(Debug, thiserror::Error)]
pub enum RedisError {
    /// A record upstream (or the live server) would refuse: the error class, the whole
    /// internal key (quoted) and the reference's context text.
    #[error("{class} (key {key}): {context}")]
    Invalid {
        class: ErrorClass,
        key: String,
        context: String,
    },

    /// A user key whose output path cannot be built (cannot happen with the spec's templates:
    /// every name has a suffix; kept so that a template change cannot write outside the tree).
    #[error("Redis key {key}: no usable output path: {reason}")]
    UnsafePath {
        key: String,
        #[source]
        reason: TemplateError,
    },

    #[error("redis: {0}")]
    Spill(#[from] SpillError),

    #[error("redis: {0}")]
    Output(#[from] TreeError),

    #[error("redis: {0}")]
    Keymap(#[from] KeymapError),
}

impl RedisError {
    /// An [`RedisError::Invalid`] for internal key `key`.
    pub fn invalid(class: ErrorClass, key: &[u8], context: impl Into<String>) -> Self {
        RedisError::Invalid {
            class,
            key: quote_bytes(key),
            context: context.into(),
        }
    }

    /// A key that does not parse: `what` is upstream's context ("meta key", "field key", …).
    pub fn malformed_key(class: ErrorClass, what: &str, key: &[u8], e: &KeyError) -> Self {
        Self::invalid(class, key, format!("{what}: {e}"))
    }

    /// The error class, for [`RedisError::Invalid`].
    pub fn class(&self) -> Option<ErrorClass> {
        match self {
            RedisError::Invalid { class, .. } => Some(*class),
            _ => None,
        }
    }
}

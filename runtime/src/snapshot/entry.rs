//! Entries of the store stream: MVCC versions (core.md §1.2, §1.3) and the operational rows
//! that the live writer puts next to them without MVCC encoding (core.md §1.6).

/// Length of the inverted big-endian commit timestamp at the end of every MVCC key.
pub const TS_SUFFIX_LEN: usize = 8;
/// Length of the MVCC value header (flags + u64le expireAt).
pub const VALUE_HEADER_LEN: usize = 9;
/// Flags bit: this version is a delete.
pub const FLAG_TOMBSTONE: u8 = 0x01;
/// Flags bits 1-2: encryption_state (00 cleartext, 01 encrypted, 1x reserved).
pub const FLAG_ENCRYPTION_MASK: u8 = 0x06;
/// Flags bits 3-7: reserved, must be zero.
pub const FLAG_RESERVED_MASK: u8 = 0xF8;

/// Store metadata key holding the last commit timestamp (u64le value).
pub const META_LAST_COMMIT_TS: &[u8] = b"_meta_last_commit_ts";
/// Store metadata key holding the MVCC retention watermark (u64le value).
pub const META_MIN_RETAINED_TS: &[u8] = b"_meta_min_retained_ts";
/// Store metadata key holding the pending retention watermark (u64le value).
pub const META_PENDING_MIN_RETAINED_TS: &[u8] = b"_meta_pending_min_retained_ts";
/// Store metadata key holding the last applied raft index (u64le value).
pub const META_APPLIED_INDEX: &[u8] = b"_meta_applied_index";
/// Prefix of encryption writer-registry keys.
pub const WRITER_REGISTRY_PREFIX: &[u8] = b"!encryption|writers|";
/// Exact length of a writer-registry key: prefix + u32be dek_id + `|` + u16be node id.
pub const WRITER_REGISTRY_KEY_LEN: usize = 27;
/// Exact length of a writer-registry value: u64be node id + u16be first + u16be last epoch.
pub const WRITER_REGISTRY_VALUE_LEN: usize = 12;

/// One entry of the store stream. Slices borrow the reader's buffers and stay valid until
/// the next call to [`super::SnapshotReader::next_entry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// An MVCC version of a user key.
    Mvcc(MvccEntry<'a>),
    /// A store metadata or encryption registry row (not MVCC-encoded).
    Operational(OperationalRow),
}

/// One MVCC version: `encoded_key = user_key ‖ u64be(!commit_ts)`,
/// `value = flags ‖ u64le(expire_at) ‖ body`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MvccEntry<'a> {
    /// The raw key as stored (user key + timestamp suffix).
    pub encoded_key: &'a [u8],
    /// The user key (may be empty).
    pub user_key: &'a [u8],
    /// The version's commit timestamp (HLC).
    pub commit_ts: u64,
    /// Flags bit 0: the version is a delete.
    pub tombstone: bool,
    /// Expiry HLC timestamp, 0 = never.
    pub expire_at: u64,
    /// The value body after the 9-byte header (may be empty).
    pub body: &'a [u8],
}

/// A row of the live store that is not an MVCC version, recognised by its exact shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationalRow {
    /// `_meta_last_commit_ts` (8-byte u64le value).
    LastCommitTs(u64),
    /// `_meta_min_retained_ts`.
    MinRetainedTs(u64),
    /// `_meta_pending_min_retained_ts`.
    PendingMinRetainedTs(u64),
    /// `_meta_applied_index`.
    AppliedIndex(u64),
    /// Encryption writer-registry row:
    /// key `!encryption|writers|` u32be dek_id `|` u16be node id,
    /// value u64be full node id, u16be first epoch, u16be last epoch.
    EncryptionWriter {
        /// Data-encryption key id (from the key).
        dek_id: u32,
        /// 16-bit node id (from the key).
        node_id: u16,
        /// Full 64-bit node id (from the value).
        full_node_id: u64,
        /// First epoch this writer used the key.
        first_epoch: u16,
        /// Last epoch this writer used the key.
        last_epoch: u16,
    },
}

impl OperationalRow {
    /// Recognises an operational row by exact shape; `None` means "treat as MVCC".
    pub fn parse(key: &[u8], value: &[u8]) -> Option<OperationalRow> {
        if key.len() == WRITER_REGISTRY_KEY_LEN {
            if value.len() == WRITER_REGISTRY_VALUE_LEN
                && key.starts_with(WRITER_REGISTRY_PREFIX)
                && key[24] == b'|'
            {
                return Some(OperationalRow::EncryptionWriter {
                    dek_id: u32::from_be_bytes(key[20..24].try_into().ok()?),
                    node_id: u16::from_be_bytes(key[25..27].try_into().ok()?),
                    full_node_id: u64::from_be_bytes(value[0..8].try_into().ok()?),
                    first_epoch: u16::from_be_bytes(value[8..10].try_into().ok()?),
                    last_epoch: u16::from_be_bytes(value[10..12].try_into().ok()?),
                });
            }
            return None;
        }
        if value.len() != 8 || key.first() != Some(&b'_') {
            return None;
        }
        let v = u64::from_le_bytes(value.try_into().ok()?);
        match key {
            k if k == META_LAST_COMMIT_TS => Some(OperationalRow::LastCommitTs(v)),
            k if k == META_MIN_RETAINED_TS => Some(OperationalRow::MinRetainedTs(v)),
            k if k == META_PENDING_MIN_RETAINED_TS => Some(OperationalRow::PendingMinRetainedTs(v)),
            k if k == META_APPLIED_INDEX => Some(OperationalRow::AppliedIndex(v)),
            _ => None,
        }
    }

    /// The raw key and value of this row as the live store writes them.
    pub fn encode(&self) -> (Vec<u8>, Vec<u8>) {
        let meta = |k: &[u8], v: u64| (k.to_vec(), v.to_le_bytes().to_vec());
        match *self {
            OperationalRow::LastCommitTs(v) => meta(META_LAST_COMMIT_TS, v),
            OperationalRow::MinRetainedTs(v) => meta(META_MIN_RETAINED_TS, v),
            OperationalRow::PendingMinRetainedTs(v) => meta(META_PENDING_MIN_RETAINED_TS, v),
            OperationalRow::AppliedIndex(v) => meta(META_APPLIED_INDEX, v),
            OperationalRow::EncryptionWriter {
                dek_id,
                node_id,
                full_node_id,
                first_epoch,
                last_epoch,
            } => {
                let mut key = Vec::with_capacity(WRITER_REGISTRY_KEY_LEN);
                key.extend_from_slice(WRITER_REGISTRY_PREFIX);
                key.extend_from_slice(&dek_id.to_be_bytes());
                key.push(b'|');
                key.extend_from_slice(&node_id.to_be_bytes());
                let mut value = Vec::with_capacity(WRITER_REGISTRY_VALUE_LEN);
                value.extend_from_slice(&full_node_id.to_be_bytes());
                value.extend_from_slice(&first_epoch.to_be_bytes());
                value.extend_from_slice(&last_epoch.to_be_bytes());
                (key, value)
            }
        }
    }

    /// A short stable name (`last_commit_ts`, `encryption_writer`, …) for logs and counters.
    pub fn name(&self) -> &'static str {
        match self {
            OperationalRow::LastCommitTs(_) => "last_commit_ts",
            OperationalRow::MinRetainedTs(_) => "min_retained_ts",
            OperationalRow::PendingMinRetainedTs(_) => "pending_min_retained_ts",
            OperationalRow::AppliedIndex(_) => "applied_index",
            OperationalRow::EncryptionWriter { .. } => "encryption_writer",
        }
    }
}

/// `user_key ‖ u64be(!commit_ts)`.
pub fn encode_mvcc_key(user_key: &[u8], commit_ts: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(user_key.len() + TS_SUFFIX_LEN);
    k.extend_from_slice(user_key);
    k.extend_from_slice(&(!commit_ts).to_be_bytes());
    k
}

/// `flags ‖ u64le(expire_at) ‖ body`.
pub fn encode_mvcc_value(flags: u8, expire_at: u64, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(VALUE_HEADER_LEN + body.len());
    v.push(flags);
    v.extend_from_slice(&expire_at.to_le_bytes());
    v.extend_from_slice(body);
    v
}

/// Splits an encoded MVCC key into (user key, commit_ts); `None` if shorter than 8 bytes.
pub fn decode_mvcc_key(encoded_key: &[u8]) -> Option<(&[u8], u64)> {
    let split = encoded_key.len().checked_sub(TS_SUFFIX_LEN)?;
    let (user, suffix) = encoded_key.split_at(split);
    Some((user, !u64::from_be_bytes(suffix.try_into().ok()?)))
}

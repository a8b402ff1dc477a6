//! `ekvsnap inspect`: what is in a snapshot, without writing anything.
//!
//! Uses the same scan as `decode` (so the classes agree exactly) and keeps statistics per
//! key family and per adapter: versions, visible keys, tombstones, expired, superseded,
//! bytes, and the largest user keys.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::adapters::AdapterSet;
use crate::counters::{Counters, EntryClass};
use crate::scan::{
    describe_footer, framing_name, scan, OperationalValues, ScanError, ScanOptions, Visit, Visitor,
};
use crate::snapshot::input::InputSource;

/// How many of the largest user keys are kept per family.
pub const LARGEST_KEYS: usize = 5;

/// Statistics of one key family (or of one adapter, or of unrouted keys).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct FamilyStats {
    /// Every stored MVCC version.
    pub versions: u64,
    /// Versions a reader at the read timestamp sees (one per live key).
    pub visible: u64,
    pub tombstoned: u64,
    pub expired: u64,
    pub superseded: u64,
    pub after_read_ts: u64,
    /// Bytes of user keys and value bodies over all versions.
    pub key_bytes: u64,
    pub value_bytes: u64,
    /// The longest user keys (escaped for display), longest first.
    pub largest_keys: Vec<LargeKey>,
}

/// One of the largest keys of a family.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LargeKey {
    pub len: usize,
    pub key: String,
}

impl FamilyStats {
    fn add(&mut self, visit: &Visit<'_, '_>) {
        self.versions += 1;
        match visit.class {
            EntryClass::Superseded => self.superseded += 1,
            EntryClass::Tombstoned => self.tombstoned += 1,
            EntryClass::Expired => self.expired += 1,
            EntryClass::AfterReadTs => self.after_read_ts += 1,
            _ => self.visible += 1,
        }
        let key = visit.entry.user_key;
        self.key_bytes += key.len() as u64;
        self.value_bytes += visit.entry.body.len() as u64;
        self.note_key(key);
    }

    fn note_key(&mut self, key: &[u8]) {
        let smallest = self.largest_keys.last().map_or(0, |k| k.len);
        if self.largest_keys.len() == LARGEST_KEYS && key.len() <= smallest {
            return;
        }
        let shown = display_key(key);
        if self.largest_keys.iter().any(|k| k.key == shown) {
            return; // another version of a key already listed
        }
        let at = self
            .largest_keys
            .iter()
            .position(|k| k.len < key.len())
            .unwrap_or(self.largest_keys.len());
        self.largest_keys.insert(
            at,
            LargeKey {
                len: key.len(),
                key: shown,
            },
        );
        self.largest_keys.truncate(LARGEST_KEYS);
    }
}

/// Printable form of a key: ASCII kept, other bytes as `\xHH`; very long keys shortened.
pub fn display_key(key: &[u8]) -> String {
    const SHOWN: usize = 96;
    let mut s: String = key
        .iter()
        .take(SHOWN)
        .flat_map(|b| b.escape_ascii())
        .map(char::from)
        .collect();
    if key.len() > SHOWN {
        s.push_str(&format!("… ({} bytes)", key.len()));
    }
    s
}

/// Everything `inspect` reports.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    pub input: String,
    pub framing: String,
    pub fsm_header: Option<HeaderInfo>,
    pub crc32c: String,
    pub last_commit_ts: u64,
    pub read_ts: Option<u64>,
    pub read_ts_source: &'static str,
    pub index_from_name: Option<u64>,
    pub operational: OperationalInfo,
    pub counters: BTreeMap<&'static str, u64>,
    pub bytes_read: u64,
    /// Per adapter (`dynamodb`, `s3`, `redis`, `sqs`, `internal`, `unknown`).
    pub adapters: BTreeMap<&'static str, FamilyStats>,
    /// Per key family, named `<adapter>.<family>`.
    pub families: BTreeMap<String, FamilyStats>,
}

/// The KV FSM header of a node file.
#[derive(Debug, Clone, Serialize)]
pub struct HeaderInfo {
    pub version: u8,
    pub ceiling_ms: u64,
    pub cutover_index: Option<u64>,
}

/// Values of the raw `_meta_*` rows.
#[derive(Debug, Clone, Serialize)]
pub struct OperationalInfo {
    pub applied_index: Option<u64>,
    pub last_commit_ts: Option<u64>,
    pub min_retained_ts: Option<u64>,
    pub pending_min_retained_ts: Option<u64>,
    pub encryption_writers: u64,
}

impl From<&OperationalValues> for OperationalInfo {
    fn from(v: &OperationalValues) -> Self {
        OperationalInfo {
            applied_index: v.applied_index,
            last_commit_ts: v.last_commit_ts,
            min_retained_ts: v.min_retained_ts,
            pending_min_retained_ts: v.pending_min_retained_ts,
            encryption_writers: v.encryption_writers,
        }
    }
}

#[derive(Default)]
struct StatsVisitor<'p> {
    adapters: BTreeMap<&'static str, FamilyStats>,
    families: BTreeMap<String, FamilyStats>,
    progress: Option<&'p mut dyn FnMut(u64)>,
}

impl Visitor for StatsVisitor<'_> {
    fn visit(&mut self, visit: &Visit<'_, '_>) -> Result<(), ScanError> {
        let (adapter, family) = match visit.family {
            Some(f) => {
                let info = f.info();
                let adapter = info.adapter.name();
                (adapter, format!("{adapter}.{}", info.name))
            }
            None => ("unknown", "unknown".to_string()),
        };
        self.adapters.entry(adapter).or_default().add(visit);
        self.families.entry(family).or_default().add(visit);
        Ok(())
    }

    fn progress(&mut self, bytes_read: u64) {
        if let Some(p) = self.progress.as_mut() {
            p(bytes_read);
        }
    }
}

/// Reads `input` and reports what it holds.
pub fn inspect(
    input: &InputSource,
    read_ts: Option<u64>,
    verify_crc: bool,
    progress: &mut dyn FnMut(u64),
) -> Result<InspectReport, InspectError> {
    let reader = input.open().map_err(|source| InspectError::Input {
        input: input.display.clone(),
        source,
    })?;
    let mut visitor = StatsVisitor {
        progress: Some(progress),
        ..StatsVisitor::default()
    };
    let outcome = scan(
        reader,
        &ScanOptions {
            read_ts,
            verify_crc,
            adapters: AdapterSet::all(),
        },
        &mut visitor,
    )
    .map_err(|source| InspectError::Scan {
        input: input.display.clone(),
        source,
    })?;
    Ok(InspectReport {
        input: input.display.clone(),
        framing: framing_name(&outcome.stream).to_string(),
        fsm_header: outcome.stream.fsm_header.map(|h| HeaderInfo {
            version: h.version(),
            ceiling_ms: h.ceiling_ms(),
            cutover_index: h.cutover_index(),
        }),
        crc32c: describe_footer(outcome.footer),
        last_commit_ts: outcome.stream.last_commit_ts,
        read_ts: outcome.read_ts,
        read_ts_source: outcome.read_ts_source.as_str(),
        index_from_name: input.index_from_name,
        operational: OperationalInfo::from(&outcome.operational),
        counters: counters_map(&outcome.counters),
        bytes_read: outcome.bytes_read,
        adapters: visitor.adapters,
        families: visitor.families,
    })
}

fn counters_map(c: &Counters) -> BTreeMap<&'static str, u64> {
    c.named().into_iter().collect()
}

/// Why `inspect` failed.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("input {input}: {source}")]
    Input {
        input: String,
        #[source]
        source: crate::snapshot::SnapshotError,
    },
    #[error("inspect {input}: {source}")]
    Scan {
        input: String,
        #[source]
        source: ScanError,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_key_escapes_and_shortens() {
        assert_eq!(
            display_key(b"!redis|str|a\x00\xff"),
            "!redis|str|a\\x00\\xff"
        );
        let long = vec![b'a'; 200];
        let shown = display_key(&long);
        assert!(shown.starts_with(&"a".repeat(96)));
        assert!(shown.ends_with("(200 bytes)"));
    }

    #[test]
    fn largest_keys_are_kept_longest_first_without_duplicates() {
        let mut stats = FamilyStats::default();
        for len in [3usize, 9, 1, 7, 9, 5, 8, 2] {
            stats.note_key(&vec![b'k'; len]);
        }
        let lens: Vec<usize> = stats.largest_keys.iter().map(|k| k.len).collect();
        assert_eq!(lens, vec![9, 8, 7, 5, 3]);
    }
}

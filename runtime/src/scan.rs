//! The one read loop shared by `decode` and `inspect`.
//!
//! framing → entries → operational rows split off → MVCC version resolution → routing →
//! classification. The visitor sees every MVCC version with its class and family; what it
//! does with them (dispatch to adapters, statistics) is up to the caller.

use std::io::Read;

use crate::adapters::{AdapterError, AdapterSet};
use crate::counters::{Counters, EntryClass};
use crate::keys::{route, AdapterId, Family, HandlerClass};
pub use crate::manifest::ReadTsSource;
use crate::snapshot::mvcc::{Verdict, VersionResolver};
use crate::snapshot::{
    Entry, FooterStatus, Framing, FsmHeader, MvccEntry, OperationalRow, ReaderOptions,
    SnapshotError, SnapshotReader, StreamInfo,
};

/// Name of the input framing, as MANIFEST.json and summaries show it.
pub fn framing_name(stream: &StreamInfo) -> &'static str {
    match stream.framing {
        Framing::BareStream => "bare-stream",
        Framing::NodeFile { header: None } => "node-headerless",
        Framing::NodeFile {
            header: Some(FsmHeader::V1 { .. }),
        } => "node-v1",
        Framing::NodeFile {
            header: Some(FsmHeader::V2 { .. }),
        } => "node-v2",
    }
}

/// The CRC-32C footer as summaries show it: `<hex> verified`, `<hex> unverified`, `absent`.
pub fn describe_footer(footer: FooterStatus) -> String {
    match footer {
        FooterStatus::Verified(crc) => format!("{crc:08x} verified"),
        FooterStatus::Unverified(crc) => format!("{crc:08x} unverified"),
        FooterStatus::Absent => "absent".to_string(),
    }
}

/// Options of one scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// `--read-ts`, if given.
    pub read_ts: Option<u64>,
    /// Verify the CRC32C footer while streaming.
    pub verify_crc: bool,
    /// Which adapters are enabled (others count as `adapter_disabled`).
    pub adapters: AdapterSet,
}

/// Values of the raw operational rows seen in the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperationalValues {
    pub applied_index: Option<u64>,
    pub last_commit_ts: Option<u64>,
    pub min_retained_ts: Option<u64>,
    pub pending_min_retained_ts: Option<u64>,
    pub encryption_writers: u64,
}

impl OperationalValues {
    fn record(&mut self, row: &OperationalRow) {
        match row {
            OperationalRow::AppliedIndex(v) => self.applied_index = Some(*v),
            OperationalRow::LastCommitTs(v) => self.last_commit_ts = Some(*v),
            OperationalRow::MinRetainedTs(v) => self.min_retained_ts = Some(*v),
            OperationalRow::PendingMinRetainedTs(v) => self.pending_min_retained_ts = Some(*v),
            OperationalRow::EncryptionWriter { .. } => self.encryption_writers += 1,
        }
    }
}

/// What one scan learned.
#[derive(Debug, Clone)]
pub struct ScanOutcome {
    pub stream: StreamInfo,
    pub footer: FooterStatus,
    pub read_ts: Option<u64>,
    pub read_ts_source: ReadTsSource,
    pub operational: OperationalValues,
    pub counters: Counters,
    pub bytes_read: u64,
}

/// Why a scan stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(
        "--read-ts {read_ts} is below the snapshot's _meta_min_retained_ts {min_retained}: \
         versions older than the retention watermark may have been garbage-collected, so \
         that state cannot be reconstructed"
    )]
    ReadTsBelowRetention { read_ts: u64, min_retained: u64 },
    #[error(
        "--read-ts {read_ts} is after the snapshot's lastCommitTS {last_commit_ts}: the \
         snapshot cannot show a later state"
    )]
    ReadTsAfterSnapshot { read_ts: u64, last_commit_ts: u64 },
    #[error("{adapter}: {source}")]
    Adapter {
        adapter: &'static str,
        #[source]
        source: AdapterError,
    },
}

/// One MVCC version as the visitor sees it.
#[derive(Debug, Clone, Copy)]
pub struct Visit<'a, 'e> {
    pub entry: &'a MvccEntry<'e>,
    pub class: EntryClass,
    /// The routed family (for every version, not only visible ones, so that statistics can be
    /// kept per family).
    pub family: Option<Family>,
}

/// Receives every MVCC version. An error stops the scan.
pub trait Visitor {
    fn visit(&mut self, visit: &Visit<'_, '_>) -> Result<(), ScanError>;
    /// Called with the number of input bytes consumed so far, now and then.
    fn progress(&mut self, _bytes_read: u64) {}
}

/// Classifies a visible version routed to `family`.
pub fn classify_visible(family: Option<Family>, adapters: &AdapterSet) -> EntryClass {
    match family {
        None => EntryClass::Unknown,
        Some(f) => {
            let info = f.info();
            if info.handler == HandlerClass::Internal || info.adapter == AdapterId::Internal {
                EntryClass::Internal
            } else if adapters.contains(info.adapter) {
                EntryClass::Adapter(info.adapter)
            } else {
                EntryClass::AdapterDisabled
            }
        }
    }
}

/// How often (in entries) the visitor hears about progress.
const PROGRESS_EVERY: u64 = 4096;

/// Reads the whole input, calling `visitor` for every MVCC version.
pub fn scan<R: Read>(
    input: R,
    options: &ScanOptions,
    visitor: &mut dyn Visitor,
) -> Result<ScanOutcome, ScanError> {
    let mut reader = SnapshotReader::open(
        input,
        ReaderOptions {
            verify_crc: options.verify_crc,
            ..ReaderOptions::default()
        },
    )?;
    let last_commit_ts = reader.info().last_commit_ts;
    if let Some(ts) = options.read_ts {
        // Refused before any entry is read, so nothing has been handed to an adapter.
        if last_commit_ts != 0 && ts > last_commit_ts {
            return Err(ScanError::ReadTsAfterSnapshot {
                read_ts: ts,
                last_commit_ts,
            });
        }
    }
    let (read_ts, read_ts_source) = match options.read_ts {
        Some(ts) => (Some(ts), ReadTsSource::Flag),
        None if last_commit_ts != 0 => (Some(last_commit_ts), ReadTsSource::LastCommitTs),
        None => (None, ReadTsSource::Unknown),
    };
    let mut resolver = VersionResolver::new(read_ts);
    let mut counters = Counters::default();
    let mut operational = OperationalValues::default();

    while let Some(entry) = reader.next_entry()? {
        match entry {
            Entry::Operational(row) => {
                operational.record(&row);
                counters.add(EntryClass::Operational);
            }
            Entry::Mvcc(mvcc) => {
                let verdict = resolver.resolve_entry(&mvcc);
                let family = route(mvcc.user_key);
                let class = match verdict {
                    Verdict::Visible => classify_visible(family, &options.adapters),
                    Verdict::Superseded => EntryClass::Superseded,
                    Verdict::Tombstoned => EntryClass::Tombstoned,
                    Verdict::Expired => EntryClass::Expired,
                    Verdict::AfterReadTs => EntryClass::AfterReadTs,
                };
                counters.add(class);
                visitor.visit(&Visit {
                    entry: &mvcc,
                    class,
                    family,
                })?;
            }
        }
        if counters.entries % PROGRESS_EVERY == 0 {
            visitor.progress(reader.bytes_read());
        }
    }
    visitor.progress(reader.bytes_read());

    if let (ReadTsSource::Flag, Some(ts), Some(min)) =
        (read_ts_source, read_ts, operational.min_retained_ts)
    {
        if ts < min {
            return Err(ScanError::ReadTsBelowRetention {
                read_ts: ts,
                min_retained: min,
            });
        }
    }

    Ok(ScanOutcome {
        // Taken at the end: a headerless node file is recognised by its footer.
        stream: *reader.info(),
        footer: reader.footer(),
        read_ts,
        read_ts_source,
        operational,
        counters,
        bytes_read: reader.bytes_read(),
    })
}

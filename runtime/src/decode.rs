//! `ekvsnap decode`: snapshot in, logical-backup tree out.
//!
//! Order of work: prepare the output root (absent or empty unless forced) → scan, handing
//! every visible version to its adapter → finalize every adapter in the fixed order, also
//! after an error → on success only, MANIFEST.json and then CHECKSUMS. A dump without
//! MANIFEST.json is incomplete, and `verify` says so.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::adapters::{build_adapters, Adapter, AdapterError, AdapterSet, FinalizeContext, Record};
use crate::checksums;
use crate::counters::{Counters, EntryClass};
use crate::keys::AdapterId;
use crate::manifest::DynamoDbLayout;
use crate::manifest::{
    self, FsmHeaderInfo, InputInfo, Manifest, ReadTsInfo, SnapshotIndexSource, Source,
};
use crate::options::{AdapterOptions, DynamodbBundleMode};
use crate::output::OutputTree;
use crate::scan::{
    framing_name, scan, ReadTsSource, ScanError, ScanOptions, ScanOutcome, Visit, Visitor,
};
use crate::snapshot::input::InputSource;
use crate::snapshot::{FooterStatus, FsmHeader, StreamInfo};
use crate::spill::{MemoryBudget, Scratch, SpillContext, SpillError};
use crate::warnings::Warnings;

/// Everything `decode` needs besides the input.
#[derive(Debug, Clone)]
pub struct DecodeConfig {
    pub output: PathBuf,
    pub adapters: AdapterSet,
    pub adapter_options: AdapterOptions,
    pub read_ts: Option<u64>,
    pub cluster_id: Option<String>,
    pub force: bool,
    pub verify_crc: bool,
    /// Shared memory budget for adapter buffers (bytes).
    pub memory_budget: u64,
    /// Where adapters spill; default: the output directory's parent (same filesystem as the
    /// output, so spilled files can be renamed into place). Never inside the output tree.
    pub scratch_dir: Option<PathBuf>,
}

/// What a successful decode did.
#[derive(Debug, Clone)]
pub struct DecodeReport {
    pub output: PathBuf,
    pub input: String,
    pub stream: StreamInfo,
    pub footer: FooterStatus,
    pub read_ts: Option<u64>,
    pub read_ts_source: ReadTsSource,
    pub snapshot_index: Option<u64>,
    pub snapshot_index_source: SnapshotIndexSource,
    pub counters: Counters,
    pub warnings: BTreeMap<&'static str, u64>,
    pub bytes_read: u64,
    /// Files listed in CHECKSUMS.
    pub files: usize,
}

/// Why a decode failed.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("output {path}: {source}")]
    Output {
        path: String,
        #[source]
        source: crate::output::TreeError,
    },
    #[error("input {input}: {source}")]
    Input {
        input: String,
        #[source]
        source: crate::snapshot::SnapshotError,
    },
    #[error("decode {input}: {source}")]
    Scan {
        input: String,
        #[source]
        source: ScanError,
    },
    #[error("finalize {adapter}: {source}")]
    Finalize {
        adapter: &'static str,
        #[source]
        source: AdapterError,
    },
    #[error(
        "--force: {path} holds `{entry}`, which is not part of an ekvsnap dump; refusing to \
         delete it (use an empty directory)"
    )]
    NotADump { path: String, entry: String },
    #[error("--force: cannot remove {path}: {source}")]
    Clear {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("scratch: {0}")]
    Scratch(#[source] SpillError),
    #[error("write MANIFEST.json: {0}")]
    Manifest(#[source] manifest::ManifestError),
    #[error("write CHECKSUMS: {0}")]
    Checksums(#[source] checksums::ChecksumsError),
    #[error("internal error: {0} entries were not counted in exactly one class")]
    CounterMismatch(u64),
}

/// Hands each visible version to its adapter.
struct Dispatcher<'p> {
    adapters: Vec<Box<dyn Adapter>>,
    progress: &'p mut dyn FnMut(u64),
}

impl Visitor for Dispatcher<'_> {
    fn visit(&mut self, visit: &Visit<'_, '_>) -> Result<(), ScanError> {
        let (EntryClass::Adapter(id), Some(family)) = (visit.class, visit.family) else {
            return Ok(());
        };
        let adapter = self
            .adapters
            .iter_mut()
            .find(|a| a.id() == id)
            .expect("an adapter is built for every enabled adapter");
        let record = Record {
            user_key: visit.entry.user_key,
            body: visit.entry.body,
            commit_ts: visit.entry.commit_ts,
            expire_at: visit.entry.expire_at,
        };
        adapter
            .handle(family, &record)
            .map_err(|source| ScanError::Adapter {
                adapter: id.name(),
                source,
            })
    }

    fn progress(&mut self, bytes_read: u64) {
        (self.progress)(bytes_read);
    }
}

/// Runs a decode. `progress` is called with input bytes consumed.
pub fn decode(
    input: &InputSource,
    config: &DecodeConfig,
    progress: &mut dyn FnMut(u64),
) -> Result<DecodeReport, DecodeError> {
    decode_with(
        input,
        config,
        |spill| build_adapters(&config.adapters, &config.adapter_options, spill),
        progress,
    )
}

/// [`decode`] with the adapters made by `make_adapters` (one per enabled adapter, in
/// finalize order) instead of the built-in ones.
pub fn decode_with(
    input: &InputSource,
    config: &DecodeConfig,
    make_adapters: impl FnOnce(&SpillContext) -> Vec<Box<dyn Adapter>>,
    progress: &mut dyn FnMut(u64),
) -> Result<DecodeReport, DecodeError> {
    let output_err = |source| DecodeError::Output {
        path: config.output.display().to_string(),
        source,
    };
    if config.force {
        clear_previous_dump(&config.output)?;
    }
    let tree = OutputTree::prepare(&config.output, false).map_err(output_err)?;
    let spill = spill_context(config)?;
    let reader = input.open().map_err(|source| DecodeError::Input {
        input: input.display.clone(),
        source,
    })?;

    let mut dispatcher = Dispatcher {
        adapters: make_adapters(&spill),
        progress,
    };
    let scanned = scan(
        reader,
        &ScanOptions {
            read_ts: config.read_ts,
            verify_crc: config.verify_crc,
            adapters: config.adapters,
        },
        &mut dispatcher,
    );

    // Finalize runs for every adapter, in order, whatever happened (core.md §2.7): buffered
    // state is flushed and scratch space released. The first error wins.
    let mut warnings = Warnings::default();
    let mut first_finalize_error = None;
    for adapter in dispatcher.adapters.iter_mut() {
        let mut ctx = FinalizeContext {
            tree: &tree,
            warnings: &mut warnings,
        };
        if let Err(source) = adapter.finalize(&mut ctx) {
            first_finalize_error.get_or_insert(DecodeError::Finalize {
                adapter: adapter.id().name(),
                source,
            });
        }
    }
    let outcome = scanned.map_err(|source| DecodeError::Scan {
        input: input.display.clone(),
        source,
    })?;
    if let Some(err) = first_finalize_error {
        return Err(err);
    }
    if !outcome.counters.check() {
        return Err(DecodeError::CounterMismatch(outcome.counters.entries));
    }

    let (snapshot_index, snapshot_index_source) = snapshot_index(input, &outcome);
    let mut report = DecodeReport {
        output: config.output.clone(),
        input: input.display.clone(),
        stream: outcome.stream,
        footer: outcome.footer,
        read_ts: outcome.read_ts,
        read_ts_source: outcome.read_ts_source,
        snapshot_index,
        snapshot_index_source,
        counters: outcome.counters.clone(),
        warnings: warnings.counts().clone(),
        bytes_read: outcome.bytes_read,
        files: 0,
    };
    let manifest = build_manifest(&report, input, config, std::time::SystemTime::now());
    manifest::write_manifest(&tree, &manifest).map_err(DecodeError::Manifest)?;
    report.files = checksums::write_checksums(tree.root()).map_err(DecodeError::Checksums)?;
    Ok(report)
}

/// The shared memory budget and a fresh scratch directory (removed when the decode ends).
fn spill_context(config: &DecodeConfig) -> Result<SpillContext, DecodeError> {
    let parent = match &config.scratch_dir {
        Some(dir) => dir.clone(),
        None => {
            let absolute = std::path::absolute(&config.output).map_err(|source| {
                DecodeError::Scratch(SpillError::Io {
                    op: "resolve",
                    path: config.output.clone(),
                    source,
                })
            })?;
            absolute
                .parent()
                .map_or_else(|| PathBuf::from("/"), PathBuf::from)
        }
    };
    let scratch = Scratch::new_in(&parent, &config.output).map_err(DecodeError::Scratch)?;
    Ok(SpillContext::new(
        MemoryBudget::new(config.memory_budget),
        scratch,
    ))
}

/// Top-level names a dump may hold: what `--force` is allowed to remove.
const DUMP_TOP_LEVEL: [&str; 6] = [
    "MANIFEST.json",
    "CHECKSUMS",
    "dynamodb",
    "s3",
    "redis",
    "sqs",
];

/// `--force`: empties an output directory that holds an earlier dump (complete or not), so
/// the new dump contains only what this run writes. Anything else in the directory is
/// refused, so a mistyped `--output` cannot wipe unrelated files. MANIFEST.json and CHECKSUMS
/// go first: if the removal is interrupted, what is left is recognisably incomplete.
fn clear_previous_dump(output: &Path) -> Result<(), DecodeError> {
    let io_err = |path: &Path, source| DecodeError::Clear {
        path: path.display().to_string(),
        source,
    };
    let entries = match std::fs::read_dir(output) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(output, e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry.map_err(|e| io_err(output, e))?.file_name();
        match name.to_str() {
            Some(n) if DUMP_TOP_LEVEL.contains(&n) => names.push(n.to_string()),
            _ => {
                return Err(DecodeError::NotADump {
                    path: output.display().to_string(),
                    entry: name.to_string_lossy().into_owned(),
                })
            }
        }
    }
    // Seal files first, then the adapter trees (symlinks are removed, never followed).
    names.sort_by_key(|n| !(n == "MANIFEST.json" || n == "CHECKSUMS"));
    for name in names {
        let path = output.join(&name);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| io_err(&path, e))?;
        let removed = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| io_err(&path, e))?;
    }
    Ok(())
}

fn snapshot_index(
    input: &InputSource,
    outcome: &ScanOutcome,
) -> (Option<u64>, SnapshotIndexSource) {
    // Index 0 is no snapshot a node writes: such a name carries no index.
    if let Some(index) = input.index_from_name.filter(|i| *i != 0) {
        (Some(index), SnapshotIndexSource::FileName)
    } else if let Some(index) = outcome.operational.applied_index {
        (Some(index), SnapshotIndexSource::MetaAppliedIndex)
    } else {
        (None, SnapshotIndexSource::Unavailable)
    }
}

/// MANIFEST.json of a decode: upstream's fields as its decode CLI fills them (core.md §5.1),
/// then ours (docs/compatibility.md O5).
fn build_manifest(
    report: &DecodeReport,
    input: &InputSource,
    config: &DecodeConfig,
    now: std::time::SystemTime,
) -> Manifest {
    let mut m = Manifest::new_phase0(now);
    m.cluster_id = config.cluster_id.clone().unwrap_or_default().into_bytes();
    m.snapshot_index = report.snapshot_index.unwrap_or(0);
    m.last_commit_ts = report.stream.last_commit_ts;
    let crc = report.footer;
    m.source = Some(Source {
        // The file actually read (for a directory input: the snapshot chosen in it), byte
        // for byte; `-` for standard input.
        fsm_path: match &input.path {
            Some(path) => path.as_os_str().as_bytes().to_vec(),
            None => b"-".to_vec(),
        },
        fsm_crc32c: match crc {
            FooterStatus::Verified(v) | FooterStatus::Unverified(v) => format!("{v:08x}"),
            FooterStatus::Absent => String::new(),
        },
    });
    for id in config.adapters.iter() {
        let slot = match id {
            AdapterId::Dynamodb => &mut m.adapters.dynamodb,
            AdapterId::S3 => &mut m.adapters.s3,
            AdapterId::Redis => &mut m.adapters.redis,
            AdapterId::Sqs => &mut m.adapters.sqs,
            AdapterId::Internal => continue,
        };
        *slot = Some(Default::default());
    }
    let o = &config.adapter_options;
    m.exclusions.include_incomplete_uploads = o.s3.include_incomplete_uploads;
    m.exclusions.include_orphans = o.s3.include_orphans;
    m.exclusions.preserve_sqs_visibility = o.sqs.preserve_sqs_visibility;
    m.exclusions.include_sqs_side_records = o.sqs.include_sqs_side_records;
    m.exclusions.rename_s3_collisions = o.s3.rename_collisions;
    m.dynamodb_layout = match o.dynamodb.dynamodb_bundle_mode {
        DynamodbBundleMode::PerItem => DynamoDbLayout::PerItem,
        DynamodbBundleMode::Jsonl => DynamoDbLayout::Jsonl,
    };
    m.ekvsnap_version = env!("CARGO_PKG_VERSION").to_string();
    m.input = Some(InputInfo {
        framing: framing_name(&report.stream).to_string(),
        fsm_header: report.stream.fsm_header.map(|h| match h {
            FsmHeader::V1 { ceiling_ms } => FsmHeaderInfo::V1 { ceiling_ms },
            FsmHeader::V2 {
                ceiling_ms,
                cutover_index,
                ..
            } => FsmHeaderInfo::V2 {
                ceiling_ms,
                cutover_index,
            },
        }),
        crc32c: crc,
    });
    m.snapshot_index_source = Some(report.snapshot_index_source);
    m.read_ts = Some(ReadTsInfo {
        value: report.read_ts,
        source: report.read_ts_source,
    });
    m.counters = report
        .counters
        .named()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    m
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;
    use crate::keys::Family;
    use crate::snapshot::writer::{SnapshotWriter, WriterFraming};

    /// Records what the pipeline asked of it; can fail at finalize.
    struct Probe {
        id: AdapterId,
        log: Rc<RefCell<Vec<String>>>,
        fail_finalize: bool,
    }

    impl Adapter for Probe {
        fn id(&self) -> AdapterId {
            self.id
        }
        fn handle(&mut self, family: Family, record: &Record<'_>) -> Result<(), AdapterError> {
            let key = String::from_utf8_lossy(record.user_key);
            self.log
                .borrow_mut()
                .push(format!("handle {} {key}", family.info().name));
            Ok(())
        }
        fn finalize(&mut self, _ctx: &mut FinalizeContext<'_>) -> Result<(), AdapterError> {
            self.log
                .borrow_mut()
                .push(format!("finalize {}", self.id.name()));
            if self.fail_finalize {
                return Err(AdapterError::Invalid {
                    adapter: self.id.name(),
                    message: "probe failure".into(),
                });
            }
            Ok(())
        }
    }

    fn config(out: &Path) -> DecodeConfig {
        DecodeConfig {
            output: out.to_path_buf(),
            adapters: AdapterSet::all(),
            adapter_options: AdapterOptions::default(),
            read_ts: None,
            cluster_id: None,
            force: false,
            verify_crc: true,
            memory_budget: 1 << 20,
            scratch_dir: None,
        }
    }

    fn probes(log: &Rc<RefCell<Vec<String>>>, failing: &[AdapterId]) -> Vec<Box<dyn Adapter>> {
        crate::adapters::ADAPTERS
            .iter()
            .map(|id| {
                Box::new(Probe {
                    id: *id,
                    log: log.clone(),
                    fail_finalize: failing.contains(id),
                }) as Box<dyn Adapter>
            })
            .collect()
    }

    fn write(dir: &Path, truncate: bool) -> InputSource {
        let mut w = SnapshotWriter::new(Vec::new(), WriterFraming::Bare, 5).unwrap();
        w.put_mvcc(b"!redis|str|a", 1, false, 0, b"\xff\x01\x00v")
            .unwrap();
        w.put_mvcc(b"!sqs|queue|gen|cQ", 1, false, 0, b"1").unwrap();
        if truncate {
            w.write_raw_bytes(&[9, 0, 0]).unwrap();
        }
        let path = dir.join("in.bin");
        std::fs::write(&path, w.finish().unwrap()).unwrap();
        InputSource::file(path)
    }

    // Upstream TestDecodeSnapshot_FinalizeRunsOnTruncatedStream (core.md §9.2, §2.7).
    #[test]
    fn finalize_runs_for_every_adapter_after_a_read_error_and_the_read_error_wins() {
        let dir = tempfile::tempdir().unwrap();
        let input = write(dir.path(), true);
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = dir.path().join("out");
        let err = decode_with(
            &input,
            &config(&out),
            |_| probes(&log, &[AdapterId::S3]),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(matches!(err, DecodeError::Scan { .. }), "{err}");
        assert_eq!(
            *log.borrow(),
            vec![
                "handle string !redis|str|a",
                "handle queue_gen !sqs|queue|gen|cQ",
                "finalize dynamodb",
                "finalize s3",
                "finalize redis",
                "finalize sqs",
            ]
        );
        assert!(!out.join("MANIFEST.json").exists());
    }

    #[test]
    fn first_finalize_error_is_returned_after_all_adapters_ran() {
        let dir = tempfile::tempdir().unwrap();
        let input = write(dir.path(), false);
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = dir.path().join("out");
        let err = decode_with(
            &input,
            &config(&out),
            |_| probes(&log, &[AdapterId::Redis, AdapterId::Sqs]),
            &mut |_| {},
        )
        .unwrap_err();
        match err {
            DecodeError::Finalize { adapter, .. } => assert_eq!(adapter, "redis"),
            other => panic!("unexpected {other}"),
        }
        assert_eq!(
            log.borrow()
                .iter()
                .filter(|l| l.starts_with("finalize"))
                .count(),
            4
        );
        assert!(!out.join("MANIFEST.json").exists());
    }

    #[test]
    fn disabled_adapters_get_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let input = write(dir.path(), false);
        let log = Rc::new(RefCell::new(Vec::new()));
        let mut cfg = config(&dir.path().join("out"));
        cfg.adapters = AdapterSet::parse("sqs").unwrap();
        let report = decode_with(
            &input,
            &cfg,
            |_| {
                probes(&log, &[])
                    .into_iter()
                    .filter(|a| a.id() == AdapterId::Sqs)
                    .collect()
            },
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(report.counters.adapter_disabled, 1);
        assert_eq!(
            *log.borrow(),
            vec!["handle queue_gen !sqs|queue|gen|cQ", "finalize sqs"]
        );
    }
}

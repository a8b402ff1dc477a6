//! The decode pipeline on snapshots built with the project's own writer: upstream's decode
//! scenarios (core.md §9.2, §9.7, §9.8, §9.10) and the MVCC cases, through `decode()`.

mod common;

use std::path::{Path, PathBuf};

use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::counters::Counters;
use ekvsnap_runtime::decode::{DecodeConfig, DecodeError};
use ekvsnap_runtime::manifest::{read_manifest_file, ReadTsSource, SnapshotIndexSource};
use ekvsnap_runtime::options::AdapterOptions;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, SortedSnapshotBuilder, WriterFraming};
use ekvsnap_runtime::snapshot::OperationalRow;

use common::run;

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

/// Writes `builder`'s entries as a v1 node file named `name` under `dir`.
fn write_snapshot(
    dir: &Path,
    name: &str,
    last_commit_ts: u64,
    builder: &SortedSnapshotBuilder,
) -> PathBuf {
    let mut w = SnapshotWriter::new(
        Vec::new(),
        WriterFraming::NodeV1 { ceiling_ms: 7 },
        last_commit_ts,
    )
    .unwrap();
    builder.write_to(&mut w).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    path
}

fn only(counters: &Counters) -> Vec<(&'static str, u64)> {
    counters
        .named()
        .into_iter()
        .filter(|(name, n)| *n > 0 && *name != "entries")
        .collect()
}

#[test]
fn header_only_stream_is_an_empty_success() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_snapshot(
        dir.path(),
        "snap.fsm",
        0xCAFE,
        &SortedSnapshotBuilder::new(),
    );
    let report = run(&path, &config(&dir.path().join("out"))).unwrap();
    assert_eq!(report.counters.entries, 0);
    assert_eq!(report.stream.last_commit_ts, 0xCAFE);
    let manifest = read_manifest_file(&dir.path().join("out/MANIFEST.json")).unwrap();
    assert_eq!(manifest.last_commit_ts, 0xCAFE);
}

#[test]
fn tombstone_hides_older_versions() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_mvcc(b"!redis|str|k", 20, true, 0, b"").unwrap();
    b.put_mvcc(b"!redis|str|k", 10, false, 0, b"\xff\x01\x00v")
        .unwrap();
    let path = write_snapshot(dir.path(), "s.fsm", 30, &b);
    let report = run(&path, &config(&dir.path().join("out"))).unwrap();
    assert_eq!(
        only(&report.counters),
        vec![("superseded", 1), ("tombstoned", 1)]
    );
}

#[test]
fn newest_version_wins_and_three_versions_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    for ts in [10, 20, 30] {
        b.put_mvcc(b"!redis|str|k", ts, false, 0, b"\xff\x01\x00v")
            .unwrap();
    }
    let path = write_snapshot(dir.path(), "s.fsm", 30, &b);
    let report = run(&path, &config(&dir.path().join("out"))).unwrap();
    assert_eq!(
        only(&report.counters),
        vec![("superseded", 2), ("redis", 1)]
    );
}

#[test]
fn expired_newest_version_hides_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_mvcc(b"!redis|str|k", 20, false, 25, b"\xff\x01\x00v")
        .unwrap();
    b.put_mvcc(b"!redis|str|k", 10, false, 0, b"\xff\x01\x00old")
        .unwrap();
    b.put_mvcc(b"!redis|str|live", 10, false, 31, b"\xff\x01\x00v")
        .unwrap();
    let path = write_snapshot(dir.path(), "s.fsm", 30, &b);
    let report = run(&path, &config(&dir.path().join("out"))).unwrap();
    assert_eq!(
        only(&report.counters),
        vec![("superseded", 1), ("expired", 1), ("redis", 1)]
    );
}

#[test]
fn read_ts_in_the_past_sees_the_older_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_mvcc(b"!redis|str|k", 20, true, 0, b"").unwrap();
    b.put_mvcc(b"!redis|str|k", 10, false, 0, b"\xff\x01\x00v")
        .unwrap();
    b.put_operational(&OperationalRow::MinRetainedTs(5))
        .unwrap();
    let path = write_snapshot(dir.path(), "s.fsm", 30, &b);
    let mut cfg = config(&dir.path().join("out"));
    cfg.read_ts = Some(15);
    let report = run(&path, &cfg).unwrap();
    assert_eq!(
        only(&report.counters),
        vec![("operational", 1), ("after_read_ts", 1), ("redis", 1)]
    );
    assert_eq!(report.read_ts, Some(15));
    assert_eq!(report.read_ts_source, ReadTsSource::Flag);

    // Below the retention watermark the state may be gone: refused, and no MANIFEST.
    let mut cfg = config(&dir.path().join("out2"));
    cfg.read_ts = Some(4);
    let err = run(&path, &cfg).unwrap_err();
    assert!(err.to_string().contains("_meta_min_retained_ts"), "{err}");
    assert!(!dir.path().join("out2/MANIFEST.json").exists());
}

#[test]
fn interleaved_versions_resolve_per_user_key() {
    // `ab`'s versions are split by keys that extend it (`ab\x00…` sorts before the suffix of
    // old versions, `ab\xFE…` between them): each user key still gets exactly one verdict.
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    let base = b"!redis|str|ab".to_vec();
    let ext_low = [base.as_slice(), b"\x00x"].concat();
    let ext_high = [base.as_slice(), b"\xfe\xff"].concat();
    // Old timestamps have inverted bytes starting 0xFF, so `ab‖~ts` sorts after `ab\xFE…`
    // for old versions and before it for versions with a huge commit ts.
    b.put_mvcc(&base, u64::MAX - 3, false, 0, b"\xff\x01\x00new")
        .unwrap();
    b.put_mvcc(&base, 5, false, 0, b"\xff\x01\x00old").unwrap();
    b.put_mvcc(&ext_high, 7, false, 0, b"\xff\x01\x00x")
        .unwrap();
    b.put_mvcc(&ext_low, 7, true, 0, b"").unwrap();
    let path = write_snapshot(dir.path(), "s.fsm", u64::MAX, &b);
    let report = run(&path, &config(&dir.path().join("out"))).unwrap();
    assert_eq!(
        only(&report.counters),
        vec![("superseded", 1), ("tombstoned", 1), ("redis", 2)]
    );
}

#[test]
fn unknown_internal_and_disabled_classes() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_mvcc(b"!alien|prefix|x", 1, false, 0, b"").unwrap();
    b.put_mvcc(b"!txn|intent|abc", 1, false, 0, b"").unwrap();
    b.put_mvcc(b"!dist|meta|version", 1, false, 0, b"").unwrap();
    b.put_mvcc(b"!dist|route|abc", 1, false, 0, b"").unwrap();
    // Upstream's test frames a writer-registry key as an MVCC row: internal.
    b.put_mvcc(
        b"!encryption|writers|\x00\x00\x00\x01|\x00\x42",
        1,
        false,
        0,
        b"",
    )
    .unwrap();
    // A real (raw) writer-registry row: operational.
    b.put_operational(&OperationalRow::EncryptionWriter {
        dek_id: 1,
        node_id: 0x42,
        full_node_id: 0x42,
        first_epoch: 1,
        last_epoch: 2,
    })
    .unwrap();
    b.put_mvcc(b"!redis|str|k", 1, false, 0, b"\xff\x01\x00v")
        .unwrap();
    b.put_mvcc(b"", 1, false, 0, b"").unwrap();
    let path = write_snapshot(dir.path(), "s.fsm", 1, &b);
    let mut cfg = config(&dir.path().join("out"));
    cfg.adapters = AdapterSet::parse("sqs").unwrap();
    let report = run(&path, &cfg).unwrap();
    assert_eq!(
        only(&report.counters),
        vec![
            ("operational", 1),
            ("internal", 4),
            ("adapter_disabled", 1),
            ("unknown", 2)
        ]
    );
    assert!(report.counters.check());
    assert!(!dir.path().join("out/redis").exists());
}

#[test]
fn snapshot_index_from_hex_name_or_meta_row_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_operational(&OperationalRow::AppliedIndex(7)).unwrap();
    let hex = write_snapshot(dir.path(), "0000000000000064.fsm", 1, &b);
    let report = run(&hex, &config(&dir.path().join("a"))).unwrap();
    assert_eq!(report.snapshot_index, Some(100), "node names are hex");
    assert_eq!(report.snapshot_index_source, SnapshotIndexSource::FileName);

    let other = write_snapshot(dir.path(), "from-prod.fsm", 1, &b);
    let report = run(&other, &config(&dir.path().join("b"))).unwrap();
    assert_eq!(report.snapshot_index, Some(7));
    assert_eq!(
        report.snapshot_index_source,
        SnapshotIndexSource::MetaAppliedIndex
    );

    let bare = write_snapshot(
        dir.path(),
        "from-prod.fsm",
        1,
        &SortedSnapshotBuilder::new(),
    );
    let report = run(&bare, &config(&dir.path().join("c"))).unwrap();
    assert_eq!(report.snapshot_index, None);
    let manifest = read_manifest_file(&dir.path().join("c/MANIFEST.json")).unwrap();
    assert_eq!(manifest.snapshot_index, 0, "omitted");
    assert_eq!(
        manifest.snapshot_index_source,
        Some(SnapshotIndexSource::Unavailable)
    );
}

#[test]
fn unknown_last_commit_ts_reads_newest_versions_without_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_mvcc(b"!redis|str|k", 20, false, 3, b"\xff\x01\x00v")
        .unwrap();
    b.put_mvcc(b"!redis|str|k", 10, false, 0, b"\xff\x01\x00old")
        .unwrap();
    let path = write_snapshot(dir.path(), "s.fsm", 0, &b);
    let report = run(&path, &config(&dir.path().join("out"))).unwrap();
    assert_eq!(report.read_ts, None);
    assert_eq!(report.read_ts_source, ReadTsSource::Unknown);
    assert_eq!(
        only(&report.counters),
        vec![("superseded", 1), ("redis", 1)]
    );
    let manifest = read_manifest_file(&dir.path().join("out/MANIFEST.json")).unwrap();
    let read_ts = manifest.read_ts.expect("read_ts recorded");
    assert_eq!(read_ts.value, None);
    assert_eq!(read_ts.source, ReadTsSource::Unknown);
}

#[test]
fn truncated_stream_fails_without_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = SnapshotWriter::new(Vec::new(), WriterFraming::Bare, 1).unwrap();
    w.put_mvcc(b"!redis|str|k", 1, false, 0, b"\xff\x01\x00v")
        .unwrap();
    w.write_raw_bytes(&[0x20, 0, 0, 0, 0, 0, 0, 0, b'!'])
        .unwrap();
    let path = dir.path().join("cut.bin");
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    let out = dir.path().join("out");
    let err = run(&path, &config(&out)).unwrap_err();
    assert!(err.to_string().contains("truncated"), "{err}");
    assert!(!out.join("MANIFEST.json").exists());
    assert!(!out.join("CHECKSUMS").exists());
}

#[test]
fn output_must_be_empty_unless_forced_and_force_replaces_only_a_dump() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_snapshot(dir.path(), "s.fsm", 1, &SortedSnapshotBuilder::new());
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("old.txt"), b"x").unwrap();
    assert!(run(&path, &config(&out)).is_err());
    // Even with --force, a file that is not part of a dump is never deleted.
    let mut cfg = config(&out);
    cfg.force = true;
    let err = run(&path, &cfg).unwrap_err();
    assert!(matches!(err, DecodeError::NotADump { .. }), "{err}");
    assert!(out.join("old.txt").exists());

    // An earlier (here: failed, half-written) dump is replaced: its files do not survive
    // into the new dump and are not checksummed.
    std::fs::remove_file(out.join("old.txt")).unwrap();
    std::fs::create_dir_all(out.join("redis/db_0/strings")).unwrap();
    std::fs::write(out.join("redis/db_0/strings/deleted-key.bin"), b"stale").unwrap();
    std::fs::write(out.join("MANIFEST.json"), b"{}").unwrap();
    std::fs::write(out.join("CHECKSUMS"), b"").unwrap();
    let report = run(&path, &cfg).unwrap();
    assert_eq!(report.files, 1, "only the new MANIFEST.json is listed");
    assert!(!out.join("redis").exists());
    let listed = std::fs::read_to_string(out.join("CHECKSUMS")).unwrap();
    assert!(!listed.contains("deleted-key"));
}

#[test]
fn read_ts_after_the_snapshot_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_mvcc(b"!redis|str|k", 10, false, 0, b"\xff\x01\x00v")
        .unwrap();
    let path = write_snapshot(dir.path(), "s.fsm", 100, &b);
    let mut cfg = config(&dir.path().join("out"));
    cfg.read_ts = Some(101);
    let err = run(&path, &cfg).unwrap_err();
    assert!(
        err.to_string()
            .contains("after the snapshot's lastCommitTS"),
        "{err}"
    );
    assert!(!dir.path().join("out/MANIFEST.json").exists());
}

#[test]
fn index_zero_in_a_file_name_falls_back_to_the_meta_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_operational(&OperationalRow::AppliedIndex(77))
        .unwrap();
    let path = write_snapshot(dir.path(), "0000000000000000.fsm", 1, &b);
    let report = run(&path, &config(&dir.path().join("out"))).unwrap();
    assert_eq!(report.snapshot_index, Some(77));
    assert_eq!(
        report.snapshot_index_source,
        SnapshotIndexSource::MetaAppliedIndex
    );
}

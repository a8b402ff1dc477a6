//! The S3 adapter end to end: snapshots built with the project's writer, decoded with
//! `decode()`. Upstream's decoder scenarios for S3 (s3.md §13.3), MVCC, the scratch
//! location (H10), the memory budget and the upload-meta bucket (H9). Adapter-level cases
//! are in `runtime/src/s3/tests.rs`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use ekvsnap_runtime::adapters::{AdapterError, AdapterSet};
use ekvsnap_runtime::decode::DecodeError;
use ekvsnap_runtime::s3::keys::*;
use ekvsnap_runtime::s3::{encode_chunk_ref, S3Error};
use ekvsnap_runtime::scan::ScanError;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, SortedSnapshotBuilder, WriterFraming};

use common::{config, files_under, run, write_snapshot, TS};

/// Every file under `root/s3`, by path relative to `root`.
fn s3_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(root, &root.join("s3"))
}

fn put(b: &mut SortedSnapshotBuilder, key: &[u8], ts: u64, value: &[u8]) {
    b.put_mvcc(key, ts, false, 0, value).unwrap();
}

fn delete(b: &mut SortedSnapshotBuilder, key: &[u8], ts: u64) {
    b.put_mvcc(key, ts, true, 0, b"").unwrap();
}

fn meta(generation: u64) -> Vec<u8> {
    format!(r#"{{"bucket_name":"b","generation":{generation},"created_at_hlc":0,"owner":"alice"}}"#)
        .into_bytes()
}

fn single_part(upload: &str, size: usize) -> Vec<u8> {
    format!(
        r#"{{"upload_id":"{upload}","etag":"e","size_bytes":{size},"parts":[{{"part_no":1,"size_bytes":{size},"chunk_count":1,"chunk_sizes":[{size}]}}]}}"#
    )
    .into_bytes()
}

fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// The S3 adapter error that stopped a decode (in the scan or at finalize).
fn s3_error(err: &DecodeError) -> &S3Error {
    match err {
        DecodeError::Scan {
            source:
                ScanError::Adapter {
                    adapter: "s3",
                    source: AdapterError::S3(e),
                },
            ..
        }
        | DecodeError::Finalize {
            adapter: "s3",
            source: AdapterError::S3(e),
        } => e.as_ref(),
        other => panic!("S3 adapter error expected, got {other:?}"),
    }
}

// Upstream TestDecodeSnapshot_RoutesS3OffloadRecords: bucket meta, chunkblob, version-0
// chunkref and an offloaded manifest are four S3 records and one object.
#[test]
fn routes_s3_offload_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    let body = b"offloaded";
    put(&mut b, &bucket_meta_key(b"b"), TS, &meta(1));
    put(&mut b, &chunkblob_key(&sha(body)), TS, body);
    put(
        &mut b,
        &chunkref_key(b"b", 1, b"o", b"u", 1, 0, 0),
        TS,
        &encode_chunk_ref(sha(body), 9, b"n1", &[]),
    );
    put(
        &mut b,
        &manifest_key(b"b", 1, b"o"),
        TS,
        br#"{"upload_id":"u","size_bytes":9,"parts":[{"part_no":1,"size_bytes":9,"chunk_count":1,"chunk_sizes":[9],"offloaded":true}]}"#,
    );
    let out = dir.path().join("out");
    let report = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    assert_eq!(report.counters.s3, 4);
    assert_eq!(std::fs::read(out.join("s3/b/o")).unwrap(), body);
}

// MVCC: an overwritten object is written with its newest manifest and that upload's blobs
// only; a deleted object stays deleted (its leftover blob is an orphan); a recreated bucket
// keeps its newest generation.
#[test]
fn only_the_visible_version_of_each_record_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    // The bucket was recreated: generation 2 is newer than generation 1.
    put(&mut b, &bucket_meta_key(b"b"), TS + 5, &meta(2));
    put(&mut b, &bucket_meta_key(b"b"), TS, &meta(1));
    // `o` overwritten: the newer manifest names upload u-new.
    put(
        &mut b,
        &manifest_key(b"b", 2, b"o"),
        TS + 3,
        &single_part("u-new", 3),
    );
    put(
        &mut b,
        &manifest_key(b"b", 2, b"o"),
        TS + 1,
        &single_part("u-old", 3),
    );
    put(
        &mut b,
        &blob_key(b"b", 2, b"o", b"u-old", 1, 0, 0),
        TS + 1,
        b"old",
    );
    put(
        &mut b,
        &blob_key(b"b", 2, b"o", b"u-new", 1, 0, 0),
        TS + 3,
        b"new",
    );
    // `gone` deleted: manifest tombstoned above its live version, blob left behind.
    delete(&mut b, &manifest_key(b"b", 2, b"gone"), TS + 4);
    put(
        &mut b,
        &manifest_key(b"b", 2, b"gone"),
        TS + 2,
        &single_part("u", 4),
    );
    put(
        &mut b,
        &blob_key(b"b", 2, b"gone", b"u", 1, 0, 0),
        TS + 2,
        b"dead",
    );
    // An object of the old generation.
    put(
        &mut b,
        &manifest_key(b"b", 1, b"old-gen"),
        TS,
        &single_part("u", 2),
    );
    put(
        &mut b,
        &blob_key(b"b", 1, b"old-gen", b"u", 1, 0, 0),
        TS,
        b"g1",
    );
    let out = dir.path().join("out");
    let report = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    let tree = s3_tree(&out);
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        vec!["s3/b/_bucket.json", "s3/b/o", "s3/b/o.elastickv-meta.json"]
    );
    assert_eq!(tree["s3/b/o"], b"new");
    assert_eq!(report.warnings.get("s3_orphan_chunks"), Some(&1));
    assert_eq!(report.warnings.get("s3_stale_generation_objects"), Some(&1));
    assert_eq!(report.counters.tombstoned, 1);
}

// Upstream TestDecodeSnapshot_RejectsScratchEqualsOutRoot, widened (H10): a scratch
// location equal to the output, or inside it, is refused before anything is read.
#[test]
fn scratch_overlapping_the_output_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(&mut b, &bucket_meta_key(b"b"), TS, &meta(1));
    let snap = write_snapshot(dir.path(), &b);
    let out = dir.path().join("out");
    for scratch in [out.clone(), out.join("."), out.join("s3"), out.join("x/y")] {
        let mut cfg = config(&out);
        cfg.scratch_dir = Some(scratch.clone());
        let err = run(&snap, &cfg).unwrap_err();
        assert!(
            matches!(err, DecodeError::Scratch(_)),
            "{}: {err}",
            scratch.display()
        );
        assert!(!out.join("s3").exists());
        let _ = std::fs::remove_dir_all(&out);
    }
}

// Upstream TestDecodeSnapshot_DefaultScratchDoesNotWipeFinalS3Output and H10's example: an
// output directory named `s3` with the scratch location its parent. Scratch files live in
// a fresh directory of their own, so the dump and its neighbours survive.
#[test]
fn scratch_in_the_outputs_parent_wipes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(&mut b, &bucket_meta_key(b"b"), TS, &meta(1));
    put(
        &mut b,
        &manifest_key(b"b", 1, b"o"),
        TS,
        &single_part("u", 2),
    );
    put(&mut b, &blob_key(b"b", 1, b"o", b"u", 1, 0, 0), TS, b"ok");
    let snap = write_snapshot(dir.path(), &b);
    let parent = dir.path().join("work");
    std::fs::create_dir(&parent).unwrap();
    std::fs::write(parent.join("preexisting.txt"), b"keep").unwrap();
    let out = parent.join("s3");
    let mut cfg = config(&out);
    cfg.scratch_dir = Some(parent.clone());
    run(&snap, &cfg).unwrap();
    assert_eq!(std::fs::read(out.join("s3/b/o")).unwrap(), b"ok");
    assert_eq!(
        std::fs::read(parent.join("preexisting.txt")).unwrap(),
        b"keep"
    );
    let mut left: Vec<String> = std::fs::read_dir(&parent)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["preexisting.txt", "s3"], "no scratch directory left");
}

// Upstream TestDecodeSnapshot_FinalizeRunsOnTruncatedStream: a truncated stream fails, and
// finalize still ran: the scratch files are gone and nothing half-written is in the dump.
#[test]
fn finalize_runs_on_truncated_stream() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(
        &mut b,
        &blob_key(b"b", 1, b"o", b"u", 1, 0, 0),
        TS,
        &[7; 4096],
    );
    put(
        &mut b,
        &manifest_key(b"b", 1, b"o"),
        TS,
        &single_part("u", 4096),
    );
    let mut w = SnapshotWriter::new(Vec::new(), WriterFraming::Bare, TS * 10).unwrap();
    b.write_to(&mut w).unwrap();
    let mut bytes = w.finish().unwrap();
    bytes.truncate(bytes.len() - 3);
    let snap = dir.path().join("snap.fsm");
    std::fs::write(&snap, bytes).unwrap();
    let scratch = dir.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.scratch_dir = Some(scratch.clone());
    let err = run(&snap, &cfg).unwrap_err();
    assert!(matches!(err, DecodeError::Scan { .. }), "{err}");
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);
    // The blob was read, its manifest was not: an orphan, nothing written (H14).
    assert!(s3_tree(&out).is_empty());
    assert!(!out.join("s3").exists());
}

// Upstream TestDecodeSnapshot_DisabledAdapterCountsAsInternal, for S3: its records are
// counted as belonging to a disabled adapter and no `s3/` directory appears.
#[test]
fn disabled_s3_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(&mut b, &bucket_meta_key(b"b"), TS, &meta(1));
    put(&mut b, &blob_key(b"b", 1, b"o", b"u", 1, 0, 0), TS, b"x");
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapters = AdapterSet::parse("sqs").unwrap();
    let report = run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    assert_eq!(
        (report.counters.s3, report.counters.adapter_disabled),
        (0, 2)
    );
    assert!(!out.join("s3").exists());
}

// H9: an upload-meta record of a bucket whose name holds NUL lands in that bucket's
// directory, like its other records.
#[test]
fn upload_records_of_a_nul_bucket_share_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(&mut b, &bucket_meta_key(b"b\x00k"), TS, &meta(1));
    put(
        &mut b,
        &upload_meta_key(b"b\x00k", 1, b"o", b"u"),
        TS,
        b"{}",
    );
    put(
        &mut b,
        &upload_part_key(b"b\x00k", 1, b"o", b"u", 1),
        TS,
        b"{}",
    );
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapter_options.s3.include_incomplete_uploads = true;
    run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    let tree = s3_tree(&out);
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        vec![
            "s3/b%00k/_bucket.json",
            "s3/b%00k/_incomplete_uploads/records.jsonl"
        ]
    );
    let records =
        String::from_utf8(tree["s3/b%00k/_incomplete_uploads/records.jsonl"].clone()).unwrap();
    let prefixes: Vec<&str> = records
        .lines()
        .map(|l| {
            if l.contains("upload|meta") {
                "meta"
            } else {
                "part"
            }
        })
        .collect();
    assert_eq!(prefixes, ["meta", "part"]);
}

/// Many objects of several shapes in two buckets, decoded under the given budget.
fn many_objects(budget: u64) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    for bucket in [&b"alpha"[..], b"beta"] {
        put(&mut b, &bucket_meta_key(bucket), TS, &meta(1));
        for i in 0..150u64 {
            let key = format!("d{}/k{i:03}", i % 7);
            let body = format!("{bucket:?}:{key}").into_bytes();
            put(
                &mut b,
                &manifest_key(bucket, 1, key.as_bytes()),
                TS,
                &single_part("u", body.len()),
            );
            put(
                &mut b,
                &blob_key(bucket, 1, key.as_bytes(), b"u", 1, 0, 0),
                TS,
                &body,
            );
        }
        // A leaf that is also a directory, an unsafe key, an orphan.
        put(
            &mut b,
            &manifest_key(bucket, 1, b"d3"),
            TS,
            &single_part("u", 4),
        );
        put(
            &mut b,
            &blob_key(bucket, 1, b"d3", b"u", 1, 0, 0),
            TS,
            b"leaf",
        );
        put(
            &mut b,
            &manifest_key(bucket, 1, b"x/"),
            TS,
            &single_part("u", 6),
        );
        put(
            &mut b,
            &blob_key(bucket, 1, b"x/", b"u", 1, 0, 0),
            TS,
            b"folder",
        );
        put(
            &mut b,
            &blob_key(bucket, 1, b"orphan", b"u", 1, 0, 0),
            TS,
            b"o",
        );
    }
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.memory_budget = budget;
    cfg.adapter_options.s3.include_orphans = true;
    run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    s3_tree(&out)
}

#[test]
fn output_is_identical_whatever_the_memory_budget() {
    let ample = many_objects(1 << 30);
    assert_eq!(ample.len(), 2 * (1 + 2 * 150 + 2 + 2 + 1 + 1));
    assert_eq!(ample, many_objects(0));
    assert_eq!(ample, many_objects(4096));
}

#[test]
fn strict_keys_stop_the_decode() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(
        &mut b,
        &manifest_key(b"b", 1, b"a//b"),
        TS,
        &single_part("u", 1),
    );
    put(&mut b, &blob_key(b"b", 1, b"a//b", b"u", 1, 0, 0), TS, b"x");
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapter_options.s3.strict_s3_keys = true;
    let err = run(&write_snapshot(dir.path(), &b), &cfg).unwrap_err();
    assert!(
        matches!(s3_error(&err), S3Error::MalformedKey { .. }),
        "{err}"
    );
    assert!(!out.join("MANIFEST.json").exists());
}

//! The S3 adapter driven directly: upstream's `internal/backup/s3_test.go` scenarios
//! (s3.md §13.1, one test each, named after them), our deliberate differences
//! (docs/compatibility.md, Adapters, S3) and the body fast path. End-to-end cases through
//! `decode()` are in `runtime/tests/s3.rs`.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::keys::*;
use super::*;
use crate::adapters::{Adapter, AdapterError, Record};
use crate::keys::{route, Family, InternalFamily};
use crate::output::OutputTree;
use crate::spill::{MemoryBudget, Scratch, SpillContext};
use crate::testkit::{events, finalize_capturing, Warning};

// ------------------------------------------------------------------------------------------
// Harness
// ------------------------------------------------------------------------------------------

/// An adapter with its output tree and scratch directory.
struct Run {
    dir: tempfile::TempDir,
    out: PathBuf,
    tree: OutputTree,
    adapter: S3Adapter,
    budget: MemoryBudget,
    scratch: PathBuf,
}

fn options() -> S3Options {
    S3Options::default()
}

fn strict() -> S3Options {
    S3Options {
        strict_s3_keys: true,
        ..S3Options::default()
    }
}

fn renaming() -> S3Options {
    S3Options {
        rename_collisions: true,
        ..S3Options::default()
    }
}

impl Run {
    fn new(options: S3Options) -> Run {
        Run::with_budget(options, MemoryBudget::unlimited())
    }

    fn with_budget(options: S3Options, budget: MemoryBudget) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let tree = OutputTree::prepare(&out, false).unwrap();
        let scratch = Scratch::new_in(dir.path(), &out).unwrap();
        let scratch_path = scratch.path().to_path_buf();
        let adapter = S3Adapter::new(options, SpillContext::new(budget.clone(), scratch));
        Run {
            dir,
            out,
            tree,
            adapter,
            budget,
            scratch: scratch_path,
        }
    }

    /// Routes `key` like the scan does and hands it to the adapter.
    fn put(&mut self, key: &[u8], body: &[u8]) -> Result<(), AdapterError> {
        let family = route(key).unwrap_or_else(|| panic!("{key:?} routes nowhere"));
        self.adapter.handle(
            family,
            &Record {
                user_key: key,
                body,
                commit_ts: 1,
                expire_at: 0,
            },
        )
    }

    fn ok(&mut self, key: &[u8], body: &[u8]) {
        self.put(key, body).unwrap();
    }

    fn finalize(&mut self) -> (Result<(), AdapterError>, Vec<Warning>) {
        let (result, seen) = finalize_capturing(&mut self.adapter, &self.tree);
        // Scratch files are gone whatever happened (H14).
        assert_eq!(
            std::fs::read_dir(&self.scratch).map_or(0, Iterator::count),
            0,
            "S3 scratch files left behind"
        );
        assert_eq!(self.budget.used(), 0, "every reservation is released");
        (result, seen)
    }

    /// Finalizes, expecting success; returns the warnings.
    fn done(&mut self) -> Vec<Warning> {
        let (result, warnings) = self.finalize();
        result.unwrap();
        warnings
    }

    /// Finalizes, expecting an S3 error.
    fn fails(&mut self) -> S3Error {
        s3_err(self.finalize().0)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.out.join(rel)
    }

    fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn text(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap()
    }

    /// Every file under the output root, `/`-separated.
    fn files(&self) -> Vec<String> {
        walk(&self.out).0
    }

    /// Every directory under the output root that holds nothing.
    fn empty_dirs(&self) -> Vec<String> {
        walk(&self.out).1
    }

    fn stats(&self) -> S3Stats {
        self.adapter.stats()
    }
}

/// (files, empty directories) below `root`.
fn walk(root: &Path) -> (Vec<String>, Vec<String>) {
    fn go(root: &Path, dir: &Path, files: &mut Vec<String>, empty: &mut Vec<String>) {
        let mut any = false;
        for entry in std::fs::read_dir(dir).unwrap() {
            any = true;
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if std::fs::symlink_metadata(&path).unwrap().is_dir() {
                go(root, &path, files, empty);
            } else {
                files.push(rel);
            }
        }
        if !any && dir != root {
            empty.push(
                dir.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    let (mut files, mut empty) = (Vec::new(), Vec::new());
    go(root, root, &mut files, &mut empty);
    files.sort();
    empty.sort();
    (files, empty)
}

fn s3_err(result: Result<(), AdapterError>) -> S3Error {
    match result {
        Err(AdapterError::S3(e)) => *e,
        Err(other) => panic!("expected an S3 error, got {other}"),
        Ok(()) => panic!("expected an S3 error, got success"),
    }
}

fn b64u(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn sha(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// A bucket-meta value as the live server writes it.
fn meta_json(generation: u64) -> Vec<u8> {
    format!(
        r#"{{"bucket_name":"x","generation":{generation},"created_at_hlc":0,"owner":"alice","region":"us-east-1","acl":""}}"#
    )
    .into_bytes()
}

/// One non-offloaded part.
fn part(no: u64, chunks: u64, size: u64, version: u64) -> String {
    format!(
        r#"{{"part_no":{no},"size_bytes":{size},"chunk_count":{chunks},"part_version":{version}}}"#
    )
}

/// One offloaded part.
fn offloaded_part(no: u64, sizes: &[u64], version: u64) -> String {
    let list: Vec<String> = sizes.iter().map(u64::to_string).collect();
    format!(
        r#"{{"part_no":{no},"size_bytes":{},"chunk_count":{},"chunk_sizes":[{}],"chunk_ref_version":{version},"offloaded":true}}"#,
        sizes.iter().sum::<u64>(),
        sizes.len(),
        list.join(",")
    )
}

/// A manifest value with upstream's test etag.
fn manifest(upload: &str, size: u64, parts: &[String]) -> Vec<u8> {
    format!(
        r#"{{"upload_id":"{upload}","etag":"\"deadbeef\"","size_bytes":{size},"parts":[{}]}}"#,
        parts.join(",")
    )
    .into_bytes()
}

/// Upstream's `emitObject`: bucket meta (owner alice, region us-east-1), a manifest with
/// upload `u-1` and one one-chunk part, and the legacy blob holding `body`.
fn emit_object(run: &mut Run, bucket: &str, generation: u64, key: &[u8], body: &[u8]) {
    run.ok(&bucket_meta_key(bucket.as_bytes()), &meta_json(generation));
    put_object(run, bucket, generation, key, body);
}

/// A manifest and its single blob, without bucket meta.
fn put_object(run: &mut Run, bucket: &str, generation: u64, key: &[u8], body: &[u8]) {
    let b = bucket.as_bytes();
    run.ok(
        &manifest_key(b, generation, key),
        &manifest(
            "u-1",
            body.len() as u64,
            &[part(1, 1, body.len() as u64, 0)],
        ),
    );
    run.ok(&blob_key(b, generation, key, b"u-1", 1, 0, 0), body);
}

// ------------------------------------------------------------------------------------------
// Upstream scenarios (s3.md §13.1)
// ------------------------------------------------------------------------------------------

#[test]
fn bucket_meta_and_single_object_assembly() {
    let mut run = Run::new(options());
    run.ok(&bucket_meta_key(b"photos"), &meta_json(7));
    run.ok(
        &manifest_key(b"photos", 7, b"2026/04/img.jpg"),
        br#"{"upload_id":"u-1","etag":"\"deadbeef\"","size_bytes":11,"content_type":"image/jpeg","parts":[{"part_no":1,"size_bytes":11,"chunk_count":1}]}"#,
    );
    run.ok(
        &blob_key(b"photos", 7, b"2026/04/img.jpg", b"u-1", 1, 0, 0),
        b"hello-world",
    );
    assert!(run.done().is_empty());
    assert_eq!(run.read("s3/photos/2026/04/img.jpg"), b"hello-world");
    assert_eq!(
        run.text("s3/photos/2026/04/img.jpg.elastickv-meta.json"),
        "{\n  \"format_version\": 1,\n  \"etag\": \"\\\"deadbeef\\\"\",\n  \"size_bytes\": 11,\n  \"content_type\": \"image/jpeg\"\n}"
    );
    assert_eq!(
        run.text("s3/photos/_bucket.json"),
        "{\n  \"format_version\": 1,\n  \"name\": \"photos\",\n  \"owner\": \"alice\",\n  \"region\": \"us-east-1\"\n}"
    );
    assert_eq!(
        run.files(),
        [
            "s3/photos/2026/04/img.jpg",
            "s3/photos/2026/04/img.jpg.elastickv-meta.json",
            "s3/photos/_bucket.json"
        ]
    );
    // One upload, one chunk: the chunk file became the body, nothing was copied.
    let stats = run.stats();
    assert_eq!((stats.moved_bytes, stats.copied_bytes), (11, 0));
    assert_eq!((stats.objects, stats.body_bytes), (1, 11));
}

#[test]
fn multipart_object_assembles_in_part_chunk_order() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"mp"),
        &manifest("u-1", 11, &[part(1, 2, 5, 0), part(2, 1, 6, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"mp", b"u-1", 2, 0, 0), b"WORLD!");
    run.ok(&blob_key(b"b", 1, b"mp", b"u-1", 1, 1, 0), b"lo");
    run.ok(&blob_key(b"b", 1, b"mp", b"u-1", 1, 0, 0), b"hel");
    run.done();
    assert_eq!(run.read("s3/b/mp"), b"helloWORLD!");
    // Out of order in the chunk file: assembled by copying.
    assert_eq!(run.stats().copied_bytes, 11);
}

#[test]
fn offloaded_object_assembles_from_chunk_refs() {
    let mut run = Run::new(options());
    let (a, b) = (b"hello ".as_slice(), b"world".as_slice());
    run.ok(&chunkblob_key(&sha(a)), a);
    run.ok(&chunkblob_key(&sha(b)), b);
    run.ok(
        &chunkref_key(b"b", 3, b"o", b"u-1", 1, 0, 91),
        &encode_chunk_ref(sha(a), 6, b"n1", &[]),
    );
    run.ok(
        &chunkref_key(b"b", 3, b"o", b"u-1", 1, 1, 91),
        &encode_chunk_ref(sha(b), 5, b"n1", &[]),
    );
    // A decoy legacy blob at the same version is not part of an offloaded part.
    run.ok(&blob_key(b"b", 3, b"o", b"u-1", 1, 0, 91), b"wrong");
    run.ok(
        &manifest_key(b"b", 3, b"o"),
        &manifest("u-1", 11, &[offloaded_part(1, &[6, 5], 91)]),
    );
    run.done();
    assert_eq!(run.read("s3/b/o"), b"hello world");
}

#[test]
fn offloaded_object_fails_closed_when_chunk_blob_is_missing() {
    let mut run = Run::new(options());
    run.ok(
        &chunkref_key(b"b", 1, b"o", b"u-1", 1, 0, 0),
        &encode_chunk_ref(sha(b"gone"), 4, b"n1", &[]),
    );
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 4, &[offloaded_part(1, &[4], 0)]),
    );
    let err = run.fails();
    assert!(
        matches!(err, S3Error::IncompleteBlobChunks { chunk_no: 0, .. }),
        "{err}"
    );
    assert!(run.files().is_empty(), "{:?}", run.files());
}

#[test]
fn offloaded_object_rejects_manifest_chunk_size_mismatch() {
    let mut run = Run::new(options());
    let data = b"sevenby";
    run.ok(&chunkblob_key(&sha(data)), data);
    run.ok(
        &chunkref_key(b"b", 1, b"o", b"u-1", 1, 0, 0),
        &encode_chunk_ref(sha(data), 7, b"n1", &[]),
    );
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 8, &[offloaded_part(1, &[8], 0)]),
    );
    let err = run.fails();
    assert!(matches!(err, S3Error::InvalidChunkRef { .. }), "{err}");
    assert!(err.to_string().contains("chunk_sizes says 8"), "{err}");
}

#[test]
fn offloaded_object_rejects_missing_manifest_chunk_sizes() {
    let mut run = Run::new(options());
    let err = s3_err(run.put(
        &manifest_key(b"b", 1, b"o"),
        br#"{"upload_id":"u-1","parts":[{"part_no":1,"chunk_count":1,"offloaded":true}]}"#,
    ));
    assert!(
        matches!(
            err,
            S3Error::InvalidManifest {
                reason: ManifestReason::ChunkSizes {
                    part_no: 1,
                    chunk_count: 1,
                    sizes: 0
                },
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn chunk_blob_rejects_content_hash_mismatch() {
    let mut run = Run::new(options());
    let err = s3_err(run.put(&chunkblob_key(&sha(b"expected")), b"different"));
    assert!(
        matches!(err, S3Error::ChunkBlobHashMismatch { .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .starts_with("backup: S3 chunkblob hash mismatch"));
    // Upper-case hex digits name the same digest.
    let upper = format!(
        "!s3|chunkblob|{}",
        sha(b"ok")
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<String>()
    );
    run.ok(upper.as_bytes(), b"ok");
}

#[test]
fn orphan_chunks_warn() {
    let mut run = Run::new(options());
    run.ok(&blob_key(b"ghost", 1, b"lost", b"u", 1, 0, 0), b"data");
    let warnings = run.done();
    assert_eq!(
        warnings,
        [Warning {
            event: "s3_orphan_chunks".into(),
            fields: r#"bucket="ghost" object="lost" chunks="1" hint="blob chunks present but no !s3|obj|head record matched""#.into(),
        }]
    );
    // Nothing written, not even the bucket directory (H14).
    assert!(run.files().is_empty());
    assert!(run.empty_dirs().is_empty(), "{:?}", run.empty_dirs());
}

#[test]
fn meta_suffix_collision_rejected_by_default() {
    for opts in [options(), strict()] {
        let mut run = Run::new(opts);
        emit_object(&mut run, "b", 1, b"evil.elastickv-meta.json", b"x");
        let err = run.fails();
        assert!(matches!(err, S3Error::MetaSuffixCollision { .. }), "{err}");
        assert!(err
            .to_string()
            .starts_with("backup: user S3 object key collides with reserved sidecar suffix"));
    }
}

#[test]
fn meta_suffix_collision_renames_under_flag() {
    let mut run = Run::new(renaming());
    emit_object(&mut run, "b", 1, b"evil.elastickv-meta.json", b"x");
    run.done();
    assert_eq!(run.read("s3/b/evil.elastickv-meta.json.user-data"), b"x");
    assert!(run
        .path("s3/b/evil.elastickv-meta.json.user-data.elastickv-meta.json")
        .is_file());
    assert_eq!(
        run.text("s3/b/KEYMAP.jsonl"),
        format!(
            "{{\"encoded\":\"evil.elastickv-meta.json.user-data\",\"original\":\"{}\",\"kind\":\"meta-suffix-rename\"}}\n",
            b64u(b"evil.elastickv-meta.json")
        )
    );
}

#[test]
fn rejects_malformed_manifest_json() {
    let mut run = Run::new(options());
    let err = s3_err(run.put(&manifest_key(b"b", 1, b"o"), b"not-json"));
    assert!(matches!(err, S3Error::InvalidManifest { .. }), "{err}");
    assert!(err
        .to_string()
        .starts_with("backup: invalid !s3|obj|head value"));
}

#[test]
fn rejects_malformed_bucket_meta_json() {
    let mut run = Run::new(options());
    let err = s3_err(run.put(&bucket_meta_key(b"b"), b"not-json"));
    assert!(matches!(err, S3Error::InvalidBucketMeta { .. }), "{err}");
}

#[test]
fn handle_ignored_no_op() {
    // `!s3|gc|upload|` never reaches the adapter: it is always internal.
    let key = [b"!s3|gc|upload|".as_slice(), &segment(b"b")].concat();
    assert_eq!(
        route(&key),
        Some(Family::Internal(InternalFamily::S3GcUpload))
    );
    let mut run = Run::new(options());
    let err = run.put(&key, b"{}").unwrap_err();
    assert!(matches!(err, AdapterError::Invalid { adapter: "s3", .. }));
    run.done();
    assert!(run.files().is_empty());
}

#[test]
fn include_incomplete_uploads_buffers_records() {
    let mut run = Run::new(S3Options {
        include_incomplete_uploads: true,
        ..options()
    });
    let key = upload_meta_key(b"b", 1, b"obj", b"u-1");
    let value = br#"{"bucket":"b","object":"obj","generation":1,"upload_id":"u-1"}"#;
    run.ok(&key, value);
    run.done();
    assert_eq!(
        run.text("s3/b/_incomplete_uploads/records.jsonl"),
        format!(
            "{{\"prefix\":\"!s3|upload|meta|\",\"key\":\"{}\",\"value\":\"{}\"}}\n",
            STANDARD.encode(&key),
            STANDARD.encode(value)
        )
    );
    assert_eq!(run.files(), ["s3/b/_incomplete_uploads/records.jsonl"]);
}

#[test]
fn default_does_not_emit_incomplete_uploads() {
    let mut run = Run::new(options());
    run.ok(&upload_meta_key(b"b", 1, b"obj", b"u-1"), b"{}");
    run.ok(&upload_part_key(b"b", 1, b"obj", b"u-1", 1), b"{}");
    run.done();
    assert!(run.files().is_empty());
    assert!(!run.path("s3").exists());
}

/// The safe encoded home of `key` in bucket `b`.
fn encoded(key: &[u8]) -> String {
    format!(
        "s3/b/_encoded_keys/{}",
        naming::encoded_name(key).to_str().unwrap()
    )
}

/// `key` is refused under `--strict-s3-keys` with `problem`, and otherwise written to its
/// encoded path with a KEYMAP record and a warning; nothing outside the bucket directory.
fn unsafe_key_kept(key: &[u8], problem: naming::PathProblem) {
    let mut run = Run::new(strict());
    emit_object(&mut run, "b", 1, key, b"body");
    let err = run.fails();
    match &err {
        S3Error::MalformedKey {
            reason: MalformedKeyReason::UnsafePath(p),
            ..
        } => assert_eq!(*p, problem, "{key:?}"),
        S3Error::PathClash { problem: p, .. } => assert_eq!(*p, problem, "{key:?}"),
        other => panic!("{key:?}: {other}"),
    }
    assert_eq!(run.files(), ["s3/b/_bucket.json"], "{key:?}");

    let mut run = Run::new(options());
    emit_object(&mut run, "b", 1, key, b"body");
    let warnings = run.done();
    let path = encoded(key);
    assert_eq!(run.read(&path), b"body", "{key:?}");
    assert!(run.path(&format!("{path}.elastickv-meta.json")).is_file());
    assert_eq!(
        run.text("s3/b/KEYMAP.jsonl"),
        format!(
            "{{\"encoded\":\"{}\",\"original\":\"{}\",\"kind\":\"s3-encoded-key\"}}\n",
            path.strip_prefix("s3/b/").unwrap(),
            b64u(key)
        )
    );
    assert_eq!(events(&warnings), ["s3_object_key_encoded"]);
    assert!(warnings[0]
        .fields
        .contains(&format!("reason=\"{problem}\"")));
    for file in run.files() {
        assert!(file.starts_with("s3/b/"), "{file}");
    }
    assert_eq!(run.files().len(), 4, "{:?}", run.files());
}

#[test]
fn path_traversal_attempt_rejected() {
    unsafe_key_kept(
        b"../../../etc/passwd-attack",
        naming::PathProblem::DotSegment,
    );
}

#[test]
fn leaf_data_rename_rejects_colliding_user_key() {
    let keys: [&[u8]; 3] = [b"path/to", b"path/to/sub", b"path/to.elastickv-leaf-data"];
    let mut run = Run::new(strict());
    for key in keys {
        emit_object(&mut run, "b", 1, key, key);
    }
    let err = run.fails();
    // Named for what happened; upstream says ErrS3MetaSuffixCollision (H4).
    assert!(
        matches!(&err, S3Error::RenameTargetCollision { kind: "s3-leaf-data", object, .. } if object == "path/to.elastickv-leaf-data"),
        "{err}"
    );
    // Default: every key is kept; the real key of the rename target is encoded.
    let mut run = Run::new(options());
    for key in keys {
        emit_object(&mut run, "b", 1, key, key);
    }
    run.done();
    assert_eq!(run.read("s3/b/path/to.elastickv-leaf-data"), b"path/to");
    assert_eq!(run.read("s3/b/path/to/sub"), b"path/to/sub");
    let real = encoded(b"path/to.elastickv-leaf-data");
    assert_eq!(run.read(&real), b"path/to.elastickv-leaf-data");
    assert_eq!(
        run.text("s3/b/KEYMAP.jsonl"),
        format!(
            "{{\"encoded\":\"path/to.elastickv-leaf-data\",\"original\":\"{}\",\"kind\":\"s3-leaf-data\"}}\n{{\"encoded\":\"{}\",\"original\":\"{}\",\"kind\":\"s3-encoded-key\"}}\n",
            b64u(b"path/to"),
            real.strip_prefix("s3/b/").unwrap(),
            b64u(b"path/to.elastickv-leaf-data")
        )
    );
}

#[test]
fn meta_suffix_rename_rejects_colliding_user_key() {
    let keys: [&[u8]; 2] = [
        b"evil.elastickv-meta.json",
        b"evil.elastickv-meta.json.user-data",
    ];
    let mut run = Run::new(S3Options {
        rename_collisions: true,
        strict_s3_keys: true,
        ..options()
    });
    for key in keys {
        emit_object(&mut run, "b", 1, key, key);
    }
    let err = run.fails();
    assert!(
        matches!(
            err,
            S3Error::RenameTargetCollision {
                kind: "meta-suffix-rename",
                ..
            }
        ),
        "{err}"
    );
    let mut run = Run::new(renaming());
    for key in keys {
        emit_object(&mut run, "b", 1, key, key);
    }
    run.done();
    assert_eq!(
        run.read("s3/b/evil.elastickv-meta.json.user-data"),
        b"evil.elastickv-meta.json"
    );
    assert_eq!(
        run.read(&encoded(b"evil.elastickv-meta.json.user-data")),
        b"evil.elastickv-meta.json.user-data"
    );
}

#[test]
fn last_modified_sidecar_populated() {
    let mut run = Run::new(options());
    let hlc = 1_745_884_800_000u64 << 16;
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        format!(r#"{{"upload_id":"u","size_bytes":0,"last_modified_hlc":{hlc}}}"#).as_bytes(),
    );
    run.done();
    assert_eq!(
        run.text("s3/b/o.elastickv-meta.json"),
        "{\n  \"format_version\": 1,\n  \"size_bytes\": 0,\n  \"last_modified\": \"2025-04-29T00:00:00Z\"\n}"
    );
    // A manifest without parts is an empty body.
    assert_eq!(run.read("s3/b/o"), b"");
    // s3.md §7.5.
    let f = |ms: u64| manifest::format_hlc_time(ms << 16);
    assert_eq!(f(1_745_884_800_120), "2025-04-29T00:00:00.12Z");
    assert_eq!(f(1_745_884_800_007), "2025-04-29T00:00:00.007Z");
    assert_eq!(f(1_745_884_800_500), "2025-04-29T00:00:00.5Z");
    assert_eq!(manifest::format_hlc_time(65_535), "1970-01-01T00:00:00Z");
    assert_eq!(
        manifest::format_hlc_time(u64::MAX),
        "10889-08-02T05:31:50.655Z"
    );
    assert_eq!(f(951_782_400_000), "2000-02-29T00:00:00Z");
}

#[test]
fn keymap_refuses_symlink_at_finalize() {
    let mut run = Run::new(renaming());
    let bait = run.dir.path().join("bait");
    std::fs::write(&bait, b"keep").unwrap();
    std::fs::create_dir_all(run.path("s3/b")).unwrap();
    std::os::unix::fs::symlink(&bait, run.path("s3/b/KEYMAP.jsonl")).unwrap();
    emit_object(&mut run, "b", 1, b"evil.elastickv-meta.json", b"x");
    let err = run.finalize().0.unwrap_err();
    assert!(
        err.to_string().contains("refusing to overwrite symlink"),
        "{err}"
    );
    assert_eq!(std::fs::read(&bait).unwrap(), b"keep");
}

#[test]
fn backslash_object_key_rejected() {
    for key in [
        &b"a\\..\\b"[..],
        b"leading\\path",
        b"trailing\\",
        b"\\absolute-windows",
    ] {
        unsafe_key_kept(key, naming::PathProblem::Backslash);
    }
}

#[test]
fn leading_slash_object_key_rejected() {
    unsafe_key_kept(b"/etc/host-attack", naming::PathProblem::EmptySegment);
}

#[test]
fn stale_upload_id_chunks_filtered_from_assembled_body() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-active", 5, &[part(1, 1, 5, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"u-stale", 1, 0, 0), b"STALE");
    run.ok(&blob_key(b"b", 1, b"o", b"u-active", 1, 0, 0), b"OKBYE");
    run.done();
    assert_eq!(run.read("s3/b/o"), b"OKBYE");
    // The active upload's chunks have a chunk file of their own: still moved.
    assert_eq!(run.stats().moved_bytes, 5);
}

#[test]
fn incomplete_uploads_appends_across_calls() {
    let mut run = Run::new(S3Options {
        include_incomplete_uploads: true,
        ..options()
    });
    for i in 0..3u64 {
        run.ok(
            &upload_meta_key(b"b", 1, format!("obj-{i}").as_bytes(), b"u"),
            b"{}",
        );
    }
    run.done();
    let text = run.text("s3/b/_incomplete_uploads/records.jsonl");
    assert_eq!(text.lines().count(), 3);
    // Snapshot (arrival) order.
    let keys: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["key"].to_string())
        .collect();
    for (i, key) in keys.iter().enumerate() {
        let raw = upload_meta_key(b"b", 1, format!("obj-{i}").as_bytes(), b"u");
        assert_eq!(*key, format!("\"{}\"", STANDARD.encode(raw)));
    }
}

#[test]
fn orphan_chunks_written_when_include_orphans() {
    let mut run = Run::new(S3Options {
        include_orphans: true,
        ..options()
    });
    run.ok(&bucket_meta_key(b"b"), &meta_json(1));
    run.ok(&blob_key(b"b", 1, b"ghost", b"u", 1, 0, 0), b"boo");
    let warnings = run.done();
    assert_eq!(events(&warnings), ["s3_orphan_chunks"]);
    assert_eq!(
        run.read(
            "s3/b/_orphans/ghost/gen-1/u_0000000000000001_0000000000000000_0000000000000000.bin"
        ),
        b"boo"
    );
}

#[test]
fn orphan_chunks_preserved_across_generations() {
    let mut run = Run::new(S3Options {
        include_orphans: true,
        ..options()
    });
    run.ok(&bucket_meta_key(b"b"), &meta_json(3));
    run.ok(&blob_key(b"b", 1, b"ghost", b"u", 1, 0, 0), b"first");
    run.ok(&blob_key(b"b", 2, b"ghost", b"u", 1, 0, 0), b"second");
    let warnings = run.done();
    assert_eq!(
        events(&warnings),
        [
            "s3_orphan_chunks",
            "s3_orphan_chunks",
            "s3_stale_generation_objects"
        ]
    );
    // Scratch is per generation (H2): each generation keeps its own bytes.
    let name = "u_0000000000000001_0000000000000000_0000000000000000.bin";
    assert_eq!(
        run.read(&format!("s3/b/_orphans/ghost/gen-1/{name}")),
        b"first"
    );
    assert_eq!(
        run.read(&format!("s3/b/_orphans/ghost/gen-2/{name}")),
        b"second"
    );
    // A stale object's warning says what it is (H4).
    assert!(warnings[0].fields.contains(flush::STALE_ORPHAN_HINT));
    assert!(warnings[2]
        .fields
        .contains(r#"bucket="b" active_generation="3" stale_count="2""#));
}

#[test]
fn stale_part_version_excluded_from_assembled_body() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 5, &[part(1, 1, 5, 9)]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 0, 7), b"STALE");
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 0, 9), b"OKBYE");
    run.done();
    assert_eq!(run.read("s3/b/o"), b"OKBYE");
}

#[test]
fn handle_incomplete_upload_rejects_dot_segment_bucket() {
    let mut run = Run::new(S3Options {
        include_incomplete_uploads: true,
        ..options()
    });
    for bucket in [&b"."[..], b"..", b""] {
        let err = s3_err(run.put(&upload_meta_key(bucket, 1, b"o", b"u"), b"{}"));
        assert!(
            matches!(
                err,
                S3Error::MalformedKey {
                    reason: MalformedKeyReason::DotBucket,
                    ..
                }
            ),
            "{err}"
        );
        let err = s3_err(run.put(&upload_part_key(bucket, 1, b"o", b"u", 1), b"{}"));
        assert!(matches!(err, S3Error::MalformedKey { .. }), "{err}");
    }
    run.done();
}

#[test]
fn flush_bucket_rejects_dot_segment_bucket_name() {
    for bucket in [&b"."[..], b"..", b""] {
        let mut run = Run::new(options());
        run.ok(&bucket_meta_key(bucket), &meta_json(1));
        let err = run.fails();
        assert!(
            matches!(
                err,
                S3Error::MalformedKey {
                    reason: MalformedKeyReason::BucketName(_),
                    ..
                }
            ),
            "{err}"
        );
        assert!(run.files().is_empty());
    }
}

#[test]
fn handle_blob_rejects_scratch_escape() {
    let cases: [(&[u8], &[u8]); 5] = [
        (b"b", b".."),
        (b"b", b"."),
        (b"..", b"x"),
        (b".", b"x"),
        (b"..", b".."),
    ];
    for (bucket, object) in cases {
        let key = blob_key(bucket, 1, object, b"u", 1, 0, 0);
        let err = s3_err(Run::new(strict()).put(&key, b"x"));
        assert!(matches!(err, S3Error::MalformedKey { .. }), "{err}");
        // By default only dot buckets are refused (never legal S3 bucket names); our
        // scratch names do not come from keys, so a dot object key is kept.
        let result = Run::new(options()).put(&key, b"x");
        assert_eq!(
            result.is_err(),
            matches!(bucket, b"." | b".."),
            "{bucket:?}/{object:?}"
        );
    }
}

#[test]
fn dot_segment_object_key_rejected() {
    for key in [&b"a/../b"[..], b"a/./b", b"..", b"."] {
        // Sole-dot keys are refused at the blob already under --strict-s3-keys.
        let mut run = Run::new(strict());
        run.ok(&bucket_meta_key(b"b"), &meta_json(1));
        run.ok(
            &manifest_key(b"b", 1, key),
            &manifest("u-1", 4, &[part(1, 1, 4, 0)]),
        );
        let blob = run.put(&blob_key(b"b", 1, key, b"u-1", 1, 0, 0), b"body");
        if matches!(key, b"." | b"..") {
            assert!(matches!(s3_err(blob), S3Error::MalformedKey { .. }));
            assert!(matches!(run.fails(), S3Error::MalformedKey { .. }));
        } else {
            blob.unwrap();
            let err = run.fails();
            assert!(
                matches!(
                    err,
                    S3Error::MalformedKey {
                        reason: MalformedKeyReason::UnsafePath(naming::PathProblem::DotSegment),
                        ..
                    }
                ),
                "{err}"
            );
        }
        unsafe_key_kept_default(key);
    }
}

/// The default half of [`unsafe_key_kept`].
fn unsafe_key_kept_default(key: &[u8]) {
    let mut run = Run::new(options());
    emit_object(&mut run, "b", 1, key, b"body");
    assert_eq!(events(&run.done()), ["s3_object_key_encoded"]);
    assert_eq!(run.read(&encoded(key)), b"body");
}

#[test]
fn stale_generation_object_excluded() {
    let mut run = Run::new(options());
    run.ok(&bucket_meta_key(b"b"), &meta_json(7));
    put_object(&mut run, "b", 6, b"stale-obj", b"old");
    put_object(&mut run, "b", 7, b"live-obj", b"new");
    let warnings = run.done();
    assert_eq!(run.read("s3/b/live-obj"), b"new");
    assert!(!run.path("s3/b/stale-obj").exists());
    assert_eq!(
        warnings,
        [Warning {
            event: "s3_stale_generation_objects".into(),
            fields: format!(
                r#"bucket="b" active_generation="7" stale_count="1" hint="{}""#,
                flush::STALE_HINT
            ),
        }]
    );
    assert_eq!(
        run.files(),
        [
            "s3/b/_bucket.json",
            "s3/b/live-obj",
            "s3/b/live-obj.elastickv-meta.json"
        ]
    );
}

#[test]
fn file_vs_directory_key_collision_gets_leaf_data_rename() {
    let mut run = Run::new(options());
    emit_object(&mut run, "b", 1, b"path/to", b"LEAF");
    put_object(&mut run, "b", 1, b"path/to/sub", b"CHILD");
    run.done();
    assert_eq!(run.read("s3/b/path/to/sub"), b"CHILD");
    assert_eq!(run.read("s3/b/path/to.elastickv-leaf-data"), b"LEAF");
    assert!(run
        .path("s3/b/path/to.elastickv-leaf-data.elastickv-meta.json")
        .is_file());
    assert_eq!(
        run.text("s3/b/KEYMAP.jsonl"),
        format!(
            "{{\"encoded\":\"path/to.elastickv-leaf-data\",\"original\":\"{}\",\"kind\":\"s3-leaf-data\"}}\n",
            b64u(b"path/to")
        )
    );
}

#[test]
fn zero_chunk_count_part_ignores_stray_chunks() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 5, &[part(1, 1, 5, 0), part(2, 0, 0, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 0, 0), b"hello");
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 2, 0, 0), b"STRAY");
    run.done();
    assert_eq!(run.read("s3/b/o"), b"hello");
}

#[test]
fn duplicate_chunks_with_missing_index_rejected() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 3, &[part(1, 3, 3, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 0, 0), b"a");
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 2, 0), b"c");
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 2, 0), b"c");
    let err = run.fails();
    assert!(
        matches!(
            err,
            S3Error::IncompleteBlobChunks {
                chunk_no: 1,
                chunk_count: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(run.files().is_empty(), "{:?}", run.files());
}

#[test]
fn incomplete_chunks_rejected() {
    let mut run = Run::new(options());
    emit_object(&mut run, "b", 1, b"first", b"ok");
    run.ok(
        &manifest_key(b"b", 1, b"o/deep/x"),
        &manifest("u-1", 2, &[part(1, 3, 2, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"o/deep/x", b"u-1", 1, 0, 0), b"a");
    run.ok(&blob_key(b"b", 1, b"o/deep/x", b"u-1", 1, 2, 0), b"c");
    let err = run.fails();
    assert!(
        matches!(err, S3Error::IncompleteBlobChunks { chunk_no: 1, .. }),
        "{err}"
    );
    assert!(err
        .to_string()
        .starts_with("backup: incomplete blob chunks for manifest-declared part"));
    // The failed object left no file and no empty directory behind (H14).
    assert_eq!(
        run.files(),
        [
            "s3/b/_bucket.json",
            "s3/b/first",
            "s3/b/first.elastickv-meta.json"
        ]
    );
    assert!(run.empty_dirs().is_empty(), "{:?}", run.empty_dirs());
}

/// H14 for an encoded object whose copy had started: no temporary file, no empty
/// `_encoded_keys/` left.
#[test]
fn failed_encoded_object_leaves_no_directory() {
    let mut run = Run::new(options());
    run.ok(&bucket_meta_key(b"b"), &meta_json(1));
    run.ok(&chunkblob_key(&sha(b"1")), b"1");
    for chunk in 0..2 {
        let data = [b'1' + chunk as u8];
        run.ok(
            &chunkref_key(b"b", 1, b"x//y", b"up", 1, chunk, 0),
            &encode_chunk_ref(sha(&data), 1, b"n1", &[]),
        );
    }
    run.ok(
        &manifest_key(b"b", 1, b"x//y"),
        &manifest("up", 2, &[offloaded_part(1, &[1, 1], 0)]),
    );
    let err = run.fails();
    assert!(
        matches!(err, S3Error::IncompleteBlobChunks { chunk_no: 1, .. }),
        "{err}"
    );
    assert_eq!(run.files(), ["s3/b/_bucket.json"]);
    assert!(run.empty_dirs().is_empty(), "{:?}", run.empty_dirs());
}

#[test]
fn empty_slash_segments_rejected() {
    for key in [&b"a//b"[..], b"a/", b"/a//", b"x/"] {
        unsafe_key_kept(key, naming::PathProblem::EmptySegment);
    }
}

#[test]
fn versioned_blob_assembled_by_part_version_order() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 6, &[part(1, 1, 6, 9)]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 0, 9), b"vBlobX");
    run.done();
    assert_eq!(run.read("s3/b/o"), b"vBlobX");
}

// ------------------------------------------------------------------------------------------
// Our deliberate differences (docs/compatibility.md, S3)
// ------------------------------------------------------------------------------------------

/// H3: a manifest-less orphan below `a/` does not rename the real object `a`.
#[test]
fn orphans_never_force_renames() {
    let mut run = Run::new(options());
    emit_object(&mut run, "b", 1, b"a", b"real");
    run.ok(&blob_key(b"b", 1, b"a/b", b"u", 1, 0, 0), b"orphan");
    let warnings = run.done();
    assert_eq!(events(&warnings), ["s3_orphan_chunks"]);
    assert_eq!(run.read("s3/b/a"), b"real");
    assert!(!run.path("s3/b/KEYMAP.jsonl").exists());
}

/// H4: a chunk index beyond the part's count is not reported as "incomplete".
#[test]
fn surplus_chunk_is_named_for_what_it_is() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 2, &[part(1, 2, 2, 0)]),
    );
    for chunk in 0..3 {
        run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, chunk, 0), b"x");
    }
    let err = run.fails();
    assert!(
        matches!(
            err,
            S3Error::SurplusChunk {
                chunk_no: 2,
                chunk_count: 2,
                ..
            }
        ),
        "{err}"
    );
}

/// H5: folder markers and too-long segments are kept.
#[test]
fn folder_markers_and_long_segments_are_kept() {
    let mut run = Run::new(options());
    run.ok(&bucket_meta_key(b"b"), &meta_json(1));
    let long = vec![b'n'; 240]; // fits a file name, not with the sidecar suffix
    let keys: [&[u8]; 4] = [b"photos/", b"photos/cat.jpg", &long, b"a\x00b"];
    for key in keys {
        put_object(&mut run, "b", 1, key, key);
    }
    let warnings = run.done();
    assert_eq!(events(&warnings), ["s3_object_key_encoded"; 3]);
    assert_eq!(run.read("s3/b/photos/cat.jpg"), b"photos/cat.jpg");
    for key in [&b"photos/"[..], &long, b"a\x00b"] {
        assert_eq!(run.read(&encoded(key)), key);
    }
    let keymap = run.text("s3/b/KEYMAP.jsonl");
    assert_eq!(keymap.lines().count(), 3);
    // The folder marker is a directory prefix of photos/cat.jpg, so upstream would rename
    // `photos` … but `photos` itself is no object here: nothing is renamed.
    assert!(!keymap.contains("s3-leaf-data"));
}

/// H6: keys named like the bucket directory's own files, or below another object's
/// sidecar or renamed body, are kept apart instead of clobbering them.
#[test]
fn keys_clashing_with_layout_names_are_kept_apart() {
    let mut run = Run::new(options());
    run.ok(&bucket_meta_key(b"b"), &meta_json(1));
    let keys: [&[u8]; 9] = [
        b"_bucket.json",
        b"KEYMAP.jsonl",
        b"_orphans/x",
        b"_incomplete_uploads/records.jsonl",
        b"a",
        b"a/child",
        b"a.elastickv-leaf-data/y",
        b"s",
        b"s.elastickv-meta.json/x",
    ];
    for key in keys {
        put_object(&mut run, "b", 1, key, key);
    }
    let warnings = run.done();
    assert_eq!(
        run.text("s3/b/_bucket.json"),
        String::from_utf8(
            super::meta::BucketMeta::decode(&meta_json(1))
                .unwrap()
                .render(b"b")
        )
        .unwrap()
    );
    for key in [
        &b"_bucket.json"[..],
        b"KEYMAP.jsonl",
        b"_orphans/x",
        b"_incomplete_uploads/records.jsonl",
        b"a.elastickv-leaf-data/y",
        b"s.elastickv-meta.json/x",
    ] {
        assert_eq!(run.read(&encoded(key)), key, "{key:?}");
    }
    assert_eq!(run.read("s3/b/a.elastickv-leaf-data"), b"a");
    assert_eq!(run.read("s3/b/a/child"), b"a/child");
    assert_eq!(run.read("s3/b/s"), b"s");
    assert!(run.path("s3/b/s.elastickv-meta.json").is_file());
    assert_eq!(events(&warnings), ["s3_object_key_encoded"; 6]);
    let reasons: Vec<&str> = warnings.iter().map(|w| w.fields.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("a parent of")),
        "{reasons:?}"
    );
    assert!(reasons
        .iter()
        .any(|r| r.contains("name of the bucket directory's layout")));
    // KEYMAP.jsonl is the real key map: one line per renamed or encoded object.
    let keymap = run.text("s3/b/KEYMAP.jsonl");
    assert_eq!(keymap.lines().count(), 7, "{keymap}");
    // Strict mode stops at the first clash.
    let mut run = Run::new(strict());
    emit_object(&mut run, "b", 1, b"_bucket.json", b"x");
    assert!(matches!(run.fails(), S3Error::PathClash { .. }));
    let mut run = Run::new(strict());
    emit_object(&mut run, "b", 1, b"a", b"x");
    put_object(&mut run, "b", 1, b"a.elastickv-meta.json/x", b"y");
    let err = run.fails();
    assert!(
        matches!(
            &err,
            S3Error::PathClash {
                problem: naming::PathProblem::ParentIsFile { .. },
                ..
            }
        ),
        "{err}"
    );
}

/// H7: an object error still leaves KEYMAP.jsonl and records.jsonl complete for what was
/// written.
#[test]
fn error_paths_still_flush_keymap_and_records() {
    let mut run = Run::new(S3Options {
        include_incomplete_uploads: true,
        ..options()
    });
    emit_object(&mut run, "b", 1, b"a", b"leaf");
    put_object(&mut run, "b", 1, b"a/b", b"child");
    run.ok(
        &manifest_key(b"b", 1, b"z"),
        &manifest("u-1", 1, &[part(1, 2, 1, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"z", b"u-1", 1, 0, 0), b"z");
    run.ok(&upload_meta_key(b"b", 1, b"up", b"u-9"), b"{}");
    let err = run.fails();
    assert!(matches!(err, S3Error::IncompleteBlobChunks { .. }), "{err}");
    assert_eq!(run.read("s3/b/a.elastickv-leaf-data"), b"leaf");
    assert_eq!(run.text("s3/b/KEYMAP.jsonl").lines().count(), 1);
    assert_eq!(
        run.text("s3/b/_incomplete_uploads/records.jsonl")
            .lines()
            .count(),
        1
    );
}

/// H8: an empty manifest upload id filters blobs like chunkrefs: only chunks of the empty
/// upload id are assembled.
#[test]
fn empty_manifest_upload_id_filters_blobs() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("", 2, &[part(1, 1, 2, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"", 1, 0, 0), b"ok");
    run.ok(&blob_key(b"b", 1, b"o", b"other", 1, 0, 0), b"NO");
    run.done();
    assert_eq!(run.read("s3/b/o"), b"ok");
}

/// H12: the assembled bytes must add up to the manifest's sizes.
#[test]
fn size_mismatch_is_an_error() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 6, &[part(1, 1, 5, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 0, 0), b"hello");
    let err = run.fails();
    assert!(
        matches!(
            &err,
            S3Error::SizeMismatch { what, declared: 6, assembled: 5, .. } if what == "size_bytes"
        ),
        "{err}"
    );
    assert!(run.files().is_empty());
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("u-1", 5, &[part(1, 1, 4, 0), part(2, 0, 1, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"u-1", 1, 0, 0), b"hello");
    let err = run.fails();
    assert!(
        matches!(&err, S3Error::SizeMismatch { what, declared: 4, assembled: 5, .. } if what.starts_with("part 1")),
        "{err}"
    );
}

/// H13: `created_at_hlc` is kept in `_bucket.json` (after upstream's fields).
#[test]
fn bucket_creation_time_is_kept() {
    let mut run = Run::new(options());
    run.ok(
        &bucket_meta_key(b"b<&>"),
        br#"{"bucket_name":"b","generation":2,"created_at_hlc":123456789,"acl":"private","OWNER":"bob"}"#,
    );
    run.done();
    assert_eq!(
        run.text("s3/b%3C%26%3E/_bucket.json"),
        "{\n  \"format_version\": 1,\n  \"name\": \"b\\u003c\\u0026\\u003e\",\n  \"owner\": \"bob\",\n  \"acl\": \"private\",\n  \"created_at_hlc\": 123456789\n}"
    );
}

/// Several part versions of a multipart upload: only the manifest's version of each part,
/// in part order; the interleaved chunks are copied.
#[test]
fn multipart_with_several_part_versions() {
    let mut run = Run::new(options());
    run.ok(
        &manifest_key(b"b", 1, b"mp"),
        &manifest("up", 8, &[part(1, 2, 4, 20), part(2, 2, 4, 30)]),
    );
    // Key order: part, chunk, version (the retried versions interleave).
    for (part_no, chunk, version, data) in [
        (1, 0, 10, "x0"),
        (1, 0, 20, "a0"),
        (1, 1, 10, "x1"),
        (1, 1, 20, "a1"),
        (2, 0, 30, "b0"),
        (2, 0, 40, "y0"),
        (2, 1, 30, "b1"),
    ] {
        run.ok(
            &blob_key(b"b", 1, b"mp", b"up", part_no, chunk, version),
            data.as_bytes(),
        );
    }
    run.done();
    assert_eq!(run.read("s3/b/mp"), b"a0a1b0b1");
}

/// A part of inline chunks and an offloaded part in one object.
#[test]
fn offloaded_and_inline_parts_together() {
    let mut run = Run::new(options());
    let blob = b"offloaded!";
    run.ok(&chunkblob_key(&sha(blob)), blob);
    run.ok(
        &chunkref_key(b"b", 1, b"o", b"up", 2, 0, 5),
        &encode_chunk_ref(sha(blob), 10, b"n1", &[(b"n2", b"addr")]),
    );
    run.ok(&blob_key(b"b", 1, b"o", b"up", 1, 0, 4), b"inline-");
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("up", 17, &[part(1, 1, 7, 4), offloaded_part(2, &[10], 5)]),
    );
    run.done();
    assert_eq!(run.read("s3/b/o"), b"inline-offloaded!");
    // The same chunkblob may serve several objects.
    let mut run = Run::new(options());
    run.ok(&chunkblob_key(&sha(blob)), blob);
    for key in [&b"one"[..], b"two"] {
        run.ok(
            &chunkref_key(b"b", 1, key, b"up", 1, 0, 0),
            &encode_chunk_ref(sha(blob), 10, b"n1", &[]),
        );
        run.ok(
            &manifest_key(b"b", 1, key),
            &manifest("up", 10, &[offloaded_part(1, &[10], 0)]),
        );
    }
    run.done();
    assert_eq!(run.read("s3/b/one"), blob);
    assert_eq!(run.read("s3/b/two"), blob);
}

/// A stray chunkref of a zero-count offloaded part is still checked (H11, as upstream).
#[test]
fn stray_chunkref_of_zero_count_part_is_checked() {
    let mut run = Run::new(options());
    run.ok(&chunkblob_key(&sha(b"x")), b"x");
    run.ok(
        &chunkref_key(b"b", 1, b"o", b"up", 1, 0, 0),
        &encode_chunk_ref(sha(b"x"), 1, b"n1", &[]),
    );
    run.ok(
        &manifest_key(b"b", 1, b"o"),
        &manifest("up", 0, &[offloaded_part(1, &[], 0)]),
    );
    assert!(matches!(run.fails(), S3Error::InvalidChunkRef { .. }));
}

/// Without a bucket generation every generation is active; the newest one is written.
#[test]
fn without_bucket_generation_the_newest_generation_wins() {
    let mut run = Run::new(options());
    put_object(&mut run, "b", 1, b"o", b"older");
    put_object(&mut run, "b", 2, b"o", b"newer");
    assert!(run.done().is_empty());
    assert_eq!(run.read("s3/b/o"), b"newer");
    assert!(!run.path("s3/b/_bucket.json").exists());
}

/// Go's decoding rules for the manifest: case-insensitive keys, last duplicate wins,
/// `null` leaves fields, a duplicate `parts` array decodes into the earlier elements.
#[test]
fn manifest_json_follows_go_decoding() {
    let m = manifest::Manifest::decode(
        br#"{"UPLOAD_ID":"u","upload_id":"v","size_bytes":3,"etag":null,"Content_Type":"t",
            "user_metadata":{"b":"2","a":null},"parts":[{"part_no":1,"chunk_count":1,"size_bytes":3,"part_version":5}],
            "parts":[{"chunk_count":2}]}"#,
    )
    .unwrap();
    assert_eq!(m.upload_id, b"v");
    assert_eq!(m.parts.len(), 1);
    assert_eq!(
        (
            m.parts[0].part_no,
            m.parts[0].chunk_count,
            m.parts[0].version
        ),
        (1, 2, 5)
    );
    assert_eq!(
        String::from_utf8(m.sidecar).unwrap(),
        "{\n  \"format_version\": 1,\n  \"size_bytes\": 3,\n  \"content_type\": \"t\",\n  \"user_metadata\": {\n    \"a\": \"\",\n    \"b\": \"2\"\n  }\n}"
    );
    assert!(manifest::Manifest::decode(b"null")
        .unwrap()
        .parts
        .is_empty());
    for bad in [
        &br#"{"size_bytes":1.0}"#[..],
        br#"{"parts":[{"chunk_count":-1}]}"#,
        br#"{"user_metadata":{"k":1}}"#,
        br#"{"parts":{}}"#,
        br#"[]"#,
        b"",
        br#"{} x"#,
    ] {
        assert!(manifest::Manifest::decode(bad).is_err(), "{bad:?}");
    }
    // Duplicate declared parts: the later one wins.
    let m = manifest::Manifest::decode(
        br#"{"parts":[{"part_no":1,"chunk_count":1},{"part_no":1,"chunk_count":4}]}"#,
    )
    .unwrap();
    assert_eq!(m.parts.len(), 1);
    assert_eq!(m.parts[0].chunk_count, 4);
}

/// The body fast path: a chunk file holding exactly the body is moved; every other case
/// copies, with the same bytes.
#[test]
fn chunk_files_are_moved_when_they_are_the_body() {
    let mut run = Run::new(options());
    run.ok(&bucket_meta_key(b"b"), &meta_json(1));
    // Three chunks in order: moved.
    run.ok(
        &manifest_key(b"b", 1, b"big"),
        &manifest("u", 9, &[part(1, 3, 9, 0)]),
    );
    for chunk in 0..3u64 {
        run.ok(&blob_key(b"b", 1, b"big", b"u", 1, chunk, 0), b"abc");
    }
    // An empty object and one whose chunk file holds a chunk of an undeclared part.
    run.ok(&manifest_key(b"b", 1, b"empty"), &manifest("u", 0, &[]));
    run.ok(
        &manifest_key(b"b", 1, b"extra"),
        &manifest("u", 3, &[part(1, 1, 3, 0)]),
    );
    run.ok(&blob_key(b"b", 1, b"extra", b"u", 1, 0, 0), b"xyz");
    run.ok(&blob_key(b"b", 1, b"extra", b"u", 2, 0, 0), b"!!");
    run.done();
    assert_eq!(run.read("s3/b/big"), b"abcabcabc");
    assert_eq!(run.read("s3/b/empty"), b"");
    assert_eq!(run.read("s3/b/extra"), b"xyz");
    let stats = run.stats();
    assert_eq!((stats.moved_bytes, stats.copied_bytes), (9, 3));
    assert_eq!(stats.scratch_bytes, 9 + 5);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(run.path("s3/b/big"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

/// Whatever the memory budget, the same files.
#[test]
fn tiny_budget_gives_the_same_bytes() {
    let build = |run: &mut Run| {
        run.ok(&bucket_meta_key(b"b"), &meta_json(1));
        for i in 0..40u64 {
            let key = format!("dir{}/obj-{i}", i % 3);
            put_object(run, "b", 1, key.as_bytes(), key.as_bytes());
        }
        put_object(run, "b", 1, b"dir1", b"leaf");
        run.ok(&blob_key(b"b", 1, b"orphan", b"u", 1, 0, 0), b"o");
    };
    let mut a = Run::new(options());
    build(&mut a);
    let wa = a.done();
    let mut b = Run::with_budget(options(), MemoryBudget::new(0));
    build(&mut b);
    let wb = b.done();
    assert_eq!(wa, wb);
    assert_eq!(a.files(), b.files());
    for file in a.files() {
        assert_eq!(a.read(&file), b.read(&file), "{file}");
    }
    assert!(a
        .files()
        .contains(&"s3/b/dir1.elastickv-leaf-data".to_string()));
}

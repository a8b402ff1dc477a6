//! End to end: the real node file of `../shared/fixtures/real-small/` (written by elastickv's
//! own storage code) and its bare store stream decode to the same state.

mod common;

use common::{fixture, json_stdout, run, tree};

/// Adapters whose writers exist: their subtree of `expected/` must be reproduced exactly.
/// Each adapter issue adds its name here.
const ADAPTERS_WITH_WRITERS: &[&str] = &["dynamodb", "redis", "s3", "sqs"];

fn decode_json(input: &str, out: &std::path::Path) -> serde_json::Value {
    let output = run(&[
        "decode",
        "--input",
        input,
        "--output",
        out.to_str().unwrap(),
        "--json",
        "--quiet",
    ]);
    json_stdout(&output)
}

/// What entries.txt says: 62 MVCC versions (6 tombstones), 2 raw `_meta_*` rows, 48 keys
/// visible at last_commit_ts.
fn assert_fixture_counters(summary: &serde_json::Value) {
    let c = &summary["counters"];
    assert_eq!(c["entries"], 64);
    assert_eq!(c["operational"], 2);
    assert_eq!(c["tombstoned"], 6, "deleted keys stay deleted");
    // 6 versions under the tombstones, plus the older `!redis|str|foo` and sessions item.
    assert_eq!(c["superseded"], 8);
    assert_eq!(c["expired"], 0);
    assert_eq!(c["after_read_ts"], 0);
    assert_eq!(c["dynamodb"], 9);
    assert_eq!(c["s3"], 3);
    assert_eq!(c["redis"], 19);
    assert_eq!(c["sqs"], 16);
    assert_eq!(c["internal"], 1, "!s3|bucket|gen| is internal");
    assert_eq!(c["unknown"], 0);
    assert_eq!(c["adapter_disabled"], 0);
    assert_eq!(summary["last_commit_ts"], 116654080065536007u64);
    assert_eq!(summary["read_ts"], 116654080065536007u64);
    assert_eq!(summary["read_ts_source"], "last-commit-ts");
}

#[test]
fn node_file_decodes_with_header_footer_and_meta_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dump");
    let input = fixture("000000000000006d.fsm");
    let summary = decode_json(input.to_str().unwrap(), &out);
    assert_fixture_counters(&summary);
    assert_eq!(summary["framing"], "node-v1");
    assert_eq!(summary["crc32c"], "f8e5da5b verified");
    // The file name is the raft index in hex: 0x6d = 109.
    assert_eq!(summary["snapshot_index"], 109);
    assert_eq!(summary["snapshot_index_source"], "file-name");

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("MANIFEST.json")).unwrap()).unwrap();
    assert_eq!(manifest["snapshot_index"], 109);
    assert_eq!(manifest["last_commit_ts"], 116654080065536007u64);
    assert_eq!(
        manifest["input"]["fsm_header"]["ceiling_ms"],
        1780000003000u64
    );
    assert_eq!(manifest["input"]["crc32c"]["status"], "verified");
    assert_eq!(manifest["input"]["crc32c"]["value"], "f8e5da5b");
}

#[test]
fn bare_store_stream_decodes_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dump");
    let input = fixture("store-stream.bin");
    let summary = decode_json(input.to_str().unwrap(), &out);
    assert_fixture_counters(&summary);
    assert_eq!(summary["framing"], "bare-stream");
    assert_eq!(summary["crc32c"], "absent");
    // No node file name: the index comes from `_meta_applied_index`.
    assert_eq!(summary["snapshot_index"], 109);
    assert_eq!(summary["snapshot_index_source"], "meta-applied-index");
}

#[test]
fn tree_matches_expected_for_adapters_with_writers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dump");
    decode_json(fixture("000000000000006d.fsm").to_str().unwrap(), &out);

    let mut produced = tree(&out);
    assert!(produced.remove("MANIFEST.json").is_some());
    assert!(produced.remove("CHECKSUMS").is_some());
    let expected: std::collections::BTreeMap<_, _> = tree(&fixture("expected"))
        .into_iter()
        .filter(|(path, _)| {
            ADAPTERS_WITH_WRITERS
                .iter()
                .any(|a| path.starts_with(&format!("{a}/")))
        })
        .collect();
    assert_eq!(
        produced.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "file list differs"
    );
    for (path, bytes) in &expected {
        assert_eq!(&produced[path], bytes, "{path} differs");
    }
}

//! The Redis adapter end to end: snapshots built with the project's writer, decoded with
//! `decode()`. Upstream's router scenarios touching Redis (redis.md §12, decode_test.go),
//! MVCC (only the visible version of each key; deleted keys stay deleted), the real fixture,
//! errors stopping the decode, and the memory budget. Adapter-level cases are in
//! `runtime/src/redis/tests.rs`; the 1,000,000-member case is `redis_memory.rs`, the replay
//! into a real redis-server `redis_replay.rs`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use ekvsnap_runtime::adapters::{AdapterError, AdapterSet};
use ekvsnap_runtime::decode::DecodeError;
use ekvsnap_runtime::redis::{ErrorClass, RedisError};
use ekvsnap_runtime::scan::ScanError;
use ekvsnap_runtime::snapshot::writer::SortedSnapshotBuilder;

use common::{config, files_under, run, write_snapshot, TS};

const FIXTURE: u64 = 1_788_998_400_000;

/// Every file under `root/redis`, by path relative to `root/redis/db_0`.
fn redis_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let base = root.join("redis/db_0");
    files_under(&base, &base)
}

fn lp(uk: &[u8]) -> Vec<u8> {
    [&(uk.len() as u32).to_be_bytes()[..], uk].concat()
}

fn put(b: &mut SortedSnapshotBuilder, key: &[u8], value: &[u8]) {
    b.put_mvcc(key, TS, false, 0, value).unwrap();
}

fn text(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(tree[path].clone()).unwrap()
}

fn redis_error(err: &DecodeError) -> &RedisError {
    match err {
        DecodeError::Scan {
            source:
                ScanError::Adapter {
                    adapter: "redis",
                    source: AdapterError::Redis(e),
                },
            ..
        } => e.as_ref(),
        other => panic!("Redis adapter error expected, got {other:?}"),
    }
}

/// Upstream TestDecodeSnapshot_RoutesRedisString.
#[test]
fn routes_a_redis_string() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(&mut b, b"!redis|str|greeting", b"\xFF\x01\x00hello");
    let out = dir.path().join("out");
    let report = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    assert_eq!(report.counters.redis, 1);
    assert_eq!(
        redis_tree(&out).into_iter().collect::<Vec<_>>(),
        vec![("strings/greeting.bin".to_string(), b"hello".to_vec())]
    );
}

/// Upstream TestDecodeSnapshot_DropsTombstones.
#[test]
fn tombstoned_strings_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_mvcc(b"!redis|str|gone", TS, true, 0, b"").unwrap();
    let out = dir.path().join("out");
    let report = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    assert_eq!((report.counters.tombstoned, report.counters.redis), (1, 0));
    assert!(!out.join("redis").exists());
}

/// Upstream TestDecodeSnapshot_DisabledAdapterCountsAsInternal (ours: `adapter_disabled`).
#[test]
fn disabled_adapter_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(&mut b, b"!redis|str|k", b"v");
    put(
        &mut b,
        &[b"!hs|fld|".as_slice(), &lp(b"h"), b"f"].concat(),
        b"v",
    );
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapters = AdapterSet::parse("sqs").unwrap();
    let report = run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    assert_eq!(report.counters.adapter_disabled, 2);
    assert_eq!(report.counters.unknown, 0);
    assert!(!out.join("redis").exists());
}

/// MVCC: the newest version of each key only, deleted keys stay deleted, a deleted hash field
/// and set member are gone, a TTL index row deleted later is not applied, an expired version
/// is not visible (docs/compatibility.md M1; upstream keeps the oldest version, §11.1).
#[test]
fn only_the_visible_version_of_each_record_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    // A string overwritten, then a string deleted.
    b.put_mvcc(b"!redis|str|foo", 20, false, 0, b"\xFF\x01\x00new")
        .unwrap();
    b.put_mvcc(b"!redis|str|foo", 10, false, 0, b"\xFF\x01\x00old")
        .unwrap();
    b.put_mvcc(b"!redis|str|gone", 20, true, 0, b"").unwrap();
    b.put_mvcc(b"!redis|str|gone", 10, false, 0, b"v").unwrap();
    // A hash field updated, another deleted.
    let field = |f: &[u8]| [b"!hs|fld|".as_slice(), &lp(b"h"), f].concat();
    b.put_mvcc(&field(b"a"), 20, false, 0, b"2").unwrap();
    b.put_mvcc(&field(b"a"), 10, false, 0, b"1").unwrap();
    b.put_mvcc(&field(b"b"), 20, true, 0, b"").unwrap();
    b.put_mvcc(&field(b"b"), 10, false, 0, b"x").unwrap();
    b.put_mvcc(
        &[b"!hs|meta|".as_slice(), &lp(b"h")].concat(),
        20,
        false,
        0,
        &1u64.to_be_bytes(),
    )
    .unwrap();
    b.put_mvcc(
        &[b"!hs|meta|".as_slice(), &lp(b"h")].concat(),
        10,
        false,
        0,
        &2u64.to_be_bytes(),
    )
    .unwrap();
    // A TTL removed (PERSIST) after it was set.
    b.put_mvcc(b"!redis|ttl|h", 30, true, 0, b"").unwrap();
    b.put_mvcc(b"!redis|ttl|h", 15, false, 0, &FIXTURE.to_be_bytes())
        .unwrap();
    // A zset member whose score changed; a stream entry deleted (XDEL) and one expired.
    let member = [b"!zs|mem|".as_slice(), &lp(b"z"), b"m"].concat();
    b.put_mvcc(&member, 20, false, 0, &2.0f64.to_be_bytes())
        .unwrap();
    b.put_mvcc(&member, 10, false, 0, &1.0f64.to_be_bytes())
        .unwrap();
    let entry = |ms: u64| {
        [
            b"!stream|entry|".as_slice(),
            &lp(b"s"),
            &ms.to_be_bytes(),
            &0u64.to_be_bytes(),
        ]
        .concat()
    };
    let value = b"\x00RXE\x01\x0A\x03x-y\x12\x01k\x12\x01v";
    b.put_mvcc(&entry(1), 20, true, 0, b"").unwrap();
    b.put_mvcc(&entry(1), 10, false, 0, value).unwrap();
    b.put_mvcc(&entry(2), 10, false, 0, value).unwrap();
    b.put_mvcc(&entry(3), 10, false, 50, value).unwrap();
    let meta: Vec<u8> = [1u64, 2, 0].iter().flat_map(|v| v.to_be_bytes()).collect();
    b.put_mvcc(
        &[b"!stream|meta|".as_slice(), &lp(b"s")].concat(),
        20,
        false,
        0,
        &meta,
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.read_ts = Some(100);
    let report = run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let tree = redis_tree(&out);
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        vec![
            "hashes/h.json",
            "streams/s.jsonl",
            "strings/foo.bin",
            "zsets/z.json"
        ]
    );
    assert_eq!(tree["strings/foo.bin"], b"new");
    let h: serde_json::Value = serde_json::from_slice(&tree["hashes/h.json"]).unwrap();
    assert_eq!(
        h["fields"],
        serde_json::json!([{"name": "a", "value": "2"}])
    );
    assert!(h["expire_at_ms"].is_null());
    let z: serde_json::Value = serde_json::from_slice(&tree["zsets/z.json"]).unwrap();
    assert_eq!(z["members"][0]["score"], 2);
    assert_eq!(
        text(&tree, "streams/s.jsonl"),
        "{\"id\":\"2-0\",\"fields\":[{\"name\":\"k\",\"value\":\"v\"}]}\n\
         {\"_meta\":true,\"length\":1,\"last_ms\":2,\"last_seq\":0,\"expire_at_ms\":null}\n"
    );
}

/// The real fixture's Redis subtree, byte for byte (also in tests/fixture_real_small.rs for
/// the CLI).
#[test]
fn real_fixture_redis_tree_matches() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/real-small");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let report = run(&fixture.join("000000000000006d.fsm"), &config(&out)).unwrap();
    assert_eq!(report.counters.redis, 19);
    assert!(!report.warnings.keys().any(|w| w.starts_with("redis_")));
    let produced = redis_tree(&out);
    let expected = redis_tree(&fixture.join("expected"));
    assert_eq!(produced, expected);
}

/// A malformed record stops the decode with its typed error; files of other keys written at
/// finalize stay, and no MANIFEST.json marks the dump complete.
#[test]
fn bad_record_stops_the_decode() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(&mut b, b"!redis|str|a", b"ok");
    put(&mut b, b"!redis|ttl|a", b"\x00\x01");
    let out = dir.path().join("out");
    let err = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap_err();
    let e = redis_error(&err);
    assert_eq!(e.class(), Some(ErrorClass::TtlValue));
    assert!(e
        .to_string()
        .starts_with("backup: invalid !redis|ttl| value"));
    assert!(!out.join("MANIFEST.json").exists());
    assert_eq!(
        std::fs::read(out.join("redis/db_0/strings/a.bin")).unwrap(),
        b"ok"
    );
}

/// Legacy blobs are routed (counted `redis`, not `unknown`) and decoded end to end; their TTL
/// rows are applied, not orphans (docs/compatibility.md R1, RD1).
#[test]
fn legacy_blobs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put(&mut b, b"!redis|set|tags", b"\x00RS\x01\x0A\x01b\x0A\x01a");
    put(
        &mut b,
        b"!redis|hash|h",
        b"\x00RH\x01\x0A\x06\x0A\x01k\x12\x01v",
    );
    put(&mut b, b"!redis|ttl|tags", &FIXTURE.to_be_bytes());
    let out = dir.path().join("out");
    let report = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    assert_eq!((report.counters.redis, report.counters.unknown), (3, 0));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let tree = redis_tree(&out);
    assert_eq!(
        text(&tree, "sets/tags.json"),
        "{\n  \"format_version\": 1,\n  \"members\": [\n    \"a\",\n    \"b\"\n  ],\n  \"expire_at_ms\": 1788998400000\n}"
    );
    assert!(text(&tree, "hashes/h.json").contains("\"name\": \"k\""));
}

/// The same bytes whatever the memory budget (everything spilled with a tiny one).
#[test]
fn output_is_identical_whatever_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    for k in 0..20u32 {
        let uk = format!("key:{k}").into_bytes();
        for i in 0..200u32 {
            put(
                &mut b,
                &[b"!hs|fld|".as_slice(), &lp(&uk), &i.to_be_bytes()].concat(),
                b"v",
            );
            put(
                &mut b,
                &[b"!st|mem|".as_slice(), &lp(&uk), &i.to_le_bytes()].concat(),
                b"",
            );
            let score = f64::from(i) * 1.25 - 100.0;
            put(
                &mut b,
                &[b"!zs|mem|".as_slice(), &lp(&uk), &i.to_le_bytes()].concat(),
                &score.to_be_bytes(),
            );
            let seq = (i64::from(i) - 100) as u64 ^ (1 << 63);
            put(
                &mut b,
                &[b"!lst|itm|".as_slice(), &uk, &seq.to_be_bytes()].concat(),
                b"item",
            );
        }
        put(
            &mut b,
            &[b"!redis|str|".as_slice(), &uk].concat(),
            b"legacy",
        );
        put(
            &mut b,
            &[b"!redis|ttl|".as_slice(), &uk].concat(),
            &FIXTURE.to_be_bytes(),
        );
        put(
            &mut b,
            &[b"!hs|meta|".as_slice(), &lp(&uk)].concat(),
            &200u64.to_be_bytes(),
        );
    }
    let snap = write_snapshot(dir.path(), &b);
    let big = dir.path().join("big");
    let tiny = dir.path().join("tiny");
    let big_report = run(&snap, &config(&big)).unwrap();
    let mut cfg = config(&tiny);
    cfg.memory_budget = 4 << 10;
    let tiny_report = run(&snap, &cfg).unwrap();
    assert_eq!(big_report.warnings, tiny_report.warnings);
    let (a, b) = (redis_tree(&big), redis_tree(&tiny));
    assert_eq!(a.len(), 20 * 5 + 1);
    assert_eq!(a, b);
}

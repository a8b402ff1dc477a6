//! The SQS adapter end to end: snapshots built with the project's writer, decoded with
//! `decode()`. Upstream's round-trip scenarios (sqs.md §12, "Related tests"), MVCC, the
//! memory budget, and the real fixture with side records on. Adapter-level cases are in
//! `runtime/src/sqs/tests.rs`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

use ekvsnap_runtime::adapters::{AdapterError, AdapterSet};
use ekvsnap_runtime::decode::DecodeError;
use ekvsnap_runtime::scan::ScanError;
use ekvsnap_runtime::snapshot::writer::SortedSnapshotBuilder;
use ekvsnap_runtime::sqs::SqsError;

use common::{config, files_under, run, write_snapshot, TS};

/// Every file under `root/sqs`, by path relative to `root`.
fn sqs_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(root, &root.join("sqs"))
}

fn text(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> String {
    String::from_utf8(tree[path].clone()).unwrap()
}

fn b64u(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn meta(b: &mut SortedSnapshotBuilder, queue: &str, json: &str) {
    let key = format!("!sqs|queue|meta|{}", b64u(queue.as_bytes()));
    let value = [b"\x00SQ\x01".as_slice(), json.as_bytes()].concat();
    b.put_mvcc(key.as_bytes(), TS, false, 0, &value).unwrap();
}

fn generation(b: &mut SortedSnapshotBuilder, queue: &str, value: u64) {
    let key = format!("!sqs|queue|gen|{}", b64u(queue.as_bytes()));
    b.put_mvcc(key.as_bytes(), TS, false, 0, value.to_string().as_bytes())
        .unwrap();
}

fn data_key(queue: &str, partition: Option<u32>, gen: u64, id: &str) -> Vec<u8> {
    let mut k = b"!sqs|msg|data|".to_vec();
    if let Some(p) = partition {
        k.extend_from_slice(format!("p|{}|", b64u(queue.as_bytes())).as_bytes());
        k.extend_from_slice(&p.to_be_bytes());
    } else {
        k.extend_from_slice(b64u(queue.as_bytes()).as_bytes());
    }
    k.extend_from_slice(&gen.to_be_bytes());
    k.extend_from_slice(b64u(id.as_bytes()).as_bytes());
    k
}

fn message(id: &str, body: &[u8], sent: i64, seq: u64, receive_count: u64) -> Vec<u8> {
    let json = format!(
        r#"{{"message_id":"{id}","body":"{}","md5_of_body":"x","send_timestamp_millis":{sent},"available_at_millis":{sent},"visible_at_millis":{},"receive_count":{receive_count},"queue_generation":1,"sequence_number":{seq}}}"#,
        STANDARD.encode(body),
        sent + 30_000
    );
    [b"\x00SM\x01".as_slice(), json.as_bytes()].concat()
}

fn put_message(
    b: &mut SortedSnapshotBuilder,
    queue: &str,
    partition: Option<u32>,
    id: &str,
    body: &[u8],
    sent: i64,
) {
    b.put_mvcc(
        &data_key(queue, partition, 1, id),
        TS,
        false,
        0,
        &message(id, body, sent, 0, 0),
    )
    .unwrap();
}

/// The SQS error that stopped a decode.
fn sqs_error(err: &DecodeError) -> &SqsError {
    match err {
        DecodeError::Scan {
            source:
                ScanError::Adapter {
                    adapter: "sqs",
                    source: AdapterError::Sqs(e),
                },
            ..
        } => e.as_ref(),
        other => panic!("SQS adapter error expected, got {other:?}"),
    }
}

// Upstream TestSQSEncodeStandardQueueRoundTrip, adapted: a standard queue decodes with its
// configuration and bodies intact.
#[test]
fn standard_queue_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    meta(
        &mut b,
        "std",
        r#"{"name":"std","generation":1,"visibility_timeout_seconds":45,"message_retention_seconds":86400,"tags":{"team":"a"}}"#,
    );
    generation(&mut b, "std", 1);
    put_message(&mut b, "std", None, "m1", b"hello", 10);
    put_message(&mut b, "std", None, "m2", b"world", 20);
    let out = dir.path().join("out");
    let report = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    assert_eq!(report.counters.sqs, 4);
    let tree = sqs_tree(&out);
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        vec!["sqs/std/_queue.json", "sqs/std/messages.jsonl"]
    );
    assert_eq!(
        text(&tree, "sqs/std/_queue.json"),
        "{\n  \"format_version\": 1,\n  \"name\": \"std\",\n  \"visibility_timeout_seconds\": 45,\n  \"message_retention_seconds\": 86400,\n  \"delay_seconds\": 0\n}"
    );
    assert_eq!(
        text(&tree, "sqs/std/messages.jsonl"),
        concat!(
            r#"{"message_id":"m1","body":"hello","md5_of_body":"x","send_timestamp_millis":10,"available_at_millis":10,"visible_at_millis":0,"receive_count":0,"queue_generation":1}"#,
            "\n",
            r#"{"message_id":"m2","body":"world","md5_of_body":"x","send_timestamp_millis":20,"available_at_millis":20,"visible_at_millis":0,"receive_count":0,"queue_generation":1}"#,
            "\n"
        )
    );
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

// Upstream TestSQSEncodeBinaryBodyRoundTrip: body bytes FF 00 FE are dumped as
// {"base64":"_wD-"}.
#[test]
fn binary_body_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    meta(&mut b, "bin", r#"{"name":"bin"}"#);
    put_message(&mut b, "bin", None, "m", &[0xff, 0x00, 0xfe], 1);
    let out = dir.path().join("out");
    run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    let line = text(&sqs_tree(&out), "sqs/bin/messages.jsonl");
    assert!(line.contains(r#""body":{"base64":"_wD-"}"#), "{line}");
    assert_eq!(URL_SAFE_NO_PAD.decode("_wD-").unwrap(), [0xff, 0x00, 0xfe]);
}

// Upstream TestSQSEncodeLegacyDumpsWithoutPartitionStillRoundTrip and
// TestSQSEncodePartitionedQueueRoundTrip: classic queues carry no `partition`, an HT-FIFO
// queue written in the partitioned shape carries each key's partition, and its partitioned
// side records are buffered for the same queue.
#[test]
fn legacy_and_partitioned_queues() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    meta(&mut b, "classic", r#"{"name":"classic"}"#);
    put_message(&mut b, "classic", None, "c1", b"one", 1);
    meta(
        &mut b,
        "ht.fifo",
        r#"{"name":"ht.fifo","is_fifo":true,"partition_count":2,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup"}"#,
    );
    put_message(&mut b, "ht.fifo", Some(1), "h1", b"a", 5);
    put_message(&mut b, "ht.fifo", Some(0), "h2", b"b", 6);
    for prefix in ["!sqs|msg|vis|", "!sqs|msg|byage|", "!sqs|msg|dedup|"] {
        let mut k = format!("{prefix}p|{}|", b64u(b"ht.fifo")).into_bytes();
        k.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
        k.extend_from_slice(b"aDE");
        b.put_mvcc(&k, TS, false, 0, b"h1").unwrap();
    }
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapter_options.sqs.include_sqs_side_records = true;
    let report = run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    assert!(!report.warnings.contains_key("sqs_orphan_messages"));
    let tree = sqs_tree(&out);
    assert!(!text(&tree, "sqs/classic/messages.jsonl").contains("partition"));
    let ht = text(&tree, "sqs/ht.fifo/messages.jsonl");
    let lines: Vec<&str> = ht.lines().collect();
    assert!(lines[0].contains(r#""message_id":"h1""#) && lines[0].ends_with(r#","partition":1}"#));
    assert!(lines[1].contains(r#""message_id":"h2""#) && lines[1].ends_with(r#","partition":0}"#));
    let side = text(&tree, "sqs/ht.fifo/_internals/side_records.jsonl");
    let prefixes: Vec<&str> = side.lines().map(|l| l.split('"').nth(3).unwrap()).collect();
    assert_eq!(
        prefixes,
        vec!["!sqs|msg|byage|", "!sqs|msg|dedup|", "!sqs|msg|vis|"],
        "arrival (key) order, base prefix labels"
    );
}

// Upstream TestDecodeSnapshot_DisabledAdapterCountsAsInternal, for SQS (ekvsnap counts
// `adapter_disabled`, docs/compatibility.md M2).
#[test]
fn disabled_sqs_adapter_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    meta(&mut b, "q", "{}");
    put_message(&mut b, "q", None, "m", b"x", 1);
    // Even a malformed SQS key is not parsed when the adapter is off.
    b.put_mvcc(b"!sqs|msg|data|\x00", TS, false, 0, b"junk")
        .unwrap();
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapters = AdapterSet::parse("redis").unwrap();
    let report = run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    assert_eq!(report.counters.adapter_disabled, 3);
    assert_eq!(report.counters.sqs, 0);
    assert!(!out.join("sqs").exists());
}

#[test]
fn only_the_visible_version_of_each_record_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    // Meta: the newer version wins (upstream lets the older one overwrite it).
    let meta_key = format!("!sqs|queue|meta|{}", b64u(b"q"));
    b.put_mvcc(
        meta_key.as_bytes(),
        TS + 5,
        false,
        0,
        b"\x00SQ\x01{\"name\":\"q\",\"visibility_timeout_seconds\":99}",
    )
    .unwrap();
    b.put_mvcc(
        meta_key.as_bytes(),
        TS,
        false,
        0,
        b"\x00SQ\x01{\"name\":\"q\",\"visibility_timeout_seconds\":1}",
    )
    .unwrap();
    // Gen: newest is 2; an older 1 would keep the previous generation's messages instead.
    let gen_key = format!("!sqs|queue|gen|{}", b64u(b"q"));
    b.put_mvcc(gen_key.as_bytes(), TS + 5, false, 0, b"2")
        .unwrap();
    b.put_mvcc(gen_key.as_bytes(), TS, false, 0, b"1").unwrap();
    // A message received twice: one line, the newest state.
    let with_gen = |gen: u64, receive_count: u64| {
        let json = format!(
            r#"{{"message_id":"m","body":"aGk=","send_timestamp_millis":1,"receive_count":{receive_count},"queue_generation":{gen}}}"#
        );
        [b"\x00SM\x01".as_slice(), json.as_bytes()].concat()
    };
    let live = data_key("q", None, 2, "m");
    b.put_mvcc(&live, TS + 3, false, 0, &with_gen(2, 2))
        .unwrap();
    b.put_mvcc(&live, TS + 2, false, 0, &with_gen(2, 1))
        .unwrap();
    // A deleted message (tombstone newest) does not come back.
    let deleted = data_key("q", None, 2, "gone");
    b.put_mvcc(&deleted, TS + 4, true, 0, b"").unwrap();
    b.put_mvcc(&deleted, TS + 1, false, 0, &with_gen(2, 0))
        .unwrap();
    // An expired message version is not visible either.
    b.put_mvcc(
        &data_key("q", None, 2, "exp"),
        TS,
        false,
        1,
        &with_gen(2, 0),
    )
    .unwrap();
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapter_options.sqs.preserve_sqs_visibility = true;
    let report = run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let tree = sqs_tree(&out);
    assert!(text(&tree, "sqs/q/_queue.json").contains("\"visibility_timeout_seconds\": 99"));
    assert_eq!(
        text(&tree, "sqs/q/messages.jsonl"),
        "{\"message_id\":\"m\",\"body\":\"hi\",\"send_timestamp_millis\":1,\"available_at_millis\":0,\"visible_at_millis\":0,\"receive_count\":2,\"queue_generation\":2}\n"
    );
}

#[test]
fn malformed_key_stops_the_decode_after_finalizing() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    meta(&mut b, "q", "{}");
    // Sorts before the meta: the scan stops at it, finalize still runs.
    b.put_mvcc(b"!sqs|msg|data|cQ\x00\x00", TS, false, 0, b"x")
        .unwrap();
    let out = dir.path().join("out");
    let err = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap_err();
    assert!(
        matches!(sqs_error(&err), SqsError::MalformedKey { .. }),
        "{err}"
    );
    assert!(
        err.to_string().contains("backup: malformed SQS key"),
        "{err}"
    );
    assert!(!out.join("MANIFEST.json").exists());
    assert!(sqs_tree(&out).is_empty(), "the meta was never reached");
}

#[test]
fn unsafe_queue_name_stops_the_decode() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    meta(&mut b, "..", r#"{"name":"x"}"#);
    let out = dir.path().join("out");
    let err = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap_err();
    assert!(
        matches!(sqs_error(&err), SqsError::UnsafeQueueName { .. }),
        "{err}"
    );
    let mut everything = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        everything.push(entry.unwrap().file_name().into_string().unwrap());
    }
    everything.sort();
    assert_eq!(
        everything,
        vec!["out", "snap.fsm"],
        "nothing beside the output"
    );
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing inside it"
    );
}

/// Thousands of messages over several queues, with side records, sent out of key order.
fn many_messages() -> SortedSnapshotBuilder {
    let mut b = SortedSnapshotBuilder::new();
    let queues = ["alpha", "beta.fifo", "gamma", "delta"];
    for (i, q) in queues.iter().enumerate() {
        meta(
            &mut b,
            q,
            &format!(r#"{{"name":"{q}","delay_seconds":{i}}}"#),
        );
        generation(&mut b, q, 1);
    }
    for i in 0..6000u64 {
        let q = queues[(i % 4) as usize];
        let id = format!("{:032x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let sent = ((i * 7919) % 1500) as i64;
        let body = format!("message {i} <{}>", "x".repeat((i % 40) as usize));
        let partition = (q == "beta.fifo").then_some((i % 3) as u32);
        b.put_mvcc(
            &data_key(q, partition, 1, &id),
            TS,
            false,
            0,
            &message(&id, body.as_bytes(), sent, i % 11, i % 3),
        )
        .unwrap();
        let mut vis = format!("!sqs|msg|vis|{}", b64u(q.as_bytes())).into_bytes();
        vis.extend_from_slice(&1u64.to_be_bytes());
        vis.extend_from_slice(id.as_bytes());
        b.put_mvcc(&vis, TS, false, 0, id.as_bytes()).unwrap();
    }
    b
}

#[test]
fn output_is_identical_whatever_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_snapshot(dir.path(), &many_messages());
    let decode_with = |name: &str, budget: u64| {
        let out = dir.path().join(name);
        let mut cfg = config(&out);
        cfg.memory_budget = budget;
        cfg.adapter_options.sqs.include_sqs_side_records = true;
        cfg.adapter_options.sqs.preserve_sqs_visibility = true;
        run(&path, &cfg).unwrap();
        sqs_tree(&out)
    };
    let huge = decode_with("huge", u64::MAX);
    assert_eq!(huge.len(), 12, "{:?}", huge.keys().collect::<Vec<_>>());
    let lines = text(&huge, "sqs/alpha/messages.jsonl").lines().count();
    assert_eq!(lines, 1500);
    for (name, budget) in [("zero", 0), ("tiny", 4 << 10), ("small", 256 << 10)] {
        let got = decode_with(name, budget);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            huge.keys().collect::<Vec<_>>()
        );
        for (file, bytes) in &huge {
            assert!(
                got[file] == *bytes,
                "{file} differs with a {budget}-byte budget"
            );
        }
    }
}

/// `../shared/fixtures/real-small/`.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/real-small")
        .join(name)
}

// docs/compatibility.md: upstream aborts on the fixture's `!sqs|queue|seq|` key when side
// records are requested; we write it as a side record.
#[test]
fn real_fixture_with_side_records_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapter_options.sqs.include_sqs_side_records = true;
    let report = run(&fixture("000000000000006d.fsm"), &cfg).unwrap();
    assert!(!report.warnings.contains_key("sqs_orphan_messages"));
    let tree = sqs_tree(&out);
    let expected = |rel: &str| std::fs::read(fixture("expected").join(rel)).unwrap();
    for rel in [
        "sqs/orders/_queue.json",
        "sqs/orders/messages.jsonl",
        "sqs/jobs.fifo/_queue.json",
        "sqs/jobs.fifo/messages.jsonl",
    ] {
        assert_eq!(tree[rel], expected(rel), "{rel}");
    }
    let jobs = text(&tree, "sqs/jobs.fifo/_internals/side_records.jsonl");
    assert_eq!(jobs.lines().count(), 7);
    assert!(jobs.ends_with(
        "{\"prefix\":\"!sqs|queue|seq|\",\"key_hex\":\"217371737c71756575657c7365717c616d39696379356d61575a76\",\"value_b64\":\"Mg\"}\n"
    ));
    // The deleted message m-2 has no side records left either (its vis/byage rows are
    // tombstoned).
    let orders = text(&tree, "sqs/orders/_internals/side_records.jsonl");
    assert_eq!(orders.lines().count(), 2);
    assert!(orders
        .lines()
        .all(|l| l.ends_with("\"value_b64\":\"bS0x\"}")));
    assert_eq!(tree.len(), 6);
}

//! The SQS adapter driven directly: upstream's `internal/backup/sqs_test.go` scenarios
//! (sqs.md §12, one test each, named after them), Go JSON decoding, golden bytes derived
//! from the rendering rules (sqs.md §5.2, §5.3, §5.10) and our deliberate differences
//! (docs/compatibility.md, Adapters). End-to-end cases through `decode()` are in
//! `runtime/tests/sqs.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::*;
use crate::adapters::{Adapter, AdapterError, Record};
use crate::json::GoStructError;
use crate::keys::{route, KeyErrorKind, SqsMsgDataKey};
use crate::output::OutputTree;
use crate::spill::{MemoryBudget, Scratch, SpillContext};
use crate::testkit::{finalize_capturing, Warning};

// ------------------------------------------------------------------------------------------
// Harness
// ------------------------------------------------------------------------------------------

pub(super) fn b64u(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn meta_key(queue: &str) -> Vec<u8> {
    format!("!sqs|queue|meta|{}", b64u(queue.as_bytes())).into_bytes()
}

fn gen_key(queue: &str) -> Vec<u8> {
    format!("!sqs|queue|gen|{}", b64u(queue.as_bytes())).into_bytes()
}

/// Upstream's `EncodeMsgDataKey`: prefix, b64u(queue), u64be(gen), b64u(id).
fn data_key(queue: &str, generation: u64, id: &str) -> Vec<u8> {
    let mut k = format!("!sqs|msg|data|{}", b64u(queue.as_bytes())).into_bytes();
    k.extend_from_slice(&generation.to_be_bytes());
    k.extend_from_slice(b64u(id.as_bytes()).as_bytes());
    k
}

fn partitioned_data_key(queue: &str, partition: u32, generation: u64, id: &str) -> Vec<u8> {
    let mut k = format!("!sqs|msg|data|p|{}|", b64u(queue.as_bytes())).into_bytes();
    k.extend_from_slice(&partition.to_be_bytes());
    k.extend_from_slice(&generation.to_be_bytes());
    k.extend_from_slice(b64u(id.as_bytes()).as_bytes());
    k
}

/// A legacy side-record key: prefix, b64u(queue), u64be(gen), then `tail`.
fn side_key(prefix: &str, queue: &str, generation: u64, tail: &[u8]) -> Vec<u8> {
    let mut k = format!("{prefix}{}", b64u(queue.as_bytes())).into_bytes();
    k.extend_from_slice(&generation.to_be_bytes());
    k.extend_from_slice(tail);
    k
}

fn meta_value(json: &str) -> Vec<u8> {
    [b"\x00SQ\x01".as_slice(), json.as_bytes()].concat()
}

fn msg_value(json: &str) -> Vec<u8> {
    [b"\x00SM\x01".as_slice(), json.as_bytes()].concat()
}

fn b64s(raw: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// A message record as the live adapter writes it.
fn message_json(id: &str, body: &[u8], ts: i64, seq: u64, generation: u64) -> String {
    format!(
        r#"{{"message_id":"{id}","body":"{}","send_timestamp_millis":{ts},"available_at_millis":{ts},"visible_at_millis":0,"receive_count":0,"queue_generation":{generation},"sequence_number":{seq}}}"#,
        b64s(body)
    )
}

fn options(preserve: bool, side: bool) -> SqsOptions {
    SqsOptions {
        preserve_sqs_visibility: preserve,
        include_sqs_side_records: side,
    }
}

/// An adapter with its output tree and scratch directory.
struct Run {
    _dir: tempfile::TempDir,
    out: PathBuf,
    tree: OutputTree,
    adapter: SqsAdapter,
    budget: MemoryBudget,
}

impl Run {
    fn new(options: SqsOptions) -> Run {
        Run::with_budget(options, MemoryBudget::unlimited())
    }

    fn with_budget(options: SqsOptions, budget: MemoryBudget) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let tree = OutputTree::prepare(&out, false).unwrap();
        let scratch = Scratch::new_in(dir.path(), &out).unwrap();
        let adapter = SqsAdapter::new(options, SpillContext::new(budget.clone(), scratch));
        Run {
            _dir: dir,
            out,
            tree,
            adapter,
            budget,
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
        (result, seen)
    }

    /// Finalizes, expecting success; returns the warnings.
    fn done(&mut self) -> Vec<Warning> {
        let (result, warnings) = self.finalize();
        result.unwrap();
        assert_eq!(self.budget.used(), 0, "every reservation is released");
        warnings
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.out.join(rel)
    }

    fn read(&self, rel: &str) -> String {
        String::from_utf8(std::fs::read(self.path(rel)).unwrap()).unwrap()
    }

    /// Every file under the output root, `/`-separated.
    fn files(&self) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.out, &self.out, &mut out);
        out.sort();
        out
    }

    fn lines(&self, rel: &str) -> Vec<String> {
        let text = self.read(rel);
        assert!(text.ends_with('\n'), "{rel}: every line ends with \\n");
        text.lines().map(str::to_string).collect()
    }
}

fn ids(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["message_id"].as_str().unwrap().to_string()
        })
        .collect()
}

fn sqs_err(result: Result<(), AdapterError>) -> SqsError {
    match result {
        Err(AdapterError::Sqs(e)) => *e,
        other => panic!("expected an SQS error, got {other:?}"),
    }
}

fn is_malformed_key(e: &SqsError) -> bool {
    matches!(e, SqsError::MalformedKey { .. })
}

// ------------------------------------------------------------------------------------------
// Upstream internal/backup/sqs_test.go, one test each (sqs.md §12)
// ------------------------------------------------------------------------------------------

#[test]
fn queue_meta_round_trip() {
    let mut run = Run::new(options(false, false));
    run.ok(
        &meta_key("orders-fifo.fifo"),
        &meta_value(
            r#"{"name":"orders-fifo.fifo","is_fifo":true,"visibility_timeout_seconds":30,"message_retention_seconds":345600,"maximum_message_size":262144}"#,
        ),
    );
    assert!(run.done().is_empty());
    assert_eq!(run.files(), vec!["sqs/orders-fifo.fifo/_queue.json"]);
    // The example of sqs.md §5.2, byte for byte (no trailing newline).
    assert_eq!(
        run.read("sqs/orders-fifo.fifo/_queue.json"),
        "{\n  \"format_version\": 1,\n  \"name\": \"orders-fifo.fifo\",\n  \"fifo\": true,\n  \"visibility_timeout_seconds\": 30,\n  \"message_retention_seconds\": 345600,\n  \"delay_seconds\": 0,\n  \"maximum_message_size\": 262144\n}"
    );
}

#[test]
fn messages_sorted_by_timestamp_seq_message_id() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    for (id, ts, seq) in [
        ("msg-c", 100, 3),
        ("msg-a", 90, 1),
        ("msg-b", 100, 2),
        ("msg-tieA", 200, 5),
        ("msg-tieB", 200, 5),
    ] {
        run.ok(
            &data_key("q", 1, id),
            &msg_value(&message_json(id, b"x", ts, seq, 1)),
        );
    }
    run.done();
    assert_eq!(
        ids(&run.lines("sqs/q/messages.jsonl")),
        vec!["msg-a", "msg-b", "msg-c", "msg-tieA", "msg-tieB"]
    );
}

const VISIBILITY_RECORD: &str = r#"{"message_id":"m","body":"aGk=","send_timestamp_millis":1000,"available_at_millis":900,"visible_at_millis":5000,"receive_count":3,"first_receive_millis":4500,"current_receipt_token":"AQI=","queue_generation":1}"#;

#[test]
fn default_zeroes_visibility_state() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    run.ok(&data_key("q", 1, "m"), &msg_value(VISIBILITY_RECORD));
    run.done();
    assert_eq!(
        run.lines("sqs/q/messages.jsonl"),
        vec![
            r#"{"message_id":"m","body":"hi","send_timestamp_millis":1000,"available_at_millis":900,"visible_at_millis":0,"receive_count":0,"queue_generation":1}"#
        ]
    );
}

#[test]
fn preserve_visibility_keeps_live_fields() {
    let mut run = Run::new(options(true, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    run.ok(&data_key("q", 1, "m"), &msg_value(VISIBILITY_RECORD));
    run.done();
    assert_eq!(
        run.lines("sqs/q/messages.jsonl"),
        vec![
            r#"{"message_id":"m","body":"hi","send_timestamp_millis":1000,"available_at_millis":900,"visible_at_millis":5000,"receive_count":3,"first_receive_millis":4500,"current_receipt_token":"AQI=","queue_generation":1}"#
        ]
    );
}

#[test]
fn orphan_messages_emit_warning() {
    let mut run = Run::new(options(false, false));
    run.ok(
        &data_key("ghost-queue", 1, "m"),
        &msg_value(&message_json("m", b"x", 1, 0, 1)),
    );
    let warnings = run.done();
    assert_eq!(
        warnings,
        vec![Warning {
            event: "sqs_orphan_messages".into(),
            fields: format!(
                "encoded_queue=\"Z2hvc3QtcXVldWU\" buffered_messages=\"1\" buffered_side_records=\"0\" hint=\"{}\"",
                flush::ORPHAN_HINT
            ),
        }]
    );
    assert!(run.files().is_empty(), "orphan messages are dropped");
}

#[test]
fn rejects_value_without_magic_prefix() {
    let mut run = Run::new(options(false, false));
    let e = sqs_err(run.put(&meta_key("q"), br#"{"name":"q"}"#));
    assert!(matches!(
        e,
        SqsError::InvalidQueueMeta {
            reason: ValueReason::MissingMagic(_),
            ..
        }
    ));
    assert!(e
        .to_string()
        .starts_with("backup: invalid !sqs|queue|meta value"));
    let e = sqs_err(run.put(&data_key("q", 1, "m"), br#"{"message_id":"m"}"#));
    assert!(matches!(
        e,
        SqsError::InvalidMessage {
            reason: ValueReason::MissingMagic(_),
            ..
        }
    ));
    assert!(e
        .to_string()
        .starts_with("backup: invalid !sqs|msg|data value"));
}

#[test]
fn rejects_trailing_garbage_after_magic() {
    let mut run = Run::new(options(false, false));
    let e = sqs_err(run.put(&data_key("q", 1, "m"), &msg_value("not json")));
    assert!(matches!(
        e,
        SqsError::InvalidMessage {
            reason: ValueReason::Json(GoStructError::Syntax(_)),
            ..
        }
    ));
    let e = sqs_err(run.put(&data_key("q", 1, "m"), &msg_value("{} x")));
    assert!(matches!(e, SqsError::InvalidMessage { .. }));
}

#[test]
fn rejects_key_with_wrong_prefix() {
    let mut run = Run::new(options(false, false));
    let result = run.adapter.handle(
        Family::Sqs(SqsFamily::QueueMeta),
        &Record {
            user_key: b"!unknown|prefix|q",
            body: &meta_value("{}"),
            commit_ts: 1,
            expire_at: 0,
        },
    );
    let e = sqs_err(result);
    assert!(is_malformed_key(&e));
    assert!(
        e.to_string().starts_with("backup: malformed SQS key"),
        "{e}"
    );
}

#[test]
fn peek_msg_data_key_parses_components() {
    let key = data_key("orders", 7, "msg-id");
    let SqsMsgDataKey::Legacy(k) = SqsMsgDataKey::parse(&key).unwrap() else {
        panic!("legacy key expected")
    };
    assert_eq!(k.queue.as_bytes(), b"b3JkZXJz");
    assert_eq!(k.generation, 7);
    assert_eq!(k.generation.to_be_bytes()[7], 7);
    assert_eq!(k.message_id.as_bytes(), b"bXNnLWlk");
    assert_eq!(k.message_id.decode(), b"msg-id");
}

#[test]
fn include_side_records_buffers_between_finalize() {
    let mut run = Run::new(options(false, true));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    run.ok(
        &data_key("q", 1, "m"),
        &msg_value(&message_json("m", b"x", 1, 0, 1)),
    );
    run.ok(&side_key("!sqs|msg|vis|", "q", 1, b""), b"m");
    run.done();
    assert_eq!(
        run.files(),
        vec![
            "sqs/q/_internals/side_records.jsonl",
            "sqs/q/_queue.json",
            "sqs/q/messages.jsonl"
        ]
    );
    assert_eq!(
        run.lines("sqs/q/_internals/side_records.jsonl"),
        vec![
            r#"{"prefix":"!sqs|msg|vis|","key_hex":"217371737c6d73677c7669737c63510000000000000001","value_b64":"bQ"}"#
        ]
    );
}

#[test]
fn parse_message_data_key_rejects_empty_msg_id_segment() {
    let mut key = b"!sqs|msg|data|cQ".to_vec();
    key.extend_from_slice(&1u64.to_be_bytes());
    let mut run = Run::new(options(false, false));
    let e = sqs_err(run.put(&key, &msg_value("{}")));
    assert!(is_malformed_key(&e), "{e}");
    // Also a truncated generation.
    let e = sqs_err(run.put(b"!sqs|msg|data|cQ\x00\x00\x01", &msg_value("{}")));
    assert!(is_malformed_key(&e), "{e}");
}

#[test]
fn queue_meta_preserves_ht_fifo_attributes() {
    let mut run = Run::new(options(false, false));
    run.ok(
        &meta_key("ht.fifo"),
        &meta_value(
            r#"{"name":"ht.fifo","is_fifo":true,"partition_count":4,"fifo_throughput_limit":"perMessageGroupId","deduplication_scope":"messageGroup"}"#,
        ),
    );
    run.done();
    assert_eq!(
        run.read("sqs/ht.fifo/_queue.json"),
        "{\n  \"format_version\": 1,\n  \"name\": \"ht.fifo\",\n  \"fifo\": true,\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0,\n  \"partition_count\": 4,\n  \"fifo_throughput_limit\": \"perMessageGroupId\",\n  \"deduplication_scope\": \"messageGroup\"\n}"
    );
}

#[test]
fn stale_generation_messages_dropped() {
    let mut run = Run::new(options(false, false));
    run.ok(
        &data_key("q", 7, "live"),
        &msg_value(&message_json("live", b"x", 2, 0, 7)),
    );
    run.ok(
        &data_key("q", 6, "ghost"),
        &msg_value(&message_json("ghost", b"x", 1, 0, 6)),
    );
    run.ok(&gen_key("q"), b"7");
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    let warnings = run.done();
    assert_eq!(ids(&run.lines("sqs/q/messages.jsonl")), vec!["live"]);
    assert_eq!(
        warnings,
        vec![Warning {
            event: "sqs_stale_generation_messages_dropped".into(),
            fields: format!(
                "queue=\"q\" active_gen=\"7\" dropped=\"1\" hint=\"{}\"",
                flush::STALE_HINT
            ),
        }]
    );
}

#[test]
fn stale_generation_filter_disabled_without_gen_record() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    run.ok(
        &data_key("q", 99, "m"),
        &msg_value(&message_json("m", b"x", 1, 0, 99)),
    );
    assert!(run.done().is_empty());
    assert_eq!(ids(&run.lines("sqs/q/messages.jsonl")), vec!["m"]);
}

#[test]
fn message_body_emitted_as_text_for_utf8() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    run.ok(
        &data_key("q", 1, "m"),
        &msg_value(&message_json("m", b"hello", 1, 0, 1)),
    );
    run.done();
    let line = &run.lines("sqs/q/messages.jsonl")[0];
    assert!(line.contains(r#""body":"hello""#), "{line}");
    assert!(!line.contains("aGVsbG8"), "{line}");
}

#[test]
fn message_body_falls_back_to_base64_for_binary() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    run.ok(
        &data_key("q", 1, "m"),
        &msg_value(&message_json("m", &[0x80, 0xff, 0x01], 1, 0, 1)),
    );
    run.done();
    let line = &run.lines("sqs/q/messages.jsonl")[0];
    assert!(line.contains(r#""body":{"base64":"gP8B"}"#), "{line}");
}

#[test]
fn parse_partitioned_message_data_key() {
    let mut key = b"!sqs|msg|data|p|cXVldWUx|".to_vec();
    key.extend_from_slice(&[0, 0, 0, 7]);
    key.extend_from_slice(&1u64.to_be_bytes());
    key.extend_from_slice(b"bXNnLTAwMQ");
    assert_eq!(key, partitioned_data_key("queue1", 7, 1, "msg-001"));
    let SqsMsgDataKey::Partitioned(k) = SqsMsgDataKey::parse(&key).unwrap() else {
        panic!("partitioned key expected")
    };
    assert_eq!(k.queue.as_bytes(), b"cXVldWUx");
    assert_eq!(k.partition, 7);
    assert_eq!(k.message_id.decode(), b"msg-001");
}

#[test]
fn parse_partitioned_side_record_key() {
    for family in [
        SqsFamily::MsgVis,
        SqsFamily::MsgByage,
        SqsFamily::MsgDedup,
        SqsFamily::MsgGroup,
    ] {
        let mut key = family.info().prefix.to_vec();
        key.extend_from_slice(b"p|cXVldWUy|");
        key.extend_from_slice(&[0, 0, 0, 3]);
        key.extend_from_slice(&9u64.to_be_bytes());
        assert_eq!(route(&key), Some(Family::Sqs(family)));
        assert_eq!(
            side::side_record_queue(family, &key).unwrap(),
            b"cXVldWUy",
            "{family:?}"
        );
        // Fewer than partition + generation bytes after the queue segment.
        let short = &key[..key.len() - 1];
        assert!(side::side_record_queue(family, short).is_err());
    }
}

#[test]
fn parse_partitioned_message_data_key_rejects_truncated_trailer() {
    let mut key = b"!sqs|msg|data|p|cXVldWUx|".to_vec();
    key.extend_from_slice(&[0, 0, 0, 7]);
    let mut run = Run::new(options(false, false));
    assert!(is_malformed_key(&sqs_err(run.put(&key, &msg_value("{}")))));
    // Partition and generation but no message id (trailer of exactly 12 bytes).
    key.extend_from_slice(&1u64.to_be_bytes());
    assert!(is_malformed_key(&sqs_err(run.put(&key, &msg_value("{}")))));
}

#[test]
fn parse_generic_key_rejects_trailerless_key() {
    let mut run = Run::new(options(false, true));
    let e = sqs_err(run.put(b"!sqs|msg|vis|cQQQ", b"m"));
    assert!(is_malformed_key(&e), "{e}");
    let e = sqs_err(run.put(b"!sqs|msg|vis|\x00\x01", b"m"));
    assert!(is_malformed_key(&e), "empty queue segment: {e}");
}

#[test]
fn side_records_flushed_even_when_zero_messages() {
    let mut run = Run::new(options(false, true));
    run.ok(&meta_key("purged"), &meta_value(r#"{"name":"purged"}"#));
    run.ok(
        &side_key(
            "!sqs|msg|vis|",
            "purged",
            2,
            b"\x00\x00\x00\x00\x00\x00\x00\x05bQ",
        ),
        b"m",
    );
    assert!(run.done().is_empty());
    assert_eq!(
        run.files(),
        vec![
            "sqs/purged/_internals/side_records.jsonl",
            "sqs/purged/_queue.json"
        ]
    );
}

#[test]
fn orphan_queue_side_records_preserved() {
    let mut run = Run::new(options(false, true));
    let key = side_key("!sqs|msg|vis|", "deleted", 1, b"");
    assert!(key.starts_with(b"!sqs|msg|vis|ZGVsZXRlZA\x00"));
    run.ok(&key, b"");
    let warnings = run.done();
    assert_eq!(warnings[0].event, "sqs_orphan_messages");
    assert!(warnings[0].fields.starts_with(
        "encoded_queue=\"ZGVsZXRlZA\" buffered_messages=\"0\" buffered_side_records=\"1\""
    ));
    assert_eq!(
        run.files(),
        vec!["sqs/ZGVsZXRlZA.orphan/_internals/side_records.jsonl"]
    );
    assert_eq!(
        run.lines("sqs/ZGVsZXRlZA.orphan/_internals/side_records.jsonl"),
        vec![
            r#"{"prefix":"!sqs|msg|vis|","key_hex":"217371737c6d73677c7669737c5a4756735a58526c5a410000000000000001","value_b64":""}"#
        ]
    );
}

#[test]
fn orphan_queue_side_records_suppressed_when_opt_out() {
    let mut run = Run::new(options(false, false));
    run.ok(&side_key("!sqs|msg|vis|", "opt-out", 1, b""), b"m");
    assert!(run.done().is_empty(), "option off: nothing buffered");
    assert!(!run.path("sqs/b3B0LW91dA.orphan").exists());
    assert!(run.files().is_empty());
}

#[test]
fn default_does_not_emit_internals() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    run.ok(&side_key("!sqs|msg|vis|", "q", 1, b""), b"m");
    // With the option off, side-record keys are not even parsed.
    run.ok(b"!sqs|msg|vis|cQQQ", b"m");
    run.done();
    assert!(!run.path("sqs/q/_internals").exists());
    assert_eq!(run.files(), vec!["sqs/q/_queue.json"]);
}

// ------------------------------------------------------------------------------------------
// Go JSON decoding of the values (sqs.md §3.1, §3.2)
// ------------------------------------------------------------------------------------------

fn decode_meta(json: &str) -> Result<QueueMeta, GoStructError> {
    QueueMeta::decode(json.as_bytes())
}

#[test]
fn meta_json_follows_go_decoding() {
    // Unknown keys of any type are skipped; case-insensitive keys fill fields; the last of
    // duplicates wins; null leaves the previous value; U+212A folds to K.
    let meta = decode_meta(
        r#"{"tags":{"a":[1,{"x":null}]},"throttle":"anything","generation":-1.5,
            "NAME":"first","name":"second","Name":null,
            "IS_FIFO":true,"is_fifo":null,"content_based_dedup":false,
            "visibility_timeout_seconds":-0,"delay_seconds":5,"DELAY_SECONDS":null,
            "partition_count":4294967295,"fifo_throughput_limit":"perQueue",
            "deduplication_scope":"queue","redrive_allow_policy":"{\"x\":1}",
            "maximum_message_size":9223372036854775807}"#,
    )
    .unwrap();
    assert_eq!(meta.name, b"second");
    assert!(meta.fifo);
    assert_eq!(meta.visibility_timeout_seconds, 0);
    assert_eq!(meta.delay_seconds, 5);
    assert_eq!(meta.partition_count, u32::MAX);
    assert_eq!(meta.maximum_message_size, i64::MAX);
    assert_eq!(meta.redrive_allow_policy, "{\"x\":1}");
    assert_eq!(
        decode_meta("null").unwrap(),
        QueueMeta::default(),
        "top-level null"
    );
    assert_eq!(decode_meta(" {} \n").unwrap(), QueueMeta::default());
    // Invalid UTF-8 inside strings becomes U+FFFD.
    let meta = QueueMeta::decode(b"{\"name\":\"a\xffb\"}").unwrap();
    assert_eq!(meta.name, "a\u{fffd}b".as_bytes());
}

#[test]
fn meta_json_type_errors_are_fatal() {
    for bad in [
        r#"{"is_fifo":1}"#,
        r#"{"is_fifo":"true"}"#,
        r#"{"name":5}"#,
        r#"{"visibility_timeout_seconds":1.0}"#,
        r#"{"visibility_timeout_seconds":1e2}"#,
        r#"{"visibility_timeout_seconds":"30"}"#,
        r#"{"delay_seconds":9223372036854775808}"#,
        r#"{"partition_count":-1}"#,
        r#"{"partition_count":4294967296}"#,
        r#"{"redrive_policy":{"a":1}}"#,
        r#"{"Is_Fifo":[]}"#,
        "[]",
        "\"q\"",
        "5",
        "",
        "{",
        "{}{}",
    ] {
        assert!(decode_meta(bad).is_err(), "{bad}");
    }
    let err = decode_meta(r#"{"is_fifo":1}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "field is_fifo: cannot unmarshal number into a Go value of type bool"
    );
}

fn decode_message(json: &str) -> Result<MessageRecord, GoStructError> {
    MessageRecord::decode(json.as_bytes())
}

#[test]
fn message_json_follows_go_decoding() {
    let m = decode_message(
        r#"{"message_id":"a","MESSAGE_ID":"b","body":null,"Body":"aGk=","unknown":{"deep":[true]},
            "message_attributes":{"x":1},"Message_Attributes":{"y":2},
            "current_receipt_token":"AQ\r\nI=","queue_generation":18446744073709551615,
            "sequence_number":0,"send_timestamp_millis":-9223372036854775808}"#,
    )
    .unwrap();
    assert_eq!(m.message_id, "b");
    assert_eq!(m.body.bytes(), b"hi");
    let attributes = m.message_attributes.unwrap();
    assert_eq!(
        attributes.keys().collect::<Vec<_>>(),
        vec!["x", "y"],
        "maps merge"
    );
    assert_eq!(m.current_receipt_token.bytes(), [1, 2]);
    assert_eq!(m.queue_generation, u64::MAX);
    assert_eq!(m.send_timestamp_millis, i64::MIN);
    let m = decode_message(r#"{"message_attributes":{"x":1},"message_attributes":null}"#).unwrap();
    assert_eq!(m.message_attributes, None, "null resets a map");
    assert_eq!(decode_message("null").unwrap(), MessageRecord::default());
    for bad in [
        r#"{"body":"aGk"}"#,
        r#"{"body":"aGk=x"}"#,
        r#"{"body":"a-_="}"#,
        r#"{"body":5}"#,
        r#"{"current_receipt_token":"!!!!"}"#,
        r#"{"message_attributes":[]}"#,
        r#"{"message_attributes":"x"}"#,
        r#"{"queue_generation":-1}"#,
        r#"{"sequence_number":1.5}"#,
        r#"{"receive_count":"1"}"#,
        r#"{"message_id":null,"message_id":1}"#,
        r#"{"message_id":"a"} trailing"#,
        "true",
    ] {
        assert!(decode_message(bad).is_err(), "{bad}");
    }
}

#[test]
fn generation_values_like_go_parse_uint_of_trimmed_text() {
    assert_eq!(meta::parse_generation(b"7"), Some(7));
    assert_eq!(meta::parse_generation(b" \t7\r\n"), Some(7));
    assert_eq!(
        meta::parse_generation("\u{a0}7\u{3000}".as_bytes()),
        Some(7)
    );
    assert_eq!(meta::parse_generation(b"007"), Some(7));
    assert_eq!(meta::parse_generation(b"0"), Some(0));
    assert_eq!(
        meta::parse_generation(b"18446744073709551615"),
        Some(u64::MAX)
    );
    for bad in [
        &b""[..],
        b" ",
        b"+7",
        b"-0",
        b"1_000",
        b"0x10",
        b"7 8",
        b"18446744073709551616",
        b"\xff7",
    ] {
        assert_eq!(meta::parse_generation(bad), None, "{bad:?}");
    }
}

#[test]
fn bad_generation_value_is_a_malformed_key_error() {
    let mut run = Run::new(options(false, false));
    let e = sqs_err(run.put(&gen_key("q"), b"seven"));
    assert!(matches!(
        e,
        SqsError::MalformedKey {
            reason: MalformedKeyReason::Generation { .. },
            ..
        }
    ));
}

#[test]
fn key_errors_win_over_value_errors() {
    let mut run = Run::new(options(false, false));
    let e = sqs_err(run.put(b"!sqs|queue|meta|a=", b"no magic"));
    assert!(is_malformed_key(&e), "{e}");
    let e = sqs_err(run.put(b"!sqs|msg|data|\x00", b"no magic"));
    assert!(is_malformed_key(&e), "{e}");
    let SqsError::MalformedKey {
        reason: MalformedKeyReason::Layout(layout),
        ..
    } = e
    else {
        panic!("layout error expected")
    };
    assert_eq!(layout.kind, KeyErrorKind::EmptySegment);
}

#[test]
fn orphan_message_with_a_corrupt_value_still_fails() {
    // sqs.md §11 item 12: decode errors are fatal even for messages that would be dropped.
    let mut run = Run::new(options(false, false));
    let e = sqs_err(run.put(&data_key("ghost", 1, "m"), &msg_value(r#"{"body":"?"}"#)));
    assert!(matches!(e, SqsError::InvalidMessage { .. }));
}

// ------------------------------------------------------------------------------------------
// Golden output bytes (sqs.md §5.2, §5.3, §5.10)
// ------------------------------------------------------------------------------------------

#[test]
fn golden_queue_json_escaping_and_omission() {
    let mut run = Run::new(options(false, false));
    run.ok(
        &meta_key("q"),
        &meta_value(
            r#"{"name":"a<b>&c\u2028d\u0001","content_based_dedup":true,"visibility_timeout_seconds":-1,
                "message_retention_seconds":9223372036854775807,"delay_seconds":-9223372036854775808,
                "receive_message_wait_seconds":20,"maximum_message_size":0,
                "redrive_policy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:x:1:dlq\",\"maxReceiveCount\":5}",
                "redrive_allow_policy":"","partition_count":0}"#,
        ),
    );
    run.done();
    assert_eq!(
        run.read("sqs/q/_queue.json"),
        concat!(
            "{\n",
            "  \"format_version\": 1,\n",
            "  \"name\": \"a\\u003cb\\u003e\\u0026c\\u2028d\\u0001\",\n",
            "  \"content_based_deduplication\": true,\n",
            "  \"visibility_timeout_seconds\": -1,\n",
            "  \"message_retention_seconds\": 9223372036854775807,\n",
            "  \"delay_seconds\": -9223372036854775808,\n",
            "  \"receive_message_wait_seconds\": 20,\n",
            "  \"redrive_policy\": \"{\\\"deadLetterTargetArn\\\":\\\"arn:aws:sqs:x:1:dlq\\\",\\\"maxReceiveCount\\\":5}\"\n",
            "}"
        )
    );
}

#[test]
fn golden_queue_json_takes_key_name_when_json_name_is_empty() {
    let mut run = Run::new(options(false, false));
    // Magic followed by null: an all-default config named after the key (sqs.md §11 item 14).
    run.ok(&meta_key("from-key"), &meta_value("null"));
    // A non-UTF-8 key-derived name: directory percent-encoded, name rendered as Go does.
    let mut key = b"!sqs|queue|meta|".to_vec();
    key.extend_from_slice(b64u(b"x\xff").as_bytes());
    run.ok(&key, &meta_value(r#"{"name":""}"#));
    // A JSON name that differs from the key name is kept.
    run.ok(&meta_key("k"), &meta_value(r#"{"name":"other"}"#));
    run.done();
    let minimal = |name: &str| {
        format!(
            "{{\n  \"format_version\": 1,\n  \"name\": \"{name}\",\n  \"visibility_timeout_seconds\": 0,\n  \"message_retention_seconds\": 0,\n  \"delay_seconds\": 0\n}}"
        )
    };
    assert_eq!(run.read("sqs/from-key/_queue.json"), minimal("from-key"));
    assert_eq!(run.read("sqs/x%FF/_queue.json"), minimal("x\\ufffd"));
    assert_eq!(run.read("sqs/k/_queue.json"), minimal("other"));
}

#[test]
fn golden_message_line_rendering() {
    let mut run = Run::new(options(true, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    let body = b64s("a<b>&c\u{2028}\u{1}é".as_bytes());
    let record = format!(
        r#"{{"message_id":"id<&>\u2028\u0000\t\u001f","body":"{body}","md5_of_body":"m<d5>",
           "md5_of_message_attributes":"ma",
           "message_attributes":{{ "z" : {{ "DataType" : "String", "StringValue" : "<v> \u0041" }},
                                   "a\u2028" : [ 1 , 2.50 , "x" ] }},
           "sender_id":"s&","send_timestamp_millis":-9223372036854775808,
           "available_at_millis":9223372036854775807,"visible_at_millis":5,"receive_count":2,
           "first_receive_millis":3,"current_receipt_token":"+/+/","queue_generation":18446744073709551615,
           "message_group_id":"g","message_deduplication_id":"d","sequence_number":18446744073709551615,
           "dead_letter_source_arn":"arn:<x>","ignored":1}}"#
    );
    run.ok(&partitioned_data_key("q", 0, 1, "m"), &msg_value(&record));
    run.done();
    let text = run.read("sqs/q/messages.jsonl");
    assert_eq!(
        text,
        concat!(
            r#"{"message_id":"id<&>\u2028\u0000\t\u001f","body":"a\u003cb\u003e\u0026c\u2028\u0001é","#,
            r#""md5_of_body":"m<d5>","md5_of_message_attributes":"ma","#,
            r#""message_attributes":{"a\u2028":[1,2.50,"x"],"z":{"DataType":"String","StringValue":"<v> \u0041"}},"#,
            r#""sender_id":"s&","send_timestamp_millis":-9223372036854775808,"available_at_millis":9223372036854775807,"#,
            r#""visible_at_millis":5,"receive_count":2,"first_receive_millis":3,"current_receipt_token":"+/+/","#,
            r#""queue_generation":18446744073709551615,"message_group_id":"g","message_deduplication_id":"d","#,
            r#""sequence_number":18446744073709551615,"dead_letter_source_arn":"arn:<x>","partition":0}"#,
            "\n"
        )
    );
}

#[test]
fn golden_message_line_minimal_and_odd_strings() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    // Invalid UTF-8 in a JSON string is decoded to U+FFFD (written raw, it is valid UTF-8);
    // DEL and `/` stay raw; an absent body is the empty string; empty attributes are omitted.
    run.ok(
        &data_key("q", 1, "m"),
        &[
            b"\x00SM\x01".as_slice(),
            b"{\"message_id\":\"x\xff/\x7f\",\"message_attributes\":{},\"current_receipt_token\":\"\"}",
        ]
        .concat(),
    );
    run.done();
    assert_eq!(
        run.read("sqs/q/messages.jsonl").as_bytes(),
        "{\"message_id\":\"x\u{fffd}/\x7f\",\"body\":\"\",\"send_timestamp_millis\":0,\"available_at_millis\":0,\"visible_at_millis\":0,\"receive_count\":0,\"queue_generation\":0}\n".as_bytes()
    );
}

#[test]
fn golden_binary_body_uses_unpadded_base64url() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    run.ok(
        &data_key("q", 1, "m"),
        &msg_value(&message_json("m", &[0xff, 0x00, 0xfe], 1, 0, 1)),
    );
    run.done();
    assert!(run
        .read("sqs/q/messages.jsonl")
        .contains(r#""body":{"base64":"_wD-"}"#));
}

// ------------------------------------------------------------------------------------------
// Beyond upstream's tests
// ------------------------------------------------------------------------------------------

#[test]
fn partitioned_and_legacy_keys_in_one_queue() {
    let mut run = Run::new(options(false, false));
    run.ok(
        &meta_key("ht.fifo"),
        &meta_value(r#"{"name":"ht.fifo","is_fifo":true,"partition_count":2}"#),
    );
    run.ok(
        &partitioned_data_key("ht.fifo", 1, 1, "p1"),
        &msg_value(&message_json("p1", b"x", 30, 3, 1)),
    );
    run.ok(
        &data_key("ht.fifo", 1, "legacy"),
        &msg_value(&message_json("legacy", b"x", 20, 2, 1)),
    );
    run.ok(
        &partitioned_data_key("ht.fifo", 0, 1, "p0"),
        &msg_value(&message_json("p0", b"x", 10, 1, 1)),
    );
    run.done();
    let lines = run.lines("sqs/ht.fifo/messages.jsonl");
    assert_eq!(ids(&lines), vec!["p0", "legacy", "p1"], "sorted globally");
    assert!(
        lines[0].ends_with(r#""sequence_number":1,"partition":0}"#),
        "{}",
        lines[0]
    );
    assert!(!lines[1].contains("partition"), "{}", lines[1]);
    assert!(lines[2].ends_with(r#""partition":1}"#), "{}", lines[2]);
}

#[test]
fn exact_ties_keep_arrival_order() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    // Same timestamp, sequence number and message id; different bodies.
    for (key_id, body) in [("k2", b"second".as_slice()), ("k1", b"first")] {
        run.ok(
            &data_key("q", 1, key_id),
            &msg_value(&message_json("same", body, 5, 0, 1)),
        );
    }
    run.done();
    let lines = run.lines("sqs/q/messages.jsonl");
    assert!(lines[0].contains("second") && lines[1].contains("first"));
}

#[test]
fn sort_compares_signed_timestamps_and_unsigned_sequences() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    for (id, ts, seq) in [
        ("d", 1, u64::MAX),
        ("c", 1, 1 << 63),
        ("a", -1, 0),
        ("b", 0, 5),
        ("e", 1, u64::MAX),
    ] {
        run.ok(
            &data_key("q", 1, id),
            &msg_value(&message_json(id, b"", ts, seq, 1)),
        );
    }
    run.done();
    assert_eq!(
        ids(&run.lines("sqs/q/messages.jsonl")),
        vec!["a", "b", "c", "d", "e"]
    );
}

#[test]
fn queue_seq_keys_are_side_records() {
    // docs/compatibility.md: upstream aborts on every trailerless QSEQ key (the live shape)
    // and accepts one with a trailer (a shape no writer produces); we do the opposite.
    let mut run = Run::new(options(false, true));
    run.ok(
        &meta_key("jobs.fifo"),
        &meta_value(r#"{"name":"jobs.fifo","is_fifo":true}"#),
    );
    run.ok(b"!sqs|queue|seq|am9icy5maWZv", b"2");
    run.ok(
        b"!sqs|queue|tombstone|am9icy5maWZv\x00\x00\x00\x00\x00\x00\x00\x01",
        b"\x01",
    );
    let e = sqs_err(run.put(b"!sqs|queue|seq|", b"1"));
    assert!(is_malformed_key(&e), "an empty queue segment: {e}");
    let e = sqs_err(run.put(
        b"!sqs|queue|seq|am9icy5maWZv\x00\x00\x00\x00\x00\x00\x00\x01",
        b"3",
    ));
    assert!(is_malformed_key(&e), "a generation suffix: {e}");
    let e = sqs_err(run.put(b"!sqs|queue|tombstone|am9icy5maWZv", b"\x01"));
    assert!(
        is_malformed_key(&e),
        "a tombstone needs its generation: {e}"
    );
    run.done();
    assert_eq!(
        run.lines("sqs/jobs.fifo/_internals/side_records.jsonl"),
        vec![
            r#"{"prefix":"!sqs|queue|seq|","key_hex":"217371737c71756575657c7365717c616d39696379356d61575a76","value_b64":"Mg"}"#,
            r#"{"prefix":"!sqs|queue|tombstone|","key_hex":"217371737c71756575657c746f6d6273746f6e657c616d39696379356d61575a760000000000000001","value_b64":"AQ"}"#,
        ]
    );
}

#[test]
fn side_records_keep_arrival_order_and_partitioned_prefix_label() {
    let mut run = Run::new(options(false, true));
    run.ok(&meta_key("q"), &meta_value(r#"{"name":"q"}"#));
    let mut partitioned = b"!sqs|msg|group|p|cQ|".to_vec();
    partitioned.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    partitioned.extend_from_slice(b"Zw");
    run.ok(&partitioned, br#"{"message_id":"m"}"#);
    run.ok(&side_key("!sqs|msg|byage|", "q", 1, b"x"), b"\x00\xff");
    run.done();
    let lines = run.lines("sqs/q/_internals/side_records.jsonl");
    assert_eq!(lines.len(), 2);
    assert!(lines[0].starts_with(
        r#"{"prefix":"!sqs|msg|group|","key_hex":"217371737c6d73677c67726f75707c707c63517c"#
    ));
    assert!(lines[0].ends_with(r#""value_b64":"eyJtZXNzYWdlX2lkIjoibSJ9"}"#));
    assert!(lines[1].ends_with(r#""value_b64":"AP8"}"#), "{}", lines[1]);
}

#[test]
fn deleted_queue_with_only_a_generation_record_is_silent() {
    // docs/compatibility.md: upstream warns `sqs_orphan_messages` with zero counts.
    let mut run = Run::new(options(false, true));
    run.ok(&gen_key("gone"), b"3");
    assert!(run.done().is_empty());
    assert!(run.files().is_empty());
}

#[test]
fn deleted_queue_with_leftover_messages_warns() {
    let mut run = Run::new(options(false, false));
    run.ok(
        &data_key("gone", 2, "m"),
        &msg_value(&message_json("m", b"x", 1, 0, 2)),
    );
    run.ok(&gen_key("gone"), b"3");
    let warnings = run.done();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].fields.starts_with(
        "encoded_queue=\"Z29uZQ\" buffered_messages=\"1\" buffered_side_records=\"0\""
    ));
}

#[test]
fn dot_and_empty_queue_names_are_refused() {
    // docs/compatibility.md: upstream writes into sqs/ itself or the output root.
    for name in ["", ".", ".."] {
        let mut run = Run::new(options(false, false));
        let e = sqs_err(run.put(&meta_key(name), &meta_value(r#"{"name":"x"}"#)));
        assert!(
            matches!(e, SqsError::UnsafeQueueName { .. }),
            "{name:?}: {e}"
        );
        run.done();
        assert!(run.files().is_empty(), "{name:?}: nothing written");
    }
    // A name that merely contains dots is an ordinary directory.
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("..."), &meta_value("{}"));
    run.ok(&meta_key("a/b"), &meta_value("{}"));
    run.done();
    assert_eq!(
        run.files(),
        vec!["sqs/.../_queue.json", "sqs/a%2Fb/_queue.json"]
    );
}

#[test]
fn finalize_visits_queues_in_segment_order() {
    // docs/compatibility.md: upstream's order follows hash-map iteration.
    let mut run = Run::new(options(false, false));
    for q in ["zeta", "alpha", "mid"] {
        run.ok(
            &data_key(q, 1, "m"),
            &msg_value(&message_json("m", b"x", 1, 0, 1)),
        );
    }
    let warnings = run.done();
    let order: Vec<&str> = warnings
        .iter()
        .map(|w| w.fields.split('"').nth(1).unwrap())
        .collect();
    let mut sorted = vec![b64u(b"zeta"), b64u(b"alpha"), b64u(b"mid")];
    sorted.sort();
    assert_eq!(order, sorted);
}

#[test]
fn finalize_attempts_every_queue_and_returns_the_first_error() {
    let mut run = Run::new(options(false, true));
    for q in ["a", "b", "c"] {
        run.ok(&meta_key(q), &meta_value("{}"));
        for id in ["m1", "m2"] {
            run.ok(
                &data_key(q, 1, id),
                &msg_value(&message_json(id, q.as_bytes(), 1, 0, 1)),
            );
        }
        run.ok(&side_key("!sqs|msg|vis|", q, 1, b""), q.as_bytes());
    }
    // A symlink where queue `a`'s directory goes, a directory where `b`'s messages go: their
    // writes fail, the records they leave unread are skipped, `c` is written whole.
    std::fs::create_dir_all(run.path("sqs/b/messages.jsonl")).unwrap();
    std::os::unix::fs::symlink("/tmp", run.path("sqs/a")).unwrap();
    let (result, _) = run.finalize();
    assert!(matches!(result, Err(AdapterError::Output(_))), "{result:?}");
    assert!(run.path("sqs/b/_queue.json").exists());
    assert!(!run.path("sqs/b/_internals").exists());
    assert_eq!(ids(&run.lines("sqs/c/messages.jsonl")), vec!["m1", "m2"]);
    assert_eq!(
        run.lines("sqs/c/_internals/side_records.jsonl").len(),
        1,
        "only c's own side record"
    );
    assert_eq!(run.budget.used(), 0);
}

#[test]
fn no_surviving_message_writes_no_messages_file() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value("{}"));
    run.ok(&gen_key("q"), b"2");
    run.ok(
        &data_key("q", 1, "m"),
        &msg_value(&message_json("m", b"x", 1, 0, 1)),
    );
    let warnings = run.done();
    assert_eq!(warnings.len(), 1);
    assert_eq!(run.files(), vec!["sqs/q/_queue.json"]);
}

#[test]
fn generation_zero_disables_the_filter() {
    let mut run = Run::new(options(false, false));
    run.ok(&meta_key("q"), &meta_value("{}"));
    run.ok(&gen_key("q"), b"0");
    run.ok(
        &data_key("q", 1, "m"),
        &msg_value(&message_json("m", b"x", 1, 0, 5)),
    );
    assert!(run.done().is_empty());
    assert_eq!(ids(&run.lines("sqs/q/messages.jsonl")), vec!["m"]);
}

#[test]
fn data_joins_its_queue_only_by_identical_segment() {
    // "cQ" and "cR" both decode to "q" (non-zero trailing bits are accepted), but state is
    // keyed by the segment as it appears in the key.
    let mut run = Run::new(options(false, false));
    run.ok(b"!sqs|queue|meta|cQ", &meta_value("{}"));
    let mut key = b"!sqs|msg|data|cR".to_vec();
    key.extend_from_slice(&1u64.to_be_bytes());
    key.extend_from_slice(b"bQ");
    run.ok(&key, &msg_value(&message_json("m", b"x", 1, 0, 1)));
    let warnings = run.done();
    assert_eq!(warnings.len(), 1, "the cR message is an orphan");
    assert_eq!(run.files(), vec!["sqs/q/_queue.json"]);
}

#[test]
fn tiny_budget_gives_the_same_bytes() {
    let write = |budget: MemoryBudget| {
        let mut run = Run::with_budget(options(true, true), budget);
        for q in ["a", "b", "c"] {
            run.ok(&meta_key(q), &meta_value(&format!(r#"{{"name":"{q}"}}"#)));
        }
        for i in 0..600u64 {
            let q = ["a", "b", "c"][(i % 3) as usize];
            let id = format!("{:032x}", i * 7919 % 1000);
            let ts = ((i * 31) % 97) as i64;
            run.ok(
                &data_key(q, 1, &id),
                &msg_value(&message_json(
                    &id,
                    format!("body {i}").as_bytes(),
                    ts,
                    i % 5,
                    1,
                )),
            );
            run.ok(
                &side_key("!sqs|msg|vis|", q, 1, id.as_bytes()),
                id.as_bytes(),
            );
        }
        run.done();
        let files: BTreeMap<String, Vec<u8>> = run
            .files()
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(run.path(&f)).unwrap();
                (f, bytes)
            })
            .collect();
        files
    };
    let unlimited = write(MemoryBudget::unlimited());
    assert_eq!(unlimited.len(), 9);
    assert_eq!(write(MemoryBudget::new(0)), unlimited);
    assert_eq!(write(MemoryBudget::new(4096)), unlimited);
}

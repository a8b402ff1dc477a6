//! The demo snapshot (`examples/demo.fsm`), built deterministically.
//!
//! A small node file in the real on-disk framing (`EKVTHLC1` header, store stream with raw
//! `_meta_*` rows, CRC-32C footer) holding keys of all four adapters, with the things real
//! snapshots have: overwritten keys, deleted keys, an expired version, internal rows.
//! `cargo run --example make_demo` writes it; a test checks the committed file is current.

use crate::snapshot::writer::{SnapshotWriter, WriterFraming};
use crate::snapshot::OperationalRow;

/// HLC timestamp of physical milliseconds `ms` and logical counter `logical`.
const fn hlc(ms: u64, logical: u64) -> u64 {
    (ms << 16) | logical
}

/// Wall clock of the demo: 2026-05-01T00:00:00Z.
const BASE_MS: u64 = 1_777_593_600_000;
/// The snapshot's lastCommitTS.
pub const LAST_COMMIT_TS: u64 = hlc(BASE_MS + 60_000, 0);
/// The raft index the demo file is named after.
pub const APPLIED_INDEX: u64 = 0x2a;

/// One MVCC version before encoding.
struct Version {
    user_key: Vec<u8>,
    commit_ts: u64,
    tombstone: bool,
    expire_at: u64,
    body: Vec<u8>,
}

fn live(user_key: impl Into<Vec<u8>>, commit_ts: u64, body: impl Into<Vec<u8>>) -> Version {
    Version {
        user_key: user_key.into(),
        commit_ts,
        tombstone: false,
        expire_at: 0,
        body: body.into(),
    }
}

fn deleted(user_key: impl Into<Vec<u8>>, commit_ts: u64) -> Version {
    Version {
        user_key: user_key.into(),
        commit_ts,
        tombstone: true,
        expire_at: 0,
        body: Vec::new(),
    }
}

/// Minimal protobuf wire encoding, enough for the demo's DynamoDB messages.
mod pb {
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    pub fn bytes(field: u32, value: &[u8], out: &mut Vec<u8>) {
        varint(u64::from(field << 3 | 2), out);
        varint(value.len() as u64, out);
        out.extend_from_slice(value);
    }

    pub fn uint(field: u32, value: u64, out: &mut Vec<u8>) {
        varint(u64::from(field << 3), out);
        varint(value, out);
    }

    /// A map<string, M> entry: key = field 1, value = field 2.
    pub fn map_entry(field: u32, key: &str, value: &[u8], out: &mut Vec<u8>) {
        let mut entry = Vec::new();
        bytes(1, key.as_bytes(), &mut entry);
        bytes(2, value, &mut entry);
        bytes(field, &entry, out);
    }
}

/// `DynamoAttributeValue{s}` (dynamodb.md §3.1).
fn ddb_s(value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    pb::bytes(1, value.as_bytes(), &mut out);
    out
}

/// `DynamoAttributeValue{n}`.
fn ddb_n(value: &str) -> Vec<u8> {
    let mut out = Vec::new();
    pb::bytes(2, value.as_bytes(), &mut out);
    out
}

fn dynamodb_versions(out: &mut Vec<Version>, ts: u64) {
    // Table "carts": hash key user (S), range key line (N).
    let mut schema = b"\x00DS\x01".to_vec();
    pb::bytes(1, b"carts", &mut schema);
    // attribute_definitions: map<string,string> entries carry the type string as field 2.
    let mut defs = Vec::new();
    for (name, ty) in [("line", "N"), ("user", "S")] {
        let mut entry = Vec::new();
        pb::bytes(1, name.as_bytes(), &mut entry);
        pb::bytes(2, ty.as_bytes(), &mut entry);
        pb::bytes(2, &entry, &mut defs);
    }
    schema.extend_from_slice(&defs);
    let mut key_schema = Vec::new();
    pb::bytes(1, b"user", &mut key_schema);
    pb::bytes(2, b"line", &mut key_schema);
    pb::bytes(3, &key_schema, &mut schema);
    pb::uint(5, 2, &mut schema); // key_encoding_version: ordered item keys
    pb::uint(7, 1, &mut schema); // generation
    out.push(live(b"!ddb|meta|table|Y2FydHM".to_vec(), ts, schema));
    out.push(live(b"!ddb|meta|gen|Y2FydHM".to_vec(), ts, b"1".to_vec()));

    // Items: ordered key encoding seg(hash) seg(range); N 1 = 02 02 01 01 00 '1'.
    let item = |user: &str, line: &str, sku: &str, qty: &str| {
        let mut value = b"\x00DI\x01".to_vec();
        for (name, attr) in [
            ("line", ddb_n(line)),
            ("qty", ddb_n(qty)),
            ("sku", ddb_s(sku)),
            ("user", ddb_s(user)),
        ] {
            pb::map_entry(1, name, &attr, &mut value);
        }
        value
    };
    let key = |user: &str, digit: u8| {
        let mut k = b"!ddb|item|Y2FydHM|1|".to_vec();
        k.extend_from_slice(user.as_bytes());
        k.extend_from_slice(&[
            0x00, 0x01, 0x02, 0x02, 0x01, 0x01, 0x00, 0xff, digit, 0x00, 0x01,
        ]);
        k
    };
    out.push(live(key("ann", b'1'), ts, item("ann", "1", "tea", "2")));
    out.push(live(key("ann", b'2'), ts + 5, item("ann", "2", "cup", "1")));
    // An older version of line 2 (quantity changed later): superseded.
    out.push(live(key("ann", b'2'), ts, item("ann", "2", "cup", "4")));
    out.push(live(
        b"!ddb|gsi|Y2FydHM|1|Ynktc2t1|tea\x00\x01".to_vec(),
        ts,
        Vec::new(),
    ));
}

fn s3_versions(out: &mut Vec<Version>, ts: u64) {
    let bucket = b"backups\x00\x01";
    let gen = 1u64.to_be_bytes();
    let mut meta_key = b"!s3|bucket|meta|".to_vec();
    meta_key.extend_from_slice(bucket);
    out.push(live(
        meta_key,
        ts,
        br#"{"bucket_name":"backups","generation":1,"created_at_hlc":0,"owner":"ops","region":"eu-west-1"}"#.to_vec(),
    ));
    let body = b"# nightly report\nall green\n".to_vec();
    let object = b"reports/2026/05/nightly.md";
    let upload = b"demo-upload-1";
    let mut head = b"!s3|obj|head|".to_vec();
    head.extend_from_slice(bucket);
    head.extend_from_slice(&gen);
    head.extend_from_slice(object);
    head.extend_from_slice(b"\x00\x01");
    let manifest = format!(
        concat!(
            r#"{{"upload_id":"demo-upload-1","etag":"1b2c3d","size_bytes":{size},"#,
            r#""last_modified_hlc":{lm},"content_type":"text/markdown","user_metadata":{{"team":"ops"}},"#,
            r#""parts":[{{"part_no":1,"size_bytes":{size},"chunk_count":1,"chunk_sizes":[{size}]}}]}}"#
        ),
        size = body.len(),
        lm = ts
    );
    out.push(live(head, ts, manifest.into_bytes()));
    let mut blob = b"!s3|blob|".to_vec();
    blob.extend_from_slice(bucket);
    blob.extend_from_slice(&gen);
    blob.extend_from_slice(object);
    blob.extend_from_slice(b"\x00\x01");
    blob.extend_from_slice(upload);
    blob.extend_from_slice(b"\x00\x01");
    blob.extend_from_slice(&1u64.to_be_bytes()); // part 1
    blob.extend_from_slice(&0u64.to_be_bytes()); // chunk 0
    out.push(live(blob, ts, body));
    let mut gen_key = b"!s3|bucket|gen|".to_vec();
    gen_key.extend_from_slice(bucket);
    out.push(live(gen_key, ts, gen.to_vec()));
}

fn sqs_versions(out: &mut Vec<Version>, ts: u64) {
    // Queue "alerts" = base64url "YWxlcnRz".
    out.push(live(
        b"!sqs|queue|meta|YWxlcnRz".to_vec(),
        ts,
        [
            b"\x00SQ\x01".as_slice(),
            br#"{"name":"alerts","generation":1,"visibility_timeout_seconds":30,"message_retention_seconds":345600}"#,
        ]
        .concat(),
    ));
    out.push(live(b"!sqs|queue|gen|YWxlcnRz".to_vec(), ts, b"1".to_vec()));
    let message = |id: &str, body_b64: &str, sent: u64| {
        let json = format!(
            r#"{{"message_id":"{id}","body":"{body_b64}","send_timestamp_millis":{sent},"available_at_millis":{sent},"visible_at_millis":{vis},"receive_count":1,"queue_generation":1}}"#,
            vis = sent + 30_000
        );
        [b"\x00SM\x01".as_slice(), json.as_bytes()].concat()
    };
    let data_key = |id_b64: &str| {
        let mut k = b"!sqs|msg|data|YWxlcnRz".to_vec();
        k.extend_from_slice(&1u64.to_be_bytes());
        k.extend_from_slice(id_b64.as_bytes());
        k
    };
    // "disk full" / "disk ok"; the second message was received and then deleted.
    out.push(live(
        data_key("YTE"),
        ts,
        message("a1", "ZGlzayBmdWxs", BASE_MS),
    ));
    out.push(deleted(data_key("YTI"), ts + 7));
    out.push(live(
        data_key("YTI"),
        ts,
        message("a2", "ZGlzayBvaw==", BASE_MS + 500),
    ));
}

fn redis_versions(out: &mut Vec<Version>, ts: u64) {
    let string = |body: &[u8]| [b"\xff\x01\x00".as_slice(), body].concat();
    // Overwritten string: the newest value wins.
    out.push(live(
        b"!redis|str|motd".to_vec(),
        ts + 3,
        string(b"welcome back"),
    ));
    out.push(live(b"!redis|str|motd".to_vec(), ts, string(b"welcome")));
    // Deleted string: the tombstone hides the older value.
    out.push(deleted(b"!redis|str|token:9", ts + 4));
    out.push(live(b"!redis|str|token:9", ts, string(b"secret")));
    // A version whose MVCC expiry is before the read timestamp.
    out.push(Version {
        expire_at: hlc(BASE_MS + 1_000, 0),
        ..live(b"!redis|str|cache:tmp".to_vec(), ts, string(b"stale"))
    });
    let lp = |prefix: &[u8], uk: &[u8], tail: &[u8]| {
        [prefix, &(uk.len() as u32).to_be_bytes(), uk, tail].concat()
    };
    // Hash user:7 {name: ann, plan: pro}.
    out.push(live(
        lp(b"!hs|fld|", b"user:7", b"name"),
        ts,
        b"ann".to_vec(),
    ));
    out.push(live(
        lp(b"!hs|fld|", b"user:7", b"plan"),
        ts,
        b"pro".to_vec(),
    ));
    out.push(live(
        lp(b"!hs|meta|", b"user:7", b""),
        ts,
        2u64.to_be_bytes().to_vec(),
    ));
    // List jobs [build, test].
    for (seq, item) in [(0i64, "build"), (1, "test")] {
        let seq_bytes = ((seq as u64) ^ (1 << 63)).to_be_bytes();
        out.push(live(
            [b"!lst|itm|jobs".as_slice(), &seq_bytes].concat(),
            ts,
            item,
        ));
    }
    let list_meta = [0i64.to_be_bytes(), 2i64.to_be_bytes(), 2u64.to_be_bytes()].concat();
    out.push(live(b"!lst|meta|jobs".to_vec(), ts, list_meta));
    // Set langs {go, rust}; zset scores {ann: 12.5, bob: -1}.
    for member in ["go", "rust"] {
        out.push(live(
            lp(b"!st|mem|", b"langs", member.as_bytes()),
            ts,
            Vec::new(),
        ));
    }
    out.push(live(
        lp(b"!st|meta|", b"langs", b""),
        ts,
        2u64.to_be_bytes().to_vec(),
    ));
    for (member, score) in [("ann", 12.5f64), ("bob", -1.0)] {
        out.push(live(
            lp(b"!zs|mem|", b"scores", member.as_bytes()),
            ts,
            score.to_bits().to_be_bytes().to_vec(),
        ));
    }
    out.push(live(
        lp(b"!zs|meta|", b"scores", b""),
        ts,
        2u64.to_be_bytes().to_vec(),
    ));
}

/// Builds the demo snapshot file bytes.
pub fn build_demo() -> Vec<u8> {
    let ts = hlc(BASE_MS + 30_000, 0);
    let mut versions = Vec::new();
    dynamodb_versions(&mut versions, ts);
    s3_versions(&mut versions, ts);
    sqs_versions(&mut versions, ts);
    redis_versions(&mut versions, ts);
    // Internal rows a real store carries.
    versions.push(live(b"!dist|meta|version".to_vec(), ts, b"1".to_vec()));
    versions.push(live(b"!txn|lock|motd".to_vec(), ts - 1, Vec::new()));

    // Raw Pebble order: user key ‖ ~commitTS ascending.
    versions.sort_by(|a, b| {
        let ka = [a.user_key.as_slice(), &(!a.commit_ts).to_be_bytes()].concat();
        let kb = [b.user_key.as_slice(), &(!b.commit_ts).to_be_bytes()].concat();
        ka.cmp(&kb)
    });

    let mut writer = SnapshotWriter::new(
        Vec::new(),
        WriterFraming::NodeV1 {
            ceiling_ms: BASE_MS + 63_000,
        },
        LAST_COMMIT_TS,
    )
    .expect("writing to memory");
    for v in &versions {
        writer
            .put_mvcc(&v.user_key, v.commit_ts, v.tombstone, v.expire_at, &v.body)
            .expect("writing to memory");
    }
    // `_meta_*` rows sort after every `!` key, in this order.
    for row in [
        OperationalRow::AppliedIndex(APPLIED_INDEX),
        OperationalRow::LastCommitTs(LAST_COMMIT_TS),
        OperationalRow::MinRetainedTs(hlc(BASE_MS, 0)),
    ] {
        writer.put_operational(&row).expect("writing to memory");
    }
    writer.finish().expect("writing to memory")
}

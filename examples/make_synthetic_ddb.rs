//! Writes a synthetic node file of DynamoDB items for measurements (docs/performance.md,
//! DynamoDB): `cargo run --release --example make_synthetic_ddb -- OUT ITEMS [TABLES]
//! [PAYLOAD_BYTES]`.
//!
//! ITEMS items spread over TABLES composite tables (default 1), keys in the live adapter's
//! ordered encoding (hash `u<7 digits>`, range `e<3 digits>`, ten items per hash key), each
//! item with S, N, BOOL, SS and M attributes and a PAYLOAD_BYTES string (default 200); each
//! table's schema, generation row and one GSI row per item (ignored by the decoder, counted). Entries are streamed to disk in
//! raw key order.

use std::collections::BTreeMap;
use std::io::BufWriter;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ekvsnap_runtime::dynamodb::proto::dynamo_attribute_value::Value;
use ekvsnap_runtime::dynamodb::proto::prost::Message as _;
use ekvsnap_runtime::dynamodb::proto::*;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .map(|s| s.parse().expect("a number"))
        .unwrap_or(default)
}

fn attr(v: Value) -> DynamoAttributeValue {
    DynamoAttributeValue { value: Some(v) }
}

/// Ordered-encoding segment: `00` escaped as `00 FF`, terminated by `00 01`.
fn seg(x: &[u8], out: &mut Vec<u8>) {
    for &b in x {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .expect("usage: make_synthetic_ddb OUT ITEMS [TABLES] [PAYLOAD_BYTES]");
    let items = arg(2, 1_000_000);
    let tables = arg(3, 1).max(1);
    let payload_bytes = arg(4, 200) as usize;
    let commit_ts = 1_000_000;

    let mut names: Vec<(String, String)> = (0..tables)
        .map(|t| {
            let name = format!("table-{t:04}");
            (URL_SAFE_NO_PAD.encode(&name), name)
        })
        .collect();
    names.sort();
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let mut w = SnapshotWriter::new(file, WriterFraming::NodeV1 { ceiling_ms: 1 }, commit_ts)?;
    let per_table = items.div_ceil(tables);
    // `!ddb|gsi|` < `!ddb|item|` < `!ddb|meta|gen|` < `!ddb|meta|table|`.
    for (encoded, _) in &names {
        for i in 0..per_table {
            let mut key =
                format!("!ddb|gsi|{encoded}|1|{}|", URL_SAFE_NO_PAD.encode("by-n")).into_bytes();
            seg(format!("g{i:08}").as_bytes(), &mut key);
            seg(format!("u{:07}", i / 10).as_bytes(), &mut key);
            seg(format!("e{:03}", i % 10).as_bytes(), &mut key);
            w.put_mvcc(&key, commit_ts, false, 0, b"")?;
        }
    }
    let mut written = 0;
    for (encoded, _) in &names {
        for i in 0..per_table {
            if written == items {
                break;
            }
            written += 1;
            let hash = format!("u{:07}", i / 10);
            let range = format!("e{:03}", i % 10);
            let mut key = format!("!ddb|item|{encoded}|1|").into_bytes();
            seg(hash.as_bytes(), &mut key);
            seg(range.as_bytes(), &mut key);
            let mut payload = format!("item {i} ").into_bytes();
            payload.resize(payload_bytes, b'x');
            let mut map = BTreeMap::new();
            map.insert("city".to_string(), attr(Value::S("Lisbon".into())));
            map.insert("zip".to_string(), attr(Value::N("1100".into())));
            let item = DynamoItem {
                attributes: [
                    ("pk", attr(Value::S(hash))),
                    ("sk", attr(Value::S(range))),
                    ("n", attr(Value::N(format!("{}.{:02}", i % 1000, i % 100)))),
                    ("ok", attr(Value::BoolValue(i % 2 == 0))),
                    (
                        "tags",
                        attr(Value::Ss(DynamoStringSet {
                            values: vec!["a".into(), "b".into()],
                        })),
                    ),
                    (
                        "addr",
                        attr(Value::M(DynamoAttributeValueMap { values: map })),
                    ),
                    (
                        "payload",
                        attr(Value::S(String::from_utf8(payload).expect("ASCII"))),
                    ),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            };
            let mut value = b"\x00DI\x01".to_vec();
            item.encode(&mut value).expect("Vec grows");
            w.put_mvcc(&key, commit_ts, false, 0, &value)?;
        }
    }
    for (encoded, _) in &names {
        w.put_mvcc(
            format!("!ddb|meta|gen|{encoded}").as_bytes(),
            commit_ts,
            false,
            0,
            b"1",
        )?;
    }
    for (encoded, name) in &names {
        let schema = DynamoTableSchema {
            table_name: name.clone(),
            attribute_definitions: [("pk", "S"), ("sk", "S"), ("n", "N")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            primary_key: Some(DynamoKeySchema {
                hash_key: "pk".into(),
                range_key: "sk".into(),
            }),
            global_secondary_indexes: BTreeMap::new(),
            key_encoding_version: 2,
            migrating_from_generation: 0,
            generation: 1,
        };
        let mut value = b"\x00DS\x01".to_vec();
        schema.encode(&mut value).expect("Vec grows");
        w.put_mvcc(
            format!("!ddb|meta|table|{encoded}").as_bytes(),
            commit_ts,
            false,
            0,
            &value,
        )?;
    }
    let bytes = w.bytes_written();
    w.finish()?;
    eprintln!(
        "wrote {out}: {written} items in {tables} table(s), {payload_bytes}-byte payloads, {bytes} bytes"
    );
    Ok(())
}

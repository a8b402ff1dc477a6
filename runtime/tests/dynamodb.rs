//! The DynamoDB adapter end to end: snapshots built with the project's writer, decoded with
//! `decode()`. Upstream's round-trip scenarios (dynamodb.md §12, "Related end-to-end
//! tests"), MVCC, the memory budget, the JSONL layout in MANIFEST.json, and a table name that
//! would leave the tree. Adapter-level cases are in `runtime/src/dynamodb/tests.rs`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use prost::Message as _;

use ekvsnap_runtime::adapters::{AdapterError, AdapterSet};
use ekvsnap_runtime::decode::DecodeError;
use ekvsnap_runtime::dynamodb::proto::dynamo_attribute_value::Value;
use ekvsnap_runtime::dynamodb::proto::*;
use ekvsnap_runtime::dynamodb::DynamodbError;
use ekvsnap_runtime::options::DynamodbBundleMode;
use ekvsnap_runtime::scan::ScanError;
use ekvsnap_runtime::snapshot::writer::SortedSnapshotBuilder;

use common::{config, files_under, run, write_snapshot, TS};

/// Every file under `root/dynamodb`, by path relative to `root`.
fn ddb_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    files_under(root, &root.join("dynamodb"))
}

fn json(tree: &BTreeMap<String, Vec<u8>>, path: &str) -> serde_json::Value {
    let bytes = tree
        .get(path)
        .unwrap_or_else(|| panic!("{path} missing from {:?}", tree.keys()));
    serde_json::from_slice(bytes).unwrap()
}

fn b64u(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn attr(v: Value) -> DynamoAttributeValue {
    DynamoAttributeValue { value: Some(v) }
}

fn key_schema(hash: &str, range: &str) -> Option<DynamoKeySchema> {
    Some(DynamoKeySchema {
        hash_key: hash.into(),
        range_key: range.into(),
    })
}

fn put_schema(b: &mut SortedSnapshotBuilder, ts: u64, schema: &DynamoTableSchema) {
    let key = format!("!ddb|meta|table|{}", b64u(schema.table_name.as_bytes()));
    let value = [b"\x00DS\x01".as_slice(), &schema.encode_to_vec()].concat();
    b.put_mvcc(key.as_bytes(), ts, false, 0, &value).unwrap();
}

/// An item key in the ordered encoding (key_encoding_version 2) for an S hash and optional
/// S range: seg(x) = x with 00 escaped as 00 FF, terminated by 00 01.
fn item_key(table: &str, gen: u64, hash: &str, range: Option<&str>) -> Vec<u8> {
    let seg = |x: &str, out: &mut Vec<u8>| {
        for &byte in x.as_bytes() {
            out.push(byte);
            if byte == 0 {
                out.push(0xff);
            }
        }
        out.extend_from_slice(&[0, 1]);
    };
    let mut k = format!("!ddb|item|{}|{gen}|", b64u(table.as_bytes())).into_bytes();
    seg(hash, &mut k);
    if let Some(r) = range {
        seg(r, &mut k);
    }
    k
}

fn put_item(
    b: &mut SortedSnapshotBuilder,
    key: &[u8],
    ts: u64,
    tombstone: bool,
    item: &DynamoItem,
) {
    let value = if tombstone {
        Vec::new()
    } else {
        [b"\x00DI\x01".as_slice(), &item.encode_to_vec()].concat()
    };
    b.put_mvcc(key, ts, tombstone, 0, &value).unwrap();
}

fn item(attrs: Vec<(&str, DynamoAttributeValue)>) -> DynamoItem {
    DynamoItem {
        attributes: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

fn s(v: &str) -> DynamoAttributeValue {
    attr(Value::S(v.into()))
}

fn n(v: &str) -> DynamoAttributeValue {
    attr(Value::N(v.into()))
}

fn defs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The DynamoDB error that stopped a decode.
fn ddb_error(err: &DecodeError) -> &DynamodbError {
    match err {
        DecodeError::Scan {
            source:
                ScanError::Adapter {
                    adapter: "dynamodb",
                    source: AdapterError::Dynamodb(e),
                },
            ..
        } => e.as_ref(),
        DecodeError::Finalize {
            adapter: "dynamodb",
            source: AdapterError::Dynamodb(e),
        } => e.as_ref(),
        other => panic!("DynamoDB adapter error expected, got {other:?}"),
    }
}

// Upstream TestDDBEncodeSchemaRoundTripViaDecode and TestDDBEncodeHashOnlySchemaRoundTrip: a
// composite table with GSI `by-region` / `ALL`, and a hash-only table.
#[test]
fn schema_round_trip_composite_with_gsi_and_hash_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    let mut gsis = BTreeMap::new();
    gsis.insert(
        "by-region".to_string(),
        DynamoGlobalSecondaryIndex {
            key_schema: key_schema("region", "sk"),
            projection: Some(DynamoGsiProjection {
                projection_type: "ALL".into(),
                non_key_attributes: Vec::new(),
            }),
        },
    );
    put_schema(
        &mut b,
        TS,
        &DynamoTableSchema {
            table_name: "orders".into(),
            attribute_definitions: defs(&[("pk", "S"), ("region", "S"), ("sk", "N")]),
            primary_key: key_schema("pk", "sk"),
            global_secondary_indexes: gsis,
            key_encoding_version: 2,
            migrating_from_generation: 0,
            generation: 1,
        },
    );
    put_schema(
        &mut b,
        TS,
        &DynamoTableSchema {
            table_name: "sessions".into(),
            attribute_definitions: defs(&[("id", "S")]),
            primary_key: key_schema("id", ""),
            generation: 1,
            ..DynamoTableSchema::default()
        },
    );
    let out = dir.path().join("out");
    let report = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    assert_eq!(report.counters.dynamodb, 2);
    let tree = ddb_tree(&out);
    // The same bytes as the real fixture's schemas (written by elastickv's own code).
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/real-small/expected/dynamodb");
    for table in ["orders", "sessions"] {
        let path = format!("dynamodb/{table}/_schema.json");
        assert_eq!(
            String::from_utf8(tree[&path].clone()).unwrap(),
            std::fs::read_to_string(fixture.join(format!("{table}/_schema.json"))).unwrap()
        );
    }
    assert!(
        out.join("dynamodb/sessions/items").is_dir(),
        "items/ always exists"
    );
}

// Upstream TestDDBEncodeItemCompositeRoundTrip, TestDDBEncodeItemHashOnlyRoundTrip,
// TestDDBEncodeItemBinaryKeyRoundTrip, TestDDBEncodeItemNumericHashKeyRoundTrip,
// TestDDBEncodeItemNumericRangeKeyRoundTrip and
// TestDDBEncodeItemPreservesStructuralEdgeCases: bodies decode JSON-equal to the items.
#[test]
fn item_bodies_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    let everything = item(vec![
        ("pk", s("u1")),
        ("sk", n("-12.5")),
        ("b", attr(Value::B(b"hello".to_vec()))),
        ("t", attr(Value::BoolValue(false))),
        ("nil", attr(Value::NullValue(false))),
        ("ss", attr(Value::Ss(DynamoStringSet::default()))),
        ("ns", attr(Value::Ns(DynamoNumberSet::default()))),
        ("bs", attr(Value::Bs(DynamoBinarySet::default()))),
        (
            "l",
            attr(Value::L(DynamoAttributeValueList {
                values: vec![n("1"), attr(Value::B(vec![0, 1]))],
            })),
        ),
    ]);
    put_item(
        &mut b,
        &item_key("c", 1, "u1", Some("x")),
        TS,
        false,
        &everything,
    );
    put_schema(
        &mut b,
        TS,
        &DynamoTableSchema {
            table_name: "c".into(),
            attribute_definitions: defs(&[("pk", "S"), ("sk", "N")]),
            primary_key: key_schema("pk", "sk"),
            generation: 1,
            ..DynamoTableSchema::default()
        },
    );
    // Numeric hash key 100; binary hash key AAE=.
    put_item(
        &mut b,
        &item_key("num", 1, "x", None),
        TS,
        false,
        &item(vec![("id", n("100"))]),
    );
    put_schema(
        &mut b,
        TS,
        &DynamoTableSchema {
            table_name: "num".into(),
            attribute_definitions: defs(&[("id", "N")]),
            primary_key: key_schema("id", ""),
            generation: 1,
            ..DynamoTableSchema::default()
        },
    );
    put_item(
        &mut b,
        &item_key("bin", 1, "x", None),
        TS,
        false,
        &item(vec![("id", attr(Value::B(vec![0, 1])))]),
    );
    put_schema(
        &mut b,
        TS,
        &DynamoTableSchema {
            table_name: "bin".into(),
            attribute_definitions: defs(&[("id", "B")]),
            primary_key: key_schema("id", ""),
            generation: 1,
            ..DynamoTableSchema::default()
        },
    );
    let out = dir.path().join("out");
    run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    let tree = ddb_tree(&out);
    assert_eq!(
        json(&tree, "dynamodb/c/items/u1/-25%2F2.json"),
        serde_json::json!({
            "pk": {"S": "u1"}, "sk": {"N": "-12.5"}, "b": {"B": "aGVsbG8="},
            "t": {"BOOL": false}, "nil": {"NULL": false},
            "ss": {"SS": []}, "ns": {"NS": []}, "bs": {"BS": []},
            "l": {"L": [{"N": "1"}, {"B": "AAE="}]}
        })
    );
    assert_eq!(
        json(&tree, "dynamodb/num/items/100.json"),
        serde_json::json!({"id": {"N": "100"}})
    );
    assert_eq!(
        json(&tree, "dynamodb/bin/items/b64.AAE.json"),
        serde_json::json!({"id": {"B": "AAE="}})
    );
}

// No upstream test (upstream routes every version, dynamodb.md §11.5): only the visible
// version of each item and schema is used; a deleted item stays deleted.
#[test]
fn only_the_newest_visible_version_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    let schema = |gen: u64| DynamoTableSchema {
        table_name: "t".into(),
        attribute_definitions: defs(&[("id", "S")]),
        primary_key: key_schema("id", ""),
        generation: gen,
        ..DynamoTableSchema::default()
    };
    put_schema(&mut b, TS, &schema(2));
    put_schema(&mut b, TS - 10, &schema(1));
    let k = item_key("t", 2, "a", None);
    put_item(
        &mut b,
        &k,
        TS,
        false,
        &item(vec![("id", s("a")), ("v", s("new"))]),
    );
    put_item(
        &mut b,
        &k,
        TS - 5,
        false,
        &item(vec![("id", s("a")), ("v", s("old"))]),
    );
    let gone = item_key("t", 2, "gone", None);
    put_item(&mut b, &gone, TS, true, &DynamoItem::default());
    put_item(&mut b, &gone, TS - 5, false, &item(vec![("id", s("gone"))]));
    let out = dir.path().join("out");
    let report = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap();
    assert_eq!(report.counters.dynamodb, 2);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    let tree = ddb_tree(&out);
    assert_eq!(
        tree.keys().collect::<Vec<_>>(),
        ["dynamodb/t/_schema.json", "dynamodb/t/items/a.json"]
    );
    assert_eq!(json(&tree, "dynamodb/t/items/a.json")["v"]["S"], "new");
}

/// Many items over two tables and three generations.
fn big_snapshot(b: &mut SortedSnapshotBuilder) {
    for (table, range) in [("events", Some("ts")), ("users", None)] {
        for i in 0..400u32 {
            let gen = 1 + u64::from(i % 3);
            let hash = format!("user-{}", i % 37);
            let ts = format!("{}", i % 11);
            let mut attrs = vec![
                ("id", s(&hash)),
                ("blob", attr(Value::B(vec![i as u8; (i % 50) as usize]))),
            ];
            if range.is_some() {
                attrs.push(("ts", n(&ts)));
            }
            let key = item_key(table, gen, &format!("{i:04}"), range.map(|_| ts.as_str()));
            put_item(b, &key, TS, false, &item(attrs));
        }
        put_schema(
            b,
            TS,
            &DynamoTableSchema {
                table_name: table.into(),
                attribute_definitions: defs(&[("id", "S"), ("ts", "N")]),
                primary_key: key_schema("id", range.unwrap_or("")),
                generation: 3,
                migrating_from_generation: 2,
                ..DynamoTableSchema::default()
            },
        );
    }
}

#[test]
fn output_is_identical_whatever_the_memory_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    big_snapshot(&mut b);
    let path = write_snapshot(dir.path(), &b);
    for mode in [DynamodbBundleMode::PerItem, DynamodbBundleMode::Jsonl] {
        let mut trees = Vec::new();
        for budget in [1u64 << 30, 4096, 0] {
            let out = dir.path().join(format!("out-{mode}-{budget}"));
            let mut cfg = config(&out);
            cfg.memory_budget = budget;
            cfg.adapter_options.dynamodb.dynamodb_bundle_mode = mode;
            cfg.adapter_options.dynamodb.dynamodb_bundle_size = 2 << 10;
            let report = run(&path, &cfg).unwrap();
            assert_eq!(report.warnings.get("ddb_stale_generation_items"), Some(&2));
            trees.push(ddb_tree(&out));
        }
        assert!(trees[0].len() > 10, "{mode}: {} files", trees[0].len());
        assert_eq!(trees[0], trees[1], "{mode}: 4 KiB budget");
        assert_eq!(trees[0], trees[2], "{mode}: zero budget");
    }
}

#[test]
fn jsonl_layout_is_recorded_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    big_snapshot(&mut b);
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapter_options.dynamodb.dynamodb_bundle_mode = DynamodbBundleMode::Jsonl;
    run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("MANIFEST.json")).unwrap()).unwrap();
    assert_eq!(manifest["dynamodb_layout"], "jsonl");
    let tree = ddb_tree(&out);
    let users = String::from_utf8(tree["dynamodb/users/items/data-00000.jsonl"].clone()).unwrap();
    // 37 distinct hash keys over the two emitted generations; the active one wins.
    assert_eq!(users.lines().count(), 37 + collisions_in_users());
    assert!(tree
        .keys()
        .all(|k| !k.ends_with(".json") || k.ends_with("_schema.json")));
}

/// Items of `users` (hash-only, key `user-<i % 37>`) that share a key with another item of
/// the same emitted generation: every one is a line of its own.
fn collisions_in_users() -> usize {
    let mut per_key: BTreeMap<(u32, u64), usize> = BTreeMap::new();
    for i in 0..400u32 {
        let gen = 1 + u64::from(i % 3);
        *per_key.entry((i % 37, gen)).or_default() += 1;
    }
    // The winning generation of each key is 3 when it has any item there, else 2.
    (0..37)
        .map(|k| {
            let active = per_key.get(&(k, 3)).copied().unwrap_or(0);
            let source = per_key.get(&(k, 2)).copied().unwrap_or(0);
            if active > 0 {
                active - 1
            } else {
                source.saturating_sub(1)
            }
        })
        .sum()
}

// dynamodb.md §11.3: upstream writes a table named `..` into the output root's parent
// directory level. Here the decode stops with a typed error when its schema arrives.
#[test]
fn unsafe_table_name_stops_the_decode() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    put_schema(
        &mut b,
        TS,
        &DynamoTableSchema {
            table_name: "..".into(),
            primary_key: key_schema("id", ""),
            ..DynamoTableSchema::default()
        },
    );
    let out = dir.path().join("out");
    let err = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap_err();
    assert!(
        matches!(ddb_error(&err), DynamodbError::UnsafeTableName { .. }),
        "{err}"
    );
    assert!(!out.join("MANIFEST.json").exists());
    assert!(!dir.path().join("_schema.json").exists() && !out.join("_schema.json").exists());
}

// Upstream TestDecodeSnapshot_DisabledAdapterCountsAsInternal, for DynamoDB (ekvsnap counts
// `adapter_disabled`, docs/compatibility.md M2): nothing is parsed, nothing written.
#[test]
fn disabled_dynamodb_adapter_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = SortedSnapshotBuilder::new();
    b.put_mvcc(b"!ddb|item|", TS, false, 0, b"junk").unwrap();
    b.put_mvcc(b"!ddb|meta|table|c2Vzc2lvbnM", TS, false, 0, b"junk")
        .unwrap();
    let out = dir.path().join("out");
    let mut cfg = config(&out);
    cfg.adapters = AdapterSet::parse("sqs").unwrap();
    let report = run(&write_snapshot(dir.path(), &b), &cfg).unwrap();
    assert_eq!(report.counters.adapter_disabled, 2);
    assert!(!out.join("dynamodb").exists());
    // Enabled, the malformed key stops the decode.
    let out = dir.path().join("out2");
    let err = run(&write_snapshot(dir.path(), &b), &config(&out)).unwrap_err();
    assert!(
        matches!(ddb_error(&err), DynamodbError::MalformedKey { .. }),
        "{err}"
    );
}

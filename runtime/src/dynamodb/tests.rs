//! The DynamoDB adapter driven directly: upstream's `internal/backup/dynamodb_test.go`
//! scenarios (dynamodb.md §12, one test each, named after them), golden bytes derived from
//! the rendering rules (§5.2, §5.3) and our deliberate differences (docs/compatibility.md,
//! Adapters). End-to-end cases through `decode()` are in `runtime/tests/dynamodb.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::proto::dynamo_attribute_value::Value;
use super::proto::*;
use super::*;
use crate::adapters::{Adapter, AdapterError, Record};
use crate::keys::{route, KeyErrorKind};
use crate::options::DynamodbBundleMode;
use crate::output::{encode_segment, OutputTree};
use crate::spill::{MemoryBudget, Scratch, SpillContext};
use crate::testkit::{events, finalize_capturing, Warning};

// ------------------------------------------------------------------------------------------
// Harness
// ------------------------------------------------------------------------------------------

fn b64u(raw: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn meta_key(table: &str) -> Vec<u8> {
    format!("!ddb|meta|table|{}", b64u(table.as_bytes())).into_bytes()
}

/// Upstream's test helper: prefix, b64u(table), `|gen|`, b64u(hash) [, `|` b64u(range)].
fn item_key(table: &str, gen: u64, hash: &str, range: Option<&str>) -> Vec<u8> {
    let mut k = format!(
        "!ddb|item|{}|{gen}|{}",
        b64u(table.as_bytes()),
        b64u(hash.as_bytes())
    );
    if let Some(r) = range {
        k.push('|');
        k.push_str(&b64u(r.as_bytes()));
    }
    k.into_bytes()
}

fn schema_value(schema: &DynamoTableSchema) -> Vec<u8> {
    [b"\x00DS\x01".as_slice(), &schema.encode_to_vec()].concat()
}

fn item_value(item: &DynamoItem) -> Vec<u8> {
    [b"\x00DI\x01".as_slice(), &item.encode_to_vec()].concat()
}

fn s(v: &str) -> DynamoAttributeValue {
    DynamoAttributeValue {
        value: Some(Value::S(v.into())),
    }
}

fn n(v: &str) -> DynamoAttributeValue {
    DynamoAttributeValue {
        value: Some(Value::N(v.into())),
    }
}

fn b(v: &[u8]) -> DynamoAttributeValue {
    DynamoAttributeValue {
        value: Some(Value::B(v.to_vec())),
    }
}

fn item(attrs: &[(&str, DynamoAttributeValue)]) -> DynamoItem {
    DynamoItem {
        attributes: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    }
}

/// A schema: table name, hash key (name, type), optional range key, generation, migration
/// source.
fn table_schema(
    name: &str,
    hash: (&str, &str),
    range: Option<(&str, &str)>,
    generation: u64,
    migrating_from: u64,
) -> DynamoTableSchema {
    let mut defs = BTreeMap::new();
    defs.insert(hash.0.to_string(), hash.1.to_string());
    if let Some(r) = range {
        defs.insert(r.0.to_string(), r.1.to_string());
    }
    DynamoTableSchema {
        table_name: name.into(),
        attribute_definitions: defs,
        primary_key: Some(DynamoKeySchema {
            hash_key: hash.0.into(),
            range_key: range.map(|r| r.0.to_string()).unwrap_or_default(),
        }),
        global_secondary_indexes: BTreeMap::new(),
        key_encoding_version: 2,
        migrating_from_generation: migrating_from,
        generation,
    }
}

/// An adapter with its output tree and scratch directory.
struct Run {
    _dir: tempfile::TempDir,
    out: PathBuf,
    tree: OutputTree,
    adapter: DynamodbAdapter,
    budget: MemoryBudget,
}

fn per_item() -> DynamodbOptions {
    DynamodbOptions::default()
}

fn jsonl(bundle_size: u64) -> DynamodbOptions {
    DynamodbOptions {
        dynamodb_bundle_mode: DynamodbBundleMode::Jsonl,
        dynamodb_bundle_size: bundle_size,
    }
}

impl Run {
    fn new() -> Run {
        Run::with(per_item(), MemoryBudget::unlimited())
    }

    fn with(options: DynamodbOptions, budget: MemoryBudget) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let tree = OutputTree::prepare(&out, false).unwrap();
        let scratch = Scratch::new_in(dir.path(), &out).unwrap();
        let adapter = DynamodbAdapter::new(options, SpillContext::new(budget.clone(), scratch));
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

    fn schema(&mut self, schema: &DynamoTableSchema) {
        let key = meta_key(&schema.table_name);
        self.ok(&key, &schema_value(schema));
    }

    fn item(&mut self, table: &str, gen: u64, key_hint: &str, item: &DynamoItem) {
        self.ok(&item_key(table, gen, key_hint, None), &item_value(item));
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

    fn read(&self, rel: &str) -> String {
        String::from_utf8(std::fs::read(self.out.join(rel)).unwrap()).unwrap()
    }

    fn json(&self, rel: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(rel)).unwrap()
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

    /// Every file and its bytes.
    fn tree(&self) -> BTreeMap<String, Vec<u8>> {
        self.files()
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(self.out.join(&f)).unwrap();
                (f, bytes)
            })
            .collect()
    }
}

fn ddb_err(result: Result<(), AdapterError>) -> DynamodbError {
    match result {
        Err(AdapterError::Dynamodb(e)) => *e,
        other => panic!("expected a DynamoDB error, got {other:?}"),
    }
}

/// Compact rendering of one attribute value (upstream tests marshal with `json.Marshal`).
fn compact(value: &DynamoAttributeValue) -> String {
    let mut w = crate::json::JsonWriter::compact();
    item::render_value(value, &mut w);
    String::from_utf8(w.into_bytes()).unwrap()
}

// ------------------------------------------------------------------------------------------
// Upstream internal/backup/dynamodb_test.go, one test each (dynamodb.md §12)
// ------------------------------------------------------------------------------------------

#[test]
fn hash_only_table_round_trip() {
    let mut run = Run::new();
    // The item is handled before its schema, as in a snapshot.
    run.item(
        "sessions",
        1,
        "sess-abc123",
        &item(&[
            ("session_id", s("sess-abc123")),
            (
                "flags",
                DynamoAttributeValue {
                    value: Some(Value::BoolValue(true)),
                },
            ),
            ("count", n("42")),
        ]),
    );
    run.schema(&table_schema("sessions", ("session_id", "S"), None, 1, 0));
    assert!(run.done().is_empty());
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/sessions/_schema.json",
            "dynamodb/sessions/items/sess-abc123.json"
        ]
    );
    // The examples of dynamodb.md §5.2 and §5.3, byte for byte (no trailing newline).
    assert_eq!(
        run.read("dynamodb/sessions/_schema.json"),
        "{\n  \"format_version\": 1,\n  \"table_name\": \"sessions\",\n  \"primary_key\": {\n    \"hash_key\": {\n      \"name\": \"session_id\",\n      \"type\": \"S\"\n    },\n    \"range_key\": {}\n  },\n  \"attribute_definitions\": [\n    {\n      \"name\": \"session_id\",\n      \"type\": \"S\"\n    }\n  ]\n}"
    );
    assert_eq!(
        run.read("dynamodb/sessions/items/sess-abc123.json"),
        "{\n  \"count\": {\n    \"N\": \"42\"\n  },\n  \"flags\": {\n    \"BOOL\": true\n  },\n  \"session_id\": {\n    \"S\": \"sess-abc123\"\n  }\n}"
    );
}

#[test]
fn composite_key_table_round_trip() {
    let mut run = Run::new();
    let it = item(&[
        ("customer_id", s("customer-7421")),
        ("order_ts", s("2026-04-29T12:00:00Z")),
        ("total", n("129.50")),
    ]);
    run.ok(
        &item_key("orders", 1, "customer-7421", Some("2026-04-29T12:00:00Z")),
        &item_value(&it),
    );
    run.schema(&table_schema(
        "orders",
        ("customer_id", "S"),
        Some(("order_ts", "S")),
        1,
        0,
    ));
    run.done();
    let body = run.json("dynamodb/orders/items/customer-7421/2026-04-29T12%3A00%3A00Z.json");
    assert_eq!(
        body["total"]["N"], "129.50",
        "bodies keep the stored number"
    );
    let schema = run.json("dynamodb/orders/_schema.json");
    assert_eq!(
        schema["primary_key"]["range_key"],
        serde_json::json!({"name": "order_ts", "type": "S"})
    );
}

#[test]
fn binary_hash_key_renders_as_b64_prefix() {
    let mut run = Run::new();
    run.schema(&table_schema("bin", ("id", "B"), None, 1, 0));
    run.item("bin", 1, "doesnt-matter", &item(&[("id", b(&[0, 1, 2]))]));
    run.done();
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/bin/_schema.json",
            "dynamodb/bin/items/b64.AAEC.json"
        ]
    );
    assert_eq!(
        run.json("dynamodb/bin/items/b64.AAEC.json")["id"]["B"],
        "AAEC"
    );
}

#[test]
fn orphan_items_without_schema_warn() {
    let mut run = Run::new();
    run.item("ghost", 1, "k", &item(&[("id", s("k"))]));
    run.item("ghost", 2, "j", &item(&[("id", s("j"))]));
    let warnings = run.done();
    assert_eq!(
        warnings,
        vec![Warning {
            event: "ddb_orphan_items".into(),
            fields: "encoded_table=\"Z2hvc3Q\" buffered_items=\"2\"".into()
        }]
    );
    assert!(run.files().is_empty(), "nothing is written for an orphan");
}

#[test]
fn rejects_value_without_magic() {
    let mut run = Run::new();
    let e = ddb_err(run.put(&meta_key("t"), b"not-magic"));
    assert_eq!(e.class(), ErrorClass::InvalidSchema);
    assert!(
        e.to_string()
            .starts_with("backup: invalid !ddb|meta|table value"),
        "{e}"
    );
    let e = ddb_err(run.put(&item_key("t", 1, "k", None), b"not-magic"));
    assert_eq!(e.class(), ErrorClass::InvalidItem);
    assert!(
        e.to_string().starts_with("backup: invalid !ddb|item value"),
        "{e}"
    );
    // A protobuf Go would not decode is the same class.
    let e = ddb_err(run.put(&item_key("t", 1, "k", None), b"\x00DI\x01\x0a\x05ab"));
    assert_eq!(e.class(), ErrorClass::InvalidItem);
    let e = ddb_err(run.put(&meta_key("t"), b"\x00DS\x01\x0a\x01\xff"));
    assert_eq!(e.class(), ErrorClass::InvalidSchema);
}

#[test]
fn rejects_item_missing_hash_key_attribute() {
    let mut run = Run::new();
    run.item("t", 1, "k", &item(&[("other", s("k"))]));
    run.schema(&table_schema("t", ("id", "S"), None, 1, 0));
    let e = ddb_err(run.finalize().0);
    assert_eq!(e.class(), ErrorClass::InvalidItem);
    assert!(
        matches!(&e, DynamodbError::ItemKey { reason: item::ItemKeyError::Missing { role: "hash", name }, .. } if name == "id"),
        "{e}"
    );
    // Its schema was written before the items (upstream's flush order).
    assert_eq!(run.files(), vec!["dynamodb/t/_schema.json"]);
}

#[test]
fn gsi_rows_ignored() {
    let mut run = Run::new();
    run.ok(b"!ddb|gsi|whatever", b"anything");
    run.ok(b"!ddb|meta|gen|whatever", b"not a number");
    assert!(run.done().is_empty());
    assert!(run.files().is_empty());
}

/// An item with every attribute kind.
fn all_kinds() -> DynamoItem {
    let mut m = BTreeMap::new();
    m.insert("inner".to_string(), s("x"));
    m.insert("a<b>".to_string(), n("1"));
    item(&[
        ("k", s("k")),
        ("s", s("hi")),
        ("n", n("3.14")),
        ("b", b(b"hello")),
        (
            "bool_t",
            DynamoAttributeValue {
                value: Some(Value::BoolValue(true)),
            },
        ),
        (
            "null",
            DynamoAttributeValue {
                value: Some(Value::NullValue(true)),
            },
        ),
        (
            "ss",
            DynamoAttributeValue {
                value: Some(Value::Ss(DynamoStringSet {
                    values: vec!["b".into(), "a".into()],
                })),
            },
        ),
        (
            "ns",
            DynamoAttributeValue {
                value: Some(Value::Ns(DynamoNumberSet {
                    values: vec!["2".into(), "1.50".into()],
                })),
            },
        ),
        (
            "bs",
            DynamoAttributeValue {
                value: Some(Value::Bs(DynamoBinarySet {
                    values: vec![vec![0xff], Vec::new()],
                })),
            },
        ),
        (
            "l",
            DynamoAttributeValue {
                value: Some(Value::L(DynamoAttributeValueList {
                    values: vec![s("x"), n("5")],
                })),
            },
        ),
        (
            "m",
            DynamoAttributeValue {
                value: Some(Value::M(DynamoAttributeValueMap { values: m })),
            },
        ),
    ])
}

#[test]
fn all_attribute_kinds_round_trip_through_json() {
    let mut run = Run::new();
    run.schema(&table_schema("kinds", ("k", "S"), None, 1, 0));
    run.item("kinds", 1, "k", &all_kinds());
    run.done();
    let body = run.read("dynamodb/kinds/items/k.json");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["s"]["S"], "hi");
    assert_eq!(v["bool_t"]["BOOL"], true);
    assert_eq!(v["l"]["L"].as_array().unwrap().len(), 2);
    // Every rule of dynamodb.md §5.3 and §5.6 at once, byte for byte: keys in byte order,
    // sets in stored order, B as padded standard base64, HTML escaping in keys.
    let expected = r#"{
  "b": {
    "B": "aGVsbG8="
  },
  "bool_t": {
    "BOOL": true
  },
  "bs": {
    "BS": [
      "/w==",
      ""
    ]
  },
  "k": {
    "S": "k"
  },
  "l": {
    "L": [
      {
        "S": "x"
      },
      {
        "N": "5"
      }
    ]
  },
  "m": {
    "M": {
      "a\u003cb\u003e": {
        "N": "1"
      },
      "inner": {
        "S": "x"
      }
    }
  },
  "n": {
    "N": "3.14"
  },
  "ns": {
    "NS": [
      "2",
      "1.50"
    ]
  },
  "null": {
    "NULL": true
  },
  "s": {
    "S": "hi"
  },
  "ss": {
    "SS": [
      "b",
      "a"
    ]
  }
}"#;
    assert_eq!(body, expected);
}

#[test]
fn attribute_value_to_public_empty_oneof_surfaced_as_null() {
    assert_eq!(
        compact(&DynamoAttributeValue { value: None }),
        r#"{"NULL":true}"#
    );
    // A stored NULL false passes through (dynamodb.md §11.9).
    assert_eq!(
        compact(&DynamoAttributeValue {
            value: Some(Value::NullValue(false))
        }),
        r#"{"NULL":false}"#
    );
}

/// Upstream fails here; ours writes the bundle (docs/compatibility.md).
#[test]
fn bundle_jsonl_not_implemented_yet_is_implemented() {
    let mut run = Run::with(jsonl(64 << 20), MemoryBudget::unlimited());
    run.item("t", 1, "b", &item(&[("id", s("b")), ("v", s("<2>"))]));
    run.item("t", 1, "a", &item(&[("id", s("a"))]));
    run.schema(&table_schema("t", ("id", "S"), None, 1, 0));
    assert!(run.done().is_empty());
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/t/_schema.json",
            "dynamodb/t/items/data-00000.jsonl"
        ]
    );
    assert_eq!(
        run.read("dynamodb/t/items/data-00000.jsonl"),
        "{\"id\":{\"S\":\"a\"}}\n{\"id\":{\"S\":\"b\"},\"v\":{\"S\":\"\\u003c2\\u003e\"}}\n"
    );
}

#[test]
fn migration_source_generation_items_are_emitted() {
    let mut run = Run::new();
    run.item("t", 6, "b", &item(&[("id", s("b"))]));
    run.item("t", 7, "a", &item(&[("id", s("a"))]));
    run.schema(&table_schema("t", ("id", "S"), None, 7, 6));
    assert!(run.done().is_empty());
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/t/_schema.json",
            "dynamodb/t/items/a.json",
            "dynamodb/t/items/b.json"
        ]
    );
}

#[test]
fn dot_segment_key_rejected() {
    for (range, hash_value, range_value) in [
        (false, ".", ""),
        (false, "..", ""),
        (true, "h", "."),
        (true, "h", ".."),
    ] {
        let mut run = Run::new();
        let mut attrs = vec![("id", s(hash_value))];
        if range {
            attrs.push(("sk", s(range_value)));
        }
        run.item("t", 1, "x", &item(&attrs));
        run.schema(&table_schema(
            "t",
            ("id", "S"),
            range.then_some(("sk", "S")),
            1,
            0,
        ));
        let e = ddb_err(run.finalize().0);
        assert_eq!(e.class(), ErrorClass::InvalidItem, "{e}");
        assert!(
            matches!(
                &e,
                DynamodbError::ItemKey {
                    reason: item::ItemKeyError::DotSegment { .. },
                    ..
                }
            ),
            "{e}"
        );
    }
    // An N key that does not parse canonicalises to itself: `.` is rejected too.
    let e = item::key_part(&item(&[("id", n(" . "))]), "hash", "id").unwrap_err();
    assert!(matches!(e, item::ItemKeyError::DotSegment { .. }));
}

#[test]
fn canonical_number_key_segment() {
    let seg = |v: &str| item::key_part(&item(&[("id", n(v))]), "hash", "id").unwrap();
    for (a, b) in [("1", "1.0"), ("100", "1e2"), ("-0", "0"), ("0.5", "5e-1")] {
        assert_eq!(seg(a).segment, seg(b).segment, "{a} vs {b}");
    }
    assert_eq!(seg("0.5").segment, "1%2F2");
    assert_eq!(seg("-12.5").segment, "-25%2F2");
    assert_eq!(seg("-12.5").raw, b"-25/2");
}

#[test]
fn schema_json_is_deterministic() {
    // Map entries in scrambled wire order, as Go's non-deterministic marshal could write.
    let mut wire = Vec::new();
    for (name, ty) in [("zeta", "S"), ("alpha", "S"), ("mu", "N"), ("id", "S")] {
        crate::dynamodb::wire::tests::pb::entry(2, name.as_bytes(), Some(ty.as_bytes()), &mut wire);
    }
    for (index, hash) in [("gZ", "zeta"), ("gA", "alpha"), ("gM", "mu")] {
        let gsi = DynamoGlobalSecondaryIndex {
            key_schema: Some(DynamoKeySchema {
                hash_key: hash.into(),
                range_key: String::new(),
            }),
            projection: Some(DynamoGsiProjection {
                projection_type: "ALL".into(),
                non_key_attributes: Vec::new(),
            }),
        };
        crate::dynamodb::wire::tests::pb::entry(
            4,
            index.as_bytes(),
            Some(&gsi.encode_to_vec()),
            &mut wire,
        );
    }
    let decoded = DynamoTableSchema::decode(wire.as_slice()).unwrap();
    let first = schema::render_schema(&decoded);
    for _ in 0..32 {
        assert_eq!(schema::render_schema(&decoded), first);
    }
    let v: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let names = |key: &str, field: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[field].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names("attribute_definitions", "name"),
        ["alpha", "id", "mu", "zeta"]
    );
    assert_eq!(
        names("global_secondary_indexes", "name"),
        ["gA", "gM", "gZ"]
    );
    // The GSI entry example of dynamodb.md §5.2.
    let text = String::from_utf8(first).unwrap();
    assert!(text.contains(
        "    {\n      \"name\": \"gA\",\n      \"key_schema\": {\n        \"hash_key\": {\n          \"name\": \"alpha\",\n          \"type\": \"S\"\n        },\n        \"range_key\": {}\n      },\n      \"projection\": {\n        \"type\": \"ALL\"\n      }\n    }"
    ), "{text}");
}

#[test]
fn new_generation_wins_over_migration_source_for_same_key() {
    let mut run = Run::new();
    run.item(
        "t",
        6,
        "k",
        &item(&[("id", s("k")), ("v", s("old-version"))]),
    );
    run.item(
        "t",
        7,
        "k",
        &item(&[("id", s("k")), ("v", s("new-version"))]),
    );
    run.schema(&table_schema("t", ("id", "S"), None, 7, 6));
    assert!(run.done().is_empty(), "a migration is no collision");
    assert_eq!(run.json("dynamodb/t/items/k.json")["v"]["S"], "new-version");
    assert_eq!(run.files().len(), 2);
}

#[test]
fn stale_generation_items_excluded_and_warned() {
    let mut run = Run::new();
    run.item("t", 4, "ghost", &item(&[("id", s("ghost"))]));
    run.item("t", 5, "alive", &item(&[("id", s("alive"))]));
    run.schema(&table_schema("t", ("id", "S"), None, 5, 0));
    let warnings = run.done();
    assert_eq!(
        warnings,
        vec![Warning {
            event: "ddb_stale_generation_items".into(),
            fields: format!(
                "table=\"t\" active_generation=\"5\" migration_source_generation=\"0\" stale_count=\"1\" hint={:?}",
                flush::STALE_HINT
            ),
        }]
    );
    assert_eq!(
        run.files(),
        vec!["dynamodb/t/_schema.json", "dynamodb/t/items/alive.json"]
    );
}

#[test]
fn empty_string_set_serializes_as_empty_array_not_null() {
    let empty = |v: Value| compact(&DynamoAttributeValue { value: Some(v) });
    assert_eq!(empty(Value::Ss(DynamoStringSet::default())), r#"{"SS":[]}"#);
    assert_eq!(empty(Value::Ns(DynamoNumberSet::default())), r#"{"NS":[]}"#);
    assert_eq!(empty(Value::Bs(DynamoBinarySet::default())), r#"{"BS":[]}"#);
    assert_eq!(
        empty(Value::L(DynamoAttributeValueList::default())),
        r#"{"L":[]}"#
    );
    assert_eq!(
        empty(Value::M(DynamoAttributeValueMap::default())),
        r#"{"M":{}}"#
    );
    assert_eq!(empty(Value::B(Vec::new())), r#"{"B":""}"#);
}

#[test]
fn parse_item_key_extracts_generation() {
    let key = item_key("orders", 42, "pk", Some("sk"));
    let parsed = DynamodbItemKey::parse(&key).unwrap();
    assert_eq!(parsed.table.as_bytes(), b"b3JkZXJz");
    assert_eq!(parsed.generation, 42);
    assert_eq!(parsed.primary_key, b"cGs|c2s");
}

#[test]
fn rejects_table_meta_key_with_empty_segment() {
    let mut run = Run::new();
    let e = ddb_err(run.put(b"!ddb|meta|table|", b"\x00DS\x01"));
    assert_eq!(e.class(), ErrorClass::MalformedKey);
    assert!(
        e.to_string().starts_with("backup: malformed DynamoDB key"),
        "{e}"
    );
}

#[test]
fn rejects_item_key_with_empty_primary_key_payload() {
    let mut run = Run::new();
    let e = ddb_err(run.put(b"!ddb|item|dA|7|", b"\x00DI\x01"));
    assert_eq!(e.class(), ErrorClass::MalformedKey);
    let DynamodbError::MalformedKey { reason, .. } = &e else {
        unreachable!()
    };
    assert!(matches!(reason.kind, KeyErrorKind::EmptySegment), "{e}");
}

#[test]
fn rejects_key_with_missing_table_segment() {
    let mut run = Run::new();
    for key in [
        b"!ddb|item|".as_slice(),
        b"!ddb|item||1|k",
        b"!ddb|item|dA|x|k",
        b"!ddb|item|dA||k",
        b"!ddb|item|dA",
        b"!ddb|item|d|1|k",
        b"!ddb|meta|table|d",
    ] {
        let e = ddb_err(run.put(key, b"\x00DI\x01"));
        assert_eq!(e.class(), ErrorClass::MalformedKey, "{key:?}");
    }
    // Key checks come before value checks.
    let e = ddb_err(run.put(b"!ddb|item|", b"not-magic"));
    assert_eq!(e.class(), ErrorClass::MalformedKey);
}

// ------------------------------------------------------------------------------------------
// Generations, migrations, key segments
// ------------------------------------------------------------------------------------------

#[test]
fn three_generations_at_once() {
    let mut run = Run::new();
    for (gen, key, v) in [
        (5, "x", "gen5"),
        (6, "x", "gen6"),
        (6, "y", "gen6"),
        (7, "x", "gen7"),
        (5, "z", "gen5"),
    ] {
        run.item("t", gen, key, &item(&[("id", s(key)), ("v", s(v))]));
    }
    run.schema(&table_schema("t", ("id", "S"), None, 7, 6));
    let warnings = run.done();
    assert_eq!(events(&warnings), ["ddb_stale_generation_items"]);
    assert!(
        warnings[0].fields.contains(
            "active_generation=\"7\" migration_source_generation=\"6\" stale_count=\"2\""
        ),
        "{warnings:?}"
    );
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/t/_schema.json",
            "dynamodb/t/items/x.json",
            "dynamodb/t/items/y.json"
        ]
    );
    assert_eq!(run.json("dynamodb/t/items/x.json")["v"]["S"], "gen7");
    assert_eq!(run.json("dynamodb/t/items/y.json")["v"]["S"], "gen6");
}

#[test]
fn generation_zero_and_source_equal_to_active() {
    // generation 0: only generation-0 items.
    let mut run = Run::new();
    run.item("t", 0, "a", &item(&[("id", s("a"))]));
    run.item("t", 1, "b", &item(&[("id", s("b"))]));
    run.schema(&table_schema("t", ("id", "S"), None, 0, 0));
    assert_eq!(events(&run.done()), ["ddb_stale_generation_items"]);
    assert_eq!(run.files()[1], "dynamodb/t/items/a.json");
    // migrating_from == generation: one generation, reported as the source in the warning.
    let mut run = Run::new();
    run.item("t", 3, "a", &item(&[("id", s("a"))]));
    run.item("t", 2, "b", &item(&[("id", s("b"))]));
    run.schema(&table_schema("t", ("id", "S"), None, 3, 3));
    let warnings = run.done();
    assert!(
        warnings[0]
            .fields
            .contains("migration_source_generation=\"3\""),
        "{warnings:?}"
    );
    assert_eq!(run.files().len(), 2);
}

#[test]
fn n_key_migration_conflict_active_wins() {
    // The legacy source generation stored "1.0"; the active generation stores "1": one
    // number, one file, the active generation's body.
    let mut run = Run::new();
    run.item(
        "t",
        1,
        "1.0",
        &item(&[("id", n("1.0")), ("v", s("legacy"))]),
    );
    run.item("t", 2, "1", &item(&[("id", n("1")), ("v", s("migrated"))]));
    run.item(
        "t",
        1,
        "2.50",
        &item(&[("id", n("2.50")), ("v", s("legacy only"))]),
    );
    run.schema(&table_schema("t", ("id", "N"), None, 2, 1));
    assert!(run.done().is_empty());
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/t/_schema.json",
            "dynamodb/t/items/1.json",
            "dynamodb/t/items/5%2F2.json"
        ]
    );
    let one = run.json("dynamodb/t/items/1.json");
    assert_eq!(
        (one["id"]["N"].as_str(), one["v"]["S"].as_str()),
        (Some("1"), Some("migrated"))
    );
    assert_eq!(run.json("dynamodb/t/items/5%2F2.json")["id"]["N"], "2.50");
}

#[test]
fn empty_segments_follow_upstream() {
    // Hash-only: `items/.json`. Composite with an empty hash: directly in `items/`.
    // Composite with an empty range: `items/<hash>/.json`.
    let mut run = Run::new();
    run.item("h", 1, "x", &item(&[("id", s(""))]));
    run.schema(&table_schema("h", ("id", "S"), None, 1, 0));
    run.item("c", 1, "x", &item(&[("id", s("")), ("sk", s("r"))]));
    run.item("c", 1, "y", &item(&[("id", s("h")), ("sk", b(b""))]));
    run.schema(&table_schema("c", ("id", "S"), Some(("sk", "B")), 1, 0));
    run.done();
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/c/_schema.json",
            "dynamodb/c/items/h/b64..json",
            "dynamodb/c/items/r.json",
            "dynamodb/h/_schema.json",
            "dynamodb/h/items/.json"
        ]
    );
}

#[test]
fn key_attribute_of_another_kind_is_rejected() {
    let mut run = Run::new();
    run.item(
        "t",
        1,
        "x",
        &item(&[(
            "id",
            DynamoAttributeValue {
                value: Some(Value::BoolValue(true)),
            },
        )]),
    );
    run.schema(&table_schema("t", ("id", "S"), None, 1, 0));
    let e = ddb_err(run.finalize().0);
    assert!(
        matches!(
            &e,
            DynamodbError::ItemKey {
                reason: item::ItemKeyError::Kind { kind: "BOOL", .. },
                ..
            }
        ),
        "{e}"
    );
    // Items of stale generations are never checked.
    let mut run = Run::new();
    run.item("t", 1, "x", &item(&[("other", s("x"))]));
    run.schema(&table_schema("t", ("id", "S"), None, 2, 0));
    assert_eq!(events(&run.done()), ["ddb_stale_generation_items"]);
}

// ------------------------------------------------------------------------------------------
// Our deliberate differences (docs/compatibility.md, DynamoDB)
// ------------------------------------------------------------------------------------------

#[test]
fn sha_fallback_names_get_keymap_records() {
    let long_hash = "h".repeat(300);
    let long_range = "r".repeat(250);
    let long_table = format!("table-{}", "t".repeat(250));
    let mut run = Run::new();
    run.item(
        &long_table,
        1,
        "x",
        &item(&[("id", s(&long_hash)), ("sk", s(&long_range))]),
    );
    run.item(
        &long_table,
        1,
        "y",
        &item(&[("id", s(&long_hash)), ("sk", s("short"))]),
    );
    run.schema(&table_schema(
        &long_table,
        ("id", "S"),
        Some(("sk", "S")),
        1,
        0,
    ));
    run.done();
    let table_dir = encode_segment(long_table.as_bytes());
    let hash_dir = encode_segment(long_hash.as_bytes());
    let range_file = encode_segment(long_range.as_bytes());
    assert!(is_sha_fallback_shape(&table_dir) && is_sha_fallback_shape(&hash_dir));
    let root = format!("dynamodb/{table_dir}");
    assert_eq!(
        run.files(),
        vec![
            format!("{root}/KEYMAP.jsonl"),
            format!("{root}/_schema.json"),
            format!("{root}/items/{hash_dir}/{range_file}.json"),
            format!("{root}/items/{hash_dir}/short.json"),
            "dynamodb/KEYMAP.jsonl".to_string(),
        ]
    );
    let line = |encoded: &str, original: &str| {
        format!(
            "{{\"encoded\":\"{encoded}\",\"original\":\"{}\",\"kind\":\"sha-fallback\"}}\n",
            b64u(original.as_bytes())
        )
    };
    assert_eq!(
        run.read("dynamodb/KEYMAP.jsonl"),
        line(&table_dir, &long_table)
    );
    assert_eq!(
        run.read(&format!("{root}/KEYMAP.jsonl")),
        format!(
            "{}{}",
            line(&hash_dir, &long_hash),
            line(&format!("{hash_dir}/{range_file}"), &long_range)
        )
    );
    // Every name maps back through the key map, or decodes by itself.
    let keymap = crate::output::load_keymap(std::io::Cursor::new(
        run.read(&format!("{root}/KEYMAP.jsonl")),
    ))
    .unwrap();
    assert_eq!(keymap[&hash_dir].original, long_hash.as_bytes());
}

#[test]
fn binary_and_number_sha_fallbacks_record_the_encoder_input() {
    let blob = vec![7u8; 200];
    let number = format!("1{}", "0".repeat(300));
    let mut run = Run::new();
    run.item("t", 1, "x", &item(&[("id", b(&blob))]));
    run.item("n", 1, "x", &item(&[("id", n(&format!("{number}.000")))]));
    run.schema(&table_schema("t", ("id", "B"), None, 1, 0));
    run.schema(&table_schema("n", ("id", "N"), None, 1, 0));
    run.done();
    let blob_name = crate::output::encode_binary_segment(&blob);
    let number_name = encode_segment(number.as_bytes());
    assert!(run
        .files()
        .contains(&format!("dynamodb/t/items/{blob_name}.json")));
    assert!(run
        .files()
        .contains(&format!("dynamodb/n/items/{number_name}.json")));
    assert_eq!(
        run.read("dynamodb/t/KEYMAP.jsonl"),
        format!(
            "{{\"encoded\":\"{blob_name}\",\"original\":\"{}\",\"kind\":\"sha-fallback\"}}\n",
            b64u(&blob)
        )
    );
    assert!(run
        .read("dynamodb/n/KEYMAP.jsonl")
        .contains(&b64u(number.as_bytes())));
}

#[test]
fn same_file_items_are_renamed_not_overwritten() {
    // Legacy N keys "1", "1.0" and "1.00" in one generation all name items/1.json.
    let mut run = Run::new();
    run.ok(
        &item_key("t", 1, "1", None),
        &item_value(&item(&[("id", n("1")), ("v", s("a"))])),
    );
    run.ok(
        &item_key("t", 1, "1.0", None),
        &item_value(&item(&[("id", n("1.0")), ("v", s("b"))])),
    );
    run.ok(
        &item_key("t", 1, "1.00", None),
        &item_value(&item(&[("id", n("1.00")), ("v", s("c"))])),
    );
    run.ok(
        &item_key("t", 1, "2", None),
        &item_value(&item(&[("id", n("2"))])),
    );
    run.schema(&table_schema("t", ("id", "N"), None, 1, 0));
    let warnings = run.done();
    assert_eq!(
        warnings,
        vec![Warning {
            event: "ddb_item_collision".into(),
            fields: format!(
                "table=\"t\" path=\"dynamodb/t/items/1.json\" items=\"3\" hint={:?}",
                flush::COLLISION_HINT_PER_ITEM
            ),
        }]
    );
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/t/KEYMAP.jsonl",
            "dynamodb/t/_schema.json",
            "dynamodb/t/items/1.json",
            "dynamodb/t/items/1~1.json",
            "dynamodb/t/items/1~2.json",
            "dynamodb/t/items/2.json",
        ]
    );
    // The last-arriving keeps the name (what upstream's later write leaves on disk).
    assert_eq!(run.json("dynamodb/t/items/1.json")["id"]["N"], "1.00");
    assert_eq!(run.json("dynamodb/t/items/1~1.json")["id"]["N"], "1.0");
    assert_eq!(run.json("dynamodb/t/items/1~2.json")["id"]["N"], "1");
    let original = b64u(b"1");
    assert_eq!(
        run.read("dynamodb/t/KEYMAP.jsonl"),
        format!(
            "{{\"encoded\":\"1~1\",\"original\":\"{original}\",\"kind\":\"collision-rename\"}}\n\
             {{\"encoded\":\"1~2\",\"original\":\"{original}\",\"kind\":\"collision-rename\"}}\n"
        )
    );

    // Composite: the range file is renamed inside its hash directory; JSONL keeps all lines.
    let mut run = Run::with(jsonl(1 << 20), MemoryBudget::unlimited());
    run.item("c", 1, "x", &item(&[("id", s("h")), ("sk", n("5"))]));
    run.item("c", 1, "y", &item(&[("id", s("h")), ("sk", n("5.0"))]));
    run.schema(&table_schema("c", ("id", "S"), Some(("sk", "N")), 1, 0));
    let warnings = run.done();
    assert_eq!(events(&warnings), ["ddb_item_collision"]);
    assert_eq!(
        run.read("dynamodb/c/items/data-00000.jsonl")
            .lines()
            .count(),
        2
    );
}

#[test]
fn unsafe_table_names_are_typed_errors() {
    for name in ["", ".", ".."] {
        let mut run = Run::new();
        // A non-empty key segment that decodes to "" (CR/LF are skipped).
        let key = if name.is_empty() {
            b"!ddb|meta|table|\n".to_vec()
        } else {
            meta_key(name)
        };
        let e = ddb_err(run.put(
            &key,
            &schema_value(&table_schema(name, ("id", "S"), None, 1, 0)),
        ));
        assert!(
            matches!(e, DynamodbError::UnsafeTableName { .. }),
            "{name:?}: {e}"
        );
        assert_eq!(e.class(), ErrorClass::Other);
    }
    // Orphan items of such a table are only warned about.
    let mut run = Run::new();
    run.item("..", 1, "x", &item(&[("id", s("x"))]));
    assert_eq!(events(&run.done()), ["ddb_orphan_items"]);
    assert!(run.files().is_empty());
}

#[test]
fn tables_are_finalized_in_name_order_and_stop_at_the_first_error() {
    let mut run = Run::new();
    // Key order of the segments (b64u) is not name order: "b" < "a~" in base64url.
    for table in ["zeta", "alpha", "mid"] {
        run.item(table, 1, "x", &item(&[("id", s("x"))]));
        run.item(table, 0, "old", &item(&[("id", s("old"))]));
        run.schema(&table_schema(table, ("id", "S"), None, 1, 0));
    }
    run.item("orphan-b", 1, "x", &item(&[("id", s("x"))]));
    run.item("orphan-a", 1, "x", &item(&[("id", s("x"))]));
    let warnings = run.done();
    let order: Vec<String> = warnings
        .iter()
        .map(|w| format!("{} {}", w.event, w.fields.split(' ').next().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            "ddb_stale_generation_items table=\"alpha\"",
            "ddb_stale_generation_items table=\"mid\"",
            format!("ddb_orphan_items encoded_table=\"{}\"", b64u(b"orphan-a")).as_str(),
            format!("ddb_orphan_items encoded_table=\"{}\"", b64u(b"orphan-b")).as_str(),
            "ddb_stale_generation_items table=\"zeta\"",
        ]
    );

    // An item error in "mid": "alpha" is complete, "zeta" is not started.
    let mut run = Run::new();
    for table in ["zeta", "alpha", "mid"] {
        let id = if table == "mid" { "other" } else { "id" };
        run.item(table, 1, "x", &item(&[(id, s("x"))]));
        run.schema(&table_schema(table, ("id", "S"), None, 1, 0));
    }
    assert!(run.finalize().0.is_err());
    assert_eq!(
        run.files(),
        vec![
            "dynamodb/alpha/_schema.json",
            "dynamodb/alpha/items/x.json",
            "dynamodb/mid/_schema.json"
        ]
    );
}

#[test]
fn table_segments_decoding_to_one_name_are_refused() {
    // "YQ" and "YR" both decode to "a" (non-zero trailing bits are accepted).
    let mut run = Run::new();
    let schema = schema_value(&table_schema("a", ("id", "S"), None, 1, 0));
    run.ok(b"!ddb|meta|table|YQ", &schema);
    run.ok(b"!ddb|meta|table|YR", &schema);
    let e = ddb_err(run.finalize().0);
    assert!(matches!(e, DynamodbError::DuplicateTable { .. }), "{e}");
}

#[test]
fn jsonl_bundles_split_at_the_bundle_size() {
    let mut run = Run::with(jsonl(60), MemoryBudget::unlimited());
    for key in ["d", "a", "c", "b", "e"] {
        // Each line is {"id":{"S":"x"},"pad":{"S":"........"}} = 43 bytes + newline.
        run.item(
            "t",
            1,
            key,
            &item(&[("id", s(key)), ("pad", s("........"))]),
        );
    }
    run.schema(&table_schema("t", ("id", "S"), None, 1, 0));
    run.done();
    let parts: Vec<String> = run
        .files()
        .into_iter()
        .filter(|f| f.contains("data-"))
        .collect();
    assert_eq!(
        parts,
        [
            "dynamodb/t/items/data-00000.jsonl",
            "dynamodb/t/items/data-00001.jsonl",
            "dynamodb/t/items/data-00002.jsonl",
            "dynamodb/t/items/data-00003.jsonl",
            "dynamodb/t/items/data-00004.jsonl",
        ]
    );
    let ids: Vec<String> = parts
        .iter()
        .map(|p| {
            let text = run.read(p);
            assert_eq!(text.lines().count(), 1);
            let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
            v["id"]["S"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    // Two lines fit in 100 bytes.
    let mut run = Run::with(jsonl(100), MemoryBudget::unlimited());
    for key in ["a", "b", "c"] {
        run.item(
            "t",
            1,
            key,
            &item(&[("id", s(key)), ("pad", s("........"))]),
        );
    }
    run.schema(&table_schema("t", ("id", "S"), None, 1, 0));
    run.done();
    assert_eq!(
        run.read("dynamodb/t/items/data-00000.jsonl")
            .lines()
            .count(),
        2
    );
    assert_eq!(
        run.read("dynamodb/t/items/data-00001.jsonl")
            .lines()
            .count(),
        1
    );
    // An empty table has an empty items/ directory.
    let mut run = Run::with(jsonl(100), MemoryBudget::unlimited());
    run.schema(&table_schema("t", ("id", "S"), None, 1, 0));
    run.done();
    assert!(run.out.join("dynamodb/t/items").is_dir());
    assert_eq!(run.files(), ["dynamodb/t/_schema.json"]);
}

/// A mixed workload: several tables, three generations (one stale, a migration), files
/// named by several items of one generation and of two, long (SHA-fallback) keys, orphans.
fn workload(run: &mut Run) {
    for t in 0..3 {
        let table = format!("table-{t}");
        for i in 0..150usize {
            let gen = 1 + (i % 3) as u64;
            // "7", "7.0", "7.00", "7e0": one number, one file name.
            let id = format!("{}{}", i % 20, [".0", "", ".00", "e0"][i % 4]);
            let sk = format!("{}-{}", i % 2, "x".repeat(i % 4 * 90));
            let attrs = vec![
                ("id", n(&id)),
                ("sk", s(&sk)),
                ("v", s(&format!("item {i} of {table} <&>"))),
            ];
            run.ok(
                &item_key(&table, gen, &format!("{i:05}"), None),
                &item_value(&item(&attrs)),
            );
        }
        run.schema(&table_schema(&table, ("id", "N"), Some(("sk", "S")), 3, 2));
    }
    for i in 0..20 {
        run.item("orphan", 1, &format!("{i}"), &item(&[("id", s("x"))]));
    }
}

#[test]
fn tiny_budget_gives_the_same_bytes() {
    let mut reference = Run::new();
    workload(&mut reference);
    let expected_warnings = reference.done();
    let expected = reference.tree();
    assert!(expected.len() > 100);
    for budget in [0, 1, 4 << 10] {
        let mut run = Run::with(per_item(), MemoryBudget::new(budget));
        workload(&mut run);
        assert_eq!(run.done(), expected_warnings, "budget {budget}");
        assert_eq!(run.tree(), expected, "budget {budget}");
    }
    let mut reference = Run::with(jsonl(4096), MemoryBudget::unlimited());
    workload(&mut reference);
    reference.done();
    let mut run = Run::with(jsonl(4096), MemoryBudget::new(0));
    workload(&mut run);
    run.done();
    assert_eq!(run.tree(), reference.tree());
}

/// An item value whose hash key is `id` = "deep" and whose attribute `deep` nests `levels`
/// messages.
fn deep_value(levels: u32) -> Vec<u8> {
    let mut value = b"\x00DI\x01".to_vec();
    wire::tests::pb::entry(1, b"id", Some(&wire::tests::pb::s("deep")), &mut value);
    value.extend_from_slice(&wire::tests::nested_item(levels));
    value
}

#[test]
fn deeply_nested_items_decode_on_a_large_stack() {
    // Go's limit, in the JSONL layout (compact: the pretty layout's indentation grows with
    // the square of the depth).
    let mut run = Run::with(jsonl(1 << 30), MemoryBudget::unlimited());
    run.ok(
        &item_key("t", 1, "deep", None),
        &deep_value(wire::GO_RECURSION_LIMIT),
    );
    run.schema(&table_schema("t", ("id", "S"), None, 1, 0));
    run.done();
    let line = run.read("dynamodb/t/items/data-00000.jsonl");
    let lists = (wire::GO_RECURSION_LIMIT - 2) / 2;
    assert_eq!(line.matches("{\"L\":[").count() as u32, lists);
    let tail = format!(
        "{{\"NULL\":true}}{},\"id\":{{\"S\":\"deep\"}}}}\n",
        "]}".repeat(lists as usize)
    );
    assert!(line.starts_with("{\"deep\":{\"L\":[{\"L\":["));
    assert!(line.ends_with(&tail));
    // Per item, well past the inline depth.
    let mut run = Run::new();
    run.ok(&item_key("t", 1, "deep", None), &deep_value(1001));
    run.schema(&table_schema("t", ("id", "S"), None, 1, 0));
    run.done();
    let body = run.read("dynamodb/t/items/deep.json");
    // Lists at the odd levels 3 to 1001, the innermost empty.
    assert_eq!(body.matches("\"L\": [").count(), 500);
    assert!(body.contains("\"L\": []"));
    // One level more than Go allows is refused at intake, as Go's decoder does.
    let e = ddb_err(run.put(
        &item_key("t", 1, "deeper", None),
        &deep_value(wire::GO_RECURSION_LIMIT + 1),
    ));
    assert_eq!(e.class(), ErrorClass::InvalidItem);
}

#[test]
fn schema_edge_shapes() {
    // GSI without key schema or projection, projection with non-key attributes, types
    // missing from the definitions, table_name differing from the key.
    let mut gsis = BTreeMap::new();
    gsis.insert("bare".to_string(), DynamoGlobalSecondaryIndex::default());
    gsis.insert(
        "inc".to_string(),
        DynamoGlobalSecondaryIndex {
            key_schema: Some(DynamoKeySchema {
                hash_key: "undefined".into(),
                range_key: "id".into(),
            }),
            projection: Some(DynamoGsiProjection {
                projection_type: "INCLUDE".into(),
                non_key_attributes: vec!["z".into(), "a".into()],
            }),
        },
    );
    let mut schema = table_schema("stored-name", ("id", "S"), None, 1, 0);
    schema.global_secondary_indexes = gsis;
    let v: serde_json::Value = serde_json::from_slice(&schema::render_schema(&schema)).unwrap();
    assert_eq!(v["table_name"], "stored-name");
    assert_eq!(
        v["global_secondary_indexes"],
        serde_json::json!([
            {"name": "bare", "key_schema": {"hash_key": {}, "range_key": {}}, "projection": {"type": ""}},
            {"name": "inc", "key_schema": {"hash_key": {"name": "undefined"}, "range_key": {"name": "id", "type": "S"}},
             "projection": {"type": "INCLUDE", "non_key_attributes": ["z", "a"]}}
        ])
    );
    // No primary key: empty objects; no attribute definitions: [].
    let empty = DynamoTableSchema::default();
    assert_eq!(
        String::from_utf8(schema::render_schema(&empty)).unwrap(),
        "{\n  \"format_version\": 1,\n  \"table_name\": \"\",\n  \"primary_key\": {\n    \"hash_key\": {},\n    \"range_key\": {}\n  },\n  \"attribute_definitions\": []\n}"
    );
    // The directory comes from the key, `table_name` from the value.
    let mut run = Run::new();
    run.ok(&meta_key("from-key"), &schema_value(&schema));
    run.done();
    assert_eq!(
        run.json("dynamodb/from-key/_schema.json")["table_name"],
        "stored-name"
    );
}

//! DynamoDB decoding throughput (docs/performance.md, DynamoDB): the adapter alone (wire
//! check, buffering, decode, render, sort, write) in both layouts, and whole decodes of a
//! node file with only the DynamoDB adapter, under an ample and a small memory budget.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
mod common;

use common::{write_snapshot, Packed};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::decode::{decode, DecodeConfig};
use ekvsnap_runtime::dynamodb::proto::dynamo_attribute_value::Value;
use ekvsnap_runtime::dynamodb::proto::prost::Message as _;
use ekvsnap_runtime::dynamodb::proto::*;
use ekvsnap_runtime::dynamodb::DynamodbAdapter;
use ekvsnap_runtime::options::{AdapterOptions, DynamodbBundleMode, DynamodbOptions};
use ekvsnap_runtime::snapshot::input::InputSource;

const ITEMS: u64 = 20_000;

fn attr(v: Value) -> DynamoAttributeValue {
    DynamoAttributeValue { value: Some(v) }
}

fn seg(x: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(x);
    out.extend_from_slice(&[0, 1]);
}

/// `ITEMS` items of one composite table (S hash, N range, ~300 bytes each, live shapes),
/// then its schema, in key order.
fn records() -> Vec<(Vec<u8>, Vec<u8>)> {
    let table = URL_SAFE_NO_PAD.encode("events");
    let mut out = Vec::new();
    for i in 0..ITEMS {
        let hash = format!("user-{:05}", i / 8);
        let range = format!("{}.{}", i % 8, i % 3);
        let mut key = format!("!ddb|item|{table}|1|").into_bytes();
        seg(hash.as_bytes(), &mut key);
        seg(range.as_bytes(), &mut key);
        let mut map = BTreeMap::new();
        map.insert("city".to_string(), attr(Value::S("Lisbon".into())));
        map.insert("zip".to_string(), attr(Value::N("1100".into())));
        let item = DynamoItem {
            attributes: [
                ("pk", attr(Value::S(hash))),
                ("sk", attr(Value::N(range))),
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
                    attr(Value::S(format!("item {i} {}", "x".repeat(180)))),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        };
        let mut value = b"\x00DI\x01".to_vec();
        item.encode(&mut value).expect("Vec grows");
        out.push((key, value));
    }
    let schema = DynamoTableSchema {
        table_name: "events".into(),
        attribute_definitions: [("pk", "S"), ("sk", "N")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        primary_key: Some(DynamoKeySchema {
            hash_key: "pk".into(),
            range_key: "sk".into(),
        }),
        generation: 1,
        ..DynamoTableSchema::default()
    };
    let mut value = b"\x00DS\x01".to_vec();
    schema.encode(&mut value).expect("Vec grows");
    out.push((format!("!ddb|meta|table|{table}").into_bytes(), value));
    out.sort();
    out
}

fn options(mode: DynamodbBundleMode) -> DynamodbOptions {
    DynamodbOptions {
        dynamodb_bundle_mode: mode,
        ..DynamodbOptions::default()
    }
}

fn bench_adapter(c: &mut Criterion) {
    let packed = Packed::new(records());
    let bytes = packed.bytes;
    let mut group = c.benchmark_group("dynamodb_adapter");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ITEMS));
    for (name, mode) in [
        ("handle_and_finalize_per_item", DynamodbBundleMode::PerItem),
        ("handle_and_finalize_jsonl", DynamodbBundleMode::Jsonl),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("tempdir"),
                |dir| {
                    packed.handle_and_finalize(dir.path(), |spill| {
                        DynamodbAdapter::new(options(mode), spill)
                    });
                    dir
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    eprintln!("dynamodb_adapter input: {ITEMS} items, {bytes} bytes of keys and values");
}

fn bench_decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("0000000000000001.fsm");
    let bytes = write_snapshot(&input, &records());
    eprintln!("dynamodb_decode input: {ITEMS} items, {bytes}-byte node file");
    let mut group = c.benchmark_group("dynamodb_decode");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ITEMS));
    for (name, mode, budget) in [
        (
            "per_item_budget_256MiB",
            DynamodbBundleMode::PerItem,
            256u64 << 20,
        ),
        ("per_item_budget_1MiB", DynamodbBundleMode::PerItem, 1 << 20),
        ("jsonl_budget_256MiB", DynamodbBundleMode::Jsonl, 256 << 20),
        ("jsonl_budget_1MiB", DynamodbBundleMode::Jsonl, 1 << 20),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("tempdir"),
                |out_dir| {
                    let adapter_options = AdapterOptions {
                        dynamodb: options(mode),
                        ..AdapterOptions::default()
                    };
                    let config = DecodeConfig {
                        output: out_dir.path().join("out"),
                        adapters: AdapterSet::parse("dynamodb").expect("dynamodb"),
                        adapter_options,
                        read_ts: None,
                        cluster_id: None,
                        force: false,
                        verify_crc: true,
                        memory_budget: budget,
                        scratch_dir: Some(out_dir.path().to_path_buf()),
                    };
                    let report =
                        decode(&InputSource::file(&input), &config, &mut |_| {}).expect("decode");
                    black_box(report.files);
                    out_dir
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, bench_adapter, bench_decode);
criterion_main!(benches);

//! Redis decoding throughput (docs/performance.md, Redis): the adapter alone (value checks,
//! buffering, external sort, streamed file writes) and whole decodes of a node file with only
//! the Redis adapter, under an ample and a small memory budget. A mixed keyspace: strings
//! (new format, inline TTLs, legacy with TTL-index rows), hashes, lists, sets, zsets and
//! streams.

mod common;

use common::write_snapshot;
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ekvsnap_runtime::adapters::{Adapter, AdapterSet, FinalizeContext, Record};
use ekvsnap_runtime::decode::{decode, DecodeConfig};
use ekvsnap_runtime::keys::route;
use ekvsnap_runtime::options::{AdapterOptions, RedisOptions};
use ekvsnap_runtime::output::OutputTree;
use ekvsnap_runtime::redis::RedisAdapter;
use ekvsnap_runtime::snapshot::input::InputSource;
use ekvsnap_runtime::spill::{MemoryBudget, Scratch, SpillContext};
use ekvsnap_runtime::warnings::Warnings;

const STRINGS: u64 = 20_000;
const COLLECTIONS: u64 = 2_000;
const STREAMS: u64 = 1_000;
const MEMBERS: u64 = 10;
const KEYS: u64 = STRINGS + 4 * COLLECTIONS + STREAMS;
const EXPIRE: u64 = 1_788_998_400_000;

fn lp(uk: &[u8]) -> Vec<u8> {
    [&(uk.len() as u32).to_be_bytes()[..], uk].concat()
}

/// User keys and values in key order.
fn records() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut put = |k: Vec<u8>, v: Vec<u8>| out.push((k, v));
    for i in 0..STRINGS {
        let uk = format!("user:session:{i:08}");
        let body = format!("{i:064}");
        let value = match i % 4 {
            0 => [
                &[0xFF, 0x01, 0x01][..],
                &EXPIRE.to_be_bytes(),
                body.as_bytes(),
            ]
            .concat(),
            1 => body.into_bytes(),
            _ => [&[0xFF, 0x01, 0x00][..], body.as_bytes()].concat(),
        };
        put(format!("!redis|str|{uk}").into_bytes(), value);
        if i % 4 == 1 {
            put(
                format!("!redis|ttl|{uk}").into_bytes(),
                EXPIRE.to_be_bytes().to_vec(),
            );
        }
    }
    for c in 0..COLLECTIONS {
        let uk = format!("coll:{c:06}").into_bytes();
        for m in 0..MEMBERS {
            let name = format!("member-{m:03}").into_bytes();
            put(
                [b"!hs|fld|".as_slice(), &lp(&uk), &name].concat(),
                format!("value {m}").into_bytes(),
            );
            put(
                [b"!st|mem|".as_slice(), &lp(&uk), &name].concat(),
                Vec::new(),
            );
            put(
                [b"!zs|mem|".as_slice(), &lp(&uk), &name].concat(),
                (m as f64 * 1.5).to_be_bytes().to_vec(),
            );
            let seq = (m as i64 - 5) as u64 ^ (1 << 63);
            put(
                [b"!lst|itm|".as_slice(), &uk, &seq.to_be_bytes()].concat(),
                name.clone(),
            );
        }
        put(
            [b"!hs|meta|".as_slice(), &lp(&uk)].concat(),
            MEMBERS.to_be_bytes().to_vec(),
        );
        put(
            [b"!st|meta|".as_slice(), &lp(&uk)].concat(),
            MEMBERS.to_be_bytes().to_vec(),
        );
        put(
            [b"!zs|meta|".as_slice(), &lp(&uk)].concat(),
            MEMBERS.to_be_bytes().to_vec(),
        );
        let meta = [
            (-5i64).to_be_bytes(),
            5i64.to_be_bytes(),
            (MEMBERS as i64).to_be_bytes(),
        ];
        put([b"!lst|meta|".as_slice(), &uk].concat(), meta.concat());
    }
    for s in 0..STREAMS {
        let uk = format!("stream:{s:06}").into_bytes();
        for e in 0..MEMBERS {
            let id = format!("{}-{e}", 1_700_000_000_000u64 + s);
            let mut value = b"\x00RXE\x01\x0A".to_vec();
            value.push(id.len() as u8);
            value.extend_from_slice(id.as_bytes());
            for f in ["event", "login", "user", "alice"] {
                value.extend([0x12, f.len() as u8]);
                value.extend_from_slice(f.as_bytes());
            }
            let key = [
                b"!stream|entry|".as_slice(),
                &lp(&uk),
                &(1_700_000_000_000u64 + s).to_be_bytes(),
                &e.to_be_bytes(),
            ]
            .concat();
            put(key, value);
        }
        let meta: Vec<u8> = [MEMBERS, 1_700_000_000_000 + s, MEMBERS - 1]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        put([b"!stream|meta|".as_slice(), &lp(&uk)].concat(), meta);
    }
    out.sort();
    out
}

fn bench_adapter(c: &mut Criterion) {
    let records = records();
    let bytes: usize = records.iter().map(|(k, v)| k.len() + v.len()).sum();
    let mut group = c.benchmark_group("redis_adapter");
    group.sample_size(10);
    group.throughput(Throughput::Elements(KEYS));
    group.bench_function("handle_and_finalize", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                let out = dir.path().join("out");
                let tree = OutputTree::prepare(&out, false).expect("output");
                let scratch = Scratch::new_in(dir.path(), &out).expect("scratch");
                let spill = SpillContext::new(MemoryBudget::new(256 << 20), scratch);
                let mut adapter = RedisAdapter::new(RedisOptions::default(), spill);
                for (key, value) in &records {
                    let record = Record {
                        user_key: key,
                        body: value,
                        commit_ts: 1,
                        expire_at: 0,
                    };
                    adapter
                        .handle(route(key).expect("routes"), &record)
                        .expect("handle");
                }
                let mut warnings = Warnings::default();
                adapter
                    .finalize(&mut FinalizeContext {
                        tree: &tree,
                        warnings: &mut warnings,
                    })
                    .expect("finalize");
                black_box(warnings.total());
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    eprintln!(
        "redis_adapter input: {KEYS} keys, {} records, {bytes} bytes of keys and values",
        records.len()
    );
}

fn bench_decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("0000000000000001.fsm");
    let bytes = write_snapshot(&input, &records());
    eprintln!("redis_decode input: {KEYS} keys, {bytes}-byte node file");
    let mut group = c.benchmark_group("redis_decode");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes));
    for (name, budget) in [("budget_256MiB", 256u64 << 20), ("budget_1MiB", 1 << 20)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("tempdir"),
                |out_dir| {
                    let config = DecodeConfig {
                        output: out_dir.path().join("out"),
                        adapters: AdapterSet::parse("redis").expect("redis"),
                        adapter_options: AdapterOptions::default(),
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

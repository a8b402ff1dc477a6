//! Core throughput: reading + CRC + MVCC resolution + routing (the scan every decode runs),
//! routing alone, and filename encoding. Figures go in docs/performance.md.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::keys::route;
use ekvsnap_runtime::output::filename::encode_segment;
use ekvsnap_runtime::scan::{scan, ScanError, ScanOptions, Visit, Visitor};
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};

/// A node file with `keys` Redis hash fields, each with two versions (one superseded),
/// values of `value_len` bytes, in raw key order.
fn synthetic_snapshot(keys: u32, value_len: usize) -> Vec<u8> {
    let mut w = SnapshotWriter::new(Vec::new(), WriterFraming::NodeV1 { ceiling_ms: 1 }, 1 << 40)
        .expect("memory");
    let value = vec![b'v'; value_len];
    for i in 0..keys {
        let mut key = b"!hs|fld|\x00\x00\x00\x08user:000".to_vec();
        key.extend_from_slice(format!("{i:010}").as_bytes());
        w.put_mvcc(&key, 200, false, 0, &value).expect("memory");
        w.put_mvcc(&key, 100, false, 0, &value).expect("memory");
    }
    w.finish().expect("memory")
}

struct Discard;

impl Visitor for Discard {
    fn visit(&mut self, visit: &Visit<'_, '_>) -> Result<(), ScanError> {
        black_box(visit.family);
        Ok(())
    }
}

fn bench_scan(c: &mut Criterion) {
    let snapshot = synthetic_snapshot(50_000, 100);
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(snapshot.len() as u64));
    group.sample_size(20);
    for verify_crc in [true, false] {
        let name = if verify_crc {
            "node_file_crc"
        } else {
            "node_file_no_crc"
        };
        group.bench_function(name, |b| {
            b.iter_batched(
                || snapshot.as_slice(),
                |input| {
                    let options = ScanOptions {
                        read_ts: None,
                        verify_crc,
                        adapters: AdapterSet::all(),
                    };
                    scan(input, &options, &mut Discard).expect("scan")
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn bench_route(c: &mut Criterion) {
    let keys: Vec<&[u8]> = vec![
        b"!sqs|msg|data|cQ\x00\x00\x00\x00\x00\x00\x00\x01bQ",
        b"!hs|meta|d|\x00\x00\x00\x01k",
        b"!zs|scr|\x00\x00\x00\x01k",
        b"!s3|chunkblob|0123",
        b"!redis|str|greeting",
        b"!ddb|item|b3JkZXJz|1|pk",
        b"!alien|prefix",
        b"_meta_applied_index",
    ];
    let mut group = c.benchmark_group("route");
    group.throughput(Throughput::Elements(keys.len() as u64));
    group.bench_function("mixed_keys", |b| {
        b.iter(|| {
            for k in &keys {
                black_box(route(black_box(k)));
            }
        })
    });
    group.finish();
}

fn bench_filename(c: &mut Criterion) {
    let inputs: Vec<Vec<u8>> = vec![
        b"user:42".to_vec(),
        "café au lait / 50%".as_bytes().to_vec(),
        vec![b'a'; 300],
    ];
    let mut group = c.benchmark_group("filename");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("encode_segment", |b| {
        b.iter(|| {
            for i in &inputs {
                black_box(encode_segment(black_box(i)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_scan, bench_route, bench_filename);
criterion_main!(benches);

//! S3 decoding throughput (docs/performance.md, S3): the adapter alone (handle + finalize:
//! chunk bytes to scratch, assembly, sidecars) for large objects whose chunk files become
//! their bodies, large objects that must be copied (interleaved part versions, offloaded
//! chunkblobs), and many small objects; then a whole decode of small objects. Prints the
//! bytes written to disk per body byte for each shape.

use std::path::Path;

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ekvsnap_runtime::adapters::{Adapter, AdapterSet, FinalizeContext, Record};
use ekvsnap_runtime::decode::{decode, DecodeConfig};
use ekvsnap_runtime::keys::route;
use ekvsnap_runtime::options::{AdapterOptions, S3Options};
use ekvsnap_runtime::output::OutputTree;
use ekvsnap_runtime::s3::keys::{
    blob_key, bucket_meta_key, chunkblob_key, chunkref_key, manifest_key,
};
use ekvsnap_runtime::s3::{encode_chunk_ref, S3Adapter, S3Stats};
use ekvsnap_runtime::snapshot::input::InputSource;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};
use ekvsnap_runtime::spill::{MemoryBudget, Scratch, SpillContext};
use ekvsnap_runtime::warnings::Warnings;
use sha2::{Digest, Sha256};

const CHUNK: usize = 1 << 20;
const LARGE_OBJECTS: u64 = 16;
const CHUNKS_PER_OBJECT: u64 = 4;
const SMALL_OBJECTS: u64 = 20_000;
const SMALL_SIZE: usize = 1024;

/// Records in key order, in one contiguous buffer (as the reader hands them over).
struct Input {
    buffer: Vec<u8>,
    spans: Vec<(usize, usize, usize)>,
    body_bytes: u64,
}

impl Input {
    fn new(mut records: Vec<(Vec<u8>, Vec<u8>)>, body_bytes: u64) -> Input {
        records.sort();
        let total = records.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut buffer = Vec::with_capacity(total);
        let mut spans = Vec::with_capacity(records.len());
        for (key, value) in &records {
            let start = buffer.len();
            buffer.extend_from_slice(key);
            buffer.extend_from_slice(value);
            spans.push((start, start + key.len(), buffer.len()));
        }
        Input {
            buffer,
            spans,
            body_bytes,
        }
    }

    fn records(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.spans
            .iter()
            .map(|&(a, b, c)| (&self.buffer[a..b], &self.buffer[b..c]))
    }
}

fn payload(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn meta() -> (Vec<u8>, Vec<u8>) {
    (
        bucket_meta_key(b"bench"),
        br#"{"bucket_name":"bench","generation":1,"owner":"o","region":"r"}"#.to_vec(),
    )
}

fn manifest(size: u64, parts: &str) -> Vec<u8> {
    format!(r#"{{"upload_id":"u","etag":"e","size_bytes":{size},"content_type":"application/octet-stream","parts":[{parts}]}}"#)
        .into_bytes()
}

/// Large objects uploaded once: chunks in order, one upload (the moved-file path).
fn large_in_order() -> Input {
    let mut records = vec![meta()];
    let size = CHUNK as u64 * CHUNKS_PER_OBJECT;
    for o in 0..LARGE_OBJECTS {
        let key = format!("videos/{o:04}.mp4");
        for c in 0..CHUNKS_PER_OBJECT {
            records.push((
                blob_key(b"bench", 1, key.as_bytes(), b"u", 1, c, 0),
                payload(o * 100 + c, CHUNK),
            ));
        }
        let part =
            format!(r#"{{"part_no":1,"size_bytes":{size},"chunk_count":{CHUNKS_PER_OBJECT}}}"#);
        records.push((
            manifest_key(b"bench", 1, key.as_bytes()),
            manifest(size, &part),
        ));
    }
    Input::new(records, LARGE_OBJECTS * size)
}

/// Large multipart objects whose one part was uploaded twice (versions 1 and 2 interleave
/// in key order): the manifest's version is copied out of the chunk file.
fn large_interleaved() -> Input {
    let mut records = vec![meta()];
    let size = CHUNK as u64 * CHUNKS_PER_OBJECT;
    for o in 0..LARGE_OBJECTS {
        let key = format!("retried/{o:04}.bin");
        for c in 0..CHUNKS_PER_OBJECT {
            for version in [1, 2] {
                let len = if version == 2 { CHUNK } else { CHUNK / 4 };
                records.push((
                    blob_key(b"bench", 1, key.as_bytes(), b"u", 1, c, version),
                    payload(o * 100 + c + version * 7, len),
                ));
            }
        }
        let part = format!(
            r#"{{"part_no":1,"size_bytes":{size},"chunk_count":{CHUNKS_PER_OBJECT},"part_version":2}}"#
        );
        records.push((
            manifest_key(b"bench", 1, key.as_bytes()),
            manifest(size, &part),
        ));
    }
    Input::new(records, LARGE_OBJECTS * size)
}

/// Large objects stored as offloaded chunkblobs.
fn large_offloaded() -> Input {
    let mut records = vec![meta()];
    let size = CHUNK as u64 * CHUNKS_PER_OBJECT;
    for o in 0..LARGE_OBJECTS {
        let key = format!("offloaded/{o:04}.bin");
        let mut sizes = Vec::new();
        for c in 0..CHUNKS_PER_OBJECT {
            let data = payload(o * 100 + c, CHUNK);
            let digest: [u8; 32] = Sha256::digest(&data).into();
            records.push((
                chunkref_key(b"bench", 1, key.as_bytes(), b"u", 1, c, 0),
                encode_chunk_ref(digest, CHUNK as u64, b"n1", &[]),
            ));
            records.push((chunkblob_key(&digest), data));
            sizes.push(CHUNK.to_string());
        }
        let part = format!(
            r#"{{"part_no":1,"size_bytes":{size},"chunk_count":{CHUNKS_PER_OBJECT},"chunk_sizes":[{}],"offloaded":true}}"#,
            sizes.join(",")
        );
        records.push((
            manifest_key(b"bench", 1, key.as_bytes()),
            manifest(size, &part),
        ));
    }
    Input::new(records, LARGE_OBJECTS * size)
}

/// Many 1 KiB objects in a few directories.
fn small_objects() -> Input {
    let mut records = vec![meta()];
    for o in 0..SMALL_OBJECTS {
        let key = format!("logs/{:02}/{o:06}.json", o % 50);
        records.push((
            blob_key(b"bench", 1, key.as_bytes(), b"u", 1, 0, 0),
            payload(o, SMALL_SIZE),
        ));
        let part = format!(r#"{{"part_no":1,"size_bytes":{SMALL_SIZE},"chunk_count":1}}"#);
        records.push((
            manifest_key(b"bench", 1, key.as_bytes()),
            manifest(SMALL_SIZE as u64, &part),
        ));
    }
    Input::new(records, SMALL_OBJECTS * SMALL_SIZE as u64)
}

/// Runs the adapter over `input` into a fresh output under `dir`.
fn run_adapter(input: &Input, dir: &Path) -> S3Stats {
    let out = dir.join("out");
    let tree = OutputTree::prepare(&out, false).expect("output");
    let scratch = Scratch::new_in(dir, &out).expect("scratch");
    let spill = SpillContext::new(MemoryBudget::new(256 << 20), scratch);
    let mut adapter = S3Adapter::new(S3Options::default(), spill);
    for (key, value) in input.records() {
        let family = route(key).expect("routes");
        let record = Record {
            user_key: key,
            body: value,
            commit_ts: 1,
            expire_at: 0,
        };
        adapter.handle(family, &record).expect("handle");
    }
    let mut warnings = Warnings::default();
    adapter
        .finalize(&mut FinalizeContext {
            tree: &tree,
            warnings: &mut warnings,
        })
        .expect("finalize");
    assert_eq!(warnings.total(), 0);
    adapter.stats()
}

/// What one run of `input` writes, per body byte.
fn report(name: &str, input: &Input) {
    let dir = tempfile::tempdir().expect("tempdir");
    let stats = run_adapter(input, dir.path());
    assert_eq!(stats.body_bytes, input.body_bytes);
    let written = stats.scratch_bytes + stats.copied_bytes;
    eprintln!(
        "s3 {name}: {} objects, {} body bytes; scratch {} + copied {} = {:.3} bytes written per body byte ({} bytes moved by rename)",
        stats.objects,
        stats.body_bytes,
        stats.scratch_bytes,
        stats.copied_bytes,
        written as f64 / stats.body_bytes as f64,
        stats.moved_bytes
    );
}

fn bench_adapter(c: &mut Criterion) {
    let mut group = c.benchmark_group("s3_adapter");
    group.sample_size(10);
    for (name, input) in [
        ("large_in_order", large_in_order()),
        ("large_interleaved_versions", large_interleaved()),
        ("large_offloaded", large_offloaded()),
    ] {
        report(name, &input);
        group.throughput(Throughput::Bytes(input.body_bytes));
        group.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("tempdir"),
                |dir| {
                    black_box(run_adapter(&input, dir.path()));
                    dir
                },
                BatchSize::PerIteration,
            )
        });
    }
    let small = small_objects();
    report("small_objects", &small);
    group.throughput(Throughput::Elements(SMALL_OBJECTS));
    group.bench_function("small_objects", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                black_box(run_adapter(&small, dir.path()));
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn bench_decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input_path = dir.path().join("0000000000000001.fsm");
    let input = small_objects();
    let file = std::fs::File::create(&input_path).expect("create");
    let mut w = SnapshotWriter::new(
        std::io::BufWriter::new(file),
        WriterFraming::NodeV1 { ceiling_ms: 1 },
        10,
    )
    .expect("header");
    for (key, value) in input.records() {
        w.put_mvcc(key, 5, false, 0, value).expect("write");
    }
    w.finish().expect("finish");
    let mut group = c.benchmark_group("s3_decode");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SMALL_OBJECTS));
    group.bench_function("small_objects", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |out_dir| {
                let config = DecodeConfig {
                    output: out_dir.path().join("out"),
                    adapters: AdapterSet::parse("s3").expect("s3"),
                    adapter_options: AdapterOptions::default(),
                    read_ts: None,
                    cluster_id: None,
                    force: false,
                    verify_crc: true,
                    memory_budget: 256 << 20,
                    scratch_dir: Some(out_dir.path().to_path_buf()),
                };
                let report =
                    decode(&InputSource::file(&input_path), &config, &mut |_| {}).expect("decode");
                black_box(report.files);
                out_dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_adapter, bench_decode);
criterion_main!(benches);

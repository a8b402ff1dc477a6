//! SQS decoding throughput (docs/performance.md, SQS): the adapter alone (JSON decode, line
//! rendering, buffering, sort and write) and whole decodes of a node file with only the SQS
//! adapter, under an ample and a small memory budget.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
mod common;

use common::{write_snapshot, Packed};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::decode::{decode, DecodeConfig};
use ekvsnap_runtime::options::{AdapterOptions, SqsOptions};
use ekvsnap_runtime::snapshot::input::InputSource;
use ekvsnap_runtime::sqs::SqsAdapter;

const MESSAGES: u64 = 50_000;
const QUEUES: u64 = 4;

/// The user keys and values of `MESSAGES` messages over `QUEUES` queues (200-byte bodies,
/// live shapes), then the queues' gen and meta records, in key order.
fn records() -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let queue = |q: u64| URL_SAFE_NO_PAD.encode(format!("queue-{q}"));
    for i in 0..MESSAGES {
        let id = format!("{:032x}", u128::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let mut key = format!("!sqs|msg|data|{}", queue(i % QUEUES)).into_bytes();
        key.extend_from_slice(&1u64.to_be_bytes());
        key.extend_from_slice(URL_SAFE_NO_PAD.encode(&id).as_bytes());
        let sent = 1_700_000_000_000 + (i * 7919) % MESSAGES;
        let mut body = format!("message {i} ").into_bytes();
        body.resize(200, b'x');
        let json = format!(
            r#"{{"message_id":"{id}","body":"{}","md5_of_body":"{id}","send_timestamp_millis":{sent},"available_at_millis":{sent},"visible_at_millis":{sent},"receive_count":1,"queue_generation":1}}"#,
            STANDARD.encode(&body)
        );
        out.push((key, [b"\x00SM\x01".as_slice(), json.as_bytes()].concat()));
    }
    for q in 0..QUEUES {
        out.push((
            format!("!sqs|queue|gen|{}", queue(q)).into_bytes(),
            b"1".to_vec(),
        ));
        out.push((
            format!("!sqs|queue|meta|{}", queue(q)).into_bytes(),
            format!("\x00SQ\x01{{\"name\":\"queue-{q}\",\"visibility_timeout_seconds\":30}}")
                .into_bytes(),
        ));
    }
    out.sort();
    out
}

fn bench_adapter(c: &mut Criterion) {
    let packed = Packed::new(records());
    let bytes = packed.bytes;
    let mut group = c.benchmark_group("sqs_adapter");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MESSAGES));
    group.bench_function("handle_and_finalize", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("tempdir"),
            |dir| {
                packed.handle_and_finalize(dir.path(), |spill| {
                    SqsAdapter::new(SqsOptions::default(), spill)
                });
                dir
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    eprintln!("sqs_adapter input: {MESSAGES} messages, {bytes} bytes of keys and values");
}

fn bench_decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("0000000000000001.fsm");
    let bytes = write_snapshot(&input, &records());
    eprintln!("sqs_decode input: {MESSAGES} messages, {bytes}-byte node file");
    let mut group = c.benchmark_group("sqs_decode");
    group.sample_size(10);
    group.throughput(Throughput::Elements(MESSAGES));
    for (name, budget) in [("budget_256MiB", 256u64 << 20), ("budget_1MiB", 1 << 20)] {
        group.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().expect("tempdir"),
                |out_dir| {
                    let config = DecodeConfig {
                        output: out_dir.path().join("out"),
                        adapters: AdapterSet::parse("sqs").expect("sqs"),
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

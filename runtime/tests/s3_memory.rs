//! A 100 MiB object assembled with memory far below its size (the only test of this binary,
//! so the process's peak RSS is this decode's). The snapshot is written streaming, chunk
//! by chunk, as the live server stores a single PUT (1 MiB blob chunks).

use std::io::{BufWriter, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::decode::{decode, DecodeConfig};
use ekvsnap_runtime::options::AdapterOptions;
use ekvsnap_runtime::s3::keys::{blob_key, bucket_meta_key, manifest_key};
use ekvsnap_runtime::snapshot::input::InputSource;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};

const CHUNK: usize = 1 << 20;
const CHUNKS: u64 = 100;

fn chunk(i: u64) -> Vec<u8> {
    let mut data = vec![0u8; CHUNK];
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for b in data.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    data
}

/// Peak resident set size of this process in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

fn write_snapshot(path: &Path) -> [u8; 32] {
    let file = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = SnapshotWriter::new(file, WriterFraming::Bare, 10).unwrap();
    let mut body = Sha256::new();
    let size = CHUNK as u64 * CHUNKS;
    for i in 0..CHUNKS {
        let data = chunk(i);
        body.update(&data);
        w.put_mvcc(
            &blob_key(b"big", 1, b"videos/huge.bin", b"u", 1, i, 0),
            5,
            false,
            0,
            &data,
        )
        .unwrap();
    }
    w.put_mvcc(
        &bucket_meta_key(b"big"),
        5,
        false,
        0,
        br#"{"bucket_name":"big","generation":1}"#,
    )
    .unwrap();
    let manifest = format!(
        r#"{{"upload_id":"u","size_bytes":{size},"parts":[{{"part_no":1,"size_bytes":{size},"chunk_count":{CHUNKS}}}]}}"#
    );
    w.put_mvcc(
        &manifest_key(b"big", 1, b"videos/huge.bin"),
        5,
        false,
        0,
        manifest.as_bytes(),
    )
    .unwrap();
    w.finish().unwrap();
    body.finalize().into()
}

#[test]
fn hundred_mib_object_with_small_memory() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("big.fsm");
    let expected = write_snapshot(&snap);
    // Forget the peak so far (building the input); not every kernel allows it, and the
    // input was written streaming anyway.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = peak_rss_kib();

    let out = dir.path().join("out");
    let config = DecodeConfig {
        output: out.clone(),
        adapters: AdapterSet::parse("s3").unwrap(),
        adapter_options: AdapterOptions::default(),
        read_ts: None,
        cluster_id: None,
        force: false,
        verify_crc: true,
        memory_budget: 16 << 20,
        scratch_dir: None,
    };
    let report = decode(&InputSource::file(&snap), &config, &mut |_| {}).unwrap();
    let peak = peak_rss_kib();
    assert_eq!(report.counters.s3, CHUNKS + 2);

    let mut file = std::fs::File::open(out.join("s3/big/videos/huge.bin")).unwrap();
    assert_eq!(file.metadata().unwrap().len(), CHUNK as u64 * CHUNKS);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    assert_eq!(<[u8; 32]>::from(hasher.finalize()), expected);

    eprintln!("peak RSS before decode {before} KiB, after {peak} KiB");
    // 100 MiB of body; the process (test harness included) stays far below.
    assert!(peak < 32 * 1024, "peak RSS {peak} KiB for a 100 MiB object");
}

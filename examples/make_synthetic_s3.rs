//! Writes a synthetic node file of S3 objects for measurements (docs/performance.md, S3):
//! `cargo run --release --example make_synthetic_s3 -- OUT OBJECTS [OBJECT_BYTES] [CHUNK_BYTES]`.
//!
//! One bucket (`bench`, generation 1) holding OBJECTS objects of OBJECT_BYTES pseudo-random
//! bytes each (default 1024), uploaded once: single-PUT manifests and legacy blob chunks of
//! at most CHUNK_BYTES (default 1 MiB), keys `objects/<NN>/<NNNNNNNN>.bin`, in the live
//! server's shapes. Entries are streamed to disk in raw key order (blobs, bucket meta,
//! manifests), so memory stays small whatever the size.

use std::io::BufWriter;

use ekvsnap_runtime::s3::keys::{blob_key, bucket_meta_key, manifest_key};
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .map(|s| s.parse().expect("a number"))
        .unwrap_or(default)
}

fn fill(seed: u64, out: &mut [u8]) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for b in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
}

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .expect("usage: OUT OBJECTS [OBJECT_BYTES] [CHUNK_BYTES]");
    let objects = arg(2, 1000);
    let size = arg(3, 1024);
    let chunk = arg(4, 1 << 20).max(1);
    let chunks = size.div_ceil(chunk);
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let mut w = SnapshotWriter::new(file, WriterFraming::NodeV1 { ceiling_ms: 1 }, 10)?;
    let key = |i: u64| format!("objects/{:02}/{i:08}.bin", i % 100);
    let mut keys: Vec<u64> = (0..objects).collect();
    keys.sort_by_key(|&i| key(i));
    let mut data = vec![0u8; chunk as usize];
    for &i in &keys {
        for c in 0..chunks {
            let len = (size - c * chunk).min(chunk) as usize;
            fill(i * 1_000_003 + c, &mut data[..len]);
            w.put_mvcc(
                &blob_key(b"bench", 1, key(i).as_bytes(), b"u", 1, c, 0),
                5,
                false,
                0,
                &data[..len],
            )?;
        }
    }
    w.put_mvcc(
        &bucket_meta_key(b"bench"),
        5,
        false,
        0,
        br#"{"bucket_name":"bench","generation":1,"created_at_hlc":0,"owner":"o","region":"r"}"#,
    )?;
    let sizes: Vec<String> = (0..chunks)
        .map(|c| (size - c * chunk).min(chunk).to_string())
        .collect();
    for &i in &keys {
        let manifest = format!(
            r#"{{"upload_id":"u","etag":"e","size_bytes":{size},"last_modified_hlc":114418022400000000,"content_type":"application/octet-stream","parts":[{{"part_no":1,"size_bytes":{size},"chunk_count":{chunks},"chunk_sizes":[{}]}}]}}"#,
            sizes.join(",")
        );
        w.put_mvcc(
            &manifest_key(b"bench", 1, key(i).as_bytes()),
            5,
            false,
            0,
            manifest.as_bytes(),
        )?;
    }
    let bytes = w.bytes_written();
    w.finish()?;
    eprintln!("{out}: {objects} objects of {size} bytes, {bytes} bytes");
    Ok(())
}

//! Writes a large synthetic node file for measurements (docs/performance.md):
//! `cargo run --release --example make_synthetic -- OUT KEYS [VERSIONS] [VALUE_BYTES]`.
//!
//! Keys are Redis hash fields `!hs|fld|<L>user:<n>`, each with VERSIONS versions (the newest
//! visible, the rest superseded), written in raw key order straight to disk (streaming).

use std::io::BufWriter;

use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .map(|s| s.parse().expect("a number"))
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .expect("usage: make_synthetic OUT KEYS [VERSIONS] [VALUE_BYTES]");
    let keys = arg(2, 1_000_000);
    let versions = arg(3, 2).max(1);
    let value = vec![b'v'; arg(4, 100) as usize];
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let last_commit_ts = 1_000_000;
    let mut w = SnapshotWriter::new(
        file,
        WriterFraming::NodeV1 { ceiling_ms: 1 },
        last_commit_ts,
    )?;
    for i in 0..keys {
        let user = format!("user:{i:012}");
        let mut key = b"!hs|fld|".to_vec();
        key.extend_from_slice(&(user.len() as u32).to_be_bytes());
        key.extend_from_slice(user.as_bytes());
        key.extend_from_slice(b"name");
        // Newest first: raw order puts higher commit timestamps first.
        for v in 0..versions {
            w.put_mvcc(&key, last_commit_ts - v, false, 0, &value)?;
        }
    }
    let written = w.bytes_written();
    w.finish()?;
    eprintln!("wrote {out}: {keys} keys x {versions} versions, {written} bytes");
    Ok(())
}

//! Harness shared by the adapter benches: the snapshot file they decode and the
//! handle-then-finalize loop they time.
#![allow(dead_code)]

use std::path::Path;

use criterion::black_box;
use ekvsnap_runtime::adapters::{Adapter, FinalizeContext, Record};
use ekvsnap_runtime::keys::route;
use ekvsnap_runtime::output::OutputTree;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};
use ekvsnap_runtime::spill::{MemoryBudget, Scratch, SpillContext};
use ekvsnap_runtime::warnings::Warnings;

/// Writes `records` (user key, value body) as a v1 node file; returns the bytes written.
pub fn write_snapshot(path: &Path, records: &[(Vec<u8>, Vec<u8>)]) -> u64 {
    let file = std::fs::File::create(path).expect("create");
    let mut w = SnapshotWriter::new(
        std::io::BufWriter::new(file),
        WriterFraming::NodeV1 { ceiling_ms: 1 },
        10,
    )
    .expect("header");
    for (key, value) in records {
        w.put_mvcc(key, 5, false, 0, value).expect("write");
    }
    let bytes = w.bytes_written();
    w.finish().expect("finish");
    bytes
}

/// Records packed into one contiguous buffer, as the snapshot reader hands them over
/// (many separate allocations kept alive would fragment the heap the adapter allocates in).
pub struct Packed {
    buffer: Vec<u8>,
    spans: Vec<(usize, usize, usize)>,
    /// Bytes of keys and values.
    pub bytes: usize,
}

impl Packed {
    pub fn new(records: Vec<(Vec<u8>, Vec<u8>)>) -> Self {
        let bytes: usize = records.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut buffer = Vec::with_capacity(bytes);
        let mut spans = Vec::with_capacity(records.len());
        for (key, value) in &records {
            let start = buffer.len();
            buffer.extend_from_slice(key);
            buffer.extend_from_slice(value);
            spans.push((start, start + key.len(), buffer.len()));
        }
        Packed {
            buffer,
            spans,
            bytes,
        }
    }

    /// Builds an adapter on a 256 MiB budget under `dir`, hands it every record and
    /// finalizes it into `dir/out`.
    pub fn handle_and_finalize<A: Adapter>(
        &self,
        dir: &Path,
        make: impl FnOnce(SpillContext) -> A,
    ) {
        let out = dir.join("out");
        let tree = OutputTree::prepare(&out, false).expect("output");
        let scratch = Scratch::new_in(dir, &out).expect("scratch");
        let mut adapter = make(SpillContext::new(MemoryBudget::new(256 << 20), scratch));
        for &(start, split, end) in &self.spans {
            let (key, value) = (&self.buffer[start..split], &self.buffer[split..end]);
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
        black_box(warnings.total());
    }
}

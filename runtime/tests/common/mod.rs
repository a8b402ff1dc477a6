//! Helpers shared by the adapter end-to-end tests: the decode configuration, the snapshot
//! writer and the output-tree reader.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::decode::{decode, DecodeConfig, DecodeError, DecodeReport};
use ekvsnap_runtime::options::AdapterOptions;
use ekvsnap_runtime::snapshot::input::InputSource;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, SortedSnapshotBuilder, WriterFraming};

/// The commit timestamp the adapter tests write their entries at.
pub const TS: u64 = 1000;

/// Every adapter, default options, CRC checks on and a 1 GiB memory budget.
pub fn config(out: &Path) -> DecodeConfig {
    DecodeConfig {
        output: out.to_path_buf(),
        adapters: AdapterSet::all(),
        adapter_options: AdapterOptions::default(),
        read_ts: None,
        cluster_id: None,
        force: false,
        verify_crc: true,
        memory_budget: 1 << 30,
        scratch_dir: None,
    }
}

/// Writes `builder`'s entries as a v1 node file `snap.fsm` under `dir`.
pub fn write_snapshot(dir: &Path, builder: &SortedSnapshotBuilder) -> PathBuf {
    let mut w =
        SnapshotWriter::new(Vec::new(), WriterFraming::NodeV1 { ceiling_ms: 7 }, TS * 10).unwrap();
    builder.write_to(&mut w).unwrap();
    let path = dir.join("snap.fsm");
    std::fs::write(&path, w.finish().unwrap()).unwrap();
    path
}

/// Decodes the snapshot file at `path` with `cfg`.
pub fn run(path: &Path, cfg: &DecodeConfig) -> Result<DecodeReport, DecodeError> {
    decode(&InputSource::file(path), cfg, &mut |_| {})
}

/// Every file under `dir` (recursively), by path relative to `base`. A missing `dir` gives
/// an empty map.
pub fn files_under(base: &Path, dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(base, dir, &mut out);
    out
}

//! A 1,000,000-member hash, set and zset decoded under a small memory budget
//! (docs/compatibility.md, Redis RD5; docs/performance.md). The only test of this binary, so
//! the process's peak RSS is this decode's (plus the test harness).
//!
//! Upstream holds every collection in memory until the end; here the members go through the
//! external merge sorter on `--memory-budget` and each file is streamed, so the peak stays
//! near the budget whatever the collection size.

use std::io::{BufWriter, Read};
use std::path::Path;

use ekvsnap_runtime::adapters::AdapterSet;
use ekvsnap_runtime::decode::{decode, DecodeConfig};
use ekvsnap_runtime::json::JsonWriter;
use ekvsnap_runtime::options::AdapterOptions;
use ekvsnap_runtime::snapshot::input::InputSource;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};

const MEMBERS: u32 = 1_000_000;
const BUDGET: u64 = 8 << 20;
const TS: u64 = 1000;

fn lp(uk: &[u8]) -> Vec<u8> {
    [&(uk.len() as u32).to_be_bytes()[..], uk].concat()
}

fn member(i: u32) -> String {
    format!("member-{i:07}")
}

fn score(i: u32) -> f64 {
    f64::from(i) / 8.0 - 1000.0
}

/// The snapshot, written in key order without holding it in memory.
fn write_snapshot(path: &Path) {
    let file = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = SnapshotWriter::new(file, WriterFraming::NodeV1 { ceiling_ms: 7 }, TS).unwrap();
    let mut put = |key: &[u8], value: &[u8]| w.put_mvcc(key, TS, false, 0, value).unwrap();
    for i in 0..MEMBERS {
        let key = [b"!hs|fld|".as_slice(), &lp(b"big"), member(i).as_bytes()].concat();
        put(&key, format!("value-{i}").as_bytes());
    }
    put(
        &[b"!hs|meta|".as_slice(), &lp(b"big")].concat(),
        &u64::from(MEMBERS).to_be_bytes(),
    );
    put(b"!redis|ttl|big", &1_788_998_400_000u64.to_be_bytes());
    for i in 0..MEMBERS {
        put(
            &[b"!st|mem|".as_slice(), &lp(b"big"), member(i).as_bytes()].concat(),
            b"",
        );
    }
    put(
        &[b"!st|meta|".as_slice(), &lp(b"big")].concat(),
        &u64::from(MEMBERS).to_be_bytes(),
    );
    for i in 0..MEMBERS {
        let key = [b"!zs|mem|".as_slice(), &lp(b"big"), member(i).as_bytes()].concat();
        put(&key, &score(i).to_be_bytes());
    }
    put(
        &[b"!zs|meta|".as_slice(), &lp(b"big")].concat(),
        &u64::from(MEMBERS).to_be_bytes(),
    );
    w.finish().unwrap();
}

/// Peak resident set size of this process (`VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// What the file must hold, rendered independently with the JSON writer.
fn expected(array: &str, element: impl Fn(&mut JsonWriter, u32)) -> Vec<u8> {
    let mut w = JsonWriter::pretty();
    w.begin_object()
        .key("format_version")
        .u64(1)
        .key(array)
        .begin_array();
    for i in 0..MEMBERS {
        element(&mut w, i);
    }
    w.end_array()
        .key("expire_at_ms")
        .u64(1_788_998_400_000)
        .end_object();
    w.into_bytes()
}

fn assert_file(path: &Path, want: &[u8]) {
    let mut got = Vec::new();
    std::fs::File::open(path)
        .unwrap()
        .read_to_end(&mut got)
        .unwrap();
    assert_eq!(got.len(), want.len(), "{}", path.display());
    assert!(got == want, "{} differs", path.display());
}

#[test]
fn million_member_collections_under_a_small_budget() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("big.fsm");
    write_snapshot(&snap);
    let before = peak_rss();
    let out = dir.path().join("out");
    let config = DecodeConfig {
        output: out.clone(),
        adapters: AdapterSet::parse("redis").unwrap(),
        adapter_options: AdapterOptions::default(),
        read_ts: None,
        cluster_id: None,
        force: false,
        verify_crc: true,
        memory_budget: BUDGET,
        scratch_dir: None,
    };
    let started = std::time::Instant::now();
    let report = decode(&InputSource::file(&snap), &config, &mut |_| {}).unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let after = peak_rss();
    let bytes = std::fs::metadata(&snap).unwrap().len();
    eprintln!(
        "redis 3 x {MEMBERS} members, {} MiB node file, budget {} MiB: decode {seconds:.2} s \
         ({:.0} records/s, {:.1} MiB/s), peak RSS {} MiB (before the decode {} MiB)",
        bytes >> 20,
        BUDGET >> 20,
        3.0 * f64::from(MEMBERS) / seconds,
        bytes as f64 / f64::from(1 << 20) / seconds,
        after >> 20,
        before >> 20
    );
    assert_eq!(report.counters.redis, 3 * u64::from(MEMBERS) + 4);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // The members alone are well over 100 MiB in memory; the decode stays near the budget.
    assert!(
        after < BUDGET + (48 << 20),
        "peak RSS {after} bytes (before the decode {before})"
    );

    let db = out.join("redis/db_0");
    assert_file(
        &db.join("hashes/big.json"),
        &expected("fields", |w, i| {
            w.begin_object()
                .key("name")
                .str(&member(i))
                .key("value")
                .str(&format!("value-{i}"))
                .end_object();
        }),
    );
    assert_file(
        &db.join("sets/big.json"),
        &expected("members", |w, i| {
            w.str(&member(i));
        }),
    );
    assert_file(
        &db.join("zsets/big.json"),
        &expected("members", |w, i| {
            w.begin_object().key("member").str(&member(i)).key("score");
            w.f64(score(i)).unwrap();
            w.end_object();
        }),
    );
}

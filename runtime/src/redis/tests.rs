//! The Redis adapter driven directly: upstream's `internal/backup/redis_*_test.go` scenarios
//! (redis.md §12, one test each, named after them, in the same order), the golden bytes of
//! §6 and §13, and our deliberate differences (docs/compatibility.md, Redis). End-to-end
//! cases through `decode()` are in `runtime/tests/redis.rs`.
//!
//! Upstream tests about the pending-TTL byte cap have a counterpart that checks what we do
//! instead (no cap: the TTLs wait on the shared memory budget, spilling if needed).
//! `TestRedisDB_IsBlobAtomicWriteOutOfSpace` tests a Go error-classification helper that
//! has no counterpart here (every write error is fatal and reported as it is).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use prost::Message;

use super::*;
use crate::adapters::{Adapter, AdapterError, FinalizeContext, Record};
use crate::keys::route;
use crate::output::{decode_segment, load_keymap, OutputTree, TreeError};
use crate::spill::{MemoryBudget, Scratch, SpillContext};
use crate::testkit::{events, finalize_capturing, Warning};
use crate::warnings::Warnings;

/// The expiry used throughout upstream's tests (2026-09-10T00:00:00Z).
const FIXTURE: u64 = 1_788_998_400_000;

// ------------------------------------------------------------------------------------------
// Keys and values
// ------------------------------------------------------------------------------------------

fn lp(uk: &[u8]) -> Vec<u8> {
    let mut out = (uk.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(uk);
    out
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn str_key(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!redis|str|", uk])
}
fn hll_key(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!redis|hll|", uk])
}
fn ttl_key(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!redis|ttl|", uk])
}
fn hash_meta(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!hs|meta|", &lp(uk)])
}
fn hash_field(uk: &[u8], field: &[u8]) -> Vec<u8> {
    cat(&[b"!hs|fld|", &lp(uk), field])
}
fn delta_tail(ts: u64, seq: u32) -> Vec<u8> {
    cat(&[&ts.to_be_bytes(), &seq.to_be_bytes()])
}
fn hash_delta(uk: &[u8], ts: u64) -> Vec<u8> {
    cat(&[b"!hs|meta|d|", &lp(uk), &delta_tail(ts, 0)])
}
fn list_meta(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!lst|meta|", uk])
}
fn list_item(uk: &[u8], seq: i64) -> Vec<u8> {
    cat(&[b"!lst|itm|", uk, &((seq as u64) ^ (1 << 63)).to_be_bytes()])
}
fn list_delta(uk: &[u8], ts: u64) -> Vec<u8> {
    cat(&[b"!lst|meta|d|", &lp(uk), &delta_tail(ts, 0)])
}
fn list_claim(uk: &[u8], seq: i64) -> Vec<u8> {
    cat(&[
        b"!lst|claim|",
        &lp(uk),
        &((seq as u64) ^ (1 << 63)).to_be_bytes(),
    ])
}
fn set_meta(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!st|meta|", &lp(uk)])
}
fn set_member(uk: &[u8], m: &[u8]) -> Vec<u8> {
    cat(&[b"!st|mem|", &lp(uk), m])
}
fn set_delta(uk: &[u8], ts: u64) -> Vec<u8> {
    cat(&[b"!st|meta|d|", &lp(uk), &delta_tail(ts, 0)])
}
fn zset_meta(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!zs|meta|", &lp(uk)])
}
fn zset_member(uk: &[u8], m: &[u8]) -> Vec<u8> {
    cat(&[b"!zs|mem|", &lp(uk), m])
}
fn zset_delta(uk: &[u8], ts: u64) -> Vec<u8> {
    cat(&[b"!zs|meta|d|", &lp(uk), &delta_tail(ts, 0)])
}
fn zset_score_key(uk: &[u8], m: &[u8]) -> Vec<u8> {
    cat(&[b"!zs|scr|", &lp(uk), &[0xBF, 0xF0, 0, 0, 0, 0, 0, 0], m])
}
fn zset_legacy(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!redis|zset|", uk])
}
fn hash_legacy(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!redis|hash|", uk])
}
fn set_legacy(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!redis|set|", uk])
}
fn stream_legacy(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!redis|stream|", uk])
}
fn stream_meta(uk: &[u8]) -> Vec<u8> {
    cat(&[b"!stream|meta|", &lp(uk)])
}
fn stream_entry(uk: &[u8], ms: u64, seq: u64) -> Vec<u8> {
    cat(&[
        b"!stream|entry|",
        &lp(uk),
        &ms.to_be_bytes(),
        &seq.to_be_bytes(),
    ])
}

fn new_str(body: &[u8], ttl: Option<u64>) -> Vec<u8> {
    envelope(1, body, ttl)
}
fn new_hll(body: &[u8], ttl: Option<u64>) -> Vec<u8> {
    envelope(2, body, ttl)
}
fn envelope(version: u8, body: &[u8], ttl: Option<u64>) -> Vec<u8> {
    let mut out = vec![0xFF, version, u8::from(ttl.is_some())];
    if let Some(ms) = ttl {
        out.extend_from_slice(&ms.to_be_bytes());
    }
    out.extend_from_slice(body);
    out
}
fn u64be(v: u64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}
fn meta16(len: u64, ttl: u64) -> Vec<u8> {
    cat(&[&len.to_be_bytes(), &ttl.to_be_bytes()])
}
fn list_meta24(head: i64, len: i64) -> Vec<u8> {
    cat(&[
        &head.to_be_bytes(),
        &(head + len).to_be_bytes(),
        &len.to_be_bytes(),
    ])
}
fn list_meta32(head: i64, len: i64, ttl: u64) -> Vec<u8> {
    cat(&[&list_meta24(head, len), &ttl.to_be_bytes()])
}
fn stream_meta_value(parts: &[u64]) -> Vec<u8> {
    parts.iter().flat_map(|v| v.to_be_bytes()).collect()
}
fn score(v: f64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}
fn i64be(v: i64) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

#[derive(Clone, PartialEq, Message)]
struct ZEntry {
    #[prost(string, tag = "1")]
    member: String,
    #[prost(double, tag = "2")]
    score: f64,
}
#[derive(Clone, PartialEq, Message)]
struct ZValue {
    #[prost(message, repeated, tag = "1")]
    entries: Vec<ZEntry>,
}
#[derive(Clone, PartialEq, Message)]
struct SValue {
    #[prost(string, repeated, tag = "1")]
    members: Vec<String>,
}
#[derive(Clone, PartialEq, Message)]
struct HValue {
    #[prost(btree_map = "string, string", tag = "1")]
    entries: BTreeMap<String, String>,
}
#[derive(Clone, PartialEq, Message)]
struct XEntry {
    #[prost(string, tag = "1")]
    id: String,
    #[prost(string, repeated, tag = "2")]
    fields: Vec<String>,
}
#[derive(Clone, PartialEq, Message)]
struct XValue {
    #[prost(message, repeated, tag = "1")]
    entries: Vec<XEntry>,
}

fn zset_blob(entries: &[(&str, f64)]) -> Vec<u8> {
    let v = ZValue {
        entries: entries
            .iter()
            .map(|(m, s)| ZEntry {
                member: m.to_string(),
                score: *s,
            })
            .collect(),
    };
    cat(&[b"\x00RZ\x01", &v.encode_to_vec()])
}
fn hash_blob(entries: &[(&str, &str)]) -> Vec<u8> {
    let v = HValue {
        entries: entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    };
    cat(&[b"\x00RH\x01", &v.encode_to_vec()])
}
fn set_blob(members: &[&str]) -> Vec<u8> {
    let v = SValue {
        members: members.iter().map(|m| m.to_string()).collect(),
    };
    cat(&[b"\x00RS\x01", &v.encode_to_vec()])
}
fn x_entry(id: &str, fields: &[&str]) -> XEntry {
    XEntry {
        id: id.to_string(),
        fields: fields.iter().map(|f| f.to_string()).collect(),
    }
}
fn stream_blob(entries: Vec<XEntry>) -> Vec<u8> {
    cat(&[b"\x00RX\x01", &XValue { entries }.encode_to_vec()])
}
fn entry_value(id: &str, fields: &[&str]) -> Vec<u8> {
    cat(&[b"\x00RXE\x01", &x_entry(id, fields).encode_to_vec()])
}

// ------------------------------------------------------------------------------------------
// Harness
// ------------------------------------------------------------------------------------------

/// An adapter with its output tree and scratch directory.
struct Run {
    _dir: tempfile::TempDir,
    out: PathBuf,
    tree: OutputTree,
    adapter: RedisAdapter,
    budget: MemoryBudget,
}

impl Run {
    fn new() -> Run {
        Run::with_budget(MemoryBudget::unlimited())
    }

    fn with_budget(budget: MemoryBudget) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let tree = OutputTree::prepare(&out, false).unwrap();
        let scratch = Scratch::new_in(dir.path(), &out).unwrap();
        let adapter = RedisAdapter::new(
            RedisOptions::default(),
            SpillContext::new(budget.clone(), scratch),
        );
        Run {
            _dir: dir,
            out,
            tree,
            adapter,
            budget,
        }
    }

    /// Routes `key` like the scan does and hands it to the adapter.
    fn put(&mut self, key: &[u8], body: &[u8]) -> Result<(), AdapterError> {
        let family = route(key).unwrap_or_else(|| panic!("{key:?} routes nowhere"));
        self.put_as(family, key, body)
    }

    /// Hands `key` to the handler of `family` (a direct call, as upstream's tests make).
    fn put_as(&mut self, family: Family, key: &[u8], body: &[u8]) -> Result<(), AdapterError> {
        self.adapter.handle(
            family,
            &Record {
                user_key: key,
                body,
                commit_ts: 1,
                expire_at: 0,
            },
        )
    }

    fn ok(&mut self, key: &[u8], body: &[u8]) {
        self.put(key, body).unwrap();
    }

    fn finalize(&mut self) -> (Result<(), AdapterError>, Vec<Warning>) {
        let (result, seen) = finalize_capturing(&mut self.adapter, &self.tree);
        (result, seen)
    }

    /// Finalizes, expecting success; returns the warnings.
    fn done(&mut self) -> Vec<Warning> {
        let (result, warnings) = self.finalize();
        result.unwrap();
        assert_eq!(self.budget.used(), 0, "every reservation is released");
        warnings
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.out.join("redis/db_0").join(rel)
    }

    fn exists(&self, rel: &str) -> bool {
        self.path(rel).symlink_metadata().is_ok()
    }

    fn bytes(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    fn text(&self, rel: &str) -> String {
        String::from_utf8(self.bytes(rel)).unwrap()
    }

    fn json(&self, rel: &str) -> serde_json::Value {
        serde_json::from_slice(&self.bytes(rel)).unwrap()
    }

    fn lines(&self, rel: &str) -> Vec<serde_json::Value> {
        let text = self.text(rel);
        assert!(text.ends_with('\n'), "{rel}: every line ends with \\n");
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Every file under the output root, `/`-separated.
    fn files(&self) -> Vec<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.out, &self.out, &mut out);
        out.sort();
        out
    }
}

fn redis_err(result: Result<(), AdapterError>) -> RedisError {
    match result {
        Err(AdapterError::Redis(e)) => *e,
        other => panic!("expected a Redis error, got {other:?}"),
    }
}

fn class_of(result: Result<(), AdapterError>) -> ErrorClass {
    let e = redis_err(result);
    e.class()
        .unwrap_or_else(|| panic!("not a class error: {e}"))
}

fn strs(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

// ------------------------------------------------------------------------------------------
// redis_string_test.go
// ------------------------------------------------------------------------------------------

/// TestRedisDB_HandleString_NewFormatNoTTL
#[test]
fn string_new_format_no_ttl() {
    let mut r = Run::new();
    r.ok(&str_key(b"greeting"), &new_str(b"hello", None));
    assert!(r.done().is_empty());
    assert_eq!(r.bytes("strings/greeting.bin"), b"hello");
    assert!(!r.exists("strings_ttl.jsonl"));
}

/// TestRedisDB_HandleString_NewFormatWithInlineTTL
#[test]
fn string_new_format_with_inline_ttl() {
    let mut r = Run::new();
    r.ok(
        &str_key(b"session:abc"),
        &new_str(b"expiring", Some(FIXTURE)),
    );
    r.done();
    assert_eq!(r.bytes("strings/session%3Aabc.bin"), b"expiring");
    assert_eq!(
        r.text("strings_ttl.jsonl"),
        "{\"key\":\"session%3Aabc\",\"expire_at_ms\":1788998400000}\n"
    );
}

/// TestRedisDB_HandleString_LegacyFormatTreatedAsRawValue
#[test]
fn string_legacy_format_is_raw() {
    let mut r = Run::new();
    r.ok(&str_key(b"legacy"), b"\x00\xFF\x01raw");
    r.done();
    assert_eq!(r.bytes("strings/legacy.bin"), b"\x00\xFF\x01raw");
}

/// TestRedisDB_HandleHLL_WritesRawSketch
#[test]
fn hll_writes_raw_sketch() {
    let mut r = Run::new();
    r.ok(&hll_key(b"uniques"), &[0xDE, 0xAD, 0xBE, 0xEF]);
    r.done();
    assert_eq!(r.bytes("hll/uniques.bin"), [0xDE, 0xAD, 0xBE, 0xEF]);
}

/// TestRedisDB_HandleHLL_NewFormatStripsEnvelopeAndDeduplicatesTTL
#[test]
fn hll_new_format_strips_envelope_and_deduplicates_ttl() {
    let mut r = Run::new();
    r.ok(&hll_key(b"h"), &new_hll(b"sketch", Some(FIXTURE)));
    r.ok(&ttl_key(b"h"), &u64be(FIXTURE));
    r.done();
    assert_eq!(r.bytes("hll/h.bin"), b"sketch");
    assert_eq!(r.lines("hll_ttl.jsonl").len(), 1);
}

/// TestRedisDB_HandleHLL_NewFormatNoTTLIgnoresScanIndex
#[test]
fn hll_new_format_without_ttl_ignores_the_index() {
    let mut r = Run::new();
    r.ok(&hll_key(b"h"), &new_hll(b"sketch", None));
    r.ok(&ttl_key(b"h"), &u64be(FIXTURE));
    assert!(r.done().is_empty(), "the index TTL is not an orphan");
    assert!(!r.exists("hll_ttl.jsonl"));
}

/// TestRedisDB_NewFormatStringTTLNotDuplicatedByScanIndex
#[test]
fn string_inline_ttl_is_not_duplicated_by_the_index() {
    let mut r = Run::new();
    r.ok(&str_key(b"k"), &new_str(b"v", Some(FIXTURE)));
    r.ok(&ttl_key(b"k"), &u64be(FIXTURE + 5));
    r.done();
    let lines = r.lines("strings_ttl.jsonl");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["expire_at_ms"], FIXTURE);
}

fn symlink_to_elsewhere(r: &Run, rel: &str) -> PathBuf {
    let target = r
        .out
        .parent()
        .unwrap()
        .join(format!("elsewhere-{}", rel.len()));
    std::fs::create_dir_all(&target).unwrap();
    let link = r.out.join(rel);
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    target
}

/// TestRedisDB_EnsureDirRevalidatesAfterCachedSuccess: every write checks every component
/// again, so a symlinked `strings/` is refused even when other files were written before.
#[test]
fn every_write_revalidates_its_directories() {
    let mut r = Run::new();
    r.ok(&hll_key(b"a"), b"first");
    r.ok(&str_key(b"b"), b"second");
    let target = symlink_to_elsewhere(&r, "redis/db_0/strings");
    let (result, _) = r.finalize();
    assert!(matches!(
        redis_err(result),
        RedisError::Output(TreeError::SymlinkComponent { .. })
    ));
    assert_eq!(r.bytes("hll/a.bin"), b"first");
    assert_eq!(std::fs::read_dir(target).unwrap().count(), 0);
}

/// TestRedisDB_RefusesSymlinkedAncestorOnTTLSidecar
#[test]
fn symlinked_database_directory_is_refused_for_the_ttl_sidecar() {
    let mut r = Run::new();
    r.ok(&str_key(b"k"), &new_str(b"v", Some(FIXTURE)));
    let target = symlink_to_elsewhere(&r, "redis/db_0");
    let (result, _) = r.finalize();
    assert!(matches!(
        redis_err(result),
        RedisError::Output(TreeError::SymlinkComponent { .. })
    ));
    assert_eq!(std::fs::read_dir(target).unwrap().count(), 0);
}

/// TestRedisDB_RefusesSymlinkedAncestor
#[test]
fn symlinked_strings_directory_is_refused() {
    let mut r = Run::new();
    r.ok(&str_key(b"k"), b"v");
    let target = symlink_to_elsewhere(&r, "redis/db_0/strings");
    assert!(r.finalize().0.is_err());
    assert_eq!(std::fs::read_dir(target).unwrap().count(), 0);
}

/// TestRedisDB_OpenJSONLRefusesHardLinkClobber: we replace the directory entry (temp +
/// rename, docs/compatibility.md O2), so the other name of the hard link keeps its content.
#[test]
fn hard_linked_sidecar_is_replaced_not_written_through() {
    let mut r = Run::new();
    r.ok(&str_key(b"k"), &new_str(b"v", Some(FIXTURE)));
    let outside = r.out.parent().unwrap().join("outside");
    std::fs::write(&outside, b"keep me").unwrap();
    std::fs::create_dir_all(r.path("")).unwrap();
    std::fs::hard_link(&outside, r.path("strings_ttl.jsonl")).unwrap();
    r.done();
    assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");
    assert_eq!(r.lines("strings_ttl.jsonl").len(), 1);
}

/// TestRedisDB_OpenJSONLRefusesSymlinkOverwrite
#[test]
fn symlinked_sidecar_is_refused() {
    let mut r = Run::new();
    r.ok(&str_key(b"k"), &new_str(b"v", Some(FIXTURE)));
    let outside = r.out.parent().unwrap().join("outside");
    std::fs::write(&outside, b"keep me").unwrap();
    std::fs::create_dir_all(r.path("")).unwrap();
    std::os::unix::fs::symlink(&outside, r.path("strings_ttl.jsonl")).unwrap();
    let (result, _) = r.finalize();
    assert!(matches!(
        redis_err(result),
        RedisError::Output(TreeError::SymlinkTarget { .. })
    ));
    assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");
}

/// TestRedisDB_OpenJSONLRefusesFIFO: a FIFO at the sidecar's name is replaced by the
/// renamed file; nothing opens it, so nothing can hang.
#[test]
fn fifo_at_the_sidecar_name_never_hangs() {
    let mut r = Run::new();
    r.ok(&str_key(b"k"), &new_str(b"v", Some(FIXTURE)));
    std::fs::create_dir_all(r.path("")).unwrap();
    let fifo = std::ffi::CString::new(
        r.path("strings_ttl.jsonl")
            .into_os_string()
            .into_encoded_bytes(),
    )
    .unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    r.done();
    assert!(r.path("strings_ttl.jsonl").metadata().unwrap().is_file());
    assert_eq!(r.lines("strings_ttl.jsonl").len(), 1);
}

/// TestRedisDB_HandleTTL_RoutesByPriorTypeObservation
#[test]
fn index_ttls_go_to_the_sidecar_of_the_key_type() {
    let mut r = Run::new();
    r.ok(&hll_key(b"h"), b"legacy-hll");
    r.ok(&str_key(b"s"), b"legacy-string");
    r.ok(&ttl_key(b"h"), &u64be(FIXTURE));
    r.ok(&ttl_key(b"s"), &u64be(FIXTURE + 1));
    assert!(r.done().is_empty());
    assert_eq!(
        r.text("hll_ttl.jsonl"),
        "{\"key\":\"h\",\"expire_at_ms\":1788998400000}\n"
    );
    assert_eq!(
        r.text("strings_ttl.jsonl"),
        "{\"key\":\"s\",\"expire_at_ms\":1788998400001}\n"
    );
}

/// TestRedisDB_HandleTTL_OrphanWarnsOnFinalize
#[test]
fn orphan_ttl_warns_at_finalize() {
    let mut r = Run::new();
    r.ok(&ttl_key(b"ghost"), &u64be(FIXTURE));
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_orphan_ttl"]);
    assert!(
        warnings[0].fields.starts_with("count=\"1\" hint="),
        "{warnings:?}"
    );
}

/// TestRedisDB_FinalizeWarnsOnOverflowOnlyEvenWhenOrphanCountZero: there is no pending-TTL
/// buffer to overflow; a TTL waiting for its set is claimed even with a zero budget, and
/// nothing is reported.
#[test]
fn waiting_ttls_never_overflow() {
    let mut r = Run::with_budget(MemoryBudget::new(0));
    r.ok(&ttl_key(b"k0"), &u64be(FIXTURE));
    r.ok(&ttl_key(&[b'k'; 40]), &u64be(FIXTURE));
    r.ok(&set_member(b"k0", b"m"), b"");
    r.ok(&set_member(&[b'k'; 40], b"m"), b"");
    assert!(r.done().is_empty());
    assert_eq!(r.json("sets/k0.json")["expire_at_ms"], FIXTURE);
}

/// TestRedisDB_RejectsTruncatedNewFormat
#[test]
fn truncated_new_format_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&str_key(b"k"), b"\xFF\x01"));
    assert_eq!(e.class(), Some(ErrorClass::StringValue));
    assert!(e.to_string().contains("header truncated"), "{e}");
    let e = redis_err(r.put(&str_key(b"k"), b"\xFF\x01\x01\x00\x00\x00"));
    assert!(
        e.to_string()
            .starts_with("backup: invalid !redis|str| value"),
        "{e}"
    );
    assert!(e.to_string().contains("ttl section truncated"), "{e}");
    assert_eq!(
        class_of(r.put(&hll_key(b"k"), b"\xFF\x02")),
        ErrorClass::HllValue
    );
}

/// TestRedisDB_HandleTTL_RejectsBadLength
#[test]
fn ttl_of_bad_length_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&ttl_key(b"k"), b"\x00\x01"));
    assert_eq!(e.class(), Some(ErrorClass::TtlValue));
    assert!(e.to_string().contains("length 2 != 8"), "{e}");
}

/// TestRedisDB_FilenamesGoThroughEncodeSegment
#[test]
fn file_names_go_through_the_filename_encoding() {
    let mut r = Run::new();
    r.ok(&str_key(b"a/b:c"), b"v");
    r.done();
    assert_eq!(r.files(), vec!["redis/db_0/strings/a%2Fb%3Ac.bin"]);
}

/// TestRedisDB_AtomicWriteRefusesSymlinkOverwrite
#[test]
fn symlink_at_a_value_file_is_refused() {
    let mut r = Run::new();
    r.ok(&str_key(b"victim"), b"new");
    let outside = r.out.parent().unwrap().join("outside");
    std::fs::write(&outside, b"keep me").unwrap();
    std::fs::create_dir_all(r.path("strings")).unwrap();
    std::os::unix::fs::symlink(&outside, r.path("strings/victim.bin")).unwrap();
    let e = redis_err(r.finalize().0);
    assert!(
        e.to_string().contains("refusing to overwrite symlink"),
        "{e}"
    );
    assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");
}

/// TestRedisDB_PerDBIndexRoutesIntoOwnDirectory
#[test]
fn each_database_index_has_its_own_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let tree = OutputTree::prepare(&out, false).unwrap();
    for (db, value) in [(0i64, &b"v0"[..]), (3, b"v3")] {
        let scratch = Scratch::new_in(dir.path(), &out).unwrap();
        let spill = SpillContext::new(MemoryBudget::unlimited(), scratch);
        let mut adapter = RedisAdapter::new(RedisOptions::default(), spill).with_db(db);
        let key = str_key(b"k");
        adapter
            .handle(
                route(&key).unwrap(),
                &Record {
                    user_key: &key,
                    body: value,
                    commit_ts: 1,
                    expire_at: 0,
                },
            )
            .unwrap();
        adapter
            .finalize(&mut FinalizeContext {
                tree: &tree,
                warnings: &mut Warnings::default(),
            })
            .unwrap();
    }
    assert_eq!(
        std::fs::read(out.join("redis/db_0/strings/k.bin")).unwrap(),
        b"v0"
    );
    assert_eq!(
        std::fs::read(out.join("redis/db_3/strings/k.bin")).unwrap(),
        b"v3"
    );
}

fn keymap(r: &Run) -> Vec<serde_json::Value> {
    r.lines("KEYMAP.jsonl")
}

/// TestRedisDB_SHAFallbackKeymapped: one record per use of the name (the value file and its
/// TTL line), exactly like upstream.
#[test]
fn sha_fallback_names_are_keymapped() {
    let mut r = Run::new();
    let uk = vec![b'%'; 300];
    r.ok(&str_key(&uk), &new_str(b"v", Some(FIXTURE)));
    r.done();
    let name = format!("71e13d758f9cc98c5a719fba5022f4d6__{}", "%25".repeat(64));
    assert_eq!(r.bytes(&format!("strings/{name}.bin")), b"v");
    let records = keymap(&r);
    assert_eq!(records.len(), 2);
    let line = format!(
        "{{\"encoded\":\"{name}\",\"original\":\"{}\",\"kind\":\"sha-fallback\"}}\n",
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &uk)
    );
    assert_eq!(r.text("KEYMAP.jsonl"), line.repeat(2));
    let loaded = load_keymap(std::io::BufReader::new(
        std::fs::File::open(r.path("KEYMAP.jsonl")).unwrap(),
    ))
    .unwrap();
    assert_eq!(loaded[&name].original, uk);
    assert_eq!(r.lines("strings_ttl.jsonl")[0]["key"], name.as_str());
}

/// TestRedisDB_NoKeymapWhenAllReversible
#[test]
fn no_keymap_when_every_name_is_reversible() {
    let mut r = Run::new();
    r.ok(&str_key(b"short"), &new_str(b"v", Some(FIXTURE)));
    r.done();
    assert!(!r.exists("KEYMAP.jsonl"));
    assert_eq!(decode_segment("short").unwrap(), b"short");
}

/// TestRedisDB_OrphanTTLCountedNotBuffered
#[test]
fn ten_thousand_orphan_ttls_are_counted() {
    let mut r = Run::with_budget(MemoryBudget::new(64 << 10));
    for i in 0..10_000 {
        r.ok(&ttl_key(format!("ghost-{i}").as_bytes()), &u64be(FIXTURE));
    }
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_orphan_ttl"]);
    assert!(warnings[0].fields.starts_with("count=\"10000\""));
}

/// TestRedisDB_PendingTTLFailsClosedAtByteCap: no cap; TTLs wait on the shared budget, and
/// when it is exhausted they spill instead of failing.
#[test]
fn waiting_ttls_spill_instead_of_failing() {
    let mut r = Run::with_budget(MemoryBudget::new(128));
    for i in 0..9u8 {
        r.ok(
            &ttl_key(&[b'k', b'0' + i, 0, 0, 0, 0, 0, 0]),
            &u64be(FIXTURE + u64::from(i)),
        );
    }
    for i in 0..9u8 {
        r.ok(
            &zset_member(&[b'k', b'0' + i, 0, 0, 0, 0, 0, 0], b"m"),
            &score(1.0),
        );
    }
    assert!(r.done().is_empty());
    assert_eq!(
        r.json("zsets/k8%00%00%00%00%00%00.json")["expire_at_ms"],
        FIXTURE + 8
    );
}

/// TestRedisDB_PendingTTLByteCapBoundedByLargeKey: a TTL for a key larger than the whole
/// budget is kept (spilled) and claimed.
#[test]
fn ttl_of_a_key_larger_than_the_budget_is_kept() {
    let mut r = Run::with_budget(MemoryBudget::new(64));
    let uk = vec![b'x'; 100];
    r.ok(&ttl_key(&uk), &u64be(FIXTURE));
    r.ok(&stream_meta(&uk), &stream_meta_value(&[0, 0, 0]));
    assert!(r.done().is_empty());
    let lines = r.lines(&format!("streams/{}.jsonl", "x".repeat(100)));
    assert_eq!(lines[0]["expire_at_ms"], FIXTURE);
}

/// TestRedisDB_PendingTTLByteBudgetReclaimedOnClaim: whatever the order and the budget, each
/// key gets its own TTL.
#[test]
fn claimed_ttls_go_to_their_own_keys() {
    let mut r = Run::with_budget(MemoryBudget::new(32));
    for k in [b"k0", b"k1", b"k2"] {
        r.ok(&ttl_key(k), &u64be(FIXTURE + u64::from(k[1])));
    }
    r.ok(&set_member(b"k0", b"m"), b"");
    r.ok(&ttl_key(b"k3"), &u64be(FIXTURE));
    r.ok(&set_member(b"k3", b"m"), b"");
    let warnings = r.done();
    assert_eq!(
        r.json("sets/k0.json")["expire_at_ms"],
        FIXTURE + u64::from(b'0')
    );
    assert_eq!(r.json("sets/k3.json")["expire_at_ms"], FIXTURE);
    assert_eq!(events(&warnings), vec!["redis_orphan_ttl"]);
    assert!(warnings[0].fields.starts_with("count=\"2\""));
}

/// TestRedisDB_PendingTTLDuplicateKeyDoesNotDoubleCountBytes: a repeated TTL record keeps the
/// newest value.
#[test]
fn repeated_ttl_record_keeps_the_last_value() {
    let mut r = Run::new();
    r.ok(&ttl_key(b"k0"), &u64be(FIXTURE));
    r.ok(&ttl_key(b"k0"), &u64be(FIXTURE + 7));
    r.ok(&set_member(b"k0", b"m"), b"");
    assert!(r.done().is_empty());
    assert_eq!(r.json("sets/k0.json")["expire_at_ms"], FIXTURE + 7);
}

/// TestRedisDB_WithPendingTTLByteCapZeroOpts: unknown TTLs are counted as orphans.
#[test]
fn five_unknown_ttls_are_five_orphans() {
    let mut r = Run::with_budget(MemoryBudget::new(0));
    for i in 0..5u8 {
        r.ok(&ttl_key(&[b'u', i]), &u64be(FIXTURE));
    }
    let warnings = r.done();
    assert!(warnings[0].fields.starts_with("count=\"5\""));
}

/// TestRedisDB_WithPendingTTLByteCapNegativeCoercedToZero: the one number a caller can set
/// is the database index; a negative one is 0 (redis.md §1.6).
#[test]
fn negative_database_index_is_zero() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = Scratch::new_in(dir.path(), &dir.path().join("out")).unwrap();
    let spill = SpillContext::new(MemoryBudget::unlimited(), scratch);
    let adapter = RedisAdapter::new(RedisOptions::default(), spill).with_db(-100);
    assert_eq!(adapter.db, 0);
}

/// TestRedisDB_DefaultPendingTTLByteCapSurvives1GiBLoad: waiting TTLs are charged to the
/// shared budget (no separate 1 GiB cap) and given back at the end.
#[test]
fn waiting_ttls_are_charged_to_the_shared_budget() {
    let mut r = Run::with_budget(MemoryBudget::new(1 << 30));
    for i in 0..100u32 {
        r.ok(&ttl_key(&i.to_be_bytes()), &u64be(FIXTURE));
    }
    assert!(r.budget.used() > 100 * 8);
    r.done();
    assert_eq!(r.budget.used(), 0);
}

/// TestRedisDB_DirsCreatedCachesMkdirAll
#[test]
fn two_string_writes_share_one_directory() {
    let mut r = Run::new();
    r.ok(&str_key(b"a"), b"1");
    r.ok(&str_key(b"b"), b"2");
    r.done();
    assert_eq!(
        r.files(),
        vec!["redis/db_0/strings/a.bin", "redis/db_0/strings/b.bin"]
    );
}

/// TestRedisDB_HasInlineTTL
#[test]
fn has_inline_ttl() {
    let has = |raw: &[u8]| value::decode_envelope(raw, 1).unwrap().expire_at.is_some();
    assert!(has(&new_str(b"v", Some(FIXTURE))));
    assert!(!has(&new_str(b"v", None)));
    assert!(!has(b"legacy"));
}

// ------------------------------------------------------------------------------------------
// redis_hash_test.go
// ------------------------------------------------------------------------------------------

/// TestRedisDB_HashRoundTripBasic (golden bytes, redis.md §6.7).
#[test]
fn hash_round_trip() {
    let mut r = Run::new();
    r.ok(&hash_field(b"user:42", b"name"), b"alice");
    r.ok(&hash_field(b"user:42", b"age"), b"30");
    r.ok(&hash_meta(b"user:42"), &u64be(2));
    assert!(r.done().is_empty());
    assert_eq!(
        r.text("hashes/user%3A42.json"),
        "{\n  \"format_version\": 1,\n  \"fields\": [\n    {\n      \"name\": \"age\",\n      \"value\": \"30\"\n    },\n    {\n      \"name\": \"name\",\n      \"value\": \"alice\"\n    }\n  ],\n  \"expire_at_ms\": null\n}"
    );
}

/// TestRedisDB_HashEmptyHashStillEmitsFile
#[test]
fn empty_hash_still_has_a_file() {
    let mut r = Run::new();
    r.ok(&hash_meta(b"h"), &u64be(0));
    r.done();
    assert_eq!(
        r.text("hashes/h.json"),
        "{\n  \"format_version\": 1,\n  \"fields\": [],\n  \"expire_at_ms\": null\n}"
    );
}

/// TestRedisDB_HashTTLInlinedFromScanIndex
#[test]
fn hash_ttl_from_the_index() {
    let mut r = Run::new();
    r.ok(&hash_field(b"h", b"f"), b"v");
    r.ok(&hash_meta(b"h"), &u64be(1));
    r.ok(&ttl_key(b"h"), &u64be(FIXTURE));
    assert!(r.done().is_empty());
    assert_eq!(r.json("hashes/h.json")["expire_at_ms"], FIXTURE);
    assert!(!r.exists("hashes_ttl.jsonl"));
}

/// TestRedisDB_HashInlineTTLIgnoresStaleScanIndex
#[test]
fn hash_inline_ttl_wins_over_the_index() {
    let mut r = Run::new();
    r.ok(&hash_field(b"h", b"f"), b"v");
    r.ok(&hash_meta(b"h"), &meta16(1, FIXTURE));
    r.ok(&ttl_key(b"h"), &u64be(FIXTURE + 1));
    assert!(r.done().is_empty());
    assert_eq!(r.json("hashes/h.json")["expire_at_ms"], FIXTURE);
}

/// TestRedisDB_HashLengthMismatchWarns
#[test]
fn hash_length_mismatch_warns() {
    let mut r = Run::new();
    r.ok(&hash_field(b"h", b"f"), b"v");
    r.ok(&hash_meta(b"h"), &u64be(5));
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_hash_length_mismatch"]);
    assert!(warnings[0]
        .fields
        .starts_with("user_key_len=\"1\" declared_len=\"5\" observed_fields=\"1\" hint="));
}

/// TestRedisDB_HashBinaryFieldValueUsesBase64Envelope
#[test]
fn hash_binary_value_uses_the_base64_envelope() {
    let mut r = Run::new();
    r.ok(&hash_field(b"h", b"blob"), &[0x80, 0xFF, 0x01]);
    r.ok(&hash_field(b"h", b"name"), b"alice");
    r.ok(&ttl_key(b"h"), &u64be(FIXTURE));
    r.done();
    // The exact example of redis.md §6.7.
    assert_eq!(
        r.text("hashes/h.json"),
        "{\n  \"format_version\": 1,\n  \"fields\": [\n    {\n      \"name\": \"blob\",\n      \"value\": {\n        \"base64\": \"gP8B\"\n      }\n    },\n    {\n      \"name\": \"name\",\n      \"value\": \"alice\"\n    }\n  ],\n  \"expire_at_ms\": 1788998400000\n}"
    );
}

/// TestRedisDB_HashBinaryFieldNameRoundTripsViaArray
#[test]
fn hash_binary_field_names_stay_distinct() {
    let mut r = Run::new();
    r.ok(&hash_field(b"h", b"%FF"), b"literal");
    r.ok(&hash_field(b"h", &[0xFF]), b"binary");
    r.done();
    let fields = &r.json("hashes/h.json")["fields"];
    assert_eq!(fields[0]["name"], "%FF");
    assert_eq!(fields[1]["name"]["base64"], "_w");
    assert_eq!(fields[1]["value"], "binary");
}

/// TestRedisDB_HashAcceptsEmptyFieldName
#[test]
fn hash_accepts_an_empty_field_name() {
    let mut r = Run::new();
    r.ok(&hash_field(b"h", b"named"), b"2");
    r.ok(&hash_field(b"h", b""), b"1");
    r.done();
    let fields = &r.json("hashes/h.json")["fields"];
    assert_eq!(fields[0]["name"], "");
    assert_eq!(fields[1]["name"], "named");
}

/// TestRedisDB_HashRejectsMalformedMetaValueLength
#[test]
fn hash_meta_of_bad_length_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&hash_meta(b"h"), b"x"));
    assert_eq!(e.class(), Some(ErrorClass::HashMeta));
    assert!(e.to_string().contains("length 1 not in {8,16}"), "{e}");
}

/// TestRedisDB_HashRejectsOverflowingMetaValue
#[test]
fn hash_meta_overflowing_int64_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&hash_meta(b"h"), &u64be(1 << 63)));
    assert_eq!(e.class(), Some(ErrorClass::HashMeta));
    assert!(e.to_string().contains("overflows int64"), "{e}");
}

/// TestRedisDB_HashHandleHashMetaSkipsDeltaKey: a delta key handed to the meta handler is
/// taken as what it is (a delta, applied), not as a meta.
#[test]
fn delta_key_given_to_the_hash_meta_handler_is_a_delta() {
    let mut r = Run::new();
    r.put_as(
        Family::Redis(RedisFamily::HashMeta),
        &hash_delta(b"h", 9),
        &i64be(1),
    )
    .unwrap();
    assert!(RedisHashMetaKey::parse(&hash_delta(b"h", 9)).is_err());
    r.ok(&hash_field(b"h", b"f"), b"v");
    assert!(r.done().is_empty(), "declared 1 = observed 1");
}

/// TestRedisDB_HashRejectsTruncatedFieldKey
#[test]
fn truncated_hash_field_key_is_rejected() {
    let mut r = Run::new();
    let key = cat(&[b"!hs|fld|", &10u32.to_be_bytes(), b"abc"]);
    let e = redis_err(r.put(&key, b"v"));
    assert_eq!(e.class(), Some(ErrorClass::HashKey));
    assert!(e.to_string().contains("field key"), "{e}");
}

/// TestRedisDB_HashSHAFallbackKeymapped
#[test]
fn long_hash_key_is_keymapped() {
    let mut r = Run::new();
    r.ok(&hash_field(&[b'h'; 300], b"f"), b"v");
    r.done();
    let records = keymap(&r);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["kind"], "sha-fallback");
}

// ------------------------------------------------------------------------------------------
// redis_list_test.go
// ------------------------------------------------------------------------------------------

/// TestRedisDB_ListRoundTripPreservesLPUSHOrder
#[test]
fn list_keeps_lpush_order() {
    let mut r = Run::new();
    r.ok(&list_item(b"l", 1), b"e");
    r.ok(&list_item(b"l", -1), b"c");
    r.ok(&list_item(b"l", -2), b"b");
    r.ok(&list_item(b"l", 0), b"d");
    r.ok(&list_meta(b"l"), &list_meta24(-2, 4));
    assert!(r.done().is_empty());
    assert_eq!(
        r.text("lists/l.json"),
        "{\n  \"format_version\": 1,\n  \"items\": [\n    \"b\",\n    \"c\",\n    \"d\",\n    \"e\"\n  ],\n  \"expire_at_ms\": null\n}"
    );
}

/// TestRedisDB_ListEmptyListStillEmitsFile
#[test]
fn empty_list_still_has_a_file() {
    let mut r = Run::new();
    r.ok(&list_meta(b"l"), &list_meta24(0, 0));
    r.done();
    assert_eq!(r.json("lists/l.json")["items"], serde_json::json!([]));
}

/// TestRedisDB_ListTTLInlinedFromScanIndex
#[test]
fn list_ttl_from_the_index() {
    let mut r = Run::new();
    r.ok(&list_item(b"l", 0), b"a");
    r.ok(&list_meta(b"l"), &list_meta24(0, 1));
    r.ok(&ttl_key(b"l"), &u64be(FIXTURE));
    r.done();
    assert_eq!(r.json("lists/l.json")["expire_at_ms"], FIXTURE);
    assert!(!r.exists("lists_ttl.jsonl"));
}

/// TestRedisDB_ListLengthMismatchWarns
#[test]
fn list_length_mismatch_warns() {
    let mut r = Run::new();
    r.ok(&list_item(b"l", 0), b"a");
    r.ok(&list_meta(b"l"), &list_meta24(0, 5));
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_list_length_mismatch"]);
    assert!(warnings[0]
        .fields
        .contains("declared_len=\"5\" observed_items=\"1\""));
}

/// TestRedisDB_ListBinaryItemUsesBase64Envelope
#[test]
fn list_binary_item_uses_the_base64_envelope() {
    let mut r = Run::new();
    r.ok(&list_item(b"l", 0), &[0x80, 0xFF, 0x01]);
    r.done();
    assert_eq!(r.json("lists/l.json")["items"][0]["base64"], "gP8B");
}

/// TestRedisDB_ListHandleListMetaSkipsDeltaKey: a well-formed delta handed to the meta
/// handler is a delta; deltas alone make no file.
#[test]
fn delta_key_given_to_the_list_meta_handler_is_a_delta() {
    let mut r = Run::new();
    let delta = cat(&[&i64be(0), &i64be(1)]);
    r.put_as(
        Family::Redis(RedisFamily::ListMeta),
        &list_delta(b"l", 3),
        &delta,
    )
    .unwrap();
    assert!(r.done().is_empty());
    assert!(!r.exists("lists"));
}

/// TestRedisDB_ListHandleListClaimSkips
#[test]
fn list_claims_change_nothing() {
    let mut r = Run::new();
    r.ok(&list_claim(b"l", 0), b"");
    r.ok(&list_item(b"l", 0), b"a");
    r.ok(&list_item(b"l", 1), b"b");
    r.done();
    assert_eq!(strs(&r.json("lists/l.json")["items"]), vec!["a", "b"]);
}

/// TestRedisDB_ListRejectsMalformedMetaValueLength
#[test]
fn list_meta_of_bad_length_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&list_meta(b"l"), &u64be(1)));
    assert_eq!(e.class(), Some(ErrorClass::ListMeta));
    assert!(e.to_string().contains("length 8 not in {24,32}"), "{e}");
}

/// TestRedisDB_ListItemsWithoutMetaStillEmitsFile
#[test]
fn list_items_without_meta_still_have_a_file() {
    let mut r = Run::new();
    r.ok(&list_item(b"l", 0), b"v");
    assert!(r.done().is_empty());
    assert_eq!(strs(&r.json("lists/l.json")["items"]), vec!["v"]);
}

/// TestRedisDB_ListRejectsTruncatedItemKey
#[test]
fn truncated_list_item_key_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(b"!lst|itm|", b"v"));
    assert_eq!(e.class(), Some(ErrorClass::ListKey));
    assert!(e.to_string().contains("item key"), "{e}");
}

// ------------------------------------------------------------------------------------------
// redis_set_test.go
// ------------------------------------------------------------------------------------------

/// TestRedisDB_SetRoundTripBasic
#[test]
fn set_round_trip() {
    let mut r = Run::new();
    for m in [b"red".as_slice(), b"green", b"blue"] {
        r.ok(&set_member(b"s", m), b"");
    }
    r.ok(&set_meta(b"s"), &u64be(3));
    assert!(r.done().is_empty());
    let v = r.json("sets/s.json");
    assert_eq!(strs(&v["members"]), vec!["blue", "green", "red"]);
    assert_eq!(v["format_version"], 1);
    assert!(v["expire_at_ms"].is_null());
}

/// TestRedisDB_SetEmptySetStillEmitsFile
#[test]
fn empty_set_still_has_a_file() {
    let mut r = Run::new();
    r.ok(&set_meta(b"s"), &u64be(0));
    r.done();
    assert_eq!(r.json("sets/s.json")["members"], serde_json::json!([]));
}

/// TestRedisDB_SetTTLInlinedFromScanIndex
#[test]
fn set_ttl_from_the_index() {
    let mut r = Run::new();
    r.ok(&set_meta(b"s"), &u64be(1));
    r.ok(&set_member(b"s", b"m"), b"");
    r.ok(&ttl_key(b"s"), &u64be(FIXTURE));
    assert!(r.done().is_empty());
    assert_eq!(r.json("sets/s.json")["expire_at_ms"], FIXTURE);
    assert!(!r.exists("sets_ttl.jsonl"));
}

/// TestRedisDB_SetLengthMismatchWarns
#[test]
fn set_length_mismatch_warns() {
    let mut r = Run::new();
    r.ok(&set_member(b"s", b"m"), b"");
    r.ok(&set_meta(b"s"), &u64be(5));
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_set_length_mismatch"]);
    assert!(warnings[0].fields.contains("observed_members=\"1\""));
}

/// TestRedisDB_SetBinaryMemberUsesBase64Envelope
#[test]
fn set_binary_member_uses_the_base64_envelope() {
    let mut r = Run::new();
    r.ok(&set_member(b"s", &[0x80, 0xFF, 0x01]), b"");
    r.done();
    assert_eq!(r.json("sets/s.json")["members"][0]["base64"], "gP8B");
}

/// TestRedisDB_SetHandleSetMetaSkipsDeltaKey
#[test]
fn delta_key_given_to_the_set_meta_handler_is_a_delta() {
    let mut r = Run::new();
    r.put_as(
        Family::Redis(RedisFamily::SetMeta),
        &set_delta(b"s", 1),
        &i64be(1),
    )
    .unwrap();
    assert!(r.done().is_empty());
    assert!(!r.exists("sets"));
}

/// TestRedisDB_SetRejectsMalformedMetaValueLength
#[test]
fn set_meta_of_bad_length_is_rejected() {
    let mut r = Run::new();
    assert_eq!(class_of(r.put(&set_meta(b"s"), b"x")), ErrorClass::SetMeta);
}

/// TestRedisDB_SetRejectsOverflowingMetaValue
#[test]
fn set_meta_overflowing_int64_is_rejected() {
    let mut r = Run::new();
    assert_eq!(
        class_of(r.put(&set_meta(b"s"), &u64be(1 << 63))),
        ErrorClass::SetMeta
    );
}

/// TestRedisDB_SetMembersWithoutMetaStillEmitsFile
#[test]
fn set_members_without_meta_still_have_a_file() {
    let mut r = Run::new();
    r.ok(&set_member(b"s", b"a"), b"");
    assert!(r.done().is_empty());
    assert_eq!(strs(&r.json("sets/s.json")["members"]), vec!["a"]);
}

/// TestRedisDB_SetDuplicateMembersCollapse
#[test]
fn duplicate_set_members_collapse() {
    let mut r = Run::new();
    for m in [b"a", b"a", b"b"] {
        r.ok(&set_member(b"s", m), b"");
    }
    r.done();
    assert_eq!(strs(&r.json("sets/s.json")["members"]), vec!["a", "b"]);
}

/// TestRedisDB_SetParseSetMetaKeyRejectsDelta
#[test]
fn set_meta_parser_rejects_delta_keys() {
    assert!(RedisSetMetaKey::parse(&set_delta(b"s", 1)).is_err());
    assert_eq!(
        route(&set_delta(b"s", 1)),
        Some(Family::Redis(RedisFamily::SetMetaDelta))
    );
}

/// TestRedisDB_SetMembersBytesPreservedThroughInt64Path
#[test]
fn set_meta_of_int64_max_is_accepted() {
    let mut r = Run::new();
    r.ok(&set_meta(b"s"), &u64be(i64::MAX as u64));
    let warnings = r.done();
    assert!(warnings[0]
        .fields
        .contains("declared_len=\"9223372036854775807\""));
}

// ------------------------------------------------------------------------------------------
// redis_zset_test.go
// ------------------------------------------------------------------------------------------

/// TestRedisDB_ZSetRoundTripBasic
#[test]
fn zset_round_trip() {
    let mut r = Run::new();
    r.ok(&zset_member(b"z", b"charlie"), &score(30.0));
    r.ok(&zset_member(b"z", b"alice"), &score(100.0));
    r.ok(&zset_member(b"z", b"bob"), &score(50.0));
    r.ok(&zset_meta(b"z"), &u64be(3));
    assert!(r.done().is_empty());
    assert_eq!(
        r.text("zsets/z.json"),
        "{\n  \"format_version\": 1,\n  \"members\": [\n    {\n      \"member\": \"alice\",\n      \"score\": 100\n    },\n    {\n      \"member\": \"bob\",\n      \"score\": 50\n    },\n    {\n      \"member\": \"charlie\",\n      \"score\": 30\n    }\n  ],\n  \"expire_at_ms\": null\n}"
    );
}

/// TestRedisDB_ZSetEmptyZSetStillEmitsFile
#[test]
fn empty_zset_still_has_a_file() {
    let mut r = Run::new();
    r.ok(&zset_meta(b"z"), &u64be(0));
    r.done();
    assert_eq!(r.json("zsets/z.json")["members"], serde_json::json!([]));
}

/// TestRedisDB_ZSetTTLInlinedFromScanIndex
#[test]
fn zset_ttl_from_the_index() {
    let mut r = Run::new();
    r.ok(&zset_meta(b"z"), &u64be(1));
    r.ok(&zset_member(b"z", b"m"), &score(1.0));
    r.ok(&ttl_key(b"z"), &u64be(FIXTURE));
    r.done();
    assert_eq!(r.json("zsets/z.json")["expire_at_ms"], FIXTURE);
    assert!(!r.exists("zsets_ttl.jsonl"));
}

/// TestRedisDB_ZSetLengthMismatchWarns
#[test]
fn zset_length_mismatch_warns() {
    let mut r = Run::new();
    r.ok(&zset_member(b"z", b"m"), &score(1.0));
    r.ok(&zset_meta(b"z"), &u64be(5));
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_zset_length_mismatch"]);
}

/// TestRedisDB_ZSetBinaryMemberUsesBase64Envelope (the URL-safe unpadded alphabet, §11.14)
#[test]
fn zset_binary_member_uses_the_base64_envelope() {
    let mut r = Run::new();
    r.ok(&zset_member(b"z", &[0x80, 0xFF, 0x01]), &score(1.0));
    r.ok(&zset_member(b"z", &[0xFB, 0xEF]), &score(2.0));
    r.done();
    let members = &r.json("zsets/z.json")["members"];
    assert_eq!(members[0]["member"]["base64"], "gP8B");
    assert_eq!(members[1]["member"]["base64"], "--8");
}

/// TestRedisDB_ZSetHandleMetaSkipsDeltaKey
#[test]
fn delta_key_given_to_the_zset_meta_handler_is_a_delta() {
    let mut r = Run::new();
    r.put_as(
        Family::Redis(RedisFamily::ZsetMeta),
        &zset_delta(b"z", 1),
        &i64be(1),
    )
    .unwrap();
    r.done();
    assert!(!r.exists("zsets"));
}

/// TestRedisDB_ZSetHandleZSetMetaDelta: deltas are read (and checked) now.
#[test]
fn zset_meta_delta_is_read() {
    let mut r = Run::new();
    r.ok(&zset_delta(b"z", 1), &i64be(2));
    r.ok(&zset_member(b"z", b"a"), &score(1.0));
    r.ok(&zset_member(b"z", b"b"), &score(1.0));
    assert!(r.done().is_empty(), "declared 0 + 2 = observed 2");
    let e = redis_err(r.put(&zset_delta(b"z", 2), b"short"));
    assert_eq!(e.class(), Some(ErrorClass::MetaDelta));
}

/// TestRedisDB_ZSetHandleZSetScoreSilentlyDiscards
#[test]
fn zset_score_index_rows_are_discarded() {
    let mut r = Run::new();
    r.ok(&zset_score_key(b"z", b"m"), b"");
    assert!(r.done().is_empty());
    assert!(!r.exists("zsets"));
}

/// TestRedisDB_ZSetRejectsMalformedMetaValueLength
#[test]
fn zset_meta_of_bad_length_is_rejected() {
    let mut r = Run::new();
    assert_eq!(
        class_of(r.put(&zset_meta(b"z"), b"x")),
        ErrorClass::ZsetMeta
    );
}

/// TestRedisDB_ZSetRejectsOverflowingMetaValue
#[test]
fn zset_meta_overflowing_int64_is_rejected() {
    let mut r = Run::new();
    assert_eq!(
        class_of(r.put(&zset_meta(b"z"), &u64be(1 << 63))),
        ErrorClass::ZsetMeta
    );
}

/// TestRedisDB_ZSetRejectsMalformedMemberValueLength
#[test]
fn zset_score_of_bad_length_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&zset_member(b"z", b"m"), b"abc"));
    assert_eq!(e.class(), Some(ErrorClass::ZsetMember));
    assert!(e.to_string().contains("length 3 != 8"), "{e}");
}

/// TestRedisDB_ZSetRejectsNaNScore
#[test]
fn nan_score_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&zset_member(b"zk", b"m"), &score(f64::NAN)));
    assert_eq!(e.class(), Some(ErrorClass::ZsetMember));
    assert!(
        e.to_string()
            .contains("NaN score for member of user key \"zk\" (length 2)"),
        "{e}"
    );
}

/// TestRedisDB_ZSetInfinityScoresUseStringForm
#[test]
fn infinite_scores_use_the_string_form() {
    let mut r = Run::new();
    r.ok(&zset_member(b"z", b"top"), &score(f64::INFINITY));
    r.ok(&zset_member(b"z", b"bottom"), &score(f64::NEG_INFINITY));
    r.done();
    let members = &r.json("zsets/z.json")["members"];
    assert_eq!(members[0]["member"], "bottom");
    assert_eq!(members[0]["score"], "-inf");
    assert_eq!(members[1]["score"], "+inf");
}

/// TestRedisDB_ZSetParseMetaKeyRejectsDelta
#[test]
fn zset_meta_parser_rejects_delta_keys() {
    assert!(RedisZsetMetaKey::parse(&zset_delta(b"z", 1)).is_err());
    assert!(RedisHashMetaKey::parse(&hash_delta(b"z", 1)).is_err());
}

/// TestRedisDB_ZSetMembersWithoutMetaStillEmitsFile
#[test]
fn zset_members_without_meta_still_have_a_file() {
    let mut r = Run::new();
    r.ok(&zset_member(b"z", b"m"), &score(1.0));
    assert!(r.done().is_empty());
    assert_eq!(
        r.json("zsets/z.json")["members"].as_array().unwrap().len(),
        1
    );
}

/// TestRedisDB_ZSetDuplicateMembersUseLatestScore
#[test]
fn duplicate_zset_member_keeps_the_latest_score() {
    let mut r = Run::new();
    r.ok(&zset_member(b"z", b"m"), &score(1.0));
    r.ok(&zset_member(b"z", b"m"), &score(2.0));
    r.done();
    let members = &r.json("zsets/z.json")["members"];
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!(members[0]["score"], 2);
}

/// TestRedisDB_ZSetTTLArrivesBeforeRows
#[test]
fn zset_ttl_arriving_before_the_rows() {
    let mut r = Run::new();
    r.ok(&ttl_key(b"z"), &u64be(FIXTURE));
    r.ok(&zset_meta(b"z"), &u64be(1));
    r.ok(&zset_member(b"z", b"m"), &score(1.0));
    assert!(r.done().is_empty());
    assert_eq!(r.json("zsets/z.json")["expire_at_ms"], FIXTURE);
}

/// TestRedisDB_SetTTLArrivesBeforeRows
#[test]
fn set_ttl_arriving_before_the_rows() {
    let mut r = Run::new();
    r.ok(&ttl_key(b"s"), &u64be(FIXTURE));
    r.ok(&set_meta(b"s"), &u64be(1));
    r.ok(&set_member(b"s", b"m"), b"");
    assert!(r.done().is_empty());
    assert_eq!(r.json("sets/s.json")["expire_at_ms"], FIXTURE);
}

/// TestRedisDB_OrphanTTLCountsTrulyUnmatchedKeys
#[test]
fn only_unmatched_ttls_are_orphans() {
    let mut r = Run::new();
    r.ok(&ttl_key(b"matched"), &u64be(FIXTURE));
    r.ok(&ttl_key(b"unmatched"), &u64be(FIXTURE));
    r.ok(&set_member(b"matched", b"m"), b"");
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_orphan_ttl"]);
    assert!(warnings[0].fields.starts_with("count=\"1\""));
}

/// TestRedisDB_ZSetMaxInt64DeclaredLen
#[test]
fn zset_meta_of_int64_max_is_accepted() {
    let mut r = Run::new();
    r.ok(&zset_meta(b"z"), &u64be(i64::MAX as u64));
    assert_eq!(events(&r.done()), vec!["redis_zset_length_mismatch"]);
}

/// TestRedisDB_ZSetLegacyBlobRoundTrip
#[test]
fn zset_legacy_blob_round_trip() {
    let mut r = Run::new();
    r.ok(
        &zset_legacy(b"z"),
        &zset_blob(&[("alice", 100.0), ("bob", 50.0), ("charlie", 30.0)]),
    );
    r.done();
    let members = &r.json("zsets/z.json")["members"];
    let names: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["member"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["alice", "bob", "charlie"]);
    assert_eq!(members[0]["score"], 100);
}

/// TestRedisDB_ZSetWideColumnSupersedesLegacyBlob
#[test]
fn zset_wide_rows_supersede_the_legacy_blob() {
    let mut r = Run::new();
    r.ok(
        &zset_legacy(b"z"),
        &zset_blob(&[("alice", 1.0), ("bob-stale", 2.0)]),
    );
    r.ok(&zset_member(b"z", b"alice"), &score(99.0));
    r.ok(&zset_member(b"z", b"charlie"), &score(3.0));
    r.done();
    let v = r.json("zsets/z.json");
    assert_eq!(
        v["members"],
        serde_json::json!([{"member": "alice", "score": 99}, {"member": "charlie", "score": 3}])
    );
}

/// TestRedisDB_ZSetMetaAlonePreservesLegacyBlob
#[test]
fn zset_meta_alone_keeps_the_legacy_blob() {
    let mut r = Run::new();
    r.ok(
        &zset_legacy(b"z"),
        &zset_blob(&[("kept", 1.0), ("also-kept", 2.5)]),
    );
    r.ok(&zset_meta(b"z"), &u64be(2));
    assert!(r.done().is_empty());
    assert_eq!(
        r.json("zsets/z.json")["members"],
        serde_json::json!([{"member": "also-kept", "score": 2.5}, {"member": "kept", "score": 1}])
    );
}

/// TestRedisDB_ZSetLegacyBlobAfterWideRowsIsDropped
#[test]
fn zset_legacy_blob_after_wide_rows_is_dropped() {
    let mut r = Run::new();
    r.ok(&zset_member(b"z", b"alice"), &score(99.0));
    r.ok(
        &zset_legacy(b"z"),
        &zset_blob(&[("alice", 1.0), ("stale", 2.0)]),
    );
    r.done();
    assert_eq!(
        r.json("zsets/z.json")["members"],
        serde_json::json!([{"member": "alice", "score": 99}])
    );
}

/// TestRedisDB_ZSetLegacyBlobWithInlineTTL
#[test]
fn zset_legacy_blob_with_index_ttl() {
    let mut r = Run::new();
    r.ok(&zset_legacy(b"z"), &zset_blob(&[("m", 1.0)]));
    r.ok(&ttl_key(b"z"), &u64be(FIXTURE));
    assert!(r.done().is_empty());
    assert_eq!(r.json("zsets/z.json")["expire_at_ms"], FIXTURE);
}

/// TestRedisDB_ZSetLegacyBlobTTLArrivesBeforeBlob
#[test]
fn zset_legacy_blob_ttl_arriving_first() {
    let mut r = Run::new();
    r.ok(&ttl_key(b"z"), &u64be(FIXTURE));
    r.ok(&zset_legacy(b"z"), &zset_blob(&[("m", 1.0)]));
    assert!(r.done().is_empty());
    let v = r.json("zsets/z.json");
    assert_eq!(v["expire_at_ms"], FIXTURE);
    assert_eq!(v["members"].as_array().unwrap().len(), 1);
}

/// TestRedisDB_ZSetLegacyBlobRejectsMissingMagic
#[test]
fn zset_legacy_blob_without_magic_is_rejected() {
    let mut r = Run::new();
    let blob = zset_blob(&[("m", 1.0)]);
    let e = redis_err(r.put(&zset_legacy(b"z"), &blob[4..]));
    assert_eq!(e.class(), Some(ErrorClass::ZsetLegacyBlob));
    assert!(
        e.to_string().contains("missing or corrupt magic prefix"),
        "{e}"
    );
    // An empty value too (redis.md §11.11, kept).
    assert_eq!(
        class_of(r.put(&zset_legacy(b"z"), b"")),
        ErrorClass::ZsetLegacyBlob
    );
}

/// TestRedisDB_ZSetLegacyBlobRejectsNaNScore: nothing of the blob is kept.
#[test]
fn zset_legacy_blob_with_nan_is_rejected_whole() {
    let mut r = Run::new();
    let e = redis_err(r.put(
        &zset_legacy(b"z"),
        &zset_blob(&[("ok", 1.0), ("bad", f64::NAN)]),
    ));
    assert_eq!(e.class(), Some(ErrorClass::ZsetLegacyBlob));
    assert!(
        e.to_string().contains("NaN score for member \"bad\""),
        "{e}"
    );
    r.done();
    assert!(!r.exists("zsets"), "no state change before the error");
}

/// TestRedisDB_ZSetLegacyBlobRejectsMissingPrefix
#[test]
fn zset_legacy_handler_rejects_other_keys() {
    let mut r = Run::new();
    let e = redis_err(r.put_as(
        Family::Redis(RedisFamily::ZsetLegacy),
        b"!redis|zsex|k",
        &zset_blob(&[]),
    ));
    assert_eq!(e.class(), Some(ErrorClass::ZsetLegacyBlob));
}

// ------------------------------------------------------------------------------------------
// redis_stream_test.go
// ------------------------------------------------------------------------------------------

/// TestRedisDB_StreamRoundTripBasic
#[test]
fn stream_round_trip() {
    let mut r = Run::new();
    let base = 1_714_400_000_000u64;
    for ms in [base + 2, base, base + 1] {
        r.ok(
            &stream_entry(b"s", ms, 0),
            &entry_value("ignored", &["k", "v"]),
        );
    }
    r.ok(&stream_meta(b"s"), &stream_meta_value(&[3, base + 2, 0]));
    assert!(r.done().is_empty());
    assert_eq!(
        r.text("streams/s.jsonl"),
        "{\"id\":\"1714400000000-0\",\"fields\":[{\"name\":\"k\",\"value\":\"v\"}]}\n\
         {\"id\":\"1714400000001-0\",\"fields\":[{\"name\":\"k\",\"value\":\"v\"}]}\n\
         {\"id\":\"1714400000002-0\",\"fields\":[{\"name\":\"k\",\"value\":\"v\"}]}\n\
         {\"_meta\":true,\"length\":3,\"last_ms\":1714400000002,\"last_seq\":0,\"expire_at_ms\":null}\n"
    );
}

/// TestRedisDB_StreamFieldsDecodedToArray
#[test]
fn stream_fields_become_an_array() {
    let mut r = Run::new();
    r.ok(
        &stream_entry(b"s", 1, 0),
        &entry_value(
            "1-0",
            &["event", "login", "user", "alice", "ip", "10.0.0.1"],
        ),
    );
    r.ok(&stream_meta(b"s"), &stream_meta_value(&[1, 1, 0]));
    r.done();
    assert_eq!(
        r.lines("streams/s.jsonl")[0]["fields"],
        serde_json::json!([
            {"name": "event", "value": "login"},
            {"name": "user", "value": "alice"},
            {"name": "ip", "value": "10.0.0.1"}
        ])
    );
}

/// TestBuildStreamFieldRecords_NonUTF8BytesRoundTrip: the binary-safe rendering stream
/// fields go through.
#[test]
fn binary_safe_rendering_round_trips_bytes() {
    let mut w = crate::json::JsonWriter::compact();
    w.begin_array();
    binary_safe(&mut w, &[0xFF, 0xFE, 0x80]);
    binary_safe(&mut w, &[0x00, 0x01, 0xC3, 0x28, 0x02]);
    binary_safe(&mut w, "ok <é>".as_bytes());
    w.end_array();
    let text = String::from_utf8(w.into_bytes()).unwrap();
    assert_eq!(
        text,
        "[{\"base64\":\"__6A\"},{\"base64\":\"AAHDKAI\"},\"ok \\u003cé\\u003e\"]"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let decode = |s: &serde_json::Value| {
        base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            s["base64"].as_str().unwrap(),
        )
        .unwrap()
    };
    assert_eq!(decode(&v[0]), [0xFF, 0xFE, 0x80]);
    assert_eq!(decode(&v[1]), [0x00, 0x01, 0xC3, 0x28, 0x02]);
}

/// TestRedisDB_StreamDuplicateFieldsPreserved
#[test]
fn duplicate_stream_fields_are_kept() {
    let mut r = Run::new();
    r.ok(
        &stream_entry(b"s", 1, 0),
        &entry_value("1-0", &["f", "v1", "f", "v2", "g", "v3"]),
    );
    r.ok(&stream_meta(b"s"), &stream_meta_value(&[1, 1, 0]));
    r.done();
    let fields = &r.lines("streams/s.jsonl")[0]["fields"];
    assert_eq!(fields.as_array().unwrap().len(), 3);
    assert_eq!(fields[1], serde_json::json!({"name": "f", "value": "v2"}));
}

/// TestRedisDB_StreamTTLArrivesBeforeRows
#[test]
fn stream_ttl_arriving_before_the_rows() {
    let mut r = Run::new();
    r.ok(&ttl_key(b"s"), &u64be(FIXTURE));
    r.ok(&stream_meta(b"s"), &stream_meta_value(&[1, 1, 0]));
    r.ok(&stream_entry(b"s", 1, 0), &entry_value("1-0", &[]));
    assert!(r.done().is_empty());
    let lines = r.lines("streams/s.jsonl");
    assert_eq!(lines[0]["fields"], serde_json::json!([]));
    assert_eq!(lines[1]["expire_at_ms"], FIXTURE);
}

/// TestRedisDB_StreamEmptyStreamStillEmitsFile
#[test]
fn empty_stream_is_only_its_meta_line() {
    let mut r = Run::new();
    r.ok(&stream_meta(b"s"), &stream_meta_value(&[0, 0, 0]));
    r.done();
    assert_eq!(
        r.text("streams/s.jsonl"),
        "{\"_meta\":true,\"length\":0,\"last_ms\":0,\"last_seq\":0,\"expire_at_ms\":null}\n"
    );
}

/// TestRedisDB_StreamTTLInlinedFromScanIndex
#[test]
fn stream_ttl_from_the_index() {
    let mut r = Run::new();
    r.ok(&stream_meta(b"s"), &stream_meta_value(&[1, 1, 0]));
    r.ok(&stream_entry(b"s", 1, 0), &entry_value("1-0", &["a", "b"]));
    r.ok(&ttl_key(b"s"), &u64be(FIXTURE));
    r.done();
    assert_eq!(r.lines("streams/s.jsonl")[1]["expire_at_ms"], FIXTURE);
    assert!(!r.exists("streams_ttl.jsonl"));
}

/// TestRedisDB_StreamLengthMismatchWarns
#[test]
fn stream_length_mismatch_warns() {
    let mut r = Run::new();
    r.ok(&stream_meta(b"s"), &stream_meta_value(&[5, 1, 0]));
    r.ok(&stream_entry(b"s", 1, 0), &entry_value("1-0", &[]));
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_stream_length_mismatch"]);
    assert!(warnings[0].fields.contains("observed_entries=\"1\""));
}

/// TestRedisDB_StreamOrphanEntriesWithoutMetaSkipsFile (and no empty `streams/` directory,
/// docs/compatibility.md).
#[test]
fn stream_entries_without_meta_are_skipped_with_a_warning() {
    let mut r = Run::new();
    r.ok(&stream_entry(b"orphan", 1, 0), &entry_value("1-0", &[]));
    let warnings = r.done();
    assert_eq!(
        events(&warnings),
        vec!["redis_stream_orphan_entries_without_meta"]
    );
    assert!(warnings[0]
        .fields
        .starts_with("user_key_len=\"6\" observed_entries=\"1\" hint="));
    assert!(!r.exists("streams"));
}

/// TestRedisDB_StreamRejectsMalformedMetaValueLength
#[test]
fn stream_meta_of_bad_length_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&stream_meta(b"s"), b"abc"));
    assert_eq!(e.class(), Some(ErrorClass::StreamMeta));
    assert!(e.to_string().contains("length 3 not in {24,32,48}"), "{e}");
}

/// TestRedisDB_StreamAcceptsTrimCursorMetaValue
#[test]
fn stream_meta_with_trim_cursor() {
    let mut r = Run::new();
    r.ok(
        &stream_meta(b"s"),
        &stream_meta_value(&[1, 200, 3, 123_456, 100, 1]),
    );
    r.ok(&stream_entry(b"s", 200, 3), &entry_value("200-3", &[]));
    r.done();
    assert_eq!(
        r.text("streams/s.jsonl").lines().last().unwrap(),
        "{\"_meta\":true,\"length\":1,\"last_ms\":200,\"last_seq\":3,\"expire_at_ms\":123456}"
    );
}

/// TestRedisDB_StreamRejectsOverflowingMetaLength
#[test]
fn stream_meta_overflowing_int64_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&stream_meta(b"s"), &stream_meta_value(&[1 << 63, 0, 0])));
    assert!(
        e.to_string()
            .contains("declared length 9223372036854775808 overflows int64"),
        "{e}"
    );
}

/// TestRedisDB_StreamMaxInt64MetaLength
#[test]
fn stream_meta_of_int64_max_is_accepted() {
    let mut r = Run::new();
    r.ok(
        &stream_meta(b"s"),
        &stream_meta_value(&[i64::MAX as u64, 0, 0]),
    );
    r.done();
    assert_eq!(r.lines("streams/s.jsonl")[0]["length"], i64::MAX);
}

/// TestRedisDB_StreamRejectsEntryWithMissingMagic
#[test]
fn stream_entry_without_magic_is_rejected() {
    let mut r = Run::new();
    let value = entry_value("1-0", &[]);
    let e = redis_err(r.put(&stream_entry(b"s", 1, 0), &value[5..]));
    assert_eq!(e.class(), Some(ErrorClass::StreamEntry));
    assert!(
        e.to_string().contains("missing or corrupt magic prefix"),
        "{e}"
    );
    let e = redis_err(r.put(&stream_entry(b"s", 1, 0), b"\x00RXE\x01\x12\x01\xFF"));
    assert!(e.to_string().contains("unmarshal: "), "{e}");
}

/// TestRedisDB_StreamRejectsEntryWithOddFieldCount
#[test]
fn stream_entry_with_odd_field_count_is_rejected() {
    let mut r = Run::new();
    let e = redis_err(r.put(&stream_entry(b"s", 1, 0), &entry_value("1-0", &["only"])));
    assert_eq!(e.class(), Some(ErrorClass::StreamEntry));
    assert!(e.to_string().contains("odd field count 1"), "{e}");
}

/// TestRedisDB_StreamRejectsMalformedEntryKey
#[test]
fn malformed_stream_entry_key_is_rejected() {
    let mut r = Run::new();
    let key = cat(&[b"!stream|entry|", &lp(b"s"), &[0, 0, 0, 1]]);
    let e = redis_err(r.put(&key, &entry_value("1-0", &[])));
    assert_eq!(e.class(), Some(ErrorClass::StreamKey));
    assert!(e.to_string().contains("entry key"), "{e}");
}

/// TestRedisDB_StreamIDFormatMatchesRedisWire
#[test]
fn stream_id_is_ms_dash_seq() {
    let mut r = Run::new();
    r.ok(
        &stream_meta(b"s"),
        &stream_meta_value(&[1, 1_714_400_000_000, 7]),
    );
    r.ok(
        &stream_entry(b"s", 1_714_400_000_000, 7),
        &entry_value("x", &[]),
    );
    r.done();
    assert_eq!(r.lines("streams/s.jsonl")[0]["id"], "1714400000000-7");
}

/// TestRedisDB_StreamMultipleStreamsSortedByUserKey
#[test]
fn several_streams() {
    let mut r = Run::new();
    for uk in [b"zeta".as_slice(), b"alpha", b"mango"] {
        r.ok(&stream_meta(uk), &stream_meta_value(&[0, 0, 0]));
    }
    r.done();
    assert_eq!(
        r.files(),
        vec![
            "redis/db_0/streams/alpha.jsonl",
            "redis/db_0/streams/mango.jsonl",
            "redis/db_0/streams/zeta.jsonl"
        ]
    );
}

// ------------------------------------------------------------------------------------------
// decode_test.go (routing), end to end in runtime/tests/redis.rs
// ------------------------------------------------------------------------------------------

/// TestPrefixRoutes_HashMetaDeltaWinsOverHashMeta / TestPrefixRoutes_LongestMatchesFirst
#[test]
fn delta_prefixes_win_over_meta_prefixes() {
    assert_eq!(
        route(&hash_delta(b"k", 1)),
        Some(Family::Redis(RedisFamily::HashMetaDelta))
    );
    assert_eq!(
        route(&hash_meta(b"k")),
        Some(Family::Redis(RedisFamily::HashMeta))
    );
    assert_eq!(
        route(&list_delta(b"k", 1)),
        Some(Family::Redis(RedisFamily::ListMetaDelta))
    );
}

// ------------------------------------------------------------------------------------------
// redis.md §13 and the golden float renderings of §6.10
// ------------------------------------------------------------------------------------------

/// The end-to-end example of redis.md §13.
#[test]
fn reference_end_to_end_example() {
    let mut r = Run::new();
    r.ok(&hash_field(b"user:42", b"name"), b"alice");
    r.ok(&hash_meta(b"user:42"), &u64be(1));
    r.ok(&str_key(b"greeting"), b"\xFF\x01\x00hello");
    r.ok(&ttl_key(b"lb"), &[0, 0, 1, 0xA0, 0x88, 0x9D, 0x38, 0]);
    r.ok(
        &zset_member(b"lb", b"alice"),
        &[0x40, 0x59, 0, 0, 0, 0, 0, 0],
    );
    r.ok(&zset_meta(b"lb"), &u64be(1));
    assert!(r.done().is_empty());
    assert_eq!(
        r.files(),
        vec![
            "redis/db_0/hashes/user%3A42.json",
            "redis/db_0/strings/greeting.bin",
            "redis/db_0/zsets/lb.json"
        ]
    );
    assert_eq!(r.bytes("strings/greeting.bin"), b"hello");
    let z = r.json("zsets/lb.json");
    assert_eq!(
        z["members"],
        serde_json::json!([{"member": "alice", "score": 100}])
    );
    assert_eq!(z["expire_at_ms"], FIXTURE);
}

#[test]
fn scores_render_like_go() {
    let cases: &[(f64, &str)] = &[
        (100.0, "100"),
        (1.5, "1.5"),
        (-0.0, "-0"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (123_456_789_012_345_680.0, "123456789012345680"),
        (3e300, "3e+300"),
        (5e-324, "5e-324"),
        (-2.5e-8, "-2.5e-8"),
    ];
    let mut r = Run::new();
    for (i, (value, _)) in cases.iter().enumerate() {
        r.ok(
            &zset_member(b"z", format!("m{i:02}").as_bytes()),
            &score(*value),
        );
    }
    r.done();
    let text = r.text("zsets/z.json");
    for (i, (_, rendered)) in cases.iter().enumerate() {
        let needle = format!("\"member\": \"m{i:02}\",\n      \"score\": {rendered}\n");
        assert!(text.contains(&needle), "{needle} in {text}");
    }
}

#[test]
fn html_sensitive_characters_are_escaped_in_collection_files() {
    let mut r = Run::new();
    r.ok(&set_member(b"s", "<a&b>\u{2028}".as_bytes()), b"");
    r.ok(&stream_meta(b"x"), &stream_meta_value(&[1, 1, 0]));
    r.ok(&stream_entry(b"x", 1, 0), &entry_value("1-0", &["<", ">&"]));
    r.done();
    assert!(r
        .text("sets/s.json")
        .contains("\"\\u003ca\\u0026b\\u003e\\u2028\""));
    assert!(r.text("streams/x.jsonl").starts_with(
        "{\"id\":\"1-0\",\"fields\":[{\"name\":\"\\u003c\",\"value\":\"\\u003e\\u0026\"}]}\n"
    ));
}

// ------------------------------------------------------------------------------------------
// Our deliberate differences (docs/compatibility.md, Redis)
// ------------------------------------------------------------------------------------------

/// RD1: `!redis|hash|`, `!redis|set|`, `!redis|stream|` are decoded, used when the key has
/// no wide-column rows, like the live server's fallback read.
#[test]
fn legacy_hash_set_and_stream_blobs_are_decoded() {
    let mut r = Run::new();
    r.ok(
        &hash_legacy(b"h"),
        &hash_blob(&[("b", "2"), ("a", "\u{1}")]),
    );
    r.ok(&set_legacy(b"s"), &set_blob(&["y", "x", "y"]));
    r.ok(
        &stream_legacy(b"x"),
        &stream_blob(vec![
            x_entry("5-1", &["k", "v2"]),
            x_entry("5-0", &["k", "v1"]),
        ]),
    );
    r.ok(&ttl_key(b"h"), &u64be(FIXTURE));
    r.ok(&ttl_key(b"x"), &u64be(FIXTURE + 1));
    assert!(r.done().is_empty(), "no orphan TTLs");
    let h = r.json("hashes/h.json");
    assert_eq!(
        h["fields"],
        serde_json::json!([{"name": "a", "value": "\u{1}"}, {"name": "b", "value": "2"}])
    );
    assert_eq!(h["expire_at_ms"], FIXTURE);
    assert_eq!(strs(&r.json("sets/s.json")["members"]), vec!["x", "y"]);
    assert_eq!(
        r.text("streams/x.jsonl"),
        "{\"id\":\"5-0\",\"fields\":[{\"name\":\"k\",\"value\":\"v1\"}]}\n\
         {\"id\":\"5-1\",\"fields\":[{\"name\":\"k\",\"value\":\"v2\"}]}\n\
         {\"_meta\":true,\"length\":2,\"last_ms\":5,\"last_seq\":1,\"expire_at_ms\":1788998400001}\n"
    );
}

/// RD1: wide-column rows win over a legacy blob (hash fields, set members, a stream meta).
#[test]
fn wide_column_rows_supersede_legacy_blobs() {
    let mut r = Run::new();
    r.ok(&hash_field(b"h", b"new"), b"1");
    r.ok(&hash_legacy(b"h"), &hash_blob(&[("old", "0")]));
    r.ok(&set_legacy(b"s"), &set_blob(&["old"]));
    r.ok(&set_member(b"s", b"new"), b"");
    r.ok(
        &stream_legacy(b"x"),
        &stream_blob(vec![x_entry("1-0", &[])]),
    );
    r.ok(&stream_meta(b"x"), &stream_meta_value(&[0, 0, 0]));
    assert!(r.done().is_empty());
    assert_eq!(r.json("hashes/h.json")["fields"][0]["name"], "new");
    assert_eq!(strs(&r.json("sets/s.json")["members"]), vec!["new"]);
    assert_eq!(r.lines("streams/x.jsonl").len(), 1);
}

/// RD1: an empty legacy blob is an empty collection (the live reader's rule); a damaged one
/// stops the decode like any other bad value.
#[test]
fn legacy_blob_edge_cases() {
    let mut r = Run::new();
    r.ok(&hash_legacy(b"h"), b"");
    r.ok(&stream_legacy(b"x"), b"");
    let e = redis_err(r.put(&set_legacy(b"s"), b"\x00RH\x01"));
    assert_eq!(e.class(), Some(ErrorClass::SetLegacyBlob));
    assert!(
        e.to_string()
            .contains("missing or corrupt magic prefix (len=4)"),
        "{e}"
    );
    let e = redis_err(r.put(&hash_legacy(b"h2"), b"\x00RH\x01\x0A\x03\x0A\x01\xFF"));
    assert_eq!(e.class(), Some(ErrorClass::HashLegacyBlob));
    assert!(e.to_string().contains("unmarshal: "), "{e}");
    let e = redis_err(r.put(
        &stream_legacy(b"x2"),
        &stream_blob(vec![x_entry("bad", &[])]),
    ));
    assert_eq!(e.class(), Some(ErrorClass::StreamLegacyBlob));
    assert!(
        e.to_string().contains("invalid stream entry ID \"bad\""),
        "{e}"
    );
    let e = redis_err(r.put(
        &stream_legacy(b"x3"),
        &stream_blob(vec![x_entry("1-1", &["odd"])]),
    ));
    assert!(e.to_string().contains("odd field count 1"), "{e}");
    r.done();
    assert_eq!(r.json("hashes/h.json")["fields"], serde_json::json!([]));
    assert_eq!(
        r.text("streams/x.jsonl"),
        "{\"_meta\":true,\"length\":0,\"last_ms\":0,\"last_seq\":0,\"expire_at_ms\":null}\n"
    );
    assert!(!r.exists("hashes/h2.json") && !r.exists("streams/x2.jsonl"));
    assert_eq!(parse_stream_id("1-2"), Some((1, 2)));
    for bad in [
        "",
        "-",
        "1-",
        "-1",
        "1-2-3",
        "+1-2",
        "1--2",
        "18446744073709551616-0",
    ] {
        assert_eq!(parse_stream_id(bad), None, "{bad}");
    }
}

/// RD2: deltas are added to the base meta: no false mismatch, and a real one is measured
/// against base + deltas.
#[test]
fn meta_deltas_are_applied() {
    let mut r = Run::new();
    // A hash with meta 1 and two uncompacted +1 deltas holds three fields.
    for f in [b"a", b"b", b"c"] {
        r.ok(&hash_field(b"h", f), b"v");
    }
    r.ok(&hash_meta(b"h"), &u64be(1));
    r.ok(&hash_delta(b"h", 10), &i64be(1));
    r.ok(&hash_delta(b"h", 11), &i64be(1));
    // A list: meta 2, delta +1 (one RPUSH).
    for seq in 0..3 {
        r.ok(&list_item(b"l", seq), b"x");
    }
    r.ok(&list_meta(b"l"), &list_meta24(0, 2));
    r.ok(&list_delta(b"l", 5), &cat(&[&i64be(0), &i64be(1)]));
    // A set: meta 3, delta -1 (one SREM), two members.
    r.ok(&set_member(b"s", b"a"), b"");
    r.ok(&set_member(b"s", b"b"), b"");
    r.ok(&set_meta(b"s"), &u64be(3));
    r.ok(&set_delta(b"s", 7), &i64be(-1));
    // A zset with a real mismatch: meta 1 + delta 1 = 2, one member.
    r.ok(&zset_member(b"z", b"m"), &score(1.0));
    r.ok(&zset_meta(b"z"), &u64be(1));
    r.ok(&zset_delta(b"z", 9), &i64be(1));
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_zset_length_mismatch"]);
    assert!(warnings[0]
        .fields
        .contains("declared_len=\"2\" observed_members=\"1\""));
    assert_eq!(
        r.json("hashes/h.json")["fields"].as_array().unwrap().len(),
        3
    );
    assert_eq!(r.json("lists/l.json")["items"].as_array().unwrap().len(), 3);
}

/// RD2: a key with nothing but deltas has no file (and its TTL is an orphan).
#[test]
fn deltas_alone_make_no_file() {
    let mut r = Run::new();
    r.ok(&hash_delta(b"h", 1), &i64be(-1));
    r.ok(&ttl_key(b"h"), &u64be(FIXTURE));
    let warnings = r.done();
    assert_eq!(events(&warnings), vec!["redis_orphan_ttl"]);
    assert!(r.files().is_empty());
    let e = redis_err(r.put(&cat(&[b"!hs|meta|d|", &lp(b"h")]), &i64be(1)));
    assert_eq!(e.class(), Some(ErrorClass::MetaDelta));
    assert!(e.to_string().contains("delta key"), "{e}");
}

/// RD3 (R4): the meta of a list whose user key starts with `d|` is kept: a key or value
/// without a delta's shape is the list meta.
#[test]
fn list_whose_key_starts_with_d_bar_keeps_its_meta() {
    let mut r = Run::new();
    r.ok(&list_item(b"d|jobs", 0), b"a");
    // Routed to list_meta_delta by prefix; not a delta by structure.
    assert_eq!(
        route(&list_meta(b"d|jobs")),
        Some(Family::Redis(RedisFamily::ListMetaDelta))
    );
    r.ok(&list_meta(b"d|jobs"), &list_meta32(0, 1, FIXTURE));
    // An empty list under such a key.
    r.ok(&list_meta(b"d|empty"), &list_meta24(0, 0));
    // A key that parses as a delta but holds a list meta value is a list meta too.
    let delta_shaped = cat(&[&lp(b"q"), &delta_tail(1, 0)]);
    let uk = cat(&[b"d|", &delta_shaped]);
    r.ok(&list_meta(&uk), &list_meta24(0, 0));
    // And a real delta is a delta.
    r.ok(&list_delta(b"other", 1), &cat(&[&i64be(0), &i64be(1)]));
    assert!(r.done().is_empty());
    let v = r.json("lists/d%7Cjobs.json");
    assert_eq!(strs(&v["items"]), vec!["a"]);
    assert_eq!(v["expire_at_ms"], FIXTURE);
    assert_eq!(
        r.json("lists/d%7Cempty.json")["items"],
        serde_json::json!([])
    );
    assert!(r.exists(&format!(
        "lists/{}.json",
        crate::output::encode_segment(&uk)
    )));
    assert!(!r.exists("lists/other.json"));
    // Neither a delta nor a list meta: the list meta's error.
    let e = redis_err(r.put(&list_meta(b"d|x"), b"1234"));
    assert_eq!(e.class(), Some(ErrorClass::ListMeta));
}

/// RD4: 0 means "no TTL" whatever the source; every TTL is clamped to 2^63−1.
#[test]
fn ttl_zero_and_clamping_are_uniform() {
    let mut r = Run::new();
    // Index TTL 0: no line for a legacy string (upstream writes `"expire_at_ms":0`), `null`
    // for a hash (upstream writes `0`); not an orphan either.
    r.ok(&str_key(b"s"), b"legacy");
    r.ok(&ttl_key(b"s"), &u64be(0));
    r.ok(&hash_field(b"h", b"f"), b"v");
    r.ok(&ttl_key(b"h"), &u64be(0));
    // Inline meta TTLs above 2^63-1 are clamped like string TTLs (upstream passes them on).
    r.ok(&set_meta(b"set"), &meta16(0, u64::MAX));
    r.ok(&list_meta(b"l"), &list_meta32(0, 0, u64::MAX));
    r.ok(&stream_meta(b"x"), &stream_meta_value(&[0, 0, 0, u64::MAX]));
    // Index TTLs are clamped too, and an inline 0 means no TTL.
    r.ok(&str_key(b"t"), b"legacy");
    r.ok(&ttl_key(b"t"), &u64be(u64::MAX));
    r.ok(&zset_meta(b"z"), &meta16(0, 0));
    r.ok(&ttl_key(b"z"), &u64be(FIXTURE));
    assert!(r.done().is_empty());
    assert_eq!(
        r.text("strings_ttl.jsonl"),
        "{\"key\":\"t\",\"expire_at_ms\":9223372036854775807}\n"
    );
    assert!(r.json("hashes/h.json")["expire_at_ms"].is_null());
    assert_eq!(r.json("sets/set.json")["expire_at_ms"], i64::MAX);
    assert_eq!(r.json("lists/l.json")["expire_at_ms"], i64::MAX);
    assert_eq!(r.lines("streams/x.jsonl")[0]["expire_at_ms"], i64::MAX);
    assert!(
        r.json("zsets/z.json")["expire_at_ms"].is_null(),
        "inline 0 wins"
    );
}

/// RD5: the output does not depend on the memory budget (everything spilled with 0 bytes).
#[test]
fn tiny_budget_gives_the_same_bytes() {
    fn fill(r: &mut Run) {
        for i in 0..300u32 {
            let uk = format!("key{:03}", i % 37).into_bytes();
            r.ok(&hash_field(&uk, &i.to_be_bytes()), b"v");
            r.ok(&set_member(&uk, &i.to_le_bytes()), b"");
            r.ok(
                &zset_member(&uk, &i.to_le_bytes()),
                &score(f64::from(i) / 7.0),
            );
            r.ok(&list_item(&uk, i64::from(i) - 150), &i.to_be_bytes());
            r.ok(
                &stream_entry(&uk, u64::from(i), 0),
                &entry_value("x", &["f", "v"]),
            );
            r.ok(
                &ttl_key(&[b'g'; 300][..(i as usize % 300) + 1]),
                &u64be(FIXTURE),
            );
        }
        for i in 0..37 {
            let uk = format!("key{i:03}").into_bytes();
            r.ok(&stream_meta(&uk), &stream_meta_value(&[1, 1, 0]));
            r.ok(&str_key(&uk), &new_str(b"v", Some(FIXTURE + i)));
            r.ok(&ttl_key(&uk), &u64be(FIXTURE));
        }
        r.ok(&str_key(&[b'%'; 300]), b"legacy");
        r.ok(&ttl_key(&[b'%'; 300]), &u64be(FIXTURE));
    }
    let read_all = |r: &Run| -> BTreeMap<String, Vec<u8>> {
        r.files()
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(r.out.join(&f)).unwrap();
                (f, bytes)
            })
            .collect()
    };
    let mut big = Run::new();
    fill(&mut big);
    let big_warnings = big.done();
    let mut tiny = Run::with_budget(MemoryBudget::new(0));
    fill(&mut tiny);
    let tiny_warnings = tiny.done();
    assert_eq!(big_warnings, tiny_warnings);
    assert!(!big_warnings.is_empty());
    let (a, b) = (read_all(&big), read_all(&tiny));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert_eq!(a, b);
    assert!(a.contains_key("redis/db_0/KEYMAP.jsonl"));
    assert!(big.budget.peak() > 0);
    assert_eq!(tiny.budget.peak(), 0);
}

/// Warnings come in upstream's flush order (hashes, lists, sets, zsets, streams, then the
/// orphan TTL count), each type by user key, and KEYMAP records in upstream's write order.
#[test]
fn warnings_and_keymap_records_follow_upstreams_order() {
    let mut r = Run::new();
    let long = |c: u8| vec![c; 250];
    r.ok(&zset_meta(b"a"), &u64be(9));
    r.ok(&hash_meta(b"b"), &u64be(9));
    r.ok(&hash_meta(b"a"), &u64be(9));
    r.ok(&stream_meta(b"a"), &stream_meta_value(&[9, 0, 0]));
    r.ok(&ttl_key(b"ghost"), &u64be(1));
    r.ok(&set_member(&long(b'a'), b"m"), b"");
    r.ok(&str_key(&long(b'b')), &new_str(b"v", Some(1)));
    r.ok(&hll_key(&long(b'c')), b"legacy");
    r.ok(&ttl_key(&long(b'c')), &u64be(5));
    let warnings = r.done();
    assert_eq!(
        events(&warnings),
        vec![
            "redis_hash_length_mismatch",
            "redis_hash_length_mismatch",
            "redis_zset_length_mismatch",
            "redis_stream_length_mismatch",
            "redis_orphan_ttl"
        ]
    );
    assert!(warnings[0].fields.starts_with("user_key_len=\"1\""));
    let originals: Vec<u8> = keymap(&r)
        .iter()
        .map(|rec| {
            let raw = base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                rec["original"].as_str().unwrap(),
            )
            .unwrap();
            raw[0]
        })
        .collect();
    // HLL blob, string blob and its inline TTL line, the HLL's TTL-index line, the set.
    assert_eq!(originals, b"cbbca".to_vec());
}

/// A collection streamed through several buffer flushes is the same document.
#[test]
fn large_collections_are_streamed_in_pieces() {
    let mut r = Run::new();
    let n = 5_000u32;
    for i in 0..n {
        r.ok(
            &hash_field(b"h", format!("f{i:05}").as_bytes()),
            &[b'v'; 40],
        );
    }
    r.done();
    let mut expected = crate::json::JsonWriter::pretty();
    expected
        .begin_object()
        .key("format_version")
        .u64(1)
        .key("fields")
        .begin_array();
    for i in 0..n {
        expected
            .begin_object()
            .key("name")
            .str(&format!("f{i:05}"))
            .key("value")
            .string(&[b'v'; 40])
            .end_object();
    }
    expected.end_array().key("expire_at_ms").null().end_object();
    assert!(expected.as_bytes().len() > 4 * super::flush::FLUSH_BYTES_FOR_TESTS);
    assert_eq!(r.bytes("hashes/h.json"), expected.into_bytes());
}

#[test]
fn records_routed_to_another_adapter_are_refused() {
    let mut r = Run::new();
    let e = r.put(b"!sqs|queue|meta|cQ", b"\x00SQ\x01{}").unwrap_err();
    assert!(matches!(
        e,
        AdapterError::Invalid {
            adapter: "redis",
            ..
        }
    ));
    // Finalizing twice is harmless.
    r.done();
    r.done();
}

/// RD6: a key holding several types (corrupt data) gets its index TTL on each type that has
/// no inline TTL of its own.
#[test]
fn index_ttl_applies_to_every_type_of_the_key() {
    let mut r = Run::new();
    r.ok(&hash_field(b"k", b"f"), b"v");
    r.ok(&str_key(b"k"), b"legacy");
    r.ok(&set_member(b"k", b"m"), b"");
    r.ok(&zset_meta(b"k"), &meta16(0, 0));
    r.ok(&ttl_key(b"k"), &u64be(FIXTURE));
    assert!(r.done().is_empty());
    assert_eq!(r.json("hashes/k.json")["expire_at_ms"], FIXTURE);
    assert_eq!(r.json("sets/k.json")["expire_at_ms"], FIXTURE);
    assert_eq!(r.lines("strings_ttl.jsonl")[0]["expire_at_ms"], FIXTURE);
    assert!(
        r.json("zsets/k.json")["expire_at_ms"].is_null(),
        "its own inline TTL"
    );
}

//! Finalize: the sorted records, key by key, into `redis/db_<n>/` (redis.md §6, §7, §8).
//!
//! Each user key's records come together, its TTL-index record first, then its types in
//! [`Lane`] order, each type's meta and deltas before its members, members in output order.
//! So every file is written in one streaming pass, and a collection never has to be held in
//! memory. What upstream writes in an order other than by user key — `strings_ttl.jsonl`
//! lines from the TTL index (after all inline lines), KEYMAP records (HLL, strings, TTL
//! index, then each collection type), warnings (hashes, lists, sets, zsets, streams) — goes
//! through a second sorter as [`Deferred`] records and is written at the end, in upstream's
//! order.

use std::iter::Peekable;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::adapters::FinalizeContext;
use crate::json::{JsonStyle, JsonWriter};
use crate::keys::RedisFamily;
use crate::output::keymap::{KEYMAP_FILENAME, KIND_SHA_FALLBACK};
use crate::output::{
    encode_segment, is_sha_fallback_shape, render_template, AtomicFile, JsonlWriter, KeymapWriter,
    OutputTree, RelPath, SafeName, TreeError,
};
use crate::spill::{SortedRecords, SpillContext, SpillError, SpillSorter};

use super::error::RedisError;
use super::spill::{
    keymap_data, read_fields, read_id_sub, read_keymap_data, read_meta_payload, read_str_payload,
    read_stream_meta_payload, Deferred, Lane, Part, Pending, Stage, WarningRecord,
};
use super::value::{normalize_expire, StreamMeta};

/// Rendered JSON is written to the file whenever this much is buffered.
const FLUSH_BYTES: usize = 64 << 10;
#[cfg(test)]
pub(super) const FLUSH_BYTES_FOR_TESTS: usize = FLUSH_BYTES;

/// Hint of the length-mismatch warnings (wording not contractual, redis.md §8).
const MISMATCH_HINT: &str =
    "declared length (base meta plus deltas) differs from the rows in the snapshot";
const ORPHAN_ENTRIES_HINT: &str =
    "stream entries without a !stream|meta| record (and no legacy blob); not written";
const ORPHAN_TTL_HINT: &str =
    "!redis|ttl| records whose user key has no Redis value in the snapshot; TTLs dropped";

/// The sorted records, with a look at the next one.
pub(super) struct Stream {
    inner: Peekable<SortedRecords<Pending>>,
}

impl Stream {
    pub(super) fn new(sorted: SortedRecords<Pending>) -> Self {
        Stream {
            inner: sorted.peekable(),
        }
    }

    fn next(&mut self) -> Result<Option<Pending>, SpillError> {
        self.inner.next().transpose()
    }

    /// The next record if it belongs to user key `uk` (and to `lane`, if given).
    fn next_if(&mut self, uk: &[u8], lane: Option<Lane>) -> Result<Option<Pending>, SpillError> {
        match self.inner.peek() {
            None => Ok(None),
            Some(Ok(r)) if r.user_key() != uk || lane.is_some_and(|l| r.part().lane() != l) => {
                Ok(None)
            }
            Some(_) => self.next(),
        }
    }

    /// Skips the rest of `lane` for `uk` (after an error).
    fn skip_lane(&mut self, uk: &[u8], lane: Lane) -> Result<(), SpillError> {
        while self.next_if(uk, Some(lane))?.is_some() {}
        Ok(())
    }
}

/// What the records of one user key established so far.
struct KeyState {
    uk: Vec<u8>,
    /// The filename encoding of the key (file names, TTL lines, KEYMAP).
    enc: String,
    /// The TTL-index value, raw (last record wins).
    ttl: Option<u64>,
    /// A type used (or deliberately ignored) the TTL: it is not an orphan.
    consumed: bool,
}

impl KeyState {
    fn fallback(&self) -> bool {
        is_sha_fallback_shape(&self.enc)
    }

    /// The TTL-index expiry, normalised.
    fn index_expire(&self) -> Option<u64> {
        self.ttl.and_then(normalize_expire)
    }
}

/// A collection type's records, output file and warning.
struct CollectionKind {
    lane: Lane,
    family: RedisFamily,
    meta: Part,
    delta: Part,
    legacy: Option<Part>,
    wide: Part,
    legacy_item: Option<Part>,
    array: &'static str,
    keymap: Stage,
    warn: Stage,
}

const HASH: CollectionKind = CollectionKind {
    lane: Lane::Hash,
    family: RedisFamily::HashMeta,
    meta: Part::HashMeta,
    delta: Part::HashDelta,
    legacy: Some(Part::HashLegacy),
    wide: Part::HashField,
    legacy_item: Some(Part::HashLegacyField),
    array: "fields",
    keymap: Stage::KeymapHash,
    warn: Stage::WarnHash,
};

const LIST: CollectionKind = CollectionKind {
    lane: Lane::List,
    family: RedisFamily::ListMeta,
    meta: Part::ListMeta,
    delta: Part::ListDelta,
    legacy: None,
    wide: Part::ListItem,
    legacy_item: None,
    array: "items",
    keymap: Stage::KeymapList,
    warn: Stage::WarnList,
};

const SET: CollectionKind = CollectionKind {
    lane: Lane::Set,
    family: RedisFamily::SetMeta,
    meta: Part::SetMeta,
    delta: Part::SetDelta,
    legacy: Some(Part::SetLegacy),
    wide: Part::SetMember,
    legacy_item: Some(Part::SetLegacyMember),
    array: "members",
    keymap: Stage::KeymapSet,
    warn: Stage::WarnSet,
};

const ZSET: CollectionKind = CollectionKind {
    lane: Lane::Zset,
    family: RedisFamily::ZsetMeta,
    meta: Part::ZsetMeta,
    delta: Part::ZsetDelta,
    legacy: Some(Part::ZsetLegacy),
    wide: Part::ZsetMember,
    legacy_item: Some(Part::ZsetLegacyMember),
    array: "members",
    keymap: Stage::KeymapZset,
    warn: Stage::WarnZset,
};

/// Base meta plus deltas (docs/compatibility.md, Redis).
#[derive(Default)]
struct MetaSum {
    /// (declared length, inline expiry as stored) of the base meta.
    base: Option<(i64, Option<u64>)>,
    delta_sum: i128,
    deltas: u64,
}

impl MetaSum {
    /// A meta row (base or delta) exists: the declared length is known.
    fn seen(&self) -> bool {
        self.base.is_some() || self.deltas > 0
    }

    fn declared(&self) -> i128 {
        i128::from(self.base.map_or(0, |b| b.0)) + self.delta_sum
    }

    /// The inline expiry of a meta that has the field (0 = no TTL), else the TTL index.
    fn expire(&self, key: &KeyState) -> Option<u64> {
        match self.base {
            Some((_, Some(inline))) => normalize_expire(inline),
            _ => key.index_expire(),
        }
    }
}

/// One `.json` collection file, streamed.
struct JsonFile {
    file: AtomicFile,
    json: JsonWriter,
}

fn write_err(file: &AtomicFile, source: std::io::Error) -> TreeError {
    TreeError::Io {
        op: "write",
        path: file.display_path().to_string(),
        source,
    }
}

impl JsonFile {
    /// `{"format_version": 1, "<array>": [` of `path`.
    fn open(tree: &OutputTree, path: &RelPath, array: &str) -> Result<Self, TreeError> {
        let file = tree.create_file(path)?;
        let mut json = JsonWriter::pretty();
        json.begin_object()
            .key("format_version")
            .u64(1)
            .key(array)
            .begin_array();
        Ok(JsonFile { file, json })
    }

    fn maybe_flush(&mut self) -> Result<(), TreeError> {
        if self.json.as_bytes().len() >= FLUSH_BYTES {
            if let Err(e) = self.json.drain_to(&mut self.file) {
                return Err(write_err(&self.file, e));
            }
        }
        Ok(())
    }

    /// `], "expire_at_ms": …}` (no trailing newline), then the rename.
    fn finish(mut self, expire: Option<u64>) -> Result<(), TreeError> {
        self.json.end_array().key("expire_at_ms");
        match expire {
            Some(ms) => self.json.u64(ms),
            None => self.json.null(),
        };
        self.json.end_object();
        if let Err(e) = self.json.drain_to(&mut self.file) {
            return Err(write_err(&self.file, e));
        }
        self.file.commit()
    }
}

/// A binary-safe value (redis.md §6.9): a JSON string when the bytes are valid UTF-8, else
/// `{"base64": "<URL-safe, unpadded>"}`.
pub fn binary_safe(json: &mut JsonWriter, raw: &[u8]) {
    if std::str::from_utf8(raw).is_ok() {
        json.string(raw);
    } else {
        json.begin_object()
            .key("base64")
            .str(&URL_SAFE_NO_PAD.encode(raw))
            .end_object();
    }
}

/// A zset score (redis.md §6.10): `"+inf"` / `"-inf"`, else Go's float64 number.
pub fn score(json: &mut JsonWriter, value: f64) {
    if value == f64::INFINITY {
        json.str("+inf");
    } else if value == f64::NEG_INFINITY {
        json.str("-inf");
    } else {
        json.f64(value).expect("NaN scores are refused at intake");
    }
}

/// Finalize's state.
pub(super) struct Flush<'f, 'c> {
    ctx: &'f mut FinalizeContext<'c>,
    db: Vec<u8>,
    deferred: Option<SpillSorter<Deferred>>,
    deferred_seq: u64,
    strings_ttl: Option<JsonlWriter>,
    hll_ttl: Option<JsonlWriter>,
    /// TTL-index records no type used.
    pub(super) orphan_ttls: u64,
    first_error: Option<RedisError>,
    /// Lanes that failed: the rest of their keys is skipped (upstream aborts the remaining
    /// keys of that type only, redis.md §7).
    failed: Vec<Lane>,
    line: JsonWriter,
}

impl<'f, 'c> Flush<'f, 'c> {
    pub(super) fn new(ctx: &'f mut FinalizeContext<'c>, spill: &SpillContext, db: u32) -> Self {
        Flush {
            ctx,
            db: db.to_string().into_bytes(),
            deferred: Some(spill.sorter()),
            deferred_seq: 0,
            strings_ttl: None,
            hll_ttl: None,
            orphan_ttls: 0,
            first_error: None,
            failed: Vec::new(),
            line: JsonWriter::compact(),
        }
    }

    /// The output path of `family` for user key `uk`, from the spec's template.
    fn path(&self, family: RedisFamily, uk: &[u8]) -> Result<RelPath, RedisError> {
        let template = family
            .info()
            .output
            .expect("every Redis family that writes declares its output template");
        render_template(template, |var| match var {
            "db" => Some(self.db.clone()),
            "user_key" => Some(uk.to_vec()),
            _ => None,
        })
        .map_err(|reason| RedisError::UnsafePath {
            key: crate::snapshot::error::quote_bytes(uk),
            reason,
        })
    }

    /// `redis/db_<n>/<name>`.
    fn db_file(&self, name: &str) -> RelPath {
        let db = format!("db_{}", String::from_utf8_lossy(&self.db));
        RelPath::from_names(vec![
            SafeName::new("redis").expect("literal"),
            SafeName::new(db).expect("a decimal number"),
            SafeName::new(name).expect("literal"),
        ])
        .expect("three segments")
    }

    fn defer(&mut self, stage: Stage, data: Box<[u8]>) -> Result<(), RedisError> {
        let seq = self.deferred_seq;
        self.deferred_seq += 1;
        self.deferred
            .as_mut()
            .expect("deferred until the end")
            .push(Deferred { stage, seq, data })?;
        Ok(())
    }

    /// A KEYMAP record for `key` if its name is a SHA fallback (one per use, like upstream).
    fn keymap(&mut self, stage: Stage, key: &KeyState) -> Result<(), RedisError> {
        if key.fallback() {
            self.defer(stage, keymap_data(&key.enc, &key.uk))?;
        }
        Ok(())
    }

    fn warn(&mut self, stage: Stage, record: WarningRecord) -> Result<(), RedisError> {
        self.defer(stage, record.encode())
    }

    /// `{"key":"<enc>","expire_at_ms":<ms>}` (compact, no HTML escaping).
    fn ttl_line(&mut self, key: &KeyState, expire: u64) -> Vec<u8> {
        let mut w = JsonWriter::new(JsonStyle::Compact, false);
        w.begin_object()
            .key("key")
            .str(&key.enc)
            .key("expire_at_ms")
            .u64(expire)
            .end_object();
        w.into_bytes()
    }

    /// Appends a line to `strings_ttl.jsonl` / `hll_ttl.jsonl`, opening it on first use.
    fn sidecar_line(&mut self, hll: bool, line: &[u8]) -> Result<(), RedisError> {
        let name = if hll {
            "hll_ttl.jsonl"
        } else {
            "strings_ttl.jsonl"
        };
        let path = self.db_file(name);
        let slot = if hll {
            &mut self.hll_ttl
        } else {
            &mut self.strings_ttl
        };
        let writer = match slot {
            Some(w) => w,
            None => slot.insert(self.ctx.tree.create_jsonl(&path)?),
        };
        writer.write_line(line)?;
        Ok(())
    }

    /// Every key of the sorted stream.
    pub(super) fn run(&mut self, stream: &mut Stream) -> Result<(), RedisError> {
        while let Some(first) = stream.next()? {
            self.key(first, stream)?;
        }
        Ok(())
    }

    fn key(&mut self, first: Pending, stream: &mut Stream) -> Result<(), RedisError> {
        let uk = first.user_key().to_vec();
        let mut key = KeyState {
            enc: encode_segment(&uk),
            uk,
            ttl: None,
            consumed: false,
        };
        let mut current = first;
        loop {
            let lane = current.part().lane();
            if lane == Lane::Ttl {
                let raw = current.payload();
                key.ttl = Some(u64::from_le_bytes(raw.try_into().expect("8 bytes")));
            } else if self.failed.contains(&lane) {
                stream.skip_lane(&key.uk, lane)?;
            } else {
                let result = match lane {
                    Lane::String => self.strings(&mut key, current, stream, false),
                    Lane::Hll => self.strings(&mut key, current, stream, true),
                    Lane::Hash => self.collection(&HASH, &mut key, current, stream),
                    Lane::List => self.collection(&LIST, &mut key, current, stream),
                    Lane::Set => self.collection(&SET, &mut key, current, stream),
                    Lane::Zset => self.collection(&ZSET, &mut key, current, stream),
                    Lane::Stream => self.stream(&mut key, current, stream),
                    Lane::Ttl => unreachable!("handled above"),
                };
                match result {
                    Ok(()) => {}
                    // A lost spill file: nothing after it can be trusted.
                    Err(e @ RedisError::Spill(_)) => return Err(e),
                    Err(e) => {
                        self.first_error.get_or_insert(e);
                        self.failed.push(lane);
                        stream.skip_lane(&key.uk, lane)?;
                    }
                }
            }
            match stream.next_if(&key.uk, None)? {
                Some(next) => current = next,
                None => break,
            }
        }
        if key.ttl.is_some() && !key.consumed {
            self.orphan_ttls += 1;
        }
        Ok(())
    }

    /// `strings/<enc>.bin` or `hll/<enc>.bin`, their inline TTL lines, and the TTL-index line
    /// of a legacy value (redis.md §5.2, §5.3).
    fn strings(
        &mut self,
        key: &mut KeyState,
        first: Pending,
        stream: &mut Stream,
        hll: bool,
    ) -> Result<(), RedisError> {
        key.consumed = true;
        let (family, lane, scan_stage, index_stage) = if hll {
            (
                RedisFamily::Hll,
                Lane::Hll,
                Stage::KeymapHll,
                Stage::HllIndexTtl,
            )
        } else {
            (
                RedisFamily::String,
                Lane::String,
                Stage::KeymapString,
                Stage::StringIndexTtl,
            )
        };
        let path = self.path(family, &key.uk)?;
        let mut new_format = false;
        let mut record = first;
        loop {
            let payload = read_str_payload(record.payload());
            self.ctx.tree.write_file(&path, payload.value)?;
            self.keymap(scan_stage, key)?;
            new_format |= payload.new_format;
            if let Some(expire) = payload.expire_at {
                let line = self.ttl_line(key, expire);
                self.sidecar_line(hll, &line)?;
                self.keymap(scan_stage, key)?;
            }
            match stream.next_if(&key.uk, Some(lane))? {
                Some(next) => record = next,
                None => break,
            }
        }
        // A new-format value owns its TTL: index records are ignored (also when it has none).
        if !new_format {
            if let Some(expire) = key.index_expire() {
                let line = self.ttl_line(key, expire);
                self.defer(index_stage, line.into_boxed_slice())?;
                self.keymap(Stage::KeymapTtlIndex, key)?;
            }
        }
        Ok(())
    }

    /// One hash / list / set / zset key (redis.md §5.4–§5.7, §6.7): base meta plus deltas,
    /// the wide-column rows, or (without any) the legacy blob's entries.
    fn collection(
        &mut self,
        kind: &CollectionKind,
        key: &mut KeyState,
        first: Pending,
        stream: &mut Stream,
    ) -> Result<(), RedisError> {
        let mut meta = MetaSum::default();
        let mut legacy = false;
        let mut wide_seen = 0u64;
        let mut written = 0u64;
        let mut file: Option<JsonFile> = None;
        // The last record of a run of equal sub-keys wins (records sort by arrival last).
        let mut held: Option<Pending> = None;
        let mut next = Some(first);
        while let Some(record) = next.take() {
            let part = record.part();
            if part == kind.meta {
                meta.base = Some(read_meta_payload(record.payload()));
            } else if part == kind.delta {
                let raw = record.payload();
                meta.delta_sum += i128::from(i64::from_le_bytes(raw.try_into().expect("8 bytes")));
                meta.deltas += 1;
            } else if Some(part) == kind.legacy {
                legacy = true;
            } else if part == kind.wide || (Some(part) == kind.legacy_item && wide_seen == 0) {
                if part == kind.wide {
                    wide_seen += 1;
                }
                let same = held
                    .as_ref()
                    .is_some_and(|h| h.part() == part && h.sub() == record.sub());
                if let Some(previous) = held.replace(record) {
                    if !same {
                        self.element(kind, key, &mut file, &previous)?;
                        written += 1;
                    }
                }
            }
            next = stream.next_if(&key.uk, Some(kind.lane))?;
        }
        if let Some(last) = held.take() {
            self.element(kind, key, &mut file, &last)?;
            written += 1;
        }
        if meta.base.is_some() || legacy || written > 0 {
            key.consumed = true;
            let out = match file {
                Some(out) => out,
                None => {
                    JsonFile::open(self.ctx.tree, &self.path(kind.family, &key.uk)?, kind.array)?
                }
            };
            out.finish(meta.expire(key))?;
            self.keymap(kind.keymap, key)?;
            // Deltas alone make no key (and no warning).
            if meta.seen() && meta.declared() != i128::from(written) {
                self.warn(
                    kind.warn,
                    WarningRecord {
                        orphan_entries: false,
                        user_key_len: key.uk.len() as u64,
                        declared: meta.declared(),
                        observed: written,
                    },
                )?;
            }
        }
        Ok(())
    }

    /// Writes one member of a collection, opening the file first if needed.
    fn element(
        &mut self,
        kind: &CollectionKind,
        key: &KeyState,
        file: &mut Option<JsonFile>,
        record: &Pending,
    ) -> Result<(), RedisError> {
        let out = match file {
            Some(out) => out,
            None => file.insert(JsonFile::open(
                self.ctx.tree,
                &self.path(kind.family, &key.uk)?,
                kind.array,
            )?),
        };
        let json = &mut out.json;
        match kind.lane {
            Lane::Hash => {
                json.begin_object().key("name");
                binary_safe(json, record.sub());
                json.key("value");
                binary_safe(json, record.payload());
                json.end_object();
            }
            Lane::List => binary_safe(json, record.payload()),
            Lane::Set => binary_safe(json, record.sub()),
            Lane::Zset => {
                let bits = u64::from_be_bytes(record.payload().try_into().expect("8 bytes"));
                json.begin_object().key("member");
                binary_safe(json, record.sub());
                json.key("score");
                score(json, f64::from_bits(bits));
                json.end_object();
            }
            _ => unreachable!("not a collection lane"),
        }
        out.maybe_flush()?;
        Ok(())
    }

    /// One stream key (redis.md §5.8, §6.8): entries and `_meta` from the wide-column rows
    /// when a meta exists, else from a legacy blob; entries alone are orphans.
    fn stream(
        &mut self,
        key: &mut KeyState,
        first: Pending,
        stream: &mut Stream,
    ) -> Result<(), RedisError> {
        key.consumed = true;
        let mut meta: Option<StreamMeta> = None;
        let mut legacy = false;
        let mut file: Option<JsonlWriter> = None;
        let mut written = 0u64;
        let mut orphans = 0u64;
        let mut last_id = (0, 0);
        let mut next = Some(first);
        while let Some(record) = next.take() {
            match record.part() {
                Part::StreamMeta => meta = Some(read_stream_meta_payload(record.payload())),
                Part::StreamLegacy => legacy = true,
                Part::StreamEntry if meta.is_none() => orphans += 1,
                // Legacy entries count only for a stream without meta (the live read path).
                Part::StreamLegacyEntry if meta.is_some() => {}
                _ => {
                    last_id = self.stream_entry(key, &mut file, &record)?;
                    written += 1;
                }
            }
            next = stream.next_if(&key.uk, Some(Lane::Stream))?;
        }
        if meta.is_some() || legacy {
            let out = match file {
                Some(out) => out,
                None => self
                    .ctx
                    .tree
                    .create_jsonl(&self.path(RedisFamily::StreamMeta, &key.uk)?)?,
            };
            let shown = match meta {
                Some(m) => m,
                // A legacy blob has no meta: its entries are the stream.
                None => StreamMeta {
                    length: i64::try_from(written).unwrap_or(i64::MAX),
                    last_ms: last_id.0,
                    last_seq: last_id.1,
                    inline_expire: None,
                },
            };
            let expire = match shown.inline_expire {
                Some(inline) => normalize_expire(inline),
                None => key.index_expire(),
            };
            self.line.clear();
            self.line
                .begin_object()
                .key("_meta")
                .bool(true)
                .key("length")
                .i64(shown.length)
                .key("last_ms")
                .u64(shown.last_ms)
                .key("last_seq")
                .u64(shown.last_seq)
                .key("expire_at_ms");
            match expire {
                Some(ms) => self.line.u64(ms),
                None => self.line.null(),
            };
            self.line.end_object();
            let mut out = out;
            out.write_line(self.line.as_bytes())?;
            out.finish()?;
            self.keymap(Stage::KeymapStream, key)?;
            if let Some(m) = meta {
                if i128::from(m.length) != i128::from(written) {
                    self.warn(
                        Stage::WarnStream,
                        WarningRecord {
                            orphan_entries: false,
                            user_key_len: key.uk.len() as u64,
                            declared: i128::from(m.length),
                            observed: written,
                        },
                    )?;
                }
            }
        }
        if orphans > 0 {
            self.warn(
                Stage::WarnStream,
                WarningRecord {
                    orphan_entries: true,
                    user_key_len: key.uk.len() as u64,
                    declared: 0,
                    observed: orphans,
                },
            )?;
        }
        Ok(())
    }

    /// One entry line of `streams/<enc>.jsonl` (opened on first use); returns the entry ID.
    fn stream_entry(
        &mut self,
        key: &KeyState,
        file: &mut Option<JsonlWriter>,
        record: &Pending,
    ) -> Result<(u64, u64), RedisError> {
        let out = match file {
            Some(out) => out,
            None => file.insert(
                self.ctx
                    .tree
                    .create_jsonl(&self.path(RedisFamily::StreamMeta, &key.uk)?)?,
            ),
        };
        let (ms, seq) = read_id_sub(record.sub());
        self.line.clear();
        self.line
            .begin_object()
            .key("id")
            .str(&format!("{ms}-{seq}"))
            .key("fields")
            .begin_array();
        let mut fields = read_fields(record.payload());
        while let Some(name) = fields.next() {
            let value = fields.next().unwrap_or_default();
            self.line.begin_object().key("name");
            binary_safe(&mut self.line, name);
            self.line.key("value");
            binary_safe(&mut self.line, value);
            self.line.end_object();
        }
        self.line.end_array().end_object();
        out.write_line(self.line.as_bytes())?;
        Ok((ms, seq))
    }

    /// Writes the deferred outputs in upstream's order, closes the sidecars and KEYMAP, then
    /// emits the warnings. Every step is attempted; the first error is returned.
    pub(super) fn finish(mut self) -> Result<(), RedisError> {
        let sorter = self.deferred.take().expect("finished once");
        let mut keymap = KeymapWriter::new(self.ctx.tree, self.db_file(KEYMAP_FILENAME));
        let mut warnings = Vec::new();
        let mut result = (|| -> Result<(), RedisError> {
            for deferred in sorter.finish()? {
                let deferred = deferred?;
                match deferred.stage {
                    Stage::StringIndexTtl => self.sidecar_line(false, &deferred.data)?,
                    Stage::HllIndexTtl => self.sidecar_line(true, &deferred.data)?,
                    Stage::KeymapHll
                    | Stage::KeymapString
                    | Stage::KeymapTtlIndex
                    | Stage::KeymapHash
                    | Stage::KeymapList
                    | Stage::KeymapSet
                    | Stage::KeymapZset
                    | Stage::KeymapStream => {
                        let (encoded, original) = read_keymap_data(&deferred.data)
                            .ok_or_else(|| SpillError::invalid_record("bad KEYMAP record"))?;
                        keymap.write(encoded, original, KIND_SHA_FALLBACK)?;
                    }
                    stage => {
                        let record = WarningRecord::decode(&deferred.data)
                            .ok_or_else(|| SpillError::invalid_record("bad warning record"))?;
                        warnings.push((stage, record));
                    }
                }
            }
            Ok(())
        })();
        for writer in [self.strings_ttl.take(), self.hll_ttl.take()]
            .into_iter()
            .flatten()
        {
            if let Err(e) = writer.finish() {
                result = result.and(Err(e.into()));
            }
        }
        if let Err(e) = keymap.finish() {
            result = result.and(Err(e.into()));
        }
        for (stage, record) in warnings {
            self.emit_warning(stage, record);
        }
        if self.orphan_ttls > 0 {
            self.ctx.warnings.emit(
                "redis_orphan_ttl",
                &[
                    ("count", self.orphan_ttls.to_string()),
                    ("hint", ORPHAN_TTL_HINT.to_string()),
                ],
            );
        }
        match self.first_error.take() {
            Some(e) => Err(e),
            None => result,
        }
    }

    fn emit_warning(&mut self, stage: Stage, record: WarningRecord) {
        let user_key_len = ("user_key_len", record.user_key_len.to_string());
        if record.orphan_entries {
            self.ctx.warnings.emit(
                "redis_stream_orphan_entries_without_meta",
                &[
                    user_key_len,
                    ("observed_entries", record.observed.to_string()),
                    ("hint", ORPHAN_ENTRIES_HINT.to_string()),
                ],
            );
            return;
        }
        let (event, observed) = match stage {
            Stage::WarnHash => ("redis_hash_length_mismatch", "observed_fields"),
            Stage::WarnList => ("redis_list_length_mismatch", "observed_items"),
            Stage::WarnSet => ("redis_set_length_mismatch", "observed_members"),
            Stage::WarnZset => ("redis_zset_length_mismatch", "observed_members"),
            _ => ("redis_stream_length_mismatch", "observed_entries"),
        };
        self.ctx.warnings.emit(
            event,
            &[
                user_key_len,
                ("declared_len", record.declared.to_string()),
                (observed, record.observed.to_string()),
                ("hint", MISMATCH_HINT.to_string()),
            ],
        );
    }
}

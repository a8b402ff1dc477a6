//! `MANIFEST.json` (core.md §5): the model, the writer (pretty JSON exactly as upstream's
//! `WriteManifest` renders it, validated first, published by temp + rename + fsync) and the
//! reader (upstream's version gate, Go `encoding/json` decode semantics, structural
//! validation).
//!
//! ekvsnap appends its own fields after `dynamodb_layout` (`ekvsnap_version`, `input`,
//! `snapshot_index_source`, `read_ts`, `counters`); readers of the same major version ignore
//! unknown fields, so upstream tools still accept the file. Each extension field is omitted
//! when unset, so a manifest without extensions is byte-identical to upstream's.

use std::path::Path;
use std::time::SystemTime;

use crate::json::{self, parse_go_uint, JsonStyle, JsonValue, JsonWriter};
use crate::output::{OutputTree, RelPath, TreeError};

pub const MANIFEST_FILENAME: &str = "MANIFEST.json";
pub const CURRENT_FORMAT_VERSION: u32 = 1;
pub const CHECKSUM_ALGORITHM_SHA256: &str = "sha256";
pub const CHECKSUM_FORMAT_SHA256SUM: &str = "sha256sum";
pub const ENCODED_FILENAME_CHARSET: &str = "rfc3986-unreserved-plus-percent";
pub const KEY_SEGMENT_MAX_BYTES_DEFAULT: u32 = 240;
pub const S3_META_SUFFIX_DEFAULT: &str = ".elastickv-meta.json";
pub const S3_COLLISION_STRATEGY_LEAF_DATA_SUFFIX: &str = "leaf-data-suffix";

/// Errors of the manifest writer and reader.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// `ErrInvalidManifest`.
    #[error("backup: manifest invalid: {0}")]
    Invalid(String),
    /// `ErrUnsupportedFormatVersion`.
    #[error("backup: manifest format_version unsupported: {0}")]
    UnsupportedFormatVersion(String),
    #[error("read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Tree(#[from] TreeError),
}

fn invalid(reason: impl Into<String>) -> ManifestError {
    ManifestError::Invalid(reason.into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `phase0-snapshot-decode`
    Phase0SnapshotDecode,
    /// `phase1-live-pinned`
    Phase1LivePinned,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Phase0SnapshotDecode => "phase0-snapshot-decode",
            Phase::Phase1LivePinned => "phase1-live-pinned",
        }
    }

    pub fn parse(s: &str) -> Option<Phase> {
        match s {
            "phase0-snapshot-decode" => Some(Phase::Phase0SnapshotDecode),
            "phase1-live-pinned" => Some(Phase::Phase1LivePinned),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamoDbLayout {
    /// `per-item`
    PerItem,
    /// `jsonl`
    Jsonl,
}

impl DynamoDbLayout {
    pub fn as_str(self) -> &'static str {
        match self {
            DynamoDbLayout::PerItem => "per-item",
            DynamoDbLayout::Jsonl => "jsonl",
        }
    }

    pub fn parse(s: &str) -> Option<DynamoDbLayout> {
        match s {
            "per-item" => Some(DynamoDbLayout::PerItem),
            "jsonl" => Some(DynamoDbLayout::Jsonl),
            _ => None,
        }
    }
}

/// `source` (phase 0 only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// `--input` exactly as given (raw bytes: a non-UTF-8 path is rendered the way Go
    /// renders it).
    pub fsm_path: Vec<u8>,
    /// Lower-case hex; omitted when empty.
    pub fsm_crc32c: String,
}

/// `live` (phase 1 only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    pub read_ts: u64,
    /// Omitted when empty.
    pub pin_token_sha256: String,
}

/// One adapter's scope lists (`adapters.<name>`); each list is omitted when empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdapterScope {
    pub tables: Vec<String>,
    pub buckets: Vec<String>,
    pub databases: Vec<u32>,
    pub queues: Vec<String>,
}

/// `adapters`: `None` = adapter excluded (key absent), `Some(default)` = included (`{}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adapters {
    pub dynamodb: Option<AdapterScope>,
    pub s3: Option<AdapterScope>,
    pub redis: Option<AdapterScope>,
    pub sqs: Option<AdapterScope>,
}

/// `exclusions`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exclusions {
    pub include_incomplete_uploads: bool,
    pub include_orphans: bool,
    pub preserve_sqs_visibility: bool,
    pub include_sqs_side_records: bool,
    /// Omitted when false.
    pub rename_s3_collisions: bool,
}

/// ekvsnap extension `input.fsm_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsmHeaderInfo {
    /// `EKVTHLC1`: `{"version": 1, "ceiling_ms": …}`.
    V1 { ceiling_ms: u64 },
    /// `EKVTHLC2`: `{"version": 2, "ceiling_ms": …, "cutover_index": …}`.
    V2 { ceiling_ms: u64, cutover_index: u64 },
}

/// ekvsnap extension `input.crc32c`: `{"status": "verified"|"unverified", "value": "<8 lower
/// hex>"}` or `{"status": "absent"}`: the reader's footer state, so a "verified" status
/// without a value cannot be represented.
pub use crate::snapshot::FooterStatus as Crc32cInfo;

/// ekvsnap extension `input`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputInfo {
    /// How the input was framed, e.g. `node-v1`, `node-v2`, `node-headerless`,
    /// `bare-stream`, `stdin`.
    pub framing: String,
    /// Omitted when the input had no FSM header.
    pub fsm_header: Option<FsmHeaderInfo>,
    pub crc32c: Crc32cInfo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotIndexSource {
    /// `file-name`
    FileName,
    /// `meta-applied-index`
    MetaAppliedIndex,
    /// `none`
    Unavailable,
}

impl SnapshotIndexSource {
    pub fn as_str(self) -> &'static str {
        match self {
            SnapshotIndexSource::FileName => "file-name",
            SnapshotIndexSource::MetaAppliedIndex => "meta-applied-index",
            SnapshotIndexSource::Unavailable => "none",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "file-name" => Some(SnapshotIndexSource::FileName),
            "meta-applied-index" => Some(SnapshotIndexSource::MetaAppliedIndex),
            "none" => Some(SnapshotIndexSource::Unavailable),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadTsSource {
    /// `last-commit-ts`
    LastCommitTs,
    /// `flag`
    Flag,
    /// `unknown`
    Unknown,
}

impl ReadTsSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadTsSource::LastCommitTs => "last-commit-ts",
            ReadTsSource::Flag => "flag",
            ReadTsSource::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "last-commit-ts" => Some(ReadTsSource::LastCommitTs),
            "flag" => Some(ReadTsSource::Flag),
            "unknown" => Some(ReadTsSource::Unknown),
            _ => None,
        }
    }
}

/// ekvsnap extension `read_ts`: `{"value": …, "source": …}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadTsInfo {
    /// Absent when no read timestamp applied (lastCommitTS unknown, no `--read-ts`).
    pub value: Option<u64>,
    pub source: ReadTsSource,
}

/// `MANIFEST.json`. Field order = serialisation order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub format_version: u32,
    pub phase: Phase,
    /// Omitted when empty.
    pub elastickv_version: String,
    /// Omitted when empty (raw bytes, like [`Source::fsm_path`]).
    pub cluster_id: Vec<u8>,
    /// Omitted when 0.
    pub snapshot_index: u64,
    /// Omitted when 0.
    pub last_commit_ts: u64,
    pub wall_time_iso: String,
    pub source: Option<Source>,
    pub live: Option<Live>,
    pub adapters: Adapters,
    pub exclusions: Exclusions,
    pub checksum_algorithm: String,
    pub checksum_format: String,
    pub encoded_filename_charset: String,
    pub key_segment_max_bytes: u32,
    pub s3_meta_suffix: String,
    pub s3_collision_strategy: String,
    pub dynamodb_layout: DynamoDbLayout,
    // ---- ekvsnap extensions (after every upstream field) ----
    /// Omitted when empty.
    pub ekvsnap_version: String,
    pub input: Option<InputInfo>,
    pub snapshot_index_source: Option<SnapshotIndexSource>,
    pub read_ts: Option<ReadTsInfo>,
    /// Rendered as an object in this order; omitted when empty.
    pub counters: Vec<(String, u64)>,
}

/// RFC 3339 in UTC with 0–9 fractional digits, trailing zeros dropped (Go's
/// `t.UTC().Format(time.RFC3339Nano)`), e.g. `2026-04-29T15:42:11.094Z`.
pub fn format_wall_time(t: SystemTime) -> String {
    let dt = time::OffsetDateTime::from(t);
    let mut s = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    let ns = dt.nanosecond();
    if ns != 0 {
        let frac = format!("{ns:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

fn days_in_month(month: u32, year: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ => {
            let leap = matches!((year % 4, year % 100, year % 400), (0, _, 0) | (0, 1.., _));
            if leap {
                29
            } else {
                28
            }
        }
    }
}

/// Whether Go's `time.Parse(time.RFC3339Nano, s)` accepts `s` (its fast path or, failing
/// that, its general layout parser): `YYYY-MM-DDTHH:MM:SS[(.|,)digits](Z|±hh:mm)` with
/// calendar-checked date, a 1- or 2-digit hour, and offsets up to `24:60`.
pub fn is_go_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let num = |i: &mut usize, min_digits: usize, max_digits: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && *i - start < max_digits && b[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i - start < min_digits {
            return None;
        }
        s[start..*i].parse().ok()
    };
    let lit = |i: &mut usize, c: u8| -> bool {
        if b.get(*i) == Some(&c) {
            *i += 1;
            true
        } else {
            false
        }
    };
    let Some(year) = num(&mut i, 4, 4) else {
        return false;
    };
    if !lit(&mut i, b'-') {
        return false;
    }
    let Some(month) = num(&mut i, 2, 2) else {
        return false;
    };
    if !(1..=12).contains(&month) || !lit(&mut i, b'-') {
        return false;
    }
    let Some(day) = num(&mut i, 2, 2) else {
        return false;
    };
    if day < 1 || day > days_in_month(month, year) || !lit(&mut i, b'T') {
        return false;
    }
    let Some(hour) = num(&mut i, 1, 2) else {
        return false;
    };
    if hour > 23 || !lit(&mut i, b':') {
        return false;
    }
    let Some(minute) = num(&mut i, 2, 2) else {
        return false;
    };
    if minute > 59 || !lit(&mut i, b':') {
        return false;
    }
    let Some(second) = num(&mut i, 2, 2) else {
        return false;
    };
    if second > 59 {
        return false;
    }
    if matches!(b.get(i), Some(b'.' | b',')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i += 1;
            let Some(hh) = num(&mut i, 2, 2) else {
                return false;
            };
            if !lit(&mut i, b':') {
                return false;
            }
            let Some(mm) = num(&mut i, 2, 2) else {
                return false;
            };
            hh <= 24 && mm <= 60 && i == b.len()
        }
        _ => false,
    }
}

impl Manifest {
    /// Upstream `NewPhase0SnapshotManifest`: version 1, phase 0, `wall_time_iso` from `now`,
    /// no adapters, all exclusions false, default policy fields, layout `per-item`, no
    /// extensions.
    pub fn new_phase0(now: SystemTime) -> Manifest {
        Manifest {
            format_version: CURRENT_FORMAT_VERSION,
            phase: Phase::Phase0SnapshotDecode,
            elastickv_version: String::new(),
            cluster_id: Vec::new(),
            snapshot_index: 0,
            last_commit_ts: 0,
            wall_time_iso: format_wall_time(now),
            source: None,
            live: None,
            adapters: Adapters::default(),
            exclusions: Exclusions::default(),
            checksum_algorithm: CHECKSUM_ALGORITHM_SHA256.into(),
            checksum_format: CHECKSUM_FORMAT_SHA256SUM.into(),
            encoded_filename_charset: ENCODED_FILENAME_CHARSET.into(),
            key_segment_max_bytes: KEY_SEGMENT_MAX_BYTES_DEFAULT,
            s3_meta_suffix: S3_META_SUFFIX_DEFAULT.into(),
            s3_collision_strategy: S3_COLLISION_STRATEGY_LEAF_DATA_SUFFIX.into(),
            dynamodb_layout: DynamoDbLayout::PerItem,
            ekvsnap_version: String::new(),
            input: None,
            snapshot_index_source: None,
            read_ts: None,
            counters: Vec::new(),
        }
    }

    /// Structural validation (§5.4), in upstream's order. Every failure is
    /// [`ManifestError::Invalid`] (a too-new version included). Run by the writer before
    /// rendering and by the reader after converting the decoded document.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.format_version == 0 {
            return Err(invalid("format_version is zero"));
        }
        if self.format_version > CURRENT_FORMAT_VERSION {
            return Err(invalid(format!(
                "format_version {} > current {CURRENT_FORMAT_VERSION} (this build cannot produce that)",
                self.format_version
            )));
        }
        if self.wall_time_iso.is_empty() {
            return Err(invalid("wall_time_iso missing"));
        }
        if !is_go_rfc3339(&self.wall_time_iso) {
            return Err(invalid(format!(
                "wall_time_iso unparseable: {:?}",
                self.wall_time_iso
            )));
        }
        let required = [
            ("checksum_algorithm", &self.checksum_algorithm),
            ("checksum_format", &self.checksum_format),
            ("encoded_filename_charset", &self.encoded_filename_charset),
        ];
        for (name, value) in required {
            if value.is_empty() {
                return Err(invalid(format!("{name} missing")));
            }
        }
        if self.key_segment_max_bytes == 0 {
            return Err(invalid("key_segment_max_bytes is zero"));
        }
        if self.s3_meta_suffix.is_empty() {
            return Err(invalid("s3_meta_suffix missing"));
        }
        if self.s3_collision_strategy.is_empty() {
            return Err(invalid("s3_collision_strategy missing"));
        }
        match self.phase {
            Phase::Phase0SnapshotDecode => {
                if self.live.is_some() {
                    return Err(invalid("phase0 must not set live"));
                }
            }
            Phase::Phase1LivePinned => {
                if self.source.is_some() {
                    return Err(invalid("phase1 must not set source"));
                }
                match &self.live {
                    None => return Err(invalid("phase1 must set live")),
                    Some(live) if live.read_ts == 0 => {
                        return Err(invalid("phase1 live.read_ts must be non-zero"))
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// Validates and renders the file content: pretty JSON (2-space indent), no HTML
    /// escaping, trailing newline.
    pub fn to_json(&self) -> Result<Vec<u8>, ManifestError> {
        self.validate()?;
        let mut w = JsonWriter::new(JsonStyle::Pretty, false);
        self.render(&mut w);
        let mut out = w.into_bytes();
        out.push(b'\n');
        Ok(out)
    }

    fn render(&self, w: &mut JsonWriter) {
        w.begin_object();
        w.key("format_version").u64(u64::from(self.format_version));
        w.key("phase").str(self.phase.as_str());
        if !self.elastickv_version.is_empty() {
            w.key("elastickv_version").str(&self.elastickv_version);
        }
        if !self.cluster_id.is_empty() {
            w.key("cluster_id").string(&self.cluster_id);
        }
        if self.snapshot_index != 0 {
            w.key("snapshot_index").u64(self.snapshot_index);
        }
        if self.last_commit_ts != 0 {
            w.key("last_commit_ts").u64(self.last_commit_ts);
        }
        w.key("wall_time_iso").str(&self.wall_time_iso);
        if let Some(source) = &self.source {
            w.key("source").begin_object();
            w.key("fsm_path").string(&source.fsm_path);
            if !source.fsm_crc32c.is_empty() {
                w.key("fsm_crc32c").str(&source.fsm_crc32c);
            }
            w.end_object();
        }
        if let Some(live) = &self.live {
            w.key("live").begin_object();
            w.key("read_ts").u64(live.read_ts);
            if !live.pin_token_sha256.is_empty() {
                w.key("pin_token_sha256").str(&live.pin_token_sha256);
            }
            w.end_object();
        }
        w.key("adapters").begin_object();
        let adapters = [
            ("dynamodb", &self.adapters.dynamodb),
            ("s3", &self.adapters.s3),
            ("redis", &self.adapters.redis),
            ("sqs", &self.adapters.sqs),
        ];
        for (name, scope) in adapters {
            if let Some(scope) = scope {
                w.key(name);
                render_scope(w, scope);
            }
        }
        w.end_object();
        let e = &self.exclusions;
        w.key("exclusions").begin_object();
        w.key("include_incomplete_uploads")
            .bool(e.include_incomplete_uploads);
        w.key("include_orphans").bool(e.include_orphans);
        w.key("preserve_sqs_visibility")
            .bool(e.preserve_sqs_visibility);
        w.key("include_sqs_side_records")
            .bool(e.include_sqs_side_records);
        if e.rename_s3_collisions {
            w.key("rename_s3_collisions").bool(true);
        }
        w.end_object();
        w.key("checksum_algorithm").str(&self.checksum_algorithm);
        w.key("checksum_format").str(&self.checksum_format);
        w.key("encoded_filename_charset")
            .str(&self.encoded_filename_charset);
        w.key("key_segment_max_bytes")
            .u64(u64::from(self.key_segment_max_bytes));
        w.key("s3_meta_suffix").str(&self.s3_meta_suffix);
        w.key("s3_collision_strategy")
            .str(&self.s3_collision_strategy);
        w.key("dynamodb_layout").str(self.dynamodb_layout.as_str());
        // ---- extensions ----
        if !self.ekvsnap_version.is_empty() {
            w.key("ekvsnap_version").str(&self.ekvsnap_version);
        }
        if let Some(input) = &self.input {
            w.key("input").begin_object();
            w.key("framing").str(&input.framing);
            if let Some(h) = &input.fsm_header {
                w.key("fsm_header").begin_object();
                match *h {
                    FsmHeaderInfo::V1 { ceiling_ms } => {
                        w.key("version").u64(1);
                        w.key("ceiling_ms").u64(ceiling_ms);
                    }
                    FsmHeaderInfo::V2 {
                        ceiling_ms,
                        cutover_index,
                    } => {
                        w.key("version").u64(2);
                        w.key("ceiling_ms").u64(ceiling_ms);
                        w.key("cutover_index").u64(cutover_index);
                    }
                }
                w.end_object();
            }
            w.key("crc32c").begin_object();
            let (status, value) = match input.crc32c {
                Crc32cInfo::Verified(v) => ("verified", Some(v)),
                Crc32cInfo::Unverified(v) => ("unverified", Some(v)),
                Crc32cInfo::Absent => ("absent", None),
            };
            w.key("status").str(status);
            if let Some(v) = value {
                w.key("value").str(&format!("{v:08x}"));
            }
            w.end_object();
            w.end_object();
        }
        if let Some(src) = self.snapshot_index_source {
            w.key("snapshot_index_source").str(src.as_str());
        }
        if let Some(rt) = &self.read_ts {
            w.key("read_ts").begin_object();
            if let Some(value) = rt.value {
                w.key("value").u64(value);
            }
            w.key("source").str(rt.source.as_str());
            w.end_object();
        }
        if !self.counters.is_empty() {
            w.key("counters").begin_object();
            for (name, value) in &self.counters {
                w.key(name).u64(*value);
            }
            w.end_object();
        }
        w.end_object();
    }
}

fn render_scope(w: &mut JsonWriter, scope: &AdapterScope) {
    w.begin_object();
    let lists = [("tables", &scope.tables), ("buckets", &scope.buckets)];
    for (name, list) in lists {
        if !list.is_empty() {
            w.key(name).begin_array();
            for s in list {
                w.str(s);
            }
            w.end_array();
        }
    }
    if !scope.databases.is_empty() {
        w.key("databases").begin_array();
        for d in &scope.databases {
            w.u64(u64::from(*d));
        }
        w.end_array();
    }
    if !scope.queues.is_empty() {
        w.key("queues").begin_array();
        for s in &scope.queues {
            w.str(s);
        }
        w.end_array();
    }
    w.end_object();
}

/// Validates `manifest` and publishes `<root>/MANIFEST.json` (temp file, fsync, rename,
/// directory fsync).
pub fn write_manifest(tree: &OutputTree, manifest: &Manifest) -> Result<(), ManifestError> {
    use std::io::Write as _;
    let bytes = manifest.to_json()?;
    let path = RelPath::parse(MANIFEST_FILENAME).expect("valid literal name");
    let mut f = tree.create_file(&path)?;
    f.write_all(&bytes).map_err(|e| {
        ManifestError::Tree(TreeError::Io {
            op: "write",
            path: MANIFEST_FILENAME.into(),
            source: e,
        })
    })?;
    f.commit_durable()?;
    Ok(())
}

/// Reads and validates a manifest file.
pub fn read_manifest_file(path: &Path) -> Result<Manifest, ManifestError> {
    let bytes = std::fs::read(path).map_err(|e| ManifestError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    read_manifest(&bytes)
}

// ------------------------------------------------------------------------------------------
// Reading: Go encoding/json semantics
// ------------------------------------------------------------------------------------------

type Decoded<T> = Result<T, String>;

fn type_error(field: &str, want: &str) -> String {
    format!("json: cannot unmarshal into field {field} of type {want}")
}

/// Go: a JSON value into a `string` field (null leaves it unchanged).
fn dec_string(field: &str, v: &JsonValue, target: &mut String) -> Decoded<()> {
    match v {
        JsonValue::Null => Ok(()),
        JsonValue::String(s) => {
            *target = s.clone();
            Ok(())
        }
        _ => Err(type_error(field, "string")),
    }
}

fn dec_bytes_string(field: &str, v: &JsonValue, target: &mut Vec<u8>) -> Decoded<()> {
    match v {
        JsonValue::Null => Ok(()),
        JsonValue::String(s) => {
            *target = s.as_bytes().to_vec();
            Ok(())
        }
        _ => Err(type_error(field, "string")),
    }
}

fn dec_uint(field: &str, v: &JsonValue, max: u64) -> Decoded<Option<u64>> {
    match v {
        JsonValue::Null => Ok(None),
        JsonValue::Number(lit) => match parse_go_uint(lit) {
            Some(n) if n <= max => Ok(Some(n)),
            _ => Err(type_error(field, "unsigned integer")),
        },
        _ => Err(type_error(field, "unsigned integer")),
    }
}

fn dec_u64(field: &str, v: &JsonValue, target: &mut u64) -> Decoded<()> {
    if let Some(n) = dec_uint(field, v, u64::MAX)? {
        *target = n;
    }
    Ok(())
}

fn dec_u32(field: &str, v: &JsonValue, target: &mut u32) -> Decoded<()> {
    if let Some(n) = dec_uint(field, v, u64::from(u32::MAX))? {
        *target = u32::try_from(n).expect("range checked");
    }
    Ok(())
}

fn dec_bool(field: &str, v: &JsonValue, target: &mut bool) -> Decoded<()> {
    match v {
        JsonValue::Null => Ok(()),
        JsonValue::Bool(b) => {
            *target = *b;
            Ok(())
        }
        _ => Err(type_error(field, "bool")),
    }
}

fn dec_string_list(field: &str, v: &JsonValue, target: &mut Vec<String>) -> Decoded<()> {
    match v {
        JsonValue::Null => {
            target.clear();
            Ok(())
        }
        JsonValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let mut s = String::new();
                dec_string(field, item, &mut s)?;
                out.push(s);
            }
            *target = out;
            Ok(())
        }
        _ => Err(type_error(field, "[]string")),
    }
}

fn dec_u32_list(field: &str, v: &JsonValue, target: &mut Vec<u32>) -> Decoded<()> {
    match v {
        JsonValue::Null => {
            target.clear();
            Ok(())
        }
        JsonValue::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let mut n = 0u32;
                dec_u32(field, item, &mut n)?;
                out.push(n);
            }
            *target = out;
            Ok(())
        }
        _ => Err(type_error(field, "[]uint32")),
    }
}

/// Go: a JSON value into a `*Struct` field. `null` sets nil; an object decodes into the
/// existing struct (allocated on first use), so repeated keys merge like in Go.
fn dec_struct_ptr<T: Default>(
    field: &str,
    v: &JsonValue,
    target: &mut Option<T>,
    decode: impl FnOnce(&[(String, JsonValue)], &mut T) -> Decoded<()>,
) -> Decoded<()> {
    match v {
        JsonValue::Null => {
            *target = None;
            Ok(())
        }
        JsonValue::Object(members) => decode(members, target.get_or_insert_with(T::default)),
        _ => Err(type_error(field, "object")),
    }
}

/// Which of `fields` a document key maps to under Go's rules (exact, else case-folded).
fn go_match<'a>(key: &str, fields: &[&'a str]) -> Option<&'a str> {
    fields
        .iter()
        .find(|f| **f == key)
        .or_else(|| fields.iter().find(|f| json::go_fold_eq(key, f)))
        .copied()
}

fn dec_source(members: &[(String, JsonValue)], s: &mut Source) -> Decoded<()> {
    for (k, v) in members {
        match go_match(k, &["fsm_path", "fsm_crc32c"]) {
            Some("fsm_path") => dec_bytes_string("source.fsm_path", v, &mut s.fsm_path)?,
            Some("fsm_crc32c") => dec_string("source.fsm_crc32c", v, &mut s.fsm_crc32c)?,
            _ => {}
        }
    }
    Ok(())
}

fn dec_live(members: &[(String, JsonValue)], l: &mut Live) -> Decoded<()> {
    for (k, v) in members {
        match go_match(k, &["read_ts", "pin_token_sha256"]) {
            Some("read_ts") => dec_u64("live.read_ts", v, &mut l.read_ts)?,
            Some("pin_token_sha256") => {
                dec_string("live.pin_token_sha256", v, &mut l.pin_token_sha256)?
            }
            _ => {}
        }
    }
    Ok(())
}

fn dec_scope(members: &[(String, JsonValue)], a: &mut AdapterScope) -> Decoded<()> {
    for (k, v) in members {
        match go_match(k, &["tables", "buckets", "databases", "queues"]) {
            Some("tables") => dec_string_list("tables", v, &mut a.tables)?,
            Some("buckets") => dec_string_list("buckets", v, &mut a.buckets)?,
            Some("databases") => dec_u32_list("databases", v, &mut a.databases)?,
            Some("queues") => dec_string_list("queues", v, &mut a.queues)?,
            _ => {}
        }
    }
    Ok(())
}

fn dec_adapters(members: &[(String, JsonValue)], a: &mut Adapters) -> Decoded<()> {
    for (k, v) in members {
        let slot = match go_match(k, &["dynamodb", "s3", "redis", "sqs"]) {
            Some("dynamodb") => &mut a.dynamodb,
            Some("s3") => &mut a.s3,
            Some("redis") => &mut a.redis,
            Some("sqs") => &mut a.sqs,
            _ => continue,
        };
        dec_struct_ptr("adapters", v, slot, dec_scope)?;
    }
    Ok(())
}

const EXCLUSION_FLAGS: [&str; 5] = [
    "include_incomplete_uploads",
    "include_orphans",
    "preserve_sqs_visibility",
    "include_sqs_side_records",
    "rename_s3_collisions",
];

fn dec_exclusions(members: &[(String, JsonValue)], e: &mut Exclusions) -> Decoded<()> {
    for (k, v) in members {
        let slot = match go_match(k, &EXCLUSION_FLAGS) {
            Some("include_incomplete_uploads") => &mut e.include_incomplete_uploads,
            Some("include_orphans") => &mut e.include_orphans,
            Some("preserve_sqs_visibility") => &mut e.preserve_sqs_visibility,
            Some("include_sqs_side_records") => &mut e.include_sqs_side_records,
            Some("rename_s3_collisions") => &mut e.rename_s3_collisions,
            _ => continue,
        };
        dec_bool("exclusions", v, slot)?;
    }
    Ok(())
}

/// The manifest as Go's struct holds it after decoding (before validation).
#[derive(Default)]
struct GoManifest {
    format_version: u32,
    phase: String,
    elastickv_version: String,
    cluster_id: Vec<u8>,
    snapshot_index: u64,
    last_commit_ts: u64,
    wall_time_iso: String,
    source: Option<Source>,
    live: Option<Live>,
    adapters: Option<Adapters>,
    exclusions: Option<Exclusions>,
    checksum_algorithm: String,
    checksum_format: String,
    encoded_filename_charset: String,
    key_segment_max_bytes: u32,
    s3_meta_suffix: String,
    s3_collision_strategy: String,
    dynamodb_layout: String,
}

const MANIFEST_FIELDS: [&str; 18] = [
    "format_version",
    "phase",
    "elastickv_version",
    "cluster_id",
    "snapshot_index",
    "last_commit_ts",
    "wall_time_iso",
    "source",
    "live",
    "adapters",
    "exclusions",
    "checksum_algorithm",
    "checksum_format",
    "encoded_filename_charset",
    "key_segment_max_bytes",
    "s3_meta_suffix",
    "s3_collision_strategy",
    "dynamodb_layout",
];

fn dec_manifest(members: &[(String, JsonValue)]) -> Decoded<GoManifest> {
    let mut m = GoManifest::default();
    for (k, v) in members {
        let Some(field) = go_match(k, &MANIFEST_FIELDS) else {
            continue;
        };
        match field {
            "format_version" => dec_u32(field, v, &mut m.format_version)?,
            "phase" => dec_string(field, v, &mut m.phase)?,
            "elastickv_version" => dec_string(field, v, &mut m.elastickv_version)?,
            "cluster_id" => dec_bytes_string(field, v, &mut m.cluster_id)?,
            "snapshot_index" => dec_u64(field, v, &mut m.snapshot_index)?,
            "last_commit_ts" => dec_u64(field, v, &mut m.last_commit_ts)?,
            "wall_time_iso" => dec_string(field, v, &mut m.wall_time_iso)?,
            "source" => dec_struct_ptr(field, v, &mut m.source, dec_source)?,
            "live" => dec_struct_ptr(field, v, &mut m.live, dec_live)?,
            "adapters" => dec_struct_ptr(field, v, &mut m.adapters, dec_adapters)?,
            "exclusions" => dec_struct_ptr(field, v, &mut m.exclusions, dec_exclusions)?,
            "checksum_algorithm" => dec_string(field, v, &mut m.checksum_algorithm)?,
            "checksum_format" => dec_string(field, v, &mut m.checksum_format)?,
            "encoded_filename_charset" => dec_string(field, v, &mut m.encoded_filename_charset)?,
            "key_segment_max_bytes" => dec_u32(field, v, &mut m.key_segment_max_bytes)?,
            "s3_meta_suffix" => dec_string(field, v, &mut m.s3_meta_suffix)?,
            "s3_collision_strategy" => dec_string(field, v, &mut m.s3_collision_strategy)?,
            "dynamodb_layout" => dec_string(field, v, &mut m.dynamodb_layout)?,
            _ => unreachable!("field list and match arms agree"),
        }
    }
    Ok(m)
}

/// Steps 2–5 of the version gate (§5.3).
fn probe_format_version(doc: &JsonValue) -> Result<(), ManifestError> {
    if doc.as_object().is_none() {
        return Err(invalid("manifest is not a JSON object"));
    }
    match doc.get_exact("format_version") {
        None => return Err(invalid("format_version missing")),
        Some(JsonValue::Null) => return Err(invalid("format_version is null")),
        Some(_) => {}
    }
    let mut version = 0u32;
    for v in doc.go_field_members("format_version") {
        dec_u32("format_version", v, &mut version).map_err(invalid)?;
    }
    if version == 0 {
        return Err(ManifestError::UnsupportedFormatVersion(
            "format_version is zero".into(),
        ));
    }
    if version > CURRENT_FORMAT_VERSION {
        return Err(ManifestError::UnsupportedFormatVersion(format!(
            "format_version {version} > current {CURRENT_FORMAT_VERSION} (newer producer)"
        )));
    }
    Ok(())
}

/// Step 7: the four required exclusion flags must be present (exact key) and non-null.
fn check_exclusion_flags_present(doc: &JsonValue) -> Result<(), ManifestError> {
    let Some(excl) = doc.get_exact("exclusions") else {
        return Ok(()); // reported as "exclusions section missing" by step 8
    };
    match excl {
        JsonValue::Null | JsonValue::Object(_) => {}
        _ => return Err(invalid("exclusions is not an object")),
    }
    for name in &EXCLUSION_FLAGS[..4] {
        match excl.get_exact(name) {
            None => {
                return Err(invalid(format!(
                    "exclusions.{name} missing (cannot infer producer-side default)"
                )))
            }
            Some(JsonValue::Null) => return Err(invalid(format!("exclusions.{name} is null"))),
            Some(_) => {}
        }
    }
    Ok(())
}

fn ext_err(field: &str, what: &str) -> ManifestError {
    invalid(format!("ekvsnap extension {field}: {what}"))
}

fn ext_u64(obj: &JsonValue, parent: &str, key: &str) -> Result<u64, ManifestError> {
    match obj.get_exact(key) {
        Some(JsonValue::Number(lit)) => {
            parse_go_uint(lit).ok_or_else(|| ext_err(&format!("{parent}.{key}"), "not a u64"))
        }
        _ => Err(ext_err(
            &format!("{parent}.{key}"),
            "missing or not a number",
        )),
    }
}

fn ext_str<'a>(obj: &'a JsonValue, parent: &str, key: &str) -> Result<&'a str, ManifestError> {
    match obj.get_exact(key) {
        Some(JsonValue::String(s)) => Ok(s),
        _ => Err(ext_err(
            &format!("{parent}.{key}"),
            "missing or not a string",
        )),
    }
}

/// Present and non-null extension member (exact key, last duplicate wins).
fn ext_member<'a>(doc: &'a JsonValue, key: &str) -> Option<&'a JsonValue> {
    doc.get_exact(key).filter(|v| !v.is_null())
}

/// Reads ekvsnap's extension fields. They are informative: a field whose shape this version
/// does not know (a newer ekvsnap may add values) is skipped, never a reason to reject a
/// manifest that upstream's reader accepts ("newer minor allowed").
fn decode_extensions(doc: &JsonValue, m: &mut Manifest) {
    if let Ok(version) = decode_ekvsnap_version(doc) {
        m.ekvsnap_version = version;
    }
    m.input = decode_input(doc).ok().flatten();
    m.snapshot_index_source = decode_snapshot_index_source(doc).ok().flatten();
    m.read_ts = decode_read_ts(doc).ok().flatten();
    m.counters = decode_counters(doc).unwrap_or_default();
}

fn decode_ekvsnap_version(doc: &JsonValue) -> Result<String, ManifestError> {
    Ok(match ext_member(doc, "ekvsnap_version") {
        None => String::new(),
        Some(v) => v
            .as_str()
            .ok_or_else(|| ext_err("ekvsnap_version", "not a string"))?
            .to_owned(),
    })
}

fn decode_input(doc: &JsonValue) -> Result<Option<InputInfo>, ManifestError> {
    let Some(input) = ext_member(doc, "input") else {
        return Ok(None);
    };
    {
        if input.as_object().is_none() {
            return Err(ext_err("input", "not an object"));
        }
        let framing = ext_str(input, "input", "framing")?.to_owned();
        let fsm_header = match ext_member(input, "fsm_header") {
            None => None,
            Some(h) => {
                let ceiling_ms = ext_u64(h, "input.fsm_header", "ceiling_ms")?;
                match ext_u64(h, "input.fsm_header", "version")? {
                    1 if h.get_exact("cutover_index").is_none() => {
                        Some(FsmHeaderInfo::V1 { ceiling_ms })
                    }
                    2 => Some(FsmHeaderInfo::V2 {
                        ceiling_ms,
                        cutover_index: ext_u64(h, "input.fsm_header", "cutover_index")?,
                    }),
                    _ => return Err(ext_err("input.fsm_header", "bad version or fields")),
                }
            }
        };
        let crc = input
            .get_exact("crc32c")
            .filter(|c| c.as_object().is_some())
            .ok_or_else(|| ext_err("input.crc32c", "missing or not an object"))?;
        let status = ext_str(crc, "input.crc32c", "status")?;
        let value = match ext_member(crc, "value") {
            None => None,
            Some(JsonValue::String(s))
                if s.len() == 8 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
            {
                Some(u32::from_str_radix(s, 16).expect("checked hex"))
            }
            Some(_) => return Err(ext_err("input.crc32c.value", "not 8 lower-case hex digits")),
        };
        let crc32c = match (status, value) {
            ("verified", Some(v)) => Crc32cInfo::Verified(v),
            ("unverified", Some(v)) => Crc32cInfo::Unverified(v),
            ("absent", None) => Crc32cInfo::Absent,
            _ => {
                return Err(ext_err(
                    "input.crc32c",
                    "unknown status or status/value mismatch",
                ))
            }
        };
        Ok(Some(InputInfo {
            framing,
            fsm_header,
            crc32c,
        }))
    }
}

fn decode_snapshot_index_source(
    doc: &JsonValue,
) -> Result<Option<SnapshotIndexSource>, ManifestError> {
    let Some(v) = ext_member(doc, "snapshot_index_source") else {
        return Ok(None);
    };
    v.as_str()
        .and_then(SnapshotIndexSource::parse)
        .map(Some)
        .ok_or_else(|| ext_err("snapshot_index_source", "unknown value"))
}

fn decode_read_ts(doc: &JsonValue) -> Result<Option<ReadTsInfo>, ManifestError> {
    let Some(v) = ext_member(doc, "read_ts") else {
        return Ok(None);
    };
    let value = match ext_member(v, "value") {
        None => None,
        Some(_) => Some(ext_u64(v, "read_ts", "value")?),
    };
    let source = ReadTsSource::parse(ext_str(v, "read_ts", "source")?)
        .ok_or_else(|| ext_err("read_ts.source", "unknown value"))?;
    Ok(Some(ReadTsInfo { value, source }))
}

fn decode_counters(doc: &JsonValue) -> Result<Vec<(String, u64)>, ManifestError> {
    let Some(v) = ext_member(doc, "counters") else {
        return Ok(Vec::new());
    };
    {
        let members = v
            .as_object()
            .ok_or_else(|| ext_err("counters", "not an object"))?;
        let mut counters = Vec::with_capacity(members.len());
        for (name, value) in members {
            let n = match value {
                JsonValue::Number(lit) => parse_go_uint(lit),
                _ => None,
            }
            .ok_or_else(|| ext_err(&format!("counters.{name}"), "not a u64"))?;
            counters.push((name.clone(), n));
        }
        Ok(counters)
    }
}

/// Upstream `ReadManifest` (§5.3 + §5.4), plus ekvsnap's extension fields.
pub fn read_manifest(payload: &[u8]) -> Result<Manifest, ManifestError> {
    // Step 1: one JSON value, trailing whitespace only.
    let doc = json::parse(payload).map_err(|e| invalid(e.to_string()))?;
    // Steps 2-5: the version gate, before any typed decoding.
    probe_format_version(&doc)?;
    // Step 6: typed decode with Go semantics.
    let members = doc.as_object().expect("probe checked the object");
    let g = dec_manifest(members).map_err(invalid)?;
    // Step 7: required exclusion flags.
    check_exclusion_flags_present(&doc)?;
    // Step 8: structural validation. The conversion into `Manifest` checks only what its
    // typed fields cannot hold (an unknown phase or layout, a missing section); everything
    // else is `Manifest::validate`, shared with the writer.
    // (format_version was range-checked by the probe, which decodes the same members.)
    let phase =
        Phase::parse(&g.phase).ok_or_else(|| invalid(format!("unknown phase {:?}", g.phase)))?;
    let adapters = g
        .adapters
        .ok_or_else(|| invalid("adapters section missing"))?;
    let exclusions = g
        .exclusions
        .ok_or_else(|| invalid("exclusions section missing"))?;
    let dynamodb_layout = DynamoDbLayout::parse(&g.dynamodb_layout).ok_or_else(|| {
        invalid(format!(
            "dynamodb_layout {:?} unsupported",
            g.dynamodb_layout
        ))
    })?;
    let mut m = Manifest {
        format_version: g.format_version,
        phase,
        elastickv_version: g.elastickv_version,
        cluster_id: g.cluster_id,
        snapshot_index: g.snapshot_index,
        last_commit_ts: g.last_commit_ts,
        wall_time_iso: g.wall_time_iso,
        source: g.source,
        live: g.live,
        adapters,
        exclusions,
        checksum_algorithm: g.checksum_algorithm,
        checksum_format: g.checksum_format,
        encoded_filename_charset: g.encoded_filename_charset,
        key_segment_max_bytes: g.key_segment_max_bytes,
        s3_meta_suffix: g.s3_meta_suffix,
        s3_collision_strategy: g.s3_collision_strategy,
        dynamodb_layout,
        ekvsnap_version: String::new(),
        input: None,
        snapshot_index_source: None,
        read_ts: None,
        counters: Vec::new(),
    };
    m.validate()?;
    decode_extensions(&doc, &mut m);
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn t0() -> SystemTime {
        // 2026-04-29T15:42:11.094Z
        UNIX_EPOCH + Duration::from_millis(1_777_477_331_094)
    }

    fn cli_default() -> Manifest {
        let mut m = Manifest::new_phase0(t0());
        m.elastickv_version = "dev".into();
        m.cluster_id = b"ek-test".to_vec();
        m.snapshot_index = 64;
        m.last_commit_ts = 1;
        m.source = Some(Source {
            fsm_path: b"/data/0000000000000064.fsm".to_vec(),
            fsm_crc32c: String::new(),
        });
        m.adapters = Adapters {
            dynamodb: Some(AdapterScope::default()),
            s3: Some(AdapterScope::default()),
            redis: Some(AdapterScope::default()),
            sqs: Some(AdapterScope::default()),
        };
        m
    }

    const GOLDEN: &str = r#"{
  "format_version": 1,
  "phase": "phase0-snapshot-decode",
  "elastickv_version": "dev",
  "cluster_id": "ek-test",
  "snapshot_index": 64,
  "last_commit_ts": 1,
  "wall_time_iso": "2026-04-29T15:42:11.094Z",
  "source": {
    "fsm_path": "/data/0000000000000064.fsm"
  },
  "adapters": {
    "dynamodb": {},
    "s3": {},
    "redis": {},
    "sqs": {}
  },
  "exclusions": {
    "include_incomplete_uploads": false,
    "include_orphans": false,
    "preserve_sqs_visibility": false,
    "include_sqs_side_records": false
  },
  "checksum_algorithm": "sha256",
  "checksum_format": "sha256sum",
  "encoded_filename_charset": "rfc3986-unreserved-plus-percent",
  "key_segment_max_bytes": 240,
  "s3_meta_suffix": ".elastickv-meta.json",
  "s3_collision_strategy": "leaf-data-suffix",
  "dynamodb_layout": "per-item"
}
"#;

    fn read_str(s: &str) -> Result<Manifest, ManifestError> {
        read_manifest(s.as_bytes())
    }

    fn is_invalid(r: Result<Manifest, ManifestError>) -> bool {
        matches!(r, Err(ManifestError::Invalid(_)))
    }

    fn is_unsupported(r: Result<Manifest, ManifestError>) -> bool {
        matches!(r, Err(ManifestError::UnsupportedFormatVersion(_)))
    }

    /// The golden document with one line replaced.
    fn golden_with(from: &str, to: &str) -> String {
        assert!(GOLDEN.contains(from), "{from}");
        GOLDEN.replacen(from, to, 1)
    }

    #[test]
    fn golden_default_cli_output() {
        let bytes = cli_default().to_json().unwrap();
        assert_eq!(std::str::from_utf8(&bytes).unwrap(), GOLDEN);
        assert_eq!(read_str(GOLDEN).unwrap(), cli_default());
    }

    #[test]
    fn wall_time_formatting() {
        assert_eq!(format_wall_time(t0()), "2026-04-29T15:42:11.094Z");
        assert_eq!(format_wall_time(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_wall_time(UNIX_EPOCH + Duration::new(1, 500_000_000)),
            "1970-01-01T00:00:01.5Z"
        );
        assert_eq!(
            format_wall_time(UNIX_EPOCH + Duration::new(1, 1)),
            "1970-01-01T00:00:01.000000001Z"
        );
        assert_eq!(
            format_wall_time(UNIX_EPOCH + Duration::new(86_400 * 59, 120_000_000)),
            "1970-03-01T00:00:00.12Z"
        );
    }

    #[test]
    fn rfc3339_acceptance_like_go() {
        for ok in [
            "2026-04-29T15:42:11Z",
            "2026-04-29T15:42:11.094Z",
            "2026-04-29T15:42:11.123456789123Z",
            "2026-04-29T15:42:11,5Z",
            "2026-04-29T15:42:11+09:00",
            "2026-04-29T15:42:11-24:00",
            "2026-04-29T5:42:11Z",
            "2024-02-29T00:00:00Z",
            "0000-01-01T00:00:00Z",
        ] {
            assert!(is_go_rfc3339(ok), "{ok}");
        }
        for bad in [
            "",
            "not-a-date",
            "2026-04-29",
            "2026-04-29 15:42:11Z",
            "2026-04-29t15:42:11Z",
            "2026-04-29T15:42:11z",
            "2026-04-29T15:42:11",
            "2026-04-29T15:42:11.Z",
            "2026-04-29T24:00:00Z",
            "2026-04-29T15:60:00Z",
            "2026-04-29T15:42:60Z",
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-4-29T15:42:11Z",
            "2026-04-29T15:42:11+0900",
            "2026-04-29T15:42:11+25:00",
            "2026-04-29T15:42:11Z ",
            "+2026-04-29T15:42:11Z",
        ] {
            assert!(!is_go_rfc3339(bad), "{bad}");
        }
    }

    // ---- core.md §9.5 ----------------------------------------------------------------

    #[test]
    fn phase0_round_trip() {
        let mut m = cli_default();
        m.adapters.dynamodb = Some(AdapterScope {
            tables: vec!["orders".into(), "a<b>&".into()],
            ..Default::default()
        });
        m.adapters.s3 = Some(AdapterScope {
            buckets: vec!["b1".into()],
            ..Default::default()
        });
        m.adapters.redis = Some(AdapterScope {
            databases: vec![0, 3],
            ..Default::default()
        });
        m.adapters.sqs = Some(AdapterScope {
            queues: vec!["q".into()],
            ..Default::default()
        });
        m.source.as_mut().unwrap().fsm_crc32c = "0badf00d".into();
        m.exclusions.rename_s3_collisions = true;
        m.exclusions.include_orphans = true;
        let bytes = m.to_json().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains("\"a<b>&\""), "no HTML escaping");
        assert!(text.contains("\"rename_s3_collisions\": true"));
        let back = read_manifest(&bytes).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.phase, Phase::Phase0SnapshotDecode);
        assert_eq!(back.snapshot_index, 64);
        assert!(back.live.is_none());
    }

    fn phase1() -> Manifest {
        let mut m = Manifest::new_phase0(t0());
        m.phase = Phase::Phase1LivePinned;
        m.live = Some(Live {
            read_ts: 12345,
            pin_token_sha256: String::new(),
        });
        m
    }

    #[test]
    fn phase1_must_set_live() {
        let mut m = phase1();
        m.live = None;
        assert!(matches!(m.to_json(), Err(ManifestError::Invalid(_))));
    }

    #[test]
    fn phase1_rejects_zero_read_ts() {
        let mut m = phase1();
        m.live.as_mut().unwrap().read_ts = 0;
        assert!(matches!(m.to_json(), Err(ManifestError::Invalid(_))));
    }

    #[test]
    fn phase1_with_live_and_non_zero_read_ts_is_valid() {
        let mut m = phase1();
        m.live.as_mut().unwrap().pin_token_sha256 = "ab".repeat(32);
        let bytes = m.to_json().unwrap();
        assert_eq!(read_manifest(&bytes).unwrap(), m);
    }

    #[test]
    fn phase1_must_not_set_source() {
        let mut m = phase1();
        m.source = Some(Source::default());
        assert!(matches!(m.to_json(), Err(ManifestError::Invalid(_))));
    }

    #[test]
    fn phase0_must_not_set_live() {
        let mut m = Manifest::new_phase0(t0());
        m.live = Some(Live {
            read_ts: 1,
            pin_token_sha256: String::new(),
        });
        assert!(matches!(m.to_json(), Err(ManifestError::Invalid(_))));
        // ... also on read.
        let text = golden_with(
            "  \"adapters\": {",
            "  \"live\": {\"read_ts\": 1},\n  \"adapters\": {",
        );
        assert!(is_invalid(read_str(&text)));
    }

    #[test]
    fn read_rejects_future_format_version() {
        assert!(is_unsupported(read_str(&golden_with(
            "\"format_version\": 1",
            "\"format_version\": 2"
        ))));
    }

    #[test]
    fn future_major_version_takes_precedence_over_type_mismatch() {
        let text = golden_with("\"format_version\": 1", "\"format_version\": 999").replacen(
            "\"phase0-snapshot-decode\"",
            "42",
            1,
        );
        assert!(is_unsupported(read_str(&text)));
        assert!(is_unsupported(read_str(
            r#"{"format_version": 7, "adapters": "x"}"#
        )));
    }

    #[test]
    fn read_rejects_zero_format_version() {
        assert!(is_unsupported(read_str(&golden_with(
            "\"format_version\": 1",
            "\"format_version\": 0"
        ))));
    }

    #[test]
    fn read_rejects_missing_format_version() {
        let text = golden_with("  \"format_version\": 1,\n", "");
        assert!(is_invalid(read_str(&text)));
        // Exact-case presence check: a differently-cased key does not count.
        let text = golden_with("\"format_version\": 1", "\"Format_Version\": 1");
        assert!(is_invalid(read_str(&text)));
    }

    #[test]
    fn read_rejects_null_format_version() {
        assert!(is_invalid(read_str(&golden_with(
            "\"format_version\": 1",
            "\"format_version\": null"
        ))));
    }

    #[test]
    fn read_rejects_non_uint32_format_version_literals() {
        for lit in [
            "1.0",
            "1e0",
            "\"1\"",
            "-1",
            "-0",
            "4294967296",
            "true",
            "[1]",
        ] {
            let text = golden_with(
                "\"format_version\": 1",
                &format!("\"format_version\": {lit}"),
            );
            assert!(is_invalid(read_str(&text)), "{lit}");
        }
        let text = golden_with("\"format_version\": 1", "\"format_version\": 4294967295");
        assert!(is_unsupported(read_str(&text)));
    }

    #[test]
    fn write_rejects_future_format_version() {
        let mut m = cli_default();
        m.format_version = 2;
        assert!(matches!(m.to_json(), Err(ManifestError::Invalid(_))));
        m.format_version = 0;
        assert!(matches!(m.to_json(), Err(ManifestError::Invalid(_))));
    }

    #[test]
    fn read_accepts_unknown_fields() {
        let text = golden_with(
            "  \"dynamodb_layout\": \"per-item\"\n",
            "  \"dynamodb_layout\": \"per-item\",\n  \"future_optional_field\": {\"x\": [1, 2]}\n",
        );
        assert_eq!(read_str(&text).unwrap(), cli_default());
    }

    #[test]
    fn read_rejects_unknown_phase() {
        assert!(is_invalid(read_str(&golden_with(
            "\"phase0-snapshot-decode\"",
            "\"phase99-future\""
        ))));
    }

    #[test]
    fn read_rejects_bad_wall_time() {
        assert!(is_invalid(read_str(&golden_with(
            "\"2026-04-29T15:42:11.094Z\"",
            "\"not-a-date\""
        ))));
        assert!(is_invalid(read_str(&golden_with(
            "\"2026-04-29T15:42:11.094Z\"",
            "\"\""
        ))));
    }

    #[test]
    fn read_rejects_unsupported_dynamodb_layout() {
        assert!(is_invalid(read_str(&golden_with(
            "\"per-item\"",
            "\"bogus\""
        ))));
        let jsonl = read_str(&golden_with("\"per-item\"", "\"jsonl\"")).unwrap();
        assert_eq!(jsonl.dynamodb_layout, DynamoDbLayout::Jsonl);
    }

    #[test]
    fn new_phase0_defaults_are_populated() {
        let m = Manifest::new_phase0(t0());
        assert_eq!(m.format_version, 1);
        assert_eq!(m.phase, Phase::Phase0SnapshotDecode);
        assert_eq!(m.checksum_algorithm, "sha256");
        assert_eq!(m.checksum_format, "sha256sum");
        assert_eq!(
            m.encoded_filename_charset,
            "rfc3986-unreserved-plus-percent"
        );
        assert_eq!(m.s3_meta_suffix, ".elastickv-meta.json");
        assert_eq!(m.s3_collision_strategy, "leaf-data-suffix");
        assert_eq!(m.dynamodb_layout, DynamoDbLayout::PerItem);
        assert_eq!(m.key_segment_max_bytes, 240);
        assert_eq!(m.wall_time_iso, "2026-04-29T15:42:11.094Z");
        m.validate().unwrap();
    }

    #[test]
    fn read_rejects_trailing_bytes() {
        let two = format!("{GOLDEN}{GOLDEN}");
        assert!(is_invalid(read_str(&two)));
        assert!(is_invalid(read_str(&format!("{GOLDEN}garbage"))));
        assert!(read_str(&format!("{GOLDEN} \n\t\r\n")).is_ok());
    }

    #[test]
    fn adapters_nil_vs_empty_distinguished_on_disk() {
        let mut m = Manifest::new_phase0(t0());
        m.adapters.dynamodb = Some(AdapterScope::default());
        let text = String::from_utf8(m.to_json().unwrap()).unwrap();
        assert!(text.contains("\"dynamodb\": {}"));
        for absent in ["\"s3\"", "\"redis\"", "\"sqs\""] {
            assert!(!text.contains(absent), "{absent}");
        }
        let back = read_str(&text).unwrap();
        assert_eq!(back.adapters.dynamodb, Some(AdapterScope::default()));
        assert_eq!(back.adapters.s3, None);
    }

    #[test]
    fn read_rejects_missing_adapters() {
        let text = golden_with(
            "  \"adapters\": {\n    \"dynamodb\": {},\n    \"s3\": {},\n    \"redis\": {},\n    \"sqs\": {}\n  },\n",
            "",
        );
        assert!(is_invalid(read_str(&text)));
        let text = golden_with(
            "\"adapters\": {\n    \"dynamodb\": {},\n    \"s3\": {},\n    \"redis\": {},\n    \"sqs\": {}\n  }",
            "\"adapters\": null",
        );
        assert!(is_invalid(read_str(&text)));
    }

    const EXCLUSIONS_BLOCK: &str = "  \"exclusions\": {\n    \"include_incomplete_uploads\": false,\n    \"include_orphans\": false,\n    \"preserve_sqs_visibility\": false,\n    \"include_sqs_side_records\": false\n  },\n";

    #[test]
    fn read_rejects_missing_exclusions() {
        assert!(is_invalid(read_str(&golden_with(EXCLUSIONS_BLOCK, ""))));
        assert!(is_invalid(read_str(&golden_with(
            EXCLUSIONS_BLOCK,
            "  \"exclusions\": null,\n"
        ))));
    }

    #[test]
    fn read_rejects_missing_exclusion_flag() {
        let flags = [
            "include_incomplete_uploads",
            "include_orphans",
            "preserve_sqs_visibility",
            "include_sqs_side_records",
        ];
        for skip in flags {
            let body: Vec<String> = flags
                .iter()
                .filter(|f| **f != skip)
                .map(|f| format!("\"{f}\": false"))
                .collect();
            let block = format!("  \"exclusions\": {{{}}},\n", body.join(", "));
            assert!(
                is_invalid(read_str(&golden_with(EXCLUSIONS_BLOCK, &block))),
                "{skip}"
            );
        }
        assert!(is_invalid(read_str(&golden_with(
            "\"preserve_sqs_visibility\": false",
            "\"preserve_sqs_visibility\": null"
        ))));
        assert!(is_invalid(read_str(&golden_with(
            "\"preserve_sqs_visibility\": false",
            "\"preserve_sqs_visibility\": \"no\""
        ))));
    }

    #[test]
    fn write_produces_pretty_json_with_trailing_newline() {
        let bytes = cli_default().to_json().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains("\n  \"format_version\""));
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn legacy_manifest_omits_rename_s3_collisions() {
        let m = read_str(GOLDEN).unwrap();
        assert!(!m.exclusions.rename_s3_collisions);
        let with = read_str(&golden_with(
            "\"include_sqs_side_records\": false",
            "\"include_sqs_side_records\": false, \"rename_s3_collisions\": true",
        ))
        .unwrap();
        assert!(with.exclusions.rename_s3_collisions);
    }

    // ---- Go decode semantics ---------------------------------------------------------

    #[test]
    fn typed_decode_is_case_insensitive_and_last_wins() {
        let m = read_str(&golden_with(
            "\"phase\": \"phase0-snapshot-decode\"",
            "\"phase\": \"bogus\", \"PHASE\": \"phase0-snapshot-decode\", \"Cluster_ID\": null",
        ))
        .unwrap();
        assert_eq!(m.phase, Phase::Phase0SnapshotDecode);
        assert_eq!(m.cluster_id, b"ek-test");
    }

    #[test]
    fn typed_decode_type_mismatch_is_invalid() {
        for (from, to) in [
            ("\"snapshot_index\": 64", "\"snapshot_index\": \"64\""),
            ("\"snapshot_index\": 64", "\"snapshot_index\": -64"),
            ("\"snapshot_index\": 64", "\"snapshot_index\": 6.4"),
            (
                "\"key_segment_max_bytes\": 240",
                "\"key_segment_max_bytes\": 4294967296",
            ),
            ("\"cluster_id\": \"ek-test\"", "\"cluster_id\": 7"),
            ("\"source\": {", "\"source\": [], \"x\": {"),
            ("\"dynamodb\": {}", "\"dynamodb\": {\"tables\": \"t\"}"),
            ("\"redis\": {}", "\"redis\": {\"databases\": [-1]}"),
        ] {
            assert!(is_invalid(read_str(&golden_with(from, to))), "{to}");
        }
    }

    #[test]
    fn null_fields_decode_like_go() {
        // null string -> unchanged (empty) -> validation decides.
        assert!(is_invalid(read_str(&golden_with(
            "\"checksum_format\": \"sha256sum\"",
            "\"checksum_format\": null"
        ))));
        // null optional pointer -> absent.
        let m = read_str(&golden_with(
            "\"source\": {\n    \"fsm_path\": \"/data/0000000000000064.fsm\"\n  }",
            "\"source\": null",
        ))
        .unwrap();
        assert!(m.source.is_none());
        // null adapter -> excluded.
        let m = read_str(&golden_with("\"s3\": {}", "\"s3\": null")).unwrap();
        assert!(m.adapters.s3.is_none());
        // key_segment_max_bytes null -> zero -> invalid.
        assert!(is_invalid(read_str(&golden_with(
            "\"key_segment_max_bytes\": 240",
            "\"key_segment_max_bytes\": null"
        ))));
    }

    #[test]
    fn non_object_documents_are_invalid() {
        for doc in ["[]", "null", "1", "\"x\"", ""] {
            assert!(is_invalid(read_str(doc)), "{doc}");
        }
    }

    #[test]
    fn non_utf8_cluster_id_and_path_render_like_go() {
        let mut m = cli_default();
        m.cluster_id = b"a\xffb".to_vec();
        m.source.as_mut().unwrap().fsm_path = b"/x/\xfe.fsm".to_vec();
        let text = String::from_utf8(m.to_json().unwrap()).unwrap();
        assert!(text.contains(r#""cluster_id": "a\ufffdb""#));
        assert!(text.contains(r#""fsm_path": "/x/\ufffd.fsm""#));
    }

    // ---- extensions ------------------------------------------------------------------

    fn with_extensions() -> Manifest {
        let mut m = cli_default();
        m.ekvsnap_version = "0.1.0".into();
        m.input = Some(InputInfo {
            framing: "node-v2".into(),
            fsm_header: Some(FsmHeaderInfo::V2 {
                ceiling_ms: 1_777_477_331_094,
                cutover_index: 99,
            }),
            crc32c: Crc32cInfo::Verified(0x0a1b_2c3d),
        });
        m.snapshot_index_source = Some(SnapshotIndexSource::MetaAppliedIndex);
        m.read_ts = Some(ReadTsInfo {
            value: Some(42),
            source: ReadTsSource::LastCommitTs,
        });
        m.counters = vec![
            ("total".into(), 5),
            ("redis".into(), 3),
            ("internal".into(), 2),
        ];
        m
    }

    #[test]
    fn extensions_render_after_upstream_fields() {
        let text = String::from_utf8(with_extensions().to_json().unwrap()).unwrap();
        let tail = r#"  "dynamodb_layout": "per-item",
  "ekvsnap_version": "0.1.0",
  "input": {
    "framing": "node-v2",
    "fsm_header": {
      "version": 2,
      "ceiling_ms": 1777477331094,
      "cutover_index": 99
    },
    "crc32c": {
      "status": "verified",
      "value": "0a1b2c3d"
    }
  },
  "snapshot_index_source": "meta-applied-index",
  "read_ts": {
    "value": 42,
    "source": "last-commit-ts"
  },
  "counters": {
    "total": 5,
    "redis": 3,
    "internal": 2
  }
}
"#;
        assert!(text.ends_with(tail), "{text}");
        // Upstream's fields are unchanged in front of them.
        assert!(text.starts_with(&GOLDEN[..GOLDEN.len() - "\n}\n".len()]));
    }

    #[test]
    fn extensions_round_trip() {
        let m = with_extensions();
        assert_eq!(read_manifest(&m.to_json().unwrap()).unwrap(), m);
        let mut v1 = with_extensions();
        v1.input = Some(InputInfo {
            framing: "stdin".into(),
            fsm_header: Some(FsmHeaderInfo::V1 { ceiling_ms: 7 }),
            crc32c: Crc32cInfo::Absent,
        });
        v1.snapshot_index_source = Some(SnapshotIndexSource::Unavailable);
        v1.read_ts = Some(ReadTsInfo {
            value: None,
            source: ReadTsSource::Unknown,
        });
        let text = String::from_utf8(v1.to_json().unwrap()).unwrap();
        assert!(text.contains("\"snapshot_index_source\": \"none\""));
        assert!(!text.contains("\"value\": \""));
        assert_eq!(read_str(&text).unwrap(), v1);
    }

    #[test]
    fn unknown_extension_shapes_are_skipped_not_rejected() {
        // A newer ekvsnap may add values to its own fields; the manifest stays readable (the
        // version gate is format_version alone) and only the field not understood is dropped.
        let base = String::from_utf8(with_extensions().to_json().unwrap()).unwrap();
        /// (text to replace, replacement, "the field was dropped").
        type Case = (&'static str, &'static str, fn(&Manifest) -> bool);
        let cases: [Case; 7] = [
            ("\"framing\": \"node-v2\"", "\"framing\": 2", |m| {
                m.input.is_none()
            }),
            ("\"version\": 2", "\"version\": 3", |m| m.input.is_none()),
            ("\"status\": \"verified\"", "\"status\": \"ok\"", |m| {
                m.input.is_none()
            }),
            ("\"value\": \"0a1b2c3d\"", "\"value\": \"0A1B2C3D\"", |m| {
                m.input.is_none()
            }),
            ("\"source\": \"last-commit-ts\"", "\"source\": \"x\"", |m| {
                m.read_ts.is_none()
            }),
            ("\"total\": 5", "\"total\": -5", |m| m.counters.is_empty()),
            (
                "\"snapshot_index_source\": \"meta-applied-index\"",
                "\"snapshot_index_source\": 1",
                |m| m.snapshot_index_source.is_none(),
            ),
        ];
        let full = read_str(&base).unwrap();
        for (from, to, dropped) in cases {
            assert!(base.contains(from), "{from}");
            let m = read_str(&base.replacen(from, to, 1)).unwrap();
            assert!(dropped(&m), "{to}: field kept");
            assert!(!dropped(&full), "{from}: field missing in the original");
            assert_eq!(m.format_version, 1);
        }
    }

    #[test]
    fn read_ts_without_value_round_trips() {
        let mut m = with_extensions();
        m.read_ts = Some(ReadTsInfo {
            value: None,
            source: ReadTsSource::Unknown,
        });
        let text = String::from_utf8(m.to_json().unwrap()).unwrap();
        assert!(
            text.contains("\"read_ts\": {\n    \"source\": \"unknown\"\n  }"),
            "{text}"
        );
        assert_eq!(read_str(&text).unwrap(), m);
    }

    #[test]
    fn write_manifest_publishes_file() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        write_manifest(&tree, &cli_default()).unwrap();
        let path = tmp.path().join(MANIFEST_FILENAME);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), GOLDEN);
        assert_eq!(read_manifest_file(&path).unwrap(), cli_default());
        // An invalid manifest writes nothing.
        let mut bad = cli_default();
        bad.checksum_algorithm.clear();
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            write_manifest(&tree, &bad),
            Err(ManifestError::Invalid(_))
        ));
        assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
    }
}

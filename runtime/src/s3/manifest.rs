//! Object manifests: the `!s3|obj|head|` JSON decoded with Go's rules (s3.md §4.1, §4.3),
//! the declared parts assembly works from, and the `<key>.elastickv-meta.json` sidecar
//! (s3.md §7.3, §7.5), rendered when the manifest arrives.

use std::collections::BTreeMap;

use crate::json::{
    go_bool, go_field_index, go_int64, go_kind, go_string, go_uint64, unmarshal_struct,
    GoFieldError, GoStructError, JsonValue, JsonWriter,
};
use crate::spill::SpillError;

use super::codec::{Reader, Writer};
use super::error::ManifestReason;

/// The manifest's JSON keys the decoder reads (upstream's `s3PublicManifest`).
const FIELDS: [&str; 10] = [
    "upload_id",
    "etag",
    "size_bytes",
    "last_modified_hlc",
    "content_type",
    "content_encoding",
    "cache_control",
    "content_disposition",
    "user_metadata",
    "parts",
];

/// The JSON keys of one element of `parts`.
const PART_FIELDS: [&str; 8] = [
    "part_no",
    "etag",
    "size_bytes",
    "chunk_count",
    "chunk_sizes",
    "part_version",
    "chunk_ref_version",
    "offloaded",
];

/// A Go slice being decoded: Go decodes a JSON array into the slice's existing backing
/// array (elements are decoded *into* what is there, and `null` elements leave it), so the
/// backing beyond the current length survives a shorter array and shows through a longer
/// one; `null` and `[]` drop it (s3.md §4.1).
#[derive(Debug, Clone, Default)]
struct GoSlice<T> {
    backing: Vec<T>,
    len: usize,
}

impl<T: Default> GoSlice<T> {
    fn items(&self) -> &[T] {
        &self.backing[..self.len]
    }

    fn store(
        &mut self,
        value: &JsonValue,
        target: &'static str,
        mut element: impl FnMut(&mut T, &JsonValue) -> Result<(), GoFieldError>,
    ) -> Result<(), GoFieldError> {
        match value {
            JsonValue::Null => *self = GoSlice::default(),
            JsonValue::Array(items) if items.is_empty() => *self = GoSlice::default(),
            JsonValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i == self.backing.len() {
                        self.backing.push(T::default());
                    }
                    element(&mut self.backing[i], item)?;
                }
                self.len = items.len();
            }
            other => {
                return Err(GoFieldError::Type {
                    found: go_kind(other),
                    target,
                })
            }
        }
        Ok(())
    }
}

fn store<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

fn string(v: &JsonValue) -> Result<Option<String>, GoFieldError> {
    Ok(go_string(v)?.map(str::to_owned))
}

/// One element of `parts` as Go holds it while decoding.
#[derive(Debug, Clone, Default)]
struct JsonPart {
    part_no: u64,
    size_bytes: i64,
    chunk_count: u64,
    chunk_sizes: GoSlice<u64>,
    part_version: u64,
    chunk_ref_version: u64,
    offloaded: bool,
}

impl JsonPart {
    /// Decodes one array element into `self` (Go's struct decode: `null` leaves it, members
    /// fill matching fields, unknown ones are skipped).
    fn store(&mut self, value: &JsonValue) -> Result<(), GoFieldError> {
        let members = match value {
            JsonValue::Null => return Ok(()),
            JsonValue::Object(members) => members,
            other => {
                return Err(GoFieldError::Type {
                    found: go_kind(other),
                    target: "backup.s3PublicPart",
                })
            }
        };
        for (key, v) in members {
            let Some(index) = go_field_index(key, &PART_FIELDS) else {
                continue;
            };
            match PART_FIELDS[index] {
                "part_no" => store(&mut self.part_no, go_uint64(v)?),
                "etag" => {
                    go_string(v)?;
                }
                "size_bytes" => store(&mut self.size_bytes, go_int64(v)?),
                "chunk_count" => store(&mut self.chunk_count, go_uint64(v)?),
                "chunk_sizes" => self.chunk_sizes.store(v, "[]uint64", |slot, item| {
                    store(slot, go_uint64(item)?);
                    Ok(())
                })?,
                "part_version" => store(&mut self.part_version, go_uint64(v)?),
                "chunk_ref_version" => store(&mut self.chunk_ref_version, go_uint64(v)?),
                "offloaded" => store(&mut self.offloaded, go_bool(v)?),
                other => unreachable!("part field {other} listed but not stored"),
            }
        }
        Ok(())
    }
}

/// The manifest JSON as Go holds it after `json.Unmarshal`.
#[derive(Debug, Clone, Default)]
struct JsonManifest {
    upload_id: String,
    etag: String,
    size_bytes: i64,
    last_modified_hlc: u64,
    content_type: String,
    content_encoding: String,
    cache_control: String,
    content_disposition: String,
    /// `None` = nil map.
    user_metadata: Option<BTreeMap<String, String>>,
    parts: GoSlice<JsonPart>,
}

impl JsonManifest {
    fn set(&mut self, field: &str, v: &JsonValue) -> Result<(), GoFieldError> {
        match field {
            "upload_id" => store(&mut self.upload_id, string(v)?),
            "etag" => store(&mut self.etag, string(v)?),
            "size_bytes" => store(&mut self.size_bytes, go_int64(v)?),
            "last_modified_hlc" => store(&mut self.last_modified_hlc, go_uint64(v)?),
            "content_type" => store(&mut self.content_type, string(v)?),
            "content_encoding" => store(&mut self.content_encoding, string(v)?),
            "cache_control" => store(&mut self.cache_control, string(v)?),
            "content_disposition" => store(&mut self.content_disposition, string(v)?),
            "user_metadata" => match v {
                JsonValue::Null => self.user_metadata = None,
                JsonValue::Object(members) => {
                    let map = self.user_metadata.get_or_insert_with(BTreeMap::new);
                    for (key, value) in members {
                        // A map element starts from zero, so `null` stores "".
                        let text = match value {
                            JsonValue::Null => String::new(),
                            JsonValue::String(s) => s.clone(),
                            other => {
                                return Err(GoFieldError::Type {
                                    found: go_kind(other),
                                    target: "string",
                                })
                            }
                        };
                        map.insert(key.clone(), text);
                    }
                }
                other => {
                    return Err(GoFieldError::Type {
                        found: go_kind(other),
                        target: "map[string]string",
                    })
                }
            },
            "parts" => self
                .parts
                .store(v, "[]backup.s3PublicPart", JsonPart::store)?,
            other => unreachable!("field {other} is listed in FIELDS but not stored"),
        }
        Ok(())
    }
}

/// A part the manifest declares, keyed by `(part_no, version, offloaded)` (s3.md §4.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredPart {
    pub part_no: u64,
    /// `chunk_ref_version` when offloaded, `part_version` otherwise.
    pub version: u64,
    pub offloaded: bool,
    pub chunk_count: u64,
    pub size_bytes: i64,
    /// Offloaded parts only (ignored for the others, s3.md §4.3).
    pub chunk_sizes: Vec<u64>,
}

impl DeclaredPart {
    /// The declared-part key, in assembly order (non-offloaded before offloaded).
    pub fn key(&self) -> (u64, u64, bool) {
        (self.part_no, self.version, self.offloaded)
    }
}

/// What finalize needs of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Compared byte for byte with the chunks' upload ids.
    pub upload_id: Vec<u8>,
    pub size_bytes: i64,
    /// Declared parts in assembly order, one per key (a later duplicate in the JSON wins).
    pub parts: Vec<DeclaredPart>,
    /// The rendered `<key>.elastickv-meta.json`.
    pub sidecar: Vec<u8>,
}

impl Manifest {
    /// Decodes a manifest value; offloaded parts must list one size per chunk.
    pub fn decode(json: &[u8]) -> Result<Manifest, ManifestReason> {
        let mut m = JsonManifest::default();
        unmarshal_struct(json, &FIELDS, |field, member| m.set(field, &member.value))
            .map_err(|e: GoStructError| ManifestReason::Json(e))?;
        let mut declared = BTreeMap::new();
        for part in m.parts.items() {
            let sizes = part.chunk_sizes.items();
            if part.offloaded && sizes.len() as u64 != part.chunk_count {
                return Err(ManifestReason::ChunkSizes {
                    part_no: part.part_no,
                    chunk_count: part.chunk_count,
                    sizes: sizes.len(),
                });
            }
            let version = if part.offloaded {
                part.chunk_ref_version
            } else {
                part.part_version
            };
            let declared_part = DeclaredPart {
                part_no: part.part_no,
                version,
                offloaded: part.offloaded,
                chunk_count: part.chunk_count,
                size_bytes: part.size_bytes,
                chunk_sizes: if part.offloaded {
                    sizes.to_vec()
                } else {
                    Vec::new()
                },
            };
            declared.insert(declared_part.key(), declared_part);
        }
        Ok(Manifest {
            upload_id: m.upload_id.as_bytes().to_vec(),
            size_bytes: m.size_bytes,
            parts: declared.into_values().collect(),
            sidecar: render_sidecar(&m),
        })
    }

    pub(super) fn encode(&self, w: &mut Writer<'_>) {
        w.bytes(&self.upload_id);
        w.u64(self.size_bytes as u64);
        w.bytes(&self.sidecar);
        w.u64(self.parts.len() as u64);
        for p in &self.parts {
            w.u64(p.part_no);
            w.u64(p.version);
            w.u8(u8::from(p.offloaded));
            w.u64(p.chunk_count);
            w.u64(p.size_bytes as u64);
            w.u64(p.chunk_sizes.len() as u64);
            for &s in &p.chunk_sizes {
                w.u64(s);
            }
        }
    }

    pub(super) fn decode_spilled(r: &mut Reader<'_>) -> Result<Manifest, SpillError> {
        let upload_id = r.bytes()?.to_vec();
        let size_bytes = r.u64()? as i64;
        let sidecar = r.bytes()?.to_vec();
        let count = r.count(8 * 5 + 1)?;
        let mut parts = Vec::with_capacity(count);
        for _ in 0..count {
            let part_no = r.u64()?;
            let version = r.u64()?;
            let offloaded = r.u8()? != 0;
            let chunk_count = r.u64()?;
            let size_bytes = r.u64()? as i64;
            let sizes = r.count(8)?;
            let chunk_sizes = (0..sizes).map(|_| r.u64()).collect::<Result<_, _>>()?;
            parts.push(DeclaredPart {
                part_no,
                version,
                offloaded,
                chunk_count,
                size_bytes,
                chunk_sizes,
            });
        }
        Ok(Manifest {
            upload_id,
            size_bytes,
            parts,
            sidecar,
        })
    }

    /// Heap bytes held (for the memory budget).
    pub(super) fn heap_bytes(&self) -> usize {
        self.upload_id.len()
            + self.sidecar.len()
            + self.parts.len() * std::mem::size_of::<DeclaredPart>()
            + self
                .parts
                .iter()
                .map(|p| p.chunk_sizes.len() * 8)
                .sum::<usize>()
    }
}

/// The sidecar: `MarshalIndent` with HTML escaping, fields in upstream's order, empty
/// strings and an empty `user_metadata` omitted, `size_bytes` always, no trailing newline.
fn render_sidecar(m: &JsonManifest) -> Vec<u8> {
    let mut w = JsonWriter::pretty();
    w.begin_object();
    w.key("format_version").u64(1);
    if !m.etag.is_empty() {
        w.key("etag").str(&m.etag);
    }
    w.key("size_bytes").i64(m.size_bytes);
    if m.last_modified_hlc != 0 {
        w.key("last_modified")
            .str(&format_hlc_time(m.last_modified_hlc));
    }
    for (key, value) in [
        ("content_type", &m.content_type),
        ("content_encoding", &m.content_encoding),
        ("cache_control", &m.cache_control),
        ("content_disposition", &m.content_disposition),
    ] {
        if !value.is_empty() {
            w.key(key).str(value);
        }
    }
    if let Some(meta) = m.user_metadata.as_ref().filter(|m| !m.is_empty()) {
        w.key("user_metadata").begin_object();
        for (key, value) in meta {
            w.key(key).str(value);
        }
        w.end_object();
    }
    w.end_object();
    w.into_bytes()
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Howard Hinnant's algorithm, for non-negative day numbers.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `last_modified`: the HLC's physical milliseconds (upper 48 bits) as Go's
/// `time.UnixMilli(ms).UTC().Format(time.RFC3339Nano)` (s3.md §7.5): at most three
/// fraction digits, trailing zeros dropped, none for whole seconds; years past 9999 in five
/// digits.
pub fn format_hlc_time(hlc: u64) -> String {
    let ms = hlc >> 16;
    let (secs, millis) = (ms / 1000, ms % 1000);
    let (days, sod) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if millis != 0 {
        let fraction = format!("{millis:03}");
        out.push('.');
        out.push_str(fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

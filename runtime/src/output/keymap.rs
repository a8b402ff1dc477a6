//! `KEYMAP.jsonl` (core.md §4): maps names that cannot be reversed from disk (SHA fallback,
//! S3 renames) back to the original key bytes.
//!
//! Line format (compact, fields in this order, no HTML escaping, `\n`-terminated):
//! `{"encoded":"<name>","original":"<base64url, no padding>","kind":"<kind>"}`.

use std::collections::HashMap;
use std::io::BufRead;
use std::sync::Arc;

use super::filename::{decode_base64url_lenient, encode_base64url};
use super::lines::{BoundedLines, LineError};
use super::path::RelPath;
use super::tree::{JsonlWriter, OutputTree, TreeError};
use crate::json::{self, JsonStyle, JsonValue, JsonWriter};

/// File name of the key map inside a scope directory.
pub const KEYMAP_FILENAME: &str = "KEYMAP.jsonl";
/// Kind of a Redis (or other) SHA-fallback name.
pub const KIND_SHA_FALLBACK: &str = "sha-fallback";
/// Kind of an S3 object renamed to `<key>.elastickv-leaf-data`.
pub const KIND_S3_LEAF_DATA: &str = "s3-leaf-data";
/// Kind of an S3 object whose key ended in the meta suffix, renamed with `.user-data`.
pub const KIND_META_SUFFIX_RENAME: &str = "meta-suffix-rename";
/// Longest line accepted by the reader (Go scanner buffer size).
pub const MAX_KEYMAP_LINE_BYTES: usize = 4 << 20;

/// Errors of the key-map writer and reader.
#[derive(Debug, Clone, thiserror::Error)]
pub enum KeymapError {
    /// Writer: a record with an empty `encoded` or `kind`.
    #[error("backup: KEYMAP record {field} must be non-empty")]
    EmptyField { field: &'static str },
    /// Reader: `ErrInvalidKeymapRecord`.
    #[error("backup: invalid KEYMAP.jsonl record: line {line}: {reason}")]
    InvalidRecord { line: usize, reason: String },
    /// Reader: a line longer than [`MAX_KEYMAP_LINE_BYTES`].
    #[error("KEYMAP.jsonl line {line}: bufio.Scanner: token too long")]
    LineTooLong { line: usize },
    #[error("KEYMAP.jsonl: {0}")]
    Io(Arc<std::io::Error>),
    #[error(transparent)]
    Tree(Arc<TreeError>),
}

impl From<TreeError> for KeymapError {
    fn from(e: TreeError) -> Self {
        KeymapError::Tree(Arc::new(e))
    }
}

/// One record as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapRecord {
    /// The name as it appears on disk.
    pub encoded: String,
    /// The original key bytes (decoded from base64url).
    pub original: Vec<u8>,
    /// `sha-fallback`, `s3-leaf-data`, `meta-suffix-rename`, or anything else a producer
    /// wrote (the reader does not check kinds).
    pub kind: String,
}

/// Renders one record line (without the newline) into `out`.
///
/// `encoded` is taken as bytes because S3 object paths are raw; invalid UTF-8 is rendered
/// the way Go renders a Go string holding it.
pub fn render_keymap_line(out: &mut Vec<u8>, encoded: &[u8], original: &[u8], kind: &str) {
    let mut w = JsonWriter::with_buffer(std::mem::take(out), JsonStyle::Compact, false);
    w.begin_object()
        .key("encoded")
        .string(encoded)
        .key("original")
        .str(&encode_base64url(original))
        .key("kind")
        .str(kind)
        .end_object();
    *out = w.into_bytes();
}

/// Writes one scope's `KEYMAP.jsonl`. The file is created on the first record only, through
/// the output tree's temp + rename path; a writer finished with zero records leaves no file.
#[derive(Debug)]
pub struct KeymapWriter {
    tree: OutputTree,
    path: RelPath,
    out: Option<JsonlWriter>,
    line: Vec<u8>,
    count: u64,
}

impl KeymapWriter {
    /// A writer for `path` (normally `<scope>/KEYMAP.jsonl`) inside `tree`.
    pub fn new(tree: &OutputTree, path: RelPath) -> Self {
        KeymapWriter {
            tree: tree.clone(),
            path,
            out: None,
            line: Vec::new(),
            count: 0,
        }
    }

    /// Appends one record; refuses an empty `encoded` or `kind`.
    pub fn write(
        &mut self,
        encoded: &[u8],
        original: &[u8],
        kind: &str,
    ) -> Result<(), KeymapError> {
        if encoded.is_empty() {
            return Err(KeymapError::EmptyField { field: "encoded" });
        }
        if kind.is_empty() {
            return Err(KeymapError::EmptyField { field: "kind" });
        }
        if self.out.is_none() {
            self.out = Some(self.tree.create_jsonl(&self.path)?);
        }
        self.line.clear();
        render_keymap_line(&mut self.line, encoded, original, kind);
        self.out
            .as_mut()
            .expect("opened above")
            .write_line(&self.line)?;
        self.count += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Publishes the file (if any record was written); returns the record count.
    pub fn finish(self) -> Result<u64, KeymapError> {
        if let Some(out) = self.out {
            out.finish()?;
        }
        Ok(self.count)
    }
}

/// Streaming reader with upstream's rules (§4.3); errors are sticky.
pub struct KeymapReader<R> {
    lines: BoundedLines<R>,
    error: Option<KeymapError>,
}

impl<R: BufRead> KeymapReader<R> {
    pub fn new(reader: R) -> Self {
        KeymapReader {
            lines: BoundedLines::new(reader, MAX_KEYMAP_LINE_BYTES),
            error: None,
        }
    }

    /// The next record, `Ok(None)` at the end, or the (sticky) error.
    pub fn next_record(&mut self) -> Result<Option<KeymapRecord>, KeymapError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let n = self.lines.line_no() + 1;
        let result = match self.lines.next_line() {
            Ok(None) => return Ok(None),
            Ok(Some(line)) => parse_keymap_line(line)
                .map_err(|reason| KeymapError::InvalidRecord { line: n, reason }),
            Err(LineError::TooLong) => Err(KeymapError::LineTooLong { line: n }),
            Err(LineError::Io(e)) => Err(KeymapError::Io(Arc::new(e))),
        };
        match result {
            Ok(rec) => Ok(Some(rec)),
            Err(e) => {
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }
}

impl<R: BufRead> Iterator for KeymapReader<R> {
    type Item = Result<KeymapRecord, KeymapError>;

    /// Yields records, then at most one error (after which it ends).
    fn next(&mut self) -> Option<Self::Item> {
        if self.error.is_some() {
            return None;
        }
        self.next_record().transpose()
    }
}

/// Reads every record into a map keyed by `encoded`; the last record wins.
pub fn load_keymap<R: BufRead>(reader: R) -> Result<HashMap<String, KeymapRecord>, KeymapError> {
    let mut out = HashMap::new();
    let mut r = KeymapReader::new(reader);
    while let Some(rec) = r.next_record()? {
        out.insert(rec.encoded.clone(), rec);
    }
    Ok(out)
}

/// Go's decode of one string field: every member whose key matches (exact or folded) is
/// applied in order; `null` leaves the value unchanged; any non-string is a type error.
fn go_string_field(obj: &JsonValue, name: &str) -> Result<String, String> {
    let mut value = String::new();
    for member in obj.go_field_members(name) {
        match member {
            JsonValue::Null => {}
            JsonValue::String(s) => value = s.clone(),
            _ => return Err(format!("field {name:?}: not a string")),
        }
    }
    Ok(value)
}

fn parse_keymap_line(line: &[u8]) -> Result<KeymapRecord, String> {
    let doc = json::parse(line).map_err(|e| e.to_string())?;
    if doc.as_object().is_none() {
        return Err("not a JSON object".into());
    }
    for name in ["encoded", "original", "kind"] {
        match doc.get_exact(name) {
            None => return Err(format!("missing field {name:?}")),
            Some(JsonValue::Null) => return Err(format!("field {name:?} is null")),
            Some(_) => {}
        }
    }
    let encoded = go_string_field(&doc, "encoded")?;
    let original_b64 = go_string_field(&doc, "original")?;
    let kind = go_string_field(&doc, "kind")?;
    if encoded.is_empty() || kind.is_empty() {
        return Err("missing encoded or kind".into());
    }
    let original =
        decode_base64url_lenient(original_b64.as_bytes()).map_err(|e| format!("original: {e}"))?;
    Ok(KeymapRecord {
        encoded,
        original,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read_all(input: &[u8]) -> Result<Vec<KeymapRecord>, KeymapError> {
        let mut r = KeymapReader::new(Cursor::new(input.to_vec()));
        let mut v = Vec::new();
        while let Some(rec) = r.next_record()? {
            v.push(rec);
        }
        Ok(v)
    }

    fn first_err(input: &[u8]) -> KeymapError {
        read_all(input).unwrap_err()
    }

    fn is_invalid(e: &KeymapError) -> bool {
        matches!(e, KeymapError::InvalidRecord { .. })
    }

    #[test]
    fn line_format_is_exact() {
        let mut out = Vec::new();
        render_keymap_line(&mut out, b"a%3Cb%3Ec", b"a<b>c&d", KIND_SHA_FALLBACK);
        assert_eq!(
            out,
            br#"{"encoded":"a%3Cb%3Ec","original":"YTxiPmMmZA","kind":"sha-fallback"}"#
        );
    }

    #[test]
    fn writer_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let path = RelPath::parse("redis/db_0/KEYMAP.jsonl").unwrap();
        let mut w = KeymapWriter::new(&tree, path);
        let records: Vec<(&[u8], Vec<u8>, &str)> = vec![
            (
                b"0123456789abcdef0123456789abcdef__x",
                b"x".repeat(300),
                KIND_SHA_FALLBACK,
            ),
            (
                b"dir/obj.elastickv-leaf-data",
                b"dir/obj".to_vec(),
                KIND_S3_LEAF_DATA,
            ),
            (
                b"k.elastickv-meta.json.user-data",
                b"k.elastickv-meta.json".to_vec(),
                KIND_META_SUFFIX_RENAME,
            ),
            (b"bin", vec![0, 0xFF, 0x80, 1], KIND_SHA_FALLBACK),
            (b"empty", vec![], KIND_SHA_FALLBACK),
        ];
        for (e, o, k) in &records {
            w.write(e, o, k).unwrap();
        }
        assert_eq!(w.count(), 5);
        assert!(!tmp.path().join("redis/db_0/KEYMAP.jsonl").exists());
        assert_eq!(w.finish().unwrap(), 5);
        let data = std::fs::read(tmp.path().join("redis/db_0/KEYMAP.jsonl")).unwrap();
        assert!(data.ends_with(b"\n"));
        let map = load_keymap(Cursor::new(data)).unwrap();
        assert_eq!(map.len(), 5);
        for (e, o, k) in &records {
            let rec = &map[std::str::from_utf8(e).unwrap()];
            assert_eq!(&rec.original, o);
            assert_eq!(rec.kind, *k);
        }
    }

    #[test]
    fn writer_rejects_empty_encoded_or_kind() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let mut w = KeymapWriter::new(&tree, RelPath::parse("KEYMAP.jsonl").unwrap());
        assert!(matches!(
            w.write(b"", b"x", KIND_SHA_FALLBACK),
            Err(KeymapError::EmptyField { field: "encoded" })
        ));
        assert!(matches!(
            w.write(b"x", b"x", ""),
            Err(KeymapError::EmptyField { field: "kind" })
        ));
        assert_eq!(w.finish().unwrap(), 0);
        assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
    }

    #[test]
    fn writer_does_not_escape_html() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let mut w = KeymapWriter::new(&tree, RelPath::parse("KEYMAP.jsonl").unwrap());
        w.write(b"a%3Cb%3Ec", b"a<b>c&d", KIND_SHA_FALLBACK)
            .unwrap();
        w.finish().unwrap();
        let data = std::fs::read_to_string(tmp.path().join("KEYMAP.jsonl")).unwrap();
        assert!(!data.contains(['<', '>', '&']));
        assert!(data.contains("YTxiPmMmZA"));
        // Raw S3 names with HTML characters stay literal too.
        let mut out = Vec::new();
        render_keymap_line(&mut out, b"a<b>&", b"", KIND_S3_LEAF_DATA);
        assert_eq!(
            out,
            br#"{"encoded":"a<b>&","original":"","kind":"s3-leaf-data"}"#
        );
    }

    #[test]
    fn writer_omits_empty_file() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let w = KeymapWriter::new(&tree, RelPath::parse("s3/b/KEYMAP.jsonl").unwrap());
        assert_eq!(w.finish().unwrap(), 0);
        assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
    }

    #[test]
    fn dropped_writer_leaves_no_partial_file() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let mut w = KeymapWriter::new(&tree, RelPath::parse("KEYMAP.jsonl").unwrap());
        w.write(b"x", b"y", KIND_SHA_FALLBACK).unwrap();
        drop(w);
        assert!(std::fs::read_dir(tmp.path()).unwrap().next().is_none());
    }

    #[test]
    fn reader_rejects_malformed_json_sticky() {
        let mut r = KeymapReader::new(Cursor::new(b"not-json\n".to_vec()));
        assert!(is_invalid(&r.next_record().unwrap_err()));
        assert!(is_invalid(&r.next_record().unwrap_err()));
    }

    #[test]
    fn reader_rejects_record_without_encoded_or_kind() {
        for line in [
            &br#"{"original":"","kind":"k"}"#[..],
            br#"{"encoded":"","original":"","kind":"k"}"#,
            br#"{"encoded":"e","original":""}"#,
            br#"{"encoded":"e","original":"","kind":""}"#,
            br#"{"encoded":1,"original":"","kind":"k"}"#,
            br#"[]"#,
            br#"null"#,
        ] {
            assert!(
                is_invalid(&first_err(line)),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn reader_rejects_blank_lines() {
        let input = b"{\"encoded\":\"a\",\"original\":\"\",\"kind\":\"k\"}\n\n{\"encoded\":\"b\",\"original\":\"\",\"kind\":\"k\"}\n";
        let mut r = KeymapReader::new(Cursor::new(input.to_vec()));
        assert_eq!(r.next_record().unwrap().unwrap().encoded, "a");
        let e = r.next_record().unwrap_err();
        assert!(
            matches!(e, KeymapError::InvalidRecord { line: 2, .. }),
            "{e}"
        );
        assert!(is_invalid(&r.next_record().unwrap_err()));
    }

    #[test]
    fn load_keymap_last_record_wins() {
        let input = b"{\"encoded\":\"x\",\"original\":\"YQ\",\"kind\":\"k\"}\n{\"encoded\":\"x\",\"original\":\"Yg\",\"kind\":\"k\"}";
        let map = load_keymap(Cursor::new(input.to_vec())).unwrap();
        assert_eq!(map["x"].original, b"b");
    }

    #[test]
    fn original_rejects_bad_base64_at_parse_time() {
        let e = first_err(br#"{"encoded":"e","original":"!!!","kind":"k"}"#);
        assert!(is_invalid(&e));
        let e = first_err(br#"{"encoded":"e","original":"YQ==","kind":"k"}"#);
        assert!(is_invalid(&e));
    }

    #[test]
    fn reader_rejects_explicit_null_fields() {
        for line in [
            &br#"{"encoded":"e","original":null,"kind":"k"}"#[..],
            br#"{"encoded":null,"original":"","kind":"k"}"#,
            br#"{"encoded":"e","original":"","kind":null}"#,
        ] {
            assert!(is_invalid(&first_err(line)));
        }
    }

    #[test]
    fn reader_rejects_missing_original_sticky() {
        let mut r = KeymapReader::new(Cursor::new(br#"{"encoded":"e","kind":"k"}"#.to_vec()));
        assert!(is_invalid(&r.next_record().unwrap_err()));
        assert!(is_invalid(&r.next_record().unwrap_err()));
    }

    #[test]
    fn reader_accepts_max_sized_original() {
        let original: Vec<u8> = (0..(1usize << 20)).map(|i| (i * 7) as u8).collect();
        let mut line = Vec::new();
        render_keymap_line(&mut line, b"e", &original, KIND_SHA_FALLBACK);
        line.push(b'\n');
        let recs = read_all(&line).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].original, original);
    }

    #[test]
    fn reader_accepts_explicit_empty_original() {
        let recs = read_all(br#"{"encoded":"e","original":"","kind":"k"}"#).unwrap();
        assert_eq!(recs[0].original, Vec::<u8>::new());
    }

    #[test]
    fn reader_ignores_extra_fields_and_tolerates_crlf() {
        let recs =
            read_all(b"{\"encoded\":\"e\",\"original\":\"YQ\",\"kind\":\"k\",\"extra\":[1]}\r\n")
                .unwrap();
        assert_eq!(recs[0].original, b"a");
    }

    #[test]
    fn reader_line_limit() {
        let mut big = b"{\"encoded\":\"e\",\"original\":\"".to_vec();
        big.extend_from_slice(&vec![b'A'; MAX_KEYMAP_LINE_BYTES]);
        big.extend_from_slice(b"\",\"kind\":\"k\"}\n");
        let mut r = KeymapReader::new(Cursor::new(big));
        assert!(matches!(
            r.next_record(),
            Err(KeymapError::LineTooLong { line: 1 })
        ));
        assert!(matches!(
            r.next_record(),
            Err(KeymapError::LineTooLong { .. })
        ));
    }

    #[test]
    fn reader_iterator_stops_after_error() {
        let input = b"{\"encoded\":\"a\",\"original\":\"\",\"kind\":\"k\"}\nbad\n";
        let items: Vec<_> = KeymapReader::new(Cursor::new(input.to_vec())).collect();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        assert!(items[1].is_err());
    }

    #[test]
    fn reader_uses_go_field_matching_for_values() {
        // Presence is checked exact-case; the value comes from the last matching key.
        let recs = read_all(br#"{"encoded":"a","original":"","kind":"k","ENCODED":"b"}"#).unwrap();
        assert_eq!(recs[0].encoded, "b");
    }
}

//! Go's `encoding/json` decoding into a struct (`json.Unmarshal(data, &record)`): which
//! member fills which field, and what each Go field type accepts. Used for values that Go
//! services store as JSON (SQS queue meta and message records, sqs.md §3.1).
//!
//! * The document must be an object or `null`; `null` leaves every field zero.
//! * A member fills the field whose name equals its key, else the field whose name matches
//!   under Go's case folding ([`go_fold_eq`]); members matching no field are skipped without
//!   looking at their type. Every matching member is stored in document order, so the last
//!   one wins.
//! * `null` leaves a string, bool or integer field unchanged and resets a slice or map.
//! * Integer fields take integer literals in range only (`strconv.ParseInt` /
//!   `ParseUint`): no fraction, no exponent, no quoted number, no negative unsigned.
//! * `[]byte` ([`GoBytes`]): a string holding padded standard base64 (CR and LF skipped,
//!   non-zero trailing bits accepted), or an array of integers 0–255 written into the
//!   slice's existing backing array.
//! * `map[string]json.RawMessage` ([`go_raw_message_map`]): an object merged into the
//!   existing map, each value kept as its exact text; the encoder later writes it compacted
//!   ([`append_compact`]).

use std::collections::BTreeMap;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;

use crate::output::filename::decode_skipping_newlines;

use super::{go_fold_eq, parse_go_uint, JsonSyntaxError, JsonValue, Parser};

/// One member of an object read by [`parse_members`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMember<'a> {
    /// The key, unquoted the way Go unquotes it.
    pub key: String,
    pub value: JsonValue,
    /// The exact text of the value (what a Go `json.RawMessage` receives).
    pub raw: &'a [u8],
}

/// The top-level value of a document, as a Go struct decoder meets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Document<'a> {
    /// An object: its members in document order, duplicates kept.
    Object(Vec<RawMember<'a>>),
    /// Any other value (`null` decodes to an all-zero struct, the rest is a type error).
    Other(JsonValue),
}

/// Parses exactly one JSON value surrounded by optional whitespace, like [`super::parse`],
/// keeping the text of each top-level member's value when the document is an object.
pub fn parse_members(input: &[u8]) -> Result<Document<'_>, JsonSyntaxError> {
    let mut p = Parser { s: input, pos: 0 };
    p.skip_ws();
    let doc = if p.peek() == Some(b'{') {
        let mut members = Vec::new();
        p.members(0, |key, value, raw| {
            members.push(RawMember { key, value, raw })
        })?;
        Document::Object(members)
    } else {
        Document::Other(p.value(0)?)
    };
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.err("invalid character after top-level value"));
    }
    Ok(doc)
}

/// A JSON value a Go field cannot hold (Go's `*json.UnmarshalTypeError`, or the base64 error
/// of a `[]byte` field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoFieldError {
    #[error("cannot unmarshal {found} into a Go value of type {target}")]
    Type {
        found: &'static str,
        target: &'static str,
    },
    #[error("cannot unmarshal number {literal} into a Go value of type {target}")]
    Number {
        literal: String,
        target: &'static str,
    },
    #[error("illegal base64 data in a Go []byte value")]
    Base64,
    #[error(transparent)]
    Syntax(#[from] JsonSyntaxError),
}

/// Why a document could not be stored into a struct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoStructError {
    #[error(transparent)]
    Syntax(#[from] JsonSyntaxError),
    #[error("the JSON document is {found}, not an object")]
    NotAnObject { found: &'static str },
    #[error("field {field}: {source}")]
    Field {
        field: &'static str,
        #[source]
        source: GoFieldError,
    },
}

/// `json.Unmarshal(input, &record)` for a struct whose json tags are `fields`: every member
/// that fills a field ([`go_field_index`]) is handed to `store` with that field's name, in
/// document order; other members are skipped unread. A `null` document stores nothing.
pub fn unmarshal_struct(
    input: &[u8],
    fields: &[&'static str],
    mut store: impl FnMut(&'static str, &RawMember<'_>) -> Result<(), GoFieldError>,
) -> Result<(), GoStructError> {
    let members = match parse_members(input)? {
        Document::Object(members) => members,
        Document::Other(JsonValue::Null) => return Ok(()),
        Document::Other(other) => {
            return Err(GoStructError::NotAnObject {
                found: go_kind(&other),
            })
        }
    };
    for member in &members {
        if let Some(index) = go_field_index(&member.key, fields) {
            let field = fields[index];
            store(field, member).map_err(|source| GoStructError::Field { field, source })?;
        }
    }
    Ok(())
}

/// The JSON kind of a value, as Go names it in type errors.
pub fn go_kind(value: &JsonValue) -> &'static str {
    match value {
        JsonValue::Null => "null",
        JsonValue::Bool(_) => "bool",
        JsonValue::Number(_) => "number",
        JsonValue::String(_) => "string",
        JsonValue::Array(_) => "array",
        JsonValue::Object(_) => "object",
    }
}

/// Which of `fields` (json tag names) a member named `key` fills: the exact name, else the
/// first name equal under Go's case folding.
pub fn go_field_index(key: &str, fields: &[&str]) -> Option<usize> {
    fields
        .iter()
        .position(|f| *f == key)
        .or_else(|| fields.iter().position(|f| go_fold_eq(key, f)))
}

fn type_error(value: &JsonValue, target: &'static str) -> GoFieldError {
    GoFieldError::Type {
        found: go_kind(value),
        target,
    }
}

/// A Go `string` field: `Some` to store, `None` for `null` (field unchanged).
pub fn go_string(value: &JsonValue) -> Result<Option<&str>, GoFieldError> {
    match value {
        JsonValue::Null => Ok(None),
        JsonValue::String(s) => Ok(Some(s)),
        other => Err(type_error(other, "string")),
    }
}

/// A Go `bool` field: `Some` to store, `None` for `null` (field unchanged).
pub fn go_bool(value: &JsonValue) -> Result<Option<bool>, GoFieldError> {
    match value {
        JsonValue::Null => Ok(None),
        JsonValue::Bool(b) => Ok(Some(*b)),
        other => Err(type_error(other, "bool")),
    }
}

/// The value of a JSON number literal as Go stores it into a signed integer field
/// (`strconv.ParseInt(lit, 10, 64)`): optional `-`, digits only.
pub fn parse_go_int(literal: &str) -> Option<i64> {
    let digits = literal.strip_prefix('-').unwrap_or(literal);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    literal.parse().ok()
}

fn number<'v>(value: &'v JsonValue, target: &'static str) -> Result<Option<&'v str>, GoFieldError> {
    match value {
        JsonValue::Null => Ok(None),
        JsonValue::Number(literal) => Ok(Some(literal)),
        other => Err(type_error(other, target)),
    }
}

fn range_error(literal: &str, target: &'static str) -> GoFieldError {
    GoFieldError::Number {
        literal: literal.to_owned(),
        target,
    }
}

/// A Go `int64` field: `Some` to store, `None` for `null` (field unchanged).
pub fn go_int64(value: &JsonValue) -> Result<Option<i64>, GoFieldError> {
    number(value, "int64")?
        .map(|lit| parse_go_int(lit).ok_or_else(|| range_error(lit, "int64")))
        .transpose()
}

fn go_unsigned(
    value: &JsonValue,
    max: u64,
    target: &'static str,
) -> Result<Option<u64>, GoFieldError> {
    number(value, target)?
        .map(|lit| {
            parse_go_uint(lit)
                .filter(|&n| n <= max)
                .ok_or_else(|| range_error(lit, target))
        })
        .transpose()
}

/// A Go `uint64` field: `Some` to store, `None` for `null` (field unchanged).
pub fn go_uint64(value: &JsonValue) -> Result<Option<u64>, GoFieldError> {
    go_unsigned(value, u64::MAX, "uint64")
}

/// A Go `uint32` field: `Some` to store, `None` for `null` (field unchanged).
pub fn go_uint32(value: &JsonValue) -> Result<Option<u32>, GoFieldError> {
    Ok(go_unsigned(value, u64::from(u32::MAX), "uint32")?
        .map(|n| u32::try_from(n).expect("checked against u32::MAX")))
}

/// Go's `base64.StdEncoding` decoder: padding required, CR and LF skipped anywhere,
/// non-zero unused trailing bits accepted.
fn decode_std_base64(text: &str) -> Option<Vec<u8>> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
            .with_decode_allow_trailing_bits(true),
    );
    decode_skipping_newlines(&ENGINE, text.as_bytes()).ok()
}

/// A Go `[]byte` field being filled.
///
/// Go decodes a JSON array into the slice's existing backing array, and an array element
/// `null` leaves the byte that was there; so the backing bytes beyond the current length are
/// kept (Go's are zero where never written, as here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoBytes {
    backing: Vec<u8>,
    len: usize,
}

impl GoBytes {
    /// The slice's current bytes (empty for nil).
    pub fn bytes(&self) -> &[u8] {
        &self.backing[..self.len]
    }

    /// The slice's current bytes, owned.
    pub fn into_vec(mut self) -> Vec<u8> {
        self.backing.truncate(self.len);
        self.backing
    }

    /// Stores one member value into the field.
    pub fn store(&mut self, value: &JsonValue) -> Result<(), GoFieldError> {
        match value {
            JsonValue::Null => *self = GoBytes::default(),
            JsonValue::String(text) => {
                let decoded = decode_std_base64(text).ok_or(GoFieldError::Base64)?;
                self.len = decoded.len();
                self.backing = decoded;
            }
            JsonValue::Array(items) => {
                if items.is_empty() {
                    *self = GoBytes::default();
                    return Ok(());
                }
                for (i, item) in items.iter().enumerate() {
                    let byte = match item {
                        JsonValue::Null => self.backing.get(i).copied().unwrap_or(0),
                        JsonValue::Number(lit) => parse_go_uint(lit)
                            .and_then(|n| u8::try_from(n).ok())
                            .ok_or_else(|| range_error(lit, "uint8"))?,
                        other => return Err(type_error(other, "uint8")),
                    };
                    match self.backing.get_mut(i) {
                        Some(slot) => *slot = byte,
                        None => self.backing.push(byte),
                    }
                }
                self.len = items.len();
            }
            other => return Err(type_error(other, "[]uint8")),
        }
        Ok(())
    }
}

/// A Go `map[string]json.RawMessage` field: each value's exact text, compacted.
pub type RawMessageMap = BTreeMap<String, Vec<u8>>;

/// Stores one member (given by its exact text `raw`) into a `map[string]json.RawMessage`
/// field: `null` resets the map to nil, an object is merged into it (created if nil; a
/// repeated key keeps its last value), anything else is a type error. Values are stored
/// compacted ([`append_compact`]), which is what the encoder writes.
pub fn go_raw_message_map(raw: &[u8], map: &mut Option<RawMessageMap>) -> Result<(), GoFieldError> {
    match parse_members(raw)? {
        Document::Other(JsonValue::Null) => *map = None,
        Document::Other(other) => return Err(type_error(&other, "map[string]json.RawMessage")),
        Document::Object(members) => {
            let map = map.get_or_insert_with(BTreeMap::new);
            for member in members {
                let mut compacted = Vec::with_capacity(member.raw.len());
                append_compact(&mut compacted, member.raw);
                map.insert(member.key, compacted);
            }
        }
    }
    Ok(())
}

/// Go's `json.Compact` without HTML escaping (what `json.Marshal` does with the output of a
/// `json.RawMessage` when the encoder has `SetEscapeHTML(false)`): whitespace outside strings
/// is removed, every other byte is copied unchanged (escapes, invalid UTF-8, U+2028 too).
/// `raw` must be valid JSON text.
pub fn append_compact(out: &mut Vec<u8>, raw: &[u8]) {
    let mut in_string = false;
    let mut escaped = false;
    for &b in raw {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            out.push(b);
            continue;
        }
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                in_string = true;
                out.push(b);
            }
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn v(text: &str) -> JsonValue {
        parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn members_keep_exact_value_text() {
        let doc = parse_members(b" {\"a\" : [1, 2 ] ,\"b\":\"x\\u0041\", \"a\":null} ").unwrap();
        let Document::Object(members) = doc else {
            panic!("object expected")
        };
        let raws: Vec<(&str, &[u8])> = members.iter().map(|m| (m.key.as_str(), m.raw)).collect();
        assert_eq!(
            raws,
            vec![
                ("a", &b"[1, 2 ]"[..]),
                ("b", &b"\"x\\u0041\""[..]),
                ("a", &b"null"[..])
            ]
        );
        assert_eq!(members[1].value, JsonValue::String("xA".into()));
        assert_eq!(
            parse_members(b"null").unwrap(),
            Document::Other(JsonValue::Null)
        );
        assert_eq!(parse_members(b"[1]").unwrap(), Document::Other(v("[1]")));
        for bad in [&b"{} x"[..], b"{", b"", b"{\"a\":1,}", b"not json"] {
            assert!(parse_members(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unmarshal_struct_hands_matching_members_in_order() {
        let fields = ["name", "count"];
        let mut seen = Vec::new();
        unmarshal_struct(
            br#"{"COUNT":1,"other":{"x":[]},"name":"a","Name":null}"#,
            &fields,
            |field, member| {
                seen.push((field, member.raw.to_vec()));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(
            seen,
            vec![
                ("count", b"1".to_vec()),
                ("name", b"\"a\"".to_vec()),
                ("name", b"null".to_vec())
            ]
        );
        let mut called = false;
        unmarshal_struct(b" null ", &fields, |_, _| {
            called = true;
            Ok(())
        })
        .unwrap();
        assert!(!called, "a null document stores nothing");
        assert_eq!(
            unmarshal_struct(b"[]", &fields, |_, _| Ok(())),
            Err(GoStructError::NotAnObject { found: "array" })
        );
        assert!(matches!(
            unmarshal_struct(b"{", &fields, |_, _| Ok(())),
            Err(GoStructError::Syntax(_))
        ));
        let err = unmarshal_struct(br#"{"name":1}"#, &fields, |_, m| {
            go_string(&m.value).map(drop)
        })
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "field name: cannot unmarshal number into a Go value of type string"
        );
    }

    #[test]
    fn field_lookup_prefers_exact_then_folds() {
        let fields = ["name", "is_fifo", "kind"];
        assert_eq!(go_field_index("name", &fields), Some(0));
        assert_eq!(go_field_index("IS_FIFO", &fields), Some(1));
        assert_eq!(go_field_index("Is_Fifo", &fields), Some(1));
        assert_eq!(go_field_index("\u{212A}IND", &fields), Some(2));
        assert_eq!(go_field_index("isfifo", &fields), None);
        assert_eq!(go_field_index("tags", &fields), None);
        let twins = ["Name", "name"];
        assert_eq!(go_field_index("name", &twins), Some(1), "exact first");
        assert_eq!(go_field_index("NAME", &twins), Some(0));
    }

    #[test]
    fn scalars_follow_go_rules() {
        assert_eq!(go_string(&v("\"a\"")).unwrap(), Some("a"));
        assert_eq!(go_string(&v("null")).unwrap(), None);
        assert!(go_string(&v("1")).is_err());
        assert_eq!(go_bool(&v("true")).unwrap(), Some(true));
        assert_eq!(go_bool(&v("null")).unwrap(), None);
        assert!(go_bool(&v("\"true\"")).is_err());
        assert!(go_bool(&v("1")).is_err());

        assert_eq!(go_int64(&v("-0")).unwrap(), Some(0));
        assert_eq!(
            go_int64(&v("-9223372036854775808")).unwrap(),
            Some(i64::MIN)
        );
        assert_eq!(go_int64(&v("9223372036854775807")).unwrap(), Some(i64::MAX));
        assert_eq!(go_int64(&v("null")).unwrap(), None);
        for bad in ["9223372036854775808", "1.0", "1e2", "\"1\"", "true", "[]"] {
            assert!(go_int64(&v(bad)).is_err(), "{bad}");
        }
        assert_eq!(
            go_uint64(&v("18446744073709551615")).unwrap(),
            Some(u64::MAX)
        );
        for bad in ["-1", "-0", "18446744073709551616", "2.5", "{}"] {
            assert!(go_uint64(&v(bad)).is_err(), "{bad}");
        }
        assert_eq!(go_uint32(&v("4294967295")).unwrap(), Some(u32::MAX));
        assert!(go_uint32(&v("4294967296")).is_err());
        assert_eq!(
            go_int64(&v("1.5")).unwrap_err().to_string(),
            "cannot unmarshal number 1.5 into a Go value of type int64"
        );
        assert_eq!(
            go_int64(&v("\"1\"")).unwrap_err().to_string(),
            "cannot unmarshal string into a Go value of type int64"
        );
    }

    fn bytes_of(values: &[&str]) -> Result<Vec<u8>, GoFieldError> {
        let mut b = GoBytes::default();
        for text in values {
            b.store(&v(text))?;
        }
        Ok(b.into_vec())
    }

    #[test]
    fn byte_slices_take_padded_standard_base64() {
        assert_eq!(bytes_of(&["\"aGVsbG8=\""]).unwrap(), b"hello");
        assert_eq!(bytes_of(&["\"\""]).unwrap(), b"");
        assert_eq!(bytes_of(&["\"AQI=\""]).unwrap(), [1, 2]);
        // CR and LF are skipped anywhere, also escaped ones and inside the padding.
        assert_eq!(bytes_of(&["\"aGVs\\r\\nbG8=\""]).unwrap(), b"hello");
        assert_eq!(bytes_of(&["\"aGVsbG8=\\n\""]).unwrap(), b"hello");
        assert_eq!(bytes_of(&["\"YQ=\\n=\""]).unwrap(), b"a");
        // Non-zero trailing bits are accepted (non-strict decoding).
        assert_eq!(bytes_of(&["\"YR==\""]).unwrap(), b"a");
        assert_eq!(bytes_of(&["\"+/+/\""]).unwrap(), [0xfb, 0xff, 0xbf]);
        for bad in [
            "\"aGVsbG8\"",   // padding missing
            "\"YQ=\"",       // padding short
            "\"YQ==YQ==\"",  // data after padding
            "\"_-_-\"",      // URL alphabet
            "\"a GVs\"",     // space
            "\"Y===\"",      // bad padding position
            "\"aGVsbG8=x\"", // trailing garbage
            "1",
            "{}",
            "true",
        ] {
            assert!(bytes_of(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn byte_slices_null_and_arrays_like_go() {
        assert_eq!(bytes_of(&["\"aGk=\"", "null"]).unwrap(), b"");
        assert_eq!(bytes_of(&["[104, 105]"]).unwrap(), b"hi");
        assert_eq!(bytes_of(&["[]"]).unwrap(), b"");
        assert_eq!(bytes_of(&["[null, 1]"]).unwrap(), [0, 1]);
        // An array is written into the existing backing array: `null` keeps what was there.
        assert_eq!(bytes_of(&["\"aGk=\"", "[null]"]).unwrap(), b"h");
        assert_eq!(
            bytes_of(&["[1, 2]", "[3]", "[null, null]"]).unwrap(),
            [3, 2]
        );
        assert_eq!(bytes_of(&["[1, 2]", "[]", "[null, null]"]).unwrap(), [0, 0]);
        for bad in ["[256]", "[-1]", "[1.0]", "[\"a\"]", "[[1]]"] {
            assert!(bytes_of(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn raw_message_maps_merge_and_compact() {
        let mut map = None;
        go_raw_message_map(
            b"{\"b\" : { \"x\" : [ 1 , 2 ] }, \"a\":\"s p\\u0041\"}",
            &mut map,
        )
        .unwrap();
        go_raw_message_map(b"{\"c\":null, \"a\": 1.50 }", &mut map).unwrap();
        let map_ref = map.as_ref().unwrap();
        let got: Vec<(&str, &[u8])> = map_ref
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", &b"1.50"[..]),
                ("b", &b"{\"x\":[1,2]}"[..]),
                ("c", &b"null"[..])
            ]
        );
        go_raw_message_map(b"null", &mut map).unwrap();
        assert_eq!(map, None);
        go_raw_message_map(b"{}", &mut map).unwrap();
        assert_eq!(map, Some(BTreeMap::new()));
        assert!(go_raw_message_map(b"[]", &mut map).is_err());
        assert!(go_raw_message_map(b"\"x\"", &mut map).is_err());
    }

    #[test]
    fn compact_removes_only_insignificant_whitespace() {
        let mut out = Vec::new();
        append_compact(
            &mut out,
            b" { \"k\\\" \" : \"a b\\\\\" ,\n\t\"<&>\": [ true ,\r null ] } ",
        );
        assert_eq!(out, b"{\"k\\\" \":\"a b\\\\\",\"<&>\":[true,null]}");
        // Bytes inside strings are copied as they are: escapes, invalid UTF-8, U+2028.
        let mut out = Vec::new();
        append_compact(&mut out, b"\"\\u00e9 \xff \xe2\x80\xa8\"");
        assert_eq!(out, b"\"\\u00e9 \xff \xe2\x80\xa8\"");
    }
}

//! JSON exactly the way Go's `encoding/json` writes it, plus a small parser that exposes what
//! Go's decoder sees (document key order, literal number text, `null` versus absent).
//!
//! This is the ONE place that renders JSON. Every output file of the dump goes through
//! [`JsonWriter`], so the byte-level rules live here only:
//!
//! * strings: `\"` `\\` `\n` `\r` `\t` `\b` `\f` (Go >= 1.22); other bytes below 0x20 as
//!   `\u00xx` with lower-case hex; U+2028 / U+2029 as `\u2028` / `\u2029`; each byte that does
//!   not start a valid UTF-8 sequence (Go's `utf8.DecodeRune` returning `RuneError, 1`) as the
//!   six characters `\ufffd`; with HTML escaping on, `<` `>` `&` as `\u003c` `\u003e` `\u0026`;
//!   everything else (including `/` and DEL) raw;
//! * floats: Go's float64 encoder (shortest round-trip digits, `e` form below 1e-6 and from
//!   1e21 on, `e-7` not `e-07`, `-0` for negative zero);
//! * layout: compact (`json.Marshal`, `Encoder.Encode` without indent) or
//!   `MarshalIndent("", "  ")` (one member per line, `": "` after keys, `{}` / `[]` when empty).
//!
//! The writer never appends a trailing newline; callers add it where Go's `Encoder` does.
//!
//! Decoding: [`parse`] gives what Go's decoder sees; [`go_struct`] adds Go's rules for
//! storing a document into a struct (field matching, what each field type accepts, raw
//! values and their compaction).

use std::fmt::Write as _;

pub mod go_struct;

pub use go_struct::{
    append_compact, go_bool, go_field_index, go_int64, go_kind, go_raw_message_map, go_string,
    go_uint32, go_uint64, parse_go_int, parse_members, unmarshal_struct, Document, GoBytes,
    GoFieldError, GoStructError, RawMember, RawMessageMap,
};

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Layout of a [`JsonWriter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStyle {
    /// `json.Marshal`: no whitespace at all.
    Compact,
    /// `json.MarshalIndent(v, "", "  ")`.
    Pretty,
}

/// A float that Go's encoder refuses (`json: unsupported value: NaN` / `+Inf` / `-Inf`).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("json: unsupported value: {0}")]
pub struct NonFiniteFloat(pub f64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Object,
    Array,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    kind: FrameKind,
    members: usize,
    awaiting_value: bool,
}

/// Streaming JSON writer into an owned byte buffer.
///
/// Structural misuse (a value in an object without a key, a key inside an array, unbalanced
/// `end_*`, two top-level values) is a programming error and panics.
#[derive(Debug, Clone)]
pub struct JsonWriter {
    buf: Vec<u8>,
    style: JsonStyle,
    escape_html: bool,
    stack: Vec<Frame>,
    root_done: bool,
}

impl JsonWriter {
    /// A writer with the given layout and HTML escaping switch.
    pub fn new(style: JsonStyle, escape_html: bool) -> Self {
        Self::with_buffer(Vec::new(), style, escape_html)
    }

    /// Like [`JsonWriter::new`] but appends to `buf` (its existing content is kept).
    pub fn with_buffer(buf: Vec<u8>, style: JsonStyle, escape_html: bool) -> Self {
        JsonWriter {
            buf,
            style,
            escape_html,
            stack: Vec::new(),
            root_done: false,
        }
    }

    /// Compact layout, HTML escaping on (Go's `json.Marshal`).
    pub fn compact() -> Self {
        Self::new(JsonStyle::Compact, true)
    }

    /// Indented layout, HTML escaping on (Go's `json.MarshalIndent(v, "", "  ")`).
    pub fn pretty() -> Self {
        Self::new(JsonStyle::Pretty, true)
    }

    /// Turns HTML escaping on or off for everything written from now on (Go's
    /// `Encoder.SetEscapeHTML`). Can be toggled around a single value.
    pub fn set_escape_html(&mut self, on: bool) -> &mut Self {
        self.escape_html = on;
        self
    }

    pub fn escape_html(&self) -> bool {
        self.escape_html
    }

    pub fn style(&self) -> JsonStyle {
        self.style
    }

    /// True once exactly one complete top-level value has been written.
    pub fn is_complete(&self) -> bool {
        self.root_done && self.stack.is_empty()
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Writes what was rendered so far to `out` and empties the buffer, keeping the nesting
    /// state, so that a large document can be streamed to a file piece by piece.
    pub fn drain_to(&mut self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// Empties the buffer and the nesting state so the writer can render another value.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.stack.clear();
        self.root_done = false;
    }

    fn newline_indent(&mut self, depth: usize) {
        if self.style == JsonStyle::Pretty {
            self.buf.push(b'\n');
            for _ in 0..depth {
                self.buf.extend_from_slice(b"  ");
            }
        }
    }

    fn before_value(&mut self) {
        let depth = self.stack.len();
        match self.stack.last_mut() {
            None => assert!(!self.root_done, "JsonWriter: second top-level value"),
            Some(frame) => match frame.kind {
                FrameKind::Object => {
                    assert!(
                        frame.awaiting_value,
                        "JsonWriter: value inside an object without a key"
                    );
                    frame.awaiting_value = false;
                }
                FrameKind::Array => {
                    let first = frame.members == 0;
                    frame.members += 1;
                    if !first {
                        self.buf.push(b',');
                    }
                    self.newline_indent(depth);
                }
            },
        }
    }

    fn after_value(&mut self) {
        if self.stack.is_empty() {
            self.root_done = true;
        }
    }

    fn scalar(&mut self, text: &[u8]) -> &mut Self {
        self.before_value();
        self.buf.extend_from_slice(text);
        self.after_value();
        self
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.before_value();
        self.buf.push(b'{');
        self.stack.push(Frame {
            kind: FrameKind::Object,
            members: 0,
            awaiting_value: false,
        });
        self
    }

    pub fn end_object(&mut self) -> &mut Self {
        let frame = self
            .stack
            .pop()
            .expect("JsonWriter: end_object without begin");
        assert!(
            frame.kind == FrameKind::Object,
            "JsonWriter: end_object closes an array"
        );
        assert!(
            !frame.awaiting_value,
            "JsonWriter: end_object right after a key"
        );
        if frame.members > 0 {
            let depth = self.stack.len();
            self.newline_indent(depth);
        }
        self.buf.push(b'}');
        self.after_value();
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.before_value();
        self.buf.push(b'[');
        self.stack.push(Frame {
            kind: FrameKind::Array,
            members: 0,
            awaiting_value: false,
        });
        self
    }

    pub fn end_array(&mut self) -> &mut Self {
        let frame = self
            .stack
            .pop()
            .expect("JsonWriter: end_array without begin");
        assert!(
            frame.kind == FrameKind::Array,
            "JsonWriter: end_array closes an object"
        );
        if frame.members > 0 {
            let depth = self.stack.len();
            self.newline_indent(depth);
        }
        self.buf.push(b']');
        self.after_value();
        self
    }

    /// Object key given as bytes (escaped like any string, HTML rule included: Go escapes
    /// map keys the same way).
    pub fn key_bytes(&mut self, key: &[u8]) -> &mut Self {
        let depth = self.stack.len();
        let frame = self
            .stack
            .last_mut()
            .expect("JsonWriter: key outside an object");
        assert!(
            frame.kind == FrameKind::Object,
            "JsonWriter: key inside an array"
        );
        assert!(!frame.awaiting_value, "JsonWriter: two keys in a row");
        let first = frame.members == 0;
        frame.members += 1;
        frame.awaiting_value = true;
        if !first {
            self.buf.push(b',');
        }
        self.newline_indent(depth);
        let html = self.escape_html;
        write_escaped_string(&mut self.buf, key, html);
        self.buf.push(b':');
        if self.style == JsonStyle::Pretty {
            self.buf.push(b' ');
        }
        self
    }

    pub fn key(&mut self, key: &str) -> &mut Self {
        self.key_bytes(key.as_bytes())
    }

    /// A string value from arbitrary bytes (invalid UTF-8 rendered as Go does).
    pub fn string(&mut self, value: &[u8]) -> &mut Self {
        self.before_value();
        let html = self.escape_html;
        write_escaped_string(&mut self.buf, value, html);
        self.after_value();
        self
    }

    pub fn str(&mut self, value: &str) -> &mut Self {
        self.string(value.as_bytes())
    }

    pub fn u64(&mut self, value: u64) -> &mut Self {
        let mut tmp = String::new();
        let _ = write!(tmp, "{value}");
        self.scalar(tmp.as_bytes())
    }

    pub fn i64(&mut self, value: i64) -> &mut Self {
        let mut tmp = String::new();
        let _ = write!(tmp, "{value}");
        self.scalar(tmp.as_bytes())
    }

    /// A float64 number; NaN and infinities are refused like Go's encoder does (nothing is
    /// written in that case).
    pub fn f64(&mut self, value: f64) -> Result<&mut Self, NonFiniteFloat> {
        let text = format_go_float64(value)?;
        Ok(self.scalar(text.as_bytes()))
    }

    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.scalar(if value { b"true" } else { b"false" })
    }

    pub fn null(&mut self) -> &mut Self {
        self.scalar(b"null")
    }

    /// Inserts pre-rendered JSON text as one value, verbatim. The caller is responsible for it
    /// being a single valid value in the matching layout (it is not re-indented).
    pub fn raw(&mut self, json: &[u8]) -> &mut Self {
        self.scalar(json)
    }
}

/// Appends `value` as a quoted JSON string following Go's `encoding/json` rules.
pub fn write_escaped_string(out: &mut Vec<u8>, value: &[u8], escape_html: bool) {
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        if b < 0x80 {
            let safe = b >= 0x20 && b != b'"' && b != b'\\' && !(escape_html && is_html(b));
            if safe {
                i += 1;
                continue;
            }
            out.extend_from_slice(&value[start..i]);
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0C => out.extend_from_slice(b"\\f"),
                _ => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX_LOWER[usize::from(b >> 4)]);
                    out.push(HEX_LOWER[usize::from(b & 0x0F)]);
                }
            }
            i += 1;
            start = i;
            continue;
        }
        match go_decode_rune(&value[i..]) {
            None => {
                out.extend_from_slice(&value[start..i]);
                out.extend_from_slice(b"\\ufffd");
                i += 1;
                start = i;
            }
            Some((c, size)) => {
                if c == '\u{2028}' || c == '\u{2029}' {
                    out.extend_from_slice(&value[start..i]);
                    out.extend_from_slice(if c == '\u{2028}' {
                        b"\\u2028"
                    } else {
                        b"\\u2029"
                    });
                    i += size;
                    start = i;
                } else {
                    i += size;
                }
            }
        }
    }
    out.extend_from_slice(&value[start..]);
    out.push(b'"');
}

fn is_html(b: u8) -> bool {
    b == b'<' || b == b'>' || b == b'&'
}

/// Go's `utf8.DecodeRune` on a non-empty slice whose first byte is >= 0x80: the rune and its
/// width, or `None` where Go returns `(RuneError, 1)`. Validity rules (no overlongs, no
/// surrogates, nothing above U+10FFFF) are the same as Rust's.
pub(crate) fn go_decode_rune(s: &[u8]) -> Option<(char, usize)> {
    let width = match s.first()? {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let seq = s.get(..width)?;
    let text = std::str::from_utf8(seq).ok()?;
    text.chars().next().map(|c| (c, width))
}

/// Go's float64 JSON number text (`encoding/json` floatEncoder, 64-bit).
pub fn format_go_float64(value: f64) -> Result<String, NonFiniteFloat> {
    if !value.is_finite() {
        return Err(NonFiniteFloat(value));
    }
    let abs = value.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust's `{:e}` gives the same shortest round-trip digits as Go's 'e' format with
        // precision -1, written as `<mantissa>e<exp>` without sign for positive exponents and
        // without zero padding. Go writes `e+NN` (at least two digits) and then shortens
        // `e-0N` to `e-N`; for |x| >= 1e21 the exponent always has two or more digits, for
        // |x| < 1e-6 Go's shortened form equals the unpadded one.
        let text = format!("{value:e}");
        let (mantissa, exponent) = text
            .split_once('e')
            .expect("LowerExp output always has an exponent");
        let out = if let Some(digits) = exponent.strip_prefix('-') {
            format!("{mantissa}e-{digits}")
        } else if exponent.len() < 2 {
            format!("{mantissa}e+0{exponent}")
        } else {
            format!("{mantissa}e+{exponent}")
        };
        Ok(out)
    } else {
        // Display prints the shortest round-trip digits in plain notation, `-0` for
        // negative zero and no `.0` for integral values, exactly like Go's 'f' format with
        // precision -1.
        Ok(format!("{value}"))
    }
}

// ------------------------------------------------------------------------------------------
// Parsing
// ------------------------------------------------------------------------------------------

/// A parsed JSON document that keeps what Go's decoder can observe: object members in
/// document order (duplicates kept), numbers as their literal text, strings decoded the way
/// Go decodes them (invalid UTF-8 and lone surrogate escapes become U+FFFD).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    /// The literal text of the number, e.g. `1`, `-0`, `1.5e3`.
    Number(String),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>),
}

/// A syntax error (Go: `*json.SyntaxError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("json: syntax error at offset {offset}: {message}")]
pub struct JsonSyntaxError {
    pub offset: usize,
    pub message: &'static str,
}

/// Nesting limit of [`parse`] (Go's is 10000; ours is lower to stay far from the stack limit
/// of small threads; no file of this format nests more than a handful of levels).
pub const MAX_PARSE_DEPTH: usize = 512;

/// Parses exactly one JSON value surrounded by optional whitespace (Go's `json.Unmarshal`
/// acceptance: trailing non-whitespace is an error).
pub fn parse(input: &[u8]) -> Result<JsonValue, JsonSyntaxError> {
    let mut p = Parser { s: input, pos: 0 };
    p.skip_ws();
    let value = p.value(0)?;
    p.skip_ws();
    if p.pos != input.len() {
        return Err(p.err("invalid character after top-level value"));
    }
    Ok(value)
}

impl JsonValue {
    pub fn is_null(&self) -> bool {
        matches!(self, JsonValue::Null)
    }

    pub fn as_object(&self) -> Option<&[(String, JsonValue)]> {
        match self {
            JsonValue::Object(members) => Some(members),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// Member lookup the way a Go `map[string]T` sees an object: exact key, last duplicate
    /// wins. `None` when absent or when `self` is not an object.
    pub fn get_exact(&self, key: &str) -> Option<&JsonValue> {
        self.as_object()?
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Members a Go struct field named `field` (ASCII, as in a json tag) is decoded from, in
    /// document order: keys equal to the name, or equal under Go's case folding (ASCII case,
    /// plus U+212A KELVIN SIGN ~ `k` and U+017F LONG S ~ `s`). Go assigns each in turn, so the
    /// last non-null one determines the value.
    pub fn go_field_members<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a JsonValue> {
        self.as_object()
            .unwrap_or(&[])
            .iter()
            .filter(move |(k, _)| k == field || go_fold_eq(k, field))
            .map(|(_, v)| v)
    }
}

/// Whether `key` matches the ASCII name `field` under Go's `encoding/json` field-name folding.
pub fn go_fold_eq(key: &str, field: &str) -> bool {
    let mut fb = field.bytes();
    for c in key.chars() {
        let folded = match c {
            '\u{212A}' => b'K',
            '\u{017F}' => b'S',
            c if c.is_ascii() => (c as u8).to_ascii_uppercase(),
            _ => return false,
        };
        match fb.next() {
            Some(f) if f.to_ascii_uppercase() == folded => {}
            _ => return false,
        }
    }
    fb.next().is_none()
}

/// The value of a JSON number literal as Go's decoder stores it into an unsigned integer
/// field: plain decimal digits only (`strconv.ParseUint(lit, 10, 64)`), no sign, fraction or
/// exponent.
pub fn parse_go_uint(literal: &str) -> Option<u64> {
    if literal.is_empty() || !literal.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    literal.parse().ok()
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    fn err(&self, message: &'static str) -> JsonSyntaxError {
        JsonSyntaxError {
            offset: self.pos,
            message,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn literal(
        &mut self,
        word: &'static [u8],
        value: JsonValue,
    ) -> Result<JsonValue, JsonSyntaxError> {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonValue, JsonSyntaxError> {
        if depth >= MAX_PARSE_DEPTH {
            return Err(self.err("exceeded max depth"));
        }
        match self.peek() {
            None => Err(self.err("unexpected end of JSON input")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(JsonValue::String(self.string()?)),
            Some(b't') => self.literal(b"true", JsonValue::Bool(true)),
            Some(b'f') => self.literal(b"false", JsonValue::Bool(false)),
            Some(b'n') => self.literal(b"null", JsonValue::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("invalid character looking for beginning of value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonValue, JsonSyntaxError> {
        let mut members = Vec::new();
        self.members(depth, |key, value, _raw| members.push((key, value)))?;
        Ok(JsonValue::Object(members))
    }

    /// Parses the object starting at the current `{`, handing each member to `push` in
    /// document order with the exact text of its value (what a Go `json.RawMessage` gets).
    fn members(
        &mut self,
        depth: usize,
        mut push: impl FnMut(String, JsonValue, &'a [u8]),
    ) -> Result<(), JsonSyntaxError> {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected object key"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':' after object key"));
            }
            self.pos += 1;
            self.skip_ws();
            let start = self.pos;
            let value = self.value(depth + 1)?;
            push(key, value, &self.s[start..self.pos]);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.err("expected ',' or '}' after object value")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsonValue, JsonSyntaxError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(JsonValue::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonValue::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']' after array element")),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<JsonValue, JsonSyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid character in numeric literal")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid character after decimal point"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid character in exponent"));
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.pos]).expect("ASCII digits");
        Ok(JsonValue::Number(text.to_owned()))
    }

    fn hex4(&mut self) -> Result<u32, JsonSyntaxError> {
        let digits = self
            .s
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err("unexpected end in \\u escape"))?;
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid character in \\u escape"))?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonSyntaxError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let b = self
                .peek()
                .ok_or_else(|| self.err("unexpected end of string literal"))?;
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let e = self
                        .peek()
                        .ok_or_else(|| self.err("unexpected end in escape"))?;
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.hex4()?;
                            out.push(self.surrogate_aware(first)?);
                        }
                        _ => return Err(self.err("invalid escape character")),
                    }
                }
                0x00..=0x1F => return Err(self.err("control character in string literal")),
                0x20..=0x7F => {
                    // A run of plain ASCII is copied at once.
                    let run = self.s[self.pos..]
                        .iter()
                        .position(|&c| !(0x20..=0x7F).contains(&c) || c == b'"' || c == b'\\')
                        .unwrap_or(self.s.len() - self.pos);
                    let text = std::str::from_utf8(&self.s[self.pos..self.pos + run])
                        .expect("printable ASCII");
                    out.push_str(text);
                    self.pos += run;
                }
                _ => match go_decode_rune(&self.s[self.pos..]) {
                    Some((c, size)) => {
                        out.push(c);
                        self.pos += size;
                    }
                    None => {
                        out.push('\u{FFFD}');
                        self.pos += 1;
                    }
                },
            }
        }
    }

    /// Go's unquote: a high surrogate followed by a `\u` low surrogate combines; any other
    /// surrogate becomes U+FFFD (and a following escape is decoded on its own).
    fn surrogate_aware(&mut self, first: u32) -> Result<char, JsonSyntaxError> {
        if (0xD800..0xDC00).contains(&first) && self.s[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            self.pos = save;
            return Ok('\u{FFFD}');
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compact_str(value: &[u8], html: bool) -> String {
        let mut w = JsonWriter::new(JsonStyle::Compact, html);
        w.string(value);
        String::from_utf8(w.into_bytes()).unwrap()
    }

    #[test]
    fn escapes_quote_backslash_and_named_controls() {
        assert_eq!(compact_str(b"a\"b\\c", true), r#""a\"b\\c""#);
        assert_eq!(compact_str(b"\n\r\t", true), r#""\n\r\t""#);
        assert_eq!(compact_str(b"\x08\x0c", true), r#""\b\f""#);
    }

    #[test]
    fn other_controls_are_u00xx_lowercase() {
        assert_eq!(compact_str(b"\x00", false), r#""\u0000""#);
        assert_eq!(compact_str(b"\x01\x1f", false), r#""\u0001\u001f""#);
        assert_eq!(
            compact_str(b"\x0b\x0e\x1b", false),
            r#""\u000b\u000e\u001b""#
        );
    }

    #[test]
    fn del_slash_and_non_ascii_are_raw() {
        assert_eq!(compact_str(b"/\x7f", true), "\"/\x7f\"");
        assert_eq!(compact_str("café €😀".as_bytes(), true), "\"café €😀\"");
    }

    #[test]
    fn html_escaping_switch() {
        assert_eq!(compact_str(b"a<b>c&d", true), r#""a\u003cb\u003ec\u0026d""#);
        assert_eq!(compact_str(b"a<b>c&d", false), r#""a<b>c&d""#);
        let mut w = JsonWriter::compact();
        w.begin_array().str("<");
        w.set_escape_html(false).str("<");
        w.end_array();
        assert_eq!(w.as_bytes(), br#"["\u003c","<"]"#);
    }

    #[test]
    fn line_and_paragraph_separators_always_escaped() {
        assert_eq!(
            compact_str("a\u{2028}b\u{2029}c".as_bytes(), false),
            r#""a\u2028b\u2029c""#
        );
        assert_eq!(compact_str("\u{2028}".as_bytes(), true), r#""\u2028""#);
    }

    #[test]
    fn invalid_utf8_each_bad_byte_becomes_escaped_replacement() {
        assert_eq!(compact_str(b"\xff", true), r#""\ufffd""#);
        assert_eq!(compact_str(b"a\x80\xffb", true), r#""a\ufffd\ufffdb""#);
        // Truncated 3-byte sequence: Go reports RuneError width 1 at each position.
        assert_eq!(compact_str(b"\xe2\x82", true), r#""\ufffd\ufffd""#);
        assert_eq!(compact_str(b"\xe2\x82x", true), r#""\ufffd\ufffdx""#);
        // Overlong and surrogate encodings are invalid.
        assert_eq!(compact_str(b"\xc0\xaf", true), r#""\ufffd\ufffd""#);
        assert_eq!(
            compact_str(b"\xed\xa0\x80", true),
            r#""\ufffd\ufffd\ufffd""#
        );
        // Above U+10FFFF.
        assert_eq!(
            compact_str(b"\xf4\x90\x80\x80", true),
            r#""\ufffd\ufffd\ufffd\ufffd""#
        );
        // A literal U+FFFD in valid input stays raw.
        assert_eq!(compact_str("\u{fffd}".as_bytes(), true), "\"\u{fffd}\"");
    }

    #[test]
    fn integers() {
        let mut w = JsonWriter::compact();
        w.begin_array()
            .u64(0)
            .u64(u64::MAX)
            .i64(i64::MIN)
            .i64(-1)
            .end_array();
        assert_eq!(
            w.as_bytes(),
            b"[0,18446744073709551615,-9223372036854775808,-1]"
        );
    }

    fn f(v: f64) -> String {
        format_go_float64(v).unwrap()
    }

    #[test]
    fn floats_like_go() {
        assert_eq!(f(100.0), "100");
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(1e20), "100000000000000000000");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(-1e21), "-1e+21");
        assert_eq!(f(1e-7), "1e-7");
        assert_eq!(f(1e-6), "0.000001");
        assert_eq!(f(123456789012345678.0), "123456789012345680");
        assert_eq!(f(3e300), "3e+300");
        assert_eq!(f(5e-324), "5e-324");
        assert_eq!(f(1.5e-7), "1.5e-7");
        assert_eq!(f(1.2345e-10), "1.2345e-10");
        assert_eq!(f(0.1), "0.1");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(f(9.999999999999999e20), "999999999999999900000");
        assert_eq!(f(-2.5), "-2.5");
        assert!(format_go_float64(f64::NAN).is_err());
        assert!(format_go_float64(f64::INFINITY).is_err());
        let mut w = JsonWriter::compact();
        assert!(w.f64(f64::NEG_INFINITY).is_err());
        assert!(w.as_bytes().is_empty());
    }

    #[test]
    fn compact_layout() {
        let mut w = JsonWriter::compact();
        w.begin_object()
            .key("a")
            .u64(1)
            .key("b")
            .begin_array()
            .end_array()
            .key("c")
            .begin_object()
            .end_object()
            .key("d")
            .begin_array()
            .null()
            .bool(true)
            .bool(false)
            .end_array()
            .end_object();
        assert!(w.is_complete());
        assert_eq!(
            w.as_bytes(),
            br#"{"a":1,"b":[],"c":{},"d":[null,true,false]}"#
        );
    }

    #[test]
    fn pretty_layout_matches_marshal_indent() {
        let mut w = JsonWriter::pretty();
        w.begin_object()
            .key("format_version")
            .u64(1)
            .key("fields")
            .begin_array()
            .begin_object()
            .key("name")
            .str("blob")
            .key("value")
            .begin_object()
            .key("base64")
            .str("gP8B")
            .end_object()
            .end_object()
            .begin_object()
            .key("name")
            .str("name")
            .key("value")
            .str("alice")
            .end_object()
            .end_array()
            .key("expire_at_ms")
            .u64(1788998400000)
            .end_object();
        let expected = "{\n  \"format_version\": 1,\n  \"fields\": [\n    {\n      \"name\": \"blob\",\n      \"value\": {\n        \"base64\": \"gP8B\"\n      }\n    },\n    {\n      \"name\": \"name\",\n      \"value\": \"alice\"\n    }\n  ],\n  \"expire_at_ms\": 1788998400000\n}";
        assert_eq!(std::str::from_utf8(w.as_bytes()).unwrap(), expected);
    }

    #[test]
    fn pretty_empty_containers() {
        let mut w = JsonWriter::pretty();
        w.begin_object()
            .key("items")
            .begin_array()
            .end_array()
            .key("adapters")
            .begin_object()
            .key("redis")
            .begin_object()
            .end_object()
            .end_object()
            .key("expire_at_ms")
            .null()
            .end_object();
        let expected = "{\n  \"items\": [],\n  \"adapters\": {\n    \"redis\": {}\n  },\n  \"expire_at_ms\": null\n}";
        assert_eq!(std::str::from_utf8(w.as_bytes()).unwrap(), expected);
        let mut top = JsonWriter::pretty();
        top.begin_array().end_array();
        assert_eq!(top.as_bytes(), b"[]");
    }

    #[test]
    fn keys_are_escaped_like_strings() {
        let mut w = JsonWriter::compact();
        w.begin_object().key("<k\n>").u64(1).end_object();
        assert_eq!(w.as_bytes(), br#"{"\u003ck\n\u003e":1}"#);
    }

    #[test]
    fn raw_value_inserted_verbatim() {
        let mut w = JsonWriter::compact();
        w.begin_array().raw(b"{\"x\":1}").u64(2).end_array();
        assert_eq!(w.as_bytes(), br#"[{"x":1},2]"#);
    }

    #[test]
    fn clear_allows_reuse() {
        let mut w = JsonWriter::compact();
        w.u64(1);
        assert!(w.is_complete());
        w.clear();
        w.str("x");
        assert_eq!(w.as_bytes(), b"\"x\"");
    }

    #[test]
    #[should_panic(expected = "without a key")]
    fn value_without_key_panics() {
        let mut w = JsonWriter::compact();
        w.begin_object().u64(1);
    }

    #[test]
    #[should_panic(expected = "second top-level value")]
    fn two_top_level_values_panic() {
        let mut w = JsonWriter::compact();
        w.u64(1).u64(2);
    }

    #[test]
    fn parse_basic_document_keeps_order_and_literals() {
        let v = parse(br#" {"b": [1, -0, 1.5e3], "a": {"x": null}, "b": true} "#).unwrap();
        let members = v.as_object().unwrap();
        assert_eq!(members.len(), 3);
        assert_eq!(members[0].0, "b");
        assert_eq!(
            members[0].1,
            JsonValue::Array(vec![
                JsonValue::Number("1".into()),
                JsonValue::Number("-0".into()),
                JsonValue::Number("1.5e3".into()),
            ])
        );
        assert_eq!(v.get_exact("b"), Some(&JsonValue::Bool(true)));
        assert_eq!(
            v.get_exact("a").unwrap().get_exact("x"),
            Some(&JsonValue::Null)
        );
        assert_eq!(v.get_exact("z"), None);
    }

    #[test]
    fn parse_rejects_bad_syntax() {
        for bad in [
            &b""[..],
            b"{",
            b"{} x",
            b"{}{}",
            b"[1,]",
            b"{\"a\":1,}",
            b"01",
            b"1.",
            b"-",
            b"1e",
            b"\"\x01\"",
            b"\"\\x\"",
            b"\"\\u12\"",
            b"tru",
            b"nul",
            b"{a:1}",
        ] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(parse(b"  {}\n\t ").is_ok());
    }

    #[test]
    fn parse_strings_like_go() {
        let s = |input: &[u8]| match parse(input).unwrap() {
            JsonValue::String(s) => s,
            other => panic!("{other:?}"),
        };
        assert_eq!(s(br#""a\/b\"\\\b\f\n\r\t""#), "a/b\"\\\u{8}\u{c}\n\r\t");
        assert_eq!(s(br#""\u00e9\ud83d\ude00""#), "é😀");
        assert_eq!(s(br#""\ud800x""#), "\u{fffd}x");
        assert_eq!(s(br#""\ud800\u0041""#), "\u{fffd}A");
        assert_eq!(s(br#""\udc00""#), "\u{fffd}");
        assert_eq!(s(b"\"\xff\xe2\x82\""), "\u{fffd}\u{fffd}\u{fffd}");
    }

    #[test]
    fn parse_depth_is_bounded() {
        let deep = "[".repeat(MAX_PARSE_DEPTH + 1) + &"]".repeat(MAX_PARSE_DEPTH + 1);
        assert!(parse(deep.as_bytes()).is_err());
        let ok = "[".repeat(10) + &"]".repeat(10);
        assert!(parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn go_field_folding() {
        assert!(go_fold_eq("phase", "phase"));
        assert!(go_fold_eq("PHASE", "phase"));
        assert!(go_fold_eq("Key_Segment_Max_Bytes", "key_segment_max_bytes"));
        assert!(go_fold_eq("\u{212A}ind", "kind"));
        assert!(go_fold_eq("\u{017F}ource", "source"));
        assert!(!go_fold_eq("phases", "phase"));
        assert!(!go_fold_eq("phas", "phase"));
        assert!(!go_fold_eq("phasé", "phase"));
        let v = parse(br#"{"kind":"a","KIND":null,"Kind":"b","other":1}"#).unwrap();
        let got: Vec<_> = v.go_field_members("kind").collect();
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn go_uint_literals() {
        assert_eq!(parse_go_uint("0"), Some(0));
        assert_eq!(parse_go_uint("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_go_uint("18446744073709551616"), None);
        assert_eq!(parse_go_uint("-0"), None);
        assert_eq!(parse_go_uint("1.0"), None);
        assert_eq!(parse_go_uint("1e2"), None);
        assert_eq!(parse_go_uint(""), None);
    }

    #[test]
    fn writer_output_parses_back() {
        let mut w = JsonWriter::pretty();
        w.begin_object()
            .key("s")
            .string(b"\x00<\xff\xe2\x80\xa8")
            .key("n")
            .f64(1e-7)
            .unwrap()
            .end_object();
        let v = parse(w.as_bytes()).unwrap();
        assert_eq!(
            v.get_exact("s").unwrap().as_str().unwrap(),
            "\u{0}<\u{fffd}\u{2028}"
        );
        assert_eq!(v.get_exact("n"), Some(&JsonValue::Number("1e-7".into())));
    }
}

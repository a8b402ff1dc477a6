//! The protobuf messages of the Redis adapter (elastickv `proto/redis_internal.proto`,
//! redis.md §4.9, §4.10) read with Go's `proto.Unmarshal` semantics by a small wire reader:
//!
//! ```text
//! message RedisHashValue   { map<string, string> entries = 1; }
//! message RedisSetValue    { repeated string members = 1; }
//! message RedisZSetEntry   { string member = 1; double score = 2; }
//! message RedisZSetValue   { repeated RedisZSetEntry entries = 1; }
//! message RedisStreamEntry { string id = 1; repeated string fields = 2; }
//! message RedisStreamValue { repeated RedisStreamEntry entries = 1; }
//! ```
//!
//! What Go does and this reader does too: unknown field numbers are skipped (groups
//! included, nested up to 10 000 levels); a known field sent with another wire type is
//! treated as unknown and skipped (prost would reject the message instead); a singular field
//! seen twice keeps the last value; each occurrence of a repeated message field is a new
//! element; a map entry without key or value has `""` there, and a repeated map key keeps the
//! last value; every `string` (map keys and values included) must be valid UTF-8; a `double`
//! is a fixed64 little-endian; field number 0 or above 2^29−1, reserved wire types 6 and 7,
//! a stray end-group marker, a truncated value and a varint longer than 10 bytes are errors.
//!
//! The readers are callback based so that a large blob is never copied into a vector: a
//! caller validates a whole blob with one pass and pushes its elements with a second.

/// Go's `protowire.MaxValidNumber`.
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;
/// Go's `protowire.DefaultRecursionLimit` (skipped groups).
const RECURSION_LIMIT: usize = 10_000;

const WT_VARINT: u64 = 0;
const WT_FIXED64: u64 = 1;
const WT_BYTES: u64 = 2;
const WT_START_GROUP: u64 = 3;
const WT_END_GROUP: u64 = 4;
const WT_FIXED32: u64 = 5;

/// Why Go's decoder would reject a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    #[error("proto: cannot parse invalid wire-format data ({what} at byte {offset})")]
    Malformed { what: &'static str, offset: usize },
    #[error("proto: field {field} contains invalid UTF-8")]
    InvalidUtf8 { field: &'static str },
    #[error("proto: exceeded maximum recursion depth")]
    TooDeep,
}

fn malformed(what: &'static str, offset: usize) -> ProtoError {
    ProtoError::Malformed { what, offset }
}

/// One field value as it appears on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire<'a> {
    Varint,
    Fixed64(u64),
    Fixed32,
    Bytes(&'a [u8]),
    /// A group, skipped whole.
    Group,
}

/// Reads the fields of one message.
struct Fields<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` in the outermost message, for error offsets.
    base: usize,
}

impl<'a> Fields<'a> {
    fn new(buf: &'a [u8], base: usize) -> Self {
        Fields { buf, pos: 0, base }
    }

    fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Go's `ConsumeVarint`.
    fn varint(&mut self) -> Result<u64, ProtoError> {
        let mut value = 0u64;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(malformed("truncated varint", self.offset()));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(malformed("varint overflow", self.offset() - 1));
            }
            value |= u64::from(b & 0x7F) << (7 * i);
            if b < 0x80 {
                return Ok(value);
            }
        }
        Err(malformed("varint overflow", self.offset()))
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], ProtoError> {
        let left = self.buf.len() - self.pos;
        if n > left as u64 {
            return Err(malformed("truncated value", self.offset()));
        }
        let n = n as usize;
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    /// The value of a field of wire type `wt` (a group is consumed up to its end marker).
    fn value(&mut self, number: u64, wt: u64) -> Result<Wire<'a>, ProtoError> {
        match wt {
            WT_VARINT => self.varint().map(|_| Wire::Varint),
            WT_FIXED64 => self
                .take(8)
                .map(|b| Wire::Fixed64(u64::from_le_bytes(b.try_into().expect("8 bytes")))),
            WT_FIXED32 => self.take(4).map(|_| Wire::Fixed32),
            WT_BYTES => {
                let len = self.varint()?;
                self.take(len).map(Wire::Bytes)
            }
            WT_START_GROUP => self.skip_group(number).map(|()| Wire::Group),
            WT_END_GROUP => Err(malformed("unexpected end-group marker", self.offset())),
            _ => Err(malformed("reserved wire type", self.offset())),
        }
    }

    /// Go's `ConsumeFieldValue` for a group, without recursion.
    fn skip_group(&mut self, number: u64) -> Result<(), ProtoError> {
        let mut open = vec![number];
        while let Some(&innermost) = open.last() {
            if self.pos >= self.buf.len() {
                return Err(malformed("group not closed", self.offset()));
            }
            let at = self.offset();
            let tag = self.varint()?;
            // Go's `ConsumeTag` inside a group: numbers up to MaxInt32.
            let (num, wt) = (tag >> 3, tag & 7);
            if num == 0 || num > i32::MAX as u64 {
                return Err(malformed("invalid field number", at));
            }
            match wt {
                WT_END_GROUP if num == innermost => {
                    open.pop();
                }
                WT_END_GROUP => return Err(malformed("mismatched end-group marker", at)),
                WT_START_GROUP => {
                    if open.len() > RECURSION_LIMIT {
                        return Err(ProtoError::TooDeep);
                    }
                    open.push(num);
                }
                _ => {
                    self.value(num, wt)?;
                }
            }
        }
        Ok(())
    }

    /// The next field of the message, `None` at its end.
    fn next(&mut self) -> Result<Option<(u64, Wire<'a>, usize)>, ProtoError> {
        if self.pos >= self.buf.len() {
            return Ok(None);
        }
        let at = self.offset();
        let tag = self.varint()?;
        let (num, wt) = (tag >> 3, tag & 7);
        if num == 0 || num > MAX_FIELD_NUMBER {
            return Err(malformed("invalid field number", at));
        }
        let start = self.offset();
        let value = self.value(num, wt)?;
        Ok(Some((num, value, start)))
    }
}

fn utf8<'a>(raw: &'a [u8], field: &'static str) -> Result<&'a str, ProtoError> {
    std::str::from_utf8(raw).map_err(|_| ProtoError::InvalidUtf8 { field })
}

/// A `string` field value: its bytes when the wire type is right, `None` (unknown field) else.
fn string_field<'a>(wire: Wire<'a>, field: &'static str) -> Result<Option<&'a str>, ProtoError> {
    match wire {
        Wire::Bytes(raw) => utf8(raw, field).map(Some),
        _ => Ok(None),
    }
}

/// One `RedisZSetEntry`: its member and score (proto3 defaults `""` and `0`).
fn zset_entry(buf: &[u8], base: usize) -> Result<(&str, f64), ProtoError> {
    let (mut member, mut score) = ("", 0.0);
    let mut fields = Fields::new(buf, base);
    while let Some((num, wire, _)) = fields.next()? {
        match (num, wire) {
            (1, wire) => {
                if let Some(s) = string_field(wire, "RedisZSetEntry.member")? {
                    member = s;
                }
            }
            (2, Wire::Fixed64(bits)) => score = f64::from_bits(bits),
            _ => {}
        }
    }
    Ok((member, score))
}

/// `RedisZSetValue`: calls `entry(member, score)` for each entry in wire order.
pub fn zset_value<E: From<ProtoError>>(
    buf: &[u8],
    mut entry: impl FnMut(&str, f64) -> Result<(), E>,
) -> Result<(), E> {
    let mut fields = Fields::new(buf, 0);
    while let Some((num, wire, start)) = fields.next()? {
        if let (1, Wire::Bytes(raw)) = (num, wire) {
            let (member, score) = zset_entry(raw, start)?;
            entry(member, score)?;
        }
    }
    Ok(())
}

/// `RedisSetValue`: calls `member(m)` for each member in wire order.
pub fn set_value<E: From<ProtoError>>(
    buf: &[u8],
    mut member: impl FnMut(&str) -> Result<(), E>,
) -> Result<(), E> {
    let mut fields = Fields::new(buf, 0);
    while let Some((num, wire, _)) = fields.next()? {
        if num == 1 {
            if let Some(m) = string_field(wire, "RedisSetValue.members")? {
                member(m)?;
            }
        }
    }
    Ok(())
}

/// `RedisHashValue`: calls `entry(name, value)` for each map entry in wire order (a repeated
/// name is passed again; the caller keeps the last).
pub fn hash_value<E: From<ProtoError>>(
    buf: &[u8],
    mut entry: impl FnMut(&str, &str) -> Result<(), E>,
) -> Result<(), E> {
    let mut fields = Fields::new(buf, 0);
    while let Some((num, wire, start)) = fields.next()? {
        let (1, Wire::Bytes(raw)) = (num, wire) else {
            continue;
        };
        let (mut key, mut value) = ("", "");
        let mut inner = Fields::new(raw, start);
        while let Some((num, wire, _)) = inner.next()? {
            match num {
                1 => {
                    if let Some(s) = string_field(wire, "RedisHashValue.EntriesEntry.key")? {
                        key = s;
                    }
                }
                2 => {
                    if let Some(s) = string_field(wire, "RedisHashValue.EntriesEntry.value")? {
                        value = s;
                    }
                }
                _ => {}
            }
        }
        entry(key, value)?;
    }
    Ok(())
}

/// A decoded `RedisStreamEntry`: its `id` and `fields` (name, value, name, value, …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamEntry<'a> {
    pub id: &'a str,
    pub fields: Vec<&'a str>,
}

/// `RedisStreamEntry`.
pub fn stream_entry(buf: &[u8]) -> Result<StreamEntry<'_>, ProtoError> {
    stream_entry_at(buf, 0)
}

fn stream_entry_at(buf: &[u8], base: usize) -> Result<StreamEntry<'_>, ProtoError> {
    let mut out = StreamEntry::default();
    let mut fields = Fields::new(buf, base);
    while let Some((num, wire, _)) = fields.next()? {
        match num {
            1 => {
                if let Some(id) = string_field(wire, "RedisStreamEntry.id")? {
                    out.id = id;
                }
            }
            2 => {
                if let Some(f) = string_field(wire, "RedisStreamEntry.fields")? {
                    out.fields.push(f);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// `RedisStreamValue`: calls `entry(e)` for each entry in wire order.
pub fn stream_value<E: From<ProtoError>>(
    buf: &[u8],
    mut entry: impl FnMut(StreamEntry<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut fields = Fields::new(buf, 0);
    while let Some((num, wire, start)) = fields.next()? {
        if let (1, Wire::Bytes(raw)) = (num, wire) {
            entry(stream_entry_at(raw, start)?)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Cross-checked against prost encodings of hand-declared messages with the same field
    //! numbers and types as upstream's `.proto`.
    use super::*;
    use prost::Message;

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
        entries: std::collections::BTreeMap<String, String>,
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

    fn zset(buf: &[u8]) -> Result<Vec<(String, f64)>, ProtoError> {
        let mut out = Vec::new();
        zset_value(buf, |m, s| {
            out.push((m.to_string(), s));
            Ok::<_, ProtoError>(())
        })?;
        Ok(out)
    }

    fn set(buf: &[u8]) -> Result<Vec<String>, ProtoError> {
        let mut out = Vec::new();
        set_value(buf, |m| {
            out.push(m.to_string());
            Ok::<_, ProtoError>(())
        })?;
        Ok(out)
    }

    fn hash(buf: &[u8]) -> Result<Vec<(String, String)>, ProtoError> {
        let mut out = Vec::new();
        hash_value(buf, |k, v| {
            out.push((k.to_string(), v.to_string()));
            Ok::<_, ProtoError>(())
        })?;
        Ok(out)
    }

    #[test]
    fn reads_what_prost_writes() {
        let z = ZValue {
            entries: vec![
                ZEntry {
                    member: "alice".into(),
                    score: 100.0,
                },
                ZEntry {
                    member: "zero".into(),
                    score: 0.0,
                },
                ZEntry {
                    member: "neg".into(),
                    score: -0.5,
                },
            ],
        };
        assert_eq!(
            zset(&z.encode_to_vec()).unwrap(),
            vec![
                ("alice".into(), 100.0),
                ("zero".into(), 0.0),
                ("neg".into(), -0.5)
            ]
        );
        // redis.md §4.9 example (member m, score 1.0), after the magic.
        assert_eq!(
            zset(&[0x0A, 0x0C, 0x0A, 0x01, 0x6D, 0x11, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F]).unwrap(),
            vec![("m".into(), 1.0)]
        );
        let s = SValue {
            members: vec!["b".into(), "a".into(), "b".into()],
        };
        assert_eq!(set(&s.encode_to_vec()).unwrap(), vec!["b", "a", "b"]);
        let h = HValue {
            entries: [
                ("k".to_string(), "v".to_string()),
                (String::new(), "e".into()),
            ]
            .into_iter()
            .collect(),
        };
        assert_eq!(
            hash(&h.encode_to_vec()).unwrap(),
            vec![(String::new(), "e".into()), ("k".into(), "v".into())]
        );
        let x = XEntry {
            id: "100-5".into(),
            fields: vec!["k".into(), "v".into()],
        };
        let encoded = x.encode_to_vec();
        // redis.md §4.10 example, after the magic.
        assert_eq!(encoded, b"\x0A\x05100-5\x12\x01k\x12\x01v".to_vec());
        assert_eq!(
            stream_entry(&encoded).unwrap(),
            StreamEntry {
                id: "100-5",
                fields: vec!["k", "v"]
            }
        );
        let xv = XValue {
            entries: vec![x.clone(), XEntry::default()],
        };
        let mut got = Vec::new();
        stream_value(&xv.encode_to_vec(), |e| {
            got.push((e.id.to_string(), e.fields.len()));
            Ok::<_, ProtoError>(())
        })
        .unwrap();
        assert_eq!(got, vec![("100-5".into(), 2), (String::new(), 0)]);
        assert_eq!(zset(b"").unwrap(), vec![]);
    }

    #[test]
    fn go_semantics() {
        // Last value of a singular field wins; map: repeated key keeps the last value, an
        // entry without key/value has "".
        let entry = b"\x0A\x01a\x0A\x01b\x11\x00\x00\x00\x00\x00\x00\xF0\x3F";
        let mut blob = vec![0x0A, entry.len() as u8];
        blob.extend_from_slice(entry);
        assert_eq!(zset(&blob).unwrap(), vec![("b".into(), 1.0)]);
        let map = b"\x0A\x06\x0A\x01k\x12\x011\x0A\x06\x0A\x01k\x12\x012\x0A\x00";
        assert_eq!(
            hash(map).unwrap(),
            vec![
                ("k".into(), "1".into()),
                ("k".into(), "2".into()),
                (String::new(), String::new())
            ]
        );
        // Unknown fields of every wire type are skipped, groups included.
        let unknown = b"\x18\x96\x01\x21\x01\x02\x03\x04\x05\x06\x07\x08\x2D\x01\x02\x03\x04\x32\x02hi\x3B\x08\x01\x43\x08\x02\x44\x3C\x0A\x01m";
        assert_eq!(set(unknown).unwrap(), vec!["m"]);
        // A known field with the wrong wire type is unknown: member sent as varint, score as
        // fixed32.
        let wrong = b"\x0A\x07\x08\x05\x15\x00\x00\x80\x3F";
        assert_eq!(zset(wrong).unwrap(), vec![(String::new(), 0.0)]);
        assert_eq!(set(b"\x08\x01").unwrap(), Vec::<String>::new());
        // Invalid UTF-8 in any string is an error.
        assert_eq!(
            set(b"\x0A\x01\xFF"),
            Err(ProtoError::InvalidUtf8 {
                field: "RedisSetValue.members"
            })
        );
        assert!(hash(b"\x0A\x03\x12\x01\xC0").is_err());
        assert!(stream_entry(b"\x12\x02\xED\xA0").is_err());
        assert!(zset(b"\x0A\x03\x0A\x01\x80").is_err());
        // Wire-format errors.
        for bad in [
            &b"\x0A"[..],                                    // truncated length
            b"\x0A\x05ab",                                   // truncated value
            b"\x00\x01",                                     // field number 0
            b"\x80\x80\x80\x80\x10\x00",                     // field number 2^29
            b"\x0E",                                         // reserved wire type 6
            b"\x0C",                                         // end group at top level
            b"\x0B\x0A\x01a",                                // group never closed
            b"\x0B\x14",                                     // group closed with another number
            b"\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x02", // varint overflow
            b"\x08\xFF",                                     // truncated varint
            b"\x21\x01\x02",                                 // truncated fixed64
        ] {
            assert!(
                matches!(set(bad), Err(ProtoError::Malformed { .. })),
                "{bad:?}"
            );
        }
        // Ten-byte varints whose last byte is 1 are fine.
        assert_eq!(
            set(b"\x08\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01").unwrap(),
            Vec::<String>::new()
        );
        // Deep unknown groups: up to the limit, then an error.
        let depth = |n: usize| {
            let mut b = vec![0x0B; n];
            b.resize(2 * n, 0x0C);
            b
        };
        assert!(set(&depth(100)).is_ok());
        assert_eq!(set(&depth(RECURSION_LIMIT + 5)), Err(ProtoError::TooDeep));
    }
}

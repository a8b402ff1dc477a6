//! Everything the adapter buffers until finalize: [`Pending`] records (one fact about one
//! Redis user key) in one external merge sorter, and [`Deferred`] outputs whose order
//! upstream fixes (TTL-index lines, KEYMAP records, warnings) in a second one.
//!
//! The records of one user key arrive in several places of the key order (`!hs|fld|` before
//! `!hs|meta|`, both before `!redis|ttl|`, which precedes `!st|`, `!stream|` and `!zs|`) and
//! the collection families order their keys by `<u32 length><key>` while `!redis|…` orders
//! them by the raw key. Sorting every record by (user key, [`Part`], sub-key, arrival) brings
//! all facts of one key together, TTL first, then each type's meta before its members, the
//! members in output order: finalize writes each key's files in one streaming pass.

use std::cmp::Ordering;
use std::mem::size_of;

use crate::spill::{SpillError, SpillRecord};

/// Bytes a heap allocation of `len` bytes costs (the allocator rounds up and keeps a header).
fn allocation(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 16).next_multiple_of(16)
    }
}

/// The type a part belongs to: one output file (or TTL line) per key and lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lane {
    Ttl,
    String,
    Hll,
    Hash,
    List,
    Set,
    Zset,
    Stream,
}

/// What a record is; the declaration order is the order of the records of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Part {
    /// `!redis|ttl|`: payload u64 (raw).
    Ttl = 0,
    /// `!redis|str|`: payload [`StrPayload`].
    String = 1,
    /// `!redis|hll|`: payload [`StrPayload`].
    Hll = 2,
    /// `!hs|meta|`: payload [`MetaPayload`].
    HashMeta = 3,
    /// `!hs|meta|d|`: payload i64.
    HashDelta = 4,
    /// `!redis|hash|` exists (its entries follow as [`Part::HashLegacyField`]).
    HashLegacy = 5,
    /// `!hs|fld|`: sub = field name, payload = value.
    HashField = 6,
    /// One entry of a `!redis|hash|` blob: sub = name, payload = value.
    HashLegacyField = 7,
    ListMeta = 8,
    /// `!lst|meta|d|`: payload i64 (the length delta).
    ListDelta = 9,
    /// `!lst|itm|`: sub = sortable seq, payload = value.
    ListItem = 10,
    SetMeta = 11,
    SetDelta = 12,
    SetLegacy = 13,
    /// `!st|mem|`: sub = member.
    SetMember = 14,
    SetLegacyMember = 15,
    ZsetMeta = 16,
    ZsetDelta = 17,
    /// `!redis|zset|` exists.
    ZsetLegacy = 18,
    /// `!zs|mem|`: sub = member, payload = score bits.
    ZsetMember = 19,
    ZsetLegacyMember = 20,
    /// `!stream|meta|`: payload [`StreamMetaPayload`].
    StreamMeta = 21,
    StreamLegacy = 22,
    /// `!stream|entry|`: sub = ms ‖ seq (u64be each), payload = encoded fields.
    StreamEntry = 23,
    StreamLegacyEntry = 24,
}

impl Part {
    const ALL: [Part; 25] = [
        Part::Ttl,
        Part::String,
        Part::Hll,
        Part::HashMeta,
        Part::HashDelta,
        Part::HashLegacy,
        Part::HashField,
        Part::HashLegacyField,
        Part::ListMeta,
        Part::ListDelta,
        Part::ListItem,
        Part::SetMeta,
        Part::SetDelta,
        Part::SetLegacy,
        Part::SetMember,
        Part::SetLegacyMember,
        Part::ZsetMeta,
        Part::ZsetDelta,
        Part::ZsetLegacy,
        Part::ZsetMember,
        Part::ZsetLegacyMember,
        Part::StreamMeta,
        Part::StreamLegacy,
        Part::StreamEntry,
        Part::StreamLegacyEntry,
    ];

    fn from_u8(tag: u8) -> Option<Part> {
        Part::ALL.get(usize::from(tag)).copied()
    }

    pub fn lane(self) -> Lane {
        match self as u8 {
            0 => Lane::Ttl,
            1 => Lane::String,
            2 => Lane::Hll,
            3..=7 => Lane::Hash,
            8..=10 => Lane::List,
            11..=15 => Lane::Set,
            16..=20 => Lane::Zset,
            _ => Lane::Stream,
        }
    }
}

/// One buffered fact about one user key.
#[derive(Debug, Clone)]
pub struct Pending {
    part: Part,
    /// Position among all records of the decode: the last tie-breaker (last one wins).
    arrival: u64,
    uk_len: u32,
    sub_len: u32,
    /// User key, sub-key, payload: one allocation per record.
    data: Box<[u8]>,
}

impl Pending {
    pub fn new(part: Part, arrival: u64, uk: &[u8], sub: &[u8], payload: &[u8]) -> Self {
        let mut data = Vec::with_capacity(uk.len() + sub.len() + payload.len());
        data.extend_from_slice(uk);
        data.extend_from_slice(sub);
        data.extend_from_slice(payload);
        Pending {
            part,
            arrival,
            uk_len: u32::try_from(uk.len()).expect("a key is shorter than 4 GiB"),
            sub_len: u32::try_from(sub.len()).expect("a key is shorter than 4 GiB"),
            data: data.into_boxed_slice(),
        }
    }

    pub fn part(&self) -> Part {
        self.part
    }

    pub fn user_key(&self) -> &[u8] {
        &self.data[..self.uk_len as usize]
    }

    pub fn sub(&self) -> &[u8] {
        let start = self.uk_len as usize;
        &self.data[start..start + self.sub_len as usize]
    }

    pub fn payload(&self) -> &[u8] {
        &self.data[(self.uk_len + self.sub_len) as usize..]
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        self.user_key()
            .cmp(other.user_key())
            .then(self.part.cmp(&other.part))
            .then_with(|| self.sub().cmp(other.sub()))
            .then(self.arrival.cmp(&other.arrival))
    }
}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality is the order's (arrival makes every record distinct).
impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pending {}

fn take<const N: usize>(bytes: &mut &[u8], what: &str) -> Result<[u8; N], SpillError> {
    if bytes.len() < N {
        return Err(SpillError::invalid_record(format!(
            "truncated Redis {what} record"
        )));
    }
    let (head, rest) = bytes.split_at(N);
    *bytes = rest;
    Ok(head.try_into().expect("N bytes"))
}

/// Encoding: part, arrival, key and sub-key lengths (little-endian), then `data`.
impl SpillRecord for Pending {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.part as u8);
        out.extend_from_slice(&self.arrival.to_le_bytes());
        out.extend_from_slice(&self.uk_len.to_le_bytes());
        out.extend_from_slice(&self.sub_len.to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    fn decode(mut bytes: &[u8]) -> Result<Self, SpillError> {
        let bytes = &mut bytes;
        let tag = take::<1>(bytes, "pending")?[0];
        let part = Part::from_u8(tag)
            .ok_or_else(|| SpillError::invalid_record(format!("unknown Redis part {tag}")))?;
        let arrival = u64::from_le_bytes(take(bytes, "pending")?);
        let uk_len = u32::from_le_bytes(take(bytes, "pending")?);
        let sub_len = u32::from_le_bytes(take(bytes, "pending")?);
        if (uk_len as usize).saturating_add(sub_len as usize) > bytes.len() {
            return Err(SpillError::invalid_record(format!(
                "Redis record lengths {uk_len} + {sub_len} exceed its {} data bytes",
                bytes.len()
            )));
        }
        Ok(Pending {
            part,
            arrival,
            uk_len,
            sub_len,
            data: (*bytes).into(),
        })
    }

    /// The struct twice (a buffer `Vec` may hold up to twice the capacity it uses) plus the
    /// one allocation of key, sub-key and payload.
    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + allocation(self.data.len())
    }
}

/// `!redis|str|` / `!redis|hll|` payload: flags (bit 0 new format, bit 1 inline expiry),
/// the normalised inline expiry (u64le), then the value.
pub fn str_payload(new_format: bool, expire_at: Option<u64>, value: &[u8]) -> Vec<u8> {
    let flags = u8::from(new_format) | (u8::from(expire_at.is_some()) << 1);
    let mut out = Vec::with_capacity(9 + value.len());
    out.push(flags);
    out.extend_from_slice(&expire_at.unwrap_or(0).to_le_bytes());
    out.extend_from_slice(value);
    out
}

/// A decoded [`str_payload`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StrPayload<'a> {
    pub new_format: bool,
    pub expire_at: Option<u64>,
    pub value: &'a [u8],
}

pub fn read_str_payload(raw: &[u8]) -> StrPayload<'_> {
    let flags = raw[0];
    let ttl = u64::from_le_bytes(raw[1..9].try_into().expect("8 bytes"));
    StrPayload {
        new_format: flags & 1 != 0,
        expire_at: (flags & 2 != 0).then_some(ttl),
        value: &raw[9..],
    }
}

/// Base meta payload (hash / list / set / zset): len (i64le), has-inline flag, inline expiry
/// as stored (u64le).
pub fn meta_payload(len: i64, inline_expire: Option<u64>) -> [u8; 17] {
    let mut out = [0u8; 17];
    out[..8].copy_from_slice(&len.to_le_bytes());
    out[8] = u8::from(inline_expire.is_some());
    out[9..].copy_from_slice(&inline_expire.unwrap_or(0).to_le_bytes());
    out
}

pub fn read_meta_payload(raw: &[u8]) -> (i64, Option<u64>) {
    let len = i64::from_le_bytes(raw[..8].try_into().expect("8 bytes"));
    let ttl = u64::from_le_bytes(raw[9..17].try_into().expect("8 bytes"));
    (len, (raw[8] != 0).then_some(ttl))
}

/// Stream meta payload: length (i64le), last ms, last seq, has-inline flag, inline expiry.
pub fn stream_meta_payload(meta: &super::value::StreamMeta) -> [u8; 33] {
    let mut out = [0u8; 33];
    out[..8].copy_from_slice(&meta.length.to_le_bytes());
    out[8..16].copy_from_slice(&meta.last_ms.to_le_bytes());
    out[16..24].copy_from_slice(&meta.last_seq.to_le_bytes());
    out[24] = u8::from(meta.inline_expire.is_some());
    out[25..].copy_from_slice(&meta.inline_expire.unwrap_or(0).to_le_bytes());
    out
}

pub fn read_stream_meta_payload(raw: &[u8]) -> super::value::StreamMeta {
    let u = |at: usize| u64::from_le_bytes(raw[at..at + 8].try_into().expect("8 bytes"));
    super::value::StreamMeta {
        length: i64::from_le_bytes(raw[..8].try_into().expect("8 bytes")),
        last_ms: u(8),
        last_seq: u(16),
        inline_expire: (raw[24] != 0).then(|| u(25)),
    }
}

/// A list item's sub-key: the sequence with its sign bit flipped, big-endian, so that byte
/// order is numeric order (the key's own encoding).
pub fn seq_sub(seq: i64) -> [u8; 8] {
    ((seq as u64) ^ (1 << 63)).to_be_bytes()
}

/// A stream entry's sub-key: ms ‖ seq, big-endian.
pub fn id_sub(ms: u64, seq: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&ms.to_be_bytes());
    out[8..].copy_from_slice(&seq.to_be_bytes());
    out
}

pub fn read_id_sub(sub: &[u8]) -> (u64, u64) {
    (
        u64::from_be_bytes(sub[..8].try_into().expect("8 bytes")),
        u64::from_be_bytes(sub[8..16].try_into().expect("8 bytes")),
    )
}

/// Stream entry fields: each as u32le length and bytes.
pub fn fields_payload<'a>(fields: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        out.extend_from_slice(&u32::try_from(f.len()).expect("< 4 GiB").to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// The fields of a [`fields_payload`].
pub fn read_fields(mut raw: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (len, rest) = raw.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        let (field, rest) = rest.split_at(len.min(rest.len()));
        raw = rest;
        Some(field)
    })
}

// ------------------------------------------------------------------------------------------
// Deferred outputs
// ------------------------------------------------------------------------------------------

/// Where a deferred output goes, in the order finalize writes them (upstream's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Stage {
    /// A `strings_ttl.jsonl` line from the TTL index (after every inline line).
    StringIndexTtl = 0,
    /// An `hll_ttl.jsonl` line from the TTL index.
    HllIndexTtl = 1,
    /// KEYMAP records, by the step of upstream's run that writes them: HLL blobs and their
    /// inline TTL lines, then strings, then TTL-index lines, then each collection type.
    KeymapHll = 2,
    KeymapString = 3,
    KeymapTtlIndex = 4,
    KeymapHash = 5,
    KeymapList = 6,
    KeymapSet = 7,
    KeymapZset = 8,
    KeymapStream = 9,
    /// Warnings of each collection type's flush, in upstream's flush order.
    WarnHash = 10,
    WarnList = 11,
    WarnSet = 12,
    WarnZset = 13,
    WarnStream = 14,
}

impl Stage {
    const ALL: [Stage; 15] = [
        Stage::StringIndexTtl,
        Stage::HllIndexTtl,
        Stage::KeymapHll,
        Stage::KeymapString,
        Stage::KeymapTtlIndex,
        Stage::KeymapHash,
        Stage::KeymapList,
        Stage::KeymapSet,
        Stage::KeymapZset,
        Stage::KeymapStream,
        Stage::WarnHash,
        Stage::WarnList,
        Stage::WarnSet,
        Stage::WarnZset,
        Stage::WarnStream,
    ];
}

/// One deferred output: a rendered line, a KEYMAP record (`encoded` name length u32le,
/// the name, the original key) or a warning ([`WarningRecord`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deferred {
    pub stage: Stage,
    pub seq: u64,
    pub data: Box<[u8]>,
}

impl Ord for Deferred {
    fn cmp(&self, other: &Self) -> Ordering {
        self.stage.cmp(&other.stage).then(self.seq.cmp(&other.seq))
    }
}

impl PartialOrd for Deferred {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl SpillRecord for Deferred {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.stage as u8);
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    fn decode(mut bytes: &[u8]) -> Result<Self, SpillError> {
        let bytes = &mut bytes;
        let tag = take::<1>(bytes, "deferred")?[0];
        let stage = Stage::ALL
            .get(usize::from(tag))
            .copied()
            .ok_or_else(|| SpillError::invalid_record(format!("unknown Redis stage {tag}")))?;
        let seq = u64::from_le_bytes(take(bytes, "deferred")?);
        Ok(Deferred {
            stage,
            seq,
            data: (*bytes).into(),
        })
    }

    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + allocation(self.data.len())
    }
}

/// A KEYMAP record's data.
pub fn keymap_data(encoded: &str, original: &[u8]) -> Box<[u8]> {
    let mut out = Vec::with_capacity(4 + encoded.len() + original.len());
    out.extend_from_slice(&u32::try_from(encoded.len()).expect("short").to_le_bytes());
    out.extend_from_slice(encoded.as_bytes());
    out.extend_from_slice(original);
    out.into_boxed_slice()
}

/// (encoded, original) of a KEYMAP record's data.
pub fn read_keymap_data(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = data.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    (len <= rest.len()).then(|| rest.split_at(len))
}

/// A length-mismatch or orphan-entries warning: which event and its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarningRecord {
    /// 0 = length mismatch of the stage's type, 1 = stream entries without meta.
    pub orphan_entries: bool,
    pub user_key_len: u64,
    pub declared: i128,
    pub observed: u64,
}

impl WarningRecord {
    pub fn encode(&self) -> Box<[u8]> {
        let mut out = Vec::with_capacity(33);
        out.push(u8::from(self.orphan_entries));
        out.extend_from_slice(&self.user_key_len.to_le_bytes());
        out.extend_from_slice(&self.declared.to_le_bytes());
        out.extend_from_slice(&self.observed.to_le_bytes());
        out.into_boxed_slice()
    }

    pub fn decode(raw: &[u8]) -> Option<WarningRecord> {
        if raw.len() != 33 {
            return None;
        }
        Some(WarningRecord {
            orphan_entries: raw[0] != 0,
            user_key_len: u64::from_le_bytes(raw[1..9].try_into().ok()?),
            declared: i128::from_le_bytes(raw[9..25].try_into().ok()?),
            observed: u64::from_le_bytes(raw[25..33].try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: SpillRecord>(r: &T) -> T {
        let mut encoded = Vec::new();
        r.encode(&mut encoded);
        T::decode(&encoded).unwrap()
    }

    #[test]
    fn records_round_trip_and_sort_by_key_then_part() {
        let p = Pending::new(Part::HashField, 7, b"uk", b"field", b"value");
        let back = round_trip(&p);
        assert_eq!(back.part(), Part::HashField);
        assert_eq!(back.arrival, 7);
        assert_eq!(
            (back.user_key(), back.sub(), back.payload()),
            (&b"uk"[..], &b"field"[..], &b"value"[..])
        );
        assert_eq!(back.approx_size(), p.approx_size());
        let mut encoded = Vec::new();
        p.encode(&mut encoded);
        assert!(Pending::decode(&encoded[..5]).is_err());
        let mut bad = encoded.clone();
        bad[0] = 99;
        assert!(Pending::decode(&bad).is_err());
        let mut bad = encoded.clone();
        bad[9..13].copy_from_slice(&100u32.to_le_bytes());
        assert!(Pending::decode(&bad).is_err());

        let mut records = [
            Pending::new(Part::ZsetMember, 0, b"b", b"m", b""),
            Pending::new(Part::HashField, 1, b"a", b"z", b""),
            Pending::new(Part::Ttl, 2, b"b", b"", b""),
            Pending::new(Part::HashMeta, 3, b"a", b"", b""),
            Pending::new(Part::HashField, 4, b"a", b"y", b""),
            Pending::new(Part::HashField, 5, b"a", b"y", b""),
            Pending::new(Part::String, 6, b"", b"", b""),
        ];
        records.sort();
        let order: Vec<u64> = records.iter().map(|r| r.arrival).collect();
        assert_eq!(order, vec![6, 3, 4, 5, 1, 2, 0]);
        for part in Part::ALL {
            assert_eq!(Part::from_u8(part as u8), Some(part));
        }
        assert_eq!(Part::StreamLegacyEntry.lane(), Lane::Stream);
        assert_eq!(Part::HashLegacyField.lane(), Lane::Hash);
        assert_eq!(Part::ListItem.lane(), Lane::List);
    }

    #[test]
    fn payloads_round_trip() {
        let s = str_payload(true, Some(5), b"v");
        assert_eq!(
            read_str_payload(&s),
            StrPayload {
                new_format: true,
                expire_at: Some(5),
                value: b"v"
            }
        );
        assert_eq!(
            read_str_payload(&str_payload(false, None, b"")).expire_at,
            None
        );
        assert_eq!(read_meta_payload(&meta_payload(-4, Some(0))), (-4, Some(0)));
        assert_eq!(read_meta_payload(&meta_payload(4, None)), (4, None));
        let m = super::super::value::StreamMeta {
            length: 3,
            last_ms: 9,
            last_seq: 1,
            inline_expire: Some(77),
        };
        assert_eq!(read_stream_meta_payload(&stream_meta_payload(&m)), m);
        let mut seqs = [5i64, -1, i64::MIN, 0, i64::MAX, -2];
        let mut subs: Vec<[u8; 8]> = seqs.iter().map(|&s| seq_sub(s)).collect();
        seqs.sort();
        subs.sort();
        assert_eq!(subs, seqs.iter().map(|&s| seq_sub(s)).collect::<Vec<_>>());
        assert_eq!(read_id_sub(&id_sub(7, 9)), (7, 9));
        let f = fields_payload([&b"a"[..], b"", b"bcd"]);
        assert_eq!(
            read_fields(&f).collect::<Vec<_>>(),
            vec![&b"a"[..], b"", b"bcd"]
        );
        let k = keymap_data("enc", b"orig");
        assert_eq!(read_keymap_data(&k), Some((&b"enc"[..], &b"orig"[..])));
        let w = WarningRecord {
            orphan_entries: true,
            user_key_len: 3,
            declared: -5,
            observed: 2,
        };
        assert_eq!(WarningRecord::decode(&w.encode()), Some(w));
        let d = Deferred {
            stage: Stage::WarnZset,
            seq: 4,
            data: w.encode(),
        };
        assert_eq!(round_trip(&d), d);
        let mut ds = [
            Deferred {
                stage: Stage::KeymapHash,
                seq: 0,
                data: Box::new([]),
            },
            Deferred {
                stage: Stage::StringIndexTtl,
                seq: 5,
                data: Box::new([]),
            },
            Deferred {
                stage: Stage::StringIndexTtl,
                seq: 1,
                data: Box::new([]),
            },
        ];
        ds.sort();
        assert_eq!(ds.iter().map(|d| d.seq).collect::<Vec<_>>(), vec![1, 5, 0]);
    }
}

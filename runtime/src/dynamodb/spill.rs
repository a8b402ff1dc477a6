//! The two kinds of buffered records, their order, spill encoding and budget charge.
//!
//! * [`Pending`] — an item as it arrived (checked protobuf payload), until finalize. Items
//!   arrive before their table's schema (dynamodb.md §1 item 5), so nothing about their
//!   file can be known yet. Ordered by table (decoded name, then key segment: the order
//!   finalize visits tables in), generation, arrival.
//! * [`Placed`] — an item of an emitted generation of one table, rendered, with its key
//!   segments: what finalize writes. Ordered by file (hash segment, range segment), then
//!   the item that wins the file first: active generation before migration source, later
//!   arrival before earlier. So each file's items are adjacent and the first is the one
//!   upstream's "later write wins" leaves on disk.

use std::cmp::{Ordering, Reverse};
use std::mem::size_of;

use crate::spill::{SpillError, SpillRecord};

/// Bytes a heap allocation of `len` bytes costs (allocator rounding and header).
fn allocation(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 16).next_multiple_of(16)
    }
}

/// `N` byte strings in one allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parts<const N: usize> {
    /// Lengths of the first `N - 1` parts; the last part is the rest.
    lens: [u32; N],
    data: Box<[u8]>,
}

impl<const N: usize> Parts<N> {
    fn new(parts: [&[u8]; N]) -> Self {
        let total = parts.iter().map(|p| p.len()).sum();
        let mut data = Vec::with_capacity(total);
        let mut lens = [0u32; N];
        for (len, part) in lens.iter_mut().zip(parts) {
            *len = u32::try_from(part.len()).expect("a record part is shorter than 4 GiB");
            data.extend_from_slice(part);
        }
        Parts {
            lens,
            data: data.into_boxed_slice(),
        }
    }

    fn get(&self, i: usize) -> &[u8] {
        let start: usize = self.lens[..i].iter().map(|&l| l as usize).sum();
        &self.data[start..start + self.lens[i] as usize]
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for len in &self.lens[..N - 1] {
            out.extend_from_slice(&len.to_le_bytes());
        }
        out.extend_from_slice(&self.data);
    }

    fn decode(bytes: &mut &[u8]) -> Result<Self, SpillError> {
        let mut lens = [0u32; N];
        for len in &mut lens[..N - 1] {
            *len = u32::from_le_bytes(take(bytes)?);
        }
        let fixed: u64 = lens[..N - 1].iter().map(|&l| u64::from(l)).sum();
        let rest = (bytes.len() as u64).checked_sub(fixed).ok_or_else(|| {
            SpillError::invalid_record(format!(
                "DynamoDB record part lengths {fixed} exceed its {} data bytes",
                bytes.len()
            ))
        })?;
        lens[N - 1] = u32::try_from(rest)
            .map_err(|_| SpillError::invalid_record("DynamoDB record part over 4 GiB"))?;
        Ok(Parts {
            lens,
            data: (*bytes).into(),
        })
    }

    fn heap(&self) -> usize {
        allocation(self.data.len())
    }
}

fn take<const N: usize>(bytes: &mut &[u8]) -> Result<[u8; N], SpillError> {
    if bytes.len() < N {
        return Err(SpillError::invalid_record(
            "truncated DynamoDB record header",
        ));
    }
    let (head, rest) = bytes.split_at(N);
    *bytes = rest;
    Ok(head.try_into().expect("N bytes"))
}

/// An item waiting for finalize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Generation from the item key.
    pub generation: u64,
    /// Position among all items of the decode (key order).
    pub arrival: u64,
    /// Deepest protobuf message level of the payload.
    pub depth: u32,
    /// Table name (decoded key segment), key segment, primary-key payload of the key,
    /// checked protobuf payload.
    parts: Parts<4>,
}

impl Pending {
    pub fn new(
        name: &[u8],
        encoded: &[u8],
        generation: u64,
        arrival: u64,
        primary_key: &[u8],
        payload: &[u8],
        depth: u32,
    ) -> Self {
        Pending {
            generation,
            arrival,
            depth,
            parts: Parts::new([name, encoded, primary_key, payload]),
        }
    }

    pub fn name(&self) -> &[u8] {
        self.parts.get(0)
    }

    pub fn encoded(&self) -> &[u8] {
        self.parts.get(1)
    }

    /// The key's primary-key payload (never decoded; for messages only).
    pub fn primary_key(&self) -> &[u8] {
        self.parts.get(2)
    }

    /// The `DynamoItem` protobuf, as Go would read it (see `wire`).
    pub fn payload(&self) -> &[u8] {
        self.parts.get(3)
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        self.name()
            .cmp(other.name())
            .then_with(|| self.encoded().cmp(other.encoded()))
            .then(self.generation.cmp(&other.generation))
            .then(self.arrival.cmp(&other.arrival))
    }
}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl SpillRecord for Pending {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.generation.to_le_bytes());
        out.extend_from_slice(&self.arrival.to_le_bytes());
        out.extend_from_slice(&self.depth.to_le_bytes());
        self.parts.encode(out);
    }

    fn decode(mut bytes: &[u8]) -> Result<Self, SpillError> {
        let bytes = &mut bytes;
        Ok(Pending {
            generation: u64::from_le_bytes(take(bytes)?),
            arrival: u64::from_le_bytes(take(bytes)?),
            depth: u32::from_le_bytes(take(bytes)?),
            parts: Parts::decode(bytes)?,
        })
    }

    /// The struct twice (a buffer `Vec` may hold up to twice what it uses) plus its one
    /// allocation.
    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + self.parts.heap()
    }
}

/// Which of the two emitted generations an item belongs to; the active one wins a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rank {
    MigrationSource = 0,
    Active = 1,
}

/// An item ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub rank: Rank,
    pub arrival: u64,
    /// Composite table: the item has a range segment.
    pub has_range: bool,
    /// Hash segment, range segment (empty without), what the filename encoder was given for
    /// each, rendered body.
    parts: Parts<5>,
}

impl Placed {
    pub fn new(
        rank: Rank,
        arrival: u64,
        hash: (&str, &[u8]),
        range: Option<(&str, &[u8])>,
        body: &[u8],
    ) -> Self {
        let (range_seg, range_raw) = range.unwrap_or(("", b""));
        Placed {
            rank,
            arrival,
            has_range: range.is_some(),
            parts: Parts::new([
                hash.0.as_bytes(),
                range_seg.as_bytes(),
                hash.1,
                range_raw,
                body,
            ]),
        }
    }

    fn text(&self, i: usize) -> &str {
        std::str::from_utf8(self.parts.get(i)).expect("segments are ASCII")
    }

    pub fn hash_segment(&self) -> &str {
        self.text(0)
    }

    pub fn range_segment(&self) -> Option<&str> {
        self.has_range.then(|| self.text(1))
    }

    pub fn hash_raw(&self) -> &[u8] {
        self.parts.get(2)
    }

    pub fn range_raw(&self) -> &[u8] {
        self.parts.get(3)
    }

    pub fn body(&self) -> &[u8] {
        self.parts.get(4)
    }

    /// True when both name the same file.
    pub fn same_file(&self, other: &Placed) -> bool {
        self.has_range == other.has_range
            && self.parts.get(0) == other.parts.get(0)
            && self.parts.get(1) == other.parts.get(1)
    }
}

impl Ord for Placed {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts
            .get(0)
            .cmp(other.parts.get(0))
            .then(self.has_range.cmp(&other.has_range))
            .then_with(|| self.parts.get(1).cmp(other.parts.get(1)))
            .then(Reverse(self.rank).cmp(&Reverse(other.rank)))
            .then(Reverse(self.arrival).cmp(&Reverse(other.arrival)))
    }
}

impl PartialOrd for Placed {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl SpillRecord for Placed {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.rank as u8 | u8::from(self.has_range) << 1);
        out.extend_from_slice(&self.arrival.to_le_bytes());
        self.parts.encode(out);
    }

    fn decode(mut bytes: &[u8]) -> Result<Self, SpillError> {
        let bytes = &mut bytes;
        let flags = take::<1>(bytes)?[0];
        if flags > 3 {
            return Err(SpillError::invalid_record(format!(
                "unknown DynamoDB record flags {flags}"
            )));
        }
        let rank = if flags & 1 == 1 {
            Rank::Active
        } else {
            Rank::MigrationSource
        };
        let arrival = u64::from_le_bytes(take(bytes)?);
        let parts = Parts::decode(bytes)?;
        if std::str::from_utf8(parts.get(0)).is_err() || std::str::from_utf8(parts.get(1)).is_err()
        {
            return Err(SpillError::invalid_record("DynamoDB segment is not UTF-8"));
        }
        Ok(Placed {
            rank,
            arrival,
            has_range: flags & 2 == 2,
            parts,
        })
    }

    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + self.parts.heap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: SpillRecord>(record: &T) -> T {
        let mut encoded = Vec::new();
        record.encode(&mut encoded);
        T::decode(&encoded).unwrap()
    }

    #[test]
    fn records_round_trip_through_their_encoding() {
        let pending = Pending::new(b"t\xff", b"dP8", u64::MAX, 7, b"pk\x00\x01", b"\x0a\x00", 3);
        let back = round_trip(&pending);
        assert_eq!(back, pending);
        assert_eq!(back.name(), b"t\xff");
        assert_eq!(back.encoded(), b"dP8");
        assert_eq!(back.primary_key(), b"pk\x00\x01");
        assert_eq!(back.payload(), b"\x0a\x00");
        assert_eq!(
            (back.generation, back.arrival, back.depth),
            (u64::MAX, 7, 3)
        );
        assert_eq!(back.approx_size(), pending.approx_size());

        let placed = Placed::new(Rank::Active, 9, ("h", b"h"), Some(("1%2F2", b"1/2")), b"{}");
        let back = round_trip(&placed);
        assert_eq!(back, placed);
        assert_eq!(back.range_segment(), Some("1%2F2"));
        assert_eq!(back.range_raw(), b"1/2");
        assert_eq!(back.body(), b"{}");
        let hash_only = Placed::new(Rank::MigrationSource, 0, ("", b""), None, b"");
        let back = round_trip(&hash_only);
        assert_eq!(back, hash_only);
        assert_eq!(back.range_segment(), None);
        assert_eq!(back.hash_segment(), "");
    }

    #[test]
    fn damaged_encodings_are_refused() {
        let placed = Placed::new(Rank::Active, 1, ("h", b"h"), None, b"body");
        let mut encoded = Vec::new();
        placed.encode(&mut encoded);
        assert!(Placed::decode(&encoded[..5]).is_err());
        let mut bad = encoded.clone();
        bad[0] = 9;
        assert!(Placed::decode(&bad).is_err());
        let mut bad = encoded.clone();
        bad[9..13].copy_from_slice(&1000u32.to_le_bytes());
        assert!(Placed::decode(&bad).is_err());
        let pending = Pending::new(b"t", b"dA", 1, 1, b"k", b"", 1);
        let mut encoded = Vec::new();
        pending.encode(&mut encoded);
        assert!(Pending::decode(&encoded[..10]).is_err());
    }

    #[test]
    fn pending_order_is_table_then_generation_then_arrival() {
        let p = |name: &[u8], enc: &[u8], gen, arrival| {
            Pending::new(name, enc, gen, arrival, b"k", b"", 1)
        };
        let mut records = [
            p(b"b", b"Yg", 1, 0),
            p(b"a", b"YR", 1, 1),
            p(b"a", b"YQ", 2, 2),
            p(b"a", b"YQ", 10, 3),
            p(b"a", b"YQ", 2, 4),
            p(b"a", b"YQ", 1, 5),
        ];
        records.sort();
        let order: Vec<u64> = records.iter().map(|r| r.arrival).collect();
        assert_eq!(order, vec![5, 2, 4, 3, 1, 0]);
    }

    #[test]
    fn placed_order_puts_the_winner_of_each_file_first() {
        let p = |hash: &str, range: Option<&str>, rank, arrival| {
            Placed::new(
                rank,
                arrival,
                (hash, hash.as_bytes()),
                range.map(|r| (r, r.as_bytes())),
                b"",
            )
        };
        let mut records = [
            p("b", None, Rank::Active, 0),
            p("a", Some("2"), Rank::MigrationSource, 1),
            p("a", Some("1"), Rank::MigrationSource, 2),
            p("a", Some("1"), Rank::Active, 3),
            p("a", Some("1"), Rank::MigrationSource, 4),
            p("a", Some("1"), Rank::Active, 5),
            p("a", None, Rank::Active, 6),
        ];
        records.sort();
        let order: Vec<u64> = records.iter().map(|r| r.arrival).collect();
        assert_eq!(order, vec![6, 5, 3, 4, 2, 1, 0]);
        assert!(records[1].same_file(&records[2]));
        assert!(!records[0].same_file(&records[1]));
        assert_eq!(allocation(0), 0);
        assert_eq!(allocation(17), 48);
    }
}

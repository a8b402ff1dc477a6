//! Everything the adapter buffers until finalize, as one sorted stream: [`Buffered`] records
//! (a message or a side-record line of one queue segment), their order, their spill-file
//! encoding and what they are charged against the shared memory budget.
//!
//! The order groups records by queue segment (byte order, the order finalize visits the
//! queues in), messages before side records; messages in output order (sqs.md §5.3), side
//! records in arrival order. One sorter holds them all, so whichever queue the data belongs
//! to, a full budget always spills one large run (per-queue buffers would leave a queue
//! arriving late, starved by its predecessors, spilling run after tiny run).

use std::cmp::Ordering;
use std::mem::size_of;

use crate::spill::{SpillError, SpillRecord};

use super::message::MessageRecord;

/// Bytes a heap allocation of `len` bytes costs: the allocator rounds up to 16 bytes and
/// keeps a header. Charged so that the budget bounds what the process really holds.
fn allocation(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 16).next_multiple_of(16)
    }
}

/// What a record is, with a message's sort key and generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Message {
        send_timestamp_millis: i64,
        sequence_number: u64,
        queue_generation: u64,
    },
    SideRecord,
}

/// One buffered record.
#[derive(Debug, Clone)]
pub struct Buffered {
    kind: Kind,
    /// Position among all records of the decode: the last tie-breaker, and arrival order
    /// for side records.
    arrival: u64,
    /// Length of the queue segment at the start of `data`.
    queue_len: u32,
    /// Length of the message id after the queue segment (0 for a side record).
    id_len: u32,
    /// Queue segment, message id, rendered line: one allocation per record.
    data: Box<[u8]>,
}

impl Buffered {
    /// A message of queue segment `queue` with its rendered `messages.jsonl` line.
    pub fn message(queue: &[u8], record: &MessageRecord, arrival: u64, line: &[u8]) -> Self {
        let kind = Kind::Message {
            send_timestamp_millis: record.send_timestamp_millis,
            sequence_number: record.sequence_number,
            queue_generation: record.queue_generation,
        };
        Self::build(kind, arrival, queue, record.message_id.as_bytes(), line)
    }

    /// A side record of queue segment `queue` with its rendered line.
    pub fn side_record(queue: &[u8], arrival: u64, line: &[u8]) -> Self {
        Self::build(Kind::SideRecord, arrival, queue, b"", line)
    }

    fn build(kind: Kind, arrival: u64, queue: &[u8], id: &[u8], line: &[u8]) -> Self {
        let mut data = Vec::with_capacity(queue.len() + id.len() + line.len());
        data.extend_from_slice(queue);
        data.extend_from_slice(id);
        data.extend_from_slice(line);
        Buffered {
            kind,
            arrival,
            queue_len: u32::try_from(queue.len()).expect("a key is shorter than 4 GiB"),
            id_len: u32::try_from(id.len()).expect("a value is shorter than 4 GiB"),
            data: data.into_boxed_slice(),
        }
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The queue segment (`encQ`) the record belongs to.
    pub fn queue(&self) -> &[u8] {
        &self.data[..self.queue_len as usize]
    }

    /// The message id (empty for a side record).
    pub fn message_id(&self) -> &[u8] {
        let start = self.queue_len as usize;
        &self.data[start..start + self.id_len as usize]
    }

    /// The rendered line, without its newline.
    pub fn line(&self) -> &[u8] {
        &self.data[(self.queue_len + self.id_len) as usize..]
    }
}

impl Ord for Buffered {
    fn cmp(&self, other: &Self) -> Ordering {
        let by_kind = match (self.kind, other.kind) {
            (
                Kind::Message {
                    send_timestamp_millis: ts_a,
                    sequence_number: seq_a,
                    ..
                },
                Kind::Message {
                    send_timestamp_millis: ts_b,
                    sequence_number: seq_b,
                    ..
                },
            ) => ts_a
                .cmp(&ts_b)
                .then(seq_a.cmp(&seq_b))
                .then_with(|| self.message_id().cmp(other.message_id())),
            (Kind::Message { .. }, Kind::SideRecord) => Ordering::Less,
            (Kind::SideRecord, Kind::Message { .. }) => Ordering::Greater,
            (Kind::SideRecord, Kind::SideRecord) => Ordering::Equal,
        };
        self.queue()
            .cmp(other.queue())
            .then(by_kind)
            .then(self.arrival.cmp(&other.arrival))
    }
}

impl PartialOrd for Buffered {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Equality is the order's (arrival makes every record distinct).
impl PartialEq for Buffered {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Buffered {}

/// Encoding: tag (0 message, 1 side record), for a message its timestamp, sequence number
/// and generation, then arrival, the queue and id lengths (all little-endian) and `data`.
const TAG_MESSAGE: u8 = 0;
const TAG_SIDE_RECORD: u8 = 1;

fn take<const N: usize>(bytes: &mut &[u8]) -> Result<[u8; N], SpillError> {
    if bytes.len() < N {
        return Err(SpillError::invalid_record("truncated SQS record header"));
    }
    let (head, rest) = bytes.split_at(N);
    *bytes = rest;
    Ok(head.try_into().expect("N bytes"))
}

impl SpillRecord for Buffered {
    fn encode(&self, out: &mut Vec<u8>) {
        match self.kind {
            Kind::Message {
                send_timestamp_millis,
                sequence_number,
                queue_generation,
            } => {
                out.push(TAG_MESSAGE);
                out.extend_from_slice(&send_timestamp_millis.to_le_bytes());
                out.extend_from_slice(&sequence_number.to_le_bytes());
                out.extend_from_slice(&queue_generation.to_le_bytes());
            }
            Kind::SideRecord => out.push(TAG_SIDE_RECORD),
        }
        out.extend_from_slice(&self.arrival.to_le_bytes());
        out.extend_from_slice(&self.queue_len.to_le_bytes());
        out.extend_from_slice(&self.id_len.to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    fn decode(mut bytes: &[u8]) -> Result<Self, SpillError> {
        let bytes = &mut bytes;
        let kind = match take::<1>(bytes)?[0] {
            TAG_MESSAGE => Kind::Message {
                send_timestamp_millis: i64::from_le_bytes(take(bytes)?),
                sequence_number: u64::from_le_bytes(take(bytes)?),
                queue_generation: u64::from_le_bytes(take(bytes)?),
            },
            TAG_SIDE_RECORD => Kind::SideRecord,
            tag => {
                return Err(SpillError::invalid_record(format!(
                    "unknown SQS record tag {tag}"
                )))
            }
        };
        let arrival = u64::from_le_bytes(take(bytes)?);
        let queue_len = u32::from_le_bytes(take(bytes)?);
        let id_len = u32::from_le_bytes(take(bytes)?);
        if (queue_len as usize).saturating_add(id_len as usize) > bytes.len() {
            return Err(SpillError::invalid_record(format!(
                "SQS record lengths {queue_len} + {id_len} exceed its {} data bytes",
                bytes.len()
            )));
        }
        Ok(Buffered {
            kind,
            arrival,
            queue_len,
            id_len,
            data: (*bytes).into(),
        })
    }

    /// The struct twice (a buffer `Vec` may hold up to twice the capacity it uses) plus the
    /// one allocation of queue, id and line.
    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + allocation(self.data.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(record: &Buffered) -> Buffered {
        let mut encoded = Vec::new();
        record.encode(&mut encoded);
        Buffered::decode(&encoded).unwrap()
    }

    #[test]
    fn records_round_trip_through_their_encoding() {
        let decoded = MessageRecord {
            message_id: "m-é".into(),
            send_timestamp_millis: -5,
            sequence_number: u64::MAX,
            queue_generation: 7,
            ..MessageRecord::default()
        };
        let message = Buffered::message(b"cQ", &decoded, 42, b"{\"line\":1}");
        let back = round_trip(&message);
        assert_eq!(back.kind(), message.kind());
        assert_eq!(back.arrival, 42);
        assert_eq!(back.queue(), b"cQ");
        assert_eq!(back.message_id(), "m-é".as_bytes());
        assert_eq!(back.line(), b"{\"line\":1}");
        assert_eq!(back.approx_size(), message.approx_size());

        let side = Buffered::side_record(b"cQ", 43, b"{\"prefix\":\"x\"}");
        let back = round_trip(&side);
        assert_eq!(back.kind(), Kind::SideRecord);
        assert_eq!(back.message_id(), b"");
        assert_eq!(back.line(), side.line());
        assert!(side.approx_size() >= side.line().len() + size_of::<Buffered>());
    }

    #[test]
    fn damaged_encodings_are_refused() {
        let side = Buffered::side_record(b"cQ", 1, b"line");
        let mut encoded = Vec::new();
        side.encode(&mut encoded);
        assert!(Buffered::decode(&encoded[..5]).is_err());
        let mut bad = encoded.clone();
        bad[0] = 9;
        assert!(Buffered::decode(&bad).is_err());
        let mut bad = encoded.clone();
        bad[9..13].copy_from_slice(&1000u32.to_le_bytes());
        assert!(Buffered::decode(&bad).is_err());
    }

    #[test]
    fn order_groups_by_queue_then_messages_then_side_records() {
        let msg = |queue: &[u8], ts: i64, seq: u64, id: &str, arrival: u64| {
            let record = MessageRecord {
                message_id: id.into(),
                send_timestamp_millis: ts,
                sequence_number: seq,
                ..MessageRecord::default()
            };
            Buffered::message(queue, &record, arrival, b"")
        };
        let mut records = [
            Buffered::side_record(b"a", 0, b""),
            msg(b"b", -1, 0, "x", 1),
            msg(b"a", 5, 0, "x", 2),
            Buffered::side_record(b"a", 3, b""),
            msg(b"a", 5, 0, "w", 4),
            msg(b"a", 5, 1 << 63, "a", 5),
            msg(b"a", -3, 9, "z", 6),
            msg(b"a", 5, 0, "w", 7),
        ];
        records.sort();
        let order: Vec<u64> = records.iter().map(|r| r.arrival).collect();
        assert_eq!(order, vec![6, 4, 7, 2, 5, 0, 3, 1]);
        assert_eq!(allocation(0), 0);
        assert_eq!(allocation(1), 32);
        assert_eq!(allocation(16), 32);
        assert_eq!(allocation(17), 48);
    }
}

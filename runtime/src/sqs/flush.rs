//! What finalize writes for one queue segment: a meta-backed queue's directory (sqs.md §5.1
//! to §5.5, §5.7) or an orphan's side records (sqs.md §5.6), with their warnings (sqs.md §8).

use std::iter::Peekable;

use crate::adapters::{AdapterError, FinalizeContext};
use crate::keys::SqsFamily;
use crate::output::{JsonlWriter, OutputTree, RelPath, SafeName};
use crate::spill::{SortedRecords, SpillError};

use super::spill::{Buffered, Kind};
use super::{queue_path, MetaState, QueueState, SqsError};

/// The family whose output template names `side_records.jsonl` (every side-record family
/// declares the same one).
const SIDE_RECORD_FAMILY: SqsFamily = SqsFamily::MsgVis;

pub(super) const ORPHAN_HINT: &str =
    "no !sqs|queue|meta record matched this encoded prefix; messages dropped from the dump";
pub(super) const STALE_HINT: &str = "messages with mismatched queue_generation suppressed; reaper had not finished cleanup at snapshot time";

fn literal(name: &'static str) -> SafeName {
    SafeName::new(name).expect("a literal file name is a safe name")
}

fn spill_error(e: SpillError) -> AdapterError {
    SqsError::Spill(e).into()
}

/// All buffered records, sorted: grouped by queue segment in the order finalize visits the
/// queues, messages before side records.
pub(super) type Stream = Peekable<SortedRecords<Buffered>>;

/// The records of one queue segment, taken from the front of the [`Stream`].
pub(super) struct QueueRecords<'a> {
    queue: &'a [u8],
    /// `None` when the stream could not be opened (that error is reported already).
    stream: Option<&'a mut Stream>,
}

impl<'a> QueueRecords<'a> {
    pub(super) fn new(queue: &'a [u8], stream: Option<&'a mut Stream>) -> Self {
        QueueRecords { queue, stream }
    }

    /// The next record if it belongs to this queue and `wanted` accepts it; a read error is
    /// handed out once (the stream ends after it).
    fn next_if(&mut self, wanted: fn(&Buffered) -> bool) -> Option<Result<Buffered, SpillError>> {
        let stream = self.stream.as_deref_mut()?;
        match stream.peek()? {
            Ok(record) if record.queue() != self.queue || !wanted(record) => None,
            _ => stream.next(),
        }
    }

    /// This queue's next message (messages come first, in output order).
    fn next_message(&mut self) -> Option<Result<Buffered, SpillError>> {
        self.next_if(|r| matches!(r.kind(), Kind::Message { .. }))
    }

    /// This queue's next side record (after its messages, in arrival order).
    fn next_side_record(&mut self) -> Option<Result<Buffered, SpillError>> {
        self.next_if(|r| r.kind() == Kind::SideRecord)
    }

    /// Reads past whatever of this queue is left (after an error).
    pub(super) fn skip_rest(&mut self) -> Result<(), AdapterError> {
        while let Some(record) = self.next_if(|_| true) {
            record.map_err(spill_error)?;
        }
        Ok(())
    }
}

/// Writes what was gathered for queue segment `queue`.
pub(super) fn flush(
    ctx: &mut FinalizeContext<'_>,
    queue: &[u8],
    state: QueueState,
    records: &mut QueueRecords<'_>,
) -> Result<(), AdapterError> {
    match &state.meta {
        Some(meta) => flush_queue(ctx, queue, meta, &state, records),
        None => flush_orphan(ctx, queue, &state, records),
    }
}

/// `sqs/<EncodeSegment(name)>/`: `_queue.json`, then the messages of the active generation
/// in output order, then the side records. Paths come from the spec's output templates.
fn flush_queue(
    ctx: &mut FinalizeContext<'_>,
    queue: &[u8],
    meta: &MetaState,
    state: &QueueState,
    records: &mut QueueRecords<'_>,
) -> Result<(), AdapterError> {
    let path = |family| {
        queue_path(family, &meta.name)
            .map_err(|e| AdapterError::from(SqsError::unsafe_queue_name(queue, &meta.name, e)))
    };
    ctx.tree.write_file(&meta.queue_json, &meta.meta.render())?;
    let mut file: Option<JsonlWriter> = None;
    let mut dropped = 0u64;
    while let Some(record) = records.next_message() {
        let record = record.map_err(spill_error)?;
        let Kind::Message {
            queue_generation, ..
        } = record.kind()
        else {
            unreachable!("next_message yields messages")
        };
        if state.active_gen != 0 && queue_generation != state.active_gen {
            dropped += 1;
            continue;
        }
        let out = match &mut file {
            Some(out) => out,
            None => file.insert(ctx.tree.create_jsonl(&path(SqsFamily::MsgData)?)?),
        };
        out.write_line(record.line())?;
    }
    // Upstream warns before it writes messages.jsonl; ours appears at the commit below.
    if dropped > 0 {
        ctx.warnings.emit(
            "sqs_stale_generation_messages_dropped",
            &stale_fields(&meta.name, state.active_gen, dropped),
        );
    }
    if let Some(out) = file {
        out.finish()?;
    }
    if state.side_records > 0 {
        write_side_records(ctx.tree, &path(SIDE_RECORD_FAMILY)?, records)?;
    }
    Ok(())
}

/// A queue segment without a meta record: its messages are dropped with a warning; its side
/// records go to `sqs/<encQ>.orphan/`. A segment holding nothing but a generation record (a
/// deleted queue) is not reported (docs/compatibility.md).
fn flush_orphan(
    ctx: &mut FinalizeContext<'_>,
    queue: &[u8],
    state: &QueueState,
    records: &mut QueueRecords<'_>,
) -> Result<(), AdapterError> {
    if state.messages == 0 && state.side_records == 0 {
        return Ok(());
    }
    ctx.warnings.emit(
        "sqs_orphan_messages",
        &orphan_fields(queue, state.messages, state.side_records),
    );
    while let Some(message) = records.next_message() {
        message.map_err(spill_error)?;
    }
    if state.side_records > 0 {
        // `<encQ>.orphan` is not passed through the filename encoding (sqs.md §5.1), so it is
        // not the spec template's path.
        let name = [queue, b".orphan"].concat();
        let orphan = SafeName::new(&name).map_err(|reason| {
            AdapterError::from(SqsError::UnsafeOrphanDirectory {
                name: String::from_utf8_lossy(&name).into_owned(),
                reason,
            })
        })?;
        let path = RelPath::from_names(vec![
            literal("sqs"),
            orphan,
            literal("_internals"),
            literal("side_records.jsonl"),
        ])
        .expect("four segments");
        write_side_records(ctx.tree, &path, records)?;
    }
    Ok(())
}

/// The queue's side records at `path`, in arrival order.
fn write_side_records(
    tree: &OutputTree,
    path: &RelPath,
    records: &mut QueueRecords<'_>,
) -> Result<(), AdapterError> {
    let mut out = tree.create_jsonl(path)?;
    while let Some(record) = records.next_side_record() {
        out.write_line(record.map_err(spill_error)?.line())?;
    }
    out.finish()?;
    Ok(())
}

/// Fields of `sqs_orphan_messages`, in upstream's order.
pub(super) fn orphan_fields(
    queue: &[u8],
    messages: u64,
    side_records: u64,
) -> [(&'static str, String); 4] {
    [
        ("encoded_queue", String::from_utf8_lossy(queue).into_owned()),
        ("buffered_messages", messages.to_string()),
        ("buffered_side_records", side_records.to_string()),
        ("hint", ORPHAN_HINT.to_string()),
    ]
}

/// Fields of `sqs_stale_generation_messages_dropped`, in upstream's order.
pub(super) fn stale_fields(
    name: &[u8],
    active_gen: u64,
    dropped: u64,
) -> [(&'static str, String); 4] {
    [
        ("queue", String::from_utf8_lossy(name).into_owned()),
        ("active_gen", active_gen.to_string()),
        ("dropped", dropped.to_string()),
        ("hint", STALE_HINT.to_string()),
    ]
}

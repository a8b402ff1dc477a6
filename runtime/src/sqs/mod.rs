//! The SQS adapter (sqs.md): queue configurations, messages and side records of every queue,
//! written at finalize as `sqs/<queue>/_queue.json`, `messages.jsonl` and
//! `_internals/side_records.jsonl`.
//!
//! * [`meta`] — queue-meta JSON, `_queue.json`, the generation value.
//! * [`message`] — message JSON and the `messages.jsonl` line.
//! * [`side`] — side-record keys and lines.
//! * `spill` — the buffered records: their order, spill encoding and cost.
//! * `flush` — what finalize writes for one queue.
//!
//! Queue state is keyed by the queue segment (`encQ`, exactly as in the keys). Messages
//! arrive before their queue's meta and are written sorted, so they are buffered until
//! finalize, rendered, in one [`SpillSorter`] together with the side-record lines, on the
//! decode's shared memory budget. Its order groups the records by queue segment, the order in
//! which finalize visits the queues, so finalize streams them queue by queue; the output does
//! not depend on the budget.

mod error;
mod flush;
pub mod message;
pub mod meta;
pub mod side;
mod spill;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::adapters::{Adapter, AdapterError, FinalizeContext, Record};
use crate::json::{JsonStyle, JsonWriter};
use crate::keys::{AdapterId, Family, SqsFamily, SqsMsgDataKey, SqsQueueGenKey, SqsQueueMetaKey};
use crate::options::SqsOptions;
use crate::output::{render_template, RelPath, TemplateError};
use crate::snapshot::error::quote_bytes;
use crate::spill::{SpillContext, SpillSorter};

use self::spill::Buffered;
pub use error::{MalformedKeyReason, SqsError, ValueReason};
use message::MessageRecord;
use meta::{parse_generation, QueueMeta};
use side::{render_side_line, side_record_queue};

/// What is known about one queue segment besides its buffered records.
#[derive(Default)]
struct QueueState {
    /// Set by the queue's meta record; a state without one is an orphan at finalize.
    meta: Option<MetaState>,
    /// The generation record's value; 0 = none seen (no stale-generation filter).
    active_gen: u64,
    /// Messages buffered for this segment.
    messages: u64,
    /// Side records buffered for this segment (only with side records on).
    side_records: u64,
}

/// What a meta record established for a queue.
struct MetaState {
    /// The key-derived queue name (base64url-decoded key segment).
    name: Vec<u8>,
    /// `sqs/<EncodeSegment(name)>/_queue.json`, rendered when the meta arrives so that an
    /// unusable name stops the decode at once.
    queue_json: RelPath,
    meta: QueueMeta,
}

/// The output path `family`'s spec template gives the queue named `name` (the placeholder
/// `{queue}` goes through the filename encoding, sqs.md §5.9).
fn queue_path(family: SqsFamily, name: &[u8]) -> Result<RelPath, TemplateError> {
    let template = family
        .info()
        .output
        .expect("every SQS family that writes declares its output template");
    render_template(template, |var| (var == "queue").then(|| name.to_vec()))
}

/// The SQS adapter: buffers at `handle`, writes at `finalize`.
pub struct SqsAdapter {
    options: SqsOptions,
    /// By queue segment; finalize visits them in this (byte) order.
    queues: BTreeMap<Vec<u8>, QueueState>,
    /// Every message and side record, until finalize takes it.
    records: Option<SpillSorter<Buffered>>,
    /// Records received so far: each record's arrival number.
    arrivals: u64,
    /// Reused for rendering lines.
    line: JsonWriter,
}

impl SqsAdapter {
    pub fn new(options: SqsOptions, spill: SpillContext) -> Self {
        SqsAdapter {
            options,
            queues: BTreeMap::new(),
            records: Some(spill.sorter()),
            arrivals: 0,
            line: JsonWriter::new(JsonStyle::Compact, false),
        }
    }

    /// Buffers `record`, counted by `count` in its queue's state.
    fn buffer(
        &mut self,
        record: Buffered,
        count: impl FnOnce(&mut QueueState),
    ) -> Result<(), AdapterError> {
        count(queue_state(&mut self.queues, record.queue()));
        self.arrivals += 1;
        self.records
            .as_mut()
            .expect("records are buffered only before finalize")
            .push(record)
            .map_err(|e| SqsError::from(e).into())
    }

    fn queue_meta(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let queue = SqsQueueMetaKey::parse(key)
            .map_err(|e| SqsError::malformed_key(key, e))?
            .queue;
        let json = SqsQueueMetaKey::FAMILY
            .info()
            .value
            .strip(record.body)
            .map_err(|e| SqsError::invalid_meta(key, ValueReason::MissingMagic(e)))?;
        let mut meta =
            QueueMeta::decode(json).map_err(|e| SqsError::invalid_meta(key, e.into()))?;
        let name = queue.decode();
        let queue_json = queue_path(SqsFamily::QueueMeta, &name)
            .map_err(|e| SqsError::unsafe_queue_name(queue.as_bytes(), &name, e))?;
        if meta.name.is_empty() {
            meta.name.clone_from(&name);
        }
        queue_state(&mut self.queues, queue.as_bytes()).meta = Some(MetaState {
            name,
            queue_json,
            meta,
        });
        Ok(())
    }

    fn queue_gen(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let queue = SqsQueueGenKey::parse(key)
            .map_err(|e| SqsError::malformed_key(key, e))?
            .queue;
        let generation = parse_generation(record.body).ok_or_else(|| {
            SqsError::malformed_key(
                key,
                MalformedKeyReason::Generation {
                    value: quote_bytes(record.body),
                },
            )
        })?;
        queue_state(&mut self.queues, queue).active_gen = generation;
        Ok(())
    }

    fn message(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let (queue, partition) = match SqsMsgDataKey::parse(key) {
            Ok(SqsMsgDataKey::Partitioned(k)) => (k.queue, Some(k.partition)),
            Ok(SqsMsgDataKey::Legacy(k)) => (k.queue, None),
            Err(e) => return Err(SqsError::malformed_key(key, e).into()),
        };
        let json = SqsMsgDataKey::FAMILY
            .info()
            .value
            .strip(record.body)
            .map_err(|e| SqsError::invalid_message(key, ValueReason::MissingMagic(e)))?;
        let mut decoded =
            MessageRecord::decode(json).map_err(|e| SqsError::invalid_message(key, e.into()))?;
        if !self.options.preserve_sqs_visibility {
            decoded.zero_visibility();
        }
        self.line.clear();
        decoded.render_line(partition, &mut self.line);
        let buffered = Buffered::message(
            queue.as_bytes(),
            &decoded,
            self.arrivals,
            self.line.as_bytes(),
        );
        self.buffer(buffered, |state| state.messages += 1)
    }

    fn side_record(&mut self, family: SqsFamily, record: &Record<'_>) -> Result<(), AdapterError> {
        if !self.options.include_sqs_side_records {
            return Ok(());
        }
        let key = record.user_key;
        let queue = side_record_queue(family, key).map_err(|e| SqsError::malformed_key(key, e))?;
        self.line.clear();
        render_side_line(family.info().prefix, key, record.body, &mut self.line);
        let buffered = Buffered::side_record(queue, self.arrivals, self.line.as_bytes());
        self.buffer(buffered, |state| state.side_records += 1)
    }
}

/// The state of queue segment `queue`, created if new.
fn queue_state<'s>(
    queues: &'s mut BTreeMap<Vec<u8>, QueueState>,
    queue: &[u8],
) -> &'s mut QueueState {
    if !queues.contains_key(queue) {
        queues.insert(queue.to_vec(), QueueState::default());
    }
    queues.get_mut(queue).expect("inserted above")
}

impl Adapter for SqsAdapter {
    fn id(&self) -> AdapterId {
        AdapterId::Sqs
    }

    fn handle(&mut self, family: Family, record: &Record<'_>) -> Result<(), AdapterError> {
        let Family::Sqs(family) = family else {
            return Err(AdapterError::Invalid {
                adapter: "sqs",
                message: format!("family {} routed to the SQS adapter", family.info().name),
            });
        };
        match family {
            SqsFamily::QueueMeta => self.queue_meta(record),
            SqsFamily::QueueGen => self.queue_gen(record),
            SqsFamily::MsgData => self.message(record),
            SqsFamily::QueueSeq
            | SqsFamily::QueueTombstone
            | SqsFamily::MsgVis
            | SqsFamily::MsgByage
            | SqsFamily::MsgDedup
            | SqsFamily::MsgGroup => self.side_record(family, record),
        }
    }

    /// Every queue is attempted, in queue-segment order, each taking its records from the
    /// sorted stream; the first error is returned.
    fn finalize(&mut self, ctx: &mut FinalizeContext<'_>) -> Result<(), AdapterError> {
        let Some(sorter) = self.records.take() else {
            return Ok(()); // finalized already
        };
        let mut first_error = None;
        let mut records = match sorter.finish() {
            Ok(sorted) => Some(sorted.peekable()),
            Err(e) => {
                first_error = Some(SqsError::from(e).into());
                None
            }
        };
        for (queue, state) in std::mem::take(&mut self.queues) {
            let mut of_queue = flush::QueueRecords::new(&queue, records.as_mut());
            if let Err(e) = flush::flush(ctx, &queue, state, &mut of_queue) {
                first_error.get_or_insert(e);
            }
            // What an error left unread belongs to this queue, not to the next one.
            if let Err(e) = of_queue.skip_rest() {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

//! Side records (`--include-sqs-side-records`, sqs.md §5.7): the queue segment of their keys
//! and their `_internals/side_records.jsonl` line.

use crate::checksums::to_hex;
use crate::json::JsonWriter;
use crate::keys::{
    KeyError, SqsFamily, SqsMsgByageKey, SqsMsgDedupKey, SqsMsgGroupKey, SqsMsgVisKey,
    SqsQueueSeqKey, SqsQueueTombstoneKey,
};
use crate::output::filename::encode_base64url;

/// The queue segment (`encQ`, as it appears in the key) of a side-record key, parsed with
/// the family's generated parser. `family` must be a side-record family.
pub fn side_record_queue(family: SqsFamily, key: &[u8]) -> Result<&[u8], KeyError> {
    let queue = match family {
        SqsFamily::QueueSeq => SqsQueueSeqKey::parse(key)?.queue,
        SqsFamily::QueueTombstone => SqsQueueTombstoneKey::parse(key)?.queue,
        SqsFamily::MsgVis => SqsMsgVisKey::parse(key)?.queue(),
        SqsFamily::MsgByage => SqsMsgByageKey::parse(key)?.queue(),
        SqsFamily::MsgDedup => SqsMsgDedupKey::parse(key)?.queue(),
        SqsFamily::MsgGroup => SqsMsgGroupKey::parse(key)?.queue(),
        SqsFamily::QueueMeta | SqsFamily::QueueGen | SqsFamily::MsgData => {
            unreachable!("{family:?} is not a side-record family")
        }
    };
    Ok(queue.as_bytes())
}

/// Renders a side-record line (without its newline) into `w`, a cleared compact writer
/// without HTML escaping: `{"prefix":…,"key_hex":…,"value_b64":…}` with the family's route
/// literal, the whole user key in lower-case hex and the value in base64url without padding.
pub fn render_side_line(prefix: &[u8], key: &[u8], value: &[u8], w: &mut JsonWriter) {
    w.begin_object()
        .key("prefix")
        .string(prefix)
        .key("key_hex")
        .str(&to_hex(key))
        .key("value_b64")
        .str(&encode_base64url(value))
        .end_object();
}

//! Message records: the `!sqs|msg|data|` JSON (decoded with Go's rules, sqs.md §3.2) and its
//! `messages.jsonl` line (sqs.md §5.3).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::json::{
    go_int64, go_raw_message_map, go_string, go_uint64, unmarshal_struct, GoBytes, GoFieldError,
    GoStructError, JsonWriter, RawMember, RawMessageMap,
};
use crate::output::filename::encode_base64url;

use super::meta::{owned, store};

/// The live JSON keys of a message record; all are read (sqs.md §3.2).
const FIELDS: [&str; 17] = [
    "message_id",
    "body",
    "md5_of_body",
    "md5_of_message_attributes",
    "message_attributes",
    "sender_id",
    "send_timestamp_millis",
    "available_at_millis",
    "visible_at_millis",
    "receive_count",
    "first_receive_millis",
    "current_receipt_token",
    "queue_generation",
    "message_group_id",
    "message_deduplication_id",
    "sequence_number",
    "dead_letter_source_arn",
];

/// A decoded message record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageRecord {
    pub message_id: String,
    pub body: GoBytes,
    pub md5_of_body: String,
    pub md5_of_message_attributes: String,
    /// Attribute name → the stored JSON value, compacted; `None` for nil.
    pub message_attributes: Option<RawMessageMap>,
    pub sender_id: String,
    pub send_timestamp_millis: i64,
    pub available_at_millis: i64,
    pub visible_at_millis: i64,
    pub receive_count: i64,
    pub first_receive_millis: i64,
    pub current_receipt_token: GoBytes,
    pub queue_generation: u64,
    pub message_group_id: String,
    pub message_deduplication_id: String,
    pub sequence_number: u64,
    pub dead_letter_source_arn: String,
}

impl MessageRecord {
    /// Decodes the JSON after the magic the way upstream's `json.Unmarshal` does.
    pub fn decode(json: &[u8]) -> Result<MessageRecord, GoStructError> {
        let mut record = MessageRecord::default();
        unmarshal_struct(json, &FIELDS, |field, member| record.set(field, member))?;
        Ok(record)
    }

    fn set(&mut self, field: &str, member: &RawMember<'_>) -> Result<(), GoFieldError> {
        let v = &member.value;
        match field {
            "message_id" => store(&mut self.message_id, owned(go_string(v)?)),
            "body" => self.body.store(v)?,
            "md5_of_body" => store(&mut self.md5_of_body, owned(go_string(v)?)),
            "md5_of_message_attributes" => {
                store(&mut self.md5_of_message_attributes, owned(go_string(v)?))
            }
            "message_attributes" => go_raw_message_map(member.raw, &mut self.message_attributes)?,
            "sender_id" => store(&mut self.sender_id, owned(go_string(v)?)),
            "send_timestamp_millis" => store(&mut self.send_timestamp_millis, go_int64(v)?),
            "available_at_millis" => store(&mut self.available_at_millis, go_int64(v)?),
            "visible_at_millis" => store(&mut self.visible_at_millis, go_int64(v)?),
            "receive_count" => store(&mut self.receive_count, go_int64(v)?),
            "first_receive_millis" => store(&mut self.first_receive_millis, go_int64(v)?),
            "current_receipt_token" => self.current_receipt_token.store(v)?,
            "queue_generation" => store(&mut self.queue_generation, go_uint64(v)?),
            "message_group_id" => store(&mut self.message_group_id, owned(go_string(v)?)),
            "message_deduplication_id" => {
                store(&mut self.message_deduplication_id, owned(go_string(v)?))
            }
            "sequence_number" => store(&mut self.sequence_number, go_uint64(v)?),
            "dead_letter_source_arn" => {
                store(&mut self.dead_letter_source_arn, owned(go_string(v)?))
            }
            other => unreachable!("field {other} is listed in FIELDS but not stored"),
        }
        Ok(())
    }

    /// The default of `--preserve-sqs-visibility` off: every message visible, never
    /// received (sqs.md §5.4). `available_at_millis` is kept.
    pub fn zero_visibility(&mut self) {
        self.visible_at_millis = 0;
        self.current_receipt_token = GoBytes::default();
        self.receive_count = 0;
        self.first_receive_millis = 0;
    }

    /// Appends the `messages.jsonl` line (without its newline) to `w`, a compact writer
    /// without HTML escaping. `partition` is the key's partition, `Some` iff the data key was
    /// partitioned.
    pub fn render_line(&self, partition: Option<u32>, w: &mut JsonWriter) {
        let opt_str = |w: &mut JsonWriter, key: &str, value: &str| {
            if !value.is_empty() {
                w.key(key).str(value);
            }
        };
        w.begin_object();
        w.key("message_id").str(&self.message_id);
        w.key("body");
        render_body(self.body.bytes(), w);
        opt_str(w, "md5_of_body", &self.md5_of_body);
        opt_str(
            w,
            "md5_of_message_attributes",
            &self.md5_of_message_attributes,
        );
        if let Some(attributes) = self.message_attributes.as_ref().filter(|m| !m.is_empty()) {
            w.key("message_attributes").begin_object();
            for (name, raw) in attributes {
                w.key(name).raw(raw);
            }
            w.end_object();
        }
        opt_str(w, "sender_id", &self.sender_id);
        w.key("send_timestamp_millis")
            .i64(self.send_timestamp_millis);
        w.key("available_at_millis").i64(self.available_at_millis);
        w.key("visible_at_millis").i64(self.visible_at_millis);
        w.key("receive_count").i64(self.receive_count);
        if self.first_receive_millis != 0 {
            w.key("first_receive_millis").i64(self.first_receive_millis);
        }
        let token = self.current_receipt_token.bytes();
        if !token.is_empty() {
            w.key("current_receipt_token").str(&STANDARD.encode(token));
        }
        w.key("queue_generation").u64(self.queue_generation);
        opt_str(w, "message_group_id", &self.message_group_id);
        opt_str(
            w,
            "message_deduplication_id",
            &self.message_deduplication_id,
        );
        if self.sequence_number != 0 {
            w.key("sequence_number").u64(self.sequence_number);
        }
        opt_str(w, "dead_letter_source_arn", &self.dead_letter_source_arn);
        if let Some(partition) = partition {
            w.key("partition").u64(partition.into());
        }
        w.end_object();
    }
}

/// The body rule of sqs.md §5.3: valid UTF-8 is a string rendered with HTML escaping (a
/// separate marshal call upstream), anything else `{"base64":"<base64url, no padding>"}`.
fn render_body(body: &[u8], w: &mut JsonWriter) {
    if std::str::from_utf8(body).is_ok() {
        let html = w.escape_html();
        w.set_escape_html(true).string(body);
        w.set_escape_html(html);
    } else {
        w.begin_object()
            .key("base64")
            .str(&encode_base64url(body))
            .end_object();
    }
}

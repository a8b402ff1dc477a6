//! Queue records: the `!sqs|queue|meta|` JSON (decoded with Go's rules, sqs.md §3.1), its
//! `_queue.json` projection (sqs.md §5.2) and the `!sqs|queue|gen|` value (sqs.md §3.3).

use crate::json::{
    go_bool, go_int64, go_string, go_uint32, parse_go_uint, unmarshal_struct, GoFieldError,
    GoStructError, JsonValue, JsonWriter,
};

/// The live JSON keys the decoder reads; every other key is skipped unread (sqs.md §3.1).
const FIELDS: [&str; 13] = [
    "name",
    "is_fifo",
    "content_based_dedup",
    "visibility_timeout_seconds",
    "message_retention_seconds",
    "delay_seconds",
    "receive_message_wait_seconds",
    "maximum_message_size",
    "redrive_policy",
    "redrive_allow_policy",
    "partition_count",
    "fifo_throughput_limit",
    "deduplication_scope",
];

/// The queue configuration as `_queue.json` presents it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueMeta {
    /// The JSON `name`, or the key-derived name when that is empty. Bytes: a key-derived
    /// name need not be UTF-8 (rendered like Go renders a string holding such bytes).
    pub name: Vec<u8>,
    pub fifo: bool,
    pub content_based_deduplication: bool,
    pub visibility_timeout_seconds: i64,
    pub message_retention_seconds: i64,
    pub delay_seconds: i64,
    pub receive_message_wait_seconds: i64,
    pub maximum_message_size: i64,
    pub redrive_policy: String,
    pub redrive_allow_policy: String,
    pub partition_count: u32,
    pub fifo_throughput_limit: String,
    pub deduplication_scope: String,
}

/// Stores a decoded member; `None` (JSON `null`) leaves the field as it is.
pub(super) fn store<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// A decoded string member as an owned field value.
pub(super) fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

impl QueueMeta {
    /// Decodes the JSON after the magic the way upstream's `json.Unmarshal` does.
    pub fn decode(json: &[u8]) -> Result<QueueMeta, GoStructError> {
        let mut meta = QueueMeta::default();
        unmarshal_struct(json, &FIELDS, |field, member| {
            meta.set(field, &member.value)
        })?;
        Ok(meta)
    }

    fn set(&mut self, field: &str, v: &JsonValue) -> Result<(), GoFieldError> {
        match field {
            "name" => store(&mut self.name, go_string(v)?.map(|s| s.as_bytes().to_vec())),
            "is_fifo" => store(&mut self.fifo, go_bool(v)?),
            "content_based_dedup" => store(&mut self.content_based_deduplication, go_bool(v)?),
            "visibility_timeout_seconds" => {
                store(&mut self.visibility_timeout_seconds, go_int64(v)?)
            }
            "message_retention_seconds" => store(&mut self.message_retention_seconds, go_int64(v)?),
            "delay_seconds" => store(&mut self.delay_seconds, go_int64(v)?),
            "receive_message_wait_seconds" => {
                store(&mut self.receive_message_wait_seconds, go_int64(v)?)
            }
            "maximum_message_size" => store(&mut self.maximum_message_size, go_int64(v)?),
            "redrive_policy" => store(&mut self.redrive_policy, owned(go_string(v)?)),
            "redrive_allow_policy" => store(&mut self.redrive_allow_policy, owned(go_string(v)?)),
            "partition_count" => store(&mut self.partition_count, go_uint32(v)?),
            "fifo_throughput_limit" => store(&mut self.fifo_throughput_limit, owned(go_string(v)?)),
            "deduplication_scope" => store(&mut self.deduplication_scope, owned(go_string(v)?)),
            other => unreachable!("field {other} is listed in FIELDS but not stored"),
        }
        Ok(())
    }

    /// `_queue.json`: `MarshalIndent(v, "", "  ")` with HTML escaping, keys in upstream's
    /// order, zero-valued optional keys omitted, no trailing newline (sqs.md §5.2).
    pub fn render(&self) -> Vec<u8> {
        let mut w = JsonWriter::pretty();
        w.begin_object();
        w.key("format_version").u64(1);
        w.key("name").string(&self.name);
        if self.fifo {
            w.key("fifo").bool(true);
        }
        if self.content_based_deduplication {
            w.key("content_based_deduplication").bool(true);
        }
        w.key("visibility_timeout_seconds")
            .i64(self.visibility_timeout_seconds);
        w.key("message_retention_seconds")
            .i64(self.message_retention_seconds);
        w.key("delay_seconds").i64(self.delay_seconds);
        if self.receive_message_wait_seconds != 0 {
            w.key("receive_message_wait_seconds")
                .i64(self.receive_message_wait_seconds);
        }
        if self.maximum_message_size != 0 {
            w.key("maximum_message_size").i64(self.maximum_message_size);
        }
        for (key, value) in [
            ("redrive_policy", &self.redrive_policy),
            ("redrive_allow_policy", &self.redrive_allow_policy),
        ] {
            if !value.is_empty() {
                w.key(key).str(value);
            }
        }
        if self.partition_count != 0 {
            w.key("partition_count").u64(self.partition_count.into());
        }
        for (key, value) in [
            ("fifo_throughput_limit", &self.fifo_throughput_limit),
            ("deduplication_scope", &self.deduplication_scope),
        ] {
            if !value.is_empty() {
                w.key(key).str(value);
            }
        }
        w.end_object();
        w.into_bytes()
    }
}

/// The `!sqs|queue|gen|` value: Unicode white space trimmed at both ends, then an unsigned
/// decimal uint64 (Go's `strconv.ParseUint(strings.TrimSpace(v), 10, 64)`).
pub fn parse_generation(value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?;
    parse_go_uint(text.trim_matches(char::is_whitespace))
}

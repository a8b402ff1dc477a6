//! Items (dynamodb.md §5.3): the DynamoDB-JSON body of an item and the file-name segments of
//! its primary key.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::json::JsonWriter;
use crate::output::{encode_binary_segment, encode_segment};

use super::number::canonical_number;
use super::proto::dynamo_attribute_value::Value;
use super::proto::{DynamoAttributeValue, DynamoItem};

/// Renders `item` (one object mapping attribute names, in byte order, to typed values).
/// The layout and HTML escaping are the writer's.
pub fn render_item(item: &DynamoItem, w: &mut JsonWriter) {
    w.begin_object();
    for (name, value) in &item.attributes {
        w.key(name);
        render_value(value, w);
    }
    w.end_object();
}

/// One typed value, `{"<kind>": …}` (dynamodb.md §5.3 table); an unset oneof is
/// `{"NULL": true}`.
pub fn render_value(value: &DynamoAttributeValue, w: &mut JsonWriter) {
    w.begin_object();
    match &value.value {
        None => {
            w.key("NULL").bool(true);
        }
        Some(Value::S(s)) => {
            w.key("S").str(s);
        }
        Some(Value::N(n)) => {
            w.key("N").str(n);
        }
        Some(Value::B(b)) => {
            w.key("B").str(&STANDARD.encode(b));
        }
        Some(Value::BoolValue(b)) => {
            w.key("BOOL").bool(*b);
        }
        Some(Value::NullValue(b)) => {
            w.key("NULL").bool(*b);
        }
        Some(Value::Ss(set)) => {
            w.key("SS").begin_array();
            for s in &set.values {
                w.str(s);
            }
            w.end_array();
        }
        Some(Value::Ns(set)) => {
            w.key("NS").begin_array();
            for n in &set.values {
                w.str(n);
            }
            w.end_array();
        }
        Some(Value::Bs(set)) => {
            w.key("BS").begin_array();
            for b in &set.values {
                w.str(&STANDARD.encode(b));
            }
            w.end_array();
        }
        Some(Value::L(list)) => {
            w.key("L").begin_array();
            for v in &list.values {
                render_value(v, w);
            }
            w.end_array();
        }
        Some(Value::M(map)) => {
            w.key("M").begin_object();
            for (k, v) in &map.values {
                w.key(k);
                render_value(v, w);
            }
            w.end_object();
        }
    }
    w.end_object();
}

/// The kind of a value, as its DynamoDB type name (`unset` for an empty oneof).
pub fn kind_name(value: &DynamoAttributeValue) -> &'static str {
    match &value.value {
        None => "unset",
        Some(Value::S(_)) => "S",
        Some(Value::N(_)) => "N",
        Some(Value::B(_)) => "B",
        Some(Value::BoolValue(_)) => "BOOL",
        Some(Value::NullValue(_)) => "NULL",
        Some(Value::Ss(_)) => "SS",
        Some(Value::Ns(_)) => "NS",
        Some(Value::Bs(_)) => "BS",
        Some(Value::L(_)) => "L",
        Some(Value::M(_)) => "M",
    }
}

/// Why an item has no file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ItemKeyError {
    #[error("item missing {role}-key attribute {name:?}")]
    Missing { role: &'static str, name: String },
    #[error("{role}-key attribute {name:?} is of kind {kind}, not S, N or B")]
    Kind {
        role: &'static str,
        name: String,
        kind: &'static str,
    },
    #[error("{role}-key attribute {name:?} gives the path segment {segment:?}, which would escape items/")]
    DotSegment {
        role: &'static str,
        name: String,
        segment: String,
    },
}

/// One primary-key attribute as a path segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPart {
    /// What the filename encoder was given: S → UTF-8 bytes, N → the canonical number, B →
    /// the raw bytes. `KEYMAP.jsonl` records it as `original`.
    pub raw: Vec<u8>,
    /// `EncodeSegment(raw)` (S, N) or `EncodeBinarySegment(raw)` (B).
    pub segment: String,
}

/// `keySegment` of attribute `name` of `item` (dynamodb.md §5.3 steps 1-3).
pub fn key_part(
    item: &DynamoItem,
    role: &'static str,
    name: &str,
) -> Result<KeyPart, ItemKeyError> {
    let value = item
        .attributes
        .get(name)
        .ok_or_else(|| ItemKeyError::Missing {
            role,
            name: name.to_string(),
        })?;
    let part = match &value.value {
        Some(Value::S(s)) => KeyPart {
            segment: encode_segment(s.as_bytes()),
            raw: s.as_bytes().to_vec(),
        },
        Some(Value::N(n)) => {
            let canonical = canonical_number(n).into_bytes();
            KeyPart {
                segment: encode_segment(&canonical),
                raw: canonical,
            }
        }
        Some(Value::B(b)) => KeyPart {
            segment: encode_binary_segment(b),
            raw: b.clone(),
        },
        _ => {
            return Err(ItemKeyError::Kind {
                role,
                name: name.to_string(),
                kind: kind_name(value),
            })
        }
    };
    if part.segment == "." || part.segment == ".." {
        return Err(ItemKeyError::DotSegment {
            role,
            name: name.to_string(),
            segment: part.segment,
        });
    }
    Ok(part)
}

/// Where an item goes: its key parts (the range part only for a composite table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey {
    pub hash: KeyPart,
    pub range: Option<KeyPart>,
}

/// The key parts of `item` under primary key (`hash_name`, `range_name`); `range_name`
/// empty = hash-only table. Hash first, as upstream checks them.
pub fn item_key(
    item: &DynamoItem,
    hash_name: &str,
    range_name: &str,
) -> Result<ItemKey, ItemKeyError> {
    let hash = key_part(item, "hash", hash_name)?;
    let range = if range_name.is_empty() {
        None
    } else {
        Some(key_part(item, "range", range_name)?)
    };
    Ok(ItemKey { hash, range })
}

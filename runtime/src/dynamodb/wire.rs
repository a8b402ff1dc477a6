//! Go protobuf decoding semantics in front of prost (dynamodb.md §3.1).
//!
//! Upstream decodes the stored messages with Go's `proto.Unmarshal`; we decode them with the
//! prost types generated from `proto/dynamodb_internal.proto`. The two agree on most of the
//! wire format: a duplicate map key → the last entry wins, several oneof members → the last
//! one wins (the same message member twice → merged), an entry without a value → the default
//! value, unknown field numbers skipped, invalid UTF-8 in `string` fields (map keys and
//! repeated strings included) rejected, varint and length rules. Where they differ, this
//! module makes the input say what Go would have read:
//!
//! * **Wrong wire type on a known field.** Go treats `s` (a string, field 1) sent as a varint
//!   as an unknown field and skips it; prost rejects the message. [`WireSchema::check`]
//!   removes such fields.
//! * **Nesting.** Go allows 10 000 message levels (top-level message included, map entries
//!   not counted) and skips unknown groups up to 10 001 deep; prost's default limit is 100.
//!   prost is built with `no-recursion-limit`; the check enforces Go's limits, and reports the
//!   depth so that deep values can be decoded on a large stack.
//!
//! The check walks the message without recursion, knowing every field's wire type from the
//! compiled descriptor set (`OUT_DIR/dynamodb_internal.fds`, the same `.proto` prost was
//! generated from). It rejects exactly what Go rejects, and hands prost either the input
//! unchanged (nothing to remove: no copy) or a rewritten copy without the fields Go skips,
//! which prost then decodes to the values Go would have.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};

/// Go's `protowire.DefaultRecursionLimit`: message levels, and nested unknown groups.
pub const GO_RECURSION_LIMIT: u32 = 10_000;
/// Largest field number of a field (Go `protowire.MaxValidNumber`).
const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;
/// Largest field number Go's `ConsumeTag` accepts inside a skipped group.
const MAX_GROUP_FIELD_NUMBER: u64 = i32::MAX as u64;

const WT_VARINT: u8 = 0;
const WT_FIXED64: u8 = 1;
const WT_LEN: u8 = 2;
const WT_START_GROUP: u8 = 3;
const WT_END_GROUP: u8 = 4;
const WT_FIXED32: u8 = 5;

/// The encoded descriptor set of `proto/dynamodb_internal.proto`, written by `build.rs`.
static DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dynamodb_internal.fds"));

/// Why Go's decoder would reject a message. Messages follow Go's wording where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("proto: cannot parse invalid wire-format data: truncated at byte {offset}")]
    Truncated { offset: usize },
    #[error("proto: cannot parse invalid wire-format data: varint overflow at byte {offset}")]
    VarintOverflow { offset: usize },
    #[error("proto: invalid field number {number} at byte {offset}")]
    FieldNumber { number: u64, offset: usize },
    #[error("proto: cannot parse invalid wire-format data: reserved wire type {wire_type} at byte {offset}")]
    ReservedWireType { wire_type: u8, offset: usize },
    #[error("proto: cannot parse invalid wire-format data: unexpected end-group marker (field {number}) at byte {offset}")]
    EndGroup { number: u64, offset: usize },
    #[error("proto: cannot parse invalid wire-format data: group of field {number} not closed")]
    UnclosedGroup { number: u64 },
    #[error("proto: string field {field} contains invalid UTF-8 (byte {offset})")]
    InvalidUtf8 { field: String, offset: usize },
    #[error("proto: exceeded maximum recursion depth ({GO_RECURSION_LIMIT})")]
    TooDeep,
}

/// What a field holds on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldKind {
    Varint,
    Fixed32,
    Fixed64,
    /// Length-delimited, UTF-8 checked (proto3 `string`).
    String,
    Bytes,
    /// Length-delimited message: index into [`WireSchema::messages`].
    Message(usize),
}

impl FieldKind {
    fn wire_type(self) -> u8 {
        match self {
            FieldKind::Varint => WT_VARINT,
            FieldKind::Fixed32 => WT_FIXED32,
            FieldKind::Fixed64 => WT_FIXED64,
            FieldKind::String | FieldKind::Bytes | FieldKind::Message(_) => WT_LEN,
        }
    }
}

#[derive(Debug)]
struct MessageDesc {
    /// Full name without the leading dot (`DynamoItem.AttributesEntry`); for `Debug` and
    /// tests.
    #[allow(dead_code)]
    name: String,
    /// A map entry: a message on the wire, but not a level of Go's recursion count.
    map_entry: bool,
    /// By field number.
    fields: Vec<(u32, FieldKind, String)>,
}

impl MessageDesc {
    fn field(&self, number: u64) -> Option<(FieldKind, &str)> {
        self.fields
            .iter()
            .find(|(n, _, _)| u64::from(*n) == number)
            .map(|(_, kind, name)| (*kind, name.as_str()))
    }
}

/// Root messages the adapter decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Root {
    TableSchema,
    Item,
}

/// Wire types of every field of the compiled `.proto`.
#[derive(Debug)]
pub struct WireSchema {
    messages: Vec<MessageDesc>,
    table_schema: usize,
    item: usize,
}

/// What [`WireSchema::check`] accepted.
#[derive(Debug)]
pub struct Checked<'a> {
    /// The input, or a copy without the fields Go skips (when there were any).
    pub bytes: Cow<'a, [u8]>,
    /// Deepest message level (the root is level 1; map entries are not levels).
    pub depth: u32,
}

/// Reusable buffers of [`WireSchema::check`].
#[derive(Debug, Default)]
pub struct Scratch {
    frames: Vec<Frame>,
    sizes: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    msg: usize,
    /// Input offset where this message ends.
    end: usize,
    /// Output bytes of the fields kept so far.
    out: usize,
    /// Index in `sizes` of this message's output size (unused for the root).
    slot: usize,
    /// Bytes of the tag that opened this message.
    head: usize,
    depth: u32,
}

impl WireSchema {
    /// The schema of `proto/dynamodb_internal.proto` (built once).
    pub fn get() -> &'static WireSchema {
        static SCHEMA: OnceLock<WireSchema> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            let set = FileDescriptorSet::decode(DESCRIPTORS)
                .expect("build.rs writes a valid descriptor set");
            WireSchema::from_descriptors(&set)
        })
    }

    /// Builds the table from a descriptor set.
    ///
    /// # Panics
    /// On constructs the adapter's messages do not use (groups, repeated numeric fields):
    /// their Go semantics (packed and unpacked both accepted) are not implemented.
    fn from_descriptors(set: &FileDescriptorSet) -> WireSchema {
        fn collect<'d>(
            prefix: &str,
            msg: &'d DescriptorProto,
            out: &mut Vec<(String, &'d DescriptorProto)>,
        ) {
            let name = if prefix.is_empty() {
                msg.name().to_string()
            } else {
                format!("{prefix}.{}", msg.name())
            };
            for nested in &msg.nested_type {
                collect(&name, nested, out);
            }
            out.push((name, msg));
        }
        let mut all = Vec::new();
        for file in &set.file {
            for msg in &file.message_type {
                collect(file.package(), msg, &mut all);
            }
        }
        let index: HashMap<String, usize> = all
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.clone(), i))
            .collect();
        let messages = all
            .iter()
            .map(|(name, msg)| {
                let mut fields: Vec<(u32, FieldKind, String)> = msg
                    .field
                    .iter()
                    .map(|f| {
                        let repeated = f.label() == Label::Repeated;
                        let kind = match f.r#type() {
                            Type::String => FieldKind::String,
                            Type::Bytes => FieldKind::Bytes,
                            Type::Message => {
                                let target = f.type_name().trim_start_matches('.');
                                FieldKind::Message(*index.get(target).unwrap_or_else(|| {
                                    panic!("{name}.{}: unknown message {target}", f.name())
                                }))
                            }
                            other => {
                                assert!(
                                    !repeated,
                                    "{name}.{}: repeated {other:?} is not supported",
                                    f.name()
                                );
                                match other {
                                    Type::Fixed32 | Type::Sfixed32 | Type::Float => {
                                        FieldKind::Fixed32
                                    }
                                    Type::Fixed64 | Type::Sfixed64 | Type::Double => {
                                        FieldKind::Fixed64
                                    }
                                    Type::Group => {
                                        panic!("{name}.{}: groups are not supported", f.name())
                                    }
                                    _ => FieldKind::Varint,
                                }
                            }
                        };
                        let number = u32::try_from(f.number()).expect("field numbers are positive");
                        (number, kind, format!("{name}.{}", f.name()))
                    })
                    .collect();
                fields.sort_by_key(|(n, _, _)| *n);
                MessageDesc {
                    name: name.clone(),
                    map_entry: msg.options.as_ref().is_some_and(|o| o.map_entry()),
                    fields,
                }
            })
            .collect();
        let root = |name: &str| {
            *index
                .get(name)
                .unwrap_or_else(|| panic!("no message {name}"))
        };
        WireSchema {
            table_schema: root("DynamoTableSchema"),
            item: root("DynamoItem"),
            messages,
        }
    }

    /// Checks `input` as message `root` the way Go's decoder reads it; see the module docs.
    pub fn check<'a>(
        &self,
        root: Root,
        input: &'a [u8],
        scratch: &mut Scratch,
    ) -> Result<Checked<'a>, WireError> {
        let root = match root {
            Root::TableSchema => self.table_schema,
            Root::Item => self.item,
        };
        let Scratch { frames, sizes } = scratch;
        frames.clear();
        sizes.clear();
        frames.push(Frame {
            msg: root,
            end: input.len(),
            out: 0,
            slot: usize::MAX,
            head: 0,
            depth: 1,
        });
        let mut pos = 0;
        let mut dropped = false;
        let mut max_depth = 1;
        let mut root_size = 0;
        while let Some(top) = frames.last().copied() {
            if pos == top.end {
                frames.pop();
                match frames.last_mut() {
                    None => root_size = top.out,
                    Some(parent) => {
                        sizes[top.slot] = top.out;
                        parent.out += top.head + varint_len(top.out as u64) + top.out;
                    }
                }
                continue;
            }
            let start = pos;
            let tag = read_varint(input, &mut pos, top.end)?;
            let number = tag >> 3;
            let wire_type = (tag & 7) as u8;
            if number == 0 || number > MAX_FIELD_NUMBER {
                return Err(WireError::FieldNumber {
                    number,
                    offset: start,
                });
            }
            if wire_type == WT_END_GROUP {
                return Err(WireError::EndGroup {
                    number,
                    offset: start,
                });
            }
            let desc = &self.messages[top.msg];
            let field = desc
                .field(number)
                .filter(|(kind, _)| kind.wire_type() == wire_type);
            match field {
                Some((FieldKind::Message(child), _)) => {
                    let head = pos - start;
                    let (content, end) = read_len(input, &mut pos, top.end)?;
                    let depth = if self.messages[child].map_entry {
                        top.depth
                    } else {
                        top.depth + 1
                    };
                    if depth > GO_RECURSION_LIMIT {
                        return Err(WireError::TooDeep);
                    }
                    max_depth = max_depth.max(depth);
                    sizes.push(0);
                    frames.push(Frame {
                        msg: child,
                        end,
                        out: 0,
                        slot: sizes.len() - 1,
                        head,
                        depth,
                    });
                    pos = content;
                }
                Some((kind, name)) => {
                    match kind {
                        FieldKind::Varint => {
                            read_varint(input, &mut pos, top.end)?;
                        }
                        FieldKind::Fixed32 => take(input, &mut pos, top.end, 4)?,
                        FieldKind::Fixed64 => take(input, &mut pos, top.end, 8)?,
                        FieldKind::Bytes => {
                            read_len(input, &mut pos, top.end)?;
                        }
                        FieldKind::String => {
                            let (content, end) = read_len(input, &mut pos, top.end)?;
                            if let Err(e) = std::str::from_utf8(&input[content..end]) {
                                return Err(WireError::InvalidUtf8 {
                                    field: name.to_string(),
                                    offset: content + e.valid_up_to(),
                                });
                            }
                        }
                        FieldKind::Message(_) => unreachable!("handled above"),
                    }
                    frames.last_mut().expect("top").out += pos - start;
                }
                None => {
                    skip_field(input, &mut pos, top.end, number, wire_type, start)?;
                    dropped = true;
                }
            }
        }
        let bytes = if dropped {
            Cow::Owned(self.rewrite(root, input, sizes, root_size))
        } else {
            Cow::Borrowed(input)
        };
        Ok(Checked {
            bytes,
            depth: max_depth,
        })
    }

    /// Second pass over input [`check`](Self::check) accepted: copies the fields it kept,
    /// with the nested messages' new lengths (`sizes`, in the order the messages start).
    fn rewrite(&self, root: usize, input: &[u8], sizes: &[usize], root_size: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(root_size);
        let mut frames: Vec<(usize, usize)> = vec![(root, input.len())];
        let mut next_size = 0;
        let mut pos = 0;
        while let Some(&(msg, end)) = frames.last() {
            if pos == end {
                frames.pop();
                continue;
            }
            let start = pos;
            let tag = read_varint(input, &mut pos, end).expect("checked");
            let number = tag >> 3;
            let wire_type = (tag & 7) as u8;
            let field = self.messages[msg]
                .field(number)
                .filter(|(kind, _)| kind.wire_type() == wire_type);
            match field {
                Some((FieldKind::Message(child), _)) => {
                    out.extend_from_slice(&input[start..pos]);
                    let (content, child_end) = read_len(input, &mut pos, end).expect("checked");
                    put_varint(sizes[next_size] as u64, &mut out);
                    next_size += 1;
                    frames.push((child, child_end));
                    pos = content;
                }
                Some((kind, _)) => {
                    match kind {
                        FieldKind::Varint => {
                            read_varint(input, &mut pos, end).expect("checked");
                        }
                        FieldKind::Fixed32 => take(input, &mut pos, end, 4).expect("checked"),
                        FieldKind::Fixed64 => take(input, &mut pos, end, 8).expect("checked"),
                        _ => {
                            read_len(input, &mut pos, end).expect("checked");
                        }
                    }
                    out.extend_from_slice(&input[start..pos]);
                }
                None => {
                    skip_field(input, &mut pos, end, number, wire_type, start).expect("checked")
                }
            }
        }
        debug_assert_eq!(out.len(), root_size);
        out
    }

    /// Names of the messages, for tests.
    #[cfg(test)]
    fn message_names(&self) -> Vec<&str> {
        self.messages.iter().map(|m| m.name.as_str()).collect()
    }
}

/// Bytes of the varint encoding of `v`.
fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

fn put_varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Go's `protowire.ConsumeVarint` within `input[..end]`: at most 10 bytes, the tenth at
/// most 1.
fn read_varint(input: &[u8], pos: &mut usize, end: usize) -> Result<u64, WireError> {
    let start = *pos;
    let mut value = 0u64;
    for i in 0..10 {
        let Some(&byte) = input[..end].get(start + i) else {
            return Err(WireError::Truncated { offset: start });
        };
        if i == 9 && byte > 1 {
            return Err(WireError::VarintOverflow { offset: start });
        }
        value |= u64::from(byte & 0x7F) << (7 * i);
        if byte < 0x80 {
            *pos = start + i + 1;
            return Ok(value);
        }
    }
    unreachable!("the tenth byte either ends the varint or overflows")
}

fn take(input: &[u8], pos: &mut usize, end: usize, n: usize) -> Result<(), WireError> {
    debug_assert!(end <= input.len());
    if end - *pos < n {
        return Err(WireError::Truncated { offset: *pos });
    }
    *pos += n;
    Ok(())
}

/// Go's `ConsumeBytes`: a length, then that many bytes. Returns the content's range and
/// leaves `pos` after it.
fn read_len(input: &[u8], pos: &mut usize, end: usize) -> Result<(usize, usize), WireError> {
    let start = *pos;
    let len = read_varint(input, pos, end)?;
    if len > (end - *pos) as u64 {
        return Err(WireError::Truncated { offset: start });
    }
    let content = *pos;
    *pos += len as usize;
    Ok((content, *pos))
}

/// Go's `protowire.ConsumeFieldValue` for a field whose tag was read already (`tag_at` is
/// where the tag started, for messages): skips the value, nested groups included.
fn skip_field(
    input: &[u8],
    pos: &mut usize,
    end: usize,
    number: u64,
    wire_type: u8,
    tag_at: usize,
) -> Result<(), WireError> {
    match wire_type {
        WT_VARINT => read_varint(input, pos, end).map(drop),
        WT_FIXED64 => take(input, pos, end, 8),
        WT_LEN => read_len(input, pos, end).map(drop),
        WT_FIXED32 => take(input, pos, end, 4),
        WT_START_GROUP => skip_group(input, pos, end, number),
        WT_END_GROUP => Err(WireError::EndGroup {
            number,
            offset: tag_at,
        }),
        other => Err(WireError::ReservedWireType {
            wire_type: other,
            offset: tag_at,
        }),
    }
}

/// Skips the body of group `number` (its start tag read) up to and including its end tag.
/// Go allows 10 001 nested groups (`consumeFieldValueD` with depth 10 000 down to 0).
fn skip_group(input: &[u8], pos: &mut usize, end: usize, number: u64) -> Result<(), WireError> {
    let mut open = vec![number];
    while let Some(&innermost) = open.last() {
        if *pos == end {
            return Err(WireError::UnclosedGroup { number: innermost });
        }
        let start = *pos;
        let tag = read_varint(input, pos, end)?;
        let field = tag >> 3;
        if field == 0 || field > MAX_GROUP_FIELD_NUMBER {
            return Err(WireError::FieldNumber {
                number: field,
                offset: start,
            });
        }
        match (tag & 7) as u8 {
            WT_END_GROUP if field == innermost => {
                open.pop();
            }
            WT_END_GROUP => {
                return Err(WireError::EndGroup {
                    number: field,
                    offset: start,
                })
            }
            WT_START_GROUP => {
                if open.len() > GO_RECURSION_LIMIT as usize {
                    return Err(WireError::TooDeep);
                }
                open.push(field);
            }
            other => skip_field(input, pos, end, field, other, start)?,
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;

//! Go protobuf semantics (dynamodb.md §3.1) versus plain prost: what each accepts and what
//! it decodes to.

use proptest::prelude::*;

use super::*;
use crate::dynamodb::proto::dynamo_attribute_value::Value;
use crate::dynamodb::proto::{
    DynamoAttributeValue, DynamoAttributeValueList, DynamoItem, DynamoStringSet, DynamoTableSchema,
};

/// Hand-rolled protobuf encoding, to write what prost's encoder never would.
pub(crate) mod pb {
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    pub fn tag(field: u64, wire_type: u8, out: &mut Vec<u8>) {
        varint(field << 3 | u64::from(wire_type), out);
    }

    pub fn bytes(field: u64, value: &[u8], out: &mut Vec<u8>) {
        tag(field, 2, out);
        varint(value.len() as u64, out);
        out.extend_from_slice(value);
    }

    pub fn uint(field: u64, value: u64, out: &mut Vec<u8>) {
        tag(field, 0, out);
        varint(value, out);
    }

    /// A map entry (key = field 1, value = field 2) of map field `field`.
    pub fn entry(field: u64, key: &[u8], value: Option<&[u8]>, out: &mut Vec<u8>) {
        let mut e = Vec::new();
        bytes(1, key, &mut e);
        if let Some(v) = value {
            bytes(2, v, &mut e);
        }
        bytes(field, &e, out);
    }

    /// `DynamoAttributeValue` with one oneof member given as (field, encoded payload).
    pub fn attr(field: u64, payload: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        bytes(field, payload, &mut v);
        v
    }

    pub fn s(text: &str) -> Vec<u8> {
        attr(1, text.as_bytes())
    }

    /// A `DynamoItem` from (name, encoded attribute value) pairs.
    pub fn item(attrs: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, value) in attrs {
            entry(1, name.as_bytes(), Some(value), &mut out);
        }
        out
    }
}

fn schema() -> &'static WireSchema {
    WireSchema::get()
}

fn check(root: Root, input: &[u8]) -> Result<Checked<'_>, WireError> {
    schema().check(root, input, &mut Scratch::default())
}

/// What Go decodes `input` to: the check, then prost on its output.
fn go_item(input: &[u8]) -> Result<DynamoItem, WireError> {
    let checked = check(Root::Item, input)?;
    Ok(DynamoItem::decode(checked.bytes.as_ref()).expect("prost decodes what the check accepts"))
}

fn value(item: &DynamoItem, name: &str) -> Option<Value> {
    item.attributes[name].value.clone()
}

#[test]
fn descriptor_table_matches_the_proto() {
    let names = schema().message_names();
    for name in [
        "DynamoKeySchema",
        "DynamoTableSchema",
        "DynamoTableSchema.AttributeDefinitionsEntry",
        "DynamoTableSchema.GlobalSecondaryIndexesEntry",
        "DynamoAttributeValue",
        "DynamoAttributeValueMap.ValuesEntry",
        "DynamoItem",
        "DynamoItem.AttributesEntry",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let entry = schema()
        .messages
        .iter()
        .find(|m| m.name == "DynamoItem.AttributesEntry")
        .unwrap();
    assert!(entry.map_entry);
    assert_eq!(entry.field(1).unwrap().0, FieldKind::String);
    let value = schema()
        .messages
        .iter()
        .find(|m| m.name == "DynamoAttributeValue")
        .unwrap();
    assert_eq!(value.field(3).unwrap().0, FieldKind::Bytes);
    assert_eq!(value.field(4).unwrap().0, FieldKind::Varint);
    assert!(matches!(value.field(10).unwrap().0, FieldKind::Message(_)));
    assert_eq!(value.field(11), None);
}

#[test]
fn duplicate_map_key_last_entry_wins() {
    let input = pb::item(&[
        ("a", pb::s("first")),
        ("b", pb::s("x")),
        ("a", pb::s("second")),
    ]);
    let item = go_item(&input).unwrap();
    assert_eq!(item.attributes.len(), 2);
    assert_eq!(value(&item, "a"), Some(Value::S("second".into())));
    // prost alone agrees: nothing to rewrite.
    assert!(matches!(
        check(Root::Item, &input).unwrap().bytes,
        Cow::Borrowed(_)
    ));
}

#[test]
fn oneof_last_member_wins_and_same_message_member_merges() {
    let mut v = pb::s("text");
    v.extend(pb::attr(2, b"42"));
    let item = go_item(&pb::item(&[("v", v)])).unwrap();
    assert_eq!(value(&item, "v"), Some(Value::N("42".into())));

    // s, then ss, then s again: s.
    let mut v = pb::s("one");
    let mut set = Vec::new();
    pb::bytes(1, b"a", &mut set);
    v.extend(pb::attr(6, &set));
    v.extend(pb::s("two"));
    let item = go_item(&pb::item(&[("v", v)])).unwrap();
    assert_eq!(value(&item, "v"), Some(Value::S("two".into())));

    // The same message member twice is merged (Go reuses the wrapper; prost merges).
    let mut set_b = Vec::new();
    pb::bytes(1, b"b", &mut set_b);
    let mut v = pb::attr(6, &set);
    v.extend(pb::attr(6, &set_b));
    let item = go_item(&pb::item(&[("v", v)])).unwrap();
    assert_eq!(
        value(&item, "v"),
        Some(Value::Ss(DynamoStringSet {
            values: vec!["a".into(), "b".into()]
        }))
    );
}

#[test]
fn default_valued_oneof_members_are_set_and_missing_values_are_default() {
    let mut null_false = Vec::new();
    pb::uint(5, 0, &mut null_false);
    let mut input = pb::item(&[("nf", null_false), ("b", pb::attr(3, b""))]);
    pb::entry(1, b"novalue", None, &mut input);
    let item = go_item(&input).unwrap();
    assert_eq!(value(&item, "nf"), Some(Value::NullValue(false)));
    assert_eq!(value(&item, "b"), Some(Value::B(Vec::new())));
    assert_eq!(value(&item, "novalue"), None);
    // An empty payload is an all-default message.
    assert_eq!(go_item(b"").unwrap(), DynamoItem::default());
}

/// Unknown fields of every wire type, including nested groups.
fn unknown_fields() -> Vec<u8> {
    let mut u = Vec::new();
    pb::uint(99, 7, &mut u);
    pb::tag(98, 1, &mut u);
    u.extend_from_slice(&[0; 8]);
    pb::bytes(97, b"\xff\xfe not utf-8", &mut u);
    pb::tag(96, 5, &mut u);
    u.extend_from_slice(&[0; 4]);
    pb::tag(95, 3, &mut u);
    pb::uint(1, 1, &mut u);
    pb::tag(94, 3, &mut u);
    pb::bytes(2, b"in a group", &mut u);
    pb::tag(94, 4, &mut u);
    pb::tag(95, 4, &mut u);
    u
}

#[test]
fn unknown_fields_are_skipped_everywhere() {
    let mut attr = pb::s("v");
    attr.extend(unknown_fields());
    let mut entry = Vec::new();
    pb::bytes(1, b"k", &mut entry);
    entry.extend(unknown_fields());
    pb::bytes(2, &attr, &mut entry);
    let mut input = unknown_fields();
    pb::bytes(1, &entry, &mut input);
    input.extend(unknown_fields());

    let checked = check(Root::Item, &input).unwrap();
    assert_eq!(checked.depth, 2);
    let item = DynamoItem::decode(checked.bytes.as_ref()).unwrap();
    assert_eq!(item, go_item(&pb::item(&[("k", pb::s("v"))])).unwrap());
    // prost skips them too (the check also removes them: groups are skipped alike).
    assert_eq!(DynamoItem::decode(input.as_slice()).unwrap(), item);
}

#[test]
fn wrong_wire_type_on_a_known_field_is_skipped_like_go() {
    // `s` (string, field 1) sent as a varint, then a real `n`.
    let mut attr = Vec::new();
    pb::uint(1, 5, &mut attr);
    attr.extend(pb::attr(2, b"7"));
    // The item's `attributes` (field 1, a map) sent as a fixed32.
    let mut input = Vec::new();
    pb::tag(1, 5, &mut input);
    input.extend_from_slice(b"abcd");
    pb::entry(1, b"n", Some(&attr), &mut input);
    // A map entry whose key is a varint: the key stays "".
    let mut entry = Vec::new();
    pb::uint(1, 3, &mut entry);
    pb::bytes(2, &pb::s("blank key"), &mut entry);
    pb::bytes(1, &entry, &mut input);
    // A oneof message member (`m`, field 10) sent as a varint: the oneof keeps `s`.
    let mut attr = pb::s("kept");
    pb::uint(10, 1, &mut attr);
    pb::entry(1, b"m", Some(&attr), &mut input);

    assert!(
        DynamoItem::decode(input.as_slice()).is_err(),
        "prost alone refuses"
    );
    let checked = check(Root::Item, &input).unwrap();
    assert!(matches!(checked.bytes, Cow::Owned(_)));
    let item = DynamoItem::decode(checked.bytes.as_ref()).unwrap();
    assert_eq!(value(&item, "n"), Some(Value::N("7".into())));
    assert_eq!(value(&item, ""), Some(Value::S("blank key".into())));
    assert_eq!(value(&item, "m"), Some(Value::S("kept".into())));

    // Schema: `generation` (uint64) sent length-delimited is skipped; the real one counts.
    let mut schema = Vec::new();
    pb::bytes(7, b"99", &mut schema);
    pb::uint(7, 5, &mut schema);
    pb::bytes(1, b"t", &mut schema);
    let checked = check(Root::TableSchema, &schema).unwrap();
    let decoded = DynamoTableSchema::decode(checked.bytes.as_ref()).unwrap();
    assert_eq!((decoded.generation, decoded.table_name.as_str()), (5, "t"));
}

#[test]
fn invalid_utf8_in_string_fields_is_rejected() {
    let bad = b"a\xffb";
    let cases: Vec<(Root, Vec<u8>)> = vec![
        (Root::Item, pb::item(&[("k", pb::attr(1, bad))])),
        (Root::Item, pb::item(&[("k", pb::attr(2, bad))])),
        (Root::Item, {
            let mut out = Vec::new();
            pb::entry(1, bad, Some(&pb::s("v")), &mut out);
            out
        }),
        (Root::Item, {
            let mut set = Vec::new();
            pb::bytes(1, b"ok", &mut set);
            pb::bytes(1, bad, &mut set);
            pb::item(&[("k", pb::attr(6, &set))])
        }),
        (Root::TableSchema, {
            let mut out = Vec::new();
            pb::bytes(1, bad, &mut out);
            out
        }),
        (Root::TableSchema, {
            let mut out = Vec::new();
            pb::entry(2, b"attr", Some(bad), &mut out);
            out
        }),
        // A surrogate encoded in UTF-8 (ED A0 80) is invalid for Go and Rust alike.
        (Root::Item, pb::item(&[("k", pb::attr(1, b"\xed\xa0\x80"))])),
    ];
    for (root, input) in cases {
        let err = check(root, &input).unwrap_err();
        assert!(matches!(err, WireError::InvalidUtf8 { .. }), "{err}");
    }
    // Bytes are not strings.
    let item = go_item(&pb::item(&[("k", pb::attr(3, bad))])).unwrap();
    assert_eq!(value(&item, "k"), Some(Value::B(bad.to_vec())));
    // Nor are skipped fields checked.
    let mut attr = Vec::new();
    pb::bytes(4, bad, &mut attr); // bool_value sent length-delimited
    assert!(go_item(&pb::item(&[("k", attr)])).is_ok());
}

#[test]
fn structural_errors_are_rejected() {
    let mut nested_too_long = Vec::new();
    pb::tag(1, 2, &mut nested_too_long);
    pb::varint(4, &mut nested_too_long);
    pb::bytes(1, b"abcdef", &mut nested_too_long); // 8 bytes inside a 4-byte entry
    type Case = (Vec<u8>, fn(&WireError) -> bool);
    let cases: Vec<Case> = vec![
        (vec![0x0a, 0x05, b'a'], |e| {
            matches!(e, WireError::Truncated { .. })
        }),
        (vec![0x08], |e| matches!(e, WireError::Truncated { .. })),
        (vec![0x80], |e| matches!(e, WireError::Truncated { .. })),
        (nested_too_long, |e| {
            matches!(e, WireError::Truncated { .. })
        }),
        ([vec![0x78], vec![0xff; 9], vec![0x02]].concat(), |e| {
            matches!(e, WireError::VarintOverflow { .. })
        }),
        (vec![0x00, 0x00], |e| {
            matches!(e, WireError::FieldNumber { number: 0, .. })
        }),
        (
            {
                let mut v = Vec::new();
                pb::uint(1 << 29, 1, &mut v);
                v
            },
            |e| matches!(e, WireError::FieldNumber { .. }),
        ),
        (vec![0x0e], |e| {
            matches!(e, WireError::ReservedWireType { wire_type: 6, .. })
        }),
        (vec![0x0f], |e| {
            matches!(e, WireError::ReservedWireType { wire_type: 7, .. })
        }),
        (vec![0x0c], |e| {
            matches!(e, WireError::EndGroup { number: 1, .. })
        }),
        (vec![0x1b, 0x08, 0x01], |e| {
            matches!(e, WireError::UnclosedGroup { number: 3 })
        }),
        (vec![0x1b, 0x24], |e| {
            matches!(e, WireError::EndGroup { number: 4, .. })
        }),
        // A group left open inside a nested message may not close outside it.
        (
            {
                let mut v = Vec::new();
                pb::bytes(1, &[0x1b], &mut v);
                v.push(0x1c);
                v
            },
            |e| matches!(e, WireError::UnclosedGroup { .. }),
        ),
    ];
    for (input, expected) in cases {
        let err = check(Root::Item, &input).unwrap_err();
        assert!(expected(&err), "{input:02x?}: {err}");
    }
    // Inside a skipped group Go's ConsumeTag accepts field numbers up to 2^31 - 1.
    let mut v = Vec::new();
    pb::tag(5, 3, &mut v);
    pb::uint(1 << 29, 1, &mut v);
    pb::tag(5, 4, &mut v);
    assert!(check(Root::Item, &v).is_ok());
    let mut v = Vec::new();
    pb::tag(5, 3, &mut v);
    pb::uint(1 << 31, 1, &mut v);
    pb::tag(5, 4, &mut v);
    assert!(matches!(
        check(Root::Item, &v),
        Err(WireError::FieldNumber { .. })
    ));
}

/// An item whose attribute `deep` nests `levels` messages in all (item = level 1), through
/// alternating `DynamoAttributeValue` / `DynamoAttributeValueList`.
pub(crate) fn nested_item(levels: u32) -> Vec<u8> {
    assert!(levels >= 2);
    // Level 2 is the attribute value; each deeper level is a list (odd) holding a value
    // (even) through field 1, or a value holding a list through `l` (field 9). Content sizes
    // inside out first, then the bytes outside in (no quadratic copying).
    let field = |level: u32| if level.is_multiple_of(2) { 9 } else { 1 };
    let mut sizes = vec![0usize; levels as usize + 1];
    for level in (2..levels).rev() {
        let inner = sizes[level as usize + 1];
        let mut head = Vec::new();
        pb::tag(field(level), 2, &mut head);
        pb::varint(inner as u64, &mut head);
        sizes[level as usize] = head.len() + inner;
    }
    let mut value = Vec::with_capacity(sizes[2]);
    for level in 2..levels {
        pb::tag(field(level), 2, &mut value);
        pb::varint(sizes[level as usize + 1] as u64, &mut value);
    }
    assert_eq!(value.len(), sizes[2]);
    pb::item(&[("deep", value)])
}

#[test]
fn nesting_limit_is_gos() {
    let ok = nested_item(GO_RECURSION_LIMIT);
    let checked = check(Root::Item, &ok).unwrap();
    assert_eq!(checked.depth, GO_RECURSION_LIMIT);
    let too_deep = nested_item(GO_RECURSION_LIMIT + 1);
    assert_eq!(
        check(Root::Item, &too_deep).unwrap_err(),
        WireError::TooDeep
    );
    // Shallow nesting reports its depth: item, value, list, value.
    let shallow = nested_item(4);
    assert_eq!(check(Root::Item, &shallow).unwrap().depth, 4);
    let item = go_item(&shallow).unwrap();
    assert_eq!(
        value(&item, "deep"),
        Some(Value::L(DynamoAttributeValueList {
            values: vec![DynamoAttributeValue { value: None }]
        }))
    );
}

#[test]
fn unknown_groups_nest_up_to_gos_limit() {
    let groups = |n: usize| {
        let mut v = Vec::new();
        for _ in 0..n {
            pb::tag(20, 3, &mut v);
        }
        for _ in 0..n {
            pb::tag(20, 4, &mut v);
        }
        v
    };
    assert!(check(Root::Item, &groups(10_001)).is_ok());
    assert_eq!(
        check(Root::Item, &groups(10_002)).unwrap_err(),
        WireError::TooDeep
    );
}

#[test]
fn varint_lengths() {
    for v in [0u64, 1, 127, 128, 16_383, 16_384, u64::MAX] {
        let mut out = Vec::new();
        put_varint(v, &mut out);
        assert_eq!(out.len(), varint_len(v), "{v}");
        let mut pos = 0;
        assert_eq!(read_varint(&out, &mut pos, out.len()).unwrap(), v);
        assert_eq!(pos, out.len());
    }
}

/// Random field soup: plausible and implausible fields at random nesting.
fn soup(depth: u32) -> BoxedStrategy<Vec<u8>> {
    let leaf = prop_oneof![
        (1u64..12, any::<u64>()).prop_map(|(f, v)| {
            let mut out = Vec::new();
            pb::uint(f, v, &mut out);
            out
        }),
        (1u64..12, proptest::collection::vec(any::<u8>(), 0..6)).prop_map(|(f, v)| {
            let mut out = Vec::new();
            pb::bytes(f, &v, &mut out);
            out
        }),
        (1u64..12, "[a-z]{0,4}").prop_map(|(f, v)| {
            let mut out = Vec::new();
            pb::bytes(f, v.as_bytes(), &mut out);
            out
        }),
        (1u64..12, 0u8..8).prop_map(|(f, wt)| {
            let mut out = Vec::new();
            pb::tag(f, wt, &mut out);
            out.extend_from_slice(&[0; 8]);
            out
        }),
    ];
    if depth == 0 {
        return proptest::collection::vec(leaf, 0..5)
            .prop_map(|v| v.concat())
            .boxed();
    }
    let nested = (1u64..12, soup(depth - 1)).prop_map(|(f, inner)| {
        let mut out = Vec::new();
        pb::bytes(f, &inner, &mut out);
        out
    });
    proptest::collection::vec(prop_oneof![3 => leaf, 2 => nested], 0..6)
        .prop_map(|v| v.concat())
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever the check accepts, prost decodes; whatever prost decodes as is, the check
    /// accepts and prost reads the same from the check's output.
    #[test]
    fn check_and_prost_agree(input in soup(3), schema_root in any::<bool>()) {
        let root = if schema_root { Root::TableSchema } else { Root::Item };
        let checked = check(root, &input);
        if let Ok(c) = &checked {
            match root {
                Root::Item => { DynamoItem::decode(c.bytes.as_ref()).unwrap(); }
                Root::TableSchema => { DynamoTableSchema::decode(c.bytes.as_ref()).unwrap(); }
            }
        }
        match root {
            Root::Item => if let Ok(direct) = DynamoItem::decode(input.as_slice()) {
                let via = DynamoItem::decode(checked.unwrap().bytes.as_ref()).unwrap();
                prop_assert_eq!(direct, via);
            },
            Root::TableSchema => if let Ok(direct) = DynamoTableSchema::decode(input.as_slice()) {
                let via = DynamoTableSchema::decode(checked.unwrap().bytes.as_ref()).unwrap();
                prop_assert_eq!(direct, via);
            },
        }
    }
}

//! Every spec check: a malformed spec yields an error naming the file, the family and the
//! field.

use ekvsnap_codegen::{load_specs, SpecError};

fn check(files: &[(&str, &str)]) -> Result<ekvsnap_codegen::ir::Spec, Vec<SpecError>> {
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_string()))
        .collect();
    load_specs(&files)
}

/// A one-family sqs spec with `family` spliced in as the family body.
fn sqs(options: &str, family: &str) -> String {
    format!(
        "adapter: sqs\ndoc: test\noptions: {options}\nfamilies:\n  - name: fam\n{}",
        indent(family)
    )
}

fn indent(block: &str) -> String {
    block.lines().map(|l| format!("    {l}\n")).collect()
}

const KEY: &str = "key:\n  segments:\n    - { name: queue, enc: base64url, end: rest }";

fn family(prefix: &str, extra: &str) -> String {
    format!("prefix: \"{prefix}\"\ndoc: d\nhandler: emit\n{extra}")
}

/// Asserts exactly one error, at `family`/`field`, whose message contains `message`.
#[track_caller]
fn expect(files: &[(&str, &str)], family: Option<&str>, field: &str, message: &str) {
    let errors = check(files).expect_err("spec should be rejected");
    let hit = errors.iter().find(|e| e.field == field);
    let Some(e) = hit else {
        panic!("no error at `{field}`: {errors:#?}");
    };
    assert_eq!(e.family.as_deref(), family, "{e}");
    assert!(
        e.message.contains(message),
        "`{}` lacks `{message}`",
        e.message
    );
    assert_eq!(errors.len(), 1, "{errors:#?}");
    // Cross-file errors are reported at the later declaration.
    assert_eq!(e.file, files[files.len() - 1].0, "{e}");
}

#[track_caller]
fn expect_one(yaml: &str, family: Option<&str>, field: &str, message: &str) {
    expect(&[("spec/t.yaml", yaml)], family, field, message);
}

#[test]
fn valid_spec_passes() {
    let spec = check(&[("spec/t.yaml", &sqs("[]", &family("!q|", KEY)))]).unwrap();
    assert_eq!(spec.families.len(), 1);
    assert_eq!(spec.families[0].prefix, b"!q|");
}

#[test]
fn display_names_file_family_and_field() {
    let yaml = sqs(
        "[]",
        &family("!q|", "key:\n  segments:\n    - { name: q, enc: bytes }"),
    );
    let errors = check(&[("spec/sqs.yaml", &yaml)]).unwrap_err();
    assert_eq!(
        errors[0].to_string(),
        "spec error: spec/sqs.yaml: family `fam`: field `key.segments[0].end`: missing required field: \
         variable-length `bytes` needs an `end` (rest, alphabet or {separator: \"...\"})"
    );
}

#[test]
fn structural_errors_are_located() {
    // Unknown encoding.
    let y = sqs(
        "[]",
        &family(
            "!q|",
            "key:\n  segments:\n    - { name: q, enc: base65, end: rest }",
        ),
    );
    expect_one(
        &y,
        Some("fam"),
        "key.segments[0].enc",
        "unknown encoding `base65`",
    );
    // Unknown field, in a segment and in a family.
    let y = sqs(
        "[]",
        &family(
            "!q|",
            "key:\n  segments:\n    - { name: q, enc: bytes, end: rest, colour: red }",
        ),
    );
    expect_one(&y, Some("fam"), "key.segments[0].colour", "unknown field");
    let y = sqs("[]", &family("!q|", &format!("{KEY}\nhandlr: emit")));
    expect_one(&y, Some("fam"), "handlr", "unknown field");
    // Missing required fields, at family and file level.
    let y = sqs("[]", "prefix: \"!q|\"\nhandler: emit");
    expect_one(&y, Some("fam"), "doc", "missing required field");
    let y = sqs(
        "[]",
        &family("!q|", "key:\n  segments:\n    - { name: q, end: rest }"),
    );
    expect_one(
        &y,
        Some("fam"),
        "key.segments[0].enc",
        "missing required field",
    );
    expect_one(
        "adapter: sqs\nfamilies: []\n",
        None,
        "doc",
        "missing required field",
    );
    // A family without a name is named by its index.
    let y =
        "adapter: sqs\ndoc: d\nfamilies:\n  - prefix: \"!q|\"\n    doc: d\n    handler: ignore\n";
    expect_one(y, None, "families[0].name", "missing required field");
    // Bad end rule spelling, bad handler, bad YAML.
    let y = sqs(
        "[]",
        &family(
            "!q|",
            "key:\n  segments:\n    - { name: q, enc: bytes, end: sometimes }",
        ),
    );
    expect_one(
        &y,
        Some("fam"),
        "key.segments[0].end",
        "unknown end rule `sometimes`",
    );
    let y = sqs("[]", "prefix: \"!q|\"\ndoc: d\nhandler: print");
    expect_one(&y, Some("fam"), "handler", "unknown value `print`");
    expect_one("adapter: [", None, "", "invalid YAML");
}

#[test]
fn duplicate_family_across_files() {
    let a = sqs("[]", &family("!a|", KEY));
    let b = format!(
        "adapter: redis\ndoc: d\nfamilies:\n  - name: fam\n{}",
        indent(&family("!b|", KEY))
    );
    let errors = check(&[("spec/a.yaml", &a), ("spec/b.yaml", &b)]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].file, "spec/b.yaml");
    assert_eq!(errors[0].field, "name");
    assert!(errors[0].message.contains("already used in spec/a.yaml"));
}

#[test]
fn duplicate_and_shadowed_prefixes() {
    let y = format!(
        "adapter: sqs\ndoc: d\nfamilies:\n  - name: a\n{}  - name: b\n{}",
        indent(&family("!q|", KEY)),
        indent(&family(r"!q\\x7c", KEY))
    );
    expect_one(&y, Some("b"), "prefix", "duplicate prefix `!q|`");
    // A longer family prefix covering `prefix ‖ when` makes the variant unreachable.
    let variants = "key:\n  variants:\n    - name: p\n      when: \"p|\"\n      segments: []\n    - name: l\n      segments: []";
    let y = format!(
        "adapter: sqs\ndoc: d\nfamilies:\n  - name: a\n{}  - name: b\n{}",
        indent(&family("!q|", variants)),
        indent(&family("!q|p", KEY))
    );
    expect_one(
        &y,
        Some("a"),
        "key.variants[0].when",
        "can never be reached",
    );
    // An earlier `when` that is a prefix of a later one.
    let variants = "key:\n  variants:\n    - name: p\n      when: \"p\"\n      segments: []\n    - name: pp\n      when: \"p|\"\n      segments: []\n    - name: l\n      segments: []";
    expect_one(
        &sqs("[]", &family("!q|", variants)),
        Some("fam"),
        "key.variants[1].when",
        "variant `p` is tried first",
    );
    expect_one(
        &sqs("[]", &family("", KEY)),
        Some("fam"),
        "prefix",
        "empty prefix",
    );
}

#[test]
fn byte_escapes() {
    for (prefix, msg) in [
        (r"!q\\q|", "bad byte escape `\\q`"),
        (r"!q\\x4|", "two hex digits"),
        ("!q€", "is not a byte"),
    ] {
        expect_one(&sqs("[]", &family(prefix, KEY)), Some("fam"), "prefix", msg);
    }
    let y = sqs(
        "[]",
        &family(
            "!q|",
            &format!("{KEY}\nvalue: {{ magic: '\\y', payload: json }}"),
        ),
    );
    expect_one(&y, Some("fam"), "value.magic", "bad byte escape");
    let y = sqs(
        "[]",
        &family(
            "!q|",
            "key:\n  segments:\n    - { name: q, enc: bytes, end: { separator: '\\' } }",
        ),
    );
    expect_one(
        &y,
        Some("fam"),
        "key.segments[0].end.separator",
        "lone `\\`",
    );
    let y = sqs("[]", &family("!q|", "key:\n  variants:\n    - { name: a, when: '\\n', segments: [] }\n    - { name: b, segments: [] }"));
    expect_one(
        &y,
        Some("fam"),
        "key.variants[0].when",
        "bad byte escape `\\n`",
    );
}

#[test]
fn segment_rules() {
    let seg = |segments: &str| {
        sqs(
            "[]",
            &family(
                "!q|",
                &format!(
                    "key:\n  segments:\n{}",
                    indent(segments).replace("    ", "  ")
                ),
            ),
        )
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "- { name: q, enc: decimal }",
            "key.segments[0].end",
            "needs an `end`",
        ),
        (
            "- { name: q, enc: bytes, end: alphabet }",
            "key.segments[0].end",
            "`alphabet` ends only base64url",
        ),
        (
            "- { name: q, enc: u64be, end: rest }",
            "key.segments[0].end",
            "fixed-width and takes no `end`",
        ),
        (
            "- { name: q, enc: escaped, end: rest }",
            "key.segments[0].end",
            "self-delimiting",
        ),
        (
            "- { name: q, enc: bytes, end: rest }\n- { name: r, enc: escaped }",
            "key.segments[1].enc",
            "only fixed-width segments may follow",
        ),
        (
            "- { name: q, enc: bytes, end: rest }\n- { name: r, enc: u64be, optional: true }",
            "key.segments[1].optional",
            "ambiguous",
        ),
        (
            "- { name: q, enc: u64be, optional: true }\n- { name: r, enc: u64be }",
            "key.segments[0].optional",
            "only the last segment",
        ),
        (
            "- { name: q, enc: escaped, optional: true }",
            "key.segments[0].optional",
            "only a fixed-width segment",
        ),
        (
            "- { name: q, enc: hex }",
            "key.segments[0].len",
            "missing required field",
        ),
        (
            "- { name: q, enc: hex, len: 3 }",
            "key.segments[0].len",
            "positive even number",
        ),
        (
            "- { name: q, enc: u16be, len: 2 }",
            "key.segments[0].len",
            "only to hex",
        ),
        (
            "- { name: q, enc: u16be, non_empty: true }",
            "key.segments[0].non_empty",
            "fixed-width",
        ),
        (
            "- { name: q, enc: u16be }\n- { name: q, enc: u16be }",
            "key.segments[1].name",
            "declared twice",
        ),
        (
            "- { name: Queue, enc: u16be }",
            "key.segments[0].name",
            "not snake_case",
        ),
        (
            "- { name: self, enc: u16be }",
            "key.segments[0].name",
            "cannot be a Rust identifier",
        ),
        (
            "- { name: q, enc: bytes, end: { separator: '' } }",
            "key.segments[0].end.separator",
            "cannot be empty",
        ),
    ];
    for (segments, field, message) in cases {
        expect_one(&seg(segments), Some("fam"), field, message);
    }
    // `extra: ignore` conflicts with `rest` and with an optional trailer.
    let y = sqs(
        "[]",
        &family(
            "!q|",
            "key:\n  extra: ignore\n  segments:\n    - { name: q, enc: bytes, end: rest }",
        ),
    );
    expect_one(
        &y,
        Some("fam"),
        "key.segments[0].end",
        "`extra: ignore` cannot be used",
    );
    let y = sqs(
        "[]",
        &family(
            "!q|",
            "key:\n  extra: ignore\n  segments:\n    - { name: q, enc: u64be, optional: true }",
        ),
    );
    expect_one(&y, Some("fam"), "key.segments[0].optional", "extra: ignore");
}

#[test]
fn key_shapes_and_variants() {
    let y = sqs("[]", &family("!q|", "key:\n  segments: []\n  variants: []"));
    expect_one(&y, Some("fam"), "key.variants", "not both");
    let y = sqs("[]", &family("!q|", "key: {}"));
    expect_one(&y, Some("fam"), "key.segments", "missing required field");
    let y = sqs("[]", "prefix: \"!q|\"\ndoc: d\nhandler: side_record");
    expect_one(&y, Some("fam"), "key", "missing required field");
    let y = sqs(
        "[]",
        &family(
            "!q|",
            "key:\n  variants:\n    - { name: a, segments: [] }\n    - { name: b, segments: [] }",
        ),
    );
    expect_one(
        &y,
        Some("fam"),
        "key.variants[0].when",
        "only the last variant",
    );
    let y = sqs("[]", &family("!q|", "key:\n  variants:\n    - { name: a, when: x, segments: [] }\n    - { name: b, when: y, segments: [] }"));
    expect_one(
        &y,
        Some("fam"),
        "key.variants[1].when",
        "default and takes no `when`",
    );
    // Ignore families may leave the key out.
    assert!(check(&[(
        "spec/t.yaml",
        &sqs("[]", "prefix: \"!q|\"\ndoc: d\nhandler: ignore")
    )])
    .is_ok());
}

#[test]
fn output_templates() {
    let with = |output: &str| {
        sqs(
            "[]",
            &family(
                "!q|",
                &format!("output: \"{output}\"\npath_vars: [pk]\n{KEY}"),
            ),
        )
    };
    assert!(check(&[("spec/t.yaml", &with("sqs/{queue}/{pk}/db_{db}.json"))]).is_ok());
    for (output, message) in [
        (
            "sqs/{queue}/{message}.json",
            "placeholder `{message}` names no key segment",
        ),
        ("sqs/{queue", "without `}`"),
        ("sqs/queue}", "without `{`"),
        ("/abs/{queue}", "relative path"),
        ("sqs/../{queue}", "`..`"),
        ("sqs//{queue}", "empty"),
    ] {
        expect_one(&with(output), Some("fam"), "output", message);
    }
    // A segment missing from one variant cannot be a placeholder.
    let variants = "output: \"{queue}/{partition}\"\nkey:\n  variants:\n    - name: p\n      when: \"p|\"\n      segments:\n        - { name: queue, enc: bytes, end: rest }\n        - { name: partition, enc: u32be }\n    - name: l\n      segments:\n        - { name: queue, enc: bytes, end: rest }";
    expect_one(
        &sqs("[]", &family("!q|", variants)),
        Some("fam"),
        "output",
        "missing from some variants",
    );
    let y = sqs("[]", &family("!q|", &format!("path_vars: [queue]\n{KEY}")));
    expect_one(&y, Some("fam"), "path_vars[0]", "also a key segment");
}

#[test]
fn options() {
    let opt = |o: &str| {
        sqs(
            &format!("\n  - {{ {o} }}"),
            &family("!q|", &format!("options: [x-y]\n{KEY}")),
        )
    };
    assert!(check(&[("spec/t.yaml", &opt("flag: x-y, kind: bool, doc: d"))]).is_ok());
    assert!(check(&[(
        "spec/t.yaml",
        &opt("flag: x-y, kind: choice, doc: d, values: [a, b-c], default: b-c")
    )])
    .is_ok());
    let cases: &[(&str, &str, &str)] = &[
        (
            "flag: x-y, kind: choice, doc: d, values: [a, b], default: c",
            "options[0].default",
            "not one of the values",
        ),
        (
            "flag: x-y, kind: choice, doc: d, values: [a, b]",
            "options[0].default",
            "missing required field",
        ),
        (
            "flag: x-y, kind: choice, doc: d, default: a",
            "options[0].values",
            "missing required field",
        ),
        (
            "flag: x-y, kind: bytes, doc: d",
            "options[0].default",
            "missing required field",
        ),
        (
            "flag: x-y, kind: bytes, doc: d, default: 1.5GiB",
            "options[0].default",
            "unknown unit",
        ),
        (
            "flag: x-y, kind: u64, doc: d, default: -1",
            "options[0].default",
            "not an unsigned",
        ),
        (
            "flag: x-y, kind: bool, doc: d, default: true",
            "options[0].default",
            "off by default",
        ),
        (
            "flag: x-y, kind: bool, doc: d, values: [a]",
            "options[0].values",
            "only to kind `choice`",
        ),
        (
            "flag: x-y, kind: flag, doc: d",
            "options[0].kind",
            "unknown value `flag`",
        ),
    ];
    for (o, field, message) in cases {
        let e = check(&[("spec/t.yaml", &opt(o))]).unwrap_err();
        assert_eq!(e.len(), 1, "{e:#?}");
        assert_eq!(
            (e[0].family.as_deref(), e[0].field.as_str()),
            (None, *field),
            "{}",
            e[0]
        );
        assert!(e[0].message.contains(message), "{}", e[0]);
    }
    // Clash with a core flag; the message names the families reading the option.
    let y = sqs(
        "\n  - { flag: read-ts, kind: bool, doc: d }",
        &family("!q|", &format!("options: [read-ts]\n{KEY}")),
    );
    expect_one(
        &y,
        None,
        "options[0].flag",
        "clashes with a core CLI flag (read by family `fam`)",
    );
    let y = sqs(
        "\n  - { flag: Read_TS, kind: bool, doc: d }",
        &family("!q|", KEY),
    );
    expect_one(&y, None, "options[0].flag", "not kebab-case");
    // Duplicate across files.
    let a = sqs(
        "\n  - { flag: x-y, kind: bool, doc: d }",
        &family("!a|", KEY),
    );
    let b = "adapter: redis\ndoc: d\noptions:\n  - { flag: x-y, kind: bool, doc: d }\nfamilies:\n  - { name: g, prefix: \"!b|\", doc: d, handler: ignore }\n";
    let e = check(&[("spec/a.yaml", &a), ("spec/b.yaml", b)]).unwrap_err();
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(
        (e[0].file.as_str(), e[0].field.as_str()),
        ("spec/b.yaml", "options[0].flag")
    );
    assert!(e[0].message.contains("already declared by spec/a.yaml"));
    // A family option must be declared by its adapter.
    let y = sqs("[]", &family("!q|", &format!("options: [nope]\n{KEY}")));
    expect_one(&y, Some("fam"), "options[0]", "not declared");
    // Choice types must not collide in Rust.
    let y = sqs(
        "\n  - { flag: a-1b, kind: choice, doc: d, values: [x], default: x }\n  - { flag: a1b, kind: choice, doc: d, values: [x], default: x }",
        &family("!q|", KEY),
    );
    expect_one(&y, None, "options[1].flag", "choice type `A1b`");
}

#[test]
fn handlers_and_fallbacks() {
    let y = sqs("[]", "prefix: \"!q|\"\ndoc: d\nhandler: internal");
    expect_one(&y, Some("fam"), "handler", "only allowed in internal.yaml");
    let y = "adapter: internal\ndoc: d\nfamilies:\n  - { name: t, prefix: \"!t|\", doc: d, handler: ignore }\n";
    expect_one(y, Some("t"), "handler", "use handler `internal`");
    let two = |fallback: &str, base_prefix: &str| {
        format!(
            "adapter: redis\ndoc: d\nfamilies:\n  - name: base\n{}  - name: delta\n{}",
            indent(&family(base_prefix, KEY)),
            indent(&family("!m|d|", &format!("fallback: {fallback}\n{KEY}")))
        )
    };
    assert!(check(&[("spec/r.yaml", &two("base", "!m|"))]).is_ok());
    let (file, fam) = ("spec/r.yaml", Some("delta"));
    expect(
        &[(file, &two("nope", "!m|"))],
        fam,
        "fallback",
        "unknown family `nope`",
    );
    expect(
        &[(file, &two("delta", "!m|"))],
        fam,
        "fallback",
        "its own fallback",
    );
    expect(
        &[(file, &two("base", "!n|"))],
        fam,
        "fallback",
        "do not start with",
    );
    let other = format!(
        "adapter: sqs\ndoc: d\nfamilies:\n  - name: q\n{}",
        indent(&family("!m|", KEY))
    );
    let red = format!(
        "adapter: redis\ndoc: d\nfamilies:\n  - name: delta\n{}",
        indent(&family("!m|d|", &format!("fallback: q\n{KEY}")))
    );
    expect(
        &[("spec/q.yaml", &other), ("spec/r.yaml", &red)],
        fam,
        "fallback",
        "belongs to adapter `sqs`",
    );
}

#[test]
fn generated_names_must_not_collide() {
    let y = format!(
        "adapter: sqs\ndoc: d\nfamilies:\n  - name: msg\n{}  - name: msg_data\n{}",
        indent(&family(
            "!a|",
            "key:\n  variants:\n    - { name: data, segments: [] }"
        )),
        indent(&family("!b|", KEY))
    );
    expect_one(
        &y,
        Some("msg_data"),
        "name",
        "generated type `SqsMsgDataKey`",
    );
    let y = format!(
        "adapter: sqs\ndoc: d\nfamilies:\n  - name: a_1\n{}  - name: a1\n{}",
        indent(&family("!a|", KEY)),
        indent(&family("!b|", KEY))
    );
    let e = check(&[("spec/t.yaml", &y)]).unwrap_err();
    assert!(
        e.iter().any(|e| e.message.contains("both become `A1`")),
        "{e:#?}"
    );
}

#[test]
fn value_envelopes() {
    let v = |value: &str| sqs("[]", &family("!q|", &format!("{KEY}\nvalue: {value}")));
    assert!(check(&[(
        "spec/t.yaml",
        &v("{ magic: \"\\x00SQ\\x01\", payload: json }")
    )])
    .is_ok());
    expect_one(
        &v("{ payload: protobuf }"),
        Some("fam"),
        "value.message",
        "missing required field",
    );
    expect_one(
        &v("{ payload: fixed }"),
        Some("fam"),
        "value.lengths",
        "missing required field",
    );
    expect_one(
        &v("{ payload: json, lengths: [8] }"),
        Some("fam"),
        "value.lengths",
        "only to payload `fixed`",
    );
    expect_one(
        &v("{ payload: raw, message: X }"),
        Some("fam"),
        "value.message",
        "only to payload `protobuf`",
    );
    expect_one(
        &v("{ payload: fixed, lengths: [8, 8] }"),
        Some("fam"),
        "value.lengths[1]",
        "listed twice",
    );
}

#[test]
fn many_errors_are_reported_together() {
    let y = sqs(
        "\n  - { flag: force, kind: bool, doc: d }",
        &family("!q\\\\q", "key:\n  segments:\n    - { name: q, enc: bytes }\n    - { name: r, enc: bytes, end: alphabet }"),
    );
    let errors = check(&[("spec/t.yaml", &y)]).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "options[0].flag",
            "prefix",
            "key.segments[0].end",
            "key.segments[1].end"
        ],
        "{errors:#?}"
    );
}

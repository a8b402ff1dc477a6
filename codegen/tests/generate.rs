//! Generation: the fixture specs, the real specs and an empty spec set all produce Rust that
//! parses, with the documented names; the generated text is formatted and readable.

use std::path::{Path, PathBuf};

use ekvsnap_codegen::{emit_cli, emit_runtime, format, load, load_specs};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid")
}

fn fixture_spec() -> ekvsnap_codegen::ir::Spec {
    load_specs(&load::read_spec_dir(&fixture_dir()).unwrap()).unwrap()
}

fn parses(text: &str) -> syn::File {
    syn::parse_file(text).unwrap_or_else(|e| panic!("generated code does not parse: {e}\n{text}"))
}

#[test]
fn fixture_runtime_code_parses_and_has_the_documented_names() {
    let text = format::format_file(emit_runtime::emit_runtime(&fixture_spec()));
    let file = parses(&text);
    assert!(text.starts_with("// @generated"));
    for needle in [
        "pub enum AdapterId {",
        "pub enum SqsFamily {",
        "pub enum Family {",
        "pub const ALL_FAMILIES: &[Family]",
        "pub fn route(user_key: &[u8]) -> Option<Family> {",
        // Variants: an enum of per-variant structs.
        "pub enum SqsFxMsgKey<'a> {",
        "Partitioned(SqsFxMsgPartitionedKey<'a>),",
        "pub struct SqsFxMsgLegacyKey<'a> {",
        "pub const PREFIX: &'static [u8] = b\"!fx|msg|\";",
        "pub const FAMILY: Family = Family::Sqs(SqsFamily::FxMsg);",
        "/// Spec: valid/sqs.yaml, family `fx_msg`.",
        // No borrowed field → no lifetime.
        "pub struct S3FxDigestKey {",
        "pub digest: [u8; 4],",
        "pub r#type: u16,",
        "pub version: Option<u64>,",
        // Options.
        "pub struct SqsOptions {",
        "pub fx_mode: FxMode,",
        "pub fx_budget: u64,",
        "pub enum FxMode {",
        "pub const OPTION_FLAGS: &[OptionInfo]",
        "fallback: Some(Family::Redis(RedisFamily::FxMetaBase)),",
        "magic: Some(b\"\\x00SM\\x01\")",
        "payload: Payload::Fixed(&[4, 8])",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in\n{text}");
    }
    // Items are separated by blank lines.
    assert!(text.contains("}\n\nimpl"), "{text}");
    assert!(!file.items.is_empty());
}

#[test]
fn parsers_read_like_the_spec() {
    let text = format::format_file(emit_runtime::emit_runtime(&fixture_spec()));
    for line in [
        "let mut cur = Cursor::new(key, \"fx_msg\");",
        "cur.prefix(Self::PREFIX)?;",
        "if cur.eat(b\"p|\") {",
        "return SqsFxMsgPartitionedKey::read(&mut cur).map(Self::Partitioned);",
        "queue: cur.take_until(\"queue\", b\"|\")?.non_empty()?.base64url()?,",
        "queue: cur.take_alphabet(\"queue\").non_empty()?.base64url()?,",
        "message_id: cur.take_rest(\"message_id\", 0).non_empty()?.base64url()?,",
        "user_key: cur.take_rest(\"user_key\", 8).bytes(),",
        "seq: cur.i64be_flipped(\"seq\")?,",
        "bucket: cur.take_escaped(\"bucket\")?.escaped(),",
        "user_key: cur.take_len_prefixed(\"user_key\")?.bytes(),",
        "generation: cur.take_until(\"generation\", b\"|\")?.decimal()?,",
        "digest: cur.hex::<4>(\"digest\")?,",
        "version: if cur.trailer(\"version\", 8)? {",
        "cur.finish()?;",
    ] {
        assert!(text.contains(line), "missing `{line}`");
    }
}

#[test]
fn key_parser_only_output_parses() {
    let text = format::format_file(emit_runtime::emit_key_parsers(&fixture_spec()));
    parses(&text);
    assert!(text.contains("pub fn route_name(user_key: &[u8]) -> Option<&'static str> {"));
    assert!(text.contains("pub const PREFIXES: &[(&[u8], &str)]"));
    assert!(!text.contains("FamilyInfo"));
}

#[test]
fn cli_code_parses() {
    let text = format::format_file(emit_cli::emit_cli(&fixture_spec()));
    parses(&text);
    for needle in [
        "#[derive(clap::Args, Debug, Clone)]",
        "pub struct AdapterArgs {",
        "long = \"fx-mode\"",
        "help_heading = \"SQS options\"",
        "value_parser = ekvsnap_runtime::options::FxMode::NAMES,",
        "default_value = \"64MiB\"",
        "default_value_t = 1000u64",
        "impl Default for AdapterArgs {",
        "pub fn to_options(&self) -> Result<ekvsnap_runtime::options::AdapterOptions, String> {",
        "ekvsnap_runtime::options::parse_byte_size(&self.fx_budget)",
        "fx_mode: self.fx_mode.parse::<ekvsnap_runtime::options::FxMode>()?,",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in\n{text}");
    }
}

#[test]
fn empty_spec_set_still_generates() {
    let spec = load_specs(&[]).unwrap();
    let runtime = format::format_file(emit_runtime::emit_runtime(&spec));
    parses(&runtime);
    assert!(runtime.contains("pub enum SqsFamily {}"), "{runtime}");
    assert!(runtime.contains("pub fn route(_user_key: &[u8]) -> Option<Family> {"));
    let cli = format::format_file(emit_cli::emit_cli(&spec));
    parses(&cli);
    assert!(
        cli.contains("#[derive(clap::Args, Debug, Clone, Default)]"),
        "{cli}"
    );
}

#[test]
fn real_specs_validate_and_generate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let files = load::read_spec_dir(&dir).unwrap();
    let spec = load_specs(&files).unwrap_or_else(|errors| {
        panic!("{}", ekvsnap_codegen::join_errors(&errors));
    });
    parses(&format::format_file(emit_runtime::emit_runtime(&spec)));
    parses(&format::format_file(emit_cli::emit_cli(&spec)));
}

#[test]
fn generate_entry_points_write_files() {
    let out = std::env::temp_dir().join(format!("ekvsnap-codegen-test-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    ekvsnap_codegen::generate_runtime(&fixture_dir(), &out.join("families.rs")).unwrap();
    ekvsnap_codegen::generate_cli(&fixture_dir(), &out.join("adapter_args.rs")).unwrap();
    ekvsnap_codegen::generate_key_parsers(&fixture_dir(), &out.join("keys.rs")).unwrap();
    for f in ["families.rs", "adapter_args.rs", "keys.rs"] {
        parses(&std::fs::read_to_string(out.join(f)).unwrap());
    }
    // A missing directory is a spec error, not a panic.
    let errors =
        ekvsnap_codegen::generate_runtime(&out.join("nope"), &out.join("x.rs")).unwrap_err();
    assert_eq!(errors.len(), 1);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn check_specs_reports_errors() {
    let bad = vec![("spec/x.yaml".to_owned(), "adapter: sqs\n".to_owned())];
    let errors = ekvsnap_codegen::check_specs(&bad).unwrap_err();
    assert_eq!(errors[0].field, "doc");
    let files = load::read_spec_dir(&fixture_dir()).unwrap();
    assert!(ekvsnap_codegen::check_specs(&files).is_ok());
}

//! Every check of the spec language (`docs/spec-language.md`), turning the loaded files into
//! the validated `ir::Spec`. Checks keep going after an error, so one build reports all of them.

mod key;
mod names;
pub mod option;
mod output;

use std::collections::{BTreeMap, HashMap};

use crate::bytes::{decode_bytes, show_bytes};
use crate::error::SpecError;
use crate::ir;
use crate::load::LoadedFile;
use crate::model::{Adapter, FamilySpec, Handler, Payload, ValueSpec};

/// Where a problem is: the file, and the family when inside one.
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    pub file: &'a str,
    pub family: Option<&'a str>,
}

impl<'a> At<'a> {
    pub fn file(file: &'a str) -> Self {
        At { file, family: None }
    }

    pub fn family(self, family: &'a str) -> Self {
        At {
            family: Some(family),
            ..self
        }
    }

    pub fn err(self, field: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError::new(self.file, self.family, field, message)
    }
}

/// Validates a whole spec set (all files of `spec/` at once: names, prefixes and flags must be
/// unique across files).
pub fn validate(files: &[LoadedFile]) -> Result<ir::Spec, Vec<SpecError>> {
    let mut errors = Vec::new();
    let mut adapters: HashMap<Adapter, &str> = HashMap::new();
    let mut family_files: HashMap<&str, &str> = HashMap::new();
    let mut prefixes: HashMap<Vec<u8>, (&str, &str)> = HashMap::new();
    let mut options = Vec::new();
    let mut flags: HashMap<String, &str> = HashMap::new();
    // (adapter order, file order, declaration order) keeps the output stable.
    let mut families: Vec<((usize, usize, usize), ir::Family)> = Vec::new();

    for (file_idx, file) in files.iter().enumerate() {
        let at = At::file(&file.name);
        let spec = &file.spec;
        if let Some(first) = adapters.insert(spec.adapter, &file.name) {
            errors.push(at.err(
                "adapter",
                format!(
                    "adapter `{}` is already declared by {first}; use one file per adapter",
                    spec.adapter.name()
                ),
            ));
        }
        check_doc_line(at, "doc", &spec.doc, &mut errors);
        if spec.families.is_empty() {
            errors.push(at.err("families", "a spec file declares at least one family"));
        }
        if spec.adapter == Adapter::Internal && !spec.options.is_empty() {
            errors.push(at.err("options", "internal families read no options"));
        }
        for (i, opt) in spec.options.iter().enumerate() {
            let def = option::check_option(at, i, opt, &spec.families, spec.adapter, &mut errors);
            if let Some(def) = def {
                if let Some(other) = flags.insert(def.flag.clone(), &file.name) {
                    errors.push(at.err(
                        format!("options[{i}].flag"),
                        format!(
                            "option `--{}` is already declared by {other}{}",
                            def.flag,
                            option::readers(&spec.families, &def.flag)
                        ),
                    ));
                }
                options.push(def);
            }
        }
        let declared: Vec<&str> = spec.options.iter().map(|o| o.flag.as_str()).collect();
        for (fam_idx, fam) in spec.families.iter().enumerate() {
            let fat = at.family(&fam.name);
            if let Some(other) = family_files.insert(&fam.name, &file.name) {
                errors.push(fat.err(
                    "name",
                    format!("family name `{}` is already used in {other}", fam.name),
                ));
            }
            let family = check_family(fat, fam, spec.adapter, &declared, &mut errors);
            if !family.prefix.is_empty() {
                if let Some((other_file, other_family)) =
                    prefixes.insert(family.prefix.clone(), (&file.name, &fam.name))
                {
                    errors.push(fat.err(
                        "prefix",
                        format!(
                            "duplicate prefix `{}`: family `{other_family}` in {other_file} has the same bytes, so one of them can never be reached",
                            show_bytes(&family.prefix)
                        ),
                    ));
                }
            }
            let order = Adapter::ALL
                .iter()
                .position(|a| *a == spec.adapter)
                .unwrap_or(0);
            families.push(((order, file_idx, fam_idx), family));
        }
    }

    families.sort_by_key(|(order, _)| *order);
    let families: Vec<ir::Family> = families.into_iter().map(|(_, f)| f).collect();
    options.sort_by_key(|o: &ir::OptionDef| Adapter::ALL.iter().position(|a| *a == o.adapter));
    let spec = ir::Spec { families, options };
    check_fallbacks(&spec, &mut errors);
    check_variant_reachability(&spec, &mut errors);
    names::check_generated_names(&spec, &mut errors);

    if errors.is_empty() {
        Ok(spec)
    } else {
        Err(errors)
    }
}

/// A one-line, non-empty documentation string (it becomes a doc comment or help text).
pub(crate) fn check_doc_line(at: At, field: &str, doc: &str, errors: &mut Vec<SpecError>) {
    if doc.trim().is_empty() {
        errors.push(at.err(field, "documentation must not be empty"));
    } else if doc.trim_end().contains('\n') {
        errors.push(at.err(field, "documentation must be one line"));
    }
}

/// Decodes a spec byte string, reporting a bad escape at `field`.
pub(crate) fn check_bytes(
    at: At,
    field: &str,
    text: &str,
    errors: &mut Vec<SpecError>,
) -> Option<Vec<u8>> {
    match decode_bytes(text) {
        Ok(bytes) => Some(bytes),
        Err(message) => {
            errors.push(at.err(field, message));
            None
        }
    }
}

fn check_family(
    at: At,
    fam: &FamilySpec,
    adapter: Adapter,
    declared_options: &[&str],
    errors: &mut Vec<SpecError>,
) -> ir::Family {
    if !crate::names::is_snake(&fam.name) {
        errors.push(at.err("name", "family names are snake_case (e.g. `msg_data`)"));
    }
    if fam.doc.trim().is_empty() {
        errors.push(at.err("doc", "documentation must not be empty"));
    }
    let prefix = check_bytes(at, "prefix", &fam.prefix, errors).unwrap_or_default();
    if prefix.is_empty() && decode_bytes(&fam.prefix).is_ok() {
        errors.push(at.err(
            "prefix",
            "an empty prefix would claim every key no other family claims",
        ));
    }
    match (fam.handler, adapter) {
        (Handler::Internal, Adapter::Internal) => {}
        (Handler::Internal, _) => errors.push(at.err(
            "handler",
            "handler `internal` is only allowed in internal.yaml (adapter `internal`)",
        )),
        (_, Adapter::Internal) => errors.push(at.err(
            "handler",
            "families in internal.yaml (adapter `internal`) use handler `internal`",
        )),
        _ => {}
    }
    for (i, opt) in fam.options.iter().enumerate() {
        if !declared_options.contains(&opt.as_str()) {
            errors.push(at.err(
                format!("options[{i}]"),
                format!(
                    "option `{opt}` is not declared in the `options` of adapter `{}`",
                    adapter.name()
                ),
            ));
        } else if fam.options[..i].contains(opt) {
            errors.push(at.err(
                format!("options[{i}]"),
                format!("option `{opt}` is listed twice"),
            ));
        }
    }
    let key = match (&fam.key, fam.handler) {
        (Some(k), _) => key::check_key(at, k, errors),
        (None, Handler::Emit | Handler::SideRecord) => {
            errors.push(at.err(
                "key",
                "missing required field: families with handler `emit` or `side_record` declare their key layout",
            ));
            None
        }
        (None, _) => None,
    };
    output::check_path_vars(at, &fam.path_vars, key.as_ref(), errors);
    if let Some(template) = &fam.output {
        output::check_template(at, template, key.as_ref(), &fam.path_vars, errors);
    }
    let value = fam
        .value
        .as_ref()
        .map(|v| check_value(at, v, errors))
        .unwrap_or_default();
    ir::Family {
        name: fam.name.clone(),
        adapter,
        spec_file: at.file.to_owned(),
        prefix,
        doc: fam.doc.trim().to_owned(),
        handler: fam.handler,
        options: fam.options.clone(),
        output: fam.output.clone(),
        path_vars: fam.path_vars.clone(),
        key,
        value,
        fallback: fam.fallback.clone(),
    }
}

fn check_value(at: At, value: &ValueSpec, errors: &mut Vec<SpecError>) -> ir::Value {
    let magic = value
        .magic
        .as_deref()
        .and_then(|m| check_bytes(at, "value.magic", m, errors));
    if magic.as_ref().is_some_and(Vec::is_empty) {
        errors.push(at.err("value.magic", "an empty magic checks nothing; leave it out"));
    }
    if value.payload != Payload::Protobuf && value.message.is_some() {
        errors.push(at.err(
            "value.message",
            "`message` applies only to payload `protobuf`",
        ));
    }
    if value.payload != Payload::Fixed && value.lengths.is_some() {
        errors.push(at.err("value.lengths", "`lengths` applies only to payload `fixed`"));
    }
    let payload = match value.payload {
        Payload::Json => ir::Payload::Json,
        Payload::Raw => ir::Payload::Raw,
        Payload::Decimal => ir::Payload::Decimal,
        Payload::Empty => ir::Payload::Empty,
        Payload::Any => ir::Payload::Any,
        Payload::Protobuf => match &value.message {
            Some(m) if is_message_name(m) => ir::Payload::Protobuf(m.clone()),
            Some(m) => {
                errors.push(at.err(
                    "value.message",
                    format!("`{m}` is not a protobuf message name"),
                ));
                ir::Payload::Protobuf(m.clone())
            }
            None => {
                errors.push(at.err(
                    "value.message",
                    "missing required field: payload `protobuf` names its message type",
                ));
                ir::Payload::Protobuf(String::new())
            }
        },
        Payload::Fixed => {
            let lengths = value.lengths.clone().unwrap_or_default();
            if value.lengths.is_none() {
                errors.push(at.err(
                    "value.lengths",
                    "missing required field: payload `fixed` lists its allowed lengths",
                ));
            } else if lengths.is_empty() {
                errors.push(at.err("value.lengths", "list at least one allowed length"));
            }
            for (i, len) in lengths.iter().enumerate() {
                if lengths[..i].contains(len) {
                    errors.push(at.err(
                        format!("value.lengths[{i}]"),
                        format!("length {len} is listed twice"),
                    ));
                }
            }
            ir::Payload::Fixed(lengths)
        }
    };
    ir::Value { magic, payload }
}

fn is_message_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// A fallback is parsed from the same key bytes, so it must be a family of the same adapter
/// with a key and a prefix that the key also starts with.
fn check_fallbacks(spec: &ir::Spec, errors: &mut Vec<SpecError>) {
    for fam in &spec.families {
        let Some(target) = &fam.fallback else {
            continue;
        };
        let at = At::file(&fam.spec_file).family(&fam.name);
        let message = match spec.family(target) {
            None => format!("fallback names unknown family `{target}`"),
            Some(t) if t.name == fam.name => "a family cannot be its own fallback".to_owned(),
            Some(t) if t.adapter != fam.adapter => format!(
                "fallback `{target}` belongs to adapter `{}`, not `{}`",
                t.adapter.name(),
                fam.adapter.name()
            ),
            Some(t) if t.key.is_none() => {
                format!("fallback `{target}` has no key, so nothing can be parsed as it")
            }
            Some(t) if !fam.prefix.starts_with(&t.prefix) => format!(
                "fallback `{target}` has prefix `{}`, which keys of this family (`{}`) do not start with",
                show_bytes(&t.prefix),
                show_bytes(&fam.prefix)
            ),
            Some(_) => continue,
        };
        errors.push(at.err("fallback", message));
    }
}

/// A variant selected by `when` is unreachable when a longer family prefix covers
/// `prefix ‖ when`: such keys are routed to the other family before this one sees them.
fn check_variant_reachability(spec: &ir::Spec, errors: &mut Vec<SpecError>) {
    let by_prefix: BTreeMap<&[u8], &ir::Family> = spec
        .families
        .iter()
        .map(|f| (f.prefix.as_slice(), f))
        .collect();
    for fam in &spec.families {
        let Some(ir::Key {
            shape: ir::KeyShape::Variants(variants),
            ..
        }) = &fam.key
        else {
            continue;
        };
        for (i, variant) in variants.iter().enumerate() {
            let Some(when) = &variant.when else {
                continue;
            };
            let full = [fam.prefix.as_slice(), when].concat();
            let shadow = by_prefix.iter().find(|(p, _)| {
                p.len() > fam.prefix.len() && p.starts_with(&fam.prefix) && full.starts_with(p)
            });
            if let Some((p, other)) = shadow {
                errors.push(At::file(&fam.spec_file).family(&fam.name).err(
                    format!("key.variants[{i}].when"),
                    format!(
                        "variant `{}` can never be reached: keys starting with `{}` route to family `{}` (prefix `{}`)",
                        variant.name,
                        show_bytes(&full),
                        other.name,
                        show_bytes(p)
                    ),
                ));
            }
        }
    }
}

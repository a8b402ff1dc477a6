//! Checks of `options:` (adapter CLI flags).

use super::{check_doc_line, At};
use crate::byte_size::parse_byte_size;
use crate::error::SpecError;
use crate::ir;
use crate::load::scalar_text;
use crate::model::{Adapter, FamilySpec, OptionKind, OptionSpec};
use crate::names::is_kebab;

/// Flags of the hand-written core CLI; an adapter option must not take any of them.
pub const CORE_FLAGS: &[&str] = &[
    "input",
    "output",
    "adapter",
    "read-ts",
    "cluster-id",
    "force",
    "no-verify-crc",
    "quiet",
    "json",
    "memory-budget",
    "scratch-dir",
    "help",
    "version",
];

/// " (read by family `a`, `b`)" for the families of the file that list `flag`, so that an
/// option error also names the families it affects.
pub(super) fn readers(families: &[FamilySpec], flag: &str) -> String {
    let names: Vec<String> = families
        .iter()
        .filter(|f| f.options.iter().any(|o| o == flag))
        .map(|f| format!("`{}`", f.name))
        .collect();
    match names.len() {
        0 => String::new(),
        1 => format!(" (read by family {})", names[0]),
        _ => format!(" (read by families {})", names.join(", ")),
    }
}

pub(super) fn check_option(
    at: At,
    i: usize,
    opt: &OptionSpec,
    families: &[FamilySpec],
    adapter: Adapter,
    errors: &mut Vec<SpecError>,
) -> Option<ir::OptionDef> {
    let p = format!("options[{i}]");
    let before = errors.len();
    let result = check_option_inner(at, &p, opt, adapter, errors);
    // Name the affected families in every error about this option.
    let suffix = readers(families, &opt.flag);
    for e in &mut errors[before..] {
        e.message.push_str(&suffix);
    }
    result.filter(|_| errors.len() == before)
}

fn check_option_inner(
    at: At,
    p: &str,
    opt: &OptionSpec,
    adapter: Adapter,
    errors: &mut Vec<SpecError>,
) -> Option<ir::OptionDef> {
    if !is_kebab(&opt.flag) {
        errors.push(at.err(
            format!("{p}.flag"),
            format!(
                "flag `{}` is not kebab-case (e.g. `include-sqs-side-records`)",
                opt.flag
            ),
        ));
    } else if CORE_FLAGS.contains(&opt.flag.as_str()) {
        errors.push(at.err(
            format!("{p}.flag"),
            format!("flag `--{}` clashes with a core CLI flag", opt.flag),
        ));
    }
    check_doc_line(at, &format!("{p}.doc"), &opt.doc, errors);
    if opt.kind != OptionKind::Choice && opt.values.is_some() {
        errors.push(at.err(
            format!("{p}.values"),
            "`values` applies only to kind `choice`",
        ));
    }
    let default = opt.default.as_ref().map(|v| (v, scalar_text(v)));
    if let Some((_, None)) = default {
        errors.push(at.err(format!("{p}.default"), "a default is a single value"));
        return None;
    }
    let default = default.and_then(|(_, text)| text);
    let missing_default = || {
        at.err(
            format!("{p}.default"),
            format!(
                "missing required field: kind `{}` needs a default",
                kind_name(opt.kind)
            ),
        )
    };
    let kind = match opt.kind {
        OptionKind::Bool => {
            if default.as_deref().is_some_and(|d| d != "false") {
                errors.push(at.err(
                    format!("{p}.default"),
                    "a bool option is a switch that is off by default",
                ));
            }
            ir::OptionKind::Bool
        }
        OptionKind::Choice => check_choice(at, p, opt, default, errors)?,
        OptionKind::Bytes => {
            let Some(text) = default else {
                errors.push(missing_default());
                return None;
            };
            match parse_byte_size(&text) {
                Ok(value) => ir::OptionKind::Bytes { text, value },
                Err(message) => {
                    errors.push(at.err(format!("{p}.default"), message));
                    return None;
                }
            }
        }
        OptionKind::U64 => {
            let Some(text) = default else {
                errors.push(missing_default());
                return None;
            };
            match text.parse::<u64>() {
                Ok(value) => ir::OptionKind::U64 { value },
                Err(_) => {
                    errors.push(at.err(
                        format!("{p}.default"),
                        format!("`{text}` is not an unsigned 64-bit integer"),
                    ));
                    return None;
                }
            }
        }
    };
    Some(ir::OptionDef {
        flag: opt.flag.clone(),
        adapter,
        spec_file: at.file.to_owned(),
        doc: opt.doc.trim().to_owned(),
        kind,
    })
}

fn check_choice(
    at: At,
    p: &str,
    opt: &OptionSpec,
    default: Option<String>,
    errors: &mut Vec<SpecError>,
) -> Option<ir::OptionKind> {
    let Some(values) = &opt.values else {
        errors.push(at.err(
            format!("{p}.values"),
            "missing required field: kind `choice` lists its values",
        ));
        return None;
    };
    if values.is_empty() {
        errors.push(at.err(format!("{p}.values"), "list at least one value"));
    }
    for (j, v) in values.iter().enumerate() {
        // Values become enum variants (`per-item` → `PerItem`), so they are kebab-case words.
        if !is_kebab(v) || v == "self" {
            errors.push(at.err(
                format!("{p}.values[{j}]"),
                format!("value `{v}` is not a kebab-case word usable as a Rust variant"),
            ));
        } else if values[..j]
            .iter()
            .any(|o| crate::names::camel(o) == crate::names::camel(v))
        {
            errors.push(at.err(
                format!("{p}.values[{j}]"),
                format!("value `{v}` is listed twice"),
            ));
        }
    }
    let Some(default) = default else {
        errors.push(at.err(
            format!("{p}.default"),
            "missing required field: kind `choice` needs a default",
        ));
        return None;
    };
    if !values.contains(&default) {
        errors.push(at.err(
            format!("{p}.default"),
            format!(
                "default `{default}` is not one of the values ({})",
                values.join(", ")
            ),
        ));
        return None;
    }
    Some(ir::OptionKind::Choice {
        values: values.clone(),
        default,
    })
}

fn kind_name(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::Bool => "bool",
        OptionKind::Choice => "choice",
        OptionKind::Bytes => "bytes",
        OptionKind::U64 => "u64",
    }
}

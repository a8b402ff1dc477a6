//! Checks of `key:`: segment lists, end rules, optional trailers and variants.

use super::{check_bytes, At};
use crate::error::SpecError;
use crate::ir;
use crate::model::{Encoding, End, Extra, KeySpec, SegmentSpec};
use crate::names::{is_snake, is_usable_ident};

pub(super) fn check_key(at: At, key: &KeySpec, errors: &mut Vec<SpecError>) -> Option<ir::Key> {
    let shape = match (&key.segments, &key.variants) {
        (Some(_), Some(_)) => {
            errors.push(at.err(
                "key.variants",
                "give either `segments` or `variants`, not both",
            ));
            return None;
        }
        (None, None) => {
            errors.push(at.err(
                "key.segments",
                "missing required field: a key has `segments` or `variants`",
            ));
            return None;
        }
        (Some(segments), None) => ir::KeyShape::Single(check_segments(
            at,
            "key.segments",
            segments,
            key.extra,
            errors,
        )),
        (None, Some(variants)) => {
            ir::KeyShape::Variants(check_variants(at, variants, key.extra, errors))
        }
    };
    Some(ir::Key {
        shape,
        extra: key.extra,
    })
}

fn check_variants(
    at: At,
    variants: &[crate::model::VariantSpec],
    extra: Extra,
    errors: &mut Vec<SpecError>,
) -> Vec<ir::Variant> {
    if variants.is_empty() {
        errors.push(at.err("key.variants", "list at least one variant"));
    }
    let mut out: Vec<ir::Variant> = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let path = format!("key.variants[{i}]");
        let last = i + 1 == variants.len();
        check_name(at, &format!("{path}.name"), &v.name, errors);
        if variants[..i].iter().any(|o| o.name == v.name) {
            errors.push(at.err(
                format!("{path}.name"),
                format!("variant `{}` is declared twice", v.name),
            ));
        }
        let when = match (&v.when, last) {
            (Some(_), true) => {
                errors.push(at.err(
                    format!("{path}.when"),
                    "the last variant is the default and takes no `when`",
                ));
                None
            }
            (None, false) => {
                errors.push(at.err(
                    format!("{path}.when"),
                    "missing required field: only the last variant may leave out `when`",
                ));
                None
            }
            (None, true) => None,
            (Some(text), false) => check_bytes(at, &format!("{path}.when"), text, errors),
        };
        if let Some(w) = &when {
            if w.is_empty() {
                errors.push(at.err(format!("{path}.when"), "an empty `when` matches every key"));
            } else if let Some(earlier) = out
                .iter()
                .find(|o| o.when.as_ref().is_some_and(|ow| w.starts_with(ow)))
            {
                errors.push(at.err(
                    format!("{path}.when"),
                    format!(
                        "variant `{}` can never be reached: variant `{}` is tried first and matches the same keys",
                        v.name, earlier.name
                    ),
                ));
            }
        }
        let segments = check_segments(at, &format!("{path}.segments"), &v.segments, extra, errors);
        out.push(ir::Variant {
            name: v.name.clone(),
            when,
            segments,
        });
    }
    out
}

fn check_name(at: At, field: &str, name: &str, errors: &mut Vec<SpecError>) {
    if !is_snake(name) {
        errors.push(at.err(field, format!("`{name}` is not snake_case")));
    } else if !is_usable_ident(name) {
        errors.push(at.err(field, format!("`{name}` cannot be a Rust identifier")));
    }
}

fn check_segments(
    at: At,
    path: &str,
    segments: &[SegmentSpec],
    extra: Extra,
    errors: &mut Vec<SpecError>,
) -> Vec<ir::Segment> {
    let mut out = Vec::with_capacity(segments.len());
    for (i, seg) in segments.iter().enumerate() {
        let p = format!("{path}[{i}]");
        check_name(at, &format!("{p}.name"), &seg.name, errors);
        if segments[..i].iter().any(|o| o.name == seg.name) {
            errors.push(at.err(
                format!("{p}.name"),
                format!("segment `{}` is declared twice", seg.name),
            ));
        }
        let hex_len = check_len(at, &p, seg, errors);
        let width = seg.enc.fixed_width(hex_len);
        let fixed = matches!(seg.enc, Encoding::Hex) || width.is_some();
        if seg.non_empty && fixed {
            errors.push(at.err(
                format!("{p}.non_empty"),
                format!(
                    "`{}` is fixed-width and cannot be empty anyway",
                    seg.enc.name()
                ),
            ));
        }
        if seg.optional {
            if !fixed {
                errors.push(at.err(
                    format!("{p}.optional"),
                    "only a fixed-width segment can be optional",
                ));
            } else if i + 1 != segments.len() {
                errors.push(at.err(
                    format!("{p}.optional"),
                    "only the last segment can be optional (an optional trailer)",
                ));
            } else if extra == Extra::Ignore {
                errors.push(at.err(
                    format!("{p}.optional"),
                    "an optional trailer cannot be combined with `extra: ignore`",
                ));
            }
        }
        let end = check_end(at, &p, i, segments, extra, errors);
        out.push(ir::Segment {
            name: seg.name.clone(),
            enc: seg.enc,
            end,
            non_empty: seg.non_empty,
            hex_len,
            optional: seg.optional,
            doc: seg.doc.clone(),
        });
    }
    out
}

fn check_len(at: At, p: &str, seg: &SegmentSpec, errors: &mut Vec<SpecError>) -> Option<usize> {
    match (seg.enc, seg.len) {
        (Encoding::Hex, None) => {
            errors.push(at.err(
                format!("{p}.len"),
                "missing required field: a hex segment gives its number of hex characters",
            ));
            None
        }
        (Encoding::Hex, Some(len)) if len == 0 || len % 2 == 1 => {
            errors.push(at.err(
                format!("{p}.len"),
                format!("{len} hex characters do not make whole bytes; use a positive even number"),
            ));
            None
        }
        (Encoding::Hex, Some(len)) => Some(len),
        (_, Some(_)) => {
            errors.push(at.err(format!("{p}.len"), "`len` applies only to hex segments"));
            None
        }
        (_, None) => None,
    }
}

fn check_end(
    at: At,
    p: &str,
    i: usize,
    segments: &[SegmentSpec],
    extra: Extra,
    errors: &mut Vec<SpecError>,
) -> Option<ir::End> {
    let seg = &segments[i];
    let field = format!("{p}.end");
    if !seg.enc.is_variable() {
        if seg.end.is_some() {
            let what = if seg.enc.fixed_width(Some(1)).is_some() {
                "fixed-width"
            } else {
                "self-delimiting"
            };
            errors.push(at.err(
                field,
                format!("`{}` is {what} and takes no `end`", seg.enc.name()),
            ));
        }
        return None;
    }
    match &seg.end {
        None => {
            errors.push(at.err(
                field,
                format!(
                    "missing required field: variable-length `{}` needs an `end` (rest, alphabet or {{separator: \"...\"}})",
                    seg.enc.name()
                ),
            ));
            None
        }
        Some(End::Alphabet) if seg.enc != Encoding::Base64url => {
            errors.push(at.err(
                field,
                format!(
                    "`alphabet` ends only base64url segments, not `{}`",
                    seg.enc.name()
                ),
            ));
            None
        }
        Some(End::Alphabet) => Some(ir::End::Alphabet),
        Some(End::Separator(text)) => {
            let sep = check_bytes(at, &format!("{field}.separator"), text, errors)?;
            if sep.is_empty() {
                errors.push(at.err(format!("{field}.separator"), "a separator cannot be empty"));
                return None;
            }
            Some(ir::End::Separator(sep))
        }
        Some(End::Rest) => {
            if extra == Extra::Ignore {
                errors.push(at.err(
                    field.clone(),
                    "a `rest` segment takes every remaining byte, so `extra: ignore` cannot be used",
                ));
            }
            let mut tail = 0;
            for (j, next) in segments.iter().enumerate().skip(i + 1) {
                match next.enc.fixed_width(next.len) {
                    Some(w) if !next.optional => tail += w,
                    Some(_) => errors.push(at.err(
                        format!("{}[{j}].optional", p.rsplit_once('[').map_or(p, |(h, _)| h)),
                        format!(
                            "segment `{}` follows `rest` segment `{}`; an optional trailer after `rest` would be ambiguous",
                            next.name, seg.name
                        ),
                    )),
                    None if next.enc == Encoding::Hex => {} // reported by check_len
                    None => errors.push(at.err(
                        format!("{}[{j}].enc", p.rsplit_once('[').map_or(p, |(h, _)| h)),
                        format!(
                            "`{}` segment `{}` follows `rest` segment `{}`; only fixed-width segments may follow a `rest` segment",
                            next.enc.name(),
                            next.name,
                            seg.name
                        ),
                    )),
                }
            }
            Some(ir::End::Rest { tail })
        }
    }
}

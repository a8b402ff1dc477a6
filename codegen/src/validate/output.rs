//! Checks of `output:` templates and `path_vars:`.

use super::At;
use crate::error::SpecError;
use crate::ir;
use crate::names::is_snake;

/// Placeholders every template may use without declaring them.
pub const BUILTINS: &[&str] = &["db"];

pub(super) fn check_path_vars(
    at: At,
    vars: &[String],
    key: Option<&ir::Key>,
    errors: &mut Vec<SpecError>,
) {
    let segments = all_segment_names(key);
    for (i, v) in vars.iter().enumerate() {
        let field = format!("path_vars[{i}]");
        if !is_snake(v) {
            errors.push(at.err(field, format!("`{v}` is not snake_case")));
        } else if vars[..i].contains(v) {
            errors.push(at.err(field, format!("`{v}` is listed twice")));
        } else if BUILTINS.contains(&v.as_str()) {
            errors.push(at.err(field, format!("`{v}` is a built-in placeholder")));
        } else if segments.contains(&v.as_str()) {
            errors.push(at.err(
                field,
                format!("`{v}` is also a key segment; a placeholder must have one source"),
            ));
        }
    }
}

/// `{name}` must name a key segment present in every variant, a path var or a built-in; the
/// literal parts must keep the path relative and inside the dump root.
pub(super) fn check_template(
    at: At,
    template: &str,
    key: Option<&ir::Key>,
    path_vars: &[String],
    errors: &mut Vec<SpecError>,
) {
    let common = common_segment_names(key);
    let mut report = |message: String| errors.push(at.err("output", message));
    if template.is_empty() {
        report("an output template cannot be empty".to_owned());
        return;
    }
    if template.starts_with('/') || template.contains('\\') {
        report(format!(
            "`{template}` must be a relative path with `/` separators"
        ));
        return;
    }
    for component in template.split('/') {
        if component.is_empty() || component == "." || component == ".." {
            report(format!(
                "`{template}` has an empty, `.` or `..` path component"
            ));
            break;
        }
    }
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            report(format!("`{template}` has a `}}` without `{{`"));
            return;
        }
        let Some(close) = rest[open..].find('}') else {
            report(format!("`{template}` has a `{{` without `}}`"));
            return;
        };
        let name = &rest[open + 1..open + close];
        if !(common.contains(&name)
            || path_vars.iter().any(|v| v == name)
            || BUILTINS.contains(&name))
        {
            let hint = if all_segment_names(key).contains(&name) {
                " (it is missing from some variants)"
            } else {
                ""
            };
            report(format!(
                "placeholder `{{{name}}}` names no key segment{hint}, path_vars entry or built-in (db)"
            ));
        }
        rest = &rest[open + close + 1..];
    }
}

fn segment_lists(key: Option<&ir::Key>) -> Vec<&[ir::Segment]> {
    match key.map(|k| &k.shape) {
        None => Vec::new(),
        Some(ir::KeyShape::Single(s)) => vec![s.as_slice()],
        Some(ir::KeyShape::Variants(vs)) => vs.iter().map(|v| v.segments.as_slice()).collect(),
    }
}

fn all_segment_names(key: Option<&ir::Key>) -> Vec<&str> {
    segment_lists(key)
        .into_iter()
        .flatten()
        .map(|s| s.name.as_str())
        .collect()
}

fn common_segment_names(key: Option<&ir::Key>) -> Vec<&str> {
    let lists = segment_lists(key);
    let Some((first, others)) = lists.split_first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|s| s.name.as_str())
        .filter(|n| others.iter().all(|l| l.iter().any(|s| s.name == *n)))
        .collect()
}

//! Output path templates of `spec/*.yaml` (`sqs/{queue}/_queue.json`) rendered into
//! [`RelPath`]s.
//!
//! A template is `/`-separated; each component is literal text with `{name}` placeholders.
//! The caller supplies the raw bytes of each placeholder (a decoded key segment, a value
//! field, the database number); each is passed through the filename encoding
//! ([`encode_segment`]) and the whole component must be a valid [`SafeName`]. So a template
//! can never produce a path outside the output root, and a raw value can never inject a `/`.
//! (The spec validator has already checked that every placeholder names something real.)

use super::filename::encode_segment;
use super::path::{PathError, RelPath, SafeName};

/// Why a template did not render.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("output template `{template}`: no value for placeholder `{{{name}}}`")]
    MissingValue { template: String, name: String },
    #[error("output template `{template}`: unbalanced `{{` or `}}`")]
    Unbalanced { template: String },
    #[error("output template `{template}`: component `{component}`: {source}")]
    Path {
        template: String,
        component: String,
        #[source]
        source: PathError,
    },
}

/// Renders `template`, asking `value(name)` for the raw bytes of each placeholder.
pub fn render_template(
    template: &str,
    mut value: impl FnMut(&str) -> Option<Vec<u8>>,
) -> Result<RelPath, TemplateError> {
    let mut names = Vec::new();
    for component in template.split('/') {
        let rendered = render_component(template, component, &mut value)?;
        let name = SafeName::new(rendered.as_bytes()).map_err(|source| TemplateError::Path {
            template: template.to_string(),
            component: component.to_string(),
            source,
        })?;
        names.push(name);
    }
    RelPath::from_names(names).map_err(|source| TemplateError::Path {
        template: template.to_string(),
        component: String::new(),
        source,
    })
}

fn render_component(
    template: &str,
    component: &str,
    value: &mut impl FnMut(&str) -> Option<Vec<u8>>,
) -> Result<String, TemplateError> {
    let unbalanced = || TemplateError::Unbalanced {
        template: template.to_string(),
    };
    let mut out = String::new();
    let mut rest = component;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err(unbalanced());
        }
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(unbalanced)?;
        let name = &after[..close];
        if name.contains('{') {
            return Err(unbalanced());
        }
        let raw = value(name).ok_or_else(|| TemplateError::MissingValue {
            template: template.to_string(),
            name: name.to_string(),
        })?;
        out.push_str(&encode_segment(&raw));
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a [u8])]) -> impl FnMut(&str) -> Option<Vec<u8>> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_vec())
        }
    }

    #[test]
    fn renders_with_filename_encoding() {
        let p = render_template("sqs/{queue}/_queue.json", vars(&[("queue", b"orders")])).unwrap();
        assert_eq!(p.to_bytes(), b"sqs/orders/_queue.json");
        let p = render_template(
            "redis/db_{db}/strings/{user_key}.bin",
            vars(&[("db", b"0"), ("user_key", b"a/b:c")]),
        )
        .unwrap();
        assert_eq!(p.to_bytes(), b"redis/db_0/strings/a%2Fb%3Ac.bin");
    }

    #[test]
    fn a_value_cannot_escape_or_vanish() {
        // Encoding keeps `/` inside one component; `..` and "" are not valid names.
        let p = render_template("sqs/{queue}/x", vars(&[("queue", b"../../etc")])).unwrap();
        assert_eq!(p.to_bytes(), b"sqs/..%2F..%2Fetc/x");
        for bad in [b"".as_slice(), b".", b".."] {
            let err = render_template("sqs/{queue}/x", vars(&[("queue", bad)])).unwrap_err();
            assert!(matches!(err, TemplateError::Path { .. }), "{err}");
        }
        // A suffix makes `..` harmless, as upstream's Redis `.bin` names are.
        let p = render_template("{k}.bin", vars(&[("k", b"..")])).unwrap();
        assert_eq!(p.to_bytes(), b"...bin");
    }

    #[test]
    fn missing_values_and_bad_braces_are_errors() {
        assert!(matches!(
            render_template("a/{nope}", vars(&[])),
            Err(TemplateError::MissingValue { .. })
        ));
        for t in ["a/{x", "a/x}", "a/{{x}}"] {
            assert!(
                matches!(
                    render_template(t, vars(&[("x", b"1")])),
                    Err(TemplateError::Unbalanced { .. })
                ),
                "{t}"
            );
        }
        assert!(matches!(
            render_template("a//b", vars(&[])),
            Err(TemplateError::Path { .. })
        ));
    }

    #[test]
    fn every_spec_template_renders_from_its_own_placeholders() {
        // Each family's template, with every placeholder given a plain value, is a valid path
        // under the adapter's directory.
        for family in crate::keys::ALL_FAMILIES {
            let info = family.info();
            let Some(template) = info.output else {
                continue;
            };
            let path = render_template(template, |_| Some(b"v".to_vec()))
                .unwrap_or_else(|e| panic!("{}: {e}", info.name));
            let first = path.components()[0].as_bytes().to_vec();
            assert_eq!(first, info.adapter.name().as_bytes(), "{template}");
        }
    }
}

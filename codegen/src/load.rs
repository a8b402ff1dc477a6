//! Reading spec files: YAML text → `model::SpecFile`, with every failure turned into a
//! `SpecError` that names the family and the field.

use std::path::Path;

use serde_path_to_error::Segment;
use serde_yaml::Value;

use crate::error::SpecError;
use crate::model::SpecFile;

/// A parsed spec file together with its display name (`spec/sqs.yaml`).
#[derive(Debug, Clone)]
pub struct LoadedFile {
    pub name: String,
    pub spec: SpecFile,
}

/// Reads every `*.yaml` file of `dir` in sorted order, as `(display name, text)`. The display
/// name is `<dir name>/<file name>` (`spec/sqs.yaml`), independent of where the build runs.
pub fn read_spec_dir(dir: &Path) -> Result<Vec<(String, String)>, Vec<SpecError>> {
    let dir_name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let io_err = |e: std::io::Error| vec![SpecError::new(&dir_name, None, "", e.to_string())];
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err)? {
        let path = entry.map_err(io_err)?.path();
        if path.extension().is_some_and(|e| e == "yaml") && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = format!(
                "{dir_name}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            std::fs::read_to_string(&path)
                .map(|text| (name.clone(), text))
                .map_err(|e| vec![SpecError::new(name, None, "", e.to_string())])
        })
        .collect()
}

/// Parses one file. Structural problems (syntax, unknown or missing fields, unknown enum
/// values such as an encoding) stop at the first one, since serde cannot go on after it.
pub fn parse_file(name: &str, text: &str) -> Result<LoadedFile, SpecError> {
    let value: Value = serde_yaml::from_str(text)
        .map_err(|e| SpecError::new(name, None, "", format!("invalid YAML: {e}")))?;
    if !value.is_mapping() {
        return Err(SpecError::new(
            name,
            None,
            "",
            "a spec file must be a YAML mapping",
        ));
    }
    match serde_path_to_error::deserialize(value.clone()) {
        Ok(spec) => Ok(LoadedFile {
            name: name.to_owned(),
            spec,
        }),
        Err(err) => Err(locate(name, &value, err)),
    }
}

/// Turns a serde error and its path into a `SpecError`. Paths inside `families[i]` are
/// reported relative to that family, named by its `name` when it has one.
fn locate(
    file: &str,
    root: &Value,
    err: serde_path_to_error::Error<serde_yaml::Error>,
) -> SpecError {
    let mut parts: Vec<String> = Vec::new();
    let mut family = None;
    let segments: Vec<&Segment> = err.path().iter().collect();
    let mut rest = &segments[..];
    if let [Segment::Map { key }, Segment::Seq { index }, tail @ ..] = rest {
        if key == "families" {
            let name = root
                .get("families")
                .and_then(|f| f.get(*index))
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str);
            match name {
                Some(n) => family = Some(n.to_owned()),
                None => parts.push(format!("families[{index}]")),
            }
            rest = tail;
        }
    }
    let mut field = join_path(&mut parts, rest);
    let (extra, message) = rephrase(&err.inner().to_string(), rest.last());
    // serde_path_to_error already ends the path with an unknown field's name.
    let already_named =
        matches!(rest.last(), Some(Segment::Map { key }) if Some(key) == extra.as_ref());
    if let Some(extra) = extra.filter(|_| !already_named) {
        if !field.is_empty() {
            field.push('.');
        }
        field.push_str(&extra);
    }
    SpecError::new(file, family.as_deref(), field, message)
}

fn join_path(parts: &mut Vec<String>, segments: &[&Segment]) -> String {
    for seg in segments {
        match seg {
            Segment::Seq { index } => match parts.last_mut() {
                Some(last) => last.push_str(&format!("[{index}]")),
                None => parts.push(format!("[{index}]")),
            },
            Segment::Map { key } => parts.push(key.clone()),
            Segment::Enum { variant } => parts.push(variant.clone()),
            Segment::Unknown => parts.push("?".to_owned()),
        }
    }
    parts.join(".")
}

/// serde names the offending field inside its message (`missing field `doc``); move it into
/// the field path and phrase the rest for a spec author.
fn rephrase(message: &str, last: Option<&&Segment>) -> (Option<String>, String) {
    let quoted = |m: &str| -> Option<String> {
        let start = m.find('`')? + 1;
        let len = m[start..].find('`')?;
        Some(m[start..start + len].to_owned())
    };
    if let Some(tail) = message.strip_prefix("missing field ") {
        return (quoted(tail), "missing required field".to_owned());
    }
    if let Some(tail) = message.strip_prefix("unknown field ") {
        let expected = tail.split_once(", ").map(|(_, e)| e).unwrap_or("");
        let msg = if expected.is_empty() {
            "unknown field".to_owned()
        } else {
            format!("unknown field; {expected}")
        };
        return (quoted(tail), msg);
    }
    if let Some(tail) = message.strip_prefix("unknown variant ") {
        let is_enc = matches!(last, Some(Segment::Map { key }) if key == "enc");
        let what = if is_enc { "encoding" } else { "value" };
        return (None, format!("unknown {what} {tail}"));
    }
    (None, message.to_owned())
}

/// Deserializes a YAML scalar for checks that need it as text (`default: 64MiB`).
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

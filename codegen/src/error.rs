//! The one error type of the generator: a malformed spec, located by file, family and field.

use std::fmt;

/// A malformed spec. Every check of the generator reports one of these, so that a build error
/// always names the spec file, the family (when the problem is inside one) and the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// Display name of the spec file, e.g. `spec/sqs.yaml`.
    pub file: String,
    /// The family the field belongs to, if any.
    pub family: Option<String>,
    /// Path of the offending field, relative to the family when `family` is set
    /// (`key.variants[0].segments[2].end`), else relative to the file (`options[1].flag`).
    pub field: String,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl SpecError {
    pub fn new(
        file: impl Into<String>,
        family: Option<&str>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        SpecError {
            file: file.into(),
            family: family.map(str::to_owned),
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec error: {}: ", self.file)?;
        if let Some(family) = &self.family {
            write!(f, "family `{family}`: ")?;
        }
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}

/// Joins errors one per line, for build-script panics.
pub fn join_errors(errors: &[SpecError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_family_and_field() {
        let e = SpecError::new(
            "spec/sqs.yaml",
            Some("msg_data"),
            "key.variants[0].segments[2].end",
            "missing",
        );
        assert_eq!(
            e.to_string(),
            "spec error: spec/sqs.yaml: family `msg_data`: field `key.variants[0].segments[2].end`: missing"
        );
        let e = SpecError::new("spec/sqs.yaml", None, "options[0].flag", "bad");
        assert_eq!(
            e.to_string(),
            "spec error: spec/sqs.yaml: field `options[0].flag`: bad"
        );
    }
}

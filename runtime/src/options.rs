//! Adapter options: the structs are generated from the `options` of `spec/*.yaml` (see
//! `docs/spec-language.md`); the flag metadata types are hand-written; the byte-size parser
//! is shared with the generator (`codegen/src/byte_size.rs`).

pub use crate::keys::adapter_options::*;

use crate::keys::AdapterId;

/// One adapter option flag, as declared in a spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionInfo {
    /// The flag without `--` (`include-sqs-side-records`).
    pub flag: &'static str,
    pub adapter: AdapterId,
    pub kind: OptionKind,
    pub doc: &'static str,
    /// The default as written in the spec (`64MiB`), if the kind has one.
    pub default: Option<&'static str>,
}

/// The value type of an option flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A switch, off by default.
    Bool,
    /// One of these values.
    Choice(&'static [&'static str]),
    /// A byte size (see [`parse_byte_size`]).
    Bytes,
    U64,
}

// The byte-size parser is shared with the generator, which validates the byte-size defaults
// of the specs at build time, while the CLI parses byte-size flags at run time: one source of
// truth for both. The runtime cannot depend on `ekvsnap-codegen` (syn, quote and serde_yaml;
// and it is only a build-dependency), so the dependency-free file is compiled in here too.
#[path = "../../codegen/src/byte_size.rs"]
mod byte_size;

pub use byte_size::parse_byte_size;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_flag_table() {
        // Every generated default agrees with the spec text shown in OPTION_FLAGS.
        for info in OPTION_FLAGS {
            match info.kind {
                OptionKind::Bool => assert_eq!(info.default, None, "{}", info.flag),
                OptionKind::Choice(values) => {
                    assert!(values.contains(&info.default.unwrap()), "{}", info.flag)
                }
                OptionKind::Bytes => assert!(parse_byte_size(info.default.unwrap()).is_ok()),
                OptionKind::U64 => assert!(info.default.unwrap().parse::<u64>().is_ok()),
            }
        }
        let _ = AdapterOptions::default();
    }
}

//! Adapter options: the structs are generated from the `options` of `spec/*.yaml` (see
//! `docs/spec-language.md`); the flag metadata types and the byte-size parser are hand-written.

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

/// Parses a byte size: decimal digits with an optional unit `B`, `KiB`, `MiB`, `GiB` or `TiB`
/// (case-insensitive, no space): `123`, `64KiB`, `64MiB`, `1GiB`. Fractions are not accepted.
pub fn parse_byte_size(text: &str) -> Result<u64, String> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    if digits.is_empty() {
        return Err(format!(
            "`{text}` is not a byte size (e.g. 4096, 64KiB, 64MiB, 1GiB)"
        ));
    }
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "kib" => 10,
        "mib" => 20,
        "gib" => 30,
        "tib" => 40,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use B, KiB, MiB, GiB or TiB)"
            ))
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1u64 << shift))
        .ok_or_else(|| format!("`{text}` does not fit in 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("123"), Ok(123));
        assert_eq!(parse_byte_size("0"), Ok(0));
        assert_eq!(parse_byte_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_byte_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_byte_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_byte_size("1gib"), Ok(1 << 30));
        assert_eq!(parse_byte_size("3TiB"), Ok(3 << 40));
        assert_eq!(parse_byte_size("12B"), Ok(12));
        for bad in [
            "",
            "MiB",
            "1.5GiB",
            "64MB",
            "64 MiB",
            "-1",
            "99999999999TiB",
        ] {
            assert!(parse_byte_size(bad).is_err(), "{bad}");
        }
    }

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

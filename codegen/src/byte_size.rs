//! Byte sizes (`64MiB`), shared by the generator and the runtime.
//!
//! The generator validates byte-size option defaults in the specs at build time; the CLI parses
//! byte-size flags at run time. Both must accept exactly the same texts, so this file is the
//! one source of truth: it is a module of `ekvsnap-codegen` and is compiled into the runtime
//! as well (`#[path]` module in `runtime/src/options.rs`), because the runtime cannot depend on
//! the generator crate. Keep it free of dependencies and of `crate::` paths.

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
    fn parses_byte_sizes() {
        assert_eq!(parse_byte_size("123").unwrap(), 123);
        assert_eq!(parse_byte_size("64KiB").unwrap(), 64 << 10);
        assert_eq!(parse_byte_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_byte_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_byte_size("2tib").unwrap(), 2 << 40);
        assert!(parse_byte_size("").is_err());
        assert!(parse_byte_size("MiB").is_err());
        assert!(parse_byte_size("1.5GiB").is_err());
        assert!(parse_byte_size("64MB").is_err());
        assert!(parse_byte_size("99999999999TiB").is_err());
    }

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
}

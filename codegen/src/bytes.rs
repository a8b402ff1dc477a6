//! Byte strings written in specs (`prefix`, `when`, `separator`, `magic`). Byte sizes
//! (`default: 64MiB`) are in [`crate::byte_size`].

/// Decodes a spec byte string: printable ASCII stands for itself, `\xHH` for one byte and `\\`
/// for a backslash; no other escape exists.
///
/// YAML double-quoted strings process their own escapes first, so `"\x00SQ\x01"` reaches this
/// function as the characters U+0000 `S` `Q` U+0001. Characters up to U+00FF are therefore taken
/// as the byte of the same value; anything above is not a byte and is rejected.
pub fn decode_bytes(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, '\\')) => out.push(b'\\'),
                Some((_, 'x')) => {
                    let hi = chars.next().and_then(|(_, h)| h.to_digit(16));
                    let lo = chars.next().and_then(|(_, l)| l.to_digit(16));
                    match (hi, lo) {
                        (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
                        _ => {
                            return Err(format!(
                                "bad byte escape at character {at}: `\\x` must be followed by two hex digits"
                            ))
                        }
                    }
                }
                Some((_, other)) => {
                    return Err(format!(
                        "bad byte escape `\\{other}` at character {at}: only `\\xHH` and `\\\\` are allowed"
                    ))
                }
                None => {
                    return Err(format!(
                        "bad byte escape at character {at}: a lone `\\` ends the string (write `\\\\`)"
                    ))
                }
            },
            c if (c as u32) <= 0xFF => out.push(c as u32 as u8),
            c => {
                return Err(format!(
                    "character `{c}` (U+{:04X}) at character {at} is not a byte: write non-ASCII bytes as `\\xHH`",
                    c as u32
                ))
            }
        }
    }
    Ok(out)
}

/// Renders bytes back in spec notation, for messages (`!sqs|msg|data|`, `\x00SQ\x01`).
pub fn show_bytes(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7E => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02X}")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_yaml_processed_bytes() {
        assert_eq!(decode_bytes("!a|").unwrap(), b"!a|");
        assert_eq!(decode_bytes(r"\x00SQ\x01").unwrap(), b"\x00SQ\x01");
        assert_eq!(decode_bytes("\u{0}SQ\u{1}").unwrap(), b"\x00SQ\x01");
        assert_eq!(decode_bytes(r"a\\b").unwrap(), b"a\\b");
        assert_eq!(decode_bytes(r"\xff").unwrap(), [0xFF]);
        assert!(decode_bytes(r"\q")
            .unwrap_err()
            .contains("bad byte escape `\\q`"));
        assert!(decode_bytes(r"\x4").is_err());
        assert!(decode_bytes(r"\xzz").is_err());
        assert!(decode_bytes("a\\").is_err());
        assert!(decode_bytes("é€").unwrap_err().contains("U+20AC"));
        assert_eq!(show_bytes(b"\x00SQ\\\x01"), r"\x00SQ\\\x01");
    }
}

//! Spec names → Rust names. Spec names are checked here too, so that every generated
//! identifier is valid and unique.

use proc_macro2::{Ident, Span};

/// `snake_case`: a lower-case letter, then lower-case letters and digits, single `_` between.
pub fn is_snake(name: &str) -> bool {
    is_word_list(name, '_')
}

/// `kebab-case`, as snake case with `-`.
pub fn is_kebab(name: &str) -> bool {
    is_word_list(name, '-')
}

fn is_word_list(name: &str, sep: char) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.split(sep).all(|w| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// `msg_data` / `per-item` → `MsgData` / `PerItem`.
pub fn camel(name: &str) -> String {
    name.split(['_', '-'])
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + cs.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `include-sqs-side-records` → `include_sqs_side_records`.
pub fn snake(name: &str) -> String {
    name.replace('-', "_")
}

/// `msg_data` → `MSG_DATA`.
pub fn screaming(name: &str) -> String {
    snake(name).to_ascii_uppercase()
}

/// Keywords that cannot be identifiers even as raw identifiers.
const NOT_RAW: &[&str] = &["self", "super", "crate", "_"];

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false",
    "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "trait", "true", "try", "type", "unsafe", "use", "where",
    "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof",
    "unsized", "virtual", "yield",
];

/// Whether `name` (already snake case) can become a Rust identifier at all.
pub fn is_usable_ident(name: &str) -> bool {
    !NOT_RAW.contains(&name)
}

/// An identifier for a snake-case name; keywords become raw identifiers (`r#type`).
pub fn ident(name: &str) -> Ident {
    if KEYWORDS.contains(&name) {
        Ident::new_raw(name, Span::call_site())
    } else {
        Ident::new(name, Span::call_site())
    }
}

/// An identifier for an already CamelCase or SCREAMING name (never a keyword).
pub fn type_ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_rules() {
        assert!(is_snake("msg_data"));
        assert!(is_snake("a1_b2"));
        assert!(!is_snake("Msg"));
        assert!(!is_snake("msg__data"));
        assert!(!is_snake("_msg"));
        assert!(!is_snake("1msg"));
        assert!(is_kebab("include-sqs-side-records"));
        assert!(!is_kebab("include_sqs"));
        assert_eq!(camel("msg_data"), "MsgData");
        assert_eq!(camel("per-item"), "PerItem");
        assert_eq!(snake("read-ts"), "read_ts");
        assert_eq!(screaming("msg_data"), "MSG_DATA");
        assert_eq!(ident("type").to_string(), "r#type");
        assert_eq!(ident("queue").to_string(), "queue");
    }
}

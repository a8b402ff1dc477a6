//! The validated spec set: what the emitters read. Byte strings are decoded, references are
//! resolved and every invariant that `validate` checks can be relied on here.

pub use crate::model::{Adapter, Encoding, Extra, Handler};

#[derive(Debug, Clone)]
pub struct Spec {
    /// All families, ordered by adapter (`Adapter::ALL` order), then by declaration.
    pub families: Vec<Family>,
    /// All options, ordered like the families.
    pub options: Vec<OptionDef>,
}

impl Spec {
    pub fn families_of(&self, adapter: Adapter) -> impl Iterator<Item = &Family> {
        self.families.iter().filter(move |f| f.adapter == adapter)
    }

    pub fn options_of(&self, adapter: Adapter) -> impl Iterator<Item = &OptionDef> {
        self.options.iter().filter(move |o| o.adapter == adapter)
    }

    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct Family {
    pub name: String,
    pub adapter: Adapter,
    /// Display name of the spec file (`spec/sqs.yaml`).
    pub spec_file: String,
    pub prefix: Vec<u8>,
    pub doc: String,
    pub handler: Handler,
    pub options: Vec<String>,
    pub output: Option<String>,
    pub path_vars: Vec<String>,
    pub key: Option<Key>,
    pub value: Value,
    /// Name of the fallback family (same adapter, has a key, its prefix is a prefix of ours).
    pub fallback: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Key {
    pub shape: KeyShape,
    pub extra: Extra,
}

#[derive(Debug, Clone)]
pub enum KeyShape {
    Single(Vec<Segment>),
    /// At least one variant; every variant but the last has a `when`, the last has none.
    Variants(Vec<Variant>),
}

#[derive(Debug, Clone)]
pub struct Variant {
    pub name: String,
    pub when: Option<Vec<u8>>,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone)]
pub struct Segment {
    pub name: String,
    pub enc: Encoding,
    /// Set exactly for the variable-length encodings (`bytes`, `base64url`, `decimal`).
    pub end: Option<End>,
    pub non_empty: bool,
    /// Number of hex characters; set exactly for `hex`.
    pub hex_len: Option<usize>,
    /// Only on a fixed-width last segment.
    pub optional: bool,
    pub doc: Option<String>,
}

impl Segment {
    /// Width in bytes of a fixed-width segment.
    pub fn fixed_width(&self) -> Option<usize> {
        self.enc.fixed_width(self.hex_len)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// To the end of the key minus `tail` bytes of fixed-width segments that follow.
    Rest {
        tail: usize,
    },
    Alphabet,
    Separator(Vec<u8>),
}

#[derive(Debug, Clone, Default)]
pub struct Value {
    pub magic: Option<Vec<u8>>,
    pub payload: Payload,
}

#[derive(Debug, Clone, Default)]
pub enum Payload {
    Json,
    Protobuf(String),
    Raw,
    Fixed(Vec<usize>),
    Decimal,
    Empty,
    #[default]
    Any,
}

#[derive(Debug, Clone)]
pub struct OptionDef {
    pub flag: String,
    pub adapter: Adapter,
    pub spec_file: String,
    pub doc: String,
    pub kind: OptionKind,
}

#[derive(Debug, Clone)]
pub enum OptionKind {
    Bool,
    Choice {
        values: Vec<String>,
        default: String,
    },
    /// `text` is the default as written (`64MiB`), `value` its byte count.
    Bytes {
        text: String,
        value: u64,
    },
    U64 {
        value: u64,
    },
}

impl OptionKind {
    /// The default as shown to users, if the kind has one.
    pub fn default_text(&self) -> Option<String> {
        match self {
            OptionKind::Bool => None,
            OptionKind::Choice { default, .. } => Some(default.clone()),
            OptionKind::Bytes { text, .. } => Some(text.clone()),
            OptionKind::U64 { value } => Some(value.to_string()),
        }
    }
}

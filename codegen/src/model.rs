//! Serde model of one `spec/*.yaml` file, exactly as written (strings not yet decoded, names
//! not yet checked). `docs/spec-language.md` is the contract; `validate` turns this into `ir`.

use serde::de::{self, Deserializer};
use serde::Deserialize;

/// One spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    pub adapter: Adapter,
    pub doc: String,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub options: Vec<OptionSpec>,
    pub families: Vec<FamilySpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adapter {
    Dynamodb,
    S3,
    Redis,
    Sqs,
    Internal,
}

impl Adapter {
    /// Declaration order of `AdapterId`; the first four are also the finalize order.
    pub const ALL: [Adapter; 5] = [
        Adapter::Dynamodb,
        Adapter::S3,
        Adapter::Redis,
        Adapter::Sqs,
        Adapter::Internal,
    ];

    /// The spelling used in specs, file names and `AdapterId::name()`.
    pub fn name(self) -> &'static str {
        match self {
            Adapter::Dynamodb => "dynamodb",
            Adapter::S3 => "s3",
            Adapter::Redis => "redis",
            Adapter::Sqs => "sqs",
            Adapter::Internal => "internal",
        }
    }

    /// The spelling used in prose (help headings).
    pub fn display(self) -> &'static str {
        match self {
            Adapter::Dynamodb => "DynamoDB",
            Adapter::S3 => "S3",
            Adapter::Redis => "Redis",
            Adapter::Sqs => "SQS",
            Adapter::Internal => "Internal",
        }
    }

    /// CamelCase stem of generated type names (`Sqs` in `SqsMsgDataKey`).
    pub fn camel(self) -> &'static str {
        match self {
            Adapter::Dynamodb => "Dynamodb",
            Adapter::S3 => "S3",
            Adapter::Redis => "Redis",
            Adapter::Sqs => "Sqs",
            Adapter::Internal => "Internal",
        }
    }
}

/// One `families[]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilySpec {
    pub name: String,
    pub prefix: String,
    pub doc: String,
    pub handler: Handler,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub output: Option<String>,
    #[serde(default)]
    pub path_vars: Vec<String>,
    #[serde(default)]
    pub key: Option<KeySpec>,
    #[serde(default)]
    pub value: Option<ValueSpec>,
    #[serde(default)]
    pub fallback: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handler {
    Emit,
    SideRecord,
    Ignore,
    Internal,
}

/// `key:` — either `segments` or `variants` (checked in `validate`, since serde cannot say
/// which field is wrong when both or neither are given).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySpec {
    #[serde(default)]
    pub segments: Option<Vec<SegmentSpec>>,
    #[serde(default)]
    pub variants: Option<Vec<VariantSpec>>,
    #[serde(default)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extra {
    #[default]
    Reject,
    Ignore,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantSpec {
    pub name: String,
    #[serde(default)]
    pub when: Option<String>,
    pub segments: Vec<SegmentSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    pub name: String,
    pub enc: Encoding,
    #[serde(default)]
    pub end: Option<End>,
    #[serde(default)]
    pub non_empty: bool,
    #[serde(default)]
    pub len: Option<usize>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub doc: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Bytes,
    Base64url,
    Decimal,
    Escaped,
    LenPrefixed,
    U16be,
    U32be,
    U64be,
    I64beFlipped,
    F64be,
    F64Sortable,
    Hex,
}

impl Encoding {
    /// The spelling used in specs.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Bytes => "bytes",
            Encoding::Base64url => "base64url",
            Encoding::Decimal => "decimal",
            Encoding::Escaped => "escaped",
            Encoding::LenPrefixed => "len_prefixed",
            Encoding::U16be => "u16be",
            Encoding::U32be => "u32be",
            Encoding::U64be => "u64be",
            Encoding::I64beFlipped => "i64be_flipped",
            Encoding::F64be => "f64be",
            Encoding::F64Sortable => "f64_sortable",
            Encoding::Hex => "hex",
        }
    }

    /// Needs an `end` rule (as opposed to self-delimiting or fixed-width encodings).
    pub fn is_variable(self) -> bool {
        matches!(
            self,
            Encoding::Bytes | Encoding::Base64url | Encoding::Decimal
        )
    }

    /// Width in bytes of a fixed-width encoding (`hex` needs its `len`).
    pub fn fixed_width(self, hex_len: Option<usize>) -> Option<usize> {
        match self {
            Encoding::U16be => Some(2),
            Encoding::U32be => Some(4),
            Encoding::U64be | Encoding::I64beFlipped | Encoding::F64be | Encoding::F64Sortable => {
                Some(8)
            }
            Encoding::Hex => hex_len,
            _ => None,
        }
    }
}

/// `end:` of a variable-length segment: `rest`, `alphabet` or `{separator: "|"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    Rest,
    Alphabet,
    Separator(String),
}

// Hand-written because the spec mixes a bare word with a one-key map, which serde_yaml's
// externally tagged enums do not accept, and an untagged enum would lose the error message.
impl<'de> Deserialize<'de> for End {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Sep {
            separator: String,
        }
        const EXPECTED: &str = "`rest`, `alphabet` or `{separator: \"...\"}`";
        let value = serde_yaml::Value::deserialize(deserializer)?;
        match &value {
            serde_yaml::Value::String(s) if s == "rest" => Ok(End::Rest),
            serde_yaml::Value::String(s) if s == "alphabet" => Ok(End::Alphabet),
            serde_yaml::Value::String(s) => Err(de::Error::custom(format!(
                "unknown end rule `{s}`, expected {EXPECTED}"
            ))),
            serde_yaml::Value::Mapping(_) => serde_yaml::from_value::<Sep>(value)
                .map(|s| End::Separator(s.separator))
                .map_err(|e| de::Error::custom(format!("{e}, expected {EXPECTED}"))),
            _ => Err(de::Error::custom(format!("expected {EXPECTED}"))),
        }
    }
}

/// `value:` envelope.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueSpec {
    #[serde(default)]
    pub magic: Option<String>,
    #[serde(default)]
    pub payload: Payload,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub lengths: Option<Vec<usize>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payload {
    Json,
    Protobuf,
    Raw,
    Fixed,
    Decimal,
    Empty,
    #[default]
    Any,
}

/// One `options[]` entry (a CLI flag of the adapter).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionSpec {
    pub flag: String,
    pub kind: OptionKind,
    pub doc: String,
    #[serde(default)]
    pub values: Option<Vec<String>>,
    /// Kept as YAML so that `64MiB`, `1000` and `false` are all accepted and checked per kind.
    #[serde(default)]
    pub default: Option<serde_yaml::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptionKind {
    Bool,
    Choice,
    Bytes,
    U64,
}

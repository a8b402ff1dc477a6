//! The static description of a key family (`FamilyInfo`), filled in by the generated tables.

use thiserror::Error;

use super::{AdapterId, Family};

/// Everything the spec says about a family, besides its key layout (which is the generated
/// `<Adapter><Family>Key` type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FamilyInfo {
    /// Spec name, unique across adapters (`msg_data`).
    pub name: &'static str,
    pub adapter: AdapterId,
    /// The user-key prefix that routes to this family.
    pub prefix: &'static [u8],
    pub handler: HandlerClass,
    /// Display path of the spec file (`spec/sqs.yaml`).
    pub spec_file: &'static str,
    pub doc: &'static str,
    /// Adapter option flags the handler reads (without `--`).
    pub options: &'static [&'static str],
    /// Output path template (`sqs/{queue}/messages.jsonl`), relative to the dump root.
    pub output: Option<&'static str>,
    pub value: ValueSpec,
    /// Family to parse the key as when it does not parse as this one.
    pub fallback: Option<Family>,
}

/// How the dispatcher treats a routed entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandlerClass {
    /// Parsed and written to the output.
    Emit,
    /// Written only when the adapter's side-record option is on.
    SideRecord,
    /// Routed and counted for its adapter, never parsed.
    Ignore,
    /// Always dropped and counted `internal`.
    Internal,
}

/// The value envelope: an optional magic prefix, then the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueSpec {
    pub magic: Option<&'static [u8]>,
    pub payload: Payload,
}

/// What the value body holds after the magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    Json,
    /// A protobuf message of this type (`proto/`).
    Protobuf(&'static str),
    Raw,
    /// Raw bytes of one of these lengths.
    Fixed(&'static [usize]),
    /// ASCII decimal.
    Decimal,
    Empty,
    /// Not described by the spec.
    Any,
}

/// A value body that does not match its family's envelope.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    #[error("value does not start with the magic {}", hex(expected))]
    BadMagic { expected: &'static [u8] },
    #[error("value body has {len} bytes; allowed: {allowed:?}")]
    BadLength {
        len: usize,
        allowed: &'static [usize],
    },
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl ValueSpec {
    /// Checks the magic and, for `fixed` payloads, the body length; returns the payload
    /// bytes after the magic. Other payloads are checked by whoever decodes them.
    pub fn strip<'b>(&self, body: &'b [u8]) -> Result<&'b [u8], ValueError> {
        let payload = match self.magic {
            Some(magic) => body
                .strip_prefix(magic)
                .ok_or(ValueError::BadMagic { expected: magic })?,
            None => body,
        };
        if let Payload::Fixed(allowed) = self.payload {
            if !allowed.contains(&payload.len()) {
                return Err(ValueError::BadLength {
                    len: payload.len(),
                    allowed,
                });
            }
        }
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_checks_magic_and_fixed_lengths() {
        let json = ValueSpec {
            magic: Some(b"\x00SQ\x01"),
            payload: Payload::Json,
        };
        assert_eq!(json.strip(b"\x00SQ\x01{}").unwrap(), b"{}");
        assert_eq!(json.strip(b"\x00SQ\x01").unwrap(), b"");
        let err = json.strip(b"\x00SQ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "value does not start with the magic 00 53 51 01"
        );
        let fixed = ValueSpec {
            magic: None,
            payload: Payload::Fixed(&[8, 16]),
        };
        assert_eq!(fixed.strip(&[0; 8]).unwrap().len(), 8);
        assert_eq!(fixed.strip(&[0; 16]).unwrap().len(), 16);
        assert_eq!(
            fixed.strip(&[0; 9]),
            Err(ValueError::BadLength {
                len: 9,
                allowed: &[8, 16]
            })
        );
        let any = ValueSpec {
            magic: None,
            payload: Payload::Any,
        };
        assert_eq!(any.strip(b"x").unwrap(), b"x");
    }
}

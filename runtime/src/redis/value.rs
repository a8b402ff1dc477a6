//! The fixed-layout Redis values (redis.md §4): string and HLL envelopes, the TTL index,
//! count / list / stream metas, meta deltas and zset scores.
//!
//! TTL values are normalised here, once, the same way for every source (docs/compatibility.md,
//! Redis): a value above 2^63−1 is clamped to 2^63−1, and 0 means "no TTL".

/// Largest expiry we emit: Go's `math.MaxInt64`, the clamp upstream applies to strings.
pub const MAX_EXPIRE_MS: u64 = i64::MAX as u64;

/// An expiry in Unix milliseconds as stored: clamped, `None` for 0.
pub fn normalize_expire(raw: u64) -> Option<u64> {
    (raw != 0).then_some(raw.min(MAX_EXPIRE_MS))
}

/// A string or HLL value after its envelope (redis.md §4.1, §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// `FF <version>` header present: the value owns its TTL, index records are ignored.
    pub new_format: bool,
    /// The inline expiry, normalised (only new-format values with flag bit 0 have one).
    pub expire_at: Option<u64>,
    /// The user value (string) or payload (HLL), header stripped.
    pub body: &'a [u8],
}

/// Why an envelope did not decode (the reference's context strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("header truncated")]
    HeaderTruncated,
    #[error("ttl section truncated")]
    TtlTruncated,
}

/// Decodes `FF <version> ‖ flags ‖ [u64be expireAtMs if flags & 1] ‖ body`, or a legacy value
/// (anything not starting with `FF <version>`, taken verbatim).
pub fn decode_envelope(raw: &[u8], version: u8) -> Result<Envelope<'_>, EnvelopeError> {
    if raw.len() < 2 || raw[0] != 0xFF || raw[1] != version {
        return Ok(Envelope {
            new_format: false,
            expire_at: None,
            body: raw,
        });
    }
    let Some(&flags) = raw.get(2) else {
        return Err(EnvelopeError::HeaderTruncated);
    };
    let rest = &raw[3..];
    if flags & 0x01 == 0 {
        return Ok(Envelope {
            new_format: true,
            expire_at: None,
            body: rest,
        });
    }
    let (ttl, body) = rest
        .split_first_chunk::<8>()
        .ok_or(EnvelopeError::TtlTruncated)?;
    Ok(Envelope {
        new_format: true,
        expire_at: normalize_expire(u64::from_be_bytes(*ttl)),
        body,
    })
}

/// The `!redis|ttl|` value: exactly 8 bytes, u64be Unix ms (redis.md §4.3); `Err(len)`
/// otherwise. Returned raw (0 included): [`normalize_expire`] decides what it means.
pub fn decode_ttl(raw: &[u8]) -> Result<u64, usize> {
    <[u8; 8]>::try_from(raw)
        .map(u64::from_be_bytes)
        .map_err(|_| raw.len())
}

/// Why a meta value did not decode (the reference's context strings).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetaError {
    #[error("length {len} not in {allowed}")]
    Length { len: usize, allowed: &'static str },
    #[error("declared {what} {value} overflows int64")]
    Overflow { what: &'static str, value: u64 },
}

/// A base meta: the declared length and, when the layout has one, the inline expiry as
/// stored (`Some(0)` = the meta says "no TTL"; `None` = a legacy layout without the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BaseMeta {
    pub len: i64,
    pub inline_expire: Option<u64>,
}

fn be_u64(raw: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(raw[at..at + 8].try_into().expect("8 bytes"))
}

fn declared(value: u64, what: &'static str) -> Result<i64, MetaError> {
    i64::try_from(value).map_err(|_| MetaError::Overflow { what, value })
}

/// Hash / set / zset meta (redis.md §4.4): `Len u64be` or `Len ‖ ExpireAtMs`.
pub fn decode_count_meta(raw: &[u8]) -> Result<BaseMeta, MetaError> {
    if raw.len() != 8 && raw.len() != 16 {
        return Err(MetaError::Length {
            len: raw.len(),
            allowed: "{8,16}",
        });
    }
    Ok(BaseMeta {
        len: declared(be_u64(raw, 0), "len")?,
        inline_expire: (raw.len() == 16).then(|| be_u64(raw, 8)),
    })
}

/// List meta (redis.md §4.5): `Head ‖ Tail ‖ Len` (24) or `… ‖ ExpireAtMs` (32). Head and
/// Tail are not used.
pub fn decode_list_meta(raw: &[u8]) -> Result<BaseMeta, MetaError> {
    if raw.len() != 24 && raw.len() != 32 {
        return Err(MetaError::Length {
            len: raw.len(),
            allowed: "{24,32}",
        });
    }
    Ok(BaseMeta {
        len: declared(be_u64(raw, 16), "len")?,
        inline_expire: (raw.len() == 32).then(|| be_u64(raw, 24)),
    })
}

/// Stream meta (redis.md §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamMeta {
    pub length: i64,
    pub last_ms: u64,
    pub last_seq: u64,
    pub inline_expire: Option<u64>,
}

/// `Length ‖ LastMs ‖ LastSeq` (24), `… ‖ ExpireAtMs` (32), `… ‖ TrimMs ‖ TrimSeq` (48); the
/// trim cursor is discarded.
pub fn decode_stream_meta(raw: &[u8]) -> Result<StreamMeta, MetaError> {
    if ![24, 32, 48].contains(&raw.len()) {
        return Err(MetaError::Length {
            len: raw.len(),
            allowed: "{24,32,48}",
        });
    }
    Ok(StreamMeta {
        length: declared(be_u64(raw, 0), "length")?,
        last_ms: be_u64(raw, 8),
        last_seq: be_u64(raw, 16),
        inline_expire: (raw.len() >= 32).then(|| be_u64(raw, 24)),
    })
}

/// A hash / set / zset meta delta value: `LenDelta i64be` (redis.md §3.3).
pub fn decode_len_delta(raw: &[u8]) -> Option<i64> {
    <[u8; 8]>::try_from(raw).ok().map(i64::from_be_bytes)
}

/// A list meta delta value: `HeadDelta i64be ‖ LenDelta i64be`; the length delta.
pub fn decode_list_delta(raw: &[u8]) -> Option<i64> {
    (raw.len() == 16).then(|| i64::from_be_bytes(raw[8..16].try_into().expect("8 bytes")))
}

/// Why a `!zs|mem|` score did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScoreError {
    #[error("length {0} != 8")]
    Length(usize),
    #[error("NaN score")]
    NaN,
}

/// The `!zs|mem|` value: exactly 8 bytes, f64 big-endian, not NaN (redis.md §4.8).
pub fn decode_score(raw: &[u8]) -> Result<f64, ScoreError> {
    let bytes = <[u8; 8]>::try_from(raw).map_err(|_| ScoreError::Length(raw.len()))?;
    let score = f64::from_be_bytes(bytes);
    if score.is_nan() {
        return Err(ScoreError::NaN);
    }
    Ok(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_follow_the_reference() {
        // redis.md §4.1 example.
        let v = [
            0xFF, 0x01, 0x01, 0x00, 0x00, 0x01, 0xA0, 0x88, 0x9D, 0x38, 0x00, b'h', b'i',
        ];
        assert_eq!(
            decode_envelope(&v, 1),
            Ok(Envelope {
                new_format: true,
                expire_at: Some(1_788_998_400_000),
                body: b"hi"
            })
        );
        assert_eq!(
            decode_envelope(b"\xFF\x01\x00hello", 1).unwrap(),
            Envelope {
                new_format: true,
                expire_at: None,
                body: b"hello"
            }
        );
        // Other flag bits are ignored.
        assert_eq!(
            decode_envelope(b"\xFF\x01\xFEx", 1).unwrap().body,
            b"x".as_slice()
        );
        for legacy in [&b""[..], b"\xFF", b"\xFF\x02\x01", b"\x00\xFF\x01raw"] {
            let e = decode_envelope(legacy, 1).unwrap();
            assert!(!e.new_format);
            assert_eq!(e.body, legacy);
        }
        assert_eq!(
            decode_envelope(b"\xFF\x01", 1),
            Err(EnvelopeError::HeaderTruncated)
        );
        assert_eq!(
            decode_envelope(b"\xFF\x01\x01\x00\x00\x00", 1),
            Err(EnvelopeError::TtlTruncated)
        );
        // HLL uses version 2; 0 means no TTL; values above 2^63-1 clamp.
        assert_eq!(
            decode_envelope(b"\xFF\x02\x01\x00\x00\x00\x00\x00\x00\x00\x00p", 2)
                .unwrap()
                .expire_at,
            None
        );
        let mut huge = vec![0xFF, 0x02, 0x01];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(
            decode_envelope(&huge, 2).unwrap().expire_at,
            Some(MAX_EXPIRE_MS)
        );
    }

    #[test]
    fn metas_and_ttls() {
        assert_eq!(decode_ttl(&7u64.to_be_bytes()), Ok(7));
        assert_eq!(decode_ttl(b"ab"), Err(2));
        assert_eq!(normalize_expire(0), None);
        assert_eq!(normalize_expire(u64::MAX), Some(MAX_EXPIRE_MS));

        assert_eq!(
            decode_count_meta(&5u64.to_be_bytes()),
            Ok(BaseMeta {
                len: 5,
                inline_expire: None
            })
        );
        let sixteen = [5u64.to_be_bytes(), 0u64.to_be_bytes()].concat();
        assert_eq!(decode_count_meta(&sixteen).unwrap().inline_expire, Some(0));
        assert_eq!(
            decode_count_meta(b"x").unwrap_err().to_string(),
            "length 1 not in {8,16}"
        );
        assert_eq!(
            decode_count_meta(&(1u64 << 63).to_be_bytes())
                .unwrap_err()
                .to_string(),
            "declared len 9223372036854775808 overflows int64"
        );
        assert_eq!(
            decode_count_meta(&(i64::MAX as u64).to_be_bytes())
                .unwrap()
                .len,
            i64::MAX
        );

        let list = [
            (-2i64).to_be_bytes(),
            2i64.to_be_bytes(),
            4i64.to_be_bytes(),
            9i64.to_be_bytes(),
        ]
        .concat();
        assert_eq!(
            decode_list_meta(&list),
            Ok(BaseMeta {
                len: 4,
                inline_expire: Some(9)
            })
        );
        assert_eq!(decode_list_meta(&list[..24]).unwrap().inline_expire, None);
        assert!(decode_list_meta(&list[..8]).is_err());

        let stream: Vec<u8> = [1u64, 200, 3, 123_456, 100, 1]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        assert_eq!(
            decode_stream_meta(&stream),
            Ok(StreamMeta {
                length: 1,
                last_ms: 200,
                last_seq: 3,
                inline_expire: Some(123_456)
            })
        );
        assert_eq!(
            decode_stream_meta(&stream[..24]).unwrap().inline_expire,
            None
        );
        assert!(decode_stream_meta(&stream[..40]).is_err());

        assert_eq!(decode_len_delta(&(-3i64).to_be_bytes()), Some(-3));
        assert_eq!(decode_len_delta(b"1234"), None);
        let list_delta = [(-1i64).to_be_bytes(), 2i64.to_be_bytes()].concat();
        assert_eq!(decode_list_delta(&list_delta), Some(2));
        assert_eq!(decode_list_delta(&list_delta[..8]), None);

        assert_eq!(decode_score(&1.5f64.to_be_bytes()), Ok(1.5));
        assert_eq!(decode_score(&[0x3F, 0xF8, 0, 0, 0, 0, 0, 0]), Ok(1.5));
        assert_eq!(decode_score(b"abc"), Err(ScoreError::Length(3)));
        assert_eq!(decode_score(&f64::NAN.to_be_bytes()), Err(ScoreError::NaN));
        assert_eq!(
            decode_score(&0x7FF0_0000_0000_0001u64.to_be_bytes()),
            Err(ScoreError::NaN)
        );
        assert!(decode_score(&(-0.0f64).to_be_bytes())
            .unwrap()
            .is_sign_negative());
    }
}

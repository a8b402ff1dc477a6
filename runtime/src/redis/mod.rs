//! The Redis adapter (redis.md): strings, HLLs, hashes, lists, sets, zsets and streams of
//! one logical database, written at finalize under `redis/db_<n>/`.
//!
//! * [`value`] — the fixed-layout values: string/HLL envelopes, TTL index, metas, deltas,
//!   scores.
//! * [`proto`] — the protobuf messages (zset/hash/set/stream legacy blobs, stream entries)
//!   read with Go's semantics.
//! * `spill` — the buffered records: their order, spill encoding and cost.
//! * `flush` — finalize: the files of each key, streamed.
//!
//! Every record is checked at intake — a value upstream refuses stops the decode there, as
//! upstream does — and buffered as one small fact about its user key in one external merge
//! sorter on the decode's shared memory budget. The records of one key arrive in several
//! places of the key order (hash fields before their meta, both before the `!redis|ttl|`
//! row, which precedes the set, stream and zset rows), so nothing can be written before the
//! scan ends; sorted by user key, each key's facts come together at finalize and every file
//! is written in one streaming pass. Memory stays within the budget whatever the number of
//! keys and the size of a collection, and the output does not depend on the budget.
//!
//! What we do differently from upstream (docs/compatibility.md, Redis): deltas are applied
//! to the base meta; the legacy `!redis|hash|`, `!redis|set|`, `!redis|stream|` blobs are
//! decoded (used, like the live server does, when the key has no wide-column rows); a list
//! whose user key starts with `d|` keeps its meta; a TTL of 0 means "no TTL" and every TTL is
//! clamped to 2^63−1 whatever its source; there is no pending-TTL cap.

mod error;
mod flush;
pub mod proto;
mod spill;
pub mod value;

#[cfg(test)]
mod tests;

use crate::adapters::{Adapter, AdapterError, FinalizeContext, Record};
use crate::keys::{
    AdapterId, Family, KeyError, RedisFamily, RedisHashFieldKey, RedisHashLegacyKey,
    RedisHashMetaDeltaKey, RedisHashMetaKey, RedisHllKey, RedisListItemKey, RedisListMetaDeltaKey,
    RedisListMetaKey, RedisSetLegacyKey, RedisSetMemberKey, RedisSetMetaDeltaKey, RedisSetMetaKey,
    RedisStreamEntryKey, RedisStreamLegacyKey, RedisStreamMetaKey, RedisStringKey, RedisTtlKey,
    RedisZsetLegacyKey, RedisZsetMemberKey, RedisZsetMetaDeltaKey, RedisZsetMetaKey,
};
use crate::options::RedisOptions;
use crate::snapshot::error::quote_bytes;
use crate::spill::{SpillContext, SpillSorter};

pub use error::{ErrorClass, RedisError};
pub use flush::{binary_safe, score};
use proto::ProtoError;
use spill::{
    fields_payload, id_sub, meta_payload, seq_sub, str_payload, stream_meta_payload, Part, Pending,
};
use value::{
    decode_count_meta, decode_envelope, decode_len_delta, decode_list_delta, decode_list_meta,
    decode_score, decode_stream_meta, decode_ttl, BaseMeta, MetaError, ScoreError,
};

impl From<RedisError> for AdapterError {
    fn from(e: RedisError) -> Self {
        AdapterError::Redis(Box::new(e))
    }
}

/// A legacy blob's decode error: a protobuf failure or one of ours (bad ID, NaN, …).
enum BlobError {
    Proto(ProtoError),
    Other(String),
}

impl From<ProtoError> for BlobError {
    fn from(e: ProtoError) -> Self {
        BlobError::Proto(e)
    }
}

impl BlobError {
    fn context(self) -> String {
        match self {
            BlobError::Proto(e) => format!("unmarshal: {e}"),
            BlobError::Other(s) => s,
        }
    }
}

/// Go's `parseRedisStreamID`: `<ms>-<seq>`, both unsigned decimal, exactly one `-`.
fn parse_stream_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    let decimal = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    Some((decimal(ms)?, decimal(seq)?))
}

/// The Redis adapter: checks and buffers at `handle`, writes at `finalize`.
pub struct RedisAdapter {
    spill: SpillContext,
    /// Database number of the output directory (`db_<n>`); the pipeline always uses 0.
    db: u32,
    pending: Option<SpillSorter<Pending>>,
    /// Records buffered so far: each record's arrival number.
    arrivals: u64,
}

impl RedisAdapter {
    pub fn new(_options: RedisOptions, spill: SpillContext) -> Self {
        RedisAdapter {
            pending: Some(spill.sorter()),
            spill,
            db: 0,
            arrivals: 0,
        }
    }

    /// Writes under `redis/db_<db>/` instead of `db_0` (a negative index is 0, redis.md §1.6).
    pub fn with_db(mut self, db: i64) -> Self {
        self.db = u32::try_from(db.max(0)).unwrap_or(u32::MAX);
        self
    }

    fn push(
        &mut self,
        part: Part,
        uk: &[u8],
        sub: &[u8],
        payload: &[u8],
    ) -> Result<(), RedisError> {
        let record = Pending::new(part, self.arrivals, uk, sub, payload);
        self.arrivals += 1;
        self.pending
            .as_mut()
            .expect("records are buffered only before finalize")
            .push(record)?;
        Ok(())
    }

    /// `!redis|str|` / `!redis|hll|` (redis.md §4.1, §4.2).
    fn string(&mut self, record: &Record<'_>, hll: bool) -> Result<(), RedisError> {
        let key = record.user_key;
        let (uk, class, version, part) = if hll {
            let uk = RedisHllKey::parse(key)
                .map_err(|e| RedisError::malformed_key(ErrorClass::HllValue, "key", key, &e))?
                .user_key;
            (uk, ErrorClass::HllValue, 2, Part::Hll)
        } else {
            let uk = RedisStringKey::parse(key)
                .map_err(|e| RedisError::malformed_key(ErrorClass::StringValue, "key", key, &e))?
                .user_key;
            (uk, ErrorClass::StringValue, 1, Part::String)
        };
        let envelope = decode_envelope(record.body, version)
            .map_err(|e| RedisError::invalid(class, key, e.to_string()))?;
        let payload = str_payload(envelope.new_format, envelope.expire_at, envelope.body);
        self.push(part, uk, b"", &payload)
    }

    /// `!redis|ttl|` (redis.md §4.3).
    fn ttl(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let uk = RedisTtlKey::parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::TtlValue, "key", key, &e))?
            .user_key;
        let ttl = decode_ttl(record.body).map_err(|len| {
            RedisError::invalid(ErrorClass::TtlValue, key, format!("length {len} != 8"))
        })?;
        self.push(Part::Ttl, uk, b"", &ttl.to_le_bytes())
    }

    /// Hash / set / zset base meta (redis.md §4.4).
    fn count_meta(
        &mut self,
        record: &Record<'_>,
        part: Part,
        key_class: ErrorClass,
        meta_class: ErrorClass,
        parse: fn(&[u8]) -> Result<&[u8], KeyError>,
    ) -> Result<(), RedisError> {
        let key = record.user_key;
        let uk =
            parse(key).map_err(|e| RedisError::malformed_key(key_class, "meta key", key, &e))?;
        let BaseMeta { len, inline_expire } = decode_count_meta(record.body)
            .map_err(|e| RedisError::invalid(meta_class, key, e.to_string()))?;
        self.push(part, uk, b"", &meta_payload(len, inline_expire))
    }

    /// Hash / set / zset length delta (`LenDelta i64be`), applied to the base meta.
    fn len_delta(
        &mut self,
        record: &Record<'_>,
        part: Part,
        parse: fn(&[u8]) -> Result<&[u8], KeyError>,
    ) -> Result<(), RedisError> {
        let key = record.user_key;
        let uk = parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::MetaDelta, "delta key", key, &e))?;
        let delta = decode_len_delta(record.body).ok_or_else(|| {
            RedisError::invalid(
                ErrorClass::MetaDelta,
                key,
                format!("length {} != 8", record.body.len()),
            )
        })?;
        self.push(part, uk, b"", &delta.to_le_bytes())
    }

    /// `!lst|meta|` (redis.md §4.5).
    fn list_meta(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let uk = RedisListMetaKey::parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::ListKey, "meta key", key, &e))?
            .user_key;
        let BaseMeta { len, inline_expire } = decode_list_meta(record.body)
            .map_err(|e| RedisError::invalid(ErrorClass::ListMeta, key, e.to_string()))?;
        self.push(Part::ListMeta, uk, b"", &meta_payload(len, inline_expire))
    }

    /// `!lst|meta|d|`: a delta when key and value have a delta's shape; otherwise the meta
    /// of a list whose user key starts with `d|` (the spec's `fallback: list_meta`).
    fn list_meta_delta(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        if let Ok(parsed) = RedisListMetaDeltaKey::parse(record.user_key) {
            if let Some(delta) = decode_list_delta(record.body) {
                return self.push(Part::ListDelta, parsed.user_key, b"", &delta.to_le_bytes());
            }
        }
        match RedisFamily::ListMetaDelta.info().fallback {
            Some(Family::Redis(RedisFamily::ListMeta)) => self.list_meta(record),
            other => unreachable!("spec/redis.yaml: list_meta_delta falls back to {other:?}"),
        }
    }

    /// `!redis|zset|` (redis.md §4.9, §5.7): validated whole, then its entries buffered.
    fn zset_legacy(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let class = ErrorClass::ZsetLegacyBlob;
        let uk = RedisZsetLegacyKey::parse(key)
            .map_err(|e| RedisError::malformed_key(class, "key", key, &e))?
            .user_key;
        let blob = RedisZsetLegacyKey::FAMILY
            .info()
            .value
            .strip(record.body)
            .map_err(|_| {
                let len = record.body.len();
                RedisError::invalid(
                    class,
                    key,
                    format!("missing or corrupt magic prefix (len={len})"),
                )
            })?;
        proto::zset_value(blob, |member, score| {
            if score.is_nan() {
                return Err(BlobError::Other(format!(
                    "NaN score for member {}",
                    quote_bytes(member.as_bytes())
                )));
            }
            Ok(())
        })
        .map_err(|e| RedisError::invalid(class, key, e.context()))?;
        self.push(Part::ZsetLegacy, uk, b"", b"")?;
        proto::zset_value(blob, |member, score| {
            self.push(
                Part::ZsetLegacyMember,
                uk,
                member.as_bytes(),
                &score.to_bits().to_be_bytes(),
            )
            .map_err(BlobSink::Sink)
        })
        .map_err(BlobSink::into_redis)
    }

    /// The payload of a `!redis|hash|` / `!redis|set|` / `!redis|stream|` blob: empty (an
    /// empty collection for the live reader) or magic + protobuf.
    fn legacy_blob<'b>(
        record: &Record<'b>,
        family: RedisFamily,
        class: ErrorClass,
    ) -> Result<&'b [u8], RedisError> {
        if record.body.is_empty() {
            return Ok(record.body);
        }
        family.info().value.strip(record.body).map_err(|_| {
            let len = record.body.len();
            RedisError::invalid(
                class,
                record.user_key,
                format!("missing or corrupt magic prefix (len={len})"),
            )
        })
    }

    /// `!redis|hash|`: decoded like the live server's fallback read (map<string,string>).
    fn hash_legacy(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let class = ErrorClass::HashLegacyBlob;
        let uk = RedisHashLegacyKey::parse(key)
            .map_err(|e| RedisError::malformed_key(class, "key", key, &e))?
            .user_key;
        let blob = Self::legacy_blob(record, RedisFamily::HashLegacy, class)?;
        proto::hash_value(blob, |_, _| Ok::<_, BlobError>(()))
            .map_err(|e| RedisError::invalid(class, key, e.context()))?;
        self.push(Part::HashLegacy, uk, b"", b"")?;
        proto::hash_value(blob, |name, value| {
            self.push(Part::HashLegacyField, uk, name.as_bytes(), value.as_bytes())
                .map_err(BlobSink::Sink)
        })
        .map_err(BlobSink::into_redis)
    }

    /// `!redis|set|`: repeated string members.
    fn set_legacy(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let class = ErrorClass::SetLegacyBlob;
        let uk = RedisSetLegacyKey::parse(key)
            .map_err(|e| RedisError::malformed_key(class, "key", key, &e))?
            .user_key;
        let blob = Self::legacy_blob(record, RedisFamily::SetLegacy, class)?;
        proto::set_value(blob, |_| Ok::<_, BlobError>(()))
            .map_err(|e| RedisError::invalid(class, key, e.context()))?;
        self.push(Part::SetLegacy, uk, b"", b"")?;
        proto::set_value(blob, |member| {
            self.push(Part::SetLegacyMember, uk, member.as_bytes(), b"")
                .map_err(BlobSink::Sink)
        })
        .map_err(BlobSink::into_redis)
    }

    /// `!redis|stream|`: entries with their `<ms>-<seq>` IDs and field lists.
    fn stream_legacy(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let class = ErrorClass::StreamLegacyBlob;
        let uk = RedisStreamLegacyKey::parse(key)
            .map_err(|e| RedisError::malformed_key(class, "key", key, &e))?
            .user_key;
        let blob = Self::legacy_blob(record, RedisFamily::StreamLegacy, class)?;
        let check = |entry: &proto::StreamEntry<'_>| -> Result<(u64, u64), BlobError> {
            let id = parse_stream_id(entry.id).ok_or_else(|| {
                BlobError::Other(format!(
                    "invalid stream entry ID {}",
                    quote_bytes(entry.id.as_bytes())
                ))
            })?;
            if !entry.fields.len().is_multiple_of(2) {
                return Err(BlobError::Other(format!(
                    "odd field count {} in entry {}",
                    entry.fields.len(),
                    entry.id
                )));
            }
            Ok(id)
        };
        proto::stream_value(blob, |entry| check(&entry).map(drop))
            .map_err(|e| RedisError::invalid(class, key, e.context()))?;
        self.push(Part::StreamLegacy, uk, b"", b"")?;
        proto::stream_value(blob, |entry| {
            let (ms, seq) = check(&entry).map_err(|_| BlobSink::Checked)?;
            let fields = fields_payload(entry.fields.iter().map(|f| f.as_bytes()));
            self.push(Part::StreamLegacyEntry, uk, &id_sub(ms, seq), &fields)
                .map_err(BlobSink::Sink)
        })
        .map_err(BlobSink::into_redis)
    }

    /// `!hs|fld|`.
    fn hash_field(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let parsed = RedisHashFieldKey::parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::HashKey, "field key", key, &e))?;
        self.push(Part::HashField, parsed.user_key, parsed.field, record.body)
    }

    /// `!lst|itm|`.
    fn list_item(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let parsed = RedisListItemKey::parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::ListKey, "item key", key, &e))?;
        self.push(
            Part::ListItem,
            parsed.user_key,
            &seq_sub(parsed.seq),
            record.body,
        )
    }

    /// `!st|mem|` (the value is ignored).
    fn set_member(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let parsed = RedisSetMemberKey::parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::SetKey, "member key", key, &e))?;
        self.push(Part::SetMember, parsed.user_key, parsed.member, b"")
    }

    /// `!zs|mem|` (redis.md §4.8).
    fn zset_member(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let parsed = RedisZsetMemberKey::parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::ZsetKey, "member key", key, &e))?;
        let score = decode_score(record.body).map_err(|e| {
            let context = match e {
                ScoreError::Length(_) => e.to_string(),
                ScoreError::NaN => format!(
                    "NaN score for member of user key {} (length {})",
                    quote_bytes(parsed.user_key),
                    parsed.user_key.len()
                ),
            };
            RedisError::invalid(ErrorClass::ZsetMember, key, context)
        })?;
        self.push(
            Part::ZsetMember,
            parsed.user_key,
            parsed.member,
            &score.to_bits().to_be_bytes(),
        )
    }

    /// `!stream|meta|` (redis.md §4.6).
    fn stream_meta(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let uk = RedisStreamMetaKey::parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::StreamKey, "meta key", key, &e))?
            .user_key;
        let meta = decode_stream_meta(record.body).map_err(|e: MetaError| {
            RedisError::invalid(ErrorClass::StreamMeta, key, e.to_string())
        })?;
        self.push(Part::StreamMeta, uk, b"", &stream_meta_payload(&meta))
    }

    /// `!stream|entry|` (redis.md §4.10): the ID comes from the key.
    fn stream_entry(&mut self, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        let class = ErrorClass::StreamEntry;
        let parsed = RedisStreamEntryKey::parse(key)
            .map_err(|e| RedisError::malformed_key(ErrorClass::StreamKey, "entry key", key, &e))?;
        let payload = RedisStreamEntryKey::FAMILY
            .info()
            .value
            .strip(record.body)
            .map_err(|_| {
                let len = record.body.len();
                RedisError::invalid(
                    class,
                    key,
                    format!("missing or corrupt magic prefix (len={len})"),
                )
            })?;
        let entry = proto::stream_entry(payload)
            .map_err(|e| RedisError::invalid(class, key, format!("unmarshal: {e}")))?;
        if !entry.fields.len().is_multiple_of(2) {
            return Err(RedisError::invalid(
                class,
                key,
                format!(
                    "odd field count {} for stream entry {}-{}",
                    entry.fields.len(),
                    parsed.ms,
                    parsed.seq
                ),
            ));
        }
        let fields = fields_payload(entry.fields.iter().map(|f| f.as_bytes()));
        self.push(
            Part::StreamEntry,
            parsed.user_key,
            &id_sub(parsed.ms, parsed.seq),
            &fields,
        )
    }

    fn dispatch(&mut self, family: RedisFamily, record: &Record<'_>) -> Result<(), RedisError> {
        let key = record.user_key;
        match family {
            RedisFamily::String => self.string(record, false),
            RedisFamily::Hll => self.string(record, true),
            RedisFamily::Ttl => self.ttl(record),
            RedisFamily::ZsetLegacy => self.zset_legacy(record),
            RedisFamily::HashLegacy => self.hash_legacy(record),
            RedisFamily::SetLegacy => self.set_legacy(record),
            RedisFamily::StreamLegacy => self.stream_legacy(record),
            // A delta key handed to a meta handler is a delta (only direct calls can do that:
            // the router sends the longer prefix to the delta family).
            RedisFamily::HashMeta if key.starts_with(RedisHashMetaDeltaKey::PREFIX) => {
                self.dispatch(RedisFamily::HashMetaDelta, record)
            }
            RedisFamily::SetMeta if key.starts_with(RedisSetMetaDeltaKey::PREFIX) => {
                self.dispatch(RedisFamily::SetMetaDelta, record)
            }
            RedisFamily::ZsetMeta if key.starts_with(RedisZsetMetaDeltaKey::PREFIX) => {
                self.dispatch(RedisFamily::ZsetMetaDelta, record)
            }
            RedisFamily::ListMeta if key.starts_with(RedisListMetaDeltaKey::PREFIX) => {
                self.list_meta_delta(record)
            }
            RedisFamily::HashMeta => self.count_meta(
                record,
                Part::HashMeta,
                ErrorClass::HashKey,
                ErrorClass::HashMeta,
                |k| RedisHashMetaKey::parse(k).map(|p| p.user_key),
            ),
            RedisFamily::HashMetaDelta => self.len_delta(record, Part::HashDelta, |k| {
                RedisHashMetaDeltaKey::parse(k).map(|p| p.user_key)
            }),
            RedisFamily::HashField => self.hash_field(record),
            RedisFamily::ListMeta => self.list_meta(record),
            RedisFamily::ListMetaDelta => self.list_meta_delta(record),
            RedisFamily::ListItem => self.list_item(record),
            RedisFamily::SetMeta => self.count_meta(
                record,
                Part::SetMeta,
                ErrorClass::SetKey,
                ErrorClass::SetMeta,
                |k| RedisSetMetaKey::parse(k).map(|p| p.user_key),
            ),
            RedisFamily::SetMetaDelta => self.len_delta(record, Part::SetDelta, |k| {
                RedisSetMetaDeltaKey::parse(k).map(|p| p.user_key)
            }),
            RedisFamily::SetMember => self.set_member(record),
            RedisFamily::ZsetMeta => self.count_meta(
                record,
                Part::ZsetMeta,
                ErrorClass::ZsetKey,
                ErrorClass::ZsetMeta,
                |k| RedisZsetMetaKey::parse(k).map(|p| p.user_key),
            ),
            RedisFamily::ZsetMetaDelta => self.len_delta(record, Part::ZsetDelta, |k| {
                RedisZsetMetaDeltaKey::parse(k).map(|p| p.user_key)
            }),
            RedisFamily::ZsetMember => self.zset_member(record),
            RedisFamily::StreamMeta => self.stream_meta(record),
            RedisFamily::StreamEntry => self.stream_entry(record),
            // POP claims and the score index carry nothing the dump needs (redis.md §3.3).
            RedisFamily::ListClaim | RedisFamily::ZsetScore => Ok(()),
        }
    }
}

/// Error of a buffering pass over a blob that was validated already.
enum BlobSink {
    Sink(RedisError),
    Proto,
    Checked,
}

impl From<ProtoError> for BlobSink {
    fn from(_: ProtoError) -> Self {
        BlobSink::Proto
    }
}

impl BlobSink {
    fn into_redis(self) -> RedisError {
        match self {
            BlobSink::Sink(e) => e,
            BlobSink::Proto | BlobSink::Checked => {
                unreachable!("the blob was validated by the first pass")
            }
        }
    }
}

impl Adapter for RedisAdapter {
    fn id(&self) -> AdapterId {
        AdapterId::Redis
    }

    fn handle(&mut self, family: Family, record: &Record<'_>) -> Result<(), AdapterError> {
        let Family::Redis(family) = family else {
            return Err(AdapterError::Invalid {
                adapter: "redis",
                message: format!("family {} routed to the Redis adapter", family.info().name),
            });
        };
        Ok(self.dispatch(family, record)?)
    }

    /// Writes every key in user-key order, then the deferred outputs; every step is
    /// attempted and the first error is returned (redis.md §7).
    fn finalize(&mut self, ctx: &mut FinalizeContext<'_>) -> Result<(), AdapterError> {
        let Some(sorter) = self.pending.take() else {
            return Ok(()); // finalized already
        };
        let mut flush = flush::Flush::new(ctx, &self.spill, self.db);
        let ran = sorter
            .finish()
            .map_err(RedisError::from)
            .and_then(|sorted| flush.run(&mut flush::Stream::new(sorted)));
        let finished = flush.finish();
        ran?;
        finished?;
        Ok(())
    }
}

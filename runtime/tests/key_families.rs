//! Integration tests of the key parsers and the router generated from `spec/*.yaml`.
//!
//! Key bytes come from the worked examples of the references (`sqs.md` §2, `dynamodb.md` §2,
//! `s3.md` §2.5, `redis.md` §3.3 and §13) and from the real keys of
//! `fixtures/real-small/entries.txt`; the malformed shapes follow the references' error rules.

use ekvsnap_runtime::keys::*;

// ------------------------------------------------------------------------------------------
// helpers

/// Concatenation of key parts.
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn be64(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn be32(n: u32) -> [u8; 4] {
    n.to_be_bytes()
}

/// Redis `<L><UK>`: u32be length, then the user key.
fn lp(uk: &[u8]) -> Vec<u8> {
    cat(&[&be32(uk.len() as u32), uk])
}

/// S3 `seg(x)`: `00` escaped as `00 FF`, terminated by `00 01`.
fn seg(x: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in x {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0x00, 0x01]);
    out
}

/// The base64url text of a segment, exactly as it appears in the key.
fn b64_text<'a>(v: B64Url<'a>) -> &'a [u8] {
    v.as_bytes()
}

/// The decoded bytes of a base64url segment.
fn b64_decoded(v: B64Url<'_>) -> Vec<u8> {
    v.decode()
}

/// The unescaped bytes of an S3 segment.
fn unescaped(v: Escaped<'_>) -> Vec<u8> {
    v.unescape().into_owned()
}

/// Asserts that a parse failed in `segment` with `kind`.
#[track_caller]
fn fails<T: std::fmt::Debug>(result: Result<T, KeyError>, segment: &str, kind: KeyErrorKind) {
    match result {
        Ok(parsed) => panic!("expected {kind:?} in `{segment}`, parsed {parsed:?}"),
        Err(err) => {
            assert_eq!((err.segment, err.kind), (segment, kind), "{err}");
        }
    }
}

fn short(need: usize, have: usize) -> KeyErrorKind {
    KeyErrorKind::ShortField { need, have }
}

fn sqs(f: SqsFamily) -> Option<Family> {
    Some(Family::Sqs(f))
}
fn ddb(f: DynamodbFamily) -> Option<Family> {
    Some(Family::Dynamodb(f))
}
fn s3(f: S3Family) -> Option<Family> {
    Some(Family::S3(f))
}
fn redis(f: RedisFamily) -> Option<Family> {
    Some(Family::Redis(f))
}
fn internal(f: InternalFamily) -> Option<Family> {
    Some(Family::Internal(f))
}

// ------------------------------------------------------------------------------------------
// routing (core.md §2.3, §2.4)

/// Every row of core.md §2.3, plus the three legacy Redis blobs we decode (redis.md §11).
fn routing_table() -> Vec<(&'static [u8], Option<Family>)> {
    vec![
        (b"!sqs|queue|tombstone|", sqs(SqsFamily::QueueTombstone)),
        (b"!ddb|meta|table|", ddb(DynamodbFamily::TableMeta)),
        (b"!s3|bucket|meta|", s3(S3Family::BucketMeta)),
        (b"!s3|upload|meta|", s3(S3Family::UploadMeta)),
        (b"!s3|upload|part|", s3(S3Family::UploadPart)),
        (b"!sqs|queue|meta|", sqs(SqsFamily::QueueMeta)),
        (b"!s3|bucket|gen|", internal(InternalFamily::S3BucketGen)),
        (b"!sqs|queue|gen|", sqs(SqsFamily::QueueGen)),
        (b"!sqs|queue|seq|", sqs(SqsFamily::QueueSeq)),
        (b"!sqs|msg|byage|", sqs(SqsFamily::MsgByage)),
        (b"!sqs|msg|dedup|", sqs(SqsFamily::MsgDedup)),
        (b"!sqs|msg|group|", sqs(SqsFamily::MsgGroup)),
        (b"!ddb|meta|gen|", ddb(DynamodbFamily::TableGen)),
        (b"!s3|chunkblob|", s3(S3Family::Chunkblob)),
        (b"!s3|gc|upload|", internal(InternalFamily::S3GcUpload)),
        (b"!sqs|msg|data|", sqs(SqsFamily::MsgData)),
        (b"!stream|entry|", redis(RedisFamily::StreamEntry)),
        (b"!s3|obj|head|", s3(S3Family::ObjectManifest)),
        (b"!s3|chunkref|", s3(S3Family::Chunkref)),
        (b"!sqs|msg|vis|", sqs(SqsFamily::MsgVis)),
        (b"!stream|meta|", redis(RedisFamily::StreamMeta)),
        (b"!lst|meta|d|", redis(RedisFamily::ListMetaDelta)),
        (b"!redis|zset|", redis(RedisFamily::ZsetLegacy)),
        (b"!encryption|", internal(InternalFamily::Encryption)),
        (b"!hs|meta|d|", redis(RedisFamily::HashMetaDelta)),
        (b"!lst|claim|", redis(RedisFamily::ListClaim)),
        (b"!st|meta|d|", redis(RedisFamily::SetMetaDelta)),
        (b"!zs|meta|d|", redis(RedisFamily::ZsetMetaDelta)),
        (b"!redis|str|", redis(RedisFamily::String)),
        (b"!redis|hll|", redis(RedisFamily::Hll)),
        (b"!redis|ttl|", redis(RedisFamily::Ttl)),
        (b"!ddb|item|", ddb(DynamodbFamily::Item)),
        (b"!lst|meta|", redis(RedisFamily::ListMeta)),
        (b"!ddb|gsi|", ddb(DynamodbFamily::Gsi)),
        (b"!s3|blob|", s3(S3Family::Blob)),
        (b"!s3route|", internal(InternalFamily::S3Route)),
        (b"!hs|meta|", redis(RedisFamily::HashMeta)),
        (b"!lst|itm|", redis(RedisFamily::ListItem)),
        (b"!st|meta|", redis(RedisFamily::SetMeta)),
        (b"!zs|meta|", redis(RedisFamily::ZsetMeta)),
        (b"!hs|fld|", redis(RedisFamily::HashField)),
        (b"!st|mem|", redis(RedisFamily::SetMember)),
        (b"!zs|mem|", redis(RedisFamily::ZsetMember)),
        (b"!zs|scr|", redis(RedisFamily::ZsetScore)),
        (b"!dist|", internal(InternalFamily::Dist)),
        (b"!txn|", internal(InternalFamily::Txn)),
        // Legacy single-blob Redis layouts: unrouted upstream, declared and decoded here.
        (b"!redis|hash|", redis(RedisFamily::HashLegacy)),
        (b"!redis|set|", redis(RedisFamily::SetLegacy)),
        (b"!redis|stream|", redis(RedisFamily::StreamLegacy)),
    ]
}

#[test]
fn route_every_prefix_of_the_routing_table() {
    let table = routing_table();
    assert_eq!(table.len(), 46 + 3);
    for (prefix, family) in &table {
        // The bare prefix, and the prefix followed by some key bytes.
        assert_eq!(
            route(prefix),
            *family,
            "prefix {}",
            String::from_utf8_lossy(prefix)
        );
        let key = cat(&[prefix, b"x\x00\x01\xff"]);
        assert_eq!(
            route(&key),
            *family,
            "key {}",
            String::from_utf8_lossy(&key)
        );
        // The family's info reports the same prefix.
        let info = family.unwrap().info();
        assert_eq!(info.prefix, *prefix);
    }
}

#[test]
fn route_covers_every_declared_family_exactly_once() {
    let table = routing_table();
    for fam in ALL_FAMILIES {
        let n = table.iter().filter(|(_, f)| *f == Some(*fam)).count();
        assert_eq!(n, 1, "family {} routed by {n} rows", fam.name());
    }
    assert_eq!(ALL_FAMILIES.len(), table.len());
}

#[test]
fn route_longest_prefix_wins() {
    // Delta prefixes contain the base meta prefixes (core.md §2.4).
    assert_eq!(route(b"!hs|meta|d|x"), redis(RedisFamily::HashMetaDelta));
    assert_eq!(route(b"!hs|meta|x"), redis(RedisFamily::HashMeta));
    assert_eq!(route(b"!hs|meta|d"), redis(RedisFamily::HashMeta));
    assert_eq!(route(b"!lst|meta|d|x"), redis(RedisFamily::ListMetaDelta));
    assert_eq!(route(b"!lst|meta|dx"), redis(RedisFamily::ListMeta));
    assert_eq!(route(b"!st|meta|d|x"), redis(RedisFamily::SetMetaDelta));
    assert_eq!(route(b"!st|meta|x"), redis(RedisFamily::SetMeta));
    assert_eq!(route(b"!zs|meta|d|x"), redis(RedisFamily::ZsetMetaDelta));
    assert_eq!(route(b"!zs|meta|x"), redis(RedisFamily::ZsetMeta));
    // `!stream|` and `!st|` share `!st`; `!redis|str|` and `!redis|stream|` share `!redis|str`.
    assert_eq!(
        route(b"!stream|meta|\x00\x00\x00\x01s"),
        redis(RedisFamily::StreamMeta)
    );
    assert_eq!(
        route(b"!st|meta|\x00\x00\x00\x01s"),
        redis(RedisFamily::SetMeta)
    );
    assert_eq!(route(b"!redis|stream|s"), redis(RedisFamily::StreamLegacy));
    assert_eq!(route(b"!redis|str|s"), redis(RedisFamily::String));
    assert_eq!(route(b"!redis|stre"), None);
    // `!s3route|` is not under `!s3|` (s3.md §1.2).
    assert_eq!(route(b"!s3route|x"), internal(InternalFamily::S3Route));
    assert_eq!(
        route(b"!s3|bucket|gen|photos\x00\x01"),
        internal(InternalFamily::S3BucketGen)
    );
    // Partitioned SQS keys use the shorter family rows (core.md §2.3 notes).
    assert_eq!(route(b"!sqs|msg|data|p|cQ|"), sqs(SqsFamily::MsgData));
    assert_eq!(route(b"!sqs|msg|vis|p|cQ|"), sqs(SqsFamily::MsgVis));
}

#[test]
fn route_unknown_keys() {
    for key in [
        &b""[..],
        b"!",
        b"foo",
        b"!fs|inode|1",
        b"!redis|route|x",
        b"!redis|",
        b"!ddb|route|table|x",
        b"!sqs|route|x",
        b"!sqs|msg|",
        b"!s3|",
        b"!s3|bucket|",
        b"!hs|",
        b"!hs|met",
        b"!lst|",
        b"!stream|",
        b"!zs|",
        b"!tx",
        b"_meta_applied_index",
        b"!SQS|msg|data|cQ",
    ] {
        assert_eq!(route(key), None, "key {}", String::from_utf8_lossy(key));
    }
}

#[test]
fn family_info_handler_classes() {
    let internal_rows = [
        InternalFamily::S3BucketGen,
        InternalFamily::S3GcUpload,
        InternalFamily::S3Route,
        InternalFamily::Encryption,
        InternalFamily::Dist,
        InternalFamily::Txn,
    ];
    for f in internal_rows {
        assert_eq!(Family::Internal(f).info().handler, HandlerClass::Internal);
    }
    for f in [
        SqsFamily::QueueSeq,
        SqsFamily::QueueTombstone,
        SqsFamily::MsgVis,
        SqsFamily::MsgByage,
        SqsFamily::MsgDedup,
        SqsFamily::MsgGroup,
    ] {
        let info = Family::Sqs(f).info();
        assert_eq!(info.handler, HandlerClass::SideRecord, "{}", info.name);
        assert_eq!(info.options, &["include-sqs-side-records"][..]);
    }
    for f in [S3Family::UploadMeta, S3Family::UploadPart] {
        let info = Family::S3(f).info();
        assert_eq!(info.handler, HandlerClass::SideRecord);
        assert_eq!(info.options, &["include-incomplete-uploads"][..]);
    }
    for f in [DynamodbFamily::TableGen, DynamodbFamily::Gsi] {
        assert_eq!(Family::Dynamodb(f).info().handler, HandlerClass::Ignore);
    }
    assert_eq!(
        Family::Redis(RedisFamily::ListMetaDelta).info().fallback,
        redis(RedisFamily::ListMeta)
    );
    assert_eq!(
        Family::Sqs(SqsFamily::MsgData).info().output,
        Some("sqs/{queue}/messages.jsonl")
    );
}

#[test]
fn family_info_value_envelopes() {
    let value = |f: Family| f.info().value;
    let sqs_value = |f| value(Family::Sqs(f));
    let redis_value = |f| value(Family::Redis(f));
    // sqs.md §3
    assert_eq!(
        sqs_value(SqsFamily::QueueMeta),
        ValueSpec {
            magic: Some(b"\x00SQ\x01"),
            payload: Payload::Json
        }
    );
    assert_eq!(
        sqs_value(SqsFamily::MsgData),
        ValueSpec {
            magic: Some(b"\x00SM\x01"),
            payload: Payload::Json
        }
    );
    assert_eq!(sqs_value(SqsFamily::QueueGen).payload, Payload::Decimal);
    assert_eq!(
        sqs_value(SqsFamily::MsgDedup),
        ValueSpec {
            magic: None,
            payload: Payload::Json
        }
    );
    // dynamodb.md §3
    assert_eq!(
        value(Family::Dynamodb(DynamodbFamily::TableMeta)),
        ValueSpec {
            magic: Some(b"\x00DS\x01"),
            payload: Payload::Protobuf("DynamoTableSchema")
        }
    );
    assert_eq!(
        value(Family::Dynamodb(DynamodbFamily::Item)),
        ValueSpec {
            magic: Some(b"\x00DI\x01"),
            payload: Payload::Protobuf("DynamoItem")
        }
    );
    // s3.md §4: no envelope.
    assert_eq!(
        value(Family::S3(S3Family::BucketMeta)),
        ValueSpec {
            magic: None,
            payload: Payload::Json
        }
    );
    assert_eq!(value(Family::S3(S3Family::Blob)).payload, Payload::Raw);
    // redis.md §4
    assert_eq!(
        redis_value(RedisFamily::HashMeta).payload,
        Payload::Fixed(&[8, 16])
    );
    assert_eq!(
        redis_value(RedisFamily::ListMeta).payload,
        Payload::Fixed(&[24, 32])
    );
    assert_eq!(
        redis_value(RedisFamily::StreamMeta).payload,
        Payload::Fixed(&[24, 32, 48])
    );
    assert_eq!(redis_value(RedisFamily::Ttl).payload, Payload::Fixed(&[8]));
    assert_eq!(
        redis_value(RedisFamily::ZsetMember).payload,
        Payload::Fixed(&[8])
    );
    assert_eq!(
        redis_value(RedisFamily::ListMetaDelta).payload,
        Payload::Fixed(&[16])
    );
    assert_eq!(
        redis_value(RedisFamily::ZsetLegacy),
        ValueSpec {
            magic: Some(b"\x00RZ\x01"),
            payload: Payload::Protobuf("RedisZSetValue")
        }
    );
    assert_eq!(
        redis_value(RedisFamily::StreamEntry),
        ValueSpec {
            magic: Some(b"\x00RXE\x01"),
            payload: Payload::Protobuf("RedisStreamEntry")
        }
    );
    assert_eq!(
        redis_value(RedisFamily::HashLegacy).magic,
        Some(&b"\x00RH\x01"[..])
    );
    assert_eq!(
        redis_value(RedisFamily::SetLegacy).magic,
        Some(&b"\x00RS\x01"[..])
    );
    assert_eq!(
        redis_value(RedisFamily::StreamLegacy).magic,
        Some(&b"\x00RX\x01"[..])
    );
}

#[test]
fn adapter_option_defaults() {
    use ekvsnap_runtime::options::*;
    let opts = AdapterOptions::default();
    assert_eq!(
        opts.dynamodb.dynamodb_bundle_mode,
        DynamodbBundleMode::PerItem
    );
    assert_eq!(opts.dynamodb.dynamodb_bundle_size, 64 << 20);
    assert!(!opts.sqs.preserve_sqs_visibility && !opts.sqs.include_sqs_side_records);
    assert!(!opts.s3.include_incomplete_uploads && !opts.s3.include_orphans);
    assert!(!opts.s3.rename_collisions && !opts.s3.strict_s3_keys);
}

// ------------------------------------------------------------------------------------------
// SQS (sqs.md §2, §2.1, §2.2)

#[test]
fn sqs_msg_data_legacy_example() {
    // sqs.md §2: legacy data, queue "q", gen 1, id "m".
    let key = cat(&[b"!sqs|msg|data|cQ", &be64(1), b"bQ"]);
    match SqsMsgDataKey::parse(&key).unwrap() {
        SqsMsgDataKey::Legacy(k) => {
            assert_eq!(b64_text(k.queue), b"cQ");
            assert_eq!(b64_decoded(k.queue), b"q");
            assert_eq!(k.generation, 1);
            assert_eq!(b64_text(k.message_id), b"bQ");
            assert_eq!(b64_decoded(k.message_id), b"m");
        }
        other => panic!("expected legacy, got {other:?}"),
    }
}

#[test]
fn sqs_msg_data_partitioned_example() {
    // sqs.md §2: partitioned data, queue "queue1", partition 7, gen 1, id "msg-001".
    let key = cat(&[
        b"!sqs|msg|data|p|cXVldWUx|",
        &be32(7),
        &be64(1),
        b"bXNnLTAwMQ",
    ]);
    let parsed = SqsMsgDataKey::parse(&key).unwrap();
    match parsed {
        SqsMsgDataKey::Partitioned(k) => {
            assert_eq!(b64_text(k.queue), b"cXVldWUx");
            assert_eq!(b64_decoded(k.queue), b"queue1");
            assert_eq!(k.partition, 7);
            assert_eq!(k.generation, 1);
            assert_eq!(b64_decoded(k.message_id), b"msg-001");
        }
        other => panic!("expected partitioned, got {other:?}"),
    }
    // Accessors shared by both variants.
    assert_eq!(b64_text(parsed.queue()), b"cXVldWUx");
    assert_eq!(parsed.generation(), 1);
    assert_eq!(b64_decoded(parsed.message_id()), b"msg-001");
}

#[test]
fn sqs_msg_data_real_keys() {
    // fixtures/real-small/entries.txt
    let key = cat(&[b"!sqs|msg|data|am9icy5maWZv", &be64(1), b"Zi0x"]);
    let k = SqsMsgDataKey::parse(&key).unwrap();
    assert!(matches!(k, SqsMsgDataKey::Legacy(_)));
    assert_eq!(b64_decoded(k.queue()), b"jobs.fifo");
    assert_eq!(b64_decoded(k.message_id()), b"f-1");

    let key = cat(&[b"!sqs|msg|data|b3JkZXJz", &be64(1), b"bS0y"]);
    let k = SqsMsgDataKey::parse(&key).unwrap();
    assert_eq!(b64_decoded(k.queue()), b"orders");
    assert_eq!(b64_decoded(k.message_id()), b"m-2");
}

#[test]
fn sqs_msg_data_legacy_malformed() {
    use KeyErrorKind::*;
    let p = |key: Vec<u8>| SqsMsgDataKey::parse(&key).map(|_| ());
    // No queue segment (idx == 0, sqs.md §2.2).
    fails(
        p(cat(&[b"!sqs|msg|data|", &be64(1), b"bQ"])),
        "queue",
        EmptySegment,
    );
    fails(p(b"!sqs|msg|data|".to_vec()), "queue", EmptySegment);
    // Empty message id (idx + 8 == len(rest)).
    fails(
        p(cat(&[b"!sqs|msg|data|cQ", &be64(1)])),
        "message_id",
        EmptySegment,
    );
    // Truncated generation (idx + 8 > len(rest)).
    fails(
        p(cat(&[b"!sqs|msg|data|cQ", &[0, 0, 0, 1]])),
        "generation",
        short(8, 4),
    );
    fails(p(b"!sqs|msg|data|cQ".to_vec()), "generation", short(8, 0));
    // Queue segment not valid base64url (length 1 mod 4).
    fails(
        p(cat(&[b"!sqs|msg|data|c", &be64(1), b"bQ"])),
        "queue",
        BadBase64,
    );
    fails(
        p(cat(&[b"!sqs|msg|data|cQcQc", &be64(1), b"bQ"])),
        "queue",
        BadBase64,
    );
    // Message id not valid base64url.
    fails(
        p(cat(&[b"!sqs|msg|data|cQ", &be64(1), b"b"])),
        "message_id",
        BadBase64,
    );
    fails(
        p(cat(&[b"!sqs|msg|data|cQ", &be64(1), b"bQ=="])),
        "message_id",
        BadBase64,
    );
    fails(
        p(cat(&[b"!sqs|msg|data|cQ", &be64(1), b"b+Q/"])),
        "message_id",
        BadBase64,
    );
    fails(
        p(cat(&[b"!sqs|msg|data|cQ", &be64(1), b"bQ\x00"])),
        "message_id",
        BadBase64,
    );
    // Not this family's prefix.
    fails(p(b"!sqs|msg|vis|cQ".to_vec()), "(prefix)", MissingPrefix);
}

#[test]
fn sqs_msg_data_base64_go_semantics() {
    // CR/LF inside the message id are skipped; trailing bits are accepted (sqs.md §2.3).
    let key = cat(&[b"!sqs|msg|data|cQ", &be64(1), b"b\r\nQ"]);
    let k = SqsMsgDataKey::parse(&key).unwrap();
    assert_eq!(b64_decoded(k.message_id()), b"m");
    let key = cat(&[b"!sqs|msg|data|cR", &be64(1), b"bR"]);
    let k = SqsMsgDataKey::parse(&key).unwrap();
    assert_eq!(b64_decoded(k.queue()), b"q");
}

#[test]
fn sqs_msg_data_partitioned_malformed() {
    use KeyErrorKind::*;
    let p = |key: Vec<u8>| SqsMsgDataKey::parse(&key).map(|_| ());
    // No `|` terminator, or an empty queue segment (t absent or t == 0, sqs.md §2.2).
    fails(
        p(cat(&[b"!sqs|msg|data|p|cQ", &be32(7), &be64(1), b"bQ"])),
        "queue",
        MissingSeparator,
    );
    fails(p(b"!sqs|msg|data|p|".to_vec()), "queue", MissingSeparator);
    fails(
        p(cat(&[b"!sqs|msg|data|p||", &be32(7), &be64(1), b"bQ"])),
        "queue",
        EmptySegment,
    );
    fails(
        p(cat(&[b"!sqs|msg|data|p|c|", &be32(7), &be64(1), b"bQ"])),
        "queue",
        BadBase64,
    );
    // len(trailer) <= 12: no room for a message id.
    fails(
        p(cat(&[b"!sqs|msg|data|p|cQ|", &be32(7), &be64(1)])),
        "message_id",
        EmptySegment,
    );
    fails(
        p(cat(&[b"!sqs|msg|data|p|cQ|", &be32(7), &[0, 0]])),
        "generation",
        short(8, 2),
    );
    fails(
        p(cat(&[b"!sqs|msg|data|p|cQ|", &[0, 0]])),
        "partition",
        short(4, 2),
    );
    fails(
        p(cat(&[b"!sqs|msg|data|p|cQ|", &be32(7), &be64(1), b"b"])),
        "message_id",
        BadBase64,
    );
}

#[test]
fn sqs_queue_meta() {
    let k = SqsQueueMetaKey::parse(b"!sqs|queue|meta|am9icy5maWZv").unwrap();
    assert_eq!(b64_text(k.queue), b"am9icy5maWZv");
    assert_eq!(b64_decoded(k.queue), b"jobs.fifo");
    let k = SqsQueueMetaKey::parse(b"!sqs|queue|meta|b3JkZXJz").unwrap();
    assert_eq!(b64_decoded(k.queue), b"orders");
    // The segment may be empty (sqs.md §2.2): empty queue name.
    let k = SqsQueueMetaKey::parse(b"!sqs|queue|meta|").unwrap();
    assert_eq!(b64_text(k.queue), b"");
    // CR/LF are skipped by the base64url check.
    let k = SqsQueueMetaKey::parse(b"!sqs|queue|meta|c\r\nQ").unwrap();
    assert_eq!(b64_decoded(k.queue), b"q");
    // It must decode as base64url.
    fails(
        SqsQueueMetaKey::parse(b"!sqs|queue|meta|c"),
        "queue",
        KeyErrorKind::BadBase64,
    );
    fails(
        SqsQueueMetaKey::parse(b"!sqs|queue|meta|cQ=="),
        "queue",
        KeyErrorKind::BadBase64,
    );
    fails(
        SqsQueueMetaKey::parse(b"!sqs|queue|meta|cQ\x00"),
        "queue",
        KeyErrorKind::BadBase64,
    );
    fails(
        SqsQueueMetaKey::parse(b"!sqs|queue|met"),
        "(prefix)",
        KeyErrorKind::MissingPrefix,
    );
}

#[test]
fn sqs_queue_gen_is_not_validated() {
    let k = SqsQueueGenKey::parse(b"!sqs|queue|gen|b3JkZXJz").unwrap();
    assert_eq!(k.queue, b"b3JkZXJz");
    // Any bytes, any length (sqs.md §2.2).
    assert_eq!(
        SqsQueueGenKey::parse(b"!sqs|queue|gen|").unwrap().queue,
        b""
    );
    assert_eq!(
        SqsQueueGenKey::parse(b"!sqs|queue|gen|\xff|=x")
            .unwrap()
            .queue,
        b"\xff|=x"
    );
}

#[test]
fn sqs_queue_seq_has_no_trailer() {
    let k = SqsQueueSeqKey::parse(b"!sqs|queue|seq|am9icy5maWZv").unwrap();
    assert_eq!(b64_decoded(k.queue), b"jobs.fifo");
    fails(
        SqsQueueSeqKey::parse(b"!sqs|queue|seq|"),
        "queue",
        KeyErrorKind::EmptySegment,
    );
    fails(
        SqsQueueSeqKey::parse(&cat(&[b"!sqs|queue|seq|cQ", &be64(1)])),
        "(end)",
        KeyErrorKind::TrailingBytes { count: 8 },
    );
}

#[test]
fn sqs_queue_tombstone() {
    let owned = cat(&[b"!sqs|queue|tombstone|cQ", &be64(3)]);
    let k = SqsQueueTombstoneKey::parse(&owned).unwrap();
    assert_eq!(b64_text(k.queue), b"cQ");
    assert_eq!(k.trailer, &be64(3)[..]);
    // Nothing after the queue segment, or no queue segment.
    fails(
        SqsQueueTombstoneKey::parse(b"!sqs|queue|tombstone|cQ"),
        "trailer",
        KeyErrorKind::EmptySegment,
    );
    fails(
        SqsQueueTombstoneKey::parse(&cat(&[b"!sqs|queue|tombstone|", &be64(3)])),
        "queue",
        KeyErrorKind::EmptySegment,
    );
}

#[test]
fn sqs_side_records_legacy_real_keys() {
    // fixtures/real-small/entries.txt
    let vis = cat(&[
        b"!sqs|msg|vis|am9icy5maWZv",
        &be64(1),
        b"\x00\x00\x01\x8b\xcf\xe5k\xe8",
        b"Zi0x",
    ]);
    match SqsMsgVisKey::parse(&vis).unwrap() {
        SqsMsgVisKey::Legacy(k) => {
            assert_eq!(b64_decoded(k.queue), b"jobs.fifo");
            assert_eq!(k.trailer.len(), 8 + 8 + 4);
            assert!(k.trailer.ends_with(b"Zi0x"));
        }
        other => panic!("expected legacy, got {other:?}"),
    }
    let byage = cat(&[
        b"!sqs|msg|byage|b3JkZXJz",
        &be64(1),
        b"\x00\x00\x01\x8b\xcf\xe5h\x00",
        b"bS0x",
    ]);
    let k = SqsMsgByageKey::parse(&byage).unwrap();
    assert_eq!(b64_decoded(k.queue()), b"orders");
    assert!(matches!(k, SqsMsgByageKey::Legacy(_)));
    let dedup = cat(&[b"!sqs|msg|dedup|am9icy5maWZv", &be64(1), b"ZDE"]);
    let k = SqsMsgDedupKey::parse(&dedup).unwrap();
    assert_eq!(b64_decoded(k.queue()), b"jobs.fifo");
    let group = cat(&[b"!sqs|msg|group|am9icy5maWZv", &be64(1), b"Zw"]);
    let k = SqsMsgGroupKey::parse(&group).unwrap();
    assert_eq!(b64_text(k.queue()), b"am9icy5maWZv");

    // sqs.md §5.7 example key (vis key for queue `q`, gen 1).
    let key = hex("217371737c6d73677c7669737c63510000000000000001");
    match SqsMsgVisKey::parse(&key).unwrap() {
        SqsMsgVisKey::Legacy(k) => {
            assert_eq!(b64_decoded(k.queue), b"q");
            assert_eq!(k.trailer, &be64(1)[..]);
        }
        other => panic!("expected legacy, got {other:?}"),
    }
}

#[test]
fn sqs_side_records_legacy_malformed() {
    use KeyErrorKind::*;
    // idx == 0 or idx == len(rest) (sqs.md §2.2).
    fails(
        SqsMsgVisKey::parse(b"!sqs|msg|vis|cQ"),
        "trailer",
        EmptySegment,
    );
    fails(
        SqsMsgVisKey::parse(&cat(&[b"!sqs|msg|vis|", &be64(1)])),
        "queue",
        EmptySegment,
    );
    fails(SqsMsgVisKey::parse(b"!sqs|msg|vis|"), "queue", EmptySegment);
    fails(
        SqsMsgByageKey::parse(b"!sqs|msg|byage|b3JkZXJz"),
        "trailer",
        EmptySegment,
    );
    fails(
        SqsMsgDedupKey::parse(b"!sqs|msg|dedup|b3JkZXJz"),
        "trailer",
        EmptySegment,
    );
    fails(
        SqsMsgGroupKey::parse(b"!sqs|msg|group|"),
        "queue",
        EmptySegment,
    );
    // Anything after the queue segment is accepted, even one byte.
    assert!(SqsMsgGroupKey::parse(b"!sqs|msg|group|cQ\x00").is_ok());
}

#[test]
fn sqs_side_records_partitioned() {
    let vis = cat(&[
        b"!sqs|msg|vis|p|cXVldWUx|",
        &be32(7),
        &be64(1),
        &be64(99),
        b"bXNnLTAwMQ",
    ]);
    match SqsMsgVisKey::parse(&vis).unwrap() {
        SqsMsgVisKey::Partitioned(k) => {
            assert_eq!(b64_decoded(k.queue), b"queue1");
            assert_eq!(k.partition, 7);
            assert_eq!(k.generation, 1);
            assert_eq!(k.tail, &cat(&[&be64(99), b"bXNnLTAwMQ"])[..]);
        }
        other => panic!("expected partitioned, got {other:?}"),
    }
    // MDEDUP partitioned: groupId | dedupId after partition and generation.
    let dedup = cat(&[b"!sqs|msg|dedup|p|cXVldWUx|", &be32(2), &be64(5), b"Zw|ZDE"]);
    match SqsMsgDedupKey::parse(&dedup).unwrap() {
        SqsMsgDedupKey::Partitioned(k) => {
            assert_eq!(k.partition, 2);
            assert_eq!(k.generation, 5);
            assert_eq!(k.tail, b"Zw|ZDE");
        }
        other => panic!("expected partitioned, got {other:?}"),
    }
    let group = cat(&[b"!sqs|msg|group|p|cXVldWUx|", &be32(0), &be64(5), b"Zw"]);
    assert!(matches!(
        SqsMsgGroupKey::parse(&group).unwrap(),
        SqsMsgGroupKey::Partitioned(_)
    ));
    let byage = cat(&[b"!sqs|msg|byage|p|cXVldWUx|", &be32(0), &be64(5)]);
    // Exactly 12 trailer bytes is enough for side records (sqs.md §2.2).
    match SqsMsgByageKey::parse(&byage).unwrap() {
        SqsMsgByageKey::Partitioned(k) => assert_eq!(k.tail, b""),
        other => panic!("expected partitioned, got {other:?}"),
    }
}

#[test]
fn sqs_side_records_partitioned_malformed() {
    use KeyErrorKind::*;
    // Fewer than 12 trailer bytes.
    fails(
        SqsMsgVisKey::parse(&cat(&[b"!sqs|msg|vis|p|cQ|", &be32(7), &[0; 7]])),
        "generation",
        short(8, 7),
    );
    fails(
        SqsMsgByageKey::parse(b"!sqs|msg|byage|p|cQ|\x00"),
        "partition",
        short(4, 1),
    );
    // No terminator, empty queue, invalid queue base64.
    fails(
        SqsMsgVisKey::parse(&cat(&[b"!sqs|msg|vis|p|cQ", &be32(7), &be64(1)])),
        "queue",
        MissingSeparator,
    );
    fails(
        SqsMsgDedupKey::parse(&cat(&[b"!sqs|msg|dedup|p||", &be32(7), &be64(1)])),
        "queue",
        EmptySegment,
    );
    fails(
        SqsMsgGroupKey::parse(&cat(&[b"!sqs|msg|group|p|c|", &be32(7), &be64(1)])),
        "queue",
        BadBase64,
    );
}

// ------------------------------------------------------------------------------------------
// DynamoDB (dynamodb.md §2, §2.1)

#[test]
fn ddb_table_meta() {
    let k = DynamodbTableMetaKey::parse(b"!ddb|meta|table|c2Vzc2lvbnM").unwrap();
    assert_eq!(b64_text(k.table), b"c2Vzc2lvbnM");
    assert_eq!(b64_decoded(k.table), b"sessions");
    let k = DynamodbTableMetaKey::parse(b"!ddb|meta|table|b3JkZXJz").unwrap();
    assert_eq!(b64_decoded(k.table), b"orders");
    // Empty segment is an explicit error; invalid base64url too.
    fails(
        DynamodbTableMetaKey::parse(b"!ddb|meta|table|"),
        "table",
        KeyErrorKind::EmptySegment,
    );
    fails(
        DynamodbTableMetaKey::parse(b"!ddb|meta|table|c"),
        "table",
        KeyErrorKind::BadBase64,
    );
    fails(
        DynamodbTableMetaKey::parse(b"!ddb|meta|table|b3JkZXJz|"),
        "table",
        KeyErrorKind::BadBase64,
    );
}

#[test]
fn ddb_item_examples() {
    // dynamodb.md §2: legacy shape, table "orders", gen 42, pk "pk", sk "sk".
    let k = DynamodbItemKey::parse(b"!ddb|item|b3JkZXJz|42|cGs|c2s").unwrap();
    assert_eq!(b64_text(k.table), b"b3JkZXJz");
    assert_eq!(b64_decoded(k.table), b"orders");
    assert_eq!(k.generation, 42);
    assert_eq!(k.primary_key, b"cGs|c2s");

    // fixtures/real-small/entries.txt (ordered encoding).
    let key = b"!ddb|item|b3JkZXJz|1|u1\x00\x01\x02\x02\x01\x01\x00\xff1\x00\x01";
    let k = DynamodbItemKey::parse(key).unwrap();
    assert_eq!(b64_decoded(k.table), b"orders");
    assert_eq!(k.generation, 1);
    assert_eq!(
        k.primary_key,
        b"u1\x00\x01\x02\x02\x01\x01\x00\xff1\x00\x01"
    );
    let k = DynamodbItemKey::parse(b"!ddb|item|c2Vzc2lvbnM|1|abc\x00\x01").unwrap();
    assert_eq!(b64_decoded(k.table), b"sessions");
    assert_eq!(k.primary_key, b"abc\x00\x01");

    // Leading zeros allowed; the full u64 range.
    assert_eq!(
        DynamodbItemKey::parse(b"!ddb|item|cQ|007|x")
            .unwrap()
            .generation,
        7
    );
    assert_eq!(
        DynamodbItemKey::parse(b"!ddb|item|cQ|18446744073709551615|x")
            .unwrap()
            .generation,
        u64::MAX
    );
}

#[test]
fn ddb_item_malformed() {
    use KeyErrorKind::*;
    let p = |key: &[u8]| DynamodbItemKey::parse(key).map(|_| ());
    // dynamodb.md §2.1 steps 2-6.
    fails(p(b"!ddb|item|b3JkZXJz"), "table", MissingSeparator);
    fails(p(b"!ddb|item|"), "table", MissingSeparator);
    fails(p(b"!ddb|item||1|x"), "table", EmptySegment);
    fails(p(b"!ddb|item|c|1|x"), "table", BadBase64);
    fails(p(b"!ddb|item|b3JkZXJz||x"), "generation", EmptySegment);
    fails(p(b"!ddb|item|b3JkZXJz|1"), "generation", MissingSeparator);
    fails(p(b"!ddb|item|b3JkZXJz|1|"), "primary_key", EmptySegment);
    for bad_gen in [
        &b"+1"[..],
        b" 1",
        b"1 ",
        b"-1",
        b"0x1",
        b"1_0",
        b"18446744073709551616",
        b"1e3",
    ] {
        let key = cat(&[b"!ddb|item|b3JkZXJz|", bad_gen, b"|x"]);
        fails(p(&key), "generation", BadDecimal);
    }
}

// ------------------------------------------------------------------------------------------
// S3 (s3.md §2, §3)

#[test]
fn s3_blob_worked_examples() {
    // s3.md §2.5: legacy blob, bucket b, gen 1, object o, upload u, part 1, chunk 0.
    let legacy = hex("21 73 33 7c 62 6c 6f 62 7c 62 00 01 00 00 00 00 00 00 00 01 6f 00 01 75 00 01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00");
    let k = S3BlobKey::parse(&legacy).unwrap();
    assert_eq!(unescaped(k.bucket), b"b");
    assert_eq!(k.generation, 1);
    assert_eq!(unescaped(k.object), b"o");
    assert_eq!(unescaped(k.upload_id), b"u");
    assert_eq!(k.part_no, 1);
    assert_eq!(k.chunk_no, 0);
    assert_eq!(k.part_version, None);

    // The same key with partVersion 9.
    let versioned = cat(&[&legacy, &be64(9)]);
    let k = S3BlobKey::parse(&versioned).unwrap();
    assert_eq!(k.part_version, Some(9));
    // An explicit zero trailer is accepted and reports version 0.
    let owned = cat(&[&legacy, &be64(0)]);
    let k = S3BlobKey::parse(&owned).unwrap();
    assert_eq!(k.part_version, Some(0));

    // Any other trailer length fails; upstream's own test uses 4 bytes (s3.md §3.6).
    use KeyErrorKind::BadTrailer;
    fails(
        S3BlobKey::parse(&cat(&[&legacy, &[0, 0, 0, 9]])),
        "part_version",
        BadTrailer { len: 4 },
    );
    fails(
        S3BlobKey::parse(&cat(&[&legacy, &[0; 9]])),
        "part_version",
        BadTrailer { len: 9 },
    );
    fails(
        S3BlobKey::parse(&cat(&[&legacy, &[0; 16]])),
        "part_version",
        BadTrailer { len: 16 },
    );
    // Truncated chunk number.
    fails(
        S3BlobKey::parse(&legacy[..legacy.len() - 1]),
        "chunk_no",
        short(8, 7),
    );
}

#[test]
fn s3_blob_real_key() {
    let key = cat(&[
        b"!s3|blob|photos\x00\x01",
        &be64(1),
        b"2026/04/img.jpg\x00\x01elastickv-restore\x00\x01",
        &be64(1),
        &be64(0),
    ]);
    let k = S3BlobKey::parse(&key).unwrap();
    assert_eq!(unescaped(k.bucket), b"photos");
    assert_eq!(k.generation, 1);
    assert_eq!(unescaped(k.object), b"2026/04/img.jpg");
    assert_eq!(unescaped(k.upload_id), b"elastickv-restore");
    assert_eq!(k.part_no, 1);
    assert_eq!(k.chunk_no, 0);
    assert_eq!(k.part_version, None);
}

#[test]
fn s3_object_manifest() {
    // s3.md §2.5: manifest key with bucket `b\x00k`, gen 7, object `a/b`.
    let key = hex("21 73 33 7c 6f 62 6a 7c 68 65 61 64 7c 62 00 ff 6b 00 01 00 00 00 00 00 00 00 07 61 2f 62 00 01");
    let k = S3ObjectManifestKey::parse(&key).unwrap();
    assert_eq!(unescaped(k.bucket), b"b\x00k");
    assert_eq!(k.generation, 7);
    assert_eq!(unescaped(k.object), b"a/b");
    assert_eq!(
        key,
        cat(&[b"!s3|obj|head|", &seg(b"b\x00k"), &be64(7), &seg(b"a/b")])
    );

    // fixtures/real-small/entries.txt
    let key = cat(&[
        b"!s3|obj|head|photos\x00\x01",
        &be64(1),
        b"readme.txt\x00\x01",
    ]);
    let k = S3ObjectManifestKey::parse(&key).unwrap();
    assert_eq!(unescaped(k.bucket), b"photos");
    assert_eq!(unescaped(k.object), b"readme.txt");

    // Exact end; truncated escape; bad escape; missing terminator; short generation.
    use KeyErrorKind::*;
    let p = |key: Vec<u8>| S3ObjectManifestKey::parse(&key).map(|_| ());
    fails(p(cat(&[&key, b"x"])), "(end)", TrailingBytes { count: 1 });
    fails(
        p(b"!s3|obj|head|b\x00".to_vec()),
        "bucket",
        MissingTerminator,
    );
    fails(
        p(cat(&[b"!s3|obj|head|b\x00\x02", &be64(1), &seg(b"o")])),
        "bucket",
        BadEscape,
    );
    fails(
        p(cat(&[b"!s3|obj|head|", &seg(b"b"), &be64(1), b"o"])),
        "object",
        MissingTerminator,
    );
    fails(
        p(cat(&[b"!s3|obj|head|", &seg(b"b"), &[0, 0, 1]])),
        "generation",
        short(8, 3),
    );
}

#[test]
fn s3_bucket_meta() {
    let k = S3BucketMetaKey::parse(b"!s3|bucket|meta|photos\x00\x01").unwrap();
    assert_eq!(unescaped(k.bucket), b"photos");
    // Empty segments are legal; a lone 0xFF / 0x01 is ordinary data.
    let k = S3BucketMetaKey::parse(b"!s3|bucket|meta|\x00\x01").unwrap();
    assert_eq!(unescaped(k.bucket), b"");
    let k = S3BucketMetaKey::parse(b"!s3|bucket|meta|\xff\x01\x00\xff\x00\x01").unwrap();
    assert_eq!(unescaped(k.bucket), b"\xff\x01\x00");
    // Exact end, terminator required, truncated escape.
    use KeyErrorKind::*;
    fails(
        S3BucketMetaKey::parse(b"!s3|bucket|meta|photos\x00\x01x"),
        "(end)",
        TrailingBytes { count: 1 },
    );
    fails(
        S3BucketMetaKey::parse(b"!s3|bucket|meta|photos"),
        "bucket",
        MissingTerminator,
    );
    fails(
        S3BucketMetaKey::parse(b"!s3|bucket|meta|photos\x00"),
        "bucket",
        MissingTerminator,
    );
    fails(
        S3BucketMetaKey::parse(b"!s3|bucket|meta|"),
        "bucket",
        MissingTerminator,
    );
}

#[test]
fn s3_upload_records() {
    let meta = cat(&[
        b"!s3|upload|meta|",
        &seg(b"photos"),
        &be64(2),
        &seg(b"a/b"),
        &seg(b"up-1"),
    ]);
    let k = S3UploadMetaKey::parse(&meta).unwrap();
    assert_eq!(unescaped(k.bucket), b"photos");
    assert_eq!(k.generation, 2);
    assert_eq!(unescaped(k.object), b"a/b");
    assert_eq!(unescaped(k.upload_id), b"up-1");

    let part = cat(&[
        b"!s3|upload|part|",
        &seg(b"photos"),
        &be64(2),
        &seg(b"a/b"),
        &seg(b"up-1"),
        &be64(3),
    ]);
    let k = S3UploadPartKey::parse(&part).unwrap();
    assert_eq!(unescaped(k.bucket), b"photos");
    assert_eq!(k.part_no, 3);
    // Strict, exact end (s3.md §3.5).
    use KeyErrorKind::*;
    fails(
        S3UploadPartKey::parse(&cat(&[&part, b"\x00"])),
        "(end)",
        TrailingBytes { count: 1 },
    );
    fails(
        S3UploadPartKey::parse(&part[..part.len() - 1]),
        "part_no",
        short(8, 7),
    );
    // Upload meta is declared strict (upstream's loose parse would accept these, s3.md §3.4).
    fails(
        S3UploadMetaKey::parse(b"!s3|upload|meta|"),
        "bucket",
        MissingTerminator,
    );
    fails(
        S3UploadMetaKey::parse(&cat(&[&meta, b"x"])),
        "(end)",
        TrailingBytes { count: 1 },
    );
    fails(
        S3UploadMetaKey::parse(b"!s3|upload|meta|photos\x00\x01"),
        "generation",
        short(8, 0),
    );
}

#[test]
fn s3_chunkref() {
    let head = cat(&[
        b"!s3|chunkref|",
        &seg(b"b"),
        &be64(1),
        &seg(b"o"),
        &seg(b"u"),
        &be64(1),
        &be64(4),
    ]);
    let k = S3ChunkrefKey::parse(&head).unwrap();
    assert_eq!(unescaped(k.bucket), b"b");
    assert_eq!(k.chunk_no, 4);
    assert_eq!(k.version, None);
    assert_eq!(
        S3ChunkrefKey::parse(&cat(&[&head, &be64(77)]))
            .unwrap()
            .version,
        Some(77)
    );
    fails(
        S3ChunkrefKey::parse(&cat(&[&head, &[0, 0, 0, 77]])),
        "version",
        KeyErrorKind::BadTrailer { len: 4 },
    );
}

#[test]
fn s3_chunkblob() {
    let digest_hex = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    let key = cat(&[b"!s3|chunkblob|", digest_hex.as_bytes()]);
    let k = S3ChunkblobKey::parse(&key).unwrap();
    assert_eq!(k.digest[..], hex(digest_hex)[..]);
    // Upper case accepted too.
    let upper = cat(&[
        b"!s3|chunkblob|",
        digest_hex.to_ascii_uppercase().as_bytes(),
    ]);
    assert_eq!(S3ChunkblobKey::parse(&upper).unwrap().digest, k.digest);
    // Exact length 64, hex only (s3.md §3.8).
    use KeyErrorKind::*;
    fails(
        S3ChunkblobKey::parse(&key[..key.len() - 1]),
        "digest",
        short(64, 63),
    );
    fails(
        S3ChunkblobKey::parse(&cat(&[&key, b"0"])),
        "(end)",
        TrailingBytes { count: 1 },
    );
    fails(
        S3ChunkblobKey::parse(&cat(&[&key[..key.len() - 1], b"g"])),
        "digest",
        BadHex,
    );
    fails(
        S3ChunkblobKey::parse(b"!s3|chunkblob|"),
        "digest",
        short(64, 0),
    );
}

// ------------------------------------------------------------------------------------------
// Redis (redis.md §3)

#[test]
fn redis_rest_user_keys() {
    assert_eq!(
        RedisStringKey::parse(b"!redis|str|foo").unwrap().user_key,
        b"foo"
    );
    assert_eq!(
        RedisStringKey::parse(b"!redis|str|session:1")
            .unwrap()
            .user_key,
        b"session:1"
    );
    assert_eq!(RedisStringKey::parse(b"!redis|str|").unwrap().user_key, b"");
    assert_eq!(
        RedisHllKey::parse(b"!redis|hll|h\x00\xff")
            .unwrap()
            .user_key,
        b"h\x00\xff"
    );
    assert_eq!(
        RedisTtlKey::parse(b"!redis|ttl|lb").unwrap().user_key,
        b"lb"
    );
    assert_eq!(RedisTtlKey::parse(b"!redis|ttl|").unwrap().user_key, b"");
    assert_eq!(
        RedisZsetLegacyKey::parse(b"!redis|zset|z")
            .unwrap()
            .user_key,
        b"z"
    );
    assert_eq!(
        RedisHashLegacyKey::parse(b"!redis|hash|h")
            .unwrap()
            .user_key,
        b"h"
    );
    assert_eq!(
        RedisSetLegacyKey::parse(b"!redis|set|s").unwrap().user_key,
        b"s"
    );
    assert_eq!(
        RedisStreamLegacyKey::parse(b"!redis|stream|x")
            .unwrap()
            .user_key,
        b"x"
    );
    assert_eq!(
        RedisListMetaKey::parse(b"!lst|meta|queue")
            .unwrap()
            .user_key,
        b"queue"
    );
    assert_eq!(
        RedisListMetaKey::parse(b"!lst|meta|").unwrap().user_key,
        b""
    );
    assert!(RedisStringKey::parse(b"!redis|hll|foo").is_err());
}

#[test]
fn redis_hash_meta_and_fields() {
    // redis.md §3.3: hash meta key for UK `user:42`.
    let key = hex("21 68 73 7C 6D 65 74 61 7C 00 00 00 07 75 73 65 72 3A 34 32");
    assert_eq!(RedisHashMetaKey::parse(&key).unwrap().user_key, b"user:42");
    // Trailing bytes after <L><UK> are ignored (redis.md §3.2, §11 item 7).
    assert_eq!(
        RedisHashMetaKey::parse(&cat(&[&key, b"junk"]))
            .unwrap()
            .user_key,
        b"user:42"
    );
    // fixtures/real-small/entries.txt
    assert_eq!(
        RedisHashMetaKey::parse(b"!hs|meta|\x00\x00\x00\x06user:1")
            .unwrap()
            .user_key,
        b"user:1"
    );
    let k = RedisHashFieldKey::parse(b"!hs|fld|\x00\x00\x00\x06user:1name").unwrap();
    assert_eq!(k.user_key, b"user:1");
    assert_eq!(k.field, b"name");
    let k = RedisHashFieldKey::parse(b"!hs|fld|\x00\x00\x00\x06user:1").unwrap();
    assert_eq!(k.field, b"");
    // redis.md §13: `!hs|fld|<7>user:42name`.
    let owned = cat(&[b"!hs|fld|", &lp(b"user:42"), b"name"]);
    let k = RedisHashFieldKey::parse(&owned).unwrap();
    assert_eq!((k.user_key, k.field), (&b"user:42"[..], &b"name"[..]));
    // Empty user key.
    assert_eq!(
        RedisHashMetaKey::parse(b"!hs|meta|\x00\x00\x00\x00")
            .unwrap()
            .user_key,
        b""
    );
}

#[test]
fn redis_len_prefixed_malformed() {
    use KeyErrorKind::LengthOverrun;
    // Fewer than 4 bytes, or fewer than 4 + L bytes (redis.md §3.2).
    fails(
        RedisHashMetaKey::parse(b"!hs|meta|"),
        "user_key",
        short(4, 0),
    );
    fails(
        RedisHashMetaKey::parse(b"!hs|meta|\x00\x00\x00"),
        "user_key",
        short(4, 3),
    );
    fails(
        RedisHashMetaKey::parse(b"!hs|meta|\x00\x00\x00\x07user:4"),
        "user_key",
        LengthOverrun,
    );
    fails(
        RedisHashMetaKey::parse(b"!hs|meta|\xff\xff\xff\xffuser"),
        "user_key",
        LengthOverrun,
    );
    fails(
        RedisHashFieldKey::parse(b"!hs|fld|\x00\x00\x00\x09user:1"),
        "user_key",
        LengthOverrun,
    );
    fails(
        RedisSetMetaKey::parse(b"!st|meta|\x00\x00"),
        "user_key",
        short(4, 2),
    );
    fails(
        RedisSetMemberKey::parse(b"!st|mem|\x00\x00\x00\x05tag"),
        "user_key",
        LengthOverrun,
    );
    fails(
        RedisZsetMetaKey::parse(b"!zs|meta|\x00\x00\x00\x05boar"),
        "user_key",
        LengthOverrun,
    );
    fails(
        RedisZsetMemberKey::parse(b"!zs|mem|\x00\x00\x00"),
        "user_key",
        short(4, 3),
    );
    fails(
        RedisStreamMetaKey::parse(b"!stream|meta|\x00\x00\x00\x07events"),
        "user_key",
        LengthOverrun,
    );
    fails(
        RedisStreamEntryKey::parse(b"!stream|entry|\x00\x00\x00\x07events"),
        "user_key",
        LengthOverrun,
    );
}

#[test]
fn redis_list_items() {
    // fixtures/real-small/entries.txt
    let k = RedisListItemKey::parse(b"!lst|itm|queue\x80\x00\x00\x00\x00\x00\x00\x00").unwrap();
    assert_eq!(k.user_key, b"queue");
    assert_eq!(k.seq, 0);
    let k = RedisListItemKey::parse(b"!lst|itm|queue\x80\x00\x00\x00\x00\x00\x00\x02").unwrap();
    assert_eq!(k.seq, 2);
    // redis.md §3.1: seq -2 is 7F FF FF FF FF FF FF FE.
    let k = RedisListItemKey::parse(b"!lst|itm|q\x7f\xff\xff\xff\xff\xff\xff\xfe").unwrap();
    assert_eq!(k.seq, -2);
    assert_eq!(k.user_key, b"q");
    // Extremes of the signed range.
    let owned = cat(&[b"!lst|itm|q", &be64(0)]);
    let k = RedisListItemKey::parse(&owned).unwrap();
    assert_eq!(k.seq, i64::MIN);
    let owned = cat(&[b"!lst|itm|q", &be64(u64::MAX)]);
    let k = RedisListItemKey::parse(&owned).unwrap();
    assert_eq!(k.seq, i64::MAX);
    // Empty user key with exactly 8 bytes.
    let k = RedisListItemKey::parse(b"!lst|itm|\x80\x00\x00\x00\x00\x00\x00\x05").unwrap();
    assert_eq!(k.user_key, b"");
    assert_eq!(k.seq, 5);
    // Fewer than 8 bytes after the prefix (redis.md §3.1).
    fails(
        RedisListItemKey::parse(b"!lst|itm|\x80\x00\x00\x00\x00\x00\x00"),
        "seq",
        short(8, 7),
    );
    fails(RedisListItemKey::parse(b"!lst|itm|q"), "seq", short(8, 1));
    fails(RedisListItemKey::parse(b"!lst|itm|"), "seq", short(8, 0));
}

#[test]
fn redis_list_meta_delta_and_fallback() {
    let delta = cat(&[b"!lst|meta|d|", &lp(b"queue"), &be64(123456789), &be32(3)]);
    let k = RedisListMetaDeltaKey::parse(&delta).unwrap();
    assert_eq!(k.user_key, b"queue");
    assert_eq!(k.commit_ts, 123456789);
    assert_eq!(k.seq_in_txn, 3);
    fails(
        RedisListMetaDeltaKey::parse(&delta[..delta.len() - 1]),
        "seq_in_txn",
        short(4, 3),
    );
    fails(
        RedisListMetaDeltaKey::parse(&cat(&[&delta, b"x"])),
        "(end)",
        KeyErrorKind::TrailingBytes { count: 1 },
    );

    // The meta key of a list whose user key starts with `d|` routes to the delta family,
    // does not parse as a delta, and parses as list meta (redis.md §3.1, §11 item 3).
    let meta = b"!lst|meta|d|foo";
    let family = route(meta).unwrap();
    assert_eq!(family, Family::Redis(RedisFamily::ListMetaDelta));
    assert!(RedisListMetaDeltaKey::parse(meta).is_err());
    assert_eq!(family.info().fallback, redis(RedisFamily::ListMeta));
    assert_eq!(RedisListMetaKey::parse(meta).unwrap().user_key, b"d|foo");
}

#[test]
fn redis_meta_deltas() {
    for (prefix, parse) in [
        (
            &b"!hs|meta|d|"[..],
            parse_hash_delta as fn(&[u8]) -> Option<(Vec<u8>, u64, u32)>,
        ),
        (b"!st|meta|d|", parse_set_delta),
        (b"!zs|meta|d|", parse_zset_delta),
    ] {
        let key = cat(&[prefix, &lp(b"k"), &be64(42), &be32(7)]);
        assert_eq!(parse(&key), Some((b"k".to_vec(), 42, 7)), "{prefix:?}");
        assert_eq!(parse(&key[..key.len() - 1]), None);
        assert_eq!(parse(&cat(&[&key, b"x"])), None);
        assert_eq!(parse(&cat(&[prefix, b"x"])), None);
    }
}

fn parse_hash_delta(key: &[u8]) -> Option<(Vec<u8>, u64, u32)> {
    RedisHashMetaDeltaKey::parse(key)
        .ok()
        .map(|k| (k.user_key.to_vec(), k.commit_ts, k.seq_in_txn))
}
fn parse_set_delta(key: &[u8]) -> Option<(Vec<u8>, u64, u32)> {
    RedisSetMetaDeltaKey::parse(key)
        .ok()
        .map(|k| (k.user_key.to_vec(), k.commit_ts, k.seq_in_txn))
}
fn parse_zset_delta(key: &[u8]) -> Option<(Vec<u8>, u64, u32)> {
    RedisZsetMetaDeltaKey::parse(key)
        .ok()
        .map(|k| (k.user_key.to_vec(), k.commit_ts, k.seq_in_txn))
}

#[test]
fn redis_list_claim() {
    let owned = cat(&[b"!lst|claim|", &lp(b"queue"), &be64(1 << 63)]);
    let k = RedisListClaimKey::parse(&owned).unwrap();
    assert_eq!(k.user_key, b"queue");
    assert_eq!(k.seq, 0);
    fails(
        RedisListClaimKey::parse(&cat(&[b"!lst|claim|", &lp(b"queue"), &[0x80; 7]])),
        "seq",
        short(8, 7),
    );
}

#[test]
fn redis_sets() {
    // fixtures/real-small/entries.txt
    assert_eq!(
        RedisSetMetaKey::parse(b"!st|meta|\x00\x00\x00\x04tags")
            .unwrap()
            .user_key,
        b"tags"
    );
    assert_eq!(
        RedisSetMetaKey::parse(b"!st|meta|\x00\x00\x00\x04tagsxx")
            .unwrap()
            .user_key,
        b"tags"
    );
    let k = RedisSetMemberKey::parse(b"!st|mem|\x00\x00\x00\x04tagsgreen").unwrap();
    assert_eq!((k.user_key, k.member), (&b"tags"[..], &b"green"[..]));
    let k = RedisSetMemberKey::parse(b"!st|mem|\x00\x00\x00\x04tags").unwrap();
    assert_eq!(k.member, b"");
}

#[test]
fn redis_zsets() {
    // fixtures/real-small/entries.txt
    assert_eq!(
        RedisZsetMetaKey::parse(b"!zs|meta|\x00\x00\x00\x05board")
            .unwrap()
            .user_key,
        b"board"
    );
    let k = RedisZsetMemberKey::parse(b"!zs|mem|\x00\x00\x00\x05boardalice").unwrap();
    assert_eq!((k.user_key, k.member), (&b"board"[..], &b"alice"[..]));
    // Score index: bob -3.0 (negative: all bits flipped), alice 100.5 (sign bit flipped).
    let k =
        RedisZsetScoreKey::parse(b"!zs|scr|\x00\x00\x00\x05board?\xf7\xff\xff\xff\xff\xff\xffbob")
            .unwrap();
    assert_eq!(k.user_key, b"board");
    assert_eq!(k.score, -3.0);
    assert_eq!(k.member, b"bob");
    let k =
        RedisZsetScoreKey::parse(b"!zs|scr|\x00\x00\x00\x05board\xc0Y \x00\x00\x00\x00\x00alice")
            .unwrap();
    assert_eq!(k.score, 100.5);
    assert_eq!(k.member, b"alice");
    // +0 is 80 00 .. 00; empty member.
    let owned = cat(&[b"!zs|scr|", &lp(b"z"), &be64(1 << 63)]);
    let k = RedisZsetScoreKey::parse(&owned).unwrap();
    assert_eq!(k.score, 0.0);
    assert!(k.score.is_sign_positive());
    assert_eq!(k.member, b"");
    // Fewer than 8 score bytes.
    fails(
        RedisZsetScoreKey::parse(&cat(&[b"!zs|scr|", &lp(b"z"), &[0x80; 7]])),
        "score",
        short(8, 7),
    );
}

#[test]
fn redis_streams() {
    // redis.md §3.3: stream entry key for UK `s`, ID 100-5.
    let key = cat(&[
        b"!stream|entry|",
        &hex("00 00 00 01 73"),
        &be64(100),
        &be64(5),
    ]);
    let k = RedisStreamEntryKey::parse(&key).unwrap();
    assert_eq!(k.user_key, b"s");
    assert_eq!(k.ms, 100);
    assert_eq!(k.seq, 5);
    // Exactly 16 bytes after the user key (redis.md §3.2).
    fails(
        RedisStreamEntryKey::parse(&cat(&[&key, b"\x00"])),
        "(end)",
        KeyErrorKind::TrailingBytes { count: 1 },
    );
    fails(
        RedisStreamEntryKey::parse(&key[..key.len() - 1]),
        "seq",
        short(8, 7),
    );
    fails(
        RedisStreamEntryKey::parse(&key[..key.len() - 8]),
        "seq",
        short(8, 0),
    );
    // fixtures/real-small/entries.txt
    let k = RedisStreamEntryKey::parse(
        b"!stream|entry|\x00\x00\x00\x06events\x00\x00\x01\x8b\xcf\xe5h\x01\x00\x00\x00\x00\x00\x00\x00\x00",
    )
    .unwrap();
    assert_eq!(k.user_key, b"events");
    assert_eq!(k.ms, 1_700_000_000_001);
    assert_eq!(k.seq, 0);
    let k = RedisStreamMetaKey::parse(b"!stream|meta|\x00\x00\x00\x06events").unwrap();
    assert_eq!(k.user_key, b"events");
    let k = RedisStreamMetaKey::parse(b"!stream|meta|\x00\x00\x00\x06eventsTRIM").unwrap();
    assert_eq!(k.user_key, b"events");
}

// ------------------------------------------------------------------------------------------
// every real key of fixtures/real-small routes and parses

#[test]
fn real_small_keys_route_and_parse() {
    let keys: Vec<(Vec<u8>, Option<Family>)> = vec![
        (
            b"!ddb|gsi|b3JkZXJz|1|YnktcmVnaW9u|eu\x00\x01".to_vec(),
            ddb(DynamodbFamily::Gsi),
        ),
        (
            b"!ddb|item|c2Vzc2lvbnM|1|abc\x00\x01".to_vec(),
            ddb(DynamodbFamily::Item),
        ),
        (
            b"!ddb|meta|gen|b3JkZXJz".to_vec(),
            ddb(DynamodbFamily::TableGen),
        ),
        (
            b"!ddb|meta|table|b3JkZXJz".to_vec(),
            ddb(DynamodbFamily::TableMeta),
        ),
        (
            b"!hs|fld|\x00\x00\x00\x06user:1age".to_vec(),
            redis(RedisFamily::HashField),
        ),
        (
            b"!hs|meta|\x00\x00\x00\x06user:1".to_vec(),
            redis(RedisFamily::HashMeta),
        ),
        (
            b"!lst|itm|queue\x80\x00\x00\x00\x00\x00\x00\x01".to_vec(),
            redis(RedisFamily::ListItem),
        ),
        (b"!lst|meta|queue".to_vec(), redis(RedisFamily::ListMeta)),
        (b"!redis|str|foo".to_vec(), redis(RedisFamily::String)),
        (
            cat(&[b"!s3|bucket|gen|photos\x00\x01"]),
            internal(InternalFamily::S3BucketGen),
        ),
        (
            b"!s3|bucket|meta|photos\x00\x01".to_vec(),
            s3(S3Family::BucketMeta),
        ),
        (
            b"!sqs|queue|gen|am9icy5maWZv".to_vec(),
            sqs(SqsFamily::QueueGen),
        ),
        (
            b"!sqs|queue|meta|b3JkZXJz".to_vec(),
            sqs(SqsFamily::QueueMeta),
        ),
        (
            b"!sqs|queue|seq|am9icy5maWZv".to_vec(),
            sqs(SqsFamily::QueueSeq),
        ),
        (
            b"!stream|meta|\x00\x00\x00\x06events".to_vec(),
            redis(RedisFamily::StreamMeta),
        ),
        (
            b"!st|mem|\x00\x00\x00\x04tagsred".to_vec(),
            redis(RedisFamily::SetMember),
        ),
        (
            b"!st|meta|\x00\x00\x00\x04tags".to_vec(),
            redis(RedisFamily::SetMeta),
        ),
        (
            b"!zs|mem|\x00\x00\x00\x05boardbob".to_vec(),
            redis(RedisFamily::ZsetMember),
        ),
        (
            b"!zs|meta|\x00\x00\x00\x05board".to_vec(),
            redis(RedisFamily::ZsetMeta),
        ),
        (
            b"!zs|scr|\x00\x00\x00\x05board?\xf7\xff\xff\xff\xff\xff\xffbob".to_vec(),
            redis(RedisFamily::ZsetScore),
        ),
    ];
    for (key, family) in keys {
        assert_eq!(route(&key), family, "{}", String::from_utf8_lossy(&key));
    }
}

// ------------------------------------------------------------------------------------------
// errors name the family

#[test]
fn key_errors_name_family_and_segment() {
    let err = SqsMsgDataKey::parse(&cat(&[b"!sqs|msg|data|cQ", &be64(1)])).unwrap_err();
    assert_eq!(
        (err.family, err.segment, err.offset),
        ("msg_data", "message_id", 24)
    );
    assert!(err.to_string().contains("msg_data"), "{err}");
    let err = S3BlobKey::parse(b"!s3|blob|b").unwrap_err();
    assert_eq!((err.family, err.segment), ("blob", "bucket"));
    let err = DynamodbItemKey::parse(b"!ddb|item|b3JkZXJz||x").unwrap_err();
    assert_eq!(
        (err.family, err.segment, err.offset),
        ("item", "generation", 19)
    );
    // A key that does not start with the family prefix is an error, not a panic.
    fails(
        RedisListItemKey::parse(b""),
        "(prefix)",
        KeyErrorKind::MissingPrefix,
    );
    fails(
        RedisHashMetaKey::parse(b"!hs|fld|\x00\x00\x00\x00"),
        "(prefix)",
        KeyErrorKind::MissingPrefix,
    );
}

// ------------------------------------------------------------------------------------------

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

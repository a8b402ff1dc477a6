//! Writer → reader round trips, including property tests over random streams, framings,
//! buffer sizes and read chunkings.

use proptest::prelude::*;

use super::*;

#[test]
fn sorted_builder_sorts_and_rejects_duplicates() {
    let mut b = SortedSnapshotBuilder::new();
    assert!(b.is_empty());
    b.put_operational(&OperationalRow::LastCommitTs(9)).unwrap();
    b.put_mvcc(b"!b", 1, false, 0, b"old").unwrap();
    b.put_mvcc(b"!b", 2, true, 0, b"").unwrap();
    b.put_mvcc(b"!a", 1, false, 7, b"x").unwrap();
    b.put_mvcc_flags(b"!c", 1, 0, 0, b"y").unwrap();
    assert_eq!(b.len(), 5);
    assert!(b.put_mvcc(b"!a", 1, false, 0, b"again").is_err());
    let bytes = build(WriterFraming::NodeV1 { ceiling_ms: 1 }, 9, |w| {
        b.write_to(w)
    });
    let r = read_all(&bytes).unwrap();
    assert_eq!(
        r.entries,
        vec![
            Owned::Mvcc {
                user_key: b"!a".to_vec(),
                commit_ts: 1,
                tombstone: false,
                expire_at: 7,
                body: b"x".to_vec()
            },
            Owned::Mvcc {
                user_key: b"!b".to_vec(),
                commit_ts: 2,
                tombstone: true,
                expire_at: 0,
                body: vec![]
            },
            Owned::live(b"!b", 1, b"old"),
            Owned::live(b"!c", 1, b"y"),
            Owned::Op(OperationalRow::LastCommitTs(9)),
        ]
    );
}

#[test]
fn writer_counts_bytes_and_streams_large_bodies() {
    let body = vec![7u8; 600 * 1024]; // larger than the writer's flush threshold
    let mut w = SnapshotWriter::new(Vec::new(), WriterFraming::NodeHeaderless, 1).unwrap();
    w.put_mvcc(b"a", 1, false, 0, b"small").unwrap();
    w.put_mvcc(b"b", 1, false, 0, &body).unwrap();
    w.put_mvcc(b"c", 1, false, 0, b"small").unwrap();
    let n = w.bytes_written();
    let bytes = w.finish().unwrap();
    assert_eq!(bytes.len() as u64, n + 4);
    let r = read_all(&bytes).unwrap();
    assert_eq!(r.entries[1], Owned::live(b"b", 1, &body));
    assert!(matches!(r.footer, FooterStatus::Verified(_)));
}

fn framing_strategy() -> impl Strategy<Value = WriterFraming> {
    prop_oneof![
        Just(WriterFraming::Bare),
        Just(WriterFraming::NodeHeaderless),
        any::<u64>().prop_map(|ceiling_ms| WriterFraming::NodeV1 { ceiling_ms }),
        (
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(
                |(ceiling_ms, cutover_index, extension)| WriterFraming::NodeV2 {
                    ceiling_ms,
                    cutover_index,
                    extension
                }
            ),
    ]
}

type RawEntry = (Vec<u8>, u64, bool, u64, Vec<u8>);

fn entries_strategy() -> impl Strategy<Value = Vec<RawEntry>> {
    proptest::collection::vec(
        (
            proptest::collection::vec(any::<u8>(), 0..6),
            any::<u64>(),
            any::<bool>(),
            prop_oneof![Just(0u64), any::<u64>()],
            proptest::collection::vec(any::<u8>(), 0..300),
        ),
        0..20,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn round_trip(
        framing in framing_strategy(),
        last_commit_ts in any::<u64>(),
        entries in entries_strategy(),
        meta in proptest::option::of(any::<u64>()),
        buffer_size in 1usize..400,
        chunk in 1usize..100,
        verify in any::<bool>(),
    ) {
        let mut b = SortedSnapshotBuilder::new();
        for (k, ts, tomb, exp, body) in &entries {
            let _ = b.put_mvcc(k, *ts, *tomb, *exp, body); // duplicates dropped
        }
        if let Some(v) = meta {
            b.put_operational(&OperationalRow::AppliedIndex(v)).unwrap();
        }
        let has_footer = !matches!(framing, WriterFraming::Bare);
        let bytes = build(framing, last_commit_ts, |w| b.write_to(w));

        let opts = ReaderOptions { verify_crc: verify, buffer_size };
        let r = read_all_with(Trickle::new(&bytes, chunk), opts).unwrap();
        prop_assert_eq!(r.info.last_commit_ts, last_commit_ts);
        prop_assert_eq!(r.bytes_read, bytes.len() as u64);
        prop_assert_eq!(r.entries.len(), b.len());
        match (has_footer, r.footer) {
            (false, FooterStatus::Absent) => {}
            (true, FooterStatus::Verified(c)) if verify => {
                prop_assert_eq!(c, crc32c::crc32c(&bytes[..bytes.len() - 4]));
            }
            (true, FooterStatus::Unverified(_)) if !verify => {}
            (h, f) => prop_assert!(false, "footer {:?} with has_footer {}", f, h),
        }
        // Same result with the default (large) buffer and a plain slice.
        let r2 = read_all(&bytes).unwrap();
        prop_assert_eq!(&r.entries, &r2.entries);
        // Every MVCC entry is one we put, in ascending encoded-key order.
        let mut prev: Option<Vec<u8>> = None;
        for e in &r.entries {
            if let Owned::Mvcc { user_key, commit_ts, .. } = e {
                let k = crate::snapshot::entry::encode_mvcc_key(user_key, *commit_ts);
                if let Some(p) = &prev {
                    prop_assert!(p < &k);
                }
                prev = Some(k);
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..200),
        prefix in 0usize..4,
        buffer_size in 1usize..100,
    ) {
        let mut bytes = match prefix {
            0 => Vec::new(),
            1 => b"EKVPBBL1".to_vec(),
            2 => b"EKVTHLC1\0\0\0\0\0\0\0\0EKVPBBL1".to_vec(),
            _ => b"EKVTHLC2\x00\x10".to_vec(),
        };
        bytes.extend_from_slice(&data);
        let opts = ReaderOptions { verify_crc: true, buffer_size };
        if let Ok(mut r) = SnapshotReader::open(&bytes[..], opts) {
            while let Ok(Some(_)) = r.next_entry() {}
            prop_assert!(r.bytes_read() <= bytes.len() as u64);
        }
    }
}

//! Entry-level reading: every scenario of elastickv's snapshot_reader_test.go (core.md §9.1),
//! the error-order rules of §1.5, operational rows (§1.6) and key order.

use super::*;
use crate::snapshot::entry::encode_mvcc_key;

// ---- core.md §9.1 -------------------------------------------------------------------

#[test]
fn header_only() {
    let bytes = bare(7, |_| Ok(()));
    assert_eq!(bytes.len(), 16);
    let r = read_all(&bytes).unwrap();
    assert!(r.entries.is_empty());
    assert_eq!(r.info.last_commit_ts, 7);
    assert_eq!(r.info.framing, Framing::BareStream);
    assert_eq!(r.info.fsm_header, None);
    assert_eq!(r.footer, FooterStatus::Absent);
    assert_eq!(r.bytes_read, 16);
}

#[test]
fn single_entry_round_trip() {
    let bytes = bare(100, |w| {
        w.put_mvcc(b"!redis|str|hello", 42, false, 1_234_567, b"world")
    });
    let mut r = SnapshotReader::open(&bytes[..], ReaderOptions::default()).unwrap();
    assert_eq!(r.info().last_commit_ts, 100);
    match r.next_entry().unwrap() {
        Some(Entry::Mvcc(m)) => {
            assert_eq!(m.user_key, b"!redis|str|hello");
            assert_eq!(m.encoded_key, encode_mvcc_key(b"!redis|str|hello", 42));
            assert_eq!(m.commit_ts, 42);
            assert!(!m.tombstone);
            assert_eq!(m.expire_at, 1_234_567);
            assert_eq!(m.body, b"world");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(r.entry_offset(), 16);
    assert!(r.next_entry().unwrap().is_none());
    assert_eq!(r.entries_read(), 1);
    assert_eq!(r.bytes_read(), bytes.len() as u64);
}

#[test]
fn worked_example_bytes_of_core_md() {
    // core.md §1.1: 76 bytes, `!redis|str|greeting` = FF 01 00 "hello", commitTS 1.
    let bytes = bare(1, |w| {
        w.put_mvcc(b"!redis|str|greeting", 1, false, 0, b"\xFF\x01\x00hello")
    });
    assert_eq!(bytes.len(), 76);
    let mut expected = Vec::new();
    expected.extend_from_slice(b"EKVPBBL1");
    expected.extend_from_slice(&le(1));
    expected.extend_from_slice(&le(27));
    expected.extend_from_slice(b"!redis|str|greeting");
    expected.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]);
    expected.extend_from_slice(&le(17));
    expected.push(0);
    expected.extend_from_slice(&le(0));
    expected.extend_from_slice(b"\xFF\x01\x00hello");
    assert_eq!(bytes, expected);
    let r = read_all(&bytes).unwrap();
    assert_eq!(
        r.entries,
        vec![Owned::live(b"!redis|str|greeting", 1, b"\xFF\x01\x00hello")]
    );
}

#[test]
fn tombstone_flag_surfaced() {
    let bytes = bare(1, |w| w.put_mvcc_flags(b"k", 5, 0x01, 0, b""));
    let r = read_all(&bytes).unwrap();
    assert_eq!(
        r.entries,
        vec![Owned::Mvcc {
            user_key: b"k".to_vec(),
            commit_ts: 5,
            tombstone: true,
            expire_at: 0,
            body: vec![],
        }]
    );
}

#[test]
fn multiple_entries_preserve_order() {
    let bytes = bare(1, |w| {
        w.put_mvcc(b"a", 1, false, 0, b"1")?;
        w.put_mvcc(b"b", 1, false, 0, b"2")?;
        w.put_mvcc(b"c", 1, false, 0, b"3")
    });
    let r = read_all(&bytes).unwrap();
    assert_eq!(
        r.entries,
        vec![
            Owned::live(b"a", 1, b"1"),
            Owned::live(b"b", 1, b"2"),
            Owned::live(b"c", 1, b"3"),
        ]
    );
}

#[test]
fn rejects_bad_magic() {
    let mut bytes = b"MVCCSTRM".to_vec();
    bytes.extend_from_slice(&[0u8; 16]);
    let err = read_all(&bytes).unwrap_err();
    assert!(
        matches!(err, SnapshotError::BadMagic { found } if &found == b"MVCCSTRM"),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"MVCCSTRM\""), "{err}");
}

#[test]
fn rejects_truncated_header() {
    let err = read_all(b"EKVP").unwrap_err();
    assert!(
        matches!(err, SnapshotError::TruncatedHeader { input_len: 4 }),
        "{err:?}"
    );
    // Magic complete, lastCommitTS incomplete.
    let err = read_all(b"EKVPBBL1\x01\x02").unwrap_err();
    assert!(
        matches!(err, SnapshotError::TruncatedHeader { input_len: 10 }),
        "{err:?}"
    );
}

#[test]
fn rejects_truncated_entry() {
    let bytes = bare(1, |w| w.write_raw_bytes(&le(32)));
    let err = read_all(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            SnapshotError::Truncated {
                offset: 16,
                part: EntryPart::Key
            }
        ),
        "{err:?}"
    );
}

#[test]
fn rejects_truncated_before_value_length() {
    let key = encode_mvcc_key(b"k", 1);
    let bytes = bare(1, |w| {
        w.write_raw_bytes(&le(key.len() as u64))?;
        w.write_raw_bytes(&key)
    });
    let err = read_all(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            SnapshotError::Truncated {
                part: EntryPart::ValueLength,
                ..
            }
        ),
        "{err:?}"
    );
    // A partial value length is truncation as well.
    let bytes = bare(1, |w| {
        w.write_raw_bytes(&le(key.len() as u64))?;
        w.write_raw_bytes(&key)?;
        w.write_raw_bytes(&[9, 0, 0])
    });
    let err = read_all(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            SnapshotError::Truncated {
                part: EntryPart::ValueLength,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn rejects_key_length_over_budget() {
    let bytes = bare(1, |w| w.write_raw_bytes(&le(MAX_ENCODED_KEY_SIZE + 1)));
    let (entries, err) = read_until_error(&bytes);
    assert!(entries.is_empty());
    assert!(
        matches!(err, Some(SnapshotError::KeyTooLarge { len, offset: 16 }) if len == MAX_ENCODED_KEY_SIZE + 1),
        "{err:?}"
    );
    // u64::MAX must not be mistaken for anything else either.
    let bytes = bare(1, |w| w.write_raw_bytes(&le(u64::MAX)));
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::KeyTooLarge { .. }
    ));
}

#[test]
fn rejects_value_length_over_budget() {
    let key = encode_mvcc_key(b"k", 1);
    let bytes = bare(1, |w| {
        w.write_raw_bytes(&le(key.len() as u64))?;
        w.write_raw_bytes(&key)?;
        w.write_raw_bytes(&le(MAX_ENCODED_VALUE_SIZE + 1))
    });
    let (entries, err) = read_until_error(&bytes);
    assert!(entries.is_empty());
    assert!(
        matches!(err, Some(SnapshotError::ValueTooLarge { len, offset: 16 }) if len == MAX_ENCODED_VALUE_SIZE + 1),
        "{err:?}"
    );
}

#[test]
fn accepts_key_length_at_budget_boundary() {
    let user_key: Vec<u8> = (0..MAX_ENCODED_KEY_SIZE as usize - 8)
        .map(|i| (i % 251) as u8)
        .collect();
    let bytes = bare(1, |w| w.put_mvcc(&user_key, 9, false, 0, b"v"));
    let r = read_all(&bytes).unwrap();
    assert_eq!(r.entries, vec![Owned::live(&user_key, 9, b"v")]);
    // One byte more is refused by the writer (the reader test above covers the reader).
    let mut w = SnapshotWriter::new(Vec::new(), WriterFraming::Bare, 1).unwrap();
    let mut longer = user_key.clone();
    longer.push(0);
    assert!(w.put_mvcc(&longer, 9, false, 0, b"v").is_err());
}

#[test]
fn accepts_value_length_at_budget_boundary_header() {
    // Equality is accepted: the reader goes on to read the value and finds it truncated.
    let key = encode_mvcc_key(b"k", 1);
    let bytes = bare(1, |w| {
        w.write_raw_bytes(&le(key.len() as u64))?;
        w.write_raw_bytes(&key)?;
        w.write_raw_bytes(&le(MAX_ENCODED_VALUE_SIZE))?;
        w.write_raw_bytes(&[0u8; 100])
    });
    let err = read_all(&bytes).unwrap_err();
    assert!(
        matches!(
            err,
            SnapshotError::Truncated {
                part: EntryPart::Value,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn rejects_short_key() {
    let bytes = bare(1, |w| w.put_raw(b"abcd", &[0u8; 9]));
    let err = read_all(&bytes).unwrap_err();
    assert!(
        matches!(err, SnapshotError::ShortKey { len: 4, offset: 16 }),
        "{err:?}"
    );
}

#[test]
fn rejects_short_value() {
    let bytes = bare(1, |w| w.put_raw(b"123456789", b"abcd"));
    let err = read_all(&bytes).unwrap_err();
    assert!(
        matches!(err, SnapshotError::ShortValue { len: 4, offset: 16 }),
        "{err:?}"
    );
}

#[test]
fn rejects_encrypted_entry() {
    let bytes = bare(1, |w| w.put_mvcc_flags(b"k", 1, 0x02, 0, &[0u8; 40]));
    let (entries, err) = read_until_error(&bytes);
    assert!(entries.is_empty());
    assert!(
        matches!(
            err,
            Some(SnapshotError::EncryptedEntry {
                flags: 0x02,
                offset: 16
            })
        ),
        "{err:?}"
    );
}

#[test]
fn rejects_reserved_encryption_state() {
    for flags in [0x04u8, 0x06, 0x08, 0x80, 0x10, 0xF8, 0xFF] {
        let bytes = bare(1, |w| w.put_mvcc_flags(b"k", 1, flags, 0, b"x"));
        let err = read_all(&bytes).unwrap_err();
        assert!(
            matches!(err, SnapshotError::EncryptedReserved { flags: f, .. } if f == flags),
            "flags {flags:#x}: {err:?}"
        );
    }
}

#[test]
fn reader_is_lazy_and_stops_where_the_caller_stops() {
    // Upstream: a callback error stops iteration after one call. Here the caller simply
    // stops pulling; nothing beyond the first entry has been decoded.
    let bytes = bare(1, |w| {
        w.put_mvcc(b"a", 1, false, 0, b"1")?;
        w.put_raw(b"zz", b"bogus-would-fail") // would be ShortKey
    });
    let mut r = SnapshotReader::open(&bytes[..], ReaderOptions::default()).unwrap();
    let first = Owned::from_entry(&r.next_entry().unwrap().unwrap());
    assert_eq!(first, Owned::live(b"a", 1, b"1"));
    // And the error surfaces only when asked for, then sticks.
    assert!(matches!(
        r.next_entry(),
        Err(SnapshotError::ShortKey { len: 2, .. })
    ));
    assert!(r.next_entry().is_err());
    assert!(!r.is_finished());
}

#[test]
fn commit_ts_inversion_round_trips() {
    let stamps = [u64::MAX, u64::MAX - 1, 1u64 << 32, 1, 0]; // newest first = ascending keys
    let bytes = bare(1, |w| {
        for ts in stamps {
            w.put_mvcc(b"k", ts, false, 0, b"")?;
        }
        Ok(())
    });
    let r = read_all(&bytes).unwrap();
    let got: Vec<u64> = r
        .entries
        .iter()
        .map(|e| match e {
            Owned::Mvcc { commit_ts, .. } => *commit_ts,
            Owned::Op(_) => unreachable!(),
        })
        .collect();
    assert_eq!(got, stamps);
    // The documented suffixes.
    assert_eq!(&encode_mvcc_key(b"", 0), &[0xFF; 8]);
    assert_eq!(
        &encode_mvcc_key(b"", 42),
        &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xD5]
    );
    assert_eq!(&encode_mvcc_key(b"", u64::MAX), &[0x00; 8]);
}

#[test]
fn empty_value_body_and_empty_user_key() {
    let bytes = bare(1, |w| w.put_mvcc(b"", 3, false, 0, b""));
    let r = read_all(&bytes).unwrap();
    assert_eq!(r.entries, vec![Owned::live(b"", 3, b"")]);
}

// ---- error order (core.md §1.5, §9.10) -------------------------------------------------

#[test]
fn reserved_bits_win_over_encryption_state() {
    let bytes = bare(1, |w| w.put_mvcc_flags(b"k", 1, 0x0A, 0, b"x"));
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::EncryptedReserved { flags: 0x0A, .. }
    ));
    // An encrypted tombstone is an encrypted entry.
    let bytes = bare(1, |w| w.put_mvcc_flags(b"k", 1, 0x03, 0, b"x"));
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::EncryptedEntry { flags: 0x03, .. }
    ));
}

#[test]
fn truncation_wins_over_short_key() {
    // 4-byte key followed by a truncated value → Truncated, not ShortKey.
    let bytes = bare(1, |w| {
        w.write_raw_bytes(&le(4))?;
        w.write_raw_bytes(b"abcd")?;
        w.write_raw_bytes(&le(9))?;
        w.write_raw_bytes(&[0, 0])
    });
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::Truncated {
            part: EntryPart::Value,
            ..
        }
    ));
}

#[test]
fn short_key_wins_over_short_value() {
    let bytes = bare(1, |w| w.put_raw(b"abc", b"x"));
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::ShortKey { len: 3, .. }
    ));
}

#[test]
fn key_limit_checked_before_any_key_byte() {
    // No key bytes follow at all, yet the error is the limit, not truncation.
    let bytes = bare(1, |w| w.write_raw_bytes(&le(MAX_ENCODED_KEY_SIZE + 1)));
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::KeyTooLarge { .. }
    ));
}

#[test]
fn errors_carry_the_entry_offset() {
    let first_len = 8 + 9 + 8 + 10; // keyLen + "a"+suffix + valLen + header+1
    let bytes = bare(1, |w| {
        w.put_mvcc(b"a", 1, false, 0, b"1")?;
        w.put_mvcc_flags(b"b", 1, 0x40, 0, b"")
    });
    let err = read_all(&bytes).unwrap_err();
    assert!(
        matches!(err, SnapshotError::EncryptedReserved { flags: 0x40, offset } if offset == 16 + first_len),
        "{err:?}"
    );
    assert!(err.to_string().contains("offset 51"), "{err}");
}

// ---- operational rows (core.md §1.6) ---------------------------------------------------

#[test]
fn operational_rows_are_recognised() {
    let writer = OperationalRow::EncryptionWriter {
        dek_id: 0x0102_0304,
        node_id: 0xBEEF,
        full_node_id: 0xF1F2_F3F4_F5F6_F7F8,
        first_epoch: 3,
        last_epoch: 9,
    };
    let bytes = bare(1, |w| {
        w.put_mvcc(b"!aaa", 1, false, 0, b"x")?;
        w.put_operational(&writer)?;
        w.put_mvcc(b"!redis|str|k", 1, false, 0, b"x")?;
        w.put_operational(&OperationalRow::AppliedIndex(109))?;
        w.put_operational(&OperationalRow::LastCommitTs(77))?;
        w.put_operational(&OperationalRow::MinRetainedTs(5))?;
        w.put_operational(&OperationalRow::PendingMinRetainedTs(6))
    });
    let r = read_all(&bytes).unwrap();
    assert_eq!(
        r.entries,
        vec![
            Owned::live(b"!aaa", 1, b"x"),
            Owned::Op(writer),
            Owned::live(b"!redis|str|k", 1, b"x"),
            Owned::Op(OperationalRow::AppliedIndex(109)),
            Owned::Op(OperationalRow::LastCommitTs(77)),
            Owned::Op(OperationalRow::MinRetainedTs(5)),
            Owned::Op(OperationalRow::PendingMinRetainedTs(6)),
        ]
    );
    // Layout of the writer-registry row.
    let (k, v) = writer.encode();
    assert_eq!(k.len(), 27);
    assert_eq!(&k[..20], b"!encryption|writers|");
    assert_eq!(&k[20..], &[1, 2, 3, 4, b'|', 0xBE, 0xEF]);
    assert_eq!(
        v,
        vec![0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0, 3, 0, 9]
    );
    assert_eq!(OperationalRow::parse(&k, &v), Some(writer));
    assert_eq!(writer.name(), "encryption_writer");
}

#[test]
fn operational_shape_must_be_exact() {
    // `_meta_applied_index` with a 7-byte value is not operational: decoded as MVCC, its
    // 7-byte value is too short.
    let bytes = bare(1, |w| w.put_raw(b"_meta_applied_index", &[1; 7]));
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::ShortValue { len: 7, .. }
    ));
    // Unknown `_meta_` key with 8-byte value → MVCC → short value.
    let bytes = bare(1, |w| w.put_raw(b"_meta_other", &[1; 8]));
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::ShortValue { len: 8, .. }
    ));
    // `_meta_last_commit_ts` with a 9+-byte value is an MVCC row of user key `_meta_last_c`.
    let bytes = bare(1, |w| w.put_raw(b"_meta_last_commit_ts", &[0; 10]));
    let r = read_all(&bytes).unwrap();
    assert!(
        matches!(&r.entries[..], [Owned::Mvcc { user_key, .. }] if user_key == b"_meta_last_c")
    );
    // Writer-registry key with an 11-byte value → MVCC with user key `!encryption|writers`.
    let (k, _) = OperationalRow::EncryptionWriter {
        dek_id: 1,
        node_id: 2,
        full_node_id: 3,
        first_epoch: 4,
        last_epoch: 5,
    }
    .encode();
    let bytes = bare(1, |w| w.put_raw(&k, &[0; 11]));
    let r = read_all(&bytes).unwrap();
    assert!(
        matches!(&r.entries[..], [Owned::Mvcc { user_key, .. }] if user_key == b"!encryption|writers")
    );
    // 27-byte key with the prefix but no `|` at byte 24 → MVCC; the value's first byte
    // (0x01) is the tombstone flag.
    let mut k2 = k.clone();
    k2[24] = b'#';
    let bytes = bare(1, |w| w.put_raw(&k2, &[1; 12]));
    let r = read_all(&bytes).unwrap();
    assert!(matches!(
        &r.entries[..],
        [Owned::Mvcc {
            tombstone: true,
            ..
        }]
    ));
}

#[test]
fn writer_row_with_high_node_id_byte_is_not_an_encryption_error() {
    // Upstream mis-parses this row as MVCC and fails with EncryptedReserved (core.md §1.7);
    // recognising it by shape first avoids that.
    let row = OperationalRow::EncryptionWriter {
        dek_id: 7,
        node_id: 0x1234,
        full_node_id: 0xAB00_0000_0000_1234,
        first_epoch: 1,
        last_epoch: 1,
    };
    let bytes = bare(1, |w| w.put_operational(&row));
    assert_eq!(read_all(&bytes).unwrap().entries, vec![Owned::Op(row)]);
}

// ---- key order ---------------------------------------------------------------------------

#[test]
fn rejects_descending_keys() {
    let bytes = bare(1, |w| {
        w.put_mvcc(b"b", 1, false, 0, b"")?;
        w.put_mvcc(b"a", 1, false, 0, b"")
    });
    let (entries, err) = read_until_error(&bytes);
    assert_eq!(entries.len(), 1);
    assert!(
        matches!(err, Some(SnapshotError::OutOfOrder { offset }) if offset == 16 + 34),
        "{err:?}"
    );
}

#[test]
fn rejects_duplicate_keys() {
    let bytes = bare(1, |w| {
        w.put_mvcc(b"a", 1, false, 0, b"x")?;
        w.put_mvcc(b"a", 1, false, 0, b"y")
    });
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::OutOfOrder { .. }
    ));
}

#[test]
fn rejects_versions_oldest_first() {
    // Same user key, older version first: the raw keys descend.
    let bytes = bare(1, |w| {
        w.put_mvcc(b"a", 1, false, 0, b"")?;
        w.put_mvcc(b"a", 2, false, 0, b"")
    });
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::OutOfOrder { .. }
    ));
}

#[test]
fn order_applies_across_operational_rows() {
    let bytes = bare(1, |w| {
        w.put_operational(&OperationalRow::AppliedIndex(1))?;
        w.put_mvcc(b"!redis|str|k", 1, false, 0, b"")
    });
    assert!(matches!(
        read_all(&bytes).unwrap_err(),
        SnapshotError::OutOfOrder { .. }
    ));
}

#[test]
fn prefix_key_sorts_first() {
    // A raw key that is a prefix of the next is smaller: accepted.
    let bytes = bare(1, |w| {
        w.put_raw(b"_meta_applied_index", &le(1))?;
        w.put_raw(b"_meta_applied_index2", &[0; 9])
    });
    assert_eq!(read_all(&bytes).unwrap().entries.len(), 2);
}

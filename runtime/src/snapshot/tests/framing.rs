//! Framing: bare streams, node files with and without FSM header, CRC footer, unsupported
//! formats, truncation at every byte.

use super::*;
use crate::snapshot::framing::describe_magic;

fn two_entries(w: &mut SnapshotWriter<Vec<u8>>) -> io::Result<()> {
    w.put_mvcc(b"!redis|str|a", 10, false, 0, b"alpha")?;
    w.put_mvcc(b"!redis|str|b", 11, true, 0, b"")?;
    w.put_operational(&OperationalRow::LastCommitTs(11))
}

fn expected_two() -> Vec<Owned> {
    vec![
        Owned::live(b"!redis|str|a", 10, b"alpha"),
        Owned::Mvcc {
            user_key: b"!redis|str|b".to_vec(),
            commit_ts: 11,
            tombstone: true,
            expire_at: 0,
            body: vec![],
        },
        Owned::Op(OperationalRow::LastCommitTs(11)),
    ]
}

fn crc_of(bytes: &[u8]) -> u32 {
    crc32c::crc32c(bytes)
}

#[test]
fn bare_stream() {
    let bytes = bare(11, two_entries);
    let r = read_all(&bytes).unwrap();
    assert_eq!(r.entries, expected_two());
    assert_eq!(r.info.framing, Framing::BareStream);
    assert_eq!(r.footer, FooterStatus::Absent);
    assert_eq!(r.bytes_read, bytes.len() as u64);
}

#[test]
fn headerless_node_file_with_footer() {
    let bytes = build(WriterFraming::NodeHeaderless, 11, two_entries);
    let body_len = bytes.len() - 4;
    assert_eq!(
        u32::from_be_bytes(bytes[body_len..].try_into().unwrap()),
        crc_of(&bytes[..body_len])
    );
    let r = read_all(&bytes).unwrap();
    assert_eq!(r.entries, expected_two());
    assert_eq!(r.info.framing, Framing::NodeFile { header: None });
    assert_eq!(r.info.fsm_header, None);
    assert_eq!(r.footer, FooterStatus::Verified(crc_of(&bytes[..body_len])));
    assert_eq!(r.bytes_read, bytes.len() as u64);
}

#[test]
fn headerless_framing_is_bare_until_the_footer_is_seen() {
    let bytes = build(WriterFraming::NodeHeaderless, 11, two_entries);
    let mut r = SnapshotReader::open(&bytes[..], ReaderOptions::default()).unwrap();
    assert_eq!(r.info().framing, Framing::BareStream);
    while r.next_entry().unwrap().is_some() {}
    assert_eq!(r.info().framing, Framing::NodeFile { header: None });
}

#[test]
fn node_file_v1() {
    let bytes = build(
        WriterFraming::NodeV1 {
            ceiling_ms: 1_780_000_003_000,
        },
        11,
        two_entries,
    );
    assert_eq!(&bytes[..8], b"EKVTHLC1");
    assert_eq!(&bytes[16..24], b"EKVPBBL1");
    let r = read_all(&bytes).unwrap();
    let h = FsmHeader::V1 {
        ceiling_ms: 1_780_000_003_000,
    };
    assert_eq!(h.encoded_len(), 16);
    assert_eq!(r.info.fsm_header, Some(h));
    assert_eq!(r.info.framing, Framing::NodeFile { header: Some(h) });
    assert_eq!(r.info.last_commit_ts, 11);
    assert_eq!(r.entries, expected_two());
    assert!(matches!(r.footer, FooterStatus::Verified(_)));
}

#[test]
fn node_file_v2_with_extension_bytes() {
    for ext_len in [0usize, 1, 5, 1008] {
        let extension: Vec<u8> = (0..ext_len).map(|i| (i * 7) as u8).collect();
        let bytes = build(
            WriterFraming::NodeV2 {
                ceiling_ms: 1234,
                cutover_index: 99,
                extension,
            },
            11,
            two_entries,
        );
        assert_eq!(&bytes[..8], b"EKVTHLC2");
        assert_eq!(
            u16::from_be_bytes([bytes[8], bytes[9]]) as usize,
            16 + ext_len
        );
        let r = read_all(&bytes).unwrap();
        let h = FsmHeader::V2 {
            ceiling_ms: 1234,
            cutover_index: 99,
            extension_len: ext_len as u16,
        };
        assert_eq!(h.encoded_len(), 26 + ext_len as u64);
        assert_eq!(r.info.fsm_header, Some(h));
        assert_eq!(r.entries, expected_two());
        assert!(matches!(r.footer, FooterStatus::Verified(_)));
    }
    // The writer refuses a payload over 1024 bytes.
    assert!(SnapshotWriter::new(
        Vec::new(),
        WriterFraming::NodeV2 {
            ceiling_ms: 0,
            cutover_index: 0,
            extension: vec![0; 1009],
        },
        0
    )
    .is_err());
}

#[test]
fn node_file_v2_bad_payload_length() {
    for p in [0u16, 15, 1025, u16::MAX] {
        let mut bytes = b"EKVTHLC2".to_vec();
        bytes.extend_from_slice(&p.to_be_bytes());
        bytes.extend_from_slice(&[0u8; 64]);
        let err = read_all(&bytes).unwrap_err();
        assert!(
            matches!(err, SnapshotError::BadFsmHeader { payload_len } if payload_len == p),
            "{p}: {err:?}"
        );
        assert!(err.to_string().contains("[16, 1024]"), "{err}");
    }
}

#[test]
fn unsupported_formats() {
    let cases: [(&[u8; 8], &str); 5] = [
        (b"EKVSSTI1", "unsupported snapshot format: magic \"EKVSSTI1\" (SST-ingest stream)"),
        (
            b"EKVMVCC2",
            "unsupported snapshot format: magic \"EKVMVCC2\" (in-memory store streaming format)",
        ),
        (
            b"EKVTHLC3",
            "unsupported snapshot format: magic \"EKVTHLC3\" (FSM header of unknown version '3')",
        ),
        (
            b"EKVTHLC\x00",
            "unsupported snapshot format: magic \"EKVTHLC\\x00\" (FSM header of unknown version byte 0x00)",
        ),
        (
            b"EKVPBBL2",
            "unsupported snapshot format: magic \"EKVPBBL2\" (unknown elastickv format)",
        ),
    ];
    for (magic, message) in cases {
        let bytes = SnapshotWriter::with_store_magic(Vec::new(), WriterFraming::Bare, *magic, 1)
            .unwrap()
            .finish()
            .unwrap();
        let err = read_all(&bytes).unwrap_err();
        assert!(
            matches!(err, SnapshotError::UnsupportedFormat { magic: m, offset: 0 } if &m == magic),
            "{err:?}"
        );
        assert_eq!(err.to_string(), message);
    }
    assert_eq!(describe_magic(b"EKVPBBL1"), "Pebble store stream");
    assert_eq!(describe_magic(b"NOTASNAP"), "not an elastickv magic");
}

#[test]
fn unknown_magic_is_bad_magic() {
    for magic in [b"\0\0\0\0\0\0\0\0", b"PK\x03\x04abcd", b"EKZPBBL1"] {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&[0u8; 8]);
        let err = read_all(&bytes).unwrap_err();
        assert!(
            matches!(err, SnapshotError::BadMagic { found } if &found == magic),
            "{err:?}"
        );
    }
}

#[test]
fn header_followed_by_unsupported_store_stream() {
    for framing in [
        WriterFraming::NodeV1 { ceiling_ms: 5 },
        WriterFraming::NodeV2 {
            ceiling_ms: 5,
            cutover_index: 6,
            extension: vec![1, 2, 3],
        },
    ] {
        let header_len: u64 = match &framing {
            WriterFraming::NodeV1 { .. } => 16,
            _ => 29,
        };
        for inner in [b"EKVSSTI1", b"EKVMVCC2", b"EKVTHLC1", b"garbage!"] {
            let bytes = SnapshotWriter::with_store_magic(Vec::new(), framing.clone(), *inner, 1)
                .unwrap()
                .finish()
                .unwrap();
            let err = read_all(&bytes).unwrap_err();
            assert!(
                matches!(err, SnapshotError::UnsupportedFormat { magic, offset } if &magic == inner && offset == header_len),
                "{err:?}"
            );
            assert!(err.to_string().contains("after the FSM header"), "{err}");
        }
    }
}

#[test]
fn header_only_inputs() {
    // Bare 16-byte stream: success, no entries.
    let r = read_all(&bare(3, |_| Ok(()))).unwrap();
    assert!(r.entries.is_empty());
    // Headerless node file: 16 bytes + footer.
    let r = read_all(&build(WriterFraming::NodeHeaderless, 3, |_| Ok(()))).unwrap();
    assert!(r.entries.is_empty());
    assert!(matches!(r.footer, FooterStatus::Verified(_)));
    // v1 file with an empty store stream and a footer.
    let bytes = build(WriterFraming::NodeV1 { ceiling_ms: 9 }, 3, |_| Ok(()));
    assert_eq!(bytes.len(), 36);
    let r = read_all(&bytes).unwrap();
    assert!(r.entries.is_empty());
    assert_eq!(r.info.last_commit_ts, 3);
    // ... without its footer.
    assert!(matches!(
        read_all(&bytes[..32]).unwrap_err(),
        SnapshotError::MissingFooter { offset: 32 }
    ));
    // FSM header alone.
    assert!(matches!(
        read_all(&bytes[..16]).unwrap_err(),
        SnapshotError::TruncatedHeader { input_len: 16 }
    ));
}

#[test]
fn zero_byte_input() {
    let err = read_all(b"").unwrap_err();
    assert!(matches!(err, SnapshotError::EmptyInput), "{err:?}");
    assert!(err.to_string().contains("empty"));
}

#[test]
fn crc_mismatch() {
    let bytes = build(WriterFraming::NodeV1 { ceiling_ms: 1 }, 11, two_entries);
    let n = bytes.len();
    // A flipped byte inside a value body.
    let pos = bytes.windows(5).position(|w| w == b"alpha").unwrap();
    let mut bad = bytes.clone();
    bad[pos] ^= 0x20;
    let (entries, err) = read_until_error(&bad);
    assert_eq!(entries.len(), 3, "entries are delivered before the footer");
    match err {
        Some(SnapshotError::CrcMismatch { expected, actual }) => {
            assert_eq!(
                expected,
                u32::from_be_bytes(bytes[n - 4..].try_into().unwrap())
            );
            assert_eq!(actual, crc_of(&bad[..n - 4]));
        }
        other => panic!("{other:?}"),
    }
    // A flipped footer byte.
    let mut bad = bytes.clone();
    bad[n - 1] ^= 1;
    assert!(matches!(
        read_all(&bad).unwrap_err(),
        SnapshotError::CrcMismatch { .. }
    ));
    // A headerless stream with a 4-byte tail that is not its CRC.
    let mut bad = bare(11, two_entries);
    bad.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]);
    let err = read_all(&bad).unwrap_err();
    assert!(
        matches!(
            err,
            SnapshotError::CrcMismatch {
                expected: 0xDEAD_BEEF,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("0xdeadbeef"), "{err}");
}

#[test]
fn missing_footer() {
    for framing in [
        WriterFraming::NodeV1 { ceiling_ms: 1 },
        WriterFraming::NodeV2 {
            ceiling_ms: 1,
            cutover_index: 2,
            extension: vec![],
        },
    ] {
        let bytes = build(framing, 11, two_entries);
        let cut = &bytes[..bytes.len() - 4];
        let (entries, err) = read_until_error(cut);
        assert_eq!(entries.len(), 3);
        assert!(
            matches!(err, Some(SnapshotError::MissingFooter { offset }) if offset == cut.len() as u64),
            "{err:?}"
        );
    }
}

#[test]
fn verify_off() {
    let opts = ReaderOptions {
        verify_crc: false,
        ..ReaderOptions::default()
    };
    let bytes = build(WriterFraming::NodeV1 { ceiling_ms: 1 }, 11, two_entries);
    let footer = u32::from_be_bytes(bytes[bytes.len() - 4..].try_into().unwrap());
    let r = read_all_with(&bytes[..], opts).unwrap();
    assert_eq!(r.footer, FooterStatus::Unverified(footer));
    // A corrupted footer passes unnoticed.
    let mut bad = bytes.clone();
    let n = bad.len();
    bad[n - 1] ^= 0xFF;
    let r = read_all_with(&bad[..], opts).unwrap();
    assert_eq!(r.footer, FooterStatus::Unverified(footer ^ 0xFF));
    assert_eq!(r.entries, expected_two());
    // Structure is still checked: a missing footer is still an error.
    assert!(matches!(
        read_all_with(&bytes[..n - 4], opts).unwrap_err(),
        SnapshotError::MissingFooter { .. }
    ));
}

#[test]
fn clean_eof_after_entries() {
    let bytes = bare(11, two_entries);
    let mut r = SnapshotReader::open(&bytes[..], ReaderOptions::default()).unwrap();
    let mut n = 0;
    while r.next_entry().unwrap().is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    assert!(r.is_finished());
    assert_eq!(r.footer(), FooterStatus::Absent);
    assert!(r.next_entry().unwrap().is_none());
}

/// Entry start offsets and key lengths of a stream (computed from the bytes).
fn entry_layout(bytes: &[u8], first: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut pos = first;
    while pos < end {
        let kl = u64::from_le_bytes(bytes[pos..pos + 8].try_into().unwrap()) as usize;
        let vl =
            u64::from_le_bytes(bytes[pos + 8 + kl..pos + 16 + kl].try_into().unwrap()) as usize;
        out.push((pos, kl));
        pos += 16 + kl + vl;
    }
    assert_eq!(pos, end);
    out
}

enum Expect {
    Empty,
    Header,
    Ok,
    Missing,
    Crc,
    Trunc(u64, EntryPart),
}

fn expect_for(
    len: usize,
    layout: &[(usize, usize)],
    stream_start: usize,
    end: usize,
    node: bool,
) -> Expect {
    if len == 0 {
        return Expect::Empty;
    }
    if len < stream_start {
        return Expect::Header;
    }
    // Entry starts plus the end of the entries (where only a footer may follow).
    let starts: Vec<(usize, usize)> = layout.iter().copied().chain([(end, 0)]).collect();
    let (start, kl) = *starts.iter().rev().find(|(p, _)| *p <= len).unwrap();
    let r = len - start;
    if r == 0 {
        return if node { Expect::Missing } else { Expect::Ok };
    }
    if r == 4 {
        // 4 bytes where a key length would start look like a footer; only the complete
        // node file has the right CRC there.
        return if node && start == end {
            Expect::Ok
        } else {
            Expect::Crc
        };
    }
    let part = if r < 8 {
        EntryPart::KeyLength
    } else if r < 8 + kl {
        EntryPart::Key
    } else if r < 16 + kl {
        EntryPart::ValueLength
    } else {
        EntryPart::Value
    };
    Expect::Trunc(start as u64, part)
}

fn check_every_prefix(bytes: &[u8], stream_start: usize, node: bool) {
    let end = if node { bytes.len() - 4 } else { bytes.len() };
    let layout = entry_layout(bytes, stream_start, end);
    for len in 0..=bytes.len() {
        let got = read_all(&bytes[..len]);
        let exp = expect_for(len, &layout, stream_start, end, node);
        let ok = match (&exp, &got) {
            (Expect::Empty, Err(SnapshotError::EmptyInput)) => true,
            (Expect::Header, Err(SnapshotError::TruncatedHeader { input_len })) => {
                *input_len == len as u64
            }
            (Expect::Ok, Ok(_)) => true,
            (Expect::Missing, Err(SnapshotError::MissingFooter { offset })) => {
                *offset == len as u64
            }
            (Expect::Crc, Err(SnapshotError::CrcMismatch { .. })) => true,
            (Expect::Trunc(o, p), Err(SnapshotError::Truncated { offset, part })) => {
                o == offset && p == part
            }
            _ => false,
        };
        assert!(ok, "prefix {len} of {}: got {got:?}", bytes.len());
    }
}

#[test]
fn truncation_at_every_position_bare() {
    let bytes = bare(11, two_entries);
    check_every_prefix(&bytes, 16, false);
}

#[test]
fn truncation_at_every_position_v1() {
    let bytes = build(WriterFraming::NodeV1 { ceiling_ms: 77 }, 11, two_entries);
    check_every_prefix(&bytes, 32, true);
}

#[test]
fn truncation_at_every_position_v2() {
    let bytes = build(
        WriterFraming::NodeV2 {
            ceiling_ms: 77,
            cutover_index: 5,
            extension: vec![9; 7],
        },
        11,
        two_entries,
    );
    check_every_prefix(&bytes, 26 + 7 + 16, true);
}

#[test]
fn truncation_at_every_position_headerless() {
    let bytes = build(WriterFraming::NodeHeaderless, 11, two_entries);
    // Headerless: every entry boundary is a valid (bare) end; only the full file has a
    // matching footer.
    let end = bytes.len() - 4;
    let layout = entry_layout(&bytes, 16, end);
    for len in 16..=bytes.len() {
        let got = read_all(&bytes[..len]);
        match expect_for(len, &layout, 16, end, false) {
            Expect::Ok => assert!(got.is_ok(), "{len}: {got:?}"),
            Expect::Crc if len == bytes.len() => {
                assert!(matches!(got.unwrap().footer, FooterStatus::Verified(_)))
            }
            Expect::Crc => assert!(matches!(got, Err(SnapshotError::CrcMismatch { .. }))),
            Expect::Trunc(..) => assert!(matches!(got, Err(SnapshotError::Truncated { .. }))),
            _ => unreachable!(),
        }
    }
}

#[test]
fn truncated_fsm_header_v2_extension() {
    let bytes = build(
        WriterFraming::NodeV2 {
            ceiling_ms: 1,
            cutover_index: 2,
            extension: vec![0; 100],
        },
        1,
        |_| Ok(()),
    );
    for len in [1usize, 9, 10, 25, 26, 100, 125, 126, 133] {
        assert!(
            matches!(read_all(&bytes[..len]).unwrap_err(), SnapshotError::TruncatedHeader { input_len } if input_len == len as u64),
            "{len}"
        );
    }
}

#[test]
fn small_buffers_and_trickling_input() {
    let bytes = build(
        WriterFraming::NodeV2 {
            ceiling_ms: 1,
            cutover_index: 2,
            extension: vec![5; 300],
        },
        11,
        |w| {
            w.put_mvcc(b"!a-big", 3, false, 0, &vec![0xAB; 5000])?;
            two_entries(w)
        },
    );
    let reference = read_all(&bytes).unwrap();
    for buffer_size in [1usize, 64, 65, 100, 4096] {
        for chunk in [1usize, 3, 8, 1000, 1 << 20] {
            let opts = ReaderOptions {
                verify_crc: true,
                buffer_size,
            };
            let r = read_all_with(Trickle::new(&bytes, chunk), opts).unwrap();
            assert_eq!(r.entries, reference.entries);
            assert_eq!(r.footer, reference.footer);
            assert_eq!(r.bytes_read, bytes.len() as u64);
        }
    }
}

#[test]
fn io_errors_are_passed_through() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(io::ErrorKind::PermissionDenied, "nope"))
        }
    }
    let err = SnapshotReader::open(Failing, ReaderOptions::default())
        .err()
        .unwrap();
    assert!(
        matches!(&err, SnapshotError::Io(e) if e.kind() == io::ErrorKind::PermissionDenied),
        "{err:?}"
    );
}

//! End-to-end read of the real node file in /work/shared/fixtures/real-small.

use super::*;

const DIR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/real-small"
);
const LAST_COMMIT_TS: u64 = 116_654_080_065_536_007;

/// One MVCC line of entries.txt.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    visible: bool,
    user_key: Vec<u8>,
    commit_ts: u64,
    flags: u8,
    expire_at: u64,
}

/// Undoes the Go-style escaping of entries.txt (`\xNN`, `\a`, `\n`, `\"`, …).
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        out.push(match c {
            b'x' => {
                let v = u8::from_str_radix(&s[i..i + 2], 16).unwrap();
                i += 2;
                v
            }
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0C,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'v' => 0x0B,
            b'\\' => b'\\',
            b'"' => b'"',
            other => panic!("unknown escape \\{}", other as char),
        });
    }
    out
}

fn field<'a>(line: &'a str, name: &str) -> &'a str {
    let at = line.find(name).unwrap() + name.len();
    line[at..].split(' ').next().unwrap()
}

fn listed() -> (Vec<Listed>, Vec<OperationalRow>) {
    let text = std::fs::read_to_string(format!("{DIR}/entries.txt")).unwrap();
    let mut mvcc = Vec::new();
    let mut raw = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("MVCC") {
            let visible = rest.starts_with('*');
            let rest = &rest[2..];
            let key_end = rest.find(" @ts=").unwrap();
            mvcc.push(Listed {
                visible,
                user_key: unescape(&rest[..key_end]),
                commit_ts: field(rest, " @ts=").parse().unwrap(),
                flags: u8::from_str_radix(field(rest, " flags=0x"), 16).unwrap(),
                expire_at: field(rest, " expireAt=").parse().unwrap(),
            });
        } else if let Some(rest) = line.strip_prefix("RAW") {
            let key = rest.split_whitespace().next().unwrap();
            let v: u64 = field(rest, "(u64 LE ")
                .trim_end_matches(')')
                .parse()
                .unwrap();
            raw.push(match key {
                "_meta_applied_index" => OperationalRow::AppliedIndex(v),
                "_meta_last_commit_ts" => OperationalRow::LastCommitTs(v),
                "_meta_min_retained_ts" => OperationalRow::MinRetainedTs(v),
                "_meta_pending_min_retained_ts" => OperationalRow::PendingMinRetainedTs(v),
                other => panic!("unexpected raw row {other}"),
            });
        }
    }
    (mvcc, raw)
}

fn check(file: &str, expect_header: Option<FsmHeader>, expect_footer: Option<u32>) {
    let (listed, raw) = listed();
    assert_eq!(listed.len(), 62);
    assert_eq!(raw.len(), 2);

    let bytes = std::fs::read(format!("{DIR}/{file}")).unwrap();
    // Read with the real file API and a buffer smaller than the file, to cross refills.
    let source = InputSource::file(format!("{DIR}/{file}"));
    let opts = ReaderOptions {
        verify_crc: true,
        buffer_size: 1000,
    };
    let mut reader = SnapshotReader::open(source.open().unwrap(), opts).unwrap();
    assert_eq!(reader.info().fsm_header, expect_header);
    assert_eq!(reader.info().last_commit_ts, LAST_COMMIT_TS);

    let mut resolver = VersionResolver::new(Some(reader.info().last_commit_ts));
    let mut got_mvcc = Vec::new();
    let mut got_raw = Vec::new();
    let mut tombstones = 0;
    while let Some(entry) = reader.next_entry().unwrap() {
        match entry {
            Entry::Mvcc(m) => {
                let verdict = resolver.resolve_entry(&m);
                tombstones += usize::from(m.tombstone);
                got_mvcc.push(Listed {
                    visible: verdict.is_visible(),
                    user_key: m.user_key.to_vec(),
                    commit_ts: m.commit_ts,
                    flags: u8::from(m.tombstone),
                    expire_at: m.expire_at,
                });
                if let Verdict::Tombstoned = verdict {
                    assert!(m.tombstone);
                }
            }
            Entry::Operational(row) => got_raw.push(row),
        }
    }
    assert_eq!(got_mvcc.len(), 62);
    assert_eq!(tombstones, 6);
    for (i, (g, l)) in got_mvcc.iter().zip(&listed).enumerate() {
        assert_eq!(g, l, "entry {i}");
    }
    assert_eq!(got_mvcc.iter().filter(|e| e.visible).count(), 48);
    assert_eq!(got_raw, raw);
    assert_eq!(
        got_raw,
        vec![
            OperationalRow::AppliedIndex(109),
            OperationalRow::LastCommitTs(LAST_COMMIT_TS)
        ]
    );
    assert_eq!(reader.bytes_read(), bytes.len() as u64);
    match expect_footer {
        Some(crc) => {
            assert_eq!(reader.footer(), FooterStatus::Verified(crc));
            assert_eq!(
                reader.info().framing,
                Framing::NodeFile {
                    header: expect_header
                }
            );
        }
        None => {
            assert_eq!(reader.footer(), FooterStatus::Absent);
            assert_eq!(reader.info().framing, Framing::BareStream);
        }
    }
}

#[test]
fn fixture_node_file() {
    let header = FsmHeader::V1 {
        ceiling_ms: 1_780_000_003_000,
    };
    check("000000000000006d.fsm", Some(header), Some(0xf8e5_da5b));
}

#[test]
fn fixture_store_stream() {
    check("store-stream.bin", None, None);
}

#[test]
fn fixture_node_file_name_and_directory() {
    let source = InputSource::resolve(DIR).unwrap();
    assert!(source.display.ends_with("000000000000006d.fsm"));
    assert_eq!(source.index_from_name, Some(109));
}

#[test]
fn fixture_is_the_store_stream_wrapped() {
    let node = std::fs::read(format!("{DIR}/000000000000006d.fsm")).unwrap();
    let stream = std::fs::read(format!("{DIR}/store-stream.bin")).unwrap();
    assert_eq!(&node[16..node.len() - 4], &stream[..]);
    // Re-wrapping the stream with our writer reproduces the node file byte for byte.
    let mut w = SnapshotWriter::with_store_magic(
        Vec::new(),
        WriterFraming::NodeV1 {
            ceiling_ms: 1_780_000_003_000,
        },
        *b"EKVPBBL1",
        LAST_COMMIT_TS,
    )
    .unwrap();
    w.write_raw_bytes(&stream[16..]).unwrap();
    assert_eq!(w.finish().unwrap(), node);
}

#[test]
fn fixture_damaged_copies() {
    let node = std::fs::read(format!("{DIR}/000000000000006d.fsm")).unwrap();
    // Flip a bit inside the 3000-byte S3 blob body: entries still parse, the CRC does not.
    let body = node.windows(16).position(|w| w == [b'Z'; 16]).unwrap();
    let mut bad = node.clone();
    bad[body + 100] ^= 0x01;
    let (entries, err) = read_until_error(&bad);
    assert_eq!(entries.len(), 64);
    assert!(
        matches!(
            err,
            Some(SnapshotError::CrcMismatch {
                expected: 0xf8e5_da5b,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(matches!(
        read_all(&node[..node.len() - 4]).unwrap_err(),
        SnapshotError::MissingFooter { .. }
    ));
}

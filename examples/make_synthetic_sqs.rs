//! Writes a synthetic node file of SQS queues for measurements (docs/performance.md, SQS):
//! `cargo run --release --example make_synthetic_sqs -- OUT MESSAGES [QUEUES] [BODY_BYTES]`.
//!
//! MESSAGES message records spread round-robin over QUEUES standard queues (default 1),
//! each with a meta and a generation record, in the live adapter's shapes: message ids of 32
//! lower-case hex digits, bodies of BODY_BYTES printable bytes (default 200) stored as padded
//! standard base64, send timestamps scrambled relative to key order so the decoder has to
//! sort. Entries are streamed to disk in raw key order.

use std::io::BufWriter;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ekvsnap_runtime::snapshot::writer::{SnapshotWriter, WriterFraming};

fn arg(n: usize, default: u64) -> u64 {
    std::env::args()
        .nth(n)
        .map(|s| s.parse().expect("a number"))
        .unwrap_or(default)
}

/// A message id that looks random: 32 hex digits of a 128-bit mix of `i`.
fn message_id(i: u64) -> String {
    let a = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5555_aaaa_5555_aaaa;
    let b = i.wrapping_mul(0xc2b2_ae3d_27d4_eb4f).rotate_left(17);
    format!("{a:016x}{b:016x}")
}

fn main() -> std::io::Result<()> {
    let out = std::env::args()
        .nth(1)
        .expect("usage: make_synthetic_sqs OUT MESSAGES [QUEUES] [BODY_BYTES]");
    let messages = arg(2, 1_000_000);
    let queues = arg(3, 1).max(1);
    let body_bytes = arg(4, 200) as usize;
    let commit_ts = 1_000_000;
    let base_ms: u64 = 1_700_000_000_000;

    // Queue segments in key order, each with the indices of its messages sorted by the key's
    // message-id segment (base64url order is not the order of the ids).
    let mut names: Vec<(String, String)> = (0..queues)
        .map(|q| {
            let name = format!("queue-{q:05}");
            (URL_SAFE_NO_PAD.encode(&name), name)
        })
        .collect();
    names.sort();
    let file = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out)?);
    let mut w = SnapshotWriter::new(file, WriterFraming::NodeV1 { ceiling_ms: 1 }, commit_ts)?;
    for (q, (encoded, _)) in names.iter().enumerate() {
        let mut keyed: Vec<([u8; 43], u64)> = (q as u64..messages)
            .step_by(queues as usize)
            .map(|i| {
                let mut seg = [0u8; 43];
                URL_SAFE_NO_PAD
                    .encode_slice(message_id(i), &mut seg)
                    .expect("43 characters");
                (seg, i)
            })
            .collect();
        keyed.sort_unstable();
        for (segment, i) in keyed {
            let mut key = b"!sqs|msg|data|".to_vec();
            key.extend_from_slice(encoded.as_bytes());
            key.extend_from_slice(&1u64.to_be_bytes());
            key.extend_from_slice(&segment);
            let sent = base_ms + (i.wrapping_mul(2_654_435_761) % messages);
            let mut body = format!("message {i} ").into_bytes();
            body.resize(body_bytes, b'x');
            let value = format!(
                r#"{{"message_id":"{}","body":"{}","md5_of_body":"{:032x}","send_timestamp_millis":{sent},"available_at_millis":{sent},"visible_at_millis":{},"receive_count":1,"first_receive_millis":{},"current_receipt_token":"AAECAwQFBgcICQ==","queue_generation":1}}"#,
                message_id(i),
                STANDARD.encode(&body),
                i,
                sent + 30_000,
                sent + 10
            );
            let mut stored = b"\x00SM\x01".to_vec();
            stored.extend_from_slice(value.as_bytes());
            w.put_mvcc(&key, commit_ts, false, 0, &stored)?;
        }
    }
    for (encoded, _) in &names {
        w.put_mvcc(
            format!("!sqs|queue|gen|{encoded}").as_bytes(),
            commit_ts,
            false,
            0,
            b"1",
        )?;
    }
    for (encoded, name) in &names {
        let meta = format!(
            "\x00SQ\x01{{\"name\":\"{name}\",\"generation\":1,\"visibility_timeout_seconds\":30,\"message_retention_seconds\":345600}}"
        );
        w.put_mvcc(
            format!("!sqs|queue|meta|{encoded}").as_bytes(),
            commit_ts,
            false,
            0,
            meta.as_bytes(),
        )?;
    }
    let written = w.bytes_written();
    w.finish()?;
    eprintln!(
        "wrote {out}: {messages} messages in {queues} queue(s), {body_bytes}-byte bodies, {written} bytes"
    );
    Ok(())
}

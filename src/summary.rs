//! Run summaries: a short human text on stderr, or JSON on stdout with `--json`.

use ekvsnap_runtime::decode::DecodeReport;
use ekvsnap_runtime::inspect::{FamilyStats, InspectReport};
use ekvsnap_runtime::scan::{describe_footer, framing_name};
use ekvsnap_runtime::verify::VerifyReport;
use serde_json::{json, Value};

use crate::cli::OutputMode;

/// Where the human text goes: a run summary is commentary (stderr); a report that is the
/// command's product (`inspect`, `verify`) goes to stdout.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Channel {
    Stderr,
    Stdout,
}

fn emit(mode: OutputMode, channel: Channel, value: Value, human: impl FnOnce() -> String) {
    if mode.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&value).expect("summary serialises")
        );
    } else if !mode.quiet {
        match channel {
            Channel::Stderr => eprint!("{}", human()),
            Channel::Stdout => print!("{}", human()),
        }
    }
}

/// `Some(n)` as `n`, `None` as `none`.
fn opt(value: Option<u64>) -> String {
    value.map_or_else(|| "none".to_string(), |v| v.to_string())
}

pub fn print_decode(r: &DecodeReport, mode: OutputMode) {
    let counters: serde_json::Map<String, Value> = r
        .counters
        .named()
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let value = json!({
        "command": "decode",
        "input": r.input,
        "output": r.output.display().to_string(),
        "framing": framing_name(&r.stream),
        "crc32c": describe_footer(r.footer),
        "last_commit_ts": r.stream.last_commit_ts,
        "read_ts": r.read_ts,
        "read_ts_source": r.read_ts_source.as_str(),
        "snapshot_index": r.snapshot_index,
        "snapshot_index_source": r.snapshot_index_source.as_str(),
        "bytes_read": r.bytes_read,
        "counters": counters,
        "warnings": r.warnings,
        "files": r.files,
    });
    emit(mode, Channel::Stderr, value, || {
        let mut s = format!(
            "decoded {} -> {}\n  input: {}, CRC32C {}, {} bytes\n",
            r.input,
            r.output.display(),
            framing_name(&r.stream),
            describe_footer(r.footer),
            r.bytes_read
        );
        s += &format!(
            "  read ts: {} ({}); snapshot index: {} ({})\n",
            opt(r.read_ts),
            r.read_ts_source.as_str(),
            opt(r.snapshot_index),
            r.snapshot_index_source.as_str()
        );
        s += "  entries:";
        for (name, n) in r.counters.named() {
            if n > 0 || name == "entries" {
                s += &format!(" {name}={n}");
            }
        }
        s += "\n";
        let total: u64 = r.warnings.values().sum();
        s += &format!("  warnings: {total}");
        for (event, n) in &r.warnings {
            s += &format!(" {event}={n}");
        }
        s += &format!("\n  files: {} listed in CHECKSUMS\n", r.files);
        s
    });
}

fn stats_line(name: &str, f: &FamilyStats) -> String {
    format!(
        "  {name:<32} versions={} visible={} tombstoned={} expired={} superseded={} after_read_ts={} key_bytes={} value_bytes={}\n",
        f.versions, f.visible, f.tombstoned, f.expired, f.superseded, f.after_read_ts, f.key_bytes, f.value_bytes
    )
}

pub fn print_inspect(r: &InspectReport, mode: OutputMode) {
    let value = serde_json::to_value(r).expect("inspect report serialises");
    emit(mode, Channel::Stdout, value, || {
        let mut s = format!("{}: {}, CRC32C {}\n", r.input, r.framing, r.crc32c);
        if let Some(h) = &r.fsm_header {
            s += &format!(
                "  KV FSM header v{}: HLC ceiling {} ms{}\n",
                h.version,
                h.ceiling_ms,
                h.cutover_index
                    .map_or(String::new(), |c| format!(", cutover index {c}"))
            );
        }
        s += &format!(
            "  last commit ts {}; read ts {} ({})\n",
            r.last_commit_ts,
            opt(r.read_ts),
            r.read_ts_source
        );
        let o = &r.operational;
        s += &format!(
            "  operational rows: applied_index={} min_retained_ts={} pending_min_retained_ts={} encryption_writers={}\n",
            opt(o.applied_index), opt(o.min_retained_ts), opt(o.pending_min_retained_ts), o.encryption_writers
        );
        s += "  entries:";
        for (name, n) in &r.counters {
            s += &format!(" {name}={n}");
        }
        s += "\nper adapter:\n";
        for (name, f) in &r.adapters {
            s += &stats_line(name, f);
        }
        s += "per family:\n";
        for (name, f) in &r.families {
            s += &stats_line(name, f);
            for k in &f.largest_keys {
                s += &format!("      largest key ({} bytes): {}\n", k.len, k.key);
            }
        }
        s
    });
}

pub fn print_verify(r: &VerifyReport, mode: OutputMode) {
    let value = json!({
        "command": "verify",
        "dir": r.dir.display().to_string(),
        "format_version": r.format_version,
        "files_verified": r.files_verified,
        "status": "ok",
    });
    emit(mode, Channel::Stdout, value, || {
        format!(
            "{}: ok (MANIFEST format_version {}, {} files match CHECKSUMS)\n",
            r.dir.display(),
            r.format_version,
            r.files_verified
        )
    });
}

//! The CLI end to end on the committed demo snapshot: decode, sha256sum -c, verify, inspect,
//! exit codes and one-line errors.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{demo, ekvsnap, json_stdout, run, stderr};

fn decode_demo(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let input = demo();
    let mut args = vec![
        "decode",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    ekvsnap().args(&owned).output().unwrap()
}

#[test]
fn demo_decodes_and_sha256sum_accepts_checksums() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dump");
    let output = decode_demo(&out, &["--json", "--cluster-id", "demo-cluster"]);
    let summary = json_stdout(&output);
    assert_eq!(summary["framing"], "node-v1");
    assert!(summary["crc32c"].as_str().unwrap().ends_with("verified"));
    assert_eq!(summary["snapshot_index"], 0x2a);

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("MANIFEST.json")).unwrap()).unwrap();
    assert_eq!(manifest["format_version"], 1);
    assert_eq!(manifest["phase"], "phase0-snapshot-decode");
    assert_eq!(manifest["cluster_id"], "demo-cluster");
    assert_eq!(manifest["snapshot_index_source"], "meta-applied-index");
    assert_eq!(
        manifest["adapters"],
        serde_json::json!({"dynamodb": {}, "s3": {}, "redis": {}, "sqs": {}})
    );

    let sha = std::process::Command::new("sha256sum")
        .args(["-c", "--strict", "CHECKSUMS"])
        .current_dir(&out)
        .output()
        .expect("sha256sum is part of coreutils");
    assert!(
        sha.status.success(),
        "sha256sum -c failed: {}{}",
        String::from_utf8_lossy(&sha.stdout),
        String::from_utf8_lossy(&sha.stderr)
    );
    let listed = std::fs::read_to_string(out.join("CHECKSUMS")).unwrap();
    assert!(listed.contains("  MANIFEST.json\n"));
    assert!(!listed.contains("  CHECKSUMS\n"));
}

#[test]
fn demo_counts_every_entry_once() {
    let dir = tempfile::tempdir().unwrap();
    let summary = json_stdout(&decode_demo(&dir.path().join("d"), &["--json"]));
    let c = summary["counters"].as_object().unwrap();
    let total = c["entries"].as_u64().unwrap();
    let classes: u64 = c
        .iter()
        .filter(|(k, _)| *k != "entries")
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, classes);
    // The demo has an overwritten key, deleted keys and one expired version.
    assert!(c["superseded"].as_u64().unwrap() >= 2);
    assert_eq!(c["tombstoned"], 2);
    assert_eq!(c["expired"], 1);
    assert_eq!(c["operational"], 3);
}

#[test]
fn verify_accepts_a_dump_and_rejects_tampering_and_incomplete_dumps() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dump");
    assert!(decode_demo(&out, &[]).status.success());
    let ok = run(&["verify", out.to_str().unwrap(), "--json"]);
    let report = json_stdout(&ok);
    assert_eq!(report["status"], "ok");

    std::fs::write(out.join("MANIFEST.json"), b"{}").unwrap();
    let bad = run(&["verify", out.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(3), "{}", stderr(&bad));

    std::fs::remove_file(out.join("MANIFEST.json")).unwrap();
    let incomplete = run(&["verify", out.to_str().unwrap()]);
    assert_eq!(incomplete.status.code(), Some(3));
    assert!(stderr(&incomplete).contains("MANIFEST.json"));
}

#[test]
fn non_empty_output_needs_force_and_force_only_replaces_a_dump() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stray.txt"), b"x").unwrap();
    let refused = decode_demo(dir.path(), &[]);
    assert_eq!(refused.status.code(), Some(1));
    let msg = stderr(&refused);
    assert_eq!(msg.lines().count(), 1, "one line: {msg}");
    assert!(msg.starts_with("ekvsnap: "));
    let still_refused = decode_demo(dir.path(), &["--force"]);
    assert_eq!(still_refused.status.code(), Some(1));
    assert!(stderr(&still_refused).contains("stray.txt"));
    assert!(dir.path().join("stray.txt").exists());

    let out = dir.path().join("dump");
    assert!(decode_demo(&out, &[]).status.success());
    assert!(decode_demo(&out, &["--force"]).status.success());
    assert_eq!(
        run(&["verify", out.to_str().unwrap()]).status.code(),
        Some(0)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(run(&["decode", "--output", "x"]).status.code(), Some(2));
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn bad_flag_values_are_one_line_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = decode_demo(&dir.path().join("d"), &["--adapter", "redis,bogus"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).lines().count(), 1);
    assert!(stderr(&out).contains("bogus: unknown adapter name"));
    let none = decode_demo(&dir.path().join("e"), &["--adapter", " ,,"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("zero adapters"));
    let budget = decode_demo(&dir.path().join("f"), &["--memory-budget", "lots"]);
    assert_eq!(budget.status.code(), Some(2));
    assert!(stderr(&budget).contains("--memory-budget"));
    let size = decode_demo(&dir.path().join("g"), &["--dynamodb-bundle-size", "1.5GiB"]);
    assert_eq!(size.status.code(), Some(2));
    assert!(!dir.path().join("d").exists() && !dir.path().join("g").exists());
}

#[test]
fn excluded_adapters_count_as_disabled_and_leave_no_manifest_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    let summary = json_stdout(&decode_demo(&out, &["--adapter", "redis", "--json"]));
    assert!(summary["counters"]["adapter_disabled"].as_u64().unwrap() > 0);
    assert_eq!(summary["counters"]["sqs"], 0);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("MANIFEST.json")).unwrap()).unwrap();
    assert_eq!(manifest["adapters"], serde_json::json!({"redis": {}}));
}

#[test]
fn stdin_input_is_sniffed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    let mut child = ekvsnap()
        .args([
            "decode",
            "--input",
            "-",
            "--output",
            out.to_str().unwrap(),
            "--json",
            "--quiet",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(demo()).unwrap())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let summary = json_stdout(&output);
    assert_eq!(summary["framing"], "node-v1");
    // No file name: the index comes from the `_meta_applied_index` row.
    assert_eq!(summary["snapshot_index_source"], "meta-applied-index");
}

#[test]
fn unsupported_format_names_the_magic() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.fsm");
    let mut bytes = b"EKVSSTI1".to_vec();
    bytes.extend_from_slice(&[0u8; 16]);
    std::fs::write(&input, bytes).unwrap();
    let out = run(&[
        "decode",
        "--input",
        input.to_str().unwrap(),
        "--output",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let msg = stderr(&out);
    assert!(msg.contains("unsupported snapshot format"), "{msg}");
    assert!(msg.contains("EKVSSTI1"), "{msg}");
    assert!(!dir.path().join("o/MANIFEST.json").exists());
}

#[test]
fn corrupt_footer_fails_and_writes_no_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("000000000000002a.fsm");
    let mut bytes = std::fs::read(demo()).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&input, &bytes).unwrap();
    let out_dir = dir.path().join("o");
    let out = run(&[
        "decode",
        "--input",
        input.to_str().unwrap(),
        "--output",
        out_dir.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).to_lowercase().contains("crc"),
        "{}",
        stderr(&out)
    );
    assert!(!out_dir.join("MANIFEST.json").exists());
    // --no-verify-crc reads it anyway.
    let skipped = run(&[
        "decode",
        "--input",
        input.to_str().unwrap(),
        "--output",
        dir.path().join("p").to_str().unwrap(),
        "--no-verify-crc",
        "--quiet",
    ]);
    assert!(skipped.status.success(), "{}", stderr(&skipped));
}

#[test]
fn read_ts_below_retention_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = decode_demo(&dir.path().join("d"), &["--read-ts", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("_meta_min_retained_ts"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("d/MANIFEST.json").exists());
}

#[test]
fn inspect_reports_families_without_writing() {
    let out = run(&["inspect", demo().to_str().unwrap(), "--json"]);
    let report = json_stdout(&out);
    assert_eq!(report["framing"], "node-v1");
    assert_eq!(report["operational"]["applied_index"], 0x2a);
    let families = report["families"].as_object().unwrap();
    assert!(families.contains_key("redis.string"), "{families:?}");
    let strings = &families["redis.string"];
    assert_eq!(strings["tombstoned"], 1);
    assert_eq!(strings["expired"], 1);
    assert!(strings["largest_keys"].as_array().unwrap().len() <= 5);
    let human = run(&["inspect", demo().to_str().unwrap()]);
    assert!(human.status.success());
    // The report is the command's output: stdout, readable values.
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.contains("per family"), "{text}");
    assert!(text.contains("applied_index=42"), "{text}");
    assert!(!text.contains("Some("), "{text}");
}

#[test]
fn scratch_is_removed_and_never_inside_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    assert!(decode_demo(&out, &[]).status.success());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        left,
        vec![std::ffi::OsString::from("d")],
        "scratch left behind"
    );

    let out2 = dir.path().join("e");
    std::fs::create_dir(&out2).unwrap();
    let refused = decode_demo(&out2, &["--scratch-dir", out2.to_str().unwrap()]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("scratch"), "{}", stderr(&refused));
    assert!(!out2.join("MANIFEST.json").exists());
}

/// Every flag of the hand-written CLI is reserved in the generator, so a spec option can never
/// take it (the generator's list and the CLI cannot drift apart).
#[test]
fn core_flags_are_reserved_in_the_generator() {
    let generated: Vec<&str> = ekvsnap_runtime::options::OPTION_FLAGS
        .iter()
        .map(|o| o.flag)
        .collect();
    let mut seen = 0;
    for command in ["decode", "inspect", "verify"] {
        let help = run(&[command, "--help"]);
        let text = String::from_utf8(help.stdout).unwrap();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            let Some(flag) = word.strip_prefix("--") else {
                continue;
            };
            if flag.is_empty() || generated.contains(&flag) {
                continue;
            }
            seen += 1;
            assert!(
                ekvsnap_codegen::CORE_FLAGS.contains(&flag),
                "`--{flag}` of `ekvsnap {command}` is not in codegen's CORE_FLAGS"
            );
        }
    }
    assert!(seen > 10, "help text parsed ({seen} core flags seen)");
}

//! `--input` resolution and snapshot indices from file names (core.md §8.4, §9.7, §9.10).

use std::path::Path;

use super::*;

#[test]
fn index_from_hex_name() {
    let idx = |s: &str| snapshot_index_from_name(Path::new(s));
    assert_eq!(idx("000000000000006d.fsm"), Some(109));
    assert_eq!(idx("/data/fsm-snap/0000000000000064.fsm"), Some(100));
    assert_eq!(idx("ffffffffffffffff.fsm"), Some(u64::MAX));
    assert_eq!(idx("0000000000000000.fsm"), Some(0));
    // Upstream decimal names and other shapes are not snapshot names here.
    for bad in [
        "42.fsm",
        "18446744073709551615.fsm",
        "snapshot.bin",
        ".fsm",
        "snapshot-001.fsm",
        "-1.fsm",
        "0xff.fsm",
        "000000000000006D.fsm",
        "000000000000006d.FSM",
        "000000000000006d.fsm.tmp",
        "00000000000006d.fsm",
        "0000000000000006d.fsm",
        "+00000000000006d.fsm",
        "from-prod.fsm",
        "",
    ] {
        assert_eq!(idx(bad), None, "{bad}");
    }
}

#[test]
fn resolve_stdin_and_file() {
    let s = InputSource::resolve("-").unwrap();
    assert!(s.is_stdin());
    assert_eq!(s.path, None);
    assert_eq!(s.display, "<stdin>");
    assert_eq!(s.index_from_name, None);

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("from-prod.fsm");
    std::fs::write(&f, bare(1, |_| Ok(()))).unwrap();
    let s = InputSource::resolve(f.to_str().unwrap()).unwrap();
    assert_eq!(s.path.as_deref(), Some(f.as_path()));
    assert_eq!(s.index_from_name, None);
    let r = read_all_with(s.open().unwrap(), ReaderOptions::default()).unwrap();
    assert_eq!(r.info.last_commit_ts, 1);
}

#[test]
fn resolve_missing_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.fsm");
    let err = InputSource::resolve(missing.to_str().unwrap()).unwrap_err();
    assert!(matches!(err, SnapshotError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.fsm"), "{err}");
    // A file that disappears between resolve and open.
    let s = InputSource::file(&missing);
    assert!(matches!(
        s.open().err().unwrap(),
        SnapshotError::Open { .. }
    ));
}

#[test]
fn resolve_directory_picks_highest_hex_index() {
    let dir = tempfile::tempdir().unwrap();
    let snap = dir.path().join("fsm-snap");
    std::fs::create_dir(&snap).unwrap();
    for name in [
        "0000000000000009.fsm",
        "000000000000000a.fsm", // 10 > 9: hex order, not lexical-decimal confusion
        "0000000000000002.fsm",
        "99999999.fsm",             // not a node name
        "00000000000000ff.fsm.tmp", // not a node name
        "00000000000000FF.fsm",     // upper case: not a node name
    ] {
        std::fs::write(snap.join(name), b"x").unwrap();
    }
    // A directory with a matching name is ignored.
    std::fs::create_dir(snap.join("00000000000000fe.fsm")).unwrap();
    let s = InputSource::resolve(dir.path().to_str().unwrap()).unwrap();
    assert_eq!(
        s.path.as_deref(),
        Some(snap.join("000000000000000a.fsm").as_path())
    );
    assert_eq!(s.index_from_name, Some(10));
    // The fsm-snap directory itself works too.
    let s = InputSource::resolve(snap.to_str().unwrap()).unwrap();
    assert_eq!(s.index_from_name, Some(10));
    // Files directly in DIR take precedence over DIR/fsm-snap.
    std::fs::write(dir.path().join("0000000000000001.fsm"), b"x").unwrap();
    let s = InputSource::resolve(dir.path().to_str().unwrap()).unwrap();
    assert_eq!(s.index_from_name, Some(1));
}

#[test]
fn resolve_directory_without_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("42.fsm"), b"x").unwrap();
    let err = InputSource::resolve(dir.path().to_str().unwrap()).unwrap_err();
    assert!(
        matches!(err, SnapshotError::NoSnapshotFound { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("fsm-snap"), "{err}");
    std::fs::create_dir(dir.path().join("fsm-snap")).unwrap();
    assert!(matches!(
        InputSource::resolve(dir.path().to_str().unwrap()).unwrap_err(),
        SnapshotError::NoSnapshotFound { .. }
    ));
}

//! Where an object's body goes inside its bucket directory (s3.md §6.4, §6.5, §7.1).
//!
//! The natural path is the object key itself, `/` kept as directory separators, so tools
//! like `aws s3 sync` work on the tree. Upstream's renames apply first (a key ending in the
//! sidecar suffix → `<key>.user-data` with `--rename-collisions`; a key that is also a
//! directory of another key → `<key>.elastickv-leaf-data`). A key whose path cannot be
//! written safely, or would clash with a name of the dump layout, is written instead to
//! `_encoded_keys/<encoded key>` and recorded in `KEYMAP.jsonl` with kind `s3-encoded-key`
//! (upstream aborts the decode or overwrites a file, H5, H6); `--strict-s3-keys` keeps
//! upstream's fail-fast.

use std::cmp::Ordering;

use crate::output::filename::{encode_segment, is_sha_fallback_shape, sha_fallback};
use crate::output::path::MAX_NAME_BYTES;
use crate::output::{RelPath, SafeName};

/// Suffix of an object's sidecar file (s3.md §7.3).
pub const META_SUFFIX: &[u8] = b".elastickv-meta.json";
/// Suffix of an object renamed because its key is also a directory (s3.md §6.4).
pub const LEAF_DATA_SUFFIX: &[u8] = b".elastickv-leaf-data";
/// Suffix of an object renamed because its key ends in [`META_SUFFIX`] (s3.md §6.4).
pub const USER_DATA_SUFFIX: &[u8] = b".user-data";
/// Directory (in the bucket directory) of objects written under an encoded name.
pub const ENCODED_DIR: &str = "_encoded_keys";
/// KEYMAP kind of an object written under [`ENCODED_DIR`].
pub const KIND_ENCODED_KEY: &str = "s3-encoded-key";
/// The bucket directory's own names: an object key whose first path segment is one of
/// these would overwrite, or be mistaken for, a file of the layout (H6).
pub const RESERVED_NAMES: [&str; 5] = [
    "_bucket.json",
    "KEYMAP.jsonl",
    "_orphans",
    "_incomplete_uploads",
    ENCODED_DIR,
];
/// Longest encoded name: with `%2E` (2 more bytes) and the sidecar suffix it fits a file
/// name.
const MAX_ENCODED_NAME: usize = MAX_NAME_BYTES - META_SUFFIX.len() - 2;

/// Why an object cannot be written at its natural path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathProblem {
    #[error("empty object name")]
    Empty,
    #[error("object name contains a NUL byte")]
    Nul,
    #[error("object name contains a backslash")]
    Backslash,
    #[error("object name has an empty path segment (leading '/', trailing '/' or '//')")]
    EmptySegment,
    #[error("object name has a '.' or '..' path segment")]
    DotSegment,
    #[error("object name has a path segment of {len} bytes; with its sidecar suffix a file name holds at most 255")]
    SegmentTooLong { len: usize },
    #[error("object name starts with {name:?}, a name of the bucket directory's layout")]
    ReservedName { name: String },
    #[error("{path} is already the renamed file of another object")]
    TargetTaken { path: String },
    #[error("a parent of {path} is already a file (another object's body or sidecar)")]
    ParentIsFile { path: String },
    #[error("{path} is already a directory")]
    TargetIsDirectory { path: String },
}

/// Object keys in the order finalize visits them: by `/`-separated segments, so a key's
/// descendants (`K/…`) come right after it (byte order with `/` below every other byte).
pub fn cmp_object_keys(a: &[u8], b: &[u8]) -> Ordering {
    let rank = |x: u8| if x == b'/' { 0u16 } else { u16::from(x) + 1 };
    match a.iter().zip(b).position(|(x, y)| x != y) {
        Some(i) => rank(a[i]).cmp(&rank(b[i])),
        None => a.len().cmp(&b.len()),
    }
}

/// Whether `name` (a resolved object name) is the key `key` with `/` + something after it.
pub fn is_descendant(name: &[u8], key: &[u8]) -> bool {
    name.len() > key.len() && name.starts_with(key) && name[key.len()] == b'/'
}

/// Upstream's path-safety checks (s3.md §6.5), then file-name length (upstream: an OS
/// error) and the layout's reserved names (upstream: undetected). On success, the path
/// relative to the bucket directory.
pub fn natural_path(name: &[u8]) -> Result<RelPath, PathProblem> {
    if name.is_empty() {
        return Err(PathProblem::Empty);
    }
    if name.contains(&0) {
        return Err(PathProblem::Nul);
    }
    if name.contains(&b'\\') {
        return Err(PathProblem::Backslash);
    }
    let segments: Vec<&[u8]> = name.split(|&b| b == b'/').collect();
    for segment in &segments {
        match *segment {
            b"" => return Err(PathProblem::EmptySegment),
            b"." | b".." => return Err(PathProblem::DotSegment),
            _ => {}
        }
    }
    let last = segments.len() - 1;
    for (i, segment) in segments.iter().enumerate() {
        let len = segment.len() + if i == last { META_SUFFIX.len() } else { 0 };
        if len > MAX_NAME_BYTES {
            return Err(PathProblem::SegmentTooLong { len: segment.len() });
        }
    }
    if let Some(name) = RESERVED_NAMES.iter().find(|n| n.as_bytes() == segments[0]) {
        return Err(PathProblem::ReservedName {
            name: (*name).to_string(),
        });
    }
    let names = segments
        .into_iter()
        .map(|s| SafeName::new(s).expect("checked above"))
        .collect();
    Ok(RelPath::from_names(names).expect("at least one segment"))
}

/// A file-name segment for arbitrary bytes: upstream's `EncodeSegment` when its result is
/// at most `max` bytes and a usable name; `""` becomes the SHA-fallback form, `.` and `..`
/// become `%2E` and `%2E%2E` (which `DecodeSegment` reads back; the canonical encoder never
/// writes `%2E`, so no other name maps there).
pub fn safe_segment(raw: &[u8], max: usize) -> String {
    match raw {
        b"" => sha_fallback(raw),
        b"." => "%2E".to_string(),
        b".." => "%2E%2E".to_string(),
        _ => {
            let encoded = encode_segment(raw);
            if encoded.len() <= max || is_sha_fallback_shape(&encoded) {
                encoded
            } else {
                sha_fallback(raw)
            }
        }
    }
}

/// The name of `key` under [`ENCODED_DIR`]: [`safe_segment`], with the `.` of a trailing
/// `.json` written `%2E` when the name would otherwise end in the sidecar suffix (it would
/// look like a sidecar). Always leaves room for the sidecar suffix.
pub fn encoded_name(key: &[u8]) -> SafeName {
    let mut name = safe_segment(key, MAX_ENCODED_NAME);
    if name.as_bytes().ends_with(META_SUFFIX) {
        name.truncate(name.len() - ".json".len());
        name.push_str("%2Ejson");
    }
    SafeName::new(name).expect("an encoded name is a safe file name")
}

/// `_encoded_keys/<encoded_name(key)>` relative to the bucket directory.
pub fn encoded_path(key: &[u8]) -> RelPath {
    RelPath::from_names(vec![
        SafeName::new(ENCODED_DIR).expect("literal"),
        encoded_name(key),
    ])
    .expect("two segments")
}

/// `path` with `suffix` appended to its last segment (a sidecar, or a renamed body).
pub fn with_suffix(path: &RelPath, suffix: &[u8]) -> RelPath {
    let mut names = path.components().to_vec();
    let last = names.pop().expect("RelPath is never empty");
    let mut bytes = last.as_bytes().to_vec();
    bytes.extend_from_slice(suffix);
    names.push(SafeName::new(bytes).expect("checked to fit with the sidecar suffix"));
    RelPath::from_names(names).expect("non-empty")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::decode_segment;

    #[test]
    fn component_order_puts_descendants_right_after_their_parent() {
        let mut keys: Vec<&[u8]> = vec![
            b"a-b",
            b"a/c",
            b"a",
            b"a.elastickv-leaf-data",
            b"a/",
            b"a//b",
            b"b",
            b"",
            b"/x",
            b"a\x00",
        ];
        keys.sort_by(|a, b| cmp_object_keys(a, b));
        assert_eq!(
            keys,
            vec![
                &b""[..],
                b"/x",
                b"a",
                b"a/",
                b"a//b",
                b"a/c",
                b"a\x00",
                b"a-b",
                b"a.elastickv-leaf-data",
                b"b"
            ]
        );
        assert!(is_descendant(b"a/", b"a"));
        assert!(is_descendant(b"a/b", b"a"));
        assert!(!is_descendant(b"a", b"a"));
        assert!(!is_descendant(b"ab/c", b"a"));
    }

    #[test]
    fn natural_paths_and_their_problems() {
        let ok = natural_path(b"2026/04/img.jpg").unwrap();
        assert_eq!(ok.to_bytes(), b"2026/04/img.jpg");
        let cases: [(&[u8], PathProblem); 12] = [
            (b"", PathProblem::Empty),
            (b"a\x00b", PathProblem::Nul),
            (b"a\\..\\b", PathProblem::Backslash),
            (b"\\absolute-windows", PathProblem::Backslash),
            (b"a/", PathProblem::EmptySegment),
            (b"/etc/host-attack", PathProblem::EmptySegment),
            (b"a//b", PathProblem::EmptySegment),
            (b"../../../etc/passwd-attack", PathProblem::DotSegment),
            (b"a/./b", PathProblem::DotSegment),
            // Whichever offending segment comes first decides (s3.md §6.5).
            (b"a/../", PathProblem::DotSegment),
            (
                b"_bucket.json",
                PathProblem::ReservedName {
                    name: "_bucket.json".into(),
                },
            ),
            (
                b"_orphans/x",
                PathProblem::ReservedName {
                    name: "_orphans".into(),
                },
            ),
        ];
        for (key, problem) in cases {
            assert_eq!(natural_path(key), Err(problem), "{key:?}");
        }
        assert_eq!(
            natural_path(b"a//..").unwrap_err(),
            PathProblem::EmptySegment
        );
        // 235 bytes + the 20-byte sidecar suffix fit; 236 do not.
        assert!(natural_path(&[b'x'; 235]).is_ok());
        assert_eq!(
            natural_path(&[b'x'; 236]),
            Err(PathProblem::SegmentTooLong { len: 236 })
        );
        let mut deep = vec![b'd'; 255];
        deep.extend_from_slice(b"/f");
        assert!(natural_path(&deep).is_ok());
        deep.insert(0, b'd');
        assert!(natural_path(&deep).is_err());
        // Reserved names are only reserved as the first segment and exactly.
        assert!(natural_path(b"x/_bucket.json").is_ok());
        assert!(natural_path(b"_bucket.jsonx").is_ok());
    }

    #[test]
    fn encoded_names_decode_back_and_never_look_like_sidecars() {
        for key in [
            &b"a/"[..],
            b"/etc/x",
            b"..",
            b".",
            b"a\\b",
            b"x.elastickv-meta.json",
            b"_bucket.json",
        ] {
            let name = encoded_name(key);
            assert!(!name.as_bytes().ends_with(META_SUFFIX), "{name}");
            assert_eq!(decode_segment(name.to_str().unwrap()).unwrap(), key);
        }
        assert_eq!(encoded_name(b"a/").as_bytes(), b"a%2F");
        assert_eq!(
            encoded_name(b"x.elastickv-meta.json").as_bytes(),
            b"x.elastickv-meta%2Ejson"
        );
        assert!(is_sha_fallback_shape(encoded_name(b"").to_str().unwrap()));
        // Long keys take the SHA fallback; every name leaves room for the sidecar suffix.
        for len in [100, 233, 234, 1024] {
            let key = vec![b'/'; len];
            let name = encoded_name(&key);
            assert!(name.as_bytes().len() + META_SUFFIX.len() <= 255, "{len}");
            with_suffix(&encoded_path(&key), META_SUFFIX);
        }
        let mut meta_long = vec![b'k'; 44];
        meta_long.extend_from_slice(META_SUFFIX);
        meta_long.extend_from_slice(&[b'/'; 100]);
        let name = encoded_name(&meta_long);
        assert!(is_sha_fallback_shape(name.to_str().unwrap()));
        assert!(!name.as_bytes().ends_with(META_SUFFIX));
    }

    #[test]
    fn safe_segment_is_encode_segment_for_ordinary_names() {
        for raw in [
            &b"photos"[..],
            b"my bucket",
            b"a/b",
            b"b64.test",
            &[b'a'; 241],
        ] {
            assert_eq!(safe_segment(raw, 240), encode_segment(raw));
        }
        assert_eq!(safe_segment(b".", 240), "%2E");
        assert_eq!(safe_segment(b"..", 240), "%2E%2E");
    }
}

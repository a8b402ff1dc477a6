//! Validated relative paths inside the output tree.
//!
//! [`SafeName`] is one path segment that cannot climb, cannot contain a separator and cannot
//! be empty; [`RelPath`] is a non-empty sequence of them. Both can only be built through the
//! checked constructors, so every path handed to [`crate::output::OutputTree`] stays below
//! the output root by construction. Names are raw bytes (Unix file names), not necessarily
//! UTF-8: S3 object keys are written unencoded.

use std::ffi::{CString, OsStr};
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Longest file-name component accepted (Linux `NAME_MAX`).
pub const MAX_NAME_BYTES: usize = 255;

/// Why a name or path was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("path segment is empty")]
    Empty,
    #[error("path segment {0:?} is a dot segment")]
    DotSegment(String),
    #[error("path segment {0:?} contains '/'")]
    ContainsSeparator(String),
    #[error("path segment {0:?} contains NUL")]
    ContainsNul(String),
    #[error("path segment is {len} bytes long (max {MAX_NAME_BYTES})")]
    TooLong { len: usize },
    #[error("relative path has no segments")]
    NoSegments,
}

/// One validated path segment: non-empty, not `.` or `..`, no `/`, no NUL, at most 255 bytes.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SafeName(Box<[u8]>);

impl SafeName {
    /// Validates `name` as a single path segment.
    pub fn new(name: impl AsRef<[u8]>) -> Result<SafeName, PathError> {
        let b = name.as_ref();
        let shown = || String::from_utf8_lossy(b).into_owned();
        if b.is_empty() {
            return Err(PathError::Empty);
        }
        if b == b"." || b == b".." {
            return Err(PathError::DotSegment(shown()));
        }
        if b.contains(&b'/') {
            return Err(PathError::ContainsSeparator(shown()));
        }
        if b.contains(&0) {
            return Err(PathError::ContainsNul(shown()));
        }
        if b.len() > MAX_NAME_BYTES {
            return Err(PathError::TooLong { len: b.len() });
        }
        Ok(SafeName(b.into()))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn as_os_str(&self) -> &OsStr {
        OsStr::from_bytes(&self.0)
    }

    /// The name as UTF-8 when it is UTF-8.
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// Appends `suffix` (e.g. a file-type suffix) and re-validates the result.
    pub fn with_suffix(&self, suffix: &str) -> Result<SafeName, PathError> {
        let mut v = self.0.to_vec();
        v.extend_from_slice(suffix.as_bytes());
        SafeName::new(v)
    }

    pub(crate) fn to_cstring(&self) -> CString {
        CString::new(self.0.to_vec()).expect("SafeName never contains NUL")
    }
}

impl fmt::Display for SafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl fmt::Debug for SafeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafeName({:?})", String::from_utf8_lossy(&self.0))
    }
}

impl TryFrom<&str> for SafeName {
    type Error = PathError;
    fn try_from(s: &str) -> Result<Self, PathError> {
        SafeName::new(s)
    }
}

impl TryFrom<&[u8]> for SafeName {
    type Error = PathError;
    fn try_from(s: &[u8]) -> Result<Self, PathError> {
        SafeName::new(s)
    }
}

impl TryFrom<String> for SafeName {
    type Error = PathError;
    fn try_from(s: String) -> Result<Self, PathError> {
        SafeName::new(s)
    }
}

/// A non-empty relative path made of [`SafeName`]s.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RelPath(Vec<SafeName>);

impl RelPath {
    /// A one-segment path.
    pub fn new(name: SafeName) -> RelPath {
        RelPath(vec![name])
    }

    /// From a list of names; refuses an empty list.
    pub fn from_names(names: Vec<SafeName>) -> Result<RelPath, PathError> {
        if names.is_empty() {
            return Err(PathError::NoSegments);
        }
        Ok(RelPath(names))
    }

    /// Parses `a/b/c` (raw bytes); every segment must be a valid [`SafeName`], so a leading
    /// `/`, `//`, a trailing `/`, `.` and `..` segments are all refused.
    pub fn parse(path: impl AsRef<[u8]>) -> Result<RelPath, PathError> {
        let names = path
            .as_ref()
            .split(|&b| b == b'/')
            .map(SafeName::new)
            .collect::<Result<Vec<_>, _>>()?;
        RelPath::from_names(names)
    }

    /// This path with `name` appended.
    pub fn join(&self, name: SafeName) -> RelPath {
        let mut v = self.0.clone();
        v.push(name);
        RelPath(v)
    }

    /// This path with all of `other` appended.
    pub fn join_path(&self, other: &RelPath) -> RelPath {
        let mut v = self.0.clone();
        v.extend(other.0.iter().cloned());
        RelPath(v)
    }

    /// Parses `name` and appends it (convenience for literal names).
    pub fn child(&self, name: impl AsRef<[u8]>) -> Result<RelPath, PathError> {
        Ok(self.join(SafeName::new(name)?))
    }

    pub fn components(&self) -> &[SafeName] {
        &self.0
    }

    /// The last segment.
    pub fn file_name(&self) -> &SafeName {
        self.0.last().expect("RelPath is never empty")
    }

    /// Everything but the last segment; `None` for a one-segment path.
    pub fn parent(&self) -> Option<RelPath> {
        if self.0.len() < 2 {
            None
        } else {
            Some(RelPath(self.0[..self.0.len() - 1].to_vec()))
        }
    }

    /// The segments joined with `/`, as raw bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, name) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            out.extend_from_slice(name.as_bytes());
        }
        out
    }

    /// The relative filesystem path (to be joined onto the output root).
    pub fn to_path_buf(&self) -> PathBuf {
        self.0.iter().map(SafeName::as_os_str).collect()
    }
}

impl From<SafeName> for RelPath {
    fn from(name: SafeName) -> RelPath {
        RelPath::new(name)
    }
}

impl fmt::Display for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl fmt::Debug for RelPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RelPath({:?})",
            String::from_utf8_lossy(&self.to_bytes())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_name_accepts_ordinary_names() {
        for ok in [
            &b"a"[..],
            b"...",
            b".hidden",
            b"..bin",
            b"with space",
            b"\xff\xfe",
            b"back\\slash",
            &[b'x'; 255],
        ] {
            assert!(SafeName::new(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn safe_name_refusals() {
        assert_eq!(SafeName::new(""), Err(PathError::Empty));
        assert!(matches!(SafeName::new("."), Err(PathError::DotSegment(_))));
        assert!(matches!(SafeName::new(".."), Err(PathError::DotSegment(_))));
        assert!(matches!(
            SafeName::new("a/b"),
            Err(PathError::ContainsSeparator(_))
        ));
        assert!(matches!(
            SafeName::new("/"),
            Err(PathError::ContainsSeparator(_))
        ));
        assert!(matches!(
            SafeName::new(b"a\0b"),
            Err(PathError::ContainsNul(_))
        ));
        assert_eq!(
            SafeName::new([b'x'; 256]),
            Err(PathError::TooLong { len: 256 })
        );
    }

    #[test]
    fn with_suffix_revalidates() {
        let n = SafeName::new("k").unwrap();
        assert_eq!(n.with_suffix(".bin").unwrap().as_bytes(), b"k.bin");
        let long = SafeName::new([b'x'; 252]).unwrap();
        assert!(long.with_suffix(".bin").is_err());
        let dot = SafeName::new("x").unwrap();
        assert!(dot.with_suffix("/y").is_err());
    }

    #[test]
    fn rel_path_parse_and_join() {
        let p = RelPath::parse("redis/db_0/strings").unwrap();
        assert_eq!(p.components().len(), 3);
        let f = p.join(SafeName::new("k.bin").unwrap());
        assert_eq!(f.to_bytes(), b"redis/db_0/strings/k.bin");
        assert_eq!(f.to_string(), "redis/db_0/strings/k.bin");
        assert_eq!(f.file_name().as_bytes(), b"k.bin");
        assert_eq!(f.parent().unwrap(), p);
        assert_eq!(RelPath::parse("x").unwrap().parent(), None);
        assert_eq!(f.to_path_buf(), PathBuf::from("redis/db_0/strings/k.bin"));
        let q = p.join_path(&RelPath::parse("a/b").unwrap());
        assert_eq!(q.to_bytes(), b"redis/db_0/strings/a/b");
        assert_eq!(p.child("c").unwrap().to_bytes(), b"redis/db_0/strings/c");
    }

    #[test]
    fn rel_path_refusals() {
        for bad in ["", "/abs", "a//b", "a/", "./a", "a/../b", "..", "a/\0"] {
            assert!(RelPath::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(RelPath::from_names(vec![]), Err(PathError::NoSegments));
    }
}

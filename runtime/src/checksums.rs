//! `CHECKSUMS` (core.md §6): a `sha256sum(1)`-compatible listing of every regular file in
//! the dump, and its verifier.
//!
//! Differences from upstream, all deliberate:
//! * escaping (LF, CR, `\`) is done byte by byte, so a path with invalid UTF-8 keeps its real
//!   bytes instead of getting U+FFFD (core.md §11 item 6);
//! * the file is published through the output tree (temp file, fsync, rename, directory
//!   fsync);
//! * hashed files are opened with `O_NOFOLLOW`;
//! * the verifier also reports files present under the root that `CHECKSUMS` does not list.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::OpenOptions;
use std::io::{self, BufReader, Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::output::lines::{BoundedLines, LineError};
use crate::output::{OutputTree, RelPath, TreeError};

pub const CHECKSUMS_FILENAME: &str = "CHECKSUMS";
/// Longest `CHECKSUMS` line the verifier reads (Go scanner buffer size).
pub const MAX_CHECKSUM_LINE_BYTES: usize = 8 * 1024;
const HASH_BUFFER_BYTES: usize = 64 * 1024;
const HEX_LEN: usize = 64;

/// Errors of [`write_checksums`] and [`verify_checksums`].
#[derive(Debug, thiserror::Error)]
pub enum ChecksumsError {
    /// `ErrChecksumsMalformedLine`.
    #[error("backup: malformed CHECKSUMS line: {0}")]
    MalformedLine(String),
    /// `ErrChecksumMismatch` (digest differs, or the listed file is missing).
    #[error("backup: checksum mismatch: {0}")]
    Mismatch(String),
    /// `ErrChecksumsEmpty`.
    #[error("backup: CHECKSUMS contains no checksum rows")]
    Empty,
    /// `ErrChecksumsSymlinkEscape`.
    #[error("backup: CHECKSUMS path traverses symlink: {0}")]
    SymlinkEscape(String),
    /// `ErrChecksumsPathTraversal`.
    #[error("backup: CHECKSUMS path escapes dump root: {0}")]
    PathTraversal(String),
    /// A line longer than [`MAX_CHECKSUM_LINE_BYTES`].
    #[error("CHECKSUMS line {line}: bufio.Scanner: token too long")]
    LineTooLong { line: usize },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Tree(#[from] TreeError),
}

fn io_err(op: &'static str, path: &Path, source: io::Error) -> ChecksumsError {
    ChecksumsError::Io {
        op,
        path: path.display().to_string(),
        source,
    }
}

/// Outcome of a successful [`verify_checksums`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rows whose file matched.
    pub verified: usize,
    /// Regular files under the root (other than the root `CHECKSUMS`) that no row names,
    /// as `/`-separated relative paths (lossily converted for display), sorted.
    pub unlisted: Vec<String>,
}

pub(crate) fn to_hex(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(digest.len() * 2);
    for b in digest {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0F)]));
    }
    s
}

/// Lower-case hex SHA-256 of a file, streamed through a fixed buffer; the final component
/// is opened with `O_NOFOLLOW`.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; HASH_BUFFER_BYTES];
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(to_hex(&hasher.finalize()))
}

/// One `CHECKSUMS` line including its `\n`: `<hex>  <path>`, or, when the path contains LF,
/// CR or `\`, the GNU escaped form `\<hex>  <path with \n \r \\>` (byte-wise).
pub fn format_checksum_line(hex: &str, rel_path: &[u8]) -> Vec<u8> {
    let needs_escape = rel_path.iter().any(|&b| matches!(b, b'\n' | b'\r' | b'\\'));
    let mut out = Vec::with_capacity(hex.len() + rel_path.len() + 5);
    if needs_escape {
        out.push(b'\\');
    }
    out.extend_from_slice(hex.as_bytes());
    out.extend_from_slice(b"  ");
    if needs_escape {
        for &b in rel_path {
            match b {
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\\' => out.extend_from_slice(b"\\\\"),
                _ => out.push(b),
            }
        }
    } else {
        out.extend_from_slice(rel_path);
    }
    out.push(b'\n');
    out
}

/// Parses one line (without its terminator): optional `\` escape marker, 64 lower-case hex
/// digits, two spaces or space + `*`, the path (unescaped when marked). `None` when the
/// shape is wrong.
pub fn parse_checksum_line(line: &[u8]) -> Option<(String, Vec<u8>)> {
    let (escaped, line) = match line.strip_prefix(b"\\") {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    if line.len() < HEX_LEN + 3 {
        return None;
    }
    let hex = &line[..HEX_LEN];
    if !hex.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let rest = &line[HEX_LEN..];
    if !rest.starts_with(b"  ") && !rest.starts_with(b" *") {
        return None;
    }
    let body = &rest[2..];
    let path = if escaped {
        let mut out = Vec::with_capacity(body.len());
        let mut it = body.iter();
        while let Some(&b) = it.next() {
            if b != b'\\' {
                out.push(b);
                continue;
            }
            match it.next()? {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b'\\' => out.push(b'\\'),
                _ => return None,
            }
        }
        out
    } else {
        body.to_vec()
    };
    let hex = std::str::from_utf8(hex).expect("hex digits").to_owned();
    Some((hex, path))
}

/// Every regular file below `root` (symlinks not followed, directories recursed) except the
/// root-level `CHECKSUMS`, as `/`-joined relative byte paths in byte order.
/// Calls `visit` with the relative path of every regular file under `root` (the root-level
/// CHECKSUMS excepted), in ascending byte order of the `/`-separated path, without holding
/// more than one directory listing per level: siblings are sorted with a directory's key
/// being `name/`, which orders it exactly as every path below it sorts among its siblings
/// (`a-b` < `a/…` because `-` < `/`).
fn walk_files_sorted(
    root: &Path,
    visit: &mut dyn FnMut(&[u8]) -> Result<(), ChecksumsError>,
) -> Result<(), ChecksumsError> {
    fn walk(
        root: &Path,
        rel: &mut Vec<u8>,
        visit: &mut dyn FnMut(&[u8]) -> Result<(), ChecksumsError>,
    ) -> Result<(), ChecksumsError> {
        let dir = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(OsStr::from_bytes(rel))
        };
        let mut children: Vec<(Vec<u8>, bool)> = Vec::new();
        let entries = std::fs::read_dir(&dir).map_err(|e| io_err("read directory", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_err("read directory", &dir, e))?;
            let file_type = entry
                .file_type()
                .map_err(|e| io_err("stat", &entry.path(), e))?;
            let mut key = entry.file_name().as_bytes().to_vec();
            if file_type.is_dir() {
                key.push(b'/');
                children.push((key, true));
            } else if file_type.is_file() {
                if rel.is_empty() && key == CHECKSUMS_FILENAME.as_bytes() {
                    continue;
                }
                children.push((key, false));
            }
        }
        children.sort_unstable();
        for (key, is_dir) in children {
            let len = rel.len();
            if !rel.is_empty() {
                rel.push(b'/');
            }
            if is_dir {
                rel.extend_from_slice(&key[..key.len() - 1]);
                walk(root, rel, visit)?;
            } else {
                rel.extend_from_slice(&key);
                visit(rel)?;
            }
            rel.truncate(len);
        }
        Ok(())
    }
    walk(root, &mut Vec::new(), visit)
}

fn collect_files(root: &Path) -> Result<Vec<Vec<u8>>, ChecksumsError> {
    let mut files = Vec::new();
    walk_files_sorted(root, &mut |rel| {
        files.push(rel.to_vec());
        Ok(())
    })?;
    Ok(files)
}

/// Writes `<root>/CHECKSUMS` listing every regular file under `root` (core.md §6.1) and
/// returns the number of rows.
pub fn write_checksums(root: &Path) -> Result<usize, ChecksumsError> {
    let tree = OutputTree::open_existing(root)?;
    let target = RelPath::parse(CHECKSUMS_FILENAME).expect("valid literal name");
    let write_err = |e| {
        ChecksumsError::Tree(TreeError::Io {
            op: "write",
            path: CHECKSUMS_FILENAME.into(),
            source: e,
        })
    };
    // Lines are streamed, as the sorted walk finds files, into an unnamed temporary file (it
    // has no name, so the walk cannot list it): memory does not grow with the number of files.
    // It is then copied into CHECKSUMS through the tree's temp + rename.
    let mut lines = std::io::BufWriter::new(tempfile::tempfile_in(tree.root()).map_err(write_err)?);
    let mut rows = 0usize;
    let root_path = tree.root().to_path_buf();
    walk_files_sorted(&root_path, &mut |rel| {
        let path = root_path.join(OsStr::from_bytes(rel));
        let hex = sha256_file(&path).map_err(|e| io_err("hash", &path, e))?;
        lines
            .write_all(&format_checksum_line(&hex, rel))
            .map_err(write_err)?;
        rows += 1;
        Ok(())
    })?;
    let mut lines = lines.into_inner().map_err(|e| write_err(e.into_error()))?;
    lines.seek(std::io::SeekFrom::Start(0)).map_err(write_err)?;
    let mut out = tree.create_file(&target)?;
    std::io::copy(&mut lines, &mut out).map_err(write_err)?;
    out.commit_durable()?;
    Ok(rows)
}

fn shown(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// Upstream `validateChecksumRelPath` on Unix: `""`/`.` are malformed; absolute paths and
/// paths whose lexical cleaning climbs out of the root are traversal. Returns the cleaned
/// components.
fn clean_rel_path(line_no: usize, rel: &[u8]) -> Result<Vec<&[u8]>, ChecksumsError> {
    if rel.is_empty() || rel == b"." {
        return Err(ChecksumsError::MalformedLine(format!(
            "line {line_no}: empty path field"
        )));
    }
    if rel.starts_with(b"/") {
        return Err(ChecksumsError::PathTraversal(format!(
            "line {line_no}: absolute path {:?}",
            shown(rel)
        )));
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in rel.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if parts.pop().is_none() {
                    return Err(ChecksumsError::PathTraversal(format!(
                        "line {line_no}: {:?} escapes the root",
                        shown(rel)
                    )));
                }
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        return Err(ChecksumsError::MalformedLine(format!(
            "line {line_no}: {:?} names the root directory",
            shown(rel)
        )));
    }
    Ok(parts)
}

fn verify_row(
    root: &Path,
    line_no: usize,
    want: &str,
    parts: &[&[u8]],
) -> Result<(), ChecksumsError> {
    let joined = parts.join(&b'/');
    let mut cur = root.to_path_buf();
    for part in parts {
        cur.push(OsStr::from_bytes(part));
        match std::fs::symlink_metadata(&cur) {
            Ok(md) if md.file_type().is_symlink() => {
                return Err(ChecksumsError::SymlinkEscape(format!(
                    "line {line_no}: symlink in path: {}",
                    cur.display()
                )))
            }
            Ok(_) => {}
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.raw_os_error() == Some(libc::ENOTDIR) =>
            {
                return Err(ChecksumsError::Mismatch(format!(
                    "{}: missing on disk",
                    shown(&joined)
                )))
            }
            Err(e) => return Err(io_err("stat", &cur, e)),
        }
    }
    let md = std::fs::symlink_metadata(&cur).map_err(|e| io_err("stat", &cur, e))?;
    if !md.is_file() {
        return Err(ChecksumsError::Mismatch(format!(
            "{}: not a regular file",
            shown(&joined)
        )));
    }
    let got = sha256_file(&cur).map_err(|e| io_err("hash", &cur, e))?;
    if got != want {
        return Err(ChecksumsError::Mismatch(format!(
            "{}: have {got} want {want}",
            shown(&joined)
        )));
    }
    Ok(())
}

/// Verifies `<root>/CHECKSUMS` (core.md §6.2): stops at the first failure; zero rows is
/// [`ChecksumsError::Empty`]. On success also reports unlisted files.
pub fn verify_checksums(root: &Path) -> Result<VerifyReport, ChecksumsError> {
    let list_path: PathBuf = root.join(CHECKSUMS_FILENAME);
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&list_path)
        .map_err(|e| io_err("open", &list_path, e))?;
    let mut lines = BoundedLines::new(BufReader::new(file), MAX_CHECKSUM_LINE_BYTES);
    let mut listed: HashSet<Vec<u8>> = HashSet::new();
    let mut verified = 0usize;
    loop {
        let next_no = lines.line_no() + 1;
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(LineError::TooLong) => return Err(ChecksumsError::LineTooLong { line: next_no }),
            Err(LineError::Io(e)) => return Err(io_err("read", &list_path, e)),
        };
        if line.is_empty() {
            continue;
        }
        let (want, rel) = parse_checksum_line(line).ok_or_else(|| {
            ChecksumsError::MalformedLine(format!("line {next_no}: {:?}", shown(line)))
        })?;
        let parts = clean_rel_path(next_no, &rel)?;
        verify_row(root, next_no, &want, &parts)?;
        listed.insert(parts.join(&b'/'));
        verified += 1;
    }
    if verified == 0 {
        return Err(ChecksumsError::Empty);
    }
    let unlisted = collect_files(root)?
        .into_iter()
        .filter(|p| !listed.contains(p))
        .map(|p| shown(&p))
        .collect();
    Ok(VerifyReport { verified, unlisted })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn read_all(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap()
    }

    fn write(root: &Path, rel: &[u8], data: &[u8]) {
        let p = root.join(OsStr::from_bytes(rel));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }

    fn checksums_text(root: &Path) -> String {
        String::from_utf8(read_all(&root.join(CHECKSUMS_FILENAME))).unwrap()
    }

    fn set_checksums(root: &Path, content: &[u8]) {
        std::fs::write(root.join(CHECKSUMS_FILENAME), content).unwrap();
    }

    const HELLO: &str = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    const WORLD: &str = "486ea46224d1bb4fb680f34f7c9ad96a8f24ec88be73ea8e5a6c65260e9cb8a7";

    #[test]
    fn basic_listing() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), b"a.txt", b"hello");
        write(tmp.path(), b"nested/b.txt", b"world");
        assert_eq!(write_checksums(tmp.path()).unwrap(), 2);
        assert_eq!(
            checksums_text(tmp.path()),
            format!("{HELLO}  a.txt\n{WORLD}  nested/b.txt\n")
        );
    }

    #[test]
    fn excludes_self_but_lists_nested_checksums() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), b"a.txt", b"hello");
        write(tmp.path(), b"sub/CHECKSUMS", b"world");
        write_checksums(tmp.path()).unwrap();
        // A second run must not list the first run's CHECKSUMS.
        assert_eq!(write_checksums(tmp.path()).unwrap(), 2);
        let text = checksums_text(tmp.path());
        assert_eq!(text, format!("{HELLO}  a.txt\n{WORLD}  sub/CHECKSUMS\n"));
    }

    #[test]
    fn deterministic_byte_order() {
        let tmp = tempfile::tempdir().unwrap();
        for name in [
            "zz",
            "aa",
            "mm",
            "MANIFEST.json",
            "a-b",
            "a/b",
            "dynamodb/t/x.json",
        ] {
            write(tmp.path(), name.as_bytes(), name.as_bytes());
        }
        write_checksums(tmp.path()).unwrap();
        let first = checksums_text(tmp.path());
        write_checksums(tmp.path()).unwrap();
        assert_eq!(first, checksums_text(tmp.path()));
        let order: Vec<&str> = first.lines().map(|l| &l[66..]).collect();
        assert_eq!(
            order,
            [
                "MANIFEST.json",
                "a-b",
                "a/b",
                "aa",
                "dynamodb/t/x.json",
                "mm",
                "zz"
            ]
        );
    }

    #[test]
    fn skips_symlinks_and_empty_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), b"a.txt", b"hello");
        std::fs::create_dir(tmp.path().join(".scratch")).unwrap();
        symlink(tmp.path().join("a.txt"), tmp.path().join("link")).unwrap();
        assert_eq!(write_checksums(tmp.path()).unwrap(), 1);
    }

    #[test]
    fn verify_happy_path_and_unlisted() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), b"a.txt", b"hello");
        write(tmp.path(), b"nested/b.txt", b"world");
        write_checksums(tmp.path()).unwrap();
        let r = verify_checksums(tmp.path()).unwrap();
        assert_eq!(r.verified, 2);
        assert!(r.unlisted.is_empty());
        write(tmp.path(), b"late/extra", b"x");
        let r = verify_checksums(tmp.path()).unwrap();
        assert_eq!(r.unlisted, ["late/extra"]);
    }

    #[test]
    fn verify_detects_tampering() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), b"a.txt", b"hello");
        write_checksums(tmp.path()).unwrap();
        write(tmp.path(), b"a.txt", b"HELLO");
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::Mismatch(_))
        ));
    }

    #[test]
    fn verify_rejects_traversal_paths() {
        let tmp = tempfile::tempdir().unwrap();
        for p in ["../etc/passwd", "a/../../b", "/etc/passwd", ".."] {
            set_checksums(tmp.path(), format!("{HELLO}  {p}\n").as_bytes());
            assert!(
                matches!(
                    verify_checksums(tmp.path()),
                    Err(ChecksumsError::PathTraversal(_))
                ),
                "{p}"
            );
        }
        for p in [".", "a/..", "./."] {
            set_checksums(tmp.path(), format!("{HELLO}  {p}\n").as_bytes());
            assert!(
                matches!(
                    verify_checksums(tmp.path()),
                    Err(ChecksumsError::MalformedLine(_))
                ),
                "{p}"
            );
        }
        // `a/../b` is allowed and cleaned.
        write(tmp.path(), b"b", b"hello");
        set_checksums(tmp.path(), format!("{HELLO}  a/../b\n").as_bytes());
        assert_eq!(verify_checksums(tmp.path()).unwrap().verified, 1);
    }

    #[test]
    fn verify_rejects_empty_path_field() {
        let tmp = tempfile::tempdir().unwrap();
        set_checksums(tmp.path(), format!("{HELLO}  \n").as_bytes());
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::MalformedLine(_))
        ));
    }

    #[test]
    fn verify_rejects_terminal_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), b"secret", b"hello");
        symlink(outside.path().join("secret"), tmp.path().join("a.txt")).unwrap();
        set_checksums(tmp.path(), format!("{HELLO}  a.txt\n").as_bytes());
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::SymlinkEscape(_))
        ));
    }

    #[test]
    fn verify_rejects_intermediate_symlink() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), b"secret", b"hello");
        symlink(outside.path(), tmp.path().join("dir")).unwrap();
        set_checksums(tmp.path(), format!("{HELLO}  dir/secret\n").as_bytes());
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::SymlinkEscape(_))
        ));
    }

    #[test]
    fn accepts_honest_paths() {
        for p in [
            &b"MANIFEST.json"[..],
            b"redis/db_0/strings/greeting.bin",
            b"s3/bucket/dir/obj.elastickv-meta.json",
            b"dynamodb/t/items/b64.AQID/x%3Ay.json",
        ] {
            assert_eq!(clean_rel_path(1, p).unwrap().join(&b'/'), p);
        }
        assert_eq!(
            clean_rel_path(1, b"a//b/./c").unwrap().join(&b'/'),
            b"a/b/c"
        );
    }

    #[test]
    fn escape_round_trip() {
        for p in [
            &b"x\ny"[..],
            b"x\ry",
            b"back\\slash",
            b"\\\n\r\\",
            b"mix\\n\n",
            b"plain/path.txt",
            b"\xff\xfe\n",
        ] {
            let line = format_checksum_line(HELLO, p);
            assert_eq!(line.last(), Some(&b'\n'));
            let body = &line[..line.len() - 1];
            assert!(!body.contains(&b'\n'));
            let (hex, back) = parse_checksum_line(body).unwrap();
            assert_eq!(hex, HELLO);
            assert_eq!(back, p);
        }
    }

    #[test]
    fn escape_prefix_matches_gnu_format() {
        let line = format_checksum_line(HELLO, b"x\ny");
        assert_eq!(line, format!("\\{HELLO}  x\\ny\n").as_bytes());
        // Byte-wise: invalid UTF-8 in an escaped path is kept, not replaced by U+FFFD.
        let line = format_checksum_line(HELLO, b"\xff\\");
        assert_eq!(line, [b"\\", HELLO.as_bytes(), b"  \xff\\\\\n"].concat());
    }

    #[test]
    fn split_rejects_dangling_escape_and_bad_shapes() {
        assert!(parse_checksum_line(format!("\\{HELLO}  abc\\").as_bytes()).is_none());
        assert!(parse_checksum_line(format!("\\{HELLO}  a\\xb").as_bytes()).is_none());
        assert!(parse_checksum_line(format!("{}  a", HELLO.to_uppercase()).as_bytes()).is_none());
        assert!(parse_checksum_line(format!("{HELLO} a").as_bytes()).is_none());
        assert!(parse_checksum_line(format!("{HELLO}\ta").as_bytes()).is_none());
        assert!(parse_checksum_line(format!("{}  a", &HELLO[..63]).as_bytes()).is_none());
        assert_eq!(
            parse_checksum_line(format!("{HELLO} *a").as_bytes())
                .unwrap()
                .1,
            b"a"
        );
        // Unescaped lines keep backslashes literally.
        assert_eq!(
            parse_checksum_line(format!("{HELLO}  a\\b").as_bytes())
                .unwrap()
                .1,
            b"a\\b"
        );
    }

    #[test]
    fn verify_accepts_binary_marker_and_crlf() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), b"a.txt", b"hello");
        set_checksums(tmp.path(), format!("\n{HELLO} *a.txt\r\n\n").as_bytes());
        assert_eq!(verify_checksums(tmp.path()).unwrap().verified, 1);
    }

    #[test]
    fn verify_rejects_empty_checksums_file() {
        let tmp = tempfile::tempdir().unwrap();
        for content in [&b""[..], b"\n\n\n", b"\n"] {
            set_checksums(tmp.path(), content);
            assert!(matches!(
                verify_checksums(tmp.path()),
                Err(ChecksumsError::Empty)
            ));
        }
        // Whitespace-only lines are not blank: malformed.
        set_checksums(tmp.path(), b"  \n");
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::MalformedLine(_))
        ));
    }

    #[test]
    fn verify_missing_target_is_mismatch() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), b"a.txt", b"hello");
        write(tmp.path(), b"d/b.txt", b"world");
        write_checksums(tmp.path()).unwrap();
        std::fs::remove_file(tmp.path().join("d/b.txt")).unwrap();
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::Mismatch(_))
        ));
        // A file where a directory is expected is a mismatch too.
        set_checksums(tmp.path(), format!("{HELLO}  a.txt/x\n").as_bytes());
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::Mismatch(_))
        ));
        // A directory where a file is expected.
        set_checksums(tmp.path(), format!("{HELLO}  d\n").as_bytes());
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::Mismatch(_))
        ));
    }

    #[test]
    fn verify_line_limit() {
        let tmp = tempfile::tempdir().unwrap();
        let long = "a".repeat(MAX_CHECKSUM_LINE_BYTES);
        set_checksums(tmp.path(), format!("{HELLO}  {long}\n").as_bytes());
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::LineTooLong { line: 1 })
        ));
    }

    #[test]
    fn verify_missing_checksums_file_is_io_error() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(matches!(
            verify_checksums(tmp.path()),
            Err(ChecksumsError::Io { .. })
        ));
    }

    #[test]
    fn streams_large_file_set() {
        let tmp = tempfile::tempdir().unwrap();
        for i in 0..64 {
            let data = vec![i as u8; 100_000 + i * 7];
            write(tmp.path(), format!("d{}/f{i}", i % 5).as_bytes(), &data);
        }
        assert_eq!(write_checksums(tmp.path()).unwrap(), 64);
        assert_eq!(verify_checksums(tmp.path()).unwrap().verified, 64);
    }

    #[test]
    fn write_refuses_symlinked_checksums_target() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        write(outside.path(), b"victim", b"keep");
        write(tmp.path(), b"a.txt", b"hello");
        symlink(
            outside.path().join("victim"),
            tmp.path().join(CHECKSUMS_FILENAME),
        )
        .unwrap();
        assert!(matches!(
            write_checksums(tmp.path()),
            Err(ChecksumsError::Tree(TreeError::SymlinkTarget { .. }))
        ));
        assert_eq!(read_all(&outside.path().join("victim")), b"keep");
    }

    #[test]
    fn real_sha256sum_accepts_output() {
        let Ok(probe) = std::process::Command::new("sha256sum")
            .arg("--version")
            .output()
        else {
            eprintln!("sha256sum not installed; skipping");
            return;
        };
        assert!(probe.status.success());
        let tmp = tempfile::tempdir().unwrap();
        let names: [&[u8]; 8] = [
            b"a.txt",
            b"nested/b.txt",
            b"x\ny",
            b"back\\slash",
            b"cr\rname",
            b"\xff\xfe-latin1",
            b"esc\n\xff",
            b"sp ace/MANIFEST.json",
        ];
        for (i, n) in names.iter().enumerate() {
            write(tmp.path(), n, format!("content {i}").as_bytes());
        }
        assert_eq!(write_checksums(tmp.path()).unwrap(), names.len());
        let out = std::process::Command::new("sha256sum")
            .args(["-c", "--strict", CHECKSUMS_FILENAME])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let ok_lines = out
            .stdout
            .split(|&b| b == b'\n')
            .filter(|l| l.ends_with(b": OK"))
            .count();
        assert_eq!(ok_lines, names.len());
        // And our verifier agrees with the same file.
        assert_eq!(verify_checksums(tmp.path()).unwrap().verified, names.len());
        // Tampering is caught by the real tool too.
        write(tmp.path(), b"x\ny", b"changed");
        let out = std::process::Command::new("sha256sum")
            .args(["-c", CHECKSUMS_FILENAME])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert!(!out.status.success());
    }

    #[test]
    fn directories_sort_as_their_paths_do() {
        // The walk sorts a directory as `name/`: `a-b` (0x2D) < `a/…` (0x2F) < `a0` (0x30).
        let tmp = tempfile::tempdir().unwrap();
        for rel in ["a0", "a/b", "a-b", "a.c", "a/a/z", "ab", "a/c"] {
            let path = tmp.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, rel).unwrap();
        }
        write_checksums(tmp.path()).unwrap();
        let text = std::fs::read_to_string(tmp.path().join(CHECKSUMS_FILENAME)).unwrap();
        let paths: Vec<&str> = text.lines().map(|l| &l[66..]).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        assert_eq!(paths, ["a-b", "a.c", "a/a/z", "a/b", "a/c", "a0", "ab"]);
    }
}

//! The output directory and the only ways to put something into it.
//!
//! [`OutputTree`] holds an open descriptor of the output root and resolves every
//! [`RelPath`] component by component with `openat(O_DIRECTORY | O_NOFOLLOW)`: a symlink or a
//! non-directory anywhere on the way is refused, and because each step is relative to the
//! descriptor of the previous directory, nothing can be written outside the root even if the
//! tree changes concurrently.
//!
//! Files are written atomically (core.md §7.1, applied to every output): data goes to a
//! temporary `.<name>.tmp-<random>` in the target's directory, created with
//! `O_CREAT | O_EXCL | O_NOFOLLOW` and mode 0600; `commit` refuses a symlink (or directory) at
//! the target and renames over it; dropping an uncommitted file removes the temporary.

use std::ffi::CStr;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, BufWriter, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::path::{RelPath, SafeName, MAX_NAME_BYTES};
use crate::json::{JsonStyle, JsonWriter};

/// Buffer size of [`AtomicFile`] and [`JsonlWriter`].
pub const WRITE_BUFFER_BYTES: usize = 64 * 1024;
/// Mode of created directories (before umask).
pub const DIR_MODE: libc::mode_t = 0o755;
/// Mode of created files (before umask).
pub const FILE_MODE: libc::mode_t = 0o600;

/// Errors of the output tree.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("output directory {}: is a symlink; refusing to write through it", .path.display())]
    RootIsSymlink { path: PathBuf },
    #[error("output directory {}: exists and is not a directory", .path.display())]
    RootNotDirectory { path: PathBuf },
    #[error("output directory {}: exists and is not empty (use --force to write into it)", .path.display())]
    RootNotEmpty { path: PathBuf },
    #[error("{path}: path component is a symlink; refusing")]
    SymlinkComponent { path: String },
    #[error("{path}: path component exists and is not a directory")]
    NotADirectory { path: String },
    #[error("{path}: refusing to overwrite symlink")]
    SymlinkTarget { path: String },
    #[error("{path}: refusing to overwrite a directory")]
    TargetIsDirectory { path: String },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: String,
        #[source]
        source: io::Error,
    },
}

fn io_err(op: &'static str, path: impl Into<String>, source: io::Error) -> TreeError {
    TreeError::Io {
        op,
        path: path.into(),
        source,
    }
}

#[derive(Debug)]
struct Root {
    path: PathBuf,
    fd: OwnedFd,
}

/// The output directory. Cheap to clone (shares one open descriptor).
#[derive(Debug, Clone)]
pub struct OutputTree {
    root: Arc<Root>,
}

/// Strips trailing `/` and `.` so that a final symlink component is not silently resolved.
fn normalize_root(root: &Path) -> PathBuf {
    let p: PathBuf = root.components().collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

fn cstring_path(path: &Path) -> Result<std::ffi::CString, TreeError> {
    std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        io_err(
            "open",
            path.display().to_string(),
            io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"),
        )
    })
}

fn open_root_fd(path: &Path) -> Result<OwnedFd, TreeError> {
    let c = cstring_path(path)?;
    // SAFETY: `c` is a valid NUL-terminated string; the returned descriptor is owned below.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        let err = io::Error::last_os_error();
        return Err(match std::fs::symlink_metadata(path) {
            Ok(md) if md.file_type().is_symlink() => TreeError::RootIsSymlink {
                path: path.to_path_buf(),
            },
            Ok(md) if !md.is_dir() => TreeError::RootNotDirectory {
                path: path.to_path_buf(),
            },
            _ => io_err("open", path.display().to_string(), err),
        });
    }
    // SAFETY: `fd` is a freshly opened descriptor nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// What is at `name` inside `dir`, without following a symlink.
enum Entry {
    Missing,
    Symlink,
    Directory,
    Other,
}

fn lstat_at(dir: &OwnedFd, name: &CStr) -> io::Result<Entry> {
    // SAFETY: zeroed `stat` is a valid out-parameter; `name` is NUL-terminated.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let rc = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc != 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::NotFound {
            Ok(Entry::Missing)
        } else {
            Err(err)
        };
    }
    Ok(match st.st_mode & libc::S_IFMT {
        libc::S_IFLNK => Entry::Symlink,
        libc::S_IFDIR => Entry::Directory,
        _ => Entry::Other,
    })
}

fn openat_dir(dir: &OwnedFd, name: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: valid descriptor and NUL-terminated name; the result is owned below.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            name.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: freshly opened descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn random_suffix() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::collections::hash_map::RandomState::new().hash_one((n, std::process::id()))
}

/// `.<name>.tmp-<16 hex digits>`, with `name` shortened so the result fits `NAME_MAX`.
fn temp_name(target: &SafeName) -> std::ffi::CString {
    let suffix = format!(".tmp-{:016x}", random_suffix());
    let room = MAX_NAME_BYTES - 1 - suffix.len();
    let base = target.as_bytes();
    let mut v = Vec::with_capacity(MAX_NAME_BYTES);
    v.push(b'.');
    v.extend_from_slice(&base[..base.len().min(room)]);
    v.extend_from_slice(suffix.as_bytes());
    std::ffi::CString::new(v).expect("no NUL in a SafeName")
}

impl OutputTree {
    /// Prepares the output directory: created (mode 0755, parents too) when absent; when
    /// present it must be a real directory (a symlinked root is refused) and, unless `force`,
    /// empty.
    pub fn prepare(root: &Path, force: bool) -> Result<OutputTree, TreeError> {
        let path = normalize_root(root);
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o755)
                    .create(&path)
                    .map_err(|e| io_err("create directory", path.display().to_string(), e))?;
            }
            Err(e) => return Err(io_err("stat", path.display().to_string(), e)),
            Ok(md) if md.file_type().is_symlink() => return Err(TreeError::RootIsSymlink { path }),
            Ok(md) if !md.is_dir() => return Err(TreeError::RootNotDirectory { path }),
            Ok(_) => {
                if !force {
                    let mut entries = std::fs::read_dir(&path)
                        .map_err(|e| io_err("read directory", path.display().to_string(), e))?;
                    if entries.next().is_some() {
                        return Err(TreeError::RootNotEmpty { path });
                    }
                }
            }
        }
        Self::open_existing(&path)
    }

    /// Opens an existing output directory (no emptiness check; a symlinked root is refused).
    pub fn open_existing(root: &Path) -> Result<OutputTree, TreeError> {
        let path = normalize_root(root);
        let fd = open_root_fd(&path)?;
        Ok(OutputTree {
            root: Arc::new(Root { path, fd }),
        })
    }

    /// The root path as given (normalised: no trailing `/` or `.`).
    pub fn root(&self) -> &Path {
        &self.root.path
    }

    /// Opens (creating when `create`) the directory made of `names` below the root.
    fn open_dir(&self, names: &[SafeName], create: bool) -> Result<OwnedFd, TreeError> {
        let mut dir = self
            .root
            .fd
            .try_clone()
            .map_err(|e| io_err("dup", self.root.path.display().to_string(), e))?;
        for (depth, name) in names.iter().enumerate() {
            let shown = || {
                RelPath::from_names(names[..=depth].to_vec())
                    .map(|p| p.to_string())
                    .unwrap_or_default()
            };
            let cname = name.to_cstring();
            let mut attempts = 0;
            dir = loop {
                attempts += 1;
                match openat_dir(&dir, &cname) {
                    Ok(fd) => break fd,
                    Err(e) if e.kind() == io::ErrorKind::NotFound && create && attempts < 4 => {
                        // SAFETY: valid descriptor and NUL-terminated name.
                        let rc =
                            unsafe { libc::mkdirat(dir.as_raw_fd(), cname.as_ptr(), DIR_MODE) };
                        if rc != 0 {
                            let err = io::Error::last_os_error();
                            if err.kind() != io::ErrorKind::AlreadyExists {
                                return Err(io_err("create directory", shown(), err));
                            }
                        }
                    }
                    Err(e) => {
                        return Err(match lstat_at(&dir, &cname) {
                            Ok(Entry::Symlink) => TreeError::SymlinkComponent { path: shown() },
                            Ok(Entry::Other) => TreeError::NotADirectory { path: shown() },
                            _ => io_err("open directory", shown(), e),
                        })
                    }
                }
            };
        }
        Ok(dir)
    }

    /// Creates `dir` and every missing parent (mode 0755). Refuses symlinks and
    /// non-directories on the way.
    pub fn create_dir_all(&self, dir: &RelPath) -> Result<(), TreeError> {
        self.open_dir(dir.components(), true).map(drop)
    }

    /// Starts an atomic write of `path` (parent directories are created as needed).
    pub fn create_file(&self, path: &RelPath) -> Result<AtomicFile, TreeError> {
        let comps = path.components();
        let (name, parents) = comps.split_last().expect("RelPath is never empty");
        let dir = self.open_dir(parents, true)?;
        create_in(dir, name, path.to_string())
    }

    /// Opens directory `dir` (created with its parents as needed) for writing several
    /// files into it without resolving the path again for each; same checks as
    /// [`OutputTree::create_dir_all`].
    pub fn open_directory(&self, dir: &RelPath) -> Result<TreeDir, TreeError> {
        Ok(TreeDir {
            fd: self.open_dir(dir.components(), true)?,
            path: dir.clone(),
        })
    }

    /// Writes `data` to `path` atomically (no fsync, like upstream's whole-file outputs).
    pub fn write_file(&self, path: &RelPath, data: &[u8]) -> Result<(), TreeError> {
        let mut f = self.create_file(path)?;
        f.write_all(data)
            .map_err(|e| io_err("write", path.to_string(), e))?;
        f.commit()
    }

    /// Moves the finished file `source` (outside the tree, on the same filesystem) to
    /// `path` with one rename, creating parent directories; the same target checks as
    /// [`AtomicFile::commit`]. [`Moved::CrossDevice`] (and `source` untouched) when the
    /// rename cannot cross filesystems: the caller copies instead.
    pub fn move_into(&self, path: &RelPath, source: &Path) -> Result<Moved, TreeError> {
        let comps = path.components();
        let (name, parents) = comps.split_last().expect("RelPath is never empty");
        let dir = self.open_dir(parents, true)?;
        move_in(&dir, name, path.to_string(), source)
    }

    /// Whether anything (file, directory, symlink) is at `path`. A missing parent, or a
    /// parent that is not a directory, means nothing is there. Creates nothing.
    pub fn exists(&self, path: &RelPath) -> Result<bool, TreeError> {
        let comps = path.components();
        let (name, parents) = comps.split_last().expect("RelPath is never empty");
        let mut dir = self
            .root
            .fd
            .try_clone()
            .map_err(|e| io_err("dup", self.root.path.display().to_string(), e))?;
        for parent in parents {
            dir = match openat_dir(&dir, &parent.to_cstring()) {
                Ok(fd) => fd,
                Err(e)
                    if e.kind() == io::ErrorKind::NotFound
                        || e.raw_os_error() == Some(libc::ENOTDIR)
                        || e.raw_os_error() == Some(libc::ELOOP) =>
                {
                    return Ok(false)
                }
                Err(e) => return Err(io_err("open directory", path.to_string(), e)),
            };
        }
        match lstat_at(&dir, &name.to_cstring()) {
            Ok(Entry::Missing) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) => Err(io_err("stat", path.to_string(), e)),
        }
    }

    /// Removes `dir` if it is empty, then each parent that became empty, stopping at the
    /// first one that is not (or at `keep` leading components, which are never removed).
    /// For cleaning up after a write that failed halfway; errors are ignored.
    pub fn remove_empty_dirs(&self, dir: &RelPath, keep: usize) {
        let comps = dir.components();
        for depth in (keep + 1..=comps.len()).rev() {
            let (name, parents) = comps[..depth].split_last().expect("depth >= 1");
            let Ok(parent) = self.open_dir(parents, false) else {
                return;
            };
            // SAFETY: valid descriptor and NUL-terminated name.
            let rc = unsafe {
                libc::unlinkat(
                    parent.as_raw_fd(),
                    name.to_cstring().as_ptr(),
                    libc::AT_REMOVEDIR,
                )
            };
            if rc != 0 {
                return;
            }
        }
    }

    /// Starts a JSON-lines file written through the same temp + rename path.
    pub fn create_jsonl(&self, path: &RelPath) -> Result<JsonlWriter, TreeError> {
        Ok(JsonlWriter {
            file: self.create_file(path)?,
            scratch: JsonWriter::new(JsonStyle::Compact, false),
            lines: 0,
        })
    }
}

/// Creates the temporary file of an atomic write of `name` in `dir`.
fn create_in(dir: OwnedFd, name: &SafeName, shown: String) -> Result<AtomicFile, TreeError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let tmp = temp_name(name);
        // SAFETY: valid descriptor and NUL-terminated name; the result is owned below.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                tmp.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                libc::c_uint::from(FILE_MODE),
            )
        };
        if fd < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::AlreadyExists && attempts < 16 {
                continue;
            }
            return Err(io_err("create temporary file for", shown, err));
        }
        // SAFETY: freshly opened descriptor.
        let file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        return Ok(AtomicFile {
            dir,
            tmp_name: tmp,
            target: name.clone(),
            shown,
            writer: Some(BufWriter::with_capacity(WRITE_BUFFER_BYTES, file)),
            committed: false,
        });
    }
}

/// Renames `source` (outside the tree) to `name` in `dir`; see [`OutputTree::move_into`].
fn move_in(
    dir: &OwnedFd,
    name: &SafeName,
    shown: String,
    source: &Path,
) -> Result<Moved, TreeError> {
    let target = name.to_cstring();
    match lstat_at(dir, &target) {
        Ok(Entry::Symlink) => return Err(TreeError::SymlinkTarget { path: shown }),
        Ok(Entry::Directory) => return Err(TreeError::TargetIsDirectory { path: shown }),
        Ok(_) => {}
        Err(e) => return Err(io_err("stat", shown, e)),
    }
    let from = cstring_path(source)?;
    // SAFETY: valid descriptor and NUL-terminated names.
    let rc = unsafe {
        libc::renameat(
            libc::AT_FDCWD,
            from.as_ptr(),
            dir.as_raw_fd(),
            target.as_ptr(),
        )
    };
    if rc != 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EXDEV) {
            return Ok(Moved::CrossDevice);
        }
        return Err(io_err("rename into", shown, err));
    }
    Ok(Moved::Done)
}

/// A directory of the tree held open (see [`OutputTree::open_directory`]). If the
/// directory is removed meanwhile, files created through it are lost: drop it first.
#[derive(Debug)]
pub struct TreeDir {
    fd: OwnedFd,
    path: RelPath,
}

impl TreeDir {
    /// The directory's path relative to the output root.
    pub fn path(&self) -> &RelPath {
        &self.path
    }

    fn fd(&self) -> Result<OwnedFd, TreeError> {
        self.fd
            .try_clone()
            .map_err(|e| io_err("dup", self.path.to_string(), e))
    }

    /// [`OutputTree::create_file`] of `name` in this directory.
    pub fn create_file(&self, name: &SafeName) -> Result<AtomicFile, TreeError> {
        create_in(self.fd()?, name, self.path.join(name.clone()).to_string())
    }

    /// [`OutputTree::write_file`] of `name` in this directory.
    pub fn write_file(&self, name: &SafeName, data: &[u8]) -> Result<(), TreeError> {
        let mut f = self.create_file(name)?;
        f.write_all(data)
            .map_err(|e| io_err("write", f.display_path().to_string(), e))?;
        f.commit()
    }

    /// [`OutputTree::move_into`] of `name` in this directory.
    pub fn move_into(&self, name: &SafeName, source: &Path) -> Result<Moved, TreeError> {
        move_in(
            &self.fd,
            name,
            self.path.join(name.clone()).to_string(),
            source,
        )
    }
}

/// What [`OutputTree::move_into`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// The file is at its target.
    Done,
    /// Source and target are on different filesystems; nothing was done.
    CrossDevice,
}

/// A file being written to a temporary name; see the module docs.
#[derive(Debug)]
pub struct AtomicFile {
    dir: OwnedFd,
    tmp_name: std::ffi::CString,
    target: SafeName,
    shown: String,
    writer: Option<BufWriter<File>>,
    committed: bool,
}

impl AtomicFile {
    /// The target path relative to the output root, for messages.
    pub fn display_path(&self) -> &str {
        &self.shown
    }

    /// Flushes, closes and renames over the target. No fsync (core.md §7.1).
    pub fn commit(self) -> Result<(), TreeError> {
        self.finish(false)
    }

    /// Appends `len` bytes of `src` starting at `offset`, in the kernel where it can
    /// (`copy_file_range`, which also shares extents on filesystems that support it), else
    /// through the write buffer. A source shorter than `offset + len` is an error.
    pub fn append_range(&mut self, src: &File, offset: u64, len: u64) -> io::Result<()> {
        let writer = self.writer.as_mut().expect("writer present until finish");
        writer.flush()?;
        let mut src_off = offset;
        let mut left = len;
        let short = || io::Error::new(io::ErrorKind::UnexpectedEof, "source file too short");
        while left > 0 {
            let mut from = i64::try_from(src_off).map_err(|_| short())?;
            let chunk = usize::try_from(left.min(1 << 30)).expect("at most 1 GiB");
            // SAFETY: valid descriptors; `from` is a valid in/out offset; a null output
            // offset means the file position (the end of what was written).
            let n = unsafe {
                libc::copy_file_range(
                    src.as_raw_fd(),
                    &mut from,
                    writer.get_ref().as_raw_fd(),
                    std::ptr::null_mut(),
                    chunk,
                    0,
                )
            };
            if n < 0 {
                let err = io::Error::last_os_error();
                match err.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(
                        libc::EXDEV | libc::ENOSYS | libc::EOPNOTSUPP | libc::EINVAL | libc::EPERM,
                    ) => break,
                    _ => return Err(err),
                }
            }
            if n == 0 {
                return Err(short());
            }
            src_off += n as u64;
            left -= n as u64;
        }
        // Fallback: read and write through the buffer.
        let mut buf = vec![0u8; usize::try_from(left.min(1 << 20)).expect("at most 1 MiB")];
        while left > 0 {
            let want = usize::try_from(left.min(buf.len() as u64)).expect("fits the buffer");
            let n = std::os::unix::fs::FileExt::read_at(src, &mut buf[..want], src_off)?;
            if n == 0 {
                return Err(short());
            }
            writer.write_all(&buf[..n])?;
            src_off += n as u64;
            left -= n as u64;
        }
        Ok(())
    }

    /// Like [`AtomicFile::commit`], plus fsync of the file before the rename and of the
    /// directory after it (used for `MANIFEST.json` and `CHECKSUMS`).
    pub fn commit_durable(self) -> Result<(), TreeError> {
        self.finish(true)
    }

    fn finish(mut self, durable: bool) -> Result<(), TreeError> {
        let writer = self.writer.take().expect("writer present until finish");
        let file = writer
            .into_inner()
            .map_err(|e| io_err("write", self.shown.clone(), e.into_error()))?;
        if durable {
            file.sync_all()
                .map_err(|e| io_err("fsync", self.shown.clone(), e))?;
        }
        drop(file);
        let target = self.target.to_cstring();
        match lstat_at(&self.dir, &target) {
            Ok(Entry::Symlink) => {
                return Err(TreeError::SymlinkTarget {
                    path: self.shown.clone(),
                })
            }
            Ok(Entry::Directory) => {
                return Err(TreeError::TargetIsDirectory {
                    path: self.shown.clone(),
                })
            }
            Ok(_) => {}
            Err(e) => return Err(io_err("stat", self.shown.clone(), e)),
        }
        // SAFETY: valid descriptor and NUL-terminated names.
        let rc = unsafe {
            libc::renameat(
                self.dir.as_raw_fd(),
                self.tmp_name.as_ptr(),
                self.dir.as_raw_fd(),
                target.as_ptr(),
            )
        };
        if rc != 0 {
            return Err(io_err(
                "rename into",
                self.shown.clone(),
                io::Error::last_os_error(),
            ));
        }
        self.committed = true;
        if durable {
            // SAFETY: valid descriptor.
            if unsafe { libc::fsync(self.dir.as_raw_fd()) } != 0 {
                return Err(io_err(
                    "fsync directory of",
                    self.shown.clone(),
                    io::Error::last_os_error(),
                ));
            }
        }
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writer
            .as_mut()
            .expect("writer present until finish")
            .write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.writer
            .as_mut()
            .expect("writer present until finish")
            .write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer
            .as_mut()
            .expect("writer present until finish")
            .flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            // Discard buffered bytes instead of flushing them into a file about to vanish.
            let _ = w.into_parts();
        }
        if !self.committed {
            // SAFETY: valid descriptor and NUL-terminated name.
            unsafe {
                libc::unlinkat(self.dir.as_raw_fd(), self.tmp_name.as_ptr(), 0);
            }
        }
    }
}

/// A JSON-lines file: one compact JSON value per line, each ending with `\n`.
#[derive(Debug)]
pub struct JsonlWriter {
    file: AtomicFile,
    scratch: JsonWriter,
    lines: u64,
}

impl JsonlWriter {
    /// Appends one pre-rendered line (must not contain `\n`) and the newline.
    pub fn write_line(&mut self, json: &[u8]) -> Result<(), TreeError> {
        debug_assert!(!json.contains(&b'\n'), "JSONL line contains a newline");
        let shown = &self.file.shown;
        let w = self
            .file
            .writer
            .as_mut()
            .expect("writer present until finish");
        w.write_all(json)
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| io_err("write", shown.clone(), e))?;
        self.lines += 1;
        Ok(())
    }

    /// Renders one value with `build` (compact layout, HTML escaping as given; `build` may
    /// toggle it per value) and appends it as a line.
    pub fn write_json(
        &mut self,
        escape_html: bool,
        build: impl FnOnce(&mut JsonWriter),
    ) -> Result<(), TreeError> {
        let mut scratch = std::mem::replace(
            &mut self.scratch,
            JsonWriter::new(JsonStyle::Compact, false),
        );
        scratch.clear();
        scratch.set_escape_html(escape_html);
        build(&mut scratch);
        assert!(
            scratch.is_complete(),
            "JsonlWriter::write_json: incomplete value"
        );
        let result = self.write_line(scratch.as_bytes());
        self.scratch = scratch;
        result
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    pub fn display_path(&self) -> &str {
        self.file.display_path()
    }

    /// Flushes and renames the file into place; returns the number of lines.
    pub fn finish(self) -> Result<u64, TreeError> {
        let lines = self.lines;
        self.file.commit()?;
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    fn rel(s: &str) -> RelPath {
        RelPath::parse(s).unwrap()
    }

    fn list(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn prepare_creates_missing_root_with_0755() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("a/b/out");
        let tree = OutputTree::prepare(&root, false).unwrap();
        assert!(root.is_dir());
        assert_eq!(tree.root(), root.as_path());
        let mode = std::fs::metadata(&root).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o022, 0o755 & !0o022);
    }

    #[test]
    fn prepare_accepts_empty_and_refuses_non_empty_unless_force() {
        let tmp = tempfile::tempdir().unwrap();
        OutputTree::prepare(tmp.path(), false).unwrap();
        std::fs::write(tmp.path().join("old"), b"x").unwrap();
        assert!(matches!(
            OutputTree::prepare(tmp.path(), false),
            Err(TreeError::RootNotEmpty { .. })
        ));
        OutputTree::prepare(tmp.path(), true).unwrap();
    }

    #[test]
    fn prepare_refuses_symlinked_root_and_files() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = tmp.path().join("link");
        symlink(&real, &link).unwrap();
        for force in [false, true] {
            assert!(matches!(
                OutputTree::prepare(&link, force),
                Err(TreeError::RootIsSymlink { .. })
            ));
        }
        // A trailing slash must not resolve the link.
        let with_slash = PathBuf::from(format!("{}/", link.display()));
        assert!(matches!(
            OutputTree::prepare(&with_slash, true),
            Err(TreeError::RootIsSymlink { .. })
        ));
        assert!(matches!(
            OutputTree::open_existing(&link),
            Err(TreeError::RootIsSymlink { .. })
        ));
        let file = tmp.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        assert!(matches!(
            OutputTree::prepare(&file, true),
            Err(TreeError::RootNotDirectory { .. })
        ));
    }

    #[test]
    fn write_file_creates_parents_and_content() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        tree.write_file(&rel("redis/db_0/strings/k.bin"), b"hello")
            .unwrap();
        let p = tmp.path().join("redis/db_0/strings/k.bin");
        assert_eq!(std::fs::read(&p).unwrap(), b"hello");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Overwrite replaces.
        tree.write_file(&rel("redis/db_0/strings/k.bin"), b"bye")
            .unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"bye");
        assert_eq!(list(&tmp.path().join("redis/db_0/strings")), ["k.bin"]);
    }

    #[test]
    fn non_utf8_names_are_written_verbatim() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let name = SafeName::new(b"\xff\xfe x").unwrap();
        tree.write_file(&RelPath::new(name), b"1").unwrap();
        let p = tmp.path().join(std::ffi::OsStr::from_bytes(b"\xff\xfe x"));
        assert_eq!(std::fs::read(p).unwrap(), b"1");
    }

    #[test]
    fn create_dir_all_refuses_symlinked_component() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        tree.create_dir_all(&rel("a")).unwrap();
        symlink(outside.path(), tmp.path().join("a/b")).unwrap();
        let err = tree.create_dir_all(&rel("a/b/c")).unwrap_err();
        assert!(
            matches!(&err, TreeError::SymlinkComponent { path } if path == "a/b"),
            "{err}"
        );
        let err = tree.write_file(&rel("a/b/f"), b"x").unwrap_err();
        assert!(matches!(err, TreeError::SymlinkComponent { .. }));
        assert!(list(outside.path()).is_empty());
        // A symlink as the first component too.
        symlink(outside.path(), tmp.path().join("top")).unwrap();
        assert!(matches!(
            tree.write_file(&rel("top/f"), b"x"),
            Err(TreeError::SymlinkComponent { .. })
        ));
        assert!(list(outside.path()).is_empty());
    }

    #[test]
    fn create_dir_all_refuses_file_component() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        tree.write_file(&rel("f"), b"x").unwrap();
        assert!(matches!(
            tree.create_dir_all(&rel("f/g")),
            Err(TreeError::NotADirectory { .. })
        ));
        assert!(matches!(
            tree.write_file(&rel("f/g"), b"x"),
            Err(TreeError::NotADirectory { .. })
        ));
        tree.create_dir_all(&rel("d/e")).unwrap();
        tree.create_dir_all(&rel("d/e")).unwrap();
        assert!(tmp.path().join("d/e").is_dir());
    }

    #[test]
    fn commit_refuses_symlink_target_and_cleans_up() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        symlink(&victim, tmp.path().join("t.bin")).unwrap();
        let err = tree.write_file(&rel("t.bin"), b"evil").unwrap_err();
        assert!(matches!(err, TreeError::SymlinkTarget { .. }), "{err}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
        assert_eq!(list(tmp.path()), ["t.bin"]);
        assert!(std::fs::symlink_metadata(tmp.path().join("t.bin"))
            .unwrap()
            .file_type()
            .is_symlink());
    }

    #[test]
    fn commit_refuses_directory_target() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        tree.create_dir_all(&rel("d")).unwrap();
        assert!(matches!(
            tree.write_file(&rel("d"), b"x"),
            Err(TreeError::TargetIsDirectory { .. })
        ));
        assert_eq!(list(tmp.path()), ["d"]);
    }

    #[test]
    fn dropping_uncommitted_file_removes_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let mut f = tree.create_file(&rel("x/y.json")).unwrap();
        f.write_all(&vec![b'a'; 100_000]).unwrap();
        let names = list(&tmp.path().join("x"));
        assert_eq!(names.len(), 1);
        assert!(names[0].starts_with(".y.json.tmp-"), "{names:?}");
        drop(f);
        assert!(list(&tmp.path().join("x")).is_empty());
    }

    #[test]
    fn temp_names_fit_name_max() {
        let long = SafeName::new([b'n'; 255]).unwrap();
        let t = temp_name(&long);
        assert_eq!(t.as_bytes().len(), 255);
        assert!(t.as_bytes().starts_with(b".nnn"));
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        tree.write_file(&RelPath::new(long), b"ok").unwrap();
        assert_ne!(
            temp_name(&SafeName::new("a").unwrap()),
            temp_name(&SafeName::new("a").unwrap())
        );
    }

    #[test]
    fn jsonl_writer_lines_and_atomic_finish() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let mut w = tree.create_jsonl(&rel("s/messages.jsonl")).unwrap();
        w.write_json(false, |j| {
            j.begin_object().key("a").str("<&>").end_object();
        })
        .unwrap();
        w.write_json(true, |j| {
            j.begin_object().key("b").str("<").end_object();
        })
        .unwrap();
        w.write_line(br#"{"c":1}"#).unwrap();
        assert_eq!(w.lines(), 3);
        assert!(!tmp.path().join("s/messages.jsonl").exists());
        assert_eq!(w.finish().unwrap(), 3);
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("s/messages.jsonl")).unwrap(),
            "{\"a\":\"<&>\"}\n{\"b\":\"\\u003c\"}\n{\"c\":1}\n"
        );
        assert_eq!(list(&tmp.path().join("s")), ["messages.jsonl"]);
    }

    #[test]
    fn dropped_jsonl_writer_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let mut w = tree.create_jsonl(&rel("k.jsonl")).unwrap();
        w.write_line(b"{}").unwrap();
        drop(w);
        assert!(list(tmp.path()).is_empty());
    }

    #[test]
    fn commit_durable_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let mut f = tree.create_file(&rel("MANIFEST.json")).unwrap();
        f.write_all(b"{}\n").unwrap();
        assert_eq!(f.display_path(), "MANIFEST.json");
        f.commit_durable().unwrap();
        assert_eq!(
            std::fs::read(tmp.path().join("MANIFEST.json")).unwrap(),
            b"{}\n"
        );
    }

    #[test]
    fn move_into_exists_and_open_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(&tmp.path().join("out"), false).unwrap();
        let src = tmp.path().join("src");
        std::fs::write(&src, b"moved").unwrap();
        assert!(!tree.exists(&rel("a/b/c")).unwrap());
        assert_eq!(tree.move_into(&rel("a/b/c"), &src).unwrap(), Moved::Done);
        assert!(!src.exists());
        assert!(tree.exists(&rel("a/b/c")).unwrap());
        assert!(tree.exists(&rel("a/b")).unwrap());
        // A file where a parent should be: nothing there, and creating fails.
        assert!(!tree.exists(&rel("a/b/c/d")).unwrap());
        std::fs::write(&src, b"x").unwrap();
        assert!(matches!(
            tree.move_into(&rel("a/b/c/d"), &src),
            Err(TreeError::NotADirectory { .. })
        ));
        assert!(matches!(
            tree.move_into(&rel("a/b"), &src),
            Err(TreeError::TargetIsDirectory { .. })
        ));
        assert!(src.exists(), "a refused move leaves the source");
        let dir = tree.open_directory(&rel("a/b")).unwrap();
        assert_eq!(dir.path(), &rel("a/b"));
        dir.write_file(&SafeName::new("w").unwrap(), b"written")
            .unwrap();
        assert_eq!(
            dir.move_into(&SafeName::new("m").unwrap(), &src).unwrap(),
            Moved::Done
        );
        let root = tmp.path().join("out");
        assert_eq!(std::fs::read(root.join("a/b/w")).unwrap(), b"written");
        assert_eq!(std::fs::read(root.join("a/b/m")).unwrap(), b"x");
        assert_eq!(std::fs::read(root.join("a/b/c")).unwrap(), b"moved");
        assert_eq!(list(&root.join("a/b")), ["c", "m", "w"]);
    }

    #[test]
    fn append_range_and_removing_empty_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(&tmp.path().join("out"), false).unwrap();
        let src_path = tmp.path().join("src");
        std::fs::write(&src_path, b"0123456789").unwrap();
        let src = File::open(&src_path).unwrap();
        let mut f = tree.create_file(&rel("x/y/z")).unwrap();
        f.write_all(b"<").unwrap();
        f.append_range(&src, 2, 3).unwrap();
        f.write_all(b">").unwrap();
        f.append_range(&src, 0, 0).unwrap();
        assert_eq!(
            f.append_range(&src, 8, 5).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        f.commit().unwrap();
        let root = tmp.path().join("out");
        assert_eq!(&std::fs::read(root.join("x/y/z")).unwrap()[..5], b"<234>");
        // Only empty directories go, from the deepest up, never the kept leading ones.
        tree.create_dir_all(&rel("x/e/f/g")).unwrap();
        tree.remove_empty_dirs(&rel("x/e/f/g"), 1);
        assert!(!root.join("x/e").exists());
        assert!(root.join("x/y/z").exists());
        tree.create_dir_all(&rel("k/l")).unwrap();
        tree.remove_empty_dirs(&rel("k/l"), 0);
        assert!(!root.join("k").exists());
        tree.remove_empty_dirs(&rel("x/y"), 0);
        assert!(root.join("x/y/z").exists(), "a non-empty directory stays");
    }

    #[test]
    fn tree_is_shareable_across_threads() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = OutputTree::prepare(tmp.path(), false).unwrap();
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let t = tree.clone();
                std::thread::spawn(move || {
                    for j in 0..20 {
                        t.write_file(&rel(&format!("d/{i}/{j}")), b"x").unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(list(&tmp.path().join("d")).len(), 4);
    }
}

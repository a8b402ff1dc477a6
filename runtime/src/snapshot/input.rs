//! Resolving `--input X` to something readable, and the snapshot index in a file name.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::error::SnapshotError;

/// Where a snapshot comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSource {
    /// For messages: the path, or `<stdin>`.
    pub display: String,
    /// The file, `None` for standard input.
    pub path: Option<PathBuf>,
    /// The raft index from a `<16 lower-case hex digits>.fsm` file name.
    pub index_from_name: Option<u64>,
}

impl InputSource {
    /// Standard input.
    pub fn stdin() -> Self {
        InputSource {
            display: "<stdin>".to_string(),
            path: None,
            index_from_name: None,
        }
    }

    /// A given file (not checked until [`InputSource::open`]).
    pub fn file(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        InputSource {
            display: path.display().to_string(),
            index_from_name: snapshot_index_from_name(&path),
            path: Some(path),
        }
    }

    /// Resolves an `--input` argument: `-` is standard input; a directory is searched for the
    /// newest `<16 lower-case hex>.fsm` file, first directly in it and, if there is none
    /// there, in `DIR/fsm-snap/`; anything else is taken as a file.
    pub fn resolve(arg: &str) -> Result<InputSource, SnapshotError> {
        if arg == "-" {
            return Ok(InputSource::stdin());
        }
        let path = PathBuf::from(arg);
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => {
                let found = match newest_snapshot_in(&path)? {
                    Some(f) => Some(f),
                    None => {
                        let sub = path.join("fsm-snap");
                        if sub.is_dir() {
                            newest_snapshot_in(&sub)?
                        } else {
                            None
                        }
                    }
                };
                match found {
                    Some(f) => Ok(InputSource::file(f)),
                    None => Err(SnapshotError::NoSnapshotFound { dir: path }),
                }
            }
            Ok(_) => Ok(InputSource::file(path)),
            Err(source) => Err(SnapshotError::Open { path, source }),
        }
    }

    /// Whether this is standard input.
    pub fn is_stdin(&self) -> bool {
        self.path.is_none()
    }

    /// Opens the input for reading (unbuffered: [`super::SnapshotReader`] buffers).
    pub fn open(&self) -> Result<Box<dyn Read>, SnapshotError> {
        match &self.path {
            None => Ok(Box::new(io::stdin().lock())),
            Some(p) => match fs::File::open(p) {
                Ok(f) => Ok(Box::new(f)),
                Err(source) => Err(SnapshotError::Open {
                    path: p.clone(),
                    source,
                }),
            },
        }
    }
}

/// The highest-index `<16 hex>.fsm` regular file directly in `dir`.
fn newest_snapshot_in(dir: &Path) -> Result<Option<PathBuf>, SnapshotError> {
    let open_err = |source| SnapshotError::Open {
        path: dir.to_path_buf(),
        source,
    };
    let mut best: Option<(u64, PathBuf)> = None;
    for item in fs::read_dir(dir).map_err(open_err)? {
        let item = item.map_err(open_err)?;
        let path = item.path();
        let Some(index) = snapshot_index_from_name(&path) else {
            continue;
        };
        if !path.is_file() {
            continue;
        }
        match &best {
            Some((b, _)) if *b >= index => {}
            _ => best = Some((index, path)),
        }
    }
    Ok(best.map(|(_, p)| p))
}

/// The raft index in a node snapshot file name: the base name must be exactly 16 lower-case
/// hexadecimal digits followed by `.fsm` (`000000000000006d.fsm` → 109). Anything else
/// (decimal-looking names of other lengths, upper case, other suffixes) → `None`.
///
/// Upstream parses the stem as decimal (core.md §8.4, §11 item 3); node files are named in
/// hex, so this decoder reads hex.
pub fn snapshot_index_from_name(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".fsm")?;
    if stem.len() != 16
        || !stem
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    u64::from_str_radix(stem, 16).ok()
}

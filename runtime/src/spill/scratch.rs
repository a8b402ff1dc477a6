//! [`Scratch`]: the private directory spill files live in, removed when the last handle is
//! dropped.
//!
//! It must never overlap the output tree: spill files inside the dump would be picked up by
//! `CHECKSUMS`, and removing a scratch directory that contains the dump would delete it.

use std::fs::File;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use tempfile::{TempDir, TempPath};

use super::SpillError;

/// Name prefix of scratch directories, so a leftover one (after a crash) is recognisable.
const DIR_PREFIX: &str = ".ekvsnap-scratch-";

/// Handle on the scratch directory. Cloning is cheap; spill files hold a clone so the
/// directory outlives them.
#[derive(Debug, Clone)]
pub struct Scratch {
    inner: Arc<ScratchDir>,
}

#[derive(Debug)]
struct ScratchDir {
    /// `Some` until dropped; taken in `drop` to report a failed removal.
    dir: Option<TempDir>,
    path: PathBuf,
}

impl Scratch {
    /// Creates a fresh directory inside `parent` (which must exist). Fails with
    /// [`SpillError::ScratchOverlap`] if that directory would be inside `output_root` or
    /// equal to it, or would contain it. Both paths are compared after resolving symlinks
    /// (`output_root` need not exist yet).
    pub fn new_in(parent: &Path, output_root: &Path) -> Result<Self, SpillError> {
        let output = resolve(output_root);
        let parent_real = resolve(parent);
        // Checked before creating anything, so a refused scratch leaves no trace in the dump.
        if parent_real.starts_with(&output) {
            return Err(SpillError::ScratchOverlap {
                scratch: parent_real,
                output,
            });
        }
        let dir = tempfile::Builder::new()
            .prefix(DIR_PREFIX)
            .tempdir_in(parent)
            .map_err(|e| SpillError::io("create scratch directory in", parent, e))?;
        let path = dir
            .path()
            .canonicalize()
            .map_err(|e| SpillError::io("resolve", dir.path(), e))?;
        // Cannot happen for a fresh random name, but cheap to be sure; `dir` is removed on
        // the way out.
        if overlaps(&path, &output) {
            return Err(SpillError::ScratchOverlap {
                scratch: path,
                output,
            });
        }
        Ok(Scratch {
            inner: Arc::new(ScratchDir {
                dir: Some(dir),
                path,
            }),
        })
    }

    /// The (canonical) directory path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A new empty file in the directory, deleted when the returned [`TempPath`] drops.
    pub(crate) fn create_file(&self, prefix: &str) -> Result<(File, TempPath), SpillError> {
        let file = tempfile::Builder::new()
            .prefix(prefix)
            .suffix(".spill")
            .tempfile_in(self.path())
            .map_err(|e| SpillError::io("create spill file in", self.path(), e))?;
        Ok(file.into_parts())
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            if let Err(e) = dir.close() {
                tracing::warn!(path = %self.path.display(), "cannot remove scratch directory: {e}");
            }
        }
    }
}

/// `path` made absolute with symlinks resolved as far as it exists; the missing tail is
/// appended lexically (an output root is often not created yet).
fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let parts: Vec<Component<'_>> = absolute.components().collect();
    for split in (1..=parts.len()).rev() {
        let head: PathBuf = parts[..split].iter().collect();
        if let Ok(mut real) = head.canonicalize() {
            for part in &parts[split..] {
                match part {
                    Component::ParentDir => {
                        real.pop();
                    }
                    Component::Normal(name) => real.push(name),
                    _ => {}
                }
            }
            return real;
        }
    }
    absolute
}

/// Whether a scratch directory at `scratch` and an output root at `output` (both resolved)
/// would share any files.
fn overlaps(scratch: &Path, output: &Path) -> bool {
    scratch.starts_with(output) || output.starts_with(scratch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_overlap(result: Result<Scratch, SpillError>) -> bool {
        matches!(result, Err(SpillError::ScratchOverlap { .. }))
    }

    #[test]
    fn scratch_is_created_and_removed_on_last_drop() {
        let parent = tempfile::tempdir().unwrap();
        let scratch = Scratch::new_in(parent.path(), &parent.path().join("out")).unwrap();
        let path = scratch.path().to_path_buf();
        assert!(path.is_dir());
        assert!(path.starts_with(parent.path().canonicalize().unwrap()));
        let clone = scratch.clone();
        let (_file, file_path) = clone.create_file("t-").unwrap();
        drop(scratch);
        assert!(path.is_dir(), "a clone keeps the directory");
        drop(file_path);
        drop(clone);
        assert!(!path.exists());
    }

    #[test]
    fn refuses_scratch_inside_or_equal_to_output() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir_all(out.join("sub")).unwrap();
        for parent in [
            out.clone(),
            out.join("."),
            out.join("sub"),
            root.path().join("missing/../out"),
        ] {
            assert!(
                is_overlap(Scratch::new_in(&parent, &out)),
                "{}",
                parent.display()
            );
        }
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            1,
            "nothing created"
        );
    }

    #[test]
    fn compares_resolved_paths() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        assert!(is_overlap(Scratch::new_in(&link, &out)));
        assert!(is_overlap(Scratch::new_in(&out, &link)));
        // An output root that does not exist yet is resolved through its existing ancestor.
        assert!(is_overlap(Scratch::new_in(
            &out.join("new"),
            &link.join("new")
        )));
    }

    #[test]
    fn overlap_goes_both_ways() {
        let (a, b) = (Path::new("/s/x"), Path::new("/s/x/out"));
        assert!(overlaps(a, b), "output inside scratch");
        assert!(overlaps(b, a), "scratch inside output");
        assert!(overlaps(a, a), "equal");
        assert!(
            !overlaps(Path::new("/s/xy"), a),
            "prefix of a name is not containment"
        );
    }
}

//! Where chunk bytes wait for their manifest: files in the decode's scratch directory (on
//! the output's filesystem, never inside the output tree).
//!
//! Blob chunks (s3.md §4.4) are appended, in arrival order, to one *chunk file* per run of
//! consecutive blobs of one object generation and upload id. Blob keys sort by (bucket,
//! generation, object, upload, part, chunk, version), so an object uploaded once arrives as
//! one run with its chunks in assembly order: its chunk file is its body, and finalize moves
//! it into place without copying a byte. Chunk files are never shared between object
//! generations (unlike upstream's scratch paths, H2).
//!
//! Chunkblobs (s3.md §4.5) are content-addressed and arrive in digest order, so each is kept
//! in a file named by its digest and copied into every object that references it.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

use crate::spill::Scratch;

use super::error::S3Error;

/// Chunk files per subdirectory of the store.
const FILES_PER_DIR_SHIFT: u32 = 12;

/// The chunk file being appended to.
struct Open {
    id: u64,
    /// Identifies the object generation and upload id of the run (the blob key up to the
    /// part number).
    owner: Vec<u8>,
    out: BufWriter<File>,
    len: u64,
}

/// The S3 scratch files of one decode.
pub(super) struct ChunkStore {
    /// The decode's scratch directory (held, so it outlives the chunk files).
    _scratch: Scratch,
    base: PathBuf,
    /// `<base>/s3-<random>`, created at the first chunk.
    root: Option<tempfile::TempDir>,
    current: Option<Open>,
    next_file: u64,
    /// Subdirectories created so far (`<root>/<n>` for n below this).
    dirs: u64,
    /// Which `<root>/cb/<xx>` directories exist.
    blob_dirs: [bool; 256],
    /// Bytes of chunk payload written to scratch.
    pub(super) bytes_written: u64,
    /// Last chunk file opened for reading.
    reader: Option<(u64, File)>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ChunkStore {
    pub(super) fn new(scratch: &Scratch) -> Self {
        ChunkStore {
            _scratch: scratch.clone(),
            base: scratch.path().to_path_buf(),
            root: None,
            current: None,
            next_file: 0,
            dirs: 0,
            blob_dirs: [false; 256],
            bytes_written: 0,
            reader: None,
        }
    }

    fn root(&mut self) -> Result<PathBuf, S3Error> {
        if self.root.is_none() {
            let dir = tempfile::Builder::new()
                .prefix("s3-")
                .tempdir_in(&self.base)
                .map_err(|e| S3Error::scratch("create a directory in", &self.base, e))?;
            self.root = Some(dir);
        }
        Ok(self
            .root
            .as_ref()
            .expect("created above")
            .path()
            .to_path_buf())
    }

    /// Path of chunk file `id`.
    pub(super) fn chunk_path(&self, id: u64) -> PathBuf {
        let root = self
            .root
            .as_ref()
            .expect("a chunk file exists, so the root does");
        root.path()
            .join(format!("{:x}", id >> FILES_PER_DIR_SHIFT))
            .join(format!("{id:x}"))
    }

    /// Path of the chunkblob with `digest` (whether or not it was seen).
    pub(super) fn chunkblob_path(&self, digest: &[u8; 32]) -> Option<PathBuf> {
        let root = self.root.as_ref()?;
        let name = hex(digest);
        Some(root.path().join("cb").join(&name[..2]).join(&name[2..]))
    }

    /// Appends a blob chunk of the run `owner`; returns (chunk file, offset).
    pub(super) fn append_blob(
        &mut self,
        owner: &[u8],
        value: &[u8],
    ) -> Result<(u64, u64), S3Error> {
        if self.current.as_ref().is_none_or(|c| c.owner != owner) {
            self.finish_current()?;
            let id = self.next_file;
            self.next_file += 1;
            let root = self.root()?;
            let dir_no = id >> FILES_PER_DIR_SHIFT;
            if dir_no >= self.dirs {
                let dir = root.join(format!("{dir_no:x}"));
                fs::create_dir(&dir).map_err(|e| S3Error::scratch("create", &dir, e))?;
                self.dirs = dir_no + 1;
            }
            let path = self.chunk_path(id);
            let file = File::options()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| S3Error::scratch("create", &path, e))?;
            self.current = Some(Open {
                id,
                owner: owner.to_vec(),
                out: BufWriter::with_capacity(64 * 1024, file),
                len: 0,
            });
        }
        let open = self.current.as_mut().expect("opened above");
        let offset = open.len;
        if let Err(e) = open.out.write_all(value) {
            let id = open.id;
            return Err(S3Error::scratch("write", self.chunk_path(id), e));
        }
        open.len += value.len() as u64;
        self.bytes_written += value.len() as u64;
        Ok((open.id, offset))
    }

    /// Flushes and closes the chunk file being appended to.
    pub(super) fn finish_current(&mut self) -> Result<(), S3Error> {
        if let Some(open) = self.current.take() {
            let path = self.chunk_path(open.id);
            open.out
                .into_inner()
                .map_err(|e| S3Error::scratch("write", &path, e.into_error()))?;
        }
        Ok(())
    }

    /// Keeps a chunkblob's payload under its digest.
    pub(super) fn put_chunkblob(&mut self, digest: &[u8; 32], value: &[u8]) -> Result<(), S3Error> {
        let root = self.root()?;
        if !self.blob_dirs[usize::from(digest[0])] {
            let dir = root.join("cb").join(hex(&digest[..1]));
            fs::create_dir_all(&dir).map_err(|e| S3Error::scratch("create", &dir, e))?;
            self.blob_dirs[usize::from(digest[0])] = true;
        }
        let path = self.chunkblob_path(digest).expect("root exists");
        fs::write(&path, value).map_err(|e| S3Error::scratch("write", &path, e))?;
        self.bytes_written += value.len() as u64;
        Ok(())
    }

    /// Chunk file `id`, open for reading (the last one opened is kept open).
    pub(super) fn chunk_file(&mut self, id: u64) -> Result<&File, S3Error> {
        if self.reader.as_ref().is_none_or(|(open, _)| *open != id) {
            let path = self.chunk_path(id);
            let file = File::open(&path).map_err(|e| S3Error::scratch("open", &path, e))?;
            self.reader = Some((id, file));
        }
        Ok(&self.reader.as_ref().expect("opened above").1)
    }

    /// Length of chunk file `id`.
    pub(super) fn chunk_file_len(&self, id: u64) -> Result<u64, S3Error> {
        let path = self.chunk_path(id);
        Ok(fs::metadata(&path)
            .map_err(|e| S3Error::scratch("stat", path, e))?
            .len())
    }

    /// Deletes chunk file `id` (its object generation is done). A file already moved into
    /// the output tree is gone, which is fine.
    pub(super) fn remove_chunk_file(&mut self, id: u64) {
        if self.reader.as_ref().is_some_and(|(open, _)| *open == id) {
            self.reader = None;
        }
        if self.root.is_some() {
            let _ = fs::remove_file(self.chunk_path(id));
        }
    }

    /// Forgets an open reader of `id` (before the file is moved away).
    pub(super) fn close_reader(&mut self, id: u64) {
        if self.reader.as_ref().is_some_and(|(open, _)| *open == id) {
            self.reader = None;
        }
    }

    /// Removes every scratch file of the adapter.
    pub(super) fn remove_all(&mut self) {
        self.current = None;
        self.reader = None;
        if let Some(root) = self.root.take() {
            let path = root.path().to_path_buf();
            if let Err(e) = root.close() {
                tracing::warn!(path = %path.display(), "cannot remove S3 scratch files: {e}");
            }
        }
    }
}

impl Drop for ChunkStore {
    fn drop(&mut self) {
        self.remove_all();
    }
}

//! What finalize writes for each bucket (s3.md §6, §7): `_bucket.json`, every object of the
//! active generation (body, sidecar, KEYMAP record), orphans and their warnings, the
//! stale-generation warning, `KEYMAP.jsonl` and `_incomplete_uploads/records.jsonl`.
//!
//! The buffered records come from four sorted streams, all grouped by bucket and walked in
//! the same order (object key by segments, newest generation first); finalize joins
//! manifests and chunk records object generation by object generation and never holds more
//! than one record of each stream, plus one manifest.

use std::cmp::Ordering;
use std::fs::File;
use std::iter::Peekable;

use crate::adapters::{AdapterError, FinalizeContext};
use crate::keys::S3Family;
use crate::options::S3Options;
use crate::output::filename::encode_segment;
use crate::output::keymap::{KIND_META_SUFFIX_RENAME, KIND_S3_LEAF_DATA};
use crate::output::{
    render_template, AtomicFile, KeymapWriter, Moved, OutputTree, RelPath, SafeName, TreeDir,
    TreeError,
};
use crate::spill::{SortedRecords, SpillRecord, SpillSorter};
use crate::warnings::Warnings;

use super::error::{lossy, MalformedKeyReason, S3Error};
use super::manifest::{DeclaredPart, Manifest};
use super::meta::BucketMeta;
use super::naming::{
    cmp_object_keys, encoded_path, is_descendant, natural_path, safe_segment, with_suffix,
    PathProblem, KIND_ENCODED_KEY, LEAF_DATA_SUFFIX, META_SUFFIX, USER_DATA_SUFFIX,
};
use super::records::{
    cmp_object_state, ChunkLocation, ChunkRecord, KeyRecord, ManifestRecord, ObjectName,
    UploadRecord,
};
use super::store::ChunkStore;
use super::{is_dot_or_empty, BucketState, S3Stats};

pub(super) const ORPHAN_HINT: &str = "blob chunks present but no !s3|obj|head record matched";
/// For a stale-generation object written as an orphan: upstream repeats [`ORPHAN_HINT`]
/// even when the object has a manifest (H4).
pub(super) const STALE_ORPHAN_HINT: &str =
    "object of a stale bucket generation; its blob chunks are kept under _orphans/, no body is written";
pub(super) const STALE_HINT: &str =
    "stale-gen objects excluded; restore would otherwise emit them under the new bucket";

/// The four sorters, finished at finalize.
pub(super) struct Sorted {
    pub manifests: SpillSorter<ManifestRecord>,
    pub keys: SpillSorter<KeyRecord>,
    pub chunks: SpillSorter<ChunkRecord>,
    pub uploads: SpillSorter<UploadRecord>,
}

/// A record's bucket (every stream is grouped by it).
trait Bucketed {
    fn bucket(&self) -> &[u8];
}

impl Bucketed for ManifestRecord {
    fn bucket(&self) -> &[u8] {
        self.name.bucket()
    }
}

impl Bucketed for KeyRecord {
    fn bucket(&self) -> &[u8] {
        self.name.bucket()
    }
}

impl Bucketed for ChunkRecord {
    fn bucket(&self) -> &[u8] {
        self.name.bucket()
    }
}

impl Bucketed for UploadRecord {
    fn bucket(&self) -> &[u8] {
        &self.bucket
    }
}

/// One sorted stream, read bucket by bucket. A read error is handed out once; the stream
/// is empty after it.
struct Stream<T: SpillRecord + Ord> {
    records: Option<Peekable<SortedRecords<T>>>,
}

impl<T: SpillRecord + Ord + Bucketed> Stream<T> {
    fn open(sorter: SpillSorter<T>, first_error: &mut Option<AdapterError>) -> Self {
        match sorter.finish() {
            Ok(records) => Stream {
                records: Some(records.peekable()),
            },
            Err(e) => {
                first_error.get_or_insert(S3Error::from(e).into());
                Stream { records: None }
            }
        }
    }

    /// The next record if it belongs to `bucket`.
    fn peek_in(&mut self, bucket: &[u8]) -> Result<Option<&T>, S3Error> {
        let (error, here) = match self.records.as_mut().and_then(Peekable::peek) {
            None => (false, false),
            Some(Err(_)) => (true, false),
            Some(Ok(r)) => (false, r.bucket() == bucket),
        };
        if error {
            let mut records = self.records.take().expect("peeked");
            let e = records
                .next()
                .expect("peeked")
                .err()
                .expect("peeked an error");
            return Err(e.into());
        }
        Ok(if here {
            self.records
                .as_mut()
                .and_then(Peekable::peek)
                .and_then(|r| r.as_ref().ok())
        } else {
            None
        })
    }

    /// The next record if it belongs to `bucket`, taken.
    fn next_in(&mut self, bucket: &[u8]) -> Result<Option<T>, S3Error> {
        if self.peek_in(bucket)?.is_none() {
            return Ok(None);
        }
        let records = self.records.as_mut().expect("peeked");
        Ok(records.next().and_then(Result::ok))
    }

    /// Reads past whatever is left of `bucket`.
    fn skip_bucket(&mut self, bucket: &[u8]) -> Result<(), S3Error> {
        while self.next_in(bucket)?.is_some() {}
        Ok(())
    }
}

struct Streams {
    manifests: Stream<ManifestRecord>,
    keys: Stream<KeyRecord>,
    chunks: Stream<ChunkRecord>,
    uploads: Stream<UploadRecord>,
}

/// Writes every bucket; the first error is returned.
pub(super) fn flush_all(
    ctx: &mut FinalizeContext<'_>,
    options: &S3Options,
    store: &mut ChunkStore,
    stats: &mut S3Stats,
    buckets: std::collections::BTreeMap<Vec<u8>, BucketState>,
    sorted: Sorted,
) -> Result<(), AdapterError> {
    let mut first: Option<AdapterError> = None;
    if let Err(e) = store.finish_current() {
        first.get_or_insert(e.into());
    }
    let mut streams = Streams {
        manifests: Stream::open(sorted.manifests, &mut first),
        keys: Stream::open(sorted.keys, &mut first),
        chunks: Stream::open(sorted.chunks, &mut first),
        uploads: Stream::open(sorted.uploads, &mut first),
    };
    for (bucket, state) in buckets {
        let result = flush_bucket(ctx, options, store, stats, &bucket, &state, &mut streams);
        if let Err(e) = result {
            first.get_or_insert(e);
        }
        // What an error left unread belongs to this bucket, not to the next one.
        let skipped = [
            streams.manifests.skip_bucket(&bucket),
            streams.keys.skip_bucket(&bucket),
            streams.chunks.skip_bucket(&bucket),
            streams.uploads.skip_bucket(&bucket),
        ];
        for e in skipped.into_iter().filter_map(Result::err) {
            first.get_or_insert(e.into());
        }
    }
    first.map_or(Ok(()), Err)
}

/// The path the spec template of `family` gives bucket `bucket`.
fn bucket_path(family: S3Family, bucket: &[u8]) -> Result<RelPath, S3Error> {
    let template = family
        .info()
        .output
        .expect("S3 families that write declare their output template");
    render_template(template, |var| (var == "bucket").then(|| bucket.to_vec())).map_err(|e| {
        S3Error::MalformedKey {
            key: crate::snapshot::error::quote_bytes(bucket),
            reason: MalformedKeyReason::BucketName(e),
        }
    })
}

fn flush_bucket(
    ctx: &mut FinalizeContext<'_>,
    options: &S3Options,
    store: &mut ChunkStore,
    stats: &mut S3Stats,
    bucket: &[u8],
    state: &BucketState,
    streams: &mut Streams,
) -> Result<(), AdapterError> {
    let bucket_json = bucket_path(S3Family::BucketMeta, bucket)?;
    let dir = bucket_json.parent().expect("s3/<bucket>/_bucket.json");
    let active = state.meta.as_ref().map_or(0, |m: &BucketMeta| m.generation);
    if let Some(meta) = &state.meta {
        ctx.tree.write_file(&bucket_json, &meta.render(bucket))?;
    }
    let mut keymap = KeymapWriter::new(
        ctx.tree,
        dir.child(crate::output::keymap::KEYMAP_FILENAME)
            .expect("literal name"),
    );
    let mut flush = BucketFlush {
        tree: ctx.tree,
        warnings: ctx.warnings,
        options,
        store,
        stats,
        bucket,
        dir: &dir,
        active,
        keymap: &mut keymap,
        stale: 0,
        last_written: None,
        open_dir: None,
    };
    // The first object error stops the bucket (as upstream); what was written so far is
    // still recorded in KEYMAP.jsonl and the upload records are still written (H7).
    let objects = flush.objects(streams);
    let stale = flush.stale;
    if objects.is_ok() && stale > 0 {
        ctx.warnings.emit(
            "s3_stale_generation_objects",
            &[
                ("bucket", lossy(bucket)),
                ("active_generation", active.to_string()),
                ("stale_count", stale.to_string()),
                ("hint", STALE_HINT.to_string()),
            ],
        );
    }
    let keymap = keymap.finish().map(drop).map_err(|source| {
        AdapterError::from(S3Error::Keymap {
            bucket: lossy(bucket),
            source,
        })
    });
    let uploads = write_uploads(ctx.tree, bucket, &mut streams.uploads);
    objects.and(keymap).and(uploads)
}

/// `_incomplete_uploads/records.jsonl`, in arrival order (s3.md §7.7).
fn write_uploads(
    tree: &OutputTree,
    bucket: &[u8],
    uploads: &mut Stream<UploadRecord>,
) -> Result<(), AdapterError> {
    if uploads.peek_in(bucket)?.is_none() {
        return Ok(());
    }
    let path = bucket_path(S3Family::UploadMeta, bucket)?;
    let mut out = tree.create_jsonl(&path)?;
    while let Some(record) = uploads.next_in(bucket)? {
        out.write_line(&record.line)?;
    }
    out.finish()?;
    Ok(())
}

/// The chunk records of one object generation, taken from the front of the stream. The
/// chunk files they point into are deleted once the object is done.
struct ObjectChunks<'s> {
    stream: &'s mut Stream<ChunkRecord>,
    name: &'s ObjectName,
    generation: u64,
    /// Chunk files read (to delete once the object is done).
    files: Vec<u64>,
    /// The chunk file that became the body (gone from scratch already).
    moved: Option<u64>,
}

impl ObjectChunks<'_> {
    fn next(&mut self) -> Result<Option<ChunkRecord>, S3Error> {
        let bucket = self.name.bucket();
        match self.stream.peek_in(bucket)? {
            Some(r) if r.name == *self.name && r.generation == self.generation => {}
            _ => return Ok(None),
        }
        let record = self.stream.next_in(bucket)?.expect("peeked");
        if let ChunkLocation::Blob { file, .. } = record.location {
            if self.files.last() != Some(&file) {
                self.files.push(file);
            }
        }
        Ok(Some(record))
    }

    /// Reads past the object's remaining records and deletes its chunk files.
    fn finish(mut self, store: &mut ChunkStore) -> Result<(), S3Error> {
        let rest = loop {
            match self.next() {
                Ok(Some(_)) => {}
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.files.sort_unstable();
        self.files.dedup();
        for file in self.files {
            if Some(file) != self.moved {
                store.remove_chunk_file(file);
            }
        }
        rest
    }
}

/// Where an object's body goes, relative to the bucket directory.
enum Target {
    Natural(RelPath),
    Encoded(PathProblem),
}

/// The body being assembled.
enum Body {
    /// Every kept chunk so far is the start of chunk file `file`, in order: `len` bytes.
    Fast { file: Option<u64>, len: u64 },
    /// Chunks are being copied into `out`, whose path is `path` (bucket-relative).
    Copy { out: AtomicFile, path: RelPath },
}

/// Streaming completeness check of the declared parts (s3.md §6.7), in assembly order.
struct Parts<'m> {
    parts: &'m [DeclaredPart],
    /// Index of the part chunks are expected for.
    at: usize,
    next_chunk: u64,
    part_bytes: u64,
}

struct BucketFlush<'a> {
    tree: &'a OutputTree,
    warnings: &'a mut Warnings,
    options: &'a S3Options,
    store: &'a mut ChunkStore,
    stats: &'a mut S3Stats,
    bucket: &'a [u8],
    /// `s3/<enc(bucket)>`.
    dir: &'a RelPath,
    /// The active generation (0 = every generation is active).
    active: u64,
    keymap: &'a mut KeymapWriter,
    stale: u64,
    /// The last key written (with several active generations, the newest one is written).
    last_written: Option<Box<[u8]>>,
    /// The directory written to last (objects of one directory come one after another).
    open_dir: Option<TreeDir>,
}

/// What an object context says in errors.
struct ObjectId<'n> {
    bucket: String,
    object: String,
    name: &'n ObjectName,
    generation: u64,
}

impl BucketFlush<'_> {
    /// The open directory holding `path` (a path below the output root).
    fn directory_of(&mut self, path: &RelPath) -> Result<&TreeDir, TreeError> {
        let parent = path.parent().expect("below the bucket directory");
        if self.open_dir.as_ref().map(TreeDir::path) != Some(&parent) {
            self.open_dir = None;
            self.open_dir = Some(self.tree.open_directory(&parent)?);
        }
        Ok(self.open_dir.as_ref().expect("opened above"))
    }

    /// Removes the directories a failed write left empty (H14).
    fn remove_empty_dirs(&mut self, dir: &RelPath) {
        self.open_dir = None;
        self.tree.remove_empty_dirs(dir, 0);
    }

    fn is_active(&self, generation: u64) -> bool {
        self.active == 0 || generation == self.active
    }

    /// Every object generation of the bucket, in order.
    fn objects(&mut self, streams: &mut Streams) -> Result<(), AdapterError> {
        let bucket = self.bucket;
        loop {
            let m = streams
                .manifests
                .peek_in(bucket)?
                .map(|r| (r.name.clone(), r.generation));
            let c = streams
                .chunks
                .peek_in(bucket)?
                .map(|r| (r.name.clone(), r.generation));
            let (name, generation) = match (m, c) {
                (None, None) => return Ok(()),
                (Some(a), None) | (None, Some(a)) => a,
                (Some(a), Some(b)) => {
                    if cmp_object_state((&a.0, a.1), (&b.0, b.1)) == Ordering::Greater {
                        b
                    } else {
                        a
                    }
                }
            };
            // A later manifest of the same object generation replaces an earlier one.
            let mut manifest = None;
            while streams
                .manifests
                .peek_in(bucket)?
                .is_some_and(|r| r.name == name && r.generation == generation)
            {
                manifest = streams.manifests.next_in(bucket)?.map(|r| r.manifest);
            }
            let mut chunks = ObjectChunks {
                stream: &mut streams.chunks,
                name: &name,
                generation,
                files: Vec::new(),
                moved: None,
            };
            let result = self.object(&name, generation, manifest, &mut chunks, &mut streams.keys);
            let rest = chunks.finish(self.store);
            result?;
            rest?;
        }
    }

    fn object(
        &mut self,
        name: &ObjectName,
        generation: u64,
        manifest: Option<Manifest>,
        chunks: &mut ObjectChunks<'_>,
        keys: &mut Stream<KeyRecord>,
    ) -> Result<(), AdapterError> {
        if !self.is_active(generation) {
            self.stale += 1;
            if self.options.include_orphans {
                return self.orphan(name, generation, chunks, true);
            }
            return Ok(());
        }
        let Some(manifest) = manifest else {
            return self.orphan(name, generation, chunks, false);
        };
        if self.last_written.as_deref() == Some(name.object()) {
            // An older active generation of a key already written (no bucket generation).
            return Ok(());
        }
        self.last_written = Some(name.object().into());
        let id = ObjectId {
            bucket: lossy(self.bucket),
            object: lossy(name.object()),
            name,
            generation,
        };
        let is_directory = self.is_directory(keys, name.object())?;
        self.write_object(&id, &manifest, chunks, is_directory)
    }

    /// Whether another active key with a manifest lies below `key/` (s3.md §6.3
    /// `dirPrefixes`, without the manifest-less objects, H3). Those keys come right after
    /// `key` in key order, so the first active key after it decides.
    fn is_directory(&self, keys: &mut Stream<KeyRecord>, key: &[u8]) -> Result<bool, S3Error> {
        loop {
            let Some(next) = keys.peek_in(self.bucket)? else {
                return Ok(false);
            };
            if cmp_object_keys(next.name.object(), key) != Ordering::Greater
                || !self.is_active(next.generation)
            {
                keys.next_in(self.bucket)?;
                continue;
            }
            return Ok(is_descendant(next.name.object(), key));
        }
    }

    /// Name resolution (s3.md §6.4), path safety (§6.5), assembly (§6.7), sidecar and
    /// KEYMAP record (§6.8).
    fn write_object(
        &mut self,
        id: &ObjectId<'_>,
        manifest: &Manifest,
        chunks: &mut ObjectChunks<'_>,
        is_directory: bool,
    ) -> Result<(), AdapterError> {
        let key = id.name.object();
        let (resolved, kind) = if key.ends_with(META_SUFFIX) {
            if !self.options.rename_collisions {
                return Err(S3Error::MetaSuffixCollision {
                    bucket: id.bucket.clone(),
                    object: id.object.clone(),
                }
                .into());
            }
            (
                [key, USER_DATA_SUFFIX].concat(),
                Some(KIND_META_SUFFIX_RENAME),
            )
        } else if is_directory {
            ([key, LEAF_DATA_SUFFIX].concat(), Some(KIND_S3_LEAF_DATA))
        } else {
            (key.to_vec(), None)
        };
        let mut target = match natural_path(&resolved) {
            Ok(path) => Target::Natural(path),
            Err(problem) => self.unsafe_name(id, problem)?,
        };
        // A key named like another key's rename target finds it taken (the renamed key
        // comes first in key order).
        if let (Target::Natural(path), None) = (&target, kind) {
            let rename_kind = if key.ends_with(LEAF_DATA_SUFFIX) {
                Some(KIND_S3_LEAF_DATA)
            } else if key.ends_with(USER_DATA_SUFFIX) {
                Some(KIND_META_SUFFIX_RENAME)
            } else {
                None
            };
            if let Some(rename_kind) = rename_kind {
                let full = self.dir.join_path(path);
                if self.tree.exists(&full)? {
                    if self.options.strict_s3_keys {
                        return Err(S3Error::RenameTargetCollision {
                            bucket: id.bucket.clone(),
                            object: id.object.clone(),
                            kind: rename_kind,
                        }
                        .into());
                    }
                    target = Target::Encoded(PathProblem::TargetTaken {
                        path: full.to_string(),
                    });
                }
            }
        }
        let natural_parent = match &target {
            Target::Natural(path) => path.parent(),
            Target::Encoded(_) => None,
        };
        let written = self.assemble(id, manifest, chunks, &mut target);
        let path = match written {
            Ok(path) => path,
            Err(e) => {
                // Leave no directory behind that only this object created (H14).
                let parent =
                    natural_parent.map_or_else(|| self.dir.clone(), |p| self.dir.join_path(&p));
                self.remove_empty_dirs(&parent);
                let encoded = encoded_path(key).parent().expect("_encoded_keys/<name>");
                self.remove_empty_dirs(&self.dir.join_path(&encoded));
                return Err(e);
            }
        };
        let sidecar = self.dir.join_path(&with_suffix(&path, META_SUFFIX));
        self.directory_of(&sidecar)?
            .write_file(sidecar.file_name(), &manifest.sidecar)?;
        let record = match &target {
            Target::Encoded(problem) => {
                self.stats.encoded_objects += 1;
                self.warnings.emit(
                    "s3_object_key_encoded",
                    &[
                        ("bucket", id.bucket.clone()),
                        ("object", id.object.clone()),
                        ("encoded", path.to_string()),
                        ("reason", problem.to_string()),
                    ],
                );
                Some(KIND_ENCODED_KEY)
            }
            Target::Natural(_) => kind,
        };
        if let Some(kind) = record {
            self.keymap
                .write(&path.to_bytes(), key, kind)
                .map_err(|source| S3Error::Keymap {
                    bucket: id.bucket.clone(),
                    source,
                })?;
        }
        Ok(())
    }

    /// An object whose natural path cannot be used: `--strict-s3-keys` stops (upstream's
    /// class for each case), otherwise it is written under `_encoded_keys/`.
    fn unsafe_name(&self, id: &ObjectId<'_>, problem: PathProblem) -> Result<Target, S3Error> {
        if !self.options.strict_s3_keys {
            return Ok(Target::Encoded(problem));
        }
        Err(match problem {
            PathProblem::ReservedName { .. }
            | PathProblem::TargetTaken { .. }
            | PathProblem::ParentIsFile { .. }
            | PathProblem::TargetIsDirectory { .. } => S3Error::PathClash {
                bucket: id.bucket.clone(),
                object: id.object.clone(),
                problem,
            },
            _ => S3Error::MalformedKey {
                key: crate::snapshot::error::quote_bytes(id.name.object()),
                reason: MalformedKeyReason::UnsafePath(problem),
            },
        })
    }

    /// Opens the body file for copying: the natural path, or the encoded one when the
    /// natural path's parent turns out to be a file.
    fn open_copy(
        &mut self,
        id: &ObjectId<'_>,
        target: &mut Target,
    ) -> Result<(AtomicFile, RelPath), AdapterError> {
        if let Target::Natural(path) = target {
            let full = self.dir.join_path(path);
            let created = self
                .directory_of(&full)
                .and_then(|dir| dir.create_file(full.file_name()));
            match created {
                Ok(out) => return Ok((out, path.clone())),
                Err(TreeError::NotADirectory { path }) => {
                    *target = self.unsafe_name(id, PathProblem::ParentIsFile { path })?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let path = encoded_path(id.name.object());
        let full = self.dir.join_path(&path);
        let out = self.directory_of(&full)?.create_file(full.file_name())?;
        Ok((out, path))
    }

    /// Moves chunk file `file` into place as the body; `None` when it cannot be renamed
    /// across filesystems (nothing done).
    fn place_moved(
        &mut self,
        id: &ObjectId<'_>,
        target: &mut Target,
        file: u64,
    ) -> Result<Option<RelPath>, AdapterError> {
        self.store.close_reader(file);
        let source = self.store.chunk_path(file);
        if let Target::Natural(path) = target {
            let full = self.dir.join_path(path);
            let moved = self
                .directory_of(&full)
                .and_then(|dir| dir.move_into(full.file_name(), &source));
            match moved {
                Ok(Moved::Done) => return Ok(Some(path.clone())),
                Ok(Moved::CrossDevice) => return Ok(None),
                Err(TreeError::NotADirectory { path }) => {
                    *target = self.unsafe_name(id, PathProblem::ParentIsFile { path })?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let path = encoded_path(id.name.object());
        let full = self.dir.join_path(&path);
        Ok(
            match self
                .directory_of(&full)?
                .move_into(full.file_name(), &source)?
            {
                Moved::Done => Some(path),
                Moved::CrossDevice => None,
            },
        )
    }

    /// Switches the body to copying (copying the chunk-file prefix taken so far).
    fn start_copy(
        &mut self,
        id: &ObjectId<'_>,
        target: &mut Target,
        body: &mut Body,
    ) -> Result<(), AdapterError> {
        if let Body::Fast { file, len } = *body {
            let (mut out, path) = self.open_copy(id, target)?;
            if let Some(file) = file {
                let src = self.store.chunk_file(file)?;
                out.append_range(src, 0, len)
                    .map_err(|e| assemble_error(&path, e))?;
                self.stats.copied_bytes += len;
            }
            *body = Body::Copy { out, path };
        }
        Ok(())
    }

    /// Streams the object's chunks into its body, checking them on the way; returns the
    /// body's bucket-relative path. Nothing is left at the target on error.
    fn assemble(
        &mut self,
        id: &ObjectId<'_>,
        manifest: &Manifest,
        chunks: &mut ObjectChunks<'_>,
        target: &mut Target,
    ) -> Result<RelPath, AdapterError> {
        let mut body = Body::Fast { file: None, len: 0 };
        let mut parts = Parts {
            parts: &manifest.parts,
            at: 0,
            next_chunk: 0,
            part_bytes: 0,
        };
        let mut total = 0u64;
        // A repeated chunk identity replaces the earlier record: hold one back.
        let mut pending: Option<ChunkRecord> = None;
        loop {
            let next = chunks.next()?;
            // Only chunks of the manifest's upload, also when its upload id is empty (H8).
            let next = match next {
                Some(r) if *r.upload_id != *manifest.upload_id => continue,
                other => other,
            };
            if let Some(held) = pending.take() {
                if next.as_ref().is_some_and(|n| held.same_chunk(n)) {
                    pending = next;
                    continue;
                }
                total += self.chunk(id, &held, &mut parts, &mut body, target)?;
            }
            match next {
                Some(r) => pending = Some(r),
                None => break,
            }
        }
        self.parts_done(id, &mut parts, None)?;
        if i64::try_from(total).ok() != Some(manifest.size_bytes) {
            return Err(S3Error::SizeMismatch {
                bucket: id.bucket.clone(),
                object: id.object.clone(),
                generation: id.generation,
                what: "size_bytes".to_string(),
                declared: manifest.size_bytes,
                assembled: total,
            }
            .into());
        }
        self.stats.objects += 1;
        self.stats.body_bytes += total;
        if let Body::Fast {
            file: Some(file),
            len,
        } = body
        {
            if self.store.chunk_file_len(file)? == len {
                if let Some(path) = self.place_moved(id, target, file)? {
                    chunks.moved = Some(file);
                    self.stats.moved_bytes += len;
                    return Ok(path);
                }
            }
        }
        self.start_copy(id, target, &mut body)?;
        let Body::Copy { out, path } = body else {
            unreachable!("start_copy switches to copying")
        };
        out.commit()?;
        Ok(path)
    }

    /// One kept-so-far chunk: declared-part filter, chunkref resolution (s3.md §6.6),
    /// completeness, then its bytes. Returns the bytes appended.
    fn chunk(
        &mut self,
        id: &ObjectId<'_>,
        chunk: &ChunkRecord,
        parts: &mut Parts<'_>,
        body: &mut Body,
        target: &mut Target,
    ) -> Result<u64, AdapterError> {
        let key = (chunk.part_no, chunk.version, chunk.offloaded());
        let Ok(index) = parts.parts.binary_search_by_key(&key, DeclaredPart::key) else {
            return Ok(0); // not a declared part
        };
        let part = &parts.parts[index];
        let blob_file = match chunk.location {
            ChunkLocation::Ref { digest, size } => {
                let Some(file) = self.resolve_ref(id, chunk, part, &digest, size)? else {
                    return Ok(0); // no chunkblob: completeness reports the gap
                };
                Some((file, size))
            }
            ChunkLocation::Blob { .. } => None,
        };
        if part.chunk_count == 0 {
            return Ok(0); // zero-count parts ignore stray chunks
        }
        self.parts_done(id, parts, Some(index))?;
        if chunk.chunk_no >= part.chunk_count {
            return Err(part_error(id, part, chunk.chunk_no, true).into());
        }
        if chunk.chunk_no != parts.next_chunk {
            return Err(part_error(id, part, parts.next_chunk, false).into());
        }
        let len = match (chunk.location, blob_file) {
            (ChunkLocation::Blob { file, offset, len }, _) => {
                match body {
                    Body::Fast {
                        file: fast @ None,
                        len: taken,
                    } if offset == 0 => {
                        *fast = Some(file);
                        *taken = len;
                    }
                    Body::Fast {
                        file: Some(fast),
                        len: taken,
                    } if *fast == file && offset == *taken => *taken += len,
                    _ => {
                        self.start_copy(id, target, body)?;
                        let Body::Copy { out, path } = body else {
                            unreachable!("copying")
                        };
                        let src = self.store.chunk_file(file)?;
                        out.append_range(src, offset, len)
                            .map_err(|e| assemble_error(path, e))?;
                        self.stats.copied_bytes += len;
                    }
                }
                len
            }
            (ChunkLocation::Ref { .. }, Some((file, size))) => {
                self.start_copy(id, target, body)?;
                let Body::Copy { out, path } = body else {
                    unreachable!("copying")
                };
                out.append_range(&file, 0, size)
                    .map_err(|e| assemble_error(path, e))?;
                self.stats.copied_bytes += size;
                size
            }
            (ChunkLocation::Ref { .. }, None) => unreachable!("resolved above"),
        };
        parts.next_chunk += 1;
        parts.part_bytes += len;
        Ok(len)
    }

    /// Upstream's chunkref checks: the chunkblob's size must be the ref's, and the
    /// manifest's `chunk_sizes[chunk]` too (also for zero-count parts, H11). `None` when the
    /// chunkblob was never seen.
    fn resolve_ref(
        &self,
        id: &ObjectId<'_>,
        chunk: &ChunkRecord,
        part: &DeclaredPart,
        digest: &[u8; 32],
        size: u64,
    ) -> Result<Option<File>, S3Error> {
        let Some(path) = self.store.chunkblob_path(digest) else {
            return Ok(None);
        };
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(S3Error::scratch("open", path, e)),
        };
        let stored = file
            .metadata()
            .map_err(|e| S3Error::scratch("stat", &path, e))?
            .len();
        let at = || {
            format!(
                "{}/{} generation {} part {} chunk {} (version {})",
                id.bucket, id.object, id.generation, chunk.part_no, chunk.chunk_no, chunk.version
            )
        };
        let invalid = |reason: String| S3Error::InvalidChunkRef { key: at(), reason };
        if stored != size || i64::try_from(size).is_err() {
            return Err(invalid(format!(
                "chunkref size {size} but the chunkblob holds {stored} bytes"
            )));
        }
        match usize::try_from(chunk.chunk_no)
            .ok()
            .and_then(|i| part.chunk_sizes.get(i))
        {
            Some(&declared) if declared == size => Ok(Some(file)),
            Some(&declared) => Err(invalid(format!(
                "chunkref size {size} but the manifest's chunk_sizes says {declared}"
            ))),
            None => Err(invalid(format!(
                "chunk {} is beyond the manifest's {} chunk_sizes",
                chunk.chunk_no,
                part.chunk_sizes.len()
            ))),
        }
    }

    /// Closes every declared part with chunks before `until` (all of them for `None`):
    /// each must have all its chunks and its declared size.
    fn parts_done(
        &self,
        id: &ObjectId<'_>,
        parts: &mut Parts<'_>,
        until: Option<usize>,
    ) -> Result<(), S3Error> {
        let end = until.unwrap_or(parts.parts.len());
        while parts.at < end {
            let part = &parts.parts[parts.at];
            if parts.next_chunk < part.chunk_count {
                return Err(part_error(id, part, parts.next_chunk, false));
            }
            if i64::try_from(parts.part_bytes).ok() != Some(part.size_bytes) {
                return Err(S3Error::SizeMismatch {
                    bucket: id.bucket.clone(),
                    object: id.object.clone(),
                    generation: id.generation,
                    what: format!(
                        "part {} (version {}{}) size_bytes",
                        part.part_no,
                        part.version,
                        offloaded_label(part.offloaded)
                    ),
                    declared: part.size_bytes,
                    assembled: parts.part_bytes,
                });
            }
            parts.at += 1;
            parts.next_chunk = 0;
            parts.part_bytes = 0;
        }
        Ok(())
    }

    /// An object without a manifest in the active generation, or (with
    /// `--include-orphans`) any object of a stale one (s3.md §6.9): a warning, and with the
    /// option its blob chunks under `_orphans/<enc(object)>/gen-<N>/`.
    fn orphan(
        &mut self,
        name: &ObjectName,
        generation: u64,
        chunks: &mut ObjectChunks<'_>,
        stale: bool,
    ) -> Result<(), AdapterError> {
        let mut count = 0u64;
        let mut dir: Option<RelPath> = None;
        let mut pending: Option<ChunkRecord> = None;
        let written = loop {
            let next = match chunks.next() {
                Ok(next) => next,
                Err(e) => break Err(e.into()),
            };
            // Chunkrefs are neither counted nor written.
            let next = match next {
                Some(r) if r.offloaded() => continue,
                other => other,
            };
            if let Some(held) = pending.take() {
                if next.as_ref().is_some_and(|n| held.same_chunk(n)) {
                    pending = next;
                    continue;
                }
                count += 1;
                if self.options.include_orphans {
                    if let Err(e) = self.orphan_chunk(name, generation, &held, &mut dir) {
                        break Err(e);
                    }
                }
            }
            match next {
                Some(r) => pending = Some(r),
                None => break Ok(()),
            }
        };
        if let (Err(_), Some(dir)) = (&written, &dir) {
            self.remove_empty_dirs(dir);
        }
        written?;
        self.warnings.emit(
            "s3_orphan_chunks",
            &[
                ("bucket", lossy(self.bucket)),
                ("object", lossy(name.object())),
                ("chunks", count.to_string()),
                (
                    "hint",
                    if stale {
                        STALE_ORPHAN_HINT
                    } else {
                        ORPHAN_HINT
                    }
                    .to_string(),
                ),
            ],
        );
        Ok(())
    }

    fn orphan_chunk(
        &mut self,
        name: &ObjectName,
        generation: u64,
        chunk: &ChunkRecord,
        dir: &mut Option<RelPath>,
    ) -> Result<(), AdapterError> {
        let key = name.object();
        let dir = match dir {
            Some(dir) => dir,
            None => {
                if self.options.strict_s3_keys && is_dot_or_empty(key) {
                    return Err(S3Error::malformed_key(key, MalformedKeyReason::DotObject).into());
                }
                let object = SafeName::new(safe_segment(key, crate::output::MAX_SEGMENT_BYTES))
                    .expect("a safe segment is a file name");
                let gen = SafeName::new(format!("gen-{generation}")).expect("file name");
                dir.insert(
                    self.dir
                        .child("_orphans")
                        .expect("literal")
                        .join(object)
                        .join(gen),
                )
            }
        };
        let ChunkLocation::Blob { file, offset, len } = chunk.location else {
            unreachable!("orphans are blob chunks")
        };
        let file_name = format!(
            "{}_{:016x}_{:016x}_{:016x}.bin",
            encode_segment(&chunk.upload_id),
            chunk.part_no,
            chunk.chunk_no,
            chunk.version
        );
        let file_name = SafeName::new(file_name).map_err(|reason| S3Error::OrphanName {
            bucket: lossy(self.bucket),
            object: lossy(key),
            reason,
        })?;
        let path = dir.join(file_name);
        let mut out = self.tree.create_file(&path)?;
        let src = self.store.chunk_file(file)?;
        out.append_range(src, offset, len)
            .map_err(|e| assemble_error(&path, e))?;
        out.commit()?;
        Ok(())
    }
}

fn offloaded_label(offloaded: bool) -> &'static str {
    if offloaded {
        ", offloaded"
    } else {
        ""
    }
}

/// A missing chunk (`surplus` false) or one beyond the part's count.
fn part_error(id: &ObjectId<'_>, part: &DeclaredPart, chunk_no: u64, surplus: bool) -> S3Error {
    let (bucket, object) = (id.bucket.clone(), id.object.clone());
    let offloaded = offloaded_label(part.offloaded);
    if surplus {
        S3Error::SurplusChunk {
            bucket,
            object,
            generation: id.generation,
            part_no: part.part_no,
            version: part.version,
            offloaded,
            chunk_no,
            chunk_count: part.chunk_count,
        }
    } else {
        S3Error::IncompleteBlobChunks {
            bucket,
            object,
            generation: id.generation,
            part_no: part.part_no,
            version: part.version,
            offloaded,
            chunk_no,
            chunk_count: part.chunk_count,
        }
    }
}

fn assemble_error(path: &RelPath, source: std::io::Error) -> AdapterError {
    S3Error::Assemble {
        op: "copy chunk bytes",
        path: path.to_string(),
        source,
    }
    .into()
}

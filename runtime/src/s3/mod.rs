//! The S3 adapter (s3.md): buckets, objects assembled from blob chunks and offloaded
//! chunkblobs, sidecars, orphans and in-flight uploads, written at finalize as
//! `s3/<bucket>/…` (s3.md §7).
//!
//! * [`meta`] — bucket-meta JSON and `_bucket.json`.
//! * [`manifest`] — manifest JSON, declared parts, the sidecar.
//! * `chunkref` — the chunkref value.
//! * [`keys`] — the live server's key encodings (for tests, benches, demos).
//! * [`naming`] — natural paths, their safety, encoded names, key order.
//! * `records` — what is buffered until finalize (four external sorters on the shared
//!   memory budget).
//! * `store` — chunk bytes in the scratch directory.
//! * `flush` — what finalize writes for one bucket.
//!
//! Blob chunks arrive before their manifests (`!s3|blob|` < `!s3|obj|head|`), so their bytes
//! go to scratch files at once (one file per run of chunks of one object generation and
//! upload, in arrival order) and only small records about them are buffered. Finalize walks
//! each bucket's objects in key order (by `/`-separated segments), joining manifests and
//! chunk records, checks each object's chunks as it streams them, and moves the chunk file
//! into place when it is exactly the body (one upload, chunks in order); otherwise it copies
//! byte ranges. Memory holds one bucket entry per bucket and does not grow with objects or
//! chunks beyond the budget.

mod chunkref;
mod codec;
mod error;
mod flush;
pub mod keys;
pub mod manifest;
pub mod meta;
pub mod naming;
mod records;
mod store;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::adapters::{Adapter, AdapterError, FinalizeContext, Record};
use crate::json::{JsonStyle, JsonWriter};
use crate::keys::{
    AdapterId, Family, S3BlobKey, S3BucketMetaKey, S3ChunkblobKey, S3ChunkrefKey, S3Family,
    S3ObjectManifestKey, S3UploadMetaKey, S3UploadPartKey,
};
use crate::options::S3Options;
use crate::spill::{SpillContext, SpillSorter};

pub use chunkref::{decode_chunk_ref, encode_chunk_ref, ChunkRefValue};
pub use error::{MalformedKeyReason, ManifestReason, S3Error};
use manifest::Manifest;
use meta::BucketMeta;
use records::{ChunkLocation, ChunkRecord, KeyRecord, ManifestRecord, ObjectName, UploadRecord};
use store::ChunkStore;

/// What is known about one bucket besides its buffered records.
#[derive(Debug, Default)]
struct BucketState {
    /// The last bucket-meta record handled.
    meta: Option<BucketMeta>,
}

/// Figures of a finished adapter (for benches and docs/performance.md).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct S3Stats {
    /// Chunk payload bytes received (blobs and chunkblobs).
    pub payload_bytes: u64,
    /// Chunk payload bytes written to scratch files.
    pub scratch_bytes: u64,
    /// Object bodies written, and their bytes.
    pub objects: u64,
    pub body_bytes: u64,
    /// Body bytes that reached the output by a rename of their chunk file (written once).
    pub moved_bytes: u64,
    /// Body bytes copied from scratch into the output (written twice).
    pub copied_bytes: u64,
    /// Objects written under `_encoded_keys/`.
    pub encoded_objects: u64,
}

/// The S3 adapter: buffers at `handle`, writes at `finalize`.
pub struct S3Adapter {
    options: S3Options,
    /// By bucket name; finalize visits them in this (byte) order.
    buckets: BTreeMap<Vec<u8>, BucketState>,
    manifests: Option<SpillSorter<ManifestRecord>>,
    keys: Option<SpillSorter<KeyRecord>>,
    chunks: Option<SpillSorter<ChunkRecord>>,
    uploads: Option<SpillSorter<UploadRecord>>,
    store: ChunkStore,
    /// Records handled so far: each record's arrival number.
    arrivals: u64,
    stats: S3Stats,
    line: JsonWriter,
}

fn is_dot_or_empty(name: &[u8]) -> bool {
    matches!(name, b"" | b"." | b"..")
}

impl S3Adapter {
    pub fn new(options: S3Options, spill: SpillContext) -> Self {
        S3Adapter {
            options,
            buckets: BTreeMap::new(),
            manifests: Some(spill.sorter()),
            keys: Some(spill.sorter()),
            chunks: Some(spill.sorter()),
            uploads: Some(spill.sorter()),
            store: ChunkStore::new(spill.scratch()),
            arrivals: 0,
            stats: S3Stats::default(),
            line: JsonWriter::new(JsonStyle::Compact, false),
        }
    }

    /// What the adapter has done so far.
    pub fn stats(&self) -> S3Stats {
        S3Stats {
            scratch_bytes: self.store.bytes_written,
            ..self.stats
        }
    }

    fn bucket(&mut self, bucket: &[u8]) -> &mut BucketState {
        if !self.buckets.contains_key(bucket) {
            self.buckets.insert(bucket.to_vec(), BucketState::default());
        }
        self.buckets.get_mut(bucket).expect("inserted above")
    }

    fn arrival(&mut self) -> u64 {
        self.arrivals += 1;
        self.arrivals
    }

    fn bucket_meta(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let parsed = S3BucketMetaKey::parse(key).map_err(|e| S3Error::malformed_key(key, e))?;
        let json = S3BucketMetaKey::FAMILY.info().value.strip(record.body)?;
        let meta = BucketMeta::decode(json).map_err(|reason| S3Error::InvalidBucketMeta {
            key: crate::snapshot::error::quote_bytes(key),
            reason,
        })?;
        self.bucket(&parsed.bucket.unescape()).meta = Some(meta);
        Ok(())
    }

    fn manifest(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let parsed = S3ObjectManifestKey::parse(key).map_err(|e| S3Error::malformed_key(key, e))?;
        let invalid = |reason: ManifestReason| S3Error::InvalidManifest {
            key: crate::snapshot::error::quote_bytes(key),
            reason,
        };
        let json = S3ObjectManifestKey::FAMILY
            .info()
            .value
            .strip(record.body)
            .map_err(|e| invalid(e.into()))?;
        let manifest = Manifest::decode(json).map_err(invalid)?;
        let bucket = parsed.bucket.unescape();
        self.bucket(&bucket);
        let name = ObjectName::new(&bucket, &parsed.object.unescape());
        let arrival = self.arrival();
        self.keys
            .as_mut()
            .expect("before finalize")
            .push(KeyRecord {
                name: name.clone(),
                generation: parsed.generation,
            })
            .map_err(S3Error::from)?;
        self.manifests
            .as_mut()
            .expect("before finalize")
            .push(ManifestRecord {
                name,
                generation: parsed.generation,
                arrival,
                manifest,
            })
            .map_err(S3Error::from)?;
        Ok(())
    }

    fn blob(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let parsed = S3BlobKey::parse(key).map_err(|e| S3Error::malformed_key(key, e))?;
        let value = S3BlobKey::FAMILY.info().value.strip(record.body)?;
        let bucket = parsed.bucket.unescape();
        let object = parsed.object.unescape();
        if is_dot_or_empty(&bucket) {
            return Err(S3Error::malformed_key(key, MalformedKeyReason::DotBucket).into());
        }
        if self.options.strict_s3_keys && is_dot_or_empty(&object) {
            return Err(S3Error::malformed_key(key, MalformedKeyReason::DotObject).into());
        }
        // The key up to the part number names the run: object generation and upload.
        let trailer = if parsed.part_version.is_some() { 8 } else { 0 };
        let owner = &key[..key.len() - 16 - trailer];
        let (file, offset) = self.store.append_blob(owner, value)?;
        self.stats.payload_bytes += value.len() as u64;
        self.bucket(&bucket);
        let arrival = self.arrival();
        self.chunks
            .as_mut()
            .expect("before finalize")
            .push(ChunkRecord {
                name: ObjectName::new(&bucket, &object),
                generation: parsed.generation,
                upload_id: parsed.upload_id.unescape().into(),
                part_no: parsed.part_no,
                version: parsed.part_version.unwrap_or(0),
                chunk_no: parsed.chunk_no,
                arrival,
                location: ChunkLocation::Blob {
                    file,
                    offset,
                    len: value.len() as u64,
                },
            })
            .map_err(S3Error::from)?;
        Ok(())
    }

    fn chunkref(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let parsed = S3ChunkrefKey::parse(key).map_err(|e| S3Error::malformed_key(key, e))?;
        let value = S3ChunkrefKey::FAMILY.info().value.strip(record.body)?;
        let reference = decode_chunk_ref(value).map_err(|r| S3Error::invalid_chunk_ref(key, r))?;
        let bucket = parsed.bucket.unescape();
        self.bucket(&bucket);
        let arrival = self.arrival();
        self.chunks
            .as_mut()
            .expect("before finalize")
            .push(ChunkRecord {
                name: ObjectName::new(&bucket, &parsed.object.unescape()),
                generation: parsed.generation,
                upload_id: parsed.upload_id.unescape().into(),
                part_no: parsed.part_no,
                version: parsed.version.unwrap_or(0),
                chunk_no: parsed.chunk_no,
                arrival,
                location: ChunkLocation::Ref {
                    digest: reference.digest,
                    size: reference.size,
                },
            })
            .map_err(S3Error::from)?;
        Ok(())
    }

    fn chunkblob(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let parsed = S3ChunkblobKey::parse(key).map_err(|e| S3Error::malformed_key(key, e))?;
        let value = S3ChunkblobKey::FAMILY.info().value.strip(record.body)?;
        let actual: [u8; 32] = Sha256::digest(value).into();
        if actual != parsed.digest {
            return Err(S3Error::ChunkBlobHashMismatch {
                key: crate::snapshot::error::quote_bytes(key),
                actual: actual.iter().map(|b| format!("{b:02x}")).collect(),
            }
            .into());
        }
        self.stats.payload_bytes += value.len() as u64;
        self.store.put_chunkblob(&parsed.digest, value)?;
        Ok(())
    }

    /// An upload meta/part record: with `--include-incomplete-uploads`, one line of the
    /// bucket's `_incomplete_uploads/records.jsonl` (s3.md §7.7); otherwise nothing.
    fn upload(&mut self, family: S3Family, record: &Record<'_>) -> Result<(), AdapterError> {
        if !self.options.include_incomplete_uploads {
            return Ok(());
        }
        let key = record.user_key;
        let malformed = |e| S3Error::malformed_key(key, e);
        let bucket = match family {
            S3Family::UploadMeta => S3UploadMetaKey::parse(key).map_err(malformed)?.bucket,
            _ => S3UploadPartKey::parse(key).map_err(malformed)?.bucket,
        }
        .unescape();
        if is_dot_or_empty(&bucket) {
            return Err(S3Error::malformed_key(key, MalformedKeyReason::DotBucket).into());
        }
        let prefix = std::str::from_utf8(family.info().prefix).expect("ASCII prefix");
        self.line.clear();
        self.line
            .begin_object()
            .key("prefix")
            .str(prefix)
            .key("key")
            .str(&STANDARD.encode(key))
            .key("value")
            .str(&STANDARD.encode(record.body))
            .end_object();
        let line = self.line.as_bytes().into();
        self.bucket(&bucket);
        let arrival = self.arrival();
        self.uploads
            .as_mut()
            .expect("before finalize")
            .push(UploadRecord {
                bucket: bucket.into_owned().into(),
                arrival,
                line,
            })
            .map_err(S3Error::from)?;
        Ok(())
    }
}

impl Adapter for S3Adapter {
    fn id(&self) -> AdapterId {
        AdapterId::S3
    }

    fn handle(&mut self, family: Family, record: &Record<'_>) -> Result<(), AdapterError> {
        let Family::S3(family) = family else {
            return Err(AdapterError::Invalid {
                adapter: "s3",
                message: format!("family {} routed to the S3 adapter", family.info().name),
            });
        };
        match family {
            S3Family::BucketMeta => self.bucket_meta(record),
            S3Family::ObjectManifest => self.manifest(record),
            S3Family::Blob => self.blob(record),
            S3Family::Chunkref => self.chunkref(record),
            S3Family::Chunkblob => self.chunkblob(record),
            S3Family::UploadMeta | S3Family::UploadPart => self.upload(family, record),
        }
    }

    /// Every bucket is attempted, in byte order of its name; the first error is returned.
    /// Scratch files are removed whatever happens.
    fn finalize(&mut self, ctx: &mut FinalizeContext<'_>) -> Result<(), AdapterError> {
        let (Some(manifests), Some(keys), Some(chunks), Some(uploads)) = (
            self.manifests.take(),
            self.keys.take(),
            self.chunks.take(),
            self.uploads.take(),
        ) else {
            return Ok(()); // finalized already
        };
        let buckets = std::mem::take(&mut self.buckets);
        let result = flush::flush_all(
            ctx,
            &self.options,
            &mut self.store,
            &mut self.stats,
            buckets,
            flush::Sorted {
                manifests,
                keys,
                chunks,
                uploads,
            },
        );
        self.store.remove_all();
        result
    }
}

//! What the adapter buffers until finalize, each kind in its own external sorter on the
//! shared memory budget, all in the order finalize walks a bucket: bucket (bytes), object key
//! (by `/`-separated segments, [`cmp_object_keys`]), generation (newest first).
//!
//! * [`ManifestRecord`] — one decoded manifest of an object generation.
//! * [`KeyRecord`] — the key of each manifest again: the look-ahead that tells whether an
//!   object key is also a directory of a later key (s3.md §6.3 `dirPrefixes`).
//! * [`ChunkRecord`] — one blob chunk (where its bytes are in scratch) or one chunkref, in
//!   assembly order within its object (part, version, inline before offloaded, chunk).
//! * [`UploadRecord`] — one rendered `records.jsonl` line (`--include-incomplete-uploads`),
//!   in arrival order within its bucket.

use std::cmp::Ordering;
use std::mem::size_of;

use crate::spill::{SpillError, SpillRecord};

use super::codec::{Reader, Writer};
use super::manifest::Manifest;
use super::naming::cmp_object_keys;

/// Bytes a heap allocation of `len` bytes costs (rounded up, plus the allocator's header).
fn allocation(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        (len + 16).next_multiple_of(16)
    }
}

/// Bucket and object key of a record, in one allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectName {
    data: Box<[u8]>,
    bucket_len: u32,
}

impl ObjectName {
    pub fn new(bucket: &[u8], object: &[u8]) -> Self {
        ObjectName {
            data: [bucket, object].concat().into_boxed_slice(),
            bucket_len: u32::try_from(bucket.len()).expect("a key is shorter than 4 GiB"),
        }
    }

    pub fn bucket(&self) -> &[u8] {
        &self.data[..self.bucket_len as usize]
    }

    pub fn object(&self) -> &[u8] {
        &self.data[self.bucket_len as usize..]
    }

    fn heap(&self) -> usize {
        allocation(self.data.len())
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.bytes(self.bucket());
        w.bytes(self.object());
    }

    fn decode(r: &mut Reader<'_>) -> Result<Self, SpillError> {
        let bucket = r.bytes()?;
        let object = r.bytes()?;
        Ok(ObjectName::new(bucket, object))
    }
}

/// Finalize order of object generations: bucket, object key by segments, newest
/// generation first.
pub fn cmp_object_state(a: (&ObjectName, u64), b: (&ObjectName, u64)) -> Ordering {
    a.0.bucket()
        .cmp(b.0.bucket())
        .then_with(|| cmp_object_keys(a.0.object(), b.0.object()))
        .then(b.1.cmp(&a.1))
}

/// One manifest.
#[derive(Debug, Clone)]
pub struct ManifestRecord {
    pub name: ObjectName,
    pub generation: u64,
    /// Position among all S3 records: a later manifest of the same object generation wins.
    pub arrival: u64,
    pub manifest: Manifest,
}

impl Ord for ManifestRecord {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_object_state(
            (&self.name, self.generation),
            (&other.name, other.generation),
        )
        .then(self.arrival.cmp(&other.arrival))
    }
}

impl PartialOrd for ManifestRecord {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ManifestRecord {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ManifestRecord {}

impl SpillRecord for ManifestRecord {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        self.name.encode(&mut w);
        w.u64(self.generation);
        w.u64(self.arrival);
        self.manifest.encode(&mut w);
    }

    fn decode(bytes: &[u8]) -> Result<Self, SpillError> {
        let mut r = Reader::new(bytes);
        let record = ManifestRecord {
            name: ObjectName::decode(&mut r)?,
            generation: r.u64()?,
            arrival: r.u64()?,
            manifest: Manifest::decode_spilled(&mut r)?,
        };
        r.finish()?;
        Ok(record)
    }

    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + self.name.heap() + allocation(self.manifest.heap_bytes())
    }
}

/// The key of one manifest (the directory look-ahead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub name: ObjectName,
    pub generation: u64,
}

impl Ord for KeyRecord {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_object_state(
            (&self.name, self.generation),
            (&other.name, other.generation),
        )
    }
}

impl PartialOrd for KeyRecord {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl SpillRecord for KeyRecord {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        self.name.encode(&mut w);
        w.u64(self.generation);
    }

    fn decode(bytes: &[u8]) -> Result<Self, SpillError> {
        let mut r = Reader::new(bytes);
        let record = KeyRecord {
            name: ObjectName::decode(&mut r)?,
            generation: r.u64()?,
        };
        r.finish()?;
        Ok(record)
    }

    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + self.name.heap()
    }
}

/// Where a chunk's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkLocation {
    /// A blob: `len` bytes at `offset` of scratch chunk file `file`.
    Blob { file: u64, offset: u64, len: u64 },
    /// A chunkref: the chunkblob with this digest, `size` bytes as the ref says.
    Ref { digest: [u8; 32], size: u64 },
}

/// One blob chunk or chunkref of an object generation.
#[derive(Debug, Clone)]
pub struct ChunkRecord {
    pub name: ObjectName,
    pub generation: u64,
    pub upload_id: Box<[u8]>,
    pub part_no: u64,
    /// Part version (blob) or chunk-ref version (chunkref).
    pub version: u64,
    pub chunk_no: u64,
    pub arrival: u64,
    pub location: ChunkLocation,
}

impl ChunkRecord {
    pub fn offloaded(&self) -> bool {
        matches!(self.location, ChunkLocation::Ref { .. })
    }

    /// The identity under which a later record replaces an earlier one (s3.md §5: a
    /// repeated key overwrites the map entry).
    pub fn same_chunk(&self, other: &Self) -> bool {
        self.part_no == other.part_no
            && self.version == other.version
            && self.offloaded() == other.offloaded()
            && self.chunk_no == other.chunk_no
            && self.upload_id == other.upload_id
    }
}

impl Ord for ChunkRecord {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_object_state(
            (&self.name, self.generation),
            (&other.name, other.generation),
        )
        .then(self.part_no.cmp(&other.part_no))
        .then(self.version.cmp(&other.version))
        .then(self.offloaded().cmp(&other.offloaded()))
        .then(self.chunk_no.cmp(&other.chunk_no))
        .then_with(|| self.upload_id.cmp(&other.upload_id))
        .then(self.arrival.cmp(&other.arrival))
    }
}

impl PartialOrd for ChunkRecord {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ChunkRecord {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ChunkRecord {}

const TAG_BLOB: u8 = 0;
const TAG_REF: u8 = 1;

impl SpillRecord for ChunkRecord {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        self.name.encode(&mut w);
        w.u64(self.generation);
        w.bytes(&self.upload_id);
        w.u64(self.part_no);
        w.u64(self.version);
        w.u64(self.chunk_no);
        w.u64(self.arrival);
        match self.location {
            ChunkLocation::Blob { file, offset, len } => {
                w.u8(TAG_BLOB);
                w.u64(file);
                w.u64(offset);
                w.u64(len);
            }
            ChunkLocation::Ref { digest, size } => {
                w.u8(TAG_REF);
                w.bytes(&digest);
                w.u64(size);
            }
        }
    }

    fn decode(bytes: &[u8]) -> Result<Self, SpillError> {
        let mut r = Reader::new(bytes);
        let name = ObjectName::decode(&mut r)?;
        let generation = r.u64()?;
        let upload_id = r.bytes()?.into();
        let (part_no, version, chunk_no, arrival) = (r.u64()?, r.u64()?, r.u64()?, r.u64()?);
        let location = match r.u8()? {
            TAG_BLOB => ChunkLocation::Blob {
                file: r.u64()?,
                offset: r.u64()?,
                len: r.u64()?,
            },
            TAG_REF => ChunkLocation::Ref {
                digest: r
                    .bytes()?
                    .try_into()
                    .map_err(|_| SpillError::invalid_record("S3 chunk digest is not 32 bytes"))?,
                size: r.u64()?,
            },
            tag => {
                return Err(SpillError::invalid_record(format!(
                    "unknown S3 chunk tag {tag}"
                )))
            }
        };
        r.finish()?;
        Ok(ChunkRecord {
            name,
            generation,
            upload_id,
            part_no,
            version,
            chunk_no,
            arrival,
            location,
        })
    }

    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + self.name.heap() + allocation(self.upload_id.len())
    }
}

/// One `records.jsonl` line of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRecord {
    pub bucket: Box<[u8]>,
    pub arrival: u64,
    pub line: Box<[u8]>,
}

impl Ord for UploadRecord {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bucket
            .cmp(&other.bucket)
            .then(self.arrival.cmp(&other.arrival))
    }
}

impl PartialOrd for UploadRecord {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl SpillRecord for UploadRecord {
    fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        w.bytes(&self.bucket);
        w.u64(self.arrival);
        w.bytes(&self.line);
    }

    fn decode(bytes: &[u8]) -> Result<Self, SpillError> {
        let mut r = Reader::new(bytes);
        let record = UploadRecord {
            bucket: r.bytes()?.into(),
            arrival: r.u64()?,
            line: r.bytes()?.into(),
        };
        r.finish()?;
        Ok(record)
    }

    fn approx_size(&self) -> usize {
        2 * size_of::<Self>() + allocation(self.bucket.len()) + allocation(self.line.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::s3::manifest::DeclaredPart;

    fn round_trip<T: SpillRecord>(record: &T) -> T {
        let mut out = Vec::new();
        record.encode(&mut out);
        let back = T::decode(&out).unwrap();
        assert!(T::decode(&out[..out.len() - 1]).is_err());
        let mut longer = out.clone();
        longer.push(0);
        assert!(T::decode(&longer).is_err());
        back
    }

    fn chunk(object: &[u8], generation: u64, part: u64, chunk: u64, arrival: u64) -> ChunkRecord {
        ChunkRecord {
            name: ObjectName::new(b"b", object),
            generation,
            upload_id: b"u".to_vec().into(),
            part_no: part,
            version: 0,
            chunk_no: chunk,
            arrival,
            location: ChunkLocation::Blob {
                file: 1,
                offset: 2,
                len: 3,
            },
        }
    }

    #[test]
    fn records_round_trip() {
        let m = ManifestRecord {
            name: ObjectName::new(b"b\x00k", b"a/b"),
            generation: 7,
            arrival: 9,
            manifest: Manifest {
                upload_id: b"u-1".to_vec(),
                size_bytes: -3,
                parts: vec![DeclaredPart {
                    part_no: 1,
                    version: 91,
                    offloaded: true,
                    chunk_count: 2,
                    size_bytes: 11,
                    chunk_sizes: vec![6, 5],
                }],
                sidecar: b"{}".to_vec(),
            },
        };
        let back = round_trip(&m);
        assert_eq!(back.name, m.name);
        assert_eq!((back.generation, back.arrival), (7, 9));
        assert_eq!(back.manifest, m.manifest);
        assert_eq!(back.approx_size(), m.approx_size());

        let k = KeyRecord {
            name: ObjectName::new(b"b", b"k"),
            generation: 3,
        };
        assert_eq!(round_trip(&k), k);

        let mut c = chunk(b"o", 1, 2, 3, 4);
        let back = round_trip(&c);
        assert_eq!(back, c);
        assert_eq!(back.location, c.location);
        c.location = ChunkLocation::Ref {
            digest: [7; 32],
            size: 5,
        };
        assert_eq!(round_trip(&c).location, c.location);

        let u = UploadRecord {
            bucket: b"b".to_vec().into(),
            arrival: 1,
            line: b"{}".to_vec().into(),
        };
        assert_eq!(round_trip(&u), u);
    }

    #[test]
    fn chunk_order_is_object_newest_generation_then_assembly_order() {
        let mut v = [
            chunk(b"a/b", 1, 1, 0, 0),
            chunk(b"a", 1, 2, 0, 1),
            chunk(b"a", 1, 1, 1, 2),
            chunk(b"a", 2, 1, 0, 3),
            chunk(b"a-", 1, 1, 0, 4),
            chunk(b"a", 1, 1, 0, 5),
        ];
        v.sort();
        let order: Vec<u64> = v.iter().map(|c| c.arrival).collect();
        assert_eq!(order, vec![3, 5, 2, 1, 0, 4]);
        let mut refs = chunk(b"a", 1, 1, 0, 6);
        refs.location = ChunkLocation::Ref {
            digest: [0; 32],
            size: 1,
        };
        // Inline chunks of a part version come before its offloaded ones.
        assert!(chunk(b"a", 1, 1, 9, 7) < refs);
    }
}

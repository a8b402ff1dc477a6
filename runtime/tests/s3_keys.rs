//! Upstream's `internal/s3keys/keys_test.go` scenarios (s3.md §13.2), one test each, named
//! after them: the generated S3 parsers against the live server's key encodings
//! (`ekvsnap_runtime::s3::keys`), and the chunkref value codec. Upstream's route-key and
//! scan-bound helpers have no counterpart in a decoder (those families are never parsed,
//! s3.md §3.9); their tests are adapted to the property the decoder relies on instead.

use ekvsnap_runtime::keys::{
    route, Family, InternalFamily, S3BlobKey, S3BucketMetaKey, S3ChunkblobKey, S3ChunkrefKey,
    S3Family, S3ObjectManifestKey, S3UploadMetaKey, S3UploadPartKey,
};
use ekvsnap_runtime::s3::keys::*;
use ekvsnap_runtime::s3::{decode_chunk_ref, encode_chunk_ref, ChunkRefValue};
use sha2::{Digest, Sha256};

fn digest(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// (bucket, generation, object) as the adapter reads them from an object-scoped key.
fn object_scope(key: &[u8]) -> (Vec<u8>, u64, Vec<u8>) {
    match route(key) {
        Some(Family::S3(S3Family::ObjectManifest)) => {
            let k = S3ObjectManifestKey::parse(key).unwrap();
            (
                k.bucket.unescape().into(),
                k.generation,
                k.object.unescape().into(),
            )
        }
        Some(Family::S3(S3Family::UploadMeta)) => {
            let k = S3UploadMetaKey::parse(key).unwrap();
            (
                k.bucket.unescape().into(),
                k.generation,
                k.object.unescape().into(),
            )
        }
        Some(Family::S3(S3Family::UploadPart)) => {
            let k = S3UploadPartKey::parse(key).unwrap();
            (
                k.bucket.unescape().into(),
                k.generation,
                k.object.unescape().into(),
            )
        }
        Some(Family::S3(S3Family::Blob)) => {
            let k = S3BlobKey::parse(key).unwrap();
            (
                k.bucket.unescape().into(),
                k.generation,
                k.object.unescape().into(),
            )
        }
        Some(Family::S3(S3Family::Chunkref)) => {
            let k = S3ChunkrefKey::parse(key).unwrap();
            (
                k.bucket.unescape().into(),
                k.generation,
                k.object.unescape().into(),
            )
        }
        other => panic!("{key:?} routes to {other:?}"),
    }
}

#[test]
fn bucket_meta_key_round_trips_zero_byte_segments() {
    let key = bucket_meta_key(b"b\x00k");
    let k = S3BucketMetaKey::parse(&key).unwrap();
    assert_eq!(&*k.bucket.unescape(), b"b\x00k");
}

#[test]
fn object_manifest_key_round_trips_zero_byte_segments() {
    let key = manifest_key(b"b\x00k", 7, b"o\x00bj");
    let k = S3ObjectManifestKey::parse(&key).unwrap();
    assert_eq!(&*k.bucket.unescape(), b"b\x00k");
    assert_eq!(k.generation, 7);
    assert_eq!(&*k.object.unescape(), b"o\x00bj");
}

/// Adapted: every object-scoped family yields the same (bucket, generation, object), which
/// is what finalize joins records on; the gc family is never parsed (always internal).
#[test]
fn extract_route_key_object_scoped_keys() {
    let scope = (b"b\x00x".to_vec(), 3, b"a/b".to_vec());
    let (b, g, o) = (&scope.0[..], scope.1, &scope.2[..]);
    for key in [
        manifest_key(b, g, o),
        upload_meta_key(b, g, o, b"u"),
        upload_part_key(b, g, o, b"u", 2),
        blob_key(b, g, o, b"u", 1, 0, 0),
        blob_key(b, g, o, b"u", 1, 0, 9),
        chunkref_key(b, g, o, b"u", 1, 0, 4),
    ] {
        assert_eq!(object_scope(&key), scope);
    }
    let gc = [b"!s3|gc|upload|".as_slice(), &segment(b), &g.to_be_bytes()].concat();
    assert_eq!(
        route(&gc),
        Some(Family::Internal(InternalFamily::S3GcUpload))
    );
}

/// Adapted: route keys are never parsed; whatever follows `!s3route|` is internal.
#[test]
fn manifest_scan_route_bounds() {
    let bounds = [b"!s3route|".as_slice(), &segment(b"b"), &1u64.to_be_bytes()].concat();
    for key in [bounds.clone(), [&bounds[..], b"\xff\xff"].concat()] {
        assert_eq!(route(&key), Some(Family::Internal(InternalFamily::S3Route)));
    }
}

#[test]
fn manifest_scan_route_bounds_rejects_non_manifest_keys() {
    assert!(S3ObjectManifestKey::parse(&bucket_meta_key(b"b")).is_err());
    assert!(S3ObjectManifestKey::parse(&blob_key(b"b", 1, b"o", b"u", 1, 0, 0)).is_err());
}

#[test]
fn encode_segment_prefix_escapes_zero_bytes() {
    let seg = segment(b"\x00a\x00");
    assert_eq!(seg, [0x00, 0xFF, 0x61, 0x00, 0xFF, 0x00, 0x01]);
    assert!(!seg.windows(2).any(|w| w == [0, 0]));
}

#[test]
fn parse_upload_part_key_round_trip() {
    let key = upload_part_key(b"bucket", 9, b"dir/obj", b"upload-1", 12);
    let k = S3UploadPartKey::parse(&key).unwrap();
    assert_eq!(&*k.bucket.unescape(), b"bucket");
    assert_eq!(k.generation, 9);
    assert_eq!(&*k.object.unescape(), b"dir/obj");
    assert_eq!(&*k.upload_id.unescape(), b"upload-1");
    assert_eq!(k.part_no, 12);
}

#[test]
fn parse_upload_part_key_zero_bytes_in_segments() {
    let key = upload_part_key(b"b\x00", 1, b"\x00o", b"u\x00\x00", 3);
    let k = S3UploadPartKey::parse(&key).unwrap();
    assert_eq!(&*k.bucket.unescape(), b"b\x00");
    assert_eq!(&*k.object.unescape(), b"\x00o");
    assert_eq!(&*k.upload_id.unescape(), b"u\x00\x00");
    assert_eq!(k.part_no, 3);
}

#[test]
fn parse_blob_key_unversioned_round_trip() {
    let key = blob_key(b"b", 4, b"o", b"u", 1, 7, 0);
    let k = S3BlobKey::parse(&key).unwrap();
    assert_eq!(
        (k.generation, k.part_no, k.chunk_no, k.part_version),
        (4, 1, 7, None)
    );
    assert_eq!(&*k.upload_id.unescape(), b"u");
}

#[test]
fn parse_blob_key_versioned_round_trip() {
    let k_bytes = blob_key(b"b", 1, b"o", b"u", 2, 3, 9);
    let k = S3BlobKey::parse(&k_bytes).unwrap();
    assert_eq!((k.part_no, k.chunk_no, k.part_version), (2, 3, Some(9)));
}

#[test]
fn parse_blob_key_versioned_zero_falls_back_to_unversioned() {
    let legacy = blob_key(b"b", 1, b"o", b"u", 1, 0, 0);
    let k = S3BlobKey::parse(&legacy).unwrap();
    assert_eq!(k.part_version.unwrap_or(0), 0);
    // An explicit zero trailer is accepted and means the same version.
    let explicit = [&legacy[..], &0u64.to_be_bytes()].concat();
    assert_eq!(S3BlobKey::parse(&explicit).unwrap().part_version, Some(0));
}

#[test]
fn parse_blob_key_rejects_non_blob() {
    for key in [
        bucket_meta_key(b"b"),
        manifest_key(b"b", 1, b"o"),
        upload_part_key(b"b", 1, b"o", b"u", 1),
        b"random".to_vec(),
        b"!s3|blob|".to_vec(),
    ] {
        assert!(S3BlobKey::parse(&key).is_err(), "{key:?}");
    }
}

#[test]
fn parse_blob_key_rejects_trailing_garbage() {
    let key = [&blob_key(b"b", 1, b"o", b"u", 1, 0, 0)[..], &[1, 2, 3, 4]].concat();
    assert!(S3BlobKey::parse(&key).is_err());
}

#[test]
fn parse_upload_part_key_rejects_non_part_keys() {
    for key in [
        bucket_meta_key(b"b"),
        manifest_key(b"b", 1, b"o"),
        blob_key(b"b", 1, b"o", b"u", 1, 0, 0),
    ] {
        assert!(S3UploadPartKey::parse(&key).is_err(), "{key:?}");
    }
}

/// The key bytes before the part number name one upload of one object generation.
fn upload_prefix(key: &[u8], trailer: usize) -> &[u8] {
    &key[..key.len() - trailer]
}

#[test]
fn upload_part_prefix_for_upload_is_prefix_of_part_keys() {
    let prefix = upload_prefix(&upload_part_key(b"b", 1, b"o", b"u", 1), 8).to_vec();
    for part in 1..=5 {
        let key = upload_part_key(b"b", 1, b"o", b"u", part);
        assert!(key.starts_with(&prefix));
        assert_eq!(S3UploadPartKey::parse(&key).unwrap().part_no, part);
    }
    assert!(!upload_part_key(b"b", 1, b"o", b"u2", 1).starts_with(&prefix));
    // `u` is a prefix of `u2` as bytes, but not as an escaped segment.
    assert!(!upload_part_key(b"b", 1, b"o", b"u\x00", 1).starts_with(&prefix));
}

#[test]
fn versioned_blob_key_zero_version_matches_blob_key() {
    let legacy = [
        b"!s3|blob|".as_slice(),
        &segment(b"b"),
        &1u64.to_be_bytes(),
        &segment(b"o"),
        &segment(b"u"),
        &1u64.to_be_bytes(),
        &0u64.to_be_bytes(),
    ]
    .concat();
    assert_eq!(blob_key(b"b", 1, b"o", b"u", 1, 0, 0), legacy);
}

#[test]
fn versioned_blob_key_non_zero_version_differs_from_blob_key() {
    let legacy = blob_key(b"b", 1, b"o", b"u", 1, 0, 0);
    let v1 = blob_key(b"b", 1, b"o", b"u", 1, 0, 1);
    let v2 = blob_key(b"b", 1, b"o", b"u", 1, 0, 2);
    assert_ne!(legacy, v1);
    assert_ne!(v1, v2);
    assert!(v1.starts_with(&legacy));
}

/// The adapter's scratch store names a run of chunks by this prefix: every chunk of one
/// upload shares it, no other upload's chunk does.
#[test]
fn blob_prefix_for_upload_is_prefix_of_blob_keys() {
    let prefix = upload_prefix(&blob_key(b"b", 1, b"o", b"u", 1, 0, 0), 16).to_vec();
    for (part, chunk, version) in [(1, 0, 0), (1, 5, 0), (2, 0, 7), (9, 9, 9)] {
        let key = blob_key(b"b", 1, b"o", b"u", part, chunk, version);
        assert!(key.starts_with(&prefix));
        let trailer = if version == 0 { 16 } else { 24 };
        assert_eq!(upload_prefix(&key, trailer), prefix);
    }
    for other in [
        blob_key(b"b", 1, b"o", b"v", 1, 0, 0),
        blob_key(b"b", 2, b"o", b"u", 1, 0, 0),
        blob_key(b"b", 1, b"o2", b"u", 1, 0, 0),
    ] {
        assert!(!other.starts_with(&prefix));
    }
}

#[test]
fn chunk_ref_key_round_trip_and_route_key() {
    let key = chunkref_key(b"b\x00", 5, b"o\x00", b"u\x00", 2, 3, 0);
    assert_eq!(route(&key), Some(Family::S3(S3Family::Chunkref)));
    let k = S3ChunkrefKey::parse(&key).unwrap();
    assert_eq!(&*k.bucket.unescape(), b"b\x00");
    assert_eq!(&*k.object.unescape(), b"o\x00");
    assert_eq!(&*k.upload_id.unescape(), b"u\x00");
    assert_eq!(
        (k.generation, k.part_no, k.chunk_no, k.version),
        (5, 2, 3, None)
    );
    assert_eq!(
        object_scope(&key),
        object_scope(&manifest_key(b"b\x00", 5, b"o\x00"))
    );
}

#[test]
fn versioned_chunk_ref_key_round_trip() {
    let key = chunkref_key(b"b", 1, b"o", b"u", 1, 0, 99);
    assert_eq!(S3ChunkrefKey::parse(&key).unwrap().version, Some(99));
    let zero = chunkref_key(b"b", 1, b"o", b"u", 1, 0, 0);
    assert_eq!(zero.len() + 8, key.len());
    assert_eq!(S3ChunkrefKey::parse(&zero).unwrap().version, None);
}

#[test]
fn chunk_blob_key_round_trip() {
    let d = digest(b"payload");
    let key = chunkblob_key(&d);
    assert!(!key.starts_with(b"!s3|blob|"));
    assert_eq!(route(&key), Some(Family::S3(S3Family::Chunkblob)));
    assert_eq!(S3ChunkblobKey::parse(&key).unwrap().digest, d);
    // Exact length, hex only.
    assert!(S3ChunkblobKey::parse(&key[..key.len() - 1]).is_err());
    assert!(S3ChunkblobKey::parse(&[&key[..], b"0"].concat()).is_err());
    let mut bad = key.clone();
    *bad.last_mut().unwrap() = b'g';
    assert!(S3ChunkblobKey::parse(&bad).is_err());
}

#[test]
fn chunk_ref_value_round_trip() {
    let d = digest(b"x");
    let v = encode_chunk_ref(d, 1234, b"node-a", &[]);
    assert_eq!(v[0], 0x01);
    assert_eq!(
        decode_chunk_ref(&v).unwrap(),
        ChunkRefValue {
            digest: d,
            size: 1234
        }
    );
}

#[test]
fn chunk_ref_value_v2_round_trip_write_time_replicas() {
    let d = digest(b"y");
    let v = encode_chunk_ref(d, 7, b"node-a", &[(b"n1", b"a:1"), (b"n2", b"b:2")]);
    assert_eq!(v[0], 0x02);
    assert_eq!(
        decode_chunk_ref(&v).unwrap(),
        ChunkRefValue { digest: d, size: 7 }
    );
}

#[test]
fn chunk_ref_value_rejects_malformed_values() {
    let good = encode_chunk_ref(digest(b"z"), 3, b"peer", &[]);
    let mut bad_version = good.clone();
    bad_version[0] = 0xFF;
    let mut v2_huge = good.clone();
    v2_huge[0] = 0x02;
    v2_huge.extend_from_slice(&[0xFF, 0xFF]);
    for bad in [
        Vec::new(),
        vec![0x01],
        bad_version,
        good[..good.len() - 1].to_vec(),
        [&good[..], &[0]].concat(),
        v2_huge,
    ] {
        assert!(decode_chunk_ref(&bad).is_err(), "{bad:?}");
    }
}

/// Adapted: every family's parser attributes a key to exactly its bucket and generation,
/// including buckets that are byte prefixes of one another.
#[test]
fn per_bucket_prefixes_isolate_by_bucket_and_generation() {
    for (bucket, generation) in [(&b"b"[..], 1), (b"b", 2), (b"bb", 1), (b"b\x00", 1)] {
        for key in [
            manifest_key(bucket, generation, b"o"),
            upload_meta_key(bucket, generation, b"o", b"u"),
            upload_part_key(bucket, generation, b"o", b"u", 1),
            blob_key(bucket, generation, b"o", b"u", 1, 0, 0),
            chunkref_key(bucket, generation, b"o", b"u", 1, 0, 0),
        ] {
            let (b, g, _) = object_scope(&key);
            assert_eq!((&b[..], g), (bucket, generation));
        }
    }
    for prefix in [&b"!s3|gc|upload|"[..], b"!s3route|"] {
        let key = [prefix, &segment(b"b"), &1u64.to_be_bytes()].concat();
        assert!(matches!(route(&key), Some(Family::Internal(_))));
    }
}

//! The live server's S3 key encodings (upstream `internal/s3keys`, s3.md §2): what tests,
//! benches and demo snapshots use to build records. The decoder itself parses keys only
//! through the parsers generated from `spec/s3.yaml`.

/// `seg(x)`: every `00` escaped as `00 FF`, then the `00 01` terminator (s3.md §2.1).
pub fn segment(x: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(x.len() + 2);
    for &b in x {
        out.push(b);
        if b == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 1]);
    out
}

fn key(prefix: &str, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = prefix.as_bytes().to_vec();
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// `!s3|bucket|meta|` ‖ seg(bucket).
pub fn bucket_meta_key(bucket: &[u8]) -> Vec<u8> {
    key("!s3|bucket|meta|", &[&segment(bucket)])
}

/// `!s3|obj|head|` ‖ seg(bucket) ‖ u64(generation) ‖ seg(object).
pub fn manifest_key(bucket: &[u8], generation: u64, object: &[u8]) -> Vec<u8> {
    key(
        "!s3|obj|head|",
        &[
            &segment(bucket),
            &generation.to_be_bytes(),
            &segment(object),
        ],
    )
}

/// The six head fields shared by blob and chunkref keys, plus the version trailer
/// (writers omit it for version 0).
#[allow(clippy::too_many_arguments)]
fn chunk_key(
    prefix: &str,
    bucket: &[u8],
    generation: u64,
    object: &[u8],
    upload_id: &[u8],
    part_no: u64,
    chunk_no: u64,
    version: u64,
) -> Vec<u8> {
    let mut out = key(
        prefix,
        &[
            &segment(bucket),
            &generation.to_be_bytes(),
            &segment(object),
            &segment(upload_id),
            &part_no.to_be_bytes(),
            &chunk_no.to_be_bytes(),
        ],
    );
    if version != 0 {
        out.extend_from_slice(&version.to_be_bytes());
    }
    out
}

/// A blob key: legacy for version 0, versioned otherwise (s3.md §2.4).
pub fn blob_key(
    bucket: &[u8],
    generation: u64,
    object: &[u8],
    upload_id: &[u8],
    part_no: u64,
    chunk_no: u64,
    part_version: u64,
) -> Vec<u8> {
    chunk_key(
        "!s3|blob|",
        bucket,
        generation,
        object,
        upload_id,
        part_no,
        chunk_no,
        part_version,
    )
}

/// A chunkref key: legacy for version 0, versioned otherwise.
pub fn chunkref_key(
    bucket: &[u8],
    generation: u64,
    object: &[u8],
    upload_id: &[u8],
    part_no: u64,
    chunk_no: u64,
    version: u64,
) -> Vec<u8> {
    chunk_key(
        "!s3|chunkref|",
        bucket,
        generation,
        object,
        upload_id,
        part_no,
        chunk_no,
        version,
    )
}

/// `!s3|chunkblob|` ‖ 64 lower-case hex digits of `digest`.
pub fn chunkblob_key(digest: &[u8; 32]) -> Vec<u8> {
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    key("!s3|chunkblob|", &[hex.as_bytes()])
}

/// `!s3|upload|meta|` ‖ seg(bucket) ‖ u64(generation) ‖ seg(object) ‖ seg(upload).
pub fn upload_meta_key(bucket: &[u8], generation: u64, object: &[u8], upload_id: &[u8]) -> Vec<u8> {
    key(
        "!s3|upload|meta|",
        &[
            &segment(bucket),
            &generation.to_be_bytes(),
            &segment(object),
            &segment(upload_id),
        ],
    )
}

/// The upload-meta layout plus u64(part number).
pub fn upload_part_key(
    bucket: &[u8],
    generation: u64,
    object: &[u8],
    upload_id: &[u8],
    part_no: u64,
) -> Vec<u8> {
    key(
        "!s3|upload|part|",
        &[
            &segment(bucket),
            &generation.to_be_bytes(),
            &segment(object),
            &segment(upload_id),
            &part_no.to_be_bytes(),
        ],
    )
}

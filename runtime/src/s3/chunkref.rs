//! The `!s3|chunkref|` value (s3.md §4.6): a versioned binary record pointing an offloaded
//! chunk at its content-addressed `!s3|chunkblob|`. Only the digest and size are used.

/// The parts of a chunkref value the decoder uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkRefValue {
    /// SHA-256 of the chunk payload (the chunkblob key's digest).
    pub digest: [u8; 32],
    /// Payload size in bytes.
    pub size: u64,
}

const V1: u8 = 0x01;
const V2: u8 = 0x02;
/// Version byte, digest, size, peer length.
const MIN_LEN: usize = 1 + 32 + 8 + 2;

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if self.rest.len() < n {
            return Err(format!("{what} needs {n} bytes, {} left", self.rest.len()));
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }

    fn u16(&mut self, what: &str) -> Result<usize, String> {
        let b = self.take(2, what)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }

    fn string(&mut self, what: &str) -> Result<(), String> {
        let len = self.u16(what)?;
        self.take(len, what).map(drop)
    }
}

/// Decodes a chunkref value; every shape violation is a message for
/// `ErrS3InvalidChunkRef`.
pub fn decode_chunk_ref(value: &[u8]) -> Result<ChunkRefValue, String> {
    if value.len() < MIN_LEN {
        return Err(format!(
            "value is {} bytes, shorter than the {MIN_LEN}-byte minimum",
            value.len()
        ));
    }
    let version = value[0];
    if version != V1 && version != V2 {
        return Err(format!("unknown chunkref version 0x{version:02x}"));
    }
    let mut c = Cursor { rest: &value[1..] };
    let digest: [u8; 32] = c.take(32, "digest")?.try_into().expect("32 bytes");
    let size = u64::from_be_bytes(c.take(8, "size")?.try_into().expect("8 bytes"));
    c.string("source peer")?;
    if version == V2 {
        let replicas = c.u16("replica count")?;
        if replicas > c.rest.len() / 4 {
            return Err(format!(
                "replica count {replicas} exceeds what {} remaining bytes can hold",
                c.rest.len()
            ));
        }
        for _ in 0..replicas {
            c.string("replica node id")?;
            c.string("replica address")?;
        }
    }
    if !c.rest.is_empty() {
        return Err(format!("{} trailing bytes", c.rest.len()));
    }
    Ok(ChunkRefValue { digest, size })
}

/// What the live server writes (V1 without replicas, V2 with them); for tests and benches.
pub fn encode_chunk_ref(
    digest: [u8; 32],
    size: u64,
    peer: &[u8],
    replicas: &[(&[u8], &[u8])],
) -> Vec<u8> {
    let mut v = vec![if replicas.is_empty() { V1 } else { V2 }];
    v.extend_from_slice(&digest);
    v.extend_from_slice(&size.to_be_bytes());
    v.extend_from_slice(&(peer.len() as u16).to_be_bytes());
    v.extend_from_slice(peer);
    if !replicas.is_empty() {
        v.extend_from_slice(&(replicas.len() as u16).to_be_bytes());
        for (node, addr) in replicas {
            v.extend_from_slice(&(node.len() as u16).to_be_bytes());
            v.extend_from_slice(node);
            v.extend_from_slice(&(addr.len() as u16).to_be_bytes());
            v.extend_from_slice(addr);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn digest(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    // Upstream TestChunkRefValue_RoundTrip and s3.md §4.6's worked example.
    #[test]
    fn v1_round_trip_and_worked_example() {
        let d = digest(b"node-a payload");
        let v = encode_chunk_ref(d, 1234, b"node-a", &[]);
        assert_eq!(
            decode_chunk_ref(&v).unwrap(),
            ChunkRefValue {
                digest: d,
                size: 1234
            }
        );
        let hello = encode_chunk_ref(digest(b"hello"), 5, b"n1", &[]);
        assert_eq!(hello.len(), 45);
        assert_eq!(&hello[..3], &[0x01, 0x2c, 0xf2]);
        assert_eq!(&hello[33..45], &[0, 0, 0, 0, 0, 0, 0, 5, 0, 2, b'n', b'1']);
    }

    // Upstream TestChunkRefValueV2_RoundTripWriteTimeReplicas.
    #[test]
    fn v2_with_replicas() {
        let d = digest(b"x");
        let v = encode_chunk_ref(
            d,
            9,
            b"p",
            &[(b"n1", b"10.0.0.1:1"), (b"n2", b"10.0.0.2:1")],
        );
        assert_eq!(v[0], 0x02);
        assert_eq!(
            decode_chunk_ref(&v).unwrap(),
            ChunkRefValue { digest: d, size: 9 }
        );
        // R = 0 still decodes.
        let mut zero = encode_chunk_ref(d, 9, b"p", &[]);
        zero[0] = V2;
        zero.extend_from_slice(&[0, 0]);
        assert_eq!(decode_chunk_ref(&zero).unwrap().size, 9);
    }

    // Upstream TestChunkRefValue_RejectsMalformedValues.
    #[test]
    fn malformed_values_are_rejected() {
        let good = encode_chunk_ref(digest(b"y"), 3, b"peer", &[]);
        assert!(decode_chunk_ref(&[]).is_err());
        assert!(decode_chunk_ref(&[0x01]).is_err());
        let mut bad = good.clone();
        bad[0] = 0xFF;
        assert!(decode_chunk_ref(&bad).unwrap_err().contains("version"));
        assert!(decode_chunk_ref(&good[..good.len() - 1]).is_err());
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(decode_chunk_ref(&trailing)
            .unwrap_err()
            .contains("trailing"));
        let mut huge = good.clone();
        huge[0] = V2;
        huge.extend_from_slice(&[0xFF, 0xFF, 0, 0, 0, 0]);
        assert!(decode_chunk_ref(&huge)
            .unwrap_err()
            .contains("replica count"));
    }
}

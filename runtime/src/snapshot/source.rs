//! A buffered byte source that keeps a running CRC-32C over every byte consumed.
//!
//! The CRC is updated lazily over whole buffer slices (when the buffer is compacted, or when
//! the caller asks for it), never per byte. Large reads that exceed the buffer go straight
//! from the inner reader into the caller's vector and are hashed there.

use std::io::{self, Read};

/// Default buffer size (1 MiB).
pub const DEFAULT_BUFFER_SIZE: usize = 1 << 20;
/// Smallest buffer accepted (anything smaller is rounded up).
pub const MIN_BUFFER_SIZE: usize = 64;

pub(crate) struct CrcSource<R> {
    inner: R,
    buf: Box<[u8]>,
    /// Next unread byte in `buf`.
    pos: usize,
    /// End of valid data in `buf`.
    end: usize,
    /// `buf[crc_pos..pos]` has been consumed but not hashed yet.
    crc_pos: usize,
    crc: u32,
    hash: bool,
    /// Total bytes consumed since the start of the input.
    consumed: u64,
    eof: bool,
}

impl<R: Read> CrcSource<R> {
    pub(crate) fn new(inner: R, buffer_size: usize, hash: bool) -> Self {
        let size = buffer_size.max(MIN_BUFFER_SIZE);
        CrcSource {
            inner,
            buf: vec![0u8; size].into_boxed_slice(),
            pos: 0,
            end: 0,
            crc_pos: 0,
            crc: 0,
            hash,
            consumed: 0,
            eof: false,
        }
    }

    /// Bytes consumed so far (= offset of the next byte).
    pub(crate) fn consumed(&self) -> u64 {
        self.consumed
    }

    /// CRC-32C of every consumed byte (0 if hashing is off).
    pub(crate) fn crc(&mut self) -> u32 {
        self.hash_pending();
        self.crc
    }

    fn hash_pending(&mut self) {
        if self.hash && self.crc_pos < self.pos {
            self.crc = crc32c::crc32c_append(self.crc, &self.buf[self.crc_pos..self.pos]);
        }
        self.crc_pos = self.pos;
    }

    /// The buffered, not yet consumed bytes.
    pub(crate) fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.end]
    }

    /// Ensures at least `n` (≤ buffer size) bytes are buffered, unless the input ends first.
    /// Returns the number of buffered bytes (< `n` only at end of input).
    pub(crate) fn fill(&mut self, n: usize) -> io::Result<usize> {
        debug_assert!(n <= self.buf.len());
        if self.end - self.pos >= n || self.eof {
            return Ok(self.end - self.pos);
        }
        if self.pos == self.end || self.pos + n > self.buf.len() {
            self.compact();
        }
        while self.end - self.pos < n {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end - self.pos)
    }

    /// Moves the unread bytes to the start of the buffer, hashing the consumed ones first.
    fn compact(&mut self) {
        self.hash_pending();
        self.buf.copy_within(self.pos..self.end, 0);
        self.end -= self.pos;
        self.pos = 0;
        self.crc_pos = 0;
    }

    /// Consumes `n` buffered bytes.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.pos);
        self.pos += n;
        self.consumed += n as u64;
    }

    /// Reads and consumes a little-endian u64 if 8 bytes are available; otherwise returns
    /// `Err(available)` with the number of bytes left before the end of input (0..=7),
    /// consuming nothing.
    pub(crate) fn read_u64_le(&mut self) -> io::Result<Result<u64, usize>> {
        let have = self.fill(8)?;
        if have < 8 {
            return Ok(Err(have));
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.buf[self.pos..self.pos + 8]);
        self.consume(8);
        Ok(Ok(u64::from_le_bytes(b)))
    }

    /// Reads exactly `N` bytes, or returns `None` (consuming whatever was there) if the
    /// input ends first.
    pub(crate) fn read_array<const N: usize>(&mut self) -> io::Result<Option<[u8; N]>> {
        let have = self.fill(N)?;
        if have < N {
            self.consume(have);
            return Ok(None);
        }
        let mut b = [0u8; N];
        b.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.consume(N);
        Ok(Some(b))
    }

    /// Skips up to `n` bytes; returns how many were skipped (< `n` only at end of input).
    pub(crate) fn skip(&mut self, n: u64) -> io::Result<u64> {
        let mut left = n;
        while left > 0 {
            if self.fill(1)? == 0 {
                break;
            }
            let take = (self.end - self.pos).min(usize::try_from(left).unwrap_or(usize::MAX));
            self.consume(take);
            left -= take as u64;
        }
        Ok(n - left)
    }

    /// Appends up to `n` bytes to `out`; returns how many were appended (< `n` only at end of
    /// input). `out` grows only as data actually arrives, so a hostile length cannot force a
    /// large allocation on a short input.
    pub(crate) fn read_into(&mut self, out: &mut Vec<u8>, n: usize) -> io::Result<usize> {
        let mut left = n;
        while left > 0 {
            let buffered = self.end - self.pos;
            if buffered > 0 {
                let take = buffered.min(left);
                out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
                self.consume(take);
                left -= take;
                continue;
            }
            if self.eof {
                break;
            }
            if left >= self.buf.len() {
                // Large remainder: read straight into `out`, bypassing the buffer.
                self.hash_pending();
                let chunk = left.min(self.buf.len().max(8 << 20));
                let start = out.len();
                out.resize(start + chunk, 0);
                let got = loop {
                    match self.inner.read(&mut out[start..]) {
                        Ok(k) => break k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            out.truncate(start);
                            return Err(e);
                        }
                    }
                };
                out.truncate(start + got);
                if got == 0 {
                    self.eof = true;
                    break;
                }
                if self.hash {
                    self.crc = crc32c::crc32c_append(self.crc, &out[start..]);
                }
                self.consumed += got as u64;
                left -= got;
            } else if self.fill(1)? == 0 {
                break;
            }
        }
        Ok(n - left)
    }
}

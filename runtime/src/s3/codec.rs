//! The little binary codec of the S3 spill records: little-endian integers and
//! length-prefixed byte strings. Decoding never trusts a length it has not checked.

use crate::spill::SpillError;

/// Appends fields to a record encoding.
pub(super) struct Writer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Writer<'a> {
    pub(super) fn new(out: &'a mut Vec<u8>) -> Self {
        Writer { out }
    }

    pub(super) fn u8(&mut self, v: u8) {
        self.out.push(v);
    }

    pub(super) fn u64(&mut self, v: u64) {
        self.out.extend_from_slice(&v.to_le_bytes());
    }

    /// A byte string with its u32 length.
    pub(super) fn bytes(&mut self, v: &[u8]) {
        let len = u32::try_from(v.len()).expect("an S3 record field is shorter than 4 GiB");
        self.out.extend_from_slice(&len.to_le_bytes());
        self.out.extend_from_slice(v);
    }
}

/// Reads fields back in the order they were written.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], SpillError> {
        if self.bytes.len() < n {
            return Err(SpillError::invalid_record(format!(
                "S3 record truncated: needs {n} bytes, {} left",
                self.bytes.len()
            )));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    pub(super) fn u8(&mut self) -> Result<u8, SpillError> {
        Ok(self.take(1)?[0])
    }

    pub(super) fn u32(&mut self) -> Result<u32, SpillError> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    pub(super) fn u64(&mut self) -> Result<u64, SpillError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    pub(super) fn bytes(&mut self) -> Result<&'a [u8], SpillError> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    /// A u64 element count whose elements take at least `min_size` bytes each: refused if
    /// the rest of the record could not hold them.
    pub(super) fn count(&mut self, min_size: usize) -> Result<usize, SpillError> {
        let n = self.u64()?;
        let fits = usize::try_from(n)
            .ok()
            .filter(|&n| n.saturating_mul(min_size.max(1)) <= self.bytes.len());
        fits.ok_or_else(|| {
            SpillError::invalid_record(format!(
                "S3 record count {n} exceeds its {} remaining bytes",
                self.bytes.len()
            ))
        })
    }

    /// Fails unless everything was read.
    pub(super) fn finish(self) -> Result<(), SpillError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(SpillError::invalid_record(format!(
                "{} unexpected bytes after an S3 record",
                self.bytes.len()
            )))
        }
    }
}

//! Line reading with the semantics of Go's `bufio.Scanner` + `ScanLines` and a fixed maximum
//! buffer: lines split at `\n`, one trailing `\r` dropped, the final newline optional, no
//! empty token after a final newline, and a line that does not fit the buffer is an error
//! (content before the `\n`, CR included, must be at most `max - 1` bytes). Memory stays
//! bounded by `max` whatever the input.

use std::io::{self, BufRead};

/// Why [`BoundedLines::next_line`] failed.
#[derive(Debug)]
pub(crate) enum LineError {
    /// `bufio.Scanner: token too long`.
    TooLong,
    Io(io::Error),
}

pub(crate) struct BoundedLines<R> {
    reader: R,
    max: usize,
    buf: Vec<u8>,
    line_no: usize,
}

impl<R: BufRead> BoundedLines<R> {
    pub(crate) fn new(reader: R, max: usize) -> Self {
        BoundedLines {
            reader,
            max,
            buf: Vec::new(),
            line_no: 0,
        }
    }

    /// 1-based number of the line last returned.
    pub(crate) fn line_no(&self) -> usize {
        self.line_no
    }

    /// The next line without its terminator, or `None` at end of input.
    pub(crate) fn next_line(&mut self) -> Result<Option<&[u8]>, LineError> {
        self.buf.clear();
        let limit = self.max.saturating_sub(1);
        let mut saw_any = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LineError::Io(e)),
            };
            if chunk.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                if self.buf.len() > limit {
                    return Err(LineError::TooLong);
                }
                break;
            }
            saw_any = true;
            match memchr::memchr(b'\n', chunk) {
                Some(pos) => {
                    if self.buf.len() + pos > limit {
                        return Err(LineError::TooLong);
                    }
                    self.buf.extend_from_slice(&chunk[..pos]);
                    self.reader.consume(pos + 1);
                    break;
                }
                None => {
                    let n = chunk.len();
                    if self.buf.len() + n > limit {
                        return Err(LineError::TooLong);
                    }
                    self.buf.extend_from_slice(chunk);
                    self.reader.consume(n);
                }
            }
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        self.line_no += 1;
        Ok(Some(&self.buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8], max: usize) -> Result<Vec<Vec<u8>>, ()> {
        let mut r = BoundedLines::new(io::BufReader::with_capacity(3, input), max);
        let mut out = Vec::new();
        loop {
            match r.next_line() {
                Ok(Some(l)) => out.push(l.to_vec()),
                Ok(None) => return Ok(out),
                Err(_) => return Err(()),
            }
        }
    }

    #[test]
    fn splits_like_scan_lines() {
        assert_eq!(all(b"", 100).unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(all(b"\n", 100).unwrap(), vec![b"".to_vec()]);
        assert_eq!(
            all(b"a\nb", 100).unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(
            all(b"a\nb\n", 100).unwrap(),
            vec![b"a".to_vec(), b"b".to_vec()]
        );
        assert_eq!(
            all(b"a\r\n\r\nb\r", 100).unwrap(),
            vec![b"a".to_vec(), b"".to_vec(), b"b".to_vec()]
        );
        assert_eq!(all(b"a\r\r\n", 100).unwrap(), vec![b"a\r".to_vec()]);
    }

    #[test]
    fn enforces_the_buffer_limit() {
        let max = 8;
        assert!(all(b"1234567\n", max).is_ok());
        assert!(all(b"1234567", max).is_ok());
        assert!(all(b"12345678\n", max).is_err());
        assert!(all(b"12345678", max).is_err());
        assert!(all(b"ok\n123456789012", max).is_err());
    }
}

//! What surrounds the store stream in a node's `.fsm` file (core.md §1.7): the optional FSM
//! header, the store-stream magic, the CRC-32C footer.
//!
//! ```text
//! [EKVTHLC1 u64be ceiling_ms]                                              v1, 16 bytes
//! [EKVTHLC2 u16be P u64be ceiling_ms u64be cutover_index (P-16) bytes]     v2, 10+P bytes
//! EKVPBBL1 u64le last_commit_ts entries…                                  store stream
//! [u32be CRC-32C of every preceding byte]                                  footer
//! ```

/// Store-stream magic (core.md §1.1).
pub const MAGIC_PEBBLE: [u8; 8] = *b"EKVPBBL1";
/// FSM header v1 magic.
pub const MAGIC_FSM_V1: [u8; 8] = *b"EKVTHLC1";
/// FSM header v2 magic.
pub const MAGIC_FSM_V2: [u8; 8] = *b"EKVTHLC2";
/// Common 7-byte prefix of every FSM header magic.
pub const MAGIC_FSM_PREFIX: [u8; 7] = *b"EKVTHLC";
/// SST-ingest store stream (not supported).
pub const MAGIC_SST_INGEST: [u8; 8] = *b"EKVSSTI1";
/// In-memory store streaming format (not supported).
pub const MAGIC_MVCC2: [u8; 8] = *b"EKVMVCC2";
/// Smallest allowed EKVTHLC2 payload length (ceiling + cutover index).
pub const FSM_V2_MIN_PAYLOAD: u16 = 16;
/// Largest allowed EKVTHLC2 payload length.
pub const FSM_V2_MAX_PAYLOAD: u16 = 1024;
/// Size of the CRC-32C footer.
pub const FOOTER_LEN: usize = 4;

/// The optional header a node writes before the store stream. One variant per version, so
/// a v1 header can never carry v2 fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsmHeader {
    /// `EKVTHLC1` + u64be HLC ceiling.
    V1 {
        /// HLC physical ceiling in Unix milliseconds.
        ceiling_ms: u64,
    },
    /// `EKVTHLC2` + u16be P + u64be ceiling + u64be cutover index + (P − 16) extension bytes.
    V2 {
        /// HLC physical ceiling in Unix milliseconds.
        ceiling_ms: u64,
        /// Raft cutover index.
        cutover_index: u64,
        /// Number of extension bytes skipped after the payload (`P - 16`).
        extension_len: u16,
    },
}

impl FsmHeader {
    /// 1 or 2.
    pub fn version(&self) -> u8 {
        match self {
            FsmHeader::V1 { .. } => 1,
            FsmHeader::V2 { .. } => 2,
        }
    }

    /// HLC physical ceiling in Unix milliseconds.
    pub fn ceiling_ms(&self) -> u64 {
        match *self {
            FsmHeader::V1 { ceiling_ms } | FsmHeader::V2 { ceiling_ms, .. } => ceiling_ms,
        }
    }

    /// The raft cutover index (v2 only).
    pub fn cutover_index(&self) -> Option<u64> {
        match *self {
            FsmHeader::V1 { .. } => None,
            FsmHeader::V2 { cutover_index, .. } => Some(cutover_index),
        }
    }

    /// Bytes this header occupies in the file (16 for v1, 10 + P for v2).
    pub fn encoded_len(&self) -> u64 {
        match *self {
            FsmHeader::V1 { .. } => 16,
            FsmHeader::V2 { extension_len, .. } => {
                10 + u64::from(FSM_V2_MIN_PAYLOAD) + u64::from(extension_len)
            }
        }
    }
}

/// How the input was framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// A bare `EKVPBBL1` store stream without FSM header and without footer.
    BareStream,
    /// A file as a node writes it: optional FSM header, store stream, CRC-32C footer.
    ///
    /// A headerless input is reported as [`Framing::BareStream`] until the reader reaches the
    /// end and finds a 4-byte footer there; it then becomes `NodeFile { header: None }`.
    NodeFile {
        /// The FSM header, if the file has one.
        header: Option<FsmHeader>,
    },
}

/// Footer state, known once the reader reached the end of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FooterStatus {
    /// A footer was present and matched the CRC-32C of the preceding bytes.
    Verified(u32),
    /// A footer was present but not checked (`verify_crc: false`).
    Unverified(u32),
    /// No footer (bare stream), or the end has not been reached yet.
    Absent,
}

/// A short human description of an 8-byte magic, used in error messages.
pub fn describe_magic(magic: &[u8; 8]) -> String {
    match magic {
        m if *m == MAGIC_PEBBLE => "Pebble store stream".to_string(),
        m if *m == MAGIC_FSM_V1 => "FSM header v1".to_string(),
        m if *m == MAGIC_FSM_V2 => "FSM header v2".to_string(),
        m if *m == MAGIC_SST_INGEST => "SST-ingest stream".to_string(),
        m if *m == MAGIC_MVCC2 => "in-memory store streaming format".to_string(),
        m if m[..7] == MAGIC_FSM_PREFIX => {
            let v = m[7];
            if v.is_ascii_graphic() {
                format!("FSM header of unknown version '{}'", v as char)
            } else {
                format!("FSM header of unknown version byte 0x{v:02x}")
            }
        }
        m if m.starts_with(b"EKV") => "unknown elastickv format".to_string(),
        _ => "not an elastickv magic".to_string(),
    }
}

/// Whether an unexpected magic at the start of the input is an elastickv format we do not
/// read ([`super::SnapshotError::UnsupportedFormat`]) rather than foreign data
/// ([`super::SnapshotError::BadMagic`]).
pub(crate) fn is_elastickv_family(magic: &[u8; 8]) -> bool {
    magic.starts_with(b"EKV")
}

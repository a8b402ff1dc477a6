//! The output side of a dump: file-name encoding, validated paths, the output tree with
//! atomic writes, and `KEYMAP.jsonl`.
//!
//! * [`filename`] — upstream's `EncodeSegment` / `EncodeBinarySegment` / `DecodeSegment`.
//! * [`path`] — [`SafeName`] and [`RelPath`]: paths that cannot leave the output root.
//! * [`tree`] — [`OutputTree`]: the only way to create directories and files.
//! * [`keymap`] — `KEYMAP.jsonl` writer and reader.
//! * [`template`] — `output:` path templates of `spec/*.yaml` rendered into [`RelPath`]s.
//!
//! JSON rendering lives in [`crate::json`]; `MANIFEST.json` in [`crate::manifest`];
//! `CHECKSUMS` in [`crate::checksums`].

pub mod filename;
pub mod keymap;
pub(crate) mod lines;
pub mod path;
pub mod template;
pub mod tree;

pub use filename::{
    decode_segment, encode_binary_segment, encode_segment, is_binary_shape, is_sha_fallback_shape,
    FilenameError, MAX_SEGMENT_BYTES,
};
pub use keymap::{load_keymap, KeymapError, KeymapReader, KeymapRecord, KeymapWriter};
pub use path::{PathError, RelPath, SafeName};
pub use template::{render_template, TemplateError};
pub use tree::{AtomicFile, JsonlWriter, Moved, OutputTree, TreeDir, TreeError};

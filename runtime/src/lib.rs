//! ekvsnap runtime: everything that is not generated from `spec/`.
//!
//! Data flow (one direction): [`snapshot`] reads framing and entries, [`snapshot::mvcc`]
//! picks the version a reader would see, [`keys`] (generated from `spec/*.yaml`) routes the
//! user key to a key family, [`scan`] classifies every entry, [`adapters`] turn typed
//! records into files through [`output`], and [`manifest`] / [`checksums`] seal the dump. See
//! `docs/architecture.md`.

pub mod adapters;
pub mod checksums;
pub mod counters;
pub mod decode;
pub mod demo;
pub mod dynamodb;
pub mod inspect;
pub mod json;
pub mod keys;
pub mod manifest;
pub mod options;
pub mod output;
pub mod redis;
pub mod s3;
pub mod scan;
pub mod snapshot;
pub mod spill;
pub mod sqs;
pub mod verify;
pub mod warnings;

#[cfg(test)]
pub(crate) mod testkit;

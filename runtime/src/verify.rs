//! `ekvsnap verify`: is this directory a complete, unaltered dump?
//!
//! MANIFEST.json must exist (it is written last, so its absence marks an interrupted run) and
//! pass the version gate and validation; every CHECKSUMS line must match; and every regular
//! file under the root must be listed in CHECKSUMS.

use std::path::{Path, PathBuf};

use crate::checksums::{verify_checksums, ChecksumsError};
use crate::manifest::{read_manifest_file, ManifestError};

/// A dump that passed.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub dir: PathBuf,
    pub format_version: u32,
    pub files_verified: usize,
}

/// Why a dump failed verification.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("no MANIFEST.json: not a dump, or an interrupted (incomplete) one")]
    MissingManifest,
    #[error("MANIFEST.json: {0}")]
    Manifest(#[source] ManifestError),
    #[error("no CHECKSUMS: not a dump, or an interrupted (incomplete) one")]
    MissingChecksums,
    #[error("CHECKSUMS: {0}")]
    Checksums(#[source] ChecksumsError),
    #[error("{} file(s) not listed in CHECKSUMS, e.g. {}", .0.len(), .0[0])]
    Unlisted(Vec<String>),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl VerifyError {
    /// True when the dump itself is bad (incomplete, altered, unknown version), false when
    /// verification could not run (e.g. the directory is unreadable).
    pub fn is_data_problem(&self) -> bool {
        !matches!(
            self,
            VerifyError::Io { .. } | VerifyError::Manifest(ManifestError::Io { .. })
        )
    }
}

/// Verifies the dump rooted at `dir`.
pub fn verify_dump(dir: &Path) -> Result<VerifyReport, VerifyError> {
    let meta = std::fs::metadata(dir).map_err(|source| VerifyError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(VerifyError::Io {
            path: dir.to_path_buf(),
            source: std::io::Error::other("not a directory"),
        });
    }
    let manifest_path = dir.join("MANIFEST.json");
    if std::fs::symlink_metadata(&manifest_path).is_err() {
        return Err(VerifyError::MissingManifest);
    }
    let manifest = read_manifest_file(&manifest_path).map_err(VerifyError::Manifest)?;
    if std::fs::symlink_metadata(dir.join("CHECKSUMS")).is_err() {
        return Err(VerifyError::MissingChecksums);
    }
    let report = verify_checksums(dir).map_err(VerifyError::Checksums)?;
    if !report.unlisted.is_empty() {
        return Err(VerifyError::Unlisted(report.unlisted));
    }
    Ok(VerifyReport {
        dir: dir.to_path_buf(),
        format_version: manifest.format_version,
        files_verified: report.verified,
    })
}

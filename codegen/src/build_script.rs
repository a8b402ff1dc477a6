//! Helpers shared by the build scripts that run the generator (`build.rs` of the CLI and of
//! the runtime).

use std::path::Path;

use crate::{join_errors, SpecError};

/// Tells cargo to re-run the build script when `dir` (a file added or removed) or any YAML
/// file in it changes.
pub fn watch_spec_dir(dir: &Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "yaml") {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
}

/// Fails the build on spec errors: prints each one as a `cargo:warning` (so cargo shows them
/// one per line) and panics with all of them joined.
pub fn exit_on_errors(result: Result<(), Vec<SpecError>>) {
    if let Err(errors) = result {
        for e in &errors {
            println!("cargo:warning={e}");
        }
        panic!("{}", join_errors(&errors));
    }
}

//! Generates the adapter options' clap arguments from `spec/` into `OUT_DIR/adapter_args.rs`
//! (included by `src/cli.rs`).

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let spec_dir = manifest.join("spec");
    watch(&spec_dir);
    if let Err(errors) = ekvsnap_codegen::generate_cli(&spec_dir, &out.join("adapter_args.rs")) {
        for e in &errors {
            println!("cargo:warning={e}");
        }
        panic!("{}", ekvsnap_codegen::join_errors(&errors));
    }
}

/// Re-run when the directory (a file added or removed) or any YAML file in it changes.
fn watch(dir: &Path) {
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

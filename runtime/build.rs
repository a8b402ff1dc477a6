//! Generates the key parsers, family tables, router and adapter options from `../spec`
//! (`OUT_DIR/families.rs`), and, for the parser tests, the key parsers of the codegen
//! fixtures (`OUT_DIR/fixture_keys.rs`).

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let spec_dir = manifest.join("../spec");
    let fixture_dir = manifest.join("../codegen/tests/fixtures/valid");
    watch(&spec_dir);
    watch(&fixture_dir);

    let result =
        ekvsnap_codegen::generate_runtime(&spec_dir, &out.join("families.rs")).and_then(|()| {
            ekvsnap_codegen::generate_key_parsers(&fixture_dir, &out.join("fixture_keys.rs"))
        });
    if let Err(errors) = result {
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

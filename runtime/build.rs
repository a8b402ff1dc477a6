//! Generates the key parsers, family tables, router and adapter options from `../spec`
//! (`OUT_DIR/families.rs`), and, for the parser tests, the key parsers of the codegen
//! fixtures (`OUT_DIR/fixture_keys.rs`).

use std::path::PathBuf;

use ekvsnap_codegen::build_script::{exit_on_errors, watch_spec_dir};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let spec_dir = manifest.join("../spec");
    let fixture_dir = manifest.join("../codegen/tests/fixtures/valid");
    watch_spec_dir(&spec_dir);
    watch_spec_dir(&fixture_dir);

    exit_on_errors(
        ekvsnap_codegen::generate_runtime(&spec_dir, &out.join("families.rs")).and_then(|()| {
            ekvsnap_codegen::generate_key_parsers(&fixture_dir, &out.join("fixture_keys.rs"))
        }),
    );
}

//! Generates the adapter options' clap arguments from `spec/` into `OUT_DIR/adapter_args.rs`
//! (included by `src/cli.rs`).

use std::path::PathBuf;

use ekvsnap_codegen::build_script::{exit_on_errors, watch_spec_dir};

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"));
    let spec_dir = manifest.join("spec");
    watch_spec_dir(&spec_dir);
    exit_on_errors(ekvsnap_codegen::generate_cli(
        &spec_dir,
        &out.join("adapter_args.rs"),
    ));
}

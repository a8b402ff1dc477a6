//! Generates the key parsers, family tables, router and adapter options from `../spec`
//! (`OUT_DIR/families.rs`), and, for the parser tests, the key parsers of the codegen
//! fixtures (`OUT_DIR/fixture_keys.rs`); compiles the protobuf messages of `../proto` (see
//! [`compile_protos`]).

use std::path::{Path, PathBuf};

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
    compile_protos(&manifest.join("../proto"), &out);
}

/// Compiles each `<stem>.proto` of `proto_dir` on its own, with protox (a pure-Rust protobuf
/// compiler: no system `protoc`) and prost-build: the Rust types go to `OUT_DIR/<stem>.rs`
/// (maps as `BTreeMap`, so their keys iterate in byte order), the encoded
/// `FileDescriptorSet` to `OUT_DIR/<stem>.fds` (the runtime reads field wire types from it).
fn compile_protos(proto_dir: &Path, out: &Path) {
    use prost::Message as _;

    println!("cargo:rerun-if-changed={}", proto_dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(proto_dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "proto"));
    files.sort();
    for file in files {
        println!("cargo:rerun-if-changed={}", file.display());
        let stem = file.file_stem().expect("a .proto file").to_string_lossy();
        let fds = protox::compile([&file], [proto_dir])
            .unwrap_or_else(|e| panic!("{}: {e:?}", file.display()));
        std::fs::write(out.join(format!("{stem}.fds")), fds.encode_to_vec())
            .unwrap_or_else(|e| panic!("write {stem}.fds: {e}"));
        prost_build::Config::new()
            .out_dir(out)
            .default_package_filename(stem.as_ref())
            .btree_map(["."])
            .compile_fds(fds)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
}

//! ekvsnap-codegen: reads the key-family specs (`spec/*.yaml`), validates them and generates
//! Rust. `docs/spec-language.md` is the contract.
//!
//! Pipeline: `load` (YAML → `model`) → `validate` (checks → `ir`) → `emit_runtime` /
//! `emit_cli` (→ tokens) → `format` (→ text).
//!
//! Entry points: [`generate_runtime`] (runtime `build.rs`), [`generate_cli`] (root `build.rs`),
//! [`check_specs`] (the `check_specs!` macro) and [`generate_key_parsers`] (parser tests);
//! [`build_script`] holds the helpers both build scripts share.

pub mod build_script;

/// Flags of the hand-written CLI, which no spec option may take (tested against the CLI).
pub use validate::option::CORE_FLAGS;
pub mod byte_size;
pub mod bytes;
pub mod emit_cli;
pub mod emit_runtime;
mod error;
pub mod format;
pub mod ir;
pub mod load;
pub mod model;
pub mod names;
pub mod trie;
pub mod validate;

use std::path::Path;

use proc_macro2::TokenStream;

pub use error::{join_errors, SpecError};

/// Parses and validates a set of spec files given as `(display name, YAML text)`.
pub fn load_specs(files: &[(String, String)]) -> Result<ir::Spec, Vec<SpecError>> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for (name, text) in files {
        match load::parse_file(name, text) {
            Ok(file) => loaded.push(file),
            Err(e) => errors.push(e),
        }
    }
    // Cross-file checks on a partial set would report follow-up noise; stop at parse errors.
    if !errors.is_empty() {
        return Err(errors);
    }
    validate::validate(&loaded)
}

/// Validates `files` and generates the runtime code for them; used by `check_specs!`.
/// On success returns the generated tokens (the macro itself does not expand them).
pub fn check_specs(files: &[(String, String)]) -> Result<TokenStream, Vec<SpecError>> {
    let spec = load_specs(files)?;
    Ok(emit_runtime::emit_runtime(&spec))
}

/// Generates the runtime's `families.rs` from every `*.yaml` of `spec_dir`.
pub fn generate_runtime(spec_dir: &Path, out_file: &Path) -> Result<(), Vec<SpecError>> {
    let spec = load_specs(&load::read_spec_dir(spec_dir)?)?;
    let text = format::format_file(emit_runtime::emit_runtime(&spec));
    write_if_changed(out_file, &text)
}

/// Generates the CLI's `adapter_args.rs` from every `*.yaml` of `spec_dir`.
pub fn generate_cli(spec_dir: &Path, out_file: &Path) -> Result<(), Vec<SpecError>> {
    let spec = load_specs(&load::read_spec_dir(spec_dir)?)?;
    let text = format::format_file(emit_cli::emit_cli(&spec));
    write_if_changed(out_file, &text)
}

/// Generates only the key parsers (plus `route_name` and `PREFIXES`) of `spec_dir`, for
/// spec sets that are not the runtime's own, such as the codegen test fixtures.
pub fn generate_key_parsers(spec_dir: &Path, out_file: &Path) -> Result<(), Vec<SpecError>> {
    let spec = load_specs(&load::read_spec_dir(spec_dir)?)?;
    let text = format::format_file(emit_runtime::emit_key_parsers(&spec));
    write_if_changed(out_file, &text)
}

/// Writes only when the content changed, so an unchanged spec does not trigger rebuilds.
fn write_if_changed(path: &Path, text: &str) -> Result<(), Vec<SpecError>> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| {
        vec![SpecError::new(
            path.display().to_string(),
            None,
            "",
            format!("cannot write generated code: {e}"),
        )]
    })
}

//! `check_specs!`: the spec validation of `ekvsnap-codegen` as a proc macro, so that trybuild
//! tests can pin the exact error a malformed spec produces.
//!
//! ```text
//! ekvsnap_spec_macro::check_specs!("tests/ui/specs/unknown_encoding.yaml");
//! ekvsnap_spec_macro::check_specs!("spec"); // a directory: every *.yaml in it
//! ```
//!
//! Paths are relative to `CARGO_MANIFEST_DIR` of the invoking crate. trybuild compiles its
//! tests as a separate project under `target/tests/trybuild/`, so a path that does not exist
//! there is looked up in the ancestors of that directory too (reaching the real package).
//! Every `SpecError` becomes one `compile_error!` at the path literal; a valid set expands to
//! `const _: () = ();`.

use std::path::{Path, PathBuf};

use proc_macro::TokenStream;
use quote::quote_spanned;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{LitStr, Token};

#[proc_macro]
pub fn check_specs(input: TokenStream) -> TokenStream {
    let parser = Punctuated::<LitStr, Token![,]>::parse_terminated;
    let paths = match parser.parse(input) {
        Ok(p) => p,
        Err(e) => return e.to_compile_error().into(),
    };
    let Some(first) = paths.first() else {
        return quote_spanned!(proc_macro2::Span::call_site() =>
            compile_error!("check_specs! needs at least one spec file or directory");)
        .into();
    };
    let span = first.span();
    let base = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());

    let mut files = Vec::new();
    // Each file's error points at the literal that named it (or its directory).
    let mut spans = Vec::new();
    for lit in &paths {
        match read(&base, &lit.value()) {
            Ok(f) => {
                spans.extend(f.iter().map(|(name, _)| (name.clone(), lit.span())));
                files.extend(f);
            }
            Err(message) => {
                return quote_spanned!(lit.span() => compile_error!(#message);).into();
            }
        }
    }
    match ekvsnap_codegen::check_specs(&files) {
        Ok(_) => quote_spanned!(span => const _: () = ();).into(),
        Err(errors) => {
            let errors = errors.iter().map(|e| {
                let message = e.to_string();
                let span = spans
                    .iter()
                    .find(|(name, _)| *name == e.file)
                    .map_or(span, |(_, s)| *s);
                quote_spanned!(span => compile_error!(#message);)
            });
            quote::quote!(#(#errors)*).into()
        }
    }
}

/// Reads one file, or every `*.yaml` of a directory, as `(display name, text)`. The display
/// name is the path as written in the macro call.
fn read(base: &Path, rel: &str) -> Result<Vec<(String, String)>, String> {
    let path = resolve(base, rel).ok_or_else(|| {
        format!(
            "check_specs!: `{rel}` not found relative to {} or its ancestors",
            base.display()
        )
    })?;
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
            .map_err(|e| format!("check_specs!: cannot read `{rel}`: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        entries.sort();
        return entries
            .into_iter()
            .map(|p| {
                let name = format!(
                    "{}/{}",
                    rel.trim_end_matches('/'),
                    p.file_name().unwrap_or_default().to_string_lossy()
                );
                read_text(&p, &name).map(|text| (name, text))
            })
            .collect();
    }
    read_text(&path, rel).map(|text| vec![(rel.to_owned(), text)])
}

fn read_text(path: &Path, name: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("check_specs!: cannot read `{name}`: {e}"))
}

fn resolve(base: &Path, rel: &str) -> Option<PathBuf> {
    base.ancestors()
        .map(|dir| dir.join(rel))
        .find(|candidate| candidate.exists())
}

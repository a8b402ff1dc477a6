//! Generates the runtime's `families.rs`: key structs and parsers, the family tables, the
//! routing trie and the adapter options. Formatting is `format`'s job.

mod families;
mod keys;
mod options;
mod route;

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::ir::{Encoding, Family, KeyShape, Segment, Spec};
use crate::names::camel;

/// The whole runtime file.
pub fn emit_runtime(spec: &Spec) -> TokenStream {
    let imports = support_imports(spec, true);
    let keys = spec.families.iter().map(|f| keys::emit_family(f, true));
    let tables = families::emit(spec);
    let route = route::emit_route(spec);
    let options = options::emit(spec);
    quote! {
        #imports
        #tables
        #route
        #(#keys)*
        #options
    }
}

/// Key parsers only, plus a name-returning `route_name`, for a spec set that is not the
/// runtime's own (the runtime's parser tests compile the codegen fixtures this way).
pub fn emit_key_parsers(spec: &Spec) -> TokenStream {
    let imports = support_imports(spec, false);
    let keys = spec.families.iter().map(|f| keys::emit_family(f, false));
    let route = route::emit_route_names(spec);
    quote! {
        #imports
        #route
        #(#keys)*
    }
}

/// `use` of exactly the hand-written support items the file refers to (an unused import
/// would be a warning in the runtime build).
fn support_imports(spec: &Spec, tables: bool) -> TokenStream {
    let segments: Vec<&Segment> = spec.families.iter().flat_map(all_segments).collect();
    let uses = |enc: Encoding| segments.iter().any(|s| s.enc == enc);
    let mut items = Vec::new();
    if uses(Encoding::Base64url) {
        items.push(quote!(B64Url));
    }
    if spec.families.iter().any(|f| f.key.is_some()) {
        items.push(quote!(Cursor));
    }
    if uses(Encoding::Escaped) {
        items.push(quote!(Escaped));
    }
    if tables {
        items.push(quote!(FamilyInfo));
        if !spec.families.is_empty() {
            items.extend([quote!(HandlerClass), quote!(Payload), quote!(ValueSpec)]);
        }
    }
    if spec.families.iter().any(|f| f.key.is_some()) {
        items.push(quote!(KeyError));
    }
    quote! { use crate::keys::{#(#items),*}; }
}

/// Every segment of a family's key, over all variants.
fn all_segments(family: &Family) -> Vec<&Segment> {
    match family.key.as_ref().map(|k| &k.shape) {
        None => Vec::new(),
        Some(KeyShape::Single(s)) => s.iter().collect(),
        Some(KeyShape::Variants(vs)) => vs.iter().flat_map(|v| &v.segments).collect(),
    }
}

/// `SqsMsgData`: the stem of a family's generated type names.
fn type_stem(family: &Family) -> String {
    format!("{}{}", family.adapter.camel(), camel(&family.name))
}

/// `#[doc = "..."]` attributes, one per line; prettyplease prints them as `///` comments.
fn doc_attrs(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

/// The provenance line every generated item carries.
fn spec_line(family: &Family) -> String {
    format!("Spec: {}, family `{}`", family.spec_file, family.name)
}

/// `b"..."` with printable ASCII as is and every other byte as `\xHH` (proc-macro2 would
/// write NUL as `\0`, which reads worse next to `\x01`).
fn byte_str(bytes: &[u8]) -> Literal {
    let mut text = String::from("b\"");
    for &b in bytes {
        push_byte(&mut text, b, b'"');
    }
    text.push('"');
    text.parse().expect("a valid byte string literal")
}

/// `b'x'` in the same style as [`byte_str`].
fn byte_char(b: u8) -> Literal {
    let mut text = String::from("b'");
    push_byte(&mut text, b, b'\'');
    text.push('\'');
    text.parse().expect("a valid byte literal")
}

fn push_byte(text: &mut String, b: u8, quote: u8) {
    match b {
        b'\\' => text.push_str("\\\\"),
        _ if b == quote => {
            text.push('\\');
            text.push(b as char);
        }
        0x20..=0x7E => text.push(b as char),
        _ => text.push_str(&format!("\\x{b:02x}")),
    }
}

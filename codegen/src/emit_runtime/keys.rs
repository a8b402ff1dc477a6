//! Key structs and their zero-allocation parsers.
//!
//! Parsing reads segments left to right through the hand-written `Cursor` (runtime
//! `keys/cursor.rs`), one call per segment, so the generated code reads like the spec.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::{byte_str, doc_attrs, spec_line, type_stem};
use crate::ir::{Encoding, End, Extra, Family, KeyShape, Segment, Variant};
use crate::names::{camel, ident, type_ident};

/// The key type(s) of one family; nothing for a family without a key.
pub fn emit_family(family: &Family, with_tables: bool) -> TokenStream {
    let Some(key) = &family.key else {
        return TokenStream::new();
    };
    let stem = type_stem(family);
    let name = type_ident(&format!("{stem}Key"));
    let family_name = family.name.as_str();
    let prefix = byte_str(&family.prefix);
    let doc = doc_attrs(&format!(
        "Key of family `{}`: {}\n\n{}.",
        family.name,
        family.doc,
        spec_line(family)
    ));
    let family_const = with_tables.then(|| {
        let adapter = type_ident(family.adapter.camel());
        let adapter_enum = format_ident!("{}Family", family.adapter.camel());
        let variant = type_ident(&camel(&family.name));
        quote! {
            /// The family this key belongs to.
            pub const FAMILY: Family = Family::#adapter(#adapter_enum::#variant);
        }
    });
    let family_const = family_const.unwrap_or_default();
    let extra_doc = (key.extra == Extra::Ignore).then(
        || quote!(#[doc = " Bytes after the last segment are not checked (`extra: ignore`)."]),
    );

    match &key.shape {
        KeyShape::Single(segments) => {
            let lt = lifetime_if(segments.iter().any(borrows));
            let fields = segments.iter().map(field_decl);
            let derives = derives(segments.iter());
            let read = read_segments(segments, key.extra);
            let key_ty = if lt.is_empty() {
                quote!(&[u8])
            } else {
                quote!(&'a [u8])
            };
            quote! {
                #doc
                #derives
                pub struct #name #lt { #(#fields,)* }

                impl #lt #name #lt {
                    /// The family prefix; `parse` expects the key to start with it.
                    pub const PREFIX: &'static [u8] = #prefix;
                    #family_const

                    /// Parses a whole user key (prefix included) without allocating.
                    #extra_doc
                    pub fn parse(key: #key_ty) -> Result<Self, KeyError> {
                        let mut cur = Cursor::new(key, #family_name);
                        cur.prefix(Self::PREFIX)?;
                        #read
                    }
                }
            }
        }
        KeyShape::Variants(variants) => {
            let any_borrow = variants.iter().flat_map(|v| &v.segments).any(borrows);
            let lt = lifetime_if(any_borrow);
            let key_ty = if lt.is_empty() {
                quote!(&[u8])
            } else {
                quote!(&'a [u8])
            };
            let derives = derives(variants.iter().flat_map(|v| &v.segments));
            let structs = variants
                .iter()
                .map(|v| emit_variant_struct(family, &stem, v, key.extra));
            let arms = variants.iter().map(|v| {
                let vname = type_ident(&camel(&v.name));
                let vty = variant_type(&stem, v);
                let vlt = lifetime_if(v.segments.iter().any(borrows));
                let doc = doc_attrs(&format!("The {}.", variant_summary(v)));
                quote!(#doc #vname(#vty #vlt))
            });
            let dispatch = variants.iter().map(|v| {
                let vname = type_ident(&camel(&v.name));
                let vty = variant_type(&stem, v);
                match &v.when {
                    Some(when) => {
                        let when = byte_str(when);
                        quote! {
                            if cur.eat(#when) {
                                return #vty::read(&mut cur).map(Self::#vname);
                            }
                        }
                    }
                    None => quote!(#vty::read(&mut cur).map(Self::#vname)),
                }
            });
            let accessors = common_accessors(variants);
            quote! {
                #(#structs)*

                #doc
                #derives
                pub enum #name #lt { #(#arms,)* }

                impl #lt #name #lt {
                    /// The family prefix; `parse` expects the key to start with it.
                    pub const PREFIX: &'static [u8] = #prefix;
                    #family_const

                    /// Parses a whole user key (prefix included) without allocating; the
                    /// variant is chosen by the bytes right after the prefix.
                    #extra_doc
                    pub fn parse(key: #key_ty) -> Result<Self, KeyError> {
                        let mut cur = Cursor::new(key, #family_name);
                        cur.prefix(Self::PREFIX)?;
                        #(#dispatch)*
                    }

                    #accessors
                }
            }
        }
    }
}

fn emit_variant_struct(family: &Family, stem: &str, v: &Variant, extra: Extra) -> TokenStream {
    let name = variant_type(stem, v);
    let lt = lifetime_if(v.segments.iter().any(borrows));
    let cursor_lt = if lt.is_empty() {
        quote!('_)
    } else {
        quote!('a)
    };
    let fields = v.segments.iter().map(field_decl);
    let derives = derives(v.segments.iter());
    let read = read_segments(&v.segments, extra);
    let doc = doc_attrs(&format!(
        "Key of family `{}`, {}.\n\n{}.",
        family.name,
        variant_summary(v),
        spec_line(family)
    ));
    quote! {
        #doc
        #derives
        pub struct #name #lt { #(#fields,)* }

        impl #lt #name #lt {
            /// Reads the segments after the prefix (and the variant's `when` bytes).
            fn read(cur: &mut Cursor<#cursor_lt>) -> Result<Self, KeyError> {
                #read
            }
        }
    }
}

fn variant_summary(v: &Variant) -> String {
    match &v.when {
        Some(when) => format!(
            "variant `{}`: the prefix is followed by `{}`",
            v.name,
            crate::bytes::show_bytes(when)
        ),
        None => format!("variant `{}` (the default)", v.name),
    }
}

fn variant_type(stem: &str, v: &Variant) -> proc_macro2::Ident {
    type_ident(&format!("{stem}{}Key", camel(&v.name)))
}

/// Accessors on the enum for segments every variant has with the same type.
fn common_accessors(variants: &[Variant]) -> TokenStream {
    let Some((first, others)) = variants.split_first() else {
        return TokenStream::new();
    };
    let methods = first.segments.iter().filter_map(|seg| {
        let ty = field_type(seg).to_string();
        let shared = others.iter().all(|v| {
            v.segments
                .iter()
                .any(|s| s.name == seg.name && field_type(s).to_string() == ty)
        });
        if !shared || seg.name == "parse" {
            return None;
        }
        let field = ident(&seg.name);
        let ty = field_type(seg);
        let arms = variants.iter().map(|v| {
            let vname = type_ident(&camel(&v.name));
            quote!(Self::#vname(k) => k.#field)
        });
        let doc = format!(" Segment `{}`, present in every variant.", seg.name);
        Some(quote! {
            #[doc = #doc]
            pub fn #field(&self) -> #ty {
                match self { #(#arms,)* }
            }
        })
    });
    quote!(#(#methods)*)
}

/// `<'a>` when some field borrows from the key, else nothing (an unused lifetime is an error).
fn lifetime_if(borrow: bool) -> TokenStream {
    if borrow {
        quote!(<'a>)
    } else {
        TokenStream::new()
    }
}

fn derives<'s>(mut segments: impl Iterator<Item = &'s Segment>) -> TokenStream {
    // f64 fields rule out `Eq`.
    if segments.any(|s| matches!(s.enc, Encoding::F64be | Encoding::F64Sortable)) {
        quote!(#[derive(Debug, Clone, Copy, PartialEq)])
    } else {
        quote!(#[derive(Debug, Clone, Copy, PartialEq, Eq)])
    }
}

fn borrows(seg: &Segment) -> bool {
    matches!(
        seg.enc,
        Encoding::Bytes | Encoding::Base64url | Encoding::Escaped | Encoding::LenPrefixed
    )
}

fn field_decl(seg: &Segment) -> TokenStream {
    let name = ident(&seg.name);
    let ty = field_type(seg);
    let mut doc = seg
        .doc
        .clone()
        .map(|d| format!("{d}\n\n"))
        .unwrap_or_default();
    doc.push_str(&describe(seg));
    let doc = doc_attrs(&doc);
    quote!(#doc pub #name: #ty)
}

fn field_type(seg: &Segment) -> TokenStream {
    let base = match seg.enc {
        Encoding::Bytes | Encoding::LenPrefixed => quote!(&'a [u8]),
        Encoding::Base64url => quote!(B64Url<'a>),
        Encoding::Escaped => quote!(Escaped<'a>),
        Encoding::Decimal | Encoding::U64be => quote!(u64),
        Encoding::U16be => quote!(u16),
        Encoding::U32be => quote!(u32),
        Encoding::I64beFlipped => quote!(i64),
        Encoding::F64be | Encoding::F64Sortable => quote!(f64),
        Encoding::Hex => {
            let n = Literal::usize_unsuffixed(seg.hex_len.unwrap_or(0) / 2);
            quote!([u8; #n])
        }
    };
    if seg.optional {
        quote!(Option<#base>)
    } else {
        base
    }
}

/// One line on how the segment is encoded and delimited, for its doc comment.
fn describe(seg: &Segment) -> String {
    let enc = seg.enc.name();
    let mut s = match (&seg.end, seg.enc) {
        (Some(End::Rest { tail: 0 }), _) => format!("Encoding `{enc}`, up to the end of the key."),
        (Some(End::Rest { tail }), _) => {
            format!("Encoding `{enc}`, up to the last {tail} bytes of the key.")
        }
        (Some(End::Alphabet), _) => {
            format!("Encoding `{enc}`, up to the first byte outside the base64url alphabet.")
        }
        (Some(End::Separator(sep)), _) => format!(
            "Encoding `{enc}`, up to the first `{}` (consumed).",
            crate::bytes::show_bytes(sep)
        ),
        (None, Encoding::Escaped) => {
            format!("Encoding `{enc}`: `00` escaped as `00 FF`, terminated by `00 01`.")
        }
        (None, Encoding::LenPrefixed) => {
            format!("Encoding `{enc}`: u32 big-endian length, then that many bytes.")
        }
        (None, Encoding::Hex) => format!(
            "Encoding `{enc}`: {} hex characters.",
            seg.hex_len.unwrap_or(0)
        ),
        (None, _) => format!("Encoding `{enc}`."),
    };
    if seg.non_empty {
        s.push_str(" Never empty.");
    }
    if seg.optional {
        s.push_str(" Optional trailer: absent or exactly its width.");
    }
    s
}

/// The body that reads `segments` from `cur` and builds `Self`.
fn read_segments(segments: &[Segment], extra: Extra) -> TokenStream {
    let inits = segments.iter().map(|seg| {
        let field = ident(&seg.name);
        let read = read_expr(seg);
        quote!(#field: #read)
    });
    let finish = (extra == Extra::Reject).then(|| quote!(cur.finish()?;));
    quote! {
        let parsed = Self { #(#inits,)* };
        #finish
        Ok(parsed)
    }
}

/// The expression reading one segment. Struct fields are evaluated in order, so the cursor
/// advances exactly as the segments are listed.
fn read_expr(seg: &Segment) -> TokenStream {
    let name = seg.name.as_str();
    let non_empty = seg.non_empty.then(|| quote!(.non_empty()?));
    let span = |take: TokenStream| quote!(#take #non_empty);
    match seg.enc {
        Encoding::Bytes | Encoding::Base64url | Encoding::Decimal => {
            let take = match &seg.end {
                Some(End::Rest { tail }) => {
                    let tail = Literal::usize_unsuffixed(*tail);
                    quote!(cur.take_rest(#name, #tail))
                }
                Some(End::Alphabet) => quote!(cur.take_alphabet(#name)),
                Some(End::Separator(sep)) => {
                    let sep = byte_str(sep);
                    quote!(cur.take_until(#name, #sep)?)
                }
                None => unreachable!("validate requires an end rule"),
            };
            let span = span(take);
            match seg.enc {
                Encoding::Bytes => quote!(#span.bytes()),
                Encoding::Base64url => quote!(#span.base64url()?),
                _ => quote!(#span.decimal()?),
            }
        }
        Encoding::Escaped => {
            let span = span(quote!(cur.take_escaped(#name)?));
            quote!(#span.escaped())
        }
        Encoding::LenPrefixed => {
            let span = span(quote!(cur.take_len_prefixed(#name)?));
            quote!(#span.bytes())
        }
        _ => {
            let read = fixed_read(seg);
            if seg.optional {
                let width = Literal::usize_unsuffixed(seg.fixed_width().unwrap_or(0));
                quote! {
                    if cur.trailer(#name, #width)? { Some(#read) } else { None }
                }
            } else {
                read
            }
        }
    }
}

fn fixed_read(seg: &Segment) -> TokenStream {
    let name = seg.name.as_str();
    let method = match seg.enc {
        Encoding::U16be => "u16be",
        Encoding::U32be => "u32be",
        Encoding::U64be => "u64be",
        Encoding::I64beFlipped => "i64be_flipped",
        Encoding::F64be => "f64be",
        Encoding::F64Sortable => "f64_sortable",
        Encoding::Hex => {
            let n = Literal::usize_unsuffixed(seg.hex_len.unwrap_or(0) / 2);
            return quote!(cur.hex::<#n>(#name)?);
        }
        _ => unreachable!("not a fixed-width encoding"),
    };
    let method = format_ident!("{method}");
    quote!(cur.#method(#name)?)
}

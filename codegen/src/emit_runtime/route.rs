//! The routing function: the prefix trie (`crate::trie`) unrolled into nested
//! `match k.split_first()` (on branching bytes) and `strip_prefix`/`starts_with` (on
//! compressed edges). Each dead end returns the longest prefix matched so far, which is known
//! when generating, so the code never backtracks and never scans a prefix list.

use proc_macro2::TokenStream;
use quote::quote;

use super::families::family_path;
use super::{byte_char, byte_str};
use crate::ir::Spec;
use crate::trie::{self, Edge, Node};

/// `pub fn route(user_key: &[u8]) -> Option<Family>`.
pub fn emit_route(spec: &Spec) -> TokenStream {
    let entries: Vec<(Vec<u8>, TokenStream)> = spec
        .families
        .iter()
        .map(|f| (f.prefix.clone(), family_path(f)))
        .collect();
    let body = node_expr(&trie::build(&entries), &quote!(None));
    let binding = uses_key(&entries).then(|| quote!(let k = user_key;));
    let param = if binding.is_some() {
        quote!(user_key)
    } else {
        quote!(_user_key)
    };
    quote! {
        /// The family of a user key: the family with the longest prefix the key starts with,
        /// or `None` (counted Unknown). A byte trie generated from the spec prefixes.
        pub fn route(#param: &[u8]) -> Option<Family> {
            #binding
            #body
        }
    }
}

/// `route_name(key) -> Option<&'static str>` and `PREFIXES`, for spec sets without tables.
pub fn emit_route_names(spec: &Spec) -> TokenStream {
    let entries: Vec<(Vec<u8>, TokenStream)> = spec
        .families
        .iter()
        .map(|f| {
            let name = f.name.as_str();
            (f.prefix.clone(), quote!(#name))
        })
        .collect();
    let body = node_expr(&trie::build(&entries), &quote!(None));
    let binding = uses_key(&entries).then(|| quote!(let k = user_key;));
    let param = if binding.is_some() {
        quote!(user_key)
    } else {
        quote!(_user_key)
    };
    let table = spec.families.iter().map(|f| {
        let prefix = byte_str(&f.prefix);
        let name = f.name.as_str();
        quote!((#prefix, #name))
    });
    quote! {
        /// Every family prefix and its family name.
        pub const PREFIXES: &[(&[u8], &str)] = &[#(#table),*];

        /// The name of the family with the longest prefix of `user_key`.
        pub fn route_name(#param: &[u8]) -> Option<&'static str> {
            #binding
            #body
        }
    }
}

fn uses_key(entries: &[(Vec<u8>, TokenStream)]) -> bool {
    !entries.is_empty()
}

/// The expression for a node reached with the rest of the key bound to `k`. `best` is the
/// answer if nothing below matches.
fn node_expr(node: &Node<TokenStream>, best: &TokenStream) -> TokenStream {
    let best = match &node.value {
        Some(v) => quote!(Some(#v)),
        None => best.clone(),
    };
    match node.edges.len() {
        0 => best,
        1 => {
            let edge = node.edges.values().next().expect("one edge");
            edge_expr(edge, &edge.label, &best)
        }
        _ => {
            let arms = node.edges.values().map(|edge| {
                let first = byte_char(edge.label[0]);
                let rest = &edge.label[1..];
                if rest.is_empty() {
                    let binding = if edge.node.edges.is_empty() {
                        quote!(_)
                    } else {
                        quote!(k)
                    };
                    let child = node_expr(&edge.node, &best);
                    quote!(Some((#first, #binding)) => #child)
                } else {
                    let inner = edge_expr(edge, rest, &best);
                    quote!(Some((#first, k)) => #inner)
                }
            });
            quote! {
                match k.split_first() {
                    #(#arms,)*
                    _ => #best,
                }
            }
        }
    }
}

/// Follows `label` (the part of the edge not consumed yet) into the edge's node.
fn edge_expr(edge: &Edge<TokenStream>, label: &[u8], best: &TokenStream) -> TokenStream {
    let lit = byte_str(label);
    if edge.node.edges.is_empty() {
        // A leaf: only whether the key goes on with the label matters.
        let child = node_expr(&edge.node, best);
        quote! {
            if k.starts_with(#lit) { #child } else { #best }
        }
    } else {
        let child = node_expr(&edge.node, best);
        quote! {
            if let Some(k) = k.strip_prefix(#lit) { #child } else { #best }
        }
    }
}

//! Adapter options: `<Adapter>Options`, the choice enums, `AdapterOptions` and
//! `OPTION_FLAGS`, in a `pub mod adapter_options` that `runtime/src/options.rs` re-exports.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::ir::{OptionDef, OptionKind, Spec};
use crate::model::Adapter;
use crate::names::{camel, ident, type_ident};

pub fn emit(spec: &Spec) -> TokenStream {
    let real = &Adapter::ALL[..4];
    let choices = spec.options.iter().filter_map(emit_choice_enum);
    let structs = real.iter().map(|&a| emit_adapter_struct(spec, a));
    let fields = real.iter().map(|a| {
        let field = ident(a.name());
        let ty = type_ident(&format!("{}Options", a.camel()));
        let doc = format!(" Options of the {} adapter.", a.display());
        quote!(#[doc = #doc] pub #field: #ty)
    });
    let flags = spec.options.iter().map(emit_option_info);
    let uses_kind = if spec.options.is_empty() {
        quote!(OptionInfo)
    } else {
        quote!(OptionInfo, OptionKind)
    };
    let adapter_import = (!spec.options.is_empty()).then(|| {
        quote!(
            use crate::keys::AdapterId;
        )
    });
    quote! {
        /// Adapter options generated from the `options` of `spec/*.yaml`; re-exported by
        /// `crate::options`.
        pub(crate) mod adapter_options {
            #adapter_import
            use crate::options::{#uses_kind};

            #(#choices)*
            #(#structs)*

            /// The options of every adapter, as parsed from the command line.
            #[derive(Debug, Clone, Default, PartialEq, Eq)]
            pub struct AdapterOptions { #(#fields,)* }

            /// Every adapter option flag, for help and manifest output.
            pub const OPTION_FLAGS: &[OptionInfo] = &[#(#flags),*];
        }
    }
}

/// The Rust type of an option field.
fn field_type(opt: &OptionDef) -> TokenStream {
    match &opt.kind {
        OptionKind::Bool => quote!(bool),
        OptionKind::Choice { .. } => {
            let ty = type_ident(&camel(&opt.flag));
            quote!(#ty)
        }
        OptionKind::Bytes { .. } | OptionKind::U64 { .. } => quote!(u64),
    }
}

/// The default value expression, or `None` when it equals `Default::default()` (a hand
/// `Default` impl that only restates those is a clippy error).
fn non_trivial_default(opt: &OptionDef) -> Option<TokenStream> {
    match &opt.kind {
        // Choice enums derive `Default` with `#[default]` on the spec default.
        OptionKind::Bool | OptionKind::Choice { .. } => None,
        OptionKind::Bytes { value, .. } | OptionKind::U64 { value } => (*value != 0).then(|| {
            let v = readable_u64(*value);
            quote!(#v)
        }),
    }
}

fn emit_adapter_struct(spec: &Spec, adapter: Adapter) -> TokenStream {
    let name = type_ident(&format!("{}Options", adapter.camel()));
    let options: Vec<&OptionDef> = spec.options_of(adapter).collect();
    let fields = options.iter().map(|o| {
        let field = ident(&crate::names::snake(&o.flag));
        let ty = field_type(o);
        let doc = format!(" `--{}` ({}): {}", o.flag, default_note(o), o.doc);
        quote!(#[doc = #doc] pub #field: #ty)
    });
    let doc = format!(" Options of the {} adapter.", adapter.display());
    let any_non_trivial = options.iter().any(|o| non_trivial_default(o).is_some());
    if !any_non_trivial {
        return quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Default, PartialEq, Eq)]
            pub struct #name { #(#fields,)* }
        };
    }
    let inits = options.iter().map(|o| {
        let field = ident(&crate::names::snake(&o.flag));
        let value = non_trivial_default(o).unwrap_or_else(|| quote!(Default::default()));
        quote!(#field: #value)
    });
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct #name { #(#fields,)* }

        impl Default for #name {
            fn default() -> Self {
                #name { #(#inits,)* }
            }
        }
    }
}

/// `67_108_864` rather than `67108864`.
fn readable_u64(value: u64) -> Literal {
    let digits = value.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).expect("ASCII digits"))
        .collect();
    groups.join("_").parse().expect("a valid integer literal")
}

fn default_note(opt: &OptionDef) -> String {
    match &opt.kind {
        OptionKind::Bool => "off by default".to_owned(),
        OptionKind::Choice { default, .. } => format!("default `{default}`"),
        OptionKind::Bytes { text, value } => format!("default {text} = {value} bytes"),
        OptionKind::U64 { value } => format!("default {value}"),
    }
}

fn emit_choice_enum(opt: &OptionDef) -> Option<TokenStream> {
    let OptionKind::Choice { values, default } = &opt.kind else {
        return None;
    };
    let name = type_ident(&camel(&opt.flag));
    let variants: Vec<_> = values.iter().map(|v| type_ident(&camel(v))).collect();
    let decls = values.iter().zip(&variants).map(|(v, ident)| {
        let doc = format!(" `{v}`");
        let default_attr = (v == default).then(|| quote!(#[default]));
        quote!(#[doc = #doc] #default_attr #ident)
    });
    let flag = opt.flag.as_str();
    let count = Literal::usize_unsuffixed(values.len());
    let doc = format!(" Values of `--{flag}`: {}.", opt.doc.trim_end_matches('.'));
    Some(quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum #name { #(#decls,)* }

        impl #name {
            /// Every value, in spec order.
            pub const ALL: &'static [#name] = &[#(#name::#variants),*];

            /// The command-line spelling of every value, in spec order.
            pub const NAMES: [&'static str; #count] = [#(#values),*];

            /// The flag that takes these values (without `--`).
            pub const FLAG: &'static str = #flag;

            /// The value as written on the command line.
            pub fn as_str(self) -> &'static str {
                match self { #(#name::#variants => #values,)* }
            }
        }

        impl std::str::FromStr for #name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    #(#values => Ok(#name::#variants),)*
                    _ => Err(format!(
                        "invalid value `{s}` for --{}: expected one of {}",
                        Self::FLAG,
                        Self::NAMES.join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    })
}

fn emit_option_info(opt: &OptionDef) -> TokenStream {
    let flag = opt.flag.as_str();
    let adapter = type_ident(opt.adapter.camel());
    let doc = opt.doc.as_str();
    let kind = match &opt.kind {
        OptionKind::Bool => quote!(OptionKind::Bool),
        OptionKind::Choice { values, .. } => quote!(OptionKind::Choice(&[#(#values),*])),
        OptionKind::Bytes { .. } => quote!(OptionKind::Bytes),
        OptionKind::U64 { .. } => quote!(OptionKind::U64),
    };
    let default = match opt.kind.default_text() {
        Some(d) => quote!(Some(#d)),
        None => quote!(None),
    };
    quote! {
        OptionInfo {
            flag: #flag,
            adapter: AdapterId::#adapter,
            kind: #kind,
            doc: #doc,
            default: #default,
        }
    }
}

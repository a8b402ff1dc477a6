//! `AdapterId`, the per-adapter family enums, `Family`, the `FamilyInfo` statics and
//! `ALL_FAMILIES`.

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::{byte_str, doc_attrs, spec_line};
use crate::ir::{Family, Handler, Payload, Spec};
use crate::model::Adapter;
use crate::names::{camel, screaming, type_ident};

pub fn emit(spec: &Spec) -> TokenStream {
    let adapter_id = emit_adapter_id();
    let per_adapter = Adapter::ALL.iter().map(|&a| emit_adapter_enum(spec, a));
    let family = emit_family_enum(spec);
    let statics = spec.families.iter().map(|f| emit_info(spec, f));
    quote! {
        #adapter_id
        #(#per_adapter)*
        #family
        #(#statics)*
    }
}

fn emit_adapter_id() -> TokenStream {
    let variants: Vec<Ident> = Adapter::ALL.iter().map(|a| type_ident(a.camel())).collect();
    let names: Vec<&str> = Adapter::ALL.iter().map(|a| a.name()).collect();
    let real: Vec<&Ident> = variants[..4].iter().collect();
    let docs = Adapter::ALL.iter().map(|a| match a {
        Adapter::Internal => " Rows that are always dropped (`spec/internal.yaml`).".to_owned(),
        _ => format!(" The {} adapter (`spec/{}.yaml`).", a.display(), a.name()),
    });
    quote! {
        /// The adapter a family belongs to.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AdapterId {
            #(#[doc = #docs] #variants,)*
        }

        impl AdapterId {
            /// The four real adapters, in finalize order.
            pub const ALL: [AdapterId; 4] = [#(AdapterId::#real),*];

            /// The name used in specs, on the command line and in output paths.
            pub fn name(self) -> &'static str {
                match self { #(AdapterId::#variants => #names,)* }
            }

            /// The adapter called `name` (the inverse of `name()`).
            pub fn from_name(name: &str) -> Option<AdapterId> {
                match name {
                    #(#names => Some(AdapterId::#variants),)*
                    _ => None,
                }
            }
        }
    }
}

fn adapter_enum_ident(adapter: Adapter) -> Ident {
    format_ident!("{}Family", adapter.camel())
}

fn info_static(family: &Family) -> Ident {
    format_ident!(
        "{}_{}",
        family.adapter.name().to_ascii_uppercase(),
        screaming(&family.name)
    )
}

/// `Family::Sqs(SqsFamily::MsgData)`.
pub fn family_path(family: &Family) -> TokenStream {
    let adapter = type_ident(family.adapter.camel());
    let enum_ident = adapter_enum_ident(family.adapter);
    let variant = type_ident(&camel(&family.name));
    quote!(Family::#adapter(#enum_ident::#variant))
}

fn emit_adapter_enum(spec: &Spec, adapter: Adapter) -> TokenStream {
    let name = adapter_enum_ident(adapter);
    let families: Vec<&Family> = spec.families_of(adapter).collect();
    let variants: Vec<Ident> = families
        .iter()
        .map(|f| type_ident(&camel(&f.name)))
        .collect();
    let docs = families
        .iter()
        .map(|f| doc_attrs(&format!("{}\n\n{}.", f.doc, spec_line(f))));
    let statics = families.iter().map(|f| info_static(f));
    let doc = format!(" Families of adapter `{}`.", adapter.name());
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #(#docs #variants,)*
        }

        impl #name {
            /// Every family of the adapter, in spec order.
            pub const ALL: &'static [#name] = &[#(#name::#variants),*];

            /// The family's static description.
            pub fn info(self) -> &'static FamilyInfo {
                match self { #(#name::#variants => &#statics,)* }
            }
        }
    }
}

fn emit_family_enum(spec: &Spec) -> TokenStream {
    let adapters: Vec<Ident> = Adapter::ALL.iter().map(|a| type_ident(a.camel())).collect();
    let enums: Vec<Ident> = Adapter::ALL
        .iter()
        .map(|&a| adapter_enum_ident(a))
        .collect();
    let all = spec.families.iter().map(family_path);
    let names = spec.families.iter().map(|f| f.name.as_str());
    let paths = spec.families.iter().map(family_path);
    quote! {
        /// A key family, routed by the longest prefix of the user key.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Family {
            #(#adapters(#enums),)*
        }

        impl Family {
            /// The family's static description.
            pub fn info(self) -> &'static FamilyInfo {
                match self { #(Family::#adapters(f) => f.info(),)* }
            }

            /// The family's spec name (`msg_data`).
            pub fn name(self) -> &'static str {
                self.info().name
            }

            /// The adapter the family belongs to.
            pub fn adapter(self) -> AdapterId {
                match self { #(Family::#adapters(_) => AdapterId::#adapters,)* }
            }

            /// The family called `name` (family names are unique across adapters).
            pub fn from_name(name: &str) -> Option<Family> {
                match name {
                    #(#names => Some(#paths),)*
                    _ => None,
                }
            }
        }

        /// Every family, by adapter (finalize order, internal last), then in spec order.
        pub const ALL_FAMILIES: &[Family] = &[#(#all),*];
    }
}

fn emit_info(spec: &Spec, family: &Family) -> TokenStream {
    let name = info_static(family);
    let doc = format!(" {}.", spec_line(family));
    let fam_name = family.name.as_str();
    let adapter = type_ident(family.adapter.camel());
    let prefix = byte_str(&family.prefix);
    let handler = type_ident(match family.handler {
        Handler::Emit => "Emit",
        Handler::SideRecord => "SideRecord",
        Handler::Ignore => "Ignore",
        Handler::Internal => "Internal",
    });
    let spec_file = family.spec_file.as_str();
    let fam_doc = family.doc.as_str();
    let options = family.options.iter().map(String::as_str);
    let output = match &family.output {
        Some(o) => quote!(Some(#o)),
        None => quote!(None),
    };
    let magic = match &family.value.magic {
        Some(m) => {
            let m = byte_str(m);
            quote!(Some(#m))
        }
        None => quote!(None),
    };
    let payload = match &family.value.payload {
        Payload::Json => quote!(Payload::Json),
        Payload::Protobuf(m) => quote!(Payload::Protobuf(#m)),
        Payload::Raw => quote!(Payload::Raw),
        Payload::Fixed(lens) => {
            let lens = lens.iter().map(|l| Literal::usize_unsuffixed(*l));
            quote!(Payload::Fixed(&[#(#lens),*]))
        }
        Payload::Decimal => quote!(Payload::Decimal),
        Payload::Empty => quote!(Payload::Empty),
        Payload::Any => quote!(Payload::Any),
    };
    let fallback = match family.fallback.as_deref().and_then(|f| spec.family(f)) {
        Some(target) => {
            let path = family_path(target);
            quote!(Some(#path))
        }
        None => quote!(None),
    };
    quote! {
        #[doc = #doc]
        static #name: FamilyInfo = FamilyInfo {
            name: #fam_name,
            adapter: AdapterId::#adapter,
            prefix: #prefix,
            handler: HandlerClass::#handler,
            spec_file: #spec_file,
            doc: #fam_doc,
            options: &[#(#options),*],
            output: #output,
            value: ValueSpec { magic: #magic, payload: #payload },
            fallback: #fallback,
        };
    }
}

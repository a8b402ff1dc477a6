//! Generates the root package's `adapter_args.rs`: the clap arguments of every adapter option
//! and their conversion to the runtime's `AdapterOptions`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::{OptionDef, OptionKind, Spec};
use crate::model::Adapter;
use crate::names::{camel, ident, snake, type_ident};

pub fn emit_cli(spec: &Spec) -> TokenStream {
    let fields = spec.options.iter().map(arg_field);
    let adapters = Adapter::ALL[..4].iter().map(|&a| {
        let field = ident(a.name());
        let ty = type_ident(&format!("{}Options", a.camel()));
        let inits = spec.options_of(a).map(option_init);
        quote!(#field: ekvsnap_runtime::options::#ty { #(#inits,)* })
    });
    let default_impl = default_impl(spec);
    let derive_default = default_impl.is_none().then(|| quote!(Default,));
    quote! {
        /// The adapter options of the command line, one flag per `options` entry of
        /// `spec/*.yaml` (flattened into the CLI arguments with `#[command(flatten)]`).
        #[derive(clap::Args, Debug, Clone, #derive_default)]
        pub struct AdapterArgs { #(#fields,)* }

        #default_impl

        impl AdapterArgs {
            /// Converts the parsed flags to the runtime's options; the error names the flag.
            pub fn to_options(
                &self,
            ) -> Result<ekvsnap_runtime::options::AdapterOptions, String> {
                Ok(ekvsnap_runtime::options::AdapterOptions { #(#adapters,)* })
            }
        }
    }
}

fn arg_field(opt: &OptionDef) -> TokenStream {
    let field = ident(&snake(&opt.flag));
    let flag = opt.flag.as_str();
    let help = opt.doc.as_str();
    let heading = format!("{} options", opt.adapter.display());
    let common = quote!(long = #flag, help = #help, help_heading = #heading);
    match &opt.kind {
        OptionKind::Bool => quote! {
            #[arg(#common)]
            pub #field: bool
        },
        OptionKind::Choice { default, .. } => {
            // A path rather than a literal list: prettyplease would break the list's commas.
            let ty = type_ident(&camel(&opt.flag));
            quote! {
                #[arg(
                    #common,
                    value_parser = ekvsnap_runtime::options::#ty::NAMES,
                    default_value = #default
                )]
                pub #field: String
            }
        }
        OptionKind::Bytes { text, .. } => quote! {
            #[arg(#common, value_name = "SIZE", default_value = #text)]
            pub #field: String
        },
        OptionKind::U64 { value } => quote! {
            #[arg(#common, value_name = "N", default_value_t = #value)]
            pub #field: u64
        },
    }
}

/// `field: <conversion of self.field>` inside `<Adapter>Options { .. }`.
fn option_init(opt: &OptionDef) -> TokenStream {
    let field = ident(&snake(&opt.flag));
    let message = format!("--{}: {{e}}", opt.flag);
    match &opt.kind {
        OptionKind::Bool | OptionKind::U64 { .. } => quote!(#field: self.#field),
        OptionKind::Choice { .. } => {
            let ty = type_ident(&camel(&opt.flag));
            quote!(#field: self.#field.parse::<ekvsnap_runtime::options::#ty>()?)
        }
        OptionKind::Bytes { .. } => quote! {
            #field: ekvsnap_runtime::options::parse_byte_size(&self.#field)
                .map_err(|e| format!(#message))?
        },
    }
}

/// A hand `Default` giving the spec defaults (clap applies them only when parsing), unless
/// every default is the type's own, where deriving is equivalent (and clippy insists on it).
fn default_impl(spec: &Spec) -> Option<TokenStream> {
    let trivial = spec.options.iter().all(|o| match &o.kind {
        OptionKind::Bool => true,
        OptionKind::U64 { value } => *value == 0,
        OptionKind::Choice { .. } | OptionKind::Bytes { .. } => false,
    });
    if trivial {
        return None;
    }
    let inits = spec.options.iter().map(|opt| {
        let field = ident(&snake(&opt.flag));
        match &opt.kind {
            OptionKind::Bool => quote!(#field: false),
            OptionKind::U64 { value } => quote!(#field: #value),
            OptionKind::Choice { default: text, .. } | OptionKind::Bytes { text, .. } => {
                quote!(#field: #text.to_owned())
            }
        }
    });
    Some(quote! {
        impl Default for AdapterArgs {
            fn default() -> Self {
                AdapterArgs { #(#inits,)* }
            }
        }
    })
}

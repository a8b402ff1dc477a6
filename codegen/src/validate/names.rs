//! Generated Rust names must be unique. Spec names are unique already, but CamelCase can merge
//! two of them (`a_1` and `a1` both give `A1`; family `msg` + variant `data` gives the same
//! struct as family `msg_data`).

use std::collections::HashMap;

use super::At;
use crate::error::SpecError;
use crate::ir;
use crate::model::Adapter;
use crate::names::camel;

/// Type names the options module defines besides the choice enums.
const OPTION_TYPES: &[&str] = &["AdapterOptions", "OptionInfo", "OptionKind"];

pub(super) fn check_generated_names(spec: &ir::Spec, errors: &mut Vec<SpecError>) {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut variants: HashMap<(Adapter, String), String> = HashMap::new();
    for fam in &spec.families {
        let at = At::file(&fam.spec_file).family(&fam.name);
        let family_camel = camel(&fam.name);
        if family_camel == "Self" {
            errors.push(at.err(
                "name",
                "`self` cannot name a family (it would become `Self`)",
            ));
        }
        if let Some(other) = variants.insert((fam.adapter, family_camel.clone()), fam.name.clone())
        {
            errors.push(at.err(
                "name",
                format!(
                    "family `{}` and family `{other}` both become `{family_camel}` in Rust",
                    fam.name
                ),
            ));
        }
        let Some(key) = &fam.key else {
            continue;
        };
        let base = format!("{}{family_camel}", fam.adapter.camel());
        let mut claim = |name: String, field: String, errors: &mut Vec<SpecError>| {
            let owner = format!("family `{}`", fam.name);
            if let Some(other) = types.insert(name.clone(), owner.clone()) {
                errors.push(at.err(
                    field,
                    format!("generated type `{name}` is also generated for {other}; rename one"),
                ));
            }
        };
        claim(format!("{base}Key"), "name".to_owned(), errors);
        if let ir::KeyShape::Variants(vs) = &key.shape {
            for (i, v) in vs.iter().enumerate() {
                claim(
                    format!("{base}{}Key", camel(&v.name)),
                    format!("key.variants[{i}].name"),
                    errors,
                );
            }
        }
    }
    let mut option_types: HashMap<String, String> = OPTION_TYPES
        .iter()
        .map(|t| (t.to_string(), "the options module".to_owned()))
        .chain(Adapter::ALL.iter().map(|a| {
            (
                format!("{}Options", a.camel()),
                "the options module".to_owned(),
            )
        }))
        .collect();
    for opt in &spec.options {
        if let ir::OptionKind::Choice { .. } = opt.kind {
            let name = camel(&opt.flag);
            if let Some(other) = option_types.insert(name.clone(), format!("option `{}`", opt.flag))
            {
                let i = spec
                    .options
                    .iter()
                    .filter(|o| o.spec_file == opt.spec_file)
                    .position(|o| o.flag == opt.flag)
                    .unwrap_or(0);
                errors.push(At::file(&opt.spec_file).err(
                    format!("options[{i}].flag"),
                    format!("choice type `{name}` is also generated for {other}; rename the flag"),
                ));
            }
        }
    }
}

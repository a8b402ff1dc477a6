ekvsnap_spec_macro::check_specs!("tests/ui/specs/duplicate_prefix.yaml");

fn main() {}

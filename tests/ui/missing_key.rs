ekvsnap_spec_macro::check_specs!("tests/ui/specs/missing_key.yaml");

fn main() {}

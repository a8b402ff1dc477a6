ekvsnap_spec_macro::check_specs!("tests/ui/specs/unknown_field.yaml");

fn main() {}

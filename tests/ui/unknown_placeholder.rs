ekvsnap_spec_macro::check_specs!("tests/ui/specs/unknown_placeholder.yaml");

fn main() {}

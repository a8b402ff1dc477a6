ekvsnap_spec_macro::check_specs!("tests/ui/specs/missing_end.yaml");

fn main() {}

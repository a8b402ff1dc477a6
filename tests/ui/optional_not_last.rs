ekvsnap_spec_macro::check_specs!("tests/ui/specs/optional_not_last.yaml");

fn main() {}

ekvsnap_spec_macro::check_specs!("tests/ui/specs/internal_outside.yaml");

fn main() {}

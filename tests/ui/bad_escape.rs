ekvsnap_spec_macro::check_specs!("tests/ui/specs/bad_escape.yaml");

fn main() {}

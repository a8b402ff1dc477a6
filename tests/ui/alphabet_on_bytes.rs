ekvsnap_spec_macro::check_specs!("tests/ui/specs/alphabet_on_bytes.yaml");

fn main() {}

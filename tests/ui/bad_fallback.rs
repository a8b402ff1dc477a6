ekvsnap_spec_macro::check_specs!("tests/ui/specs/bad_fallback.yaml");

fn main() {}

ekvsnap_spec_macro::check_specs!("tests/ui/specs/bad_choice_default.yaml");

fn main() {}

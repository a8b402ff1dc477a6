ekvsnap_spec_macro::check_specs!("tests/ui/specs/option_clash.yaml");

fn main() {}

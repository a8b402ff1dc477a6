ekvsnap_spec_macro::check_specs!("tests/ui/specs/segment_after_rest.yaml");

fn main() {}

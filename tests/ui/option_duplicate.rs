ekvsnap_spec_macro::check_specs!(
    "tests/ui/specs/option_dup_a.yaml",
    "tests/ui/specs/option_dup_b.yaml"
);

fn main() {}

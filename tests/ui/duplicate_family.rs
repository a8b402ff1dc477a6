ekvsnap_spec_macro::check_specs!(
    "tests/ui/specs/duplicate_family_a.yaml",
    "tests/ui/specs/duplicate_family_b.yaml"
);

fn main() {}

// The real specs, file by file and as a directory (which also picks up files added later).
ekvsnap_spec_macro::check_specs!(
    "spec/dynamodb.yaml",
    "spec/internal.yaml",
    "spec/redis.yaml",
    "spec/s3.yaml",
    "spec/sqs.yaml",
);
ekvsnap_spec_macro::check_specs!("spec");

fn main() {}

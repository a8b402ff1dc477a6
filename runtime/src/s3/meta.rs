//! Bucket records: the `!s3|bucket|meta|` JSON (decoded with Go's rules, s3.md §4.1, §4.2)
//! and its `_bucket.json` projection (s3.md §7.2).

use crate::json::{
    go_string, go_uint64, unmarshal_struct, GoFieldError, GoStructError, JsonWriter,
};

/// The live JSON keys the decoder reads; every other key is skipped unread.
const FIELDS: [&str; 6] = [
    "bucket_name",
    "generation",
    "created_at_hlc",
    "owner",
    "region",
    "acl",
];

/// What a bucket-meta record establishes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketMeta {
    /// Parsed and ignored: the key's bucket name is authoritative (s3.md §3.1).
    pub bucket_name: String,
    /// The active generation (0 = no stale-generation filter, s3.md §6.3).
    pub generation: u64,
    /// Kept in `_bucket.json` when non-zero (upstream drops it, H13).
    pub created_at_hlc: u64,
    pub owner: String,
    pub region: String,
    pub acl: String,
}

fn store<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

impl BucketMeta {
    /// Decodes the value the way upstream's `json.Unmarshal` does.
    pub fn decode(json: &[u8]) -> Result<BucketMeta, GoStructError> {
        let mut meta = BucketMeta::default();
        unmarshal_struct(json, &FIELDS, |field, member| {
            meta.set(field, &member.value)
        })?;
        Ok(meta)
    }

    fn set(&mut self, field: &str, v: &crate::json::JsonValue) -> Result<(), GoFieldError> {
        let string = |v| go_string(v).map(|s| s.map(str::to_owned));
        match field {
            "bucket_name" => store(&mut self.bucket_name, string(v)?),
            "generation" => store(&mut self.generation, go_uint64(v)?),
            "created_at_hlc" => store(&mut self.created_at_hlc, go_uint64(v)?),
            "owner" => store(&mut self.owner, string(v)?),
            "region" => store(&mut self.region, string(v)?),
            "acl" => store(&mut self.acl, string(v)?),
            other => unreachable!("field {other} is listed in FIELDS but not stored"),
        }
        Ok(())
    }

    /// `_bucket.json` of the bucket named `name` (the key's bytes): `MarshalIndent` with
    /// HTML escaping, upstream's field order, empty strings omitted, no trailing newline;
    /// then `created_at_hlc` when non-zero (our addition, ignored by upstream's reader).
    pub fn render(&self, name: &[u8]) -> Vec<u8> {
        let mut w = JsonWriter::pretty();
        w.begin_object();
        w.key("format_version").u64(1);
        w.key("name").string(name);
        for (key, value) in [
            ("owner", &self.owner),
            ("region", &self.region),
            ("acl", &self.acl),
        ] {
            if !value.is_empty() {
                w.key(key).str(value);
            }
        }
        if self.created_at_hlc != 0 {
            w.key("created_at_hlc").u64(self.created_at_hlc);
        }
        w.end_object();
        w.into_bytes()
    }
}

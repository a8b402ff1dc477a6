//! `_schema.json` (dynamodb.md §5.2): upstream's snake_case projection of the stored table
//! schema, pretty JSON with HTML escaping and no trailing newline.

use crate::json::JsonWriter;

use super::proto::{DynamoKeySchema, DynamoTableSchema};

/// Renders `_schema.json` for `schema`.
pub fn render_schema(schema: &DynamoTableSchema) -> Vec<u8> {
    let mut w = JsonWriter::pretty();
    w.begin_object();
    w.key("format_version").u64(1);
    w.key("table_name").str(&schema.table_name);
    w.key("primary_key");
    // A missing primary key reads as empty names (Go's nil-safe getters).
    key_schema(
        schema,
        &schema.primary_key.clone().unwrap_or_default(),
        &mut w,
    );
    w.key("attribute_definitions").begin_array();
    // A BTreeMap: names in byte order.
    for (name, ty) in &schema.attribute_definitions {
        w.begin_object()
            .key("name")
            .str(name)
            .key("type")
            .str(ty)
            .end_object();
    }
    w.end_array();
    if !schema.global_secondary_indexes.is_empty() {
        w.key("global_secondary_indexes").begin_array();
        for (name, gsi) in &schema.global_secondary_indexes {
            w.begin_object().key("name").str(name).key("key_schema");
            match &gsi.key_schema {
                Some(keys) => key_schema(schema, keys, &mut w),
                None => {
                    w.begin_object()
                        .key("hash_key")
                        .begin_object()
                        .end_object()
                        .key("range_key")
                        .begin_object()
                        .end_object()
                        .end_object();
                }
            }
            let projection = gsi.projection.clone().unwrap_or_default();
            w.key("projection")
                .begin_object()
                .key("type")
                .str(&projection.projection_type);
            if !projection.non_key_attributes.is_empty() {
                w.key("non_key_attributes").begin_array();
                for attr in &projection.non_key_attributes {
                    w.str(attr);
                }
                w.end_array();
            }
            w.end_object().end_object();
        }
        w.end_array();
    }
    w.end_object();
    w.into_bytes()
}

/// `{"hash_key": A, "range_key": A}`.
fn key_schema(table: &DynamoTableSchema, keys: &DynamoKeySchema, w: &mut JsonWriter) {
    w.begin_object().key("hash_key");
    // The hash key's type is looked up even for an empty name; an empty range key is `{}`.
    w.begin_object();
    key_attribute(table, &keys.hash_key, w);
    w.end_object();
    w.key("range_key").begin_object();
    if !keys.range_key.is_empty() {
        key_attribute(table, &keys.range_key, w);
    }
    w.end_object();
    w.end_object();
}

/// The members of `A`: `"name"` and `"type"` (looked up in the table's attribute
/// definitions), each omitted when empty.
fn key_attribute(table: &DynamoTableSchema, name: &str, w: &mut JsonWriter) {
    if !name.is_empty() {
        w.key("name").str(name);
    }
    if let Some(ty) = table
        .attribute_definitions
        .get(name)
        .filter(|t| !t.is_empty())
    {
        w.key("type").str(ty);
    }
}

//! The DynamoDB adapter (dynamodb.md): table schemas and items, written at finalize as
//! `dynamodb/<table>/_schema.json` and `items/` (one file per item, or JSONL bundles).
//!
//! * [`proto`] — the prost types of `proto/dynamodb_internal.proto`.
//! * [`wire`] — Go protobuf decoding semantics in front of prost.
//! * [`number`] — `canonicalNumber`, the file-name form of `N` keys.
//! * [`item`] — item bodies (DynamoDB JSON) and key segments.
//! * [`schema`] — `_schema.json`.
//! * `spill` — the buffered records, their order and spill encoding.
//! * `flush` — what finalize writes for one table.
//!
//! Items arrive before their table's schema (key order `!ddb|item|` < `!ddb|meta|table|`),
//! so every item is checked at intake (a value Go would not decode stops the decode there,
//! as upstream) and buffered, as its checked protobuf payload, in one external merge sorter
//! on the decode's shared memory budget, ordered by table name. Finalize visits the tables
//! in that order; for each one it decodes and renders the items of the emitted generations
//! into a second sorter ordered by file name (so the items that name one file are adjacent)
//! and streams them out. Memory stays within the budget whatever the table sizes; the output
//! does not depend on the budget.

mod error;
mod flush;
pub mod item;
pub mod number;
pub mod proto;
pub mod schema;
mod spill;
pub mod wire;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use prost::Message as _;

use crate::adapters::{Adapter, AdapterError, FinalizeContext, Record};
use crate::keys::{AdapterId, DynamodbFamily, DynamodbItemKey, DynamodbTableMetaKey, Family};
use crate::options::DynamodbOptions;
use crate::output::keymap::{KEYMAP_FILENAME, KIND_SHA_FALLBACK};
use crate::output::{
    is_sha_fallback_shape, render_template, KeymapWriter, RelPath, SafeName, TemplateError,
};
use crate::spill::{SpillContext, SpillSorter};

pub use error::{DynamodbError, ErrorClass, ValueReason};
pub use flush::KIND_COLLISION_RENAME;
use flush::{orphan_fields, TableMeta, TableRecords};
use proto::DynamoTableSchema;
use spill::Pending;
use wire::{Root, WireSchema};

/// What is known about one table key segment besides its buffered items.
#[derive(Default)]
struct TableState {
    /// Set by the table's schema record; a state without one is an orphan at finalize.
    meta: Option<TableMeta>,
    /// Items buffered for this segment (all generations).
    items: u64,
}

/// `dynamodb/<EncodeSegment(name)>/_schema.json` from the spec template of `table_meta`.
fn schema_path(name: &[u8]) -> Result<RelPath, TemplateError> {
    let template = DynamodbFamily::TableMeta
        .info()
        .output
        .expect("table_meta declares its output template");
    render_template(template, |var| (var == "table").then(|| name.to_vec()))
}

/// The DynamoDB adapter: checks and buffers at `handle`, writes at `finalize`.
pub struct DynamodbAdapter {
    options: DynamodbOptions,
    spill: SpillContext,
    /// By (decoded table name, key segment): the order finalize visits them in.
    tables: BTreeMap<(Vec<u8>, Vec<u8>), TableState>,
    /// Every item, until finalize takes them.
    pending: Option<SpillSorter<Pending>>,
    /// Items received so far: each item's arrival number.
    arrivals: u64,
    /// The last item key segment and its decoded name (items of a table arrive together).
    last_table: Option<(Vec<u8>, Vec<u8>)>,
    scratch: wire::Scratch,
}

impl DynamodbAdapter {
    pub fn new(options: DynamodbOptions, spill: SpillContext) -> Self {
        DynamodbAdapter {
            options,
            pending: Some(spill.sorter()),
            spill,
            tables: BTreeMap::new(),
            arrivals: 0,
            last_table: None,
            scratch: wire::Scratch::default(),
        }
    }

    fn table_meta(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let table = DynamodbTableMetaKey::parse(key)
            .map_err(|e| DynamodbError::malformed_key(key, e))?
            .table;
        let payload = DynamodbTableMetaKey::FAMILY
            .info()
            .value
            .strip(record.body)
            .map_err(|e| DynamodbError::invalid_schema(key, ValueReason::MissingMagic(e)))?;
        let checked = WireSchema::get()
            .check(Root::TableSchema, payload, &mut self.scratch)
            .map_err(|e| DynamodbError::invalid_schema(key, e))?;
        let schema = DynamoTableSchema::decode(checked.bytes.as_ref())
            .map_err(|e| DynamodbError::invalid_schema(key, e))?;
        let name = table.decode();
        let dir = schema_path(&name)
            .map_err(|reason| DynamodbError::UnsafeTableName {
                encoded_table: String::from_utf8_lossy(table.as_bytes()).into_owned(),
                name: String::from_utf8_lossy(&name).into_owned(),
                reason,
            })?
            .parent()
            .expect("the template has a directory");
        self.tables
            .entry((name, table.as_bytes().to_vec()))
            .or_default()
            .meta = Some(TableMeta { schema, dir });
        Ok(())
    }

    fn item(&mut self, record: &Record<'_>) -> Result<(), AdapterError> {
        let key = record.user_key;
        let parsed =
            DynamodbItemKey::parse(key).map_err(|e| DynamodbError::malformed_key(key, e))?;
        let payload = DynamodbItemKey::FAMILY
            .info()
            .value
            .strip(record.body)
            .map_err(|e| DynamodbError::invalid_item(key, ValueReason::MissingMagic(e)))?;
        let checked = WireSchema::get()
            .check(Root::Item, payload, &mut self.scratch)
            .map_err(|e| DynamodbError::invalid_item(key, e))?;
        let encoded = parsed.table.as_bytes();
        if self.last_table.as_ref().is_none_or(|t| t.1 != encoded) {
            self.last_table = Some((parsed.table.decode(), encoded.to_vec()));
        }
        let table = self.last_table.as_ref().expect("set above");
        let pending = Pending::new(
            &table.0,
            encoded,
            parsed.generation,
            self.arrivals,
            parsed.primary_key,
            &checked.bytes,
            checked.depth,
        );
        match self.tables.get_mut(table) {
            Some(state) => state.items += 1,
            None => {
                self.tables.insert(
                    table.clone(),
                    TableState {
                        meta: None,
                        items: 1,
                    },
                );
            }
        }
        self.arrivals += 1;
        self.pending
            .as_mut()
            .expect("items are buffered only before finalize")
            .push(pending)
            .map_err(|e| DynamodbError::from(e).into())
    }

    /// Finalizes every table in order; stops at the first error (like upstream, but in a
    /// fixed order).
    fn finalize_tables(
        &mut self,
        ctx: &mut FinalizeContext<'_>,
        stream: &mut flush::Stream,
        scope_keymap: &mut KeymapWriter,
    ) -> Result<(), AdapterError> {
        // Directory name → key segment of the table written there.
        let mut written: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for ((name, encoded), state) in std::mem::take(&mut self.tables) {
            let mut records = TableRecords::new(&name, &encoded, Some(&mut *stream));
            let Some(meta) = &state.meta else {
                ctx.warnings
                    .emit("ddb_orphan_items", &orphan_fields(&encoded, state.items));
                records.skip_rest()?;
                continue;
            };
            let dir_name = meta.dir.file_name().as_bytes().to_vec();
            if let Some(first) = written.get(&dir_name) {
                return Err(DynamodbError::DuplicateTable {
                    name: String::from_utf8_lossy(&name).into_owned(),
                    first: String::from_utf8_lossy(first).into_owned(),
                    second: String::from_utf8_lossy(&encoded).into_owned(),
                }
                .into());
            }
            if let Some(dir_name) = meta.dir.file_name().to_str() {
                if is_sha_fallback_shape(dir_name) {
                    scope_keymap
                        .write(dir_name.as_bytes(), &name, KIND_SHA_FALLBACK)
                        .map_err(DynamodbError::from)?;
                }
            }
            written.insert(dir_name, encoded.clone());
            flush::flush_table(ctx, &self.spill, &self.options, &name, meta, &mut records)?;
            records.skip_rest()?;
        }
        Ok(())
    }
}

impl Adapter for DynamodbAdapter {
    fn id(&self) -> AdapterId {
        AdapterId::Dynamodb
    }

    fn handle(&mut self, family: Family, record: &Record<'_>) -> Result<(), AdapterError> {
        let Family::Dynamodb(family) = family else {
            return Err(AdapterError::Invalid {
                adapter: "dynamodb",
                message: format!(
                    "family {} routed to the DynamoDB adapter",
                    family.info().name
                ),
            });
        };
        match family {
            DynamodbFamily::TableMeta => self.table_meta(record),
            DynamodbFamily::Item => self.item(record),
            // Counted by the scan; never parsed (dynamodb.md §1.1).
            DynamodbFamily::TableGen | DynamodbFamily::Gsi => Ok(()),
        }
    }

    fn finalize(&mut self, ctx: &mut FinalizeContext<'_>) -> Result<(), AdapterError> {
        let Some(sorter) = self.pending.take() else {
            return Ok(()); // finalized already
        };
        let mut stream = sorter.finish().map_err(DynamodbError::from)?.peekable();
        let keymap_path = RelPath::from_names(vec![
            SafeName::new("dynamodb").expect("literal"),
            SafeName::new(KEYMAP_FILENAME).expect("literal"),
        ])
        .expect("two segments");
        let mut scope_keymap = KeymapWriter::new(ctx.tree, keymap_path);
        let result = self.finalize_tables(ctx, &mut stream, &mut scope_keymap);
        // Table directories written so far stay reversible, also after an error.
        let finished = scope_keymap.finish().map_err(DynamodbError::from);
        result?;
        finished?;
        Ok(())
    }
}

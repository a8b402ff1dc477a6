//! What finalize writes for one table with a schema (dynamodb.md §5.1 to §5.4, §8): the
//! directory, `_schema.json`, the item files or JSONL bundles, `KEYMAP.jsonl`, warnings.

use std::iter::Peekable;

use prost::Message as _;

use crate::adapters::{AdapterError, FinalizeContext};
use crate::json::{JsonStyle, JsonWriter};
use crate::options::{DynamodbBundleMode, DynamodbOptions};
use crate::output::filename::sha_fallback;
use crate::output::keymap::{KEYMAP_FILENAME, KIND_SHA_FALLBACK};
use crate::output::path::MAX_NAME_BYTES;
use crate::output::{
    is_sha_fallback_shape, JsonlWriter, KeymapWriter, PathError, RelPath, SafeName,
};
use crate::spill::{SortedRecords, SpillContext, SpillError, SpillSorter};

use super::error::{DynamodbError, ValueReason};
use super::item::{item_key, render_item, ItemKey, ItemKeyError};
use super::proto::{DynamoItem, DynamoTableSchema};
use super::schema::render_schema;
use super::spill::{Pending, Placed, Rank};

pub(super) const STALE_HINT: &str =
    "stale-gen rows excluded; restore would otherwise emit them under the new schema";
pub(super) const COLLISION_HINT_PER_ITEM: &str = "items with the same key segments in one generation: the last-arriving keeps the name, the others are written as <name>~<n>.json and listed in KEYMAP.jsonl";
pub(super) const COLLISION_HINT_JSONL: &str =
    "items with the same key segments in one generation: every one is a line of the bundle";
/// `KEYMAP.jsonl` kind of an item file renamed because another item has its name.
pub const KIND_COLLISION_RENAME: &str = "collision-rename";

/// Items of emitted generations nested deeper than this are decoded and rendered on a thread
/// of their own with a stack sized for them (Go accepts 10 000 levels).
const INLINE_DEPTH: u32 = 128;

fn spill_error(e: SpillError) -> AdapterError {
    DynamodbError::Spill(e).into()
}

fn literal(name: &'static str) -> SafeName {
    SafeName::new(name).expect("a literal file name is a safe name")
}

/// All pending items, sorted: grouped by table in the order finalize visits the tables.
pub(super) type Stream = Peekable<SortedRecords<Pending>>;

/// The pending items of one table, taken from the front of the [`Stream`].
pub(super) struct TableRecords<'a> {
    name: &'a [u8],
    encoded: &'a [u8],
    /// `None` when the stream could not be opened (that error is reported already).
    stream: Option<&'a mut Stream>,
}

impl<'a> TableRecords<'a> {
    pub(super) fn new(name: &'a [u8], encoded: &'a [u8], stream: Option<&'a mut Stream>) -> Self {
        TableRecords {
            name,
            encoded,
            stream,
        }
    }

    fn next(&mut self) -> Option<Result<Pending, SpillError>> {
        let stream = self.stream.as_deref_mut()?;
        match stream.peek()? {
            Ok(p) if p.name() != self.name || p.encoded() != self.encoded => None,
            _ => stream.next(),
        }
    }

    /// Reads past whatever of this table is left (orphans, after an error).
    pub(super) fn skip_rest(&mut self) -> Result<(), AdapterError> {
        while let Some(record) = self.next() {
            record.map_err(spill_error)?;
        }
        Ok(())
    }
}

/// What a table's schema record established.
pub(super) struct TableMeta {
    pub schema: DynamoTableSchema,
    /// `dynamodb/<EncodeSegment(name)>`, rendered when the schema arrived.
    pub dir: RelPath,
}

/// Fields of `ddb_orphan_items`, in upstream's order.
pub(super) fn orphan_fields(encoded: &[u8], items: u64) -> [(&'static str, String); 2] {
    [
        (
            "encoded_table",
            String::from_utf8_lossy(encoded).into_owned(),
        ),
        ("buffered_items", items.to_string()),
    ]
}

/// Fields of `ddb_stale_generation_items`, in upstream's order.
pub(super) fn stale_fields(
    table: &[u8],
    active: u64,
    source: u64,
    stale: u64,
) -> [(&'static str, String); 5] {
    [
        ("table", String::from_utf8_lossy(table).into_owned()),
        ("active_generation", active.to_string()),
        ("migration_source_generation", source.to_string()),
        ("stale_count", stale.to_string()),
        ("hint", STALE_HINT.to_string()),
    ]
}

/// The generations a schema emits, with their rank (dynamodb.md §5.1 step 3).
#[derive(Debug, Clone, Copy)]
pub(super) struct Emission {
    pub active: u64,
    pub source: Option<u64>,
}

impl Emission {
    pub fn of(schema: &DynamoTableSchema) -> Self {
        let active = schema.generation;
        let source = schema.migrating_from_generation;
        Emission {
            active,
            source: (source != 0 && source != active).then_some(source),
        }
    }

    pub fn rank(self, generation: u64) -> Option<Rank> {
        if generation == self.active {
            Some(Rank::Active)
        } else if Some(generation) == self.source {
            Some(Rank::MigrationSource)
        } else {
            None
        }
    }
}

/// Writes table `name` (key segment `encoded`): directory, `_schema.json`, items.
pub(super) fn flush_table(
    ctx: &mut FinalizeContext<'_>,
    spill: &SpillContext,
    options: &DynamodbOptions,
    name: &[u8],
    meta: &TableMeta,
    records: &mut TableRecords<'_>,
) -> Result<(), AdapterError> {
    let items_dir = meta.dir.join(literal("items"));
    ctx.tree.create_dir_all(&items_dir)?;
    ctx.tree.write_file(
        &meta.dir.join(literal("_schema.json")),
        &render_schema(&meta.schema),
    )?;

    let emission = Emission::of(&meta.schema);
    let primary = meta.schema.primary_key.clone().unwrap_or_default();
    let style = match options.dynamodb_bundle_mode {
        DynamodbBundleMode::PerItem => JsonStyle::Pretty,
        DynamodbBundleMode::Jsonl => JsonStyle::Compact,
    };
    let mut placer = Placer {
        table: name,
        hash_name: &primary.hash_key,
        range_name: &primary.range_key,
        writer: JsonWriter::new(style, true),
        item: DynamoItem::default(),
    };
    let mut placed: SpillSorter<Placed> = spill.sorter();
    let mut stale = 0u64;
    while let Some(pending) = records.next() {
        let pending = pending.map_err(spill_error)?;
        match emission.rank(pending.generation) {
            None => stale += 1,
            Some(rank) => placed
                .push(placer.place(&pending, rank)?)
                .map_err(spill_error)?,
        }
    }
    if stale > 0 {
        ctx.warnings.emit(
            "ddb_stale_generation_items",
            &stale_fields(
                name,
                emission.active,
                emission
                    .source
                    .unwrap_or(meta.schema.migrating_from_generation),
                stale,
            ),
        );
    }
    let sorted = placed.finish().map_err(spill_error)?;
    match options.dynamodb_bundle_mode {
        DynamodbBundleMode::PerItem => write_item_files(ctx, name, &meta.dir, &items_dir, sorted),
        DynamodbBundleMode::Jsonl => {
            write_bundles(ctx, name, &items_dir, options.dynamodb_bundle_size, sorted)
        }
    }
}

/// Decodes, names and renders items of one table.
struct Placer<'a> {
    table: &'a [u8],
    hash_name: &'a str,
    range_name: &'a str,
    writer: JsonWriter,
    /// Reused between items (its map keeps no capacity, but the struct is reused).
    item: DynamoItem,
}

impl Placer<'_> {
    fn place(&mut self, pending: &Pending, rank: Rank) -> Result<Placed, AdapterError> {
        let (key, body) = if pending.depth <= INLINE_DEPTH {
            self.item.clear();
            self.item
                .merge(pending.payload())
                .map_err(|e| self.decode_error(pending, e))?;
            let key = item_key(&self.item, self.hash_name, self.range_name);
            let key = key.map_err(|e| self.key_error(pending, e))?;
            self.writer.clear();
            render_item(&self.item, &mut self.writer);
            (key, self.writer.as_bytes().to_vec())
        } else {
            let (hash_name, range_name, style) =
                (self.hash_name, self.range_name, self.writer.style());
            let payload = pending.payload();
            // Each level of decoding, rendering and dropping a value takes stack; give every
            // level room, whatever the build.
            let stack = (1 << 20) + pending.depth as usize * (16 << 10);
            let result = on_stack(stack, move || {
                let item = DynamoItem::decode(payload)?;
                let key = item_key(&item, hash_name, range_name);
                let mut writer = JsonWriter::new(style, true);
                render_item(&item, &mut writer);
                Ok::<_, prost::DecodeError>((key, writer.into_bytes()))
            });
            let (key, body) = result.map_err(|e| self.decode_error(pending, e))?;
            (key.map_err(|e| self.key_error(pending, e))?, body)
        };
        let ItemKey { hash, range } = key;
        Ok(Placed::new(
            rank,
            pending.arrival,
            (&hash.segment, &hash.raw),
            range
                .as_ref()
                .map(|r| (r.segment.as_str(), r.raw.as_slice())),
            &body,
        ))
    }

    fn key_error(&self, pending: &Pending, reason: ItemKeyError) -> AdapterError {
        DynamodbError::ItemKey {
            table: String::from_utf8_lossy(self.table).into_owned(),
            generation: pending.generation,
            primary_key: crate::snapshot::error::quote_bytes(pending.primary_key()),
            reason,
        }
        .into()
    }

    fn decode_error(&self, pending: &Pending, e: prost::DecodeError) -> AdapterError {
        let mut key = b"!ddb|item|".to_vec();
        key.extend_from_slice(pending.encoded());
        key.extend_from_slice(format!("|{}|", pending.generation).as_bytes());
        key.extend_from_slice(pending.primary_key());
        DynamodbError::invalid_item(&key, ValueReason::Decode(e)).into()
    }
}

/// Runs `work` on a new thread with a stack of `stack` bytes and returns its result.
fn on_stack<T: Send>(stack: usize, work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("ekvsnap-ddb-deep-item".into())
            .stack_size(stack)
            .spawn_scoped(scope, work)
            .expect("spawn a thread for a deeply nested item");
        match handle.join() {
            Ok(value) => value,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Tracks the items that name one file: the first (the winner) and how many more of its
/// generation there were.
struct FileGroup {
    first: Placed,
    /// Items of the winner's generation after the first.
    more: u64,
}

fn collision_fields(
    table: &[u8],
    path: &RelPath,
    items: u64,
    hint: &str,
) -> [(&'static str, String); 4] {
    [
        ("table", String::from_utf8_lossy(table).into_owned()),
        ("path", path.to_string()),
        ("items", items.to_string()),
        ("hint", hint.to_string()),
    ]
}

/// The path of `item`'s file below `items/` with the final component's stem `stem`:
/// `<hash>/<stem>.json` (composite), `<stem>.json` (hash-only, or composite with an empty
/// hash segment, which upstream writes directly into `items/`). Returns the path and the
/// name `KEYMAP.jsonl` records for it (the path without `.json`).
fn item_path(
    items_dir: &RelPath,
    item: &Placed,
    stem: &str,
) -> Result<(RelPath, String), PathError> {
    let file = SafeName::new(format!("{stem}.json"))?;
    match item.range_segment() {
        Some(_) if !item.hash_segment().is_empty() => Ok((
            items_dir
                .join(SafeName::new(item.hash_segment())?)
                .join(file),
            format!("{}/{stem}", item.hash_segment()),
        )),
        _ => Ok((items_dir.join(file), stem.to_string())),
    }
}

/// The last path component of `item` (range segment, else hash segment) and its raw bytes.
fn last_segment(item: &Placed) -> (&str, &[u8]) {
    match item.range_segment() {
        Some(range) => (range, item.range_raw()),
        None => (item.hash_segment(), item.hash_raw()),
    }
}

/// Per-item layout: one file per primary key, the winner under its name; more items of the
/// winner's generation under `<name>~<n>.json` (docs/compatibility.md); lower-ranked items
/// of the same file (the migration source's version of an item the active generation has)
/// are dropped, as upstream's later write would replace them.
fn write_item_files(
    ctx: &mut FinalizeContext<'_>,
    table: &[u8],
    dir: &RelPath,
    items_dir: &RelPath,
    sorted: SortedRecords<Placed>,
) -> Result<(), AdapterError> {
    let mut keymap = KeymapWriter::new(ctx.tree, dir.join(literal(KEYMAP_FILENAME)));
    let result = (|| -> Result<(), AdapterError> {
        let path_error = |reason| DynamodbError::ItemPath {
            table: String::from_utf8_lossy(table).into_owned(),
            reason,
        };
        let mut group: Option<FileGroup> = None;
        let mut recorded_hash_dir: Option<String> = None;
        for item in sorted {
            let item = item.map_err(spill_error)?;
            if let Some(g) = &mut group {
                if g.first.same_file(&item) {
                    if item.rank < g.first.rank {
                        continue; // replaced by the active generation's item
                    }
                    g.more += 1;
                    let (last, raw) = last_segment(&item);
                    let mut stem = format!("{last}~{}", g.more);
                    if stem.len() + ".json".len() > MAX_NAME_BYTES {
                        stem = format!("{}~{}", sha_fallback(raw), g.more);
                    }
                    let (path, encoded) = item_path(items_dir, &item, &stem).map_err(path_error)?;
                    ctx.tree.write_file(&path, item.body())?;
                    keymap
                        .write(encoded.as_bytes(), raw, KIND_COLLISION_RENAME)
                        .map_err(DynamodbError::from)?;
                    continue;
                }
                finish_group(ctx, table, items_dir, g, COLLISION_HINT_PER_ITEM)?;
            }
            // A new file: its winner.
            let (last, raw) = last_segment(&item);
            let (path, encoded) = item_path(items_dir, &item, last).map_err(path_error)?;
            if item.range_segment().is_some()
                && !item.hash_segment().is_empty()
                && is_sha_fallback_shape(item.hash_segment())
                && recorded_hash_dir.as_deref() != Some(item.hash_segment())
            {
                keymap
                    .write(
                        item.hash_segment().as_bytes(),
                        item.hash_raw(),
                        KIND_SHA_FALLBACK,
                    )
                    .map_err(DynamodbError::from)?;
                recorded_hash_dir = Some(item.hash_segment().to_string());
            }
            ctx.tree.write_file(&path, item.body())?;
            if is_sha_fallback_shape(last) {
                keymap
                    .write(encoded.as_bytes(), raw, KIND_SHA_FALLBACK)
                    .map_err(DynamodbError::from)?;
            }
            group = Some(FileGroup {
                first: item,
                more: 0,
            });
        }
        if let Some(g) = &group {
            finish_group(ctx, table, items_dir, g, COLLISION_HINT_PER_ITEM)?;
        }
        Ok(())
    })();
    // What was written stays reversible, also after an error.
    let finished = keymap.finish().map_err(DynamodbError::from);
    result?;
    finished?;
    Ok(())
}

/// Warns when more than one item of the winner's generation named the group's file.
fn finish_group(
    ctx: &mut FinalizeContext<'_>,
    table: &[u8],
    items_dir: &RelPath,
    group: &FileGroup,
    hint: &str,
) -> Result<(), AdapterError> {
    if group.more > 0 {
        let (last, _) = last_segment(&group.first);
        let (path, _) =
            item_path(items_dir, &group.first, last).map_err(|reason| DynamodbError::ItemPath {
                table: String::from_utf8_lossy(table).into_owned(),
                reason,
            })?;
        ctx.warnings.emit(
            "ddb_item_collision",
            &collision_fields(table, &path, group.more + 1, hint),
        );
    }
    Ok(())
}

/// JSONL layout: `items/data-<part>.jsonl`, one compact item per line, in file-name order
/// of the per-item layout; a part is closed before a line would take it past `bundle_size`
/// (a part holds at least one line). Lower-ranked items of the same primary key are
/// dropped as in the per-item layout; items of the same generation are all kept.
fn write_bundles(
    ctx: &mut FinalizeContext<'_>,
    table: &[u8],
    items_dir: &RelPath,
    bundle_size: u64,
    sorted: SortedRecords<Placed>,
) -> Result<(), AdapterError> {
    let mut part = 0u64;
    let mut out: Option<(JsonlWriter, u64)> = None;
    let mut group: Option<FileGroup> = None;
    for item in sorted {
        let item = item.map_err(spill_error)?;
        let mut new_group = true;
        if let Some(g) = &mut group {
            if g.first.same_file(&item) {
                if item.rank < g.first.rank {
                    continue;
                }
                g.more += 1;
                new_group = false;
            } else {
                finish_group(ctx, table, items_dir, g, COLLISION_HINT_JSONL)?;
            }
        }
        let line = item.body();
        let line_bytes = line.len() as u64 + 1;
        if let Some((writer, bytes)) = out.take() {
            if bytes + line_bytes > bundle_size {
                writer.finish()?;
                part += 1;
            } else {
                out = Some((writer, bytes));
            }
        }
        let (writer, bytes) = match &mut out {
            Some(open) => open,
            None => {
                let name = SafeName::new(format!("data-{part:05}.jsonl"))
                    .expect("a bundle name is a safe name");
                out.insert((ctx.tree.create_jsonl(&items_dir.join(name))?, 0))
            }
        };
        writer.write_line(line)?;
        *bytes += line_bytes;
        if new_group {
            group = Some(FileGroup {
                first: item,
                more: 0,
            });
        }
    }
    if let Some(g) = &group {
        finish_group(ctx, table, items_dir, g, COLLISION_HINT_JSONL)?;
    }
    if let Some((writer, _)) = out {
        writer.finish()?;
    }
    Ok(())
}

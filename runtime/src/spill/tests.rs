//! Behaviour of the spill facility as adapters see it: output independent of the budget,
//! shared budgets, bounded files, cleanup, and corruption detected rather than hidden.

use std::cmp::Ordering;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use tempfile::TempDir;

use super::*;

/// A record whose sort key (`key`) has many duplicates; `id` tells equal keys apart, so
/// tests see whether ties keep insertion order.
#[derive(Debug, Clone)]
struct Rec {
    key: u16,
    id: u32,
    payload: Vec<u8>,
}

impl Rec {
    fn new(key: u16, id: u32, payload_len: usize) -> Self {
        Rec {
            key,
            id,
            payload: vec![id as u8; payload_len],
        }
    }

    fn fields(&self) -> (u16, u32, Vec<u8>) {
        (self.key, self.id, self.payload.clone())
    }
}

impl PartialEq for Rec {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Rec {}

impl PartialOrd for Rec {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rec {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl SpillRecord for Rec {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key.to_le_bytes());
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.payload);
    }

    fn decode(bytes: &[u8]) -> Result<Self, SpillError> {
        if bytes.len() < 6 {
            return Err(SpillError::invalid_record(format!(
                "{} bytes, need at least 6",
                bytes.len()
            )));
        }
        Ok(Rec {
            key: u16::from_le_bytes([bytes[0], bytes[1]]),
            id: u32::from_le_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]),
            payload: bytes[6..].to_vec(),
        })
    }

    fn approx_size(&self) -> usize {
        std::mem::size_of::<Self>() + self.payload.len()
    }
}

/// A scratch directory (beside a would-be output root) and a budget of `limit` bytes.
fn context(limit: u64) -> (TempDir, SpillContext) {
    let parent = tempfile::tempdir().unwrap();
    let scratch = Scratch::new_in(parent.path(), &parent.path().join("out")).unwrap();
    (parent, SpillContext::new(MemoryBudget::new(limit), scratch))
}

fn files_in(ctx: &SpillContext) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(ctx.scratch().path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
}

/// What every budget must produce: a stable sort by key.
fn stable_sorted(records: &[Rec]) -> Vec<(u16, u32, Vec<u8>)> {
    let mut expected = records.to_vec();
    expected.sort_by_key(|r| r.key);
    expected.iter().map(Rec::fields).collect()
}

fn sort_with(ctx: &SpillContext, fan_in: usize, records: &[Rec]) -> Vec<(u16, u32, Vec<u8>)> {
    let mut sorter = ctx.sorter().with_fan_in(fan_in);
    for record in records {
        sorter.push(record.clone()).unwrap();
    }
    let out = sorter.finish().unwrap();
    out.map(|r| r.unwrap().fields()).collect()
}

fn queue_with(ctx: &SpillContext, records: &[Rec]) -> Vec<(u16, u32, Vec<u8>)> {
    let mut queue = ctx.queue();
    for record in records {
        queue.push(record.clone()).unwrap();
    }
    assert_eq!(queue.len(), records.len() as u64);
    queue
        .finish()
        .unwrap()
        .map(|r| r.unwrap().fields())
        .collect()
}

fn record_strategy() -> impl Strategy<Value = Vec<Rec>> {
    prop::collection::vec((0u16..6, 0usize..40), 0..150).prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(|(id, (key, len))| Rec::new(key, id as u32, len))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn output_does_not_depend_on_the_budget(
        records in record_strategy(),
        fan_in in 2usize..6,
    ) {
        let expected = stable_sorted(&records);
        for limit in [0, 1, 300, 5_000, u64::MAX] {
            let (_dir, ctx) = context(limit);
            prop_assert_eq!(&sort_with(&ctx, fan_in, &records), &expected, "budget {}", limit);
            prop_assert_eq!(&sort_with(&ctx, DEFAULT_FAN_IN, &records), &expected);
            let fifo: Vec<_> = records.iter().map(Rec::fields).collect();
            prop_assert_eq!(queue_with(&ctx, &records), fifo, "queue, budget {}", limit);
            prop_assert!(ctx.budget().peak() <= limit);
            prop_assert_eq!(ctx.budget().used(), 0);
            prop_assert!(files_in(&ctx).is_empty(), "files left: {:?}", files_in(&ctx));
        }
    }
}

/// A deterministic stream of records for `sorters` buffers, interleaved as a scan would
/// deliver them: (which sorter, record).
fn interleaved(count: u32, sorters: usize) -> Vec<(usize, Rec)> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..count)
        .map(|id| {
            // xorshift: cheap, reproducible
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let target = (state % sorters as u64) as usize;
            let key = (state >> 8) as u16 % 50;
            (target, Rec::new(key, id, (state >> 20) as usize % 64))
        })
        .collect()
}

fn sort_shared(limit: u64, fan_in: usize, input: &[(usize, Rec)]) -> Vec<Vec<(u16, u32, Vec<u8>)>> {
    let (_dir, ctx) = context(limit);
    let mut sorters: Vec<SpillSorter<Rec>> =
        (0..5).map(|_| ctx.sorter().with_fan_in(fan_in)).collect();
    for (target, record) in input {
        sorters[*target].push(record.clone()).unwrap();
        assert!(ctx.budget().used() <= limit);
    }
    if limit < u64::MAX {
        assert!(
            sorters.iter().all(|s| s.runs_written() > 0),
            "every sorter spilled"
        );
    } else {
        assert!(
            files_in(&ctx).is_empty(),
            "an unlimited budget never spills"
        );
    }
    let out = sorters
        .into_iter()
        .map(|s| s.finish().unwrap().map(|r| r.unwrap().fields()).collect())
        .collect();
    assert_eq!(ctx.budget().used(), 0);
    assert!(files_in(&ctx).is_empty());
    out
}

#[test]
fn sorters_sharing_a_tiny_budget_match_the_unbounded_case() {
    let input = interleaved(6_000, 5);
    let unbounded = sort_shared(u64::MAX, DEFAULT_FAN_IN, &input);
    for (target, out) in unbounded.iter().enumerate() {
        let mine: Vec<Rec> = input
            .iter()
            .filter(|(t, _)| *t == target)
            .map(|(_, r)| r.clone())
            .collect();
        assert_eq!(out, &stable_sorted(&mine));
    }
    assert_eq!(sort_shared(2_000, DEFAULT_FAN_IN, &input), unbounded);
    assert_eq!(sort_shared(2_000, 4, &input), unbounded);
    assert_eq!(sort_shared(0, 8, &input), unbounded);
}

#[test]
fn run_files_stay_bounded_and_final_merge_opens_at_most_fan_in() {
    let (_dir, ctx) = context(0);
    let fan_in = 3;
    let mut sorter = ctx.sorter().with_fan_in(fan_in);
    let records: Vec<Rec> = (0..2_000)
        .map(|i| Rec::new((i * 7 % 13) as u16, i, 3))
        .collect();
    for record in &records {
        sorter.push(record.clone()).unwrap();
        // At most fan_in - 1 runs per level, and 2000 records need under 8 levels.
        assert!(files_in(&ctx).len() <= (fan_in - 1) * 8);
    }
    assert!(sorter.runs_written() > 2_000, "compaction merges ran");
    assert!(
        files_in(&ctx).len() > fan_in,
        "finish has to merge in passes"
    );
    let out = sorter.finish().unwrap();
    assert!(
        files_in(&ctx).len() <= fan_in,
        "final merge reads at most fan_in runs"
    );
    let out: Vec<_> = out.map(|r| r.unwrap().fields()).collect();
    assert_eq!(out, stable_sorted(&records));
    assert!(
        files_in(&ctx).is_empty(),
        "runs are deleted as they are used up"
    );
}

#[test]
fn files_and_budget_are_released_on_drop() {
    let (_dir, ctx) = context(2_000);
    let mut sorter = ctx.sorter();
    let mut queue = ctx.queue();
    for i in 0..500 {
        sorter.push(Rec::new(i as u16 % 7, i, 10)).unwrap();
        queue.push(Rec::new(0, i, 10)).unwrap();
    }
    assert!(!files_in(&ctx).is_empty());
    assert!(ctx.budget().used() > 0);
    drop((sorter, queue));
    assert!(files_in(&ctx).is_empty());
    assert_eq!(ctx.budget().used(), 0);

    // Abandoning the output half-way cleans up as well.
    let mut sorter = ctx.sorter();
    for i in 0..500 {
        sorter.push(Rec::new(i as u16 % 7, i, 10)).unwrap();
    }
    let mut out = sorter.finish().unwrap();
    out.next().unwrap().unwrap();
    assert!(!files_in(&ctx).is_empty());
    drop(out);
    assert!(files_in(&ctx).is_empty());
    assert_eq!(ctx.budget().used(), 0);
}

#[test]
fn scratch_directory_goes_with_the_last_handle() {
    let (dir, ctx) = context(0);
    let path = ctx.scratch().path().to_path_buf();
    let mut sorter = ctx.sorter();
    sorter.push(Rec::new(1, 1, 1)).unwrap();
    drop(ctx);
    assert!(path.is_dir(), "the sorter keeps the scratch directory");
    let out: Vec<_> = sorter.finish().unwrap().map(|r| r.unwrap().id).collect();
    assert_eq!(out, [1]);
    assert!(!path.exists());
    drop(dir);
}

#[test]
fn scratch_inside_the_output_root_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let err = Scratch::new_in(out.path(), out.path()).unwrap_err();
    assert!(matches!(err, SpillError::ScratchOverlap { .. }), "{err}");
}

/// Spills four records with a zero budget into a queue or a sorter (which compacts them into
/// one run), damages the one spill file with `damage`, and reads everything back.
fn read_back_damaged(queue: bool, damage: impl FnOnce(&Path)) -> Result<Vec<Rec>, SpillError> {
    let (_dir, ctx) = context(0);
    let records = (0..4).map(|i| Rec::new(3 - i as u16, i, 5));
    if queue {
        let mut q = ctx.queue();
        records.for_each(|r| q.push(r).unwrap());
        damage(&files_in(&ctx)[0]);
        q.finish()?.collect()
    } else {
        // fan_in 2 with 4 runs: compaction leaves one merged run.
        let mut s = ctx.sorter().with_fan_in(2);
        records.for_each(|r| s.push(r).unwrap());
        assert_eq!(files_in(&ctx).len(), 1);
        damage(&files_in(&ctx)[0]);
        s.finish()?.collect()
    }
}

fn assert_corrupt(result: Result<Vec<Rec>, SpillError>, reason: &str) {
    match result {
        Err(err @ SpillError::Corrupt { .. }) => {
            let text = err.to_string();
            assert!(text.contains(reason), "{text}");
            assert!(text.contains(".spill"), "names the file: {text}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn truncated_run_is_corrupt_not_a_panic() {
    for queue in [false, true] {
        let truncate = |path: &Path| {
            let file = OpenOptions::new().write(true).open(path).unwrap();
            let len = file.metadata().unwrap().len();
            file.set_len(len - 3).unwrap();
        };
        assert_corrupt(read_back_damaged(queue, truncate), "truncated");
        // Cut at a record boundary: without the length check this would lose a record.
        let cut_record = |path: &Path| {
            let file = OpenOptions::new().write(true).open(path).unwrap();
            let len = file.metadata().unwrap().len();
            file.set_len(len - 15).unwrap();
        };
        assert_corrupt(read_back_damaged(queue, cut_record), "truncated");
    }
}

#[test]
fn damaged_record_is_corrupt_not_a_panic() {
    for queue in [false, true] {
        // A length prefix pointing past the end of the run.
        let huge_length = |path: &Path| {
            let mut file = OpenOptions::new().write(true).open(path).unwrap();
            file.write_all(&u32::MAX.to_le_bytes()).unwrap();
        };
        assert_corrupt(read_back_damaged(queue, huge_length), "runs past the end");
        // A well-framed record that does not decode: the first record shrunk to 2 bytes.
        let undecodable = |path: &Path| {
            let mut file = OpenOptions::new().write(true).open(path).unwrap();
            file.write_all(&2u32.to_le_bytes()).unwrap();
        };
        assert_corrupt(read_back_damaged(queue, undecodable), "need at least 6");
    }
}

#[test]
fn zero_sized_records_still_count_against_the_budget() {
    struct Empty(u8);
    impl SpillRecord for Empty {
        fn encode(&self, out: &mut Vec<u8>) {
            out.push(self.0);
        }
        fn decode(bytes: &[u8]) -> Result<Self, SpillError> {
            Ok(Empty(bytes[0]))
        }
        fn approx_size(&self) -> usize {
            0
        }
    }
    let (_dir, ctx) = context(0);
    let mut queue = ctx.queue();
    for i in 0..10 {
        queue.push(Empty(i)).unwrap();
    }
    assert_eq!(queue.bytes_written(), 50);
    let out: Vec<u8> = queue.finish().unwrap().map(|r| r.unwrap().0).collect();
    assert_eq!(out, (0..10).collect::<Vec<_>>());
}

//! Picking the version a reader would see (core.md §1.3, §1.6).
//!
//! A store reader at read timestamp `T` sees, for each user key, the newest version with
//! `commit_ts <= T`, unless that version is a tombstone or has expired
//! (`expire_at != 0 && expire_at <= T`). Older versions never show through.
//!
//! The versions of one user key arrive newest first (the suffix is the inverted timestamp)
//! but not necessarily adjacent: keys that extend the user key (`ab` + `\x00…` or `\xFE…`)
//! and versions of shorter keys it extends can sort between them. [`VersionResolver`]
//! therefore does not rely on adjacency. It exploits the sort order instead: the raw keys
//! starting with a user key `U` form one contiguous range, so `U` can only be "seen before"
//! while every key since its first version has `U` as a prefix. The resolver keeps the
//! previous encoded key and a stack of the user keys (by length) that are prefixes of it;
//! memory is `O(key length)`, independent of the number of keys.

/// What a reader at the resolver's read timestamp makes of one MVCC version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The version a reader sees.
    Visible,
    /// An older version of a key whose version (visible, deleted or expired) was already
    /// chosen.
    Superseded,
    /// The chosen version is a tombstone: the key is deleted.
    Tombstoned,
    /// The chosen version has expired at the read timestamp.
    Expired,
    /// The version was committed after the read timestamp.
    AfterReadTs,
}

impl Verdict {
    /// `true` only for [`Verdict::Visible`].
    pub fn is_visible(self) -> bool {
        self == Verdict::Visible
    }

    /// Stable lower-case name for logs and counters.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Visible => "visible",
            Verdict::Superseded => "superseded",
            Verdict::Tombstoned => "tombstoned",
            Verdict::Expired => "expired",
            Verdict::AfterReadTs => "after_read_ts",
        }
    }
}

/// The verdict for the version a reader at `read_ts` chooses for its key (the newest with
/// `commit_ts <= read_ts`), ignoring the other versions. `None` = unknown read timestamp:
/// nothing expires.
pub fn chosen_verdict(read_ts: Option<u64>, tombstone: bool, expire_at: u64) -> Verdict {
    if tombstone {
        Verdict::Tombstoned
    } else if matches!(read_ts, Some(t) if expire_at != 0 && expire_at <= t) {
        Verdict::Expired
    } else {
        Verdict::Visible
    }
}

#[derive(Debug, Clone, Copy)]
struct Open {
    /// Length of the user key.
    len: usize,
    /// A version of it has been chosen already.
    decided: bool,
}

/// Decides, entry by entry, what a reader at `read_ts` sees. Feed it every MVCC entry of a
/// stream in stream order (strictly ascending encoded keys; operational rows are simply not
/// fed). Memory is bounded by the key length, not the key count.
#[derive(Debug, Clone)]
pub struct VersionResolver {
    read_ts: Option<u64>,
    prev: Vec<u8>,
    has_prev: bool,
    /// User keys that are prefixes of `prev`, sorted by strictly increasing length.
    open: Vec<Open>,
}

impl VersionResolver {
    /// A resolver for read timestamp `read_ts` (`None`: newest version wins, nothing expires).
    pub fn new(read_ts: Option<u64>) -> Self {
        VersionResolver {
            read_ts,
            prev: Vec::new(),
            has_prev: false,
            open: Vec::new(),
        }
    }

    /// The read timestamp.
    pub fn read_ts(&self) -> Option<u64> {
        self.read_ts
    }

    /// Verdict for one entry (convenience over [`VersionResolver::resolve`]).
    pub fn resolve_entry(&mut self, entry: &super::MvccEntry<'_>) -> Verdict {
        self.resolve(
            entry.encoded_key,
            entry.commit_ts,
            entry.tombstone,
            entry.expire_at,
        )
    }

    /// Verdict for the version `encoded_key` (= user key ‖ 8-byte inverted timestamp).
    ///
    /// `encoded_key` must be at least 8 bytes long and strictly greater than the previous one
    /// fed (what [`super::SnapshotReader`] guarantees); otherwise the verdicts are
    /// unspecified (debug builds panic).
    pub fn resolve(
        &mut self,
        encoded_key: &[u8],
        commit_ts: u64,
        tombstone: bool,
        expire_at: u64,
    ) -> Verdict {
        debug_assert!(encoded_key.len() >= 8, "MVCC key shorter than its suffix");
        debug_assert!(
            !self.has_prev || encoded_key > self.prev.as_slice(),
            "VersionResolver fed out of order"
        );
        let user_len = encoded_key.len().saturating_sub(8);
        let lcp = if self.has_prev {
            common_prefix_len(&self.prev, encoded_key)
        } else {
            0
        };
        // User keys longer than the common prefix are not prefixes of this key, nor (input
        // being sorted) of any later one: their range is finished.
        while self.open.last().is_some_and(|o| o.len > lcp) {
            self.open.pop();
        }
        self.prev.clear();
        self.prev.extend_from_slice(encoded_key);
        self.has_prev = true;

        // Every remaining entry is a prefix of this key; `open` is sorted by length.
        let slot = match self.open.binary_search_by_key(&user_len, |o| o.len) {
            Ok(i) => i,
            Err(i) => {
                self.open.insert(
                    i,
                    Open {
                        len: user_len,
                        decided: false,
                    },
                );
                i
            }
        };
        let state = &mut self.open[slot];
        if state.decided {
            return Verdict::Superseded;
        }
        if matches!(self.read_ts, Some(t) if commit_ts > t) {
            return Verdict::AfterReadTs;
        }
        state.decided = true;
        chosen_verdict(self.read_ts, tombstone, expire_at)
    }
}

fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    // Compare 8 bytes at a time, then finish byte by byte.
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_ne_bytes(a[i..i + 8].try_into().unwrap_or([0; 8]));
        let y = u64::from_ne_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        if x != y {
            break;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::entry::encode_mvcc_key;
    use proptest::prelude::*;

    /// (user key, commit_ts, tombstone, expire_at)
    type V = (Vec<u8>, u64, bool, u64);

    fn v(k: &[u8], ts: u64, tomb: bool, exp: u64) -> V {
        (k.to_vec(), ts, tomb, exp)
    }

    /// Sorts by encoded key (the stream order) and resolves every version.
    fn run(read_ts: Option<u64>, mut versions: Vec<V>) -> Vec<(V, Verdict)> {
        versions.sort_by_key(|(k, ts, _, _)| encode_mvcc_key(k, *ts));
        let mut r = VersionResolver::new(read_ts);
        let max_len = versions.iter().map(|x| x.0.len()).max().unwrap_or(0);
        versions
            .into_iter()
            .map(|x| {
                let verdict = r.resolve(&encode_mvcc_key(&x.0, x.1), x.1, x.2, x.3);
                assert!(r.open.len() <= max_len + 1, "stack bounded by key length");
                (x, verdict)
            })
            .collect()
    }

    /// Reference: group by user key regardless of position.
    fn brute(read_ts: Option<u64>, mut versions: Vec<V>) -> Vec<(V, Verdict)> {
        versions.sort_by_key(|(k, ts, _, _)| encode_mvcc_key(k, *ts));
        let all = versions.clone();
        versions
            .into_iter()
            .map(|x| {
                let readable = |ts: u64| !matches!(read_ts, Some(t) if ts > t);
                let chosen = all
                    .iter()
                    .filter(|y| y.0 == x.0 && readable(y.1))
                    .max_by_key(|y| y.1);
                let verdict = if !readable(x.1) {
                    Verdict::AfterReadTs
                } else if chosen.map(|c| c.1) == Some(x.1) {
                    chosen_verdict(read_ts, x.2, x.3)
                } else {
                    Verdict::Superseded
                };
                (x, verdict)
            })
            .collect()
    }

    fn verdicts_of(out: &[(V, Verdict)], key: &[u8]) -> Vec<(u64, Verdict)> {
        out.iter()
            .filter(|(x, _)| x.0 == key)
            .map(|(x, v)| (x.1, *v))
            .collect()
    }

    #[test]
    fn three_versions() {
        let out = run(
            None,
            vec![
                v(b"k", 10, false, 0),
                v(b"k", 30, false, 0),
                v(b"k", 20, false, 0),
            ],
        );
        assert_eq!(
            verdicts_of(&out, b"k"),
            vec![
                (30, Verdict::Visible),
                (20, Verdict::Superseded),
                (10, Verdict::Superseded)
            ]
        );
        assert_eq!(out, brute(None, out.iter().map(|x| x.0.clone()).collect()));
    }

    #[test]
    fn newest_tombstone_hides_older_versions() {
        let out = run(
            Some(100),
            vec![
                v(b"k", 20, true, 0),
                v(b"k", 10, false, 0),
                v(b"j", 5, false, 0),
            ],
        );
        assert_eq!(
            verdicts_of(&out, b"k"),
            vec![(20, Verdict::Tombstoned), (10, Verdict::Superseded)]
        );
        assert_eq!(verdicts_of(&out, b"j"), vec![(5, Verdict::Visible)]);
    }

    #[test]
    fn expired_newest_version() {
        let versions = vec![v(b"k", 20, false, 50), v(b"k", 10, false, 0)];
        assert_eq!(
            verdicts_of(&run(Some(100), versions.clone()), b"k"),
            vec![(20, Verdict::Expired), (10, Verdict::Superseded)]
        );
        // expire_at == read_ts is expired; expire_at > read_ts is not.
        assert_eq!(
            verdicts_of(&run(Some(50), versions.clone()), b"k")[0],
            (20, Verdict::Expired)
        );
        assert_eq!(
            verdicts_of(&run(Some(49), versions.clone()), b"k")[0],
            (20, Verdict::Visible)
        );
        // Unknown read timestamp: nothing expires.
        assert_eq!(
            verdicts_of(&run(None, versions), b"k")[0],
            (20, Verdict::Visible)
        );
        assert_eq!(chosen_verdict(Some(5), false, 0), Verdict::Visible);
        assert_eq!(chosen_verdict(Some(5), true, 1), Verdict::Tombstoned);
    }

    #[test]
    fn read_ts_in_the_past() {
        let versions = vec![
            v(b"k", 30, true, 0),
            v(b"k", 20, false, 0),
            v(b"k", 10, false, 0),
        ];
        assert_eq!(
            verdicts_of(&run(Some(25), versions.clone()), b"k"),
            vec![
                (30, Verdict::AfterReadTs),
                (20, Verdict::Visible),
                (10, Verdict::Superseded)
            ]
        );
        assert_eq!(
            verdicts_of(&run(Some(20), versions.clone()), b"k")[1],
            (20, Verdict::Visible)
        );
        assert_eq!(
            verdicts_of(&run(Some(5), versions.clone()), b"k"),
            vec![
                (30, Verdict::AfterReadTs),
                (20, Verdict::AfterReadTs),
                (10, Verdict::AfterReadTs)
            ]
        );
        assert_eq!(
            verdicts_of(&run(Some(30), versions), b"k")[0],
            (30, Verdict::Tombstoned)
        );
    }

    /// `ab`'s versions are split by `ab\x00…` and `ab\xFE…` keys, and a shorter key `a`
    /// whose suffix bytes start with `b` interleaves with them (core.md §1.6).
    #[test]
    fn interleaved_versions() {
        let ts_max = u64::MAX; // suffix 00 00 …: sorts before ab\x00x
        let ts_fd = !0xFD00_0000_0000_0000u64; // suffix FD 00 …: between \x00 and \xFE
        let ts_1 = 1; // suffix FF … FE: after ab\xFE
        let a_hi = !0x6200_0000_0000_0000u64; // `a` ‖ 62 00 …  < `ab` ‖ 00 …
        let a_lo = !0x62FE_0000_0000_0000u64; // `a` ‖ 62 FE …  between ab@FD and ab\xFE
        let versions = vec![
            v(b"ab", ts_max, false, 0),
            v(b"ab", ts_fd, false, 0),
            v(b"ab", ts_1, false, 0),
            v(b"ab\x00x", 5, false, 0),
            v(b"ab\xFE\x01", 5, false, 0),
            v(b"a", a_hi, false, 0),
            v(b"a", a_lo, true, 0),
        ];
        let out = run(None, versions.clone());
        let order: Vec<(&[u8], u64)> = out.iter().map(|(x, _)| (&x.0[..], x.1)).collect();
        assert_eq!(
            order,
            vec![
                (&b"a"[..], a_hi),
                (&b"ab"[..], ts_max),
                (&b"ab\x00x"[..], 5),
                (&b"ab"[..], ts_fd),
                (&b"a"[..], a_lo),
                (&b"ab\xFE\x01"[..], 5),
                (&b"ab"[..], ts_1),
            ],
            "the test data really interleaves"
        );
        let verdicts: Vec<Verdict> = out.iter().map(|(_, v)| *v).collect();
        assert_eq!(
            verdicts,
            vec![
                Verdict::Visible,
                Verdict::Visible,
                Verdict::Visible,
                Verdict::Superseded,
                Verdict::Superseded,
                Verdict::Visible,
                Verdict::Superseded,
            ]
        );
        assert_eq!(out, brute(None, versions.clone()));

        // Read below `ab`'s newest and `a`'s versions.
        let read = Some(0x0300_0000_0000_0000u64);
        let out = run(read, versions.clone());
        assert_eq!(
            verdicts_of(&out, b"ab"),
            vec![
                (ts_max, Verdict::AfterReadTs),
                (ts_fd, Verdict::Visible),
                (ts_1, Verdict::Superseded)
            ]
        );
        assert_eq!(
            verdicts_of(&out, b"a"),
            vec![(a_hi, Verdict::AfterReadTs), (a_lo, Verdict::AfterReadTs)]
        );
        assert_eq!(out, brute(read, versions.clone()));

        // Read between `a`'s versions: the older one (a tombstone) is chosen.
        let read = Some(a_lo);
        let out = run(read, versions.clone());
        assert_eq!(
            verdicts_of(&out, b"a"),
            vec![(a_hi, Verdict::AfterReadTs), (a_lo, Verdict::Tombstoned)]
        );
        assert_eq!(out, brute(read, versions));
    }

    #[test]
    fn empty_user_key_and_prefix_chains() {
        let versions = vec![
            v(b"", 2, false, 0),
            v(b"", 1, false, 0),
            v(b"\x00", 3, false, 0),
            v(b"\x00\x00", 3, false, 0),
            v(b"\x00\x00\x00", 9, false, 0),
            v(b"\x00\x00\x00", 8, false, 0),
            v(b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 0, false, 0),
            v(b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 0, false, 0),
        ];
        for read in [None, Some(0), Some(1), Some(2), Some(8), Some(u64::MAX)] {
            assert_eq!(run(read, versions.clone()), brute(read, versions.clone()));
        }
    }

    #[test]
    fn memory_is_bounded_by_key_length() {
        let mut r = VersionResolver::new(None);
        for i in 0u32..20_000 {
            let k = encode_mvcc_key(format!("key{i:08}").as_bytes(), 1);
            assert_eq!(r.resolve(&k, 1, false, 0), Verdict::Visible);
            assert!(r.open.len() <= 1);
        }
        // A deep prefix chain: at most one entry per distinct length.
        let mut r = VersionResolver::new(None);
        for n in 0..200usize {
            let k = encode_mvcc_key(&vec![0u8; n], u64::MAX);
            r.resolve(&k, u64::MAX, false, 0);
            assert!(r.open.len() <= n + 1);
        }
        assert_eq!(r.read_ts(), None);
        assert_eq!(Verdict::AfterReadTs.name(), "after_read_ts");
    }

    const ALPHABET: [u8; 7] = [0x00, 0x01, 0x61, 0x62, 0x9D, 0xFE, 0xFF];

    fn version_strategy() -> impl Strategy<Value = V> {
        (
            proptest::collection::vec(proptest::sample::select(&ALPHABET[..]), 0..4),
            prop_oneof![
                // Suffix bytes drawn from the key alphabet: maximal interleaving.
                proptest::collection::vec(proptest::sample::select(&ALPHABET[..]), 8)
                    .prop_map(|s| !u64::from_be_bytes(s.try_into().unwrap())),
                0u64..8,
                any::<u64>(),
            ],
            any::<bool>(),
            prop_oneof![Just(0u64), 0u64..8, any::<u64>()],
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn matches_brute_force(
            raw in proptest::collection::vec(version_strategy(), 0..40),
            read_choice in 0usize..4,
            any_ts in any::<u64>(),
        ) {
            // Unique (user key, ts): the encoded key is unique then.
            let mut seen = std::collections::HashSet::new();
            let versions: Vec<V> = raw
                .into_iter()
                .filter(|x| seen.insert((x.0.clone(), x.1)))
                .collect();
            let read_ts = match read_choice {
                0 => None,
                1 => Some(any_ts),
                2 => versions.first().map(|x| x.1),
                _ => Some(any_ts % 8),
            };
            prop_assert_eq!(run(read_ts, versions.clone()), brute(read_ts, versions));
        }
    }
}

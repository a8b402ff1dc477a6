//! Entry classes and run counters.
//!
//! Every raw entry of the input lands in exactly one [`EntryClass`]; [`Counters::check`]
//! proves the sum. Upstream counts every stored version as if it were live (core.md §2.5); we
//! count what a reader would see, and say what happened to every other version.

use crate::keys::AdapterId;

/// What happened to one raw entry of the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryClass {
    /// A raw store row without MVCC framing (`_meta_*`, encryption writer registry).
    Operational,
    /// A version committed after the read timestamp: a reader at read_ts does not see it yet.
    AfterReadTs,
    /// An older version of a key whose newest visible-or-deleted version was already chosen.
    Superseded,
    /// The chosen version is a tombstone: the key is deleted.
    Tombstoned,
    /// The chosen version expired at or before the read timestamp.
    Expired,
    /// Visible, routed to an enabled adapter.
    Adapter(AdapterId),
    /// Visible, an always-internal prefix (`!txn|`, `!dist|`, ...).
    Internal,
    /// Visible, routed to an adapter that `--adapter` excluded.
    AdapterDisabled,
    /// Visible, no key family matches.
    Unknown,
}

impl EntryClass {
    /// Stable name used in summaries, MANIFEST.json and `--json` output.
    pub fn name(self) -> &'static str {
        match self {
            EntryClass::Operational => "operational",
            EntryClass::AfterReadTs => "after_read_ts",
            EntryClass::Superseded => "superseded",
            EntryClass::Tombstoned => "tombstoned",
            EntryClass::Expired => "expired",
            EntryClass::Adapter(a) => a.name(),
            EntryClass::Internal => "internal",
            EntryClass::AdapterDisabled => "adapter_disabled",
            EntryClass::Unknown => "unknown",
        }
    }
}

/// Counts per [`EntryClass`], plus the total.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub entries: u64,
    pub operational: u64,
    pub after_read_ts: u64,
    pub superseded: u64,
    pub tombstoned: u64,
    pub expired: u64,
    pub dynamodb: u64,
    pub s3: u64,
    pub redis: u64,
    pub sqs: u64,
    pub internal: u64,
    pub adapter_disabled: u64,
    pub unknown: u64,
}

impl Counters {
    /// Counts one entry in `class`.
    pub fn add(&mut self, class: EntryClass) {
        self.entries += 1;
        *self.slot(class) += 1;
    }

    fn slot(&mut self, class: EntryClass) -> &mut u64 {
        match class {
            EntryClass::Operational => &mut self.operational,
            EntryClass::AfterReadTs => &mut self.after_read_ts,
            EntryClass::Superseded => &mut self.superseded,
            EntryClass::Tombstoned => &mut self.tombstoned,
            EntryClass::Expired => &mut self.expired,
            EntryClass::Adapter(AdapterId::Dynamodb) => &mut self.dynamodb,
            EntryClass::Adapter(AdapterId::S3) => &mut self.s3,
            EntryClass::Adapter(AdapterId::Redis) => &mut self.redis,
            EntryClass::Adapter(AdapterId::Sqs) => &mut self.sqs,
            // An internal family is never an adapter target; count it where it belongs.
            EntryClass::Adapter(AdapterId::Internal) | EntryClass::Internal => &mut self.internal,
            EntryClass::AdapterDisabled => &mut self.adapter_disabled,
            EntryClass::Unknown => &mut self.unknown,
        }
    }

    /// MVCC versions read (every entry that is not an operational row).
    pub fn versions(&self) -> u64 {
        self.entries - self.operational
    }

    /// Every class with its count, in a fixed order (the order of summaries and MANIFEST).
    pub fn named(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("entries", self.entries),
            ("operational", self.operational),
            ("after_read_ts", self.after_read_ts),
            ("superseded", self.superseded),
            ("tombstoned", self.tombstoned),
            ("expired", self.expired),
            ("dynamodb", self.dynamodb),
            ("s3", self.s3),
            ("redis", self.redis),
            ("sqs", self.sqs),
            ("internal", self.internal),
            ("adapter_disabled", self.adapter_disabled),
            ("unknown", self.unknown),
        ]
    }

    /// True when every entry was counted in exactly one class.
    pub fn check(&self) -> bool {
        let classes: u64 = self.named().iter().skip(1).map(|(_, n)| n).sum();
        classes == self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_adds_to_the_total() {
        let mut c = Counters::default();
        let classes = [
            EntryClass::Operational,
            EntryClass::AfterReadTs,
            EntryClass::Superseded,
            EntryClass::Tombstoned,
            EntryClass::Expired,
            EntryClass::Adapter(AdapterId::Dynamodb),
            EntryClass::Adapter(AdapterId::S3),
            EntryClass::Adapter(AdapterId::Redis),
            EntryClass::Adapter(AdapterId::Sqs),
            EntryClass::Internal,
            EntryClass::AdapterDisabled,
            EntryClass::Unknown,
        ];
        for (i, class) in classes.iter().enumerate() {
            for _ in 0..=i {
                c.add(*class);
            }
        }
        assert!(c.check());
        assert_eq!(c.entries, (1..=12).sum::<u64>());
        assert_eq!(c.unknown, 12);
        assert_eq!(c.operational, 1);
        assert_eq!(c.versions(), c.entries - 1);
    }

    #[test]
    fn check_detects_a_mismatch() {
        let c = Counters {
            entries: 2,
            unknown: 1,
            ..Counters::default()
        };
        assert!(!c.check());
    }
}

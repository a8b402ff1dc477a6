//! Structured warnings.
//!
//! A warning is an event name from the reference (e.g. `sqs_orphan_messages`) with ordered
//! fields. Each one is emitted as a `tracing` event (target `ekvsnap::warning`) and counted, so
//! the run summary and `--json` output say how many of each occurred.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Collects and emits warnings for one run.
#[derive(Debug, Default)]
pub struct Warnings {
    counts: BTreeMap<&'static str, u64>,
}

impl Warnings {
    /// Emits `event` with `fields` (rendered `key=value`, in order) and counts it.
    pub fn emit(&mut self, event: &'static str, fields: &[(&'static str, String)]) {
        let mut rendered = String::new();
        for (i, (key, value)) in fields.iter().enumerate() {
            if i > 0 {
                rendered.push(' ');
            }
            let _ = write!(rendered, "{key}={value:?}");
        }
        tracing::warn!(target: "ekvsnap::warning", event, "{rendered}");
        *self.counts.entry(event).or_default() += 1;
    }

    /// How many times each event occurred, by event name.
    pub fn counts(&self) -> &BTreeMap<&'static str, u64> {
        &self.counts
    }

    /// Total number of warnings.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_event() {
        let mut w = Warnings::default();
        w.emit("a_event", &[("count", "3".into())]);
        w.emit("a_event", &[]);
        w.emit("b_event", &[("x", "y".into())]);
        assert_eq!(w.counts().get("a_event"), Some(&2));
        assert_eq!(w.counts().get("b_event"), Some(&1));
        assert_eq!(w.total(), 3);
    }
}

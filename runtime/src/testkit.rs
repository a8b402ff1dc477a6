//! Shared unit-test harness: captures what `Warnings::emit` sends to `tracing`.

use std::sync::{Arc, Mutex};

use crate::adapters::{Adapter, AdapterError, FinalizeContext};
use crate::output::OutputTree;
use crate::warnings::Warnings;

/// One emitted warning: the event name and its rendered fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning {
    pub(crate) event: String,
    pub(crate) fields: String,
}

/// Captures what `Warnings::emit` sends to `tracing`.
#[derive(Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<Warning>>>);

struct WarningVisitor {
    event: String,
    fields: String,
}

impl tracing::field::Visit for WarningVisitor {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "event" {
            self.event = value.to_string();
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.fields = format!("{value:?}"),
            "event" => self.event = format!("{value:?}").trim_matches('"').to_string(),
            _ => {}
        }
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if event.metadata().target() != "ekvsnap::warning" {
            return;
        }
        let mut v = WarningVisitor {
            event: String::new(),
            fields: String::new(),
        };
        event.record(&mut v);
        self.0.lock().unwrap().push(Warning {
            event: v.event,
            fields: v.fields,
        });
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// Finalizes `adapter` into `tree` under a [`Capture`]; checks that every counted warning was
/// emitted and returns the result with the warnings seen.
pub(crate) fn finalize_capturing<A: Adapter>(
    adapter: &mut A,
    tree: &OutputTree,
) -> (Result<(), AdapterError>, Vec<Warning>) {
    let capture = Capture::default();
    let mut warnings = Warnings::default();
    let result = tracing::subscriber::with_default(capture.clone(), || {
        adapter.finalize(&mut FinalizeContext {
            tree,
            warnings: &mut warnings,
        })
    });
    let seen = capture.0.lock().unwrap().clone();
    assert_eq!(warnings.total(), seen.len() as u64);
    (result, seen)
}

/// The event names of `warnings`, in order.
pub(crate) fn events(warnings: &[Warning]) -> Vec<&str> {
    warnings.iter().map(|w| w.event.as_str()).collect()
}

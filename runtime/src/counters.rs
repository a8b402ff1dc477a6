//! TODO(skeleton): module `counters`.

//! TODO(skeleton): module `decode`.

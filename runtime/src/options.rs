//! TODO(skeleton): module `options`.

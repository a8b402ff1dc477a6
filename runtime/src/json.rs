//! TODO(skeleton): module `json`.

//! TODO(skeleton): module `checksums`.

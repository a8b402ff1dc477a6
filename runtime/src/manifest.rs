//! TODO(skeleton): module `manifest`.

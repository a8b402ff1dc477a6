//! TODO(skeleton): module `inspect`.

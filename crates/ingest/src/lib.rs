//! Reads force exports.

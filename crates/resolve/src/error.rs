//! The one error type of person resolution.

use std::fmt;

/// What went wrong.
#[derive(Debug)]
pub enum ErrorKind {
    /// A model file could not be read or written.
    Io(std::io::Error),
    /// A model file is not valid JSON for a model.
    ModelFormat(serde_json::Error),
    /// A model does not fit this engine's comparisons (wrong names or level counts).
    ModelMismatch(String),
    /// A CSV file (truth or prediction) could not be read.
    Csv(csv::Error),
    /// A record id named on the command line or in a file is not among the records.
    UnknownRecord(String),
    /// Options that cannot work together.
    BadOptions(String),
}

/// An error from person resolution, with what it was about.
#[derive(Debug)]
pub struct ResolveError {
    kind: ErrorKind,
    context: String,
}

impl ResolveError {
    /// A new error of `kind` about `context` (a path, a record id, …).
    pub fn new(kind: ErrorKind, context: impl Into<String>) -> ResolveError {
        ResolveError { kind, context: context.into() }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.context.is_empty() {
            write!(f, "{}: ", self.context)?;
        }
        match &self.kind {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::ModelFormat(e) => write!(f, "not a valid model file: {e}"),
            ErrorKind::ModelMismatch(s) => write!(f, "model does not fit this engine: {s}"),
            ErrorKind::Csv(e) => write!(f, "{e}"),
            ErrorKind::UnknownRecord(r) => write!(f, "no record with id {r:?}"),
            ErrorKind::BadOptions(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for ResolveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::ModelFormat(e) => Some(e),
            ErrorKind::Csv(e) => Some(e),
            _ => None,
        }
    }
}

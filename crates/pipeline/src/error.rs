//! The one error type of the pipeline.

use std::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Person linkage failed: options that cannot work together, or a model that does not fit.
    Linkage,
    /// A persons file (`record_id,person_id`) could not be read, or lacks a column.
    Persons,
    /// An output file could not be written.
    Write,
}

/// An error of the pipeline: its kind, what it was about, and the error it came from.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    context: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// An error of `kind` about `context` (what was being done, or a file), caused by `source`.
    pub fn new(
        kind: ErrorKind,
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Error {
        Error { kind, context: context.into(), source: Some(source.into()) }
    }

    /// An error of `kind` with no error underneath: `message` says it all.
    pub fn message(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, context: message.into(), source: None }
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for Error {
    /// What was being done; the cause is the [`std::error::Error::source`] (printed after a
    /// colon by `{:#}` in `anyhow`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

impl Error {
    /// The message with every cause after it, `: `-separated (for callers that keep text).
    pub fn chain(&self) -> String {
        let mut s = self.to_string();
        let mut next = std::error::Error::source(self);
        while let Some(e) = next {
            s.push_str(": ");
            s.push_str(&e.to_string());
            next = e.source();
        }
        s
    }
}

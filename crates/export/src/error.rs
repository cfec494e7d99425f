//! The one error type of the exports.

use std::fmt;

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No course of conduct has the id asked for.
    UnknownCourse,
    /// No person has the id asked for.
    UnknownPerson,
    /// The force named is not a force of England and Wales (nor an alias of one).
    UnknownForce,
    /// An output file could not be created or written (its source is the I/O, XML or Parquet
    /// error).
    Write,
}

/// An error of the exports: its kind, what it was about, and the error it came from.
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

    /// Whether the error is in what was asked for (an unknown course, person or force) rather
    /// than in writing: a command line maps these to its usage exit code.
    pub fn is_selection(&self) -> bool {
        matches!(self.kind, ErrorKind::UnknownCourse | ErrorKind::UnknownPerson | ErrorKind::UnknownForce)
    }
}

impl fmt::Display for Error {
    /// What was being done; the cause is the [`std::error::Error::source`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e.as_ref() as &(dyn std::error::Error + 'static))
    }
}

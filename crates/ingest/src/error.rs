//! The one error type of the ingest crate: a problem that stops a file being read at all
//! (as opposed to a bad row, which becomes a [`crate::Reject`] and the run goes on).

use std::fmt;
use std::path::PathBuf;

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file is in an encoding we do not read (UTF-16, say); re-save it as UTF-8.
    Encoding(String),
    /// The Parquet file is damaged or not Parquet.
    Parquet(String),
    /// The rejects or warnings file could not be written.
    Write(String),
    /// The side receiving accepted records stopped (it reports its own error).
    Stopped,
    /// Not something the readers take (a device or a pipe, say).
    Unsupported(String),
    /// The file went past one of the import's [`crate::Limits`]; the message names the limit
    /// and the flag that raises it.
    Limit(String),
}

/// An error that stops a file being read, with the file and, where known, the line.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: PathBuf,
    line: Option<u64>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: impl Into<PathBuf>, line: Option<u64>) -> Error {
        Error { kind, path: path.into(), line }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The line, where the problem has one.
    pub fn line(&self) -> Option<u64> {
        self.line
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        match &self.kind {
            ErrorKind::Io(e) => write!(f, ": {e}"),
            ErrorKind::Encoding(m) | ErrorKind::Parquet(m) | ErrorKind::Write(m) | ErrorKind::Unsupported(m) | ErrorKind::Limit(m) => {
                write!(f, ": {m}")
            }
            ErrorKind::Stopped => write!(f, ": the import stopped because the store failed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

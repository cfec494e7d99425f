//! The one error type of the store crate.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// SQLite reported an error.
    Sqlite(rusqlite::Error),
    /// Reading the export failed (the import was rolled back).
    Ingest(conduct_ingest::Error),
    /// The workspace was written by a newer Conduct with a schema this one does not know.
    NewerSchema {
        /// The workspace's version.
        found: u32,
        /// The newest version this build knows.
        known: u32,
    },
    /// SQLite's integrity check failed.
    Corrupt(String),
    /// A file or directory could not be used.
    Io(std::io::Error),
}

/// A store error, naming the database file.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: PathBuf,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, path: &Path) -> Error {
        Error { kind, path: path.to_path_buf() }
    }

    pub(crate) fn at(mut self, path: &Path) -> Error {
        self.path = path.to_path_buf();
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error { kind: ErrorKind::Sqlite(e), path: PathBuf::new() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Ingest(e) => write!(f, "{e} (nothing was imported)"),
            ErrorKind::Sqlite(e) => write!(f, "{}: {e}", self.path.display()),
            ErrorKind::NewerSchema { found, known } => write!(
                f,
                "{}: the workspace has schema version {found}, newer than this Conduct knows ({known}); upgrade Conduct",
                self.path.display()
            ),
            ErrorKind::Corrupt(m) => write!(f, "{}: integrity check failed: {m}", self.path.display()),
            ErrorKind::Io(e) => write!(f, "{}: {e}", self.path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // The message already says what the inner error says; a source would print it twice
        // in `conduct: error: …` (anyhow's `{:#}` walks the chain).
        None
    }
}

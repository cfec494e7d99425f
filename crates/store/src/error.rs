//! The one error type of the store crate.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// SQLite reported an error.
    Sqlite(rusqlite::Error),
    /// The database (SQLite or PostgreSQL, through [`crate::db`]) reported an error, or what a
    /// statement returned could not be used.
    Db {
        /// What failed, in words that name the statement's first words or the database, with
        /// the source's text, so that `{error}` alone says what happened.
        message: String,
        /// The driver's (or file system's) own error, when there is one.
        source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    },
    /// Reading the export failed (the import was rolled back).
    Ingest(Box<conduct_ingest::Error>),
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
    /// The store holds a linked population (incremental linkage) whose index a plain import
    /// would leave behind: import through the path that keeps it.
    PopulationHeld,
    /// A stored row could not be turned back into a record ([`crate::rows`]).
    BadRow {
        /// The table.
        table: &'static str,
        /// The column whose value could not be read.
        column: &'static str,
        /// The record's key, as far as it could be read: its force and reference.
        key: String,
        /// What is wrong with the value.
        reason: String,
    },
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

    /// The same error, naming `path` (the database file or the server's database).
    pub fn at(mut self, path: &Path) -> Error {
        self.path = path.to_path_buf();
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// A database error of the store's own ([`ErrorKind::Db`]), with no error behind it.
    pub fn db(message: impl Into<String>) -> Error {
        Error { kind: ErrorKind::Db { message: message.into(), source: None }, path: PathBuf::new() }
    }

    /// A database error caused by `source` (kept, and returned by
    /// [`std::error::Error::source`]); `message` includes the source's text.
    pub fn db_caused(message: impl Into<String>, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error { kind: ErrorKind::Db { message: message.into(), source: Some(Box::new(source)) }, path: PathBuf::new() }
    }

    /// Whether the database failed ([`ErrorKind::Db`] or [`ErrorKind::Sqlite`]), rather than
    /// the records or the workspace.
    pub fn is_db(&self) -> bool {
        matches!(self.kind, ErrorKind::Db { .. } | ErrorKind::Sqlite(_))
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
            ErrorKind::Db { message, .. } if self.path.as_os_str().is_empty() => f.write_str(message),
            ErrorKind::Db { message, .. } => write!(f, "{}: {message}", self.path.display()),
            ErrorKind::NewerSchema { found, known } => write!(
                f,
                "{}: the workspace has schema version {found}, newer than this Conduct knows ({known}); upgrade Conduct",
                self.path.display()
            ),
            ErrorKind::Corrupt(m) => write!(f, "{}: integrity check failed: {m}", self.path.display()),
            ErrorKind::Io(e) => write!(f, "{}: {e}", self.path.display()),
            ErrorKind::PopulationHeld => write!(
                f,
                "{}: this store holds a population linked incrementally (conduct link --update); import with `conduct ingest` or `conduct link --update`, which keep its index, not here (nothing was imported)",
                self.path.display()
            ),
            ErrorKind::BadRow { table, column, key, reason } => {
                if !self.path.as_os_str().is_empty() {
                    write!(f, "{}: ", self.path.display())?;
                }
                write!(f, "stored {table} row of {key}, column {column}: {reason}")
            }
        }
    }
}

/// The message names the inner error too, so that `{error}` alone says what happened (the
/// tests read SQLite's trigger messages from it); `source()` returns the original for callers
/// that inspect it. A printer that walks the chain (anyhow's `{:#}`) repeats the inner text.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Sqlite(e) => Some(e),
            ErrorKind::Db { source, .. } => source.as_deref().map(|e| e as &(dyn std::error::Error + 'static)),
            ErrorKind::Ingest(e) => Some(&**e),
            ErrorKind::Io(e) => Some(e),
            ErrorKind::NewerSchema { .. } | ErrorKind::Corrupt(_) | ErrorKind::BadRow { .. } | ErrorKind::PopulationHeld => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_io_failure_keeps_the_io_error_as_its_source() {
        // A workspace folder that cannot be made: its parent is a file.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let e = crate::Store::open_workspace(&file.join("workspace")).err().expect("refused");
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the source is the io::Error itself");
        assert!(e.to_string().ends_with(&io.to_string()), "{e}");
    }

    #[test]
    fn an_sqlite_failure_keeps_the_sqlite_error_as_its_source() {
        let e = Error::from(rusqlite::Error::InvalidQuery).at(Path::new("conduct.sqlite"));
        assert!(matches!(e.source().and_then(|s| s.downcast_ref::<rusqlite::Error>()), Some(rusqlite::Error::InvalidQuery)));
        assert_eq!(e.to_string(), format!("conduct.sqlite: {}", rusqlite::Error::InvalidQuery));
    }
}

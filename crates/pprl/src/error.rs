//! The crate's one error type: what went wrong, with the file it concerns and its source.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The secret file is missing, unreadable or too weak to key the encodings.
    Secret(String),
    /// A file could not be read or written.
    Io(std::io::Error),
    /// The Parquet layer failed on a file.
    Parquet(parquet::errors::ParquetError),
    /// A CSV file could not be read or written.
    Csv(csv::Error),
    /// An encodings file is not one this version can link: damaged, truncated, of another
    /// schema, or made with other settings or another secret than the first file.
    Encodings(String),
    /// The parties given to the hub are not distinct (the same party twice).
    DuplicateParty(String),
    /// The input holds nothing this operation can work on, or mixes what it must not.
    Input(String),
}

/// An error with the file it concerns.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: Option<PathBuf>,
}

impl Error {
    /// An error about `path`.
    pub fn new(kind: ErrorKind, path: Option<&Path>) -> Error {
        Error { kind, path: path.map(Path::to_path_buf) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file it concerns, when there is one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{}: ", p.display())?;
        }
        match &self.kind {
            ErrorKind::Secret(m) | ErrorKind::Encodings(m) | ErrorKind::Input(m) => f.write_str(m),
            ErrorKind::DuplicateParty(p) => write!(f, "party {p} is given twice; each party's encodings may be linked once"),
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::Parquet(e) => write!(f, "not a readable encodings file: {e}"),
            ErrorKind::Csv(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::Parquet(e) => Some(e),
            ErrorKind::Csv(e) => Some(e),
            _ => None,
        }
    }
}

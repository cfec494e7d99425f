//! The error type of the generator: what failed, and on which file.

use std::fmt;
use std::path::PathBuf;

/// What went wrong while generating.
#[derive(Debug)]
pub enum ErrorKind {
    /// Reading or writing a file failed.
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing a CSV record failed.
    Csv {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: csv::Error,
    },
    /// The configuration cannot be honoured.
    Config(String),
}

/// An error from [`crate::generate`].
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error { kind: ErrorKind::Config(message.into()) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error { kind: ErrorKind::Io { path: path.into(), source } }
    }

    pub(crate) fn csv(path: impl Into<PathBuf>, source: csv::Error) -> Error {
        Error { kind: ErrorKind::Csv { path: path.into(), source } }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Io { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            ErrorKind::Csv { path, source } => {
                write!(f, "cannot write CSV {}: {source}", path.display())
            }
            ErrorKind::Config(msg) => write!(f, "invalid synth configuration: {msg}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io { source, .. } => Some(source),
            ErrorKind::Csv { source, .. } => Some(source),
            ErrorKind::Config(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_io_failure_keeps_the_io_error_as_its_source() {
        let e = Error::io("out/incidents.csv", std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the source is the io::Error itself");
        assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(e.to_string().starts_with("cannot write out/incidents.csv: "), "{e}");
    }
}

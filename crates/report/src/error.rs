//! The one error type of the report crate: a story, FOI answer or HTML page that cannot be
//! written, with the file where one is involved.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The tables hold no recorded crime for this area in this period.
    NoData {
        /// The force (or "England and Wales").
        area: String,
        /// The period asked for.
        period: String,
    },
    /// A period asked for lies outside the years Conduct can hold (an FOI answer's latest year
    /// of 1000/01 would cover 998/99).
    Period(Box<conduct_stats::Error>),
    /// A file could not be written.
    Io(std::io::Error),
}

/// A report that could not be produced.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    file: Option<PathBuf>,
}

impl Error {
    /// An error with no file.
    pub fn new(kind: ErrorKind) -> Error {
        Error { kind, file: None }
    }

    /// An I/O error on a file.
    pub fn io(e: std::io::Error, file: &Path) -> Error {
        Error { kind: ErrorKind::Io(e), file: Some(file.to_path_buf()) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.file {
            write!(f, "{}: ", p.display())?;
        }
        match &self.kind {
            ErrorKind::NoData { area, period } => {
                write!(f, "the tables hold no recorded crime for {area} in {period}")
            }
            ErrorKind::Period(e) => write!(f, "{e}"),
            ErrorKind::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::Period(e) => Some(&**e),
            ErrorKind::NoData { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_io_failure_keeps_the_io_error_as_its_source() {
        let e = Error::io(std::io::Error::from(std::io::ErrorKind::PermissionDenied), Path::new("story.html"));
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the source is the io::Error itself");
        assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(e.to_string().starts_with("story.html: "), "{e}");
    }
}

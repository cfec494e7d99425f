//! The one error type of the courses crate: a file that could not be read or written, or an
//! evaluation input that is not what it must be, named with the file and, where another
//! library's error caused it, that error as its source.

use std::path::{Path, PathBuf};

/// What went wrong with a file, in words, with the file and the error behind it.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    path: PathBuf,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An input file could not be read as CSV (the csv crate's error is the source).
    Read,
    /// An evaluation input was read but is not what it must be: a column missing, a force or
    /// date that is not one, a report the truth does not hold.
    Input,
    /// An output file or folder could not be made or written (the io or csv error is the
    /// source).
    Write,
}

impl Error {
    /// An input file that could not be read as CSV.
    pub(crate) fn read(path: &Path, source: csv::Error) -> Error {
        Error { kind: ErrorKind::Read, path: path.to_path_buf(), message: source.to_string(), source: Some(Box::new(source)) }
    }

    /// An evaluation input that is not what it must be, in words.
    pub(crate) fn input(path: &Path, message: String) -> Error {
        Error { kind: ErrorKind::Input, path: path.to_path_buf(), message, source: None }
    }

    /// An output that could not be written.
    pub(crate) fn write<E: std::error::Error + Send + Sync + 'static>(path: &Path, source: E) -> Error {
        Error { kind: ErrorKind::Write, path: path.to_path_buf(), message: source.to_string(), source: Some(Box::new(source)) }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// The message names the source's text too, so that `{error}` alone says what happened.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13: the evaluation's and the writers' errors were text only, in two types; the
    /// csv or io error is now the source, and the message still names the file.
    #[test]
    fn a_file_that_cannot_be_read_or_written_keeps_its_error_as_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let truth = dir.path().join("truth.csv");
        std::fs::write(&truth, "force,incident_ref\nKent,K-1,extra\n").unwrap();
        let e = crate::eval::score(&truth, &truth).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Read);
        assert!(e.to_string().starts_with(&truth.display().to_string()), "{e}");
        let source = std::error::Error::source(&e).expect("the csv error is the source");
        assert!(source.downcast_ref::<csv::Error>().is_some(), "{source:?}");

        std::fs::write(&truth, "force,incident_ref\nKent,K-1\n").unwrap();
        let e = crate::eval::score(&truth, &truth).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Input);
        assert!(e.to_string().contains("no column \"recorded_date\""), "{e}");
        assert!(std::error::Error::source(&e).is_none());

        // An output folder where a file is.
        let courses = crate::Courses::default();
        let found = crate::Found {
            incidents: &[],
            orders: &[],
            courses: &courses,
            breaches: &[],
            reviews: &[],
            risk_assessments: &[],
            person: &|p| p.to_string(),
        };
        let e = found.write(&truth.join("out")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Write);
        assert!(std::error::Error::source(&e).is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()), "{e:?}");
    }
}

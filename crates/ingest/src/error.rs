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
    /// The Parquet file is damaged or not Parquet: the parquet crate's own error.
    Parquet(parquet::errors::ParquetError),
    /// The Parquet file is damaged in a way the parquet crate would not report (it would panic,
    /// or trust an offset outside the file); the message says where.
    Damaged(String),
    /// The rejects or warnings file (or a Parquet file being written) could not be written:
    /// the I/O, CSV or Parquet error that stopped it.
    Write(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The side receiving accepted records stopped (it reports its own error).
    Stopped,
    /// Not something the readers take (a device or a pipe, say).
    Unsupported(String),
    /// The file went past one of the import's [`crate::Limits`]; the message names the limit
    /// and the flag that raises it.
    Limit(String),
    /// A limit set to a value that makes no sense (`--max-expansion 0`), or not a whole number.
    /// It concerns no file: the error's path is empty.
    BadLimit {
        /// The flag that sets the limit (`--max-expansion`).
        flag: &'static str,
        /// The value as given.
        value: String,
        /// What is wrong with it and what is allowed.
        why: &'static str,
        /// The parse error, when the value is not a whole number.
        source: Option<std::num::ParseIntError>,
    },
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
        if let ErrorKind::BadLimit { flag, value, why, source } = &self.kind {
            // A limit concerns no file.
            write!(f, "{flag} {value}: {why}")?;
            return match source {
                Some(e) => write!(f, " ({e})"),
                None => Ok(()),
            };
        }
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        match &self.kind {
            ErrorKind::Io(e) => write!(f, ": {e}"),
            ErrorKind::Parquet(e) => write!(f, ": {e}"),
            ErrorKind::Write(e) => write!(f, ": {e}"),
            ErrorKind::Encoding(m) | ErrorKind::Damaged(m) | ErrorKind::Unsupported(m) | ErrorKind::Limit(m) => write!(f, ": {m}"),
            ErrorKind::Stopped => write!(f, ": the import stopped because the store failed"),
            ErrorKind::BadLimit { .. } => Ok(()),
        }
    }
}

/// The message names the inner error too, so that `{error}` alone says what happened;
/// `source()` returns the original for callers that inspect it (an I/O error's kind, say).
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::Parquet(e) => Some(e),
            ErrorKind::Write(e) => Some(&**e),
            ErrorKind::BadLimit { source, .. } => source.as_ref().map(|e| e as _),
            ErrorKind::Encoding(_) | ErrorKind::Damaged(_) | ErrorKind::Stopped | ErrorKind::Unsupported(_) | ErrorKind::Limit(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_io_failure_keeps_the_io_error_as_its_source() {
        let missing = std::path::Path::new("/no/such/dir/incidents.csv");
        let e = crate::write_rejects(missing, &[]).unwrap_err();
        let source = e.source().expect("a write failure has a source");
        let io = source.downcast_ref::<std::io::Error>().expect("the source is the io::Error itself");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
        assert!(e.to_string().starts_with("/no/such/dir/incidents.csv: "), "{e}");
    }

    #[test]
    fn a_csv_failure_keeps_the_csv_error_as_its_source() {
        // A writer that is not flexible refuses a record shorter than the header.
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["a", "b"]).unwrap();
        let csv_error = w.write_record(["a"]).unwrap_err();
        let message = csv_error.to_string();
        let e = Error::new(ErrorKind::Write(Box::new(csv_error)), "rejects.csv", None);
        let source = e.source().expect("a CSV failure has a source");
        assert!(source.downcast_ref::<csv::Error>().is_some(), "{source:?}");
        assert_eq!(e.to_string(), format!("rejects.csv: {message}"));
    }
}

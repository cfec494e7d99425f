//! The one error type of person resolution.

use std::fmt;

/// What went wrong.
#[derive(Debug)]
pub enum ErrorKind {
    /// A model file could not be read or written.
    Io(std::io::Error),
    /// A model file is not valid JSON for a model.
    ModelFormat(serde_json::Error),
    /// A model does not fit this engine's comparisons (wrong names or level counts).
    ModelMismatch(String),
    /// A CSV file (truth or prediction) could not be read.
    Csv(csv::Error),
    /// A record id named on the command line or in a file is not among the records.
    UnknownRecord(String),
    /// Options that cannot work together.
    BadOptions(String),
}

/// An error from person resolution, with what it was about.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    context: String,
}

impl Error {
    /// A new error of `kind` about `context` (a path, a record id, …).
    pub fn new(kind: ErrorKind, context: impl Into<String>) -> Error {
        Error { kind, context: context.into() }
    }

    /// The same error, about `context` (a path) instead.
    pub fn about(self, context: impl Into<String>) -> Error {
        Error { context: context.into(), ..self }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.context.is_empty() {
            write!(f, "{}: ", self.context)?;
        }
        match &self.kind {
            ErrorKind::Io(e) => write!(f, "{e}"),
            ErrorKind::ModelFormat(e) => write!(f, "not a valid model file: {e}"),
            ErrorKind::ModelMismatch(s) => write!(f, "model does not fit this engine: {s}"),
            ErrorKind::Csv(e) => write!(f, "{e}"),
            ErrorKind::UnknownRecord(r) => write!(f, "no record with id {r:?}"),
            ErrorKind::BadOptions(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::ModelFormat(e) => Some(e),
            ErrorKind::Csv(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn io_and_csv_failures_keep_their_errors_as_sources() {
        let e = Error::new(ErrorKind::Io(std::io::Error::from(std::io::ErrorKind::NotFound)), "model.json");
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the source is the io::Error itself");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);

        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["a", "b"]).unwrap();
        let e = Error::new(ErrorKind::Csv(w.write_record(["a"]).unwrap_err()), "truth.csv");
        assert!(e.source().and_then(|s| s.downcast_ref::<csv::Error>()).is_some(), "{e}");
        assert!(e.to_string().starts_with("truth.csv: "), "{e}");
    }
}

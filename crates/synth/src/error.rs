//! The error type of the generator: what failed, and on which file.

use std::fmt;
use std::path::PathBuf;

/// What went wrong while generating.
#[derive(Debug)]
pub enum SynthErrorKind {
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
pub struct SynthError {
    /// What went wrong.
    pub kind: SynthErrorKind,
}

impl SynthError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> SynthError {
        SynthError { kind: SynthErrorKind::Io { path: path.into(), source } }
    }

    pub(crate) fn csv(path: impl Into<PathBuf>, source: csv::Error) -> SynthError {
        SynthError { kind: SynthErrorKind::Csv { path: path.into(), source } }
    }
}

impl fmt::Display for SynthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SynthErrorKind::Io { path, source } => {
                write!(f, "cannot write {}: {source}", path.display())
            }
            SynthErrorKind::Csv { path, source } => {
                write!(f, "cannot write CSV {}: {source}", path.display())
            }
            SynthErrorKind::Config(msg) => write!(f, "invalid synth configuration: {msg}"),
        }
    }
}

impl std::error::Error for SynthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            SynthErrorKind::Io { source, .. } => Some(source),
            SynthErrorKind::Csv { source, .. } => Some(source),
            SynthErrorKind::Config(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_io_failure_keeps_the_io_error_as_its_source() {
        let e = SynthError::io("out/incidents.csv", std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the source is the io::Error itself");
        assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(e.to_string().starts_with("cannot write out/incidents.csv: "), "{e}");
    }
}

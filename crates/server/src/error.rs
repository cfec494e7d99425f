//! The server's errors. [`Error`] is the library's: why a publication, an upload's analysis or
//! an account change failed, with the error that caused it as its source; the CLI and the
//! request handlers both get it. [`ApiError`] is what a request is answered: an HTTP status and
//! a message the user can act on, as JSON for the API and as a page for the browser; refusals
//! carry the audit entry they must leave.

use axum::http::StatusCode;

use crate::audit::Entry;

/// Why a publication, an upload's analysis or an account change failed: what went wrong
/// ([`Error::kind`]), in words the user can act on, and the error that caused it, if another
/// library's error did ([`std::error::Error::source`]). The message already holds the source's
/// text, so that `{error}` alone says what happened.
#[derive(Debug)]
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The files could not be read as an export (wrong format, unreadable, not what they claim).
    Unreadable,
    /// The export was read but may not be used (nothing usable, another force's records, …).
    Refused,
    /// An account request that is not valid (a short password, an unknown user, …).
    Invalid,
    /// The analysis (person linkage) failed.
    Linkage,
    /// The store (importing records, reading them back) failed.
    Store,
    /// The linked population the store holds refused an export, or could not be read.
    Population,
    /// The database failed.
    Db,
    /// A file or folder could not be read, written or found.
    Io,
    /// Another publication committed while this one was being prepared (its ids were carried
    /// over from a state that is gone); [`crate::dataset::publish`] prepares it again.
    Conflict,
    /// A step of the server's own failed (the analysis task stopped, the model could not be
    /// written as JSON): a bug, not the input's fault.
    Internal,
}

impl Error {
    /// An error of this crate's own, with no error behind it.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner { kind, message: message.into(), source: None }))
    }

    /// An error caused by `source`; `message` says what failed and includes the source's text.
    pub fn caused(
        kind: ErrorKind,
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    ) -> Error {
        Error(Box::new(Inner { kind, message: message.into(), source: Some(source.into()) }))
    }

    /// [`ErrorKind::Refused`], in words.
    pub fn refused(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Refused, message)
    }

    /// [`ErrorKind::Invalid`], in words.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Invalid, message)
    }

    /// [`ErrorKind::Io`]: `what` failed on `path`.
    pub fn io(what: &str, path: &std::path::Path, source: std::io::Error) -> Error {
        Error::caused(ErrorKind::Io, format!("{what} {}: {source}", path.display()), source)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<conduct_store::Error> for Error {
    fn from(e: conduct_store::Error) -> Self {
        let kind = if e.is_db() { ErrorKind::Db } else { ErrorKind::Store };
        Error::caused(kind, e.to_string(), e)
    }
}

impl From<conduct_population::Error> for Error {
    fn from(e: conduct_population::Error) -> Self {
        Error::caused(ErrorKind::Population, e.to_string(), e)
    }
}

impl From<conduct_pipeline::Error> for Error {
    fn from(e: conduct_pipeline::Error) -> Self {
        // The whole chain in the message: the dashboard shows the message alone.
        Error::caused(ErrorKind::Linkage, e.chain(), e)
    }
}

/// An error answered to a request.
#[derive(Debug)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// What went wrong, in words (never a person's identifiers).
    pub message: String,
    /// Extra JSON for the body (a validation report, say).
    pub detail: Option<serde_json::Value>,
    /// Seconds to wait (429).
    pub retry_after: Option<u64>,
    /// The entry the refusal leaves in the audit log.
    pub audit: Option<Box<Entry>>,
}

impl ApiError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError { status, message: message.into(), detail: None, retry_after: None, audit: None }
    }
    /// 400.
    pub fn bad_request(m: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, m)
    }
    /// 401.
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "sign in first")
    }
    /// 403.
    pub fn forbidden(m: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, m)
    }
    /// 404.
    pub fn not_found(m: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, m)
    }
    /// 500. The message goes to the server's log, not to the user.
    pub fn internal(m: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, m)
    }
    /// With the audit entry a refusal leaves.
    pub fn audited(mut self, e: Entry) -> ApiError {
        self.audit = Some(Box::new(e));
        self
    }
    /// With extra JSON.
    pub fn with_detail(mut self, d: serde_json::Value) -> ApiError {
        self.detail = Some(d);
        self
    }

    /// What the user is told: internal errors are not described beyond their kind.
    pub fn public_message(&self) -> String {
        if self.status.is_server_error() { "the server failed; the error is in its log".to_string() } else { self.message.clone() }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Conn, Url};

    /// Issue 13: an export folder that cannot be read was a `String` error, its io error lost;
    /// now the io error is the source, and the message names the folder.
    #[test]
    fn an_export_folder_that_cannot_be_read_keeps_its_io_error_as_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone");
        let e = crate::dataset::inputs_in(&missing).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(e.to_string().contains("gone"), "{e}");
        let io = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the io error is the source");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }

    /// Accounts had an error type of their own; a request that is not valid is now the crate's
    /// one error, of kind `Invalid`, with no source, and a database failure keeps its cause.
    #[test]
    fn what_the_user_typed_wrong_is_invalid_not_a_database_error() {
        for head in ["12", "x:abc"] {
            let e = crate::audit::parse_head(head).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid, "{head}: {e}");
        }
        assert_eq!(crate::audit::parse_head(" 7 : ab12 ").unwrap(), (7, "ab12".to_string()));
    }

    #[test]
    fn an_account_request_that_is_not_valid_is_of_kind_invalid() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("a.db"))).unwrap();
        conduct_store::migrate(&mut c).unwrap();
        let e = crate::auth::add_user(&mut c, "ana", "short", crate::auth::Role::Admin, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.to_string().contains("at least 12 characters"), "{e}");
        assert!(std::error::Error::source(&e).is_none());
        let db = Error::from(conduct_store::Error::db("the disk is full"));
        assert_eq!(Error::from(conduct_store::Error::db("x").at(std::path::Path::new("w/conduct.db"))).kind(), ErrorKind::Db);
        assert_eq!(db.kind(), ErrorKind::Db);
        assert!(std::error::Error::source(&db).is_some_and(|s| s.to_string().contains("the disk is full")));
    }
}

//! The one error type of the server: an HTTP status and a message the user can act on, as JSON
//! for the API and as a page for the browser; refusals carry the audit entry they must leave.

use axum::http::StatusCode;

use crate::audit::Entry;

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

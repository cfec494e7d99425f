//! The API's request extractors: axum's, with their refusals answered as the API answers every
//! refusal (an [`ApiError`]: JSON [`crate::openapi::ErrorBody`], status 400), not as axum's
//! plain-text 400, 415 and 422 that `/openapi.json` does not describe. Found by schemathesis
//! (`tests/api_fuzz.rs`): a malformed query string, a path id out of range, a body that is not
//! JSON or lacks a field, and a form without its multipart boundary each got a text answer.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A refusal of the request as sent: 400 with axum's reason, or 413 when it is too large.
fn refused(status: StatusCode, why: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE { ApiError::new(status, why) } else { ApiError::bad_request(why) }
}

/// The query string, as [`axum::extract::Query`].
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(q)) => Ok(Query(q)),
            Err(e) => Err(refused(e.status(), format!("the query string: {}", e.body_text()))),
        }
    }
}

/// The path's parameters, as [`axum::extract::Path`].
pub struct UrlPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for UrlPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(p)) => Ok(UrlPath(p)),
            Err(e) if e.status().is_server_error() => Err(ApiError::internal(e.body_text())),
            Err(e) => Err(refused(e.status(), e.body_text())),
        }
    }
}

/// A JSON body, as [`axum::Json`] (which stays the type of JSON answers).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(e) => Err(refused(e.status(), format!("send a JSON body: {}", e.body_text()))),
        }
    }
}

/// A `multipart/form-data` body, as [`axum::extract::Multipart`].
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Multipart::from_request(req, state).await {
            Ok(m) => Ok(Multipart(m)),
            Err(e) => Err(refused(e.status(), format!("send the files as multipart/form-data: {}", e.body_text()))),
        }
    }
}

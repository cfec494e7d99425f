//! The JSON API: one route per page, plus login, uploads and grants. Described in
//! `/openapi.json` ([`crate::openapi`]). Every route but login needs a session cookie; every
//! POST but login needs the session's CSRF token in `X-CSRF-Token`.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use conduct_domain::Force;
use serde_json::{Value as Json_, json};

use crate::audit::Entry;
use crate::auth::{self, Role, User};
use crate::dataset;
use crate::error::ApiError;
use crate::error::{Error, ErrorKind};
use crate::extract::{JsonBody, Query, UrlPath};
use crate::views::{self, TriageQuery};
use crate::{Ctx, Shared};

/// The API routes.
pub fn routes() -> axum::Router<Shared> {
    axum::Router::new()
        .route("/api/login", post(login).layer(DefaultBodyLimit::max(auth::MAX_LOGIN_BODY_BYTES)))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/forces", get(forces))
        .route("/api/forces/{force}", get(force))
        .route("/api/triage", get(triage))
        .route("/api/courses/{id}", get(course))
        .route("/api/courses/{id}/assign", post(assign))
        .route("/api/courses/{id}/reviews", post(review))
        .route("/api/review-times.csv", get(review_times))
        .route("/api/search", get(search))
        .route("/api/persons/{id}", get(person))
        .route("/api/imports", get(imports).post(upload))
        .route("/api/imports/{id}", get(import))
        .route("/api/imports/{id}/rejects.csv", get(import_rejects))
        .route("/api/grants", post(grant))
        .route("/api/audit", get(audit_log))
}

/// Login form or JSON body.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    /// Username.
    #[schema(max_length = 64)]
    pub username: String,
    /// Password.
    #[schema(max_length = 1024)]
    pub password: String,
}

/// Checks credentials (rate-limited per username and per address) and starts a session.
///
/// Nothing an unauthenticated caller sends is stored unbounded: a username or password over
/// its limit is refused (422) before anything is looked up, and that refusal, like a locked-out
/// attempt (429), is counted by [`auth::RefusalCounter`] (the first of a kind per window is
/// stored, with the username cut to [`auth::MAX_USERNAME_BYTES`] and marked, the rest counted).
/// Failed attempts are stored one by one, which the limiter bounds per address (to its limit,
/// plus at most one per database slot for attempts checked at the same moment) and
/// [`auth::MAX_STORED_PER_WINDOW`] bounds across all addresses; past it they are counted.
///
/// # Errors
///
/// [`ApiError`] 422 when the username or password is over its limit, 429 (with `retry_after`)
/// when locked out, 401 when they do not match; 500 when the database or the audit log fails.
pub async fn sign_in(state: &Shared, addr: SocketAddr, creds: Credentials) -> Result<(User, String, String), ApiError> {
    let username = creds.username.trim().to_string();
    let addr_key = auth::address_key(addr.ip());
    let refusal = |outcome: &str, detail: String| Entry {
        actor: auth::stored_username(&username),
        action: "login".into(),
        object: "session".into(),
        force: "-".into(),
        outcome: outcome.into(),
        detail,
    };
    if username.len() > auth::MAX_USERNAME_BYTES || creds.password.len() > auth::MAX_PASSWORD_BYTES {
        let detail = format!(
            "username of {} bytes, password of {} bytes, from {}: over the limits",
            username.len(),
            creds.password.len(),
            &addr_key[5..]
        );
        let entries = state.refusals.note(&format!("too long|{addr_key}"), refusal("refused", detail), Instant::now());
        state.record(entries).await?;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "a username is at most {} bytes and a password at most {} bytes: nothing was checked",
                auth::MAX_USERNAME_BYTES,
                auth::MAX_PASSWORD_BYTES
            ),
        ));
    }
    let name_key = format!("user:{}", username.to_ascii_lowercase());
    if let Some(wait) = state.limiter.locked(&[&name_key, &addr_key]) {
        // One entry per locked address (whatever the names tried from it), or per locked name
        // and address, per window.
        let (key, detail) = if state.limiter.locked(&[&addr_key]).is_some() {
            (format!("locked|{addr_key}"), format!("too many failures from {}", &addr_key[5..]))
        } else {
            (format!("locked|{addr_key}|{name_key}"), format!("too many failures for this name; from {}", &addr_key[5..]))
        };
        let entries = state.refusals.note(&key, refusal("locked", detail), Instant::now());
        state.record(entries).await?;
        let mut e =
            ApiError::new(StatusCode::TOO_MANY_REQUESTS, format!("too many failed sign-ins: try again in {} minutes", wait.div_ceil(60)));
        e.retry_after = Some(wait);
        return Err(e);
    }
    let u = username.clone();
    let found = state
        .db(move |c| {
            let user = auth::check_login(c, &u, &creds.password)?;
            match user {
                Some(user) => {
                    let (token, csrf) = auth::start_session(c, &user)?;
                    Ok(Some((user, token, csrf)))
                }
                None => Ok(None),
            }
        })
        .await?;
    match found {
        Some((user, token, csrf)) => {
            state.limiter.succeeded(&name_key);
            state
                .record(vec![Entry {
                    actor: user.username.clone(),
                    action: "login".into(),
                    object: "session".into(),
                    force: user.force.map_or("-", |f| f.name()).into(),
                    outcome: "allowed".into(),
                    detail: String::new(),
                }])
                .await?;
            Ok((user, token, csrf))
        }
        None => {
            state.limiter.failed(&[&name_key, &addr_key]);
            let entries = state.refusals.failed(refusal("denied", "wrong username or password".into()), Instant::now());
            state.record(entries).await?;
            Err(ApiError::new(StatusCode::UNAUTHORIZED, "wrong username or password"))
        }
    }
}

/// A sign-in body that could not be read: too large (413) or not the expected fields (400),
/// said plainly.
pub fn unreadable_login(status: StatusCode, why: &str) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(status, format!("a sign-in request is at most {} bytes: nothing was checked", auth::MAX_LOGIN_BODY_BYTES))
    } else {
        ApiError::bad_request(format!("send a username and a password: {why}"))
    }
}

/// Who is signed in (`GET /api/me`, and the answer to `POST /api/login`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Me {
    /// Their username.
    pub username: String,
    /// analyst, reviewer or admin.
    pub role: &'static str,
    /// An analyst's force; null for reviewers and administrators.
    pub force: Option<&'static str>,
    /// The forces whose identifiable data they were granted.
    pub grants: Vec<&'static str>,
    /// The session's token for `X-CSRF-Token` (or a form's `csrf` field).
    pub csrf_token: String,
}

impl Me {
    /// `user`, signed in with the session's `csrf` token.
    pub fn of(user: &User, csrf: &str) -> Me {
        Me {
            username: user.username.clone(),
            role: user.role.as_str(),
            force: user.force.map(|f| f.name()),
            grants: user.grants.iter().map(|f| f.name()).collect(),
            csrf_token: csrf.to_string(),
        }
    }
}

/// The answer to `POST /api/logout`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SignedOut {
    /// Always true: the session is ended.
    pub signed_out: bool,
}

/// The answer to `POST /api/grants`: the grant made.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Granted {
    /// Always true: the grant is recorded.
    pub granted: bool,
    /// The reviewer granted access.
    pub username: String,
    /// The force whose identifiable data they may now see.
    pub force: &'static str,
}

#[utoipa::path(post, path = "/api/login", summary = "Sign in", security(()), request_body = Credentials,
    responses((status = 200, description = "signed in; the session cookie is set", body = Me), (status = 401, description = "error", body = crate::openapi::ErrorBody), (status = 413, description = "error", body = crate::openapi::ErrorBody), (status = 422, description = "error", body = crate::openapi::ErrorBody), (status = 429, description = "error", body = crate::openapi::ErrorBody)))]
pub(crate) async fn login(
    State(state): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(creds) = body.map_err(|e| unreadable_login(e.status(), &e.body_text()))?;
    let (user, token, csrf) = sign_in(&state, addr, creds).await?;
    let cookie = crate::session_cookie(&token, crate::is_tls(&state, &headers), auth::SESSION_HOURS * 3600);
    Ok(([(header::SET_COOKIE, cookie)], Json(Me::of(&user, &csrf))).into_response())
}

fn csrf_header(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok())
}

#[utoipa::path(post, path = "/api/logout", summary = "Sign out", params(("X-CSRF-Token" = String, Header, description = "the csrf_token from /api/login or /api/me")),
    responses((status = 200, description = "signed out", body = SignedOut)))]
pub(crate) async fn logout(State(state): State<Shared>, ctx: Ctx, headers: HeaderMap) -> Result<Response, ApiError> {
    ctx.check_csrf(csrf_header(&headers))?;
    let token = ctx.token.clone();
    state.sessions.lock().unwrap_or_else(|e| e.into_inner()).remove(&token);
    state.db(move |c| Ok(auth::end_session(c, &token)?)).await?;
    let cookie = crate::session_cookie("", crate::is_tls(&state, &headers), 0);
    Ok(([(header::SET_COOKIE, cookie)], Json(SignedOut { signed_out: true })).into_response())
}

#[utoipa::path(get, path = "/api/me", summary = "Who is signed in", responses((status = 200, description = "the user", body = Me)))]
pub(crate) async fn me(ctx: Ctx) -> Json<Me> {
    Json(Me::of(&ctx.user, &ctx.csrf))
}

#[utoipa::path(get, path = "/api/forces", summary = "National comparison: every force's aggregates",
    responses((status = 200, description = "forces", body = views::National)))]
pub(crate) async fn forces(State(state): State<Shared>, _ctx: Ctx) -> Result<Json<views::National>, ApiError> {
    Ok(Json(state.db(views::national).await?))
}

#[utoipa::path(get, path = "/api/forces/{force}", summary = "A force's overview: trend, outcomes, hidden repeats, triage summary",
    params(("force" = String, Path, description = "force name")),
    responses((status = 200, description = "overview", body = views::ForceOverview)))]
pub(crate) async fn force(
    State(state): State<Shared>,
    _ctx: Ctx,
    UrlPath(force): UrlPath<String>,
) -> Result<Json<views::ForceOverview>, ApiError> {
    Ok(Json(state.db(move |c| views::overview(c, &force)).await?))
}

#[utoipa::path(get, path = "/api/triage", summary = "Courses in review order, each with its reasons", params(TriageQuery),
    responses((status = 200, description = "a page of courses", body = views::TriagePage), (status = 400, description = "error", body = crate::openapi::ErrorBody)))]
pub(crate) async fn triage(State(state): State<Shared>, ctx: Ctx, Query(q): Query<TriageQuery>) -> Result<Response, ApiError> {
    let totals = state.totals.clone();
    let list = state.view(move |c| views::triage(c, &ctx.user, &q, &totals)).await?;
    let body = list.to_json().map_err(|e| ApiError::internal(format!("the triage page could not be written: {e}")))?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response())
}

#[utoipa::path(get, path = "/api/courses/{id}", summary = "A course: time line, people, orders, breaches",
    params(("id" = String, Path, description = "course id, e.g. C000001", example = "C000001")),
    responses((status = 200, description = "the course", body = views::CoursePage)))]
pub(crate) async fn course(
    State(state): State<Shared>,
    ctx: Ctx,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<views::CoursePage>, ApiError> {
    let key = state.key.clone();
    Ok(Json(state.view(move |c| views::course(c, &ctx.user, &key, &id)).await?))
}

#[utoipa::path(get, path = "/api/persons/{id}", summary = "A person: merged records with the linkage explanation",
    params(("id" = String, Path, description = "person id, e.g. P000001", example = "P000001")),
    responses((status = 200, description = "the person", body = views::PersonPage)))]
pub(crate) async fn person(
    State(state): State<Shared>,
    ctx: Ctx,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<views::PersonPage>, ApiError> {
    let key = state.key.clone();
    Ok(Json(state.view(move |c| views::person(c, &ctx.user, &key, &id)).await?))
}

/// Who is to have a course in the analyst's force.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct AssignRequest {
    /// `me`, a colleague's username (an analyst of the same force), or empty to unassign.
    pub assignee: String,
}

/// Whom a course was assigned to.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Assigned {
    /// The course (the current id, when a retired one was given).
    pub course_id: String,
    /// The analyst who has it now; null when nobody.
    pub assigned_to: Option<String>,
}

#[utoipa::path(post, path = "/api/courses/{id}/assign", summary = "Assign a course (its part in your force) to you or a colleague (analysts)",
    params(("id" = String, Path, description = "course id", example = "C000001"), ("X-CSRF-Token" = String, Header, description = "the session's csrf_token")),
    request_body = AssignRequest,
    responses((status = 200, description = "assigned", body = Assigned), (status = 400, description = "error", body = crate::openapi::ErrorBody)))]
pub(crate) async fn assign(
    State(state): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    JsonBody(a): JsonBody<AssignRequest>,
) -> Result<Json<Assigned>, ApiError> {
    ctx.check_csrf(csrf_header(&headers))?;
    Ok(Json(assign_course(&state, &ctx, id, a.assignee).await?))
}

/// Assigns a course, audited either way (the API and the course page's form).
///
/// # Errors
///
/// As [`crate::workflow::assign`], through [`AppState::view`](crate::AppState::view).
pub async fn assign_course(state: &Shared, ctx: &Ctx, id: String, assignee: String) -> Result<Assigned, ApiError> {
    let user = ctx.user.clone();
    state
        .view(move |c| {
            let ((course_id, assigned_to), entries) = crate::workflow::assign(c, &user, &id, &assignee)?;
            Ok((Assigned { course_id, assigned_to }, entries))
        })
        .await
}

/// A review of a course by the analyst's force.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewRequest {
    /// What was decided.
    pub decision: crate::workflow::Decision,
    /// A note (required when the decision is `other`; at most 4,000 characters).
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/courses/{id}/reviews", summary = "Record a review of a course by your force (analysts)",
    description = "The course leaves the open list until something new arrives: a report, a possible breach, another force's report.",
    params(("id" = String, Path, description = "course id", example = "C000001"), ("X-CSRF-Token" = String, Header, description = "the session's csrf_token")),
    request_body = ReviewRequest,
    responses((status = 200, description = "recorded", body = crate::workflow::ReviewEntry), (status = 400, description = "error", body = crate::openapi::ErrorBody)))]
pub(crate) async fn review(
    State(state): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    body: Result<Json<ReviewRequest>, JsonRejection>,
) -> Result<Json<crate::workflow::ReviewEntry>, ApiError> {
    ctx.check_csrf(csrf_header(&headers))?;
    let Json(r) = body.map_err(|e| ApiError::bad_request(format!("a review is {{\"decision\": …, \"note\": …}}: {}", e.body_text())))?;
    Ok(Json(review_course(&state, &ctx, id, r).await?))
}

/// Records a review, audited either way (the API and the course page's form).
///
/// # Errors
///
/// As [`crate::workflow::record_review`], through [`AppState::view`](crate::AppState::view).
pub async fn review_course(state: &Shared, ctx: &Ctx, id: String, r: ReviewRequest) -> Result<crate::workflow::ReviewEntry, ApiError> {
    let user = ctx.user.clone();
    state.view(move |c| crate::workflow::record_review(c, &user, &id, r.decision, &r.note)).await
}

/// Query of the review-times export.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForceQuery {
    /// Force (analysts: their own, whatever is asked; others: every force when absent).
    pub force: Option<String>,
}

#[utoipa::path(get, path = "/api/review-times.csv",
    summary = "Courses that turned urgent, with when they were first reviewed, as CSV for inspectors",
    description = "One row per force's part of a course: force, course_id, urgent_since, first_review_at, hours_to_first_review, first_decision.",
    params(ForceQuery),
    responses((status = 200, description = "the courses", content_type = "text/csv", body = String)))]
pub(crate) async fn review_times(State(state): State<Shared>, ctx: Ctx, Query(q): Query<ForceQuery>) -> Result<Response, ApiError> {
    let body = state.view(move |c| crate::workflow::review_times_csv(c, &ctx.user, q.force.as_deref())).await?;
    Ok(csv_attachment(body, "review-times.csv"))
}

/// A CSV download named `file_name`.
fn csv_attachment(body: Vec<u8>, file_name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
}

#[utoipa::path(get, path = "/api/search",
    summary = "Find a person or course in the forces you may see, by name (fuzzy), reference, id or date of birth",
    params(crate::search::SearchQuery),
    responses((status = 200, description = "what was found", body = crate::search::SearchPage), (status = 400, description = "error", body = crate::openapi::ErrorBody)))]
pub(crate) async fn search(
    State(state): State<Shared>,
    ctx: Ctx,
    Query(q): Query<crate::search::SearchQuery>,
) -> Result<Json<crate::search::SearchPage>, ApiError> {
    let vocabulary = state.vocabulary.clone();
    Ok(Json(state.view(move |c| crate::search::search(c, &ctx.user, &q, &vocabulary)).await?))
}

/// Page of a paged list.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page (at most 10,000,000).
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page: Option<u64>,
    /// Rows per page (at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub per_page: Option<u64>,
}

#[utoipa::path(get, path = "/api/audit", summary = "The audit log, newest first (administrators)", params(PageQuery),
    responses((status = 200, description = "a page of entries", body = views::AuditPage)))]
pub(crate) async fn audit_log(
    State(state): State<Shared>,
    ctx: Ctx,
    Query(q): Query<PageQuery>,
) -> Result<Json<views::AuditPage>, ApiError> {
    Ok(Json(state.view(move |c| views::audit_log(c, &ctx.user, q.page, q.per_page)).await?))
}

#[utoipa::path(get, path = "/api/imports", summary = "Recent uploads (yours; administrators: everyone's)",
    responses((status = 200, description = "uploads", body = views::UploadList)))]
pub(crate) async fn imports(State(state): State<Shared>, ctx: Ctx) -> Result<Json<views::UploadList>, ApiError> {
    Ok(Json(state.db(move |c| views::uploads(c, &ctx.user)).await?))
}

#[utoipa::path(get, path = "/api/imports/{id}", summary = "One upload: status and validation report",
    params(("id" = i64, Path, description = "upload id")),
    responses((status = 200, description = "the upload", body = views::Upload)))]
pub(crate) async fn import(State(state): State<Shared>, ctx: Ctx, UrlPath(id): UrlPath<i64>) -> Result<Json<views::Upload>, ApiError> {
    Ok(Json(state.db(move |c| views::upload(c, &ctx.user, id)).await?))
}

#[utoipa::path(get, path = "/api/imports/{id}/rejects.csv",
    summary = "The rejected rows stored with an upload, as CSV: file, line, column, reason, key",
    description = "Up to CONDUCT_MAX_STORED_REJECTS (10,000 by default); the report lists the first 500 and counts every one by reason.",
    params(("id" = i64, Path, description = "upload id")),
    responses((status = 200, description = "the rejected rows", content_type = "text/csv", body = String)))]
pub(crate) async fn import_rejects(State(state): State<Shared>, ctx: Ctx, UrlPath(id): UrlPath<i64>) -> Result<Response, ApiError> {
    let body = state.view(move |c| views::upload_rejects(c, &ctx.user, id)).await?;
    Ok(csv_attachment(body, &format!("upload-{id}-rejects.csv")))
}

/// A grant of access to a force's identifiable data.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct GrantRequest {
    /// The reviewer.
    pub username: String,
    /// The force.
    pub force: String,
    /// Why (recorded).
    pub reason: String,
}

#[utoipa::path(post, path = "/api/grants", summary = "Grant a reviewer access to a force's identifiable data (administrators)",
    params(("X-CSRF-Token" = String, Header, description = "the csrf_token from /api/login or /api/me")), request_body = GrantRequest,
    responses((status = 200, description = "granted", body = Granted), (status = 400, description = "error", body = crate::openapi::ErrorBody)))]
pub(crate) async fn grant(
    State(state): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    JsonBody(g): JsonBody<GrantRequest>,
) -> Result<Json<Granted>, ApiError> {
    ctx.check_csrf(csrf_header(&headers))?;
    match give_grant(&state, &ctx, g).await {
        Ok(v) => Ok(Json(v)),
        Err(e) => Err(state.refusal(e).await),
    }
}

/// Records a grant (administrators only), audited either way.
///
/// # Errors
///
/// [`ApiError`] 403 (audited) when the user is not an administrator; 400 when the force is unknown
/// or the grant not valid ([`auth::grant`]); 500 when the database or the audit log fails.
pub async fn give_grant(state: &Shared, ctx: &Ctx, g: GrantRequest) -> Result<Granted, ApiError> {
    let entry = |outcome: &str, detail: &str, force: &str| Entry {
        actor: ctx.user.username.clone(),
        action: "grant".into(),
        object: format!("user/{}", g.username),
        force: force.into(),
        outcome: outcome.into(),
        detail: detail.into(),
    };
    if ctx.user.role != Role::Admin {
        return Err(ApiError::forbidden("only an administrator grants access").audited(entry("denied", "", &g.force)));
    }
    let force = Force::resolve(&g.force).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (username, reason, by) = (g.username.clone(), g.reason.clone(), ctx.user.username.clone());
    let r = state
        .db(move |c| match auth::grant(c, &username, force, &reason, &by) {
            Ok(()) => Ok(Ok(())),
            Err(e) if e.kind() == ErrorKind::Invalid => Ok(Err(e.to_string())),
            Err(e) => Err(ApiError::internal(e.to_string())),
        })
        .await?;
    match r {
        Ok(()) => {
            // Sessions carry their grants: look them up afresh.
            state.sessions.lock().unwrap_or_else(|e| e.into_inner()).clear();
            state.record(vec![entry("allowed", &g.reason, force.name())]).await?;
            Ok(Granted { granted: true, username: g.username, force: force.name() })
        }
        Err(m) => Err(ApiError::bad_request(m)),
    }
}

/// The files of an upload (`POST /api/imports`), as multipart form fields: CSV, JSON Lines or
/// Parquet, by file name.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The incidents file.
    #[schema(value_type = String, format = Binary)]
    incidents: Vec<u8>,
    /// The people file.
    #[schema(value_type = String, format = Binary)]
    people: Vec<u8>,
    /// The orders file, if any.
    #[schema(value_type = Option<String>, format = Binary)]
    orders: Option<Vec<u8>>,
    /// The risk screenings file (DASH, S-DASH, SASH), if any.
    #[schema(value_type = Option<String>, format = Binary)]
    risk_assessments: Option<Vec<u8>>,
}

/// The result of an upload (the answer to `POST /api/imports`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Uploaded {
    /// Upload id.
    pub id: i64,
    /// Its state: analysing.
    pub status: String,
    /// The validation report.
    pub report: Json_,
}

fn refuse(status: StatusCode, message: String, report: Option<Json_>) -> ApiError {
    let mut e = ApiError::new(status, message);
    e.detail = report;
    e
}

/// Receives an upload (multipart fields `incidents`, `people`, `orders`, `risk_assessments`, and
/// for forms `csrf`),
/// validates it, and when it may be used keeps it and starts the analysis. Refused uploads
/// leave nothing behind but their record in the uploads list and the audit log.
///
/// # Errors
///
/// [`ApiError`] 413 over the size limit, 400 (or the parser's 4xx) when the form cannot be read,
/// 403 on a wrong CSRF token or (audited) for a reviewer, 422 when a file or the export is refused
/// (the report in its detail); 500 when staging, the database or the audit log fails.
pub async fn receive_upload(state: &Shared, ctx: &Ctx, headers: &HeaderMap, mut form: Multipart) -> Result<Uploaded, ApiError> {
    let staging = state.config.data_dir.join("staging").join(crate::audit::hex(&auth::random_bytes::<8>()));
    std::fs::create_dir_all(&staging).map_err(|e| ApiError::internal(format!("creating {}: {e}", staging.display())))?;
    let result = stage_and_validate(state, ctx, headers, &mut form, &staging).await;
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// A multipart read that failed: over the size limit (413, with the limit in words), or else
/// `what` with the parser's reason (a 4xx, never a 500).
fn form_error(state: &Shared, e: &axum::extract::multipart::MultipartError, what: &str) -> ApiError {
    let status = e.status();
    let msg = if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "the upload is larger than the limit of {} MiB: split the export or ask for a larger --max-upload-mb",
            state.config.max_upload_bytes >> 20
        )
    } else {
        format!("{what}: {}", e.body_text())
    };
    ApiError::new(if status.is_client_error() { status } else { StatusCode::BAD_REQUEST }, msg)
}

async fn stage_and_validate(
    state: &Shared,
    ctx: &Ctx,
    headers: &HeaderMap,
    form: &mut Multipart,
    staging: &Path,
) -> Result<Uploaded, ApiError> {
    let mut csrf_field = None;
    let mut inputs = conduct_ingest::Inputs::default();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(form_error(state, &e, "the upload could not be read as a form")),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "csrf" {
            csrf_field = Some(field.text().await.map_err(|e| ApiError::bad_request(e.body_text()))?);
            continue;
        }
        if !matches!(name.as_str(), "incidents" | "people" | "orders" | "risk_assessments") {
            return Err(ApiError::bad_request(format!(
                "unexpected form field {name:?}: send incidents, people and (optionally) orders and risk_assessments"
            )));
        }
        let file_name = field.file_name().unwrap_or("").to_string();
        if file_name.is_empty() {
            continue; // an empty file input in a form
        }
        let ext = Path::new(&file_name).extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
        if !matches!(ext.as_str(), "csv" | "jsonl" | "ndjson" | "parquet") {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{name}: {file_name:?} is not a .csv, .jsonl or .parquet file"),
            ));
        }
        let path = staging.join(format!("{name}.{ext}"));
        let mut out = tokio::fs::File::create(&path).await.map_err(|e| ApiError::internal(e.to_string()))?;
        let mut field = field;
        loop {
            match field.chunk().await {
                Ok(Some(bytes)) => {
                    use tokio::io::AsyncWriteExt;
                    out.write_all(&bytes).await.map_err(|e| ApiError::internal(e.to_string()))?;
                }
                Ok(None) => break,
                Err(e) => return Err(form_error(state, &e, "the upload was cut short")),
            }
        }
        // A tokio file writes on another thread: the last write may still be under way until
        // flushed, and validation would read a short (even empty) file.
        {
            use tokio::io::AsyncWriteExt;
            out.flush().await.map_err(|e| ApiError::internal(e.to_string()))?;
        }
        drop(out);
        match name.as_str() {
            "incidents" => inputs.incidents.push(path),
            "people" => inputs.people.push(path),
            "orders" => inputs.orders.push(path),
            _ => inputs.risk_assessments.push(path),
        }
    }
    ctx.check_csrf(csrf_header(headers).or(csrf_field.as_deref()))?;
    let deny = |why: &str| Entry {
        actor: ctx.user.username.clone(),
        action: "import".into(),
        object: "upload".into(),
        force: ctx.user.force.map_or("-", |f| f.name()).into(),
        outcome: "denied".into(),
        detail: why.into(),
    };
    if ctx.user.role == Role::Reviewer {
        return Err(ApiError::forbidden("reviewers do not import exports").audited(deny("reviewer")));
    }
    if inputs.incidents.is_empty() || inputs.people.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "an export needs an incidents file and a people file (orders and risk assessments are optional)",
        ));
    }
    let staged = inputs.clone();
    let limits = state.limits;
    let pool = state.pool.clone();
    let validation = tokio::task::spawn_blocking(move || {
        // People and orders may refer to incidents of an earlier export, as in a workspace.
        let known = conduct_store::known_incidents(&mut *crate::db::get(&pool)?).map_err(Error::from)?;
        dataset::validate(&staged, &limits, &known)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    let user = ctx.user.clone();
    let mut rejects = Vec::new();
    let (status, message, report, validation) = match validation {
        Err(e) => ("refused", Some(e.to_string()), json!({"error": e.to_string()}), None),
        Ok(mut v) => {
            let report = v.to_json(REJECTS_LISTED);
            rejects = std::mem::take(&mut v.rejects);
            let forces = dataset::forces_of(&v.export);
            if v.summary.accepted() == 0 {
                ("refused", Some("no usable rows: nothing was imported (see the rejects)".to_string()), report, None)
            } else if user.role == Role::Analyst && forces.iter().any(|f| Some(*f) != user.force) {
                let others: Vec<&str> = forces.iter().filter(|f| Some(**f) != user.force).map(|f| f.name()).collect();
                let own = user.force.map_or("-", |f| f.name());
                (
                    "refused",
                    Some(format!("the export holds records of {}; you may import {own}'s only: nothing was imported", others.join(", "))),
                    report,
                    None,
                )
            } else {
                ("analysing", None, report, Some(v))
            }
        }
    };
    let mut stored = report.clone();
    if let Some(m) = &message {
        stored["refused"] = m.clone().into();
    }
    // An export that may be used is staged; it is accepted only when the publication that
    // holds it commits.
    let staged = match &validation {
        Some(_) => Some(dataset::stage_folder(&state.config.data_dir, staging).map_err(|e| ApiError::internal(e.to_string()))?),
        None => None,
    };
    let (u, s, st, export) = (user.username.clone(), status.to_string(), stored.to_string(), staged.as_ref().map(|x| x.name.clone()));
    let inserted = state
        .db(move |c| {
            c.transaction(|c| {
                // Numbered from the largest so far: on PostgreSQL two uploads committing at
                // once would read the same largest, so they take turns (SQLite's one writer
                // already makes them).
                if c.is_postgres() {
                    c.batch("SELECT pg_advisory_xact_lock(7270113)")?;
                }
                let id = c.query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM uploads", &[])?.and_then(|r| r[0].int()).unwrap_or(1);
                c.execute(
                    "INSERT INTO uploads (id, at, username, status, report) VALUES (?, ?, ?, ?, ?)",
                    &[id.into(), crate::audit::now().into(), u.into(), s.into(), st.into()],
                )?;
                if let Some(name) = export {
                    c.execute("INSERT INTO upload_exports (upload_id, export) VALUES (?, ?)", &[id.into(), name.into()])?;
                }
                // The rejects kept (at most --max-stored-rejects), for the download; the report
                // lists the first REJECTS_LISTED and counts every one by reason.
                let rows: Vec<Vec<crate::db::Value>> = rejects
                    .iter()
                    .enumerate()
                    .map(|(n, r)| {
                        let file = r.file.file_name().map_or(String::new(), |f| f.to_string_lossy().into_owned());
                        // PostgreSQL text cannot hold NUL, which a broken file can put in a key.
                        let text = |t: &str| t.replace('\0', "\u{FFFD}");
                        vec![
                            id.into(),
                            (n as i64).into(),
                            text(&file).into(),
                            (r.line as i64).into(),
                            text(&r.column).into(),
                            text(&r.reason).into(),
                            text(&r.key).into(),
                        ]
                    })
                    .collect();
                c.bulk_insert("upload_rejects", &["upload_id", "n", "file", "line", "col", "reason", "row_key"], &rows)?;
                Ok::<i64, ApiError>(id)
            })
        })
        .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) => {
            if let Some(s) = &staged {
                dataset::discard(s);
            }
            return Err(e);
        }
    };
    let forces: Vec<&str> =
        validation.as_ref().map(|v| dataset::forces_of(&v.export)).unwrap_or_default().iter().map(|f| f.name()).collect();
    let force_text = if forces.is_empty() { ctx.user.force.map_or("-".to_string(), |f| f.name().to_string()) } else { forces.join(";") };
    drop(validation);
    // An accepted upload is stored as waiting for analysis: queue it before anything else can
    // fail (the audit write below), so that it is never left waiting until a restart.
    if message.is_none() {
        enqueue(state, Queued { id, staged });
    } else if let Some(s) = &staged {
        dataset::discard(s);
    }
    state
        .record(vec![Entry {
            actor: ctx.user.username.clone(),
            action: "import".into(),
            object: format!("upload/{id}"),
            force: force_text,
            outcome: if message.is_some() { "refused".into() } else { "accepted".into() },
            detail: format!("{} rows read, {} accepted, {} rejected", report["read"], report["accepted"], report["rejected"]),
        }])
        .await?;
    if let Some(m) = message {
        let mut detail = stored;
        detail["upload_id"] = id.into();
        return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, m, Some(detail)));
    }
    Ok(Uploaded { id, status: status.to_string(), report })
}

/// Rejected rows an upload's report lists; up to `CONDUCT_MAX_STORED_REJECTS` are stored and
/// downloadable from `/api/imports/{id}/rejects.csv`, and all are counted by reason.
pub const REJECTS_LISTED: usize = 500;

/// An accepted upload waiting for the analysis that will publish it.
pub struct Queued {
    /// The upload.
    pub id: i64,
    /// Its staged export (none for an upload a server before schema version 3 left analysing:
    /// its export was kept under `exports/` already).
    pub staged: Option<dataset::Staged>,
}

/// Queues an upload for the analysis, starting the one task that runs analyses if it is not
/// running yet.
pub fn enqueue(state: &Shared, item: Queued) {
    state.queue.push(item);
    if !state.analysing.swap(true, std::sync::atomic::Ordering::SeqCst) {
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let batch = st.queue.next().await;
                analyse_uploads(&st, batch).await;
            }
        });
    }
}

/// Uploads a stopped server left "analysing": their exports are staged still, so they are
/// queued again (and so analysed together, once). Called once when the server starts, after
/// tidying what stopped processes left in the data folder.
pub async fn resume_interrupted(state: Shared) {
    let data_dir = state.config.data_dir.clone();
    let found = state
        .db(move |c| {
            dataset::reconcile(c, &data_dir).map_err(|e| ApiError::internal(e.to_string()))?;
            let rows = c.query(
                "SELECT u.id, e.export FROM uploads u LEFT JOIN upload_exports e ON e.upload_id = u.id WHERE u.status = 'analysing' ORDER BY u.id",
                &[],
            )?;
            let held: Vec<String> = c.query("SELECT name FROM exports", &[])?.iter().map(|r| r[0].text()).collect();
            Ok((rows, held))
        })
        .await;
    let (rows, held) = match found {
        Ok(f) => f,
        Err(e) => {
            say!("conduct serve: error: resuming uploads: {}", e.message);
            return;
        }
    };
    if rows.is_empty() {
        return;
    }
    say!("conduct serve: {} upload(s) were waiting for analysis when the server stopped: analysing them", rows.len());
    let waiting = dataset::staged(&state.config.data_dir);
    let me = dataset::owner_tag();
    let mut settled = Vec::new();
    for r in rows {
        let Some(id) = r[0].int() else { continue };
        let Some(name) = (r[1] != crate::db::Value::Null).then(|| r[1].text()) else {
            enqueue(&state, Queued { id, staged: None });
            continue;
        };
        match waiting.iter().find(|(n, _, _)| *n == name) {
            // Another live server's: it will publish it.
            Some((_, owner, _)) if *owner != me && dataset::owner_alive(owner) => {}
            Some((_, _, dir)) => {
                let mine = state.config.data_dir.join("pending").join(format!("{name}.{me}"));
                match std::fs::rename(dir, &mine) {
                    Ok(()) => enqueue(&state, Queued { id, staged: Some(dataset::Staged { name, dir: mine }) }),
                    Err(e) => settled.push((id, format!("failed: its staged export could not be taken up: {e}"))),
                }
            }
            None if held.contains(&name) => settled.push((id, "published".to_string())),
            None => settled.push((id, "failed: its staged export was lost when the server stopped".to_string())),
        }
    }
    if !settled.is_empty() {
        let _ = state
            .db(move |c| {
                for (id, status) in settled {
                    c.execute("UPDATE uploads SET status = ? WHERE id = ?", &[status.into(), id.into()])?;
                }
                Ok(())
            })
            .await;
    }
}

/// Analyses every export with the staged exports of `batch` and publishes the result, marking
/// each upload with the outcome. If the analysis of several fails, each is tried alone, so
/// that only an upload that fails by itself is set aside (its staged export removed; the
/// previous analysis stands).
async fn analyse_uploads(state: &Shared, batch: Vec<Queued>) {
    let mut work = std::collections::VecDeque::from([batch]);
    while let Some(batch) = work.pop_front() {
        let staged: Vec<dataset::Staged> = batch.iter().filter_map(|q| q.staged.clone()).collect();
        let (data_dir, pool) = (state.config.data_dir.clone(), state.pool.clone());
        let result = tokio::task::spawn_blocking(move || -> Result<dataset::Published, Error> {
            let mut c = crate::db::get(&pool)?;
            dataset::publish(&mut c, &data_dir, &staged)
        })
        .await
        .unwrap_or_else(|e| Err(Error::caused(ErrorKind::Internal, format!("the analysis stopped: {e}"), e)));
        let ids: Vec<i64> = batch.iter().map(|q| q.id).collect();
        let together = if ids.len() > 1 {
            format!(" (one analysis for uploads {})", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))
        } else {
            String::new()
        };
        let (status, outcome, detail) = match &result {
            Ok(p) => ("published".to_string(), "published", format!("{}{together}", serde_json::to_string(p).unwrap_or_default())),
            Err(e) if batch.len() > 1 => {
                say!("conduct serve: uploads {ids:?}: analysis failed ({e}); trying each alone");
                work.extend(batch.into_iter().map(|q| vec![q]));
                continue;
            }
            Err(e) => {
                for q in &batch {
                    if let Some(s) = &q.staged {
                        dataset::discard(s);
                    }
                }
                say!("conduct serve: upload {ids:?}: analysis failed: {e}");
                (format!("failed: {e}"), "failed", "the export was set aside; the previous analysis stands".to_string())
            }
        };
        let s = status.clone();
        let marked = ids.clone();
        let _ = state
            .db(move |c| {
                for i in marked {
                    c.execute("UPDATE uploads SET status = ? WHERE id = ?", &[s.clone().into(), i.into()])?;
                }
                Ok(())
            })
            .await;
        let entries = ids
            .iter()
            .map(|id| Entry {
                actor: "conduct".into(),
                action: "publish".into(),
                object: format!("upload/{id}"),
                force: "-".into(),
                outcome: outcome.into(),
                detail: detail.clone(),
            })
            .collect();
        let _ = state.record(entries).await;
    }
}

#[utoipa::path(post, path = "/api/imports", summary = "Upload an export: validated at once, analysed in the background",
    params(("X-CSRF-Token" = String, Header, description = "the csrf_token from /api/login or /api/me")), request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 202, description = "accepted; analysing", body = Uploaded), (status = 400, description = "error", body = crate::openapi::ErrorBody), (status = 413, description = "error", body = crate::openapi::ErrorBody), (status = 422, description = "error", body = crate::openapi::ErrorBody)))]
pub(crate) async fn upload(
    State(state): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    crate::extract::Multipart(form): crate::extract::Multipart,
) -> Result<Response, ApiError> {
    let up = receive_upload(&state, &ctx, &headers, form).await;
    match up {
        Ok(u) => Ok((StatusCode::ACCEPTED, Json(u)).into_response()),
        Err(e) => Err(state.refusal(e).await),
    }
}

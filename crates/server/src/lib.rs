//! `conduct serve`: the analyst dashboard and its JSON API over a published analysis, in
//! SQLite (default) or PostgreSQL, with accounts, force-scoped access, CSRF protection and a
//! hash-chained audit log of every read of identifiable data.
//!
//! Layout: [`db`] (one SQL dialect over both databases), [`schema`], [`auth`] (accounts,
//! sessions, roles, pseudonyms), [`audit`], [`dataset`] (exports → analysis → publication),
//! [`views`] (what each page shows, as JSON), [`api`] (the JSON routes), [`pages`] (the HTML
//! routes), [`openapi`].

/// A line on stderr. A closed stderr is no reason to stop serving, where `eprintln!` would
/// panic; the line is then lost.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

pub mod api;
pub mod audit;
pub mod auth;
pub mod changes;
pub mod dataset;
/// The database layer, owned by `conduct-store` (one store for the CLI and the server).
pub use conduct_store::db;
pub mod error;
pub use error::{Error, ErrorKind};
pub mod extract;
pub mod ids;
pub mod openapi;
pub mod pages;
pub mod queue;
pub mod search;
/// The tables of the dashboard and of the published analysis, owned by `conduct-store`.
pub use conduct_store::schema;
pub mod views;
pub mod workflow;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::audit::{Auditor, Entry};
use crate::auth::{LoginLimiter, User};
use crate::db::{Conn, Pool};
use crate::error::ApiError;

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// The database.
    pub database: db::Url,
    /// Where accepted exports are kept.
    pub data_dir: PathBuf,
    /// Address to listen on (port 0: any free port, printed).
    pub bind: SocketAddr,
    /// Largest upload, in bytes.
    pub max_upload_bytes: usize,
    /// Mark cookies Secure (served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Database connections.
    pub pool_size: u32,
}

/// Shared by every request.
pub struct AppState {
    /// Database connections.
    pub pool: Pool,
    /// The audit writer.
    pub auditor: Auditor,
    /// Failed-login counts.
    pub limiter: LoginLimiter,
    /// Refusals of unauthenticated callers, counted rather than each stored.
    pub refusals: auth::RefusalCounter,
    /// Key of pseudonymous references.
    pub key: Vec<u8>,
    /// Setup.
    pub config: Config,
    /// Accepted uploads waiting for the analysis (see [`api::enqueue`]).
    pub queue: queue::Batches<api::Queued>,
    /// Whether the task that runs analyses, one at a time, has started.
    pub analysing: std::sync::atomic::AtomicBool,
    /// What one upload may cost.
    pub limits: dataset::Limits,
    /// List totals, per publication.
    pub totals: Arc<views::Totals>,
    /// The names and dates of birth search picks from, per publication.
    pub vocabulary: Arc<search::Vocabulary>,
    /// Permits for blocking database tasks, one per pooled connection.
    pub slots: tokio::sync::Semaphore,
    /// Recently checked sessions: token → (user, CSRF token, when checked).
    pub sessions: std::sync::Mutex<std::collections::HashMap<String, (User, String, Instant)>>,
}

/// How long a checked session is trusted without asking the database again. Signing out on this
/// server takes effect at once; on another server sharing the database, within this time.
pub const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// The state as handlers see it.
pub type Shared = Arc<AppState>;

impl AppState {
    /// Runs `f` on a pooled connection off the async threads.
    ///
    /// # Errors
    ///
    /// [`ApiError`] 500 when no database slot or connection can be had or the task fails; otherwise
    /// the error `f` returns.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> Result<T, ApiError> + Send + 'static,
    {
        // At most one blocking task per pooled connection: more would only wait for a
        // connection on the pool's lock, and switching between them costs more than the query.
        let _slot = self.slots.acquire().await.map_err(|e| ApiError::internal(format!("database slots: {e}")))?;
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut c = db::get(&pool)?;
            f(&mut c)
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Records audit entries, failing the request if they cannot be written.
    ///
    /// # Errors
    ///
    /// [`ApiError`] 500 when an entry cannot be written (the audit writer failed or stopped).
    pub async fn record(&self, entries: Vec<Entry>) -> Result<(), ApiError> {
        for e in entries {
            self.auditor.record(e).await.map_err(|e| ApiError::internal(format!("audit log: {e}")))?;
        }
        Ok(())
    }

    /// Runs a view: its audit entries are committed before its data is returned; a refusal's
    /// entry is committed before the refusal.
    ///
    /// # Errors
    ///
    /// As [`AppState::db`] and [`AppState::record`]; a refusal's [`ApiError`] after its audit entry is
    /// written (or a 500 if it cannot be).
    pub async fn view<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Conn) -> views::Viewed<T> + Send + 'static,
    {
        match self.db(f).await {
            Ok((v, entries)) => {
                self.record(entries).await?;
                Ok(v)
            }
            Err(e) => Err(self.refusal(e).await),
        }
    }

    /// Commits the audit entry a refusal carries, and gives the refusal back (or the audit
    /// failure, if the entry could not be written).
    pub async fn refusal(&self, mut e: ApiError) -> ApiError {
        match e.audit.take() {
            Some(entry) => match self.record(vec![*entry]).await {
                Ok(()) => e,
                Err(failed) => failed,
            },
            None => e,
        }
    }
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "conduct_session";

/// Reads a cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The signed-in user of a request, with the session's CSRF token.
pub struct Ctx {
    /// Who.
    pub user: User,
    /// The session's CSRF token.
    pub csrf: String,
    /// The session token.
    pub token: String,
}

impl Ctx {
    /// Checks the CSRF token sent with a state-changing request.
    ///
    /// # Errors
    ///
    /// [`ApiError`] 403 when the token is missing or not the session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), ApiError> {
        match sent {
            Some(s) if auth::same_token(s, &self.csrf) => Ok(()),
            _ => Err(ApiError::forbidden("missing or wrong CSRF token: reload the page and try again")),
        }
    }
}

impl FromRequestParts<Shared> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Ctx, ApiError> {
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(ApiError::unauthorized)?;
        let cached = {
            let map = state.sessions.lock().unwrap_or_else(|e| e.into_inner());
            map.get(&token).filter(|(_, _, at)| at.elapsed() < SESSION_RECHECK).map(|(u, c, _)| (u.clone(), c.clone()))
        };
        let (user, csrf) = match cached {
            Some(found) => found,
            None => {
                let t = token.clone();
                let found = state.db(move |c| Ok(auth::session(c, &t)?)).await?;
                let (user, csrf) = found.ok_or_else(ApiError::unauthorized)?;
                let mut map = state.sessions.lock().unwrap_or_else(|e| e.into_inner());
                if map.len() > 10_000 {
                    map.retain(|_, (_, _, at)| at.elapsed() < SESSION_RECHECK);
                }
                map.insert(token.clone(), (user.clone(), csrf.clone(), Instant::now()));
                (user, csrf)
            }
        };
        // Cross-site requests are refused outright for anything that changes state.
        if parts.method != Method::GET && parts.method != Method::HEAD {
            if let Some(site) = parts.headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
                if site == "cross-site" {
                    return Err(ApiError::forbidden("cross-site request refused"));
                }
            }
        }
        Ok(Ctx { user, csrf, token })
    }
}

/// Answers API errors as JSON; the pages turn them into HTML themselves.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            say!("conduct serve: error: {}", self.message);
        }
        let body = openapi::ErrorBody { error: self.public_message(), status: self.status.as_u16(), detail: self.detail };
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}

/// The largest request body read in full before its handler runs ([`guard`]).
const SMALL_BODY: u64 = 64 * 1024;

/// Security headers on every answer; and a small request body (a declared length of at most
/// [`SMALL_BODY`]) is read before the handler runs, so that an answer given without reading it
/// (a sign-out that needs only its header, a refusal before the form is parsed) still leaves
/// the connection open for the client's next request. Left unread, the HTTP layer may close a
/// keep-alive connection whose body had not all arrived, and a client that reuses it sees
/// "peer disconnected" on a request it never got answered. Larger bodies (uploads) stream to
/// their handler as before.
async fn guard(req: Request, next: Next) -> Response {
    let small = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|n| n > 0 && n <= SMALL_BODY);
    let mut res = if small {
        let (parts, body) = req.into_parts();
        match axum::body::to_bytes(body, SMALL_BODY as usize).await {
            Ok(bytes) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
            Err(_) => ApiError::bad_request("the request body could not be read in full").into_response(),
        }
    } else {
        next.run(req).await
    };
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// One `tracing` span per request, with the method and the route template (never the ids in
/// the path, nor query strings or bodies), and one event when it is answered: status and time.
fn request_log<S>(router: axum::Router<S>) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let trace = tower_http::trace::TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let route = req.extensions().get::<MatchedPath>().map_or("(unmatched)", |m| m.as_str());
            tracing::info_span!("request", method = %req.method(), route = %route)
        })
        .on_request(())
        .on_response(|res: &Response, latency: std::time::Duration, _: &tracing::Span| {
            tracing::info!(status = res.status().as_u16(), ms = %format_args!("{:.1}", latency.as_secs_f64() * 1000.0), "answered");
        })
        .on_body_chunk(())
        .on_eos(())
        .on_failure(());
    router.layer(trace)
}

/// Request logs on stderr (`tracing`'s plain text format), unless `CONDUCT_QUIET` is set
/// (benchmarks: no subscriber, and a span costs next to nothing). A subscriber already set by
/// the caller is kept.
fn init_request_log() {
    if std::env::var_os("CONDUCT_QUIET").is_none() {
        let _ = tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).with_target(false).try_init();
    }
}

/// The router: pages, API and the OpenAPI document.
pub fn router(state: Shared) -> axum::Router {
    let limit = state.config.max_upload_bytes;
    let routes = axum::Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .route("/openapi.json", axum::routing::get(openapi::document))
        .fallback(|| async { ApiError::not_found("no such page") })
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(guard));
    request_log(routes).with_state(state)
}

/// Opens the database, migrates it and builds the shared state, with the upload limits the
/// environment sets ([`dataset::Limits::from_env`]).
///
/// # Errors
///
/// [`ErrorKind::Invalid`] when a limit set in the environment is not a number; otherwise
/// [`state_with`]'s error, as [`ErrorKind::Db`].
pub fn state(config: Config) -> Result<Shared, Error> {
    let limits = dataset::Limits::from_env().map_err(Error::invalid)?;
    Ok(state_with(config, limits)?)
}

/// As [`state`], with the upload limits given.
///
/// # Errors
///
/// A [`conduct_store::Error`] when the database cannot be reached, migrated, or its pseudonym key
/// read or stored.
pub fn state_with(config: Config, limits: dataset::Limits) -> Result<Shared, conduct_store::Error> {
    // Two connections beyond the request slots: the audit writer's and a publication's.
    let pool = db::pool(&config.database, config.pool_size + 2)?;
    let key = {
        let mut c = db::get(&pool)?;
        conduct_store::migrate(&mut c)?;
        auth::pseudonym_key(&mut c)?
    };
    let auditor = Auditor::start(pool.clone());
    Ok(Arc::new(AppState {
        pool,
        auditor,
        limiter: LoginLimiter::default(),
        refusals: auth::RefusalCounter::new(auth::LOCKOUT),
        key,
        slots: tokio::sync::Semaphore::new(config.pool_size as usize),
        config,
        queue: queue::Batches::default(),
        analysing: std::sync::atomic::AtomicBool::new(false),
        limits,
        totals: Arc::default(),
        vocabulary: Arc::default(),
        sessions: Default::default(),
    }))
}

/// Serves until interrupted, with the upload limits the environment sets. Prints
/// `listening on http://ADDR` once the socket is bound.
///
/// # Errors
///
/// When a limit set in the environment is not a number; otherwise as [`serve_with`].
pub fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    serve_with(config, dataset::Limits::from_env()?)
}

/// As [`serve`], with the upload limits given.
///
/// # Errors
///
/// When the state cannot be built ([`state_with`]), the runtime cannot start, the address cannot
/// be bound, or serving fails.
pub fn serve_with(config: Config, limits: dataset::Limits) -> Result<(), Box<dyn std::error::Error>> {
    init_request_log();
    // Connections are opened outside the runtime: the PostgreSQL client blocks on its own.
    let state = state_with(config.clone(), limits)?;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().max_blocking_threads(64).build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        {
            // Scripts read the address from stdout; a closed stdout must not stop the server.
            use std::io::Write as _;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "listening on http://{addr}").and_then(|()| out.flush());
        }
        tokio::spawn(api::resume_interrupted(state.clone()));
        tokio::spawn(catch_up(state.clone()));
        tokio::spawn(record_counted_refusals(state.clone()));
        say!("conduct serve: {} ; data folder {}", config.database.describe(), config.data_dir.display());
        axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}

/// Publishes the store's records whenever some were imported after the current publication was
/// analysed: a workspace filled by `conduct ingest` (before the server started, or beside it),
/// or an import whose publication did not commit. Looks at start and then every 30 seconds;
/// uploads publish their own exports at once. After a failure it waits twice as long each
/// time (up to an hour), so a store whose analysis fails is not analysed again every 30 s.
async fn catch_up(state: Shared) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
    let (mut skip, mut backoff) = (0u32, 1u32);
    loop {
        tick.tick().await;
        if skip > 0 {
            skip -= 1;
            continue;
        }
        if state.queue.is_empty() {
            if publish_if_behind(&state).await {
                backoff = 1;
            } else {
                skip = backoff;
                backoff = (backoff * 2).min(120);
            }
        }
    }
}

/// Publishes the store's records if they are behind; false when that failed.
async fn publish_if_behind(state: &Shared) -> bool {
    let (data_dir, pool) = (state.config.data_dir.clone(), state.pool.clone());
    let result = tokio::task::spawn_blocking(move || -> Result<Option<dataset::Published>, Error> {
        let mut c = db::get(&pool)?;
        if !dataset::behind(&mut c)? {
            return Ok(None);
        }
        say!("conduct serve: the database holds records not yet published: publishing them");
        dataset::publish(&mut c, &data_dir, &[]).map(Some)
    })
    .await;
    match result {
        Ok(Ok(Some(p))) => {
            let _ = state
                .record(vec![Entry {
                    actor: "conduct".into(),
                    action: "publish".into(),
                    object: "store".into(),
                    force: "-".into(),
                    outcome: "published".into(),
                    detail: serde_json::to_string(&p).unwrap_or_default(),
                }])
                .await;
            true
        }
        Ok(Ok(None)) => true,
        Ok(Err(e)) => {
            say!("conduct serve: error: publishing the stored records: {e}");
            false
        }
        Err(e) => {
            say!("conduct serve: error: publishing the stored records stopped: {e}");
            false
        }
    }
}

/// Every minute, writes the counts of refusals whose window has closed (see
/// [`auth::RefusalCounter`]).
async fn record_counted_refusals(state: Shared) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        let entries = state.refusals.flush(Instant::now());
        if !entries.is_empty() {
            if let Err(e) = state.record(entries).await {
                say!("conduct serve: error: {}", e.message);
            }
        }
    }
}

/// Redirects to the login page (for pages when not signed in).
pub fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// A `Set-Cookie` value for the session.
pub fn session_cookie(token: &str, secure: bool, max_age: i64) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}", if secure { "; Secure" } else { "" })
}

/// Whether the request came over TLS (directly configured, or through a proxy that says so).
pub fn is_tls(state: &AppState, headers: &HeaderMap) -> bool {
    state.config.secure_cookies || headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

/// The status for a failed view as a page would show it.
pub fn status_text(s: StatusCode) -> &'static str {
    s.canonical_reason().unwrap_or("Error")
}

/// Adds an export to the data folder and republishes the analysis of every export (for the
/// command line: `conduct publish`). The export must have usable rows. It is staged first and
/// accepted only when the publication commits: a publication killed on the way leaves nothing
/// that a later one would read (see [`dataset::Staged`]). `writes` says how the analysis tables
/// are written (by their changes unless told to write them whole).
///
/// # Errors
///
/// [`ErrorKind::Refused`] when the export has no usable rows; as [`dataset::validate`],
/// [`dataset::stage_copy`] and [`dataset::publish`] otherwise; [`ErrorKind::Db`] when the tidying
/// or the audit entry fails, [`ErrorKind::Store`] when the held incidents cannot be read.
pub fn publish_export(
    conn: &mut Conn,
    data_dir: &std::path::Path,
    inputs: &conduct_ingest::Inputs,
    actor: &str,
    writes: dataset::Writes,
) -> Result<(dataset::Validation, dataset::Published), Error> {
    let started = Instant::now();
    dataset::reconcile(conn, data_dir)?;
    let known = conduct_store::known_incidents(conn).map_err(Error::from)?;
    let mut v = dataset::validate(inputs, &dataset::Limits::for_cli(), &known)?;
    drop(known);
    if v.summary.accepted() == 0 {
        return Err(Error::refused("no usable rows: nothing was imported"));
    }
    let staged = dataset::stage_copy(data_dir, inputs)?;
    let forces: Vec<&str> = dataset::forces_of(&v.export).iter().map(|f| f.name()).collect();
    // The records just read are the publication's: the staged copy is kept for a publication
    // that does not commit, and is not read again here.
    let read = (std::mem::take(&mut v.export), v.summary.clone());
    let validated = started.elapsed().as_secs_f64();
    match dataset::publish_read(conn, data_dir, vec![(&staged, Some(read))], writes) {
        Ok(mut p) => {
            p.stages.insert(0, ("validate", validated));
            audit::append(
                conn,
                &[Entry {
                    actor: actor.into(),
                    action: "import".into(),
                    object: format!("export/{}", staged.name),
                    force: forces.join(";"),
                    outcome: "published".into(),
                    detail: format!("{} rows accepted, {} rejected", v.summary.accepted(), v.summary.rejected()),
                }],
            )?;
            Ok((v, p))
        }
        Err(e) => {
            dataset::discard(&staged);
            Err(e)
        }
    }
}

/// The one force whose records the store holds: the cross-force mode is for a force's own
/// server, which holds no other force's identities.
///
/// # Errors
///
/// [`ErrorKind::Refused`] when the store holds no incidents, or those of several
/// forces.
pub fn own_force(conn: &mut Conn) -> Result<conduct_domain::Force, Error> {
    let forces: Vec<String> = conn
        .query("SELECT name FROM forces WHERE id IN (SELECT DISTINCT force_id FROM incidents) ORDER BY name", &[])?
        .iter()
        .map(|r| r[0].text())
        .collect();
    match &forces[..] {
        [one] => conduct_domain::Force::resolve(one).map_err(|e| Error::refused(format!("force {one:?} held: {e}"))),
        [] => {
            Err(Error::refused("the store holds no records yet: publish the force's own export before what the cross-force hub sent back"))
        }
        many => Err(Error::refused(format!(
            "the store holds records of {} forces ({}): the cross-force mode is for one force's own server, which holds only its own records",
            many.len(),
            many.join(", ")
        ))),
    }
}

/// Holds what the cross-force hub sent back for the store's force (`reports`, read from the
/// hub's files and the force's keymap by the caller; `source` names those files; `left_out`
/// the parties whose reports were left out) in place of what was held before, and republishes
/// so that the other forces' reports join the courses. Every own record the reports are linked
/// to must be held: a hub result about records the store does not hold is refused whole (the
/// keymap or the links are of another export), and nothing changes.
///
/// # Errors
///
/// [`ErrorKind::Refused`] when the store is not one force's ([`own_force`]), the
/// reports were read for another force, or they name an own record the store does not hold;
/// the database's or the publication's error otherwise.
pub fn receive_cross_force(
    conn: &mut Conn,
    data_dir: &std::path::Path,
    force: conduct_domain::Force,
    reports: &[conduct_domain::OtherForceReport],
    source: &str,
    left_out: &[String],
    actor: &str,
) -> Result<(conduct_store::cross_force::Receipt, dataset::Published), Error> {
    let own = own_force(conn)?;
    if own != force {
        return Err(Error::refused(format!(
            "the hub's result was read for {}, but the store holds the records of {}",
            force.name(),
            own.name()
        )));
    }
    let held: std::collections::HashSet<String> = conn
        .query("SELECT p.record_id FROM people p JOIN forces f ON f.id = p.force_id WHERE f.name = ?", &[own.name().into()])?
        .iter()
        .map(|r| r[0].text())
        .collect();
    let missing: Vec<&str> = reports.iter().map(|r| r.own_record.as_str()).filter(|r| !held.contains(*r)).collect();
    if let Some(first) = missing.first() {
        return Err(Error::refused(format!(
            "{source}: links {} report rows to records this store does not hold (the first: record {first}): the keymap or the links are of another export; nothing was changed",
            missing.len()
        )));
    }
    let receipt = conduct_store::cross_force::hold(conn, own, reports, source, left_out).map_err(Error::from)?;
    dataset::reconcile(conn, data_dir)?;
    let published = dataset::publish(conn, data_dir, &[])?;
    audit::append(
        conn,
        &[Entry {
            actor: actor.into(),
            action: "cross-force receipt".into(),
            object: "cross-force".into(),
            force: own.name().into(),
            outcome: "published".into(),
            detail: format!(
                "{} report rows of {} held; {} reports taken into courses, {} left out",
                receipt.reports,
                if receipt.forces.is_empty() { "no force" } else { receipt.forces.as_str() },
                published.cross_force.reports,
                published.cross_force.left_out
            ),
        }],
    )?;
    Ok((receipt, published))
}

/// State for handlers that need the raw state.
pub type St = State<Shared>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookies_are_httponly_strict_and_secure_over_tls() {
        let c = session_cookie("abc", false, 60);
        assert!(c.starts_with("conduct_session=abc;") && c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(!c.contains("Secure"));
        assert!(session_cookie("abc", true, 60).ends_with("; Secure"));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; conduct_session=xyz; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
    }
}

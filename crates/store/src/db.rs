//! The database layer of the server and the workspace: one small SQL dialect over SQLite (rusqlite, the default) or
//! PostgreSQL (the `postgres` crate), behind an r2d2 connection pool.
//!
//! Statements are written once, with `?` placeholders, and the types the schema uses are kept
//! to three (BIGINT, DOUBLE PRECISION, TEXT) so that the same statement means the same thing on
//! both. For PostgreSQL the placeholders become `$1, $2, …`. Bulk loads use `COPY` on PostgreSQL
//! and prepared multi-row inserts on SQLite.

use std::path::{Path, PathBuf};

use compact_str::CompactString;

use crate::Error;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

/// A value bound to or read from a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (BIGINT).
    Int(i64),
    /// A float (DOUBLE PRECISION).
    Real(f64),
    /// Text. Up to 24 bytes are held inline, without an allocation of their own: most of a
    /// record's fields (a force, a reference, a date, a name, a postcode) are that short, and a
    /// publication builds a row of them for every record it holds.
    Text(CompactString),
}

impl Value {
    /// The integer, if it is one.
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Real(f) => Some(*f as i64),
            Value::Text(s) => s.parse().ok(),
            Value::Null => None,
        }
    }

    /// The text (numbers are formatted; NULL is empty).
    pub fn text(&self) -> String {
        match self {
            Value::Text(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Real(f) => f.to_string(),
            Value::Null => String::new(),
        }
    }

    /// [`Value::text`], borrowed when the value is a text: for reading a [`Conn::scan`]'s row
    /// without copying it.
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Value::Text(s) => std::borrow::Cow::Borrowed(s),
            other => std::borrow::Cow::Owned(other.text()),
        }
    }

    /// The float, if it is a number.
    pub fn real(&self) -> Option<f64> {
        match self {
            Value::Real(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            Value::Text(s) => s.parse().ok(),
            Value::Null => None,
        }
    }

    /// A value SQLite returned (a blob read as text, as the schema stores none).
    pub fn from_sqlite(v: rusqlite::types::ValueRef<'_>) -> Value {
        use rusqlite::types::ValueRef;
        match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(x) => Value::Int(x),
            ValueRef::Real(x) => Value::Real(x),
            ValueRef::Text(t) | ValueRef::Blob(t) => Value::from(utf8(t).as_ref()),
        }
    }

    /// Text, or NULL when empty.
    pub fn opt_text(s: &str) -> Value {
        if s.is_empty() { Value::Null } else { Value::Text(CompactString::from(s)) }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(CompactString::from(s))
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(CompactString::from(s))
    }
}
impl From<&CompactString> for Value {
    fn from(s: &CompactString) -> Value {
        Value::Text(s.clone())
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Text(CompactString::from(s.as_str()))
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<usize> for Value {
    fn from(i: usize) -> Value {
        Value::Int(i as i64)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Int(b as i64)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Real(f)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

/// A row read back.
pub type Row = Vec<Value>;

/// Which database a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Url {
    /// An SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection string (`postgres://…`).
    Postgres(String),
}

impl Url {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://PATH` or a plain path is an
    /// SQLite file.
    pub fn parse(s: &str) -> Url {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Url::Postgres(s.to_string())
        } else {
            Url::Sqlite(PathBuf::from(s.strip_prefix("sqlite://").unwrap_or(s)))
        }
    }

    /// For messages: the kind and where, without any password.
    pub fn describe(&self) -> String {
        match self {
            Url::Sqlite(p) => format!("SQLite {}", p.display()),
            Url::Postgres(s) => {
                let after = s.split_once("://").map_or(s.as_str(), |x| x.1);
                let host = after.rsplit_once('@').map_or(after, |x| x.1);
                format!("PostgreSQL {host}")
            }
        }
    }
}

/// A stored text as a string: borrowed when it is valid UTF-8, as everything Conduct writes is
/// (checked by `str::from_utf8`, whose walk is quicker than the lossy conversion's, which
/// showed in a publication's profile); a text written by something else has its invalid bytes
/// replaced.
pub fn utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

fn context(sql: &str) -> String {
    let s: String = sql.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
    s
}

thread_local! {
    /// How many times SQLite prepared a statement again on this thread (see [`reprepared_here`]).
    static REPREPARED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// The last statement counted in [`REPREPARED`].
    static LAST_REPREPARED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// How many times, since this thread began, SQLite prepared one of [`Conn`]'s statements again
/// before running it: once the schema changed under a cached statement, or, with STAT4
/// statistics (as rusqlite bundles SQLite), whenever a value bound where the planner consulted
/// them differs from the last. The second kind is a cost on every page of the dashboard (7 % of
/// the server's CPU on the course page before it bound its id in a `CAST`), so a test walks
/// every page and asserts this stays 0. Counted on the calling thread, so that concurrent work
/// elsewhere in the process does not disturb such a count. Always 0 on PostgreSQL.
pub fn reprepared_here() -> u64 {
    REPREPARED.with(std::cell::Cell::get)
}

/// The text of the last statement [`reprepared_here`] counted on this thread (a statement's
/// text holds no bound values).
pub fn last_reprepared_here() -> Option<String> {
    LAST_REPREPARED.with(|l| l.borrow().clone())
}

/// Adds the re-preparations of `st` (the text `sql`) since its last run to this thread's count.
fn count_reprepared(st: &rusqlite::Statement<'_>, sql: &str) {
    let n = st.reset_status(rusqlite::StatementStatus::RePrepare);
    if n > 0 {
        REPREPARED.with(|c| c.set(c.get() + n as u64));
        LAST_REPREPARED.with(|l| *l.borrow_mut() = Some(sql.to_string()));
    }
}

fn sqlite_err(sql: &str, e: rusqlite::Error) -> Error {
    Error::db_caused(format!("SQLite: {e} (in \"{}…\")", context(sql)), e)
}

fn pg_err(sql: &str, e: postgres::Error) -> Error {
    let detail = e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string());
    Error::db_caused(format!("PostgreSQL: {detail} (in \"{}…\")", context(sql)), e)
}

/// Result of a database call.
pub type Result<T> = std::result::Result<T, Error>;

/// One open connection.
pub enum Conn {
    /// SQLite.
    Sqlite(rusqlite::Connection),
    /// PostgreSQL (boxed: the client and its statements are larger than a SQLite handle).
    Postgres(Box<PgConn>),
}

/// A PostgreSQL connection with its prepared statements, kept like SQLite's statement cache: a
/// statement given as text is parsed and planned by the server once per connection, and then
/// runs in one round trip instead of two.
pub struct PgConn {
    client: postgres::Client,
    statements: std::collections::HashMap<String, postgres::Statement>,
    /// When it was last handed back to the pool unbroken (see [`CHECKED_WITHIN`]).
    returned: Option<std::time::Instant>,
}

/// A pooled PostgreSQL connection handed back unbroken less than this long ago is handed out
/// again without a test (an empty query, one round trip, which every request paid before);
/// one idle for longer is tested first. A connection that fails while in use (the server
/// restarted, the backend was ended) is seen closed when handed back and dropped, so it fails
/// one request at most. The same rule and window as HikariCP's `aliveBypassWindowMs`.
const CHECKED_WITHIN: std::time::Duration = std::time::Duration::from_millis(500);

/// How many prepared statements a PostgreSQL connection keeps (past that, all are closed and
/// prepared again as used: statements built per call, like a bulk load's, cannot fill it).
const PG_STATEMENTS: usize = 256;

impl PgConn {
    /// The prepared statement for `sql` (with `?` placeholders), prepared on first use.
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(numbered(sql).as_str()).map_err(|e| pg_err(sql, e))?;
        if self.statements.len() >= PG_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }

    /// Runs `run` with the prepared statement for `sql`. A statement the server no longer
    /// accepts (its plan invalidated by a change of a table's columns) is prepared afresh and
    /// run once more; any failure drops it from the cache.
    fn with_statement<T>(
        &mut self,
        sql: &str,
        run: impl Fn(&mut postgres::Client, &postgres::Statement) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let st = self.statement(sql)?;
        match run(&mut self.client, &st) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.statements.remove(sql);
                // "cached plan must not change result type"; inside a transaction the retry
                // fails too (the transaction is aborted), and the first error is the one told.
                if e.code() != Some(&postgres::error::SqlState::FEATURE_NOT_SUPPORTED) {
                    return Err(pg_err(sql, e));
                }
                let st = self.statement(sql)?;
                run(&mut self.client, &st).map_err(|_| {
                    self.statements.remove(sql);
                    pg_err(sql, e)
                })
            }
        }
    }
}

impl std::ops::Deref for PgConn {
    type Target = postgres::Client;
    fn deref(&self) -> &postgres::Client {
        &self.client
    }
}

impl std::ops::DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut postgres::Client {
        &mut self.client
    }
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT2 => (*i as i16).to_sql(ty, out),
                Type::INT4 => (*i as i32).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR => i.to_string().to_sql(ty, out),
                _ => i.to_sql(ty, out),
            },
            Value::Real(f) => match *ty {
                Type::INT8 => (*f as i64).to_sql(ty, out),
                _ => f.to_sql(ty, out),
            },
            Value::Text(s) => s.as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Real(f) => ToSqlOutput::Borrowed(ValueRef::Real(*f)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

/// `?` placeholders to `$1, $2, …` (statements here never hold a `?` inside a string literal).
pub fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

fn pg_value(row: &postgres::Row, i: usize) -> Value {
    let ty = row.columns()[i].type_();
    let v = match *ty {
        Type::INT8 => row.get::<_, Option<i64>>(i).map(Value::Int),
        Type::INT4 => row.get::<_, Option<i32>>(i).map(|x| Value::Int(x as i64)),
        Type::INT2 => row.get::<_, Option<i16>>(i).map(|x| Value::Int(x as i64)),
        Type::BOOL => row.get::<_, Option<bool>>(i).map(|x| Value::Int(x as i64)),
        Type::FLOAT8 => row.get::<_, Option<f64>>(i).map(Value::Real),
        Type::FLOAT4 => row.get::<_, Option<f32>>(i).map(|x| Value::Real(x as f64)),
        _ => row.try_get::<_, Option<&str>>(i).ok().flatten().map(|t| Value::Text(CompactString::from(t))),
    };
    v.unwrap_or(Value::Null)
}

/// How long an SQLite statement waits for another connection's write to finish before failing
/// with "database is locked": 10 s, or `CONDUCT_SQLITE_BUSY_MS`. Writes are kept short
/// (a publication writes a few thousand rows per transaction), so this is a bound, not a wait.
pub fn busy_timeout_ms() -> u64 {
    static MS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *MS.get_or_init(|| std::env::var("CONDUCT_SQLITE_BUSY_MS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(10_000))
}

thread_local! {
    static WAITING_SINCE: std::cell::Cell<Option<std::time::Instant>> = const { std::cell::Cell::new(None) };
}

/// SQLite's busy handler: try again every millisecond until [`busy_timeout_ms`] has passed.
/// SQLite's own sleeps grow to 100 ms, and a writer that sleeps that long keeps missing the
/// moments between a publication's transactions (SQLite does not queue writers): it could
/// starve for the whole publication although no transaction is long.
fn busy_wait(count: i32) -> bool {
    let now = std::time::Instant::now();
    let since = WAITING_SINCE.with(|w| {
        if count == 0 || w.get().is_none() {
            w.set(Some(now));
        }
        w.get().unwrap_or(now)
    });
    if now.duration_since(since).as_millis() as u64 >= busy_timeout_ms() {
        return false;
    }
    std::thread::sleep(std::time::Duration::from_millis(1));
    true
}

/// Where an SQLite database keeps its audit log: a file beside it, named after it with
/// `-audit` (`conduct-server.db` → `conduct-server-audit.db`), attached to every connection as
/// the schema `audit_log`, where the table `audit` is found by its plain name.
///
/// Why apart: SQLite drops a connection's page cache (and its memory map) whenever another
/// connection has written to the same database file since its last read. The audit log is
/// written by nearly every request, so with it in the main file every list read began with a
/// cold cache; with it apart, only publications and workflow changes do. Keep the two files
/// together when copying a database.
pub fn audit_file(db: &Path) -> PathBuf {
    let stem = db.file_stem().map_or_else(|| "conduct".into(), |s| s.to_string_lossy().into_owned());
    let name = match db.extension() {
        Some(ext) => format!("{stem}-audit.{}", ext.to_string_lossy()),
        None => format!("{stem}-audit"),
    };
    db.with_file_name(name)
}

impl Conn {
    /// Opens a connection and sets it up (SQLite: WAL, a busy handler that waits up to
    /// [`busy_timeout_ms`]).
    ///
    /// # Errors
    ///
    /// A [`Error`] when the SQLite file or its audit log cannot be opened or set up, or the
    /// PostgreSQL server cannot be reached.
    pub fn open(url: &Url) -> Result<Conn> {
        match url {
            Url::Sqlite(path) => {
                let mut c = rusqlite::Connection::open(path)
                    .map_err(|e| Error::db_caused(format!("cannot open SQLite database {}: {e}", path.display()), e))?;
                c.busy_handler(Some(busy_wait)).map_err(|e| sqlite_err("busy handler", e))?;
                // The audit log lives in its own file (see [`audit_file`]), attached to every
                // connection, so that its constant appends leave the other tables' pages cached.
                let audit = audit_file(path);
                c.execute("ATTACH DATABASE ?1 AS audit_log", [audit.to_string_lossy()])
                    .map_err(|e| Error::db_caused(format!("cannot open the audit log's SQLite database {}: {e}", audit.display()), e))?;
                c.execute_batch(&format!(
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA mmap_size={}; PRAGMA cache_size=-16384;
                     PRAGMA audit_log.journal_mode=WAL; PRAGMA audit_log.synchronous=NORMAL;",
                    crate::MMAP_BYTES
                ))
                .map_err(|e| sqlite_err("PRAGMA", e))?;
                c.set_prepared_statement_cache_capacity(256);
                Ok(Conn::Sqlite(c))
            }
            Url::Postgres(s) => {
                let c = postgres::Client::connect(s, postgres::NoTls)
                    .map_err(|e| Error::db_caused(format!("cannot connect to {}: {e}", url.describe()), e))?;
                Ok(Conn::Postgres(Box::new(PgConn { client: c, statements: Default::default(), returned: None })))
            }
        }
    }

    /// SQLite: the file behind the schema `name` (`main`, `audit_log`); None on PostgreSQL.
    pub fn sqlite_file(&mut self, name: &str) -> Option<String> {
        let rows = self.query("PRAGMA database_list", &[]).ok()?;
        rows.into_iter().find(|r| r.get(1).is_some_and(|n| n.text() == name)).and_then(|r| r.get(2).map(Value::text))
    }

    /// Where a second connection may read this one's database beside it, on another core: an
    /// SQLite file (not in memory) with no transaction open on this connection (a second
    /// connection would not see its writes), on a machine with a second core; `None` otherwise
    /// (PostgreSQL included). Reading outside a transaction, each connection sees what a table
    /// held when its read began, as reads one after the other on one connection do.
    pub fn second_reader(&self) -> Option<Url> {
        let Conn::Sqlite(c) = self else { return None };
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let path = c.path().filter(|p| !p.is_empty())?;
        (cores > 1 && c.is_autocommit()).then(|| Url::Sqlite(PathBuf::from(path)))
    }

    /// Runs `here` on this connection and, at the same time, `beside` on a second connection to
    /// the same database on another thread, when a second connection may read
    /// ([`Conn::second_reader`]); otherwise `here`, then `beside`, both on this connection. So a
    /// read of several tables can give the largest its own core, with one rule for when it may.
    /// A panic on the other thread is resumed here.
    ///
    /// # Errors
    ///
    /// The second connection's failure to open is `beside`'s error.
    pub fn read_beside<A: Send, B, E: From<Error> + Send>(
        &mut self,
        beside: impl FnOnce(&mut Conn) -> std::result::Result<A, E> + Send,
        here: impl FnOnce(&mut Conn) -> B,
    ) -> (std::result::Result<A, E>, B) {
        match self.second_reader() {
            Some(url) => std::thread::scope(|scope| {
                let other = scope.spawn(move || beside(&mut Conn::open(&url)?));
                let b = here(self);
                (other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), b)
            }),
            None => {
                let b = here(self);
                (beside(self), b)
            }
        }
    }

    /// Whether this is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, Conn::Postgres(_))
    }

    /// Runs one statement; returns the rows changed.
    ///
    /// # Errors
    ///
    /// A [`Error`] when the statement cannot be prepared or fails.
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(sql).map_err(|e| sqlite_err(sql, e))?;
                let n = st.execute(rusqlite::params_from_iter(params.iter())).map(|n| n as u64).map_err(|e| sqlite_err(sql, e));
                count_reprepared(&st, sql);
                n
            }
            Conn::Postgres(c) => {
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                c.with_statement(sql, |client, st| client.execute(st, &refs))
            }
        }
    }

    /// Runs a query and returns every row.
    ///
    /// # Errors
    ///
    /// A [`Error`] when the query cannot be prepared or run, or a row cannot be read.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(sql).map_err(|e| sqlite_err(sql, e))?;
                let n = st.column_count();
                let mut rows = st.query(rusqlite::params_from_iter(params.iter())).map_err(|e| sqlite_err(sql, e))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next().map_err(|e| sqlite_err(sql, e))? {
                    let mut row = Vec::with_capacity(n);
                    for i in 0..n {
                        row.push(Value::from_sqlite(r.get_ref(i).map_err(|e| sqlite_err(sql, e))?));
                    }
                    out.push(row);
                }
                drop(rows);
                count_reprepared(&st, sql);
                Ok(out)
            }
            Conn::Postgres(c) => {
                let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                let rows = c.with_statement(sql, |client, st| client.query(st, &refs))?;
                Ok(rows.iter().map(|r| (0..r.len()).map(|i| pg_value(r, i)).collect()).collect())
            }
        }
    }

    /// Runs a query and hands each row to `each` as it is read, keeping none of them: for
    /// comparing a table too large to hold twice. The scan stops early when `each` returns
    /// `Ok(false)`.
    ///
    /// # Errors
    ///
    /// A [`Error`] when the query cannot be prepared or run or a row cannot be read, and the
    /// error `each` returns, which ends the scan.
    pub fn scan(&mut self, sql: &str, params: &[Value], mut each: impl FnMut(&[Value]) -> Result<bool>) -> Result<()> {
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(sql).map_err(|e| sqlite_err(sql, e))?;
                let n = st.column_count();
                let mut rows = st.query(rusqlite::params_from_iter(params.iter())).map_err(|e| sqlite_err(sql, e))?;
                // One row's values, their text buffers reused from row to row.
                let mut row = vec![Value::Null; n];
                while let Some(r) = rows.next().map_err(|e| sqlite_err(sql, e))? {
                    for (i, slot) in row.iter_mut().enumerate() {
                        use rusqlite::types::ValueRef;
                        match r.get_ref(i).map_err(|e| sqlite_err(sql, e))? {
                            ValueRef::Null => *slot = Value::Null,
                            ValueRef::Integer(x) => *slot = Value::Int(x),
                            ValueRef::Real(x) => *slot = Value::Real(x),
                            ValueRef::Text(t) | ValueRef::Blob(t) => {
                                let t = utf8(t);
                                match slot {
                                    Value::Text(s) => {
                                        s.clear();
                                        s.push_str(&t);
                                    }
                                    _ => *slot = Value::Text(CompactString::from(t)),
                                }
                            }
                        }
                    }
                    if !each(&row)? {
                        break;
                    }
                }
                drop(rows);
                count_reprepared(&st, sql);
                Ok(())
            }
            Conn::Postgres(c) => {
                use postgres::fallible_iterator::FallibleIterator;
                let st = c.statement(sql)?;
                let mut rows = c.client.query_raw(&st, params.iter()).map_err(|e| pg_err(sql, e))?;
                let mut row = Vec::new();
                while let Some(r) = rows.next().map_err(|e| pg_err(sql, e))? {
                    row.clear();
                    row.extend((0..r.len()).map(|i| pg_value(&r, i)));
                    if !each(&row)? {
                        break;
                    }
                }
                Ok(())
            }
        }
    }

    /// The first row, if any.
    ///
    /// # Errors
    ///
    /// As [`Conn::query`].
    pub fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// Runs several statements separated by `;` (no parameters).
    ///
    /// # Errors
    ///
    /// A [`Error`] when a statement fails.
    pub fn batch(&mut self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => c.execute_batch(sql).map_err(|e| sqlite_err(sql, e)),
            Conn::Postgres(c) => c.batch_execute(sql).map_err(|e| pg_err(sql, e)),
        }
    }

    /// Runs `f` in a transaction: committed if it returns Ok, rolled back otherwise.
    ///
    /// # Errors
    ///
    /// A [`Error`] (as `E`) when the transaction cannot begin or commit; the error `f` returns,
    /// after rolling back.
    pub fn transaction<T, E: From<Error>>(&mut self, f: impl FnOnce(&mut Conn) -> std::result::Result<T, E>) -> std::result::Result<T, E> {
        let begin = if self.is_postgres() { "BEGIN" } else { "BEGIN IMMEDIATE" };
        self.batch(begin)?;
        match f(self) {
            Ok(v) => {
                self.batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Appends rows to a table: `COPY` on PostgreSQL, prepared multi-row inserts on SQLite.
    ///
    /// # Errors
    ///
    /// A [`Error`] when an insert (SQLite) or the `COPY` (PostgreSQL) fails.
    pub fn bulk_insert(&mut self, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Conn::Sqlite(c) => {
                const PER: usize = 32;
                let one = format!("({})", vec!["?"; columns.len()].join(","));
                let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(","));
                let full = format!("{head}{}", vec![one.as_str(); PER].join(","));
                let mut chunks = rows.chunks_exact(PER);
                {
                    let mut st = c.prepare_cached(&full).map_err(|e| sqlite_err(&full, e))?;
                    for chunk in chunks.by_ref() {
                        st.execute(rusqlite::params_from_iter(chunk.iter().flatten())).map_err(|e| sqlite_err(&full, e))?;
                    }
                }
                let rest = chunks.remainder();
                if !rest.is_empty() {
                    let sql = format!("{head}{}", vec![one.as_str(); rest.len()].join(","));
                    c.execute(&sql, rusqlite::params_from_iter(rest.iter().flatten())).map_err(|e| sqlite_err(&sql, e))?;
                }
                Ok(())
            }
            Conn::Postgres(c) => {
                use std::io::Write;
                let sql = format!("COPY {table} ({}) FROM STDIN", columns.join(","));
                let mut w = c.copy_in(sql.as_str()).map_err(|e| pg_err(&sql, e))?;
                let mut buf = Vec::with_capacity(1 << 16);
                for row in rows {
                    for (i, v) in row.iter().enumerate() {
                        if i > 0 {
                            buf.push(b'\t');
                        }
                        match v {
                            Value::Null => buf.extend_from_slice(b"\\N"),
                            Value::Int(x) => buf.extend_from_slice(x.to_string().as_bytes()),
                            Value::Real(x) => buf.extend_from_slice(x.to_string().as_bytes()),
                            Value::Text(s) => {
                                for b in s.bytes() {
                                    match b {
                                        b'\\' => buf.extend_from_slice(b"\\\\"),
                                        b'\t' => buf.extend_from_slice(b"\\t"),
                                        b'\n' => buf.extend_from_slice(b"\\n"),
                                        b'\r' => buf.extend_from_slice(b"\\r"),
                                        _ => buf.push(b),
                                    }
                                }
                            }
                        }
                    }
                    buf.push(b'\n');
                    if buf.len() > 1 << 20 {
                        w.write_all(&buf).map_err(|e| Error::db_caused(format!("PostgreSQL COPY {table}: {e}"), e))?;
                        buf.clear();
                    }
                }
                w.write_all(&buf).map_err(|e| Error::db_caused(format!("PostgreSQL COPY {table}: {e}"), e))?;
                w.finish().map_err(|e| pg_err(&sql, e))?;
                Ok(())
            }
        }
    }
}

/// Opens connections for the pool.
pub struct Manager {
    url: Url,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = Error;

    fn connect(&self) -> Result<Conn> {
        Conn::open(&self.url)
    }

    /// Called on every check-out: a PostgreSQL connection idle for 500 ms (`CHECKED_WITHIN`) or more
    /// (or never handed back) is tested with an empty query; one handed back since is not.
    fn is_valid(&self, conn: &mut Conn) -> Result<()> {
        match conn {
            Conn::Sqlite(_) => Ok(()),
            Conn::Postgres(c) => {
                if c.returned.is_some_and(|t| t.elapsed() < CHECKED_WITHIN) {
                    return Ok(());
                }
                c.batch_execute("").map_err(|e| pg_err("", e))
            }
        }
    }

    /// Called on every check-in: a PostgreSQL connection whose socket has closed (a statement
    /// found it so) is dropped; any other is marked as handed back now.
    fn has_broken(&self, conn: &mut Conn) -> bool {
        match conn {
            Conn::Sqlite(_) => false,
            Conn::Postgres(c) => {
                let broken = c.is_closed();
                if !broken {
                    c.returned = Some(std::time::Instant::now());
                }
                broken
            }
        }
    }
}

/// A pool of connections to one database.
pub type Pool = r2d2::Pool<Manager>;

/// A pool of `size` connections to `url`; fails at once if the database cannot be reached.
///
/// # Errors
///
/// A [`Error`] when the SQLite file's folder cannot be made, the first connection cannot be
/// opened ([`Conn::open`]), or the pool cannot be built.
pub fn pool(url: &Url, size: u32) -> Result<Pool> {
    if let Url::Sqlite(p) = url {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| Error::db_caused(format!("cannot create {}: {e}", dir.display()), e))?;
        }
    }
    // One connection first, so that a bad URL fails with the database's own message.
    drop(Conn::open(url)?);
    r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(std::time::Duration::from_secs(30))
        .build(Manager { url: url.clone() })
        .map_err(|e| Error::db_caused(format!("connection pool for {}: {e}", url.describe()), e))
}

/// A connection from the pool.
///
/// # Errors
///
/// A [`Error`] when no connection can be had within the pool's timeout (30 s).
pub fn get(pool: &Pool) -> Result<r2d2::PooledConnection<Manager>> {
    pool.get().map_err(|e| Error::db_caused(format!("no database connection: {e}"), e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_stored_text_is_borrowed_when_valid_and_its_invalid_bytes_replaced_otherwise() {
        assert!(matches!(utf8("Llŷr Ó Súilleabháin".as_bytes()), std::borrow::Cow::Borrowed("Llŷr Ó Súilleabháin")));
        assert_eq!(utf8(b"ab\xffcd"), "ab\u{fffd}cd");
    }

    #[test]
    fn a_short_text_is_held_inline_and_a_value_is_three_words() {
        // A publication builds a row of values for every record it holds: a force, a
        // reference, a date or a name must not cost an allocation of its own.
        for short in ["Cheshire", "2024-02-29", "CH/2024/000123", "abcdefghijklmnopqrstuvwx"] {
            let Value::Text(s) = Value::from(short) else { unreachable!() };
            assert!(!s.is_heap_allocated(), "{short:?} was allocated");
        }
        let Value::Text(long) = Value::from("a narrative longer than twenty-four bytes") else { unreachable!() };
        assert!(long.is_heap_allocated());
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    use super::*;

    /// Through a query and a scan: valid text, a narrative with non-ASCII letters, and bytes
    /// that are not UTF-8 (a blob, or text written by another program).
    #[test]
    fn invalid_utf8_in_the_store_is_read_with_replacement_characters() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("t.db"))).unwrap();
        let Conn::Sqlite(db) = &c else { unreachable!() };
        db.execute_batch("CREATE TABLE t (n INTEGER, x)").unwrap();
        db.execute("INSERT INTO t VALUES (1, ?)", ["Siân followed her to Bootle"]).unwrap();
        db.execute("INSERT INTO t VALUES (2, ?)", [b"ab\xffcd".to_vec()]).unwrap();
        db.execute("INSERT INTO t VALUES (3, CAST(? AS TEXT))", [b"\xc3(".to_vec()]).unwrap();
        let want = ["Siân followed her to Bootle", "ab\u{fffd}cd", "\u{fffd}("];
        let got: Vec<String> = c.query("SELECT x FROM t ORDER BY n", &[]).unwrap().iter().map(|r| r[0].text()).collect();
        assert_eq!(got, want);
        let mut scanned = Vec::new();
        c.scan("SELECT x FROM t ORDER BY n", &[], |r| {
            scanned.push(r[0].text());
            Ok(true)
        })
        .unwrap();
        assert_eq!(scanned, want);
    }

    #[test]
    fn a_failed_statement_keeps_the_driver_error_as_its_source() {
        use std::error::Error as _;
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("t.db"))).unwrap();
        let e = c.query("SELECT x FROM no_such_table", &[]).unwrap_err();
        assert!(e.to_string().contains("no such table") && e.to_string().contains("SELECT x FROM"), "{e}");
        assert!(e.source().and_then(|s| s.downcast_ref::<rusqlite::Error>()).is_some(), "the rusqlite error is kept");
        assert!(Error::db("mine").source().is_none());
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(numbered("SELECT a FROM t WHERE b = ? AND c > ?"), "SELECT a FROM t WHERE b = $1 AND c > $2");
    }

    #[test]
    fn urls_say_which_database_without_passwords() {
        assert_eq!(Url::parse("x/y.db"), Url::Sqlite("x/y.db".into()));
        assert_eq!(Url::parse("sqlite://a.db"), Url::Sqlite("a.db".into()));
        let pg = Url::parse("postgres://u:secret@localhost/db");
        assert!(matches!(pg, Url::Postgres(_)));
        assert_eq!(pg.describe(), "PostgreSQL localhost/db");
    }

    #[test]
    fn sqlite_round_trip_and_bulk_insert() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("t.db"))).unwrap();
        c.batch("CREATE TABLE t (a BIGINT, b TEXT, c DOUBLE PRECISION)").unwrap();
        let rows: Vec<Vec<Value>> = (0..70).map(|i| vec![Value::Int(i), Value::from(format!("r{i}")), Value::Null]).collect();
        c.bulk_insert("t", &["a", "b", "c"], &rows).unwrap();
        let got = c.query("SELECT COUNT(*), MAX(a) FROM t WHERE b <> ?", &["r3".into()]).unwrap();
        assert_eq!(got, vec![vec![Value::Int(69), Value::Int(69)]]);
        let r: std::result::Result<(), Error> = c.transaction(|c| {
            c.execute("DELETE FROM t", &[])?;
            Err(Error::db("stop"))
        });
        assert!(r.is_err());
        assert_eq!(c.query("SELECT COUNT(*) FROM t", &[]).unwrap()[0][0], Value::Int(70), "rolled back");
    }
}

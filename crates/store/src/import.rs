//! One import = one transaction. A reader thread runs [`conduct_ingest::Ingest`] and sends
//! batches of accepted records; this thread upserts them. If anything fails — the export, the
//! database, or the process itself — the transaction is never committed and the workspace is
//! as it was before.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use conduct_domain::{Incident, Involvement, Order};
use conduct_ingest::{Batch, Export, Ingest, Inputs, KnownIncidents, Summary};

use crate::Store;
use crate::db::{Conn, Value};
use crate::error::{Error, ErrorKind};

/// What an import did to one table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Rows that were not in the workspace.
    pub new: u64,
    /// Rows that were, with different values (updated in place).
    pub updated: u64,
    /// Rows that were, unchanged.
    pub unchanged: u64,
}

/// The outcome of an import.
#[derive(Clone, Debug)]
pub struct ImportReport {
    /// Per-file counts: read = accepted + rejected.
    pub summary: Summary,
    /// Effect on incidents.
    pub incidents: Changes,
    /// Effect on people.
    pub people: Changes,
    /// Effect on orders.
    pub orders: Changes,
    /// The import's id in the `imports` log.
    pub import_id: i64,
    /// Where the time went.
    pub timings: Timings,
}

/// Time per stage of an import. Reading and writing overlap (two threads), so the stages add
/// up to more than the total.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timings {
    /// Reading and validating the files (reader thread).
    pub read: Duration,
    /// Writing rows into SQLite (writer thread).
    pub write: Duration,
    /// Rebuilding key indexes after bulk loads.
    pub index: Duration,
    /// Committing the transaction.
    pub commit: Duration,
    /// The whole import, from opening the transaction to the commit.
    pub total: Duration,
}

impl ImportReport {
    /// Whether the import changed any row.
    pub fn changed_anything(&self) -> bool {
        [self.incidents, self.people, self.orders].iter().any(|c| c.new + c.updated > 0)
    }
}

pub(crate) const INCIDENT_COLUMNS: &[&str] = &[
    "force_id",
    "incident_ref",
    "recorded_date",
    "occurred_date",
    "offence_code",
    "offence_class",
    "offence_description",
    "domestic_abuse",
    "cyber",
    "linked_refs",
    "outcome_type",
    "outcome_date",
    "narrative",
    "invalid",
    "secondary_offence_codes",
];
pub(crate) const PEOPLE_COLUMNS: &[&str] = &[
    "force_id",
    "record_id",
    "incident_ref",
    "role",
    "local_person_id",
    "forename",
    "middle_names",
    "surname",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "phone",
    "email",
    "online_handles",
    "pnc_id",
    "ni_number",
    "invalid",
];
pub(crate) const ORDER_COLUMNS: &[&str] =
    &["force_id", "order_ref", "order_type", "incident_ref", "applied_date", "granted_date", "expires_date", "status", "invalid"];

fn text(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn invalid(list: &[&str]) -> Option<String> {
    (!list.is_empty()).then(|| list.join(";"))
}

/// The time now, as the store records it (`2026-12-01T10:20:30Z`, UTC).
pub fn now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let day = conduct_domain::Date::from_days_since_epoch((secs / 86_400) as i32);
    let s = secs % 86_400;
    format!("{day}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// A test hook: with `CONDUCT_FAILPOINT_IMPORT_STALL=N`, the writer stops after writing N rows
/// inside the open transaction, says so on stderr and waits, so a test can kill the process
/// at a known point. It has no effect unless the variable is set, and exists only in a build
/// with the `failpoints` feature, which the workspace's integration tests turn on (a
/// dev-dependency of the `conduct` package) and `cargo build`, release or not, leaves off.
#[cfg(feature = "failpoints")]
fn stall_after() -> Option<u64> {
    std::env::var("CONDUCT_FAILPOINT_IMPORT_STALL").ok()?.parse().ok()
}

/// Writes rows on SQLite, inside the import's transaction (begun on the connection).
struct SqliteWriter<'t> {
    tx: &'t rusqlite::Connection,
    changed: [u64; 3],
    /// Per table: it was empty when the import began, so rows are appended with plain INSERTs
    /// and its key index is rebuilt once the table's rows are in (the reader has already
    /// refused duplicate keys, so the rebuilt unique index cannot fail).
    bulk: [bool; 3],
    /// Per table: its key index has been rebuilt.
    indexed: [bool; 3],
    /// Time spent writing rows, and rebuilding indexes.
    write_time: Duration,
    index_time: Duration,
}

/// The tables, their columns, and the name of their key index.
const TABLES: [(&str, &[&str], &str, &str); 3] = [
    ("incidents", INCIDENT_COLUMNS, "incidents_key", "force_id, incident_ref"),
    ("people", PEOPLE_COLUMNS, "people_key", "force_id, record_id"),
    ("orders", ORDER_COLUMNS, "orders_key", "force_id, order_ref"),
];

/// Rows per INSERT statement: one statement of many rows costs SQLite far less than as many
/// one-row statements (and stays under SQLite's limit of 32,766 parameters).
const ROWS_PER_STATEMENT: usize = 64;

/// An INSERT of `rows` rows. As an upsert it is `INSERT … ON CONFLICT (key) DO UPDATE … WHERE
/// something differs`: a row already there with the same values is not touched, so SQLite's
/// change count tells new-or-updated rows from unchanged ones.
fn insert_sql(table: &str, columns: &[&str], rows: usize, upsert: bool) -> String {
    let width = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let p: Vec<String> = (1..=width).map(|c| format!("?{}", r * width + c)).collect();
            format!("({})", p.join(", "))
        })
        .collect();
    let mut sql = format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), values.join(", "));
    if upsert {
        let key = 2;
        let sets: Vec<String> = columns[key..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let differs: Vec<String> = columns[key..].iter().map(|c| format!("{table}.{c} IS NOT excluded.{c}")).collect();
        sql.push_str(&format!(
            " ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
            columns[..key].join(", "),
            sets.join(", "),
            differs.join(" OR ")
        ));
    }
    sql
}

/// A record that binds itself into a statement at a parameter offset.
trait Bind {
    /// Which of [`TABLES`] it goes to.
    const TABLE: usize;
    fn bind(&self, stmt: &mut rusqlite::CachedStatement<'_>, at: usize) -> rusqlite::Result<()>;
}

impl SqliteWriter<'_> {
    fn begin(&self) -> rusqlite::Result<()> {
        for (t, (_, _, index, _)) in TABLES.iter().enumerate() {
            if self.bulk[t] {
                self.tx.execute_batch(&format!("DROP INDEX {index}"))?;
            }
        }
        Ok(())
    }

    /// Rebuilds the key index of each bulk-loaded table before `table` (rows arrive table by
    /// table, so an earlier table is complete), or of every table when `table` is `None`.
    fn index_before(&mut self, table: Option<usize>) -> rusqlite::Result<()> {
        for (t, (name, _, index, key)) in TABLES.iter().enumerate() {
            if table.is_some_and(|table| t >= table) {
                break;
            }
            if self.bulk[t] && !self.indexed[t] {
                let t0 = Instant::now();
                self.tx.execute_batch(&format!("CREATE UNIQUE INDEX {index} ON {name} ({key})"))?;
                self.index_time += t0.elapsed();
                self.indexed[t] = true;
            }
        }
        Ok(())
    }

    fn rows<R: Bind>(&mut self, rows: &[R]) -> rusqlite::Result<()> {
        let t = R::TABLE;
        let (table, columns, _, _) = TABLES[t];
        let upsert = !self.bulk[t];
        let mut chunks = rows.chunks_exact(ROWS_PER_STATEMENT);
        let mut stmt = self.tx.prepare_cached(&insert_sql(table, columns, ROWS_PER_STATEMENT, upsert))?;
        for chunk in &mut chunks {
            for (i, r) in chunk.iter().enumerate() {
                r.bind(&mut stmt, i * columns.len())?;
            }
            self.changed[t] += stmt.raw_execute()? as u64;
        }
        let mut one = self.tx.prepare_cached(&insert_sql(table, columns, 1, upsert))?;
        for r in chunks.remainder() {
            r.bind(&mut one, 0)?;
            self.changed[t] += one.raw_execute()? as u64;
        }
        Ok(())
    }

    fn write(&mut self, batch: Rows<'_>) -> rusqlite::Result<()> {
        let started = Instant::now();
        let index_before = self.index_time;
        match batch {
            Rows::Incidents(rows) => self.rows(rows)?,
            Rows::People(rows) => {
                self.index_before(Some(1))?;
                self.rows(rows)?;
            }
            Rows::Orders(rows) => {
                // Not the people's index: it is built after the read, with the orders' (the
                // people are most of an import's index work, and `conduct run` has them built
                // beside its analysis: `Store::import_keeping_then`).
                self.index_before(Some(1))?;
                self.rows(rows)?;
            }
        }
        self.write_time += started.elapsed() - (self.index_time - index_before);
        Ok(())
    }
}

/// Binds optional values: `None` and empty text are NULL.
struct Binder<'s, 'c> {
    stmt: &'s mut rusqlite::CachedStatement<'c>,
    at: usize,
}

impl Binder<'_, '_> {
    fn value<T: rusqlite::ToSql>(&mut self, v: T) -> rusqlite::Result<&mut Self> {
        self.at += 1;
        self.stmt.raw_bind_parameter(self.at, v)?;
        Ok(self)
    }

    fn text(&mut self, s: &str) -> rusqlite::Result<&mut Self> {
        self.value(text(s))
    }

    fn date(&mut self, d: Option<conduct_domain::Date>) -> rusqlite::Result<&mut Self> {
        match d {
            Some(d) => {
                let iso = d.iso();
                self.value(conduct_domain::Date::iso_str(&iso))
            }
            None => self.value(rusqlite::types::Null),
        }
    }
}

impl Bind for Incident {
    const TABLE: usize = 0;
    fn bind(&self, stmt: &mut rusqlite::CachedStatement<'_>, at: usize) -> rusqlite::Result<()> {
        let r = self;
        Binder { stmt, at }
            .value(r.force.id())?
            .value(r.incident_ref.as_str())?
            .date(Some(r.recorded_date))?
            .date(r.occurred_date)?
            .value(r.offence_code.as_str())?
            .value(r.offence_code.class().code().unwrap_or("other"))?
            .text(&r.offence_description)?
            .value(r.domestic_abuse)?
            .value(r.cyber)?
            .value((!r.linked_refs.is_empty()).then(|| r.linked_refs.join(";")))?
            .value(r.outcome_type.map(|o| o.number()))?
            .date(r.outcome_date)?
            .text(&r.narrative)?
            .value(invalid(&r.invalid))?
            .value(crate::rows::codes_text(&r.secondary_offence_codes))?;
        Ok(())
    }
}

impl Bind for Involvement {
    const TABLE: usize = 1;
    fn bind(&self, stmt: &mut rusqlite::CachedStatement<'_>, at: usize) -> rusqlite::Result<()> {
        let r = self;
        Binder { stmt, at }
            .value(r.force.id())?
            .value(r.record_id.as_str())?
            .value(r.incident_ref.as_str())?
            .value(r.role.as_str())?
            .text(&r.local_person_id)?
            .text(&r.forename)?
            .text(&r.middle_names)?
            .text(&r.surname)?
            .text(r.date_of_birth())?
            .text(&r.sex)?
            .text(&r.address)?
            .text(&r.postcode)?
            .text(r.phone())?
            .text(&r.email)?
            .text(&r.online_handles)?
            .text(&r.pnc_id)?
            .text(&r.ni_number)?
            .value(invalid(&r.invalid))?;
        Ok(())
    }
}

impl Bind for Order {
    const TABLE: usize = 2;
    fn bind(&self, stmt: &mut rusqlite::CachedStatement<'_>, at: usize) -> rusqlite::Result<()> {
        let r = self;
        Binder { stmt, at }
            .value(r.force.id())?
            .value(r.order_ref.as_str())?
            .value(r.order_type.as_str())?
            .value(r.incident_ref.as_str())?
            .date(r.applied_date)?
            .date(r.granted_date)?
            .date(r.expires_date)?
            .value(r.status.map(|s| s.as_str()))?
            .value(invalid(&r.invalid))?;
        Ok(())
    }
}

/// A slice of accepted records of one table, as the writers take them.
#[derive(Clone, Copy)]
enum Rows<'a> {
    Incidents(&'a [Incident]),
    People(&'a [Involvement]),
    Orders(&'a [Order]),
}

impl<'a> Rows<'a> {
    fn of(batch: &'a Batch) -> Rows<'a> {
        match batch {
            Batch::Incidents(v) => Rows::Incidents(v),
            Batch::People(v) => Rows::People(v),
            Batch::Orders(v) => Rows::Orders(v),
        }
    }

    fn len(&self) -> usize {
        match self {
            Rows::Incidents(v) => v.len(),
            Rows::People(v) => v.len(),
            Rows::Orders(v) => v.len(),
        }
    }
}

/// Writes rows on PostgreSQL: each batch is copied (`COPY`) into a temporary table of the same
/// columns, then upserted from it in one statement that touches a row only when something
/// differs, so the count of rows changed tells new-or-updated rows from unchanged ones, as on
/// SQLite. The temporary tables go with the transaction.
struct PortableWriter {
    changed: [u64; 3],
    write_time: Duration,
    /// Per table: its temporary table has been made in this transaction.
    staged: [bool; 3],
    /// Per table: it was empty when the import began, so rows are copied straight in (the
    /// reader has already refused duplicate keys).
    bulk: [bool; 3],
}

/// The upsert of a table's rows from its temporary table.
fn upsert_from_sql(table: &str, staging: &str, columns: &[&str]) -> String {
    let key = 2;
    let sets: Vec<String> = columns[key..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let ours: Vec<String> = columns[key..].iter().map(|c| format!("{table}.{c}")).collect();
    let theirs: Vec<String> = columns[key..].iter().map(|c| format!("excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} ORDER BY ctid ON CONFLICT ({}) DO UPDATE SET {} WHERE ({}) IS DISTINCT FROM ({})",
        columns[..key].join(", "),
        sets.join(", "),
        ours.join(", "),
        theirs.join(", "),
        cols = columns.join(", "),
    )
}

impl PortableWriter {
    fn table<R>(&mut self, conn: &mut Conn, t: usize, rows: &[R], row: fn(&R) -> Vec<Value>) -> Result<(), crate::Error> {
        let (table, columns, _, _) = TABLES[t];
        let values: Vec<Vec<Value>> = rows.iter().map(row).collect();
        if self.bulk[t] {
            conn.bulk_insert(table, columns, &values)?;
            self.changed[t] += values.len() as u64;
            return Ok(());
        }
        let staging = format!("import_{table}");
        if self.staged[t] {
            conn.batch(&format!("TRUNCATE {staging}"))?;
        } else {
            conn.batch(&format!("CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {} FROM {table} WITH NO DATA", columns.join(", ")))?;
            self.staged[t] = true;
        }
        conn.bulk_insert(&staging, columns, &values)?;
        self.changed[t] += conn.execute(&upsert_from_sql(table, &staging, columns), &[])?;
        Ok(())
    }

    fn write(&mut self, conn: &mut Conn, batch: Rows<'_>) -> Result<(), crate::Error> {
        let started = Instant::now();
        match batch {
            Rows::Incidents(v) => self.table(conn, 0, v, crate::rows::incident_row)?,
            Rows::People(v) => self.table(conn, 1, v, crate::rows::involvement_row)?,
            Rows::Orders(v) => self.table(conn, 2, v, crate::rows::order_row)?,
        }
        self.write_time += started.elapsed();
        Ok(())
    }
}

/// What is told the read's summary and ingest once every file is read ([`Source::Files`]).
type OnRead<'k> = &'k mut dyn FnMut(&Summary, &Ingest);

/// Where an import's records come from.
enum Source<'a, 'k> {
    /// Files, read and validated on a second thread while this one writes; `keep` is handed each
    /// batch once written, and `read` the summary and the ingest once the files are read (before
    /// the key indexes are built and the transaction commits).
    Files { inputs: &'a Inputs, ingest: Ingest, keep: Option<&'k mut dyn FnMut(Batch)>, read: Option<OnRead<'k>> },
    /// Records already read and validated (the dashboard's uploads), with their summary.
    Records { export: Records<'a>, summary: Summary },
}

/// Records already read and validated, borrowed: an export's ([`From<&Export>`]), or one
/// export's rows within a larger set (a first publication imports the rows it analysed).
#[derive(Clone, Copy, Debug, Default)]
pub struct Records<'a> {
    /// Incidents.
    pub incidents: &'a [Incident],
    /// People rows.
    pub people: &'a [Involvement],
    /// Orders.
    pub orders: &'a [Order],
    /// Risk screenings.
    pub risk_assessments: &'a [conduct_domain::RiskAssessment],
}

impl<'a> From<&'a Export> for Records<'a> {
    fn from(e: &'a Export) -> Records<'a> {
        Records { incidents: &e.incidents, people: &e.people, orders: &e.orders, risk_assessments: &e.risk_assessments }
    }
}

/// Records handed to a writer at a time, for records already in memory.
const RECORDS_PER_BATCH: usize = 4096;

/// Imports `source` into the database behind `conn` as one transaction. On any error the
/// transaction is rolled back. `path` names the database in errors.
fn import_into(conn: &mut Conn, path: &std::path::Path, source: Source<'_, '_>) -> Result<(ImportReport, Option<Ingest>), Error> {
    let started_at = now();
    let started = Instant::now();
    let postgres = conn.is_postgres();
    conn.batch(if postgres { "BEGIN" } else { "BEGIN IMMEDIATE" }).map_err(|e| e.at(path))?;
    // A linked population's index is kept by the import that updates it (conduct-population's
    // `update_export`, through `import_records_in`); an import here would leave it behind.
    let held = conn.query_one("SELECT count(*) FROM population", &[]).map(|r| r.and_then(|r| r[0].int()).unwrap_or(0) > 0);
    let result = match held {
        Ok(true) => Err(Error::new(ErrorKind::PopulationHeld, path)),
        Ok(false) => import_begun(conn, path, source, started_at, started),
        Err(e) => Err(e.at(path)),
    };
    match result {
        Ok((report, ingest)) => {
            let committed = Instant::now();
            conn.batch("COMMIT").map_err(|e| e.at(path))?;
            let timings = Timings { commit: committed.elapsed(), total: started.elapsed(), ..report.timings };
            Ok((ImportReport { timings, ..report }, ingest))
        }
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}

fn import_begun(
    conn: &mut Conn,
    path: &std::path::Path,
    source: Source<'_, '_>,
    started_at: String,
    started: Instant,
) -> Result<(ImportReport, Option<Ingest>), Error> {
    let db = |e: crate::Error| e.at(path);
    let sql = |e: rusqlite::Error| Error::new(ErrorKind::Sqlite(e), path);
    if conn.is_postgres() {
        // One import at a time, as SQLite's write lock (taken by BEGIN IMMEDIATE) gives, so
        // that what is counted and known here stays true until the commit.
        conn.batch("SELECT pg_advisory_xact_lock(7270114)").map_err(db)?;
    }
    let needs_known = matches!(&source, Source::Files { inputs, .. } if !(inputs.people.is_empty() && inputs.orders.is_empty() && inputs.risk_assessments.is_empty()));
    let known = if needs_known { known_incidents(conn).map_err(|e| e.at(path))? } else { KnownIncidents::default() };
    let before = crate::counts(conn).map_err(|e| e.at(path))?;
    #[cfg(feature = "failpoints")]
    let stall = stall_after();
    let mut written = 0u64;
    let mut on_written = |n: usize| {
        written += n as u64;
        #[cfg(feature = "failpoints")]
        if stall.is_some_and(|s| written >= s) {
            eprintln!("failpoint: import stalled inside its transaction after {written} rows");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
    };
    // Screenings are few: written after the reader has finished, in the same transaction.
    let held_screenings: &[conduct_domain::RiskAssessment] = match &source {
        Source::Records { export, .. } => export.risk_assessments,
        Source::Files { .. } => &[],
    };
    let (summary, ingest, changed, read_time, write_time, index_time) = match conn {
        Conn::Sqlite(c) => {
            let bulk = [before.incidents == 0, before.people == 0, before.orders == 0];
            let mut writer =
                SqliteWriter { tx: c, changed: [0; 3], bulk, indexed: [false; 3], write_time: Duration::ZERO, index_time: Duration::ZERO };
            writer.begin().map_err(sql)?;
            let mut write = |rows: Rows<'_>| -> Result<(), Error> {
                writer.write(rows).map_err(sql)?;
                on_written(rows.len());
                Ok(())
            };
            let (summary, ingest, read_time) = feed(source, &known, &mut write, path)?;
            writer.index_before(None).map_err(sql)?;
            (summary, ingest, writer.changed, read_time, writer.write_time, writer.index_time)
        }
        Conn::Postgres(_) => {
            let bulk = [before.incidents == 0, before.people == 0, before.orders == 0];
            let mut writer = PortableWriter { changed: [0; 3], write_time: Duration::ZERO, staged: [false; 3], bulk };
            let mut write = |rows: Rows<'_>| -> Result<(), Error> {
                writer.write(conn, rows).map_err(db)?;
                on_written(rows.len());
                Ok(())
            };
            let (summary, ingest, read_time) = feed(source, &known, &mut write, path)?;
            (summary, ingest, writer.changed, read_time, writer.write_time, Duration::ZERO)
        }
    };
    let screenings = ingest.as_ref().map_or(held_screenings, Ingest::risk_assessments);
    write_screenings(conn, screenings).map_err(db)?;
    let after = crate::counts(conn).map_err(|e| e.at(path))?;
    let accepted = |table: conduct_ingest::Table| -> u64 { summary.files.iter().filter(|f| f.table == table).map(|f| f.accepted).sum() };
    let changes = |before: u64, after: u64, changed: u64, accepted: u64| {
        let new = after - before;
        Changes { new, updated: changed - new, unchanged: accepted.saturating_sub(changed) }
    };
    let incidents = changes(before.incidents, after.incidents, changed[0], accepted(conduct_ingest::Table::Incidents));
    let people = changes(before.people, after.people, changed[1], accepted(conduct_ingest::Table::People));
    let orders = changes(before.orders, after.orders, changed[2], accepted(conduct_ingest::Table::Orders));
    let import_id = conn.query_one("SELECT coalesce(max(id), 0) + 1 FROM imports", &[]).map_err(db)?.and_then(|r| r[0].int()).unwrap_or(1);
    let n = |x: u64| Value::Int(x as i64);
    conn.execute(
        "INSERT INTO imports (id, started_at, finished_at, rows_read, rows_accepted, rows_rejected,
            incidents_new, incidents_updated, people_new, people_updated, orders_new, orders_updated, summary)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            Value::Int(import_id),
            started_at.into(),
            now().into(),
            n(summary.read()),
            n(summary.accepted()),
            n(summary.rejected()),
            n(incidents.new),
            n(incidents.updated),
            n(people.new),
            n(people.updated),
            n(orders.new),
            n(orders.updated),
            summary.to_json().to_string().into(),
        ],
    )
    .map_err(db)?;
    let timings = Timings { read: read_time, write: write_time, index: index_time, commit: Duration::ZERO, total: started.elapsed() };
    Ok((ImportReport { summary, incidents, people, orders, import_id, timings }, ingest))
}

/// Upserts risk screenings on their key (incident, tool, day): the same screening imported
/// again is updated in place. The statement is the same in both dialects.
fn write_screenings(conn: &mut Conn, screenings: &[conduct_domain::RiskAssessment]) -> Result<(), crate::Error> {
    if screenings.is_empty() {
        return Ok(());
    }
    let columns = crate::rows::RISK_ASSESSMENTS.names;
    let marks = vec!["?"; columns.len()].join(", ");
    let sets: Vec<String> = columns[4..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let sql = format!(
        "INSERT INTO risk_assessments ({}) VALUES ({marks}) ON CONFLICT (force_id, incident_ref, tool, assessed_date) DO UPDATE SET {}",
        columns.join(", "),
        sets.join(", ")
    );
    for r in screenings {
        conn.execute(&sql, &crate::rows::risk_assessment_row(r))?;
    }
    Ok(())
}

/// Hands the source's records to `write`, table by table: from a reader thread for files, in
/// slices for records in memory. Returns the summary, the ingest (for files) and the time spent
/// reading.
fn feed(
    source: Source<'_, '_>,
    known: &KnownIncidents,
    write: &mut dyn FnMut(Rows<'_>) -> Result<(), Error>,
    path: &std::path::Path,
) -> Result<(Summary, Option<Ingest>, Duration), Error> {
    match source {
        Source::Records { export, summary } => {
            for chunk in export.incidents.chunks(RECORDS_PER_BATCH) {
                write(Rows::Incidents(chunk))?;
            }
            for chunk in export.people.chunks(RECORDS_PER_BATCH) {
                write(Rows::People(chunk))?;
            }
            for chunk in export.orders.chunks(RECORDS_PER_BATCH) {
                write(Rows::Orders(chunk))?;
            }
            Ok((summary, None, Duration::ZERO))
        }
        Source::Files { inputs, mut ingest, mut keep, read } => {
            let (send, receive) = mpsc::sync_channel::<Batch>(32);
            let (read_result, write_result) = std::thread::scope(|scope| {
                let reader = scope.spawn(move || {
                    let t = Instant::now();
                    let mut sink = |b: Batch| send.send(b).is_ok();
                    let read = ingest.run(inputs, known, &mut sink);
                    (read, t.elapsed(), ingest)
                });
                let mut write_result = Ok(());
                for batch in receive.iter() {
                    if let Err(e) = write(Rows::of(&batch)) {
                        write_result = Err(e);
                        break;
                    }
                    if let Some(keep) = keep.as_mut() {
                        keep(batch);
                    }
                }
                drop(receive);
                (reader.join().expect("the reader thread does not panic"), write_result)
            });
            write_result?;
            let (read_result, read_time, ingest) = read_result;
            let summary = read_result.map_err(|e| Error::new(ErrorKind::Ingest(Box::new(e)), path))?;
            if let Some(read) = read {
                read(&summary, &ingest);
            }
            Ok((summary, Some(ingest), read_time))
        }
    }
}

/// The incidents the database holds, for checking that the people and orders of a new export
/// refer to one (of this export or of an earlier one).
///
/// # Errors
///
/// [`ErrorKind::Db`] or [`ErrorKind::Sqlite`] when the query fails.
pub fn known_incidents(conn: &mut Conn) -> Result<KnownIncidents, Error> {
    let mut known = KnownIncidents::default();
    match conn {
        Conn::Sqlite(c) => {
            let mut stmt = c.prepare("SELECT force_id, incident_ref FROM incidents")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id: u8 = row.get(0)?;
                let r: String = row.get(1)?;
                if let Some(f) = conduct_domain::Force::from_id(id) {
                    known.insert(f, &r);
                }
            }
        }
        Conn::Postgres(_) => {
            for row in conn.query("SELECT force_id, incident_ref FROM incidents", &[])? {
                if let Some(f) = row[0].int().and_then(|i| u8::try_from(i).ok()).and_then(conduct_domain::Force::from_id) {
                    known.insert(f, &row[1].text());
                }
            }
        }
    }
    Ok(known)
}

/// Runs `work` as one write transaction on `conn` (SQLite: `BEGIN IMMEDIATE`, which takes the
/// write lock; PostgreSQL: `BEGIN` and the import lock), committed when it returns `Ok` and
/// rolled back otherwise. For work that must land with an import or not at all, such as the
/// population index written beside the people rows it indexes ([`import_records_in`]). `path`
/// names the database in errors.
///
/// # Errors
///
/// What `work` returns, or [`ErrorKind::Db`] when the transaction cannot begin or commit.
pub fn write_transaction<T, E: From<Error>>(
    conn: &mut Conn,
    path: &std::path::Path,
    work: impl FnOnce(&mut Conn) -> Result<T, E>,
) -> Result<T, E> {
    let postgres = conn.is_postgres();
    conn.batch(if postgres { "BEGIN" } else { "BEGIN IMMEDIATE" }).map_err(|e| e.at(path))?;
    let result = if postgres {
        match conn.batch("SELECT pg_advisory_xact_lock(7270114)") {
            Ok(()) => work(conn),
            Err(e) => Err(e.at(path).into()),
        }
    } else {
        work(conn)
    };
    match result {
        Ok(t) => match conn.batch("COMMIT") {
            Ok(()) => Ok(t),
            Err(e) => {
                // A refused commit leaves the transaction open: end it, so that the connection
                // (a pooled one, on the server) is not left inside it.
                let _ = conn.batch("ROLLBACK");
                Err(e.at(path).into())
            }
        },
        Err(e) => {
            let _ = conn.batch("ROLLBACK");
            Err(e)
        }
    }
}

/// [`import_records`] inside a transaction the caller has begun ([`write_transaction`]): the
/// rows are written and the import logged, and become visible only when that transaction
/// commits.
///
/// # Errors
///
/// [`ErrorKind::Db`] or [`ErrorKind::Sqlite`] when a write fails; the caller's transaction
/// should then be rolled back (as [`write_transaction`] does).
pub fn import_records_in(conn: &mut Conn, name: &std::path::Path, export: &Export, summary: Summary) -> Result<ImportReport, Error> {
    import_begun(conn, name, Source::Records { export: export.into(), summary }, now(), Instant::now()).map(|(report, _)| report)
}

/// Imports records already read and validated (with the summary of that read) into the
/// database behind `conn`, as one transaction: the dashboard's uploads, which are validated
/// and reported before they are imported. `name` names the database in errors.
///
/// # Errors
///
/// [`ErrorKind::Db`] or [`ErrorKind::Sqlite`] when a write fails; nothing is imported then.
pub fn import_records(conn: &mut Conn, name: &std::path::Path, export: &Export, summary: Summary) -> Result<ImportReport, Error> {
    import_rows(conn, name, export.into(), summary)
}

/// [`import_records`] of borrowed rows.
///
/// # Errors
///
/// As [`import_records`].
pub fn import_rows(conn: &mut Conn, name: &std::path::Path, records: Records<'_>, summary: Summary) -> Result<ImportReport, Error> {
    import_into(conn, name, Source::Records { export: records, summary }).map(|(report, _)| report)
}

impl Store {
    /// Imports an export as one transaction. `ingest` decides where rejects and warnings go
    /// (and carries the progress counter). On any error nothing is committed.
    ///
    /// When no other connection has an SQLite workspace open, the import runs in
    /// rollback-journal mode: a bulk load writes each page once into the database file, where
    /// WAL would write it twice (log, then checkpoint). The journal still holds every page the
    /// import overwrites, so a killed import is rolled back when the workspace is next opened.
    /// WAL is restored afterwards; if the switch is refused (a reader is attached) the import
    /// runs in WAL.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Ingest`] when a file cannot be read at all and [`ErrorKind::Sqlite`] or
    /// [`ErrorKind::Db`] when a write fails; either way the transaction is rolled back and
    /// nothing is imported.
    pub fn import(&mut self, inputs: &Inputs, ingest: Ingest) -> Result<ImportReport, Error> {
        self.import_journalled(inputs, ingest, None, None).map(|(report, _)| report)
    }

    /// [`Store::import`], handing each batch of accepted records to `keep` once it is written,
    /// so that a caller that needs the records in memory (`conduct run`) has them without
    /// reading the export a second time. Returns the ingest too, with the rejects and warnings
    /// it kept in memory.
    ///
    /// # Errors
    ///
    /// As [`Store::import`]; `keep` has then been given some batches of an import that was not
    /// committed.
    pub fn import_keeping(
        &mut self,
        inputs: &Inputs,
        ingest: Ingest,
        keep: &mut dyn FnMut(Batch),
    ) -> Result<(ImportReport, Ingest), Error> {
        self.import_journalled(inputs, ingest, Some(keep), None)
    }

    /// [`Store::import_keeping`], and `read` with the read's summary and the ingest (its rejects
    /// and screenings) once every file is read and every batch kept, while the import goes on
    /// to build the key indexes, write the screenings and commit. So a caller that runs the
    /// import on a thread of its own can start on the records before the import ends.
    ///
    /// # Errors
    ///
    /// As [`Store::import`]; `keep` and `read` have then been called for an import that was not
    /// committed, which the caller must not take as held.
    pub fn import_keeping_then(
        &mut self,
        inputs: &Inputs,
        ingest: Ingest,
        keep: &mut dyn FnMut(Batch),
        read: &mut dyn FnMut(&Summary, &Ingest),
    ) -> Result<(ImportReport, Ingest), Error> {
        self.import_journalled(inputs, ingest, Some(keep), Some(read))
    }

    /// [`import_records`] into this store.
    ///
    /// # Errors
    ///
    /// As [`import_records`].
    pub fn import_records(&mut self, export: &Export, summary: Summary) -> Result<ImportReport, Error> {
        let path = self.path.clone();
        import_records(&mut self.conn, &path, export, summary)
    }

    fn import_journalled<'k>(
        &mut self,
        inputs: &Inputs,
        ingest: Ingest,
        keep: Option<&'k mut dyn FnMut(Batch)>,
        read: Option<OnRead<'k>>,
    ) -> Result<(ImportReport, Ingest), Error> {
        let journal = |conn: &mut Conn, mode: &str| -> Option<String> {
            match conn {
                Conn::Sqlite(c) => c.pragma_update_and_check(None, "journal_mode", mode, |r| r.get::<_, String>(0)).ok(),
                Conn::Postgres(_) => None,
            }
        };
        let switched = journal(&mut self.conn, "DELETE").is_some_and(|m| m.eq_ignore_ascii_case("delete"));
        let path = self.path.clone();
        let result = import_into(&mut self.conn, &path, Source::Files { inputs, ingest, keep, read })
            .map(|(report, ingest)| (report, ingest.expect("a file import returns its ingest")));
        if switched {
            let restored = journal(&mut self.conn, "WAL");
            if result.is_ok() && !restored.is_some_and(|m| m.eq_ignore_ascii_case("wal")) {
                return Err(Error::new(
                    ErrorKind::Corrupt("could not return the workspace to WAL mode after the import".into()),
                    &self.path,
                ));
            }
        }
        result
    }
}

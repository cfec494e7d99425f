//! One import = one transaction. A reader thread runs [`conduct_ingest::Ingest`] and sends
//! batches of accepted records; this thread upserts them. If anything fails — the export, the
//! database, or the process itself — the transaction is never committed and the workspace is
//! as it was before.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use conduct_domain::{Incident, Involvement, Order};
use conduct_ingest::{Batch, Ingest, Inputs, KnownIncidents, Summary};
use rusqlite::{Transaction, params};

use crate::Store;
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

fn now() -> String {
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

struct Writer<'t> {
    tx: &'t Transaction<'t>,
    written: u64,
    #[cfg(feature = "failpoints")]
    stall: Option<u64>,
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

impl Writer<'_> {
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

    fn write(&mut self, batch: &Batch) -> rusqlite::Result<()> {
        let started = Instant::now();
        let index_before = self.index_time;
        let n = match batch {
            Batch::Incidents(rows) => {
                self.rows(rows)?;
                rows.len()
            }
            Batch::People(rows) => {
                self.index_before(Some(1))?;
                self.rows(rows)?;
                rows.len()
            }
            Batch::Orders(rows) => {
                self.index_before(Some(2))?;
                self.rows(rows)?;
                rows.len()
            }
        };
        self.written += n as u64;
        self.write_time += started.elapsed() - (self.index_time - index_before);
        #[cfg(feature = "failpoints")]
        if self.stall.is_some_and(|s| self.written >= s) {
            eprintln!("failpoint: import stalled inside its transaction after {} rows", self.written);
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
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
            .value(invalid(&r.invalid))?;
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
            .text(&r.date_of_birth)?
            .text(&r.sex)?
            .text(&r.address)?
            .text(&r.postcode)?
            .text(&r.phone)?
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

impl Store {
    /// Imports an export as one transaction. `ingest` decides where rejects and warnings go
    /// (and carries the progress counter). On any error nothing is committed.
    ///
    /// When no other connection has the workspace open, the import runs in rollback-journal
    /// mode: a bulk load writes each page once into the database file, where WAL would write it
    /// twice (log, then checkpoint). The journal still holds every page the import overwrites,
    /// so a killed import is rolled back when the workspace is next opened. WAL is restored
    /// afterwards; if the switch is refused (a reader is attached) the import runs in WAL.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Ingest`] when a file cannot be read at all and [`ErrorKind::Sqlite`] when a
    /// write fails; either way the transaction is rolled back and nothing is imported.
    pub fn import(&mut self, inputs: &Inputs, ingest: Ingest) -> Result<ImportReport, Error> {
        self.import_journalled(inputs, ingest, None).map(|(report, _)| report)
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
        self.import_journalled(inputs, ingest, Some(keep))
    }

    fn import_journalled(
        &mut self,
        inputs: &Inputs,
        ingest: Ingest,
        keep: Option<&mut dyn FnMut(Batch)>,
    ) -> Result<(ImportReport, Ingest), Error> {
        let journal = |conn: &rusqlite::Connection, mode: &str| -> Option<String> {
            conn.pragma_update_and_check(None, "journal_mode", mode, |r| r.get::<_, String>(0)).ok()
        };
        let switched = journal(&self.conn, "DELETE").is_some_and(|m| m.eq_ignore_ascii_case("delete"));
        let result = self.import_in_transaction(inputs, ingest, keep);
        if switched {
            let restored = journal(&self.conn, "WAL");
            if result.is_ok() && !restored.is_some_and(|m| m.eq_ignore_ascii_case("wal")) {
                return Err(Error::new(
                    ErrorKind::Corrupt("could not return the workspace to WAL mode after the import".into()),
                    &self.path,
                ));
            }
        }
        result
    }

    fn import_in_transaction(
        &mut self,
        inputs: &Inputs,
        mut ingest: Ingest,
        mut keep: Option<&mut dyn FnMut(Batch)>,
    ) -> Result<(ImportReport, Ingest), Error> {
        let path = self.path.clone();
        let sql = |e| Error::new(ErrorKind::Sqlite(e), &path);
        let started_at = now();
        let started = Instant::now();
        let before = self.counts()?;
        let known = if inputs.people.is_empty() && inputs.orders.is_empty() {
            KnownIncidents::default()
        } else {
            self.known_incidents().map_err(sql)?
        };
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql)?;
        let bulk = [before.incidents == 0, before.people == 0, before.orders == 0];
        let mut writer = Writer {
            tx: &tx,
            written: 0,
            #[cfg(feature = "failpoints")]
            stall: stall_after(),
            changed: [0; 3],
            bulk,
            indexed: [false; 3],
            write_time: Duration::ZERO,
            index_time: Duration::ZERO,
        };
        writer.begin().map_err(sql)?;
        let (send, receive) = mpsc::sync_channel::<Batch>(32);
        let (read_result, write_result) = std::thread::scope(|scope| {
            let reader = scope.spawn(move || {
                let t = Instant::now();
                let mut sink = |b: Batch| send.send(b).is_ok();
                let read = ingest.run(inputs, &known, &mut sink);
                (read, t.elapsed(), ingest)
            });
            let mut write_result = Ok(());
            for batch in receive.iter() {
                if let Err(e) = writer.write(&batch) {
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
        write_result.map_err(sql)?;
        let (read_result, read_time, ingest) = read_result;
        let summary = read_result.map_err(|e| Error::new(ErrorKind::Ingest(Box::new(e)), &path))?;
        writer.index_before(None).map_err(sql)?;
        let count = |table: &str| -> rusqlite::Result<u64> {
            tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0)).map(|n| n as u64)
        };
        let accepted =
            |table: conduct_ingest::Table| -> u64 { summary.files.iter().filter(|f| f.table == table).map(|f| f.accepted).sum() };
        let changes = |before: u64, after: u64, changed: u64, accepted: u64| {
            let new = after - before;
            Changes { new, updated: changed - new, unchanged: accepted - changed }
        };
        let incidents =
            changes(before.incidents, count("incidents").map_err(sql)?, writer.changed[0], accepted(conduct_ingest::Table::Incidents));
        let people = changes(before.people, count("people").map_err(sql)?, writer.changed[1], accepted(conduct_ingest::Table::People));
        let orders = changes(before.orders, count("orders").map_err(sql)?, writer.changed[2], accepted(conduct_ingest::Table::Orders));
        tx.execute(
            "INSERT INTO imports (started_at, finished_at, rows_read, rows_accepted, rows_rejected,
                incidents_new, incidents_updated, people_new, people_updated, orders_new, orders_updated, summary)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                started_at,
                now(),
                summary.read() as i64,
                summary.accepted() as i64,
                summary.rejected() as i64,
                incidents.new as i64,
                incidents.updated as i64,
                people.new as i64,
                people.updated as i64,
                orders.new as i64,
                orders.updated as i64,
                summary.to_json().to_string(),
            ],
        )
        .map_err(sql)?;
        let import_id = tx.last_insert_rowid();
        let timings =
            Timings { read: read_time, write: writer.write_time, index: writer.index_time, commit: Duration::ZERO, total: Duration::ZERO };
        let committed = Instant::now();
        tx.commit().map_err(sql)?;
        let timings = Timings { commit: committed.elapsed(), total: started.elapsed(), ..timings };
        Ok((ImportReport { summary, incidents, people, orders, import_id, timings }, ingest))
    }

    fn known_incidents(&self) -> rusqlite::Result<KnownIncidents> {
        let mut known = KnownIncidents::default();
        let mut stmt = self.conn.prepare("SELECT force_id, incident_ref FROM incidents")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: u8 = row.get(0)?;
            let r: String = row.get(1)?;
            if let Some(f) = conduct_domain::Force::from_id(id) {
                known.insert(f, &r);
            }
        }
        Ok(known)
    }
}

//! One import = one transaction. A reader thread runs [`conduct_ingest::Ingest`] and sends
//! batches of accepted records; this thread upserts them. If anything fails — the export, the
//! database, or the process itself — the transaction is never committed and the workspace is
//! as it was before.

use std::sync::mpsc;

use conduct_ingest::{Batch, Incident, Ingest, Inputs, Involvement, KnownIncidents, Order, Summary};
use rusqlite::{Transaction, params};

use crate::error::{Error, ErrorKind};
use crate::Store;

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
}

impl ImportReport {
    /// Whether the import changed any row.
    pub fn changed_anything(&self) -> bool {
        [self.incidents, self.people, self.orders].iter().any(|c| c.new + c.updated > 0)
    }
}

const INCIDENT_COLUMNS: &[&str] = &[
    "force_id", "incident_ref", "recorded_date", "occurred_date", "offence_code", "offence_class",
    "offence_description", "domestic_abuse", "cyber", "linked_refs", "outcome_type", "outcome_date",
    "narrative", "invalid",
];
const PEOPLE_COLUMNS: &[&str] = &[
    "force_id", "record_id", "incident_ref", "role", "local_person_id", "forename", "middle_names",
    "surname", "date_of_birth", "dob_year", "dob_month", "dob_day", "sex", "address", "postcode", "phone",
    "phone_canonical", "email", "online_handles", "pnc_id", "ni_number", "invalid",
];
const ORDER_COLUMNS: &[&str] = &[
    "force_id", "order_ref", "order_type", "incident_ref", "applied_date", "granted_date", "expires_date",
    "status", "invalid",
];

/// `INSERT … ON CONFLICT (key) DO UPDATE … WHERE something differs`: a row that is already
/// there with the same values is not touched (so `changes()` tells new-or-updated from same).
fn upsert_sql(table: &str, columns: &[&str], key: usize) -> String {
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let sets: Vec<String> = columns[key..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let differs: Vec<String> = columns[key..].iter().map(|c| format!("{table}.{c} IS NOT excluded.{c}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {} WHERE {}",
        columns.join(", "),
        placeholders.join(", "),
        columns[..key].join(", "),
        sets.join(", "),
        differs.join(" OR ")
    )
}

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
/// at a known point. It has no effect unless the variable is set.
fn stall_after() -> Option<u64> {
    std::env::var("CONDUCT_FAILPOINT_IMPORT_STALL").ok()?.parse().ok()
}

struct Writer<'t> {
    tx: &'t Transaction<'t>,
    written: u64,
    stall: Option<u64>,
    changed: [u64; 3],
}

impl Writer<'_> {
    fn write(&mut self, batch: Batch) -> rusqlite::Result<()> {
        let n = match batch {
            Batch::Incidents(rows) => {
                let mut stmt = self.tx.prepare_cached(&upsert_sql("incidents", INCIDENT_COLUMNS, 2))?;
                for r in &rows {
                    self.changed[0] += incident_execute(&mut stmt, r)? as u64;
                }
                rows.len()
            }
            Batch::People(rows) => {
                let mut stmt = self.tx.prepare_cached(&upsert_sql("people", PEOPLE_COLUMNS, 2))?;
                for r in &rows {
                    self.changed[1] += person_execute(&mut stmt, r)? as u64;
                }
                rows.len()
            }
            Batch::Orders(rows) => {
                let mut stmt = self.tx.prepare_cached(&upsert_sql("orders", ORDER_COLUMNS, 2))?;
                for r in &rows {
                    self.changed[2] += order_execute(&mut stmt, r)? as u64;
                }
                rows.len()
            }
        };
        self.written += n as u64;
        if self.stall.is_some_and(|s| self.written >= s) {
            eprintln!("failpoint: import stalled inside its transaction after {} rows", self.written);
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        Ok(())
    }
}

fn incident_execute(stmt: &mut rusqlite::CachedStatement<'_>, r: &Incident) -> rusqlite::Result<usize> {
    stmt.execute(params![
        r.force.id(),
        r.incident_ref,
        r.recorded_date.to_string(),
        r.occurred_date.map(|d| d.to_string()),
        r.offence_code.as_str(),
        r.offence_code.class().code().unwrap_or("other"),
        text(&r.offence_description),
        r.domestic_abuse,
        r.cyber,
        (!r.linked_refs.is_empty()).then(|| r.linked_refs.join(";")),
        r.outcome_type.map(|o| o.number()),
        r.outcome_date.map(|d| d.to_string()),
        text(&r.narrative),
        invalid(&r.invalid),
    ])
}

fn person_execute(stmt: &mut rusqlite::CachedStatement<'_>, r: &Involvement) -> rusqlite::Result<usize> {
    stmt.execute(params![
        r.force.id(),
        r.record_id,
        r.incident_ref,
        r.role.as_str(),
        text(&r.local_person_id),
        text(&r.forename),
        text(&r.middle_names),
        text(&r.surname),
        text(&r.date_of_birth),
        r.dob.and_then(|d| d.year),
        r.dob.and_then(|d| d.month),
        r.dob.and_then(|d| d.day),
        text(&r.sex),
        text(&r.address),
        text(&r.postcode),
        text(&r.phone),
        r.phone_canonical,
        text(&r.email),
        text(&r.online_handles),
        text(&r.pnc_id),
        text(&r.ni_number),
        invalid(&r.invalid),
    ])
}

fn order_execute(stmt: &mut rusqlite::CachedStatement<'_>, r: &Order) -> rusqlite::Result<usize> {
    stmt.execute(params![
        r.force.id(),
        r.order_ref,
        r.order_type.as_str(),
        r.incident_ref,
        r.applied_date.map(|d| d.to_string()),
        r.granted_date.map(|d| d.to_string()),
        r.expires_date.map(|d| d.to_string()),
        r.status.map(|s| s.as_str()),
        invalid(&r.invalid),
    ])
}

impl Store {
    /// Imports an export as one transaction. `ingest` decides where rejects and warnings go
    /// (and carries the progress counter). On any error nothing is committed.
    pub fn import(&mut self, inputs: &Inputs, mut ingest: Ingest) -> Result<ImportReport, Error> {
        let path = self.path.clone();
        let sql = |e| Error::new(ErrorKind::Sqlite(e), &path);
        let started_at = now();
        let before = self.counts()?;
        let known = if inputs.people.is_empty() && inputs.orders.is_empty() {
            KnownIncidents::default()
        } else {
            self.known_incidents().map_err(sql)?
        };
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(sql)?;
        let mut writer = Writer { tx: &tx, written: 0, stall: stall_after(), changed: [0; 3] };
        let (send, receive) = mpsc::sync_channel::<Batch>(4);
        let (read_result, write_result) = std::thread::scope(|scope| {
            let reader = scope.spawn(move || {
                let mut sink = |b: Batch| send.send(b).is_ok();
                ingest.run(inputs, &known, &mut sink)
            });
            let mut write_result = Ok(());
            for batch in receive.iter() {
                if let Err(e) = writer.write(batch) {
                    write_result = Err(e);
                    break;
                }
            }
            drop(receive);
            (reader.join().expect("the reader thread does not panic"), write_result)
        });
        write_result.map_err(sql)?;
        let summary = read_result.map_err(|e| Error::new(ErrorKind::Ingest(e), &path))?;
        let count = |table: &str| -> rusqlite::Result<u64> {
            tx.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0)).map(|n| n as u64)
        };
        let accepted = |table: conduct_ingest::Table| -> u64 {
            summary.files.iter().filter(|f| f.table == table).map(|f| f.accepted).sum()
        };
        let changes = |before: u64, after: u64, changed: u64, accepted: u64| {
            let new = after - before;
            Changes { new, updated: changed - new, unchanged: accepted - changed }
        };
        let incidents = changes(before.incidents, count("incidents").map_err(sql)?, writer.changed[0], accepted(conduct_ingest::Table::Incidents));
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
        tx.commit().map_err(sql)?;
        Ok(ImportReport { summary, incidents, people, orders, import_id })
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

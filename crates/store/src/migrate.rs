//! Versioned schema migrations, one sequence for every front end and both dialects: numbered
//! steps applied in order, each in its own transaction, recorded in `schema_migrations`. A
//! database newer than this build is refused.
//!
//! 1. `initial`: the contract's record tables and the import log (`migrations/0001_initial.sql`;
//!    on PostgreSQL each record table also has a `seq` column that keeps the order rows were
//!    first imported in, which SQLite's rowid gives for free).
//! 2. `dashboard`: accounts, access, the audit log and uploads ([`crate::schema`]).
//! 3. `record_order`: on PostgreSQL, an index on each record table's `seq`, by which the
//!    records are read back in that order (SQLite's rowid needs none).
//!
//! 4. `population`: the population index of incremental linkage (`migrations/0004_population.sql`;
//!    see conduct-population) and an index of people by incident.
//! 5. `risk_screening`: incidents' `secondary_offence_codes` and the `risk_assessments` table
//!    (`migrations/0005_risk_screening.sql`).
//! 6. `published_screening`: the analysis tables a dashboard already has gain the columns the
//!    course pages and filters show secondary offence codes with
//!    ([`schema::ADDED_ANALYSIS_COLUMNS`]); the screenings' own table is made as any missing
//!    analysis table is.
//! 7. `review_workflow`: the review workflow's tables (assignments, reviews, what is new since
//!    a review, when courses turned urgent, users' last visits: [`schema::WORKFLOW_TABLES`]),
//!    and the `changed` column of the course tables a dashboard already has
//!    ([`schema::WORKFLOW_ANALYSIS_COLUMNS`]).
//! 8. `audit_apart`: on SQLite, the audit log moves to its own file beside the database
//!    ([`crate::db::audit_file`]): its entries are copied there, in order and unchanged, and
//!    committed, before the main file's table is dropped; run again after a crash between the
//!    two, it copies what is missing and drops. On PostgreSQL nothing changes.
//! 9. `population_features`: each indexed record's normalised features, as conduct-population
//!    stores them ([`POPULATION_FEATURES`]), so that an update reads its candidates ready to
//!    compare. Made empty: a population indexed before it has no features stored, and an update
//!    normalises such records from their rows (and stores what it normalised).
//! 10. `id_history`: the dashboard's history of its ids ([`ID_EVENTS`]): each merge and split
//!     a publication made of the person and course ids it carried over.
//! 11. `id_history_reasons`: each event of that history gains its reason ([`ID_EVENT_REASON`]),
//!     empty for the events published before it.
//! 12. `cross_force`: what a force holds from the cross-force hub ([`crate::cross_force`]):
//!     the other forces' reports about records linked to its own, and the log of receipts.
//!
//! After the steps, the analysis tables a publication replaces are made if missing. A database
//! the dashboard made before the store owned its schema (it has `meta.schema_version` 1 to 3 and
//! no `schema_migrations`) is adopted: its analysis tables named `forces`, `incidents` and
//! `orders` are renamed to `force_figures`, `published_incidents` and `published_orders`, and
//! the steps run as for a new database.

use crate::db::Conn;
use crate::error::{Error, ErrorKind};
use crate::schema;

/// The steps, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, "initial"),
    (2, "dashboard"),
    (3, "record_order"),
    (4, "population"),
    (5, "risk_screening"),
    (6, "published_screening"),
    (7, "review_workflow"),
    (8, "audit_apart"),
    (9, "population_features"),
    (10, "id_history"),
    (11, "id_history_reasons"),
    (12, "cross_force"),
];

/// The newest schema version this build knows.
pub const LATEST: u32 = 12;

/// What the dashboard's own version mark (`meta.schema_version`) says from now on: above the
/// 3 a dashboard of the earlier layout understood, so such a build refuses this database
/// instead of misreading it.
const DASHBOARD_MARK: i64 = 4;

const INITIAL_SQLITE: &str = include_str!("../migrations/0001_initial.sql");
const POPULATION_SQLITE: &str = include_str!("../migrations/0004_population.sql");
const RISK_SCREENING_SQLITE: &str = include_str!("../migrations/0005_risk_screening.sql");

/// Step 10: the history of the dashboard's ids: each merge and split a publication made of the
/// person and course ids it carried over (`conduct-server`'s `ids`), shown on a person's page.
/// `id` is the id the members are under now; `other_id` the id they came from (a merge: the
/// retired id, which leads to `id`; a split: the id kept by the larger part).
const ID_EVENTS: &str = "CREATE TABLE IF NOT EXISTS id_events (
    publication BIGINT NOT NULL,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    id          TEXT NOT NULL,
    other_id    TEXT NOT NULL,
    members     BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS id_events_id ON id_events (id);
CREATE INDEX IF NOT EXISTS id_events_other ON id_events (other_id)";

/// Step 11: why a publication made a merge or split of person ids: the deciding comparison, as
/// the dashboard's person page states it (`conduct-server`'s `ids`); empty where none is known
/// (events published before this step, and course ids, which follow their persons).
const ID_EVENT_REASON: &str = "ALTER TABLE id_events ADD COLUMN reason TEXT NOT NULL DEFAULT ''";

/// Step 9: a record's features beside its row in `population_records` (by `rec`), kept in a
/// table of their own so that the scans of `population_records` (persons.csv, a person's
/// records) do not read them. `f` is conduct-population's text of the features.
const POPULATION_FEATURES: &str = "CREATE TABLE IF NOT EXISTS population_features (
    rec INTEGER PRIMARY KEY,
    f   TEXT NOT NULL
)";

/// The risk-screening step in the dialect: on PostgreSQL integers are 64-bit.
fn risk_screening_sql(postgres: bool) -> String {
    if postgres { RISK_SCREENING_SQLITE.replace("INTEGER", "BIGINT") } else { RISK_SCREENING_SQLITE.to_string() }
}

/// The population step in the dialect: on PostgreSQL integers are 64-bit and there is no
/// `WITHOUT ROWID`.
fn population_sql(postgres: bool) -> String {
    if postgres { POPULATION_SQLITE.replace("INTEGER", "BIGINT").replace(") WITHOUT ROWID;", ");") } else { POPULATION_SQLITE.to_string() }
}

fn initial_sql(postgres: bool) -> String {
    if !postgres {
        return INITIAL_SQLITE.to_string();
    }
    let mut sql = INITIAL_SQLITE.replace("INTEGER", "BIGINT");
    for table in ["incidents", "people", "orders"] {
        sql = sql.replace(&format!("CREATE TABLE {table} (\n"), &format!("CREATE TABLE {table} (\n    seq BIGSERIAL,\n"));
    }
    sql
}

/// The schema version (the last step applied).
pub(crate) fn version(conn: &mut Conn) -> Result<u32, Error> {
    let v = conn.query_one("SELECT coalesce(max(version), 0) FROM schema_migrations", &[])?;
    Ok(v.and_then(|r| r[0].int()).unwrap_or(0) as u32)
}

/// Creates or upgrades the schema of the database behind `conn`.
///
/// # Errors
///
/// [`ErrorKind::Db`] when a statement fails, [`ErrorKind::NewerSchema`] when a newer Conduct
/// wrote the database, [`ErrorKind::Corrupt`] when its forces disagree with this build's. The
/// errors name no file: the caller adds it ([`Error::at`]).
pub fn migrate(conn: &mut Conn) -> Result<(), Error> {
    let postgres = conn.is_postgres();
    if postgres {
        // Two processes starting at once must not both create the schema.
        conn.batch("SELECT pg_advisory_lock(7270111)")?;
    }
    let result = migrate_locked(conn);
    if postgres {
        conn.batch("SELECT pg_advisory_unlock(7270111)")?;
    }
    result
}

fn migrate_locked(conn: &mut Conn) -> Result<(), Error> {
    let postgres = conn.is_postgres();
    conn.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    BIGINT PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )?;
    let current = version(conn)?;
    if current > LATEST {
        return Err(Error::new(ErrorKind::NewerSchema { found: current, known: LATEST }, std::path::Path::new("")));
    }
    if current == 0 {
        adopt_dashboard(conn)?;
    }
    for &(v, name) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        if v == 8 && !postgres {
            copy_audit_apart(conn)?;
        }
        conn.transaction(|c| -> Result<(), Error> {
            match v {
                1 => {
                    c.batch(&initial_sql(postgres))?;
                    for f in conduct_domain::Force::all_entries() {
                        c.execute("INSERT INTO forces (id, name) VALUES (?, ?)", &[i64::from(f.id()).into(), f.name().into()])?;
                    }
                }
                2 => {
                    c.batch(schema::TABLES)?;
                    c.execute("DELETE FROM meta WHERE key = 'schema_version'", &[])?;
                    c.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", &[DASHBOARD_MARK.to_string().into()])?;
                }
                3 if postgres => {
                    for table in ["incidents", "people", "orders"] {
                        c.batch(&format!("CREATE INDEX IF NOT EXISTS {table}_seq ON {table} (seq)"))?;
                    }
                }
                3 => {}
                4 => c.batch(&population_sql(postgres))?,
                5 => c.batch(&risk_screening_sql(postgres))?,
                6 => {
                    // Only tables that exist: a new database makes them below, whole.
                    let have = schema::tables_like(c, "")?;
                    for (table, column) in schema::ADDED_ANALYSIS_COLUMNS {
                        if have.iter().any(|t| t == table) {
                            c.batch(&format!("ALTER TABLE {table} ADD COLUMN {column}"))?;
                        }
                    }
                }
                7 => {
                    c.batch(schema::WORKFLOW_TABLES)?;
                    let have = schema::tables_like(c, "")?;
                    for (table, column) in schema::WORKFLOW_ANALYSIS_COLUMNS {
                        if have.iter().any(|t| t == table) {
                            c.batch(&format!("ALTER TABLE {table} ADD COLUMN {column}"))?;
                        }
                    }
                }
                8 if postgres => {}
                8 => {
                    if schema_has(c, "main", "audit")? {
                        c.batch("DROP TABLE main.audit")?;
                    }
                }
                10 => c.batch(ID_EVENTS)?,
                // Once only, should the step be run again over its own column.
                11 if has_column(c, postgres, "id_events", "reason")? => {}
                11 => c.batch(ID_EVENT_REASON)?,
                12 => c.batch(&if postgres {
                    crate::cross_force::TABLES.replace("INTEGER", "BIGINT")
                } else {
                    crate::cross_force::TABLES.to_string()
                })?,
                9 => c.batch(&if postgres { POPULATION_FEATURES.replace("INTEGER", "BIGINT") } else { POPULATION_FEATURES.to_string() })?,
                _ => unreachable!("a step without SQL"),
            }
            c.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                &[i64::from(v).into(), name.into(), crate::import::now().into()],
            )?;
            Ok(())
        })?;
    }
    // Every open: the audit log's own file is there (SQLite), the guard (replaced in place),
    // and any analysis table a publication has not made yet.
    if !postgres && !schema_has(conn, "audit_log", "audit")? {
        let file = conn.sqlite_file("audit_log").unwrap_or_default();
        return Err(Error::new(
            ErrorKind::Corrupt(format!(
                "the audit log is missing: its file {file} was not found beside the database (restore it from the backup the database came from)"
            )),
            std::path::Path::new(""),
        ));
    }
    conn.batch(if postgres { schema::POSTGRES_GUARD } else { schema::SQLITE_GUARD })?;
    let have = schema::tables_like(conn, "")?;
    for (table, columns) in schema::ANALYSIS {
        if !have.iter().any(|t| t == table) {
            conn.batch(&schema::table_ddl(table, columns, ""))?;
        }
    }
    // PostgreSQL keeps its analysis tables across publications: an index added since they were
    // made is made now (SQLite makes every index with each publication's tables).
    if postgres {
        for (index, on, cols) in schema::ANALYSIS_INDEXES {
            conn.batch(&format!("CREATE INDEX IF NOT EXISTS {index} ON {on} ({cols})"))?;
        }
    }
    check_forces(conn)
}

/// Whether the SQLite schema `db` (`main`, `audit_log`) holds the table `table`.
fn schema_has(conn: &mut Conn, db: &str, table: &str) -> Result<bool, Error> {
    Ok(conn.query_one(&format!("SELECT 1 FROM {db}.sqlite_master WHERE type = 'table' AND name = ?"), &[table.into()])?.is_some())
}

/// Whether `table` has `column`, in either dialect.
fn has_column(conn: &mut Conn, postgres: bool, table: &str, column: &str) -> Result<bool, Error> {
    let sql = if postgres {
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND column_name = ?"
    } else {
        "SELECT 1 FROM pragma_table_info(?) WHERE name = ?"
    };
    Ok(conn.query_one(sql, &[table.into(), column.into()])?.is_some())
}

/// Step 8's first half, committed on its own: the main file's audit entries that the audit
/// log's file does not hold yet, copied there unchanged (so that a crash before the main
/// table is dropped loses nothing, and a second run copies nothing twice).
fn copy_audit_apart(conn: &mut Conn) -> Result<(), Error> {
    conn.transaction(|c| {
        c.batch(&schema::sqlite_audit_apart())?;
        if schema_has(c, "main", "audit")? {
            c.batch(
                "INSERT INTO audit_log.audit SELECT seq, at, actor, action, object, force, outcome, detail, prev_hash, hash FROM main.audit \
                 WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_log.audit) ORDER BY seq",
            )?;
        }
        Ok(())
    })
}

/// A database the dashboard made before the store owned the schema: refuse one newer than that
/// layout, and rename its analysis tables out of the record tables' way.
fn adopt_dashboard(conn: &mut Conn) -> Result<(), Error> {
    let have = schema::tables_like(conn, "")?;
    if !have.iter().any(|t| t == "meta") {
        return Ok(());
    }
    let mark = conn.query_one("SELECT value FROM meta WHERE key = 'schema_version'", &[])?.and_then(|r| r[0].int());
    match mark {
        Some(v) if v > 3 => {
            return Err(Error::new(ErrorKind::NewerSchema { found: v as u32, known: LATEST }, std::path::Path::new("")));
        }
        _ => {}
    }
    conn.transaction(|c| -> Result<(), Error> {
        for (old, new) in [("forces", "force_figures"), ("incidents", "published_incidents"), ("orders", "published_orders")] {
            if have.iter().any(|t| t == old) && !have.iter().any(|t| t == new) {
                c.batch(&format!("ALTER TABLE {old} RENAME TO {new}"))?;
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// Stored force ids are positions in `forces.csv`, which is append-only: check that the
/// database agrees with this build, and add forces appended since it was created.
fn check_forces(conn: &mut Conn) -> Result<(), Error> {
    let stored = conn.query("SELECT id, name FROM forces ORDER BY id", &[])?;
    for row in &stored {
        let (id, name) = (row[0].int().unwrap_or(-1), row[1].text());
        let ours = u8::try_from(id).ok().and_then(conduct_domain::Force::from_id).map(|f| f.name());
        if ours != Some(name.as_str()) {
            return Err(Error::new(
                ErrorKind::Corrupt(format!(
                    "force id {id} is {name:?} in the database but {ours:?} in this build (forces.csv must be append-only)"
                )),
                std::path::Path::new(""),
            ));
        }
    }
    for f in conduct_domain::Force::all_entries().skip(stored.len()) {
        conn.execute("INSERT INTO forces (id, name) VALUES (?, ?)", &[i64::from(f.id()).into(), f.name().into()])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Url, Value};

    fn count(c: &mut Conn, sql: &str) -> i64 {
        c.query_one(sql, &[]).unwrap().and_then(|r| r[0].int()).unwrap()
    }

    #[test]
    fn a_dashboard_database_of_the_earlier_layout_is_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("s.db"))).unwrap();
        // What a dashboard of schema version 3 left: its own version mark, and analysis tables
        // under the names the record tables now have.
        c.batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             INSERT INTO meta VALUES ('schema_version', '3'), ('publication', '5');
             CREATE TABLE forces (name TEXT PRIMARY KEY, incidents BIGINT NOT NULL, overview TEXT NOT NULL);
             INSERT INTO forces VALUES ('Kent', 12, '{}');
             CREATE TABLE incidents (force TEXT NOT NULL, incident_ref TEXT NOT NULL);
             INSERT INTO incidents VALUES ('Kent', 'K-1');
             CREATE TABLE orders (force TEXT NOT NULL, order_ref TEXT NOT NULL);",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        assert_eq!(version(&mut c).unwrap(), LATEST);
        assert_eq!(count(&mut c, "SELECT incidents FROM force_figures WHERE name = 'Kent'"), 12, "the figures are kept, renamed");
        assert_eq!(count(&mut c, "SELECT count(*) FROM published_incidents"), 1);
        assert_eq!(count(&mut c, "SELECT count(*) FROM published_orders"), 0);
        assert_eq!(
            count(&mut c, "SELECT count(*) FROM forces") as usize,
            conduct_domain::Force::all_entries().count(),
            "the record tables"
        );
        assert_eq!(count(&mut c, "SELECT count(*) FROM incidents"), 0);
        assert_eq!(count(&mut c, "SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'publication'"), 5, "the publication stands");
        assert_eq!(count(&mut c, "SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'schema_version'"), DASHBOARD_MARK);
        // Opening again changes nothing.
        migrate(&mut c).unwrap();
        assert_eq!(count(&mut c, "SELECT count(*) FROM schema_migrations"), LATEST as i64);
        // A newer Conduct's database is refused.
        c.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')", &[Value::Int(99)]).unwrap();
        let e = migrate(&mut c).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::NewerSchema { found: 99, .. }), "{e}");
    }

    #[test]
    fn analysis_tables_of_schema_5_gain_the_columns_of_step_6() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("s.db"))).unwrap();
        migrate(&mut c).unwrap();
        // What a database published at schema 5 held: the analysis tables without the step's
        // columns (abridged to a few columns each), and no screenings table.
        c.batch(
            "DELETE FROM schema_migrations WHERE version >= 6;
             DROP TABLE published_incidents; DROP TABLE courses; DROP TABLE course_forces; DROP TABLE published_screenings;
             CREATE TABLE published_incidents (force TEXT NOT NULL, incident_ref TEXT NOT NULL);
             INSERT INTO published_incidents VALUES ('Kent', 'K-1');
             CREATE TABLE courses (course_id TEXT PRIMARY KEY, reports BIGINT NOT NULL);
             INSERT INTO courses VALUES ('C000001', 3);
             CREATE TABLE course_forces (force TEXT NOT NULL, course_id TEXT NOT NULL);
             INSERT INTO course_forces VALUES ('Kent', 'C000001');",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        assert_eq!(version(&mut c).unwrap(), LATEST);
        assert_eq!(count(&mut c, "SELECT count(*) FROM published_incidents WHERE secondary_offence_codes IS NULL"), 1, "the rows are kept");
        assert_eq!(count(&mut c, "SELECT secondary FROM courses WHERE course_id = 'C000001'"), 0);
        assert_eq!(count(&mut c, "SELECT secondary FROM course_forces WHERE course_id = 'C000001'"), 0);
        assert_eq!(count(&mut c, "SELECT changed FROM courses WHERE course_id = 'C000001'"), 0, "step 7's column");
        assert_eq!(count(&mut c, "SELECT count(*) FROM reviews"), 0, "step 7's tables");
        assert_eq!(count(&mut c, "SELECT count(*) FROM published_screenings"), 0, "the new table is made");
        // Opening again changes nothing (the columns are not added twice).
        migrate(&mut c).unwrap();
        assert_eq!(count(&mut c, "SELECT count(*) FROM schema_migrations"), LATEST as i64);
    }

    /// What a database of schema 7 held: the audit log in the main file.
    fn schema_7_with_audit(c: &mut Conn) {
        c.batch(
            "DELETE FROM schema_migrations WHERE version >= 8;
             CREATE TABLE main.audit (seq BIGINT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                 object TEXT NOT NULL, force TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
             INSERT INTO main.audit VALUES (1, 't1', 'amy', 'read', 'triage', 'Kent', 'allowed', 'page 1', 'h0', 'h1'),
                 (2, 't2', 'amy', 'read', 'course/C000001', 'Kent', 'allowed', '', 'h1', 'h2'),
                 (3, 't3', 'bob', 'refused', 'course/C000002', 'Essex', 'denied', '', 'h2', 'h3');",
        )
        .unwrap();
    }

    fn entries(c: &mut Conn) -> Vec<String> {
        c.query("SELECT seq, at, actor, action, object, force, outcome, detail, prev_hash, hash FROM audit ORDER BY seq", &[])
            .unwrap()
            .iter()
            .map(|r| r.iter().map(Value::text).collect::<Vec<_>>().join("|"))
            .collect()
    }

    #[test]
    fn the_audit_log_moves_to_its_own_file_unchanged_and_stays_append_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("conduct-server.db");
        let mut c = Conn::open(&Url::Sqlite(path.clone())).unwrap();
        migrate(&mut c).unwrap();
        assert!(dir.path().join("conduct-server-audit.db").exists(), "the audit file is beside the database");
        assert_eq!(entries(&mut c).len(), 0);

        // From schema 7: the entries move unchanged and in order, and stay append-only.
        c.batch("DROP TABLE audit_log.audit").unwrap();
        schema_7_with_audit(&mut c);
        let before = entries(&mut c);
        assert_eq!(before.len(), 3);
        migrate(&mut c).unwrap();
        assert_eq!(version(&mut c).unwrap(), LATEST);
        assert!(!schema_has(&mut c, "main", "audit").unwrap(), "the main file's table is dropped");
        assert_eq!(entries(&mut c), before);
        assert!(c.execute("UPDATE audit SET actor = 'nobody' WHERE seq = 2", &[]).is_err(), "append-only in its new file");
        assert!(c.execute("DELETE FROM audit WHERE seq = 3", &[]).is_err(), "append-only in its new file");

        // A crash between the two halves: 2 of the 3 entries copied, the main table not dropped.
        // Run again, the step copies the third once and drops.
        c.batch("DROP TRIGGER audit_log.audit_no_delete; DELETE FROM audit_log.audit WHERE seq = 3;").unwrap();
        schema_7_with_audit(&mut c);
        migrate(&mut c).unwrap();
        assert_eq!(entries(&mut c), before, "every entry once");
        assert!(!schema_has(&mut c, "main", "audit").unwrap());

        // A database whose audit file was lost is refused, naming the file.
        drop(c);
        for f in ["conduct-server-audit.db", "conduct-server-audit.db-wal", "conduct-server-audit.db-shm"] {
            let _ = std::fs::remove_file(dir.path().join(f));
        }
        let mut c = Conn::open(&Url::Sqlite(path)).unwrap();
        let e = migrate(&mut c).unwrap_err();
        assert!(e.to_string().contains("audit log is missing") && e.to_string().contains("conduct-server-audit.db"), "{e}");
    }

    /// A dashboard of schema 10 keeps its id history, each event gaining an empty reason.
    #[test]
    fn id_events_of_schema_10_gain_an_empty_reason() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("conduct.db"))).unwrap();
        migrate(&mut c).unwrap();
        c.batch(
            "DELETE FROM schema_migrations WHERE version >= 11; ALTER TABLE id_events DROP COLUMN reason;
             INSERT INTO id_events (publication, at, kind, id, other_id, members) VALUES (2, 't', 'merge', 'P0000001', 'P0000002', 1);",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        assert_eq!(version(&mut c).unwrap(), LATEST);
        let rows = c.query("SELECT id, reason FROM id_events", &[]).unwrap();
        assert_eq!(rows.len(), 1, "the event is kept");
        assert_eq!((rows[0][0].text(), rows[0][1].text()), ("P0000001".to_string(), String::new()));
    }

    /// A workspace of schema 8 holding a linked population gains the features table, empty,
    /// and keeps its population; opening again changes nothing.
    #[test]
    fn a_population_of_schema_8_gains_an_empty_features_table() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("conduct.db"))).unwrap();
        migrate(&mut c).unwrap();
        c.batch(
            "DELETE FROM schema_migrations WHERE version >= 9; DROP TABLE population_features; DROP TABLE id_events;
             INSERT INTO population_records (rec, force_id, record_id, person, batch) VALUES (1, 1, 'R1', 1, 1), (2, 1, 'R2', 1, 1);",
        )
        .unwrap();
        assert!(!schema_has(&mut c, "main", "population_features").unwrap());
        migrate(&mut c).unwrap();
        assert_eq!(version(&mut c).unwrap(), LATEST);
        assert_eq!(count(&mut c, "SELECT count(*) FROM population_features"), 0, "made empty");
        assert_eq!(count(&mut c, "SELECT count(*) FROM id_events"), 0, "step 10's table, made empty");
        assert_eq!(count(&mut c, "SELECT count(*) FROM population_records"), 2, "the population is kept");
        c.execute("INSERT INTO population_features (rec, f) VALUES (?, ?)", &[Value::Int(1), "1x".into()]).unwrap();
        assert!(
            c.execute("INSERT INTO population_features (rec, f) VALUES (?, ?)", &[Value::Int(1), "1y".into()]).is_err(),
            "one text per record"
        );
        migrate(&mut c).unwrap();
        assert_eq!(count(&mut c, "SELECT count(*) FROM schema_migrations"), LATEST as i64);
        assert_eq!(count(&mut c, "SELECT count(*) FROM population_features"), 1);
    }

    #[test]
    fn a_dashboard_database_newer_than_the_earlier_layout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("s.db"))).unwrap();
        c.batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '7');").unwrap();
        let e = migrate(&mut c).unwrap_err();
        assert!(e.to_string().contains("upgrade Conduct"), "{e}");
    }
}

//! The tables of the dashboard (accounts, access, the audit log, uploads) and of the published
//! analysis, beside the record tables of `migrations/`: one schema, made by
//! [`crate::migrate`] on SQLite and PostgreSQL alike. They are the same on both dialects but for
//! the append-only guard on the audit log (a trigger in each).
//!
//! The analysis tables (persons, courses, the review list, breaches, per-force figures and the
//! term frequencies the linkage explanations need) are replaced as a whole by each publication
//! (the server's `dataset::publish`): on SQLite a publication fills copies of them named with a
//! suffix ([`analysis_ddl`]) and swaps them in, so their indexes are named with that suffix
//! afterwards; [`crate::migrate`] creates an analysis table (with its indexes) only when it is
//! missing. The published copies of incidents and orders are `published_incidents` and
//! `published_orders`, and the per-force figures `force_figures`: the names `incidents`,
//! `orders` and `forces` belong to the imported records.

use crate::db::{Conn, Result};

pub(crate) const TABLES: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id            BIGINT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    force         TEXT,
    created_at    TEXT NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
    user_id    BIGINT NOT NULL,
    force      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, force)
);
CREATE TABLE IF NOT EXISTS audit (
    seq       BIGINT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    force     TEXT NOT NULL,
    outcome   TEXT NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS uploads (
    id          BIGINT PRIMARY KEY,
    at          TEXT NOT NULL,
    username    TEXT NOT NULL,
    status      TEXT NOT NULL,
    report      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS upload_rejects (
    upload_id BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    file      TEXT NOT NULL,
    line      BIGINT NOT NULL,
    col       TEXT NOT NULL,
    reason    TEXT NOT NULL,
    row_key   TEXT NOT NULL,
    PRIMARY KEY (upload_id, n)
);
CREATE TABLE IF NOT EXISTS id_successors (
    old_id     TEXT PRIMARY KEY,
    current_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS id_successors_current ON id_successors (current_id);
CREATE TABLE IF NOT EXISTS exports (
    name TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS upload_exports (
    upload_id BIGINT PRIMARY KEY,
    export    TEXT NOT NULL
);
";

pub(crate) const SQLITE_GUARD: &str = "
CREATE TRIGGER IF NOT EXISTS audit_log.audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log.audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// SQLite: the audit log's table in its own file (the schema `audit_log`, attached to every
/// connection: [`crate::db::audit_file`]): the `audit` table of [`TABLES`], made there.
pub(crate) fn sqlite_audit_apart() -> String {
    let start = TABLES.find("CREATE TABLE IF NOT EXISTS audit (").expect("TABLES makes the audit table");
    let end = start + TABLES[start..].find(");").expect("the audit table's statement ends") + 2;
    TABLES[start..end].replacen("EXISTS audit (", "EXISTS audit_log.audit (", 1)
}

pub(crate) const POSTGRES_GUARD: &str = "
CREATE OR REPLACE FUNCTION conduct_audit_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_append_only ON audit;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
FOR EACH ROW EXECUTE FUNCTION conduct_audit_append_only();
DROP TRIGGER IF EXISTS audit_no_truncate ON audit;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
FOR EACH STATEMENT EXECUTE FUNCTION conduct_audit_append_only();
";

/// The analysis tables: (name, columns), rewritten by each publication (as a whole, or by the
/// rows that changed).
pub const ANALYSIS: [(&str, &str); 11] = [
    (
        "force_figures",
        "name TEXT PRIMARY KEY, incidents BIGINT NOT NULL, courses BIGINT NOT NULL, hidden_repeats BIGINT NOT NULL, linked_repeats BIGINT NOT NULL, urgent BIGINT NOT NULL, high BIGINT NOT NULL, review BIGINT NOT NULL, routine BIGINT NOT NULL, breaches BIGINT NOT NULL, charged BIGINT NOT NULL, outcomes BIGINT NOT NULL, overview TEXT NOT NULL",
    ),
    (
        "published_incidents",
        "force TEXT NOT NULL, incident_ref TEXT NOT NULL, recorded_date TEXT NOT NULL, occurred_date TEXT, offence_code TEXT NOT NULL, offence_description TEXT, domestic_abuse BIGINT, cyber BIGINT, linked_refs TEXT, outcome_type BIGINT, outcome_date TEXT, narrative TEXT, secondary_offence_codes TEXT, PRIMARY KEY (force, incident_ref)",
    ),
    ("course_incidents", "course_id TEXT NOT NULL, force TEXT NOT NULL, incident_ref TEXT NOT NULL, hidden BIGINT NOT NULL"),
    (
        "records",
        "force TEXT NOT NULL, record_id TEXT NOT NULL, incident_ref TEXT NOT NULL, role TEXT NOT NULL, person_id TEXT NOT NULL, local_person_id TEXT, forename TEXT, middle_names TEXT, surname TEXT, date_of_birth TEXT, sex TEXT, address TEXT, postcode TEXT, phone TEXT, email TEXT, online_handles TEXT, pnc_id TEXT, ni_number TEXT, PRIMARY KEY (force, record_id)",
    ),
    ("persons", "person_id TEXT PRIMARY KEY, records BIGINT NOT NULL, forces TEXT NOT NULL"),
    (
        "courses",
        "course_id TEXT PRIMARY KEY, forces TEXT NOT NULL, victim TEXT NOT NULL, suspect TEXT, first_date TEXT NOT NULL, last_date TEXT NOT NULL, reports BIGINT NOT NULL, hidden BIGINT NOT NULL, cross_force BIGINT NOT NULL, priority TEXT NOT NULL, priority_rank BIGINT NOT NULL, triage_rank BIGINT NOT NULL, stalking BIGINT NOT NULL, breaches BIGINT NOT NULL, reasons TEXT NOT NULL, secondary BIGINT NOT NULL DEFAULT 0, changed BIGINT NOT NULL DEFAULT 0, pos BIGINT NOT NULL",
    ),
    (
        "course_forces",
        "force TEXT NOT NULL, course_id TEXT NOT NULL, triage_rank BIGINT NOT NULL, priority_rank BIGINT NOT NULL, last_date TEXT NOT NULL, reports BIGINT NOT NULL, stalking BIGINT NOT NULL, cross_force BIGINT NOT NULL, breaches BIGINT NOT NULL, hidden BIGINT NOT NULL, secondary BIGINT NOT NULL DEFAULT 0, changed BIGINT NOT NULL DEFAULT 0, pos BIGINT NOT NULL, PRIMARY KEY (force, course_id)",
    ),
    (
        "published_orders",
        "force TEXT NOT NULL, order_ref TEXT NOT NULL, order_type TEXT NOT NULL, incident_ref TEXT NOT NULL, applied_date TEXT, granted_date TEXT, expires_date TEXT, status TEXT, PRIMARY KEY (force, order_ref)",
    ),
    (
        "breaches",
        "course_id TEXT NOT NULL, force TEXT NOT NULL, incident_ref TEXT NOT NULL, order_force TEXT NOT NULL, order_ref TEXT NOT NULL",
    ),
    ("term_frequencies", "which BIGINT NOT NULL, hash BIGINT NOT NULL, frequency DOUBLE PRECISION NOT NULL, PRIMARY KEY (which, hash)"),
    (
        "published_screenings",
        "force TEXT NOT NULL, incident_ref TEXT NOT NULL, assessed_date TEXT NOT NULL, tool TEXT NOT NULL, grade TEXT, yes_answers TEXT, in_words TEXT NOT NULL, assessor_notes TEXT",
    ),
];

/// Columns added to analysis tables after they first shipped (schema step 6): (table, column
/// and type). A database whose tables predate them gains them when it is opened; tables made
/// since have them from [`ANALYSIS`].
pub const ADDED_ANALYSIS_COLUMNS: [(&str, &str); 3] = [
    ("published_incidents", "secondary_offence_codes TEXT"),
    ("courses", "secondary BIGINT NOT NULL DEFAULT 0"),
    ("course_forces", "secondary BIGINT NOT NULL DEFAULT 0"),
];

/// Columns added to analysis tables by schema step 7 (`review_workflow`): the publication in
/// which a course last gained a report (the "new since my last visit" queue).
pub const WORKFLOW_ANALYSIS_COLUMNS: [(&str, &str); 2] =
    [("courses", "changed BIGINT NOT NULL DEFAULT 0"), ("course_forces", "changed BIGINT NOT NULL DEFAULT 0")];

/// The review workflow's tables (schema step 7), kept across publications: who a course is
/// assigned to in each force, the reviews recorded on it (with what the course held when
/// reviewed), what is new since each force's latest review (recomputed by every publication),
/// when each force's part of a course first turned urgent and was first reviewed after, and
/// which publication each user last saw the list of. Course ids are the published ids, which
/// survive republication; a publication that retires an id moves its rows to the successor.
pub(crate) const WORKFLOW_TABLES: &str = "
CREATE TABLE IF NOT EXISTS assignments (
    force       TEXT NOT NULL,
    course_id   TEXT NOT NULL,
    assignee    TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    PRIMARY KEY (force, course_id)
);
CREATE INDEX IF NOT EXISTS assignments_assignee ON assignments (assignee, force);
CREATE TABLE IF NOT EXISTS reviews (
    id          BIGINT PRIMARY KEY,
    force       TEXT NOT NULL,
    course_id   TEXT NOT NULL,
    recorded_as TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    at          TEXT NOT NULL,
    publication BIGINT NOT NULL,
    decision    TEXT NOT NULL,
    note        TEXT NOT NULL,
    snapshot    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_course ON reviews (course_id, force);
CREATE TABLE IF NOT EXISTS review_state (
    force           TEXT NOT NULL,
    course_id       TEXT NOT NULL,
    review_id       BIGINT NOT NULL,
    settled         BIGINT NOT NULL,
    new_reports     BIGINT NOT NULL,
    new_breaches    BIGINT NOT NULL,
    new_cross_force BIGINT NOT NULL,
    PRIMARY KEY (force, course_id)
);
CREATE INDEX IF NOT EXISTS review_state_settled ON review_state (force, settled);
CREATE TABLE IF NOT EXISTS urgent_courses (
    force           TEXT NOT NULL,
    course_id       TEXT NOT NULL,
    since           TEXT NOT NULL,
    first_review_at TEXT,
    first_decision  TEXT,
    PRIMARY KEY (force, course_id)
);
CREATE TABLE IF NOT EXISTS visits (
    user_id  BIGINT PRIMARY KEY,
    seen     BIGINT NOT NULL,
    previous BIGINT NOT NULL
);
";

/// The analysis tables' indexes: (name, table, columns).
pub const ANALYSIS_INDEXES: [(&str, &str, &str); 24] = [
    ("course_incidents_course", "course_incidents", "course_id"),
    // Search by reference, which compares references whatever their case.
    ("course_incidents_ref", "course_incidents", "lower(incident_ref)"),
    ("records_person", "records", "person_id"),
    ("records_incident", "records", "force, incident_ref"),
    ("records_ref", "records", "lower(incident_ref)"),
    // Search by name and date of birth, which reads the records holding the names it matched.
    ("records_surname", "records", "surname"),
    ("records_forename", "records", "forename"),
    ("records_dob", "records", "date_of_birth"),
    ("courses_pos", "courses", "pos, course_id, reports, triage_rank, last_date"),
    ("courses_rank", "courses", "triage_rank, course_id, reports, last_date, changed"),
    ("courses_priority", "courses", "priority_rank, pos"),
    ("courses_last", "courses", "last_date"),
    ("courses_reports", "courses", "reports"),
    ("courses_victim", "courses", "victim"),
    ("courses_suspect", "courses", "suspect"),
    ("course_forces_rank", "course_forces", "force, triage_rank, course_id, reports, last_date, changed"),
    ("course_forces_pos", "course_forces", "force, pos, course_id, reports, triage_rank, last_date"),
    ("course_forces_priority", "course_forces", "force, priority_rank, pos"),
    ("course_forces_last", "course_forces", "force, last_date"),
    ("course_forces_reports", "course_forces", "force, reports"),
    ("course_forces_course", "course_forces", "course_id"),
    ("published_orders_incident", "published_orders", "force, incident_ref"),
    ("breaches_course", "breaches", "course_id"),
    ("published_screenings_incident", "published_screenings", "force, incident_ref"),
];

/// SQL creating the analysis tables and their indexes, every name followed by `suffix` (empty
/// for the live tables; a publication's copies on SQLite have their own).
pub fn analysis_ddl(suffix: &str) -> String {
    let mut sql = String::new();
    for (table, columns) in ANALYSIS {
        sql.push_str(&table_ddl(table, columns, suffix));
    }
    sql
}

/// SQL creating one table and its indexes (an analysis table's when `columns` are its columns
/// in [`ANALYSIS`]), every name followed by `suffix`.
pub fn table_ddl(table: &str, columns: &str, suffix: &str) -> String {
    let mut sql = format!("CREATE TABLE {table}{suffix} ({columns});\n");
    for index in index_ddl(table, suffix) {
        sql.push_str(&index);
        sql.push_str(";\n");
    }
    sql
}

/// SQL creating the indexes of one analysis table ([`ANALYSIS_INDEXES`]), a statement each,
/// every name followed by `suffix`: what [`table_ddl`] makes after the table, for a copy
/// filled before its indexes are made.
pub fn index_ddl(table: &str, suffix: &str) -> Vec<String> {
    ANALYSIS_INDEXES
        .iter()
        .filter(|(_, on, _)| *on == table)
        .map(|(index, on, cols)| format!("CREATE INDEX {index}{suffix} ON {on}{suffix} ({cols})"))
        .collect()
}

/// The tables of the database whose names start with `prefix`.
///
/// # Errors
///
/// A [`Error`](crate::Error) when the query fails.
pub fn tables_like(conn: &mut Conn, prefix: &str) -> Result<Vec<String>> {
    let sql = if conn.is_postgres() {
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND substr(tablename, 1, length(?)) = ?"
    } else {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, length(?)) = ?"
    };
    Ok(conn.query(sql, &[prefix.into(), prefix.into()])?.iter().map(|r| r[0].text()).collect())
}

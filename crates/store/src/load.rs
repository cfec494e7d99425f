//! Reading the records back: what later stages (the dashboard's publication, the pipeline over
//! a workspace) take from the store instead of reading the export files again.

use conduct_ingest::Export;

use crate::db::{Conn, Value};
use crate::error::Error;
use crate::import::{INCIDENT_COLUMNS, ORDER_COLUMNS, PEOPLE_COLUMNS};
use crate::rows;

/// Reads the rows of `table` in the order they were first imported (a later import's row
/// replaced an earlier one in place, as a newer export of the same records should), one at a
/// time as the database hands them over, giving each to `take` (which stops the read with an
/// error).
fn each_row(conn: &mut Conn, table: &str, columns: &[&str], take: &mut dyn FnMut(&[Value]) -> Result<(), Error>) -> Result<(), Error> {
    let order = if conn.is_postgres() { "seq" } else { "rowid" };
    let sql = format!("SELECT {} FROM {table} ORDER BY {order}", columns.join(", "));
    let mut failed = None;
    conn.scan(&sql, &[], |row| match take(row) {
        Ok(()) => Ok(true),
        Err(e) => {
            failed = Some(e);
            Ok(false)
        }
    })?;
    failed.map_or(Ok(()), Err)
}

/// How many rows `table` holds, the capacity of the vector its rows are read into (a row
/// imported meanwhile only grows it). Grown by doubling instead, the people rows (424 bytes
/// each, 1.96M at the 1M world) were copied at each doubling into fresh memory, whose first
/// touches cost more than the copy: about a tenth of a publication's samples, and a quarter of
/// its page faults (docs/benchmarks.md, session 40).
fn rows_in(conn: &mut Conn, table: &str) -> Result<usize, Error> {
    let n = conn.query_one(&format!("SELECT count(*) FROM {table}"), &[])?.and_then(|r| r[0].int()).unwrap_or(0);
    Ok(usize::try_from(n).unwrap_or(0))
}

/// The people rows the store holds, in first-import order, read one at a time.
///
/// # Errors
///
/// [`crate::ErrorKind::Db`] when a query fails, [`crate::ErrorKind::BadRow`] when a stored value cannot be read
/// back.
pub fn load_people(conn: &mut Conn) -> Result<Vec<conduct_domain::Involvement>, Error> {
    let mut people = Vec::with_capacity(rows_in(conn, "people")?);
    each_row(conn, "people", PEOPLE_COLUMNS, &mut |r| {
        people.push(rows::involvement_from_row(r)?);
        Ok(())
    })?;
    Ok(people)
}

/// Every record the store holds, in the order first imported.
///
/// # Errors
///
/// [`crate::ErrorKind::Db`] when a query fails, and the error of [`rows`] when a stored value
/// cannot be read back as a record (a database written by something other than Conduct).
pub fn load_export(conn: &mut Conn) -> Result<Export, Error> {
    load_export_then(conn, |_| ()).0
}

/// [`load_export`], and `then` on `conn` once every table but the people is read: on SQLite
/// with no transaction open, while the people are still being read on the second connection
/// (the other tables take about half as long at the 1M world: 1.8-2.2 s against 3.1-4.8 s), so
/// that what `then` reads (a publication's linked population) costs no time of its own.
/// `then` runs whether or not the records could be read.
///
/// # Errors
///
/// As [`load_export`], in the first of the pair.
pub fn load_export_then<T>(conn: &mut Conn, then: impl FnOnce(&mut Conn) -> T) -> (Result<Export, Error>, T) {
    // The people rows, the largest table, on a second connection beside the rest: each table's
    // rows are decoded on their own core (1M incidents, 1.94M people rows: 5.6-6.1 s on one
    // connection, 4.2-4.4 s so; docs/benchmarks.md, session 30).
    let (people, (export, also)) = conn.read_beside(load_people, |c| {
        let export = load_except_people(c);
        (export, then(c))
    });
    let read = export.and_then(|mut export| {
        export.people = people?;
        Ok(export)
    });
    (read, also)
}

/// [`load_export`] of every table but the people.
fn load_except_people(conn: &mut Conn) -> Result<Export, Error> {
    let mut export = Export { incidents: Vec::with_capacity(rows_in(conn, "incidents")?), ..Export::default() };
    each_row(conn, "incidents", INCIDENT_COLUMNS, &mut |r| {
        export.incidents.push(rows::incident_from_row(r)?);
        Ok(())
    })?;
    each_row(conn, "orders", ORDER_COLUMNS, &mut |r| {
        export.orders.push(rows::order_from_row(r)?);
        Ok(())
    })?;
    // Screenings are few: read in one query, by incident and day.
    let sql = format!("{} ORDER BY force_id, incident_ref, assessed_date, tool", rows::RISK_ASSESSMENTS.select_sql());
    for r in conn.query(&sql, &[])? {
        export.risk_assessments.push(rows::risk_assessment_from_row(&r)?);
    }
    Ok(export)
}

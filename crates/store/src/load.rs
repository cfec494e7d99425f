//! Reading the records back: what later stages (the dashboard's publication, the pipeline over
//! a workspace) take from the store instead of reading the export files again.

use conduct_ingest::Export;

use crate::db::{Conn, Value};
use crate::error::Error;
use crate::import::{INCIDENT_COLUMNS, ORDER_COLUMNS, PEOPLE_COLUMNS};
use crate::rows;

/// Rows read per query: the records are read in pages so that the rows in flight stay small
/// beside the records they become.
const PAGE: i64 = 20_000;

/// Reads the rows of `table` in the order they were first imported (a later import's row
/// replaced an earlier one in place, as a newer export of the same records should), page by
/// page, handing each to `take`.
fn each_row(conn: &mut Conn, table: &str, columns: &[&str], take: &mut dyn FnMut(&[Value]) -> Result<(), Error>) -> Result<(), Error> {
    let order = if conn.is_postgres() { "seq" } else { "rowid" };
    let sql = format!("SELECT {order}, {} FROM {table} WHERE {order} > ? ORDER BY {order} LIMIT {PAGE}", columns.join(", "));
    let mut after = i64::MIN;
    loop {
        let page = conn.query(&sql, &[Value::Int(after)])?;
        for row in &page {
            take(&row[1..])?;
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = last[0].int().unwrap_or(i64::MAX),
            _ => return Ok(()),
        }
    }
}

/// The people rows the store holds, in first-import order, read page by page.
///
/// # Errors
///
/// [`crate::ErrorKind::Db`] when a query fails, [`crate::ErrorKind::BadRow`] when a stored value cannot be read
/// back.
pub fn load_people(conn: &mut Conn) -> Result<Vec<conduct_domain::Involvement>, Error> {
    let mut people = Vec::new();
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
    let mut export = Export::default();
    each_row(conn, "incidents", INCIDENT_COLUMNS, &mut |r| {
        export.incidents.push(rows::incident_from_row(r)?);
        Ok(())
    })?;
    each_row(conn, "people", PEOPLE_COLUMNS, &mut |r| {
        export.people.push(rows::involvement_from_row(r)?);
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

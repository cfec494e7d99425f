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
    scan_taking(conn, &format!("SELECT {} FROM {table} ORDER BY {order}", columns.join(", ")), &[], take)
}

/// Runs the query `sql`, giving each row to `take` as the database hands it over; the first
/// error `take` returns stops the read and is returned.
fn scan_taking(conn: &mut Conn, sql: &str, params: &[Value], take: &mut dyn FnMut(&[Value]) -> Result<(), Error>) -> Result<(), Error> {
    let mut failed = None;
    conn.scan(sql, params, |row| match take(row) {
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
    load_export_in_pieces(conn, then, PIECE_ROWS)
}

/// [`load_export_then`], the people shared in pieces of `piece_rows` rows.
fn load_export_in_pieces<T>(conn: &mut Conn, then: impl FnOnce(&mut Conn) -> T, piece_rows: usize) -> (Result<Export, Error>, T) {
    // The people rows, the largest table, on a second connection beside the rest: each table's
    // rows are decoded on their own core (1M incidents, 1.94M people rows: 5.6-6.1 s on one
    // connection, 4.2-4.4 s so; docs/benchmarks.md, session 30). This connection, done with
    // the rest, then reads pieces of the people too (see [`Pieces`]).
    let Some(url) = conn.second_reader() else {
        let export = load_except_people(conn);
        let also = then(conn);
        let read = export.and_then(|mut export| {
            export.people = load_people(conn)?;
            Ok(export)
        });
        return (read, also);
    };
    let mut people = Vec::new();
    let pieces = Pieces::new(piece_rows);
    let (beside, (export, also, helped)) = std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            // However this thread ends, the connection below stops waiting for it.
            let _done = Preparing(&pieces);
            let mut c = Conn::open(&url)?;
            pieces.prepare(&mut c, &mut people)?;
            read_pieces(&mut c, &pieces)
        });
        let export = load_except_people(conn);
        let also = then(conn);
        let helped = if export.is_ok() { pieces.ready().then(|| read_pieces(conn, &pieces)) } else { pieces.stop() };
        (other.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), (export, also, helped))
    });
    drop(pieces);
    let read = export.and_then(|mut export| {
        beside?;
        helped.transpose()?;
        export.people = people;
        Ok(export)
    });
    (read, also)
}

/// Rows of people in one piece of a read shared by two connections: about 7 MB of records.
const PIECE_ROWS: usize = 16_384;

/// The people rows read by two connections at once, piece by piece, each piece (its rows by
/// rowid) written into its own place in one vector made for them all. The vector is filled with
/// placeholders first (a safe way to hand out disjoint places to two threads), which also
/// touches its fresh memory once, where pushing each row did so as it came; each piece must then
/// overwrite every place of its own, or the read fails ([`read_pieces`]), so no placeholder is
/// ever taken for a record.
///
/// Why: the second connection read the people (about 5 s of a core at the 1M world, 45 % of it
/// the first touches of the vector's 0.83 GB) while this one read the rest in 3 s, then waited
/// for it (docs/benchmarks.md, session 42).
struct Pieces<'a> {
    stage: std::sync::Mutex<Stage<'a>>,
    changed: std::sync::Condvar,
    /// Rows per piece (the last may hold fewer).
    rows: usize,
}

/// Where a shared read of the people stands.
enum Stage<'a> {
    /// The vector and the pieces are being made.
    Preparing,
    /// The pieces not yet taken: each a place in the vector and the first and last rowid whose
    /// rows fill it.
    Ready(std::iter::Zip<std::slice::ChunksMut<'a, conduct_domain::Involvement>, std::vec::IntoIter<(i64, i64)>>),
    /// No more pieces: all taken, or the read failed.
    Stopped,
}

impl<'a> Pieces<'a> {
    fn new(rows: usize) -> Pieces<'a> {
        Pieces { stage: std::sync::Mutex::new(Stage::Preparing), changed: std::sync::Condvar::new(), rows: rows.max(1) }
    }

    fn stage(&self) -> std::sync::MutexGuard<'_, Stage<'a>> {
        self.stage.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Makes `people` (a placeholder per row) and its pieces, from the rowids the table holds.
    fn prepare(&self, conn: &mut Conn, people: &'a mut Vec<conduct_domain::Involvement>) -> Result<(), Error> {
        let mut rowids = Vec::with_capacity(rows_in(conn, "people")?);
        conn.scan("SELECT rowid FROM people ORDER BY rowid", &[], |r| {
            rowids.push(r[0].int().unwrap_or_default());
            Ok(true)
        })?;
        let bounds: Vec<(i64, i64)> = rowids.chunks(self.rows).map(|c| (c[0], c[c.len() - 1])).collect();
        let force = conduct_domain::Force::all().next().ok_or_else(|| Error::db("no force is known"))?;
        people.resize(rowids.len(), conduct_domain::Involvement::new("", force, "", conduct_domain::Role::Other));
        let places = people.as_mut_slice().chunks_mut(self.rows);
        let mut stage = self.stage();
        if matches!(*stage, Stage::Preparing) {
            *stage = Stage::Ready(places.zip(bounds));
        }
        self.changed.notify_all();
        Ok(())
    }

    /// Waits until the pieces are made; whether there are any to read.
    fn ready(&self) -> bool {
        let mut stage = self.stage();
        while matches!(*stage, Stage::Preparing) {
            stage = self.changed.wait(stage).unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        matches!(*stage, Stage::Ready(_))
    }

    /// No more pieces are read (a read failed); `None`, for want of anything read.
    fn stop<T>(&self) -> Option<T> {
        *self.stage() = Stage::Stopped;
        self.changed.notify_all();
        None
    }
}

/// Stops the pieces being waited for when the thread that makes them ends without making them
/// (its connection failed to open, or it panicked).
struct Preparing<'p, 'a>(&'p Pieces<'a>);

impl Drop for Preparing<'_, '_> {
    fn drop(&mut self) {
        let mut stage = self.0.stage();
        if matches!(*stage, Stage::Preparing) {
            *stage = Stage::Stopped;
        }
        self.0.changed.notify_all();
    }
}

/// Reads pieces of the people on `conn` until none is left; the first failure stops both
/// readers. A piece whose rowids no longer hold exactly its rows (the table changed since its
/// rowids were read) is a failure: the read would otherwise leave a placeholder or drop a row.
fn read_pieces(conn: &mut Conn, pieces: &Pieces<'_>) -> Result<(), Error> {
    loop {
        let next = match &mut *pieces.stage() {
            Stage::Ready(left) => left.next(),
            _ => None,
        };
        let Some((places, (first, last))) = next else { return Ok(()) };
        let mut filled = 0;
        let read = each_row_in(conn, first, last, &mut |r| {
            let place = places.get_mut(filled).ok_or_else(people_changed)?;
            *place = rows::involvement_from_row(r)?;
            filled += 1;
            Ok(())
        })
        .and_then(|()| if filled == places.len() { Ok(()) } else { Err(people_changed()) });
        if read.is_err() {
            pieces.stop::<()>();
            return read;
        }
    }
}

/// The people rows from rowid `first` to `last`, in rowid order, as [`each_row`] gives them.
fn each_row_in(conn: &mut Conn, first: i64, last: i64, take: &mut dyn FnMut(&[Value]) -> Result<(), Error>) -> Result<(), Error> {
    let sql = format!("SELECT {} FROM people WHERE rowid BETWEEN ? AND ? ORDER BY rowid", PEOPLE_COLUMNS.join(", "));
    scan_taking(conn, &sql, &[first.into(), last.into()], take)
}

/// The error of a people table that changed while two connections read it.
fn people_changed() -> Error {
    Error::db("the people rows changed while they were read (another import wrote to the store); read them again")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Url;
    use proptest::prelude::*;

    /// A fresh workspace's database on a connection of its own, holding `n` people rows of two
    /// forces, the rows whose place `gone` says deleted (gaps in the rowids, as records a newer
    /// export withdrew leave).
    fn workspace_of(n: usize, gone: &[bool]) -> (tempfile::TempDir, Conn) {
        let dir = tempfile::tempdir().unwrap();
        drop(crate::Store::open_workspace(dir.path()).unwrap());
        let mut conn = Conn::open(&Url::Sqlite(dir.path().join(crate::DATABASE_FILE))).unwrap();
        let forces: Vec<conduct_domain::Force> = conduct_domain::Force::all().take(2).collect();
        let rows: Vec<Vec<Value>> = (0..n)
            .map(|i| {
                let mut p =
                    conduct_domain::Involvement::new(&format!("R{i}"), forces[i % 2], &format!("I{}", i / 3), conduct_domain::Role::Victim);
                p.surname = format!("Surname{i}").into();
                rows::involvement_row(&p)
            })
            .collect();
        conn.bulk_insert(rows::PEOPLE.table, rows::PEOPLE.names, &rows).unwrap();
        for (i, _) in gone.iter().enumerate().filter(|(i, g)| **g && *i < n) {
            conn.execute("DELETE FROM people WHERE record_id = ?", &[format!("R{i}").into()]).unwrap();
        }
        (dir, conn)
    }

    proptest! {
        // Each case makes a workspace: fewer cases.
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Shared by two connections in pieces of any size, with gaps in the rowids, the people
        /// rows read back are the rows one connection reads, in the same order: none left a
        /// placeholder, none was read twice.
        #[test]
        fn people_read_in_pieces_are_the_people_read_whole(
            n in 0usize..80,
            gone in prop::collection::vec(prop::bool::weighted(0.2), 80),
            piece_rows in 1usize..12,
        ) {
            let (_dir, mut conn) = workspace_of(n, &gone);
            prop_assert!(conn.second_reader().is_some(), "two connections read a workspace on this machine");
            let whole = load_people(&mut conn).unwrap();
            prop_assert_eq!(whole.len(), n - gone[..n].iter().filter(|g| **g).count());
            let (read, ran) = load_export_in_pieces(&mut conn, |_| true, piece_rows);
            prop_assert!(ran);
            prop_assert_eq!(read.unwrap().people, whole);
        }
    }

    /// A piece whose rows changed after the pieces were made (a row deleted, or one written
    /// into its range of rowids) fails the read: it would otherwise leave a placeholder
    /// in the records or drop a row.
    #[test]
    fn a_piece_whose_rows_changed_fails_the_read() {
        for change in [
            "DELETE FROM people WHERE record_id = 'R5'",
            "INSERT INTO people (rowid, force_id, record_id, incident_ref, role) SELECT 7, force_id, 'R-new', incident_ref, role FROM people WHERE record_id = 'R0'",
        ] {
            let (_dir, mut conn) = workspace_of(12, &[false, false, false, false, false, false, true]);
            let mut people = Vec::new();
            let pieces = Pieces::new(4);
            pieces.prepare(&mut conn, &mut people).unwrap();
            conn.execute(change, &[]).unwrap();
            let e = read_pieces(&mut conn, &pieces).unwrap_err();
            assert!(e.to_string().contains("changed while they were read"), "{change}: {e}");
            assert!(matches!(*pieces.stage(), Stage::Stopped), "{change}: the other reader stops too");
        }
    }

    /// When the thread that makes the pieces ends without making them, the connection waiting
    /// for them goes on, with nothing to read.
    #[test]
    fn pieces_never_made_are_not_waited_for() {
        let pieces = Pieces::new(4);
        std::thread::scope(|s| {
            s.spawn(|| drop(Preparing(&pieces)));
            assert!(!pieces.ready());
        });
    }
}

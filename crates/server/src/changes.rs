//! A publication's analysis tables written by the rows that changed.
//!
//! A new export usually changes a small part of what is published: its own reports and
//! records, the persons and courses they join. Rewriting every table for it cost most of a
//! republication's time (at 1M incidents, writing 2M records again to change 20,000). So each
//! table's rows are first compared with the publication's: the rows held that the publication
//! does not have are deleted by their row key (SQLite's `rowid`, PostgreSQL's `ctid`), and the
//! publication's rows not held are inserted. A table where many rows change (a first
//! publication's; the term frequencies, every one moved by a new total) is still written
//! whole, into a copy on SQLite.
//!
//! Rows are compared value by value: a row's hash only chooses where to look for its equal
//! among the publication's rows, and never decides that two rows are equal.

use std::hash::{Hash, Hasher};

use conduct_store::Error as StoreError;
use conduct_store::db::{Conn, Value};

/// A table of a publication: name, columns, rows.
pub(crate) type TableRows<'a> = (&'a str, &'a [&'a str], Rows<'a>);

/// Fills a buffer with row `i` of a table made on demand.
pub(crate) type MakeRow<'a> = dyn Fn(usize, &mut Vec<Value>) + Sync + 'a;

/// A publication's rows of one table: built and held, or made on demand from the records, one
/// at a time, as the comparison and the writes read them (the records and the incidents, at
/// the 1M world 1.94M and 1M rows: held, they were 1.2 GB of fresh memory built only to be
/// compared, and first touches of fresh memory are most of a publication's time on a VM).
#[derive(Clone, Copy)]
pub(crate) enum Rows<'a> {
    /// Rows built beforehand.
    Held(&'a [Vec<Value>]),
    /// `len` rows, each made by `make`: the same row for the same index every time.
    Made { len: usize, make: &'a MakeRow<'a> },
}

impl<'a> Rows<'a> {
    /// How many rows.
    pub fn len(&self) -> usize {
        match self {
            Rows::Held(rows) => rows.len(),
            Rows::Made { len, .. } => *len,
        }
    }

    /// Row `i`: held, or made into `buf`.
    pub fn row<'b>(&'b self, i: usize, buf: &'b mut Vec<Value>) -> &'b [Value] {
        match self {
            Rows::Held(rows) => &rows[i],
            Rows::Made { make, .. } => {
                buf.clear();
                make(i, buf);
                buf
            }
        }
    }

    /// The rows of `range`, borrowed when held, made when not.
    pub fn slice(&self, range: std::ops::Range<usize>) -> std::borrow::Cow<'a, [Vec<Value>]> {
        match self {
            Rows::Held(rows) => std::borrow::Cow::Borrowed(&rows[range]),
            Rows::Made { make, .. } => std::borrow::Cow::Owned(
                range
                    .map(|i| {
                        let mut row = Vec::new();
                        make(i, &mut row);
                        row
                    })
                    .collect(),
            ),
        }
    }

    /// Inserts every row into `table`, [`WRITE_CHUNK`] made rows at a time.
    ///
    /// # Errors
    /// A failed insert.
    pub fn insert_into(&self, c: &mut Conn, table: &str, columns: &[&str]) -> Result<(), StoreError> {
        let mut at = 0;
        while at < self.len() {
            let end = match self {
                Rows::Held(rows) => rows.len(),
                Rows::Made { len, .. } => (at + WRITE_CHUNK).min(*len),
            };
            c.bulk_insert(table, columns, &self.slice(at..end))?;
            at = end;
        }
        Ok(())
    }
}

/// Rows made at a time to be written by [`Rows::insert_into`].
const WRITE_CHUNK: usize = 8192;

/// What turns the rows a table holds into a publication's.
#[derive(Debug, Default)]
pub(crate) struct RowChanges {
    /// Row keys of the held rows that the publication does not have.
    pub delete: Vec<Value>,
    /// Indexes (into the publication's rows) of the rows not held.
    pub insert: Vec<usize>,
}

impl RowChanges {
    /// How many rows change: deleted plus inserted.
    pub fn len(&self) -> usize {
        self.delete.len() + self.insert.len()
    }
}

/// The most rows of one table changed in place rather than by writing the table whole: a
/// quarter of the table's rows, or [`IN_PLACE_FLOOR`] for a small table.
pub(crate) fn in_place_limit(rows: usize) -> usize {
    (rows / 4).max(IN_PLACE_FLOOR)
}

/// Changes below this are always made in place (a small table is cheap either way).
const IN_PLACE_FLOOR: usize = 1024;

/// A row's hash, to choose where to look for its equal: foldhash, seeded once per process at
/// random, not the standard library's SipHash with its fixed keys (2 % of a publication's
/// samples at 1M). An export cannot be made to collide without knowing the seed, and a
/// collision only costs a comparison of values.
fn row_hash(row: &[Value]) -> u64 {
    use std::hash::BuildHasher;
    static STATE: std::sync::OnceLock<foldhash::fast::RandomState> = std::sync::OnceLock::new();
    let mut h = STATE.get_or_init(foldhash::fast::RandomState::default).build_hasher();
    for v in row {
        match v {
            Value::Null => 0u8.hash(&mut h),
            Value::Int(i) => {
                1u8.hash(&mut h);
                i.hash(&mut h);
            }
            Value::Real(f) => {
                2u8.hash(&mut h);
                f.to_bits().hash(&mut h);
            }
            Value::Text(s) => {
                3u8.hash(&mut h);
                s.hash(&mut h);
            }
        }
    }
    h.finish()
}

/// The column holding a row's key on this connection's database.
fn row_key(c: &Conn) -> &'static str {
    if c.is_postgres() { "ctid::text" } else { "rowid" }
}

/// Compares the rows `table` holds (its `columns`) with `rows`. `None` when more than `limit`
/// rows would change: the scan stops as soon as that is certain, and the table is to be
/// written whole.
///
/// # Errors
/// A failed read of the table.
pub(crate) fn row_changes(
    c: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: Rows<'_>,
    limit: usize,
) -> Result<Option<RowChanges>, StoreError> {
    changes_by(c, table, columns, rows, limit, row_hash)
}

/// [`row_changes`] with the hash that picks where to look for a row's equal.
fn changes_by(
    c: &mut Conn,
    table: &str,
    columns: &[&str],
    rows: Rows<'_>,
    limit: usize,
    row_hash: fn(&[Value]) -> u64,
) -> Result<Option<RowChanges>, StoreError> {
    // More rows to insert than the limit whatever is held: no need to read the table.
    let held = c.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?.and_then(|r| r[0].int()).unwrap_or(0) as usize;
    if rows.len().saturating_sub(held) > limit || held.saturating_sub(rows.len()) > limit {
        return Ok(None);
    }
    // Held rows are mostly in the publication's order (each was written in it, and a new
    // export's rows come after or between them): each held row is first compared with the row
    // after the last one matched, and only a row that differs is looked for by its hash, in
    // an index of the publication's rows built at the first such row.
    let mut by_hash: Option<Vec<(u64, u32)>> = None;
    let mut kept = vec![false; rows.len()];
    let (mut changes, mut matched, mut over, mut next) = (RowChanges::default(), 0usize, false, 0usize);
    let mut buf = Vec::new();
    let sql = format!("SELECT {}, {} FROM {table}", row_key(c), columns.join(", "));
    c.scan(&sql, &[], |row| {
        let (key, values) = (&row[0], &row[1..]);
        let found = if next < rows.len() && !kept[next] && rows.row(next, &mut buf) == values {
            Some(next)
        } else {
            let by_hash = by_hash.get_or_insert_with(|| {
                use rayon::prelude::*;
                let mut v: Vec<(u64, u32)> =
                    (0..rows.len()).into_par_iter().map_init(Vec::new, |buf, i| (row_hash(rows.row(i, buf)), i as u32)).collect();
                v.par_sort_unstable();
                v
            });
            let h = row_hash(values);
            let start = by_hash.partition_point(|&(x, _)| x < h);
            by_hash[start..]
                .iter()
                .take_while(|&&(x, _)| x == h)
                .map(|&(_, i)| i as usize)
                .find(|&i| !kept[i] && rows.row(i, &mut buf) == values)
        };
        match found {
            Some(i) => {
                kept[i] = true;
                matched += 1;
                next = i + 1;
            }
            None => changes.delete.push(key.clone()),
        }
        // Every row of the publication not matched yet may still be; the deletions so far
        // are certain.
        over = changes.delete.len() > limit;
        Ok(!over)
    })?;
    if over || changes.delete.len() + (rows.len() - matched) > limit {
        return Ok(None);
    }
    changes.insert = kept.iter().enumerate().filter(|(_, k)| !**k).map(|(i, _)| i).collect();
    Ok(Some(changes))
}

/// Makes `changes`, found by comparing some of `table`'s columns, good for every column of the
/// publication's rows at `which`: each of those not already to be inserted is compared with the
/// held row of its key (the first `keys` of `columns`, the table's primary key), and replaces
/// it when any value differs. For a table compared by its keys and a few columns (the records,
/// see `dataset::Touched`) whose other columns can have changed only in the rows at `which`.
///
/// # Errors
/// A failed read.
pub(crate) fn compare_whole(
    c: &mut Conn,
    table: &str,
    columns: &[&str],
    keys: usize,
    rows: Rows<'_>,
    which: &[usize],
    changes: &mut RowChanges,
) -> Result<(), StoreError> {
    let inserting: std::collections::HashSet<usize> = changes.insert.iter().copied().collect();
    let by_key = columns[..keys].iter().map(|k| format!("{k} = ?")).collect::<Vec<_>>().join(" AND ");
    let sql = format!("SELECT {}, {} FROM {table} WHERE {by_key}", row_key(c), columns.join(", "));
    let mut buf = Vec::new();
    let before = changes.insert.len();
    for &i in which.iter().filter(|i| !inserting.contains(i)) {
        let made = rows.row(i, &mut buf);
        match c.query_one(&sql, &made[..keys])? {
            Some(held) if held[1..] == *made => {}
            Some(held) => {
                changes.delete.push(held[0].clone());
                changes.insert.push(i);
            }
            None => changes.insert.push(i),
        }
    }
    if changes.insert.len() > before {
        changes.insert.sort_unstable();
        changes.insert.dedup();
    }
    Ok(())
}

/// SQLite's `data_version` of the main database: it changes when another connection commits
/// to it. `None` on PostgreSQL, where tables are compared under the publication's lock.
///
/// # Errors
/// A failed query.
pub(crate) fn data_version(c: &mut Conn) -> Result<Option<i64>, StoreError> {
    if c.is_postgres() {
        return Ok(None);
    }
    Ok(c.query_one("PRAGMA main.data_version", &[])?.and_then(|r| r[0].int()))
}

/// `changes` made good for the transaction `c` is in (which holds the write lock): when another
/// connection has committed since `version` was read before the comparison (a sign-in, a
/// review, or anything that could have moved rows, such as a `VACUUM`), each table to be changed
/// in place is compared again, here, so that no row key is used that may name another row.
/// Returns whether it compared again.
///
/// # Errors
/// A failed read.
pub(crate) fn still_current(
    c: &mut Conn,
    tables: &[TableRows<'_>],
    changes: &mut [Option<RowChanges>],
    version: Option<i64>,
) -> Result<bool, StoreError> {
    if data_version(c)? == version {
        return Ok(false);
    }
    for ((t, columns, rows), ch) in tables.iter().zip(changes.iter_mut()) {
        if ch.is_some() {
            *ch = row_changes(c, t, columns, *rows, usize::MAX)?;
        }
    }
    Ok(true)
}

/// Row keys deleted per statement (padded with NULL, which matches no row, so that the
/// statement is prepared once).
const KEYS_PER_DELETE: usize = 256;

/// Makes `changes` to `table`: deletes first (a changed row keeps its primary key), then
/// inserts.
///
/// # Errors
/// A failed statement.
pub(crate) fn apply(c: &mut Conn, table: &str, columns: &[&str], rows: Rows<'_>, changes: &RowChanges) -> Result<(), StoreError> {
    for chunk in changes.delete.chunks(KEYS_PER_DELETE) {
        if c.is_postgres() {
            // One array of tids: `{"(0,1)","(0,2)"}`.
            let tids: Vec<String> = chunk.iter().map(|k| format!("\"{}\"", k.text())).collect();
            c.execute(
                &format!("DELETE FROM {table} WHERE ctid = ANY(CAST(CAST(? AS TEXT) AS tid[]))"),
                &[format!("{{{}}}", tids.join(",")).into()],
            )?;
        } else {
            let mut keys = chunk.to_vec();
            keys.resize(KEYS_PER_DELETE, Value::Null);
            let marks = vec!["?"; KEYS_PER_DELETE].join(", ");
            c.execute(&format!("DELETE FROM {table} WHERE rowid IN ({marks})"), &keys)?;
        }
    }
    let mut buf = Vec::new();
    let inserted: Vec<Vec<Value>> = changes.insert.iter().map(|&i| rows.row(i, &mut buf).to_vec()).collect();
    c.bulk_insert(table, columns, &inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(c: &mut Conn, rows: &[Vec<Value>]) {
        c.batch("CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT, x DOUBLE PRECISION)").unwrap();
        c.bulk_insert("t", &["k", "n", "x"], rows).unwrap();
    }

    fn all(c: &mut Conn) -> Vec<Vec<Value>> {
        let mut rows = c.query("SELECT k, n, x FROM t", &[]).unwrap();
        rows.sort_by_key(|r| r[0].text());
        rows
    }

    fn row(k: &str, n: Option<i64>, x: f64) -> Vec<Value> {
        vec![k.into(), n.into(), x.into()]
    }

    fn sqlite() -> (tempfile::TempDir, Conn) {
        let dir = tempfile::tempdir().unwrap();
        let c = Conn::open(&conduct_store::db::Url::Sqlite(dir.path().join("t.db"))).unwrap();
        (dir, c)
    }

    /// Rows compared by their keys alone, then the rows at `which` compared whole: a row there
    /// whose other values changed replaces the held one, an unchanged one stays, and a new one
    /// is inserted once; rows elsewhere are taken as compared.
    #[test]
    fn rows_compared_by_keys_then_the_rows_named_compared_whole() {
        let (_dir, mut c) = sqlite();
        let held: Vec<_> = (0..100).map(|i| row(&format!("k{i}"), Some(i), i as f64)).collect();
        table(&mut c, &held);
        let mut now = held.clone();
        now[5][1] = Value::Int(-5);
        now[7][2] = Value::Real(-7.0);
        now.push(row("k100", None, 0.5));
        let keys: Vec<Vec<Value>> = now.iter().map(|r| r[..1].to_vec()).collect();
        let mut ch = row_changes(&mut c, "t", &["k"], Rows::Held(&keys), 50).unwrap().unwrap();
        assert!(ch.delete.is_empty());
        assert_eq!(ch.insert, [100]);
        compare_whole(&mut c, "t", &["k", "n", "x"], 1, Rows::Held(&now), &[5, 9, 100], &mut ch).unwrap();
        assert_eq!(ch.delete.len(), 1, "{ch:?}");
        assert_eq!(ch.insert, [5, 100]);
        c.batch("BEGIN").unwrap();
        apply(&mut c, "t", &["k", "n", "x"], Rows::Held(&now), &ch).unwrap();
        c.batch("COMMIT").unwrap();
        let mut expected = now.clone();
        expected[7] = held[7].clone();
        expected.sort_by_key(|r| r[0].text());
        assert_eq!(all(&mut c), expected);
    }

    #[test]
    fn the_same_rows_change_nothing_and_changed_rows_are_replaced() {
        let (_dir, mut c) = sqlite();
        let held: Vec<_> = (0..2000).map(|i| row(&format!("k{i}"), (i % 3 != 0).then_some(i), i as f64 / 7.0)).collect();
        table(&mut c, &held);
        let same = row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&held), 10).unwrap().unwrap();
        assert_eq!(same.len(), 0);
        // In another order (every held row then found by its hash), still nothing.
        let reversed: Vec<_> = held.iter().rev().cloned().collect();
        assert_eq!(row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&reversed), 10).unwrap().unwrap().len(), 0);

        let mut new = held.clone();
        new[5] = row("k5", Some(-1), 0.5); // changed, same key
        new[10][1] = Value::Null; // a value becomes NULL
        new.remove(100); // withdrawn
        new.push(row("new", None, 1.0)); // added
        let changes = row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&new), 10).unwrap().unwrap();
        assert_eq!((changes.delete.len(), changes.insert.len()), (3, 3));
        c.transaction(|c| apply(c, "t", &["k", "n", "x"], Rows::Held(&new), &changes)).unwrap();
        let mut want = new.clone();
        want.sort_by_key(|r| r[0].text());
        assert_eq!(all(&mut c), want);
    }

    /// Another connection rewrote the table between the comparison and the swap (the rows'
    /// keys now name other rows): the changes are compared again under the lock, and the table
    /// ends with the publication's rows.
    #[test]
    fn changes_are_compared_again_when_another_connection_committed_since() {
        let (dir, mut c) = sqlite();
        let held: Vec<_> = (0..100).map(|i| row(&format!("k{i}"), Some(i), 0.0)).collect();
        table(&mut c, &held);
        let mut new = held.clone();
        new[3][1] = Value::Int(-3);
        let version = data_version(&mut c).unwrap();
        let mut changes = vec![row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&new), 10).unwrap()];
        // Same rows, other keys: deleted and written again in reverse order, as a VACUUM or a
        // rebuild might leave them.
        let mut other = Conn::open(&conduct_store::db::Url::Sqlite(dir.path().join("t.db"))).unwrap();
        other
            .transaction(|o| {
                o.batch("DELETE FROM t")?;
                let reversed: Vec<_> = held.iter().rev().cloned().collect();
                o.bulk_insert("t", &["k", "n", "x"], &reversed)
            })
            .unwrap();
        let tables = [("t", &["k", "n", "x"][..], Rows::Held(&new[..]))];
        let again = c
            .transaction(|c| -> Result<bool, StoreError> {
                let again = still_current(c, &tables, &mut changes, version)?;
                apply(c, "t", &["k", "n", "x"], Rows::Held(&new), changes[0].as_ref().unwrap())?;
                Ok(again)
            })
            .unwrap();
        assert!(again);
        let mut want = new.clone();
        want.sort_by_key(|r| r[0].text());
        assert_eq!(all(&mut c), want);
        // Nothing committed meanwhile: the changes stand as compared.
        let version = data_version(&mut c).unwrap();
        assert!(!c.transaction(|c| still_current(c, &tables, &mut changes, version)).unwrap());
    }

    #[test]
    fn more_changes_than_the_limit_leave_the_table_to_be_written_whole() {
        let (_dir, mut c) = sqlite();
        let held: Vec<_> = (0..100).map(|i| row(&format!("k{i}"), Some(i), 0.0)).collect();
        table(&mut c, &held);
        let moved: Vec<_> = (0..100).map(|i| row(&format!("k{i}"), Some(i + 1), 0.0)).collect();
        assert!(row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&moved), 50).unwrap().is_none());
        assert!(row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&moved), 200).unwrap().is_some());
        // An empty table (a first publication) is not read at all.
        c.batch("DELETE FROM t").unwrap();
        assert!(row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&moved), 50).unwrap().is_none());
    }

    /// Rows made on demand (the records and incidents of a publication) change a table exactly
    /// as the same rows built and held do, and are written whole the same way, past a chunk.
    #[test]
    fn made_rows_change_and_write_as_held_rows_do() {
        let (_dir, mut c) = sqlite();
        let held: Vec<_> = (0..3000).map(|i| row(&format!("k{i}"), Some(i), 0.0)).collect();
        table(&mut c, &held);
        let mut new: Vec<_> = held.iter().rev().skip(7).cloned().collect();
        new[40][1] = Value::Null;
        new.push(row("new", Some(-1), 2.5));
        let make = |i: usize, buf: &mut Vec<Value>| buf.extend_from_slice(&new[i]);
        let made = Rows::Made { len: new.len(), make: &make };
        let by_held = row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&new), usize::MAX).unwrap().unwrap();
        let by_made = row_changes(&mut c, "t", &["k", "n", "x"], made, usize::MAX).unwrap().unwrap();
        assert_eq!((&by_made.delete, &by_made.insert), (&by_held.delete, &by_held.insert));
        assert_eq!((by_made.delete.len(), by_made.insert.len()), (8, 2));
        c.transaction(|c| apply(c, "t", &["k", "n", "x"], made, &by_made)).unwrap();
        let mut want = new.clone();
        want.sort_by_key(|r| r[0].text());
        assert_eq!(all(&mut c), want);
        // Written whole, in chunks of made rows.
        let many: Vec<_> = (0..WRITE_CHUNK * 2 + 5).map(|i| row(&format!("m{i}"), None, 1.0)).collect();
        let make = |i: usize, buf: &mut Vec<Value>| buf.extend_from_slice(&many[i]);
        c.batch("DELETE FROM t").unwrap();
        c.transaction(|c| Rows::Made { len: many.len(), make: &make }.insert_into(c, "t", &["k", "n", "x"])).unwrap();
        let mut want = many.clone();
        want.sort_by_key(|r| r[0].text());
        assert_eq!(all(&mut c), want);
    }

    #[test]
    fn duplicate_rows_are_matched_one_for_one() {
        let (_dir, mut c) = sqlite();
        c.batch("CREATE TABLE t (k TEXT, n BIGINT, x DOUBLE PRECISION)").unwrap();
        let r = row("a", Some(1), 0.0);
        c.bulk_insert("t", &["k", "n", "x"], &[r.clone(), r.clone(), r.clone()]).unwrap();
        let changes = row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&[r.clone(), r.clone()]), 10).unwrap().unwrap();
        assert_eq!((changes.delete.len(), changes.insert.len()), (1, 0));
        let changes =
            row_changes(&mut c, "t", &["k", "n", "x"], Rows::Held(&[r.clone(), r.clone(), r.clone(), r.clone()]), 10).unwrap().unwrap();
        assert_eq!((changes.delete.len(), changes.insert.len()), (0, 1));
    }

    /// Rows whose hashes collide are still told apart by their values: with every row given
    /// the same hash, equality alone decides.
    #[test]
    fn equal_hashes_never_make_rows_equal() {
        let (_dir, mut c) = sqlite();
        let held: Vec<_> = (0..50).map(|i| row(&format!("k{i}"), Some(i), 0.0)).collect();
        table(&mut c, &held);
        let mut new = held.clone();
        new[7][1] = Value::Int(700);
        new[8][2] = Value::Real(0.5);
        let changes = changes_by(&mut c, "t", &["k", "n", "x"], Rows::Held(&new), 100, |_| 0).unwrap().unwrap();
        assert_eq!((changes.delete.len(), changes.insert.len()), (2, 2));
        assert_eq!(changes.insert, vec![7, 8]);
    }
}

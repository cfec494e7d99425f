//! The population index's rows: what an update reads and writes, in SQL both dialects take.

use std::collections::BTreeSet;

use conduct_domain::Involvement;
use conduct_resolve::block::{RULES, neighbourhood_order};
use conduct_resolve::normalise::Features;
use conduct_store::db::{Conn, Value};
use conduct_store::rows::{PEOPLE, involvement_from_row};
use rayon::prelude::*;

use crate::ids::PersonNumber;
use crate::names::Totals;
use crate::{Error, ErrorKind};

/// A record's number in the index (`population_records.rec`).
pub type Rec = i64;

/// The `population` row.
#[derive(Clone, Debug)]
pub struct State {
    /// The model in force, as JSON.
    pub model: String,
    /// The engine that built the index ([`crate::engine`]).
    pub engine: String,
    /// The next person id to give.
    pub next_person: PersonNumber,
    /// Batches linked so far.
    pub batches: i64,
    /// When the population was first linked.
    pub created_at: String,
    /// The name counts' totals.
    pub totals: Totals,
}

/// The population row, if the workspace has a linked population.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when the query fails.
pub fn state(c: &mut Conn) -> Result<Option<State>, Error> {
    let row = c.query_one(
        "SELECT model, engine, next_person, batches, created_at, forename_records, forename_people, surname_records, surname_people
         FROM population WHERE id = 1",
        &[],
    )?;
    Ok(row.map(|r| State {
        model: r[0].text(),
        engine: r[1].text(),
        next_person: r[2].int().unwrap_or(1),
        batches: r[3].int().unwrap_or(0),
        created_at: r[4].text(),
        totals: Totals {
            forename_records: r[5].int().unwrap_or(0),
            forename_people: r[6].int().unwrap_or(0),
            surname_records: r[7].int().unwrap_or(0),
            surname_people: r[8].int().unwrap_or(0),
        },
    }))
}

/// Writes the population row (replacing it).
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a statement fails.
pub fn put_state(c: &mut Conn, s: &State) -> Result<(), Error> {
    c.execute("DELETE FROM population WHERE id = 1", &[])?;
    c.execute(
        "INSERT INTO population (id, model, engine, next_person, batches, created_at, updated_at,
             forename_records, forename_people, surname_records, surname_people)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &[
            s.model.clone().into(),
            s.engine.clone().into(),
            Value::Int(s.next_person),
            Value::Int(s.batches),
            s.created_at.clone().into(),
            conduct_store::now().into(),
            Value::Int(s.totals.forename_records),
            Value::Int(s.totals.forename_people),
            Value::Int(s.totals.surname_records),
            Value::Int(s.totals.surname_people),
        ],
    )?;
    Ok(())
}

/// A rule's key as stored: the rule number in the top five bits, 59 bits of the key below.
pub fn stored_key(rule: usize, key: u64) -> i64 {
    (((rule as u64) << 59) | (key & ((1 << 59) - 1))) as i64
}

/// A record's keys as stored, one per rule that gives it one: `(key, neighbourhood order)`.
pub fn keys_of(f: &Features) -> Vec<(i64, i64)> {
    if !f.identifying {
        return Vec::new();
    }
    let nb = neighbourhood_order(f) as i64;
    RULES
        .iter()
        .enumerate()
        .filter_map(|(r, rule)| {
            let k = (rule.key)(f);
            (k != 0).then(|| (stored_key(r, k), nb))
        })
        .collect()
}

/// The two key tables: the large one, and the recent keys not yet merged into it.
const KEY_TABLES: [&str; 2] = ["population_keys", "population_keys_recent"];

/// Adds records' keys to the recent keys ([`merge_keys`] moves them into the large table).
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when an insert fails.
pub fn insert_recent_keys(c: &mut Conn, recs: &[(Rec, &Features)]) -> Result<(), Error> {
    insert_keys_into(c, KEY_TABLES[1], recs)
}

/// Moves the recent keys into the large table, in key order, when they have grown past an
/// eighth of it. The large table is not counted (a scan of every key, 0.1 s at a million
/// records): its size is estimated as `records` times the keys per record of `keyed` (the
/// batch just added), less the recent keys. Returns whether it merged.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when the count, the copy or the delete fails.
pub fn merge_keys(c: &mut Conn, records: i64, keyed: &[(Rec, &Features)]) -> Result<bool, Error> {
    let recent = c.query_one("SELECT count(*) FROM population_keys_recent", &[])?.and_then(|r| r[0].int()).unwrap_or(0);
    if recent == 0 || keyed.is_empty() {
        return Ok(false);
    }
    let per_record = keyed.iter().map(|(_, f)| keys_of(f).len()).sum::<usize>() as f64 / keyed.len() as f64;
    let large = (records as f64 * per_record) as i64 - recent;
    if recent * 8 < large {
        return Ok(false);
    }
    c.execute("INSERT INTO population_keys (k, nb, rec) SELECT k, nb, rec FROM population_keys_recent ORDER BY k, nb, rec", &[])?;
    c.execute("DELETE FROM population_keys_recent", &[])?;
    Ok(true)
}

/// Adds records' keys to the large table (a whole population at once).
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when an insert fails.
pub fn insert_keys(c: &mut Conn, recs: &[(Rec, &Features)]) -> Result<(), Error> {
    insert_keys_into(c, KEY_TABLES[0], recs)
}

fn insert_keys_into(c: &mut Conn, table: &str, recs: &[(Rec, &Features)]) -> Result<(), Error> {
    // In key order: each row then lands beside the last in the B-tree, instead of on a random
    // page of it (fewer pages written, and fewer still to commit).
    let mut keys: Vec<(i64, i64, Rec)> =
        recs.iter().flat_map(|&(rec, f)| keys_of(f).into_iter().map(move |(k, nb)| (k, nb, rec))).collect();
    keys.sort_unstable();
    for chunk in keys.chunks(1 << 16) {
        let rows: Vec<Vec<Value>> = chunk.iter().map(|&(k, nb, rec)| vec![Value::Int(k), Value::Int(nb), Value::Int(rec)]).collect();
        c.bulk_insert(table, &["k", "nb", "rec"], &rows)?;
    }
    Ok(())
}

/// Removes a record's keys (computed from the features it was indexed with: its stored row,
/// normalised again). Each key is in one of the two key tables; a key in neither means the
/// index was not built from this row as this build normalises it (the row or the index was
/// changed outside Conduct), and the keys it was built with would stay behind, finding the
/// record by what it no longer says.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a delete fails;
/// [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt) when a key is in neither table.
pub fn delete_keys(c: &mut Conn, rec: Rec, f: &Features) -> Result<(), Error> {
    for (k, nb) in keys_of(f) {
        let mut deleted = 0;
        for t in KEY_TABLES {
            deleted += c.execute(
                &format!("DELETE FROM {t} WHERE k = ? AND nb = ? AND rec = ?"),
                &[Value::Int(k), Value::Int(nb), Value::Int(rec)],
            )?;
        }
        if deleted == 0 {
            return Err(Error::new(ErrorKind::Corrupt(format!(
                "record {rec}'s blocking keys are not those its stored row gives; rebuild the index with conduct link --retrain, then add the batch"
            ))));
        }
    }
    Ok(())
}

/// The records each new record is compared with, for many records at once, in a few statements
/// instead of one per key: for each key, every holder of it when there are at most `cap`, else the
/// nearest `window` on each side in neighbourhood order (as a full link splits an oversized
/// block). `keys`
/// are `(record, key, neighbourhood order)`; the result has one set per record `0..n`.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a query (or the temporary table of keys)
/// fails.
pub fn candidates_all(c: &mut Conn, keys: &[(usize, i64, i64)], n: usize, cap: usize, window: usize) -> Result<Vec<BTreeSet<Rec>>, Error> {
    if let Conn::Sqlite(db) = c {
        return candidates_sqlite(db, keys, n, cap, window).map_err(sqlite_error);
    }
    candidates_sql(c, keys, n, cap, window)
}

/// Connections that read the workspace at `path` as it was last committed, for an update's
/// reads beside its own connection: up to `n`, fewer when one cannot be opened (the update then
/// reads on its own connection, to the same result). The update's connection holds the write
/// lock from its first statement, so nothing commits while they read, and they see the
/// population as the update found it: the caller uses them only for reads of tables the update
/// has not yet written.
pub fn readers(path: &std::path::Path, n: usize) -> Vec<rusqlite::Connection> {
    (0..n).map_while(|_| open_reader(path).ok()).collect()
}

/// A connection that only reads the workspace at `path`.
///
/// # Errors
///
/// The [`rusqlite::Error`] when the file cannot be opened read-only, set up, or read (no
/// `population_records` table, say).
pub fn open_reader(path: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let c = rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    c.busy_timeout(std::time::Duration::from_secs(30))?;
    c.pragma_update(None, "mmap_size", conduct_store::MMAP_BYTES)?;
    // One read transaction for all its reads: one snapshot, and no locking of the write-ahead
    // log's index for each statement (which made a reader slower than no reader). Its first
    // read takes the snapshot now, and says now if the file cannot be read.
    c.execute_batch("BEGIN")?;
    c.query_row("SELECT count(*) FROM (SELECT 1 FROM population_records LIMIT 1)", [], |_| Ok(()))?;
    Ok(c)
}

/// `items` cut into `parts` runs of about equal length, each cut moved forward past items
/// with the same `key` (so that a key's items are in one run); some runs may be empty.
fn runs<T, K: PartialOrd>(items: &[T], parts: usize, key: impl Fn(&T) -> K) -> Vec<&[T]> {
    debug_assert!(items.windows(2).all(|w| key(&w[0]) <= key(&w[1])), "runs of items sorted by key");
    let mut cuts = vec![0];
    for p in 1..parts.max(1) {
        let mut at = (items.len() * p / parts).max(*cuts.last().unwrap_or(&0));
        while at > 0 && at < items.len() && key(&items[at]) == key(&items[at - 1]) {
            at += 1;
        }
        cuts.push(at);
    }
    cuts.push(items.len());
    cuts.windows(2).map(|w| &items[w[0]..w[1]]).collect()
}

/// `work` on each run of `items`: the first run on `own`, the others each on a reader, at once.
fn on_readers<'a, T: Sync, R: Send>(
    own: &rusqlite::Connection,
    readers: &mut [rusqlite::Connection],
    parts: Vec<&'a [T]>,
    work: impl Fn(&rusqlite::Connection, &'a [T]) -> rusqlite::Result<R> + Sync,
) -> rusqlite::Result<Vec<R>> {
    let work = &work;
    std::thread::scope(|scope| {
        let mut parts = parts.into_iter();
        let first = parts.next().unwrap_or(&[]);
        let others: Vec<_> = readers.iter_mut().zip(parts).map(|(r, part)| scope.spawn(move || work(r, part))).collect();
        let mut out = vec![work(own, first)?];
        for h in others {
            out.push(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
        }
        Ok(out)
    })
}

/// `work` on the record numbers `recs` (sorted, without repeats), cut into runs of about equal
/// length: the first run on `own`, the others each on a reader, at once.
fn on_record_runs<R: Send>(
    own: &rusqlite::Connection,
    readers: &mut [rusqlite::Connection],
    recs: &[Rec],
    work: impl Fn(&rusqlite::Connection, &[Rec]) -> rusqlite::Result<R> + Sync,
) -> rusqlite::Result<Vec<R>> {
    let mut sorted = recs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let parts = runs(&sorted, readers.len() + 1, |&r| r);
    on_readers(own, readers, parts, work)
}

/// [`candidates_all`], the keys shared between the update's connection and `readers` (by key,
/// so that each block is read whole by one of them). On PostgreSQL, or without readers, as
/// [`candidates_all`].
///
/// # Errors
///
/// The database's.
pub fn candidates_on(
    c: &mut Conn,
    readers: &mut [rusqlite::Connection],
    keys: &[(usize, i64, i64)],
    n: usize,
    cap: usize,
    window: usize,
) -> Result<Vec<BTreeSet<Rec>>, Error> {
    let Conn::Sqlite(db) = c else { return candidates_all(c, keys, n, cap, window) };
    if readers.is_empty() {
        return candidates_all(c, keys, n, cap, window);
    }
    let mut sorted = keys.to_vec();
    sorted.sort_unstable_by_key(|&(_, k, _)| k);
    let parts = runs(&sorted, readers.len() + 1, |&(_, k, _)| k);
    let found = on_readers(db, readers, parts, |db, part| candidates_sqlite(db, part, n, cap, window)).map_err(sqlite_error)?;
    let mut out = vec![BTreeSet::new(); n];
    for sets in found {
        for (all, set) in out.iter_mut().zip(sets) {
            all.extend(set);
        }
    }
    Ok(out)
}

/// [`features_of`], the records shared between the update's connection and `readers` (see
/// [`candidates_on`]).
///
/// # Errors
///
/// The database's.
pub fn features_on(
    c: &mut Conn,
    readers: &mut [rusqlite::Connection],
    recs: &[Rec],
) -> Result<Vec<(Rec, PersonNumber, Option<String>)>, Error> {
    let Conn::Sqlite(db) = c else { return features_of(c, recs) };
    if readers.is_empty() {
        return features_of(c, recs);
    }
    Ok(on_record_runs(db, readers, recs, features_sqlite).map_err(sqlite_error)?.into_iter().flatten().collect())
}

/// [`features_of`] on SQLite: record by record through one prepared statement, in the order
/// given (sorted, without repeats).
fn features_sqlite(db: &rusqlite::Connection, sorted: &[Rec]) -> rusqlite::Result<Vec<(Rec, PersonNumber, Option<String>)>> {
    let mut st = db.prepare_cached(
        "SELECT r.person, f.f FROM population_records r LEFT JOIN population_features f ON f.rec = r.rec WHERE r.rec = ?1",
    )?;
    let mut out = Vec::with_capacity(sorted.len());
    for &rec in sorted {
        let mut rows = st.query([rec])?;
        if let Some(r) = rows.next()? {
            let text = match r.get_ref(1)? {
                rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t).ok().map(str::to_owned),
                _ => None,
            };
            out.push((rec, r.get::<_, i64>(0)?, text));
        }
    }
    Ok(out)
}

/// [`candidates_all`] in SQL both dialects take, through temporary tables.
fn candidates_sql(c: &mut Conn, keys: &[(usize, i64, i64)], n: usize, cap: usize, window: usize) -> Result<Vec<BTreeSet<Rec>>, Error> {
    let mut out = vec![BTreeSet::new(); n];
    c.batch(&dialect(
        c,
        "CREATE TEMP TABLE IF NOT EXISTS update_keys (i INTEGER NOT NULL, k INTEGER NOT NULL, nb INTEGER NOT NULL);
         CREATE TEMP TABLE IF NOT EXISTS update_big (k INTEGER PRIMARY KEY);
         DELETE FROM update_keys; DELETE FROM update_big;",
    ))?;
    for chunk in keys.chunks(1 << 16) {
        let rows: Vec<Vec<Value>> = chunk.iter().map(|&(i, k, nb)| vec![Value::Int(i as i64), Value::Int(k), Value::Int(nb)]).collect();
        c.bulk_insert("update_keys", &["i", "k", "nb"], &rows)?;
    }
    // Blocks over the cap (in both key tables together): counted no further than the cap.
    let limit = Value::Int(cap as i64 + 1);
    c.execute(
        "INSERT INTO update_big (k)
         SELECT d.k FROM (SELECT DISTINCT k FROM update_keys) d
         WHERE (SELECT count(*) FROM (SELECT 1 FROM population_keys p WHERE p.k = d.k LIMIT ?) x)
             + (SELECT count(*) FROM (SELECT 1 FROM population_keys_recent p WHERE p.k = d.k LIMIT ?) y) > ?",
        &[limit.clone(), limit, Value::Int(cap as i64)],
    )?;
    for t in KEY_TABLES {
        for r in c.query(
            &format!(
                "SELECT b.i, p.rec FROM update_keys b JOIN {t} p ON p.k = b.k
                 WHERE NOT EXISTS (SELECT 1 FROM update_big g WHERE g.k = b.k)"
            ),
            &[],
        )? {
            if let (Some(i), Some(rec)) = (r[0].int(), r[1].int())
                && let Some(set) = out.get_mut(i as usize)
            {
                set.insert(rec);
            }
        }
    }
    let big: Vec<(i64, i64, i64)> = c
        .query("SELECT b.i, b.k, b.nb FROM update_keys b JOIN update_big g ON g.k = b.k", &[])?
        .iter()
        .filter_map(|r| Some((r[0].int()?, r[1].int()?, r[2].int()?)))
        .collect();
    for (i, k, nb) in big {
        if let Some(set) = out.get_mut(i as usize) {
            window_of(c, k, nb, window, set)?;
        }
    }
    Ok(out)
}

/// [`candidates_all`] on SQLite, key by key through prepared statements (no temporary tables):
/// each distinct key's holders are read once per key table, at most `cap + 1` of them, which
/// both says whether the block is over the cap and, when it is not, is the block. For a block
/// over the cap, a table whose holders were all read gives its windows from them; only the
/// others are asked for the windows around each probe.
fn candidates_sqlite(
    db: &rusqlite::Connection,
    keys: &[(usize, i64, i64)],
    n: usize,
    cap: usize,
    window: usize,
) -> rusqlite::Result<Vec<BTreeSet<Rec>>> {
    let mut out = vec![BTreeSet::new(); n];
    let mut sorted: Vec<(i64, i64, usize)> = keys.iter().map(|&(i, k, nb)| (k, nb, i)).collect();
    sorted.sort_unstable();
    let prepare = |sql: &str| -> rusqlite::Result<[rusqlite::CachedStatement<'_>; 2]> {
        Ok([db.prepare_cached(&sql.replace("{t}", KEY_TABLES[0]))?, db.prepare_cached(&sql.replace("{t}", KEY_TABLES[1]))?])
    };
    let mut block = prepare("SELECT nb, rec FROM {t} WHERE k = ?1 ORDER BY nb, rec LIMIT ?2")?;
    let mut above = prepare("SELECT nb, rec FROM {t} WHERE k = ?1 AND nb >= ?2 ORDER BY nb, rec LIMIT ?3")?;
    let mut below = prepare("SELECT nb, rec FROM {t} WHERE k = ?1 AND nb < ?2 ORDER BY nb DESC, rec DESC LIMIT ?3")?;
    let pair = |r: &rusqlite::Row<'_>| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?));
    let limit = cap as i64 + 1;
    let w = window as i64;
    let mut holders: [Vec<(i64, Rec)>; 2] = [Vec::new(), Vec::new()];
    let mut up: Vec<(i64, Rec)> = Vec::new();
    let mut down: Vec<(i64, Rec)> = Vec::new();
    for group in sorted.chunk_by(|a, b| a.0 == b.0) {
        let k = group[0].0;
        for t in 0..2 {
            holders[t].clear();
            for h in block[t].query_map((k, limit), pair)? {
                holders[t].push(h?);
            }
        }
        if holders[0].len() + holders[1].len() <= cap {
            for &(_, _, i) in group {
                if let Some(set) = out.get_mut(i) {
                    set.extend(holders.iter().flatten().map(|h| h.1));
                }
            }
            continue;
        }
        for &(_, nb, i) in group {
            up.clear();
            down.clear();
            for t in 0..2 {
                if holders[t].len() <= cap {
                    // Every holder in this table was read (in (nb, rec) order).
                    up.extend(holders[t].iter().filter(|h| h.0 >= nb).take(window));
                    down.extend(holders[t].iter().rev().filter(|h| h.0 < nb).take(window));
                } else {
                    for h in above[t].query_map((k, nb, w), pair)? {
                        up.push(h?);
                    }
                    for h in below[t].query_map((k, nb, w), pair)? {
                        down.push(h?);
                    }
                }
            }
            up.sort_unstable();
            down.sort_unstable_by(|a, b| b.cmp(a));
            if let Some(set) = out.get_mut(i) {
                set.extend(up.iter().take(window).chain(down.iter().take(window)).map(|x| x.1));
            }
        }
    }
    Ok(out)
}

fn sqlite_error(e: rusqlite::Error) -> Error {
    Error::from(conduct_store::Error::from(e))
}

/// The `window` nearest holders of key `k` on each side of `nb`, over both key tables.
fn window_of(c: &mut Conn, k: i64, nb: i64, window: usize, out: &mut BTreeSet<Rec>) -> Result<(), Error> {
    let w = Value::Int(window as i64);
    // (neighbourhood order, record) on each side.
    let mut above: Vec<(i64, i64)> = Vec::new();
    let mut below: Vec<(i64, i64)> = Vec::new();
    for t in KEY_TABLES {
        let mut get = |sql: String, into: &mut Vec<(i64, i64)>| -> Result<(), Error> {
            into.extend(
                c.query(&sql, &[Value::Int(k), Value::Int(nb), w.clone()])?.iter().filter_map(|r| Some((r[0].int()?, r[1].int()?))),
            );
            Ok(())
        };
        get(format!("SELECT nb, rec FROM {t} WHERE k = ? AND nb >= ? ORDER BY nb, rec LIMIT ?"), &mut above)?;
        get(format!("SELECT nb, rec FROM {t} WHERE k = ? AND nb < ? ORDER BY nb DESC, rec DESC LIMIT ?"), &mut below)?;
    }
    above.sort_unstable();
    below.sort_unstable_by(|a, b| b.cmp(a));
    out.extend(above.iter().take(window).chain(below.iter().take(window)).map(|x| x.1));
    Ok(())
}

/// A stored record: its number, person and row.
#[derive(Clone, Debug)]
pub struct Stored {
    /// Its number in the index.
    pub rec: Rec,
    /// Its person.
    pub person: PersonNumber,
    /// The people row.
    pub row: Involvement,
}

/// The columns of a stored record's query: rec, person, then the people row.
fn select() -> String {
    let cols: Vec<String> = PEOPLE.names.iter().map(|n| format!("p.{n}")).collect();
    format!(
        "SELECT r.rec, r.person, {} FROM population_records r JOIN people p ON p.force_id = r.force_id AND p.record_id = r.record_id",
        cols.join(", ")
    )
}

fn stored(rows: Vec<Vec<Value>>) -> Result<Vec<Stored>, Error> {
    rows.into_iter()
        .map(|r| {
            Ok(Stored {
                rec: r[0].int().ok_or_else(|| Error::new(crate::ErrorKind::Corrupt("a record without a number".into())))?,
                person: r[1].int().ok_or_else(|| Error::new(crate::ErrorKind::Corrupt("a record without a person".into())))?,
                row: involvement_from_row(&r[2..])?,
            })
        })
        .collect()
}

/// DDL of a temporary table in the connection's dialect: keys and hashes are 64-bit, which
/// PostgreSQL's `INTEGER` is not (SQLite's `INTEGER PRIMARY KEY` stays the row id).
pub(crate) fn dialect(c: &Conn, ddl: &str) -> String {
    if c.is_postgres() { ddl.replace("INTEGER", "BIGINT") } else { ddl.to_string() }
}

/// Fills the temporary table `name` (made if missing, emptied first) with `rows`.
fn temp(c: &mut Conn, name: &str, ddl: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<(), Error> {
    c.batch(&dialect(c, &format!("CREATE TEMP TABLE IF NOT EXISTS {name} ({ddl}); DELETE FROM {name};")))?;
    for chunk in rows.chunks(1 << 16) {
        c.bulk_insert(name, columns, chunk)?;
    }
    Ok(())
}

/// The stored records with these keys, in one statement: `(index into keys, record)`.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a statement fails or a people row cannot be
/// read back, [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt) when a record has no number or
/// person.
pub fn by_keys(c: &mut Conn, keys: &[(u8, &str)]) -> Result<Vec<(usize, Stored)>, Error> {
    let rows = keys.iter().enumerate().map(|(i, &(f, id))| vec![Value::Int(i as i64), Value::Int(i64::from(f)), id.into()]).collect();
    temp(c, "update_ids", "i INTEGER NOT NULL, force_id INTEGER NOT NULL, record_id TEXT NOT NULL", &["i", "force_id", "record_id"], rows)?;
    let cols: Vec<String> = PEOPLE.names.iter().map(|n| format!("p.{n}")).collect();
    let found = c.query(
        &format!(
            "SELECT u.i, r.rec, r.person, {} FROM update_ids u
             JOIN population_records r ON r.force_id = u.force_id AND r.record_id = u.record_id
             JOIN people p ON p.force_id = r.force_id AND p.record_id = r.record_id",
            cols.join(", ")
        ),
        &[],
    )?;
    let mut out = Vec::with_capacity(found.len());
    for mut r in found {
        let i = r.remove(0).int().unwrap_or(-1);
        if let (Ok(i), Some(s)) = (usize::try_from(i), stored(vec![r])?.pop()) {
            out.push((i, s));
        }
    }
    Ok(out)
}

/// The stored records with these numbers, in one statement, in record order.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a statement fails or a people row cannot be
/// read back, [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt) when a record has no number or
/// person.
pub fn by_recs(c: &mut Conn, recs: &[Rec]) -> Result<Vec<Stored>, Error> {
    if let Conn::Sqlite(db) = c {
        return by_recs_sqlite(db, recs);
    }
    by_recs_sql(c, recs)
}

/// [`by_recs`], the records shared between the update's connection and `readers` (see
/// [`candidates_on`]). On PostgreSQL, or without readers, as [`by_recs`].
///
/// # Errors
///
/// As [`by_recs`].
pub fn by_recs_on(c: &mut Conn, readers: &mut [rusqlite::Connection], recs: &[Rec]) -> Result<Vec<Stored>, Error> {
    let Conn::Sqlite(db) = c else { return by_recs(c, recs) };
    if readers.is_empty() {
        return by_recs(c, recs);
    }
    let mut out = Vec::with_capacity(recs.len());
    for part in on_record_runs(db, readers, recs, |db, part| Ok(by_recs_sqlite(db, part))).map_err(sqlite_error)? {
        out.extend(part?);
    }
    Ok(out)
}

/// [`by_recs`] in SQL both dialects take, through a temporary table.
fn by_recs_sql(c: &mut Conn, recs: &[Rec]) -> Result<Vec<Stored>, Error> {
    temp(c, "update_recs", "rec INTEGER PRIMARY KEY", &["rec"], recs.iter().map(|&r| vec![Value::Int(r)]).collect())?;
    // `IN` rather than a join: SQLite then looks the records up by number instead of scanning.
    stored(c.query(&format!("{} WHERE r.rec IN (SELECT rec FROM update_recs) ORDER BY r.rec", select()), &[])?)
}

/// [`by_recs`] on SQLite: record by record through one prepared statement, each row made a
/// record as it is read (no temporary table, and no page of rows held as values).
fn by_recs_sqlite(db: &rusqlite::Connection, recs: &[Rec]) -> Result<Vec<Stored>, Error> {
    let mut sorted = recs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let sql = format!("{} WHERE r.rec = ?1", select());
    let mut st = db.prepare_cached(&sql).map_err(sqlite_error)?;
    let n = st.column_count();
    let mut out = Vec::with_capacity(sorted.len());
    let mut row: Vec<Value> = Vec::with_capacity(n);
    let mut push = |r: &rusqlite::Row<'_>| -> Result<(), Error> {
        row.clear();
        for i in 0..n {
            row.push(Value::from_sqlite(r.get_ref(i).map_err(sqlite_error)?));
        }
        out.push(Stored {
            rec: row[0].int().ok_or_else(|| Error::new(crate::ErrorKind::Corrupt("a record without a number".into())))?,
            person: row[1].int().ok_or_else(|| Error::new(crate::ErrorKind::Corrupt("a record without a person".into())))?,
            row: involvement_from_row(&row[2..])?,
        });
        Ok(())
    };
    for rec in sorted {
        let mut rows = st.query([rec]).map_err(sqlite_error)?;
        if let Some(r) = rows.next().map_err(sqlite_error)? {
            push(r)?;
        }
    }
    Ok(out)
}

/// The stored features of these records, with their persons, in record order: `(record,
/// person, stored text)`, the text `None` where the index holds none (a record indexed before
/// schema step 9). Records the index does not hold are left out.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a statement fails.
pub fn features_of(c: &mut Conn, recs: &[Rec]) -> Result<Vec<(Rec, PersonNumber, Option<String>)>, Error> {
    let mut sorted = recs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if let Conn::Sqlite(db) = c {
        return features_sqlite(db, &sorted).map_err(sqlite_error);
    }
    temp(c, "update_recs", "rec INTEGER PRIMARY KEY", &["rec"], sorted.iter().map(|&r| vec![Value::Int(r)]).collect())?;
    Ok(c.query(
        "SELECT r.rec, r.person, f.f FROM population_records r LEFT JOIN population_features f ON f.rec = r.rec
         WHERE r.rec IN (SELECT rec FROM update_recs) ORDER BY r.rec",
        &[],
    )?
    .into_iter()
    .filter_map(|r| {
        let text = match &r[2] {
            Value::Text(t) => Some(t.to_string()),
            _ => None,
        };
        Some((r[0].int()?, r[1].int()?, text))
    })
    .collect())
}

/// Stores records' features (in record order), replacing any stored before when `replace`.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a delete or an insert fails.
pub fn put_features(c: &mut Conn, recs: &[(Rec, &Features)], replace: bool) -> Result<(), Error> {
    let mut rows: Vec<(Rec, String)> = recs.par_iter().map(|&(rec, f)| (rec, crate::features::encode(f))).collect();
    rows.sort_unstable_by_key(|r| r.0);
    if replace {
        for (rec, _) in &rows {
            c.execute("DELETE FROM population_features WHERE rec = ?", &[Value::Int(*rec)])?;
        }
    }
    for chunk in rows.chunks(1 << 16) {
        let values: Vec<Vec<Value>> = chunk.iter().map(|(rec, f)| vec![Value::Int(*rec), f.as_str().into()]).collect();
        c.bulk_insert("population_features", &["rec", "f"], &values)?;
    }
    Ok(())
}

/// The numbers of the records of these persons, in one statement.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a statement fails.
pub fn recs_of_persons(c: &mut Conn, persons: &[PersonNumber]) -> Result<Vec<Rec>, Error> {
    temp(c, "update_persons", "person INTEGER PRIMARY KEY", &["person"], persons.iter().map(|&p| vec![Value::Int(p)]).collect())?;
    Ok(c.query("SELECT rec FROM population_records WHERE person IN (SELECT person FROM update_persons)", &[])?
        .iter()
        .filter_map(|r| r[0].int())
        .collect())
}

/// The stored records of these reports (force and incident reference), in one statement, but
/// those `skip` says are already at hand (by force and record id: their rows are not read).
///
/// # Errors
///
/// As [`by_keys`].
pub fn of_reports(c: &mut Conn, reports: &[(u8, &str)], skip: impl Fn(u8, &str) -> bool) -> Result<Vec<Stored>, Error> {
    let rows = reports.iter().map(|&(f, r)| vec![Value::Int(i64::from(f)), r.into()]).collect();
    temp(c, "update_reports", "force_id INTEGER NOT NULL, incident_ref TEXT NOT NULL", &["force_id", "incident_ref"], rows)?;
    // Two steps, each by an index: the reports' people rows (by incident), then their records.
    let keys: Vec<(u8, String)> = c
        .query("SELECT p.force_id, p.record_id FROM update_reports u JOIN people p ON p.force_id = u.force_id AND p.incident_ref = u.incident_ref", &[])?
        .iter()
        .filter_map(|r| Some((u8::try_from(r[0].int()?).ok()?, r[1].text())))
        .filter(|(f, id)| !skip(*f, id))
        .collect();
    let keys: Vec<(u8, &str)> = keys.iter().map(|(f, id)| (*f, id.as_str())).collect();
    Ok(by_keys(c, &keys)?.into_iter().map(|(_, s)| s).collect())
}

/// The next record number.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when the query fails.
pub fn next_rec(c: &mut Conn) -> Result<Rec, Error> {
    Ok(c.query_one("SELECT coalesce(max(rec), 0) + 1 FROM population_records", &[])?.and_then(|r| r[0].int()).unwrap_or(1))
}

/// Adds records: `(rec, force, record_id, person)`.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when an insert fails.
pub fn insert_records(c: &mut Conn, recs: &[(Rec, u8, &str, PersonNumber)], batch: i64) -> Result<(), Error> {
    for chunk in recs.chunks(1 << 16) {
        let rows: Vec<Vec<Value>> = chunk
            .iter()
            .map(|&(rec, force, id, person)| {
                vec![Value::Int(rec), Value::Int(i64::from(force)), id.into(), Value::Int(person), Value::Int(batch)]
            })
            .collect();
        c.bulk_insert("population_records", &["rec", "force_id", "record_id", "person", "batch"], &rows)?;
    }
    Ok(())
}

/// Takes a withdrawn record out of the population and out of the store's people rows.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a delete fails.
pub fn delete_record(c: &mut Conn, rec: Rec, force: u8, record_id: &str) -> Result<(), Error> {
    c.execute("DELETE FROM population_records WHERE rec = ?", &[Value::Int(rec)])?;
    c.execute("DELETE FROM population_features WHERE rec = ?", &[Value::Int(rec)])?;
    c.execute("DELETE FROM people WHERE force_id = ? AND record_id = ?", &[Value::Int(i64::from(force)), record_id.into()])?;
    Ok(())
}

/// Moves records to another person.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when the update fails.
pub fn set_person(c: &mut Conn, rec: Rec, person: PersonNumber) -> Result<(), Error> {
    c.execute("UPDATE population_records SET person = ? WHERE rec = ?", &[Value::Int(person), Value::Int(rec)])?;
    Ok(())
}

/// Records that `from` now redirects to `to`, and points earlier redirects to `from` at `to`.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a statement fails.
pub fn redirect(c: &mut Conn, from: PersonNumber, to: PersonNumber, batch: i64) -> Result<(), Error> {
    c.execute("UPDATE person_redirects SET to_person = ? WHERE to_person = ?", &[Value::Int(to), Value::Int(from)])?;
    c.execute("DELETE FROM person_redirects WHERE from_person = ?", &[Value::Int(from)])?;
    c.execute(
        "INSERT INTO person_redirects (from_person, to_person, batch) VALUES (?, ?, ?)",
        &[Value::Int(from), Value::Int(to), Value::Int(batch)],
    )?;
    Ok(())
}

/// Records an event.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when the insert fails.
#[allow(clippy::too_many_arguments)]
pub fn event(
    c: &mut Conn,
    batch: i64,
    kind: conduct_domain::ids::Change,
    person: PersonNumber,
    other: PersonNumber,
    records: &[String],
    reason: &str,
) -> Result<(), Error> {
    let records = serde_json::to_string(records).unwrap_or_else(|_| "[]".into());
    c.execute(
        "INSERT INTO person_events (id, at, batch, kind, person, other, records, reason)
         SELECT coalesce(max(id), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM person_events",
        &[
            conduct_store::now().into(),
            Value::Int(batch),
            kind.as_str().into(),
            Value::Int(person),
            Value::Int(other),
            records.into(),
            reason.into(),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(c: &mut Conn, table: &str, rows: &[(i64, i64, i64)]) {
        let rows: Vec<Vec<Value>> = rows.iter().map(|&(k, nb, rec)| vec![Value::Int(k), Value::Int(nb), Value::Int(rec)]).collect();
        c.bulk_insert(table, &["k", "nb", "rec"], &rows).unwrap();
    }

    /// Candidates as a full link's blocking gives them: a small block whole, an oversized one
    /// (counted over both key tables) by the nearest `window` on each side in neighbourhood
    /// order, wherever the holders' keys are kept.
    #[test]
    fn candidates_are_the_block_or_its_window_over_both_key_tables() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = conduct_store::Store::open_workspace(dir.path()).unwrap();
        let c = store.conn();
        // Key 7: a small block of 3, two of them recent. Key 9: 12 holders at nb 10, 20, … 120,
        // half of them recent. Key 5: 3 in the large table and 2 recent, over the cap of 4 only
        // when both tables are counted.
        put(c, "population_keys", &[(7, 1, 100), (9, 10, 1), (9, 30, 3), (9, 50, 5), (9, 70, 7), (9, 90, 9), (9, 110, 11)]);
        put(c, "population_keys", &[(5, 1, 51), (5, 2, 52), (5, 3, 53)]);
        put(c, "population_keys_recent", &[(7, 2, 101), (7, 3, 102)]);
        put(c, "population_keys_recent", &[(9, 20, 2), (9, 40, 4), (9, 60, 6), (9, 80, 8), (9, 100, 10), (9, 120, 12)]);
        put(c, "population_keys_recent", &[(5, 40, 54), (5, 50, 55)]);
        let keys = [(0, 7, 0), (1, 9, 65), (2, 5, 4), (3, 404, 1), (4, 9, 15), (5, 5, 45)];
        // SQLite's own path and the SQL both dialects take give the same.
        for path in [candidates_all, candidates_sql] {
            let got = path(c, &keys, 6, 4, 2).unwrap();
            assert_eq!(got[0], BTreeSet::from([100, 101, 102]), "a small block, whole");
            assert_eq!(got[1], BTreeSet::from([5, 6, 7, 8]), "two on each side of nb 65");
            assert_eq!(got[2], BTreeSet::from([52, 53, 54, 55]), "oversized over both tables: a window");
            assert!(got[3].is_empty(), "an unknown key has no candidates");
            assert_eq!(got[4], BTreeSet::from([1, 2, 3]), "one below nb 15, two above");
            assert_eq!(got[5], BTreeSet::from([53, 54, 55]), "two below nb 45 over both tables, one above");
            // A probe past the end takes what there is on its side.
            let got = path(c, &[(0, 9, 1000)], 1, 4, 2).unwrap();
            assert_eq!(got[0], BTreeSet::from([11, 12]));
        }
    }

    /// Runs cover the items in their order, and each key's items fall in one run.
    #[test]
    fn runs_cover_the_items_and_keep_each_key_in_one_run() {
        use proptest::prelude::*;
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config { cases: 256, ..Default::default() });
        runner
            .run(&(proptest::collection::vec(0i64..6, 0..40), 1usize..6), |(mut keys, parts)| {
                keys.sort_unstable();
                let r = runs(&keys, parts, |&k| k);
                prop_assert_eq!(r.len(), parts);
                prop_assert_eq!(r.concat(), keys.clone());
                for (i, a) in r.iter().enumerate() {
                    for b in &r[i + 1..] {
                        prop_assert!(a.iter().all(|k| !b.contains(k)), "{:?}", r);
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    /// The two paths agree on random blocks around the cap, with probes anywhere, and so does
    /// SQLite's path shared with reader connections.
    #[test]
    fn sqlite_candidates_agree_with_the_sql_ones() {
        use proptest::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let mut store = conduct_store::Store::open_workspace(dir.path()).unwrap();
        let db_path = store.path().to_path_buf();
        let c = std::cell::RefCell::new(store.conn());
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config { cases: 64, ..Default::default() });
        let holders = proptest::collection::vec((0i64..4, 0i64..40, 0i64..1000, any::<bool>()), 0..80);
        let probes = proptest::collection::vec((0i64..5, 0i64..45), 1..12);
        runner
            .run(&(holders, probes), |(holders, probes)| {
                let mut c = c.borrow_mut();
                let c: &mut Conn = &mut c;
                c.execute("DELETE FROM population_keys", &[]).unwrap();
                c.execute("DELETE FROM population_keys_recent", &[]).unwrap();
                let mut seen = std::collections::HashSet::new();
                for (k, nb, rec, recent) in holders {
                    if seen.insert((k, nb, rec)) {
                        put(c, KEY_TABLES[usize::from(recent)], &[(k, nb, rec)]);
                    }
                }
                let keys: Vec<(usize, i64, i64)> = probes.iter().enumerate().map(|(i, &(k, nb))| (i, k, nb)).collect();
                let a = candidates_all(c, &keys, keys.len(), 5, 3).unwrap();
                let b = candidates_sql(c, &keys, keys.len(), 5, 3).unwrap();
                prop_assert_eq!(&a, &b);
                // Shared with two readers (opened after the writes: each reads one snapshot).
                let mut readers = readers(&db_path, 2);
                prop_assert_eq!(readers.len(), 2);
                let d = candidates_on(c, &mut readers, &keys, keys.len(), 5, 3).unwrap();
                prop_assert_eq!(&a, &d);
                Ok(())
            })
            .unwrap();
    }

    /// Records read by number are their own rows, on SQLite's path as on the SQL one, whether or
    /// not a people row's row id is the record's number (it is not once rows are re-imported or
    /// withdrawn).
    #[test]
    fn records_by_number_are_their_own_rows_whatever_the_row_ids() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("b.csv");
        std::fs::write(
            &csv,
            "record_id,force,incident_ref,role,forename,surname,date_of_birth\n\
             K1,Kent,K-1,victim,Joanna,Whitcombe,1984-11-02\n\
             K2,Kent,K-2,victim,Darren,Price,1979-04-09\n\
             K3,Kent,K-3,suspect,Marcus,Oyelaran,1950-06-30\n\
             K4,Kent,K-4,victim,Ann,Lee,1991-03-04\n",
        )
        .unwrap();
        let file = conduct_ingest::read_people_files(&[csv]).unwrap();
        let mut store = conduct_store::Store::open_workspace(&dir.path().join("ws")).unwrap();
        let summary = conduct_ingest::Summary { files: file.summaries.clone() };
        crate::update(&mut store, &file.rows, summary, &crate::Options::default()).unwrap();
        let c = store.conn();
        let recs = [1, 2, 3, 4, 99];
        let before = by_recs_sql(c, &recs).unwrap();
        assert_eq!(before.len(), 4);
        // K2's row moves to a new row id, and K3's takes row id 2.
        c.batch(
            "UPDATE people SET rowid = 5 WHERE record_id = 'K2';
             UPDATE people SET rowid = 2 WHERE record_id = 'K3';",
        )
        .unwrap();
        let rowid_of = |c: &mut Conn, id: &str| {
            c.query_one(&format!("SELECT rowid FROM people WHERE record_id = '{id}'"), &[]).unwrap().unwrap()[0].int()
        };
        assert_eq!((rowid_of(c, "K2"), rowid_of(c, "K3")), (Some(5), Some(2)));
        for got in [by_recs(c, &recs).unwrap(), by_recs_sql(c, &recs).unwrap()] {
            assert_eq!(got.len(), before.len());
            for (a, b) in got.iter().zip(&before) {
                assert_eq!((a.rec, a.person, &a.row), (b.rec, b.person, &b.row));
            }
        }
    }

    #[test]
    fn stored_keys_keep_the_rule_apart() {
        let k = 0x0123_4567_89ab_cdef_u64;
        assert_ne!(stored_key(0, k), stored_key(1, k));
        assert_eq!(stored_key(3, k) as u64 >> 59, 3);
    }
}

//! The population index's rows: what an update reads and writes, in SQL both dialects take.

use std::collections::BTreeSet;

use conduct_domain::Involvement;
use conduct_resolve::block::{RULES, neighbourhood_order};
use conduct_resolve::normalise::Features;
use conduct_store::db::{Conn, Value};
use conduct_store::rows::{PEOPLE, involvement_from_row};

use crate::Error;
use crate::ids::PersonNumber;
use crate::names::Totals;

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
pub fn insert_recent_keys(c: &mut Conn, recs: &[(Rec, &Features)]) -> Result<(), Error> {
    insert_keys_into(c, KEY_TABLES[1], recs)
}

/// Moves the recent keys into the large table, in key order, when they have grown past an
/// eighth of it (or always, with `force`). Returns whether it did.
pub fn merge_keys(c: &mut Conn, force: bool) -> Result<bool, Error> {
    let count = |c: &mut Conn, t: &str| -> Result<i64, Error> {
        Ok(c.query_one(&format!("SELECT count(*) FROM {t}"), &[])?.and_then(|r| r[0].int()).unwrap_or(0))
    };
    let recent = count(c, KEY_TABLES[1])?;
    if recent == 0 || (!force && recent * 8 < count(c, KEY_TABLES[0])?) {
        return Ok(false);
    }
    c.execute("INSERT INTO population_keys (k, nb, rec) SELECT k, nb, rec FROM population_keys_recent ORDER BY k, nb, rec", &[])?;
    c.execute("DELETE FROM population_keys_recent", &[])?;
    Ok(true)
}

/// Adds records' keys to the large table (a whole population at once).
pub fn insert_keys(c: &mut Conn, recs: &[(Rec, &Features)]) -> Result<(), Error> {
    insert_keys_into(c, KEY_TABLES[0], recs)
}

fn insert_keys_into(c: &mut Conn, table: &str, recs: &[(Rec, &Features)]) -> Result<(), Error> {
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(1 << 16);
    for &(rec, f) in recs {
        for (k, nb) in keys_of(f) {
            rows.push(vec![Value::Int(k), Value::Int(nb), Value::Int(rec)]);
        }
        if rows.len() >= 1 << 16 {
            c.bulk_insert(table, &["k", "nb", "rec"], &rows)?;
            rows.clear();
        }
    }
    c.bulk_insert(table, &["k", "nb", "rec"], &rows)?;
    Ok(())
}

/// Removes a record's keys (computed from the features it was indexed with).
pub fn delete_keys(c: &mut Conn, rec: Rec, f: &Features) -> Result<(), Error> {
    for (k, nb) in keys_of(f) {
        for t in KEY_TABLES {
            c.execute(&format!("DELETE FROM {t} WHERE k = ? AND nb = ? AND rec = ?"), &[Value::Int(k), Value::Int(nb), Value::Int(rec)])?;
        }
    }
    Ok(())
}

/// The records each new record is compared with, for many records at once, in a few statements
/// instead of one per key: for each key, every holder of it when there are at most `cap`, else the
/// nearest `window` on each side in neighbourhood order (as a full link splits an oversized
/// block). `keys`
/// are `(record, key, neighbourhood order)`; the result has one set per record `0..n`.
pub fn candidates_all(c: &mut Conn, keys: &[(usize, i64, i64)], n: usize, cap: usize, window: usize) -> Result<Vec<BTreeSet<Rec>>, Error> {
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
pub fn by_recs(c: &mut Conn, recs: &[Rec]) -> Result<Vec<Stored>, Error> {
    temp(c, "update_recs", "rec INTEGER PRIMARY KEY", &["rec"], recs.iter().map(|&r| vec![Value::Int(r)]).collect())?;
    // `IN` rather than a join: SQLite then looks the records up by number instead of scanning.
    stored(c.query(&format!("{} WHERE r.rec IN (SELECT rec FROM update_recs) ORDER BY r.rec", select()), &[])?)
}

/// The numbers of the records of these persons, in one statement.
pub fn recs_of_persons(c: &mut Conn, persons: &[PersonNumber]) -> Result<Vec<Rec>, Error> {
    temp(c, "update_persons", "person INTEGER PRIMARY KEY", &["person"], persons.iter().map(|&p| vec![Value::Int(p)]).collect())?;
    Ok(c.query("SELECT rec FROM population_records WHERE person IN (SELECT person FROM update_persons)", &[])?
        .iter()
        .filter_map(|r| r[0].int())
        .collect())
}

/// The stored records of these reports (force and incident reference), in one statement.
pub fn of_reports(c: &mut Conn, reports: &[(u8, &str)]) -> Result<Vec<Stored>, Error> {
    let rows = reports.iter().map(|&(f, r)| vec![Value::Int(i64::from(f)), r.into()]).collect();
    temp(c, "update_reports", "force_id INTEGER NOT NULL, incident_ref TEXT NOT NULL", &["force_id", "incident_ref"], rows)?;
    // Two steps, each by an index: the reports' people rows (by incident), then their records.
    let keys: Vec<(u8, String)> = c
        .query("SELECT p.force_id, p.record_id FROM update_reports u JOIN people p ON p.force_id = u.force_id AND p.incident_ref = u.incident_ref", &[])?
        .iter()
        .filter_map(|r| Some((u8::try_from(r[0].int()?).ok()?, r[1].text())))
        .collect();
    let keys: Vec<(u8, &str)> = keys.iter().map(|(f, id)| (*f, id.as_str())).collect();
    Ok(by_keys(c, &keys)?.into_iter().map(|(_, s)| s).collect())
}

/// The next record number.
pub fn next_rec(c: &mut Conn) -> Result<Rec, Error> {
    Ok(c.query_one("SELECT coalesce(max(rec), 0) + 1 FROM population_records", &[])?.and_then(|r| r[0].int()).unwrap_or(1))
}

/// Adds records: `(rec, force, record_id, person)`.
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
pub fn delete_record(c: &mut Conn, rec: Rec, force: u8, record_id: &str) -> Result<(), Error> {
    c.execute("DELETE FROM population_records WHERE rec = ?", &[Value::Int(rec)])?;
    c.execute("DELETE FROM people WHERE force_id = ? AND record_id = ?", &[Value::Int(i64::from(force)), record_id.into()])?;
    Ok(())
}

/// Moves records to another person.
pub fn set_person(c: &mut Conn, rec: Rec, person: PersonNumber) -> Result<(), Error> {
    c.execute("UPDATE population_records SET person = ? WHERE rec = ?", &[Value::Int(person), Value::Int(rec)])?;
    Ok(())
}

/// Records that `from` now redirects to `to`, and points earlier redirects to `from` at `to`.
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
#[allow(clippy::too_many_arguments)]
pub fn event(
    c: &mut Conn,
    batch: i64,
    kind: &str,
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
            kind.into(),
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
        let keys = [(0, 7, 0), (1, 9, 65), (2, 5, 4), (3, 404, 1)];
        let got = candidates_all(c, &keys, 4, 4, 2).unwrap();
        assert_eq!(got[0], BTreeSet::from([100, 101, 102]), "a small block, whole");
        assert_eq!(got[1], BTreeSet::from([5, 6, 7, 8]), "two on each side of nb 65");
        assert_eq!(got[2], BTreeSet::from([52, 53, 54, 55]), "oversized over both tables: a window");
        assert!(got[3].is_empty(), "an unknown key has no candidates");
        // A probe past the end takes what there is on its side.
        let got = candidates_all(c, &[(0, 9, 1000)], 1, 4, 2).unwrap();
        assert_eq!(got[0], BTreeSet::from([11, 12]));
    }

    #[test]
    fn stored_keys_keep_the_rule_apart() {
        let k = 0x0123_4567_89ab_cdef_u64;
        assert_ne!(stored_key(0, k), stored_key(1, k));
        assert_eq!(stored_key(3, k) as u64 >> 59, 3);
    }
}

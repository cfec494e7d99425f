//! The name counts behind the term-frequency adjustment, kept up to date by each update so that
//! a name's frequency is the one [`conduct_resolve::model::TermFrequencies::count`] would give
//! over the whole population.
//!
//! That count is over people, not records: records collapse on identity (forename, surname and
//! date of birth); a name's undated records count as one person only when no dated identity has
//! that name. So the store keeps each identity with its number of records
//! (`population_identities`), and per forename and per surname the records and people holding it
//! (`population_names`), with the four totals in the `population` row ([`Totals`]).

use std::collections::{BTreeMap, BTreeSet};

use conduct_resolve::model::{TermFrequencies, reference_frequencies, shrunk_frequency};
use conduct_resolve::normalise::Features;
use conduct_store::db::{Conn, Value};

use crate::Error;

/// The totals of the name counts: records and people with a forename, and with a surname.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Records with a forename.
    pub forename_records: i64,
    /// People (collapsed identities) with a forename.
    pub forename_people: i64,
    /// Records with a surname.
    pub surname_records: i64,
    /// People with a surname.
    pub surname_people: i64,
}

/// An identity: forename hash, surname hash, year of birth, month and day.
pub type Identity = (u64, u64, u32, u32);

/// A row of `population_names`: which (0 forename, 1 surname), the value's hash, the records
/// and the people holding it.
pub type NameCount = (u8, u64, i64, i64);

/// A record's identity, if it has a forename or a surname.
pub fn identity(f: &Features) -> Option<Identity> {
    (f.forename_h != 0 || f.surname_h != 0)
        .then(|| (f.forename_h, f.surname_h, u32::from(f.dob.year), (u32::from(f.dob.month) << 8) | u32::from(f.dob.day)))
}

fn h(x: u64) -> Value {
    Value::Int(x as i64)
}

/// People a name stands for, given the years of birth of its identities: the dated ones, or
/// one when only undated ones exist.
fn people_of(years: &[u32]) -> i64 {
    let dated = years.iter().filter(|&&y| y != 0).count() as i64;
    if dated > 0 { dated } else { i64::from(!years.is_empty()) }
}

/// Counts for a whole population at once (a first link or a re-link): rows for
/// `population_identities` and `population_names`, and the totals.
pub fn count_all(feats: &[Features]) -> (Vec<(Identity, i64)>, Vec<NameCount>, Totals) {
    let mut ids: BTreeMap<Identity, i64> = BTreeMap::new();
    let mut records: BTreeMap<(u8, u64), (i64, i64)> = BTreeMap::new();
    let mut t = Totals::default();
    for f in feats {
        if let Some(i) = identity(f) {
            *ids.entry(i).or_default() += 1;
        }
        if f.forename_h != 0 {
            records.entry((0, f.forename_h)).or_default().0 += 1;
            t.forename_records += 1;
        }
        if f.surname_h != 0 {
            records.entry((1, f.surname_h)).or_default().0 += 1;
            t.surname_records += 1;
        }
    }
    // Per name (forename, surname): the years of its identities, in order.
    let mut i = ids.keys().peekable();
    while let Some(&(fh, sh, y, _)) = i.next() {
        let mut years = vec![y];
        while let Some(&&(f2, s2, y2, _)) = i.peek() {
            if (f2, s2) != (fh, sh) {
                break;
            }
            years.push(y2);
            i.next();
        }
        let p = people_of(&years);
        if fh != 0 {
            records.entry((0, fh)).or_default().1 += p;
            t.forename_people += p;
        }
        if sh != 0 {
            records.entry((1, sh)).or_default().1 += p;
            t.surname_people += p;
        }
    }
    let names = records.into_iter().map(|((w, h), (r, p))| (w, h, r, p)).collect();
    (ids.into_iter().collect(), names, t)
}

/// Writes counts made by [`count_all`] into empty tables.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when an insert fails.
pub fn write_all(c: &mut Conn, ids: &[(Identity, i64)], names: &[NameCount]) -> Result<(), Error> {
    for chunk in ids.chunks(1 << 16) {
        let rows: Vec<Vec<Value>> = chunk
            .iter()
            .map(|&((fh, sh, y, md), n)| vec![h(fh), h(sh), Value::Int(i64::from(y)), Value::Int(i64::from(md)), Value::Int(n)])
            .collect();
        c.bulk_insert("population_identities", &["forename_h", "surname_h", "year", "month_day", "records"], &rows)?;
    }
    for chunk in names.chunks(1 << 16) {
        let rows: Vec<Vec<Value>> =
            chunk.iter().map(|&(w, x, r, p)| vec![Value::Int(i64::from(w)), h(x), Value::Int(r), Value::Int(p)]).collect();
        c.bulk_insert("population_names", &["which", "h", "records", "people"], &rows)?;
    }
    Ok(())
}

/// A name's identities as stored: `(year, month and day) → records`.
fn identities_of(c: &mut Conn, fh: u64, sh: u64) -> Result<BTreeMap<(u32, u32), i64>, Error> {
    let rows =
        c.query("SELECT year, month_day, records FROM population_identities WHERE forename_h = ? AND surname_h = ?", &[h(fh), h(sh)])?;
    Ok(rows.iter().map(|r| ((r[0].int().unwrap_or(0) as u32, r[1].int().unwrap_or(0) as u32), r[2].int().unwrap_or(0))).collect())
}

fn years_of(ids: &BTreeMap<(u32, u32), i64>) -> Vec<u32> {
    ids.keys().map(|&(y, _)| y).collect()
}

/// Applies records leaving (`-1`) and arriving (`+1`) to the stored counts and `totals`.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when a statement fails,
/// [`ErrorKind::Corrupt`](crate::ErrorKind::Corrupt) when an identity's stored record count would
/// fall below zero.
pub fn apply(c: &mut Conn, changes: &[(&Features, i64)], totals: &mut Totals) -> Result<(), Error> {
    let mut by_identity: BTreeMap<Identity, i64> = BTreeMap::new();
    let mut name_delta: BTreeMap<(u8, u64), (i64, i64)> = BTreeMap::new();
    for &(f, d) in changes {
        if let Some(i) = identity(f) {
            *by_identity.entry(i).or_default() += d;
        }
        if f.forename_h != 0 {
            name_delta.entry((0, f.forename_h)).or_default().0 += d;
            totals.forename_records += d;
        }
        if f.surname_h != 0 {
            name_delta.entry((1, f.surname_h)).or_default().0 += d;
            totals.surname_records += d;
        }
    }
    let touched: BTreeSet<(u64, u64)> = by_identity.keys().map(|&(f, s, _, _)| (f, s)).collect();
    for (fh, sh) in touched {
        // The name's identities, read once: the people it stands for before, the records of
        // each identity changed, and the people after, from the same rows as written.
        let mut ids = identities_of(c, fh, sh)?;
        let before = people_of(&years_of(&ids));
        for (&(f, s, y, md), &d) in by_identity.range((fh, sh, 0, 0)..=(fh, sh, u32::MAX, u32::MAX)) {
            debug_assert_eq!((f, s), (fh, sh));
            if d == 0 {
                continue;
            }
            let key = [h(fh), h(sh), Value::Int(i64::from(y)), Value::Int(i64::from(md))];
            let now = ids.get(&(y, md)).copied().unwrap_or(0) + d;
            if now < 0 {
                return Err(Error::new(crate::ErrorKind::Corrupt("an identity's record count fell below zero".into())));
            }
            if now == 0 {
                ids.remove(&(y, md));
                c.execute("DELETE FROM population_identities WHERE forename_h = ? AND surname_h = ? AND year = ? AND month_day = ?", &key)?;
            } else {
                ids.insert((y, md), now);
                let mut p = key.to_vec();
                p.push(Value::Int(now));
                c.execute(
                    "INSERT INTO population_identities (forename_h, surname_h, year, month_day, records) VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT (forename_h, surname_h, year, month_day) DO UPDATE SET records = excluded.records",
                    &p,
                )?;
            }
        }
        let after = people_of(&years_of(&ids));
        let d = after - before;
        if d != 0 {
            if fh != 0 {
                name_delta.entry((0, fh)).or_default().1 += d;
                totals.forename_people += d;
            }
            if sh != 0 {
                name_delta.entry((1, sh)).or_default().1 += d;
                totals.surname_people += d;
            }
        }
    }
    for ((w, x), (r, p)) in name_delta {
        if (r, p) == (0, 0) {
            continue;
        }
        c.execute(
            "INSERT INTO population_names (which, h, records, people) VALUES (?, ?, ?, ?)
             ON CONFLICT (which, h) DO UPDATE SET records = population_names.records + excluded.records,
                                                  people = population_names.people + excluded.people",
            &[Value::Int(i64::from(w)), h(x), Value::Int(r), Value::Int(p)],
        )?;
    }
    Ok(())
}

/// The term frequencies of the names of `feats`, from the stored counts and `totals`: each the
/// frequency a full count over the population gives.
///
/// # Errors
///
/// [`ErrorKind::Store`](crate::ErrorKind::Store) when the temporary table of names cannot be filled
/// or the query fails.
pub fn frequencies<'a>(c: &mut Conn, feats: impl IntoIterator<Item = &'a Features>, totals: &Totals) -> Result<TermFrequencies, Error> {
    let mut wanted: BTreeSet<u64> = BTreeSet::new();
    for f in feats {
        for x in [f.forename_h, f.surname_h] {
            if x != 0 {
                wanted.insert(x);
            }
        }
    }
    let reference = reference_frequencies();
    let mut entries = Vec::with_capacity(wanted.len() * 2);
    // The adjustment reads a value's frequency as a forename and as a surname: both, in one
    // statement through a temporary table of the values wanted.
    c.batch(&crate::index::dialect(
        c,
        "CREATE TEMP TABLE IF NOT EXISTS update_names (which INTEGER NOT NULL, h INTEGER NOT NULL); DELETE FROM update_names;",
    ))?;
    let rows: Vec<Vec<Value>> = wanted.iter().flat_map(|&x| [vec![Value::Int(0), h(x)], vec![Value::Int(1), h(x)]]).collect();
    for chunk in rows.chunks(1 << 16) {
        c.bulk_insert("update_names", &["which", "h"], chunk)?;
    }
    for row in c.query(
        "SELECT n.which, n.h, n.records, n.people FROM update_names u JOIN population_names n ON n.which = u.which AND n.h = u.h",
        &[],
    )? {
        let (w, x, r, p) =
            (row[0].int().unwrap_or(-1), row[1].int().unwrap_or(0) as u64, row[2].int().unwrap_or(0), row[3].int().unwrap_or(0));
        let (records, people, which) = match w {
            0 => (totals.forename_records, totals.forename_people, 0usize),
            1 => (totals.surname_records, totals.surname_people, 1usize),
            _ => continue,
        };
        if r > 0 && records > 0 && people > 0 {
            entries.push((which, x, shrunk_frequency(r as f64, p as f64, records as f64, people as f64, reference[which])));
        }
    }
    Ok(TermFrequencies::from_entries(entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use conduct_resolve::normalise::{Dob, hash_str};

    fn person(f: &str, s: &str, dob: &str) -> Features {
        let d: Vec<u16> = dob.split('-').filter_map(|x| x.parse().ok()).collect();
        let dob = if d.len() == 3 { Dob { year: d[0], month: d[1] as u8, day: d[2] as u8 } } else { Dob::default() };
        Features { forename_h: hash_str(f), surname_h: hash_str(s), dob, ..Features::default() }
    }

    /// Adding records batch by batch (and taking some away) leaves the frequencies a full count
    /// over what remains gives, including the undated-records rule.
    #[test]
    fn counts_kept_by_updates_give_the_full_counts_frequencies() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = conduct_store::Store::open_workspace(dir.path()).unwrap();
        let c = store.conn();
        let feats: Vec<Features> = [
            ("Ann", "Lee", "1980-01-02"),
            ("Ann", "Lee", ""),
            ("Ann", "Lee", "1980-01-02"),
            ("Ann", "Lee", "1991-03-04"),
            ("Bob", "Lee", ""),
            ("Bob", "Lee", ""),
            ("Lee", "Ann", "1970-07-07"),
            ("", "Okafor", ""),
            ("Cy", "", "1999-09-09"),
            ("Dee", "Marsh", "1985-05-05"),
        ]
        .iter()
        .map(|&(f, s, d)| person(f, s, d))
        .collect();
        let mut totals = Totals::default();
        // Three batches, then the second "Ann Lee 1980" and "Dee Marsh" taken away.
        for part in [&feats[..3], &feats[3..7], &feats[7..]] {
            let changes: Vec<(&Features, i64)> = part.iter().map(|f| (f, 1)).collect();
            apply(c, &changes, &mut totals).unwrap();
        }
        apply(c, &[(&feats[2], -1), (&feats[9], -1)], &mut totals).unwrap();
        let left: Vec<Features> = feats.iter().enumerate().filter(|(i, _)| ![2, 9].contains(i)).map(|(_, f)| f.clone()).collect();
        let full = TermFrequencies::count(&left);
        let kept = frequencies(c, &feats, &totals).unwrap();
        for f in &feats {
            for x in [f.forename_h, f.surname_h] {
                for which in 0..2 {
                    let (a, b) = (full.frequency(which, x), kept.frequency(which, x));
                    assert!((a - b).abs() < 1e-12, "{which} {x}: full {a}, kept {b}");
                }
            }
        }
        let (_, _, all) = count_all(&left);
        assert_eq!(all, totals);
    }
}

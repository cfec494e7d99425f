//! What the dashboard publishes from a store that holds a linked population: the population's
//! persons, under their own ids, in place of a full re-link of every record held, and the
//! merges, splits and moves the updates since the last publication made of them.

use std::collections::HashMap;

/// The snapshot's maps, a key for every record held: hashed with foldhash rather than SipHash
/// (SipHash was a visible part of a publication's profile at 1M records), seeded per
/// process so that record ids chosen to collide cannot be written once for every run.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use conduct_domain::Force;
use conduct_domain::ids::Change;
use conduct_resolve::Model;
use conduct_resolve::model::{TermFrequencies, reference_frequencies, shrunk_frequency};
use conduct_store::db::{Conn, Value};

use crate::ids::{PersonNumber, person_label};
use crate::update::{model_for, read_model};
use crate::{Error, ErrorKind, index};

/// The population as a publication takes it: every record's person, the model in force for
/// its size and the names' frequencies (for the dashboard's explanations), and how many batches
/// have been linked.
#[derive(Debug)]
pub struct Snapshot {
    /// Batches linked so far (a publication records the last it showed, and asks
    /// [`changes_since`] it next time).
    pub batches: i64,
    /// The next person number the population will give: every id below it was given once.
    pub next_person: PersonNumber,
    /// The model in force, for the population's size ([`model_for`]).
    pub model: Model,
    /// The frequencies of every forename and surname held, as a full count over the
    /// population gives them.
    pub tf: TermFrequencies,
    /// Person of each record, by force id and record_id (held inline when short, as record ids
    /// are: no allocation for each of 1.96M records at the 1M world).
    persons: FastMap<u8, FastMap<conduct_domain::Text, PersonNumber>>,
    /// Records held.
    records: usize,
}

impl Snapshot {
    /// The person of `force`'s record `record_id`, if the population holds it.
    pub fn person_of(&self, force: Force, record_id: &str) -> Option<PersonNumber> {
        self.persons.get(&force.id()).and_then(|m| m.get(record_id)).copied()
    }

    /// Records the population holds.
    pub fn records(&self) -> usize {
        self.records
    }
}

/// The population held in the store behind `c`, or `None` when it holds none.
///
/// # Errors
///
/// The store's; [`ErrorKind::Corrupt`] when the model in force cannot be read, and
/// [`ErrorKind::EngineMismatch`] when the index was built by another engine (its persons were
/// linked by other rules: `conduct link --update --retrain` rebuilds it).
pub fn snapshot(c: &mut Conn) -> Result<Option<Snapshot>, Error> {
    let Some(st) = index::state(c)? else { return Ok(None) };
    if st.engine != crate::engine() {
        return Err(Error::new(ErrorKind::EngineMismatch { stored: st.engine, current: crate::engine() }));
    }
    let stored = read_model(&st.model)?;
    let mut persons: FastMap<u8, FastMap<conduct_domain::Text, PersonNumber>> = FastMap::default();
    let mut records = 0usize;
    c.scan("SELECT force_id, record_id, person FROM population_records", &[], |r| {
        let force = r[0].int().and_then(|f| u8::try_from(f).ok()).unwrap_or(0);
        persons.entry(force).or_default().insert(conduct_domain::Text::from(r[1].as_text().as_ref()), r[2].int().unwrap_or(0));
        records += 1;
        Ok(true)
    })?;
    let model = model_for(&stored, records);
    let tf = all_frequencies(c, &st.totals)?;
    Ok(Some(Snapshot { batches: st.batches, next_person: st.next_person, model, tf, persons, records }))
}

/// The frequencies of every name counted, as [`crate::names::frequencies`] gives those of a
/// batch's names.
fn all_frequencies(c: &mut Conn, totals: &crate::names::Totals) -> Result<TermFrequencies, Error> {
    let reference = reference_frequencies();
    let mut entries = Vec::new();
    c.scan("SELECT which, h, records, people FROM population_names", &[], |row| {
        let (w, x, r, p) =
            (row[0].int().unwrap_or(-1), row[1].int().unwrap_or(0) as u64, row[2].int().unwrap_or(0), row[3].int().unwrap_or(0));
        let (records, people, which) = match w {
            0 => (totals.forename_records, totals.forename_people, 0usize),
            1 => (totals.surname_records, totals.surname_people, 1usize),
            _ => return Ok(true),
        };
        if r > 0 && records > 0 && people > 0 {
            entries.push((which, x, shrunk_frequency(r as f64, p as f64, records as f64, people as f64, reference[which])));
        }
        Ok(true)
    })?;
    Ok(TermFrequencies::from_entries(entries))
}

/// A merge, split, move or withdrawal, as the dashboard's history of ids shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct IdChange {
    /// What happened.
    pub kind: Change,
    /// The id the records are under now (`merge`: the survivor; `split`: the fresh id;
    /// `move`: the person they joined; `withdraw`: the person they were withdrawn from).
    pub id: String,
    /// The id they came from (`merge`: the id retired; `split` and `move`: the person they
    /// left; `withdraw`: empty).
    pub other_id: String,
    /// How many records moved.
    pub members: u64,
    /// Why, with the deciding comparisons.
    pub reason: String,
}

/// What updates did to person ids.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdChanges {
    /// The ids retired, each with the id it leads to now.
    pub retired: Vec<(String, String)>,
    /// Every merge, split, move and withdrawal, in order.
    pub events: Vec<IdChange>,
}

/// What the updates after batch `after` did to person ids.
///
/// # Errors
///
/// The store's.
pub fn changes_since(c: &mut Conn, after: i64) -> Result<IdChanges, Error> {
    let retired = c
        .query(
            "SELECT from_person, to_person FROM person_redirects WHERE batch > ? AND to_person > 0 ORDER BY batch, from_person",
            &[Value::Int(after)],
        )?
        .iter()
        .map(|r| (person_label(r[0].int().unwrap_or(0)), person_label(r[1].int().unwrap_or(0))))
        .collect();
    let mut events = Vec::new();
    for r in c.query("SELECT kind, person, other, records, reason FROM person_events WHERE batch > ? ORDER BY id", &[Value::Int(after)])? {
        let Some(kind) = Change::ALL.into_iter().find(|k| k.as_str() == r[0].as_text()) else { continue };
        let (person, other) = (person_label(r[1].int().unwrap_or(0)), r[2].int().unwrap_or(0));
        let other = if other == 0 { String::new() } else { person_label(other) };
        let members = serde_json::from_str::<Vec<String>>(&r[3].as_text()).map_or(0, |v| v.len() as u64);
        // The population names a split by the person split and the part split off; the
        // dashboard by the id the records are under now and the one they left.
        let (id, other_id) = match kind {
            Change::Split => (other, person),
            _ => (person, other),
        };
        events.push(IdChange { kind, id, other_id, members, reason: r[4].text() });
    }
    Ok(IdChanges { retired, events })
}

/// Whether the store behind `c` holds a linked population (its imports then go through
/// [`crate::update_export_in`], which keeps the index).
///
/// # Errors
///
/// The store's.
pub fn holds_population(c: &mut Conn) -> Result<bool, Error> {
    Ok(index::state(c)?.is_some())
}

//! The update, the re-link, the check, and what the index says about a person.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use conduct_domain::Involvement;
use conduct_domain::ids::Change;
use conduct_ingest::{Export, Summary};
use conduct_resolve::block::{RULES, WINDOW, block};
use conduct_resolve::compare::{COMPARISONS, Pattern, compare};
use conduct_resolve::normalise::{Features, NICKNAMES_CSV, Nicknames, normalise};
use conduct_resolve::{
    LinkOptions, Model, SHARED_ASSOCIATE_WEIGHT, cluster_scored, pair_adjustment, pair_weight, record_order, tf_adjustment, tf_adjustments,
};
use conduct_store::Store;
use conduct_store::db::{Conn, Value};
use rayon::prelude::*;
use serde::Serialize;

use crate::ids::{PersonNumber, assign, person_label};
use crate::index::{self, Rec, State, Stored};
use crate::names::{self, Totals};
use crate::{Error, ErrorKind, features};

/// How to update.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The linkage options of a full link (the first batch, a re-link); `model`, when given, must
    /// be the model in force unless `retrain` is set.
    pub link: LinkOptions,
    /// After adding the batch, re-estimate the model (or take `link.model`) and re-link the
    /// whole population with it, keeping ids by the rule of [`crate::ids`].
    pub retrain: bool,
    /// Records the forces have withdrawn (force and record_id): taken out of the population and
    /// the store, their persons' other records re-clustered, each withdrawal in the history.
    pub withdrawn: Vec<(conduct_domain::Force, String)>,
    /// Reader connections that share an update's reads of its candidates (their keys, features
    /// and, for the persons re-clustered, their rows) on SQLite (each on its
    /// own thread, beside the update's connection): `None` for one per further core (at most
    /// three) when the batch has 1,000 new records or more, `Some(0)` for none. They are
    /// used only while they see what the update's connection sees: not when the batch changes
    /// or withdraws records. The result is the same either way.
    pub reader_threads: Option<usize>,
    /// Leave the write-ahead log's checkpoint (copying the update's pages into the database
    /// file and syncing it: most of a commit's time) to the [`write_persons`] that the caller
    /// runs next, which does it on a connection of its own beside its reads. For a caller that
    /// writes persons.csv straight after, as `conduct link --update` does; otherwise (the
    /// default) the commit checkpoints as SQLite does by itself.
    pub checkpoint_later: bool,
}

/// What an update did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// The batch's number in this workspace (1 for the first).
    pub batch: i64,
    /// Whether this was the first batch (a full link of everything the store holds).
    pub first: bool,
    /// Rows in the batch.
    pub rows: usize,
    /// Records new to the population.
    pub new: usize,
    /// Records held before whose row changed.
    pub changed: usize,
    /// Records held before, unchanged (left alone).
    pub unchanged: usize,
    /// Records withdrawn (taken out of the population and the store).
    pub withdrawn: usize,
    /// Records named as withdrawn that the population did not hold.
    pub withdrawn_not_held: usize,
    /// Existing records compared with new or changed ones.
    pub candidates: usize,
    /// Reader connections that shared the reads of those candidates (and of the re-clustered
    /// records' rows) with the update's own
    /// (0: it read them alone; see [`Options::reader_threads`]).
    pub readers: usize,
    /// Persons whose records were re-clustered.
    pub touched_persons: usize,
    /// Records re-clustered (new, changed, and those of the touched persons).
    pub reclustered: usize,
    /// Records of the same reports read as associates.
    pub associates: usize,
    /// Persons created.
    pub new_persons: usize,
    /// Merges of existing persons.
    pub merges: usize,
    /// Splits of existing persons.
    pub splits: usize,
    /// Moves of records from one existing person to another (both going on).
    pub moves: usize,
    /// Whether the recent keys were merged into the large key table this time (when they have
    /// grown past an eighth of it).
    pub keys_merged: bool,
    /// Records in the population after the update.
    pub records: i64,
    /// Persons in the population after the update.
    pub persons: i64,
    /// The model used, in words.
    pub model_used: String,
    /// Wall time per stage, in seconds.
    pub stages: Vec<(&'static str, f64)>,
    /// The re-link, when `--retrain` was given.
    pub retrained: Option<Retrained>,
}

/// A re-link with a re-estimated (or given) model.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Retrained {
    /// How the new model was obtained.
    pub model_used: String,
    /// The largest change of a comparison level's weight (bits), with the comparison and level.
    pub largest_weight_change: (String, f64),
    /// The change of the prior (bits).
    pub prior_change: f64,
    /// Records whose person changed.
    pub records_moved: usize,
    /// Merges and splits made.
    pub merges: usize,
    /// Splits made.
    pub splits: usize,
    /// Agreement of the persons before with those after.
    pub agreement: Agreement,
}

/// Pairwise agreement of two assignments of the same records to persons.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Agreement {
    /// Pairs one person in the first.
    pub pairs_first: u64,
    /// Pairs one person in the second.
    pub pairs_second: u64,
    /// Pairs one person in both.
    pub pairs_both: u64,
    /// `pairs_both / pairs_first` (1 when there are none).
    pub precision: f64,
    /// `pairs_both / pairs_second` (1 when there are none).
    pub recall: f64,
    /// Their harmonic mean.
    pub f1: f64,
}

impl Agreement {
    /// The pairwise agreement of `first` and `second` (person per record, same records).
    pub fn of(first: &[PersonNumber], second: &[PersonNumber]) -> Agreement {
        fn pairs(n: u64) -> u64 {
            n * n.saturating_sub(1) / 2
        }
        let mut a: HashMap<PersonNumber, u64> = HashMap::new();
        let mut b: HashMap<PersonNumber, u64> = HashMap::new();
        let mut ab: HashMap<(PersonNumber, PersonNumber), u64> = HashMap::new();
        for (&x, &y) in first.iter().zip(second) {
            *a.entry(x).or_default() += 1;
            *b.entry(y).or_default() += 1;
            *ab.entry((x, y)).or_default() += 1;
        }
        let (pa, pb, both) =
            (a.values().map(|&n| pairs(n)).sum(), b.values().map(|&n| pairs(n)).sum(), ab.values().map(|&n| pairs(n)).sum());
        let ratio = |x: u64, y: u64| if y == 0 { 1.0 } else { x as f64 / y as f64 };
        let (precision, recall) = (ratio(both, pa), ratio(both, pb));
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Agreement { pairs_first: pa, pairs_second: pb, pairs_both: both, precision, recall, f1 }
    }
}

/// `conduct link --verify`: the incremental state against a full re-link.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Verification {
    /// Records in the population.
    pub records: usize,
    /// Persons in the incremental state.
    pub persons_incremental: usize,
    /// Persons a full re-link with the model in force finds.
    pub persons_full: usize,
    /// Agreement: `first` the incremental state, `second` the full re-link.
    pub agreement: Agreement,
    /// Seconds the re-link took.
    pub seconds: f64,
}

/// One merge or split in a person's history.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// When.
    pub at: String,
    /// In which batch.
    pub batch: i64,
    /// `merge` (`other` joined `person`, its id redirecting), `split` (`other` was split off
    /// `person`), `move` (records of `other` joined `person`, both going on) or `withdraw`
    /// (records of `person` withdrawn by the force; `other` empty).
    pub kind: String,
    /// The surviving or original person.
    pub person: String,
    /// The person merged in, or split off.
    pub other: String,
    /// The records that moved.
    pub records: Vec<String>,
    /// Why, with the deciding comparisons.
    pub reason: String,
}

/// What the index says about a person id.
#[derive(Clone, Debug, Serialize)]
pub struct History {
    /// The id asked about.
    pub asked: String,
    /// The id its records are under now (itself, unless it was merged into another).
    pub current: String,
    /// The current person's records.
    pub records: Vec<String>,
    /// Every merge and split that involved the id asked about or the current one, in order.
    pub events: Vec<Event>,
}

/// The engine that builds the index: the blocking rules and the nickname table, by name and
/// content, and what normalisation makes of a set of probe rows (their blocking keys and their
/// stored features). An index built by another is refused
/// ([`ErrorKind::EngineMismatch`]): its keys and stored features are what another normaliser
/// made, and a changed record's old keys, found by normalising its stored row again, would not
/// be the ones it was indexed under.
pub fn engine() -> String {
    static ENGINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ENGINE.get_or_init(|| engine_of(&probes_normalised())).clone()
}

/// [`engine`] with the probe rows normalised as given.
fn engine_of(probes: &str) -> String {
    let rules: Vec<&str> = RULES.iter().map(|r| r.name).collect();
    let digest = xxhash_rust::xxh3::xxh3_64(format!("{}\n{NICKNAMES_CSV}\n{probes}", rules.join("\n")).as_bytes());
    format!("conduct-resolve blocking v1, {} rules, {digest:016x}", RULES.len())
}

/// Probe rows for [`engine`], one per line (forename, middle names, surname, date of birth,
/// sex, address, postcode, phone, e-mail, handles, PNC id, NI number, local id): accents,
/// hyphens and apostrophes, a nickname, partial and other-order dates, abbreviations in
/// addresses, UK and other postcodes and phones, and a row of nothing. Synthetic values.
const PROBES: &str = "\
Se\u{e1}n|Mary-Kate|O'Brien-Smith|1985-03-07|F|Flat 2, 14 St. John's Rd, Liverpool|l1 8jq|07700 900123|Sean.OBrien@Example.ORG|@seanob;twitter:sean_ob|12/345678A|QQ 12 34 56 C|N-1234
Bob||Smith|1972|M|7 High St|SW1A 1AA|+44 20 7946 0958||||| 
Zo\u{eb}|Ann Marie|MacDonald|31/12/1999|female|Apartment 5b The Maltings, Church Lane|BT1 5GS|0151 496 0000|z@x.co.uk|instagram:zoe|||
Jean-Luc||Dupont|1960-7-4||12 rue de la Paix, Paris|75002|+33 1 23 45 67 89|||||
Liz|Elizabeth|Ni Bhriain|1990-02-30|F|The Old Rectory|CH1 2HS|07700900555|||99/1A||X1
||||||||||||";

/// What this build's normalisation makes of [`PROBES`]: per row, its blocking keys and its
/// stored features.
fn probes_normalised() -> String {
    let nick = Nicknames::builtin();
    let mut out = String::new();
    let Some(force) = conduct_domain::Force::all().next() else { return out };
    for (i, line) in PROBES.lines().enumerate() {
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        let at = |k: usize| conduct_domain::Text::from(f.get(k).copied().unwrap_or(""));
        let mut row = Involvement::new(&format!("probe-{i}"), force, "probe", conduct_domain::Role::Victim);
        row.local_person_id = at(12);
        row.forename = at(0);
        row.middle_names = at(1);
        row.surname = at(2);
        row.set_date_of_birth(at(3));
        row.sex = at(4);
        row.address = at(5);
        row.postcode = at(6);
        row.set_phone(at(7));
        row.email = at(8);
        row.online_handles = at(9);
        row.pnc_id = at(10);
        row.ni_number = at(11);
        let feats = normalise(&row, &nick);
        out.push_str(&format!("{:?} {}\n", index::keys_of(&feats), crate::features::encode(&feats)));
    }
    out
}

/// The model in force for a population of `rows` records. λ, the chance that two records drawn
/// at random are one person, falls as the population grows (a person's records do not grow with
/// it): the shipped default model is re-derived for `rows` ([`Model::default_for`]), as a full
/// link of that many rows would take it; a fitted or given model has its λ scaled by
/// `(n − 1)/(rows − 1)` from the `n` rows it was fitted on. Everything else is as stored.
pub fn model_for(stored: &Model, rows: usize) -> Model {
    let mut m = stored.clone();
    if rows < 2 {
        return m;
    }
    if stored.notes.source == "default" {
        m.lambda = Model::default_for(rows).lambda;
    } else if stored.notes.rows > 1 && stored.notes.rows as usize != rows {
        m.lambda = (stored.lambda * (stored.notes.rows as f64 - 1.0) / (rows as f64 - 1.0)).clamp(1e-12, 0.5);
    }
    m
}

/// Whether two models are one model in force: the same comparisons, threshold and veto. λ and
/// the notes aside: λ follows the population's size ([`model_for`]), so the model.json written
/// after one batch is still the model in force after the next.
fn same_model(a: &Model, b: &Model) -> bool {
    (a.version, &a.comparisons, a.threshold_weight, a.veto_weight) == (b.version, &b.comparisons, b.threshold_weight, b.veto_weight)
}

/// The stored model in force, checked against this engine's comparisons.
pub(crate) fn read_model(json: &str) -> Result<Model, Error> {
    let m: Model = serde_json::from_str(json).map_err(|e| corrupt(format!("the model in force cannot be read: {e}")))?;
    m.check().map_err(|e| corrupt(format!("the model in force does not fit this engine ({e}): rebuild with --retrain")))?;
    Ok(m)
}

fn corrupt(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::Corrupt(what.into()))
}

/// Adds a batch of people rows to the population held in `store` (linking everything the store
/// holds on first use), as one transaction with the import of the rows.
///
/// # Errors
///
/// [`ErrorKind::DuplicateRecord`] for a batch naming a record twice, [`ErrorKind::ModelMismatch`]
/// when `options` gives a model other than the one in force without `retrain`,
/// [`ErrorKind::EngineMismatch`] for an index built by another engine (unless `retrain`), and
/// the store's errors. Nothing is changed then.
pub fn update(store: &mut Store, people: &[Involvement], summary: Summary, options: &Options) -> Result<Report, Error> {
    let export = Export { people: people.to_vec(), ..Export::default() };
    update_export(store, &export, summary, options).map(|(_, report)| report)
}

/// [`update`] for a whole export (incidents, people and orders, as `conduct ingest` reads it):
/// the export is imported and its people rows added to the population in one transaction.
/// Returns the import's report with the update's.
///
/// # Errors
///
/// As [`update`].
pub fn update_export(
    store: &mut Store,
    export: &Export,
    summary: Summary,
    options: &Options,
) -> Result<(conduct_store::ImportReport, Report), Error> {
    let path = store.path().to_path_buf();
    // With `checkpoint_later`, the commit runs no checkpoint: `write_persons` will.
    let automatic = store.sqlite().filter(|_| options.checkpoint_later).and_then(|db| {
        let pages = db.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get::<_, i64>(0)).ok()?;
        db.pragma_update(None, "wal_autocheckpoint", 0).ok().map(|()| pages)
    });
    // The setting is the connection's: it is restored however the update ends, a panic
    // included (a caller that catches it and keeps the connection would otherwise never
    // checkpoint again, and the log would grow batch by batch).
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| update_export_in(store.conn(), &path, export, summary, options)));
    if let (Some(pages), Some(db)) = (automatic, store.sqlite()) {
        let _ = db.pragma_update(None, "wal_autocheckpoint", pages);
    }
    done.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// [`update_export`] on a connection the caller holds (the dashboard's, which publishes the
/// population's persons), `path` naming its database in errors. [`Options::checkpoint_later`]
/// is not followed here: the commit checkpoints as SQLite does by itself.
///
/// # Errors
///
/// As [`update`].
pub fn update_export_in(
    conn: &mut Conn,
    path: &Path,
    export: &Export,
    summary: Summary,
    options: &Options,
) -> Result<(conduct_store::ImportReport, Report), Error> {
    let started = Instant::now();
    let mut work_time = 0.0;
    let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        conduct_store::write_transaction(conn, path, |c| {
            let (import, mut report) = update_in(c, path, export, summary, options)?;
            if options.retrain && !report.first {
                let started = Instant::now();
                report.retrained = Some(relink(c, options.link.model.clone(), &options.link, report.batch)?);
                report.stages.push(("retrain", started.elapsed().as_secs_f64()));
                report.persons = live_persons(c)?;
            }
            failpoint();
            work_time = started.elapsed().as_secs_f64();
            Ok::<_, Error>((import, report))
        })
    }));
    let (import, mut report) = done.unwrap_or_else(|panic| {
        // Nor is the transaction left open on the connection.
        let _ = conn.batch("ROLLBACK");
        std::panic::resume_unwind(panic)
    })?;
    report.stages.push(("commit", started.elapsed().as_secs_f64() - work_time));
    Ok((import, report))
}

/// Copies what the workspace's write-ahead log holds into the database file, on a connection of
/// its own, without waiting for readers or writers (what it cannot copy now, a later checkpoint
/// does). An error only leaves the copying to a later checkpoint.
fn checkpoint(path: &Path) {
    let Ok(db) = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return;
    };
    let _ = db.query_row("PRAGMA main.wal_checkpoint(PASSIVE)", [], |_| Ok(()));
}

/// Whether the store holds a linked population (so that an import should update it).
///
/// # Errors
///
/// The store's, when the query fails.
pub fn has_population(store: &mut Store) -> Result<bool, Error> {
    Ok(index::state(store.conn())?.is_some())
}

#[cfg(test)]
thread_local! {
    /// A unit test's panic inside an update's transaction, just before its commit.
    static PANIC_BEFORE_COMMIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A test hook: with `CONDUCT_FAILPOINT_UPDATE_STALL` set, the update stops after all its
/// writes and before its commit, says so on stderr and waits, so a test can kill it there.
/// Only in a build with the `failpoints` feature.
fn failpoint() {
    #[cfg(test)]
    if PANIC_BEFORE_COMMIT.with(std::cell::Cell::get) {
        panic!("a test's panic before the commit");
    }
    #[cfg(feature = "failpoints")]
    if std::env::var_os("CONDUCT_FAILPOINT_UPDATE_STALL").is_some() {
        eprintln!("failpoint: update stalled before its commit");
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

fn live_persons(c: &mut Conn) -> Result<i64, Error> {
    let next = c.query_one("SELECT next_person FROM population WHERE id = 1", &[])?.and_then(|r| r[0].int()).unwrap_or(1);
    let gone = c.query_one("SELECT count(*) FROM person_redirects", &[])?.and_then(|r| r[0].int()).unwrap_or(0);
    Ok(next - 1 - gone)
}

fn record_count(c: &mut Conn) -> Result<i64, Error> {
    Ok(c.query_one("SELECT count(*) FROM population_records", &[])?.and_then(|r| r[0].int()).unwrap_or(0))
}

/// The batch size from which an update reads its candidates on reader connections beside its
/// own (each costs about a millisecond to open), unless [`Options::reader_threads`] says.
const READERS_FROM: usize = 1000;

/// A record to (re-)cluster, in the order of the local arrays.
struct Local {
    rec: Rec,
    row: Involvement,
    feats: Features,
    /// Its person before the update (None for a new record).
    old: Option<PersonNumber>,
}

/// An indexed record as an update compares it.
struct Held {
    person: PersonNumber,
    /// Its features: as stored, or normalised from its row when the index holds none it can read.
    feats: Features,
    /// Its row, when it was read (boxed: most records are compared without it, and the
    /// features alone are large).
    row: Option<Box<Involvement>>,
    /// Normalised from its row for want of stored features (`Some`), and whether an unreadable
    /// text is stored that the features must replace.
    backfill: Option<bool>,
}

/// Records as an update compares them, by number: their persons and stored features, each
/// record the index holds no readable features for normalised from its row instead (a
/// population indexed before schema step 9). Records the index does not hold are left out.
fn read_held(c: &mut Conn, readers: &mut [rusqlite::Connection], recs: &[Rec], nick: &Nicknames) -> Result<BTreeMap<Rec, Held>, Error> {
    let raw = index::features_on(c, readers, recs)?;
    let decoded: Vec<Option<Features>> = raw.par_iter().map(|(_, _, text)| text.as_deref().and_then(features::decode)).collect();
    let mut out: Vec<(Rec, Held)> = Vec::with_capacity(raw.len());
    let mut unstored: HashMap<Rec, bool> = HashMap::new();
    for ((rec, person, text), f) in raw.into_iter().zip(decoded) {
        match f {
            Some(feats) => out.push((rec, Held { person, feats, row: None, backfill: None })),
            None => {
                unstored.insert(rec, text.is_some());
            }
        }
    }
    if !unstored.is_empty() {
        let recs: Vec<Rec> = unstored.keys().copied().collect();
        let rows = index::by_recs(c, &recs)?;
        let feats: Vec<Features> = rows.par_iter().map(|s| normalise(&s.row, nick)).collect();
        for (s, feats) in rows.into_iter().zip(feats) {
            let replace = unstored.get(&s.rec).copied().unwrap_or(false);
            out.push((s.rec, Held { person: s.person, feats, row: Some(Box::new(s.row)), backfill: Some(replace) }));
        }
    }
    // In record order: the map is then built without splitting nodes.
    out.sort_by_key(|h| h.0);
    Ok(out.into_iter().collect())
}

fn update_in(
    c: &mut Conn,
    path: &Path,
    export: &Export,
    summary: Summary,
    options: &Options,
) -> Result<(conduct_store::ImportReport, Report), Error> {
    let people = &export.people;
    let mut clock = Instant::now();
    let mut stages: Vec<(&'static str, f64)> = Vec::new();
    let mut lap = |name: &'static str| {
        stages.push((name, clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let mut seen: HashSet<(u8, &str)> = HashSet::with_capacity(people.len());
    for r in people {
        if !seen.insert((r.force.id(), r.record_id.as_str())) {
            return Err(Error::new(ErrorKind::DuplicateRecord(format!("{} of {}", r.record_id, r.force.name()))));
        }
    }
    let Some(mut st) = index::state(c)? else {
        let (import, mut report) = first(c, path, export, summary, &options.link)?;
        report.stages.splice(0..0, stages);
        return Ok((import, report));
    };
    if st.engine != engine() {
        if options.retrain {
            // The keys are another engine's: import the rows, add the new ones to the population
            // as persons of their own, and let the re-link that follows rebuild everything.
            return append_for_relink(c, path, export, summary, st, &mut stages);
        }
        return Err(Error::new(ErrorKind::EngineMismatch { stored: st.engine, current: engine() }));
    }
    let model = read_model(&st.model)?;
    if let Some(given) = &options.link.model
        && !options.retrain
        && !same_model(given, &model)
    {
        return Err(Error::new(ErrorKind::ModelMismatch));
    }
    let batch = st.batches + 1;
    let nick = Nicknames::builtin();
    let held = record_count(c)? as usize;

    // 1. New, changed and unchanged rows; the changed rows' old features (to take their keys
    //    and name counts out) and persons.
    let mut report =
        Report { batch, rows: people.len(), model_used: format!("the model in force ({})", model.notes.source), ..Report::default() };
    let mut work: Vec<Local> = Vec::new();
    let mut leaving: Vec<(Rec, Features)> = Vec::new();
    let mut next_rec = index::next_rec(c)?;
    let keys: Vec<(u8, &str)> = people.iter().map(|r| (r.force.id(), r.record_id.as_str())).collect();
    let mut held_before: Vec<Option<Stored>> = vec![None; people.len()];
    for (i, s) in index::by_keys(c, &keys)? {
        if let Some(slot) = held_before.get_mut(i) {
            *slot = Some(s);
        }
    }
    for (r, held) in people.iter().zip(held_before) {
        match held {
            None => {
                work.push(Local { rec: next_rec, row: r.clone(), feats: Features::default(), old: None });
                next_rec += 1;
                report.new += 1;
            }
            Some(s) if s.row == *r => report.unchanged += 1,
            Some(s) => {
                leaving.push((s.rec, normalise(&s.row, &nick)));
                work.push(Local { rec: s.rec, row: r.clone(), feats: Features::default(), old: Some(s.person) });
                report.changed += 1;
            }
        }
    }
    // Withdrawn records: what the population holds of them.
    let mut gone: Vec<(Stored, Features)> = Vec::new();
    if !options.withdrawn.is_empty() {
        let in_batch: HashSet<(u8, &str)> = keys.iter().copied().collect();
        let wkeys: Vec<(u8, &str)> = options.withdrawn.iter().map(|(f, id)| (f.id(), id.as_str())).collect();
        if let Some((f, id)) = wkeys.iter().find(|k| in_batch.contains(k)) {
            let force = conduct_domain::Force::from_id(*f).map_or("?", |f| f.name());
            return Err(Error::new(ErrorKind::DuplicateRecord(format!("{id} of {force}, both in the batch and withdrawn"))));
        }
        for (_, s) in index::by_keys(c, &wkeys)? {
            let f = normalise(&s.row, &nick);
            gone.push((s, f));
        }
        report.withdrawn = gone.len();
        report.withdrawn_not_held = wkeys.len() - gone.len();
    }
    lap("classify");
    let import = conduct_store::import_records_in(c, path, export, summary)?;
    lap("import");
    for (s, f) in &gone {
        index::delete_keys(c, s.rec, f)?;
        index::delete_record(c, s.rec, s.row.force.id(), &s.row.record_id)?;
    }
    if work.is_empty() && gone.is_empty() {
        st.batches = batch;
        index::put_state(c, &st)?;
        report.records = record_count(c)?;
        report.persons = live_persons(c)?;
        report.stages = stages;
        return Ok((import, report));
    }
    let feats: Vec<Features> = work.par_iter().map(|w| normalise(&w.row, &nick)).collect();
    for (w, f) in work.iter_mut().zip(feats) {
        w.feats = f;
    }
    for (rec, f) in &leaving {
        index::delete_keys(c, *rec, f)?;
    }
    // The model in force, for the population this batch makes.
    let model = model_for(&model, (held + report.new).saturating_sub(gone.len()));
    {
        let mut changes: Vec<(&Features, i64)> = leaving.iter().map(|(_, f)| (f, -1)).collect();
        changes.extend(gone.iter().map(|(_, f)| (f, -1)));
        changes.extend(work.iter().map(|w| (&w.feats, 1)));
        names::apply(c, &changes, &mut st.totals)?;
    }
    lap("counts");

    // 2. Candidates through the index.
    let cap = options.link.max_block_size.max(2);
    let work_recs: BTreeSet<Rec> = work.iter().map(|w| w.rec).collect();
    let keys: Vec<(usize, i64, i64)> =
        work.iter().enumerate().flat_map(|(i, w)| index::keys_of(&w.feats).into_iter().map(move |(k, nb)| (i, k, nb))).collect();
    // Until the writes below, the index the update reads is the one last committed but for the
    // keys, records and features of changed and withdrawn records taken out above. With none
    // of those, reader connections see the same index, and a large batch's reads of candidates
    // are shared with them (one per further core).
    let wanted = match options.reader_threads {
        Some(n) => n,
        None if work.len() >= READERS_FROM => std::thread::available_parallelism().map_or(1, |n| n.get()).min(4) - 1,
        None => 0,
    };
    // Readers open the connection's own file: `path` only names the database in messages (a
    // publication's is "the database"). Asked on SQLite only: the question is a PRAGMA, which
    // on PostgreSQL would fail and abort the transaction.
    let file = if c.is_postgres() { None } else { c.sqlite_file("main").filter(|f| !f.is_empty()) };
    let mut readers = match file {
        Some(file) if leaving.is_empty() && gone.is_empty() && wanted > 0 => index::readers(Path::new(&file), wanted),
        _ => Vec::new(),
    };
    report.readers = readers.len();
    let mut cand_of = index::candidates_on(c, &mut readers, &keys, work.len(), cap, WINDOW)?;
    for set in &mut cand_of {
        set.retain(|r| !work_recs.contains(r));
    }
    let all_cands: BTreeSet<Rec> = cand_of.iter().flatten().copied().collect();
    report.candidates = all_cands.len();
    lap("candidate keys");
    let all_cands: Vec<Rec> = all_cands.into_iter().collect();
    let mut loaded = read_held(c, &mut readers, &all_cands, &nick)?;
    lap("candidates");

    // 3. Score new against existing; the persons they could join are touched.
    let w8 = model.weights();
    let tf = names::frequencies(c, work.iter().map(|w| &w.feats).chain(loaded.values().map(|h| &h.feats)), &st.totals)?;
    let reach = model.threshold_weight - SHARED_ASSOCIATE_WEIGHT;
    let mut touched: BTreeSet<PersonNumber> = work.iter().filter_map(|w| w.old).collect();
    touched.extend(gone.iter().map(|(s, _)| s.person));
    let within_reach: Vec<Vec<PersonNumber>> = work
        .par_iter()
        .zip(&cand_of)
        .map(|(w, cands)| {
            let adj = tf_adjustment(&w.feats, &tf, &w8);
            cands
                .iter()
                .filter_map(|rec| loaded.get(rec))
                .filter(|h| {
                    let adj = pair_adjustment(adj, tf_adjustment(&h.feats, &tf, &w8));
                    f64::from(pair_weight(&w8, adj, &compare(&w.feats, &h.feats))) >= reach
                })
                .map(|h| h.person)
                .collect()
        })
        .collect();
    touched.extend(within_reach.into_iter().flatten());
    report.touched_persons = touched.len();
    lap("score");

    // 4. Every record of the touched persons joins the new ones.
    let touched: Vec<PersonNumber> = touched.into_iter().collect();
    let mut members: BTreeSet<Rec> = index::recs_of_persons(c, &touched)?.into_iter().collect();
    members.retain(|r| !work_recs.contains(r));
    let missing: Vec<Rec> = members.iter().copied().filter(|r| !loaded.contains_key(r)).collect();
    loaded.extend(read_held(c, &mut readers, &missing, &nick)?);
    // Their rows: the clustering reads their reports, the history their record ids. (Readers
    // are used only for a batch that changes no record, so these rows are as committed.)
    let rowless: Vec<Rec> = members.iter().copied().filter(|r| loaded.get(r).is_some_and(|h| h.row.is_none())).collect();
    let rows = index::by_recs_on(c, &mut readers, &rowless)?;
    drop(readers);
    for s in rows {
        if let Some(h) = loaded.get_mut(&s.rec) {
            h.row = Some(Box::new(s.row));
        }
    }
    // Records normalised from their rows because the index held no features for them (a
    // population indexed before schema step 9): their features are stored with this update.
    let backfill: Vec<(Rec, Features, bool)> =
        loaded.iter().filter_map(|(&rec, h)| h.backfill.map(|replace| (rec, h.feats.clone(), replace))).collect();
    let mut local = work;
    local.reserve(members.len());
    for &rec in &members {
        if let Some(Held { person, feats, row: Some(row), .. }) = loaded.remove(&rec) {
            local.push(Local { rec, row: *row, feats, old: Some(person) });
        }
    }
    drop(loaded);
    // In record order (the order records were first imported), so that the work is laid out
    // alike on every run. Blocking windows and the clustering break ties by the records' ranks
    // ([`record_order`]), as a full link of the population does, not by these positions.
    local.sort_by_key(|l| l.rec);
    let n_s = local.len();
    report.reclustered = n_s;

    // 5. Pairs among them, as a full link blocks and weighs them.
    let feats_s: Vec<Features> = local.iter().map(|l| l.feats.clone()).collect();
    let mut rows_l: Vec<Involvement> = local.iter().map(|l| l.row.clone()).collect();
    let tf = names::frequencies(c, &feats_s, &st.totals)?;
    let blocking = block(&feats_s, &record_order(&rows_l), RULES, cap);
    let adj = tf_adjustments(&feats_s, &tf, &w8);
    let patterns: Vec<Pattern> = blocking.pairs.par_iter().map(|&(a, b)| compare(&feats_s[a as usize], &feats_s[b as usize])).collect();
    let scored: Vec<(u32, u32, f32)> = blocking
        .pairs
        .iter()
        .zip(&patterns)
        .map(|(&(a, b), p)| (a, b, pair_weight(&w8, pair_adjustment(adj[a as usize], adj[b as usize]), p)))
        .collect();
    drop(blocking);
    lap("recluster pairs");

    // 6. Associates: the other records of the reports of records that a shared associate
    //    could join (pairs below the threshold that the lift would carry over it).
    let lift = SHARED_ASSOCIATE_WEIGHT as f32;
    let thr = model.threshold_weight;
    let mut reports: BTreeSet<(u8, String)> = BTreeSet::new();
    for &(a, b, w) in &scored {
        if f64::from(w) < thr && f64::from(w + lift) >= thr {
            for x in [a, b] {
                let r = &local[x as usize].row;
                reports.insert((r.force.id(), r.incident_ref.to_string()));
            }
        }
    }
    let in_s: HashSet<Rec> = local.iter().map(|l| l.rec).collect();
    let mut companions: BTreeMap<Rec, Stored> = BTreeMap::new();
    let wanted: Vec<(u8, &str)> = reports.iter().map(|(f, r)| (*f, r.as_str())).collect();
    let at_hand: HashSet<(u8, &str)> = local.iter().map(|l| (l.row.force.id(), l.row.record_id.as_str())).collect();
    for s in index::of_reports(c, &wanted, |f, id| at_hand.contains(&(f, id)))? {
        if !in_s.contains(&s.rec) {
            companions.insert(s.rec, s);
        }
    }
    report.associates = companions.len();
    let mut feats_l = feats_s;
    let mut fixed: Vec<(u32, u32)> = Vec::new();
    let mut first_of: HashMap<PersonNumber, u32> = HashMap::new();
    let companions: Vec<Stored> = companions.into_values().collect();
    feats_l.par_extend(companions.par_iter().map(|s| normalise(&s.row, &nick)));
    lap("associates");
    for s in companions {
        let i = rows_l.len() as u32;
        rows_l.push(s.row);
        match first_of.get(&s.person) {
            Some(&j) => fixed.push((j, i)),
            None => {
                first_of.insert(s.person, i);
            }
        }
    }
    let (clustering, _) = cluster_scored(&rows_l, &record_order(&rows_l), &feats_l, &scored, &model, &fixed);
    let mut dense: HashMap<u32, u32> = HashMap::new();
    let group: Vec<u32> = clustering.person[..n_s]
        .iter()
        .map(|&g| {
            let n = dense.len() as u32;
            *dense.entry(g).or_insert(n)
        })
        .collect();
    lap("cluster");

    // 7. Ids, history, and the writes.
    let old: Vec<Option<PersonNumber>> = local.iter().map(|l| l.old).collect();
    let before_next = st.next_person;
    let a = assign(&old, &group, dense.len(), &mut st.next_person);
    report.new_persons = (st.next_person - before_next) as usize;
    let new_recs: Vec<(Rec, u8, &str, PersonNumber)> = local
        .iter()
        .zip(&group)
        .filter(|(l, _)| l.old.is_none())
        .map(|(l, &g)| (l.rec, l.row.force.id(), l.row.record_id.as_str(), a.ids[g as usize]))
        .collect();
    index::insert_records(c, &new_recs, batch)?;
    for (l, &g) in local.iter().zip(&group) {
        let p = a.ids[g as usize];
        if l.old.is_some() && l.old != Some(p) {
            index::set_person(c, l.rec, p)?;
        }
    }
    let keyed: Vec<(Rec, &Features)> = local.iter().filter(|l| work_recs.contains(&l.rec)).map(|l| (l.rec, &l.feats)).collect();
    index::insert_recent_keys(c, &keyed)?;
    // Features: the new records', the changed records' in place of those before, and those
    // normalised for want of stored ones.
    for replace in [false, true] {
        let mut put: Vec<(Rec, &Features)> =
            local.iter().filter(|l| work_recs.contains(&l.rec) && l.old.is_some() == replace).map(|l| (l.rec, &l.feats)).collect();
        put.extend(backfill.iter().filter(|b| b.2 == replace).map(|b| (b.0, &b.1)));
        index::put_features(c, &put, replace)?;
    }
    report.records = held as i64 + report.new as i64 - gone.len() as i64;
    report.keys_merged = index::merge_keys(c, report.records, &keyed)?;
    let history = Words::new(&local, &group, &a.ids, &scored, &patterns, &model);
    for r in &a.redirects {
        let (from, to) = (r.earlier, r.successor);
        index::redirect(c, from, to, batch)?;
        let moved = history.records_of(r.home as u32, from);
        let reason = history.why_merged(from, to, r.home);
        index::event(c, batch, Change::Merge, to, from, &moved, &reason)?;
        report.merges += 1;
    }
    for &(from, g) in &a.splits {
        let to = a.ids[g];
        let moved = history.records_of(g as u32, from);
        let reason = history.why_split(from, g as u32);
        index::event(c, batch, Change::Split, from, to, &moved, &reason)?;
        report.splits += 1;
    }
    // Every other record whose person changed moved from one person to another: those of a
    // merged person that went elsewhere than its successor, and records between two persons
    // that both go on.
    let successor: HashMap<PersonNumber, PersonNumber> = a.redirects.iter().map(|r| (r.earlier, r.successor)).collect();
    let split_off: HashSet<(PersonNumber, PersonNumber)> = a.splits.iter().map(|&(from, g)| (from, a.ids[g])).collect();
    let mut moves: BTreeMap<(PersonNumber, PersonNumber), Vec<usize>> = BTreeMap::new();
    for (i, l) in local.iter().enumerate() {
        if let Some(o) = l.old {
            let p = a.ids[group[i] as usize];
            if p != o && successor.get(&o) != Some(&p) && !split_off.contains(&(o, p)) {
                moves.entry((o, p)).or_default().push(i);
            }
        }
    }
    for ((from, to), idx) in moves {
        let moved: Vec<String> = idx.iter().map(|&i| local[i].row.record_id.to_string()).collect();
        let reason = history.why_moved(&idx, to);
        index::event(c, batch, Change::Move, to, from, &moved, &reason)?;
        report.moves += 1;
    }
    // Withdrawals: an event on each person that lost records; a person left with none is gone
    // (its id redirects to 0, "withdrawn", and is never given again).
    let mut lost: BTreeMap<PersonNumber, Vec<String>> = BTreeMap::new();
    for (s, _) in &gone {
        lost.entry(s.person).or_default().push(s.row.record_id.to_string());
    }
    let remaining: HashSet<PersonNumber> = local.iter().filter_map(|l| l.old).collect();
    for (p, records) in lost {
        let left = remaining.contains(&p);
        let reason = if left {
            format!("{} records withdrawn by the force; the person's other records were re-clustered", records.len())
        } else {
            format!("{} records withdrawn by the force; none left, so the id is retired", records.len())
        };
        index::event(c, batch, Change::Withdraw, p, 0, &records, &reason)?;
        if !left {
            index::redirect(c, p, 0, batch)?;
        }
    }
    st.batches = batch;
    index::put_state(c, &st)?;
    report.persons = live_persons(c)?;
    lap("write");
    report.stages = stages;
    Ok((import, report))
}

/// `--update --retrain` on an index built by another engine: the batch is imported and its new
/// records added, each a person of its own, without reading the stale keys; the re-link that
/// follows in the same transaction links and re-keys the whole population.
fn append_for_relink(
    c: &mut Conn,
    path: &Path,
    export: &Export,
    summary: Summary,
    mut st: State,
    stages: &mut Vec<(&'static str, f64)>,
) -> Result<(conduct_store::ImportReport, Report), Error> {
    let people = &export.people;
    let keys: Vec<(u8, &str)> = people.iter().map(|r| (r.force.id(), r.record_id.as_str())).collect();
    let held: HashSet<usize> = index::by_keys(c, &keys)?.into_iter().map(|(i, _)| i).collect();
    let import = conduct_store::import_records_in(c, path, export, summary)?;
    let batch = st.batches + 1;
    let mut rec = index::next_rec(c)?;
    let mut new = Vec::new();
    for (i, r) in people.iter().enumerate() {
        if !held.contains(&i) {
            new.push((rec, r.force.id(), r.record_id.as_str(), st.next_person));
            rec += 1;
            st.next_person += 1;
        }
    }
    index::insert_records(c, &new, batch)?;
    st.batches = batch;
    index::put_state(c, &st)?;
    let report = Report {
        batch,
        rows: people.len(),
        new: new.len(),
        unchanged: people.len() - new.len(),
        new_persons: new.len(),
        records: record_count(c)?,
        model_used: "re-linked with --retrain (the index was another engine's)".into(),
        stages: std::mem::take(stages),
        ..Report::default()
    };
    Ok((import, report))
}

/// Words for the history's events. Each event looks only at its own groups' records and
/// pairs (indexed once), so a batch's events cost in proportion to the records and pairs they
/// name, not to the batch's pairs for each event.
struct Words<'a> {
    local: &'a [Local],
    group: &'a [u32],
    scored: &'a [(u32, u32, f32)],
    patterns: &'a [Pattern],
    model: &'a Model,
    /// Each group's records, in record order.
    members: Vec<Vec<usize>>,
    /// The pairs between two groups (the lower group first; both the same for pairs within one),
    /// in the order of `scored`.
    between: HashMap<(u32, u32), Vec<usize>>,
    /// Each person's group after the update (its first, as a search from the start finds it).
    group_of: HashMap<PersonNumber, u32>,
}

impl<'a> Words<'a> {
    fn new(
        local: &'a [Local],
        group: &'a [u32],
        ids: &[PersonNumber],
        scored: &'a [(u32, u32, f32)],
        patterns: &'a [Pattern],
        model: &'a Model,
    ) -> Words<'a> {
        let groups = group.iter().map(|&g| g as usize + 1).max().unwrap_or(0).max(ids.len());
        let mut members = vec![Vec::new(); groups];
        for (i, &g) in group.iter().enumerate() {
            members[g as usize].push(i);
        }
        let mut between: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
        for (k, &(a, b, _)) in scored.iter().enumerate() {
            let (x, y) = (group[a as usize], group[b as usize]);
            between.entry((x.min(y), x.max(y))).or_default().push(k);
        }
        let mut group_of = HashMap::with_capacity(ids.len());
        for (g, &p) in ids.iter().enumerate() {
            group_of.entry(p).or_insert(g as u32);
        }
        Words { local, group, scored, patterns, model, members, between, group_of }
    }

    /// The record ids of group `g`'s records that belonged to `from` before the update.
    fn records_of(&self, g: u32, from: PersonNumber) -> Vec<String> {
        let members = self.members.get(g as usize).map_or(&[][..], Vec::as_slice);
        members.iter().filter(|&&i| self.local[i].old == Some(from)).map(|&i| self.local[i].row.record_id.to_string()).collect()
    }

    /// The strongest pair between groups `x` and `y` (the same group for pairs within one)
    /// across the two sides (`side` true for one, false for the other), with its levels.
    fn strongest(&self, x: u32, y: u32, side: impl Fn(usize) -> bool) -> Option<(usize, usize, f32, &Pattern)> {
        let pairs = self.between.get(&(x.min(y), x.max(y)))?;
        pairs
            .iter()
            .map(|&k| (&self.scored[k], &self.patterns[k]))
            .filter(|((a, b, _), _)| side(*a as usize) != side(*b as usize))
            .max_by(|x, y| x.0.2.total_cmp(&y.0.2))
            .map(|(&(a, b, w), p)| (a as usize, b as usize, w, p))
    }

    fn pair_words(&self, a: usize, b: usize, w: f32, p: &Pattern) -> String {
        let levels: Vec<String> = p
            .iter()
            .enumerate()
            .filter(|(_, l)| **l > 0)
            .map(|(c, &l)| format!("{} {}", COMPARISONS[c].name, COMPARISONS[c].levels[l as usize - 1]))
            .collect();
        format!("{} ~ {}: {:.1} bits ({})", self.local[a].row.record_id, self.local[b].row.record_id, w, levels.join(", "))
    }

    fn why_merged(&self, from: PersonNumber, to: PersonNumber, home: usize) -> String {
        let home = home as u32;
        match self.strongest(home, home, |i| self.local[i].old == Some(from)) {
            Some((a, b, w, p)) => format!(
                "{} joined {} on {} (threshold {:.1} bits)",
                person_label(from),
                person_label(to),
                self.pair_words(a, b, w, p),
                self.model.threshold_weight
            ),
            None => format!("{} joined {} through a shared associate", person_label(from), person_label(to)),
        }
    }

    fn why_moved(&self, moved: &[usize], to: PersonNumber) -> String {
        let Some(&g) = self.group_of.get(&to) else { return String::new() };
        let side: HashSet<usize> = moved.iter().copied().collect();
        match self.strongest(g, g, |i| side.contains(&i)) {
            Some((a, b, w, p)) => format!(
                "re-clustered with the batch: {} records joined {} on {} (threshold {:.1} bits)",
                moved.len(),
                person_label(to),
                self.pair_words(a, b, w, p),
                self.model.threshold_weight
            ),
            None => format!("re-clustered with the batch: {} records joined {} through a shared associate", moved.len(), person_label(to)),
        }
    }

    fn why_split(&self, from: PersonNumber, g: u32) -> String {
        // The pairs between the part that left (group `g`) and the part that kept the id.
        let strongest =
            self.group_of.get(&from).filter(|&&kept| kept != g).and_then(|&kept| self.strongest(g, kept, |i| self.group[i] == g));
        match strongest {
            Some((a, b, w, p)) => format!(
                "re-clustered with the batch: the strongest link between the parts is {}; a join below the threshold ({:.1} bits) or refused as a contradiction",
                self.pair_words(a, b, w, p),
                self.model.threshold_weight
            ),
            None => "re-clustered with the batch: no candidate pair links the parts".into(),
        }
    }
}

/// The first batch: everything the store holds (this batch and any people imported before) is
/// linked from scratch and indexed.
fn first(
    c: &mut Conn,
    path: &Path,
    export: &Export,
    summary: Summary,
    link: &LinkOptions,
) -> Result<(conduct_store::ImportReport, Report), Error> {
    let started = Instant::now();
    let people = &export.people;
    let before = c.query_one("SELECT count(*) FROM people", &[])?.and_then(|r| r[0].int()).unwrap_or(0);
    let import_report = conduct_store::import_records_in(c, path, export, summary)?;
    let import = started.elapsed().as_secs_f64();
    let all = conduct_store::load_people(c)?;
    let linkage = conduct_resolve::link(&all, link)?;
    let linked = started.elapsed().as_secs_f64() - import;
    let person: Vec<PersonNumber> = linkage.person.iter().map(|&p| i64::from(p) + 1).collect();
    let next_person = person.iter().copied().max().unwrap_or(0) + 1;
    let model_used = linkage.stats.model_used.clone();
    write_all(c, &all, &person, &linkage.model, next_person, 1, None)?;
    let persons = live_persons(c)?;
    Ok((
        import_report,
        Report {
            batch: 1,
            first: true,
            rows: people.len(),
            new: all.len(),
            unchanged: before as usize,
            records: all.len() as i64,
            persons,
            new_persons: (next_person - 1) as usize,
            model_used,
            stages: vec![("import", import), ("link", linked), ("write", started.elapsed().as_secs_f64() - import - linked)],
            ..Report::default()
        },
    ))
}

/// Writes a whole population's index (into empty tables): records in `all`'s order as
/// `1..=n`, their keys, the name counts and the population row.
fn write_all(
    c: &mut Conn,
    all: &[Involvement],
    person: &[PersonNumber],
    model: &Model,
    next_person: PersonNumber,
    batches: i64,
    created_at: Option<String>,
) -> Result<State, Error> {
    let nick = Nicknames::builtin();
    let feats: Vec<Features> = all.par_iter().map(|r| normalise(r, &nick)).collect();
    let recs: Vec<(Rec, u8, &str, PersonNumber)> =
        all.iter().zip(person).enumerate().map(|(i, (r, &p))| (i as Rec + 1, r.force.id(), r.record_id.as_str(), p)).collect();
    c.execute("DELETE FROM population_records", &[])?;
    c.execute("DELETE FROM population_keys", &[])?;
    c.execute("DELETE FROM population_keys_recent", &[])?;
    c.execute("DELETE FROM population_identities", &[])?;
    c.execute("DELETE FROM population_names", &[])?;
    c.execute("DELETE FROM population_features", &[])?;
    index::insert_records(c, &recs, batches)?;
    let keyed: Vec<(Rec, &Features)> = feats.iter().enumerate().map(|(i, f)| (i as Rec + 1, f)).collect();
    index::insert_keys(c, &keyed)?;
    index::put_features(c, &keyed, false)?;
    let (ids, name_rows, totals): (_, _, Totals) = names::count_all(&feats);
    names::write_all(c, &ids, &name_rows)?;
    let st = State {
        model: serde_json::to_string(model).map_err(|e| corrupt(format!("the model cannot be written: {e}")))?,
        engine: engine(),
        next_person,
        batches,
        created_at: created_at.unwrap_or_else(conduct_store::now),
        totals,
    };
    index::put_state(c, &st)?;
    Ok(st)
}

/// Every record of the population with its person, in record order.
fn everything(c: &mut Conn) -> Result<Vec<Stored>, Error> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let recs: Vec<Rec> = c
            .query("SELECT rec FROM population_records WHERE rec > ? ORDER BY rec LIMIT 65536", &[Value::Int(after)])?
            .iter()
            .filter_map(|r| r[0].int())
            .collect();
        let Some(&last) = recs.last() else { break };
        out.extend(index::by_recs(c, &recs)?);
        after = last;
    }
    Ok(out)
}

/// Re-links the whole population with `model` (or a model fitted afresh), keeping ids by the
/// rule of [`crate::ids`], inside the caller's transaction.
fn relink(c: &mut Conn, model: Option<Model>, link: &LinkOptions, batch: i64) -> Result<Retrained, Error> {
    let st = index::state(c)?.ok_or_else(|| Error::new(ErrorKind::NoPopulation))?;
    let old_model: Option<Model> = read_model(&st.model).ok();
    let all = everything(c)?;
    let rows: Vec<Involvement> = all.iter().map(|s| s.row.clone()).collect();
    let options = LinkOptions { model, ..link.clone() };
    let linkage = conduct_resolve::link(&rows, &options)?;
    let groups = linkage.person.iter().copied().max().map_or(0, |m| m as usize + 1);
    let old: Vec<Option<PersonNumber>> = all.iter().map(|s| Some(s.person)).collect();
    let mut next = st.next_person;
    let a = assign(&old, &linkage.person, groups, &mut next);
    let person: Vec<PersonNumber> = linkage.person.iter().map(|&g| a.ids[g as usize]).collect();
    let before: Vec<PersonNumber> = all.iter().map(|s| s.person).collect();
    let agreement = Agreement::of(&before, &person);
    // Records keep their numbers: rewrite the index over them.
    let moved = before.iter().zip(&person).filter(|(x, y)| x != y).count();
    let recs: Vec<(Rec, PersonNumber)> = all.iter().map(|s| s.rec).zip(person.iter().copied()).collect();
    let nick = Nicknames::builtin();
    let feats: Vec<Features> = rows.par_iter().map(|r| normalise(r, &nick)).collect();
    c.execute("DELETE FROM population_keys", &[])?;
    c.execute("DELETE FROM population_keys_recent", &[])?;
    c.execute("DELETE FROM population_identities", &[])?;
    c.execute("DELETE FROM population_names", &[])?;
    c.execute("DELETE FROM population_features", &[])?;
    for (&(rec, p), &b) in recs.iter().zip(&before) {
        if p != b {
            index::set_person(c, rec, p)?;
        }
    }
    let keyed: Vec<(Rec, &Features)> = recs.iter().map(|r| r.0).zip(feats.iter()).collect();
    index::insert_keys(c, &keyed)?;
    index::put_features(c, &keyed, false)?;
    let (ids, name_rows, totals) = names::count_all(&feats);
    names::write_all(c, &ids, &name_rows)?;
    let reason = format!("re-linked with {}", linkage.stats.model_used);
    for r in &a.redirects {
        let (from, to) = (r.earlier, r.successor);
        index::redirect(c, from, to, batch)?;
        let moved: Vec<String> =
            all.iter().zip(&person).filter(|(s, p)| s.person == from && **p == to).map(|(s, _)| s.row.record_id.to_string()).collect();
        index::event(c, batch, Change::Merge, to, from, &moved, &reason)?;
    }
    for &(from, g) in &a.splits {
        let moved: Vec<String> = all
            .iter()
            .zip(&linkage.person)
            .filter(|(s, gg)| s.person == from && **gg as usize == g)
            .map(|(s, _)| s.row.record_id.to_string())
            .collect();
        index::event(c, batch, Change::Split, from, a.ids[g], &moved, &reason)?;
    }
    let model_json = serde_json::to_string(&linkage.model).map_err(|e| corrupt(format!("the model cannot be written: {e}")))?;
    let (largest_weight_change, prior_change) = match &old_model {
        Some(m) => drift(m, &linkage.model),
        None => (("(no readable model before)".into(), f64::NAN), f64::NAN),
    };
    index::put_state(
        c,
        &State { model: model_json, engine: engine(), next_person: next, batches: st.batches, created_at: st.created_at, totals },
    )?;
    Ok(Retrained {
        model_used: linkage.stats.model_used,
        largest_weight_change,
        prior_change,
        records_moved: moved,
        merges: a.redirects.len(),
        splits: a.splits.len(),
        agreement,
    })
}

/// The largest change of a level's weight between two models, and the change of the prior.
fn drift(a: &Model, b: &Model) -> ((String, f64), f64) {
    let (wa, wb) = (a.weights(), b.weights());
    let mut best = (String::new(), 0.0f64);
    for (c, spec) in COMPARISONS.iter().enumerate() {
        for (l, name) in spec.levels.iter().enumerate() {
            let d = wb.level[c][l + 1] - wa.level[c][l + 1];
            if d.is_finite() && d.abs() > best.1.abs() {
                best = (format!("{} {}", spec.name, name), d);
            }
        }
    }
    (best, wb.prior - wa.prior)
}

/// `conduct link --retrain` without a batch: re-estimates the model (or takes `model`) and
/// re-links the whole population, keeping ids, as one transaction.
///
/// # Errors
///
/// [`ErrorKind::NoPopulation`] when the workspace has none; the store's errors.
pub fn retrain(store: &mut Store, model: Option<Model>, link: &LinkOptions) -> Result<Retrained, Error> {
    let path = store.path().to_path_buf();
    conduct_store::write_transaction(store.conn(), &path, |c| {
        let st = index::state(c)?.ok_or_else(|| Error::new(ErrorKind::NoPopulation))?;
        let r = relink(c, model, link, st.batches)?;
        Ok(r)
    })
}

/// `conduct link --verify`: re-links the whole population from scratch with the model in force
/// and compares the persons with the incremental state. Changes nothing.
///
/// # Errors
///
/// [`ErrorKind::NoPopulation`] when the workspace has none; the store's errors.
pub fn verify(store: &mut Store, link: &LinkOptions) -> Result<Verification, Error> {
    let c = store.conn();
    // One snapshot: the records and persons read page by page are those of one committed state,
    // even while an update runs beside (SQLite: a read transaction; PostgreSQL: repeatable read).
    c.batch(if c.is_postgres() { "BEGIN ISOLATION LEVEL REPEATABLE READ" } else { "BEGIN" })?;
    let read = (|| -> Result<_, Error> {
        let st = index::state(c)?.ok_or_else(|| Error::new(ErrorKind::NoPopulation))?;
        let model = read_model(&st.model)?;
        Ok((model, everything(c)?))
    })();
    let _ = c.batch("COMMIT");
    let (model, all) = read?;
    let started = Instant::now();
    let rows: Vec<Involvement> = all.iter().map(|s| s.row.clone()).collect();
    let model = model_for(&model, rows.len());
    let linkage = conduct_resolve::link(&rows, &LinkOptions { model: Some(model), ..link.clone() })?;
    let seconds = started.elapsed().as_secs_f64();
    let incremental: Vec<PersonNumber> = all.iter().map(|s| s.person).collect();
    let full: Vec<PersonNumber> = linkage.person.iter().map(|&p| i64::from(p)).collect();
    let count = |v: &[PersonNumber]| v.iter().collect::<HashSet<_>>().len();
    Ok(Verification {
        records: all.len(),
        persons_incremental: count(&incremental),
        persons_full: count(&full),
        agreement: Agreement::of(&incremental, &full),
        seconds,
    })
}

/// The model in force in the workspace.
///
/// # Errors
///
/// [`ErrorKind::NoPopulation`]; [`ErrorKind::Corrupt`] when it cannot be read.
pub fn model_in_force(store: &mut Store) -> Result<Model, Error> {
    let c = store.conn();
    let st = index::state(c)?.ok_or_else(|| Error::new(ErrorKind::NoPopulation))?;
    let m = read_model(&st.model)?;
    Ok(model_for(&m, record_count(c)? as usize))
}

/// What the index says about person `asked` (`P0000123`).
///
/// # Errors
///
/// [`ErrorKind::UnknownPerson`] when no such id was ever given; [`ErrorKind::NoPopulation`].
pub fn history(store: &mut Store, asked: &str) -> Result<History, Error> {
    let c = store.conn();
    let st = index::state(c)?.ok_or_else(|| Error::new(ErrorKind::NoPopulation))?;
    let p = crate::ids::parse_person(asked)
        .filter(|&p| p < st.next_person)
        .ok_or_else(|| Error::new(ErrorKind::UnknownPerson(asked.to_string())))?;
    let current = c
        .query_one("SELECT to_person FROM person_redirects WHERE from_person = ?", &[Value::Int(p)])?
        .and_then(|r| r[0].int())
        .unwrap_or(p);
    let records: Vec<String> = c
        .query("SELECT record_id FROM population_records WHERE person = ? ORDER BY rec", &[Value::Int(current)])?
        .iter()
        .map(|r| r[0].text())
        .collect();
    let rows = c.query(
        "SELECT at, batch, kind, person, other, records, reason FROM person_events
         WHERE person IN (?, ?) OR other IN (?, ?) ORDER BY id",
        &[Value::Int(p), Value::Int(current), Value::Int(p), Value::Int(current)],
    )?;
    let events = rows
        .iter()
        .map(|r| Event {
            at: r[0].text(),
            batch: r[1].int().unwrap_or(0),
            kind: r[2].text(),
            person: person_label(r[3].int().unwrap_or(0)),
            other: match r[4].int().unwrap_or(0) {
                0 => String::new(),
                o => person_label(o),
            },
            records: serde_json::from_str(&r[5].text()).unwrap_or_default(),
            reason: r[6].text(),
        })
        .collect();
    let current = if current == 0 { "(withdrawn)".to_string() } else { person_label(current) };
    Ok(History { asked: person_label(p), current, records, events })
}

/// One row of `persons.csv`, byte for byte as the `csv` crate writes `[inert(id), label]`: an
/// id without a comma, quote or line break (nearly all) is written as it is, any other through
/// the crate.
fn persons_row(out: &mut impl std::io::Write, id: &str, person: PersonNumber) -> std::io::Result<()> {
    let cell = conduct_domain::cell::inert(id);
    if cell.is_empty() || cell.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([cell.as_ref(), person_label(person).as_str()]).map_err(|e| std::io::Error::other(e.to_string()))?;
        return out.write_all(&w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?);
    }
    out.write_all(cell.as_bytes())?;
    // As person_label writes it, without a String per row or the formatting machinery.
    match crate::ids::person_id(person) {
        Some(id) => {
            out.write_all(b",")?;
            out.write_all(id.written().as_bytes())?;
            out.write_all(b"\n")
        }
        None => writeln!(out, ",{person}"),
    }
}

/// Writes `persons.csv` (`record_id,person_id`) for every record of the population, in record
/// order, without holding the population in memory. Returns the rows written.
///
/// # Errors
///
/// [`ErrorKind::NoPopulation`]; [`ErrorKind::Io`] when the file cannot be written.
pub fn write_persons(store: &mut Store, path: &Path) -> Result<u64, Error> {
    let io = |e: std::io::Error| Error::new(ErrorKind::Io(std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display()))));
    let csv_err = |e: csv::Error| io(std::io::Error::other(e.to_string()));
    index::state(store.conn())?.ok_or_else(|| Error::new(ErrorKind::NoPopulation))?;
    let file = std::fs::File::create(path).map_err(io)?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    w.write_record(["record_id", "person_id"]).map_err(csv_err)?;
    w.flush().map_err(io)?;
    // Every row written by `persons_row`, on both databases.
    let mut out = w.into_inner().map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let mut n = 0u64;
    if let Some(db) = store.sqlite() {
        let readers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
        n = write_persons_sqlite(db, store.path(), &mut out, Split { readers, parallel_from: PARALLEL_FROM, part_records: PART_RECORDS })
            .map(|(n, _)| n)
            .map_err(|e| match e {
                Part::Sql(e) => Error::from(conduct_store::Error::from(e)),
                Part::Io(e) => io(e),
            })?;
    } else {
        let c = store.conn();
        let mut after = 0i64;
        loop {
            let page = c.query(
                "SELECT rec, record_id, person FROM population_records WHERE rec > ? ORDER BY rec LIMIT 262144",
                &[Value::Int(after)],
            )?;
            let Some(last) = page.last() else { break };
            after = last[0].int().unwrap_or(i64::MAX);
            for r in &page {
                persons_row(&mut out, &r[1].text(), r[2].int().unwrap_or(0)).map_err(io)?;
                n += 1;
            }
        }
    }
    std::io::Write::flush(&mut out).map_err(io)?;
    Ok(n)
}

/// Why a part of persons.csv could not be made.
enum Part {
    Sql(rusqlite::Error),
    Io(std::io::Error),
}

impl From<rusqlite::Error> for Part {
    fn from(e: rusqlite::Error) -> Part {
        Part::Sql(e)
    }
}

impl From<std::io::Error> for Part {
    fn from(e: std::io::Error) -> Part {
        Part::Io(e)
    }
}

/// Records per part of persons.csv read by one reader at a time.
const PART_RECORDS: i64 = 1 << 16;

/// Below this many records, persons.csv is read on the one connection (a second costs more to
/// open than it saves).
const PARALLEL_FROM: i64 = 1 << 18;

/// Rows of `population_records` with `from <= rec < to`, in record order, as persons.csv rows.
fn persons_part(db: &rusqlite::Connection, from: i64, to: i64, out: &mut impl std::io::Write) -> Result<u64, Part> {
    let mut stmt = db.prepare_cached("SELECT record_id, person FROM population_records WHERE rec >= ?1 AND rec < ?2 ORDER BY rec")?;
    let mut rows = stmt.query([from, to])?;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let id =
            r.get_ref(0)?.as_str().map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))?;
        persons_row(out, id, r.get::<_, i64>(1)?)?;
        n += 1;
    }
    Ok(n)
}

/// How persons.csv is read from SQLite: by how many reader connections, from how large a
/// population (by record number), in parts of how many records.
#[derive(Clone, Copy)]
struct Split {
    readers: usize,
    parallel_from: i64,
    part_records: i64,
}

/// persons.csv from SQLite, in one read transaction. A population of `parallel_from` records or
/// more is read in parts of `part_records` records by `readers` reader connections (one per
/// core, at most four), each part formatted on its reader's thread and written here in record
/// order (at most three parts per reader wait in memory). Returns the rows written and the
/// readers that read them (0: this connection alone).
fn write_persons_sqlite(db: &rusqlite::Connection, path: &Path, out: &mut impl std::io::Write, split: Split) -> Result<(u64, usize), Part> {
    // The checkpoint an update left to this (see `update_export`), beside the reads: it is
    // mostly waiting for the disk.
    std::thread::scope(|scope| {
        scope.spawn(|| checkpoint(path));
        persons_sqlite(db, path, out, split)
    })
}

/// [`write_persons_sqlite`]'s reads and writes.
fn persons_sqlite(
    db: &rusqlite::Connection,
    path: &Path,
    out: &mut impl std::io::Write,
    Split { readers, parallel_from, part_records }: Split,
) -> Result<(u64, usize), Part> {
    let bounds = || {
        db.query_row("SELECT (SELECT min(rec) FROM population_records), (SELECT max(rec) FROM population_records)", [], |r| {
            Ok((r.get::<_, Option<i64>>(0)?.unwrap_or(0), r.get::<_, Option<i64>>(1)?.unwrap_or(-1)))
        })
    };
    // Outside the transaction, only to choose the way.
    let (lo, hi) = bounds()?;
    let parallel = readers > 1 && hi - lo >= parallel_from;
    db.execute_batch("BEGIN")?;
    let _end = Rollback(db);
    // Readers on other connections must see what this one sees: this connection takes the
    // write lock of the workspace's database (not of the attached audit log) with a write of
    // nothing, so that no other process commits while they read. When it cannot (a read-only
    // file, a writer that keeps it), the file is read on this connection alone.
    let conns = if parallel && db.execute_batch("UPDATE main.population SET id = id WHERE 0").is_ok() {
        index::readers(path, readers)
    } else {
        Vec::new()
    };
    let (lo, hi) = bounds()?;
    if conns.len() < 2 {
        return Ok((persons_part(db, lo, hi.saturating_add(1), out)?, 0));
    }
    let step = part_records.max(1);
    let parts: Vec<(i64, i64)> = (lo..=hi).step_by(step as usize).map(|a| (a, a.saturating_add(step).min(hi + 1))).collect();
    let k = conns.len();
    std::thread::scope(|scope| {
        let mut inboxes = Vec::with_capacity(k);
        // Each part's buffer goes back to its reader once written, so that the parts are
        // formatted into memory already touched rather than into fresh pages (at 10M records,
        // 200 MB of first touches).
        let mut spent = Vec::with_capacity(k);
        for (w, conn) in conns.into_iter().enumerate() {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<(Vec<u8>, u64), Part>>(2);
            let (back, free) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
            inboxes.push(rx);
            spent.push(back);
            let mine: Vec<(i64, i64)> = parts.iter().copied().skip(w).step_by(k).collect();
            scope.spawn(move || {
                for (a, b) in mine {
                    let mut buf = free.try_recv().unwrap_or_else(|_| Vec::with_capacity(step as usize * 24));
                    buf.clear();
                    let part = persons_part(&conn, a, b, &mut buf).map(|n| (buf, n));
                    let failed = part.is_err();
                    if tx.send(part).is_err() || failed {
                        return;
                    }
                }
            });
        }
        let mut n = 0u64;
        for i in 0..parts.len() {
            // A reader that stops early has sent its error first (a panic ends the scope).
            let (buf, rows) = inboxes[i % k].recv().map_err(|_| Part::Io(std::io::Error::other("a persons.csv reader stopped")))??;
            out.write_all(&buf)?;
            n += rows;
            // A reader that has finished, or holds enough, lets it go.
            let _ = spent[i % k].try_send(buf);
        }
        Ok((n, k))
    })
}

/// Ends a connection's transaction when dropped: on every return, and on unwinding.
struct Rollback<'a>(&'a rusqlite::Connection);

impl Drop for Rollback<'_> {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<Involvement> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/small").join(name).join("people.csv");
        conduct_ingest::read_people_files(&[path]).unwrap().rows
    }

    fn add(store: &mut Store, rows: &[Involvement]) -> Report {
        update(store, rows, Summary::default(), &Options::default()).unwrap()
    }

    fn persons_file(store: &mut Store, dir: &Path) -> String {
        let path = dir.join("persons.csv");
        write_persons(store, &path).unwrap();
        std::fs::read_to_string(path).unwrap()
    }

    /// A persons.csv that keeps what is written, checks on its first write whether another
    /// connection can take the workspace's write lock, and fails after `fail_after` writes.
    struct Probe {
        path: std::path::PathBuf,
        bytes: Vec<u8>,
        locked: Option<bool>,
        fail_after: Option<usize>,
    }

    impl std::io::Write for Probe {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.locked.is_none() {
                let other = rusqlite::Connection::open(&self.path).unwrap();
                other.busy_timeout(std::time::Duration::ZERO).unwrap();
                let got = other.execute_batch("BEGIN IMMEDIATE");
                self.locked = Some(got.is_err());
                if got.is_ok() {
                    other.execute_batch("ROLLBACK").unwrap();
                }
            }
            if let Some(n) = self.fail_after.as_mut() {
                if *n == 0 {
                    return Err(std::io::Error::other("disk full"));
                }
                *n -= 1;
            }
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Every stored text of the population that reads back reads as normalising the record's
    /// row gives it; returns how many records have one, and how many have one that does not
    /// read.
    fn stored_agree_with_rows(store: &mut Store) -> (usize, usize) {
        let c = store.conn();
        let recs: Vec<Rec> = c.query("SELECT rec FROM population_records", &[]).unwrap().iter().filter_map(|r| r[0].int()).collect();
        let rows: HashMap<Rec, Involvement> = index::by_recs(c, &recs).unwrap().into_iter().map(|s| (s.rec, s.row)).collect();
        let nick = Nicknames::builtin();
        let (mut stored, mut unreadable) = (0, 0);
        for (rec, _, text) in index::features_of(c, &recs).unwrap() {
            match text.as_deref().map(features::decode) {
                Some(Some(f)) => {
                    assert_eq!(format!("{f:?}"), format!("{:?}", normalise(&rows[&rec], &nick)), "record {rec}");
                    stored += 1;
                }
                Some(None) => unreadable += 1,
                None => {}
            }
        }
        (stored, unreadable)
    }

    /// Updates store every record's features, and they are what normalising its row gives.
    #[test]
    fn stored_features_are_the_rows_normalised() {
        for name in ["repeat-victim", "one-family", "father-son"] {
            let rows = fixture(name);
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open_workspace(&dir.path().join("ws")).unwrap();
            let per = rows.len().div_ceil(4);
            for chunk in rows.chunks(per) {
                add(&mut store, chunk);
                let held = record_count(store.conn()).unwrap() as usize;
                assert_eq!(stored_agree_with_rows(&mut store), (held, 0), "{name}: every record has its features");
            }
            // A changed row: its features are replaced.
            let mut changed = rows[1].clone();
            changed.forename = "Zebedee".into();
            changed.address = "1 New Road".into();
            let r = add(&mut store, &[changed]);
            assert_eq!(r.changed, 1);
            assert_eq!(stored_agree_with_rows(&mut store), (rows.len(), 0), "{name}: the changed record's features replaced");
        }
    }

    /// A workspace whose population was indexed before schema step 9 (no features stored), or
    /// whose stored text cannot be read, updates to the same persons.csv as one with every
    /// record's features stored, and stores the features it had to normalise.
    #[test]
    fn a_population_indexed_before_features_were_stored_updates_the_same() {
        for name in ["repeat-victim", "one-family", "father-son"] {
            let rows = fixture(name);
            let cut = rows.len() * 4 / 5;
            let (before, last) = rows.split_at(cut);
            let dir = tempfile::tempdir().unwrap();
            let mut want = None;
            for case in ["stored", "before step 9", "unreadable"] {
                let ws = dir.path().join(case);
                let mut store = Store::open_workspace(&ws).unwrap();
                for chunk in before.chunks(before.len().div_ceil(3)) {
                    add(&mut store, chunk);
                }
                match case {
                    "before step 9" => {
                        // As a workspace of schema 8 is: no table, and step 9 not applied.
                        store.conn().batch("DROP TABLE population_features; DELETE FROM schema_migrations WHERE version >= 9;").unwrap();
                        drop(store);
                        store = Store::open_workspace(&ws).unwrap();
                        assert_eq!(stored_agree_with_rows(&mut store), (0, 0), "reopened: the table made, empty");
                    }
                    "unreadable" => {
                        store.conn().batch("UPDATE population_features SET f = '9' || f WHERE rec % 2 = 0").unwrap();
                        assert_eq!(stored_agree_with_rows(&mut store), (cut - cut / 2, cut / 2));
                    }
                    _ => {}
                }
                let r = add(&mut store, last);
                assert!(r.candidates > 0, "{name}: the batch has candidates among the records held");
                let got = persons_file(&mut store, &ws);
                match &want {
                    None => want = Some(got),
                    Some(w) => assert_eq!(&got, w, "{name}, {case}: persons.csv"),
                }
                let (stored, unreadable) = stored_agree_with_rows(&mut store);
                match case {
                    // The batch's records, and every record it read (its candidates at least).
                    "before step 9" => {
                        assert!(stored >= last.len() + r.candidates && unreadable == 0, "{name}: {stored} stored, {r:?}");
                    }
                    // Those it read are replaced; the others stay as they were.
                    "unreadable" => {
                        assert_eq!(stored + unreadable, rows.len(), "{name}");
                        assert!(unreadable < cut / 2, "{name}: {unreadable} unreadable");
                    }
                    _ => assert_eq!((stored, unreadable), (rows.len(), 0), "{name}"),
                }
            }
        }
    }

    /// persons.csv read in parts by several reader connections is byte for byte the file read on
    /// one, for parts of every size and with gaps in the record numbers (withdrawn records); the
    /// write lock held while they read is given back, so the next update commits.
    #[test]
    fn persons_read_in_parts_by_several_readers_are_the_same_file() {
        for name in ["repeat-victim", "one-family", "father-son"] {
            let rows = fixture(name);
            let dir = tempfile::tempdir().unwrap();
            let mut store = Store::open_workspace(dir.path()).unwrap();
            let (first, last) = rows.split_at(rows.len() / 2);
            add(&mut store, first);
            let withdrawn: Vec<(conduct_domain::Force, String)> =
                first.iter().step_by(3).map(|r| (r.force, r.record_id.to_string())).collect();
            let options = Options { withdrawn: withdrawn.clone(), ..Options::default() };
            assert_eq!(update(&mut store, last, Summary::default(), &options).unwrap().withdrawn, withdrawn.len());
            // The file, the readers used, and whether another connection could take the write
            // lock while the rows were being written.
            let read = |store: &mut Store, split: Split| {
                let mut out = Probe { path: store.path().to_path_buf(), bytes: Vec::new(), locked: None, fail_after: None };
                let (n, used) = write_persons_sqlite(store.sqlite().unwrap(), store.path(), &mut out, split).ok().expect("read");
                assert_eq!(n as usize, out.bytes.iter().filter(|&&b| b == b'\n').count());
                (String::from_utf8(out.bytes).unwrap(), used, out.locked)
            };
            let (one, used, locked) = read(&mut store, Split { readers: 1, parallel_from: 0, part_records: 1 });
            assert_eq!((used, locked), (0, Some(false)), "{name}: one connection, and no write lock taken");
            assert_eq!(one.lines().count(), rows.len() - withdrawn.len(), "{name}");
            for readers in [2, 3] {
                for part_records in [1, 2, 7, 1 << 16] {
                    let split = Split { readers, parallel_from: 0, part_records };
                    let (got, used, locked) = read(&mut store, split);
                    assert_eq!(got, one, "{name}: {readers} readers, parts of {part_records}");
                    assert_eq!((used, locked), (readers, Some(true)), "{name}: {readers} readers, and no commit while they read");
                }
            }
            // Below the size to split from, the one connection reads it all, the same.
            assert_eq!(read(&mut store, Split { readers: 2, parallel_from: i64::MAX, part_records: 1 }), (one, 0, Some(false)), "{name}");
            // A file that cannot be written: the error, and the lock given back.
            let mut failing = Probe { path: store.path().to_path_buf(), bytes: Vec::new(), locked: None, fail_after: Some(3) };
            let split = Split { readers: 2, parallel_from: 0, part_records: 2 };
            assert!(matches!(write_persons_sqlite(store.sqlite().unwrap(), store.path(), &mut failing, split), Err(Part::Io(_))), "{name}");
            let mut back = first[0].clone();
            back.record_id.push_str("-again");
            assert_eq!(add(&mut store, &[back]).new, 1, "{name}: the next update commits");
            assert_eq!(persons_file(&mut store, dir.path()).lines().count(), rows.len() - withdrawn.len() + 2, "{name}");
        }
    }

    /// A publication's update names its database "the database" in messages, not by its file:
    /// its candidates are still read on reader connections, which open the connection's own file
    /// (they read alone before, as no file of that name exists).
    #[test]
    fn an_update_named_apart_from_its_file_still_reads_beside_it() {
        let rows = fixture("repeat-victim");
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_workspace(&dir.path().join("ws")).unwrap();
        let (first, second) = rows.split_at(rows.len() / 2);
        update(&mut store, first, Summary::default(), &Options::default()).unwrap();
        let export = Export { people: second.to_vec(), ..Export::default() };
        let options = Options { reader_threads: Some(1), ..Options::default() };
        let (_, r) = update_export_in(store.conn(), Path::new("the database"), &export, Summary::default(), &options).unwrap();
        assert_eq!(r.readers, 1, "{r:?}");
    }

    /// An update that reads its candidates on reader connections beside its own gives the same
    /// persons, history and counts as one that reads them alone: batch by batch, on the
    /// real-shaped fixtures, with readers asked for on every batch (they are used on the batches
    /// of new records only, not on one that changes or withdraws a record).
    #[test]
    fn candidates_read_on_reader_connections_give_the_same_persons() {
        for name in ["repeat-victim", "one-family", "father-son"] {
            let rows = fixture(name);
            let dir = tempfile::tempdir().unwrap();
            let mut seen: Vec<Vec<(Report, String, String)>> = Vec::new();
            for readers in [0, 2] {
                let ws = dir.path().join(format!("readers-{readers}"));
                let mut store = Store::open_workspace(&ws).unwrap();
                let mut changed = rows[rows.len() / 3].clone();
                changed.address = "2 Other Street".into();
                // Last, new records with a withdrawal: readers not used either.
                let again: Vec<Involvement> = rows[..5]
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        r.record_id.push_str("-again");
                        r
                    })
                    .collect();
                let gone = vec![(rows[7].force, rows[7].record_id.to_string())];
                let batches = rows
                    .chunks(rows.len().div_ceil(4))
                    .map(|c| (c.to_vec(), Vec::new()))
                    .chain([(vec![changed], Vec::new()), (again, gone)]);
                let mut got = Vec::new();
                for (b, (batch, withdrawn)) in batches.enumerate() {
                    let withdrawing = withdrawn.len();
                    let options = Options { reader_threads: Some(readers), withdrawn, ..Options::default() };
                    let mut r = update(&mut store, &batch, Summary::default(), &options).unwrap();
                    assert_eq!(r.withdrawn, withdrawing, "{name}, batch {b}");
                    let expect = if readers == 0 || b == 0 || r.changed > 0 || r.withdrawn > 0 { 0 } else { readers };
                    assert_eq!(r.readers, expect, "{name}, batch {b}: {r:?}");
                    if b > 0 && r.changed == 0 {
                        assert!(r.candidates > 0, "{name}, batch {b}: candidates among the records held");
                    }
                    r.readers = 0;
                    r.stages.clear();
                    let history: Vec<String> = store
                        .conn()
                        .query("SELECT batch, kind, person, other, records, reason FROM person_events ORDER BY id", &[])
                        .unwrap()
                        .iter()
                        .map(|e| format!("{e:?}"))
                        .collect();
                    got.push((r, persons_file(&mut store, &ws), history.join("\n")));
                }
                seen.push(got);
            }
            for (b, (alone, shared)) in seen[0].iter().zip(&seen[1]).enumerate() {
                assert_eq!(format!("{:?}", alone.0), format!("{:?}", shared.0), "{name}, batch {b}: the report");
                assert_eq!(alone.1, shared.1, "{name}, batch {b}: persons.csv");
                assert_eq!(alone.2, shared.2, "{name}, batch {b}: the history");
            }
        }
    }

    /// A persons.csv row is byte for byte what the CSV writer writes, for plain ids and for
    /// those that need quotes or an apostrophe.
    #[test]
    fn persons_rows_are_what_the_csv_writer_writes() {
        let ids = [
            "R0001",
            "ESX-2025-1/2",
            "",
            "a,b",
            "say \"hi\"",
            "line\nbreak",
            "cr\r",
            "=1+1",
            "+44 7700",
            "-R1",
            "@x",
            "'=1",
            "12",
            "-3.5",
            " sp",
            "ünï",
        ];
        for id in ids {
            for person in [1, 1234567, 12345678, 0] {
                let mut want = csv::Writer::from_writer(Vec::new());
                want.write_record([conduct_domain::cell::inert(id).as_ref(), person_label(person).as_str()]).unwrap();
                let want = want.into_inner().unwrap();
                let mut got = Vec::new();
                persons_row(&mut got, id, person).unwrap();
                assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(want).unwrap(), "{id:?} {person}");
            }
        }
    }

    /// An update asked to leaves the write-ahead log's checkpoint to persons.csv, which copies
    /// the update's pages into the database file beside its reads, and turns automatic
    /// checkpoints back on as they were; one not asked to checkpoints at its commit (as
    /// `conduct ingest`'s, which writes no persons.csv).
    #[test]
    fn an_update_asked_to_leaves_its_checkpoint_to_persons_csv() {
        let rows = fixture("repeat-victim");
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_workspace(dir.path()).unwrap();
        // The records the database file holds without its log.
        let in_file = |store: &Store| -> i64 {
            let copy = tempfile::tempdir().unwrap();
            std::fs::copy(store.path(), copy.path().join("alone.db")).unwrap();
            let db = rusqlite::Connection::open(copy.path().join("alone.db")).unwrap();
            db.query_row("SELECT count(*) FROM population_records", [], |r| r.get(0)).unwrap_or(0)
        };
        let automatic =
            |store: &Store| -> i64 { store.sqlite().unwrap().query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap() };
        let later = |store: &mut Store, rows: &[Involvement]| {
            update(store, rows, Summary::default(), &Options { checkpoint_later: true, ..Options::default() }).unwrap().records
        };
        let third = rows.len() / 3;
        let (first, rest) = rows.split_at(third);
        let (second, last) = rest.split_at(third);
        // A checkpoint at every commit, but for the update's.
        store.sqlite().unwrap().pragma_update(None, "wal_autocheckpoint", 1).unwrap();
        let before = automatic(&store);
        let held = later(&mut store, first);
        assert_eq!(automatic(&store), before, "automatic checkpoints back on");
        assert_eq!(in_file(&store), 0, "the first batch's pages wait in the log");
        persons_file(&mut store, dir.path());
        assert_eq!(in_file(&store), held, "persons.csv checkpointed the first batch");
        let more = later(&mut store, second);
        assert!(more > held);
        assert_eq!(automatic(&store), before);
        assert_eq!(in_file(&store), held, "the second batch's pages wait in the log");
        persons_file(&mut store, dir.path());
        assert_eq!(in_file(&store), more, "persons.csv checkpointed the second batch");
        let all = add(&mut store, last).records;
        assert!(all > more);
        assert_eq!(in_file(&store), all, "an update not asked to defer checkpoints at its commit");
    }

    /// An update that defers its checkpoint and panics inside its transaction still turns
    /// automatic checkpoints back on (the connection may be kept by a caller that catches the
    /// panic), rolls its transaction back, and leaves the previous state.
    #[test]
    fn regression_a_panicking_update_left_automatic_checkpoints_off() {
        let rows = fixture("repeat-victim");
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_workspace(dir.path()).unwrap();
        let half = rows.len() / 2;
        let held = add(&mut store, &rows[..half]).records;
        let automatic =
            |store: &Store| -> i64 { store.sqlite().unwrap().query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap() };
        let before = automatic(&store);
        assert!(before > 0);
        PANIC_BEFORE_COMMIT.with(|p| p.set(true));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            update(&mut store, &rows[half..], Summary::default(), &Options { checkpoint_later: true, ..Options::default() })
        }));
        PANIC_BEFORE_COMMIT.with(|p| p.set(false));
        assert!(panicked.is_err(), "the update panicked");
        assert_eq!(automatic(&store), before, "automatic checkpoints back on after the panic");
        let count: i64 = store.sqlite().unwrap().query_row("SELECT count(*) FROM population_records", [], |r| r.get(0)).unwrap();
        assert_eq!(count, held, "the batch was not committed");
    }

    /// The history's words found through the groups' own pairs are those found by scanning
    /// every pair of the batch for each event (as they were before the index): on random
    /// groups, earlier persons, ids and scored pairs with tied weights.
    #[test]
    fn history_words_through_each_groups_pairs_are_those_of_a_scan_of_every_pair() {
        use proptest::prelude::*;
        // The words as found before: every pair scanned per event.
        fn scan<'a>(
            w: &'a Words,
            within: impl Fn(usize) -> bool,
            side: impl Fn(usize) -> bool,
        ) -> Option<(usize, usize, f32, &'a Pattern)> {
            w.scored
                .iter()
                .zip(w.patterns)
                .filter(|((a, b, _), _)| {
                    let (a, b) = (*a as usize, *b as usize);
                    within(a) && within(b) && side(a) != side(b)
                })
                .max_by(|x, y| x.0.2.total_cmp(&y.0.2))
                .map(|(&(a, b, w), p)| (a as usize, b as usize, w, p))
        }
        let said = |found: Option<(usize, usize, f32, &Pattern)>, w: &Words| found.map(|(a, b, wt, p)| w.pair_words(a, b, wt, p));
        let row = fixture("repeat-victim").remove(0);
        let model = Model::default_for(1000);
        let case = (2usize..24, 1u32..6).prop_flat_map(|(n, groups)| {
            (
                proptest::collection::vec(0..groups, n),
                proptest::collection::vec(proptest::option::of(1i64..6), n),
                proptest::collection::vec(prop_oneof![(1i64..6), (100i64..103)], groups as usize),
                proptest::collection::vec((0..n as u32, 0..n as u32, -3i32..4, any::<bool>()), 0..60),
                proptest::collection::vec(any::<bool>(), n),
            )
        });
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config { cases: 512, ..Default::default() });
        runner
            .run(&case, |(group, old, ids, pairs, moved_mask)| {
                let local: Vec<Local> = old
                    .iter()
                    .enumerate()
                    .map(|(i, &old)| {
                        let mut row = row.clone();
                        row.record_id = format!("R{i}").into();
                        Local { rec: i as Rec, row, feats: Features::default(), old }
                    })
                    .collect();
                let scored: Vec<(u32, u32, f32)> =
                    pairs.iter().filter(|p| p.0 != p.1).map(|&(a, b, w, _)| (a, b, w as f32 * 2.5)).collect();
                let patterns: Vec<Pattern> = pairs
                    .iter()
                    .filter(|p| p.0 != p.1)
                    .map(|&(_, _, _, agree)| {
                        let mut p = Pattern::default();
                        p[0] = u8::from(agree);
                        p
                    })
                    .collect();
                let w = Words::new(&local, &group, &ids, &scored, &patterns, &model);
                let moved: Vec<usize> = (0..local.len()).filter(|&i| moved_mask[i]).collect();
                for from in 1..6 {
                    for (g, &to) in ids.iter().enumerate() {
                        let home = g;
                        let want = said(scan(&w, |i| group[i] as usize == home, |i| local[i].old == Some(from)), &w);
                        let got = w.why_merged(from, to, home);
                        prop_assert_eq!(want.is_some(), !got.ends_with("through a shared associate"), "merge {} into {}", from, home);
                        if let Some(words) = want {
                            prop_assert!(got.contains(&words), "{} / {}", got, words);
                        }
                        let records: Vec<String> = (0..local.len())
                            .filter(|&i| local[i].old == Some(from) && group[i] as usize == g)
                            .map(|i| local[i].row.record_id.to_string())
                            .collect();
                        prop_assert_eq!(w.records_of(g as u32, from), records);
                        // A split off `from` into group g: the pairs between g and the group that kept it.
                        let kept = ids.iter().position(|&p| p == from).map(|k| k as u32);
                        let g = g as u32;
                        let within = |i: usize| local[i].old == Some(from) || group[i] == g || Some(group[i]) == kept;
                        let want = said(scan(&w, |i| within(i) && (group[i] == g || Some(group[i]) == kept), |i| group[i] == g), &w);
                        let got = w.why_split(from, g);
                        prop_assert_eq!(want.is_some(), !got.ends_with("no candidate pair links the parts"));
                        if let Some(words) = want {
                            prop_assert!(got.contains(&words), "{} / {}", got, words);
                        }
                    }
                }
                for &to in &ids {
                    let got = w.why_moved(&moved, to);
                    match ids.iter().position(|&p| p == to) {
                        None => prop_assert_eq!(got, String::new()),
                        Some(g) => match said(scan(&w, |i| group[i] as usize == g, |i| moved.contains(&i)), &w) {
                            Some(words) => prop_assert!(got.contains(&words), "{} / {}", got, words),
                            None => prop_assert!(got.ends_with("through a shared associate")),
                        },
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    /// The engine names what normalisation makes of the probe rows: any change to it (here, one
    /// character of one probe's output) is another engine. The probes reach the normaliser:
    /// every row but the empty one gives blocking keys.
    #[test]
    fn the_engine_changes_with_what_normalisation_makes_of_the_probes() {
        let probes = probes_normalised();
        assert_eq!(engine(), engine_of(&probes));
        assert_eq!(probes, probes_normalised(), "the same every time");
        let lines: Vec<&str> = probes.lines().collect();
        assert_eq!(lines.len(), PROBES.lines().count());
        for (i, line) in lines.iter().enumerate() {
            let keyless = line.starts_with("[] ");
            assert_eq!(keyless, i + 1 == lines.len(), "probe {i}: {line}");
        }
        let altered = probes.replacen(',', ";", 1);
        assert_ne!(engine_of(&altered), engine_of(&probes));
    }

    /// A population indexed by another engine (a build whose normaliser made other keys) is
    /// refused, changing nothing; `--retrain` rebuilds it under this engine, with the persons a
    /// fresh link gives.
    #[test]
    fn a_population_of_another_engine_is_refused_until_retrained() {
        let rows = fixture("repeat-victim");
        let (first, last) = rows.split_at(rows.len() / 2);
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_workspace(&dir.path().join("ws")).unwrap();
        add(&mut store, first);
        let older = "conduct-resolve blocking v1, 9 rules, 0123456789abcdef";
        store.conn().execute("UPDATE population SET engine = ?", &[older.into()]).unwrap();
        let before = persons_file(&mut store, dir.path());
        let e = update(&mut store, last, Summary::default(), &Options::default()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::EngineMismatch { .. }), "{e}");
        assert!(e.to_string().contains("--retrain"), "{e}");
        assert_eq!(persons_file(&mut store, dir.path()), before, "refused, nothing changed");
        update(&mut store, last, Summary::default(), &Options { retrain: true, ..Options::default() }).unwrap();
        assert_eq!(index::state(store.conn()).unwrap().unwrap().engine, engine());
        let mut fresh = Store::open_workspace(&dir.path().join("fresh")).unwrap();
        add(&mut fresh, &rows);
        let persons = |s: &mut Store| -> Vec<BTreeSet<String>> {
            let mut of: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
            for r in s.conn().query("SELECT record_id, person FROM population_records", &[]).unwrap() {
                of.entry(r[1].int().unwrap()).or_default().insert(r[0].text());
            }
            let mut v: Vec<_> = of.into_values().collect();
            v.sort();
            v
        };
        assert_eq!(persons(&mut store), persons(&mut fresh), "rebuilt as a fresh link of every record");
    }

    /// A stored people row changed outside Conduct no longer gives the keys its record was
    /// indexed under: changing that record again is refused as a damaged index, changing
    /// nothing (its old keys would otherwise stay behind), until a re-link without a batch
    /// rebuilds the keys; then the change goes through.
    #[test]
    fn a_record_whose_keys_are_not_its_rows_is_refused_until_relinked() {
        let rows = fixture("repeat-victim");
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_workspace(&dir.path().join("ws")).unwrap();
        add(&mut store, &rows);
        let target = &rows[0];
        store.conn().execute("UPDATE people SET surname = 'Quennell' WHERE record_id = ?", &[target.record_id.as_str().into()]).unwrap();
        let before = persons_file(&mut store, dir.path());
        let mut changed = target.clone();
        changed.address = "3 Elsewhere Lane".into();
        let e = update(&mut store, std::slice::from_ref(&changed), Summary::default(), &Options::default()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Corrupt(_)), "{e}");
        assert!(e.to_string().contains("--retrain"), "{e}");
        assert_eq!(persons_file(&mut store, dir.path()), before, "refused, nothing changed");
        let held = store
            .conn()
            .query_one("SELECT surname, address FROM people WHERE record_id = ?", &[target.record_id.as_str().into()])
            .unwrap()
            .unwrap();
        assert_eq!((held[0].text(), held[1].text()), ("Quennell".to_string(), target.address.to_string()));
        update(&mut store, &[], Summary::default(), &Options { retrain: true, ..Options::default() }).unwrap();
        assert_eq!(update(&mut store, &[changed], Summary::default(), &Options::default()).unwrap().changed, 1);
    }

    /// One step of a force's exports, for [`ids_last_through_any_sequence_of_exports`].
    #[derive(Clone, Debug)]
    enum Step {
        /// The next rows not sent yet (this many, or the rest).
        New(usize),
        /// The rows of an earlier batch that are still held, sent again unchanged.
        Again(usize),
        /// A held record sent again with another record's surname (or, where that is its own,
        /// another address).
        Change(usize, usize),
        /// A held record sent again as a copy of another's name, date of birth, address, phone
        /// and e-mail: it now bridges the two persons.
        Bridge(usize, usize),
        /// A held record sent again as it first was.
        Revert(usize),
        /// A held record withdrawn by its force.
        Withdraw(usize),
        /// A withdrawn record sent again as it first was.
        Return(usize),
        /// A held record's row sent by another force under the same record_id and reference
        /// (forces share reference formats): a record of its own.
        OtherForce(usize),
    }

    /// Every held record's person, by force and record_id.
    fn persons_held(store: &mut Store) -> BTreeMap<(i64, String), i64> {
        let rows = store.conn().query("SELECT force_id, record_id, person FROM population_records", &[]).unwrap();
        rows.iter().map(|r| ((r[0].int().unwrap(), r[1].text()), r[2].int().unwrap())).collect()
    }

    /// Person ids last whatever a force sends, in whatever order: over random sequences of new
    /// rows, batches sent again, changed rows (one bridging two persons, one put back as it was),
    /// withdrawals, withdrawn records sent again, and another force's record under the same
    /// record_id of the real-shaped fixtures, after
    /// every update every held record (and no withdrawn one) has a person; an id that
    /// disappears redirects to one that exists (or to none when all its records were
    /// withdrawn) and never names a person again; a new id was never given before; an id that
    /// goes on holds some of the records it held; and a batch sent again changes nothing.
    #[test]
    fn ids_last_through_any_sequence_of_exports() {
        use proptest::prelude::*;
        use proptest::test_runner::{Config, TestRunner};
        let fixtures: Vec<Vec<Involvement>> = ["repeat-victim", "one-family", "father-son"].into_iter().map(fixture).collect();
        let step = prop_oneof![
            3 => (1usize..60).prop_map(Step::New),
            1 => any::<usize>().prop_map(Step::Again),
            2 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Change(a, b)),
            1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Step::Bridge(a, b)),
            1 => any::<usize>().prop_map(Step::Revert),
            1 => any::<usize>().prop_map(Step::Withdraw),
            1 => any::<usize>().prop_map(Step::Return),
            1 => any::<usize>().prop_map(Step::OtherForce),
        ];
        let mut runner = TestRunner::new(Config { cases: 64, failure_persistence: None, ..Config::default() });
        runner.run(&(0..fixtures.len(), prop::collection::vec(step, 1..10)), |(f, steps)| ids_last_through(&fixtures[f], steps)).unwrap();
    }

    /// CI found this sequence: the second change of a record's address made it "15 Changed
    /// Road", fifteen characters long, so the third change (of the other force's copy) sent it
    /// unchanged, and the step's "one row changed" could not hold. A change now always differs.
    #[test]
    fn regression_a_change_step_sent_its_row_unchanged() {
        let steps = vec![
            Step::New(1),
            Step::Change(0, 0),
            Step::Change(0, 3832),
            Step::OtherForce(6909395138872711969),
            Step::Change(893061499639710252, 16369509183261708315),
        ];
        ids_last_through(&fixture("repeat-victim"), steps).unwrap();
    }

    /// The property of [`ids_last_through_any_sequence_of_exports`] over one sequence of steps
    /// sent from `rows`.
    fn ids_last_through(rows: &[Involvement], steps: Vec<Step>) -> Result<(), proptest::test_runner::TestCaseError> {
        use proptest::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_workspace(&dir.path().join("ws")).unwrap();
        let key = |r: &Involvement| (i64::from(r.force.id()), r.record_id.to_string());
        let (mut sent, mut batches) = (0usize, Vec::<Vec<(i64, String)>>::new());
        // Records withdrawn and not sent again; rows sent by another force.
        let (mut gone, mut others) = (Vec::<(i64, String)>::new(), Vec::<Involvement>::new());
        let mut held: BTreeMap<(i64, String), Involvement> = BTreeMap::new();
        let (mut before, mut ever) = (BTreeMap::<(i64, String), i64>::new(), BTreeSet::<i64>::new());
        for step in steps {
            let nth = |i: usize| held.keys().nth(i % held.len().max(1)).cloned();
            let (batch, withdrawn): (Vec<Involvement>, Vec<(conduct_domain::Force, String)>) = match &step {
                Step::New(n) => {
                    let end = (sent + n).min(rows.len());
                    let batch = rows[sent..end].to_vec();
                    sent = end;
                    (batch, Vec::new())
                }
                Step::Again(i) if !batches.is_empty() => {
                    (batches[i % batches.len()].iter().filter_map(|k| held.get(k).cloned()).collect(), Vec::new())
                }
                Step::Change(a, b) if !held.is_empty() => {
                    let (k, other) = (nth(*a).unwrap(), nth(*b).unwrap());
                    let mut r = held[&k].clone();
                    let surname = held[&other].surname.clone();
                    if surname != r.surname {
                        r.surname = surname;
                    } else {
                        r.address = format!("{} (changed)", r.address).into();
                    }
                    (vec![r], Vec::new())
                }
                Step::Bridge(a, b) if !held.is_empty() => {
                    let (k, other) = (nth(*a).unwrap(), nth(*b).unwrap());
                    let (mut r, o) = (held[&k].clone(), &held[&other]);
                    r.forename = o.forename.clone();
                    r.middle_names = o.middle_names.clone();
                    r.surname = o.surname.clone();
                    r.set_date_of_birth(o.date_of_birth().clone());
                    r.address = o.address.clone();
                    r.postcode = o.postcode.clone();
                    r.set_phone(o.phone().clone());
                    r.email = o.email.clone();
                    (vec![r], Vec::new())
                }
                Step::Revert(a) if !held.is_empty() => {
                    let k = nth(*a).unwrap();
                    (rows.iter().filter(|r| key(r) == k).cloned().collect(), Vec::new())
                }
                Step::Withdraw(a) if !held.is_empty() => {
                    let k = nth(*a).unwrap();
                    (Vec::new(), vec![(held[&k].force, k.1.clone())])
                }
                Step::Return(i) if !gone.is_empty() => {
                    let k = gone.remove(i % gone.len());
                    (rows.iter().chain(&others).filter(|r| key(r) == k).cloned().collect(), Vec::new())
                }
                Step::OtherForce(a) if !held.is_empty() => {
                    let mut r = held[&nth(*a).unwrap()].clone();
                    r.force = conduct_domain::Force::from_id(r.force.id() % 43 + 1).unwrap();
                    if held.contains_key(&key(&r)) {
                        continue;
                    }
                    others.push(r.clone());
                    (vec![r], Vec::new())
                }
                _ => continue,
            };
            if batch.is_empty() && withdrawn.is_empty() {
                continue;
            }
            let options = Options { withdrawn: withdrawn.clone(), ..Options::default() };
            let report = update(&mut store, &batch, Summary::default(), &options).unwrap();
            for r in &batch {
                held.insert(key(r), r.clone());
            }
            for (force, id) in &withdrawn {
                let k = (i64::from(force.id()), id.clone());
                held.remove(&k);
                gone.push(k);
            }
            if matches!(step, Step::New(_)) {
                batches.push(batch.iter().map(key).collect());
            }
            let now = persons_held(&mut store);
            prop_assert!(now.keys().eq(held.keys()), "{step:?}: the held records are those with a person");
            prop_assert!(now.values().all(|&p| p > 0), "{step:?}");
            let live: BTreeSet<i64> = now.values().copied().collect();
            let redirects: BTreeMap<i64, i64> = store
                .conn()
                .query("SELECT from_person, to_person FROM person_redirects", &[])
                .unwrap()
                .iter()
                .map(|r| (r[0].int().unwrap(), r[1].int().unwrap()))
                .collect();
            for (from, to) in &redirects {
                prop_assert!(!live.contains(from), "{step:?}: {from} redirects, yet names a person");
                prop_assert!(*to == 0 || live.contains(to), "{step:?}: {from} redirects to {to}, which names none");
            }
            for id in ever.difference(&live) {
                prop_assert!(redirects.contains_key(id), "{step:?}: {id} disappeared without a redirect");
            }
            let mut was: BTreeMap<i64, BTreeSet<&(i64, String)>> = BTreeMap::new();
            for (k, p) in &before {
                was.entry(*p).or_default().insert(k);
            }
            for id in &live {
                match was.get(id) {
                    Some(records) => {
                        prop_assert!(records.iter().any(|k| now.get(*k) == Some(id)), "{step:?}: {id} kept none of its records")
                    }
                    None => prop_assert!(!ever.contains(id), "{step:?}: {id} given again"),
                }
            }
            match &step {
                Step::Again(_) => {
                    prop_assert_eq!((report.new, report.changed), (0, 0), "{:?}", step);
                    prop_assert!(now == before, "{step:?}: a batch sent again changed persons");
                }
                Step::Change(..) => prop_assert_eq!(report.changed, 1, "{:?}", step),
                Step::Bridge(..) | Step::Revert(_) => prop_assert_eq!(report.new, 0, "{:?}", step),
                Step::Withdraw(_) => prop_assert_eq!(report.withdrawn, 1, "{:?}", step),
                Step::New(_) | Step::Return(_) | Step::OtherForce(_) => prop_assert_eq!(report.new, batch.len(), "{:?}", step),
            }
            ever.extend(&live);
            before = now;
        }
        Ok(())
    }
}

//! What the server serves: the exports it has accepted, kept as files under the data folder,
//! and the analysis of all of them together (persons, courses, triage, breaches, per-force
//! figures), published into the database in one transaction.
//!
//! An upload is validated on its own first (the same reader as `conduct ingest`, with its
//! rejects), and only an upload with usable rows, of the uploader's own force, becomes an export.
//! Exports are read in the order they arrived and a later row replaces an earlier one with the
//! same key (incident_ref, record_id or order_ref within its force), as a newer export of the
//! same records should. Linkage then runs over everyone in every export, so that persons and
//! courses cross forces.

use std::collections::{BTreeMap, HashMap};

/// The maps keyed by every record or report held: foldhash, seeded per process, not SipHash.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::path::{Path, PathBuf};

use conduct_courses::Priority;
use conduct_domain::Force;
pub use conduct_ingest::Export;
use conduct_ingest::{Ingest, Inputs, Summary};
use conduct_resolve::model::TermFrequencies;

use crate::changes::{Rows, TableRows};
use crate::db::{Conn, Value};
pub use crate::error::{Error, ErrorKind};

/// The export files in a folder (the same rule as `conduct ingest`: [`Inputs::in_folder`]).
///
/// # Errors
///
/// [`ErrorKind::Io`] when the folder cannot be read.
pub fn inputs_in(folder: &Path) -> Result<Inputs, Error> {
    Inputs::in_folder(folder).map_err(|e| Error::io("reading", folder, e))
}

/// What one upload may cost the server. Defaults: [`Limits::default`]; `conduct serve` reads
/// other values from `CONDUCT_MAX_STORED_REJECTS` and `CONDUCT_MAX_UPLOAD_ROWS`
/// ([`Limits::from_env`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Rejected rows kept in memory and stored per upload (downloadable as CSV); every reject
    /// is still counted, and tallied by file, column and kind of reason in the report
    /// (default 10,000).
    pub max_stored_rejects: usize,
    /// Rows (accepted and rejected) one upload may hold; a larger one is refused whole, and
    /// the read stops as soon as it has accepted more (default 2,000,000: a large force's
    /// export of several years is under a million incidents with their people).
    pub max_upload_rows: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_stored_rejects: 10_000, max_upload_rows: 2_000_000 }
    }
}

impl Limits {
    /// The defaults, with any of `CONDUCT_MAX_STORED_REJECTS` and `CONDUCT_MAX_UPLOAD_ROWS`
    /// that is set; a value that is not a number is an error.
    ///
    /// # Errors
    ///
    /// A message naming the variable when one is set to something that is not a whole number.
    pub fn from_env() -> Result<Limits, String> {
        let mut l = Limits::default();
        let read = |name: &str| -> Result<Option<u64>, String> {
            match std::env::var(name) {
                Ok(v) => v.trim().replace(['_', ','], "").parse().map(Some).map_err(|_| format!("{name} must be a number, not {v:?}")),
                Err(_) => Ok(None),
            }
        };
        if let Some(n) = read("CONDUCT_MAX_STORED_REJECTS")? {
            l.max_stored_rejects = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = read("CONDUCT_MAX_UPLOAD_ROWS")? {
            l.max_upload_rows = n;
        }
        Ok(l)
    }

    /// For `conduct publish`: an administrator's export of any size, rejects kept as for an
    /// upload.
    pub fn for_cli() -> Limits {
        Limits { max_upload_rows: u64::MAX, ..Limits::default() }
    }
}

/// The validation report of one upload.
pub struct Validation {
    /// Counts per file, with every reject tallied by column and kind of reason.
    pub summary: Summary,
    /// Rejected rows (file, line, column, reason, key): the first [`Limits::max_stored_rejects`].
    pub rejects: Vec<conduct_ingest::Reject>,
    /// The rows, when they may be used.
    pub export: Export,
}

impl Validation {
    /// The report as JSON, with at most `max_rejects` rejects listed (all are counted, and
    /// tallied by kind in each file's `reject_reasons`). File paths are given as their names
    /// only.
    pub fn to_json(&self, max_rejects: usize) -> serde_json::Value {
        let mut v = self.summary.to_json();
        if let Some(files) = v["files"].as_array_mut() {
            for f in files {
                let name = f["file"].as_str().map(|s| Path::new(s).file_name().map_or(s.to_string(), |n| n.to_string_lossy().into_owned()));
                if let Some(n) = name {
                    f["file"] = n.into();
                }
            }
        }
        v["rejects"] = self
            .rejects
            .iter()
            .take(max_rejects)
            .map(|r| {
                serde_json::json!({
                    "file": r.file.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned()),
                    "line": r.line, "column": r.column, "reason": r.reason, "key": r.key,
                })
            })
            .collect();
        v["rejects_listed"] = self.rejects.len().min(max_rejects).into();
        v["rejects_stored"] = self.rejects.len().into();
        v
    }
}

/// Reads an export through the same validation as `conduct ingest`, within `limits`: at most
/// [`Limits::max_stored_rejects`] rejects kept (all counted and tallied), and an export of more
/// than [`Limits::max_upload_rows`] rows refused (the read stops once it has accepted more).
/// `known` holds the incidents the store already has, which people and orders may refer to, as
/// for `conduct ingest` into a workspace.
///
/// # Errors
///
/// [`ErrorKind::Unreadable`] when the files cannot be read as an export, [`ErrorKind::Refused`]
/// when it holds more than [`Limits::max_upload_rows`] rows.
pub fn validate(inputs: &Inputs, limits: &Limits, known: &conduct_ingest::KnownIncidents) -> Result<Validation, Error> {
    let kept = conduct_ingest::Limits { max_findings_kept: limits.max_stored_rejects, ..Default::default() };
    let mut ingest = Ingest::new().with_limits(kept);
    let mut export = Export::default();
    let mut rows = 0u64;
    let too_many = || {
        Error::refused(format!(
            "the export holds more than {} rows, the most one upload may hold (CONDUCT_MAX_UPLOAD_ROWS): nothing was imported; split it, or publish it with `conduct publish`",
            limits.max_upload_rows
        ))
    };
    let read = ingest.run(inputs, known, &mut |b| {
        rows += match &b {
            conduct_ingest::Batch::Incidents(v) => v.len(),
            conduct_ingest::Batch::People(v) => v.len(),
            conduct_ingest::Batch::Orders(v) => v.len(),
        } as u64;
        if rows > limits.max_upload_rows {
            return false;
        }
        match b {
            conduct_ingest::Batch::Incidents(v) => export.incidents.extend(v),
            conduct_ingest::Batch::People(v) => export.people.extend(v),
            conduct_ingest::Batch::Orders(v) => export.orders.extend(v),
        }
        true
    });
    let summary = match read {
        Ok(s) => s,
        Err(_) if rows > limits.max_upload_rows => return Err(too_many()),
        Err(e) => return Err(Error::caused(ErrorKind::Unreadable, without_folder(&e.to_string(), inputs), e)),
    };
    if summary.read() > limits.max_upload_rows {
        return Err(too_many());
    }
    // Screenings are not handed to the sink: the ingest holds them whole.
    export.risk_assessments = ingest.take_risk_assessments();
    Ok(Validation { summary, rejects: ingest.rejects().to_vec(), export })
}

/// Messages name the uploaded file, not the server's folder it was staged in.
fn without_folder(message: &str, inputs: &Inputs) -> String {
    let mut m = message.to_string();
    for p in inputs.incidents.iter().chain(&inputs.people).chain(&inputs.orders).chain(&inputs.risk_assessments) {
        if let (Some(dir), Some(name)) = (p.parent(), p.file_name()) {
            m = m.replace(&p.display().to_string(), &name.to_string_lossy());
            m = m.replace(&dir.display().to_string(), "");
        }
    }
    m
}

/// The forces an export holds records of.
pub fn forces_of(export: &Export) -> Vec<Force> {
    forces_in(&export.incidents, &export.people, &export.orders, &export.risk_assessments)
}

/// The forces of these records, each once, in order ([`forces_of`], and of the pipeline's
/// export in [`cross_forced`]).
fn forces_in(
    incidents: &[conduct_domain::Incident],
    people: &[conduct_domain::Involvement],
    orders: &[conduct_domain::Order],
    risk_assessments: &[conduct_domain::RiskAssessment],
) -> Vec<Force> {
    let mut f: Vec<Force> = incidents
        .iter()
        .map(|i| i.force)
        .chain(people.iter().map(|p| p.force))
        .chain(orders.iter().map(|o| o.force))
        .chain(risk_assessments.iter().map(|r| r.force))
        .collect();
    f.sort();
    f.dedup();
    f
}

/// An uploaded export waiting for the publication that will hold it: its files are in
/// `DATA/pending/NAME.OWNER` (OWNER: the process that staged it, see [`owner_tag`]) until the
/// analysis of the store's records with it has succeeded; then its records are imported into
/// the store (the record tables of the same database, named in table `exports` as held) and
/// the files are removed. An export whose analysis never succeeded (a killed `conduct publish`,
/// a failed analysis) is not in the store, and its files are removed by the next [`reconcile`]
/// once its owner is gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Staged {
    /// The export's name: sorts in arrival order.
    pub name: String,
    /// Where its files are now.
    pub dir: PathBuf,
}

/// A fresh export name, sorting after every earlier one (nanoseconds since 1970, then 4 random
/// bytes).
pub fn new_export_name() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:024}-{}", crate::audit::hex(&crate::auth::random_bytes::<4>()))
}

/// This process, as it marks what it stages: `PID-STARTTIME` (the start time from
/// `/proc/self/stat`, so that a later process given the same id is not taken for this one;
/// `0` where there is no `/proc`).
pub fn owner_tag() -> String {
    static TAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TAG.get_or_init(|| format!("{}-{}", std::process::id(), start_time("self").unwrap_or(0))).clone()
}

fn start_time(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22; the command name (field 2) is in parentheses and may hold spaces.
    stat.rsplit_once(')')?.1.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the process an [`owner_tag`] names may still be running. Where that cannot be told
/// (no `/proc`), it may be.
pub fn owner_alive(tag: &str) -> bool {
    if tag == owner_tag() {
        return true;
    }
    if !Path::new("/proc/self/stat").exists() {
        return true;
    }
    let Some((pid, start)) = tag.split_once('-') else { return false };
    match start_time(pid) {
        Some(t) => start.parse::<u64>().is_ok_and(|s| s == 0 || s == t),
        None => false,
    }
}

fn pending_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("pending")
}

/// [`ErrorKind::Conflict`].
fn conflict() -> Error {
    Error::new(ErrorKind::Conflict, "another publication was committed meanwhile")
}

/// Stages an export whose files are in `from` (a folder this process owns, moved, not copied).
///
/// # Errors
///
/// [`ErrorKind::Io`] when the pending folder cannot be made or `from` cannot be moved into it.
pub fn stage_folder(data_dir: &Path, from: &Path) -> Result<Staged, Error> {
    let name = new_export_name();
    let dir = pending_dir(data_dir).join(format!("{name}.{}", owner_tag()));
    std::fs::create_dir_all(pending_dir(data_dir)).map_err(|e| Error::io("creating", &pending_dir(data_dir), e))?;
    std::fs::rename(from, &dir).map_err(|e| Error::io("staging", &dir, e))?;
    Ok(Staged { name, dir })
}

/// Stages a copy of an export's files (for `conduct publish`), each named for the format the
/// reader detects (a .txt CSV is kept as .csv), so that [`inputs_in`] finds it again at every
/// later publication.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the folder cannot be made or a file cannot be copied (what was copied
/// is removed).
pub fn stage_copy(data_dir: &Path, inputs: &Inputs) -> Result<Staged, Error> {
    let name = new_export_name();
    let dir = pending_dir(data_dir).join(format!("{name}.{}", owner_tag()));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    let copied = (|| {
        for (kind, files) in [
            ("incidents", &inputs.incidents),
            ("people", &inputs.people),
            ("orders", &inputs.orders),
            ("risk_assessments", &inputs.risk_assessments),
        ] {
            for (i, f) in files.iter().enumerate() {
                let mut head = [0u8; 64];
                let n = std::fs::File::open(f).and_then(|mut r| std::io::Read::read(&mut r, &mut head)).unwrap_or(0);
                let ext = conduct_ingest::Format::detect(f, &head[..n]).name();
                std::fs::copy(f, dir.join(format!("{kind}-{i:03}.{ext}"))).map_err(|e| Error::io("copying", f, e))?;
            }
        }
        Ok(())
    })();
    match copied {
        Ok(()) => Ok(Staged { name, dir }),
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(e)
        }
    }
}

/// Gives up a staged export (its publication failed).
pub fn discard(staged: &Staged) {
    let _ = std::fs::remove_dir_all(&staged.dir);
}

/// Removes the files of a staged export whose records the store now holds.
fn retire(staged: &Staged) {
    if let Err(e) = std::fs::remove_dir_all(&staged.dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            say!("conduct: removing {}, imported: {e}", staged.dir.display());
        }
    }
}

/// The staged exports under a data folder: (name, owner, folder).
pub fn staged(data_dir: &Path) -> Vec<(String, String, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(pending_dir(data_dir)) else { return Vec::new() };
    let mut v: Vec<(String, String, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter_map(|p| {
            let file = p.file_name()?.to_string_lossy().into_owned();
            let (name, owner) = file.split_once('.')?;
            Some((name.to_string(), owner.to_string(), p.clone()))
        })
        .collect();
    v.sort();
    v
}

/// Whether the store holds an export of this name (its records were imported).
fn held(conn: &mut Conn, name: &str) -> Result<bool, Error> {
    Ok(conn.query_one("SELECT 1 FROM exports WHERE name = ?", &[name.into()])?.is_some())
}

/// A data folder from before the store held the records: the exports kept as files under
/// `DATA/exports/` (those the database names as held, or every folder there if it names none)
/// are imported into the store once, oldest first, and not read again.
///
/// # Errors
///
/// [`ErrorKind::Db`] when the database fails, [`ErrorKind::Io`] when the exports folder cannot be
/// read or an export it should hold is missing, [`ErrorKind::Unreadable`] when an export cannot be
/// read, [`ErrorKind::Store`] when its records cannot be imported.
pub fn import_kept_exports(conn: &mut Conn, data_dir: &Path) -> Result<(), Error> {
    if conn.query_one("SELECT 1 FROM meta WHERE key = 'kept_exports_imported'", &[])?.is_some() {
        return Ok(());
    }
    let dir = data_dir.join("exports");
    let listed = conn.query_one("SELECT 1 FROM meta WHERE key = 'exports_listed'", &[])?.is_some();
    let names: Vec<String> = if listed {
        conn.query("SELECT name FROM exports ORDER BY name", &[])?.iter().map(|r| r[0].text()).collect()
    } else if dir.is_dir() {
        let mut v: Vec<String> = std::fs::read_dir(&dir)
            .map_err(|e| Error::io("reading", &dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .filter(|n| !n.starts_with('.'))
            .collect();
        v.sort();
        v
    } else {
        Vec::new()
    };
    for name in &names {
        let at = dir.join(name);
        if !at.is_dir() {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "export {name}, which the published analysis holds, is missing from {}: restore it from a backup of the data folder",
                    dir.display()
                ),
            ));
        }
        // Each export may refer to incidents of the ones imported before it.
        let known = conduct_store::known_incidents(conn).map_err(Error::from)?;
        let (export, summary) = read_export(&known, &at)?;
        conduct_store::import_records(conn, Path::new("the database"), &export, summary).map_err(Error::from)?;
        conn.execute("DELETE FROM exports WHERE name = ?", &[name.into()])?;
        conn.execute("INSERT INTO exports (name) VALUES (?)", &[name.into()])?;
    }
    if !names.is_empty() {
        say!(
            "conduct: the {} export(s) kept under {} are now held in the database; that folder is no longer read",
            names.len(),
            dir.display()
        );
    }
    conn.execute("INSERT INTO meta (key, value) VALUES ('kept_exports_imported', '1')", &[])?;
    Ok(())
}

/// Tidies the data folder after processes that stopped: staged exports whose records the store
/// holds are removed, and so are staged exports of stopped processes that no upload waits for.
/// Exports staged by a live process are left alone.
///
/// # Errors
///
/// [`ErrorKind::Db`] when the held or queued exports cannot be read (files that cannot be
/// removed are left).
pub fn reconcile(conn: &mut Conn, data_dir: &Path) -> Result<(), Error> {
    let waiting = staged(data_dir);
    if waiting.is_empty() {
        return Ok(());
    }
    let held: std::collections::HashSet<String> = conn.query("SELECT name FROM exports", &[])?.iter().map(|r| r[0].text()).collect();
    let queued: std::collections::HashSet<String> = conn
        .query("SELECT e.export FROM upload_exports e JOIN uploads u ON u.id = e.upload_id WHERE u.status = 'analysing'", &[])?
        .iter()
        .map(|r| r[0].text())
        .collect();
    for (name, owner, dir) in waiting {
        let s = Staged { name: name.clone(), dir };
        if held.contains(&name) {
            retire(&s);
        } else if !owner_alive(&owner) && !queued.contains(&name) {
            discard(&s);
        }
    }
    Ok(())
}

/// Reads one export folder as the store will hold it: every accepted row (people and orders
/// may refer to `known`, the incidents the store holds), the rejects only counted (they were
/// reported when the export was uploaded).
fn read_export(known: &conduct_ingest::KnownIncidents, dir: &Path) -> Result<(Export, Summary), Error> {
    Ingest::new()
        .with_limits(conduct_ingest::Limits { max_findings_kept: 0, ..Default::default() })
        .read_whole_knowing(&inputs_in(dir)?, known)
        .map_err(|e| Error::caused(ErrorKind::Unreadable, format!("export {}: {e}", dir.display()), e))
}

/// Adds `later` to `merged` as the store would import it: a row replaces an earlier one with
/// the same key (incident_ref, record_id or order_ref within its force; a screening's incident,
/// tool and day) in place, and a new row goes after every earlier one.
pub fn merge(merged: &mut Export, later: Export) {
    upsert(&mut merged.incidents, later.incidents, |i| (i.force, i.incident_ref.clone()));
    upsert(&mut merged.people, later.people, |p| (p.force, p.record_id.clone()));
    upsert(&mut merged.orders, later.orders, |o| (o.force, o.order_ref.clone()));
    upsert(&mut merged.risk_assessments, later.risk_assessments, |r| (r.force, r.incident_ref.clone(), r.tool, r.assessed_date));
}

/// Adds `later` to `rows`: a row replaces the earlier one with the same key in place, and a row
/// with a new key goes after every earlier one.
fn upsert<T, K: std::hash::Hash + Eq>(rows: &mut Vec<T>, later: Vec<T>, key: impl Fn(&T) -> K) {
    let mut at: HashMap<K, usize> = rows.iter().enumerate().map(|(i, r)| (key(r), i)).collect();
    for row in later {
        match at.get(&key(&row)) {
            Some(&i) => rows[i] = row,
            None => {
                at.insert(key(&row), rows.len());
                rows.push(row);
            }
        }
    }
}

/// Everything computed from the merged exports.
pub struct Analysis {
    /// The rows: the store's records, then the other forces' reports the hub passed on (the
    /// cross-force mode), if any.
    pub export: conduct_pipeline::Export,
    /// Persons (with the linkage model, kept for explanations), courses, breaches and the
    /// review list ([`conduct_pipeline::analyse`]).
    pub found: conduct_pipeline::Analysis,
    /// Term frequencies of names (kept for explanations).
    pub tf: TermFrequencies,
    /// How many of the export's incidents are the store's own (the rest are other forces'
    /// reports from the hub).
    pub own_incidents: usize,
    /// How many of the export's people rows are the store's own.
    pub own_people: usize,
    /// What was done with the other forces' reports held.
    pub cross_force: CrossForceUse,
    /// The linked population the persons are from, when the store holds one ([`analyse_held`]).
    pub population: Option<HeldPopulation>,
}

/// The linked population an analysis took its persons from.
#[derive(Debug, Clone, Copy)]
pub struct HeldPopulation {
    /// Batches it had linked.
    pub batches: i64,
    /// The next person number it will give.
    pub next_person: conduct_population::PersonNumber,
}

/// The other forces' reports a publication took into its courses (the cross-force mode).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct CrossForceUse {
    /// Reports of other forces taken in.
    pub reports: usize,
    /// Their records (each standing for the person of an own record).
    pub records: usize,
    /// Report rows held but left out: their own record is no longer held, or the store now
    /// holds records of more than the one force they were received for.
    pub left_out: usize,
    /// Why rows were left out, when some were.
    pub why_left_out: Option<String>,
}

/// Links people into persons and finds courses, breaches and the review list: the pipeline of
/// `conduct run` ([`conduct_pipeline::analyse`]), keeping no scored pairs (the server shows
/// none). `cross_force`: the other forces' reports held from the hub, with the force they were
/// received for; they join the courses ([`conduct_pipeline::take_in`]) when the records are
/// all of that force, and are left out (counted) otherwise.
///
/// # Errors
///
/// [`ErrorKind::Linkage`] when the pipeline fails (its options or model refused).
pub fn analyse(export: Export, cross_force: Option<(Force, Vec<conduct_domain::OtherForceReport>)>) -> Result<Analysis, Error> {
    let options = analysis_options();
    let export = conduct_pipeline::Export::from(export);
    let found = conduct_pipeline::analyse(&export, &options).map_err(Error::from)?;
    Ok(cross_forced(export, found, None, cross_force, &options))
}

/// [`analyse`] of a store that holds a linked population (see [`conduct_population`]): its
/// persons are the population's, under the population's ids, and nothing is linked again.
///
/// # Errors
///
/// [`ErrorKind::Refused`] when a held people row is not in the population (the index and
/// the records disagree: `conduct link --verify` says how far).
pub fn analyse_held(
    export: Export,
    population: conduct_population::Snapshot,
    cross_force: Option<(Force, Vec<conduct_domain::OtherForceReport>)>,
) -> Result<Analysis, Error> {
    let options = analysis_options();
    let export = conduct_pipeline::Export::from(export);
    // Persons numbered from 0 in the order of their first row, each named by its id. Each
    // row's person is looked up, numbered ([`number_in_row_order`]) and each person's id
    // written on every core.
    use rayon::prelude::*;
    let numbers: Vec<Option<conduct_population::PersonNumber>> =
        export.people.par_iter().map(|p| population.person_of(p.force, &p.record_id)).collect();
    if let Some(p) = numbers.iter().position(Option::is_none).map(|i| &export.people[i]) {
        return Err(Error::refused(format!(
            "a people row of {} held in the store is not in its linked population: the index and the records disagree \
             (`conduct link --verify` on the store, by --workspace or --database, says how far; `--retrain` rebuilds the index)",
            p.force.name()
        )));
    }
    let numbers: Vec<conduct_population::PersonNumber> = numbers.into_iter().flatten().collect();
    let (of_row, firsts) = number_in_row_order(&numbers, population.next_person);
    drop(numbers);
    let names: Vec<String> = firsts.par_iter().map(|&n| conduct_population::person_label(n)).collect();
    let persons = conduct_pipeline::Persons::given(of_row, names);
    let mut found = conduct_pipeline::analyse_with_persons(&export, persons, &options);
    let batches = population.batches;
    let next_person = population.next_person;
    found.linked = Some(conduct_pipeline::Linked {
        model: population.model,
        stats: conduct_resolve::LinkStats::default(),
        pairs: Vec::new(),
        tf: population.tf,
    });
    Ok(cross_forced(export, found, Some(HeldPopulation { batches, next_person }), cross_force, &options))
}

/// Numbers the persons of the rows (`numbers[i]`: row `i`'s person in the population) densely
/// from 0, in the order of each person's first row: each row's dense number, and the person of
/// each dense number.
///
/// The population's numbers lie below `next_person`, so the first row of each is found with one
/// array of that length, on every core (at the 1M world the numbering in row order through a
/// map was 0.25 s of one core while the other waited). Numbers outside it, an array much longer
/// than the rows, or more rows than a `u32` counts, are numbered through a map, row by row, as
/// before: the same result.
fn number_in_row_order(
    numbers: &[conduct_population::PersonNumber],
    next_person: conduct_population::PersonNumber,
) -> (Vec<u32>, Vec<conduct_population::PersonNumber>) {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
    let len = usize::try_from(next_person).unwrap_or(usize::MAX);
    let fits = u32::try_from(numbers.len()).is_ok_and(|rows| rows < u32::MAX)
        && len <= numbers.len().saturating_mul(4).max(1 << 16)
        && numbers.par_iter().all(|&n| usize::try_from(n).is_ok_and(|n| n < len));
    if !fits {
        // At most one person per row, and none numbered past the last number given.
        let mut dense: FastMap<conduct_population::PersonNumber, u32> =
            FastMap::with_capacity_and_hasher(numbers.len().min(len), Default::default());
        let mut firsts = Vec::new();
        let of_row = numbers
            .iter()
            .map(|&number| {
                *dense.entry(number).or_insert_with(|| {
                    firsts.push(number);
                    firsts.len() as u32 - 1
                })
            })
            .collect();
        return (of_row, firsts);
    }
    // Each number's first row (u32::MAX: no row), then the rows that are their number's first,
    // in row order; then, in the same array, each number's dense number.
    let at: Vec<AtomicU32> = (0..len).into_par_iter().map(|_| AtomicU32::new(u32::MAX)).collect();
    numbers.par_iter().enumerate().for_each(|(row, &n)| {
        at[n as usize].fetch_min(row as u32, Relaxed);
    });
    let first_rows: Vec<u32> =
        (0..numbers.len() as u32).into_par_iter().filter(|&row| at[numbers[row as usize] as usize].load(Relaxed) == row).collect();
    first_rows.par_iter().enumerate().for_each(|(dense, &row)| at[numbers[row as usize] as usize].store(dense as u32, Relaxed));
    let of_row = numbers.par_iter().map(|&n| at[n as usize].load(Relaxed)).collect();
    let firsts = first_rows.par_iter().map(|&row| numbers[row as usize]).collect();
    (of_row, firsts)
}

/// The pipeline's options for a publication: scored pairs are not kept.
fn analysis_options() -> conduct_pipeline::Options {
    let defaults = conduct_pipeline::Options::default();
    conduct_pipeline::Options { link: conduct_resolve::LinkOptions { keep_pairs_from_weight: f64::INFINITY, ..defaults.link }, ..defaults }
}

/// An analysis with the other forces' reports held from the hub taken into its courses.
fn cross_forced(
    export: conduct_pipeline::Export,
    mut found: conduct_pipeline::Analysis,
    population: Option<HeldPopulation>,
    cross_force: Option<(Force, Vec<conduct_domain::OtherForceReport>)>,
    options: &conduct_pipeline::Options,
) -> Analysis {
    // The forces the store holds records of, when there are hub reports to take in.
    let cross_force = cross_force.filter(|(_, r)| !r.is_empty());
    let held_forces = if cross_force.is_some() {
        forces_in(&export.incidents, &export.people, &export.orders, &export.risk_assessments)
    } else {
        Vec::new()
    };
    // The name counts linkage scored with (kept for explanations), not counted again.
    let tf = found.linked.as_mut().map(|l| std::mem::take(&mut l.tf)).unwrap_or_default();
    let (own_incidents, own_people) = (export.incidents.len(), export.people.len());
    let Some((own, reports)) = cross_force else {
        return Analysis { export, found, tf, own_incidents, own_people, cross_force: CrossForceUse::default(), population };
    };
    let others: Vec<&str> = held_forces.iter().filter(|f| **f != own).map(|f| f.name()).collect();
    if !others.is_empty() {
        let use_ = CrossForceUse {
            left_out: reports.len(),
            why_left_out: Some(format!(
                "they were received for {}, and the store now also holds records of {}",
                own.name(),
                others.join(", ")
            )),
            ..CrossForceUse::default()
        };
        return Analysis { export, found, tf, own_incidents, own_people, cross_force: use_, population };
    }
    let t = conduct_pipeline::take_in(&export, found, &reports, options);
    let use_ = CrossForceUse {
        reports: t.per_force.values().map(|c| c.0).sum(),
        records: t.per_force.values().map(|c| c.1).sum(),
        left_out: t.unmatched,
        why_left_out: (t.unmatched > 0).then(|| "the own records they were linked to are not held".to_string()),
    };
    Analysis { export: t.export, found: t.analysis, tf, own_incidents, own_people, cross_force: use_, population }
}

fn opt_date(d: Option<conduct_domain::Date>) -> Value {
    d.map_or(Value::Null, |d| Value::from(conduct_domain::Date::iso_str(&d.iso())))
}

fn date(d: conduct_domain::Date) -> String {
    conduct_domain::Date::iso_str(&d.iso()).to_string()
}

fn opt_bool(b: Option<bool>) -> Value {
    b.map_or(Value::Null, |b| Value::Int(b as i64))
}

/// The rank of a priority, most urgent first.
pub fn priority_rank(p: Priority) -> i64 {
    match p {
        Priority::Urgent => 0,
        Priority::High => 1,
        Priority::Review => 2,
        Priority::Routine => 3,
    }
}

/// Bits of a list position ([`list_positions`]) for the order among courses that stand alike.
const TIE_BITS: u32 = 20;
/// Bits for a course's report count, and for its last report's day (days since 1900-01-01, the
/// earliest date a record may carry: up to the year 2258).
const REPORT_BITS: u32 = 17;
const DAY_BITS: u32 = 17;

/// Each course's place in review order as one number that other courses coming and going leave
/// alone, so that a publication rewrites only the list rows of the courses that changed (before,
/// the dense rank moved every row below a course that entered the list: 123,261 of 123,265
/// courses in one weekly export of the 1M world). From the high bits: whether it has a review
/// (those without come last), its priority, the priority by its rules, its grounds (more first),
/// its last report's day (later first), its reports (more first), each the
/// [`conduct_courses::Standing`] the review list is sorted by; then, among courses that stand
/// alike in all of that, their order by course number (an older course first), as an index
/// within that group. Up to 2^17 - 1 reports sort apart; courses with more sort among themselves
/// by number. A group of more than 2^20 courses standing alike is refused, not folded.
///
/// The list's order is the review list's own but for that last tie, which the analysis breaks
/// by the courses' order in the export.
fn list_positions(standings: &[Option<conduct_courses::Standing>], labels: &[String]) -> Result<Vec<i64>, Error> {
    let day_0 = conduct_domain::Date::new(1900, 1, 1).expect("a real day").days_since_epoch();
    let most = |bits: u32| (1_i64 << bits) - 1;
    let standing = |s: &Option<conduct_courses::Standing>| -> i64 {
        let Some(s) = s else { return most(63 - TIE_BITS) };
        let grounds = 15 - (s.grounds as i64).min(15);
        let day = most(DAY_BITS) - i64::from(s.last_day - day_0).clamp(0, most(DAY_BITS));
        let reports = most(REPORT_BITS) - (s.reports as i64).min(most(REPORT_BITS));
        (((((priority_rank(s.priority) << 2) | priority_rank(s.by_rules)) << 4 | grounds) << DAY_BITS | day) << REPORT_BITS) | reports
    };
    let number = |l: &str| conduct_domain::ids::CourseId::parse(l).map_or(u64::MAX, conduct_domain::ids::CourseId::number);
    let mut order: Vec<(i64, u64, &str, usize)> =
        standings.iter().zip(labels).enumerate().map(|(ci, (s, l))| (standing(s), number(l), l.as_str(), ci)).collect();
    order.sort_unstable();
    let mut position = vec![0_i64; standings.len()];
    let mut tie = 0_i64;
    for (k, &(group, _, _, ci)) in order.iter().enumerate() {
        tie = if k > 0 && order[k - 1].0 == group { tie + 1 } else { 0 };
        if tie > most(TIE_BITS) {
            return Err(Error::refused(format!(
                "more than {} courses stand alike in the review list (the same priority, grounds, last day and reports)",
                most(TIE_BITS) + 1
            )));
        }
        position[ci] = (group << TIE_BITS) | tie;
    }
    Ok(position)
}

/// The `published_orders` and `published_screenings` rows of an export, each on every core
/// (the screenings are put in words).
fn order_and_screening_rows(e: &conduct_pipeline::Export) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
    use rayon::prelude::*;
    let orders: Vec<Vec<Value>> = e
        .orders
        .par_iter()
        .map(|o| {
            vec![
                o.force.name().into(),
                (&o.order_ref).into(),
                o.order_type.as_str().into(),
                (&o.incident_ref).into(),
                opt_date(o.applied_date),
                opt_date(o.granted_date),
                opt_date(o.expires_date),
                o.status.map_or(Value::Null, |s| s.as_str().into()),
            ]
        })
        .collect();
    // Screenings, shown on the course pages' time lines (the triage already cites them).
    let screenings: Vec<Vec<Value>> = e
        .risk_assessments
        .par_iter()
        .map(|r| {
            vec![
                r.force.name().into(),
                (&r.incident_ref).into(),
                date(r.assessed_date).into(),
                r.tool.as_str().into(),
                r.grade.map_or(Value::Null, |g| g.as_str().into()),
                Value::opt_text(&r.yes_answers.iter().map(|a| r.tool.answer_words(a)).collect::<Vec<_>>().join(";")),
                r.in_words().into(),
                Value::opt_text(&r.assessor_notes),
            ]
        })
        .collect();

    (orders, screenings)
}

/// What a publication wrote.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Published {
    /// Incidents.
    pub incidents: usize,
    /// People rows.
    pub records: usize,
    /// Persons.
    pub persons: usize,
    /// Courses.
    pub courses: usize,
    /// Orders.
    pub orders: usize,
    /// Possible breaches.
    pub breaches: usize,
    /// Other forces' reports from the cross-force hub taken into the courses (and those held
    /// but left out).
    pub cross_force: CrossForceUse,
    /// Wall time per stage, in seconds, in order: `validate` (`conduct publish`'s reading of
    /// the export it adds), `open` (tidying, and the added exports read from their staged
    /// copies unless given), `update` (on a store holding a linked population only: the added
    /// exports imported and linked to its persons, in place of `import`), `read` (the store's
    /// records back, with the exports added, and with a linked population its persons, model and
    /// name counts, read beside the people rows), `analyse` (the pipeline), `import` (the added exports into the record
    /// tables), `ids` (carried over), `rows` (the published rows built), `write` (the analysis
    /// tables filled; on SQLite into copies, in short transactions), `commit` (the copies
    /// swapped in, ids and meta; on PostgreSQL part of `write`), `tidy` (replaced tables
    /// dropped, planner statistics). Not stored with the publication.
    #[serde(skip)]
    pub stages: Vec<(&'static str, f64)>,
    /// The `update` stage's own stages (with a linked population only), in seconds, summed
    /// over the exports added: those of [`conduct_population::Report::stages`]. Not stored
    /// with the publication.
    #[serde(skip)]
    pub update_stages: Vec<(&'static str, f64)>,
    /// How each analysis table was written, in the order of [`crate::schema::ANALYSIS`]. Not
    /// stored with the publication.
    #[serde(skip)]
    pub tables: Vec<(&'static str, Written)>,
}

/// How a publication writes the analysis tables.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// By the rows that changed, where few did; whole otherwise (see [`crate::changes`]).
    #[default]
    Changes,
    /// Every table whole (`conduct publish --rewrite`).
    Whole,
}

/// How a publication wrote one analysis table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// By its changes.
    Changed {
        /// Rows deleted (held, and not in the publication).
        deleted: usize,
        /// Rows inserted (in the publication, and not held).
        inserted: usize,
    },
    /// Whole.
    Whole {
        /// The rows written.
        rows: usize,
    },
}

impl std::fmt::Display for Written {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Written::Changed { deleted, inserted } => write!(f, "-{deleted} +{inserted}"),
            Written::Whole { rows } => write!(f, "whole {rows}"),
        }
    }
}

/// One person's records in a publication, and the forces they are of, in the order first seen.
#[derive(Clone, Default)]
struct PersonSeen {
    records: u32,
    first: Option<Force>,
    more: Vec<Force>,
}

impl PersonSeen {
    /// Counts a record of `force`.
    fn saw(&mut self, force: Force) {
        self.records += 1;
        match self.first {
            None => self.first = Some(force),
            Some(f) if f == force || self.more.contains(&force) => {}
            Some(_) => self.more.push(force),
        }
    }

    /// The forces' names, `;` between them.
    fn forces(&self) -> String {
        let mut names = self.first.map(|f| f.name().to_string()).unwrap_or_default();
        for f in &self.more {
            names.push(';');
            names.push_str(f.name());
        }
        names
    }
}

/// The wall time of a publication's stages, each from the end of the one before.
struct Laps {
    since: std::time::Instant,
    stages: Vec<(&'static str, f64)>,
}

impl Laps {
    fn new() -> Laps {
        Laps { since: std::time::Instant::now(), stages: Vec::new() }
    }

    /// Ends the stage `name`.
    fn lap(&mut self, name: &'static str) {
        self.stages.push((name, self.since.elapsed().as_secs_f64()));
        self.since = std::time::Instant::now();
    }
}

/// A number kept in `meta` (publication counter, next fresh ids), if set.
fn meta_number(conn: &mut Conn, key: &str) -> Result<Option<i64>, Error> {
    Ok(conn.query_one("SELECT value FROM meta WHERE key = ?", &[key.into()])?.and_then(|r| r[0].int()))
}

/// Ids for a publication's persons and courses, carried over from the one it replaces.
struct CarriedIds {
    /// By person number.
    persons: crate::ids::Assigned,
    /// By course index.
    courses: crate::ids::Assigned,
    /// By course index: the publication in which the course last gained or lost a report (this
    /// one, unless it kept its id with exactly the reports it had).
    course_changed: Vec<i64>,
    /// Next fresh person number.
    next_person: u64,
    /// Next fresh course number.
    next_course: u64,
    /// The number of the publication they were carried over from (0: none yet).
    publication: i64,
    /// Whether the person ids are the linked population's ([`population_ids`]).
    from_population: bool,
}

/// A published table's ids by the force and key of its rows (`SELECT force, key, id`), read as
/// the rows stream: each id once, and each key by the places of its ids there, so that neither
/// an id nor a key is allocated per row (1.96M records and half a million course reports at
/// the 1M world). `P` is what a key holds: one place (`u32`, a record's person) or several
/// (`Vec<u32>`, a report's courses).
struct PublishedIds<P> {
    /// Each id once, in the order first read.
    ids: Vec<String>,
    /// Each id's place in `ids`.
    at: FastMap<String, u32>,
    /// Force → key → the places of its ids.
    of_key: FastMap<String, FastMap<conduct_domain::Text, P>>,
}

/// What a key of [`PublishedIds`] holds.
trait Places: Default {
    /// Adds the place of one more of its ids.
    fn add(&mut self, at: u32);
}

/// One id per key: the last read.
impl Places for u32 {
    fn add(&mut self, at: u32) {
        *self = at;
    }
}

/// Every id of the key, in the order read.
impl Places for Vec<u32> {
    fn add(&mut self, at: u32) {
        self.push(at);
    }
}

impl<P: Places> PublishedIds<P> {
    /// Reads the rows of `sql`: force, key, id.
    fn read(conn: &mut Conn, sql: &str) -> Result<Self, Error> {
        let mut read: PublishedIds<P> = PublishedIds { ids: Vec::new(), at: FastMap::default(), of_key: FastMap::default() };
        conn.scan(sql, &[], |r| {
            let id = r[2].as_text();
            let at = match read.at.get(id.as_ref()) {
                Some(&at) => at,
                None => {
                    let at = read.ids.len() as u32;
                    read.ids.push(id.clone().into_owned());
                    read.at.insert(id.into_owned(), at);
                    at
                }
            };
            let force = r[0].as_text();
            let of_force = match read.of_key.get_mut(force.as_ref()) {
                Some(m) => m,
                None => read.of_key.entry(force.into_owned()).or_default(),
            };
            of_force.entry(conduct_domain::Text::from(r[1].as_text().as_ref())).or_default().add(at);
            Ok(true)
        })?;
        Ok(read)
    }

    /// The highest number of the ids read (0 when none has one).
    fn highest(&self) -> u64 {
        self.ids.iter().filter_map(|id| crate::ids::number(id)).max().unwrap_or(0)
    }
}

/// Ids for `a`'s persons and courses, carried over from the publication it replaces (see
/// [`crate::ids`]), and the next fresh numbers.
fn carried_ids(conn: &mut Conn, a: &Analysis) -> Result<CarriedIds, Error> {
    let e = &a.export;
    let publication = meta_number(conn, "publication")?.unwrap_or(0);
    if let Some(held) = a.population
        && (publication == 0 || persons_from_population(conn)?)
    {
        return population_ids(conn, a, held, publication);
    }
    let highest_retired = highest_retired(conn)?;
    // Published person of each (force, record_id).
    let published = PublishedIds::<u32>::read(conn, "SELECT force, record_id, person_id FROM records")?;
    let highest = published.highest().max(highest_retired('P'));
    // Records find their ids by place: the ids' own places are not needed.
    let PublishedIds { ids: old_ids, at, of_key: old_person } = published;
    drop(at);
    let mut next_person = (meta_number(conn, "next_person")?.unwrap_or(1).max(1) as u64).max(highest + 1);
    // The store's own people rows (the other forces' records from the hub, after them, stand
    // for persons of these and hold no id of their own), each with its published id, looked
    // up on every core.
    let (people, of_row) = (&e.people[..a.own_people], &a.found.persons.of_row()[..a.own_people]);
    use rayon::prelude::*;
    let old: Vec<Option<&str>> = people
        .par_iter()
        .map(|p| old_person.get(p.force.name()).and_then(|m| m.get(p.record_id.as_str())).map(|&at| old_ids[at as usize].as_str()))
        .collect();
    drop(old_person);
    let members = of_row.iter().zip(&old).filter_map(|(&n, old)| old.map(|old| (n, old)));
    let persons = of_row.iter().max().map_or(0, |&m| m as usize + 1);
    let mut persons = crate::ids::assign(persons, &crate::ids::overlaps(members), &mut next_person, crate::ids::person);
    // Each merge and split with its deciding comparisons, under the model just linked with.
    if let (false, Some(linked)) = (persons.events.is_empty(), &a.found.linked) {
        let x = crate::ids::Explainer { rows: people, group: of_row, old: &old, labels: &persons.labels, model: &linked.model, tf: &a.tf };
        crate::ids::explain_person_events(&mut persons.events, &x);
    }
    drop(old);
    let (courses, course_changed, next_course) = carried_course_ids(conn, a, publication, &highest_retired)?;
    Ok(CarriedIds { persons, courses, course_changed, next_person, next_course, publication, from_population: false })
}

/// The highest number of the retired ids with each prefix (`P` persons, `C` courses): retired
/// ids count as issued, so a fresh number is above all of them too.
fn highest_retired(conn: &mut Conn) -> Result<impl Fn(char) -> u64 + use<>, Error> {
    let retired: Vec<String> = conn.query("SELECT old_id FROM id_successors", &[])?.iter().map(|r| r[0].text()).collect();
    Ok(move |prefix: char| retired.iter().filter(|id| id.starts_with(prefix)).filter_map(|id| crate::ids::number(id)).max().unwrap_or(0))
}

/// Whether the published persons are a linked population's, under its ids (meta
/// `persons_from`); a dashboard that published persons of its own linkage before the store came
/// to hold a population goes on carrying its own ids over.
fn persons_from_population(conn: &mut Conn) -> Result<bool, Error> {
    Ok(conn.query_one("SELECT value FROM meta WHERE key = 'persons_from'", &[])?.is_some_and(|r| r[0].text() == "population"))
}

/// The ids of an analysis whose persons are a linked population's: each person keeps the
/// population's id (which never renumbers: a merge keeps the id sharing most records, a split
/// leaves it with the larger part), the ids the population retired since the last publication
/// lead to their successors, and its merges, splits, moves and withdrawals are the history.
/// Courses are carried over as always.
fn population_ids(conn: &mut Conn, a: &Analysis, held: HeldPopulation, publication: i64) -> Result<CarriedIds, Error> {
    let shown = meta_number(conn, "population_batch")?.unwrap_or(0);
    let changes = conduct_population::changes_since(conn, shown).map_err(Error::from)?;
    let persons = &a.found.persons;
    let labels = (0..persons.linked_count()).map(|n| persons.id(n)).collect();
    let retired = changes.retired;
    let events = changes
        .events
        .into_iter()
        .map(|c| crate::ids::IdEvent { kind: c.kind, id: c.id, other_id: c.other_id, members: c.members, reason: c.reason })
        .collect();
    let persons = crate::ids::Assigned { labels, retired, events };
    let highest_retired = highest_retired(conn)?;
    let (courses, course_changed, next_course) = carried_course_ids(conn, a, publication, &highest_retired)?;
    let next_person = u64::try_from(held.next_person).unwrap_or(1).max(1);
    Ok(CarriedIds { persons, courses, course_changed, next_person, next_course, publication, from_population: true })
}

/// Course ids carried over from the publication `publication` (see [`carried_ids`]): by course
/// index, the id, and the publication in which the course last changed; and the next fresh
/// course number.
fn carried_course_ids(
    conn: &mut Conn,
    a: &Analysis,
    publication: i64,
    highest_retired: &dyn Fn(char) -> u64,
) -> Result<(crate::ids::Assigned, Vec<i64>, u64), Error> {
    let e = &a.export;
    // The published course(s) of each (force, incident_ref): a report is in one course or more.
    let published = PublishedIds::<Vec<u32>>::read(conn, "SELECT force, incident_ref, course_id FROM course_incidents")?;
    let old_numbers: Vec<Option<u64>> = published.ids.iter().map(|id| crate::ids::number(id)).collect();
    let highest = old_numbers.iter().flatten().copied().max().unwrap_or(0).max(highest_retired('C'));
    let (old_id_at, old_course) = (&published.at, &published.of_key);
    let mut next_course = (meta_number(conn, "next_course")?.unwrap_or(1).max(1) as u64).max(highest + 1);
    // Ids are compared by their numbers (see [`crate::ids::overlaps`]).
    let members = a.found.courses.courses.iter().enumerate().flat_map(|(ci, c)| {
        let old_numbers = &old_numbers;
        c.incidents.iter().flat_map(move |&i| {
            let inc = &e.incidents[i];
            old_course
                .get(inc.force.name())
                .and_then(|m| m.get(inc.incident_ref.as_str()))
                .into_iter()
                .flatten()
                .filter_map(move |&at| old_numbers[at as usize].map(|number| (ci as u32, number)))
        })
    });
    let overlaps = conduct_domain::ids::overlaps(members);
    let courses = crate::ids::assign(a.found.courses.courses.len(), &overlaps, &mut next_course, crate::ids::course);
    // A course is unchanged when it kept its id and holds exactly the reports that id held.
    let mut old_size: Vec<u64> = vec![0; old_numbers.len()];
    for &at in old_course.values().flat_map(|m| m.values()).flatten() {
        old_size[at as usize] += 1;
    }
    let old_changed: FastMap<String, i64> =
        conn.query("SELECT course_id, changed FROM courses", &[])?.iter().map(|r| (r[0].text(), r[1].int().unwrap_or(0))).collect();
    let course_changed = a
        .found
        .courses
        .courses
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let id = courses.labels[ci].as_str();
            let n = c.incidents.len() as u64;
            let same = crate::ids::number(id).and_then(|k| overlaps.get(&(ci as u32, k))) == Some(&n)
                && old_id_at.get(id).map(|&at| old_size[at as usize]) == Some(n);
            match old_changed.get(id) {
                Some(&changed) if same => changed,
                _ => publication + 1,
            }
        })
        .collect();
    Ok((courses, course_changed, next_course))
}

/// Analyses the store's records together with the exports of `adding` (staged, in arrival
/// order) and publishes the result. Only when the analysis has succeeded are the added exports'
/// records imported into the store (each in one transaction, named in `exports` as held) and
/// their files removed: an export whose analysis fails is never held, and the previous
/// publication stands.
///
/// Ids are carried over from the publication being replaced; if another one (a second server,
/// `conduct publish` beside a server) commits meanwhile, this one is prepared again from it.
///
/// # Errors
///
/// [`ErrorKind::Db`] or [`ErrorKind::Store`] when the database fails; [`ErrorKind::Unreadable`]
/// or [`ErrorKind::Io`] for an unreadable staged export; [`ErrorKind::Population`] or
/// [`ErrorKind::Linkage`] when linking fails; [`ErrorKind::Internal`] when the model cannot be
/// written; [`ErrorKind::Refused`] when the population disagrees or publications kept conflicting.
pub fn publish(conn: &mut Conn, data_dir: &Path, adding: &[Staged]) -> Result<Published, Error> {
    publish_read(conn, data_dir, adding.iter().map(|s| (s, None)).collect(), Writes::Changes)
}

/// [`publish`], with the records of an added export given when its caller has just read them
/// (`conduct publish`, which validated the same files a moment before): they are not read
/// again from the staged copy. An export given `None` is read from its staged copy.
///
/// # Errors
///
/// As [`publish`].
pub fn publish_read(
    conn: &mut Conn,
    data_dir: &Path,
    adding: Vec<(&Staged, Option<(Export, Summary)>)>,
    writes: Writes,
) -> Result<Published, Error> {
    if conn.is_postgres() {
        return publish_read_in(conn, data_dir, adding, writes);
    }
    // SQLite keeps the statement journal of each multi-row insert in a temporary file once it
    // passes 64 KiB; a publication's commit wrote a third of its pages there (session 41,
    // `perf record`). In memory for the publication only, then as it was: a large sort in a
    // served view still spills to a file. Setting it drops the connection's temporary tables,
    // which every user creates afresh (`CREATE TEMP TABLE IF NOT EXISTS`).
    let before = conn.query_one("PRAGMA temp_store", &[])?.and_then(|r| r[0].int()).unwrap_or(0);
    conn.batch("PRAGMA temp_store = MEMORY")?;
    let published = publish_read_in(conn, data_dir, adding, writes);
    if let Err(e) = conn.batch(&format!("PRAGMA temp_store = {before}")) {
        say!("conduct: temporary storage after publishing: {e}");
    }
    published
}

/// [`publish_read`] with the connection set up.
fn publish_read_in(
    conn: &mut Conn,
    data_dir: &Path,
    adding: Vec<(&Staged, Option<(Export, Summary)>)>,
    writes: Writes,
) -> Result<Published, Error> {
    let started = std::time::Instant::now();
    if !conn.is_postgres() {
        sweep_tables(conn)?;
    }
    import_kept_exports(conn, data_dir)?;
    // The added exports not yet held (one whose import committed before its process stopped is
    // queued again, and held once).
    let mut pending = Vec::new();
    // The incidents held (1M keys at the 1M world, about half a second) are read only for an
    // export to be read here: `conduct publish` hands over the records it validated.
    let mut known: Option<conduct_ingest::KnownIncidents> = None;
    for (s, read) in adding {
        if held(conn, &s.name)? {
            retire(s);
        } else {
            let read = match read {
                Some(read) => read,
                None => {
                    let known = match &mut known {
                        Some(known) => known,
                        None => known.insert(conduct_store::known_incidents(conn).map_err(Error::from)?),
                    };
                    read_export(known, &s.dir)?
                }
            };
            pending.push((s, read));
        }
    }
    drop(known);
    let opened = started.elapsed().as_secs_f64();
    // A store holding a linked population takes each added export through the population's
    // update: imported and linked to the persons held in one transaction (new records only,
    // against the index), so the analysis below takes the population's persons and links
    // nothing again.
    let population = conduct_population::holds_population(conn).map_err(Error::from)?;
    let updating = std::time::Instant::now();
    let mut update_stages: Vec<(&'static str, f64)> = Vec::new();
    // What the publication before these updates stood on, and the records the updates import:
    // the records table is then compared by its keys and persons (see [`Touched`]).
    let mut touched = None;
    if population {
        touched = Some(Touched {
            publication: meta_number(conn, "publication")?.unwrap_or(0),
            import: last_import(conn)?,
            records: pending.iter().flat_map(|(_, (e, _))| e.people.iter().map(|p| (p.force, p.record_id.clone()))).collect(),
            incidents: pending.iter().flat_map(|(_, (e, _))| e.incidents.iter().map(|i| (i.force, i.incident_ref.clone()))).collect(),
        });
        let options = conduct_population::Options { link: conduct_pipeline::Options::default().link, ..Default::default() };
        for (s, (export, summary)) in pending.drain(..) {
            let (_, report) =
                conduct_population::update_export_in(conn, Path::new("the database"), &export, summary, &options).map_err(Error::from)?;
            for (name, t) in report.stages {
                match update_stages.iter_mut().find(|(n, _)| *n == name) {
                    Some(s) => s.1 += t,
                    None => update_stages.push((name, t)),
                }
            }
            conn.execute("INSERT INTO exports (name) VALUES (?)", &[s.name.as_str().into()])?;
            retire(s);
        }
    }
    let updated = updating.elapsed().as_secs_f64();
    for _ in 0..3 {
        // The publication first: if another commits after this, the commit below sees it.
        let expected = meta_number(conn, "publication")?.unwrap_or(0);
        let mut laps = Laps::new();
        laps.stages.push(("open", opened));
        if population {
            laps.stages.push(("update", updated));
        }
        // With a linked population, its persons, model and name counts are read on this
        // connection while the people rows are still being read on the second.
        let (records, snapshot) =
            conduct_store::load_export_then(conn, |c| population.then(|| conduct_population::snapshot(c)).transpose());
        let mut records = records.map_err(Error::from)?;
        let snapshot = snapshot.map_err(Error::from)?.flatten();
        // A first publication of one export (the store holds no records) analyses the export's
        // own rows, not a copy (a copy of the 1M-incident world took seconds), and imports the
        // rows it analysed. Merged into nothing an export is itself: the reader sets aside
        // every row whose key it has seen (test `an_export_merged_into_nothing_is_itself`).
        let first = !population
            && pending.len() == 1
            && records.incidents.is_empty()
            && records.people.is_empty()
            && records.orders.is_empty()
            && records.risk_assessments.is_empty();
        if first {
            records = std::mem::take(&mut pending[0].1.0);
        } else {
            for (_, (export, _)) in &pending {
                merge(&mut records, export.clone());
            }
        }
        let held = conduct_store::cross_force::held(conn).map_err(Error::from)?;
        laps.lap("read");
        let a = if population {
            let snapshot = snapshot.ok_or_else(|| Error::refused("the store's linked population is gone"))?;
            analyse_held(records, snapshot, held)?
        } else {
            analyse(records, held)?
        };
        laps.lap("analyse");
        for (s, (export, summary)) in pending.drain(..) {
            let rows = if first {
                let e = &a.export;
                conduct_store::Records {
                    incidents: &e.incidents[..a.own_incidents],
                    people: &e.people[..a.own_people],
                    orders: &e.orders,
                    risk_assessments: &e.risk_assessments,
                }
            } else {
                conduct_store::Records::from(&export)
            };
            conduct_store::import_rows(conn, Path::new("the database"), rows, summary).map_err(Error::from)?;
            conn.execute("INSERT INTO exports (name) VALUES (?)", &[s.name.as_str().into()])?;
            retire(s);
        }
        let analysed_import = last_import(conn)?;
        laps.lap("import");
        let published = publish_once(conn, &a, expected, analysed_import, writes, touched.as_ref());
        // The analysis (every record, course and review of the store: 0.3 s to free at the 1M
        // world) is freed on a thread of its own: the publication is done without waiting.
        // Should no thread start, it is freed here (`spawn` drops what it could not run).
        let _ = std::thread::Builder::new().name("freeing an analysis".into()).spawn(move || drop(a));
        match published {
            Err(e) if e.kind() == ErrorKind::Conflict => continue,
            Ok(mut p) => {
                laps.stages.append(&mut p.stages);
                p.stages = laps.stages;
                p.update_stages = update_stages;
                return Ok(p);
            }
            other => return other,
        }
    }
    Err(Error::refused("other publications kept committing while this one was prepared; try again"))
}

/// Whether the store holds records imported after the current publication was analysed (a
/// workspace filled by `conduct ingest`, or an import whose publication did not commit): the
/// dashboard publishes them when it starts.
///
/// # Errors
///
/// [`ErrorKind::Db`] when the query fails.
pub fn behind(conn: &mut Conn) -> Result<bool, Error> {
    Ok(last_import(conn)? > meta_number(conn, "published_import")?.unwrap_or(0))
}

/// The id of the store's last import (0 before the first).
fn last_import(conn: &mut Conn) -> Result<i64, Error> {
    Ok(conn.query_one("SELECT coalesce(max(id), 0) FROM imports", &[])?.and_then(|r| r[0].int()).unwrap_or(0))
}

/// The people rows and the incidents a publication's population updates imported (new,
/// changed or the same again), and what the store held before them: the publication then in
/// force and the last import.
///
/// A published `records` row is its people row with its person's id, and a
/// `published_incidents` row is its incident. When nothing was imported between the
/// publication in force and these updates (its `published_import` is `import`) and this
/// publication replaces that one, every people row and incident the updates did not import is
/// the one that publication wrote, so the records table is compared by its keys, roles and
/// persons only ([`RECORD_KEY_COLUMNS`], 5 of its 18 columns) and the incidents by their keys
/// only ([`INCIDENT_KEY_COLUMNS`]); the rows the updates imported alone (and the other
/// forces' reports from the hub, which are not imported) are then compared whole, each with the
/// held row of its key ([`crate::changes::compare_whole`]). Anything else (an import between,
/// another publication first, a layout other than [`RECORDS_LAYOUT`] or [`INCIDENTS_LAYOUT`])
/// compares every column of every row of that table.
struct Touched {
    publication: i64,
    import: i64,
    records: std::collections::HashSet<(Force, conduct_domain::Text), foldhash::fast::RandomState>,
    incidents: std::collections::HashSet<(Force, conduct_domain::Text), foldhash::fast::RandomState>,
}

/// The columns of `records` compared for a people row no update touched.
const RECORD_KEY_COLUMNS: [&str; 5] = ["force", "record_id", "incident_ref", "role", "person_id"];

/// How a publication makes a `records` row from its people row (`record_row` in
/// [`publish_once`]), stored in `meta` as `records_layout`. The comparison by keys
/// ([`Touched`]) takes the other columns as written only under the same layout: a build that
/// renders any of them otherwise (test `a_records_row_is_made_as_its_layout_says` pins each)
/// must change this, and its first publication compares every column.
const RECORDS_LAYOUT: &str = "records 1: force record_id incident_ref role person_id local_person_id forename middle_names surname \
                              date_of_birth sex address postcode phone email online_handles pnc_id ni_number";

/// The columns of `published_incidents` compared for an incident no update touched.
const INCIDENT_KEY_COLUMNS: [&str; 2] = ["force", "incident_ref"];

/// How a publication makes a `published_incidents` row from its incident ([`incident_row`]),
/// stored in `meta` as `incidents_layout`: as [`RECORDS_LAYOUT`] is for the records (test
/// `an_incidents_row_is_made_as_its_layout_says` pins each column).
const INCIDENTS_LAYOUT: &str = "published_incidents 1: force incident_ref recorded_date occurred_date offence_code offence_description \
                                domestic_abuse cyber linked_refs outcome_type outcome_date narrative secondary_offence_codes";

/// A `published_incidents` row: the incident `i`, laid out as [`INCIDENTS_LAYOUT`] says.
fn incident_row(i: &conduct_domain::Incident, row: &mut Vec<Value>) {
    row.extend([
        i.force.name().into(),
        (&i.incident_ref).into(),
        date(i.recorded_date).into(),
        opt_date(i.occurred_date),
        i.offence_code.as_str().into(),
        Value::opt_text(&i.offence_description),
        opt_bool(i.domestic_abuse),
        opt_bool(i.cyber),
        Value::opt_text(&i.linked_refs.join(";")),
        i.outcome_type.map_or(Value::Null, |o| Value::Int(o.number() as i64)),
        opt_date(i.outcome_date),
        Value::opt_text(&i.narrative),
        Value::opt_text(&i.secondary_offence_codes.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(";")),
    ]);
}

/// A `records` row: the people row `p` under `person`, laid out as [`RECORDS_LAYOUT`] says.
fn record_row(p: &conduct_domain::Involvement, person: Value, row: &mut Vec<Value>) {
    row.extend([
        p.force.name().into(),
        (&p.record_id).into(),
        (&p.incident_ref).into(),
        p.role.as_str().into(),
        person,
        Value::opt_text(&p.local_person_id),
        Value::opt_text(&p.forename),
        Value::opt_text(&p.middle_names),
        Value::opt_text(&p.surname),
        Value::opt_text(p.date_of_birth()),
        Value::opt_text(&p.sex),
        Value::opt_text(&p.address),
        Value::opt_text(&p.postcode),
        Value::opt_text(p.phone()),
        Value::opt_text(&p.email),
        Value::opt_text(&p.online_handles),
        Value::opt_text(&p.pnc_id),
        Value::opt_text(&p.ni_number),
    ]);
}

/// Rows of one table written at a time while a publication fills its copies (SQLite): a
/// transaction writes such slices until it has held the write lock about 20 ms, so audit
/// entries, sign-ins and uploads are not kept waiting by a publication of any size.
pub const ROWS_PER_WRITE: usize = 2048;

/// How long one of a publication's transactions filling a copy goes on adding slices of
/// [`ROWS_PER_WRITE`] rows (the last slice may take it a few milliseconds past).
const HOLD_PER_WRITE: std::time::Duration = std::time::Duration::from_millis(20);

/// The pause between two of a publication's transactions on SQLite, so that a writer waiting
/// for the lock (polling every millisecond) gets its turn.
const PAUSE_BETWEEN_WRITES: std::time::Duration = std::time::Duration::from_millis(2);

/// The marks of a publication's copies of the analysis tables on SQLite: `__n_OWNER_RANDOM` while
/// being filled, `__o_…` for the tables they replaced, until dropped.
const FILLING: &str = "__n_";
const REPLACED: &str = "__o_";

/// Drops the copies that publications left behind: replaced tables (the publication committed
/// and stopped before dropping them), and copies being filled by a process that has stopped.
fn sweep_tables(conn: &mut Conn) -> Result<(), Error> {
    for t in crate::schema::tables_like(conn, "")? {
        let drop = if let Some((_, rest)) = t.split_once(REPLACED) {
            !rest.is_empty()
        } else if let Some((_, rest)) = t.split_once(FILLING) {
            let owner = rest.rsplit_once('_').map_or(rest, |x| x.0).replace('_', "-");
            !owner_alive(&owner)
        } else {
            false
        };
        if drop {
            conn.batch(&format!("DROP TABLE IF EXISTS {t}"))?;
        }
    }
    Ok(())
}

fn publish_once(
    conn: &mut Conn,
    a: &Analysis,
    expected: i64,
    analysed_import: i64,
    writes: Writes,
    touched: Option<&Touched>,
) -> Result<Published, Error> {
    let e = &a.export;
    // The records and the incidents compared by their keys when only the updates' rows can have
    // changed (each table only if the last publication wrote it in this build's layout).
    let touched = match touched {
        Some(t) if t.publication == expected && meta_number(conn, "published_import")? == Some(t.import) => Some(t),
        _ => None,
    };
    let laid_out = |conn: &mut Conn, key: &str, layout: &str| -> Result<bool, Error> {
        Ok(conn.query_one("SELECT value FROM meta WHERE key = ?", &[key.into()])?.is_some_and(|r| r[0].text() == layout))
    };
    let records_touched = match touched {
        Some(t) if laid_out(conn, "records_layout", RECORDS_LAYOUT)? => Some(&t.records),
        _ => None,
    };
    let incidents_touched = match touched {
        Some(t) if laid_out(conn, "incidents_layout", INCIDENTS_LAYOUT)? => Some(&t.incidents),
        _ => None,
    };
    let mut laps = Laps::new();
    // The orders' and screenings' rows need no ids: made beside the ids' carrying, which reads
    // the published tables on one core.
    let (ids, (orders, screenings)) = rayon::join(|| carried_ids(conn, a), || order_and_screening_rows(e));
    let ids = ids?;
    if ids.publication != expected {
        return Err(conflict());
    }
    laps.lap("ids");
    let (person_label, course_label) = (&ids.persons.labels, &ids.courses.labels);
    let pid = |n: u32| Value::from(person_label[n as usize].as_str());

    // Per incident: its course(s) and whether it is a hidden repeat there, made as they are read
    // (`course_incident_row`), found by where each course's rows end in that table.
    let mut course_incident_ends: Vec<usize> = Vec::with_capacity(a.found.courses.courses.len() + 1);
    let mut course_forces: Vec<Vec<Value>> = Vec::new();
    let mut courses: Vec<Vec<Value>> = Vec::new();
    let mut review_of: Vec<Option<usize>> = vec![None; a.found.courses.courses.len()];
    for (rank, r) in a.found.reviews.iter().enumerate() {
        review_of[r.course] = Some(rank);
    }
    // Each course's place in review order, as one number that other courses coming and going
    // leave alone (`list_positions`): the list's order is kept in `triage_rank` and `pos`.
    let standings: Vec<Option<conduct_courses::Standing>> = review_of
        .iter()
        .map(|r| r.map(|rank| conduct_courses::Standing::of(&e.incidents, &a.found.courses.courses, &a.found.reviews[rank])))
        .collect();
    let position = list_positions(&standings, course_label)?;
    let mut breach_rows = Vec::new();
    let mut per_force: BTreeMap<Force, ForceFigures> = BTreeMap::new();
    // The forces whose records the store holds. Another force's reports from the hub (the
    // cross-force mode) are shown on the courses they join, but that force has no row of
    // figures and no list of courses here: its records are not held.
    let own_forces: std::collections::HashSet<Force> = e.incidents[..a.own_incidents].iter().map(|i| i.force).collect();
    // Each course's rows, made on every core: its `courses` row, a `course_forces` row per
    // force of the store's own among its reports', and its breaches' rows.
    use rayon::prelude::*;
    type CourseRows = (Vec<Value>, Vec<(Force, Vec<Value>, Reports)>, Vec<Vec<Value>>);
    let made: Vec<CourseRows> = a
        .found
        .courses
        .courses
        .par_iter()
        .enumerate()
        .map(|(ci, c)| {
            let (first, last) = conduct_courses::span(&e.incidents, c);
            let (priority, reasons, stalking, breaches) = match review_of[ci] {
                Some(rank) => {
                    let r = &a.found.reviews[rank];
                    (r.priority, r.reasons.as_slice(), r.stalking.review_as_stalking(), r.breaches.len())
                }
                None => (Priority::Routine, &[][..], false, 0),
            };
            let forces: Vec<&str> = c.forces.iter().map(|f| f.name()).collect();
            let cid = &course_label[ci];
            let course = vec![
                cid.into(),
                forces.join(";").into(),
                pid(c.victim),
                match c.suspect {
                    conduct_courses::Suspect::Known(s) => pid(s),
                    conduct_courses::Suspect::Unknown => Value::Null,
                },
                date(first).into(),
                date(last).into(),
                c.incidents.len().into(),
                c.hidden.len().into(),
                c.is_cross_force().into(),
                priority.as_str().into(),
                priority_rank(priority).into(),
                position[ci].into(),
                stalking.into(),
                breaches.into(),
                serde_json::to_string(reasons).unwrap_or_default().into(),
                c.incidents.iter().filter(|&&i| e.incidents[i].stalking_or_harassment_only_secondary()).count().into(),
                ids.course_changed[ci].into(),
                position[ci].into(),
            ];
            let mut forces_rows = Vec::new();
            for f in c.forces.iter().filter(|f| own_forces.contains(f)) {
                let in_force: Vec<&usize> = c.incidents.iter().filter(|&&i| e.incidents[i].force == *f).collect();
                let last_here = in_force.iter().map(|&&i| e.incidents[i].recorded_date).max().unwrap_or(last);
                let reports = Reports {
                    reports: in_force.len(),
                    hidden: c.hidden.iter().filter(|&&i| e.incidents[i].force == *f).count(),
                    first: c.incidents.first().is_some_and(|&i| e.incidents[i].force == *f),
                };
                let row = vec![
                    f.name().into(),
                    cid.into(),
                    position[ci].into(),
                    priority_rank(priority).into(),
                    date(last_here).into(),
                    in_force.len().into(),
                    stalking.into(),
                    c.is_cross_force().into(),
                    breaches.into(),
                    reports.hidden.into(),
                    in_force.iter().filter(|&&&i| e.incidents[i].stalking_or_harassment_only_secondary()).count().into(),
                    ids.course_changed[ci].into(),
                    position[ci].into(),
                ];
                forces_rows.push((*f, row, reports));
            }
            let mut breaches_rows = Vec::new();
            if let Some(rank) = review_of[ci] {
                for &b in &a.found.reviews[rank].breaches {
                    let br = &a.found.breaches[b];
                    let (inc, ord) = (&e.incidents[br.incident], &e.orders[br.order]);
                    breaches_rows.push(vec![
                        cid.into(),
                        inc.force.name().into(),
                        (&inc.incident_ref).into(),
                        ord.force.name().into(),
                        (&ord.order_ref).into(),
                    ]);
                }
            }
            (course, forces_rows, breaches_rows)
        })
        .collect();
    // Then in course order: the rows, where each course's reports end in `course_incidents`,
    // and the forces' figures.
    for ((ci, c), (course, forces_rows, breaches_rows)) in a.found.courses.courses.iter().enumerate().zip(made) {
        courses.push(course);
        breach_rows.extend(breaches_rows);
        course_incident_ends.push(course_incident_ends.last().map_or(0, |&at| at) + c.incidents.len());
        let priority = review_of[ci].map_or(Priority::Routine, |rank| a.found.reviews[rank].priority);
        for (f, row, here) in forces_rows {
            course_forces.push(row);
            let fig = per_force.entry(f).or_default();
            fig.courses += 1;
            fig.hidden += here.hidden;
            fig.linked += here.reports.saturating_sub(usize::from(here.first)).saturating_sub(here.hidden);
            match priority {
                Priority::Urgent => fig.urgent += 1,
                Priority::High => fig.high += 1,
                Priority::Review => fig.review += 1,
                Priority::Routine => fig.routine += 1,
            }
        }
        for &b in review_of[ci].map_or(&[][..], |rank| a.found.reviews[rank].breaches.as_slice()) {
            let inc = &e.incidents[a.found.breaches[b].incident];
            if own_forces.contains(&inc.force) {
                per_force.entry(inc.force).or_default().breaches += 1;
            }
        }
    }
    // The largest tables' rows (the incidents and the records) are made one at a time as the
    // comparison and the writes read them, not built and held.
    let incident_row = |k: usize, row: &mut Vec<Value>| incident_row(&e.incidents[k], row);
    // An incident by its keys, for the comparison by keys (see [`Touched`]).
    let incident_key_row = |k: usize, row: &mut Vec<Value>| {
        let i = &e.incidents[k];
        row.extend([i.force.name().into(), (&i.incident_ref).into()]);
    };
    // Every force with a report has a row, even one whose reports are all recorded under other
    // crimes (its Home Office figures are then zeros); not the other forces whose reports the
    // hub passed on.
    for i in &e.incidents[..a.own_incidents] {
        let fig = per_force.entry(i.force).or_default();
        fig.under_another_crime += usize::from(i.stalking_or_harassment_only_secondary());
    }
    // The Home Office figures are the pipeline's tables (`conduct_stats`), the ones `conduct
    // stats` and `conduct run` write as recorded.csv and outcomes.csv, never counted again here.
    for ((f, q), v) in a.found.statistics.tables.stalking_and_harassment_by_quarter() {
        per_force.entry(f).or_default().add_quarter(q, &v);
    }

    let (own_people, of_row) = (&e.people[..a.own_people], a.found.persons.of_row());
    let record_row = |k: usize, row: &mut Vec<Value>| record_row(&own_people[k], pid(of_row[k]), row);
    // A records row by its keys, role and person, for the comparison by keys (see [`Touched`]),
    // and the rows the updates imported, compared whole after it.
    let record_key_row = |k: usize, row: &mut Vec<Value>| {
        let (p, n) = (&own_people[k], of_row[k]);
        row.extend([p.force.name().into(), (&p.record_id).into(), (&p.incident_ref).into(), p.role.as_str().into(), pid(n)]);
    };
    let imported: Vec<usize> = records_touched
        .map(|t| {
            (0..own_people.len()).into_par_iter().filter(|&k| t.contains(&(own_people[k].force, own_people[k].record_id.clone()))).collect()
        })
        .unwrap_or_default();
    // The incidents the updates imported, and the other forces' reports from the hub (published
    // beside the store's own, never imported): compared whole after the keys.
    let imported_incidents: Vec<usize> = incidents_touched
        .map(|t| {
            (0..e.incidents.len())
                .into_par_iter()
                .filter(|&k| k >= a.own_incidents || t.contains(&(e.incidents[k].force, e.incidents[k].incident_ref.clone())))
                .collect()
        })
        .unwrap_or_default();
    // Per person number: its records and their forces, in the order first seen (the first
    // held inline: a person of more than one force is rare, and a list each would be a million
    // allocations at the 1M world). The persons' rows are made as they are read
    // (`person_row`), for the numbers with records.
    let mut persons: Vec<PersonSeen> = vec![PersonSeen::default(); of_row.iter().max().map_or(0, |&m| m as usize + 1)];
    for (p, &n) in own_people.iter().zip(of_row) {
        persons[n as usize].saw(p.force);
    }
    let live: Vec<u32> = (0..persons.len() as u32).filter(|&n| persons[n as usize].records > 0).collect();
    let person_row = |k: usize, row: &mut Vec<Value>| {
        let n = live[k];
        let seen = &persons[n as usize];
        row.extend([pid(n), Value::Int(i64::from(seen.records)), seen.forces().into()]);
    };
    let course_incident_row = |k: usize, row: &mut Vec<Value>| {
        let ci = course_incident_ends.partition_point(|&end| end <= k);
        let c = &a.found.courses.courses[ci];
        let i = c.incidents[k - ci.checked_sub(1).map_or(0, |before| course_incident_ends[before])];
        let inc = &e.incidents[i];
        row.extend([(&course_label[ci]).into(), inc.force.name().into(), (&inc.incident_ref).into(), c.hidden.contains(&i).into()]);
    };

    // Victims who withdrew (outcomes 14 and 16): per force, by course and by offence.
    for (name, w) in conduct_courses::withdrawals_by_force(&e.incidents, &a.found.courses.courses) {
        if let Some(f) = Force::resolve(name).ok().filter(|f| own_forces.contains(f)) {
            per_force.entry(f).or_default().withdrawal = Some(w);
        }
    }
    let forces: Vec<Vec<Value>> = per_force.iter().map(|(f, fig)| fig.row(*f)).collect();
    let tf: Vec<Vec<Value>> = a.tf.entries().map(|(w, h, v)| vec![Value::Int(w as i64), Value::Int(h as i64), Value::Real(v)]).collect();
    let model = serde_json::to_string(&a.found.linked.as_ref().map(|l| &l.model))
        .map_err(|e| Error::caused(ErrorKind::Internal, format!("writing the model as JSON: {e}"), e))?;

    let published = Published {
        incidents: a.own_incidents,
        records: own_people.len(),
        persons: live.len(),
        courses: courses.len(),
        orders: orders.len(),
        breaches: breach_rows.len(),
        cross_force: a.cross_force.clone(),
        stages: Vec::new(),
        update_stages: Vec::new(),
        tables: Vec::new(),
    };
    let tables: [TableRows<'_>; 11] = [
        (
            "force_figures",
            &[
                "name",
                "incidents",
                "courses",
                "hidden_repeats",
                "linked_repeats",
                "urgent",
                "high",
                "review",
                "routine",
                "breaches",
                "charged",
                "outcomes",
                "overview",
            ],
            Rows::Held(&forces),
        ),
        (
            "published_incidents",
            &[
                "force",
                "incident_ref",
                "recorded_date",
                "occurred_date",
                "offence_code",
                "offence_description",
                "domestic_abuse",
                "cyber",
                "linked_refs",
                "outcome_type",
                "outcome_date",
                "narrative",
                "secondary_offence_codes",
            ],
            Rows::Made { len: e.incidents.len(), make: &incident_row },
        ),
        (
            "course_incidents",
            &["course_id", "force", "incident_ref", "hidden"],
            Rows::Made { len: course_incident_ends.last().map_or(0, |&n| n), make: &course_incident_row },
        ),
        (
            "records",
            &[
                "force",
                "record_id",
                "incident_ref",
                "role",
                "person_id",
                "local_person_id",
                "forename",
                "middle_names",
                "surname",
                "date_of_birth",
                "sex",
                "address",
                "postcode",
                "phone",
                "email",
                "online_handles",
                "pnc_id",
                "ni_number",
            ],
            Rows::Made { len: own_people.len(), make: &record_row },
        ),
        ("persons", &["person_id", "records", "forces"], Rows::Made { len: live.len(), make: &person_row }),
        (
            "courses",
            &[
                "course_id",
                "forces",
                "victim",
                "suspect",
                "first_date",
                "last_date",
                "reports",
                "hidden",
                "cross_force",
                "priority",
                "priority_rank",
                "triage_rank",
                "stalking",
                "breaches",
                "reasons",
                "secondary",
                "changed",
                "pos",
            ],
            Rows::Held(&courses),
        ),
        (
            "course_forces",
            &[
                "force",
                "course_id",
                "triage_rank",
                "priority_rank",
                "last_date",
                "reports",
                "stalking",
                "cross_force",
                "breaches",
                "hidden",
                "secondary",
                "changed",
                "pos",
            ],
            Rows::Held(&course_forces),
        ),
        (
            "published_orders",
            &["force", "order_ref", "order_type", "incident_ref", "applied_date", "granted_date", "expires_date", "status"],
            Rows::Held(&orders),
        ),
        ("breaches", &["course_id", "force", "incident_ref", "order_force", "order_ref"], Rows::Held(&breach_rows)),
        ("term_frequencies", &["which", "hash", "frequency"], Rows::Held(&tf)),
        (
            "published_screenings",
            &["force", "incident_ref", "assessed_date", "tool", "grade", "yes_answers", "in_words", "assessor_notes"],
            Rows::Held(&screenings),
        ),
    ];
    debug_assert!(tables.iter().map(|t| t.0).eq(crate::schema::ANALYSIS.iter().map(|t| t.0)));
    // What each table is compared by: its rows, but the records and the incidents by their keys
    // when only the updates' rows can have changed. Changes are indexes into the rows, the same
    // in both.
    let mut compared = tables;
    let position = |name: &str| tables.iter().position(|t| t.0 == name);
    let records_by_keys = records_touched.and_then(|_| position("records"));
    if let Some(r) = records_by_keys {
        compared[r] = ("records", &RECORD_KEY_COLUMNS, Rows::Made { len: own_people.len(), make: &record_key_row });
    }
    let incidents_by_keys = incidents_touched.and_then(|_| position("published_incidents"));
    if let Some(r) = incidents_by_keys {
        compared[r] = ("published_incidents", &INCIDENT_KEY_COLUMNS, Rows::Made { len: e.incidents.len(), make: &incident_key_row });
    }
    // The rows the updates imported, compared whole where the keys matched.
    let imported_compared_whole = |c: &mut Conn, changes: &mut [Option<crate::changes::RowChanges>]| -> Result<(), Error> {
        for (by_keys, which) in [(records_by_keys, &imported), (incidents_by_keys, &imported_incidents)] {
            if let Some(r) = by_keys
                && let Some(ch) = &mut changes[r]
            {
                let (t, columns, rows) = tables[r];
                crate::changes::compare_whole(c, t, columns, 2, rows, which, ch)?;
            }
        }
        Ok(())
    };
    // What the commit records besides the tables: where retired ids lead, the figures of the
    // publication, and the last import it analysed.
    let now = crate::audit::now();
    let urgent: Vec<(String, String)> =
        course_forces.iter().filter(|r| r[3].int() == Some(0)).map(|r| (r[0].text(), r[1].text())).collect();
    let label_of: HashMap<&str, usize> = course_label.iter().enumerate().map(|(ci, l)| (l.as_str(), ci)).collect();
    laps.lap("rows");
    let finish = |c: &mut Conn| -> Result<(), Error> {
        // Retired ids lead to their successors; ids that led to one retired now lead on.
        for (old, new) in ids.persons.retired.iter().chain(&ids.courses.retired) {
            c.execute("UPDATE id_successors SET current_id = ? WHERE current_id = ?", &[new.into(), old.into()])?;
            c.execute("DELETE FROM id_successors WHERE old_id = ?", &[old.into()])?;
            c.execute("INSERT INTO id_successors (old_id, current_id) VALUES (?, ?)", &[old.into(), new.into()])?;
        }
        // The history of ids: each merge and split, with this publication and its time, in one
        // bulk insert as the analysis tables are written.
        let events: Vec<Vec<Value>> = ids
            .persons
            .events
            .iter()
            .chain(&ids.courses.events)
            .map(|e| {
                vec![
                    (ids.publication + 1).into(),
                    now.as_str().into(),
                    e.kind.as_str().into(),
                    e.id.as_str().into(),
                    e.other_id.as_str().into(),
                    (e.members as i64).into(),
                    e.reason.as_str().into(),
                ]
            })
            .collect();
        c.bulk_insert("id_events", &["publication", "at", "kind", "id", "other_id", "members", "reason"], &events)?;
        // The review workflow follows the ids and learns what is new since each review.
        crate::workflow::after_publication(c, &ids.courses.retired, &urgent, &now, &|id: &str| {
            label_of.get(id).map(|&ci| {
                let course = &a.found.courses.courses[ci];
                let mut content = crate::workflow::Content::default();
                for &i in &course.incidents {
                    let inc = &e.incidents[i];
                    content.reports.insert(crate::workflow::report_key(inc.force.name(), &inc.incident_ref));
                }
                if let Some(rank) = review_of[ci] {
                    for &b in &a.found.reviews[rank].breaches {
                        let inc = &e.incidents[a.found.breaches[b].incident];
                        content.breaches.insert(crate::workflow::report_key(inc.force.name(), &inc.incident_ref));
                    }
                }
                content
            })
        })?;
        let mut meta = vec![
            ("model", model.clone()),
            ("published_at", now.clone()),
            ("published", serde_json::to_string(&published).unwrap_or_default()),
            ("publication", (ids.publication + 1).to_string()),
            ("next_person", ids.next_person.to_string()),
            ("next_course", ids.next_course.to_string()),
            ("published_import", analysed_import.to_string()),
            ("records_layout", RECORDS_LAYOUT.to_string()),
            ("incidents_layout", INCIDENTS_LAYOUT.to_string()),
        ];
        // Whose persons these are: a linked population's (under its ids, and the last of its
        // batches shown, whose merges and splits are in the history), or this linkage's.
        if let Some(held) = a.population.filter(|_| ids.from_population) {
            meta.push(("persons_from", "population".to_string()));
            meta.push(("population_batch", held.batches.to_string()));
        } else {
            meta.push(("persons_from", "linkage".to_string()));
        }
        for (k, v) in meta {
            c.execute("DELETE FROM meta WHERE key = ?", &[k.into()])?;
            c.execute("INSERT INTO meta (key, value) VALUES (?, ?)", &[k.into(), v.into()])?;
        }
        Ok(())
    };

    if conn.is_postgres() {
        // Readers keep their snapshot while this commits (MVCC), and nothing else writes these
        // tables, so one transaction costs nobody a wait.
        let written = conn.transaction(|c| -> Result<Vec<(&'static str, Written)>, Error> {
            // Publications are serialised by a lock held to commit. The one this was prepared
            // against must still be the latest.
            c.batch("SELECT pg_advisory_xact_lock(7270112)")?;
            if meta_number(c, "publication")?.unwrap_or(0) != expected {
                return Err(conflict());
            }
            // Compared under the lock: no other publication changes the tables meanwhile, so
            // the rows' keys (ctid) stay theirs until deleted.
            let mut changes = compare(c, &compared, writes, usize::MAX)?;
            imported_compared_whole(c, &mut changes)?;
            laps.lap("compare");
            for ((t, columns, rows), changes) in tables.iter().zip(&changes) {
                match changes {
                    Some(changes) => crate::changes::apply(c, t, columns, *rows, changes)?,
                    None => {
                        c.execute(&format!("DELETE FROM {t}"), &[])?;
                        rows.insert_into(c, t, columns)?;
                    }
                }
            }
            finish(c)?;
            Ok(written(&tables, &changes))
        })?;
        laps.lap("write");
        // Fresh statistics for the planner after rewriting the analysis tables. The
        // publication has committed: a failure here must not make the caller discard an export
        // the database now names as held.
        if let Err(e) = conn.batch("ANALYZE") {
            say!("conduct: statistics after publishing: {e}");
        }
        laps.lap("tidy");
        return Ok(Published { stages: laps.stages, tables: written, ..published });
    }

    // SQLite has one writer at a time, and a transaction writing every table would keep every
    // other writer (the audit log, sign-ins, uploads) waiting for as long as it takes. So the
    // tables where few rows change are compared now, outside any transaction, and changed in
    // one short transaction at the end (compared again there if another connection committed
    // meanwhile); the rest go into copies, two thousand rows per transaction with a pause
    // between (indexed after filling, up to INDEXED_AFTER_ROWS rows), which that transaction
    // swaps in.
    let version = crate::changes::data_version(conn)?;
    let mut changes = compare(conn, &compared, writes, IN_PLACE_ROWS)?;
    imported_compared_whole(conn, &mut changes)?;
    laps.lap("compare");
    let tag = format!("{}_{}", owner_tag().replace('-', "_"), crate::audit::hex(&crate::auth::random_bytes::<4>()));
    let filling = format!("{FILLING}{tag}");
    let copied: Vec<&str> = tables.iter().zip(&changes).filter(|(_, ch)| ch.is_none()).map(|((t, _, _), _)| *t).collect();
    // A copy of at most `indexed_after_rows()` rows is filled first and indexed after.
    let indexed_after: Vec<&str> =
        tables.iter().filter(|(t, _, rows)| copied.contains(t) && rows.len() <= indexed_after_rows()).map(|(t, _, _)| *t).collect();
    let filled = (|| -> Result<(), Error> {
        conn.transaction(|c| {
            for (t, columns) in crate::schema::ANALYSIS.iter().filter(|(t, _)| copied.contains(t)) {
                if indexed_after.contains(t) {
                    c.batch(&format!("CREATE TABLE {t}{filling} ({columns})"))?;
                } else {
                    c.batch(&crate::schema::table_ddl(t, columns, &filling))?;
                }
            }
            Ok::<_, Error>(())
        })?;
        for ((t, columns, rows), _) in tables.iter().zip(&changes).filter(|(_, ch)| ch.is_none()) {
            let copy = format!("{t}{filling}");
            let (mut at, len) = (0, rows.len());
            while at < len {
                // Slices of ROWS_PER_WRITE rows while the transaction has held the lock less than
                // HOLD_PER_WRITE: the pauses and commits between 2,048-row transactions were a
                // fifth of the 1M world's write stage.
                conn.transaction(|c| -> Result<(), Error> {
                    let began = std::time::Instant::now();
                    while at < len {
                        let end = (at + ROWS_PER_WRITE).min(len);
                        c.bulk_insert(&copy, columns, &rows.slice(at..end))?;
                        at = end;
                        if began.elapsed() >= HOLD_PER_WRITE {
                            break;
                        }
                    }
                    Ok(())
                })?;
                std::thread::sleep(PAUSE_BETWEEN_WRITES);
            }
            if indexed_after.contains(t) {
                for index in crate::schema::index_ddl(t, &filling) {
                    conn.transaction(|c| c.batch(&index))?;
                    std::thread::sleep(PAUSE_BETWEEN_WRITES);
                }
            }
        }
        laps.lap("write");
        conn.transaction(|c| -> Result<(), Error> {
            // SQLite's single writer serialises publications. The one this was prepared
            // against must still be the latest.
            if meta_number(c, "publication")?.unwrap_or(0) != expected {
                return Err(conflict());
            }
            if crate::changes::still_current(c, &compared, &mut changes, version)? {
                imported_compared_whole(c, &mut changes)?;
            }
            for ((t, columns, rows), changes) in tables.iter().zip(&changes) {
                match changes {
                    Some(changes) => crate::changes::apply(c, t, columns, *rows, changes)?,
                    None => c.batch(&format!("ALTER TABLE {t} RENAME TO {t}{REPLACED}{tag}; ALTER TABLE {t}{filling} RENAME TO {t}"))?,
                }
            }
            finish(c)
        })
    })();
    if let Err(e) = filled {
        for t in &copied {
            let _ = conn.batch(&format!("DROP TABLE IF EXISTS {t}{filling}"));
        }
        return Err(e);
    }
    laps.lap("commit");
    // Committed. The replaced tables go one by one (each a short write), then fresh statistics
    // for the planner, sampled so that they cost milliseconds whatever the size.
    // Neither changes what was published: a failure is logged (the next publication sweeps).
    for t in &copied {
        if let Err(e) = conn.batch(&format!("DROP TABLE IF EXISTS {t}{REPLACED}{tag}")) {
            say!("conduct: dropping the replaced {t}: {e}");
        }
        std::thread::sleep(PAUSE_BETWEEN_WRITES);
    }
    let _ = conn.batch("PRAGMA analysis_limit = 1000");
    for (t, _, _) in &tables {
        if let Err(e) = conn.batch(&format!("ANALYZE {t}")) {
            say!("conduct: statistics of {t}: {e}");
        }
    }
    laps.lap("tidy");
    Ok(Published { stages: laps.stages, tables: written(&tables, &changes), ..published })
}

/// How each table was written: by `changes` where it has them, whole otherwise (named as in
/// [`crate::schema::ANALYSIS`], the tables' order).
fn written(tables: &[TableRows<'_>], changes: &[Option<crate::changes::RowChanges>]) -> Vec<(&'static str, Written)> {
    tables
        .iter()
        .zip(changes)
        .zip(crate::schema::ANALYSIS)
        .map(|(((_, _, rows), ch), (name, _))| {
            let how = match ch {
                Some(ch) => Written::Changed { deleted: ch.delete.len(), inserted: ch.insert.len() },
                None => Written::Whole { rows: rows.len() },
            };
            (name, how)
        })
        .collect()
}

/// The most rows of a table whose copy a publication on SQLite fills first and indexes after,
/// each index made in one transaction of its own; a larger table's copy has its indexes while it
/// is filled.
///
/// Filled in short transactions, a copy whose indexes exist writes most of their pages again at
/// every commit (its rows come in the table's order, not the indexes'): the 1,939,779 records
/// of the 1M-incident world, with their two indexes, took 47.6 s to copy in 2,048-row
/// transactions, against 15.0 s without them and 3.4 s to make them after (1.3 and 2.1 s, each
/// holding the write lock). Making an index takes about a second per million rows on the
/// development machine, so at this size a writer waits at most about two seconds, well inside
/// [`conduct_store::db::busy_timeout_ms`]; past it the wait would grow with the table, so larger
/// copies keep the slower way, whose transactions are short.
const INDEXED_AFTER_ROWS: usize = 2_000_000;

/// [`INDEXED_AFTER_ROWS`], or `CONDUCT_INDEXED_AFTER_ROWS` when set: an operator who wants every
/// wait for the lock as short as possible sets 0, and every copy keeps its indexes while filled.
fn indexed_after_rows() -> usize {
    static ROWS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *ROWS.get_or_init(|| std::env::var("CONDUCT_INDEXED_AFTER_ROWS").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(INDEXED_AFTER_ROWS))
}

/// The most rows a publication on SQLite changes inside its swapping transaction, which holds
/// the single write lock (other writers wait up to [`conduct_store::db::busy_timeout_ms`]):
/// about a second of writing. Tables past it are written as copies.
const IN_PLACE_ROWS: usize = 100_000;

/// Each table's changes (see [`crate::changes`]), or `None` for a table to be written whole:
/// every table for [`Writes::Whole`]; one where more than [`crate::changes::in_place_limit`]
/// of its rows change; and, smallest tables first, those that would take the changes past
/// `budget` rows in all.
fn compare(
    c: &mut Conn,
    tables: &[TableRows<'_>],
    writes: Writes,
    budget: usize,
) -> Result<Vec<Option<crate::changes::RowChanges>>, Error> {
    let mut out: Vec<Option<crate::changes::RowChanges>> = (0..tables.len()).map(|_| None).collect();
    if writes == Writes::Whole {
        return Ok(out);
    }
    let mut order: Vec<usize> = (0..tables.len()).collect();
    order.sort_by_key(|&i| tables[i].2.len());
    // Each table is compared up to the whole budget, then the budget is spent in order of size
    // (a table's changes are found, or not, whatever the limit, so what each table gets is as
    // if each were compared with what the smaller ones left).
    let found = |c: &mut Conn, i: usize| -> Result<Option<crate::changes::RowChanges>, Error> {
        let (t, columns, rows) = tables[i];
        Ok(crate::changes::row_changes(c, t, columns, rows, crate::changes::in_place_limit(rows.len()).min(budget))?)
    };
    // SQLite with no transaction open: the tables are compared on two connections at once,
    // each taking the largest table not yet taken when it is free (at the 1M world the
    // records take one connection for 1.4 s while the other compares the persons, the
    // incidents and the course incidents; the largest alone beside all the others kept one
    // core waiting for the other by 0.6 s). Otherwise one connection compares them all.
    let taken = std::sync::atomic::AtomicUsize::new(0);
    let take = |c: &mut Conn| -> Result<Vec<(usize, Option<crate::changes::RowChanges>)>, Error> {
        let mut done = Vec::new();
        loop {
            let next = taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&i) = order.iter().rev().nth(next) else { return Ok(done) };
            done.push((i, found(c, i)?));
        }
    };
    let (beside, here) = c.read_beside(take, take);
    let mut compared: Vec<Option<crate::changes::RowChanges>> = (0..tables.len()).map(|_| None).collect();
    for (i, ch) in here?.into_iter().chain(beside?) {
        compared[i] = ch;
    }
    let compared: Vec<Option<crate::changes::RowChanges>> = order.iter().map(|&i| compared[i].take()).collect();
    let mut left = budget;
    for (i, ch) in order.into_iter().zip(compared) {
        if let Some(ch) = ch.filter(|ch| ch.len() <= left) {
            left -= ch.len();
            out[i] = Some(ch);
        }
    }
    Ok(out)
}

/// A course's reports recorded by one force: how many, how many of them hidden repeats, and
/// whether the course's first report is one of them. Counted once per course and force, for
/// its `course_forces` row and for the force's figures.
#[derive(Clone, Copy)]
struct Reports {
    reports: usize,
    hidden: usize,
    first: bool,
}

/// A force's row of `force_figures`. The Home Office figures (`incidents`, `charged`,
/// `outcomes`, `quarters`, `outcomes_by_type`) are those of the stalking-and-harassment
/// subgroup in the pipeline's tables ([`conduct_stats::Tables::stalking_and_harassment_by_quarter`]):
/// offences counted under their principal crime in the quarter recorded, and the outcomes
/// assigned to them. The rest are counted from the force's courses and reports.
#[derive(Default)]
struct ForceFigures {
    /// Stalking and harassment offences recorded (principal crime, as the Home Office counts).
    incidents: usize,
    courses: usize,
    hidden: usize,
    linked: usize,
    urgent: usize,
    high: usize,
    review: usize,
    routine: usize,
    breaches: usize,
    /// Of the offences recorded, those charged or summonsed (outcome type 1).
    charged: usize,
    /// Of the offences recorded, those with an outcome assigned (every type but 0).
    outcomes: usize,
    /// Reports recorded under another crime with stalking or harassment only as a secondary
    /// code (counted apart from the Home Office figures).
    under_another_crime: usize,
    /// Courses and offences in which the victim withdrew support.
    withdrawal: Option<conduct_courses::ForceWithdrawals>,
    /// Quarter → (offences recorded, of those charged).
    quarters: BTreeMap<conduct_stats::FinancialQuarter, (usize, usize)>,
    /// Outcome type → offences given it (type 0: not yet assigned).
    outcomes_by_type: BTreeMap<conduct_domain::OutcomeType, usize>,
}

impl ForceFigures {
    /// Adds a quarter of the force's stalking-and-harassment figures from the tables.
    fn add_quarter(&mut self, q: conduct_stats::FinancialQuarter, v: &conduct_stats::RecordedAndOutcomes) {
        let n = |t: conduct_stats::Tally| usize::try_from(t.count).unwrap_or(usize::MAX);
        let (recorded, charged) = (n(v.recorded), n(v.charged()));
        self.incidents += recorded;
        self.charged += charged;
        self.outcomes += n(v.assigned());
        let cell = self.quarters.entry(q).or_default();
        cell.0 += recorded;
        cell.1 += charged;
        for (o, t) in &v.outcomes {
            *self.outcomes_by_type.entry(*o).or_default() += n(*t);
        }
    }

    fn row(&self, f: Force) -> Vec<Value> {
        let quarters: Vec<serde_json::Value> = self
            .quarters
            .iter()
            .map(|(q, &(recorded, charged))| serde_json::json!({ "quarter": q.label(), "recorded": recorded, "charged": charged }))
            .collect();
        // Outcome groups as the published tables order them: by each group's first outcome
        // type, type 0 (not yet assigned) last, so that the groups add up to the offences.
        let mut groups: Vec<(&'static str, usize)> = Vec::new();
        let assigned_first = self
            .outcomes_by_type
            .iter()
            .filter(|(o, _)| o.is_assigned())
            .chain(self.outcomes_by_type.iter().filter(|(o, _)| !o.is_assigned()));
        for (o, &n) in assigned_first.filter(|(_, n)| **n > 0) {
            match groups.iter_mut().find(|(g, _)| *g == o.group()) {
                Some((_, count)) => *count += n,
                None => groups.push((o.group(), n)),
            }
        }
        let outcomes: Vec<serde_json::Value> = groups.iter().map(|(g, n)| serde_json::json!({ "group": g, "count": n })).collect();
        let overview = serde_json::json!({
            "quarters": quarters,
            "outcome_groups": outcomes,
            "recorded_under_another_crime": self.under_another_crime,
            "withdrawal": self.withdrawal.as_ref().map(|w| crate::views::Withdrawals {
                courses: w.courses as u64,
                courses_victim_withdrew: w.courses_victim_withdrew as u64,
                courses_withdrew_reports_since: w.courses_withdrew_reports_since as u64,
                offences: w.offences as u64,
                offences_victim_withdrew: w.offences_victim_withdrew as u64,
            }),
        });
        vec![
            f.name().into(),
            self.incidents.into(),
            self.courses.into(),
            self.hidden.into(),
            self.linked.into(),
            self.urgent.into(),
            self.high.into(),
            self.review.into(),
            self.routine.into(),
            self.breaches.into(),
            self.charged.into(),
            self.outcomes.into(),
            overview.to_string().into(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables compared on two connections at once, each taking the largest table left
    /// (SQLite, no transaction open), give the same changes, under every budget and whatever
    /// order the tables come in, as compared one after the other on one connection (inside a
    /// transaction).
    #[test]
    fn tables_compared_on_two_connections_change_as_on_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&crate::db::Url::Sqlite(dir.path().join("t.db"))).unwrap();
        let row = |k: usize, v: &str| vec![Value::Int(k as i64), Value::from(format!("{v}{k}"))];
        let mut held_and_new = Vec::new();
        // Not in order of size, so that each connection compares more than one table and
        // the changes must go back to the table they were found in.
        for (t, n, changed) in [("mid", 3000, 500), ("big", 20000, 2000), ("small", 10, 2), ("big2", 12000, 1000)] {
            c.batch(&format!("CREATE TABLE {t} (k INTEGER, v TEXT)")).unwrap();
            let held: Vec<Vec<Value>> = (0..n).map(|k| row(k, "v")).collect();
            c.bulk_insert(t, &["k", "v"], &held).unwrap();
            held_and_new.push((t, (0..n).map(|k| row(k, if k % (n / changed) == 0 { "w" } else { "v" })).collect::<Vec<_>>()));
        }
        let tables: Vec<TableRows<'_>> = held_and_new.iter().map(|(t, rows)| (*t, &["k", "v"][..], Rows::Held(&rows[..]))).collect();
        let seen = |r: Vec<Option<crate::changes::RowChanges>>| -> Vec<Option<(Vec<Value>, Vec<usize>)>> {
            r.into_iter().map(|ch| ch.map(|ch| (ch.delete, ch.insert))).collect()
        };
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        assert_eq!(c.second_reader().is_some(), cores > 1, "outside a transaction the second connection reads");
        for budget in [usize::MAX, 8000, 7004, 7003, 3100, 3004, 3003, 1100, 600, 10] {
            let two = seen(compare(&mut c, &tables, Writes::Changes, budget).unwrap());
            c.batch("BEGIN").unwrap();
            assert!(c.second_reader().is_none(), "inside a transaction one connection reads");
            let one = seen(compare(&mut c, &tables, Writes::Changes, budget).unwrap());
            c.batch("COMMIT").unwrap();
            assert_eq!(two, one, "budget {budget}");
            // Each table's changes (2 per changed row) stand or fall with what the smaller
            // ones left: small 4, mid 1000, big2 2000, big 4000.
            let standing: Vec<bool> = one.iter().map(Option::is_some).collect();
            assert_eq!(standing, [budget >= 1004, budget >= 7004, budget >= 4, budget >= 3004], "budget {budget}");
            assert_eq!(one[1].as_ref().map(|(d, i)| (d.len(), i.len())), (budget >= 7004).then_some((2000, 2000)), "budget {budget}");
        }
    }

    /// Persons numbered in the order of their first rows, the plain way: the distinct numbers
    /// sorted by where each first appears, and each row numbered by its person's place there.
    fn numbered_by_first_appearance(numbers: &[conduct_population::PersonNumber]) -> (Vec<u32>, Vec<conduct_population::PersonNumber>) {
        let first = |n: &conduct_population::PersonNumber| numbers.iter().position(|m| m == n).unwrap_or(usize::MAX);
        let mut firsts: Vec<conduct_population::PersonNumber> = numbers.to_vec();
        firsts.sort_by_key(first);
        firsts.dedup();
        let of_row = numbers.iter().map(|n| firsts.iter().position(|m| m == n).unwrap_or(usize::MAX) as u32).collect();
        (of_row, firsts)
    }

    proptest::proptest! {
        /// Persons numbered by their first rows on every core are numbered as their first
        /// appearances say: numbers from 0 (the population's "withdrawn") up to
        /// `next_person`, repeated in any order, and numbers the array cannot hold (negative,
        /// past `next_person`, or a `next_person` far past the rows), which go through the map.
        #[test]
        fn persons_numbered_by_first_rows_are_numbered_by_first_appearance(
            rows in proptest::collection::vec(0i64..40, 0..300),
            next_person in 0i64..50,
            odd in proptest::option::of((0usize..300, proptest::prop_oneof![proptest::strategy::Just(-1i64), proptest::strategy::Just(40i64), proptest::strategy::Just(i64::MAX)])),
            huge in proptest::bool::ANY,
        ) {
            let mut rows = rows;
            if let Some((at, n)) = odd {
                if at < rows.len() {
                    rows[at] = n;
                }
            }
            let next = if huge { i64::MAX } else { next_person.max(rows.iter().copied().filter(|&n| (0..40).contains(&n)).max().map_or(0, |m| m + 1)) };
            proptest::prop_assert_eq!(number_in_row_order(&rows, next), numbered_by_first_appearance(&rows));
        }
    }

    /// The numbering on every core is taken for a population's numbers, not only the fallback.
    #[test]
    fn persons_numbered_by_first_rows_in_an_array() {
        let rows = [7i64, 3, 7, 0, 3, 9, 9, 1];
        assert_eq!(number_in_row_order(&rows, 10), (vec![0, 1, 0, 2, 1, 3, 3, 4], vec![7, 3, 0, 9, 1]));
        assert_eq!(number_in_row_order(&[], 0), (vec![], vec![]));
    }

    fn standing(priority: u8, by_rules: u8, grounds: usize, last_day: i32, reports: usize) -> Option<conduct_courses::Standing> {
        let p = |k: u8| [Priority::Urgent, Priority::High, Priority::Review, Priority::Routine][usize::from(k % 4)];
        Some(conduct_courses::Standing { priority: p(priority), by_rules: p(by_rules), grounds, last_day, reports })
    }

    fn course_label(n: u64) -> String {
        conduct_domain::ids::CourseId::new(n).unwrap().to_string()
    }

    proptest::proptest! {
        /// Positions sort the courses as the review list does (by standing, then by course
        /// number where the list ties), each is its own, and courses added with new numbers
        /// (as fresh courses get) leave every other course's position alone.
        #[test]
        fn a_list_position_keeps_the_lists_order_and_stays_put_when_courses_come(
            held in proptest::collection::vec((0_u8..4, 0_u8..4, 0_usize..12, -30_000_i32..40_000, 1_usize..300_000), 0..60),
            added in proptest::collection::vec((0_u8..4, 0_u8..4, 0_usize..12, -30_000_i32..40_000, 1_usize..300_000), 0..20),
            unreviewed in proptest::collection::vec(proptest::bool::weighted(0.1), 80),
        ) {
            // Few distinct values so that many courses stand alike.
            let s = |&(p, b, g, d, r): &(u8, u8, usize, i32, usize), k: usize| {
                if unreviewed[k] { None } else { standing(p, b, g % 3, d % 4, if r % 2 == 0 { r } else { r % 3 }) }
            };
            let before: Vec<_> = held.iter().enumerate().map(|(k, h)| s(h, k)).collect();
            let labels: Vec<String> = (0..before.len() as u64).map(|n| course_label(n * 3 + 1)).collect();
            let positions = list_positions(&before, &labels).unwrap();
            let mut by_position: Vec<usize> = (0..before.len()).collect();
            by_position.sort_by_key(|&k| positions[k]);
            let mut by_list: Vec<usize> = (0..before.len()).collect();
            // The review list's order: standing (the courses without a review last; report
            // counts past the field's cap as the cap), then course number; one position each.
            let capped = |s: conduct_courses::Standing| conduct_courses::Standing { reports: s.reports.min((1 << REPORT_BITS) - 1), ..s };
            by_list.sort_by_key(|&k| (before[k].is_none(), before[k].map(|s| capped(s).order()), k));
            proptest::prop_assert_eq!(&by_position, &by_list);
            proptest::prop_assert!(positions.iter().all(|&p| p >= 0));
            let mut all = before.clone();
            let mut more = labels.clone();
            for (k, a) in added.iter().enumerate() {
                all.push(s(a, held.len() + k));
                more.push(course_label(held.len() as u64 * 3 + 10 + k as u64));
            }
            let after = list_positions(&all, &more).unwrap();
            proptest::prop_assert_eq!(&after[..before.len()], &positions[..]);
            let mut distinct = after.clone();
            distinct.sort_unstable();
            distinct.dedup();
            proptest::prop_assert_eq!(distinct.len(), after.len());
        }
    }

    /// The columns a layout names, after checking they are `table`'s declared columns, in order.
    fn layout_columns(layout: &'static str, table: &str) -> Vec<&'static str> {
        let columns: Vec<&str> = layout.split_once(": ").unwrap().1.split_whitespace().collect();
        let (_, ddl) = crate::schema::ANALYSIS.iter().find(|(t, _)| *t == table).unwrap();
        let (declared, _key) = ddl.split_once(", PRIMARY KEY").unwrap();
        let declared: Vec<&str> = declared.split(", ").filter_map(|c| c.split_whitespace().next()).collect();
        assert_eq!(columns, declared, "the layout of {table}");
        columns
    }

    /// Pins `record_row`, which the comparison by keys trusts for the columns it does not
    /// compare (see [`RECORDS_LAYOUT`]): a change here must come with a new layout, so that the
    /// first publication of the build compares every column of the records it wrote before.
    #[test]
    fn a_records_row_is_made_as_its_layout_says() {
        use conduct_domain::{Involvement, Role};
        let mut p = Involvement::new("R1", Force::resolve("Kent").unwrap(), "K-1234", Role::Victim);
        p.local_person_id = "N77".into();
        p.forename = "Aisling".into();
        p.middle_names = "Mary Anne".into();
        p.surname = "Brennan-Keogh".into();
        p.set_date_of_birth("1991-02");
        p.sex = "F".into();
        p.address = "1 Long Lane, Bootle".into();
        p.postcode = "L20 8DX".into();
        p.set_phone("+44 7700 900401");
        p.email = "a@example.org".into();
        p.online_handles = "@ab;@cd".into();
        p.pnc_id = "91/123456A".into();
        p.ni_number = "QQ123456C".into();
        let mut row = Vec::new();
        record_row(&p, "P0000007".into(), &mut row);
        let text = |s: &str| Value::from(s);
        let expected = [
            text("Kent"),
            text("R1"),
            text("K-1234"),
            text("victim"),
            text("P0000007"),
            text("N77"),
            text("Aisling"),
            text("Mary Anne"),
            text("Brennan-Keogh"),
            text("1991-02"),
            text("F"),
            text("1 Long Lane, Bootle"),
            text("L20 8DX"),
            text("+44 7700 900401"),
            text("a@example.org"),
            text("@ab;@cd"),
            text("91/123456A"),
            text("QQ123456C"),
        ];
        assert_eq!(row, expected);
        // An empty field is NULL.
        let mut row = Vec::new();
        record_row(&Involvement::new("R2", Force::resolve("Kent").unwrap(), "1234", Role::Suspect), "P0000008".into(), &mut row);
        assert_eq!(row[..5], [text("Kent"), text("R2"), text("1234"), text("suspect"), text("P0000008")]);
        assert!(row[5..].iter().all(|v| *v == Value::Null), "{row:?}");
        // The layout names the columns in the order the row holds them, and the records table's.
        let columns = layout_columns(RECORDS_LAYOUT, "records");
        assert_eq!(columns.len(), row.len());
        assert_eq!(RECORD_KEY_COLUMNS, columns[..5]);
    }

    #[test]
    fn an_incidents_row_is_made_as_its_layout_says() {
        use conduct_domain::{Date, Incident, OffenceCode, OutcomeType};
        let kent = Force::resolve("Kent").unwrap();
        let mut i = Incident::new(kent, "K-1234", Date::new(2024, 3, 14).unwrap(), OffenceCode::parse("8Q").unwrap());
        i.occurred_date = Date::new(2024, 3, 2);
        i.offence_description = "Stalking involving fear of violence".into();
        i.domestic_abuse = Some(true);
        i.cyber = Some(false);
        i.linked_refs = vec!["K-1200".into(), "K-1201".into()];
        i.outcome_type = OutcomeType::parse("16");
        i.outcome_date = Date::new(2024, 5, 1);
        i.narrative = "Followed her home; \"I know where you live\".".into();
        i.secondary_offence_codes = vec![OffenceCode::parse("58J").unwrap(), OffenceCode::parse("8L").unwrap()];
        let mut row = Vec::new();
        incident_row(&i, &mut row);
        let text = |s: &str| Value::from(s);
        let expected = [
            text("Kent"),
            text("K-1234"),
            text("2024-03-14"),
            text("2024-03-02"),
            text("8Q"),
            text("Stalking involving fear of violence"),
            Value::Int(1),
            Value::Int(0),
            text("K-1200;K-1201"),
            Value::Int(16),
            text("2024-05-01"),
            text("Followed her home; \"I know where you live\"."),
            text("58J;8L"),
        ];
        assert_eq!(row, expected);
        // An unknown field is NULL.
        let mut row = Vec::new();
        incident_row(&Incident::new(kent, "1234", Date::new(2024, 3, 14).unwrap(), OffenceCode::parse("8L").unwrap()), &mut row);
        assert_eq!(row[..5], [text("Kent"), text("1234"), text("2024-03-14"), Value::Null, text("8L")]);
        assert!(row[5..].iter().all(|v| *v == Value::Null), "{row:?}");
        // The layout names the columns in the order the row holds them, and the table's.
        let columns = layout_columns(INCIDENTS_LAYOUT, "published_incidents");
        assert_eq!(columns.len(), row.len());
        assert_eq!(INCIDENT_KEY_COLUMNS, columns[..2]);
    }

    /// The extremes of each part of a position still sort as the list does: the earliest and
    /// the latest day a record may carry, no reports' cap reached and passed, grounds of 0 and
    /// more than the field holds.
    #[test]
    fn list_positions_at_the_edges_of_their_fields() {
        let day = |y: i32| conduct_domain::Date::new(y, 1, 1).unwrap().days_since_epoch();
        let standings = [
            standing(0, 0, 10, day(1900), 1),
            standing(0, 0, 10, day(2258), 1),
            standing(0, 0, 0, day(2258), 1),
            standing(0, 0, 99, day(2000), 1),
            standing(3, 3, 0, day(1900), 1),
            standing(3, 3, 0, day(1900), (1 << 17) - 2),
            standing(3, 3, 0, day(1900), 1 << 20),
            None,
            // Past the cap, report counts tie, and the course number orders them.
            standing(2, 2, 0, day(1900), 1 << 19),
            standing(2, 2, 0, day(1900), 1 << 18),
        ];
        let labels: Vec<String> = (1..=standings.len() as u64).map(course_label).collect();
        let p = list_positions(&standings, &labels).unwrap();
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_by_key(|&k| p[k]);
        assert_eq!(order, [3, 1, 0, 2, 8, 9, 6, 5, 4, 7], "{p:?}");
    }

    /// `upsert` against the rule it keeps: replace in place, append new keys in first-seen
    /// order, the last row of a key kept.
    #[test]
    fn upsert_replaces_in_place_and_appends_new_keys_in_order() {
        type Row = (&'static str, u32);
        let held: Vec<Row> = vec![("a", 1), ("b", 1), ("c", 1)];
        let later: Vec<Row> = vec![("d", 2), ("b", 2), ("e", 2), ("d", 3), ("a", 2), ("b", 3)];
        let mut rows = held.clone();
        upsert(&mut rows, later.clone(), |r| r.0);
        assert_eq!(rows, vec![("a", 2), ("b", 3), ("c", 1), ("d", 3), ("e", 2)]);
        let mut empty = Vec::new();
        upsert(&mut empty, later, |r| r.0);
        assert_eq!(empty, vec![("d", 3), ("b", 3), ("e", 2), ("a", 2)]);
    }

    /// A person's forces are named once each, in the order their records came, and every
    /// record is counted: what the persons table's `forces` and `records` columns say.
    #[test]
    fn a_persons_forces_are_named_once_in_the_order_seen() {
        let force = |name: &str| Force::resolve(name).unwrap();
        let mut seen = PersonSeen::default();
        assert_eq!((seen.records, seen.forces().as_str()), (0, ""));
        for name in ["Kent", "Kent", "Essex", "Kent", "Surrey", "Essex"] {
            seen.saw(force(name));
        }
        assert_eq!(seen.records, 6);
        assert_eq!(seen.forces(), ["Kent", "Essex", "Surrey"].map(|n| force(n).name()).join(";"));
        let mut one = PersonSeen::default();
        one.saw(force("Essex"));
        one.saw(force("Essex"));
        assert_eq!((one.records, one.forces()), (2, force("Essex").name().to_string()));
    }

    /// A published table's ids read once each, in the order first read; a key of one id keeps
    /// it, a key of several keeps them all in the order read, and the same key in two forces is
    /// two keys; the highest number is over every id read, those without one left out.
    #[test]
    fn published_ids_are_each_held_once_and_found_by_force_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&crate::db::Url::Sqlite(dir.path().join("t.db"))).unwrap();
        c.batch("CREATE TABLE t (force TEXT, k TEXT, id TEXT)").unwrap();
        let rows: Vec<Vec<Value>> = [
            ("Cumbria", "1234", "C000007"),
            ("Durham", "1234", "C000002"),
            ("Cumbria", "K-1234", "C000007"),
            ("Cumbria", "1234", "C000031"),
            ("Durham", "1235", "not-an-id"),
        ]
        .iter()
        .map(|&(f, k, id)| vec![f.into(), k.into(), id.into()])
        .collect();
        c.bulk_insert("t", &["force", "k", "id"], &rows).unwrap();
        let many = PublishedIds::<Vec<u32>>::read(&mut c, "SELECT force, k, id FROM t ORDER BY rowid").unwrap();
        assert_eq!(many.ids, ["C000007", "C000002", "C000031", "not-an-id"]);
        assert_eq!(many.at.len(), 4);
        assert!(many.ids.iter().enumerate().all(|(i, id)| many.at[id] == i as u32));
        let places = |force: &str, key: &str| many.of_key.get(force).and_then(|m| m.get(key)).cloned();
        assert_eq!(places("Cumbria", "1234"), Some(vec![0, 2]));
        assert_eq!(places("Durham", "1234"), Some(vec![1]));
        assert_eq!(places("Cumbria", "K-1234"), Some(vec![0]));
        assert_eq!(places("Durham", "1235"), Some(vec![3]));
        assert_eq!(places("Durham", "K-1234"), None);
        assert_eq!(many.highest(), 31);
        let one = PublishedIds::<u32>::read(&mut c, "SELECT force, k, id FROM t ORDER BY rowid").unwrap();
        assert_eq!(one.of_key["Cumbria"]["1234"], 2, "the last read");
        assert_eq!(one.of_key["Durham"]["1234"], 1);
        let none = PublishedIds::<u32>::read(&mut c, "SELECT force, k, id FROM t WHERE id = 'not-an-id'").unwrap();
        assert_eq!(none.highest(), 0);
    }

    /// A first publication analyses its one export as read instead of merging it into the empty
    /// store's records (`publish_read`): the same only while the reader sets aside every row
    /// whose key it has seen. An export repeating a key in each of its four files, and reusing
    /// each in a second force (no repeat but for a record id, which the contract makes unique
    /// across the file), is read, and merged into nothing it is unchanged.
    #[test]
    fn an_export_merged_into_nothing_is_itself() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write(
            "incidents.csv",
            "force,incident_ref,recorded_date,occurred_date,offence_code,offence_description,domestic_abuse,cyber,linked_refs,outcome_type,outcome_date,narrative
Kent,K-1,2023-04-02,2023-04-01,8L,Harassment,Y,N,,,,first
Kent,K-1,2023-04-03,2023-04-01,8Q,Stalking,Y,N,,,,repeated
Essex,K-1,2023-04-04,2023-04-01,8L,Harassment,Y,N,,,,another force
Kent,K-2,2023-05-02,2023-05-01,8L,Harassment,Y,N,,,,second
",
        );
        write(
            "people.csv",
            "record_id,force,incident_ref,role,local_person_id,forename,middle_names,surname,date_of_birth,sex,address,postcode,phone,email,online_handles,pnc_id,ni_number
P1,Kent,K-1,victim,,Jane,,Doe,1985-07-05,F,,,,,,,
P1,Kent,K-2,victim,,Jean,,Doe,1985-07-05,F,,,,,,,
P1,Essex,K-1,victim,,Jane,,Doe,1985-07-05,F,,,,,,,
P2,Kent,K-2,suspect,,John,,Roe,1983-01-12,M,,,,,,,
",
        );
        write(
            "orders.csv",
            "force,order_ref,order_type,incident_ref,applied_date,granted_date,expires_date,status
Kent,O-1,SPO,K-1,2023-06-05,2023-07-01,2025-07-01,granted
Kent,O-1,SPO,K-2,2023-06-06,2023-07-02,2025-07-02,granted
Essex,O-1,SPO,K-1,2023-06-05,2023-07-01,2025-07-01,granted
",
        );
        write(
            "risk_assessments.csv",
            "force,incident_ref,assessed_date,tool,grade,yes_answers,assessor_notes
Kent,K-1,2023-04-03,DASH,medium,q8,first
Kent,K-1,2023-04-03,DASH,high,q8;q12,repeated
Kent,K-1,2023-04-03,S-DASH,high,,another tool
Essex,K-1,2023-04-03,DASH,medium,q8,another force
",
        );
        let (export, _) = read_export(&conduct_ingest::KnownIncidents::default(), dir.path()).unwrap();
        let counts = (export.incidents.len(), export.people.len(), export.orders.len(), export.risk_assessments.len());
        assert_eq!(counts, (3, 2, 2, 3), "each repeated key set aside");
        let mut merged = Export::default();
        merge(&mut merged, export.clone());
        assert_eq!(merged, export);
    }
}

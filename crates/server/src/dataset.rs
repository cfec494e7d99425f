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
use std::path::{Path, PathBuf};

use conduct_courses::{Breach, Courses, Priority, Review, find_breaches, find_courses, triage};
use conduct_domain::Force;
pub use conduct_ingest::Export;
use conduct_ingest::{Ingest, Inputs, Summary};
use conduct_resolve::Model;
use conduct_resolve::model::TermFrequencies;

use crate::db::{Conn, DbError, Value};

/// Why an upload or a publication failed.
#[derive(Debug)]
pub enum DatasetError {
    /// The files could not be read as an export (wrong format, unreadable, not what they claim).
    Unreadable(String),
    /// The export was read but may not be used (nothing usable, another force's records, …).
    Refused(String),
    /// Linkage failed.
    Linkage(String),
    /// The database failed.
    Db(DbError),
    /// A file operation failed.
    Io(String),
    /// Another publication committed while this one was being prepared (its ids were
    /// carried over from a state that is gone); [`publish`] prepares it again.
    Conflict,
}

impl std::fmt::Display for DatasetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatasetError::Unreadable(s) | DatasetError::Refused(s) | DatasetError::Linkage(s) | DatasetError::Io(s) => f.write_str(s),
            DatasetError::Db(e) => write!(f, "{e}"),
            DatasetError::Conflict => f.write_str("another publication was committed meanwhile"),
        }
    }
}

impl std::error::Error for DatasetError {}

impl From<DbError> for DatasetError {
    fn from(e: DbError) -> Self {
        DatasetError::Db(e)
    }
}

/// The export files in a folder (the same rule as `conduct ingest`: [`Inputs::in_folder`]).
pub fn inputs_in(folder: &Path) -> Result<Inputs, DatasetError> {
    Inputs::in_folder(folder).map_err(|e| DatasetError::Io(format!("reading {}: {e}", folder.display())))
}

/// The validation report of one upload.
pub struct Validation {
    /// Counts per file.
    pub summary: Summary,
    /// Rejected rows (file, line, column, reason, key), all of them.
    pub rejects: Vec<conduct_ingest::Reject>,
    /// The rows, when they may be used.
    pub export: Export,
}

impl Validation {
    /// The report as JSON, with at most `max_rejects` rejects listed (all are counted). File
    /// paths are given as their names only.
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
        v
    }
}

/// Reads an export through the same validation as `conduct ingest`.
pub fn validate(inputs: &Inputs) -> Result<Validation, DatasetError> {
    let mut ingest = Ingest::new();
    let (export, summary) =
        ingest.read_whole(inputs).map_err(|e| DatasetError::Unreadable(without_folder(&e.to_string(), inputs)))?;
    Ok(Validation { summary, rejects: ingest.rejects().to_vec(), export })
}

/// Messages name the uploaded file, not the server's folder it was staged in.
fn without_folder(message: &str, inputs: &Inputs) -> String {
    let mut m = message.to_string();
    for p in inputs.incidents.iter().chain(&inputs.people).chain(&inputs.orders) {
        if let (Some(dir), Some(name)) = (p.parent(), p.file_name()) {
            m = m.replace(&p.display().to_string(), &name.to_string_lossy());
            m = m.replace(&dir.display().to_string(), "");
        }
    }
    m
}

/// The forces an export holds records of.
pub fn forces_of(export: &Export) -> Vec<Force> {
    let mut f: Vec<Force> = export
        .incidents
        .iter()
        .map(|i| i.force)
        .chain(export.people.iter().map(|p| p.force))
        .chain(export.orders.iter().map(|o| o.force))
        .collect();
    f.sort();
    f.dedup();
    f
}

/// The accepted exports under a data folder, oldest first.
pub fn exports(data_dir: &Path) -> Result<Vec<PathBuf>, DatasetError> {
    let dir = data_dir.join("exports");
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| DatasetError::Io(format!("reading {}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
        .collect();
    v.sort();
    Ok(v)
}

/// Reads every export and merges them: a later row replaces an earlier one with the same key.
pub fn read_all(data_dir: &Path) -> Result<Export, DatasetError> {
    let mut merged = Export::default();
    let mut incident_at: HashMap<(Force, String), usize> = HashMap::new();
    let mut person_at: HashMap<(Force, String), usize> = HashMap::new();
    let mut order_at: HashMap<(Force, String), usize> = HashMap::new();
    for dir in exports(data_dir)? {
        let v = validate(&inputs_in(&dir)?)?;
        for i in v.export.incidents {
            upsert(&mut merged.incidents, &mut incident_at, (i.force, i.incident_ref.clone()), i);
        }
        for p in v.export.people {
            upsert(&mut merged.people, &mut person_at, (p.force, p.record_id.clone()), p);
        }
        for o in v.export.orders {
            upsert(&mut merged.orders, &mut order_at, (o.force, o.order_ref.clone()), o);
        }
    }
    Ok(merged)
}

fn upsert<T>(rows: &mut Vec<T>, at: &mut HashMap<(Force, String), usize>, key: (Force, String), row: T) {
    match at.get(&key) {
        Some(&i) => rows[i] = row,
        None => {
            at.insert(key, rows.len());
            rows.push(row);
        }
    }
}

/// Everything computed from the merged exports.
pub struct Analysis {
    /// The rows.
    pub export: Export,
    /// The person number of each people row.
    pub person_of: Vec<u32>,
    /// The linkage model (kept for explanations).
    pub model: Model,
    /// Term frequencies of names (kept for explanations).
    pub tf: TermFrequencies,
    /// Courses found.
    pub courses: Courses,
    /// Possible breaches.
    pub breaches: Vec<Breach>,
    /// The review list, in review order.
    pub reviews: Vec<Review>,
}

/// Links people into persons and finds courses, breaches and the review list.
pub fn analyse(export: Export) -> Result<Analysis, DatasetError> {
    let options = conduct_resolve::LinkOptions { keep_pairs_from_weight: f64::INFINITY, ..Default::default() };
    let linkage = conduct_resolve::link(&export.people, &options).map_err(|e| DatasetError::Linkage(e.to_string()))?;
    let (_, tf) = conduct_resolve::features(&export.people);
    let courses = find_courses(&export.incidents, &export.people, &linkage.person, &conduct_courses::Options::default());
    let breaches = find_breaches(&export.incidents, &export.orders, &courses);
    let reviews = triage(&export.incidents, &export.orders, &courses.courses, &breaches);
    Ok(Analysis { person_of: linkage.person, model: linkage.model, tf, export, courses, breaches, reviews })
}

fn opt_date(d: Option<conduct_domain::Date>) -> Value {
    d.map_or(Value::Null, |d| Value::Text(conduct_domain::Date::iso_str(&d.iso()).to_string()))
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
}

/// A number kept in `meta` (publication counter, next fresh ids), if set.
fn meta_number(conn: &mut Conn, key: &str) -> Result<Option<i64>, DatasetError> {
    Ok(conn.query_one("SELECT value FROM meta WHERE key = ?", &[key.into()])?.and_then(|r| r[0].int()))
}

/// Ids for a publication's persons and courses, carried over from the one it replaces.
struct CarriedIds {
    /// By person number.
    persons: crate::ids::Assigned,
    /// By course index.
    courses: crate::ids::Assigned,
    /// Next fresh person number.
    next_person: u64,
    /// Next fresh course number.
    next_course: u64,
    /// The number of the publication they were carried over from (0: none yet).
    publication: i64,
}

/// Ids for `a`'s persons and courses, carried over from the publication it replaces (see
/// [`crate::ids`]), and the next fresh numbers.
fn carried_ids(conn: &mut Conn, a: &Analysis) -> Result<CarriedIds, DatasetError> {
    let e = &a.export;
    let publication = meta_number(conn, "publication")?.unwrap_or(0);
    // Retired ids count as issued: a fresh number is above all of them too.
    let retired: Vec<String> = conn.query("SELECT old_id FROM id_successors", &[])?.iter().map(|r| r[0].text()).collect();
    let highest_retired = |prefix: char| retired.iter().filter(|id| id.starts_with(prefix)).filter_map(|id| crate::ids::number(id)).max().unwrap_or(0);
    // Published person of each (force, record_id).
    let mut old_person: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut highest = highest_retired('P');
    for r in conn.query("SELECT force, record_id, person_id FROM records", &[])? {
        let id = r[2].text();
        highest = highest.max(crate::ids::number(&id).unwrap_or(0));
        old_person.entry(r[0].text()).or_default().insert(r[1].text(), id);
    }
    let mut next_person = (meta_number(conn, "next_person")?.unwrap_or(1).max(1) as u64).max(highest + 1);
    let members = e.people.iter().zip(&a.person_of).filter_map(|(p, &n)| {
        old_person.get(p.force.name()).and_then(|m| m.get(&p.record_id)).map(|old| (n as usize, old.as_str()))
    });
    let persons = a.person_of.iter().max().map_or(0, |&m| m as usize + 1);
    let persons = crate::ids::assign(persons, &crate::ids::overlaps(members), &mut next_person, crate::ids::person);
    drop(old_person);
    // Published course(s) of each (force, incident_ref).
    let mut old_course: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let mut highest = highest_retired('C');
    for r in conn.query("SELECT force, incident_ref, course_id FROM course_incidents", &[])? {
        let id = r[2].text();
        highest = highest.max(crate::ids::number(&id).unwrap_or(0));
        old_course.entry(r[0].text()).or_default().entry(r[1].text()).or_default().push(id);
    }
    let mut next_course = (meta_number(conn, "next_course")?.unwrap_or(1).max(1) as u64).max(highest + 1);
    let members = a.courses.courses.iter().enumerate().flat_map(|(ci, c)| {
        let old_course = &old_course;
        c.incidents.iter().flat_map(move |&i| {
            let inc = &e.incidents[i];
            old_course.get(inc.force.name()).and_then(|m| m.get(&inc.incident_ref)).into_iter().flatten().map(move |old| (ci, old.as_str()))
        })
    });
    let courses = crate::ids::assign(a.courses.courses.len(), &crate::ids::overlaps(members), &mut next_course, crate::ids::course);
    Ok(CarriedIds { persons, courses, next_person, next_course, publication })
}

/// Replaces the published analysis with `a`, in one transaction.
pub fn publish(conn: &mut Conn, a: &Analysis) -> Result<Published, DatasetError> {
    // Ids are carried over from the publication being replaced; if another one (a second
    // server, `conduct publish` beside a server) commits meanwhile, prepare again from it.
    for _ in 0..3 {
        match publish_once(conn, a) {
            Err(DatasetError::Conflict) => continue,
            other => return other,
        }
    }
    Err(DatasetError::Refused("other publications kept committing while this one was prepared; try again".into()))
}

fn publish_once(conn: &mut Conn, a: &Analysis) -> Result<Published, DatasetError> {
    let e = &a.export;
    let ids = carried_ids(conn, a)?;
    let (person_label, course_label) = (&ids.persons.labels, &ids.courses.labels);
    let pid = |n: u32| person_label[n as usize].clone();

    // Per incident: its course(s) and whether it is a hidden repeat there.
    let mut course_incidents = Vec::new();
    let mut course_forces: Vec<Vec<Value>> = Vec::new();
    let mut courses: Vec<Vec<Value>> = Vec::new();
    let mut review_of: Vec<Option<usize>> = vec![None; a.courses.courses.len()];
    for (rank, r) in a.reviews.iter().enumerate() {
        review_of[r.course] = Some(rank);
    }
    let mut breach_rows = Vec::new();
    let mut per_force: BTreeMap<Force, ForceFigures> = BTreeMap::new();
    for (ci, c) in a.courses.courses.iter().enumerate() {
        let (first, last) = conduct_courses::span(&e.incidents, c);
        let (priority, reasons, stalking, breaches, rank) = match review_of[ci] {
            Some(rank) => {
                let r = &a.reviews[rank];
                (r.priority, r.reasons.clone(), r.stalking.review_as_stalking(), r.breaches.len(), rank)
            }
            None => (Priority::Routine, Vec::new(), false, 0, a.reviews.len() + ci),
        };
        let forces: Vec<&str> = c.forces.iter().map(|f| f.name()).collect();
        let cid = &course_label[ci];
        courses.push(vec![
            cid.into(),
            forces.join(";").into(),
            pid(c.victim).into(),
            match c.suspect {
                conduct_courses::Suspect::Known(s) => pid(s).into(),
                conduct_courses::Suspect::Unknown => Value::Null,
            },
            date(first).into(),
            date(last).into(),
            c.incidents.len().into(),
            c.hidden.len().into(),
            c.is_cross_force().into(),
            priority.as_str().into(),
            priority_rank(priority).into(),
            (rank as i64).into(),
            stalking.into(),
            breaches.into(),
            serde_json::to_string(&reasons).unwrap_or_default().into(),
        ]);
        for &i in &c.incidents {
            let inc = &e.incidents[i];
            course_incidents.push(vec![cid.into(), inc.force.name().into(), (&inc.incident_ref).into(), c.hidden.contains(&i).into()]);
        }
        for f in &c.forces {
            let in_force: Vec<&usize> = c.incidents.iter().filter(|&&i| e.incidents[i].force == *f).collect();
            let last_here = in_force.iter().map(|&&i| e.incidents[i].recorded_date).max().unwrap_or(last);
            course_forces.push(vec![
                f.name().into(),
                cid.into(),
                (rank as i64).into(),
                priority_rank(priority).into(),
                date(last_here).into(),
                in_force.len().into(),
                stalking.into(),
                c.is_cross_force().into(),
                breaches.into(),
                c.hidden.iter().filter(|&&i| e.incidents[i].force == *f).count().into(),
            ]);
            let fig = per_force.entry(*f).or_default();
            fig.courses += 1;
            let hidden_here = c.hidden.iter().filter(|&&i| e.incidents[i].force == *f).count();
            let first_here = c.incidents.first().is_some_and(|&i| e.incidents[i].force == *f) as usize;
            fig.hidden += hidden_here;
            fig.linked += in_force.len().saturating_sub(first_here).saturating_sub(hidden_here);
            match priority {
                Priority::Urgent => fig.urgent += 1,
                Priority::High => fig.high += 1,
                Priority::Review => fig.review += 1,
                Priority::Routine => fig.routine += 1,
            }
        }
        if let Some(rank) = review_of[ci] {
            for &b in &a.reviews[rank].breaches {
                let br = &a.breaches[b];
                let inc = &e.incidents[br.incident];
                let ord = &e.orders[br.order];
                breach_rows.push(vec![cid.into(), inc.force.name().into(), (&inc.incident_ref).into(), ord.force.name().into(), (&ord.order_ref).into()]);
                per_force.entry(inc.force).or_default().breaches += 1;
            }
        }
    }

    let mut incidents = Vec::with_capacity(e.incidents.len());
    for i in &e.incidents {
        incidents.push(vec![
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
        ]);
        let fig = per_force.entry(i.force).or_default();
        fig.incidents += 1;
        let (fy, q) = i.recorded_date.financial_year_quarter();
        let cell = fig.quarters.entry((fy, q)).or_default();
        cell.0 += 1;
        if let Some(o) = i.outcome_type {
            *fig.outcome_groups.entry(o.group()).or_default() += 1;
        }
        if let Some(o) = i.outcome_type.filter(|o| o.is_assigned()) {
            fig.outcomes += 1;
            if o.is_charge_or_summons() {
                fig.charged += 1;
                cell.1 += 1;
            }
        }
    }

    let mut records = Vec::with_capacity(e.people.len());
    let mut persons: BTreeMap<u32, (usize, Vec<Force>)> = BTreeMap::new();
    for (p, &n) in e.people.iter().zip(&a.person_of) {
        records.push(vec![
            p.force.name().into(),
            (&p.record_id).into(),
            (&p.incident_ref).into(),
            p.role.as_str().into(),
            pid(n).into(),
            Value::opt_text(&p.local_person_id),
            Value::opt_text(&p.forename),
            Value::opt_text(&p.middle_names),
            Value::opt_text(&p.surname),
            Value::opt_text(&p.date_of_birth),
            Value::opt_text(&p.sex),
            Value::opt_text(&p.address),
            Value::opt_text(&p.postcode),
            Value::opt_text(&p.phone),
            Value::opt_text(&p.email),
            Value::opt_text(&p.online_handles),
            Value::opt_text(&p.pnc_id),
            Value::opt_text(&p.ni_number),
        ]);
        let entry = persons.entry(n).or_default();
        entry.0 += 1;
        if !entry.1.contains(&p.force) {
            entry.1.push(p.force);
        }
    }
    let persons: Vec<Vec<Value>> = persons
        .into_iter()
        .map(|(n, (count, forces))| {
            let names: Vec<&str> = forces.iter().map(|f| f.name()).collect();
            vec![pid(n).into(), count.into(), names.join(";").into()]
        })
        .collect();

    // Positions in review order — over all courses, and within each force — so that a page of
    // the triage list is an index range rather than an OFFSET walk.
    let mut order: Vec<usize> = (0..courses.len()).collect();
    order.sort_by_key(|&i| courses[i][11].int());
    let mut pos = vec![0i64; courses.len()];
    for (p, &i) in order.iter().enumerate() {
        pos[i] = p as i64;
    }
    for (row, p) in courses.iter_mut().zip(pos) {
        row.push(Value::Int(p));
    }
    let mut order: Vec<usize> = (0..course_forces.len()).collect();
    order.sort_by(|&a, &b| course_forces[a][0].text().cmp(&course_forces[b][0].text()).then(course_forces[a][2].int().cmp(&course_forces[b][2].int())));
    let mut pos = vec![0i64; course_forces.len()];
    let (mut last_force, mut n) = (String::new(), 0i64);
    for &i in &order {
        let f = course_forces[i][0].text();
        if f != last_force {
            last_force = f;
            n = 0;
        }
        pos[i] = n;
        n += 1;
    }
    for (row, p) in course_forces.iter_mut().zip(pos) {
        row.push(Value::Int(p));
    }

    let orders: Vec<Vec<Value>> = e
        .orders
        .iter()
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

    let forces: Vec<Vec<Value>> = per_force.iter().map(|(f, fig)| fig.row(*f)).collect();
    let tf: Vec<Vec<Value>> = a.tf.entries().map(|(w, h, v)| vec![Value::Int(w as i64), Value::Int(h as i64), Value::Real(v)]).collect();
    let model = serde_json::to_string(&a.model).map_err(|e| DatasetError::Io(e.to_string()))?;

    let published = Published {
        incidents: incidents.len(),
        records: records.len(),
        persons: persons.len(),
        courses: courses.len(),
        orders: orders.len(),
        breaches: breach_rows.len(),
    };
    conn.transaction(|c| -> Result<(), DatasetError> {
        // Publications are serialised: on PostgreSQL by a lock held to commit, on SQLite by its
        // single writer. The one this was prepared against must still be the latest.
        if c.is_postgres() {
            c.batch("SELECT pg_advisory_xact_lock(7270112)")?;
        }
        if meta_number(c, "publication")?.unwrap_or(0) != ids.publication {
            return Err(DatasetError::Conflict);
        }
        for t in crate::schema::ANALYSIS_TABLES {
            c.execute(&format!("DELETE FROM {t}"), &[])?;
        }
        c.bulk_insert(
            "forces",
            &["name", "incidents", "courses", "hidden_repeats", "linked_repeats", "urgent", "high", "review", "routine", "breaches", "charged", "outcomes", "overview"],
            &forces,
        )?;
        c.bulk_insert(
            "incidents",
            &["force", "incident_ref", "recorded_date", "occurred_date", "offence_code", "offence_description", "domestic_abuse", "cyber", "linked_refs", "outcome_type", "outcome_date", "narrative"],
            &incidents,
        )?;
        c.bulk_insert("course_incidents", &["course_id", "force", "incident_ref", "hidden"], &course_incidents)?;
        c.bulk_insert(
            "records",
            &["force", "record_id", "incident_ref", "role", "person_id", "local_person_id", "forename", "middle_names", "surname", "date_of_birth", "sex", "address", "postcode", "phone", "email", "online_handles", "pnc_id", "ni_number"],
            &records,
        )?;
        c.bulk_insert("persons", &["person_id", "records", "forces"], &persons)?;
        c.bulk_insert(
            "courses",
            &["course_id", "forces", "victim", "suspect", "first_date", "last_date", "reports", "hidden", "cross_force", "priority", "priority_rank", "triage_rank", "stalking", "breaches", "reasons", "pos"],
            &courses,
        )?;
        c.bulk_insert(
            "course_forces",
            &["force", "course_id", "triage_rank", "priority_rank", "last_date", "reports", "stalking", "cross_force", "breaches", "hidden", "pos"],
            &course_forces,
        )?;
        c.bulk_insert("orders", &["force", "order_ref", "order_type", "incident_ref", "applied_date", "granted_date", "expires_date", "status"], &orders)?;
        c.bulk_insert("breaches", &["course_id", "force", "incident_ref", "order_force", "order_ref"], &breach_rows)?;
        c.bulk_insert("term_frequencies", &["which", "hash", "frequency"], &tf)?;
        // Retired ids lead to their successors; ids that led to one retired now lead on.
        for (old, new) in ids.persons.retired.iter().chain(&ids.courses.retired) {
            c.execute("UPDATE id_successors SET current_id = ? WHERE current_id = ?", &[new.into(), old.into()])?;
            c.execute("DELETE FROM id_successors WHERE old_id = ?", &[old.into()])?;
            c.execute("INSERT INTO id_successors (old_id, current_id) VALUES (?, ?)", &[old.into(), new.into()])?;
        }
        for (k, v) in [
            ("model", model.clone()),
            ("published_at", crate::audit::now()),
            ("published", serde_json::to_string(&published).unwrap_or_default()),
            ("publication", (ids.publication + 1).to_string()),
            ("next_person", ids.next_person.to_string()),
            ("next_course", ids.next_course.to_string()),
        ] {
            c.execute("DELETE FROM meta WHERE key = ?", &[k.into()])?;
            c.execute("INSERT INTO meta (key, value) VALUES (?, ?)", &[k.into(), v.into()])?;
        }
        Ok(())
    })?;
    // Fresh statistics for the planner after replacing every analysis table.
    conn.batch("ANALYZE")?;
    Ok(published)
}

#[derive(Default)]
struct ForceFigures {
    incidents: usize,
    courses: usize,
    hidden: usize,
    linked: usize,
    urgent: usize,
    high: usize,
    review: usize,
    routine: usize,
    breaches: usize,
    charged: usize,
    outcomes: usize,
    /// (financial year, quarter) → (recorded, charged)
    quarters: BTreeMap<(i32, u32), (usize, usize)>,
    outcome_groups: BTreeMap<&'static str, usize>,
}

impl ForceFigures {
    fn row(&self, f: Force) -> Vec<Value> {
        let quarters: Vec<serde_json::Value> = self
            .quarters
            .iter()
            .map(|(&(fy, q), &(recorded, charged))| {
                serde_json::json!({ "quarter": format!("{fy}/{:02} Q{q}", (fy + 1) % 100), "recorded": recorded, "charged": charged })
            })
            .collect();
        let outcomes: Vec<serde_json::Value> =
            self.outcome_groups.iter().map(|(g, n)| serde_json::json!({ "group": g, "count": n })).collect();
        let overview = serde_json::json!({ "quarters": quarters, "outcome_groups": outcomes });
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

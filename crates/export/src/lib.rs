//! Exports for the analyst's tools: a course of conduct, a person's network, or every course of
//! a force, taken from the pipeline's analysis ([`conduct_pipeline::analyse`]) and written as
//!
//! - an i2 Analyst's Notebook chart ([`write_anx`]): ANX XML with an entity for every person and
//!   every report (and order), links for the roles people had in reports, for the linkage of a
//!   course's reports one to the next, for the report an order arose from and for possible
//!   breaches, and the date on every dated item;
//! - GraphML ([`write_graphml`]) for Gephi, yEd and Neo4j: the same graph with a typed `<key>`
//!   for every attribute;
//! - Parquet ([`write_parquet`]): one file for each CSV that `conduct courses` writes
//!   (persons, courses, course_summary, triage, hidden_repeats, breaches, …), row for row, with
//!   typed columns (dates as `DATE`, counts as `INT64`, flags as `BOOLEAN`), for the selection;
//!   and a Parquet twin of every other CSV file Conduct writes ([`parquet_twins`]: the
//!   statistics, the import's rejects and warnings, linkage's persons and pairs), which
//!   `--parquet` on `conduct run`, `stats`, `ingest` and `link` writes beside each CSV file.
//!
//! ```text
//! Export + Analysis ──▶ Network::select(Selection) ──▶ write_anx / write_graphml / write_parquet
//! ```
//!
//! What a selection holds ([`Network::select`]):
//! - **a course**: its reports, every people row of those reports and their persons, the orders
//!   that arose from its reports and those its reports may breach;
//! - **a person's network**: every course in which the person is the victim or the suspect, and
//!   every report that names the person in any role (also outside a course), with the people of
//!   those reports and their orders;
//! - **a force**: every course with a report recorded by the force, whole (a course that crosses
//!   into another force keeps its reports there);
//! - **everything**: every course and every possible breach; its Parquet files hold the same rows
//!   as the CSV files `conduct courses` writes.
//!
//! Text that XML cannot carry (control characters other than tab, line feed and carriage
//! return) is replaced with U+FFFD and counted ([`Written::replaced`]); nothing is dropped
//! silently.

mod anx;
mod error;
mod graph;
mod graphml;
mod tables;
#[cfg(test)]
mod tests;
mod xml;

use std::collections::{HashMap, HashSet};

use conduct_courses::Suspect;
use conduct_domain::Force;
use conduct_pipeline::{Analysis, Export};

pub use anx::write_anx;
pub use error::{Error, ErrorKind};
pub use graphml::write_graphml;
pub use tables::{parquet_twins, write_parquet};

/// What to export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// One course of conduct, by its id (`C000001`).
    Course(String),
    /// A person's network, by person_id (as in persons.csv).
    Person(String),
    /// Every course of conduct with a report recorded by the force (its name or an alias).
    Force(String),
    /// Every course of conduct and every possible breach.
    All,
}

/// What a writer wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Files written, with the rows (Parquet) or items (ANX, GraphML) in each.
    pub files: Vec<(std::path::PathBuf, u64)>,
    /// Characters XML cannot carry, replaced with U+FFFD.
    pub replaced: u64,
    /// What a reader should know: a Parquet column kept as text because a cell did not read as
    /// the type its name gives it.
    pub notes: Vec<String>,
}

/// The part of an analysis selected for export: indices into the export's records and the
/// analysis's courses, each ascending.
pub struct Network<'a> {
    pub(crate) export: &'a Export,
    pub(crate) analysis: &'a Analysis,
    /// Everything was selected (the Parquet files then hold every row of the CSV files).
    pub(crate) all: bool,
    /// What was selected, in words.
    title: String,
    /// Courses: indices into `analysis.courses.courses`.
    pub(crate) courses: Vec<usize>,
    /// Reports: indices into `export.incidents`.
    pub(crate) reports: Vec<usize>,
    /// People rows of the reports: indices into `export.people`.
    pub(crate) people: Vec<usize>,
    /// Orders that arose from the reports or that a report may breach: indices into
    /// `export.orders`.
    pub(crate) orders: Vec<usize>,
    /// Possible breaches by the reports: indices into `analysis.breaches`.
    pub(crate) breaches: Vec<usize>,
    /// The persons of the people rows, by number.
    pub(crate) persons: Vec<u32>,
    /// The report each order arose from, when it is in the export (by order index).
    pub(crate) order_source: HashMap<usize, usize>,
}

impl<'a> Network<'a> {
    /// Selects from an analysis of `export`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownCourse`], [`ErrorKind::UnknownPerson`] or [`ErrorKind::UnknownForce`]
    /// when the course, person or force asked for is not there.
    pub fn select(export: &'a Export, analysis: &'a Analysis, selection: &Selection) -> Result<Network<'a>, Error> {
        let found = &analysis.courses.courses;
        let index: HashMap<(Force, &str), usize> =
            export.incidents.iter().enumerate().map(|(i, r)| ((r.force, r.incident_ref.as_str()), i)).collect();
        let mut reports: HashSet<usize> = HashSet::new();
        let (courses, title): (Vec<usize>, String) = match selection {
            Selection::Course(id) => {
                let n = found.iter().position(|c| c.id == *id).ok_or_else(|| {
                    let known = match found.as_slice() {
                        [] => "the analysis found none".to_string(),
                        [only] => format!("the analysis found one, {}", only.id),
                        [first, .., last] => format!("the analysis found {}, {} to {}", found.len(), first.id, last.id),
                    };
                    Error::message(ErrorKind::UnknownCourse, format!("no course of conduct {id:?} ({known})"))
                })?;
                (vec![n], format!("course of conduct {id}"))
            }
            Selection::Person(id) => {
                let persons = &analysis.persons;
                let p = (0..persons.count())
                    .map(|n| n as u32)
                    .find(|&n| persons.id(n) == *id)
                    .ok_or_else(|| Error::message(ErrorKind::UnknownPerson, format!("no person {id:?} in the analysis")))?;
                for (row, &q) in persons.of_row().iter().enumerate() {
                    if q == p {
                        let r = &export.people[row];
                        if let Some(&i) = index.get(&(r.force, r.incident_ref.as_str())) {
                            reports.insert(i);
                        }
                    }
                }
                let courses = (0..found.len()).filter(|&n| found[n].victim == p || found[n].suspect == Suspect::Known(p)).collect();
                (courses, format!("network of person {id}"))
            }
            Selection::Force(name) => {
                let force = Force::resolve(name).map_err(|e| Error::new(ErrorKind::UnknownForce, format!("force {name:?}"), e))?;
                let courses = (0..found.len()).filter(|&n| found[n].forces.contains(&force)).collect();
                (courses, format!("courses of conduct of {}", force.name()))
            }
            Selection::All => {
                reports.extend(analysis.breaches.iter().map(|b| b.incident));
                ((0..found.len()).collect(), "every course of conduct".to_string())
            }
        };
        for &c in &courses {
            reports.extend(found[c].incidents.iter().copied());
        }
        let mut reports: Vec<usize> = reports.into_iter().collect();
        reports.sort_unstable();
        let in_reports: HashSet<usize> = reports.iter().copied().collect();

        let mut people = Vec::new();
        let mut persons = HashSet::new();
        for (row, r) in export.people.iter().enumerate() {
            if index.get(&(r.force, r.incident_ref.as_str())).is_some_and(|i| in_reports.contains(i)) {
                people.push(row);
                persons.insert(analysis.persons.of_row()[row]);
            }
        }
        let mut persons: Vec<u32> = persons.into_iter().collect();
        persons.sort_unstable();

        let breaches: Vec<usize> = (0..analysis.breaches.len()).filter(|&b| in_reports.contains(&analysis.breaches[b].incident)).collect();
        let mut order_source = HashMap::new();
        let mut orders = HashSet::new();
        for (o, order) in export.orders.iter().enumerate() {
            if let Some(&i) = index.get(&(order.force, order.incident_ref.as_str())) {
                order_source.insert(o, i);
                if in_reports.contains(&i) {
                    orders.insert(o);
                }
            }
        }
        orders.extend(breaches.iter().map(|&b| analysis.breaches[b].order));
        let mut orders: Vec<usize> = orders.into_iter().collect();
        orders.sort_unstable();

        Ok(Network {
            export,
            analysis,
            all: *selection == Selection::All,
            title,
            courses,
            reports,
            people,
            orders,
            breaches,
            persons,
            order_source,
        })
    }

    /// What was selected, in words ("course of conduct C000001").
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Courses of conduct selected.
    pub fn course_count(&self) -> usize {
        self.courses.len()
    }

    /// Reports selected (those of the courses, and for a person those that name them).
    pub fn report_count(&self) -> usize {
        self.reports.len()
    }

    /// Persons named in the reports selected.
    pub fn person_count(&self) -> usize {
        self.persons.len()
    }

    /// Orders that arose from the reports selected or that one of them may breach.
    pub fn order_count(&self) -> usize {
        self.orders.len()
    }

    /// Possible breaches among the reports selected.
    pub fn breach_count(&self) -> usize {
        self.breaches.len()
    }

    /// The person_id of person number `n`.
    pub(crate) fn person_id(&self, n: u32) -> String {
        self.analysis.persons.id(n)
    }
}

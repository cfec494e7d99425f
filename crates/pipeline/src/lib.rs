//! The analysis of a force export, in one call: who is who (person linkage), which reports make
//! courses of conduct, which may breach a protective order, the order in which a reviewer
//! should look at the courses, and the Home Office tables — from records already read.
//!
//! ```text
//! Export ──▶ link (conduct-resolve) ──▶ Persons ──▶ courses, breaches, triage (conduct-courses) ──▶ Analysis
//!        └─▶ tables (conduct-stats) ───────────────────────────────────────────────────────────▶ Analysis
//! ```
//!
//! [`analyse`] is the pipeline: `conduct run`, `conduct courses`, `conduct demo` and the
//! server's publication all call it. [`Options`] has one [`Default`], made of the options of
//! the libraries that use them; a command line only overrides fields. The files that say who
//! is who are written here ([`Persons::write_csv`], [`Linked::write_pairs`]); courses, the
//! review list and the tables are written by the crates that own them
//! ([`conduct_courses::Found::write`], [`conduct_stats::derived::write_derived`]).

pub mod cross_force;
mod error;
mod persons;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use conduct_courses::{Breach, Courses, Review, find_breaches, find_courses, triage_sized};
use conduct_domain::{Incident, Involvement, Order, RiskAssessment};
use conduct_ingest::{FileSummary, Reject, Summary, Table};
use conduct_resolve::LinkOptions;
use conduct_stats::Tables;

pub use cross_force::{TakenIn, take_in};
pub use error::{Error, ErrorKind};
pub use persons::{Linked, Persons, link};

/// An export as read: its accepted records and, when they come from one read, what the read
/// found (per-file counts and the rows it set aside).
#[derive(Clone, Debug, Default)]
pub struct Export {
    /// Accepted incidents.
    pub incidents: Vec<Incident>,
    /// Accepted people rows.
    pub people: Vec<Involvement>,
    /// Accepted orders.
    pub orders: Vec<Order>,
    /// Accepted risk assessments (DASH, S-DASH, SASH screenings), cited by the triage.
    pub risk_assessments: Vec<RiskAssessment>,
    /// Per file: rows read, accepted, rejected (empty for records merged from several reads).
    pub summary: Summary,
    /// Rows the read set aside. Those of the people files that name a record become persons of
    /// their own; those of the incidents and orders files are listed with the statistics.
    pub rejects: Vec<Reject>,
}

impl From<conduct_ingest::Export> for Export {
    /// Records without a read's findings (the server's merge of several exports).
    fn from(records: conduct_ingest::Export) -> Export {
        Export {
            incidents: records.incidents,
            people: records.people,
            orders: records.orders,
            risk_assessments: records.risk_assessments,
            ..Export::default()
        }
    }
}

impl Export {
    /// The files of `table` in the read, in the order read.
    fn files_of(&self, table: Table) -> impl Iterator<Item = &FileSummary> {
        self.summary.files.iter().filter(move |f| f.table == table)
    }

    /// The rejects of the files of `table` (or of every other table, with `other`).
    fn rejects_of(&self, table: Table, other: bool) -> Vec<Reject> {
        let files: Vec<&PathBuf> = self.files_of(table).map(|f| &f.file).collect();
        self.rejects.iter().filter(|r| files.contains(&&r.file) != other).cloned().collect()
    }
}

/// How to analyse: one option struct per library, each with the library's own defaults.
#[derive(Clone, Debug)]
pub struct Options {
    /// Person linkage. Default: [`LinkOptions::default`], keeping the scored pairs with a match
    /// weight of at least 0 (no less likely the same person than not) for `pairs.csv`.
    pub link: LinkOptions,
    /// Courses of conduct: [`conduct_courses::Options::default`].
    pub courses: conduct_courses::Options,
    /// Derived figures: [`conduct_stats::derived::Options::default`].
    pub stats: conduct_stats::derived::Options,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            link: LinkOptions { keep_pairs_from_weight: 0.0, ..LinkOptions::default() },
            courses: conduct_courses::Options::default(),
            stats: conduct_stats::derived::Options::default(),
        }
    }
}

/// The statistics of an export: the Home Office tables built from its incidents and orders,
/// and the files they were read from.
#[derive(Debug)]
pub struct Statistics {
    /// Recorded crime, outcomes and orders by force, quarter and offence.
    pub tables: Tables,
    /// The incidents and orders files of the read, in order.
    pub files: Vec<FileSummary>,
    /// Their rejected rows.
    pub rejects: Vec<Reject>,
}

impl Statistics {
    /// Rows used in the figures (accepted from the incidents and orders files).
    pub fn used(&self) -> u64 {
        self.files.iter().map(|f| f.accepted).sum()
    }
}

/// Everything the pipeline found.
#[derive(Debug)]
pub struct Analysis {
    /// The person of every people row (and of the rejected rows that name a record).
    pub persons: Persons,
    /// The model, counts and pairs of linkage (`None` when the persons were given).
    pub linked: Option<Linked>,
    /// Courses of conduct, by first report.
    pub courses: Courses,
    /// Reports that may breach a protective order.
    pub breaches: Vec<Breach>,
    /// The review list: courses in review order, each with its reasons.
    pub reviews: Vec<Review>,
    /// The Home Office tables.
    pub statistics: Statistics,
    /// Wall time per stage: `link`, `courses`, `statistics` (statistics run beside linkage).
    pub stages: Vec<(&'static str, Duration)>,
}

/// Analyses an export: links its people into persons (its rejected people rows that name a
/// record each become a person of their own), finds courses of conduct, possible breaches of
/// protective orders and the review list, and builds the Home Office tables from its incidents
/// and orders.
///
/// # Errors
///
/// [`ErrorKind::Linkage`] when the linkage options cannot work or a given model does not fit.
pub fn analyse(export: &Export, options: &Options) -> Result<Analysis, Error> {
    // The tables need nothing from linkage: they are built beside it.
    let (linked, (statistics, stats_time)) = rayon::join(
        || {
            let t = Instant::now();
            link(&export.people, &export.rejects_of(Table::People, false), &options.link).map(|l| (l, t.elapsed()))
        },
        || timed(|| statistics(export)),
    );
    let ((persons, linked), link_time) = linked?;
    let mut analysis = find(export, persons, Some(linked), statistics, options);
    analysis.stages.splice(0..0, [("link", link_time)]);
    analysis.stages.push(("statistics", stats_time));
    Ok(analysis)
}

/// [`analyse`] with the persons already known (a persons file from an earlier linkage,
/// [`Persons::read_csv`]), so nothing is linked.
pub fn analyse_with_persons(export: &Export, persons: Persons, options: &Options) -> Analysis {
    let (statistics, stats_time) = timed(|| statistics(export));
    let mut analysis = find(export, persons, None, statistics, options);
    analysis.stages.push(("statistics", stats_time));
    analysis
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

/// The tables from the export's incidents and orders, as `conduct stats` builds them from the
/// files (orders supplied when the export had orders files, or any order).
fn statistics(export: &Export) -> Statistics {
    let orders_supplied = export.files_of(Table::Orders).next().is_some();
    Statistics {
        tables: Tables::from_records(&export.incidents, &export.orders, orders_supplied),
        files: export.summary.files.iter().filter(|f| matches!(f.table, Table::Incidents | Table::Orders)).cloned().collect(),
        rejects: [Table::Incidents, Table::Orders].into_iter().flat_map(|t| export.rejects_of(t, false)).collect(),
    }
}

/// Courses, breaches and the review list for persons known.
fn find(export: &Export, persons: Persons, linked: Option<Linked>, statistics: Statistics, options: &Options) -> Analysis {
    let t = Instant::now();
    let courses = find_courses(&export.incidents, &export.people, persons.of_row(), &options.courses);
    let breaches = find_breaches(&export.incidents, &export.orders, &courses);
    let reviews =
        triage_sized(&export.incidents, &export.orders, &export.risk_assessments, &courses.courses, &breaches, &options.courses.list_sizes);
    let stages = vec![("courses", t.elapsed())];
    Analysis { persons, linked, courses, breaches, reviews, statistics, stages }
}

impl Analysis {
    /// What was found, ready to write with [`conduct_courses::Found::write`] (`person` turns
    /// person numbers into ids: `|n| analysis.persons.id(n)`).
    pub fn found<'a>(&'a self, export: &'a Export, person: conduct_courses::PersonName<'a>) -> conduct_courses::Found<'a> {
        conduct_courses::Found {
            incidents: &export.incidents,
            orders: &export.orders,
            courses: &self.courses,
            breaches: &self.breaches,
            reviews: &self.reviews,
            risk_assessments: &export.risk_assessments,
            person,
        }
    }
}

#[cfg(test)]
mod tests;

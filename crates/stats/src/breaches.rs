//! Breaches of stalking protection orders found by analysis, fed into the statistics beside the
//! recorded figure.
//!
//! A force export has no breach field, so the recorded figure
//! ([`OrderTally::breaches_indicated`](crate::OrderTally::breaches_indicated)) counts a report
//! only when its text names a breach of an SPO: a lower bound. `conduct courses` finds breaches
//! another way: a report whose resolved suspect is an order's subject and whose resolved victim
//! is its protected person, about conduct on a day the order was granted and unexpired
//! (`breaches.csv`, one row per report and order). Those of full and interim SPOs are counted
//! here, each report once however many orders it breaches, in the quarter the report was
//! recorded, as [`OrderTally::breaches_found`](crate::OrderTally::breaches_found): a separate
//! figure labelled "found by analysis", never added to the recorded one or to any Home Office
//! figure.
//!
//! The breaches come either from `breaches.csv` ([`FoundBreaches::read`]) matched against the
//! export's incidents as they are read ([`crate::incidents::read_export_with`]), or from the
//! analysis in memory ([`Tables::add_found_breaches`]).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use conduct_domain::{Force, Incident, Order, OrderType};

use crate::error::{Error, ErrorKind};
use crate::period::FinancialQuarter;
use crate::tables::Tables;

/// What a `breaches.csv` of `conduct courses` holds, keyed for matching with the export.
#[derive(Debug, Default)]
pub struct FoundBreaches {
    /// Reports that breach a full or interim SPO, by force: their incident references, and
    /// whether each has been matched with an incident of the export.
    spo: HashMap<Force, HashMap<String, bool>>,
    /// Rows read.
    pub rows: u64,
    /// Rows of full or interim SPOs.
    pub spo_rows: u64,
    /// Rows of other orders (restraining orders, non-molestation orders…): not counted.
    pub other_orders: u64,
    /// Reports matched with an incident of the export (each once).
    pub matched: u64,
    /// Rows that could not be used: an unknown force or order type, a missing reference.
    pub rejects: Vec<Error>,
}

/// The columns of `breaches.csv` read here.
const COLUMNS: [&str; 3] = ["incident_force", "incident_ref", "order_type"];

impl FoundBreaches {
    /// Reads `breaches.csv` as `conduct courses` writes it (`force, order_ref, order_type,
    /// incident_force, incident_ref, date, subject_person_id, protected_person_id`; header names
    /// in any case and order, cells made inert for spreadsheets read back as written).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] or [`ErrorKind::Csv`] when the file cannot be read, and
    /// [`ErrorKind::MissingColumn`] when the header lacks `incident_force`, `incident_ref` or
    /// `order_type`; each names the file. A row that cannot be used is a reject, not an error.
    pub fn read(path: &Path) -> Result<FoundBreaches, Error> {
        let in_file = |e: Error| e.in_file(path);
        let mut r = csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|e| in_file(Error::new(ErrorKind::Csv(e))))?;
        let header = r.headers().map_err(|e| in_file(Error::new(ErrorKind::Csv(e))))?.clone();
        let column = |name: &'static str| {
            header
                .iter()
                .position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
                .ok_or_else(|| in_file(Error::new(ErrorKind::MissingColumn { what: name, expected: vec![name] })))
        };
        let [force_at, ref_at, type_at] = [column(COLUMNS[0])?, column(COLUMNS[1])?, column(COLUMNS[2])?];
        let mut found = FoundBreaches::default();
        for (i, record) in r.records().enumerate() {
            let line = i as u64 + 2;
            let record = record.map_err(|e| in_file(Error::new(ErrorKind::Csv(e))))?;
            found.rows += 1;
            let cell = |at: usize| conduct_domain::cell::restore(record.get(at).unwrap_or("").trim()).into_owned();
            let (force, incident_ref, order_type) = (cell(force_at), cell(ref_at), cell(type_at));
            let Some(order_type) = OrderType::parse(&order_type) else {
                found.rejects.push(in_file(Error::new(ErrorKind::BadOrderType(order_type))).at(line, COLUMNS[2]));
                continue;
            };
            if !order_type.is_spo() {
                found.other_orders += 1;
                continue;
            }
            let force = match Force::resolve(&force) {
                Ok(f) => f,
                Err(e) => {
                    found.rejects.push(in_file(Error::new(ErrorKind::UnknownForce(e))).at(line, COLUMNS[0]));
                    continue;
                }
            };
            if incident_ref.is_empty() {
                found.rejects.push(in_file(Error::new(ErrorKind::BadIncidentRef(incident_ref))).at(line, COLUMNS[1]));
                continue;
            }
            found.spo_rows += 1;
            found.spo.entry(force).or_default().entry(incident_ref).or_insert(false);
        }
        Ok(found)
    }

    /// Reports that breach an SPO, each once.
    pub fn reports(&self) -> u64 {
        self.spo.values().map(|s| s.len() as u64).sum()
    }

    /// Reports not (yet) matched with an incident of the export.
    pub fn unmatched(&self) -> u64 {
        self.reports() - self.matched
    }

    /// Whether `incident` is a report found to breach an SPO and not matched before; marks it
    /// matched.
    pub fn take(&mut self, incident: &Incident) -> bool {
        let Some(m) = self.spo.get_mut(&incident.force).and_then(|s| s.get_mut(incident.incident_ref.as_str())) else { return false };
        let new = !*m;
        *m = true;
        self.matched += u64::from(new);
        new
    }
}

impl Tables {
    /// Counts the breaches found by analysis in memory: `pairs` are (order index, incident
    /// index) into `orders` and `incidents`, as `conduct_courses::find_breaches` gives them
    /// (`Breach::order`, `Breach::incident`). Only full and interim SPOs count, each report
    /// once, in the quarter it was recorded. Marks the analysis as supplied.
    pub fn add_found_breaches(&mut self, incidents: &[Incident], orders: &[Order], pairs: impl IntoIterator<Item = (usize, usize)>) {
        self.set_breaches_analysed();
        let mut seen = HashSet::new();
        for (o, i) in pairs {
            let (Some(order), Some(incident)) = (orders.get(o), incidents.get(i)) else { continue };
            if order.order_type.is_spo() && seen.insert(i) {
                self.add_found_breach(incident.force, FinancialQuarter::of(incident.recorded_date));
            }
        }
    }
}

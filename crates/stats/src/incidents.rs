//! Builds the Home Office tables from a force export: incidents grouped by force, financial
//! year, quarter (of the recorded date) and offence; outcomes by outcome type, counted against
//! the quarter the *offence was recorded* in (so rates answer "of the offences recorded in the
//! period, how many…", as the published outcomes-for-offences-recorded table does); and
//! stalking protection orders (SPOs and interim SPOs) applied for and granted, by quarter.
//!
//! An incident is counted under its principal `offence_code` only. One whose principal crime is
//! outside the stalking-and-harassment subgroup but whose `secondary_offence_codes` hold one in
//! it is counted apart ([`Tables::also_recorded`], "also recorded as stalking or harassment"),
//! never in the Home Office figures.
//!
//! An incident with no outcome type is counted as outcome type 0 (not yet assigned), which
//! every rate leaves out of its numerators. Breaches: the data contract has no breach field, so
//! an incident counts as a breach only when its offence description or narrative names a
//! breach of a stalking protection order; the figure is a lower bound and is reported as such.

use std::path::PathBuf;

use conduct_domain::{Force, Incident, OffenceCode, Order, OutcomeType};
use conduct_ingest::{Batch, Ingest, Inputs, KnownIncidents, Reject, Summary};

use crate::breaches::FoundBreaches;
use crate::error::{Error, ErrorKind};
use crate::period::FinancialQuarter;
use crate::tables::{Count, OrderTally, Source, Tables};

fn contains_ignore_case(haystack: &str, needle: &[u8]) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

/// Whether a record's text names a breach of a stalking protection order. ("breach" in lower,
/// upper or title case is looked for first, which keeps the check cheap on ten million rows.)
pub fn names_spo_breach(text: &str) -> bool {
    (text.contains("reach") || text.contains("REACH"))
        && contains_ignore_case(text, b"breach")
        && (contains_ignore_case(text, b"stalking protection order") || contains_ignore_case(text, b"spo"))
}

impl Tables {
    /// Counts one incident: recorded in the quarter of its recorded date, with its outcome
    /// (type 0 when none is assigned) against the same quarter.
    pub fn add_incident(&mut self, i: &Incident) {
        self.source = Source::Incidents;
        let q = FinancialQuarter::of(i.recorded_date);
        let o = self.export_offence(&i.offence_code, &i.offence_description);
        let outcome = i.outcome_type.unwrap_or(OutcomeType::new(0).expect("type 0 exists"));
        let cell = self.cells.entry((i.force, q, o)).or_default();
        cell.recorded.get_or_insert_default().count += 1;
        cell.add_outcome(outcome, Count::Value(1));
        self.set_outcomes_supplied();
        if i.stalking_or_harassment_only_secondary() {
            self.add_also_recorded(i.force, q);
        }
        if names_spo_breach(&i.offence_description) || names_spo_breach(&i.narrative) {
            self.add_orders(i.force, q, OrderTally { breaches_indicated: 1, ..OrderTally::default() });
        }
    }

    /// Counts one protective order, if it is a stalking protection order (full or interim):
    /// applied in the quarter of its applied date (its granted date when that is missing),
    /// granted in the quarter of its granted date.
    pub fn add_order(&mut self, o: &Order) {
        self.set_orders_supplied();
        if !o.order_type.is_spo() {
            return;
        }
        if let Some(d) = o.applied_date.or(o.granted_date) {
            self.add_orders(o.force, FinancialQuarter::of(d), OrderTally { applied: 1, ..OrderTally::default() });
        }
        if let Some(d) = o.granted_date {
            self.add_orders(o.force, FinancialQuarter::of(d), OrderTally { granted: 1, ..OrderTally::default() });
        }
    }

    /// Tables from incidents held in memory.
    pub fn from_incidents<'a>(incidents: impl IntoIterator<Item = &'a Incident>) -> Tables {
        let mut t = Tables::new();
        t.source = Source::Incidents;
        for i in incidents {
            t.add_incident(i);
        }
        t.cover_export_quarters();
        t
    }

    /// Tables from an export's incidents and orders already in memory, exactly as
    /// [`read_export`] builds them while reading the files (so that `conduct run` reads the
    /// export once). `orders_supplied`: the export came with orders files, even empty ones, so
    /// that no order is a zero rather than a gap.
    pub fn from_records(incidents: &[Incident], orders: &[Order], orders_supplied: bool) -> Tables {
        let mut t = Tables::new();
        t.source = Source::Incidents;
        if orders_supplied {
            t.set_orders_supplied();
        }
        for i in incidents {
            t.add_incident(i);
        }
        for o in orders {
            t.add_order(o);
        }
        t.cover_export_quarters();
        t
    }

    /// A force's export holds all of its records: a quarter between the export's first and last
    /// in which a force recorded nothing is a true zero, not a gap. (In the published tables an
    /// absent row is a gap, so this applies to exports only.) Marks every such quarter as
    /// reported, with zero harassment offences, so that changes and national totals treat it so.
    pub fn cover_export_quarters(&mut self) {
        let keys: Vec<(Force, FinancialQuarter)> = self.cells.keys().map(|&(f, q, _)| (f, q)).collect();
        let (Some(first), Some(last)) = (keys.iter().map(|k| k.1.index()).min(), keys.iter().map(|k| k.1.index()).max()) else {
            return;
        };
        let forces: std::collections::BTreeSet<Force> = keys.iter().map(|k| k.0).collect();
        let harassment = OffenceCode::parse("8L").expect("8L is a code");
        let o = self.offence(&harassment, "", "", "");
        let with_outcomes = self.outcomes_supplied();
        for f in forces {
            for q in first..=last {
                let cell = self.cells.entry((f, FinancialQuarter::from_index(q), o)).or_default();
                cell.recorded.get_or_insert_default();
                if with_outcomes && cell.outcomes.is_none() {
                    cell.add_outcome(OutcomeType::new(0).expect("type 0 exists"), Count::Value(0));
                }
            }
        }
    }
}

/// What reading a force export found.
#[derive(Debug)]
pub struct ExportRead {
    /// The tables built.
    pub tables: Tables,
    /// Rows read, accepted and rejected, per file.
    pub summary: Summary,
    /// Rejected rows, with file, line, column and reason.
    pub rejects: Vec<Reject>,
}

/// Reads incidents (and optionally orders) files through the ingest crate and builds the
/// tables from the accepted rows.
///
/// # Errors
///
/// [`ErrorKind::Ingest`], with the ingest crate's error as its source, when a file cannot be
/// read at all; rejected rows are in [`ExportRead::rejects`], not errors.
pub fn read_export(incidents: &[PathBuf], orders: &[PathBuf]) -> Result<ExportRead, Error> {
    read_export_with(incidents, orders, None)
}

/// [`read_export`], counting also the reports that `found` (a `conduct courses` breaches file)
/// says breach a stalking protection order, each in the quarter it was recorded
/// ([`crate::OrderTally::breaches_found`]); `found` is left holding which were matched.
///
/// # Errors
///
/// As [`read_export`].
pub fn read_export_with(incidents: &[PathBuf], orders: &[PathBuf], mut found: Option<&mut FoundBreaches>) -> Result<ExportRead, Error> {
    let inputs = Inputs { incidents: incidents.to_vec(), people: Vec::new(), orders: orders.to_vec(), risk_assessments: Vec::new() };
    let mut tables = Tables::new();
    tables.source = Source::Incidents;
    if !orders.is_empty() {
        tables.set_orders_supplied();
    }
    if found.is_some() {
        tables.set_breaches_analysed();
    }
    let mut ingest = Ingest::new();
    let summary = ingest
        .run(&inputs, &KnownIncidents::default(), &mut |batch| {
            match batch {
                Batch::Incidents(v) => {
                    for i in v.iter() {
                        tables.add_incident(i);
                        if found.as_mut().is_some_and(|f| f.take(i)) {
                            tables.add_found_breach(i.force, FinancialQuarter::of(i.recorded_date));
                        }
                    }
                }
                Batch::Orders(v) => v.iter().for_each(|o| tables.add_order(o)),
                Batch::People(_) => {}
            }
            true
        })
        .map_err(|e| Error::new(ErrorKind::Ingest(Box::new(e))))?;
    tables.cover_export_quarters();
    Ok(ExportRead { tables, summary, rejects: ingest.rejects().to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::Tally;

    #[test]
    fn breach_wording() {
        assert!(names_spo_breach("Breach of stalking protection order"));
        assert!(names_spo_breach("suspect breached the SPO"));
        assert!(!names_spo_breach("Suspect is subject to an order not to contact the victim."));
        assert!(!names_spo_breach("Harassment"));
    }

    fn incident(r: &str, code: &str, secondary: &[&str]) -> Incident {
        Incident {
            secondary_offence_codes: secondary.iter().map(|c| OffenceCode::parse(c).unwrap()).collect(),
            ..Incident::new(
                Force::resolve("Kent").unwrap(),
                r,
                conduct_domain::Date::new(2022, 7, 15).unwrap(),
                OffenceCode::parse(code).unwrap(),
            )
        }
    }

    /// The per-force, per-quarter stalking-and-harassment figures the dashboard reads are the
    /// published rows of the subgroup summed: principal codes only (finer codes folded), every
    /// outcome counted against the quarter recorded, no outcome as type 0, and a quarter with
    /// nothing recorded a zero.
    #[test]
    fn stalking_and_harassment_by_quarter_sums_the_published_rows_of_the_subgroup() {
        let on = |mut i: Incident, y: i32, m: u32, outcome: Option<u8>| {
            i.recorded_date = conduct_domain::Date::new(y, m, 15).unwrap();
            i.outcome_type = outcome.map(|o| OutcomeType::new(o).unwrap());
            i
        };
        let incidents = [
            on(incident("K1", "8L", &[]), 2022, 7, Some(1)),
            on(incident("K2", "8/65", &[]), 2022, 8, Some(14)),
            on(incident("K3", "8Q", &[]), 2022, 9, None),
            on(incident("K4", "58A", &["8Q"]), 2022, 9, Some(1)),
            on(incident("K5", "105A", &[]), 2023, 2, Some(1)),
            on(incident("K6", "8R", &[]), 2023, 3, Some(1)),
        ];
        let t = Tables::from_incidents(&incidents);
        let kent = Force::resolve("Kent").unwrap();
        let by = t.stalking_and_harassment_by_quarter();
        let q = |y, n| FinancialQuarter::new(y, n).unwrap();
        assert_eq!(
            by.keys().map(|k| (k.0, k.1.label())).collect::<Vec<_>>(),
            [(kent, "2022/23 Q2".to_string()), (kent, "2022/23 Q3".to_string()), (kent, "2022/23 Q4".to_string())]
        );
        let q2 = &by[&(kent, q(2022, 2))];
        assert_eq!(q2.recorded.count, 3, "K1, K2 (8/65 is stalking) and K3; K4's principal crime is criminal damage");
        assert_eq!((q2.charged().count, q2.assigned().count), (1, 2));
        assert_eq!(q2.outcomes[&OutcomeType::new(0).unwrap()].count, 1, "K3 has no outcome yet: type 0");
        let q3 = &by[&(kent, q(2022, 3))];
        assert_eq!((q3.recorded, q3.assigned()), (Tally::default(), Tally::default()), "nothing recorded: a zero, not a gap");
        let q4 = &by[&(kent, q(2022, 4))];
        assert_eq!((q4.recorded.count, q4.charged().count), (1, 1), "K6; K5 is an assault");
        // The same figures as the rows recorded.csv and outcomes.csv are written from.
        let sh = |o: &crate::tables::Offence| o.class.is_stalking_or_harassment();
        for (&(f, quarter), v) in &by {
            let recorded: u64 = t.recorded_rows().iter().filter(|r| (r.0, r.1) == (f, quarter) && sh(r.2)).map(|r| r.3.count).sum();
            assert_eq!(v.recorded.count, recorded);
            for o in OutcomeType::all() {
                let rows: u64 = t.outcome_rows().iter().filter(|r| (r.0, r.1, r.3) == (f, quarter, o) && sh(r.2)).map(|r| r.4.count).sum();
                assert_eq!(v.outcomes.get(&o).map_or(0, |t| t.count), rows, "{quarter} type {o}");
            }
        }
    }

    /// A force's free-text descriptions never decide how a known code is described, and an
    /// unknown code is described by its most frequent text (ties: byte order), the same in
    /// every order of the incidents.
    #[test]
    fn offences_are_described_alike_in_any_order_of_the_incidents() {
        let described = |code: &str, text: &str| Incident { offence_description: text.into(), ..incident("K", code, &[]) };
        let mut incidents = vec![
            described("8L", "HARASSMENT"),
            described("8/65", "Stalking - fear of violence - PHA s.4A"),
            described("8L", "Harassment - PHA 1997 s.2"),
            described("105A", "ASSAULT WITHOUT INJURY"),
            described("105A", "Assault without injury"),
            described("105A", ""),
            described("105A", "Assault without injury"),
            described("58C", "Criminal damage to vehicle"),
            described("58C", "Criminal damage to a vehicle"),
            described("49", ""),
        ];
        let labels = |incidents: &[Incident]| -> Vec<(String, String)> {
            let mut v: Vec<(String, String)> =
                Tables::from_incidents(incidents).offences().iter().map(|o| (o.code.clone(), o.description.clone())).collect();
            v.sort();
            v
        };
        let first = labels(&incidents);
        assert_eq!(
            first,
            [
                ("105A", "Assault without injury"),
                ("49", "Other"),
                ("58C", "Criminal damage to a vehicle"),
                ("8L", "Harassment"),
                ("8Q", "Stalking"),
            ]
            .map(|(c, d)| (c.to_string(), d.to_string()))
        );
        for k in 1..incidents.len() {
            incidents.rotate_left(k % 3 + 1);
            incidents.swap(0, k);
            assert_eq!(labels(&incidents), first, "order {k}");
        }
    }

    #[test]
    fn a_secondary_stalking_code_is_counted_apart_and_never_in_the_home_office_figures() {
        let incidents = [
            incident("K1", "58A", &["8Q"]),
            incident("K2", "58A", &["8L", "8Q"]),
            incident("K3", "8L", &["8Q"]),
            incident("K4", "58A", &["37/1"]),
            incident("K5", "58A", &[]),
        ];
        let t = Tables::from_incidents(&incidents);
        let kent = Force::resolve("Kent").unwrap();
        let q = FinancialQuarter::of(conduct_domain::Date::new(2022, 7, 15).unwrap());
        assert_eq!(t.also_recorded(None, |_| true), 2, "K1 and K2; K3's principal crime is harassment already");
        assert_eq!(t.also_recorded(Some(kent), |x| x == q), 2);
        assert_eq!(t.also_recorded(Some(kent), |x| x != q), 0);
        let rows = t.recorded_rows();
        let count = |code: &str| rows.iter().filter(|r| r.2.code == code).map(|r| r.3.count).sum::<u64>();
        assert_eq!((count("8L"), count("8Q"), count("58A")), (1, 0, 4), "the tables count the principal crime only");
    }
}

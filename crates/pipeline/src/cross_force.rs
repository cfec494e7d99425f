//! Other forces' reports in a force's courses (the cross-force mode, issue 15): what the hub
//! passed on about the records it linked to the force's own ([`OtherForceReport`]) joins the
//! courses, breaches and review list as reports of those forces, each of their records standing
//! for the person of the own record it was linked to. Linkage and the statistics stay the
//! force's own: no other force's record is linked here, and no other force's report is counted
//! in a figure.

use std::collections::{BTreeMap, HashMap, HashSet};

use conduct_domain::{Force, OtherForceReport};

use crate::{Analysis, Export, Options, Persons, analyse_with_persons};

/// An analysis with other forces' reports taken in ([`take_in`]).
#[derive(Debug)]
pub struct TakenIn {
    /// The export with the other forces' reports after its own records: their incidents after
    /// the own incidents ([`TakenIn::own_incidents`] of them), their people rows after the own
    /// people rows.
    pub export: Export,
    /// Courses, breaches and the review list over both; the persons, linkage and statistics of
    /// the analysis given.
    pub analysis: Analysis,
    /// The persons of the own people rows alone (persons.csv lists the force's records only).
    pub own_persons: Persons,
    /// How many of [`TakenIn::export`]'s incidents are the force's own (the rest are other
    /// forces' reports).
    pub own_incidents: usize,
    /// Per other force: its reports and its records taken in.
    pub per_force: BTreeMap<Force, (usize, usize)>,
    /// Report rows left out because the own record they are linked to is not among the
    /// export's people rows (a hub result older or newer than the records held).
    pub unmatched: usize,
}

/// Takes other forces' reports into `analysis`, the analysis of `export`: each report becomes
/// an incident of its force (its pseudonym as reference, its date and offence codes, nothing
/// else; each report once), each record in it a people row standing for the person of the own
/// record the hub linked it to, and courses, breaches and the review list are found again over
/// both. A report of a force the export itself holds incidents of is left in (the caller
/// decides whether the two can mix); one whose own record is not in the export is counted in
/// [`TakenIn::unmatched`] and left out.
pub fn take_in(export: &Export, analysis: Analysis, reports: &[OtherForceReport], options: &Options) -> TakenIn {
    let row_of: HashMap<&str, usize> = export.people.iter().enumerate().map(|(k, p)| (p.record_id.as_str(), k)).collect();
    let of_row = analysis.persons.of_row();
    let mut all = export.clone();
    let own_incidents = all.incidents.len();
    let mut extra = Vec::new();
    let mut placed: HashSet<(Force, &str)> = HashSet::new();
    let mut per_force: BTreeMap<Force, (usize, usize)> = BTreeMap::new();
    let mut unmatched = 0;
    for r in reports {
        let Some(&row) = row_of.get(r.own_record.as_str()) else {
            unmatched += 1;
            continue;
        };
        let counts = per_force.entry(r.force).or_default();
        if placed.insert((r.force, r.reference.as_str())) {
            all.incidents.push(r.incident());
            counts.0 += 1;
        }
        all.people.push(r.involvement());
        counts.1 += 1;
        extra.push(of_row[row]);
    }
    let mut again = analyse_with_persons(&all, analysis.persons.with_rows(&extra), options);
    again.linked = analysis.linked;
    again.statistics = analysis.statistics;
    again.stages = analysis
        .stages
        .into_iter()
        .filter(|(n, _)| *n != "courses")
        .chain(again.stages.into_iter().filter(|(n, _)| *n == "courses"))
        .collect();
    TakenIn { export: all, analysis: again, own_persons: analysis.persons, own_incidents, per_force, unmatched }
}

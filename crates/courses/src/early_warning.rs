//! Early warning (issue 17, item 7): where a course that ended in serious violence stood in
//! the review list on the day before the violent report.
//!
//! "As of" a day means what a force's records held at the end of the day before: reports
//! recorded before it, their people, the orders applied for before it (a grant or an expiry
//! still to come is not yet known), screenings done before it, and outcomes assigned before
//! it. The courses, possible breaches and review list are then built from those records alone
//! by the same rules as always ([`find_courses`], [`find_breaches`], [`triage_sized`]), and
//! the course of the victim and suspect of the violent report is looked up in that list.
//! Which reports were violent is the evaluation's business: nothing here reads a truth column.

use std::collections::HashSet;

use conduct_domain::{Date, Force, Incident, Involvement, Order, OrderStatus, RiskAssessment};

use crate::build::{Options, PersonIndex, Suspect, find_courses};
use crate::{Priority, find_breaches, triage_sized};

/// The records of an export as they stood at the end of the day before a date.
#[derive(Clone, Debug, Default)]
pub struct AsOf {
    /// Reports recorded before the date, with outcomes assigned later taken off.
    pub incidents: Vec<Incident>,
    /// Their people rows.
    pub people: Vec<Involvement>,
    /// The person of each of those rows.
    pub person_of: Vec<PersonIndex>,
    /// Orders applied for before the date, with grants and expiries not yet known taken off.
    pub orders: Vec<Order>,
    /// Screenings done before the date.
    pub screenings: Vec<RiskAssessment>,
}

impl AsOf {
    /// The records of an export as they stood at the end of the day before `day`.
    /// `person_of` gives the person of each row of `people`.
    pub fn new(
        incidents: &[Incident],
        people: &[Involvement],
        person_of: &[PersonIndex],
        orders: &[Order],
        screenings: &[RiskAssessment],
        day: Date,
    ) -> AsOf {
        let mut kept: HashSet<(Force, &str)> = HashSet::new();
        let incidents: Vec<Incident> = incidents
            .iter()
            .filter(|i| i.recorded_date < day)
            .map(|i| {
                kept.insert((i.force, i.incident_ref.as_str()));
                let mut i = i.clone();
                // An outcome with no date cannot be placed: it is kept (the import warns of it).
                if i.outcome_date.is_some_and(|d| d >= day) {
                    i.outcome_type = None;
                    i.outcome_date = None;
                }
                i
            })
            .collect();
        let (people, person_of): (Vec<Involvement>, Vec<PersonIndex>) = people
            .iter()
            .zip(person_of)
            .filter(|(p, _)| kept.contains(&(p.force, p.incident_ref.as_str())))
            .map(|(p, &n)| (p.clone(), n))
            .unzip();
        let orders = orders
            .iter()
            .filter(|o| kept.contains(&(o.force, o.incident_ref.as_str())) && o.applied_date.or(o.granted_date).is_none_or(|d| d < day))
            .map(|o| {
                let mut o = o.clone();
                if o.granted_date.is_some_and(|g| g >= day) {
                    o.granted_date = None;
                    o.expires_date = None;
                    o.status = Some(OrderStatus::Applied);
                } else if o.status == Some(OrderStatus::Expired) && o.expires_date.is_none_or(|e| e >= day) {
                    o.status = Some(OrderStatus::Granted);
                }
                o
            })
            .collect();
        let screenings = screenings.iter().filter(|a| a.assessed_date < day).cloned().collect();
        AsOf { incidents, people, person_of, orders, screenings }
    }
}

/// Whom to look for: the victim of a report and, when it names one, its suspect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    /// The victim.
    pub victim: PersonIndex,
    /// The suspect, if the report names one.
    pub suspect: Option<PersonIndex>,
}

/// Where a pair's course stood in a review list (the default: in no course).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Standing {
    /// The course found (`None` when the victim had no course yet: fewer than two reports).
    pub course_id: Option<String>,
    /// Its place in the list, from 1.
    pub rank: Option<usize>,
    /// Its priority, after the lists were sized.
    pub priority: Option<Priority>,
    /// Its priority by the rules alone.
    pub by_rules: Option<Priority>,
    /// Its reports.
    pub reports: usize,
    /// Its reasons, as triage.csv writes them.
    pub reasons: String,
    /// Whether the suspect of the report was the course's (false: the victim's latest course).
    pub suspect_matched: bool,
}

/// The shape of one review list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListShape {
    /// Courses in it.
    pub courses: usize,
    /// Courses at urgent.
    pub urgent: usize,
    /// Courses at high.
    pub high: usize,
}

impl Standing {
    /// Whether its rank is within the first `share` of a list of `courses` courses.
    pub fn within(&self, share: f64, courses: usize) -> bool {
        self.rank.is_some_and(|r| r as f64 <= share * courses as f64)
    }
}

/// Builds the courses and review list from `records` and finds each pair's course in it: the
/// course of the victim with the report's suspect, else the victim's course with the latest
/// last report (linkage may have split the suspect, or the report named none).
pub fn standings(records: &AsOf, options: &Options, pairs: &[Pair]) -> (ListShape, Vec<Standing>) {
    let found = find_courses(&records.incidents, &records.people, &records.person_of, options);
    let breaches = find_breaches(&records.incidents, &records.orders, &found);
    let reviews = triage_sized(&records.incidents, &records.orders, &records.screenings, &found.courses, &breaches, &options.list_sizes);
    let mut rank_of = vec![0usize; found.courses.len()];
    for (k, r) in reviews.iter().enumerate() {
        rank_of[r.course] = k;
    }
    let shape = ListShape {
        courses: reviews.len(),
        urgent: reviews.iter().filter(|r| r.priority == Priority::Urgent).count(),
        high: reviews.iter().filter(|r| r.priority == Priority::High).count(),
    };
    let last_day = |c: usize| found.courses[c].incidents.last().map_or(0, |&i| records.incidents[i].recorded_date.days_since_epoch());
    let out = pairs
        .iter()
        .map(|p| {
            let of_victim: Vec<usize> = (0..found.courses.len()).filter(|&c| found.courses[c].victim == p.victim).collect();
            let matched = of_victim.iter().copied().find(|&c| p.suspect.is_some_and(|s| found.courses[c].suspect == Suspect::Known(s)));
            let course = matched.or_else(|| of_victim.iter().copied().max_by_key(|&c| (last_day(c), std::cmp::Reverse(rank_of[c]))));
            match course {
                None => Standing::default(),
                Some(c) => {
                    let r = &reviews[rank_of[c]];
                    Standing {
                        course_id: Some(found.courses[c].id.clone()),
                        rank: Some(rank_of[c] + 1),
                        priority: Some(r.priority),
                        by_rules: Some(r.by_rules),
                        reports: found.courses[c].incidents.len(),
                        reasons: r.reasons.join("; "),
                        suspect_matched: matched.is_some(),
                    }
                }
            }
        })
        .collect();
    (shape, out)
}

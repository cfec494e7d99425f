//! Victims who withdraw: Home Office outcome types 14 and 16 ("evidential difficulties … victim
//! does not support action") on a course's reports.
//!
//! The London stalking review found 45% of stalking victims withdrew; the published outcome
//! tables show it only per offence. Here it is per course: when the victim stopped supporting
//! action, after which report, how long after the first, and how many reports came after it,
//! because a victim who withdraws while the conduct goes on is a victim still at risk who may
//! have been pressured or given up on the police.
//!
//! The rules:
//! - A report *carries a withdrawal* when its `outcome_type` is 14 or 16.
//! - The course's withdrawal is the earliest: by its outcome date where one is recorded, else by
//!   the report's recorded date (the outcome cannot come before the report), ties by position.
//! - Its *date* is the outcome date, or, when none is recorded, the report's recorded date (and
//!   [`Withdrawal::outcome_date_recorded`] says so). An outcome dated before its report, which
//!   the import keeps with a warning, is taken as given.
//! - *Reports since* are the course's reports after the withdrawn one (in course order) recorded
//!   after the withdrawal's date: reports that arrived after the victim had stopped supporting
//!   action.
//!
//! Per force ([`withdrawals_by_force`]) the share of courses in which the victim withdrew is set
//! beside the share of stalking-and-harassment offences with outcome 14 or 16, the Home Office
//! measure, so that a reader sees the two side by side.

use std::collections::BTreeMap;

use conduct_domain::{Date, Incident, OutcomeType};

use crate::build::{Course, day};

/// When the victim of a course stopped supporting action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    /// The report whose outcome says so: index into the incidents.
    pub incident: usize,
    /// Its position in the course, from 1.
    pub position: usize,
    /// Reports in the course.
    pub reports: usize,
    /// Its outcome type (14 or 16).
    pub outcome: OutcomeType,
    /// The outcome date, or the report's recorded date when no outcome date is recorded.
    pub date: Date,
    /// Whether `date` is the recorded outcome date.
    pub outcome_date_recorded: bool,
    /// Days from the course's first report to `date`.
    pub days_after_first: i32,
    /// Reports after the withdrawn one recorded after `date`.
    pub reports_since: usize,
    /// The course's reports whose outcome is 14 or 16 (this one included).
    pub withdrawn_reports: usize,
}

/// Whether a report's outcome says the victim does not support action (types 14, 16).
pub fn victim_withdrew(r: &Incident) -> bool {
    r.outcome_type.is_some_and(OutcomeType::is_victim_does_not_support)
}

/// The course's withdrawal, if any of its reports carries outcome 14 or 16.
pub fn withdrawal(incidents: &[Incident], course: &Course) -> Option<Withdrawal> {
    let when = |i: usize| {
        let r = &incidents[i];
        r.outcome_date.unwrap_or(r.recorded_date)
    };
    let withdrawn: Vec<(usize, usize)> =
        course.incidents.iter().enumerate().filter(|&(_, &i)| victim_withdrew(&incidents[i])).map(|(k, &i)| (k, i)).collect();
    let &(k, i) = withdrawn.iter().min_by_key(|&&(k, i)| (when(i), k))?;
    let r = &incidents[i];
    let date = when(i);
    let first = day(&incidents[course.incidents[0]]);
    let reports_since = course.incidents[k + 1..].iter().filter(|&&j| incidents[j].recorded_date > date).count();
    Some(Withdrawal {
        incident: i,
        position: k + 1,
        reports: course.incidents.len(),
        outcome: r.outcome_type.expect("a withdrawal outcome"),
        date,
        outcome_date_recorded: r.outcome_date.is_some(),
        days_after_first: date.days_since_epoch() - first,
        reports_since,
        withdrawn_reports: withdrawn.len(),
    })
}

fn days_word(n: i32) -> String {
    if n == 1 { "1 day".into() } else { format!("{n} days") }
}

impl Withdrawal {
    /// The triage reason, in words: "victim withdrew support on 2023-03-02 (outcome 16 on
    /// report K-3, after report 3 of 7, 45 days after the first report); 4 reports since".
    pub fn in_words(&self, incidents: &[Incident]) -> String {
        let r = &incidents[self.incident];
        let when = if self.outcome_date_recorded {
            format!("on {}", self.date)
        } else {
            format!("(outcome date not recorded; report of {})", r.recorded_date)
        };
        let also = match self.withdrawn_reports {
            1 => String::new(),
            2 => "; outcome 14/16 on 1 later report too".to_string(),
            n => format!("; outcome 14/16 on {} later reports too", n - 1),
        };
        let since = match self.reports_since {
            0 => "no reports since".to_string(),
            1 => "1 report since".to_string(),
            n => format!("{n} reports since"),
        };
        format!(
            "victim withdrew support {when} (outcome {} on report {}, after report {} of {}, {} after the first report{also}); {since}",
            self.outcome,
            r.incident_ref,
            self.position,
            self.reports,
            days_word(self.days_after_first)
        )
    }
}

/// Per force: how often victims withdrew, per course and per offence.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForceWithdrawals {
    /// Courses with at least one report recorded by the force.
    pub courses: usize,
    /// Of those, courses in which one of the force's reports carries outcome 14 or 16.
    pub courses_victim_withdrew: usize,
    /// Of those, courses with reports (in any force) recorded after the withdrawal's date.
    pub courses_withdrew_reports_since: usize,
    /// Stalking-and-harassment offences the force recorded (principal code in the subgroup, as
    /// the Home Office counts them), whether in a course or not.
    pub offences: usize,
    /// Of those, offences with outcome 14 or 16.
    pub offences_victim_withdrew: usize,
}

impl ForceWithdrawals {
    /// Share of the force's courses in which the victim withdrew (`None` without courses).
    pub fn course_share(&self) -> Option<f64> {
        (self.courses > 0).then(|| self.courses_victim_withdrew as f64 / self.courses as f64)
    }

    /// Share of the force's stalking-and-harassment offences with outcome 14 or 16 (`None`
    /// without offences): the Home Office measure, over offences recorded.
    pub fn offence_share(&self) -> Option<f64> {
        (self.offences > 0).then(|| self.offences_victim_withdrew as f64 / self.offences as f64)
    }
}

/// Withdrawals per force, by canonical force name: every force that recorded a course's report
/// or a stalking-and-harassment offence.
pub fn withdrawals_by_force(incidents: &[Incident], courses: &[Course]) -> BTreeMap<&'static str, ForceWithdrawals> {
    let mut out: BTreeMap<&'static str, ForceWithdrawals> = BTreeMap::new();
    for r in incidents.iter().filter(|r| r.offence_code.class().is_stalking_or_harassment()) {
        let e = out.entry(r.force.name()).or_default();
        e.offences += 1;
        if victim_withdrew(r) {
            e.offences_victim_withdrew += 1;
        }
    }
    for c in courses {
        let since = withdrawal(incidents, c).is_some_and(|w| w.reports_since > 0);
        for f in &c.forces {
            let e = out.entry(f.name()).or_default();
            e.courses += 1;
            if c.incidents.iter().any(|&i| incidents[i].force == *f && victim_withdrew(&incidents[i])) {
                e.courses_victim_withdrew += 1;
                if since {
                    e.courses_withdrew_reports_since += 1;
                }
            }
        }
    }
    out
}

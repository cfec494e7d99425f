//! The review list: courses in the order a reviewer should look at them, each with its reasons
//! in plain words. There is no hidden score: the order is a small set of written rules, drawing on
//! S-DASH and SASH items (constant contact, threats, escalation, previous orders).
//!
//! Risk screenings (`risk_assessments`: DASH, S-DASH, SASH) done for the course's reports are
//! cited in words, one reason per screening ("S-DASH 2022-08-24: victim very frightened;
//! visits more than 3 times a week"; the latest [`MAX_SCREENINGS_CITED`], with a count of the
//! earlier ones). A course of stalking-or-harassment reports of a force that exported
//! screenings, none of them S-DASH, has the reason "no S-DASH recorded" (College of Policing
//! practice: screen with S-DASH from the second report). A force with no screening in the
//! export is taken to have exported none, and its courses get no such reason.
//!
//! Priority (first match wins):
//! 1. **Urgent** — a possible breach of a protective order; or a threat to kill, or violence, in
//!    the last 90 days of the course.
//! 2. **High** — escalating (intervals at least halving, or threats or violence appearing, or a
//!    more serious offence); or five or more reports in 90 days; or a screening graded high.
//! 3. **Review** — should be reviewed as stalking (FOUR indicators, stalking behaviours, the
//!    domestic-abuse counting rule, stalking recorded only beside another crime); or crosses
//!    forces; or no S-DASH recorded.
//! 4. **Routine** — every other course.
//!
//! Within a priority, courses with more recent last reports come first, then more reports.

use std::collections::{HashMap, HashSet};

use conduct_domain::{Force, Incident, Order, OrderType, RiskAssessment, RiskGrade, RiskTool};

use crate::breach::Breach;
use crate::build::{Course, day, span};
use crate::signals::{Escalation, StalkingSignals, escalation, stalking_signals};

/// How soon a course should be reviewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Look now.
    Urgent,
    /// Look soon.
    High,
    /// Look at it as stalking, or across forces.
    Review,
    /// Everything else.
    Routine,
}

impl Priority {
    /// The word written in triage.csv.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Urgent => "urgent",
            Priority::High => "high",
            Priority::Review => "review",
            Priority::Routine => "routine",
        }
    }
}

/// One row of the review list.
#[derive(Clone, Debug)]
pub struct Review {
    /// Index into the courses.
    pub course: usize,
    /// Its priority.
    pub priority: Priority,
    /// Reasons, most important first.
    pub reasons: Vec<String>,
    /// The stalking signals read from it.
    pub stalking: StalkingSignals,
    /// The escalation signs read from it.
    pub escalation: Escalation,
    /// Possible breaches in this course: indices into the breaches.
    pub breaches: Vec<usize>,
    /// Risk screenings done for its reports: indices into the risk assessments, by date.
    pub screenings: Vec<usize>,
    /// Its force exported screenings, its reports are of the stalking-or-harassment kind, and
    /// none of its reports has an S-DASH.
    pub no_sdash: bool,
}

/// Screenings cited one by one in a course's reasons; earlier ones are counted.
pub const MAX_SCREENINGS_CITED: usize = 5;

fn days_word(n: i32) -> String {
    if n == 1 { "1 day".into() } else { format!("{n} days") }
}

/// Orders the courses for review, with reasons. `screenings` are the export's risk
/// assessments (empty when it had none); a screening whose incident is in no course is not used.
pub fn triage(
    incidents: &[Incident],
    orders: &[Order],
    screenings: &[RiskAssessment],
    courses: &[Course],
    breaches: &[Breach],
) -> Vec<Review> {
    let mut breaches_of_incident: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, b) in breaches.iter().enumerate() {
        breaches_of_incident.entry(b.incident).or_default().push(k);
    }
    // Only an export with screenings pays for the index of its incidents.
    let incident_at: HashMap<(Force, &str), usize> = if screenings.is_empty() {
        HashMap::new()
    } else {
        incidents.iter().enumerate().map(|(i, r)| ((r.force, r.incident_ref.as_str()), i)).collect()
    };
    let mut screenings_of_incident: HashMap<usize, Vec<usize>> = HashMap::new();
    for (k, a) in screenings.iter().enumerate() {
        if let Some(&i) = incident_at.get(&(a.force, a.incident_ref.as_str())) {
            screenings_of_incident.entry(i).or_default().push(k);
        }
    }
    let screening_forces: HashSet<Force> = screenings.iter().map(|a| a.force).collect();
    let mut out: Vec<Review> = courses
        .iter()
        .enumerate()
        .map(|(c, course)| {
            let stalking = stalking_signals(incidents, course);
            let esc = escalation(incidents, course);
            let own: Vec<usize> =
                course.incidents.iter().flat_map(|i| breaches_of_incident.get(i).into_iter().flatten().copied()).collect();
            let mut reasons = Vec::new();
            let (first, last) = span(incidents, course);
            let length = last.days_since_epoch() - first.days_since_epoch() + 1;
            let mut summary = format!("{} reports in {}", course.incidents.len(), days_word(length));
            if let Some((early, late)) = esc.intervals_shortening {
                summary.push_str(&format!(", intervals shortening from about {early:.0} to {late:.0} days"));
            }
            reasons.push(summary);
            for &k in &own {
                let b = &breaches[k];
                let o = &orders[b.order];
                let granted = o.granted_date.map_or_else(String::new, |g| format!(" granted {g}"));
                let until = o.expires_date.map_or_else(|| " with no expiry recorded".to_string(), |e| format!(", in force until {e}"));
                let kind = if o.order_type == OrderType::Other { "order".to_string() } else { o.order_type.to_string() };
                reasons.push(format!("{kind} {}{granted}{until} — possible breach {}", o.order_ref, incidents[b.incident].recorded_date));
            }
            let mut screened: Vec<usize> =
                course.incidents.iter().flat_map(|i| screenings_of_incident.get(i).into_iter().flatten().copied()).collect();
            screened.sort_by_key(|&k| (screenings[k].assessed_date, k));
            let earlier = screened.len().saturating_sub(MAX_SCREENINGS_CITED);
            for &k in &screened[earlier..] {
                reasons.push(screenings[k].in_words());
            }
            if earlier > 0 {
                let s = if earlier == 1 { "" } else { "s" };
                reasons.push(format!("{earlier} earlier screening{s} not listed"));
            }
            let graded_high = screened.iter().any(|&k| screenings[k].grade == Some(RiskGrade::High));
            let no_sdash = course.forces.iter().any(|f| screening_forces.contains(f))
                && course.incidents.iter().any(|&i| incidents[i].is_stalking_or_harassment())
                && !screened.iter().any(|&k| screenings[k].tool == RiskTool::SDash);
            if no_sdash {
                reasons.push(format!(
                    "{} reports and no S-DASH recorded (College of Policing: screen with S-DASH from the second report)",
                    course.incidents.len()
                ));
            }
            if let Some(t) = &esc.first_threat {
                reasons.push(format!("{} first reported {}: \"{}\"", t.cue, t.date, t.phrase));
            }
            if let Some(v) = &esc.first_violence {
                reasons.push(format!("violence first reported {}: \"{}\"", v.date, v.phrase));
            }
            if let Some((d, code)) = &esc.more_serious_offence {
                reasons.push(format!("more serious offence ({code}) from {d}"));
            }
            if esc.recent_reports >= 5 {
                reasons.push(format!("{} reports in the last 90 days of the course", esc.recent_reports));
            }
            if stalking.review_as_stalking() {
                let mut why = Vec::new();
                if stalking.four.len() == 4 {
                    why.push("all four FOUR indicators (fixated, obsessive, unwanted, repeated)".to_string());
                }
                for s in &stalking.behaviours {
                    why.push(format!("{} in a narrative from {}: \"{}\"", s.behaviour, s.date, s.phrase));
                }
                if stalking.domestic_abuse_after_rule {
                    why.push("domestic-abuse harassment recorded after April 2020, when such harassment is recorded as stalking".into());
                }
                if let Some(h) = stalking.stalking_under_other_crime.first() {
                    let more = stalking.stalking_under_other_crime.len() - 1;
                    let also = if more == 0 { String::new() } else { format!(" (and {more} more such reports)") };
                    why.push(format!(
                        "stalking ({}) recorded only beside another crime ({}) in report {} of {}{also}",
                        h.secondary, h.principal, h.incident_ref, h.date
                    ));
                }
                reasons.push(format!("review as stalking: {}", why.join("; ")));
            }
            if course.is_cross_force() {
                let names: Vec<&str> = course.forces.iter().map(|f| f.name()).collect();
                reasons.push(format!("crosses forces: {}", names.join(", ")));
            }
            if !course.hidden.is_empty() {
                reasons.push(format!("{} of {} repeats never linked by the force", course.hidden.len(), course.incidents.len() - 1));
            }
            let last_day = day(&incidents[*course.incidents.last().expect("reports")]);
            let recent = |d: conduct_domain::Date| last_day - d.days_since_epoch() <= 90;
            let priority = if !own.is_empty()
                || esc.first_threat.as_ref().is_some_and(|t| t.cue == "threat to kill" && recent(t.date))
                || esc.first_violence.as_ref().is_some_and(|v| recent(v.date))
            {
                Priority::Urgent
            } else if esc.intervals_shortening.is_some()
                || esc.first_threat.is_some()
                || esc.first_violence.is_some()
                || esc.more_serious_offence.is_some()
                || esc.recent_reports >= 5
                || graded_high
            {
                Priority::High
            } else if stalking.review_as_stalking() || course.is_cross_force() || no_sdash {
                Priority::Review
            } else {
                Priority::Routine
            };
            Review { course: c, priority, reasons, stalking, escalation: esc, breaches: own, screenings: screened, no_sdash }
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |r: &Review| {
            let c = &courses[r.course];
            (
                r.priority,
                std::cmp::Reverse(day(&incidents[*c.incidents.last().expect("reports")])),
                std::cmp::Reverse(c.incidents.len()),
                r.course,
            )
        };
        key(a).cmp(&key(b))
    });
    out
}

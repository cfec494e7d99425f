//! Writes what was found: courses.csv (contract), course_summary.csv, triage.csv,
//! hidden_repeats.csv (per force: the inspectors' headline), withdrawal_by_force.csv (per force:
//! courses in which the victim withdrew beside offences with outcome 14 or 16), breaches.csv
//! and timelines.jsonl (one line of JSON per course: its reports, orders, breaches and reasons).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use conduct_domain::Force;
use conduct_domain::{Date, Incident, Order, RiskAssessment};

use crate::Error;
use crate::breach::Breach;
use crate::build::{Course, Courses, Suspect, span};
use crate::triage::Review;
use crate::withdrawal::{victim_withdrew, withdrawal, withdrawals_by_force};

/// Writes a CSV file, every cell made inert for spreadsheets by the one rule of
/// [`conduct_domain::cell::inert`] (ids, references and reasons come from the export).
fn csv_file(path: &Path, header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<(), Error> {
    let e = |x| Error::write(path, x);
    let mut w = csv::Writer::from_path(path).map_err(e)?;
    w.write_record(header).map_err(e)?;
    for row in rows {
        w.write_record(row.iter().map(|c| match conduct_domain::cell::inert(c) {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        }))
        .map_err(e)?;
    }
    w.flush().map_err(|x| Error::write(path, x))
}

/// Turns a person number back into the person_id it came from.
pub type PersonName<'a> = &'a (dyn Fn(u32) -> String + Sync);

/// Everything to write.
pub struct Found<'a> {
    /// The incidents given to `find_courses`.
    pub incidents: &'a [Incident],
    /// The orders.
    pub orders: &'a [Order],
    /// The courses.
    pub courses: &'a Courses,
    /// Possible breaches.
    pub breaches: &'a [Breach],
    /// The review list.
    pub reviews: &'a [Review],
    /// The risk screenings the review list cites ([`Review::screenings`] index them).
    pub risk_assessments: &'a [RiskAssessment],
    /// person number → person_id.
    pub person: PersonName<'a>,
}

/// Per-force counts of repeats and hidden repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ForceRepeats {
    /// Courses with at least one report in the force.
    pub courses: usize,
    /// Repeats recorded by the force.
    pub repeats: usize,
    /// Of which never linked by the force.
    pub hidden: usize,
    /// Courses that cross into another force.
    pub cross_force: usize,
}

/// Hidden repeats per force, by canonical force name.
pub fn hidden_by_force(incidents: &[Incident], courses: &[Course]) -> BTreeMap<&'static str, ForceRepeats> {
    let mut out: BTreeMap<&'static str, ForceRepeats> = BTreeMap::new();
    for c in courses {
        for f in &c.forces {
            let e = out.entry(f.name()).or_default();
            e.courses += 1;
            if c.is_cross_force() {
                e.cross_force += 1;
            }
        }
        for &i in &c.incidents[1..] {
            out.entry(incidents[i].force.name()).or_default().repeats += 1;
        }
        for &i in &c.hidden {
            out.entry(incidents[i].force.name()).or_default().hidden += 1;
        }
    }
    out
}

impl Found<'_> {
    fn suspect(&self, s: Suspect) -> String {
        match s {
            Suspect::Known(p) => (self.person)(p),
            Suspect::Unknown => "unknown".into(),
        }
    }

    /// Writes every output into `dir`.
    ///
    /// # Errors
    ///
    /// [`Error`] naming the file when `dir` cannot be made or a file in it cannot be
    /// written.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::write(dir, e))?;
        let inc = self.incidents;
        let courses = &self.courses.courses;
        csv_file(
            &dir.join("courses.csv"),
            &["course_id", "force", "incident_ref", "hidden_repeat", "victim_withdrew"],
            courses.iter().flat_map(|c| {
                c.incidents.iter().map(move |&i| {
                    vec![
                        c.id.clone(),
                        inc[i].force.name().to_string(),
                        inc[i].incident_ref.to_string(),
                        c.hidden.contains(&i).to_string(),
                        victim_withdrew(&inc[i]).to_string(),
                    ]
                })
            }),
        )?;
        let mut review_of = vec![None; courses.len()];
        for (rank, r) in self.reviews.iter().enumerate() {
            review_of[r.course] = Some((rank, r));
        }
        let serial: std::collections::HashSet<u32> = self.courses.serial_suspects.iter().map(|x| x.0).collect();
        let repeat: std::collections::HashSet<u32> = self.courses.repeat_victims.iter().map(|x| x.0).collect();
        csv_file(
            &dir.join("course_summary.csv"),
            &[
                "course_id",
                "victim_person_id",
                "suspect_person_id",
                "forces",
                "first_date",
                "last_date",
                "reports",
                "linked_by_force",
                "hidden_repeats",
                "offence_codes",
                "priority",
                "flags",
                "priority_by_rules",
                "victim_withdrew_date",
                "victim_withdrew_outcome",
                "victim_withdrew_incident_ref",
                "victim_withdrew_after_report",
                "victim_withdrew_days_after_first",
                "reports_since_withdrawal",
            ],
            courses.iter().enumerate().map(|(n, c)| {
                let (first, last) = span(inc, c);
                let mut codes: Vec<&str> = c.incidents.iter().map(|&i| inc[i].offence_code.as_str()).collect();
                codes.sort_unstable();
                codes.dedup();
                let mut flags = Vec::new();
                if c.is_cross_force() {
                    flags.push("cross_force");
                }
                if matches!(c.suspect, Suspect::Known(s) if serial.contains(&s)) {
                    flags.push("serial_suspect");
                }
                if repeat.contains(&c.victim) {
                    flags.push("repeat_victim");
                }
                if matches!(c.suspect, Suspect::Unknown) {
                    flags.push("suspect_unknown");
                }
                let withdrew = withdrawal(inc, c);
                if withdrew.is_some() {
                    flags.push("victim_withdrew");
                }
                let mut priority = String::new();
                let mut by_rules = String::new();
                if let Some((_, r)) = review_of[n] {
                    priority = r.priority.as_str().to_string();
                    by_rules = r.by_rules.as_str().to_string();
                    if r.stalking.review_as_stalking() {
                        flags.push("review_as_stalking");
                    }
                    if r.escalation.intervals_shortening.is_some() || r.escalation.first_violence.is_some() {
                        flags.push("escalating");
                    }
                    if !r.breaches.is_empty() {
                        flags.push("possible_breach");
                    }
                    if !r.stalking.stalking_under_other_crime.is_empty() {
                        flags.push("stalking_under_other_crime");
                    }
                    if r.graded_high {
                        flags.push("screened_high");
                    }
                }
                vec![
                    c.id.clone(),
                    (self.person)(c.victim),
                    self.suspect(c.suspect),
                    c.forces.iter().map(|f| f.name()).collect::<Vec<_>>().join(";"),
                    first.to_string(),
                    last.to_string(),
                    c.incidents.len().to_string(),
                    c.linked_by_force.to_string(),
                    c.hidden.len().to_string(),
                    codes.join(";"),
                    priority,
                    flags.join(";"),
                    by_rules,
                    withdrew.as_ref().map_or_else(String::new, |w| w.date.to_string()),
                    withdrew.as_ref().map_or_else(String::new, |w| w.outcome.to_string()),
                    withdrew.as_ref().map_or_else(String::new, |w| inc[w.incident].incident_ref.to_string()),
                    withdrew.as_ref().map_or_else(String::new, |w| w.position.to_string()),
                    withdrew.as_ref().map_or_else(String::new, |w| w.days_after_first.to_string()),
                    withdrew.as_ref().map_or_else(String::new, |w| w.reports_since.to_string()),
                ]
            }),
        )?;
        csv_file(
            &dir.join("triage.csv"),
            &["rank", "course_id", "priority", "reports", "last_date", "reasons", "priority_by_rules"],
            self.reviews.iter().enumerate().map(|(rank, r)| {
                let c = &courses[r.course];
                vec![
                    (rank + 1).to_string(),
                    c.id.clone(),
                    r.priority.as_str().to_string(),
                    c.incidents.len().to_string(),
                    span(inc, c).1.to_string(),
                    r.reasons.join("; "),
                    r.by_rules.as_str().to_string(),
                ]
            }),
        )?;
        csv_file(
            &dir.join("hidden_repeats.csv"),
            &["force", "courses", "repeats", "hidden_repeats", "hidden_share", "cross_force_courses"],
            hidden_by_force(inc, courses).into_iter().map(|(force, r)| {
                let share = if r.repeats == 0 { String::new() } else { format!("{:.3}", r.hidden as f64 / r.repeats as f64) };
                vec![
                    force.to_string(),
                    r.courses.to_string(),
                    r.repeats.to_string(),
                    r.hidden.to_string(),
                    share,
                    r.cross_force.to_string(),
                ]
            }),
        )?;
        let share = |s: Option<f64>| s.map_or_else(String::new, |s| format!("{s:.3}"));
        csv_file(
            &dir.join("withdrawal_by_force.csv"),
            &[
                "force",
                "courses",
                "courses_victim_withdrew",
                "course_withdrawal_share",
                "courses_withdrew_reports_since",
                "offences",
                "offences_victim_withdrew",
                "offence_withdrawal_share",
            ],
            withdrawals_by_force(inc, courses).into_iter().map(|(force, w)| {
                vec![
                    force.to_string(),
                    w.courses.to_string(),
                    w.courses_victim_withdrew.to_string(),
                    share(w.course_share()),
                    w.courses_withdrew_reports_since.to_string(),
                    w.offences.to_string(),
                    w.offences_victim_withdrew.to_string(),
                    share(w.offence_share()),
                ]
            }),
        )?;
        // By the report's date, then the report and the order by their references, so that the
        // same export in any order of its rows lists them alike (the breaches are found in the
        // order of the rows).
        let mut breaches: Vec<&Breach> = self.breaches.iter().collect();
        breaches.sort_by_cached_key(|b| {
            let (o, i) = (&self.orders[b.order], &inc[b.incident]);
            (i.occurred_date.unwrap_or(i.recorded_date), i.force, i.incident_ref.as_str(), o.force, o.order_ref.as_str())
        });
        csv_file(
            &dir.join("breaches.csv"),
            &["force", "order_ref", "order_type", "incident_force", "incident_ref", "date", "subject_person_id", "protected_person_id"],
            breaches.into_iter().map(|b| {
                let o = &self.orders[b.order];
                let i = &inc[b.incident];
                vec![
                    o.force.name().to_string(),
                    o.order_ref.clone(),
                    o.order_type.to_string(),
                    i.force.name().to_string(),
                    i.incident_ref.to_string(),
                    i.occurred_date.unwrap_or(i.recorded_date).to_string(),
                    (self.person)(b.subject),
                    (self.person)(b.protected),
                ]
            }),
        )?;
        self.write_timelines(&dir.join("timelines.jsonl"))
    }

    /// Writes every course's timeline as one line of JSON, in course order (JSON Lines: `jq`,
    /// pandas' `read_json(lines=True)` and DuckDB's `read_json` read it as it is). One file,
    /// not one per course: at a million incidents creating 120,000 small files cost more than
    /// everything else written.
    fn write_timelines(&self, path: &Path) -> Result<(), Error> {
        let inc = self.incidents;
        // Orders whose source incident is in the course, and breaches by incident.
        let mut order_by_incident: BTreeMap<(Force, &str), Vec<usize>> = BTreeMap::new();
        for (o, order) in self.orders.iter().enumerate() {
            order_by_incident.entry((order.force, order.incident_ref.as_str())).or_default().push(o);
        }
        // An incident's orders by their references, not by their rows' order.
        for orders in order_by_incident.values_mut() {
            orders.sort_by_key(|&o| (self.orders[o].force, self.orders[o].order_ref.as_str()));
        }
        let mut review_of: Vec<Option<&Review>> = vec![None; self.courses.courses.len()];
        for r in self.reviews {
            review_of[r.course] = Some(r);
        }
        let timeline = |n: usize| -> Timeline<'_> {
            let c = &self.courses.courses[n];
            let review = review_of[n];
            let breach_incidents: Vec<usize> =
                review.map(|r| r.breaches.iter().map(|&b| self.breaches[b].incident).collect()).unwrap_or_default();
            let mut orders = Vec::new();
            for &i in &c.incidents {
                for &o in order_by_incident.get(&(inc[i].force, inc[i].incident_ref.as_str())).into_iter().flatten() {
                    let o = &self.orders[o];
                    orders.push(TimelineOrder {
                        applied_date: o.applied_date,
                        expires_date: o.expires_date,
                        force: o.force.name(),
                        granted_date: o.granted_date,
                        order_ref: &o.order_ref,
                        order_type: o.order_type.as_str(),
                        status: o.status.map(|s| s.as_str()),
                    });
                }
            }
            let reports = c
                .incidents
                .iter()
                .enumerate()
                .map(|(k, &i)| {
                    let r = &inc[i];
                    let mut flags = Vec::new();
                    if k == 0 {
                        flags.push("first");
                    } else if c.hidden.contains(&i) {
                        flags.push("hidden_repeat");
                    } else {
                        flags.push("linked_by_force");
                    }
                    if breach_incidents.contains(&i) {
                        flags.push("possible_breach");
                    }
                    if r.domestic_abuse == Some(true) {
                        flags.push("domestic_abuse");
                    }
                    if r.cyber == Some(true) {
                        flags.push("cyber");
                    }
                    if r.stalking_or_harassment_only_secondary() {
                        flags.push("stalking_or_harassment_only_secondary");
                    }
                    if victim_withdrew(r) {
                        flags.push("victim_withdrew");
                    }
                    TimelineReport {
                        date: r.recorded_date,
                        flags,
                        force: r.force.name(),
                        incident_ref: &r.incident_ref,
                        narrative: &r.narrative,
                        occurred_date: r.occurred_date,
                        offence: r.offence_code.description().unwrap_or(&r.offence_description),
                        offence_code: r.offence_code.as_str(),
                        outcome_type: r.outcome_type.map(|o| o.number()),
                        secondary_offence_codes: r.secondary_offence_codes.iter().map(|c| c.as_str()).collect(),
                    }
                })
                .collect();
            Timeline {
                course_id: &c.id,
                forces: c.forces.iter().map(|f| f.name()).collect(),
                orders,
                priority: review.map(|r| r.priority.as_str()),
                priority_by_rules: review.map(|r| r.by_rules.as_str()),
                reasons: review.map_or(&[], |r| &r.reasons),
                reports,
                screenings: review
                    .map(|r| {
                        r.screenings
                            .iter()
                            .map(|&k| {
                                let a = &self.risk_assessments[k];
                                TimelineScreening {
                                    date: a.assessed_date,
                                    force: a.force.name(),
                                    grade: a.grade.map(|g| g.as_str()),
                                    in_words: a.in_words(),
                                    incident_ref: &a.incident_ref,
                                    tool: a.tool.as_str(),
                                    yes_answers: &a.yes_answers,
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                suspect_person_id: self.suspect(c.suspect),
                victim_person_id: (self.person)(c.victim),
                withdrawal: withdrawal(inc, c).map(|w| TimelineWithdrawal {
                    after_report: w.position,
                    date: w.date,
                    days_after_first: w.days_after_first,
                    force: inc[w.incident].force.name(),
                    incident_ref: &inc[w.incident].incident_ref,
                    of_reports: w.reports,
                    outcome_date_recorded: w.outcome_date_recorded,
                    outcome_type: w.outcome.number(),
                    reports_since: w.reports_since,
                    withdrawn_reports: w.withdrawn_reports,
                }),
            }
        };
        // Both cores build and serialise a chunk of timelines; the chunk is written in order.
        use rayon::prelude::*;
        let f = std::fs::File::create(path).map_err(|e| Error::write(path, e))?;
        let mut out = std::io::BufWriter::with_capacity(1 << 20, f);
        let n = self.courses.courses.len();
        for start in (0..n).step_by(4096) {
            let lines: Vec<Vec<u8>> = (start..n.min(start + 4096))
                .into_par_iter()
                .map(|k| {
                    let mut line = serde_json::to_vec(&timeline(k)).expect("a timeline serialises: its keys are names, its dates text");
                    line.push(b'\n');
                    line
                })
                .collect();
            for line in &lines {
                out.write_all(line).map_err(|e| Error::write(path, e))?;
            }
        }
        out.flush().map_err(|e| Error::write(path, e))
    }
}

// A course's timeline, one line of timelines.jsonl: typed, serialised without building a JSON
// tree first. Fields in alphabetical order, the order they have always been written in.

#[derive(serde::Serialize)]
struct Timeline<'a> {
    course_id: &'a str,
    forces: Vec<&'static str>,
    orders: Vec<TimelineOrder<'a>>,
    priority: Option<&'static str>,
    priority_by_rules: Option<&'static str>,
    reasons: &'a [String],
    reports: Vec<TimelineReport<'a>>,
    screenings: Vec<TimelineScreening<'a>>,
    suspect_person_id: String,
    victim_person_id: String,
    withdrawal: Option<TimelineWithdrawal<'a>>,
}

#[derive(serde::Serialize)]
struct TimelineOrder<'a> {
    #[serde(serialize_with = "maybe_day")]
    applied_date: Option<Date>,
    #[serde(serialize_with = "maybe_day")]
    expires_date: Option<Date>,
    force: &'static str,
    #[serde(serialize_with = "maybe_day")]
    granted_date: Option<Date>,
    order_ref: &'a str,
    order_type: &'static str,
    status: Option<&'static str>,
}

#[derive(serde::Serialize)]
struct TimelineReport<'a> {
    #[serde(serialize_with = "day")]
    date: Date,
    flags: Vec<&'static str>,
    force: &'static str,
    incident_ref: &'a str,
    narrative: &'a str,
    #[serde(serialize_with = "maybe_day")]
    occurred_date: Option<Date>,
    offence: &'a str,
    offence_code: &'a str,
    outcome_type: Option<u8>,
    secondary_offence_codes: Vec<&'a str>,
}

#[derive(serde::Serialize)]
struct TimelineScreening<'a> {
    #[serde(serialize_with = "day")]
    date: Date,
    force: &'static str,
    grade: Option<&'static str>,
    in_words: String,
    incident_ref: &'a str,
    tool: &'static str,
    yes_answers: &'a [String],
}

#[derive(serde::Serialize)]
struct TimelineWithdrawal<'a> {
    after_report: usize,
    #[serde(serialize_with = "day")]
    date: Date,
    days_after_first: i32,
    force: &'static str,
    incident_ref: &'a str,
    of_reports: usize,
    outcome_date_recorded: bool,
    outcome_type: u8,
    reports_since: usize,
    withdrawn_reports: usize,
}

/// A date as `YYYY-MM-DD` text.
fn day<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// A date as text, or null.
fn maybe_day<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.collect_str(d),
        None => s.serialize_none(),
    }
}

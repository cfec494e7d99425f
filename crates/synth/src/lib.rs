//! `conduct-synth`: generates a realistic synthetic world of stalking and harassment records
//! (incidents, people, protective orders) for the forces of England and Wales, with the
//! ground truth (true persons, true courses of conduct, true order breaches) that every
//! accuracy figure of the product is measured against.
//!
//! The output follows the data contract (`incidents.csv`, `people.csv`, `orders.csv`) plus the
//! ground-truth columns `true_person_id`, `true_course_id` and `true_breach_order_ref`, and a
//! `truth.json` summary. Generation is deterministic: the same [`SynthConfig`] always writes
//! byte-identical files.
//!
//! Files written by [`generate`]:
//! - `incidents.csv`: force, incident_ref, recorded_date, occurred_date, offence_code,
//!   offence_description, domestic_abuse, cyber, linked_refs, outcome_type, outcome_date,
//!   narrative, secondary_offence_codes, true_course_id (`C000123`, empty outside courses),
//!   true_breach_order_ref (the order_ref the incident breaches, empty otherwise),
//!   true_course_risk (the course's hidden risk: standard, medium, high), true_serious_violence
//!   (`true` on the report in which a course ended in serious violence),
//!   true_recorded_under_other_crime (`true` on a course report recorded under a crime outside
//!   the stalking-and-harassment subgroup). Rows are in recorded-date order.
//! - `people.csv`: record_id, force, incident_ref, role, local_person_id, forename,
//!   middle_names, surname, date_of_birth, sex, address, postcode, phone, email,
//!   online_handles, pnc_id, ni_number, true_person_id (`TP0000123`).
//! - `orders.csv`: force, order_ref, order_type, incident_ref, applied_date, granted_date,
//!   expires_date, status.
//! - `risk_assessments.csv`: force, incident_ref, assessed_date, tool (DASH, S-DASH), grade,
//!   yes_answers, assessor_notes: the screenings of the forces that export them.
//! - `truth.json`: the [`SynthSummary`].
//!
//! A breach (ground truth) is a later report of the same course, by the order's subject
//! against its protected person, dated on or after the grant and on or before expiry (orders
//! granted without an expiry run to the extract date); such reports always carry their
//! occurred date, equal to the recorded date.

mod dates;
mod error;
mod geo;
mod incidents;
mod names;
mod orders;
mod people;
mod risk;
mod rng;
mod scenario;
mod write;

use std::fmt::Write as _;
use std::path::Path;

pub use error::{Error, ErrorKind};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SynthConfig {
    /// Number of incidents (rows of incidents.csv); people rows are about twice this.
    pub incidents: usize,
    /// Seed of the random stream; the same seed gives the same files.
    pub seed: u64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig { incidents: 20_000, seed: 42 }
    }
}

/// What was generated: sizes and the ground-truth figures tests and reports rely on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SynthSummary {
    /// Seed used.
    pub seed: u64,
    /// Rows of incidents.csv.
    pub incidents: usize,
    /// Rows of people.csv.
    pub people: usize,
    /// Rows of orders.csv.
    pub orders: usize,
    /// Distinct true persons appearing in people.csv.
    pub persons: usize,
    /// True courses of conduct (each two or more incidents).
    pub courses: usize,
    /// Incidents that belong to a course.
    pub course_incidents: usize,
    /// Courses whose reports were recorded by two forces.
    pub cross_force_courses: usize,
    /// Reports after the first of their course.
    pub repeats: usize,
    /// Repeats that carry no officer-recorded `linked_refs`.
    pub hidden_repeats: usize,
    /// Longest course, in reports.
    pub max_course_len: usize,
    /// Courses of more than 100 reports.
    pub courses_over_100: usize,
    /// Incidents that breach a granted, unexpired order.
    pub breaches: usize,
    /// Course reports placed the day after an order expired (not breaches).
    pub day_after_expiry: usize,
    /// Orders with status granted or expired (i.e. were granted).
    pub orders_granted: usize,
    /// Twin pairs (same surname, DOB and address), both appearing in people.csv.
    pub twins: usize,
    /// Father/son pairs with identical names at one address, both appearing.
    pub father_son: usize,
    /// Sibling pairs at one address, both appearing.
    pub siblings: usize,
    /// Nominal ids created across forces.
    pub nominals: usize,
    /// Nominals that duplicate an existing nominal of the same person in the same force.
    pub duplicate_nominals: usize,
    /// Incidents with an assigned outcome (type 1–22).
    pub outcomes_assigned: usize,
    /// Share of assigned outcomes that are type 1 (charge/summons).
    pub charge_rate: f64,
    /// Share of assigned outcomes that are types 14 or 16 (victim does not support action).
    pub victim_not_supporting_rate: f64,
    /// Rows of risk_assessments.csv (DASH and S-DASH screenings).
    pub screenings: usize,
    /// Screenings the force graded high.
    pub screenings_graded_high: usize,
    /// Courses whose hidden risk is high (`true_course_risk`).
    pub high_risk_courses: usize,
    /// Courses that end in serious violence (`true_serious_violence` on their last report).
    pub serious_violence_courses: usize,
    /// Course reports recorded under a crime outside the stalking-and-harassment subgroup
    /// (`true_recorded_under_other_crime`).
    pub recorded_under_other_crime: usize,
}

impl SynthSummary {
    /// The summary as a JSON object (the content of truth.json).
    pub fn to_json(&self) -> String {
        let mut s = String::from("{\n");
        let ints: [(&str, usize); 27] = [
            ("seed", self.seed as usize),
            ("incidents", self.incidents),
            ("people", self.people),
            ("orders", self.orders),
            ("persons", self.persons),
            ("courses", self.courses),
            ("course_incidents", self.course_incidents),
            ("cross_force_courses", self.cross_force_courses),
            ("repeats", self.repeats),
            ("hidden_repeats", self.hidden_repeats),
            ("max_course_len", self.max_course_len),
            ("courses_over_100", self.courses_over_100),
            ("breaches", self.breaches),
            ("day_after_expiry", self.day_after_expiry),
            ("orders_granted", self.orders_granted),
            ("twins", self.twins),
            ("father_son", self.father_son),
            ("siblings", self.siblings),
            ("nominals", self.nominals),
            ("duplicate_nominals", self.duplicate_nominals),
            ("outcomes_assigned", self.outcomes_assigned),
            ("screenings", self.screenings),
            ("screenings_graded_high", self.screenings_graded_high),
            ("high_risk_courses", self.high_risk_courses),
            ("serious_violence_courses", self.serious_violence_courses),
            ("recorded_under_other_crime", self.recorded_under_other_crime),
            ("_", 0),
        ];
        for (k, v) in ints.iter().filter(|(k, _)| *k != "_") {
            if *k == "seed" {
                writeln!(s, "  \"seed\": {},", self.seed).unwrap();
            } else {
                writeln!(s, "  \"{k}\": {v},").unwrap();
            }
        }
        writeln!(s, "  \"charge_rate\": {:.4},", self.charge_rate).unwrap();
        writeln!(s, "  \"victim_not_supporting_rate\": {:.4}", self.victim_not_supporting_rate).unwrap();
        s.push_str("}\n");
        s
    }
}

/// Generates the synthetic world described by `config` into `out_dir` (created if needed):
/// `incidents.csv`, `people.csv`, `orders.csv`, `risk_assessments.csv` and `truth.json`.
///
/// # Errors
///
/// [`ErrorKind::Config`] when the configuration cannot be honoured (no incidents, or too
/// many), [`ErrorKind::Io`] or [`ErrorKind::Csv`], naming the file, when writing fails.
pub fn generate(config: &SynthConfig, out_dir: &Path) -> Result<SynthSummary, Error> {
    if config.incidents == 0 {
        return Err(Error::config("incidents must be at least 1"));
    }
    if config.incidents > u32::MAX as usize / 4 {
        return Err(Error::config("too many incidents"));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let world = geo::World::load();
    let names = names::Names::load();
    let mut sc = scenario::Scenario::new(config.seed, config.incidents, &world, &names);
    sc.run(config.incidents);
    sc.outcomes();
    let screenings = risk::escalate(&mut sc, config.seed);
    write::assign_refs(&mut sc);
    let mut wrng = sc.rng.fork(0x0057_5249_5445);
    let mut xrng = rng::Rng::new(config.seed ^ 0x4e41_5252_4154_4956);
    let written = write::write_all(&sc, &screenings, out_dir, &mut wrng, &mut xrng)?;

    let mut summary = SynthSummary {
        seed: config.seed,
        incidents: sc.incidents.len(),
        people: written.people_rows,
        orders: sc.orders.len(),
        persons: written.persons,
        courses: sc.courses.len(),
        cross_force_courses: sc.courses.iter().filter(|c| c.cross_force).count(),
        max_course_len: sc.courses.iter().map(|c| c.len as usize).max().unwrap_or(0),
        courses_over_100: sc.courses.iter().filter(|c| c.len > 100).count(),
        day_after_expiry: sc.day_after_expiry,
        orders_granted: sc.orders.iter().filter(|o| o.granted.is_some()).count(),
        nominals: written.nominals,
        duplicate_nominals: written.duplicate_nominals,
        screenings: screenings.len(),
        screenings_graded_high: screenings.iter().filter(|a| a.grade == 2).count(),
        high_risk_courses: sc.courses.iter().filter(|c| c.risk == 2).count(),
        serious_violence_courses: sc.courses.iter().filter(|c| c.violent).count(),
        recorded_under_other_crime: sc.incidents.iter().filter(|i| i.under_other_crime).count(),
        ..SynthSummary::default()
    };
    // Look-alike pairs count only where both people appear in people.csv.
    for &(a, b, kind) in &sc.pop.pairs {
        if written.seen[a as usize] && written.seen[b as usize] {
            match kind {
                0 => summary.twins += 1,
                1 => summary.father_son += 1,
                _ => summary.siblings += 1,
            }
        }
    }
    let mut first_of_course = vec![false; sc.courses.len()];
    let (mut charged, mut not_support) = (0usize, 0usize);
    for inc in &sc.incidents {
        if inc.course != people::NONE {
            summary.course_incidents += 1;
            let seen = &mut first_of_course[inc.course as usize];
            if *seen {
                summary.repeats += 1;
                if inc.linked.is_empty() {
                    summary.hidden_repeats += 1;
                }
            }
            *seen = true;
        }
        if inc.breach != people::NONE {
            summary.breaches += 1;
        }
        if (1..=22).contains(&inc.outcome) {
            summary.outcomes_assigned += 1;
            charged += usize::from(inc.outcome == 1);
            not_support += usize::from(inc.outcome == 14 || inc.outcome == 16);
        }
    }
    if summary.outcomes_assigned > 0 {
        summary.charge_rate = charged as f64 / summary.outcomes_assigned as f64;
        summary.victim_not_supporting_rate = not_support as f64 / summary.outcomes_assigned as f64;
    }
    let path = out_dir.join("truth.json");
    std::fs::write(&path, summary.to_json()).map_err(|e| Error::io(&path, e))?;
    Ok(summary)
}

#[cfg(test)]
mod tests;

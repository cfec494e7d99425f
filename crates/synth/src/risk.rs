//! Risk in the world: which courses are dangerous, which end in serious violence, and the
//! signs a force would have on file before it (issue 17, item 7); the screenings (DASH,
//! S-DASH) forces record and the secondary offence codes they put beside another crime.
//!
//! Everything here draws from its own random stream, seeded from the configuration, so the
//! incidents, people and orders of the main stream are those of a world without it: only
//! the narratives of some reports gain a sentence, the violent reports change offence and
//! narrative, and `secondary_offence_codes` and `risk_assessments.csv` are added.
//!
//! **Not a label.** Each course gets a hidden risk (standard, medium, high) from signs the
//! world already draws for its own reasons and a good deal of noise: escalation to threats and
//! violence late in the course (40% of courses), a breach of an order, ex-partners, many
//! reports, a victim who withdrew. Serious violence is then drawn from the risk and the number of
//! contacts: each report after the first carries a hazard (high 4.5%, medium 0.8%, standard
//! 0.15%), so a long course is more often violent, and the violence is the last report of its
//! course, so
//! a short course whose signs were all in that last report shows none the day before, and most
//! dangerous courses never end in violence. The signs a force records are drawn from the risk,
//! not from the outcome — screenings graded by the risk with wide error, threats to kill in
//! narratives at a few per cent a report even in standard courses — with one exception that
//! the research on escalation describes: in the month before the violence a victim is more
//! likely to report a threat to kill and to be screened.

use crate::dates::END;
use crate::incidents::off;
use crate::people::NONE;
use crate::rng::Rng;
use crate::scenario::{Scenario, relation};

/// A risk screening of one report.
pub(crate) struct Screening {
    /// The incident screened.
    pub incident: u32,
    /// When.
    pub day: i32,
    /// 0 DASH, 1 S-DASH.
    pub tool: u8,
    /// 0 standard, 1 medium, 2 high.
    pub grade: u8,
    /// The questions answered yes, as the contract's ids.
    pub answers: Vec<String>,
}

/// The course risk levels, as written in `true_course_risk`.
pub(crate) const RISK: [&str; 3] = ["standard", "medium", "high"];

const SDASH: [&str; 11] = [
    "frightened",
    "previous_harassment",
    "property_damage",
    "visits_3_per_week",
    "loitering",
    "threats",
    "third_parties",
    "violence_to_others",
    "recruited_others",
    "drugs_alcohol",
    "past_violence",
];

/// Whether a force exports its screenings (three forces in four).
pub(crate) fn force_screens(force: u8) -> bool {
    force % 4 != 3
}

/// A grade drawn from a course's hidden risk: the force's screening is right more often than
/// not, and often wrong.
fn grade(rng: &mut Rng, risk: u8) -> u8 {
    let (high, medium) = match risk {
        2 => (0.50, 0.35),
        1 => (0.15, 0.45),
        _ => (0.04, 0.26),
    };
    let x = rng.f();
    if x < high {
        2
    } else if x < high + medium {
        1
    } else {
        0
    }
}

fn screening(rng: &mut Rng, incident: u32, recorded: i32, tool: u8, grade: u8) -> Screening {
    let p = [0.15, 0.35, 0.6][grade as usize];
    let answers = if tool == 1 {
        SDASH.iter().filter(|_| rng.chance(p)).map(|s| (*s).to_string()).collect()
    } else {
        (1..=27).filter(|_| rng.chance(p * 0.7)).map(|q| format!("q{q}")).collect()
    };
    Screening { incident, day: (recorded + rng.range(0, 3) as i32).min(END), tool, grade, answers }
}

/// Draws each course's hidden risk and whether it ends in serious violence, the signs before
/// it, the screenings, and secondary codes; returns the screenings.
pub(crate) fn escalate(sc: &mut Scenario<'_>, seed: u64) -> Vec<Screening> {
    let mut rng = Rng::new(seed ^ 0x4553_4341_4c41_5445);
    let mut members: Vec<Vec<u32>> = vec![Vec::new(); sc.courses.len()];
    for (i, inc) in sc.incidents.iter().enumerate() {
        if inc.course != NONE {
            members[inc.course as usize].push(i as u32);
        }
    }
    let mut screenings = Vec::new();
    for (c, m) in members.iter().enumerate() {
        let len = m.len();
        let incs = &sc.incidents;
        let at = |k: usize| &incs[m[k] as usize];
        let escalates = m.iter().any(|&i| incs[i as usize].stage == 3);
        let breach = m.iter().any(|&i| incs[i as usize].breach != NONE);
        let ex_partner = at(0).relation == relation::EX_PARTNER;
        let withdrew = m[..len - 1].iter().any(|&i| matches!(incs[i as usize].outcome, 14 | 16));
        let noise = rng.f() + rng.f() + rng.f() - 1.5;
        let s = 0.9 * f64::from(u8::from(escalates))
            + 0.9 * f64::from(u8::from(breach))
            + 0.5 * f64::from(u8::from(ex_partner))
            + 0.4 * f64::from(u8::from(len >= 5))
            + 0.2 * f64::from(u8::from(len >= 12))
            + 0.25 * f64::from(u8::from(withdrew))
            + 0.9 * noise;
        let risk: u8 = if s > 1.55 {
            2
        } else if s > 0.85 {
            1
        } else {
            0
        };
        sc.courses[c].risk = risk;
        // Each report after the first is another contact in which violence may come: a hazard
        // per report, so a long course is more often violent than a short one.
        let hazard: f64 = [0.0015, 0.008, 0.045][risk as usize];
        let violent = rng.chance(1.0 - (1.0 - hazard).powi(len as i32 - 1));
        let last = *m.last().expect("a course has reports");
        let violence_day = sc.incidents[last as usize].recorded;
        if violent {
            sc.courses[c].violent = true;
            let inc = &mut sc.incidents[last as usize];
            inc.serious_violence = true;
            inc.offence = off::SERIOUS;
            inc.occurred = inc.recorded;
            inc.occurred_known = true;
        }
        let domestic = sc.incidents[m[0] as usize].domestic;
        for (k, &i) in m.iter().enumerate() {
            if violent && k == len - 1 {
                continue;
            }
            let inc = &mut sc.incidents[i as usize];
            // In the month before the violence, a threat to kill is more often reported.
            let imminent = violent && violence_day - inc.recorded <= 30;
            let p_threat = [0.015, 0.05, 0.12][risk as usize] + if imminent { 0.25 } else { 0.0 };
            if rng.chance(p_threat) {
                inc.precursor = 1;
            }
            if inc.offence >= off::ASSAULT && inc.offence != off::SERIOUS {
                inc.under_other_crime = true;
                let x = rng.f();
                inc.secondary = if x < 0.55 {
                    "8Q"
                } else if x < 0.70 {
                    "8L"
                } else {
                    ""
                };
            }
            if !force_screens(inc.force) {
                continue;
            }
            let recorded = inc.recorded;
            let tool =
                if k == 0 { (domestic && rng.chance(0.5)).then_some(0) } else { rng.chance(if imminent { 0.7 } else { 0.4 }).then_some(1) };
            if let Some(tool) = tool {
                let g = grade(&mut rng, risk);
                screenings.push(screening(&mut rng, i, recorded, tool, g));
            }
        }
    }
    // One-off reports: a few are screened, and a few carry a secondary code a course would not
    // explain (a neighbour's damage recorded with stalking beside it).
    for (i, inc) in sc.incidents.iter_mut().enumerate() {
        if inc.course != NONE {
            continue;
        }
        if inc.offence >= off::ASSAULT {
            let x = rng.f();
            inc.secondary = if x < 0.03 {
                "8Q"
            } else if x < 0.07 {
                "8L"
            } else {
                ""
            };
        } else if force_screens(inc.force) {
            let tool = if inc.domestic && rng.chance(0.3) { Some(0) } else { rng.chance(0.08).then_some(1) };
            if let Some(tool) = tool {
                let g = grade(&mut rng, 0);
                screenings.push(screening(&mut rng, i as u32, inc.recorded, tool, g));
            }
        }
    }
    screenings.sort_by_key(|s| (s.day, s.incident));
    screenings
}

const THREAT: &[&str] = &[
    " Suspect threatened to kill her.",
    " Victim states suspect said he would kill her if she went to police.",
    " Suspect told victim he would kill her.",
];

const SERIOUS: &[&str] = &[
    "Suspect stabbed victim at her home address; victim taken to hospital with serious injuries.",
    "Victim seriously assaulted by suspect, strangled and left with head injuries.",
    "Suspect attacked victim with a knife outside her workplace.",
    "Suspect forced entry and beat victim unconscious; victim in hospital.",
];

/// Adds to a report's narrative what this module decided: the threat before the violence, or
/// the violence itself (which replaces what was written).
pub(crate) fn amend_narrative(rng: &mut Rng, inc: &crate::incidents::Incident, out: &mut String) {
    if inc.serious_violence {
        out.clear();
        out.push_str(rng.pick::<&str>(SERIOUS));
    } else if inc.precursor == 1 {
        out.push_str(rng.pick::<&str>(THREAT));
        if out.starts_with(' ') {
            out.remove(0);
        }
    }
}

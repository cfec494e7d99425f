//! Incidents: the offence table, escalating narratives, outcomes, and force reference formats.

use std::fmt::Write as _;

use crate::dates::{self, END};
use crate::geo::ForceGeo;
use crate::people::NONE;
use crate::rng::Rng;

/// Offence codes with their recorded descriptions (first 9 are stalking and harassment).
pub(crate) const OFFENCES: &[(&str, &str, &str)] = &[
    ("8L", "Harassment", "Harassment - PHA 1997 s.2"),
    ("8M", "Racially or religiously aggravated harassment", "Racially aggravated harassment"),
    ("8Q", "Stalking", "Stalking - PHA 1997 s.2A"),
    ("8R", "Malicious communications", "Send letter/communication/article conveying a threatening message"),
    ("8U", "Engaging in controlling or coercive behaviour", "Controlling/coercive behaviour in an intimate/family relationship"),
    ("8/65", "Stalking involving fear of violence", "Stalking - fear of violence - PHA s.4A"),
    ("8/66", "Stalking involving serious alarm or distress", "Stalking - serious alarm/distress - PHA s.4A"),
    ("195/12", "Course of conduct amounting to stalking", "Pursue course of conduct amounting to stalking"),
    ("8/67", "Controlling or coercive behaviour", "Controlling or coercive behaviour"),
    ("105A", "Assault without injury", "Common assault and battery"),
    ("8N", "Assault with injury", "Assault occasioning actual bodily harm"),
    ("58A", "Criminal damage to a dwelling", "Criminal damage to dwelling"),
    ("58C", "Criminal damage to a vehicle", "Criminal damage to vehicle"),
    ("9A", "Public fear, alarm or distress", "Public order - fear/alarm/distress"),
    ("49", "Other theft", "Theft - other"),
    ("5D", "Assault with intent to cause serious harm", "Wounding with intent - GBH s.18"),
];

/// Offence indices.
pub(crate) mod off {
    pub const HARASS: u8 = 0;
    pub const RAHARASS: u8 = 1;
    pub const STALK: u8 = 2;
    pub const MALCOMM: u8 = 3;
    pub const CCB: u8 = 4;
    pub const STALK_FEAR: u8 = 5;
    pub const STALK_ALARM: u8 = 6;
    pub const STALK_COURSE: u8 = 7;
    pub const CCB_FINE: u8 = 8;
    pub const ASSAULT: u8 = 9;
    pub const ABH: u8 = 10;
    pub const DAMAGE_HOME: u8 = 11;
    pub const DAMAGE_CAR: u8 = 12;
    pub const PUBLIC_ORDER: u8 = 13;
    pub const THEFT: u8 = 14;
    pub const SERIOUS: u8 = 15;
}

/// One recorded incident (before references are assigned).
pub(crate) struct Incident {
    pub force: u8,
    pub recorded: i32,
    /// True occurrence date.
    pub occurred: i32,
    pub occurred_known: bool,
    pub offence: u8,
    pub domestic: bool,
    pub domestic_known: bool,
    pub cyber: bool,
    /// Course index, or NONE.
    pub course: u32,
    /// Escalation stage 0–3 (narrative strength).
    pub stage: u8,
    /// Relationship kind of the parties (see `courses::Relation`), 255 for none.
    pub relation: u8,
    pub victim: u32,
    /// Suspect as recorded (NONE when unknown in this report).
    pub suspect: u32,
    pub witness: u32,
    pub other: u32,
    /// Earlier incidents (indices) the officer linked this report to.
    pub linked: Vec<u32>,
    /// Outcome type, 254 = "0" written, 255 = empty.
    pub outcome: u8,
    pub outcome_date: i32,
    /// Order index breached, or NONE.
    pub breach: u32,
    /// Whether an order application arose from this incident.
    pub order_source: bool,
    /// Sequence number within the force (and year, for year-based formats).
    pub seq: u32,
    /// Additional classification recorded beside the principal offence (`""` for none).
    pub secondary: &'static str,
    /// Ground truth: a report of a course of conduct recorded under a crime outside the
    /// stalking-and-harassment subgroup.
    pub under_other_crime: bool,
    /// A sentence added to the narrative before the violence ([`crate::risk`]): 0 none,
    /// 1 a threat to kill.
    pub precursor: u8,
    /// Ground truth: the report in which the course ended in serious violence.
    pub serious_violence: bool,
}

impl Incident {
    /// A blank incident for a force and date.
    pub(crate) fn new(force: u8, recorded: i32, victim: u32) -> Incident {
        Incident {
            force,
            recorded,
            occurred: recorded,
            occurred_known: true,
            offence: off::HARASS,
            domestic: false,
            domestic_known: true,
            cyber: false,
            course: NONE,
            stage: 0,
            relation: 255,
            victim,
            suspect: NONE,
            witness: NONE,
            other: NONE,
            linked: Vec::new(),
            outcome: 255,
            outcome_date: 0,
            breach: NONE,
            order_source: false,
            seq: 0,
            secondary: "",
            under_other_crime: false,
            precursor: 0,
            serious_violence: false,
        }
    }

    /// Sets an occurrence date a little before the recorded date.
    pub(crate) fn set_occurred(&mut self, rng: &mut Rng, known_p: f64) {
        let x = rng.f();
        let lag = if x < 0.6 {
            0
        } else if x < 0.85 {
            rng.range(1, 3) as i32
        } else {
            rng.range(4, 60) as i32
        };
        self.occurred = self.recorded - lag;
        self.occurred_known = rng.chance(known_p);
    }
}

/// Whether a force's reference format carries the year (sequence restarts each year).
pub(crate) fn ref_has_year(style: u8) -> bool {
    style != 4
}

/// Writes an incident reference in the force's format.
pub(crate) fn write_ref(out: &mut String, g: &ForceGeo, recorded: i32, seq: u32) {
    let year = conduct_domain::Date::from_days_since_epoch(recorded).year();
    let yy = year % 100;
    match g.ref_style {
        0 => write!(out, "{}-{year}-{seq:07}", g.code),
        1 => write!(out, "{}/{yy:02}/{seq:06}", g.code),
        2 => write!(out, "{}{yy:02}{seq:07}", g.code),
        3 => write!(out, "{:02}/{seq:06}/{yy:02}", g.code.len() * 10 + usize::from(g.code.as_bytes()[0] % 10)),
        4 => write!(out, "{}-CR-{seq:08}", g.code),
        _ => write!(out, "{year}{seq:08}"),
    }
    .unwrap();
}

/// Chooses the stalking code a force records (finer codes in some forces).
pub(crate) fn stalking_code(rng: &mut Rng, finer: bool, stage: u8) -> u8 {
    if finer && rng.chance(0.6) {
        match rng.below(3) {
            0 if stage >= 2 => off::STALK_FEAR,
            0 | 1 => off::STALK_ALARM,
            _ => off::STALK_COURSE,
        }
    } else if rng.chance(0.08) {
        [off::STALK_FEAR, off::STALK_ALARM, off::STALK_COURSE][rng.below(3)]
    } else {
        off::STALK
    }
}

/// Draws an outcome for an incident given whether a suspect was identified.
pub(crate) fn assign_outcome(rng: &mut Rng, inc: &mut Incident) {
    let delay = 5 + (rng.exp(70.0) as i32).min(700);
    let date = inc.recorded + delay;
    if date > END {
        inc.outcome = if rng.chance(0.5) { 254 } else { 255 };
        return;
    }
    if rng.chance(0.01) {
        inc.outcome = 255; // never recorded
        return;
    }
    inc.outcome_date = date;
    let x = rng.f() * 100.0;
    inc.outcome = if inc.suspect == NONE {
        if x < 62.0 {
            18
        } else if x < 92.0 {
            14
        } else if x < 96.0 {
            20
        } else {
            21
        }
    } else if (inc.order_source && x < 40.0) || (inc.breach != NONE && x < 25.0) {
        1
    } else {
        const MIX: &[(f64, u8)] = &[
            (5.0, 1),
            (47.0, 16),
            (68.0, 15),
            (77.0, 21),
            (82.0, 10),
            (86.0, 8),
            (89.0, 3),
            (92.0, 22),
            (94.0, 20),
            (96.0, 9),
            (97.0, 17),
            (98.0, 2),
            (99.0, 6),
            (100.0, 12),
        ];
        MIX.iter().find(|(c, _)| x < *c).map_or(16, |(_, t)| *t)
    };
}

const EARLY: &[&str] = &[
    "Victim reports suspect keeps sending unwanted messages.",
    "Repeated unwanted calls and texts from suspect after the relationship ended.",
    "Suspect sent abusive messages via social media.",
    "Victim states suspect will not accept the relationship is over and keeps contacting her.",
    "Suspect has been calling victim's workplace asking about her.",
    "Unwanted contact from suspect, victim asked him to stop.",
    "Suspect posted comments about victim online.",
];
const MIDDLE: &[&str] = &[
    "Suspect turning up at victim's home address uninvited.",
    "Suspect seen loitering outside victim's workplace.",
    "Victim believes she is being followed when leaving work.",
    "Suspect monitoring victim's social media and turning up where she is.",
    "Suspect waited outside the address for several hours.",
    "Flowers and letters left on victim's doorstep; victim does not want contact.",
    "Suspect contacted victim's family and friends asking where she is.",
    "Victim reports over 40 messages in one evening.",
];
const LATE: &[&str] = &[
    "Suspect fixated on victim; obsessive messages day and night.",
    "Suspect followed victim home and banged on the door.",
    "Victim very frightened; suspect sent a threat to harm her family.",
    "Suspect made threat to victim via text, saying he knows where she lives.",
    "Tracking device found on victim's car; suspect suspected of monitoring her movements.",
    "Suspect loitering near victim's children's school.",
];
const VIOLENT: &[&str] = &[
    "Suspect threatened to kill victim.",
    "Suspect damaged victim's car windscreen.",
    "Suspect punched victim in the street.",
    "Front door damaged; suspect kicked it repeatedly.",
    "Suspect grabbed victim by the arm and threatened her.",
];
const ONE_OFF: &[&str] = &[
    "Single abusive message received from unknown number.",
    "Neighbour dispute; abusive shouting over parking.",
    "Victim received offensive comments on social media from an acquaintance.",
    "Argument between former friends; unwanted messages sent.",
    "Abusive language directed at victim in a shop.",
    "Victim received one threatening email.",
];
const OTHER: &[&str] = &[
    "Victim assaulted during an argument outside licensed premises.",
    "Window of dwelling damaged overnight.",
    "Vehicle scratched while parked on street.",
    "Disorder in the street, victim alarmed and distressed.",
    "Item taken from victim's bag.",
    "Victim pushed during a dispute.",
];

/// Writes the narrative of an incident.
pub(crate) fn write_narrative(rng: &mut Rng, inc: &Incident, out: &mut String) {
    out.clear();
    if rng.chance(0.03) {
        return;
    }
    let other = inc.offence >= off::ASSAULT;
    if inc.course == NONE {
        let pool = if other { OTHER } else { ONE_OFF };
        out.push_str(rng.pick::<&str>(pool));
        if inc.cyber && !other && rng.chance(0.5) {
            out.push_str(" Messages sent online.");
        }
        return;
    }
    let main: &[&str] = match inc.stage {
        0 => EARLY,
        1 => MIDDLE,
        2 => LATE,
        _ => VIOLENT,
    };
    out.push_str(rng.pick::<&str>(main));
    if inc.stage >= 1 && rng.chance(0.5) {
        out.push(' ');
        out.push_str(rng.pick::<&str>(if inc.stage >= 2 { MIDDLE } else { EARLY }));
    }
    if inc.cyber && rng.chance(0.4) {
        out.push_str(" Contact via messages and social media.");
    }
    if inc.relation == 0 && rng.chance(0.3) {
        out.push_str(" Parties are ex-partners.");
    }
    if inc.breach != NONE && rng.chance(0.5) {
        out.push_str(" Suspect is subject to an order not to contact the victim.");
    }
    if rng.chance(0.15) && inc.stage >= 1 {
        out.push_str(" Victim states this has happened before.");
    }
    let _ = dates::START;
}

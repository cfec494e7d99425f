//! What a course's reports say about it, in words a reviewer can check: stalking indicators
//! (FOUR: fixated, obsessive, unwanted, repeated; stalking behaviours in the narrative; the
//! domestic-abuse counting rule) and escalation (intervals shortening, threats or violence
//! appearing, more serious offences).

use conduct_domain::Incident;
use conduct_domain::{Date, OffenceClass};

use crate::build::{Course, day};

/// Narrative words that describe stalking behaviours (College of Policing; S-DASH items).
const STALKING_WORDS: &[&str] = &[
    "follow",
    "loiter",
    "turned up",
    "turning up",
    "turns up",
    "monitor",
    "watching",
    "watched",
    "waiting outside",
    "tracking",
    "tracked",
    "turned up at",
    "sat outside",
    "outside her",
    "outside his",
    "outside the",
];

/// Words of threat.
const THREAT_WORDS: &[&str] = &["threat", "threaten", "kill", "going to hurt", "knife"];

/// Words of violence.
const VIOLENCE_WORDS: &[&str] = &["punch", "assault", "hit her", "hit him", "kicked", "strangl", "choke", "injur", "attacked"];

/// The day the April 2020 counting rule took effect: harassment in a domestic-abuse context is
/// recorded as stalking from then on (reference/domain.md; wording UNCONFIRMED).
pub const DOMESTIC_ABUSE_STALKING_RULE: (i32, u32, u32) = (2020, 4, 1);

fn contains_any(text: &str, words: &[&'static str]) -> Option<&'static str> {
    let t = text.to_lowercase();
    words.iter().find(|w| t.contains(*w)).copied()
}

/// Reasons to review a course recorded as harassment, malicious communications or controlling
/// behaviour as stalking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StalkingSignals {
    /// Whether any report was recorded as stalking already.
    pub recorded_as_stalking: bool,
    /// FOUR indicators present, by name.
    pub four: Vec<&'static str>,
    /// Stalking behaviours named in narratives, with the first date each was seen.
    pub behaviours: Vec<(&'static str, Date)>,
    /// Domestic-abuse harassment recorded after the April 2020 counting rule.
    pub domestic_abuse_after_rule: bool,
}

impl StalkingSignals {
    /// Whether the course should be reviewed as stalking: not recorded as such, and all four
    /// FOUR indicators, or a stalking behaviour, or the domestic-abuse rule.
    pub fn review_as_stalking(&self) -> bool {
        !self.recorded_as_stalking && (self.four.len() == 4 || !self.behaviours.is_empty() || self.domestic_abuse_after_rule)
    }
}

/// Reads the stalking signals of a course.
///
/// FOUR, as operationalised here (documented in DESIGN.md): *repeated* — two or more reports;
/// *unwanted* — reported by the victim (every course here is); *fixated* — five or more reports
/// against the same victim; *obsessive* — three or more reports within 30 days.
pub fn stalking_signals(incidents: &[Incident], course: &Course) -> StalkingSignals {
    let reports: Vec<&Incident> = course.incidents.iter().map(|&i| &incidents[i]).collect();
    let recorded_as_stalking = reports.iter().any(|r| r.offence_code.class() == OffenceClass::Stalking);
    let mut four = vec!["repeated", "unwanted"];
    if reports.len() >= 5 {
        four.insert(0, "fixated");
    }
    let days: Vec<i32> = reports.iter().map(|r| day(r)).collect();
    if days.windows(3).any(|w| w[2] - w[0] <= 30) {
        four.insert(if four[0] == "fixated" { 1 } else { 0 }, "obsessive");
    }
    let mut behaviours: Vec<(&'static str, Date)> = Vec::new();
    for r in &reports {
        if let Some(w) = contains_any(&r.narrative, STALKING_WORDS) {
            if !behaviours.iter().any(|(b, _)| *b == w) {
                behaviours.push((w, r.recorded_date));
            }
        }
    }
    let (y, m, d) = DOMESTIC_ABUSE_STALKING_RULE;
    let rule = Date::new(y, m, d).expect("a real date");
    let domestic_abuse_after_rule = reports.iter().any(|r| {
        r.domestic_abuse == Some(true)
            && r.recorded_date >= rule
            && matches!(r.offence_code.class(), OffenceClass::Harassment | OffenceClass::AggravatedHarassment)
    });
    StalkingSignals { recorded_as_stalking, four, behaviours, domestic_abuse_after_rule }
}

/// Signs that a course is escalating.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Escalation {
    /// Median interval (days) between reports in the earlier half, then in the later half,
    /// when the later is at most half the earlier.
    pub intervals_shortening: Option<(f64, f64)>,
    /// First report naming a threat, and the word.
    pub first_threat: Option<(Date, &'static str)>,
    /// First report naming violence, and the word.
    pub first_violence: Option<(Date, &'static str)>,
    /// First report of stalking involving fear of violence (8/65) or a violent offence code
    /// after earlier reports without one.
    pub more_serious_offence: Option<(Date, String)>,
    /// Reports in the 90 days up to the last report.
    pub recent_reports: usize,
}

fn median(v: &mut [i32]) -> f64 {
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 { f64::from(v[n / 2]) } else { f64::from(v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// Violent offence codes (Home Office classes 1–5 and 8 violence against the person, excluding
/// the harassment subgroup), used only to say an offence was more serious than harassment.
fn is_violent(code: &str) -> bool {
    let digits: String = code.chars().take_while(char::is_ascii_digit).collect();
    matches!(digits.as_str(), "1" | "2" | "3" | "4" | "5" | "37" | "105" | "106") || code == "8N" || code == "8/65"
}

/// Reads the escalation signs of a course.
pub fn escalation(incidents: &[Incident], course: &Course) -> Escalation {
    let reports: Vec<&Incident> = course.incidents.iter().map(|&i| &incidents[i]).collect();
    let days: Vec<i32> = reports.iter().map(|r| day(r)).collect();
    let mut out = Escalation::default();
    let gaps: Vec<i32> = days.windows(2).map(|w| w[1] - w[0]).collect();
    if gaps.len() >= 3 {
        let half = gaps.len() / 2;
        let (mut early, mut late) = (gaps[..half].to_vec(), gaps[half..].to_vec());
        let (e, l) = (median(&mut early), median(&mut late));
        if e > 0.0 && l <= e / 2.0 {
            out.intervals_shortening = Some((e, l));
        }
    }
    for r in &reports {
        if out.first_threat.is_none() {
            out.first_threat = contains_any(&r.narrative, THREAT_WORDS).map(|w| (r.recorded_date, w));
        }
        if out.first_violence.is_none() {
            out.first_violence = contains_any(&r.narrative, VIOLENCE_WORDS).map(|w| (r.recorded_date, w));
        }
    }
    if let Some(pos) = reports.iter().position(|r| is_violent(r.offence_code.as_str())) {
        if pos > 0 {
            let r = reports[pos];
            out.more_serious_offence = Some((r.recorded_date, r.offence_code.as_str().to_string()));
        }
    }
    let last = *days.last().expect("a course has reports");
    out.recent_reports = days.iter().filter(|&&d| last - d <= 90).count();
    out
}

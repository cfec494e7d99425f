//! What a course's reports say about it, in words a reviewer can check: stalking indicators
//! (FOUR: fixated, obsessive, unwanted, repeated; stalking behaviours in the narrative; the
//! domestic-abuse counting rule) and escalation (intervals shortening, threats or violence
//! appearing, more serious offences). Narratives are read by [`crate::narrative`]: only what a
//! narrative reports as having happened counts, and each signal quotes the words that say it.

use conduct_domain::Incident;
use conduct_domain::{Date, OffenceClass};

use crate::build::{Course, day};
use crate::narrative::{self, Behaviour};

/// The day the April 2020 counting rule took effect: harassment in a domestic-abuse context is
/// recorded as stalking from then on (reference/domain.md; wording UNCONFIRMED).
pub const DOMESTIC_ABUSE_STALKING_RULE: (i32, u32, u32) = (2020, 4, 1);

/// A behaviour read in a report's narrative: what, the first report that says it, and the words
/// that say it, so that a reviewer can check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sighting {
    /// The behaviour.
    pub behaviour: Behaviour,
    /// What was found, in words ("following", "loitering", "threat to kill", "assault"…).
    pub cue: &'static str,
    /// The recorded date of the report.
    pub date: Date,
    /// The clause of the narrative that says it, as written (about 100 characters at most).
    pub phrase: String,
}

/// The behaviours each report's narrative affirms (see [`crate::narrative`]: negated, denied,
/// feared, asked-about, planned and other people's actions do not count), in report order. The
/// triage reads them once per course for both [`stalking_signals`] and [`escalation`]: the
/// narratives are most of its cost.
pub(crate) fn sightings(incidents: &[Incident], course: &Course) -> Vec<Sighting> {
    course
        .incidents
        .iter()
        .map(|&i| &incidents[i])
        .flat_map(|r| {
            narrative::affirmed(&r.narrative).into_iter().map(|m| Sighting {
                behaviour: m.behaviour,
                cue: m.cue,
                date: r.recorded_date,
                phrase: m.phrase,
            })
        })
        .collect()
}

/// Reasons to review a course recorded as harassment, malicious communications or controlling
/// behaviour as stalking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StalkingSignals {
    /// Whether any report was recorded as stalking already.
    pub recorded_as_stalking: bool,
    /// FOUR indicators present, by name.
    pub four: Vec<&'static str>,
    /// Stalking behaviours (following, watching or loitering, turning up) that narratives
    /// report, each with the first report that does and its words.
    pub behaviours: Vec<Sighting>,
    /// Domestic-abuse harassment recorded after the April 2020 counting rule.
    pub domestic_abuse_after_rule: bool,
    /// Reports whose principal crime is outside the stalking-and-harassment subgroup but which
    /// carry stalking as an additional classification (`secondary_offence_codes`), in report
    /// order: stalking hidden under another crime.
    pub stalking_under_other_crime: Vec<HiddenStalking>,
}

/// A report recorded under another crime with stalking as an additional classification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HiddenStalking {
    /// The recorded date of the report.
    pub date: Date,
    /// The force's reference.
    pub incident_ref: String,
    /// The principal offence code, as recorded.
    pub principal: String,
    /// The secondary stalking code, as recorded.
    pub secondary: String,
}

impl StalkingSignals {
    /// Whether the course should be reviewed as stalking: not recorded as such (as a principal
    /// crime), and all four FOUR indicators, or a stalking behaviour, or the domestic-abuse
    /// rule, or stalking recorded only as an additional classification of another crime.
    pub fn review_as_stalking(&self) -> bool {
        !self.recorded_as_stalking
            && (self.four.len() == 4
                || !self.behaviours.is_empty()
                || self.domestic_abuse_after_rule
                || !self.stalking_under_other_crime.is_empty())
    }
}

/// Reads the stalking signals of a course.
///
/// FOUR, as operationalised here (documented in DESIGN.md): *repeated* — two or more reports;
/// *unwanted* — reported by the victim (every course here is); *fixated* — five or more reports
/// against the same victim; *obsessive* — three or more reports within 30 days.
pub fn stalking_signals(incidents: &[Incident], course: &Course) -> StalkingSignals {
    stalking_signals_seen(incidents, course, &sightings(incidents, course))
}

/// [`stalking_signals`] with the course's [`sightings`] read already.
pub(crate) fn stalking_signals_seen(incidents: &[Incident], course: &Course, seen: &[Sighting]) -> StalkingSignals {
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
    let mut behaviours: Vec<Sighting> = Vec::new();
    for s in seen {
        if s.behaviour.is_stalking() && !behaviours.iter().any(|b| b.behaviour == s.behaviour) {
            behaviours.push(s.clone());
        }
    }
    let (y, m, d) = DOMESTIC_ABUSE_STALKING_RULE;
    let rule = Date::new(y, m, d).expect("a real date");
    let harassment = |c: &conduct_domain::OffenceCode| matches!(c.class(), OffenceClass::Harassment | OffenceClass::AggravatedHarassment);
    let domestic_abuse_after_rule = reports.iter().any(|r| {
        r.domestic_abuse == Some(true)
            && r.recorded_date >= rule
            && (harassment(&r.offence_code)
                || r.stalking_or_harassment_only_secondary() && r.secondary_offence_codes.iter().any(harassment))
    });
    let stalking_under_other_crime = reports
        .iter()
        .filter(|r| !r.offence_code.class().is_stalking_or_harassment())
        .filter_map(|r| {
            let s = r.secondary_offence_codes.iter().find(|c| c.class() == OffenceClass::Stalking)?;
            Some(HiddenStalking {
                date: r.recorded_date,
                incident_ref: r.incident_ref.to_string(),
                principal: r.offence_code.as_str().to_string(),
                secondary: s.as_str().to_string(),
            })
        })
        .collect();
    StalkingSignals { recorded_as_stalking, four, behaviours, domestic_abuse_after_rule, stalking_under_other_crime }
}

/// Signs that a course is escalating.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Escalation {
    /// Median interval (days) between reports in the earlier half, then in the later half,
    /// when the later is at most half the earlier.
    pub intervals_shortening: Option<(f64, f64)>,
    /// First report whose narrative says a threat was made, and its words.
    pub first_threat: Option<Sighting>,
    /// First report whose narrative says violence was used, and its words.
    pub first_violence: Option<Sighting>,
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
pub(crate) fn is_violent(code: &str) -> bool {
    let digits: String = code.chars().take_while(char::is_ascii_digit).collect();
    matches!(digits.as_str(), "1" | "2" | "3" | "4" | "5" | "37" | "105" | "106") || code == "8N" || code == "8/65"
}

/// Reads the escalation signs of a course.
pub fn escalation(incidents: &[Incident], course: &Course) -> Escalation {
    escalation_seen(incidents, course, &sightings(incidents, course))
}

/// [`escalation`] with the course's [`sightings`] read already.
pub(crate) fn escalation_seen(incidents: &[Incident], course: &Course, seen: &[Sighting]) -> Escalation {
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
    for s in seen {
        let first = match s.behaviour {
            Behaviour::Threat => &mut out.first_threat,
            Behaviour::Violence => &mut out.first_violence,
            _ => continue,
        };
        if first.is_none() {
            *first = Some(s.clone());
        }
        if out.first_threat.is_some() && out.first_violence.is_some() {
            break;
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

#[cfg(test)]
mod tests {
    use conduct_domain::{Force, OffenceCode};

    use super::*;
    use crate::Suspect;

    fn report(day: &str, narrative: &str) -> Incident {
        Incident {
            narrative: narrative.into(),
            ..Incident::new(
                Force::resolve("Kent").expect("a force"),
                day,
                Date::parse(day).expect("a date"),
                OffenceCode::parse("8L").expect("a code"),
            )
        }
    }

    fn course(n: usize) -> Course {
        Course {
            id: "C000001".into(),
            victim: 1,
            suspect: Suspect::Known(2),
            incidents: (0..n).collect(),
            hidden: Vec::new(),
            linked_by_force: 0,
            forces: vec![Force::resolve("Kent").expect("a force")],
        }
    }

    #[test]
    fn denied_and_negated_words_are_not_signals() {
        let reports = [
            report("2023-01-01", "Suspect denies following her. No threats were made."),
            report("2023-01-20", "Victim states he never hit her; she is worried he might turn up."),
        ];
        let c = course(reports.len());
        assert!(stalking_signals(&reports, &c).behaviours.is_empty());
        let esc = escalation(&reports, &c);
        assert_eq!((esc.first_threat, esc.first_violence), (None, None));
    }

    #[test]
    fn signals_quote_the_words_and_date_of_the_first_report_that_affirms_them() {
        let reports = [
            report("2023-01-01", "No threats were made; suspect sat outside her house all evening."),
            report("2023-02-01", "Suspect told her he would kill her. He then punched her."),
            report("2023-03-01", "Suspect threatened her again and followed her home."),
        ];
        let c = course(reports.len());
        let s = stalking_signals(&reports, &c);
        let seen: Vec<(Behaviour, String, &str)> =
            s.behaviours.iter().map(|b| (b.behaviour, b.date.to_string(), b.phrase.as_str())).collect();
        assert_eq!(
            seen,
            [
                (Behaviour::WatchingOrLoitering, "2023-01-01".to_string(), "suspect sat outside her house all evening"),
                (Behaviour::Following, "2023-03-01".to_string(), "Suspect threatened her again and followed her home"),
            ]
        );
        let esc = escalation(&reports, &c);
        let t = esc.first_threat.expect("a threat");
        assert_eq!(
            (t.cue, t.date.to_string(), t.phrase.as_str()),
            ("threat to kill", "2023-02-01".into(), "Suspect told her he would kill her")
        );
        let v = esc.first_violence.expect("violence");
        assert_eq!((v.date.to_string(), v.phrase.as_str()), ("2023-02-01".into(), "He then punched her"));
    }
}

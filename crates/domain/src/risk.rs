//! Risk screenings: DASH, S-DASH and SASH, as forces record them (data contract,
//! `risk_assessments.csv`; reference/domain.md, "Risk screening practice").
//!
//! A screening is the questions answered yes. S-DASH's eleven questions have names
//! (`frightened`, `visits_3_per_week` …) and words a reviewer reads ([`sdash_words`]); DASH and
//! SASH questions are numbered `q1` … `qN`. The triage cites the answers in these words; it
//! never turns them into a score.

use std::fmt;

use crate::{Date, Force};

/// The screening tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskTool {
    /// Domestic Abuse, Stalking and Harassment and Honour-based violence risk identification
    /// (27 questions, `q1` … `q27`).
    Dash,
    /// The 11 stalking questions DASH question 8 opens, by name.
    SDash,
    /// Stalking and Harassment Screening Aid (13 questions plus 3 for ex-partner cases,
    /// `q1` … `q16`).
    Sash,
    /// Any other tool: its answers are kept as given.
    Other,
}

/// Questions of DASH, numbered `q1` … `q27`.
pub const DASH_QUESTIONS: u32 = 27;
/// Questions of SASH: 13, and 3 more for ex-partner cases, numbered `q1` … `q16`.
pub const SASH_QUESTIONS: u32 = 16;

/// The S-DASH questions: the contract's id and the words of reference/domain.md.
pub const SDASH_QUESTIONS: [(&str, &str); 11] = [
    ("frightened", "victim very frightened"),
    ("previous_harassment", "previous harassment"),
    ("property_damage", "property destroyed"),
    ("visits_3_per_week", "visits more than 3 times a week"),
    ("loitering", "loitering"),
    ("threats", "threats of physical or sexual violence"),
    ("third_parties", "harassed third parties"),
    ("violence_to_others", "violence to others"),
    ("recruited_others", "recruited others"),
    ("drugs_alcohol", "drugs or alcohol"),
    ("past_violence", "past violence"),
];

/// The words of an S-DASH question id (`frightened` → "victim very frightened").
pub fn sdash_words(id: &str) -> Option<&'static str> {
    SDASH_QUESTIONS.iter().find(|(i, _)| *i == id).map(|(_, w)| *w)
}

/// DASH question 8 (reference/domain.md): the one that opens S-DASH.
pub const DASH_STALKING_QUESTION: &str = "q8";

impl RiskTool {
    /// Reads a tool name, case-insensitively: `DASH`, `S-DASH` (also `SDASH`, `S DASH`),
    /// `SASH`, `other`.
    pub fn parse(s: &str) -> Option<RiskTool> {
        let n: String = s.trim().chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        Some(match n.as_str() {
            "dash" => RiskTool::Dash,
            "sdash" => RiskTool::SDash,
            "sash" => RiskTool::Sash,
            "other" => RiskTool::Other,
            _ => return None,
        })
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskTool::Dash => "DASH",
            RiskTool::SDash => "S-DASH",
            RiskTool::Sash => "SASH",
            RiskTool::Other => "other",
        }
    }

    /// The canonical id of an answer for this tool, or why it is not one: S-DASH ids by name
    /// (case and `-` or space for `_` forgiven), DASH and SASH ids `q1` … `qN` (`Q08` reads as
    /// `q8`), any non-empty id for another tool.
    ///
    /// # Errors
    ///
    /// The reason in words, naming what the tool's ids are.
    pub fn answer(self, id: &str) -> Result<String, String> {
        let t = id.trim();
        match self {
            RiskTool::SDash => {
                let n: String = t.chars().map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() }).collect();
                if sdash_words(&n).is_some() {
                    Ok(n)
                } else {
                    let names: Vec<&str> = SDASH_QUESTIONS.iter().map(|(i, _)| *i).collect();
                    Err(format!("not an S-DASH question id (one of {})", names.join(", ")))
                }
            }
            RiskTool::Dash | RiskTool::Sash => {
                let max = if self == RiskTool::Dash { DASH_QUESTIONS } else { SASH_QUESTIONS };
                let number = t.strip_prefix(['q', 'Q']).filter(|d| !d.is_empty() && d.len() <= 3 && d.bytes().all(|b| b.is_ascii_digit()));
                match number.and_then(|d| d.parse::<u32>().ok()) {
                    Some(n) if (1..=max).contains(&n) => Ok(format!("q{n}")),
                    _ => Err(format!("not a {} question id (q1 to q{max})", self.as_str())),
                }
            }
            RiskTool::Other if t.is_empty() => Err("an empty question id".into()),
            RiskTool::Other => Ok(t.to_string()),
        }
    }

    /// An answer in words: S-DASH's by name, DASH question 8 by what it asks, the others by
    /// number ("question 12").
    pub fn answer_words(self, id: &str) -> String {
        match self {
            RiskTool::SDash => sdash_words(id).map_or_else(|| id.to_string(), str::to_string),
            RiskTool::Dash if id == DASH_STALKING_QUESTION => "question 8 (constant contact, following or stalking)".into(),
            RiskTool::Dash | RiskTool::Sash => id.strip_prefix('q').map_or_else(|| id.to_string(), |n| format!("question {n}")),
            RiskTool::Other => id.to_string(),
        }
    }
}

impl fmt::Display for RiskTool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The force's grading of the risk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskGrade {
    /// Standard.
    Standard,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl RiskGrade {
    /// Reads a grade, case-insensitively: `standard`, `medium`, `high`.
    pub fn parse(s: &str) -> Option<RiskGrade> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "standard" => RiskGrade::Standard,
            "medium" => RiskGrade::Medium,
            "high" => RiskGrade::High,
            _ => return None,
        })
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskGrade::Standard => "standard",
            RiskGrade::Medium => "medium",
            RiskGrade::High => "high",
        }
    }
}

impl fmt::Display for RiskGrade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A risk screening done for an incident (a row of risk_assessments.csv).
#[derive(Clone, Debug, PartialEq)]
pub struct RiskAssessment {
    /// The force of the incident.
    pub force: Force,
    /// The incident the screening was done for.
    pub incident_ref: String,
    /// When it was done.
    pub assessed_date: Date,
    /// DASH, S-DASH, SASH or other.
    pub tool: RiskTool,
    /// The force's grading, if recorded (and valid).
    pub grade: Option<RiskGrade>,
    /// The questions answered yes, as canonical ids of the tool ([`RiskTool::answer`]), in the
    /// order given, each once. Ids that are not the tool's are left out (and warned of).
    pub yes_answers: Vec<String>,
    /// Free text; read like a narrative.
    pub assessor_notes: String,
    /// Names of optional columns whose values were invalid (kept as unknown).
    pub invalid: Vec<&'static str>,
}

impl RiskAssessment {
    /// The order screenings are cited in: by date, then by what they are (force, incident,
    /// tool, grade, answers, notes), never by where they sat in the export, so that two of one
    /// day read alike in any order of its rows.
    pub fn cited_order(&self, other: &RiskAssessment) -> std::cmp::Ordering {
        fn key(a: &RiskAssessment) -> (Date, Force, &str, RiskTool, Option<RiskGrade>, &[String], &str) {
            (a.assessed_date, a.force, &a.incident_ref, a.tool, a.grade, &a.yes_answers, &a.assessor_notes)
        }
        key(self).cmp(&key(other))
    }

    /// The screening in words: "S-DASH 2022-08-24: victim very frightened; visits more than 3
    /// times a week", with the grade when one was recorded ("graded high") and "no question
    /// answered yes" when none was.
    pub fn in_words(&self) -> String {
        let mut s = format!("{} {}", self.tool, self.assessed_date);
        if let Some(g) = self.grade {
            s.push_str(&format!(" graded {g}"));
        }
        if self.yes_answers.is_empty() {
            s.push_str(": no question answered yes");
        } else {
            let words: Vec<String> = self.yes_answers.iter().map(|a| self.tool.answer_words(a)).collect();
            s.push_str(": ");
            s.push_str(&words.join("; "));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_grades_and_answers_read_the_contracts_spellings() {
        assert_eq!(RiskTool::parse("S-DASH"), Some(RiskTool::SDash));
        assert_eq!(RiskTool::parse(" sdash "), Some(RiskTool::SDash));
        assert_eq!(RiskTool::parse("dash"), Some(RiskTool::Dash));
        assert_eq!(RiskTool::parse("Other"), Some(RiskTool::Other));
        assert_eq!(RiskTool::parse("MARAC"), None);
        assert_eq!(RiskGrade::parse("HIGH"), Some(RiskGrade::High));
        assert_eq!(RiskGrade::parse("severe"), None);
        assert_eq!(RiskTool::SDash.answer("Visits-3-per-week"), Ok("visits_3_per_week".into()));
        assert!(RiskTool::SDash.answer("q3").unwrap_err().contains("frightened"));
        assert_eq!(RiskTool::Dash.answer("Q08"), Ok("q8".into()));
        assert!(RiskTool::Dash.answer("q28").is_err());
        assert!(RiskTool::Dash.answer("q0").is_err());
        assert!(RiskTool::Sash.answer("q17").is_err());
        assert_eq!(RiskTool::Sash.answer("q16"), Ok("q16".into()));
        assert!(RiskTool::Sash.answer("q").is_err());
        assert!(RiskTool::Sash.answer("q99999999999").is_err());
        assert_eq!(RiskTool::Other.answer(" item 4 "), Ok("item 4".into()));
    }

    #[test]
    fn a_screening_reads_in_the_references_words() {
        let r = RiskAssessment {
            force: Force::resolve("Kent").unwrap(),
            incident_ref: "K1".into(),
            assessed_date: Date::parse("2022-08-24").unwrap(),
            tool: RiskTool::SDash,
            grade: None,
            yes_answers: vec!["frightened".into(), "visits_3_per_week".into(), "threats".into()],
            assessor_notes: String::new(),
            invalid: Vec::new(),
        };
        assert_eq!(
            r.in_words(),
            "S-DASH 2022-08-24: victim very frightened; visits more than 3 times a week; threats of physical or sexual violence"
        );
        let d = RiskAssessment { tool: RiskTool::Dash, grade: Some(RiskGrade::High), yes_answers: vec!["q8".into(), "q12".into()], ..r };
        assert_eq!(d.in_words(), "DASH 2022-08-24 graded high: question 8 (constant contact, following or stalking); question 12");
        let none = RiskAssessment { yes_answers: Vec::new(), ..d };
        assert!(none.in_words().ends_with("no question answered yes"));
    }
}

//! Home Office crime outcome types 0–22 and their published groups (`data/outcome_types.csv`).

use std::fmt;
use std::sync::OnceLock;

/// A Home Office outcome type, 0–22.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutcomeType(u8);

struct Entry {
    description: String,
    group: String,
}

fn table() -> &'static [Entry] {
    static TABLE: OnceLock<Vec<Entry>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rows = crate::data::table("outcome_types.csv", include_str!("../data/outcome_types.csv"));
        rows.iter()
            .enumerate()
            .map(|(i, r)| {
                assert_eq!(r[0].trim(), i.to_string(), "outcome_types.csv must list 0.. in order");
                Entry { description: r[1].trim().to_string(), group: r[2].trim().to_string() }
            })
            .collect()
    })
}

impl OutcomeType {
    /// The outcome type with this number, if it exists.
    pub fn new(n: u8) -> Option<OutcomeType> {
        ((n as usize) < table().len()).then_some(OutcomeType(n))
    }

    /// Reads `14`, ` 14 ` or `14.0`; `None` for anything that is not an outcome type.
    pub fn parse(s: &str) -> Option<OutcomeType> {
        let s = s.trim();
        let s = s.strip_suffix(".0").unwrap_or(s);
        s.parse::<u8>().ok().and_then(OutcomeType::new)
    }

    /// The number.
    pub fn number(self) -> u8 {
        self.0
    }

    /// The published description.
    pub fn description(self) -> &'static str {
        &table()[self.0 as usize].description
    }

    /// The published outcome group.
    pub fn group(self) -> &'static str {
        &table()[self.0 as usize].group
    }

    /// Type 1: charged or summonsed.
    pub fn is_charge_or_summons(self) -> bool {
        self.0 == 1
    }

    /// Types 14 and 16: the victim does not support (or has withdrawn support for) action.
    pub fn is_victim_does_not_support(self) -> bool {
        matches!(self.0, 14 | 16)
    }

    /// Type 0 is excluded from outcome totals.
    pub fn is_assigned(self) -> bool {
        self.0 != 0
    }

    /// All outcome types, 0–22.
    pub fn all() -> impl Iterator<Item = OutcomeType> {
        (0..table().len()).map(|n| OutcomeType(n as u8))
    }
}

impl fmt::Display for OutcomeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_three_types_in_groups() {
        assert_eq!(OutcomeType::all().count(), 23);
        assert!(OutcomeType::new(23).is_none());
        assert_eq!(OutcomeType::parse("1").unwrap().group(), "Charged/Summonsed");
        let dns: Vec<u8> = OutcomeType::all().filter(|o| o.is_victim_does_not_support()).map(OutcomeType::number).collect();
        assert_eq!(dns, [14, 16]);
        assert_eq!(OutcomeType::parse("14").unwrap().group(), OutcomeType::parse("16").unwrap().group());
        assert!(OutcomeType::parse("x").is_none());
        assert!(!OutcomeType::parse("0").unwrap().is_assigned());
    }
}

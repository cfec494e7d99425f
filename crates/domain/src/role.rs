//! The part a person plays in an incident.

use std::fmt;

/// A person's role in an incident, per the data contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The person harmed (police systems also say "aggrieved").
    Victim,
    /// The person suspected (also "offender", "perpetrator").
    Suspect,
    /// A witness.
    Witness,
    /// Anyone else recorded against the incident.
    Other,
}

/// Each accepted spelling of a role (lower case; read ignoring ASCII case), the contract's first.
const ROLE_NAMES: [(&str, Role); 9] = [
    ("victim", Role::Victim),
    ("suspect", Role::Suspect),
    ("witness", Role::Witness),
    ("other", Role::Other),
    ("aggrieved", Role::Victim),
    ("injured party", Role::Victim),
    ("offender", Role::Suspect),
    ("perpetrator", Role::Suspect),
    ("accused", Role::Suspect),
];

impl Role {
    /// Reads a role, case-insensitively, accepting the common police synonyms.
    ///
    /// Compared in place, without a lower-cased copy: this runs for every people row read.
    pub fn parse(s: &str) -> Option<Role> {
        let s = s.trim();
        ROLE_NAMES.iter().find(|(name, _)| s.eq_ignore_ascii_case(name)).map(|&(_, role)| role)
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Victim => "victim",
            Role::Suspect => "suspect",
            Role::Witness => "witness",
            Role::Other => "other",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Role names as they were read before session 47: lower-cased, then matched.
    fn parsed_by_lowering(s: &str) -> Option<Role> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "victim" | "aggrieved" | "injured party" => Role::Victim,
            "suspect" | "offender" | "perpetrator" | "accused" => Role::Suspect,
            "witness" => Role::Witness,
            "other" => Role::Other,
            _ => return None,
        })
    }

    proptest! {
        /// Any case and padding of a known name, near misses (a letter more or less, a
        /// non-ASCII letter) and any text read as they were read by lower-casing first.
        #[test]
        fn a_role_is_read_as_lower_casing_read_it(
            which in 0usize..9,
            flips in proptest::collection::vec(any::<bool>(), 13),
            pad in "[ \t]{0,2}",
            damage in 0usize..4,
            any_text in "\\PC{0,14}",
        ) {
            let mut name: String = ROLE_NAMES[which].0.chars().zip(flips.iter().cycle())
                .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c }).collect();
            match damage {
                1 => { name.pop(); }
                2 => name.push('s'),
                3 => name = name.replacen('i', "\u{130}", 1),
                _ => {}
            }
            for s in [format!("{pad}{name}{pad}"), any_text] {
                prop_assert_eq!(Role::parse(&s), parsed_by_lowering(&s), "{:?}", s);
            }
        }
    }

    #[test]
    fn every_name_reads_as_its_role() {
        for (name, role) in ROLE_NAMES {
            assert_eq!(Role::parse(&name.to_uppercase()), Some(role));
        }
        assert_eq!(Role::parse(" Injured Party "), Some(Role::Victim));
        assert_eq!(Role::parse("injured  party"), None);
    }
}

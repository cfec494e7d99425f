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

impl Role {
    /// Reads a role, case-insensitively, accepting the common police synonyms.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "victim" | "aggrieved" | "injured party" => Role::Victim,
            "suspect" | "offender" | "perpetrator" | "accused" => Role::Suspect,
            "witness" => Role::Witness,
            "other" => Role::Other,
            _ => return None,
        })
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

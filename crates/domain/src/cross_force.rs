//! Another force's report about a person of this force, as the cross-force hub passes it on
//! (issue 15): the other force's name, its own pseudonyms of the record and of the report, the
//! date and the offence codes — never a name, a narrative or a reference in clear.

use crate::{Date, Force, Incident, Involvement, OffenceCode, Role};

/// One other force's record in one of its reports, linked by the hub to one of this force's
/// own records.
#[derive(Clone, Debug, PartialEq)]
pub struct OtherForceReport {
    /// This force's own record the hub linked the other record to (`record_id`).
    pub own_record: String,
    /// The other force.
    pub force: Force,
    /// The other force's pseudonym of its record (keyed with its own secret).
    pub pseudonym: String,
    /// The other force's pseudonym of its report.
    pub reference: String,
    /// When the other force recorded the report.
    pub recorded_date: Date,
    /// Its principal Home Office offence code.
    pub offence_code: OffenceCode,
    /// Its secondary offence codes.
    pub secondary_offence_codes: Vec<OffenceCode>,
    /// The record's role in the report.
    pub role: Role,
}

impl OtherForceReport {
    /// The record id the other record takes among this force's people rows:
    /// `OTHER-FORCE:PSEUDONYM` (the force's name with its spaces as `-`, as the hub's files
    /// name parties), which no record id of a force's export can take by accident, since it
    /// names another force.
    pub fn record_id(&self) -> String {
        format!("{}:{}", self.force.name().replace(' ', "-"), self.pseudonym)
    }

    /// The report as an incident: the other force's, with its pseudonym as its reference, its
    /// date and offence codes, and nothing else.
    pub fn incident(&self) -> Incident {
        Incident {
            secondary_offence_codes: self.secondary_offence_codes.clone(),
            ..Incident::new(self.force, &self.reference, self.recorded_date, self.offence_code.clone())
        }
    }

    /// The record as a people row of the report: its record id ([`Self::record_id`]), the
    /// other force, the report's pseudonym and the role; no identifying value.
    pub fn involvement(&self) -> Involvement {
        Involvement::new(&self.record_id(), self.force, &self.reference, self.role)
    }
}

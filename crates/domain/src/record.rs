//! The accepted records: what a row of each table becomes once it has passed validation.
//!
//! They live here, beside the vocabulary they are made of, so that every stage can speak of
//! incidents, involvements and orders without pulling in the readers (and Parquet) of
//! `conduct-ingest`, which makes them.

use crate::{Date, Force, OffenceCode, OrderStatus, OrderType, OutcomeType, PartialDate, Role, Text};

/// A recorded crime or incident.
#[derive(Clone, Debug, PartialEq)]
pub struct Incident {
    /// The recording force.
    pub force: Force,
    /// The force's reference, unique within the force.
    pub incident_ref: Text,
    /// When the force recorded it.
    pub recorded_date: Date,
    /// When it happened (start of a range), if known.
    pub occurred_date: Option<Date>,
    /// The Home Office offence code.
    pub offence_code: OffenceCode,
    /// The offence as described in the export.
    pub offence_description: Text,
    /// The force's domestic-abuse flag; `None` is unknown.
    pub domestic_abuse: Option<bool>,
    /// Online or technology-enabled element; `None` is unknown.
    pub cyber: Option<bool>,
    /// Same-force incident_refs the recording officer linked this report to.
    pub linked_refs: Vec<Text>,
    /// The Home Office outcome type, if assigned.
    pub outcome_type: Option<OutcomeType>,
    /// When the outcome was assigned.
    pub outcome_date: Option<Date>,
    /// Short free-text summary.
    pub narrative: Text,
    /// Home Office codes recorded in addition to the principal `offence_code` (stalking
    /// recorded beside criminal damage, say), in the order given, each once. Never counted in
    /// the Home Office tables, which count the principal crime.
    pub secondary_offence_codes: Vec<OffenceCode>,
    /// Names of optional columns whose values were invalid (and are kept as unknown).
    pub invalid: Vec<&'static str>,
}

impl Incident {
    /// A report with only its required fields; every optional field empty.
    pub fn new(force: Force, incident_ref: &str, recorded_date: Date, offence_code: OffenceCode) -> Incident {
        Incident {
            force,
            incident_ref: incident_ref.into(),
            recorded_date,
            occurred_date: None,
            offence_code,
            offence_description: Text::default(),
            domestic_abuse: None,
            cyber: None,
            linked_refs: Vec::new(),
            outcome_type: None,
            outcome_date: None,
            narrative: Text::default(),
            secondary_offence_codes: Vec::new(),
            invalid: Vec::new(),
        }
    }

    /// Whether the report is of the stalking-and-harassment kind: its principal code, or one
    /// of its secondary codes, is in the subgroup.
    pub fn is_stalking_or_harassment(&self) -> bool {
        self.offence_code.class().is_stalking_or_harassment() || self.secondary_stalking_or_harassment().is_some()
    }

    /// The first secondary code in the stalking-and-harassment subgroup, if any.
    pub fn secondary_stalking_or_harassment(&self) -> Option<&OffenceCode> {
        self.secondary_offence_codes.iter().find(|c| c.class().is_stalking_or_harassment())
    }

    /// Whether stalking or harassment is recorded only as an additional classification: the
    /// principal code is outside the subgroup and a secondary code is in it (the super-complaint's
    /// "stalking recorded as a lesser crime").
    pub fn stalking_or_harassment_only_secondary(&self) -> bool {
        !self.offence_code.class().is_stalking_or_harassment() && self.secondary_stalking_or_harassment().is_some()
    }
}

/// One person's involvement in an incident (a row of people.csv).
#[derive(Clone, Debug, PartialEq)]
pub struct Involvement {
    /// Unique per row; answers refer to it.
    pub record_id: Text,
    /// The recording force.
    pub force: Force,
    /// The incident this involvement belongs to.
    pub incident_ref: Text,
    /// Victim, suspect, witness or other.
    pub role: Role,
    /// The force's own nominal id.
    pub local_person_id: Text,
    /// Forename as recorded.
    pub forename: Text,
    /// Middle names as recorded.
    pub middle_names: Text,
    /// Surname as recorded.
    pub surname: Text,
    /// Date of birth as written.
    pub date_of_birth: Text,
    /// Its components, when the text was date-like (even if not a real date).
    pub dob: Option<PartialDate>,
    /// Sex: `M`, `F`, or the recorded text when it is neither.
    pub sex: Text,
    /// Address as recorded.
    pub address: Text,
    /// Postcode, upper-cased with single spaces.
    pub postcode: Text,
    /// Phone as recorded.
    pub phone: Text,
    /// Phone in canonical form (`+447700900123`), when it is a valid number.
    pub phone_canonical: Option<Text>,
    /// E-mail as recorded.
    pub email: Text,
    /// `;`-separated online handles.
    pub online_handles: Text,
    /// Police National Computer id.
    pub pnc_id: Text,
    /// National Insurance number or other national identifier.
    pub ni_number: Text,
    /// Names of optional columns whose values were invalid.
    pub invalid: Vec<&'static str>,
}

/// A protective order.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    /// The force that applied.
    pub force: Force,
    /// The order's reference, unique within the force.
    pub order_ref: String,
    /// SPO, interim SPO, restraining order, …
    pub order_type: OrderType,
    /// The incident the application arose from.
    pub incident_ref: String,
    /// When applied for.
    pub applied_date: Option<Date>,
    /// When granted; `None` if not (yet) granted.
    pub granted_date: Option<Date>,
    /// When it expires.
    pub expires_date: Option<Date>,
    /// Where it stands.
    pub status: Option<OrderStatus>,
    /// Names of optional columns whose values were invalid.
    pub invalid: Vec<&'static str>,
}

impl Involvement {
    /// An involvement with only its required fields; every optional field empty.
    pub fn new(record_id: &str, force: Force, incident_ref: &str, role: Role) -> Involvement {
        Involvement {
            record_id: record_id.into(),
            force,
            incident_ref: incident_ref.into(),
            role,
            local_person_id: Text::default(),
            forename: Text::default(),
            middle_names: Text::default(),
            surname: Text::default(),
            date_of_birth: Text::default(),
            dob: None,
            sex: Text::default(),
            address: Text::default(),
            postcode: Text::default(),
            phone: Text::default(),
            phone_canonical: None,
            email: Text::default(),
            online_handles: Text::default(),
            pnc_id: Text::default(),
            ni_number: Text::default(),
            invalid: Vec::new(),
        }
    }
}

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
///
/// The date of birth's components and the phone's canonical form are derived from their text
/// whenever the text is set, so the two never disagree (the population index finds a changed
/// record's old keys by normalising its stored text again, and relies on it):
///
/// ```
/// use conduct_domain::{Force, Involvement, Role};
/// let mut p = Involvement::new("R1", Force::resolve("Kent").unwrap(), "I1", Role::Victim);
/// p.set_date_of_birth("1984-11-02");
/// p.set_phone("07700 900123");
/// assert_eq!(p.dob().and_then(|d| d.month), Some(11));
/// assert_eq!(p.phone_canonical().map(|t| t.as_str()), Some("+447700900123"));
/// ```
///
/// and neither can be set apart from its text:
///
/// ```compile_fail
/// # use conduct_domain::{Force, Involvement, Role};
/// let mut p = Involvement::new("R1", Force::resolve("Kent").unwrap(), "I1", Role::Victim);
/// p.dob = None;
/// ```
///
/// ```compile_fail
/// # use conduct_domain::{Force, Involvement, Role};
/// let mut p = Involvement::new("R1", Force::resolve("Kent").unwrap(), "I1", Role::Victim);
/// p.phone = "07700 900123".into();
/// ```
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
    /// Date of birth as written ([`Involvement::date_of_birth`]; set with
    /// [`Involvement::set_date_of_birth`], which derives `dob` from it).
    date_of_birth: Text,
    /// Its components ([`Involvement::dob`]): always derived from `date_of_birth`.
    dob: Option<PartialDate>,
    /// Sex: `M`, `F`, or the recorded text when it is neither.
    pub sex: Text,
    /// Address as recorded.
    pub address: Text,
    /// Postcode, upper-cased with single spaces.
    pub postcode: Text,
    /// Phone as recorded ([`Involvement::phone`]; set with [`Involvement::set_phone`], which
    /// derives `phone_canonical` from it).
    phone: Text,
    /// Its canonical form ([`Involvement::phone_canonical`]): always derived from `phone`.
    phone_canonical: Option<Text>,
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

    /// Date of birth as written.
    pub fn date_of_birth(&self) -> &Text {
        &self.date_of_birth
    }

    /// The components of the date of birth, derived from its text as [`dob_of`] does: `None`
    /// when the text is empty, not date-like, or the all-zeros placeholder; otherwise its
    /// components, even when they make no real date.
    pub fn dob(&self) -> Option<PartialDate> {
        self.dob
    }

    /// Sets the date of birth as written, and its components with it ([`dob_of`]), so that the
    /// two never disagree.
    pub fn set_date_of_birth(&mut self, text: impl Into<Text>) {
        self.date_of_birth = text.into();
        self.dob = dob_of(&self.date_of_birth);
    }

    /// Phone as recorded.
    pub fn phone(&self) -> &Text {
        &self.phone
    }

    /// The phone in canonical form (`+447700900123`), derived from its text as
    /// [`phone_canonical_of`] does: `None` when the text is empty or not a valid number.
    pub fn phone_canonical(&self) -> Option<&Text> {
        self.phone_canonical.as_ref()
    }

    /// Sets the phone as recorded, and its canonical form with it ([`phone_canonical_of`]), so
    /// that the two never disagree.
    pub fn set_phone(&mut self, text: impl Into<Text>) {
        self.phone = text.into();
        self.phone_canonical = phone_canonical_of(&self.phone);
    }
}

/// The date-of-birth components of an involvement, derived from the text written: `None` when
/// the text is empty, not date-like, or the all-zeros placeholder; otherwise its components,
/// even when they make no real date. Every [`Involvement`] holds exactly this beside its text.
pub fn dob_of(date_of_birth: &str) -> Option<PartialDate> {
    if date_of_birth.is_empty() {
        return None;
    }
    PartialDate::parse(date_of_birth).filter(|p| *p != PartialDate::default())
}

/// The canonical phone number of an involvement, derived from the text written: `None` when the
/// text is empty or not a valid number. Every [`Involvement`] holds exactly this beside its
/// text.
pub fn phone_canonical_of(phone: &str) -> Option<Text> {
    if phone.is_empty() { None } else { crate::value::canonical_phone(phone).map(Text::from) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kent() -> Involvement {
        Involvement::new("R1", Force::resolve("Kent").unwrap(), "I1", Role::Victim)
    }

    /// The bug this pins: a row built in code whose parsed date of birth disagreed with its
    /// text left stale keys in the population index (session 34). Setting the text again, to
    /// anything, always leaves the components the text's.
    #[test]
    fn a_date_of_birth_set_again_never_keeps_the_old_components() {
        let mut p = kent();
        for text in ["1984-11-02", "", "unknown", "0000-00-00", "1975-25-03", "05/07/1985", "1990", " 1984-11-02 "] {
            p.set_date_of_birth("2001-02-03");
            p.set_date_of_birth(text);
            assert_eq!(p.date_of_birth().as_str(), text);
            assert_eq!(p.dob(), dob_of(text), "{text:?}");
        }
        assert_eq!(dob_of("0000-00-00"), None, "the all-zeros placeholder is no date");
        assert_eq!(dob_of("unknown"), None);
        assert_eq!(dob_of("1975-25-03").map(|d| (d.year, d.month, d.day)), Some((Some(1975), Some(25), Some(3))));
    }

    #[test]
    fn a_phone_set_again_never_keeps_the_old_canonical_form() {
        let mut p = kent();
        for text in ["07700 900123", "", "call me", "0770", "+1 202 555 0143"] {
            p.set_phone("020 7946 0958");
            p.set_phone(text);
            assert_eq!(p.phone().as_str(), text);
            assert_eq!(p.phone_canonical().cloned(), phone_canonical_of(text), "{text:?}");
        }
        assert_eq!(phone_canonical_of("+1 202 555 0143").as_deref(), Some("+12025550143"));
        assert_eq!(phone_canonical_of("call me"), None);
    }
}

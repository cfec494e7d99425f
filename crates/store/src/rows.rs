//! Records as database rows and back: the one place that says how an [`Incident`],
//! [`Involvement`] or [`Order`] is stored, for every dialect of [`crate::db`].
//!
//! A row holds the values of [`INCIDENTS`], [`PEOPLE`] or [`ORDERS`] in the order of their
//! column lists. The representation:
//!
//! - the force is its numeric id ([`Force::id`], a position in the append-only `forces.csv`);
//! - the keys and other required text (`incident_ref`, `record_id`, `order_ref`, the people's and
//!   orders' `incident_ref`) are text as they are; optional text is NULL when empty, and NULL
//!   reads back as the empty string;
//! - dates are ISO 8601 text (`2023-09-30`), NULL when unknown;
//! - the offence code is its normalised text and `offence_class` the subgroup code it is counted
//!   under (`8L`…, or `other`); the class is derived again from the code when a row is read;
//! - booleans are 0 or 1, NULL when unknown; the outcome type is its number;
//! - `role`, `order_type` and `status` are the contract's spellings ([`Role::as_str`]…);
//! - `linked_refs` and `invalid` are `;`-joined lists, NULL when empty;
//! - an involvement's date-of-birth components and canonical phone are not stored: they are
//!   derived again whenever a row is read, by the rules every involvement applies
//!   ([`conduct_domain::record::dob_of`], [`conduct_domain::record::phone_canonical_of`]).

use std::path::Path;

use conduct_domain::{
    Date, Force, Incident, Involvement, OffenceCode, Order, OrderStatus, OrderType, OutcomeType, RiskAssessment, RiskGrade, RiskTool, Role,
    Text,
};

use crate::db::{Row, Value};
use crate::error::{Error, ErrorKind};

/// A record table: its name and its columns, in the order of the rows of this module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Columns {
    /// The table's name.
    pub table: &'static str,
    /// Its columns, in row order. The first two are the key: `force_id` and the reference.
    pub names: &'static [&'static str],
}

/// The columns of an incident's row ([`incident_row`], [`incident_from_row`]).
pub const INCIDENTS: Columns = Columns { table: "incidents", names: crate::import::INCIDENT_COLUMNS };
/// The columns of an involvement's row ([`involvement_row`], [`involvement_from_row`]).
pub const PEOPLE: Columns = Columns { table: "people", names: crate::import::PEOPLE_COLUMNS };
/// The columns of an order's row ([`order_row`], [`order_from_row`]).
pub const ORDERS: Columns = Columns { table: "orders", names: crate::import::ORDER_COLUMNS };
/// The columns of a risk screening's row ([`risk_assessment_row`], [`risk_assessment_from_row`]).
/// The key is the first four: force, incident, day and tool.
pub const RISK_ASSESSMENTS: Columns = Columns {
    table: "risk_assessments",
    names: &["force_id", "incident_ref", "assessed_date", "tool", "grade", "yes_answers", "assessor_notes", "invalid"],
};

impl Columns {
    /// The column names joined by `, `, for a statement's column list.
    pub fn list(&self) -> String {
        self.names.join(", ")
    }

    /// `SELECT <the columns> FROM <the table>`, to which a caller adds `WHERE` and `ORDER BY`;
    /// each row it returns is one for the matching `…_from_row`.
    pub fn select_sql(&self) -> String {
        format!("SELECT {} FROM {}", self.list(), self.table)
    }
}

/// Optional text: NULL when empty.
fn opt_text(s: &str) -> Value {
    Value::opt_text(s)
}

/// Required text: stored as it is, even when empty.
fn req_text(s: &str) -> Value {
    Value::from(s)
}

fn date(d: Option<Date>) -> Value {
    d.map_or(Value::Null, |d| Value::from(Date::iso_str(&d.iso())))
}

fn flag(b: Option<bool>) -> Value {
    b.map_or(Value::Null, |b| Value::Int(i64::from(b)))
}

fn list(items: &[impl AsRef<str>]) -> Value {
    if items.is_empty() { Value::Null } else { Value::from(items.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(";")) }
}

fn force(f: Force) -> Value {
    Value::Int(i64::from(f.id()))
}

/// An incident as a row of [`INCIDENTS`].
pub fn incident_row(r: &Incident) -> Row {
    vec![
        force(r.force),
        req_text(&r.incident_ref),
        date(Some(r.recorded_date)),
        date(r.occurred_date),
        req_text(r.offence_code.as_str()),
        req_text(r.offence_code.class().code().unwrap_or("other")),
        opt_text(&r.offence_description),
        flag(r.domestic_abuse),
        flag(r.cyber),
        list(&r.linked_refs),
        r.outcome_type.map_or(Value::Null, |o| Value::Int(i64::from(o.number()))),
        date(r.outcome_date),
        opt_text(&r.narrative),
        list(&r.invalid),
        codes_text(&r.secondary_offence_codes).map_or(Value::Null, Value::from),
    ]
}

/// A risk screening as a row of [`RISK_ASSESSMENTS`]: the tool and grade in the contract's
/// spellings, the yes answers `;`-joined (NULL when none).
pub fn risk_assessment_row(r: &RiskAssessment) -> Row {
    vec![
        force(r.force),
        req_text(&r.incident_ref),
        date(Some(r.assessed_date)),
        req_text(r.tool.as_str()),
        r.grade.map_or(Value::Null, |g| Value::from(g.as_str())),
        list(&r.yes_answers),
        opt_text(&r.assessor_notes),
        list(&r.invalid),
    ]
}

/// A risk screening from a row of [`RISK_ASSESSMENTS`].
///
/// # Errors
///
/// [`ErrorKind::BadRow`] when the row is not as wide as [`RISK_ASSESSMENTS`] or a value cannot
/// be turned back: an unknown force id, a date, tool or grade that is not one, or an `invalid`
/// name that is no column of the contract's table.
pub fn risk_assessment_from_row(row: &[Value]) -> Result<RiskAssessment, Error> {
    let r = Reader::new(RISK_ASSESSMENTS, conduct_ingest::Table::RiskAssessments, row)?;
    let tool_text = r.text(3)?;
    let tool = RiskTool::parse(&tool_text).ok_or_else(|| r.bad(3, format!("{tool_text:?} is not a screening tool")))?;
    let grade_text = r.text(4)?;
    let grade = if grade_text.is_empty() {
        None
    } else {
        Some(RiskGrade::parse(&grade_text).ok_or_else(|| r.bad(4, format!("{grade_text:?} is not a grade")))?)
    };
    Ok(RiskAssessment {
        force: r.force(0)?,
        incident_ref: r.text(1)?,
        assessed_date: r.required_date(2)?,
        tool,
        grade,
        yes_answers: r.list(5)?.into_iter().map(String::from).collect(),
        assessor_notes: r.text(6)?,
        invalid: r.invalid(7)?,
    })
}

/// Secondary offence codes as stored: `;`-joined, `None` (NULL) when there are none.
pub(crate) fn codes_text(codes: &[OffenceCode]) -> Option<String> {
    (!codes.is_empty()).then(|| codes.iter().map(OffenceCode::as_str).collect::<Vec<_>>().join(";"))
}

/// An involvement as a row of [`PEOPLE`]. `dob` and `phone_canonical` are not stored (they are
/// derived again from `date_of_birth` and `phone` when the row is read).
pub fn involvement_row(r: &Involvement) -> Row {
    vec![
        force(r.force),
        req_text(&r.record_id),
        req_text(&r.incident_ref),
        req_text(r.role.as_str()),
        opt_text(&r.local_person_id),
        opt_text(&r.forename),
        opt_text(&r.middle_names),
        opt_text(&r.surname),
        opt_text(r.date_of_birth()),
        opt_text(&r.sex),
        opt_text(&r.address),
        opt_text(&r.postcode),
        opt_text(r.phone()),
        opt_text(&r.email),
        opt_text(&r.online_handles),
        opt_text(&r.pnc_id),
        opt_text(&r.ni_number),
        list(&r.invalid),
    ]
}

/// An order as a row of [`ORDERS`].
pub fn order_row(r: &Order) -> Row {
    vec![
        force(r.force),
        req_text(&r.order_ref),
        req_text(r.order_type.as_str()),
        req_text(&r.incident_ref),
        date(r.applied_date),
        date(r.granted_date),
        date(r.expires_date),
        r.status.map_or(Value::Null, |s| Value::from(s.as_str())),
        list(&r.invalid),
    ]
}

/// Reads the values of one row, naming the table, the column and the record's key in its errors.
struct Reader<'r> {
    columns: Columns,
    /// The contract table whose column names `invalid` holds.
    contract: conduct_ingest::Table,
    row: &'r [Value],
}

impl<'r> Reader<'r> {
    /// Checks the row's width.
    fn new(columns: Columns, contract: conduct_ingest::Table, row: &'r [Value]) -> Result<Reader<'r>, Error> {
        let reader = Reader { columns, contract, row };
        let want = columns.names.len();
        match row.len() {
            n if n < want => Err(reader.bad(n, format!("the row has {n} values; a row of {} has {want}", columns.table))),
            n if n > want => Err(Error::new(
                ErrorKind::BadRow {
                    table: columns.table,
                    column: "(extra values)",
                    key: reader.key(),
                    reason: format!("the row has {n} values; a row of {} has {want}", columns.table),
                },
                Path::new(""),
            )),
            _ => Ok(reader),
        }
    }

    /// The record's key for messages, read loosely from the first two values: made only for an
    /// error (made for every row, it was three allocations a row of the 3M a publication reads
    /// back at the 1M world).
    fn key(&self) -> String {
        let force = match self.row.first() {
            Some(v) => match v.int().and_then(|i| u8::try_from(i).ok()).and_then(Force::from_id) {
                Some(f) => f.name().to_string(),
                None => format!("force id {}", v.text()),
            },
            None => "no force".to_string(),
        };
        let reference = self.row.get(1).map_or(String::new(), Value::text);
        format!("{force} {} {reference:?}", self.columns.names[1])
    }

    fn bad(&self, c: usize, reason: impl Into<String>) -> Error {
        Error::new(
            ErrorKind::BadRow { table: self.columns.table, column: self.columns.names[c], key: self.key(), reason: reason.into() },
            Path::new(""),
        )
    }

    /// Text; NULL is the empty string. A number is refused: the columns read as text are TEXT.
    fn text(&self, c: usize) -> Result<String, Error> {
        match &self.row[c] {
            Value::Null => Ok(String::new()),
            Value::Text(s) => Ok(s.to_string()),
            Value::Int(i) => Ok(i.to_string()),
            Value::Real(f) => Err(self.bad(c, format!("{f} is a number, not text"))),
        }
    }

    /// [`Reader::text`] as a record holds it: a short text copied inline, without an allocation.
    fn compact(&self, c: usize) -> Result<Text, Error> {
        match &self.row[c] {
            Value::Text(s) => Ok(s.clone()),
            _ => self.text(c).map(Text::from),
        }
    }

    /// A whole number, `None` when NULL.
    fn int(&self, c: usize) -> Result<Option<i64>, Error> {
        match &self.row[c] {
            Value::Null => Ok(None),
            Value::Int(i) => Ok(Some(*i)),
            Value::Real(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(*f as i64)),
            Value::Text(s) => s.trim().parse().map(Some).map_err(|_| self.bad(c, format!("{s:?} is not a whole number"))),
            Value::Real(f) => Err(self.bad(c, format!("{f} is not a whole number"))),
        }
    }

    fn force(&self, c: usize) -> Result<Force, Error> {
        let id = self.int(c)?.ok_or_else(|| self.bad(c, "the force is missing (NULL)"))?;
        u8::try_from(id)
            .ok()
            .and_then(Force::from_id)
            .ok_or_else(|| self.bad(c, format!("no force has id {id} in this build's forces.csv")))
    }

    fn date(&self, c: usize) -> Result<Option<Date>, Error> {
        let s = self.text(c)?;
        if s.is_empty() {
            return Ok(None);
        }
        Date::parse(&s).map(Some).map_err(|e| self.bad(c, format!("{s:?}: {e}")))
    }

    fn required_date(&self, c: usize) -> Result<Date, Error> {
        self.date(c)?.ok_or_else(|| self.bad(c, "the date is missing (NULL)"))
    }

    fn flag(&self, c: usize) -> Result<Option<bool>, Error> {
        match self.int(c)? {
            None => Ok(None),
            Some(0) => Ok(Some(false)),
            Some(1) => Ok(Some(true)),
            Some(n) => Err(self.bad(c, format!("{n} is not a boolean (0 or 1)"))),
        }
    }

    /// A `;`-joined list; NULL and the empty string are the empty list.
    fn list(&self, c: usize) -> Result<Vec<Text>, Error> {
        let s = self.text(c)?;
        Ok(if s.is_empty() { Vec::new() } else { s.split(';').map(Text::from).collect() })
    }

    /// The `invalid` list, as the contract column names conduct-ingest uses.
    fn invalid(&self, c: usize) -> Result<Vec<&'static str>, Error> {
        self.list(c)?
            .iter()
            .map(|name| {
                self.contract
                    .columns()
                    .iter()
                    .find(|col| col.name == name)
                    .map(|col| col.name)
                    .ok_or_else(|| self.bad(c, format!("{name:?} is not a column of the contract's {} table", self.contract.name())))
            })
            .collect()
    }

    fn parsed<T>(&self, c: usize, parse: impl FnOnce(&str) -> Option<T>, what: &str) -> Result<Option<T>, Error> {
        let s = self.text(c)?;
        if s.is_empty() {
            return Ok(None);
        }
        parse(&s).map(Some).ok_or_else(|| self.bad(c, format!("{s:?} is not {what}")))
    }

    fn required<T>(&self, c: usize, parse: impl FnOnce(&str) -> Option<T>, what: &str) -> Result<T, Error> {
        self.parsed(c, parse, what)?.ok_or_else(|| self.bad(c, format!("the value is missing (NULL); expected {what}")))
    }
}

/// An incident from a row of [`INCIDENTS`] (the columns in that order). `offence_class` is not
/// read: the class is the one this build's offence table gives the code, as on import.
///
/// # Errors
///
/// [`ErrorKind::BadRow`] when the row is not as wide as [`INCIDENTS`] or a value cannot be turned
/// back: an unknown force id, a date that is not one, an offence code that is not one, a
/// boolean other than 0/1, an outcome number that is no outcome type, or an `invalid` name that
/// is no incidents column.
pub fn incident_from_row(row: &[Value]) -> Result<Incident, Error> {
    let r = Reader::new(INCIDENTS, conduct_ingest::Table::Incidents, row)?;
    let outcome_type = match r.int(10)? {
        None => None,
        Some(n) => Some(
            u8::try_from(n)
                .ok()
                .and_then(OutcomeType::new)
                .ok_or_else(|| r.bad(10, format!("{n} is not a Home Office outcome type (0–22)")))?,
        ),
    };
    Ok(Incident {
        force: r.force(0)?,
        incident_ref: r.compact(1)?,
        recorded_date: r.required_date(2)?,
        occurred_date: r.date(3)?,
        offence_code: {
            let s = r.text(4)?;
            OffenceCode::parse(&s).map_err(|e| r.bad(4, e.to_string()))?
        },
        offence_description: r.compact(6)?,
        domestic_abuse: r.flag(7)?,
        cyber: r.flag(8)?,
        linked_refs: r.list(9)?,
        outcome_type,
        outcome_date: r.date(11)?,
        narrative: r.compact(12)?,
        invalid: r.invalid(13)?,
        secondary_offence_codes: r
            .list(14)?
            .iter()
            .map(|c| OffenceCode::parse(c).map_err(|e| r.bad(14, e.to_string())))
            .collect::<Result<_, _>>()?,
    })
}

/// An involvement from a row of [`PEOPLE`] (the columns in that order), with `dob` and
/// `phone_canonical` derived again by [`Involvement::set_date_of_birth`] and [`Involvement::set_phone`].
///
/// # Errors
///
/// [`ErrorKind::BadRow`] when the row is not as wide as [`PEOPLE`] or a value cannot be turned
/// back: an unknown force id, a role that is not one, or an `invalid` name that is no people
/// column.
pub fn involvement_from_row(row: &[Value]) -> Result<Involvement, Error> {
    let r = Reader::new(PEOPLE, conduct_ingest::Table::People, row)?;
    let mut p = Involvement::new("", r.force(0)?, "", r.required(3, Role::parse, "a role (victim, suspect, witness or other)")?);
    p.record_id = r.compact(1)?;
    p.incident_ref = r.compact(2)?;
    p.local_person_id = r.compact(4)?;
    p.forename = r.compact(5)?;
    p.middle_names = r.compact(6)?;
    p.surname = r.compact(7)?;
    p.set_date_of_birth(r.compact(8)?);
    p.sex = r.compact(9)?;
    p.address = r.compact(10)?;
    p.postcode = r.compact(11)?;
    p.set_phone(r.compact(12)?);
    p.email = r.compact(13)?;
    p.online_handles = r.compact(14)?;
    p.pnc_id = r.compact(15)?;
    p.ni_number = r.compact(16)?;
    p.invalid = r.invalid(17)?;
    Ok(p)
}

/// An order from a row of [`ORDERS`] (the columns in that order).
///
/// # Errors
///
/// [`ErrorKind::BadRow`] when the row is not as wide as [`ORDERS`] or a value cannot be turned
/// back: an unknown force id, an order type or status that is not one, a date that is not one,
/// or an `invalid` name that is no orders column.
pub fn order_from_row(row: &[Value]) -> Result<Order, Error> {
    let r = Reader::new(ORDERS, conduct_ingest::Table::Orders, row)?;
    Ok(Order {
        force: r.force(0)?,
        order_ref: r.text(1)?,
        order_type: r.required(
            2,
            OrderType::parse,
            "an order type (SPO, interim SPO, restraining order, non-molestation order, DVPO, other)",
        )?,
        incident_ref: r.text(3)?,
        applied_date: r.date(4)?,
        granted_date: r.date(5)?,
        expires_date: r.date(6)?,
        status: r.parsed(7, OrderStatus::parse, "an order status (applied, granted, refused, withdrawn, expired)")?,
        invalid: r.invalid(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Conn, Url};
    use conduct_ingest::{Ingest, Inputs};
    use proptest::prelude::*;
    use std::path::PathBuf;

    // ----- Generators: records conduct-ingest could accept. -----
    //
    // Two constraints come from the representation, and the reader honours both: a linked
    // reference holds no `;` (the list is `;`-joined; the reader splits `linked_refs` on `;`,
    // trims, drops empties and sorts), and `dob` and `phone_canonical` are what the reader
    // derives from `date_of_birth` and `phone`. Everything else is adversarial: empty strings,
    // `;`, quotes, any Unicode, very long values. No NUL: the reader removes NULs.

    fn any_force() -> impl Strategy<Value = Force> {
        prop::sample::select(Force::all_entries().collect::<Vec<_>>())
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (Date::MIN.days_since_epoch()..=Date::MAX.days_since_epoch()).prop_map(Date::from_days_since_epoch)
    }

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just(";".to_string()),
            Just(";;a; ;".to_string()),
            Just(" ".to_string()),
            Just("NULL".to_string()),
            Just("0".to_string()),
            Just("\"quoted\", comma\ttab\nnewline\\backslash".to_string()),
            "[^\\x00]{0,40}",
            "[a-zé€😀;,\"' ]{0,12}",
            ("[^\\x00]{1,6}", 2_000usize..12_000).prop_map(|(s, n)| s.repeat(n / s.len() + 1)),
        ]
    }

    /// A required value: the reader refuses an empty one.
    fn key_text() -> impl Strategy<Value = String> {
        any_text().prop_map(|s| if s.is_empty() { "k".to_string() } else { s })
    }

    fn any_offence_code() -> impl Strategy<Value = OffenceCode> {
        prop_oneof![
            prop::sample::select(vec!["8L", "8M", "8Q", "8R", "8U", "8/65", "105A", "195/12", " 8 l "]).prop_map(String::from),
            "[0-9]{1,3}[A-Za-z]{0,2}(/[0-9]{1,3})?",
        ]
        .prop_map(|s| OffenceCode::parse(&s).expect("a well-formed code"))
    }

    fn any_outcome() -> impl Strategy<Value = Option<OutcomeType>> {
        prop::option::of(prop::sample::select(OutcomeType::all().collect::<Vec<_>>()))
    }

    fn any_linked_refs() -> impl Strategy<Value = Vec<String>> {
        prop::collection::vec(prop_oneof!["[^;\\x00]{0,12}", "[A-Z]{2,3}-[0-9]{1,4}"], 0..6).prop_map(|v| {
            let mut v: Vec<String> = v.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            v.sort();
            v.dedup();
            v
        })
    }

    /// `invalid` as the reader makes it: some of the optional columns it checks, in order.
    fn any_invalid(names: &'static [&'static str]) -> impl Strategy<Value = Vec<&'static str>> {
        prop::sample::subsequence(names.to_vec(), 0..=names.len())
    }

    fn any_incident() -> impl Strategy<Value = Incident> {
        (
            (any_force(), key_text(), any_date(), prop::option::of(any_date()), any_offence_code(), any_text()),
            (prop::option::of(any::<bool>()), prop::option::of(any::<bool>()), any_linked_refs(), any_outcome()),
            (
                prop::option::of(any_date()),
                any_text(),
                any_invalid(&["occurred_date", "domestic_abuse", "cyber", "outcome_type", "outcome_date", "secondary_offence_codes"]),
                prop::collection::vec(any_offence_code(), 0..3),
            ),
        )
            .prop_map(
                |(
                    (force, incident_ref, recorded_date, occurred_date, offence_code, offence_description),
                    (domestic_abuse, cyber, linked_refs, outcome_type),
                    (outcome_date, narrative, invalid, secondary_offence_codes),
                )| {
                    let linked_refs = linked_refs.into_iter().filter(|r| *r != incident_ref).map(Into::into).collect();
                    Incident {
                        force,
                        incident_ref: incident_ref.into(),
                        recorded_date,
                        occurred_date,
                        offence_code,
                        offence_description: offence_description.into(),
                        domestic_abuse,
                        cyber,
                        linked_refs,
                        outcome_type,
                        outcome_date,
                        narrative: narrative.into(),
                        secondary_offence_codes,
                        invalid,
                    }
                },
            )
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop::sample::select(vec![Role::Victim, Role::Suspect, Role::Witness, Role::Other])
    }

    fn any_date_of_birth() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("0000-00-00".to_string()),
            Just("00000000".to_string()),
            Just("unknown".to_string()),
            any_date().prop_map(|d| d.to_string()),
            "[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?",
            "[0-9]{8}",
            "[0-9]{2}/[0-9]{2}/[0-9]{4}",
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}",
            any_text(),
        ]
    }

    fn any_phone() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("call me".to_string()),
            "07[0-9]{3} ?[0-9]{6}",
            "\\+44 ?\\(0\\)?[0-9]{2} ?[0-9]{4} ?[0-9]{4}",
            "\\+1 [0-9]{3} [0-9]{3} [0-9]{4}",
            any_text(),
        ]
    }

    fn any_involvement() -> impl Strategy<Value = Involvement> {
        (
            (any_force(), key_text(), key_text(), any_role(), any_text(), any_text(), any_text(), any_text()),
            (any_date_of_birth(), any_text(), any_text(), any_text(), any_phone(), any_text(), any_text(), any_text()),
            (any_text(), any_invalid(&["date_of_birth", "sex", "phone", "email"])),
        )
            .prop_map(
                |(
                    (force, record_id, incident_ref, role, local_person_id, forename, middle_names, surname),
                    (date_of_birth, sex, address, postcode, phone, email, online_handles, pnc_id),
                    (ni_number, invalid),
                )| {
                    let mut p = Involvement::new(&record_id, force, &incident_ref, role);
                    p.local_person_id = local_person_id.into();
                    p.forename = forename.into();
                    p.middle_names = middle_names.into();
                    p.surname = surname.into();
                    p.set_date_of_birth(date_of_birth);
                    p.sex = sex.into();
                    p.address = address.into();
                    p.postcode = postcode.into();
                    p.set_phone(phone);
                    p.email = email.into();
                    p.online_handles = online_handles.into();
                    p.pnc_id = pnc_id.into();
                    p.ni_number = ni_number.into();
                    p.invalid = invalid;
                    p
                },
            )
    }

    fn any_order() -> impl Strategy<Value = Order> {
        use OrderType::*;
        (
            (
                any_force(),
                key_text(),
                prop::sample::select(vec![Spo, InterimSpo, RestrainingOrder, NonMolestationOrder, Dvpo, Other]),
                key_text(),
            ),
            (prop::option::of(any_date()), prop::option::of(any_date()), prop::option::of(any_date())),
            (
                prop::option::of(prop::sample::select(vec![
                    OrderStatus::Applied,
                    OrderStatus::Granted,
                    OrderStatus::Refused,
                    OrderStatus::Withdrawn,
                    OrderStatus::Expired,
                ])),
                any_invalid(&["applied_date", "granted_date", "expires_date", "status"]),
            ),
        )
            .prop_map(
                |((force, order_ref, order_type, incident_ref), (applied_date, granted_date, expires_date), (status, invalid))| Order {
                    force,
                    order_ref,
                    order_type,
                    incident_ref,
                    applied_date,
                    granted_date,
                    expires_date,
                    status,
                    invalid,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn an_incident_round_trips_through_its_row(r in any_incident()) {
            let row = incident_row(&r);
            prop_assert_eq!(row.len(), INCIDENTS.names.len());
            prop_assert_eq!(incident_from_row(&row).map_err(|e| TestCaseError::fail(e.to_string()))?, r);
        }

        #[test]
        fn an_involvement_round_trips_through_its_row(r in any_involvement()) {
            let row = involvement_row(&r);
            prop_assert_eq!(row.len(), PEOPLE.names.len());
            prop_assert_eq!(involvement_from_row(&row).map_err(|e| TestCaseError::fail(e.to_string()))?, r);
        }

        #[test]
        fn an_order_round_trips_through_its_row(r in any_order()) {
            let row = order_row(&r);
            prop_assert_eq!(row.len(), ORDERS.names.len());
            prop_assert_eq!(order_from_row(&row).map_err(|e| TestCaseError::fail(e.to_string()))?, r);
        }
    }

    /// A people row read back holds its short texts inline (no allocation per field, which
    /// at 1.94M rows of 16 texts was most of a publication's read) and a long one whole.
    #[test]
    fn a_people_row_read_back_holds_short_texts_inline() {
        let mut p = Involvement::new("R000123", Force::resolve("Kent").unwrap(), "KE/2024/000001", Role::Victim);
        p.surname = "Whitcombe".into();
        p.address = "Flat 12, 345 Long Meadow Industrial Estate Road, Little Snoring".into();
        let back = involvement_from_row(&involvement_row(&p)).unwrap();
        assert_eq!(back, p);
        assert!(!back.record_id.is_heap_allocated() && !back.incident_ref.is_heap_allocated() && !back.surname.is_heap_allocated());
        assert!(back.address.is_heap_allocated());
    }

    /// A fresh workspace's database, opened through [`crate::db`].
    fn fresh_workspace() -> (tempfile::TempDir, Conn) {
        let dir = tempfile::tempdir().unwrap();
        drop(crate::Store::open_workspace(dir.path()).unwrap());
        let conn = Conn::open(&Url::Sqlite(dir.path().join(crate::DATABASE_FILE))).unwrap();
        (dir, conn)
    }

    fn select_in_order(conn: &mut Conn, columns: Columns) -> Vec<Row> {
        conn.query(&format!("{} ORDER BY rowid", columns.select_sql()), &[]).unwrap()
    }

    proptest! {
        // Each case makes a workspace: fewer cases.
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Through SQLite itself: what the database gives back for a row is the row.
        #[test]
        fn records_round_trip_through_sqlite(
            incidents in prop::collection::vec(any_incident(), 0..12),
            people in prop::collection::vec(any_involvement(), 0..12),
            orders in prop::collection::vec(any_order(), 0..12),
        ) {
            // Keys must be unique within a force.
            let incidents: Vec<Incident> =
                incidents.into_iter().enumerate().map(|(i, r)| Incident { incident_ref: format!("{}#{i}", r.incident_ref).into(), ..r }).collect();
            let people: Vec<Involvement> =
                people
                .into_iter()
                .enumerate()
                .map(|(i, mut r)| {
                    r.record_id = format!("{}#{i}", r.record_id).into();
                    r
                })
                .collect();
            let orders: Vec<Order> =
                orders.into_iter().enumerate().map(|(i, r)| Order { order_ref: format!("{}#{i}", r.order_ref), ..r }).collect();
            let (_dir, mut conn) = fresh_workspace();
            conn.bulk_insert(INCIDENTS.table, INCIDENTS.names, &incidents.iter().map(incident_row).collect::<Vec<_>>()).unwrap();
            conn.bulk_insert(PEOPLE.table, PEOPLE.names, &people.iter().map(involvement_row).collect::<Vec<_>>()).unwrap();
            conn.bulk_insert(ORDERS.table, ORDERS.names, &orders.iter().map(order_row).collect::<Vec<_>>()).unwrap();
            let back: Vec<Incident> = select_in_order(&mut conn, INCIDENTS).iter().map(|r| incident_from_row(r).unwrap()).collect();
            prop_assert_eq!(back, incidents);
            let back: Vec<Involvement> = select_in_order(&mut conn, PEOPLE).iter().map(|r| involvement_from_row(r).unwrap()).collect();
            prop_assert_eq!(back, people);
            let back: Vec<Order> = select_in_order(&mut conn, ORDERS).iter().map(|r| order_from_row(r).unwrap()).collect();
            prop_assert_eq!(back, orders);
        }
    }

    fn fixture(set: &str) -> Inputs {
        let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data")).join(set);
        Inputs {
            incidents: vec![dir.join("incidents.csv")],
            people: vec![dir.join("people.csv")],
            orders: vec![dir.join("orders.csv")],
            risk_assessments: Vec::new(),
        }
    }

    /// What `Store::import` writes reads back as exactly what conduct-ingest reads from the same
    /// files, and is written exactly as [`incident_row`] & co. write it.
    #[test]
    fn imported_rows_read_back_as_the_ingested_records() {
        let (mut invalid, mut dobs, mut phones, mut outcomes, mut links) = (0, 0, 0, 0, 0);
        for set in ["good", "bad", "hostile"] {
            let inputs = fixture(set);
            let dir = tempfile::tempdir().unwrap();
            let mut store = crate::Store::open_workspace(dir.path()).unwrap();
            store.import(&inputs, Ingest::new()).unwrap();
            drop(store);
            let (export, _) = Ingest::new().read_whole(&inputs).unwrap();
            assert!(!export.incidents.is_empty() && !export.people.is_empty() && !export.orders.is_empty(), "{set}");
            let mut conn = Conn::open(&Url::Sqlite(dir.path().join(crate::DATABASE_FILE))).unwrap();

            let rows = select_in_order(&mut conn, INCIDENTS);
            assert_eq!(rows.len(), export.incidents.len(), "{set}");
            for (row, record) in rows.iter().zip(&export.incidents) {
                assert_eq!(&incident_from_row(row).unwrap(), record, "{set}");
                assert_eq!(&incident_row(record), row, "{set}: same representation");
                invalid += record.invalid.len();
                outcomes += usize::from(record.outcome_type.is_some());
                links += record.linked_refs.len();
            }
            let rows = select_in_order(&mut conn, PEOPLE);
            assert_eq!(rows.len(), export.people.len(), "{set}");
            for (row, record) in rows.iter().zip(&export.people) {
                assert_eq!(&involvement_from_row(row).unwrap(), record, "{set}");
                assert_eq!(&involvement_row(record), row, "{set}: same representation");
                invalid += record.invalid.len();
                dobs += usize::from(record.dob().is_some());
                phones += usize::from(record.phone_canonical().is_some());
            }
            let rows = select_in_order(&mut conn, ORDERS);
            assert_eq!(rows.len(), export.orders.len(), "{set}");
            for (row, record) in rows.iter().zip(&export.orders) {
                assert_eq!(&order_from_row(row).unwrap(), record, "{set}");
                assert_eq!(&order_row(record), row, "{set}: same representation");
                invalid += record.invalid.len();
            }
        }
        // The fixtures exercise what is derived or joined, not only empty values.
        assert!(invalid > 0 && dobs > 0 && phones > 0 && outcomes > 0 && links > 0, "{invalid} {dobs} {phones} {outcomes} {links}");
    }

    #[test]
    fn a_screening_is_a_row_and_back_and_a_bad_tool_names_its_column() {
        let r = RiskAssessment {
            force: Force::resolve("Kent").unwrap(),
            incident_ref: "KEN-1".into(),
            assessed_date: Date::new(2022, 8, 24).unwrap(),
            tool: RiskTool::SDash,
            grade: Some(RiskGrade::High),
            yes_answers: vec!["frightened".into(), "threats".into()],
            assessor_notes: "he waits outside".into(),
            invalid: vec!["grade"],
        };
        let row = risk_assessment_row(&r);
        assert_eq!(row[5], Value::Text("frightened;threats".into()));
        assert_eq!(risk_assessment_from_row(&row).unwrap(), r);
        let bare = RiskAssessment { grade: None, yes_answers: Vec::new(), assessor_notes: String::new(), invalid: Vec::new(), ..r };
        assert_eq!(risk_assessment_from_row(&risk_assessment_row(&bare)).unwrap(), bare);
        let mut broken = row.clone();
        broken[3] = Value::Text("MARAC".into());
        let e = risk_assessment_from_row(&broken).unwrap_err().to_string();
        assert!(e.contains("tool") && e.contains("MARAC"), "{e}");
    }

    #[test]
    fn a_value_that_cannot_be_turned_back_names_table_column_and_key() {
        let good = Incident {
            force: Force::resolve("Merseyside").unwrap(),
            incident_ref: "MER-1".into(),
            recorded_date: Date::new(2023, 4, 2).unwrap(),
            occurred_date: None,
            offence_code: OffenceCode::parse("8L").unwrap(),
            offence_description: Text::default(),
            domestic_abuse: Some(true),
            cyber: None,
            linked_refs: vec!["MER-0".into()],
            outcome_type: OutcomeType::new(14),
            outcome_date: None,
            narrative: Text::default(),
            secondary_offence_codes: Vec::new(),
            invalid: vec!["cyber"],
        };
        let row = incident_row(&good);
        let broken = |c: &str, v: Value| {
            let mut row = row.clone();
            row[INCIDENTS.names.iter().position(|n| *n == c).unwrap()] = v;
            incident_from_row(&row).err().unwrap_or_else(|| panic!("{c} refused"))
        };
        for (c, v) in [
            ("force_id", Value::Int(250)),
            ("force_id", Value::Null),
            ("recorded_date", Value::Text("2023-02-30".into())),
            ("recorded_date", Value::Null),
            ("occurred_date", Value::Text("yesterday".into())),
            ("offence_code", Value::Text("harassment".into())),
            ("domestic_abuse", Value::Int(2)),
            ("outcome_type", Value::Int(99)),
            ("outcome_type", Value::Text("x".into())),
            ("invalid", Value::Text("cyber;officer_collar".into())),
        ] {
            let e = broken(c, v);
            let ErrorKind::BadRow { table, column, key, .. } = e.kind() else { panic!("{e}") };
            assert_eq!((*table, *column), ("incidents", c), "{e}");
            assert!(key.contains("MER-1"), "{e}");
            assert!(e.to_string().contains(c) && e.to_string().contains("MER-1"), "{e}");
        }
        let e = incident_from_row(&row[..5]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::BadRow { column: "offence_class", .. }), "{e}");

        let p = involvement_row(&Involvement::new("P-1", good.force, "MER-1", Role::Victim));
        let mut bad = p.clone();
        bad[3] = Value::Text("bystander".into());
        let e = involvement_from_row(&bad).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::BadRow { table: "people", column: "role", key, .. } if key.contains("P-1")), "{e}");
        let mut bad = p;
        bad[17] = Value::Text("force_id".into());
        assert!(involvement_from_row(&bad).is_err(), "force_id is a store column, not a contract column");

        let o = Order {
            force: good.force,
            order_ref: "O-1".into(),
            order_type: OrderType::Spo,
            incident_ref: "MER-1".into(),
            applied_date: None,
            granted_date: None,
            expires_date: None,
            status: None,
            invalid: vec![],
        };
        for (c, v) in [(2, "curfew"), (7, "pending review"), (6, "9999-99-99")] {
            let mut bad = order_row(&o);
            bad[c] = Value::Text(v.into());
            let e = order_from_row(&bad).unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::BadRow { table: "orders", column, key, .. } if *column == ORDERS.names[c] && key.contains("O-1")),
                "{e}"
            );
        }
    }

    #[test]
    fn null_text_is_the_empty_string_and_empty_text_is_stored_as_null() {
        let p = Involvement::new("P-1", Force::resolve("Kent").unwrap(), "K-1", Role::Witness);
        let row = involvement_row(&p);
        assert!(row[4..].iter().all(|v| *v == Value::Null), "{row:?}");
        assert_eq!(involvement_from_row(&row).unwrap(), p);
    }
}

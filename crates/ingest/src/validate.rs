//! Turns a row's text cells into a record, or says why it cannot be used.
//!
//! The rule: a missing or unusable *required* value rejects the row; a bad *optional* value is
//! kept as unknown, named in the record's `invalid` list and counted as a warning. Cross-row
//! checks (duplicates, references between files) are in [`crate::ingest`].

use std::collections::HashMap;

use conduct_domain::value::{canonical_email, canonical_phone, parse_bool};
use conduct_domain::{
    Date, Force, ForceKind, Incident, Involvement, OffenceCode, Order, OrderStatus, OrderType, OutcomeType, PartialDate, Role,
};

use crate::limits::shown;
use crate::schema::Table;
use crate::source::RawRow;

/// Why a row was rejected: the contract column at fault (if one is) and the reason.
#[derive(Debug)]
pub(crate) struct RowFault {
    pub column: Option<usize>,
    pub reason: String,
}

/// An optional value that was kept as unknown.
#[derive(Debug)]
pub(crate) struct ValueFault {
    pub column: usize,
    pub reason: String,
}

/// A validated row and the warnings it raised.
pub(crate) type Checked<T> = Result<(T, Vec<ValueFault>), RowFault>;

fn take(row: &mut RawRow, c: usize) -> String {
    let v = std::mem::take(&mut row.fields[c]);
    let t = v.trim();
    if t.len() == v.len() { v } else { t.to_string() }
}

fn required(row: &mut RawRow, table: Table, c: usize) -> Result<String, RowFault> {
    let v = take(row, c);
    if v.is_empty() {
        let name = table.columns()[c].name;
        return Err(RowFault { column: Some(c), reason: format!("required value {name} is empty or its column is missing") });
    }
    Ok(v)
}

/// Answers for values that repeat on every row (force names, offence codes), so each distinct
/// spelling is resolved once per import. Bounded: past `LIMIT` spellings it stops remembering.
#[derive(Default)]
pub(crate) struct Lookups {
    forces: HashMap<String, Result<Force, String>>,
    codes: HashMap<String, Result<OffenceCode, String>>,
}

const LIMIT: usize = 10_000;

fn cached<T: Clone>(
    map: &mut HashMap<String, Result<T, String>>,
    raw: &str,
    resolve: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    if let Some(r) = map.get(raw) {
        return r.clone();
    }
    let r = resolve(raw);
    if map.len() < LIMIT {
        map.insert(raw.to_string(), r.clone());
    }
    r
}

impl Lookups {
    fn force(&mut self, row: &mut RawRow, table: Table, c: usize) -> Result<Force, RowFault> {
        let v = required(row, table, c)?;
        cached(&mut self.forces, &v, |v| match Force::resolve(v) {
            Ok(f) if f.kind() == ForceKind::Force => Ok(f),
            Ok(f) => Err(format!("{} is not a police force", f.name())),
            Err(e) => Err(e.to_string()),
        })
        .map_err(|reason| RowFault { column: Some(c), reason })
    }

    fn offence_code(&mut self, row: &mut RawRow, table: Table, c: usize) -> Result<OffenceCode, RowFault> {
        let v = required(row, table, c)?;
        cached(&mut self.codes, &v, |v| OffenceCode::parse(v).map_err(|e| e.to_string()))
            .map_err(|reason| RowFault { column: Some(c), reason })
    }
}

/// The earliest date any record may carry (DESIGN.md, "Plausible values").
fn earliest() -> Date {
    Date::new(1900, 1, 1).expect("a real day")
}

/// Whether a date is one an event already past may carry: from 1900-01-01 to a day after
/// `today` (an export written just after midnight elsewhere).
fn plausible_past(d: Date, today: Date) -> bool {
    d >= earliest() && d <= today.add_days(1)
}

struct Warnings(Vec<ValueFault>);

impl Warnings {
    fn add(&mut self, column: usize, reason: impl Into<String>) {
        self.0.push(ValueFault { column, reason: reason.into() });
    }

    /// An optional date; with `today`, one of an event already past, which must be plausible
    /// ([`plausible_past`]); without, any date from 1900 on (an order's expiry).
    fn date(&mut self, row: &mut RawRow, c: usize, invalid: &mut Vec<&'static str>, table: Table, today: Option<Date>) -> Option<Date> {
        let v = take(row, c);
        if v.is_empty() {
            return None;
        }
        let name = table.columns()[c].name;
        match Date::parse(&v) {
            Ok(d) if d < earliest() => {
                self.add(c, format!("{d} is before 1900, not a plausible {name}; kept as unknown"));
                invalid.push(name);
                None
            }
            Ok(d) if today.is_some_and(|t| !plausible_past(d, t)) => {
                self.add(c, format!("{d} is in the future, not a plausible {name}; kept as unknown"));
                invalid.push(name);
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.add(c, format!("{e}; kept as unknown"));
                invalid.push(name);
                None
            }
        }
    }

    fn boolean(&mut self, row: &mut RawRow, c: usize, invalid: &mut Vec<&'static str>, table: Table) -> Option<bool> {
        let v = take(row, c);
        parse_bool(&v).unwrap_or_else(|e| {
            self.add(c, format!("{e}; kept as unknown"));
            invalid.push(table.columns()[c].name);
            None
        })
    }
}

fn recoded_warnings(row: &RawRow, w: &mut Warnings) {
    for &c in &row.recoded {
        w.add(c, "not valid UTF-8; read as Windows-1252");
    }
    for &c in &row.nul_removed {
        w.add(c, "held NUL characters, which were removed");
    }
}

/// Validates an incidents row.
pub(crate) fn incident(row: &mut RawRow, today: Date, lk: &mut Lookups) -> Checked<Incident> {
    let t = Table::Incidents;
    let mut w = Warnings(Vec::new());
    recoded_warnings(row, &mut w);
    let force = lk.force(row, t, 0)?;
    let incident_ref = required(row, t, 1)?;
    let recorded = required(row, t, 2)?;
    let recorded_date =
        Date::parse(&recorded).map_err(|e| RowFault { column: Some(2), reason: format!("recorded_date {}: {e}", shown(&recorded)) })?;
    if !plausible_past(recorded_date, today) {
        let when = if recorded_date < earliest() { "before 1900".to_string() } else { format!("after today ({today})") };
        return Err(RowFault {
            column: Some(2),
            reason: format!("recorded_date {recorded_date} is {when}: not a plausible date of recording"),
        });
    }
    let offence_code = lk.offence_code(row, t, 4)?;
    let mut invalid = Vec::new();
    let occurred_date = w.date(row, 3, &mut invalid, t, Some(today));
    if occurred_date.is_some_and(|o| o > recorded_date) {
        w.add(3, "occurred after it was recorded; kept as given");
    }
    let domestic_abuse = w.boolean(row, 6, &mut invalid, t);
    let cyber = w.boolean(row, 7, &mut invalid, t);
    let links = take(row, 8);
    let mut linked_refs: Vec<String> =
        links.split(';').map(str::trim).filter(|r| !r.is_empty() && *r != incident_ref).map(String::from).collect();
    linked_refs.sort();
    linked_refs.dedup();
    let outcome = take(row, 9);
    let outcome_type = if outcome.is_empty() {
        None
    } else {
        let o = OutcomeType::parse(&outcome);
        if o.is_none() {
            w.add(9, format!("{} is not a Home Office outcome type (0-22); kept as unknown", shown(&outcome)));
            invalid.push("outcome_type");
        }
        o
    };
    let outcome_date = w.date(row, 10, &mut invalid, t, Some(today));
    if outcome_date.is_some_and(|o| o < recorded_date) {
        w.add(10, "outcome dated before the crime was recorded; kept as given");
    }
    Ok((
        Incident {
            force,
            incident_ref,
            recorded_date,
            occurred_date,
            offence_code,
            offence_description: take(row, 5),
            domestic_abuse,
            cyber,
            linked_refs,
            outcome_type,
            outcome_date,
            narrative: take(row, 11),
            invalid,
        },
        w.0,
    ))
}

/// Normalises a postcode's spacing and case; other countries' formats are kept as strings.
/// (Most values are already upper-case with single spaces and are returned as they are.)
fn postcode(s: String) -> String {
    let tidy = !s.bytes().any(|b| b.is_ascii_lowercase()) && !s.contains("  ") && !s.contains(['\t', '\n', '\r']);
    if tidy {
        return s;
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_uppercase()
}

fn sex(s: String) -> Result<String, String> {
    const MALE: &[&str] = &["m", "male", "man"];
    const FEMALE: &[&str] = &["f", "female", "woman"];
    const OTHER: &[&str] = &["u", "unknown", "not known", "not stated", "x", "other", "non-binary", "nonbinary"];
    let is = |words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
    if s.is_empty() || s == "M" || s == "F" {
        Ok(s)
    } else if is(MALE) {
        Ok("M".into())
    } else if is(FEMALE) {
        Ok("F".into())
    } else if is(OTHER) {
        Ok(s)
    } else {
        Err(s)
    }
}

/// Upper-cases an identifier and drops spaces, without copying one that is already so.
fn identifier(s: String) -> String {
    if s.bytes().any(|b| b.is_ascii_lowercase() || b == b' ') { s.to_ascii_uppercase().replace(' ', "") } else { s }
}

/// Validates a people row. `today` bounds plausible years of birth.
pub(crate) fn involvement(row: &mut RawRow, today: Date, lk: &mut Lookups) -> Checked<Involvement> {
    let this_year = today.year();
    let t = Table::People;
    let mut w = Warnings(Vec::new());
    recoded_warnings(row, &mut w);
    let record_id = required(row, t, 0)?;
    let force = lk.force(row, t, 1)?;
    let incident_ref = required(row, t, 2)?;
    let role_text = required(row, t, 3)?;
    let role = Role::parse(&role_text).ok_or_else(|| RowFault {
        column: Some(3),
        reason: format!("{} is not a role (victim, suspect, witness or other)", shown(&role_text)),
    })?;
    let mut invalid = Vec::new();
    let date_of_birth = take(row, 8);
    let dob = if date_of_birth.is_empty() {
        None
    } else {
        match PartialDate::parse(&date_of_birth) {
            None => {
                w.add(8, "not a date; kept as given and marked invalid");
                invalid.push("date_of_birth");
                None
            }
            Some(p) if p == PartialDate::default() => {
                w.add(8, "a placeholder (all zeros), not a date; kept as given and marked invalid");
                invalid.push("date_of_birth");
                None
            }
            Some(p) => {
                if !is_iso_shaped(&date_of_birth) {
                    w.add(8, format!("not ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY); read as {p} and marked invalid"));
                    invalid.push("date_of_birth");
                } else if !p.is_plausible(this_year) {
                    w.add(8, "impossible date of birth; components kept for comparison and marked invalid");
                    invalid.push("date_of_birth");
                }
                Some(p)
            }
        }
    };
    let sex = sex(take(row, 9)).unwrap_or_else(|given| {
        w.add(9, "not a recognised sex (M/F/male/female/unknown); kept as given");
        invalid.push("sex");
        given
    });
    let phone = take(row, 12);
    let phone_canonical = if phone.is_empty() { None } else { canonical_phone(&phone) };
    if !phone.is_empty() && phone_canonical.is_none() {
        w.add(12, "not a valid phone number; kept as given and marked invalid");
        invalid.push("phone");
    }
    let email = take(row, 13);
    if !email.is_empty() && canonical_email(&email).is_none() {
        w.add(13, "not a valid e-mail address; kept as given and marked invalid");
        invalid.push("email");
    }
    Ok((
        Involvement {
            record_id,
            force,
            incident_ref,
            role,
            local_person_id: take(row, 4),
            forename: take(row, 5),
            middle_names: take(row, 6),
            surname: take(row, 7),
            date_of_birth,
            dob,
            sex,
            address: take(row, 10),
            postcode: postcode(take(row, 11)),
            phone,
            phone_canonical,
            email,
            online_handles: take(row, 14),
            pnc_id: identifier(take(row, 15)),
            ni_number: identifier(take(row, 16)),
            invalid,
        },
        w.0,
    ))
}

/// Whether a date of birth is written the contract's way: `YYYY-MM-DD` (a time may follow),
/// `YYYY-MM` or `YYYY`.
fn is_iso_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    let d = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    match b.len() {
        4 => d(0..4),
        7 => d(0..4) && b[4] == b'-' && d(5..7),
        n if n >= 10 => d(0..4) && b[4] == b'-' && d(5..7) && b[7] == b'-' && d(8..10),
        _ => false,
    }
}

/// Validates an orders row.
pub(crate) fn order(row: &mut RawRow, today: Date, lk: &mut Lookups) -> Checked<Order> {
    let t = Table::Orders;
    let mut w = Warnings(Vec::new());
    recoded_warnings(row, &mut w);
    let force = lk.force(row, t, 0)?;
    let order_ref = required(row, t, 1)?;
    let type_text = required(row, t, 2)?;
    let order_type = OrderType::parse(&type_text).ok_or_else(|| RowFault {
        column: Some(2),
        reason: format!(
            "{} is not an order type (SPO, interim SPO, restraining order, non-molestation order, DVPO, other)",
            shown(&type_text)
        ),
    })?;
    let incident_ref = required(row, t, 3)?;
    let mut invalid = Vec::new();
    let applied_date = w.date(row, 4, &mut invalid, t, Some(today));
    let granted_date = w.date(row, 5, &mut invalid, t, Some(today));
    // An order may expire far ahead; open-ended orders are often written 9999-12-31.
    let expires_date = w.date(row, 6, &mut invalid, t, None);
    let status_text = take(row, 7);
    let status = if status_text.is_empty() {
        None
    } else {
        let s = OrderStatus::parse(&status_text);
        if s.is_none() {
            w.add(7, format!("{} is not a status (applied, granted, refused, withdrawn, expired); kept as unknown", shown(&status_text)));
            invalid.push("status");
        }
        s
    };
    if let (Some(a), Some(g)) = (applied_date, granted_date) {
        if g < a {
            w.add(5, "granted before it was applied for; kept as given");
        }
    }
    if let (Some(g), Some(e)) = (granted_date, expires_date) {
        if e < g {
            w.add(6, "expires before it was granted; kept as given");
        }
    }
    Ok((Order { force, order_ref, order_type, incident_ref, applied_date, granted_date, expires_date, status, invalid }, w.0))
}

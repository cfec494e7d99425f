//! Turns a row's text cells into a record, or says why it cannot be used.
//!
//! The rule: a missing or unusable *required* value rejects the row; a bad *optional* value is
//! kept as unknown, named in the record's `invalid` list and counted as a warning. Cross-row
//! checks (duplicates, references between files) are in [`crate::ingest`].

use std::collections::HashMap;

use conduct_domain::value::{canonical_email, parse_bool};
use conduct_domain::{
    Date, Force, ForceKind, Incident, Involvement, OffenceCode, Order, OrderStatus, OrderType, OutcomeType, PartialDate, RiskAssessment,
    RiskGrade, RiskTool, Role, Text,
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
        self.code(&v).map_err(|reason| RowFault { column: Some(c), reason })
    }

    fn code(&mut self, v: &str) -> Result<OffenceCode, String> {
        cached(&mut self.codes, v, |v| OffenceCode::parse(v).map_err(|e| e.to_string()))
    }
}

/// Longest list of `;`-separated items (secondary codes, yes answers) read from one cell;
/// the rest are left out with a warning. No real record holds more.
const MAX_LIST_ITEMS: usize = 64;

/// The items of a `;`-separated cell, trimmed, empty ones skipped, at most
/// [`MAX_LIST_ITEMS`]; and whether there were more.
fn list_items(v: &str) -> (Vec<&str>, bool) {
    let mut items: Vec<&str> = v.split(';').map(str::trim).filter(|t| !t.is_empty()).collect();
    let over = items.len() > MAX_LIST_ITEMS;
    items.truncate(MAX_LIST_ITEMS);
    (items, over)
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
    let mut linked_refs: Vec<Text> =
        links.split(';').map(str::trim).filter(|r| !r.is_empty() && *r != incident_ref).map(Text::from).collect();
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
    let secondary = take(row, 12);
    let mut secondary_offence_codes: Vec<OffenceCode> = Vec::new();
    if !secondary.is_empty() {
        let (items, over) = list_items(&secondary);
        let mut bad = Vec::new();
        for item in items {
            match lk.code(item) {
                Ok(c) if c == offence_code || secondary_offence_codes.contains(&c) => {}
                Ok(c) => secondary_offence_codes.push(c),
                Err(_) => bad.push(shown(item)),
            }
        }
        if !bad.is_empty() {
            w.add(12, format!("{} not a Home Office offence code; left out, the other codes kept", plural_list(&bad)));
            invalid.push("secondary_offence_codes");
        }
        if over {
            w.add(12, format!("more than {MAX_LIST_ITEMS} codes; the first {MAX_LIST_ITEMS} read, the rest left out"));
        }
    }
    Ok((
        Incident {
            force,
            incident_ref: incident_ref.into(),
            recorded_date,
            occurred_date,
            offence_code,
            offence_description: take(row, 5).into(),
            domestic_abuse,
            cyber,
            linked_refs,
            outcome_type,
            outcome_date,
            narrative: take(row, 11).into(),
            secondary_offence_codes,
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
    let mut p = Involvement::new(&record_id, force, &incident_ref, role);
    // The components and the canonical phone are derived by the setters, as for every
    // involvement; the warnings below only say what they found.
    let date_of_birth = take(row, 8);
    let dob_given = !date_of_birth.is_empty();
    p.set_date_of_birth(date_of_birth);
    if dob_given {
        match p.dob() {
            None if PartialDate::parse(p.date_of_birth()) == Some(PartialDate::default()) => {
                w.add(8, "a placeholder (all zeros), not a date; kept as given and marked invalid");
                invalid.push("date_of_birth");
            }
            None => {
                w.add(8, "not a date; kept as given and marked invalid");
                invalid.push("date_of_birth");
            }
            Some(d) => {
                if !is_iso_shaped(p.date_of_birth()) {
                    w.add(8, format!("not ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY); read as {d} and marked invalid"));
                    invalid.push("date_of_birth");
                } else if !d.is_plausible(this_year) {
                    w.add(8, "impossible date of birth; components kept for comparison and marked invalid");
                    invalid.push("date_of_birth");
                }
            }
        }
    }
    let sex = sex(take(row, 9)).unwrap_or_else(|given| {
        w.add(9, "not a recognised sex (M/F/male/female/unknown); kept as given");
        invalid.push("sex");
        given
    });
    let phone = take(row, 12);
    let phone_given = !phone.is_empty();
    p.set_phone(phone);
    if phone_given && p.phone_canonical().is_none() {
        w.add(12, "not a valid phone number; kept as given and marked invalid");
        invalid.push("phone");
    }
    let email = take(row, 13);
    if !email.is_empty() && canonical_email(&email).is_none() {
        w.add(13, "not a valid e-mail address; kept as given and marked invalid");
        invalid.push("email");
    }
    p.local_person_id = take(row, 4).into();
    p.forename = take(row, 5).into();
    p.middle_names = take(row, 6).into();
    p.surname = take(row, 7).into();
    p.sex = sex.into();
    p.address = take(row, 10).into();
    p.postcode = postcode(take(row, 11)).into();
    p.email = email.into();
    p.online_handles = take(row, 14).into();
    p.pnc_id = identifier(take(row, 15)).into();
    p.ni_number = identifier(take(row, 16)).into();
    p.invalid = invalid;
    Ok((p, w.0))
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

/// "\"X\" is" or "\"X\", \"Y\" are", for warnings that name the values left out.
fn plural_list(items: &[String]) -> String {
    if items.len() == 1 { format!("{} is", items[0]) } else { format!("{} are", items.join(", ")) }
}

/// Validates a risk_assessments row: the force, incident and date are required (a date must be
/// a real day, not after today and not before 1900), the tool must be one of the contract's;
/// a grade that is none of `standard`, `medium`, `high` is kept as unknown, and a yes answer
/// that is not one of the tool's question ids is left out; each with a warning.
pub(crate) fn risk_assessment(row: &mut RawRow, today: Date, lk: &mut Lookups) -> Checked<RiskAssessment> {
    let t = Table::RiskAssessments;
    let mut w = Warnings(Vec::new());
    recoded_warnings(row, &mut w);
    let force = lk.force(row, t, 0)?;
    let incident_ref = required(row, t, 1)?;
    let assessed = required(row, t, 2)?;
    let assessed_date =
        Date::parse(&assessed).map_err(|e| RowFault { column: Some(2), reason: format!("assessed_date {}: {e}", shown(&assessed)) })?;
    if !plausible_past(assessed_date, today) {
        let when = if assessed_date < earliest() { "before 1900".to_string() } else { format!("after today ({today})") };
        return Err(RowFault {
            column: Some(2),
            reason: format!("assessed_date {assessed_date} is {when}: not a plausible date of screening"),
        });
    }
    let tool_text = required(row, t, 3)?;
    let tool = RiskTool::parse(&tool_text).ok_or_else(|| RowFault {
        column: Some(3),
        reason: format!("{} is not a screening tool (DASH, S-DASH, SASH or other)", shown(&tool_text)),
    })?;
    let mut invalid = Vec::new();
    let grade_text = take(row, 4);
    let grade = if grade_text.is_empty() {
        None
    } else {
        let g = RiskGrade::parse(&grade_text);
        if g.is_none() {
            w.add(4, format!("{} is not a grade (standard, medium, high); kept as unknown", shown(&grade_text)));
            invalid.push("grade");
        }
        g
    };
    let answers = take(row, 5);
    let mut yes_answers: Vec<String> = Vec::new();
    let (items, over) = list_items(&answers);
    let mut bad: Vec<String> = Vec::new();
    let mut why = String::new();
    for item in items {
        match tool.answer(item) {
            Ok(a) if yes_answers.contains(&a) => {}
            Ok(a) => yes_answers.push(a),
            Err(e) => {
                bad.push(shown(item));
                why = e;
            }
        }
    }
    if !bad.is_empty() {
        w.add(5, format!("{} {why}; left out, the other answers kept", plural_list(&bad)));
        invalid.push("yes_answers");
    }
    if over {
        w.add(5, format!("more than {MAX_LIST_ITEMS} answers; the first {MAX_LIST_ITEMS} read, the rest left out"));
    }
    Ok((RiskAssessment { force, incident_ref, assessed_date, tool, grade, yes_answers, assessor_notes: take(row, 6), invalid }, w.0))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn today() -> Date {
        Date::new(2026, 1, 1).unwrap()
    }

    fn raw(cells: &[&str]) -> RawRow {
        RawRow { line: 2, fields: cells.iter().map(|c| c.to_string()).collect(), ..RawRow::default() }
    }

    fn screening(cells: &[&str]) -> Checked<RiskAssessment> {
        risk_assessment(&mut raw(cells), today(), &mut Lookups::default())
    }

    #[test]
    fn a_screening_row_is_read_with_its_answers_in_the_tools_ids() {
        let (r, w) =
            screening(&["Kent", "K-1", "2022-08-24", "S-DASH", "High", "Frightened; visits-3-per-week;;threats;frightened", "notes"])
                .unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(r.tool, RiskTool::SDash);
        assert_eq!(r.grade, Some(RiskGrade::High));
        assert_eq!(r.yes_answers, ["frightened", "visits_3_per_week", "threats"], "canonical, each once, in the order given");
        assert_eq!(r.assessor_notes, "notes");
        let (d, _) = screening(&["Kent", "K-1", "2022-08-24", "dash", "", "Q8;q27", ""]).unwrap();
        assert_eq!((d.tool, d.grade, d.yes_answers), (RiskTool::Dash, None, vec!["q8".to_string(), "q27".to_string()]));
    }

    #[test]
    fn a_screening_without_a_usable_tool_date_force_or_incident_is_rejected_at_its_column() {
        for (cells, column, words) in [
            (["Kent", "K-1", "2022-08-24", "MARAC", "", "", ""], 3, "not a screening tool"),
            (["Kent", "K-1", "2022-08-24", "", "", "", ""], 3, "required value tool"),
            (["Kent", "K-1", "24/08/2022", "DASH", "", "", ""], 2, "assessed_date"),
            (["Kent", "K-1", "2022-02-30", "DASH", "", "", ""], 2, "no such day"),
            (["Kent", "K-1", "2031-01-01", "DASH", "", "", ""], 2, "after today"),
            (["Kent", "K-1", "1850-01-01", "DASH", "", "", ""], 2, "before 1900"),
            (["Kentshire", "K-1", "2022-08-24", "DASH", "", "", ""], 0, "Kent"),
            (["Action Fraud", "K-1", "2022-08-24", "DASH", "", "", ""], 0, "not a police force"),
            (["Kent", " ", "2022-08-24", "DASH", "", "", ""], 1, "required value incident_ref"),
        ] {
            let e = screening(&cells).unwrap_err();
            assert_eq!(e.column, Some(column), "{cells:?}: {e:?}");
            assert!(e.reason.contains(words), "{cells:?}: {}", e.reason);
        }
    }

    #[test]
    fn a_bad_grade_or_answer_costs_only_that_value() {
        let (r, w) = screening(&["Kent", "K-1", "2022-08-24", "S-DASH", "severe", "frightened;sleepless;q3", ""]).unwrap();
        assert_eq!(r.grade, None);
        assert_eq!(r.yes_answers, ["frightened"]);
        assert_eq!(r.invalid, ["grade", "yes_answers"]);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].column, 4);
        assert!(w[1].reason.starts_with("\"sleepless\", \"q3\" are not an S-DASH question id"), "{}", w[1].reason);
        let (s, w) = screening(&["Kent", "K-1", "2022-08-24", "SASH", "", "q13;q16;q17", ""]).unwrap();
        assert_eq!(s.yes_answers, ["q13", "q16"]);
        assert!(w[0].reason.contains("q1 to q16"), "{}", w[0].reason);
        let many = vec!["frightened"; 100].join(";") + ";q1";
        let (_, w) = screening(&["Kent", "K-1", "2022-08-24", "S-DASH", "", &many, ""]).unwrap();
        assert!(w.iter().any(|w| w.reason.starts_with("more than 64 answers")), "{w:?}");
    }

    #[test]
    fn secondary_offence_codes_are_read_each_once_and_a_bad_one_is_a_warning() {
        let mut cells = vec!["Kent", "K-1", "2022-08-24", "", "58A", "Criminal damage", "", "", "", "", "", "", "8Q; 8q ;ZZZ!;58A;8/66;"];
        let (i, w) = incident(&mut raw(&cells), today(), &mut Lookups::default()).unwrap();
        let codes: Vec<&str> = i.secondary_offence_codes.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes, ["8Q", "8/66"], "the principal code and repeats are left out");
        assert!(i.stalking_or_harassment_only_secondary() && i.is_stalking_or_harassment());
        assert_eq!(i.invalid, ["secondary_offence_codes"]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].column, 12);
        cells[12] = "";
        let (plain, w) = incident(&mut raw(&cells), today(), &mut Lookups::default()).unwrap();
        assert!(plain.secondary_offence_codes.is_empty() && w.is_empty() && !plain.is_stalking_or_harassment());
    }

    proptest! {
        /// Whatever the cells hold, a screening row is accepted or rejected, never a panic; an
        /// accepted one holds only its tool's question ids, each once, at most 64, and a
        /// required column the reject names is one of the four required ones.
        #[test]
        fn adversarial_screening_rows_never_panic_and_keep_only_valid_answers(
            force in prop::sample::select(vec!["Kent", "kent", "Kentshire", "", "Action Fraud", "Met"]),
            incident_ref in "[ -~]{0,12}",
            date in prop_oneof![Just("2022-08-24".to_string()), Just("2099-01-01".to_string()), "[0-9/ -]{0,12}"],
            tool in prop_oneof![
                prop::sample::select(vec!["DASH", "S-DASH", "s dash", "SASH", "other", "MARAC", ""]).prop_map(String::from),
                "\\PC{0,8}"
            ],
            grade in "\\PC{0,8}",
            answers in prop::collection::vec(
                prop_oneof![
                    prop::sample::select(vec!["frightened", "threats", "q8", "Q08", "q0", "q99", "loitering", ";", ""]).prop_map(String::from),
                    "\\PC{0,6}"
                ],
                0..80,
            ),
            notes in "\\PC{0,20}",
        ) {
            let answers = answers.join(";");
            let cells = [force, &incident_ref, &date, &tool, &grade, &answers, &notes];
            match screening(&cells) {
                Ok((r, warnings)) => {
                    prop_assert!(r.yes_answers.len() <= MAX_LIST_ITEMS);
                    for a in &r.yes_answers {
                        let again = r.tool.answer(a);
                        prop_assert_eq!(again.as_deref(), Ok(a.as_str()), "an answer is canonical for its tool");
                    }
                    let mut unique = r.yes_answers.clone();
                    unique.sort();
                    unique.dedup();
                    prop_assert_eq!(unique.len(), r.yes_answers.len());
                    prop_assert!(r.assessed_date <= today().add_days(1));
                    prop_assert_eq!(r.invalid.is_empty(), warnings.iter().all(|w| w.column != 4 && w.column != 5 || w.reason.starts_with("more than")));
                }
                Err(e) => prop_assert!(matches!(e.column, Some(0..=3)), "{:?}", e),
            }
        }
    }
}

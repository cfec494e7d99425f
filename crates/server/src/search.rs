//! Search: find a person or a course among the records a user may see identifiably, by name
//! (fuzzy, with the linkage's own normalisation: folded names, the nickname table, the phonetic
//! key and Jaro-Winkler), by incident reference, or by date of birth. Scoped and audited like a
//! read: an analyst searches their own force (and forces granted to them), a reviewer the
//! forces granted to them, an administrator every force. The audit entry says what kind of
//! search it was and which persons it showed, never the words searched for (they are a name).

use std::collections::BTreeMap;

use conduct_domain::{Date, Force};
use conduct_resolve::compare::jw;
use conduct_resolve::normalise::{Nicknames, fold_name, fold_text, phonetic_key};
use serde::Serialize;

use crate::audit::Entry;
use crate::auth::{Access, User};
use crate::db::{Conn, Value};
use crate::error::ApiError;
use crate::views::Viewed;

/// The most persons a search shows.
pub const MAX_PERSONS: usize = 50;

/// Query of a search.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A name ("Amy Lowther", "lowther", "Amy Lowthar"), an incident reference, a person or
    /// course id, or a date of birth (2001-05-03 or 03/05/2001).
    pub q: Option<String>,
}

/// What a search was taken to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchKind {
    /// A name.
    Name,
    /// An incident reference, or a person or course id.
    Reference,
    /// A date of birth.
    DateOfBirth,
}

impl SearchKind {
    fn as_str(self) -> &'static str {
        match self {
            SearchKind::Name => "name",
            SearchKind::Reference => "reference",
            SearchKind::DateOfBirth => "date of birth",
        }
    }
}

/// One person found, with the record that matched best.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Found {
    /// The person.
    pub person_id: String,
    /// The matching record's force.
    pub force: String,
    /// Its forename and surname.
    pub name: String,
    /// Its date of birth, as recorded.
    pub date_of_birth: Option<String>,
    /// The report it is from.
    pub incident_ref: String,
    /// victim, suspect, witness…
    pub role: String,
    /// Why it matched, in words ("surname sounds like", "reference", …).
    pub why: String,
    /// How well (1 for an exact match).
    pub score: f64,
    /// The courses the person is in as victim or suspect.
    pub courses: Vec<String>,
}

/// A search's results.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    /// What the search was taken to be (null for an empty query).
    pub kind: Option<SearchKind>,
    /// The forces searched.
    pub forces: Vec<String>,
    /// Persons found, best first (at most 50).
    pub persons: Vec<Found>,
    /// Courses found by reference or id.
    pub courses: Vec<String>,
    /// Whether more persons matched than are shown.
    pub truncated: bool,
}

/// A date of birth as typed: ISO or day/month/year.
fn as_date(q: &str) -> Option<Date> {
    if let Ok(d) = Date::parse(q) {
        return Some(d);
    }
    let parts: Vec<&str> = q.split(['/', '.', '-']).collect();
    if let [d, m, y] = parts[..] {
        let (d, m, y): (u32, u32, i32) = (d.parse().ok()?, m.parse().ok()?, y.parse().ok()?);
        return Date::new(y, m, d);
    }
    None
}

/// How a typed name compares with a record's: a score and why, or None.
fn name_match(nick: &Nicknames, typed: &[String], forename: &str, surname: &str) -> Option<(f64, String)> {
    let (f, s) = (fold_name(forename), fold_name(surname));
    let surname_score = |t: &str| -> Option<(f64, &'static str)> {
        if s.is_empty() {
            return None;
        }
        if t == s {
            Some((1.0, "surname"))
        } else if phonetic_key(t) == phonetic_key(&s) && t.len() >= 3 {
            Some((0.93, "surname sounds like"))
        } else {
            let j = jw(t, &s);
            (j >= 0.9).then_some((j, "surname spelled like"))
        }
    };
    let forename_score = |t: &str| -> Option<(f64, &'static str)> {
        if f.is_empty() {
            return None;
        }
        if t == f {
            Some((1.0, "forename"))
        } else if nick.group_of(t) == nick.group_of(&f) {
            Some((0.95, "forename (a form of it)"))
        } else if t.len() == 1 && f.starts_with(t) {
            Some((0.85, "initial"))
        } else {
            let j = jw(t, &f);
            (j >= 0.9).then_some((j, "forename spelled like"))
        }
    };
    match typed {
        [] => None,
        [one] => {
            let best = [surname_score(one), forename_score(one)].into_iter().flatten().max_by(|a, b| a.0.total_cmp(&b.0))?;
            Some((best.0, best.1.to_string()))
        }
        [first, .., last] => {
            let (ss, sw) = surname_score(last)?;
            let (fs, fw) = forename_score(first)?;
            Some(((ss + fs) / 2.0, format!("{sw}, {fw}")))
        }
    }
}

/// Searches the records of the forces `user` may see identifiably.
pub fn search(c: &mut Conn, user: &User, q: &SearchQuery) -> Viewed<SearchPage> {
    let forces: Vec<Force> = Force::all().filter(|f| user.access(*f) == Access::Full).collect();
    let names: Vec<String> = forces.iter().map(|f| f.name().to_string()).collect();
    let text = q.q.as_deref().map(str::trim).unwrap_or("");
    if text.chars().count() > 200 {
        return Err(ApiError::bad_request("a search is at most 200 characters"));
    }
    let mut page = SearchPage { kind: None, forces: names.clone(), persons: Vec::new(), courses: Vec::new(), truncated: false };
    if text.is_empty() || forces.is_empty() {
        let scope = if names.is_empty() { "-".to_string() } else { names.join(";") };
        return Ok((page, vec![entry(user, &scope, "nothing searched")]));
    }
    let in_forces = vec!["?"; names.len()].join(", ");
    let params: Vec<Value> = names.iter().map(|n| n.as_str().into()).collect();
    let columns = "force, record_id, incident_ref, role, person_id, forename, surname, date_of_birth";
    let mut found: Vec<(f64, String, Vec<Value>)> = Vec::new();
    let kind = if let Some(d) = as_date(text) {
        // Dates of birth are stored as typed in the export: compare them as dates. Every
        // record of the forces is read, as a scan that keeps only the matches (reading them
        // all into memory first held 15M strings for an administrator's search of the 1M
        // world).
        c.scan(
            &format!("SELECT {columns} FROM records WHERE force IN ({in_forces}) AND date_of_birth IS NOT NULL AND date_of_birth <> ''"),
            &params,
            |r| {
                if as_date(text_of(&r[7]).trim()) == Some(d) {
                    found.push((1.0, "date of birth".into(), r.to_vec()));
                }
                Ok(true)
            },
        )?;
        SearchKind::DateOfBirth
    } else if text.chars().any(|ch| ch.is_ascii_digit()) {
        // A reference: an incident's, or a person's or course's id; each found by its index
        // (`records_ref`, `records_person`, `course_incidents_ref`, `course_incidents_course`),
        // where one statement of `… OR …` read every record of the forces.
        for r in c.query(
            &format!(
                "SELECT {columns} FROM records WHERE lower(incident_ref) = lower(CAST(? AS TEXT)) AND force IN ({in_forces}) \
                 UNION SELECT {columns} FROM records WHERE person_id = CAST(? AS TEXT) AND force IN ({in_forces}) ORDER BY 1, 2"
            ),
            &reference_params(&params, text),
        )? {
            let why = if r[4].text() == text { "person id" } else { "reference" };
            found.push((1.0, why.into(), r));
        }
        page.courses = c
            .query(
                &format!(
                    "SELECT course_id FROM course_incidents WHERE lower(incident_ref) = lower(CAST(? AS TEXT)) AND force IN ({in_forces}) \
                     UNION SELECT course_id FROM course_incidents WHERE course_id = CAST(? AS TEXT) AND force IN ({in_forces}) ORDER BY 1"
                ),
                &reference_params(&params, text),
            )?
            .iter()
            .map(|r| r[0].text())
            .collect();
        SearchKind::Reference
    } else {
        // Every record of the forces is compared, as a scan that keeps only the matches (see
        // the date of birth's).
        let typed: Vec<String> = fold_text(text).split(' ').map(fold_name).filter(|t| !t.is_empty()).collect();
        let nick = Nicknames::builtin();
        c.scan(&format!("SELECT {columns} FROM records WHERE force IN ({in_forces})"), &params, |r| {
            if let Some((score, why)) = name_match(&nick, &typed, &text_of(&r[5]), &text_of(&r[6])) {
                found.push((score, why, r.to_vec()));
            }
            Ok(true)
        })?;
        SearchKind::Name
    };
    page.kind = Some(kind);
    // One row per person: its best-matching record.
    let mut best: BTreeMap<String, (f64, String, Vec<Value>)> = BTreeMap::new();
    for (score, why, r) in found {
        let person = r[4].text();
        if best.get(&person).is_none_or(|b| score > b.0) {
            best.insert(person, (score, why, r));
        }
    }
    let mut ranked: Vec<(f64, String, Vec<Value>)> = best.into_values().collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2[4].text().cmp(&b.2[4].text())));
    page.truncated = ranked.len() > MAX_PERSONS;
    ranked.truncate(MAX_PERSONS);
    for (score, why, r) in ranked {
        let person = r[4].text();
        let courses = c
            .query(
                // In CASTs: bare, SQLite (STAT4) prepared the statement again for every person.
                "SELECT course_id FROM courses WHERE victim = CAST(? AS TEXT) OR suspect = CAST(? AS TEXT) ORDER BY course_id",
                &[person.as_str().into(), person.as_str().into()],
            )?
            .iter()
            .map(|r| r[0].text())
            .collect();
        let name = format!("{} {}", r[5].text(), r[6].text()).trim().to_string();
        page.persons.push(Found {
            person_id: person,
            force: r[0].text(),
            name,
            date_of_birth: (!matches!(r[7], Value::Null)).then(|| r[7].text()),
            incident_ref: r[2].text(),
            role: r[3].text(),
            why,
            score: (score * 1000.0).round() / 1000.0,
            courses,
        });
    }
    let shown: Vec<&str> = page.persons.iter().map(|p| p.person_id.as_str()).collect();
    let detail = format!("{} search: {} persons{}, {} courses", kind.as_str(), shown.len(), list(&shown), page.courses.len());
    Ok((page, vec![entry(user, &names.join(";"), &detail)]))
}

/// A value's text, borrowed when it is one (a scan's row is read without copying it).
fn text_of(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::Text(s) => std::borrow::Cow::Borrowed(s),
        other => std::borrow::Cow::Owned(other.text()),
    }
}

/// The parameters of a reference search's two halves: the text, then the forces, each time.
fn reference_params(forces: &[Value], text: &str) -> Vec<Value> {
    let mut p = vec![Value::from(text)];
    p.extend(forces.iter().cloned());
    p.push(text.into());
    p.extend(forces.iter().cloned());
    p
}

fn list(ids: &[&str]) -> String {
    if ids.is_empty() { String::new() } else { format!(" ({})", ids.join(" ")) }
}

fn entry(user: &User, forces: &str, detail: &str) -> Entry {
    crate::views::entry(user, "search", "search", forces, "allowed", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(s: &str) -> Vec<String> {
        fold_text(s).split(' ').map(fold_name).filter(|t| !t.is_empty()).collect()
    }

    #[test]
    fn names_match_as_linkage_compares_them() {
        let nick = Nicknames::builtin();
        let m = |q: &str, f: &str, s: &str| name_match(&nick, &typed(q), f, s);
        assert_eq!(m("Amy Lowther", "Amy", "Lowther").map(|x| x.0), Some(1.0));
        assert!(m("amy lowthar", "Amy", "Lowther").is_some(), "a typo in the surname");
        assert!(m("Lowther", "Amy", "Lowther").is_some(), "a surname alone");
        assert!(m("Bill Smith", "William", "Smith").is_some_and(|x| x.1.contains("a form of it")), "a nickname");
        assert!(m("A Lowther", "Amy", "Lowther").is_some_and(|x| x.1.contains("initial")));
        assert!(m("O'Brien", "Sean", "OBrien").is_some(), "punctuation folded");
        assert!(m("Amy Lowther", "Amy", "Tait").is_none(), "another surname");
        assert!(m("Craig Lowther", "Amy", "Lowther").is_none(), "another forename");
        assert!(m("", "Amy", "Lowther").is_none());
    }

    #[test]
    fn dates_are_read_as_typed() {
        assert_eq!(as_date("1994-05-03"), Date::new(1994, 5, 3));
        assert_eq!(as_date("03/05/1994"), Date::new(1994, 5, 3));
        assert_eq!(as_date("31/02/1994"), None);
        assert_eq!(as_date("1001"), None);
    }
}

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

/// The distinct surnames, forenames and dates of birth the published records hold, as written,
/// kept for one publication: a search by name or date of birth picks the ones it matches here
/// (the comparison is fuzzy, so no index can pick them) and then reads only the records that
/// hold them, by their indexes (`records_surname`, `records_forename`, `records_dob`). Reading
/// and comparing every record of the forces instead took an administrator 1.2-5.4 s per search
/// of the 1M world, whose 1,939,779 records hold far fewer distinct names.
#[derive(Default)]
pub struct Vocabulary {
    kept: std::sync::Mutex<Option<std::sync::Arc<Words>>>,
}

/// One publication's [`Vocabulary`].
struct Words {
    /// The publication (`meta`'s `published_at` and `publication`) they were read in.
    publication: (String, String),
    surnames: Vec<String>,
    forenames: Vec<String>,
    dates_of_birth: Vec<String>,
}

impl Vocabulary {
    /// The current publication's words, read when a publication (made by any server sharing
    /// the database) has replaced the ones kept.
    fn words(&self, c: &mut Conn) -> Result<std::sync::Arc<Words>, conduct_store::Error> {
        let r = c.query_one(
            "SELECT (SELECT value FROM meta WHERE key = 'published_at'), (SELECT value FROM meta WHERE key = 'publication')",
            &[],
        )?;
        let publication = r.map(|r| (r[0].text(), r[1].text())).unwrap_or_default();
        let lock = || self.kept.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(w) = lock().as_ref().filter(|w| w.publication == publication) {
            return Ok(w.clone());
        }
        let mut distinct = |column: &str| -> Result<Vec<String>, conduct_store::Error> {
            let mut values = Vec::new();
            c.scan(&format!("SELECT DISTINCT {column} FROM records WHERE {column} IS NOT NULL AND {column} <> ''"), &[], |r| {
                values.push(r[0].text());
                Ok(true)
            })?;
            Ok(values)
        };
        let words = std::sync::Arc::new(Words {
            surnames: distinct("surname")?,
            forenames: distinct("forename")?,
            dates_of_birth: distinct("date_of_birth")?,
            publication,
        });
        *lock() = Some(words.clone());
        Ok(words)
    }
}

/// How many values a statement of [`records_holding`] asks for at once (the last chunk padded
/// by repeating its last value, so that every chunk is the same statement).
const VALUES_PER_READ: usize = 64;

/// What a search reads of a record (`columns`), and from which forces (`in_forces`: the
/// placeholders, bound by `forces`).
struct Scope<'a> {
    columns: &'a str,
    in_forces: &'a str,
    forces: &'a [Value],
}

/// Hands `each` every record in `scope` whose `column` is one of `values`, by `column`'s index;
/// none that is in `seen`, and each one handed is added to it.
fn records_holding(
    c: &mut Conn,
    scope: &Scope<'_>,
    column: &str,
    values: &[&str],
    seen: &mut std::collections::HashSet<(String, String)>,
    mut each: impl FnMut(&[Value]),
) -> Result<(), conduct_store::Error> {
    let marks = vec!["CAST(? AS TEXT)"; VALUES_PER_READ].join(", ");
    let sql = format!("SELECT {} FROM records WHERE {column} IN ({marks}) AND force IN ({})", scope.columns, scope.in_forces);
    for chunk in values.chunks(VALUES_PER_READ) {
        let mut params: Vec<Value> = (0..VALUES_PER_READ).map(|i| Value::from(chunk[i.min(chunk.len() - 1)])).collect();
        params.extend(scope.forces.iter().cloned());
        c.scan(&sql, &params, |r| {
            if seen.insert((r[0].as_text().into_owned(), r[1].as_text().into_owned())) {
                each(r);
            }
            Ok(true)
        })?;
    }
    Ok(())
}

/// Searches the records of the forces `user` may see identifiably; `vocabulary` is kept across
/// searches (one per server).
///
/// # Errors
///
/// [`ApiError`] 400 when the search is longer than 200 characters; 500 when the database fails.
pub fn search(c: &mut Conn, user: &User, q: &SearchQuery, vocabulary: &Vocabulary) -> Viewed<SearchPage> {
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
    let scope = Scope { columns, in_forces: &in_forces, forces: &params };
    let kind = if let Some(d) = as_date(text) {
        // Dates of birth are stored as typed in the export: compare them as dates, then read
        // the records holding the ones that match.
        let words = vocabulary.words(c)?;
        let dates: Vec<&str> = words.dates_of_birth.iter().filter(|w| as_date(w.trim()) == Some(d)).map(String::as_str).collect();
        let mut seen = Default::default();
        records_holding(c, &scope, "date_of_birth", &dates, &mut seen, |r| {
            found.push((1.0, "date of birth".into(), r.to_vec()));
        })?;
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
        let typed: Vec<String> = fold_text(text).split(' ').map(fold_name).filter(|t| !t.is_empty()).collect();
        let nick = Nicknames::builtin();
        // The records that can match: those holding a surname or forename that matches a word
        // typed as `name_match` compares them (one word: the surname or the forename; more:
        // the surname, the last word), each record then compared whole.
        let words = vocabulary.words(c)?;
        let mut seen = Default::default();
        let mut keep = |r: &[Value]| {
            if let Some((score, why)) = name_match(&nick, &typed, &r[5].as_text(), &r[6].as_text()) {
                found.push((score, why, r.to_vec()));
            }
        };
        if let Some(last) = typed.last() {
            let surnames = matching(&nick, &words.surnames, false, last);
            records_holding(c, &scope, "surname", &surnames, &mut seen, &mut keep)?;
            if let [one] = &typed[..] {
                let forenames = matching(&nick, &words.forenames, true, one);
                records_holding(c, &scope, "forename", &forenames, &mut seen, &mut keep)?;
            }
        }
        SearchKind::Name
    };
    page.kind = Some(kind);
    let mut ranked = best_per_person(found);
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

/// One row per person of the records `found` (score, why, row): its best-matching record (of
/// equal ones, the first by force and record id, whatever order they were read in); best first,
/// then by person id.
fn best_per_person(found: Vec<(f64, String, Vec<Value>)>) -> Vec<(f64, String, Vec<Value>)> {
    fn key(r: &[Value]) -> (std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>) {
        (r[0].as_text(), r[1].as_text())
    }
    let mut best: BTreeMap<String, (f64, String, Vec<Value>)> = BTreeMap::new();
    for (score, why, r) in found {
        let person = r[4].text();
        let better = best.get(&person).is_none_or(|b| score > b.0 || (score == b.0 && key(&r) < key(&b.2)));
        if better {
            best.insert(person, (score, why, r));
        }
    }
    let mut ranked: Vec<(f64, String, Vec<Value>)> = best.into_values().collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.2[4].text().cmp(&b.2[4].text())));
    ranked
}

/// The names of `names` (forenames when `forename`, else surnames) that the one `word` typed
/// matches, as [`name_match`] compares them.
fn matching<'a>(nick: &Nicknames, names: &'a [String], forename: bool, word: &str) -> Vec<&'a str> {
    let word = [word.to_string()];
    names
        .iter()
        .filter(|n| if forename { name_match(nick, &word, n, "").is_some() } else { name_match(nick, &word, "", n).is_some() })
        .map(String::as_str)
        .collect()
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

    /// What a search by name or date of birth finds when it compares every record of every
    /// force (as search did before it kept a [`Vocabulary`]): the persons, best first.
    fn found_by_comparing_every_record(c: &mut Conn, text: &str) -> Vec<(String, String, String, String)> {
        let nick = Nicknames::builtin();
        let typed = typed(text);
        let mut found = Vec::new();
        let columns = "force, record_id, incident_ref, role, person_id, forename, surname, date_of_birth";
        for r in c.query(&format!("SELECT {columns} FROM records"), &[]).unwrap() {
            let hit = match as_date(text) {
                Some(d) => {
                    (!r[7].as_text().is_empty() && as_date(r[7].as_text().trim()) == Some(d)).then(|| (1.0, "date of birth".to_string()))
                }
                None => name_match(&nick, &typed, &r[5].as_text(), &r[6].as_text()),
            };
            if let Some((score, why)) = hit {
                found.push((score, why, r));
            }
        }
        best_per_person(found)
            .into_iter()
            .take(MAX_PERSONS)
            .map(|(score, why, r)| (r[4].text(), why, format!("{score:.3}"), r[1].text()))
            .collect()
    }

    /// Search through the [`Vocabulary`] finds what comparing every record finds, on records
    /// shaped like a real export's: one family's surname in 30 % of them, written four ways
    /// (case, a leading space, a typo), apostrophes, nicknames, initials, accents, empty and missing
    /// names, the same person in several records under different spellings, dates of birth in
    /// three layouts and some not dates at all. Searched by every surname and forename held,
    /// each with a letter dropped, nicknames, initials with a surname, full names, and dates in
    /// each layout.
    #[test]
    fn a_search_through_the_vocabulary_finds_what_comparing_every_record_finds() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&crate::db::Url::Sqlite(dir.path().join("t.db"))).unwrap();
        conduct_store::migrate(&mut c).unwrap();
        let surnames = ["Lowther", "LOWTHER", " lowther", "Lowthar", "O'Brien", "OBrien", "Smith", "Smyth", "Zoë-Ann", "", "Nguyen", "Ng"];
        let forenames = ["Amy", "amy", "Bill", "William", "Will", "A", "", "Robert", "Bob", "Sean", "Seán", "Amelia"];
        let dobs = ["1994-05-03", "03/05/1994", "3.5.1994", "1994-05-04", "", "unknown", "1985-03-02"];
        let forces = ["Kent", "Essex", "Merseyside"];
        let mut n = 0_u64;
        let mut next = || {
            n = n.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (n >> 33) as usize
        };
        for i in 0..600 {
            // One family's surname in 30 % of rows.
            let surname = if next() % 10 < 3 { surnames[next() % 4] } else { surnames[next() % surnames.len()] };
            let forename = forenames[next() % forenames.len()];
            let dob = dobs[next() % dobs.len()];
            let force = forces[next() % forces.len()];
            // Persons of one to several records, spellings differing between them.
            let person = format!("P{:07}", 1 + next() % 250);
            let nullable = |s: &str, i: usize| if s.is_empty() && i % 2 == 0 { Value::Null } else { Value::from(s) };
            c.execute(
                "INSERT INTO records (force, record_id, incident_ref, role, person_id, forename, surname, date_of_birth) VALUES (?, ?, ?, 'victim', ?, ?, ?, ?)",
                &[force.into(), format!("R{i}").into(), format!("I{i}").into(), person.into(), nullable(forename, i), nullable(surname, i + 1), nullable(dob, i)],
            )
            .unwrap();
        }
        c.batch("ANALYZE").unwrap();
        let admin = User { id: 1, username: "admin".into(), role: crate::auth::Role::Admin, force: None, grants: Vec::new() };
        let vocabulary = Vocabulary::default();
        let mut queries: Vec<String> = Vec::new();
        for w in surnames.iter().chain(&forenames).filter(|w| !w.trim().is_empty()) {
            queries.push(w.to_string());
            let mut dropped: Vec<char> = w.chars().collect();
            dropped.remove(dropped.len() / 2);
            queries.push(dropped.into_iter().collect());
        }
        for f in ["Amy", "Bill", "A", "Bob", "Sean", "amelia"] {
            for s in ["Lowther", "lowthar", "O'Brien", "Smith", "Zoe-Ann", "Ng"] {
                queries.push(format!("{f} {s}"));
            }
        }
        queries.extend(
            ["Amy Jane Lowther", "LOWTHER AMY", "1994-05-03", "03/05/1994", "4/5/1994", "1985-03-02", "2000-01-01"].map(String::from),
        );
        let mut compared = 0;
        for text in &queries {
            let (page, _) = search(&mut c, &admin, &SearchQuery { q: Some(text.clone()) }, &vocabulary).unwrap();
            let shown: Vec<(String, String, String, String)> = page
                .persons
                .iter()
                .map(|p| {
                    let record = c
                        .query_one(
                            "SELECT record_id FROM records WHERE force = ? AND incident_ref = ? AND person_id = ?",
                            &[p.force.as_str().into(), p.incident_ref.as_str().into(), p.person_id.as_str().into()],
                        )
                        .unwrap()
                        .unwrap()[0]
                        .text();
                    (p.person_id.clone(), p.why.clone(), format!("{:.3}", p.score), record)
                })
                .collect();
            let expected = found_by_comparing_every_record(&mut c, text);
            assert_eq!(shown, expected, "search for {text:?}");
            compared += usize::from(!expected.is_empty());
        }
        assert!(compared > queries.len() / 2, "only {compared} of {} searches found anyone", queries.len());
    }

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

//! The review workflow (issue 18): a force's team takes courses, records reviews, and sees
//! what is new when the next export arrives; inspectors see how long urgent courses waited.
//! On the hand-written export of `tests/data/workflow/` (one small force), on SQLite and
//! PostgreSQL.

use std::path::Path;

use serde_json::{Value, json};

use crate::serve::{Backend, Client, Server, published_list, signed_in, spawn_serve, start, wait_published, whole};

/// A server whose first publication is `tests/data/workflow/first` (no synthetic world).
pub fn start_on_first_export(dir: &Path, backend: Backend) -> Option<Server> {
    let world = dir.join("world");
    std::fs::create_dir_all(&world).unwrap();
    for f in ["incidents.csv", "people.csv"] {
        std::fs::copy(crate::util::data(&format!("workflow/first/{f}")), world.join(f)).unwrap();
    }
    // `start` publishes the folder as it is when it already holds incidents.
    start(dir, backend, 8, &[])
}

/// The later export's files, for an upload.
pub fn later_export() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    ["incidents", "people", "orders"]
        .into_iter()
        .map(|f| {
            let name: &'static str = match f {
                "incidents" => "incidents.csv",
                "people" => "people.csv",
                _ => "orders.csv",
            };
            (f, name, std::fs::read(crate::util::data(&format!("workflow/later/{name}"))).unwrap())
        })
        .collect()
}

fn items(v: &Value) -> Vec<Value> {
    v["items"].as_array().unwrap_or_else(|| panic!("a list: {v}")).clone()
}

fn ids(v: &Value) -> Vec<String> {
    items(v).iter().map(|r| r["course_id"].as_str().unwrap().to_string()).collect()
}

/// The course holding report `reference` of City of London.
pub fn course_of(server: &Server, reference: &str) -> String {
    let mut c = conduct_server::db::Conn::open(&conduct_server::db::Url::parse(&server.database)).unwrap();
    c.query_one("SELECT course_id FROM course_incidents WHERE force = 'City of London' AND incident_ref = ?", &[reference.into()])
        .unwrap()
        .unwrap_or_else(|| panic!("report {reference} is in a course"))[0]
        .text()
}

fn morning(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = start_on_first_export(dir.path(), backend) else { return };
    let admin_pw = server.add_user("admin", "admin", None);
    let alice_pw = server.add_user("alice", "analyst", Some("City of London"));
    let bob_pw = server.add_user("bob", "analyst", Some("City of London"));
    let kent_pw = server.add_user("kent", "analyst", Some("Kent"));
    let reviewer_pw = server.add_user("inspector", "reviewer", None);
    let mut admin = signed_in(&server, "admin", &admin_pw);
    let mut alice = signed_in(&server, "alice", &alice_pw);
    let mut bob = signed_in(&server, "bob", &bob_pw);
    let (amy, nadia) = (course_of(&server, "1003"), course_of(&server, "1102"));
    assert_ne!(amy, nadia);

    // Both courses are urgent and unassigned; nobody has anything yet.
    let (s, t) = alice.get("/api/triage?priority=urgent&assigned=none");
    assert_eq!(s, 200, "{t}");
    let urgent = ids(&t);
    assert!(urgent.contains(&amy) && urgent.contains(&nadia), "both urgent and unassigned: {t}");
    let (_, mine) = alice.get("/api/triage?assigned=me");
    assert_eq!(mine["total"], 0, "{mine}");

    // Alice takes Amy Lowther's course; she gives Nadia Rahman's to Bob.
    let (s, a) = alice.post(&format!("/api/courses/{amy}/assign"), &json!({"assignee": "me"}), true);
    assert_eq!((s, &a["assigned_to"]), (200, &json!("alice")), "{a}");
    let (s, a) = alice.post(&format!("/api/courses/{nadia}/assign"), &json!({"assignee": "bob"}), true);
    assert_eq!((s, &a["assigned_to"]), (200, &json!("bob")), "{a}");
    // Not without the CSRF token, not to an analyst of another force, not by another force.
    let (s, _) = alice.post(&format!("/api/courses/{amy}/assign"), &json!({"assignee": "me"}), false);
    assert_eq!(s, 403);
    let (s, e) = alice.post(&format!("/api/courses/{amy}/assign"), &json!({"assignee": "kent"}), true);
    assert_eq!(s, 400, "{e}");
    let mut kent = signed_in(&server, "kent", &kent_pw);
    let (s, e) = kent.post(&format!("/api/courses/{amy}/reviews"), &json!({"decision": "no_further_action"}), true);
    assert_eq!(s, 403, "another force's analyst records nothing: {e}");
    let mut inspector = signed_in(&server, "inspector", &reviewer_pw);
    let (s, _) = inspector.post(&format!("/api/courses/{amy}/reviews"), &json!({"decision": "no_further_action"}), true);
    assert_eq!(s, 403, "a reviewer reads, a force's analysts act");
    let (_, mine) = alice.get("/api/triage?assigned=me");
    assert_eq!(ids(&mine), std::slice::from_ref(&amy), "{mine}");
    let (_, bobs) = bob.get("/api/triage?assigned=me");
    assert_eq!(ids(&bobs), std::slice::from_ref(&nadia), "{bobs}");
    let (_, unassigned) = alice.get("/api/triage?priority=urgent&assigned=none");
    assert!(!ids(&unassigned).contains(&amy) && !ids(&unassigned).contains(&nadia), "{unassigned}");

    // They record their reviews. A bad decision, or "other" without a note, is refused.
    let (s, e) = alice.post(&format!("/api/courses/{amy}/reviews"), &json!({"decision": "closed"}), true);
    assert_eq!(s, 400, "{e}");
    let (s, e) = alice.post(&format!("/api/courses/{amy}/reviews"), &json!({"decision": "other", "note": "  "}), true);
    assert_eq!(s, 400, "{e}");
    let (s, r) = alice.post(
        &format!("/api/courses/{amy}/reviews"),
        &json!({"decision": "referred_to_stalking_team", "note": "Threat to kill; referred to the stalking clinic"}),
        true,
    );
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["decision"], "referred_to_stalking_team");
    let (s, r) =
        bob.post(&format!("/api/courses/{nadia}/reviews"), &json!({"decision": "safeguarding_referral", "note": "IDVA contacted"}), true);
    assert_eq!(s, 200, "{r}");

    // The course page's workflow (read in one query with the reviews): who has it, to whom
    // it may go, the reviews newest first; another force's analyst may not act on it and is
    // offered nobody.
    let (s, c) = bob.get(&format!("/api/courses/{amy}"));
    assert_eq!(s, 200, "{c}");
    let w = &c["workflow"];
    assert_eq!((&w["force"], &w["assigned_to"], &w["may_act"]), (&json!("City of London"), &json!("alice"), &json!(true)), "{w}");
    assert_eq!(w["colleagues"], json!(["alice", "bob"]), "the force's analysts, by name: {w}");
    assert_eq!(w["reviews"].as_array().map(Vec::len), Some(1), "{w}");
    assert_eq!((&w["reviews"][0]["reviewer"], &w["reviews"][0]["decision"]), (&json!("alice"), &json!("referred_to_stalking_team")), "{w}");
    assert_eq!(w["since_review"], json!({"reports": 0, "possible_breaches": 0, "other_forces_reports": 0}), "{w}");
    let (_, c) = admin.get(&format!("/api/courses/{nadia}"));
    let w = &c["workflow"];
    assert_eq!((&w["assigned_to"], &w["may_act"], &w["colleagues"]), (&Value::Null, &json!(false), &json!([])), "{w}");
    assert_eq!(w["reviews"][0]["reviewer"], "bob", "{w}");
    let (s, c) = kent.get(&format!("/api/courses/{amy}"));
    if s == 200 {
        let w = &c["workflow"];
        assert_eq!(
            (&w["force"], &w["may_act"], &w["colleagues"], &w["assigned_to"]),
            (&json!("Kent"), &json!(false), &json!([]), &Value::Null),
            "{w}"
        );
    }

    // Reviewed and nothing new: both leave the open list, and are listed as reviewed.
    let (_, open) = alice.get("/api/triage?per_page=200");
    assert!(!ids(&open).contains(&amy) && !ids(&open).contains(&nadia), "{open}");
    let (_, reviewed) = alice.get("/api/triage?state=reviewed");
    let mut got = ids(&reviewed);
    got.sort();
    let mut want = vec![amy.clone(), nadia.clone()];
    want.sort();
    assert_eq!(got, want, "{reviewed}");
    let row = items(&reviewed).into_iter().find(|r| r["course_id"] == amy.as_str()).unwrap();
    assert_eq!(row["review"]["settled"], true, "{row}");
    assert_eq!(row["assigned_to"], "alice", "{row}");
    let (_, everything) = alice.get("/api/triage?state=all&per_page=200");
    assert_eq!(everything["total"].as_i64(), Some(open["total"].as_i64().unwrap() + 2), "{everything}");
    // Page by page, one course a page (the open list steps over settled positions): every
    // open course once, in review order, and the page count agrees with the total.
    let mut paged = Vec::new();
    let mut page = Some(1);
    while let Some(p) = page {
        let (s, v) = alice.get(&format!("/api/triage?per_page=1&page={p}"));
        assert_eq!(s, 200, "{v}");
        paged.extend(ids(&v));
        page = v["next_page"].as_u64();
    }
    let want: Vec<String> = ids(&everything).into_iter().filter(|i| *i != amy && *i != nadia).collect();
    assert_eq!(paged, want, "the open list, page by page");
    for priority in ["urgent", "high", "review", "routine"] {
        let (_, open_p) = alice.get(&format!("/api/triage?priority={priority}&per_page=200"));
        let (_, all_p) = alice.get(&format!("/api/triage?priority={priority}&per_page=200&state=all"));
        let want: Vec<String> = ids(&all_p).into_iter().filter(|i| *i != amy && *i != nadia).collect();
        assert_eq!(ids(&open_p), want, "{priority}");
        assert_eq!(open_p["total"].as_u64(), Some(want.len() as u64), "{priority}");
    }
    // The other fixed filters page from the list's kept positions, stepping over the settled
    // courses the same way: page by page, each agrees with the whole list less the settled.
    for filter in ["new_since_visit=1", "stalking=1", "cross_force=1", "breach=1", "priority=urgent&new_since_visit=1"] {
        let (_, all_f) = alice.get(&format!("/api/triage?{filter}&per_page=200&state=all"));
        let want: Vec<String> = ids(&all_f).into_iter().filter(|i| *i != amy && *i != nadia).collect();
        let mut paged = Vec::new();
        let mut page = Some(1);
        while let Some(p) = page {
            let (s, v) = alice.get(&format!("/api/triage?{filter}&per_page=2&page={p}"));
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["total"].as_u64(), Some(want.len() as u64), "{filter}: {v}");
            paged.extend(ids(&v));
            page = v["next_page"].as_u64();
        }
        assert_eq!(paged, want, "{filter}, page by page");
        if filter == "new_since_visit=1" {
            assert!(!want.is_empty(), "the first publication is new to everyone: rows read by their positions");
        }
    }
    let (_, past) = alice.get("/api/triage?new_since_visit=1&per_page=2&page=1000");
    assert_eq!(past["items"], json!([]), "a page past the end is empty: {past}");
    let (_, c) = alice.get(&format!("/api/courses/{amy}"));
    assert_eq!(c["workflow"]["since_review"], json!({"reports": 0, "possible_breaches": 0, "other_forces_reports": 0}), "{c}");
    assert_eq!(c["workflow"]["reviews"][0]["note"], "Threat to kill; referred to the stalking clinic");

    // The inspectors' figure: two urgent courses, both reviewed within a week.
    let (s, o) = inspector.get("/api/forces/City%20of%20London");
    assert_eq!(s, 200, "{o}");
    let t = &o["review_times"];
    assert_eq!(
        (t["urgent"].as_u64(), t["reviewed"].as_u64(), t["within_7_days"].as_u64(), t["waiting"].as_u64()),
        (Some(2), Some(2), Some(2), Some(0)),
        "{o}"
    );
    let (s, csv) = inspector.get("/api/review-times.csv?force=City%20of%20London");
    assert_eq!(s, 200);
    let csv = csv.as_str().unwrap().to_string();
    assert!(csv.starts_with("force,course_id,urgent_since,first_review_at,hours_to_first_review,first_decision\n"), "{csv}");
    assert!(csv.contains(&format!("City of London,{amy},")) && csv.contains("referred_to_stalking_team"), "{csv}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let (s, _) = kent.get("/api/review-times.csv?force=City%20of%20London");
    assert_eq!(s, 403, "an analyst lists their own force only");

    // The next export arrives: two more reports on Amy Lowther's course, the second after an
    // SPO was granted.
    let (s, up) = admin.upload(&later_export());
    assert_eq!(s, 202, "{up}");
    assert_eq!(wait_published(&mut admin, up["id"].as_i64().unwrap())["status"], "published");
    assert_eq!(course_of(&server, "1005"), amy, "the course keeps its id");
    let (_, open) = alice.get("/api/triage?per_page=200");
    let row = items(&open).into_iter().find(|r| r["course_id"] == amy.as_str()).unwrap_or_else(|| panic!("back on the open list: {open}"));
    assert_eq!(row["review"]["since_words"], "new since review: 2 reports, 1 a possible breach", "{row}");
    assert_eq!(row["review"]["settled"], false);
    assert!(!ids(&open).contains(&nadia), "nothing new on Nadia Rahman's course: it stays settled");
    let (_, c) = alice.get(&format!("/api/courses/{amy}"));
    assert_eq!(c["workflow"]["since_review_words"], "new since review: 2 reports, 1 a possible breach", "{c}");
    assert_eq!(c["workflow"]["assigned_to"], "alice");
    // "New since my last visit": the course that changed, not the one that did not.
    let (_, new) = alice.get("/api/triage?new_since_visit=1&state=all");
    assert!(ids(&new).contains(&amy) && !ids(&new).contains(&nadia), "{new}");
    // Its page says so, and another force's reader of the history sees no note.
    let (s, page) = alice.get(&format!("/courses/{amy}"));
    assert_eq!(s, 200);
    let page = page.as_str().unwrap();
    assert!(page.contains("new since review: 2 reports, 1 a possible breach") && page.contains("id=\"review\""), "{page}");
    let (_, c) = inspector.get(&format!("/api/courses/{amy}"));
    assert_eq!(c["workflow"]["reviews"][0]["note"], Value::Null, "a reviewer without a grant sees no note: {c}");
    assert_eq!(c["workflow"]["may_act"], false);

    // A second review settles it again.
    let (s, _) =
        alice.post(&format!("/api/courses/{amy}/reviews"), &json!({"decision": "spo_considered", "note": "Breach referred to CPS"}), true);
    assert_eq!(s, 200);
    let (_, open) = alice.get("/api/triage?per_page=200");
    assert!(!ids(&open).contains(&amy), "{open}");
    let (_, c) = alice.get(&format!("/api/courses/{amy}"));
    let decisions: Vec<&Value> = c["workflow"]["reviews"].as_array().unwrap().iter().map(|r| &r["decision"]).collect();
    assert_eq!(decisions, [&json!("spo_considered"), &json!("referred_to_stalking_team")], "newest first: {c}");

    // Every action is in the audit log, refusals too.
    let (_, log) = admin.get("/api/audit?per_page=200");
    let log = items(&log);
    let has = |actor: &str, action: &str, outcome: &str| {
        log.iter().any(|e| e["actor"] == actor && e["action"] == action && e["outcome"] == outcome)
    };
    assert!(has("alice", "assign", "allowed") && has("alice", "review", "allowed") && has("bob", "review", "allowed"));
    assert!(has("kent", "review", "denied") && has("inspector", "review", "denied") && has("alice", "assign", "denied"));
}

/// Search in a force's own records: by a misspelt name, a reference, a date of birth; another
/// force's analyst finds nothing of them; the audit log names what was shown, not the words.
fn search_finds_people_and_courses_in_your_own_force_only(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = start_on_first_export(dir.path(), backend) else { return };
    let admin_pw = server.add_user("admin", "admin", None);
    let alice_pw = server.add_user("alice", "analyst", Some("City of London"));
    let kent_pw = server.add_user("kent", "analyst", Some("Kent"));
    let mut alice = signed_in(&server, "alice", &alice_pw);
    let amy = course_of(&server, "1003");
    let persons = |v: &Value| v["persons"].as_array().unwrap().clone();

    let (s, v) = alice.get("/api/search?q=amy%20lowthar");
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["kind"], "name");
    let found = persons(&v);
    assert_eq!(found.len(), 1, "one person, however many records: {v}");
    assert_eq!(found[0]["name"], "Amy Lowther");
    assert_eq!(found[0]["courses"], json!([amy.clone()]), "{v}");
    let amy_person = found[0]["person_id"].as_str().unwrap().to_string();
    // A surname alone finds her; a nickname form of a forename finds nobody who is not there.
    let (_, v) = alice.get("/api/search?q=Lowther");
    assert_eq!(persons(&v).len(), 1, "{v}");
    let (_, v) = alice.get("/api/search?q=Zebedee%20Quartermaine");
    assert!(persons(&v).is_empty(), "{v}");
    // A reference finds the report's course and people; a date of birth, the person.
    let (_, v) = alice.get("/api/search?q=1003");
    assert_eq!(v["kind"], "reference");
    assert_eq!(v["courses"], json!([amy.clone()]), "{v}");
    assert_eq!(persons(&v).len(), 2, "victim and suspect of report 1003: {v}");
    // A person's id finds the person, a course's id the course (each by its index).
    let (_, v) = alice.get(&format!("/api/search?q={amy_person}"));
    assert_eq!(
        persons(&v).iter().map(|p| (p["person_id"].clone(), p["why"].clone())).collect::<Vec<_>>(),
        [(json!(amy_person), json!("person id"))],
        "{v}"
    );
    let (_, v) = alice.get(&format!("/api/search?q={amy}"));
    assert_eq!(v["courses"], json!([amy.clone()]), "{v}");
    let (_, v) = alice.get("/api/search?q=03/05/1994");
    assert_eq!(v["kind"], "date_of_birth");
    assert_eq!(persons(&v).iter().map(|p| p["person_id"].clone()).collect::<Vec<_>>(), [json!(amy_person)], "{v}");
    // The page shows the same.
    let (s, page) = alice.get("/search?q=amy+lowthar");
    assert_eq!(s, 200);
    assert!(page.as_str().unwrap().contains(&format!("href=\"/persons/{amy_person}\"")), "{page}");
    // Kent's analyst searches Kent only.
    let mut kent = signed_in(&server, "kent", &kent_pw);
    for q in ["Lowther", "1003", "1994-05-03"] {
        let (s, v) = kent.get(&format!("/api/search?q={q}"));
        assert_eq!(s, 200, "{v}");
        assert!(persons(&v).is_empty() && v["courses"].as_array().unwrap().is_empty(), "{q}: {v}");
    }
    let (s, _) = kent.get(&format!("/api/search?q={}", "x".repeat(201)));
    assert_eq!(s, 400, "a bounded query");
    // Audited: the kind and the persons shown, not the name searched for.
    let mut admin = signed_in(&server, "admin", &admin_pw);
    let (_, log) = admin.get("/api/audit?per_page=200");
    let searches: Vec<Value> = items(&log).into_iter().filter(|e| e["action"] == "search" && e["actor"] == "alice").collect();
    assert_eq!(searches.len(), 8, "{searches:?}");
    assert!(searches.iter().any(|e| e["detail"].as_str().unwrap().contains(&amy_person)), "{searches:?}");
    assert!(searches.iter().all(|e| !e["detail"].as_str().unwrap().to_lowercase().contains("lowth")), "{searches:?}");
}

#[test]
fn search_finds_people_and_courses_in_your_own_force_only_on_sqlite() {
    search_finds_people_and_courses_in_your_own_force_only(Backend::Sqlite);
}

#[test]
fn search_finds_people_and_courses_in_your_own_force_only_on_postgres() {
    search_finds_people_and_courses_in_your_own_force_only(Backend::Postgres);
}

#[test]
fn a_team_reviews_courses_and_sees_what_is_new_on_sqlite() {
    morning(Backend::Sqlite);
}

#[test]
fn a_team_reviews_courses_and_sees_what_is_new_on_postgres() {
    morning(Backend::Postgres);
}

/// The lists a reviewed course must leave: (what, query). Each is read before the review (so
/// that a server keeps its settled courses) and again after it.
const KEPT_LISTS: [(&str, &str); 4] = [
    ("the open list", "/api/triage?per_page=200"),
    ("the open list, one course a page", "/api/triage?per_page=1"),
    ("the open urgent list", "/api/triage?priority=urgent&per_page=200"),
    ("the open list new since my last visit", "/api/triage?new_since_visit=1&per_page=200"),
];

/// The first export served twice on one database: the test's server and a second one, which
/// learns what the first changes only through the database, with the analyst alice (City of
/// London) and an admin signed in on each (the first server's client first). None when the
/// backend is skipped.
struct TwoServers {
    server: Server,
    second: Server,
    analysts: [Client; 2],
    admins: [Client; 2],
}

fn two_servers(dir: &Path, backend: Backend) -> Option<TwoServers> {
    let server = start_on_first_export(dir, backend)?;
    let alice_pw = server.add_user("alice", "analyst", Some("City of London"));
    let admin_pw = server.add_user("admin", "admin", None);
    let second = spawn_serve(server.data.clone(), server.database.clone(), dir.join("second.log"), &[], &[], None);
    let analysts = [signed_in(&server, "alice", &alice_pw), signed_in(&second, "alice", &alice_pw)];
    let admins = [signed_in(&server, "admin", &admin_pw), signed_in(&second, "admin", &admin_pw)];
    Some(TwoServers { server, second, analysts, admins })
}

/// What a server keeps of the workflow for its lists (settled courses, assignments, reviews;
/// issue 18 item 5) is read again after every assignment and review: an assigned course shows
/// who has it, and a reviewed course leaves every open list, at once, on the server that
/// recorded the change and on another server sharing the database, which learns of it only
/// through the database. Assignments and reviews alternate between the two servers.
fn a_review_leaves_the_kept_lists_at_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(TwoServers { server: _server, second: _second, mut analysts, mut admins }) = two_servers(dir.path(), backend) else { return };
    let (everything, _) = whole(&mut analysts[0], "/api/triage?state=all&per_page=200");
    assert_eq!(everything.len(), 3, "the export's three courses: {everything:?}");
    let mut reviewed: Vec<String> = Vec::new();
    for round in 0..3 {
        // Read (and kept) on both servers before the review.
        let mut before = Vec::new();
        for client in analysts.iter_mut() {
            for (what, list) in KEPT_LISTS {
                let (got, total) = whole(client, list);
                assert_eq!(total, got.len() as i64, "{what}: {got:?}");
                assert!(reviewed.iter().all(|r| !got.contains(r)), "{what} holds no reviewed course: {got:?}");
                before.push(got);
            }
        }
        for client in admins.iter_mut() {
            before.push(whole(client, "/api/triage?per_page=200").0);
        }
        // The first open course, of the urgent ones while there are some (so that the urgent
        // list changes too), is reviewed on one server, then the other.
        let (urgent, _) = whole(&mut analysts[0], "/api/triage?priority=urgent&per_page=200");
        let target = urgent.first().or(before[0].first()).unwrap().clone();
        // Assigned on one server: the open list says who has it at once, on both.
        let (s, a) = analysts[(round + 1) % 2].post(&format!("/api/courses/{target}/assign"), &json!({"assignee": "me"}), true);
        assert_eq!(s, 200, "{a}");
        for client in analysts.iter_mut() {
            let (_, open) = client.get("/api/triage?per_page=200");
            assert!(open["next_page"].is_null(), "one page holds the open list: {open}");
            let row = items(&open).into_iter().find(|r| r["course_id"] == target.as_str());
            let row = row.unwrap_or_else(|| panic!("{target} is open: {open}"));
            assert_eq!(row["assigned_to"], "alice", "round {round}: {row}");
        }
        let (s, r) = analysts[round % 2].post(&format!("/api/courses/{target}/reviews"), &json!({"decision": "no_further_action"}), true);
        assert_eq!(s, 200, "{r}");
        reviewed.push(target.clone());
        // At once, on both servers: every list is what it was less the reviewed course (each
        // course of this export is City of London's alone, so the all-forces list drops it too).
        let mut after = Vec::new();
        for client in analysts.iter_mut() {
            for (_, list) in KEPT_LISTS {
                after.push((list, whole(client, list)));
            }
        }
        for client in admins.iter_mut() {
            after.push(("all forces", whole(client, "/api/triage?per_page=200")));
        }
        for (was, (what, (got, total))) in before.iter().zip(after) {
            let want: Vec<String> = was.iter().filter(|i| **i != target).cloned().collect();
            assert_eq!(got, want, "round {round}: {what} less {target}");
            assert_eq!(total, want.len() as i64, "round {round}: {what}'s total");
        }
        for client in analysts.iter_mut() {
            let (settled, _) = whole(client, "/api/triage?state=reviewed&per_page=200");
            assert!(settled.contains(&target), "listed as reviewed: {settled:?}");
        }
    }
}

/// What the database's `courses` holds of each course, as the triage list shows it.
fn published_rows(server: &Server) -> std::collections::HashMap<String, Value> {
    let mut c = conduct_server::db::Conn::open(&conduct_server::db::Url::parse(&server.database)).unwrap();
    let rows = c.query("SELECT course_id, priority, reports, last_date, breaches, forces FROM courses", &[]).unwrap();
    rows.iter()
        .map(|r| {
            let row = json!({"priority": r[1].text(), "reports": r[2].int(), "last_date": r[3].text(), "possible_breaches": r[4].int(),
                "forces": r[5].text().split(';').filter(|f| !f.is_empty()).collect::<Vec<_>>()});
            (r[0].text(), row)
        })
        .collect()
}

/// A list's rows as [`published_rows`] has them.
fn shown_rows(client: &mut Client, list: &str) -> std::collections::HashMap<String, Value> {
    let (s, v) = client.get(list);
    assert_eq!(s, 200, "{v}");
    assert!(v["next_page"].is_null(), "one page: {v}");
    items(&v)
        .into_iter()
        .map(|r| {
            let row = json!({"priority": r["priority"], "reports": r["reports"], "last_date": r["last_date"],
                "possible_breaches": r["possible_breaches"], "forces": r["forces"]});
            (r["course_id"].as_str().unwrap().to_string(), row)
        })
        .collect()
}

/// The triage list's rows are filled from the courses' columns a server keeps per publication
/// (issue 18 item 5): a publication made through one server shows at once on another server
/// sharing the database, which learns of it only through the database, and on the first.
fn a_publication_renews_the_kept_courses_at_once(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(TwoServers { server, second: _second, mut analysts, mut admins }) = two_servers(dir.path(), backend) else { return };
    const LISTS: [&str; 2] = ["/api/triage?state=all&per_page=200", "/api/triage?priority=urgent&state=all&per_page=200"];
    // Each list read twice on each server (the second from what the first kept).
    let check = |analysts: &mut [Client; 2], admins: &mut [Client; 2], when: &str| {
        let published = published_rows(&server);
        for (i, client) in analysts.iter_mut().chain(admins.iter_mut()).enumerate() {
            for list in LISTS.iter().chain(&LISTS) {
                let shown = shown_rows(client, list);
                assert!(!shown.is_empty(), "{when}: {list} lists courses");
                for (id, row) in shown {
                    assert_eq!(Some(&row), published.get(&id), "{when}: {list}: course {id} as published");
                }
                // In the published review order, every course of the list (the rows of a page
                // are picked from each list's rows kept per publication).
                let scope = if i < 2 { Some("City of London") } else { None };
                let (ids, _) = whole(client, list);
                assert_eq!(ids, published_list(&server.database, scope, list.contains("urgent")), "{when}: {list}, in order");
            }
        }
        published
    };
    let before = check(&mut analysts, &mut admins, "first publication");
    let amy = course_of(&server, "1003");
    let (s, up) = admins[0].upload(&later_export());
    assert_eq!(s, 202, "{up}");
    assert_eq!(wait_published(&mut admins[0], up["id"].as_i64().unwrap())["status"], "published");
    let after = check(&mut analysts, &mut admins, "after the later export");
    assert_eq!(course_of(&server, "1005"), amy, "the course keeps its id");
    assert_ne!(before.get(&amy), after.get(&amy), "the later export changed Amy Lowther's course: {:?}", after.get(&amy));
}

#[test]
fn a_publication_renews_the_kept_courses_at_once_on_sqlite() {
    a_publication_renews_the_kept_courses_at_once(Backend::Sqlite);
}

#[test]
fn a_publication_renews_the_kept_courses_at_once_on_postgres() {
    a_publication_renews_the_kept_courses_at_once(Backend::Postgres);
}

#[test]
fn a_review_leaves_the_kept_lists_at_once_on_sqlite() {
    a_review_leaves_the_kept_lists_at_once(Backend::Sqlite);
}

#[test]
fn a_review_leaves_the_kept_lists_at_once_on_postgres() {
    a_review_leaves_the_kept_lists_at_once(Backend::Postgres);
}

//! Tests of the generator: determinism, referential integrity, and the realism targets
//! (outcome mix, hidden repeats, cross-force share, heavy tail, look-alikes, breaches).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use conduct_domain::Date;

use crate::{SynthConfig, SynthSummary, generate};

type Row = BTreeMap<String, String>;

fn dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("conduct-synth-test-{}-{name}", std::process::id()))
}

fn read(path: &Path) -> Vec<Row> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers.iter().cloned().zip(rec.iter().map(str::to_string)).collect()
        })
        .collect()
}

struct World {
    summary: SynthSummary,
    incidents: Vec<Row>,
    people: Vec<Row>,
    orders: Vec<Row>,
    screenings: Vec<Row>,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let d = dir("shared");
        let summary = generate(&SynthConfig::default(), &d).unwrap();
        let w = World {
            summary,
            incidents: read(&d.join("incidents.csv")),
            people: read(&d.join("people.csv")),
            orders: read(&d.join("orders.csv")),
            screenings: read(&d.join("risk_assessments.csv")),
        };
        let _ = std::fs::remove_dir_all(&d);
        w
    })
}

fn date(s: &str) -> i32 {
    Date::parse(s).unwrap().days_since_epoch()
}

#[test]
fn deterministic_bytes() {
    let cfg = SynthConfig { incidents: 5_000, seed: 7 };
    let (a, b) = (dir("det-a"), dir("det-b"));
    generate(&cfg, &a).unwrap();
    generate(&cfg, &b).unwrap();
    for f in ["incidents.csv", "people.csv", "orders.csv", "risk_assessments.csv", "truth.json"] {
        assert_eq!(std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap(), "{f} differs");
    }
    let c = dir("det-c");
    generate(&SynthConfig { incidents: 5_000, seed: 8 }, &c).unwrap();
    assert_ne!(std::fs::read(a.join("people.csv")).unwrap(), std::fs::read(c.join("people.csv")).unwrap());
    for d in [a, b, c] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn sizes_and_integrity() {
    let w = world();
    assert_eq!(w.incidents.len(), 20_000);
    assert_eq!(w.summary.incidents, 20_000);
    assert_eq!(w.people.len(), w.summary.people);
    let ratio = w.people.len() as f64 / w.incidents.len() as f64;
    assert!((1.7..2.3).contains(&ratio), "people per incident {ratio}");
    let mut refs = BTreeSet::new();
    for i in &w.incidents {
        assert!(refs.insert((i["force"].clone(), i["incident_ref"].clone())), "duplicate ref {}", i["incident_ref"]);
        let rec = date(&i["recorded_date"]);
        assert!(rec >= date("2014-04-01") && rec <= date("2025-03-31"));
        if !i["occurred_date"].is_empty() {
            assert!(date(&i["occurred_date"]) <= rec);
        }
        if !i["outcome_date"].is_empty() {
            assert!(date(&i["outcome_date"]) >= rec);
        }
        assert!(conduct_domain::OffenceCode::parse(&i["offence_code"]).is_ok());
        if !i["outcome_type"].is_empty() {
            assert!(conduct_domain::OutcomeType::parse(&i["outcome_type"]).is_some());
        }
        for l in i["linked_refs"].split(';').filter(|s| !s.is_empty()) {
            assert!(refs.contains(&(i["force"].clone(), l.to_string())), "linked ref {l} not earlier in the same force");
        }
    }
    let forces: BTreeSet<&str> = w.incidents.iter().map(|i| i["force"].as_str()).collect();
    assert_eq!(forces.len(), 44, "all forces present");
    let mut ids = BTreeSet::new();
    for p in &w.people {
        assert!(ids.insert(p["record_id"].clone()), "duplicate record_id");
        assert!(refs.contains(&(p["force"].clone(), p["incident_ref"].clone())), "people row without incident");
        assert!(conduct_domain::Role::parse(&p["role"]).is_some());
        assert!(!p["true_person_id"].is_empty());
        if !p["email"].is_empty() {
            assert!(p["email"].to_lowercase().contains("example."), "email {}", p["email"]);
        }
    }
    let mut orefs = BTreeSet::new();
    for o in &w.orders {
        assert!(orefs.insert((o["force"].clone(), o["order_ref"].clone())));
        assert!(refs.contains(&(o["force"].clone(), o["incident_ref"].clone())));
        assert!(conduct_domain::OrderType::parse(&o["order_type"]).is_some());
        assert!(conduct_domain::OrderStatus::parse(&o["status"]).is_some());
    }
    // Met largest force.
    let met = w.incidents.iter().filter(|i| i["force"] == "Metropolitan Police").count();
    assert!(met as f64 / 20_000.0 > 0.08);
}

#[test]
fn outcome_mix_near_published_rates() {
    let w = world();
    let assigned: Vec<u8> = w.incidents.iter().filter_map(|i| i["outcome_type"].parse::<u8>().ok()).filter(|&t| t > 0).collect();
    let n = assigned.len() as f64;
    let charge = assigned.iter().filter(|&&t| t == 1).count() as f64 / n;
    let vns = assigned.iter().filter(|&&t| t == 14 || t == 16).count() as f64 / n;
    let nsi = assigned.iter().filter(|&&t| t == 18).count() as f64 / n;
    assert!((0.03..=0.07).contains(&charge), "charge rate {charge}");
    assert!((0.35..=0.50).contains(&vns), "victim does not support {vns}");
    assert!(nsi > 0.08, "no suspect identified {nsi}");
    // The most recent month is mostly unassigned.
    let recent: Vec<&Row> = w.incidents.iter().filter(|i| i["recorded_date"].as_str() >= "2025-03-01").collect();
    let open = recent.iter().filter(|i| matches!(i["outcome_type"].as_str(), "" | "0")).count();
    assert!(open as f64 > 0.8 * recent.len() as f64);
}

fn courses(w: &World) -> BTreeMap<&str, Vec<&Row>> {
    let mut c: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for i in &w.incidents {
        if !i["true_course_id"].is_empty() {
            c.entry(i["true_course_id"].as_str()).or_default().push(i);
        }
    }
    c
}

#[test]
fn hidden_repeats_and_cross_force() {
    let w = world();
    let c = courses(w);
    assert_eq!(c.len(), w.summary.courses);
    let (mut repeats, mut linked, mut cross) = (0, 0, 0);
    for list in c.values() {
        assert!(list.len() >= 2);
        // Files are in recorded order: every report after the first is a repeat.
        repeats += list.len() - 1;
        linked += list[1..].iter().filter(|i| !i["linked_refs"].is_empty()).count();
        let forces: BTreeSet<&str> = list.iter().map(|i| i["force"].as_str()).collect();
        cross += usize::from(forces.len() > 1);
    }
    let share = linked as f64 / repeats as f64;
    assert!((0.25..=0.45).contains(&share), "linked share {share}");
    assert_eq!(repeats - linked, w.summary.hidden_repeats);
    let cross_share = cross as f64 / c.len() as f64;
    assert!((0.10..=0.20).contains(&cross_share), "cross-force share {cross_share}");
    let in_courses = c.values().map(Vec::len).sum::<usize>() as f64 / w.incidents.len() as f64;
    assert!((0.4..=0.6).contains(&in_courses), "share in courses {in_courses}");
    let short = c.values().filter(|l| l.len() <= 5).count() as f64 / c.len() as f64;
    assert!(short > 0.7, "most courses 2-5 reports: {short}");
    // Some course reports have no suspect row.
    let suspects: BTreeSet<(&str, &str)> =
        w.people.iter().filter(|p| p["role"] == "suspect").map(|p| (p["force"].as_str(), p["incident_ref"].as_str())).collect();
    let course_reports: Vec<&&Row> = c.values().flatten().collect();
    let unknown = course_reports.iter().filter(|i| !suspects.contains(&(i["force"].as_str(), i["incident_ref"].as_str()))).count() as f64
        / course_reports.len() as f64;
    assert!((0.08..=0.25).contains(&unknown), "course reports without a suspect {unknown}");
}

#[test]
fn heavy_tail_at_scale() {
    let d = dir("tail");
    let s = generate(&SynthConfig { incidents: 200_000, seed: 3 }, &d).unwrap();
    let _ = std::fs::remove_dir_all(&d);
    assert!(s.courses_over_100 >= 1, "no course over 100 reports: {s:?}");
    assert!(s.max_course_len <= 250);
}

#[test]
fn lookalikes_are_distinct_people() {
    let w = world();
    assert!(w.summary.twins > 0 && w.summary.father_son > 0 && w.summary.siblings > 0);
    // Canonical surname, address and DOB of each true person: its most common recorded values.
    let mut by_person: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
    for p in &w.people {
        by_person.entry(p["true_person_id"].as_str()).or_default().push(p);
    }
    let mode = |rows: &[&Row], f: &str| -> String {
        let mut m: BTreeMap<String, usize> = BTreeMap::new();
        for r in rows.iter().filter(|r| !r[f].is_empty()) {
            *m.entry(r[f].to_lowercase()).or_default() += 1;
        }
        m.into_iter().max_by_key(|(_, c)| *c).map(|(k, _)| k).unwrap_or_default()
    };
    // (surname, address) → [(forename, dob)]
    type Household = Vec<(String, String)>;
    let mut groups: BTreeMap<(String, String), Household> = BTreeMap::new();
    for rows in by_person.values() {
        let (sur, addr) = (mode(rows, "surname"), mode(rows, "address"));
        if sur.is_empty() || addr.is_empty() {
            continue;
        }
        groups.entry((sur, addr)).or_default().push((mode(rows, "forename"), mode(rows, "date_of_birth")));
    }
    let (mut twins, mut father_son) = (0, 0);
    for members in groups.values().filter(|m| m.len() > 1) {
        for a in 0..members.len() {
            for b in a + 1..members.len() {
                let (fa, da) = &members[a];
                let (fb, db) = &members[b];
                if da.len() == 10 && da == db && fa != fb {
                    twins += 1;
                }
                if fa == fb && da.len() == 10 && db.len() == 10 {
                    let gap = (date(da) - date(db)).abs();
                    if (25 * 365..=35 * 366).contains(&gap) {
                        father_son += 1;
                    }
                }
            }
        }
    }
    assert!(twins > 5, "twins visible in people.csv: {twins}");
    assert!(father_son > 5, "father/son pairs visible in people.csv: {father_son}");
    // Common names are shared by many distinct people.
    let smiths = by_person.values().filter(|r| mode(r, "surname") == "smith").count();
    assert!(smiths > 100, "Smiths: {smiths}");
}

#[test]
fn breaches_only_within_granted_unexpired_orders() {
    let w = world();
    let orders: BTreeMap<(&str, &str), &Row> = w.orders.iter().map(|o| ((o["force"].as_str(), o["order_ref"].as_str()), o)).collect();
    let by_ref: BTreeMap<(&str, &str), &Row> = w.incidents.iter().map(|i| ((i["force"].as_str(), i["incident_ref"].as_str()), i)).collect();
    let mut breaches = 0;
    for i in w.incidents.iter().filter(|i| !i["true_breach_order_ref"].is_empty()) {
        breaches += 1;
        // Orders belong to the force of their source incident, which may differ after a move.
        let o = orders.iter().find(|((_, r), _)| *r == i["true_breach_order_ref"]).map(|(_, o)| *o).expect("breach names an order");
        assert!(matches!(o["status"].as_str(), "granted" | "expired"));
        let day = date(&i["recorded_date"]);
        assert!(day >= date(&o["granted_date"]));
        if !o["expires_date"].is_empty() {
            assert!(day <= date(&o["expires_date"]));
        }
        let src = by_ref[&(o["force"].as_str(), o["incident_ref"].as_str())];
        assert_eq!(src["true_course_id"], i["true_course_id"], "breach in the order's course");
    }
    assert!(breaches > 0);
    assert_eq!(breaches, w.summary.breaches);
    // Completeness, and the day after expiry is not a breach.
    let mut day_after = 0;
    for o in &w.orders {
        let src = by_ref[&(o["force"].as_str(), o["incident_ref"].as_str())];
        let (Ok(g), exp) = (Date::parse(&o["granted_date"]), o["expires_date"].as_str()) else { continue };
        let g = g.days_since_epoch();
        let e = if exp.is_empty() { i32::MAX } else { date(exp) };
        for i in w.incidents.iter().filter(|i| i["true_course_id"] == src["true_course_id"]) {
            let day = date(&i["recorded_date"]);
            if day > date(&src["recorded_date"]) && day >= g && day <= e {
                assert!(!i["true_breach_order_ref"].is_empty(), "unmarked breach {}", i["incident_ref"]);
            }
            if e != i32::MAX && day == e + 1 {
                assert!(i["true_breach_order_ref"].is_empty());
                day_after += 1;
            }
        }
    }
    assert!(day_after > 0, "no incident the day after expiry");
}

#[test]
fn name_tables_are_heavy_tailed() {
    let names = crate::names::Names::load();
    assert!(names.surnames.len() >= 400);
    assert!(names.male.len() >= 150 && names.female.len() >= 150);
    let nick_formal = include_str!("../../domain/data/nicknames.csv").lines().count() - 1;
    assert!(nick_formal >= 80);
    let w = world();
    let surnames: Vec<&str> = w.people.iter().map(|p| p["surname"].as_str()).collect();
    let smith = surnames.iter().filter(|s| s.eq_ignore_ascii_case("smith")).count() as f64 / surnames.len() as f64;
    assert!((0.01..0.06).contains(&smith), "Smith share {smith}");
}

/// Issue 17 item 7: serious violence is ground truth at the end of a course, and the signs a
/// force has before it are noisy: non-violent courses show them too, and some violent courses
/// show none.
#[test]
fn serious_violence_ends_a_course_and_its_signs_are_noisy() {
    let w = world();
    let by_course = courses(w);
    let key = |r: &Row| (r["force"].clone(), r["incident_ref"].clone());
    let high_screened: BTreeSet<(String, String)> = w.screenings.iter().filter(|a| a["grade"] == "high").map(key).collect();
    let threat = |r: &Row| r["narrative"].contains("kill");
    let violent: Vec<&Row> = w.incidents.iter().filter(|r| r["true_serious_violence"] == "true").collect();
    assert_eq!(violent.len(), w.summary.serious_violence_courses);
    assert!(violent.len() >= 20, "{} violent courses", violent.len());
    let (mut signless, mut violent_courses) = (0, BTreeSet::new());
    for v in &violent {
        assert_eq!(v["offence_code"], "5D");
        let course = &by_course[v["true_course_id"].as_str()];
        let last = course.iter().map(|r| date(&r["recorded_date"])).max().unwrap();
        assert_eq!(date(&v["recorded_date"]), last, "the violence is the last report of its course");
        let before: Vec<&&Row> = course.iter().filter(|r| r["true_serious_violence"] != "true").collect();
        if !before.iter().any(|r| threat(r) || high_screened.contains(&key(r))) {
            signless += 1;
        }
        violent_courses.insert(v["true_course_id"].as_str());
    }
    assert!(signless > 0, "some violent courses show no threat to kill and no high screening");
    // Many more courses that never end in violence show the same signs.
    let quiet_with_signs = by_course
        .iter()
        .filter(|(c, rs)| !violent_courses.contains(*c) && rs.iter().any(|r| threat(r) || high_screened.contains(&key(r))))
        .count();
    assert!(quiet_with_signs > 2 * violent_courses.len(), "{quiet_with_signs} non-violent courses with signs");
    // Hidden risk is written on every course report and is high for a minority of courses.
    let high = by_course.values().filter(|rs| rs[0]["true_course_risk"] == "high").count();
    assert_eq!(high, w.summary.high_risk_courses);
    assert!((0.05..0.25).contains(&(high as f64 / by_course.len() as f64)), "{high} of {}", by_course.len());
    assert!(by_course.values().flatten().all(|r| ["standard", "medium", "high"].contains(&r["true_course_risk"].as_str())));
}

/// Screenings name incidents of the world, and secondary codes sit only beside a principal
/// crime outside the stalking-and-harassment subgroup; the truth of a report recorded under
/// another crime does not depend on whether the force added one.
#[test]
fn screenings_and_secondary_codes_are_consistent() {
    let w = world();
    let refs: BTreeMap<(String, String), &Row> = w.incidents.iter().map(|r| ((r["force"].clone(), r["incident_ref"].clone()), r)).collect();
    assert_eq!(w.screenings.len(), w.summary.screenings);
    for a in &w.screenings {
        let inc = refs[&(a["force"].clone(), a["incident_ref"].clone())];
        assert!(date(&a["assessed_date"]) >= date(&inc["recorded_date"]));
        assert!(["DASH", "S-DASH"].contains(&a["tool"].as_str()));
    }
    let subgroup = ["8L", "8M", "8Q", "8R", "8U", "8/65", "8/66", "195/12", "8/67"];
    let mut with_code = 0;
    for r in &w.incidents {
        if !r["secondary_offence_codes"].is_empty() {
            assert!(!subgroup.contains(&r["offence_code"].as_str()), "{r:?}");
        }
        if r["true_recorded_under_other_crime"] == "true" {
            assert!(!r["true_course_id"].is_empty() && !subgroup.contains(&r["offence_code"].as_str()));
            with_code += usize::from(!r["secondary_offence_codes"].is_empty());
        }
    }
    let under = w.summary.recorded_under_other_crime;
    assert!(under > 0 && with_code > 0 && with_code < under, "{with_code} of {under} carry a secondary code");
    // Decoys: one-off reports with a stalking code beside another crime.
    assert!(w.incidents.iter().any(|r| r["true_course_id"].is_empty() && r["secondary_offence_codes"] == "8Q"));
}

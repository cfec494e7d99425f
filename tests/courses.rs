//! Courses of conduct through the real binary. Person linkage is scored on its own; here the
//! course rules are scored given the true people (an upper bound the linked pipeline approaches).

use crate::util::{conduct, ok, read_csv};

#[test]
fn course_rules_recover_true_courses_given_true_people() {
    let tmp = tempfile::tempdir().unwrap();
    let world = tmp.path().join("world");
    ok(conduct().args(["synth", "--incidents", "8000", "--seed", "21", "--out"]).arg(&world));
    // persons.csv from the ground truth: isolates the course rules from linkage.
    let persons = tmp.path().join("persons.csv");
    let mut w = csv::Writer::from_path(&persons).unwrap();
    w.write_record(["record_id", "person_id"]).unwrap();
    for row in read_csv(&world.join("people.csv")) {
        w.write_record([&row["record_id"], &row["true_person_id"]]).unwrap();
    }
    w.flush().unwrap();
    let out = tmp.path().join("courses");
    ok(conduct()
        .arg("courses")
        .arg("--incidents")
        .arg(world.join("incidents.csv"))
        .arg("--people")
        .arg(world.join("people.csv"))
        .arg("--orders")
        .arg(world.join("orders.csv"))
        .arg("--persons")
        .arg(&persons)
        .arg("--out")
        .arg(&out));
    for f in ["courses.csv", "course_summary.csv", "triage.csv", "hidden_repeats.csv", "breaches.csv"] {
        assert!(out.join(f).exists(), "{f}");
    }
    let first = read_csv(&out.join("courses.csv"))[0]["course_id"].clone();
    let timeline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("timelines").join(format!("{first}.json"))).unwrap()).unwrap();
    assert!(timeline["reports"].as_array().unwrap().len() >= 2);
    let triage = read_csv(&out.join("triage.csv"));
    assert!(triage.iter().all(|r| !r["reasons"].is_empty()), "every course has its reasons");

    let score =
        ok(conduct().args(["eval", "courses", "--truth"]).arg(world.join("incidents.csv")).arg("--predicted").arg(out.join("courses.csv")));
    let s: serde_json::Value = serde_json::from_slice(&score.stdout).unwrap();
    assert!(s["pairs"]["f1"].as_f64().unwrap() >= 0.95, "{s}");
    assert!(s["hidden_repeats"]["recall"].as_f64().unwrap() >= 0.95, "{s}");
    assert!(s["breaches"]["precision"].as_f64().unwrap() >= 0.95, "{s}");
}

/// `conduct courses` without --persons once wrote a persons.csv without the people rows the
/// read rejected, where `conduct run` gives each one that names a record a person of its own:
/// the two persons.csv files of one export now agree.
#[test]
fn courses_without_persons_lists_rejected_people_rows_as_run_does() {
    let tmp = tempfile::tempdir().unwrap();
    let world = tmp.path().join("world");
    ok(conduct().args(["synth", "--incidents", "300", "--seed", "3", "--out"]).arg(&world));
    // Two people rows the read rejects but that still name a record: one for an incident that
    // is not in the export, one with a force that does not exist.
    let people = world.join("people.csv");
    let mut rows = csv::Reader::from_path(&people).unwrap();
    let header = rows.headers().unwrap().clone();
    let mut all: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    for (record_id, force, incident_ref) in [("RBAD0001", "Sussex", "SUS-2014-NOPE"), ("RBAD0002", "Nowhereshire", "SUS-2014-0000001")] {
        let row: Vec<&str> = header
            .iter()
            .map(|h| match h {
                "record_id" => record_id,
                "force" => force,
                "incident_ref" => incident_ref,
                "role" => "victim",
                "forename" => "Ann",
                "surname" => "Rejected",
                _ => "",
            })
            .collect();
        all.push(csv::StringRecord::from(row));
    }
    let mut w = csv::Writer::from_path(&people).unwrap();
    w.write_record(&header).unwrap();
    for r in &all {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();

    let export = |c: &mut std::process::Command| {
        c.arg("--incidents").arg(world.join("incidents.csv")).arg("--people").arg(&people).arg("--orders").arg(world.join("orders.csv"));
    };
    let (run_out, courses_out) = (tmp.path().join("run"), tmp.path().join("courses"));
    let mut c = conduct();
    export(c.arg("run"));
    ok(c.arg("--out").arg(&run_out));
    let mut c = conduct();
    export(c.arg("courses"));
    ok(c.arg("--out").arg(&courses_out));

    let rejects = read_csv(&run_out.join("import/rejects.csv"));
    assert_eq!(rejects.iter().filter(|r| r["key"].starts_with("RBAD")).count(), 2, "both rows are rejected: {rejects:?}");
    let persons = read_csv(&courses_out.join("persons.csv"));
    for id in ["RBAD0001", "RBAD0002"] {
        assert!(persons.iter().any(|r| r["record_id"] == id), "{id} has a person in conduct courses' persons.csv");
    }
    assert_eq!(
        std::fs::read_to_string(courses_out.join("persons.csv")).unwrap(),
        std::fs::read_to_string(run_out.join("link/persons.csv")).unwrap(),
        "conduct courses and conduct run write the same persons.csv"
    );
    assert_eq!(
        std::fs::read(courses_out.join("courses.csv")).unwrap(),
        std::fs::read(run_out.join("courses/courses.csv")).unwrap(),
        "and the same courses"
    );
}

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

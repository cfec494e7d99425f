//! The synthetic world through the real binary: synth then ingest reads everything, the same
//! seed writes the same files, and the demo writes its outputs.

use crate::util::{conduct, ok, summary};

#[test]
fn synth_then_ingest_accepts_every_row() {
    let tmp = tempfile::tempdir().unwrap();
    let world = tmp.path().join("world");
    ok(conduct().args(["synth", "--incidents", "4000", "--seed", "11", "--out"]).arg(&world));
    let rep = tmp.path().join("r");
    ok(conduct().arg("ingest").arg(&world).arg("--workspace").arg(tmp.path().join("ws")).arg("--report-dir").arg(&rep));
    let s = summary(&rep);
    for file in s["files"].as_array().unwrap() {
        assert!(file["read"].as_u64().unwrap() > 0, "{file}");
        assert_eq!(file["read"], file["accepted"], "{file}");
    }
    // incidents, people, orders and the screenings (risk_assessments.csv).
    assert_eq!(s["files"].as_array().unwrap().len(), 4);
    // Every ground-truth column is set aside unread, whether ingest knows its name or not.
    let incidents = s["files"].as_array().unwrap().iter().find(|f| f["table"] == "incidents").unwrap();
    let unread: Vec<&str> = ["ground_truth_columns", "ignored_columns"]
        .iter()
        .flat_map(|k| incidents[*k].as_array().unwrap().iter().map(|v| v.as_str().unwrap()))
        .collect();
    for column in
        ["true_course_id", "true_breach_order_ref", "true_course_risk", "true_serious_violence", "true_recorded_under_other_crime"]
    {
        assert!(unread.contains(&column), "{column} not set aside: {incidents}");
    }
}

#[test]
fn same_seed_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    for run in ["a", "b"] {
        ok(conduct().args(["synth", "--incidents", "2000", "--seed", "5", "--out"]).arg(tmp.path().join(run)));
    }
    for file in ["incidents.csv", "people.csv", "orders.csv", "risk_assessments.csv"] {
        let a = std::fs::read(tmp.path().join("a").join(file)).unwrap();
        let b = std::fs::read(tmp.path().join("b").join(file)).unwrap();
        assert!(a == b, "{file} differs between runs with the same seed");
    }
}

#[test]
fn demo_writes_its_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("demo");
    let o = ok(conduct().args(["demo", "--incidents", "3000", "--out"]).arg(&out));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("import"), "{text}");
    for f in [
        "world/incidents.csv",
        "world/people.csv",
        "world/orders.csv",
        "workspace/conduct.db",
        "import/summary.json",
        "link/persons.csv",
        "link/model.json",
        "courses/courses.csv",
        "courses/triage.csv",
        "stats/recorded.csv",
        "stories/force-merseyside.md",
        "report/index.html",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let s = summary(&out.join("import"));
    assert_eq!(s["read"], s["accepted"]);
    assert!(text.contains("scored against the world's ground truth"), "{text}");
    // Every people row is in persons.csv exactly once.
    let persons = crate::util::read_csv(&out.join("link/persons.csv"));
    let people = crate::util::read_csv(&out.join("world/people.csv"));
    assert_eq!(persons.len(), people.len());
    let ids: std::collections::HashSet<&str> = persons.iter().map(|r| r["record_id"].as_str()).collect();
    assert_eq!(ids.len(), people.len());
}

//! Courses of conduct through the real binary. Person linkage is scored on its own; here the
//! course rules are scored given the true people (an upper bound the linked pipeline approaches).

use crate::util::{conduct, ok, read_csv, timeline};

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
    let timeline = timeline(&out, &first);
    // One line per course, in course order, as course_summary.csv lists them.
    let ids: Vec<String> = std::fs::read_to_string(out.join("timelines.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["course_id"].as_str().unwrap().to_string())
        .collect();
    let mut summary_ids: Vec<String> = read_csv(&out.join("course_summary.csv")).into_iter().map(|r| r["course_id"].clone()).collect();
    summary_ids.sort();
    assert_eq!(ids, summary_ids);
    // A line's keys, in the order they have always been written (alphabetical), and its dates
    // as text.
    let line = std::fs::read_to_string(out.join("timelines.jsonl")).unwrap().lines().next().unwrap().to_string();
    let keys = [
        "course_id",
        "forces",
        "orders",
        "priority",
        "priority_by_rules",
        "reasons",
        "reports",
        "screenings",
        "suspect_person_id",
        "victim_person_id",
        "withdrawal",
    ];
    let at: Vec<usize> = keys.iter().map(|k| line.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("{k} in {line}"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{line}");
    let first: serde_json::Value = serde_json::from_str(&line).unwrap();
    let date = first["reports"][0]["date"].as_str().unwrap();
    assert!(date.len() == 10 && date.as_bytes()[4] == b'-', "{date}");
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

/// Issue 17 items 3 and 6, through the real binary on the hand-written export in
/// `tests/data/withdrawal/` (its README gives every expected figure, worked by hand): a victim
/// who withdrew after report 3 of 7 while reports kept coming, a victim-only course withdrawn at
/// its last report, and a course with 44 possible breaches of one interim SPO.
#[test]
fn a_victim_who_withdrew_is_shown_per_course_and_per_force_and_breaches_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("courses");
    let data = |f: &str| crate::util::data(&format!("withdrawal/{f}"));
    ok(conduct()
        .arg("courses")
        .arg("--incidents")
        .arg(data("incidents.csv"))
        .arg("--people")
        .arg(data("people.csv"))
        .arg("--orders")
        .arg(data("orders.csv"))
        .arg("--out")
        .arg(&out));
    let rows = read_csv(&out.join("courses.csv"));
    let course_of = |r: &str| rows.iter().find(|x| x["incident_ref"] == r).unwrap()["course_id"].clone();
    let joanne = course_of("LAN-23-04412");
    let withdrawn: Vec<&str> =
        rows.iter().filter(|x| x["course_id"] == joanne && x["victim_withdrew"] == "true").map(|x| x["incident_ref"].as_str()).collect();
    assert_eq!(withdrawn, ["LAN-23-08877"]);

    let triage = read_csv(&out.join("triage.csv"));
    let t = triage.iter().find(|r| r["course_id"] == joanne).unwrap();
    assert!(
        t["reasons"].contains(
            "victim withdrew support on 2023-03-02 (outcome 16 on report LAN-23-08877, after report 3 of 7, 52 days after the first report); 4 reports since"
        ),
        "{}",
        t["reasons"]
    );
    assert_eq!((t["priority"].as_str(), t["priority_by_rules"].as_str()), ("review", "review"), "routine raised a step");

    let summary = read_csv(&out.join("course_summary.csv"));
    let s = summary.iter().find(|r| r["course_id"] == joanne).unwrap();
    let got: Vec<&str> = [
        "victim_withdrew_date",
        "victim_withdrew_outcome",
        "victim_withdrew_incident_ref",
        "victim_withdrew_after_report",
        "victim_withdrew_days_after_first",
        "reports_since_withdrawal",
    ]
    .iter()
    .map(|c| s[*c].as_str())
    .collect();
    assert_eq!(got, ["2023-03-02", "16", "LAN-23-08877", "3", "52", "4"]);
    assert!(s["flags"].split(';').any(|f| f == "victim_withdrew"), "{}", s["flags"]);
    let rachel = summary.iter().find(|r| r["course_id"] == course_of("LAN-23-11873")).unwrap();
    assert_eq!((rachel["victim_withdrew_outcome"].as_str(), rachel["reports_since_withdrawal"].as_str()), ("14", "0"));
    let priya = summary.iter().find(|r| r["course_id"] == course_of("CUM-22-01001")).unwrap();
    assert_eq!(priya["victim_withdrew_date"], "", "no withdrawal, nothing written");

    let timeline = timeline(&out, &joanne);
    let w = &timeline["withdrawal"];
    assert_eq!(
        (&w["date"], &w["incident_ref"], &w["after_report"], &w["of_reports"], &w["days_after_first"], &w["reports_since"]),
        (
            &serde_json::json!("2023-03-02"),
            &serde_json::json!("LAN-23-08877"),
            &serde_json::json!(3),
            &serde_json::json!(7),
            &serde_json::json!(52),
            &serde_json::json!(4)
        )
    );

    let by_force: Vec<Vec<String>> = read_csv(&out.join("withdrawal_by_force.csv"))
        .into_iter()
        .map(|r| {
            [
                "force",
                "courses",
                "courses_victim_withdrew",
                "course_withdrawal_share",
                "courses_withdrew_reports_since",
                "offences",
                "offences_victim_withdrew",
                "offence_withdrawal_share",
            ]
            .iter()
            .map(|c| r[*c].clone())
            .collect()
        })
        .collect();
    assert_eq!(
        by_force,
        [["Cumbria", "1", "0", "0.000", "0", "45", "0", "0.000"], ["Lancashire", "2", "2", "1.000", "1", "12", "3", "0.250"]]
    );

    // 44 possible breaches of one order: one line, with the first and last date.
    let priya = triage.iter().find(|r| r["course_id"] == course_of("CUM-22-01001")).unwrap();
    assert_eq!(priya["priority"], "urgent");
    let breach_reasons: Vec<&str> = priya["reasons"].split("; ").filter(|r| r.contains("breach")).collect();
    assert_eq!(
        breach_reasons,
        ["44 possible breaches of interim SPO ISPO-CUM-0042 (granted 2022-01-20, with no expiry recorded), 2022-02-01 to 2023-06-11"]
    );
    assert_eq!(read_csv(&out.join("breaches.csv")).len(), 44, "every breach is still listed in breaches.csv");
}

/// Issue 17 item 7: where a course that ended in serious violence stood in the review list the
/// day before, on a hand-written export (tests/data/early_warning/README.md works the figures).
#[test]
fn the_day_before_the_stabbing_her_course_heads_the_list_and_a_course_with_no_signs_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let data = |f: &str| crate::util::data(&format!("early_warning/{f}"));
    let eval = |as_of: bool, out: &std::path::Path| {
        let mut c = conduct();
        c.args(["eval", "triage"])
            .arg("--incidents")
            .arg(data("incidents.csv"))
            .arg("--people")
            .arg(data("people.csv"))
            .arg("--risk-assessments")
            .arg(data("risk_assessments.csv"))
            .arg("--truth")
            .arg(data("incidents.csv"))
            .arg("--out")
            .arg(out);
        if as_of {
            c.arg("--as-of");
        }
        ok(&mut c)
    };
    let out = tmp.path().join("as-of");
    let o = eval(true, &out);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("top 5% of the list   1 (50.0%)"), "{text}");
    let rows = read_csv(&out.join("early_warning.csv"));
    assert_eq!(rows.len(), 2);
    let kd = rows.iter().find(|r| r["true_course_id"] == "KD").unwrap();
    let got: Vec<&str> = ["list_date", "course_reports", "rank", "courses", "top_5_percent", "top_1_percent", "priority"]
        .iter()
        .map(|c| kd[*c].as_str())
        .collect();
    assert_eq!(got, ["2024-04-19", "25", "1", "37", "true", "false", "urgent"]);
    for why in ["threat to kill first reported 2024-04-13", "S-DASH 2024-04-03 graded high", "after report 8 of 25", "17 reports since"] {
        assert!(kd["reasons"].contains(why), "{why}: {}", kd["reasons"]);
    }
    assert!(!kd["reasons"].contains("stabbed"), "the violent report is not in the list of the day before");
    let sl = rows.iter().find(|r| r["true_course_id"] == "SL").unwrap();
    let got: Vec<&str> = ["list_date", "course_reports", "courses", "top_5_percent", "priority"].iter().map(|c| sl[*c].as_str()).collect();
    assert_eq!(got, ["2024-06-19", "2", "38", "false", "review"]);
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("early_warning.json")).unwrap()).unwrap();
    assert_eq!(
        (&summary["violent_courses_evaluated"], &summary["top_5_percent"], &summary["top_1_percent"], &summary["urgent_or_high"]),
        (&serde_json::json!(2), &serde_json::json!(1), &serde_json::json!(0), &serde_json::json!(1))
    );

    // Ranked in the list of the whole export, the course has the stabbing in it.
    let whole = tmp.path().join("whole");
    eval(false, &whole);
    let rows = read_csv(&whole.join("early_warning.csv"));
    let kd = rows.iter().find(|r| r["true_course_id"] == "KD").unwrap();
    assert_eq!((kd["course_reports"].as_str(), kd["list_date"].as_str()), ("26", "2024-06-20"));
}

//! `conduct export` through the real binary, checked by independent readers: lxml validates the
//! GraphML against the published GraphML schema and the ANX against i2's ANX structure
//! (tests/data/export/), and pyarrow reads the Parquet back against the CSV files
//! `conduct courses` writes. Without python3, lxml or pyarrow these tests fail in CI and report
//! themselves skipped elsewhere (`.ci/run` installs both).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{conduct, data, ok, read_csv, require, run};

/// Whether python3 can import `modules`.
fn python_has(modules: &str) -> bool {
    Command::new("python3").args(["-c", &format!("import {modules}")]).output().is_ok_and(|o| o.status.success())
}

/// The independent checker's verdict on `path` (`kind`: graphml, anx or parquet).
fn check(kind: &str, path: &Path) -> Value {
    let out = Command::new("python3").arg(data("export/check.py")).arg(kind).arg(path).output().expect("python3 runs");
    assert!(out.status.success(), "check.py {kind} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("check.py prints JSON")
}

/// `conduct export` on the good fixture (a course of three Merseyside reports and an order).
fn export_good(args: &[&str], out: &Path) -> std::process::Output {
    export_world(&data("good"), args, out)
}

fn count(items: &[Value], field: &str, value: &str) -> usize {
    items.iter().filter(|i| i[field] == value).count()
}

#[test]
fn graphml_of_a_course_is_valid_against_the_published_schema() {
    if !require(python_has("lxml"), "python3 with lxml is needed to validate GraphML") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("course.graphml");
    export_good(&["--course", "C000001", "--format", "graphml"], &file);
    let v = check("graphml", &file);
    assert_eq!(v["valid"], true, "{}", v["errors"]);
    let keys = &v["keys"];
    assert_eq!(keys["node:recorded_date"], "string");
    assert_eq!(keys["node:victim_reports"], "long");
    assert_eq!(keys["node:hidden_repeat"], "boolean");
    assert_eq!(keys["edge:days_after_previous"], "long");

    let nodes = v["nodes"].as_array().unwrap();
    let edges = v["edges"].as_array().unwrap();
    assert_eq!((count(nodes, "kind", "Report"), count(nodes, "kind", "Person"), count(nodes, "kind", "Order")), (3, 2, 1));
    let report = |r: &str| nodes.iter().find(|n| n["incident_ref"] == r).unwrap_or_else(|| panic!("report {r}"));
    assert_eq!(report("MER-1")["recorded_date"], "2023-04-02");
    assert_eq!(report("MER-2")["course_ids"], "C000001");
    assert_eq!(report("MER-2")["narrative"], "Followed her from work, loitering outside");
    let order = nodes.iter().find(|n| n["kind"] == "Order").unwrap();
    assert_eq!((order["order_ref"].as_str(), order["granted_date"].as_str()), (Some("SPO-1"), Some("2023-07-01")));
    // The course, one report to the next; the order to the report it arose from; the roles.
    let next: Vec<&Value> = edges.iter().filter(|e| e["relation"] == "next_in_course").collect();
    assert_eq!(next.len(), 2);
    assert!(next.iter().all(|e| e["course_id"] == "C000001"));
    assert_eq!(next[0]["days_after_previous"], "18", "MER-1 (2 April) to MER-2 (20 April)");
    assert_eq!(count(edges, "relation", "arose_from"), 1);
    assert_eq!(count(edges, "relation", "victim"), 3, "Jane Doe is the victim in the three reports");
    assert_eq!(count(edges, "relation", "suspect"), 2, "John Roe is the suspect in two");

    // The validator can fail: an edge to a node that does not exist is refused.
    let text = std::fs::read_to_string(&file).unwrap();
    let bad = tmp.path().join("bad.graphml");
    std::fs::write(&bad, text.replacen("target=\"n1\"", "target=\"n999\"", 1)).unwrap();
    let v = check("graphml", &bad);
    assert_eq!(v["valid"], false, "a dangling edge must fail validation");
    assert!(v["errors"].to_string().contains("edge_target_ref"), "{}", v["errors"]);
}

#[test]
fn anx_of_a_course_has_i2s_structure_and_its_links_resolve() {
    if !require(python_has("lxml"), "python3 with lxml is needed to check the ANX") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("course.anx");
    export_good(&["--course", "C000001", "--format", "anx"], &file);
    let v = check("anx", &file);
    assert_eq!(v["valid"], true, "{}", v["errors"]);
    let entities = v["entities"].as_array().unwrap();
    let links = v["links"].as_array().unwrap();
    assert_eq!((count(entities, "type", "Report"), count(entities, "type", "Person"), count(entities, "type", "Order")), (3, 2, 1));
    // Every link names entities of the chart (the schema's keyref checks it too).
    let ids: HashSet<&str> = entities.iter().map(|e| e["id"].as_str().unwrap()).collect();
    for l in links {
        assert!(ids.contains(l["from"].as_str().unwrap()) && ids.contains(l["to"].as_str().unwrap()), "{l}");
    }
    assert_eq!(count(links, "type", "Next in course"), 2);
    assert_eq!(count(links, "type", "Victim in"), 3);
    assert_eq!(count(links, "type", "Arose from"), 1);
    // Dates on the items: reports at their recorded date, the order at its grant.
    let mer1 = entities.iter().find(|e| e["identity"] == "Merseyside MER-1").unwrap();
    assert_eq!(mer1["date"], "2023-04-02T00:00:00");
    assert_eq!(mer1["attributes"]["Offence code"], "8L");
    let spo = entities.iter().find(|e| e["type"] == "Order").unwrap();
    assert_eq!(spo["date"], "2023-07-01T00:00:00");
    let jane = entities.iter().find(|e| e["type"] == "Person" && e["attributes"]["Reports as victim"] == "3").unwrap();
    assert_eq!(jane["label"], "Jane Doe");
    assert!(entities.iter().filter(|e| e["type"] == "Person").all(|e| e["date"].is_null()), "persons carry no date");

    // The checker can fail: a link to a missing entity, and a date without its time.
    let text = std::fs::read_to_string(&file).unwrap();
    for (from, to, why) in [
        ("End2Id=\"report:Merseyside:MER-2\"", "End2Id=\"nobody\"", "End2Id"),
        ("DateTime=\"2023-04-02T00:00:00\"", "DateTime=\"2023-04-02\"", "xs:dateTime"),
        ("<IconStyle Type=\"Order\"/>", "<IconStyle Type=\"Vehicle\"/>", "IconStyleType"),
    ] {
        assert!(text.contains(from), "{from}");
        let bad = tmp.path().join("bad.anx");
        std::fs::write(&bad, text.replacen(from, to, 1)).unwrap();
        let v = check("anx", &bad);
        assert_eq!(v["valid"], false, "{to} must fail");
        assert!(v["errors"].to_string().contains(why), "{}", v["errors"]);
    }
}

/// Narratives hold what officers typed: markup characters, quotes, line breaks, and now and then
/// a control character that XML cannot carry at all. Both XML files stay valid, keep the text,
/// and say how many characters they had to replace.
#[test]
fn xml_exports_keep_awkward_text_and_say_what_they_replaced() {
    if !require(python_has("lxml"), "python3 with lxml is needed to validate the XML") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let g = data("good");
    let incidents = tmp.path().join("incidents.csv");
    let narrative = "She said \"stop\" & he wrote <3 'again'\nsecond line\u{1}";
    let mut rows = read_csv(&g.join("incidents.csv"));
    let header = std::fs::read_to_string(g.join("incidents.csv")).unwrap().lines().next().unwrap().to_string();
    let columns: Vec<String> = header.split(',').map(str::to_string).collect();
    let mut w = csv::Writer::from_path(&incidents).unwrap();
    w.write_record(&columns).unwrap();
    for row in &mut rows {
        if row["incident_ref"] == "MER-2" {
            row.insert("narrative".into(), narrative.into());
        }
        w.write_record(columns.iter().map(|c| row[c].as_str())).unwrap();
    }
    w.flush().unwrap();
    for (format, kind) in [("graphml", "graphml"), ("anx", "anx")] {
        let file = tmp.path().join(format!("course.{format}"));
        let out = ok(conduct()
            .arg("export")
            .arg("--incidents")
            .arg(&incidents)
            .arg("--people")
            .arg(g.join("people.csv"))
            .args(["--course", "C000001", "--format", format, "--out"])
            .arg(&file));
        assert!(String::from_utf8_lossy(&out.stderr).contains("1 characters that XML cannot carry"), "{format}");
        let v = check(kind, &file);
        assert_eq!(v["valid"], true, "{format}: {}", v["errors"]);
        let kept = narrative.replace('\u{1}', "\u{FFFD}");
        let found = if kind == "graphml" {
            v["nodes"].as_array().unwrap().iter().find(|n| n["incident_ref"] == "MER-2").unwrap()["narrative"].clone()
        } else {
            v["entities"].as_array().unwrap().iter().find(|e| e["identity"] == "Merseyside MER-2").unwrap()["description"].clone()
        };
        assert_eq!(found, kept.as_str(), "{format}");
    }
}

/// A small synthetic world analysed by `conduct courses` (its CSV files are the reference).
fn world(tmp: &Path, incidents: &str, seed: &str) -> (PathBuf, PathBuf) {
    let world = tmp.join("world");
    ok(conduct().args(["synth", "--incidents", incidents, "--seed", seed, "--out"]).arg(&world));
    let courses = tmp.join("courses");
    ok(conduct()
        .arg("courses")
        .arg("--incidents")
        .arg(world.join("incidents.csv"))
        .arg("--people")
        .arg(world.join("people.csv"))
        .arg("--orders")
        .arg(world.join("orders.csv"))
        .arg("--out")
        .arg(&courses));
    (world, courses)
}

/// `conduct export` on the export in folder `world` (incidents, people and orders CSV).
fn export_world(world: &Path, args: &[&str], out: &Path) -> std::process::Output {
    ok(conduct()
        .arg("export")
        .arg("--incidents")
        .arg(world.join("incidents.csv"))
        .arg("--people")
        .arg(world.join("people.csv"))
        .arg("--orders")
        .arg(world.join("orders.csv"))
        .args(args)
        .arg("--out")
        .arg(out))
}

/// The CSV files of a `conduct courses` folder, by table name.
fn csv_tables(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str().and_then(|n| n.strip_suffix(".csv")).map(str::to_string))
        .collect();
    names.sort();
    names
}

#[test]
fn parquet_of_every_course_reads_back_typed_with_the_csv_rows() {
    if !require(python_has("pyarrow"), "python3 with pyarrow is needed to read the Parquet back") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (world, courses) = world(tmp.path(), "1500", "5");
    let pq = tmp.path().join("parquet");
    export_world(&world, &["--all", "--format", "parquet"], &pq);
    let v = check("parquet", &pq);
    let tables = csv_tables(&courses);
    for must in ["persons", "courses", "course_summary", "triage", "hidden_repeats", "breaches"] {
        assert!(tables.iter().any(|t| t == must), "conduct courses wrote {must}.csv");
    }
    let read: Vec<&String> = v.as_object().unwrap().keys().filter(|t| *t != "pairs").collect();
    assert_eq!(read, tables.iter().collect::<Vec<_>>(), "one Parquet file for every CSV file");
    // The scored pairs of the linkage (conduct run's link/pairs.csv), with their numbers typed.
    let pairs = &v["pairs"];
    assert!(pairs["rows"].as_u64().unwrap() > 0, "pairs.parquet");
    assert_eq!(pairs["columns"], serde_json::json!(["record_id_l", "record_id_r", "match_weight", "match_probability"]));
    assert_eq!((pairs["types"]["match_weight"].as_str(), pairs["types"]["match_probability"].as_str()), (Some("double"), Some("double")));
    assert!(std::fs::read_dir(&pq).unwrap().all(|e| e.unwrap().file_name().to_str().unwrap().ends_with(".parquet")), "no scratch left");

    let expected_types = [
        ("courses", "hidden_repeat", "bool"),
        ("course_summary", "first_date", "date32[day]"),
        ("course_summary", "last_date", "date32[day]"),
        ("course_summary", "reports", "int64"),
        ("course_summary", "linked_by_force", "int64"),
        ("course_summary", "hidden_repeats", "int64"),
        ("course_summary", "course_id", "string"),
        ("triage", "rank", "int64"),
        ("triage", "last_date", "date32[day]"),
        ("hidden_repeats", "hidden_share", "double"),
        ("hidden_repeats", "repeats", "int64"),
        ("breaches", "date", "date32[day]"),
        ("persons", "person_id", "string"),
    ];
    for (table, column, ty) in expected_types {
        assert_eq!(v[table]["types"][column], ty, "{table}.{column}");
    }
    let mut breaches = 0;
    for table in &tables {
        let t = &v[table.as_str()];
        let csv = read_csv(&courses.join(format!("{table}.csv")));
        assert_eq!(t["rows"].as_u64().unwrap() as usize, csv.len(), "{table}: rows");
        if table == "breaches" {
            breaches = csv.len();
        }
        let header = std::fs::read_to_string(courses.join(format!("{table}.csv"))).unwrap();
        let header: Vec<&str> = header.lines().next().unwrap().split(',').collect();
        let columns: Vec<&str> = t["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        assert_eq!(columns, header, "{table}: the CSV's columns, in order");
        for column in columns {
            let ty = t["types"][column].as_str().unwrap();
            let cells = t["cells"][column].as_array().unwrap();
            for (row, cell) in csv.iter().zip(cells) {
                let want = conduct_domain::cell::restore(&row[column]).into_owned();
                match cell.as_str() {
                    None => assert!(want.is_empty(), "{table}.{column}: null for {want:?}"),
                    Some(got) if ty == "double" => {
                        let (g, w): (f64, f64) = (got.parse().unwrap(), want.parse().unwrap());
                        assert!((g - w).abs() < 5e-4, "{table}.{column}: {g} for {w}");
                    }
                    Some(got) => assert_eq!(got, want, "{table}.{column}"),
                }
            }
        }
    }
    assert!(breaches > 0, "the world has possible breaches to carry over");
}

#[test]
fn a_persons_network_and_a_forces_courses() {
    if !require(python_has("lxml") && python_has("pyarrow"), "python3 with lxml and pyarrow is needed") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (world, courses) = world(tmp.path(), "800", "9");
    let summary = read_csv(&courses.join("course_summary.csv"));
    let course_rows = read_csv(&courses.join("courses.csv"));
    let reports_of = |ids: &HashSet<&str>| -> HashSet<String> {
        course_rows
            .iter()
            .filter(|r| ids.contains(r["course_id"].as_str()))
            .map(|r| format!("{} {}", r["force"], r["incident_ref"]))
            .collect()
    };

    // A victim's network: every course they are in, every report of those courses.
    let person = summary[0]["victim_person_id"].clone();
    let theirs: HashSet<&str> = summary
        .iter()
        .filter(|r| r["victim_person_id"] == person || r["suspect_person_id"] == person)
        .map(|r| r["course_id"].as_str())
        .collect();
    let file = tmp.path().join("person.graphml");
    export_world(&world, &["--person", &person, "--format", "graphml"], &file);
    let v = check("graphml", &file);
    assert_eq!(v["valid"], true, "{}", v["errors"]);
    let nodes = v["nodes"].as_array().unwrap();
    let reports: HashSet<String> =
        nodes.iter().filter(|n| n["kind"] == "Report").map(|n| n["identity"].as_str().unwrap().to_string()).collect();
    assert!(reports.is_superset(&reports_of(&theirs)), "every report of the person's courses");
    assert!(nodes.iter().any(|n| n["person_id"] == person.as_str()), "the person");
    let next: HashSet<&str> = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["relation"] == "next_in_course")
        .map(|e| e["course_id"].as_str().unwrap())
        .collect();
    assert_eq!(next, theirs, "the links of exactly the person's courses");

    // A force: every course with a report there, whole; its Parquet rows are those courses.
    let force = summary[0]["forces"].split(';').next().unwrap().to_string();
    let of_force: HashSet<&str> =
        summary.iter().filter(|r| r["forces"].split(';').any(|f| f == force)).map(|r| r["course_id"].as_str()).collect();
    let pq = tmp.path().join("force");
    let out = export_world(&world, &["--force", &force, "--format", "parquet"], &pq);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{} courses", of_force.len())));
    let v = check("parquet", &pq);
    let ids: HashSet<&str> = v["course_summary"]["cells"]["course_id"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(ids, of_force);
    let rows: HashMap<&str, usize> = course_rows.iter().fold(HashMap::new(), |mut m, r| {
        *m.entry(r["course_id"].as_str()).or_default() += usize::from(of_force.contains(r["course_id"].as_str()));
        m
    });
    assert_eq!(v["courses"]["rows"].as_u64().unwrap() as usize, rows.values().sum::<usize>(), "every report of those courses");

    // With the persons of the earlier linkage given (--persons), nothing is linked again and
    // the same courses come out.
    let given = tmp.path().join("force-given");
    export_world(&world, &["--persons", courses.join("persons.csv").to_str().unwrap(), "--force", &force, "--format", "parquet"], &given);
    let w = check("parquet", &given);
    assert_eq!(w["course_summary"]["cells"], v["course_summary"]["cells"]);
    assert_eq!(w["courses"]["cells"], v["courses"]["cells"]);
}

#[test]
fn an_unknown_course_person_or_force_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let g = data("good");
    for (flag, value, says) in [
        ("--course", "C999999", "no course of conduct \"C999999\" (the analysis found one, C000001)"),
        ("--person", "P9999999", "no person \"P9999999\""),
        ("--force", "Atlantis", "force \"Atlantis\""),
    ] {
        let out = run(conduct()
            .arg("export")
            .arg("--incidents")
            .arg(g.join("incidents.csv"))
            .arg("--people")
            .arg(g.join("people.csv"))
            .args([flag, value, "--format", "anx", "--out"])
            .arg(tmp.path().join("x.anx")));
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{flag}: {err}");
        assert!(!tmp.path().join("x.anx").exists(), "nothing written for {flag}");
    }
    // A selection is required, and only one.
    let out = run(conduct().args(["export", "--incidents", "i.csv", "--people", "p.csv", "--format", "anx", "--out", "x"]));
    assert_eq!(out.status.code(), Some(2));
    let out = run(conduct().args([
        "export",
        "--incidents",
        "i.csv",
        "--people",
        "p.csv",
        "--all",
        "--course",
        "C1",
        "--format",
        "anx",
        "--out",
        "x",
    ]));
    assert_eq!(out.status.code(), Some(2));
    let help = ok(conduct().args(["export", "--help"]));
    let help = String::from_utf8_lossy(&help.stdout);
    for word in ["--course", "--person", "--force", "--all", "anx", "graphml", "parquet"] {
        assert!(help.contains(word), "--help names {word}");
    }
}

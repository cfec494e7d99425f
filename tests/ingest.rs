//! Ingest that loses nothing: the bad-input corpus, the three formats, idempotent re-import,
//! updates in place, and people files read on their own.

use std::collections::BTreeSet;
use std::path::Path;

use crate::util::{column, conduct, data, dump, ok, read_csv, run, summary};

fn ingest(workspace: &Path, report: &Path, args: &[(&str, std::path::PathBuf)]) -> std::process::Output {
    let mut cmd = conduct();
    cmd.arg("ingest").arg("--workspace").arg(workspace).arg("--report-dir").arg(report);
    for (flag, path) in args {
        cmd.arg(flag).arg(path);
    }
    run(&mut cmd)
}

/// Every file of the bad-input corpus: read = accepted + rejected; exactly the expected keys
/// are in the workspace (nothing valid lost, nothing invalid let in); exactly the expected lines
/// are rejected, each with its reason; warnings counted.
#[test]
fn bad_input_corpus_loses_nothing_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let (ws, rep) = (tmp.path().join("ws"), tmp.path().join("report"));
    let out = ingest(
        &ws,
        &rep,
        &[
            ("--incidents", data("bad/incidents.csv")),
            ("--people", data("bad/people.csv")),
            ("--people", data("bad/people.jsonl")),
            ("--orders", data("bad/orders.csv")),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data("bad/expected.json")).unwrap()).unwrap();
    let s = summary(&rep);
    let rejects = read_csv(&rep.join("rejects.csv"));
    for file in s["files"].as_array().unwrap() {
        let path = file["file"].as_str().unwrap();
        let name = Path::new(path).file_name().unwrap().to_str().unwrap();
        let want = &expected[name];
        let (read, accepted, rejected) =
            (file["read"].as_u64().unwrap(), file["accepted"].as_u64().unwrap(), file["rejected"].as_u64().unwrap());
        assert_eq!(read, accepted + rejected, "{name}: read = accepted + rejected");
        assert_eq!(read, want["read"].as_u64().unwrap(), "{name}: rows read");
        assert_eq!(accepted, want["accepted"].as_array().unwrap().len() as u64, "{name}: accepted");
        assert_eq!(file["warnings"].as_u64().unwrap(), want["warnings"].as_u64().unwrap(), "{name}: warnings");
        // Rejected lines and reasons, exactly.
        let got: BTreeSet<(u64, String)> = rejects
            .iter()
            .filter(|r| r["file"] == path)
            .map(|r| (r["line"].parse().unwrap(), r["reason"].clone()))
            .collect();
        let want_rejects = want["rejected"].as_object().unwrap();
        assert_eq!(got.len(), want_rejects.len(), "{name}: rejects {got:?}");
        assert_eq!(got.len() as u64, rejected, "{name}: every reject is in rejects.csv");
        for (line, word) in want_rejects {
            let line: u64 = line.parse().unwrap();
            let reason = got.iter().find(|(l, _)| *l == line).map(|(_, r)| r.as_str());
            assert!(
                reason.is_some_and(|r| r.contains(word.as_str().unwrap())),
                "{name} line {line}: expected a reason with {word}, got {reason:?}"
            );
        }
    }
    // The workspace holds exactly the accepted keys.
    let keys = |sql: &str| column(&ws, sql);
    let want = |file: &str| -> Vec<String> {
        let mut v: Vec<String> =
            expected[file]["accepted"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(keys("SELECT incident_ref FROM incidents"), want("incidents.csv"));
    let mut people = want("people.csv");
    people.extend(want("people.jsonl"));
    people.sort();
    assert_eq!(keys("SELECT record_id FROM people"), people);
    assert_eq!(keys("SELECT order_ref FROM orders"), want("orders.csv"));
    // Bad optional values were kept and marked, not dropped.
    assert_eq!(keys("SELECT invalid FROM people WHERE record_id = 'P-OK-2'"), ["date_of_birth;phone;email"]);
    assert_eq!(keys("SELECT phone FROM people WHERE record_id = 'P-OK-2'"), ["call me"]);
    assert_eq!(keys("SELECT date_of_birth FROM people WHERE record_id = 'P-OK-2'"), ["1985-02-30"]);
    assert_eq!(keys("SELECT narrative FROM incidents WHERE incident_ref = 'OK-5'"), ["Abuse shouted at café owner"]);
    assert_eq!(keys("SELECT narrative FROM incidents WHERE incident_ref = 'OK-3'"), ["Turned up at work.\nSent messages all night, still one row"]);
    assert_eq!(keys("SELECT online_handles FROM people WHERE record_id = 'J-OK-2'"), ["instagram:kl70;kl_70"]);
    // Forces are stored under their canonical names whatever the spelling.
    assert_eq!(
        keys("SELECT DISTINCT f.name FROM incidents i JOIN forces f ON f.id = i.force_id"),
        ["Devon and Cornwall", "Merseyside", "Metropolitan Police"]
    );
}

#[test]
fn ground_truth_columns_are_never_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ingest(&ws, &tmp.path().join("r"), &[("--incidents", data("bad/incidents.csv")), ("--people", data("bad/people.csv"))]);
    let all = dump(&ws).join("\n");
    assert!(!all.contains("\"T1\""), "true_person_id values must not reach the store");
    let s = summary(&tmp.path().join("r"));
    assert_eq!(s["files"][1]["ground_truth_columns"][0], "true_person_id");
}

#[test]
fn empty_and_header_only_files_are_counted_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let (ws, rep) = (tmp.path().join("ws"), tmp.path().join("r"));
    let out = ingest(
        &ws,
        &rep,
        &[
            ("--incidents", data("good/incidents.csv")),
            ("--people", data("bad/empty.csv")),
            ("--people", data("bad/header_only.csv")),
        ],
    );
    assert!(out.status.success());
    let s = summary(&rep);
    let files = s["files"].as_array().unwrap();
    assert_eq!(files[1]["read"], 0);
    assert!(files[1]["notes"][0].as_str().unwrap().contains("empty"));
    assert_eq!(files[2]["read"], 0);
    assert!(files[2]["notes"][0].as_str().unwrap().contains("no rows"));
}

#[test]
fn good_export_is_accepted_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let (ws, rep) = (tmp.path().join("ws"), tmp.path().join("r"));
    ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(&rep));
    let s = summary(&rep);
    assert_eq!(s["read"], s["accepted"]);
    assert_eq!((s["read"].as_u64(), s["rejected"].as_u64(), s["warnings"].as_u64()), (Some(14), Some(0), Some(0)));
    assert_eq!(read_csv(&rep.join("rejects.csv")).len(), 0);
}

#[test]
fn reimporting_the_same_files_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let import = |n: &str| {
        let rep = tmp.path().join(n);
        ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(&rep));
        summary(&rep)
    };
    let first = import("r1");
    let before = dump(&ws);
    let second = import("r2");
    assert_eq!(dump(&ws), before);
    assert_eq!(first["incidents"]["new"], 5);
    for table in ["incidents", "people", "orders"] {
        assert_eq!(second[table]["new"], 0, "{table}");
        assert_eq!(second[table]["updated"], 0, "{table}");
        assert_eq!(second[table]["unchanged"], first[table]["new"], "{table}");
    }
}

#[test]
fn a_newer_export_updates_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r1")));
    let rep = tmp.path().join("r2");
    ok(conduct()
        .arg("ingest")
        .arg("--incidents")
        .arg(data("good-v2/incidents.csv"))
        .arg("--workspace")
        .arg(&ws)
        .arg("--report-dir")
        .arg(&rep));
    let s = summary(&rep);
    assert_eq!((s["incidents"]["new"].as_u64(), s["incidents"]["updated"].as_u64(), s["incidents"]["unchanged"].as_u64()), (Some(1), Some(1), Some(4)));
    assert_eq!(column(&ws, "SELECT outcome_type FROM incidents WHERE incident_ref = 'MER-2'"), ["16"]);
    assert_eq!(column(&ws, "SELECT count(*) FROM incidents"), ["6"]);
    // People of the earlier import still refer to incidents that exist.
    assert_eq!(column(&ws, "SELECT count(*) FROM people"), ["8"]);
}

#[test]
fn people_may_refer_to_incidents_imported_earlier() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(conduct().arg("ingest").arg("--incidents").arg(data("good/incidents.csv")).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r1")));
    let rep = tmp.path().join("r2");
    ok(conduct().arg("ingest").arg("--people").arg(data("good/people.csv")).arg("--orders").arg(data("good/orders.csv")).arg("--workspace").arg(&ws).arg("--report-dir").arg(&rep));
    let s = summary(&rep);
    assert_eq!(s["rejected"], 0);
    assert_eq!(s["people"]["new"], 8);
}

/// The same export as CSV, JSON Lines and Parquet gives the same workspace.
#[test]
fn csv_jsonl_and_parquet_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let mut dumps = Vec::new();
    for format in ["csv", "jsonl", "parquet"] {
        let dir = tmp.path().join(format);
        std::fs::create_dir_all(&dir).unwrap();
        for table in ["incidents", "people", "orders"] {
            let src = data(&format!("good/{table}.csv"));
            let dest = dir.join(format!("{table}.{format}"));
            let mut r = csv::Reader::from_path(&src).unwrap();
            let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
            let rows: Vec<Vec<Option<String>>> = r
                .records()
                .map(|rec| rec.unwrap().iter().map(|v| (!v.is_empty()).then(|| v.to_string())).collect())
                .collect();
            match format {
                "csv" => {
                    std::fs::copy(&src, &dest).unwrap();
                }
                "jsonl" => {
                    let lines: Vec<String> = rows
                        .iter()
                        .map(|row| {
                            let obj: serde_json::Map<String, serde_json::Value> = headers
                                .iter()
                                .zip(row)
                                .filter_map(|(h, v)| v.as_ref().map(|v| (h.to_uppercase(), v.clone().into())))
                                .collect();
                            serde_json::Value::Object(obj).to_string()
                        })
                        .collect();
                    std::fs::write(&dest, lines.join("\n") + "\n").unwrap();
                }
                _ => {
                    let cols: Vec<&str> = headers.iter().map(String::as_str).collect();
                    conduct_ingest::write_parquet_strings(&dest, &cols, &rows).unwrap();
                }
            }
        }
        let ws = tmp.path().join(format!("ws-{format}"));
        let rep = tmp.path().join(format!("r-{format}"));
        ok(conduct().arg("ingest").arg(&dir).arg("--workspace").arg(&ws).arg("--report-dir").arg(&rep));
        let s = summary(&rep);
        assert_eq!(s["accepted"], 14, "{format}");
        assert_eq!(s["files"][0]["format"], format);
        dumps.push(dump(&ws));
    }
    assert_eq!(dumps[0], dumps[1], "csv vs jsonl");
    assert_eq!(dumps[0], dumps[2], "csv vs parquet");
}

/// Person linkage reads benchmark files that hold people only (FEBRL); the readers must serve
/// them without an incidents file.
#[test]
fn people_files_are_read_on_their_own() {
    let febrl = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/febrl/febrl3-people.csv");
    let file = conduct_ingest::read_people(&febrl).expect("febrl3 reads");
    assert_eq!(file.summaries[0].read, 5000);
    assert_eq!(file.summaries[0].accepted + file.summaries[0].rejected, 5000);
    assert_eq!(file.rows.len() as u64, file.summaries[0].accepted);
    assert_eq!(file.summaries[0].rejected, 0, "{:?}", file.rejects.first());
    assert_eq!(file.summaries[0].ground_truth_columns, ["true_person_id"]);
    // FEBRL keeps impossible dates of birth as given: they are kept and warned about.
    assert_eq!(file.warnings.len() as u64, file.summaries[0].warnings);
}

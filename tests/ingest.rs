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
    let expected: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(data("bad/expected.json")).unwrap()).unwrap();
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
        let got: BTreeSet<(u64, String)> =
            rejects.iter().filter(|r| r["file"] == path).map(|r| (r["line"].parse().unwrap(), r["reason"].clone())).collect();
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
        let mut v: Vec<String> = expected[file]["accepted"].as_array().unwrap().iter().map(|k| k.as_str().unwrap().to_string()).collect();
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
    assert_eq!(
        keys("SELECT narrative FROM incidents WHERE incident_ref = 'OK-3'"),
        ["Turned up at work.\nSent messages all night, still one row"]
    );
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
        &[("--incidents", data("good/incidents.csv")), ("--people", data("bad/empty.csv")), ("--people", data("bad/header_only.csv"))],
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
    assert_eq!(
        (s["incidents"]["new"].as_u64(), s["incidents"]["updated"].as_u64(), s["incidents"]["unchanged"].as_u64()),
        (Some(1), Some(1), Some(4))
    );
    assert_eq!(column(&ws, "SELECT outcome_type FROM incidents WHERE incident_ref = 'MER-2'"), ["16"]);
    assert_eq!(column(&ws, "SELECT count(*) FROM incidents"), ["6"]);
    // People of the earlier import still refer to incidents that exist.
    assert_eq!(column(&ws, "SELECT count(*) FROM people"), ["8"]);
}

#[test]
fn people_may_refer_to_incidents_imported_earlier() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(conduct()
        .arg("ingest")
        .arg("--incidents")
        .arg(data("good/incidents.csv"))
        .arg("--workspace")
        .arg(&ws)
        .arg("--report-dir")
        .arg(tmp.path().join("r1")));
    let rep = tmp.path().join("r2");
    ok(conduct()
        .arg("ingest")
        .arg("--people")
        .arg(data("good/people.csv"))
        .arg("--orders")
        .arg(data("good/orders.csv"))
        .arg("--workspace")
        .arg(&ws)
        .arg("--report-dir")
        .arg(&rep));
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
            let rows: Vec<Vec<Option<String>>> =
                r.records().map(|rec| rec.unwrap().iter().map(|v| (!v.is_empty()).then(|| v.to_string())).collect()).collect();
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

/// The shapes of reference forces use, each numbered 1..=n in every force: plain numbers,
/// a letter prefix, zero-padding, the Home Office's `NN/NNNNNN/YY`, and mixed case with a
/// suffix. Every force uses the same references, so any check that confuses forces, or
/// compares hashes instead of keys, rejects valid rows here.
pub(crate) const REFERENCE_SHAPES: [&str; 6] = ["%d", "K-%d", "%07d", "%02d/%06d/23", "CR%dA", "ref-%x"];

pub(crate) fn reference(shape: &str, n: u32) -> String {
    match shape {
        "%d" => n.to_string(),
        "K-%d" => format!("K-{n}"),
        "%07d" => format!("{n:07}"),
        "%02d/%06d/23" => format!("{:02}/{n:06}/23", n % 100),
        "CR%dA" => format!("CR{n}A"),
        "ref-%x" => format!("ref-{n:x}"),
        _ => unreachable!(),
    }
}

/// Regression (issue 11): the duplicate check compared 64-bit hashes seeded by the force, so
/// `Kent,K-1` and `Essex,K-8` collided and Essex's report was rejected as a duplicate; with
/// 44 forces × 20,000 references 4–35% of valid rows were lost, and a person pointing at an
/// incident that does not exist was accepted. Here every force holds the same references of
/// every shape, with a person and an order on each incident: nothing may be rejected, except
/// the people and orders that point at a reference only another force has.
#[test]
fn regression_references_shared_by_44_forces_are_never_taken_for_duplicates() {
    use std::fmt::Write as _;
    let per_force: u32 = std::env::var("CONDUCT_SHAPES_PER_FORCE").ok().and_then(|v| v.parse().ok()).unwrap_or(400);
    let forces: Vec<conduct_domain::Force> =
        conduct_domain::Force::all().filter(|f| f.kind() == conduct_domain::ForceKind::Force).collect();
    assert_eq!(forces.len(), 44, "the 43 territorial forces and British Transport Police");
    let tmp = tempfile::tempdir().unwrap();
    let (mut inc, mut ppl, mut ord) = (
        String::from("force,incident_ref,recorded_date,offence_code\n"),
        String::from("record_id,force,incident_ref,role,forename,surname\n"),
        String::from("force,order_ref,order_type,incident_ref\n"),
    );
    let mut n_incidents = 0u64;
    for shape in REFERENCE_SHAPES {
        for f in &forces {
            for n in 1..=per_force {
                let r = reference(shape, n);
                let force = f.name();
                writeln!(inc, "{force},{r},2023-05-01,8L").unwrap();
                writeln!(ppl, "{force}|{r},{force},{r},victim,Ann,Smith").unwrap();
                writeln!(ord, "{force},{r},SPO,{r}").unwrap();
                n_incidents += 1;
            }
        }
    }
    // Orphans: references that exist in every force but this one's own, and one past the end.
    let (a, b) = (forces[0].name(), forces[1].name());
    writeln!(ppl, "orphan-1,{a},K-{},victim,Ann,Smith", per_force + 1).unwrap();
    writeln!(ppl, "orphan-2,{b},{},victim,Ann,Smith", per_force + 7).unwrap();
    writeln!(ord, "{a},orphan-order,SPO,{:07}", per_force + 1).unwrap();
    for (name, text) in [("incidents.csv", &inc), ("people.csv", &ppl), ("orders.csv", &ord)] {
        std::fs::write(tmp.path().join(name), text).unwrap();
    }
    let (ws, rep) = (tmp.path().join("ws"), tmp.path().join("report"));
    let out = ingest(
        &ws,
        &rep,
        &[
            ("--incidents", tmp.path().join("incidents.csv")),
            ("--people", tmp.path().join("people.csv")),
            ("--orders", tmp.path().join("orders.csv")),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let s = summary(&rep);
    let files = s["files"].as_array().unwrap();
    let count = |i: usize, k: &str| files[i][k].as_u64().unwrap();
    let rejects = read_csv(&rep.join("rejects.csv"));
    let shown: Vec<String> = rejects.iter().take(5).map(|r| format!("{} line {}: {}", r["file"], r["line"], r["reason"])).collect();
    assert_eq!(count(0, "accepted"), n_incidents, "incidents: {shown:?}");
    assert_eq!(count(1, "accepted"), n_incidents, "people: {shown:?}");
    assert_eq!(count(2, "accepted"), n_incidents, "orders: {shown:?}");
    let mut rejected: Vec<&str> = rejects.iter().map(|r| r["key"].as_str()).collect();
    rejected.sort();
    assert_eq!(rejected, ["orphan-1", "orphan-2", "orphan-order"], "only the three orphans are set aside");
    // Re-importing the same export changes nothing and now rejects nothing new as duplicate.
    let again = ingest(&ws, &tmp.path().join("report2"), &[("--incidents", tmp.path().join("incidents.csv"))]);
    assert!(again.status.success());
    let s2 = summary(&tmp.path().join("report2"));
    assert_eq!(s2["files"][0]["rejected"].as_u64(), Some(0));
}

/// The hostile cases of issue 11, each with the outcome a reviewer expects: implausible and
/// malformed values rejected or warned consistently, keys that share a seeded hash kept apart,
/// control characters in keys rejected, JSON numbers too large for a float validated as text.
#[test]
fn hostile_values_are_rejected_or_warned_as_documented() {
    let tmp = tempfile::tempdir().unwrap();
    let (ws, rep) = (tmp.path().join("ws"), tmp.path().join("report"));
    let out = ingest(
        &ws,
        &rep,
        &[
            ("--incidents", data("hostile/incidents.csv")),
            ("--incidents", data("hostile/incidents.jsonl")),
            ("--people", data("hostile/people.csv")),
            ("--orders", data("hostile/orders.csv")),
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rejects = read_csv(&rep.join("rejects.csv"));
    let warnings = read_csv(&rep.join("warnings.csv"));
    let reason = |file: &str, line: u64| -> Option<String> {
        rejects.iter().find(|r| r["file"].ends_with(file) && r["line"] == line.to_string()).map(|r| r["reason"].clone())
    };
    let warned = |file: &str, line: u64, word: &str| {
        warnings.iter().any(|w| w["file"].ends_with(file) && w["line"] == line.to_string() && w["reason"].contains(word))
    };
    let has = |file: &str, line: u64, word: &str| {
        let r = reason(file, line).unwrap_or_else(|| panic!("{file} line {line} should be rejected: {rejects:?}"));
        assert!(r.contains(word), "{file} line {line}: {r:?} should say {word:?}");
    };
    // incidents.csv
    for line in [2, 3, 4, 9, 10, 12, 13, 14] {
        assert_eq!(reason("incidents.csv", line), None, "incidents.csv line {line} is valid");
    }
    has("incidents.csv", 5, "duplicate");
    has("incidents.csv", 6, "after today");
    has("incidents.csv", 7, "outside 1000–9999");
    has("incidents.csv", 8, "date-time");
    has("incidents.csv", 11, "control character");
    assert!(warned("incidents.csv", 9, "not a Home Office outcome type"));
    assert!(warned("incidents.csv", 10, "not a Home Office outcome type"));
    assert!(warned("incidents.csv", 12, "NUL"));
    assert!(warned("incidents.csv", 13, "in the future"));
    // incidents.jsonl: numbers JSON cannot hold as floats are validated as text, not lost.
    for line in [1, 2, 3] {
        assert_eq!(reason("incidents.jsonl", line), None, "incidents.jsonl line {line} is kept");
    }
    assert!(warned("incidents.jsonl", 1, "1e400"));
    assert!(warned("incidents.jsonl", 2, "not a Home Office outcome type"));
    // people.csv: placeholder and compact dates of birth are marked invalid; a person pointing
    // at K-1 in Essex is an orphan although Kent has a K-1.
    assert!(warned("people.csv", 2, "placeholder"));
    assert!(warned("people.csv", 3, "not ISO 8601"));
    has("people.csv", 4, "no incident");
    assert_eq!(reason("people.csv", 5), None);
    // orders.csv: an open-ended expiry is no warning; the orphan is rejected.
    assert!(!warnings.iter().any(|w| w["file"].ends_with("orders.csv")), "{warnings:?}");
    has("orders.csv", 5, "no incident");
    let s = summary(&rep);
    for f in s["files"].as_array().unwrap() {
        assert_eq!(f["read"].as_u64().unwrap(), f["accepted"].as_u64().unwrap() + f["rejected"].as_u64().unwrap());
        let tallied: u64 = f["reject_reasons"].as_array().unwrap().iter().map(|k| k["count"].as_u64().unwrap()).sum();
        assert_eq!(tallied, f["rejected"].as_u64().unwrap(), "every reject is tallied by reason");
    }
    assert_eq!(column(&ws, "SELECT incident_ref FROM incidents WHERE incident_ref LIKE 'K-%'"), ["K-1", "K-8", "K-8"]);
}

/// A line of 3 MB without a newline is one rejected row, not 3 MB of memory per copy nor an
/// echo in the summary; rows after it are read. A header past the limit refuses the file.
#[test]
fn an_overlong_line_costs_one_row_and_is_not_echoed() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "x".repeat(3 << 20);
    let text = format!(
        "force,incident_ref,recorded_date,offence_code,narrative\nKent,A-1,2023-05-01,8L,ok\nKent,A-2,2023-05-01,8L,{long}\nKent,A-3,2023-05-01,8L,\"quoted {long}\nstill quoted\"\nKent,A-4,2023-05-01,8L,ok\nKent,A-5,2023-05-01,8L,{}\n",
        "y".repeat(100_000)
    );
    let file = tmp.path().join("incidents.csv");
    std::fs::write(&file, text).unwrap();
    let (ws, rep) = (tmp.path().join("ws"), tmp.path().join("report"));
    let out = ingest(&ws, &rep, &[("--incidents", file.clone())]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(column(&ws, "SELECT incident_ref FROM incidents"), ["A-1", "A-4"]);
    let rejects = read_csv(&rep.join("rejects.csv"));
    let lines: Vec<(&str, &str)> = rejects.iter().map(|r| (r["line"].as_str(), r["reason"].as_str())).collect();
    assert!(lines.iter().any(|(l, r)| *l == "3" && r.contains("--max-record-bytes")), "{lines:?}");
    assert!(lines.iter().any(|(l, r)| *l == "4" && r.contains("--max-record-bytes")), "{lines:?}");
    assert!(lines.iter().any(|(l, r)| *l == "7" && r.contains("--max-field-bytes")), "{lines:?}");
    let written = std::fs::metadata(rep.join("rejects.csv")).unwrap().len() + std::fs::metadata(rep.join("summary.json")).unwrap().len();
    assert!(written < 20_000, "rejects and summary stay small: {written} bytes");
    // A header longer than the limit: the file is refused, exit 1, with the limit named.
    let header = tmp.path().join("wide.csv");
    std::fs::write(&header, format!("force,{long}\n")).unwrap();
    let out = ingest(&tmp.path().join("ws2"), &tmp.path().join("r2"), &[("--incidents", header)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-record-bytes"));
}

/// `--incidents /dev/zero` aborted the process; a device is now refused with exit 1.
#[test]
fn a_device_is_refused_not_read_forever() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ingest(&tmp.path().join("ws"), &tmp.path().join("r"), &[("--incidents", "/dev/zero".into())]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
}

/// Thirty thousand copies of one row: the CLI streams every reject to rejects.csv and the
/// summary counts them under one kind of reason.
#[test]
fn repeated_rows_are_all_streamed_and_tallied_by_kind() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::from("force,incident_ref,recorded_date,offence_code\n");
    for _ in 0..30_000 {
        text.push_str("Kent,SAME,2023-05-01,8L\n");
    }
    let file = tmp.path().join("incidents.csv");
    std::fs::write(&file, text).unwrap();
    let rep = tmp.path().join("report");
    let out = ingest(&tmp.path().join("ws"), &rep, &[("--incidents", file)]);
    assert!(out.status.success());
    assert_eq!(read_csv(&rep.join("rejects.csv")).len(), 29_999);
    let s = summary(&rep);
    let kinds = s["files"][0]["reject_reasons"].as_array().unwrap();
    assert_eq!(kinds.len(), 1, "{kinds:?}");
    assert_eq!(kinds[0]["count"].as_u64(), Some(29_999));
    assert!(kinds[0]["reason"].as_str().unwrap().starts_with("duplicate incident_ref \"…\" in Kent"), "{kinds:?}");
}

/// Regression (issue 11): the CLI wrote an export's `=HYPERLINK(…)` key raw into rejects.csv,
/// where a spreadsheet runs it. Every cell that could start a formula gets an apostrophe.
#[test]
fn regression_rejects_csv_cells_cannot_start_a_formula() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("incidents.csv");
    std::fs::write(
        &file,
        "force,incident_ref,recorded_date,offence_code\nKent,=1+1,2023-05-01,8L\nKent,=1+1,2023-05-01,8L\nKent,@SUM(A1),not a date,8L\n",
    )
    .unwrap();
    let rep = tmp.path().join("report");
    assert!(ingest(&tmp.path().join("ws"), &rep, &[("--incidents", file)]).status.success());
    let rejects = read_csv(&rep.join("rejects.csv"));
    assert_eq!(rejects.len(), 2);
    for r in &rejects {
        for cell in r.values() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?} in {r:?}");
        }
    }
    assert_eq!(rejects[0]["key"], "'=1+1");
    assert_eq!(rejects[1]["key"], "'@SUM(A1)");
}

/// Regression (issue 11): Parquet written by polars (zstd, its default) and by pyarrow with
/// brotli was refused as "disabled feature". Files as the ecosystem writes them are read.
#[test]
fn regression_parquet_from_polars_and_pyarrow_is_read_whatever_the_codec() {
    let tmp = tempfile::tempdir().unwrap();
    for people in ["people-zstd.parquet", "people-brotli.parquet", "people-gzip.parquet"] {
        let rep = tmp.path().join(format!("report-{people}"));
        let out = ingest(
            &tmp.path().join(format!("ws-{people}")),
            &rep,
            &[("--incidents", data("parquet/incidents-zstd.parquet")), ("--people", data(&format!("parquet/{people}")))],
        );
        assert!(out.status.success(), "{people}: {}", String::from_utf8_lossy(&out.stderr));
        let s = summary(&rep);
        assert_eq!(s["accepted"].as_u64(), Some(6), "{people}: {s}");
        assert_eq!(s["rejected"].as_u64(), Some(0), "{people}: {s}");
    }
}

/// Regression (issue 11): a 48 KB Parquet file of 5,000,000 copies of one row became 5M
/// rejects (3.9 GB in the server, 271 MB of rejects.csv from the CLI). Its decoded size passes
/// the expansion limit, so it is refused whole, exit 1, naming the limit.
#[test]
fn regression_a_small_parquet_of_repeated_rows_is_refused_by_the_expansion_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let rep = tmp.path().join("report");
    let out = ingest(&tmp.path().join("ws"), &rep, &[("--incidents", data("parquet/incidents-repeated.parquet"))]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--max-expansion") && err.contains("decompression bomb"), "{err}");
    let rejects = rep.join("rejects.csv");
    let written = std::fs::metadata(&rejects).map_or(0, |m| m.len());
    assert!(written < 20 << 20, "rejects.csv is bounded by the limit: {written} bytes");
}

/// Replays the fuzzers' kept corpus (`fuzz/corpus/`, grown by `cargo fuzz run`, see
/// fuzz/README.md) through the same entry points: no input that once reached new code may
/// panic, and every file's counts balance.
#[test]
fn fuzz_corpus_replays_without_a_panic() {
    use conduct_ingest::fuzzing::{Input, read};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut replayed = 0;
    for (target, input) in [
        ("csv_reader", Some(Input::Csv)),
        ("jsonl_reader", Some(Input::JsonLines)),
        ("parquet_reader", Some(Input::Parquet)),
        ("dates_periods", None),
    ] {
        let dir = root.join(target);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            // A fuzzer running beside the tests may drop an input it has just reduced.
            let Ok(bytes) = std::fs::read(&path) else { continue };
            match input {
                Some(input) => read(input, &bytes),
                None => {
                    if let Ok(s) = std::str::from_utf8(&bytes) {
                        let _ = conduct_domain::Date::parse(s);
                        let _ = conduct_domain::PartialDate::parse(s).map(|p| p.is_plausible(2026));
                        if let Ok(p) = conduct_stats::period::Period::parse(s) {
                            let _ = (p.in_words(), p.first_day(), p.last_day(), p.earlier(40));
                        }
                    }
                }
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 30, "the corpus is there: {replayed} inputs");
}

/// The limits are the user's to set: `--max-field-bytes` and `--max-record-bytes` change which
/// rows are set aside, and the reasons name the flags.
#[test]
fn limits_are_set_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("incidents.csv");
    std::fs::write(&file, "force,incident_ref,recorded_date,offence_code,narrative\nKent,A-1,2023-05-01,8L,short\nKent,A-2,2023-05-01,8L,a narrative of forty bytes or so and more\n").unwrap();
    let count = |extra: &[&str], name: &str| {
        let rep = tmp.path().join(format!("rep-{name}"));
        let mut cmd = conduct();
        cmd.arg("ingest")
            .arg("--incidents")
            .arg(&file)
            .arg("--workspace")
            .arg(tmp.path().join(format!("ws-{name}")))
            .arg("--report-dir")
            .arg(&rep);
        cmd.args(extra);
        assert!(ok(&mut cmd).status.success());
        let rejects = read_csv(&rep.join("rejects.csv"));
        (summary(&rep)["accepted"].as_u64().unwrap(), rejects.first().map(|r| r["reason"].clone()))
    };
    assert_eq!(count(&[], "default"), (2, None));
    let (accepted, reason) = count(&["--max-field-bytes", "20"], "field");
    assert_eq!(accepted, 1);
    assert!(reason.unwrap().contains("--max-field-bytes"));
    let (accepted, reason) = count(&["--max-record-bytes", "60"], "record");
    assert_eq!(accepted, 1);
    assert!(reason.unwrap().contains("--max-record-bytes"));
}

/// Regression (found by the parquet_reader fuzzer): a Parquet file whose metadata gives a
/// column a negative offset made the parquet crate panic (exit 101). It is refused, exit 1,
/// naming the file as damaged.
#[test]
fn regression_fuzz_parquet_with_a_negative_column_offset_is_refused_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    for flag in ["--incidents", "--people"] {
        let out = ingest(
            &tmp.path().join(format!("ws{flag}")),
            &tmp.path().join(format!("r{flag}")),
            &[(flag, data("parquet/crash-negative-column-offset.parquet"))],
        );
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("damaged"), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Regression (found by the parquet_reader fuzzer): a 2.6 KB Parquet file whose dictionary page
/// claims 1.2 billion values made the parquet crate allocate tens of gigabytes before reading
/// them. The claim is checked against the page first: refused, exit 1, in bounded memory.
#[test]
fn regression_fuzz_parquet_dictionary_claiming_billions_of_values_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let out =
        ingest(&tmp.path().join("ws"), &tmp.path().join("r"), &[("--incidents", data("parquet/crash-dictionary-claims-billions.parquet"))]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dictionary page claims"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `conduct ingest` on one Parquet fixture under a deadline, so that a return of a hang
/// fails the test instead of holding the suite.
fn ingest_parquet_within_a_minute(tmp: &Path, flag: &str, fixture: &str) -> std::process::Output {
    let mut cmd = conduct();
    cmd.arg("ingest").arg("--workspace").arg(tmp.join("ws")).arg("--report-dir").arg(tmp.join("r"));
    cmd.arg(flag).arg(data(&format!("parquet/{fixture}")));
    crate::util::run_within(&mut cmd, std::time::Duration::from_secs(60))
}

/// Regression (found by the parquet_reader fuzzer in CI, where it held the run for more than
/// twenty minutes): a 1.5 KB Parquet file whose page header declares a list of two billion
/// eight-byte values. The parquet crate skips such a list one value at a time, and past the
/// end of the file each skip read nothing and reported no error. Such a header is refused,
/// exit 1, naming the file and the page.
#[test]
fn regression_fuzz_parquet_page_header_declaring_more_than_the_file_holds_is_refused_not_a_hang() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ingest_parquet_within_a_minute(tmp.path(), "--people", "hang-page-header-list-past-the-end.parquet");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("hang-page-header-list-past-the-end.parquet"), "the error names the file: {stderr}");
    assert!(stderr.contains("damaged") && stderr.contains("page"), "{stderr}");
}

/// Regression (the same bug's wider form, written by hand: tests/data/parquet/make_hostile.py):
/// the parquet crate takes a boolean in a list to occupy no bytes, so nine bytes declaring a
/// list of two billion booleans, in the footer or in a page header, cost it seconds of empty
/// steps each (3.8 s and 11 s measured), and lists of such lists hours. Both are refused
/// before the crate reads them, exit 1, naming where the damage is.
#[test]
fn regression_parquet_declaring_billions_of_booleans_is_refused_before_the_crate_reads_it() {
    for (fixture, place) in [
        ("hostile-footer-billions-of-booleans.parquet", "footer"),
        ("hostile-page-header-billions-of-booleans.parquet", "row group 0, column record_id: the header of page 1"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let out = ingest_parquet_within_a_minute(tmp.path(), "--people", fixture);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{fixture}: {stderr}");
        assert!(stderr.contains(place) && stderr.contains("2147483647 elements"), "{fixture}: {stderr}");
    }
}

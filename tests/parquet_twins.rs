//! `--parquet` on `conduct stats`, `ingest`, `link` and `run` (issue 16 item 4): every CSV file
//! they write gets a typed Parquet twin beside it, which pyarrow (an independent reader, through
//! tests/data/export/check.py) reads back cell for cell as the CSV file. Without python3 and
//! pyarrow these tests fail in CI and report themselves skipped elsewhere (`.ci/run` installs
//! pyarrow).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{conduct, data, ok, read_csv, require};

fn has_pyarrow() -> bool {
    Command::new("python3").args(["-c", "import pyarrow"]).output().is_ok_and(|o| o.status.success())
}

/// pyarrow's reading of every `*.parquet` in `dir`: rows, columns, types and cells as text.
fn read_parquet(dir: &Path) -> Value {
    let out = Command::new("python3").arg(data("export/check.py")).arg("parquet").arg(dir).output().expect("python3 runs");
    assert!(out.status.success(), "check.py parquet failed:\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("check.py prints JSON")
}

/// Checks that every CSV file in `dir` has a Parquet twin holding the same cells: the CSV's
/// columns in order (a published count followed by `Suppressed`), the same rows, each cell the
/// same text (numbers compared as numbers; an empty cell a null; a suppressed count `..` a null
/// with `Suppressed` true). Returns pyarrow's reading, for the caller's own checks.
fn twins_match(dir: &Path) -> Value {
    let v = read_parquet(dir);
    let mut tables: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str().and_then(|n| n.strip_suffix(".csv")).map(str::to_string))
        .collect();
    tables.sort();
    let read: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(read, tables.iter().collect::<Vec<_>>(), "{}: one Parquet file for every CSV file", dir.display());
    for table in &tables {
        let t = &v[table.as_str()];
        let path = dir.join(format!("{table}.csv"));
        let rows = read_csv(&path);
        let header: Vec<String> = csv::Reader::from_path(&path).unwrap().headers().unwrap().iter().map(str::to_string).collect();
        assert_eq!(t["rows"].as_u64().unwrap() as usize, rows.len(), "{table}: rows");
        let columns: Vec<&str> = t["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let without_suppressed: Vec<&str> = columns.iter().copied().filter(|c| *c != "Suppressed").collect();
        assert_eq!(without_suppressed, header, "{table}: the CSV's columns, in order");
        for column in &header {
            let ty = t["types"][column].as_str().unwrap();
            let cells = t["cells"][column].as_array().unwrap();
            let suppressed = t["cells"].get("Suppressed").and_then(|s| s.as_array());
            for (i, (row, cell)) in rows.iter().zip(cells).enumerate() {
                let want = conduct_domain::cell::restore(&row[column]).into_owned();
                match cell.as_str() {
                    None if want == ".." => {
                        let flag = suppressed.map(|s| &s[i]);
                        assert_eq!(flag.and_then(|f| f.as_str()), Some("true"), "{table}.{column} row {i}: .. is a suppressed null");
                    }
                    None => assert!(want.is_empty(), "{table}.{column} row {i}: null for {want:?}"),
                    Some(got) if ty == "double" => {
                        let (g, w): (f64, f64) = (got.parse().unwrap(), want.parse().unwrap());
                        assert!((g - w).abs() < 1e-9, "{table}.{column} row {i}: {g} for {w}");
                    }
                    Some(got) => assert_eq!(got, want, "{table}.{column} row {i}"),
                }
            }
        }
        if let Some(flags) = t["cells"].get("Suppressed").and_then(|s| s.as_array()) {
            assert_eq!(t["types"]["Suppressed"], "bool", "{table}");
            let count = columns[columns.iter().position(|c| *c == "Suppressed").unwrap() - 1];
            for (i, (row, flag)) in rows.iter().zip(flags).enumerate() {
                assert_eq!(flag.as_str() == Some("true"), row[count] == "..", "{table} row {i}: Suppressed");
            }
        }
    }
    v
}

/// The statistics from the published tables as published (`.ods` recorded crime, `.xlsx`
/// outcomes with both counts; each with a suppressed cell), and their rejects.
#[test]
fn stats_tables_have_typed_parquet_twins() {
    if !require(has_pyarrow(), "python3 with pyarrow is needed to read the Parquet back") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("stats");
    let stdout = ok(conduct()
        .args(["stats", "--parquet", "--period", "year to September 2023", "--recorded"])
        .arg(data("homeoffice/recorded.ods"))
        .arg("--outcomes")
        .arg(data("homeoffice/outcomes.xlsx"))
        .arg("--out")
        .arg(&out));
    assert!(String::from_utf8_lossy(&stdout.stderr).contains("Parquet files"), "said on stderr");
    let v = twins_match(&out);
    for (table, column, ty) in [
        ("recorded", "Financial Year", "string"),
        ("recorded", "Financial Quarter", "int64"),
        ("recorded", "Number of Offences", "int64"),
        ("recorded", "Suppressed", "bool"),
        ("outcomes", "Outcome Type", "int64"),
        ("outcomes", "Number of Outcomes", "int64"),
        ("figures", "Number of Offences", "int64"),
        ("figures", "Change", "int64"),
        ("figures", "Change %", "double"),
        ("figures", "Per Day", "double"),
        ("figures", "Fold Change", "double"),
        ("figures", "Charge/Summons %", "double"),
        ("outcome_groups", "Rate %", "double"),
        ("outcome_groups", "Rate Denominator", "int64"),
        ("orders", "SPOs Applied", "int64"),
        ("coverage", "Coverage", "string"),
        ("rejects", "line", "int64"),
    ] {
        assert_eq!(v[table]["types"][column], ty, "{table}.{column}");
    }
    for table in ["recorded", "outcomes"] {
        let flags = v[table]["cells"]["Suppressed"].as_array().unwrap();
        assert_eq!(flags.iter().filter(|f| f.as_str() == Some("true")).count(), 1, "{table}: the fixture's one suppressed cell");
    }
    // The Merseyside harassment count of the year to September 2023, from the typed column.
    let figures = &v["figures"]["cells"];
    let at = (0..v["figures"]["rows"].as_u64().unwrap() as usize)
        .find(|&i| figures["Area"][i] == "Merseyside" && figures["Offence"][i] == "Harassment")
        .unwrap();
    assert_eq!(figures["Number of Offences"][at], "10056");

    // A stats run with rejected rows: rejects.parquet holds them, line as a number.
    let out = tmp.path().join("stats-rejects");
    ok(conduct()
        .args(["stats", "--parquet", "--period", "2021/22", "--incidents"])
        .arg(data("breaches/incidents.csv"))
        .arg("--orders")
        .arg(data("breaches/orders.csv"))
        .arg("--breaches")
        .arg(data("breaches/bad-breaches.csv"))
        .arg("--out")
        .arg(&out));
    let v = twins_match(&out);
    assert_eq!(v["rejects"]["rows"], 3);
    assert_eq!(v["rejects"]["cells"]["line"], serde_json::json!(["3", "4", "5"]));
    assert_eq!(v["orders"]["types"]["Breaches Found By Analysis"], "int64");
}

/// The import's rejects and warnings (the bad-input corpus has both), and linkage's persons and
/// scored pairs.
#[test]
fn import_and_linkage_outputs_have_typed_parquet_twins() {
    if !require(has_pyarrow(), "python3 with pyarrow is needed to read the Parquet back") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let report = tmp.path().join("import");
    let out = crate::util::run(
        conduct()
            .args(["ingest", "--parquet", "--incidents"])
            .arg(data("bad/incidents.csv"))
            .arg("--people")
            .arg(data("bad/people.csv"))
            .arg("--orders")
            .arg(data("bad/orders.csv"))
            .arg("--workspace")
            .arg(tmp.path().join("ws"))
            .arg("--report-dir")
            .arg(&report),
    );
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
    let v = twins_match(&report);
    assert!(v["rejects"]["rows"].as_u64().unwrap() > 0 && v["warnings"]["rows"].as_u64().unwrap() > 0, "both have rows");
    for table in ["rejects", "warnings"] {
        assert_eq!(v[table]["types"]["line"], "int64", "{table}");
        assert_eq!(v[table]["types"]["reason"], "string", "{table}");
    }

    let link = tmp.path().join("link");
    ok(conduct().args(["link", "--parquet", "--people"]).arg(data("breaches/people.csv")).arg("--out").arg(&link));
    let v = twins_match(&link);
    assert_eq!(v["persons"]["types"]["person_id"], "string");
    assert_eq!(v["pairs"]["types"]["match_weight"], "double");
    assert!(v["pairs"]["rows"].as_u64().unwrap() > 0);
}

/// `conduct run --parquet`: every CSV file of import/, link/, courses/ and stats/ has a twin.
#[test]
fn run_writes_a_parquet_twin_of_every_csv_file() {
    if !require(has_pyarrow(), "python3 with pyarrow is needed to read the Parquet back") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    ok(conduct()
        .args(["run", "--parquet", "--incidents"])
        .arg(data("breaches/incidents.csv"))
        .arg("--people")
        .arg(data("breaches/people.csv"))
        .arg("--orders")
        .arg(data("breaches/orders.csv"))
        .arg("--out")
        .arg(&out));
    for dir in ["import", "link", "courses", "stats"] {
        twins_match(&out.join(dir));
    }
    let v = read_parquet(&out.join("courses"));
    assert_eq!(v["breaches"]["types"]["date"], "date32[day]");
    assert_eq!(v["breaches"]["rows"], 6);
}

//! The command line itself: help on every command, exit codes, errors that name the file.

use crate::util::{conduct, data, run};

#[test]
fn every_command_has_help() {
    for cmd in [
        &[][..],
        &["demo"],
        &["ingest"],
        &["synth"],
        &["status"],
        &["stats"],
        &["report"],
        &["report", "story"],
        &["report", "foi"],
        &["report", "html"],
        &["courses"],
        &["eval"],
        &["eval", "courses"],
        &["eval", "persons"],
        &["link"],
        &["explain"],
        &["run"],
    ] {
        let out = run(conduct().args(cmd).arg("--help"));
        assert!(out.status.success(), "{cmd:?} --help");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage:"), "{cmd:?}: {text}");
    }
}

#[test]
fn unknown_arguments_exit_2() {
    let out = run(conduct().args(["ingest", "--no-such-flag"]));
    assert_eq!(out.status.code(), Some(2));
}

/// A limit that makes no sense is refused by the argument parser, with the ingest crate's own
/// reason (`Limits::parse_*`), before any file is opened: exit 2, naming the flag and the value.
#[test]
fn a_bad_limit_is_refused_by_the_parser_naming_the_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let workspace = tmp.path().join("workspace");
    for (flag, value, reason) in [
        ("--max-expansion", "0", "--max-expansion 0: a file must be allowed to decode to at least its own size"),
        ("--max-field-bytes", "0", "--max-field-bytes 0: every non-empty value would be rejected"),
        ("--max-record-bytes", "lots", "--max-record-bytes \"lots\": is not a whole number"),
    ] {
        let out = run(conduct().args(["ingest", "--incidents", "no/such/incidents.csv", flag, value, "--workspace"]).arg(&workspace));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {err}");
        assert!(err.contains(reason), "{flag} {value}: {err}");
    }
    assert!(!workspace.exists(), "nothing was opened");
}

#[test]
fn a_missing_input_file_fails_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(conduct().args(["ingest", "--incidents", "no/such/incidents.csv", "--workspace"]).arg(tmp.path()));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/incidents.csv"), "{err}");
}

#[test]
fn utf16_files_are_refused_with_advice() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(conduct().arg("ingest").arg("--incidents").arg(data("bad/utf16.csv")).arg("--workspace").arg(tmp.path()));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("UTF-16") && err.contains("utf16.csv"), "{err}");
}

#[test]
fn nothing_usable_exits_1_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    for file in ["bad/empty.csv", "bad/header_only.csv"] {
        let out = run(conduct().arg("ingest").arg("--incidents").arg(data(file)).arg("--workspace").arg(tmp.path()));
        assert_eq!(out.status.code(), Some(1), "{file}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("nothing usable"), "{file}");
    }
}

#[test]
fn no_inputs_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(conduct().arg("ingest").arg("--workspace").arg(tmp.path()));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no input files"));
}

#[test]
fn a_split_people_file_links_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    crate::util::ok(conduct().args(["synth", "--incidents", "3000", "--seed", "5", "--out"]).arg(&world));
    let text = std::fs::read_to_string(world.join("people.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    let (first, second) = rows.split_at(rows.len() / 2);
    for (name, part) in [("people-1.csv", first), ("people-2.csv", second)] {
        std::fs::write(dir.path().join(name), format!("{header}\n{}\n", part.join("\n"))).unwrap();
    }
    crate::util::ok(conduct().args(["link", "--people"]).arg(world.join("people.csv")).arg("--out").arg(dir.path().join("whole")));
    crate::util::ok(
        conduct()
            .args(["link", "--people"])
            .arg(dir.path().join("people-1.csv"))
            .arg("--people")
            .arg(dir.path().join("people-2.csv"))
            .arg("--out")
            .arg(dir.path().join("split")),
    );
    for out in ["persons.csv", "pairs.csv"] {
        let whole = std::fs::read(dir.path().join("whole").join(out)).unwrap();
        let split = std::fs::read(dir.path().join("split").join(out)).unwrap();
        assert!(whole == split, "{out}: linking the two halves is linking the whole file");
    }
    let persons = std::fs::read_to_string(dir.path().join("split/persons.csv")).unwrap();
    assert_eq!(persons.lines().count(), rows.len() + 1, "every row of both files, once");
}

fn homeoffice() -> [std::ffi::OsString; 4] {
    ["--recorded".into(), data("homeoffice/recorded.csv").into(), "--outcomes".into(), data("homeoffice/outcomes.csv").into()]
}

/// Periods and years outside the dates Conduct can hold once panicked (exit 101) in the period
/// arithmetic; each is now a command-line mistake (exit 2) whose message states the range.
#[test]
fn periods_outside_the_supported_years_are_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec!["stats".into(), "--period".into(), "9999/00".into(), "--out".into(), out.clone().into()],
        vec!["stats".into(), "--period".into(), "0000/01".into(), "--out".into(), out.clone().into()],
        vec!["stats".into(), "--period".into(), "year to March 1000".into(), "--out".into(), out.clone().into()],
        vec!["stats".into(), "--period".into(), "calendar year 99999".into(), "--out".into(), out.clone().into()],
        vec!["report".into(), "foi".into(), "--force".into(), "Merseyside".into(), "--year".into(), "1000/01".into()],
        vec!["report".into(), "foi".into(), "--force".into(), "Merseyside".into(), "--year".into(), "9999/00".into()],
        vec!["report".into(), "html".into(), "--period".into(), "9999/00".into(), "--out".into(), out.clone().into()],
        vec!["report".into(), "story".into(), "--force".into(), "Merseyside".into(), "--period".into(), "year to March 1000".into()],
    ];
    for args in &cases {
        let o = run(conduct().args(args).args(homeoffice()));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(101), "{args:?} panicked: {err}");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("1000 to 9999") && !err.contains("panicked"), "{args:?}: {err}");
    }
    // A comparison reaching back before the year 1000 is no data, not a panic.
    let o = run(conduct().args(["report", "story", "--force", "Merseyside", "--fold-years", "4000000000"]).args(homeoffice()));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Runs a command with its standard output a pipe whose reading end is closed at once, as
/// `conduct status | head -0` does, and returns its exit code and standard error.
fn with_stdout_closed(cmd: &mut std::process::Command) -> (Option<i32>, String) {
    use std::io::Read;
    let mut child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().expect("conduct runs");
    drop(child.stdout.take());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_reader_that_goes_away_is_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    crate::util::ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws));
    let os = |v: &[&dyn AsRef<std::ffi::OsStr>]| v.iter().map(|a| a.as_ref().to_os_string()).collect::<Vec<_>>();
    let server = tmp.path().join("server");
    let mut cases = vec![
        os(&[&"status", &"--workspace", &ws]),
        os(&[&"audit", &"verify", &"--data", &server]),
        os(&[&"ingest", &data("good"), &"--workspace", &ws]),
        os(&[&"report", &"story", &"--force", &"Merseyside"]),
    ];
    cases[3].extend(homeoffice());
    for args in &cases {
        let (code, err) = with_stdout_closed(conduct().args(args));
        assert_ne!(code, Some(101), "{args:?} panicked: {err}");
        assert_eq!(code, Some(0), "{args:?}: a closed pipe is a quiet success: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

/// Whether a spreadsheet would run this cell as a formula.
fn live(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !conduct_domain::cell::is_plain_number(cell)
}

/// Every cell of every CSV file under `dir`, with the file it is in.
fn csv_cells(dir: &std::path::Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(csv_cells(&path));
        } else if path.extension().is_some_and(|e| e == "csv") {
            let mut r = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(&path).unwrap();
            for rec in r.records() {
                out.extend(rec.unwrap().iter().map(|c| (path.display().to_string(), c.to_string())));
            }
        }
    }
    out
}

/// A synthetic world whose record ids, incident references and order references start with
/// spreadsheet formula characters: every CSV file Conduct writes keeps them inert, and reading
/// its own files back (courses --persons, eval persons, eval courses) gives the same answers as
/// on the world with plain ids.
#[test]
fn ids_that_look_like_formulas_are_written_inert_and_read_back_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = tmp.path().join("plain");
    crate::util::ok(conduct().args(["synth", "--incidents", "1500", "--seed", "3", "--out"]).arg(&plain));
    // The same world with hostile ids: one of the prefixes below on every id, consistently.
    let hostile = tmp.path().join("hostile");
    std::fs::create_dir_all(&hostile).unwrap();
    let prefixes = ["=", "+", "-", "@", "'=", "=HYPERLINK(\"x\")&", "-1+"];
    let mut seen = std::collections::HashMap::new();
    let mut rename = |id: &str| -> String {
        if id.is_empty() {
            return String::new();
        }
        let n = seen.len();
        seen.entry(id.to_string()).or_insert_with(|| format!("{}{id}", prefixes[n % prefixes.len()])).clone()
    };
    for (file, columns) in [
        ("incidents.csv", &["incident_ref", "linked_refs", "true_breach_order_ref"][..]),
        ("people.csv", &["record_id", "incident_ref"][..]),
        ("orders.csv", &["order_ref", "incident_ref"][..]),
    ] {
        let mut r = csv::Reader::from_path(plain.join(file)).unwrap();
        let header = r.headers().unwrap().clone();
        let mut w = csv::Writer::from_path(hostile.join(file)).unwrap();
        w.write_record(&header).unwrap();
        for rec in r.records() {
            let rec = rec.unwrap();
            let row: Vec<String> = header
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| {
                    if !columns.contains(&h) {
                        v.to_string()
                    } else if h == "linked_refs" {
                        v.split(';').map(&mut rename).collect::<Vec<_>>().join(";")
                    } else {
                        rename(v)
                    }
                })
                .collect();
            w.write_record(&row).unwrap();
        }
        w.flush().unwrap();
    }

    let scores = |world: &std::path::Path, out: &std::path::Path| {
        let export = |c: &mut std::process::Command| {
            c.arg("--incidents")
                .arg(world.join("incidents.csv"))
                .arg("--people")
                .arg(world.join("people.csv"))
                .arg("--orders")
                .arg(world.join("orders.csv"));
        };
        let mut c = conduct();
        export(c.arg("run"));
        crate::util::ok(c.arg("--out").arg(out));
        let persons = crate::util::ok(
            conduct()
                .args(["eval", "persons", "--json", "--truth"])
                .arg(world.join("people.csv"))
                .arg("--predicted")
                .arg(out.join("link/persons.csv")),
        );
        let courses = crate::util::ok(
            conduct()
                .args(["eval", "courses", "--truth"])
                .arg(world.join("incidents.csv"))
                .arg("--predicted")
                .arg(out.join("courses/courses.csv")),
        );
        // courses from the persons.csv written above, read back.
        let mut c = conduct();
        export(c.arg("courses"));
        let again = out.join("again");
        let o = crate::util::ok(c.arg("--persons").arg(out.join("link/persons.csv")).arg("--out").arg(&again));
        assert!(!String::from_utf8_lossy(&o.stderr).contains("are not in"), "every people row is found in persons.csv");
        assert_eq!(
            std::fs::read(again.join("courses.csv")).unwrap(),
            std::fs::read(out.join("courses/courses.csv")).unwrap(),
            "courses from persons.csv read back are the courses of the run"
        );
        let json = |o: std::process::Output| serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
        (json(persons), json(courses))
    };
    let (plain_persons, plain_courses) = scores(&plain, &tmp.path().join("plain-out"));
    let (persons, courses) = scores(&hostile, &tmp.path().join("hostile-out"));
    assert!(persons["f1"].as_f64().unwrap() > 0.9, "{persons}");
    // The same scores; B-cubed sums over a hash map, so its last digit may differ run to run.
    let same = |a: &serde_json::Value, b: &serde_json::Value| {
        fn flat(v: &serde_json::Value, at: String, out: &mut Vec<(String, f64)>) {
            match v {
                serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| flat(v, format!("{at}.{k}"), out)),
                v => out.push((at, v.as_f64().unwrap_or(f64::NAN))),
            }
        }
        let (mut x, mut y) = (Vec::new(), Vec::new());
        flat(a, String::new(), &mut x);
        flat(b, String::new(), &mut y);
        x.len() == y.len() && x.iter().zip(&y).all(|((k, a), (l, b))| k == l && (a - b).abs() <= 1e-9)
    };
    assert!(same(&persons, &plain_persons), "linkage read back through persons.csv scores as with plain ids:\n{persons}\n{plain_persons}");
    assert!(
        same(&courses, &plain_courses),
        "courses read back through courses.csv and breaches.csv score as with plain ids:\n{courses}\n{plain_courses}"
    );
    assert!(courses["breaches"]["actual"].as_u64().unwrap() > 0, "{courses}");

    let cells = csv_cells(&tmp.path().join("hostile-out"));
    let quoted = cells.iter().filter(|(_, c)| c.starts_with("'=") || c.starts_with("'@") || c.starts_with("''=")).count();
    assert!(quoted > 1000, "the hostile ids are in the outputs, made inert ({quoted} cells)");
    for (file, cell) in &cells {
        assert!(!live(cell), "{file}: {cell:?} would run as a formula");
    }
}

/// Issue 13: `conduct stats --period 9999/00` and `conduct report foi --year 1000/01` panicked.
/// Every bad period or year is now a command-line mistake (exit 1 or 2) whose message quotes
/// the value given and says why it was refused.
#[test]
fn stats_period_9999_00_and_foi_year_1000_01_panicked() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str, &str); 9] = [
        (&["stats", "--out", out, "--period", "9999/00"], "9999/00", "outside the supported range"),
        (&["stats", "--out", out, "--period", "year to Smarch 2023"], "year to Smarch 2023", "cannot read the period"),
        (&["stats", "--out", out, "--period", "year to December 99999999999999999999"], "99999999999999999999", "1000 to 9999"),
        (&["stats", "--out", out, "--period", ""], "\"\"", "cannot read the period"),
        (&["report", "foi", "--force", "Merseyside", "--year", "1000/01"], "1000/01", "outside the supported range"),
        (&["report", "foi", "--force", "Merseyside", "--year", "0000/01"], "0000/01", "outside the supported range"),
        (&["report", "foi", "--force", "Merseyside", "--year", "2022/24"], "2022/24", "not a financial year"),
        (&["report", "story", "--force", "Merseyside", "--period", "9999/00"], "9999/00", "outside the supported range"),
        (&["report", "html", "--out", out, "--period", "calendar year 0999"], "calendar year 0999", "outside the supported range"),
    ];
    for (args, value, why) in cases {
        let o = run(conduct().args(args).args(homeoffice()));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(matches!(o.status.code(), Some(1 | 2)), "{args:?}: exit {:?}: {err}", o.status.code());
        assert!(err.contains(value) && err.contains(why), "{args:?} should name {value:?} and say {why:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

const RECORDED_HEADER: &str =
    "Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,Offence Subgroup,Offence Code,Number of Offences";

/// `conduct stats --recorded` on a table naming 70,000 distinct offence codes panicked ("fewer
/// than 65,536 offence codes"); found while testing the readers for issue 13.
#[test]
fn stats_on_a_table_of_70000_offence_codes_panicked() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = format!("{RECORDED_HEADER}\n");
    let letters = || std::iter::once(String::new()).chain(('A'..='Z').map(String::from));
    for code in (1..1000).flat_map(|d| letters().flat_map(move |a| letters().map(move |b| format!("{d}{a}{b}")))).take(70_000) {
        text.push_str(&format!("2022/23,1,Kent,x,y,z,{code},1\n"));
    }
    let rec = tmp.path().join("recorded.csv");
    std::fs::write(&rec, text).unwrap();
    let o = run(conduct().arg("stats").arg("--recorded").arg(&rec).arg("--out").arg(tmp.path().join("out")));
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Two counts of 18446744073709551615 in one cell of a published table overflowed its sum (a
/// panic in a debug build, a wrapped figure in a release one). A count over a trillion is now a
/// rejected row that quotes it, and the rest of the table is used.
#[test]
fn stats_on_counts_past_u64_max_overflowed_the_sum() {
    let tmp = tempfile::tempdir().unwrap();
    let big = u64::MAX;
    let rec = tmp.path().join("recorded.csv");
    std::fs::write(
        &rec,
        format!("{RECORDED_HEADER}\n2022/23,1,Kent,x,y,z,8L,{big}\n2022/23,1,Kent,x,y,z,8L,{big}\n2022/23,1,Kent,x,y,z,8L,7\n"),
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = run(conduct().arg("stats").arg("--recorded").arg(&rec).arg("--out").arg(&out));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(matches!(o.status.code(), Some(0..=2)), "exit {:?}: {err}", o.status.code());
    assert!(!err.contains("panicked"), "{err}");
    let rejects = std::fs::read_to_string(out.join("rejects.csv")).unwrap();
    assert_eq!(rejects.matches(&big.to_string()).count(), 2, "{rejects}");
}

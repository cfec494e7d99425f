//! The embedded store: a process killed mid-import leaves the previous state intact.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::util::{column, conduct, data, dump, ok, summary};

/// Imports a small export, then kills a second, large import while its transaction is open
/// (after thousands of rows were written to the database file's journal). The workspace must
/// hold exactly the first import, pass SQLite's integrity check, and accept the second import
/// when it is run again.
#[test]
fn killed_import_leaves_previous_state_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let world = tmp.path().join("world");
    ok(conduct().args(["synth", "--incidents", "6000", "--seed", "7", "--out"]).arg(&world));
    ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r1")));
    let before = dump(&ws);

    let mut child = conduct()
        .arg("ingest")
        .arg(&world)
        .arg("--workspace")
        .arg(&ws)
        .arg("--report-dir")
        .arg(tmp.path().join("r2"))
        .env("CONDUCT_FAILPOINT_IMPORT_STALL", "5000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut stalled = false;
    for line in stderr.lines() {
        if line.unwrap().contains("failpoint: import stalled") {
            stalled = true;
            break;
        }
    }
    assert!(stalled, "the import reached the failpoint inside its transaction");
    child.kill().unwrap();
    child.wait().unwrap();

    let s = crate::util::store(&ws);
    s.integrity_check().expect("the file is sound after the kill");
    drop(s);
    assert_eq!(dump(&ws), before, "the killed import left no trace");
    assert_eq!(column(&ws, "SELECT count(*) FROM imports"), ["1"]);

    // The workspace is usable: the same import now goes through whole.
    ok(conduct().arg("ingest").arg(&world).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r3")));
    let s3 = summary(&tmp.path().join("r3"));
    assert_eq!(s3["read"], s3["accepted"]);
    assert_eq!(column(&ws, "SELECT count(*) FROM imports"), ["2"]);
}

#[test]
fn status_reports_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r")));
    let out = ok(conduct().arg("status").arg("--workspace").arg(&ws));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("incidents  5"), "{text}");
    assert!(text.contains("people     8"), "{text}");
    assert!(text.contains("schema     version 1"), "{text}");
}

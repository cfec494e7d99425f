//! The command line itself: help on every command, exit codes, errors that name the file.

use crate::util::{conduct, data, run};

#[test]
fn every_command_has_help() {
    for cmd in [&[][..], &["demo"], &["ingest"], &["synth"], &["status"], &["stats"], &["report"], &["report", "story"], &["report", "foi"], &["report", "html"], &["courses"], &["eval"], &["eval", "courses"], &["eval", "persons"], &["link"], &["explain"], &["run"]] {
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

#[test]
fn a_missing_input_file_fails_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(conduct()
        .args(["ingest", "--incidents", "no/such/incidents.csv", "--workspace"])
        .arg(tmp.path()));
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
        conduct().args(["link", "--people"]).arg(dir.path().join("people-1.csv")).arg("--people").arg(dir.path().join("people-2.csv")).arg("--out").arg(dir.path().join("split")),
    );
    for out in ["persons.csv", "pairs.csv"] {
        let whole = std::fs::read(dir.path().join("whole").join(out)).unwrap();
        let split = std::fs::read(dir.path().join("split").join(out)).unwrap();
        assert!(whole == split, "{out}: linking the two halves is linking the whole file");
    }
    let persons = std::fs::read_to_string(dir.path().join("split/persons.csv")).unwrap();
    assert_eq!(persons.lines().count(), rows.len() + 1, "every row of both files, once");
}

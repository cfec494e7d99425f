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

//! The JSON API against its own OpenAPI document: schemathesis (`pip install schemathesis`,
//! installed by `.ci/run`) reads `/openapi.json` from a running server, generates requests for
//! every operation — valid ones and ones the document forbids — and checks every answer: no
//! server error, and status, content type and body as the document says. A bounded number of
//! examples per operation, with a fixed seed, so that a CI run is short and repeatable.

use std::path::Path;
use std::process::Command;

use crate::serve::{self, Backend, Client, Server};
use crate::util;

/// Examples per operation and phase: enough to reach every documented status, small enough for
/// CI (two roles, 17 operations: about a minute).
const EXAMPLES: &str = "20";

/// Whether `schemathesis` runs here.
fn schemathesis_here() -> bool {
    Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// Runs schemathesis against `server` as `client`'s session; returns its exit status and
/// output. Signing out is left out: it would end the session the run uses.
fn schemathesis(server: &Server, client: &Client, report: &Path) -> (bool, String) {
    let cookie = client.cookie().expect("signed in");
    let csrf = client.csrf.as_deref().expect("a CSRF token");
    let out = Command::new("schemathesis")
        .arg("run")
        .arg(format!("{}/openapi.json", server.base))
        .args(["--url", &server.base])
        .args(["-H", &format!("Cookie: {}={cookie}", conduct_server::SESSION_COOKIE)])
        .args(["-H", &format!("X-CSRF-Token: {csrf}")])
        .args(["--exclude-path", "/api/logout"])
        .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"])
        .args(["--max-examples", EXAMPLES, "--seed", "20261202", "--workers", "1", "--no-color"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--generation-database", "none", "--request-timeout", "30"])
        .arg("--report")
        .arg("junit")
        .arg("--report-dir")
        .arg(report)
        .env("SCHEMATHESIS_DISABLE_TELEMETRY", "1")
        .current_dir(report.parent().expect("a report folder in a scratch folder"))
        .output()
        .expect("schemathesis starts");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    if !util::require(schemathesis_here(), "schemathesis is not installed (pip install schemathesis)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(server) = serve::start(dir.path(), Backend::Sqlite, 3000, &[]) else { return };
    let analyst_pw = server.add_user("analyst", "analyst", Some("Metropolitan Police"));
    let admin_pw = server.add_user("admin", "admin", None);
    for (user, pw) in [("analyst", &analyst_pw), ("admin", &admin_pw)] {
        let client = serve::signed_in(&server, user, pw);
        let (passed, text) = schemathesis(&server, &client, &dir.path().join(format!("report-{user}")));
        let tail: Vec<&str> = text.lines().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect();
        assert!(passed, "schemathesis as {user} found failures:\n{}\nserver log:\n{}", tail.join("\n"), server.log_text());
        // It did test something: the summary counts the cases it generated.
        let cases = text
            .lines()
            .find(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains(" generated"))
            .unwrap_or_default()
            .trim()
            .to_string();
        assert!(!cases.is_empty() && !cases.starts_with("0 "), "schemathesis as {user} ran nothing:\n{text}");
        println!("schemathesis as {user}: {cases}");
    }
    // Every request was answered within the server's own rules: no panic in its log.
    assert!(!server.log_text().contains("panicked"), "{}", server.log_text());
}

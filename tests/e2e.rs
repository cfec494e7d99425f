//! The dashboard in a real browser: headless Chromium driven by Playwright
//! (`tests/e2e/dashboard.mjs`), against a server on a synthetic world. Needs Debian's chromium
//! and `npm ci --prefix tests/e2e` (`.ci/run` installs both); `CONDUCT_E2E=skip` skips it on a
//! machine without them (saying so; with `CI=true` it fails instead).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::serve::{Backend, Client, signed_in, start};

/// The folder of the browser scripts, or None when `CONDUCT_E2E=skip` (a failure in CI);
/// panics when Chromium or playwright-core is missing.
fn browser_tests() -> Option<PathBuf> {
    if !crate::util::require(std::env::var("CONDUCT_E2E").as_deref() != Ok("skip"), "CONDUCT_E2E=skip: the browser test is skipped") {
        return None;
    }
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists() && e2e.join("node_modules/playwright-core").exists(),
        "the browser test needs {chromium} and playwright-core: `apt-get install chromium` and `npm ci --prefix tests/e2e` (or CONDUCT_E2E=skip)"
    );
    Some(e2e)
}

#[test]
fn dashboard_in_chromium() {
    let Some(e2e) = browser_tests() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path(), Backend::Sqlite, 1500, &[]).unwrap();
    let admin_pw = server.add_user("admin", "admin", None);
    let mut admin = signed_in(&server, "admin", &admin_pw);
    // The analyst's force: the one with most courses; the other person: one held only elsewhere.
    let (_, national) = admin.get("/api/forces");
    let force =
        national["forces"].as_array().unwrap().iter().max_by_key(|f| f["courses"].as_i64()).unwrap()["force"].as_str().unwrap().to_string();
    let other = national["forces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["force"] != force.as_str() && f["courses"].as_i64() > Some(0))
        .unwrap()["force"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, t) = admin.get(&format!("/api/triage?force={}&per_page=100", other.replace(' ', "%20")));
    let mut other_person = None;
    for row in t["items"].as_array().unwrap() {
        let id = row["victim"].as_str().unwrap();
        let (_, p) = admin.get(&format!("/api/persons/{id}"));
        if p["records"].as_array().unwrap().iter().all(|r| r["force"] == other.as_str()) {
            other_person = Some(id.to_string());
            break;
        }
    }
    let other_person = other_person.expect("a person held only by another force");
    // The priority to filter the list by: the highest the force has any course at (a world's
    // force may have no urgent course on the list's day).
    let (_, overview) = admin.get(&format!("/api/forces/{}", force.replace(' ', "%20")));
    let priority = ["urgent", "high", "review", "routine"]
        .into_iter()
        .find(|p| overview["triage"][p].as_i64() > Some(0))
        .unwrap_or_else(|| panic!("the force has courses: {overview}"));
    let pw = server.add_user("analyst", "analyst", Some(&force));
    let foreign = dir.path().join("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    for f in ["incidents.csv", "people.csv"] {
        std::fs::copy(crate::util::data(&format!("good/{f}")), foreign.join(f)).unwrap();
    }
    let shots = std::env::var("CONDUCT_SHOTS").map_or_else(|_| dir.path().join("shots"), Into::into);
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(e2e.join("dashboard.mjs"))
        .current_dir(&e2e)
        .env("CONDUCT_BASE", &server.base)
        .env("CONDUCT_USER", "analyst")
        .env("CONDUCT_PASS", &pw)
        .env("CONDUCT_OTHER", &other_person)
        .env("CONDUCT_PRIORITY", priority)
        .env("CONDUCT_FOREIGN_EXPORT", &foreign)
        .env("CONDUCT_SHOTS", &shots)
        .output()
        .expect("node runs");
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser checks failed:\n{text}\nserver log:\n{}", server.log_text());
    assert!(text.contains("all browser checks passed"), "{text}");
    for name in ["overview", "triage", "course", "person", "import-refused", "national"] {
        assert!(shots.join(format!("dashboard-{name}.png")).exists(), "screenshot {name}");
    }
    // The refusal the browser met is in the audit log.
    let (_, log) = admin.get("/api/audit?per_page=200");
    assert!(
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["actor"] == "analyst" && e["object"] == format!("person/{other_person}") && e["outcome"] == "denied"),
        "the browser's refused read is audited"
    );
    let _ = Client::new(&server.base);
}

/// A team's morning (issue 18): `tests/e2e/morning.mjs` against a server on the hand-written
/// export of `tests/data/workflow/`. Screenshots go to `CONDUCT_SHOTS` (the ones in
/// `docs/screenshots/workflow-*.png` were taken so).
#[test]
fn a_teams_morning_in_chromium() {
    let Some(e2e) = browser_tests() else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = crate::workflow::start_on_first_export(dir.path(), Backend::Sqlite).unwrap();
    let alice = server.add_user("alice", "analyst", Some("City of London"));
    let bob = server.add_user("bob", "analyst", Some("City of London"));
    let course_of = |reference: &str| crate::workflow::course_of(&server, reference);
    let shots = std::env::var("CONDUCT_SHOTS").map_or_else(|_| dir.path().join("shots"), Into::into);
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(e2e.join("morning.mjs"))
        .current_dir(&e2e)
        .env("CONDUCT_BASE", &server.base)
        .env("CONDUCT_ALICE", "alice")
        .env("CONDUCT_ALICE_PASS", &alice)
        .env("CONDUCT_BOB", "bob")
        .env("CONDUCT_BOB_PASS", &bob)
        .env("CONDUCT_COURSE_A", course_of("1003"))
        .env("CONDUCT_COURSE_B", course_of("1102"))
        .env("CONDUCT_LATER_EXPORT", crate::util::data("workflow/later"))
        .env("CONDUCT_SHOTS", &shots)
        .output()
        .expect("node runs");
    let text = format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser checks failed:\n{text}\nserver log:\n{}", server.log_text());
    assert!(text.contains("all browser checks passed"), "{text}");
    for name in ["unassigned-urgent", "triage-new-since-review", "course"] {
        assert!(shots.join(format!("workflow-{name}.png")).exists(), "screenshot {name}");
    }
}

//! The dashboard's force figures are the Home Office tables Conduct publishes: for every force,
//! the stalking-and-harassment offences recorded, per quarter recorded and charged, the outcome
//! groups, the outcomes assigned and the charges that `conduct serve` shows are the sums of
//! that force's rows of the subgroup in the `recorded.csv` and `outcomes.csv` that `conduct
//! stats` writes from the same export. The dashboard reads them from the pipeline's tables
//! (`conduct_stats`) and never counts them again, so the two cannot disagree.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::serve::{Backend, signed_in, start};
use crate::util::{conduct, data, ok, read_csv};

/// The offence codes of the "Stalking and harassment" subgroup as the tables publish them
/// (finer codes folded onto these), `reference/domain.md`.
const SUBGROUP: [&str; 5] = ["8L", "8M", "8Q", "8R", "8U"];

/// One force's figures: (quarter, recorded, charged) oldest first; outcome group → count;
/// recorded; outcomes assigned; charged.
#[derive(Debug, Default, PartialEq)]
struct Figures {
    quarters: BTreeMap<String, (u64, u64)>,
    groups: BTreeMap<String, u64>,
    recorded: u64,
    assigned: u64,
    charged: u64,
}

/// Every force's figures from the published files.
fn published(recorded: &std::path::Path, outcomes: &std::path::Path) -> BTreeMap<String, Figures> {
    let mut by_force: BTreeMap<String, Figures> = BTreeMap::new();
    let count = |r: &std::collections::HashMap<String, String>, column: &str| -> u64 {
        r[column].parse().unwrap_or_else(|_| panic!("an exact count in {column}: {r:?}"))
    };
    let quarter = |r: &std::collections::HashMap<String, String>| format!("{} Q{}", r["Financial Year"], r["Financial Quarter"]);
    for r in read_csv(recorded).iter().filter(|r| SUBGROUP.contains(&r["Offence Code"].as_str())) {
        let f = by_force.entry(r["Force Name"].clone()).or_default();
        let n = count(r, "Number of Offences");
        f.recorded += n;
        f.quarters.entry(quarter(r)).or_default().0 += n;
    }
    for r in read_csv(outcomes).iter().filter(|r| SUBGROUP.contains(&r["Offence Code"].as_str())) {
        let f = by_force.entry(r["Force Name"].clone()).or_default();
        let n = count(r, "Number of Outcomes");
        if n == 0 {
            continue;
        }
        *f.groups.entry(r["Outcome Group"].clone()).or_default() += n;
        if r["Outcome Type"] != "0" {
            f.assigned += n;
        }
        if r["Outcome Type"] == "1" {
            f.charged += n;
            f.quarters.entry(quarter(r)).or_default().1 += n;
        }
    }
    by_force
}

/// Publishes the export in `dir/world` (a synthetic world of `incidents` incidents when the
/// folder holds none) into a dashboard, and checks every force it shows against the
/// `recorded.csv` and `outcomes.csv` that `conduct stats` writes from the same incidents. Each
/// force's hidden and linked repeats are checked against `conduct run`'s `courses/courses.csv`
/// of the same export, counted here: a course's report of the force is hidden when that file
/// says so, and linked when it is neither hidden nor the course's first. Gives the published
/// figures by force and the number of forces compared.
fn dashboard_against_published(dir: &std::path::Path, incidents: usize) -> (BTreeMap<String, Figures>, usize) {
    let server = start(dir, Backend::Sqlite, incidents, &[]).unwrap();
    let world = dir.join("world");
    let stats = dir.join("stats");
    ok(conduct().arg("stats").arg("--incidents").arg(world.join("incidents.csv")).arg("--out").arg(&stats));
    let want = published(&stats.join("recorded.csv"), &stats.join("outcomes.csv"));
    let run = dir.join("run");
    let mut args: Vec<std::ffi::OsString> = vec!["run".into(), "--out".into(), run.clone().into_os_string()];
    for (flag, file) in [("--incidents", "incidents.csv"), ("--people", "people.csv"), ("--orders", "orders.csv")] {
        if world.join(file).exists() {
            args.extend([flag.into(), world.join(file).into_os_string()]);
        }
    }
    ok(conduct().args(&args));
    // Force → (hidden repeats, linked repeats), from the CLI's courses.
    let mut repeats: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut course_before = String::new();
    for r in read_csv(&run.join("courses/courses.csv")) {
        let first = r["course_id"] != course_before;
        course_before.clone_from(&r["course_id"]);
        let counts = repeats.entry(r["force"].clone()).or_default();
        match (first, r["hidden_repeat"].as_str()) {
            (_, "true") => counts.0 += 1,
            (false, _) => counts.1 += 1,
            (true, _) => {}
        }
    }

    let pw = server.add_user("admin", "admin", None);
    let mut admin = signed_in(&server, "admin", &pw);
    let (s, national) = admin.get("/api/forces");
    assert_eq!(s, 200, "{national}");
    let forces = national["forces"].as_array().unwrap();
    let shown: BTreeSet<&str> = forces.iter().map(|f| f["force"].as_str().unwrap()).collect();
    assert!(want.keys().all(|f| shown.contains(f.as_str())), "every force of the tables is on the dashboard: {shown:?}");
    let mut compared = 0;
    for f in forces {
        let name = f["force"].as_str().unwrap();
        let (s, o) = admin.get(&format!("/api/forces/{}", name.replace(' ', "%20")));
        assert_eq!(s, 200, "{o}");
        let n = |v: &Value| v.as_u64().unwrap_or_else(|| panic!("{name}: a count, not {v}"));
        let quarters: BTreeMap<String, (u64, u64)> = o["quarters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| (q["quarter"].as_str().unwrap().to_string(), (n(&q["recorded"]), n(&q["charged"]))))
            .collect();
        let groups: BTreeMap<String, u64> =
            o["outcome_groups"].as_array().unwrap().iter().map(|g| (g["group"].as_str().unwrap().to_string(), n(&g["count"]))).collect();
        let got =
            Figures { quarters, groups, recorded: n(&o["incidents"]), assigned: n(&o["outcomes_assigned"]), charged: n(&o["charged"]) };
        let expected = want.get(name).unwrap_or_else(|| panic!("{name} is in the published tables"));
        assert_eq!(&got, expected, "{name}: the dashboard against recorded.csv and outcomes.csv");
        let (hidden, linked) = repeats.get(name).copied().unwrap_or_default();
        assert_eq!(
            (o["hidden_repeats"].as_u64().unwrap_or(0), o["linked_repeats"].as_u64().unwrap_or(0)),
            (hidden, linked),
            "{name}: hidden and linked repeats against courses.csv"
        );
        // The national page shows the same numbers as the force's own.
        assert_eq!((n(&f["incidents"]), n(&f["outcomes_assigned"]), n(&f["charged"])), (got.recorded, got.assigned, got.charged), "{name}");
        // The charge rate is the Home Office's: charged over offences recorded, not over
        // outcomes assigned.
        match expected.recorded {
            0 => assert!(f["charge_rate"].is_null(), "{name}: no offence recorded, so no rate: {}", f["charge_rate"]),
            recorded => {
                let rate = f["charge_rate"].as_f64().unwrap_or_else(|| panic!("{name}: a rate, not {}", f["charge_rate"]));
                assert!((rate - expected.charged as f64 / recorded as f64).abs() < 1e-9, "{name}: charge rate {rate}");
            }
        }
        // Every offence is in one outcome group (type 0 is "not yet assigned").
        assert_eq!(got.groups.values().sum::<u64>(), got.recorded, "{name}");
        compared += 1;
    }
    (want, compared)
}

#[test]
fn dashboard_force_figures_equal_the_published_recorded_and_outcomes_tables() {
    let dir = tempfile::tempdir().unwrap();
    let (want, compared) = dashboard_against_published(dir.path(), 1500);
    // The world holds what the old, separate count got wrong: reports whose principal crime is
    // outside the subgroup, reports with no outcome yet, and finer codes folded onto a class.
    let rows = read_csv(&dir.path().join("world/incidents.csv"));
    let code = |r: &std::collections::HashMap<String, String>| conduct_domain::OffenceCode::parse(&r["offence_code"]).unwrap();
    assert!(rows.iter().any(|r| !code(r).class().is_stalking_or_harassment()), "reports recorded under other crimes");
    assert!(rows.iter().any(|r| r["outcome_type"].is_empty()), "reports with no outcome yet");
    assert!(rows.iter().any(|r| code(r).class().is_stalking_or_harassment() && !SUBGROUP.contains(&r["offence_code"].as_str())));
    assert!(compared >= 2, "more than one force compared");
    let recorded: u64 = want.values().map(|f| f.recorded).sum();
    assert!(recorded > 0 && recorded < rows.len() as u64, "the dashboard counts the subgroup's offences, not every report");
}

/// The same agreement on small exports shaped like real ones, written by hand
/// (`tests/data/small`): one force's repeat victim, one family's surname, and
/// `force-figures` — two forces that both number their reports `1234` and `K-1234`, finer
/// codes (8/66, 195/12) folded onto stalking, reports under other crimes with outcomes,
/// reports on both sides of a financial year's end (31 March, 1 April) and no outcome yet.
/// For `force-figures` the figures are also counted here by hand, so agreement cannot come
/// from both sides being wrong alike.
#[test]
fn dashboard_force_figures_equal_the_published_tables_on_small_real_shaped_exports() {
    for fixture in ["force-figures", "repeat-victim", "one-family", "father-son"] {
        let dir = tempfile::tempdir().unwrap();
        let world = dir.path().join("world");
        std::fs::create_dir_all(&world).unwrap();
        for file in ["incidents.csv", "people.csv"] {
            std::fs::copy(data(&format!("small/{fixture}/{file}")), world.join(file)).unwrap();
        }
        let (want, compared) = dashboard_against_published(dir.path(), 0);
        assert!(compared >= 1, "{fixture}: a force compared");
        let by_hand = read_csv(&world.join("incidents.csv"));
        for (force, figures) in &want {
            let recorded = by_hand.iter().filter(|r| &r["force"] == force && counts_as_stalking_or_harassment(&r["offence_code"])).count();
            assert_eq!(figures.recorded, recorded as u64, "{fixture}: {force}'s offences recorded");
        }
        if fixture == "force-figures" {
            let counts = |f: &str| (want[f].recorded, want[f].assigned, want[f].charged);
            // Cumbria: ten of its twelve reports are stalking or harassment (not 1238, an
            // assault, nor K-1236, criminal damage); eight have an outcome, two of them a
            // charge (1235, K-1235; the charge for the assault 1238 is not one).
            assert_eq!(counts("Cumbria"), (10, 8, 2));
            assert_eq!(counts("Durham"), (2, 2, 1));
            // By quarter recorded (a quarter the tables list with nothing in it left out): 1236
            // on 31 March is in 2022/23, 1237 on 1 April in 2023/24.
            let quarters: Vec<(&str, (u64, u64))> =
                want["Cumbria"].quarters.iter().filter(|(_, n)| **n != (0, 0)).map(|(q, n)| (q.as_str(), *n)).collect();
            assert_eq!(quarters, [("2022/23 Q4", (3, 1)), ("2023/24 Q1", (4, 0)), ("2023/24 Q2", (3, 1))]);
        }
    }
}

/// Whether an offence code counts as a stalking or harassment offence recorded: its class is in
/// the subgroup (finer codes such as 8/65 included). An incident counts under its principal
/// code only, as the Home Office counts it.
pub fn counts_as_stalking_or_harassment(code: &str) -> bool {
    conduct_domain::OffenceCode::parse(code).is_ok_and(|c| c.class().is_stalking_or_harassment())
}

/// The stalking and harassment offences recorded in an incidents file (every row accepted):
/// what the dashboard's force figures add up to.
pub fn stalking_and_harassment_recorded(incidents: &std::path::Path) -> i64 {
    read_csv(incidents).iter().filter(|r| counts_as_stalking_or_harassment(&r["offence_code"])).count() as i64
}

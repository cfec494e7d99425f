//! `conduct run` feeds the SPO breaches its own courses stage found into its statistics, stories
//! and FOI answers (issue 16 item 5), beside the breaches the records name, labelled as found by
//! analysis and never added to them. The export is the hand-written one of tests/data/breaches
//! (its README works every figure by hand).

use crate::util::{conduct, data, ok, order_free_outputs, read_csv};

#[test]
fn run_counts_the_breaches_its_analysis_found_beside_the_recorded_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let export = |c: &mut std::process::Command| {
        for (flag, file) in [("--incidents", "incidents.csv"), ("--orders", "orders.csv")] {
            c.arg(flag).arg(data(&format!("breaches/{file}")));
        }
    };
    let mut run = conduct();
    run.arg("run");
    export(&mut run);
    let stdout = ok(run.arg("--people").arg(data("breaches/people.csv")).arg("--out").arg(&out));
    let stdout = String::from_utf8_lossy(&stdout.stdout);

    // What the courses stage found: 6 rows, 5 of SPOs, 4 reports (README).
    assert_eq!(read_csv(&out.join("courses/breaches.csv")).len(), 6);
    assert!(stdout.contains("4 reports found by this run's analysis to breach a stalking protection order"), "{stdout}");
    assert!(stdout.contains("1 row is a breach of other orders"), "{stdout}");

    // The statistics: the run's period is the year to the latest quarter (June 2023), which
    // holds one of the four reports (KT-22-0815) and no breach the records name.
    let orders = read_csv(&out.join("stats/orders.csv"));
    let kent: Vec<(&str, &str, &str)> = orders
        .iter()
        .filter(|r| r["Area"] == "Kent")
        .map(|r| (r["Period"].as_str(), r["Breaches Indicated"].as_str(), r["Breaches Found By Analysis"].as_str()))
        .collect();
    assert_eq!(kent, [("year to June 2023", "0", "1")]);
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("stats/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["spo_breaches_found_by_analysis"]["count_in_periods"], 1, "{summary}");
    let file = summary["files"].as_array().unwrap().iter().find(|f| f["table"] == "breaches (found by analysis)").unwrap();
    assert_eq!((file["read"].as_u64(), file["reports"].as_u64(), file["other_orders"].as_u64()), (Some(6), Some(4), Some(1)));

    // Never in the Home Office tables: the run's recorded.csv, outcomes.csv and figures.csv
    // are those of `conduct stats` on the same export with no breaches given.
    let plain = tmp.path().join("stats");
    let mut stats = conduct();
    stats.args(["stats", "--period", "year to June 2023"]);
    export(&mut stats);
    ok(stats.arg("--out").arg(&plain));
    for f in ["recorded.csv", "outcomes.csv", "figures.csv"] {
        assert_eq!(std::fs::read(out.join("stats").join(f)).unwrap(), std::fs::read(plain.join(f)).unwrap(), "{f}");
    }

    // The FOI answer, to the last financial year the export covers to its end (2022/23): the
    // recorded column as the records name breaches, the found column beside it.
    let foi = std::fs::read_to_string(out.join("foi/force-kent.md")).unwrap();
    for line in [
        "| Reporting year | Stalking offences recorded | SPOs applied for | SPOs granted | Breaches recorded | Breaches found by analysis |",
        "| 2020/21 | 1 (part year) | 1 | 1 | 0 | 0 |",
        "| 2021/22 | 1 | 1 | 0 | 2 | 2 |",
        "| 2022/23 | 1 | 1 | 1 | 0 | 2 |",
        "never added to the breaches recorded",
    ] {
        assert!(foi.contains(line), "FOI lacks {line:?}:\n{foi}");
    }

    // The story says both, each for what it is.
    let story = std::fs::read_to_string(out.join("stories/force-kent.md")).unwrap();
    assert!(
        story.contains(
            "0 incidents named a breach of an order; separately, Conduct's analysis of the records found 1 report in which \
             an order's subject contacted the person it protects while the order was in force (found by analysis, not a \
             recorded figure)."
        ),
        "{story}"
    );
}

/// Regression: `breaches.csv` listed the breaches in the order of the export's rows (by the
/// report's and the order's positions), and a course's time line its report's orders in the
/// orders file's order, so the same export with its rows in another order listed them in
/// another order. Breaches are now listed by the report's date, then the report and the order
/// by their references, and a report's orders by their references: every file the run writes
/// is the same for the export's files reversed, but those that follow the input by design.
#[test]
fn regression_the_breaches_were_listed_in_the_order_of_the_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let reversed = tmp.path().join("reversed");
    std::fs::create_dir_all(&reversed).unwrap();
    for f in ["incidents.csv", "orders.csv", "people.csv"] {
        let text = std::fs::read_to_string(data(&format!("breaches/{f}"))).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1..].reverse();
        std::fs::write(reversed.join(f), format!("{}\n", lines.join("\n"))).unwrap();
    }
    let run = |dir: &std::path::Path, out: &std::path::Path| {
        let mut c = conduct();
        c.arg("run");
        for (flag, file) in [("--incidents", "incidents.csv"), ("--orders", "orders.csv"), ("--people", "people.csv")] {
            c.arg(flag).arg(dir.join(file));
        }
        ok(c.arg("--out").arg(out));
    };
    let (own, other) = (tmp.path().join("own"), tmp.path().join("other"));
    run(&data("breaches"), &own);
    run(&reversed, &other);
    let breaches = read_csv(&own.join("courses/breaches.csv"));
    assert_eq!(breaches.len(), 6, "the fixture's breaches are found");
    let dates: Vec<&str> = breaches.iter().map(|r| r["date"].as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "by date: {dates:?}");
    let compared = order_free_outputs(&own);
    for f in ["courses/breaches.csv", "courses/timelines.jsonl", "stats/orders.csv"] {
        assert!(compared.iter().any(|c| c == std::path::Path::new(f)), "{f} not in {compared:?}");
    }
    for f in &compared {
        assert!(
            std::fs::read(own.join(f)).unwrap() == std::fs::read(other.join(f)).unwrap(),
            "{} differs with the rows reversed",
            f.display()
        );
    }
}

//! Statistics and reports through the real binary: the Home Office fixture's stories, the FOI
//! answer, the HTML report, and `conduct stats` on a synthetic world.

use crate::util::{conduct, data, ok};

fn ho() -> [std::ffi::OsString; 4] {
    ["--recorded".into(), data("homeoffice/recorded.csv").into(), "--outcomes".into(), data("homeoffice/outcomes.csv").into()]
}

#[test]
fn stories_carry_the_published_figures() {
    let out = ok(conduct().args(["report", "story", "--force", "Merseyside", "--period", "year to September 2023"]).args(ho()));
    let story = String::from_utf8_lossy(&out.stdout);
    for figure in ["10,056", "10,477", "slightly", "28 a day", "459", "4.6%", "5%", "2,744", "147", "49.2% of 21,994", "11"] {
        assert!(story.contains(figure), "Merseyside story lacks {figure}:\n{story}");
    }
}

#[test]
fn every_force_gets_a_story_and_html_pages() {
    let tmp = tempfile::tempdir().unwrap();
    ok(conduct()
        .args(["report", "story", "--all-forces", "--period", "year to September 2023", "--out"])
        .arg(tmp.path().join("stories"))
        .args(ho()));
    let stories = std::fs::read_dir(tmp.path().join("stories")).unwrap().count();
    assert!(stories >= 4, "one story per force with data, got {stories}");
    ok(conduct().args(["report", "html", "--period", "year to September 2023", "--out"]).arg(tmp.path().join("html")).args(ho()));
    let index = std::fs::read_to_string(tmp.path().join("html/index.html")).unwrap();
    assert!(index.contains("<svg"), "charts are inline SVG");
    assert!(!index.contains("<script"), "readable without JavaScript");
    // Issue 16 item 3: every chart as a standalone SVG and PNG, and its data as a table.
    let page = std::fs::read_to_string(tmp.path().join("html/force-merseyside.html")).unwrap();
    for stem in ["force-merseyside-trend", "force-merseyside-outcomes", "england-and-wales-trend"] {
        let svg = std::fs::read_to_string(tmp.path().join(format!("html/charts/{stem}.svg"))).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<title id=\"t\">") && svg.contains("Source: Home Office"), "{stem}");
        let png = std::fs::read(tmp.path().join(format!("html/charts/{stem}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{stem}");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 1920, "{stem}: twice the SVG's 960");
    }
    assert_eq!(page.matches("The data in this chart").count(), 2, "both charts' data");
    assert!(page.contains("<th scope=\"row\">2022/23 Q3</th>"), "a quarter's row");
    assert!(page.contains("href=\"charts/force-merseyside-trend.png\""));
}

#[test]
fn foi_answer_names_the_counting_rule_change() {
    let out = ok(conduct().args(["report", "foi", "--force", "Merseyside"]).args(ho()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.to_lowercase().contains("stalking"), "{text}");
    assert!(text.contains("2020"), "the April 2020 caveat: {text}");
}

#[test]
fn stats_from_a_synthetic_export_write_home_office_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let world = tmp.path().join("world");
    ok(conduct().args(["synth", "--incidents", "3000", "--seed", "3", "--out"]).arg(&world));
    let out = tmp.path().join("stats");
    ok(conduct()
        .arg("stats")
        .arg("--incidents")
        .arg(world.join("incidents.csv"))
        .arg("--orders")
        .arg(world.join("orders.csv"))
        .arg("--out")
        .arg(&out));
    let files: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    // The recorded-crime table sums to the incidents read. (By its name: `also_recorded.csv`,
    // the count of stalking recorded beside another crime, also has "recorded" in its name, and
    // which came first depended on the directory's order.)
    let recorded = files.iter().find(|f| *f == "recorded.csv").unwrap_or_else(|| panic!("no recorded.csv in {files:?}"));
    let rows = crate::util::read_csv(&out.join(recorded));
    let total: u64 = rows.iter().map(|r| r["Number of Offences"].parse::<u64>().unwrap()).sum();
    assert_eq!(total, 3000);
}

fn breaches_export() -> Vec<std::ffi::OsString> {
    vec!["--incidents".into(), data("breaches/incidents.csv").into(), "--orders".into(), data("breaches/orders.csv").into()]
}

/// Issue 16 item 5: the breaches `conduct courses` finds (an order's subject contacting its
/// protected person while the order is in force) reach the FOI answer, the story and the
/// statistics beside the breaches the records' text names, labelled as found by analysis and
/// never added to them. Every figure is worked by hand in tests/data/breaches/README.md.
#[test]
fn spo_breaches_found_by_analysis_stand_beside_the_recorded_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let courses = tmp.path().join("courses");
    ok(conduct().arg("courses").args(breaches_export()).arg("--people").arg(data("breaches/people.csv")).arg("--out").arg(&courses));
    let breaches = courses.join("breaches.csv");
    let rows = crate::util::read_csv(&breaches);
    assert_eq!(rows.len(), 6, "5 rows of SPOs and one of the restraining order: {rows:?}");

    // The FOI answer: the recorded column unchanged, the found column beside it.
    let foi = ok(conduct()
        .args(["report", "foi", "--force", "Kent", "--year", "2022/23"])
        .args(breaches_export())
        .arg("--breaches")
        .arg(&breaches));
    let foi = String::from_utf8_lossy(&foi.stdout);
    for line in [
        "| Reporting year | Stalking offences recorded | SPOs applied for | SPOs granted | Breaches recorded | Breaches found by analysis |",
        "| 2020/21 | 1 (part year) | 1 | 1 | 0 | 0 |",
        "| 2021/22 | 1 | 1 | 0 | 2 | 2 |",
        "| 2022/23 | 1 | 1 | 1 | 0 | 2 |",
        "Breaches found by analysis are reports in which the subject of a stalking protection order",
        "never added to the breaches recorded",
    ] {
        assert!(foi.contains(line), "FOI lacks {line:?}:\n{foi}");
    }
    // Without --breaches, the answer is as before: no column, no note.
    let plain = ok(conduct().args(["report", "foi", "--force", "Kent", "--year", "2022/23"]).args(breaches_export()));
    let plain = String::from_utf8_lossy(&plain.stdout);
    assert!(plain.contains("| 2022/23 | 1 | 1 | 1 | 0 |\n") && !plain.contains("found by analysis"), "{plain}");

    // The statistics: orders.csv and summary.json.
    let out = tmp.path().join("stats");
    let stdout = ok(conduct()
        .args(["stats", "--period", "2021/22", "--period", "2022/23"])
        .args(breaches_export())
        .arg("--breaches")
        .arg(&breaches)
        .arg("--out")
        .arg(&out));
    let stdout = String::from_utf8_lossy(&stdout.stdout);
    assert!(stdout.contains("4 reports found to breach a stalking protection order, 4 of them incidents of this export"), "{stdout}");
    assert!(stdout.contains("1 row is a breach of other orders"), "{stdout}");
    let orders = crate::util::read_csv(&out.join("orders.csv"));
    let kent: Vec<(&str, &str, &str)> = orders
        .iter()
        .filter(|r| r["Area"] == "Kent")
        .map(|r| (r["Period"].as_str(), r["Breaches Indicated"].as_str(), r["Breaches Found By Analysis"].as_str()))
        .collect();
    assert_eq!(kent, [("2021/22", "2", "2"), ("2022/23", "0", "2")]);
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["spo_breaches_found_by_analysis"]["count_in_periods"], 4);
    // Never in the Home Office tables: recorded.csv is the same with and without --breaches.
    let without = tmp.path().join("stats-without");
    ok(conduct().args(["stats", "--period", "2021/22", "--period", "2022/23"]).args(breaches_export()).arg("--out").arg(&without));
    for f in ["recorded.csv", "outcomes.csv", "figures.csv"] {
        assert_eq!(std::fs::read(out.join(f)).unwrap(), std::fs::read(without.join(f)).unwrap(), "{f} changed with --breaches");
    }
    let plain_orders = std::fs::read_to_string(without.join("orders.csv")).unwrap();
    assert!(plain_orders.contains("Kent,2022/23,1,1,0,\n"), "not analysed: empty, not zero:\n{plain_orders}");

    // The story says both, each for what it is.
    let story = ok(conduct()
        .args(["report", "story", "--force", "Kent", "--period", "2021/22"])
        .args(breaches_export())
        .arg("--breaches")
        .arg(&breaches));
    let story = String::from_utf8_lossy(&story.stdout);
    assert!(
        story.contains(
            "2 incidents named a breach of an order; separately, Conduct's analysis of the records found 2 reports in which \
             an order's subject contacted the person it protects while the order was in force (found by analysis, not a \
             recorded figure)."
        ),
        "{story}"
    );
}

/// A breaches file with rows that cannot be used: each is a reject naming file, line, column
/// and reason, and a report that is not in the export is said, not counted.
#[test]
fn a_bad_breaches_file_is_rejected_row_by_row() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("stats");
    let stdout = ok(conduct()
        .args(["stats", "--period", "2021/22"])
        .args(breaches_export())
        .arg("--breaches")
        .arg(data("breaches/bad-breaches.csv"))
        .arg("--out")
        .arg(&out));
    let stdout = String::from_utf8_lossy(&stdout.stdout);
    assert!(stdout.contains("read 5, used 1, rejected 3"), "{stdout}");
    assert!(stdout.contains("1 reports of the breaches file are not incidents of this export"), "{stdout}");
    let rejects = crate::util::read_csv(&out.join("rejects.csv"));
    let got: Vec<(&str, &str, bool)> = rejects
        .iter()
        .map(|r| (r["line"].as_str(), r["column"].as_str(), r["file"].ends_with("bad-breaches.csv") && !r["reason"].is_empty()))
        .collect();
    assert_eq!(got, [("3", "order_type", true), ("4", "incident_force", true), ("5", "incident_ref", true)]);
    assert!(rejects[0]["reason"].contains("\"court order\""), "{:?}", rejects[0]);
    let orders = crate::util::read_csv(&out.join("orders.csv"));
    let kent = orders.iter().find(|r| r["Area"] == "Kent").unwrap();
    assert_eq!(kent["Breaches Found By Analysis"], "1", "KT-21-0388 only");
    // --breaches reads an export's incidents: with the published tables it is a usage error.
    let e = crate::util::run(
        conduct()
            .args(["stats", "--recorded"])
            .arg(data("homeoffice/recorded.csv"))
            .arg("--breaches")
            .arg(data("breaches/bad-breaches.csv")),
    );
    assert_eq!(e.status.code(), Some(2), "{}", String::from_utf8_lossy(&e.stderr));
}

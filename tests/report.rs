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

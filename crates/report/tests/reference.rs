//! The reference figures of `reference/domain.md`, reproduced from the fixture
//! `tests/data/homeoffice/` (Home Office layout, built from the reference table): every figure
//! in these stories is computed from the table rows, not typed into the template.

use std::path::PathBuf;

use conduct_domain::Force;
use conduct_report::{FoiOptions, StoryOptions, foi, story};
use conduct_stats::published::{read_outcomes, read_recorded};
use conduct_stats::{Period, Tables};

fn fixture() -> Tables {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/homeoffice");
    let mut t = Tables::new();
    let r = read_recorded(&dir.join("recorded.csv"), &mut t).unwrap();
    assert!(r.balances() && r.rejected == 0, "{:?}", r.rejects);
    assert_eq!((r.non_force, r.suppressed), (1, 1));
    let o = read_outcomes(&dir.join("outcomes.csv"), &mut t).unwrap();
    assert!(o.balances() && o.rejected == 0, "{:?}", o.rejects);
    assert_eq!(o.count_column, "Number of Outcomes");
    t
}

fn story_of(force: &str) -> String {
    let p = Period::parse("year to September 2023").unwrap();
    let s = story(&fixture(), Force::resolve(force).unwrap(), p, &StoryOptions::default()).unwrap();
    println!("{s}");
    s
}

fn assert_contains(s: &str, parts: &[&str]) {
    for p in parts {
        assert!(s.contains(p), "story lacks {p:?}:\n{s}");
    }
}

#[test]
fn metropolitan_police_story_reproduces_the_reference_figures() {
    let s = story_of("Metropolitan Police Service");
    assert_contains(
        &s,
        &[
            "14,837",
            "15,838",
            "41 a day",
            "685",
            "4.6%",
            "7.1%",
            "12,224",
            "699",
            "36.9% of 61,330",
            "# Harassment down in Metropolitan Police",
            "recorded 14,837 harassment offences in the year to September 2023, down from 15,838 the year before",
            "685 resulted in a charge or summons, or 4.6%, down from 7.1% the year before",
        ],
    );
    assert!(!s.contains("slightly down from 15,838"), "a 6.3% fall is not slight");
}

#[test]
fn merseyside_story_reproduces_the_reference_figures() {
    let s = story_of("Merseyside");
    assert_contains(
        &s,
        &[
            "10,056",
            "10,477",
            "slightly down from 10,477",
            "28 a day",
            "459",
            "4.6%",
            "down from 5% the year before",
            "2,744",
            "147",
            "49.2% of 21,994",
            "more than 11-fold its level nine years earlier",
            "890 offences were recorded in the year to September 2014",
        ],
    );
}

#[test]
fn caveats_name_missing_forces_suppressed_cells_and_non_force_rows() {
    let s = story_of("Cumbria");
    assert_contains(
        &s,
        &[
            "39 are missing",
            "No outcome data for the year to September 2023 from: Devon and Cornwall",
            "suppressed (`..`)",
            "at least",
            "Action Fraud (37)",
            "principal crime rule",
        ],
    );
    let d = story_of("Devon & Cornwall");
    assert_contains(&d, &["Devon and Cornwall supplied no outcome data for the year to September 2023"]);
}

#[test]
fn foi_answer_for_merseyside() {
    let s = foi(&fixture(), Force::resolve("Merseyside").unwrap(), &FoiOptions::default()).unwrap();
    println!("{s}");
    assert_contains(&s, &["2020/21, 2021/22 and 2022/23", "| 2022/23 |", "do not hold stalking protection orders"]);
}

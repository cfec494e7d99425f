//! The Home Office files as published (issue 16 item 1): the recorded-crime and outcomes tables
//! as `.ods` and `.xlsx` workbooks (a notes sheet, one sheet per financial year, title rows
//! above the header) and as CSV with both outcome counts, read by `conduct stats` and
//! `conduct report`. Every Met and Merseyside figure of `reference/domain.md` that the stories
//! reproduce from the CSV fixture is reproduced to the digit from each of them; `--outcomes-by
//! closed` gives the other count, labelled; bad input names file, sheet, row, column and reason.
//!
//! The workbooks are made by `tests/data/homeoffice/generate.rs` from the CSV fixture and
//! committed; `fixtures_match_their_generator` checks them cell by cell.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::util::{conduct, data, ok, read_csv, run};

#[path = "data/homeoffice/generate.rs"]
#[allow(dead_code)]
mod generate;

#[path = "data/homeoffice/national.rs"]
mod national;

/// The (recorded, outcomes) pairs that hold the reference figures: the workbooks, the CSV
/// layout with both outcome counts, the original single-count CSV, and a mixture.
fn layouts() -> Vec<(&'static str, PathBuf, PathBuf)> {
    [
        ("ods", "recorded.ods", "outcomes.ods"),
        ("xlsx", "recorded.xlsx", "outcomes.xlsx"),
        ("csv, both outcome counts", "recorded.csv", "outcomes-both.csv"),
        ("csv, one outcome count (alias)", "recorded.csv", "outcomes.csv"),
        ("ods recorded, csv outcomes", "recorded.ods", "outcomes-both.csv"),
    ]
    .into_iter()
    .map(|(what, r, o)| (what, data(&format!("homeoffice/{r}")), data(&format!("homeoffice/{o}"))))
    .collect()
}

fn story(force: &str, recorded: &Path, outcomes: &Path, extra: &[&str]) -> (String, String) {
    let out = ok(conduct()
        .args(["report", "story", "--force", force, "--period", "year to September 2023", "--recorded"])
        .arg(recorded)
        .arg("--outcomes")
        .arg(outcomes)
        .args(extra));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn assert_contains(what: &str, s: &str, parts: &[&str]) {
    for p in parts {
        assert!(s.contains(p), "{what}: lacks {p:?}:\n{s}");
    }
}

/// The Met's figures of reference/domain.md as the story writes them.
const MET: [&str; 12] = [
    "# Harassment down in Metropolitan Police",
    "recorded 14,837 harassment offences in the year to September 2023, down from 15,838 the year before",
    "(a fall of 1,001, or 6.3%)",
    "41 a day",
    "685 resulted in a charge or summons, or 4.6%, down from 7.1% the year before",
    "12,224 stalking offences",
    "699 racially or religiously aggravated harassment offences",
    "stalking and harassment offences came to 61,330",
    "36.9% of 61,330 stalking and harassment cases",
    "Rates are for offences recorded in the period",
    "the published count \"Force outcomes for offences recorded in quarter\"",
    "Action Fraud (37)",
];

/// Merseyside's.
const MERSEYSIDE: [&str; 11] = [
    "recorded 10,056 harassment offences in the year to September 2023, slightly down from 10,477 the year before",
    "(a fall of 421, or 4%)",
    "28 a day",
    "more than 11-fold its level nine years earlier",
    "890 offences were recorded in the year to September 2014",
    "459 resulted in a charge or summons, or 4.6%, down from 5% the year before",
    "2,744 stalking offences",
    "147 racially or religiously aggravated harassment offences",
    "came to 21,994",
    "49.2% of 21,994 stalking and harassment cases",
    "No outcome data for the year to September 2023 from: Devon and Cornwall",
];

#[test]
fn stories_reproduce_the_reference_figures_from_every_published_layout() {
    // The wording the CSV fixture gives, checked first so that a change of wording shows here.
    let (met, _) = story("Metropolitan Police", &data("homeoffice/recorded.csv"), &data("homeoffice/outcomes.csv"), &[]);
    assert_contains("csv", &met, &MET);
    for (what, recorded, outcomes) in layouts() {
        let (met_story, stderr) = story("Metropolitan Police Service", &recorded, &outcomes, &[]);
        assert_contains(what, &met_story, &MET);
        let (mersey, _) = story("Merseyside", &recorded, &outcomes, &[]);
        assert_contains(what, &mersey, &MERSEYSIDE);
        // Same figures, same words: the story does not depend on the file format.
        assert_eq!(met_story, met, "{what}: the Met story differs from the CSV fixture's");
        // What was read is said on stderr, unless it was a plain CSV table read as it stands.
        if what.contains("alias") {
            assert!(stderr.is_empty(), "{what}: {stderr}");
        } else {
            assert_contains(what, &stderr, &["conduct: read", "rows used"]);
        }
        if outcomes.extension().is_some_and(|e| e == "ods" || e == "xlsx") || what.contains("both") {
            assert_contains(what, &stderr, &["Force outcomes for offences recorded in quarter"]);
        }
    }
}

/// `conduct stats` writes the derived figures; the reference's numbers are in figures.csv to
/// the digit, whichever layout was read.
#[test]
fn stats_figures_reproduce_the_reference_from_every_published_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let mut first: Option<String> = None;
    for (i, (what, recorded, outcomes)) in layouts().into_iter().enumerate() {
        let out = tmp.path().join(i.to_string());
        ok(conduct()
            .args(["stats", "--period", "year to September 2023", "--recorded"])
            .arg(&recorded)
            .arg("--outcomes")
            .arg(&outcomes)
            .arg("--out")
            .arg(&out));
        let rows = read_csv(&out.join("figures.csv"));
        let get = |area: &str, offence: &str| -> &HashMap<String, String> {
            rows.iter().find(|r| r["Area"] == area && r["Offence"] == offence).unwrap_or_else(|| panic!("{what}: no {area} {offence}"))
        };
        for (area, h, hb, per_day, charges, rate, rate_before, stalking, rrah, sh, vdns, fold) in [
            ("Metropolitan Police", "14837", "15838", "40.65", "685", "4.6", "7.1", "12224", "699", "61330", "36.9", None),
            ("Merseyside", "10056", "10477", "27.55", "459", "4.6", "5.0", "2744", "147", "21994", "49.2", Some("11.30")),
        ] {
            let r = get(area, "Harassment");
            assert_eq!(
                (
                    r["Number of Offences"].as_str(),
                    r["Year Before"].as_str(),
                    r["Per Day"].as_str(),
                    r["Charge/Summons"].as_str(),
                    r["Charge/Summons %"].as_str(),
                    r["Charge/Summons % Year Before"].as_str()
                ),
                (h, hb, per_day, charges, rate, rate_before),
                "{what}: {area} harassment"
            );
            if let Some(f) = fold {
                assert_eq!(r["Fold Change"], f, "{what}: {area}");
            }
            assert_eq!(get(area, "Stalking")["Number of Offences"], stalking, "{what}: {area}");
            assert_eq!(get(area, "Racially or religiously aggravated harassment")["Number of Offences"], rrah, "{what}: {area}");
            let all = get(area, "Stalking and harassment (all)");
            assert_eq!((all["Number of Offences"].as_str(), all["Victim Does Not Support %"].as_str()), (sh, vdns), "{what}: {area}");
        }
        let text = std::fs::read_to_string(out.join("figures.csv")).unwrap();
        match &first {
            None => first = Some(text),
            Some(f) => assert_eq!(&text, f, "{what}: figures.csv differs from the first layout's"),
        }
    }
}

/// `conduct stats` says which sheets and rows it read, and which it left out.
#[test]
fn stats_say_which_sheets_and_rows_were_read() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(conduct()
        .arg("stats")
        .arg("--recorded")
        .arg(data("homeoffice/recorded.ods"))
        .arg("--outcomes")
        .arg(data("homeoffice/outcomes.xlsx"))
        .arg("--out")
        .arg(tmp.path()));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_contains(
        "stats",
        &text,
        &[
            "sheet \"2013-14\": header on row 4, 2 title or note rows above it skipped, data rows 5-",
            "sheet \"2023-24\": header on row 4",
            "1 note row below the header skipped",
            "not read (no table header in the first 50 rows): sheet \"Notes\"",
            "counts from column \"Number of Offences\"",
            "counts from column \"Force outcomes for offences recorded in quarter\"",
            "column \"Force outcomes for offences closed in quarter\" (outcomes of investigations closed in the quarter) not used",
        ],
    );
    assert!(!text.contains("both hold rows"), "each year is on one sheet:\n{text}");
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("summary.json")).unwrap()).unwrap();
    let files = summary["files"].as_array().unwrap();
    let (recorded, outcomes) = (&files[0], &files[1]);
    assert_eq!(recorded["format"], "ODS");
    assert_eq!(recorded["sheets"].as_array().unwrap().len(), 11, "2013/14 to 2023/24");
    assert_eq!(recorded["skipped_sheets"], serde_json::json!(["Notes"]));
    // Every row of recorded.csv is read from the sheets: 581 rows, one of them Action Fraud.
    assert_eq!((recorded["read"].as_u64(), recorded["used"].as_u64(), recorded["non_force"].as_u64()), (Some(581), Some(580), Some(1)));
    assert_eq!(outcomes["format"], "XLSX");
    assert_eq!(outcomes["read"].as_u64(), Some(4089));
    assert_eq!(outcomes["rejected"].as_u64(), Some(0));
    assert_eq!(outcomes["unused_count_column"], "Force outcomes for offences closed in quarter");
    assert_eq!(summary["outcome_basis"], "outcomes assigned to offences recorded in each quarter");
    // The tables written are those of the CSV fixture read the same way.
    let csv_out = tmp.path().join("csv");
    ok(conduct()
        .arg("stats")
        .arg("--recorded")
        .arg(data("homeoffice/recorded.csv"))
        .arg("--outcomes")
        .arg(data("homeoffice/outcomes.csv"))
        .arg("--out")
        .arg(&csv_out));
    for f in ["recorded.csv", "outcomes.csv", "figures.csv", "outcome_groups.csv", "coverage.csv"] {
        assert_eq!(std::fs::read(tmp.path().join(f)).unwrap(), std::fs::read(csv_out.join(f)).unwrap(), "{f}");
    }
}

/// `--outcomes-by closed` reads the other count and every outcome figure says so. The fixture's
/// closed count is the recorded-in-quarter count one quarter earlier, so the charges closed in
/// the year to September 2023 are the charges of offences recorded in the year to June 2023.
#[test]
fn outcomes_by_closed_gives_the_other_view_labelled() {
    use conduct_stats::{Area, Figures, Period, Tables};
    let mut t = Tables::new();
    conduct_stats::published::read_recorded(&data("homeoffice/recorded.csv"), &mut t).unwrap();
    conduct_stats::published::read_outcomes(&data("homeoffice/outcomes.csv"), &mut t).unwrap();
    let june = Period::parse("year to June 2023").unwrap();
    let expected = |force: &str, classes: &[conduct_domain::OffenceClass]| {
        let f = Figures::compute(&t, Area::Force(conduct_domain::Force::resolve(force).unwrap()), june);
        f.charge_rate(classes).unwrap().numerator.count
    };
    let met_charges = expected("Metropolitan Police", &[conduct_domain::OffenceClass::Harassment]);
    assert_ne!(met_charges, 685, "the two views differ in the fixture");
    let met_charges = conduct_report_thousands(met_charges);
    for (what, recorded, outcomes) in layouts().into_iter().filter(|(w, ..)| !w.contains("alias")) {
        let (s, stderr) = story("Metropolitan Police", &recorded, &outcomes, &["--outcomes-by", "closed"]);
        assert_contains(
            what,
            &s,
            &[
                "recorded 14,837 harassment offences",
                &format!("{met_charges} harassment investigations closed in the year to September 2023 ended in a charge or summons"),
                "Counting outcomes by the quarter the investigation closed",
                "## Outcomes of stalking and harassment investigations closed in the year to September 2023",
                "Force outcomes for offences closed in quarter",
            ],
        );
        assert!(!s.contains("685 resulted in a charge"), "{what}: the recorded view's figure under --outcomes-by closed:\n{s}");
        assert!(!s.contains("Rates are for offences recorded in the period"), "{what}:\n{s}");
        assert_contains(what, &stderr, &["counts from column \"Force outcomes for offences closed in quarter\""]);
    }
    // stats says which basis it used, and writes the closed count under its own heading.
    let tmp = tempfile::tempdir().unwrap();
    ok(conduct()
        .args(["stats", "--outcomes-by", "closed", "--period", "year to September 2023", "--recorded"])
        .arg(data("homeoffice/recorded.xlsx"))
        .arg("--outcomes")
        .arg(data("homeoffice/outcomes.ods"))
        .arg("--out")
        .arg(tmp.path()));
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(tmp.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["outcome_basis"], "outcomes of investigations closed in each quarter, whenever the offence was recorded");
    let header = std::fs::read_to_string(tmp.path().join("outcomes.csv")).unwrap();
    assert!(header.lines().next().unwrap().ends_with("Force outcomes for offences closed in quarter"));
    let rows = read_csv(&tmp.path().join("figures.csv"));
    let met = rows.iter().find(|r| r["Area"] == "Metropolitan Police" && r["Offence"] == "Harassment").unwrap();
    assert_eq!(met["Charge/Summons"], expected("Metropolitan Police", &[conduct_domain::OffenceClass::Harassment]).to_string());
    assert!(met["Rate Basis"].contains("outcomes of investigations closed in the period"), "{}", met["Rate Basis"]);
    // A single count under a generic heading is the recorded view: asking for the closed view
    // of it is refused, naming the column it has.
    let out = run(conduct()
        .args(["report", "story", "--force", "Merseyside", "--outcomes-by", "closed", "--recorded"])
        .arg(data("homeoffice/recorded.csv"))
        .arg("--outcomes")
        .arg(data("homeoffice/outcomes.csv")));
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert_contains(
        "generic",
        &e,
        &["outcomes.csv", "no count of outcomes of investigations closed", "\"Number of Outcomes\"", "--outcomes-by recorded"],
    );
    // With an export, only the recorded view exists.
    let out = run(conduct().args(["stats", "--outcomes-by", "closed", "--incidents"]).arg(data("homeoffice/recorded.csv")));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

fn conduct_report_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Regression (issue 16): `conduct report story … --outcomes outcomes.csv` answered "no outcomes
/// count column" on a file with both published counts.
#[test]
fn regression_both_outcome_counts_were_no_outcomes_count_column() {
    let out = run(conduct()
        .args(["report", "story", "--force", "Merseyside", "--recorded"])
        .arg(data("homeoffice/recorded.csv"))
        .arg("--outcomes")
        .arg(data("homeoffice/outcomes-both.csv")));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("no outcomes count column"), "{stderr}");
    assert_contains("story", &String::from_utf8_lossy(&out.stdout), &["459 resulted in a charge or summons, or 4.6%"]);
}

/// A bad cell in a workbook is a rejected row naming file, sheet, row, column and reason; a
/// workbook without the table, or a file that is no workbook, is refused naming the file.
#[test]
fn bad_workbooks_name_file_sheet_row_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("prc.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "About these tables").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("2022-23").unwrap();
    sheet.write_string(0, 0, "Police recorded crime, 2022/23").unwrap();
    let header = ["Financial Year", "Financial Quarter", "Force Name", "Offence Code", "Number of Offences"];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let rows: [(&str, f64, &str, &str, &str); 3] =
        [("2022/23", 1.0, "Kent", "8L", "5"), ("2022/23", 2.0, "Nowhere Constabulary", "8L", "7"), ("2022/23", 3.0, "Kent", "8L", "lots")];
    for (r, (y, q, f, code, n)) in rows.iter().enumerate() {
        let r = r as u32 + 3;
        sheet.write_string(r, 0, *y).unwrap();
        sheet.write_number(r, 1, *q).unwrap();
        sheet.write_string(r, 2, *f).unwrap();
        sheet.write_string(r, 3, *code).unwrap();
        match n.parse::<f64>() {
            Ok(v) => sheet.write_number(r, 4, v).map(|_| ()).unwrap(),
            Err(_) => sheet.write_string(r, 4, *n).map(|_| ()).unwrap(),
        }
    }
    book.save(&path).unwrap();
    let out_dir = tmp.path().join("out");
    let out = run(conduct().arg("stats").arg("--recorded").arg(&path).arg("--out").arg(&out_dir));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rejects = read_csv(&out_dir.join("rejects.csv"));
    assert_eq!(rejects.len(), 2, "{rejects:?}");
    let place = format!("{}, sheet \"2022-23\"", path.display());
    assert_eq!(
        (rejects[0]["file"].as_str(), rejects[0]["line"].as_str(), rejects[0]["column"].as_str()),
        (place.as_str(), "5", "Force Name")
    );
    assert!(rejects[0]["reason"].contains("unknown force"), "{:?}", rejects[0]);
    assert_eq!((rejects[1]["line"].as_str(), rejects[1]["column"].as_str()), ("6", "Number of Offences"));
    assert!(rejects[1]["reason"].contains("\"lots\""), "{:?}", rejects[1]);

    // A workbook with no table: exit 1, naming the file and its sheets.
    let empty = tmp.path().join("notes.ods");
    let mut book = spreadsheet_ods::WorkBook::new_empty();
    let mut s = spreadsheet_ods::Sheet::new("Contents");
    s.set_value(0, 0, "Nothing here");
    book.push_sheet(s);
    spreadsheet_ods::write_ods(&mut book, &empty).unwrap();
    let out = run(conduct().args(["report", "story", "--force", "Kent", "--recorded"]).arg(&empty));
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert_contains("no table", &e, &["notes.ods", "no sheet holds the table", "\"Contents\""]);

    // Not a workbook at all.
    let fake = tmp.path().join("fake.xlsx");
    std::fs::write(&fake, "Financial Year,Financial Quarter\n").unwrap();
    let out = run(conduct().args(["stats", "--recorded"]).arg(&fake).arg("--out").arg(tmp.path().join("o2")));
    assert_eq!(out.status.code(), Some(1));
    assert_contains("fake", &String::from_utf8_lossy(&out.stderr), &["fake.xlsx", "cannot read the spreadsheet"]);

    // A missing column in a sheet names the sheet.
    let partial = tmp.path().join("partial.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("2022-23").unwrap();
    for (c, h) in ["Financial Year", "Financial Quarter", "Force Name", "Offence Code"].iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    book.save(&partial).unwrap();
    let out = run(conduct().args(["stats", "--recorded"]).arg(&partial).arg("--out").arg(tmp.path().join("o3")));
    assert_eq!(out.status.code(), Some(1));
    assert_contains("partial", &String::from_utf8_lossy(&out.stderr), &["partial.xlsx, sheet \"2022-23\": no count column"]);
}

/// Every cell of the committed workbooks is what the generator writes today, and the CSV with
/// both counts is byte for byte. `CONDUCT_REGENERATE_FIXTURES=1` rewrites them first.
#[test]
fn fixtures_match_their_generator() {
    use calamine::{Data, Reader};
    let dir = data("homeoffice");
    if std::env::var_os("CONDUCT_REGENERATE_FIXTURES").is_some_and(|v| v == "1") {
        generate::generate(&dir, &dir).unwrap();
    }
    let tmp = tempfile::tempdir().unwrap();
    let written = generate::generate(&dir, tmp.path()).unwrap();
    assert_eq!(written.len(), 5);
    for new in written {
        let name = new.file_name().unwrap().to_string_lossy().into_owned();
        let committed = dir.join(&name);
        if name.ends_with(".csv") {
            assert!(std::fs::read(&committed).unwrap() == std::fs::read(&new).unwrap(), "{name} differs from its generator's output");
            continue;
        }
        let cells = |p: &Path| -> Vec<(String, Vec<Vec<Data>>)> {
            let mut book = calamine::open_workbook_auto(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            book.sheet_names()
                .into_iter()
                .map(|s| {
                    let r = book.worksheet_range(&s).unwrap();
                    let start = r.start().unwrap_or((0, 0));
                    assert_eq!(start, (0, 0), "{name} {s}: the title is in A1");
                    (s, r.rows().map(<[Data]>::to_vec).collect())
                })
                .collect()
        };
        let (a, b) = (cells(&committed), cells(&new));
        assert_eq!(a.iter().map(|s| &s.0).collect::<Vec<_>>(), b.iter().map(|s| &s.0).collect::<Vec<_>>(), "{name}: sheets");
        for ((sheet, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{name}, sheet {sheet}: cells differ from the generator's; regenerate (see generate.rs)");
        }
    }
}

/// Two sheets holding the same financial year (a totals sheet, a copy) would count it twice:
/// the rows are read as given, and the summary says so.
#[test]
fn a_year_held_by_two_sheets_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("prc.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    for name in ["2022-23", "All years"] {
        let sheet = book.add_worksheet();
        sheet.set_name(name).unwrap();
        for (c, h) in ["Financial Year", "Financial Quarter", "Force Name", "Offence Code", "Number of Offences"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "2022/23").unwrap();
        sheet.write_number(1, 1, 1.0).unwrap();
        sheet.write_string(1, 2, "Kent").unwrap();
        sheet.write_string(1, 3, "8L").unwrap();
        sheet.write_number(1, 4, 5.0).unwrap();
    }
    book.save(&path).unwrap();
    let out = ok(conduct().arg("stats").arg("--recorded").arg(&path).arg("--out").arg(tmp.path().join("out")));
    assert_contains(
        "overlap",
        &String::from_utf8_lossy(&out.stdout),
        &["sheets \"2022-23\" and \"All years\" both hold rows for financial year 2022/23: their counts are added together"],
    );
}

/// The England and Wales paragraph with the whole table (issue 16 item 2): every force from
/// 2002/03, written by `data/homeoffice/national.rs` around the five-force fixture. The story
/// carries what the published local stories carry nationally (about 271,000 harassment
/// offences, the highest since comparable records began in 2002/03; about 679,000 stalking and
/// harassment offences, 3.4% charged or summonsed; Devon and Cornwall named as missing from
/// outcomes), from the CSV and the published workbook layouts, and the Met's and Merseyside's
/// own figures come out unchanged beside them.
#[test]
fn the_national_paragraph_carries_england_and_wales_from_the_whole_table() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("national");
    national::write(&data("homeoffice"), &dir).unwrap();
    generate::generate(&dir, &dir).unwrap();
    let national = [
        "Across England and Wales, about 271,000 harassment offences were recorded in the year to September 2023, \
         up from about 257,000 the year before, the highest number since comparable records began in 2002/03.",
        "All stalking and harassment offences recorded in England and Wales in the year to September 2023 came to at least \
         679,000. Of those recorded by the forces that supplied outcome data (all but Devon and Cornwall), 3.4% resulted \
         in a charge or summons.",
        "No outcome data for the year to September 2023 from: Devon and Cornwall. They are left out of national rates",
    ];
    let mut first: Option<String> = None;
    for (what, r, o) in [
        ("csv", "recorded.csv", "outcomes.csv"),
        ("csv, both outcome counts", "recorded.csv", "outcomes-both.csv"),
        ("xlsx", "recorded.xlsx", "outcomes.xlsx"),
        ("ods", "recorded.ods", "outcomes.ods"),
    ] {
        let (mersey, _) = story("Merseyside", &dir.join(r), &dir.join(o), &[]);
        assert_contains(what, &mersey, &national);
        assert_contains(what, &mersey, &MERSEYSIDE);
        assert_contains(what, &mersey, &["so Merseyside's rate was above the national figure"]);
        assert!(!mersey.contains("are missing"), "{what}: every force is in the table:\n{mersey}");
        let (met, _) = story("Metropolitan Police", &dir.join(r), &dir.join(o), &[]);
        assert_contains(what, &met, &MET);
        assert_contains(what, &met, &national);
        match &first {
            None => first = Some(mersey),
            Some(f) => assert_eq!(&mersey, f, "{what}: the story differs from the CSV's"),
        }
    }
    // The national figures to the digit, in figures.csv.
    let out = tmp.path().join("stats");
    ok(conduct()
        .args(["stats", "--period", "year to September 2023", "--recorded"])
        .arg(dir.join("recorded.csv"))
        .arg("--outcomes")
        .arg(dir.join("outcomes.csv"))
        .arg("--out")
        .arg(&out));
    let rows = read_csv(&out.join("figures.csv"));
    let get = |offence: &str| rows.iter().find(|r| r["Area"] == "England and Wales" && r["Offence"] == offence).unwrap();
    let h = get("Harassment");
    // 240,500 from the other 39 forces + 14,837 + 10,056 + 4,100 + 1,300 + 60.
    assert_eq!((h["Number of Offences"].as_str(), h["Missing Forces"].as_str()), ("270853", ""));
    let all = get("Stalking and harassment (all)");
    assert_eq!((all["Charge/Summons %"].as_str(), all["Forces Without Outcomes"].as_str()), ("3.4", "Devon and Cornwall"));
    assert_eq!(all["Suppressed Cells"], "1", "Cumbria's suppressed 8M cell: a lower bound");
}

/// With only some forces in the table, the paragraph does not call their total England and
/// Wales's, and makes no claim about the highest since records began.
#[test]
fn a_partial_table_is_not_called_england_and_wales() {
    let (mersey, _) = story("Merseyside", &data("homeoffice/recorded.csv"), &data("homeoffice/outcomes.csv"), &[]);
    assert_contains(
        "five forces",
        &mersey,
        &[
            "Across the 5 police forces in the data (39 of England and Wales's 44 are missing; see the notes), 30,353 harassment",
            "All stalking and harassment offences recorded in those forces",
        ],
    );
    assert!(!mersey.contains("Across England and Wales") && !mersey.contains("highest"), "{mersey}");
}

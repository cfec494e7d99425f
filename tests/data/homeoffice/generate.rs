//! Builds the workbook fixtures of this folder from `recorded.csv` and `outcomes.csv` (which
//! `build.py` writes from the reference figures): the same rows in the layouts the Home Office
//! publishes them in.
//!
//! - `recorded.ods`, `recorded.xlsx`: a notes sheet, then one sheet per financial year
//!   (`2013-14` … `2023-24`), each with two title rows and a blank row above the header; the
//!   XLSX header carries a `[note 1]` marker on its count, as accessible government tables do,
//!   and one sheet ends with a footnote row.
//! - `outcomes.ods`, `outcomes.xlsx`: the same, with both published counts on every row: "Force
//!   outcomes for offences recorded in quarter" (outcomes.csv's count) and "Force outcomes for
//!   offences closed in quarter".
//! - `outcomes-both.csv`: the published CSV layout with both counts.
//!
//! The closed-in-quarter count is invented, and made so that a test can know it: each row's
//! closed count is the recorded-in-quarter count of the same force, offence and outcome type
//! one quarter earlier (0 when there is none). So the outcomes closed in the year to September
//! 2023 are the outcomes recorded-in-quarter of the year to June 2023.
//!
//! Numbers are written as number cells, `..` as text. `tests/homeoffice.rs` regenerates the
//! files into a temporary folder and checks that every cell of the committed ones matches;
//! `CONDUCT_REGENERATE_FIXTURES=1 cargo test --test integration homeoffice::fixtures` rewrites
//! them here.

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::path::{Path, PathBuf};

/// The header of the outcomes tables as published: the keys, then both counts.
pub const OUTCOMES_HEADER: [&str; 12] = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Outcome Description",
    "Outcome Group",
    "Outcome Type",
    "Force outcomes for offences recorded in quarter",
    "Force outcomes for offences closed in quarter",
];

/// One cell.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
}

/// A sheet: its name and rows.
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
}

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

/// A count, quarter or outcome type: a number cell when it is a whole number, else text (`..`).
fn value(s: &str) -> Cell {
    match s.parse::<u64>() {
        Ok(n) => Cell::Number(n as f64),
        Err(_) => text(s),
    }
}

/// A CSV file's header and rows.
type Table = (Vec<String>, Vec<Vec<String>>);

/// What the generator returns.
type Result<T> = std::result::Result<T, Box<dyn Error>>;

fn read_csv(path: &Path) -> Result<Table> {
    let mut r = csv::Reader::from_path(path)?;
    let header = r.headers()?.iter().map(str::to_string).collect();
    let rows = r.records().map(|r| r.map(|r| r.iter().map(str::to_string).collect())).collect::<std::result::Result<_, _>>()?;
    Ok((header, rows))
}

/// `2013/14` -> the quarter before `(2013, q)`.
fn previous(year: &str, quarter: &str) -> Option<(String, String)> {
    let y: i32 = year.split('/').next()?.parse().ok()?;
    let q: u32 = quarter.parse().ok()?;
    let (y, q) = if q == 1 { (y - 1, 4) } else { (y, q - 1) };
    Some((format!("{y}/{:02}", (y + 1) % 100), q.to_string()))
}

/// The outcome rows with both counts: outcomes.csv's count as recorded in quarter, and the same
/// key's count one quarter earlier as closed in quarter.
pub fn outcome_rows(source: &Path) -> Result<Vec<Vec<String>>> {
    let (header, rows) = read_csv(&source.join("outcomes.csv"))?;
    assert_eq!(header.len(), 11, "outcomes.csv has one count");
    // Key: force, offence code, outcome type; and the quarter.
    let key = |r: &[String], y: &str, q: &str| (y.to_string(), q.to_string(), r[2].clone(), r[6].clone(), r[9].clone());
    let mut by_key: HashMap<_, String> = HashMap::new();
    for r in &rows {
        by_key.entry(key(r, &r[0], &r[1])).or_insert_with(|| r[10].clone());
    }
    Ok(rows
        .iter()
        .map(|r| {
            let closed = previous(&r[0], &r[1]).and_then(|(y, q)| by_key.get(&key(r, &y, &q)).cloned()).unwrap_or_else(|| "0".into());
            let mut v = r.clone();
            v.push(closed);
            v
        })
        .collect())
}

fn notes_sheet(title: &str, lines: &[&str]) -> Sheet {
    let mut rows = vec![vec![text(title)], vec![]];
    rows.extend(lines.iter().map(|l| vec![text(l)]));
    Sheet { name: "Notes".into(), rows }
}

/// One sheet per financial year, in year order, each with two title rows and a blank row above
/// the header.
fn year_sheets(title: &str, header: &[String], rows: &[Vec<String>], numeric: &[usize], footnote_on: Option<&str>) -> Vec<Sheet> {
    let mut years: BTreeMap<String, Vec<&Vec<String>>> = BTreeMap::new();
    for r in rows {
        years.entry(r[0].clone()).or_default().push(r);
    }
    years
        .into_iter()
        .map(|(year, rows)| {
            let mut out = vec![
                vec![text(&format!("{title}, financial year {year}"))],
                vec![
                    text("Fixture built from the reference figures of reference/domain.md, not Home Office data"),
                    text("See the Notes sheet"),
                ],
                vec![],
                header.iter().map(|h| text(h)).collect(),
            ];
            for r in rows {
                out.push(r.iter().enumerate().map(|(i, c)| if numeric.contains(&i) { value(c) } else { text(c) }).collect());
            }
            if footnote_on == Some(year.as_str()) {
                out.push(vec![]);
                out.push(vec![text("'..' marks a cell the publisher suppressed.")]);
            }
            Sheet { name: year.replace('/', "-"), rows: out }
        })
        .collect()
}

/// The sheets of each workbook, by file name.
pub fn workbooks(source: &Path) -> Result<Vec<(&'static str, Vec<Sheet>)>> {
    let (rec_header, rec_rows) = read_csv(&source.join("recorded.csv"))?;
    let out_rows = outcome_rows(source)?;
    let out_header: Vec<String> = OUTCOMES_HEADER.iter().map(|h| h.to_string()).collect();
    let rec_title = "Police recorded crime: stalking and harassment offences by police force area";
    let out_title = "Crime outcomes: stalking and harassment offences by police force area";
    let notes = [
        "Counts are of offences (recorded crime) or outcomes, by financial year (April to March) and quarter.",
        "Note 1: '..' marks a cell suppressed by the publisher; it is not zero.",
        "Action Fraud is a national reporting body, not a police force.",
        "Each financial year is on its own sheet.",
    ];
    let mut rec_xlsx_header = rec_header.clone();
    if let Some(last) = rec_xlsx_header.last_mut() {
        last.push_str(" [note 1]");
    }
    let recorded = |header: &[String]| {
        let mut v = vec![notes_sheet(rec_title, &notes)];
        v.extend(year_sheets(rec_title, header, &rec_rows, &[1, 7], Some("2022/23")));
        v
    };
    let outcomes = || {
        let mut v = vec![notes_sheet(out_title, &notes)];
        v.extend(year_sheets(out_title, &out_header, &out_rows, &[1, 9, 10, 11], Some("2022/23")));
        v
    };
    Ok(vec![
        ("recorded.ods", recorded(&rec_header)),
        ("recorded.xlsx", recorded(&rec_xlsx_header)),
        ("outcomes.ods", outcomes()),
        ("outcomes.xlsx", outcomes()),
    ])
}

fn write_ods(path: &Path, sheets: &[Sheet]) -> Result<()> {
    let mut book = spreadsheet_ods::WorkBook::new_empty();
    for s in sheets {
        let mut sheet = spreadsheet_ods::Sheet::new(s.name.as_str());
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (u32::try_from(r)?, u32::try_from(c)?);
                match cell {
                    Cell::Empty => {}
                    Cell::Text(t) => sheet.set_value(r, c, t.as_str()),
                    Cell::Number(n) => sheet.set_value(r, c, *n),
                }
            }
        }
        book.push_sheet(sheet);
    }
    spreadsheet_ods::write_ods(&mut book, path)?;
    Ok(())
}

fn write_xlsx(path: &Path, sheets: &[Sheet]) -> Result<()> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(&s.name)?;
        for (r, row) in s.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (u32::try_from(r)?, u16::try_from(c)?);
                match cell {
                    Cell::Empty => {}
                    Cell::Text(t) => {
                        sheet.write_string(r, c, t)?;
                    }
                    Cell::Number(n) => {
                        sheet.write_number(r, c, *n)?;
                    }
                }
            }
        }
    }
    book.save(path)?;
    Ok(())
}

/// Writes every fixture built from `source` (the folder holding recorded.csv and outcomes.csv)
/// into `out`; returns the files written.
pub fn generate(source: &Path, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    let mut written = Vec::new();
    for (name, sheets) in workbooks(source)? {
        let path = out.join(name);
        if name.ends_with(".ods") {
            write_ods(&path, &sheets)?;
        } else {
            write_xlsx(&path, &sheets)?;
        }
        written.push(path);
    }
    let path = out.join("outcomes-both.csv");
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_path(&path)?;
    w.write_record(OUTCOMES_HEADER)?;
    for r in outcome_rows(source)? {
        w.write_record(&r)?;
    }
    w.flush()?;
    written.push(path);
    Ok(written)
}

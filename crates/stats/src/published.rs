//! Reads and writes the Home Office's published open-data tables: recorded crime (`Financial
//! Year`, `Financial Quarter`, `Force Name`, `Offence Description`, `Offence Group`, `Offence
//! Subgroup`, `Offence Code`, `Number of Offences`) and outcomes (the same keys plus `Outcome
//! Description`, `Outcome Group`, `Outcome Type` and two counts: `Force outcomes for offences
//! recorded in quarter` and `Force outcomes for offences closed in quarter`).
//!
//! A table is read from CSV, or from every sheet of an `.ods` or `.xlsx` workbook that holds it
//! (the recorded-crime tables are published as one sheet per financial year, with title and
//! note rows above the header and a notes sheet beside them): the header is the first row,
//! among the first [`HEADER_SEARCH_ROWS`], that names the financial year, quarter, force and
//! offence code; sheets without one are listed and left out, and the rows above the header are
//! skipped and counted. [`ReadSummary`] says which sheets and rows were used.
//!
//! Headers are matched case-insensitively, ignoring spacing, punctuation and bracketed notes
//! (`[note 3]`), against lists of accepted names ([`RECORDED_COUNT_NAMES`],
//! [`OUTCOME_COUNT_NAMES`]…). Of the two outcome counts, the one of the [`OutcomeBasis`] asked
//! for is used (offences recorded in the quarter by default) and the other named as not used; a
//! single count under another heading is read as the recorded basis and the column used is
//! reported. A suppressed cell (`..`) is kept as suppressed, never read as zero. Force names go
//! through [`Force::resolve`]: non-force bodies (Action Fraud, CIFAS, UK Finance) are kept out
//! of every force and national figure but counted and reported; an unknown name is a rejected
//! row naming file, sheet, line (or row) and column. For every file, rows read = used +
//! non-force + rejected.

use std::path::{Path, PathBuf};

use conduct_domain::{Force, ForceKind, OffenceCode, OutcomeType};

use crate::error::{Error, ErrorKind};
use crate::period::{FinancialQuarter, parse_financial_year, parse_quarter};
pub use crate::source::{Format, MAX_EXPANSION, MAX_SHEET_CELLS, MAX_SPREADSHEET_BYTES, MAX_UNPACKED_BYTES, MIN_EXPANSION_ALLOWANCE};
use crate::source::{Next, Row, Rows, Workbook};
use crate::tables::{Count, Source, Tables, Tally};
pub use crate::tables::{OUTCOMES_CLOSED_IN_QUARTER, OUTCOMES_RECORDED_IN_QUARTER, OutcomeBasis};

/// Header names accepted for the financial year.
pub const YEAR_NAMES: [&str; 3] = ["Financial Year", "Year", "FY"];
/// Header names accepted for the financial quarter.
pub const QUARTER_NAMES: [&str; 3] = ["Financial Quarter", "Quarter", "FQ"];
/// Header names accepted for the force.
pub const FORCE_NAMES: [&str; 5] = ["Force Name", "Force", "Police Force", "Police Force Area", "PFA"];
/// Header names accepted for the offence code.
pub const OFFENCE_CODE_NAMES: [&str; 3] = ["Offence Code", "Code", "HO Offence Code"];
/// Header names accepted for the offence description.
pub const OFFENCE_DESCRIPTION_NAMES: [&str; 3] = ["Offence Description", "Offence", "Offence Name"];
/// Header names accepted for the offence group.
pub const OFFENCE_GROUP_NAMES: [&str; 1] = ["Offence Group"];
/// Header names accepted for the offence subgroup.
pub const OFFENCE_SUBGROUP_NAMES: [&str; 2] = ["Offence Subgroup", "Offence Sub-group"];
/// Header names accepted for the recorded-crime count, in order of preference.
pub const RECORDED_COUNT_NAMES: [&str; 6] = ["Number of Offences", "Offences", "Number of Crimes", "Recorded Offences", "Count", "Number"];
/// Header names accepted for a single outcomes count under another heading than the published
/// two ([`OutcomeBasis::headers`]), in order of preference; read as outcomes of offences
/// recorded in the quarter.
pub const OUTCOME_COUNT_NAMES: [&str; 9] = [
    "Number of Outcomes",
    "Outcomes",
    "Number of Outcomes Recorded",
    "Outcome Count",
    "Count",
    "Number of Offences",
    "Offences",
    "Number",
    "Value",
];
/// Header names accepted for the outcome type.
pub const OUTCOME_TYPE_NAMES: [&str; 4] = ["Outcome Type", "Outcome Type Number", "Outcome Number", "Outcome Code"];
/// Header names accepted for the outcome description.
pub const OUTCOME_DESCRIPTION_NAMES: [&str; 2] = ["Outcome Description", "Outcome"];
/// Header names accepted for the outcome group.
pub const OUTCOME_GROUP_NAMES: [&str; 1] = ["Outcome Group"];

/// How many rows of a file or sheet are searched for the header: title and note rows above it
/// are skipped.
pub const HEADER_SEARCH_ROWS: usize = 50;

/// Which published table a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    /// Police recorded crime.
    Recorded,
    /// Crime outcomes.
    Outcomes,
}

/// What was read from one CSV file or one sheet of a workbook.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SheetRead {
    /// The sheet's name; `None` for a CSV file.
    pub sheet: Option<String>,
    /// The line (the spreadsheet row, in a sheet) of the header.
    pub header_line: u64,
    /// Non-blank rows above the header (titles, notes), skipped.
    pub above_header: u64,
    /// The first and last line (row) of the data read, if any.
    pub data_lines: Option<(u64, u64)>,
    /// Data rows read from it.
    pub read: u64,
    /// Rows of it counted in force (and national) figures.
    pub used: u64,
    /// Rows below the header with text in one cell only (titles, notes, footnotes), skipped:
    /// their lines (rows).
    pub note_rows: Vec<u64>,
    /// The header of the column the counts were read from, as written.
    pub count_column: String,
}

impl SheetRead {
    /// What was read, in words: `sheet "2022/23": header on row 4, 2 title rows above it
    /// skipped, data rows 5-120 (116 rows, 116 used)`.
    pub fn describe(&self) -> String {
        let (place, unit) = match &self.sheet {
            Some(s) => (format!("sheet {s:?}: "), "row"),
            None => (String::new(), "line"),
        };
        let mut t = format!("{place}header on {unit} {}", self.header_line);
        if self.above_header > 0 {
            t.push_str(&format!(", {} title or note {} above it skipped", self.above_header, plural(self.above_header, unit)));
        }
        match self.data_lines {
            Some((a, b)) => {
                t.push_str(&format!(", data {unit}s {a}-{b} ({} {} read, {} used)", self.read, plural(self.read, "row"), self.used))
            }
            None => t.push_str(", no data rows"),
        }
        if !self.note_rows.is_empty() {
            let shown: Vec<String> = self.note_rows.iter().take(5).map(u64::to_string).collect();
            let more = if self.note_rows.len() > 5 { ", …" } else { "" };
            t.push_str(&format!(
                ", {} note {} below the header skipped ({unit} {}{more})",
                self.note_rows.len(),
                plural(self.note_rows.len() as u64, unit),
                shown.join(", ")
            ));
        }
        t
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 { unit.to_string() } else { format!("{unit}s") }
}

/// What reading one file found. `read` = `used` + `non_force` + `rejected`.
#[derive(Debug)]
pub struct ReadSummary {
    /// The file.
    pub file: PathBuf,
    /// Which table.
    pub table: TableKind,
    /// The file's format.
    pub format: Format,
    /// Data rows read (not counting the header, the rows above it, blank rows or note rows).
    pub read: u64,
    /// Rows counted in force (and national) figures.
    pub used: u64,
    /// Rows of non-force bodies (Action Fraud, CIFAS, UK Finance), kept out of force figures.
    pub non_force: u64,
    /// Rows that could not be used, each in `rejects`.
    pub rejected: u64,
    /// Rows whose count was suppressed (`..`), among the used and non-force rows.
    pub suppressed: u64,
    /// The header of the column the counts were read from, as written in the file (the
    /// distinct headers, joined with "; ", when sheets differ).
    pub count_column: String,
    /// For an outcomes table: which count was used.
    pub outcome_basis: Option<OutcomeBasis>,
    /// For an outcomes table: the header of the other basis's count, present and not used.
    pub unused_count_column: Option<String>,
    /// The CSV file, or each sheet of a workbook that held the table, in order.
    pub sheets: Vec<SheetRead>,
    /// Sheets of a workbook that did not hold the table (no header in their first
    /// [`HEADER_SEARCH_ROWS`] rows), not read.
    pub skipped_sheets: Vec<String>,
    /// The rejected rows, with file, sheet, line and column and reason.
    pub rejects: Vec<Error>,
    /// Notes about the file as a whole (columns ignored, community-safety-partnership rows…).
    pub notes: Vec<String>,
}

impl ReadSummary {
    /// Whether the counts add up: read = used + non-force + rejected.
    pub fn balances(&self) -> bool {
        self.read == self.used + self.non_force + self.rejected
    }

    /// Which sheets and rows were read, one line each, then the sheets left out.
    pub fn describe(&self) -> Vec<String> {
        let mut v: Vec<String> = self.sheets.iter().map(SheetRead::describe).collect();
        if !self.skipped_sheets.is_empty() {
            let names: Vec<String> = self.skipped_sheets.iter().map(|s| format!("{s:?}")).collect();
            v.push(format!(
                "not read (no table header in the first {HEADER_SEARCH_ROWS} rows): {} {}",
                plural(names.len() as u64, "sheet"),
                names.join(", ")
            ));
        }
        v
    }
}

/// A header or name, compared: lower case, letters and digits only, bracketed notes
/// (`[note 3]`) left out.
fn normalise(h: &str) -> String {
    let mut out = String::new();
    let mut depth = 0u32;
    for c in h.trim_start_matches('\u{feff}').chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if depth == 0 && c.is_alphanumeric() => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

/// Where rows are read from: a file, and the sheet in a workbook.
#[derive(Clone, Copy)]
struct Place<'a> {
    file: &'a Path,
    sheet: Option<&'a str>,
}

impl Place<'_> {
    fn err(&self, kind: ErrorKind) -> Error {
        let e = Error::new(kind).in_file(self.file);
        match self.sheet {
            Some(s) => e.in_sheet(s),
            None => e,
        }
    }
}

struct Header {
    names: Vec<String>,
    keys: Vec<String>,
}

impl Header {
    fn of(record: &csv::StringRecord) -> Header {
        let names: Vec<String> =
            record.iter().map(|h| h.trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        Header { keys: names.iter().map(|n| normalise(n)).collect(), names }
    }

    /// The first accepted name present, in order of preference: its index.
    fn find(&self, accepted: &[&str]) -> Option<usize> {
        accepted.iter().find_map(|a| {
            let a = normalise(a);
            self.keys.iter().position(|k| *k == a)
        })
    }

    fn require(&self, what: &'static str, accepted: &[&'static str], place: Place<'_>) -> Result<usize, Error> {
        self.find(accepted).ok_or_else(|| place.err(ErrorKind::MissingColumn { what, expected: accepted.to_vec() }))
    }

    /// How many of the four key columns (year, quarter, force, offence code) it names.
    fn keys_named(&self) -> usize {
        [&YEAR_NAMES[..], &QUARTER_NAMES, &FORCE_NAMES, &OFFENCE_CODE_NAMES].iter().filter(|n| self.find(n).is_some()).count()
    }
}

/// The largest count one published cell may hold: a trillion, far above any force's
/// offences in a quarter (England and Wales records about seven million crimes a year), and
/// small enough that millions of such cells sum without overflowing a `u64`.
pub const MAX_COUNT: u64 = 1_000_000_000_000;

/// Reads a count cell: a whole number up to [`MAX_COUNT`] (thousands separators allowed) or
/// `..`.
pub fn parse_count(s: &str) -> Option<Count> {
    let t = s.trim();
    if t == ".." {
        return Some(Count::Suppressed);
    }
    let digits: String = t.chars().filter(|c| *c != ',').collect();
    let digits = digits.strip_suffix(".0").unwrap_or(&digits);
    digits.parse::<u64>().ok().filter(|n| *n <= MAX_COUNT).map(Count::Value)
}

fn parse_outcome_type(s: &str) -> Option<OutcomeType> {
    if let Some(o) = OutcomeType::parse(s) {
        return Some(o);
    }
    let t = s.trim();
    let tail = t.trim_start_matches(|c: char| !c.is_ascii_digit());
    if !tail.is_empty() && t.len() != tail.len() && t.to_ascii_lowercase().starts_with(['o', 't']) {
        return OutcomeType::parse(tail);
    }
    by_description(t)
}

fn by_description(t: &str) -> Option<OutcomeType> {
    let n = normalise(t);
    if n.is_empty() {
        return None;
    }
    OutcomeType::all().find(|o| normalise(o.description()) == n)
}

/// Names that mean a total of all forces rather than a force.
fn is_total(name: &str) -> bool {
    matches!(normalise(name).as_str(), "englandandwales" | "england" | "wales" | "total" | "englandandwalestotal" | "national")
}

/// Reads a published recorded-crime table (CSV, or every sheet of an `.ods` or `.xlsx`
/// workbook that holds it) into `tables`.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be opened, [`ErrorKind::Csv`] when it is not CSV,
/// [`ErrorKind::Spreadsheet`] when a workbook cannot be read, [`ErrorKind::TooLarge`] when it
/// is refused unread, [`ErrorKind::MissingColumn`] when a column the table needs is absent
/// ([`ErrorKind::NoTable`] when no sheet of a workbook has a header). A bad row is kept in the
/// summary, not returned.
pub fn read_recorded(path: &Path, tables: &mut Tables) -> Result<ReadSummary, Error> {
    read(path, TableKind::Recorded, OutcomeBasis::Recorded, tables)
}

/// Reads a published outcomes table into `tables`, counting outcomes of offences recorded in
/// each quarter (as [`read_outcomes_by`] with [`OutcomeBasis::Recorded`]).
///
/// # Errors
///
/// As [`read_outcomes_by`].
pub fn read_outcomes(path: &Path, tables: &mut Tables) -> Result<ReadSummary, Error> {
    read_outcomes_by(path, tables, OutcomeBasis::Recorded)
}

/// Reads a published outcomes table into `tables`, taking the count of `basis` and setting
/// [`Tables::outcome_basis`].
///
/// # Errors
///
/// As [`read_recorded`], and [`ErrorKind::OtherOutcomeBasis`] when the file counts outcomes
/// only on the other basis.
pub fn read_outcomes_by(path: &Path, tables: &mut Tables, basis: OutcomeBasis) -> Result<ReadSummary, Error> {
    read(path, TableKind::Outcomes, basis, tables)
}

/// The columns of a table, by index.
struct Columns {
    year: usize,
    quarter: usize,
    force: usize,
    code: usize,
    description: Option<usize>,
    group: Option<usize>,
    subgroup: Option<usize>,
    count: usize,
    /// Outcome type and description (one or both), for an outcomes table.
    outcome: Option<(Option<usize>, Option<usize>)>,
    /// The other basis's count, for an outcomes table.
    other_count: Option<usize>,
}

impl Columns {
    fn of(header: &Header, table: TableKind, basis: OutcomeBasis, place: Place<'_>) -> Result<Columns, Error> {
        let year = header.require("financial year", &YEAR_NAMES, place)?;
        let quarter = header.require("financial quarter", &QUARTER_NAMES, place)?;
        let force = header.require("force name", &FORCE_NAMES, place)?;
        let code = header.require("offence code", &OFFENCE_CODE_NAMES, place)?;
        let description = header.find(&OFFENCE_DESCRIPTION_NAMES);
        let group = header.find(&OFFENCE_GROUP_NAMES);
        let subgroup = header.find(&OFFENCE_SUBGROUP_NAMES);
        let (count, outcome, other_count) = match table {
            TableKind::Recorded => (header.require("count", &RECORDED_COUNT_NAMES, place)?, None, None),
            TableKind::Outcomes => {
                let (count, other) = outcome_count(header, basis, place)?;
                let ty = header.find(&OUTCOME_TYPE_NAMES);
                let desc = header.find(&OUTCOME_DESCRIPTION_NAMES);
                if ty.is_none() && desc.is_none() {
                    header.require("outcome type", &OUTCOME_TYPE_NAMES, place)?;
                }
                (count, Some((ty, desc)), other)
            }
        };
        Ok(Columns { year, quarter, force, code, description, group, subgroup, count, outcome, other_count })
    }
}

/// The outcomes count column of `basis`, and the other basis's when present. A single count
/// under a generic name ([`OUTCOME_COUNT_NAMES`]) counts outcomes of offences recorded in the
/// quarter.
fn outcome_count(header: &Header, basis: OutcomeBasis, place: Place<'_>) -> Result<(usize, Option<usize>), Error> {
    let recorded = header.find(OutcomeBasis::Recorded.headers());
    let closed = header.find(OutcomeBasis::Closed.headers());
    let generic = header.find(&OUTCOME_COUNT_NAMES).filter(|i| Some(*i) != closed);
    let recorded_or_generic = recorded.or(generic);
    let (own, other) = match basis {
        OutcomeBasis::Recorded => (recorded_or_generic, closed),
        OutcomeBasis::Closed => (closed, recorded_or_generic),
    };
    match (own, other) {
        (Some(i), o) => Ok((i, o.filter(|o| *o != i))),
        (None, Some(o)) => Err(place.err(ErrorKind::OtherOutcomeBasis { wanted: basis, found: header.names[o].clone() })),
        (None, None) => {
            let mut expected = basis.headers().to_vec();
            if basis == OutcomeBasis::Recorded {
                expected.extend(OUTCOME_COUNT_NAMES);
            }
            Err(place.err(ErrorKind::MissingColumn { what: "outcomes count", expected }))
        }
    }
}

/// A header row found, or the best near-miss when none was.
enum Found {
    Header { header: Header, line: u64, above: u64 },
    NotFound(Option<(usize, Header)>),
}

/// Reads rows until one names all four key columns (among the first [`HEADER_SEARCH_ROWS`]
/// non-blank rows); the rows before it are titles or notes.
fn find_header(rows: &mut Rows, row: &mut Row) -> Result<Found, Error> {
    let mut best: Option<(usize, Header)> = None;
    let mut above = 0u64;
    let mut searched = 0;
    while searched < HEADER_SEARCH_ROWS {
        match rows.next(row)? {
            Next::End => break,
            Next::Bad(_) => {
                above += 1;
                searched += 1;
                continue;
            }
            Next::Row => {}
        }
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        searched += 1;
        let header = Header::of(&row.cells);
        let named = header.keys_named();
        if named == 4 {
            return Ok(Found::Header { header, line: row.line, above });
        }
        if best.as_ref().is_none_or(|(n, _)| named > *n) {
            best = Some((named, header));
        }
        above += 1;
    }
    Ok(Found::NotFound(best))
}

fn read(path: &Path, table: TableKind, basis: OutcomeBasis, tables: &mut Tables) -> Result<ReadSummary, Error> {
    let format = Format::of(path)?;
    let mut s = ReadSummary {
        file: path.to_path_buf(),
        table,
        format,
        read: 0,
        used: 0,
        non_force: 0,
        rejected: 0,
        suppressed: 0,
        count_column: String::new(),
        outcome_basis: (table == TableKind::Outcomes).then_some(basis),
        unused_count_column: None,
        sheets: Vec::new(),
        skipped_sheets: Vec::new(),
        rejects: Vec::new(),
        notes: Vec::new(),
    };
    let mut row = Row { line: 0, cells: csv::StringRecord::new() };
    let mut notes = Notes::default();
    if format == Format::Csv {
        let place = Place { file: path, sheet: None };
        let mut rows = Rows::csv(path)?;
        match find_header(&mut rows, &mut row)? {
            Found::Header { header, line, above } => {
                let columns = Columns::of(&header, table, basis, place)?;
                let sheet = read_rows(&mut rows, &mut row, &header, &columns, place, (line, above), &mut s, &mut notes, tables)?;
                s.sheets.push(sheet);
            }
            Found::NotFound(best) => {
                let header = best.map_or_else(|| Header { names: Vec::new(), keys: Vec::new() }, |b| b.1);
                return Err(Columns::of(&header, table, basis, place).err().unwrap_or_else(|| missing_year(place)));
            }
        }
    } else {
        let mut book = Workbook::open(path, format)?;
        let sheets = book.sheet_names();
        let mut best: Option<(usize, Header, String)> = None;
        for (name, is_worksheet) in &sheets {
            let place = Place { file: path, sheet: Some(name) };
            if !is_worksheet {
                // A chart, dialog or macro sheet holds no table.
                s.skipped_sheets.push(name.clone());
                continue;
            }
            // A worksheet that cannot be read stops the file: it may hold a year of the table.
            let mut rows = book.rows(name)?;
            match find_header(&mut rows, &mut row)? {
                Found::Header { header, line, above } => {
                    let columns = Columns::of(&header, table, basis, place)?;
                    let sheet = read_rows(&mut rows, &mut row, &header, &columns, place, (line, above), &mut s, &mut notes, tables)?;
                    s.sheets.push(sheet);
                }
                Found::NotFound(b) => {
                    s.skipped_sheets.push(name.clone());
                    if let Some((n, h)) = b.filter(|(n, _)| *n > 0 && best.as_ref().is_none_or(|x| *n > x.0)) {
                        best = Some((n, h, name.clone()));
                    }
                }
            }
        }
        if s.sheets.is_empty() {
            if let Some((_, header, name)) = best {
                let place = Place { file: path, sheet: Some(&name) };
                return Err(Columns::of(&header, table, basis, place).err().unwrap_or_else(|| missing_year(place)));
            }
            let names = sheets.into_iter().map(|s| s.0).collect();
            return Err(Error::new(ErrorKind::NoTable { sheets: names, searched: HEADER_SEARCH_ROWS }).in_file(path));
        }
    }
    tables.source = Source::Published;
    if table == TableKind::Outcomes {
        tables.outcome_basis = basis;
    }
    let mut counts: Vec<&str> = Vec::new();
    for sh in &s.sheets {
        if !counts.contains(&sh.count_column.as_str()) {
            counts.push(&sh.count_column);
        }
    }
    s.count_column = counts.join("; ");
    notes.finish(&mut s, basis);
    Ok(s)
}

/// The error of a header naming no financial year. (A near miss of a header always fails in
/// [`Columns::of`], which names the column missing; this is its fallback.)
fn missing_year(place: Place<'_>) -> Error {
    place.err(ErrorKind::MissingColumn { what: "financial year", expected: YEAR_NAMES.to_vec() })
}

/// Notes gathered over the sheets of a file, said once.
#[derive(Default)]
struct Notes {
    /// The sheet each financial year was first read from, and years read from two sheets.
    years: std::collections::BTreeMap<i32, String>,
    overlaps: Vec<String>,
    csp: bool,
    ignored: Vec<String>,
    generic_count: Option<String>,
    unused_count: Option<String>,
}

impl Notes {
    /// Notes the financial years a sheet held; a year another sheet held too is said, as the
    /// two sheets' counts are added together (a totals or duplicate sheet would count twice).
    fn years_of(&mut self, sheet: Option<&str>, years: std::collections::BTreeSet<i32>) {
        let Some(sheet) = sheet else { return };
        for y in years {
            match self.years.get(&y) {
                Some(first) => self.overlaps.push(format!(
                    "sheets {first:?} and {sheet:?} both hold rows for financial year {}: their counts are added together \
                     (check that neither is a total or a copy of the other)",
                    crate::period::financial_year_label(y)
                )),
                None => {
                    self.years.insert(y, sheet.to_string());
                }
            }
        }
    }

    fn finish(self, s: &mut ReadSummary, basis: OutcomeBasis) {
        s.notes.extend(self.overlaps);
        if self.csp {
            s.notes.push("rows are by community safety partnership (CSP Name); they are summed to forces".into());
        }
        if !self.ignored.is_empty() {
            s.notes.push(format!("columns not used: {}", self.ignored.join(", ")));
        }
        if let Some(g) = self.generic_count {
            s.notes.push(format!("the single outcomes count {g:?} is read as {}", OutcomeBasis::Recorded.counts()));
        }
        if let Some(u) = &self.unused_count {
            s.notes.push(format!(
                "outcomes counted as {} (column {:?}); column {u:?} ({}) not used: --outcomes-by {} uses it",
                basis.counts(),
                s.count_column,
                basis.other().counts(),
                basis.other().flag()
            ));
        } else if s.table == TableKind::Outcomes {
            s.notes.push(format!("outcomes counted as {} (column {:?})", basis.counts(), s.count_column));
        }
        s.unused_count_column = self.unused_count;
    }
}

/// Reads the data rows of one CSV file or sheet after its header.
#[allow(clippy::too_many_arguments)]
fn read_rows(
    rows: &mut Rows,
    record: &mut Row,
    header: &Header,
    columns: &Columns,
    place: Place<'_>,
    (header_line, above_header): (u64, u64),
    s: &mut ReadSummary,
    notes: &mut Notes,
    tables: &mut Tables,
) -> Result<SheetRead, Error> {
    let Columns { year, quarter, force, code, description, group, subgroup, count, outcome, other_count } = *columns;
    let in_sheet = place.sheet.is_some();
    notes.csp |= header.keys.iter().any(|k| k == "cspname");
    let mut used_cols = vec![year, quarter, force, code, count];
    used_cols.extend([description, group, subgroup, other_count].into_iter().flatten());
    if let Some((t, d)) = outcome {
        used_cols.extend([t, d, header.find(&OUTCOME_GROUP_NAMES)].into_iter().flatten());
        if header.find(OutcomeBasis::Recorded.headers()) != Some(count) && header.find(OutcomeBasis::Closed.headers()) != Some(count) {
            notes.generic_count.get_or_insert_with(|| header.names[count].clone());
        }
        if let Some(o) = other_count {
            notes.unused_count.get_or_insert_with(|| header.names[o].clone());
        }
    }
    for i in 0..header.names.len() {
        if !used_cols.contains(&i) && header.keys[i] != "cspname" && !header.keys[i].is_empty() && !notes.ignored.contains(&header.names[i])
        {
            notes.ignored.push(header.names[i].clone());
        }
    }
    let mut sheet = SheetRead {
        sheet: place.sheet.map(str::to_string),
        header_line,
        above_header,
        data_lines: None,
        read: 0,
        used: 0,
        note_rows: Vec::new(),
        count_column: header.names[count].clone(),
    };
    let mut years = std::collections::BTreeSet::new();
    loop {
        match rows.next(record)? {
            Next::End => break,
            Next::Bad(e) => {
                s.read += 1;
                s.rejected += 1;
                sheet.read += 1;
                sheet.data_lines = Some((sheet.data_lines.map_or(record.line, |d| d.0), record.line));
                s.rejects.push(e);
                continue;
            }
            Next::Row => {}
        }
        let line = record.line;
        let record = &record.cells;
        if in_sheet {
            // A blank row, or a title, note or footnote in one cell: not a table row.
            match record.iter().filter(|c| !c.trim().is_empty()).count() {
                0 => continue,
                1 => {
                    sheet.note_rows.push(line);
                    continue;
                }
                _ => {}
            }
        }
        s.read += 1;
        sheet.read += 1;
        sheet.data_lines = Some((sheet.data_lines.map_or(line, |d| d.0), line));
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let reject = |kind: ErrorKind, col: usize| place.err(kind).at(line, &header.names[col]);
        let row = (|| -> Result<Option<(Count, i32)>, Error> {
            let f = match Force::resolve(cell(force)) {
                Ok(f) => f,
                Err(_) if is_total(cell(force)) => {
                    return Err(reject(ErrorKind::TotalRow(cell(force).to_string()), force));
                }
                Err(u) => return Err(reject(ErrorKind::UnknownForce(u), force)),
            };
            let c = parse_count(cell(count)).ok_or_else(|| reject(ErrorKind::BadCount(cell(count).into()), count))?;
            if f.kind() == ForceKind::NonForce {
                tables.add_non_force(f, c);
                return Ok(None);
            }
            let y = parse_financial_year(cell(year)).ok_or_else(|| reject(ErrorKind::BadFinancialYear(cell(year).into()), year))?;
            let q = parse_quarter(cell(quarter)).ok_or_else(|| reject(ErrorKind::BadQuarter(cell(quarter).into()), quarter))?;
            // A year that reads but is outside the dates Conduct can hold (0000/01, 9999/00).
            let q = FinancialQuarter::new(y, q).ok_or_else(|| reject(ErrorKind::PeriodOutOfRange(cell(year).into()), year))?;
            let oc = OffenceCode::parse(cell(code)).map_err(|_| reject(ErrorKind::BadOffenceCode(cell(code).into()), code))?;
            // Text Conduct wrote carries the spreadsheet guard (domain::cell); read it back bare.
            let text = |i: Option<usize>| conduct_domain::cell::restore(i.map_or("", cell));
            let o = tables.offence(&oc, &text(description), &text(group), &text(subgroup));
            match outcome {
                None => tables.recorded_cell(f, q, o, c),
                Some((ty, desc)) => {
                    let by_type =
                        |i: usize| parse_outcome_type(cell(i)).ok_or_else(|| reject(ErrorKind::BadOutcomeType(cell(i).into()), i));
                    let ot = match (ty, desc) {
                        (Some(i), None) => by_type(i)?,
                        (Some(i), Some(_)) if !cell(i).is_empty() => by_type(i)?,
                        (_, Some(i)) => by_description(cell(i)).ok_or_else(|| reject(ErrorKind::BadOutcomeType(cell(i).into()), i))?,
                        // Columns::of requires an outcome type or description column.
                        (None, None) => return Err(reject(ErrorKind::BadOutcomeType(String::new()), count)),
                    };
                    tables.outcome_cell(f, q, o, ot, c);
                }
            }
            Ok(Some((c, y)))
        })();
        let is_suppressed = |c: Count| c == Count::Suppressed;
        match row {
            Ok(Some((c, y))) => {
                years.insert(y);
                s.used += 1;
                sheet.used += 1;
                s.suppressed += u64::from(is_suppressed(c));
            }
            Ok(None) => {
                s.non_force += 1;
                s.suppressed += u64::from(parse_count(cell(count)).is_some_and(is_suppressed));
            }
            Err(e) => {
                s.rejected += 1;
                s.rejects.push(e);
            }
        }
    }
    notes.years_of(place.sheet, years);
    Ok(sheet)
}

/// The header of a recorded-crime table as Conduct writes it.
pub const RECORDED_HEADER: [&str; 8] = [
    "Financial Year",
    "Financial Quarter",
    "Force Name",
    "Offence Description",
    "Offence Group",
    "Offence Subgroup",
    "Offence Code",
    "Number of Offences",
];

/// The header of an outcomes table as Conduct writes it.
pub const OUTCOMES_HEADER: [&str; 11] = [
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
    "Number of Outcomes",
];

/// The published cells of a tally: the number (unless the tally is only suppressed cells),
/// then one `..` per suppressed cell, so that reading the rows back gives the same tally.
fn cells(t: Tally) -> Vec<String> {
    let mut v = Vec::new();
    if t.count > 0 || t.suppressed == 0 {
        v.push(t.count.to_string());
    }
    v.extend((0..t.suppressed).map(|_| "..".to_string()));
    v
}

fn writer(path: &Path, header: &[&str]) -> Result<csv::Writer<std::io::BufWriter<std::fs::File>>, Error> {
    let f = std::fs::File::create(path).map_err(|e| Error::new(ErrorKind::Io(e)).in_file(path))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
    w.write_record(header).map_err(|e| Error::new(ErrorKind::Csv(e)).in_file(path))?;
    Ok(w)
}

use conduct_domain::cell::inert;

/// Writes the recorded-crime table in the published layout. Text cells taken from an export
/// (offence description, group, subgroup) are made inert for spreadsheets.
///
/// # Errors
///
/// [`ErrorKind::Csv`], naming the file, when it cannot be created or written.
pub fn write_recorded(path: &Path, tables: &Tables) -> Result<u64, Error> {
    let mut w = writer(path, &RECORDED_HEADER)?;
    let err = |e: csv::Error| Error::new(ErrorKind::Csv(e)).in_file(path);
    let mut n = 0;
    for (f, q, o, t) in tables.recorded_rows() {
        for c in cells(t) {
            let fy = q.financial_year_label();
            let qn = q.quarter().to_string();
            w.write_record([&fy, &qn, f.name(), &inert(&o.description), &inert(&o.group), &inert(&o.subgroup), &o.code, &c])
                .map_err(err)?;
            n += 1;
        }
    }
    w.flush().map_err(|e| Error::new(ErrorKind::Io(e)).in_file(path))?;
    Ok(n)
}

/// Writes the outcomes table in the published layout: outcomes of offences recorded in each
/// quarter under [`OUTCOMES_HEADER`]'s "Number of Outcomes", or, when the tables hold outcomes
/// of investigations closed in each quarter, under the published heading of that count
/// ([`OUTCOMES_CLOSED_IN_QUARTER`]), so that reading the file back takes the same count.
///
/// # Errors
///
/// [`ErrorKind::Csv`], naming the file, when it cannot be created or written.
pub fn write_outcomes(path: &Path, tables: &Tables) -> Result<u64, Error> {
    let mut header = OUTCOMES_HEADER;
    if tables.outcome_basis == OutcomeBasis::Closed {
        header[OUTCOMES_HEADER.len() - 1] = OUTCOMES_CLOSED_IN_QUARTER;
    }
    let mut w = writer(path, &header)?;
    let err = |e: csv::Error| Error::new(ErrorKind::Csv(e)).in_file(path);
    let mut n = 0;
    for (f, q, o, ot, t) in tables.outcome_rows() {
        for c in cells(t) {
            let fy = q.financial_year_label();
            let qn = q.quarter().to_string();
            let ty = ot.number().to_string();
            w.write_record([
                &fy,
                &qn,
                f.name(),
                &inert(&o.description),
                &inert(&o.group),
                &inert(&o.subgroup),
                &o.code,
                ot.description(),
                ot.group(),
                &ty,
                &c,
            ])
            .map_err(err)?;
            n += 1;
        }
    }
    w.flush().map_err(|e| Error::new(ErrorKind::Io(e)).in_file(path))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Area, Figures};
    use crate::period::Period;
    use conduct_domain::OffenceClass;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_aliases_suppression_non_force_and_unknown_forces() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "prc.csv",
            "\u{feff}financial year,FINANCIAL QUARTER,Force Name,Offence Description,Offence Code,Number of offences\n\
             2022/23,3,Metropolitan Police Service,Harassment,8L,\"1,200\"\n\
             2022/23,4,\"London, City of\",Harassment,8L,..\n\
             2022/23,4,Action Fraud,Harassment,8L,7\n\
             2022/23,4,Nowhere Constabulary,Harassment,8L,3\n\
             2022/23,4,England and Wales,Harassment,8L,3\n\
             2022/23,5,Merseyside,Harassment,8L,3\n\
             2022/23,1,Merseyside,Harassment,8L,-3\n",
        );
        let mut t = Tables::new();
        let s = read_recorded(&p, &mut t).unwrap();
        assert_eq!((s.read, s.used, s.non_force, s.rejected, s.suppressed), (7, 2, 1, 4, 1));
        assert!(s.balances());
        assert_eq!(s.count_column, "Number of offences");
        let unknown = &s.rejects[0];
        assert_eq!((unknown.line(), unknown.column()), (Some(5), Some("Force Name")));
        assert!(unknown.to_string().contains("prc.csv, line 5, column \"Force Name\": unknown force"));
        assert!(matches!(s.rejects[1].kind(), ErrorKind::TotalRow(_)));
        assert!(matches!(s.rejects[2].kind(), ErrorKind::BadQuarter(_)));
        assert!(matches!(s.rejects[3].kind(), ErrorKind::BadCount(_)));
        assert_eq!(t.non_force()["Action Fraud"].count, 7);
        let city = Force::resolve("City of London").unwrap();
        let p23 = Period::financial_year(2022);
        let f = Figures::compute(&t, Area::Force(city), p23);
        assert_eq!(f.count(&[OffenceClass::Harassment]), Tally { count: 0, suppressed: 1 });
        let n = Figures::compute(&t, Area::National, p23);
        assert_eq!(n.count(&[OffenceClass::Harassment]).count, 1200, "Action Fraud is not a force");
    }

    #[test]
    fn outcomes_count_column_variants_are_accepted_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        for (header, expect) in [("Number of Outcomes", "Number of Outcomes"), ("count", "count"), ("Outcomes", "Outcomes")] {
            let p = write(
                dir.path(),
                "out.csv",
                &format!(
                    "Financial Year,Financial Quarter,Force Name,Offence Code,Outcome Description,Outcome Type,{header}\n\
                     2022/23,3,Merseyside,8L,Charged or summonsed,1,5\n\
                     2022/23,3,Merseyside,8L,Charged or summonsed,Outcome 1,2\n"
                ),
            );
            let mut t = Tables::new();
            let s = read_outcomes(&p, &mut t).unwrap();
            assert_eq!(s.count_column, expect);
            assert_eq!(s.used, 2, "{:?}", s.rejects);
        }
        let p = write(dir.path(), "bad.csv", "Financial Year,Financial Quarter,Force Name,Offence Code,Outcome Type\n");
        let e = read_outcomes(&p, &mut Tables::new()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::MissingColumn { what: "outcomes count", .. }), "{e}");
    }

    #[test]
    fn written_tables_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tables::new();
        let m = Force::resolve("Merseyside").unwrap();
        let q = FinancialQuarter::new(2023, 1).unwrap();
        let h = OffenceCode::parse("8L").unwrap();
        t.add_recorded(m, q, &h, Count::Value(12));
        t.add_recorded(m, q, &h, Count::Suppressed);
        t.add_recorded(m, q, &OffenceCode::parse("8/65").unwrap(), Count::Value(3));
        t.add_outcome(m, q, &h, OutcomeType::new(14).unwrap(), Count::Value(4));
        t.add_outcome(m, q, &h, OutcomeType::new(1).unwrap(), Count::Suppressed);
        write_recorded(&dir.path().join("r.csv"), &t).unwrap();
        write_outcomes(&dir.path().join("o.csv"), &t).unwrap();
        let mut back = Tables::new();
        read_recorded(&dir.path().join("r.csv"), &mut back).unwrap();
        let s = read_outcomes(&dir.path().join("o.csv"), &mut back).unwrap();
        assert_eq!(s.count_column, "Number of Outcomes");
        let key = |t: &Tables| {
            (
                t.recorded_rows().iter().map(|r| (r.0, r.1, r.2.code.clone(), r.3)).collect::<Vec<_>>(),
                t.outcome_rows().iter().map(|r| (r.0, r.1, r.2.code.clone(), r.3, r.4)).collect::<Vec<_>>(),
            )
        };
        assert_eq!(key(&t), key(&back));
    }

    /// Regression (issue 11): an export's offence description `=1+1` went raw into
    /// recorded.csv and outcomes.csv, where a spreadsheet runs it. It is written inert and
    /// read back as it was.
    #[test]
    fn regression_formula_descriptions_are_written_inert_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = Tables::new();
        let m = Force::resolve("Merseyside").unwrap();
        let q = FinancialQuarter::new(2023, 1).unwrap();
        let o = t.offence(&OffenceCode::parse("8L").unwrap(), "=1+1", "@grp", "-sub");
        t.recorded_cell(m, q, o, Count::Value(2));
        write_recorded(&dir.path().join("r.csv"), &t).unwrap();
        let text = std::fs::read_to_string(dir.path().join("r.csv")).unwrap();
        assert!(text.contains("'=1+1") && text.contains("'@grp") && text.contains("'-sub"), "{text}");
        let mut back = Tables::new();
        read_recorded(&dir.path().join("r.csv"), &mut back).unwrap();
        let d = &back.recorded_rows()[0].2;
        assert_eq!((d.description.as_str(), d.group.as_str(), d.subgroup.as_str()), ("=1+1", "@grp", "-sub"));
    }

    #[test]
    fn the_header_is_found_below_title_rows_and_bracketed_notes() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "titled.csv",
            "Police recorded crime by police force area\n\
             Source: Home Office,,\n\
             ,,,,,\n\
             Financial Year,Financial Quarter,Force Name,Offence Code,Number of Offences [note 2]\n\
             2022/23,3,Kent,8L,4\n\
             2022/23,4,Kent,8L,5\n",
        );
        let mut t = Tables::new();
        let s = read_recorded(&p, &mut t).unwrap();
        assert_eq!((s.read, s.used, s.rejected), (2, 2, 0), "{:?}", s.rejects);
        assert_eq!(s.count_column, "Number of Offences [note 2]");
        assert_eq!(s.format, Format::Csv);
        let sheet = &s.sheets[0];
        assert_eq!((sheet.header_line, sheet.above_header, sheet.data_lines), (4, 2, Some((5, 6))));
        assert_eq!(s.describe(), ["header on line 4, 2 title or note lines above it skipped, data lines 5-6 (2 rows read, 2 used)"]);
        // A bad row below a found header is placed on its own line.
        let p = write(
            dir.path(),
            "bad.csv",
            "A title\nFinancial Year,Financial Quarter,Force Name,Offence Code,Number of Offences\n2022/23,9,Kent,8L,4\n",
        );
        let s = read_recorded(&p, &mut Tables::new()).unwrap();
        assert_eq!((s.rejects[0].line(), s.rejects[0].column()), (Some(3), Some("Financial Quarter")));
        // No header in the first rows: the best near miss names the column it lacks.
        let p =
            write(dir.path(), "near.csv", "A title\nFinancial Year,Financial Quarter,Offence Code,Number of Offences\n2022/23,1,8L,4\n");
        let e = read_recorded(&p, &mut Tables::new()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::MissingColumn { what: "force name", .. }), "{e}");
    }

    #[test]
    fn both_outcome_counts_are_read_and_the_basis_chooses_one() {
        let dir = tempfile::tempdir().unwrap();
        let both = write(
            dir.path(),
            "both.csv",
            &format!(
                "Financial Year,Financial Quarter,Force Name,Offence Code,Outcome Type,{OUTCOMES_RECORDED_IN_QUARTER},{OUTCOMES_CLOSED_IN_QUARTER}\n\
                 2022/23,3,Merseyside,8L,1,5,7\n\
                 2022/23,4,Merseyside,8L,1,..,2\n"
            ),
        );
        let h = [conduct_domain::OffenceClass::Harassment];
        let m = Force::resolve("Merseyside").unwrap();
        let p = crate::period::Period::financial_year(2022);
        for (basis, count, other, charges, suppressed) in [
            (OutcomeBasis::Recorded, OUTCOMES_RECORDED_IN_QUARTER, OUTCOMES_CLOSED_IN_QUARTER, 5, 1),
            (OutcomeBasis::Closed, OUTCOMES_CLOSED_IN_QUARTER, OUTCOMES_RECORDED_IN_QUARTER, 9, 0),
        ] {
            let mut t = Tables::new();
            let s = read_outcomes_by(&both, &mut t, basis).unwrap();
            assert_eq!((s.count_column.as_str(), s.unused_count_column.as_deref(), s.outcome_basis), (count, Some(other), Some(basis)));
            assert_eq!(s.suppressed, suppressed);
            assert_eq!(t.outcome_basis, basis);
            assert!(s.notes.iter().any(|n| n.contains(other) && n.contains("not used")), "{:?}", s.notes);
            let f = crate::figures::Figures::compute(&t, crate::figures::Area::Force(m), p);
            assert_eq!(f.outcome_count(&h, OutcomeType::is_charge_or_summons).count, charges);
        }
        // The closed count alone: the recorded view is refused, naming the column there is.
        let closed = write(
            dir.path(),
            "closed.csv",
            &format!(
                "Financial Year,Financial Quarter,Force Name,Offence Code,Outcome Type,{OUTCOMES_CLOSED_IN_QUARTER}\n2022/23,3,Kent,8L,1,5\n"
            ),
        );
        let e = read_outcomes(&closed, &mut Tables::new()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::OtherOutcomeBasis { wanted: OutcomeBasis::Recorded, .. }), "{e}");
        assert!(e.to_string().contains("--outcomes-by closed"), "{e}");
        assert_eq!(read_outcomes_by(&closed, &mut Tables::new(), OutcomeBasis::Closed).unwrap().used, 1);
        // A generic single count is the recorded view, said in a note.
        let generic = write(
            dir.path(),
            "generic.csv",
            "Financial Year,Financial Quarter,Force Name,Offence Code,Outcome Type,Count\n2022/23,3,Kent,8L,1,5\n",
        );
        let s = read_outcomes(&generic, &mut Tables::new()).unwrap();
        assert!(s.notes.iter().any(|n| n.contains("single outcomes count \"Count\"")), "{:?}", s.notes);
        let e = read_outcomes_by(&generic, &mut Tables::new(), OutcomeBasis::Closed).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::OtherOutcomeBasis { wanted: OutcomeBasis::Closed, .. }), "{e}");
    }

    /// Issue 13: the spreadsheet reader's error was kept as text only; it is now the source,
    /// and the message still names the file and what calamine said.
    #[test]
    fn a_workbook_the_reader_cannot_open_keeps_its_error_as_the_source() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.xlsx");
        // A zip archive, small and sound, holding no workbook.
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        z.start_file("readme.txt", zip::write::SimpleFileOptions::default()).unwrap();
        z.write_all(b"no workbook here").unwrap();
        z.finish().unwrap();
        let e = read_recorded(&path, &mut Tables::new()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Workbook(_)), "{e:?}");
        assert!(e.to_string().starts_with(&path.display().to_string()), "{e}");
        let source = std::error::Error::source(&e).expect("calamine's error is the source");
        assert!(source.downcast_ref::<calamine::Error>().is_some(), "{source:?}");
        assert!(e.to_string().contains(&source.to_string()), "{e}");
    }

    #[test]
    fn a_workbook_that_would_unpack_past_its_limit_is_refused_unread() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.xlsx");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        z.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        let zeros = vec![b' '; 1 << 20];
        for _ in 0..(MIN_EXPANSION_ALLOWANCE >> 20) + 1 {
            z.write_all(&zeros).unwrap();
        }
        z.finish().unwrap();
        let e = read_recorded(&path, &mut Tables::new()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::TooLarge(_)), "{e}");
        assert!(e.to_string().contains("decompression bomb"), "{e}");
        // Not a zip at all, named .xlsx: a spreadsheet error naming the file.
        let fake = write(dir.path(), "fake.xlsx", "Financial Year\n");
        let e = read_recorded(&fake, &mut Tables::new()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Spreadsheet(_)) && e.to_string().starts_with(&fake.display().to_string()), "{e}");
        // An old binary Excel workbook is named as such.
        let xls = write(dir.path(), "prc.xls", "x");
        let e = read_recorded(&xls, &mut Tables::new()).unwrap_err();
        assert!(e.to_string().contains("save it as .xlsx or .ods"), "{e}");
        // A folder is refused, whatever its name.
        let e = read_recorded(dir.path(), &mut Tables::new()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::TooLarge(_) | ErrorKind::Io(_)), "{e}");
    }

    #[test]
    fn an_error_in_a_sheet_names_file_sheet_row_and_column() {
        let e = Error::new(ErrorKind::BadQuarter("9".into())).in_file(Path::new("prc.ods")).in_sheet("2022-23").at(7, "Financial Quarter");
        assert_eq!(e.to_string(), "prc.ods, sheet \"2022-23\", row 7, column \"Financial Quarter\": financial quarter \"9\" is not 1-4");
        assert_eq!(e.sheet(), Some("2022-23"));
    }
}

//! Reads and writes the Home Office's published open-data tables: recorded crime (`Financial
//! Year`, `Financial Quarter`, `Force Name`, `Offence Description`, `Offence Group`, `Offence
//! Subgroup`, `Offence Code`, `Number of Offences`) and outcomes (the same keys plus `Outcome
//! Description`, `Outcome Group`, `Outcome Type` and a count).
//!
//! Headers are matched case-insensitively, ignoring spacing and punctuation, against lists of
//! accepted names ([`RECORDED_COUNT_NAMES`], [`OUTCOME_COUNT_NAMES`]…); the wording of the
//! outcomes count is not confirmed, so the column actually used is reported. A suppressed cell
//! (`..`) is kept as suppressed, never read as zero. Force names go through
//! [`Force::resolve`]: non-force bodies (Action Fraud, CIFAS, UK Finance) are kept out of every
//! force and national figure but counted and reported; an unknown name is a rejected row naming
//! file, line and column. For every file, rows read = used + non-force + rejected.

use std::path::{Path, PathBuf};

use conduct_domain::{Force, ForceKind, OffenceCode, OutcomeType};

use crate::error::{Error, ErrorKind};
use crate::period::{FinancialQuarter, parse_financial_year, parse_quarter};
use crate::tables::{Count, Source, Tables, Tally};

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
/// Header names accepted for the outcomes count, in order of preference (wording unconfirmed).
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

/// Which published table a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    /// Police recorded crime.
    Recorded,
    /// Crime outcomes.
    Outcomes,
}

/// What reading one file found. `read` = `used` + `non_force` + `rejected`.
#[derive(Debug)]
pub struct ReadSummary {
    /// The file.
    pub file: PathBuf,
    /// Which table.
    pub table: TableKind,
    /// Data rows read (not counting the header).
    pub read: u64,
    /// Rows counted in force (and national) figures.
    pub used: u64,
    /// Rows of non-force bodies (Action Fraud, CIFAS, UK Finance), kept out of force figures.
    pub non_force: u64,
    /// Rows that could not be used, each in `rejects`.
    pub rejected: u64,
    /// Rows whose count was suppressed (`..`), among the used and non-force rows.
    pub suppressed: u64,
    /// The header of the column the counts were read from, as written in the file.
    pub count_column: String,
    /// The rejected rows, with file, line, column and reason.
    pub rejects: Vec<Error>,
    /// Notes about the file as a whole (columns ignored, community-safety-partnership rows…).
    pub notes: Vec<String>,
}

impl ReadSummary {
    /// Whether the counts add up: read = used + non-force + rejected.
    pub fn balances(&self) -> bool {
        self.read == self.used + self.non_force + self.rejected
    }
}

fn normalise(h: &str) -> String {
    h.trim_start_matches('\u{feff}').chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

struct Header {
    names: Vec<String>,
    keys: Vec<String>,
}

impl Header {
    /// The first accepted name present, in order of preference: its index.
    fn find(&self, accepted: &[&str]) -> Option<usize> {
        accepted.iter().find_map(|a| {
            let a = normalise(a);
            self.keys.iter().position(|k| *k == a)
        })
    }

    fn require(&self, what: &'static str, accepted: &[&'static str], file: &Path) -> Result<usize, Error> {
        self.find(accepted).ok_or_else(|| Error::new(ErrorKind::MissingColumn { what, expected: accepted.to_vec() }).in_file(file))
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

/// Reads a published recorded-crime table into `tables`.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be opened, [`ErrorKind::Csv`] when its header is not
/// CSV, [`ErrorKind::MissingColumn`] when a column the table needs is absent. A bad row is kept
/// in the summary, not returned.
pub fn read_recorded(path: &Path, tables: &mut Tables) -> Result<ReadSummary, Error> {
    read(path, TableKind::Recorded, tables)
}

/// Reads a published outcomes table into `tables`.
///
/// # Errors
///
/// As [`read_recorded`].
pub fn read_outcomes(path: &Path, tables: &mut Tables) -> Result<ReadSummary, Error> {
    read(path, TableKind::Outcomes, tables)
}

fn read(path: &Path, table: TableKind, tables: &mut Tables) -> Result<ReadSummary, Error> {
    let file = std::fs::File::open(path).map_err(|e| Error::new(ErrorKind::Io(e)).in_file(path))?;
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(std::io::BufReader::new(file));
    let csv_err = |e: csv::Error| Error::new(ErrorKind::Csv(e)).in_file(path);
    let names: Vec<String> = rdr.headers().map_err(csv_err)?.iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_string()).collect();
    let header = Header { keys: names.iter().map(|n| normalise(n)).collect(), names };
    let year = header.require("financial year", &YEAR_NAMES, path)?;
    let quarter = header.require("financial quarter", &QUARTER_NAMES, path)?;
    let force = header.require("force name", &FORCE_NAMES, path)?;
    let code = header.require("offence code", &OFFENCE_CODE_NAMES, path)?;
    let description = header.find(&OFFENCE_DESCRIPTION_NAMES);
    let group = header.find(&OFFENCE_GROUP_NAMES);
    let subgroup = header.find(&OFFENCE_SUBGROUP_NAMES);
    let (count, outcome) = match table {
        TableKind::Recorded => (header.require("count", &RECORDED_COUNT_NAMES, path)?, None),
        TableKind::Outcomes => {
            let count = header.require("outcomes count", &OUTCOME_COUNT_NAMES, path)?;
            let ty = header.find(&OUTCOME_TYPE_NAMES);
            let desc = header.find(&OUTCOME_DESCRIPTION_NAMES);
            if ty.is_none() && desc.is_none() {
                header.require("outcome type", &OUTCOME_TYPE_NAMES, path)?;
            }
            (count, Some((ty, desc)))
        }
    };
    let mut s = ReadSummary {
        file: path.to_path_buf(),
        table,
        read: 0,
        used: 0,
        non_force: 0,
        rejected: 0,
        suppressed: 0,
        count_column: header.names[count].clone(),
        rejects: Vec::new(),
        notes: Vec::new(),
    };
    if header.keys.iter().any(|k| k == "cspname") {
        s.notes.push("rows are by community safety partnership (CSP Name); they are summed to forces".into());
    }
    let mut used_cols = vec![year, quarter, force, code, count];
    used_cols.extend([description, group, subgroup].into_iter().flatten());
    if let Some((t, d)) = outcome {
        used_cols.extend([t, d, header.find(&OUTCOME_GROUP_NAMES)].into_iter().flatten());
    }
    let ignored: Vec<&str> = (0..header.names.len())
        .filter(|i| !used_cols.contains(i) && header.keys[*i] != "cspname")
        .map(|i| header.names[i].as_str())
        .collect();
    if !ignored.is_empty() {
        s.notes.push(format!("columns not used: {}", ignored.join(", ")));
    }
    tables.source = Source::Published;
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                // A malformed row (bad UTF-8, say): reject it and read on; a broken file stops.
                let line = e.position().map_or(0, |p| p.line());
                if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    s.read += 1;
                    s.rejected += 1;
                    s.rejects.push(Error::new(ErrorKind::Csv(e)).in_file(path).at(line, ""));
                    continue;
                }
                return Err(csv_err(e));
            }
        }
        s.read += 1;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or("").trim();
        let reject = |kind: ErrorKind, col: usize| Error::new(kind).in_file(path).at(line, &header.names[col]);
        let row = (|| -> Result<Option<Count>, Error> {
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
                    let ot = match ty {
                        Some(i) if !cell(i).is_empty() || desc.is_none() => {
                            parse_outcome_type(cell(i)).ok_or_else(|| reject(ErrorKind::BadOutcomeType(cell(i).into()), i))?
                        }
                        _ => {
                            let i = desc.expect("checked above");
                            by_description(cell(i)).ok_or_else(|| reject(ErrorKind::BadOutcomeType(cell(i).into()), i))?
                        }
                    };
                    tables.outcome_cell(f, q, o, ot, c);
                }
            }
            Ok(Some(c))
        })();
        let is_suppressed = |c: Count| c == Count::Suppressed;
        match row {
            Ok(Some(c)) => {
                s.used += 1;
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
    Ok(s)
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

/// Writes the outcomes table in the published layout (outcomes of offences recorded in each
/// quarter).
///
/// # Errors
///
/// [`ErrorKind::Csv`], naming the file, when it cannot be created or written.
pub fn write_outcomes(path: &Path, tables: &Tables) -> Result<u64, Error> {
    let mut w = writer(path, &OUTCOMES_HEADER)?;
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
}

//! The one error type of the stats crate. It serves two purposes: a problem that stops a file
//! or an argument being used at all (a missing column, an unreadable file, a period we cannot
//! read), and a row of a published table that could not be used (an unknown force, a bad
//! count), which is kept in the read's summary with its file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be opened, read or written.
    Io(std::io::Error),
    /// The CSV itself is malformed (unbalanced quotes, bad UTF-8…), or could not be written:
    /// the csv crate's error.
    Csv(csv::Error),
    /// A column the table needs is not in the header; `expected` lists the names accepted.
    MissingColumn {
        /// What the column holds.
        what: &'static str,
        /// The header names accepted for it.
        expected: Vec<&'static str>,
    },
    /// A force name that is not a police force or a known non-force body: the domain's error
    /// ([`conduct_domain::ErrorKind::UnknownForce`], with the names it may have meant).
    UnknownForce(conduct_domain::Error),
    /// A row naming a total (such as "England and Wales") rather than a force.
    TotalRow(String),
    /// A financial year that is not of the form `2022/23`.
    BadFinancialYear(String),
    /// A financial quarter that is not 1–4.
    BadQuarter(String),
    /// An offence code that is not a Home Office code.
    BadOffenceCode(String),
    /// An outcome type that is not 0–22 and matches no outcome description.
    BadOutcomeType(String),
    /// A count that is neither a whole number nor `..` (suppressed).
    BadCount(String),
    /// The ingest crate could not read a force export file (its message names the file).
    Ingest(Box<conduct_ingest::Error>),
    /// A period we cannot read ("year to September 2023", "2022/23", "calendar year 2023").
    BadPeriod(String),
    /// A period that reads but lies (partly) outside the years a date can hold; the text as
    /// given.
    PeriodOutOfRange(String),
    /// A workbook (`.ods`, `.xlsx`) that is not one, or that the checks before the spreadsheet
    /// reader refused: why.
    Spreadsheet(String),
    /// A workbook the spreadsheet reader (calamine) could not open or read: its error. Boxed
    /// to keep the error small.
    Workbook(Box<calamine::Error>),
    /// No sheet of a workbook has a header naming the table's key columns in its first
    /// `searched` rows: the sheets searched.
    NoTable {
        /// The workbook's sheets.
        sheets: Vec<String>,
        /// How many rows of each were searched.
        searched: usize,
    },
    /// A file refused before it was read, as too large or not a regular file: why.
    TooLarge(String),
    /// An outcomes table whose only count is for the other basis than the one asked for: the
    /// basis asked for, and the header of the count the file has.
    OtherOutcomeBasis {
        /// The basis asked for (`--outcomes-by`).
        wanted: crate::tables::OutcomeBasis,
        /// The header of the count column the file has, as written.
        found: String,
    },
    /// A breaches file's order type that is none of the data contract's (as written).
    BadOrderType(String),
    /// A breaches file's row with no incident reference.
    BadIncidentRef(String),
}

/// An error, with the file, sheet (in a workbook), line (1-based: the CSV line, or the
/// spreadsheet row) and column where it has them.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    file: Option<PathBuf>,
    /// Boxed to keep the error small (clippy's `result_large_err`).
    sheet: Option<Box<str>>,
    line: Option<u64>,
    column: Option<String>,
}

impl Error {
    /// An error with no place attached.
    pub fn new(kind: ErrorKind) -> Error {
        Error { kind, file: None, sheet: None, line: None, column: None }
    }

    /// The same error, placed in a file.
    pub fn in_file(mut self, file: &Path) -> Error {
        self.file = Some(file.to_path_buf());
        self
    }

    /// The same error, placed in a sheet of its workbook (its line is then a row of the sheet).
    pub fn in_sheet(mut self, sheet: &str) -> Error {
        self.sheet = Some(sheet.into());
        self
    }

    /// The same error, placed at a line and column of its file.
    pub fn at(mut self, line: u64, column: &str) -> Error {
        self.line = Some(line);
        self.column = Some(column.to_string());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The file, if the error has one.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// The sheet of a workbook, if the error is in one.
    pub fn sheet(&self) -> Option<&str> {
        self.sheet.as_deref()
    }

    /// The line (the spreadsheet row, in a sheet), if the error has one.
    pub fn line(&self) -> Option<u64> {
        self.line
    }

    /// The column, as named in the file's header, if the error has one.
    pub fn column(&self) -> Option<&str> {
        self.column.as_deref()
    }

    /// The reason alone, without the place.
    pub fn reason(&self) -> String {
        match &self.kind {
            ErrorKind::Io(e) => e.to_string(),
            ErrorKind::Csv(e) => format!("malformed CSV: {e}"),
            ErrorKind::MissingColumn { what, expected } => {
                format!("no {what} column (expected one of: {})", expected.join(", "))
            }
            ErrorKind::UnknownForce(u) => u.to_string(),
            ErrorKind::TotalRow(n) => format!("{n:?} is a total, not a force: row left out"),
            ErrorKind::BadFinancialYear(s) => format!("financial year {s:?} is not of the form 2022/23"),
            ErrorKind::BadQuarter(s) => format!("financial quarter {s:?} is not 1-4"),
            ErrorKind::BadOffenceCode(s) => format!("offence code {s:?} is not a Home Office code"),
            ErrorKind::BadOutcomeType(s) => format!("outcome type {s:?} is not 0-22"),
            ErrorKind::BadOrderType(s) => format!("order type {s:?} is not an order type of the data contract"),
            ErrorKind::BadIncidentRef(_) => "no incident reference".to_string(),
            ErrorKind::BadCount(s) => format!("count {s:?} is neither a whole number up to a trillion nor '..' (suppressed)"),
            ErrorKind::Ingest(e) => e.to_string(),
            ErrorKind::BadPeriod(s) => format!(
                "cannot read the period {s:?}: write \"year to September 2023\", \"2022/23\" (financial year) \
                 or \"calendar year 2023\", with a year from 1000 to 9999"
            ),
            ErrorKind::PeriodOutOfRange(s) => {
                format!("the period {s:?} is outside the supported range: {}", crate::period::SUPPORTED_RANGE)
            }
            ErrorKind::Spreadsheet(m) => format!("cannot read the spreadsheet: {m}"),
            ErrorKind::Workbook(e) => format!("cannot read the spreadsheet: {e}"),
            ErrorKind::TooLarge(m) => format!("refused: {m}"),
            ErrorKind::NoTable { sheets, searched } => format!(
                "no sheet holds the table: none of {} has a header row naming the financial year, quarter, force \
                 and offence code in its first {searched} rows",
                if sheets.is_empty() {
                    "its sheets (it has none)".to_string()
                } else {
                    format!("its sheets ({})", sheets.iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", "))
                }
            ),
            ErrorKind::OtherOutcomeBasis { wanted, found } => format!(
                "no count of {} (expected one of: {}); the file counts {} (column {found:?}): give --outcomes-by {} to use it",
                wanted.counts(),
                wanted.headers().join(", "),
                wanted.other().counts(),
                wanted.other().flag()
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}", file.display())?;
            if let Some(sheet) = &self.sheet {
                write!(f, ", sheet {sheet:?}")?;
            }
            match (self.line, &self.sheet) {
                (Some(row), Some(_)) => write!(f, ", row {row}")?,
                (Some(line), None) => write!(f, ", line {line}")?,
                (None, _) => {}
            }
            if let Some(c) = &self.column {
                write!(f, ", column {c:?}")?;
            }
            write!(f, ": ")?;
        }
        f.write_str(&self.reason())
    }
}

/// The message names the inner error too, so that `{error}` alone says what happened;
/// `source()` returns the original for callers that inspect it.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            ErrorKind::Csv(e) => Some(e),
            ErrorKind::Ingest(e) => Some(&**e),
            ErrorKind::UnknownForce(u) => Some(u),
            ErrorKind::Workbook(e) => Some(&**e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_io_failure_keeps_the_io_error_as_its_source() {
        let missing = Path::new("/no/such/dir/published.csv");
        let e = crate::published::read_outcomes(missing, &mut crate::Tables::new()).unwrap_err();
        let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>()).expect("the source is the io::Error itself");
        assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
    }

    #[test]
    fn a_csv_failure_keeps_the_csv_error_as_its_source() {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["a", "b"]).unwrap();
        let csv_error = w.write_record(["a"]).unwrap_err();
        let message = format!("malformed CSV: {csv_error}");
        let e = Error::new(ErrorKind::Csv(csv_error));
        assert!(e.source().and_then(|s| s.downcast_ref::<csv::Error>()).is_some());
        assert_eq!(e.to_string(), message);
    }
}

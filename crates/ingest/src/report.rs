//! What a read found: rows set aside ([`Reject`]), values kept but marked invalid
//! ([`Warning`]), and per-file counts ([`FileSummary`]) in which read = accepted + rejected.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};
use crate::schema::{Format, Table};

/// A row that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The file it came from.
    pub file: PathBuf,
    /// The line the row starts on (1-based, the header is line 1 in CSV).
    pub line: u64,
    /// The column at fault, as named in the file's header; empty for whole-row problems.
    pub column: String,
    /// What is wrong, in words the analyst can act on.
    pub reason: String,
    /// The row's key (incident_ref, record_id or order_ref) when it could be read.
    pub key: String,
}

/// An optional value that was invalid: the row was kept and the value marked invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The file.
    pub file: PathBuf,
    /// The line.
    pub line: u64,
    /// The column, as named in the file's header.
    pub column: String,
    /// What is wrong with the value.
    pub reason: String,
}

/// Counts for one input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    /// The file.
    pub file: PathBuf,
    /// Which table it holds.
    pub table: Table,
    /// Its format.
    pub format: Format,
    /// Data rows read (not counting the header).
    pub read: u64,
    /// Rows accepted.
    pub accepted: u64,
    /// Rows set aside in the rejects file.
    pub rejected: u64,
    /// Invalid optional values kept as unknown.
    pub warnings: u64,
    /// Columns in the file that the contract does not define (ignored, listed here).
    pub ignored_columns: Vec<String>,
    /// Ground-truth columns present (never read).
    pub ground_truth_columns: Vec<String>,
    /// Notes about the file as a whole (empty file, header only, missing required column…).
    pub notes: Vec<String>,
    /// Every reject of the file counted by column and kind of reason, however many were kept.
    pub reject_reasons: Tally,
    /// Every warning of the file counted the same way.
    pub warning_reasons: Tally,
}

/// Counts of rejects (or warnings) by column and kind of reason: the reason with the values it
/// quotes and its numbers masked, so "duplicate incident_ref "K-1" in Kent: first seen on
/// line 2" and the same for "K-2" on line 3 are one kind. At most [`Tally::MAX_KINDS`] kinds
/// are told apart; any further kinds are counted together under "other reasons".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    counts: std::collections::BTreeMap<(String, String), u64>,
}

impl Tally {
    /// Kinds told apart per file.
    pub const MAX_KINDS: usize = 200;

    /// Counts one finding.
    pub fn add(&mut self, column: &str, reason: &str) {
        let key = (column.to_string(), reason_kind(reason));
        if let Some(n) = self.counts.get_mut(&key) {
            *n += 1;
        } else if self.counts.len() < Self::MAX_KINDS {
            self.counts.insert(key, 1);
        } else {
            *self.counts.entry((String::new(), "other reasons".into())).or_insert(0) += 1;
        }
    }

    /// `(column, kind of reason, count)`, most frequent first.
    pub fn kinds(&self) -> Vec<(&str, &str, u64)> {
        let mut v: Vec<(&str, &str, u64)> = self.counts.iter().map(|((c, r), n)| (c.as_str(), r.as_str(), *n)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)).then(a.1.cmp(b.1)));
        v
    }

    /// The findings counted.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    fn to_json(&self) -> serde_json::Value {
        self.kinds()
            .into_iter()
            .map(|(column, reason, count)| serde_json::json!({"column": column, "reason": reason, "count": count}))
            .collect()
    }
}

/// A reason with what varies between rows masked: quoted values become `"…"` and runs of
/// digits `N`.
pub fn reason_kind(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len().min(200));
    let mut chars = reason.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                // Skip to the closing quote (Rust's escaping: a backslash escapes the next).
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
                out.push_str("\"…\"");
            }
            '0'..='9' => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('N');
            }
            _ => out.push(c),
        }
        if out.len() > 300 {
            out.push('…');
            break;
        }
    }
    out
}

impl FileSummary {
    pub(crate) fn new(file: &Path, table: Table, format: Format) -> FileSummary {
        FileSummary {
            file: file.to_path_buf(),
            table,
            format,
            read: 0,
            accepted: 0,
            rejected: 0,
            warnings: 0,
            ignored_columns: Vec::new(),
            ground_truth_columns: Vec::new(),
            notes: Vec::new(),
            reject_reasons: Tally::default(),
            warning_reasons: Tally::default(),
        }
    }

    /// Whether the counts add up: read = accepted + rejected.
    pub fn balances(&self) -> bool {
        self.read == self.accepted + self.rejected
    }
}

/// Counts for a whole import.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// One entry per input file, in the order read.
    pub files: Vec<FileSummary>,
}

impl Summary {
    /// Total rows accepted across files.
    pub fn accepted(&self) -> u64 {
        self.files.iter().map(|f| f.accepted).sum()
    }

    /// Total rows rejected across files.
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }

    /// Total rows read across files.
    pub fn read(&self) -> u64 {
        self.files.iter().map(|f| f.read).sum()
    }

    /// Total warnings across files.
    pub fn warnings(&self) -> u64 {
        self.files.iter().map(|f| f.warnings).sum()
    }

    /// The summary as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "read": self.read(),
            "accepted": self.accepted(),
            "rejected": self.rejected(),
            "warnings": self.warnings(),
            "files": self.files.iter().map(|f| serde_json::json!({
                "file": f.file.display().to_string(),
                "table": f.table.name(),
                "format": f.format.name(),
                "read": f.read,
                "accepted": f.accepted,
                "rejected": f.rejected,
                "warnings": f.warnings,
                "balances": f.balances(),
                "ignored_columns": f.ignored_columns,
                "ground_truth_columns": f.ground_truth_columns,
                "notes": f.notes,
                "reject_reasons": f.reject_reasons.to_json(),
                "warning_reasons": f.warning_reasons.to_json(),
            })).collect::<Vec<_>>(),
        })
    }

    /// A plain-text table for the terminal.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "{:<9} {:<7} {:>10} {:>10} {:>9} {:>9}  file\n",
            "table", "format", "read", "accepted", "rejected", "warnings"
        ));
        for f in &self.files {
            out.push_str(&format!(
                "{:<9} {:<7} {:>10} {:>10} {:>9} {:>9}  {}\n",
                f.table.name(),
                f.format.name(),
                f.read,
                f.accepted,
                f.rejected,
                f.warnings,
                f.file.display()
            ));
            for note in &f.notes {
                out.push_str(&format!("          note: {note}\n"));
            }
            if !f.ignored_columns.is_empty() {
                out.push_str(&format!("          ignored columns: {}\n", f.ignored_columns.join(", ")));
            }
            if !f.ground_truth_columns.is_empty() {
                out.push_str(&format!("          ground-truth columns present, not read: {}\n", f.ground_truth_columns.join(", ")));
            }
            let kinds = f.reject_reasons.kinds();
            for (column, reason, count) in kinds.iter().take(5) {
                let column = if column.is_empty() { String::new() } else { format!("{column}: ") };
                out.push_str(&format!("          {count:>8} rejected  {column}{reason}\n"));
            }
            if kinds.len() > 5 {
                out.push_str(&format!("          … and {} more kinds of reject (summary.json lists them)\n", kinds.len() - 5));
            }
        }
        out.push_str(&format!(
            "{:<17} {:>10} {:>10} {:>9} {:>9}\n",
            "total",
            self.read(),
            self.accepted(),
            self.rejected(),
            self.warnings()
        ));
        out
    }
}

fn write_csv(path: &Path, header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<(), Error> {
    let werr = |e: Box<dyn std::error::Error + Send + Sync>| Error::new(ErrorKind::Write(e), path, None);
    let file = std::fs::File::create(path).map_err(|e| werr(e.into()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
    w.write_record(header).map_err(|e| werr(e.into()))?;
    for row in rows {
        w.write_record(&row).map_err(|e| werr(e.into()))?;
    }
    w.into_inner().map_err(|e| werr(e.into_error().into()))?.flush().map_err(|e| werr(e.into()))
}

/// A reject's CSV cells, each made inert for spreadsheets ([`conduct_domain::cell::inert`]):
/// the key and the column name come from the export, and may be `=HYPERLINK(…)`.
pub(crate) fn reject_cells(r: &Reject) -> Vec<String> {
    use conduct_domain::cell::inert;
    vec![
        inert(&r.file.display().to_string()).into_owned(),
        r.line.to_string(),
        inert(&r.column).into_owned(),
        inert(&r.reason).into_owned(),
        inert(&r.key).into_owned(),
    ]
}

/// A warning's CSV cells, made inert the same way.
pub(crate) fn warning_cells(w: &Warning) -> Vec<String> {
    use conduct_domain::cell::inert;
    vec![
        inert(&w.file.display().to_string()).into_owned(),
        w.line.to_string(),
        inert(&w.column).into_owned(),
        inert(&w.reason).into_owned(),
    ]
}

/// Writes rejects as CSV: `file,line,column,reason,key`.
///
/// # Errors
///
/// [`ErrorKind::Write`] (its source the I/O or CSV error) when the file cannot be written.
pub fn write_rejects(path: &Path, rejects: &[Reject]) -> Result<(), Error> {
    write_csv(path, &["file", "line", "column", "reason", "key"], rejects.iter().map(reject_cells))
}

/// Writes warnings as CSV: `file,line,column,reason`.
///
/// # Errors
///
/// [`ErrorKind::Write`] (its source the I/O or CSV error) when the file cannot be written.
pub fn write_warnings(path: &Path, warnings: &[Warning]) -> Result<(), Error> {
    write_csv(path, &["file", "line", "column", "reason"], warnings.iter().map(warning_cells))
}

//! Reads a whole export — incidents, then people, then orders, then risk assessments —
//! checking what no single row can check on its own: a duplicate `incident_ref` (or
//! `record_id`, `order_ref`, screening) within a force, and people, orders or screenings that
//! point at an incident that exists neither in this import nor in the workspace. Accepted
//! incidents, people and orders go to a sink in batches (the store writes them); accepted risk
//! assessments, a few per course at most, are kept by the [`Ingest`] for the caller
//! ([`Ingest::risk_assessments`]); rejects and warnings go to files or memory; the [`Summary`]
//! balances for every file.

use std::path::{Path, PathBuf};

use conduct_domain::{Date, Force, Incident, Involvement, Order, RiskAssessment};

use crate::error::{Error, ErrorKind};
use crate::keys::KeyIndex;
use crate::limits::{Limits, cut, shown};
use crate::report::{FileSummary, Reject, Summary, Warning};
use crate::schema::Table;
use crate::source::{Progress, RowEvent, Source};
use crate::validate;

/// The files of one import.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Incidents files.
    pub incidents: Vec<PathBuf>,
    /// People files.
    pub people: Vec<PathBuf>,
    /// Orders files.
    pub orders: Vec<PathBuf>,
    /// Risk-assessment files (optional).
    pub risk_assessments: Vec<PathBuf>,
}

impl Inputs {
    /// The export files in a folder, in name order: a file belongs to a table when its name
    /// (any case) is the table's name (`incidents`, `people`, `orders`, `risk_assessments`), or starts with it followed by `-`, `_`, `.` or a digit
    /// (`incidents.csv`, `incidents-2025.csv`, `people_000.jsonl`), and ends in an extension
    /// the reader knows (`.csv`, `.txt`, `.jsonl`, `.ndjson`, `.json`, `.parquet`, `.pq`).
    /// Anything else in the folder is left alone.
    /// The command line and the server's uploads both find files this way.
    ///
    /// # Errors
    ///
    /// The I/O error when the folder cannot be listed.
    pub fn in_folder(folder: &Path) -> std::io::Result<Inputs> {
        let mut inputs = Inputs::default();
        let mut paths: Vec<PathBuf> = std::fs::read_dir(folder)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let stem = p.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_ascii_lowercase();
            let ext = p.extension().and_then(|s| s.to_str()).unwrap_or("").to_ascii_lowercase();
            if !p.is_file() || !matches!(ext.as_str(), "csv" | "txt" | "jsonl" | "ndjson" | "json" | "parquet" | "pq") {
                continue;
            }
            let of = |table: &str| {
                stem.strip_prefix(table).is_some_and(|rest| {
                    rest.is_empty() || rest.starts_with(['-', '_', '.']) || rest.starts_with(|c: char| c.is_ascii_digit())
                })
            };
            if of("incidents") {
                inputs.incidents.push(p);
            } else if of("people") {
                inputs.people.push(p);
            } else if of("orders") {
                inputs.orders.push(p);
            } else if of("risk_assessments") {
                inputs.risk_assessments.push(p);
            }
        }
        Ok(inputs)
    }
}

/// A batch of accepted records, in file order.
#[derive(Debug)]
pub enum Batch {
    /// Accepted incidents.
    Incidents(Vec<Incident>),
    /// Accepted people rows.
    People(Vec<Involvement>),
    /// Accepted orders.
    Orders(Vec<Order>),
}

/// Keys of incidents that exist already (in the workspace), so that people and orders may refer
/// to them from a later import. Held exactly (a private `KeyIndex`): a hash picks the bucket, the force
/// and the reference themselves decide.
#[derive(Clone, Debug, Default)]
pub struct KnownIncidents(KeyIndex);

impl KnownIncidents {
    /// Records that an incident exists.
    pub fn insert(&mut self, force: Force, incident_ref: &str) {
        self.0.first_or_insert(force.id(), incident_ref, 0, 0);
    }

    /// Whether it does.
    pub fn contains(&self, force: Force, incident_ref: &str) -> bool {
        self.0.contains(force.id(), incident_ref)
    }
}

enum Findings<T> {
    /// Kept in memory, up to a limit (the rest are counted by the caller).
    Memory(Vec<T>, usize),
    File(Box<csv::Writer<std::io::BufWriter<std::fs::File>>>, PathBuf),
}

impl<T> Findings<T> {
    fn file(path: PathBuf, header: &[&str]) -> Result<Findings<T>, Error> {
        let f = std::fs::File::create(&path).map_err(|e| Error::new(ErrorKind::Io(e), &path, None))?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(f));
        w.write_record(header).map_err(|e| Error::new(ErrorKind::Write(Box::new(e)), &path, None))?;
        Ok(Findings::File(Box::new(w), path))
    }

    fn push(&mut self, item: T, row: impl FnOnce(&T) -> Vec<String>) -> Result<(), Error> {
        match self {
            Findings::Memory(v, max) => {
                if v.len() < *max {
                    v.push(item);
                }
            }
            Findings::File(w, path) => w.write_record(row(&item)).map_err(|e| Error::new(ErrorKind::Write(Box::new(e)), &*path, None))?,
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Error> {
        if let Findings::File(w, path) = self {
            w.flush().map_err(|e| Error::new(ErrorKind::Io(e), &*path, None))?;
        }
        Ok(())
    }

    fn items(&self) -> &[T] {
        match self {
            Findings::Memory(v, _) => v,
            Findings::File(..) => &[],
        }
    }
}

/// Reads an export, row by row, with bounded memory (each key once, compactly, for the duplicate
/// and reference checks, and one batch of records in flight).
pub struct Ingest {
    rejects: Findings<Reject>,
    warnings: Findings<Warning>,
    progress: Progress,
    batch_size: usize,
    today: Date,
    limits: Limits,
    risk_assessments: Vec<RiskAssessment>,
}

impl Default for Ingest {
    fn default() -> Self {
        Ingest::new()
    }
}

/// Today's date from the system clock (for plausibility of dates of birth).
pub(crate) fn today() -> Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    Date::from_days_since_epoch((secs / 86_400) as i32)
}

impl Ingest {
    /// An ingest that keeps rejects and warnings in memory ([`Ingest::rejects`]), at most
    /// [`Limits::max_findings_kept`] of each; all are counted, and tallied by reason in each
    /// file's summary.
    pub fn new() -> Ingest {
        let limits = Limits::default();
        Ingest {
            rejects: Findings::Memory(Vec::new(), limits.max_findings_kept),
            warnings: Findings::Memory(Vec::new(), limits.max_findings_kept),
            progress: Progress::default(),
            batch_size: 8192,
            today: today(),
            limits,
            risk_assessments: Vec::new(),
        }
    }

    /// The same ingest with other limits ([`Limits`]).
    pub fn with_limits(mut self, limits: Limits) -> Ingest {
        for max in [
            if let Findings::Memory(_, m) = &mut self.rejects { Some(m) } else { None },
            if let Findings::Memory(_, m) = &mut self.warnings { Some(m) } else { None },
        ]
        .into_iter()
        .flatten()
        {
            *max = limits.max_findings_kept;
        }
        self.limits = limits;
        self
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// An ingest that streams rejects to `DIR/rejects.csv` and warnings to `DIR/warnings.csv`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the folder or either file cannot be created, [`ErrorKind::Write`] when
    /// a header cannot be written.
    pub fn with_findings_dir(dir: &Path) -> Result<Ingest, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::new(ErrorKind::Io(e), dir, None))?;
        Ok(Ingest {
            rejects: Findings::file(dir.join("rejects.csv"), &["file", "line", "column", "reason", "key"])?,
            warnings: Findings::file(dir.join("warnings.csv"), &["file", "line", "column", "reason"])?,
            ..Ingest::new()
        })
    }

    /// The shared progress counter (bytes read).
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }

    /// Rejects kept in memory (empty when streaming to a file; at most
    /// [`Limits::max_findings_kept`]: the summary counts them all).
    pub fn rejects(&self) -> &[Reject] {
        self.rejects.items()
    }

    /// Warnings kept in memory (empty when streaming to a file).
    pub fn warnings(&self) -> &[Warning] {
        self.warnings.items()
    }

    /// The risk assessments accepted by the last [`Ingest::run`], in file order. They are
    /// not handed to the sink: a screening is a few rows per course, held in memory whole.
    pub fn risk_assessments(&self) -> &[RiskAssessment] {
        &self.risk_assessments
    }

    /// Takes the accepted risk assessments out of the ingest.
    pub fn take_risk_assessments(&mut self) -> Vec<RiskAssessment> {
        std::mem::take(&mut self.risk_assessments)
    }

    /// Reads every file of `inputs` whole into memory (for the stages that need every record
    /// at once). Rejects and warnings are kept as this ingest keeps them.
    ///
    /// # Errors
    ///
    /// As [`Ingest::run`].
    pub fn read_whole(&mut self, inputs: &Inputs) -> Result<(Export, Summary), Error> {
        self.read_whole_knowing(inputs, &KnownIncidents::default())
    }

    /// [`Ingest::read_whole`], with `known` the incidents already held (so that people and
    /// orders of an earlier export's incidents are not orphans).
    ///
    /// # Errors
    ///
    /// As [`Ingest::run`].
    pub fn read_whole_knowing(&mut self, inputs: &Inputs, known: &KnownIncidents) -> Result<(Export, Summary), Error> {
        let mut export = Export::default();
        let summary = self.run(inputs, known, &mut |b| {
            match b {
                Batch::Incidents(v) => export.incidents.extend(v),
                Batch::People(v) => export.people.extend(v),
                Batch::Orders(v) => export.orders.extend(v),
            }
            true
        })?;
        export.risk_assessments = self.take_risk_assessments();
        Ok((export, summary))
    }

    /// Reads every file of `inputs`, handing accepted records to `sink` in batches. `known`
    /// holds incidents already in the workspace. `sink` returns `false` to stop the read (its
    /// side has failed and will say why).
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the file (and line, where it has one) when a file cannot be read at all:
    /// unreadable ([`ErrorKind::Io`]), not UTF-8, a damaged Parquet file, past one of the
    /// [`Limits`], or a findings file that cannot be written; [`ErrorKind::Stopped`] when `sink`
    /// returned `false`; [`ErrorKind::BadLimit`] before reading anything when a limit makes no
    /// sense ([`Limits::check`]). A bad row is never an error: it becomes a [`Reject`].
    pub fn run(&mut self, inputs: &Inputs, known: &KnownIncidents, sink: &mut dyn FnMut(Batch) -> bool) -> Result<Summary, Error> {
        self.limits.check()?;
        let mut summary = Summary::default();
        let mut lk = validate::Lookups::default();
        let today = self.today;
        let mut incidents = KeyIndex::default();
        let mut file_index = 0u32;
        let mut files: Vec<PathBuf> = Vec::new();
        for path in &inputs.incidents {
            files.push(path.clone());
            let s = self.read_file(path, Table::Incidents, sink, &mut |row, line| {
                let (incident, warnings) = validate::incident(row, today, &mut lk)?;
                if let Some((f, l)) = incidents.first_or_insert(incident.force.id(), &incident.incident_ref, file_index, line) {
                    return Err(duplicate("incident_ref", &incident.incident_ref, incident.force, &files, f, l, 1));
                }
                Ok((Accepted::Incident(incident), warnings))
            })?;
            summary.files.push(s);
            file_index += 1;
        }
        let exists = |force: Force, r: &str, seen: &KeyIndex| seen.contains(force.id(), r) || known.contains(force, r);
        let mut people = KeyIndex::default();
        let today = self.today;
        for path in &inputs.people {
            files.push(path.clone());
            let s = self.read_file(path, Table::People, sink, &mut |row, line| {
                let (p, warnings) = validate::involvement(row, today, &mut lk)?;
                if !exists(p.force, &p.incident_ref, &incidents) {
                    return Err(orphan(&p.incident_ref, p.force, 2));
                }
                // The contract makes record_id unique per row across the file, whatever the force.
                if let Some((f, l)) = people.first_or_insert(0, &p.record_id, file_index, line) {
                    return Err(duplicate("record_id", &p.record_id, p.force, &files, f, l, 0));
                }
                Ok((Accepted::Involvement(p), warnings))
            })?;
            summary.files.push(s);
            file_index += 1;
        }
        self.risk_assessments.clear();
        let mut orders = KeyIndex::default();
        for path in &inputs.orders {
            files.push(path.clone());
            let s = self.read_file(path, Table::Orders, sink, &mut |row, line| {
                let (o, warnings) = validate::order(row, today, &mut lk)?;
                if !exists(o.force, &o.incident_ref, &incidents) {
                    return Err(orphan(&o.incident_ref, o.force, 3));
                }
                if let Some((f, l)) = orders.first_or_insert(o.force.id(), &o.order_ref, file_index, line) {
                    return Err(duplicate("order_ref", &o.order_ref, o.force, &files, f, l, 1));
                }
                Ok((Accepted::Order(o), warnings))
            })?;
            summary.files.push(s);
            file_index += 1;
        }
        // A screening is one tool on one day for one incident: the same again is a duplicate.
        let mut screenings = KeyIndex::default();
        let mut key = String::new();
        for path in &inputs.risk_assessments {
            files.push(path.clone());
            let s = self.read_file(path, Table::RiskAssessments, sink, &mut |row, line| {
                let (r, warnings) = validate::risk_assessment(row, today, &mut lk)?;
                if !exists(r.force, &r.incident_ref, &incidents) {
                    return Err(orphan(&r.incident_ref, r.force, 1));
                }
                key.clear();
                key.push_str(&format!("{}\u{1f}{}\u{1f}{}", r.incident_ref, r.tool, r.assessed_date));
                if let Some((f, l)) = screenings.first_or_insert(r.force.id(), &key, file_index, line) {
                    let what = format!("{} screening of {} on {}", r.tool, shown(&r.incident_ref), r.assessed_date);
                    return Err(duplicate_screening(&what, r.force, &files, f, l));
                }
                Ok((Accepted::RiskAssessment(r), warnings))
            })?;
            summary.files.push(s);
            file_index += 1;
        }
        self.rejects.flush()?;
        self.warnings.flush()?;
        Ok(summary)
    }

    fn read_file(
        &mut self,
        path: &Path,
        table: Table,
        sink: &mut dyn FnMut(Batch) -> bool,
        accept: &mut Accept<'_>,
    ) -> Result<FileSummary, Error> {
        let (mut source, mut summary) = Source::open(path, table, &self.progress, &self.limits)?;
        let max_field = self.limits.max_field_bytes;
        let mut batch = Pending::new(table, self.batch_size);
        let key_column = table.key_column();
        let mut row = crate::source::RawRow::default();
        // The row's key, kept aside before validation moves the cells out, for reject reports.
        let mut key = String::new();
        while let Some(event) = source.next_row(&mut row, &mut summary)? {
            summary.read += 1;
            match event {
                RowEvent::Bad { line, reason } => {
                    summary.rejected += 1;
                    summary.reject_reasons.add("", &reason);
                    let r = Reject { file: path.to_path_buf(), line, column: String::new(), reason, key: String::new() };
                    self.rejects.push(r, reject_row)?;
                }
                RowEvent::Row => {
                    let line = row.line;
                    key.clear();
                    key.push_str(&cut(row.fields[key_column].trim()));
                    let checked = match cells_within_limits(&mut row, key_column, max_field) {
                        Ok(()) => accept(&mut row, line),
                        Err(fault) => Err(fault),
                    };
                    match checked {
                        Ok((record, faults)) => {
                            summary.accepted += 1;
                            summary.warnings += faults.len() as u64;
                            for f in faults {
                                summary.warning_reasons.add(&source.column_names[f.column], &f.reason);
                                let w = Warning {
                                    file: path.to_path_buf(),
                                    line,
                                    column: source.column_names[f.column].clone(),
                                    reason: f.reason,
                                };
                                self.warnings.push(w, warning_row)?;
                            }
                            if let Accepted::RiskAssessment(r) = record {
                                self.risk_assessments.push(r);
                            } else if let Some(full) = batch.push(record) {
                                if !sink(full) {
                                    return Err(Error::new(ErrorKind::Stopped, path, Some(line)));
                                }
                            }
                        }
                        Err(fault) => {
                            summary.rejected += 1;
                            let column = fault.column.map(|c| source.column_names[c].clone()).unwrap_or_default();
                            summary.reject_reasons.add(&column, &fault.reason);
                            let r = Reject { file: path.to_path_buf(), line, column, reason: fault.reason, key: key.clone() };
                            self.rejects.push(r, reject_row)?;
                        }
                    }
                }
            }
        }
        if let Some(rest) = batch.take() {
            if !sink(rest) {
                return Err(Error::new(ErrorKind::Stopped, path, None));
            }
        }
        if summary.read == 0 && summary.notes.is_empty() {
            summary.notes.push("the file has a header but no rows".into());
        }
        Ok(summary)
    }
}

/// Checks what no single column's validation can: that no cell is longer than the limit, and
/// that the row's key holds no control character (a NUL or a line break in a reference is
/// corruption, and would not survive a database or a spreadsheet). A NUL in any other cell is
/// removed, and validation warns of it.
fn cells_within_limits(row: &mut crate::source::RawRow, key_column: usize, max: usize) -> Result<(), validate::RowFault> {
    for (c, cell) in row.fields.iter_mut().enumerate() {
        if cell.len() > max {
            return Err(validate::RowFault {
                column: Some(c),
                reason: format!("the value is {} bytes, longer than the limit of {max} (--max-field-bytes)", cell.len()),
            });
        }
        if c == key_column {
            if let Some(bad) = cell.trim().chars().find(|ch| ch.is_control()) {
                return Err(validate::RowFault {
                    column: Some(c),
                    reason: format!("the key holds a control character (U+{:04X}); a reference must be printable text", u32::from(bad)),
                });
            }
        } else if cell.contains('\0') {
            cell.retain(|ch| ch != '\0');
            row.nul_removed.push(c);
        }
    }
    Ok(())
}

fn reject_row(r: &Reject) -> Vec<String> {
    crate::report::reject_cells(r)
}

fn warning_row(w: &Warning) -> Vec<String> {
    crate::report::warning_cells(w)
}

#[allow(clippy::too_many_arguments)]
fn duplicate(
    what: &str,
    value: &str,
    force: Force,
    files: &[PathBuf],
    first_file: u32,
    first_line: u64,
    column: usize,
) -> validate::RowFault {
    let same_file = first_file as usize + 1 == files.len();
    let place =
        if same_file { format!("line {first_line}") } else { format!("line {first_line} of {}", files[first_file as usize].display()) };
    let scope = if what == "record_id" { String::new() } else { format!(" in {force}") };
    validate::RowFault {
        column: Some(column),
        reason: format!("duplicate {what} {}{scope}: first seen on {place}; the first is kept", shown(value)),
    }
}

fn duplicate_screening(what: &str, force: Force, files: &[PathBuf], first_file: u32, first_line: u64) -> validate::RowFault {
    let same_file = first_file as usize + 1 == files.len();
    let place =
        if same_file { format!("line {first_line}") } else { format!("line {first_line} of {}", files[first_file as usize].display()) };
    validate::RowFault { column: Some(1), reason: format!("duplicate {what} in {force}: first seen on {place}; the first is kept") }
}

fn orphan(incident_ref: &str, force: Force, column: usize) -> validate::RowFault {
    validate::RowFault {
        column: Some(column),
        reason: format!("no incident {} in {force}, neither in this import nor in the workspace", shown(incident_ref)),
    }
}

/// Validates one row (and checks it against rows seen before): the record and its warnings,
/// or why the row is rejected.
type Accept<'a> = dyn FnMut(&mut crate::source::RawRow, u64) -> Result<(Accepted, Vec<validate::ValueFault>), validate::RowFault> + 'a;

#[allow(clippy::large_enum_variant)] // one record, moved once into its batch
enum Accepted {
    Incident(Incident),
    Involvement(Involvement),
    Order(Order),
    RiskAssessment(RiskAssessment),
}

struct Pending {
    batch: Option<Batch>,
    size: usize,
    table: Table,
}

impl Pending {
    fn new(table: Table, size: usize) -> Pending {
        Pending { batch: None, size, table }
    }

    fn push(&mut self, record: Accepted) -> Option<Batch> {
        let size = self.size;
        let b = self.batch.get_or_insert_with(|| match self.table {
            Table::Incidents => Batch::Incidents(Vec::with_capacity(size)),
            Table::People => Batch::People(Vec::with_capacity(size)),
            Table::Orders => Batch::Orders(Vec::with_capacity(size)),
            Table::RiskAssessments => unreachable!("risk assessments are kept by the ingest, not batched"),
        });
        let len = match (b, record) {
            (Batch::Incidents(v), Accepted::Incident(r)) => {
                v.push(r);
                v.len()
            }
            (Batch::People(v), Accepted::Involvement(r)) => {
                v.push(r);
                v.len()
            }
            (Batch::Orders(v), Accepted::Order(r)) => {
                v.push(r);
                v.len()
            }
            _ => unreachable!("a file holds one table"),
        };
        if len >= size { self.batch.take() } else { None }
    }

    fn take(&mut self) -> Option<Batch> {
        self.batch.take()
    }
}

/// A people file read on its own.
#[derive(Debug)]
pub struct PeopleFile {
    /// The accepted rows, in file order.
    pub rows: Vec<Involvement>,
    /// Rows set aside, with reasons.
    pub rejects: Vec<Reject>,
    /// Invalid optional values kept as unknown.
    pub warnings: Vec<Warning>,
    /// Counts per file, in the order read.
    pub summaries: Vec<FileSummary>,
}

/// An export's accepted records, read whole ([`Ingest::read_whole`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Export {
    /// Accepted incidents.
    pub incidents: Vec<Incident>,
    /// Accepted people rows.
    pub people: Vec<Involvement>,
    /// Accepted orders.
    pub orders: Vec<Order>,
    /// Accepted risk assessments.
    pub risk_assessments: Vec<RiskAssessment>,
}

/// Reads one people file on its own — no incidents file, no workspace — as person linkage does
/// (FEBRL and other benchmark files hold people only). The incident reference is not checked.
///
/// # Errors
///
/// As [`read_people_files`].
pub fn read_people(path: &Path) -> Result<PeopleFile, Error> {
    read_people_files(&[path.to_path_buf()])
}

/// Reads several people files as one (a split export), in order, with the same checks as
/// [`read_people`]. Like it, it does not reject repeated record_ids (linkage links what it is
/// given; `conduct ingest` and `conduct run` reject them).
///
/// # Errors
///
/// An [`Error`] naming the file when one cannot be read at all (as [`Ingest::run`]); bad rows
/// are rejects, not errors.
pub fn read_people_files(paths: &[PathBuf]) -> Result<PeopleFile, Error> {
    // Every reject is kept: linkage lists each rejected row as a person of its own. They are
    // bounded by the file's rows, and each by the length of its reason.
    let mut ingest = Ingest::new().with_limits(Limits { max_findings_kept: usize::MAX, ..Limits::default() });
    // Reserved once from the files' size (a CSV people row is 100 bytes or more): growing the
    // vector by doubling touches and copies about as much fresh memory again, and fresh memory
    // costs more than the parsing on the machines measured (DESIGN.md, "Fresh memory is dear"). Untouched reserve is
    // address space, not memory.
    let bytes: u64 = paths.iter().map(|p| std::fs::metadata(p).map_or(0, |m| m.len())).sum();
    let estimate = (bytes / 100).min(20_000_000) as usize;
    let mut rows = Vec::with_capacity(estimate);
    let today = ingest.today;
    let mut lk = validate::Lookups::default();
    let mut summaries = Vec::with_capacity(paths.len());
    for path in paths {
        summaries.push(ingest.read_file(
            path,
            Table::People,
            &mut |b| {
                if let Batch::People(v) = b {
                    rows.extend(v);
                }
                true
            },
            &mut |row, _line| {
                let (p, w) = validate::involvement(row, today, &mut lk)?;
                Ok((Accepted::Involvement(p), w))
            },
        )?);
    }
    let Findings::Memory(rejects, _) = ingest.rejects else { unreachable!() };
    let Findings::Memory(warnings, _) = ingest.warnings else { unreachable!() };
    Ok(PeopleFile { rows, rejects, warnings, summaries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_yields_each_tables_files_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "incidents.csv",
            "Incidents-2025.CSV",
            "people_000.jsonl",
            "people1.parquet",
            "orders.ndjson",
            "incidentsnotes.csv",
            "people.txt",
            "people.docx",
            "README.md",
            "orders.csv.gz",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("people.csv")).unwrap();
        let inputs = Inputs::in_folder(dir.path()).unwrap();
        let names = |v: &[PathBuf]| v.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect::<Vec<_>>();
        assert_eq!(names(&inputs.incidents), ["Incidents-2025.CSV", "incidents.csv"]);
        assert_eq!(names(&inputs.people), ["people.txt", "people1.parquet", "people_000.jsonl"]);
        assert_eq!(names(&inputs.orders), ["orders.ndjson"]);
        assert!(Inputs::in_folder(&dir.path().join("missing")).is_err());
    }
}

//! Reads a whole export — incidents, then people, then orders, then risk assessments —
//! checking what no single row can check on its own: a duplicate `incident_ref` (or
//! `record_id`, `order_ref`, screening) within a force, and people, orders or screenings that
//! point at an incident that exists neither in this import nor in the workspace. Accepted
//! incidents, people and orders go to a sink in batches (the store writes them); accepted risk
//! assessments, a few per course at most, are kept by the [`Ingest`] for the caller
//! ([`Ingest::risk_assessments`]); rejects and warnings go to files or memory; the [`Summary`]
//! balances for every file.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, mpsc};

use conduct_domain::{Date, Force, Incident, Involvement, Order, RiskAssessment};

use crate::error::{Error, ErrorKind};
use crate::keys::KeyIndex;
use crate::limits::{Limits, cut, shown};
use crate::report::{FileSummary, Reject, Summary, Warning};
use crate::schema::Table;
use crate::source::{Progress, RawRow, RowEvent, Source};
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
    /// Threads that validate rows (1: the reading thread does it all).
    threads: usize,
    /// Rows per chunk handed to a validation thread.
    chunk_rows: usize,
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
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS)),
            chunk_rows: CHUNK_ROWS,
        }
    }

    /// The same ingest validating rows on `threads` threads beside the one that reads them
    /// (the default is one per core, at most eight); 1 (or 0) reads and validates on the
    /// calling thread alone. Either way the records, rejects, warnings, summary and errors are
    /// the same, in the same order: only the validation of each row on its own is spread out,
    /// while the rows are split from the file, and checked against earlier rows, in order on
    /// the reading thread.
    pub fn with_threads(mut self, threads: usize) -> Ingest {
        self.threads = threads.max(1);
        self
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
        let mut incidents = KeyIndex::default();
        let mut file_index = 0u32;
        let mut files: Vec<PathBuf> = Vec::new();
        for path in &inputs.incidents {
            files.push(path.clone());
            let validate: Validate = |row, today, lk| validate::incident(row, today, lk).map(|(r, w)| (Accepted::Incident(r), w));
            let s = self.read_file(path, Table::Incidents, sink, validate, &mut |record, line| {
                let Accepted::Incident(incident) = record else { return Ok(()) };
                if let Some((f, l)) = incidents.first_or_insert(incident.force.id(), &incident.incident_ref, file_index, line) {
                    return Err(duplicate("incident_ref", &incident.incident_ref, incident.force, &files, f, l, 1));
                }
                Ok(())
            })?;
            summary.files.push(s);
            file_index += 1;
        }
        let exists = |force: Force, r: &str, seen: &KeyIndex| seen.contains(force.id(), r) || known.contains(force, r);
        let mut people = KeyIndex::default();
        for path in &inputs.people {
            files.push(path.clone());
            let validate: Validate = |row, today, lk| validate::involvement(row, today, lk).map(|(r, w)| (Accepted::Involvement(r), w));
            let s = self.read_file(path, Table::People, sink, validate, &mut |record, line| {
                let Accepted::Involvement(p) = record else { return Ok(()) };
                if !exists(p.force, &p.incident_ref, &incidents) {
                    return Err(orphan(&p.incident_ref, p.force, 2));
                }
                // The contract makes record_id unique per row across the file, whatever the force.
                if let Some((f, l)) = people.first_or_insert(0, &p.record_id, file_index, line) {
                    return Err(duplicate("record_id", &p.record_id, p.force, &files, f, l, 0));
                }
                Ok(())
            })?;
            summary.files.push(s);
            file_index += 1;
        }
        self.risk_assessments.clear();
        let mut orders = KeyIndex::default();
        for path in &inputs.orders {
            files.push(path.clone());
            let validate: Validate = |row, today, lk| validate::order(row, today, lk).map(|(r, w)| (Accepted::Order(r), w));
            let s = self.read_file(path, Table::Orders, sink, validate, &mut |record, line| {
                let Accepted::Order(o) = record else { return Ok(()) };
                if !exists(o.force, &o.incident_ref, &incidents) {
                    return Err(orphan(&o.incident_ref, o.force, 3));
                }
                if let Some((f, l)) = orders.first_or_insert(o.force.id(), &o.order_ref, file_index, line) {
                    return Err(duplicate("order_ref", &o.order_ref, o.force, &files, f, l, 1));
                }
                Ok(())
            })?;
            summary.files.push(s);
            file_index += 1;
        }
        // A screening is one tool on one day for one incident: the same again is a duplicate.
        let mut screenings = KeyIndex::default();
        let mut key = String::new();
        for path in &inputs.risk_assessments {
            files.push(path.clone());
            let validate: Validate =
                |row, today, lk| validate::risk_assessment(row, today, lk).map(|(r, w)| (Accepted::RiskAssessment(r), w));
            let s = self.read_file(path, Table::RiskAssessments, sink, validate, &mut |record, line| {
                let Accepted::RiskAssessment(r) = record else { return Ok(()) };
                if !exists(r.force, &r.incident_ref, &incidents) {
                    return Err(orphan(&r.incident_ref, r.force, 1));
                }
                key.clear();
                key.push_str(&format!("{}\u{1f}{}\u{1f}{}", r.incident_ref, r.tool, r.assessed_date));
                if let Some((f, l)) = screenings.first_or_insert(r.force.id(), &key, file_index, line) {
                    let what = format!("{} screening of {} on {}", r.tool, shown(&r.incident_ref), r.assessed_date);
                    return Err(duplicate_screening(&what, r.force, &files, f, l));
                }
                Ok(())
            })?;
            summary.files.push(s);
            file_index += 1;
        }
        self.rejects.flush()?;
        self.warnings.flush()?;
        Ok(summary)
    }

    /// Reads one file, handing accepted records to `sink` in batches. Each row is validated on
    /// its own by `validate` and then checked against the rows before it by `check`, in file
    /// order. With more than one thread ([`Ingest::with_threads`]) the validation runs on
    /// worker threads, a chunk of rows at a time, while this thread reads the next rows; the
    /// rows are split from the file, and checked, counted and reported, on this thread alone
    /// and in file order, so records, rejects, warnings and errors are the same as when read
    /// on one thread.
    fn read_file(
        &mut self,
        path: &Path,
        table: Table,
        sink: &mut dyn FnMut(Batch) -> bool,
        validate: Validate,
        check: &mut Check<'_>,
    ) -> Result<FileSummary, Error> {
        let (mut source, mut summary) = Source::open(path, table, &self.progress, &self.limits)?;
        let prepare = Prepare { key_column: table.key_column(), max_field: self.limits.max_field_bytes, today: self.today, validate };
        let mut settle = Settle { path, column_names: &source.column_names.clone(), batch: Pending::new(table, self.batch_size) };
        let mut row = RawRow::default();
        if self.threads <= 1 {
            let mut lk = validate::Lookups::default();
            while let Some(event) = source.next_row(&mut row, &mut summary)? {
                let step = match event {
                    RowEvent::Bad { line, reason } => Step::Bad { line, reason },
                    RowEvent::Row => prepare.row(&mut row, &mut lk),
                };
                settle.step(self, step, check, sink, &mut summary)?;
            }
        } else {
            self.read_in_parallel(&mut source, &mut summary, &mut row, &prepare, &mut settle, check, sink)?;
        }
        if let Some(rest) = settle.batch.take() {
            if !sink(rest) {
                return Err(Error::new(ErrorKind::Stopped, path, None));
            }
        }
        if summary.read == 0 && summary.notes.is_empty() {
            summary.notes.push("the file has a header but no rows".into());
        }
        Ok(summary)
    }

    /// The body of [`Ingest::read_file`] on several threads: this thread reads rows into
    /// chunks and sends each to the workers, which validate it and send it back on a channel of
    /// its own; the chunks are settled here in the order they were read. At most
    /// `IN_FLIGHT_PER_WORKER` chunks per worker are out at once, so memory stays bounded. A
    /// file that cannot be read further ends the read after every chunk before it is settled,
    /// as on one thread.
    #[allow(clippy::too_many_arguments)]
    fn read_in_parallel(
        &mut self,
        source: &mut Source,
        summary: &mut FileSummary,
        row: &mut RawRow,
        prepare: &Prepare,
        settle: &mut Settle<'_>,
        check: &mut Check<'_>,
        sink: &mut dyn FnMut(Batch) -> bool,
    ) -> Result<(), Error> {
        type Job = (Vec<Item>, mpsc::SyncSender<Vec<Step>>);
        let workers = self.threads;
        let chunk_rows = self.chunk_rows.max(1);
        let path = settle.path;
        let (jobs, queue) = mpsc::sync_channel::<Job>(workers * IN_FLIGHT_PER_WORKER);
        let queue = Mutex::new(queue);
        std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(workers);
            for _ in 0..workers {
                let queue = &queue;
                handles.push(scope.spawn(move || {
                    let mut lk = validate::Lookups::default();
                    loop {
                        // The lock is held only while waiting for the next job.
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok((items, done)) = job else { return };
                        let steps = items
                            .into_iter()
                            .map(|item| match item {
                                Item::Bad { line, reason } => Step::Bad { line, reason },
                                Item::Row(mut row) => prepare.row(&mut row, &mut lk),
                            })
                            .collect();
                        // The reader may have stopped and gone: then nobody needs this chunk.
                        let _ = done.send(steps);
                    }
                }));
            }
            // The reading, however it ends; then the queue is closed (the workers find it so
            // and end) and each worker joined. Joined, not left to the scope: the scope returns
            // once the workers' closures have returned, while their threads may still be
            // exiting and freeing what they hold (LeakSanitizer, under the fuzzer, saw that as
            // a leak). Returns from here on the caller's thread only, with every thread gone.
            let read = (|| {
                let mut out: VecDeque<mpsc::Receiver<Vec<Step>>> = VecDeque::new();
                let mut settle_oldest = |out: &mut VecDeque<mpsc::Receiver<Vec<Step>>>, this: &mut Ingest, summary: &mut FileSummary| {
                    let Some(next) = out.pop_front() else { return Ok(()) };
                    let steps = next.recv().map_err(|_| {
                        Error::new(ErrorKind::Io(std::io::Error::other("a validation thread stopped without an answer")), path, None)
                    })?;
                    for step in steps {
                        settle.step(this, step, check, sink, summary)?;
                    }
                    Ok::<(), Error>(())
                };
                loop {
                    let mut items = Vec::with_capacity(chunk_rows);
                    let mut end = None;
                    while items.len() < chunk_rows {
                        match source.next_row(row, summary) {
                            Ok(Some(RowEvent::Row)) => items.push(Item::Row(std::mem::take(row))),
                            Ok(Some(RowEvent::Bad { line, reason })) => items.push(Item::Bad { line, reason }),
                            Ok(None) => {
                                end = Some(Ok(()));
                                break;
                            }
                            Err(e) => {
                                end = Some(Err(e));
                                break;
                            }
                        }
                    }
                    if !items.is_empty() {
                        let (done, answer) = mpsc::sync_channel(1);
                        if jobs.send((items, done)).is_err() {
                            return Err(Error::new(ErrorKind::Io(std::io::Error::other("the validation threads stopped")), path, None));
                        }
                        out.push_back(answer);
                    }
                    if let Some(end) = end {
                        while !out.is_empty() {
                            settle_oldest(&mut out, self, summary)?;
                        }
                        return end;
                    }
                    while out.len() >= workers * IN_FLIGHT_PER_WORKER {
                        settle_oldest(&mut out, self, summary)?;
                    }
                }
            })();
            drop(jobs);
            for h in handles {
                // A worker that panicked: its panic is the scope's to report, as before.
                if let Err(panic) = h.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            read
        })
    }
}

/// Rows per chunk handed to a validation worker, and chunks out per worker at once.
const CHUNK_ROWS: usize = 1024;
/// Most validation threads an ingest starts by default.
const MAX_THREADS: usize = 8;
const IN_FLIGHT_PER_WORKER: usize = 4;

/// Validates one row on its own, on any thread: the record and its warnings, or why the row is
/// rejected. `Lookups` is a cache, so each thread may keep its own.
type Validate = fn(&mut RawRow, Date, &mut validate::Lookups) -> Result<(Accepted, Vec<validate::ValueFault>), validate::RowFault>;

/// Checks a validated record against the rows read before it, in file order (duplicate keys,
/// references to incidents): nothing, or why the row is rejected.
type Check<'a> = dyn FnMut(&Accepted, u64) -> Result<(), validate::RowFault> + 'a;

/// A row as read from the file, before validation.
enum Item {
    Row(RawRow),
    Bad { line: u64, reason: String },
}

// Nearly every step is a `Row` (a `Bad` is a row that could not be read at all), so boxing the
// large variant would add an allocation per row and save nothing in the chunks' vectors.
/// A row after validation, before the checks against earlier rows.
#[allow(clippy::large_enum_variant)]
enum Step {
    /// A row that could not be read at all.
    Bad { line: u64, reason: String },
    /// A row read and validated: its line, its key (kept aside for reject reports before
    /// validation moved the cells out) and what validation made of it.
    Row { line: u64, key: String, checked: Result<(Accepted, Vec<validate::ValueFault>), validate::RowFault> },
}

/// What validating a row of one file needs; shared by the worker threads.
struct Prepare {
    key_column: usize,
    max_field: usize,
    today: Date,
    validate: Validate,
}

impl Prepare {
    fn row(&self, row: &mut RawRow, lk: &mut validate::Lookups) -> Step {
        let line = row.line;
        let key = cut(row.fields[self.key_column].trim());
        let checked = match cells_within_limits(row, self.key_column, self.max_field) {
            Ok(()) => (self.validate)(row, self.today, lk),
            Err(fault) => Err(fault),
        };
        Step::Row { line, key, checked }
    }
}

/// Settles validated rows in file order: the checks against earlier rows, the counts, the
/// rejects and warnings, and the batches of accepted records.
struct Settle<'a> {
    path: &'a Path,
    column_names: &'a [String],
    batch: Pending,
}

impl Settle<'_> {
    fn step(
        &mut self,
        ingest: &mut Ingest,
        step: Step,
        check: &mut Check<'_>,
        sink: &mut dyn FnMut(Batch) -> bool,
        summary: &mut FileSummary,
    ) -> Result<(), Error> {
        let path = self.path;
        summary.read += 1;
        let (line, key, checked) = match step {
            Step::Bad { line, reason } => {
                summary.rejected += 1;
                summary.reject_reasons.add("", &reason);
                let r = Reject { file: path.to_path_buf(), line, column: String::new(), reason, key: String::new() };
                return ingest.rejects.push(r, reject_row);
            }
            Step::Row { line, key, checked } => (line, key, checked),
        };
        let checked = checked.and_then(|(record, faults)| check(&record, line).map(|()| (record, faults)));
        match checked {
            Ok((record, faults)) => {
                summary.accepted += 1;
                summary.warnings += faults.len() as u64;
                for f in faults {
                    summary.warning_reasons.add(&self.column_names[f.column], &f.reason);
                    let w = Warning { file: path.to_path_buf(), line, column: self.column_names[f.column].clone(), reason: f.reason };
                    ingest.warnings.push(w, warning_row)?;
                }
                if let Accepted::RiskAssessment(r) = record {
                    ingest.risk_assessments.push(r);
                } else if let Some(full) = self.batch.push(record) {
                    if !sink(full) {
                        return Err(Error::new(ErrorKind::Stopped, path, Some(line)));
                    }
                }
            }
            Err(fault) => {
                summary.rejected += 1;
                let column = fault.column.map(|c| self.column_names[c].clone()).unwrap_or_default();
                summary.reject_reasons.add(&column, &fault.reason);
                let r = Reject { file: path.to_path_buf(), line, column, reason: fault.reason, key };
                ingest.rejects.push(r, reject_row)?;
            }
        }
        Ok(())
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
            |row, today, lk| validate::involvement(row, today, lk).map(|(r, w)| (Accepted::Involvement(r), w)),
            &mut |_, _| Ok(()),
        )?);
    }
    let Findings::Memory(rejects, _) = ingest.rejects else { unreachable!() };
    let Findings::Memory(warnings, _) = ingest.warnings else { unreachable!() };
    Ok(PeopleFile { rows, rejects, warnings, summaries })
}

#[cfg(test)]
#[path = "parallel_tests.rs"]
mod parallel_tests;

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

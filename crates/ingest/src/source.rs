//! Opens an input file and yields its rows as text cells aligned to the contract's columns,
//! whatever the format: CSV (RFC 4180, BOM tolerated, header names case-insensitive, column
//! order free), JSON Lines, or Parquet.
//!
//! Problems that make a row unreadable (a ragged CSV row, an unterminated quote, a line that is
//! not JSON) come back as [`RowEvent::Bad`] so the caller can reject that row and go on. A CSV
//! field that is not valid UTF-8 is decoded as Windows-1252 (the usual cause: an export saved
//! from Excel on Windows) and flagged, so the row is kept and the analyst is told.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, ErrorKind};
use crate::limits::{Limits, cut};
use crate::report::FileSummary;
use crate::schema::{Format, GROUND_TRUTH_COLUMNS, Table};

/// Progress of a read, shared with whoever draws a progress bar.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    bytes: Arc<AtomicU64>,
}

impl Progress {
    /// Bytes read so far, across files.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

/// A row read from a file: one text cell per contract column ("" when absent). One is reused
/// for every row of a file; validation moves the cells it keeps out of it.
#[derive(Debug, Default)]
pub(crate) struct RawRow {
    pub line: u64,
    pub fields: Vec<String>,
    /// Contract columns whose bytes were not UTF-8 and were read as Windows-1252.
    pub recoded: Vec<usize>,
    /// Contract columns from which NUL characters were removed.
    pub nul_removed: Vec<usize>,
}

/// One step of reading a file.
pub(crate) enum RowEvent {
    /// A row whose cells could be read into the caller's [`RawRow`] (validation comes next).
    Row,
    /// A row that could not be read at all.
    Bad { line: u64, reason: String },
}

/// An open input file.
pub(crate) struct Source {
    /// Header name in the file for each contract column, for messages.
    pub column_names: Vec<String>,
    rows: Rows,
}

enum Rows {
    Csv(CsvRows),
    Json(JsonRows),
    Parquet(ParquetRows),
    Empty,
}

impl Source {
    /// Opens a file of the given table, filling in what the header tells the summary.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the file or its CSV header cannot be read, [`ErrorKind::Unsupported`]
    /// when it is not a regular file, [`ErrorKind::Encoding`] when it is UTF-16 or mostly NUL bytes,
    /// [`ErrorKind::Limit`] when the CSV header is too long or the Parquet file would decode past
    /// the limit, [`ErrorKind::Parquet`] or [`ErrorKind::Damaged`] when the Parquet file is damaged.
    pub fn open(path: &Path, table: Table, progress: &Progress, limits: &Limits) -> Result<(Source, FileSummary), Error> {
        let io = |e| Error::new(ErrorKind::Io(e), path, None);
        let mut file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(Error::new(
                ErrorKind::Unsupported("not a regular file (a device, a pipe or a folder); give an export file".into()),
                path,
                None,
            ));
        }
        let mut sniff = [0u8; 8192];
        let n = read_up_to(&mut file, &mut sniff).map_err(io)?;
        let head = &sniff[..n.min(4)];
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(Error::new(
                ErrorKind::Encoding("the file is UTF-16; save it as UTF-8 (CSV UTF-8 in Excel) and import again".into()),
                path,
                None,
            ));
        }
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        let format = Format::detect(path, head);
        // A stray NUL in a cell is the row's problem (validation handles it); a file whose
        // start is more than a tenth NUL bytes is not text at all.
        if format != Format::Parquet && sniff[..n].iter().filter(|&&b| b == 0).count() * 10 > n {
            return Err(Error::new(
                ErrorKind::Encoding(
                    "the file is mostly NUL bytes near its start, so it is not CSV or JSON Lines \
                     text (a binary or corrupted file?)"
                        .into(),
                ),
                path,
                None,
            ));
        }
        let mut summary = FileSummary::new(path, table, format);
        let columns = table.columns();
        let mut column_names: Vec<String> = columns.iter().map(|c| c.name.to_string()).collect();
        if n == 0 {
            summary.notes.push("the file is empty: no header and no rows".into());
            return Ok((Source { column_names, rows: Rows::Empty }, summary));
        }
        let rows = match format {
            Format::Csv => {
                let mut csv = CsvRows::new(path, file, progress.clone(), limits);
                match csv.header()? {
                    None => {
                        summary.notes.push("the file is empty: no header and no rows".into());
                        Rows::Empty
                    }
                    Some(header) => {
                        csv.map = map_header(&header, table, &mut summary, &mut column_names);
                        csv.width = header.len();
                        Rows::Csv(csv)
                    }
                }
            }
            Format::JsonLines => Rows::Json(JsonRows::new(path, file, table, progress.clone(), limits)),
            Format::Parquet => {
                let mut p = ParquetRows::new(path, file, progress.clone(), limits)?;
                p.map = map_header(&p.names, table, &mut summary, &mut column_names);
                Rows::Parquet(p)
            }
        };
        Ok((Source { column_names, rows }, summary))
    }

    /// The next row, read into `row`, or `None` at the end of the file.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the file cannot be read on, [`ErrorKind::Parquet`] or
    /// [`ErrorKind::Damaged`] when a Parquet row cannot be decoded, [`ErrorKind::Limit`] when the
    /// Parquet rows decode past their limit. A row that is merely unreadable is [`RowEvent::Bad`].
    pub fn next_row(&mut self, row: &mut RawRow, summary: &mut FileSummary) -> Result<Option<RowEvent>, Error> {
        let width = self.column_names.len();
        row.fields.resize_with(width, String::new);
        for f in &mut row.fields {
            f.clear();
        }
        row.recoded.clear();
        row.nul_removed.clear();
        match &mut self.rows {
            Rows::Csv(r) => r.next_row(row),
            Rows::Json(r) => r.next_row(row, summary),
            Rows::Parquet(r) => r.next_row(row),
            Rows::Empty => Ok(None),
        }
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Maps header names onto contract columns; records unknown and ground-truth columns.
/// Returns, for each contract column, the index of the file column holding it.
fn map_header(header: &[String], table: Table, summary: &mut FileSummary, column_names: &mut [String]) -> Vec<Option<usize>> {
    let columns = table.columns();
    let mut map = vec![None; columns.len()];
    for (i, raw) in header.iter().enumerate() {
        let name = raw.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
        if let Some(c) = columns.iter().position(|c| c.name == name) {
            if map[c].is_some() {
                summary.notes.push(format!("column {} appears twice; the first is used", crate::limits::shown(raw)));
            } else {
                map[c] = Some(i);
                column_names[c] = raw.trim().to_string();
            }
        } else if GROUND_TRUTH_COLUMNS.contains(&name.as_str()) {
            summary.ground_truth_columns.push(raw.trim().to_string());
        } else {
            summary.ignored_columns.push(cut(raw.trim()));
        }
    }
    for (c, col) in columns.iter().enumerate() {
        if col.required && map[c].is_none() {
            summary.notes.push(format!("required column {:?} is missing from the header: every row is rejected", col.name));
        }
    }
    map
}

/// Decodes bytes as Windows-1252 (a superset of Latin-1 for printable characters).
pub(crate) fn decode_cp1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•',
        '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH[(b - 0x80) as usize],
            _ => char::from(b),
        })
        .collect()
}

/// A reader that counts the bytes it hands on.
struct Counting<R> {
    inner: R,
    progress: Progress,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Where a CSV stream stands as far as record boundaries go, by csv-core's rules: a quote opens
/// a quoted field only at the start of a field, `""` inside one is a quote, and `\r`, `\n` or
/// `\r\n` end a record outside quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CsvState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// A record that grew past [`Limits::max_record_bytes`]: the line it starts on, and the file
/// offset and line at which it crossed the limit.
#[derive(Clone, Copy, Debug)]
struct Overlong {
    line: u64,
    at: u64,
    at_line: u64,
}

/// Passes a CSV file through to the csv reader while following record boundaries, and stops
/// with an error — instead of letting the reader buffer it — when one record grows past the
/// limit. [`CsvRows`] then sets that record aside and reads on from the next line.
struct Bounded<R> {
    inner: R,
    limit: usize,
    state: CsvState,
    record_bytes: usize,
    /// File offset of the next byte to hand on.
    offset: u64,
    line: u64,
    record_line: u64,
    over: Option<Overlong>,
}

impl<R> Bounded<R> {
    /// Sets where the stream stands after a seek: a record starts at `offset`, on `line`.
    fn restart(&mut self, offset: u64, line: u64) {
        self.state = CsvState::FieldStart;
        self.record_bytes = 0;
        self.offset = offset;
        self.line = line;
        self.record_line = line;
        self.over = None;
    }

    /// Follows `bytes`; returns how many of them belong to records within the limit.
    ///
    /// Runs of bytes that change nothing but the record's length (and, inside quotes, the line)
    /// are skipped with `memchr`; quotes, line ends and the run that crosses the limit are
    /// followed byte by byte ([`Bounded::step`]). The result is the same as following every
    /// byte (tested against [`Bounded::scan_each`]).
    fn scan(&mut self, bytes: &[u8]) -> usize {
        let mut i = 0;
        while i < bytes.len() {
            let stop = match self.state {
                CsvState::FieldStart | CsvState::Unquoted => {
                    memchr::memchr3(b'"', b'\n', b'\r', &bytes[i..]).map_or(bytes.len(), |k| i + k)
                }
                CsvState::Quoted => memchr::memchr(b'"', &bytes[i..]).map_or(bytes.len(), |k| i + k),
                CsvState::QuoteInQuoted => i,
            };
            let run = &bytes[i..stop];
            if self.record_bytes + run.len() > self.limit {
                return self.scan_each(bytes, i);
            }
            if let Some(&last) = run.last() {
                self.record_bytes += run.len();
                match self.state {
                    CsvState::Quoted => self.line += memchr::memchr_iter(b'\n', run).count() as u64,
                    // Only commas and ordinary bytes are in the run: a field starts after its
                    // last byte only when that was a comma.
                    _ => self.state = if last == b',' { CsvState::FieldStart } else { CsvState::Unquoted },
                }
                i = stop;
            }
            if i < bytes.len() {
                if self.step(bytes[i], i) {
                    return i;
                }
                i += 1;
            }
        }
        bytes.len()
    }

    /// [`Bounded::scan`] from `from`, one byte at a time.
    fn scan_each(&mut self, bytes: &[u8], from: usize) -> usize {
        for (i, &b) in bytes.iter().enumerate().skip(from) {
            if self.step(b, i) {
                return i;
            }
        }
        bytes.len()
    }

    /// Follows one byte, at `i` of the bytes being scanned; true when its record has just grown
    /// past the limit (which is then noted in `over`).
    fn step(&mut self, b: u8, i: usize) -> bool {
        let end = match (self.state, b) {
            (CsvState::Quoted, b'"') => {
                self.state = CsvState::QuoteInQuoted;
                false
            }
            (CsvState::Quoted, _) => false,
            (CsvState::QuoteInQuoted, b'"') => {
                self.state = CsvState::Quoted;
                false
            }
            (_, b'\n' | b'\r') => true,
            (_, b',') => {
                self.state = CsvState::FieldStart;
                false
            }
            (CsvState::FieldStart, b'"') => {
                self.state = CsvState::Quoted;
                false
            }
            _ => {
                self.state = CsvState::Unquoted;
                false
            }
        };
        if b == b'\n' {
            self.line += 1;
        }
        if end {
            self.state = CsvState::FieldStart;
            self.record_bytes = 0;
            self.record_line = self.line;
        } else {
            self.record_bytes += 1;
            if self.record_bytes > self.limit {
                let at = self.offset + i as u64;
                self.over = Some(Overlong { line: self.record_line, at, at_line: self.line });
                return true;
            }
        }
        false
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.over.is_some() {
            return Err(std::io::Error::other("a CSV record is longer than the limit"));
        }
        let n = self.inner.read(buf)?;
        let within = self.scan(&buf[..n]);
        self.offset += within as u64;
        if within < n {
            // Hand on what came before the limit; the next read reports it.
            if within == 0 {
                return Err(std::io::Error::other("a CSV record is longer than the limit"));
            }
            return Ok(within);
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for Bounded<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(pos)?;
        // The caller says which line this is (`restart`); the record state starts afresh.
        self.state = CsvState::FieldStart;
        self.record_bytes = 0;
        self.offset = at;
        self.over = None;
        Ok(at)
    }
}

struct CsvRows {
    path: PathBuf,
    reader: csv::Reader<Bounded<Counting<File>>>,
    record: csv::ByteRecord,
    map: Vec<Option<usize>>,
    width: usize,
    limit: usize,
    /// 1 when lines end in CRLF: the csv reader counts a record's line before it has consumed
    /// the previous record's `\n`, so its line numbers lag by one.
    crlf: u64,
}

impl CsvRows {
    fn new(path: &Path, file: File, progress: Progress, limits: &Limits) -> CsvRows {
        let bounded = Bounded {
            inner: Counting { inner: file, progress },
            limit: limits.max_record_bytes,
            state: CsvState::FieldStart,
            record_bytes: 0,
            offset: 0,
            line: 1,
            record_line: 1,
            over: None,
        };
        let reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 16).from_reader(bounded);
        CsvRows {
            path: path.to_path_buf(),
            reader,
            record: csv::ByteRecord::new(),
            map: Vec::new(),
            width: 0,
            limit: limits.max_record_bytes,
            crlf: 0,
        }
    }

    fn error(&self, e: csv::Error) -> Error {
        let line = e.position().map(|p| p.line());
        let kind = match e.into_kind() {
            csv::ErrorKind::Io(e) => ErrorKind::Io(e),
            other => ErrorKind::Io(std::io::Error::other(format!("{other:?}"))),
        };
        Error::new(kind, &self.path, line)
    }

    fn header(&mut self) -> Result<Option<Vec<String>>, Error> {
        match self.reader.read_byte_record(&mut self.record) {
            Ok(false) => Ok(None),
            Ok(true) => {
                let end = self.reader.position().byte();
                self.crlf = u64::from(self.byte_at(end).map_err(|e| Error::new(ErrorKind::Io(e), &self.path, Some(1)))? == Some(b'\n'));
                Ok(Some(
                    self.record
                        .iter()
                        .map(|f| match std::str::from_utf8(f) {
                            Ok(s) => s.to_string(),
                            Err(_) => decode_cp1252(f),
                        })
                        .collect(),
                ))
            }
            Err(_) if self.reader.get_ref().over.is_some() => Err(Error::new(
                ErrorKind::Limit(format!(
                    "the header is longer than the limit of {} bytes (--max-record-bytes); is this a CSV export?",
                    self.limit
                )),
                &self.path,
                Some(1),
            )),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Moves the csv reader to a record starting at `byte` (just after a `\n`), on file line
    /// `line`. With CRLF endings the reader is put on the `\n` itself, where it stands after
    /// every record it reads, so that its line count keeps the same one-line lag.
    fn resume_at(&mut self, byte: u64, line: u64, record: u64) -> Result<(), Error> {
        let (byte, line) = if self.crlf == 1 && byte > 0 { (byte - 1, line - 1) } else { (byte, line) };
        let mut pos = csv::Position::new();
        pos.set_byte(byte).set_line(line.max(1)).set_record(record);
        self.reader.seek(pos).map_err(|e| self.error(e))?;
        self.reader.get_mut().restart(byte, line);
        Ok(())
    }

    fn next_row(&mut self, row: &mut RawRow) -> Result<Option<RowEvent>, Error> {
        let ok = match self.reader.read_byte_record(&mut self.record) {
            Ok(ok) => ok,
            Err(e) => {
                let Some(over) = self.reader.get_ref().over else { return Err(self.error(e)) };
                // One record ran past the limit: set it aside without holding it, and read on
                // from the line after the one where it crossed the limit.
                let next = next_line_after(&self.path, over.at).map_err(|e| Error::new(ErrorKind::Io(e), &self.path, Some(over.line)))?;
                let record = self.reader.position().record() + 1;
                let Some(next) = next else {
                    self.resume_at(std::fs::metadata(&self.path).map_or(over.at, |m| m.len()), over.at_line, record)?;
                    return Ok(Some(RowEvent::Bad { line: over.line, reason: self.overlong_reason(None) }));
                };
                self.resume_at(next, over.at_line + 1, record)?;
                return Ok(Some(RowEvent::Bad { line: over.line, reason: self.overlong_reason(Some(over.at_line + 1)) }));
            }
        };
        if !ok {
            return Ok(None);
        }
        let start = self.record.position().expect("csv records carry positions").clone();
        let line = start.line() + self.crlf;
        if self.record.len() != self.width {
            let end_line = self.reader.position().line() + self.crlf;
            if end_line > line + 1 && self.record.len() < self.width {
                // A quoted field opened on this line and ran on over later lines: most likely an
                // unterminated quote. Set this line aside and read on from the next one, so one
                // stray quote cannot swallow the rest of the file.
                let next = next_line_after(&self.path, start.byte() + 1)
                    .map_err(|e| Error::new(ErrorKind::Io(e), &self.path, Some(line)))?
                    .unwrap_or(start.byte());
                self.resume_at(next, line + 1, start.record() + 1)?;
                return Ok(Some(RowEvent::Bad {
                    line,
                    reason: format!(
                        "a quoted field opens on this line and runs on to line {} without closing \
                         properly; this line is set aside and reading resumes on the next line",
                        end_line - 1
                    ),
                }));
            }
            return Ok(Some(RowEvent::Bad {
                line,
                reason: format!("the row has {} fields but the header has {}", self.record.len(), self.width),
            }));
        }
        row.line = line;
        for (c, slot) in self.map.iter().enumerate() {
            let Some(i) = *slot else { continue };
            let bytes = &self.record[i];
            match std::str::from_utf8(bytes) {
                Ok(s) => row.fields[c].push_str(s),
                Err(_) => {
                    row.recoded.push(c);
                    row.fields[c] = decode_cp1252(bytes);
                }
            }
        }
        Ok(Some(RowEvent::Row))
    }

    fn overlong_reason(&self, resumes: Option<u64>) -> String {
        let then = match resumes {
            Some(l) => format!("reading resumes on line {l}"),
            None => "it runs to the end of the file".into(),
        };
        format!("the row is longer than the limit of {} bytes (--max-record-bytes); it is set aside unread and {then}", self.limit)
    }

    /// The byte at an offset of the file, if there is one.
    fn byte_at(&self, offset: u64) -> std::io::Result<Option<u8>> {
        let mut f = File::open(&self.path)?;
        f.seek(SeekFrom::Start(offset))?;
        let mut b = [0u8; 1];
        Ok((f.read(&mut b)? == 1).then_some(b[0]))
    }
}

/// The offset just past the first `\n` at or after `from`, read in small pieces (a line may be
/// gigabytes long); `None` when the file ends first.
fn next_line_after(path: &Path, from: u64) -> std::io::Result<Option<u64>> {
    let mut f = BufReader::with_capacity(1 << 16, File::open(path)?);
    f.seek(SeekFrom::Start(from))?;
    let mut at = from;
    loop {
        let buf = f.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            return Ok(Some(at + i as u64 + 1));
        }
        let n = buf.len();
        at += n as u64;
        f.consume(n);
    }
}

struct JsonRows {
    path: PathBuf,
    reader: BufReader<Counting<File>>,
    table: Table,
    line: u64,
    buf: Vec<u8>,
    limit: usize,
    seen_unknown: std::collections::BTreeSet<String>,
}

/// Reads one line into `buf` (its `\n` included), keeping at most `limit + 1` bytes of it: the
/// rest of a longer line is read past, not held. Returns the line's whole length (0 at the end).
fn read_line_bounded(reader: &mut impl BufRead, buf: &mut Vec<u8>, limit: usize) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(total);
        }
        let (used, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = (limit + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&available[..used.min(room)]);
        reader.consume(used);
        total += used;
        if done {
            return Ok(total);
        }
    }
}

impl JsonRows {
    fn new(path: &Path, file: File, table: Table, progress: Progress, limits: &Limits) -> JsonRows {
        JsonRows {
            path: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 16, Counting { inner: file, progress }),
            table,
            line: 0,
            buf: Vec::new(),
            limit: limits.max_record_bytes,
            seen_unknown: Default::default(),
        }
    }

    fn next_row(&mut self, row: &mut RawRow, summary: &mut FileSummary) -> Result<Option<RowEvent>, Error> {
        loop {
            self.buf.clear();
            let n = read_line_bounded(&mut self.reader, &mut self.buf, self.limit)
                .map_err(|e| Error::new(ErrorKind::Io(e), &self.path, Some(self.line + 1)))?;
            if n == 0 {
                return Ok(None);
            }
            self.line += 1;
            if n > self.limit {
                return Ok(Some(RowEvent::Bad {
                    line: self.line,
                    reason: format!(
                        "the line is {n} bytes, longer than the limit of {} (--max-record-bytes); it is set aside unread",
                        self.limit
                    ),
                }));
            }
            let mut bytes: &[u8] = &self.buf;
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let (text, recoded_all) = match std::str::from_utf8(bytes) {
                Ok(s) => (std::borrow::Cow::Borrowed(s), false),
                Err(_) => (std::borrow::Cow::Owned(decode_cp1252(bytes)), true),
            };
            // Values are read raw, so a number is kept as written (`1e400` is text to validate,
            // not a JSON error that costs the row) and only the fields we use are decoded.
            let object = match serde_json::from_str::<std::collections::BTreeMap<String, &serde_json::value::RawValue>>(&text) {
                Ok(o) => o,
                Err(e) if e.classify() == serde_json::error::Category::Data => {
                    return Ok(Some(RowEvent::Bad { line: self.line, reason: "the line is JSON but not an object".into() }));
                }
                Err(e) => {
                    return Ok(Some(RowEvent::Bad { line: self.line, reason: format!("the line is not valid JSON: {}", json_reason(&e)) }));
                }
            };
            let columns = self.table.columns();
            let mut present = Vec::new();
            for (key, value) in object {
                let name = key.trim().to_ascii_lowercase();
                match columns.iter().position(|c| c.name == name) {
                    Some(c) => {
                        row.fields[c] = json_text(value);
                        present.push(c);
                    }
                    None => {
                        if self.seen_unknown.insert(name.clone()) {
                            if GROUND_TRUTH_COLUMNS.contains(&name.as_str()) {
                                summary.ground_truth_columns.push(key);
                            } else {
                                summary.ignored_columns.push(key);
                            }
                        }
                    }
                }
            }
            if recoded_all {
                row.recoded = present;
            }
            row.line = self.line;
            return Ok(Some(RowEvent::Row));
        }
    }
}

/// serde_json's message without its "at line 1 column N" (we parse one line at a time).
fn json_reason(e: &serde_json::Error) -> String {
    let message = e.to_string();
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
    format!("{message} (at character {})", e.column())
}

/// A JSON value as a cell's text: a string's contents, a number or `true`/`false` as written,
/// `null` as empty, an array's items joined by `;`, an object as its JSON.
fn json_text(v: &serde_json::value::RawValue) -> String {
    let raw = v.get();
    match raw.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(raw).unwrap_or_default(),
        Some(b'[') => serde_json::from_str::<Vec<&serde_json::value::RawValue>>(raw)
            .map(|items| items.into_iter().map(json_text).collect::<Vec<_>>().join(";"))
            .unwrap_or_default(),
        Some(b'n') if raw == "null" => String::new(),
        _ => raw.to_string(),
    }
}

struct ParquetRows {
    path: PathBuf,
    names: Vec<String>,
    map: Vec<Option<usize>>,
    rows: parquet::record::reader::RowIter<'static>,
    row: u64,
    progress: Progress,
    bytes_per_row: u64,
    /// Text decoded so far, and the most the file may decode to ([`Limits::max_decoded_bytes`]).
    decoded: u64,
    max_decoded: u64,
    size: u64,
}

impl ParquetRows {
    fn new(path: &Path, file: File, progress: Progress, limits: &Limits) -> Result<ParquetRows, Error> {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        let perr = |e: parquet::errors::ParquetError| Error::new(ErrorKind::Parquet(e), path, None);
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let damaged = |why: String| Error::new(ErrorKind::Damaged(format!("{why}; the file is damaged")), path, None);
        crate::thrift_check::check_footer(&file, size).map_err(damaged)?;
        let probe = file.try_clone().map_err(|e| Error::new(ErrorKind::Io(e), path, None))?;
        let reader = guarded(path, None, || SerializedFileReader::new(StrictFile(file)).map_err(perr))?;
        let meta = reader.metadata();
        // The parquet crate asserts (panics) on a column chunk whose offsets are negative, and
        // trusts them to lie within the file: check them first (found by fuzzing).
        for (g, group) in meta.row_groups().iter().enumerate() {
            for c in group.columns() {
                let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset());
                let (data, len) = (c.data_page_offset(), c.compressed_size());
                let fits = start >= 0 && data >= 0 && len >= 0 && (start as u64).saturating_add(len as u64) <= size;
                if !fits {
                    return Err(Error::new(
                        ErrorKind::Damaged(format!(
                            "row group {g}, column {}: the metadata places the column outside the file (offset {start}, length {len}, file {size} bytes); the file is damaged",
                            crate::limits::cut(&c.column_path().string())
                        )),
                        path,
                        None,
                    ));
                }
            }
        }
        let max_decoded = limits.max_decoded_bytes(size);
        // What the pages say they decompress to, before any is decompressed.
        let pages: u64 = meta
            .row_groups()
            .iter()
            .flat_map(|g| g.columns())
            .map(|c| u64::try_from(c.uncompressed_size()).unwrap_or(u64::MAX))
            .fold(0, u64::saturating_add);
        if pages > max_decoded {
            return Err(Error::new(ErrorKind::Limit(expansion_message(size, pages, max_decoded)), path, None));
        }
        // A dictionary page's header says how many values it holds, and the crate allocates
        // that many before reading them: 1.6 billion claimed by a 2 KB file is 38 GB (found by
        // fuzzing). Every value takes at least a byte of the page, so check each dictionary's
        // claim against its page before the rows are read. Each page's header is checked
        // before the crate reads it (thrift_check.rs): a hostile header costs it bounded work.
        guarded(path, None, || {
            use parquet::column::page::Page;
            for g in 0..reader.num_row_groups() {
                let group = reader.get_row_group(g).map_err(perr)?;
                for c in 0..group.num_columns() {
                    let chunk = group.metadata().column(c);
                    let start = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset());
                    // Both checked above to lie within the file.
                    let mut walk = crate::thrift_check::PageWalk::new(&probe, start as u64, chunk.compressed_size() as u64);
                    let mut pages = group.get_column_page_reader(c).map_err(perr)?;
                    let checked = |walk: &mut crate::thrift_check::PageWalk| {
                        walk.next().map_err(|why| {
                            damaged(format!("row group {g}, column {}: {why}", crate::limits::cut(&chunk.column_path().string())))
                        })
                    };
                    while let Some(page) = checked(&mut walk).and_then(|()| pages.get_next_page().map_err(perr))? {
                        if let Page::DictionaryPage { buf, num_values, .. } = &page {
                            if *num_values as usize > buf.len() {
                                return Err(Error::new(
                                    ErrorKind::Damaged(format!(
                                        "row group {g}, column {c}: a dictionary page claims {num_values} values in {} bytes; the file is damaged",
                                        buf.len()
                                    )),
                                    path,
                                    None,
                                ));
                            }
                        }
                    }
                }
            }
            Ok(())
        })?;
        let names: Vec<String> =
            meta.file_metadata().schema_descr().root_schema().get_fields().iter().map(|f| f.name().to_string()).collect();
        let total = meta.file_metadata().num_rows().max(1) as u64;
        let rows = parquet::record::reader::RowIter::from_file_into(Box::new(reader));
        Ok(ParquetRows {
            path: path.to_path_buf(),
            names,
            map: Vec::new(),
            rows,
            row: 0,
            progress,
            bytes_per_row: size / total,
            decoded: 0,
            max_decoded,
            size,
        })
    }

    fn next_row(&mut self, out: &mut RawRow) -> Result<Option<RowEvent>, Error> {
        let (path, at) = (self.path.clone(), self.row + 1);
        let rows = &mut self.rows;
        let Some(row) = guarded(&path, Some(at), || Ok(rows.next()))? else { return Ok(None) };
        self.row += 1;
        self.progress.add(self.bytes_per_row);
        let row = row.map_err(|e| Error::new(ErrorKind::Parquet(e), &self.path, Some(self.row)))?;
        let mut cells: Vec<String> = guarded(&path, Some(at), || Ok(row.get_column_iter().map(|(_, f)| parquet_text(f)).collect()))?;
        // Dictionary and run-length encodings can repeat one small value millions of times:
        // count what the rows decode to, not what the pages hold.
        // A row counts at least ROW_COST bytes: what its line in rejects.csv may cost, so that
        // the limit bounds what the file can make Conduct write, not only what it holds.
        self.decoded += cells.iter().map(|c| c.len() as u64 + 1).sum::<u64>().max(ROW_COST);
        if self.decoded > self.max_decoded {
            let m = expansion_message(self.size, self.decoded, self.max_decoded);
            return Err(Error::new(ErrorKind::Limit(m), &self.path, Some(self.row)));
        }
        for (c, slot) in self.map.iter().enumerate() {
            if let Some(i) = *slot {
                out.fields[c] = std::mem::take(&mut cells[i]);
            }
        }
        out.line = self.row;
        Ok(Some(RowEvent::Row))
    }
}

/// The export as the parquet crate reads it, except that a read past the end of the file is an
/// error rather than an empty read.
///
/// The crate skips the fields of a page header it does not know by copying their declared
/// length from the reader into nothing, and a copy stops quietly at the end of the file. So a
/// header declaring a list of two billion eight-byte values went on skipping at the end of the
/// file, one empty read at a time, for as long as the list claimed: a 1.5 KB file held the
/// import for more than twenty minutes (found by fuzzing in CI). Every reader the crate takes
/// from here reads a page header or the footer, both of which must lie whole within the file,
/// so an early end is always damage.
struct StrictFile(File);

impl parquet::file::reader::Length for StrictFile {
    fn len(&self) -> u64 {
        parquet::file::reader::Length::len(&self.0)
    }
}

impl parquet::file::reader::ChunkReader for StrictFile {
    type T = EndIsDamage<BufReader<File>>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        parquet::file::reader::ChunkReader::get_read(&self.0, start).map(EndIsDamage)
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        parquet::file::reader::ChunkReader::get_bytes(&self.0, start, length)
    }
}

/// A reader whose end is an error ([`StrictFile`]).
struct EndIsDamage<R>(R);

impl<R: Read> Read for EndIsDamage<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.read(buf)? {
            0 if !buf.is_empty() => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the file ends inside a page header: it declares more than the file holds",
            )),
            n => Ok(n),
        }
    }
}

/// The least a decoded row counts against [`Limits::max_decoded_bytes`].
pub(crate) const ROW_COST: u64 = 256;

fn expansion_message(size: u64, decoded: u64, max: u64) -> String {
    format!(
        "the file ({size} bytes) decodes to more than {max} bytes ({decoded} so far), past the limit \
         (--max-expansion times its size, or the floor for small files): refused whole as a likely decompression \
         bomb; raise --max-expansion if the export is genuine"
    )
}

/// Runs a step of the parquet crate, turning a panic inside it into an error naming the file:
/// a damaged or hostile file must cost the import that file, never the process.
fn guarded<T>(path: &Path, line: Option<u64>, step: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)) {
        Ok(r) => r,
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no reason given".into());
            Err(Error::new(
                ErrorKind::Damaged(format!("the Parquet reader failed on this file ({}); the file is damaged", crate::limits::cut(&why))),
                path,
                line,
            ))
        }
    }
}

/// A Parquet date (days since 1970-01-01) as text for validation: ISO 8601 when it lies in the
/// years a record may carry, otherwise the true calendar date (`70417-09-04`), which the date
/// check then rejects by name rather than a year wrapped into range being accepted.
fn date_text(days: i64) -> String {
    match conduct_domain::Date::checked_from_days_since_epoch(days) {
        Some(d) => d.to_string(),
        None => {
            let (y, m, d) = conduct_domain::date::civil_from_days(days);
            format!("{y:04}-{m:02}-{d:02}")
        }
    }
}

fn parquet_text(f: &parquet::record::Field) -> String {
    use parquet::record::Field;
    match f {
        Field::Null => String::new(),
        Field::Str(s) => s.clone(),
        Field::Bytes(b) => match std::str::from_utf8(b.data()) {
            Ok(s) => s.to_string(),
            Err(_) => decode_cp1252(b.data()),
        },
        Field::Date(days) => date_text(i64::from(*days)),
        Field::TimestampMillis(ms) => date_text(ms.div_euclid(86_400_000)),
        Field::TimestampMicros(us) => date_text(us.div_euclid(86_400_000_000)),
        Field::ListInternal(list) => list.elements().iter().map(parquet_text).collect::<Vec<_>>().join(";"),
        other => other.to_string(),
    }
}

/// Writes rows of optional strings as a Parquet file with one optional UTF-8 column per name
/// (used by the tests of the Parquet reader, to write an export in that format).
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be created, [`ErrorKind::Write`] (its source the
/// Parquet error) when a column name makes no valid schema or the rows cannot be written.
pub fn write_parquet_strings(path: &Path, columns: &[&str], rows: &[Vec<Option<String>>]) -> Result<(), Error> {
    use parquet::data_type::{ByteArray, ByteArrayType};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    let perr = |e: parquet::errors::ParquetError| Error::new(ErrorKind::Write(Box::new(e)), path, None);
    let schema = format!("message conduct {{ {} }}", columns.iter().map(|c| format!("optional binary {c} (UTF8);")).collect::<String>());
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).map_err(perr)?);
    let file = File::create(path).map_err(|e| Error::new(ErrorKind::Io(e), path, None))?;
    let props = Arc::new(WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build());
    let mut writer = SerializedFileWriter::new(file, schema, props).map_err(perr)?;
    for chunk in rows.chunks(100_000) {
        let mut group = writer.next_row_group().map_err(perr)?;
        let mut c = 0;
        while let Some(mut col) = group.next_column().map_err(perr)? {
            let mut values = Vec::new();
            let mut defs = Vec::with_capacity(chunk.len());
            for row in chunk {
                match row.get(c).and_then(|v| v.as_ref()) {
                    Some(v) => {
                        values.push(ByteArray::from(v.as_str()));
                        defs.push(1);
                    }
                    None => defs.push(0),
                }
            }
            col.typed::<ByteArrayType>().write_batch(&values, Some(&defs), None).map_err(perr)?;
            col.close().map_err(perr)?;
            c += 1;
        }
        group.close().map_err(perr)?;
    }
    writer.close().map_err(perr)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded(limit: usize) -> Bounded<()> {
        Bounded { inner: (), limit, state: CsvState::FieldStart, record_bytes: 0, offset: 0, line: 1, record_line: 1, over: None }
    }

    /// Everything a scan leaves behind, to compare two scans by.
    fn after(b: &Bounded<()>) -> String {
        format!("{:?} {} {} {} {} {:?}", b.state, b.record_bytes, b.offset, b.line, b.record_line, b.over)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The scan that skips runs with memchr stops where following every byte stops, and
        /// leaves the same state (record length, line, quotes, the overlong record's lines and
        /// offset), however the file is cut into reads: CSV of quotes, doubled quotes, commas,
        /// CR, LF and CRLF inside and outside quotes, and limits short and long.
        #[test]
        fn skipping_runs_scans_as_following_every_byte_does(
            text in proptest::collection::vec(proptest::sample::select(b"ab,,\"\"\n\r".to_vec()), 0..300),
            limit in 1usize..40,
            cuts in proptest::collection::vec(1usize..64, 1..20),
        ) {
            let (mut fast, mut each) = (bounded(limit), bounded(limit));
            let mut at = 0;
            for cut in cuts.iter().cycle() {
                if at >= text.len() {
                    break;
                }
                let chunk = &text[at..(at + cut).min(text.len())];
                let (f, e) = (fast.scan(chunk), each.scan_each(chunk, 0));
                proptest::prop_assert_eq!(f, e);
                proptest::prop_assert_eq!(after(&fast), after(&each));
                if fast.over.is_some() {
                    break;
                }
                fast.offset += f as u64;
                each.offset += e as u64;
                at += chunk.len();
            }
        }
    }

    #[test]
    fn windows_1252_bytes_decode() {
        assert_eq!(decode_cp1252(b"caf\xe9 \x80 \x93\x96"), "café € “–");
    }

    /// Regression: a Parquet date column holding 25,000,000 days (the year 70,417) was read as
    /// a date in the year 4,881 (its year wrapped into an `i16`) and imported as valid; a
    /// timestamp of many millennia was cut to an `i32` day count first. Such a value now reads
    /// as its true date, which the date check rejects by name.
    #[test]
    fn parquet_date_far_past_9999_was_wrapped_into_a_valid_year() {
        assert_eq!(date_text(19_631), "2023-10-01");
        assert_eq!(date_text(25_000_000), "70417-09-04");
        assert!(conduct_domain::Date::parse(&date_text(25_000_000)).is_err());
        assert!(conduct_domain::Date::parse(&date_text(i64::from(i32::MIN))).is_err());
        let millis = 25_000_000i64 * 86_400_000;
        assert_eq!(parquet_text(&parquet::record::Field::TimestampMillis(millis)), "70417-09-04");
        assert_eq!(parquet_text(&parquet::record::Field::TimestampMicros(i64::MAX)), date_text(i64::MAX / 86_400_000_000));
    }

    #[test]
    fn formats_are_detected_by_extension_then_content() {
        assert_eq!(Format::detect(Path::new("a.parquet"), b""), Format::Parquet);
        assert_eq!(Format::detect(Path::new("a.JSONL"), b""), Format::JsonLines);
        assert_eq!(Format::detect(Path::new("a.csv"), b"{"), Format::Csv);
        assert_eq!(Format::detect(Path::new("export"), b"PAR1"), Format::Parquet);
        assert_eq!(Format::detect(Path::new("export"), b" {\"a\""), Format::JsonLines);
        assert_eq!(Format::detect(Path::new("export"), b"force,"), Format::Csv);
    }

    fn read_all(text: &[u8], ext: &str) -> (Vec<RawRow>, Vec<(u64, String)>, FileSummary) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("incidents.{ext}"));
        std::fs::write(&path, text).unwrap();
        let (mut source, mut summary) = Source::open(&path, Table::Incidents, &Progress::default(), &Limits::default()).unwrap();
        let (mut rows, mut bad) = (Vec::new(), Vec::new());
        let mut row = RawRow::default();
        while let Some(event) = source.next_row(&mut row, &mut summary).unwrap() {
            match event {
                RowEvent::Row => {
                    rows.push(RawRow { line: row.line, fields: row.fields.clone(), recoded: row.recoded.clone(), nul_removed: Vec::new() })
                }
                RowEvent::Bad { line, reason } => bad.push((line, reason)),
            }
        }
        (rows, bad, summary)
    }

    #[test]
    fn headers_are_case_insensitive_in_any_order_with_a_bom() {
        let (rows, bad, summary) = read_all(b"\xef\xbb\xbfOFFENCE_CODE,Incident_Ref,Force,notes\n8L,A1,Kent,x\n", "csv");
        assert!(bad.is_empty());
        assert_eq!(rows[0].fields[0], "Kent");
        assert_eq!(rows[0].fields[1], "A1");
        assert_eq!(rows[0].fields[4], "8L");
        assert_eq!(summary.ignored_columns, ["notes"]);
        assert!(summary.notes.iter().any(|n| n.contains("recorded_date")), "{:?}", summary.notes);
    }

    #[test]
    fn an_unterminated_quote_costs_one_line() {
        let text = b"force,incident_ref,recorded_date,offence_code\nKent,A1,2023-01-01,8L\nKent,\"A2,2023-01-02,8L\nKent,A3,2023-01-03,8L\nKent,A4,2023-01-04,8L\n";
        let (rows, bad, _) = read_all(text, "csv");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 3);
        let refs: Vec<&str> = rows.iter().map(|r| r.fields[1].as_str()).collect();
        assert_eq!(refs, ["A1", "A3", "A4"]);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4, 5]);
    }

    #[test]
    fn crlf_line_numbers_are_right() {
        let text = b"force,incident_ref\r\nKent,A1\r\nKent,\"multi\r\nline\"\r\nKent,A3\r\n";
        let (rows, _, _) = read_all(text, "csv");
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 5]);
    }

    #[test]
    fn json_values_of_any_type_become_text() {
        let text = b"{\"force\":\"Kent\",\"incident_ref\":12,\"linked_refs\":[\"A\",\"B\"],\"cyber\":true,\"narrative\":null}\n\n{bad\n";
        let (rows, bad, _) = read_all(text, "jsonl");
        assert_eq!(rows[0].fields[1], "12");
        assert_eq!(rows[0].fields[8], "A;B");
        assert_eq!(rows[0].fields[7], "true");
        assert_eq!(rows[0].fields[11], "");
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 3, "blank lines are skipped but counted as lines");
    }
}

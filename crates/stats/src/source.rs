//! Where the rows of a published table come from: a CSV file, or the sheets of an `.ods` or
//! `.xlsx` workbook read with [`calamine`]. Both give rows of text cells with the number a
//! person would look the row up by (the CSV line, the spreadsheet row), so the table reader in
//! [`crate::published`] handles every format the same way.
//!
//! A workbook is a zip archive: before it is opened, the sizes its entries declare are checked
//! against [`MAX_SPREADSHEET_BYTES`] and [`MAX_EXPANSION`], so a small file cannot unpack into
//! gigabytes (the zip reader refuses to inflate an entry past its declared size).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use calamine::{Data, Range, Reader};

use crate::error::{Error, ErrorKind};

/// The largest workbook file read (512 MiB): the published tables are tens of megabytes.
pub const MAX_SPREADSHEET_BYTES: u64 = 512 * 1024 * 1024;
/// A workbook may unpack to at most this many times its size (or [`MIN_EXPANSION_ALLOWANCE`],
/// whichever is larger): spreadsheet XML compresses about ten- to thirty-fold.
pub const MAX_EXPANSION: u64 = 200;
/// The unpacked size a small workbook may always reach (16 MiB).
pub const MIN_EXPANSION_ALLOWANCE: u64 = 16 * 1024 * 1024;
/// The most a workbook may unpack to, whatever its size (4 GiB).
pub const MAX_UNPACKED_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// The most cells the used area of one `.xlsx` sheet may span (25 million): a full Excel sheet
/// of 1,048,576 rows is 23 columns of it, and the published tables have at most 12 columns.
pub const MAX_SHEET_CELLS: u64 = 25_000_000;

/// The format of a published table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values.
    Csv,
    /// OpenDocument spreadsheet (`.ods`), as the recorded-crime tables are published.
    Ods,
    /// Office Open XML workbook (`.xlsx`).
    Xlsx,
}

impl Format {
    /// The format's name as messages write it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Ods => "ODS",
            Format::Xlsx => "XLSX",
        }
    }

    /// The format of `path`: by its extension (`.ods`, `.xlsx`/`.xlsm`, `.csv`), else by its
    /// first bytes (a zip archive holding an OpenDocument `mimetype` is ODS, another zip is
    /// XLSX, anything else is read as CSV).
    pub(crate) fn of(path: &Path) -> Result<Format, Error> {
        // A device or a pipe would be read for ever: only regular files are tables.
        let meta = std::fs::metadata(path).map_err(|e| Error::new(ErrorKind::Io(e)).in_file(path))?;
        if !meta.is_file() {
            return Err(Error::new(ErrorKind::TooLarge(format!("{} is not a regular file", path.display()))).in_file(path));
        }
        let old_excel = || {
            Error::new(ErrorKind::Spreadsheet(
                "an Excel 97-2003 (.xls) or binary (.xlsb) workbook is not read: save it as .xlsx or .ods".into(),
            ))
            .in_file(path)
        };
        let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("ods") => return Ok(Format::Ods),
            Some("xlsx" | "xlsm") => return Ok(Format::Xlsx),
            Some("csv" | "txt") => return Ok(Format::Csv),
            Some("xls" | "xlsb") => return Err(old_excel()),
            _ => {}
        }
        let mut head = [0u8; 4];
        let n = File::open(path).and_then(|mut f| read_up_to(&mut f, &mut head)).map_err(|e| Error::new(ErrorKind::Io(e)).in_file(path))?;
        if head[..n] == [0xd0, 0xcf, 0x11, 0xe0] {
            return Err(old_excel());
        }
        if head[..n] != *b"PK\x03\x04" {
            return Ok(Format::Csv);
        }
        let file = File::open(path).map_err(|e| Error::new(ErrorKind::Io(e)).in_file(path))?;
        let is_ods = zip::ZipArchive::new(BufReader::new(file))
            .ok()
            .and_then(|mut z| {
                let mut m = String::new();
                z.by_name("mimetype").ok()?.take(100).read_to_string(&mut m).ok()?;
                Some(m.trim() == "application/vnd.oasis.opendocument.spreadsheet")
            })
            .unwrap_or(false);
        Ok(if is_ods { Format::Ods } else { Format::Xlsx })
    }
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// One row of a table: its cells as text, and the number a person finds it by (the CSV line,
/// or the spreadsheet row, both from 1).
pub(crate) struct Row {
    pub(crate) line: u64,
    pub(crate) cells: csv::StringRecord,
}

/// What reading the next row gave.
pub(crate) enum Next {
    /// A row.
    Row,
    /// A row that could not be read (bad UTF-8 in a CSV line): rejected, and reading goes on.
    Bad(Error),
    /// No more rows.
    End,
}

/// The rows of one CSV file or one sheet.
pub(crate) enum Rows {
    Csv { rdr: Box<csv::Reader<BufReader<File>>>, path: std::path::PathBuf },
    Sheet { range: Range<Data>, next: usize, first_row: u64 },
}

impl Rows {
    /// The rows of a CSV file.
    pub(crate) fn csv(path: &Path) -> Result<Rows, Error> {
        let file = File::open(path).map_err(|e| Error::new(ErrorKind::Io(e)).in_file(path))?;
        let rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(BufReader::new(file));
        Ok(Rows::Csv { rdr: Box::new(rdr), path: path.to_path_buf() })
    }

    /// Reads the next row into `row`.
    pub(crate) fn next(&mut self, row: &mut Row) -> Result<Next, Error> {
        match self {
            Rows::Csv { rdr, path } => match rdr.read_record(&mut row.cells) {
                Ok(true) => {
                    row.line = row.cells.position().map_or(0, |p| p.line());
                    Ok(Next::Row)
                }
                Ok(false) => Ok(Next::End),
                // A malformed row (bad UTF-8, say): reject it and read on; a broken file stops.
                Err(e) if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) => {
                    let line = e.position().map_or(0, |p| p.line());
                    row.line = line;
                    Ok(Next::Bad(Error::new(ErrorKind::Csv(e)).in_file(path).at(line, "")))
                }
                Err(e) => Err(Error::new(ErrorKind::Csv(e)).in_file(path)),
            },
            Rows::Sheet { range, next, first_row } => {
                let Some(cells) = range.rows().nth(*next) else { return Ok(Next::End) };
                row.line = *first_row + *next as u64;
                *next += 1;
                row.cells.clear();
                let mut text = String::new();
                for c in cells {
                    text.clear();
                    if !matches!(c, Data::Empty) {
                        use std::fmt::Write as _;
                        let _ = write!(text, "{c}");
                    }
                    row.cells.push_field(&text);
                }
                Ok(Next::Row)
            }
        }
    }
}

/// A workbook's sheets, by name, each read when asked for.
pub(crate) struct Workbook {
    sheets: calamine::Sheets<BufReader<File>>,
    path: std::path::PathBuf,
}

fn spreadsheet_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Spreadsheet(e.to_string())).in_file(path)
}

/// The spreadsheet reader's own error, kept as the source.
fn workbook_error(path: &Path, e: impl Into<calamine::Error>) -> Error {
    Error::new(ErrorKind::Workbook(Box::new(e.into()))).in_file(path)
}

/// Runs a call into the spreadsheet reader, turning a panic in it into an error naming the
/// file: a malformed workbook must not stop the program.
fn guarded<T>(path: &Path, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(spreadsheet_error(path, "the spreadsheet reader failed on this file")))
}

impl Workbook {
    /// Opens a workbook after checking what it would unpack to.
    pub(crate) fn open(path: &Path, format: Format) -> Result<Workbook, Error> {
        let io = |e: std::io::Error| Error::new(ErrorKind::Io(e)).in_file(path);
        let file = File::open(path).map_err(io)?;
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(Error::new(ErrorKind::TooLarge(format!("{} is not a regular file", path.display()))).in_file(path));
        }
        let size = meta.len();
        if size > MAX_SPREADSHEET_BYTES {
            return Err(Error::new(ErrorKind::TooLarge(format!(
                "the workbook is {size} bytes, over the {MAX_SPREADSHEET_BYTES}-byte limit for a spreadsheet"
            )))
            .in_file(path));
        }
        let mut reader = BufReader::new(file);
        check_unpacked_size(path, &mut reader, size)?;
        reader.rewind().map_err(io)?;
        if format == Format::Ods {
            check_ods_cells(path, &mut reader)?;
            reader.rewind().map_err(io)?;
        }
        let sheets = guarded(path, || match format {
            Format::Ods => calamine::open_workbook_from_rs(reader).map(calamine::Sheets::Ods).map_err(|e| workbook_error(path, e)),
            _ => calamine::open_workbook_from_rs(reader).map(calamine::Sheets::Xlsx).map_err(|e| workbook_error(path, e)),
        })?;
        Ok(Workbook { sheets, path: path.to_path_buf() })
    }

    /// The names of the sheets, in workbook order, each with whether it is a worksheet (a chart,
    /// dialog or macro sheet holds no table).
    pub(crate) fn sheet_names(&self) -> Vec<(String, bool)> {
        self.sheets.sheets_metadata().iter().map(|s| (s.name.clone(), s.typ == calamine::SheetType::WorkSheet)).collect()
    }

    /// The rows of one sheet. An `.xlsx` sheet is read cell by cell and refused when its cells
    /// span more than [`MAX_SHEET_CELLS`] (calamine would allocate the whole span); calamine's
    /// `.ods` reader caps a sheet at 100 million cells itself.
    pub(crate) fn rows(&mut self, name: &str) -> Result<Rows, Error> {
        let path = self.path.clone();
        let sheets = &mut self.sheets;
        let range = guarded(&path, || match sheets {
            calamine::Sheets::Xlsx(x) => xlsx_range(x, &path, name),
            other => other.worksheet_range(name).map_err(|e| workbook_error(&path, e).in_sheet(name)),
        })?;
        let first_row = range.start().map_or(1, |(r, _)| u64::from(r) + 1);
        Ok(Rows::Sheet { range, next: 0, first_row })
    }
}

/// The cells of an `.xlsx` sheet, read one by one so that their span is known before anything
/// the size of the span is allocated: a sheet with a cell in A1 and one in XFD1048576 is a
/// kilobyte of XML, and calamine's `worksheet_range` would allocate 17 billion cells for it
/// (the process aborted, out of memory).
fn xlsx_range<RS: Read + Seek>(x: &mut calamine::Xlsx<RS>, path: &Path, name: &str) -> Result<Range<Data>, Error> {
    let err = |e: calamine::XlsxError| workbook_error(path, e).in_sheet(name);
    let mut reader = x.worksheet_cells_reader(name).map_err(err)?;
    let mut cells = Vec::new();
    let (mut top, mut bottom, mut left, mut right) = (u32::MAX, 0, u32::MAX, 0);
    while let Some(cell) = reader.next_cell().map_err(err)? {
        if matches!(cell.get_value(), calamine::DataRef::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        (top, bottom, left, right) = (top.min(row), bottom.max(row), left.min(column), right.max(column));
        let span = (u64::from(bottom - top) + 1) * (u64::from(right - left) + 1);
        if span > MAX_SHEET_CELLS {
            return Err(Error::new(ErrorKind::TooLarge(format!(
                "the sheet's cells span rows {} to {} and columns {} to {} ({span} cells), over the limit of \
                 {MAX_SHEET_CELLS} cells for a sheet",
                top + 1,
                bottom + 1,
                left + 1,
                right + 1
            )))
            .in_file(path)
            .in_sheet(name));
        }
        cells.push(calamine::Cell::new((row, column), Data::from(cell.get_value().clone())));
    }
    Ok(Range::from_sparse(cells))
}

/// Refuses an `.ods` workbook whose sheets together span more than [`MAX_SHEET_CELLS`] cells:
/// calamine reads every sheet of an `.ods` when it opens it, repeating a row or a cell as many
/// times as `table:number-rows-repeated` and `table:number-columns-repeated` say, so a
/// kilobyte of XML can ask for a hundred million cells (gigabytes). The span is counted here
/// from those attributes as calamine counts it, streaming `content.xml`, before calamine
/// allocates anything: from a sheet's first row with a value to its last, times its widest row
/// up to its last cell with a value (a cell written as an element with content, or with a value
/// type, counts; empty rows and cells at the end of a sheet or row do not, as in calamine).
fn check_ods_cells<R: Read + Seek>(path: &Path, reader: &mut R) -> Result<(), Error> {
    use quick_xml::events::Event;
    const MAX_ROWS: u64 = 1_048_576;
    const MAX_COLUMNS: u64 = 16_384;
    let bad = |e: &dyn std::fmt::Display| spreadsheet_error(path, format!("not a spreadsheet: {e}"));
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| bad(&e))?;
    // No content: calamine says what is missing.
    let Ok(content) = zip.by_name("content.xml") else { return Ok(()) };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(content));
    let repeats = |e: &quick_xml::events::BytesStart, name: &str| -> u64 {
        e.try_get_attribute(name).ok().flatten().and_then(|a| a.value.trim().parse().ok()).unwrap_or(1)
    };
    let mut buf = Vec::new();
    let mut total: u64 = 0;
    let mut sheet = String::new();
    // The sheet: rows so far, its first and last rows with a value (end exclusive), its width.
    let (mut rows, mut first, mut last, mut width) = (0u64, None::<u64>, 0u64, 0u64);
    // The row: its repeat count, the column reached, the end of its last cell with a value.
    let (mut repeat, mut column, mut row_width) = (1u64, 0u64, 0u64);
    loop {
        let event = xml.read_event_into(&mut buf).map_err(|e| bad(&e))?;
        let is_start = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                "table:table" if is_start => {
                    sheet = e.try_get_attribute("table:name").ok().flatten().map(|a| a.value.into_owned()).unwrap_or_default();
                    (rows, first, last, width) = (0, None, 0, 0);
                }
                "table:table-row" if is_start => {
                    repeat = repeats(&e, "table:number-rows-repeated").min(MAX_ROWS.saturating_sub(rows));
                    (column, row_width) = (0, 0);
                }
                "table:table-cell" | "table:covered-table-cell" => {
                    column = column.saturating_add(repeats(&e, "table:number-columns-repeated")).min(MAX_COLUMNS);
                    if is_start || e.try_get_attribute("office:value-type").ok().flatten().is_some() {
                        row_width = column;
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                "table:table-row" => {
                    if row_width > 0 {
                        first.get_or_insert(rows);
                        last = rows + repeat;
                        width = width.max(row_width);
                    }
                    rows += repeat;
                }
                "table:table" => {
                    let cells = first.map_or(0, |f| (last - f).saturating_mul(width));
                    total = total.saturating_add(cells);
                    if total > MAX_SHEET_CELLS {
                        return Err(Error::new(ErrorKind::TooLarge(format!(
                            "the workbook's sheets span {total} cells up to sheet {sheet:?} ({cells} in it), over the \
                             limit of {MAX_SHEET_CELLS} cells (an .ods is read whole)"
                        )))
                        .in_file(path));
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// Refuses a workbook whose entries declare more unpacked bytes than [`MAX_EXPANSION`] times
/// its size (at least [`MIN_EXPANSION_ALLOWANCE`]) or [`MAX_UNPACKED_BYTES`]; the zip reader
/// then holds every entry to its declared size.
fn check_unpacked_size<R: Read + Seek>(path: &Path, reader: &mut R, size: u64) -> Result<(), Error> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| spreadsheet_error(path, format!("not a spreadsheet (zip archive): {e}")))?;
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(|e| spreadsheet_error(path, format!("not a spreadsheet (zip archive): {e}")))?;
        total = total.saturating_add(entry.size());
    }
    let allowed = size.saturating_mul(MAX_EXPANSION).clamp(MIN_EXPANSION_ALLOWANCE, MAX_UNPACKED_BYTES);
    if total > allowed {
        return Err(Error::new(ErrorKind::TooLarge(format!(
            "the workbook would unpack to {total} bytes from {size}, over the {allowed}-byte limit \
             ({MAX_EXPANSION} times its size, at least {MIN_EXPANSION_ALLOWANCE}, at most {MAX_UNPACKED_BYTES}): \
             refused as a likely decompression bomb"
        )))
        .in_file(path));
    }
    Ok(())
}

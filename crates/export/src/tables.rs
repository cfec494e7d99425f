//! Parquet: one file for each CSV that `conduct courses` writes (courses, course_summary,
//! triage, hidden_repeats, breaches, and any table it comes to write), for persons.csv, and,
//! for everything when the people were linked here, for the scored pairs (`conduct run`'s
//! link/pairs.csv).
//!
//! The CSV files are written by their owner, [`conduct_courses::Found::write`] (and
//! [`conduct_pipeline::Persons::write_csv`]), into a scratch folder for the selection, and each
//! is turned into Parquet row for row and column for column, so that the two never disagree.
//! Columns are typed by their name: dates (`date`, `*_date`) as `DATE` (Arrow's `date32`),
//! counts, ranks and day counts as `INT64`, flags (`hidden_repeat`, `victim_withdrew`) as
//! `BOOLEAN`, shares, match weights and probabilities as `DOUBLE`; an empty cell of a typed column is a null. A column whose
//! cells do not all read as its type, and any column of a name not known here, is kept as
//! text, and said so in [`Written::notes`]. Text is as the records hold it: the CSV files make
//! cells inert for spreadsheets with a leading apostrophe, which is taken off again
//! ([`conduct_domain::cell::restore`]); a Parquet file is not opened by a spreadsheet.
//!
//! The rows are those of the selection: every row of the CSV files when everything is
//! selected; otherwise the selected courses (triage ranks them within the selection), hidden
//! repeats counted over them, the breaches of the selected reports, and the persons rows of
//! the people in the selected reports.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use conduct_courses::Courses;
use conduct_domain::Date;
use conduct_domain::cell::restore;
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;

use crate::{Error, ErrorKind, Network, Written};

/// The type a column's name gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Type {
    Text,
    Int,
    Date,
    Flag,
    Share,
    /// A count of a published table: `INT64`, with `..` (a suppressed cell) a null beside a
    /// `BOOLEAN` column `Suppressed` that is true there.
    Count,
}

/// The type of a column called `name`.
fn type_of(name: &str) -> Type {
    const INT: [&str; 8] =
        ["rank", "reports", "linked_by_force", "hidden_repeats", "courses", "repeats", "cross_force_courses", "offences"];
    if name == "date" || name.ends_with("_date") {
        Type::Date
    } else if matches!(name, "hidden_repeat" | "victim_withdrew") {
        Type::Flag
    } else if ["_share", "_rate", "_weight", "_probability"].iter().any(|s| name.ends_with(s)) {
        Type::Share
    } else if INT.contains(&name)
        || ["courses_", "offences_", "reports_"].iter().any(|p| name.starts_with(p))
        || name.contains("days")
        || name.ends_with("_outcome")
        || name.ends_with("_after_report")
    {
        Type::Int
    } else {
        Type::Text
    }
}

/// The type of column `name` of the table `table` (a CSV file's stem): the tables of
/// `conduct stats` by their published headings, the rest ([`type_of`]) by the names Conduct
/// gives its columns (`line` of rejects.csv and warnings.csv is a count).
fn type_in(table: &str, name: &str) -> Type {
    const STATS_INT: [&str; 16] = [
        "Financial Quarter",
        "Outcome Type",
        "Suppressed Cells",
        "Year Before",
        "Change",
        "Earlier Number of Offences",
        "Charge/Summons",
        "Victim Does Not Support",
        "Rate Denominator",
        "Number of Outcomes",
        "SPOs Applied",
        "SPOs Granted",
        "Breaches Indicated",
        "Breaches Found By Analysis",
        "Number of Offences",
        "Incidents also recorded as stalking or harassment",
    ];
    match (table, name) {
        ("recorded" | "outcomes", "Number of Offences" | "Number of Outcomes")
        | ("outcomes", "Force outcomes for offences recorded in quarter" | "Force outcomes for offences closed in quarter") => Type::Count,
        ("recorded" | "outcomes" | "figures" | "outcome_groups" | "orders" | "coverage" | "also_recorded", _) => {
            if name.ends_with(" %") || name.ends_with("% Year Before") || matches!(name, "Per Day" | "Fold Change") {
                Type::Share
            } else if STATS_INT.contains(&name) {
                Type::Int
            } else {
                Type::Text
            }
        }
        (_, "line") => Type::Int,
        _ => type_of(name),
    }
}

/// A table read from a CSV file: its header and its rows of text.
struct Csv {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// The cells of one column: `None` is a null.
#[derive(Clone)]
enum Cells {
    Text(Vec<String>),
    /// A count with its suppressed cells (`..`) as nulls, and which they were.
    Count(Vec<Option<i64>>, Vec<Option<bool>>),
    Int(Vec<Option<i64>>),
    Date(Vec<Option<i32>>),
    Flag(Vec<Option<bool>>),
    Share(Vec<Option<f64>>),
}

/// Column `c` of `csv` as `ty`, or why not (the first cell that does not read as `ty`).
fn typed(csv: &Csv, c: usize, ty: Type) -> Result<Cells, String> {
    fn each<T>(csv: &Csv, c: usize, what: &str, f: impl Fn(&str) -> Option<T>) -> Result<Vec<Option<T>>, String> {
        csv.rows
            .iter()
            .map(|r| {
                let s = r[c].as_str();
                if s.is_empty() { Ok(None) } else { f(s).map(Some).ok_or_else(|| format!("{s:?} is not {what}")) }
            })
            .collect()
    }
    Ok(match ty {
        Type::Text => Cells::Text(csv.rows.iter().map(|r| r[c].clone()).collect()),
        Type::Int => Cells::Int(each(csv, c, "an integer", |s| s.parse().ok())?),
        Type::Date => Cells::Date(each(csv, c, "a date", |s| Date::parse(s).ok().map(Date::days_since_epoch))?),
        Type::Flag => Cells::Flag(each(csv, c, "true or false", |s| match s {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })?),
        Type::Share => Cells::Share(each(csv, c, "a number", |s| s.parse().ok())?),
        Type::Count => {
            let counts = each(csv, c, "a count or ..", |s| if s == ".." { Some(None) } else { s.parse().ok().map(Some) })?;
            let suppressed = counts.iter().map(|n| n.map(|n| n.is_none())).collect();
            Cells::Count(counts.into_iter().map(Option::flatten).collect(), suppressed)
        }
    })
}

/// Writes one Parquet file per CSV table of the selection into the folder `dir` (created if
/// need be): `persons.parquet`, `courses.parquet`, `course_summary.parquet`, ….
///
/// # Errors
///
/// [`ErrorKind::Write`] when the folder, the scratch CSV files or a Parquet file cannot be
/// written.
pub fn write_parquet(network: &Network, dir: &Path) -> Result<Written, Error> {
    let werr = |what: String| move |e: std::io::Error| Error::new(ErrorKind::Write, what.clone(), e);
    std::fs::create_dir_all(dir).map_err(werr(format!("creating {}", dir.display())))?;
    let scratch = tempfile::Builder::new()
        .prefix(".conduct-export-")
        .tempdir_in(dir)
        .map_err(werr(format!("creating a scratch folder in {}", dir.display())))?;
    write_csv(network, scratch.path())?;

    let mut names: Vec<String> = std::fs::read_dir(scratch.path())
        .map_err(werr(format!("listing {}", scratch.path().display())))?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".csv")).map(str::to_string))
        .collect();
    names.sort();
    let mut written = Written::default();
    for name in names {
        twin(&scratch.path().join(format!("{name}.csv")), &dir.join(format!("{name}.parquet")), network.title(), &mut written)?;
    }
    Ok(written)
}

/// Writes a Parquet twin of every CSV file in the folder `dir` (not below it), as `X.parquet`
/// beside `X.csv`, row for row and column for column, each column typed by the table it is in
/// and its name: the tables of `conduct stats` (recorded.csv, outcomes.csv, figures.csv,
/// outcome_groups.csv, orders.csv, coverage.csv, also_recorded.csv, rejects.csv), of the
/// import (rejects.csv, warnings.csv), of linkage (persons.csv, pairs.csv) and of `conduct
/// courses`. The published tables' counts are `INT64` with a suppressed cell (`..`) a null and
/// a `BOOLEAN` column `Suppressed` (true there) beside them; dates are `DATE`, flags
/// `BOOLEAN`, rates, shares and weights `DOUBLE`, the rest text. A column whose cells do not
/// all read as its type is kept as text and said so in [`Written::notes`]. `source` is stored
/// in each file's metadata (`conduct.selection`), saying what the table is of.
///
/// # Errors
///
/// [`ErrorKind::Write`] when the folder cannot be listed, a CSV file cannot be read back or a
/// Parquet file cannot be written; each names the file.
pub fn parquet_twins(dir: &Path, source: &str) -> Result<Written, Error> {
    let werr = |e: std::io::Error| Error::new(ErrorKind::Write, format!("listing {}", dir.display()), e);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(werr)?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix(".csv")).map(str::to_string))
        .collect();
    names.sort();
    let mut written = Written::default();
    for name in names {
        twin(&dir.join(format!("{name}.csv")), &dir.join(format!("{name}.parquet")), source, &mut written)?;
    }
    Ok(written)
}

/// Writes the CSV file `csv` as the Parquet file `out`, typing its columns by the file's stem
/// and their names ([`type_in`]).
fn twin(csv_path: &Path, out: &Path, source: &str, written: &mut Written) -> Result<(), Error> {
    let name = csv_path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let csv = read_csv(csv_path)?;
    let mut columns = Vec::new();
    for (c, column) in csv.header.iter().enumerate() {
        let cells = typed(&csv, c, type_in(name, column)).unwrap_or_else(|why| {
            written.notes.push(format!("{name}.{column}: kept as text ({why})"));
            Cells::Text(csv.rows.iter().map(|r| r[c].clone()).collect())
        });
        columns.push((column.clone(), cells));
    }
    // A published table's count: which of its cells were suppressed, in a column beside it.
    let mut at = 0;
    while at < columns.len() {
        if let Cells::Count(_, suppressed) = &mut columns[at].1 {
            let suppressed = std::mem::take(suppressed);
            columns.insert(at + 1, ("Suppressed".to_string(), Cells::Flag(suppressed)));
        }
        at += 1;
    }
    let columns: Vec<(&str, Cells)> = columns.iter().map(|(n, c)| (n.as_str(), c.clone())).collect();
    write_table(out, &columns, csv.rows.len(), source)?;
    written.files.push((out.to_path_buf(), csv.rows.len() as u64));
    Ok(())
}

/// Writes the CSV files of the selection into `dir`, by the code that writes them for
/// `conduct courses` (the timelines it writes beside them are not used).
fn write_csv(network: &Network, dir: &Path) -> Result<(), Error> {
    let analysis = network.analysis;
    let export = network.export;
    let name = |p: u32| analysis.persons.id(p);
    let werr = |e: &dyn std::error::Error| Error::message(ErrorKind::Write, format!("writing the CSV tables: {e}"));
    if network.all {
        analysis.found(export, &name).write(dir).map_err(|e| werr(&e))?;
        // The scored pairs, as `conduct run` writes link/pairs.csv (when linkage ran here).
        if let Some(linked) = &analysis.linked {
            linked.write_pairs(&dir.join("pairs.csv"), &export.people).map_err(|e| werr(&e))?;
        }
        return analysis.persons.write_csv(&dir.join("persons.csv"), &export.people).map_err(|e| werr(&e));
    }
    // The selected courses, their reviews and breaches, renumbered among themselves.
    let all = &analysis.courses;
    let mut courses =
        Courses { serial_suspects: all.serial_suspects.clone(), repeat_victims: all.repeat_victims.clone(), ..Courses::default() };
    courses.courses = network.courses.iter().map(|&c| all.courses[c].clone()).collect();
    let course_at: HashMap<usize, usize> = network.courses.iter().enumerate().map(|(k, &c)| (c, k)).collect();
    let breach_at: HashMap<usize, usize> = network.breaches.iter().enumerate().map(|(k, &b)| (b, k)).collect();
    let breaches: Vec<_> = network.breaches.iter().map(|&b| analysis.breaches[b].clone()).collect();
    let reviews: Vec<_> = analysis
        .reviews
        .iter()
        .filter_map(|r| {
            let &k = course_at.get(&r.course)?;
            let mut r = r.clone();
            r.course = k;
            r.breaches = r.breaches.iter().filter_map(|b| breach_at.get(b).copied()).collect();
            Some(r)
        })
        .collect();
    let mut found = analysis.found(export, &name);
    found.courses = &courses;
    found.breaches = &breaches;
    found.reviews = &reviews;
    found.write(dir).map_err(|e| werr(&e))?;

    let path = dir.join("persons.csv");
    let mut w = csv::Writer::from_path(&path).map_err(|e| werr(&e))?;
    w.write_record(["record_id", "person_id"]).map_err(|e| werr(&e))?;
    for &row in &network.people {
        let id = analysis.persons.id(analysis.persons.of_row()[row]);
        w.write_record([conduct_domain::cell::inert(&export.people[row].record_id).as_ref(), id.as_str()]).map_err(|e| werr(&e))?;
    }
    w.flush().map_err(|e| Error::new(ErrorKind::Write, format!("writing {}", path.display()), e))
}

/// Reads a CSV file written above, restoring the cells made inert for spreadsheets.
fn read_csv(path: &Path) -> Result<Csv, Error> {
    let err = |e: csv::Error| Error::new(ErrorKind::Write, format!("reading back {}", path.display()), e);
    let mut r = csv::Reader::from_path(path).map_err(err)?;
    let header = r.headers().map_err(err)?.iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|rec| rec.map(|rec| rec.iter().map(|c| restore(c).into_owned()).collect()))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    Ok(Csv { header, rows })
}

/// Rows per row group.
const GROUP: usize = 1 << 20;

/// Writes `columns` (each of `rows` cells) as the Parquet file `path`.
fn write_table(path: &Path, columns: &[(&str, Cells)], rows: usize, selection: &str) -> Result<(), Error> {
    let perr = |e: parquet::errors::ParquetError| Error::new(ErrorKind::Write, format!("writing {}", path.display()), e);
    // Built, not parsed from a message string: the published tables' headings have spaces,
    // `/` and `%` in them.
    let fields = columns
        .iter()
        .map(|(name, cells)| {
            use parquet::basic::{LogicalType, Repetition, Type as Physical};
            let (physical, logical, repetition) = match cells {
                Cells::Text(_) => (Physical::BYTE_ARRAY, Some(LogicalType::String), Repetition::REQUIRED),
                Cells::Int(_) | Cells::Count(..) => (Physical::INT64, None, Repetition::OPTIONAL),
                Cells::Date(_) => (Physical::INT32, Some(LogicalType::Date), Repetition::OPTIONAL),
                Cells::Flag(_) => (Physical::BOOLEAN, None, Repetition::OPTIONAL),
                Cells::Share(_) => (Physical::DOUBLE, None, Repetition::OPTIONAL),
            };
            parquet::schema::types::Type::primitive_type_builder(name, physical)
                .with_repetition(repetition)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(perr)?;
    let schema = Arc::new(parquet::schema::types::Type::group_type_builder("conduct").with_fields(fields).build().map_err(perr)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_key_value_metadata(Some(vec![KeyValue::new("conduct.selection".into(), selection.to_string())]))
            .build(),
    );
    let file = File::create(path).map_err(|e| Error::new(ErrorKind::Write, format!("creating {}", path.display()), e))?;
    let mut writer = SerializedFileWriter::new(file, schema, props).map_err(perr)?;
    let mut start = 0;
    // An empty table is still a file with its schema (and one empty row group).
    loop {
        let end = (start + GROUP).min(rows);
        let mut group = writer.next_row_group().map_err(perr)?;
        let mut c = 0;
        while let Some(mut col) = group.next_column().map_err(perr)? {
            fn split<T: Copy>(v: &[Option<T>]) -> (Vec<T>, Vec<i16>) {
                (v.iter().flatten().copied().collect(), v.iter().map(|x| i16::from(x.is_some())).collect())
            }
            match &columns[c].1 {
                Cells::Text(v) => {
                    let values: Vec<ByteArray> = v[start..end].iter().map(|s| ByteArray::from(s.as_str())).collect();
                    col.typed::<ByteArrayType>().write_batch(&values, None, None).map_err(perr)?;
                }
                Cells::Int(v) => {
                    let (values, defs) = split(&v[start..end]);
                    col.typed::<Int64Type>().write_batch(&values, Some(&defs), None).map_err(perr)?;
                }
                Cells::Date(v) => {
                    let (values, defs) = split(&v[start..end]);
                    col.typed::<Int32Type>().write_batch(&values, Some(&defs), None).map_err(perr)?;
                }
                Cells::Flag(v) => {
                    let (values, defs) = split(&v[start..end]);
                    col.typed::<BoolType>().write_batch(&values, Some(&defs), None).map_err(perr)?;
                }
                Cells::Share(v) => {
                    let (values, defs) = split(&v[start..end]);
                    col.typed::<DoubleType>().write_batch(&values, Some(&defs), None).map_err(perr)?;
                }
                Cells::Count(v, _) => {
                    let (values, defs) = split(&v[start..end]);
                    col.typed::<Int64Type>().write_batch(&values, Some(&defs), None).map_err(perr)?;
                }
            }
            col.close().map_err(perr)?;
            c += 1;
        }
        group.close().map_err(perr)?;
        start = end;
        if start >= rows {
            break;
        }
    }
    writer.close().map_err(perr)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Type, type_of};

    #[test]
    fn columns_are_typed_by_name() {
        for (name, ty) in [
            ("date", Type::Date),
            ("first_date", Type::Date),
            ("victim_withdrew_date", Type::Date),
            ("rank", Type::Int),
            ("reports", Type::Int),
            ("hidden_repeats", Type::Int),
            ("courses_victim_withdrew", Type::Int),
            ("reports_since_withdrawal", Type::Int),
            ("victim_withdrew_days_after_first", Type::Int),
            ("hidden_repeat", Type::Flag),
            ("victim_withdrew", Type::Flag),
            ("hidden_share", Type::Share),
            ("course_withdrawal_share", Type::Share),
            ("match_weight", Type::Share),
            ("match_probability", Type::Share),
            ("record_id_l", Type::Text),
            ("course_id", Type::Text),
            ("person_id", Type::Text),
            ("reasons", Type::Text),
            ("flags", Type::Text),
        ] {
            assert_eq!(type_of(name), ty, "{name}");
        }
    }
}

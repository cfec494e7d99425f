//! The encodings file: Parquet, one row per record, the settings in the file's metadata.
//!
//! Columns: `pseudonym` and `force` (UTF-8), one optional fixed-length binary column per
//! encoded field (the filter's bits, little-endian 64-bit words), and `blocks` (the keyed
//! blocking tokens, 8 bytes per rule, zero when a rule does not apply). The key-value metadata
//! `conduct.pprl.settings` holds the [`Settings`] as JSON; a hub compares them before linking.
//!
//! A force that sends its reports beside its encodings (`conduct encode --incidents`) adds four
//! optional UTF-8 columns, one value per record ([`ReportFacts`]): `role`, `report` (a keyed
//! pseudonym of the incident reference), `report_date` (recorded date) and `offence_codes`
//! (principal then secondary Home Office codes, `;`-separated). The metadata key
//! `conduct.pprl.reports` says they are there, and the digest covers them.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;

use crate::encode::{EncodedRecord, Settings};
use crate::{Error, ErrorKind};

/// The metadata key of the settings.
pub const SETTINGS_KEY: &str = "conduct.pprl.settings";
/// The metadata key of the party's name.
pub const PARTY_KEY: &str = "conduct.pprl.force";
/// The metadata key of the content digest (SHA-256, hex, over the settings as stored, the
/// party's name, the reports mark and every record): a damaged file is refused rather than
/// linked with altered bits or read under altered settings. (Files from before the digest
/// covered the metadata carry `conduct.pprl.digest` instead, and are refused: encode again.)
pub const DIGEST_KEY: &str = "conduct.pprl.sha256";
/// The metadata key that says the file carries [`ReportFacts`] (value `1`).
pub const REPORTS_KEY: &str = "conduct.pprl.reports";
/// The columns of [`ReportFacts`], after `blocks`.
pub const REPORT_COLUMNS: [&str; 4] = ["role", "report", "report_date", "offence_codes"];
/// The most records one encodings file may hold (a bound on what a hub reads).
pub const MAX_RECORDS: usize = 50_000_000;

/// One party's encodings, as read.
#[derive(Clone, Debug)]
pub struct Encodings {
    /// The file read.
    pub path: PathBuf,
    /// The party (force) that made them.
    pub force: String,
    /// The settings they were made with.
    pub settings: Settings,
    /// The records, in file order.
    pub records: Vec<EncodedRecord>,
    /// Per record (same order), what the force sent about its report; empty when the file
    /// carries no reports.
    pub reports: Vec<Option<ReportFacts>>,
}

/// What a force may pass on about the report a record is involved in, for another force's
/// courses of conduct: no narrative, no name, no reference in clear.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFacts {
    /// The record's role in the report: victim, suspect, witness or other.
    pub role: String,
    /// The report's reference, pseudonymised with the force's own key (hex): the force can
    /// map it back; another force can only tell two records of one report apart from two
    /// reports.
    pub reference: String,
    /// The recorded date (`YYYY-MM-DD`).
    pub date: String,
    /// The principal Home Office offence code, then any secondary ones, `;`-separated.
    pub offence_codes: String,
}

impl ReportFacts {
    fn values(&self) -> [&str; 4] {
        [&self.role, &self.reference, &self.date, &self.offence_codes]
    }

    /// Checks the facts are of the shapes sent (role word, hex pseudonym, ISO date, codes), so
    /// no free text travels in them.
    ///
    /// # Errors
    ///
    /// The reason, in words.
    pub fn check(&self) -> Result<(), String> {
        if !matches!(self.role.as_str(), "victim" | "suspect" | "witness" | "other") {
            return Err(format!("role {:?} is not victim, suspect, witness or other", self.role));
        }
        if self.reference.is_empty() || self.reference.len() > 64 || !self.reference.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("a report pseudonym that is not hex".into());
        }
        if conduct_domain::Date::parse(&self.date).is_err() {
            return Err(format!("report date {:?} is not a date", self.date));
        }
        if self.offence_codes.split(';').any(|c| conduct_domain::OffenceCode::parse(c).is_err()) {
            return Err(format!("offence codes {:?} are not Home Office codes", self.offence_codes));
        }
        Ok(())
    }
}

/// SHA-256 over the file's metadata as stored (the settings' JSON text, the party, and whether
/// reports are marked), then the records as read or written: pseudonym, and each filter and
/// the tokens; then, when the file carries reports, each record's report facts.
fn digest(settings_json: &str, force: &str, with_reports: bool, records: &[EncodedRecord], reports: &[Option<ReportFacts>]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for text in [settings_json, force] {
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    h.update([u8::from(with_reports)]);
    for r in records {
        h.update((r.pseudonym.len() as u32).to_le_bytes());
        h.update(r.pseudonym.as_bytes());
        for f in &r.filters {
            match f {
                Some(w) => {
                    h.update([1]);
                    for x in w {
                        h.update(x.to_le_bytes());
                    }
                }
                None => h.update([0]),
            }
        }
        for b in &r.blocks {
            h.update(b.to_le_bytes());
        }
    }
    for r in reports {
        match r {
            Some(r) => {
                h.update([1]);
                for v in r.values() {
                    h.update((v.len() as u32).to_le_bytes());
                    h.update(v.as_bytes());
                }
            }
            None => h.update([0]),
        }
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn perr(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> Error + '_ {
    move |e| Error::new(ErrorKind::Parquet(e), Some(path))
}

/// Writes one party's encodings.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be created, [`ErrorKind::Parquet`] when it cannot
/// be written.
pub fn write_encodings(path: &Path, force: &str, settings: &Settings, records: &[EncodedRecord]) -> Result<(), Error> {
    write_encodings_with_reports(path, force, settings, records, &[])
}

/// [`write_encodings`] with, per record (same order), what the force sends about its report
/// (`reports` empty: none; otherwise one entry per record, `None` for a record whose report
/// is not sent).
///
/// # Errors
///
/// As [`write_encodings`]; [`ErrorKind::Input`] when `reports` is neither empty nor one per
/// record, or a fact is not of the shape sent ([`ReportFacts::check`]).
pub fn write_encodings_with_reports(
    path: &Path,
    force: &str,
    settings: &Settings,
    records: &[EncodedRecord],
    reports: &[Option<ReportFacts>],
) -> Result<(), Error> {
    if !reports.is_empty() && reports.len() != records.len() {
        return Err(Error::new(ErrorKind::Input(format!("{} reports for {} records", reports.len(), records.len())), Some(path)));
    }
    for r in reports.iter().flatten() {
        r.check().map_err(|m| Error::new(ErrorKind::Input(m), Some(path)))?;
    }
    let with_reports = !reports.is_empty();
    let words = settings.words();
    let mut schema = String::from("message conduct_encodings { required binary pseudonym (UTF8); required binary force (UTF8); ");
    for (f, w) in settings.fields.iter().zip(&words) {
        schema.push_str(&format!("optional fixed_len_byte_array({}) {}; ", w * 8, f.name));
    }
    schema.push_str(&format!("required fixed_len_byte_array({}) blocks; ", settings.blocking_rules.len().max(1) * 8));
    if with_reports {
        for c in REPORT_COLUMNS {
            schema.push_str(&format!("optional binary {c} (UTF8); "));
        }
    }
    schema.push('}');
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).map_err(perr(path))?);
    let json = serde_json::to_string(settings).expect("settings serialise");
    let sealed = digest(&json, force, with_reports, records, reports);
    let mut meta = vec![KeyValue::new(SETTINGS_KEY.into(), json), KeyValue::new(PARTY_KEY.into(), force.to_string())];
    if with_reports {
        meta.push(KeyValue::new(REPORTS_KEY.into(), "1".to_string()));
    }
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .set_key_value_metadata(Some(meta))
            .build(),
    );
    let file = File::create(path).map_err(|e| Error::new(ErrorKind::Io(e), Some(path)))?;
    let mut writer = SerializedFileWriter::new(file, schema, props).map_err(perr(path))?;
    for (k, chunk) in records.chunks(100_000).enumerate() {
        let facts = if with_reports { &reports[k * 100_000..k * 100_000 + chunk.len()] } else { &[][..] };
        let mut group = writer.next_row_group().map_err(perr(path))?;
        let mut c = 0;
        while let Some(mut col) = group.next_column().map_err(perr(path))? {
            match c {
                0 | 1 => {
                    let v: Vec<ByteArray> =
                        chunk.iter().map(|r| ByteArray::from(if c == 0 { r.pseudonym.as_str() } else { force })).collect();
                    col.typed::<ByteArrayType>().write_batch(&v, None, None).map_err(perr(path))?;
                }
                c if c > 2 + words.len() => {
                    let column = c - 3 - words.len();
                    let mut values = Vec::new();
                    let mut defs = Vec::with_capacity(facts.len());
                    for f in facts {
                        match f {
                            Some(f) => {
                                values.push(ByteArray::from(f.values()[column]));
                                defs.push(1);
                            }
                            None => defs.push(0),
                        }
                    }
                    col.typed::<ByteArrayType>().write_batch(&values, Some(&defs), None).map_err(perr(path))?;
                }
                c if c == 2 + words.len() => {
                    let n = settings.blocking_rules.len().max(1);
                    let v: Vec<FixedLenByteArray> = chunk
                        .iter()
                        .map(|r| {
                            let mut b = Vec::with_capacity(n * 8);
                            for i in 0..n {
                                b.extend_from_slice(&r.blocks.get(i).copied().unwrap_or(0).to_le_bytes());
                            }
                            FixedLenByteArray::from(b)
                        })
                        .collect();
                    col.typed::<FixedLenByteArrayType>().write_batch(&v, None, None).map_err(perr(path))?;
                }
                c => {
                    let field = c - 2;
                    let mut values = Vec::new();
                    let mut defs = Vec::with_capacity(chunk.len());
                    for r in chunk {
                        match &r.filters[field] {
                            Some(w) => {
                                values.push(FixedLenByteArray::from(w.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()));
                                defs.push(1);
                            }
                            None => defs.push(0),
                        }
                    }
                    col.typed::<FixedLenByteArrayType>().write_batch(&values, Some(&defs), None).map_err(perr(path))?;
                }
            }
            col.close().map_err(perr(path))?;
            c += 1;
        }
        group.close().map_err(perr(path))?;
    }
    writer.append_key_value_metadata(KeyValue::new(DIGEST_KEY.into(), sealed));
    writer.close().map_err(perr(path))?;
    Ok(())
}

fn damaged(path: &Path, why: impl Into<String>) -> Error {
    Error::new(ErrorKind::Encodings(why.into()), Some(path))
}

/// Reads one party's encodings, checking the settings and the columns against them.
///
/// The Parquet layer is given no file it cannot bound: column chunks must lie within the file
/// and decode to at most 64 times its size, and a panic inside the layer on a damaged file is
/// caught and reported as damage.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be opened; [`ErrorKind::Parquet`] or
/// [`ErrorKind::Encodings`] when it is not a readable encodings file of this schema: no
/// settings, other columns, a truncated or damaged body, more than [`MAX_RECORDS`] rows,
/// a force column that disagrees with the file's party, or a filter of the wrong length.
pub fn read_encodings(path: &Path) -> Result<Encodings, Error> {
    let file = File::open(path).map_err(|e| Error::new(ErrorKind::Io(e), Some(path)))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_inner(path, file, size))) {
        Ok(r) => r,
        Err(_) => Err(damaged(path, "the file is damaged: the Parquet reader could not decode it")),
    }
}

fn read_inner(path: &Path, file: File, size: u64) -> Result<Encodings, Error> {
    let reader = SerializedFileReader::new(file).map_err(perr(path))?;
    let meta = reader.metadata();
    let kv = meta.file_metadata().key_value_metadata();
    let get = |k: &str| kv.and_then(|kv| kv.iter().find(|e| e.key == k)).and_then(|e| e.value.clone());
    let Some(json) = get(SETTINGS_KEY) else {
        return Err(damaged(path, "not a Conduct encodings file: it carries no encoding settings (make it with `conduct encode`)"));
    };
    let settings: Settings =
        serde_json::from_str(&json).map_err(|e| damaged(path, format!("the encoding settings cannot be read: {e}")))?;
    settings.check().map_err(|m| damaged(path, format!("encodings this version cannot link: {m}")))?;
    let force = get(PARTY_KEY).ok_or_else(|| damaged(path, "the file does not say which party made it"))?;
    let with_reports = match get(REPORTS_KEY).as_deref() {
        None => false,
        Some("1") => true,
        Some(v) => return Err(damaged(path, format!("reports marked {v:?}; this version reads reports marked \"1\""))),
    };
    let rows = usize::try_from(meta.file_metadata().num_rows()).map_err(|_| damaged(path, "a negative row count"))?;
    if rows > MAX_RECORDS {
        return Err(damaged(path, format!("{rows} records; one file may hold at most {MAX_RECORDS}")));
    }
    let words = settings.words();
    let n_rules = settings.blocking_rules.len().max(1);
    // The columns must be the ones the settings describe.
    let schema = meta.file_metadata().schema_descr();
    let mut expected: Vec<(String, Option<usize>)> = vec![("pseudonym".into(), None), ("force".into(), None)];
    expected.extend(settings.fields.iter().zip(&words).map(|(f, w)| (f.name.clone(), Some(w * 8))));
    expected.push(("blocks".into(), Some(n_rules * 8)));
    let blocks_at = expected.len() - 1;
    if with_reports {
        expected.extend(REPORT_COLUMNS.iter().map(|c| (c.to_string(), None)));
    }
    let got: Vec<(String, Option<usize>)> = schema
        .columns()
        .iter()
        .map(|c| {
            let len = (c.physical_type() == parquet::basic::Type::FIXED_LEN_BYTE_ARRAY).then(|| c.type_length().max(0) as usize);
            (c.name().to_string(), len)
        })
        .collect();
    if got != expected {
        return Err(damaged(
            path,
            "its columns are not the ones its settings describe; the file was not written by `conduct encode` or was altered",
        ));
    }
    // Bound what the Parquet layer will allocate before it reads.
    let mut decoded = 0u64;
    for (g, group) in meta.row_groups().iter().enumerate() {
        for c in group.columns() {
            let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset());
            let len = c.compressed_size();
            if start < 0 || len < 0 || (start as u64).saturating_add(len as u64) > size {
                return Err(damaged(path, format!("row group {g}: a column lies outside the file; the file is truncated or damaged")));
            }
            decoded = decoded.saturating_add(u64::try_from(c.uncompressed_size()).unwrap_or(u64::MAX));
        }
    }
    if decoded > size.saturating_mul(64).max(1 << 20) {
        return Err(damaged(path, format!("its pages claim {decoded} bytes decoded from a {size}-byte file; the file is damaged")));
    }
    let mut records: Vec<EncodedRecord> = Vec::with_capacity(rows);
    let mut reports: Vec<Option<ReportFacts>> = Vec::new();
    let mut facts: Vec<[Option<String>; 4]> = Vec::new();
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(perr(path))?;
        let n = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        let base = records.len();
        records.extend((0..n).map(|_| EncodedRecord { pseudonym: String::new(), filters: vec![None; words.len()], blocks: Vec::new() }));
        if with_reports {
            facts.extend((0..n).map(|_| [None, None, None, None]));
        }
        for (c, (name, len)) in expected.iter().enumerate() {
            let mut col = group.get_column_reader(c).map_err(perr(path))?;
            let mut defs: Vec<i16> = Vec::new();
            match len {
                None if c > blocks_at => {
                    let parquet::column::reader::ColumnReader::ByteArrayColumnReader(r) = &mut col else {
                        return Err(damaged(path, format!("column {name} is not text")));
                    };
                    let mut vals: Vec<ByteArray> = Vec::new();
                    let (got, _, _) = r.read_records(n, Some(&mut defs), None, &mut vals).map_err(perr(path))?;
                    if got != n {
                        return Err(damaged(
                            path,
                            format!("column {name} holds {got} of {n} rows in row group {g}; the file is truncated"),
                        ));
                    }
                    let mut it = vals.iter();
                    for i in 0..n {
                        if defs.get(i) != Some(&1) {
                            continue;
                        }
                        let v = it.next().ok_or_else(|| damaged(path, format!("column {name}: fewer values than rows say")))?;
                        let s = std::str::from_utf8(v.data()).map_err(|_| damaged(path, format!("column {name}: a value is not UTF-8")))?;
                        facts[base + i][c - blocks_at - 1] = Some(s.to_string());
                    }
                }
                None => {
                    let parquet::column::reader::ColumnReader::ByteArrayColumnReader(r) = &mut col else {
                        return Err(damaged(path, format!("column {name} is not text")));
                    };
                    let mut vals: Vec<ByteArray> = Vec::new();
                    let (got, _, _) = r.read_records(n, None, None, &mut vals).map_err(perr(path))?;
                    if got != n || vals.len() != n {
                        return Err(damaged(
                            path,
                            format!("column {name} holds {} of {n} values in row group {g}; the file is truncated", vals.len()),
                        ));
                    }
                    for (i, v) in vals.iter().enumerate() {
                        let s = std::str::from_utf8(v.data()).map_err(|_| damaged(path, format!("column {name}: a value is not UTF-8")))?;
                        if c == 0 {
                            if s.is_empty() || s.len() > 64 {
                                return Err(damaged(path, format!("row {}: a pseudonym of {} characters", base + i + 1, s.len())));
                            }
                            records[base + i].pseudonym = s.to_string();
                        } else if s != force {
                            return Err(damaged(
                                path,
                                format!("row {}: force {s:?}, but the file is {force:?}'s; one file holds one party", base + i + 1),
                            ));
                        }
                    }
                }
                Some(bytes) => {
                    let parquet::column::reader::ColumnReader::FixedLenByteArrayColumnReader(r) = &mut col else {
                        return Err(damaged(path, format!("column {name} is not binary")));
                    };
                    let mut vals: Vec<FixedLenByteArray> = Vec::new();
                    let optional = c != blocks_at;
                    let (got, _, _) = r.read_records(n, optional.then_some(&mut defs), None, &mut vals).map_err(perr(path))?;
                    if got != n {
                        return Err(damaged(
                            path,
                            format!("column {name} holds {got} of {n} rows in row group {g}; the file is truncated"),
                        ));
                    }
                    let mut it = vals.iter();
                    for i in 0..n {
                        if optional && defs.get(i) != Some(&1) {
                            continue;
                        }
                        let v = it.next().ok_or_else(|| damaged(path, format!("column {name}: fewer values than rows say")))?;
                        if v.data().len() != *bytes {
                            return Err(damaged(path, format!("column {name}: a value of {} bytes, {bytes} expected", v.data().len())));
                        }
                        let w: Vec<u64> = v.data().chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))).collect();
                        if optional {
                            records[base + i].filters[c - 2] = Some(w);
                        } else {
                            records[base + i].blocks = w;
                        }
                    }
                }
            }
        }
    }
    if records.len() != rows {
        return Err(damaged(path, format!("{} records read of the {rows} the file says it holds", records.len())));
    }
    for (i, f) in facts.into_iter().enumerate() {
        let r = match f {
            [None, None, None, None] => None,
            [Some(role), Some(reference), Some(date), Some(offence_codes)] => {
                let r = ReportFacts { role, reference, date, offence_codes };
                r.check().map_err(|m| damaged(path, format!("row {}: {m}", i + 1)))?;
                Some(r)
            }
            _ => return Err(damaged(path, format!("row {}: some of a report's facts are missing", i + 1))),
        };
        reports.push(r);
    }
    match get(DIGEST_KEY) {
        None => {
            return Err(damaged(
                path,
                "the file carries no content digest: it was written by an earlier version of `conduct encode`, or altered; encode again",
            ));
        }
        Some(d) if d != digest(&json, &force, with_reports, &records, &reports) => {
            return Err(damaged(path, "the file is damaged: its content does not match the digest written with it"));
        }
        Some(_) => {}
    }
    Ok(Encodings { path: path.to_path_buf(), force, settings, records, reports })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use crate::encode::{Encoder, Hardening};
    use conduct_resolve::normalise::{Dob, Features};
    use proptest::prelude::*;

    fn sample() -> (Vec<u8>, Encodings) {
        let secret = Secret::from_bytes(b"0123456789abcdef0123".to_vec()).unwrap();
        let e = Encoder::new(Hardening::Default, &secret, None, "Kent");
        let records: Vec<EncodedRecord> = ["jane", "mary", "ann", "lou"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let f = Features {
                    forename: (*n).into(),
                    surname: "smith".into(),
                    dob: Dob { year: 1980 + i as u16, month: 2, day: 3 },
                    ..Features::default()
                };
                e.encode_features(&f, format!("p{i}"))
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.parquet");
        write_encodings(&path, "Kent", e.settings(), &records).unwrap();
        let back = read_encodings(&path).unwrap();
        assert_eq!(back.records, records);
        (std::fs::read(&path).unwrap(), back)
    }

    #[test]
    fn report_facts_travel_beside_the_encodings_under_the_digest() {
        let (_, good) = sample();
        let facts = |k: usize| ReportFacts {
            role: if k % 2 == 0 { "victim" } else { "suspect" }.into(),
            reference: format!("{k:032x}"),
            date: format!("2022-07-{:02}", 20 + k),
            offence_codes: if k == 1 { "8/65".into() } else { "58A;8Q".into() },
        };
        let reports: Vec<Option<ReportFacts>> = (0..good.records.len()).map(|k| (k != 2).then(|| facts(k))).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.parquet");
        write_encodings_with_reports(&path, "Kent", &good.settings, &good.records, &reports).unwrap();
        let back = read_encodings(&path).unwrap();
        assert_eq!((back.records, back.reports), (good.records.clone(), reports.clone()));
        // Without reports the file carries none.
        assert!(good.reports.is_empty());
        // Free text cannot ride in a fact.
        let mut bad = reports.clone();
        bad[0].as_mut().unwrap().offence_codes = "8L;threatened to kill her".into();
        let e = write_encodings_with_reports(&path, "Kent", &good.settings, &good.records, &bad).unwrap_err();
        assert!(e.to_string().contains("r.parquet") && e.to_string().contains("not Home Office codes"), "{e}");
        // One fact changed after writing: the digest refuses the file.
        let bytes = std::fs::read(&path).unwrap();
        write_encodings_with_reports(&path, "Kent", &good.settings, &good.records, &reports).unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), written.len());
        let mut altered = reports;
        altered[3].as_mut().unwrap().date = "2022-07-24".into();
        let other = dir.path().join("o.parquet");
        write_encodings_with_reports(&other, "Kent", &good.settings, &good.records, &altered).unwrap();
        let mut spliced = std::fs::read(&other).unwrap();
        // Put the first file's digest into the second file's metadata: same length, other facts.
        let first = read_digest(&written);
        let second = read_digest(&spliced);
        let at = spliced.windows(second.len()).position(|w| w == second.as_bytes()).unwrap();
        spliced[at..at + first.len()].copy_from_slice(first.as_bytes());
        std::fs::write(&other, &spliced).unwrap();
        let e = read_encodings(&other).unwrap_err();
        assert!(e.to_string().contains("does not match the digest"), "{e}");
    }

    fn read_digest(bytes: &[u8]) -> String {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.parquet");
        std::fs::write(&p, bytes).unwrap();
        let r = SerializedFileReader::new(File::open(&p).unwrap()).unwrap();
        let kv = r.metadata().file_metadata().key_value_metadata().unwrap().clone();
        kv.into_iter().find(|e| e.key == DIGEST_KEY).and_then(|e| e.value).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        /// A damaged or truncated encodings file is refused with an error naming it, or read
        /// whole; never a panic, and never records that the file does not hold.
        #[test]
        fn damaged_encodings_are_refused_not_half_read(cuts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), truncate in any::<Option<prop::sample::Index>>()) {
            let (mut bytes, good) = sample();
            for (i, b) in cuts {
                let at = i.index(bytes.len());
                bytes[at] = b;
            }
            if let Some(t) = truncate {
                bytes.truncate(t.index(bytes.len()));
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("bad.parquet");
            std::fs::write(&path, &bytes).unwrap();
            match read_encodings(&path) {
                Ok(e) => {
                    prop_assert_eq!(e.records, good.records);
                    prop_assert_eq!(e.settings, good.settings);
                }
                Err(err) => prop_assert!(err.to_string().contains("bad.parquet"), "{}", err),
            }
        }
    }
}

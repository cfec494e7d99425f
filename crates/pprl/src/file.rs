//! The encodings file: Parquet, one row per record, the settings in the file's metadata.
//!
//! Columns: `pseudonym` and `force` (UTF-8), one optional fixed-length binary column per
//! encoded field (the filter's bits, little-endian 64-bit words), and `blocks` (the keyed
//! blocking tokens, 8 bytes per rule, zero when a rule does not apply). The key-value metadata
//! `conduct.pprl.settings` holds the [`Settings`] as JSON; a hub compares them before linking.

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
/// The metadata key of the content digest (SHA-256 over every record, hex): a damaged file is
/// refused rather than linked with altered bits.
pub const DIGEST_KEY: &str = "conduct.pprl.digest";
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
}

/// SHA-256 over the records as read or written: pseudonym, and each filter and the tokens.
fn digest(records: &[EncodedRecord]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
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
    let words = settings.words();
    let mut schema = String::from("message conduct_encodings { required binary pseudonym (UTF8); required binary force (UTF8); ");
    for (f, w) in settings.fields.iter().zip(&words) {
        schema.push_str(&format!("optional fixed_len_byte_array({}) {}; ", w * 8, f.name));
    }
    schema.push_str(&format!("required fixed_len_byte_array({}) blocks; }}", settings.blocking_rules.len().max(1) * 8));
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).map_err(perr(path))?);
    let json = serde_json::to_string(settings).expect("settings serialise");
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .set_key_value_metadata(Some(vec![
                KeyValue::new(SETTINGS_KEY.into(), json),
                KeyValue::new(PARTY_KEY.into(), force.to_string()),
            ]))
            .build(),
    );
    let file = File::create(path).map_err(|e| Error::new(ErrorKind::Io(e), Some(path)))?;
    let mut writer = SerializedFileWriter::new(file, schema, props).map_err(perr(path))?;
    for chunk in records.chunks(100_000) {
        let mut group = writer.next_row_group().map_err(perr(path))?;
        let mut c = 0;
        while let Some(mut col) = group.next_column().map_err(perr(path))? {
            match c {
                0 | 1 => {
                    let v: Vec<ByteArray> =
                        chunk.iter().map(|r| ByteArray::from(if c == 0 { r.pseudonym.as_str() } else { force })).collect();
                    col.typed::<ByteArrayType>().write_batch(&v, None, None).map_err(perr(path))?;
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
    writer.append_key_value_metadata(KeyValue::new(DIGEST_KEY.into(), digest(records)));
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
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(perr(path))?;
        let n = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        let base = records.len();
        records.extend((0..n).map(|_| EncodedRecord { pseudonym: String::new(), filters: vec![None; words.len()], blocks: Vec::new() }));
        for (c, (name, len)) in expected.iter().enumerate() {
            let mut col = group.get_column_reader(c).map_err(perr(path))?;
            let mut defs: Vec<i16> = Vec::new();
            match len {
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
                    let optional = c != expected.len() - 1;
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
    match get(DIGEST_KEY) {
        None => {
            return Err(damaged(
                path,
                "the file carries no content digest: it was written by an earlier version of `conduct encode`, or altered; encode again",
            ));
        }
        Some(d) if d != digest(&records) => {
            return Err(damaged(path, "the file is damaged: its content does not match the digest written with it"));
        }
        Some(_) => {}
    }
    Ok(Encodings { path: path.to_path_buf(), force, settings, records })
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

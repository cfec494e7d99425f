//! Reads the data tables compiled into the crate (`data/*.csv`), skipping `#` comment lines.

/// Parses an embedded CSV table into records; the tables are ours, so a malformed one is a bug.
pub(crate) fn table(name: &str, text: &str) -> Vec<csv::StringRecord> {
    let body: String = text.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("embedded table {name} is malformed: {e}")))
        .collect()
}

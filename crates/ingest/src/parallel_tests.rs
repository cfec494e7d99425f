//! The ingest validating rows on several threads must give what it gives on one: the same
//! records, rejects, warnings, summaries and errors, in the same order, with the same line
//! numbers. Each test reads the same files both ways, with chunks of a few rows so that the
//! rows of interest (quoted line breaks, bad rows, duplicates) fall on either side of chunk
//! boundaries, and compares everything.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::{Batch, Error, Export, Ingest, Inputs, KnownIncidents, Reject, Summary, Warning};

/// All an ingest hands back: the records in the order the sink saw them (with the size of each
/// batch), the rejects and warnings, and the summary or the error's text.
#[derive(Debug, PartialEq)]
struct Outcome {
    export: Export,
    batches: Vec<usize>,
    rejects: Vec<Reject>,
    warnings: Vec<Warning>,
    result: Result<Summary, String>,
}

fn read(inputs: &Inputs, threads: usize, chunk_rows: usize, stop_after: Option<usize>) -> Outcome {
    let mut ingest = Ingest::new().with_threads(threads);
    ingest.chunk_rows = chunk_rows;
    ingest.batch_size = 3;
    let mut export = Export::default();
    let mut batches = Vec::new();
    let result = ingest.run(inputs, &KnownIncidents::default(), &mut |b| {
        if stop_after.is_some_and(|n| batches.len() >= n) {
            return false;
        }
        match b {
            Batch::Incidents(v) => {
                batches.push(v.len());
                export.incidents.extend(v);
            }
            Batch::People(v) => {
                batches.push(v.len());
                export.people.extend(v);
            }
            Batch::Orders(v) => {
                batches.push(v.len());
                export.orders.extend(v);
            }
        }
        true
    });
    export.risk_assessments = ingest.take_risk_assessments();
    Outcome {
        export,
        batches,
        rejects: ingest.rejects().to_vec(),
        warnings: ingest.warnings().to_vec(),
        result: result.map_err(|e: Error| e.to_string()),
    }
}

/// Reads `inputs` on one thread, then on 2 and 3 threads with chunks of 1, 2, 3 and 5 rows, and
/// checks every parallel read against the sequential one. Returns the sequential outcome.
fn same_both_ways(inputs: &Inputs, stop_after: Option<usize>) -> Outcome {
    let one = read(inputs, 1, 1024, stop_after);
    for threads in [2, 3] {
        for chunk_rows in [1, 2, 3, 5, 1024] {
            let many = read(inputs, threads, chunk_rows, stop_after);
            assert_eq!(many, one, "{threads} threads, chunks of {chunk_rows} rows");
        }
    }
    one
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Incidents with a BOM and CRLF line ends, narratives holding line breaks (CRLF and LF) and
/// quotes, and bad rows spread through the file: ragged, an unterminated quote, a bad date, a
/// missing key, duplicates, an invalid optional value (a warning).
const INCIDENTS: &[u8] = b"\xef\xbb\xbfforce,incident_ref,recorded_date,offence_code,narrative,cyber\r\n\
Kent,K1,2023-01-01,8L,plain,no\r\n\
Kent,K2,2023-01-02,8L,\"two\r\nlines\",yes\r\n\
Kent,K3,2023-01-03,8L,\"three\nlines, with \"\"quotes\"\"\nhere\",no\r\n\
Kent,K4,2023-13-45,8L,bad date,no\r\n\
Kent,K5,2023-01-05,8L\r\n\
Kent,K6,2023-01-06,8L,\"opens and never closes,no\r\n\
Kent,K7,2023-01-07,8L,after the stray quote,no\r\n\
Kent,K2,2023-01-08,8L,duplicate of K2,no\r\n\
Kent,,2023-01-09,8L,no key,no\r\n\
Kent,K10,2023-01-10,8L,\"a\r\nb\r\nc\",perhaps\r\n\
Essex,K2,2023-01-11,8L,same ref in another force,no\r\n\
Kent,K12,2023-01-12,8L,\"\",no\r\n\
Nowhere,K13,2023-01-13,8L,no such force,no\r\n\
Kent,K14,2023-01-14,8L,\"last\nrow\",yes\r\n";

const PEOPLE: &[u8] = b"record_id,force,incident_ref,role,forename,surname,date_of_birth,phone\n\
P1,Kent,K1,victim,Ann,Smith,1980-01-01,01234 567890\n\
P2,Kent,K2,suspect,\"Bo\nb\",Jones,1970-13-01,not a phone\n\
P3,Kent,K4,victim,Cy,Orphan,,\n\
P1,Kent,K3,witness,Dup,Licate,,\n\
P4,Essex,K2,victim,Ed,\"Quote \"\"d\"\"\",1990,\n\
P5,Kent,K99,victim,No,Incident,,\n\
P6,Kent,K10,victim,Fi,Short\n\
P7,Kent,K14,nobody,Gu,Role,,\n\
P8,Kent,K12,other,Hal,\"x\ny\",2001-02-03,+44 1234 567890\n";

const ORDERS: &[u8] = b"force,order_ref,order_type,incident_ref,applied_date\n\
Kent,O1,SPO,K1,2023-02-01\n\
Kent,O1,SPO,K2,2023-02-02\n\
Kent,O2,not an order,K2,2023-02-03\n\
Kent,O3,restraining order,K404,2023-02-04\n\
Essex,O4,SPO,K2,2023-99-99\n";

fn fixture(dir: &Path) -> Inputs {
    Inputs {
        incidents: vec![write(dir, "incidents.csv", INCIDENTS)],
        people: vec![write(dir, "people.csv", PEOPLE), write(dir, "people-2.jsonl", b"{\"record_id\":\"P9\",\"force\":\"Kent\",\"incident_ref\":\"K1\",\"role\":\"victim\"}\nnot json\n{\"record_id\":\"P1\",\"force\":\"Kent\",\"incident_ref\":\"K1\",\"role\":\"victim\",\"extra\":1}\n")],
        orders: vec![write(dir, "orders.csv", ORDERS)],
        risk_assessments: Vec::new(),
    }
}

#[test]
fn an_adversarial_export_reads_the_same_on_several_threads() {
    let dir = tempfile::tempdir().unwrap();
    let one = same_both_ways(&fixture(dir.path()), None);
    // The fixture does what it says: quoted line breaks kept, bad rows in several chunks of the
    // file set aside on their own lines, the lines after a multi-line row numbered right.
    let summary = one.result.as_ref().unwrap();
    assert_eq!(
        one.export.incidents.iter().map(|i| i.incident_ref.as_str()).collect::<Vec<_>>(),
        ["K1", "K2", "K3", "K7", "K10", "K2", "K12", "K14"]
    );
    assert_eq!(one.export.incidents[1].narrative, "two\r\nlines");
    assert_eq!(one.export.incidents[2].narrative, "three\nlines, with \"quotes\"\nhere");
    let lines: Vec<(String, u64)> =
        one.rejects.iter().map(|r| (r.file.file_name().unwrap().to_string_lossy().into_owned(), r.line)).collect();
    assert_eq!(
        lines[..7],
        [
            ("incidents.csv".into(), 8),
            ("incidents.csv".into(), 9),
            ("incidents.csv".into(), 10),
            ("incidents.csv".into(), 12),
            ("incidents.csv".into(), 13),
            ("incidents.csv".into(), 19),
            ("people.csv".into(), 5),
        ],
        "{:#?}",
        one.rejects
    );
    assert!(one.rejects.len() >= 14, "{:#?}", one.rejects);
    assert!(!one.warnings.is_empty());
    for f in &summary.files {
        assert_eq!(f.read, f.accepted + f.rejected, "{f:?}");
    }
}

#[test]
fn a_read_stopped_by_its_sink_stops_the_same_way_on_several_threads() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = fixture(dir.path());
    for stop_after in 0..6 {
        let one = same_both_ways(&inputs, Some(stop_after));
        assert!(one.result.as_ref().is_err_and(|e| e.contains("stopped") || e.contains("Stopped")), "{:?}", one.result);
    }
}

#[test]
fn a_file_that_cannot_be_read_fails_the_same_way_on_several_threads() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = fixture(dir.path());
    inputs.people.insert(1, dir.path().join("people-missing.csv"));
    let one = same_both_ways(&inputs, None);
    assert!(one.result.as_ref().is_err_and(|e| e.contains("people-missing.csv")), "{:?}", one.result);
    // What came before the failure was settled: the first people file's rejects are there.
    assert!(one.rejects.iter().any(|r| r.file.ends_with("people.csv")));
}

/// A cell of a random incidents row: mostly ordinary values, sometimes quotes, commas, line
/// breaks (LF, CR, CRLF), bad dates, a repeated or missing key.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9 ]{0,6}",
        1 => Just("\"quoted, with\nline break\"".to_string()),
        1 => Just("\"cr\r\nlf\"".to_string()),
        1 => Just("\"a \"\"quote\"\"\"".to_string()),
        1 => Just("\"unterminated".to_string()),
        1 => Just("2023-02-30".to_string()),
        1 => Just("".to_string()),
        1 => Just("x\ry".to_string()),
    ]
}

fn row() -> impl Strategy<Value = String> {
    (
        prop_oneof![4 => Just("Kent".to_string()), 1 => Just("Essex".to_string()), 1 => cell()],
        prop_oneof![4 => (0u8..12).prop_map(|n| format!("R{n}")), 1 => cell()],
        prop_oneof![4 => Just("2023-05-06".to_string()), 1 => cell()],
        prop_oneof![4 => Just("8L".to_string()), 1 => cell()],
        cell(),
        0usize..3,
    )
        .prop_map(|(force, key, date, code, narrative, shape)| match shape {
            // Most rows are whole; some lack a field or carry one too many.
            0 | 1 => format!("{force},{key},{date},{code},{narrative}"),
            _ if narrative.len() % 2 == 0 => format!("{force},{key},{date},{code}"),
            _ => format!("{force},{key},{date},{code},{narrative},extra"),
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random small exports: the incidents file (with or without a BOM, LF or CRLF line ends)
    /// and a people file pointing at its keys read the same on several threads as on one.
    #[test]
    fn random_exports_read_the_same_on_several_threads(
        rows in prop::collection::vec(row(), 0..24),
        people in prop::collection::vec((0u8..14, 0u8..14, prop::bool::ANY), 0..16),
        bom in prop::bool::ANY,
        crlf in prop::bool::ANY,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        if bom {
            text.push('\u{feff}');
        }
        text.push_str("force,incident_ref,recorded_date,offence_code,narrative");
        for r in &rows {
            text.push_str(end);
            text.push_str(r);
        }
        text.push_str(end);
        let mut people_text = String::from("record_id,force,incident_ref,role,forename");
        for (id, incident, quoted) in &people {
            people_text.push_str(end);
            let name = if *quoted { "\"Jo\nJo\"" } else { "Jo" };
            people_text.push_str(&format!("P{id},Kent,R{incident},victim,{name}"));
        }
        let inputs = Inputs {
            incidents: vec![write(dir.path(), "incidents.csv", text.as_bytes())],
            people: vec![write(dir.path(), "people.csv", people_text.as_bytes())],
            ..Inputs::default()
        };
        let one = read(&inputs, 1, 1024, None);
        for (threads, chunk_rows) in [(2, 1), (2, 2), (3, 3), (2, 7)] {
            let many = read(&inputs, threads, chunk_rows, None);
            prop_assert_eq!(&many, &one, "{} threads, chunks of {} rows", threads, chunk_rows);
        }
    }
}

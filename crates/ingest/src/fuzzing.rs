//! Entry points for the coverage-guided fuzzers under `fuzz/` and for the test that replays
//! their corpus (`tests/ingest.rs`). Not part of the crate's supported API.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{Ingest, Inputs, Limits};

/// Replaces libfuzzer-sys's abort-on-any-panic hook with one that prints, once per process.
/// The Parquet reader turns a panic inside the parquet crate into an error naming the damaged
/// file, which is what a user meets, so such a panic is logged ("caught or not") and fuzzing
/// goes on; a panic nothing catches still crashes the target (it cannot unwind into libFuzzer).
pub fn keep_usual_panic_hook() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let _ = std::panic::take_hook();
        std::panic::set_hook(Box::new(|info| eprintln!("panic (caught or not): {info}")));
    });
}

/// The formats a fuzzer feeds.
#[derive(Clone, Copy, Debug)]
pub enum Input {
    /// CSV text.
    Csv,
    /// JSON Lines text.
    JsonLines,
    /// A Parquet file.
    Parquet,
}

/// Reads `bytes` as an incidents file, then as a people file, then as a risk-assessments file,
/// of the given format, through
/// the whole ingest (validation, duplicate and reference checks), with small limits so that
/// the limits' own paths are reached. It must never panic; every row must be accepted or
/// rejected, and the summary must balance.
pub fn read(input: Input, bytes: &[u8]) {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!("conduct-fuzz-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let ext = match input {
        Input::Csv => "csv",
        Input::JsonLines => "jsonl",
        Input::Parquet => "parquet",
    };
    let limits =
        Limits { max_field_bytes: 256, max_record_bytes: 1024, max_expansion: 50, decoded_floor_bytes: 1 << 20, max_findings_kept: 10 };
    for table in ["incidents", "people", "risk_assessments"] {
        let path: PathBuf = dir.join(format!("{table}.{ext}"));
        if std::fs::write(&path, bytes).is_err() {
            continue;
        }
        let inputs = match table {
            "incidents" => Inputs { incidents: vec![path], ..Inputs::default() },
            "people" => Inputs { people: vec![path], ..Inputs::default() },
            _ => Inputs { risk_assessments: vec![path], ..Inputs::default() },
        };
        if let Ok((export, summary)) = Ingest::new().with_limits(limits).read_whole(&inputs) {
            for f in &summary.files {
                assert!(f.balances(), "read {} != accepted {} + rejected {}", f.read, f.accepted, f.rejected);
                assert_eq!(f.reject_reasons.total(), f.rejected, "every reject is tallied");
            }
            // Without incidents every screening is an orphan: validated, then rejected.
            assert!(export.risk_assessments.is_empty(), "a screening of no incident was accepted");
        }
        if table == "people" {
            // As linkage reads a people file: on its own, no reference checks.
            if let Ok(file) = crate::read_people_files(&inputs.people) {
                let s = &file.summaries[0];
                assert!(s.balances());
                assert_eq!(file.rows.len() as u64, s.accepted);
                assert_eq!(file.rejects.len() as u64, s.rejected);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

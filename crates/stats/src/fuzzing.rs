//! Entry point for the coverage-guided fuzzer `workbook_reader` under `fuzz/` and for the test
//! that replays its corpus (`tests/ingest.rs`). Not part of the crate's supported API.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::published::{read_outcomes_by, read_recorded};
use crate::{OutcomeBasis, Tables};

/// Reads `bytes` as a published table in a workbook: saved as `.ods` and as `.xlsx` (so both
/// of calamine's readers and the unpack check see every input), each read as a recorded-crime
/// table and as an outcomes table on both bases. It must never panic, and every read that
/// succeeds must balance (read = used + non-force + rejected, every reject listed).
pub fn read_workbook(bytes: &[u8]) {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!("conduct-fuzz-workbook-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    for ext in ["ods", "xlsx"] {
        let path = dir.join(format!("table.{ext}"));
        if std::fs::write(&path, bytes).is_err() {
            continue;
        }
        let reads = [
            read_recorded(&path, &mut Tables::new()),
            read_outcomes_by(&path, &mut Tables::new(), OutcomeBasis::Recorded),
            read_outcomes_by(&path, &mut Tables::new(), OutcomeBasis::Closed),
        ];
        for s in reads.into_iter().flatten() {
            assert!(s.balances(), "read {} != used {} + non-force {} + rejected {}", s.read, s.used, s.non_force, s.rejected);
            assert_eq!(s.rejects.len() as u64, s.rejected, "every rejected row is listed");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! Replays the kept corpus of the `workbook_reader` fuzz target (`fuzz/corpus/workbook_reader/`,
//! seeded by fuzz/seeds/workbooks.py and grown by `cargo fuzz run`, see fuzz/README.md) through
//! the same entry point, in every `cargo test`: each input is read as an `.ods` and an `.xlsx`
//! workbook, as a recorded-crime and an outcomes table; none may panic, and every table read
//! must balance.

use std::path::Path;

#[test]
fn workbook_fuzz_corpus_replays_without_a_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/workbook_reader");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        // A fuzzer running beside the tests may drop an input it has just reduced.
        let Ok(bytes) = std::fs::read(entry.unwrap().path()) else { continue };
        conduct_stats::fuzzing::read_workbook(&bytes);
        replayed += 1;
    }
    assert!(replayed >= 4, "the corpus is there (at least the four seeds): {replayed} inputs");
}

/// The seeds are read as the tables they are: a recorded-crime table with a title row, a notes
/// sheet, a suppressed cell, a non-force row and a bad row, in both formats (so the fuzzer
/// starts from inputs that reach the table reader, not from ones refused at the zip).
#[test]
fn workbook_fuzz_seeds_are_read_as_tables() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/workbook_reader");
    for ext in ["ods", "xlsx"] {
        let mut tables = conduct_stats::Tables::new();
        let s = conduct_stats::published::read_recorded(&dir.join(format!("seed-recorded.{ext}")), &mut tables).unwrap();
        assert_eq!((s.read, s.used, s.non_force, s.rejected, s.suppressed), (4, 2, 1, 1, 1), "{ext}");
        assert_eq!(s.skipped_sheets, ["Notes"], "{ext}");
        let s = conduct_stats::published::read_outcomes(&dir.join(format!("seed-outcomes.{ext}")), &mut tables).unwrap();
        assert_eq!((s.read, s.used, s.rejected), (2, 2, 0), "{ext}");
        assert!(s.unused_count_column.is_some(), "{ext}: both counts");
    }
}

/// `conduct stats --recorded FILE` under a 3 GB address-space limit (so that a regression fails
/// as an abort, not by exhausting the machine): its exit code and stderr.
fn stats_on(file: &str) -> (Option<i32>, String) {
    let tmp = tempfile::tempdir().unwrap();
    let cmd = crate::util::conduct();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 3000000; exec \"$0\" stats --recorded \"$1\" --out \"$2\"")
        .arg(cmd.get_program())
        .arg(crate::util::data(&format!("workbook-bombs/{file}")))
        .arg(tmp.path().join("out"))
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Found while fuzzing the workbook reader: a 1.5 kB `.xlsx` with a cell in A1 and one in
/// XFD1048576 made calamine allocate the whole 17-billion-cell span (549 GB), and the process
/// aborted. The sheet is now read cell by cell and refused, naming file, sheet and limit.
#[test]
fn regression_a_kilobyte_xlsx_spanning_a_whole_sheet_aborted_out_of_memory() {
    let (code, stderr) = stats_on("span-a1-to-xfd1048576.xlsx");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("span-a1-to-xfd1048576.xlsx, sheet \"S\": refused")
            && stderr.contains("17179869184 cells")
            && stderr.contains(&format!("over the limit of {} cells", conduct_stats::published::MAX_SHEET_CELLS)),
        "{stderr}"
    );
}

/// Likewise: a 0.7 kB `.ods` of one row of 16,000 valued cells repeated 6,000 times made
/// calamine build 96 million cells on opening (over 3 GB). Counted from content.xml first, and
/// refused.
#[test]
fn regression_an_ods_of_repeated_rows_asked_for_gigabytes() {
    let (code, stderr) = stats_on("rows-repeated-6000x16000.ods");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("refused") && stderr.contains("96000000 cells") && stderr.contains("sheet \"S\""), "{stderr}");
    // What LibreOffice writes (empty cells and rows repeated to the end of the sheet) is read.
    let (code, stderr) = stats_on("trailing-empty-rows.ods");
    assert_eq!(code, Some(0), "{stderr}");
}

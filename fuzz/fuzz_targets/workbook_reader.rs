//! The published tables' workbook reader (`.ods` and `.xlsx`, through calamine and the unpack
//! check): never a panic, and every table read balances.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A panic inside calamine is caught and reported as an error naming the file (source.rs,
    // `guarded`): logged, and fuzzing goes on; a panic nothing catches still crashes.
    conduct_ingest::fuzzing::keep_usual_panic_hook();
    conduct_stats::fuzzing::read_workbook(data);
});

//! The jsonl reader, through the whole ingest: never a panic, and every file's summary balances.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    conduct_ingest::fuzzing::keep_usual_panic_hook();
    conduct_ingest::fuzzing::read(conduct_ingest::fuzzing::Input::JsonLines, data);
});

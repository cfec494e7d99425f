//! The parquet reader, through the whole ingest: never a panic, and every file's summary balances.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // libfuzzer-sys aborts on any panic, even one Conduct catches: the Parquet reader turns a
    // panic inside the parquet crate into an error naming the damaged file, which is what a
    // user sees. Keep the standard hook (print), so a caught panic is logged and an uncaught
    // one still crashes the target (it cannot unwind into libFuzzer).
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let _ = std::panic::take_hook();
        std::panic::set_hook(Box::new(|info| eprintln!("panic (caught or not): {info}")));
    });
    conduct_ingest::fuzzing::read(conduct_ingest::fuzzing::Input::Parquet, data);
});

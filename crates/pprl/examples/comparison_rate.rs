//! The hub's comparison kernel rate: field similarities per second over every pair of the
//! first N records of an encodings file, in memory (as anonlink's Dice rates are measured).
//!
//! `cargo run --release -p conduct-pprl --example comparison_rate -- ENCODINGS.parquet [N]`

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: comparison_rate ENCODINGS.parquet [RECORDS]");
        std::process::exit(2);
    };
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let enc = match conduct_pprl::read_encodings(std::path::Path::new(&path)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let (evaluated, secs) = conduct_pprl::hub::comparison_rate(&enc, n);
    let n = n.min(enc.records.len());
    println!(
        "{} pairs of {n} records, {evaluated} field similarities in {secs:.3} s: {:.0}M field similarities/s",
        n * (n - 1) / 2,
        evaluated as f64 / secs / 1e6
    );
}

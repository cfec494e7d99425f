//! The hub's comparison kernel rate: field similarities per second over every pair of the
//! first N records of an encodings file, in memory (as anonlink's Dice rates are measured).
//!
//! `cargo run --release -p conduct-pprl --example comparison_rate -- ENCODINGS.parquet [N] [KERNEL|all]`
//!
//! KERNEL is one of the compilations this CPU can run (`portable`, and on x86-64 `popcnt`,
//! `avx2`, `avx512`); by default the one the hub runs, the fastest; `all` measures each.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: comparison_rate ENCODINGS.parquet [RECORDS] [KERNEL|all]");
        std::process::exit(2);
    };
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5_000);
    let available = conduct_pprl::hub::comparison_kernels();
    let best = *available.last().expect("the portable kernel");
    let kernels: Vec<&str> = match args.next() {
        None => vec![best],
        Some(k) if k == "all" => available.clone(),
        Some(k) => match available.iter().find(|a| **a == k) {
            Some(a) => vec![*a],
            None => {
                eprintln!("kernel {k} is not one this CPU can run ({})", available.join(", "));
                std::process::exit(2);
            }
        },
    };
    let enc = match conduct_pprl::read_encodings(std::path::Path::new(&path)) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let n = n.min(enc.records.len());
    for k in kernels {
        let (evaluated, secs) = conduct_pprl::hub::comparison_rate_with(&enc, n, k).expect("an available kernel");
        println!(
            "kernel {k}{}: {} pairs of {n} records, {evaluated} field similarities in {secs:.3} s: {:.0}M field similarities/s",
            if k == best { " (the hub's)" } else { "" },
            n * (n - 1) / 2,
            evaluated as f64 / secs / 1e6
        );
    }
}

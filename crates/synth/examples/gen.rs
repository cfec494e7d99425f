//! Generates a synthetic world: `gen [INCIDENTS] [OUT_DIR] [SEED]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let incidents = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let out = args.next().unwrap_or_else(|| "synth-out".to_string());
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(42);
    let config = conduct_synth::SynthConfig { incidents, seed };
    match conduct_synth::generate(&config, std::path::Path::new(&out)) {
        Ok(summary) => print!("{}", summary.to_json()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

//! `conduct synth`: write a synthetic world (incidents, people, orders, with ground truth).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `conduct synth`.
#[derive(clap::Args)]
pub struct Args {
    /// Folder to write incidents.csv, people.csv, orders.csv and truth.json into.
    #[arg(long)]
    pub out: PathBuf,
    /// Number of incidents (people rows are about twice this).
    #[arg(long, default_value_t = 20_000)]
    pub incidents: usize,
    /// Random seed; the same seed writes the same files.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let spinner = crate::progress::spinner("generating");
    let summary = generate(&args)?;
    spinner.finish_and_clear();
    outln!("{}", summary.to_json())?;
    Ok(ExitCode::SUCCESS)
}

pub fn generate(args: &Args) -> anyhow::Result<conduct_synth::SynthSummary> {
    let config = conduct_synth::SynthConfig { incidents: args.incidents, seed: args.seed };
    conduct_synth::generate(&config, &args.out).with_context(|| format!("writing a synthetic world into {}", args.out.display()))
}

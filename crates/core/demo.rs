//! `conduct demo`: the main job on a synthetic world. Generates a world, imports it into a
//! fresh workspace and writes every output that exists so far into one folder, with a printed
//! summary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

/// Arguments of `conduct demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Output folder (replaced if it exists and holds a previous demo).
    #[arg(long, default_value = "conduct-demo")]
    pub out: PathBuf,
    /// Number of synthetic incidents.
    #[arg(long, default_value_t = 50_000)]
    pub incidents: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let world = args.out.join("world");
    let workspace = args.out.join("workspace");
    if workspace.exists() {
        std::fs::remove_dir_all(&workspace)
            .with_context(|| format!("clearing the previous demo workspace {}", workspace.display()))?;
    }
    eprintln!("1/2 generating a synthetic world of {} incidents (seed {})", args.incidents, args.seed);
    let t = Instant::now();
    let synth = crate::synth::Args { out: world.clone(), incidents: args.incidents, seed: args.seed };
    let world_summary = crate::synth::generate(&synth)?;
    let synth_secs = t.elapsed().as_secs_f64();
    eprintln!("2/2 importing it into {}", workspace.display());
    let t = Instant::now();
    let inputs = crate::ingest::inputs_in(&world)?;
    let report_dir = args.out.join("import");
    let report = crate::ingest::import(&workspace, &inputs, &report_dir)?;
    let import_secs = t.elapsed().as_secs_f64();
    println!("Conduct demo: {}", args.out.display());
    println!();
    println!("synthetic world ({synth_secs:.1} s): {}", world.display());
    println!("  {}", world_summary.to_json());
    println!();
    println!("import ({import_secs:.1} s):");
    crate::ingest::print_report(&report, &report_dir);
    println!();
    println!("outputs:");
    println!("  {}/{{incidents,people,orders}}.csv   the synthetic export, with ground truth", world.display());
    println!("  {}/conduct.db                        the workspace (SQLite)", workspace.display());
    println!("  {}/summary.json                         what was read, accepted, rejected", report_dir.display());
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(crate::ingest::exit_code(&report))
}

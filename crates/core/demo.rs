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
    eprintln!("1/3 generating a synthetic world of {} incidents (seed {})", args.incidents, args.seed);
    let t = Instant::now();
    let synth = crate::synth::Args { out: world.clone(), incidents: args.incidents, seed: args.seed };
    let world_summary = crate::synth::generate(&synth)?;
    let synth_secs = t.elapsed().as_secs_f64();
    eprintln!("2/3 importing it into {}", workspace.display());
    let t = Instant::now();
    let inputs = crate::ingest::inputs_in(&world)?;
    let report_dir = args.out.join("import");
    let report = crate::ingest::import(&workspace, &inputs, &report_dir)?;
    let import_secs = t.elapsed().as_secs_f64();
    eprintln!("3/3 statistics in the Home Office layout, a story per force and an HTML report");
    let t = Instant::now();
    let data = crate::stats_cmd::DataArgs {
        incidents: vec![world.join("incidents.csv")],
        orders: vec![world.join("orders.csv")],
        ..Default::default()
    };
    let stats_dir = args.out.join("stats");
    crate::stats_cmd::run(crate::stats_cmd::Args {
        data: data.clone(),
        out: stats_dir.clone(),
        periods: Vec::new(),
        fold_years: 9,
        json: false,
    })?;
    let stories_dir = args.out.join("stories");
    crate::report_cmd::run(crate::report_cmd::Args {
        command: crate::report_cmd::ReportCommand::Story(crate::report_cmd::StoryArgs {
            force: None,
            all_forces: true,
            period: None,
            fold_years: 9,
            data: data.clone(),
            out: Some(stories_dir.clone()),
        }),
    })?;
    let html_dir = args.out.join("report");
    crate::report_cmd::run(crate::report_cmd::Args {
        command: crate::report_cmd::ReportCommand::Html(crate::report_cmd::HtmlArgs {
            out: html_dir.clone(),
            period: None,
            data,
        }),
    })?;
    let stats_secs = t.elapsed().as_secs_f64();
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
    println!("  {}/                                      Home Office tables and derived figures ({stats_secs:.1} s)", stats_dir.display());
    println!("  {}/                                    one Markdown story per force", stories_dir.display());
    println!("  {}/index.html                           charts and tables, national and per force", html_dir.display());
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(crate::ingest::exit_code(&report))
}

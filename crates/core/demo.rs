//! `conduct demo`: the main job on a synthetic world. Generates a world, then runs the whole
//! pipeline on it (`conduct run`: import, link, courses, statistics, reports) into one folder,
//! and scores linkage and courses against the world's ground truth.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Arguments of `conduct demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Output folder (its previous demo workspace is replaced).
    #[arg(long, default_value = "conduct-demo")]
    pub out: PathBuf,
    /// Number of synthetic incidents.
    #[arg(long, default_value_t = 50_000)]
    pub incidents: usize,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Also write X.parquet beside every X.csv of the run (as `conduct run --parquet`).
    #[arg(long)]
    pub parquet: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let world = args.out.join("world");
    note!("synthetic world of {} incidents (seed {})", args.incidents, args.seed);
    let t = Instant::now();
    let synth = crate::synth::Args { out: world.clone(), incidents: args.incidents, seed: args.seed };
    let world_summary = crate::synth::generate(&synth)?;
    let synth_secs = t.elapsed().as_secs_f64();
    let inputs = crate::ingest::inputs_in(&world)?;
    let stages = crate::run_cmd::pipeline(&inputs, &args.out, args.parquet)?;

    outln!()?;
    outln!("Conduct demo: {}", args.out.display())?;
    outln!("synthetic world ({synth_secs:.1} s): {}", world.display())?;
    outln!("  {}", world_summary.to_json())?;
    outln!()?;
    outln!("import:")?;
    crate::ingest::print_report(&stages.import, &args.out.join("import"))?;
    outln!()?;
    outln!("scored against the world's ground truth:")?;
    let truth_people = world.join("people.csv");
    let persons = conduct_resolve::eval::score(
        &conduct_resolve::eval::read_assignment(&truth_people, "true_person_id")?,
        &conduct_resolve::eval::read_written_assignment(&args.out.join("link/persons.csv"), "person_id")?,
    );
    outln!("  persons   pairwise precision {:.4}  recall {:.4}  F1 {:.4}", persons.precision, persons.recall, persons.f1)?;
    let courses = conduct_courses::eval::score(&world.join("incidents.csv"), &args.out.join("courses/courses.csv"))?;
    outln!(
        "  courses   pairwise precision {:.4}  recall {:.4}  F1 {:.4}",
        courses.pairs.precision(),
        courses.pairs.recall(),
        courses.pairs.f1()
    )?;
    outln!("  hidden repeats found: recall {:.4}  precision {:.4}", courses.hidden.recall(), courses.hidden.precision())?;
    if let Some(b) = courses.breaches {
        outln!("  order breaches: recall {:.4}  precision {:.4}", b.recall(), b.precision())?;
    }
    crate::run_cmd::print_outputs(&args.out, &stages)?;
    outln!("  {:<28} the synthetic export, with ground truth (truth.json)", "world/")?;
    outln!("done in {:.1} s", started.elapsed().as_secs_f64())?;
    Ok(crate::ingest::exit_code(&stages.import))
}

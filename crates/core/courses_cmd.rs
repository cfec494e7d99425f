//! `conduct courses` and `conduct eval courses`: link reports into courses of conduct through
//! resolved people, and score the result against ground truth.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use conduct_ingest::{Ingest, Inputs};
use conduct_pipeline::{Export, Options, Persons};

/// The files of a force export, for the commands that need all of it at once.
#[derive(clap::Args, Clone)]
pub struct ExportArgs {
    /// Incidents file(s) of the export.
    #[arg(long, required = true)]
    pub incidents: Vec<PathBuf>,
    /// People file(s) of the export.
    #[arg(long, required = true)]
    pub people: Vec<PathBuf>,
    /// Orders file(s) of the export.
    #[arg(long)]
    pub orders: Vec<PathBuf>,
    /// Risk-assessment file(s) of the export: DASH, S-DASH and SASH screenings (optional).
    #[arg(long)]
    pub risk_assessments: Vec<PathBuf>,
}

impl ExportArgs {
    /// The files as ingest's inputs.
    pub fn inputs(self) -> Inputs {
        Inputs { incidents: self.incidents, people: self.people, orders: self.orders, risk_assessments: self.risk_assessments }
    }
}

/// Arguments of `conduct courses`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: ExportArgs,
    /// persons.csv from `conduct link` (record_id,person_id); when not given, the people are
    /// linked first (and OUT/persons.csv is written).
    #[arg(long)]
    pub persons: Option<PathBuf>,
    /// Output folder for courses.csv, course_summary.csv, triage.csv, timelines/ …
    #[arg(long)]
    pub out: PathBuf,
    /// Days within which an unknown-suspect report joins a victim's course.
    #[arg(long, default_value_t = Options::default().courses.window_days)]
    pub window_days: i32,
}

/// Reads an export through the same validation as `conduct ingest`, keeping the rows it set
/// aside as `conduct run`'s import does: the analysis gives each rejected people row that names
/// a record a person of its own ([`conduct_pipeline::analyse`]), so that persons.csv lists
/// every people row, as `conduct run` writes it.
pub fn read_export(inputs: &Inputs) -> anyhow::Result<Export> {
    let mut ingest = Ingest::new();
    let (read, summary) = ingest.read_whole(inputs)?;
    let rejects = ingest.rejects().to_vec();
    Ok(Export {
        incidents: read.incidents,
        people: read.people,
        orders: read.orders,
        risk_assessments: read.risk_assessments,
        summary,
        rejects,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    let export = read_export(&args.export.inputs())?;
    let read_secs = t.elapsed().as_secs_f64();
    let persons = match &args.persons {
        Some(p) => {
            let persons = Persons::read_csv(p, &export.people)?;
            if persons.unlisted() > 0 {
                note!("conduct: {} people rows are not in {}; each is taken as a person of its own", persons.unlisted(), p.display());
            }
            Some(persons)
        }
        None => None,
    };
    if export.incidents.is_empty() {
        bail!("no usable incidents were read");
    }
    let mut options = Options::default();
    options.courses.window_days = args.window_days;
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let analysis = match persons {
        Some(persons) => conduct_pipeline::analyse_with_persons(&export, persons, &options),
        None => conduct_pipeline::analyse(&export, &options)?,
    };
    if let Some(linked) = &analysis.linked {
        let persons = out.join("persons.csv");
        analysis.persons.write_csv(&persons, &export.people)?;
        // Which model linked them, and why, as `conduct link` says it (issue 12).
        linked.model.save(&out.join("model.json"))?;
        for line in linked.stats.to_text().lines().filter(|l| l.starts_with("model:") || l.starts_with("warning:")) {
            note!("{line}");
        }
        outln!(
            "linked     {} people rows into {} persons ({:.1} s); {}",
            export.people.len(),
            analysis.persons.linked_count(),
            stage(&analysis, "link"),
            persons.display()
        )?;
    }
    let write_secs = write_courses(&export, &analysis, out)?;
    print_courses(&export, &analysis, read_secs, write_secs, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Seconds the analysis spent in `stage` (0 if it did not run it).
pub fn stage(analysis: &conduct_pipeline::Analysis, name: &str) -> f64 {
    analysis.stages.iter().find(|(n, _)| *n == name).map_or(0.0, |(_, d)| d.as_secs_f64())
}

/// Writes the courses, breaches, review list and timelines into `out`; returns the seconds it
/// took.
pub fn write_courses(export: &Export, analysis: &conduct_pipeline::Analysis, out: &Path) -> anyhow::Result<f64> {
    let t = Instant::now();
    let name = |p: u32| analysis.persons.id(p);
    analysis.found(export, &name).write(out)?;
    Ok(t.elapsed().as_secs_f64())
}

/// Prints what the analysis found (the export read in `read_secs`, the courses written into
/// `out` in `write_secs`).
pub fn print_courses(
    export: &Export,
    analysis: &conduct_pipeline::Analysis,
    read_secs: f64,
    write_secs: f64,
    out: &Path,
) -> anyhow::Result<()> {
    let found = &analysis.courses;
    let reports: usize = found.courses.iter().map(|c| c.incidents.len()).sum();
    let hidden: usize = found.courses.iter().map(|c| c.hidden.len()).sum();
    let cross = found.courses.iter().filter(|c| c.is_cross_force()).count();
    outln!(
        "read       {} incidents, {} people rows, {} orders, {} risk screenings ({read_secs:.1} s; {} rows rejected)",
        export.incidents.len(),
        export.people.len(),
        export.orders.len(),
        export.risk_assessments.len(),
        export.summary.rejected()
    )?;
    outln!("courses    {} holding {reports} reports ({:.1} s)", found.courses.len(), stage(analysis, "courses"))?;
    outln!("hidden     {hidden} repeats never linked by the force at the time")?;
    outln!("cross      {cross} courses cross into another force")?;
    outln!(
        "serial     {} suspects with courses against several victims; {} victims with several suspects",
        found.serial_suspects.len(),
        found.repeat_victims.len()
    )?;
    outln!("breaches   {} reports may breach a protective order", analysis.breaches.len())?;
    for p in [conduct_courses::Priority::Urgent, conduct_courses::Priority::High, conduct_courses::Priority::Review] {
        outln!("{:<10} {} courses", p.as_str(), analysis.reviews.iter().filter(|r| r.priority == p).count())?;
    }
    outln!(
        "written    {}/{{courses,course_summary,triage,hidden_repeats,withdrawal_by_force,breaches}}.csv, timelines/ ({write_secs:.1} s)",
        out.display()
    )?;
    Ok(())
}

/// Arguments of `conduct eval courses`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// Incidents file with true_course_id (and true_breach_order_ref).
    #[arg(long)]
    pub truth: PathBuf,
    /// courses.csv to score (breaches.csv beside it is scored too).
    #[arg(long)]
    pub predicted: PathBuf,
}

pub fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let s = conduct_courses::eval::score(&args.truth, &args.predicted)?;
    let mut v = serde_json::json!({ "pairs": s.pairs.to_json(), "hidden_repeats": s.hidden.to_json() });
    if let Some(b) = s.breaches {
        v["breaches"] = b.to_json();
    }
    outln!("{}", serde_json::to_string_pretty(&v)?)?;
    Ok(ExitCode::SUCCESS)
}

//! `conduct run`: the whole pipeline on one export — import into a workspace, link people into
//! persons, find courses of conduct and rank them for review, and compute the statistics and
//! reports — into one folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use conduct_ingest::Inputs;

/// Arguments of `conduct run`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: crate::courses_cmd::ExportArgs,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// Time per stage of a run, in seconds.
pub struct Stages {
    /// (stage, seconds)
    pub seconds: Vec<(&'static str, f64)>,
    /// The import's outcome.
    pub import: conduct_store::ImportReport,
}

/// Runs every stage into `out`: workspace/, import/, link/, courses/, stats/, stories/, report/.
pub fn pipeline(inputs: &Inputs, out: &Path) -> anyhow::Result<Stages> {
    let mut seconds = Vec::new();
    let mut stage = |name: &'static str, t: Instant| seconds.push((name, t.elapsed().as_secs_f64()));

    note!("import");
    let t = Instant::now();
    let workspace = out.join("workspace");
    if workspace.exists() {
        std::fs::remove_dir_all(&workspace)?;
    }
    let import = crate::ingest::import(&workspace, inputs, &out.join("import"))?;
    stage("import", t);

    // The export is read into memory once for linkage and courses (the import above streamed it
    // into the workspace without keeping it).
    note!("read the export");
    let t = Instant::now();
    let mut ingest = conduct_ingest::Ingest::new();
    let (export, summary) = ingest.read_whole(inputs)?;
    let from_people = |file: &Path| inputs.people.iter().any(|p| p == file);
    let people = conduct_ingest::PeopleFile {
        rows: export.people,
        rejects: ingest.rejects().iter().filter(|r| from_people(&r.file)).cloned().collect(),
        warnings: ingest.warnings().iter().filter(|w| from_people(&w.file)).cloned().collect(),
        summaries: summary.files.iter().filter(|f| from_people(&f.file)).cloned().collect(),
    };
    let read_time = t.elapsed();
    stage("read", t);

    note!("link people into persons");
    let t = Instant::now();
    if people.rows.is_empty() && people.rejects.is_empty() {
        anyhow::bail!("no people rows in the export");
    }
    let link_dir = out.join("link");
    let link_args = crate::link_cmd::LinkArgs {
        people: inputs.people.clone(),
        incidents: None,
        out: link_dir.clone(),
        model: None,
        threshold: None,
        pairs_min_weight: 0.0,
        all_pairs: false,
        seed: 42,
        max_block_size: 16,
        json: false,
    };
    // Only the person of each row is kept; the scored pairs are freed here.
    let person = crate::link_cmd::link_file(&people, read_time, &crate::link_cmd::names(&inputs.people), &link_args)?.person;
    let count = person.iter().copied().max().map_or(0, |m| m + 1);
    let persons = (person, (0..count).map(conduct_resolve::person_id).collect());
    stage("link", t);

    note!("courses of conduct");
    let t = Instant::now();
    let export = crate::courses_cmd::Export { incidents: export.incidents, people: people.rows, orders: export.orders, summary };
    crate::courses_cmd::run_on(
        &export,
        read_time.as_secs_f64(),
        Some(persons),
        &out.join("courses"),
        &conduct_courses::Options::default(),
    )?;
    drop(export);
    stage("courses", t);

    note!("statistics and reports");
    let t = Instant::now();
    let data = crate::stats_cmd::DataArgs { incidents: inputs.incidents.clone(), orders: inputs.orders.clone(), ..Default::default() };
    // Loaded once for the statistics, the stories and the HTML report.
    let loaded = crate::stats_cmd::load(&data)?;
    if loaded.used == 0 {
        anyhow::bail!("nothing usable was read for the statistics");
    }
    crate::stats_cmd::run_loaded(
        crate::stats_cmd::Args { data: data.clone(), out: out.join("stats"), periods: Vec::new(), fold_years: 9, json: false },
        &loaded,
    )?;
    crate::report_cmd::run_on(
        crate::report_cmd::Args {
            command: crate::report_cmd::ReportCommand::Story(crate::report_cmd::StoryArgs {
                force: None,
                all_forces: true,
                period: None,
                fold_years: 9,
                data: data.clone(),
                out: Some(out.join("stories")),
            }),
        },
        &loaded.tables,
    )?;
    crate::report_cmd::run_on(
        crate::report_cmd::Args {
            command: crate::report_cmd::ReportCommand::Html(crate::report_cmd::HtmlArgs { out: out.join("report"), period: None, data }),
        },
        &loaded.tables,
    )?;
    stage("stats", t);
    Ok(Stages { seconds, import })
}

/// Prints where everything is.
pub fn print_outputs(out: &Path, stages: &Stages) -> anyhow::Result<()> {
    outln!()?;
    outln!("outputs in {}:", out.display())?;
    for (path, what) in [
        ("workspace/conduct.db", "the workspace (SQLite)"),
        ("import/summary.json", "rows read, accepted, rejected (rejects.csv, warnings.csv beside it)"),
        ("link/persons.csv", "record_id,person_id: who is who (pairs.csv, model.json beside it)"),
        ("courses/courses.csv", "course_id,force,incident_ref"),
        ("courses/triage.csv", "courses in review order, each with its reasons"),
        ("courses/hidden_repeats.csv", "repeats each force never linked"),
        ("courses/timelines/", "one timeline per course"),
        ("stats/", "Home Office tables and derived figures"),
        ("stories/", "one local story per force"),
        ("report/index.html", "charts and tables, national and per force"),
    ] {
        outln!("  {path:<28} {what}")?;
    }
    let times: Vec<String> = stages.seconds.iter().map(|(n, s)| format!("{n} {s:.1} s")).collect();
    outln!("time: {}", times.join(", "))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let stages = pipeline(&args.export.inputs(), &args.out)?;
    print_outputs(&args.out, &stages)?;
    Ok(crate::ingest::exit_code(&stages.import))
}

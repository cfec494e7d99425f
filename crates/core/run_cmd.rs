//! `conduct run`: the whole pipeline on one export — import into a workspace, link people into
//! persons, find courses of conduct and rank them for review, and compute the statistics and
//! reports — into one folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use conduct_ingest::{Inputs, Table};

/// Arguments of `conduct run`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: crate::courses_cmd::ExportArgs,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write X.parquet beside every X.csv of import/, link/, courses/ and stats/ (typed
    /// columns, for pandas, Polars or DuckDB).
    #[arg(long)]
    pub parquet: bool,
    /// The hub's links for this force's records, with the other forces' reports beside them
    /// (as `conduct courses --cross-force-links`): they join the courses; linkage and the
    /// statistics stay the force's own.
    #[arg(long, requires = "keymap", value_name = "FILE_OR_DIR")]
    pub cross_force_links: Option<PathBuf>,
    /// The keymap.csv `conduct encode` wrote for this force (with --cross-force-links).
    #[arg(long, requires = "cross_force_links")]
    pub keymap: Option<PathBuf>,
}

/// Time per stage of a run, in seconds.
pub struct Stages {
    /// (stage, seconds)
    pub seconds: Vec<(&'static str, f64)>,
    /// The import's outcome.
    pub import: conduct_store::ImportReport,
}

/// Runs every stage into `out`: workspace/, import/, link/, courses/, stats/, stories/, report/.
/// The export is read once: the import keeps it in memory for the analysis
/// ([`conduct_pipeline::analyse`]).
///
/// For a command that ends when this returns: the export and the analysis are left to the
/// process's end rather than freed (see the end of [`pipeline_across`]).
pub fn pipeline(inputs: &Inputs, out: &Path, parquet: bool) -> anyhow::Result<Stages> {
    pipeline_across(inputs, out, parquet, None)
}

/// [`pipeline`] with what the hub sent back for the force, read beforehand
/// ([`crate::courses_cmd::read_cross_force`]): the other forces' reports join the courses.
pub fn pipeline_across(
    inputs: &Inputs,
    out: &Path,
    parquet: bool,
    cross: Option<&crate::courses_cmd::CrossForce>,
) -> anyhow::Result<Stages> {
    let mut seconds = Vec::new();

    note!("import");
    let t = Instant::now();
    let workspace = out.join("workspace");
    if workspace.exists() {
        std::fs::remove_dir_all(&workspace)?;
    }
    // The import's last writes (key indexes, commit) go on beside the analysis, and are waited
    // for before anything else is written: a failed import writes nothing more.
    let (export, import) = crate::ingest::import_aside(&workspace, inputs, &out.join("import"))?;
    seconds.push(("import", t.elapsed().as_secs_f64()));
    let people_rows: u64 = export.summary.files.iter().filter(|f| f.table == Table::People).map(|f| f.read).sum();
    if people_rows == 0 {
        import.finish()?;
        bail!("no people rows in the export");
    }

    note!("analyse: link people into persons, find courses of conduct, build the tables");
    let options = conduct_pipeline::Options::default();
    let analysis = conduct_pipeline::analyse(&export, &options);
    let t = Instant::now();
    let import = import.finish()?;
    let waited = t.elapsed().as_secs_f64();
    let mut analysis = analysis?;
    // With the hub's links, the courses (and link/persons.csv) hold the other forces' linked
    // records too; linkage and the statistics stay the force's own.
    let export = match cross {
        Some(c) => {
            let (all, with, _) = crate::courses_cmd::take_in(&export, analysis, c, &options);
            analysis = with;
            all
        }
        None => export,
    };
    // The SPO breaches the analysis found (courses/breaches.csv) are counted in the statistics,
    // the stories and the FOI answers beside the breaches the records name, labelled as found
    // by analysis and never added to them or to the Home Office tables. They are known before
    // anything is written, so the statistics need not wait for courses/ to be written.
    let found_pairs = analysis.breaches.iter().map(|b| (b.order, b.incident));
    analysis.statistics.tables.add_found_breaches(&export.incidents, &export.orders, found_pairs);
    for (name, d) in &analysis.stages {
        seconds.push((if *name == "statistics" { "statistics (beside link)" } else { name }, d.as_secs_f64()));
    }
    seconds.push(("import's end (beside them)", waited));

    note!("write");
    let t = Instant::now();
    let linked = analysis.linked.as_ref().context("the pipeline links the people")?;
    let link_dir = out.join("link");
    let write_link = || crate::link_cmd::write_link(&link_dir, &export.people, &analysis.persons, linked);
    let note_link = |write_time: Duration| {
        let of_people = |n: fn(&conduct_ingest::FileSummary) -> u64| {
            export.summary.files.iter().filter(|f| f.table == Table::People).map(n).sum::<u64>() as usize
        };
        let summary = crate::link_cmd::LinkSummary {
            rows: export.people.len(),
            rejected: of_people(|f| f.rejected),
            warnings: of_people(|f| f.warnings),
            read_time: import.timings.read,
            write_time,
        };
        let link_time = analysis.stages.iter().find(|(n, _)| *n == "link").map_or(Duration::ZERO, |s| s.1);
        let total = summary.read_time + link_time + write_time;
        crate::link_cmd::note_link(&summary, &crate::link_cmd::names(&inputs.people), &analysis.persons, linked, &link_dir, total, false);
    };
    if export.incidents.is_empty() {
        note_link(write_link()?);
        bail!("no usable incidents were read");
    }
    if analysis.statistics.used() == 0 {
        bail!("nothing usable was read for the statistics");
    }
    let statistics = &analysis.statistics;
    // Who is who (persons.csv, pairs.csv), the courses (one timeline file per course) and the
    // statistics, stories and report are written side by side; what they say is printed
    // afterwards, in order.
    let stats_args = crate::stats_cmd::Args {
        data: crate::stats_cmd::DataArgs { incidents: inputs.incidents.clone(), orders: inputs.orders.clone(), ..Default::default() },
        out: out.join("stats"),
        periods: options.stats.periods.iter().map(|p| p.to_string()).collect(),
        fold_years: options.stats.fold_years,
        json: false,
        parquet: false,
    };
    let mut read = crate::stats_cmd::Read::of_export(&statistics.files, &statistics.rejects);
    read.files.push(crate::stats_cmd::analysed_breaches_json(
        &out.join("courses").join("breaches.csv"),
        &export.orders,
        &analysis.breaches,
    ));
    let write_stats = || -> anyhow::Result<serde_json::Value> {
        let summary = crate::stats_cmd::write(&stats_args, &statistics.tables, &read)?;
        let report = |command| crate::report_cmd::run_on(crate::report_cmd::Args { command }, &statistics.tables);
        report(crate::report_cmd::ReportCommand::Story(crate::report_cmd::StoryArgs {
            force: None,
            all_forces: true,
            period: None,
            fold_years: options.stats.fold_years,
            data: stats_args.data.clone(),
            out: Some(out.join("stories")),
            charts: None,
        }))?;
        write_foi(&statistics.tables, &out.join("foi"))?;
        report(crate::report_cmd::ReportCommand::Html(crate::report_cmd::HtmlArgs {
            out: out.join("report"),
            period: None,
            data: stats_args.data.clone(),
        }))?;
        Ok(summary)
    };
    let (link_written, courses_written, stats_written) = std::thread::scope(|s| {
        let link = s.spawn(write_link);
        let stats = s.spawn(write_stats);
        let courses = crate::courses_cmd::write_courses(&export, &analysis, &out.join("courses"));
        let failed = |what: &str| anyhow::anyhow!("writing {what} failed");
        (link.join().unwrap_or_else(|_| Err(failed("link/"))), courses, stats.join().unwrap_or_else(|_| Err(failed("stats/"))))
    });
    note_link(link_written?);
    let courses_secs = courses_written?;
    let stats_summary = stats_written?;
    if parquet {
        for dir in ["import", "link", "courses", "stats"] {
            crate::export_cmd::parquet_beside(&out.join(dir), dir)?;
        }
    }
    seconds.push(("write", t.elapsed().as_secs_f64()));
    crate::courses_cmd::print_courses(&export, &analysis, import.timings.read.as_secs_f64(), courses_secs, &out.join("courses"))?;
    crate::stats_cmd::print(&stats_args, &statistics.tables, &read, &stats_summary)?;
    // Not freed: the export and the analysis of the 1M-incident world are millions of
    // allocations, 0.3–0.4 s of one core to free while the other waited, and both callers
    // (`conduct run`, `conduct demo`) end the process next, which returns the memory at once.
    // (Freeing them on a thread of their own would race the allocator's shutdown at exit.)
    std::mem::forget((export, analysis));
    Ok(Stages { seconds, import })
}

/// Writes the answer to the standard stalking FOI request for every force in the data into
/// `dir` (`force-*.md`), for the three financial years to the latest one the export covers to
/// its end (the year of its latest quarter when that is a fourth quarter, the year before
/// otherwise), with the SPO breaches found by analysis beside the recorded ones.
fn write_foi(tables: &conduct_stats::Tables, dir: &Path) -> anyhow::Result<()> {
    let Some(latest) = tables.latest_quarter() else { return Ok(()) };
    let year = if latest.quarter() == 4 { latest.year() } else { latest.year() - 1 };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let options = conduct_report::FoiOptions { latest_year: Some(year) };
    let mut n = 0;
    for force in tables.forces() {
        match conduct_report::foi(tables, force, &options) {
            Ok(text) => {
                let page = conduct_report::html::page_name(conduct_stats::Area::Force(force)).replace(".html", ".md");
                let path = dir.join(page);
                std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
                n += 1;
            }
            Err(e) => note!("conduct: FOI answer for {}: {e}", force.name()),
        }
    }
    note!("{n} FOI answers to {} written to {}", conduct_stats::period::financial_year_label(year), dir.display());
    Ok(())
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
        ("courses/timelines.jsonl", "one timeline per course, one JSON per line"),
        ("stats/", "Home Office tables and derived figures"),
        ("stories/", "one local story per force"),
        ("foi/", "one answer to the standard stalking FOI request per force"),
        ("report/index.html", "charts and tables, national and per force"),
    ] {
        outln!("  {path:<28} {what}")?;
    }
    let times: Vec<String> = stages.seconds.iter().map(|(n, s)| format!("{n} {s:.1} s")).collect();
    outln!("time: {}", times.join(", "))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let inputs = args.export.inputs();
    // What the hub sent is checked against the export before anything is written.
    let cross = match (&args.cross_force_links, &args.keymap) {
        (Some(links), Some(keymap)) => {
            Some(crate::courses_cmd::read_cross_force(links, keymap, &crate::courses_cmd::read_export(&inputs)?)?)
        }
        _ => None,
    };
    let stages = pipeline_across(&inputs, &args.out, args.parquet, cross.as_ref())?;
    print_outputs(&args.out, &stages)?;
    Ok(crate::ingest::exit_code(&stages.import))
}

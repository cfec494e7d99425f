//! `conduct export`: a course of conduct, a person's network or every course of a force, for
//! the analyst's own tools — an i2 Analyst's Notebook chart (ANX), GraphML, or Parquet tables.
//! It reads the export and analyses it as `conduct courses` does (the same flags; `--persons`
//! skips linkage), then writes what was selected ([`conduct_export`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::bail;
use conduct_export::{Network, Selection};
use conduct_pipeline::{Options, Persons};

/// The format to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// i2 Analyst's Notebook chart (ANX XML): one file.
    Anx,
    /// GraphML for Gephi, yEd and Neo4j: one file.
    Graphml,
    /// Parquet: one file per CSV table of `conduct courses`, in the folder --out.
    Parquet,
}

/// Arguments of `conduct export`.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("selection").required(true).args(["course", "person", "force", "all"])))]
pub struct Args {
    #[command(flatten)]
    pub export: crate::courses_cmd::ExportArgs,
    /// persons.csv from `conduct link` or `conduct run` (record_id,person_id); when not given,
    /// the people are linked first, as `conduct courses` links them.
    #[arg(long)]
    pub persons: Option<PathBuf>,
    /// Days within which an unknown-suspect report joins a victim's course.
    #[arg(long, default_value_t = Options::default().courses.window_days)]
    pub window_days: i32,
    /// One course of conduct, by its id (C000001, as in courses.csv).
    #[arg(long, value_name = "COURSE_ID")]
    pub course: Option<String>,
    /// A person's network, by person_id (as in persons.csv): their courses as victim or suspect
    /// and every report that names them.
    #[arg(long, value_name = "PERSON_ID")]
    pub person: Option<String>,
    /// Every course of conduct with a report recorded by the force (name or alias).
    #[arg(long, value_name = "FORCE")]
    pub force: Option<String>,
    /// Every course of conduct (Parquet: every row of the CSV files).
    #[arg(long)]
    pub all: bool,
    /// What to write.
    #[arg(long, value_enum)]
    pub format: Format,
    /// The file to write (anx, graphml), or the folder (parquet).
    #[arg(long)]
    pub out: PathBuf,
}

/// `--parquet` of `conduct run`, `stats`, `ingest` and `link`: writes `X.parquet` beside every
/// `X.csv` in `dir` ([`conduct_export::parquet_twins`]) and says so on stderr, with any column
/// kept as text.
pub fn parquet_beside(dir: &std::path::Path, source: &str) -> anyhow::Result<()> {
    let written = conduct_export::parquet_twins(dir, source)?;
    let rows: u64 = written.files.iter().map(|f| f.1).sum();
    note!("{} Parquet files ({rows} rows) written beside the CSV files in {}", written.files.len(), dir.display());
    for n in &written.notes {
        note!("conduct: {n}");
    }
    Ok(())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let selection = match (&args.course, &args.person, &args.force) {
        (Some(c), _, _) => Selection::Course(c.clone()),
        (_, Some(p), _) => Selection::Person(p.clone()),
        (_, _, Some(f)) => Selection::Force(f.clone()),
        _ => Selection::All,
    };
    let t = Instant::now();
    note!("read and analyse");
    let export = crate::courses_cmd::read_export(&args.export.clone().inputs())?;
    if export.incidents.is_empty() {
        bail!("no usable incidents were read");
    }
    let mut options = Options::default();
    options.courses.window_days = args.window_days;
    let analysis = match &args.persons {
        Some(p) => {
            let persons = Persons::read_csv(p, &export.people)?;
            if persons.unlisted() > 0 {
                note!("conduct: {} people rows are not in {}; each is taken as a person of its own", persons.unlisted(), p.display());
            }
            conduct_pipeline::analyse_with_persons(&export, persons, &options)
        }
        None => conduct_pipeline::analyse(&export, &options)?,
    };
    let analyse_secs = t.elapsed().as_secs_f64();
    let network = Network::select(&export, &analysis, &selection)
        .map_err(|e| if e.is_selection() { anyhow::Error::new(crate::Usage(e.to_string())) } else { anyhow::Error::new(e) })?;
    let t = Instant::now();
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty() && args.format != Format::Parquet) {
        std::fs::create_dir_all(dir)?;
    }
    let written = match args.format {
        Format::Anx => conduct_export::write_anx(&network, &args.out)?,
        Format::Graphml => conduct_export::write_graphml(&network, &args.out)?,
        Format::Parquet => conduct_export::write_parquet(&network, &args.out)?,
    };
    outln!(
        "selected   {}: {} courses, {} reports, {} persons, {} orders, {} possible breaches ({analyse_secs:.1} s to read and analyse)",
        network.title(),
        network.course_count(),
        network.report_count(),
        network.person_count(),
        network.order_count(),
        network.breach_count()
    )?;
    let what = if args.format == Format::Parquet { "rows" } else { "items" };
    for (path, n) in &written.files {
        outln!("written    {} ({n} {what})", path.display())?;
    }
    for n in &written.notes {
        note!("conduct: {n}");
    }
    if written.replaced > 0 {
        note!("conduct: {} characters that XML cannot carry were replaced with U+FFFD", written.replaced);
    }
    outln!("time       {:.1} s to write", t.elapsed().as_secs_f64())?;
    Ok(ExitCode::SUCCESS)
}

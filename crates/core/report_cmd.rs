//! `conduct report`: writings from the statistics — `story` (a localised Markdown story for one
//! force, or one per force with `--all-forces`), `foi` (the standard stalking FOI answer) and
//! `html` (a report with server-side SVG charts). Data come from the published tables
//! (`--recorded`, `--outcomes`) or a force export (`--incidents`, `--orders`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use conduct_domain::{Force, ForceKind};
use conduct_report::{FoiOptions, StoryOptions};
use conduct_stats::period::parse_financial_year;
use conduct_stats::{Area, Period};

use crate::stats_cmd::{DataArgs, load, parse_periods, periods};

/// Arguments of `conduct report`.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ReportCommand,
}

/// The writings `conduct report` makes.
#[derive(clap::Subcommand)]
pub enum ReportCommand {
    /// A localised Markdown story for a force (or one per force with --all-forces).
    Story(StoryArgs),
    /// The answer to the standard FOI request on stalking for a force.
    Foi(FoiArgs),
    /// An HTML report with charts, national and per force.
    Html(HtmlArgs),
}

/// Arguments of `conduct report story`.
#[derive(clap::Args)]
pub struct StoryArgs {
    /// The force (any published spelling).
    #[arg(long, required_unless_present = "all_forces", conflicts_with = "all_forces")]
    pub force: Option<String>,
    /// One story per force in the data, written into --out.
    #[arg(long, requires = "out")]
    pub all_forces: bool,
    /// "year to September 2023", "2022/23", "calendar year 2023" (default: the year to the
    /// latest quarter in the data).
    #[arg(long)]
    pub period: Option<String>,
    /// Years back for the n-fold comparison.
    #[arg(long, default_value_t = StoryOptions::default().fold_years)]
    pub fold_years: u32,
    #[command(flatten)]
    pub data: DataArgs,
    /// Where to write: a file for one story (default: stdout), a folder with --all-forces.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write the charts the story goes with into this folder: the force's offences by
    /// quarter and outcome rates, and England and Wales's (every force's with --all-forces), each as a standalone SVG and a 1,920-px PNG with its title, source
    /// line and the counting-rule breaks labelled.
    #[arg(long, value_name = "DIR")]
    pub charts: Option<PathBuf>,
}

/// Arguments of `conduct report foi`.
#[derive(clap::Args)]
pub struct FoiArgs {
    /// The force (any published spelling).
    #[arg(long)]
    pub force: String,
    /// The last reporting year to answer for, e.g. 2022/23 (default: the latest complete one).
    #[arg(long)]
    pub year: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
    /// File to write (default: stdout).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `conduct report html`.
#[derive(clap::Args)]
pub struct HtmlArgs {
    /// Folder to write index.html and the force pages into.
    #[arg(long)]
    pub out: PathBuf,
    /// Period of the figures tables (default: the year to the latest quarter in the data).
    #[arg(long)]
    pub period: Option<String>,
    #[command(flatten)]
    pub data: DataArgs,
}

fn force(name: &str) -> anyhow::Result<Force> {
    let f = Force::resolve(name)?;
    if f.kind() == ForceKind::NonForce {
        bail!("{} is a national reporting body, not a police force", f.name());
    }
    Ok(f)
}

fn emit(text: &str, out: Option<&PathBuf>) -> anyhow::Result<()> {
    match out {
        Some(p) => {
            if let Some(parent) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
            note!("written to {}", p.display());
        }
        None => out!("{text}")?,
    }
    Ok(())
}

/// Reads `--year` of `conduct report foi`: a financial year like 2022/23 whose answer's three
/// reporting years all lie within the supported years (a command-line mistake otherwise).
fn foi_year(year: Option<&str>) -> anyhow::Result<Option<i32>> {
    let Some(y) = year else { return Ok(None) };
    let usage = |m: String| anyhow::Error::new(crate::Usage(m));
    let first = parse_financial_year(y).ok_or_else(|| usage(format!("--year {y:?} is not a financial year like 2022/23")))?;
    for k in [0, 2] {
        Period::financial_year(first - k)
            .check()
            .map_err(|e| usage(format!("--year {y:?}: the answer covers {} to {y}, and {e}", Period::financial_year(first - 2))))?;
    }
    Ok(Some(first))
}

/// Loads the data for a report, saying on stderr which files, sheets and rows were read (for a
/// workbook, a table below title rows, or outcomes with two counts; a plain CSV table read as it
/// stands is not remarked on) and how many rows could not be used.
fn loaded(data: &DataArgs) -> anyhow::Result<conduct_stats::Tables> {
    let l = load(data)?;
    for f in &l.read.files {
        if f.get("plain_csv").and_then(|p| p.as_bool()).unwrap_or(true) {
            continue;
        }
        let Some(from) = f.get("read_from").and_then(|r| r.as_array()) else { continue };
        let mut line = format!("conduct: read {} ({} table", f["file"].as_str().unwrap_or(""), f["table"].as_str().unwrap_or(""));
        if let Some(c) = f.get("count_column").and_then(|c| c.as_str()) {
            line.push_str(&format!(", counts from column {c:?}"));
        }
        note!("{line}): {} rows used", f["used"]);
        for r in from {
            note!("  {}", r.as_str().unwrap_or(""));
        }
        for n in f["notes"].as_array().into_iter().flatten() {
            note!("  note: {}", n.as_str().unwrap_or(""));
        }
    }
    if !l.read.rejects.is_empty() {
        note!("conduct: {} rows could not be used (run `conduct stats` to list them in rejects.csv)", l.read.rejects.len());
    }
    if l.read.used == 0 {
        bail!("nothing usable was read");
    }
    Ok(l.tables)
}

/// Writes the charts of `areas` into `dir` for `conduct report story --charts`, and says where.
fn write_charts(dir: &std::path::Path, tables: &conduct_stats::Tables, areas: &[Area]) -> anyhow::Result<()> {
    let files = conduct_report::html::write_charts(dir, tables, areas)?;
    note!("{} charts as SVG and PNG written to {}", files.len() / 2, dir.display());
    Ok(())
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data = match &args.command {
        ReportCommand::Story(a) => &a.data,
        ReportCommand::Foi(a) => &a.data,
        ReportCommand::Html(a) => &a.data,
    };
    // A period or year that cannot be used is said before the data are read.
    match &args.command {
        ReportCommand::Story(StoryArgs { period, .. }) | ReportCommand::Html(HtmlArgs { period, .. }) => {
            parse_periods(period.as_slice())?;
        }
        ReportCommand::Foi(a) => {
            foi_year(a.year.as_deref())?;
        }
    }
    let tables = loaded(data)?;
    run_on(args, &tables)
}

/// Runs the command on tables already loaded from its data (`conduct run` loads them once for
/// the statistics, the stories and the HTML report).
pub fn run_on(args: Args, tables: &conduct_stats::Tables) -> anyhow::Result<ExitCode> {
    match args.command {
        ReportCommand::Story(a) => {
            let period = periods(&a.period.into_iter().collect::<Vec<_>>(), tables)?[0];
            let options = StoryOptions { fold_years: a.fold_years };
            if a.all_forces {
                let dir = a.out.expect("clap requires --out with --all-forces");
                std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
                let mut n = 0;
                for f in tables.forces() {
                    match conduct_report::story(tables, f, period, &options) {
                        Ok(s) => {
                            let path = dir.join(conduct_report::html::page_name(conduct_stats::Area::Force(f)).replace(".html", ".md"));
                            std::fs::write(&path, s).with_context(|| format!("writing {}", path.display()))?;
                            n += 1;
                        }
                        Err(e) => note!("conduct: {e}"),
                    }
                }
                note!("{n} stories for {period} written to {}", dir.display());
                if let Some(charts) = &a.charts {
                    let areas: Vec<Area> = std::iter::once(Area::National).chain(tables.forces().into_iter().map(Area::Force)).collect();
                    write_charts(charts, tables, &areas)?;
                }
            } else {
                let f = force(a.force.as_deref().expect("clap requires --force"))?;
                emit(&conduct_report::story(tables, f, period, &options)?, a.out.as_ref())?;
                if let Some(charts) = &a.charts {
                    write_charts(charts, tables, &[Area::Force(f), Area::National])?;
                }
            }
        }
        ReportCommand::Foi(a) => {
            let f = force(&a.force)?;
            let latest_year = foi_year(a.year.as_deref())?;
            emit(&conduct_report::foi(tables, f, &FoiOptions { latest_year })?, a.out.as_ref())?;
        }
        ReportCommand::Html(a) => {
            let period = periods(&a.period.into_iter().collect::<Vec<_>>(), tables)?[0];
            let files = conduct_report::html(&a.out, tables, period)?;
            let pages = files.iter().filter(|f| f.extension().is_some_and(|e| e == "html")).count();
            note!(
                "{pages} pages for {period} written to {}, with {} charts as SVG and PNG in charts/",
                a.out.display(),
                (files.len() - pages) / 2
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

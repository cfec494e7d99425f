//! `conduct ingest` and `conduct status`: import a force export into the workspace and say
//! what was accepted, rejected (with reasons, in rejects.csv) and warned about.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use conduct_ingest::{Batch, Ingest, Inputs, Limits};
use conduct_store::{ImportReport, Store};

/// Arguments of `conduct ingest`.
#[derive(clap::Args)]
pub struct Args {
    /// A folder holding incidents.*, people.*, orders.* and risk_assessments.* (csv, jsonl or
    /// parquet).
    pub folder: Option<PathBuf>,
    /// Incidents files (repeatable).
    #[arg(long = "incidents")]
    pub incidents: Vec<PathBuf>,
    /// People files (repeatable).
    #[arg(long = "people")]
    pub people: Vec<PathBuf>,
    /// Orders files (repeatable).
    #[arg(long = "orders")]
    pub orders: Vec<PathBuf>,
    /// Risk-assessment files: DASH, S-DASH and SASH screenings (repeatable, optional).
    #[arg(long = "risk-assessments")]
    pub risk_assessments: Vec<PathBuf>,
    /// Workspace folder (default: $CONDUCT_WORKSPACE or ./conduct-workspace).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
    /// Where to write rejects.csv, warnings.csv and summary.json
    /// (default: WORKSPACE/imports/latest).
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
    /// Print the summary as JSON on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write rejects.parquet and warnings.parquet beside rejects.csv and warnings.csv
    /// (typed columns, for pandas, Polars or DuckDB).
    #[arg(long)]
    pub parquet: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// What one import may cost (DESIGN.md, "Costs are bounded by limits the user can see").
#[derive(clap::Args, Clone, Copy, Debug)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Longest value in one cell, in bytes; a row with a longer one is rejected.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_field_bytes, value_parser = Limits::parse_max_field_bytes)]
    pub max_field_bytes: usize,
    /// Longest row, in bytes of the file; a longer row is rejected unread and reading resumes
    /// on the next line (a longer CSV header refuses the file).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_record_bytes, value_parser = Limits::parse_max_record_bytes)]
    pub max_record_bytes: usize,
    /// A compressed file (Parquet) may decode to at most this many times its size (or 16 MiB
    /// if more), each row counting at least 256 bytes; past it the file is refused as a likely
    /// decompression bomb.
    #[arg(long, value_name = "TIMES", default_value_t = Limits::default().max_expansion, value_parser = Limits::parse_max_expansion)]
    pub max_expansion: u64,
}

impl LimitArgs {
    /// The limits for the ingest crate.
    pub fn limits(self) -> Limits {
        Limits {
            max_field_bytes: self.max_field_bytes,
            max_record_bytes: self.max_record_bytes,
            max_expansion: self.max_expansion,
            ..Limits::default()
        }
    }
}

/// Arguments of `conduct status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// Workspace folder (default: $CONDUCT_WORKSPACE or ./conduct-workspace).
    #[arg(long)]
    pub workspace: Option<PathBuf>,
}

/// The export files in a folder (see [`Inputs::in_folder`] for which names count).
pub fn inputs_in(folder: &Path) -> anyhow::Result<Inputs> {
    Inputs::in_folder(folder).with_context(|| format!("reading folder {}", folder.display()))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut inputs = match &args.folder {
        Some(f) => inputs_in(f)?,
        None => Inputs::default(),
    };
    inputs.incidents.extend(args.incidents);
    inputs.people.extend(args.people);
    inputs.orders.extend(args.orders);
    inputs.risk_assessments.extend(args.risk_assessments);
    if inputs.incidents.is_empty() && inputs.people.is_empty() && inputs.orders.is_empty() {
        bail!("no input files: give a folder holding incidents.csv, people.csv, orders.csv, or --incidents/--people/--orders");
    }
    let workspace = args.workspace.unwrap_or_else(crate::default_workspace);
    let report_dir = args.report_dir.unwrap_or_else(|| workspace.join("imports").join("latest"));
    let report = import_with(&workspace, &inputs, &report_dir, args.limits.limits())?;
    if args.parquet {
        crate::export_cmd::parquet_beside(&report_dir, "import")?;
    }
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report_json(&report, &report_dir))?)?;
    } else {
        print_report(&report, &report_dir)?;
    }
    Ok(exit_code(&report))
}

/// Imports into a workspace within `limits`, writing rejects, warnings and summary.json into
/// `report_dir`.
pub fn import_with(workspace: &Path, inputs: &Inputs, report_dir: &Path, limits: Limits) -> anyhow::Result<ImportReport> {
    let mut store = Store::open_workspace(workspace).with_context(|| format!("opening workspace {}", workspace.display()))?;
    if conduct_population::has_population(&mut store)? {
        return import_into_population(&mut store, inputs, report_dir, limits);
    }
    let ingest = Ingest::with_findings_dir(report_dir)?.with_limits(limits);
    let progress = ingest.progress();
    let total: u64 = inputs
        .incidents
        .iter()
        .chain(&inputs.people)
        .chain(&inputs.orders)
        .chain(&inputs.risk_assessments)
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let bar = crate::progress::ByteBar::start("importing", total, move || progress.bytes());
    let report = store.import(inputs, ingest);
    bar.finish();
    let report = report?;
    write_summary(&report, report_dir)?;
    Ok(report)
}

/// The import of a workspace that holds a linked population (`conduct link --update`): the
/// export is read whole, then imported and its people rows added to the population in one
/// transaction, as `conduct link --update` adds a batch (a changed row is re-linked with its
/// new values). Rejects, warnings and summary.json are written as for any import.
fn import_into_population(store: &mut Store, inputs: &Inputs, report_dir: &Path, limits: Limits) -> anyhow::Result<ImportReport> {
    let known = conduct_store::known_incidents(store.conn())?;
    let (export, summary) = Ingest::with_findings_dir(report_dir)?.with_limits(limits).read_whole_knowing(inputs, &known)?;
    let (report, update) = conduct_population::update_export(
        store,
        &export,
        summary,
        &conduct_population::Options { link: conduct_pipeline::Options::default().link, ..Default::default() },
    )?;
    note!(
        "linked population: batch {}: {} people rows new, {} changed, {} unchanged; {} persons new, {} merges, {} splits, {} moves; {} records, {} persons",
        update.batch,
        update.new,
        update.changed,
        update.unchanged,
        update.new_persons,
        update.merges,
        update.splits,
        update.moves,
        update.records,
        update.persons
    );
    write_summary(&report, report_dir)?;
    Ok(report)
}

/// Imports into a workspace as [`import_with`] does (default limits), and keeps the export in
/// memory as it goes, for the analysis (`conduct run` reads the export once): the accepted
/// records, the read's summary, its rejects and its screenings.
///
/// The import runs on a thread of its own and the records are returned as soon as every file is
/// read; the import then builds its key indexes, writes the screenings and commits (2.5 s of
/// one core at the 1M world, while the other had nothing to do) at the lowest priority, so that
/// it takes the time the analysis leaves (linkage's clustering runs on one core). Its report,
/// and the rejects, warnings and summary.json in `report_dir`, come from [`ImportAside::finish`],
/// which waits for it.
pub fn import_aside(workspace: &Path, inputs: &Inputs, report_dir: &Path) -> anyhow::Result<(conduct_pipeline::Export, ImportAside)> {
    let mut store = Store::open_workspace(workspace).with_context(|| format!("opening workspace {}", workspace.display()))?;
    std::fs::create_dir_all(report_dir).with_context(|| format!("creating {}", report_dir.display()))?;
    // Rejects and warnings are kept in memory (the analysis needs the rejects) and written by
    // `finish`, as `with_findings_dir` would have streamed them.
    let ingest = Ingest::new();
    let progress = ingest.progress();
    let size = |files: &[PathBuf]| files.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum::<u64>();
    let bar = crate::progress::ByteBar::start(
        "importing",
        size(&inputs.incidents) + size(&inputs.people) + size(&inputs.orders) + size(&inputs.risk_assessments),
        move || progress.bytes(),
    );
    // Room reserved once from the files' sizes (a CSV row is 100 bytes or more), as
    // `conduct_ingest::read_people_files` does: growing by doubling would touch fresh memory
    // twice over.
    let rows = |files: &[PathBuf]| (size(files) / 100).min(20_000_000) as usize;
    let mut export = conduct_pipeline::Export {
        incidents: Vec::with_capacity(rows(&inputs.incidents)),
        people: Vec::with_capacity(rows(&inputs.people)),
        orders: Vec::with_capacity(rows(&inputs.orders)),
        ..Default::default()
    };
    let (send, receive) = std::sync::mpsc::channel::<Imported>();
    let of_thread = inputs.clone();
    let import = std::thread::Builder::new()
        .name("import".into())
        .spawn(move || {
            store.import_keeping_then(
                &of_thread,
                ingest,
                &mut |batch| {
                    let _ = send.send(Imported::Batch(batch));
                },
                &mut |summary, ingest| {
                    let _ = send.send(Imported::Read {
                        summary: summary.clone(),
                        rejects: ingest.rejects().to_vec(),
                        screenings: ingest.risk_assessments().to_vec(),
                    });
                    lowest_priority();
                },
            )
        })
        .context("starting the import")?;
    let mut read = None;
    for message in &receive {
        match message {
            Imported::Batch(Batch::Incidents(v)) => export.incidents.extend(v),
            Imported::Batch(Batch::People(v)) => export.people.extend(v),
            Imported::Batch(Batch::Orders(v)) => export.orders.extend(v),
            Imported::Read { summary, rejects, screenings } => {
                read = Some((summary, rejects, screenings));
                break;
            }
        }
    }
    bar.finish();
    let aside = ImportAside { import, report_dir: report_dir.to_path_buf() };
    let Some((summary, rejects, screenings)) = read else {
        // The import ended before its files were read: its error.
        aside.finish()?;
        bail!("the import ended before its files were read");
    };
    export.summary = summary;
    export.rejects = rejects;
    export.risk_assessments = screenings;
    Ok((export, aside))
}

/// What the import thread of [`import_aside`] hands over.
enum Imported {
    /// Accepted records, once written.
    Batch(Batch),
    /// Every file read: the summary, the rejects and the screenings.
    Read { summary: conduct_ingest::Summary, rejects: Vec<conduct_ingest::Reject>, screenings: Vec<conduct_domain::RiskAssessment> },
}

/// An import going on beside the analysis ([`import_aside`]).
pub struct ImportAside {
    import: std::thread::JoinHandle<Result<(ImportReport, Ingest), conduct_store::Error>>,
    report_dir: PathBuf,
}

impl ImportAside {
    /// Waits for the import to commit, then writes its rejects, warnings and summary.json.
    ///
    /// # Errors
    ///
    /// The import's error (nothing of it is then held), or the reports' files'.
    pub fn finish(self) -> anyhow::Result<ImportReport> {
        let (report, ingest) = self.import.join().map_err(|_| anyhow::anyhow!("the import failed unexpectedly"))??;
        conduct_ingest::write_rejects(&self.report_dir.join("rejects.csv"), ingest.rejects())?;
        conduct_ingest::write_warnings(&self.report_dir.join("warnings.csv"), ingest.warnings())?;
        write_summary(&report, &self.report_dir)?;
        Ok(report)
    }
}

/// Puts the calling thread at the lowest priority (Linux; elsewhere nothing changes): it then
/// runs on a core that would otherwise be idle, and gives way to the analysis on a busy one.
fn lowest_priority() {
    #[cfg(target_os = "linux")]
    {
        // A refusal leaves the priority as it was: the import is as quick, only less polite.
        let _ = rustix::process::setpriority_process(Some(rustix::thread::gettid()), 19);
    }
}

/// Writes summary.json ([`report_json`]) into `report_dir`.
fn write_summary(report: &ImportReport, report_dir: &Path) -> anyhow::Result<()> {
    let path = report_dir.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report_json(report, report_dir))?)
        .with_context(|| format!("writing {}", path.display()))
}

pub fn report_json(report: &ImportReport, report_dir: &Path) -> serde_json::Value {
    let changes = |c: conduct_store::Changes| serde_json::json!({"new": c.new, "updated": c.updated, "unchanged": c.unchanged});
    let mut v = report.summary.to_json();
    v["import_id"] = report.import_id.into();
    let t = report.timings;
    v["seconds"] = serde_json::json!({
        "total": t.total.as_secs_f64(),
        "read": t.read.as_secs_f64(),
        "write": t.write.as_secs_f64(),
        "index": t.index.as_secs_f64(),
        "commit": t.commit.as_secs_f64(),
    });
    v["incidents"] = changes(report.incidents);
    v["people"] = changes(report.people);
    v["orders"] = changes(report.orders);
    v["rejects_file"] = report_dir.join("rejects.csv").display().to_string().into();
    v["warnings_file"] = report_dir.join("warnings.csv").display().to_string().into();
    v
}

pub fn print_report(report: &ImportReport, report_dir: &Path) -> anyhow::Result<()> {
    out!("{}", report.summary.to_text())?;
    let c = |name: &str, c: conduct_store::Changes| {
        outln!("{name:<10} new {:>9}  updated {:>9}  unchanged {:>9}", c.new, c.updated, c.unchanged)
    };
    c("incidents", report.incidents)?;
    c("people", report.people)?;
    c("orders", report.orders)?;
    let t = report.timings;
    outln!(
        "time       {:.1} s (read {:.1} s and write {:.1} s overlapping, index {:.1} s, commit {:.1} s)",
        t.total.as_secs_f64(),
        t.read.as_secs_f64(),
        t.write.as_secs_f64(),
        t.index.as_secs_f64(),
        t.commit.as_secs_f64()
    )?;
    if !report.changed_anything() {
        outln!("the workspace already held exactly these rows: nothing changed")?;
    }
    if report.summary.rejected() > 0 {
        outln!("rejected rows, with reasons: {}", report_dir.join("rejects.csv").display())?;
    }
    if report.summary.warnings() > 0 {
        outln!("values kept but marked invalid: {}", report_dir.join("warnings.csv").display())?;
    }
    Ok(())
}

/// 0 unless nothing usable was read.
pub fn exit_code(report: &ImportReport) -> ExitCode {
    if report.summary.accepted() == 0 {
        note!("conduct: nothing usable was read");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let workspace = args.workspace.unwrap_or_else(crate::default_workspace);
    let path = workspace.join(conduct_store::DATABASE_FILE);
    if !path.exists() {
        bail!("no workspace at {} (run `conduct ingest` first)", workspace.display());
    }
    let mut store = Store::open(&path)?;
    let c = store.counts()?;
    outln!("workspace  {}", store.path().display())?;
    outln!("schema     version {}", store.schema_version()?)?;
    outln!("incidents  {}", c.incidents)?;
    outln!("people     {}", c.people)?;
    outln!("orders     {}", c.orders)?;
    outln!("imports    {}", c.imports)?;
    Ok(ExitCode::SUCCESS)
}

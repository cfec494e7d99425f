//! `conduct stats`: statistics in the Home Office's published layout, from a force export
//! (`--incidents`, `--orders`) or from the published tables themselves (`--recorded`,
//! `--outcomes`, each a CSV file or an `.ods`/`.xlsx` workbook; `--outcomes-by` chooses which
//! of the published outcome counts is used). Writes recorded.csv and outcomes.csv in the open-data layout, the derived
//! figures (figures.csv, outcome_groups.csv, orders.csv, coverage.csv), rejects.csv and
//! summary.json, and prints what was read and used.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use conduct_ingest::{FileSummary, Reject};
use conduct_stats::breaches::FoundBreaches;
use conduct_stats::incidents::read_export_with;
use conduct_stats::published::{self, ReadSummary, TableKind};
use conduct_stats::{OutcomeBasis, Period, Tables};

/// Which of the two published outcome counts the figures use.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutcomesBy {
    /// "Force outcomes for offences recorded in quarter": outcomes of the offences recorded in
    /// each quarter, so a rate is the share of the offences recorded in a period that ended so.
    #[default]
    Recorded,
    /// "Force outcomes for offences closed in quarter": outcomes of investigations closed in
    /// each quarter, whenever the offence was recorded (a different question; labelled so).
    Closed,
}

impl OutcomesBy {
    /// The stats crate's basis.
    pub fn basis(self) -> OutcomeBasis {
        match self {
            OutcomesBy::Recorded => OutcomeBasis::Recorded,
            OutcomesBy::Closed => OutcomeBasis::Closed,
        }
    }
}

/// Where the statistics come from: the published tables, or a force export.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct DataArgs {
    /// Home Office recorded-crime table (open-data layout) as published: CSV, or an .ods/.xlsx
    /// workbook (every sheet holding the table is read; title rows above the header are
    /// skipped). Repeatable.
    #[arg(long = "recorded", value_name = "FILE")]
    pub recorded: Vec<PathBuf>,
    /// Home Office outcomes table (open-data layout) as published: CSV, .ods or .xlsx.
    /// Repeatable.
    #[arg(long = "outcomes", value_name = "FILE")]
    pub outcomes: Vec<PathBuf>,
    /// Which published outcome count to use: outcomes of offences recorded in each quarter
    /// (rates for offences recorded in a period), or of investigations closed in each quarter.
    #[arg(long = "outcomes-by", value_enum, value_name = "BASIS", default_value_t = OutcomesBy::Recorded)]
    pub outcomes_by: OutcomesBy,
    /// Incidents file of a force export (data contract), repeatable.
    #[arg(long = "incidents", value_name = "FILE", conflicts_with_all = ["recorded", "outcomes"])]
    pub incidents: Vec<PathBuf>,
    /// Orders file of a force export, for stalking protection orders, repeatable.
    #[arg(long = "orders", value_name = "FILE", requires = "incidents")]
    pub orders: Vec<PathBuf>,
    /// breaches.csv written by `conduct courses` for the same export: reports in which a
    /// stalking protection order's subject contacted its protected person while the order was in
    /// force. Counted beside the breaches the records name, as "found by analysis", never added
    /// to them or to any Home Office figure.
    #[arg(long = "breaches", value_name = "FILE", requires = "incidents")]
    pub breaches: Option<PathBuf>,
}

/// Arguments of `conduct stats`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Folder to write the tables and figures into.
    #[arg(long, default_value = "conduct-stats-out")]
    pub out: PathBuf,
    /// Period(s) for derived figures: "year to September 2023", "2022/23", "calendar year 2023"
    /// (default: the year to the latest quarter in the data).
    #[arg(long = "period")]
    pub periods: Vec<String>,
    /// Years back for the n-fold comparison.
    #[arg(long, default_value_t = conduct_stats::derived::Options::default().fold_years)]
    pub fold_years: u32,
    /// Print the summary as JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write X.parquet beside every X.csv written (typed columns, for pandas, Polars or
    /// DuckDB; a suppressed count is a null, with a Suppressed column beside it).
    #[arg(long)]
    pub parquet: bool,
}

/// What loading found: the tables, and what was read to build them.
pub struct Loaded {
    /// The tables.
    pub tables: Tables,
    /// The files read, their rejected rows and the rows used.
    pub read: Read,
}

/// What was read for the tables.
#[derive(Default)]
pub struct Read {
    /// One JSON object per input file.
    pub files: Vec<serde_json::Value>,
    /// Rejected rows: file, line, column, reason.
    pub rejects: Vec<[String; 4]>,
    /// Rows used in figures.
    pub used: u64,
}

impl Read {
    /// What reading a force export's incidents and orders files found (`files`: their
    /// summaries, `rejects`: their rejected rows).
    pub fn of_export(files: &[FileSummary], rejects: &[Reject]) -> Read {
        let mut read = Read::default();
        for f in files {
            read.files.push(serde_json::json!({
                "file": f.file.display().to_string(), "table": f.table.to_string(),
                "read": f.read, "used": f.accepted, "rejected": f.rejected, "notes": f.notes,
            }));
            read.used += f.accepted;
        }
        for r in rejects {
            read.rejects.push([r.file.display().to_string(), r.line.to_string(), r.column.clone(), r.reason.clone()]);
        }
        read
    }
}

fn published_json(s: &ReadSummary) -> serde_json::Value {
    let sheets: Vec<serde_json::Value> = s
        .sheets
        .iter()
        .map(|sh| {
            serde_json::json!({
                "sheet": sh.sheet, "header_line": sh.header_line, "above_header": sh.above_header,
                "first_data_line": sh.data_lines.map(|d| d.0), "last_data_line": sh.data_lines.map(|d| d.1),
                "read": sh.read, "used": sh.used, "note_rows": sh.note_rows, "count_column": sh.count_column,
            })
        })
        .collect();
    serde_json::json!({
        "file": s.file.display().to_string(),
        "table": match s.table { TableKind::Recorded => "recorded", TableKind::Outcomes => "outcomes" },
        "format": s.format.name(),
        "read": s.read, "used": s.used, "non_force": s.non_force, "rejected": s.rejected,
        "suppressed": s.suppressed, "count_column": s.count_column,
        "outcome_basis": s.outcome_basis.map(|b| b.counts()),
        "unused_count_column": s.unused_count_column,
        "sheets": sheets, "skipped_sheets": s.skipped_sheets, "read_from": s.describe(), "notes": s.notes,
        "plain_csv": is_plain_csv(s),
    })
}

/// What a breaches file gave: its rows, those of SPOs, the reports matched with the export's
/// incidents, and those not found in it (a breaches file of another export, or an older one).
fn breaches_json(path: &Path, f: &FoundBreaches) -> serde_json::Value {
    let mut notes = Vec::new();
    if f.unmatched() > 0 {
        notes.push(format!(
            "{} reports of the breaches file are not incidents of this export and are not counted (was it written for another export?)",
            f.unmatched()
        ));
    }
    if f.other_orders > 0 {
        let what = if f.other_orders == 1 { "1 row is a breach".to_string() } else { format!("{} rows are breaches", f.other_orders) };
        notes.push(format!("{what} of other orders (not stalking protection orders), not counted"));
    }
    serde_json::json!({
        "file": path.display().to_string(), "table": "breaches (found by analysis)",
        "read": f.rows, "used": f.matched, "rejected": f.rejects.len(),
        "spo_rows": f.spo_rows, "other_orders": f.other_orders, "reports": f.reports(), "matched": f.matched,
        "unmatched": f.unmatched(), "notes": notes, "plain_csv": f.unmatched() == 0,
        "read_from": [format!("{} reports found to breach a stalking protection order, {} of them incidents of this export", f.reports(), f.matched)],
    })
}

/// The SPO breaches an analysis found in memory (`conduct run`: the courses stage's
/// `breaches`, written to `written`): the rows of `breaches.csv`, those of full and interim
/// SPOs, and the reports they name, each once, as [`Tables::add_found_breaches`] counts them.
pub fn analysed_breaches_json(written: &Path, orders: &[conduct_domain::Order], breaches: &[conduct_courses::Breach]) -> serde_json::Value {
    let spo: Vec<&conduct_courses::Breach> =
        breaches.iter().filter(|b| orders.get(b.order).is_some_and(|o| o.order_type.is_spo())).collect();
    let reports = spo.iter().map(|b| b.incident).collect::<std::collections::HashSet<_>>().len();
    let other = breaches.len() - spo.len();
    let mut notes = Vec::new();
    if other > 0 {
        let what = if other == 1 { "1 row is a breach".to_string() } else { format!("{other} rows are breaches") };
        notes.push(format!("{what} of other orders (not stalking protection orders), not counted"));
    }
    serde_json::json!({
        "file": written.display().to_string(), "table": "breaches (found by analysis)",
        "read": breaches.len(), "used": reports, "rejected": 0,
        "spo_rows": spo.len(), "other_orders": other, "reports": reports, "matched": reports, "unmatched": 0,
        "notes": notes, "plain_csv": true,
        "read_from": [format!("{reports} reports found by this run's analysis to breach a stalking protection order")],
    })
}

/// Whether a file was a CSV table read as it stands: the header on its first line, nothing
/// skipped, one count column. `conduct report` says what it read only when it was not (a
/// workbook's sheets, title rows, a second outcome count), and is otherwise quiet as before.
fn is_plain_csv(s: &ReadSummary) -> bool {
    s.format == published::Format::Csv
        && s.skipped_sheets.is_empty()
        && s.unused_count_column.is_none()
        && s.outcome_basis.is_none_or(|b| b == OutcomeBasis::Recorded)
        && s.sheets.iter().all(|sh| sh.header_line == 1 && sh.above_header == 0 && sh.note_rows.is_empty())
}

/// Where a rejected row is: the file, and the sheet of a workbook (`file, sheet "2022/23"`).
fn reject_place(e: &conduct_stats::Error) -> String {
    let file = e.file().map(|p| p.display().to_string()).unwrap_or_default();
    match e.sheet() {
        Some(sheet) => format!("{file}, sheet {sheet:?}"),
        None => file,
    }
}

/// Reads the data named by `args` into tables.
pub fn load(args: &DataArgs) -> anyhow::Result<Loaded> {
    // clap's `requires` does not hold these (a flattened group's Vec argument): said here.
    if args.incidents.is_empty() && (!args.orders.is_empty() || args.breaches.is_some()) {
        let which = if args.breaches.is_some() { "--breaches" } else { "--orders" };
        return Err(crate::Usage(format!(
            "{which} belongs to a force export: give its incidents with --incidents (the published tables hold no orders or breaches)"
        ))
        .into());
    }
    if !args.incidents.is_empty() {
        if args.outcomes_by != OutcomesBy::Recorded {
            return Err(crate::Usage(
                "--outcomes-by closed reads the published outcomes tables (--outcomes); a force export's outcomes are \
                 counted by the quarter each offence was recorded"
                    .into(),
            )
            .into());
        }
        let mut found = args.breaches.as_deref().map(FoundBreaches::read).transpose()?;
        let read = read_export_with(&args.incidents, &args.orders, found.as_mut())?;
        let mut r = Read::of_export(&read.summary.files, &read.rejects);
        if let (Some(f), Some(path)) = (&found, &args.breaches) {
            r.files.push(breaches_json(path, f));
            for e in &f.rejects {
                r.rejects.push([
                    reject_place(e),
                    e.line().map(|l| l.to_string()).unwrap_or_default(),
                    e.column().unwrap_or("").to_string(),
                    e.reason(),
                ]);
            }
        }
        return Ok(Loaded { read: r, tables: read.tables });
    }
    let mut loaded = Loaded { tables: Tables::new(), read: Read::default() };
    if args.recorded.is_empty() && !args.outcomes.is_empty() {
        bail!("--outcomes needs the recorded-crime table too (--recorded): rates divide by offences recorded");
    }
    if args.recorded.is_empty() {
        bail!("no input: give --recorded PRC.csv [--outcomes OUT.csv] or --incidents FILE [--orders FILE]");
    }
    let kinds = args.recorded.iter().map(|p| (p, TableKind::Recorded)).chain(args.outcomes.iter().map(|p| (p, TableKind::Outcomes)));
    for (path, kind) in kinds {
        let s = match kind {
            TableKind::Recorded => published::read_recorded(path, &mut loaded.tables),
            TableKind::Outcomes => published::read_outcomes_by(path, &mut loaded.tables, args.outcomes_by.basis()),
        }?;
        for e in &s.rejects {
            loaded.read.rejects.push([
                reject_place(e),
                e.line().map(|l| l.to_string()).unwrap_or_default(),
                e.column().unwrap_or("").to_string(),
                e.reason(),
            ]);
        }
        loaded.read.used += s.used;
        loaded.read.files.push(published_json(&s));
    }
    Ok(loaded)
}

/// The periods asked for, or the year to the latest quarter in the data.
pub fn periods(given: &[String], tables: &Tables) -> anyhow::Result<Vec<Period>> {
    let options = conduct_stats::derived::Options { periods: parse_periods(given)?, ..Default::default() };
    options.periods_for(tables).context("the data holds no recorded crime")
}

/// Reads the periods given on the command line; one that cannot be read, or lies outside the
/// supported years, is a command-line mistake (exit code 2).
pub fn parse_periods(given: &[String]) -> anyhow::Result<Vec<Period>> {
    given.iter().map(|p| Period::parse(p).map_err(|e| crate::Usage(format!("--period: {e}")).into())).collect()
}

/// Writes `rejects.csv` (file, line, column, reason) into `dir`, every cell made inert for
/// spreadsheets. A row of a workbook names its sheet with the file (`recorded.ods, sheet
/// "2022-23"`) and its spreadsheet row as the line.
pub fn write_rejects(dir: &Path, rejects: &[[String; 4]]) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join("rejects.csv");
    let write = || -> csv::Result<()> {
        let mut w = csv::Writer::from_path(&path)?;
        w.write_record(["file", "line", "column", "reason"])?;
        for r in rejects {
            w.write_record(r.iter().map(|c| conduct_domain::cell::inert(c).into_owned()))?;
        }
        w.flush()?;
        Ok(())
    };
    write().with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    parse_periods(&args.periods)?;
    let loaded = load(&args.data)?;
    let summary = write(&args, &loaded.tables, &loaded.read)?;
    if args.parquet {
        crate::export_cmd::parquet_beside(&args.out, "stats")?;
    }
    print(&args, &loaded.tables, &loaded.read, &summary)
}

/// Writes the tables, the derived figures, rejects.csv and summary.json into `args.out`;
/// returns the summary.
pub fn write(args: &Args, tables: &Tables, read: &Read) -> anyhow::Result<serde_json::Value> {
    let periods = periods(&args.periods, tables)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let mut outputs = vec![args.out.join("recorded.csv"), args.out.join("outcomes.csv")];
    published::write_recorded(&outputs[0], tables)?;
    published::write_outcomes(&outputs[1], tables)?;
    outputs.extend(conduct_stats::derived::write_derived(&args.out, tables, &periods, args.fold_years)?);
    outputs.push(write_rejects(&args.out, &read.rejects)?);
    let non_force: serde_json::Map<String, serde_json::Value> = tables
        .non_force()
        .iter()
        .map(|(n, t)| (n.clone(), serde_json::json!({"count": t.count, "suppressed_cells": t.suppressed})))
        .collect();
    let mut summary = serde_json::json!({
        "files": read.files,
        "rows_used": read.used,
        "rejected": read.rejects.len(),
        "non_force_rows_kept_out": non_force,
        "periods": periods.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "outcome_basis": match tables.outcome_basis {
            OutcomeBasis::Recorded => "outcomes assigned to offences recorded in each quarter",
            OutcomeBasis::Closed => "outcomes of investigations closed in each quarter, whenever the offence was recorded",
        },
        "outputs": outputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
    });
    if tables.breaches_analysed() {
        // Found by analysis: beside the breaches the records name, never added to them.
        let found: u64 = periods
            .iter()
            .map(|p| conduct_stats::Figures::compute(tables, conduct_stats::Area::National, *p).breaches_found.unwrap_or(0))
            .sum();
        summary["spo_breaches_found_by_analysis"] = serde_json::json!({
            "count_in_periods": found,
            "meaning": conduct_report::foi::BREACHES_FOUND_NOTE,
            "not_in": "the breaches recorded (orders.csv 'Breaches Indicated') or any Home Office figure",
        });
    }
    if tables.source == conduct_stats::Source::Incidents {
        // A separate, labelled count: never part of the Home Office figures.
        summary["also_recorded_as_stalking_or_harassment"] = serde_json::json!({
            "count": tables.also_recorded(None, |_| true),
            "label": conduct_stats::tables::ALSO_RECORDED_LABEL,
            "meaning": "incidents whose principal crime is outside the stalking and harassment subgroup and whose secondary_offence_codes hold a code in it; not in the Home Office figures",
        });
    }
    let summary_path = args.out.join("summary.json");
    std::fs::write(&summary_path, serde_json::to_string_pretty(&summary)?)
        .with_context(|| format!("writing {}", summary_path.display()))?;
    Ok(summary)
}

/// Prints what [`write()`] wrote; exit code 1 when nothing usable was read.
pub fn print(args: &Args, tables: &Tables, read: &Read, summary: &serde_json::Value) -> anyhow::Result<ExitCode> {
    if args.json {
        outln!("{}", serde_json::to_string_pretty(summary)?)?;
    } else {
        for f in &read.files {
            out!("{:<9} {}: read {}, used {}", f["table"].as_str().unwrap_or(""), f["file"].as_str().unwrap_or(""), f["read"], f["used"])?;
            if let Some(n) = f.get("non_force") {
                out!(", non-force {n}")?;
            }
            out!(", rejected {}", f["rejected"])?;
            if let Some(c) = f.get("count_column").and_then(|c| c.as_str()) {
                out!(", counts from column {c:?}")?;
            }
            outln!()?;
            for r in f.get("read_from").and_then(|r| r.as_array()).into_iter().flatten() {
                outln!("          {}", r.as_str().unwrap_or(""))?;
            }
            for n in f["notes"].as_array().into_iter().flatten() {
                outln!("          note: {}", n.as_str().unwrap_or(""))?;
            }
        }
        for (n, t) in tables.non_force() {
            outln!("kept out of force figures: {n} ({} offences)", t.count)?;
        }
        if let Some(n) = summary["also_recorded_as_stalking_or_harassment"]["count"].as_u64() {
            outln!("{}: {n} (counted apart, not in the Home Office figures)", conduct_stats::tables::ALSO_RECORDED_LABEL)?;
        }
        let periods: Vec<String> =
            summary["periods"].as_array().into_iter().flatten().map(|p| p.as_str().unwrap_or("").to_string()).collect();
        outln!("periods: {}", periods.join("; "))?;
        outln!("written to {}", args.out.display())?;
        if !read.rejects.is_empty() {
            outln!("rejected rows, with reasons: {}", args.out.join("rejects.csv").display())?;
        }
    }
    if read.used == 0 {
        note!("conduct: nothing usable was read");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

//! `conduct link --update`, `--verify` and `--retrain`, and `conduct history`: incremental
//! linkage from the command line. The work is in `conduct-population`; this reads the batch,
//! calls it, writes persons.csv and model.json, and prints the summary.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use conduct_population::{Options, Report, Retrained};
use conduct_store::Store;
use conduct_store::db::Url;

use crate::link_cmd::{LinkArgs, names};

/// Arguments of `conduct history`.
#[derive(clap::Args)]
pub struct HistoryArgs {
    /// The person id (as persons.csv writes it, e.g. P0000123).
    pub person: String,
    /// The workspace that holds the linked population.
    #[arg(long, value_name = "DIR", default_value_os_t = crate::default_workspace())]
    pub workspace: PathBuf,
    /// The database that holds the linked population, instead of --workspace: an SQLite file
    /// or postgres://user@host/db.
    #[arg(long, value_name = "URL", conflicts_with = "workspace")]
    pub database: Option<String>,
    /// Print the history as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Where a linked population is held: a workspace folder, or a database named by URL.
pub enum Held {
    /// A workspace folder (its database is WORKSPACE/conduct.db).
    Workspace(PathBuf),
    /// An SQLite file or a PostgreSQL database.
    Database(Url),
}

impl Held {
    /// `--workspace` or `--database`, whichever is given (clap lets only one through).
    pub fn of(workspace: Option<&Path>, database: Option<&str>) -> Option<Held> {
        match (workspace, database) {
            (Some(w), _) => Some(Held::Workspace(w.to_path_buf())),
            (None, Some(d)) => Some(Held::Database(Url::parse(d))),
            (None, None) => None,
        }
    }

    /// Opens the store, creating the workspace folder or the SQLite file if missing.
    fn open(&self) -> anyhow::Result<Store> {
        match self {
            Held::Workspace(w) => Store::open_workspace(w).with_context(|| format!("opening the workspace {}", w.display())),
            // The store's error names the database (without a password).
            Held::Database(url) => Store::open_url(url).context("opening the database"),
        }
    }

    /// For messages: "the workspace" or "the database".
    fn kind(&self) -> &'static str {
        match self {
            Held::Workspace(_) => "the workspace",
            Held::Database(_) => "the database",
        }
    }
}

/// Runs `conduct link` with `--update`, `--verify` or `--retrain` on the population held `at`.
pub fn run(args: &LinkArgs, at: &Held) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    if args.update && args.people.is_empty() && args.withdrawn.is_none() {
        return Err(crate::Usage("--update needs the batch: --people FILE (or --withdrawn FILE)".into()).into());
    }
    if args.update && !args.retrain {
        // Both belong to the population: the threshold to the model in force, the block cap to
        // the index's blocking. Changing either for one batch would link it unlike the rest.
        if args.threshold.is_some() {
            return Err(crate::Usage(
                "--threshold with --update: the threshold is the model in force's; give --retrain to change it".into(),
            )
            .into());
        }
        if args.max_block_size != conduct_resolve::LinkOptions::default().max_block_size {
            return Err(crate::Usage(
                "--max-block-size with --update: the population is blocked with the default cap; give --retrain to re-link with another"
                    .into(),
            )
            .into());
        }
    }
    let withdrawn = match &args.withdrawn {
        Some(path) => read_withdrawn(path)?,
        None => Vec::new(),
    };
    let link = crate::link_cmd::options(args)?;
    let mut store = at.open()?;
    let opened = started.elapsed();
    if args.verify {
        let v = conduct_population::verify(&mut store, &link)?;
        note!(
            "verify: {} records; incremental {} persons, full re-link with the model in force {} persons ({:.1}s)",
            v.records,
            v.persons_incremental,
            v.persons_full,
            v.seconds
        );
        note!(
            "pairwise agreement (incremental against full): precision {:.5}, recall {:.5}, F1 {:.5} ({} pairs incremental, {} full, {} both)",
            v.agreement.precision,
            v.agreement.recall,
            v.agreement.f1,
            v.agreement.pairs_first,
            v.agreement.pairs_second,
            v.agreement.pairs_both
        );
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&v)?)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let out = args.out.as_deref().context("--out is required")?;
    let mut report: Option<Report> = None;
    let mut retrained: Option<Retrained> = None;
    if args.update {
        let file = if args.people.is_empty() {
            conduct_ingest::PeopleFile { rows: Vec::new(), rejects: Vec::new(), warnings: Vec::new(), summaries: Vec::new() }
        } else {
            conduct_ingest::read_people_files(&args.people).with_context(|| format!("reading {}", names(&args.people)))?
        };
        note!(
            "read {} rows from {} ({} rejected and not added; {} warnings)",
            file.rows.len(),
            names(&args.people),
            file.rejects.len(),
            file.warnings.len()
        );
        // Rows set aside are not linked, and not lost: each is listed with its reason.
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        conduct_ingest::write_rejects(&out.join("rejects.csv"), &file.rejects)?;
        conduct_ingest::write_warnings(&out.join("warnings.csv"), &file.warnings)?;
        if !file.rejects.is_empty() {
            note!("rejected rows, with reasons: {}", out.join("rejects.csv").display());
        }
        note!("opened {} in {:.2}s, read the batch in {:.2}s", at.kind(), opened.as_secs_f64(), (started.elapsed() - opened).as_secs_f64());
        let summary = conduct_ingest::Summary { files: file.summaries.clone() };
        let r = conduct_population::update(
            &mut store,
            &file.rows,
            summary,
            // persons.csv is written next, and runs the checkpoint beside its reads.
            &Options { link: link.clone(), retrain: args.retrain, withdrawn, reader_threads: None, checkpoint_later: true },
        )?;
        retrained = r.retrained.clone();
        report = Some(r);
    } else if args.retrain {
        retrained = Some(conduct_population::retrain(&mut store, link.model.clone(), &link)?);
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let written = Instant::now();
    let rows = conduct_population::write_persons(&mut store, &out.join("persons.csv"))?;
    conduct_population::model_in_force(&mut store)?.save(&out.join("model.json"))?;
    if let Some(r) = &report {
        note_update(r);
    }
    if let Some(t) = &retrained {
        note!(
            "retrained: {}; largest level weight change {} {:+.2} bits, prior {:+.2} bits; {} records moved ({} merges, {} splits); agreement with the persons before: F1 {:.5}",
            t.model_used,
            t.largest_weight_change.0,
            t.largest_weight_change.1,
            t.prior_change,
            t.records_moved,
            t.merges,
            t.splits,
            t.agreement.f1
        );
    }
    note!(
        "wrote {} ({rows} records) and model.json in {:.2}s; total {:.2}s",
        out.join("persons.csv").display(),
        written.elapsed().as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    if args.json {
        let v = serde_json::json!({ "update": report, "retrained": retrained, "persons_csv_rows": rows });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a withdrawn-records file: CSV with columns force and record_id (any order, other
/// columns ignored).
fn read_withdrawn(path: &Path) -> anyhow::Result<Vec<(conduct_domain::Force, String)>> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = r.headers().with_context(|| format!("reading {}", path.display()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
            .with_context(|| format!("{}: no column {name} (the file needs force and record_id)", path.display()))
    };
    let (cf, cr) = (col("force")?, col("record_id")?);
    let mut out = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let line = n + 2;
        let rec = rec.with_context(|| format!("{}: line {line}", path.display()))?;
        let force = conduct_domain::Force::resolve(rec.get(cf).unwrap_or(""))
            .map_err(|e| anyhow::anyhow!("{}: line {line}, column force: {e}", path.display()))?;
        let id = rec.get(cr).unwrap_or("").trim();
        if id.is_empty() {
            anyhow::bail!("{}: line {line}, column record_id: empty", path.display());
        }
        out.push((force, id.to_string()));
    }
    Ok(out)
}

fn note_update(r: &Report) {
    if r.first {
        note!(
            "batch 1: linked everything the store holds from scratch ({} records, {} persons); model: {}",
            r.records,
            r.persons,
            r.model_used
        );
    } else {
        note!(
            "batch {}: {} rows: {} new, {} changed, {} unchanged; {} withdrawn ({} named but not held); {} existing records compared, {} persons re-clustered ({} records, {} associates read)",
            r.batch,
            r.rows,
            r.new,
            r.changed,
            r.unchanged,
            r.withdrawn,
            r.withdrawn_not_held,
            r.candidates,
            r.touched_persons,
            r.reclustered,
            r.associates
        );
        note!(
            "persons: {} new, {} merges, {} splits, {} moves; population {} records, {} persons",
            r.new_persons,
            r.merges,
            r.splits,
            r.moves,
            r.records,
            r.persons
        );
    }
    let t: Vec<String> = r.stages.iter().map(|(n, s)| format!("{n} {s:.2}s")).collect();
    note!("time: {}", t.join(", "));
}

/// Runs `conduct history`.
pub fn history(args: HistoryArgs) -> anyhow::Result<ExitCode> {
    let at = match &args.database {
        Some(d) => Held::Database(Url::parse(d)),
        None => Held::Workspace(args.workspace.clone()),
    };
    let mut store = at.open()?;
    let h = conduct_population::history(&mut store, &args.person)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&h)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    if h.current == "(withdrawn)" {
        outln!("{}: every record was withdrawn; the id is retired", h.asked)?;
    } else if h.current != h.asked {
        outln!("{} was merged into {}: its records are now under {}", h.asked, h.current, h.current)?;
    }
    outln!("{}: {} records: {}", h.current, h.records.len(), h.records.join(", "))?;
    if h.events.is_empty() {
        outln!("no merges or splits")?;
    }
    for e in &h.events {
        let what = match e.kind.as_str() {
            "merge" => format!("{} merged into {}", e.other, e.person),
            "split" => format!("{} split off {}", e.other, e.person),
            "move" => format!("records of {} moved to {}", e.other, e.person),
            "withdraw" => format!("records of {} withdrawn", e.person),
            k => format!("{k}: {} / {}", e.person, e.other),
        };
        outln!("{} batch {}: {} ({} records: {})", e.at, e.batch, what, e.records.len(), e.records.join(", "))?;
        outln!("    {}", e.reason)?;
    }
    Ok(ExitCode::SUCCESS)
}

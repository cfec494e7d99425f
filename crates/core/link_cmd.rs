//! `conduct link`, `conduct explain` and `conduct eval persons`: person resolution from the
//! command line. The work is in `conduct-resolve`; this reads the people file, calls the
//! engine, writes persons.csv, pairs.csv and model.json, and prints the summary on stderr.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use conduct_domain::Involvement;
use conduct_pipeline::{Linked, Persons};
use conduct_resolve::{LinkOptions, Model};

/// Arguments of `conduct link`.
#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("population").args(["workspace", "database"]))]
pub struct LinkArgs {
    /// The people file (CSV, JSON Lines or Parquet, per the data contract); repeat the option
    /// for several files (a split export), linked as one in the order given.
    #[arg(long, required_unless_present_any = ["verify", "retrain", "withdrawn", "encodings"])]
    pub people: Vec<PathBuf>,
    /// The incidents file. Accepted for the stable interface; linkage does not use it yet.
    #[arg(long)]
    pub incidents: Option<PathBuf>,
    /// Output folder for persons.csv, pairs.csv and model.json (created if missing). With
    /// --update or --retrain: persons.csv for every record of the population, and model.json.
    #[arg(long, required_unless_present = "verify")]
    pub out: Option<PathBuf>,
    /// Link these parties' encodings (from `conduct encode`) at a hub, without any secret:
    /// writes OUT/links-FORCE.csv per party (only the links that touch its records) and
    /// OUT/summary.json.
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["people", "update", "verify", "retrain", "workspace", "database", "model", "threshold"])]
    pub encodings: Vec<PathBuf>,
    /// The workspace that holds the linked population (for --update, --verify, --retrain).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// The database that holds the linked population, instead of --workspace: an SQLite file
    /// or postgres://user@host/db. The dashboard's database (`conduct serve --database`) can
    /// be one: its publications then show the population's persons under their ids.
    #[arg(long, value_name = "URL")]
    pub database: Option<String>,
    /// Add the people files' records to the population held in --workspace or --database
    /// (linking everything it holds on first use) instead of linking them on their own: only
    /// the new and changed records and the persons they could join are re-clustered, and
    /// person ids last. One transaction: a batch that fails changes nothing.
    #[arg(long, requires = "population")]
    pub update: bool,
    /// Re-link the population held in --workspace or --database from scratch with the model in
    /// force and report how far the incremental persons have drifted from it. Changes nothing.
    #[arg(long, requires = "population", conflicts_with_all = ["update", "retrain"])]
    pub verify: bool,
    /// Re-estimate the model (or take --model) and re-link the whole population held in
    /// --workspace or --database, keeping person ids by the documented rule; with --update,
    /// after adding the batch. Reports how far the model moved.
    #[arg(long, requires = "population")]
    pub retrain: bool,
    /// With --update: a CSV file of records the forces have withdrawn (columns force and
    /// record_id). They are taken out of the population and the store, their persons' other
    /// records are re-clustered, and each withdrawal is kept in the history.
    #[arg(long, value_name = "FILE", requires = "update")]
    pub withdrawn: Option<PathBuf>,
    /// Use this model (a model.json from an earlier run) instead of estimating one.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Match weight (bits) at or above which a pair may join two records
    /// (default: the model's, or 5 for a new model).
    #[arg(long, allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Write candidate pairs with at least this match weight to pairs.csv.
    #[arg(long, default_value_t = conduct_pipeline::Options::default().link.keep_pairs_from_weight, allow_negative_numbers = true)]
    pub pairs_min_weight: f64,
    /// Write every candidate pair to pairs.csv, whatever its weight.
    #[arg(long)]
    pub all_pairs: bool,
    /// Seed of the random pairs u is estimated from.
    #[arg(long, default_value_t = LinkOptions::default().seed)]
    pub seed: u64,
    /// Blocks with more records than this are split by sorted neighbourhood.
    #[arg(long, default_value_t = LinkOptions::default().max_block_size)]
    pub max_block_size: usize,
    /// Print the summary as JSON on stdout (the text summary still goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also write persons.parquet and pairs.parquet beside persons.csv and pairs.csv (typed
    /// columns, for pandas, Polars or DuckDB).
    #[arg(long)]
    pub parquet: bool,
}

/// Arguments of `conduct explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The people file the two records are in (repeat for several, as given to `conduct link`).
    #[arg(long, required = true)]
    pub people: Vec<PathBuf>,
    /// The model (model.json written by `conduct link`).
    #[arg(long)]
    pub model: PathBuf,
    /// The first record's record_id.
    pub first: String,
    /// The second record's record_id.
    pub second: String,
}

/// Arguments of `conduct eval persons`.
#[derive(clap::Args)]
pub struct EvalPersonsArgs {
    /// A CSV file with record_id and the true person column (e.g. a synthetic people.csv).
    #[arg(long)]
    pub truth: PathBuf,
    /// The true person column in the truth file.
    #[arg(long, default_value = "true_person_id")]
    pub truth_column: String,
    /// persons.csv written by `conduct link` (record_id,person_id).
    #[arg(long)]
    pub predicted: PathBuf,
    /// Print the scores as JSON on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The files' names, for messages.
pub fn names(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Runs `conduct link`.
pub fn run_link(args: LinkArgs) -> anyhow::Result<ExitCode> {
    if !args.encodings.is_empty() {
        return crate::encode_cmd::hub(&args);
    }
    if let Some(at) = crate::population_cmd::Held::of(args.workspace.as_deref(), args.database.as_deref()) {
        if args.update || args.verify || args.retrain {
            return crate::population_cmd::run(&args, &at);
        }
        let given = if args.workspace.is_some() { "--workspace" } else { "--database" };
        return Err(crate::Usage(format!("{given} is for --update, --verify or --retrain")).into());
    }
    let started = Instant::now();
    let file = conduct_ingest::read_people_files(&args.people).with_context(|| format!("reading {}", names(&args.people)))?;
    let read_time = started.elapsed();
    if file.rows.is_empty() && file.rejects.is_empty() {
        bail!("no people rows in {}", names(&args.people));
    }
    link_file(&file, read_time, &names(&args.people), &args)?;
    Ok(ExitCode::SUCCESS)
}

/// The link options `args` ask for: the defaults of `conduct run` ([`conduct_pipeline::Options`])
/// with the arguments given.
pub fn options(args: &LinkArgs) -> anyhow::Result<LinkOptions> {
    let mut options = LinkOptions { seed: args.seed, max_block_size: args.max_block_size, ..conduct_pipeline::Options::default().link };
    if let Some(t) = args.threshold {
        options.threshold_weight = t;
    }
    if let Some(p) = &args.model {
        let mut model = Model::load(p)?;
        if let Some(t) = args.threshold {
            model.threshold_weight = t;
        }
        options.model = Some(model);
    }
    options.keep_pairs_from_weight = if args.all_pairs { f64::NEG_INFINITY } else { args.pairs_min_weight };
    Ok(options)
}

/// Links the rows of `file` (read from `source` in `read_time`) and writes persons.csv,
/// pairs.csv and model.json into `args.out`, with the summary on stderr (and stdout with
/// `--json`).
pub fn link_file(file: &conduct_ingest::PeopleFile, read_time: Duration, source: &str, args: &LinkArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (persons, linked) = conduct_pipeline::link(&file.rows, &file.rejects, &options(args)?)?;
    let link_time = started.elapsed();
    let out = args.out.as_deref().context("--out is required")?;
    let write_time = write_link(out, &file.rows, &persons, &linked)?;
    if args.parquet {
        crate::export_cmd::parquet_beside(out, "link")?;
    }
    let summary = LinkSummary { rows: file.rows.len(), rejected: file.rejects.len(), warnings: file.warnings.len(), read_time, write_time };
    note_link(&summary, source, &persons, &linked, out, read_time + link_time + write_time, args.incidents.is_some());
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&link_json(&summary, &persons, &linked))?)?;
    }
    Ok(())
}

/// Writes persons.csv, pairs.csv and model.json into `out`; returns the time it took.
pub fn write_link(out: &Path, people: &[Involvement], persons: &Persons, linked: &Linked) -> anyhow::Result<Duration> {
    let started = Instant::now();
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    persons.write_csv(&out.join("persons.csv"), people)?;
    linked.write_pairs(&out.join("pairs.csv"), people)?;
    linked.model.save(&out.join("model.json"))?;
    Ok(started.elapsed())
}

/// What a linkage read and how long reading and writing took, for its summary.
pub struct LinkSummary {
    /// Accepted people rows.
    pub rows: usize,
    /// Rejected people rows.
    pub rejected: usize,
    /// Warnings on people rows.
    pub warnings: usize,
    /// Time reading the rows.
    pub read_time: Duration,
    /// Time writing persons.csv, pairs.csv and model.json.
    pub write_time: Duration,
}

/// The summary of a linkage on stderr, as `conduct link` prints it (`total`: its whole time;
/// `incidents`: an incidents file was given, which linkage does not use).
pub fn note_link(s: &LinkSummary, source: &str, persons: &Persons, linked: &Linked, out: &Path, total: Duration, incidents: bool) {
    note!(
        "read {} rows from {} in {:.2}s ({} rejected, {} of them listed as their own person; {} warnings)",
        s.rows,
        source,
        s.read_time.as_secs_f64(),
        s.rejected,
        persons.rejected().len(),
        s.warnings
    );
    if incidents {
        note!("note: --incidents is accepted but not used by linkage yet");
    }
    note_raw!("{}", linked.stats.to_text());
    note!(
        "wrote {}, {} ({} pairs) and model.json in {:.2}s; total {:.2}s",
        out.join("persons.csv").display(),
        out.join("pairs.csv").display(),
        linked.pairs.len(),
        s.write_time.as_secs_f64(),
        total.as_secs_f64()
    );
}

/// The summary of a linkage as JSON (`conduct link --json`).
fn link_json(summary: &LinkSummary, persons: &Persons, linked: &Linked) -> serde_json::Value {
    let s = &linked.stats;
    serde_json::json!({
        "rows": s.rows,
        "rejected": summary.rejected,
        "rows_without_identifiers": s.rows_without_identifiers,
        "field_warnings": s.field_warnings.counts.iter().map(|(f, n)| (f.to_string(), *n)).collect::<HashMap<_, _>>(),
        "candidate_pairs": s.candidate_pairs,
        "blocking_rules": s.rules.iter().map(|r| serde_json::json!({
            "rule": r.name, "blocks": r.blocks, "pairs": r.pairs,
            "oversized_blocks": r.oversized_blocks, "oversized_records": r.oversized_records,
        })).collect::<Vec<_>>(),
        "pairs_above_threshold": s.pairs_above_threshold,
        "persons": persons.count(),
        "persons_with_several_records": s.persons_with_several_records,
        "stages_seconds": s.stages.iter().map(|(n, d)| (n.to_string(), d.as_secs_f64())).collect::<HashMap<_, _>>(),
        "read_seconds": summary.read_time.as_secs_f64(),
        "write_seconds": summary.write_time.as_secs_f64(),
    })
}

/// Runs `conduct explain`.
pub fn run_explain(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let model = Model::load(&args.model)?;
    let file = conduct_ingest::read_people_files(&args.people).with_context(|| format!("reading {}", names(&args.people)))?;
    let find = |id: &str| {
        file.rows
            .iter()
            .position(|r| r.record_id == id)
            .with_context(|| format!("no accepted record with record_id {id:?} in {}", names(&args.people)))
    };
    let (a, b) = (find(&args.first)?, find(&args.second)?);
    let (feats, tf) = conduct_resolve::features(&file.rows);
    let w = conduct_resolve::explain::explain(&feats[a], &feats[b], &model, &tf);
    outln!("{} vs {}", args.first, args.second)?;
    out!("{w}")?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `conduct eval persons`.
pub fn run_eval_persons(args: EvalPersonsArgs) -> anyhow::Result<ExitCode> {
    let truth = conduct_resolve::eval::read_assignment(&args.truth, &args.truth_column)?;
    let predicted = conduct_resolve::eval::read_written_assignment(&args.predicted, "person_id")?;
    if truth.is_empty() {
        bail!("no ground truth in {} (column {})", args.truth.display(), args.truth_column);
    }
    let s = conduct_resolve::eval::score(&truth, &predicted);
    let missing = truth.keys().filter(|k| !predicted.contains_key(*k)).count();
    if args.json {
        let v = serde_json::json!({
            "records": s.records, "missing_from_predicted": missing,
            "true_pairs": s.true_pairs, "predicted_pairs": s.predicted_pairs, "correct_pairs": s.correct_pairs,
            "precision": s.precision, "recall": s.recall, "f1": s.f1,
            "bcubed_precision": s.bcubed_precision, "bcubed_recall": s.bcubed_recall, "bcubed_f1": s.bcubed_f1,
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        outln!("records            {} ({} not in predicted, scored as singletons)", s.records, missing)?;
        outln!("pairs              true {}, predicted {}, correct {}", s.true_pairs, s.predicted_pairs, s.correct_pairs)?;
        outln!("pairwise           precision {:.5}  recall {:.5}  F1 {:.5}", s.precision, s.recall, s.f1)?;
        outln!("B-cubed            precision {:.5}  recall {:.5}  F1 {:.5}", s.bcubed_precision, s.bcubed_recall, s.bcubed_f1)?;
    }
    Ok(ExitCode::SUCCESS)
}

//! `conduct link`, `conduct explain` and `conduct eval persons`: person resolution from the
//! command line. The work is in `conduct-resolve`; this reads the people file, calls the
//! engine, writes persons.csv, pairs.csv and model.json, and prints the summary on stderr.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use conduct_domain::cell::inert;
use conduct_resolve::{LinkOptions, Model, person_id};
use rayon::prelude::*;

/// Arguments of `conduct link`.
#[derive(clap::Args)]
pub struct LinkArgs {
    /// The people file (CSV, JSON Lines or Parquet, per the data contract); repeat the option
    /// for several files (a split export), linked as one in the order given.
    #[arg(long, required = true)]
    pub people: Vec<PathBuf>,
    /// The incidents file. Accepted for the stable interface; linkage does not use it yet.
    #[arg(long)]
    pub incidents: Option<PathBuf>,
    /// Output folder for persons.csv, pairs.csv and model.json (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Use this model (a model.json from an earlier run) instead of estimating one.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Match weight (bits) at or above which a pair may join two records
    /// (default: the model's, or 5 for a new model).
    #[arg(long, allow_negative_numbers = true)]
    pub threshold: Option<f64>,
    /// Write candidate pairs with at least this match weight to pairs.csv.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    pub pairs_min_weight: f64,
    /// Write every candidate pair to pairs.csv, whatever its weight.
    #[arg(long)]
    pub all_pairs: bool,
    /// Seed of the random pairs u is estimated from.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Blocks with more records than this are split by sorted neighbourhood.
    #[arg(long, default_value_t = 16)]
    pub max_block_size: usize,
    /// Print the summary as JSON on stdout (the text summary still goes to stderr).
    #[arg(long)]
    pub json: bool,
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

/// Quotes a CSV field when it needs it (after [`inert`] has made it safe for a spreadsheet).
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")).into() } else { s.into() }
}

fn create(path: &Path) -> anyhow::Result<BufWriter<std::fs::File>> {
    let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// The files' names, for messages.
pub fn names(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Runs `conduct link`.
pub fn run_link(args: LinkArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let file = conduct_ingest::read_people_files(&args.people).with_context(|| format!("reading {}", names(&args.people)))?;
    let read_time = started.elapsed();
    if file.rows.is_empty() && file.rejects.is_empty() {
        bail!("no people rows in {}", names(&args.people));
    }
    link_file(&file, read_time, &names(&args.people), &args)?;
    Ok(ExitCode::SUCCESS)
}

/// Links the rows of `file` (read from `source` in `read_time`) and writes persons.csv,
/// pairs.csv and model.json into `args.out`, with the summary on stderr (and stdout with
/// `--json`). `conduct run` calls it on the export it has already read.
pub fn link_file(
    file: &conduct_ingest::PeopleFile,
    read_time: std::time::Duration,
    source: &str,
    args: &LinkArgs,
) -> anyhow::Result<conduct_resolve::Linkage> {
    let started = Instant::now();
    let mut options = LinkOptions { seed: args.seed, max_block_size: args.max_block_size, ..LinkOptions::default() };
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
    if !args.all_pairs {
        options.keep_pairs_from_weight = args.pairs_min_weight;
    }
    let linkage = conduct_resolve::link(&file.rows, &options)?;

    let write_started = Instant::now();
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    // persons.csv: every accepted row, then rejected rows whose record_id could be read, each
    // as its own person (nothing is dropped).
    let persons_path = args.out.join("persons.csv");
    let mut w = create(&persons_path)?;
    writeln!(w, "record_id,person_id")?;
    // Rows are formatted in parallel, in chunks written in order: the same bytes as one loop.
    let chunks: Vec<Vec<u8>> = file
        .rows
        .par_chunks(CHUNK)
        .zip(linkage.person.par_chunks(CHUNK))
        .map(|(rows, persons)| {
            let mut b = Vec::with_capacity(rows.len() * 24);
            for (row, &p) in rows.iter().zip(persons) {
                let _ = writeln!(b, "{},{}", csv_field(&inert(&row.record_id)), person_id(p));
            }
            b
        })
        .collect();
    for c in &chunks {
        w.write_all(c)?;
    }
    let mut rejected_listed = 0u64;
    let first_free = linkage.stats.persons as u32;
    // A rejected duplicate's key is an accepted row's record_id, already listed: once only.
    let accepted: std::collections::HashSet<&str> = if file.rejects.iter().any(|r| !r.key.is_empty()) {
        file.rows.iter().map(|r| r.record_id.as_str()).collect()
    } else {
        Default::default()
    };
    for (next, r) in (first_free..).zip(file.rejects.iter().filter(|r| !r.key.is_empty() && !accepted.contains(r.key.as_str()))) {
        writeln!(w, "{},{}", csv_field(&inert(&r.key)), person_id(next))?;
        rejected_listed += 1;
    }
    w.flush().with_context(|| format!("writing {}", persons_path.display()))?;

    let pairs_path = args.out.join("pairs.csv");
    let mut w = create(&pairs_path)?;
    writeln!(w, "record_id_l,record_id_r,match_weight,match_probability")?;
    let chunks: Vec<Vec<u8>> = linkage
        .pairs
        .par_chunks(CHUNK)
        .map(|pairs| {
            let mut buf = Vec::with_capacity(pairs.len() * 48);
            for p in pairs {
                let (a, b) = (&file.rows[p.a as usize].record_id, &file.rows[p.b as usize].record_id);
                let prob = conduct_resolve::model::probability(f64::from(p.weight));
                let _ = writeln!(buf, "{},{},{:.3},{:.6}", csv_field(&inert(a)), csv_field(&inert(b)), p.weight, prob);
            }
            buf
        })
        .collect();
    for c in &chunks {
        w.write_all(c)?;
    }
    w.flush().with_context(|| format!("writing {}", pairs_path.display()))?;
    linkage.model.save(&args.out.join("model.json"))?;
    let write_time = write_started.elapsed();

    note!(
        "read {} rows from {} in {:.2}s ({} rejected, {} of them listed as their own person; {} warnings)",
        file.rows.len(),
        source,
        read_time.as_secs_f64(),
        file.rejects.len(),
        rejected_listed,
        file.warnings.len()
    );
    if args.incidents.is_some() {
        note!("note: --incidents is accepted but not used by linkage yet");
    }
    note_raw!("{}", linkage.stats.to_text());
    note!(
        "wrote {}, {} ({} pairs) and model.json in {:.2}s; total {:.2}s",
        persons_path.display(),
        pairs_path.display(),
        linkage.pairs.len(),
        write_time.as_secs_f64(),
        (read_time + started.elapsed()).as_secs_f64()
    );
    if args.json {
        let s = &linkage.stats;
        let v = serde_json::json!({
            "rows": s.rows,
            "rejected": file.rejects.len(),
            "rows_without_identifiers": s.rows_without_identifiers,
            "field_warnings": s.field_warnings.counts.iter().map(|(f, n)| (f.to_string(), *n)).collect::<HashMap<_, _>>(),
            "candidate_pairs": s.candidate_pairs,
            "blocking_rules": s.rules.iter().map(|r| serde_json::json!({
                "rule": r.name, "blocks": r.blocks, "pairs": r.pairs,
                "oversized_blocks": r.oversized_blocks, "oversized_records": r.oversized_records,
            })).collect::<Vec<_>>(),
            "pairs_above_threshold": s.pairs_above_threshold,
            "persons": s.persons + rejected_listed,
            "persons_with_several_records": s.persons_with_several_records,
            "stages_seconds": s.stages.iter().map(|(n, d)| (n.to_string(), d.as_secs_f64())).collect::<HashMap<_, _>>(),
            "read_seconds": read_time.as_secs_f64(),
            "write_seconds": write_time.as_secs_f64(),
        });
        outln!("{}", serde_json::to_string_pretty(&v)?)?;
    }
    Ok(linkage)
}

/// Rows formatted per parallel chunk when writing persons.csv and pairs.csv.
const CHUNK: usize = 1 << 16;

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

//! `conduct eval attack`: a re-identification attack on one party's encodings with a plaintext
//! population the attacker holds (frequency alignment; `conduct_pprl::attack`), scored against
//! the party's own people file. The attack reads only the encodings and the population; the
//! truth and keymap are read for scoring alone.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use conduct_pprl::attack::{AttackOptions, AttackScores, Variant};

use crate::link_cmd::names;

/// Arguments of `conduct eval attack`.
#[derive(clap::Args)]
pub struct AttackArgs {
    /// The encodings attacked (one party's encodings.parquet).
    #[arg(long)]
    pub encodings: PathBuf,
    /// The attacker's plaintext population: people files (e.g. a synthetic world's people.csv).
    #[arg(long, required = true, num_args = 1..)]
    pub population: Vec<PathBuf>,
    /// The people file(s) the encodings were made from, to score the attack (never read by it).
    #[arg(long, required = true, num_args = 1..)]
    pub truth: Vec<PathBuf>,
    /// The party's keymap.csv (record_id,pseudonym), to score the attack.
    #[arg(long)]
    pub keymap: PathBuf,
    /// Which attack: `plain` (identical patterns counted), `clustered` (near-identical patterns
    /// clustered within blocking-token groups before counting, against bit flips) or `both`.
    #[arg(long, value_enum, default_value = "both")]
    pub variant: VariantArg,
    /// Patterns and values aligned by rank in the first round.
    #[arg(long, default_value_t = 10)]
    pub align: usize,
    /// Refinement rounds (confident decodings re-aligned and learned again).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Ignore the short-form tokens the default encoding sends (what they tell of a
    /// forename's length and prefix), to measure what reading them adds.
    #[arg(long)]
    pub without_short_forms: bool,
    /// Print the scores as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `--variant`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VariantArg {
    /// Identical patterns counted.
    Plain,
    /// Near-identical patterns clustered before counting.
    Clustered,
    /// Both, one after the other.
    Both,
}

/// Runs `conduct eval attack`.
pub fn attack(args: AttackArgs) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    let enc = conduct_pprl::read_encodings(&args.encodings)?;
    let pop = conduct_ingest::read_people_files(&args.population).with_context(|| format!("reading {}", names(&args.population)))?;
    let population = conduct_pprl::attack::normalise_all(&pop.rows);
    note!(
        "attacking {} records of {} ({:?} hardening) with a population of {} people rows, in {:.2}s so far",
        enc.records.len(),
        enc.force,
        enc.settings.hardening,
        population.len(),
        t.elapsed().as_secs_f64()
    );
    let variants: Vec<Variant> = match args.variant {
        VariantArg::Plain => vec![Variant::Plain],
        VariantArg::Clustered => vec![Variant::Clustered],
        VariantArg::Both => vec![Variant::Plain, Variant::Clustered],
    };
    let mut results = Vec::new();
    for variant in variants {
        let opts = AttackOptions {
            variant,
            align: args.align,
            rounds: args.rounds,
            short_forms: !args.without_short_forms,
            ..AttackOptions::default()
        };
        let t = Instant::now();
        let a = conduct_pprl::attack::attack(&enc, &population, &opts)?;
        note!("{} attack in {:.2}s", variant.name(), t.elapsed().as_secs_f64());
        results.push(a);
    }
    // Scoring only: the truth and keymap.
    let truth_rows = conduct_ingest::read_people_files(&args.truth).with_context(|| format!("reading {}", names(&args.truth)))?;
    let truth_features = conduct_pprl::attack::normalise_all(&truth_rows.rows);
    let by_id: HashMap<&str, usize> = truth_rows.rows.iter().enumerate().map(|(i, r)| (r.record_id.as_str(), i)).collect();
    let mut truth: HashMap<String, conduct_resolve::normalise::Features> = HashMap::new();
    let mut r = csv::Reader::from_path(&args.keymap).with_context(|| format!("reading {}", args.keymap.display()))?;
    for row in r.records() {
        let row = row.with_context(|| format!("reading {}", args.keymap.display()))?;
        let (id, pseudonym) = (row.get(0).unwrap_or(""), row.get(1).unwrap_or(""));
        if let Some(&i) = by_id.get(id) {
            truth.insert(pseudonym.to_string(), truth_features[i].clone());
        }
    }
    if truth.is_empty() {
        anyhow::bail!("{}: no record of the keymap is in {}", args.keymap.display(), names(&args.truth));
    }
    let scores: Vec<AttackScores> = results.iter().map(|a| conduct_pprl::attack::score(&enc, a, &truth)).collect();
    if args.json {
        let json = serde_json::json!({
            "encodings": args.encodings,
            "force": enc.force,
            "hardening": enc.settings.hardening,
            "population_rows": population.len(),
            "attacks": scores,
        });
        outln!("{}", serde_json::to_string_pretty(&json)?)?;
    } else {
        for s in &scores {
            outln!("{} frequency-alignment attack on {} records ({:?} hardening):", s.variant, s.records, enc.settings.hardening)?;
            for f in &s.fields {
                outln!("  {:<9} {} patterns, {} population values, {} aligned by frequency", f.field, f.patterns, f.values, f.aligned)?;
                let r: Vec<String> = f.rounds.iter().map(|[l, d, c]| format!("{l}/{d}/{c}")).collect();
                outln!("            per round (anchors/records decoded/confident): {}", r.join(" "))?;
                if f.through_short_forms > 0 {
                    outln!("            decoded through the short-form tokens (last round): {}", f.through_short_forms)?;
                }
            }
            let pct = |x: f64| 100.0 * x;
            outln!("  forename recovered        {:>7} ({:.2}%; {} records have one)", s.forename, pct(s.forename_share), s.with_forename)?;
            outln!("  surname recovered         {:>7} ({:.2}%; {} records have one)", s.surname, pct(s.surname_share), s.with_surname)?;
            outln!("  date of birth recovered   {:>7} ({:.2}%; {} records have a full one)", s.dob, pct(s.dob_share), s.with_dob)?;
            outln!("  full name recovered       {:>7} ({:.2}%)", s.full_name, pct(s.full_name_share))?;
            outln!("  re-identified (name+DOB)  {:>7} ({:.2}%)", s.reidentified, pct(s.reidentified_share))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

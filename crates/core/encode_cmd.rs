//! `conduct encode`, `conduct link --encodings` and `conduct eval encodings`: cross-force
//! linkage from keyed encodings. The work is in `conduct-pprl`; this reads files, calls it,
//! writes the outputs and prints what was done.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use conduct_pprl::{Encoder, Hardening, HubOptions, Secret};

use crate::link_cmd::{LinkArgs, names};

/// Arguments of `conduct encode`.
#[derive(clap::Args)]
pub struct EncodeArgs {
    /// The force's people file (CSV, JSON Lines or Parquet, per the data contract); repeat
    /// for a split export.
    #[arg(long, required = true)]
    pub people: Vec<PathBuf>,
    /// The secret shared by the parties (at least 16 bytes; `openssl rand -hex 32 > FILE`).
    /// Keys for every field and for blocking are derived from it; it never leaves the force.
    #[arg(long, value_name = "KEY")]
    pub secret_file: PathBuf,
    /// The force's own secret, for pseudonyms only it can map back. Without it the pseudonym
    /// key is derived from the shared secret and the force's name (DESIGN.md says what that
    /// allows another party holding the shared secret to test).
    #[arg(long, value_name = "KEY")]
    pub force_secret_file: Option<PathBuf>,
    /// The force's incidents file(s): send, beside each record's encodings, its role, its
    /// report's reference pseudonymised with the force's own key, the report's recorded date
    /// and its offence codes (no narrative, no description, no outcome), so that another force
    /// linked to the record can build cross-force courses of conduct (`conduct courses
    /// --cross-force-links`). Optional.
    #[arg(long, num_args = 1..)]
    pub incidents: Vec<PathBuf>,
    /// Encode only this force's rows (needed when the file holds several forces).
    #[arg(long)]
    pub force: Option<String>,
    /// `diffused` (the default: 1% of bits flipped per record, then a keyed diffusion layer on
    /// the name filters; the nickname group reaches the hub through a blocking token), `flips`
    /// (the flips alone, the default before encodings schema 3: falls to the re-identification
    /// attack) or `none` (plain per-field Bloom filters, for measuring what hardening buys; not
    /// for sending).
    #[arg(long, value_enum, default_value = "diffused")]
    pub hardening: HardeningArg,
    /// Output folder: encodings.parquet (what the force sends), keymap.csv (record_id,
    /// pseudonym: stays with the force), rejects.csv and summary.json (stay too).
    #[arg(long)]
    pub out: PathBuf,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `--hardening`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum HardeningArg {
    /// 1% of bits flipped per record, then a keyed diffusion layer on the name filters
    /// (resists the re-identification attack). The default.
    #[value(alias = "default")]
    Diffused,
    /// 1% of bits flipped per record, names left as Bloom filters (the default before
    /// encodings schema 3; falls to the clustered attack).
    Flips,
    /// Plain per-field Bloom filters.
    None,
}

/// Runs `conduct encode`.
pub fn encode(args: EncodeArgs) -> anyhow::Result<ExitCode> {
    let secret = Secret::read(&args.secret_file)?;
    let force_secret = args.force_secret_file.as_deref().map(Secret::read).transpose()?;
    let started = Instant::now();
    let file = conduct_ingest::read_people_files(&args.people).with_context(|| format!("reading {}", names(&args.people)))?;
    let mut forces: BTreeMap<&'static str, usize> = BTreeMap::new();
    for r in &file.rows {
        *forces.entry(r.force.name()).or_default() += 1;
    }
    let force = match &args.force {
        Some(f) => conduct_domain::Force::resolve(f).map_err(|e| crate::Usage(format!("--force: {e}")))?.name(),
        None if forces.len() <= 1 => {
            forces.keys().next().copied().ok_or_else(|| anyhow::anyhow!("{}: no people rows to encode", names(&args.people)))?
        }
        None => {
            let list: Vec<String> = forces.iter().map(|(f, n)| format!("{f} ({n} rows)")).collect();
            return Err(crate::Usage(format!(
                "the people files hold {} forces: {}; a force encodes its own records: give --force NAME",
                forces.len(),
                list.join(", ")
            ))
            .into());
        }
    };
    let rows: Vec<conduct_domain::Involvement> = file.rows.iter().filter(|r| r.force.name() == force).cloned().collect();
    if rows.is_empty() && !file.rows.is_empty() {
        let list: Vec<String> = forces.iter().map(|(f, n)| format!("{f} ({n} rows)")).collect();
        return Err(crate::Usage(format!("the people files hold no rows of {force}; they hold {}", list.join(", "))).into());
    }
    let other_forces = file.rows.len() - rows.len();
    let hardening = match args.hardening {
        HardeningArg::Diffused => Hardening::Default,
        HardeningArg::Flips => Hardening::Flips,
        HardeningArg::None => Hardening::None,
    };
    let encoder = Encoder::new(hardening, &secret, force_secret.as_ref(), force);
    let read = started.elapsed();
    let t = Instant::now();
    let (encoded, summary) = conduct_pprl::encode_people(&encoder, &rows);
    let encode_time = t.elapsed();
    // The reports, read before anything is written, so a bad incidents file leaves nothing.
    let (facts, without_report, incident_rejects) = if args.incidents.is_empty() {
        (Vec::new(), 0, 0)
    } else {
        let inputs = conduct_ingest::Inputs { incidents: args.incidents.clone(), ..conduct_ingest::Inputs::default() };
        let mut ingest = conduct_ingest::Ingest::new();
        let (read, _) = ingest.read_whole(&inputs).with_context(|| format!("reading {}", names(&args.incidents)))?;
        let own: Vec<conduct_domain::Incident> = read.incidents.into_iter().filter(|i| i.force.name() == force).collect();
        if own.is_empty() {
            return Err(crate::Usage(format!("{}: no incidents of {force}", names(&args.incidents))).into());
        }
        let (facts, missing) = conduct_pprl::report_facts(&encoder, &rows, &own);
        (facts, missing, ingest.rejects().len())
    };
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    conduct_pprl::write_encodings_with_reports(&args.out.join("encodings.parquet"), force, encoder.settings(), &encoded, &facts)?;
    let keymap = args.out.join("keymap.csv");
    let mut w = csv::Writer::from_path(&keymap).with_context(|| format!("writing {}", keymap.display()))?;
    w.write_record(["record_id", "pseudonym"])?;
    for (r, e) in rows.iter().zip(&encoded) {
        w.write_record([r.record_id.as_str(), e.pseudonym.as_str()])?;
    }
    w.flush()?;
    conduct_ingest::write_rejects(&args.out.join("rejects.csv"), &file.rejects)?;
    let json = serde_json::json!({
        "force": force,
        "records": summary.records,
        "empty": summary.empty,
        "fields": summary.fields.iter().map(|(f, n)| serde_json::json!({"field": f, "records": n})).collect::<Vec<_>>(),
        "rejected_rows": file.rejects.len(),
        "reports_sent": facts.iter().flatten().count(),
        "records_without_report": if args.incidents.is_empty() { serde_json::Value::Null } else { without_report.into() },
        "incident_rows_rejected": incident_rejects,
        "other_forces_rows": other_forces,
        "hardening": encoder.settings().hardening,
        "key_check": encoder.settings().key_check,
        "seconds": { "read": read.as_secs_f64(), "encode": encode_time.as_secs_f64() },
        "records_per_second": summary.records as f64 / encode_time.as_secs_f64().max(1e-9),
    });
    std::fs::write(args.out.join("summary.json"), serde_json::to_string_pretty(&json)? + "\n")?;
    note!(
        "encoded {} records of {force} in {:.2}s ({:.0} records/s); {} with nothing to encode (they stay singletons)",
        summary.records,
        encode_time.as_secs_f64(),
        summary.records as f64 / encode_time.as_secs_f64().max(1e-9),
        summary.empty
    );
    for (f, n) in &summary.fields {
        note!("  {f:<9} {n} records");
    }
    if !file.rejects.is_empty() {
        note!("{} rows rejected and not encoded, with reasons: {}", file.rejects.len(), args.out.join("rejects.csv").display());
    }
    if !args.incidents.is_empty() {
        note!(
            "sent beside the encodings: {} records' role, report pseudonym, date and offence codes; {without_report} records' reports are not in {}{}",
            facts.iter().flatten().count(),
            names(&args.incidents),
            if incident_rejects > 0 { format!(" ({incident_rejects} incident rows rejected)") } else { String::new() }
        );
    }
    if other_forces > 0 {
        note!("{other_forces} rows of other forces left out (--force {force})");
    }
    note!(
        "send {} to the hub; keep {} (it maps pseudonyms back to records)",
        args.out.join("encodings.parquet").display(),
        keymap.display()
    );
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&json)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes the hub's answer into `out`: each party's links and, passed on only to the parties
/// whose records are linked to them, what the other parties sent about their reports. Every
/// file is written into a scratch folder inside `out` first and moved into place only when all
/// are written, so that a failed write (a full disk, say) leaves no party's links without the
/// reports beside them, nor a half-written file. Returns the reports passed on per party.
fn write_answers(out: &Path, parties: &[conduct_pprl::Encodings], result: &conduct_pprl::HubResult) -> anyhow::Result<Vec<usize>> {
    let scratch = out.join(format!(".hub-writing-{}", std::process::id()));
    let written = (|| -> anyhow::Result<Vec<usize>> {
        std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
        conduct_pprl::write_links(&scratch, parties, result)?;
        let reports = conduct_pprl::write_reports(&scratch, parties, result)?;
        Ok(reports)
    })();
    let moved = written.and_then(|reports| {
        for entry in std::fs::read_dir(&scratch).with_context(|| format!("reading {}", scratch.display()))? {
            let from = entry.with_context(|| format!("reading {}", scratch.display()))?.path();
            let to = out.join(from.file_name().unwrap_or_default());
            std::fs::rename(&from, &to).with_context(|| format!("moving {} to {}", from.display(), to.display()))?;
        }
        Ok(reports)
    });
    let _ = std::fs::remove_dir_all(&scratch);
    moved
}

/// Runs `conduct link --encodings`: the hub.
pub fn hub(args: &LinkArgs) -> anyhow::Result<ExitCode> {
    let out = args.out.as_ref().ok_or_else(|| crate::Usage("--encodings needs --out DIR".into()))?;
    let t = Instant::now();
    let parties = args.encodings.iter().map(|p| conduct_pprl::read_encodings(p)).collect::<Result<Vec<_>, _>>()?;
    let read = t.elapsed();
    let opts =
        HubOptions { max_block: args.max_block_size.max(2) * 4, seed: args.seed, keep_pairs: args.all_pairs, ..HubOptions::default() };
    let result = conduct_pprl::link_parties(&parties, &opts)?;
    let reports = write_answers(out, &parties, &result)?;
    let r = &result.report;
    note!(
        "read {} parties' encodings ({} records) in {:.2}s",
        parties.len(),
        parties.iter().map(|p| p.records.len()).sum::<usize>(),
        read.as_secs_f64()
    );
    note!(
        "{} candidate pairs ({} field similarities), {} blocks over the cap set aside ({} records); prior of a match {:.3e}",
        r.candidate_pairs,
        r.field_comparisons,
        r.oversized_blocks,
        r.oversized_records,
        r.match_prior
    );
    note!(
        "{} pairs at even odds or better; {} joins vetoed; {} persons found in two or more parties",
        r.linking_pairs,
        r.vetoed_joins,
        r.cross_force_persons
    );
    for p in &r.parties {
        note!(
            "  {:<24} {} records ({} with nothing encoded), {} linked to another party, {} duplicate nominals -> {}",
            p.force,
            p.records,
            p.empty,
            p.linked_records,
            p.own_duplicates,
            out.join(conduct_pprl::hub::links_file_name(&p.force)).display()
        );
    }
    for ((p, party), n) in r.parties.iter().zip(&parties).zip(&reports) {
        let sent = if party.reports.is_empty() { "sent no reports" } else { "sent its reports" };
        note!(
            "  {:<24} {sent}; receives {n} linked records' reports -> {}",
            p.force,
            out.join(conduct_pprl::hub::reports_file_name(&p.force)).display()
        );
    }
    note!("{}", r.seconds.iter().map(|(s, t)| format!("{s} {t:.2}s")).collect::<Vec<_>>().join(", "));
    if args.json {
        outln!("{}", serde_json::to_string_pretty(r)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `conduct eval encodings`.
#[derive(clap::Args)]
pub struct EvalEncodingsArgs {
    /// People files with record_id, force and the true person column (ground truth).
    #[arg(long, required = true, num_args = 1..)]
    pub truth: Vec<PathBuf>,
    /// The true person column.
    #[arg(long, default_value = "true_person_id")]
    pub truth_column: String,
    /// The hub's output folder (its links-*.csv files are read).
    #[arg(long, required_unless_present = "persons")]
    pub links: Option<PathBuf>,
    /// The parties' keymap.csv files (record_id,pseudonym), to map the links back.
    #[arg(long, requires = "links", num_args = 1..)]
    pub keymap: Vec<PathBuf>,
    /// Score a plaintext persons.csv on the same cross-force pairs instead (for comparison).
    #[arg(long, conflicts_with = "links")]
    pub persons: Option<PathBuf>,
    /// Print the scores as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `conduct eval encodings`.
pub fn eval(args: EvalEncodingsArgs) -> anyhow::Result<ExitCode> {
    use conduct_pprl::eval::{Truth, pairs_from_links, pairs_from_persons};
    let truth = Truth::read(&args.truth, &args.truth_column)?;
    let scores = if let Some(dir) = &args.links {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("links-") && n.ends_with(".csv")))
            .collect();
        files.sort();
        if files.is_empty() {
            anyhow::bail!("{}: no links-*.csv files", dir.display());
        }
        let (pairs, scope) = pairs_from_links(&truth, &files, &args.keymap)?;
        truth.score(&pairs, Some(&scope))
    } else {
        let persons = args.persons.as_ref().expect("clap requires --links or --persons");
        truth.score(&pairs_from_persons(&truth, persons)?, None)
    };
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&scores)?)?;
    } else {
        outln!(
            "cross-force pairs: precision {:.5}, recall {:.5}, F1 {:.5} ({} predicted, {} true, {} correct, {} records)",
            scores.precision,
            scores.recall,
            scores.f1,
            scores.predicted_pairs,
            scores.true_pairs,
            scores.correct_pairs,
            scores.records
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

//! Person resolution: which people records are the same person, by probabilistic record
//! linkage (Fellegi–Sunter) that explains itself.
//!
//! The pipeline, one module each:
//! 1. [`normalise`] — every row becomes [`normalise::Features`] (folded names, phonetic keys,
//!    nickname groups, date components, postcode parts, canonical phones, …);
//! 2. [`block`] — several blocking rules, unioned without double counting, oversized blocks
//!    skipped and reported;
//! 3. [`compare`] — a level per comparison for every candidate pair;
//! 4. [`model`] — u from seeded random pairs, m and λ by EM over the candidate pairs,
//!    term-frequency adjustment for names; a model can be saved and reused;
//! 5. [`cluster`] — strongest pairs first, joining groups only when no record of one
//!    contradicts a record of the other (twins and father/son stay apart);
//! 6. [`explain`] — the waterfall of any pair; [`eval`] — pairwise and B-cubed scores.
//!
//! [`link`] runs it all. Design notes (rules, priors, thresholds, why clustering holds) are in
//! `crates/resolve/DESIGN.md`.

pub mod block;
pub mod cluster;
pub mod compare;
pub mod error;
pub mod eval;
pub mod explain;
pub mod fasthash;
pub mod model;
pub mod normalise;

use std::time::{Duration, Instant};

use conduct_domain::Involvement;
use rayon::prelude::*;

pub use error::{Error, ErrorKind};
pub use model::Model;

use crate::block::{RULES, RuleStats};
use crate::compare::unpack;
use crate::model::TermFrequencies;
use crate::normalise::{FieldWarnings, Nicknames};

/// How to link.
#[derive(Clone, Debug)]
pub struct LinkOptions {
    /// Seed for the random pairs u is estimated from.
    pub seed: u64,
    /// Random pairs drawn for u.
    pub random_pairs: usize,
    /// Blocks with more records than this are split by sorted neighbourhood (and reported).
    pub max_block_size: usize,
    /// EM iteration cap.
    pub em_iterations: u32,
    /// Match weight at or above which pairs may join records (ignored when `model` is given:
    /// the model carries its own).
    pub threshold_weight: f64,
    /// Level weight at or below which a personal comparison vetoes a join (ignored when
    /// `model` is given).
    pub veto_weight: f64,
    /// A model to use as is, instead of estimating one.
    pub model: Option<Model>,
    /// Keep scored pairs with at least this match weight in [`Linkage::pairs`].
    pub keep_pairs_from_weight: f64,
    /// Use the shipped default model when the file is too small to fit one (see
    /// [`too_small_to_fit`]); `false` fits whatever the size (for training the default).
    pub default_when_too_small: bool,
}

impl Default for LinkOptions {
    fn default() -> LinkOptions {
        LinkOptions {
            seed: 42,
            random_pairs: 1_000_000,
            max_block_size: 16,
            em_iterations: 40,
            threshold_weight: DEFAULT_THRESHOLD_WEIGHT,
            veto_weight: cluster::VETO_WEIGHT,
            model: None,
            keep_pairs_from_weight: f64::NEG_INFINITY,
            default_when_too_small: true,
        }
    }
}

/// The default join threshold (match weight, bits).
pub const DEFAULT_THRESHOLD_WEIGHT: f64 = 5.0;

/// Fewest records a model is fitted on; below, the default model is used.
pub const MIN_ROWS_TO_FIT: usize = 1_000;

/// Fewest blocking rules with at least [`model::MIN_TRAINING_PAIRS`] candidate pairs each (so
/// that m is a median of several EM runs, not one rule's view); below, the default model.
pub const MIN_TRAINING_RULES: usize = 3;

/// Why a file is too small to fit a model on, if it is: fewer than [`MIN_ROWS_TO_FIT`]
/// records, or fewer than [`MIN_TRAINING_RULES`] blocking rules with enough candidate pairs
/// to train on. `rule_pairs` is the candidate pairs each rule's keys agree on.
pub fn too_small_to_fit(rows: usize, rule_pairs: &[f64]) -> Option<String> {
    if rows < MIN_ROWS_TO_FIT {
        return Some(format!("{rows} rows, fewer than {MIN_ROWS_TO_FIT}"));
    }
    let trained = rule_pairs.iter().filter(|&&p| p >= model::MIN_TRAINING_PAIRS).count();
    if trained < MIN_TRAINING_RULES {
        return Some(format!(
            "only {trained} blocking rules have {} or more candidate pairs to train on (fewer than {MIN_TRAINING_RULES})",
            model::MIN_TRAINING_PAIRS
        ));
    }
    None
}

/// Evidence (bits) added to a pair of records of one force whose names agree (exactly, as
/// nickname or alias, or one keying error apart) when, after a first clustering pass, both are
/// involved in reports with one same other person. See DESIGN.md, "Missing details".
pub const SHARED_ASSOCIATE_WEIGHT: f64 = 8.0;

/// A scored candidate pair (row indices, `a < b`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoredPair {
    /// First row.
    pub a: u32,
    /// Second row.
    pub b: u32,
    /// Match weight in bits.
    pub weight: f32,
}

/// Counts and timings of a run.
#[derive(Clone, Debug, Default)]
pub struct LinkStats {
    /// Rows in.
    pub rows: u64,
    /// Rows with nothing identifying (left as their own person).
    pub rows_without_identifiers: u64,
    /// Unusable values per field (kept as missing).
    pub field_warnings: FieldWarnings,
    /// Per blocking rule.
    pub rules: Vec<RuleStats>,
    /// Candidate pairs compared.
    pub candidate_pairs: u64,
    /// Pairs at or above the threshold.
    pub pairs_above_threshold: u64,
    /// Joins refused by contradiction, by reason.
    pub refused_by_reason: Vec<((&'static str, &'static str), u64)>,
    /// Persons found.
    pub persons: u64,
    /// Persons with more than one record.
    pub persons_with_several_records: u64,
    /// Joins made in the second clustering pass on the evidence of a shared associate.
    pub joined_by_shared_associate: u64,
    /// Which model was used and why, in words (for stderr).
    pub model_used: String,
    /// Warnings about the estimation (EM that did not converge), in words.
    pub model_warnings: Vec<String>,
    /// Wall time per stage.
    pub stages: Vec<(&'static str, Duration)>,
}

/// The result of linking.
#[derive(Clone, Debug)]
pub struct Linkage {
    /// Person number per input row, in input order (0-based; persons numbered in the order of
    /// their first record by rank, [`record_order`], so not by where the rows sit).
    pub person: Vec<u32>,
    /// Scored candidate pairs (those at or above `keep_pairs_from_weight`).
    pub pairs: Vec<ScoredPair>,
    /// The model used.
    pub model: Model,
    /// Counts and timings.
    pub stats: LinkStats,
    /// The term frequencies of names the pairs were scored with (kept so that a caller
    /// explaining a decision need not normalise every row again).
    pub tf: TermFrequencies,
}

/// Links `rows`: which rows are the same person.
///
/// # Errors
///
/// [`ErrorKind::BadOptions`] for a block size under 2, and [`ErrorKind::ModelMismatch`] when
/// `options` gives a model that does not fit this engine.
pub fn link(rows: &[Involvement], options: &LinkOptions) -> Result<Linkage, Error> {
    if options.max_block_size < 2 {
        return Err(Error::new(ErrorKind::BadOptions("max block size must be at least 2".into()), ""));
    }
    let (feats, tf, mut stats, started) = prepare(rows, options)?;
    let mut clock = started;
    let mut lap = |stats: &mut LinkStats, name: &'static str| {
        stats.stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let order = record_order(rows);
    lap(&mut stats, "normalise");

    let mut blocking = block::block(&feats, &order, RULES, options.max_block_size);
    stats.rules = std::mem::take(&mut blocking.rules);
    stats.candidate_pairs = blocking.pairs.len() as u64;
    lap(&mut stats, "block");

    let patterns = model::patterns(&feats, &blocking);
    let pairs = std::mem::take(&mut blocking.pairs);
    drop(blocking);
    lap(&mut stats, "compare");
    let linkage = link_compared(rows, &order, &feats, &tf, pairs, patterns, options, stats, &mut lap)?;
    drop_on_every_core(feats);
    Ok(Linkage { tf, ..linkage })
}

/// [`link`] from candidate pairs and their comparison patterns found elsewhere: by the
/// partitions of a partitioned link ([`block::partition_pairs`], merged by
/// [`block::merge_partitions`]), each pair once, `a < b`. The model is fitted (or given), the
/// pairs scored and clustered as [`link`] does; the result depends on the pairs as a set,
/// not on their order.
///
/// # Errors
///
/// As [`link`]; [`ErrorKind::BadOptions`] when a pair names a row that is not there.
pub fn link_from_pairs(rows: &[Involvement], pairs: Vec<(u32, u32)>, patterns: Vec<u64>, options: &LinkOptions) -> Result<Linkage, Error> {
    if pairs.len() != patterns.len() || pairs.iter().any(|&(a, b)| a >= b || b as usize >= rows.len()) {
        return Err(Error::new(ErrorKind::BadOptions("candidate pairs that do not fit these rows".into()), ""));
    }
    let (feats, tf, mut stats, started) = prepare(rows, options)?;
    let mut clock = started;
    let mut lap = |stats: &mut LinkStats, name: &'static str| {
        stats.stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    stats.candidate_pairs = pairs.len() as u64;
    let order = record_order(rows);
    lap(&mut stats, "normalise");
    let linkage = link_compared(rows, &order, &feats, &tf, pairs, patterns, options, stats, &mut lap)?;
    drop_on_every_core(feats);
    Ok(Linkage { tf, ..linkage })
}

/// Frees the records' features on every core: each holds several boxed texts, and freed on
/// one core at the end of a link they kept it busy for about 0.3 s at 1.94M rows while the other
/// waited (`perf record`, session 46).
fn drop_on_every_core(feats: Vec<normalise::Features>) {
    feats.into_par_iter().for_each(drop);
}

/// The opening [`link`] and [`link_from_pairs`] share: check the given model, normalise the
/// rows and count term frequencies. Returns the start time so the first stage's lap covers
/// the normalising.
fn prepare(rows: &[Involvement], options: &LinkOptions) -> Result<(Vec<normalise::Features>, TermFrequencies, LinkStats, Instant), Error> {
    if let Some(m) = &options.model {
        m.check()?;
    }
    let started = Instant::now();
    let mut stats = LinkStats { rows: rows.len() as u64, ..Default::default() };
    let (feats, warnings) = normalise::normalise_all(rows, &Nicknames::builtin());
    stats.field_warnings = warnings;
    stats.rows_without_identifiers = feats.iter().filter(|f| !f.identifying).count() as u64;
    let tf = TermFrequencies::count(&feats);
    Ok((feats, tf, stats, started))
}

/// What [`link`] does once the candidate pairs are compared: fit (or take) the model, score,
/// cluster. `order` is each row's rank ([`record_order`]).
#[allow(clippy::too_many_arguments)]
fn link_compared(
    rows: &[Involvement],
    order: &[u32],
    feats: &[normalise::Features],
    tf: &TermFrequencies,
    pairs: Vec<(u32, u32)>,
    patterns: Vec<u64>,
    options: &LinkOptions,
    mut stats: LinkStats,
    lap: &mut impl FnMut(&mut LinkStats, &'static str),
) -> Result<Linkage, Error> {
    let n_rows = feats.len();
    let model = match &options.model {
        Some(m) => {
            let mut m = m.clone();
            let was = if m.notes.source.is_empty() { "of unrecorded origin".to_string() } else { format!("originally {}", m.notes.source) };
            stats.model_used = format!("given model (--model; {was}), used as is");
            m.notes.reason = format!("given with --model ({was})");
            m.notes.source = "given".into();
            m
        }
        None => {
            let counts = model::pattern_counts(&patterns);
            let rule_pairs: Vec<f64> = (0..RULES.len()).map(|r| counts.iter().filter(|c| c.1 & (1 << r) != 0).map(|c| c.2).sum()).collect();
            match too_small_to_fit(n_rows, &rule_pairs).filter(|_| options.default_when_too_small) {
                Some(reason) => {
                    let mut m = Model::default_for(n_rows);
                    m.threshold_weight = options.threshold_weight;
                    m.veto_weight = options.veto_weight;
                    stats.model_used = format!(
                        "default model shipped with Conduct (version {}, trained on {}; λ rescaled to {} rows), because this file is too small to fit one: {}",
                        m.notes.default_version, m.notes.trained_on, n_rows, reason
                    );
                    m.notes.source = "default".into();
                    m.notes.reason = format!("too small to fit a model: {reason}");
                    m
                }
                None => {
                    let (u, drawn) = model::estimate_u(feats, order, options.random_pairs, options.seed);
                    let n = n_rows as f64;
                    let mut m = model::fit(&counts, RULES, &u, n * (n - 1.0) / 2.0, options.em_iterations, options.threshold_weight);
                    m.notes.random_pairs = drawn;
                    m.notes.seed = options.seed;
                    m.notes.rows = n_rows as u64;
                    m.veto_weight = options.veto_weight;
                    m.notes.given_names_pairs = model::estimate_u_given_names(
                        &mut m,
                        feats,
                        order,
                        model::GIVEN_NAMES_SAMPLE.min(options.random_pairs),
                        options.seed,
                    );
                    stats.model_used = format!("fitted on this file ({} rows, {} EM runs)", n_rows, m.notes.em_runs);
                    if m.notes.em_runs_not_converged > 0 {
                        stats.model_warnings.push(format!(
                            "EM did not converge within {} iterations in {} of {} runs (their last estimates are used)",
                            options.em_iterations, m.notes.em_runs_not_converged, m.notes.em_runs
                        ));
                    }
                    if !m.notes.lambda_converged {
                        stats
                            .model_warnings
                            .push(format!("the fit of lambda did not converge within {} iterations", options.em_iterations));
                    }
                    m
                }
            }
        }
    };
    lap(&mut stats, "estimate");

    let w = model.weights();
    // Term-frequency adjustments per record, looked up once rather than once per pair.
    let tf_adjust = tf_adjustments(feats, tf, &w);
    let scored: Vec<(u32, u32, f32)> = pairs
        .par_iter()
        .zip(patterns.par_iter())
        .map(|(&(a, b), &p)| (a, b, pair_weight(&w, pair_adjustment(tf_adjust[a as usize], tf_adjust[b as usize]), &unpack(p))))
        .collect();
    drop(patterns);
    drop(pairs);
    stats.pairs_above_threshold = scored.iter().filter(|p| f64::from(p.2) >= model.threshold_weight).count() as u64;
    lap(&mut stats, "score");

    let (clustering, joined) = cluster_scored(rows, order, feats, &scored, &model, &[]);
    stats.joined_by_shared_associate = joined;
    stats.refused_by_reason = clustering.refused_by_reason.clone();
    stats.persons = clustering.persons as u64;
    let mut sizes = vec![0u32; clustering.persons];
    for &p in &clustering.person {
        sizes[p as usize] += 1;
    }
    stats.persons_with_several_records = sizes.iter().filter(|&&s| s > 1).count() as u64;
    lap(&mut stats, "cluster");

    let keep = options.keep_pairs_from_weight;
    let pairs = scored.into_iter().filter(|p| f64::from(p.2) >= keep).map(|(a, b, weight)| ScoredPair { a, b, weight }).collect();
    Ok(Linkage { person: clustering.person, pairs, model, stats, tf: TermFrequencies::default() })
}

/// Every record's term-frequency adjustments for exact forename and surname agreement, as
/// [`pair_weight`] takes them.
pub fn tf_adjustments(feats: &[normalise::Features], tf: &TermFrequencies, w: &model::Weights) -> Vec<[f32; 2]> {
    feats.par_iter().map(|f| tf_adjustment(f, tf, w)).collect()
}

/// One record's term-frequency adjustments ([`tf_adjustments`]).
pub fn tf_adjustment(f: &normalise::Features, tf: &TermFrequencies, w: &model::Weights) -> [f32; 2] {
    [tf.adjustment(0, f.forename_h, w) as f32, tf.adjustment(1, f.surname_h, w) as f32]
}

/// A pair's term-frequency adjustments from its two records' ([`tf_adjustment`]): the smaller
/// of the two for each name, so that a pair weighs the same either way round. Where a name
/// agrees exactly the two records hold the same name and so the same adjustment; they differ
/// only where a crossed comparison (forename and surname swapped) agrees exactly.
pub fn pair_adjustment(a: [f32; 2], b: [f32; 2]) -> [f32; 2] {
    [a[0].min(b[0]), a[1].min(b[1])]
}

/// A pair's match weight from its comparison levels `p`: the model's weight of the pattern,
/// plus the pair's term-frequency adjustments (`adj`, from [`pair_adjustment`]) where
/// forename or surname agree exactly. Every scored pair, in a full link or an update, is
/// weighed by this.
pub fn pair_weight(w: &model::Weights, adj: [f32; 2], p: &compare::Pattern) -> f32 {
    let extra = if p[compare::field::FORENAME] == 1 { adj[0] } else { 0.0 } + if p[compare::field::SURNAME] == 1 { adj[1] } else { 0.0 };
    (w.pattern(p) as f32) + extra
}

/// Clusters scored pairs `(a, b, weight)` of `rows` as [`link`] does: strongest first under the
/// model's veto (pairs of equal weight in the order of the rows' ranks, `order`, from
/// [`record_order`]), then the second pass on shared associates. `fixed` are pairs of rows already
/// known to be one person that are present only as associates (an update re-clusters some
/// persons and needs the others' rows of the same reports): they are joined first, without
/// checks, and no pair in `scored` may touch them. Returns the clustering and the joins the
/// second pass made.
pub fn cluster_scored(
    rows: &[Involvement],
    order: &[u32],
    feats: &[normalise::Features],
    scored: &[(u32, u32, f32)],
    model: &Model,
    fixed: &[(u32, u32)],
) -> (cluster::Clustering, u64) {
    let w = model.weights();
    let veto = cluster::Veto::from_weights(&w, model.veto_weight);
    let mut clusterer = cluster::Clusterer::new(feats, &veto).ordered_by(order.to_vec());
    for &(a, b) in fixed {
        clusterer.join_unchecked(a, b);
    }
    clusterer.add(scored, model.threshold_weight);
    let boosted = shared_associates(rows, feats, scored, &mut clusterer, model.threshold_weight);
    let joined = clusterer.add(&boosted, model.threshold_weight);
    (clusterer.finish(), joined)
}

/// Each row's place when the rows are ordered by what they are, not where they sit: by a hash
/// of force and record id, then by force and record id themselves (the hash only spreads them;
/// equal keys, which a reader refuses, keep their positions). Ties between pairs of equal
/// weight are broken in this order, so the same rows in any order, in one file or sent in
/// several exports, cluster alike.
pub fn record_order(rows: &[Involvement]) -> Vec<u32> {
    let key = |r: &Involvement| xxhash_rust::xxh3::xxh3_64_with_seed(r.record_id.as_bytes(), u64::from(r.force.id()));
    let mut by: Vec<(u64, u32)> = rows.par_iter().enumerate().map(|(i, r)| (key(r), i as u32)).collect();
    by.par_sort_unstable();
    // Rows of one hash (different keys, or a key given twice) in the order of their keys.
    let mut at = 0;
    while at < by.len() {
        let end = at + by[at..].iter().take_while(|x| x.0 == by[at].0).count();
        if end - at > 1 {
            by[at..end].sort_by(|x, y| {
                let (p, q) = (&rows[x.1 as usize], &rows[y.1 as usize]);
                (p.force.id(), p.record_id.as_str(), x.1).cmp(&(q.force.id(), q.record_id.as_str(), y.1))
            });
        }
        at = end;
    }
    let mut rank = vec![0u32; rows.len()];
    for (k, &(_, i)) in by.iter().enumerate() {
        rank[i as usize] = k as u32;
    }
    rank
}

/// The record at each rank: the inverse of `order` (each record's rank, as [`record_order`]
/// gives), for drawing records by rank and taking pairs in rank order.
///
/// # Panics
///
/// When `order` is not a permutation of `0..n`.
pub(crate) fn records_by_rank(order: &[u32]) -> Vec<u32> {
    let mut at = vec![u32::MAX; order.len()];
    for (i, &r) in order.iter().enumerate() {
        assert!(at.get(r as usize) == Some(&u32::MAX), "ranks are places 0..n, each once");
        at[r as usize] = i as u32;
    }
    at
}

/// The second pass's evidence: candidate pairs below the threshold, of one force but not one
/// report, whose names
/// agree (forename and surname each exact, nickname/alias or one keying error apart), and whose
/// records are each involved in a report with one same other person (as the first pass
/// grouped them), with [`SHARED_ASSOCIATE_WEIGHT`] added. Records with nothing identifying
/// are nobody's associate.
fn shared_associates(
    rows: &[Involvement],
    feats: &[normalise::Features],
    scored: &[(u32, u32, f32)],
    c: &mut cluster::Clusterer,
    threshold: f64,
) -> Vec<(u32, u32, f32)> {
    use crate::fasthash::FxHashMap;
    let lift = SHARED_ASSOCIATE_WEIGHT as f32;
    // Forename: exact, nickname or alias, one keying error; surname: exact, one keying error.
    let close = |l: u8, most: u8| (1..=most).contains(&l);
    let wanted: Vec<(u32, u32, f32)> = scored
        .par_iter()
        .copied()
        .filter(|&(a, b, w)| {
            let (fa, fb) = (&feats[a as usize], &feats[b as usize]);
            // Two rows of one report are two people (the associate would be shared trivially).
            let same_report = rows[a as usize].incident_ref == rows[b as usize].incident_ref;
            f64::from(w) < threshold && f64::from(w + lift) >= threshold && fa.force == fb.force && !same_report && {
                let p = compare::compare_personal(fa, fb);
                close(p[compare::field::FORENAME], 3) && close(p[compare::field::SURNAME], 2)
            }
        })
        .collect();
    if wanted.is_empty() {
        return wanted;
    }
    // The records of each report a wanted pair's record is in, in row order: only those
    // reports are read below. The rows of those reports are found on every core (before, a
    // map of every report was built on one: 0.6 s at the 1M world, for a few thousand used).
    let key = |i: usize| (feats[i].force, rows[i].incident_ref.as_str());
    let needed: crate::fasthash::FxHashSet<(u8, &str)> = wanted.iter().flat_map(|&(a, b, _)| [key(a as usize), key(b as usize)]).collect();
    let members: Vec<u32> =
        (0..rows.len()).into_par_iter().filter(|&i| feats[i].identifying && needed.contains(&key(i))).map(|i| i as u32).collect();
    let mut reports: FxHashMap<(u8, &str), Vec<u32>> = FxHashMap::default();
    for i in members {
        reports.entry(key(i as usize)).or_default().push(i);
    }
    let associates = |c: &mut cluster::Clusterer, x: u32| -> Vec<u32> {
        let key = (feats[x as usize].force, rows[x as usize].incident_ref.as_str());
        let mine = c.group(x);
        let mut v: Vec<u32> =
            reports.get(&key).map(|rs| rs.iter().map(|&y| c.group(y)).filter(|&g| g != mine).collect()).unwrap_or_default();
        v.sort_unstable();
        v.dedup();
        v
    };
    wanted
        .into_iter()
        .filter(|&(a, b, _)| {
            let (ga, gb) = (c.group(a), c.group(b));
            if ga == gb {
                return false;
            }
            let (xa, xb) = (associates(c, a), associates(c, b));
            xa.iter().any(|g| *g != gb && xb.binary_search(g).is_ok() && *g != ga)
        })
        .map(|(a, b, w)| (a, b, w + lift))
        .collect()
}

/// Normalised features and term frequencies for a set of rows, as [`link`] computes them
/// (for explaining pairs).
pub fn features(rows: &[Involvement]) -> (Vec<normalise::Features>, TermFrequencies) {
    let (feats, _) = normalise::normalise_all(rows, &Nicknames::builtin());
    let tf = TermFrequencies::count(&feats);
    (feats, tf)
}

impl LinkStats {
    /// A human-readable summary (for stderr).
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "rows: {} ({} without identifying fields, left as singletons)", self.rows, self.rows_without_identifiers);
        if !self.model_used.is_empty() {
            let _ = writeln!(s, "model: {}", self.model_used);
        }
        for w in &self.model_warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        if !self.field_warnings.counts.is_empty() {
            let w: Vec<String> = self.field_warnings.counts.iter().map(|(f, n)| format!("{f} {n}")).collect();
            let _ = writeln!(s, "unusable values kept as missing: {}", w.join(", "));
        }
        let _ = writeln!(s, "candidate pairs: {}", self.candidate_pairs);
        for r in &self.rules {
            let _ = write!(s, "  {:<56} {:>10} pairs from {:>9} blocks", r.name, r.pairs, r.blocks);
            if r.oversized_blocks > 0 {
                let _ = write!(s, "; {} oversized blocks ({} records) split", r.oversized_blocks, r.oversized_records);
            }
            s.push('\n');
        }
        let _ = writeln!(s, "pairs at or above threshold: {}", self.pairs_above_threshold);
        for ((field, level), n) in &self.refused_by_reason {
            let _ = writeln!(s, "  joins refused ({field}: {level}): {n}");
        }
        if self.joined_by_shared_associate > 0 {
            let _ = writeln!(s, "joins on a shared associate (second pass): {}", self.joined_by_shared_associate);
        }
        let _ = writeln!(s, "persons: {} ({} with more than one record)", self.persons, self.persons_with_several_records);
        let total: Duration = self.stages.iter().map(|x| x.1).sum();
        let t: Vec<String> = self.stages.iter().map(|(n, d)| format!("{n} {:.2}s", d.as_secs_f64())).collect();
        let _ = writeln!(s, "time: {} (total {:.2}s)", t.join(", "), total.as_secs_f64());
        s
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::compare::tests::person;

    /// Shuffles `v` in place by a permutation drawn from `seed` (Fisher-Yates over a small
    /// linear congruential generator), for the tests that the order of records changes nothing.
    pub(crate) fn shuffle<T>(v: &mut [T], seed: u64) {
        let mut x = seed;
        for i in (1..v.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            v.swap(i, ((x >> 33) % (i as u64 + 1)) as usize);
        }
    }

    fn rows() -> Vec<Involvement> {
        let mut v = Vec::new();
        for (f, s, d) in [
            ("Robert", "Smith", "1980-01-02"),
            ("Bob", "Smith", "1980-01-02"),
            ("Robert", "Smyth", "1980-02-01"),
            ("Alice", "Jones", "1975-05-06"),
            ("Alice", "Jones", "1975-05-06"),
            ("", "", ""),
        ] {
            let mut r = person(f, s, d);
            r.record_id = format!("R{}", v.len()).into();
            v.push(r);
        }
        v
    }

    /// The ranks are a permutation, and follow the records, not their positions: the same
    /// records in any order rank alike (a key given twice keeps its rows' order).
    #[test]
    fn records_rank_by_what_they_are_in_any_order() {
        let kent = conduct_domain::Force::resolve("Kent").unwrap();
        let met = conduct_domain::Force::resolve("Metropolitan Police").unwrap();
        let mut rows: Vec<Involvement> = (0..300)
            .map(|i| Involvement::new(&format!("R{}", i % 150), if i < 150 { kent } else { met }, "X", conduct_domain::Role::Victim))
            .collect();
        let key = |r: &Involvement| (r.force.id(), r.record_id.to_string());
        let ranked = |rows: &[Involvement]| -> std::collections::BTreeMap<(u8, String), u32> {
            let rank = record_order(rows);
            let mut seen = rank.clone();
            seen.sort_unstable();
            assert!(seen.iter().copied().eq(0..rows.len() as u32), "a permutation");
            rows.iter().zip(rank).map(|(r, k)| (key(r), k)).collect()
        };
        let first = ranked(&rows);
        assert_eq!(first.len(), 300);
        for seed in 1..20u64 {
            shuffle(&mut rows, seed);
            assert_eq!(ranked(&rows), first, "order {seed}");
        }
    }

    #[test]
    fn link_is_deterministic_and_covers_every_row() {
        let rows = rows();
        let a = link(&rows, &LinkOptions::default()).unwrap();
        let b = link(&rows, &LinkOptions::default()).unwrap();
        assert_eq!(a.person, b.person);
        assert_eq!(a.pairs, b.pairs);
        assert_eq!(a.model, b.model);
        assert_eq!(a.person.len(), rows.len());
        assert_eq!(a.stats.rows_without_identifiers, 1);
        // The record with nothing identifying is its own person.
        let last = *a.person.last().unwrap();
        assert_eq!(a.person.iter().filter(|&&p| p == last).count(), 1);
    }

    #[test]
    fn small_files_use_the_default_model_and_say_so() {
        let rows = rows();
        let a = link(&rows, &LinkOptions::default()).unwrap();
        assert_eq!(a.model.notes.source, "default");
        assert!(a.model.notes.reason.contains("6 rows, fewer than 1000"), "{}", a.model.notes.reason);
        assert!(a.stats.to_text().contains("model: default model shipped with Conduct"), "{}", a.stats.to_text());
        // Robert/Bob Smith (same date of birth) are one person; Alice Jones's two records another.
        assert_eq!(a.person[0], a.person[1]);
        assert_eq!(a.person[3], a.person[4]);
        assert_ne!(a.person[0], a.person[3]);
        let fitted = link(&rows, &LinkOptions { default_when_too_small: false, ..LinkOptions::default() }).unwrap();
        assert_eq!(fitted.model.notes.source, "fitted");
        let given = link(&rows, &LinkOptions { model: Some(a.model.clone()), ..LinkOptions::default() }).unwrap();
        assert_eq!(given.model.notes.source, "given");
        assert_eq!(given.person, a.person);
        assert!(too_small_to_fit(5_000, &[60.0, 60.0, 10.0]).is_some());
        assert!(too_small_to_fit(5_000, &[60.0, 60.0, 50.0]).is_none());
    }

    #[test]
    fn an_undated_record_joins_through_a_shared_associate() {
        // Three reports of one victim against one suspect; in the third her date of birth is
        // missing. In a large file "same name" alone would not reach the threshold: the
        // threshold is raised here to stand for that.
        let mut v = Vec::new();
        for (k, (f, s, d, inc)) in [
            ("Harriet", "Okonkwo-Lund", "1988-03-14", "I1"),
            ("Darren", "Whitcombe", "1984-11-02", "I1"),
            ("Harriet", "Okonkwo-Lund", "1988-03-14", "I2"),
            ("Darren", "Whitcombe", "1984-11-02", "I2"),
            ("Harriet", "Okonkwo-Lund", "", "I3"),
            ("Darren", "Whitcombe", "1984-11-02", "I3"),
            ("Harriet", "Okonkwo-Lund", "", "I4"),
            ("Gary", "Price", "1961-04-09", "I4"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut r = person(f, s, d);
            r.record_id = format!("R{k}").into();
            r.incident_ref = inc.into();
            v.push(r);
        }
        let plain = link(&v, &LinkOptions::default()).unwrap();
        let w = plain.pairs.iter().find(|p| (p.a, p.b) == (0, 4)).unwrap().weight;
        let options = LinkOptions { threshold_weight: f64::from(w) + 1.0, ..LinkOptions::default() };
        let a = link(&v, &options).unwrap();
        assert_eq!(a.person[0], a.person[2], "dated records join on their own");
        assert_eq!(a.person[0], a.person[4], "the undated one shares Darren");
        assert_ne!(a.person[0], a.person[6], "the undated one in a report with someone else does not");
        assert!(a.stats.joined_by_shared_associate >= 1);
    }

    #[test]
    fn bad_options_are_refused() {
        let options = LinkOptions { max_block_size: 1, ..LinkOptions::default() };
        assert!(link(&rows(), &options).is_err());
    }
}

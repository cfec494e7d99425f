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

use conduct_ingest::Involvement;
use rayon::prelude::*;

pub use error::{ErrorKind, ResolveError};
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
        }
    }
}

/// The default join threshold (match weight, bits).
pub const DEFAULT_THRESHOLD_WEIGHT: f64 = 5.0;

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
    /// Wall time per stage.
    pub stages: Vec<(&'static str, Duration)>,
}

/// The result of linking.
#[derive(Clone, Debug)]
pub struct Linkage {
    /// Person number per input row, in input order (0-based, numbered by first row).
    pub person: Vec<u32>,
    /// Scored candidate pairs (those at or above `keep_pairs_from_weight`).
    pub pairs: Vec<ScoredPair>,
    /// The model used.
    pub model: Model,
    /// Counts and timings.
    pub stats: LinkStats,
}

/// The printable id of person number `n` (`P0000001` for 0).
pub fn person_id(n: u32) -> String {
    format!("P{:07}", u64::from(n) + 1)
}

/// Links `rows`: which rows are the same person.
pub fn link(rows: &[Involvement], options: &LinkOptions) -> Result<Linkage, ResolveError> {
    if options.max_block_size < 2 {
        return Err(ResolveError::new(ErrorKind::BadOptions("max block size must be at least 2".into()), ""));
    }
    if let Some(m) = &options.model {
        m.check()?;
    }
    let mut stats = LinkStats { rows: rows.len() as u64, ..Default::default() };
    let mut clock = Instant::now();
    let mut lap = |stats: &mut LinkStats, name: &'static str| {
        stats.stages.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    let nicknames = Nicknames::builtin();
    let (feats, warnings) = normalise::normalise_all(rows, &nicknames);
    stats.field_warnings = warnings;
    stats.rows_without_identifiers = feats.iter().filter(|f| !f.identifying).count() as u64;
    let tf = TermFrequencies::count(&feats);
    lap(&mut stats, "normalise");

    let mut blocking = block::block(&feats, RULES, options.max_block_size);
    stats.rules = std::mem::take(&mut blocking.rules);
    stats.candidate_pairs = blocking.pairs.len() as u64;
    lap(&mut stats, "block");

    let patterns = model::patterns(&feats, &blocking);
    let pairs = std::mem::take(&mut blocking.pairs);
    drop(blocking);
    lap(&mut stats, "compare");

    let model = match &options.model {
        Some(m) => m.clone(),
        None => {
            let (u, drawn) = model::estimate_u(&feats, options.random_pairs, options.seed);
            let counts = model::pattern_counts(&patterns);
            let n = feats.len() as f64;
            let mut m = model::fit(&counts, RULES, &u, n * (n - 1.0) / 2.0, options.em_iterations, options.threshold_weight);
            m.notes.random_pairs = drawn;
            m.notes.seed = options.seed;
            m.veto_weight = options.veto_weight;
            m.notes.given_names_pairs = model::estimate_u_given_names(&mut m, &feats, model::GIVEN_NAMES_SAMPLE.min(options.random_pairs), options.seed);
            m
        }
    };
    lap(&mut stats, "estimate");

    let w = model.weights();
    // Term-frequency adjustments per record, looked up once rather than once per pair.
    let tf_adjust: Vec<[f32; 2]> = feats
        .par_iter()
        .map(|f| [tf.adjustment(0, f.forename_h, &w) as f32, tf.adjustment(1, f.surname_h, &w) as f32])
        .collect();
    let scored: Vec<(u32, u32, f32)> = pairs
        .par_iter()
        .zip(patterns.par_iter())
        .map(|(&(a, b), &p)| {
            let p = unpack(p);
            let weight = w.pattern(&p);
            let adj = tf_adjust[a as usize];
            let extra = if p[compare::field::FORENAME] == 1 { adj[0] } else { 0.0 } + if p[compare::field::SURNAME] == 1 { adj[1] } else { 0.0 };
            (a, b, (weight as f32) + extra)
        })
        .collect();
    drop(patterns);
    drop(pairs);
    stats.pairs_above_threshold = scored.iter().filter(|p| f64::from(p.2) >= model.threshold_weight).count() as u64;
    lap(&mut stats, "score");

    let veto = cluster::Veto::from_weights(&w, model.veto_weight);
    let clustering = cluster::cluster(&feats, &scored, model.threshold_weight, &veto);
    stats.refused_by_reason = clustering.refused_by_reason.clone();
    stats.persons = clustering.persons as u64;
    let mut sizes = vec![0u32; clustering.persons];
    for &p in &clustering.person {
        sizes[p as usize] += 1;
    }
    stats.persons_with_several_records = sizes.iter().filter(|&&s| s > 1).count() as u64;
    lap(&mut stats, "cluster");

    let keep = options.keep_pairs_from_weight;
    let pairs = scored
        .into_iter()
        .filter(|p| f64::from(p.2) >= keep)
        .map(|(a, b, weight)| ScoredPair { a, b, weight })
        .collect();
    Ok(Linkage { person: clustering.person, pairs, model, stats })
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
        let _ = writeln!(s, "persons: {} ({} with more than one record)", self.persons, self.persons_with_several_records);
        let total: Duration = self.stages.iter().map(|x| x.1).sum();
        let t: Vec<String> = self.stages.iter().map(|(n, d)| format!("{n} {:.2}s", d.as_secs_f64())).collect();
        let _ = writeln!(s, "time: {} (total {:.2}s)", t.join(", "), total.as_secs_f64());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::person;

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
            r.record_id = format!("R{}", v.len());
            v.push(r);
        }
        v
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
    fn bad_options_are_refused() {
        let options = LinkOptions { max_block_size: 1, ..LinkOptions::default() };
        assert!(link(&rows(), &options).is_err());
    }
}

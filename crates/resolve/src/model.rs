//! The Fellegi–Sunter model: for every comparison level, m (how often true matches show it)
//! and u (how often non-matches do), plus λ, the prior probability that two records drawn at
//! random are the same person. A pair's match weight is `log2(λ/(1-λ)) + Σ log2(m/u)`, with
//! missing values contributing nothing.
//!
//! Estimation: u from random record pairs drawn with a fixed seed (almost all non-matches);
//! m by expectation–maximisation over the blocked candidate pairs (grouped into distinct level
//! patterns, so EM costs the same for a thousand pairs or fifty million), with the non-match
//! class free during EM so that blocking's own agreement is not mistaken for evidence; λ from
//! the EM match share scaled from the blocked pairs to all pairs. Term frequencies adjust exact
//! forename and surname agreement: agreeing on "Smith" counts less than on a rare surname.

use crate::fasthash::FxHashMap as HashMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::block::{Blocking, BlockingRule};
use crate::compare::{COMPARISONS, N_COMPARISONS, Pattern, compare, field, pack, unpack};
use crate::error::{Error, ErrorKind};
use crate::normalise::Features;

/// m and u of one level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelModel {
    /// The level's label.
    pub label: String,
    /// P(level | same person).
    pub m: f64,
    /// P(level | different people).
    pub u: f64,
    /// P(level | different people who agree exactly on both names), for the comparisons in
    /// [`NAME_DEPENDENT`] when the data allowed estimating it (see [`estimate_u_given_names`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub u_given_names: Option<f64>,
}

/// The levels of one comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparisonModel {
    /// The comparison's name.
    pub name: String,
    /// Levels, strongest first (level 0, missing, is implicit and weighs nothing).
    pub levels: Vec<LevelModel>,
}

/// A fitted (or loaded) model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// Format version.
    pub version: u32,
    /// Prior probability that two random records are the same person.
    pub lambda: f64,
    /// Per comparison, in engine order.
    pub comparisons: Vec<ComparisonModel>,
    /// Match weight at or above which a pair may join two records into one person.
    pub threshold_weight: f64,
    /// Level weight at or below which a personal comparison vetoes a join (see `cluster`).
    #[serde(default = "default_veto")]
    pub veto_weight: f64,
    /// How the model was obtained, for the record.
    pub notes: ModelNotes,
}

fn default_veto() -> f64 {
    crate::cluster::VETO_WEIGHT
}

/// How a model was estimated.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelNotes {
    /// Random pairs drawn for u.
    pub random_pairs: u64,
    /// Seed of the random pairs.
    pub seed: u64,
    /// Blocked pairs EM ran over.
    pub em_pairs: u64,
    /// Distinct level patterns among them.
    pub em_patterns: u64,
    /// EM iterations run.
    pub em_iterations: u32,
    /// Share of blocked pairs EM judged matches.
    pub em_match_share: f64,
    /// Pairs of different people with the same names that the name-dependent u came from
    /// (0: not estimated).
    #[serde(default)]
    pub given_names_pairs: u64,
    /// Where the model came from: `fitted` (estimated on the file it linked), `default` (the
    /// model shipped with Conduct, for a file too small to fit one) or `given` (`--model`).
    /// Empty in models written before this was recorded.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// Why the default model was used (empty otherwise).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Records the model was estimated on (0: not recorded). λ of the default model is rescaled
    /// from this many records to the file's.
    #[serde(default)]
    pub rows: u64,
    /// EM runs (one per blocking rule with enough pairs to train on).
    #[serde(default)]
    pub em_runs: u32,
    /// EM runs that reached the iteration cap without converging (reported, not silent).
    #[serde(default)]
    pub em_runs_not_converged: u32,
    /// Whether the EM fit of λ converged before the iteration cap.
    #[serde(default = "yes")]
    pub lambda_converged: bool,
    /// Persons the linkage found in the records the model was estimated on (set on the shipped
    /// model; 0: not recorded).
    #[serde(default)]
    pub persons: u64,
    /// The default model's version (set on the shipped model; 0 otherwise).
    #[serde(default)]
    pub default_version: u32,
    /// What the default model was trained on (set on the shipped model).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub trained_on: String,
}

fn yes() -> bool {
    true
}

/// The largest λ the default model is rescaled to (a prior of about −6.6 bits): in a file of a
/// few dozen rows a larger prior would let a shared surname alone join two records.
pub const DEFAULT_LAMBDA_CAP: f64 = 0.01;

/// The default model shipped with Conduct, used for files too small to fit one (see
/// `crates/resolve/DESIGN.md`, "Small files"). Written by `crates/resolve/model/train.sh`.
pub const DEFAULT_MODEL_JSON: &str = include_str!("../model/default-model.json");

impl Model {
    /// The shipped default model, as trained (λ for its training world's size).
    pub fn builtin_default() -> Model {
        let m: Model = serde_json::from_str(DEFAULT_MODEL_JSON).expect("the shipped default model parses");
        m.check().expect("the shipped default model matches this engine");
        m
    }

    /// The default model for a file of `rows` records, with λ for that size: the chance that
    /// another record is of the same person as a given record, for a person with the training
    /// world's records per person (`r = rows_train/persons_train`): `λ' = (r − 1)/(n − 1)`.
    /// λ is the chance that two records drawn at random are one person, and in a file of a few
    /// hundred rows that chance is far higher than among a million; a typical person's
    /// records, rather than all the training world's matching pairs, because those are swollen
    /// by its few most prolific people. Capped at [`DEFAULT_LAMBDA_CAP`]. (A model without
    /// `persons` keeps the matching pairs per record instead.)
    pub fn default_for(rows: usize) -> Model {
        let mut m = Model::builtin_default();
        if rows > 1 && m.notes.persons > 0 && m.notes.rows > m.notes.persons {
            let per_person = m.notes.rows as f64 / m.notes.persons as f64;
            m.lambda = ((per_person - 1.0) / (rows as f64 - 1.0)).clamp(1e-12, DEFAULT_LAMBDA_CAP);
        } else if rows > 1 && m.notes.rows > 1 {
            m.lambda = (m.lambda * (m.notes.rows as f64 - 1.0) / (rows as f64 - 1.0)).clamp(1e-12, DEFAULT_LAMBDA_CAP);
        }
        m
    }
}

/// Weights ready for scoring: `log2(m/u)` per comparison and level (level 0 is 0).
#[derive(Clone, Debug)]
pub struct Weights {
    /// `log2(λ/(1-λ))`.
    pub prior: f64,
    /// Per comparison, per level (index 0 = missing).
    pub level: [[f64; 8]; N_COMPARISONS],
    /// Per comparison, per level, for pairs agreeing exactly on both names: `log2(m/u)` with
    /// the u estimated among such pairs where the model has it, else as [`Weights::level`].
    pub given_names: [[f64; 8]; N_COMPARISONS],
    /// u of the exact level of forename and surname, for term-frequency adjustment.
    pub u_exact: [f64; 2],
}

/// Whether a pattern agrees exactly on both forename and surname (so that the name-dependent
/// weights apply).
pub fn names_agree(p: &Pattern) -> bool {
    p[field::FORENAME] == 1 && p[field::SURNAME] == 1
}

impl Weights {
    /// The weight of comparison `k` at the level `p` shows, given the rest of the pattern.
    pub fn of(&self, p: &Pattern, k: usize) -> f64 {
        let table = if names_agree(p) { &self.given_names } else { &self.level };
        table[k][p[k] as usize]
    }

    /// Prior plus every comparison's weight (no term-frequency adjustment).
    pub fn pattern(&self, p: &Pattern) -> f64 {
        let table = if names_agree(p) { &self.given_names } else { &self.level };
        let mut total = self.prior;
        for (k, &l) in p.iter().enumerate() {
            total += table[k][l as usize];
        }
        total
    }
}

impl Model {
    /// The model made from the comparisons' priors (m) and flat u; a starting point only.
    pub fn prior(threshold_weight: f64) -> Model {
        let comparisons = COMPARISONS
            .iter()
            .map(|c| ComparisonModel {
                name: c.name.to_string(),
                levels: c
                    .levels
                    .iter()
                    .zip(c.m_prior)
                    .map(|(l, &m)| LevelModel { label: (*l).to_string(), m, u: 1.0 / c.levels.len() as f64, u_given_names: None })
                    .collect(),
            })
            .collect();
        Model { version: 1, lambda: 1e-4, comparisons, threshold_weight, veto_weight: default_veto(), notes: ModelNotes::default() }
    }

    /// Checks that the model's comparisons and levels are this engine's.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::ModelMismatch`] naming the first comparison, level count or probability
    /// that does not fit.
    pub fn check(&self) -> Result<(), Error> {
        let mismatch = |s: String| Err(Error::new(ErrorKind::ModelMismatch(s), ""));
        if self.comparisons.len() != N_COMPARISONS {
            return mismatch(format!("{} comparisons, expected {N_COMPARISONS}", self.comparisons.len()));
        }
        for (c, spec) in self.comparisons.iter().zip(COMPARISONS.iter()) {
            if c.name != spec.name || c.levels.len() != spec.levels.len() {
                return mismatch(format!("comparison {:?} does not match {:?} with {} levels", c.name, spec.name, spec.levels.len()));
            }
            let unit = |x: f64| x > 0.0 && x.is_finite();
            if c.levels.iter().any(|l| !(unit(l.m) && unit(l.u) && l.u_given_names.is_none_or(unit))) {
                return mismatch(format!("comparison {:?} has m or u not in (0, 1]", c.name));
            }
        }
        if !(self.lambda > 0.0 && self.lambda < 1.0) {
            return mismatch("lambda must be in (0, 1)".into());
        }
        Ok(())
    }

    /// The weights for scoring.
    pub fn weights(&self) -> Weights {
        let mut level = [[0.0; 8]; N_COMPARISONS];
        let mut given_names = [[0.0; 8]; N_COMPARISONS];
        for (c, cm) in self.comparisons.iter().enumerate() {
            for (l, lm) in cm.levels.iter().enumerate() {
                level[c][l + 1] = (lm.m / lm.u).log2();
                given_names[c][l + 1] = (lm.m / lm.u_given_names.unwrap_or(lm.u)).log2();
            }
        }
        Weights {
            prior: (self.lambda / (1.0 - self.lambda)).log2(),
            level,
            given_names,
            u_exact: [self.comparisons[field::FORENAME].levels[0].u, self.comparisons[field::SURNAME].levels[0].u],
        }
    }

    /// Writes the model as pretty JSON.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the file cannot be written (with its path).
    pub fn save(&self, path: &std::path::Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self).map_err(|e| Error::new(ErrorKind::ModelFormat(e), path.display().to_string()))?;
        std::fs::write(path, text).map_err(|e| Error::new(ErrorKind::Io(e), path.display().to_string()))
    }

    /// Reads and checks a model written by [`Model::save`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the file cannot be read, [`ErrorKind::ModelFormat`] when it is not
    /// a model's JSON, [`ErrorKind::ModelMismatch`] when it is another engine's model; each with
    /// the path.
    pub fn load(path: &std::path::Path) -> Result<Model, Error> {
        let ctx = || path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::new(ErrorKind::Io(e), ctx()))?;
        let model: Model = serde_json::from_str(&text).map_err(|e| Error::new(ErrorKind::ModelFormat(e), ctx()))?;
        model.check().map_err(|e| e.about(ctx()))?;
        Ok(model)
    }
}

/// Term frequencies of forenames and surnames, turned into per-record weight adjustments
/// for exact agreement: `log2(u_exact / tf(value))`, clamped to ±[`TF_CLAMP`].
#[derive(Clone, Debug, Default)]
pub struct TermFrequencies {
    forename: HashMap<u64, f64>,
    surname: HashMap<u64, f64>,
}

/// The largest term-frequency adjustment, either way, in bits.
pub const TF_CLAMP: f64 = 6.0;

/// How many people's worth of weight the reference frequency carries when a file's own name
/// frequencies are shrunk toward it (see [`TermFrequencies::count`]).
pub const TF_PRIOR_PEOPLE: f64 = 500.0;

impl TermFrequencies {
    /// Counts values over the file's *people*, not its records, shrunk toward a reference.
    ///
    /// People: records are first collapsed on exact identity (forename, surname and date of
    /// birth; a record without a date of birth collapses into a same-named identity that has
    /// one), so a victim who reported forty times counts once, as she would in a register of
    /// names. Shrinkage: a value held by `c` of the `N` identities gets frequency
    /// `min(c/N, (c + K·r) / (N + K))` with `K` = [`TF_PRIOR_PEOPLE`] and `r` the reference
    /// frequency, and never above the value's frequency over records (counting people only
    /// takes away the weight of a person's own repeated records):
    /// the shipped default model's u of exact agreement on that field, i.e. how often two
    /// different people in a large population share a forename (surname) — the frequency of
    /// a typical name, whose adjustment is 0. A file of a hundred people cannot move a name
    /// far from typical; a file of a million people speaks for itself.
    pub fn count(feats: &[Features]) -> TermFrequencies {
        let reference = reference_frequencies();
        // Identities: (forename, surname, dob) with a date of birth; then same-named records
        // without one, once per name, only when no identity of that name has a date of birth.
        let mut keys: Vec<(u64, u64, u32, u32)> = feats
            .iter()
            .filter(|f| f.forename_h != 0 || f.surname_h != 0)
            .map(|f| (f.forename_h, f.surname_h, f.dob.year as u32, (u32::from(f.dob.month) << 8) | u32::from(f.dob.day)))
            .collect();
        keys.par_sort_unstable();
        keys.dedup();
        let mut people: Vec<(u64, u64)> = Vec::with_capacity(keys.len());
        let mut i = 0;
        while i < keys.len() {
            let mut j = i;
            while j < keys.len() && (keys[j].0, keys[j].1) == (keys[i].0, keys[i].1) {
                j += 1;
            }
            // Sorted by year, so an undated record (year 0) comes first in its name's run.
            let dated = keys[i..j].iter().filter(|k| k.2 != 0).count();
            let n = if dated > 0 { dated } else { 1 };
            people.extend(std::iter::repeat_n((keys[i].0, keys[i].1), n));
            i = j;
        }
        // Per value: (records, people) holding it; the totals of each.
        let tally = |which: usize, r: f64| {
            let get = |f: (u64, u64)| if which == 0 { f.0 } else { f.1 };
            let mut m: HashMap<u64, (f64, f64)> = HashMap::default();
            let (mut records, mut persons) = (0.0, 0.0);
            for f in feats {
                let h = get((f.forename_h, f.surname_h));
                if h != 0 {
                    m.entry(h).or_insert((0.0, 0.0)).0 += 1.0;
                    records += 1.0;
                }
            }
            for &p in &people {
                let h = get(p);
                if h != 0 {
                    m.entry(h).or_insert((0.0, 0.0)).1 += 1.0;
                    persons += 1.0;
                }
            }
            m.into_iter().map(|(h, (cr, cp))| (h, shrunk_frequency(cr, cp, records, persons, r))).collect::<HashMap<u64, f64>>()
        };
        TermFrequencies { forename: tally(0, reference[0]), surname: tally(1, reference[1]) }
    }

    /// The adjustment (bits) for exact forename (`which` 0) or surname (1) agreement on `h`.
    /// The value's frequency is the larger of its frequencies as a forename and as a surname,
    /// so a swapped "Li Tuan" / "Tuan Li" is not credited for "Li" being a rare forename.
    pub fn adjustment(&self, which: usize, h: u64, w: &Weights) -> f64 {
        let tf = self.frequency(0, h).max(self.frequency(1, h));
        if tf > 0.0 { (w.u_exact[which] / tf).log2().clamp(-TF_CLAMP, TF_CLAMP) } else { 0.0 }
    }

    /// Every (which, hash, frequency): forenames are `which` 0, surnames 1. For keeping the
    /// table beside a published linkage, so that explanations can be given later.
    pub fn entries(&self) -> impl Iterator<Item = (usize, u64, f64)> + '_ {
        let f = self.forename.iter().map(|(&h, &v)| (0, h, v));
        f.chain(self.surname.iter().map(|(&h, &v)| (1, h, v)))
    }

    /// A table from [`TermFrequencies::entries`] (or a subset of them).
    pub fn from_entries(entries: impl IntoIterator<Item = (usize, u64, f64)>) -> TermFrequencies {
        let mut t = TermFrequencies { forename: HashMap::default(), surname: HashMap::default() };
        for (which, h, v) in entries {
            if which == 0 {
                t.forename.insert(h, v)
            } else {
                t.surname.insert(h, v)
            };
        }
        t
    }

    /// The frequency of a forename (`which` 0) or surname (1) hash.
    pub fn frequency(&self, which: usize, h: u64) -> f64 {
        let table = if which == 0 { &self.forename } else { &self.surname };
        table.get(&h).copied().unwrap_or(0.0)
    }
}

/// The frequency [`TermFrequencies::count`] gives a value held by `records_with` of `records`
/// records and `people_with` of `people` people, `reference` being the typical name's
/// frequency: the people's frequency, shrunk toward the reference; never above the records'
/// own frequency (counting people only removes a person's own repeats) nor the people's (a
/// file may show a name rare; only many people show it common). An update keeps these counts
/// and asks this for the same frequency a full count gives.
pub fn shrunk_frequency(records_with: f64, people_with: f64, records: f64, people: f64, reference: f64) -> f64 {
    let people_f = people_with / people;
    let shrunk = (people_with + TF_PRIOR_PEOPLE * reference) / (people + TF_PRIOR_PEOPLE);
    (records_with / records).min(people_f).min(shrunk)
}

/// The reference frequencies of forenames and surnames: the shipped default model's u of exact
/// agreement (the chance that two different people share the value, i.e. the frequency of a
/// typical name in a large population).
pub fn reference_frequencies() -> [f64; 2] {
    static R: std::sync::OnceLock<[f64; 2]> = std::sync::OnceLock::new();
    *R.get_or_init(|| {
        let m = Model::builtin_default();
        [m.comparisons[field::FORENAME].levels[0].u, m.comparisons[field::SURNAME].levels[0].u]
    })
}

/// A small, fast, seedable generator (SplitMix64), so results do not depend on a crate's
/// stream changing between versions.
#[derive(Clone, Debug)]
pub struct SplitMix(u64);

impl SplitMix {
    /// A generator from a seed.
    pub fn new(seed: u64) -> SplitMix {
        SplitMix(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A generator whose state is `state` as given (its first output is the mix of
    /// `state` plus the golden-ratio step): for keyed seeds that are already random.
    pub fn from_state(state: u64) -> SplitMix {
        SplitMix(state)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
}

/// Level counts per comparison (index 0 counts missing).
type LevelCounts = [[f64; 8]; N_COMPARISONS];

/// Estimates u from `n` random pairs (fewer when there are not that many pairs), seeded.
/// The pairs are drawn as ranks (`order`, each record's rank, from [`crate::record_order`]),
/// not positions, so the same records in any order give the same u. Returns per comparison the
/// u of each level (level 0 excluded), smoothed so none is zero.
///
/// # Panics
///
/// When `order` does not give each record a distinct rank `0..n`.
pub fn estimate_u(feats: &[Features], order: &[u32], n: usize, seed: u64) -> (Vec<Vec<f64>>, u64) {
    assert_eq!(order.len(), feats.len(), "one rank per record");
    let len = feats.len() as u64;
    if len < 2 {
        return (COMPARISONS.iter().map(|c| vec![1.0 / c.levels.len() as f64; c.levels.len()]).collect(), 0);
    }
    let at = crate::records_by_rank(order);
    let all = len * (len - 1) / 2;
    let n = (n as u64).min(all);
    // Each pair the same way round, the lower rank first.
    let pair = |i: u64, j: u64| (at[i.min(j) as usize], at[i.max(j) as usize]);
    let pairs: Vec<(u32, u32)> = if n == all {
        (0..len).flat_map(|i| (i + 1..len).map(move |j| (i, j))).map(|(i, j)| pair(i, j)).collect()
    } else {
        let mut rng = SplitMix::new(seed);
        (0..n)
            .map(|_| {
                loop {
                    let i = rng.below(len);
                    let j = rng.below(len);
                    if i != j {
                        break pair(i, j);
                    }
                }
            })
            .collect()
    };
    let (counts, _) = count_levels(feats, pairs, |_| true);
    let u = COMPARISONS
        .iter()
        .enumerate()
        .map(|(k, spec)| (1..=spec.levels.len()).map(|l| smoothed(&counts[k], spec.levels.len(), l)).collect())
        .collect();
    (u, n)
}

/// Level counts over `pairs`, of the patterns `keep` accepts, and how many it accepted.
/// Counts do not depend on pair order: sorted, the first records are read in order; and they
/// are whole numbers, so the sums are exact whatever the split.
fn count_levels(feats: &[Features], mut pairs: Vec<(u32, u32)>, keep: impl Fn(&Pattern) -> bool + Sync) -> (LevelCounts, u64) {
    pairs.par_sort_unstable();
    pairs
        .par_chunks(1 << 14)
        .map(|chunk| {
            let mut c: LevelCounts = [[0.0; 8]; N_COMPARISONS];
            let mut kept = 0u64;
            for &(i, j) in chunk {
                let p = compare(&feats[i as usize], &feats[j as usize]);
                if keep(&p) {
                    kept += 1;
                    for (k, &l) in p.iter().enumerate() {
                        c[k][l as usize] += 1.0;
                    }
                }
            }
            (c, kept)
        })
        .reduce(
            || ([[0.0; 8]; N_COMPARISONS], 0),
            |(mut a, ka), (b, kb)| {
                for k in 0..N_COMPARISONS {
                    for l in 0..8 {
                        a[k][l] += b[k][l];
                    }
                }
                (a, ka + kb)
            },
        )
}

/// u of level `l` (1-based) of a comparison with `levels` levels, from its level counts: half a
/// pair of pseudo-count per level keeps unseen levels (exact identifiers) small but not zero.
fn smoothed(counts: &[f64; 8], levels: usize, l: usize) -> f64 {
    let present: f64 = counts[1..=levels].iter().sum();
    (counts[l] + 0.5) / (present + 0.5 * levels as f64)
}

/// Comparisons whose agreement depends on the names, so that "the names agree and so does
/// this" is weaker evidence than the product of the two: e-mail addresses and online handles
/// are often built from the name, and a household (a father and son of one name) shares a
/// phone. Their u is estimated a second time among pairs of different people who agree exactly
/// on both names ([`estimate_u_given_names`]).
pub const NAME_DEPENDENT: [usize; 3] = [field::PHONE, field::EMAIL, field::HANDLES];

/// Pairs drawn for [`estimate_u_given_names`] (a quarter of the default for u: only the
/// name-dependent comparisons are counted, and at 1M rows this yields ~12,000 pairs with an
/// e-mail on both sides).
pub const GIVEN_NAMES_SAMPLE: usize = 250_000;

/// Fewest sampled pairs with a comparison present on both sides for its conditional u to be
/// kept; with fewer, the ordinary u stands.
pub const MIN_GIVEN_NAMES_PAIRS: f64 = 200.0;

/// Estimates, for the comparisons in [`NAME_DEPENDENT`], u among different people who agree
/// exactly on forename and surname, and sets it on `model`'s levels (`u_given_names`).
///
/// The pairs: up to `n` drawn at random (seeded) from the pairs of records that share both
/// names and both have a date of birth; of them, those whose dates of birth are at the
/// "different" level stand for different people. That holds only where the fitted model says
/// true matches almost never show a different date of birth (its weight at or below the veto
/// weight), so nothing is estimated otherwise: in FEBRL, where clerical error changes whole
/// dates, "same names, different DOB" is mostly one person. The pairs are drawn by rank
/// (`order`, as [`estimate_u`] takes it), not by position. Returns the pairs used.
///
/// # Panics
///
/// When `order` does not give each record a rank.
pub fn estimate_u_given_names(model: &mut Model, feats: &[Features], order: &[u32], n: usize, seed: u64) -> u64 {
    assert_eq!(order.len(), feats.len(), "one rank per record");
    let w = model.weights();
    let different = COMPARISONS[field::DOB].levels.len();
    if w.level[field::DOB][different] > model.veto_weight {
        return 0;
    }
    // Records grouped by (forename, surname), each group in rank order.
    let mut keyed: Vec<(u64, u32, u32)> = feats
        .par_iter()
        .zip(order)
        .enumerate()
        .filter(|(_, (f, _))| f.forename_h != 0 && f.surname_h != 0 && f.dob.year != 0)
        .map(|(i, (f, &o))| (f.forename_h.rotate_left(17) ^ f.surname_h, o, i as u32))
        .collect();
    keyed.par_sort_unstable();
    // Groups of two or more, with the running count of pairs they hold.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut cumulative: Vec<u64> = Vec::new();
    let mut total = 0u64;
    let mut start = 0;
    while start < keyed.len() {
        let mut end = start + 1;
        while end < keyed.len() && keyed[end].0 == keyed[start].0 {
            end += 1;
        }
        let size = (end - start) as u64;
        if size >= 2 {
            total += size * (size - 1) / 2;
            groups.push((start, end));
            cumulative.push(total);
        }
        start = end;
    }
    if total == 0 {
        return 0;
    }
    let mut rng = SplitMix::new(seed ^ 0x6E61_6D65_7321);
    let pairs: Vec<(u32, u32)> = (0..n.min(total as usize))
        .map(|_| {
            let t = rng.below(total);
            let g = cumulative.partition_point(|&c| c <= t);
            let (s, e) = groups[g];
            let size = (e - s) as u64;
            let i = rng.below(size);
            let j = (i + 1 + rng.below(size - 1)) % size;
            // The lower rank first.
            (keyed[s + i.min(j) as usize].2, keyed[s + i.max(j) as usize].2)
        })
        .collect();
    let (counts, used) = count_levels(feats, pairs, |p| names_agree(p) && p[field::DOB] as usize == different);
    for &k in &NAME_DEPENDENT {
        let levels = COMPARISONS[k].levels.len();
        let present: f64 = counts[k][1..=levels].iter().sum();
        for (l, lm) in model.comparisons[k].levels.iter_mut().enumerate() {
            // Agreement levels only, and never below the ordinary u: given the names, agreeing
            // may count for less, not more. The last level ("different") keeps its weight.
            lm.u_given_names =
                if present >= MIN_GIVEN_NAMES_PAIRS && l + 1 < levels { Some(smoothed(&counts[k], levels, l + 1).max(lm.u)) } else { None };
        }
    }
    used
}

/// Distinct (pattern, agreeing-rules mask) values and how many pairs show each.
pub fn pattern_counts(patterns: &[u64]) -> Vec<(Pattern, u32, f64)> {
    // Counted in parallel chunks and merged: counts are whole numbers, so the sums are exact
    // whatever the split.
    let tally = |chunk: &[u64]| {
        let mut m: HashMap<u64, f64> = HashMap::default();
        for &p in chunk {
            *m.entry(p).or_insert(0.0) += 1.0;
        }
        m
    };
    let m = patterns.par_chunks(1 << 18).map(tally).reduce(HashMap::default, |mut a, b| {
        for (p, n) in b {
            *a.entry(p).or_insert(0.0) += n;
        }
        a
    });
    let mut v: Vec<(u64, f64)> = m.into_iter().collect();
    v.sort_unstable_by_key(|a| a.0);
    v.into_iter().map(|(p, n)| (unpack(p), (p >> TRAIN_SHIFT) as u32, n)).collect()
}

/// One EM run over the pairs one blocking rule agrees on, using only the comparisons the rule
/// does not involve, with u fixed. Returns m per comparison (None for the rule's own) and
/// the iterations run.
fn em_for_rule(
    counts: &[(Pattern, u32, f64)],
    rule: usize,
    own: &[usize],
    u: &[Vec<f64>],
    max_iter: u32,
) -> (Vec<Option<Vec<f64>>>, f64, u32, bool) {
    let used: Vec<usize> = (0..N_COMPARISONS).filter(|c| !own.contains(c)).collect();
    let mut m: Vec<Vec<f64>> = COMPARISONS.iter().map(|c| c.m_prior.to_vec()).collect();
    let mut p = 0.5f64;
    let mine: Vec<&(Pattern, u32, f64)> = counts.iter().filter(|c| c.1 & (1 << rule) != 0).collect();
    let total: f64 = mine.iter().map(|c| c.2).sum();
    let mut iterations = 0;
    let mut converged = false;
    for _ in 0..max_iter {
        iterations += 1;
        let mut num: Vec<Vec<f64>> = COMPARISONS.iter().map(|c| vec![0.0; c.levels.len()]).collect();
        let mut g_sum = 0.0;
        for (pat, _, n) in &mine {
            let mut lr = (p / (1.0 - p)).ln();
            for &k in &used {
                let l = pat[k] as usize;
                if l > 0 {
                    lr += (m[k][l - 1] / u[k][l - 1]).ln();
                }
            }
            let g = 1.0 / (1.0 + (-lr).exp());
            g_sum += g * n;
            for &k in &used {
                let l = pat[k] as usize;
                if l > 0 {
                    num[k][l - 1] += g * n;
                }
            }
        }
        let mut change = 0.0f64;
        for &k in &used {
            let prior = COMPARISONS[k].m_prior;
            let t: f64 = num[k].iter().sum();
            for l in 0..prior.len() {
                // One pair's worth of pseudo-count, spread by the prior, keeps rare levels sane.
                let nm = (num[k][l] + prior[l]) / (t + 1.0);
                change = change.max((nm - m[k][l]).abs());
                m[k][l] = nm;
            }
        }
        let np = (g_sum / total.max(1.0)).clamp(1e-9, 1.0 - 1e-9);
        change = change.max((np - p).abs());
        p = np;
        if change < 1e-6 {
            converged = true;
            break;
        }
    }
    let out = (0..N_COMPARISONS).map(|k| (!own.contains(&k)).then(|| m[k].clone())).collect();
    (out, p, iterations, converged)
}

/// Blocking rules agreeing on fewer candidate pairs than this are not used for training.
pub const MIN_TRAINING_PAIRS: f64 = 50.0;

/// Fits m and λ, with u from random pairs (fixed). As Splink does, m is estimated by one EM
/// run per blocking rule over every candidate pair that rule agrees on, each run using only
/// the comparisons the rule does not involve (so a comparison is never trained on pairs
/// selected for agreeing on it); each comparison's m is the level-wise median over the runs
/// that estimated it, renormalised. λ is then fitted over all candidate
/// pairs with m and u fixed, and scaled from the candidate pairs to all `total_pairs`.
pub fn fit(
    counts: &[(Pattern, u32, f64)],
    rules: &[BlockingRule],
    u: &[Vec<f64>],
    total_pairs: f64,
    max_iter: u32,
    threshold_weight: f64,
) -> Model {
    // Per comparison, the estimates of every run that trained it.
    let mut runs: Vec<Vec<Vec<f64>>> = vec![Vec::new(); N_COMPARISONS];
    let mut iterations = 0;
    let (mut em_runs, mut not_converged) = (0, 0);
    for (r, rule) in rules.iter().enumerate() {
        let pairs: f64 = counts.iter().filter(|c| c.1 & (1 << r) != 0).map(|c| c.2).sum();
        if pairs < MIN_TRAINING_PAIRS {
            continue;
        }
        let (m, _share, it, converged) = em_for_rule(counts, r, rule.fields, u, max_iter);
        iterations += it;
        em_runs += 1;
        if !converged {
            not_converged += 1;
        }
        for (k, mk) in m.into_iter().enumerate() {
            if let Some(mk) = mk {
                runs[k].push(mk);
            }
        }
    }
    // The median over runs, level by level, renormalised: one rule whose pairs break the
    // model's independence assumption (a block of common names, where "same name, different
    // date of birth" is mostly different people) cannot drag the estimate.
    let m: Vec<Vec<f64>> = (0..N_COMPARISONS)
        .map(|k| {
            if runs[k].is_empty() {
                return COMPARISONS[k].m_prior.to_vec();
            }
            let med: Vec<f64> = (0..COMPARISONS[k].levels.len())
                .map(|l| {
                    let mut v: Vec<f64> = runs[k].iter().map(|m| m[l]).collect();
                    v.sort_by(f64::total_cmp);
                    let h = v.len() / 2;
                    if v.len() % 2 == 1 { v[h] } else { (v[h - 1] + v[h]) / 2.0 }
                })
                .collect();
            let t: f64 = med.iter().sum();
            med.iter().map(|x| x / t).collect()
        })
        .collect();
    // λ over all candidate pairs, m and u fixed.
    let blocked: f64 = counts.iter().map(|c| c.2).sum();
    let lr: Vec<f64> = counts
        .iter()
        .map(|(pat, _, _)| {
            pat.iter().enumerate().filter(|(_, l)| **l > 0).map(|(k, &l)| (m[k][l as usize - 1] / u[k][l as usize - 1]).ln()).sum()
        })
        .collect();
    let mut p = 0.5f64;
    let mut lambda_converged = false;
    for _ in 0..max_iter {
        let odds = (p / (1.0 - p)).ln();
        let g: f64 = counts.iter().zip(&lr).map(|(c, l)| c.2 / (1.0 + (-(odds + l)).exp())).sum();
        let np = (g / blocked.max(1.0)).clamp(1e-9, 1.0 - 1e-9);
        let done = (np - p).abs() < 1e-7;
        p = np;
        if done {
            lambda_converged = true;
            break;
        }
    }
    let lambda = (p * blocked / total_pairs.max(1.0)).clamp(1e-12, 0.5);
    let comparisons = COMPARISONS
        .iter()
        .enumerate()
        .map(|(k, c)| ComparisonModel {
            name: c.name.to_string(),
            levels: c
                .levels
                .iter()
                .enumerate()
                .map(|(l, label)| LevelModel { label: (*label).to_string(), m: m[k][l], u: u[k][l], u_given_names: None })
                .collect(),
        })
        .collect();
    Model {
        version: 1,
        lambda,
        comparisons,
        threshold_weight,
        veto_weight: default_veto(),
        notes: ModelNotes {
            random_pairs: 0,
            seed: 0,
            em_pairs: blocked as u64,
            em_patterns: counts.len() as u64,
            em_iterations: iterations,
            em_match_share: p,
            given_names_pairs: 0,
            source: "fitted".into(),
            em_runs,
            em_runs_not_converged: not_converged,
            lambda_converged,
            ..ModelNotes::default()
        },
    }
}

/// Where the mask of agreeing blocking rules starts in a packed pattern.
pub const TRAIN_SHIFT: u32 = 36;

/// Packs every candidate pair's pattern (parallel, order kept), with the mask of blocking
/// rules whose keys agree on the pair in bits 36.. (for training, see [`fit`]).
pub fn patterns(feats: &[Features], blocking: &Blocking) -> Vec<u64> {
    blocking
        .pairs
        .par_iter()
        .map(|&(a, b)| {
            let p = pack(&compare(&feats[a as usize], &feats[b as usize]));
            p | (u64::from(blocking.rules_agreeing(a, b)) << TRAIN_SHIFT)
        })
        .collect()
}

/// The probability that goes with a match weight.
pub fn probability(weight: f64) -> f64 {
    let b = weight.exp2();
    if b.is_infinite() { 1.0 } else { b / (1.0 + b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn em_separates_matches_from_non_matches() {
        // Two clean classes: matches agree on everything, non-matches disagree on names.
        let mut agree = [0u8; N_COMPARISONS];
        let mut differ = [0u8; N_COMPARISONS];
        agree[field::FORENAME] = 1;
        agree[field::SURNAME] = 1;
        agree[field::DOB] = 1;
        differ[field::FORENAME] = 7;
        differ[field::SURNAME] = 5;
        differ[field::DOB] = 1;
        let counts = vec![(agree, 0xFFF, 100.0), (differ, 0xFFF, 900.0)];
        let u: Vec<Vec<f64>> = COMPARISONS
            .iter()
            .map(|c| {
                let mut v = vec![0.001; c.levels.len()];
                *v.last_mut().unwrap() = 1.0 - 0.001 * (c.levels.len() - 1) as f64;
                v
            })
            .collect();
        let rules = [BlockingRule { name: "date of birth", fields: &[field::DOB], key: |_| 1 }];
        let counts: Vec<(Pattern, u32, f64)> = counts.into_iter().map(|(p, _, n)| (p, 1, n)).collect();
        let model = fit(&counts, &rules, &u, 1e6, 50, 0.0);
        assert!((model.notes.em_match_share - 0.1).abs() < 0.01, "{}", model.notes.em_match_share);
        assert!(model.comparisons[field::FORENAME].levels[0].m > 0.9);
        assert!(model.check().is_ok());
        let w = model.weights();
        assert!(w.level[field::FORENAME][1] > 5.0 && w.level[field::FORENAME][7] < 0.0);
    }

    /// Each record's rank as its position.
    fn in_place(feats: &[Features]) -> Vec<u32> {
        (0..feats.len() as u32).collect()
    }

    /// Regression: u was estimated from random pairs drawn by position, so the same file in
    /// another order fitted another model. Drawn by rank, the same records give the same u
    /// (and the same u given the names) in any order.
    #[test]
    fn regression_the_same_records_in_another_order_gave_another_u() {
        use crate::compare::tests::person;
        use crate::normalise::{Nicknames, normalise};
        let n = Nicknames::builtin();
        let names = ["John", "Jon", "Mary", "Sarah", "Paul"];
        let feats: Vec<Features> = (0..300u64)
            .map(|i| {
                let mut r = person(
                    names[(i % 5) as usize],
                    ["Smith", "Jones"][(i % 2) as usize],
                    &format!("{}-{:02}-{:02}", 1940 + i % 60, 1 + i % 12, 1 + i % 28),
                );
                r.email = format!("x{}@example.org", i % 7).into();
                normalise(&r, &n)
            })
            .collect();
        let fit = |feats: &[Features], order: &[u32]| {
            let (u, drawn) = estimate_u(feats, order, 5_000, 3);
            let mut model = police_model();
            let used = estimate_u_given_names(&mut model, feats, order, 5_000, 3);
            let given: Vec<Option<u64>> =
                model.comparisons[field::EMAIL].levels.iter().map(|l| l.u_given_names.map(f64::to_bits)).collect();
            (u.iter().flatten().map(|x| x.to_bits()).collect::<Vec<_>>(), drawn, used, given)
        };
        let first = fit(&feats, &in_place(&feats));
        assert_eq!(first.1, 5_000);
        assert!(first.2 > 0 && first.3.iter().any(Option::is_some), "the fixture estimates u given the names");
        for seed in 1..10u64 {
            // Record at position k of the shuffle is `perm[k]`; its rank stays its first position.
            let mut perm: Vec<u32> = in_place(&feats);
            crate::tests::shuffle(&mut perm, seed);
            let shuffled: Vec<Features> = perm.iter().map(|&k| feats[k as usize].clone()).collect();
            assert_eq!(fit(&shuffled, &perm), first, "order {seed}");
        }
    }

    /// A police-data model: a different date of birth is a veto level; an exact e-mail is rare
    /// among random pairs.
    fn police_model() -> Model {
        let mut model = Model::prior(5.0);
        let dob = &mut model.comparisons[field::DOB].levels;
        let last = dob.len() - 1;
        dob[last].m = 0.001;
        dob[last].u = 0.9;
        model.comparisons[field::EMAIL].levels[0].u = 1e-5;
        model
    }

    #[test]
    fn name_built_emails_weigh_less_when_the_names_agree() {
        use crate::compare::tests::person;
        use crate::normalise::{Nicknames, normalise};
        let n = Nicknames::builtin();
        // 400 different John Smiths (distinct dates of birth); about one in four uses the
        // address a name-built pattern gives everyone of that name.
        let mut sharing = 0;
        let feats: Vec<Features> = (0..400u64)
            .map(|i| {
                let mut r = person("John", "Smith", &format!("{}-{:02}-{:02}", 1940 + i % 60, 1 + i % 12, 1 + i % 28));
                r.email = if SplitMix::new(i).below(4) == 0 {
                    sharing += 1;
                    "smith.john@example.org".into()
                } else {
                    format!("john{i}@example.org").into()
                };
                normalise(&r, &n)
            })
            .collect();
        let share = f64::from(sharing) / 400.0;
        let mut model = police_model();
        let used = estimate_u_given_names(&mut model, &feats, &in_place(&feats), 50_000, 1);
        assert!(used > 10_000, "{used}");
        let exact = model.comparisons[field::EMAIL].levels[0].u_given_names.unwrap();
        assert!((exact - share * share).abs() < 0.02, "{exact} vs {}", share * share);
        let w = model.weights();
        let mut p = [0u8; N_COMPARISONS];
        p[field::FORENAME] = 1;
        p[field::SURNAME] = 1;
        p[field::EMAIL] = 1;
        // From about 17 bits to about 4: among namesakes that address is common.
        assert!(w.level[field::EMAIL][1] > 15.0);
        assert!(w.of(&p, field::EMAIL) < 5.0, "{}", w.of(&p, field::EMAIL));
        assert!(
            (w.pattern(&p) - (w.prior + w.level[field::FORENAME][1] + w.level[field::SURNAME][1] + w.of(&p, field::EMAIL))).abs() < 1e-9
        );
        // Names that do not both agree exactly keep the ordinary weight.
        p[field::FORENAME] = 2;
        assert_eq!(w.of(&p, field::EMAIL), w.level[field::EMAIL][1]);
        // Where a different date of birth is no veto (FEBRL), nothing is estimated.
        let mut febrl = Model::prior(5.0);
        assert_eq!(estimate_u_given_names(&mut febrl, &feats, &in_place(&feats), 50_000, 1), 0);
        assert!(febrl.comparisons[field::EMAIL].levels.iter().all(|l| l.u_given_names.is_none()));
    }

    #[test]
    fn term_frequencies_count_people_and_shrink_toward_the_reference() {
        use crate::compare::tests::person;
        use crate::normalise::{Nicknames, normalise};
        let n = Nicknames::builtin();
        // One victim with 40 identical records (and 5 without a date of birth) among 60
        // different people, 20 of them Smiths.
        let mut rows: Vec<_> = (0..40).map(|_| person("Harriet", "Okonkwo-Lund", "1988-03-14")).collect();
        rows.extend((0..5).map(|_| person("Harriet", "Okonkwo Lund", "")));
        rows.extend((0..60).map(|i| {
            person(
                ["John", "Paul", "Mary"][i % 3],
                if i % 3 == 0 { "Smith" } else { "Other" },
                &format!("19{:02}-01-{:02}", 40 + i, 1 + i % 28),
            )
        }));
        let feats: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        let tf = TermFrequencies::count(&feats);
        let w = Model::builtin_default().weights();
        let r = reference_frequencies();
        // Her surname is held by one person of 61: with shrinkage, near the reference and its
        // adjustment near 0 (counting records, 45 of 105, it was marked down the full 6 bits).
        let f = tf.frequency(1, feats[0].surname_h);
        assert!((f - (1.0 + TF_PRIOR_PEOPLE * r[1]) / (61.0 + TF_PRIOR_PEOPLE)).abs() < 1e-12, "{f}");
        let adj = tf.adjustment(1, feats[0].surname_h, &w);
        assert!(adj.abs() < 1.0, "{adj}");
        // Smith, 20 people of 61, is common even after shrinkage.
        let smith = feats.iter().find(|f| &*f.surname == "smith").unwrap().surname_h;
        assert!(tf.adjustment(1, smith, &w) < -3.0, "{}", tf.adjustment(1, smith, &w));
    }

    #[test]
    fn the_default_model_is_shipped_and_rescaled_to_the_file() {
        let d = Model::builtin_default();
        assert_eq!(d.notes.source, "default");
        assert!(d.notes.default_version >= 1 && d.notes.rows > 100_000 && !d.notes.trained_on.is_empty());
        let small = Model::default_for(1_000);
        let r = d.notes.rows as f64 / d.notes.persons as f64;
        assert!((small.lambda - (r - 1.0) / 999.0).abs() < 1e-15, "{}", small.lambda);
        assert_eq!(Model::default_for(2).lambda, DEFAULT_LAMBDA_CAP);
    }

    #[test]
    fn models_round_trip_through_json() {
        let mut m = Model::prior(3.0);
        m.comparisons[field::EMAIL].levels[0].u_given_names = Some(0.05);
        let dir = std::env::temp_dir().join(format!("conduct-resolve-model-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("model.json");
        m.save(&p).unwrap();
        assert_eq!(Model::load(&p).unwrap(), m);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn random_generator_is_deterministic() {
        let (mut a, mut b) = (SplitMix::new(7), SplitMix::new(7));
        assert_eq!((0..5).map(|_| a.below(100)).collect::<Vec<_>>(), (0..5).map(|_| b.below(100)).collect::<Vec<_>>());
    }
}

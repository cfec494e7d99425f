//! The hub: links the encodings of any number of parties, with no secret.
//!
//! 1. **Checks.** Every file's settings must equal the first's (schema, fields, hardening,
//!    the secret's key-check value); a party given twice, or a pseudonym twice in one party, is
//!    refused. Nothing is linked until every file has passed.
//! 2. **Blocking** on the keyed tokens, rule by rule, as plaintext linkage blocks
//!    ([`conduct_resolve::block::RULES`]): records sharing a token are candidates, a pair
//!    already found by an earlier rule is not counted twice, and blocks larger than
//!    [`HubOptions::max_block`] are set aside and counted (the work stays near-linear).
//!    Pairs inside one party are candidates too: duplicate nominals are linked like any pair.
//! 3. **Comparison:** per field, the Dice coefficient of the two filters, cut into levels
//!    ([`DICE_LEVELS`]); a field either record lacks is no evidence either way.
//! 4. **The model, from the encodings alone.** `u` (how often each level occurs between two
//!    records of different people) from random pairs of records; `m` and the share of true
//!    pairs among the candidates by expectation–maximisation over the candidates' patterns
//!    (Fellegi–Sunter, as Splink estimates it). A pair's weight is the log₂ odds that it is a
//!    match; pairs at even odds or better link. No threshold is tuned by hand.
//! 5. **Clustering:** strongest pairs first, union–find, with a veto: two groups are not
//!    joined when any pair across them scored below [`HubOptions::veto_weight`] (strong
//!    evidence of two people), so a chain of weak links cannot join them.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use conduct_resolve::block::RULES;

use crate::file::Encodings;
use crate::{Error, ErrorKind};

/// Dice coefficients at or above which a field's comparison reaches levels 1, 2, …; below the
/// last is the last level plus one. Level 0 is "missing on either side".
pub const DICE_LEVELS: [f64; 7] = [0.95, 0.88, 0.8, 0.7, 0.6, 0.45, 0.3];
const LEVELS: usize = DICE_LEVELS.len() + 2;

/// The hub's options; each has the default a user gets.
#[derive(Clone, Debug)]
pub struct HubOptions {
    /// Blocks with more records than this are set aside (and counted).
    pub max_block: usize,
    /// A pair weight (log₂ odds) below which two records veto joining their groups.
    pub veto_weight: f64,
    /// Random pairs drawn to estimate `u`.
    pub u_sample: usize,
    /// Seed of the random pairs.
    pub seed: u64,
}

impl Default for HubOptions {
    fn default() -> HubOptions {
        HubOptions { max_block: 64, veto_weight: -10.0, u_sample: 1_000_000, seed: 42 }
    }
}

/// One field's model: per level, m and u.
#[derive(Clone, Debug, Serialize)]
pub struct FieldModel {
    /// The field.
    pub field: String,
    /// The lowest Dice of each level (the last level takes the rest).
    pub levels: Vec<f64>,
    /// P(level | same person), levels 1…
    pub m: Vec<f64>,
    /// P(level | different people), levels 1…
    pub u: Vec<f64>,
}

/// What one party holds and got.
#[derive(Clone, Debug, Serialize)]
pub struct PartyReport {
    /// The party.
    pub force: String,
    /// Its file.
    pub file: String,
    /// Records it sent.
    pub records: usize,
    /// Records with nothing encoded: singletons.
    pub empty: usize,
    /// Its records linked to another party's.
    pub linked_records: usize,
    /// Its records joined with another of its own records (duplicate nominals).
    pub own_duplicates: usize,
    /// Link rows written to its file.
    pub links: usize,
}

/// What the hub did.
#[derive(Clone, Debug, Serialize)]
pub struct HubReport {
    /// Per party.
    pub parties: Vec<PartyReport>,
    /// Candidate pairs compared.
    pub candidate_pairs: u64,
    /// Field similarities evaluated (pairs × fields both records have).
    pub field_comparisons: u64,
    /// Blocks set aside as larger than the cap, and the records in them.
    pub oversized_blocks: u64,
    /// Records in the blocks set aside.
    pub oversized_records: u64,
    /// The estimated probability that two records drawn at random are the same person (the
    /// prior of every pair's weight).
    pub match_prior: f64,
    /// The per-field model.
    pub model: Vec<FieldModel>,
    /// Pairs at even odds or better.
    pub linking_pairs: u64,
    /// Joins refused by the veto.
    pub vetoed_joins: u64,
    /// Persons found in two or more parties.
    pub cross_force_persons: usize,
    /// Seconds per stage: blocking, comparing, model, clustering.
    pub seconds: Vec<(String, f64)>,
}

/// One link a party receives.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The party's own pseudonym.
    pub pseudonym: String,
    /// The other party.
    pub other_force: String,
    /// The other party's pseudonym.
    pub other_pseudonym: String,
    /// The weight (log₂ odds) of the direct comparison; `None` when the two are joined
    /// through other records of the same person.
    pub weight: Option<f64>,
    /// The cross-force person both belong to.
    pub cross_force_person_id: String,
}

/// The hub's answer: per party (in the order given), its links; and the report.
#[derive(Clone, Debug)]
pub struct HubResult {
    /// Per party, the links that touch its records.
    pub links: Vec<Vec<Link>>,
    /// What was done.
    pub report: HubReport,
}

/// Checks that the parties can be linked together.
///
/// # Errors
///
/// [`ErrorKind::Encodings`] naming the file whose settings differ from the first file's
/// (another secret, schema or hardening); [`ErrorKind::DuplicateParty`] when a party is given
/// twice; [`ErrorKind::Encodings`] when a party repeats a pseudonym; [`ErrorKind::Input`]
/// with fewer than two parties.
pub fn check_parties(parties: &[Encodings]) -> Result<(), Error> {
    if parties.len() < 2 {
        return Err(Error::new(ErrorKind::Input(format!("{} encodings file given; the hub links two or more parties", parties.len())), None));
    }
    let first = &parties[0];
    let mut seen: HashSet<&str> = HashSet::new();
    for p in parties {
        if p.settings.key_check != first.settings.key_check {
            return Err(Error::new(
                ErrorKind::Encodings(format!(
                    "made with another secret than {} (key check {} against {}); every party must encode with the same shared secret",
                    first.path.display(),
                    p.settings.key_check,
                    first.settings.key_check
                )),
                Some(&p.path),
            ));
        }
        if p.settings != first.settings {
            return Err(Error::new(
                ErrorKind::Encodings(format!(
                    "made with other encoding settings than {} (hardening {:?} against {:?}, schema {} against {}); every party must encode with the same version and options",
                    first.path.display(),
                    p.settings.hardening,
                    first.settings.hardening,
                    p.settings.schema,
                    first.settings.schema
                )),
                Some(&p.path),
            ));
        }
        if !seen.insert(p.force.as_str()) {
            return Err(Error::new(ErrorKind::DuplicateParty(p.force.clone()), Some(&p.path)));
        }
        let mut ps: HashSet<&str> = HashSet::with_capacity(p.records.len());
        for (i, r) in p.records.iter().enumerate() {
            if !ps.insert(r.pseudonym.as_str()) {
                return Err(Error::new(
                    ErrorKind::Encodings(format!("row {}: a pseudonym given twice; each record must be sent once", i + 1)),
                    Some(&p.path),
                ));
            }
        }
    }
    Ok(())
}

/// All records' filters, field by field, flat.
struct Flat {
    words: Vec<usize>,
    bits: Vec<Vec<u64>>,
    pop: Vec<Vec<u16>>,
    party: Vec<u16>,
}

impl Flat {
    fn new(parties: &[Encodings]) -> Flat {
        let words = parties[0].settings.words();
        let n: usize = parties.iter().map(|p| p.records.len()).sum();
        let mut bits: Vec<Vec<u64>> = words.iter().map(|w| Vec::with_capacity(n * w)).collect();
        let mut pop: Vec<Vec<u16>> = words.iter().map(|_| Vec::with_capacity(n)).collect();
        let mut party = Vec::with_capacity(n);
        for (pi, p) in parties.iter().enumerate() {
            for r in &p.records {
                party.push(pi as u16);
                for (f, w) in words.iter().enumerate() {
                    match &r.filters[f] {
                        Some(x) => {
                            bits[f].extend_from_slice(x);
                            pop[f].push(x.iter().map(|v| v.count_ones() as u16).sum());
                        }
                        None => {
                            bits[f].extend(std::iter::repeat_n(0, *w));
                            pop[f].push(0);
                        }
                    }
                }
            }
        }
        Flat { words, bits, pop, party }
    }

    /// The pair's levels, 4 bits per field, and the number of fields compared.
    #[inline]
    fn pattern(&self, a: usize, b: usize) -> (u64, u32) {
        let mut pat = 0u64;
        let mut compared = 0;
        for (f, &w) in self.words.iter().enumerate() {
            let (pa, pb) = (self.pop[f][a], self.pop[f][b]);
            if pa == 0 || pb == 0 {
                continue;
            }
            compared += 1;
            let (x, y) = (&self.bits[f][a * w..(a + 1) * w], &self.bits[f][b * w..(b + 1) * w]);
            let both: u32 = x.iter().zip(y).map(|(p, q)| (p & q).count_ones()).sum();
            let dice = 2.0 * f64::from(both) / f64::from(u32::from(pa) + u32::from(pb));
            let level = DICE_LEVELS.iter().position(|t| dice >= *t).unwrap_or(DICE_LEVELS.len()) + 1;
            pat |= (level as u64) << (4 * f);
        }
        (pat, compared)
    }
}

fn level(pat: u64, f: usize) -> usize {
    ((pat >> (4 * f)) & 0xf) as usize
}

fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

struct Model {
    log_prior: f64,
    lambda: f64,
    /// Per field, per level (0 = missing, weight 0), log₂(m/u).
    w: Vec<[f64; LEVELS]>,
    m: Vec<[f64; LEVELS]>,
    u: Vec<[f64; LEVELS]>,
}

impl Model {
    fn weight(&self, pat: u64) -> f64 {
        self.log_prior + (0..self.w.len()).map(|f| self.w[f][level(pat, f)]).sum::<f64>()
    }
}

/// Per blocking rule, a bit per encoded field that the rule's key is made of: agreement on
/// those fields is how the pair was chosen, so it is no evidence when m is estimated from such
/// pairs (Splink trains m the same way, rule by rule).
fn rule_masks(settings: &crate::encode::Settings) -> Vec<u32> {
    use conduct_resolve::compare::field as c;
    RULES
        .iter()
        .map(|rule| {
            let mut mask = 0u32;
            for (i, f) in settings.fields.iter().enumerate() {
                let used = rule.fields.iter().any(|&x| match f.name.as_str() {
                    "name" => x == c::FORENAME || x == c::SURNAME,
                    "forename" => x == c::FORENAME,
                    "surname" => x == c::SURNAME,
                    "dob" => x == c::DOB,
                    "postcode" => x == c::POSTCODE,
                    "address" => x == c::ADDRESS,
                    "phone" => x == c::PHONE,
                    "email" => x == c::EMAIL,
                    "handles" => x == c::HANDLES,
                    "ids" => x == c::PNC || x == c::NI,
                    _ => false,
                });
                if used {
                    mask |= 1 << i;
                }
            }
            mask
        })
        .collect()
}

fn estimate(flat: &Flat, patterns: &[u64], agree: &[u64], masks: &[u32], opts: &HubOptions) -> Model {
    let nf = flat.words.len();
    let n = flat.party.len();
    // u from random pairs: almost all are two different people.
    let samples = opts.u_sample.min(n.saturating_mul(n.saturating_sub(1)) / 2).max(1);
    let chunks = 64;
    let counts: Vec<Vec<[f64; LEVELS]>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = opts.seed ^ (c as u64).wrapping_mul(0xA24B_AED4_963E_E407);
            let mut cnt = vec![[0.0; LEVELS]; nf];
            for _ in 0..samples.div_ceil(chunks) {
                let a = (splitmix(&mut rng) % n as u64) as usize;
                let b = (splitmix(&mut rng) % n as u64) as usize;
                if a == b {
                    continue;
                }
                let (pat, _) = flat.pattern(a, b);
                for (f, c) in cnt.iter_mut().enumerate() {
                    c[level(pat, f)] += 1.0;
                }
            }
            cnt
        })
        .collect();
    let mut u = vec![[0.0; LEVELS]; nf];
    for c in &counts {
        for f in 0..nf {
            for l in 1..LEVELS {
                u[f][l] += c[f][l];
            }
        }
    }
    for uf in &mut u {
        let total: f64 = uf[1..].iter().sum();
        for l in 1..LEVELS {
            // Half a pair of smoothing: a level never seen between strangers is rare, not impossible.
            uf[l] = (uf[l] + 0.5) / (total + 0.5 * (LEVELS - 1) as f64);
        }
        uf[0] = 1.0;
    }
    // m by EM, u held, one session per blocking rule (as Splink trains): the pairs that agree
    // on the rule's key, with the rule's fields left out, give m for the other fields. A
    // field's m is the mean over the sessions that could see it.
    let mut m_sum = vec![[0.0; LEVELS]; nf];
    let mut sessions = vec![0.0; nf];
    for (r, &mask) in masks.iter().enumerate().take(64) {
        let mut distinct: HashMap<u64, f64> = HashMap::new();
        for (p, &a) in patterns.iter().zip(agree) {
            if a & (1 << r) == 0 {
                continue;
            }
            let mut pat = *p;
            for f in 0..nf {
                if mask & (1 << f) != 0 {
                    pat &= !(0xf << (4 * f));
                }
            }
            *distinct.entry(pat).or_default() += 1.0;
        }
        let total: f64 = distinct.values().sum();
        if total < 20.0 {
            continue;
        }
        let distinct: Vec<(u64, f64)> = distinct.into_iter().collect();
        let m = em(&distinct, &u, nf);
        for f in 0..nf {
            let seen: f64 = distinct.iter().filter(|(p, _)| level(*p, f) != 0).map(|d| d.1).sum();
            if mask & (1 << f) != 0 || seen < 20.0 {
                continue;
            }
            sessions[f] += 1.0;
            for l in 1..LEVELS {
                m_sum[f][l] += m[f][l];
            }
        }
    }
    let m: Vec<[f64; LEVELS]> = (0..nf)
        .map(|f| {
            let mut row = [1.0; LEVELS];
            for l in 1..LEVELS {
                // A field no session could see (none of the records has it) weighs nothing.
                row[l] = if sessions[f] > 0.0 { m_sum[f][l] / sessions[f] } else { u[f][l] };
            }
            row
        })
        .collect();
    // The prior is that of two records drawn at random, since every field's agreement now
    // counts as evidence: the expected matches among the candidates (blocking is taken to miss
    // few) over all pairs, found as a fixed point with m and u held.
    let mut cand: HashMap<u64, f64> = HashMap::new();
    for p in patterns {
        *cand.entry(*p).or_default() += 1.0;
    }
    let lr: Vec<(f64, f64)> = cand
        .iter()
        .map(|(&pat, &c)| ((0..nf).filter(|&f| level(pat, f) != 0).map(|f| (m[f][level(pat, f)] / u[f][level(pat, f)]).ln()).sum(), c))
        .collect();
    let all_pairs = (n as f64) * (n as f64 - 1.0) / 2.0;
    let mut prior = (patterns.len() as f64 * 0.5 / all_pairs.max(1.0)).clamp(1e-15, 0.5);
    for _ in 0..200 {
        let odds = (prior / (1.0 - prior)).ln();
        let expected: f64 = lr.iter().map(|&(l, c)| c / (1.0 + (-(l + odds)).exp())).sum();
        let next = (expected / all_pairs.max(1.0)).clamp(1e-15, 0.5);
        let done = (next / prior - 1.0).abs() < 1e-9;
        prior = next;
        if done {
            break;
        }
    }
    let w = (0..nf)
        .map(|f| {
            let mut row = [0.0; LEVELS];
            for l in 1..LEVELS {
                row[l] = (m[f][l] / u[f][l]).log2();
            }
            row
        })
        .collect();
    Model { log_prior: (prior / (1.0 - prior)).log2(), lambda: prior, w, m, u }
}

/// EM for m with u held, over distinct patterns and their counts.
fn em(distinct: &[(u64, f64)], u: &[[f64; LEVELS]], nf: usize) -> Vec<[f64; LEVELS]> {
    let total: f64 = distinct.iter().map(|d| d.1).sum::<f64>().max(1.0);
    let start = [1.0, 0.6, 0.15, 0.1, 0.05, 0.04, 0.03, 0.02, 0.01];
    let mut m = vec![start; nf];
    let mut lambda: f64 = 0.3;
    for _ in 0..200 {
        let mut acc = vec![[0.0; LEVELS]; nf];
        let mut matches = 0.0;
        for &(pat, c) in distinct {
            let mut lr = (lambda / (1.0 - lambda)).ln();
            for f in 0..nf {
                let l = level(pat, f);
                if l != 0 {
                    lr += (m[f][l] / u[f][l]).ln();
                }
            }
            let p = 1.0 / (1.0 + (-lr).exp());
            matches += p * c;
            for (f, a) in acc.iter_mut().enumerate() {
                a[level(pat, f)] += p * c;
            }
        }
        let new_lambda = (matches / total).clamp(1e-9, 1.0 - 1e-9);
        let mut change = (new_lambda - lambda).abs();
        lambda = new_lambda;
        for f in 0..nf {
            let sum: f64 = acc[f][1..].iter().sum();
            for l in 1..LEVELS {
                let v = (acc[f][l] + 1e-3) / (sum + 1e-3 * (LEVELS - 1) as f64);
                change = change.max((v - m[f][l]).abs());
                m[f][l] = v;
            }
        }
        if change < 1e-7 {
            break;
        }
    }
    m
}

/// Candidate pairs by the keyed blocking tokens, each once; and the blocks set aside.
fn candidates(parties: &[Encodings], opts: &HubOptions) -> (Vec<(u32, u32)>, Vec<u64>, u64, u64) {
    let blocks: Vec<&[u64]> = parties.iter().flat_map(|p| p.records.iter().map(|r| r.blocks.as_slice())).collect();
    let rules = parties[0].settings.blocking_rules.len();
    let mut oversized: Vec<HashSet<u64>> = vec![HashSet::new(); rules];
    let (mut big_blocks, mut big_records) = (0, 0);
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for r in 0..rules {
        let mut keyed: Vec<(u64, u32)> =
            blocks.iter().enumerate().filter_map(|(i, b)| b.get(r).filter(|k| **k != 0).map(|k| (*k, i as u32))).collect();
        keyed.par_sort_unstable();
        let mut groups: Vec<&[(u64, u32)]> = Vec::new();
        for g in keyed.chunk_by(|a, b| a.0 == b.0) {
            if g.len() < 2 {
                continue;
            }
            if g.len() > opts.max_block {
                oversized[r].insert(g[0].0);
                big_blocks += 1;
                big_records += g.len() as u64;
                continue;
            }
            groups.push(g);
        }
        let found: Vec<(u32, u32)> = groups
            .par_iter()
            .flat_map_iter(|g| {
                let mut out = Vec::new();
                for x in 0..g.len() {
                    for y in x + 1..g.len() {
                        let (a, b) = (g[x].1, g[y].1);
                        let (ba, bb) = (blocks[a as usize], blocks[b as usize]);
                        let earlier = (0..r).any(|e| ba[e] != 0 && ba[e] == bb[e] && !oversized[e].contains(&ba[e]));
                        if !earlier {
                            out.push((a.min(b), a.max(b)));
                        }
                    }
                }
                out
            })
            .collect();
        pairs.extend(found);
    }
    // Every rule each pair agrees on (its block not set aside): the training sessions.
    let agree: Vec<u64> = pairs
        .par_iter()
        .map(|&(a, b)| {
            let (ba, bb) = (blocks[a as usize], blocks[b as usize]);
            (0..rules.min(64)).filter(|&e| ba[e] != 0 && ba[e] == bb[e] && !oversized[e].contains(&ba[e])).fold(0u64, |m, e| m | 1 << e)
        })
        .collect();
    (pairs, agree, big_blocks, big_records)
}

struct Groups {
    parent: Vec<u32>,
    members: Vec<Vec<u32>>,
}

impl Groups {
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
}

/// Links the parties' encodings.
///
/// # Errors
///
/// As [`check_parties`].
pub fn link_parties(parties: &[Encodings], opts: &HubOptions) -> Result<HubResult, Error> {
    check_parties(parties)?;
    let mut seconds = Vec::new();
    let t = std::time::Instant::now();
    let (pairs, agree, oversized_blocks, oversized_records) = candidates(parties, opts);
    seconds.push(("blocking".to_string(), t.elapsed().as_secs_f64()));
    let t = std::time::Instant::now();
    let flat = Flat::new(parties);
    let scored: Vec<(u64, u32)> = pairs.par_iter().map(|&(a, b)| flat.pattern(a as usize, b as usize)).collect();
    let field_comparisons: u64 = scored.iter().map(|s| u64::from(s.1)).sum();
    seconds.push(("comparing".to_string(), t.elapsed().as_secs_f64()));
    let t = std::time::Instant::now();
    let patterns: Vec<u64> = scored.iter().map(|s| s.0).collect();
    let masks = rule_masks(&parties[0].settings);
    let model = estimate(&flat, &patterns, &agree, &masks, opts);
    let weights: Vec<f64> = patterns.par_iter().map(|p| model.weight(*p)).collect();
    seconds.push(("model".to_string(), t.elapsed().as_secs_f64()));
    let t = std::time::Instant::now();
    let n = flat.party.len();
    // Every scored pair, by record, for the veto.
    let mut degree = vec![0u32; n + 1];
    for &(a, b) in &pairs {
        degree[a as usize + 1] += 1;
        degree[b as usize + 1] += 1;
    }
    for i in 0..n {
        degree[i + 1] += degree[i];
    }
    let mut fill = degree.clone();
    let mut adj: Vec<(u32, f32)> = vec![(0, 0.0); pairs.len() * 2];
    for (&(a, b), &w) in pairs.iter().zip(&weights) {
        adj[fill[a as usize] as usize] = (b, w as f32);
        fill[a as usize] += 1;
        adj[fill[b as usize] as usize] = (a, w as f32);
        fill[b as usize] += 1;
    }
    let mut order: Vec<usize> = (0..pairs.len()).filter(|&i| weights[i] >= 0.0).collect();
    let linking_pairs = order.len() as u64;
    order.sort_unstable_by(|&x, &y| weights[y].total_cmp(&weights[x]).then(pairs[x].cmp(&pairs[y])));
    let mut groups = Groups { parent: (0..n as u32).collect(), members: (0..n as u32).map(|i| vec![i]).collect() };
    let mut vetoed = 0u64;
    for &i in &order {
        let (a, b) = pairs[i];
        let (ra, rb) = (groups.find(a), groups.find(b));
        if ra == rb {
            continue;
        }
        let (small, big) = if groups.members[ra as usize].len() <= groups.members[rb as usize].len() { (ra, rb) } else { (rb, ra) };
        let veto = groups.members[small as usize].clone().iter().any(|&x| {
            adj[degree[x as usize] as usize..degree[x as usize + 1] as usize]
                .iter()
                .any(|&(y, w)| f64::from(w) < opts.veto_weight && groups.find(y) == big)
        });
        if veto {
            vetoed += 1;
            continue;
        }
        let moved = std::mem::take(&mut groups.members[small as usize]);
        groups.members[big as usize].extend(moved);
        groups.parent[small as usize] = big;
    }
    // Direct weights of the pairs that linked, for the output.
    let direct: HashMap<(u32, u32), f64> = order.iter().map(|&i| (pairs[i], weights[i])).collect();
    let offsets: Vec<usize> = parties.iter().scan(0, |s, p| {
        let o = *s;
        *s += p.records.len();
        Some(o)
    }).collect();
    let record = |i: u32| {
        let p = flat.party[i as usize] as usize;
        (p, &parties[p].records[i as usize - offsets[p]])
    };
    // Persons in two or more parties, numbered in a stable order.
    let mut persons: Vec<(String, String, Vec<u32>)> = Vec::new();
    let mut own_dup = vec![false; n];
    for root in 0..n as u32 {
        let m = &groups.members[root as usize];
        if m.len() < 2 || groups.parent[root as usize] != root {
            continue;
        }
        let mut seen_party: HashMap<usize, usize> = HashMap::new();
        for &x in m {
            *seen_party.entry(flat.party[x as usize] as usize).or_default() += 1;
        }
        for &x in m {
            if seen_party[&(flat.party[x as usize] as usize)] > 1 {
                own_dup[x as usize] = true;
            }
        }
        if seen_party.len() < 2 {
            continue;
        }
        let key = m.iter().map(|&x| {
            let (p, r) = record(x);
            (parties[p].force.clone(), r.pseudonym.clone())
        }).min().expect("members");
        persons.push((key.0, key.1, m.clone()));
    }
    persons.sort_unstable_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let mut links: Vec<Vec<Link>> = vec![Vec::new(); parties.len()];
    let mut linked = vec![0usize; parties.len()];
    for (k, (_, _, members)) in persons.iter().enumerate() {
        let id = format!("XF{:07}", k + 1);
        for &x in members {
            let (px, rx) = record(x);
            let mut any = false;
            for &y in members {
                let (py, ry) = record(y);
                if py == px {
                    continue;
                }
                any = true;
                links[px].push(Link {
                    pseudonym: rx.pseudonym.clone(),
                    other_force: parties[py].force.clone(),
                    other_pseudonym: ry.pseudonym.clone(),
                    weight: direct.get(&(x.min(y), x.max(y))).copied(),
                    cross_force_person_id: id.clone(),
                });
            }
            linked[px] += usize::from(any);
        }
    }
    for l in &mut links {
        l.sort_unstable_by(|a, b| (&a.pseudonym, &a.other_force, &a.other_pseudonym).cmp(&(&b.pseudonym, &b.other_force, &b.other_pseudonym)));
    }
    seconds.push(("clustering".to_string(), t.elapsed().as_secs_f64()));
    let fields = &parties[0].settings.fields;
    let report = HubReport {
        parties: parties
            .iter()
            .enumerate()
            .map(|(p, e)| PartyReport {
                force: e.force.clone(),
                file: e.path.display().to_string(),
                records: e.records.len(),
                empty: e.records.iter().filter(|r| r.is_empty()).count(),
                linked_records: linked[p],
                own_duplicates: (offsets[p]..offsets[p] + e.records.len()).filter(|&i| own_dup[i]).count(),
                links: links[p].len(),
            })
            .collect(),
        candidate_pairs: pairs.len() as u64,
        field_comparisons,
        oversized_blocks,
        oversized_records,
        match_prior: model.lambda,
        model: fields
            .iter()
            .enumerate()
            .map(|(f, spec)| FieldModel { field: spec.name.clone(), levels: DICE_LEVELS.to_vec(), m: model.m[f][1..].to_vec(), u: model.u[f][1..].to_vec() })
            .collect(),
        linking_pairs,
        vetoed_joins: vetoed,
        cross_force_persons: persons.len(),
        seconds,
    };
    Ok(HubResult { links, report })
}

/// The file name of a party's links: `links-FORCE.csv`, spaces as `-`.
pub fn links_file_name(force: &str) -> String {
    format!("links-{}.csv", force.replace(' ', "-"))
}

/// Writes each party's links to `dir/links-FORCE.csv`, and the report to `dir/summary.json`.
///
/// # Errors
///
/// [`ErrorKind::Io`] or [`ErrorKind::Csv`] naming the file that could not be written.
pub fn write_links(dir: &Path, parties: &[Encodings], result: &HubResult) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::new(ErrorKind::Io(e), Some(dir)))?;
    for (p, links) in parties.iter().zip(&result.links) {
        let path = dir.join(links_file_name(&p.force));
        let cerr = |e: csv::Error| Error::new(ErrorKind::Csv(e), Some(&path));
        let mut w = csv::Writer::from_path(&path).map_err(cerr)?;
        w.write_record(["pseudonym", "other_force", "other_pseudonym", "weight", "cross_force_person_id"]).map_err(cerr)?;
        for l in links {
            let weight = l.weight.map(|w| format!("{w:.3}")).unwrap_or_default();
            w.write_record([&l.pseudonym, &l.other_force, &l.other_pseudonym, &weight, &l.cross_force_person_id]).map_err(cerr)?;
        }
        w.flush().map_err(|e| Error::new(ErrorKind::Io(e), Some(&path)))?;
    }
    let path = dir.join("summary.json");
    let json = serde_json::to_string_pretty(&result.report).expect("report serialises");
    std::fs::write(&path, json + "\n").map_err(|e| Error::new(ErrorKind::Io(e), Some(&path)))?;
    Ok(())
}

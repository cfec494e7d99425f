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
//!    ([`DICE_LEVELS`]); a field either record lacks is no evidence either way. For a diffused
//!    field the bits the Bloom filters share are estimated from the bits in which their images
//!    differ ([`crate::encode::distance_table`]) and their sent set-bit counts. A diffused
//!    forename that looks far apart is lifted to [`NICKNAME_LEVEL`] when the records' keyed
//!    tokens say one nickname group or a short form ([`crate::encode::SHORT_FORM_TOKENS`]).
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

mod kernel;

/// Dice coefficients at or above which a field's comparison reaches levels 1, 2, …; below the
/// last is the last level plus one. Level 0 is "missing on either side".
pub const DICE_LEVELS: [f64; 7] = [0.95, 0.88, 0.8, 0.7, 0.6, 0.45, 0.3];
/// Levels beyond the Dice levels, for the forename and the date of birth: one record has an
/// initial (a partial date), and it agrees with the other's forename (full date), or it does
/// not.
pub const INITIAL_AGREES: usize = DICE_LEVELS.len() + 2;
/// See [`INITIAL_AGREES`].
pub const INITIAL_DIFFERS: usize = DICE_LEVELS.len() + 3;
const LEVELS: usize = DICE_LEVELS.len() + 4;
/// The level a diffused forename takes, at worst, when the two records share the keyed
/// blocking token "forename group + surname sound + birth year" (so their forenames are in one
/// nickname group): Dice ≥ 0.6, about where a plain Bloom filter with the nickname group's
/// tokens puts a nickname against its formal name (Lou/Louise 0.71, Steve/Stephen 0.60,
/// Bob/Robert 0.47).
pub const NICKNAME_LEVEL: usize = 5;
/// The blocking rule whose keyed token carries the forename's nickname group
/// ([`NICKNAME_LEVEL`]).
pub const NICKNAME_RULE: &str = "forename group + surname sound + birth year";
/// Tokens per record the hub reads for nicknames and short forms: the group token, then the
/// [`crate::encode::SHORT_FORM_TOKENS`].
const NICK: usize = 5;
/// [`DICE_LEVELS`] in thousandths, for comparisons in integers (Dice ≥ t ⟺
/// 2000·|A∩B| ≥ 1000t·(|A|+|B|)).
const DICE_MILLI: [u32; 7] = [950, 880, 800, 700, 600, 450, 300];

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
    /// Keep every scored pair in the result (for `--all-pairs`).
    pub keep_pairs: bool,
}

impl Default for HubOptions {
    fn default() -> HubOptions {
        HubOptions { max_block: 64, veto_weight: -10.0, u_sample: 1_000_000, seed: 42, keep_pairs: false }
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
    /// The per-field model of pairs across parties.
    pub model: Vec<FieldModel>,
    /// The prior of a pair inside one party.
    pub within_match_prior: f64,
    /// The per-field model of pairs inside one party.
    pub within_model: Vec<FieldModel>,
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

/// A candidate pair as scored: the records (party index, pseudonym), the level of each field
/// (0 missing; 1… the Dice levels; then initial or partial date agreeing, differing), the
/// weight, and whether a contradiction vetoed it.
#[derive(Clone, Debug)]
pub struct ScoredPair {
    /// First record: party index and pseudonym.
    pub a: (usize, String),
    /// Second record.
    pub b: (usize, String),
    /// Per field, its level.
    pub levels: Vec<u8>,
    /// log₂ odds.
    pub weight: f64,
    /// A contradiction vetoed it.
    pub vetoed: bool,
}

/// The hub's answer: per party (in the order given), its links; and the report.
#[derive(Clone, Debug)]
pub struct HubResult {
    /// Per party, the links that touch its records.
    pub links: Vec<Vec<Link>>,
    /// Every candidate pair scored, for the hub's own diagnosis (`--all-pairs`): never sent.
    pub pairs: Vec<ScoredPair>,
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
        return Err(Error::new(
            ErrorKind::Input(format!("{} encodings file given; the hub links two or more parties", parties.len())),
            None,
        ));
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
    /// The forename and surname fields, when they can be compared crosswise.
    swap: Option<(usize, usize)>,
    /// For a diffused forename field: the field, and per record (record-major, [`NICK`]
    /// each) its keyed token of the rule "forename group + surname sound + birth year" and its
    /// [`crate::encode::SHORT_FORM_TOKENS`] (0: none). Two records sharing the first have
    /// forenames of one nickname group; one whose whole-forename token is among the other's
    /// prefix tokens has a short form of the other's forename. The diffused filters show
    /// neither.
    nickname: Option<(usize, Vec<u64>)>,
    /// How each field is compared: where it lies in a record, Dice or overlap, its distance
    /// table when diffused, when a filter is partial (an initial, a partial date of birth).
    cmp: Vec<kernel::FieldCmp>,
    /// The diffused fields' tables, one after another: the estimated Bloom filter distance per
    /// count of differing output bits ([`crate::encode::distance_table`]).
    tables: Vec<f32>,
    /// Level thresholds packed for the default settings' fields ([`kernel::Rows`]; empty for
    /// other settings).
    rows: kernel::Rows,
    /// The compilation of the comparison kernel this CPU runs best.
    kernel: kernel::Kernel,
    /// Whether the fields are the default settings' (the kernel has code for each).
    shape: kernel::Shape,
    /// Record-major: each record's filters one after another (`stride` words), so that one
    /// pair's comparison reads two contiguous runs of memory, not twenty scattered ones.
    bits: Vec<u64>,
    stride: usize,
    /// Record-major too: each record's set-bit count per field (0 = field missing).
    pops: Vec<u16>,
    party: Vec<u16>,
    /// Each party's records, as a range of indices.
    ranges: Vec<(usize, usize)>,
    /// Each record's rank when the records are ordered by what they are, (force, pseudonym),
    /// not by where they sit: ties between pairs of equal weight are broken in this order, and
    /// the model's random pairs are drawn in it, so the same parties' files in any order (rows
    /// re-sorted, the parties named the other way round) link alike.
    rank: Vec<u32>,
    /// The record at each rank ([`Flat::rank`]'s inverse).
    at: Vec<u32>,
    /// Each party's records as a range of ranks: the parties ordered by force, each one's
    /// records by pseudonym.
    ranked_ranges: Vec<(usize, usize)>,
    /// The fields' names.
    names: Vec<String>,
}

impl Flat {
    fn new(parties: &[Encodings]) -> Flat {
        let words: Vec<usize> = parties[0].settings.fields.iter().map(crate::encode::FieldSpec::compared_words).collect();
        let specs = &parties[0].settings.fields;
        let n: usize = parties.iter().map(|p| p.records.len()).sum();
        let stride: usize = words.iter().sum();
        let offset: Vec<usize> = words
            .iter()
            .scan(0, |o, w| {
                let x = *o;
                *o += w;
                Some(x)
            })
            .collect();
        let mut bits: Vec<u64> = Vec::with_capacity(n * stride);
        let mut pops: Vec<u16> = Vec::with_capacity(n * words.len());
        let mut party = Vec::with_capacity(n);
        for (pi, p) in parties.iter().enumerate() {
            for r in &p.records {
                party.push(pi as u16);
                for (f, w) in words.iter().enumerate() {
                    match &r.filters[f] {
                        Some(x) => {
                            bits.extend_from_slice(&x[..*w]);
                            pops.push(specs[f].pop(x) as u16);
                        }
                        None => {
                            bits.extend(std::iter::repeat_n(0, *w));
                            pops.push(0);
                        }
                    }
                }
            }
        }
        let fields = &parties[0].settings.fields;
        let at = |n: &str| fields.iter().position(|f| f.name == n);
        let swap = at("forename").zip(at("surname")).filter(|&(a, b)| fields[a].bits == fields[b].bits);
        let initials = at("forename");
        let rules = &parties[0].settings.blocking_rules;
        let group_rule = rules.iter().position(|r| r == NICKNAME_RULE);
        let short = rules.iter().position(|r| r == crate::encode::SHORT_FORM_TOKENS[0]);
        let nickname = initials.filter(|&f| fields[f].diffusion > 0).zip(group_rule).map(|(f, g)| {
            let at = |x: &crate::encode::EncodedRecord, i: Option<usize>| i.and_then(|i| x.blocks.get(i).copied()).unwrap_or(0);
            let tokens = parties
                .iter()
                .flat_map(|p| p.records.iter())
                .flat_map(|x| (0..NICK).map(move |k| if k == 0 { at(x, Some(g)) } else { at(x, short.map(|s| s + k - 1)) }))
                .collect();
            (f, tokens)
        });
        let initial_bits = initials.map_or(0, |f| (3 * fields[f].k) as u16);
        let dob = at("dob");
        let partial_dob_bits = dob.map_or(0, |f| (6 * fields[f].k) as u16);
        let mut ranges = Vec::with_capacity(parties.len());
        let mut start = 0;
        for p in parties {
            ranges.push((start, start + p.records.len()));
            start += p.records.len();
        }
        let (rank, at, ranked_ranges) = record_order(parties, &ranges);
        let names = fields.iter().map(|f| f.name.clone()).collect();
        let mut tables = Vec::new();
        let cmp = fields
            .iter()
            .enumerate()
            .map(|(f, spec)| {
                let table = if spec.diffusion > 0 {
                    let t = crate::encode::distance_table(spec.bits, spec.diffusion, spec.compared_bits()).0;
                    tables.extend_from_slice(&t);
                    (tables.len() - t.len(), t.len())
                } else {
                    (0, 0)
                };
                let partial = if Some(f) == initials {
                    (initial_bits, 0)
                } else if Some(f) == dob {
                    (partial_dob_bits, partial_dob_bits)
                } else {
                    (0, 0)
                };
                kernel::FieldCmp {
                    off: offset[f],
                    words: words[f],
                    overlap: spec.measure == crate::encode::Measure::Overlap,
                    table,
                    partial,
                }
            })
            .collect::<Vec<_>>();
        let max_pop = pops.iter().copied().max().unwrap_or(0);
        let (shape, rows) = kernel::Shape::of(&cmp, &tables, max_pop);
        Flat {
            words,
            swap,
            nickname,
            cmp,
            tables,
            rows,
            kernel: kernel::Kernel::best(),
            shape,
            bits,
            stride,
            pops,
            party,
            ranges,
            rank,
            at,
            ranked_ranges,
            names,
        }
    }

    /// The pair `(a, b)` with its records in rank order ([`Flat::rank`]): a pair is compared,
    /// weighed and taken the same way round whatever the records' positions.
    fn oriented(&self, (a, b): (u32, u32)) -> (u32, u32) {
        if self.rank[a as usize] <= self.rank[b as usize] { (a, b) } else { (b, a) }
    }

    /// Record `a`'s set-bit count in field `f` (0: missing).
    #[inline]
    fn pop(&self, f: usize, a: usize) -> u16 {
        self.pops[a * self.words.len() + f]
    }
}

/// Every record's rank by (force, pseudonym), the record at each rank, and each party's range
/// of ranks ([`Flat::rank`]). Forces are distinct and a party's pseudonyms are too
/// ([`check_parties`]), so the order is total and compares the values themselves.
fn record_order(parties: &[Encodings], ranges: &[(usize, usize)]) -> (Vec<u32>, Vec<u32>, Vec<(usize, usize)>) {
    let n = ranges.last().map_or(0, |r| r.1);
    let mut by_force: Vec<usize> = (0..parties.len()).collect();
    by_force.sort_by(|&x, &y| parties[x].force.cmp(&parties[y].force));
    let mut at: Vec<u32> = Vec::with_capacity(n);
    let mut ranked_ranges = vec![(0, 0); parties.len()];
    for p in by_force {
        let (s, e) = ranges[p];
        let records = &parties[p].records;
        let mut own: Vec<u32> = (s as u32..e as u32).collect();
        own.par_sort_unstable_by(|&x, &y| records[x as usize - s].pseudonym.cmp(&records[y as usize - s].pseudonym));
        let start = at.len();
        at.extend(own);
        ranked_ranges[p] = (start, at.len());
    }
    let mut rank = vec![0u32; n];
    for (k, &i) in at.iter().enumerate() {
        rank[i as usize] = k as u32;
    }
    (rank, at, ranked_ranges)
}

fn level(pat: u64, f: usize) -> usize {
    ((pat >> (4 * f)) & 0xf) as usize
}

#[derive(Clone)]
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
                    "salted-forename" => x == c::FORENAME || x == c::SURNAME,
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

/// The m used where the encodings are too few to estimate it (and EM's starting point): per
/// level, how often the same person's two records show it — mostly near-identical, sometimes a
/// typo or nickname, rarely unrelated, an initial usually agreeing.
const DEFAULT_M: [f64; LEVELS] = [1.0, 0.35, 0.4, 0.1, 0.05, 0.03, 0.02, 0.015, 0.01, 0.02, 0.005];

/// The default m of a field people change (address, postcode, phone, e-mail, handles): the
/// same person's records often carry unrelated values (they moved; a new phone).
const DEFAULT_M_CHANGEABLE: [f64; LEVELS] = [1.0, 0.3, 0.25, 0.05, 0.03, 0.02, 0.02, 0.03, 0.28, 0.01, 0.01];

/// The fewest pairs an estimate of m is made from; below it, [`DEFAULT_M`] stands (EM on a
/// few dozen pairs of a force-sized export fits noise).
const MIN_SESSION_PAIRS: f64 = 200.0;

/// Which pairs a model is for: records of two parties, or of one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Within,
    Cross,
}

fn estimate(flat: &Flat, patterns: &[u64], agree: &[u64], masks: &[u32], opts: &HubOptions, kind: Kind) -> Model {
    let nf = flat.words.len();
    let n = flat.party.len();
    let within: f64 = flat.ranges.iter().map(|&(s, e)| (e - s) as f64 * (e - s).saturating_sub(1) as f64 / 2.0).sum();
    let all = n as f64 * n.saturating_sub(1) as f64 / 2.0;
    // u from random pairs: almost all are two different people.
    let samples = if n < 2 { 0 } else { opts.u_sample.min(n.saturating_mul(n - 1) / 2).max(1) };
    let chunks = 64;
    let counts: Vec<Vec<[f64; LEVELS]>> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let mut rng = conduct_resolve::model::SplitMix::from_state(opts.seed ^ (c as u64).wrapping_mul(0xA24B_AED4_963E_E407));
            let mut cnt = vec![[0.0; LEVELS]; nf];
            // Drawn as ranks, not positions ([`Flat::rank`]): the same records in any order
            // give the same pairs.
            for _ in 0..samples.div_ceil(chunks) {
                let a = flat.at[(rng.next_u64() % n as u64) as usize] as usize;
                let b = match kind {
                    Kind::Cross => flat.at[(rng.next_u64() % n as u64) as usize] as usize,
                    Kind::Within => {
                        let (s, e) = flat.ranked_ranges[flat.party[a] as usize];
                        flat.at[s + (rng.next_u64() % (e - s) as u64) as usize] as usize
                    }
                };
                if a == b || (kind == Kind::Cross && flat.party[a] == flat.party[b]) {
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
        for x in &mut uf[1..] {
            // Half a pair of smoothing: a level never seen between strangers is rare, not impossible.
            *x = (*x + 0.5) / (total + 0.5 * (LEVELS - 1) as f64);
        }
        uf[0] = 1.0;
    }
    // m by EM, u held, one session per blocking rule (as Splink trains): the pairs that agree
    // on the rule's key, with the rule's fields left out, give m for the other fields. A
    // field's m is the mean over the sessions that could see it.
    //
    // Sessions blocked on a national identifier (PNC id, NI number) come first where they
    // are large enough: relatives share surnames, addresses, postcodes and (twins) dates of
    // birth, so sessions blocked on those hold look-alike pairs that EM half counts as
    // matches, and "a different forename" then looks common among true matches. Identifiers
    // are not shared by relatives.
    let mut m_sum = vec![[0.0; LEVELS]; nf];
    let mut sessions = vec![0.0; nf];
    let mut id_sum = vec![[0.0; LEVELS]; nf];
    let mut id_sessions = vec![0.0; nf];
    for (r, &mask) in masks.iter().enumerate().take(64) {
        let by_identifier = RULES.get(r).is_some_and(|rule| {
            use conduct_resolve::compare::field as c;
            rule.fields.iter().all(|&x| x == c::PNC || x == c::NI)
        });
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
        if total < MIN_SESSION_PAIRS {
            continue;
        }
        // In the patterns' order, so that the sums are made alike on every run.
        let mut distinct: Vec<(u64, f64)> = distinct.into_iter().collect();
        distinct.sort_unstable_by_key(|d| d.0);
        let m = em(&distinct, &u, nf);
        for f in 0..nf {
            let seen: f64 = distinct.iter().filter(|(p, _)| level(*p, f) != 0).map(|d| d.1).sum();
            if mask & (1 << f) != 0 || seen < MIN_SESSION_PAIRS {
                continue;
            }
            sessions[f] += 1.0;
            for l in 1..LEVELS {
                m_sum[f][l] += m[f][l];
            }
            if by_identifier && seen >= 100.0 {
                id_sessions[f] += 1.0;
                for l in 1..LEVELS {
                    id_sum[f][l] += m[f][l];
                }
            }
        }
    }
    let m: Vec<[f64; LEVELS]> = (0..nf)
        .map(|f| {
            let mut row = [1.0; LEVELS];
            for l in 1..LEVELS {
                // A field no session could estimate (a force-sized export, or a field few records
                // have) takes the default: what true matches show in police data.
                row[l] = if id_sessions[f] > 0.0 {
                    id_sum[f][l] / id_sessions[f]
                } else if sessions[f] > 0.0 {
                    m_sum[f][l] / sessions[f]
                } else if matches!(flat.names[f].as_str(), "address" | "postcode" | "phone" | "email" | "handles") {
                    DEFAULT_M_CHANGEABLE[l]
                } else {
                    DEFAULT_M[l]
                };
            }
            row
        })
        .collect();
    // Refinement, leaving one group of related fields out at a time: m of a field is read off
    // the candidate pairs that the *other* groups alone make near-certain matches. EM's m
    // for a field is pulled toward the look-alike pairs the field itself helped to call
    // matches (across forces, "moved house" read as rare among matches when a third of true
    // cross-force pairs have moved); evidence from the other fields does not have that pull.
    let mut cand: HashMap<u64, f64> = HashMap::new();
    for p in patterns {
        *cand.entry(*p).or_default() += 1.0;
    }
    let mut cand: Vec<(u64, f64)> = cand.into_iter().collect();
    cand.sort_unstable_by_key(|c| c.0);
    let m = refine(&cand, &m, &u, nf, &groups(flat));
    // The prior is that of two records drawn at random, since every field's agreement now
    // counts as evidence: the expected matches among the candidates (blocking is taken to miss
    // few) over all pairs, found as a fixed point with m and u held.
    let lr: Vec<(f64, f64)> = cand
        .iter()
        .map(|&(pat, c)| ((0..nf).filter(|&f| level(pat, f) != 0).map(|f| (m[f][level(pat, f)] / u[f][level(pat, f)]).ln()).sum(), c))
        .collect();
    let all_pairs = match kind {
        Kind::Cross => all - within,
        Kind::Within => within,
    };
    let mut prior = (patterns.len() as f64 * 0.5 / all_pairs.max(1.0)).clamp(1e-15, 0.5);
    for _ in 0..200 {
        let odds = (prior / (1.0 - prior)).ln();
        let expected: f64 = lr.iter().map(|&(l, c)| c / (1.0 + (-(l + odds)).exp())).sum();
        let next = (expected / all_pairs.max(1.0)).clamp(1e-15, 0.5);
        let done = (next / prior - 1.0).abs() < 1e-6;
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

/// Groups of fields whose values go together (a name and its parts; an address and its
/// postcode; an e-mail and the handles, often built from the name): left out together.
fn groups(flat: &Flat) -> Vec<usize> {
    flat.names
        .iter()
        .map(|n| match n.as_str() {
            "forename" | "surname" | "name" | "email" | "handles" => 0,
            "address" | "postcode" => 1,
            "dob" => 2,
            "sex" => 3,
            "phone" => 4,
            "ids" => 5,
            _ => 6,
        })
        .collect()
}

/// `distinct`: the candidates' patterns, each with how many candidates show it, in the
/// patterns' order.
fn refine(distinct: &[(u64, f64)], m: &[[f64; LEVELS]], u: &[[f64; LEVELS]], nf: usize, group: &[usize]) -> Vec<[f64; LEVELS]> {
    let mut m = m.to_vec();
    for _ in 0..2 {
        let mut next = m.clone();
        // Only the fields that change over a life (address, postcode, phone): the personal ones
        // (names, date of birth, sex, identifiers) keep EM's estimate, since
        // relatives at one address would make "a different forename" or "a date far apart"
        // look common among matches.
        for f in (0..nf).filter(|&f| matches!(group[f], 1 | 4)) {
            let mut acc = [0.0; LEVELS];
            for &(pat, c) in distinct {
                let l = level(pat, f);
                if l == 0 {
                    continue;
                }
                // The other groups' evidence, without any prior: a pair must carry 20 bits
                // from them (odds of a million to one before the prior of ~1e-5).
                let other: f64 = (0..nf)
                    .filter(|&g| group[g] != group[f] && level(pat, g) != 0)
                    .map(|g| (m[g][level(pat, g)] / u[g][level(pat, g)]).log2())
                    .sum();
                if other >= 20.0 {
                    acc[l] += c;
                }
            }
            let total: f64 = acc[1..].iter().sum();
            if total >= MIN_SESSION_PAIRS {
                for l in 1..LEVELS {
                    next[f][l] = (acc[l] + 2.0 * m[f][l]) / (total + 2.0);
                }
            }
        }
        m = next;
    }
    m
}

/// EM for m with u held, over distinct patterns and their counts.
fn em(distinct: &[(u64, f64)], u: &[[f64; LEVELS]], nf: usize) -> Vec<[f64; LEVELS]> {
    let total: f64 = distinct.iter().map(|d| d.1).sum::<f64>().max(1.0);
    let start = DEFAULT_M;
    let mut m = vec![start; nf];
    let mut lambda: f64 = 0.3;
    for _ in 0..100 {
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
        if change < 1e-5 {
            break;
        }
    }
    m
}

/// Contradictions: levels that say two records are two people whatever else agrees, as
/// plaintext linkage has them ([`conduct_resolve::cluster`]): forenames that share almost
/// nothing (Dice below the last level's floor, neither an initial; a nickname shares its formal
/// name's group tokens), a different sex, dates of birth far apart. Twins (same surname, date of
/// birth and address) and parent and child at one address stay apart. A shared identifier (PNC
/// id or NI number at the top two levels) overrides.
struct Contradictions {
    forename: Option<usize>,
    sex: Option<usize>,
    dob: Option<usize>,
    ids: Option<usize>,
    /// Bits set in a forename filter below which it is an initial or a two-letter name.
    initial_bits: u16,
}

impl Contradictions {
    fn new(settings: &crate::encode::Settings, model: &Model) -> Contradictions {
        // As in plaintext linkage, a level vetoes only where the model itself says true matches
        // almost never show it: in a file where forenames are replaced by clerical error
        // (FEBRL), a different forename is common among matches and does not veto.
        let vetoes = |f: usize| model.w[f][DICE_LEVELS.len() + 1] <= conduct_resolve::cluster::VETO_WEIGHT;
        let at = |n: &str| settings.fields.iter().position(|f| f.name == n).filter(|&f| vetoes(f));
        let k = settings.fields.iter().find(|f| f.name == "forename").map_or(10, |f| f.k);
        let ids = settings.fields.iter().position(|f| f.name == "ids");
        Contradictions { forename: at("forename"), sex: at("sex"), dob: at("dob"), ids, initial_bits: (6 * k) as u16 }
    }

    fn between(&self, flat: &Flat, a: usize, b: usize, pat: u64) -> bool {
        let last = DICE_LEVELS.len() + 1;
        if self.ids.is_some_and(|f| matches!(level(pat, f), 1 | 2)) {
            return false;
        }
        let forename = self
            .forename
            .is_some_and(|f| level(pat, f) == last && flat.pop(f, a) >= self.initial_bits && flat.pop(f, b) >= self.initial_bits);
        forename || self.sex.is_some_and(|f| level(pat, f) == last) || self.dob.is_some_and(|f| level(pat, f) == last)
    }
}

/// Term frequencies of whole names, from the keyed "forename + surname" blocking token: two
/// records that share it have the same name, and how many records share it says how common
/// the name is. An agreement on a common name is weaker evidence than on a rare one (as
/// Splink's term-frequency adjustments make it); the hub sees only the counts, never a name.
struct NameFrequencies {
    token: Vec<u64>,
    /// Per name token, the name's frequency (shrunk toward a typical name's).
    count: HashMap<u64, f64>,
    /// The name fields.
    fields: Vec<usize>,
}

impl NameFrequencies {
    fn new(parties: &[Encodings], flat: &Flat) -> NameFrequencies {
        let rules = &parties[0].settings.blocking_rules;
        let at = |name: &str| rules.iter().position(|r| r == name);
        let (name_rule, year_rule) = (at(RULES[0].name), at(RULES[1].name));
        let tokens = |rule: Option<usize>| -> Vec<u64> {
            parties.iter().flat_map(|p| p.records.iter().map(move |r| rule.and_then(|i| r.blocks.get(i).copied()).unwrap_or(0))).collect()
        };
        let token = tokens(name_rule);
        let year = tokens(year_rule);
        // Per name: its records, and its people (records collapsed on name and birth year, as
        // plaintext linkage collapses on identity), so one victim's 125 reports do not make her
        // name common.
        let mut records_with: HashMap<u64, u32> = HashMap::new();
        let mut identities: HashSet<(u64, u64)> = HashSet::new();
        for (&t, &y) in token.iter().zip(&year) {
            if t != 0 {
                *records_with.entry(t).or_default() += 1;
                identities.insert((t, y));
            }
        }
        // A record without a birth year joins the name's dated identities (or is one person
        // when none is dated).
        let mut people_with: HashMap<u64, u32> = HashMap::new();
        for &(t, y) in &identities {
            if y != 0 {
                *people_with.entry(t).or_default() += 1;
            }
        }
        let named: u32 = records_with.values().sum();
        let people = (identities.len() as f64).max(1.0) * flat.party.len() as f64 / f64::from(named.max(1));
        let [rf, rs] = conduct_resolve::model::reference_frequencies();
        let count = records_with
            .iter()
            .map(|(&t, &r)| {
                let p = f64::from(people_with.get(&t).copied().unwrap_or(1).max(1));
                (t, conduct_resolve::model::shrunk_frequency(f64::from(r), p, flat.party.len() as f64, people, rf * rs))
            })
            .collect();
        let fields = parties[0]
            .settings
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| matches!(f.name.as_str(), "name" | "forename" | "surname"))
            .map(|(i, _)| i)
            .collect();
        NameFrequencies { token, count, fields }
    }

    /// What to add to a pair's weight: when both records carry the same name token, the name
    /// fields' evidence becomes log₂(m / max(u, share of records with that name)).
    fn adjustment(&self, model: &Model, a: u32, b: u32, pat: u64) -> f64 {
        let (ta, tb) = (self.token[a as usize], self.token[b as usize]);
        if ta == 0 || ta != tb || self.fields.is_empty() {
            return 0.0;
        }
        let share = self.count.get(&ta).copied().unwrap_or(0.0);
        let (mut m, mut u) = (1.0, 1.0);
        for &f in &self.fields {
            let l = level(pat, f);
            if l == 0 {
                return 0.0;
            }
            m *= model.m[f][l];
            u *= model.u[f][l];
        }
        if share <= u {
            return 0.0;
        }
        (m / share).log2() - (m / u).log2()
    }
}

/// Candidate pairs by the keyed blocking tokens, each once; and the blocks set aside.
fn candidates(parties: &[Encodings], opts: &HubOptions) -> (Vec<(u32, u32)>, Vec<u64>, u64, u64) {
    let blocks: Vec<&[u64]> = parties.iter().flat_map(|p| p.records.iter().map(|r| r.blocks.as_slice())).collect();
    // The blocking rules' tokens; the short-form tokens after them are read, not blocked on.
    let rules = parties[0].settings.blocking_rules.len().min(RULES.len());
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
    // Each pair the same way round whatever the records' positions.
    let mut pairs = pairs;
    pairs.par_iter_mut().for_each(|p| *p = flat.oriented(*p));
    seconds.push(("laying out".to_string(), t.elapsed().as_secs_f64()));
    let t = std::time::Instant::now();
    let mut scored: Vec<(u64, u32)> = vec![(0, 0); pairs.len()];
    scored.par_chunks_mut(4096).zip(pairs.par_chunks(4096)).for_each(|(out, batch)| {
        let mut out = out.iter_mut();
        flat.each(batch.iter().map(|&(a, b)| (a as usize, b as usize)), |r| *out.next().expect("one result per pair") = r);
    });
    let field_comparisons: u64 = scored.iter().map(|s| u64::from(s.1)).sum();
    seconds.push(("comparing".to_string(), t.elapsed().as_secs_f64()));
    let t = std::time::Instant::now();
    let patterns: Vec<u64> = scored.iter().map(|s| s.0).collect();
    let masks = rule_masks(&parties[0].settings);
    // Two models: pairs across parties, and pairs inside one. They differ: inside a force, the
    // same person's records mostly share an address; across forces the same person has
    // mostly moved, so "a different postcode" is common among true cross-force matches.
    let cross: Vec<bool> = pairs.iter().map(|&(a, b)| flat.party[a as usize] != flat.party[b as usize]).collect();
    let subset = |want: bool| -> (Vec<u64>, Vec<u64>) {
        patterns.iter().zip(&agree).zip(&cross).filter(|(_, c)| **c == want).map(|((p, a), _)| (*p, *a)).unzip()
    };
    let (cp, ca) = subset(true);
    let (wp, wa) = subset(false);
    // Each model from its own pairs; where one kind has none, the other's serves it. (Small
    // exports are handled inside: fewer than 200 pairs and the default m stands.)
    let (cross_model, within_model) = match (cp.is_empty(), wp.is_empty()) {
        (false, false) => (estimate(&flat, &cp, &ca, &masks, opts, Kind::Cross), estimate(&flat, &wp, &wa, &masks, opts, Kind::Within)),
        (true, false) => {
            let w = estimate(&flat, &wp, &wa, &masks, opts, Kind::Within);
            (w.clone(), w)
        }
        _ => {
            let c = estimate(&flat, &cp, &ca, &masks, opts, Kind::Cross);
            (c.clone(), c)
        }
    };
    let models = [within_model, cross_model];
    let tf = NameFrequencies::new(parties, &flat);
    let contra = [Contradictions::new(&parties[0].settings, &models[0]), Contradictions::new(&parties[0].settings, &models[1])];
    let weights: Vec<f64> = pairs
        .par_iter()
        .zip(&patterns)
        .zip(&cross)
        .map(|((&(a, b), p), &c)| {
            let model = &models[usize::from(c)];
            let w = model.weight(*p) + tf.adjustment(model, a, b, *p);
            // A contradiction weighs as a veto: the pair never links, and its two records
            // never join one person.
            if contra[usize::from(c)].between(&flat, a as usize, b as usize, *p) { w.min(opts.veto_weight - 1.0) } else { w }
        })
        .collect();
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
    // Strongest first; pairs of equal weight (father and son agree on all but the date of
    // birth) in the records' rank order, not their positions.
    let ranked = |i: usize| (flat.rank[pairs[i].0 as usize], flat.rank[pairs[i].1 as usize]);
    order.par_sort_unstable_by(|&x, &y| weights[y].total_cmp(&weights[x]).then(ranked(x).cmp(&ranked(y))));
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
    let offsets: Vec<usize> = parties
        .iter()
        .scan(0, |s, p| {
            let o = *s;
            *s += p.records.len();
            Some(o)
        })
        .collect();
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
        let key = m
            .iter()
            .map(|&x| {
                let (p, r) = record(x);
                (parties[p].force.clone(), r.pseudonym.clone())
            })
            .min()
            .expect("members");
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
                    weight: direct.get(&flat.oriented((x, y))).copied(),
                    cross_force_person_id: id.clone(),
                });
            }
            linked[px] += usize::from(any);
        }
    }
    for l in &mut links {
        l.sort_unstable_by(|a, b| {
            (&a.pseudonym, &a.other_force, &a.other_pseudonym).cmp(&(&b.pseudonym, &b.other_force, &b.other_pseudonym))
        });
    }
    seconds.push(("clustering".to_string(), t.elapsed().as_secs_f64()));
    let fields = &parties[0].settings.fields;
    let field_models = |m: &Model| -> Vec<FieldModel> {
        fields
            .iter()
            .enumerate()
            .map(|(f, spec)| FieldModel {
                field: spec.name.clone(),
                levels: DICE_LEVELS.to_vec(),
                m: m.m[f][1..].to_vec(),
                u: m.u[f][1..].to_vec(),
            })
            .collect()
    };
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
        match_prior: models[1].lambda,
        within_match_prior: models[0].lambda,
        within_model: field_models(&models[0]),
        model: fields
            .iter()
            .enumerate()
            .map(|(f, spec)| FieldModel {
                field: spec.name.clone(),
                levels: DICE_LEVELS.to_vec(),
                m: models[1].m[f][1..].to_vec(),
                u: models[1].u[f][1..].to_vec(),
            })
            .collect(),
        linking_pairs,
        vetoed_joins: vetoed,
        cross_force_persons: persons.len(),
        seconds,
    };
    let pairs = if opts.keep_pairs {
        // In the records' rank order, as the clustering reads them.
        let mut kept: Vec<usize> = (0..pairs.len()).collect();
        kept.par_sort_unstable_by_key(|&i| ranked(i));
        kept.iter()
            .map(|&i| (pairs[i], patterns[i], weights[i], cross[i]))
            .map(|((a, b), p, w, c)| {
                let (pa, ra) = record(a);
                let (pb, rb) = record(b);
                ScoredPair {
                    a: (pa, ra.pseudonym.clone()),
                    b: (pb, rb.pseudonym.clone()),
                    levels: (0..fields.len()).map(|f| level(p, f) as u8).collect(),
                    weight: w,
                    vetoed: contra[usize::from(c)].between(&flat, a as usize, b as usize, p),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(HubResult { links, pairs, report })
}

/// The comparison kernel's own rate, without the memory traffic of scattered candidate pairs:
/// every pair among the first `records` records of `encodings` (in memory, record-major, as the
/// hub holds them) is compared field by field, in parallel, with the kernel the hub would use
/// on this CPU. Returns the field similarities evaluated (fields both records have) and the
/// seconds taken. Used by `examples/comparison_rate.rs`; anonlink's published rates are
/// measured the same way.
pub fn comparison_rate(encodings: &Encodings, records: usize) -> (u64, f64) {
    comparison_rate_with(encodings, records, kernel::Kernel::best().name()).expect("the best kernel is available")
}

/// The compilations of the comparison kernel this CPU can run, slowest first: `portable`
/// always; on x86-64 `popcnt`, `avx2` and `avx512` (with VPOPCNTDQ) where the CPU has the
/// features. The hub runs the last.
pub fn comparison_kernels() -> Vec<&'static str> {
    kernel::Kernel::available().into_iter().map(kernel::Kernel::name).collect()
}

/// [`comparison_rate`] with the kernel named (one of [`comparison_kernels`]); `None` when this
/// CPU cannot run it.
pub fn comparison_rate_with(encodings: &Encodings, records: usize, kernel: &str) -> Option<(u64, f64)> {
    let kernel = kernel::Kernel::available().into_iter().find(|k| k.name() == kernel)?;
    let one = Encodings { records: encodings.records.iter().take(records).cloned().collect(), ..encodings.clone() };
    let mut flat = Flat::new(std::slice::from_ref(&one));
    flat.kernel = kernel;
    let n = one.records.len();
    let t = std::time::Instant::now();
    let evaluated: u64 = (0..n)
        .into_par_iter()
        .map(|a| {
            let mut sum = 0u64;
            let mut sink = 0u64;
            flat.each((a + 1..n).map(|b| (a, b)), |(p, c)| {
                sink ^= p;
                sum += u64::from(c);
            });
            std::hint::black_box(sink);
            sum
        })
        .sum();
    Some((evaluated, t.elapsed().as_secs_f64()))
}

/// The file name of a party's links: `links-FORCE.csv`, spaces as `-`.
pub fn links_file_name(force: &str) -> String {
    format!("links-{}.csv", force.replace(' ', "-"))
}

/// The file name of the reports a party receives: `reports-FORCE.csv`, spaces as `-`.
pub fn reports_file_name(force: &str) -> String {
    format!("reports-{}.csv", force.replace(' ', "-"))
}

/// Writes to `dir/reports-FORCE.csv`, for each party, what the other parties sent about the
/// reports of their records that are linked to this party's records (the records named in
/// its links file, and no other): `other_force, other_pseudonym, reference_pseudonym, role,
/// date, offence_codes`, one row per other record, in the order of the links. A party gets a
/// header-only file when no linked record's party sent reports. Returns the rows written per
/// party (in the order given).
///
/// # Errors
///
/// [`ErrorKind::Io`] or [`ErrorKind::Csv`] naming the file that could not be written.
pub fn write_reports(dir: &Path, parties: &[Encodings], result: &HubResult) -> Result<Vec<usize>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::new(ErrorKind::Io(e), Some(dir)))?;
    let index: HashMap<&str, usize> = parties.iter().enumerate().map(|(k, p)| (p.force.as_str(), k)).collect();
    let rows_of: Vec<HashMap<&str, usize>> =
        parties.iter().map(|p| p.records.iter().enumerate().map(|(i, r)| (r.pseudonym.as_str(), i)).collect()).collect();
    let mut written = Vec::with_capacity(parties.len());
    for (p, links) in parties.iter().zip(&result.links) {
        let path = dir.join(reports_file_name(&p.force));
        let cerr = |e: csv::Error| Error::new(ErrorKind::Csv(e), Some(&path));
        let mut w = csv::Writer::from_path(&path).map_err(cerr)?;
        w.write_record(["other_force", "other_pseudonym", "reference_pseudonym", "role", "date", "offence_codes"]).map_err(cerr)?;
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        let mut n = 0;
        for l in links {
            if !seen.insert((l.other_force.as_str(), l.other_pseudonym.as_str())) {
                continue;
            }
            let Some(&k) = index.get(l.other_force.as_str()) else { continue };
            let Some(&i) = rows_of[k].get(l.other_pseudonym.as_str()) else { continue };
            let Some(Some(f)) = parties[k].reports.get(i) else { continue };
            w.write_record([&l.other_force, &l.other_pseudonym, &f.reference, &f.role, &f.date, &f.offence_codes]).map_err(cerr)?;
            n += 1;
        }
        w.flush().map_err(|e| Error::new(ErrorKind::Io(e), Some(&path)))?;
        written.push(n);
    }
    Ok(written)
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
    if !result.pairs.is_empty() {
        let path = dir.join("pairs.csv");
        let cerr = |e: csv::Error| Error::new(ErrorKind::Csv(e), Some(&path));
        let mut w = csv::Writer::from_path(&path).map_err(cerr)?;
        let mut head: Vec<String> = ["force_a", "pseudonym_a", "force_b", "pseudonym_b", "weight", "vetoed"].map(String::from).to_vec();
        head.extend(parties[0].settings.fields.iter().map(|f| format!("level_{}", f.name)));
        w.write_record(&head).map_err(cerr)?;
        for p in &result.pairs {
            let mut row = vec![
                parties[p.a.0].force.clone(),
                p.a.1.clone(),
                parties[p.b.0].force.clone(),
                p.b.1.clone(),
                format!("{:.3}", p.weight),
                p.vetoed.to_string(),
            ];
            row.extend(p.levels.iter().map(u8::to_string));
            w.write_record(&row).map_err(cerr)?;
        }
        w.flush().map_err(|e| Error::new(ErrorKind::Io(e), Some(&path)))?;
    }
    let path = dir.join("summary.json");
    let json = serde_json::to_string_pretty(&result.report).expect("report serialises");
    std::fs::write(&path, json + "\n").map_err(|e| Error::new(ErrorKind::Io(e), Some(&path)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use crate::encode::{Encoder, Hardening};
    use conduct_resolve::normalise::{Dob, Features, Nicknames, hash_str, phonetic_key};

    fn person(nick: &Nicknames, forename: &str, surname: &str, year: u16) -> Features {
        Features {
            forename: forename.into(),
            forename_h: hash_str(forename),
            forename_group: hash_str(nick.group_of(forename)),
            forename_phon: hash_str(&phonetic_key(forename)),
            surname: surname.into(),
            surname_h: hash_str(surname),
            surname_phon: hash_str(&phonetic_key(surname)),
            dob: Dob { year, month: 4, day: 12 },
            // One postcode, so that every pair is a candidate (surname sound + postcode).
            pc_unit: hash_str("wa71nx"),
            ..Features::default()
        }
    }

    /// The levels the hub gives the forenames of two parties' records: Cheshire's `a`
    /// against Merseyside's `b`, for each hardening.
    fn forename_level(hardening: Hardening, a: &Features, b: &Features) -> (u8, bool) {
        let secret = Secret::from_bytes(b"0123456789abcdef0123".to_vec()).unwrap();
        let party = |force: &str, f: &Features| {
            let e = Encoder::new(hardening, &secret, None, force);
            Encodings {
                path: format!("{force}.parquet").into(),
                force: force.into(),
                settings: e.settings().clone(),
                records: vec![e.encode_features(f, format!("{force}-1"))],
                reports: Vec::new(),
            }
        };
        let opts = HubOptions { keep_pairs: true, u_sample: 10, ..HubOptions::default() };
        let r = link_parties(&[party("Cheshire", a), party("Merseyside", b)], &opts).unwrap();
        let p = r.pairs.first().expect("the pair is a candidate");
        (p.levels[0], p.vetoed)
    }

    #[test]
    fn the_nickname_rule_is_this_versions_and_keyed_on_the_forename_group() {
        let rule = RULES.iter().find(|r| r.name == NICKNAME_RULE).expect("the rule exists");
        let nick = Nicknames::builtin();
        let (bob, robert, lucy) = (
            person(&nick, "bob", "hargreaves", 1988),
            person(&nick, "robert", "hargreaves", 1988),
            person(&nick, "lucy", "hargreaves", 1988),
        );
        assert_eq!((rule.key)(&bob), (rule.key)(&robert));
        assert_ne!((rule.key)(&bob), (rule.key)(&lucy));
    }

    #[test]
    fn a_diffused_nickname_or_short_form_agrees_through_the_keyed_tokens_and_is_not_vetoed() {
        let nick = Nicknames::builtin();
        let p = |f: &str| person(&nick, f, "hargreaves", 1988);
        // Diffused (the default): the filters alone put these far apart; the group token (Bob,
        // Robert) or the short-form tokens (Lou, Louise: not one group in the table) lift the
        // forename to the nickname level.
        for (a, b) in [("bob", "robert"), ("lou", "louise"), ("louise", "lou"), ("chris", "christopher")] {
            let (level, vetoed) = forename_level(Hardening::Default, &p(a), &p(b));
            // Chris and Christopher share enough letter pairs to be near without the tokens.
            assert!(usize::from(level) == NICKNAME_LEVEL || (a == "chris" && usize::from(level) < NICKNAME_LEVEL), "{a}/{b}: {level}");
            assert!(!vetoed, "{a}/{b}");
        }
        // Another forename, same surname and year; or a short form of another person's
        // surname or year: no token in common, the forenames stay far apart.
        for (a, b) in [(p("lucy"), p("louise")), (p("amy"), p("louise")), (p("lou"), person(&nick, "louise", "hargreaves", 1990))] {
            let (level, _) = forename_level(Hardening::Default, &a, &b);
            assert!(usize::from(level) > NICKNAME_LEVEL, "{} {}: {level}", a.forename, b.forename);
        }
        // The flips alone keep letter pairs and the group's tokens in the filter, where the
        // hub reads them; they send no short-form tokens.
        let (level, vetoed) = forename_level(Hardening::Flips, &p("bob"), &p("robert"));
        assert!(usize::from(level) <= DICE_LEVELS.len() && !vetoed, "{level}");
        let secret = Secret::from_bytes(b"0123456789abcdef0123".to_vec()).unwrap();
        assert_eq!(Encoder::new(Hardening::Flips, &secret, None, "Kent").settings().blocking_rules.len(), RULES.len());
    }
}

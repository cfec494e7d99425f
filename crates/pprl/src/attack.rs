//! A re-identification attack on encodings, the way the literature mounts it: frequency
//! alignment of bit patterns with a plaintext population the attacker holds (Kuzu et al.
//! 2011; Christen et al. 2017, 2018), without the secret.
//!
//! The attacker holds one party's encodings file and a plaintext population that overlaps it
//! (for the evaluation, the synthetic world's people file). It knows the encoding scheme
//! (Kerckhoffs): which tokens each field is cut into, the filter sizes and `k` (both are in
//! the file's settings), and that forename and surname share a key. Per attacked field
//! (forename, surname, date of birth):
//!
//! 1. **Patterns.** The field's filters are grouped and counted: identical patterns
//!    ([`Variant::Plain`]), or, against per-record bit flips, near-identical ones
//!    ([`Variant::Clustered`]): records sharing a blocking token that implies the field's value
//!    (the keyed full-name token; surname sound + date of birth) are merged into a majority
//!    pattern (flips are independent per record, so the majority removes them), such patterns
//!    within Dice 0.9 of each other are one, and every record counts for its nearest pattern
//!    at Dice ≥ 0.8.
//! 2. **Values.** The population's distinct normalised values of the field, counted.
//! 3. **Alignment.** The most frequent patterns are paired, one to one, with values of a
//!    similar relative frequency whose tokens would set about as many bits as the pattern has
//!    (the literature's length constraint); `align` pairs per field. Forename and surname,
//!    encoded with one key, pool their pairs.
//! 4. **Decoding by anchors.** The aligned pairs are anchors: a filter of value `v` shares with
//!    an anchor's pattern about `k` bits per token `v` shares with the anchor's value, plus
//!    what chance gives. Each filter decodes to the value that best explains its overlaps
//!    with all anchors and its own popcount (about minus the log-likelihood, plus minus the
//!    log of the value's population share); confident when clearly better than the next.
//!    The token-to-bit map is never computed: the overlaps carry it (a graph-matching attack
//!    in the manner of Vidanage et al. 2019, seeded by frequency alignment).
//! 5. **Refinement.** The confident decodings, one per value, most frequent first, become the
//!    next round's anchors (`anchors` per field), `rounds` times.
//! 6. **Dates of birth through names.** A record whose forename and surname are decoded is
//!    looked up in the population: it takes the date of birth of the person of that name whose
//!    date best fits its date-of-birth filter (anchored by the records whose decoded name only
//!    one person has). A recovered name is a recovered date wherever the name is rare.
//!
//! Against diffused filters (the default hardening, `--hardening diffused`) the attack reads
//! what the hub reads: the images' overlaps, whose expectation it derives from the Bloom
//! overlap it expects (an image bit is the parity of `t` Bloom bits), with their binomial
//! variance; clusters are formed and compared by the hub's estimated Dice; a cluster's set-bit
//! count is its records' median less what the flips add.
//!
//! It reads the short-form tokens ([`crate::encode::SHORT_FORM_TOKENS`]) the default encoding
//! sends, as anyone holding the file can (`ShortForms`): which of them a record has gives its
//! forename's length away (3, 4, 5, or 6 letters or more), so decoding keeps to values of that
//! length; and records sharing a token share the forename, or its first 3, 4 or 5 letters, so a
//! record decoded with confidence tells the others theirs (`--without-short-forms` measures
//! what they add).
//!
//! Scoring ([`score`]) compares decoded values with the records' true values; the attack
//! itself never sees them.

use std::collections::HashMap;

use conduct_resolve::normalise::{Features, Nicknames};
use rayon::prelude::*;
use serde::Serialize;

use crate::encode::{Comparer, Encoder, SHORT_FORM_TOKENS};
use crate::file::Encodings;
use crate::{Error, ErrorKind, Hardening, Secret};

/// How patterns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// Identical patterns grouped and counted.
    Plain,
    /// Near-identical patterns clustered (within blocking-token groups first) before counting.
    Clustered,
}

impl Variant {
    /// The variant's name.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Clustered => "clustered",
        }
    }
}

/// The attack's options.
#[derive(Clone, Debug)]
pub struct AttackOptions {
    /// How patterns are counted.
    pub variant: Variant,
    /// Patterns and values aligned by rank in the first round.
    pub align: usize,
    /// Refinement rounds after the first.
    pub rounds: usize,
    /// Anchors per field taken from one round's confident decodings into the next.
    pub anchors: usize,
    /// Population dates of birth considered in decoding (the most frequent; names are not
    /// capped, their popcount narrows the candidates).
    pub max_dob_values: usize,
    /// How much likelier (in log units) the best value must be than the next for a
    /// decoding to be confident.
    pub margin: f32,
    /// Read the short-form tokens where the file has them (`ShortForms` in this module).
    pub short_forms: bool,
}

impl Default for AttackOptions {
    fn default() -> AttackOptions {
        AttackOptions { variant: Variant::Plain, align: 10, rounds: 3, anchors: 150, max_dob_values: 3000, margin: 3.0, short_forms: true }
    }
}

/// The fields attacked.
pub const FIELDS: [&str; 3] = ["forename", "surname", "dob"];

/// What the attack made of one field.
#[derive(Clone, Debug, Serialize)]
pub struct FieldAttack {
    /// The field.
    pub field: String,
    /// Distinct patterns (or clusters) counted.
    pub patterns: usize,
    /// Distinct values in the population.
    pub values: usize,
    /// Pairs aligned by rank in the first round.
    pub aligned: usize,
    /// Per round: anchors (aligned pairs) in the field's key space, records decoded, and
    /// records decoded with confidence (whence the next round's anchors).
    pub rounds: Vec<[usize; 3]>,
    /// Per record (file order), the decoded value.
    #[serde(skip)]
    pub decoded: Vec<Option<String>>,
    /// Date of birth: records decoded through their decoded full names (looked up in the
    /// population), and the anchors those names gave.
    #[serde(skip_serializing_if = "is_zero")]
    pub through_names: usize,
    /// See `through_names`.
    #[serde(skip_serializing_if = "is_zero")]
    pub name_anchors: usize,
    /// Forename: records decoded in the last round through what the short-form tokens tell
    /// (the forename, or a prefix of it, of a record sharing the token), beyond the anchors.
    #[serde(skip_serializing_if = "is_zero")]
    pub through_short_forms: usize,
}

/// The attack's result.
#[derive(Clone, Debug, Serialize)]
pub struct Attack {
    /// The variant run.
    pub variant: Variant,
    /// Per attacked field.
    pub fields: Vec<FieldAttack>,
}

/// A field's value as the attack names it (and [`score`] compares it): the normalised name,
/// or the date as `YYYY-MM-DD` with zeros for missing parts; `None` when missing.
pub fn value_of(field: &str, f: &Features) -> Option<String> {
    let v = match field {
        "forename" => f.forename.to_string(),
        "surname" => f.surname.to_string(),
        "dob" if f.dob.year != 0 => format!("{:04}-{:02}-{:02}", f.dob.year, f.dob.month, f.dob.day),
        _ => String::new(),
    };
    (!v.is_empty()).then_some(v)
}

type Bits = Vec<u64>;

fn is_zero(x: &usize) -> bool {
    *x == 0
}

/// A key space: the tokens ("units") of one key, with how many tokens each stands for.
#[derive(Default)]
struct Space {
    index: HashMap<Vec<u8>, usize>,
    mult: Vec<u32>,
}

impl Space {
    fn unit(&mut self, key: Vec<u8>, mult: u32) -> usize {
        let n = self.index.len();
        *self.index.entry(key).or_insert_with(|| {
            self.mult.push(mult);
            n
        })
    }
}

/// A population value of one field.
struct Value {
    value: String,
    count: usize,
    units: Vec<usize>,
}

/// The units of one field's value: its tokens, the forename's three nickname-group tokens as
/// one unit (they always occur together).
fn units_of(encoder: &Encoder, field: usize, is_forename: bool, f: &Features, space: &mut Space) -> Vec<usize> {
    let tokens = encoder.tokens(f).swap_remove(field);
    let mut out: Vec<usize> = Vec::new();
    let mut nick: Option<Vec<u8>> = None;
    for t in tokens {
        if is_forename && matches!(t.first(), Some(b'g' | b'h' | b'j')) {
            nick.get_or_insert_with(|| [b"N".as_slice(), &t[1..]].concat());
            continue;
        }
        out.push(space.unit(t, 1));
    }
    if let Some(n) = nick {
        out.push(space.unit(n, 3));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Counted patterns of one field: (pattern, count), most frequent first.
fn patterns(enc: &Encodings, field: usize, rule: Option<usize>, variant: Variant, cmp: &Comparer) -> Vec<(Bits, usize)> {
    let spec = &enc.settings.fields[field];
    let cw = spec.compared_words();
    let flip = f64::from(enc.settings.flips_per_10k) / 10_000.0;
    let filters: Vec<&Bits> = enc.records.iter().filter_map(|r| r.filters[field].as_ref()).collect();
    let mut out: Vec<(Bits, usize)> = match (variant, rule) {
        (Variant::Clustered, Some(rule)) => {
            // Majority patterns of records sharing the blocking token.
            let mut groups: HashMap<u64, Vec<&Bits>> = HashMap::new();
            for r in &enc.records {
                if let (Some(f), Some(&t)) = (&r.filters[field], r.blocks.get(rule))
                    && t != 0
                {
                    groups.entry(t).or_default().push(f);
                }
            }
            let mut seeds: Vec<(Bits, usize)> = groups
                .values()
                .filter(|g| g.len() >= 2)
                .map(|g| {
                    let words = g[0].len();
                    let mut m = vec![0u64; words];
                    for bit in 0..cw * 64 {
                        let n = g.iter().filter(|f| f[bit / 64] >> (bit % 64) & 1 == 1).count();
                        if n * 2 > g.len() {
                            m[bit / 64] |= 1 << (bit % 64);
                        }
                    }
                    // A diffused filter's set-bit count: the group's median, less what the
                    // flips add (the majority image has none).
                    if words > cw {
                        let mut pops: Vec<u64> = g.iter().map(|f| f[cw]).collect();
                        pops.sort_unstable();
                        let (median, bits) = (pops[pops.len() / 2] as f64, f64::from(spec.bits));
                        m[cw] = ((median - bits * flip) / (1.0 - 2.0 * flip)).round().max(1.0) as u64;
                    }
                    (m, g.len())
                })
                .filter(|(m, _)| cmp.pop(m) > 0)
                .collect();
            seeds.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let mut kept: Vec<Bits> = Vec::new();
            for (s, _) in seeds {
                if !kept.iter().any(|k| cmp.dice(k, &s) >= 0.9) {
                    kept.push(s);
                }
            }
            // Every record counts for its nearest pattern.
            let nearest: Vec<Option<usize>> = filters
                .par_iter()
                .map(|f| {
                    let mut best = (0.8, None);
                    for (i, k) in kept.iter().enumerate() {
                        let d = cmp.dice(k, f);
                        if d >= best.0 {
                            best = (d, Some(i));
                        }
                    }
                    best.1
                })
                .collect();
            let mut counts = vec![0usize; kept.len()];
            for i in nearest.into_iter().flatten() {
                counts[i] += 1;
            }
            kept.into_iter().zip(counts).filter(|(_, c)| *c > 0).collect()
        }
        _ => {
            let mut counts: HashMap<&Bits, usize> = HashMap::new();
            for f in &filters {
                *counts.entry(f).or_default() += 1;
            }
            counts.into_iter().map(|(b, c)| (b.clone(), c)).collect()
        }
    };
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// A decoded filter: the value, and whether the decoding is confident.
#[derive(Clone, Copy)]
struct Decoded {
    value: usize,
    confident: bool,
}

/// What decoding needs of a field's encoding: bits per token, filter length, flip rate, and the
/// confidence margin.
#[derive(Clone, Copy)]
struct Scheme {
    k: u32,
    m: u32,
    flip: f64,
    margin: f32,
}

/// Shared token weight of two sorted unit lists.
fn shared(a: &[usize], b: &[usize], mult: &[u32]) -> u32 {
    let (mut i, mut j, mut s) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += mult[a[i]];
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// What decoding a field needs in one round: the anchors (aligned pattern ↔ value pairs), and
/// how a filter of a given value is expected to overlap them. A filter of value `v` shares with
/// an anchor's pattern about `k` bits per token `v` shares with the anchor's value, plus what
/// chance gives.
struct Fit<'a> {
    mult: &'a [u32],
    anchors: &'a [(&'a [u64], &'a [usize])],
    /// The anchors' set-bit counts.
    ba: Vec<f64>,
    scheme: Scheme,
    diffused: Option<(u32, u32)>,
    /// Tolerance on a value's expected set-bit count, and the variance of it.
    tol: f32,
    len_var: f32,
    /// Records the population counts (for the prior).
    total: usize,
}

impl<'a> Fit<'a> {
    fn new(values: &[Value], mult: &'a [u32], anchors: &'a [(&'a [u64], &'a [usize])], scheme: Scheme, cmp: &Comparer) -> Fit<'a> {
        let mf = f64::from(scheme.m);
        Fit {
            mult,
            anchors,
            ba: anchors.iter().map(|(p, _)| f64::from(cmp.pop(p))).collect(),
            scheme,
            diffused: cmp.diffusion(),
            tol: 4.0 + 2.0 * (mf * scheme.flip) as f32,
            len_var: 3.0 + 2.0 * (mf * scheme.flip) as f32,
            total: values.iter().map(|v| v.count).sum(),
        }
    }

    /// The set-bit count a filter of a value with these units is expected to have (after flips).
    fn expected_len(&self, units: &[usize]) -> f32 {
        let Scheme { k, m, flip, .. } = self.scheme;
        let mf = f64::from(m);
        let b = mf * (1.0 - (1.0 - 1.0 / mf).powf(f64::from(k * units.iter().map(|&u| self.mult[u]).sum::<u32>())));
        (b + (mf - b) * flip - b * flip) as f32
    }

    /// Minus the log of the value's share of the population: the prior.
    fn prior(&self, v: &Value) -> f32 {
        (self.total as f32 / v.count as f32).ln()
    }

    /// A filter of a value with these `units` (expected set-bit count `bv`): its expected
    /// overlap with each anchor and the variance of it. For a diffused field the overlap read
    /// is that of the images (bits set in both), whose expectation follows from the Bloom
    /// filters' expected overlap c and set-bit counts a, b: an image bit is the parity of its
    /// t inputs, so P(both set) = (1 − (1−2a/m)^t − (1−2b/m)^t + (1−2(a+b−2c)/m)^t) / 4.
    fn expect<'s>(&'s self, units: &'s [usize], bv: f32) -> impl Iterator<Item = (f32, f32)> + 's {
        let Scheme { k, m, flip, .. } = self.scheme;
        let mf = f64::from(m);
        let mult = self.mult;
        let diffused = self.diffused;
        self.anchors.iter().zip(&self.ba).map(move |((_, au), &b)| {
            let ks = f64::from(k * shared(units, au, mult)).min(f64::from(bv)).min(b);
            let chance = (f64::from(bv) - ks).max(0.0) * (b - ks).max(0.0) / mf;
            let c = ks * (1.0 - 2.0 * flip) + chance;
            match diffused {
                None => (c as f32, (c + 2.0) as f32),
                Some((t, l)) => {
                    let a = f64::from(bv);
                    let parity = |x: f64| (1.0 - 2.0 * x / mf).max(-1.0).powi(t as i32);
                    let q = ((1.0 - parity(a) - parity(b) + parity(a + b - 2.0 * c)) / 4.0).clamp(0.0, 1.0);
                    let l = f64::from(l);
                    ((q * l) as f32, (q * (1.0 - q) * l + 2.0) as f32)
                }
            }
        })
    }

    /// Bits a filter shares with each anchor: counted, or for diffused filters estimated.
    fn observe(&self, f: &[u64], cmp: &Comparer) -> Vec<f32> {
        self.anchors.iter().map(|(p, _)| cmp.overlap(p, f) as f32).collect()
    }

    /// About minus the log-likelihood of a filter with set-bit count `b` and anchor overlaps
    /// `obs` being of a value with these expected overlaps, expected set-bit count and prior:
    /// overlaps as Poisson-like counts, the popcount as normal around its expectation.
    fn distance(&self, obs: &[f32], expect: impl Iterator<Item = (f32, f32)>, b: f32, len: f32, prior: f32) -> f32 {
        let mut d = 0f32;
        for (o, (x, var)) in obs.iter().zip(expect) {
            d += (o - x) * (o - x) / var;
        }
        let dl = len - b;
        0.5 * d + 0.5 * dl * dl / self.len_var + prior
    }
}

/// The forename length classes the short-form tokens tell, per filter and per population value
/// ([`ShortForms`]).
type Told<'a> = (&'a [Option<u8>], &'a [Option<u8>]);

/// Decodes filters by their overlaps with the anchors ([`Fit`]): the value whose expected
/// overlaps are nearest the observed ones (among values whose tokens would set about as many
/// bits as the filter has, and, where the short-form tokens tell a forename's length
/// (`told`: per filter, per value), of that length) is the decoding. Confident when clearly
/// nearer than the next value.
fn match_anchors(
    values: &[Value],
    mult: &[u32],
    filters: &[&[u64]],
    anchors: &[(&[u64], &[usize])],
    field: Scheme,
    cmp: &Comparer,
    told: Option<Told<'_>>,
) -> Vec<Option<Decoded>> {
    if anchors.is_empty() {
        return vec![None; filters.len()];
    }
    let fit = Fit::new(values, mult, anchors, field, cmp);
    // Values by expected popcount (after flips).
    let mut by_len: Vec<(f32, usize)> = values.iter().enumerate().map(|(i, v)| (fit.expected_len(&v.units), i)).collect();
    by_len.sort_by(|a, b| a.0.total_cmp(&b.0));
    let na = anchors.len();
    // Expected overlaps and their variances, value-major.
    let expect: Vec<(f32, f32)> = by_len.par_iter().flat_map_iter(|&(bv, v)| fit.expect(&values[v].units, bv)).collect();
    let lens: Vec<f32> = by_len.iter().map(|x| x.0).collect();
    let prior: Vec<f32> = by_len.iter().map(|&(_, v)| fit.prior(&values[v])).collect();
    let told_of = |i: usize| told.and_then(|(f, _)| f[i]);
    let mut cache: HashMap<(&[u64], Option<u8>), Option<Decoded>> = HashMap::new();
    let distinct: Vec<(&[u64], Option<u8>)> =
        filters.iter().enumerate().map(|(i, f)| (*f, told_of(i))).filter(|key| cache.insert(*key, None).is_none()).collect();
    let out: Vec<Option<Decoded>> = distinct
        .par_iter()
        .with_min_len(16)
        .map(|&(f, letters)| {
            let b = cmp.pop(f) as f32;
            // Bits shared with each anchor (a saturated comparison tells nothing and weighs
            // nothing).
            let obs = fit.observe(f, cmp);
            let lo = lens.partition_point(|&l| l < b - fit.tol);
            let hi = lens.partition_point(|&l| l <= b + fit.tol);
            let mut best = (f32::MAX, 0usize, usize::MAX);
            let mut second = f32::MAX;
            for j in lo..hi {
                let v = by_len[j].1;
                if let (Some(n), Some((_, of_value))) = (letters, told)
                    && of_value[v] != Some(n)
                {
                    continue;
                }
                let d = fit.distance(&obs, expect[j * na..(j + 1) * na].iter().copied(), b, lens[j], prior[j]);
                let count = values[v].count;
                if d < best.0 || (d == best.0 && count > best.1) {
                    second = second.min(best.0);
                    best = (d, count, v);
                } else {
                    second = second.min(d);
                }
            }
            (best.2 != usize::MAX).then_some(Decoded { value: best.2, confident: second - best.0 >= field.margin })
        })
        .collect();
    for (key, d) in distinct.iter().zip(out) {
        cache.insert(*key, d);
    }
    filters.iter().enumerate().map(|(i, f)| cache[&(*f, told_of(i))]).collect()
}

/// Where the file's blocking tokens hold the [`SHORT_FORM_TOKENS`] (whole forename, its first
/// 3, 4 and 5 letters; each with the surname's sound and the birth year), when it has them.
fn short_form_rules(enc: &Encodings) -> Option<[usize; 4]> {
    let mut out = [0; 4];
    for (o, name) in out.iter_mut().zip(SHORT_FORM_TOKENS) {
        *o = enc.settings.blocking_rules.iter().position(|r| r == name)?;
    }
    Some(out)
}

/// A forename's length class as the short-form tokens give it away: 3, 4 or 5 letters, or 6
/// for six or more; `None` for a value of fewer than 3 letters (it has no token).
fn letters_class(forename: &str) -> Option<u8> {
    let n = forename.chars().count();
    (n >= 3).then(|| n.min(6) as u8)
}

/// The first `k` letters of `s` (all of it when shorter).
fn first_letters(s: &str, k: usize) -> &str {
    s.char_indices().nth(k).map_or(s, |(i, _)| &s[..i])
}

/// What the short-form tokens ([`SHORT_FORM_TOKENS`]) tell an attacker holding the file,
/// without the key:
/// - **which ones a record has** gives its forename's length away: the whole-forename token
///   alone is a name of 3 letters; with the 3-letter prefix, 4; with the 3- and 4-letter
///   prefixes, 5; the three prefixes without the whole token, 6 or more. Decoding keeps to
///   values of that length ([`match_anchors`]).
/// - **records sharing a token** share the string under it (with the surname's sound and the
///   birth year): once one of them is decoded, the others' forename, or its first 3, 4 or 5
///   letters, is known, and each is decoded among the values that fit
///   ([`ShortForms::propagate`]).
struct ShortForms {
    /// Per record of the field (as `record_filters`): the length class its tokens tell.
    told: Vec<Option<u8>>,
    /// Per population value: its length class.
    told_values: Vec<Option<u8>>,
    /// Per record of the field: its four tokens (0: absent).
    tokens: Vec<[u64; 4]>,
    /// Population values by their first three letters.
    by_prefix: HashMap<String, Vec<usize>>,
}

impl ShortForms {
    fn new(enc: &Encodings, rules: [usize; 4], records: &[(usize, &[u64])], values: &[Value]) -> ShortForms {
        let tokens: Vec<[u64; 4]> =
            records.iter().map(|&(i, _)| rules.map(|r| enc.records[i].blocks.get(r).copied().unwrap_or(0))).collect();
        let told = tokens
            .iter()
            .map(|t| match t.map(|x| x != 0) {
                [true, false, false, false] => Some(3),
                [true, true, false, false] => Some(4),
                [true, true, true, false] => Some(5),
                [false, true, true, true] => Some(6),
                _ => None,
            })
            .collect();
        let mut by_prefix: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, v) in values.iter().enumerate() {
            if letters_class(&v.value).is_some() {
                by_prefix.entry(first_letters(&v.value, 3).to_string()).or_default().push(i);
            }
        }
        ShortForms { told, told_values: values.iter().map(|v| letters_class(&v.value)).collect(), tokens, by_prefix }
    }

    /// The strings under the tokens of `decoded`'s confident forenames: per token, the string
    /// most of its confidently decoded records give (ties: the smaller string).
    fn known<'v>(&self, decoded: &[Option<Decoded>], values: &'v [Value]) -> HashMap<u64, &'v str> {
        let mut votes: HashMap<u64, HashMap<&str, usize>> = HashMap::new();
        for (d, t) in decoded.iter().zip(&self.tokens) {
            let Some(d) = d.filter(|d| d.confident) else { continue };
            let s = values[d.value].value.as_str();
            for (slot, &token) in t.iter().enumerate() {
                if token != 0 {
                    let under = if slot == 0 { s } else { first_letters(s, slot + 2) };
                    *votes.entry(token).or_default().entry(under).or_default() += 1;
                }
            }
        }
        votes.into_iter().filter_map(|(t, v)| v.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(s, _)| (t, s))).collect()
    }

    /// Decodes the records whose forename is not confidently decoded through the strings their
    /// tokens share with confidently decoded records: among the values of the told length that
    /// fit every known string (the whole forename, or its first 3, 4 or 5 letters), the one
    /// that best explains the filter ([`Fit`]); confident when it is the only one or clearly
    /// the best. Repeated while it decodes more (a decoded record tells its own tokens).
    /// Returns the records decoded so.
    fn propagate(&self, decoded: &mut [Option<Decoded>], filters: &[&[u64]], values: &[Value], fit: &Fit, cmp: &Comparer) -> usize {
        let exact: HashMap<&str, usize> = values.iter().enumerate().map(|(i, v)| (v.value.as_str(), i)).collect();
        let mut total = 0;
        for _ in 0..4 {
            let known = self.known(decoded, values);
            let found: Vec<(usize, Decoded)> = (0..decoded.len())
                .into_par_iter()
                .filter(|&i| !decoded[i].is_some_and(|d| d.confident))
                .filter_map(|i| {
                    let t = &self.tokens[i];
                    let whole = (t[0] != 0).then(|| known.get(&t[0])).flatten();
                    let prefixes: Vec<&str> = (1..4).filter(|&s| t[s] != 0).filter_map(|s| known.get(&t[s]).copied()).collect();
                    let candidates: Vec<usize> = match whole {
                        Some(w) => exact.get(w).copied().into_iter().collect(),
                        None => {
                            let longest = prefixes.iter().max_by_key(|p| p.len())?;
                            self.by_prefix
                                .get(first_letters(longest, 3))?
                                .iter()
                                .copied()
                                .filter(|&v| prefixes.iter().all(|p| values[v].value.starts_with(p)))
                                .collect()
                        }
                    };
                    let candidates: Vec<usize> =
                        candidates.into_iter().filter(|&v| self.told[i].is_none_or(|n| self.told_values[v] == Some(n))).collect();
                    let f = filters[i];
                    let (b, obs) = (cmp.pop(f) as f32, fit.observe(f, cmp));
                    let mut scored: Vec<(f32, usize)> = candidates
                        .iter()
                        .map(|&v| {
                            let len = fit.expected_len(&values[v].units);
                            (fit.distance(&obs, fit.expect(&values[v].units, len), b, len, fit.prior(&values[v])), v)
                        })
                        .collect();
                    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(values[b.1].count.cmp(&values[a.1].count)));
                    let &(best, v) = scored.first()?;
                    let confident = scored.get(1).is_none_or(|s| s.0 - best >= fit.scheme.margin);
                    confident.then_some((i, Decoded { value: v, confident }))
                })
                .collect();
            if found.is_empty() {
                break;
            }
            total += found.len();
            for (i, d) in found {
                decoded[i] = Some(d);
            }
        }
        total
    }
}

/// Pairs the most frequent patterns with population values of a similar relative frequency
/// and the number of set bits their tokens would set (the literature's length constraint),
/// one to one, most frequent pattern first; at most `align` pairs.
fn align(
    counted: &[(Bits, usize)],
    values: &[Value],
    mult: &[u32],
    cmp: &Comparer,
    k: u32,
    bits: u32,
    align: usize,
) -> Vec<(usize, usize)> {
    let total_p: usize = counted.iter().map(|c| c.1).sum();
    let total_v: usize = values.iter().map(|v| v.count).sum();
    if total_p == 0 || total_v == 0 {
        return Vec::new();
    }
    let m = f64::from(bits);
    let expected = |v: &Value| {
        let t: u32 = v.units.iter().map(|&u| mult[u]).sum();
        m * (1.0 - (1.0 - 1.0 / m).powf(f64::from(k * t)))
    };
    let pool: Vec<(usize, f64, f64)> =
        values.iter().enumerate().take(align * 8).map(|(i, v)| (i, v.count as f64 / total_v as f64, expected(v))).collect();
    let mut used = vec![false; pool.len()];
    let mut out = Vec::new();
    for (p, (pattern, count)) in counted.iter().enumerate().take(align * 4) {
        if out.len() >= align || *count < 2 {
            break;
        }
        let r = *count as f64 / total_p as f64;
        let b = f64::from(cmp.pop(pattern));
        let best = pool
            .iter()
            .enumerate()
            .filter(|(j, (_, _, e))| !used[*j] && (b - e).abs() <= 2.5)
            .map(|(j, (i, rv, _))| (j, *i, (r / rv).ln().abs()))
            .min_by(|x, y| x.2.total_cmp(&y.2));
        if let Some((j, i, cost)) = best
            && cost <= 1.6f64.ln()
        {
            used[j] = true;
            out.push((p, i));
        }
    }
    out
}

/// Runs the attack on `enc` with the attacker's `population` (normalised people rows).
///
/// # Errors
///
/// [`ErrorKind::Input`] when the encodings have none of the attacked fields.
pub fn attack(enc: &Encodings, population: &[Features], opts: &AttackOptions) -> Result<Attack, Error> {
    // The token construction is public; a throwaway secret builds an encoder for it (the
    // attack computes no keyed hash).
    let dummy = Secret::from_bytes(b"attacker holds no secret 0123456789".to_vec()).expect("a valid throwaway secret");
    let encoder = Encoder::new(Hardening::None, &dummy, None, "attacker");
    let spec = &enc.settings.fields;
    let own = &encoder.settings().fields;
    let field_ix = |name: &str| spec.iter().position(|f| f.name == name);
    let fields: Vec<(&str, usize, usize)> = FIELDS
        .iter()
        .filter_map(|name| Some((*name, field_ix(name)?, own.iter().position(|f| f.name == *name)?)))
        .filter(|(_, i, o)| spec[*i].bits == own[*o].bits && spec[*i].k == own[*o].k)
        .collect();
    if fields.is_empty() {
        return Err(Error::new(
            ErrorKind::Input("the encodings have no forename, surname or date of birth filters this attack knows".into()),
            Some(&enc.path),
        ));
    }
    let rule = |name: &str| enc.settings.blocking_rules.iter().position(|r| r == name);
    // Key spaces: forename and surname share one.
    let space_of = |name: &str| usize::from(name == "dob");
    let mut spaces = [Space::default(), Space::default()];
    let mut values: Vec<Vec<Value>> = Vec::new();
    let mut counted: Vec<Vec<(Bits, usize)>> = Vec::new();
    let mut record_filters: Vec<Vec<(usize, &[u64])>> = Vec::new();
    for &(name, fi, oi) in &fields {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut vals: Vec<Value> = Vec::new();
        for f in population {
            if let Some(v) = value_of(name, f) {
                match seen.get(&v) {
                    Some(&i) => vals[i].count += 1,
                    None => {
                        let units = units_of(&encoder, oi, name == "forename", f, &mut spaces[space_of(name)]);
                        seen.insert(v.clone(), vals.len());
                        vals.push(Value { value: v, count: 1, units });
                    }
                }
            }
        }
        vals.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        if name == "dob" {
            vals.truncate(opts.max_dob_values);
        }
        let r = match name {
            "dob" => rule("surname sound + date of birth"),
            _ => rule("forename + surname (either order)"),
        };
        counted.push(patterns(enc, fi, r, opts.variant, &Comparer::new(&spec[fi])));
        record_filters.push(enc.records.iter().enumerate().filter_map(|(i, r)| r.filters[fi].as_deref().map(|f| (i, f))).collect());
        values.push(vals);
    }
    let flip = f64::from(enc.settings.flips_per_10k) / 10_000.0;
    let mut decoded: Vec<Vec<Option<Decoded>>> = vec![Vec::new(); fields.len()];
    let mut stats: Vec<Vec<[usize; 3]>> = vec![Vec::new(); fields.len()];
    let mut first_aligned = vec![0usize; fields.len()];
    // The short-form tokens, when the file has them and the attack reads them.
    let short_forms = match (opts.short_forms, short_form_rules(enc), fields.iter().position(|f| f.0 == "forename")) {
        (true, Some(rules), Some(x)) => Some(ShortForms::new(enc, rules, &record_filters[x], &values[x])),
        _ => None,
    };
    let mut through_short_forms = 0;
    let mut previous: [Vec<(&[u64], &[usize])>; 2] = [Vec::new(), Vec::new()];
    for round in 0..=opts.rounds {
        // Anchors per key space: the first round's aligned pairs; then the confident
        // decodings, one per value, most frequent patterns first.
        let mut anchors: [Vec<(&[u64], &[usize])>; 2] = [Vec::new(), Vec::new()];
        for (x, &(name, fi, _)) in fields.iter().enumerate() {
            let s = space_of(name);
            if round == 0 {
                let al = align(&counted[x], &values[x], &spaces[s].mult, &Comparer::new(&spec[fi]), spec[fi].k, spec[fi].bits, opts.align);
                first_aligned[x] = al.len();
                anchors[s].extend(al.into_iter().map(|(p, v)| (counted[x][p].0.as_slice(), values[x][v].units.as_slice())));
            } else {
                let mut by_value: HashMap<usize, (usize, &[u64])> = HashMap::new();
                let mut count: HashMap<&[u64], usize> = HashMap::new();
                for (_, f) in &record_filters[x] {
                    *count.entry(f).or_default() += 1;
                }
                for (d, (_, f)) in decoded[x].iter().zip(&record_filters[x]) {
                    if let Some(d) = d
                        && d.confident
                    {
                        let c = count[f];
                        let e = by_value.entry(d.value).or_insert((c, f));
                        if c > e.0 {
                            *e = (c, f);
                        }
                    }
                }
                let mut best: Vec<(usize, usize, &[u64])> = by_value.into_iter().map(|(v, (c, f))| (c, v, f)).collect();
                best.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                anchors[s].extend(best.into_iter().take(opts.anchors).map(|(_, v, f)| (f, values[x][v].units.as_slice())));
            }
        }
        for s in 0..2 {
            if anchors[s].is_empty() {
                anchors[s] = std::mem::take(&mut previous[s]);
            }
        }
        previous = anchors.clone();
        for (x, &(name, fi, _)) in fields.iter().enumerate() {
            let s = space_of(name);
            let filters: Vec<&[u64]> = record_filters[x].iter().map(|(_, f)| *f).collect();
            let scheme = Scheme { k: spec[fi].k, m: spec[fi].bits, flip, margin: opts.margin };
            let cmp = Comparer::new(&spec[fi]);
            let tokens = short_forms.as_ref().filter(|_| name == "forename");
            let told = tokens.map(|t| (t.told.as_slice(), t.told_values.as_slice()));
            decoded[x] = match_anchors(&values[x], &spaces[s].mult, &filters, &anchors[s], scheme, &cmp, told);
            if let Some(t) = tokens {
                let fit = Fit::new(&values[x], &spaces[s].mult, &anchors[s], scheme, &cmp);
                through_short_forms = t.propagate(&mut decoded[x], &filters, &values[x], &fit, &cmp);
            }
            let d = &decoded[x];
            stats[x].push([anchors[s].len(), d.iter().flatten().count(), d.iter().flatten().filter(|d| d.confident).count()]);
        }
    }
    // Per field, per record (file order): the decoding, and whether it is confident.
    let mut confident: Vec<Vec<bool>> = vec![vec![false; enc.records.len()]; fields.len()];
    for x in 0..fields.len() {
        for (d, (i, _)) in decoded[x].iter().zip(&record_filters[x]) {
            confident[x][*i] = d.is_some_and(|d| d.confident);
        }
    }
    let mut out: Vec<FieldAttack> = fields
        .iter()
        .enumerate()
        .map(|(x, &(name, _, _))| {
            let mut per_record = vec![None; enc.records.len()];
            for (d, (i, _)) in decoded[x].iter().zip(&record_filters[x]) {
                per_record[*i] = d.map(|d| values[x][d.value].value.clone());
            }
            FieldAttack {
                field: name.to_string(),
                patterns: counted[x].len(),
                values: values[x].len(),
                aligned: first_aligned[x],
                rounds: std::mem::take(&mut stats[x]),
                decoded: per_record,
                through_names: 0,
                name_anchors: 0,
                through_short_forms: if name == "forename" { through_short_forms } else { 0 },
            }
        })
        .collect();
    // Dates of birth through the names: a record whose full name is decoded is looked up in the
    // population, and takes the date of birth of the person of that name whose date fits its
    // filter best (the only one, for a name one person has).
    let at = |n: &str| fields.iter().position(|f| f.0 == n);
    if let (Some(fo), Some(su), Some(db)) = (at("forename"), at("surname"), at("dob")) {
        let (fi, oi) = (fields[db].1, fields[db].2);
        let mut dates: HashMap<(&str, &str), Vec<(String, &Features)>> = HashMap::new();
        for f in population {
            if let Some(d) = value_of("dob", f).filter(|_| f.dob.is_full()) {
                let e = dates.entry((&f.forename, &f.surname)).or_default();
                if !e.iter().any(|(x, _)| *x == d) {
                    e.push((d, f));
                }
            }
        }
        let mut units: HashMap<String, Vec<usize>> = HashMap::new();
        let candidates: Vec<Option<&Vec<(String, &Features)>>> = (0..enc.records.len())
            .map(|i| {
                let (f, s) = (out[fo].decoded[i].as_deref()?, out[su].decoded[i].as_deref()?);
                enc.records[i].filters[fi].as_ref()?;
                dates.get(&(f, s))
            })
            .collect();
        for (_, f) in candidates.iter().flatten().flat_map(|c| c.iter()) {
            if let Some(v) = value_of("dob", f)
                && !units.contains_key(&v)
            {
                let u = units_of(&encoder, oi, false, f, &mut spaces[1]);
                units.insert(v, u);
            }
        }
        // Anchors: confidently decoded names that one person in the population has.
        let anchors: Vec<(&[u64], &[usize])> = candidates
            .iter()
            .enumerate()
            .filter(|(i, c)| confident[fo][*i] && confident[su][*i] && c.is_some_and(|c| c.len() == 1))
            .filter_map(|(i, c)| Some((enc.records[i].filters[fi].as_deref()?, units[&(*c)?[0].0].as_slice())))
            .take(opts.anchors * 2)
            .collect();
        let cmp = Comparer::new(&spec[fi]);
        let (k, m) = (spec[fi].k, f64::from(spec[fi].bits));
        let mult = &spaces[1].mult;
        let expected_bits = |u: &[usize]| {
            let b = m * (1.0 - (1.0 - 1.0 / m).powf(f64::from(k * u.iter().map(|&u| mult[u]).sum::<u32>())));
            b + (m - b) * flip - b * flip
        };
        let fit = |f: &[u64], u: &[usize]| -> f64 {
            let bv = expected_bits(u);
            let mut d = 0.0;
            for (p, au) in &anchors {
                let b = f64::from(cmp.pop(p));
                let ks = f64::from(k * shared(u, au, mult)).min(bv).min(b);
                let x = ks * (1.0 - 2.0 * flip) + (bv - ks).max(0.0) * (b - ks).max(0.0) / m;
                let (o, var) = cmp.common(p, f);
                d += (f64::from(o) - x).powi(2) / (x + 2.0 + f64::from(var));
            }
            let dl = bv - f64::from(cmp.pop(f));
            d + dl * dl / (3.0 + 2.0 * m * flip)
        };
        let chosen: Vec<Option<String>> = candidates
            .par_iter()
            .enumerate()
            .map(|(i, c)| {
                let c = (*c)?;
                let f = enc.records[i].filters[fi].as_deref()?;
                c.iter().map(|(v, _)| (fit(f, &units[v]), v)).min_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, v)| v.clone())
            })
            .collect();
        let mut through_names = 0;
        for (i, c) in chosen.into_iter().enumerate() {
            if let Some(v) = c {
                out[db].decoded[i] = Some(v);
                through_names += 1;
            }
        }
        out[db].through_names = through_names;
        out[db].name_anchors = anchors.len();
    }
    Ok(Attack { variant: opts.variant, fields: out })
}

/// Shares of records whose values the attack recovered.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AttackScores {
    /// The variant scored.
    pub variant: String,
    /// Encoded records scored (those the truth names).
    pub records: usize,
    /// Records with a true forename / surname / full date of birth.
    pub with_forename: usize,
    /// See `with_forename`.
    pub with_surname: usize,
    /// See `with_forename`.
    pub with_dob: usize,
    /// Records whose forename was recovered.
    pub forename: usize,
    /// Records whose surname was recovered.
    pub surname: usize,
    /// Records whose date of birth was recovered.
    pub dob: usize,
    /// Records whose forename and surname were both recovered.
    pub full_name: usize,
    /// Records whose forename, surname and date of birth were all recovered: re-identified.
    pub reidentified: usize,
    /// `forename / records`.
    pub forename_share: f64,
    /// `surname / records`.
    pub surname_share: f64,
    /// `dob / records`.
    pub dob_share: f64,
    /// `full_name / records`.
    pub full_name_share: f64,
    /// `reidentified / records`.
    pub reidentified_share: f64,
    /// Per field: patterns, values, anchors per round.
    pub fields: Vec<FieldAttack>,
}

/// Scores `attack` on `enc` against the true normalised records, by pseudonym.
pub fn score(enc: &Encodings, attack: &Attack, truth: &HashMap<String, Features>) -> AttackScores {
    let get = |field: &str| attack.fields.iter().find(|f| f.field == field);
    let hit = |field: &str, i: usize, t: &Features| -> (bool, bool) {
        let truth = value_of(field, t);
        let ok = match (get(field).and_then(|f| f.decoded[i].as_ref()), &truth) {
            (Some(d), Some(t)) => d == t,
            _ => false,
        };
        (truth.is_some(), ok)
    };
    let mut s = AttackScores { variant: attack.variant.name().into(), fields: attack.fields.clone(), ..AttackScores::default() };
    for (i, r) in enc.records.iter().enumerate() {
        let Some(t) = truth.get(&r.pseudonym) else { continue };
        s.records += 1;
        let (hf, f) = hit("forename", i, t);
        let (hs, sn) = hit("surname", i, t);
        let (hd, d) = hit("dob", i, t);
        s.with_forename += usize::from(hf);
        s.with_surname += usize::from(hs);
        s.with_dob += usize::from(hd && t.dob.is_full());
        s.forename += usize::from(f);
        s.surname += usize::from(sn);
        s.dob += usize::from(d);
        s.full_name += usize::from(f && sn);
        s.reidentified += usize::from(f && sn && d);
    }
    let share = |n: usize| if s.records == 0 { 0.0 } else { n as f64 / s.records as f64 };
    s.forename_share = share(s.forename);
    s.surname_share = share(s.surname);
    s.dob_share = share(s.dob);
    s.full_name_share = share(s.full_name);
    s.reidentified_share = share(s.reidentified);
    s
}

/// The normalised features of people rows, as the attack and the scoring read them.
pub fn normalise_all(rows: &[conduct_domain::Involvement]) -> Vec<Features> {
    let nick = Nicknames::builtin();
    rows.par_iter().map(|r| conduct_resolve::normalise::normalise(r, &nick)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::EncodedRecord;
    use conduct_resolve::normalise::Dob;

    const SURNAMES: [&str; 30] = [
        "smith", "jones", "williams", "taylor", "brown", "davies", "evans", "wilson", "thomas", "roberts", "johnson", "lewis", "walker",
        "robinson", "wood", "thompson", "white", "watson", "jackson", "wright", "green", "harris", "cooper", "king", "lee", "martin",
        "clarke", "james", "morgan", "hughes",
    ];
    const FORENAMES: [&str; 20] = [
        "david",
        "sarah",
        "john",
        "emma",
        "michael",
        "claire",
        "paul",
        "susan",
        "james",
        "elizabeth",
        "margaret",
        "andrew",
        "peter",
        "karen",
        "mark",
        "helen",
        "daniel",
        "laura",
        "gary",
        "lisa",
    ];

    /// Values repeated by falling counts, shuffled by a fixed generator.
    fn column(names: &[&str], top: usize, step: usize, seed: u64) -> Vec<String> {
        let mut v: Vec<String> = names.iter().enumerate().flat_map(|(i, n)| std::iter::repeat_n(n.to_string(), top - step * i)).collect();
        let mut x = seed;
        for i in (1..v.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            v.swap(i, (x >> 33) as usize % (i + 1));
        }
        v
    }

    /// The attack on a third of a small population, encoded with `hardening`, as `variant`.
    fn attack_small(hardening: Hardening, variant: Variant) -> AttackScores {
        // A long tail of names made of shared syllables (as real names share letter pairs),
        // counts falling as 1/rank: few names are common enough to align by frequency, the
        // rest must be decoded through what they share with those.
        const SYL: [&str; 16] = ["ab", "el", "mar", "son", "ton", "ley", "ric", "ha", "ber", "wood", "in", "lo", "dan", "ker", "ul", "mo"];
        let names = |n: usize, salt: usize, total: usize, seed: u64| -> Vec<String> {
            let distinct: Vec<String> =
                (0..n).map(|i| format!("{}{}", SYL[(i * 7 + salt) % 16], SYL[(i / 16 + i * 3 + salt) % 16])).collect();
            let h: f64 = (1..=n).map(|r| 1.0 / r as f64).sum();
            let counts: Vec<usize> = (1..=n).map(|r| ((total as f64 / (r as f64 * h)).round() as usize).max(1)).collect();
            let mut v: Vec<String> = distinct.iter().zip(&counts).flat_map(|(n, &c)| std::iter::repeat_n(n.clone(), c)).collect();
            v.truncate(total);
            let mut x = seed;
            for i in (1..v.len()).rev() {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                v.swap(i, (x >> 33) as usize % (i + 1));
            }
            v
        };
        let surnames = names(200, 0, 6000, 1);
        let forenames = names(120, 5, 6000, 2);
        let population: Vec<Features> = surnames
            .iter()
            .zip(&forenames)
            .enumerate()
            .map(|(i, (s, f))| Features {
                forename: f.as_str().into(),
                surname: s.as_str().into(),
                dob: Dob { year: 1950 + (i % 50) as u16, month: 1 + (i % 12) as u8, day: 1 + (i % 28) as u8 },
                ..Features::default()
            })
            .collect();
        // Each person reported three times (a repeat victim), so that the clustered attack has
        // groups to take majorities of.
        let party: Vec<&Features> = population.iter().step_by(3).flat_map(|f| std::iter::repeat_n(f, 2)).collect();
        let enc = kent_encodings(hardening, party.iter().copied());
        let truth: HashMap<String, Features> = enc.records.iter().zip(&party).map(|(r, f)| (r.pseudonym.clone(), (*f).clone())).collect();
        let a = attack(&enc, &population, &AttackOptions { variant, ..AttackOptions::default() }).unwrap();
        let s = score(&enc, &a, &truth);
        eprintln!(
            "{hardening:?} {}: forename {:.3} surname {:.3} full name {:.3} dob {:.3}",
            variant.name(),
            s.forename_share,
            s.surname_share,
            s.full_name_share,
            s.dob_share
        );
        s
    }

    /// On names built of a few shared syllables, every name shares most of its letter pairs
    /// with others, so the diffusion (which hides only what far-apart values share) leaves the
    /// anchors much to read: the diffused hardening defeats the counting of patterns, but the
    /// clustered attack still recovers many full names (55% against 99% unhardened; 86% with
    /// a diffusion of t = 4). On the synthetic world's names (real ones) it recovers about 1%
    /// (`tests/pprl_attack.rs`, `docs/benchmarks.md`). This test marks the limit.
    #[test]
    fn diffused_hardening_defeats_counting_but_not_a_vocabulary_of_look_alike_names() {
        let none = attack_small(Hardening::None, Variant::Clustered);
        assert!(none.full_name_share > 0.9, "the attack works: {:.3}", none.full_name_share);
        let plain = attack_small(Hardening::Default, Variant::Plain);
        assert!(plain.full_name_share < 0.1, "plain: full names recovered: {:.3}", plain.full_name_share);
        let clustered = attack_small(Hardening::Default, Variant::Clustered);
        assert!(clustered.full_name_share < 0.95, "clustered: full names recovered: {:.3}", clustered.full_name_share);
    }

    #[test]
    fn frequent_surnames_fall_to_frequency_alignment_without_hardening() {
        let surnames = column(&SURNAMES, 300, 9, 1);
        let forenames = column(&FORENAMES, 420, 15, 2);
        let population: Vec<Features> = surnames
            .iter()
            .zip(&forenames)
            .enumerate()
            .map(|(i, (s, f))| Features {
                forename: f.as_str().into(),
                surname: s.as_str().into(),
                dob: Dob { year: 1950 + (i % 50) as u16, month: 1 + (i % 12) as u8, day: 1 + (i % 28) as u8 },
                ..Features::default()
            })
            .collect();
        // The party's records: a third of the population, encoded with a secret the attacker
        // does not have.
        let secret = Secret::from_bytes(b"the parties' shared secret 9876543210".to_vec()).unwrap();
        let encoder = Encoder::new(Hardening::None, &secret, None, "Kent");
        let party: Vec<(String, &Features)> = population.iter().step_by(3).enumerate().map(|(i, f)| (format!("r{i}"), f)).collect();
        let records: Vec<EncodedRecord> = party.iter().map(|(id, f)| encoder.encode_features(f, encoder.pseudonym("Kent", id))).collect();
        let truth: HashMap<String, Features> = records.iter().zip(&party).map(|(r, (_, f))| (r.pseudonym.clone(), (*f).clone())).collect();
        let enc = Encodings {
            path: "kent.parquet".into(),
            force: "Kent".into(),
            settings: encoder.settings().clone(),
            records,
            reports: Vec::new(),
        };
        let attack = attack(&enc, &population, &AttackOptions::default()).unwrap();
        let s = score(&enc, &attack, &truth);
        assert_eq!(s.records, enc.records.len());
        eprintln!("forename {:.3} surname {:.3} full name {:.3}", s.forename_share, s.surname_share, s.full_name_share);
        assert!(s.surname_share > 0.6, "surnames recovered: {:.3}", s.surname_share);
        assert!(s.forename_share > 0.6, "forenames recovered: {:.3}", s.forename_share);
        assert!(s.full_name_share > 0.4, "full names recovered: {:.3}", s.full_name_share);
    }

    /// Records of `forenames` (surname Smith, born 1980) encoded with the default hardening,
    /// with the population values `values` (each once).
    /// Kent's encodings of `people` (records `r0`, `r1`, …), with the names' keys filled in
    /// as normalising fills them: the blocking tokens (which the clustered attack reads) need them.
    fn kent_encodings<'a>(hardening: Hardening, people: impl Iterator<Item = &'a Features>) -> Encodings {
        use conduct_resolve::normalise::{hash_str, phonetic_key};
        let secret = Secret::from_bytes(b"the parties' shared secret 9876543210".to_vec()).unwrap();
        let encoder = Encoder::new(hardening, &secret, None, "Kent");
        let records = people
            .enumerate()
            .map(|(i, f)| {
                let mut f = f.clone();
                f.forename_h = hash_str(&f.forename);
                f.surname_h = hash_str(&f.surname);
                f.surname_phon = hash_str(&phonetic_key(&f.surname));
                encoder.encode_features(&f, encoder.pseudonym("Kent", &format!("r{i}")))
            })
            .collect();
        Encodings { path: "kent.parquet".into(), force: "Kent".into(), settings: encoder.settings().clone(), records, reports: Vec::new() }
    }

    fn short_form_case(forenames: &[&str], values: &[&str]) -> (Encodings, Vec<Value>) {
        let people: Vec<Features> = forenames
            .iter()
            .map(|name| Features {
                forename: (*name).into(),
                surname: "smith".into(),
                dob: Dob { year: 1980, month: 3, day: 4 },
                ..Features::default()
            })
            .collect();
        let enc = kent_encodings(Hardening::Default, people.iter());
        let values = values.iter().map(|v| Value { value: (*v).into(), count: 1, units: Vec::new() }).collect();
        (enc, values)
    }

    #[test]
    fn the_short_form_tokens_a_record_has_give_its_forenames_length_away() {
        let names = ["al", "lou", "mark", "karen", "louise", "christopher"];
        let (enc, values) = short_form_case(&names, &names);
        let rules = short_form_rules(&enc).expect("the default hardening sends the short-form tokens");
        let field = enc.settings.fields.iter().position(|f| f.name == "forename").unwrap();
        let records: Vec<(usize, &[u64])> =
            enc.records.iter().enumerate().map(|(i, r)| (i, r.filters[field].as_deref().unwrap())).collect();
        let sf = ShortForms::new(&enc, rules, &records, &values);
        assert_eq!(sf.told, [None, Some(3), Some(4), Some(5), Some(6), Some(6)]);
        assert_eq!(sf.told, sf.told_values, "the tokens tell each record's length class");
        // Files without the tokens (other hardenings) tell nothing.
        let secret = Secret::from_bytes(b"the parties' shared secret 9876543210".to_vec()).unwrap();
        let flips = Encoder::new(Hardening::Flips, &secret, None, "Kent");
        assert!(short_form_rules(&Encodings { settings: flips.settings().clone(), ..enc }).is_none());
    }

    #[test]
    fn a_decoded_forename_tells_the_records_sharing_its_short_form_tokens_theirs() {
        // One person's records: Louise (decoded), Lou (her short form: its whole-forename token
        // is Louise's 3-letter prefix token) and Louise again (all her tokens shared); Lucy
        // shares none of the strings and stays undecoded.
        let (enc, values) = short_form_case(&["louise", "lou", "louise", "lucy"], &["louise", "lou", "louis", "lucy", "louisa"]);
        let rules = short_form_rules(&enc).unwrap();
        let field = enc.settings.fields.iter().position(|f| f.name == "forename").unwrap();
        let records: Vec<(usize, &[u64])> =
            enc.records.iter().enumerate().map(|(i, r)| (i, r.filters[field].as_deref().unwrap())).collect();
        let filters: Vec<&[u64]> = records.iter().map(|r| r.1).collect();
        let sf = ShortForms::new(&enc, rules, &records, &values);
        let cmp = Comparer::new(&enc.settings.fields[field]);
        let spec = &enc.settings.fields[field];
        let fit = Fit::new(&values, &[], &[], Scheme { k: spec.k, m: spec.bits, flip: 0.01, margin: 3.0 }, &cmp);
        let mut decoded = vec![Some(Decoded { value: 0, confident: true }), None, None, None];
        let n = sf.propagate(&mut decoded, &filters, &values, &fit, &cmp);
        let got: Vec<Option<&str>> = decoded.iter().map(|d| d.map(|d| values[d.value].value.as_str())).collect();
        // "louise" against "louisa": both fit the prefixes and the length; the filter decides
        // (with no anchors, only through the set-bit count, which ties): not confident, so
        // the third record is decoded only if one of them is clearly better.
        assert_eq!(got[1], Some("lou"), "the short form is decoded exactly");
        assert_eq!(got[3], None, "a record sharing no string stays undecoded");
        assert!(n >= 1 && n == got.iter().skip(1).flatten().count(), "{n} decoded: {got:?}");
        // Without a rival of the same prefix and length, the repeat record is decoded too.
        let (enc, values) = short_form_case(&["louise", "lou", "louise", "lucy"], &["louise", "lou", "louis", "lucy"]);
        let records: Vec<(usize, &[u64])> =
            enc.records.iter().enumerate().map(|(i, r)| (i, r.filters[field].as_deref().unwrap())).collect();
        let filters: Vec<&[u64]> = records.iter().map(|r| r.1).collect();
        let sf = ShortForms::new(&enc, rules, &records, &values);
        let fit = Fit::new(&values, &[], &[], Scheme { k: spec.k, m: spec.bits, flip: 0.01, margin: 3.0 }, &cmp);
        let mut decoded = vec![Some(Decoded { value: 0, confident: true }), None, None, None];
        assert_eq!(sf.propagate(&mut decoded, &filters, &values, &fit, &cmp), 2);
        let got: Vec<Option<&str>> = decoded.iter().map(|d| d.map(|d| values[d.value].value.as_str())).collect();
        assert_eq!(got, [Some("louise"), Some("lou"), Some("louise"), None]);
    }

    #[test]
    fn an_encodings_file_without_name_fields_is_refused() {
        let secret = Secret::from_bytes(b"the parties' shared secret 9876543210".to_vec()).unwrap();
        let mut settings = Encoder::new(Hardening::None, &secret, None, "Kent").settings().clone();
        settings.fields.retain(|f| !FIELDS.contains(&f.name.as_str()));
        let enc = Encodings { path: "x.parquet".into(), force: "Kent".into(), settings, records: Vec::new(), reports: Vec::new() };
        assert!(attack(&enc, &[], &AttackOptions::default()).is_err());
    }
}

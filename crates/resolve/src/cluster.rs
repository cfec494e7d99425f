//! Clustering that resists chaining: which records are one person.
//!
//! Method: constrained greedy agglomeration. Candidate pairs at or above the model's threshold
//! are taken strongest first (ties by the records' ranks: in a link, by force and record id, so
//! the same records in any order, or sent in several exports, give the same persons); each pair
//! joins its two groups unless records of one group *contradict* records of the other
//! ("cannot-link"): for some comparison, at least [`VETO_SHARE`] of the record pairs across the
//! two groups on which both records have a value for it ([`comparable`]). A contradiction is a comparison level that the fitted model itself says
//! true matches almost never show — weight at or below [`VETO_WEIGHT`] bits, for the personal
//! comparisons in [`VETOABLE`] (forename, surname, date of birth, sex, PNC id, NI number). In
//! police data, where the same person's records differ only by typos, nicknames, initials,
//! swaps and transposed dates, "different forename" and "date of birth far apart" weigh -8 to
//! -10 bits and so veto: twins (same surname, date of birth and address, different forenames)
//! and father and son (same name and address, 25–35 years apart) stay apart however much else
//! agrees. In a file where whole forenames are replaced by clerical error (FEBRL), the same
//! levels weigh only about -3 bits and do not veto: the data decide. A shared national or force
//! identifier (same PNC id, NI number or local nominal id) overrides a contradiction.
//!
//! Why it holds: plain connected components (single linkage) merge A with C whenever A–B and
//! B–C are strong, even if A and C could not be one person — the classic chain through an
//! ambiguous record ("J Smith, 1980" links to both twins). Here the check is made between every
//! pair across the two groups, not only the linking pair, so two sets of records that
//! contradict each other never end up in one group, whatever path would join them. Because the strongest
//! evidence is applied first, an ambiguous record joins the person it matches best and the
//! weaker link to the look-alike is then refused. Checks run against each group's distinct
//! "profiles" (records differing in a field the contradiction test reads), so a prolific
//! person's hundred identical records cost one check, not a hundred.

use rayon::prelude::*;

use crate::fasthash::FxHashMap as HashMap;

use xxhash_rust::xxh3::xxh3_64;

use crate::compare::{COMPARISONS, N_COMPARISONS, compare_personal, field};
use crate::model::Weights;
use crate::normalise::Features;

/// Comparisons whose levels may veto a join. Postcode and address are not among them
/// (people move); phone, e-mail and handles neither (people change them).
pub const VETOABLE: [usize; 5] = [field::FORENAME, field::DOB, field::SEX, field::PNC, field::NI];

/// A level vetoes a join when its weight is at or below this (bits): the model says records
/// of one person show it less than about once for every 45 times different people do.
pub const VETO_WEIGHT: f64 = -5.5;

/// Which comparison levels are contradictions: `veto[c][l]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Veto {
    /// Per comparison, per level (0 = missing, never a veto).
    pub level: [[bool; 8]; N_COMPARISONS],
}

impl Veto {
    /// The vetoes a model implies: levels of [`VETOABLE`] comparisons weighing at most
    /// `veto_weight`.
    pub fn from_weights(w: &Weights, veto_weight: f64) -> Veto {
        let mut v = Veto::default();
        for &c in &VETOABLE {
            for l in 1..8 {
                v.level[c][l] = w.level[c][l] <= veto_weight;
            }
        }
        v
    }
}

/// Why two records cannot be one person, if they cannot: the comparison and its level.
/// A shared national or force identifier (PNC id, NI number, local nominal id) overrides;
/// phones and e-mails do not (households share phones; common names share e-mail patterns).
pub fn contradiction(a: &Features, b: &Features, veto: &Veto) -> Option<(&'static str, &'static str)> {
    contradictions(a, b, veto).into_iter().flatten().next()
}

/// Every contradiction between two records, one slot per comparison of [`VETOABLE`] (in its
/// order): `Some((comparison, level))` where that comparison vetoes.
pub fn contradictions(a: &Features, b: &Features, veto: &Veto) -> [Option<(&'static str, &'static str)>; VETOABLE.len()] {
    let mut out = [None; VETOABLE.len()];
    let shared = |x: u64, y: u64| x != 0 && x == y;
    if (shared(a.pnc_h, b.pnc_h) && a.pnc == b.pnc)
        || (shared(a.ni_h, b.ni_h) && a.ni == b.ni)
        || (a.force == b.force && shared(a.nominal, b.nominal) && a.nominal_id == b.nominal_id)
    {
        return out;
    }
    let p = compare_personal(a, b);
    // An initial that differs from a forename may be a middle name's: never a veto.
    let initial = a.forename.len() < 2 || b.forename.len() < 2;
    for (k, &c) in VETOABLE.iter().enumerate() {
        if c == field::FORENAME && initial {
            continue;
        }
        let l = p[c] as usize;
        // Forenames two keying errors apart ("Pau" and "Pul" for "Paul") are not evidence
        // of two people.
        if c == field::FORENAME && veto.level[c][l] && strsim::damerau_levenshtein(&a.forename, &b.forename) <= 2 {
            continue;
        }
        if veto.level[c][l] {
            out[k] = Some((COMPARISONS[c].name, COMPARISONS[c].levels[l - 1]));
        }
    }
    out
}

/// Which comparisons of [`VETOABLE`] a record can take part in (bit `k` for `VETOABLE[k]`): the
/// value is present, and for the forename more than an initial (initials never veto). A pair
/// of records is *comparable* on a comparison when both have it; only comparable pairs count
/// towards that comparison's share in the veto test, so records without a date of birth
/// cannot dilute a contradiction between dated ones.
pub fn comparable(f: &Features) -> u8 {
    let mut m = 0u8;
    for (k, &c) in VETOABLE.iter().enumerate() {
        let present = match c {
            field::FORENAME => f.forename.len() >= 2,
            field::DOB => f.dob.year != 0,
            field::SEX => f.sex != 0,
            field::PNC => f.pnc_h != 0,
            field::NI => f.ni_h != 0,
            _ => false,
        };
        if present {
            m |= 1 << k;
        }
    }
    m
}

/// The fields [`contradiction`] reads, hashed: records with equal profiles contradict the
/// same records.
fn profile(f: &Features) -> u64 {
    let mut buf = Vec::with_capacity(96);
    for x in [f.forename_h, f.surname_h, f.pnc_h, f.ni_h, f.phone, f.email_h, f.nominal, xxh3_64(f.middle.as_bytes())] {
        buf.extend_from_slice(&x.to_le_bytes());
    }
    buf.extend_from_slice(&[f.sex, f.force, f.dob.month, f.dob.day]);
    buf.extend_from_slice(&f.dob.year.to_le_bytes());
    xxh3_64(&buf)
}

/// Whether two records have equal profiles: equal in every value [`profile`] hashes (the hashes
/// in it are of these values).
fn same_profile(a: &Features, b: &Features) -> bool {
    (&a.forename, &a.surname, &a.middle, &a.pnc, &a.ni, &a.email, &a.nominal_id)
        == (&b.forename, &b.surname, &b.middle, &b.pnc, &b.ni, &b.email, &b.nominal_id)
        && (a.phone, a.sex, a.force, a.dob.year, a.dob.month, a.dob.day) == (b.phone, b.sex, b.force, b.dob.year, b.dob.month, b.dob.day)
}

/// The result of clustering.
#[derive(Clone, Debug, Default)]
pub struct Clustering {
    /// Person number per record (0-based, numbered in the order of each person's first record
    /// by rank: [`Clusterer::finish`]).
    pub person: Vec<u32>,
    /// How many persons.
    pub persons: usize,
    /// Pairs at or above threshold considered.
    pub pairs_considered: u64,
    /// Merges made.
    pub merges: u64,
    /// Merges refused because the groups contradicted each other.
    pub refused: u64,
    /// Merges refused, by reason.
    pub refused_by_reason: Vec<((&'static str, &'static str), u64)>,
}

/// A join is refused when, for some comparison, at least this share of the record pairs across
/// the two groups on which both records have it contradict each other (records without a date
/// of birth neither contradict on it nor dilute those that do). One odd record (a garbled date of birth) in a prolific person's
/// hundred records does not split them; twins, whose every cross pair contradicts, stay apart
/// even when a few ambiguous records (initial only) sit between them.
pub const VETO_SHARE: f64 = 0.25;

/// Upper bound on profile pairs checked for one merge; beyond it the merge is refused as unsafe.
pub const MAX_CHECKS_PER_MERGE: usize = 1 << 20;

/// Clusters `n` records from scored pairs `(a, b, weight)`; pairs below `threshold` are ignored.
pub fn cluster(feats: &[Features], pairs: &[(u32, u32, f32)], threshold: f64, veto: &Veto) -> Clustering {
    let mut c = Clusterer::new(feats, veto);
    c.add(pairs, threshold);
    c.finish()
}

/// Clustering in passes: [`Clusterer::add`] applies scored pairs strongest first to the groups
/// built so far; [`Clusterer::group`] reads the groups between passes (for evidence that
/// depends on who is who, such as shared associates); [`Clusterer::finish`] numbers them.
pub struct Clusterer<'a> {
    feats: &'a [Features],
    veto: &'a Veto,
    parent: Vec<u32>,
    // Per group: its distinct profiles, each with a representative record and a record count.
    // Empty for a record not yet in any merge (it stands for `[(i, 1)]`; filled on first
    // use, so records that never merge cost no allocation).
    reps: Vec<Vec<(u32, u32)>>,
    index: Vec<HashMap<u64, u32>>,
    prof: Vec<u64>,
    // Per record: [`comparable`].
    comp: Vec<u8>,
    // Per record: its place in the order that breaks ties between pairs of equal weight
    // ([`Clusterer::ordered_by`]; by default the records' own order), and the record at each
    // place.
    rank: Vec<u32>,
    record_at: Vec<u32>,
    out: Clustering,
    reasons: Vec<((&'static str, &'static str), u64)>,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let g = parent[parent[x as usize] as usize];
        parent[x as usize] = g;
        x = g;
    }
    x
}

/// The root of `x`'s group, read without shortening the path (the groups are read on every
/// core while [`Clusterer::add`] clusters its parts).
fn find_root(parent: &[u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        x = parent[x as usize];
    }
    x
}

/// Why the groups of profiles `ga` and `gb` may not join, if they may not: too many profile
/// pairs to check ([`MAX_CHECKS_PER_MERGE`]), or, for some comparison, contradictions in at
/// least [`VETO_SHARE`] of the record pairs across them on which both records have it
/// ([`comparable`], `comp`).
fn refusal(feats: &[Features], veto: &Veto, comp: &[u8], ga: &[(u32, u32)], gb: &[(u32, u32)]) -> Option<(&'static str, &'static str)> {
    if ga.len() * gb.len() > MAX_CHECKS_PER_MERGE {
        return Some(("size", "groups too large to check"));
    }
    // Per comparison: the record pairs across the groups on which both records have it, and a
    // quarter of those as the limit.
    let having = |g: &[(u32, u32)]| -> [f64; VETOABLE.len()] {
        let mut n = [0.0; VETOABLE.len()];
        for &(x, c) in g {
            for (k, n) in n.iter_mut().enumerate() {
                if comp[x as usize] & (1 << k) != 0 {
                    *n += f64::from(c);
                }
            }
        }
        n
    };
    let (ha, hb) = (having(ga), having(gb));
    let limit: [f64; VETOABLE.len()] = std::array::from_fn(|k| VETO_SHARE * ha[k] * hb[k]);
    let mut bad = [0.0f64; VETOABLE.len()];
    for &(x, cx) in ga {
        for &(y, cy) in gb {
            for (k, r) in contradictions(&feats[x as usize], &feats[y as usize], veto).into_iter().enumerate() {
                if let Some(r) = r {
                    bad[k] += f64::from(cx) * f64::from(cy);
                    if bad[k] >= limit[k] {
                        return Some(r);
                    }
                }
            }
        }
    }
    None
}

/// Moves the profiles `moved` into a group's (`reps`, indexed by profile hash in `index`, which
/// is built here when empty): a profile it holds already counts the moved records, any other
/// is added.
fn merge_profiles(feats: &[Features], prof: &[u64], reps: &mut Vec<(u32, u32)>, index: &mut HashMap<u64, u32>, moved: Vec<(u32, u32)>) {
    if index.is_empty() {
        for (k, &(x, _)) in reps.iter().enumerate() {
            index.insert(prof[x as usize], k as u32);
        }
    }
    for (x, c) in moved {
        match index.get(&prof[x as usize]) {
            Some(&k) if same_profile(&feats[reps[k as usize].0 as usize], &feats[x as usize]) => reps[k as usize].1 += c,
            // Equal hashes of different profiles: the hash chose the bucket, the fields decide;
            // this one is kept as a profile of its own.
            Some(_) => reps.push((x, c)),
            None => {
                index.insert(prof[x as usize], reps.len() as u32);
                reps.push((x, c));
            }
        }
    }
}

/// A group as one part of [`Clusterer::add`] holds it: the record that stands for it in the
/// clusterer, and its profiles and their index (see [`Clusterer`]).
#[derive(Default)]
struct Group {
    record: u32,
    reps: Vec<(u32, u32)>,
    index: HashMap<u64, u32>,
}

/// What one part of [`Clusterer::add`] found: its groups (numbered from 0 as first named) and
/// how they joined, the merges made and refused, and the refusals by reason with the place
/// of the first edge refused for it.
#[derive(Default)]
struct Part {
    groups: Vec<Group>,
    parent: Vec<u32>,
    merges: u64,
    refused: u64,
    reasons: Vec<((&'static str, &'static str), u32, u64)>,
}

impl<'a> Clusterer<'a> {
    /// Every record its own group.
    pub fn new(feats: &'a [Features], veto: &'a Veto) -> Clusterer<'a> {
        let n = feats.len();
        Clusterer {
            feats,
            veto,
            parent: (0..n as u32).collect(),
            reps: vec![Vec::new(); n],
            index: vec![HashMap::default(); n],
            prof: feats.par_iter().map(profile).collect(),
            comp: feats.iter().map(comparable).collect(),
            rank: (0..n as u32).collect(),
            record_at: (0..n as u32).collect(),
            out: Clustering::default(),
            reasons: Vec::new(),
        }
    }

    /// Breaks ties between pairs of equal weight by `rank` (a place per record, all different)
    /// instead of by the records' positions: given ranks that follow what the records are
    /// rather than where they sit (as [`crate::cluster_scored`] gives, by force and record id),
    /// the same records in any order cluster alike.
    ///
    /// # Panics
    ///
    /// When `rank` does not hold one place per record.
    pub fn ordered_by(mut self, rank: Vec<u32>) -> Clusterer<'a> {
        assert_eq!(rank.len(), self.feats.len(), "one rank per record");
        self.record_at = crate::records_by_rank(&rank);
        self.rank = rank;
        self
    }

    /// The group (its root record) of record `x`, as it stands.
    pub fn group(&mut self, x: u32) -> u32 {
        find(&mut self.parent, x)
    }

    /// Joins the groups of `a` and `b` without any check. Only for records that no pair given
    /// to [`Clusterer::add`] will touch (rows present as associates only, already known to be
    /// one person): the joined group keeps the profiles of `a`'s group alone.
    pub fn join_unchecked(&mut self, a: u32, b: u32) {
        let (ra, rb) = (find(&mut self.parent, a), find(&mut self.parent, b));
        if ra != rb {
            self.parent[rb as usize] = ra;
        }
    }

    /// Applies the pairs at or above `threshold`, strongest first (ties by the records' ranks,
    /// [`Clusterer::ordered_by`]; a pair is the same pair either way round). Returns the merges
    /// made.
    ///
    /// A pair changes only the two groups it joins, so groups that no chain of pairs connects
    /// never meet: the pairs are split by the connected parts of the groups they join, and the
    /// parts are clustered on every core, each part's pairs in the one order (a property test
    /// holds this to the pass over every pair in order that it replaced). At the 1M world the
    /// largest part holds about 0.1 % of the pairs.
    pub fn add(&mut self, pairs: &[(u32, u32, f32)], threshold: f64) -> u64 {
        let edges = self.ordered_edges(pairs, threshold);
        let parts = self.parts(&edges);
        self.apply_parts(&edges, parts)
    }

    /// The pairs at or above `threshold` as their two records (lower rank first), strongest
    /// first, ties by the ranks.
    fn ordered_edges(&self, pairs: &[(u32, u32, f32)], threshold: f64) -> Vec<(u32, u32)> {
        let keep = |p: &(u32, u32, f32)| f64::from(p.2) >= threshold;
        let rank = &self.rank;
        // Each pair as its records' ranks, lower first (the records are found again by
        // `record_at`).
        let mut edges: Vec<(u32, u32, f32)> = pairs
            .par_iter()
            .copied()
            .filter(keep)
            .map(|(a, b, w)| {
                let (ra, rb) = (rank[a as usize], rank[b as usize]);
                (ra.min(rb), ra.max(rb), w)
            })
            .collect();
        // A total order (weight, then the pair's ranks), so sorting on every core gives the one
        // order.
        edges.par_sort_unstable_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
        let record_at = &self.record_at;
        edges.par_iter().map(|&(a, b, _)| (record_at[a as usize], record_at[b as usize])).collect()
    }

    /// The edges (by their places in `edges`, in order) split into parts that share no group:
    /// the connected parts of the groups as they stand joined by the edges, dealt out to a
    /// few parts per core.
    fn parts(&self, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
        let parent = &self.parent;
        let roots: Vec<(u32, u32)> = edges.par_iter().map(|&(a, b)| (find_root(parent, a), find_root(parent, b))).collect();
        let mut joined: Vec<u32> = (0..self.feats.len() as u32).collect();
        for &(ga, gb) in &roots {
            let (ja, jb) = (find(&mut joined, ga), find(&mut joined, gb));
            if ja != jb {
                joined[jb as usize] = ja;
            }
        }
        let n_parts = (rayon::current_num_threads() * 8).max(1);
        let mut part_of: Vec<u32> = vec![u32::MAX; self.feats.len()];
        let mut parts: Vec<Vec<u32>> = vec![Vec::new(); n_parts];
        let mut dealt = 0usize;
        for (k, &(ga, _)) in roots.iter().enumerate() {
            let j = find(&mut joined, ga) as usize;
            if part_of[j] == u32::MAX {
                part_of[j] = (dealt % n_parts) as u32;
                dealt += 1;
            }
            parts[part_of[j] as usize].push(k as u32);
        }
        parts.retain(|p| !p.is_empty());
        parts
    }

    /// Clusters each part's edges in order, the parts on every core, and writes what each
    /// found back into the groups. Returns the merges made.
    fn apply_parts(&mut self, edges: &[(u32, u32)], parts: Vec<Vec<u32>>) -> u64 {
        self.out.pairs_considered += edges.len() as u64;
        let this = &*self;
        let done: Vec<Part> = parts.into_par_iter().map(|p| this.cluster_part(edges, &p)).collect();
        let mut merges = 0;
        let mut refusals: Vec<((&'static str, &'static str), u32, u64)> = Vec::new();
        for part in done {
            merges += part.merges;
            self.out.refused += part.refused;
            for (reason, first, n) in part.reasons {
                match refusals.iter_mut().find(|(r, _, _)| *r == reason) {
                    Some(e) => {
                        e.1 = e.1.min(first);
                        e.2 += n;
                    }
                    None => refusals.push((reason, first, n)),
                }
            }
            let records: Vec<u32> = part.groups.iter().map(|g| g.record).collect();
            for (k, group) in part.groups.into_iter().enumerate() {
                let root = find_root(&part.parent, k as u32) as usize;
                let g = group.record as usize;
                if root == k {
                    self.reps[g] = group.reps;
                    self.index[g] = group.index;
                } else {
                    self.parent[g] = records[root];
                    self.reps[g] = Vec::new();
                    self.index[g] = HashMap::default();
                }
            }
        }
        self.out.merges += merges;
        // The reasons in the order one pass over every edge meets them first.
        refusals.sort_by_key(|&(_, first, _)| first);
        for (reason, _, n) in refusals {
            match self.reasons.iter_mut().find(|(k, _)| *k == reason) {
                Some(e) => e.1 += n,
                None => self.reasons.push((reason, n)),
            }
        }
        merges
    }

    /// One part's edges (places in `edges`, in order) taken strongest first against the groups
    /// as they stand, on groups of its own: each group the part touches is copied in, the
    /// first time an edge names it.
    fn cluster_part(&self, edges: &[(u32, u32)], part: &[u32]) -> Part {
        let (feats, veto, prof, comp) = (self.feats, self.veto, &self.prof, &self.comp);
        let mut out = Part::default();
        let mut local: HashMap<u32, u32> = HashMap::default();
        let mut local_of = |out: &mut Part, g: u32| -> u32 {
            *local.entry(g).or_insert_with(|| {
                out.groups.push(Group { record: g, reps: self.reps[g as usize].clone(), index: self.index[g as usize].clone() });
                out.parent.push(out.parent.len() as u32);
                out.parent.len() as u32 - 1
            })
        };
        for &k in part {
            let (a, b) = edges[k as usize];
            let (ga, gb) = (find_root(&self.parent, a), find_root(&self.parent, b));
            let (la, lb) = (local_of(&mut out, ga), local_of(&mut out, gb));
            let (ra, rb) = (find(&mut out.parent, la), find(&mut out.parent, lb));
            if ra == rb {
                continue;
            }
            let groups = &mut out.groups;
            for r in [ra, rb] {
                let g = &mut groups[r as usize];
                if g.reps.is_empty() {
                    g.reps.push((g.record, 1));
                }
            }
            let (ra, rb) = if groups[ra as usize].reps.len() >= groups[rb as usize].reps.len() { (ra, rb) } else { (rb, ra) };
            if let Some(r) = refusal(feats, veto, comp, &groups[ra as usize].reps, &groups[rb as usize].reps) {
                out.refused += 1;
                match out.reasons.iter_mut().find(|(x, _, _)| *x == r) {
                    Some(e) => e.2 += 1,
                    None => out.reasons.push((r, k, 1)),
                }
                continue;
            }
            out.merges += 1;
            out.parent[rb as usize] = ra;
            let moved = &mut groups[rb as usize];
            let moved_reps = std::mem::take(&mut moved.reps);
            moved.index = HashMap::default();
            let into = &mut groups[ra as usize];
            merge_profiles(feats, prof, &mut into.reps, &mut into.index, moved_reps);
        }
        out
    }

    /// Numbers the groups: person per record, in the order of each group's first record by
    /// rank ([`Clusterer::ordered_by`]; by default the records' own order). So with ranks that
    /// follow what the records are, the same records in any order are given the same numbers.
    pub fn finish(mut self) -> Clustering {
        let n = self.feats.len();
        let mut id = vec![u32::MAX; n];
        let mut person = vec![u32::MAX; n];
        let mut next = 0u32;
        for &i in &self.record_at {
            let r = find(&mut self.parent, i) as usize;
            if id[r] == u32::MAX {
                id[r] = next;
                next += 1;
            }
            person[i as usize] = id[r];
        }
        self.out.person = person;
        self.out.persons = next as usize;
        self.out.refused_by_reason = self.reasons;
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::person;
    use crate::model::Model;
    use crate::normalise::{Nicknames, normalise};

    /// A veto table as a police-data model gives: different forenames, dates of birth far
    /// apart, conflicting sex and PNC ids are contradictions.
    fn police_veto() -> Veto {
        let mut w = Model::prior(0.0).weights();
        w.level[field::FORENAME][7] = -10.0;
        w.level[field::DOB][7] = -9.0;
        w.level[field::SEX][2] = -9.0;
        Veto::from_weights(&w, VETO_WEIGHT)
    }

    #[test]
    fn twins_do_not_merge_through_an_ambiguous_record() {
        let n = Nicknames::builtin();
        let rows = [person("Jack", "Smith", "1990-03-04"), person("Harry", "Smith", "1990-03-04"), person("J", "Smith", "1990-03-04")];
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        // The ambiguous record links strongly to both twins.
        let pairs = [(0, 2, 20.0), (1, 2, 19.0), (0, 1, 15.0)];
        let c = cluster(&f, &pairs, 5.0, &police_veto());
        assert_eq!(c.person, vec![0, 1, 0]);
        assert_eq!(c.refused, 2);
    }

    #[test]
    fn father_and_son_stay_apart() {
        let n = Nicknames::builtin();
        let rows = [person("John", "Smith", "1960-03-04"), person("John", "Smith", "1991-07-01"), person("John", "Smith", "1960-03-04")];
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        let veto = police_veto();
        let c = cluster(&f, &[(0, 1, 10.0), (0, 2, 30.0), (1, 2, 10.0)], 5.0, &veto);
        assert_eq!(c.person, vec![0, 1, 0]);
        assert_eq!(contradiction(&f[0], &f[1], &veto), Some(("date_of_birth", "different")));
    }

    /// Regression (issue 12): a father dated in one report of five and his dated son. The four
    /// undated reports used to count in the veto share's denominator, so one contradicting
    /// pair in five passed under the quarter and the son joined his father.
    #[test]
    fn undated_records_do_not_dilute_a_dated_contradiction() {
        let n = Nicknames::builtin();
        let mut rows: Vec<_> = (0..4).map(|_| person("John", "Smith", "1960-03-04")).collect();
        rows.extend((0..4).map(|_| person("John", "Smith", "")));
        rows.push(person("John", "Smith", "1990-01-01"));
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        let pairs = [(4, 8, 40.0), (4, 5, 39.0), (4, 6, 38.0), (4, 7, 37.0), (0, 1, 30.0), (0, 2, 30.0), (0, 3, 30.0), (0, 4, 20.0)];
        let c = cluster(&f, &pairs, 5.0, &police_veto());
        // Of the cross pairs where both have a date of birth, every one contradicts.
        assert_eq!(c.persons, 2, "{:?}", c.person);
        assert_eq!(c.person[..4], [0, 0, 0, 0]);
        assert!(c.person[4..].iter().all(|&p| p == 1), "{:?}", c.person);
        assert_eq!(c.refused_by_reason, vec![(("date_of_birth", "different"), 1)]);
    }

    #[test]
    fn one_odd_record_does_not_split_a_person() {
        let n = Nicknames::builtin();
        // Five records vouched for by one PNC id, one of them with a garbled date of birth.
        let mut rows: Vec<_> = (0..4).map(|_| person("John", "Smith", "1960-03-04")).collect();
        rows.push(person("John", "Smith", "1990-01-01"));
        for r in &mut rows {
            r.pnc_id = "12/345678A".into();
        }
        // Two more reports of him without the PNC id.
        rows.extend((0..2).map(|_| person("John", "Smith", "1960-03-04")));
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        let pairs = [(0, 1, 40.0), (0, 2, 40.0), (0, 3, 40.0), (0, 4, 35.0), (0, 5, 30.0), (5, 6, 30.0)];
        let c = cluster(&f, &pairs, 5.0, &police_veto());
        // Joining the sixth record: one dated cross pair in five contradicts, under the share.
        assert_eq!(c.persons, 1, "{:?}", c.person);
        assert_eq!(c.refused, 0);
    }

    /// What [`Clusterer::add`] must equal: every pair taken in order on one core against the
    /// clusterer's own groups, as `add` did before it split the pairs into parts (the veto test
    /// and the merging of profiles are the ones `add` calls).
    fn add_one_by_one(s: &mut Clusterer<'_>, pairs: &[(u32, u32, f32)], threshold: f64) -> u64 {
        let edges = s.ordered_edges(pairs, threshold);
        s.out.pairs_considered += edges.len() as u64;
        let before = s.out.merges;
        for (a, b) in edges {
            let (ra, rb) = (find(&mut s.parent, a), find(&mut s.parent, b));
            if ra == rb {
                continue;
            }
            for r in [ra, rb] {
                if s.reps[r as usize].is_empty() {
                    s.reps[r as usize].push((r, 1));
                }
            }
            let (ra, rb) = if s.reps[ra as usize].len() >= s.reps[rb as usize].len() { (ra, rb) } else { (rb, ra) };
            if let Some(r) = refusal(s.feats, s.veto, &s.comp, &s.reps[ra as usize], &s.reps[rb as usize]) {
                s.out.refused += 1;
                match s.reasons.iter_mut().find(|(k, _)| *k == r) {
                    Some(e) => e.1 += 1,
                    None => s.reasons.push((r, 1)),
                }
                continue;
            }
            s.out.merges += 1;
            s.parent[rb as usize] = ra;
            let moved = std::mem::take(&mut s.reps[rb as usize]);
            s.index[rb as usize] = HashMap::default();
            let (reps, index) = (&mut s.reps[ra as usize], &mut s.index[ra as usize]);
            merge_profiles(s.feats, &s.prof, reps, index, moved);
        }
        s.out.merges - before
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]
        /// Clustering the connected parts apart, on every core, is clustering every pair in one
        /// order ([`add_one_by_one`]): the same groups under the same roots after each pass (a second pass joins
        /// groups the first made, as the shared associates' does), the same merges and
        /// refusals, and the reasons in the order one pass meets them.
        #[test]
        fn clustering_by_parts_is_clustering_in_one(
            rows in proptest::collection::vec(crate::compare::tests::drawn_record(), 2..40),
            first in proptest::collection::vec((0u32..40, 0u32..40, 0usize..6), 0..120),
            second in proptest::collection::vec((0u32..40, 0u32..40, 0usize..6), 0..60),
            third in proptest::collection::vec((0u32..40, 0u32..40, 0usize..6), 0..60),
            seed in proptest::prelude::any::<u64>(),
        ) {
            let n = Nicknames::builtin();
            let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
            let len = f.len() as u32;
            // Below, at and above the threshold (5), with ties.
            let weights = [4.0f32, 5.0, 6.0, 8.0, 12.0, 20.0];
            let pairs = |v: &[(u32, u32, usize)]| -> Vec<(u32, u32, f32)> {
                v.iter().map(|&(a, b, w)| (a % len, b % len, weights[w])).filter(|p| p.0 != p.1).collect()
            };
            let mut rank: Vec<u32> = (0..len).collect();
            crate::tests::shuffle(&mut rank, seed);
            let veto = police_veto();
            let mut by_parts = Clusterer::new(&f, &veto).ordered_by(rank.clone());
            let mut in_one = Clusterer::new(&f, &veto).ordered_by(rank);
            for pass in [pairs(&first), pairs(&second), pairs(&third)] {
                proptest::prop_assert_eq!(by_parts.add(&pass, 5.0), add_one_by_one(&mut in_one, &pass, 5.0));
                for x in 0..len {
                    let g = by_parts.group(x);
                    proptest::prop_assert_eq!(g, in_one.group(x), "record {}", x);
                    // The group's profiles and their index, which the next pass's vetoes read.
                    let held = |c: &Clusterer<'_>| {
                        let mut index: Vec<(u64, u32)> = c.index[g as usize].iter().map(|(&h, &k)| (h, k)).collect();
                        index.sort_unstable();
                        (c.reps[g as usize].clone(), index)
                    };
                    proptest::prop_assert_eq!(held(&by_parts), held(&in_one), "group {}", g);
                }
            }
            let (a, b) = (by_parts.finish(), in_one.finish());
            proptest::prop_assert_eq!(&a.person, &b.person);
            proptest::prop_assert_eq!((a.persons, a.pairs_considered, a.merges, a.refused), (b.persons, b.pairs_considered, b.merges, b.refused));
            proptest::prop_assert_eq!(&a.refused_by_reason, &b.refused_by_reason);
        }
    }

    #[test]
    fn nicknames_and_swaps_are_not_contradictions() {
        let n = Nicknames::builtin();
        let veto = police_veto();
        let a = normalise(&person("Robert", "Smith", "1960-03-04"), &n);
        let b = normalise(&person("Bob", "Smith", "1960-03-04"), &n);
        let c = normalise(&person("Smith", "Robert", "1960-04-03"), &n);
        assert_eq!(contradiction(&a, &b, &veto), None);
        assert_eq!(contradiction(&a, &c, &veto), None);
    }
}

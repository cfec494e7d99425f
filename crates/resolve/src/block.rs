//! Blocking: which pairs of records get compared at all.
//!
//! Several rules each give a record a key (0 when the rule does not apply, e.g. no date of
//! birth); records sharing a key form a block and every pair inside it becomes a candidate.
//! Rules are unioned without double counting: a pair found by rule `r` is kept only if no
//! earlier rule already produced it (same key, and the block was small or the pair came out of
//! its window) — the same trick Splink uses, so no global set of all pairs is held. Blocks
//! larger than the cap are split by sorted neighbourhood (see [`WINDOW`]) and reported.

use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

use crate::normalise::{Dob, Features};

/// A blocking rule: a name and a key function (0 = no key).
#[derive(Clone, Copy)]
pub struct BlockingRule {
    /// What the rule blocks on, in words.
    pub name: &'static str,
    /// The comparisons (indices into a pattern) whose fields the rule's key is made of — or
    /// depends on: e-mail addresses and handles are built from names, so their rules count
    /// forename and surname too, and EM does not learn names from pairs that share them.
    pub fields: &'static [usize],
    /// The record's key under this rule; 0 when the rule does not apply.
    pub key: fn(&Features) -> u64,
}

fn mix(parts: &[u64]) -> u64 {
    if parts.contains(&0) {
        return 0;
    }
    let mut buf = [0u8; 32];
    let mut n = 0;
    for p in parts.iter().take(4) {
        buf[n..n + 8].copy_from_slice(&p.to_le_bytes());
        n += 8;
    }
    xxh3_64(&buf[..n]) | 1
}

/// A date of birth key that day/month transposition does not change (full dates only).
fn dob_key(d: Dob) -> u64 {
    if !d.is_full() {
        return 0;
    }
    let (lo, hi) = if d.month <= d.day { (d.month, d.day) } else { (d.day, d.month) };
    1 + (u64::from(d.year) << 16 | u64::from(lo) << 8 | u64::from(hi))
}

use crate::compare::field::{
    ADDRESS as A, DOB as D, EMAIL as E, FORENAME as F, HANDLES as H, NI, NOMINAL as NOM, PHONE as PH, PNC, POSTCODE as P, SURNAME as S,
};

/// The rules, in the order they are applied.
pub const RULES: &[BlockingRule] = &[
    BlockingRule {
        name: "forename + surname (either order)",
        fields: &[F, S],
        key: |f| {
            if f.forename_h == 0 || f.surname_h == 0 {
                return 0;
            }
            let (a, b) = if f.forename_h < f.surname_h { (f.forename_h, f.surname_h) } else { (f.surname_h, f.forename_h) };
            mix(&[a, b])
        },
    },
    BlockingRule {
        name: "forename group + surname sound + birth year",
        fields: &[F, S, D],
        key: |f| mix(&[f.forename_group, f.surname_phon, u64::from(f.dob.year)]),
    },
    BlockingRule { name: "surname sound + date of birth", fields: &[S, D], key: |f| mix(&[f.surname_phon, dob_key(f.dob)]) },
    BlockingRule { name: "forename sound + date of birth", fields: &[F, D], key: |f| mix(&[f.forename_phon, dob_key(f.dob)]) },
    BlockingRule { name: "date of birth + postcode", fields: &[D, P], key: |f| mix(&[dob_key(f.dob), f.pc_unit]) },
    BlockingRule { name: "surname sound + postcode", fields: &[S, P], key: |f| mix(&[f.surname_phon, f.pc_unit]) },
    BlockingRule { name: "forename sound + postcode", fields: &[F, P], key: |f| mix(&[f.forename_phon, f.pc_unit]) },
    BlockingRule { name: "postcode + house number", fields: &[P, A], key: |f| mix(&[f.pc_unit, f.address_numbers]) },
    BlockingRule {
        name: "date of birth + house number + initials (either order)",
        fields: &[F, S, D, A],
        key: |f| {
            let (x, y) = (f.forename.bytes().next().unwrap_or(0), f.surname.bytes().next().unwrap_or(0));
            let initials = u64::from(x.min(y)) << 8 | u64::from(x.max(y));
            mix(&[dob_key(f.dob), f.address_numbers, initials.max(1)])
        },
    },
    BlockingRule {
        name: "name sounds (either order) + birth year",
        fields: &[F, S, D],
        key: |f| {
            if f.forename_phon == 0 || f.surname_phon == 0 {
                return 0;
            }
            let (a, b) =
                if f.forename_phon < f.surname_phon { (f.forename_phon, f.surname_phon) } else { (f.surname_phon, f.forename_phon) };
            mix(&[a, b, u64::from(f.dob.year)])
        },
    },
    BlockingRule { name: "forename sound + address", fields: &[F, A], key: |f| mix(&[f.forename_phon, f.address_h]) },
    BlockingRule { name: "phone", fields: &[PH], key: |f| f.phone },
    BlockingRule { name: "e-mail", fields: &[E, F, S], key: |f| f.email_h },
    BlockingRule { name: "online handle", fields: &[H, F, S], key: |f| f.handles.first().copied().unwrap_or(0) },
    BlockingRule { name: "PNC id", fields: &[PNC], key: |f| f.pnc_h },
    BlockingRule { name: "NI number", fields: &[NI], key: |f| f.ni_h },
    BlockingRule { name: "local nominal id", fields: &[NOM], key: |f| f.nominal },
];

/// What one rule contributed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleStats {
    /// The rule's name.
    pub name: &'static str,
    /// Blocks of two or more records.
    pub blocks: u64,
    /// Candidate pairs this rule added (not found by an earlier rule).
    pub pairs: u64,
    /// Blocks over the size cap, split by sorted neighbourhood.
    pub oversized_blocks: u64,
    /// Records in those blocks.
    pub oversized_records: u64,
}

/// Candidate pairs (each once, `a < b`) and per-rule counts.
#[derive(Clone, Debug, Default)]
pub struct Blocking {
    /// The candidate pairs, as row indices with `a < b`.
    pub pairs: Vec<(u32, u32)>,
    /// Per rule, in rule order.
    pub rules: Vec<RuleStats>,
    /// Every record's key under every rule, record-major (`keys[i * rules + r]`, 0 = none),
    /// kept for training: a pair "is blocked by" every rule whose keys agree on it.
    pub keys: Vec<u64>,
    /// The number of rules.
    pub n_rules: usize,
}

impl Blocking {
    /// Bit `r` set when rule `r`'s keys agree (and are present) for records `a` and `b`.
    pub fn rules_agreeing(&self, a: u32, b: u32) -> u32 {
        let n = self.n_rules;
        let (ka, kb) = (&self.keys[a as usize * n..][..n], &self.keys[b as usize * n..][..n]);
        let mut mask = 0;
        for r in 0..n {
            if ka[r] != 0 && ka[r] == kb[r] {
                mask |= 1 << r;
            }
        }
        mask
    }
}

/// Records of an oversized block are sorted by this (date of birth, postcode district, forename
/// group, surname sound) and each is paired with its next [`WINDOW`] neighbours: records of one
/// person sit together, so a block of a thousand "John Smith"s, or three hundred reports naming
/// the same prolific suspect, still yields their links at linear cost.
fn neighbourhood_key(f: &Features) -> (u64, u64, u64, u64) {
    (dob_key(f.dob), f.pc_district.max(f.pc_unit), f.forename_group, f.surname_phon)
}

/// The neighbourhood key (date of birth, postcode district, forename group, surname sound) packed
/// into one number that sorts the same way on its first part (the date of birth key, 27 bits,
/// so that the number stays positive as a signed 64-bit value; years past 2047 all sort last)
/// and by the top 12 bits of each hash after it: the order in which an update pairs a new record
/// with its neighbours in an oversized block of the population.
pub fn neighbourhood_order(f: &Features) -> u64 {
    let (d, pc, fg, sp) = neighbourhood_key(f);
    (d.min((1 << 27) - 1) << 36) | ((pc >> 52) << 24) | ((fg >> 52) << 12) | (sp >> 52)
}

/// Records per stretch when a rule's keys are gathered on every core (see [`block`]).
const GATHER: usize = 1 << 14;

/// Neighbours each record of an oversized block is paired with.
pub const WINDOW: usize = 8;

/// Position of a record that is not in an oversized block (see [`block`]).
const NOT_WINDOWED: u32 = u32::MAX;

/// Every record's key under every rule, record-major (`keys[i * rules + r]`, 0 = none);
/// records that are not [`Features::identifying`] get none.
fn keys_of(feats: &[Features], rules: &[BlockingRule]) -> Vec<u64> {
    let nr = rules.len();
    assert!(nr <= 32, "at most 32 blocking rules");
    // Filled in place: a collected flat_map would grow and copy a 260 MB vector.
    let mut keys: Vec<u64> = vec![0; feats.len() * nr];
    if nr > 0 {
        keys.par_chunks_mut(nr).zip(feats.par_iter()).for_each(|(k, f)| {
            if f.identifying {
                for (k, r) in k.iter_mut().zip(rules) {
                    *k = (r.key)(f);
                }
            }
        });
    }
    keys
}

/// Applies `rules` to the records. Blocks with more than `max_block` records are split by
/// sorted neighbourhood (see [`WINDOW`]) and reported; records of one neighbourhood key (one
/// victim's many reports) sit in the order of `ranks` (each record's rank,
/// [`crate::record_order`]), not of their positions, so the same records in any order make the
/// same pairs. Records that are not [`Features::identifying`] get no keys. Each pair comes out
/// once, credited to the first rule that finds it.
pub fn block(feats: &[Features], ranks: &[u32], rules: &[BlockingRule], max_block: usize) -> Blocking {
    assert_eq!(ranks.len(), feats.len(), "one rank per record");
    let nr = rules.len();
    let keys = keys_of(feats, rules);
    // Every record's place in the neighbourhood order, computed once: oversized blocks sort
    // their members by it instead of re-reading features per comparison.
    let rank: Vec<u32> = {
        type Place = ((u64, u64, u64, u64), u32, u32);
        let mut by: Vec<Place> = feats.par_iter().zip(ranks).enumerate().map(|(i, (f, &o))| (neighbourhood_key(f), o, i as u32)).collect();
        by.par_sort_unstable();
        let mut rank = vec![0u32; feats.len()];
        for (k, &(_, _, i)) in by.iter().enumerate() {
            rank[i as usize] = k as u32;
        }
        rank
    };
    // Per rule with oversized blocks: each record's position in its oversized block's
    // neighbourhood order (`NOT_WINDOWED` when its block was small or it has no key). Two
    // records sharing the rule's key had their pair produced by it exactly when this is
    // `NOT_WINDOWED` or their positions are at most `WINDOW` apart: no set of pairs is kept.
    let mut positions: Vec<Option<Vec<u32>>> = Vec::with_capacity(nr);
    let mut out = Blocking { n_rules: nr, ..Default::default() };
    let mut per_rule: Vec<Vec<(u32, u32)>> = Vec::with_capacity(nr);
    // How many records of each stretch have a key under each rule, counted once on every core:
    // each rule's keys are then gathered on every core, each stretch straight into its own
    // place. (Gathered on one core, rule after rule, they kept the other core waiting for
    // about 0.35 s at 1.94M rows, `perf record`, session 46; a parallel extend of a filter
    // would collect into fresh lists first.)
    let stretch_keys = || keys.par_chunks(nr.max(1) * GATHER);
    let per_stretch: Vec<Vec<u32>> = stretch_keys()
        .map(|c| {
            let mut n = vec![0u32; nr];
            for k in c.chunks(nr) {
                for (n, &k) in n.iter_mut().zip(k) {
                    *n += u32::from(k != 0);
                }
            }
            n
        })
        .collect();
    // One buffer for every rule's sort: fresh 30 MB allocations per rule cost more in page
    // faults than the sort itself.
    let mut buffer: Vec<(u64, u32)> = vec![(0, 0); feats.len()];
    for (r, rule) in rules.iter().enumerate() {
        let order = &mut buffer[..per_stretch.iter().map(|n| n[r] as usize).sum::<usize>()];
        let mut places: Vec<&mut [(u64, u32)]> = Vec::with_capacity(per_stretch.len());
        let mut rest = &mut *order;
        for n in &per_stretch {
            let (place, tail) = std::mem::take(&mut rest).split_at_mut(n[r] as usize);
            places.push(place);
            rest = tail;
        }
        places.into_par_iter().zip(stretch_keys()).enumerate().for_each(|(s, (place, c))| {
            let mut slots = place.iter_mut();
            for (i, k) in c.chunks(nr).enumerate() {
                if k[r] != 0 {
                    if let Some(slot) = slots.next() {
                        *slot = (k[r], (s * GATHER + i) as u32);
                    }
                }
            }
        });
        order.par_sort_unstable();
        let order: &[(u64, u32)] = order;
        let mut groups: Vec<(usize, usize)> = Vec::new();
        let mut big_groups: Vec<(usize, usize)> = Vec::new();
        let mut stats = RuleStats { name: rule.name, ..Default::default() };
        let mut s = 0;
        while s < order.len() {
            let mut e = s + 1;
            while e < order.len() && order[e].0 == order[s].0 {
                e += 1;
            }
            if e - s >= 2 {
                stats.blocks += 1;
                if e - s > max_block {
                    stats.oversized_blocks += 1;
                    stats.oversized_records += (e - s) as u64;
                    big_groups.push((s, e));
                } else {
                    groups.push((s, e));
                }
            }
            s = e;
        }
        // Members of each oversized block in neighbourhood order.
        let windows: Vec<Vec<u32>> = big_groups
            .par_iter()
            .map(|&(s, e)| {
                let mut members: Vec<u32> = order[s..e].iter().map(|x| x.1).collect();
                members.sort_unstable_by_key(|&i| rank[i as usize]);
                members
            })
            .collect();
        let earlier = &positions[..];
        let keys_ref = &keys;
        // Whether an earlier rule already produced the pair.
        let covered = |i: u32, j: u32| {
            let (ki, kj) = (&keys_ref[i as usize * nr..][..r], &keys_ref[j as usize * nr..][..r]);
            (0..r).any(|q| {
                ki[q] != 0
                    && ki[q] == kj[q]
                    && earlier[q].as_ref().is_none_or(|pos| {
                        let (pi, pj) = (pos[i as usize], pos[j as usize]);
                        pi == NOT_WINDOWED || (pi.abs_diff(pj) as usize) <= WINDOW
                    })
            })
        };
        let mut new: Vec<(u32, u32)> = groups
            .par_iter()
            .flat_map_iter(|&(s, e)| {
                let mut v = Vec::new();
                for x in s..e {
                    for y in x + 1..e {
                        let (i, j) = (order[x].1.min(order[y].1), order[x].1.max(order[y].1));
                        if !covered(i, j) {
                            v.push((i, j));
                        }
                    }
                }
                v
            })
            .collect();
        let from_windows: Vec<(u32, u32)> = windows
            .par_iter()
            .flat_map_iter(|members| {
                let mut v = Vec::new();
                for x in 0..members.len() {
                    for y in x + 1..(x + 1 + WINDOW).min(members.len()) {
                        let (i, j) = (members[x].min(members[y]), members[x].max(members[y]));
                        if !covered(i, j) {
                            v.push((i, j));
                        }
                    }
                }
                v
            })
            .collect();
        positions.push((!windows.is_empty()).then(|| {
            let mut pos = vec![NOT_WINDOWED; feats.len()];
            for members in &windows {
                for (k, &i) in members.iter().enumerate() {
                    pos[i as usize] = k as u32;
                }
            }
            pos
        }));
        new.extend(from_windows);
        stats.pairs = new.len() as u64;
        per_rule.push(new);
        out.rules.push(stats);
    }
    // One allocation of the final size rather than repeated growth.
    out.pairs = Vec::with_capacity(per_rule.iter().map(Vec::len).sum());
    for v in per_rule {
        out.pairs.extend(v);
    }
    out.keys = keys;
    out
}

/// The partition (of `parts`) that owns rule `rule`'s block of records holding `key`: every
/// record holding that key meets the others there. A hash of (rule, key), so that the blocks
/// spread over the partitions; it only chooses where a block is worked on, never which records
/// are in it.
pub fn owner(rule: usize, key: u64, parts: u32) -> u32 {
    let mut buf = [0u8; 16];
    buf[..8].copy_from_slice(&(rule as u64).to_le_bytes());
    buf[8..].copy_from_slice(&key.to_le_bytes());
    (xxh3_64(&buf) % u64::from(parts.max(1))) as u32
}

/// Partition `part` of `parts`' share of a partitioned link (`docs/scale.md`): the candidate
/// pairs of the blocks it owns ([`owner`]), made as [`block`] makes them (every pair of a block
/// of at most `max_block` records; in an oversized block, each record with its next [`WINDOW`]
/// neighbours in the neighbourhood order, ties by `ranks` as in [`block`]), each with its comparison pattern and the rules
/// agreeing on it, packed as [`crate::model::patterns`] packs them. A pair that several
/// blocks produce comes out of each (in one partition or several): [`merge_partitions`] keeps
/// one. The union over the partitions is [`block`]'s pairs, whatever `parts` is.
pub fn partition_pairs(
    feats: &[Features],
    ranks: &[u32],
    rules: &[BlockingRule],
    max_block: usize,
    part: u32,
    parts: u32,
) -> Vec<(u32, u32, u64)> {
    assert_eq!(ranks.len(), feats.len(), "one rank per record");
    let nr = rules.len();
    let keys = keys_of(feats, rules);
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for r in 0..nr {
        let mut order: Vec<(u64, u32)> = keys
            .chunks(nr)
            .enumerate()
            .filter(|(_, k)| k[r] != 0 && owner(r, k[r], parts) == part)
            .map(|(i, k)| (k[r], i as u32))
            .collect();
        order.par_sort_unstable();
        let mut s = 0;
        while s < order.len() {
            let mut e = s + 1;
            while e < order.len() && order[e].0 == order[s].0 {
                e += 1;
            }
            let members: Vec<u32> = order[s..e].iter().map(|x| x.1).collect();
            if members.len() > max_block {
                // As `block` orders an oversized block: by neighbourhood key, then rank.
                let mut m = members;
                m.sort_unstable_by_key(|&i| (neighbourhood_key(&feats[i as usize]), ranks[i as usize], i));
                for x in 0..m.len() {
                    for y in x + 1..(x + 1 + WINDOW).min(m.len()) {
                        pairs.push((m[x].min(m[y]), m[x].max(m[y])));
                    }
                }
            } else {
                for x in 0..members.len() {
                    for y in x + 1..members.len() {
                        pairs.push((members[x].min(members[y]), members[x].max(members[y])));
                    }
                }
            }
            s = e;
        }
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    let agreeing = |a: u32, b: u32| {
        let (ka, kb) = (&keys[a as usize * nr..][..nr], &keys[b as usize * nr..][..nr]);
        (0..nr).filter(|&r| ka[r] != 0 && ka[r] == kb[r]).fold(0u32, |m, r| m | 1 << r)
    };
    pairs
        .par_iter()
        .map(|&(a, b)| {
            let p = crate::compare::pack(&crate::compare::compare(&feats[a as usize], &feats[b as usize]));
            (a, b, p | (u64::from(agreeing(a, b)) << crate::model::TRAIN_SHIFT))
        })
        .collect()
}

/// The partitions' pairs ([`partition_pairs`]) as one set: each pair once, in row order, with
/// its pattern (the same from every partition that made it: it depends only on the two
/// records). What [`crate::link_from_pairs`] takes.
pub fn merge_partitions(parts: Vec<Vec<(u32, u32, u64)>>) -> (Vec<(u32, u32)>, Vec<u64>) {
    let mut all: Vec<(u32, u32, u64)> = parts.into_iter().flatten().collect();
    all.par_sort_unstable();
    all.dedup_by_key(|p| (p.0, p.1));
    all.into_iter().map(|(a, b, p)| ((a, b), p)).unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::person;
    use crate::normalise::{Nicknames, normalise};

    #[test]
    fn rules_union_without_double_counting() {
        let n = Nicknames::builtin();
        let rows = [
            person("John", "Smith", "1980-01-02"),
            person("John", "Smith", "1980-02-01"),
            person("Jon", "Smith", "1980-01-02"),
            person("Mary", "Jones", "1990-05-06"),
        ];
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        let b = block(&f, &crate::record_order(&rows), RULES, 100);
        let mut pairs = b.pairs.clone();
        pairs.sort_unstable();
        let before = pairs.len();
        pairs.dedup();
        assert_eq!(before, pairs.len(), "no pair twice");
        assert_eq!(pairs, vec![(0, 1), (0, 2), (1, 2)]);
    }

    /// Across more records than one stretch of the gathering ([`GATHER`]), the pairs are every
    /// pair of records sharing a key under some rule (blocks here are small), each once,
    /// credited to the first rule that shares one, whatever stretch each record is in.
    #[test]
    fn pairs_across_many_stretches_are_the_records_sharing_a_key() {
        let n = Nicknames::builtin();
        // Surnames of letters only (names are folded to letters): 9,001 of them.
        let surname = |mut n: usize| -> String {
            (0..4)
                .map(|_| {
                    let c = char::from(b'a' + (n % 26) as u8);
                    n /= 26;
                    c
                })
                .collect()
        };
        let rows: Vec<conduct_domain::Involvement> = (0..3 * GATHER + 77)
            .map(|i| {
                let mut p = person(
                    ["Anne", "Ann", "Bill", "Liam"][i % 4],
                    &format!("Mc{}", surname(i % 9_001)),
                    &format!("19{:02}-0{}-1{}", 50 + i % 40, 1 + i % 9, i % 7),
                );
                if i % 3 == 0 {
                    p.postcode = format!("BD{} {}AA", i % 97, i % 9).into();
                }
                p
            })
            .collect();
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        let b = block(&f, &crate::record_order(&rows), RULES, 1_000);
        assert_eq!(
            b.rules.iter().map(|r| r.oversized_blocks).sum::<u64>(),
            0,
            "blocks kept small: {:?}",
            b.rules.iter().filter(|r| r.oversized_blocks > 0).map(|r| (r.name, r.oversized_blocks)).collect::<Vec<_>>()
        );
        // The oracle: records grouped by each rule's key in a map, every pair of a group.
        let keys = keys_of(&f, RULES);
        let nr = RULES.len();
        let mut want: std::collections::BTreeMap<(u32, u32), usize> = std::collections::BTreeMap::new();
        for r in 0..nr {
            let mut groups: std::collections::HashMap<u64, Vec<u32>> = std::collections::HashMap::new();
            for i in 0..f.len() {
                let k = keys[i * nr + r];
                if k != 0 {
                    groups.entry(k).or_default().push(i as u32);
                }
            }
            for members in groups.values() {
                for (x, &i) in members.iter().enumerate() {
                    for &j in &members[x + 1..] {
                        want.entry((i.min(j), i.max(j))).or_insert(r);
                    }
                }
            }
        }
        assert!(want.len() > 10_000, "enough pairs to mean something: {}", want.len());
        let mut got: Vec<(u32, u32)> = b.pairs.clone();
        got.sort_unstable();
        assert_eq!(got, want.keys().copied().collect::<Vec<_>>());
        for (r, stats) in b.rules.iter().enumerate() {
            assert_eq!(stats.pairs as usize, want.values().filter(|&&first| first == r).count(), "{}", stats.name);
        }
    }

    /// Rows of a small force's export as it looks: one family's surname in most rows, a
    /// repeat victim, and a block large enough to be windowed at the cap used.
    fn skewed_rows() -> Vec<conduct_domain::Involvement> {
        let forenames = ["John", "Jon", "Mary", "Michael", "Mike", "Sarah", "Sara", "Paul", "Karen", "Lee"];
        (0..120)
            .map(|i: usize| {
                let surname = if i % 10 < 7 { "Smith" } else { ["Jones", "Taylor", "Brown"][i % 3] };
                let dob = format!("19{:02}-0{}-1{}", 60 + i % 25, 1 + i % 9, i % 10);
                person(forenames[i * 7 % 10], surname, &dob)
            })
            .chain((0..30).map(|_| person("Louise", "Smith", "1985-03-04")))
            .collect()
    }

    #[test]
    fn the_partitions_pairs_together_are_the_single_process_pairs_whatever_the_partitions() {
        let n = Nicknames::builtin();
        let rows = skewed_rows();
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        for max_block in [4, 16, 1000] {
            let order = crate::record_order(&rows);
            let whole = block(&f, &order, RULES, max_block);
            let patterns = crate::model::patterns(&f, &whole);
            let mut expected: Vec<(u32, u32, u64)> = whole.pairs.iter().zip(&patterns).map(|(&(a, b), &p)| (a, b, p)).collect();
            expected.sort_unstable();
            assert!(expected.len() > 100, "the fixture makes blocks: {}", expected.len());
            for parts in [1, 2, 3, 7] {
                let (pairs, pats) = merge_partitions((0..parts).map(|p| partition_pairs(&f, &order, RULES, max_block, p, parts)).collect());
                let got: Vec<(u32, u32, u64)> = pairs.into_iter().zip(pats).map(|((a, b), p)| (a, b, p)).collect();
                assert_eq!(got, expected, "{parts} partitions, blocks capped at {max_block}");
            }
        }
    }

    #[test]
    fn a_link_from_the_partitions_pairs_finds_the_persons_the_single_process_link_finds() {
        let rows = skewed_rows();
        let n = Nicknames::builtin();
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        let options = crate::LinkOptions::default();
        let whole = crate::link(&rows, &options).unwrap();
        assert!(whole.stats.persons_with_several_records > 0, "the fixture links records");
        let order = crate::record_order(&rows);
        for parts in [2, 5] {
            let (pairs, pats) =
                merge_partitions((0..parts).map(|p| partition_pairs(&f, &order, RULES, options.max_block_size, p, parts)).collect());
            let split = crate::link_from_pairs(&rows, pairs, pats, &options).unwrap();
            assert_eq!(split.person, whole.person, "{parts} partitions");
            let sorted = |l: &crate::Linkage| {
                let mut v: Vec<(u32, u32, u32)> = l.pairs.iter().map(|p| (p.a, p.b, p.weight.to_bits())).collect();
                v.sort_unstable();
                v
            };
            assert_eq!(sorted(&split), sorted(&whole), "the same scored pairs");
        }
        // Pairs that do not fit the rows are refused, not linked.
        assert!(crate::link_from_pairs(&rows, vec![(3, 2)], vec![0], &options).is_err());
        assert!(crate::link_from_pairs(&rows, vec![(0, 1)], vec![], &options).is_err());
    }

    /// Regression: an oversized block's records of one neighbourhood key (a repeat victim's
    /// reports) were windowed in the order of their positions, so the same export in another
    /// order made other candidate pairs. They are windowed in their ranks' order.
    #[test]
    fn regression_an_oversized_block_made_other_pairs_from_the_records_in_another_order() {
        let n = Nicknames::builtin();
        let mut rows = skewed_rows();
        for (i, r) in rows.iter_mut().enumerate() {
            r.record_id = format!("R{i}").into();
        }
        let pairs = |rows: &[conduct_domain::Involvement]| -> std::collections::BTreeSet<(String, String)> {
            let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
            let b = block(&f, &crate::record_order(rows), RULES, 4);
            assert!(b.rules.iter().any(|r| r.oversized_blocks > 0), "the cap windows a block");
            b.pairs
                .iter()
                .map(|&(a, b)| {
                    let (x, y) = (rows[a as usize].record_id.to_string(), rows[b as usize].record_id.to_string());
                    (x.clone().min(y.clone()), x.max(y))
                })
                .collect()
        };
        let first = pairs(&rows);
        for seed in 1..20u64 {
            crate::tests::shuffle(&mut rows, seed);
            assert_eq!(pairs(&rows), first, "order {seed}");
        }
    }

    #[test]
    fn oversized_blocks_are_split_and_counted() {
        let n = Nicknames::builtin();
        let rows: Vec<_> = (0..20).map(|i| person("John", "Smith", &format!("19{:02}-01-01", 50 + i))).collect();
        let f: Vec<Features> = rows.iter().map(|r| normalise(r, &n)).collect();
        let b = block(&f, &crate::record_order(&rows), RULES, 3);
        assert_eq!(b.rules[0].oversized_blocks, 1);
        assert_eq!(b.rules[0].oversized_records, 20);
        // Sorted by date of birth, each record is paired with its next WINDOW neighbours.
        let expected: usize = (0..20).map(|x: usize| (20 - x - 1).min(WINDOW)).sum();
        assert_eq!(b.rules[0].pairs as usize, expected);
        let mut pairs = b.pairs.clone();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), b.pairs.len(), "no pair twice");
        assert!(pairs.contains(&(0, 1)) && !pairs.contains(&(0, 19)));
    }
}

//! Which person ids the groups of a re-clustering keep: ids that last.
//!
//! The rule (one greedy pass, deterministic): count, for every new group and every old person,
//! the records they share. Take those overlaps largest first (ties: the older, i.e. lower, person
//! id; then the group that comes first) and let a group keep an old id when neither has been
//! given yet. So
//! - when two persons merge, the surviving id is that of the person with more records in the
//!   merged group (on a tie, the older id), and the other id redirects to it;
//! - when a person splits, the part with most of its records keeps the id; the other parts get
//!   new ids;
//! - a group of new records only gets a new id.
//!
//! An old id that no group keeps redirects to the group holding most of its records (ties: the
//! group that comes first). Ids are never reused: new ones come from a counter that only grows.

use std::collections::BTreeMap;

/// A person id: numbered from 1, written `P0000001`.
pub type PersonNumber = i64;

/// The printed form of a person id.
pub fn person_label(p: PersonNumber) -> String {
    format!("P{p:07}")
}

/// Reads a printed person id (`P0000123`, or the bare number).
pub fn parse_person(s: &str) -> Option<PersonNumber> {
    let t = s.trim();
    let digits = t.strip_prefix('P').or_else(|| t.strip_prefix('p')).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n > 0)
}

/// What the rule decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    /// The id of each group, by group number.
    pub person: Vec<PersonNumber>,
    /// Old ids no group kept: `(old, successor)`.
    pub redirects: Vec<(PersonNumber, PersonNumber)>,
    /// Groups that hold records of an old person but did not keep its id, though that id was
    /// kept by another group (a split): `(old, group)`, the group being given a new id.
    pub splits: Vec<(PersonNumber, usize)>,
}

/// Gives every group an id. `old[i]` is record `i`'s person before (None for a new record),
/// `group[i]` its group now (`0..groups`); `next` is the next unused id, advanced for each
/// new one.
pub fn assign(old: &[Option<PersonNumber>], group: &[u32], groups: usize, next: &mut PersonNumber) -> Assignment {
    debug_assert_eq!(old.len(), group.len());
    let mut overlap: BTreeMap<(u32, PersonNumber), u64> = BTreeMap::new();
    for (o, &g) in old.iter().zip(group) {
        if let Some(p) = o {
            *overlap.entry((g, *p)).or_default() += 1;
        }
    }
    let mut by_size: Vec<(u64, PersonNumber, u32)> = overlap.iter().map(|(&(g, p), &n)| (n, p, g)).collect();
    by_size.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut person: Vec<Option<PersonNumber>> = vec![None; groups];
    let mut kept: BTreeMap<PersonNumber, u32> = BTreeMap::new();
    for &(_, p, g) in &by_size {
        if person[g as usize].is_none() && !kept.contains_key(&p) {
            person[g as usize] = Some(p);
            kept.insert(p, g);
        }
    }
    let mut splits = Vec::new();
    let person: Vec<PersonNumber> = person
        .into_iter()
        .enumerate()
        .map(|(g, p)| {
            p.unwrap_or_else(|| {
                let id = *next;
                *next += 1;
                // Old persons some of whose records are here, whose id went elsewhere.
                for (&(gg, op), _) in overlap.range((g as u32, PersonNumber::MIN)..=(g as u32, PersonNumber::MAX)) {
                    debug_assert_eq!(gg as usize, g);
                    if kept.contains_key(&op) {
                        splits.push((op, g));
                    }
                }
                id
            })
        })
        .collect();
    // Old ids no group kept: to the group with most of their records.
    let mut best: BTreeMap<PersonNumber, (u64, u32)> = BTreeMap::new();
    for (&(g, p), &n) in &overlap {
        if kept.contains_key(&p) {
            continue;
        }
        let e = best.entry(p).or_insert((n, g));
        if n > e.0 || (n == e.0 && g < e.1) {
            *e = (n, g);
        }
    }
    let redirects = best.into_iter().map(|(p, (_, g))| (p, person[g as usize])).collect();
    Assignment { person, redirects, splits }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn labels_round_trip() {
        assert_eq!(person_label(123), "P0000123");
        assert_eq!(parse_person("P0000123"), Some(123));
        assert_eq!(parse_person("123"), Some(123));
        assert_eq!(parse_person("P0"), None);
        assert_eq!(parse_person("Q12"), None);
        assert_eq!(parse_person(""), None);
    }

    #[test]
    fn a_merge_keeps_the_larger_persons_id_and_redirects_the_other() {
        // Person 7 (2 records) and person 3 (3 records) and a new record, now one group.
        let old = [Some(7), Some(7), Some(3), Some(3), Some(3), None];
        let mut next = 10;
        let a = assign(&old, &[0; 6], 1, &mut next);
        assert_eq!(a.person, vec![3]);
        assert_eq!(a.redirects, vec![(7, 3)]);
        assert!(a.splits.is_empty());
        assert_eq!(next, 10, "no new id");
        // On a tie, the older id survives.
        let old = [Some(7), Some(3)];
        assert_eq!(assign(&old, &[0, 0], 1, &mut next).person, vec![3]);
    }

    #[test]
    fn a_split_leaves_the_id_with_the_larger_part() {
        let old = [Some(5), Some(5), Some(5), Some(5), None];
        let group = [1, 0, 1, 1, 0];
        let mut next = 9;
        let a = assign(&old, &group, 2, &mut next);
        assert_eq!(a.person, vec![9, 5]);
        assert_eq!(a.splits, vec![(5, 0)]);
        assert!(a.redirects.is_empty());
        assert_eq!(next, 10);
    }

    proptest! {
        /// Whatever the regrouping: every group gets an id; no two groups share one; a new id
        /// is never an old one and never below `next`; every old id is either kept by exactly
        /// one group or redirected to an id some group has.
        #[test]
        fn ids_are_never_shared_or_reused(recs in proptest::collection::vec((proptest::option::of(1i64..8), 0u32..5), 0..40)) {
            let old: Vec<Option<i64>> = recs.iter().map(|r| r.0).collect();
            let group: Vec<u32> = recs.iter().map(|r| r.1).collect();
            let groups = 5;
            let mut next = 100;
            let a = assign(&old, &group, groups, &mut next);
            prop_assert_eq!(a.person.len(), groups);
            let mut seen = std::collections::BTreeSet::new();
            for &p in &a.person {
                prop_assert!(seen.insert(p), "id {} given twice", p);
                prop_assert!(p < 8 || (100..next).contains(&p));
            }
            let olds: std::collections::BTreeSet<i64> = old.iter().flatten().copied().collect();
            for o in &olds {
                let kept = a.person.contains(o);
                let redirected = a.redirects.iter().filter(|r| r.0 == *o).count();
                prop_assert!(kept ^ (redirected == 1), "old id {} kept {} redirected {}", o, kept, redirected);
            }
            for (_, to) in &a.redirects {
                prop_assert!(a.person.contains(to));
            }
        }
    }
}

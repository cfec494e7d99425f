//! Ids that last: which earlier id each group of a new grouping keeps.
//!
//! One rule for every place Conduct regroups records under ids that analysts bookmark: an
//! incremental update of the population (persons), and a publication on the dashboard (persons
//! and courses). The rule (one greedy pass, deterministic):
//!
//! - Each earlier id has a **home**: the new group holding most of its members (ties: the group
//!   that comes first). Only its home can keep an id, so a bookmark never follows a minority
//!   fragment.
//! - Overlaps are taken largest first (ties: the smaller, i.e. older, id; then the group that
//!   comes first); a group keeps an earlier id when the group has none yet, the id is not yet
//!   kept, and the group is the id's home.
//! - So when two ids' members come together (a merge), the surviving id is the one sharing more
//!   members with the merged group (on a tie, the older), and the other **redirects** to it; when
//!   an id's members part (a split), the part with most of them keeps the id and the other parts
//!   get fresh ids.
//! - Every earlier id that no group keeps redirects to its home's id. Fresh ids come from the
//!   caller's counter, which only grows: an id is never given twice.

use std::collections::BTreeMap;
use std::fmt;

/// A person's id, one numbering everywhere Conduct prints or reads one: numbered from 1,
/// written `P` and at least seven digits (`P0000001`). Linkage numbers its persons from 0 in row
/// order; [`PersonId::from_index`] turns that number into the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PersonId(u64);

/// A course of conduct's id: numbered from 1, written `C` and at least six digits (`C000001`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CourseId(u64);

macro_rules! numbered_id {
    ($ty:ident, $prefix:literal, $width:literal) => {
        impl $ty {
            /// The id numbered `n`; none for 0, which numbers nothing.
            pub fn new(n: u64) -> Option<$ty> {
                (n > 0).then_some($ty(n))
            }

            /// The id of the thing numbered `i` from 0 (the `i`-th found).
            pub fn from_index(i: u32) -> $ty {
                $ty(u64::from(i) + 1)
            }

            /// Its number, from 1.
            pub fn number(self) -> u64 {
                self.0
            }

            /// Its written form, as [`fmt::Display`] writes it, made without the formatting
            /// machinery (for writers of millions of rows).
            pub fn written(self) -> Written {
                Written::of($prefix, $width, self.0)
            }

            #[doc = concat!("Reads an id as written (`", $prefix, "0000123`), with a lower-case letter or")]
            /// none (the bare number, as a user may type it); none for anything else or for 0.
            pub fn parse(text: &str) -> Option<$ty> {
                let t = text.trim();
                let digits = t.strip_prefix($prefix).or_else(|| t.strip_prefix(&$prefix.to_ascii_lowercase())).unwrap_or(t);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                digits.parse().ok().and_then($ty::new)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{:0", $width, "}"), self.0)
            }
        }
    };
}

/// An id's written form held inline ([`PersonId::written`], [`CourseId::written`]): its
/// letter and its number's digits, zero-padded to the id's width.
#[derive(Clone, Copy, Debug)]
pub struct Written {
    bytes: [u8; 24],
    len: u8,
}

impl Written {
    fn of(prefix: &str, width: usize, n: u64) -> Written {
        // A one-letter prefix and at most 20 digits (a u64's most) fit in 24 bytes.
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(n).as_bytes();
        let mut bytes = [b'0'; 24];
        let p = prefix.len();
        bytes[..p].copy_from_slice(prefix.as_bytes());
        let len = p + digits.len().max(width);
        bytes[len - digits.len()..len].copy_from_slice(digits);
        Written { bytes, len: len as u8 }
    }

    /// The written id's bytes (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

numbered_id!(PersonId, "P", 7);
numbered_id!(CourseId, "C", 6);

/// What an event in a history of ids did. Stored and shown as its word ([`Change::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// Two ids' members came together; the one not kept redirects to the one kept.
    Merge,
    /// Some members of an id left it for a fresh id; the larger part kept it.
    Split,
    /// Some members of an id joined another, both ids going on (the population's re-clustering).
    Move,
    /// A force withdrew an id's records (the population only).
    Withdraw,
}

impl Change {
    /// Every kind, in the order above.
    pub const ALL: [Change; 4] = [Change::Merge, Change::Split, Change::Move, Change::Withdraw];

    /// `merge`, `split`, `move` or `withdraw`.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Merge => "merge",
            Change::Split => "split",
            Change::Move => "move",
            Change::Withdraw => "withdraw",
        }
    }

    /// The kind a word names, as [`Change::as_str`] writes it.
    pub fn parse(word: &str) -> Option<Change> {
        Change::ALL.into_iter().find(|c| c.as_str() == word)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`assign`] decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment<Id> {
    /// The id of each group, by group number.
    pub ids: Vec<Id>,
    /// Earlier ids no group kept, each leading to the id of its home, in id order.
    pub redirects: Vec<Redirect<Id>>,
    /// Groups given a fresh id that hold members of an earlier id kept by another group (a
    /// split): `(earlier, group)`.
    pub splits: Vec<(Id, usize)>,
}

/// An earlier id no group kept: it leads to the id of its home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redirect<Id> {
    /// The id retired.
    pub earlier: Id,
    /// The id it leads to: its home's.
    pub successor: Id,
    /// Its home: the group holding most of its members.
    pub home: usize,
}

/// Gives each of `groups` groups an id under the rule above. `overlaps` counts, per (group,
/// earlier id), the members they share (members without an earlier id are not counted);
/// `fresh` makes a new id each time it is called, in group order.
pub fn assign<Id: Ord + Clone>(groups: usize, overlaps: &BTreeMap<(u32, Id), u64>, mut fresh: impl FnMut() -> Id) -> Assignment<Id> {
    // Each earlier id's home: the group sharing most with it, the first such group on a tie.
    let mut home: BTreeMap<&Id, (u64, u32)> = BTreeMap::new();
    for ((g, id), &n) in overlaps {
        let e = home.entry(id).or_insert((n, *g));
        if n > e.0 || (n == e.0 && *g < e.1) {
            *e = (n, *g);
        }
    }
    let mut ranked: Vec<(u64, &Id, u32)> = overlaps.iter().map(|((g, id), &n)| (n, id, *g)).collect();
    ranked.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| x.1.cmp(y.1)).then(x.2.cmp(&y.2)));
    let mut kept: Vec<Option<Id>> = vec![None; groups];
    let mut taken: BTreeMap<&Id, u32> = BTreeMap::new();
    for &(_, id, g) in &ranked {
        let Some(slot) = kept.get_mut(g as usize) else { continue };
        if slot.is_none() && !taken.contains_key(id) && home[id].1 == g {
            *slot = Some(id.clone());
            taken.insert(id, g);
        }
    }
    // Groups given a fresh id that hold members of an earlier id another group kept.
    let splits: Vec<(Id, usize)> = overlaps
        .keys()
        .filter(|(g, id)| kept.get(*g as usize).is_some_and(Option::is_none) && taken.contains_key(id))
        .map(|(g, id)| (id.clone(), *g as usize))
        .collect();
    let ids: Vec<Id> = kept.into_iter().map(|k| k.unwrap_or_else(&mut fresh)).collect();
    let redirects = home
        .iter()
        .filter(|(id, _)| !taken.contains_key(*id))
        .filter_map(|(id, &(_, g))| Some(Redirect { earlier: (*id).clone(), successor: ids.get(g as usize)?.clone(), home: g as usize }))
        .collect();
    Assignment { ids, redirects, splits }
}

/// Counts, per (group, earlier id), the members they share: `members` gives each member's
/// new group and the id it had (a member with no earlier id is left out).
///
/// The members are sorted and counted in runs, and the map built from the sorted counts in one
/// pass rather than by a map entry per member: a publication of the 1M world counts half a
/// million reports of its courses, and this took about 0.1 s off its ids stage (0.9 -> 0.8 s).
pub fn overlaps<Id: Ord>(members: impl IntoIterator<Item = (u32, Id)>) -> BTreeMap<(u32, Id), u64> {
    let mut members: Vec<(u32, Id)> = members.into_iter().collect();
    members.sort_unstable();
    let mut counts: Vec<((u32, Id), u64)> = Vec::new();
    for m in members {
        match counts.last_mut() {
            Some((last, n)) if *last == m => *n += 1,
            _ => counts.push((m, 1)),
        }
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// An id written without the formatting machinery is what `Display` writes, for every
        /// number (the widths' edges, and the largest, with 20 digits).
        #[test]
        fn an_id_is_written_as_display_writes_it(n in prop_oneof![1u64..=10_000_000, 1u64..=u64::MAX, Just(u64::MAX), Just(9_999_999), Just(999_999)]) {
            let (p, c) = (PersonId::new(n).unwrap(), CourseId::new(n).unwrap());
            let (pw, cw) = (p.written(), c.written());
            let (ps, cs) = (p.to_string(), c.to_string());
            prop_assert_eq!(pw.as_bytes(), ps.as_bytes());
            prop_assert_eq!(cw.as_bytes(), cs.as_bytes());
        }
    }

    fn fresh_from(next: &mut i64) -> impl FnMut() -> i64 + '_ {
        move || {
            let id = *next;
            *next += 1;
            id
        }
    }

    fn of(old: &[Option<i64>], group: &[u32]) -> BTreeMap<(u32, i64), u64> {
        overlaps(old.iter().zip(group).filter_map(|(o, &g)| Some((g, (*o)?))))
    }

    #[test]
    fn ids_are_written_and_read_back_in_one_numbering() {
        assert_eq!(PersonId::from_index(0).to_string(), "P0000001");
        assert_eq!(PersonId::new(123).unwrap().to_string(), "P0000123");
        assert_eq!(PersonId::new(12_345_678).unwrap().to_string(), "P12345678");
        assert_eq!(CourseId::from_index(41).to_string(), "C000042");
        assert_eq!(PersonId::new(0), None);
        for (text, n) in
            [("P0000123", Some(123)), ("p123", Some(123)), ("123", Some(123)), ("P0", None), ("Q12", None), ("", None), ("P-1", None)]
        {
            assert_eq!(PersonId::parse(text).map(PersonId::number), n, "{text:?}");
        }
        assert_eq!(CourseId::parse("C000042").map(CourseId::number), Some(42));
        assert_eq!(CourseId::parse("P000042"), None, "a person's id is not a course's");
    }

    proptest! {
        /// The counts are those of one entry per member, in any order, with any repeats.
        #[test]
        fn overlaps_count_every_member_once(members in proptest::collection::vec((0u32..6, 0i64..6), 0..200)) {
            let mut plain: BTreeMap<(u32, i64), u64> = BTreeMap::new();
            for &m in &members {
                *plain.entry(m).or_default() += 1;
            }
            prop_assert_eq!(overlaps(members), plain);
        }
    }

    proptest! {
        /// Every id reads back as itself.
        #[test]
        fn an_id_reads_back_as_itself(n in 1u64..u64::MAX) {
            prop_assert_eq!(PersonId::parse(&PersonId::new(n).unwrap().to_string()), PersonId::new(n));
            prop_assert_eq!(CourseId::parse(&CourseId::new(n).unwrap().to_string()), CourseId::new(n));
        }
    }

    #[test]
    fn a_merge_keeps_the_larger_id_and_redirects_the_other() {
        // Id 7 (2 members) and id 3 (3 members) and a new member, now one group.
        let mut next = 10;
        let a = assign(1, &of(&[Some(7), Some(7), Some(3), Some(3), Some(3), None], &[0; 6]), fresh_from(&mut next));
        assert_eq!(a.ids, vec![3]);
        assert_eq!(a.redirects, vec![Redirect { earlier: 7, successor: 3, home: 0 }]);
        assert!(a.splits.is_empty());
        assert_eq!(next, 10, "no fresh id");
        // On a tie, the older id survives.
        assert_eq!(assign(1, &of(&[Some(7), Some(3)], &[0, 0]), fresh_from(&mut next)).ids, vec![3]);
    }

    #[test]
    fn a_split_leaves_the_id_with_the_larger_part() {
        let mut next = 9;
        let a = assign(2, &of(&[Some(5), Some(5), Some(5), Some(5), None], &[1, 0, 1, 1, 0]), fresh_from(&mut next));
        assert_eq!(a.ids, vec![9, 5]);
        assert_eq!(a.splits, vec![(5, 0)]);
        assert!(a.redirects.is_empty());
        assert_eq!(next, 10);
        // A three-way split with no majority: the largest part keeps the id.
        let a =
            assign(3, &of(&[Some(5), Some(5), Some(5), Some(5), Some(5), Some(5), Some(5)], &[2, 0, 1, 0, 1, 0, 2]), fresh_from(&mut next));
        assert_eq!(a.ids, vec![5, 10, 11]);
        assert_eq!(a.splits, vec![(5, 1), (5, 2)]);
    }

    #[test]
    fn an_id_does_not_follow_a_minority_fragment() {
        // Id 1 = {a, b, c}, id 2 = {d, e, f, g}. Group 0 = {b, c, d, e, f, g} keeps 2; group 1 =
        // {a} holds one of id 1's three members: it gets a fresh id, and 1 leads to 2.
        let mut next = 3;
        let old = [Some(1), Some(1), Some(2), Some(2), Some(2), Some(2), Some(1)];
        let a = assign(2, &of(&old, &[0, 0, 0, 0, 0, 0, 1]), fresh_from(&mut next));
        assert_eq!(a.ids, vec![2, 3]);
        assert_eq!(a.redirects, vec![Redirect { earlier: 1, successor: 2, home: 0 }]);
        assert!(a.splits.is_empty(), "id 1 was not kept: its fragment is not a split of a kept id");
    }

    proptest! {
        /// Whatever the regrouping: every group gets an id; no two groups share one; a fresh id
        /// is never an earlier one; every earlier id is either kept, by its home, or redirected
        /// once to its home's id.
        #[test]
        fn ids_are_never_shared_or_reused(recs in proptest::collection::vec((proptest::option::of(1i64..8), 0u32..5), 0..40)) {
            let old: Vec<Option<i64>> = recs.iter().map(|r| r.0).collect();
            let group: Vec<u32> = recs.iter().map(|r| r.1).collect();
            let ov = of(&old, &group);
            let mut next = 100;
            let a = assign(5, &ov, fresh_from(&mut next));
            prop_assert_eq!(a.ids.len(), 5);
            let mut seen = std::collections::BTreeSet::new();
            for &p in &a.ids {
                prop_assert!(seen.insert(p), "id {} given twice", p);
                prop_assert!(p < 8 || (100..next).contains(&p));
            }
            for o in old.iter().flatten().collect::<std::collections::BTreeSet<_>>() {
                let most = ov.iter().filter(|((_, id), _)| id == o).map(|(_, &n)| n).max().unwrap();
                let home = ov.iter().find(|((_, id), n)| id == o && **n == most).map(|((g, _), _)| *g as usize).unwrap();
                let kept = a.ids.iter().position(|p| p == o);
                let redirected: Vec<Redirect<i64>> = a.redirects.iter().filter(|r| r.earlier == *o).copied().collect();
                match kept {
                    Some(g) => {
                        prop_assert_eq!(g, home, "id {} kept away from its home", o);
                        prop_assert!(redirected.is_empty());
                    }
                    None => prop_assert_eq!(redirected, vec![Redirect { earlier: *o, successor: a.ids[home], home }]),
                }
            }
        }
    }
}

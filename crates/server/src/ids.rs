//! Person and course ids that survive republication.
//!
//! Each publication links every export afresh, so linkage numbers its persons and courses from
//! one again. Analysts bookmark a course, write its id in a case note, or are sent a link to a
//! person: those must still mean the same records after the next upload. So before a new
//! analysis is published, its groups (a person: people records; a course: incidents) take over
//! the published ids by the one rule Conduct uses wherever it regroups under lasting ids,
//! [`conduct_domain::ids`] (the incremental update of a population uses it too): an id stays with
//! the group holding most of its members, largest overlaps first, so a bookmark never follows a
//! minority fragment; a group with no predecessor, or whose predecessor went to a larger
//! successor, gets a fresh number. Numbers are never reused: the next one is kept in `meta`,
//! so an id that disappears (two persons found to be one) cannot later name someone else;
//! instead it is recorded as leading to the id that took most of its members, and the views
//! follow it.

use std::collections::BTreeMap;

/// How many members each (new group, old id number) pair shares, from each member's new group
/// and the id it was published under. Ids are compared by their numbers (every published id
/// was made by [`person`] or [`course`], so the number gives the id back).
pub fn overlaps<'a>(members: impl IntoIterator<Item = (u32, &'a str)>) -> BTreeMap<(u32, u64), u64> {
    conduct_domain::ids::overlaps(members.into_iter().filter_map(|(g, id)| Some((g, number(id)?))))
}

/// The ids of one publication's groups, and what became of the ids they replace.
#[derive(Debug, Default, PartialEq)]
pub struct Assigned {
    /// Per new group, its id.
    pub labels: Vec<String>,
    /// Old ids not carried over, each with the new id of the group holding most of its
    /// members (two persons found to be one: the smaller's id now leads to the larger's).
    pub retired: Vec<(String, String)>,
    /// The merges and splits, for the history of ids.
    pub events: Vec<IdEvent>,
}

/// A merge or a split a publication made of the ids it carried over.
#[derive(Debug, PartialEq)]
pub struct IdEvent {
    /// `merge`: the members of `other_id` (retired, leading to `id`) joined `id`; `split`: some
    /// members of `other_id` (kept by its larger part) left it for the fresh `id`.
    pub kind: &'static str,
    /// The id the members are under now.
    pub id: String,
    /// The id they came from.
    pub other_id: String,
    /// How many members moved.
    pub members: u64,
}

/// Labels for `groups` new groups by [`conduct_domain::ids::assign`]: old ids carried over,
/// fresh numbers from `next` for the rest, in group order, each written by `label`. `next` is
/// advanced past every fresh number used.
pub fn assign(groups: usize, overlaps: &BTreeMap<(u32, u64), u64>, next: &mut u64, label: impl Fn(u64) -> String) -> Assigned {
    let a = conduct_domain::ids::assign(groups, overlaps, || {
        let n = *next;
        *next += 1;
        n
    });
    let labels: Vec<String> = a.ids.iter().map(|&n| label(n)).collect();
    let mut retired: Vec<(String, String)> = a.redirects.iter().map(|&(old, to)| (label(old), label(to))).collect();
    retired.sort();
    let group_of: std::collections::HashMap<u64, u32> = a.ids.iter().enumerate().map(|(g, &n)| (n, g as u32)).collect();
    let shared = |g: u32, old: u64| overlaps.get(&(g, old)).copied().unwrap_or(0);
    let mut events: Vec<IdEvent> = a
        .redirects
        .iter()
        .map(|&(old, to)| IdEvent { kind: "merge", id: label(to), other_id: label(old), members: shared(group_of[&to], old) })
        .collect();
    events.extend(a.splits.iter().map(|&(old, g)| IdEvent {
        kind: "split",
        id: labels[g].clone(),
        other_id: label(old),
        members: shared(g as u32, old),
    }));
    Assigned { labels, retired, events }
}

/// The number in an id such as `P0000042` or `C000042` (42), if it has one.
pub fn number(id: &str) -> Option<u64> {
    id.get(1..).and_then(|d| d.parse().ok())
}

/// A person id for number `n` (1-based): `P0000001`, as linkage prints them.
pub fn person(n: u64) -> String {
    conduct_resolve::person_id(u32::try_from(n - 1).expect("fewer than 2^32 person ids"))
}

/// A course id for number `n` (1-based): `C000001`, as course finding prints them.
pub fn course(n: u64) -> String {
    conduct_courses::course_id(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_largest_share_and_new_groups_get_fresh_numbers() {
        // Old: P1 = {a, b, c}, P2 = {d}, P3 = {e, f}. New: group 0 = {a, b} (P1 split),
        // group 1 = {c, d} (one of P1, one of P2), group 2 = {e, f} (P3 unchanged), group 3 = {g}.
        let members = [(0, "P1"), (0, "P1"), (1, "P1"), (1, "P2"), (2, "P3"), (2, "P3")];
        let mut next = 4;
        let ids = assign(4, &overlaps(members), &mut next, person);
        // Group 0 keeps P1 (two shared); group 1 then takes P2 (P1 is taken); P3 stays;
        // the new group gets number 4, and the counter moves on.
        assert_eq!(ids.labels, vec!["P0000001", "P0000002", "P0000003", "P0000004"]);
        assert!(ids.retired.is_empty());
        assert_eq!(next, 5);
    }

    #[test]
    fn a_merged_id_is_not_reused() {
        // Old P1 and P2 are found to be one person: the larger keeps its id, the other id is
        // gone, and a new person gets a fresh number rather than P2.
        let members = [(0, "P0000001"), (0, "P0000001"), (0, "P0000002"), (1, "P0000003")];
        let mut next = 4;
        let ids = assign(3, &overlaps(members), &mut next, person);
        assert_eq!(ids.labels, vec!["P0000001", "P0000003", "P0000004"]);
        // P0000002 is retired and leads to the person it joined.
        assert_eq!(ids.retired, vec![("P0000002".to_string(), "P0000001".to_string())]);
        assert_eq!(
            ids.events,
            vec![IdEvent { kind: "merge", id: "P0000001".into(), other_id: "P0000002".into(), members: 1 }],
            "one member of P0000002 joined P0000001"
        );
    }

    #[test]
    fn a_split_is_an_event_of_the_fresh_id() {
        // P5 = {a, b, c}: now {a, b} and {c}. The larger part keeps P5; {c} is split off.
        let members = [(0, "P0000005"), (0, "P0000005"), (1, "P0000005")];
        let mut next = 6;
        let ids = assign(2, &overlaps(members), &mut next, person);
        assert_eq!(ids.labels, vec!["P0000005", "P0000006"]);
        assert_eq!(ids.events, vec![IdEvent { kind: "split", id: "P0000006".into(), other_id: "P0000005".into(), members: 1 }]);
    }

    #[test]
    fn an_id_does_not_follow_a_minority_fragment() {
        // Old P1 = {a, b, c}, P2 = {d, e, f, g}. New group 0 = {b, c, d, e, f, g} keeps P2;
        // group 1 = {a} holds one of P1's three members: a fresh id, and P1 leads to group 0.
        let members = [(0, "P1"), (0, "P1"), (0, "P2"), (0, "P2"), (0, "P2"), (0, "P2"), (1, "P1")];
        let mut next = 3;
        let ids = assign(2, &overlaps(members), &mut next, person);
        assert_eq!(ids.labels, vec!["P0000002", "P0000003"]);
        assert_eq!(ids.retired, vec![("P0000001".to_string(), "P0000002".to_string())]);
    }

    #[test]
    fn numbers_are_read_back() {
        assert_eq!(number(&person(42)), Some(42));
        assert_eq!(number(&course(7)), Some(7));
        assert_eq!(number("X"), None);
    }
}

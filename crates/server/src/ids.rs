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

use conduct_domain::ids::{Change, CourseId, PersonId};

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
    pub kind: Change,
    /// The id the members are under now.
    pub id: String,
    /// The id they came from.
    pub other_id: String,
    /// How many members moved.
    pub members: u64,
    /// Why, for a person's merge or split: the deciding comparisons ([`explain_person_events`]);
    /// empty for a course's, which follow their persons.
    pub reason: String,
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
    let mut retired: Vec<(String, String)> = a.redirects.iter().map(|r| (label(r.earlier), label(r.successor))).collect();
    retired.sort();
    let shared = |g: usize, old: u64| overlaps.get(&(g as u32, old)).copied().unwrap_or(0);
    let mut events: Vec<IdEvent> = a
        .redirects
        .iter()
        .map(|r| IdEvent {
            kind: Change::Merge,
            id: label(r.successor),
            other_id: label(r.earlier),
            members: shared(r.home, r.earlier),
            reason: String::new(),
        })
        .collect();
    events.extend(a.splits.iter().map(|&(old, g)| IdEvent {
        kind: Change::Split,
        id: labels[g].clone(),
        other_id: label(old),
        members: shared(g, old),
        reason: String::new(),
    }));
    Assigned { labels, retired, events }
}

/// The most records of each side a reason compares: the pairs examined per event are at most
/// its square.
const REASON_SIDE: usize = 30;

/// What a publication knows to explain its person events with.
pub struct Explainer<'a> {
    /// The people rows linked, in row order.
    pub rows: &'a [conduct_domain::Involvement],
    /// Each row's new group (person number).
    pub group: &'a [u32],
    /// Each row's published person id before this publication, if it had one.
    pub old: &'a [Option<&'a str>],
    /// The labels of the new groups ([`Assigned::labels`]).
    pub labels: &'a [String],
    /// The model the rows were linked with, and their names' frequencies.
    pub model: &'a conduct_resolve::Model,
    /// Term frequencies of the rows' names.
    pub tf: &'a conduct_resolve::model::TermFrequencies,
}

/// Gives each person merge and split its reason: the strongest pair of records across the two
/// sides (for a merge, the retired id's records against the rest of the person; for a split,
/// the part that left against the part that kept the id) under the model the publication
/// linked with, and the comparisons on which it scores. It names no record and no value, only
/// forces and comparisons: the history is shown to readers of any force that holds the person,
/// and either side may hold records of a force the reader may not see. Each side contributes
/// its first thirty records.
pub fn explain_person_events(events: &mut [IdEvent], x: &Explainer) {
    use std::collections::{HashMap, HashSet};
    let group_of_label: HashMap<&str, u32> = x.labels.iter().enumerate().map(|(g, l)| (l.as_str(), g as u32)).collect();
    let involved: HashSet<u32> = events
        .iter()
        .flat_map(|e| [group_of_label.get(e.id.as_str()), group_of_label.get(e.other_id.as_str())])
        .flatten()
        .copied()
        .collect();
    let mut rows_of: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, g) in x.group.iter().enumerate() {
        if involved.contains(g) {
            rows_of.entry(*g).or_default().push(i);
        }
    }
    let nick = conduct_resolve::normalise::Nicknames::builtin();
    let none = Vec::new();
    for e in events.iter_mut() {
        let rows = |label: &str| group_of_label.get(label).and_then(|g| rows_of.get(g)).unwrap_or(&none);
        let (left, right): (Vec<usize>, Vec<usize>) = match e.kind {
            // The retired id's records, and the rest of the person they joined.
            Change::Merge => rows(&e.id).iter().partition(|&&i| x.old[i] == Some(e.other_id.as_str())),
            // The part that left, and the part that kept the id.
            _ => (rows(&e.id).clone(), rows(&e.other_id).clone()),
        };
        let best = strongest(&left, &right, x, &nick);
        e.reason = match (e.kind, best) {
            (_, None) => String::new(),
            (Change::Merge, Some((w, forces, agreeing, refused))) if w.total >= w.threshold && refused.is_none() => format!(
                "{} joined {}: the strongest pair across them ({forces}) scores {:.1} bits, over the threshold of {:.1}, on {agreeing}",
                e.other_id, e.id, w.total, w.threshold
            ),
            (Change::Merge, Some((w, forces, agreeing, _))) => format!(
                "{} joined {} through records linked to both: no pair across them joins on its own (the strongest, {forces}, scores {:.1} bits against a threshold of {:.1}, on {agreeing})",
                e.other_id, e.id, w.total, w.threshold
            ),
            (_, Some((w, forces, agreeing, refused))) => format!(
                "{} left {}: the strongest pair across the parts ({forces}) scores {:.1} bits against a threshold of {:.1}, on {agreeing}{}",
                e.id,
                e.other_id,
                w.total,
                w.threshold,
                refused.map(|r| format!("; clustering refuses to join them ({r})")).unwrap_or_default()
            ),
        };
    }
}

/// The strongest pair across `left` and `right` (their first [`REASON_SIDE`] rows each): its
/// waterfall, its forces in words, its agreeing comparisons in words and the contradiction
/// that would refuse it, if any.
fn strongest(
    left: &[usize],
    right: &[usize],
    x: &Explainer,
    nick: &conduct_resolve::normalise::Nicknames,
) -> Option<(conduct_resolve::explain::Waterfall, String, String, Option<String>)> {
    let features = |side: &[usize]| -> Vec<(usize, conduct_resolve::normalise::Features)> {
        side.iter().take(REASON_SIDE).map(|&i| (i, conduct_resolve::normalise::normalise(&x.rows[i], nick))).collect()
    };
    let (l, r) = (features(left), features(right));
    let mut best: Option<(conduct_resolve::explain::Waterfall, usize, usize)> = None;
    for (i, a) in &l {
        for (j, b) in &r {
            let w = conduct_resolve::explain::explain(a, b, x.model, x.tf);
            if best.as_ref().is_none_or(|(bw, _, _)| w.total > bw.total) {
                best = Some((w, *i, *j));
            }
        }
    }
    let (w, i, j) = best?;
    let (fi, fj) = (x.rows[i].force.name(), x.rows[j].force.name());
    let a = |force: &str| if force.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" };
    let forces = if fi == fj { format!("two {fi} records") } else { format!("{} {fi} record and {} {fj} record", a(fi), a(fj)) };
    let agreeing: Vec<String> =
        w.steps.iter().filter(|s| s.weight + s.tf_adjustment > 0.0).map(|s| format!("{} {}", s.comparison, s.level)).collect();
    let agreeing = if agreeing.is_empty() { "no agreeing comparison".to_string() } else { agreeing.join(", ") };
    let refused = w.contradiction.map(|(c, l)| format!("{c}: {l}"));
    Some((w, forces, agreeing, refused))
}

/// The number in an id such as `P0000042` or `C000042` (42), if it is one.
pub fn number(id: &str) -> Option<u64> {
    PersonId::parse(id).map(PersonId::number).or_else(|| CourseId::parse(id).map(CourseId::number))
}

/// A person id for number `n` (from 1): `P0000001` ([`PersonId`]).
pub fn person(n: u64) -> String {
    PersonId::new(n).map_or_else(|| n.to_string(), |p| p.to_string())
}

/// A course id for number `n` (from 1): `C000001` ([`CourseId`]).
pub fn course(n: u64) -> String {
    CourseId::new(n).map_or_else(|| n.to_string(), |c| c.to_string())
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
            vec![IdEvent { kind: Change::Merge, id: "P0000001".into(), other_id: "P0000002".into(), members: 1, reason: String::new() }],
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
        assert_eq!(
            ids.events,
            vec![IdEvent { kind: Change::Split, id: "P0000006".into(), other_id: "P0000005".into(), members: 1, reason: String::new() }]
        );
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

    fn row(id: &str, force: &str, fore: &str, sur: &str, dob: &str) -> conduct_domain::Involvement {
        let force = conduct_domain::Force::resolve(force).unwrap();
        let mut p = conduct_domain::Involvement::new(id, force, "X-1", conduct_domain::Role::Victim);
        (p.forename, p.surname) = (fore.into(), sur.into());
        p.set_date_of_birth(dob);
        p
    }

    /// A merge names the forces of its strongest pair and the comparisons it agrees on, and no
    /// record or value; a split says how far below the threshold its parts are.
    #[test]
    fn a_merge_and_a_split_are_explained_by_their_strongest_pair() {
        // Old P1 = {R1 (Kent)}, P2 = {R2 (Essex)}, P3 = {R3, R4}. Now R1 and R2 are one person
        // (group 0, keeping P1), and R4 (another woman) has left R3 (group 1 keeps P3, group
        // 2 is new).
        let rows = [
            row("R1", "Kent", "Harriet", "Okonkwo", "1990-02-03"),
            row("R2", "Essex", "Harriet", "Okonkwo", "1990-02-03"),
            row("R3", "Kent", "Ann", "Lee", "1985-07-05"),
            row("R4", "Kent", "Zoe", "Ray", "1970-11-30"),
        ];
        let group = [0, 0, 1, 2];
        let old = [Some("P0000001"), Some("P0000002"), Some("P0000003"), Some("P0000003")];
        let members = [(0, "P0000001"), (0, "P0000002"), (1, "P0000003"), (2, "P0000003")];
        let mut next = 4;
        let mut ids = assign(3, &overlaps(members), &mut next, person);
        assert_eq!(ids.labels, ["P0000001", "P0000003", "P0000004"]);
        let model = conduct_resolve::Model::default_for(rows.len());
        let (_, tf) = conduct_resolve::features(&rows);
        let x = Explainer { rows: &rows, group: &group, old: &old, labels: &ids.labels, model: &model, tf: &tf };
        explain_person_events(&mut ids.events, &x);
        let why = |kind: Change| ids.events.iter().find(|e| e.kind == kind).unwrap().reason.clone();
        let merge = why(Change::Merge);
        assert!(
            merge.starts_with("P0000002 joined P0000001: the strongest pair across them (an Essex record and a Kent record)"),
            "{merge}"
        );
        assert!(
            merge.contains("over the threshold") && merge.contains("forename exact") && merge.contains("date_of_birth exact"),
            "{merge}"
        );
        assert!(!merge.contains("R1") && !merge.contains("Harriet") && !merge.contains("1990"), "no record or value: {merge}");
        let split = why(Change::Split);
        assert!(split.starts_with("P0000004 left P0000003: the strongest pair across the parts (two Kent records) scores -"), "{split}");
        assert!(split.contains("against a threshold of"), "{split}");
    }

    #[test]
    fn numbers_are_read_back() {
        assert_eq!(number(&person(42)), Some(42));
        assert_eq!(number(&course(7)), Some(7));
        assert_eq!(number("X"), None);
    }
}

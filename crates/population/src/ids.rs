//! Person ids that last across updates: the population's use of the one rule in
//! [`conduct_domain::ids`] (a merged group keeps the id sharing most records with it, the other
//! redirects to it; the largest part of a split keeps the id; an id never follows a minority
//! fragment; ids are never reused).

use conduct_domain::ids::PersonId;

/// A person's number in the index: the number of its [`PersonId`] (from 1), as the store keeps
/// integers.
pub type PersonNumber = i64;

/// The person id numbered `p`, if `p` numbers one (from 1).
pub fn person_id(p: PersonNumber) -> Option<PersonId> {
    u64::try_from(p).ok().and_then(PersonId::new)
}

/// The printed form of a person id ([`PersonId`]); a number that is no id (0, "withdrawn") as
/// the number.
pub fn person_label(p: PersonNumber) -> String {
    person_id(p).map_or_else(|| p.to_string(), |id| id.to_string())
}

/// Reads a printed person id (`P0000123`, or the bare number: [`PersonId::parse`]).
pub fn parse_person(s: &str) -> Option<PersonNumber> {
    PersonId::parse(s).and_then(|p| PersonNumber::try_from(p.number()).ok())
}

/// What the rule decided: the id of each group ([`Assignment::ids`]), the ids no group kept with
/// their successors, and the groups split off a kept id.
pub type Assignment = conduct_domain::ids::Assignment<PersonNumber>;

/// Gives every group an id. `old[i]` is record `i`'s person before (None for a new record),
/// `group[i]` its group now (`0..groups`); `next` is the next unused id, advanced for each
/// new one.
pub fn assign(old: &[Option<PersonNumber>], group: &[u32], groups: usize, next: &mut PersonNumber) -> Assignment {
    debug_assert_eq!(old.len(), group.len());
    let overlaps = conduct_domain::ids::overlaps(old.iter().zip(group).filter_map(|(o, &g)| Some((g, (*o)?))));
    conduct_domain::ids::assign(groups, &overlaps, || {
        let id = *next;
        *next += 1;
        id
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        assert_eq!(person_label(123), "P0000123");
        assert_eq!(parse_person("P0000123"), Some(123));
        assert_eq!(parse_person("123"), Some(123));
        assert_eq!(parse_person("P0"), None);
        assert_eq!(parse_person("Q12"), None);
        assert_eq!(parse_person(""), None);
    }
}

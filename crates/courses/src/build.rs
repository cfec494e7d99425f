//! Building courses of conduct from reports and resolved people.
//!
//! The rules, in order:
//! 1. **Known suspect.** Every report in which person S is a suspect and person V a victim joins
//!    the thread (V, S), in whatever force it was recorded. A thread of two or more reports is a
//!    course.
//!    A suspect row that carries nothing identifying (no name, date of birth, phone, e-mail,
//!    handle, PNC, NI or nominal id: "unknown male") and whose person has no other row names no
//!    suspect: the report is an unknown-suspect report (rule 2), not a thread of its own.
//!    Threads of one victim whose suspects look like one person that linkage split (the same
//!    folded surname and forename initial in some row of each, and no two different dates of
//!    birth between them) are one thread: a course is not split because the suspect's records were.
//!    A stalking-or-harassment report (rules 2 and 3) is one whose principal offence code, or
//!    one of its `secondary_offence_codes`, is in the subgroup: stalking recorded beside
//!    criminal damage counts as a principal stalking report would.
//! 2. **Unknown suspect.** A stalking-or-harassment report whose victim V is known but which names
//!    no suspect joins V's thread that is nearest in time, if it falls within
//!    [`Options::window_days`] of a report of that thread (so a single known-suspect report can
//!    become a course through the unknown-suspect reports around it).
//! 3. **Victim only.** Unknown-suspect stalking-or-harassment reports of a victim that joined no
//!    thread are chained in date order while each is within the window of the previous; a chain of
//!    two or more is a course with the suspect unknown.
//! 4. **Hidden repeats.** A report of a course other than its first is a *repeat*. It was linked by
//!    the force at the time when its `linked_refs` names an earlier report of the course (same
//!    force); otherwise it is a *hidden* repeat — including every report recorded by a second
//!    force, which `linked_refs` cannot reach.

use crate::HashMap;

use conduct_domain::{Date, Force, Role};
use conduct_domain::{Incident, Involvement};
use rayon::prelude::*;

/// A resolved person as linkage numbers them: from 0, in the order found. Its printed id (the
/// `person_id` of persons.csv) is [`conduct_domain::ids::PersonId::from_index`] of it.
pub type PersonIndex = u32;

/// Tunable rules. The defaults are documented in `DESIGN.md`.
#[derive(Clone, Debug)]
pub struct Options {
    /// How far apart (days) an unknown-suspect report may be from a report of the course it
    /// joins, or from the previous report of a victim-only chain.
    pub window_days: i32,
    /// How long each force's urgent and high lists may be ([`crate::ListSizes`]).
    pub list_sizes: crate::ListSizes,
}

impl Default for Options {
    fn default() -> Self {
        Options { window_days: 180, list_sizes: crate::ListSizes::default() }
    }
}

/// Who the course is about on the suspect side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Suspect {
    /// A resolved suspect.
    Known(PersonIndex),
    /// No suspect named in any report (victim-only chain).
    Unknown,
}

/// One course of conduct.
#[derive(Clone, Debug)]
pub struct Course {
    /// `C000001`…, numbered by first report.
    pub id: String,
    /// The resolved victim.
    pub victim: PersonIndex,
    /// The resolved suspect, or unknown.
    pub suspect: Suspect,
    /// Its reports: indices into the incidents given to [`find_courses`], in date order.
    pub incidents: Vec<usize>,
    /// The repeats the force never linked (subset of `incidents`).
    pub hidden: Vec<usize>,
    /// Repeats the force did link.
    pub linked_by_force: usize,
    /// Forces that recorded its reports, in order of first report.
    pub forces: Vec<Force>,
}

impl Course {
    /// Whether more than one force recorded reports of this course.
    pub fn is_cross_force(&self) -> bool {
        self.forces.len() > 1
    }
}

/// Everything found.
#[derive(Clone, Debug, Default)]
pub struct Courses {
    /// The courses, by first report.
    pub courses: Vec<Course>,
    /// Suspects with courses against two or more victims: (suspect, number of victims).
    pub serial_suspects: Vec<(PersonIndex, usize)>,
    /// Victims with courses by two or more known suspects: (victim, number of suspects).
    pub repeat_victims: Vec<(PersonIndex, usize)>,
    /// For each incident, the resolved victims named in it.
    pub victims: PersonsOf,
    /// For each incident, the resolved suspects named in it (an unidentified suspect who has
    /// no other row is left out, rule 1).
    pub suspects: PersonsOf,
    /// People rows that point at no incident given (counted, not used).
    pub unplaced_people: usize,
}

/// For each incident, persons in one role: `of[i]` is incident `i`'s, in ascending order and each
/// once. Held in one vector, with where each incident's persons start, not one vector per
/// incident: at the 1M-incident world two million small vectors were grown, then freed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonsOf {
    /// Where each incident's persons start in `persons`, and after the last, where they end.
    starts: Vec<usize>,
    persons: Vec<PersonIndex>,
}

impl PersonsOf {
    /// From (incident, person) pairs, in any order and with repeats, for `incidents` incidents.
    ///
    /// # Panics
    ///
    /// When a pair names an incident not below `incidents` (a caller's bug, not input).
    fn from_pairs(incidents: usize, pairs: &[(usize, PersonIndex)]) -> PersonsOf {
        let mut starts = vec![0usize; incidents + 1];
        for &(i, _) in pairs {
            starts[i + 1] += 1;
        }
        for i in 0..incidents {
            starts[i + 1] += starts[i];
        }
        let mut persons = vec![0; pairs.len()];
        let mut next = starts.clone();
        for &(i, p) in pairs {
            persons[next[i]] = p;
            next[i] += 1;
        }
        // Each incident's sorted and without repeats, moved down over the repeats removed.
        let mut kept = 0;
        for i in 0..incidents {
            let (from, to) = (starts[i], starts[i + 1]);
            starts[i] = kept;
            persons[from..to].sort_unstable();
            for k in from..to {
                if k == from || persons[k] != persons[k - 1] {
                    persons[kept] = persons[k];
                    kept += 1;
                }
            }
        }
        starts[incidents] = kept;
        persons.truncate(kept);
        PersonsOf { starts, persons }
    }

    /// How many incidents.
    pub fn len(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// Whether there are no incidents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::ops::Index<usize> for PersonsOf {
    type Output = [PersonIndex];

    fn index(&self, incident: usize) -> &[PersonIndex] {
        &self.persons[self.starts[incident]..self.starts[incident + 1]]
    }
}

/// Each incident's persons, in any order and with repeats.
impl FromIterator<Vec<PersonIndex>> for PersonsOf {
    fn from_iter<T: IntoIterator<Item = Vec<PersonIndex>>>(lists: T) -> PersonsOf {
        let (mut n, mut pairs) = (0, Vec::new());
        for list in lists {
            pairs.extend(list.into_iter().map(|p| (n, p)));
            n += 1;
        }
        PersonsOf::from_pairs(n, &pairs)
    }
}

/// The date a report is placed at: when it was recorded.
pub(crate) fn day(i: &Incident) -> i32 {
    i.recorded_date.days_since_epoch()
}

/// The date conduct happened, where known, else when it was recorded.
pub(crate) fn conduct_day(i: &Incident) -> i32 {
    i.occurred_date.unwrap_or(i.recorded_date).days_since_epoch()
}

struct Thread {
    victim: PersonIndex,
    suspect: Suspect,
    incidents: Vec<usize>,
}

/// Finds the courses of conduct. `person_of` gives the resolved person of each people row (same
/// order as `people`).
pub fn find_courses(incidents: &[Incident], people: &[Involvement], person_of: &[PersonIndex], options: &Options) -> Courses {
    assert_eq!(people.len(), person_of.len(), "one person id per people row");
    let index: HashMap<(Force, &str), usize> = incidents.iter().enumerate().map(|(i, r)| ((r.force, r.incident_ref.as_str()), i)).collect();
    // Rows per person (persons are numbered densely from 0).
    let mut rows_of: Vec<u32> = vec![0; person_of.iter().max().map_or(0, |&m| m as usize + 1)];
    for &p in person_of {
        rows_of[p as usize] += 1;
    }
    // Each row's incident and what it names there, looked up on every core (two million
    // lookups at the 1M world): `None` for a row of no incident given.
    enum Named {
        Victim(usize),
        Suspect(usize),
        Nobody,
    }
    let named: Vec<Option<Named>> = people
        .par_iter()
        .zip(person_of)
        .map(|(p, &person)| {
            let &i = index.get(&(p.force, p.incident_ref.as_str()))?;
            Some(match p.role {
                Role::Victim => Named::Victim(i),
                // "Unknown male": no one that can be followed from report to report.
                Role::Suspect if !identifying(p) && rows_of[person as usize] == 1 => Named::Nobody,
                Role::Suspect => Named::Suspect(i),
                Role::Witness | Role::Other => Named::Nobody,
            })
        })
        .collect();
    let unplaced_people = named.iter().filter(|n| n.is_none()).count();
    let (mut victim_pairs, mut suspect_pairs) = (Vec::with_capacity(people.len()), Vec::with_capacity(people.len()));
    for (n, &person) in named.iter().zip(person_of) {
        match n {
            Some(Named::Victim(i)) => victim_pairs.push((*i, person)),
            Some(Named::Suspect(i)) => suspect_pairs.push((*i, person)),
            Some(Named::Nobody) | None => {}
        }
    }
    drop(named);
    let victims = PersonsOf::from_pairs(incidents.len(), &victim_pairs);
    let suspects = PersonsOf::from_pairs(incidents.len(), &suspect_pairs);
    drop((victim_pairs, suspect_pairs));

    // 1. Threads of known suspect → victim.
    let mut by_pair: HashMap<(PersonIndex, PersonIndex), usize> = HashMap::default();
    let mut threads: Vec<Thread> = Vec::new();
    let order = date_order(incidents);
    for &i in &order {
        for &v in &victims[i] {
            for &s in &suspects[i] {
                if v == s {
                    continue;
                }
                let t = *by_pair.entry((v, s)).or_insert_with(|| {
                    threads.push(Thread { victim: v, suspect: Suspect::Known(s), incidents: Vec::new() });
                    threads.len() - 1
                });
                threads[t].incidents.push(i);
            }
        }
    }
    merge_split_suspects(&mut threads, people, person_of);
    let mut threads_of_victim: HashMap<PersonIndex, Vec<usize>> = HashMap::default();
    for (t, th) in threads.iter().enumerate() {
        threads_of_victim.entry(th.victim).or_default().push(t);
    }

    // 2. Unknown-suspect stalking/harassment reports join the nearest thread of their victim.
    let window = options.window_days;
    let mut unattached: HashMap<PersonIndex, Vec<usize>> = HashMap::default();
    for &i in &order {
        if !suspects[i].is_empty() || !incidents[i].is_stalking_or_harassment() {
            continue;
        }
        let d = day(&incidents[i]);
        for &v in &victims[i] {
            let nearest = threads_of_victim.get(&v).and_then(|ts| {
                ts.iter()
                    .filter_map(|&t| {
                        let gap = threads[t].incidents.iter().map(|&j| (day(&incidents[j]) - d).abs()).min()?;
                        (gap <= window).then_some((gap, std::cmp::Reverse(threads[t].incidents.len()), t))
                    })
                    .min()
                    .map(|(_, _, t)| t)
            });
            match nearest {
                Some(t) => threads[t].incidents.push(i),
                None => unattached.entry(v).or_default().push(i),
            }
        }
    }

    // 3. Victim-only chains.
    let mut victims_sorted: Vec<PersonIndex> = unattached.keys().copied().collect();
    victims_sorted.sort_unstable();
    for v in victims_sorted {
        let reports = &unattached[&v];
        let mut chain: Vec<usize> = Vec::new();
        for &i in reports {
            if let Some(&last) = chain.last() {
                if day(&incidents[i]) - day(&incidents[last]) > window {
                    flush_chain(&mut threads, v, &mut chain);
                }
            }
            chain.push(i);
        }
        flush_chain(&mut threads, v, &mut chain);
    }

    // Courses: threads of two or more reports, numbered by first report.
    let mut courses: Vec<Course> = threads
        .into_par_iter()
        .filter(|t| t.incidents.len() >= 2)
        .map(|mut t| {
            t.incidents.sort_by_key(|&i| (day(&incidents[i]), incidents[i].force, incidents[i].incident_ref.as_str()));
            t.incidents.dedup();
            let (hidden, linked_by_force) = hidden_repeats(incidents, &t.incidents);
            let mut forces = Vec::new();
            for &i in &t.incidents {
                if !forces.contains(&incidents[i].force) {
                    forces.push(incidents[i].force);
                }
            }
            Course { id: String::new(), victim: t.victim, suspect: t.suspect, incidents: t.incidents, hidden, linked_by_force, forces }
        })
        .filter(|c| c.incidents.len() >= 2)
        .collect();
    // Stable on every core, as `sort_by` is on one; the reference is borrowed, not copied for
    // every comparison.
    courses.par_sort_by(|a, b| {
        let key = |c: &Course| {
            let first = &incidents[c.incidents[0]];
            (day(first), first.force, first.incident_ref.as_str(), c.victim, c.suspect)
        };
        key(a).cmp(&key(b))
    });
    for (n, c) in courses.iter_mut().enumerate() {
        c.id = conduct_domain::ids::CourseId::from_index(u32::try_from(n).unwrap_or(u32::MAX)).to_string();
    }

    let mut victims_of: HashMap<PersonIndex, Vec<PersonIndex>> = HashMap::default();
    let mut suspects_of: HashMap<PersonIndex, Vec<PersonIndex>> = HashMap::default();
    for c in &courses {
        if let Suspect::Known(s) = c.suspect {
            victims_of.entry(s).or_default().push(c.victim);
            suspects_of.entry(c.victim).or_default().push(s);
        }
    }
    let several = |m: HashMap<PersonIndex, Vec<PersonIndex>>| {
        let mut v: Vec<(PersonIndex, usize)> = m
            .into_iter()
            .map(|(k, mut vs)| {
                vs.sort_unstable();
                vs.dedup();
                (k, vs.len())
            })
            .filter(|(_, n)| *n >= 2)
            .collect();
        v.sort_unstable();
        v
    };
    Courses { courses, serial_suspects: several(victims_of), repeat_victims: several(suspects_of), victims, suspects, unplaced_people }
}

/// Whether a people row carries anything that identifies a person.
/// A name that is a placeholder ("Unknown", "N/K") identifies nobody.
fn identifying(p: &Involvement) -> bool {
    let letters = |s: &str| s.chars().any(|c| c.is_alphanumeric());
    let name = |s: &str| letters(s) && !conduct_domain::value::is_placeholder_name(s);
    name(&p.forename)
        || name(&p.surname)
        || [p.date_of_birth(), p.phone(), &p.email, &p.online_handles, &p.pnc_id, &p.ni_number, &p.local_person_id]
            .iter()
            .any(|s| letters(s))
}

/// Folded surname and forename of a row (letters only, lower case), when it has both.
fn name_key(p: &Involvement) -> Option<(String, String)> {
    if conduct_domain::value::is_placeholder_name(&p.surname) || conduct_domain::value::is_placeholder_name(&p.forename) {
        return None;
    }
    let fold = |s: &str| s.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect::<String>();
    let (surname, forename) = (fold(&p.surname), fold(&p.forename));
    (!surname.is_empty() && !forename.is_empty()).then_some((surname, forename))
}

/// Two rows' names could be one person's: the same folded surname, and the same forename, or
/// an initial standing for it ("D" and "Darren"; "Dean" and "Darren" are two people).
fn same_name(a: &(String, String), b: &(String, String)) -> bool {
    let initial_of = |x: &str, y: &str| x.chars().count() == 1 && y.starts_with(x);
    a.0 == b.0 && (a.1 == b.1 || initial_of(&a.1, &b.1) || initial_of(&b.1, &a.1))
}

/// What the suspect rows of a thread (or of threads joined) say: names and dates of birth.
#[derive(Clone, Default)]
struct Profile<'a> {
    names: Vec<(String, String)>,
    dobs: Vec<&'a str>,
}

impl<'a> Profile<'a> {
    /// Whether the two could be one person: a name of each alike, and no two different dates
    /// of birth between them.
    fn alike(&self, other: &Profile<'a>) -> bool {
        self.names.iter().any(|a| other.names.iter().any(|b| same_name(a, b)))
            && self.dobs.iter().all(|d| other.dobs.is_empty() || other.dobs.contains(d))
            && other.dobs.iter().all(|d| self.dobs.is_empty() || self.dobs.contains(d))
    }

    fn absorb(&mut self, other: &Profile<'a>) {
        for n in &other.names {
            if !self.names.contains(n) {
                self.names.push(n.clone());
            }
        }
        for d in &other.dobs {
            if !self.dobs.contains(d) {
                self.dobs.push(d);
            }
        }
    }
}

/// Joins threads of one victim whose known suspects look like one person split by linkage:
/// a row of each has the same folded surname and the same forename (or its initial), and no
/// row of one has a date of birth different from a row of the other. A thread that joins
/// another adds what its suspect rows say to it, so a later thread must agree with all of them
/// (an undated "D Whitcombe" cannot bring a Darren born 1984 and one born 1958 together). The
/// joined thread keeps the suspect of its largest part (the earliest on a tie). Threads stay
/// in their order; emptied ones are removed.
fn merge_split_suspects(threads: &mut Vec<Thread>, people: &[Involvement], person_of: &[PersonIndex]) {
    let mut by_victim: HashMap<PersonIndex, Vec<usize>> = HashMap::default();
    for (t, th) in threads.iter().enumerate() {
        if matches!(th.suspect, Suspect::Known(_)) {
            by_victim.entry(th.victim).or_default().push(t);
        }
    }
    // Only the suspects of a victim with two threads or more can be joined: only theirs are
    // read from the people rows.
    let mut suspects: HashMap<PersonIndex, Profile<'_>> = HashMap::default();
    for ts in by_victim.values().filter(|ts| ts.len() >= 2) {
        for &t in ts {
            if let Suspect::Known(s) = threads[t].suspect {
                suspects.entry(s).or_default();
            }
        }
    }
    if suspects.is_empty() {
        return;
    }
    for (p, person) in people.iter().zip(person_of) {
        if p.role != Role::Suspect {
            continue;
        }
        if let Some(e) = suspects.get_mut(person) {
            if let Some(k) = name_key(p) {
                if !e.names.contains(&k) {
                    e.names.push(k);
                }
            }
            let dob = p.date_of_birth().trim();
            if !dob.is_empty() && !e.dobs.contains(&dob) {
                e.dobs.push(dob);
            }
        }
    }
    let mut into: Vec<usize> = (0..threads.len()).collect();
    let mut victims: Vec<&PersonIndex> = by_victim.keys().collect();
    victims.sort_unstable();
    for v in victims {
        let ts = &by_victim[v];
        if ts.len() < 2 {
            continue;
        }
        // Largest thread first (earliest on a tie); each later one joins the first group it
        // looks like, and the group then holds what both say.
        let mut order = ts.clone();
        order.sort_by_key(|&t| (std::cmp::Reverse(threads[t].incidents.len()), t));
        let mut groups: HashMap<usize, Profile<'_>> = HashMap::default();
        for (k, &t) in order.iter().enumerate() {
            let Suspect::Known(st) = threads[t].suspect else { continue };
            let mine = suspects[&st].clone();
            let host = order[..k].iter().copied().find(|h| into[*h] == *h && groups.get(h).is_some_and(|g| g.alike(&mine)));
            match host {
                Some(h) => {
                    into[t] = h;
                    groups.get_mut(&h).expect("a host has a group").absorb(&mine);
                }
                None => {
                    groups.insert(t, mine);
                }
            }
        }
    }
    let mut moved: Vec<(usize, Vec<usize>)> = Vec::new();
    for t in 0..threads.len() {
        if into[t] != t {
            moved.push((into[t], std::mem::take(&mut threads[t].incidents)));
        }
    }
    for (host, incidents) in moved {
        threads[host].incidents.extend(incidents);
    }
    threads.retain(|t| !t.incidents.is_empty());
}

fn flush_chain(threads: &mut Vec<Thread>, victim: PersonIndex, chain: &mut Vec<usize>) {
    if chain.len() >= 2 {
        threads.push(Thread { victim, suspect: Suspect::Unknown, incidents: std::mem::take(chain) });
    }
    chain.clear();
}

fn date_order(incidents: &[Incident]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..incidents.len()).collect();
    // Stable on every core, as `sort_by_key` is on one.
    order.par_sort_by_key(|&i| (day(&incidents[i]), incidents[i].force, incidents[i].incident_ref.as_str()));
    order
}

/// (hidden repeats, repeats linked by the force) of a course whose reports are in date order.
fn hidden_repeats(incidents: &[Incident], course: &[usize]) -> (Vec<usize>, usize) {
    let names = |a: usize, b: usize| {
        incidents[a].force == incidents[b].force && incidents[a].linked_refs.iter().any(|r| *r == incidents[b].incident_ref)
    };
    let mut hidden = Vec::new();
    let mut linked = 0;
    for (k, &i) in course.iter().enumerate().skip(1) {
        if course[..k].iter().any(|&j| names(i, j)) {
            linked += 1;
        } else {
            hidden.push(i);
        }
    }
    (hidden, linked)
}

/// The first and last report dates of a course.
pub fn span(incidents: &[Incident], course: &Course) -> (Date, Date) {
    let first = incidents[course.incidents[0]].recorded_date;
    let last = incidents[*course.incidents.last().expect("a course has reports")].recorded_date;
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Each incident's persons are those of its pairs, sorted and each once, as the vector
        /// per incident held them before: over any pairs, repeats, incidents named by none
        /// (first, last, between) and no incidents at all.
        #[test]
        fn persons_of_each_incident_are_its_pairs_sorted_once(
            incidents in 0usize..12,
            pairs in proptest::collection::vec((0usize..12, 0u32..6), 0..40),
        ) {
            let pairs: Vec<(usize, PersonIndex)> = pairs.into_iter().filter(|&(i, _)| i < incidents).collect();
            let mut each: Vec<Vec<PersonIndex>> = vec![Vec::new(); incidents];
            for &(i, p) in &pairs {
                each[i].push(p);
            }
            for v in &mut each {
                v.sort_unstable();
                v.dedup();
            }
            let of = PersonsOf::from_pairs(incidents, &pairs);
            proptest::prop_assert_eq!(of.len(), incidents);
            for (i, want) in each.iter().enumerate() {
                proptest::prop_assert_eq!(&of[i], want.as_slice(), "incident {}", i);
            }
            proptest::prop_assert_eq!(each.iter().cloned().collect::<PersonsOf>(), of);
        }
    }
}

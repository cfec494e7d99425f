//! Police forces: the 43 territorial forces of England and Wales and British Transport Police,
//! resolved from any published spelling or alias in `data/forces.csv`.
//!
//! Resolution normalises case, punctuation, `&`/`and` and a trailing "Police", "Constabulary",
//! "Police Service" or "Police Force"; it never guesses beyond that. An unknown name comes back
//! as [`ErrorKind::UnknownForce`] with the nearest known names, for the user to fix the export.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use crate::{Error, ErrorKind};

/// Whether a name in the table is a police force area or a national reporting body that
/// appears in Home Office tables but must never be counted as a force (Action Fraud, CIFAS…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ForceKind {
    /// A territorial force or British Transport Police.
    Force,
    /// A row in national tables that is not a force (kept out of force figures).
    NonForce,
}

/// A police force (or non-force reporting body), as an index into the force table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Force(u8);

struct Entry {
    name: String,
    kind: ForceKind,
    aliases: Vec<String>,
}

struct Table {
    entries: Vec<Entry>,
    by_key: HashMap<String, Force>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let rows = crate::data::table("forces.csv", include_str!("../data/forces.csv"));
        let mut entries = Vec::new();
        let mut by_key = HashMap::new();
        for row in rows {
            let id = Force(u8::try_from(entries.len()).expect("fewer than 256 forces"));
            let name = row[0].trim().to_string();
            let kind = match row[1].trim() {
                "force" => ForceKind::Force,
                "nonforce" => ForceKind::NonForce,
                other => panic!("forces.csv: unknown kind {other:?}"),
            };
            let aliases: Vec<String> = row[2].split(';').map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect();
            for spelling in std::iter::once(&name).chain(&aliases) {
                for key in keys(spelling) {
                    if let Some(prev) = by_key.insert(key.clone(), id) {
                        assert_eq!(prev, id, "forces.csv: {key:?} names two forces");
                    }
                }
            }
            entries.push(Entry { name, kind, aliases });
        }
        Table { entries, by_key }
    })
}

/// Lower-cases, turns `&` into "and", drops punctuation and squeezes spaces.
fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name
        .replace('&', " and ")
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { ' ' })
        .collect::<String>()
        .split_whitespace()
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The lookup keys of one spelling: its normal form, and that form without a generic suffix.
fn keys(name: &str) -> Vec<String> {
    let n = normalise(name);
    let mut keys = vec![n.clone()];
    let stripped = strip_suffix(&n);
    if stripped != n && !stripped.is_empty() {
        keys.push(stripped.to_string());
    }
    keys
}

fn strip_suffix(n: &str) -> &str {
    for suffix in [" police service", " police force", " constabulary", " police"] {
        if let Some(s) = n.strip_suffix(suffix) {
            return s;
        }
    }
    n
}

impl Force {
    /// Resolves a published spelling or alias to a force (or non-force body).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::UnknownForce`] when the name is neither a force, a non-force body nor an
    /// alias of one; it names up to three of the closest known names.
    pub fn resolve(name: &str) -> Result<Force, Error> {
        let t = table();
        let n = normalise(name);
        if let Some(&f) = t.by_key.get(&n).or_else(|| t.by_key.get(strip_suffix(&n))) {
            return Ok(f);
        }
        Err(Error::new(ErrorKind::UnknownForce { given: name.to_string(), suggestions: Self::nearest(&n) }))
    }

    fn nearest(n: &str) -> Vec<&'static str> {
        let t = table();
        let mut scored: Vec<(f64, usize)> = t
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let best = std::iter::once(&e.name).chain(&e.aliases).map(|s| strsim::jaro_winkler(n, &normalise(s))).fold(0.0, f64::max);
                (best, i)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().take(3).filter(|(s, _)| *s > 0.6).map(|(_, i)| t.entries[i].name.as_str()).collect()
    }

    /// The canonical name, as written in Conduct's outputs.
    pub fn name(self) -> &'static str {
        &table().entries[self.0 as usize].name
    }

    /// The published aliases of this force.
    pub fn aliases(self) -> &'static [String] {
        &table().entries[self.0 as usize].aliases
    }

    /// Whether this is a police force or a non-force reporting body.
    pub fn kind(self) -> ForceKind {
        table().entries[self.0 as usize].kind
    }

    /// A stable small number for storage; [`Force::from_id`] reverses it.
    pub fn id(self) -> u8 {
        self.0
    }

    /// The force with the given [`Force::id`], if there is one.
    pub fn from_id(id: u8) -> Option<Force> {
        ((id as usize) < table().entries.len()).then_some(Force(id))
    }

    /// The 44 police forces (43 territorial and British Transport Police), in table order.
    pub fn all() -> impl Iterator<Item = Force> {
        (0..table().entries.len()).map(|i| Force(i as u8)).filter(|f| f.kind() == ForceKind::Force)
    }

    /// Every entry of the table, including non-force bodies.
    pub fn all_entries() -> impl Iterator<Item = Force> {
        (0..table().entries.len()).map(|i| Force(i as u8))
    }
}

impl fmt::Display for Force {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_44_police_forces_and_three_non_force_bodies() {
        assert_eq!(Force::all().count(), 44);
        assert_eq!(Force::all_entries().filter(|f| f.kind() == ForceKind::NonForce).count(), 3);
    }

    #[test]
    fn published_spellings_resolve() {
        let met = Force::resolve("Metropolitan Police").unwrap();
        for s in ["Metropolitan Police Service", "METROPOLITAN POLICE", "metropolitan"] {
            assert_eq!(Force::resolve(s).unwrap(), met, "{s}");
        }
        let col = Force::resolve("City of London").unwrap();
        assert_eq!(Force::resolve("London, City of").unwrap(), col);
        assert_eq!(Force::resolve("City of London Police").unwrap(), col);
        let dc = Force::resolve("Devon and Cornwall").unwrap();
        assert_eq!(Force::resolve("Devon & Cornwall").unwrap(), dc);
        assert_eq!(Force::resolve("Devon and Cornwall Police").unwrap(), dc);
        assert_eq!(Force::resolve("Dyfed Powys").unwrap(), Force::resolve("Dyfed-Powys").unwrap());
        assert_eq!(Force::resolve("Hampshire").unwrap(), Force::resolve("Hampshire and Isle of Wight").unwrap());
        assert_eq!(Force::resolve("Kent Police").unwrap().name(), "Kent");
        assert_eq!(Force::resolve("Heddlu Gwent").unwrap().name(), "Gwent");
    }

    #[test]
    fn non_force_rows_are_recognised_as_such() {
        assert_eq!(Force::resolve("Action Fraud").unwrap().kind(), ForceKind::NonForce);
        assert_eq!(Force::resolve("UK Finance").unwrap().kind(), ForceKind::NonForce);
    }

    #[test]
    fn unknown_names_are_rejected_with_suggestions() {
        let e = Force::resolve("Merseysde").unwrap_err();
        let ErrorKind::UnknownForce { given, suggestions } = e.kind() else { panic!("{e:?}") };
        assert_eq!((given.as_str(), suggestions.first()), ("Merseysde", Some(&"Merseyside")));
        assert!(e.to_string().contains("did you mean Merseyside"));
        // Never guess: a plausible-looking but different force is not accepted.
        assert!(Force::resolve("Police Scotland").is_err());
        assert!(Force::resolve("Yorkshire").is_err());
        assert!(Force::resolve("").is_err());
    }

    #[test]
    fn ids_round_trip() {
        for f in Force::all_entries() {
            assert_eq!(Force::from_id(f.id()), Some(f));
        }
    }
}

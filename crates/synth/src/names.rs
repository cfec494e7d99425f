//! Name, street and nickname tables (embedded data files) and the spelling noise applied to them.

use crate::rng::{Rng, Weighted};

const SURNAMES: &str = include_str!("../data/surnames.txt");
const MALE: &str = include_str!("../data/forenames_male.txt");
const FEMALE: &str = include_str!("../data/forenames_female.txt");
const STREETS: &str = include_str!("../data/streets.txt");
const NICKNAMES: &str = include_str!("../../domain/data/nicknames.csv");

/// The non-comment, non-empty lines of an embedded list.
fn list(text: &'static str) -> Vec<&'static str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect()
}

/// Community groups whose names appear in UK records, with their share of people.
const GROUPS: &[(&str, f64)] = &[("en", 0.80), ("sa", 0.08), ("ee", 0.045), ("af", 0.03), ("me", 0.02), ("ea", 0.015), ("eu", 0.01)];

/// Splits `name,group` lines into names and group indices (unknown group → 0).
fn grouped(text: &'static str) -> (Vec<&'static str>, Vec<u8>) {
    list(text)
        .into_iter()
        .map(|l| {
            let (name, g) = l.split_once(',').unwrap_or((l, "en"));
            (name.trim(), GROUPS.iter().position(|(c, _)| *c == g.trim()).unwrap_or(0) as u8)
        })
        .unzip()
}

/// Per-group Zipf tables over a grouped list: for each group, (indices, weights).
fn group_tables(groups: &[u8], s: f64, offset: f64) -> Vec<(Vec<u16>, Weighted)> {
    (0..GROUPS.len() as u8)
        .map(|g| {
            let idx: Vec<u16> = (0..groups.len()).filter(|&i| groups[i] == g).map(|i| i as u16).collect();
            let w = Weighted::zipf(idx.len(), s, offset);
            (idx, w)
        })
        .collect()
}

/// Capitalises the first letter of a lower-case word ("bob" → "Bob").
fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The name tables with their frequency weights.
pub(crate) struct Names {
    /// Surnames, most common first.
    pub surnames: Vec<String>,
    surname_w: Vec<(Vec<u16>, Weighted)>,
    /// Male forenames, most common first.
    pub male: Vec<&'static str>,
    male_w: Vec<(Vec<u16>, Weighted)>,
    /// Female forenames, most common first.
    pub female: Vec<&'static str>,
    female_w: Vec<(Vec<u16>, Weighted)>,
    group_w: Weighted,
    /// Nicknames per male forename (same index as `male`), capitalised.
    pub male_nicks: Vec<Vec<String>>,
    /// Nicknames per female forename (same index as `female`), capitalised.
    pub female_nicks: Vec<Vec<String>>,
    /// Street names.
    pub streets: Vec<&'static str>,
    street_w: Weighted,
}

impl Names {
    /// Loads the embedded tables.
    pub(crate) fn load() -> Names {
        let (listed, mut sgroups) = grouped(SURNAMES);
        let (male, mgroups) = grouped(MALE);
        let (female, fgroups) = grouped(FEMALE);
        // A long tail of rarer English toponymic surnames (prefix + suffix), each uncommon.
        let mut surnames: Vec<String> = listed.iter().map(|s| s.to_string()).collect();
        for pre in RARE_PREFIX {
            for suf in RARE_SUFFIX {
                let name = format!("{pre}{suf}");
                if !surnames.contains(&name) {
                    surnames.push(name);
                    sgroups.push(0);
                }
            }
        }
        // Within each group, Zipf over the listed names; the generated tail of British
        // surnames each gets a small flat weight.
        let surname_w = (0..GROUPS.len() as u8)
            .map(|g| {
                let idx: Vec<u16> = (0..surnames.len()).filter(|&i| sgroups[i] == g).map(|i| i as u16).collect();
                let listed_n = idx.iter().filter(|&&i| (i as usize) < listed.len()).count();
                let last = 1.0 / (listed_n as f64 + 6.0).powf(0.7);
                let w = Weighted::new((0..idx.len()).map(|r| if r < listed_n { 1.0 / (r as f64 + 6.0).powf(0.7) } else { 0.3 * last }));
                (idx, w)
            })
            .collect();
        let streets = list(STREETS);
        let mut nick: Vec<(String, Vec<String>)> = Vec::new();
        for line in NICKNAMES.lines().skip(1) {
            if let Some((name, nicks)) = line.split_once(',') {
                nick.push((name.trim().to_lowercase(), nicks.split(';').map(|n| capitalise(n.trim())).filter(|n| !n.is_empty()).collect()));
            }
        }
        let nicks_for = |names: &[&str]| -> Vec<Vec<String>> {
            names
                .iter()
                .map(|n| {
                    let lower = n.to_lowercase();
                    nick.iter().find(|(k, _)| *k == lower).map(|(_, v)| v.clone()).unwrap_or_default()
                })
                .collect()
        };
        Names {
            surname_w,
            male_w: group_tables(&mgroups, 0.9, 2.0),
            female_w: group_tables(&fgroups, 0.9, 2.0),
            group_w: Weighted::new(GROUPS.iter().map(|(_, w)| *w)),
            street_w: Weighted::zipf(streets.len(), 0.6, 1.0),
            male_nicks: nicks_for(&male),
            female_nicks: nicks_for(&female),
            surnames,
            male,
            female,
            streets,
        }
    }

    /// Draws a community group for a new person.
    pub(crate) fn group(&self, rng: &mut Rng) -> u8 {
        self.group_w.draw(rng) as u8
    }

    /// Draws a surname index from a group.
    pub(crate) fn surname(&self, rng: &mut Rng, group: u8) -> u16 {
        let (idx, w) = &self.surname_w[group as usize];
        idx[w.draw(rng)]
    }

    /// Draws a forename index for sex 0 (male) or 1 (female) from a group (a few people of
    /// every group carry a British forename).
    pub(crate) fn forename(&self, rng: &mut Rng, sex: u8, group: u8) -> u16 {
        let group = if rng.chance(0.1) { 0 } else { group };
        let (idx, w) = if sex == 0 { &self.male_w[group as usize] } else { &self.female_w[group as usize] };
        idx[w.draw(rng)]
    }

    /// Another forename of the same sex exactly one edit away (Jon/John, Dean/Sean), if any.
    pub(crate) fn one_letter_apart(&self, sex: u8, i: u16) -> Option<u16> {
        let list = if sex == 0 { &self.male } else { &self.female };
        let base = list[i as usize];
        list.iter().position(|n| *n != base && one_edit(n, base)).map(|p| p as u16)
    }

    /// Draws a middle name: a common British forename.
    pub(crate) fn middle(&self, rng: &mut Rng, sex: u8) -> u16 {
        let (idx, w) = if sex == 0 { &self.male_w[0] } else { &self.female_w[0] };
        idx[w.draw(rng).min(59)]
    }

    /// The forename text.
    pub(crate) fn forename_str(&self, sex: u8, i: u16) -> &'static str {
        if sex == 0 { self.male[i as usize] } else { self.female[i as usize] }
    }

    /// Nicknames of a forename.
    pub(crate) fn nicknames(&self, sex: u8, i: u16) -> &[String] {
        if sex == 0 { &self.male_nicks[i as usize] } else { &self.female_nicks[i as usize] }
    }

    /// Draws a street index.
    pub(crate) fn street(&self, rng: &mut Rng) -> u16 {
        self.street_w.draw(rng) as u16
    }
}

/// Replaces Polish and other diacritics with plain letters (as many records systems do).
pub(crate) fn strip_diacritics(s: &str, out: &mut String) {
    for c in s.chars() {
        out.push(match c {
            'ą' => 'a',
            'ć' => 'c',
            'ę' => 'e',
            'ł' => 'l',
            'ń' => 'n',
            'ó' => 'o',
            'ś' => 's',
            'ź' | 'ż' => 'z',
            'Ł' => 'L',
            'Ś' => 'S',
            'Ż' | 'Ź' => 'Z',
            other => other,
        });
    }
}

/// A lower-case ASCII slug of a name for emails and handles ("O'Brien" → "obrien").
pub(crate) fn slug(s: &str, out: &mut String) {
    let mut plain = String::with_capacity(s.len());
    strip_diacritics(s, &mut plain);
    out.extend(plain.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()));
}

const RARE_PREFIX: &[&str] = &[
    "Ash", "Black", "Brad", "Brom", "Clif", "Cold", "Hol", "Kirk", "Wood", "Mar", "Thorn", "Whit", "Stan", "Ald", "Brook", "Brad", "Crom",
    "Dun", "Fen", "Hart", "Lang", "Mid", "Nor", "Pen", "Rad", "Sal", "Shel", "Stock", "Wal", "Wes", "Wynd", "Hather", "Bur", "Chad",
    "Ever", "Grim",
];
const RARE_SUFFIX: &[&str] = &[
    "ley", "ton", "worth", "by", "ford", "ham", "well", "field", "combe", "stead", "wick", "more", "den", "bury", "hurst", "croft",
    "ridge", "thorpe", "shaw", "land",
];

/// Whether two names differ by exactly one inserted, deleted or substituted letter.
fn one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    match long.len() - short.len() {
        0 => a.iter().zip(&b).filter(|(x, y)| x != y).count() == 1,
        1 => (0..long.len()).any(|skip| long.iter().enumerate().filter(|(k, _)| *k != skip).map(|(_, c)| c).eq(short.iter())),
        _ => false,
    }
}

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";

/// Writes `s` with one keying error: a letter inserted, deleted, substituted or transposed.
pub(crate) fn typo(rng: &mut Rng, s: &str, out: &mut String) {
    let mut chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n < 3 {
        out.push_str(s);
        return;
    }
    // Keying errors rarely hit the first letter.
    let pos = 1 + rng.below(n - 1);
    let letter = char::from(*rng.pick(LETTERS));
    match rng.below(4) {
        0 => chars.insert(pos, letter),
        1 => {
            chars.remove(pos);
        }
        2 => {
            let upper = chars[pos].is_uppercase();
            chars[pos] = if upper { letter.to_ascii_uppercase() } else { letter };
        }
        _ => {
            let p = pos.min(n - 2).max(1);
            chars.swap(p, p + 1);
        }
    }
    out.extend(chars);
}

//! Name, street and nickname tables (embedded data files) and the spelling noise applied to them.

use crate::rng::{Rng, Weighted};

const SURNAMES: &str = include_str!("../data/surnames.txt");
const MALE: &str = include_str!("../data/forenames_male.txt");
const FEMALE: &str = include_str!("../data/forenames_female.txt");
const STREETS: &str = include_str!("../data/streets.txt");
const NICKNAMES: &str = include_str!("../../domain/data/nicknames.csv");

/// The non-comment, non-empty lines of an embedded list.
fn list(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
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
    pub surnames: Vec<&'static str>,
    surname_w: Weighted,
    /// Male forenames, most common first.
    pub male: Vec<&'static str>,
    male_w: Weighted,
    /// Female forenames, most common first.
    pub female: Vec<&'static str>,
    female_w: Weighted,
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
        let surnames = list(SURNAMES);
        let male = list(MALE);
        let female = list(FEMALE);
        let streets = list(STREETS);
        let mut nick: Vec<(String, Vec<String>)> = Vec::new();
        for line in NICKNAMES.lines().skip(1) {
            if let Some((name, nicks)) = line.split_once(',') {
                nick.push((
                    name.trim().to_lowercase(),
                    nicks.split(';').map(|n| capitalise(n.trim())).filter(|n| !n.is_empty()).collect(),
                ));
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
            surname_w: Weighted::zipf(surnames.len(), 1.05, 1.5),
            male_w: Weighted::zipf(male.len(), 0.9, 2.0),
            female_w: Weighted::zipf(female.len(), 0.9, 2.0),
            street_w: Weighted::zipf(streets.len(), 0.6, 1.0),
            male_nicks: nicks_for(&male),
            female_nicks: nicks_for(&female),
            surnames,
            male,
            female,
            streets,
        }
    }

    /// Draws a surname index.
    pub(crate) fn surname(&self, rng: &mut Rng) -> u16 {
        self.surname_w.draw(rng) as u16
    }

    /// Draws a forename index for sex 0 (male) or 1 (female).
    pub(crate) fn forename(&self, rng: &mut Rng, sex: u8) -> u16 {
        if sex == 0 { self.male_w.draw(rng) as u16 } else { self.female_w.draw(rng) as u16 }
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

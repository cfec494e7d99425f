//! Normalisation: each people row becomes a [`Features`] value that comparisons and blocking
//! read without touching raw text again.
//!
//! Names are folded to lower-case ASCII letters (accents stripped, punctuation dropped), with a
//! phonetic key and a nickname group (from `crates/domain/data/nicknames.csv`); dates of birth
//! keep their components (so transposed or partial dates still compare); UK postcodes are split
//! into unit, sector and district (other formats compare as strings); phones are canonical
//! digits; e-mails lower-cased; online handles lose their platform prefix; identifiers keep only
//! letters and digits. Equality tests use 64-bit hashes (0 means missing).

use crate::fasthash::FxHashMap as HashMap;

use conduct_domain::Involvement;
use rayon::prelude::*;
use xxhash_rust::xxh3::xxh3_64;

/// The nickname table shipped with the domain crate: `name,nick1;nick2;…`.
pub const NICKNAMES_CSV: &str = include_str!("../../domain/data/nicknames.csv");

/// A date of birth as components; 0 marks a missing component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Dob {
    /// Year, 0 if missing.
    pub year: u16,
    /// Month as written (may exceed 12 when transposed), 0 if missing.
    pub month: u8,
    /// Day as written, 0 if missing.
    pub day: u8,
}

impl Dob {
    /// Whether year, month and day are all present.
    pub fn is_full(self) -> bool {
        self.year != 0 && self.month != 0 && self.day != 0
    }
}

/// One row's normalised features.
#[derive(Clone, Debug, Default)]
pub struct Features {
    /// First forename token, folded.
    pub forename: Box<str>,
    /// Hash of `forename` (0 if missing).
    pub forename_h: u64,
    /// Hash of the forename's nickname group (the group's formal name; itself when none).
    pub forename_group: u64,
    /// Hash of the forename's phonetic key.
    pub forename_phon: u64,
    /// Further forename tokens and middle names, folded, space-separated.
    pub middle: Box<str>,
    /// Surname, folded (tokens joined).
    pub surname: Box<str>,
    /// Hash of `surname`.
    pub surname_h: u64,
    /// Hash of the surname's phonetic key.
    pub surname_phon: u64,
    /// Date of birth components.
    pub dob: Dob,
    /// 0 unknown, 1 male, 2 female.
    pub sex: u8,
    /// Postcode without spaces, upper-case.
    pub postcode: Box<str>,
    /// Whether the postcode has the UK shape.
    pub postcode_uk: bool,
    /// Hash of the full postcode.
    pub pc_unit: u64,
    /// Hash of the UK sector (outward code and first inward digit); 0 when not UK.
    pub pc_sector: u64,
    /// Hash of the UK outward code (district); 0 when not UK.
    pub pc_district: u64,
    /// Address, folded, abbreviations expanded, single spaces.
    pub address: Box<str>,
    /// Hash of `address`.
    pub address_h: u64,
    /// Hash of the address's numeric tokens (house and flat numbers), 0 if none.
    pub address_numbers: u64,
    /// A 64-bit signature of the address's word tokens (street, locality and town names,
    /// common words like "road" left out): addresses sharing no bit share no name, and are
    /// not compared character by character.
    pub address_words: u64,
    /// Canonical phone digits as a number (0 if none).
    pub phone: u64,
    /// Hash of the canonical e-mail.
    pub email_h: u64,
    /// Hash of the e-mail's local part.
    pub email_local_h: u64,
    /// The canonical e-mail: equal hashes are confirmed on it (a hash picks, never decides).
    pub email: Box<str>,
    /// Hashes of the online handles, platform removed, sorted.
    pub handles: Box<[u64]>,
    /// The handles themselves, in the order of `handles`.
    pub handle_names: Box<[Box<str>]>,
    /// PNC id, letters and digits only.
    pub pnc: Box<str>,
    /// Hash of `pnc`.
    pub pnc_h: u64,
    /// National Insurance (or other national) number, letters and digits only.
    pub ni: Box<str>,
    /// Hash of `ni`.
    pub ni_h: u64,
    /// Hash of force and local nominal id (0 if no nominal id).
    pub nominal: u64,
    /// The local nominal id, trimmed (compared within one force).
    pub nominal_id: Box<str>,
    /// The recording force's id.
    pub force: u8,
    /// Whether the record carries anything that identifies a person (a name, a date of birth,
    /// a phone, e-mail, handle or national identifier). Records without are left alone.
    pub identifying: bool,
}

impl Features {
    /// Whether these features carry anything that identifies a person: the rule behind
    /// [`Features::identifying`], for whoever rebuilds features from stored parts.
    pub fn has_identifiers(&self) -> bool {
        self.forename_h != 0
            || self.surname_h != 0
            || self.dob.year != 0
            || self.phone != 0
            || self.email_h != 0
            || !self.handles.is_empty()
            || self.pnc_h != 0
            || self.ni_h != 0
    }
}

/// The hash of a force's local nominal id ([`Features::nominal`]); 0 for no id.
pub fn nominal_key(force: u8, nominal: &str) -> u64 {
    if nominal.is_empty() {
        return 0;
    }
    // The force's number, a unit separator, the nominal: written on the stack when they fit
    // (every nominal seen), without a `String` per people row; the same bytes either way.
    let mut buf = [0u8; 64];
    let mut free = &mut buf[..];
    if std::io::Write::write_fmt(&mut free, format_args!("{force}\u{1f}{nominal}")).is_ok() {
        let written = 64 - free.len();
        return xxh3_64(&buf[..written]) | 1;
    }
    xxh3_64(format!("{force}\u{1f}{nominal}").as_bytes()) | 1
}

/// Hash of a non-empty string; 0 for the empty string.
pub fn hash_str(s: &str) -> u64 {
    if s.is_empty() { 0 } else { xxh3_64(s.as_bytes()) | 1 }
}

/// The nickname table: every spelling mapped to its group's formal name.
#[derive(Clone, Debug, Default)]
pub struct Nicknames {
    group: HashMap<String, String>,
}

impl Nicknames {
    /// Reads `name,nick1;nick2` lines (header first). Names sharing a nickname join one group
    /// (so `stephen`, `steven` and `steve` agree); the group is named by its smallest formal name.
    pub fn parse(text: &str) -> Nicknames {
        let mut parent: HashMap<String, String> = HashMap::default();
        fn find(p: &mut HashMap<String, String>, x: &str) -> String {
            let mut cur = x.to_string();
            loop {
                let next = p.get(&cur).cloned().unwrap_or_else(|| cur.clone());
                if next == cur {
                    return cur;
                }
                cur = next;
            }
        }
        let mut formal: Vec<String> = Vec::new();
        for line in text.lines().skip(1) {
            let Some((name, nicks)) = line.split_once(',') else { continue };
            let name = fold_name(name);
            if name.is_empty() {
                continue;
            }
            formal.push(name.clone());
            parent.entry(name.clone()).or_insert_with(|| name.clone());
            for n in nicks.split(';') {
                let n = fold_name(n);
                if n.is_empty() {
                    continue;
                }
                parent.entry(n.clone()).or_insert_with(|| n.clone());
                let (a, b) = (find(&mut parent, &name), find(&mut parent, &n));
                if a != b {
                    // Root is the alphabetically smaller, so the result does not depend on order.
                    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                    parent.insert(hi, lo);
                }
            }
        }
        let keys: Vec<String> = parent.keys().cloned().collect();
        let mut group = HashMap::default();
        for k in keys {
            let root = find(&mut parent, &k);
            group.insert(k, root);
        }
        Nicknames { group }
    }

    /// The shipped table.
    pub fn builtin() -> Nicknames {
        Nicknames::parse(NICKNAMES_CSV)
    }

    /// The group name of a folded forename (itself when it is in no group).
    pub fn group_of<'a>(&'a self, name: &'a str) -> &'a str {
        self.group.get(name).map_or(name, String::as_str)
    }

    /// Like [`Nicknames::group_of`], but a name of five letters or more that is not in the
    /// table and is one edit from exactly one group's spellings takes that group
    /// (`Rebrcca` → `rebecca`'s group), so a typo of a name still agrees with its nicknames.
    pub fn group_of_fuzzy<'a>(&'a self, name: &'a str) -> &'a str {
        if self.group.contains_key(name) || name.len() < 5 {
            return self.group_of(name);
        }
        let mut found: Option<&str> = None;
        for (k, g) in &self.group {
            if k.len().abs_diff(name.len()) <= 1 && crate::compare::within_one_edit(k, name) {
                match found {
                    None => found = Some(g),
                    Some(f) if f == g => {}
                    Some(_) => return name,
                }
            }
        }
        found.unwrap_or(name)
    }
}

/// Folds one accented or special letter to ASCII (lower-case), or `None` for non-letters.
fn fold_char(c: char, out: &mut String) {
    let c = c.to_lowercase().next().unwrap_or(c);
    let s = match c {
        'a'..='z' | '0'..='9' => {
            out.push(c);
            return;
        }
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ą' | 'ă' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ğ' => "g",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ı' => "i",
        'ł' | 'ľ' => "l",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'œ' => "oe",
        'ř' => "r",
        'ś' | 'š' | 'ş' => "s",
        'ß' => "ss",
        'ť' | 'ţ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => {
            if c.is_whitespace() || c == ',' || c == '-' || c == '/' {
                out.push(' ');
            }
            return;
        }
    };
    out.push_str(s);
}

/// Appends `s` folded to lower-case ASCII letters, digits and single spaces to `out`
/// (accents stripped, apostrophes and dots dropped, other separators become spaces), with no
/// leading or trailing space. One pass, no intermediate string.
fn fold_text_into(s: &str, out: &mut String) {
    let start = out.len();
    let mut space = false;
    let mut push = |c: char, out: &mut String| {
        if c == ' ' {
            space = true;
        } else {
            if space && out.len() > start {
                out.push(' ');
            }
            space = false;
            out.push(c);
        }
    };
    let mut buf = String::new();
    for c in s.chars() {
        if c.is_ascii() {
            let c = c.to_ascii_lowercase();
            match c {
                'a'..='z' | '0'..='9' => push(c, out),
                ',' | '-' | '/' => push(' ', out),
                c if c.is_ascii_whitespace() || c.is_whitespace() => push(' ', out),
                _ => {}
            }
        } else {
            buf.clear();
            fold_char(c, &mut buf);
            for c in buf.chars() {
                push(c, out);
            }
        }
    }
}

/// Folds text to lower-case ASCII letters, digits and single spaces (accents stripped,
/// apostrophes and dots dropped, other separators become spaces).
pub fn fold_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_text_into(s, &mut out);
    out
}

/// Folds a name: letters only, tokens joined without spaces (`O'Brien-Smith` → `obriensmith`).
pub fn fold_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut buf = String::new();
    for c in s.chars() {
        if c.is_ascii_alphabetic() {
            out.push(c.to_ascii_lowercase());
        } else if !c.is_ascii() {
            buf.clear();
            fold_char(c, &mut buf);
            out.extend(buf.chars().filter(char::is_ascii_lowercase));
        }
    }
    out
}

/// A phonetic key in the spirit of (Double) Metaphone's primary code: consonant sounds with
/// common English spellings merged (`ph`/`f`, `ck`/`k`, soft `c`/`s`, silent initial letters,
/// vowels kept only at the start). Input is folded lower-case ASCII.
pub fn phonetic_key(s: &str) -> String {
    let b: std::borrow::Cow<'_, [u8]> = if s.bytes().all(|c| c.is_ascii_lowercase()) {
        s.as_bytes().into()
    } else {
        s.bytes().filter(u8::is_ascii_lowercase).collect::<Vec<u8>>().into()
    };
    let mut out = String::with_capacity(b.len());
    if b.is_empty() {
        return out;
    }
    let n = b.len();
    let at = |i: usize| -> u8 { if i < n { b[i] } else { 0 } };
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let mut i = 0;
    // Silent or merged initial letters.
    match (at(0), at(1)) {
        (b'k', b'n') | (b'g', b'n') | (b'p', b'n') | (b'w', b'r') | (b'p', b's') => i = 1,
        (b'a', b'e') => i = 1,
        (b'x', _) => {
            out.push('S');
            i = 1;
        }
        (b'w', b'h') => {
            out.push('W');
            i = 2;
        }
        _ => {}
    }
    if i == 0 && is_vowel(at(0)) && at(0) != b'y' {
        out.push('A');
        i = 1;
    }
    let mut last: u8 = 0;
    while i < n {
        let c = b[i];
        let prev = if i > 0 { b[i - 1] } else { 0 };
        let next = at(i + 1);
        if c == prev && c != b'c' {
            i += 1;
            continue;
        }
        let code: &str = match c {
            b'a' | b'e' | b'i' | b'o' | b'u' => "",
            b'b' => {
                if prev == b'm' && i + 1 == n {
                    ""
                } else {
                    "P"
                }
            }
            b'c' => {
                if next == b'h' {
                    i += 1;
                    if prev == b's' { "K" } else { "X" }
                } else if matches!(next, b'i' | b'e' | b'y') {
                    "S"
                } else {
                    "K"
                }
            }
            b'd' => {
                if next == b'g' && matches!(at(i + 2), b'e' | b'i' | b'y') {
                    i += 1;
                    "J"
                } else {
                    "T"
                }
            }
            b'g' => {
                if next == b'h' && !is_vowel(at(i + 2)) && i + 2 < n {
                    ""
                } else if next == b'h' {
                    i += 1;
                    "K"
                } else if next == b'n' && (i + 2 == n || (at(i + 2) == b'e' && at(i + 3) == b'd')) {
                    ""
                } else if matches!(next, b'i' | b'e' | b'y') && prev != b'g' {
                    "J"
                } else {
                    "K"
                }
            }
            b'h' if is_vowel(next) && !matches!(prev, b'c' | b's' | b'p' | b't' | b'g') => "H",
            b'h' => "",
            b'f' => "F",
            b'j' => "J",
            b'k' => {
                if prev == b'c' {
                    ""
                } else {
                    "K"
                }
            }
            b'l' => "L",
            b'm' => "M",
            b'n' => "N",
            b'p' => {
                if next == b'h' {
                    i += 1;
                    "F"
                } else {
                    "P"
                }
            }
            b'q' => "K",
            b'r' => "R",
            b's' => {
                if next == b'h' || (next == b'i' && matches!(at(i + 2), b'o' | b'a')) {
                    i += 1;
                    "X"
                } else if next == b'c' && at(i + 2) == b'h' {
                    i += 2;
                    "SK"
                } else {
                    "S"
                }
            }
            b't' => {
                if next == b'i' && matches!(at(i + 2), b'o' | b'a') {
                    "X"
                } else if next == b'h' {
                    i += 1;
                    "0"
                } else if next == b'c' && at(i + 2) == b'h' {
                    ""
                } else {
                    "T"
                }
            }
            b'v' => "F",
            b'w' if is_vowel(next) => "W",
            b'w' => "",
            b'x' => "KS",
            b'y' if is_vowel(next) => "Y",
            b'y' => "",
            b'z' => "S",
            _ => "",
        };
        for ch in code.bytes() {
            if ch != last {
                out.push(ch as char);
                last = ch;
            }
        }
        i += 1;
    }
    out
}

/// Splits a postcode (already without spaces, upper-case) into unit, sector and district
/// when it has the UK shape (`A9 9AA`, `A99 9AA`, `AA9 9AA`, `AA99 9AA`, `A9A 9AA`, `AA9A 9AA`).
pub fn uk_postcode_parts(pc: &str) -> Option<(&str, &str)> {
    let b = pc.as_bytes();
    let n = b.len();
    if !(5..=7).contains(&n) {
        return None;
    }
    let inward = &b[n - 3..];
    if !(inward[0].is_ascii_digit() && inward[1].is_ascii_uppercase() && inward[2].is_ascii_uppercase()) {
        return None;
    }
    let outward = &b[..n - 3];
    let letters = outward.iter().take_while(|c| c.is_ascii_uppercase()).count();
    // The outward code needs a digit after its letters: "AB" + "1CD" has none (it panicked).
    if !(1..=2).contains(&letters) || !outward.get(letters).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if !outward[letters..].iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    Some((&pc[..n - 3], &pc[..n - 2]))
}

const ABBREVIATIONS: &[(&str, &str)] = &[
    ("rd", "road"),
    ("st", "street"),
    ("ln", "lane"),
    ("ave", "avenue"),
    ("av", "avenue"),
    ("dr", "drive"),
    ("cl", "close"),
    ("ct", "court"),
    ("cres", "crescent"),
    ("pl", "place"),
    ("sq", "square"),
    ("gdns", "gardens"),
    ("tce", "terrace"),
    ("hse", "house"),
];

/// Folds an address and expands common street abbreviations (`Rd` → `road`).
pub fn normalise_address(s: &str) -> String {
    let folded = fold_text(s);
    let mut out = String::with_capacity(folded.len() + 8);
    for t in folded.split(' ') {
        if t.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        let t = ABBREVIATIONS.iter().find(|(a, _)| *a == t).map_or(t, |(_, full)| full);
        out.push_str(t);
    }
    out
}

const COMMON_ADDRESS_WORDS: &[&str] = &[
    "road",
    "street",
    "lane",
    "avenue",
    "close",
    "drive",
    "court",
    "crescent",
    "place",
    "square",
    "gardens",
    "terrace",
    "house",
    "flat",
    "way",
    "the",
    "and",
    "park",
    "hill",
    "green",
    "view",
    "grove",
    "north",
    "south",
    "east",
    "west",
    "new",
    "upper",
    "lower",
    "apartment",
    "unit",
];

/// The word-token signature of a normalised address (see [`Features::address_words`]).
pub fn address_words(addr: &str) -> u64 {
    addr.split(' ')
        .filter(|t| t.len() >= 3 && !t.bytes().any(|c| c.is_ascii_digit()) && !COMMON_ADDRESS_WORDS.contains(t))
        .fold(0u64, |acc, t| acc | 1u64 << (xxh3_64(t.as_bytes()) % 64))
}

fn alnum_upper(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// Counts, per field, values that were present but unusable (kept as missing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldWarnings {
    /// (field name, count) in field order, only fields with a count.
    pub counts: Vec<(&'static str, u64)>,
}

/// Normalises one row.
pub fn normalise(row: &Involvement, nicknames: &Nicknames) -> Features {
    let mut f = Features::default();
    // Names: first forename token is the forename; the rest go with the middle names.
    // A placeholder ("Unknown", "N/K") is no name: in a small file, linking every "Unknown" on
    // it would make one serial suspect of many.
    fn name(s: &str) -> &str {
        if conduct_domain::value::is_placeholder_name(s) { "" } else { s }
    }
    let (forename, surname) = (name(&row.forename), name(&row.surname));
    let mut folded = String::with_capacity(row.forename.len() + row.middle_names.len() + 1);
    fold_text_into(forename, &mut folded);
    let fore_end = folded.len();
    folded.push(' ');
    fold_text_into(&row.middle_names, &mut folded);
    let letters = |t: &str| t.chars().filter(char::is_ascii_lowercase).collect::<String>();
    let mut tokens = folded[..fore_end].split(' ').filter(|t| !t.is_empty());
    let first = tokens.next().map(letters).unwrap_or_default();
    let mut middle = String::new();
    for t in tokens.chain(folded[fore_end..].split(' ')) {
        let before = middle.len();
        if before > 0 {
            middle.push(' ');
        }
        middle.extend(t.chars().filter(char::is_ascii_lowercase));
        if middle.len() == before + usize::from(before > 0) {
            middle.truncate(before);
        }
    }
    f.forename_h = hash_str(&first);
    f.forename_group = hash_str(nicknames.group_of(&first));
    f.forename_phon = hash_str(&phonetic_key(&first));
    f.forename = first.into_boxed_str();
    f.middle = middle.into_boxed_str();
    let sur = fold_name(surname);
    f.surname_h = hash_str(&sur);
    f.surname_phon = hash_str(&phonetic_key(&sur));
    f.surname = sur.into_boxed_str();
    if let Some(d) = row.dob() {
        f.dob = Dob { year: d.year.unwrap_or(0), month: d.month.unwrap_or(0), day: d.day.unwrap_or(0) };
        if f.dob.year == 0 {
            f.dob = Dob::default();
        }
    }
    let sex = row.sex.trim();
    let is = |names: [&str; 2]| names.iter().any(|n| sex.eq_ignore_ascii_case(n));
    f.sex = if is(["m", "male"]) {
        1
    } else if is(["f", "female"]) {
        2
    } else {
        0
    };
    let pc: String = row.postcode.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    f.pc_unit = hash_str(&pc);
    if let Some((district, sector)) = uk_postcode_parts(&pc) {
        f.postcode_uk = true;
        f.pc_district = hash_str(district);
        f.pc_sector = hash_str(sector);
    }
    f.postcode = pc.into_boxed_str();
    let addr = normalise_address(&row.address);
    f.address_h = hash_str(&addr);
    let numbers: Vec<&str> = addr.split(' ').filter(|t| t.bytes().any(|c| c.is_ascii_digit())).collect();
    f.address_numbers = hash_str(&numbers.join(" "));
    f.address_words = address_words(&addr);
    f.address = addr.into_boxed_str();
    let digits = |p: &str| p.trim_start_matches('+').parse::<u64>().ok();
    // The canonical form is derived from the text with it (`Involvement::set_phone`).
    f.phone = row.phone_canonical().and_then(|p| digits(p)).unwrap_or(0);
    if let Some(e) = conduct_domain::value::canonical_email(&row.email) {
        f.email_h = hash_str(&e);
        f.email_local_h = hash_str(e.split('@').next().unwrap_or(""));
        f.email = e.into_boxed_str();
    }
    let mut handles: Vec<(u64, Box<str>)> = row
        .online_handles
        .split(';')
        .map(|h| {
            let h = h.rsplit_once(':').map_or(h, |(_, b)| b);
            let h = h.trim().trim_start_matches('@').to_lowercase();
            (hash_str(&h), h.into_boxed_str())
        })
        .filter(|(h, _)| *h != 0)
        .collect();
    handles.sort_unstable();
    handles.dedup();
    f.handles = handles.iter().map(|(h, _)| *h).collect();
    f.handle_names = handles.into_iter().map(|(_, n)| n).collect();
    let pnc = alnum_upper(&row.pnc_id);
    f.pnc_h = hash_str(&pnc);
    f.pnc = pnc.into_boxed_str();
    let ni = alnum_upper(&row.ni_number);
    f.ni_h = hash_str(&ni);
    f.ni = ni.into_boxed_str();
    f.force = row.force.id();
    let nominal = row.local_person_id.trim();
    f.nominal = nominal_key(f.force, nominal);
    f.nominal_id = nominal.into();
    f.identifying = f.has_identifiers();
    f
}

/// Normalises every row in parallel (order kept), and counts unusable values per field: the
/// ingest's invalid-column list plus values present in the text that did not normalise.
pub fn normalise_all(rows: &[Involvement], nicknames: &Nicknames) -> (Vec<Features>, FieldWarnings) {
    let mut feats: Vec<Features> = rows.par_iter().map(|r| normalise(r, nicknames)).collect();
    // Typo-tolerant nickname groups, computed once per distinct unknown forename.
    // Found and sorted on every core (a lookup per record, then a sort of strings: 0.3 s of one
    // core at 1.94M rows while the other waited, `perf record`, session 46).
    let mut unknown: Vec<&str> = feats
        .par_iter()
        .filter(|f| f.forename.len() >= 5 && nicknames.group_of(&f.forename) == &*f.forename)
        .map(|f| &*f.forename)
        .collect();
    unknown.par_sort_unstable();
    unknown.dedup();
    let fuzzy: HashMap<String, u64> = unknown
        .par_iter()
        .filter_map(|n| {
            let g = nicknames.group_of_fuzzy(n);
            (g != *n).then(|| ((*n).to_string(), hash_str(g)))
        })
        .collect();
    if !fuzzy.is_empty() {
        feats.par_iter_mut().for_each(|f| {
            if let Some(&g) = fuzzy.get(&*f.forename) {
                f.forename_group = g;
            }
        });
    }
    let fields = ["date_of_birth", "sex", "postcode", "phone", "email", "forename", "surname"];
    // Counted on every core, each stretch of rows on its own and the stretches added in row
    // order: the other columns stay in the order each was first seen.
    type Tally = ([u64; 7], Vec<(&'static str, u64)>);
    let add_other = |other: &mut Vec<(&'static str, u64)>, col: &'static str, n: u64| match other.iter_mut().find(|(c, _)| *c == col) {
        Some(e) => e.1 += n,
        None => other.push((col, n)),
    };
    let (counts, other): Tally = rows
        .par_iter()
        .zip(&feats)
        .fold(
            || ([0u64; 7], Vec::new()),
            |(mut counts, mut other): Tally, (r, f)| {
                let bad = [
                    !r.date_of_birth().trim().is_empty() && f.dob.year == 0,
                    !r.sex.trim().is_empty() && f.sex == 0,
                    false,
                    !r.phone().trim().is_empty() && f.phone == 0,
                    !r.email.trim().is_empty() && f.email_h == 0,
                    !r.forename.trim().is_empty() && f.forename_h == 0,
                    !r.surname.trim().is_empty() && f.surname_h == 0,
                ];
                for (k, b) in bad.iter().enumerate() {
                    if *b || r.invalid.contains(&fields[k]) {
                        counts[k] += 1;
                    }
                }
                for col in &r.invalid {
                    if !fields.contains(col) {
                        add_other(&mut other, col, 1);
                    }
                }
                (counts, other)
            },
        )
        .reduce(
            || ([0u64; 7], Vec::new()),
            |(mut counts, mut other): Tally, (later, later_other): Tally| {
                for (c, n) in counts.iter_mut().zip(later) {
                    *c += n;
                }
                for (col, n) in later_other {
                    add_other(&mut other, col, n);
                }
                (counts, other)
            },
        );
    let mut out: Vec<(&'static str, u64)> = fields.iter().zip(counts).filter(|(_, c)| *c > 0).map(|(f, c)| (*f, c)).collect();
    out.extend(other);
    (feats, FieldWarnings { counts: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sex_is_read_in_any_case_and_padding() {
        let n = Nicknames::builtin();
        let sex_of = |s: &str| {
            let mut p = crate::compare::tests::person("Ann", "Lee", "1980-01-02");
            p.sex = s.into();
            normalise(&p, &n).sex
        };
        for (s, want) in
            [("M", 1), (" male ", 1), ("MaLe", 1), ("f", 2), ("FEMALE", 2), ("\tF", 2), ("", 0), ("x", 0), ("males", 0), ("ma", 0)]
        {
            assert_eq!(sex_of(s), want, "{s:?}");
        }
    }

    proptest::proptest! {
        /// A nominal's key is the hash of the force, a unit separator and the nominal written
        /// out, whether they fit the stack's 64 bytes or not.
        #[test]
        fn a_nominal_key_hashes_the_force_and_the_nominal_written_out(force in proptest::prelude::any::<u8>(), nominal in "\\PC{1,70}") {
            let want = xxhash_rust::xxh3::xxh3_64(format!("{force}\u{1f}{nominal}").as_bytes()) | 1;
            proptest::prop_assert_eq!(nominal_key(force, &nominal), want);
        }
    }

    /// The field warnings of many rows, counted on every core, are those of the rows one by
    /// one: each field's count, and the other columns in the order each first appears (here a
    /// column first seen late, after one first seen early, across more rows than one core's share).
    #[test]
    fn field_warnings_are_counted_as_row_by_row_in_first_seen_order() {
        let mut rows = Vec::new();
        for i in 0..20_000 {
            let mut p = crate::compare::tests::person("Anne", "Price", if i % 7 == 0 { "not a date" } else { "1980-01-02" });
            if i == 15_000 || i == 19_999 {
                p.invalid.push("online_handles");
            }
            if i % 5_000 == 3 {
                p.invalid.push("address");
            }
            if i % 3 == 0 {
                p.invalid.push("sex");
            }
            rows.push(p);
        }
        let (_, warnings) = normalise_all(&rows, &Nicknames::builtin());
        let dob = rows.iter().filter(|r| r.date_of_birth() == "not a date").count() as u64;
        let sex = rows.iter().filter(|r| r.invalid.contains(&"sex")).count() as u64;
        assert_eq!(warnings.counts, vec![("date_of_birth", dob), ("sex", sex), ("address", 4), ("online_handles", 2)]);
    }

    #[test]
    fn names_fold_to_ascii_letters() {
        assert_eq!(fold_name("O'Brien-Smith"), "obriensmith");
        assert_eq!(fold_name("Zoë"), "zoe");
        assert_eq!(fold_name("WÓJCIK"), "wojcik");
        assert_eq!(fold_name("J."), "j");
    }

    #[test]
    fn nickname_groups_join_through_shared_nicknames() {
        let n = Nicknames::builtin();
        assert_eq!(n.group_of("bob"), n.group_of("robert"));
        assert_eq!(n.group_of("steve"), n.group_of("steven"));
        assert_eq!(n.group_of("stephen"), n.group_of("steven"));
        assert_ne!(n.group_of("robert"), n.group_of("william"));
        assert_eq!(n.group_of("zebedee"), "zebedee");
        assert_eq!(n.group_of_fuzzy("rebrcca"), n.group_of("becca"));
        assert_eq!(n.group_of_fuzzy("zebedee"), "zebedee");
    }

    #[test]
    fn phonetic_keys_merge_spellings() {
        assert_eq!(phonetic_key("smith"), phonetic_key("smyth"));
        assert_eq!(phonetic_key("philips"), phonetic_key("filips"));
        assert_eq!(phonetic_key("catherine"), phonetic_key("kathryn"));
        assert_ne!(phonetic_key("smith"), phonetic_key("jones"));
    }

    #[test]
    fn uk_postcodes_split_into_district_and_sector() {
        assert_eq!(uk_postcode_parts("SW1A1AA"), Some(("SW1A", "SW1A1")));
        assert_eq!(uk_postcode_parts("M11AE"), Some(("M1", "M11")));
        assert_eq!(uk_postcode_parts("2119"), None);
    }

    /// Regression (found in CI by the population's random-rows proptest): a postcode of two
    /// letters and an inward code (`AB 1CD`) indexed past its outward code and panicked, so a
    /// people row carrying one stopped any linkage. It is not a UK postcode: no parts.
    #[test]
    fn uk_postcode_parts_of_two_letters_and_an_inward_code_panicked() {
        for pc in ["AB1CD", "A1CD", "AB12CD"] {
            let _ = uk_postcode_parts(pc);
        }
        assert_eq!(uk_postcode_parts("AB1CD"), None);
        assert_eq!(uk_postcode_parts("A1CD"), None);
        assert_eq!(uk_postcode_parts("AB12CD"), Some(("AB1", "AB12")));
        let nick = Nicknames::builtin();
        let force = conduct_domain::Force::resolve("Kent").unwrap();
        let mut row = Involvement::new("R1", force, "K-1", conduct_domain::Role::Victim);
        row.postcode = "AB 1CD".into();
        let _ = normalise(&row, &nick);
    }

    proptest::proptest! {
        /// Whatever the text, splitting it as a postcode does not panic, and parts, when given,
        /// are prefixes of it.
        #[test]
        fn any_postcode_text_splits_without_a_panic(pc in "[A-Z0-9]{0,8}") {
            if let Some((district, sector)) = uk_postcode_parts(&pc) {
                proptest::prop_assert!(pc.starts_with(sector) && sector.starts_with(district));
            }
        }
    }

    #[test]
    fn addresses_expand_abbreviations() {
        assert_eq!(normalise_address("20 Stafford St, Ashford"), "20 stafford street ashford");
        assert_eq!(normalise_address("FLAT 1, 2 HIGH RD"), "flat 1 2 high road");
    }
}

//! Small value readers shared by ingest and linkage: booleans, phone numbers, e-mail addresses.

use crate::{Error, ErrorKind};

/// The most letters a placeholder has (each of [`PLACEHOLDERS`] is ASCII and no longer).
const LONGEST: usize = 16;

/// The letters, lower-cased, of the placeholders [`is_placeholder_name`] knows.
const PLACEHOLDERS: &[&str] = &[
    "unknown",
    "unk",
    "nk",
    "uk",
    "notknown",
    "notstated",
    "notgiven",
    "none",
    "anon",
    "anonymous",
    "xx",
    "xxx",
    "xxxx",
    "tbc",
    "tba",
    "refused",
    "withheld",
    "unnamed",
    "noname",
    "unknownmale",
    "unknownfemale",
    "unknownperson",
    "unknownsuspect",
    "unknownoffender",
    "male",
    "female",
];

/// Whether a name field holds a placeholder a force writes for "we do not know" (`Unknown`,
/// `N/K`, `Not known`, `UNK`, `XXX`, `Anon`…) rather than a name. Such a value identifies
/// nobody: linkage treats it as missing, and a suspect row with only placeholders is an
/// unknown suspect. Compared on the letters alone, case folded.
pub fn is_placeholder_name(s: &str) -> bool {
    // The letters, lower-cased, gathered on the stack: every placeholder is ASCII and at most
    // `LONGEST` letters, so a longer run, or any letter that does not lower-case to ASCII, is no
    // placeholder (a letter that does, such as the Kelvin sign, counts as its ASCII letter).
    // This runs for both names of every people row; a `String` each was a tenth of normalising.
    let mut letters = [0u8; LONGEST];
    let mut n = 0;
    for c in s.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase) {
        if !c.is_ascii() || n == LONGEST {
            return false;
        }
        letters[n] = c as u8;
        n += 1;
    }
    n > 0 && PLACEHOLDERS.iter().any(|p| p.as_bytes() == &letters[..n])
}

/// Reads a contract boolean: true/false, yes/no, y/n, 1/0 (any case). Empty is unknown
/// (`Ok(None)`), never "no"; anything else is an error.
///
/// # Errors
///
/// [`ErrorKind::NotABool`] when the text is none of those spellings.
pub fn parse_bool(s: &str) -> Result<Option<bool>, Error> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "true" | "yes" | "y" | "1" | "t" => Ok(Some(true)),
        "false" | "no" | "n" | "0" | "f" => Ok(Some(false)),
        _ => Err(Error::new(ErrorKind::NotABool)),
    }
}

/// A phone number in one canonical form: UK numbers as `+44` and the national significant
/// number (`07700 900123`, `+44 7700 900123` and `0044 (0)7700-900123` agree); other
/// international numbers as `+` and digits. `None` when it cannot be a phone number.
pub fn canonical_phone(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let plus = s.starts_with('+');
    let mut digits = String::with_capacity(s.len());
    let mut rest = s;
    // A UK "(0)" trunk marker after the country code is dropped.
    let owned;
    if s.contains("(0)") {
        owned = s.replacen("(0)", "", 1);
        rest = &owned;
    }
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' | '+' | '/' => {}
            _ => return None,
        }
    }
    let international = if plus {
        digits
    } else if let Some(d) = digits.strip_prefix("00") {
        d.to_string()
    } else if let Some(d) = digits.strip_prefix('0') {
        format!("44{d}")
    } else {
        return None;
    };
    if let Some(national) = international.strip_prefix("44") {
        let national = national.strip_prefix('0').unwrap_or(national);
        return (9..=10).contains(&national.len()).then(|| format!("+44{national}"));
    }
    (8..=15).contains(&international.len()).then(|| format!("+{international}"))
}

/// An e-mail address lower-cased and trimmed, if it has the shape `local@domain.tld`.
pub fn canonical_email(s: &str) -> Option<String> {
    let s = s.trim().to_lowercase();
    let (local, domain) = s.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace);
    ok.then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Placeholders as they were read before session 47: the letters lower-cased into a
    /// `String`, then looked up.
    fn placeholder_by_collecting(s: &str) -> bool {
        let letters: String = s.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect();
        !letters.is_empty() && PLACEHOLDERS.contains(&letters.as_str())
    }

    proptest::proptest! {
        /// A placeholder decorated (case, separators, a Kelvin sign for a k, a dotted capital
        /// I, a letter too many), one of 16 letters or more, and any text are read as the
        /// collecting reading read them.
        #[test]
        fn a_placeholder_is_read_as_collecting_the_letters_read_it(
            which in 0usize..26,
            decoration in 0usize..7,
            any_text in "\\PC{0,24}",
            letters in "[a-zA-Z\u{212a}\u{130}]{14,18}",
        ) {
            const SOME: [&str; 26] = [
                "Unknown", "UNK", "N/K", "u.k.", "Not known", "Not Stated", "not-given", "NONE", "Anon", "Anonymous", "xx", "X X X",
                "xxxx", "T.B.C.", "tba", "Refused", "WITHHELD", "unnamed", "No name", "Unknown male", "Unknown Female",
                "unknown person", "Unknown suspect", "UNKNOWN OFFENDER", "Male", "female",
            ];
            let p = SOME[which];
            let decorated = match decoration {
                0 => p.to_string(),
                1 => format!(" {p}. "),
                2 => p.replace(['k', 'K'], "\u{212a}"),
                3 => p.replacen(['i', 'I'], "\u{130}", 1),
                4 => format!("{p}s"),
                5 => p.to_lowercase().replace(' ', "_"),
                _ => format!("{p}{p}"),
            };
            for s in [decorated.as_str(), any_text.as_str(), letters.as_str()] {
                proptest::prop_assert_eq!(is_placeholder_name(s), placeholder_by_collecting(s), "{:?}", s);
            }
        }
    }

    #[test]
    fn placeholder_names_are_not_names() {
        assert!(PLACEHOLDERS.iter().all(|p| p.bytes().all(|b| b.is_ascii_lowercase()) && p.len() <= LONGEST));
        for p in ["Unknown", "UNKNOWN", "N/K", "n.k.", "Not known", "UNK", "XXX", "Anon", "Unknown male", "tbc", "MALE"] {
            assert!(is_placeholder_name(p), "{p}");
        }
        for n in ["Smith", "Na", "Ng", "X", "Li", "Unwin", "", "O'Brien"] {
            assert!(!is_placeholder_name(n), "{n}");
        }
    }

    #[test]
    fn booleans_follow_the_contract() {
        assert_eq!(parse_bool("Yes"), Ok(Some(true)));
        assert_eq!(parse_bool("n"), Ok(Some(false)));
        assert_eq!(parse_bool("0"), Ok(Some(false)));
        assert_eq!(parse_bool(""), Ok(None));
        assert_eq!(parse_bool("maybe").unwrap_err().kind(), &ErrorKind::NotABool);
    }

    #[test]
    fn uk_phone_numbers_agree_in_every_spelling() {
        let c = "+447700900123";
        for s in ["07700 900123", "+44 7700 900123", "0044 (0)7700-900123", "+44 (0)7700 900123"] {
            assert_eq!(canonical_phone(s).as_deref(), Some(c), "{s}");
        }
        assert_eq!(canonical_phone("020 7946 0958").as_deref(), Some("+442079460958"));
        assert_eq!(canonical_phone("+1 202 555 0143").as_deref(), Some("+12025550143"));
        assert_eq!(canonical_phone("0770"), None);
        assert_eq!(canonical_phone("call me"), None);
        assert_eq!(canonical_phone("7700900123"), None);
    }

    #[test]
    fn emails_need_a_domain() {
        assert_eq!(canonical_email(" A.Smith@Example.COM ").as_deref(), Some("a.smith@example.com"));
        assert_eq!(canonical_email("no-at-sign"), None);
        assert_eq!(canonical_email("a@localhost"), None);
    }
}

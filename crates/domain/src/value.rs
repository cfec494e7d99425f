//! Small value readers shared by ingest and linkage: booleans, phone numbers, e-mail addresses.

use crate::{Error, ErrorKind};

/// Whether a name field holds a placeholder a force writes for "we do not know" (`Unknown`,
/// `N/K`, `Not known`, `UNK`, `XXX`, `Anon`…) rather than a name. Such a value identifies
/// nobody: linkage treats it as missing, and a suspect row with only placeholders is an
/// unknown suspect. Compared on the letters alone, case folded.
pub fn is_placeholder_name(s: &str) -> bool {
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
    let letters: String = s.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect();
    !letters.is_empty() && PLACEHOLDERS.contains(&letters.as_str())
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

    #[test]
    fn placeholder_names_are_not_names() {
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

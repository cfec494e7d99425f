//! Spreadsheet-safe CSV cells: the one rule for every CSV file Conduct writes.
//!
//! A spreadsheet opening a CSV file runs a cell that starts with `=`, `+`, `-` or `@` as a
//! formula (and some also a cell starting with a tab or a carriage return), so a record id such
//! as `=HYPERLINK("http://…")` taken from an export would become a live formula in an analyst's
//! spreadsheet. The rule, applied to every text cell Conduct writes into a CSV file (the CLI's
//! outputs and the server's downloads alike):
//!
//! - a cell whose first character, after any apostrophes it already starts with, is `=`, `+`,
//!   `-`, `@`, TAB or CR gets one more apostrophe (`'`) in front — **unless** the cell is a plain
//!   number (`-3.21`, `+44`, `-1e-5`: an optional sign, digits with at most one decimal point,
//!   and an optional exponent), which a spreadsheet reads as a number, not a formula, so that
//!   negative weights and the like stay numbers;
//! - every other cell is written as it is.
//!
//! Counting the apostrophes a cell already starts with makes the rule exactly reversible:
//! [`restore`] removes one apostrophe from precisely the cells [`inert`] changed, so Conduct
//! reading its own files back (`conduct courses --persons persons.csv`, `conduct eval`) sees the
//! original text — `=1+1` is written `'=1+1` and read back as `=1+1`, and a genuine `'=1+1` is
//! written `''=1+1` and read back as `'=1+1`. Only files Conduct wrote are restored; an input
//! export is read as it is.

use std::borrow::Cow;

/// Whether a spreadsheet would take a cell starting with this character for a formula.
fn is_trigger(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// Whether `s` is a plain number: an optional sign, ASCII digits with at most one decimal point
/// (at least one digit), and an optional exponent (`e` or `E`, an optional sign, digits).
pub fn is_plain_number(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut digits = 0;
    let mut point = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' if !point => point = true,
            _ => break,
        }
        i += 1;
    }
    if digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// Whether [`inert`] prefixes this cell (see the module documentation for the rule).
pub fn needs_apostrophe(s: &str) -> bool {
    let rest = s.trim_start_matches('\'');
    rest.chars().next().is_some_and(is_trigger) && !is_plain_number(rest)
}

/// The cell as it is safe to write into a CSV file: with a leading apostrophe when a
/// spreadsheet could take it for a formula (see the module documentation for the rule).
pub fn inert(s: &str) -> Cow<'_, str> {
    if needs_apostrophe(s) { Cow::Owned(format!("'{s}")) } else { Cow::Borrowed(s) }
}

/// The inverse of [`inert`], for reading back a CSV file Conduct wrote:
/// `restore(&inert(s)) == s` for every `s`.
pub fn restore(s: &str) -> Cow<'_, str> {
    match s.strip_prefix('\'') {
        Some(rest) if needs_apostrophe(rest) => Cow::Borrowed(rest),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_get_an_apostrophe_and_numbers_do_not() {
        for (given, written) in [
            ("=1+1", "'=1+1"),
            ("+44 7700 900123", "'+44 7700 900123"),
            ("-R1", "'-R1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\r=1", "'\r=1"),
            ("'=1+1", "''=1+1"),
            ("''@x", "'''@x"),
            ("-", "'-"),
            ("+", "'+"),
            ("-.", "'-."),
            ("-1e", "'-1e"),
            ("-inf", "'-inf"),
            ("--1", "'--1"),
            ("-1+2", "'-1+2"),
            ("-3.21", "-3.21"),
            ("+44", "+44"),
            ("-1e-5", "-1e-5"),
            ("-.5", "-.5"),
            ("-5.", "-5."),
            ("R00000001", "R00000001"),
            ("K-1", "K-1"),
            ("", ""),
            ("'", "'"),
            ("'quoted'", "'quoted'"),
            ("1+1", "1+1"),
            (" =1", " =1"),
            ("2023-09-30", "2023-09-30"),
        ] {
            assert_eq!(inert(given), written, "{given:?}");
            assert_eq!(restore(written), given, "{written:?}");
        }
    }

    #[test]
    fn restore_undoes_inert_exactly() {
        let pieces = ["", "'", "''", "=", "+", "-", "@", "\t", "\r", "1", ".", "e", "x", " ", "-1", "3.2"];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    let s = format!("{a}{b}{c}");
                    let w = inert(&s);
                    assert_eq!(restore(&w), s, "{s:?} → {w:?}");
                    let first = w.trim_start_matches('\'').chars().next();
                    assert!(w.starts_with('\'') || !first.is_some_and(is_trigger) || is_plain_number(&w), "{s:?} → {w:?} is live");
                }
            }
        }
    }
}

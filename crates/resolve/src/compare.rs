//! Comparison levels: for each pair of records, one level per comparison (forename, surname,
//! date of birth, …), from the strongest agreement down to disagreement. Level 0 always means
//! "one side is missing" and carries no weight either way.

use crate::normalise::{Dob, Features};

/// The number of comparisons.
pub const N_COMPARISONS: usize = 12;

/// Levels of one pair, one per comparison; 0 is missing, `k` is `COMPARISONS[c].levels[k-1]`.
pub type Pattern = [u8; N_COMPARISONS];

/// A comparison's name and its levels (strongest first; the last is disagreement).
#[derive(Clone, Copy, Debug)]
pub struct ComparisonSpec {
    /// Field name.
    pub name: &'static str,
    /// Labels of levels 1.. (level 0 is "missing").
    pub levels: &'static [&'static str],
    /// Prior m probabilities per level (starting point for EM), summing to 1.
    pub m_prior: &'static [f64],
}

/// Index of each comparison in a [`Pattern`].
pub mod field {
    /// Forename.
    pub const FORENAME: usize = 0;
    /// Surname.
    pub const SURNAME: usize = 1;
    /// Date of birth.
    pub const DOB: usize = 2;
    /// Postcode.
    pub const POSTCODE: usize = 3;
    /// Address.
    pub const ADDRESS: usize = 4;
    /// Phone.
    pub const PHONE: usize = 5;
    /// E-mail.
    pub const EMAIL: usize = 6;
    /// Online handles.
    pub const HANDLES: usize = 7;
    /// PNC id.
    pub const PNC: usize = 8;
    /// National Insurance number.
    pub const NI: usize = 9;
    /// Sex.
    pub const SEX: usize = 10;
    /// Local nominal id within one force.
    pub const NOMINAL: usize = 11;
}

/// The comparisons, in [`Pattern`] order.
pub const COMPARISONS: [ComparisonSpec; N_COMPARISONS] = [
    ComparisonSpec {
        name: "forename",
        levels: &["exact", "nickname or alias", "jaro-winkler >= 0.92", "phonetic", "jaro-winkler >= 0.85", "initial", "different"],
        m_prior: &[0.80, 0.05, 0.05, 0.02, 0.02, 0.04, 0.02],
    },
    ComparisonSpec {
        name: "surname",
        levels: &["exact", "one edit or jaro-winkler >= 0.92", "phonetic", "jaro-winkler >= 0.85", "different"],
        m_prior: &[0.88, 0.06, 0.02, 0.02, 0.02],
    },
    ComparisonSpec {
        name: "date_of_birth",
        levels: &[
            "exact",
            "day/month transposed",
            "year +/- 1",
            "one component one digit",
            "partial agrees",
            "two small slips",
            "different",
        ],
        m_prior: &[0.84, 0.02, 0.02, 0.04, 0.04, 0.01, 0.03],
    },
    ComparisonSpec {
        name: "postcode",
        levels: &["unit", "sector", "district", "one edit", "different"],
        m_prior: &[0.75, 0.03, 0.03, 0.05, 0.14],
    },
    ComparisonSpec {
        name: "address",
        levels: &["exact", "same numbers, jaro-winkler >= 0.88", "jaro-winkler >= 0.88", "different"],
        m_prior: &[0.70, 0.10, 0.05, 0.15],
    },
    ComparisonSpec { name: "phone", levels: &["exact", "last six digits", "different"], m_prior: &[0.80, 0.02, 0.18] },
    ComparisonSpec { name: "email", levels: &["exact", "local part", "different"], m_prior: &[0.85, 0.05, 0.10] },
    ComparisonSpec { name: "online_handles", levels: &["one in common", "none in common"], m_prior: &[0.8, 0.2] },
    ComparisonSpec { name: "pnc_id", levels: &["exact", "one edit", "different"], m_prior: &[0.95, 0.03, 0.02] },
    ComparisonSpec { name: "ni_number", levels: &["exact", "one edit", "different"], m_prior: &[0.90, 0.07, 0.03] },
    ComparisonSpec { name: "sex", levels: &["agree", "conflict"], m_prior: &[0.98, 0.02] },
    ComparisonSpec { name: "local_person_id", levels: &["same nominal", "different nominal"], m_prior: &[0.7, 0.3] },
];

/// Jaro-Winkler similarity; a stack-only version for ASCII strings up to 64 bytes (names),
/// `strsim` otherwise.
///
/// Each of `a`'s bytes takes the first byte of `b` within the matching window that is equal to
/// it and not yet taken, as the textbook algorithm scans for it; here that byte is found from
/// bit masks (where each byte value sits in `b`, the window, what is taken) in a few
/// instructions instead of a scan of the window. The matches, and so the value, are the
/// scan's to the bit (test `jaro_winkler_matches_the_window_scan_to_the_bit`). The scan was
/// 4.5 % of `conduct run`'s CPU at the 1M world (`perf record`, session 47); on that world's
/// names the masks take about a tenth less time a pair.
pub fn jw(a: &str, b: &str) -> f64 {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    if !a.is_ascii() || !b.is_ascii() || x.len() > 64 || y.len() > 64 {
        return strsim::jaro_winkler(a, b);
    }
    if x.is_empty() || y.is_empty() {
        return if x.is_empty() && y.is_empty() { 1.0 } else { 0.0 };
    }
    let window = (x.len().max(y.len()) / 2).saturating_sub(1);
    // Bit j of `at[c]`: `y[j]` is the byte c (ASCII, so below 128).
    let mut at = [0u64; 128];
    for (j, &c) in y.iter().enumerate() {
        at[usize::from(c)] |= 1 << j;
    }
    // Bits below `n` (n at most 64).
    let below = |n: usize| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let mut used = 0u64;
    let mut x_match = [0u8; 64];
    let mut m = 0usize;
    for (i, &c) in x.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(y.len());
        let free = at[usize::from(c)] & below(hi) & !below(lo) & !used;
        if free != 0 {
            used |= free & free.wrapping_neg();
            x_match[m] = c;
            m += 1;
        }
    }
    if m == 0 {
        return 0.0;
    }
    // The taken bytes of `y` in order against the matched bytes of `x` in order.
    let mut t = 0usize;
    let mut rest = used;
    for &c in &x_match[..m] {
        let j = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        if y[j] != c {
            t += 1;
        }
    }
    let m = m as f64;
    let jaro = (m / x.len() as f64 + m / y.len() as f64 + (m - (t / 2) as f64) / m) / 3.0;
    let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count() as f64;
    jaro + prefix * 0.1 * (1.0 - jaro)
}

/// Whether two strings are at most one edit apart (insert, delete, substitute, transpose).
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (la, lb) = (a.len(), b.len());
    if la.abs_diff(lb) > 1 {
        return false;
    }
    let p = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if p == la && p == lb {
        return true;
    }
    let (ra, rb) = (&a[p..], &b[p..]);
    if la == lb {
        // substitution or adjacent transposition
        ra[1..] == rb[1..] || (ra.len() >= 2 && ra[0] == rb[1] && ra[1] == rb[0] && ra[2..] == rb[2..])
    } else if la > lb {
        ra[1..] == *rb
    } else {
        *ra == rb[1..]
    }
}

fn forename_level(a: &Features, b: &Features) -> u8 {
    if a.forename_h == 0 || b.forename_h == 0 {
        return 0;
    }
    name_level_fore(
        &a.forename,
        a.forename_h,
        a.forename_group,
        a.forename_phon,
        &a.middle,
        &b.forename,
        b.forename_h,
        b.forename_group,
        b.forename_phon,
        &b.middle,
    )
}

#[allow(clippy::too_many_arguments)]
fn name_level_fore(fa: &str, ha: u64, ga: u64, pa: u64, ma: &str, fb: &str, hb: u64, gb: u64, pb: u64, mb: &str) -> u8 {
    if ha == hb && fa == fb {
        return 1;
    }
    let (la, lb) = (fa.len(), fb.len());
    if la == 1 || lb == 1 {
        return if fa.as_bytes()[0] == fb.as_bytes()[0] { 6 } else { 7 };
    }
    if ga == gb || (!mb.is_empty() && mb.split(' ').any(|m| m == fa)) || (!ma.is_empty() && ma.split(' ').any(|m| m == fb)) {
        return 2;
    }
    let s = jw(fa, fb);
    if s >= 0.92 || (la.max(lb) >= 3 && within_one_edit(fa, fb)) {
        return 3;
    }
    if pa == pb && pa != 0 {
        return 4;
    }
    if s >= 0.85 {
        return 5;
    }
    7
}

fn surname_level_raw(sa: &str, ha: u64, pa: u64, sb: &str, hb: u64, pb: u64) -> u8 {
    if ha == hb && sa == sb {
        return 1;
    }
    let s = jw(sa, sb);
    if s >= 0.92 || (sa.len().min(sb.len()) >= 4 && within_one_edit(sa, sb)) {
        return 2;
    }
    if pa == pb && pa != 0 {
        return 3;
    }
    if s >= 0.85 {
        return 4;
    }
    5
}

/// Forename and surname levels, taking the crossed comparison when forename and surname look
/// swapped (recorded in each other's field) and that agrees better. The same either way round:
/// the crossed comparison reads one record's forename (with its middle names) against the
/// other's surname, so the two are taken in the order of their names, not as given. (Records
/// of the same names compare alike either way: only the names are read.)
///
/// Only the crossed comparison needs that order: the names as recorded, and a lone forename
/// against the other's surname, compare alike either way round ([`as_recorded`]). So the names'
/// strings are ordered only for a pair that reaches it; ordering every pair's names first was
/// a tenth of `conduct run`'s CPU at the 1M world (`memcmp` on strings the comparison otherwise
/// need not read, `perf record`, session 46).
fn name_levels(a: &Features, b: &Features) -> (u8, u8) {
    match as_recorded(a, b) {
        Ok(levels) => levels,
        Err((fore, sur)) if in_name_order(a, b) => crossed(a, b, fore, sur),
        Err((fore, sur)) => crossed(b, a, fore, sur),
    }
}

/// Whether `a` comes first by its names: forename, then surname, then middle names.
fn in_name_order(a: &Features, b: &Features) -> bool {
    (&a.forename, &a.surname, &a.middle) <= (&b.forename, &b.surname, &b.middle)
}

/// The levels of the names as recorded (`Ok`) when the crossed comparison cannot change them,
/// or the levels it starts from (`Err`). The same either way round: forenames and surnames
/// compare alike both ways (Jaro-Winkler, one edit, nickname groups, middle names tried on both
/// sides), and only one of the two records can have a forename and no surname against the
/// other's surname (test `the_names_as_recorded_compare_alike_either_way_round`).
fn as_recorded(a: &Features, b: &Features) -> Result<(u8, u8), (u8, u8)> {
    let fore = forename_level(a, b);
    let sur = if a.surname_h == 0 || b.surname_h == 0 {
        0
    } else {
        surname_level_raw(&a.surname, a.surname_h, a.surname_phon, &b.surname, b.surname_h, b.surname_phon)
    };
    let good = |f: u8, s: u8| f != 0 && s != 0 && f <= 3 && s <= 2;
    if good(fore, sur) {
        return Ok((fore, sur));
    }
    // One record has only a forename, the other's surname: a swap of a record whose forename
    // was missing ("White" recorded as the forename of a nameless White).
    for (x, y) in [(a, b), (b, a)] {
        if x.surname_h == 0 && x.forename_h != 0 && y.surname_h != 0 {
            let l = surname_level_raw(&x.forename, x.forename_h, x.forename_phon, &y.surname, y.surname_h, y.surname_phon);
            if l <= 2 && fore > 3 {
                return Ok((0, l));
            }
        }
    }
    if a.forename_h == 0 || b.forename_h == 0 || a.surname_h == 0 || b.surname_h == 0 {
        return Ok((fore, sur));
    }
    Err((fore, sur))
}

/// The crossed comparison, `a` first (see [`name_levels`]): a's forename against b's surname
/// and a's surname against b's forename; `(fore, sur)` when it does not agree better.
fn crossed(a: &Features, b: &Features, fore: u8, sur: u8) -> (u8, u8) {
    let cross_sur = surname_level_raw(&a.surname, a.surname_h, a.surname_phon, &b.forename, b.forename_h, b.forename_phon);
    if cross_sur > 2 {
        return (fore, sur);
    }
    // a's forename against b's surname (recorded where b's forename belongs), as forenames.
    let cross_fore = name_level_fore(
        &a.forename,
        a.forename_h,
        a.forename_group,
        a.forename_phon,
        &a.middle,
        &b.surname,
        b.surname_h,
        b.surname_h,
        b.surname_phon,
        "",
    );
    if cross_fore <= 3 || cross_fore == 6 {
        return (cross_fore, cross_sur);
    }
    (fore, sur)
}

/// The date-of-birth level of two component dates.
pub fn dob_level(a: Dob, b: Dob) -> u8 {
    if a.year == 0 || b.year == 0 {
        return 0;
    }
    if a.is_full() && b.is_full() {
        if a == b {
            return 1;
        }
        if a.year == b.year && a.month == b.day && a.day == b.month {
            return 2;
        }
        if a.month == b.month && a.day == b.day && a.year.abs_diff(b.year) == 1 {
            return 3;
        }
        let same = [a.year == b.year, a.month == b.month, a.day == b.day];
        let differing = same.iter().filter(|s| !**s).count();
        let slip = [
            a.year.abs_diff(b.year) == 1 || one_digit_slip(u32::from(a.year), u32::from(b.year), 4),
            one_digit_slip(u32::from(a.month), u32::from(b.month), 2),
            one_digit_slip(u32::from(a.day), u32::from(b.day), 2),
        ];
        let slips = (0..3).filter(|&i| !same[i] && slip[i]).count();
        if differing == 1 && slips == 1 && (same[0] || one_digit_slip(u32::from(a.year), u32::from(b.year), 4)) {
            return 4;
        }
        // Two records each with its own slip (one a year out, the other a digit wrong).
        if differing == slips && (1..=2).contains(&slips) {
            return 6;
        }
        return 7;
    }
    // At least one side partial: compare the components both have.
    let agree = a.year == b.year
        && (a.month == 0 || b.month == 0 || a.month == b.month)
        && (a.day == 0 || b.day == 0 || a.month == 0 || b.month == 0 || a.day == b.day);
    if agree { 5 } else { 7 }
}

/// Whether `x` and `y`, written as `w` digits, differ by one digit substituted or by two
/// adjacent digits transposed. Counted on the stack: a vector of the differing places was an
/// allocation for every pair of full dates of birth compared (`perf record`, session 46).
fn one_digit_slip(x: u32, y: u32, w: u32) -> bool {
    let digit = |v: u32, i: u32| (v / 10u32.pow(i)) % 10;
    let mut differ = [0u32; 2];
    let mut n = 0;
    for i in 0..w {
        if digit(x, i) != digit(y, i) {
            if n == differ.len() {
                return false;
            }
            differ[n] = i;
            n += 1;
        }
    }
    match (n, differ) {
        (1, _) => true,
        (2, [i, j]) => j == i + 1 && digit(x, i) == digit(y, j) && digit(x, j) == digit(y, i),
        _ => false,
    }
}

fn postcode_level(a: &Features, b: &Features) -> u8 {
    if a.pc_unit == 0 || b.pc_unit == 0 {
        return 0;
    }
    if a.pc_unit == b.pc_unit && a.postcode == b.postcode {
        return 1;
    }
    if a.postcode_uk && b.postcode_uk {
        // The hashes pick; the postcode's parts decide. A UK-shaped postcode's sector is all
        // but its last two characters, its district all but its last three
        // (`normalise::uk_postcode_parts`).
        fn head(pc: &str, cut: usize) -> &[u8] {
            &pc.as_bytes()[..pc.len().saturating_sub(cut)]
        }
        if a.pc_sector == b.pc_sector && head(&a.postcode, 2) == head(&b.postcode, 2) {
            return 2;
        }
        if a.pc_district == b.pc_district && head(&a.postcode, 3) == head(&b.postcode, 3) {
            return 3;
        }
    }
    if within_one_edit(&a.postcode, &b.postcode) { 4 } else { 5 }
}

fn address_level(a: &Features, b: &Features) -> u8 {
    if a.address_h == 0 || b.address_h == 0 {
        return 0;
    }
    if a.address_h == b.address_h && a.address == b.address {
        return 1;
    }
    // No street, locality or town name in common: different, without a string comparison.
    if a.address_words & b.address_words == 0 && a.address_words != 0 && b.address_words != 0 {
        return 4;
    }
    if jw(&a.address, &b.address) >= 0.88 {
        return if a.address_numbers == b.address_numbers { 2 } else { 3 };
    }
    4
}

fn ident_level(a: &str, ha: u64, b: &str, hb: u64) -> u8 {
    if ha == 0 || hb == 0 {
        0
    } else if ha == hb && a == b {
        1
    } else if within_one_edit(a, b) {
        2
    } else {
        3
    }
}

/// The personal comparisons only (forename, surname, date of birth, sex, PNC id, NI number);
/// the others are left 0. Cheaper than [`compare`], for contradiction checks.
pub fn compare_personal(a: &Features, b: &Features) -> Pattern {
    let mut p = [0u8; N_COMPARISONS];
    let (f, s) = name_levels(a, b);
    p[field::FORENAME] = f;
    p[field::SURNAME] = s;
    p[field::DOB] = dob_level(a.dob, b.dob);
    p[field::PNC] = ident_level(&a.pnc, a.pnc_h, &b.pnc, b.pnc_h);
    p[field::NI] = ident_level(&a.ni, a.ni_h, &b.ni, b.ni_h);
    p[field::SEX] = if a.sex == 0 || b.sex == 0 {
        0
    } else if a.sex == b.sex {
        1
    } else {
        2
    };
    p
}

/// All comparison levels of one pair: the personal ones of [`compare_personal`], then the
/// contact and location ones.
pub fn compare(a: &Features, b: &Features) -> Pattern {
    let mut p = compare_personal(a, b);
    p[field::POSTCODE] = postcode_level(a, b);
    p[field::ADDRESS] = address_level(a, b);
    p[field::PHONE] = if a.phone == 0 || b.phone == 0 {
        0
    } else if a.phone == b.phone {
        1
    } else if a.phone % 1_000_000 == b.phone % 1_000_000 {
        2
    } else {
        3
    };
    p[field::EMAIL] = if a.email_h == 0 || b.email_h == 0 {
        0
    } else if a.email_h == b.email_h && a.email == b.email {
        1
    } else if a.email_local_h == b.email_local_h && a.email.split('@').next() == b.email.split('@').next() {
        2
    } else {
        3
    };
    p[field::HANDLES] = if a.handles.is_empty() || b.handles.is_empty() {
        0
    } else if shared_handle(a, b) {
        1
    } else {
        2
    };
    p[field::NOMINAL] = if a.nominal == 0 || b.nominal == 0 || a.force != b.force {
        0
    } else if a.nominal == b.nominal && a.nominal_id == b.nominal_id {
        1
    } else {
        2
    };
    p
}

/// Whether two records share an online handle: found by hash, confirmed on the handle.
pub fn shared_handle(a: &Features, b: &Features) -> bool {
    a.handles.iter().zip(a.handle_names.iter()).any(|(h, n)| {
        b.handles.binary_search(h).is_ok_and(|i| {
            // Equal hashes sit together in `b.handles`; any of them may be the same handle.
            let lo = b.handles[..i].iter().rposition(|x| x != h).map_or(0, |k| k + 1);
            b.handles[lo..].iter().zip(b.handle_names[lo..].iter()).take_while(|(x, _)| *x == h).any(|(_, m)| m == n)
        })
    })
}

/// Packs a pattern into 36 bits (3 bits per comparison; levels are 0..=7).
pub fn pack(p: &Pattern) -> u64 {
    p.iter().enumerate().fold(0u64, |acc, (i, &l)| acc | (u64::from(l) << (3 * i)))
}

/// Unpacks [`pack`] (bits above 36 are ignored).
pub fn unpack(x: u64) -> Pattern {
    let mut p = [0u8; N_COMPARISONS];
    for (i, l) in p.iter_mut().enumerate() {
        *l = ((x >> (3 * i)) & 0x7) as u8;
    }
    p
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::normalise::{Nicknames, normalise};
    use conduct_domain::Involvement;

    pub(crate) fn person(fore: &str, sur: &str, dob: &str) -> Involvement {
        let force = conduct_domain::Force::resolve("Kent").unwrap();
        let mut p = Involvement::new(&format!("{fore}-{sur}-{dob}"), force, "X", conduct_domain::Role::Victim);
        p.forename = fore.into();
        p.surname = sur.into();
        p.set_date_of_birth(dob);
        p
    }

    fn levels(a: &Involvement, b: &Involvement) -> Pattern {
        let n = Nicknames::builtin();
        compare(&normalise(a, &n), &normalise(b, &n))
    }

    /// A hash picks, the value decides: two different values given equal hashes (as a 64-bit
    /// collision would) are never "the same" on any level that says so.
    #[test]
    fn equal_hashes_of_different_values_are_not_the_same() {
        let n = Nicknames::builtin();
        let mut a = person("Anna", "Smith", "1980-01-01");
        a.address = "1 High Street, Leeds".into();
        a.postcode = "LS1 1AA".into();
        a.email = "anna@example.org".into();
        a.online_handles = "twitter:@annas".into();
        a.pnc_id = "12/345678A".into();
        a.local_person_id = "N1".into();
        let mut b = person("Hanna", "Smyth", "1980-01-01");
        b.address = "2 Low Road, York".into();
        b.postcode = "YO1 7HH".into();
        b.email = "hanna@example.com".into();
        b.online_handles = "twitter:@hannas".into();
        b.pnc_id = "99/999999Z".into();
        b.local_person_id = "N2".into();
        let fa = normalise(&a, &n);
        let mut fb = normalise(&b, &n);
        (fb.forename_h, fb.surname_h, fb.address_h, fb.pc_unit, fb.pc_sector, fb.pc_district) =
            (fa.forename_h, fa.surname_h, fa.address_h, fa.pc_unit, fa.pc_sector, fa.pc_district);
        (fb.email_h, fb.email_local_h, fb.handles, fb.pnc_h, fb.nominal) =
            (fa.email_h, fa.email_local_h, fa.handles.clone(), fa.pnc_h, fa.nominal);
        // The comparisons whose level 1 says "the same value".
        let sameness =
            [field::FORENAME, field::SURNAME, field::ADDRESS, field::POSTCODE, field::EMAIL, field::HANDLES, field::PNC, field::NOMINAL];
        let p = compare(&fa, &fb);
        for c in sameness {
            assert_ne!(p[c], 1, "{} says the same on equal hashes alone", COMPARISONS[c].name);
        }
        assert!(p[field::POSTCODE] > 3, "sector and district are not the same either: {}", p[field::POSTCODE]);
        assert_ne!(p[field::EMAIL], 2);
        // And the same values still are.
        let q = compare(&fa, &normalise(&a, &n));
        for c in sameness {
            assert_eq!(q[c], 1, "{}", COMPARISONS[c].name);
        }
    }

    /// A record of names, dates and contacts drawn from small pools, so that swapped, crossed,
    /// nicknamed, initialled and one-edit-apart names meet often.
    pub(crate) fn drawn_record() -> impl proptest::strategy::Strategy<Value = Involvement> {
        use proptest::prelude::*;
        let names = prop::sample::select(vec![
            "",
            "J",
            "JOHN",
            "JON",
            "JOHNNY",
            "JACK",
            "SMITH",
            "SMYTH",
            "SMITHE",
            "JONES",
            "JONSON",
            "BILL",
            "WILLIAM",
            "LIAM",
            "MARIE",
            "MARY",
            "ANNE",
            "ANN",
            "PRICE",
            "PRYCE",
            "DIXON",
            "DICKSON",
            "MARTHA",
            "MARHTA",
            "JOHN PAUL",
            "SMITH-JONES",
        ]);
        let dobs = prop::sample::select(vec!["", "1980-01-02", "1980-02-01", "1981-01-02", "1980-01", "1980", "1962-11-30"]);
        let postcodes = prop::sample::select(vec!["", "BD21 4QF", "BD21 4QG", "BD21 5AA", "BD2 1AA", "LS1 1AA"]);
        let phones = prop::sample::select(vec!["", "07700 900552", "07700 900553", "07711 900552"]);
        let emails = prop::sample::select(vec!["", "john@example.org", "john@example.com", "smith.john@example.org"]);
        let sexes = prop::sample::select(vec!["", "M", "F"]);
        (names.clone(), names.clone(), names, dobs, postcodes, phones, emails, sexes).prop_map(
            |(fore, middle, sur, dob, pc, phone, email, sex)| {
                let mut r = person(fore, sur, dob);
                r.middle_names = middle.into();
                r.postcode = pc.into();
                r.set_phone(phone);
                r.email = email.into();
                r.sex = sex.into();
                r
            },
        )
    }

    proptest::proptest! {
        /// A pair is the same pair either way round: every level, and every contradiction the
        /// clustering's veto reads, whichever record comes first. (Regression: the crossed-name
        /// comparison read the first record's middle names only, so a file in another order
        /// fitted another model.)
        #[test]
        fn a_pair_compares_alike_either_way_round(a in drawn_record(), b in drawn_record()) {
            let n = Nicknames::builtin();
            let (fa, fb) = (normalise(&a, &n), normalise(&b, &n));
            proptest::prop_assert_eq!(compare(&fa, &fb), compare(&fb, &fa));
            let veto = crate::cluster::Veto::from_weights(&crate::Model::builtin_default().weights(), -5.0);
            proptest::prop_assert_eq!(crate::cluster::contradictions(&fa, &fb, &veto), crate::cluster::contradictions(&fb, &fa, &veto));
        }

        /// The names as recorded compare alike either way round, so [`name_levels`] orders the
        /// two records by their names only for the crossed comparison; and its levels are those
        /// of the records taken in that order from the start, as they were before.
        #[test]
        fn the_names_as_recorded_compare_alike_either_way_round(a in drawn_record(), b in drawn_record()) {
            let n = Nicknames::builtin();
            let (fa, fb) = (normalise(&a, &n), normalise(&b, &n));
            proptest::prop_assert_eq!(as_recorded(&fa, &fb), as_recorded(&fb, &fa));
            let (first, second) = if in_name_order(&fa, &fb) { (&fa, &fb) } else { (&fb, &fa) };
            let ordered_first = as_recorded(first, second).unwrap_or_else(|(f, s)| crossed(first, second, f, s));
            proptest::prop_assert_eq!(name_levels(&fa, &fb), ordered_first);
        }

        /// A slip of one digit is one digit substituted or two adjacent digits swapped, read
        /// off the numbers written out as text.
        #[test]
        fn a_slip_of_one_digit_is_one_digit_changed_or_two_swapped(
            w in 1u32..=4,
            x in 0u32..10_000,
            y in 0u32..10_000,
            how in 0u8..4,
            at in 0usize..4,
            d in b'0'..=b'9',
        ) {
            let x = x % 10u32.pow(w);
            let sx = format!("{x:0w$}", w = w as usize);
            // y drawn freely, or x with a digit changed, two adjacent swapped, or two apart swapped.
            let mut t = sx.clone().into_bytes();
            let (i, len) = (at % t.len(), t.len());
            match how {
                1 => t[i] = d,
                2 if i + 1 < len => t.swap(i, i + 1),
                3 if i + 2 < len => t.swap(i, i + 2),
                _ => t = format!("{:0w$}", y % 10u32.pow(w), w = w as usize).into_bytes(),
            }
            let sy = String::from_utf8(t).expect("digits");
            let y: u32 = sy.parse().expect("digits");
            let (bx, by) = (sx.as_bytes(), sy.as_bytes());
            let places: Vec<usize> = (0..bx.len()).filter(|&k| bx[k] != by[k]).collect();
            let want = places.len() == 1
                || (places.len() == 2 && places[1] == places[0] + 1 && bx[places[0]] == by[places[1]] && bx[places[1]] == by[places[0]]);
            proptest::prop_assert_eq!(one_digit_slip(x, y, w), want, "{} {}", sx, sy);
        }

        /// The bit-mask matching takes the same bytes as scanning each window, so the value is
        /// the scan's to the bit: over a small alphabet (many repeated bytes, where the first
        /// free byte in the window matters) and lengths to the 64-byte edge.
        #[test]
        fn jaro_winkler_matches_the_window_scan_to_the_bit(
            a in "[a-d ]{0,12}|[a-c]{50,64}|[a-z]{0,20}",
            b in "[a-d ]{0,12}|[a-c]{50,64}|[a-z]{0,20}",
        ) {
            proptest::prop_assert_eq!(jw(&a, &b).to_bits(), jw_by_scanning(&a, &b).to_bits(), "{:?} {:?}", a, b);
        }

        /// Jaro-Winkler is the same either way round, to the bit.
        #[test]
        fn jaro_winkler_is_the_same_either_way_round(a in "[A-E]{0,9}", b in "[A-E]{0,9}") {
            proptest::prop_assert_eq!(jw(&a, &b).to_bits(), jw(&b, &a).to_bits());
        }
    }

    /// Jaro-Winkler as it was computed before session 47: each byte of `a` scans its window of
    /// `b` for the first equal byte not yet taken. The oracle for [`jw`]'s bit masks.
    fn jw_by_scanning(a: &str, b: &str) -> f64 {
        let (x, y) = (a.as_bytes(), b.as_bytes());
        if x.is_empty() || y.is_empty() {
            return if x.is_empty() && y.is_empty() { 1.0 } else { 0.0 };
        }
        let window = (x.len().max(y.len()) / 2).saturating_sub(1);
        let mut used = [false; 64];
        let mut x_match = [0u8; 64];
        let mut m = 0usize;
        for (i, &c) in x.iter().enumerate() {
            let lo = i.saturating_sub(window);
            let hi = (i + window + 1).min(y.len());
            for j in lo..hi {
                if !used[j] && y[j] == c {
                    used[j] = true;
                    x_match[m] = c;
                    m += 1;
                    break;
                }
            }
        }
        if m == 0 {
            return 0.0;
        }
        let mut t = 0usize;
        let mut k = 0usize;
        for (j, &c) in y.iter().enumerate() {
            if used[j] {
                if c != x_match[k] {
                    t += 1;
                }
                k += 1;
            }
        }
        let m = m as f64;
        let jaro = (m / x.len() as f64 + m / y.len() as f64 + (m - (t / 2) as f64) / m) / 3.0;
        let prefix = x.iter().zip(y).take(4).take_while(|(p, q)| p == q).count() as f64;
        jaro + prefix * 0.1 * (1.0 - jaro)
    }

    #[test]
    fn jaro_winkler_agrees_with_strsim() {
        for (a, b) in [("martha", "marhta"), ("dixon", "dicksonx"), ("jon", "john"), ("a", "b"), ("smith", "smith")] {
            assert!((jw(a, b) - strsim::jaro_winkler(a, b)).abs() < 1e-9, "{a} {b}");
        }
    }

    #[test]
    fn one_edit_is_detected() {
        assert!(within_one_edit("smith", "smyth"));
        assert!(within_one_edit("smith", "smtih"));
        assert!(within_one_edit("smith", "smit"));
        assert!(!within_one_edit("smith", "jones"));
    }

    #[test]
    fn nicknames_swaps_and_initials_have_their_levels() {
        let p = levels(&person("Robert", "Smith", "1980-01-02"), &person("Bob", "Smith", "1980-01-02"));
        assert_eq!((p[field::FORENAME], p[field::SURNAME], p[field::DOB]), (2, 1, 1));
        let p = levels(&person("Robert", "Smith", "1980-01-02"), &person("Smith", "Robert", "1980-02-01"));
        assert_eq!((p[field::FORENAME], p[field::SURNAME], p[field::DOB]), (1, 1, 2));
        let p = levels(&person("R.", "Smith", "1980"), &person("Robert", "Smith", "1980-02-01"));
        assert_eq!((p[field::FORENAME], p[field::DOB]), (6, 5));
        let p = levels(&person("Robert", "Smith", ""), &person("Alice", "Smith", "1980-02-01"));
        assert_eq!((p[field::FORENAME], p[field::DOB]), (7, 0));
    }

    #[test]
    fn dates_compare_by_component() {
        let d = |y, m, d| Dob { year: y, month: m, day: d };
        assert_eq!(dob_level(d(1980, 1, 2), d(1981, 1, 2)), 3);
        assert_eq!(dob_level(d(1980, 1, 2), d(1980, 1, 5)), 4);
        assert_eq!(dob_level(d(1980, 1, 2), d(1955, 7, 9)), 7);
        assert_eq!(dob_level(d(1980, 1, 2), d(1981, 1, 5)), 6);
        assert_eq!(dob_level(d(1980, 0, 0), d(1980, 7, 9)), 5);
    }

    #[test]
    fn patterns_pack_and_unpack() {
        let p: Pattern = [1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 2];
        assert_eq!(unpack(pack(&p)), p);
    }
}

//! A record's normalised features as the index stores them (`population_features`, schema step
//! 9), so that an update reads its candidates ready to compare instead of reading their people
//! rows and normalising them again.
//!
//! The stored text holds what normalisation folded and parsed (names, date of birth, sex,
//! postcode, address, phone, e-mail, handles, identifiers, force) and the nickname group when it
//! is not the forename itself; every hash and signature that is a plain function of a stored
//! string (the strings' hashes, phonetic keys, postcode sector and district, the address's
//! numbers and words, the nominal id's hash, `identifying`) is computed again when it is read,
//! by the same functions [`normalise`](conduct_resolve::normalise::normalise) uses. A test
//! checks, field by field, that what is read back is what normalising the row gives.
//!
//! The text is valid UTF-8 (TEXT on both databases): a format mark, then items, each a
//! lower-case hexadecimal number ended by `,`; a string is its length in bytes as such a
//! number, followed by its bytes. A text this build cannot read (another format mark, or
//! damaged) reads as absent, and the record is normalised from its row instead.

use conduct_resolve::normalise::{Dob, Features, address_words, hash_str, nominal_key, phonetic_key, uk_postcode_parts};
use std::fmt::Write as _;

/// The format mark: the first character of every stored text.
const FORMAT: char = '1';

/// The stored text of `f`.
pub fn encode(f: &Features) -> String {
    let mut w = String::with_capacity(48 + f.forename.len() + f.middle.len() + f.surname.len() + f.address.len() + f.email.len());
    w.push(FORMAT);
    text(&mut w, &f.forename);
    if f.forename_group == f.forename_h {
        w.push('=');
    } else {
        num(&mut w, f.forename_group);
    }
    text(&mut w, &f.middle);
    text(&mut w, &f.surname);
    num(&mut w, u64::from(f.dob.year));
    num(&mut w, u64::from(f.dob.month));
    num(&mut w, u64::from(f.dob.day));
    num(&mut w, u64::from(f.sex));
    text(&mut w, &f.postcode);
    text(&mut w, &f.address);
    num(&mut w, f.phone);
    text(&mut w, &f.email);
    num(&mut w, f.handle_names.len() as u64);
    for h in &f.handle_names {
        text(&mut w, h);
    }
    text(&mut w, &f.pnc);
    text(&mut w, &f.ni);
    text(&mut w, &f.nominal_id);
    num(&mut w, u64::from(f.force));
    w
}

fn num(w: &mut String, x: u64) {
    if x != 0 {
        let _ = write!(w, "{x:x}");
    }
    w.push(',');
}

fn text(w: &mut String, s: &str) {
    num(w, s.len() as u64);
    w.push_str(s);
}

/// Reads the items of a stored text.
struct Reader<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn num(&mut self) -> Option<u64> {
        let rest = &self.s.as_bytes()[self.at..];
        let end = rest.iter().position(|&b| b == b',')?;
        let x = if end == 0 { 0 } else { u64::from_str_radix(std::str::from_utf8(&rest[..end]).ok()?, 16).ok()? };
        self.at += end + 1;
        Some(x)
    }

    fn text(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.num()?).ok()?;
        let t = self.s.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(t)
    }

    fn equals_mark(&mut self) -> bool {
        let yes = self.s.as_bytes().get(self.at) == Some(&b'=');
        self.at += usize::from(yes);
        yes
    }
}

/// The features a stored text holds; `None` when this build cannot read it.
pub fn decode(s: &str) -> Option<Features> {
    if !s.starts_with(FORMAT) {
        return None;
    }
    let mut r = Reader { s, at: FORMAT.len_utf8() };
    let mut f = Features::default();
    let forename = r.text()?;
    f.forename_h = hash_str(forename);
    f.forename_group = if r.equals_mark() { f.forename_h } else { r.num()? };
    f.forename_phon = hash_str(&phonetic_key(forename));
    f.forename = forename.into();
    f.middle = r.text()?.into();
    let surname = r.text()?;
    f.surname_h = hash_str(surname);
    f.surname_phon = hash_str(&phonetic_key(surname));
    f.surname = surname.into();
    f.dob = Dob { year: u16::try_from(r.num()?).ok()?, month: u8::try_from(r.num()?).ok()?, day: u8::try_from(r.num()?).ok()? };
    f.sex = u8::try_from(r.num()?).ok()?;
    let pc = r.text()?;
    f.pc_unit = hash_str(pc);
    if let Some((district, sector)) = uk_postcode_parts(pc) {
        f.postcode_uk = true;
        f.pc_district = hash_str(district);
        f.pc_sector = hash_str(sector);
    }
    f.postcode = pc.into();
    let addr = r.text()?;
    f.address_h = hash_str(addr);
    let numbers: Vec<&str> = addr.split(' ').filter(|t| t.bytes().any(|c| c.is_ascii_digit())).collect();
    f.address_numbers = hash_str(&numbers.join(" "));
    f.address_words = address_words(addr);
    f.address = addr.into();
    f.phone = r.num()?;
    let email = r.text()?;
    if !email.is_empty() {
        f.email_h = hash_str(email);
        f.email_local_h = hash_str(email.split('@').next().unwrap_or(""));
    }
    f.email = email.into();
    let handles = usize::try_from(r.num()?).ok()?;
    let mut names: Vec<Box<str>> = Vec::with_capacity(handles.min(64));
    for _ in 0..handles {
        names.push(r.text()?.into());
    }
    f.handles = names.iter().map(|h| hash_str(h)).collect();
    f.handle_names = names.into_boxed_slice();
    let pnc = r.text()?;
    f.pnc_h = hash_str(pnc);
    f.pnc = pnc.into();
    let ni = r.text()?;
    f.ni_h = hash_str(ni);
    f.ni = ni.into();
    let nominal = r.text()?;
    f.force = u8::try_from(r.num()?).ok()?;
    f.nominal = nominal_key(f.force, nominal);
    f.nominal_id = nominal.into();
    if r.at != s.len() {
        return None;
    }
    f.identifying = f.has_identifiers();
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use conduct_domain::{Force, Involvement, Role};
    use conduct_resolve::normalise::{Nicknames, normalise};

    /// Every field, as `Features` prints it (it has no `PartialEq`): a field the codec dropped
    /// or computed differently shows.
    fn fields(f: &Features) -> String {
        format!("{f:?}")
    }

    #[allow(clippy::too_many_arguments)]
    fn row(
        force: u8,
        nominal: &str,
        forename: &str,
        middle: &str,
        surname: &str,
        date_of_birth: &str,
        sex: &str,
        address: &str,
        postcode: &str,
        phone: &str,
        email: &str,
        handles: &str,
        pnc: &str,
        ni: &str,
    ) -> Involvement {
        let force = Force::from_id(force).unwrap_or_else(|| Force::resolve("Kent").unwrap());
        let mut r = Involvement::new("R1", force, "I-1", Role::Victim);
        r.local_person_id = nominal.into();
        r.forename = forename.into();
        r.middle_names = middle.into();
        r.surname = surname.into();
        r.set_date_of_birth(date_of_birth);
        r.sex = sex.into();
        r.address = address.into();
        r.postcode = postcode.into();
        r.set_phone(phone);
        r.email = email.into();
        r.online_handles = handles.into();
        r.pnc_id = pnc.into();
        r.ni_number = ni.into();
        r
    }

    fn check(r: &Involvement, nick: &Nicknames) {
        let f = normalise(r, nick);
        let stored = encode(&f);
        let back = decode(&stored).unwrap_or_else(|| panic!("{stored:?} does not read back"));
        assert_eq!(fields(&back), fields(&f), "{stored:?}");
        // Stored again, the same text.
        assert_eq!(encode(&back), stored);
    }

    /// Hand-picked rows: nicknames (the group stored), placeholders, accents, UK and other
    /// postcodes, e-mails, handles with platforms, nominal ids, nothing identifying.
    #[test]
    fn stored_features_read_back_as_normalising_gives_them() {
        let nick = Nicknames::builtin();
        let rows = [
            row(
                1,
                "N123",
                "Bob",
                "James Alan",
                "O'Neil-Smith",
                "1984-11-02",
                "M",
                "12a High St",
                "ME1 2AB",
                "07700 900123",
                "Bob.Smith@Example.com",
                "twitter:@bob;insta:bob_s;@bob",
                "12/345678X",
                "QQ 12 34 56 C",
            ),
            row(2, "", "Zoë", "", "Ñúñez", "1990", "female", "Flat 3, 4 Rue de la Paix", "75002", "+33 1 23 45 67 89", "", "", "", ""),
            row(3, "  x  ", "Unknown", "", "N/K", "", "", "", "", "", "", "", "", ""),
            row(4, "", "", "", "", "1975-25-03", "x", "", "sw1a1aa", "", "not an email", ";;", "", ""),
            row(5, "", "Elizabeth", "", "Whitcombe", "0000-03-04", "F", "The Old House, Green Lane", "EC1A 1BB", "", "a@b", "", "", ""),
            row(6, "", "Rebrcca", "", "李", "", "", "1,2,3", "B33 8TH", "12345", "", "x:", "", ""),
        ];
        for r in &rows {
            check(r, &nick);
        }
    }

    /// Random rows, accents, punctuation and separators included.
    #[test]
    fn stored_features_agree_with_normalising_on_random_rows() {
        use proptest::prelude::*;
        let nick = Nicknames::builtin();
        let s = "[A-Za-z0-9 ÀéüßØ李'.,;:@=_\\-]{0,14}";
        let names = prop::sample::select(vec!["Bob", "Robert", "Liz", "Unknown", "Rebrcca", "Zoë", "", "Jo"]);
        // Dates of birth of every shape the reader takes (components kept even when they make
        // no real date; a zero is an absent component), and text that is none.
        let dob = prop_oneof![
            (0u16..2100, 0u8..40, 0u8..40).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
            (0u16..2100, 0u8..40).prop_map(|(y, m)| format!("{y:04}-{m:02}")),
            (0u16..2100).prop_map(|y| format!("{y:04}")),
            (0u16..2100, 0u8..40, 0u8..40).prop_map(|(y, m, d)| format!("{d:02}/{m:02}/{y:04}")),
            s.prop_map(String::from),
        ];
        let strat = (
            (0u8..50, s, prop_oneof![names.prop_map(String::from), s.prop_map(String::from)], s, s),
            (dob, s, s, prop_oneof![Just("ME1 2AB".to_string()), s.prop_map(String::from)]),
            (prop_oneof![Just("07700 900123".to_string()), s.prop_map(String::from)], s, s, s, s),
        );
        let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config { cases: 512, ..Default::default() });
        runner
            .run(
                &strat,
                |((force, nominal, forename, middle, surname), (dob, sex, address, postcode), (phone, email, handles, pnc, ni))| {
                    let r = row(
                        force, &nominal, &forename, &middle, &surname, &dob, &sex, &address, &postcode, &phone, &email, &handles, &pnc, &ni,
                    );
                    let f = normalise(&r, &nick);
                    let back = decode(&encode(&f));
                    prop_assert!(back.is_some());
                    prop_assert_eq!(fields(&back.unwrap()), fields(&f));
                    Ok(())
                },
            )
            .unwrap();
    }

    /// A text cut short, of another format or with a stray byte reads as absent, never as
    /// other features.
    #[test]
    fn damaged_or_foreign_texts_read_as_absent() {
        let nick = Nicknames::builtin();
        let r = row(1, "N1", "Bob", "", "Smith", "", "M", "1 High St", "ME1 2AB", "", "b@c.uk", "x:y", "", "");
        let stored = encode(&normalise(&r, &nick));
        for cut in 0..stored.len() {
            if stored.is_char_boundary(cut) {
                assert!(decode(&stored[..cut]).is_none(), "{:?}", &stored[..cut]);
            }
        }
        assert!(decode(&format!("{stored}0")).is_none());
        assert!(decode(&format!("2{}", &stored[1..])).is_none());
        assert!(decode("").is_none());
    }
}

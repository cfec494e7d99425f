//! True persons (the ground truth behind people rows): identities, address and phone
//! histories, look-alike relatives, and the noisy way each appearance is recorded.

use std::fmt::Write as _;

use crate::dates;
use crate::geo::World;
use crate::names::{self, Names};
use crate::rng::Rng;

/// "No such item" marker for compact u16/u32 indices.
pub(crate) const NONE16: u16 = u16::MAX;
/// "No such item" marker for u32 indices.
pub(crate) const NONE: u32 = u32::MAX;

/// A residential address, stored compactly and rendered when written.
#[derive(Clone, Copy)]
pub(crate) struct Address {
    /// Force area the address lies in.
    pub force: u8,
    town: u8,
    street: u16,
    number: u16,
    flat: u8,
    area: u8,
    district: u8,
    inward: u16,
}

/// One true person.
pub(crate) struct Person {
    /// 0 male, 1 female.
    pub sex: u8,
    /// Community group of the person's names.
    group: u8,
    forename: u16,
    middle: u16,
    /// Current surname index.
    pub surname: u16,
    /// Surname before a change (marriage), or NONE16.
    prior_surname: u16,
    surname_change: i32,
    /// Date of birth (days since epoch).
    pub dob: i32,
    /// Address history: (from day, address), oldest first.
    pub addresses: Vec<(i32, Address)>,
    phones: [(i32, u32); 2],
    email: u8,
    email_num: u16,
    handles: u8,
    handle_num: u16,
    pnc: u32,
    ni: u32,
}

/// Look-alike relationship counts, for the summary.
#[derive(Default, Clone, Copy)]
pub(crate) struct LookAlikes {
    pub twins: usize,
    pub father_son: usize,
    pub siblings: usize,
}

/// All true persons created so far, with the look-alikes still waiting to appear.
pub(crate) struct Population {
    /// Every true person; the index is the true person id.
    pub persons: Vec<Person>,
    /// Relatives created as look-alikes that have not yet appeared in an incident.
    pub pending: Vec<u32>,
    /// Pairs (a, b) of look-alikes, for tests and the summary.
    pub pairs: Vec<(u32, u32, u8)>,
    /// Counts of look-alike kinds.
    pub lookalikes: LookAlikes,
}

const INWARD_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";

impl Population {
    pub(crate) fn new() -> Population {
        Population { persons: Vec::new(), pending: Vec::new(), pairs: Vec::new(), lookalikes: LookAlikes::default() }
    }

    /// A new address in a force area.
    pub(crate) fn address(rng: &mut Rng, world: &World, names: &Names, force: u8) -> Address {
        let g = &world.forces[force as usize];
        let mut a = Address {
            force,
            town: rng.below(g.towns.len()) as u8,
            street: names.street(rng),
            number: (1 + rng.exp(40.0) as u16).min(400),
            flat: if rng.chance(0.12) { 1 + rng.below(30) as u8 } else { 0 },
            area: 0,
            district: 1 + rng.below(if g.areas.len() == 1 { 30 } else { 20 }) as u8,
            inward: rng.below(10 * 20 * 20) as u16,
        };
        // Postcode area follows the town (mostly), so town and postcode agree.
        a.area = if rng.chance(0.85) { (a.town as usize % g.areas.len()) as u8 } else { rng.below(g.areas.len()) as u8 };
        a
    }

    fn mobile(rng: &mut Rng) -> u32 {
        let first = *rng.pick(&[4u32, 5, 7, 7, 7, 8, 9]);
        first * 100_000_000 + rng.below(100_000_000) as u32
    }

    /// The address a person lives at on `day` (the latest one that started by then).
    pub(crate) fn address_at(p: &Person, day: i32) -> (usize, Address) {
        let i = p.addresses.iter().rposition(|(from, _)| *from <= day).unwrap_or(0);
        (i, p.addresses[i].1)
    }

    /// Creates a person living in `force` (a home force is drawn for BTP), aged plausibly on
    /// `day`. `sex` may be forced; `suspect` raises the chance of a PNC record.
    pub(crate) fn create(&mut self, rng: &mut Rng, (world, names): (&World, &Names), force: u8, day: i32, sex: u8, suspect: bool) -> u32 {
        let home = if force == world.btp || rng.chance(0.03) { world.home_force(rng) } else { force };
        let age_years = 14.0 + rng.exp(18.0).min(60.0) + rng.f() * 6.0;
        let mut dob = day - (age_years * 365.25) as i32;
        if dob < dates::DOB_MIN {
            // Too old for the data's birth range: spread over its first years instead of piling
            // up on one date.
            dob = dates::DOB_MIN + rng.range(0, 8 * 365) as i32;
        }
        let dob = dob.min(dates::DOB_MAX.min(day - 12 * 365));
        let mut addresses = vec![(dates::START - 3000, Population::address(rng, world, names, home))];
        if rng.chance(0.25) {
            let move_day = rng.range(i64::from(dates::START), i64::from(dates::END)) as i32;
            let to = if rng.chance(0.15) { world.home_force(rng) } else { home };
            addresses.push((move_day, Population::address(rng, world, names, to)));
        }
        let phone1 = Population::mobile(rng);
        let phones = if rng.chance(0.3) {
            [(dates::START - 3000, phone1), (rng.range(i64::from(dates::START), i64::from(dates::END)) as i32, Population::mobile(rng))]
        } else {
            [(dates::START - 3000, phone1), (i32::MAX, phone1)]
        };
        let group = names.group(rng);
        let (prior_surname, surname_change) = if sex == 1 && rng.chance(0.08) {
            (names.surname(rng, group), rng.range(i64::from(dates::START), i64::from(dates::END)) as i32)
        } else {
            (NONE16, i32::MAX)
        };
        let person = Person {
            sex,
            group,
            forename: names.forename(rng, sex, group),
            middle: if rng.chance(0.5) { names.middle(rng, sex) } else { NONE16 },
            surname: names.surname(rng, group),
            prior_surname,
            surname_change,
            dob,
            addresses,
            phones,
            email: if rng.chance(0.6) { 1 + rng.below(5) as u8 } else { 0 },
            email_num: rng.below(100) as u16,
            handles: if rng.chance(0.45) { 1 + rng.below(3) as u8 } else { 0 },
            handle_num: rng.below(2000) as u16,
            pnc: if rng.chance(if suspect { 0.65 } else { 0.08 }) { 1 + rng.below(999_999) as u32 } else { 0 },
            ni: if rng.chance(0.5) { rng.below(u32::MAX as usize) as u32 } else { 0 },
        };
        self.persons.push(person);
        (self.persons.len() - 1) as u32
    }

    /// With small probability, creates a look-alike relative of `id` (twin, father/son with the
    /// same name, or sibling) at the same address, queued to appear in a later incident.
    pub(crate) fn maybe_relative(&mut self, rng: &mut Rng, world: &World, names: &Names, id: u32) {
        let x = rng.f();
        let kind = if x < 0.010 {
            0
        } else if x < 0.018 {
            1
        } else if x < 0.028 {
            2
        } else {
            return;
        };
        let base = &self.persons[id as usize];
        let group = base.group;
        let mut rel = Person {
            sex: base.sex,
            group,
            forename: base.forename,
            middle: NONE16,
            surname: base.surname,
            prior_surname: NONE16,
            surname_change: i32::MAX,
            dob: base.dob,
            addresses: base.addresses.clone(),
            phones: [(dates::START - 3000, Population::mobile(rng)), (i32::MAX, 0)],
            email: if rng.chance(0.5) { 1 + rng.below(5) as u8 } else { 0 },
            email_num: rng.below(100) as u16,
            handles: if rng.chance(0.4) { 1 + rng.below(3) as u8 } else { 0 },
            handle_num: rng.below(2000) as u16,
            pnc: if rng.chance(0.2) { 1 + rng.below(999_999) as u32 } else { 0 },
            ni: if rng.chance(0.5) { rng.below(u32::MAX as usize) as u32 } else { 0 },
        };
        rel.phones[1].1 = rel.phones[0].1;
        match kind {
            0 => {
                // Twin: same surname, DOB and address; a different forename, sometimes one
                // letter apart (e.g. Jon/John is left to chance through the forename table).
                rel.sex = if rng.chance(0.6) { base.sex } else { 1 - base.sex };
                let near = if rel.sex == base.sex && rng.chance(0.3) { names.one_letter_apart(base.sex, base.forename) } else { None };
                let mut f = near.unwrap_or_else(|| names.forename(rng, rel.sex, group));
                if f == base.forename {
                    f = (f + 1) % (if rel.sex == 0 { names.male.len() } else { names.female.len() }) as u16;
                }
                rel.forename = f;
                self.lookalikes.twins += 1;
            }
            1 => {
                // Father or son with the identical name at the same address, 25–35 years apart.
                let gap = rng.range(25 * 365, 35 * 365) as i32;
                rel.sex = 0;
                rel.forename = if base.sex == 0 { base.forename } else { names.forename(rng, 0, group) };
                let older = base.dob - gap >= dates::DOB_MIN;
                rel.dob = if older { base.dob - gap } else { (base.dob + gap).min(dates::DOB_MAX) };
                rel.middle = if rng.chance(0.5) { names.middle(rng, 0) } else { NONE16 };
                self.lookalikes.father_son += 1;
            }
            _ => {
                rel.sex = if rng.chance(0.5) { 0 } else { 1 };
                rel.forename = names.forename(rng, rel.sex, group);
                let gap = rng.range(365, 9 * 365) as i32;
                rel.dob =
                    if rng.chance(0.5) && base.dob - gap >= dates::DOB_MIN { base.dob - gap } else { (base.dob + gap).min(dates::DOB_MAX) };
                self.lookalikes.siblings += 1;
            }
        }
        let _ = world;
        self.persons.push(rel);
        let rid = (self.persons.len() - 1) as u32;
        self.pending.push(rid);
        self.pairs.push((id, rid, kind));
    }

    /// Moves a person to a new address in `force` from `day` (keeps earlier history).
    pub(crate) fn move_to(&mut self, rng: &mut Rng, world: &World, names: &Names, id: u32, force: u8, day: i32) {
        let a = Population::address(rng, world, names, force);
        let p = &mut self.persons[id as usize];
        p.addresses.retain(|(from, _)| *from < day);
        if p.addresses.is_empty() {
            p.addresses.push((dates::START - 3000, a));
        } else {
            p.addresses.push((day, a));
        }
    }
}

/// A people row's fields, rendered into reusable buffers.
#[derive(Default)]
pub(crate) struct RowBuf {
    pub forename: String,
    pub middle: String,
    pub surname: String,
    pub dob: String,
    pub sex: &'static str,
    pub address: String,
    pub postcode: String,
    pub phone: String,
    pub email: String,
    pub handles: String,
    pub pnc: String,
    pub ni: String,
    tmp: String,
}

/// What a recorded appearance is about, which shapes how completely it is recorded.
pub(crate) struct Appearance {
    pub day: i32,
    /// 0 victim, 1 suspect, 2 witness, 3 other.
    pub role: u8,
    pub cyber: bool,
}

fn case_noise(s: &mut String, mode: u8) {
    match mode {
        1 => *s = s.to_uppercase(),
        2 => *s = s.to_lowercase(),
        _ => {}
    }
}

const PLATFORMS: &[&str] = &["instagram", "snapchat", "facebook", "tiktok", "x", "whatsapp", "telegram"];
const EMAIL_DOMAINS: &[&str] = &["example.com", "example.org", "example.net", "mail.example.com", "post.example.org"];

/// Renders one appearance of `p` with realistic, occasional noise.
pub(crate) fn render(rng: &mut Rng, world: &World, names: &Names, p: &Person, a: &Appearance, out: &mut RowBuf) {
    let suspect = a.role == 1;
    let witness = a.role >= 2;
    // Names.
    out.forename.clear();
    out.middle.clear();
    out.surname.clear();
    let fore = names.forename_str(p.sex, p.forename);
    let x = rng.f();
    if x < 0.015 {
        // missing forename
    } else if x < 0.045 {
        out.forename.push_str(&fore[..fore.chars().next().map_or(0, char::len_utf8)]);
        if rng.chance(0.3) {
            out.forename.push('.');
        }
    } else if x < 0.115 && !names.nicknames(p.sex, p.forename).is_empty() {
        let nicks = names.nicknames(p.sex, p.forename);
        out.forename.push_str(&nicks[rng.below(nicks.len())]);
    } else if x < 0.145 {
        names::typo(rng, fore, &mut out.forename);
    } else {
        out.forename.push_str(fore);
    }
    if p.middle != NONE16 && rng.chance(0.4) {
        let m = names.forename_str(p.sex, p.middle);
        if rng.chance(0.25) {
            out.middle.push_str(&m[..1]);
        } else {
            out.middle.push_str(m);
        }
    }
    let sur = if p.prior_surname != NONE16 && a.day < p.surname_change { p.prior_surname } else { p.surname };
    let sur = names.surnames[sur as usize].as_str();
    let y = rng.f();
    if y < 0.01 {
        // missing surname
    } else if y < 0.04 {
        names::typo(rng, sur, &mut out.surname);
    } else if y < 0.10 && !sur.is_ascii() {
        names::strip_diacritics(sur, &mut out.surname);
    } else {
        out.surname.push_str(sur);
    }
    if rng.chance(0.015) {
        std::mem::swap(&mut out.forename, &mut out.surname);
    }
    let case = if rng.chance(0.06) {
        1
    } else if rng.chance(0.015) {
        2
    } else {
        0
    };
    case_noise(&mut out.forename, case);
    case_noise(&mut out.middle, case);
    case_noise(&mut out.surname, case);

    // Date of birth.
    out.dob.clear();
    let missing = if suspect {
        0.16
    } else if witness {
        0.25
    } else {
        0.07
    };
    let z = rng.f();
    if z >= missing {
        let d = conduct_domain::Date::from_days_since_epoch(p.dob);
        let (mut yy, mut mm, mut dd) = (d.year(), d.month(), d.day());
        let w = rng.f();
        let mut partial = 0;
        if w < 0.015 {
            if dd <= 12 && dd != mm {
                std::mem::swap(&mut mm, &mut dd);
            } else {
                yy += 1;
            }
        } else if w < 0.025 {
            yy += if rng.chance(0.5) { 1 } else { -1 };
        } else if w < 0.035 {
            // one digit wrong (last digit of the day, kept valid)
            let nd = (dd / 10) * 10 + rng.below(10) as u32;
            if (1..=28).contains(&nd) {
                dd = nd;
            }
        } else if w < 0.045 {
            partial = if rng.chance(0.5) { 1 } else { 2 };
        }
        match partial {
            1 => write!(out.dob, "{yy:04}").unwrap(),
            2 => write!(out.dob, "{yy:04}-{mm:02}").unwrap(),
            _ => write!(out.dob, "{yy:04}-{mm:02}-{dd:02}").unwrap(),
        }
    }

    // Sex.
    let s = rng.f();
    out.sex = if s < 0.05 {
        ""
    } else if s < 0.08 {
        [["Male", "Female"], ["male", "female"], ["MALE", "FEMALE"]][rng.below(3)][p.sex as usize]
    } else if p.sex == 0 {
        "M"
    } else {
        "F"
    };

    // Address and postcode.
    out.address.clear();
    out.postcode.clear();
    let missing = if suspect {
        0.2
    } else if witness {
        0.12
    } else {
        0.05
    };
    if !rng.chance(missing) {
        let (mut i, _) = Population::address_at(p, a.day);
        if i > 0 && rng.chance(0.08) {
            i -= 1; // stale address still on file
        }
        let addr = p.addresses[i].1;
        let g = &world.forces[addr.force as usize];
        if addr.flat > 0 {
            write!(out.address, "Flat {}, ", addr.flat).unwrap();
        }
        write!(out.address, "{} ", addr.number).unwrap();
        let street = names.streets[addr.street as usize];
        if rng.chance(0.1) {
            out.address.push_str(&street.replace(" Road", " Rd").replace(" Street", " St").replace(" Lane", " Ln"));
        } else {
            out.address.push_str(street);
        }
        if !rng.chance(0.05) {
            out.address.push_str(", ");
            out.address.push_str(&g.towns[addr.town as usize % g.towns.len()]);
        }
        if rng.chance(0.03) {
            out.address.make_ascii_uppercase();
        }
        if !rng.chance(0.08) {
            let area = &g.areas[addr.area as usize % g.areas.len()];
            let sector = addr.inward / 400;
            let l1 = INWARD_LETTERS[(addr.inward / 20 % 20) as usize] as char;
            let l2 = INWARD_LETTERS[(addr.inward % 20) as usize] as char;
            let sep = if rng.chance(0.05) { "" } else { " " };
            write!(out.postcode, "{area}{}{sep}{sector}{l1}{l2}", addr.district).unwrap();
            if rng.chance(0.03) {
                out.postcode.make_ascii_lowercase();
            }
        }
    }

    // Phone.
    out.phone.clear();
    let show = if suspect {
        0.4
    } else if witness {
        0.45
    } else {
        0.6
    };
    if rng.chance(show) {
        let mut n = if a.day >= p.phones[1].0 { p.phones[1].1 } else { p.phones[0].1 };
        if rng.chance(0.06) {
            n = if n == p.phones[0].1 { p.phones[1].1 } else { p.phones[0].1 };
        }
        let (a4, b6) = (n / 1_000_000, n % 1_000_000);
        match rng.below(10) {
            0..=3 => write!(out.phone, "07{a4:03} {b6:06}"),
            4 | 5 => write!(out.phone, "07{n:09}"),
            6 => write!(out.phone, "+44 7{a4:03} {b6:06}"),
            7 => write!(out.phone, "+447{n:09}"),
            8 => write!(out.phone, "07{a4:03}-{:03}-{:03}", b6 / 1000, b6 % 1000),
            _ => write!(out.phone, "(07{a4:03}) {b6:06}"),
        }
        .unwrap();
    }

    // Email and online handles.
    out.email.clear();
    out.handles.clear();
    out.tmp.clear();
    names::slug(names.forename_str(p.sex, p.forename), &mut out.tmp);
    let fore_slug_len = out.tmp.len();
    names::slug(&names.surnames[p.surname as usize], &mut out.tmp);
    let (fs, ss) = out.tmp.split_at(fore_slug_len);
    if p.email > 0 && rng.chance(if a.cyber { 0.55 } else { 0.35 }) {
        let dom = EMAIL_DOMAINS[(p.email as usize - 1) % EMAIL_DOMAINS.len()];
        match p.email % 3 {
            0 => write!(out.email, "{fs}.{ss}{}@{dom}", p.email_num),
            1 => write!(out.email, "{}{ss}{}@{dom}", &fs[..1.min(fs.len())], p.email_num),
            _ => write!(out.email, "{ss}.{fs}@{dom}"),
        }
        .unwrap();
        if rng.chance(0.05) {
            out.email.make_ascii_uppercase();
        }
    }
    if p.handles > 0 && rng.chance(if a.cyber { 0.7 } else { 0.2 }) {
        let shown = 1 + rng.below(p.handles as usize);
        for k in 0..shown {
            if k > 0 {
                out.handles.push(';');
            }
            let plat = PLATFORMS[(p.handle_num as usize + k * 3) % PLATFORMS.len()];
            let bare = rng.chance(0.15);
            if !bare {
                write!(out.handles, "{plat}:").unwrap();
            }
            let num = p.handle_num % 100;
            match (p.handle_num as usize / 100 + k) % 4 {
                0 => write!(out.handles, "{}{ss}{num}", &fs[..1.min(fs.len())]),
                1 => write!(out.handles, "{fs}_{ss}{num}"),
                2 => write!(out.handles, "{ss}y_{num}"),
                _ => write!(out.handles, "{fs}{ss}"),
            }
            .unwrap();
        }
    }

    // National identifiers.
    out.pnc.clear();
    out.ni.clear();
    if p.pnc > 0 && rng.chance(if suspect { 0.75 } else { 0.2 }) {
        let yy = (p.pnc % 40 + 85) % 100;
        let check = (b'A' + ((p.pnc * 7 + yy) % 23) as u8) as char;
        write!(out.pnc, "{yy:02}/{:06}{check}", p.pnc % 1_000_000).unwrap();
    }
    if p.ni > 0 && rng.chance(0.18) {
        const FIRST: &[u8] = b"ABCEGHJKLMNOPRSTWXYZ";
        const SECOND: &[u8] = b"ABCEGHJKLMNPRSTWXYZ";
        let v = p.ni;
        write!(
            out.ni,
            "{}{}{:06}{}",
            FIRST[(v % 20) as usize] as char,
            SECOND[(v / 20 % 19) as usize] as char,
            v / 400 % 1_000_000,
            (b'A' + (v % 4) as u8) as char
        )
        .unwrap();
    }
}

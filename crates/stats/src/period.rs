//! Financial quarters and the year-long periods the Home Office reports on: a financial year
//! ("2022/23", April to March), a calendar year ("calendar year 2023"), or the year to the end
//! of any quarter ("year to September 2023" = quarters 3 and 4 of 2022/23 and 1 and 2 of
//! 2023/24). Every period is four consecutive financial quarters; only its name differs.
//!
//! Quarter arithmetic is total: any quarter can be named, shifted and compared without
//! overflow or panic (a comparison period far in the past simply holds no data). What a user
//! may ask for is narrower: a period read from text ([`Period::parse`]) or given by year must
//! lie within the calendar years [`FIRST_YEAR`]–[`LAST_YEAR`], the dates Conduct can hold;
//! anything else is a [`ErrorKind::PeriodOutOfRange`] error that states the range.

use std::fmt;

use conduct_domain::Date;
use conduct_domain::date::days_in_month;

use crate::error::{Error, ErrorKind};

const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/// The first calendar year a period may cover (the first year a [`Date`] can hold).
pub const FIRST_YEAR: i32 = 1000;
/// The last calendar year a period may cover (the last year a [`Date`] can hold).
pub const LAST_YEAR: i32 = 9999;

/// The supported range in words, for error messages.
pub const SUPPORTED_RANGE: &str = "periods must lie within the years 1000 to 9999: financial years 1000/01 to \
     9998/99, calendar years 1000 to 9999, years to the end of a quarter from December 1000 to December 9999";

/// A Home Office financial quarter: quarter 1 is April–June, 4 is January–March of the next
/// calendar year. Its year is the first calendar year of the financial year (2022 for 2022/23).
/// Held as a running number of quarters, so any quarter can be represented and shifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FinancialQuarter {
    index: i32,
}

impl FinancialQuarter {
    /// The earliest quarter whose days are all dates Conduct can hold: 999/00 Q4
    /// (January–March 1000).
    pub const FIRST: FinancialQuarter = FinancialQuarter { index: (FIRST_YEAR - 1) * 4 + 3 };
    /// The latest such quarter: 9999/00 Q3 (October–December 9999).
    pub const LAST: FinancialQuarter = FinancialQuarter { index: LAST_YEAR * 4 + 2 };

    /// The quarter `quarter` (1–4) of the financial year starting in April of `year`, if it
    /// lies within [`FinancialQuarter::FIRST`]..=[`FinancialQuarter::LAST`].
    pub fn new(year: i32, quarter: u32) -> Option<FinancialQuarter> {
        if !(1..=4).contains(&quarter) || !(FIRST_YEAR - 1..=LAST_YEAR).contains(&year) {
            return None;
        }
        let q = FinancialQuarter { index: year * 4 + quarter as i32 - 1 };
        (FinancialQuarter::FIRST..=FinancialQuarter::LAST).contains(&q).then_some(q)
    }

    /// The financial quarter a date falls in.
    pub fn of(date: Date) -> FinancialQuarter {
        let (y, q) = date.financial_year_quarter();
        FinancialQuarter { index: y * 4 + q as i32 - 1 }
    }

    /// The first calendar year of the financial year (2022 for 2022/23).
    pub fn year(self) -> i32 {
        self.index.div_euclid(4)
    }

    /// The quarter, 1–4.
    pub fn quarter(self) -> u32 {
        self.index.rem_euclid(4) as u32 + 1
    }

    /// The financial year as published: `2022/23`.
    pub fn financial_year_label(self) -> String {
        financial_year_label(self.year())
    }

    /// A running number of quarters, for arithmetic.
    pub fn index(self) -> i32 {
        self.index
    }

    /// The quarter with a running number from [`FinancialQuarter::index`].
    pub fn from_index(i: i32) -> FinancialQuarter {
        FinancialQuarter { index: i }
    }

    /// The quarter `n` quarters later (earlier when negative), stopping at the ends of the
    /// running number rather than overflowing.
    pub fn shifted(self, n: i32) -> FinancialQuarter {
        FinancialQuarter { index: self.index.saturating_add(n) }
    }

    /// Whether every day of the quarter is a date Conduct can hold.
    pub fn is_supported(self) -> bool {
        (FinancialQuarter::FIRST..=FinancialQuarter::LAST).contains(&self)
    }

    /// The calendar year and month (1–12) the quarter starts in.
    pub fn first_month(self) -> (i32, u32) {
        match self.quarter() {
            4 => (self.year() + 1, 1),
            q => (self.year(), 3 * q + 1),
        }
    }

    /// The calendar year and month the quarter ends in.
    pub fn last_month(self) -> (i32, u32) {
        let (y, m) = self.first_month();
        (y, m + 2)
    }

    /// The first day of the quarter, if it is a date Conduct can hold.
    pub fn first_day(self) -> Option<Date> {
        let (y, m) = self.first_month();
        Date::new(y, m, 1)
    }

    /// The last day of the quarter, if it is a date Conduct can hold.
    pub fn last_day(self) -> Option<Date> {
        let (y, m) = self.last_month();
        Date::new(y, m, days_in_month(y, m))
    }

    /// Days in the quarter (counted on the proleptic Gregorian calendar, for any year).
    pub fn days(self) -> u32 {
        let (y, m) = self.first_month();
        (m..m + 3).map(|m| days_in_month(y, m)).sum()
    }

    /// A short label for charts: `2022/23 Q3`.
    pub fn label(self) -> String {
        format!("{} Q{}", self.financial_year_label(), self.quarter())
    }
}

impl fmt::Display for FinancialQuarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// `2022` → `2022/23`.
pub fn financial_year_label(year: i32) -> String {
    format!("{year}/{:02}", (year.rem_euclid(100) + 1) % 100)
}

/// Reads a published financial year: `2022/23`, `2022-23`, `2022/2023`, `FY 2022/23`;
/// returns its first calendar year. (Any four-digit year is read; whether the year is one a
/// period may cover is [`Period::check`]'s question.)
pub fn parse_financial_year(s: &str) -> Option<i32> {
    let t = s.trim().trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == ' ');
    let (a, b) = t.split_once(['/', '-', '–'])?;
    let (a, b) = (a.trim(), b.trim());
    if a.len() != 4 || !a.bytes().all(|c| c.is_ascii_digit()) || !b.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let y: i32 = a.parse().ok()?;
    let next: i32 = b.parse().ok()?;
    let ok = match b.len() {
        2 => next == (y + 1).rem_euclid(100),
        4 => next == y + 1,
        _ => false,
    };
    ok.then_some(y)
}

/// Reads a year written as digits with an optional minus sign, however many digits: a number
/// too large for an `i32` comes back as `i32::MAX` (or `MIN`), which is out of range anyway.
fn parse_year(s: &str) -> Option<i32> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let negative = digits.len() < s.len();
    Some(s.parse::<i32>().unwrap_or(if negative { i32::MIN } else { i32::MAX }))
}

/// The quarter `quarter` (1–4) of the financial year `year`, for any year (the running number
/// stops at the ends of `i32`).
fn any_quarter(year: i32, quarter: u32) -> FinancialQuarter {
    let i = i64::from(year) * 4 + i64::from(quarter) - 1;
    FinancialQuarter::from_index(i.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

/// Reads a published financial quarter: `3`, `Q3`, `Quarter 3`, `3.0`.
pub fn parse_quarter(s: &str) -> Option<u32> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.trim_start_matches("quarter").trim_start_matches('q').trim();
    let t = t.strip_suffix(".0").unwrap_or(t);
    t.parse::<u32>().ok().filter(|q| (1..=4).contains(q))
}

/// How a period is named; every kind is four consecutive quarters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    /// April to March: "2022/23".
    FinancialYear,
    /// January to December: "calendar year 2023".
    CalendarYear,
    /// The twelve months to the end of a quarter: "the year to September 2023".
    YearTo,
}

/// Four consecutive financial quarters, named as the reports name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    end: FinancialQuarter,
    kind: PeriodKind,
}

impl Period {
    /// The financial year starting in April of `year` (any year; see [`Period::check`]).
    pub fn financial_year(year: i32) -> Period {
        Period { end: any_quarter(year, 4), kind: PeriodKind::FinancialYear }
    }

    /// The calendar year `year` (quarter 4 of the financial year before, then 1–3; any year,
    /// see [`Period::check`]).
    pub fn calendar_year(year: i32) -> Period {
        Period { end: any_quarter(year, 3), kind: PeriodKind::CalendarYear }
    }

    /// The year to the end of the quarter `end`.
    pub fn year_to(end: FinancialQuarter) -> Period {
        Period { end, kind: PeriodKind::YearTo }
    }

    /// Reads "year to September 2023" (also "year ending Sep 2023", "12 months to…"), "2022/23"
    /// or "financial year 2022/23", and "calendar year 2023" or "2023". Never panics, whatever
    /// the text.
    ///
    /// # Errors
    ///
    /// Text that names no period is [`ErrorKind::BadPeriod`]; a period outside the years
    /// [`FIRST_YEAR`]–[`LAST_YEAR`] is [`ErrorKind::PeriodOutOfRange`].
    pub fn parse(s: &str) -> Result<Period, Error> {
        let bad = || Error::new(ErrorKind::BadPeriod(s.to_string()));
        let t = s.trim().to_ascii_lowercase().replace(['_', ','], " ");
        let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
        let t = t.strip_prefix("the ").unwrap_or(&t);
        for prefix in ["year to ", "year ending ", "year ended ", "12 months to ", "12 months ending ", "ye "] {
            if let Some(rest) = t.strip_prefix(prefix) {
                let (month, year) = rest.split_once(' ').ok_or_else(bad)?;
                let m = MONTHS
                    .iter()
                    .position(|name| {
                        let name = name.to_ascii_lowercase();
                        month.len() >= 3 && name.starts_with(month)
                    })
                    .ok_or_else(bad)? as u32
                    + 1;
                if m % 3 != 0 {
                    return Err(bad());
                }
                let y = parse_year(year.trim()).ok_or_else(bad)?;
                // March ends quarter 4 of the financial year before; June, September and
                // December end quarters 1–3 of the year's own.
                let end = if m == 3 { any_quarter(y.saturating_sub(1), 4) } else { any_quarter(y, m / 3 - 1) };
                return Period::year_to(end).within_range(s);
            }
        }
        let t = t.strip_prefix("financial year ").or_else(|| t.strip_prefix("fy ")).map_or(t, |r| r);
        if let Some(y) = parse_financial_year(t) {
            return Period::financial_year(y).within_range(s);
        }
        let t = t.strip_prefix("calendar year ").unwrap_or(t);
        match parse_year(t) {
            Some(y) => Period::calendar_year(y).within_range(s),
            None => Err(bad()),
        }
    }

    /// The period itself when every day of it is a date Conduct can hold (years
    /// [`FIRST_YEAR`]–[`LAST_YEAR`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PeriodOutOfRange`], stating the supported range, when it is not.
    pub fn check(self) -> Result<Period, Error> {
        self.within_range(&self.to_string())
    }

    fn within_range(self, asked: &str) -> Result<Period, Error> {
        if self.start().is_supported() && self.end.is_supported() {
            Ok(self)
        } else {
            Err(Error::new(ErrorKind::PeriodOutOfRange(asked.to_string())))
        }
    }

    /// The last quarter of the period.
    pub fn end(self) -> FinancialQuarter {
        self.end
    }

    /// The first quarter of the period.
    pub fn start(self) -> FinancialQuarter {
        self.end.shifted(-3)
    }

    /// How the period is named.
    pub fn kind(self) -> PeriodKind {
        self.kind
    }

    /// The four quarters, earliest first.
    pub fn quarters(self) -> [FinancialQuarter; 4] {
        [self.end.shifted(-3), self.end.shifted(-2), self.end.shifted(-1), self.end]
    }

    /// Whether a quarter is one of the four.
    pub fn contains(self, q: FinancialQuarter) -> bool {
        let d = i64::from(self.end.index()) - i64::from(q.index());
        (0..4).contains(&d)
    }

    /// The same period `k` years earlier (named the same way). Any `k` may be asked for: a
    /// period before the supported years holds no data, and quarters stop at the ends of their
    /// running number rather than overflow.
    pub fn earlier(self, k: u32) -> Period {
        let back = i32::try_from(k).ok().and_then(|k| k.checked_mul(-4)).unwrap_or(i32::MIN);
        Period { end: self.end.shifted(back), kind: self.kind }
    }

    /// The first day, if it is a date Conduct can hold (always, for a checked period).
    pub fn first_day(self) -> Option<Date> {
        self.start().first_day()
    }

    /// The last day, if it is a date Conduct can hold (always, for a checked period).
    pub fn last_day(self) -> Option<Date> {
        self.end.last_day()
    }

    /// Days in the period: 365, or 366 when it holds a 29 February.
    pub fn days(self) -> u32 {
        self.quarters().iter().map(|q| q.days()).sum()
    }

    /// The name with its article, for running text: "the year to September 2023", "2022/23",
    /// "calendar year 2023".
    pub fn in_words(self) -> String {
        match self.kind {
            PeriodKind::YearTo => format!("the {self}"),
            _ => self.to_string(),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            PeriodKind::FinancialYear => f.write_str(&self.end.financial_year_label()),
            PeriodKind::CalendarYear => write!(f, "calendar year {}", self.end.last_month().0),
            PeriodKind::YearTo => {
                let (y, m) = self.end.last_month();
                write!(f, "year to {} {y}", MONTHS[m as usize - 1])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn year_to_september_2023_is_q3_q4_of_2022_23_and_q1_q2_of_2023_24() {
        let p = Period::parse("year to September 2023").unwrap();
        let q: Vec<(i32, u32)> = p.quarters().iter().map(|q| (q.year(), q.quarter())).collect();
        assert_eq!(q, [(2022, 3), (2022, 4), (2023, 1), (2023, 2)]);
        assert_eq!(p.days(), 365);
        assert_eq!(p.first_day().unwrap().to_string(), "2022-10-01");
        assert_eq!(p.last_day().unwrap().to_string(), "2023-09-30");
        assert_eq!(p.to_string(), "year to September 2023");
        assert_eq!(p.earlier(1).to_string(), "year to September 2022");
        assert_eq!(p.earlier(9).to_string(), "year to September 2014");
        assert_eq!(Period::parse("Year ending Sep 2023").unwrap(), p);
        assert_eq!(Period::parse("the 12 months to september 2023").unwrap(), p);
    }

    #[test]
    fn financial_and_calendar_years() {
        let fy = Period::parse("2022/23").unwrap();
        assert_eq!(fy.first_day().unwrap().to_string(), "2022-04-01");
        assert_eq!(fy.last_day().unwrap().to_string(), "2023-03-31");
        assert_eq!(fy.to_string(), "2022/23");
        assert_eq!(Period::parse("financial year 2022-2023").unwrap(), fy);
        let cy = Period::parse("calendar year 2024").unwrap();
        assert_eq!(cy.first_day().unwrap().to_string(), "2024-01-01");
        assert_eq!(cy.last_day().unwrap().to_string(), "2024-12-31");
        assert_eq!(cy.days(), 366);
        assert_eq!(Period::parse("2024").unwrap(), cy);
        assert_eq!(Period::parse("2019/20").unwrap().days(), 366);
    }

    #[test]
    fn bad_periods_are_errors() {
        for s in ["", "year to August 2023", "2022/24", "next year", "year to Smarch 2023"] {
            assert!(matches!(Period::parse(s).unwrap_err().kind(), ErrorKind::BadPeriod(_)), "{s}");
        }
    }

    #[test]
    fn quarters_read_and_count() {
        assert_eq!(parse_financial_year("2022/23"), Some(2022));
        assert_eq!(parse_financial_year("1999/00"), Some(1999));
        assert_eq!(parse_financial_year("FY 2022-23"), Some(2022));
        assert_eq!(parse_financial_year("2022/25"), None);
        assert_eq!(parse_quarter("Q3"), Some(3));
        assert_eq!(parse_quarter("Quarter 4"), Some(4));
        assert_eq!(parse_quarter("5"), None);
        let q = FinancialQuarter::new(2022, 4).unwrap();
        assert_eq!(q.first_day().unwrap().to_string(), "2023-01-01");
        assert_eq!(q.days(), 90);
        assert_eq!(q.shifted(1), FinancialQuarter::new(2023, 1).unwrap());
        assert_eq!(FinancialQuarter::of(Date::parse("2022-12-31").unwrap()), FinancialQuarter::new(2022, 3).unwrap());
    }

    #[test]
    fn periods_outside_the_dates_we_hold_are_errors_that_state_the_range() {
        for s in [
            "9999/00",
            "0000/01",
            "year to March 1000",
            "year to September 1000",
            "calendar year 0999",
            "calendar year 10000",
            "year to March 10000",
            "year to December 99999999999999999999",
            "year to June -5",
            "-2023",
        ] {
            let e = Period::parse(s).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::PeriodOutOfRange(_)), "{s}: {e}");
            assert!(e.to_string().contains("1000 to 9999"), "{s}: {e}");
        }
        // The edges that are inside.
        for (s, first, last) in [
            ("1000/01", "1000-04-01", "1001-03-31"),
            ("9998/99", "9998-04-01", "9999-03-31"),
            ("calendar year 1000", "1000-01-01", "1000-12-31"),
            ("calendar year 9999", "9999-01-01", "9999-12-31"),
            ("year to December 1000", "1000-01-01", "1000-12-31"),
            ("year to March 1001", "1000-04-01", "1001-03-31"),
            ("year to December 9999", "9999-01-01", "9999-12-31"),
        ] {
            let p = Period::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.first_day().unwrap().to_string(), first, "{s}");
            assert_eq!(p.last_day().unwrap().to_string(), last, "{s}");
        }
        assert_eq!(FinancialQuarter::FIRST.first_day().unwrap().to_string(), "1000-01-01");
        assert_eq!(FinancialQuarter::LAST.last_day().unwrap().to_string(), "9999-12-31");
        assert_eq!(FinancialQuarter::FIRST.shifted(-1).first_day(), None);
        assert_eq!(FinancialQuarter::LAST.shifted(1).last_day(), None);
        assert_eq!(FinancialQuarter::new(999, 3), None);
        assert_eq!(FinancialQuarter::new(9999, 4), None);
        assert_eq!(FinancialQuarter::new(999, 4), Some(FinancialQuarter::FIRST));
        assert_eq!(FinancialQuarter::of(Date::parse("9999-12-31").unwrap()), FinancialQuarter::LAST);
        assert!(Period::financial_year(9999).check().is_err());
        assert!(Period::financial_year(1000).check().is_ok());
    }

    #[test]
    fn arithmetic_far_from_the_supported_years_neither_panics_nor_wraps() {
        let p = Period::parse("year to March 1001").unwrap();
        for k in [1, 2, 9, 1000, 100_000, u32::from(u16::MAX), i32::MAX as u32, u32::MAX] {
            let e = p.earlier(k);
            assert!(e.end() < p.end(), "{k}");
            assert_eq!(e.first_day(), None, "{k}");
            let _ = (e.to_string(), e.in_words(), e.days(), e.quarters(), e.contains(p.end()), e.check().is_err());
        }
        let lo = FinancialQuarter::from_index(i32::MIN);
        let hi = FinancialQuarter::from_index(i32::MAX);
        assert_eq!(lo.shifted(-1), lo);
        assert_eq!(hi.shifted(1), hi);
        for q in [lo, hi] {
            let p = Period::year_to(q);
            let _ = (q.label(), q.days(), q.first_month(), q.last_month(), p.to_string(), p.days(), p.contains(lo), p.contains(hi));
        }
        for y in [i32::MIN, -1, 0, i32::MAX] {
            let _ = (Period::financial_year(y).to_string(), Period::calendar_year(y).days(), financial_year_label(y));
        }
    }

    /// Every textual form of a period, for every year from -99999 to 99999: each reads to a
    /// period inside the supported years or to an error; none panics. A period that reads
    /// names itself the same way again, and every method on it answers.
    #[test]
    fn every_year_in_every_form_reads_or_is_refused_without_panicking() {
        let forms: [fn(i32) -> String; 10] = [
            |y| format!("{y}/{:02}", (y + 1).rem_euclid(100)),
            |y| format!("{y}-{}", y + 1),
            |y| format!("financial year {y:04}/{:02}", (y + 1).rem_euclid(100)),
            |y| format!("calendar year {y}"),
            |y| format!("{y:04}"),
            |y| format!("year to March {y}"),
            |y| format!("year to June {y}"),
            |y| format!("year ending Sep {y}"),
            |y| format!("the 12 months to December {y}"),
            |y| format!("year to August {y}"),
        ];
        let mut read = 0u32;
        for y in -99_999..=99_999 {
            for form in &forms {
                let s = form(y);
                match Period::parse(&s) {
                    Ok(p) => {
                        read += 1;
                        let (first, last) = (p.first_day().expect(&s), p.last_day().expect(&s));
                        assert!(first.year() >= FIRST_YEAR && last.year() <= LAST_YEAR, "{s}");
                        assert!(matches!(p.days(), 365 | 366), "{s}");
                        assert_eq!(Period::parse(&p.to_string()).unwrap(), p, "{s}");
                        assert!(p.check().is_ok(), "{s}");
                    }
                    Err(e) => assert!(matches!(e.kind(), ErrorKind::BadPeriod(_) | ErrorKind::PeriodOutOfRange(_)), "{s}"),
                }
            }
        }
        // Forms 1–9 read for every supported year (about 9,000 each); "August" never does.
        assert!(read > 70_000, "{read}");
    }

    /// Arbitrary text, random bytes and near-misses built from the parser's own words: the
    /// parser and every function reading a year or quarter return, never panic.
    #[test]
    fn arbitrary_text_never_panics() {
        let words = [
            "year",
            "to",
            "ending",
            "ended",
            "12",
            "months",
            "the",
            "fy",
            "financial",
            "calendar",
            "march",
            "sep",
            "september",
            "december",
            "jun",
            "/",
            "-",
            "–",
            "_",
            ",",
            " ",
            "2023",
            "23",
            "0000",
            "9999",
            "00",
            "-1",
            "99999999999999999999",
            "q",
            "quarter",
            ".0",
            "ye",
            "\u{0}",
            "é",
            "\u{2212}",
            "+",
            "2022/23",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        for n in 0..200_000 {
            let len = (next() % 8) as usize;
            let s: String = if n % 2 == 0 {
                (0..len).map(|_| words[(next() % words.len() as u64) as usize]).collect::<Vec<_>>().join(if n % 4 == 0 { " " } else { "" })
            } else {
                let bytes: Vec<u8> = (0..len * 3).map(|_| (next() % 256) as u8).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            };
            if let Ok(p) = Period::parse(&s) {
                assert!(p.check().is_ok() && p.first_day().is_some() && p.last_day().is_some(), "{s:?}");
            }
            let _ = (parse_financial_year(&s), parse_quarter(&s), parse_year(&s));
        }
    }
}

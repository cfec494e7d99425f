//! Calendar dates as the data contract writes them (ISO 8601), and partial dates of birth.
//!
//! A [`Date`] is a proleptic Gregorian day; parsing accepts `2023-09-30` and date-times such as
//! `2023-09-30T14:05:00+01:00` (the date part is the local date as recorded). A
//! [`PartialDate`] keeps the components of a date of birth separately, so that a partial date
//! (`1985-07`) or an impossible one (`1985-13-05`, perhaps day and month transposed) can still be
//! compared by linkage instead of being thrown away.

use std::fmt;

use crate::{Error, ErrorKind};

/// A calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i16,
    month: u8,
    day: u8,
}

/// Days in a month of a year, or 0 for a month that does not exist.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
}

/// Whether `b` is an ISO 8601 time of day, with an optional fraction and offset:
/// `hh:mm`, `hh:mm:ss`, `hh:mm:ss.fff`, then nothing, `Z`, or `±hh`, `±hhmm`, `±hh:mm`.
fn is_time_of_day(b: &[u8]) -> bool {
    let two = |s: &[u8], max: u32| s.len() >= 2 && digits(&s[..2]).is_some_and(|v| v <= max);
    if !(two(b, 23) && b.get(2) == Some(&b':') && two(&b[3..], 59)) {
        return false;
    }
    let mut rest = &b[5..];
    if rest.first() == Some(&b':') {
        if !two(&rest[1..], 60) {
            return false;
        }
        rest = &rest[3..];
        if matches!(rest.first(), Some(b'.' | b',')) {
            let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return false;
            }
            rest = &rest[1 + n..];
        }
    }
    match rest {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', offset @ ..] => match offset {
            [_, _] => two(offset, 23),
            [_, _, _, _] => two(offset, 23) && two(&offset[2..], 59),
            [_, _, b':', _, _] => two(offset, 23) && two(&offset[3..], 59),
            _ => false,
        },
        _ => false,
    }
}

/// The proleptic Gregorian (year, month, day) `days` after 1970-01-01, for any day count
/// (counts beyond ±2^40 days, far outside any calendar, are taken as ±2^40). Howard Hinnant's
/// civil_from_days, in 64-bit arithmetic so that no `i32` count overflows.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days.clamp(-(1 << 40), 1 << 40) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

impl Date {
    /// A date from its parts, if it exists on the calendar (years 1000–9999).
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        ((1000..=9999).contains(&year) && day >= 1 && day <= days_in_month(year, month)).then_some(Date {
            year: year as i16,
            month: month as u8,
            day: day as u8,
        })
    }

    /// Parses `YYYY-MM-DD`, optionally followed by `T` or a space and a time with offset.
    ///
    /// # Errors
    ///
    /// An [`Error`] when the text is not of that form ([`ErrorKind::NotIsoDate`],
    /// [`ErrorKind::TextAfterDate`], [`ErrorKind::BadTimeOfDay`]), has a year outside 1000–9999
    /// ([`ErrorKind::YearOutOfRange`]) or names no real day ([`ErrorKind::NoSuchDay`]).
    pub fn parse(s: &str) -> Result<Date, Error> {
        let s = s.trim();
        let b = s.as_bytes();
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(Error::new(ErrorKind::NotIsoDate));
        }
        if b.len() > 10 && !matches!(b[10], b'T' | b't' | b' ') {
            return Err(Error::new(ErrorKind::TextAfterDate));
        }
        let (Some(y), Some(m), Some(d)) = (digits(&b[0..4]), digits(&b[5..7]), digits(&b[8..10])) else {
            return Err(Error::new(ErrorKind::NotIsoDate));
        };
        if b.len() > 10 && !is_time_of_day(&b[11..]) {
            return Err(Error::new(ErrorKind::BadTimeOfDay));
        }
        if !(1000..=9999).contains(&y) {
            return Err(Error::new(ErrorKind::YearOutOfRange));
        }
        Date::new(y as i32, m, d).ok_or_else(|| Error::new(ErrorKind::NoSuchDay))
    }

    /// The year.
    pub fn year(self) -> i32 {
        i32::from(self.year)
    }

    /// The month, 1–12.
    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    /// The day of the month, 1–31.
    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before), for intervals and storage.
    pub fn days_since_epoch(self) -> i32 {
        // Howard Hinnant's days_from_civil.
        let (y, m, d) = (self.year(), self.month() as i32, self.day() as i32);
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The first date Conduct can hold: 1000-01-01.
    pub const MIN: Date = Date { year: 1000, month: 1, day: 1 };
    /// The last date Conduct can hold: 9999-12-31.
    pub const MAX: Date = Date { year: 9999, month: 12, day: 31 };

    /// The date `days` after 1970-01-01, held within [`Date::MIN`]..=[`Date::MAX`]: a day
    /// count outside the years 1000–9999 gives the nearer end (never a wrapped year). Use
    /// [`Date::checked_from_days_since_epoch`] when such a count must be refused instead.
    pub fn from_days_since_epoch(days: i32) -> Date {
        let (y, m, d) = civil_from_days(i64::from(days));
        match y {
            ..1000 => Date::MIN,
            10_000.. => Date::MAX,
            // In range: the year fits an i16, the month 1–12 and the day 1–31 fit a u8.
            _ => Date { year: y as i16, month: m as u8, day: d as u8 },
        }
    }

    /// The date `days` after 1970-01-01, if it lies within the years 1000–9999.
    pub fn checked_from_days_since_epoch(days: i64) -> Option<Date> {
        let (y, m, d) = civil_from_days(days);
        (1000..=9999).contains(&y).then_some(Date { year: y as i16, month: m as u8, day: d as u8 })
    }

    /// The ISO 8601 text (`2023-09-30`) without allocating; see [`Date::iso_str`].
    pub fn iso(self) -> [u8; 10] {
        let mut b = *b"0000-00-00";
        let y = self.year as u16;
        b[0] = b'0' + (y / 1000 % 10) as u8;
        b[1] = b'0' + (y / 100 % 10) as u8;
        b[2] = b'0' + (y / 10 % 10) as u8;
        b[3] = b'0' + (y % 10) as u8;
        b[5] = b'0' + self.month / 10;
        b[6] = b'0' + self.month % 10;
        b[8] = b'0' + self.day / 10;
        b[9] = b'0' + self.day % 10;
        b
    }

    /// Reads back the bytes of [`Date::iso`] as text.
    pub fn iso_str(bytes: &[u8; 10]) -> &str {
        std::str::from_utf8(bytes).expect("ISO dates are ASCII")
    }

    /// This date moved by a number of days, held within [`Date::MIN`]..=[`Date::MAX`].
    pub fn add_days(self, days: i32) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch().saturating_add(days))
    }

    /// The Home Office financial year starting in April, as its first calendar year
    /// (2022 for 2022/23), and the financial quarter 1–4 (1 = April–June).
    pub fn financial_year_quarter(self) -> (i32, u32) {
        let m = self.month();
        let fy = if m >= 4 { self.year() } else { self.year() - 1 };
        let q = if m >= 4 { (m - 4) / 3 + 1 } else { 4 };
        (fy, q)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date of birth as recorded, kept as components so partial or wrong dates still compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct PartialDate {
    /// The year, if given.
    pub year: Option<u16>,
    /// The month as written (may be 13–31 when day and month are transposed).
    pub month: Option<u8>,
    /// The day as written.
    pub day: Option<u8>,
}

impl PartialDate {
    /// Reads `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, `YYYYMMDD` or `DD/MM/YYYY`, keeping components
    /// even when the whole is not a real date. `None` when nothing date-like is there.
    pub fn parse(s: &str) -> Option<PartialDate> {
        let s = s.trim();
        let b = s.as_bytes();
        let num = |r: &[u8]| digits(r);
        let (y, m, d) = if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
            (num(&b[0..4])?, Some(num(&b[5..7])?), Some(num(&b[8..10])?))
        } else if b.len() == 7 && b[4] == b'-' {
            (num(&b[0..4])?, Some(num(&b[5..7])?), None)
        } else if b.len() == 4 {
            (num(b)?, None, None)
        } else if b.len() == 8 && b.iter().all(u8::is_ascii_digit) {
            (num(&b[0..4])?, Some(num(&b[4..6])?), Some(num(&b[6..8])?))
        } else if b.len() == 10 && b[2] == b'/' && b[5] == b'/' {
            (num(&b[6..10])?, Some(num(&b[3..5])?), Some(num(&b[0..2])?))
        } else {
            return None;
        };
        let to_u8 = |v: Option<u32>| v.filter(|&v| v > 0 && v < 100).map(|v| v as u8);
        Some(PartialDate { year: (y > 0).then_some(y as u16), month: to_u8(m), day: to_u8(d) })
    }

    /// The full date, if all three parts are present and form a real day.
    pub fn to_date(self) -> Option<Date> {
        Date::new(i32::from(self.year?), u32::from(self.month?), u32::from(self.day?))
    }

    /// Whether the components that are present could belong to a real date of birth
    /// (year 1880 up to `latest_year`, month 1–12, day valid for the month).
    pub fn is_plausible(self, latest_year: i32) -> bool {
        let year_ok = self.year.is_none_or(|y| (1880..=latest_year).contains(&i32::from(y)));
        let month_ok = self.month.is_none_or(|m| (1..=12).contains(&m));
        let day_ok = match (self.year, self.month, self.day) {
            (_, _, None) => true,
            (Some(y), Some(m), Some(d)) if (1..=12).contains(&m) => u32::from(d) <= days_in_month(i32::from(y), u32::from(m)),
            (_, _, Some(d)) => (1..=31).contains(&d),
        };
        year_ok && month_ok && day_ok
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.year {
            Some(y) => write!(f, "{y:04}")?,
            None => f.write_str("????")?,
        }
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates_and_date_times() {
        assert_eq!(Date::parse("2023-09-30").unwrap().to_string(), "2023-09-30");
        assert_eq!(Date::parse("2023-09-30T23:10:00+01:00").unwrap().to_string(), "2023-09-30");
        assert_eq!(Date::parse(" 2024-02-29 ").unwrap().day(), 29);
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("30/09/2023").is_err());
        assert!(Date::parse("2023-09-30x").is_err());
        assert!(Date::parse("").is_err());
    }

    #[test]
    fn times_of_day_must_be_times() {
        for ok in [
            "2023-09-30T23:59",
            "2023-09-30 00:00:00",
            "2023-09-30T12:30:15.123Z",
            "2023-09-30T12:30:15+01:00",
            "2023-09-30T12:30-0530",
            "2023-09-30T12:30:60Z",
        ] {
            assert!(Date::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2023-09-30T25:61",
            "2023-09-30T",
            "2023-09-30T12",
            "2023-09-30T12:3",
            "2023-09-30T12:30:15.",
            "2023-09-30T12:30+25:00",
            "2023-09-30T12:30 junk",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_year_out_of_range_is_said_so_not_called_no_such_day() {
        let e = Date::parse("0001-01-01").unwrap_err();
        assert_eq!(
            (e.kind(), e.to_string().as_str()),
            (&ErrorKind::YearOutOfRange, "the year is outside 1000–9999, the years a record may carry")
        );
        let e = Date::parse("2023-02-30").unwrap_err();
        assert_eq!((e.kind(), e.to_string().as_str()), (&ErrorKind::NoSuchDay, "no such day on the calendar"));
    }

    #[test]
    fn iso_text_matches_display() {
        for s in ["2023-09-30", "1000-01-01", "9999-12-31", "2024-02-29"] {
            let d = Date::parse(s).unwrap();
            assert_eq!(Date::iso_str(&d.iso()), d.to_string());
        }
    }

    #[test]
    fn epoch_days_round_trip() {
        let (first, last) = (Date::MIN.days_since_epoch(), Date::MAX.days_since_epoch());
        for d in [first, first + 1, -1, 0, 1, 19_000, 20_000, 60_000, last] {
            assert_eq!(Date::from_days_since_epoch(d).days_since_epoch(), d);
        }
        // Outside the years 1000–9999 a Date cannot be (-800,000 days is the year -221): held
        // to the nearer end.
        assert_eq!(Date::from_days_since_epoch(-800_000), Date::MIN);
        assert_eq!(Date::from_days_since_epoch(last + 1), Date::MAX);
        assert_eq!(Date::parse("1970-01-01").unwrap().days_since_epoch(), 0);
        assert_eq!(Date::parse("2000-03-01").unwrap().days_since_epoch(), 11_017);
    }

    #[test]
    fn financial_quarters_start_in_april() {
        let q = |s| Date::parse(s).unwrap().financial_year_quarter();
        assert_eq!(q("2023-04-01"), (2023, 1));
        assert_eq!(q("2023-09-30"), (2023, 2));
        assert_eq!(q("2023-12-31"), (2023, 3));
        assert_eq!(q("2024-03-31"), (2023, 4));
    }

    #[test]
    fn partial_dates_keep_components() {
        let p = PartialDate::parse("1985-13-05").unwrap();
        assert_eq!((p.year, p.month, p.day), (Some(1985), Some(13), Some(5)));
        assert!(!p.is_plausible(2026));
        assert!(p.to_date().is_none());
        assert_eq!(PartialDate::parse("1985-07").unwrap().day, None);
        assert_eq!(PartialDate::parse("19850705").unwrap().to_date().unwrap().to_string(), "1985-07-05");
        assert_eq!(PartialDate::parse("05/07/1985").unwrap().month, Some(7));
        assert!(PartialDate::parse("unknown").is_none());
        assert!(!PartialDate::parse("1985-02-30").unwrap().is_plausible(2026));
        assert!(!PartialDate::parse("2090-01-01").unwrap().is_plausible(2026));
        assert!(PartialDate::parse("1985-02-28").unwrap().is_plausible(2026));
    }
}

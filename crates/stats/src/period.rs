//! Financial quarters and the year-long periods the Home Office reports on: a financial year
//! ("2022/23", April to March), a calendar year ("calendar year 2023"), or the year to the end
//! of any quarter ("year to September 2023" = quarters 3 and 4 of 2022/23 and 1 and 2 of
//! 2023/24). Every period is four consecutive financial quarters; only its name differs.

use std::fmt;

use conduct_domain::Date;
use conduct_domain::date::days_in_month;

use crate::error::{Error, ErrorKind};

const MONTHS: [&str; 12] = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
];

/// A Home Office financial quarter: quarter 1 is April–June, 4 is January–March of the next
/// calendar year. `year` is the first calendar year of the financial year (2022 for 2022/23).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FinancialQuarter {
    year: i16,
    quarter: u8,
}

impl FinancialQuarter {
    /// The quarter `quarter` (1–4) of the financial year starting in April of `year`.
    pub fn new(year: i32, quarter: u32) -> Option<FinancialQuarter> {
        ((1000..=9998).contains(&year) && (1..=4).contains(&quarter))
            .then_some(FinancialQuarter { year: year as i16, quarter: quarter as u8 })
    }

    /// The financial quarter a date falls in.
    pub fn of(date: Date) -> FinancialQuarter {
        let (y, q) = date.financial_year_quarter();
        FinancialQuarter { year: y as i16, quarter: q as u8 }
    }

    /// The first calendar year of the financial year (2022 for 2022/23).
    pub fn year(self) -> i32 {
        i32::from(self.year)
    }

    /// The quarter, 1–4.
    pub fn quarter(self) -> u32 {
        u32::from(self.quarter)
    }

    /// The financial year as published: `2022/23`.
    pub fn financial_year_label(self) -> String {
        financial_year_label(self.year())
    }

    /// A running number of quarters, for arithmetic.
    pub fn index(self) -> i32 {
        self.year() * 4 + self.quarter() as i32 - 1
    }

    /// The quarter with a running number from [`FinancialQuarter::index`].
    pub fn from_index(i: i32) -> FinancialQuarter {
        FinancialQuarter { year: i.div_euclid(4) as i16, quarter: (i.rem_euclid(4) + 1) as u8 }
    }

    /// The quarter `n` quarters later (earlier when negative).
    pub fn shifted(self, n: i32) -> FinancialQuarter {
        FinancialQuarter::from_index(self.index() + n)
    }

    /// The calendar year and month (1–12) the quarter starts in.
    pub fn first_month(self) -> (i32, u32) {
        match self.quarter {
            4 => (self.year() + 1, 1),
            q => (self.year(), 3 * u32::from(q) + 1),
        }
    }

    /// The calendar year and month the quarter ends in.
    pub fn last_month(self) -> (i32, u32) {
        let (y, m) = self.first_month();
        (y, m + 2)
    }

    /// The first day of the quarter.
    pub fn first_day(self) -> Date {
        let (y, m) = self.first_month();
        Date::new(y, m, 1).expect("quarters start on real days")
    }

    /// The last day of the quarter.
    pub fn last_day(self) -> Date {
        let (y, m) = self.last_month();
        Date::new(y, m, days_in_month(y, m)).expect("quarters end on real days")
    }

    /// Days in the quarter.
    pub fn days(self) -> u32 {
        (self.last_day().days_since_epoch() - self.first_day().days_since_epoch() + 1) as u32
    }

    /// A short label for charts: `2022/23 Q3`.
    pub fn label(self) -> String {
        format!("{} Q{}", self.financial_year_label(), self.quarter)
    }
}

impl fmt::Display for FinancialQuarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// `2022` → `2022/23`.
pub fn financial_year_label(year: i32) -> String {
    format!("{year}/{:02}", (year + 1).rem_euclid(100))
}

/// Reads a published financial year: `2022/23`, `2022-23`, `2022/2023`, `FY 2022/23`;
/// returns its first calendar year.
pub fn parse_financial_year(s: &str) -> Option<i32> {
    let t = s.trim().trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == ' ');
    let (a, b) = t.split_once(['/', '-', '–'])?;
    let (a, b) = (a.trim(), b.trim());
    let y: i32 = a.parse().ok().filter(|_| a.len() == 4)?;
    let next: i32 = b.parse().ok()?;
    let ok = match b.len() {
        2 => next == (y + 1).rem_euclid(100),
        4 => next == y + 1,
        _ => false,
    };
    ok.then_some(y)
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
    /// The financial year starting in April of `year`.
    pub fn financial_year(year: i32) -> Period {
        Period { end: FinancialQuarter::new(year, 4).expect("year in range"), kind: PeriodKind::FinancialYear }
    }

    /// The calendar year `year` (quarter 4 of the financial year before, then 1–3).
    pub fn calendar_year(year: i32) -> Period {
        Period { end: FinancialQuarter::new(year, 3).expect("year in range"), kind: PeriodKind::CalendarYear }
    }

    /// The year to the end of the quarter `end`.
    pub fn year_to(end: FinancialQuarter) -> Period {
        Period { end, kind: PeriodKind::YearTo }
    }

    /// Reads "year to September 2023" (also "year ending Sep 2023", "12 months to…"), "2022/23"
    /// or "financial year 2022/23", and "calendar year 2023" or "2023".
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
                let y: i32 = year.trim().parse().map_err(|_| bad())?;
                let end = FinancialQuarter::of(Date::new(y, m, 1).ok_or_else(bad)?);
                return Ok(Period::year_to(end));
            }
        }
        let t = t.strip_prefix("financial year ").or_else(|| t.strip_prefix("fy ")).map_or(t, |r| r);
        if let Some(y) = parse_financial_year(t) {
            return Ok(Period::financial_year(y));
        }
        let t = t.strip_prefix("calendar year ").unwrap_or(t);
        match t.parse::<i32>() {
            Ok(y) if t.len() == 4 && (1001..=9998).contains(&y) => Ok(Period::calendar_year(y)),
            _ => Err(bad()),
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
        let d = self.end.index() - q.index();
        (0..4).contains(&d)
    }

    /// The same period `k` years earlier (named the same way).
    pub fn earlier(self, k: u32) -> Period {
        Period { end: self.end.shifted(-4 * k as i32), kind: self.kind }
    }

    /// The first day.
    pub fn first_day(self) -> Date {
        self.start().first_day()
    }

    /// The last day.
    pub fn last_day(self) -> Date {
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
        assert_eq!(p.first_day().to_string(), "2022-10-01");
        assert_eq!(p.last_day().to_string(), "2023-09-30");
        assert_eq!(p.to_string(), "year to September 2023");
        assert_eq!(p.earlier(1).to_string(), "year to September 2022");
        assert_eq!(p.earlier(9).to_string(), "year to September 2014");
        assert_eq!(Period::parse("Year ending Sep 2023").unwrap(), p);
        assert_eq!(Period::parse("the 12 months to september 2023").unwrap(), p);
    }

    #[test]
    fn financial_and_calendar_years() {
        let fy = Period::parse("2022/23").unwrap();
        assert_eq!(fy.first_day().to_string(), "2022-04-01");
        assert_eq!(fy.last_day().to_string(), "2023-03-31");
        assert_eq!(fy.to_string(), "2022/23");
        assert_eq!(Period::parse("financial year 2022-2023").unwrap(), fy);
        let cy = Period::parse("calendar year 2024").unwrap();
        assert_eq!(cy.first_day().to_string(), "2024-01-01");
        assert_eq!(cy.last_day().to_string(), "2024-12-31");
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
        assert_eq!(q.first_day().to_string(), "2023-01-01");
        assert_eq!(q.days(), 90);
        assert_eq!(q.shifted(1), FinancialQuarter::new(2023, 1).unwrap());
        assert_eq!(FinancialQuarter::of(Date::parse("2022-12-31").unwrap()), FinancialQuarter::new(2022, 3).unwrap());
    }
}

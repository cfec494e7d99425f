//! The calendar of the synthetic world: its span, the rule changes inside it, and the
//! growth-weighted draw of report dates.

use conduct_domain::Date;

use crate::rng::Rng;

const fn days(y: i32, m: u32, d: u32) -> i32 {
    // Days since 1970-01-01 (civil-from-days inverse, Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 } as i32;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// First recorded date in the data (2014-04-01).
pub(crate) const START: i32 = days(2014, 4, 1);
/// Last recorded date and extract date (2025-03-31).
pub(crate) const END: i32 = days(2025, 3, 31);
/// Earliest date of birth.
pub(crate) const DOB_MIN: i32 = days(1940, 1, 1);
/// Latest date of birth.
pub(crate) const DOB_MAX: i32 = days(2008, 12, 31);
/// Stalking Protection Orders available from 2020-01-20.
pub(crate) const SPO_START: i32 = days(2020, 1, 20);
/// Counting-rule change: domestic harassment recorded as stalking from 2020-04-01.
pub(crate) const RULE_CHANGE: i32 = days(2020, 4, 1);
/// Controlling or coercive behaviour offence in force from 2015-12-29.
pub(crate) const CCB_START: i32 = days(2015, 12, 29);

/// ISO text of a day.
pub(crate) fn fmt_date(day: i32) -> String {
    Date::from_days_since_epoch(day).to_string()
}

/// Growth of recorded stalking and harassment over the span (end rate / start rate).
const GROWTH: f64 = 4.0;

/// Draws a day in `START..=latest` with density growing exponentially over the whole span.
pub(crate) fn growth_day(rng: &mut Rng, latest: i32) -> i32 {
    let span = f64::from(END - START);
    let g = GROWTH.ln() / span;
    let max_t = f64::from((latest - START).max(0));
    let u = rng.f() * ((g * max_t).exp() - 1.0);
    let t = (1.0 + u).ln() / g;
    START + (t as i32).min(latest - START).max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_domain_dates() {
        assert_eq!(fmt_date(START), "2014-04-01");
        assert_eq!(fmt_date(END), "2025-03-31");
        assert_eq!(fmt_date(SPO_START), "2020-01-20");
        assert_eq!(fmt_date(DOB_MIN), "1940-01-01");
    }
}

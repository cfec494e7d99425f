//! Date, partial-date and period parsers, the published tables' count and offence-code cells,
//! and what is computed from a parsed period: never a panic on any text.
#![no_main]

use conduct_domain::{Date, OffenceCode, PartialDate};
use conduct_stats::period::{Period, parse_financial_year, parse_quarter};
use conduct_stats::published::{MAX_COUNT, parse_count};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(d) = Date::parse(s) {
        let _ = (d.days_since_epoch(), d.add_days(366), d.financial_year_quarter(), d.to_string());
    }
    if let Some(p) = PartialDate::parse(s) {
        let _ = (p.to_date(), p.is_plausible(2026), p.to_string());
    }
    let _ = (parse_financial_year(s), parse_quarter(s));
    if let Some(conduct_stats::Count::Value(n)) = parse_count(s) {
        assert!(n <= MAX_COUNT);
    }
    if let Ok(c) = OffenceCode::parse(s) {
        assert_eq!(OffenceCode::parse(c.as_str()).as_ref(), Ok(&c));
    }
    // The day count a date column may hold, as a number: held within the years a Date can.
    if let Ok(days) = s.trim().parse::<i32>() {
        let d = Date::from_days_since_epoch(days);
        assert!(Date::MIN <= d && d <= Date::MAX);
        let _ = Date::checked_from_days_since_epoch(i64::from(days));
    }
    if let Ok(p) = Period::parse(s) {
        let _ = (p.in_words(), p.first_day(), p.last_day(), p.days(), p.quarters(), p.start(), p.earlier(1), p.earlier(40));
        for q in p.quarters() {
            let _ = (q.label(), q.first_day(), q.last_day(), q.financial_year_label(), q.shifted(-8));
        }
    }
});

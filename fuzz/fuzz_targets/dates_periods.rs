//! Date, partial-date and period parsers, and what is computed from a parsed period: never a
//! panic on any text.
#![no_main]

use conduct_domain::{Date, PartialDate};
use conduct_stats::period::{Period, parse_financial_year, parse_quarter};
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
    if let Ok(p) = Period::parse(s) {
        let _ = (p.in_words(), p.first_day(), p.last_day(), p.days(), p.quarters(), p.start(), p.earlier(1), p.earlier(40));
        for q in p.quarters() {
            let _ = (q.label(), q.first_day(), q.last_day(), q.financial_year_label(), q.shifted(-8));
        }
    }
});

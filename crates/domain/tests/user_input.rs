//! Property tests over the domain's readers of values that come from users' files and command
//! lines (issue 13: no panics on user input). Each reader returns for any text; what it
//! accepts round-trips through its own written form or satisfies the invariant stated.

use conduct_domain::date::{civil_from_days, days_in_month};
use conduct_domain::value::{canonical_email, canonical_phone, parse_bool};
use conduct_domain::{Date, Force, OffenceCode, OrderStatus, OrderType, OutcomeType, PartialDate, Role, cell};
use proptest::prelude::*;

/// Text that looks like a date or a date-time, and near misses of it.
fn date_like() -> impl Strategy<Value = String> {
    prop_oneof![
        (-20_000i32..20_000, 0u32..14, 0u32..34).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        (900i32..10_100, 0u32..14, 0u32..34, "[T t]", "[0-9:.,+Zz-]{0,16}")
            .prop_map(|(y, m, d, sep, time)| format!("{y:04}-{m:02}-{d:02}{sep}{time}")),
        "[0-9/-]{0,12}",
        "\\PC{0,30}",
        any::<Vec<u8>>().prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// A date that reads lies in the years 1000–9999 and writes itself back the same way.
    #[test]
    fn a_date_that_reads_round_trips(s in date_like()) {
        if let Ok(d) = Date::parse(&s) {
            prop_assert!(Date::MIN <= d && d <= Date::MAX, "{:?} -> {}", s, d);
            prop_assert_eq!(Date::parse(&d.to_string()), Ok(d));
            let iso = d.iso();
            prop_assert_eq!(Date::iso_str(&iso), d.to_string());
            prop_assert_eq!(Date::from_days_since_epoch(d.days_since_epoch()), d);
        }
    }

    /// `YYYY-MM-DD` reads exactly when it names a day on the calendar within 1000–9999.
    #[test]
    fn a_plain_date_reads_exactly_when_it_exists(y in 0i32..=9999, m in 0u32..14, d in 0u32..34) {
        let s = format!("{y:04}-{m:02}-{d:02}");
        let exists = (1000..=9999).contains(&y) && d >= 1 && d <= days_in_month(y, m);
        prop_assert_eq!(Date::parse(&s).is_ok(), exists, "{}", s);
    }

    /// Any day count gives a date within the supported years (never a year wrapped into
    /// range); the checked form refuses exactly the counts outside them.
    #[test]
    fn any_day_count_gives_a_supported_date_or_none(days in any::<i32>(), shift in any::<i32>()) {
        let d = Date::from_days_since_epoch(days);
        prop_assert!(Date::MIN <= d && d <= Date::MAX);
        let (y, m, day) = civil_from_days(i64::from(days));
        // The Gregorian calendar repeats every 400 years, so the year's remainder decides leap days.
        prop_assert!((1..=12).contains(&m) && day >= 1 && day <= days_in_month(y.rem_euclid(400) as i32, m));
        match Date::checked_from_days_since_epoch(i64::from(days)) {
            Some(c) => {
                prop_assert_eq!(c, d);
                prop_assert_eq!(c.days_since_epoch(), days);
            }
            None => prop_assert!(!(1000..=9999).contains(&y)),
        }
        let moved = d.add_days(shift);
        prop_assert!(Date::MIN <= moved && moved <= Date::MAX);
    }

    /// A partial date of birth reads or is refused; a full one that forms a day is a real date.
    #[test]
    fn a_partial_date_reads_or_is_refused(s in date_like()) {
        if let Some(p) = PartialDate::parse(&s) {
            let _ = (p.to_string(), p.is_plausible(2025));
            if let Some(d) = p.to_date() {
                prop_assert_eq!(Date::parse(&d.to_string()), Ok(d));
            }
        }
    }

    /// Offence codes, forces, outcome types, roles, orders and booleans: any text reads or is
    /// refused, and what reads is read again the same from its own written form.
    #[test]
    fn vocabulary_readers_round_trip(s in "\\PC{0,24}|[0-9]{1,3}[A-Za-z]{0,2}(/[0-9]{1,3})?|[0-9 .]{0,6}") {
        if let Ok(c) = OffenceCode::parse(&s) {
            prop_assert_eq!(OffenceCode::parse(c.as_str()), Ok(c.clone()));
        }
        match Force::resolve(&s) {
            Ok(f) => prop_assert_eq!(Force::resolve(f.name()).ok(), Some(f)),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
        if let Some(o) = OutcomeType::parse(&s) {
            prop_assert_eq!(OutcomeType::parse(&o.number().to_string()), Some(o));
            prop_assert_eq!(OutcomeType::new(o.number()), Some(o));
        }
        if let Some(r) = Role::parse(&s) {
            prop_assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        if let Some(t) = OrderType::parse(&s) {
            prop_assert_eq!(OrderType::parse(t.as_str()), Some(t));
        }
        if let Some(t) = OrderStatus::parse(&s) {
            prop_assert_eq!(OrderStatus::parse(t.as_str()), Some(t));
        }
        if let Ok(Some(b)) = parse_bool(&s) {
            prop_assert_eq!(parse_bool(if b { "true" } else { "false" }), Ok(Some(b)));
        }
    }

    /// Canonical phone numbers and e-mail addresses are fixed points of their own readers.
    #[test]
    fn contact_details_canonicalise_to_fixed_points(s in "\\PC{0,24}|[+0-9 ()./-]{0,20}|[a-zA-Z.@ ]{0,20}") {
        if let Some(p) = canonical_phone(&s) {
            prop_assert_eq!(canonical_phone(&p), Some(p.clone()));
        }
        if let Some(e) = canonical_email(&s) {
            prop_assert_eq!(canonical_email(&e), Some(e.clone()));
        }
    }

    /// Every cell written with the spreadsheet guard reads back as it was.
    #[test]
    fn a_guarded_cell_reads_back_unchanged(s in "\\PC{0,24}|[=+@\t\r-][0-9a-z(),.+-]{0,10}|'+[=+@-]?[0-9]{0,4}") {
        let written = cell::inert(&s);
        prop_assert_eq!(cell::restore(&written), s.as_str());
    }
}

/// Regression: a Parquet date 25,000,000 days after 1970 (in the year 70,417) came back in
/// the year 4,881, its year wrapped into an `i16`, and was imported as a valid date; and a day
/// count near `i32::MAX` overflowed. It is now held to the supported range, or refused by the
/// checked form, and its true year is known.
#[test]
fn parquet_date_far_past_9999_wrapped_into_the_supported_years() {
    assert_eq!(Date::checked_from_days_since_epoch(25_000_000), None);
    assert_eq!(civil_from_days(25_000_000).0, 70_417);
    assert_eq!(Date::from_days_since_epoch(25_000_000), Date::MAX);
    assert_eq!(Date::from_days_since_epoch(i32::MAX), Date::MAX);
    assert_eq!(Date::from_days_since_epoch(i32::MIN), Date::MIN);
    assert_eq!(Date::MAX.add_days(i32::MAX), Date::MAX);
    assert_eq!(Date::MIN.to_string(), "1000-01-01");
    assert_eq!(Date::MAX.to_string(), "9999-12-31");
    assert_eq!(Date::from_days_since_epoch(Date::MAX.days_since_epoch()), Date::MAX);
    assert_eq!(Date::from_days_since_epoch(Date::MIN.days_since_epoch()), Date::MIN);
}

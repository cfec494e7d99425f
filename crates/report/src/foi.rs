//! The answer to the standard Freedom of Information request about stalking: stalking offences
//! recorded in each of the last three reporting (financial) years, stalking protection orders
//! issued, and breaches recorded — with the April 2020 counting-rule caveat when the years
//! asked about span it, and plain words for what the data does not hold.

use std::fmt::Write as _;

use conduct_domain::{Force, OffenceClass};
use conduct_stats::counting_rules::CHANGES;
use conduct_stats::{Area, Figures, Period, Tables};

use crate::error::{Error, ErrorKind};
use crate::words::thousands;

/// What "breaches found by analysis" are, wherever a report gives them.
pub const BREACHES_FOUND_NOTE: &str = "Breaches found by analysis are reports in which the subject of a stalking protection \
     order (full or interim) is the suspect and its protected person the victim, about conduct on a day the order was granted \
     and unexpired, found by Conduct linking the people in the records (`conduct courses`, breaches.csv); each report is \
     counted once, in the year it was recorded. Contact through a third party is not found, and a report is a possible \
     breach for a person to confirm.";

/// Choices for the FOI answer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FoiOptions {
    /// The last reporting year to answer for, as its first calendar year (2022 for 2022/23);
    /// by default the latest financial year the force has four quarters of data for.
    pub latest_year: Option<i32>,
}

/// The latest financial year with all four quarters of recorded crime for the force.
pub fn latest_complete_year(tables: &Tables, force: Force) -> Option<i32> {
    let qs = tables.quarters(Some(force));
    qs.iter().rev().map(|q| q.year()).find(|&y| Period::financial_year(y).quarters().iter().all(|q| qs.contains(q)))
}

/// Writes the FOI answer for `force` as Markdown.
///
/// # Errors
///
/// [`ErrorKind::NoData`] when no latest year is given and the force has no complete financial
/// year of data; [`ErrorKind::Period`] when any of the three years answered for lies outside
/// the years Conduct can hold (a latest year before 1002/03 or after 9998/99).
pub fn foi(tables: &Tables, force: Force, options: &FoiOptions) -> Result<String, Error> {
    let name = force.name();
    let latest = options
        .latest_year
        .or_else(|| latest_complete_year(tables, force))
        .ok_or_else(|| Error::new(ErrorKind::NoData { area: name.to_string(), period: "any complete financial year".into() }))?;
    // The three years must all be ones Conduct can hold: a latest year of 1000/01 (or
    // i32::MIN) is an error, not an overflow or an answer about 998/99.
    let years = [2, 1, 0].map(|k| Period::financial_year(latest.saturating_sub(k)).check());
    let years: Vec<Period> = years.into_iter().collect::<Result<_, _>>().map_err(|e| Error::new(ErrorKind::Period(Box::new(e))))?;
    let mut s = String::new();
    writeln!(s, "# Freedom of Information request: stalking — {name}\n").unwrap();
    writeln!(s, "## Request\n").unwrap();
    writeln!(
        s,
        "1. The number of stalking offences recorded in each of the last three reporting years.\n\
         2. The number of stalking protection orders (SPOs) issued.\n\
         3. The number of breaches of stalking protection orders recorded.\n"
    )
    .unwrap();
    writeln!(s, "## Response\n").unwrap();
    writeln!(
        s,
        "Reporting years are financial years (April to March). The last three reporting years in the data \
         held are {}, {} and {}.\n",
        years[0], years[1], years[2]
    )
    .unwrap();
    let orders = tables.orders_supplied();
    let analysed = tables.breaches_analysed();
    if analysed {
        writeln!(
            s,
            "| Reporting year | Stalking offences recorded | SPOs applied for | SPOs granted | Breaches recorded | \
             Breaches found by analysis |"
        )
        .unwrap();
        writeln!(s, "|---|---:|---:|---:|---:|---:|").unwrap();
    } else {
        writeln!(s, "| Reporting year | Stalking offences recorded | SPOs applied for | SPOs granted | Breaches recorded |").unwrap();
        writeln!(s, "|---|---:|---:|---:|---:|").unwrap();
    }
    let mut notes = Vec::new();
    let mut suppressed = 0;
    for y in &years {
        let f = Figures::compute(tables, Area::Force(force), *y);
        let st = f.count(&[OffenceClass::Stalking]);
        suppressed += st.suppressed;
        let stalking = match (f.quarters_with_data, st.is_exact()) {
            (0, _) => "not held".to_string(),
            (4, true) => thousands(st.count),
            (4, false) => format!("at least {}", thousands(st.count)),
            (n, _) => {
                notes.push(format!("{y}: data held for only {n} of its four quarters."));
                format!("{} (part year)", thousands(st.count))
            }
        };
        let (a, g, b) = match f.orders {
            Some(o) => (thousands(o.applied), thousands(o.granted), thousands(o.breaches_indicated)),
            None => ("not held".into(), "not held".into(), "not held".into()),
        };
        match (analysed, f.breaches_found) {
            (true, Some(n)) => writeln!(s, "| {y} | {stalking} | {a} | {g} | {b} | {} |", thousands(n)).unwrap(),
            (true, None) => writeln!(s, "| {y} | {stalking} | {a} | {g} | {b} | not held |").unwrap(),
            (false, _) => writeln!(s, "| {y} | {stalking} | {a} | {g} | {b} |").unwrap(),
        }
    }
    writeln!(s).unwrap();
    notes.push(
        "Stalking is Home Office offence code 8Q, including the finer classifications mapped onto it \
         (8/65 stalking involving fear of violence, 8/66 stalking involving serious alarm or distress, 195/12 \
         course of conduct amounting to stalking)."
            .into(),
    );
    if orders {
        notes.push(
            "SPOs include interim orders; applications are counted by the date applied for, grants by the date \
             granted. Breaches are counted where an incident's offence description or narrative names a breach \
             of a stalking protection order: the records have no breach field, so the figure is a lower bound."
                .into(),
        );
    } else {
        notes.push(
            "The Home Office's published tables do not hold stalking protection orders or their breaches; \
             those figures would come from the force's own orders records, which were not supplied."
                .into(),
        );
    }
    if analysed {
        notes.push(format!("{BREACHES_FOUND_NOTE} They are not a recorded figure and are never added to the breaches recorded: a report may be counted in either, both or neither."));
    }
    if suppressed > 0 {
        notes.push(format!("{suppressed} published cells were suppressed (`..`); figures that include them are lower bounds."));
    }
    let april_2020 = CHANGES.iter().find(|c| c.from == (2020, 1)).expect("the April 2020 change is listed");
    if april_2020.separates(years[0], years[2]) || years[0].start() < april_2020.quarter() {
        notes.push(april_2020.caveat.to_string());
    }
    writeln!(s, "### Notes\n").unwrap();
    for n in notes {
        writeln!(s, "- {n}").unwrap();
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use conduct_domain::OffenceCode;
    use conduct_stats::{Count, FinancialQuarter};

    #[test]
    fn three_years_with_the_april_2020_caveat_only_when_it_applies() {
        let mut t = Tables::new();
        let f = Force::resolve("Kent").unwrap();
        for i in FinancialQuarter::new(2018, 1).unwrap().index()..=FinancialQuarter::new(2023, 2).unwrap().index() {
            t.add_recorded(f, FinancialQuarter::from_index(i), &OffenceCode::parse("8Q").unwrap(), Count::Value(100));
        }
        let s = foi(&t, f, &FoiOptions::default()).unwrap();
        assert!(s.contains("2020/21, 2021/22 and 2022/23"), "{s}");
        assert!(s.contains("| 2022/23 | 400 | not held | not held | not held |"), "{s}");
        assert!(!s.contains("April 2020"));
        let s = foi(&t, f, &FoiOptions { latest_year: Some(2020) }).unwrap();
        assert!(s.contains("2018/19, 2019/20 and 2020/21"));
        assert!(s.contains("From about April 2020"), "{s}");
    }

    fn kent_tables() -> (Tables, Force) {
        let mut t = Tables::new();
        let f = Force::resolve("Kent").unwrap();
        t.add_recorded(f, FinancialQuarter::new(2022, 1).unwrap(), &OffenceCode::parse("8Q").unwrap(), Count::Value(1));
        (t, f)
    }

    /// Regression: `conduct report foi --year 1000/01` panicked; the answer's three years would
    /// start at 998/99, before any date Conduct can hold. The library now refuses such a year
    /// itself (the command line checks it first), and an `i32::MIN` year no longer overflows.
    #[test]
    fn foi_year_1000_01_panicked() {
        let (t, f) = kent_tables();
        for y in [1000, 1001, 9999, i32::MIN, i32::MAX, -1, 0] {
            let e = foi(&t, f, &FoiOptions { latest_year: Some(y) }).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::Period(_)), "{y}: {e}");
            assert!(e.to_string().contains("1000 to 9999"), "{y}: {e}");
        }
        assert!(foi(&t, f, &FoiOptions { latest_year: Some(1002) }).is_ok());
        assert!(foi(&t, f, &FoiOptions { latest_year: Some(9998) }).is_ok());
    }

    use proptest::prelude::*;

    proptest! {
        /// Any latest year: an answer exactly when its three years lie within the supported
        /// years, otherwise an error, never a panic.
        #[test]
        fn any_latest_year_answers_or_is_refused(y in prop_oneof![any::<i32>(), 990i32..10_010]) {
            let (t, f) = kent_tables();
            let r = foi(&t, f, &FoiOptions { latest_year: Some(y) });
            prop_assert_eq!(r.is_ok(), (1002..=9998).contains(&y), "{}", y);
        }
    }
}

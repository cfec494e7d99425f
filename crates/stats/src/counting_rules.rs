//! Changes in how forces recorded stalking and harassment that move the published numbers, so
//! that stories can warn and charts can mark the break. Dates and wording follow
//! `reference/domain.md`; where the reference marks a rule's wording unconfirmed, the text says
//! "about" and the list is data here, not logic spread through the reports.

use crate::period::{FinancialQuarter, Period};

/// One change in recording practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountingRuleChange {
    /// The first financial quarter recorded under the new practice (financial year, quarter).
    pub from: (i32, u32),
    /// A short label for charts.
    pub label: &'static str,
    /// A sentence for caveats.
    pub caveat: &'static str,
}

impl CountingRuleChange {
    /// The first quarter under the new practice.
    pub fn quarter(self) -> FinancialQuarter {
        FinancialQuarter::new(self.from.0, self.from.1).expect("valid quarter")
    }

    /// Whether comparing `a` with `b` (either order) crosses this change, or either period
    /// straddles it.
    pub fn separates(self, a: Period, b: Period) -> bool {
        let q = self.quarter();
        let (first, last) = if a.start() <= b.start() { (a, b) } else { (b, a) };
        first.start() < q && last.end() >= q
    }
}

/// The known changes, oldest first.
pub const CHANGES: [CountingRuleChange; 3] = [
    CountingRuleChange {
        from: (2017, 1),
        label: "2017/18: S&H recorded in addition to other crimes",
        caveat: "Since about 2017/18 stalking and harassment offences have been recorded in addition to \
                 other crimes in the same incident, which raised the numbers; comparisons across that \
                 change are not like for like.",
    },
    CountingRuleChange {
        from: (2020, 1),
        label: "April 2020: domestic-abuse harassment recorded as stalking",
        caveat: "From about April 2020 forces recorded harassment in a domestic-abuse context as \
                 stalking; national stalking reports roughly tripled, so stalking and harassment \
                 figures before and after April 2020 are not directly comparable.",
    },
    CountingRuleChange {
        from: (2023, 1),
        label: "2023/24: principal crime rule review",
        caveat: "A 2023 review of the counting rules narrowed the recording of stalking and \
                 harassment in addition to other crimes (the principal crime rule), which may lower \
                 later figures.",
    },
];

/// The first financial quarter of comparable recorded-crime figures, as (financial year,
/// quarter): the National Crime Recording Standard came in from April 2002, and published
/// stories call a figure "the highest since comparable records began in 2002/03"
/// (`reference/domain.md`). A period starting before it is never compared with one after.
pub const COMPARABLE_RECORDS_BEGAN: (i32, u32) = (2002, 1);

/// [`COMPARABLE_RECORDS_BEGAN`] as a quarter.
pub fn comparable_records_began() -> FinancialQuarter {
    FinancialQuarter::new(COMPARABLE_RECORDS_BEGAN.0, COMPARABLE_RECORDS_BEGAN.1).expect("valid quarter")
}

/// The changes that separate two periods (or fall within either).
pub fn separating(a: Period, b: Period) -> Vec<CountingRuleChange> {
    CHANGES.iter().copied().filter(|c| c.separates(a, b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn april_2020_separates_periods_across_it() {
        let p = Period::parse("year to September 2023").unwrap();
        let labels = |v: Vec<CountingRuleChange>| v.iter().map(|c| c.from).collect::<Vec<_>>();
        assert_eq!(labels(separating(p, p.earlier(1))), [(2023, 1)]);
        assert_eq!(labels(separating(p, p.earlier(9))), [(2017, 1), (2020, 1), (2023, 1)]);
        let fy = Period::financial_year(2021);
        assert!(separating(fy, fy.earlier(1)).is_empty());
    }
}

//! Derived figures for a force, or for England and Wales, over a [`Period`]: counts per offence
//! class, the change on the year before, the average per day, the n-fold change against k years
//! earlier, outcome rates for offences recorded in the period, protective orders, and — for
//! national figures — the forces missing from the total.
//!
//! Every rate here is *for offences recorded in the period*: outcomes assigned to offences
//! recorded in the period ÷ offences recorded in it — unless the outcomes were read by the
//! quarter investigations closed ([`OutcomeBasis::Closed`], `--outcomes-by closed`), when the
//! numerator is the outcomes of investigations closed in the period and the rate says so. A
//! [`Rate`] carries its numerator and denominator and says in words which it uses. Forces that supplied no outcome
//! data are left out of both sides of a national rate and listed.

use std::collections::BTreeMap;

use conduct_domain::{Force, OffenceClass, OutcomeType};

use crate::period::Period;
use crate::tables::{OffenceIndex, OrderTally, OutcomeBasis, STALKING_AND_HARASSMENT_CLASSES, Tables, Tally};

/// Whose figures: one force, or England and Wales (the 44 forces, never non-force bodies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Area {
    /// One police force.
    Force(Force),
    /// England and Wales: every police force present in the tables.
    National,
}

impl Area {
    /// The name as reports write it.
    pub fn name(self) -> &'static str {
        match self {
            Area::Force(f) => f.name(),
            Area::National => "England and Wales",
        }
    }
}

/// A share: numerator ÷ denominator, with the denominator named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Outcomes counted.
    pub numerator: Tally,
    /// Offences recorded.
    pub denominator: Tally,
    /// Which denominator, in words ("harassment offences recorded in the year to September
    /// 2023"), followed by the numerator's basis when outcomes are counted by the quarter the
    /// investigation closed.
    pub denominator_is: String,
}

impl Rate {
    /// The share in per cent, or `None` when nothing was recorded.
    pub fn percent(&self) -> Option<f64> {
        (self.denominator.count > 0).then(|| 100.0 * self.numerator.count as f64 / self.denominator.count as f64)
    }
}

/// The change from one count to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    /// The earlier count.
    pub before: u64,
    /// The later count.
    pub now: u64,
}

impl Change {
    /// The difference, now − before.
    pub fn difference(self) -> i64 {
        self.now as i64 - self.before as i64
    }

    /// The difference as a percentage of the earlier count; `None` when that was zero.
    pub fn percent(self) -> Option<f64> {
        (self.before > 0).then(|| 100.0 * self.difference() as f64 / self.before as f64)
    }

    /// How many times the earlier count the later one is; `None` when the earlier was zero.
    pub fn fold(self) -> Option<f64> {
        (self.before > 0).then(|| self.now as f64 / self.before as f64)
    }
}

/// Figures for one area and period.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    /// Whose figures.
    pub area: Area,
    /// The period.
    pub period: Period,
    /// Offences recorded, by class.
    pub recorded: BTreeMap<OffenceClass, Tally>,
    /// Outcomes assigned to offences recorded in the period, by offence class and outcome type.
    pub outcomes: BTreeMap<(OffenceClass, OutcomeType), Tally>,
    /// Offences recorded in the period by the forces that supplied outcomes: the denominator of
    /// every rate (equal to `recorded` when every force supplied outcomes).
    pub recorded_with_outcomes: BTreeMap<OffenceClass, Tally>,
    /// Quarters of the period with any recorded-crime data (for a force: 0–4).
    pub quarters_with_data: usize,
    /// National figures: forces with no recorded-crime data for the period.
    pub missing_forces: Vec<Force>,
    /// National figures: forces with data for some but not all quarters of the period.
    pub incomplete_forces: Vec<Force>,
    /// Forces with recorded crime in the period but no outcome data for it.
    pub forces_without_outcomes: Vec<Force>,
    /// Stalking protection orders (with interim orders), when order data was supplied.
    pub orders: Option<OrderTally>,
    /// Which count the outcomes are (the tables').
    pub outcome_basis: OutcomeBasis,
    /// Reports recorded in the period that Conduct's analysis found to breach a stalking
    /// protection order in force ([`OrderTally::breaches_found`]), when the analysis was
    /// supplied: found by analysis, beside (never added to) the recorded
    /// [`OrderTally::breaches_indicated`].
    pub breaches_found: Option<u64>,
}

impl Figures {
    /// Computes the figures of `area` over `period` from the tables.
    pub fn compute(tables: &Tables, area: Area, period: Period) -> Figures {
        let in_area = |f: Force| match area {
            Area::Force(x) => x == f,
            Area::National => f.kind() == conduct_domain::ForceKind::Force,
        };
        // Look cells up by key (force × quarter × offence × outcome type) rather than scanning
        // every cell: a force's figures touch only its own cells.
        let forces: Vec<Force> = match area {
            Area::Force(f) => vec![f],
            Area::National => tables.forces().into_iter().filter(|f| in_area(*f)).collect(),
        };
        let offences = OffenceIndex::try_from(tables.offences().len()).expect("offence indices fit an OffenceIndex");
        let mut recorded: BTreeMap<OffenceClass, Tally> = BTreeMap::new();
        let mut by_force: BTreeMap<Force, (BTreeMap<OffenceClass, Tally>, [bool; 4])> = BTreeMap::new();
        let mut outcomes: BTreeMap<(OffenceClass, OutcomeType), Tally> = BTreeMap::new();
        let mut with_outcomes: std::collections::BTreeSet<Force> = Default::default();
        let quarters = period.quarters();
        for &force in &forces {
            for (qi, &q) in quarters.iter().enumerate() {
                for offence in 0..offences {
                    let Some(cell) = tables.cells.get(&(force, q, offence)) else { continue };
                    let class = tables.class_of(offence);
                    if let Some(t) = cell.recorded {
                        recorded.entry(class).or_default().merge(t);
                        let e = by_force.entry(force).or_default();
                        e.0.entry(class).or_default().merge(t);
                        e.1[qi] = true;
                    }
                    if cell.outcomes.is_some() {
                        with_outcomes.insert(force);
                    }
                    for (o, t) in cell.outcomes() {
                        outcomes.entry((class, o)).or_default().merge(t);
                    }
                }
            }
        }
        let mut recorded_with_outcomes: BTreeMap<OffenceClass, Tally> = BTreeMap::new();
        let mut forces_without_outcomes = Vec::new();
        for (force, (classes, _)) in &by_force {
            if with_outcomes.contains(force) {
                for (c, t) in classes {
                    recorded_with_outcomes.entry(*c).or_default().merge(*t);
                }
            } else {
                forces_without_outcomes.push(*force);
            }
        }
        let mut present = [false; 4];
        for (_, q) in by_force.values() {
            for i in 0..4 {
                present[i] |= q[i];
            }
        }
        let (mut missing_forces, mut incomplete_forces) = (Vec::new(), Vec::new());
        if area == Area::National {
            for f in Force::all() {
                match by_force.get(&f) {
                    None => missing_forces.push(f),
                    Some((_, q)) if !q.iter().all(|x| *x) => incomplete_forces.push(f),
                    Some(_) => {}
                }
            }
        }
        let orders = tables.orders_supplied().then(|| {
            let mut o = OrderTally::default();
            let order_forces: Vec<Force> = match area {
                Area::Force(f) => vec![f],
                Area::National => Force::all().collect(),
            };
            for f in order_forces {
                for q in quarters {
                    if let Some(t) = tables.orders.get(&(f, q)) {
                        o.merge(*t);
                    }
                }
            }
            o
        });
        let breaches_found = tables.breaches_analysed().then(|| {
            let mut n = 0u64;
            for (&(f, q), t) in &tables.orders {
                if in_area(f) && period.contains(q) {
                    n = n.saturating_add(t.breaches_found);
                }
            }
            n
        });
        Figures {
            area,
            period,
            recorded,
            outcomes,
            recorded_with_outcomes,
            quarters_with_data: present.iter().filter(|x| **x).count(),
            missing_forces,
            incomplete_forces,
            forces_without_outcomes,
            orders,
            outcome_basis: tables.outcome_basis,
            breaches_found,
        }
    }

    /// Whether `earlier` can be compared with these figures: it covers all four of its quarters
    /// and, for national figures, the same forces (none missing or part-year that are present
    /// now), so that a change is not an artefact of coverage.
    pub fn comparable_with(&self, earlier: &Figures) -> bool {
        earlier.quarters_with_data == 4 && earlier.missing_forces == self.missing_forces && earlier.incomplete_forces.is_empty()
    }

    /// Offences recorded in the given classes.
    pub fn count(&self, classes: &[OffenceClass]) -> Tally {
        sum(&self.recorded, classes)
    }

    /// Offences recorded in the stalking-and-harassment subgroup (8L, 8M, 8Q, 8R, 8U).
    pub fn stalking_and_harassment(&self) -> Tally {
        self.count(&STALKING_AND_HARASSMENT_CLASSES)
    }

    /// Average offences a day: the count ÷ the days in the period (365 or 366).
    pub fn per_day(&self, classes: &[OffenceClass]) -> f64 {
        self.count(classes).count as f64 / f64::from(self.period.days())
    }

    /// Whether outcomes were supplied for any offence recorded in the period.
    pub fn has_outcomes(&self) -> bool {
        !self.outcomes.is_empty()
    }

    /// Outcomes of the chosen types assigned to offences of the given classes.
    pub fn outcome_count(&self, classes: &[OffenceClass], which: impl Fn(OutcomeType) -> bool) -> Tally {
        let mut t = Tally::default();
        for ((c, o), n) in &self.outcomes {
            if classes.contains(c) && which(*o) {
                t.merge(*n);
            }
        }
        t
    }

    /// The share of offences of the given classes recorded in the period that were assigned an
    /// outcome of the chosen types; `None` when no outcome data covers the period.
    pub fn rate(&self, classes: &[OffenceClass], which: impl Fn(OutcomeType) -> bool) -> Option<Rate> {
        if !self.has_outcomes() {
            return None;
        }
        let what = if classes == STALKING_AND_HARASSMENT_CLASSES {
            "stalking and harassment".to_string()
        } else {
            classes.iter().map(|c| c.label().to_lowercase()).collect::<Vec<_>>().join(" and ")
        };
        let mut denominator_is = format!("{what} offences recorded in {}", self.period.in_words());
        if !self.forces_without_outcomes.is_empty() {
            denominator_is.push_str(" by the forces that supplied outcomes");
        }
        if self.outcome_basis == OutcomeBasis::Closed {
            denominator_is.push_str("; outcomes of investigations closed in the period, whenever the offence was recorded");
        }
        Some(Rate {
            numerator: self.outcome_count(classes, which),
            denominator: sum(&self.recorded_with_outcomes, classes),
            denominator_is,
        })
    }

    /// Charge or summons (outcome type 1) as a share of offences recorded in the period.
    pub fn charge_rate(&self, classes: &[OffenceClass]) -> Option<Rate> {
        self.rate(classes, OutcomeType::is_charge_or_summons)
    }

    /// Victim does not support action (outcome types 14 and 16) as a share of offences
    /// recorded in the period.
    pub fn victim_does_not_support_rate(&self, classes: &[OffenceClass]) -> Option<Rate> {
        self.rate(classes, OutcomeType::is_victim_does_not_support)
    }

    /// Every published outcome group (type 0, not yet assigned, included last) with its rate,
    /// in outcome-type order of each group's first type.
    pub fn outcome_groups(&self, classes: &[OffenceClass]) -> Vec<(&'static str, Rate)> {
        let mut groups: Vec<&'static str> = Vec::new();
        for o in OutcomeType::all().filter(|o| o.is_assigned()).chain(OutcomeType::new(0)) {
            if !groups.contains(&o.group()) {
                groups.push(o.group());
            }
        }
        groups.into_iter().filter_map(|g| self.rate(classes, |o| o.group() == g).map(|r| (g, r))).collect()
    }
}

/// Where a count stands against the same period of earlier years: how far back comparable
/// figures go, and the latest earlier year that was at least as high ("the highest since…").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    /// The count now.
    pub now: Tally,
    /// Earlier years compared, nearest first: each a year before the last, with the same
    /// coverage ([`Figures::comparable_with`]) and starting no earlier than comparable records
    /// began ([`crate::counting_rules::COMPARABLE_RECORDS_BEGAN`]).
    pub compared: Vec<(Period, Tally)>,
    /// Whether the comparison reaches back to when comparable records began: the year before
    /// the earliest compared would start before them (so nothing comparable is left out).
    pub from_records_began: bool,
}

impl Standing {
    /// The latest earlier year whose count was at least the count now; `None` when the count
    /// now is the highest of every year compared.
    pub fn last_at_least(&self) -> Option<&(Period, Tally)> {
        self.compared.iter().find(|(_, t)| t.count >= self.now.count)
    }

    /// Whether the count now is above every earlier year compared (and there was one).
    pub fn is_highest(&self) -> bool {
        !self.compared.is_empty() && self.last_at_least().is_none()
    }

    /// The earliest year compared.
    pub fn earliest(&self) -> Option<Period> {
        self.compared.last().map(|(p, _)| *p)
    }
}

impl Figures {
    /// Where the count of `classes` in these figures stands against the same period of each
    /// earlier year, walking back while the years are comparable (all four quarters, the same
    /// forces) and no earlier than comparable records began. Counting-rule changes between the
    /// years are not a stop: published stories compare across them and say so
    /// ([`crate::counting_rules::separating`]).
    pub fn standing(&self, tables: &Tables, classes: &[OffenceClass]) -> Standing {
        let began = crate::counting_rules::comparable_records_began();
        let mut compared = Vec::new();
        let mut from_records_began = false;
        for k in 1u32.. {
            let Ok(p) = self.period.earlier(k).check() else { break };
            if p.start() < began {
                from_records_began = true;
                break;
            }
            let f = Figures::compute(tables, self.area, p);
            if !self.comparable_with(&f) {
                break;
            }
            compared.push((p, f.count(classes)));
        }
        Standing { now: self.count(classes), compared, from_records_began }
    }
}

/// One quarter of an area's series, for trend charts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuarterFigures {
    /// Offences recorded in the quarter, by class.
    pub recorded: BTreeMap<OffenceClass, Tally>,
    /// Stalking-and-harassment offences recorded in the quarter by forces that supplied outcomes.
    pub recorded_with_outcomes: Tally,
    /// Charges/summonses for S&H offences recorded in the quarter.
    pub charges: Tally,
    /// Victim-does-not-support outcomes (14, 16) for S&H offences recorded in the quarter.
    pub victim_does_not_support: Tally,
}

/// The quarter-by-quarter series of an area, over every quarter the tables hold for it.
pub fn quarterly(tables: &Tables, area: Area) -> BTreeMap<crate::period::FinancialQuarter, QuarterFigures> {
    let in_area = |f: Force| match area {
        Area::Force(x) => x == f,
        Area::National => f.kind() == conduct_domain::ForceKind::Force,
    };
    let mut out: BTreeMap<crate::period::FinancialQuarter, QuarterFigures> = BTreeMap::new();
    let mut with_outcomes = std::collections::HashSet::new();
    for (&(force, q, offence), cell) in &tables.cells {
        if !in_area(force) {
            continue;
        }
        let class = tables.class_of(offence);
        if cell.outcomes.is_some() && class.is_stalking_or_harassment() {
            with_outcomes.insert((force, q));
        }
        let e = out.entry(q).or_default();
        if let Some(t) = cell.recorded {
            e.recorded.entry(class).or_default().merge(t);
        }
        if class.is_stalking_or_harassment() {
            for (o, t) in cell.outcomes() {
                if o.is_charge_or_summons() {
                    e.charges.merge(t);
                }
                if o.is_victim_does_not_support() {
                    e.victim_does_not_support.merge(t);
                }
            }
        }
    }
    for (&(force, q, offence), cell) in &tables.cells {
        if let (true, Some(t)) = (in_area(force) && with_outcomes.contains(&(force, q)), cell.recorded) {
            if tables.class_of(offence).is_stalking_or_harassment() {
                out.entry(q).or_default().recorded_with_outcomes.merge(t);
            }
        }
    }
    out
}

fn sum(m: &BTreeMap<OffenceClass, Tally>, classes: &[OffenceClass]) -> Tally {
    let mut t = Tally::default();
    for c in classes {
        if let Some(x) = m.get(c) {
            t.merge(*x);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::FinancialQuarter;
    use crate::tables::Count;
    use conduct_domain::OffenceCode;

    #[test]
    fn rates_divide_outcomes_of_offences_recorded_in_the_period() {
        let mut t = Tables::new();
        let f = Force::resolve("Merseyside").unwrap();
        let d = Force::resolve("Devon & Cornwall").unwrap();
        let h = OffenceCode::parse("8L").unwrap();
        let p = Period::parse("year to September 2023").unwrap();
        for q in p.quarters() {
            t.add_recorded(f, q, &h, Count::Value(100));
            t.add_recorded(d, q, &h, Count::Value(50));
            t.add_outcome(f, q, &h, OutcomeType::new(1).unwrap(), Count::Value(5));
        }
        // Outside the period: not counted.
        t.add_outcome(f, FinancialQuarter::new(2023, 3).unwrap(), &h, OutcomeType::new(1).unwrap(), Count::Value(99));
        let m = Figures::compute(&t, Area::Force(f), p);
        assert_eq!(m.count(&[OffenceClass::Harassment]).count, 400);
        let r = m.charge_rate(&[OffenceClass::Harassment]).unwrap();
        assert_eq!((r.numerator.count, r.denominator.count), (20, 400));
        assert_eq!(r.percent(), Some(5.0));
        assert!((m.per_day(&[OffenceClass::Harassment]) - 400.0 / 365.0).abs() < 1e-12);
        let n = Figures::compute(&t, Area::National, p);
        assert_eq!(n.count(&[OffenceClass::Harassment]).count, 600);
        assert_eq!(n.forces_without_outcomes, [d]);
        let r = n.charge_rate(&[OffenceClass::Harassment]).unwrap();
        assert_eq!(r.denominator.count, 400, "Devon and Cornwall supplied no outcomes: left out of the rate");
        assert!(r.denominator_is.contains("forces that supplied outcomes"));
        assert_eq!(n.missing_forces.len(), 42);
        assert!(Figures::compute(&t, Area::Force(d), p).charge_rate(&[OffenceClass::Harassment]).is_none());
    }

    #[test]
    fn change_and_fold() {
        let c = Change { before: 10_477, now: 10_056 };
        assert_eq!(c.difference(), -421);
        assert!((c.percent().unwrap() + 4.018).abs() < 0.001);
        assert!(Change { before: 890, now: 10_056 }.fold().unwrap() > 11.0);
        assert_eq!(Change { before: 0, now: 5 }.percent(), None);
    }

    /// Harassment in every force from April 2002: the year to September 2023 is the highest
    /// since comparable records began, unless an earlier year matched it; a force missing from
    /// an earlier year stops the comparison there.
    #[test]
    fn standing_walks_back_to_when_comparable_records_began() {
        let h = OffenceCode::parse("8L").unwrap();
        let p = Period::parse("year to September 2023").unwrap();
        let build = |peak: Option<i32>, gap: Option<Force>| {
            let mut t = Tables::new();
            for f in Force::all() {
                for i in FinancialQuarter::new(2002, 1).unwrap().index()..=FinancialQuarter::new(2023, 2).unwrap().index() {
                    let q = FinancialQuarter::from_index(i);
                    if gap == Some(f) && q.year() == 2010 {
                        continue;
                    }
                    // Rising by one a quarter; a peak year matches the latest year's count.
                    let n = if peak.is_some_and(|y| Period::year_to(FinancialQuarter::new(y, 2).unwrap()).contains(q)) {
                        (i - FinancialQuarter::new(2002, 1).unwrap().index()) as u64 + 100
                    } else {
                        (i - FinancialQuarter::new(2002, 1).unwrap().index()) as u64
                    };
                    t.add_recorded(f, q, &h, Count::Value(n));
                }
            }
            t
        };
        let t = build(None, None);
        let now = Figures::compute(&t, Area::National, p);
        let s = now.standing(&t, &[OffenceClass::Harassment]);
        assert!(s.is_highest() && s.from_records_began, "{s:?}");
        // Years to September 2022 back to 2003: the year to September 2003 starts in 2002/03 Q3.
        assert_eq!(s.compared.len(), 20);
        assert_eq!(s.earliest().unwrap().to_string(), "year to September 2003");
        // A year as high as now: the highest since then, not since records began.
        let t = build(Some(2016), None);
        let s = Figures::compute(&t, Area::National, p).standing(&t, &[OffenceClass::Harassment]);
        assert!(!s.is_highest());
        assert_eq!(s.last_at_least().unwrap().0.to_string(), "year to September 2016");
        // A force missing in 2010/11: the years before are not comparable and are not claimed.
        let kent = Force::resolve("Kent").unwrap();
        let t = build(None, Some(kent));
        let s = Figures::compute(&t, Area::National, p).standing(&t, &[OffenceClass::Harassment]);
        assert!(s.is_highest() && !s.from_records_began, "{s:?}");
        assert_eq!(s.earliest().unwrap().to_string(), "year to September 2012");
    }
}

//! Protective-order breaches: a report whose suspect is an order's subject and whose victim is its
//! protected person, about conduct on a day the order was granted and unexpired.
//!
//! The order's subject and protected person are the resolved suspect and victim of the incident
//! the application arose from (data contract). An order with no expiry date is taken to be in force
//! (a full SPO lasts at least two years or until a further order). Conduct on the expiry day is a
//! breach; the day after is not. Refused or withdrawn orders, and orders never granted, protect
//! nobody. Contact through a third party is not detected: the contract carries no field that shows
//! it, and guessing from narratives would name people wrongly.

use crate::HashMap;

use conduct_domain::{Date, Force, OrderStatus};
use conduct_domain::{Incident, Order};

use crate::build::{Courses, PersonIndex, conduct_day};

/// A report that may breach an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breach {
    /// Index of the order in the orders given.
    pub order: usize,
    /// Index of the incident (the possible breach).
    pub incident: usize,
    /// The subject (suspect).
    pub subject: PersonIndex,
    /// The protected person (victim).
    pub protected: PersonIndex,
}

/// Finds reports that fall within an order's period with its subject as suspect and its protected
/// person as victim.
pub fn find_breaches(incidents: &[Incident], orders: &[Order], found: &Courses) -> Vec<Breach> {
    // The orders that can protect anyone, each with the report it arose from: only their
    // references are looked for among the reports (not every report indexed by reference).
    let in_force: Vec<(usize, &Order, Date)> = orders
        .iter()
        .enumerate()
        .filter(|(_, o)| !matches!(o.status, Some(OrderStatus::Refused | OrderStatus::Withdrawn)))
        .filter_map(|(k, o)| Some((k, o, o.granted_date?)))
        .collect();
    let mut source_of: HashMap<(Force, &str), Option<usize>> =
        in_force.iter().map(|(_, o, _)| ((o.force, o.incident_ref.as_str()), None)).collect();
    for (i, r) in incidents.iter().enumerate() {
        if let Some(slot) = source_of.get_mut(&(r.force, r.incident_ref.as_str())) {
            // The last report of a reference, as an index of every report kept (references are
            // unique within a force: there is one).
            *slot = Some(i);
        }
    }
    // Reports by (suspect, victim), for the pairs some order names only.
    let mut by_pair: HashMap<(PersonIndex, PersonIndex), Vec<usize>> = HashMap::default();
    for &(_, o, _) in &in_force {
        if let Some(Some(source)) = source_of.get(&(o.force, o.incident_ref.as_str())) {
            for &s in &found.suspects[*source] {
                for &v in &found.victims[*source] {
                    by_pair.entry((s, v)).or_default();
                }
            }
        }
    }
    if !by_pair.is_empty() {
        for i in 0..incidents.len() {
            for &s in &found.suspects[i] {
                for &v in &found.victims[i] {
                    if let Some(reports) = by_pair.get_mut(&(s, v)) {
                        reports.push(i);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (o, order, granted) in in_force {
        let Some(&Some(source)) = source_of.get(&(order.force, order.incident_ref.as_str())) else { continue };
        let (from, to) = (granted.days_since_epoch(), order.expires_date.map_or(i32::MAX, |e| e.days_since_epoch()));
        for &subject in &found.suspects[source] {
            for &protected in &found.victims[source] {
                let Some(reports) = by_pair.get(&(subject, protected)) else { continue };
                for &i in reports {
                    let d = conduct_day(&incidents[i]);
                    if i != source && d >= from && d <= to {
                        out.push(Breach { order: o, incident: i, subject, protected });
                    }
                }
            }
        }
    }
    out.sort_by_key(|b| (b.incident, b.order));
    out.dedup_by_key(|b| (b.incident, b.order));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use conduct_domain::{OffenceCode, OrderType};

    /// The rule as the module states it, every order against every report, with no index.
    fn by_the_rule(incidents: &[Incident], orders: &[Order], found: &Courses) -> Vec<Breach> {
        let mut out = Vec::new();
        for (o, order) in orders.iter().enumerate() {
            if matches!(order.status, Some(OrderStatus::Refused | OrderStatus::Withdrawn)) {
                continue;
            }
            let Some(granted) = order.granted_date else { continue };
            let Some(source) = incidents.iter().rposition(|r| r.force == order.force && r.incident_ref == order.incident_ref) else {
                continue;
            };
            let (from, to) = (granted.days_since_epoch(), order.expires_date.map_or(i32::MAX, |e| e.days_since_epoch()));
            for (i, r) in incidents.iter().enumerate() {
                let d = conduct_day(r);
                if i == source || d < from || d > to {
                    continue;
                }
                for &subject in &found.suspects[source] {
                    for &protected in &found.victims[source] {
                        if found.suspects[i].contains(&subject) && found.victims[i].contains(&protected) {
                            out.push(Breach { order: o, incident: i, subject, protected });
                        }
                    }
                }
            }
        }
        out.sort_by_key(|b| (b.incident, b.order));
        out.dedup_by_key(|b| (b.incident, b.order));
        out
    }

    /// Small adversarial worlds (two forces sharing every reference, a reference given twice
    /// in a force, the same people on both sides of many reports, orders of every status, with
    /// and without dates): the breaches found are those of the rule written plainly.
    #[test]
    fn breaches_are_those_of_the_rule_on_small_adversarial_worlds() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let forces = [Force::resolve("Kent").unwrap(), Force::resolve("Essex").unwrap()];
        let day = |d: u64| Date::from_days_since_epoch(19_000 + d as i32);
        let mut found_any = 0;
        for _ in 0..3000 {
            let n = 1 + next(25) as usize;
            let incidents: Vec<Incident> = (0..n)
                .map(|_| {
                    let force = forces[next(2) as usize];
                    let incident_ref = format!("{}", next(9));
                    let recorded_date = day(next(400));
                    let occurred_date = (next(3) == 0).then(|| day(next(400)));
                    Incident { occurred_date, ..Incident::new(force, &incident_ref, recorded_date, OffenceCode::parse("8L").unwrap()) }
                })
                .collect();
            let mut people = |k: u64| -> Vec<PersonIndex> {
                let mut v: Vec<PersonIndex> = (0..next(k)).map(|_| next(5) as PersonIndex).collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let found = Courses {
                victims: (0..n).map(|_| people(3)).collect(),
                suspects: (0..n).map(|_| people(3)).collect(),
                ..Courses::default()
            };
            let statuses = [
                None,
                Some(OrderStatus::Applied),
                Some(OrderStatus::Granted),
                Some(OrderStatus::Refused),
                Some(OrderStatus::Withdrawn),
                Some(OrderStatus::Expired),
            ];
            let orders: Vec<Order> = (0..next(7))
                .map(|k| Order {
                    force: forces[next(2) as usize],
                    order_ref: format!("O{k}"),
                    order_type: OrderType::Spo,
                    incident_ref: format!("{}", next(10)),
                    applied_date: None,
                    granted_date: (next(4) != 0).then(|| day(next(400))),
                    expires_date: (next(2) == 0).then(|| day(next(500))),
                    status: statuses[next(6) as usize],
                    invalid: Vec::new(),
                })
                .collect();
            let want = by_the_rule(&incidents, &orders, &found);
            found_any += usize::from(!want.is_empty());
            assert_eq!(find_breaches(&incidents, &orders, &found), want);
        }
        assert!(found_any > 100, "the worlds must have breaches to find: {found_any}");
    }
}

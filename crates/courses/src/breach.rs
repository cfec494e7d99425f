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

use conduct_domain::{Force, OrderStatus};
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
    let index: HashMap<(Force, &str), usize> = incidents.iter().enumerate().map(|(i, r)| ((r.force, r.incident_ref.as_str()), i)).collect();
    // Reports by (suspect, victim).
    let mut by_pair: HashMap<(PersonIndex, PersonIndex), Vec<usize>> = HashMap::default();
    for i in 0..incidents.len() {
        for &s in &found.suspects[i] {
            for &v in &found.victims[i] {
                by_pair.entry((s, v)).or_default().push(i);
            }
        }
    }
    let mut out = Vec::new();
    for (o, order) in orders.iter().enumerate() {
        if matches!(order.status, Some(OrderStatus::Refused | OrderStatus::Withdrawn)) {
            continue;
        }
        let Some(granted) = order.granted_date else { continue };
        let Some(&source) = index.get(&(order.force, order.incident_ref.as_str())) else { continue };
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

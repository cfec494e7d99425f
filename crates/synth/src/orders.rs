//! Protective orders (SPO, interim SPO, restraining, non-molestation, DVPO) arising from a
//! course's incident, with realistic application, grant and expiry dates.

use conduct_domain::{OrderStatus, OrderType};

use crate::dates::{END, SPO_START};
use crate::rng::Rng;

/// One order application.
pub(crate) struct Order {
    pub force: u8,
    pub otype: OrderType,
    /// Index of the incident the application arose from.
    pub incident: u32,
    pub applied: i32,
    pub granted: Option<i32>,
    pub expires: Option<i32>,
    pub status: OrderStatus,
    /// Sequence number within the force, assigned before writing.
    pub seq: u32,
}

impl Order {
    /// The window in which conduct by the subject towards the protected person is a breach.
    pub(crate) fn in_force(&self, day: i32) -> bool {
        match (self.granted, self.status) {
            (Some(g), OrderStatus::Granted | OrderStatus::Expired) => day >= g && self.expires.is_none_or(|e| day <= e),
            _ => false,
        }
    }
}

/// Draws an order for a course report dated `day`, if the dates allow one.
pub(crate) fn draw(rng: &mut Rng, force: u8, incident: u32, day: i32, domestic: bool) -> Option<Order> {
    let spo_era = day >= SPO_START;
    let x = rng.f();
    let otype = if spo_era {
        if x < 0.35 {
            OrderType::Spo
        } else if x < 0.5 {
            OrderType::InterimSpo
        } else if x < 0.7 || !domestic {
            OrderType::RestrainingOrder
        } else if x < 0.85 {
            OrderType::NonMolestationOrder
        } else {
            OrderType::Dvpo
        }
    } else if x < 0.45 || !domestic {
        OrderType::RestrainingOrder
    } else if x < 0.75 {
        OrderType::NonMolestationOrder
    } else {
        OrderType::Dvpo
    };
    let quick = matches!(otype, OrderType::InterimSpo | OrderType::Dvpo);
    let applied = day + if quick { rng.range(0, 3) } else { rng.range(2, 40) } as i32;
    if applied > END {
        return None;
    }
    let mut order = Order { force, otype, incident, applied, granted: None, expires: None, status: OrderStatus::Applied, seq: 0 };
    let decided = applied + if quick { rng.range(0, 3) } else { rng.range(7, 60) } as i32;
    if decided > END {
        return Some(order); // still pending at extract
    }
    let y = rng.f();
    if y < 0.10 {
        order.status = OrderStatus::Refused;
        return Some(order);
    }
    if y < 0.20 {
        order.status = OrderStatus::Withdrawn;
        return Some(order);
    }
    order.granted = Some(decided);
    let length = match otype {
        OrderType::Spo => rng.range(730, 1826),
        OrderType::InterimSpo => rng.range(28, 120),
        OrderType::RestrainingOrder if rng.chance(0.07) => -1,
        OrderType::RestrainingOrder => rng.range(365, 1826),
        OrderType::NonMolestationOrder => rng.range(180, 365),
        OrderType::Dvpo => rng.range(14, 28),
        OrderType::Other => rng.range(180, 730),
    } as i32;
    if length >= 0 {
        let e = decided + length;
        order.expires = Some(e);
        order.status = if e < END { OrderStatus::Expired } else { OrderStatus::Granted };
    } else {
        order.status = OrderStatus::Granted;
    }
    Some(order)
}

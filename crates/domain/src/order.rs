//! Protective orders: Stalking Protection Orders and the other orders that protect a victim.

use std::fmt;

/// The kind of protective order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderType {
    /// Stalking Protection Order (Stalking Protection Act 2019).
    Spo,
    /// Interim Stalking Protection Order.
    InterimSpo,
    /// Restraining order (Protection from Harassment Act 1997 s.5 / Sentencing Act).
    RestrainingOrder,
    /// Non-molestation order (Family Law Act 1996).
    NonMolestationOrder,
    /// Domestic Violence Protection Order.
    Dvpo,
    /// Any other order.
    Other,
}

impl OrderType {
    /// Reads an order type, case-insensitively, accepting common abbreviations.
    pub fn parse(s: &str) -> Option<OrderType> {
        let n: String = s.trim().to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect();
        Some(match n.split_whitespace().collect::<Vec<_>>().join(" ").as_str() {
            "spo" | "stalking protection order" => OrderType::Spo,
            "interim spo" | "ispo" | "interim stalking protection order" => OrderType::InterimSpo,
            "restraining order" | "ro" => OrderType::RestrainingOrder,
            "non molestation order" | "nmo" => OrderType::NonMolestationOrder,
            "dvpo" | "domestic violence protection order" => OrderType::Dvpo,
            "other" => OrderType::Other,
            _ => return None,
        })
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Spo => "SPO",
            OrderType::InterimSpo => "interim SPO",
            OrderType::RestrainingOrder => "restraining order",
            OrderType::NonMolestationOrder => "non-molestation order",
            OrderType::Dvpo => "DVPO",
            OrderType::Other => "other",
        }
    }

    /// Whether this is a full or interim Stalking Protection Order.
    pub fn is_spo(self) -> bool {
        matches!(self, OrderType::Spo | OrderType::InterimSpo)
    }
}

impl fmt::Display for OrderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    /// Applied for, not yet decided.
    Applied,
    /// Granted by the court.
    Granted,
    /// Refused by the court.
    Refused,
    /// Application withdrawn.
    Withdrawn,
    /// Past its end.
    Expired,
}

impl OrderStatus {
    /// Reads a status, case-insensitively.
    pub fn parse(s: &str) -> Option<OrderStatus> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "applied" | "pending" => OrderStatus::Applied,
            "granted" | "made" | "active" => OrderStatus::Granted,
            "refused" | "dismissed" => OrderStatus::Refused,
            "withdrawn" => OrderStatus::Withdrawn,
            "expired" => OrderStatus::Expired,
            _ => return None,
        })
    }

    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Applied => "applied",
            OrderStatus::Granted => "granted",
            OrderStatus::Refused => "refused",
            OrderStatus::Withdrawn => "withdrawn",
            OrderStatus::Expired => "expired",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

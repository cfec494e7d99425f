//! Courses of conduct (Protection from Harassment Act 1997 s.7: conduct on at least two
//! occasions): which reports belong together because the same resolved suspect targets the same
//! resolved victim, in any force; which of those the force never linked (hidden repeats); which
//! cross forces; which look like stalking; which breach a protective order; and the order in
//! which a reviewer should look at them, each with its reasons in plain words.
//!
//! Input is the contract's incidents, people and orders plus a person id for every people row
//! (from person linkage, or a `persons.csv`). The rules are documented on each function and in
//! `DESIGN.md`; nothing here is a black-box score.

/// The hash maps of the course rules: keyed by row indexes, person numbers and references of the
/// caller's own data, so a fast fixed hash (foldhash) serves; nothing depends on their order.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

mod breach;
mod build;
pub mod early_warning;
mod error;
pub mod eval;
pub mod narrative;
mod output;
mod signals;
#[cfg(test)]
mod tests;
mod triage;
mod withdrawal;

pub use breach::{Breach, find_breaches};
pub use build::{Course, Courses, Options, PersonIndex, PersonsOf, Suspect, find_courses, span};
pub use error::{Error, ErrorKind};
pub use output::{ForceRepeats, Found, PersonName, hidden_by_force};
pub use signals::{Escalation, HiddenStalking, Sighting, StalkingSignals, escalation, stalking_signals};
pub use triage::{ListSizes, Priority, QUIET_DAYS, RECENT_DAYS, Review, Standing, StandingOrder, force_holds, triage, triage_sized};
pub use withdrawal::{ForceWithdrawals, Withdrawal, victim_withdrew, withdrawal, withdrawals_by_force};

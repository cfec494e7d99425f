//! Conduct's domain vocabulary, in the words police and the Home Office use.
//!
//! Every other crate speaks in these types: a [`Force`] (one of the 43 territorial forces of
//! England and Wales, or British Transport Police), an [`OffenceCode`] (Home Office codes, with
//! finer codes mapped onto the stalking-and-harassment subgroup), an [`OutcomeType`] (0–22),
//! a [`Role`], a protective [`OrderType`] and [`OrderStatus`], and a calendar [`Date`].
//! The records made of them — an [`Incident`], a person's [`Involvement`] in it, a protective
//! [`Order`], a [`RiskAssessment`] (a DASH, S-DASH or SASH screening) — are here too, so a
//! stage that uses records needs no reader.
//! Tables that the reference marks as unconfirmed live in `data/*.csv`, not in `match` arms.
//! [`cell`] holds the one rule that keeps every CSV cell Conduct writes inert in a spreadsheet.
//! A value that does not read as one of these types is the crate's one [`Error`], whose
//! [`ErrorKind`] says what to fix.

pub mod cell;
pub mod cross_force;
mod data;
pub mod date;
mod error;
pub mod force;
pub mod ids;
pub mod offence;
pub mod order;
pub mod outcome;
pub mod record;
pub mod risk;
pub mod role;
pub mod value;

pub use cross_force::OtherForceReport;
pub use date::{Date, PartialDate};
pub use error::{Error, ErrorKind};
pub use force::{Force, ForceKind};
pub use offence::{OffenceClass, OffenceCode};
pub use order::{OrderStatus, OrderType};
pub use outcome::OutcomeType;
pub use record::{Incident, Involvement, Order};
pub use risk::{RiskAssessment, RiskGrade, RiskTool};
pub use role::Role;

/// A record's text as read (a name, a reference, a postcode): held inline up to 24 bytes, so
/// that most fields of the millions of people rows an export holds need no allocation of
/// their own (`compact_str`'s `CompactString`; it reads as a `&str`).
pub type Text = compact_str::CompactString;

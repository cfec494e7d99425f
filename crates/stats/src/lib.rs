//! `conduct-stats`: statistics on stalking and harassment in the Home Office's own table
//! layout, computed the same way from the published tables or from a force's own export.
//!
//! - [`tables`]: the model — recorded crime and outcomes by force, financial quarter and
//!   offence, each cell a [`Tally`] that keeps suppressed (`..`) cells apart from zero.
//! - [`published`]: reads the published tables as CSV, `.ods` or `.xlsx` (every sheet that
//!   holds the table, title rows above the header skipped, either outcome count) and writes
//!   the CSV layout (header aliases, non-force rows, rejected rows with file/sheet/line/column).
//! - [`incidents`]: builds the same tables from incidents and orders read by `conduct-ingest`.
//! - [`period`]: financial quarters and periods ("year to September 2023", "2022/23",
//!   "calendar year 2023").
//! - [`figures`]: derived figures for a force or England and Wales over a period.
//! - [`derived`]: writes those figures as CSV.
//! - [`breaches`]: breaches of stalking protection orders found by `conduct courses`, counted
//!   beside the recorded figure, never in it.
//! - [`counting_rules`]: the recording-practice changes that move the numbers.

pub mod breaches;
pub mod counting_rules;
pub mod derived;
mod error;
pub mod figures;
#[doc(hidden)]
pub mod fuzzing;
pub mod incidents;
pub mod period;
pub mod published;
mod source;
pub mod tables;

pub use error::{Error, ErrorKind};
pub use figures::{Area, Change, Figures, QuarterFigures, Rate, Standing, quarterly};
pub use period::{FinancialQuarter, Period, PeriodKind};
pub use tables::{Count, OrderTally, OutcomeBasis, RecordedAndOutcomes, Source, Tables, Tally};

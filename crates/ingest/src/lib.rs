//! Reads force exports — incidents, people and protective orders — exactly per the data
//! contract, as CSV, JSON Lines or Parquet, and turns every row into either an accepted record
//! or a [`Reject`] naming file, line, column and reason. Nothing is dropped silently: for every
//! file, rows read = accepted + rejected, and a bad *optional* value costs only that value
//! (kept, marked invalid, counted as a [`Warning`]).
//!
//! The readers serve any one file on its own: a people file can be read without an incidents
//! file ([`read_people`]), which is how person linkage reads benchmark files such as FEBRL.
//! [`Ingest`] reads a whole export (incidents, then people, then orders) and checks references
//! between the files.

mod error;
#[doc(hidden)]
pub mod fuzzing;
mod ingest;
mod keys;
mod limits;
mod report;
mod schema;
mod source;
mod thrift_check;
mod validate;

// The records live in `conduct-domain`; re-exported so that callers of this crate compile unchanged.
pub use conduct_domain::{Incident, Involvement, Order};
pub use error::{Error, ErrorKind};
pub use ingest::{Batch, Export, Ingest, Inputs, KnownIncidents, PeopleFile, read_people, read_people_files};
pub use limits::Limits;
pub use report::{FileSummary, Reject, Summary, Tally, Warning, reason_kind, write_rejects, write_warnings};
pub use schema::{Format, Table};
pub use source::{Progress, write_parquet_strings};

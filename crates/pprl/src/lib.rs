//! Cross-force linkage without handing over identities.
//!
//! A force runs [`encode`] on its own people records and sends the hub an encodings file: per
//! record a pseudonym only the force can map back, and keyed Bloom-filter encodings of its
//! identifying fields, with keyed blocking tokens. The hub ([`hub`]) links the encodings of
//! any number of parties without any secret: field-level Dice similarities become evidence by
//! a Fellegi–Sunter model estimated from the encodings themselves (no ground truth, no
//! hand-tuned threshold), and records are clustered allowing several records per person within
//! a party, with a veto against chaining. Each party gets back only the links that touch its
//! own records, and what the other parties sent about the reports of the records linked to
//! them (role, report pseudonym, date, offence codes: [`ReportFacts`]), which the force reads
//! back with its keymap ([`received`]) for cross-force courses of conduct.
//!
//! What the hub can learn, and what the encodings resist, is in `DESIGN.md` ("Cross-force
//! linkage from keyed encodings").

pub mod attack;
pub mod encode;
mod error;
pub mod eval;
pub mod file;
pub mod hub;
pub mod received;
pub mod secret;

pub use encode::{EncodeSummary, Encoder, Hardening, Settings, encode_people, report_facts};
pub use error::{Error, ErrorKind};
pub use file::{Encodings, ReportFacts, read_encodings, write_encodings, write_encodings_with_reports};
pub use hub::{HubOptions, HubReport, HubResult, link_parties, write_links, write_reports};
pub use received::{OtherReports, Received, ReceivedLink, ReceivedReport, read_received};
pub use secret::Secret;

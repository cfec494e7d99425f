//! Incremental linkage: a new batch of people rows joins the population already linked in a
//! workspace, in seconds, and person ids last.
//!
//! The population index lives in the store (schema step 4, `population`): every linked record's
//! person and blocking keys, the model in force, the name counts behind the term-frequency
//! adjustment, and the history of merges and splits. It is written in the same transaction as
//! the people rows it indexes ([`conduct_store::write_transaction`]), so it cannot disagree with
//! them, and a process killed mid-update leaves the previous state. Each record's normalised
//! features ([`conduct_resolve::normalise::normalise`] of its row) are stored too, in the same
//! transaction (schema step 9, `population_features`), so that an update reads its candidates
//! ready to compare; a record indexed before that step has none, and is normalised from its row
//! when an update reads it (its features then stored). The engine that computed the keys is
//! recorded ([`engine`]) so that an index built by a different normalisation or set of blocking
//! rules is refused, not silently mixed.
//!
//! An update ([`update`]):
//! 1. imports the batch's people rows; rows already held unchanged are left alone, changed rows
//!    are handled as new ones whose old person is re-clustered;
//! 2. finds candidates for each new or changed record through the index (new↔existing), by the
//!    same blocking rules as a full link: every member of a block up to the block size cap, the
//!    nearest [`conduct_resolve::block::WINDOW`] on each side in neighbourhood order beyond it;
//! 3. scores them with the model in force and the name counts brought up to date;
//! 4. re-clusters the new records with every record of every person they could join
//!    (new↔new pairs included), by the full link's own clustering
//!    ([`conduct_resolve::cluster_scored`]: strongest first, the anti-chaining veto, the
//!    shared-associate pass, with the persons of the same reports as associates);
//! 5. gives the groups ids by the rule of [`ids`] and records every merge and split.
//!
//! [`verify`] relinks the whole population from scratch and says how far the incremental state
//! has drifted from it; [`retrain`] re-estimates the model, re-links, and keeps ids by the same
//! rule.

mod features;
pub mod ids;
mod index;
mod names;
mod published;
mod update;

use std::fmt;

pub use ids::{PersonNumber, parse_person, person_label};
pub use published::{IdChange, IdChanges, Snapshot, changes_since, holds_population, snapshot};
pub use update::{
    Agreement, Event, History, Options, Report, Retrained, Verification, engine, has_population, history, model_for, model_in_force,
    retrain, update, update_export, update_export_in, verify, write_persons,
};

/// What went wrong, for the user to act on.
#[derive(Debug)]
pub enum ErrorKind {
    /// The store failed (reading, writing, or the import of the batch).
    Store(conduct_store::Error),
    /// Linkage refused its options or model.
    Resolve(conduct_resolve::Error),
    /// The index was built by a different linkage engine (normalisation or blocking rules).
    EngineMismatch {
        /// The engine that built the index.
        stored: String,
        /// This build's.
        current: String,
    },
    /// A model other than the one in force was given without `--retrain`.
    ModelMismatch,
    /// The workspace holds no linked population yet.
    NoPopulation,
    /// The batch names one record twice.
    DuplicateRecord(String),
    /// No person with this id was ever in the population.
    UnknownPerson(String),
    /// A stored value is not what the index writes.
    Corrupt(String),
    /// A file could not be written.
    Io(std::io::Error),
}

/// An error of incremental linkage.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Store(e) => write!(f, "{e}"),
            ErrorKind::Resolve(e) => write!(f, "{e}"),
            ErrorKind::EngineMismatch { stored, current } => write!(
                f,
                "the population index was built by another linkage engine ({stored}; this build is {current}): rebuild it with conduct link --retrain (and --workspace or --database)"
            ),
            ErrorKind::ModelMismatch => {
                write!(f, "the model given is not the one in force in this workspace: give --retrain to re-estimate and re-link with it")
            }
            ErrorKind::NoPopulation => write!(f, "the workspace holds no linked population yet: link a batch with --update first"),
            ErrorKind::DuplicateRecord(k) => write!(f, "the batch holds record {k} twice"),
            ErrorKind::UnknownPerson(p) => write!(f, "no person {p} was ever in this population"),
            ErrorKind::Corrupt(m) => write!(f, "the population index is damaged: {m}"),
            ErrorKind::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Store(e) => Some(e),
            ErrorKind::Resolve(e) => Some(e),
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<conduct_store::Error> for Error {
    fn from(e: conduct_store::Error) -> Error {
        Error::new(ErrorKind::Store(e))
    }
}

impl From<conduct_resolve::Error> for Error {
    fn from(e: conduct_resolve::Error) -> Error {
        Error::new(ErrorKind::Resolve(e))
    }
}

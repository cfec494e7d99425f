//! The one error type of conduct-domain: a value that does not read as one of the domain's
//! types (a force, an offence code, a date, a yes/no value).
//!
//! Every reader of the vocabulary returns [`Error`]; its [`ErrorKind`] says what the user can
//! do about it (fix the value in the export, pick one of the suggested names). Each is a check
//! on text the user gave, so none has an underlying cause: [`std::error::Error::source`] is
//! always `None`, and the message says all there is.

use std::fmt;

/// A value that could not be read as one of the domain's types. [`Error::kind`] says which
/// check it failed; `Display` says it in words (the words the CLI and the rejects file show).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    // Boxed so that the readers' results stay small on the hot path of an import (a `Date`
    // result is read for every row).
    kind: Box<ErrorKind>,
}

/// What was wrong with the value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not one of the contract's boolean spellings (true/false, yes/no, y/n, 1/0; empty is
    /// unknown, not an error): write one of those.
    NotABool,
    /// A force name that is neither a force, a non-force reporting body nor an alias of one.
    UnknownForce {
        /// The name as given.
        given: String,
        /// Up to three known names, closest first (possibly none): what the user may have meant.
        suggestions: Vec<&'static str>,
    },
    /// Text that is not a well-formed Home Office offence code (`8L`, `8Q`, `8/65`, `195/12`).
    BadOffenceCode {
        /// The code as given.
        given: String,
    },
    /// Not a date of the form `YYYY-MM-DD` (in digits, with dashes).
    NotIsoDate,
    /// A date followed by something other than `T` or a space and a time.
    TextAfterDate,
    /// A date whose time of day is not `hh:mm[:ss[.fff]]` within 00:00–23:59:60, then
    /// nothing, `Z` or an offset `±hh[:mm]`.
    BadTimeOfDay,
    /// A date whose year is outside 1000–9999, the years a record may carry.
    YearOutOfRange,
    /// A date of the right form that names no day on the calendar (`2023-02-30`, month 13).
    NoSuchDay,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind) -> Error {
        Error { kind: Box::new(kind) }
    }

    /// What was wrong with the value.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// What was wrong with the value, owned.
    pub fn into_kind(self) -> ErrorKind {
        *self.kind
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Error {
        Error::new(kind)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            ErrorKind::NotABool => f.write_str("not a yes/no value (true/false, yes/no, y/n, 1/0)"),
            ErrorKind::UnknownForce { given, suggestions } => {
                write!(f, "unknown force {given:?}")?;
                if !suggestions.is_empty() {
                    write!(f, "; did you mean {}?", suggestions.join(", "))?;
                }
                Ok(())
            }
            ErrorKind::BadOffenceCode { given } => {
                write!(f, "{given:?} is not a Home Office offence code (expected e.g. 8L, 8Q, 8/65, 195/12)")
            }
            ErrorKind::NotIsoDate => f.write_str("not an ISO 8601 date (expected YYYY-MM-DD)"),
            ErrorKind::TextAfterDate => f.write_str("not an ISO 8601 date (unexpected text after the date)"),
            ErrorKind::BadTimeOfDay => f.write_str(
                "not an ISO 8601 date-time (the time must be hh:mm[:ss[.fff]] within 00:00–23:59:60, then Z or an offset ±hh[:mm])",
            ),
            ErrorKind::YearOutOfRange => f.write_str("the year is outside 1000–9999, the years a record may carry"),
            ErrorKind::NoSuchDay => f.write_str("no such day on the calendar"),
        }
    }
}

/// No kind has a source: each is a check on the text given, and the message says all of it.
impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_is_small_and_can_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn messages_say_what_to_fix() {
        let e = Error::new(ErrorKind::UnknownForce { given: "Kentt".into(), suggestions: vec!["Kent"] });
        assert_eq!(e.to_string(), "unknown force \"Kentt\"; did you mean Kent?");
        let e = Error::new(ErrorKind::UnknownForce { given: "Nowhere".into(), suggestions: Vec::new() });
        assert_eq!(e.to_string(), "unknown force \"Nowhere\"");
        assert_eq!(
            Error::new(ErrorKind::BadOffenceCode { given: "8-65".into() }).to_string(),
            "\"8-65\" is not a Home Office offence code (expected e.g. 8L, 8Q, 8/65, 195/12)"
        );
        assert_eq!(Error::new(ErrorKind::NotABool).into_kind(), ErrorKind::NotABool);
    }
}

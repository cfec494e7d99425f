//! What one import may cost, whatever its input. Each limit has a default that real exports sit
//! far below, a name the user sees in the message when it bites, and a command-line flag to
//! change it (`conduct ingest --help`). A limit never drops a row silently: a row over a limit
//! is rejected with the limit's name, and a file over a limit is refused whole with it.
//! A limit that makes no sense (zero: every value, row or file refused) is itself refused,
//! naming the flag and the value ([`Limits::check`], and the `parse_*` readers for a command
//! line).

use crate::error::{Error, ErrorKind};

/// The limits of one read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Longest value in one cell, in bytes. A row with a longer value is rejected, naming the
    /// column (`--max-field-bytes`; default 65,536: a page of narrative is about 4 KB).
    pub max_field_bytes: usize,
    /// Longest row, in bytes of the file (a CSV record, quoted line breaks included, or a JSON
    /// line). A longer row is rejected and reading resumes on the next line; it is never held
    /// in memory whole (`--max-record-bytes`; default 1 MiB). A CSV header longer than this
    /// refuses the file.
    pub max_record_bytes: usize,
    /// How much text a compressed file (Parquet) may decode to: at most
    /// `max(decoded_floor_bytes, max_expansion × the file's size)`, each row counting at least
    /// 256 bytes (what its line in rejects.csv may cost). Past that the file is refused as a
    /// likely decompression bomb (`--max-expansion`; default 200: real Parquet exports decode
    /// to 3–20 times their size).
    pub max_expansion: u64,
    /// The decoded size every compressed file may reach, however small it is (16 MiB: 65,536
    /// rows).
    pub decoded_floor_bytes: u64,
    /// Rejects (and, separately, warnings) kept in memory when they are not streamed to a
    /// file. Every one is still counted and tallied by reason in the summary. The default keeps
    /// them all: the command line writes each one to a file (`conduct run`, `conduct stats`),
    /// and they are bounded by the rows read and the length of a reason. The server sets its own
    /// cap per upload (`conduct serve --max-stored-rejects`).
    pub max_findings_kept: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_field_bytes: 64 * 1024,
            max_record_bytes: 1024 * 1024,
            max_expansion: 200,
            decoded_floor_bytes: 16 * 1024 * 1024,
            max_findings_kept: usize::MAX,
        }
    }
}

impl Limits {
    /// Reads `--max-field-bytes`: a whole number of bytes, at least 1.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadLimit`], naming the flag and the value, when the text is not a whole
    /// number or is 0.
    pub fn parse_max_field_bytes(text: &str) -> Result<usize, Error> {
        at_least_one(FIELD, text).map(|n| n as usize)
    }

    /// Reads `--max-record-bytes`: a whole number of bytes, at least 1.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadLimit`], naming the flag and the value, when the text is not a whole
    /// number or is 0.
    pub fn parse_max_record_bytes(text: &str) -> Result<usize, Error> {
        at_least_one(RECORD, text).map(|n| n as usize)
    }

    /// Reads `--max-expansion`: a whole number of times, at least 1.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadLimit`], naming the flag and the value, when the text is not a whole
    /// number or is 0.
    pub fn parse_max_expansion(text: &str) -> Result<u64, Error> {
        at_least_one(EXPANSION, text)
    }

    /// The limits themselves, when each makes sense. [`crate::Ingest::run`] checks them before
    /// it reads anything.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::BadLimit`], naming the flag and the value, for the first limit that is 0.
    pub fn check(&self) -> Result<(), Error> {
        let limits = [(FIELD, self.max_field_bytes as u64), (RECORD, self.max_record_bytes as u64), (EXPANSION, self.max_expansion)];
        match limits.into_iter().find(|&(_, n)| n == 0) {
            Some(((flag, why), n)) => Err(bad(flag, n.to_string(), why, None)),
            None => Ok(()),
        }
    }

    /// The most text a file of `size` bytes may decode to.
    pub fn max_decoded_bytes(&self, size: u64) -> u64 {
        self.decoded_floor_bytes.max(self.max_expansion.saturating_mul(size))
    }
}

/// Each flag, with why 0 makes no sense for it.
const FIELD: (&str, &str) =
    ("--max-field-bytes", "every non-empty value would be rejected; give a whole number of bytes, at least 1 (default 65536)");
const RECORD: (&str, &str) =
    ("--max-record-bytes", "every row would be set aside unread; give a whole number of bytes, at least 1 (default 1048576)");
const EXPANSION: (&str, &str) = (
    "--max-expansion",
    "a file must be allowed to decode to at least its own size; give a whole number of times, at least 1 (default 200)",
);

fn bad(flag: &'static str, value: String, why: &'static str, source: Option<std::num::ParseIntError>) -> Error {
    Error::new(ErrorKind::BadLimit { flag, value, why, source }, "", None)
}

fn at_least_one((flag, why): (&'static str, &'static str), text: &str) -> Result<u64, Error> {
    let value = text.trim();
    match value.parse::<u64>() {
        Ok(0) => Err(bad(flag, value.to_string(), why, None)),
        Ok(n) if usize::try_from(n).is_ok() => Ok(n),
        Ok(_) => Err(bad(flag, value.to_string(), "is too large for this machine", None)),
        Err(e) => Err(bad(flag, shown(value), "is not a whole number", Some(e))),
    }
}

/// At most this many characters of an input value are quoted back in a reason or a summary,
/// so that a huge value cannot make the rejects file or the summary huge.
pub(crate) const SHOWN_CHARS: usize = 80;

/// An input value as quoted in a message: Rust-escaped, cut to [`SHOWN_CHARS`] characters
/// with the full length said when it is longer.
pub(crate) fn shown(s: &str) -> String {
    match s.char_indices().nth(SHOWN_CHARS) {
        None => format!("{s:?}"),
        Some((cut, _)) => format!("{:?}… ({} bytes in all)", &s[..cut], s.len()),
    }
}

/// A value kept as text in a summary (a header name, a row's key): cut to [`SHOWN_CHARS`]
/// characters, with an ellipsis when cut.
pub(crate) fn cut(s: &str) -> String {
    match s.char_indices().nth(SHOWN_CHARS) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}…", &s[..cut]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_when_shown() {
        assert_eq!(shown("K-1"), "\"K-1\"");
        let long = "x".repeat(1000);
        let s = shown(&long);
        assert!(s.len() < 120 && s.ends_with("(1000 bytes in all)"), "{s}");
        assert_eq!(cut(&"é".repeat(100)).chars().count(), SHOWN_CHARS + 1);
    }

    #[test]
    fn a_limit_of_zero_is_refused_naming_the_flag_and_the_value() {
        let e = Limits::parse_max_expansion("0").unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::BadLimit { flag: "--max-expansion", .. }), "{e:?}");
        assert!(e.to_string().starts_with("--max-expansion 0: "), "{e}");
        assert!(Limits::parse_max_field_bytes("0").unwrap_err().to_string().starts_with("--max-field-bytes 0: "));
        assert!(Limits::parse_max_record_bytes("0").unwrap_err().to_string().starts_with("--max-record-bytes 0: "));
        assert_eq!(Limits::parse_max_expansion("200").unwrap(), 200);
        assert_eq!(Limits::parse_max_field_bytes("1").unwrap(), 1);

        let e = Limits { max_expansion: 0, ..Limits::default() }.check().unwrap_err();
        assert!(e.to_string().starts_with("--max-expansion 0: "), "{e}");
        assert!(Limits::default().check().is_ok());
    }

    #[test]
    fn a_limit_that_is_not_a_number_keeps_the_parse_error() {
        use std::error::Error as _;
        let e = Limits::parse_max_expansion("-1").unwrap_err();
        assert!(e.to_string().starts_with("--max-expansion \"-1\": is not a whole number"), "{e}");
        assert!(e.source().and_then(|s| s.downcast_ref::<std::num::ParseIntError>()).is_some());
    }

    #[test]
    fn small_files_may_decode_to_the_floor() {
        let l = Limits::default();
        assert_eq!(l.max_decoded_bytes(10), 16 * 1024 * 1024);
        assert_eq!(l.max_decoded_bytes(1 << 30), 200 << 30);
    }
}

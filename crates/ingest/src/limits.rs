//! What one import may cost, whatever its input. Each limit has a default that real exports sit
//! far below, a name the user sees in the message when it bites, and a command-line flag to
//! change it (`conduct ingest --help`). A limit never drops a row silently: a row over a limit
//! is rejected with the limit's name, and a file over a limit is refused whole with it.

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
    /// The most text a file of `size` bytes may decode to.
    pub fn max_decoded_bytes(&self, size: u64) -> u64 {
        self.decoded_floor_bytes.max(self.max_expansion.saturating_mul(size))
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
    fn small_files_may_decode_to_the_floor() {
        let l = Limits::default();
        assert_eq!(l.max_decoded_bytes(10), 16 * 1024 * 1024);
        assert_eq!(l.max_decoded_bytes(1 << 30), 200 << 30);
    }
}

//! How numbers are written in stories: thousands separators, percentages to one decimal place
//! with a trailing `.0` dropped ("4.6%", "5%"), small numbers as words, and the wording rules
//! for changes.

/// `14837` → `14,837`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A percentage to one decimal place, dropping a trailing `.0`: `4.617` → `4.6%`, `5.001` →
/// `5%`. Negative values are written as their size; the wording says which way.
pub fn percent(x: f64) -> String {
    let s = format!("{:.1}", x.abs());
    format!("{}%", s.strip_suffix(".0").unwrap_or(&s))
}

/// `9` → `nine`; numbers above twenty as digits.
pub fn number_word(n: u32) -> String {
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    WORDS.get(n as usize).map_or_else(|| n.to_string(), |w| (*w).to_string())
}

/// A change smaller than this, in per cent of the earlier figure, is called "slight".
///
/// The reference (domain.md) shows published usage: a fall of 4.0% (10,477 → 10,056) was
/// "slightly down" and a fall of 6.3% (15,838 → 14,837) plain "down"; 5% sits between them.
pub const SLIGHT_CHANGE_PERCENT: f64 = 5.0;

/// A rise to at least this many times the earlier figure is told as an n-fold change.
pub const FOLD_CHANGE_AT_LEAST: f64 = 2.0;

/// Which way a count moved, and whether only slightly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Up by at least the slight threshold.
    Up,
    /// Up by less than it.
    SlightlyUp,
    /// Unchanged.
    Unchanged,
    /// Down by less than the threshold.
    SlightlyDown,
    /// Down by at least it.
    Down,
}

impl Direction {
    /// The direction of a change given in per cent.
    pub fn of(change_percent: f64) -> Direction {
        let slight = change_percent.abs() < SLIGHT_CHANGE_PERCENT;
        if change_percent == 0.0 {
            Direction::Unchanged
        } else if change_percent > 0.0 {
            if slight { Direction::SlightlyUp } else { Direction::Up }
        } else if slight {
            Direction::SlightlyDown
        } else {
            Direction::Down
        }
    }

    /// "slightly down", "up"…
    pub fn words(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::SlightlyUp => "slightly up",
            Direction::Unchanged => "unchanged",
            Direction::SlightlyDown => "slightly down",
            Direction::Down => "down",
        }
    }

    /// "a rise", "a fall"…
    pub fn noun(self) -> &'static str {
        match self {
            Direction::Up => "a rise",
            Direction::SlightlyUp => "a rise",
            Direction::Unchanged => "no change",
            Direction::SlightlyDown => "a fall",
            Direction::Down => "a fall",
        }
    }
}

/// `11.3` → `more than 11-fold`; `3.0` → `3-fold`.
pub fn fold_words(fold: f64) -> String {
    let whole = fold.floor();
    if (fold - whole).abs() < 1e-9 { format!("{}-fold", whole as u64) } else { format!("more than {}-fold", whole as u64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_the_reports_write_them() {
        assert_eq!(thousands(14_837), "14,837");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(percent(100.0 * 685.0 / 14_837.0), "4.6%");
        assert_eq!(percent(100.0 * 524.0 / 10_477.0), "5%");
        assert_eq!(percent(-6.32), "6.3%");
        assert_eq!(number_word(9), "nine");
        assert_eq!(fold_words(10_056.0 / 890.0), "more than 11-fold");
        assert_eq!(fold_words(3.0), "3-fold");
    }

    #[test]
    fn slight_threshold_follows_published_usage() {
        assert_eq!(Direction::of(-4.0), Direction::SlightlyDown);
        assert_eq!(Direction::of(-6.3), Direction::Down);
        assert_eq!(Direction::of(4.99), Direction::SlightlyUp);
        assert_eq!(Direction::of(5.0), Direction::Up);
        assert_eq!(Direction::of(0.0), Direction::Unchanged);
    }
}

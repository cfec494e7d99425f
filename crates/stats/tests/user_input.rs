//! Property and regression tests over what users hand `conduct stats`: the `--period` text, and
//! the cells of a published table (years, quarters, counts, offence codes). Issue 13: no panic
//! on user input; what is accepted satisfies the invariant stated in each test.

use std::io::Write as _;

use conduct_stats::period::{FIRST_YEAR, LAST_YEAR, financial_year_label, parse_financial_year, parse_quarter};
use conduct_stats::published::{MAX_COUNT, parse_count, read_outcomes, read_recorded};
use conduct_stats::{Area, Count, ErrorKind, Figures, Period, Tables, derived};
use proptest::prelude::*;

const RECORDED: &str =
    "Financial Year,Financial Quarter,Force Name,Offence Description,Offence Group,Offence Subgroup,Offence Code,Number of Offences";

/// Text shaped like the periods `--period` takes, with years and months anywhere, and noise.
fn period_text() -> impl Strategy<Value = String> {
    let year = prop_oneof![any::<i64>().prop_map(|y| y.to_string()), (0i32..12_000).prop_map(|y| y.to_string()), "[0-9]{0,25}"];
    let month = "(jan|feb|mar|march|june|jun|sep|september|dec|december|august|[a-z]{0,9})";
    prop_oneof![
        (year.clone(), 0i32..200).prop_map(|(y, n)| format!("{y}/{:02}", n)),
        (year.clone(), year.clone()).prop_map(|(a, b)| format!("FY {a}-{b}")),
        (month, year.clone()).prop_map(|(m, y)| format!("the year to {m} {y}")),
        (month, year.clone()).prop_map(|(m, y)| format!("12 months ending {m}, {y}")),
        year.clone().prop_map(|y| format!("calendar year {y}")),
        year,
        "\\PC{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// A period that reads covers four quarters of dates Conduct can hold, names itself the
    /// same way again, and answers every question without panicking, however far back it is
    /// compared; text that names no period is an error that quotes it.
    #[test]
    fn a_period_reads_to_a_supported_period_or_an_error_naming_it(s in period_text(), k in any::<u32>()) {
        match Period::parse(&s) {
            Ok(p) => {
                let (first, last) = (p.first_day().expect("checked"), p.last_day().expect("checked"));
                prop_assert!(first.year() >= FIRST_YEAR && last.year() <= LAST_YEAR, "{s:?}");
                prop_assert!(matches!(p.days(), 365 | 366));
                prop_assert_eq!(Period::parse(&p.to_string()).ok(), Some(p));
                let e = p.earlier(k);
                let _ = (e.to_string(), e.in_words(), e.days(), e.first_day(), e.check().is_ok());
                let f = Figures::compute(&Tables::new(), Area::National, e);
                prop_assert_eq!(f.quarters_with_data, 0);
            }
            Err(e) => {
                prop_assert!(matches!(e.kind(), ErrorKind::BadPeriod(_) | ErrorKind::PeriodOutOfRange(_)));
                prop_assert!(e.to_string().contains(&format!("{s:?}")), "{e}");
            }
        }
    }

    /// A financial year that reads is a four-digit year, and (from 1000) reads back from its
    /// published label; a quarter that reads is 1–4.
    #[test]
    fn financial_years_and_quarters_read_within_their_ranges(s in "\\PC{0,12}|(FY )?[0-9]{1,5}[/-][0-9]{1,5}|[Qq]?(uarter )?[0-9.]{1,4}") {
        if let Some(y) = parse_financial_year(&s) {
            prop_assert!((0..=9999).contains(&y), "{s:?} -> {y}");
            if y >= 1000 {
                prop_assert_eq!(parse_financial_year(&financial_year_label(y)), Some(y));
            }
        }
        if let Some(q) = parse_quarter(&s) {
            prop_assert!((1..=4).contains(&q));
        }
    }

    /// A count that reads is `..` or a whole number no larger than MAX_COUNT, read back the same.
    #[test]
    fn a_count_reads_within_its_cap_and_round_trips(s in "\\PC{0,8}|[0-9,]{1,26}(\\.0)?|\\.\\.") {
        match parse_count(&s) {
            Some(Count::Value(n)) => {
                prop_assert!(n <= MAX_COUNT);
                prop_assert_eq!(parse_count(&n.to_string()), Some(Count::Value(n)));
            }
            Some(Count::Suppressed) => prop_assert_eq!(s.trim(), ".."),
            None => {}
        }
    }

}

proptest! {
    // Each case writes and reads two files and writes the derived figures: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any rows of a published table, with years, quarters, codes and counts anywhere: the
    /// reader accepts or rejects each row (with its line), and figures over what it accepted
    /// are computed and written without panicking.
    #[test]
    fn any_published_rows_are_read_or_rejected(rows in proptest::collection::vec((
        prop_oneof![3 => (2010i32..2025).prop_map(financial_year_label), 1 => (0i32..10_000).prop_map(financial_year_label),
            1 => "[0-9]{1,5}/[0-9]{1,3}|\\PC{0,6}"],
        "[0-9]|Q[0-9]|\\PC{0,3}",
        "Kent|Metropolitan Police|Merseyside|England and Wales|British Transport Police|\\PC{0,8}",
        "8L|8Q|8/65|[0-9]{1,3}[A-Z]{0,2}(/[0-9]{1,3})?|\\PC{0,4}",
        "\\.\\.|[0-9]{1,20}|\\PC{0,4}",
        "[0-9]{1,2}|\\PC{0,3}",
    ), 0..40)) {
        let dir = tempfile::tempdir().unwrap();
        let (rec, out) = (dir.path().join("recorded.csv"), dir.path().join("outcomes.csv"));
        let mut r = csv::Writer::from_path(&rec).unwrap();
        let mut o = csv::Writer::from_path(&out).unwrap();
        r.write_record(RECORDED.split(',')).unwrap();
        o.write_record(["Financial Year", "Financial Quarter", "Force Name", "Offence Code", "Outcome Type", "Number of Outcomes"]).unwrap();
        for (y, q, f, c, n, t) in &rows {
            r.write_record([y.as_str(), q, f, "d", "g", "s", c, n]).unwrap();
            o.write_record([y.as_str(), q, f, c, t, n]).unwrap();
        }
        r.flush().unwrap();
        o.flush().unwrap();
        drop((r, o));
        let mut tables = Tables::new();
        let a = read_recorded(&rec, &mut tables).unwrap();
        let b = read_outcomes(&out, &mut tables).unwrap();
        prop_assert_eq!(a.read, rows.len() as u64);
        prop_assert_eq!(a.used + a.non_force + a.rejected, a.read);
        prop_assert_eq!(b.used + b.non_force + b.rejected, b.read);
        let periods: Vec<Period> = tables.quarters(None).last().map(|q| vec![Period::year_to(*q)]).unwrap_or_default();
        derived::write_derived(&dir.path().join("out"), &tables, &periods, 9).unwrap();
    }
}

/// Regression: `conduct stats --recorded` on a table naming 70,000 distinct well-formed offence
/// codes panicked ("fewer than 65,536 offence codes": the offence index was a `u16`).
#[test]
fn a_table_of_70000_offence_codes_panicked_the_u16_offence_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recorded.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "{RECORDED}").unwrap();
    let letters = || std::iter::once(String::new()).chain(('A'..='Z').map(String::from));
    let codes = (1..1000).flat_map(|d| letters().flat_map(move |a| letters().map(move |b| format!("{d}{a}{b}"))));
    for code in codes.take(70_000) {
        writeln!(f, "2022/23,1,Kent,x,y,z,{code},1").unwrap();
    }
    drop(f);
    let mut tables = Tables::new();
    let s = read_recorded(&path, &mut tables).unwrap();
    assert_eq!((s.used, s.rejected), (70_000, 0), "{:?}", s.rejects.first());
    assert!(tables.offences().len() >= 65_536);
    let p = Period::financial_year(2022);
    assert_eq!(Figures::compute(&tables, Area::National, p).quarters_with_data, 1);
}

/// Regression: two counts of 18446744073709551615 for one cell overflowed its sum ("attempt to
/// add with overflow" in a debug build, a wrapped figure in a release one). Counts above
/// MAX_COUNT are now rejected rows naming the cell, and sums saturate.
#[test]
fn two_counts_of_u64_max_overflowed_a_cell_sum() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("recorded.csv");
    let big = u64::MAX;
    std::fs::write(
        &path,
        format!("{RECORDED}\n2022/23,1,Kent,x,y,z,8L,{big}\n2022/23,1,Kent,x,y,z,8L,{big}\n2022/23,1,Kent,x,y,z,8L,{MAX_COUNT}\n"),
    )
    .unwrap();
    let mut tables = Tables::new();
    let s = read_recorded(&path, &mut tables).unwrap();
    assert_eq!((s.used, s.rejected), (1, 2));
    assert!(s.rejects[0].to_string().contains(&big.to_string()), "{}", s.rejects[0]);
    let mut t = conduct_stats::Tally::default();
    t.add(Count::Value(u64::MAX));
    t.add(Count::Value(u64::MAX));
    assert_eq!(t.count, u64::MAX);
}

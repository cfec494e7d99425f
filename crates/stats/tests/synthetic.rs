//! `conduct stats` on a synthetic world agrees with an independent count: the tables built from
//! the incidents and orders files through the ingest crate equal a count made here straight
//! from the CSV text, with its own date arithmetic.

use std::collections::BTreeMap;

use conduct_domain::{Force, OffenceCode};
use conduct_stats::{Area, Figures, Period, incidents::read_export};

fn fy_quarter(date: &str) -> (i32, u32) {
    let y: i32 = date[0..4].parse().unwrap();
    let m: u32 = date[5..7].parse().unwrap();
    if m >= 4 { (y, (m - 1) / 3) } else { (y - 1, 4) }
}

#[test]
fn stats_on_a_synthetic_world_agree_with_an_independent_count() {
    let dir = tempfile::tempdir().unwrap();
    conduct_synth::generate(&conduct_synth::SynthConfig { incidents: 4000, seed: 7 }, dir.path()).unwrap();
    let read = read_export(&[dir.path().join("incidents.csv")], &[dir.path().join("orders.csv")]).unwrap();
    assert_eq!(read.summary.rejected(), 0, "{:?}", read.rejects.first());

    let mut recorded: BTreeMap<(String, i32, u32, String), u64> = BTreeMap::new();
    let mut outcomes: BTreeMap<(String, i32, u32, String, u8), u64> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(dir.path().join("incidents.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    let (cf, cd, co, ct) = (col("force"), col("recorded_date"), col("offence_code"), col("outcome_type"));
    for r in rdr.records() {
        let r = r.unwrap();
        let force = Force::resolve(&r[cf]).unwrap().name().to_string();
        let (y, q) = fy_quarter(&r[cd]);
        let code = OffenceCode::parse(&r[co]).unwrap();
        let code = code.class().code().unwrap_or(code.as_str()).to_ascii_uppercase();
        *recorded.entry((force.clone(), y, q, code.clone())).or_default() += 1;
        let ty: u8 = if r[ct].trim().is_empty() { 0 } else { r[ct].trim().parse().unwrap() };
        *outcomes.entry((force, y, q, code, ty)).or_default() += 1;
    }
    let ours: BTreeMap<_, _> = read
        .tables
        .recorded_rows()
        .into_iter()
        .map(|(f, q, o, t)| ((f.name().to_string(), q.year(), q.quarter(), o.code.clone()), t.count))
        // Quarters in which a force recorded nothing are held as explicit zeros (an export is
        // complete); the independent count has no row for them.
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(ours, recorded);
    let ours: BTreeMap<_, _> = read
        .tables
        .outcome_rows()
        .into_iter()
        .map(|(f, q, o, ty, t)| ((f.name().to_string(), q.year(), q.quarter(), o.code.clone(), ty.number()), t.count))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(ours, outcomes);

    // SPOs granted, counted independently from orders.csv, against the national figures.
    let mut granted: BTreeMap<(i32, u32), u64> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(dir.path().join("orders.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    for r in rdr.records() {
        let r = r.unwrap();
        let ty = r[col("order_type")].to_ascii_lowercase();
        if (ty == "spo" || ty.contains("stalking protection") || ty.contains("interim spo")) && !r[col("granted_date")].is_empty() {
            *granted.entry(fy_quarter(&r[col("granted_date")])).or_default() += 1;
        }
    }
    assert!(!granted.is_empty(), "the synthetic world grants SPOs");
    let years: std::collections::BTreeSet<i32> = granted.keys().map(|k| k.0).collect();
    for y in years {
        let p = Period::financial_year(y);
        let expect: u64 = granted.iter().filter(|(k, _)| k.0 == y).map(|(_, n)| n).sum();
        let f = Figures::compute(&read.tables, Area::National, p);
        assert_eq!(f.orders.unwrap().granted, expect, "SPOs granted in {p}");
    }
}

//! Builds the *whole* table: every police force of England and Wales from financial year
//! 2002/03 (when comparable records began) to 2023/24 quarter 2, so that the national paragraph
//! of a story can be checked against the England and Wales figures of `reference/domain.md`
//! (about 271,000 harassment offences in the year to September 2023, the highest since 2002/03;
//! about 679,000 stalking and harassment offences, 3.4% of them charged or summonsed; Devon and
//! Cornwall missing from outcomes).
//!
//! It keeps every row of this folder's `recorded.csv` and `outcomes.csv` (the Met, Merseyside,
//! Devon and Cornwall, Cumbria, the City of London, Action Fraud: so the local reference figures
//! come out unchanged beside the national ones) and adds, in the same layout:
//!
//! - harassment (8L) for those five forces in the years before their rows start;
//! - the other 39 forces, skewed in size as forces are (a few ten times the smallest): harassment
//!   from 2002/03, the rest of the subgroup (8M, 8Q, 8R, 8U) and outcomes for the years to
//!   September 2022 and 2023 only, as a table pieced together from several downloads would be.
//!
//! Written at test time into a temporary folder (about 12,000 rows: too many to commit for what
//! they show); [`super::generate::generate`] then makes the `.ods`/`.xlsx` layouts from it.
//! National totals, year to September (the other 39 forces' 8L, before adding the five):
//! see [`OTHERS_8L`]. Nothing here is Home Office data.

use std::io::Write as _;
use std::path::Path;

use conduct_domain::Force;

/// Years to September (year Y: quarters 3 and 4 of financial year Y-1, 1 and 2 of Y), and the
/// other 39 forces' harassment in each. Rising, with a step at 2017/18 when harassment began to
/// be recorded beside other crimes; the year to September 2002 is emitted only from April 2002.
pub const OTHERS_8L: [(i32, u64); 22] = [
    (2002, 40_000),
    (2003, 46_000),
    (2004, 52_000),
    (2005, 58_000),
    (2006, 64_000),
    (2007, 70_000),
    (2008, 76_000),
    (2009, 82_000),
    (2010, 88_000),
    (2011, 94_000),
    (2012, 100_000),
    (2013, 106_000),
    (2014, 112_000),
    (2015, 118_000),
    (2016, 124_000),
    (2017, 145_000),
    (2018, 165_000),
    (2019, 180_000),
    (2020, 190_000),
    (2021, 210_000),
    (2022, 225_000),
    (2023, 240_500),
];

/// The other 39 forces' 8M, 8Q, 8R, 8U in the years to September 2022 and 2023.
const OTHERS_REST: [(&str, u64, u64); 4] = [("8M", 6_200, 6_000), ("8Q", 98_000, 95_000), ("8R", 168_000, 170_000), ("8U", 66_000, 70_800)];

/// Charge/summons (outcome type 1) as a share of every code's offences, in thousandths of a
/// per cent, for the other forces: with the five forces' own outcomes this makes 3.4% of the
/// subgroup nationally (Devon and Cornwall left out).
const OTHERS_CHARGE_MILLI_PERCENT: u64 = 3_180;

/// Harassment of the five fixture forces before their rows start: (name as in recorded.csv,
/// name in outcomes.csv, last year to September to add, harassment in 2002 and in that year).
const HISTORY: [(&str, i32, u64, u64); 5] = [
    ("Metropolitan Police", 2013, 5_000, 9_000),
    ("Merseyside", 2013, 300, 850),
    ("Devon & Cornwall", 2020, 1_500, 4_000),
    ("Cumbria", 2020, 500, 1_250),
    ("London, City of", 2020, 20, 58),
];

const SEASON: [u64; 4] = [26, 24, 25, 25];

const DESCRIPTION: [(&str, &str); 5] = [
    ("8L", "Harassment"),
    ("8M", "Racially or religiously aggravated harassment"),
    ("8Q", "Stalking"),
    ("8R", "Malicious communications"),
    ("8U", "Engaging in controlling or coercive behaviour"),
];

/// Largest-remainder split of `total` in proportion to `weights` (the parts sum to it).
pub fn split(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u64 = weights.iter().sum::<u64>().max(1);
    let mut out: Vec<u64> = weights.iter().map(|w| total * w / sum).collect();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(total * weights[i] % sum), i));
    let short = total - out.iter().sum::<u64>();
    for &i in order.iter().take(short as usize) {
        out[i] += 1;
    }
    out
}

/// Quarters of year to September `y`, as (financial year, quarter).
fn quarters(y: i32) -> [(i32, u32); 4] {
    [(y - 1, 3), (y - 1, 4), (y, 1), (y, 2)]
}

fn fy(y: i32) -> String {
    format!("{y}/{:02}", (y + 1) % 100)
}

/// The forces not in the five-force fixture, with a size weight: three big metropolitan forces,
/// a handful of middling ones, the rest small, as the published tables are skewed.
fn others() -> Vec<(Force, u64)> {
    let fixture = ["Metropolitan Police", "Merseyside", "Devon and Cornwall", "Cumbria", "City of London"];
    Force::all()
        .filter(|f| !fixture.iter().any(|n| Force::resolve(n).ok() == Some(*f)))
        .enumerate()
        .map(|(i, f)| {
            let w = match f.name() {
                "West Midlands" | "Greater Manchester" | "West Yorkshire" => 30,
                "Thames Valley" | "Kent" | "Essex" | "Lancashire" | "Northumbria" | "South Yorkshire" => 12,
                "British Transport Police" => 2,
                _ => 4 + (i as u64 * 7) % 6,
            };
            (f, w)
        })
        .collect()
}

fn row(w: &mut impl std::io::Write, q: (i32, u32), force: &str, code: &str, rest: &str) -> std::io::Result<()> {
    let description = DESCRIPTION.iter().find(|d| d.0 == code).map_or("", |d| d.1);
    let force = if force.contains(',') { format!("\"{force}\"") } else { force.to_string() };
    writeln!(w, "{},{},{force},{description},Violence against the person,Stalking and harassment,{code},{rest}", fy(q.0), q.1)
}

/// Writes `recorded.csv` and `outcomes.csv` (one count, "Number of Outcomes", as this folder's)
/// of the whole table into `out`, from the fixture in `source`.
pub fn write(source: &Path, out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut rec = std::io::BufWriter::new(std::fs::File::create(out.join("recorded.csv"))?);
    let mut outc = std::io::BufWriter::new(std::fs::File::create(out.join("outcomes.csv"))?);
    rec.write_all(&std::fs::read(source.join("recorded.csv"))?)?;
    outc.write_all(&std::fs::read(source.join("outcomes.csv"))?)?;
    let began = (2002, 1);
    // The five fixture forces' earlier harassment, rising in a straight line.
    for (name, last, first_n, last_n) in HISTORY {
        for y in 2002..=last {
            let n = first_n + (last_n - first_n) * (y - 2002) as u64 / (last - 2002) as u64;
            for (q, c) in quarters(y).into_iter().zip(split(n, &SEASON)) {
                if q >= began {
                    row(&mut rec, q, name, "8L", &c.to_string())?;
                }
            }
        }
    }
    let forces = others();
    let weights: Vec<u64> = forces.iter().map(|f| f.1).collect();
    for (y, total) in OTHERS_8L {
        for ((force, _), n) in forces.iter().zip(split(total, &weights)) {
            for (q, c) in quarters(y).into_iter().zip(split(n, &SEASON)) {
                if q >= began {
                    row(&mut rec, q, force.name(), "8L", &c.to_string())?;
                }
            }
        }
    }
    // The rest of the subgroup, and outcomes, in the last two years to September.
    let mut cells: Vec<((i32, u32), Force, &str, u64)> = Vec::new();
    for (i, y) in [2022, 2023].into_iter().enumerate() {
        let by_code = OTHERS_REST.iter().map(|(code, a, b)| (*code, [*a, *b][i]));
        let harassment = OTHERS_8L.iter().find(|o| o.0 == y).map(|o| o.1).unwrap_or_default();
        for (code, total) in std::iter::once(("8L", harassment)).chain(by_code) {
            for ((force, _), n) in forces.iter().zip(split(total, &weights)) {
                for (q, c) in quarters(y).into_iter().zip(split(n, &SEASON)) {
                    if code != "8L" {
                        row(&mut rec, q, force.name(), code, &c.to_string())?;
                    }
                    cells.push((q, *force, code, c));
                }
            }
        }
    }
    for (q, force, code, n) in cells {
        let charged = (n * OTHERS_CHARGE_MILLI_PERCENT + 50_000) / 100_000;
        let v16 = n * 30 / 100;
        let v14 = n * 10 / 100;
        let none = n * 12 / 100;
        let open = n - charged - v16 - v14 - none;
        for (t, what, group, c) in [
            (0, "Not yet assigned an outcome", "Not yet assigned an outcome", open),
            (1, "Charged or summonsed", "Charged/Summonsed", charged),
            (
                14,
                "\"Evidential difficulties: suspect not identified, victim does not support action\"",
                "Evidential difficulties (victim does not support action)",
                v14,
            ),
            (
                16,
                "\"Evidential difficulties: suspect identified, victim does not support action\"",
                "Evidential difficulties (victim does not support action)",
                v16,
            ),
            (18, "\"Investigation complete, no suspect identified\"", "Investigation complete - no suspect identified", none),
        ] {
            if c > 0 {
                row(&mut outc, q, force.name(), code, &format!("{what},{group},{t},{c}"))?;
            }
        }
    }
    rec.flush()?;
    outc.flush()
}

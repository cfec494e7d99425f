//! Benchmark: statistics over N synthetic incidents generated in memory (default 10 million).
//! Incidents are generated in batches (not timed) and counted into the Home Office tables
//! (timed); then the derived figures for every force and England and Wales are computed and
//! written for three periods (timed).
//!
//! `cargo run --release -p conduct-stats --example bench_stats -- [N]`

use std::time::{Duration, Instant};

use conduct_domain::{Date, Force, Incident, OffenceCode, OutcomeType};
use conduct_stats::{Period, Tables, derived};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// CPU seconds (user + system) this process has used, from /proc (Linux); `None` elsewhere.
/// The benchmark reports it beside wall-clock time because the machine may be shared.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(") ")?.1.split(' ').collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let forces: Vec<Force> = Force::all().collect();
    let codes: Vec<OffenceCode> =
        ["8L", "8M", "8Q", "8R", "8U", "8/65", "195/12", "105A", "58C"].iter().map(|c| OffenceCode::parse(c).unwrap()).collect();
    let start = Date::new(2013, 4, 1).unwrap().days_since_epoch();
    let span = Date::new(2024, 3, 31).unwrap().days_since_epoch() - start + 1;
    let narratives = [
        "Messages sent online after being told to stop.",
        "Suspect seen loitering outside the victim's home.",
        "Breach of stalking protection order: suspect followed the victim.",
        "",
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tables = Tables::new();
    let (mut counting, mut generating) = (Duration::ZERO, Duration::ZERO);
    let mut counting_cpu = 0.0;
    let batch = 250_000;
    let mut done = 0;
    while done < n {
        let t = Instant::now();
        let m = batch.min(n - done);
        let incidents: Vec<Incident> = (0..m)
            .map(|i| Incident {
                force: forces[rng.below(forces.len() as u64) as usize],
                incident_ref: Default::default(),
                recorded_date: Date::from_days_since_epoch(start + rng.below(span as u64) as i32),
                occurred_date: None,
                offence_code: codes[rng.below(codes.len() as u64) as usize].clone(),
                offence_description: Default::default(),
                domestic_abuse: None,
                cyber: None,
                linked_refs: Vec::new(),
                outcome_type: OutcomeType::new(rng.below(25) as u8),
                outcome_date: None,
                narrative: narratives[(done + i) % narratives.len()].into(),
                secondary_offence_codes: Vec::new(),
                invalid: Vec::new(),
            })
            .collect();
        generating += t.elapsed();
        let t = Instant::now();
        let c = cpu_seconds();
        for i in &incidents {
            tables.add_incident(i);
        }
        counting += t.elapsed();
        counting_cpu += cpu_seconds().zip(c).map_or(0.0, |(b, a)| b - a);
        done += m;
    }
    let t = Instant::now();
    let c = cpu_seconds();
    let dir = std::env::temp_dir().join(format!("conduct-bench-stats-{}", std::process::id()));
    let periods =
        [Period::parse("year to September 2023").unwrap(), Period::parse("2022/23").unwrap(), Period::parse("calendar year 2023").unwrap()];
    derived::write_derived(&dir, &tables, &periods, 9).expect("writes");
    conduct_stats::published::write_recorded(&dir.join("recorded.csv"), &tables).expect("writes");
    conduct_stats::published::write_outcomes(&dir.join("outcomes.csv"), &tables).expect("writes");
    let figures = t.elapsed();
    let figures_cpu = cpu_seconds().zip(c).map_or(0.0, |(b, a)| b - a);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{n} incidents: counted into tables in {:.2} s, figures for {} areas x {} periods and tables written in {:.2} s; \
         statistics total {:.2} s wall, {:.2} s CPU (generation, not counted: {:.2} s)",
        counting.as_secs_f64(),
        tables.forces().len() + 1,
        periods.len(),
        figures.as_secs_f64(),
        (counting + figures).as_secs_f64(),
        counting_cpu + figures_cpu,
        generating.as_secs_f64()
    );
}

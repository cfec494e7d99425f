//! The partitioned link of `docs/scale.md`, simulated as separate processes on one machine:
//! each partition's process finds and compares the candidate pairs of the blocks it owns
//! (`conduct_resolve::block::partition_pairs`); a coordinator merges them, fits the model and
//! clusters (`conduct_resolve::link_from_pairs`). `bench/partitioned.sh` runs it and compares
//! the persons with the single-process link's.
//!
//! ```text
//! partitioned_link whole PEOPLE.csv PERSONS_OUT.csv              # the single-process link
//! partitioned_link part PEOPLE.csv I K PAIRS_OUT                  # partition I of K (0-based)
//! partitioned_link merge PEOPLE.csv PERSONS_OUT.csv PAIRS_FILE... # the coordinator
//! ```
//!
//! A pairs file is the partition's pairs as little-endian (row a: u32, row b: u32, pattern:
//! u64) records. Every process reads the whole people file and normalises it: in the
//! distributed design each partition would receive only the records holding a key it owns
//! (a shuffle by key); the pairs it makes are the same.

use std::io::{BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn fail(msg: String) -> ! {
    eprintln!("partitioned_link: {msg}");
    std::process::exit(1)
}

fn usage() -> ! {
    eprintln!("usage: partitioned_link whole PEOPLE PERSONS_OUT | part PEOPLE I K PAIRS_OUT | merge PEOPLE PERSONS_OUT PAIRS...");
    std::process::exit(2)
}

fn read_rows(path: &str) -> Vec<conduct_domain::Involvement> {
    match conduct_ingest::read_people(Path::new(path)) {
        Ok(f) => f.rows,
        Err(e) => fail(format!("{path}: {e}")),
    }
}

fn write_persons(path: &str, rows: &[conduct_domain::Involvement], person: &[u32]) {
    let mut w = csv::Writer::from_path(path).unwrap_or_else(|e| fail(format!("{path}: {e}")));
    let mut write = || -> Result<(), csv::Error> {
        w.write_record(["record_id", "person_id"])?;
        for (r, &p) in rows.iter().zip(person) {
            w.write_record([r.record_id.as_str(), conduct_domain::ids::PersonId::from_index(p).to_string().as_str()])?;
        }
        w.flush()?;
        Ok(())
    };
    write().unwrap_or_else(|e| fail(format!("{path}: {e}")));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let t = Instant::now();
    let options = conduct_resolve::LinkOptions::default();
    match args.first().map(String::as_str) {
        Some("whole") if args.len() == 3 => {
            let rows = read_rows(&args[1]);
            let l = conduct_resolve::link(&rows, &options).unwrap_or_else(|e| fail(e.to_string()));
            write_persons(&args[2], &rows, &l.person);
            eprintln!(
                "whole: {} rows, {} candidate pairs, {} persons in {:.2} s",
                rows.len(),
                l.stats.candidate_pairs,
                l.stats.persons,
                t.elapsed().as_secs_f64()
            );
        }
        Some("part") if args.len() == 5 => {
            let rows = read_rows(&args[1]);
            let (i, k): (u32, u32) = match (args[2].parse(), args[3].parse()) {
                (Ok(i), Ok(k)) if i < k => (i, k),
                _ => fail(format!("partition {} of {}: want I < K, whole numbers", args[2], args[3])),
            };
            let (feats, _) = conduct_resolve::features(&rows);
            let order = conduct_resolve::record_order(&rows);
            let pairs =
                conduct_resolve::block::partition_pairs(&feats, &order, conduct_resolve::block::RULES, options.max_block_size, i, k);
            let file = std::fs::File::create(&args[4]).unwrap_or_else(|e| fail(format!("{}: {e}", args[4])));
            let mut w = BufWriter::new(file);
            for &(a, b, p) in &pairs {
                let mut rec = [0u8; 16];
                rec[..4].copy_from_slice(&a.to_le_bytes());
                rec[4..8].copy_from_slice(&b.to_le_bytes());
                rec[8..].copy_from_slice(&p.to_le_bytes());
                w.write_all(&rec).unwrap_or_else(|e| fail(format!("{}: {e}", args[4])));
            }
            w.flush().unwrap_or_else(|e| fail(format!("{}: {e}", args[4])));
            eprintln!("partition {i} of {k}: {} candidate pairs compared in {:.2} s", pairs.len(), t.elapsed().as_secs_f64());
        }
        Some("merge") if args.len() >= 4 => {
            let rows = read_rows(&args[1]);
            let mut parts = Vec::new();
            for path in &args[3..] {
                let mut bytes = Vec::new();
                std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).unwrap_or_else(|e| fail(format!("{path}: {e}")));
                if bytes.len() % 16 != 0 {
                    fail(format!("{path}: {} bytes, not whole 16-byte pairs (truncated?)", bytes.len()));
                }
                let word = |c: &[u8], at: usize, n: usize| c[at..at + n].iter().rev().fold(0u64, |x, &b| x << 8 | u64::from(b));
                parts.push(bytes.chunks_exact(16).map(|c| (word(c, 0, 4) as u32, word(c, 4, 4) as u32, word(c, 8, 8))).collect());
            }
            let made: usize = parts.iter().map(Vec::len).sum();
            let (pairs, patterns) = conduct_resolve::block::merge_partitions(parts);
            let n = pairs.len();
            let l =
                conduct_resolve::link_from_pairs(&rows, pairs, patterns, &options).unwrap_or_else(|e| fail(format!("{}: {e}", args[1])));
            write_persons(&args[2], &rows, &l.person);
            eprintln!(
                "merge: {} partitions, {made} pairs made, {n} distinct, {} persons in {:.2} s",
                args.len() - 3,
                l.stats.persons,
                t.elapsed().as_secs_f64()
            );
        }
        _ => usage(),
    }
}

//! Links one people file and prints stage timings (and, when the file carries a
//! `true_person_id` column, pairwise and B-cubed scores against it):
//! `cargo run --release -p conduct-resolve --example link_file -- PEOPLE.csv [THRESHOLD]`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

// The `conduct` binary uses mimalloc; so does this example, so its timings are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().expect("usage: link_file PEOPLE_FILE [THRESHOLD_WEIGHT]"));
    let mut options = conduct_resolve::LinkOptions::default();
    if let Some(t) = args.next() {
        options.threshold_weight = t.parse().expect("threshold is a number");
    }
    let t0 = Instant::now();
    let file = conduct_ingest::read_people(&path).expect("people file reads");
    let read = t0.elapsed();
    eprintln!("read {} rows ({} rejected) in {:.2}s", file.rows.len(), file.rejects.len(), read.as_secs_f64());
    let linkage = conduct_resolve::link(&file.rows, &options).expect("links");
    eprint!("{}", linkage.stats.to_text());
    eprintln!("end to end (read + link): {:.2}s", t0.elapsed().as_secs_f64());
    let m = &linkage.model;
    eprintln!(
        "lambda {:.3e}, EM match share {:.4} over {} patterns, {} iterations",
        m.lambda, m.notes.em_match_share, m.notes.em_patterns, m.notes.em_iterations
    );
    if std::env::var_os("SHOW_MODEL").is_some() {
        for c in &m.comparisons {
            for l in &c.levels {
                eprintln!("  {:<16} {:<36} m {:.5} u {:.3e} w {:+.2}", c.name, l.label, l.m, l.u, (l.m / l.u).log2());
            }
        }
    }
    if let Ok(truth) = conduct_resolve::eval::read_assignment(&path, "true_person_id") {
        let predicted: HashMap<String, String> = file
            .rows
            .iter()
            .zip(&linkage.person)
            .map(|(r, &p)| (r.record_id.to_string(), conduct_domain::ids::PersonId::from_index(p).to_string()))
            .collect();
        let s = conduct_resolve::eval::score(&truth, &predicted);
        if let Some(k) = std::env::var_os("SHOW_ERRORS") {
            // Print up to k missed and k wrongly joined pairs with their waterfalls.
            let k: usize = k.to_str().and_then(|k| k.parse().ok()).unwrap_or(5);
            let (feats, tf) = conduct_resolve::features(&file.rows);
            let idx: HashMap<&str, usize> = file.rows.iter().enumerate().map(|(i, r)| (r.record_id.as_str(), i)).collect();
            let mut by_truth: HashMap<&str, Vec<usize>> = HashMap::new();
            for (id, t) in &truth {
                if let Some(&i) = idx.get(id.as_str()) {
                    by_truth.entry(t.as_str()).or_default().push(i);
                }
            }
            let mut groups: Vec<Vec<usize>> = by_truth.into_values().collect();
            groups.iter_mut().for_each(|g| g.sort_unstable());
            groups.sort_unstable();
            let scored: HashMap<(usize, usize), f32> = linkage.pairs.iter().map(|p| ((p.a as usize, p.b as usize), p.weight)).collect();
            let (mut not_candidate, mut below, mut refused) = (0, 0, 0);
            for g in &groups {
                for x in 0..g.len() {
                    for y in x + 1..g.len() {
                        let (a, b) = (g[x], g[y]);
                        if linkage.person[a] != linkage.person[b] {
                            match scored.get(&(a, b)) {
                                None => not_candidate += 1,
                                Some(&w) if f64::from(w) < m.threshold_weight => below += 1,
                                Some(_) => {
                                    refused += 1;
                                    let veto = conduct_resolve::cluster::Veto::from_weights(&m.weights(), m.veto_weight);
                                    let why = conduct_resolve::cluster::contradiction(&feats[a], &feats[b], &veto);
                                    if std::env::var_os("SHOW_KEPT_APART").is_some() {
                                        let (ra, rb) = (&file.rows[a], &file.rows[b]);
                                        eprintln!(
                                            "APART {why:?}: {} {} {} {} {} | {} {} {} {} {}",
                                            ra.forename,
                                            ra.middle_names,
                                            ra.surname,
                                            ra.date_of_birth(),
                                            ra.sex,
                                            rb.forename,
                                            rb.middle_names,
                                            rb.surname,
                                            rb.date_of_birth(),
                                            rb.sex
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
            eprintln!(
                "missed true pairs: {not_candidate} never compared, {below} below threshold, {refused} above threshold but kept apart"
            );
            let mut shown = 0;
            'm: for g in &groups {
                for x in 0..g.len() {
                    for y in x + 1..g.len() {
                        let (a, b) = (g[x], g[y]);
                        if linkage.person[a] != linkage.person[b] && shown < k {
                            shown += 1;
                            eprintln!(
                                "MISSED {} {}\n{}",
                                file.rows[a].record_id,
                                file.rows[b].record_id,
                                conduct_resolve::explain::explain(&feats[a], &feats[b], m, &tf)
                            );
                            continue 'm;
                        }
                    }
                }
            }
            let truth_of = |i: usize| truth.get(file.rows[i].record_id.as_str()).map(String::as_str);
            let mut shown = 0;
            for p in &linkage.pairs {
                let (a, b) = (p.a as usize, p.b as usize);
                if linkage.person[a] == linkage.person[b] && truth_of(a) != truth_of(b) && shown < k {
                    shown += 1;
                    eprintln!(
                        "WRONG {} {}\n{}",
                        file.rows[a].record_id,
                        file.rows[b].record_id,
                        conduct_resolve::explain::explain(&feats[a], &feats[b], m, &tf)
                    );
                }
            }
        }
        eprintln!(
            "pairwise precision {:.5} recall {:.5} F1 {:.5} (true pairs {}, predicted {}, correct {}); B-cubed P {:.5} R {:.5} F1 {:.5}",
            s.precision, s.recall, s.f1, s.true_pairs, s.predicted_pairs, s.correct_pairs, s.bcubed_precision, s.bcubed_recall, s.bcubed_f1
        );
    }
}

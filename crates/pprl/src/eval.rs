//! Scoring cross-force links against ground truth: pairwise precision, recall and F1 over the
//! pairs of records held by two different parties.
//!
//! Ground truth is a people file with `record_id`, `force` and a true person column (synthetic
//! worlds and the FEBRL benchmark carry one); the hub never reads it. Predicted pairs come
//! either from the hub's links files (pseudonyms mapped back through the parties' keymaps) or
//! from a plaintext `persons.csv`, so the two can be compared on the same records.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, ErrorKind};

/// Pairwise scores over cross-party pairs.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CrossScores {
    /// Records scored.
    pub records: usize,
    /// True cross-party pairs.
    pub true_pairs: u64,
    /// Predicted cross-party pairs.
    pub predicted_pairs: u64,
    /// Predicted pairs that are true.
    pub correct_pairs: u64,
    /// correct / predicted.
    pub precision: f64,
    /// correct / true.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
}

/// Pairs of records (indices into the truth), the smaller first.
pub type Pairs = HashSet<(u32, u32)>;

/// The truth: per record_id, its force and true person.
pub struct Truth {
    index: HashMap<String, u32>,
    force: Vec<String>,
    person: Vec<String>,
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> Error + '_ {
    move |e| Error::new(ErrorKind::Csv(e), Some(path))
}

fn columns(path: &Path, headers: &csv::StringRecord, want: &[&str]) -> Result<Vec<usize>, Error> {
    want.iter()
        .map(|w| {
            headers.iter().position(|h| h.trim() == *w).ok_or_else(|| Error::new(ErrorKind::Input(format!("no {w} column")), Some(path)))
        })
        .collect()
}

impl Truth {
    /// Reads truth files (CSV with `record_id`, `force` and `column`).
    ///
    /// # Errors
    ///
    /// A file that cannot be read, lacks a column, or repeats a record_id.
    pub fn read(paths: &[PathBuf], column: &str) -> Result<Truth, Error> {
        let mut t = Truth { index: HashMap::new(), force: Vec::new(), person: Vec::new() };
        for path in paths {
            let mut r = csv::Reader::from_path(path).map_err(csv_err(path))?;
            let h = r.headers().map_err(csv_err(path))?.clone();
            let c = columns(path, &h, &["record_id", "force", column])?;
            for row in r.records() {
                let row = row.map_err(csv_err(path))?;
                let id = row.get(c[0]).unwrap_or("").to_string();
                let n = t.force.len() as u32;
                if t.index.insert(id.clone(), n).is_some() {
                    return Err(Error::new(
                        ErrorKind::Input(format!("record_id {id:?} appears twice; scoring needs unique record ids")),
                        Some(path),
                    ));
                }
                t.force.push(row.get(c[1]).unwrap_or("").trim().to_string());
                t.person.push(row.get(c[2]).unwrap_or("").trim().to_string());
            }
        }
        Ok(t)
    }

    /// Scores predicted pairs of record_ids over `scope` (the records both sides saw; all when
    /// `None`). Pairs inside one force are ignored on both sides.
    pub fn score(&self, predicted: &HashSet<(u32, u32)>, scope: Option<&HashSet<u32>>) -> CrossScores {
        let inside = |i: u32| scope.is_none_or(|s| s.contains(&i));
        let mut by_person: HashMap<&str, Vec<u32>> = HashMap::new();
        for i in 0..self.person.len() as u32 {
            if inside(i) && !self.person[i as usize].is_empty() {
                by_person.entry(&self.person[i as usize]).or_default().push(i);
            }
        }
        let mut true_pairs: HashSet<(u32, u32)> = HashSet::new();
        for m in by_person.values() {
            for (x, &a) in m.iter().enumerate() {
                for &b in &m[x + 1..] {
                    if self.force[a as usize] != self.force[b as usize] {
                        true_pairs.insert((a.min(b), a.max(b)));
                    }
                }
            }
        }
        let predicted: HashSet<(u32, u32)> = predicted
            .iter()
            .copied()
            .filter(|&(a, b)| inside(a) && inside(b) && self.force[a as usize] != self.force[b as usize])
            .collect();
        let correct = predicted.intersection(&true_pairs).count() as u64;
        let (p, t) = (predicted.len() as u64, true_pairs.len() as u64);
        let precision = if p == 0 { 1.0 } else { correct as f64 / p as f64 };
        let recall = if t == 0 { 1.0 } else { correct as f64 / t as f64 };
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        CrossScores {
            records: scope.map_or(self.person.len(), HashSet::len),
            true_pairs: t,
            predicted_pairs: p,
            correct_pairs: correct,
            precision,
            recall,
            f1,
        }
    }

    fn id(&self, path: &Path, record_id: &str) -> Result<u32, Error> {
        self.index
            .get(record_id)
            .copied()
            .ok_or_else(|| Error::new(ErrorKind::Input(format!("record_id {record_id:?} is not in the truth")), Some(path)))
    }
}

/// Predicted pairs from the hub's links files, mapped back through the parties' keymaps; and
/// the records the keymaps name (the scope).
///
/// # Errors
///
/// A file that cannot be read, or a pseudonym or record_id that the keymaps or truth lack.
pub fn pairs_from_links(truth: &Truth, links: &[PathBuf], keymaps: &[PathBuf]) -> Result<(Pairs, HashSet<u32>), Error> {
    let mut by_pseudonym: HashMap<String, u32> = HashMap::new();
    let mut scope = HashSet::new();
    for path in keymaps {
        let mut r = csv::Reader::from_path(path).map_err(csv_err(path))?;
        let h = r.headers().map_err(csv_err(path))?.clone();
        let c = columns(path, &h, &["record_id", "pseudonym"])?;
        for row in r.records() {
            let row = row.map_err(csv_err(path))?;
            let id = truth.id(path, row.get(c[0]).unwrap_or(""))?;
            scope.insert(id);
            by_pseudonym.insert(row.get(c[1]).unwrap_or("").to_string(), id);
        }
    }
    let mut pairs = HashSet::new();
    for path in links {
        let mut r = csv::Reader::from_path(path).map_err(csv_err(path))?;
        let h = r.headers().map_err(csv_err(path))?.clone();
        let c = columns(path, &h, &["pseudonym", "other_pseudonym"])?;
        for row in r.records() {
            let row = row.map_err(csv_err(path))?;
            let get = |k: usize| {
                let p = row.get(c[k]).unwrap_or("");
                by_pseudonym
                    .get(p)
                    .copied()
                    .ok_or_else(|| Error::new(ErrorKind::Input(format!("pseudonym {p} is in no keymap given")), Some(path)))
            };
            let (a, b) = (get(0)?, get(1)?);
            pairs.insert((a.min(b), a.max(b)));
        }
    }
    Ok((pairs, scope))
}

/// Predicted pairs from a plaintext `persons.csv` (`record_id,person_id`).
///
/// # Errors
///
/// A file that cannot be read, or a record_id the truth lacks.
pub fn pairs_from_persons(truth: &Truth, persons: &Path) -> Result<HashSet<(u32, u32)>, Error> {
    let mut r = csv::Reader::from_path(persons).map_err(csv_err(persons))?;
    let h = r.headers().map_err(csv_err(persons))?.clone();
    let c = columns(persons, &h, &["record_id", "person_id"])?;
    let mut by_person: HashMap<String, Vec<u32>> = HashMap::new();
    for row in r.records() {
        let row = row.map_err(csv_err(persons))?;
        let id = truth.id(persons, row.get(c[0]).unwrap_or(""))?;
        by_person.entry(row.get(c[1]).unwrap_or("").to_string()).or_default().push(id);
    }
    let mut pairs = HashSet::new();
    for m in by_person.values() {
        for (x, &a) in m.iter().enumerate() {
            for &b in &m[x + 1..] {
                pairs.insert((a.min(b), a.max(b)));
            }
        }
    }
    Ok(pairs)
}

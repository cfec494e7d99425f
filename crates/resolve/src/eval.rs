//! Evaluation of a person assignment against ground truth: pairwise precision, recall and F1
//! (over all pairs of records put in one person) and cluster-level B-cubed.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, ErrorKind};

/// Scores of a predicted assignment against the truth.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scores {
    /// Records scored (those in the truth; missing predictions count as singletons).
    pub records: u64,
    /// Pairs that are one person in truth.
    pub true_pairs: u64,
    /// Pairs predicted to be one person.
    pub predicted_pairs: u64,
    /// Pairs both.
    pub correct_pairs: u64,
    /// Pairwise precision.
    pub precision: f64,
    /// Pairwise recall.
    pub recall: f64,
    /// Pairwise F1.
    pub f1: f64,
    /// B-cubed precision.
    pub bcubed_precision: f64,
    /// B-cubed recall.
    pub bcubed_recall: f64,
    /// B-cubed F1.
    pub bcubed_f1: f64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 }
}

/// Scores `predicted` (record → person) against `truth` (record → true person). Records in
/// the truth but not predicted count as singletons; predicted records not in the truth are
/// ignored.
pub fn score(truth: &HashMap<String, String>, predicted: &HashMap<String, String>) -> Scores {
    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();
    let mut t_size: HashMap<&str, u64> = HashMap::new();
    let mut p_size: HashMap<(bool, &str), u64> = HashMap::new();
    let mut cell: HashMap<(&str, (bool, &str)), u64> = HashMap::new();
    for id in &ids {
        let t = truth[*id].as_str();
        let p: (bool, &str) = match predicted.get(*id) {
            Some(p) => (true, p.as_str()),
            None => (false, id.as_str()),
        };
        *t_size.entry(t).or_default() += 1;
        *p_size.entry(p).or_default() += 1;
        *cell.entry((t, p)).or_default() += 1;
    }
    let true_pairs: u64 = t_size.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: u64 = p_size.values().map(|&n| pairs(n)).sum();
    let correct_pairs: u64 = cell.values().map(|&n| pairs(n)).sum();
    let precision = if predicted_pairs == 0 { 1.0 } else { correct_pairs as f64 / predicted_pairs as f64 };
    let recall = if true_pairs == 0 { 1.0 } else { correct_pairs as f64 / true_pairs as f64 };
    let (mut bp, mut br) = (0.0, 0.0);
    for ((t, p), &n) in &cell {
        // Each of the n records in this cell scores n/|pred| and n/|truth|.
        bp += n as f64 * n as f64 / p_size[p] as f64;
        br += n as f64 * n as f64 / t_size[t] as f64;
    }
    let records = ids.len() as u64;
    let (bp, br) = if records == 0 { (1.0, 1.0) } else { (bp / records as f64, br / records as f64) };
    Scores {
        records,
        true_pairs,
        predicted_pairs,
        correct_pairs,
        precision,
        recall,
        f1: f1(precision, recall),
        bcubed_precision: bp,
        bcubed_recall: br,
        bcubed_f1: f1(bp, br),
    }
}

/// Reads `record_id` and one other column (e.g. `true_person_id` or `person_id`) from a CSV
/// file with a header, such as an export's people file, taking every cell as it is. Rows with
/// an empty value in that column are skipped.
///
/// # Errors
///
/// [`crate::ErrorKind::Csv`] when the file cannot be read as CSV, [`crate::ErrorKind::BadOptions`]
/// when it lacks `record_id` or `column`.
pub fn read_assignment(path: &Path, column: &str) -> Result<HashMap<String, String>, Error> {
    read(path, column, false)
}

/// [`read_assignment`] for a file Conduct wrote (persons.csv): every cell is read back as it was
/// before [`conduct_domain::cell::inert`] made it safe for spreadsheets, so a record_id `=1+1`,
/// written `'=1+1`, matches the `=1+1` of the people file.
///
/// # Errors
///
/// As [`read_assignment`].
pub fn read_written_assignment(path: &Path, column: &str) -> Result<HashMap<String, String>, Error> {
    read(path, column, true)
}

fn read(path: &Path, column: &str, written: bool) -> Result<HashMap<String, String>, Error> {
    let ctx = || path.display().to_string();
    let mut rdr = csv::Reader::from_path(path).map_err(|e| Error::new(ErrorKind::Csv(e), ctx()))?;
    let headers = rdr.headers().map_err(|e| Error::new(ErrorKind::Csv(e), ctx()))?.clone();
    let find = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(id_col), Some(val_col)) = (find("record_id"), find(column)) else {
        return Err(Error::new(ErrorKind::BadOptions(format!("needs columns record_id and {column}")), ctx()));
    };
    let mut out = HashMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::new(ErrorKind::Csv(e), ctx()))?;
        let cell = |i: usize| {
            let c = rec.get(i).unwrap_or("").trim();
            if written { conduct_domain::cell::restore(c).trim().to_string() } else { c.to_string() }
        };
        let (id, v) = (cell(id_col), cell(val_col));
        if !id.is_empty() && !v.is_empty() {
            out.insert(id, v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: &[(&str, &str)]) -> HashMap<String, String> {
        v.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect()
    }

    #[test]
    fn perfect_prediction_scores_one() {
        let t = map(&[("a", "1"), ("b", "1"), ("c", "2")]);
        let p = map(&[("a", "x"), ("b", "x"), ("c", "y")]);
        let s = score(&t, &p);
        assert_eq!((s.precision, s.recall, s.f1, s.bcubed_f1), (1.0, 1.0, 1.0, 1.0));
    }

    #[test]
    fn over_merging_costs_precision() {
        let t = map(&[("a", "1"), ("b", "1"), ("c", "2")]);
        let p = map(&[("a", "x"), ("b", "x"), ("c", "x")]);
        let s = score(&t, &p);
        assert_eq!((s.true_pairs, s.predicted_pairs, s.correct_pairs), (1, 3, 1));
        assert!((s.precision - 1.0 / 3.0).abs() < 1e-12 && s.recall == 1.0);
        // B-cubed precision: a,b score 2/3 each, c scores 1/3.
        assert!((s.bcubed_precision - 5.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn missing_predictions_are_singletons() {
        let t = map(&[("a", "1"), ("b", "1")]);
        let s = score(&t, &HashMap::new());
        assert_eq!((s.predicted_pairs, s.recall), (0, 0.0));
    }
}

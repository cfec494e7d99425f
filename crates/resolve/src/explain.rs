//! The waterfall: why a pair scores what it scores — each comparison's level and weight,
//! term-frequency adjustments, the running total and the resulting probability, and whether
//! clustering would refuse to join the two records.

use std::fmt;

use crate::cluster::{Veto, contradiction};
use crate::compare::{COMPARISONS, compare, field};
use crate::model::{Model, TermFrequencies, probability};
use crate::normalise::Features;

/// One comparison's contribution (serialised as the dashboard's person page shows it).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Step {
    /// The comparison.
    pub comparison: &'static str,
    /// The level's label ("missing" when either side is empty).
    pub level: String,
    /// The two normalised values compared.
    pub values: (String, String),
    /// `log2(m/u)` of the level (0 when missing).
    pub weight: f64,
    /// Term-frequency adjustment (exact forename or surname only).
    pub tf_adjustment: f64,
    /// Total so far, prior included.
    pub cumulative: f64,
}

/// A pair's waterfall.
#[derive(Clone, Debug, PartialEq)]
pub struct Waterfall {
    /// `log2(λ/(1-λ))`.
    pub prior: f64,
    /// Per comparison.
    pub steps: Vec<Step>,
    /// The match weight.
    pub total: f64,
    /// Its probability.
    pub probability: f64,
    /// The model's threshold for joining.
    pub threshold: f64,
    /// Why clustering would refuse to join the two, if it would.
    pub contradiction: Option<(&'static str, &'static str)>,
}

fn shown(f: &Features, k: usize) -> String {
    match k {
        field::FORENAME => {
            if f.middle.is_empty() {
                f.forename.to_string()
            } else {
                format!("{} ({})", f.forename, f.middle)
            }
        }
        field::SURNAME => f.surname.to_string(),
        field::DOB => {
            if f.dob.year == 0 {
                String::new()
            } else {
                format!("{:04}-{:02}-{:02}", f.dob.year, f.dob.month, f.dob.day).replace("-00", "-??")
            }
        }
        field::POSTCODE => f.postcode.to_string(),
        field::ADDRESS => f.address.to_string(),
        field::PHONE => {
            if f.phone == 0 {
                String::new()
            } else {
                format!("+{}", f.phone)
            }
        }
        field::EMAIL => {
            if f.email_h == 0 {
                String::new()
            } else {
                "(present)".into()
            }
        }
        field::HANDLES => {
            if f.handles.is_empty() {
                String::new()
            } else {
                format!("{} handle(s)", f.handles.len())
            }
        }
        field::PNC => f.pnc.to_string(),
        field::NI => f.ni.to_string(),
        field::SEX => ["", "M", "F"][f.sex as usize].to_string(),
        _ => {
            if f.nominal == 0 {
                String::new()
            } else {
                "(present)".into()
            }
        }
    }
}

/// Explains the pair `(a, b)` under `model`, with term frequencies `tf` from the same data.
pub fn explain(a: &Features, b: &Features, model: &Model, tf: &TermFrequencies) -> Waterfall {
    let w = model.weights();
    let p = compare(a, b);
    let mut total = w.prior;
    let mut steps = Vec::new();
    for (k, &l) in p.iter().enumerate() {
        let weight = w.of(&p, k);
        let tf_adjustment = match (k, l) {
            // The smaller of the two records' adjustments, as `crate::pair_adjustment` takes it.
            (field::FORENAME, 1) => tf.adjustment(0, a.forename_h, &w).min(tf.adjustment(0, b.forename_h, &w)),
            (field::SURNAME, 1) => tf.adjustment(1, a.surname_h, &w).min(tf.adjustment(1, b.surname_h, &w)),
            _ => 0.0,
        };
        total += weight + tf_adjustment;
        let mut level = if l == 0 { "missing".to_string() } else { COMPARISONS[k].levels[l as usize - 1].to_string() };
        // Weighed by how often namesakes share it (see `model::estimate_u_given_names`).
        if weight != w.level[k][l as usize] {
            level.push_str(" (among namesakes)");
        }
        steps.push(Step {
            comparison: COMPARISONS[k].name,
            level,
            values: (shown(a, k), shown(b, k)),
            weight,
            tf_adjustment,
            cumulative: total,
        });
    }
    Waterfall {
        prior: w.prior,
        steps,
        total,
        probability: probability(total),
        threshold: model.threshold_weight,
        contradiction: contradiction(a, b, &Veto::from_weights(&w, model.veto_weight)),
    }
}

impl fmt::Display for Waterfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<16} {:<36} {:>8} {:>7} {:>9}   values", "comparison", "level", "weight", "tf", "total")?;
        writeln!(f, "{:<16} {:<36} {:>8.2} {:>7} {:>9.2}", "prior (lambda)", "", self.prior, "", self.prior)?;
        for s in &self.steps {
            let tf = if s.tf_adjustment == 0.0 { String::new() } else { format!("{:+.2}", s.tf_adjustment) };
            writeln!(
                f,
                "{:<16} {:<36} {:>+8.2} {:>7} {:>9.2}   {:?} | {:?}",
                s.comparison, s.level, s.weight, tf, s.cumulative, s.values.0, s.values.1
            )?;
        }
        writeln!(f, "match weight {:.2} (threshold {:.2}), probability {:.6}", self.total, self.threshold, self.probability)?;
        match self.contradiction {
            Some((c, l)) => writeln!(f, "clustering would refuse to join these two: {c} {l} is a veto level"),
            None => writeln!(f, "no contradiction: clustering may join these two if the weight clears the threshold"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::tests::person;
    use crate::normalise::{Nicknames, normalise};

    #[test]
    fn waterfall_adds_up() {
        let n = Nicknames::builtin();
        let a = normalise(&person("Robert", "Smith", "1960-03-04"), &n);
        let b = normalise(&person("Bob", "Smith", "1960-03-04"), &n);
        let model = Model::prior(0.0);
        let tf = TermFrequencies::count(&[a.clone(), b.clone()]);
        let w = explain(&a, &b, &model, &tf);
        let sum: f64 = w.prior + w.steps.iter().map(|s| s.weight + s.tf_adjustment).sum::<f64>();
        assert!((sum - w.total).abs() < 1e-9);
        assert_eq!(w.steps[0].level, "nickname or alias");
        assert!(w.to_string().contains("probability"));
    }

    #[test]
    fn the_waterfall_says_when_namesakes_weigh_an_email() {
        let n = Nicknames::builtin();
        let mut ra = person("Claire", "Brooks", "1995-03-06");
        let mut rb = person("Claire", "Brooks", "");
        ra.email = "brooks.claire@example.org".into();
        rb.email = ra.email.clone();
        let (a, b) = (normalise(&ra, &n), normalise(&rb, &n));
        let tf = TermFrequencies::count(&[a.clone(), b.clone()]);
        let mut model = Model::prior(5.0);
        model.comparisons[field::EMAIL].levels[0].u = 1e-5;
        let plain = explain(&a, &b, &model, &tf);
        let email = |w: &Waterfall| w.steps[field::EMAIL].clone();
        assert_eq!(email(&plain).level, "exact");
        model.comparisons[field::EMAIL].levels[0].u_given_names = Some(0.08);
        let given = explain(&a, &b, &model, &tf);
        assert_eq!(email(&given).level, "exact (among namesakes)");
        assert!(email(&given).weight < email(&plain).weight);
        assert!((given.total - (plain.total - email(&plain).weight + email(&given).weight)).abs() < 1e-9);
    }
}

//! Scores courses.csv against ground truth (`true_course_id` in a synthetic incidents file):
//! pairwise precision, recall and F1 over pairs of reports placed in one course; recall and
//! precision of hidden repeats; and, when breaches.csv sits beside courses.csv and the truth has
//! `true_breach_order_ref`, precision and recall of possible breaches.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use conduct_domain::{Date, Force};

use crate::Error;

/// Precision, recall and F1 with the counts behind them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Score {
    /// Found and true.
    pub true_positives: u64,
    /// Found.
    pub predicted: u64,
    /// True.
    pub actual: u64,
}

impl Score {
    /// true positives / predicted (1 when nothing was predicted).
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 { 1.0 } else { self.true_positives as f64 / self.predicted as f64 }
    }

    /// true positives / actual (1 when nothing was there to find).
    pub fn recall(&self) -> f64 {
        if self.actual == 0 { 1.0 } else { self.true_positives as f64 / self.actual as f64 }
    }

    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "precision": self.precision(), "recall": self.recall(), "f1": self.f1(),
            "true_positives": self.true_positives, "predicted": self.predicted, "actual": self.actual,
        })
    }
}

/// The scores of one evaluation.
#[derive(Clone, Debug, Default)]
pub struct CourseScores {
    /// Pairs of reports in one course.
    pub pairs: Score,
    /// Hidden repeats.
    pub hidden: Score,
    /// Possible breaches, when both sides have them.
    pub breaches: Option<Score>,
    /// Course flags of course_summary.csv scored against the truth, when both sides have them
    /// ([`FLAG_TRUTH`]): over true courses, a flagged course counting for the true course most
    /// of its reports belong to.
    pub flags: Vec<(&'static str, Score)>,
}

/// The course flags scored, each with the truth it is scored against: `screened_high` (a
/// screening of the course graded high by the force) against a high `true_course_risk`;
/// `stalking_under_other_crime` (stalking recorded only beside another crime) against a report
/// recorded under another crime (`true_recorded_under_other_crime`), whether or not the force
/// added a secondary code.
pub const FLAG_TRUTH: [(&str, &str); 2] =
    [("screened_high", "true_course_risk"), ("stalking_under_other_crime", "true_recorded_under_other_crime")];

fn read(path: &Path) -> Result<(csv::StringRecord, Vec<csv::StringRecord>), Error> {
    let err = |e: csv::Error| Error::read(path, e);
    let mut r = csv::ReaderBuilder::new().flexible(false).from_path(path).map_err(err)?;
    let header = r.headers().map_err(err)?.clone();
    let rows = r.records().collect::<Result<Vec<_>, _>>().map_err(err)?;
    Ok((header, rows))
}

/// Reads a file Conduct wrote (courses.csv, breaches.csv): every cell back as it was before
/// [`conduct_domain::cell::inert`] made it safe for spreadsheets.
fn read_written(path: &Path) -> Result<(csv::StringRecord, Vec<csv::StringRecord>), Error> {
    let (header, rows) = read(path)?;
    let rows = rows.iter().map(|r| r.iter().map(|c| conduct_domain::cell::restore(c)).collect()).collect();
    Ok((header, rows))
}

fn column(header: &csv::StringRecord, name: &str, path: &Path) -> Result<usize, Error> {
    header.iter().position(|h| h.trim().eq_ignore_ascii_case(name)).ok_or_else(|| Error::input(path, format!("no column {name:?}")))
}

fn force(name: &str, path: &Path, line: usize) -> Result<Force, Error> {
    Force::resolve(name).map_err(|e| Error::input(path, format!("line {}: {e}", line + 2)))
}

/// Scores `predicted` (courses.csv) against `truth` (an incidents file with `true_course_id`).
///
/// # Errors
///
/// [`Error`] naming the file when either cannot be read as CSV, lacks a column it needs,
/// or has a row whose force, date or course cannot be read.
pub fn score(truth: &Path, predicted: &Path) -> Result<CourseScores, Error> {
    let (h, rows) = read(truth)?;
    let (cf, cr, cd, cl, ct) = (
        column(&h, "force", truth)?,
        column(&h, "incident_ref", truth)?,
        column(&h, "recorded_date", truth)?,
        column(&h, "linked_refs", truth)?,
        column(&h, "true_course_id", truth)?,
    );
    let cb = column(&h, "true_breach_order_ref", truth).ok();
    let flag_truth: Vec<(&'static str, usize)> =
        FLAG_TRUTH.iter().filter_map(|&(flag, col)| column(&h, col, truth).ok().map(|c| (flag, c))).collect();
    // The true courses each flag should find.
    let mut flag_actual: HashMap<&'static str, HashSet<String>> = HashMap::new();
    let mut id: HashMap<(Force, String), u32> = HashMap::new();
    let mut true_course: Vec<Option<String>> = Vec::new();
    let mut members: HashMap<String, Vec<u32>> = HashMap::new();
    let mut true_breaches: HashSet<(u32, String)> = HashSet::new();
    let mut date = Vec::new();
    let mut links: Vec<Vec<String>> = Vec::new();
    for (line, r) in rows.iter().enumerate() {
        let key = (force(&r[cf], truth, line)?, r[cr].trim().to_string());
        let n = id.len() as u32;
        id.insert(key, n);
        let course = r[ct].trim();
        true_course.push((!course.is_empty()).then(|| course.to_string()));
        if !course.is_empty() {
            members.entry(course.to_string()).or_default().push(n);
            for &(flag, c) in &flag_truth {
                let v = r[c].trim();
                if (flag == "screened_high" && v == "high") || (flag != "screened_high" && v == "true") {
                    flag_actual.entry(flag).or_default().insert(course.to_string());
                }
            }
        }
        if let Some(cb) = cb {
            if !r[cb].trim().is_empty() {
                true_breaches.insert((n, r[cb].trim().to_string()));
            }
        }
        date.push(Date::parse(&r[cd]).map(|d| d.days_since_epoch()).unwrap_or(0));
        links.push(r[cl].split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect());
    }
    let refs: Vec<(Force, String)> = {
        let mut v = vec![(Force::all().next().expect("forces"), String::new()); id.len()];
        for (k, &n) in &id {
            v[n as usize] = k.clone();
        }
        v
    };
    // True hidden repeats: in a course, not its first report, naming no earlier report of it.
    let mut true_hidden: HashSet<u32> = HashSet::new();
    let mut actual_pairs = 0u64;
    for m in members.values_mut() {
        m.sort_by_key(|&n| (date[n as usize], n));
        actual_pairs += (m.len() as u64) * (m.len() as u64 - 1) / 2;
        for (k, &n) in m.iter().enumerate().skip(1) {
            let (f, _) = &refs[n as usize];
            let linked = m[..k].iter().any(|&e| {
                let (ef, er) = &refs[e as usize];
                ef == f && links[n as usize].iter().any(|l| l == er)
            });
            if !linked {
                true_hidden.insert(n);
            }
        }
    }

    let (h, rows) = read_written(predicted)?;
    let (pc, pf, pr) = (column(&h, "course_id", predicted)?, column(&h, "force", predicted)?, column(&h, "incident_ref", predicted)?);
    let ph = column(&h, "hidden_repeat", predicted).ok();
    let mut courses: HashMap<String, Vec<u32>> = HashMap::new();
    let mut predicted_hidden: HashSet<u32> = HashSet::new();
    for (line, r) in rows.iter().enumerate() {
        let key = (force(&r[pf], predicted, line)?, r[pr].trim().to_string());
        let Some(&n) = id.get(&key) else {
            return Err(Error::input(predicted, format!("line {}: incident {} of {} is not in the truth file", line + 2, key.1, key.0)));
        };
        courses.entry(r[pc].to_string()).or_default().push(n);
        if ph.is_some_and(|c| r[c].trim() == "true") {
            predicted_hidden.insert(n);
        }
    }
    // The true course most of a predicted course's reports belong to (ties: the first by id).
    let majority = |m: &[u32]| -> Option<String> {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for &n in m {
            if let Some(c) = &true_course[n as usize] {
                *count.entry(c.as_str()).or_default() += 1;
            }
        }
        count.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(c, _)| c.to_string())
    };
    let summary_file = predicted.with_file_name("course_summary.csv");
    let mut flags = Vec::new();
    if !flag_truth.is_empty() && summary_file.exists() {
        let (h, rows) = read_written(&summary_file)?;
        let (sc, sf) = (column(&h, "course_id", &summary_file)?, column(&h, "flags", &summary_file)?);
        for &(flag, _) in &flag_truth {
            let mut found: HashSet<String> = HashSet::new();
            for r in rows.iter().filter(|r| r[sf].split(';').any(|f| f.trim() == flag)) {
                let m = courses.get(&r[sc]).map(Vec::as_slice).unwrap_or_default();
                found.insert(majority(m).unwrap_or_else(|| format!("predicted:{}", &r[sc])));
            }
            let actual = flag_actual.remove(flag).unwrap_or_default();
            flags.push((
                flag,
                Score {
                    true_positives: found.intersection(&actual).count() as u64,
                    predicted: found.len() as u64,
                    actual: actual.len() as u64,
                },
            ));
        }
    }
    let mut pairs: HashSet<u64> = HashSet::new();
    for m in courses.values_mut() {
        m.sort_unstable();
        m.dedup();
        for (a, &x) in m.iter().enumerate() {
            for &y in &m[a + 1..] {
                pairs.insert((u64::from(x) << 32) | u64::from(y));
            }
        }
    }
    let tp = pairs
        .iter()
        .filter(|&&p| {
            let (x, y) = ((p >> 32) as usize, (p & 0xffff_ffff) as usize);
            true_course[x].is_some() && true_course[x] == true_course[y]
        })
        .count() as u64;
    let pairs = Score { true_positives: tp, predicted: pairs.len() as u64, actual: actual_pairs };
    let hidden = Score {
        true_positives: predicted_hidden.intersection(&true_hidden).count() as u64,
        predicted: predicted_hidden.len() as u64,
        actual: true_hidden.len() as u64,
    };
    let breaches_file = predicted.with_file_name("breaches.csv");
    let breaches = if cb.is_some() && breaches_file.exists() {
        let (h, rows) = read_written(&breaches_file)?;
        let (bf, br, bo) = (
            column(&h, "incident_force", &breaches_file)?,
            column(&h, "incident_ref", &breaches_file)?,
            column(&h, "order_ref", &breaches_file)?,
        );
        let mut found: HashSet<(u32, String)> = HashSet::new();
        for (line, r) in rows.iter().enumerate() {
            if let Some(&n) = id.get(&(force(&r[bf], &breaches_file, line)?, r[br].trim().to_string())) {
                found.insert((n, r[bo].trim().to_string()));
            }
        }
        Some(Score {
            true_positives: found.intersection(&true_breaches).count() as u64,
            predicted: found.len() as u64,
            actual: true_breaches.len() as u64,
        })
    } else {
        None
    };
    Ok(CourseScores { pairs, hidden, breaches, flags })
}

/// A report that ended its course in serious violence (`true_serious_violence` in a synthetic
/// incidents file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViolentReport {
    /// Its force.
    pub force: Force,
    /// Its reference.
    pub incident_ref: String,
    /// When it was recorded.
    pub date: Date,
    /// Its true course.
    pub true_course_id: String,
}

/// The reports of `truth` marked `true_serious_violence`, in date order.
///
/// # Errors
///
/// [`Error`] naming the file when it cannot be read as CSV, lacks a column it needs, or
/// has a row whose force or date cannot be read.
pub fn violent_reports(truth: &Path) -> Result<Vec<ViolentReport>, Error> {
    let (h, rows) = read(truth)?;
    let (cf, cr, cd, ct, cv) = (
        column(&h, "force", truth)?,
        column(&h, "incident_ref", truth)?,
        column(&h, "recorded_date", truth)?,
        column(&h, "true_course_id", truth)?,
        column(&h, "true_serious_violence", truth)?,
    );
    let mut out = Vec::new();
    for (line, r) in rows.iter().enumerate() {
        if !matches!(r[cv].trim(), "true" | "1" | "yes") {
            continue;
        }
        let date = Date::parse(&r[cd]).map_err(|e| Error::input(truth, format!("line {}: {e}", line + 2)))?;
        out.push(ViolentReport {
            force: force(&r[cf], truth, line)?,
            incident_ref: r[cr].trim().to_string(),
            date,
            true_course_id: r[ct].trim().to_string(),
        });
    }
    out.sort_by(|a, b| (a.date, &a.true_course_id).cmp(&(b.date, &b.true_course_id)));
    Ok(out)
}

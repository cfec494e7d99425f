//! Writes the derived figures for every force and for England and Wales, for any periods, as
//! CSV: `figures.csv` (count, change on the year before, per day, n-fold change against k years
//! earlier, charge/summons and victim-does-not-support rates), `outcome_groups.csv` (every
//! outcome group's share), `orders.csv` (SPOs applied, granted, breaches indicated by the
//! records' text and, beside them and never added to them, breaches found by analysis) and
//! `coverage.csv` (forces missing from national figures, or without outcome data); and, from a
//! force export, `also_recorded.csv`: incidents recorded under another crime with stalking or
//! harassment as a secondary classification, a separate count never in the Home Office figures.

use std::path::{Path, PathBuf};

use conduct_domain::OffenceClass;

use crate::error::{Error, ErrorKind};
use crate::figures::{Area, Change, Figures};
use crate::period::Period;
use crate::tables::{ALSO_RECORDED_LABEL, STALKING_AND_HARASSMENT_CLASSES, Source, Tables};

/// How the derived figures are computed: for which periods, and how far back the n-fold
/// comparison looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The periods of the figures; none: the year to the latest quarter in the data
    /// ([`Options::periods_for`]).
    pub periods: Vec<Period>,
    /// Years back for the n-fold comparison ("more than 11-fold its level 9 years earlier").
    pub fold_years: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options { periods: Vec::new(), fold_years: 9 }
    }
}

impl Options {
    /// The periods to report on in `tables`: those given, or else the year to the latest
    /// quarter in the data (`None` when the data hold no recorded crime).
    pub fn periods_for(&self, tables: &Tables) -> Option<Vec<Period>> {
        if !self.periods.is_empty() {
            return Some(self.periods.clone());
        }
        tables.latest_quarter().map(|q| vec![Period::year_to(q)])
    }
}

/// An offence selection reported on: one class, or the whole subgroup.
pub fn selections() -> Vec<(&'static str, Vec<OffenceClass>)> {
    let mut v: Vec<(&'static str, Vec<OffenceClass>)> = STALKING_AND_HARASSMENT_CLASSES.iter().map(|c| (c.label(), vec![*c])).collect();
    v.push(("Stalking and harassment (all)", STALKING_AND_HARASSMENT_CLASSES.to_vec()));
    v
}

/// The areas of a table: England and Wales first, then each force with data, by name.
pub fn areas(tables: &Tables) -> Vec<Area> {
    let mut forces: Vec<_> = tables.forces().into_iter().collect();
    forces.sort_by_key(|f| f.name());
    std::iter::once(Area::National).chain(forces.into_iter().map(Area::Force)).collect()
}

fn pct(x: Option<f64>) -> String {
    x.map_or_else(String::new, |v| format!("{v:.1}"))
}

/// The header of `figures.csv`.
pub const FIGURES_HEADER: [&str; 22] = [
    "Area",
    "Period",
    "Offence",
    "Number of Offences",
    "Suppressed Cells",
    "Year Before",
    "Change",
    "Change %",
    "Per Day",
    "Earlier Period",
    "Earlier Number of Offences",
    "Fold Change",
    "Charge/Summons",
    "Charge/Summons %",
    "Charge/Summons % Year Before",
    "Victim Does Not Support",
    "Victim Does Not Support %",
    "Rate Denominator",
    "Rate Basis",
    "Missing Forces",
    "Incomplete Forces",
    "Forces Without Outcomes",
];

fn open(path: &Path, header: &[&str]) -> Result<csv::Writer<std::fs::File>, Error> {
    let mut w = csv::Writer::from_path(path).map_err(|e| Error::new(ErrorKind::Csv(e)).in_file(path))?;
    w.write_record(header).map_err(|e| Error::new(ErrorKind::Csv(e)).in_file(path))?;
    Ok(w)
}

fn names(forces: &[conduct_domain::Force]) -> String {
    forces.iter().map(|f| f.name()).collect::<Vec<_>>().join("; ")
}

/// Writes the derived-figure files into `dir` for each period, comparing with the year before
/// and with `fold_years` years earlier. Returns the files written.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the folder cannot be made, [`ErrorKind::Csv`] when a file cannot be
/// written; each names the file.
pub fn write_derived(dir: &Path, tables: &Tables, periods: &[Period], fold_years: u32) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::new(ErrorKind::Io(e)).in_file(dir))?;
    let fp = dir.join("figures.csv");
    let gp = dir.join("outcome_groups.csv");
    let op = dir.join("orders.csv");
    let cp = dir.join("coverage.csv");
    let mut fw = open(&fp, &FIGURES_HEADER)?;
    let mut gw = open(&gp, &["Area", "Period", "Offence", "Outcome Group", "Number of Outcomes", "Rate %", "Rate Denominator"])?;
    let mut ow = open(&op, &["Area", "Period", "SPOs Applied", "SPOs Granted", "Breaches Indicated", "Breaches Found By Analysis"])?;
    let mut cw = open(&cp, &["Period", "Force Name", "Coverage"])?;
    let err = |p: &Path| {
        let p = p.to_path_buf();
        move |e: csv::Error| Error::new(ErrorKind::Csv(e)).in_file(&p)
    };
    for &period in periods {
        for area in areas(tables) {
            let now = Figures::compute(tables, area, period);
            let before = Figures::compute(tables, area, period.earlier(1));
            let long_ago = Figures::compute(tables, area, period.earlier(fold_years));
            for (label, classes) in selections() {
                let n = now.count(&classes);
                let b = before.count(&classes);
                let l = long_ago.count(&classes);
                let have_before = now.comparable_with(&before);
                let have_long = now.comparable_with(&long_ago);
                let change = Change { before: b.count, now: n.count };
                let charge = now.charge_rate(&classes);
                let charge_before = before.charge_rate(&classes);
                let vdns = now.victim_does_not_support_rate(&classes);
                let opt = |ok: bool, s: String| if ok { s } else { String::new() };
                fw.write_record([
                    area.name().to_string(),
                    period.to_string(),
                    label.to_string(),
                    n.count.to_string(),
                    n.suppressed.to_string(),
                    opt(have_before, b.count.to_string()),
                    opt(have_before, change.difference().to_string()),
                    opt(have_before, pct(change.percent())),
                    format!("{:.2}", now.per_day(&classes)),
                    period.earlier(fold_years).to_string(),
                    opt(have_long, l.count.to_string()),
                    opt(have_long, Change { before: l.count, now: n.count }.fold().map_or_else(String::new, |f| format!("{f:.2}"))),
                    charge.as_ref().map_or_else(String::new, |r| r.numerator.count.to_string()),
                    pct(charge.as_ref().and_then(|r| r.percent())),
                    opt(have_before, pct(charge_before.as_ref().and_then(|r| r.percent()))),
                    vdns.as_ref().map_or_else(String::new, |r| r.numerator.count.to_string()),
                    pct(vdns.as_ref().and_then(|r| r.percent())),
                    charge.as_ref().map_or_else(String::new, |r| r.denominator.count.to_string()),
                    charge.as_ref().map_or_else(String::new, |r| r.denominator_is.clone()),
                    names(&now.missing_forces),
                    names(&now.incomplete_forces),
                    names(&now.forces_without_outcomes),
                ])
                .map_err(err(&fp))?;
                for (group, r) in now.outcome_groups(&classes) {
                    gw.write_record([
                        area.name(),
                        &period.to_string(),
                        label,
                        group,
                        &r.numerator.count.to_string(),
                        &pct(r.percent()),
                        &r.denominator.count.to_string(),
                    ])
                    .map_err(err(&gp))?;
                }
            }
            if now.orders.is_some() || now.breaches_found.is_some() {
                let n = |f: fn(&crate::tables::OrderTally) -> u64| now.orders.as_ref().map_or_else(String::new, |o| f(o).to_string());
                ow.write_record([
                    area.name(),
                    &period.to_string(),
                    &n(|o| o.applied),
                    &n(|o| o.granted),
                    &n(|o| o.breaches_indicated),
                    &now.breaches_found.map_or_else(String::new, |b| b.to_string()),
                ])
                .map_err(err(&op))?;
            }
            if area == Area::National {
                let p = period.to_string();
                for (forces, what) in [
                    (&now.missing_forces, "no recorded crime data for the period"),
                    (&now.incomplete_forces, "recorded crime data for only part of the period"),
                    (&now.forces_without_outcomes, "no outcome data for the period"),
                ] {
                    for f in forces {
                        cw.write_record([p.as_str(), f.name(), what]).map_err(err(&cp))?;
                    }
                }
            }
        }
    }
    for (w, p) in [(&mut fw, &fp), (&mut gw, &gp), (&mut ow, &op), (&mut cw, &cp)] {
        w.flush().map_err(|e| Error::new(ErrorKind::Io(e)).in_file(p))?;
    }
    let mut written = vec![fp, gp, op, cp];
    if tables.source == Source::Incidents {
        written.push(write_also_recorded(dir, tables, periods)?);
    }
    Ok(written)
}

/// Writes `also_recorded.csv`: per area and period, the incidents recorded under another crime
/// with a secondary stalking-or-harassment code ([`Tables::also_recorded`]).
fn write_also_recorded(dir: &Path, tables: &Tables, periods: &[Period]) -> Result<PathBuf, Error> {
    let path = dir.join("also_recorded.csv");
    let heading = format!("Incidents {ALSO_RECORDED_LABEL}");
    let mut w = open(&path, &["Area", "Period", &heading, "Note"])?;
    let note = "principal crime outside the stalking and harassment subgroup; not in the Home Office figures";
    for &period in periods {
        for area in areas(tables) {
            let force = match area {
                Area::Force(f) => Some(f),
                _ => None,
            };
            let n = tables.also_recorded(force, |q| period.contains(q));
            w.write_record([area.name(), &period.to_string(), &n.to_string(), note])
                .map_err(|e| Error::new(ErrorKind::Csv(e)).in_file(&path))?;
        }
    }
    w.flush().map_err(|e| Error::new(ErrorKind::Io(e)).in_file(&path))?;
    Ok(path)
}

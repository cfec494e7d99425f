//! What a force receives back from the hub, read and checked against its own keymap: its
//! links (`links-FORCE.csv`) and what the other parties sent about the reports of the records
//! linked to its records (`reports-FORCE.csv`, [`crate::hub::write_reports`]).
//!
//! Everything is checked before anything is used: the files must be this force's (by name
//! and by content), every own pseudonym must be in the keymap the force kept when it encoded,
//! and every report must be about a record the links name. A mismatch is an error naming the
//! file, the line and the reason; nothing is half-read.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::file::ReportFacts;
use crate::hub::{links_file_name, reports_file_name};
use crate::{Error, ErrorKind};

/// One link, mapped back to the force's own record.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedLink {
    /// The force's own record (from the keymap).
    pub record_id: String,
    /// The other party.
    pub other_force: String,
    /// The other party's pseudonym of its record.
    pub other_pseudonym: String,
    /// The direct comparison's weight; `None` when joined through other records.
    pub weight: Option<f64>,
}

/// One report fact about another party's record linked to the force's records.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedReport {
    /// The other party.
    pub other_force: String,
    /// The other party's pseudonym of its record.
    pub other_pseudonym: String,
    /// What the other party sent about the record's report.
    pub facts: ReportFacts,
}

/// The links and reports a force received, mapped back to its records.
#[derive(Clone, Debug, Default)]
pub struct Received {
    /// The links file read.
    pub links_file: PathBuf,
    /// The reports file read.
    pub reports_file: PathBuf,
    /// Its links, in file order.
    pub links: Vec<ReceivedLink>,
    /// The reports, in file order.
    pub reports: Vec<ReceivedReport>,
}

impl Received {
    /// The force's own record each other record stands for: of the force's records linked to
    /// it, the one with the highest direct weight (joined-only links count below any weight;
    /// on a tie, the first in the file).
    pub fn own_record_of(&self) -> HashMap<(&str, &str), &str> {
        let mut best: HashMap<(&str, &str), (Option<f64>, &str)> = HashMap::new();
        for l in &self.links {
            let key = (l.other_force.as_str(), l.other_pseudonym.as_str());
            match best.get(&key) {
                Some((w, _)) if !better(l.weight, *w) => {}
                _ => {
                    best.insert(key, (l.weight, l.record_id.as_str()));
                }
            }
        }
        best.into_iter().map(|(k, (_, r))| (k, r)).collect()
    }
}

/// The other forces' reports a force received, as records of its own analysis can take them
/// ([`Received::reports_for`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OtherReports {
    /// One per report row of the file, in file order, each with the own record it stands for.
    pub reports: Vec<conduct_domain::OtherForceReport>,
    /// Parties the links name that are not police forces (probation, health, victim services):
    /// their reports are left out, and named here so that the caller can say so.
    pub not_forces: Vec<String>,
}

impl Received {
    /// The reports received, as the force `force` takes them into its courses: each report
    /// row with its other force resolved, its facts parsed (date, offence codes, role), and the
    /// own record it stands for ([`Received::own_record_of`]). Reports of parties that are not
    /// police forces are left out and named ([`OtherReports::not_forces`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Input`] naming the reports file and line: a report of `force` itself, or a
    /// fact that does not parse (a date, an offence code, a role).
    pub fn reports_for(&self, force: conduct_domain::Force) -> Result<OtherReports, Error> {
        use conduct_domain::{Date, Force, OffenceCode, OtherForceReport, Role};
        let own_of = self.own_record_of();
        let mut out = OtherReports::default();
        for (n, r) in self.reports.iter().enumerate() {
            let at = |m: String| input(&self.reports_file, format!("line {}: {m}", n + 2));
            let Ok(other) = Force::resolve(&r.other_force.replace('-', " ")).or_else(|_| Force::resolve(&r.other_force)) else {
                if !out.not_forces.contains(&r.other_force) {
                    out.not_forces.push(r.other_force.clone());
                }
                continue;
            };
            if other == force {
                return Err(at(format!("a report of {} itself", force.name())));
            }
            let f = &r.facts;
            let (offence_code, secondary_offence_codes) = OffenceCode::parse_list(&f.offence_codes).map_err(|e| at(e.to_string()))?;
            let role = Role::parse(&f.role).ok_or_else(|| at(format!("role {:?} is not victim, suspect, witness or other", f.role)))?;
            let own = own_of
                .get(&(r.other_force.as_str(), r.other_pseudonym.as_str()))
                .ok_or_else(|| at(format!("record {} of {} is not linked to any own record", r.other_pseudonym, r.other_force)))?;
            out.reports.push(OtherForceReport {
                own_record: own.to_string(),
                force: other,
                pseudonym: r.other_pseudonym.clone(),
                reference: f.reference.clone(),
                recorded_date: Date::parse(&f.date).map_err(|e| at(e.to_string()))?,
                offence_code,
                secondary_offence_codes,
                role,
            });
        }
        Ok(out)
    }
}

fn better(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a > b,
        (Some(_), None) => true,
        _ => false,
    }
}

fn input(path: &Path, m: String) -> Error {
    Error::new(ErrorKind::Input(m), Some(path))
}

/// Reads the header of a CSV file and checks it is `want`, in that order.
fn open(path: &Path, want: &[&str]) -> Result<csv::Reader<std::fs::File>, Error> {
    let mut r = csv::Reader::from_path(path).map_err(|e| Error::new(ErrorKind::Csv(e), Some(path)))?;
    let h = r.headers().map_err(|e| Error::new(ErrorKind::Csv(e), Some(path)))?.clone();
    let got: Vec<&str> = h.iter().map(str::trim).collect();
    if got != want {
        return Err(input(path, format!("line 1: columns {}, expected {} (a file the hub wrote)", got.join(","), want.join(","))));
    }
    Ok(r)
}

/// Reads what `force` received from the hub. `links` is the force's `links-FORCE.csv` or the
/// hub's output folder holding it; `reports-FORCE.csv` is read from beside it. `keymap` is the
/// force's `keymap.csv` from `conduct encode` (`record_id,pseudonym`).
///
/// # Errors
///
/// [`ErrorKind::Input`] naming the file and line: a links file of another party (by its name),
/// a file whose columns are not the hub's, a pseudonym the keymap does not hold (the keymap of
/// other encodings), a link to this force itself, a report about a record the links do not
/// name, a report fact of the wrong shape, or one report given two dates or offence codes;
/// [`ErrorKind::Io`] or [`ErrorKind::Csv`] when a file cannot be read.
pub fn read_received(links: &Path, keymap: &Path, force: &str) -> Result<Received, Error> {
    let links_file = if links.is_dir() { links.join(links_file_name(force)) } else { links.to_path_buf() };
    let want = links_file_name(force);
    let name = links_file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if name != want {
        let whose = name.strip_prefix("links-").and_then(|n| n.strip_suffix(".csv"));
        let why = match whose {
            Some(other) => format!("these are the links of party {other}, not of {force} (the hub writes {force}'s to {want})"),
            None => format!("not a links file of the hub (it writes {force}'s links to {want})"),
        };
        return Err(input(&links_file, why));
    }
    if !links_file.is_file() {
        return Err(input(&links_file, format!("no such file; the hub writes {force}'s links to {want}")));
    }
    let reports_file = links_file.with_file_name(reports_file_name(force));
    if !reports_file.is_file() {
        return Err(input(
            &reports_file,
            "no such file beside the links: run the hub on encodings made with `conduct encode --incidents`".into(),
        ));
    }
    // The keymap: pseudonym -> record_id.
    let mut own: HashMap<String, String> = HashMap::new();
    let mut k = open(keymap, &["record_id", "pseudonym"])?;
    for (n, rec) in k.records().enumerate() {
        let rec = rec.map_err(|e| Error::new(ErrorKind::Csv(e), Some(keymap)))?;
        if own.insert(rec[1].to_string(), rec[0].to_string()).is_some() {
            return Err(input(keymap, format!("line {}: pseudonym given twice", n + 2)));
        }
    }
    let mut out = Received { links_file: links_file.clone(), reports_file: reports_file.clone(), ..Received::default() };
    let mut r = open(&links_file, &["pseudonym", "other_force", "other_pseudonym", "weight", "cross_force_person_id"])?;
    for (n, rec) in r.records().enumerate() {
        let line = n + 2;
        let rec = rec.map_err(|e| Error::new(ErrorKind::Csv(e), Some(&links_file)))?;
        let Some(record_id) = own.get(&rec[0]) else {
            return Err(input(
                keymap,
                format!(
                    "does not hold pseudonym {} of {} line {line}: the keymap was made with other encodings than the ones the hub linked",
                    &rec[0],
                    links_file.display()
                ),
            ));
        };
        if rec[1].trim() == force {
            return Err(input(&links_file, format!("line {line}: a link to {force} itself; the hub links a party only to others")));
        }
        let weight = if rec[3].trim().is_empty() {
            None
        } else {
            Some(
                rec[3]
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| input(&links_file, format!("line {line}: weight {:?} is not a number", &rec[3])))?,
            )
        };
        out.links.push(ReceivedLink {
            record_id: record_id.clone(),
            other_force: rec[1].trim().to_string(),
            other_pseudonym: rec[2].trim().to_string(),
            weight,
        });
    }
    let linked: HashSet<(&str, &str)> = out.links.iter().map(|l| (l.other_force.as_str(), l.other_pseudonym.as_str())).collect();
    let mut r = open(&reports_file, &["other_force", "other_pseudonym", "reference_pseudonym", "role", "date", "offence_codes"])?;
    let mut seen: HashMap<(String, String), (String, String, usize)> = HashMap::new();
    let mut reports = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let line = n + 2;
        let rec = rec.map_err(|e| Error::new(ErrorKind::Csv(e), Some(&reports_file)))?;
        let (other_force, other_pseudonym) = (rec[0].trim().to_string(), rec[1].trim().to_string());
        if !linked.contains(&(other_force.as_str(), other_pseudonym.as_str())) {
            return Err(input(
                &reports_file,
                format!(
                    "line {line}: a report about {other_force} record {other_pseudonym}, which {} does not link to any of {force}'s records",
                    links_file.display()
                ),
            ));
        }
        let facts = ReportFacts {
            reference: rec[2].trim().to_string(),
            role: rec[3].trim().to_string(),
            date: rec[4].trim().to_string(),
            offence_codes: rec[5].trim().to_string(),
        };
        facts.check().map_err(|m| input(&reports_file, format!("line {line}: {m}")))?;
        let key = (other_force.clone(), facts.reference.clone());
        match seen.get(&key) {
            Some((d, c, first)) if *d != facts.date || *c != facts.offence_codes => {
                return Err(input(
                    &reports_file,
                    format!(
                        "line {line}: report {} of {other_force} given another date or offence codes than on line {first}",
                        facts.reference
                    ),
                ));
            }
            Some(_) => {}
            None => {
                seen.insert(key, (facts.date.clone(), facts.offence_codes.clone(), line));
            }
        }
        reports.push(ReceivedReport { other_force, other_pseudonym, facts });
    }
    out.reports = reports;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    const HEAD: &str = "other_force,other_pseudonym,reference_pseudonym,role,date,offence_codes\n";

    fn fixture(dir: &Path, reports: &str) -> PathBuf {
        write(dir, "keymap.csv", "record_id,pseudonym\nA-1,aa\nA-2,bb\n");
        write(
            dir,
            "links-Avon-and-Somerset.csv",
            "pseudonym,other_force,other_pseudonym,weight,cross_force_person_id\n\
             aa,Cheshire,c1,,XF1\nbb,Cheshire,c1,4.5,XF1\naa,Cheshire,c2,2.0,XF1\nbb,Cheshire,c2,1.0,XF1\n",
        );
        write(dir, "reports-Avon-and-Somerset.csv", &format!("{HEAD}{reports}"))
    }

    #[test]
    fn each_other_record_stands_for_the_own_record_it_is_most_directly_linked_to() {
        let dir = tempfile::tempdir().unwrap();
        fixture(dir.path(), "Cheshire,c1,0123abcd,victim,2022-07-25,8L\nCheshire,c2,0123abcd,suspect,2022-07-25,8L\n");
        let r = read_received(dir.path(), &dir.path().join("keymap.csv"), "Avon and Somerset").unwrap();
        let own = r.own_record_of();
        assert_eq!((own[&("Cheshire", "c1")], own[&("Cheshire", "c2")]), ("A-2", "A-1"));
        assert_eq!(r.reports.len(), 2);
    }

    #[test]
    fn reports_that_disagree_or_are_not_about_linked_records_and_files_of_others_are_refused() {
        let cases = [
            ("Cheshire,c9,0123abcd,victim,2022-07-25,8L\n", "does not link"),
            ("Cheshire,c1,0123abcd,victim,2022-07-25,8L\nCheshire,c2,0123abcd,suspect,2022-07-26,8L\n", "line 3"),
            ("Cheshire,c1,0123abcd,victim,2022-07-25,threatened her\n", "not Home Office codes"),
            ("Cheshire,c1,Louise,victim,2022-07-25,8L\n", "not hex"),
        ];
        for (reports, why) in cases {
            let dir = tempfile::tempdir().unwrap();
            fixture(dir.path(), reports);
            let e = read_received(dir.path(), &dir.path().join("keymap.csv"), "Avon and Somerset").unwrap_err().to_string();
            assert!(e.contains("reports-Avon-and-Somerset.csv") && e.contains(why), "{why}: {e}");
        }
        let dir = tempfile::tempdir().unwrap();
        let links = fixture(dir.path(), "").with_file_name("links-Avon-and-Somerset.csv");
        let e = read_received(&links, &dir.path().join("keymap.csv"), "Cheshire").unwrap_err().to_string();
        assert!(e.contains("links of party Avon-and-Somerset, not of Cheshire"), "{e}");
        write(dir.path(), "keymap.csv", "record_id,pseudonym\nA-1,aa\n");
        let e = read_received(dir.path(), &dir.path().join("keymap.csv"), "Avon and Somerset").unwrap_err().to_string();
        assert!(e.contains("keymap.csv") && e.contains("pseudonym bb"), "{e}");
    }
}

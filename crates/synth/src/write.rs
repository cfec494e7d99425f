//! Assigns force references and nominal ids, then writes incidents.csv, people.csv and
//! orders.csv (with ground-truth columns) in a deterministic order.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::dates::{self, END};
use crate::error::Error;
use crate::incidents::{self, OFFENCES};
use crate::people::{self, Appearance, NONE, RowBuf};
use crate::risk::{self, Screening};
use crate::rng::Rng;
use crate::scenario::Scenario;

/// Counts gathered while writing, for the summary.
#[derive(Default)]
pub(crate) struct Written {
    pub people_rows: usize,
    pub persons: usize,
    pub nominals: usize,
    pub duplicate_nominals: usize,
    /// Which true persons appear in people.csv.
    pub seen: Vec<bool>,
}

/// Formatted ISO dates for every day the files can mention.
struct Days {
    first: i32,
    text: Vec<String>,
}

impl Days {
    fn new() -> Days {
        let first = dates::START - 400;
        let text = (first..=END + 2500).map(dates::fmt_date).collect();
        Days { first, text }
    }
    fn get(&self, day: i32) -> &str {
        &self.text[(day - self.first) as usize]
    }
}

fn open(path: &Path) -> Result<csv::Writer<BufWriter<File>>, Error> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    Ok(csv::WriterBuilder::new().from_writer(BufWriter::with_capacity(1 << 20, file)))
}

/// Gives every incident its sequence number within its force (and year, where the format has
/// one) in recorded-date order, and every order its sequence within its force.
pub(crate) fn assign_refs(s: &mut Scenario<'_>) {
    let mut idx: Vec<u32> = (0..s.incidents.len() as u32).collect();
    idx.sort_unstable_by_key(|&i| {
        let inc = &s.incidents[i as usize];
        (inc.force, inc.recorded, i)
    });
    let nf = s.world.forces.len();
    let mut counters = vec![0u32; nf * 16];
    for &i in &idx {
        let inc = &mut s.incidents[i as usize];
        let g = &s.world.forces[inc.force as usize];
        let year = conduct_domain::Date::from_days_since_epoch(inc.recorded).year();
        let slot = if incidents::ref_has_year(g.ref_style) { (year - 2013).clamp(0, 15) as usize } else { 0 };
        let c = &mut counters[inc.force as usize * 16 + slot];
        *c += 1;
        inc.seq = *c;
    }
    let mut oidx: Vec<u32> = (0..s.orders.len() as u32).collect();
    oidx.sort_unstable_by_key(|&i| {
        let o = &s.orders[i as usize];
        (o.force, o.applied, i)
    });
    let mut oc = vec![0u32; nf];
    for &i in &oidx {
        let o = &mut s.orders[i as usize];
        oc[o.force as usize] += 1;
        o.seq = oc[o.force as usize];
    }
}

fn order_ref(s: &Scenario<'_>, o: u32) -> String {
    let o = &s.orders[o as usize];
    let g = &s.world.forces[o.force as usize];
    let year = conduct_domain::Date::from_days_since_epoch(o.applied).year();
    if o.force % 2 == 0 { format!("{}-ORD-{year}-{:05}", g.code, o.seq) } else { format!("{}/PO/{:06}", g.code, o.seq) }
}

fn nominal(out: &mut String, code: &str, style: u8, n: u32) {
    out.clear();
    match style {
        0 => write!(out, "{code}N{n:08}"),
        1 => write!(out, "N{n:07}"),
        2 => write!(out, "{code}/NOM/{n:06}"),
        3 => write!(out, "P{n:09}"),
        4 => write!(out, "{n}"),
        _ => write!(out, "NOM-{code}-{n:06}"),
    }
    .unwrap();
}

/// Writes the four CSV files into `dir`: `rng` draws what the world has always drawn (so the
/// people are the same with or without [`crate::risk`]), `xrng` the narratives' additions.
pub(crate) fn write_all(s: &Scenario<'_>, screenings: &[Screening], dir: &Path, rng: &mut Rng, xrng: &mut Rng) -> Result<Written, Error> {
    let days = Days::new();
    // Incident references as text.
    let refs: Vec<String> = s
        .incidents
        .iter()
        .map(|inc| {
            let mut r = String::with_capacity(20);
            incidents::write_ref(&mut r, &s.world.forces[inc.force as usize], inc.recorded, inc.seq);
            r
        })
        .collect();
    let order_refs: Vec<String> = (0..s.orders.len() as u32).map(|o| order_ref(s, o)).collect();
    let mut order_idx: Vec<u32> = (0..s.incidents.len() as u32).collect();
    order_idx.sort_unstable_by_key(|&i| {
        let inc = &s.incidents[i as usize];
        (inc.recorded, inc.force, inc.seq)
    });

    // incidents.csv
    let path = dir.join("incidents.csv");
    let mut w = open(&path)?;
    let err = |e| Error::csv(&path, e);
    w.write_record([
        "force",
        "incident_ref",
        "recorded_date",
        "occurred_date",
        "offence_code",
        "offence_description",
        "domestic_abuse",
        "cyber",
        "linked_refs",
        "outcome_type",
        "outcome_date",
        "narrative",
        "secondary_offence_codes",
        "true_course_id",
        "true_breach_order_ref",
        "true_course_risk",
        "true_serious_violence",
        "true_recorded_under_other_crime",
    ])
    .map_err(err)?;
    let mut narrative = String::new();
    let mut linked = String::new();
    let mut course = String::new();
    let mut outcome = String::new();
    for &i in &order_idx {
        let inc = &s.incidents[i as usize];
        let g = &s.world.forces[inc.force as usize];
        linked.clear();
        for (k, l) in inc.linked.iter().enumerate() {
            if k > 0 {
                linked.push(';');
            }
            linked.push_str(&refs[*l as usize]);
        }
        course.clear();
        if inc.course != NONE {
            write!(course, "C{:06}", inc.course + 1).unwrap();
        }
        outcome.clear();
        match inc.outcome {
            255 => {}
            254 => outcome.push('0'),
            t => write!(outcome, "{t}").unwrap(),
        }
        incidents::write_narrative(rng, inc, &mut narrative);
        risk::amend_narrative(xrng, inc, &mut narrative);
        let (code, desc, alt) = OFFENCES[inc.offence as usize];
        let d = rng.f();
        let desc_owned;
        let desc: &str = if d < 0.05 {
            ""
        } else if d < 0.15 {
            alt
        } else if d < 0.2 {
            desc_owned = desc.to_uppercase();
            &desc_owned
        } else {
            desc
        };
        let domestic = if inc.domestic_known { s.world.bool_str(inc.force, inc.domestic) } else { "" };
        let cyber = if rng.chance(0.03) { "" } else { s.world.bool_str(inc.force, inc.cyber) };
        w.write_record([
            g.name,
            refs[i as usize].as_str(),
            days.get(inc.recorded),
            if inc.occurred_known { days.get(inc.occurred) } else { "" },
            code,
            desc,
            domestic,
            cyber,
            linked.as_str(),
            outcome.as_str(),
            if inc.outcome < 254 { days.get(inc.outcome_date) } else { "" },
            narrative.as_str(),
            inc.secondary,
            course.as_str(),
            if inc.breach != NONE { order_refs[inc.breach as usize].as_str() } else { "" },
            if inc.course != NONE { risk::RISK[s.courses[inc.course as usize].risk as usize] } else { "" },
            if inc.serious_violence { "true" } else { "" },
            if inc.under_other_crime { "true" } else { "" },
        ])
        .map_err(err)?;
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    drop(w);

    // people.csv
    let path = dir.join("people.csv");
    let mut w = open(&path)?;
    let err = |e| Error::csv(&path, e);
    w.write_record([
        "record_id",
        "force",
        "incident_ref",
        "role",
        "local_person_id",
        "forename",
        "middle_names",
        "surname",
        "date_of_birth",
        "sex",
        "address",
        "postcode",
        "phone",
        "email",
        "online_handles",
        "pnc_id",
        "ni_number",
        "true_person_id",
    ])
    .map_err(err)?;
    let mut written = Written::default();
    let mut seen = std::mem::take(&mut written.seen);
    seen.resize(s.pop.persons.len(), false);
    // Nominals per (person, force): up to three ids, the first usually reused.
    let mut nominals: HashMap<u64, ([u32; 3], u8)> = HashMap::new();
    let mut nominal_count = vec![0u32; s.world.forces.len()];
    let mut buf = RowBuf::default();
    let mut record = String::new();
    let mut nominal_s = String::new();
    let mut tpid = String::new();
    for &i in &order_idx {
        let inc = &s.incidents[i as usize];
        let g = &s.world.forces[inc.force as usize];
        let parts = [(inc.victim, 0u8), (inc.suspect, 1), (inc.witness, 2), (inc.other, 3)];
        for (pid, role) in parts {
            if pid == NONE {
                continue;
            }
            let person = &s.pop.persons[pid as usize];
            if !seen[pid as usize] {
                seen[pid as usize] = true;
                written.persons += 1;
            }
            let key = (u64::from(pid) << 8) | u64::from(inc.force);
            let entry = nominals.entry(key).or_insert(([0; 3], 0));
            let nid = if entry.1 == 0 || (entry.1 < 3 && rng.chance(0.10)) {
                nominal_count[inc.force as usize] += 1;
                let n = nominal_count[inc.force as usize];
                entry.0[entry.1 as usize] = n;
                entry.1 += 1;
                written.nominals += 1;
                if entry.1 > 1 {
                    written.duplicate_nominals += 1;
                }
                n
            } else if entry.1 > 1 && rng.chance(0.5) {
                entry.0[rng.below(entry.1 as usize)]
            } else {
                entry.0[0]
            };
            if rng.chance(g.nominal_missing) {
                nominal_s.clear();
            } else {
                nominal(&mut nominal_s, &g.code, g.nominal_style, nid);
            }
            let app = Appearance { day: inc.recorded, role, cyber: inc.cyber };
            people::render(rng, s.world, s.names, person, &app, &mut buf);
            written.people_rows += 1;
            record.clear();
            write!(record, "R{:08}", written.people_rows).unwrap();
            tpid.clear();
            write!(tpid, "TP{:07}", pid + 1).unwrap();
            w.write_record([
                record.as_str(),
                g.name,
                refs[i as usize].as_str(),
                ["victim", "suspect", "witness", "other"][role as usize],
                nominal_s.as_str(),
                buf.forename.as_str(),
                buf.middle.as_str(),
                buf.surname.as_str(),
                buf.dob.as_str(),
                buf.sex,
                buf.address.as_str(),
                buf.postcode.as_str(),
                buf.phone.as_str(),
                buf.email.as_str(),
                buf.handles.as_str(),
                buf.pnc.as_str(),
                buf.ni.as_str(),
                tpid.as_str(),
            ])
            .map_err(err)?;
        }
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    drop(w);
    written.seen = seen;

    // orders.csv
    let path = dir.join("orders.csv");
    let mut w = open(&path)?;
    let err = |e| Error::csv(&path, e);
    w.write_record(["force", "order_ref", "order_type", "incident_ref", "applied_date", "granted_date", "expires_date", "status"])
        .map_err(err)?;
    let mut oidx: Vec<usize> = (0..s.orders.len()).collect();
    oidx.sort_unstable_by_key(|&o| (s.orders[o].applied, s.orders[o].force, s.orders[o].seq));
    for o in oidx {
        let ord = &s.orders[o];
        w.write_record([
            s.world.forces[ord.force as usize].name,
            order_refs[o].as_str(),
            ord.otype.as_str(),
            refs[ord.incident as usize].as_str(),
            days.get(ord.applied),
            ord.granted.map_or("", |d| days.get(d)),
            ord.expires.map_or("", |d| days.get(d)),
            ord.status.as_str(),
        ])
        .map_err(err)?;
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    drop(w);

    // risk_assessments.csv: the screenings of the forces that export them.
    let path = dir.join("risk_assessments.csv");
    let mut w = open(&path)?;
    let err = |e| Error::csv(&path, e);
    w.write_record(["force", "incident_ref", "assessed_date", "tool", "grade", "yes_answers", "assessor_notes"]).map_err(err)?;
    for a in screenings {
        let inc = &s.incidents[a.incident as usize];
        w.write_record([
            s.world.forces[inc.force as usize].name,
            refs[a.incident as usize].as_str(),
            days.get(a.day),
            ["DASH", "S-DASH"][a.tool as usize],
            risk::RISK[a.grade as usize],
            a.answers.join(";").as_str(),
            "",
        ])
        .map_err(err)?;
    }
    w.flush().map_err(|e| Error::io(&path, e))?;
    Ok(written)
}

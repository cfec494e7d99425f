//! `conduct courses` and `conduct eval courses`: link reports into courses of conduct through
//! resolved people, and score the result against ground truth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use conduct_courses::{Found, Options, find_breaches, find_courses, triage};
use conduct_domain::cell::{inert, restore};
use conduct_ingest::{Incident, Ingest, Inputs, Involvement, Order};

/// The files of a force export, for the commands that need all of it at once.
#[derive(clap::Args, Clone)]
pub struct ExportArgs {
    /// Incidents file(s) of the export.
    #[arg(long, required = true)]
    pub incidents: Vec<PathBuf>,
    /// People file(s) of the export.
    #[arg(long, required = true)]
    pub people: Vec<PathBuf>,
    /// Orders file(s) of the export.
    #[arg(long)]
    pub orders: Vec<PathBuf>,
}

impl ExportArgs {
    /// The files as ingest's inputs.
    pub fn inputs(self) -> Inputs {
        Inputs { incidents: self.incidents, people: self.people, orders: self.orders }
    }
}

/// Arguments of `conduct courses`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub export: ExportArgs,
    /// persons.csv from `conduct link` (record_id,person_id); when not given, the people are
    /// linked first (and OUT/persons.csv is written).
    #[arg(long)]
    pub persons: Option<PathBuf>,
    /// Output folder for courses.csv, course_summary.csv, triage.csv, timelines/ …
    #[arg(long)]
    pub out: PathBuf,
    /// Days within which an unknown-suspect report joins a victim's course.
    #[arg(long, default_value_t = Options::default().window_days)]
    pub window_days: i32,
}

/// The export, read whole into memory (courses need every report at once).
pub struct Export {
    /// Accepted incidents.
    pub incidents: Vec<Incident>,
    /// Accepted people rows.
    pub people: Vec<Involvement>,
    /// Accepted orders.
    pub orders: Vec<Order>,
    /// What the read found.
    pub summary: conduct_ingest::Summary,
}

/// Reads an export through the same validation as `conduct ingest` (rejects are counted and
/// reported, never used).
pub fn read_export(inputs: &Inputs) -> anyhow::Result<Export> {
    let (read, summary) = Ingest::new().read_whole(inputs)?;
    Ok(Export { incidents: read.incidents, people: read.people, orders: read.orders, summary })
}

/// Reads persons.csv into a person number per people row, and the names of the numbers.
pub fn read_persons(path: &Path, people: &[Involvement]) -> anyhow::Result<(Vec<u32>, Vec<String>)> {
    let mut r = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let h = r.headers()?.clone();
    let col = |n: &str| h.iter().position(|x| x.eq_ignore_ascii_case(n)).with_context(|| format!("{}: no column {n}", path.display()));
    let (cr, cp) = (col("record_id")?, col("person_id")?);
    let mut names: Vec<String> = Vec::new();
    let mut number: HashMap<String, u32> = HashMap::new();
    let mut of_record: HashMap<String, u32> = HashMap::new();
    for rec in r.records() {
        let rec = rec?;
        // persons.csv is Conduct's own file: its cells are read back as they were before being
        // made inert for spreadsheets.
        let person = restore(&rec[cp]).into_owned();
        let n = *number.entry(person.clone()).or_insert_with(|| {
            names.push(person);
            names.len() as u32 - 1
        });
        of_record.insert(restore(&rec[cr]).into_owned(), n);
    }
    let mut missing = 0usize;
    let ids = people
        .iter()
        .map(|p| {
            of_record.get(&p.record_id).copied().unwrap_or_else(|| {
                // A record linkage did not place is its own person.
                missing += 1;
                names.push(format!("unlinked:{}", p.record_id));
                names.len() as u32 - 1
            })
        })
        .collect();
    if missing > 0 {
        note!("conduct: {missing} people rows are not in {}; each is taken as a person of its own", path.display());
    }
    Ok((ids, names))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    let export = read_export(&args.export.inputs())?;
    let read_secs = t.elapsed().as_secs_f64();
    let persons = match &args.persons {
        Some(p) => Some(read_persons(p, &export.people)?),
        None => None,
    };
    run_on(&export, read_secs, persons, &args.out, &Options { window_days: args.window_days })
}

/// Finds courses, breaches and the review list in an export already read (in `read_secs`)
/// and writes them into `out`. `persons` gives each people row's person number and the
/// numbers' names; without it the people are linked here first.
pub fn run_on(
    export: &Export,
    read_secs: f64,
    persons: Option<(Vec<u32>, Vec<String>)>,
    out: &Path,
    options: &Options,
) -> anyhow::Result<ExitCode> {
    if export.incidents.is_empty() {
        bail!("no usable incidents were read");
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let (person_of, names) = match persons {
        Some(p) => p,
        None => {
            let t = Instant::now();
            let linkage = conduct_resolve::link(&export.people, &conduct_resolve::LinkOptions::default())?;
            let persons = out.join("persons.csv");
            let mut w = csv::Writer::from_path(&persons).with_context(|| format!("writing {}", persons.display()))?;
            w.write_record(["record_id", "person_id"])?;
            for (row, &p) in export.people.iter().zip(&linkage.person) {
                w.write_record([inert(&row.record_id).as_ref(), conduct_resolve::person_id(p).as_str()])?;
            }
            w.flush()?;
            // Which model linked them, and why, as `conduct link` says it (issue 12).
            linkage.model.save(&out.join("model.json"))?;
            for line in linkage.stats.to_text().lines().filter(|l| l.starts_with("model:") || l.starts_with("warning:")) {
                note!("{line}");
            }
            let count = linkage.person.iter().copied().max().map_or(0, |m| m + 1);
            outln!(
                "linked     {} people rows into {count} persons ({:.1} s); {}",
                export.people.len(),
                t.elapsed().as_secs_f64(),
                persons.display()
            )?;
            (linkage.person, (0..count).map(conduct_resolve::person_id).collect())
        }
    };
    let t = Instant::now();
    let found = find_courses(&export.incidents, &export.people, &person_of, options);
    let breaches = find_breaches(&export.incidents, &export.orders, &found);
    let reviews = triage(&export.incidents, &export.orders, &found.courses, &breaches);
    let find_secs = t.elapsed().as_secs_f64();
    let name = |p: u32| names[p as usize].clone();
    let t = Instant::now();
    Found { incidents: &export.incidents, orders: &export.orders, courses: &found, breaches: &breaches, reviews: &reviews, person: &name }
        .write(out)?;
    let write_secs = t.elapsed().as_secs_f64();
    let reports: usize = found.courses.iter().map(|c| c.incidents.len()).sum();
    let hidden: usize = found.courses.iter().map(|c| c.hidden.len()).sum();
    let cross = found.courses.iter().filter(|c| c.is_cross_force()).count();
    outln!(
        "read       {} incidents, {} people rows, {} orders ({read_secs:.1} s; {} rows rejected)",
        export.incidents.len(),
        export.people.len(),
        export.orders.len(),
        export.summary.rejected()
    )?;
    outln!("courses    {} holding {reports} reports ({find_secs:.1} s)", found.courses.len())?;
    outln!("hidden     {hidden} repeats never linked by the force at the time")?;
    outln!("cross      {cross} courses cross into another force")?;
    outln!(
        "serial     {} suspects with courses against several victims; {} victims with several suspects",
        found.serial_suspects.len(),
        found.repeat_victims.len()
    )?;
    outln!("breaches   {} reports may breach a protective order", breaches.len())?;
    for p in [conduct_courses::Priority::Urgent, conduct_courses::Priority::High, conduct_courses::Priority::Review] {
        outln!("{:<10} {} courses", p.as_str(), reviews.iter().filter(|r| r.priority == p).count())?;
    }
    outln!("written    {}/{{courses,course_summary,triage,hidden_repeats,breaches}}.csv, timelines/ ({write_secs:.1} s)", out.display())?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `conduct eval courses`.
#[derive(clap::Args)]
pub struct EvalArgs {
    /// Incidents file with true_course_id (and true_breach_order_ref).
    #[arg(long)]
    pub truth: PathBuf,
    /// courses.csv to score (breaches.csv beside it is scored too).
    #[arg(long)]
    pub predicted: PathBuf,
}

pub fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let s = conduct_courses::eval::score(&args.truth, &args.predicted)?;
    let mut v = serde_json::json!({ "pairs": s.pairs.to_json(), "hidden_repeats": s.hidden.to_json() });
    if let Some(b) = s.breaches {
        v["breaches"] = b.to_json();
    }
    outln!("{}", serde_json::to_string_pretty(&v)?)?;
    Ok(ExitCode::SUCCESS)
}

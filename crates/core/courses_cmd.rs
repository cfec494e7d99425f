//! `conduct courses` and `conduct eval courses`: link reports into courses of conduct through
//! resolved people, and score the result against ground truth.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, bail};
use conduct_ingest::{Ingest, Inputs};
use conduct_pipeline::{Export, Options, Persons};

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
    /// Risk-assessment file(s) of the export: DASH, S-DASH and SASH screenings (optional).
    #[arg(long)]
    pub risk_assessments: Vec<PathBuf>,
}

impl ExportArgs {
    /// The files as ingest's inputs.
    pub fn inputs(self) -> Inputs {
        Inputs { incidents: self.incidents, people: self.people, orders: self.orders, risk_assessments: self.risk_assessments }
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
    /// Output folder for courses.csv, course_summary.csv, triage.csv, timelines.jsonl …
    #[arg(long)]
    pub out: PathBuf,
    /// Days within which an unknown-suspect report joins a victim's course.
    #[arg(long, default_value_t = Options::default().courses.window_days)]
    pub window_days: i32,
    /// The hub's links for this force's records (`links-FORCE.csv`, or the hub's folder
    /// holding it), with `reports-FORCE.csv` beside it: the other forces' reports about the
    /// same people join the courses, as those forces sent them (their name, their report
    /// pseudonym, the date and the offence codes; no narrative, no names).
    #[arg(long, requires = "keymap", value_name = "FILE_OR_DIR")]
    pub cross_force_links: Option<PathBuf>,
    /// The keymap.csv `conduct encode` wrote for this force (record_id,pseudonym): maps the
    /// links back to the force's records.
    #[arg(long, requires = "cross_force_links")]
    pub keymap: Option<PathBuf>,
}

/// What the hub sent back for a force, read and checked against its keymap and export
/// ([`read_cross_force`]): the other forces' reports, each with the own record it stands for.
pub struct CrossForce {
    reports: conduct_pprl::OtherReports,
    received: conduct_pprl::Received,
}

/// Reads what the hub sent back for the force of `export` (`links`: its links file or the
/// hub's folder; `keymap`: its keymap.csv from `conduct encode`), checked before anything is
/// written: the export must be one force's, the files that force's, every own record the links
/// name in the export.
pub fn read_cross_force(links: &Path, keymap: &Path, export: &Export) -> anyhow::Result<CrossForce> {
    if export.incidents.is_empty() {
        bail!("no usable incidents were read");
    }
    let force = own_force(export)?;
    let received = conduct_pprl::read_received(links, keymap, force.name())?;
    let records: std::collections::HashSet<&str> = export.people.iter().map(|p| p.record_id.as_str()).collect();
    for l in &received.links {
        if !records.contains(l.record_id.as_str()) {
            bail!(
                "{}: names record {} (through {}), which is not in the people files read: the keymap is not this export's",
                keymap.display(),
                l.record_id,
                received.links_file.display()
            );
        }
    }
    let reports = received.reports_for(force)?;
    Ok(CrossForce { reports, received })
}

/// Takes the other forces' reports into an analysis of the force's own export
/// ([`conduct_pipeline::take_in`]) and says what was taken. Returns the export with the other
/// forces' reports (for writing the courses), the analysis, and the persons of the force's own
/// rows (for persons.csv).
pub fn take_in(
    export: &Export,
    analysis: conduct_pipeline::Analysis,
    cross: &CrossForce,
    options: &Options,
) -> (Export, conduct_pipeline::Analysis, Persons) {
    let t = conduct_pipeline::take_in(export, analysis, &cross.reports.reports, options);
    for (f, (reports, records)) in &t.per_force {
        note!(
            "cross-force: {reports} reports of {} ({records} records linked to this force's) from {}",
            f.name(),
            cross.received.reports_file.display()
        );
    }
    if !cross.reports.not_forces.is_empty() {
        note!("cross-force: reports of parties that are not police forces left out: {}", cross.reports.not_forces.join(", "));
    }
    (t.export, t.analysis, t.own_persons)
}

/// The single force of an export, for the cross-force mode.
fn own_force(export: &Export) -> anyhow::Result<conduct_domain::Force> {
    let mut forces: Vec<conduct_domain::Force> = export.incidents.iter().map(|i| i.force).collect();
    forces.sort();
    forces.dedup();
    match forces[..] {
        [f] => Ok(f),
        _ => Err(crate::Usage(format!(
            "--cross-force-links: the export holds {} forces ({}); one force's export is read with the hub's links for that force",
            forces.len(),
            forces.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
        ))
        .into()),
    }
}

/// Reads an export through the same validation as `conduct ingest`, keeping the rows it set
/// aside as `conduct run`'s import does: the analysis gives each rejected people row that names
/// a record a person of its own ([`conduct_pipeline::analyse`]), so that persons.csv lists
/// every people row, as `conduct run` writes it.
pub fn read_export(inputs: &Inputs) -> anyhow::Result<Export> {
    let mut ingest = Ingest::new();
    let (read, summary) = ingest.read_whole(inputs)?;
    let rejects = ingest.rejects().to_vec();
    Ok(Export {
        incidents: read.incidents,
        people: read.people,
        orders: read.orders,
        risk_assessments: read.risk_assessments,
        summary,
        rejects,
    })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    let export = read_export(&args.export.inputs())?;
    let read_secs = t.elapsed().as_secs_f64();
    // Everything the hub sent is read and checked before anything is written.
    let cross = match (&args.cross_force_links, &args.keymap) {
        (Some(links), Some(keymap)) => Some(read_cross_force(links, keymap, &export)?),
        _ => None,
    };
    let persons = match &args.persons {
        Some(p) => {
            let persons = Persons::read_csv(p, &export.people)?;
            if persons.unlisted() > 0 {
                note!("conduct: {} people rows are not in {}; each is taken as a person of its own", persons.unlisted(), p.display());
            }
            Some(persons)
        }
        None => None,
    };
    if export.incidents.is_empty() {
        bail!("no usable incidents were read");
    }
    let mut options = Options::default();
    options.courses.window_days = args.window_days;
    let out = &args.out;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let analysis = match persons {
        Some(persons) => conduct_pipeline::analyse_with_persons(&export, persons, &options),
        None => conduct_pipeline::analyse(&export, &options)?,
    };
    let (analysis, whole) = match &cross {
        Some(c) => {
            let (all, with, own) = take_in(&export, analysis, c, &options);
            (with, Some((all, own)))
        }
        None => (analysis, None),
    };
    let read = &export;
    let (export, analysis) = match &whole {
        Some((all, _)) => (all, &analysis),
        None => (&export, &analysis),
    };
    if let Some(linked) = &analysis.linked {
        let persons = out.join("persons.csv");
        // The force's own rows only: the other forces' rows stand for these persons.
        let own = whole.as_ref().map_or(&analysis.persons, |(_, p)| p);
        let rows = &read.people;
        own.write_csv(&persons, rows)?;
        // Which model linked them, and why, as `conduct link` says it (issue 12).
        linked.model.save(&out.join("model.json"))?;
        for line in linked.stats.to_text().lines().filter(|l| l.starts_with("model:") || l.starts_with("warning:")) {
            note!("{line}");
        }
        outln!(
            "linked     {} people rows into {} persons ({:.1} s); {}",
            rows.len(),
            analysis.persons.linked_count(),
            stage(analysis, "link"),
            persons.display()
        )?;
    }
    let write_secs = write_courses(export, analysis, out)?;
    print_courses(read, analysis, read_secs, write_secs, out)?;
    Ok(ExitCode::SUCCESS)
}

/// Seconds the analysis spent in `stage` (0 if it did not run it).
pub fn stage(analysis: &conduct_pipeline::Analysis, name: &str) -> f64 {
    analysis.stages.iter().find(|(n, _)| *n == name).map_or(0.0, |(_, d)| d.as_secs_f64())
}

/// Writes the courses, breaches, review list and timelines into `out`; returns the seconds it
/// took.
pub fn write_courses(export: &Export, analysis: &conduct_pipeline::Analysis, out: &Path) -> anyhow::Result<f64> {
    let t = Instant::now();
    let name = |p: u32| analysis.persons.id(p);
    analysis.found(export, &name).write(out)?;
    Ok(t.elapsed().as_secs_f64())
}

/// Prints what the analysis found (the export read in `read_secs`, the courses written into
/// `out` in `write_secs`).
pub fn print_courses(
    export: &Export,
    analysis: &conduct_pipeline::Analysis,
    read_secs: f64,
    write_secs: f64,
    out: &Path,
) -> anyhow::Result<()> {
    let found = &analysis.courses;
    let reports: usize = found.courses.iter().map(|c| c.incidents.len()).sum();
    let hidden: usize = found.courses.iter().map(|c| c.hidden.len()).sum();
    let cross = found.courses.iter().filter(|c| c.is_cross_force()).count();
    outln!(
        "read       {} incidents, {} people rows, {} orders, {} risk screenings ({read_secs:.1} s; {} rows rejected)",
        export.incidents.len(),
        export.people.len(),
        export.orders.len(),
        export.risk_assessments.len(),
        export.summary.rejected()
    )?;
    outln!("courses    {} holding {reports} reports ({:.1} s)", found.courses.len(), stage(analysis, "courses"))?;
    outln!("hidden     {hidden} repeats never linked by the force at the time")?;
    outln!("cross      {cross} courses cross into another force")?;
    outln!(
        "serial     {} suspects with courses against several victims; {} victims with several suspects",
        found.serial_suspects.len(),
        found.repeat_victims.len()
    )?;
    outln!("breaches   {} reports may breach a protective order", analysis.breaches.len())?;
    for p in [conduct_courses::Priority::Urgent, conduct_courses::Priority::High, conduct_courses::Priority::Review] {
        outln!("{:<10} {} courses", p.as_str(), analysis.reviews.iter().filter(|r| r.priority == p).count())?;
    }
    outln!(
        "written    {}/{{courses,course_summary,triage,hidden_repeats,withdrawal_by_force,breaches}}.csv, timelines.jsonl ({write_secs:.1} s)",
        out.display()
    )?;
    Ok(())
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
    for (flag, score) in &s.flags {
        v["flags"][flag] = score.to_json();
    }
    outln!("{}", serde_json::to_string_pretty(&v)?)?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `conduct eval triage`.
#[derive(clap::Args)]
pub struct EvalTriageArgs {
    #[command(flatten)]
    pub export: ExportArgs,
    /// persons.csv from `conduct link`; when not given, the people are linked first (once, on
    /// the whole export).
    #[arg(long)]
    pub persons: Option<PathBuf>,
    /// Incidents file with true_serious_violence (and true_course_id): the reports in which a
    /// course ended in serious violence. Read only here, never by the analysis.
    #[arg(long)]
    pub truth: PathBuf,
    /// Rank each such course as of the day before its violent report: the courses and review
    /// list are built again from the reports, orders, outcomes and screenings recorded before
    /// that day. Without it, the courses are ranked in the list of the whole export, which has
    /// seen the violence.
    #[arg(long)]
    pub as_of: bool,
    /// Evaluate at most this many as-of days, evenly spread over the violent reports' days in
    /// date order (each day is one rebuild of the courses and the review list).
    #[arg(long)]
    pub max_dates: Option<usize>,
    /// Folder to write early_warning.csv (one row per course) and early_warning.json into.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// One violent course and where it stood.
struct Row {
    report: conduct_courses::eval::ViolentReport,
    standing: conduct_courses::early_warning::Standing,
    shape: conduct_courses::early_warning::ListShape,
    list_day: conduct_domain::Date,
}

pub fn eval_triage(args: EvalTriageArgs) -> anyhow::Result<ExitCode> {
    use conduct_courses::early_warning::{AsOf, ListShape, Pair, Standing, standings};
    use rayon::prelude::*;
    let t = Instant::now();
    let violent = conduct_courses::eval::violent_reports(&args.truth)?;
    let export = read_export(&args.export.inputs())?;
    if export.incidents.is_empty() {
        bail!("no usable incidents were read");
    }
    let options = Options::default();
    let analysis = match &args.persons {
        Some(p) => conduct_pipeline::analyse_with_persons(&export, Persons::read_csv(p, &export.people)?, &options),
        None => conduct_pipeline::analyse(&export, &options)?,
    };
    let person_of = analysis.persons.of_row();
    // The victim and suspect of each violent report, by its people rows.
    let mut rows_of: std::collections::HashMap<(conduct_domain::Force, &str), Vec<usize>> = std::collections::HashMap::new();
    for (k, p) in export.people.iter().enumerate() {
        rows_of.entry((p.force, p.incident_ref.as_str())).or_default().push(k);
    }
    let pair_of = |v: &conduct_courses::eval::ViolentReport| -> Option<Pair> {
        let rows = rows_of.get(&(v.force, v.incident_ref.as_str()))?;
        let of_role = |role: conduct_domain::Role| rows.iter().find(|&&k| export.people[k].role == role).map(|&k| person_of[k]);
        Some(Pair { victim: of_role(conduct_domain::Role::Victim)?, suspect: of_role(conduct_domain::Role::Suspect) })
    };
    // The as-of days: one rebuild per day, evenly thinned to --max-dates.
    let mut days: Vec<conduct_domain::Date> = violent.iter().map(|v| v.date).collect();
    days.dedup();
    if let Some(max) = args.max_dates {
        if max > 0 && days.len() > max {
            let n = days.len();
            days = (0..max).map(|k| days[k * n / max]).collect();
        }
    }
    let last_day = export.incidents.iter().map(|i| i.recorded_date).max().expect("incidents");
    let evaluate = |day: conduct_domain::Date, reports: Vec<&conduct_courses::eval::ViolentReport>| -> Vec<Row> {
        let pairs: Vec<Option<Pair>> = reports.iter().map(|v| pair_of(v)).collect();
        let wanted: Vec<Pair> = pairs.iter().flatten().copied().collect();
        let (shape, found) = if args.as_of {
            let records = AsOf::new(&export.incidents, &export.people, person_of, &export.orders, &export.risk_assessments, day);
            standings(&records, &options.courses, &wanted)
        } else {
            let records = AsOf {
                incidents: export.incidents.clone(),
                people: export.people.clone(),
                person_of: person_of.to_vec(),
                orders: export.orders.clone(),
                screenings: export.risk_assessments.clone(),
            };
            standings(&records, &options.courses, &wanted)
        };
        let mut found = found.into_iter();
        let none = Standing::default();
        reports
            .into_iter()
            .zip(pairs)
            .map(|(v, p)| Row {
                report: v.clone(),
                standing: if p.is_some() { found.next().expect("one standing per pair") } else { none.clone() },
                shape,
                list_day: if args.as_of { day.add_days(-1) } else { last_day },
            })
            .collect()
    };
    let rows: Vec<Row> = if args.as_of {
        days.par_iter().flat_map_iter(|&d| evaluate(d, violent.iter().filter(|v| v.date == d).collect())).collect()
    } else {
        evaluate(last_day, violent.iter().collect())
    };
    let n = rows.len();
    let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    let top1 = rows.iter().filter(|r| r.standing.within(0.01, r.shape.courses)).count();
    let top5 = rows.iter().filter(|r| r.standing.within(0.05, r.shape.courses)).count();
    let in_list = rows.iter().filter(|r| r.standing.rank.is_some()).count();
    let urgent_or_high = rows
        .iter()
        .filter(|r| matches!(r.standing.priority, Some(conduct_courses::Priority::Urgent | conduct_courses::Priority::High)))
        .count();
    // The lists those courses were ranked in, each counted once.
    let mut lists: Vec<(conduct_domain::Date, ListShape)> = rows.iter().map(|r| (r.list_day, r.shape)).collect();
    lists.sort_by_key(|l| l.0);
    lists.dedup_by_key(|l| l.0);
    let list_courses: usize = lists.iter().map(|l| l.1.courses).sum();
    let list_share = |f: fn(&ListShape) -> usize| {
        if list_courses == 0 { 0.0 } else { lists.iter().map(|l| f(&l.1)).sum::<usize>() as f64 / list_courses as f64 }
    };
    let summary = serde_json::json!({
        "as_of": if args.as_of { "day before each violent report" } else { "whole export" },
        "violent_reports_in_truth": violent.len(),
        "violent_courses_evaluated": n,
        "as_of_days": lists.len(),
        "in_a_course": in_list,
        "top_1_percent": top1,
        "top_1_percent_share": share(top1),
        "top_5_percent": top5,
        "top_5_percent_share": share(top5),
        "urgent_or_high": urgent_or_high,
        "urgent_or_high_share": share(urgent_or_high),
        "lists": {
            "courses_mean": if lists.is_empty() { 0.0 } else { list_courses as f64 / lists.len() as f64 },
            "urgent_share": list_share(|l| l.urgent),
            "high_share": list_share(|l| l.high),
            "urgent_or_high_share": list_share(|l| l.urgent + l.high),
        },
        "seconds": t.elapsed().as_secs_f64(),
    });
    if let Some(out) = &args.out {
        std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
        let path = out.join("early_warning.csv");
        let mut w = csv::Writer::from_path(&path).with_context(|| format!("writing {}", path.display()))?;
        w.write_record([
            "true_course_id",
            "force",
            "incident_ref",
            "violence_date",
            "list_date",
            "course_id",
            "suspect_matched",
            "course_reports",
            "rank",
            "courses",
            "rank_share",
            "top_1_percent",
            "top_5_percent",
            "priority",
            "priority_by_rules",
            "reasons",
        ])?;
        for r in &rows {
            let s = &r.standing;
            w.write_record([
                r.report.true_course_id.clone(),
                r.report.force.name().to_string(),
                r.report.incident_ref.clone(),
                r.report.date.to_string(),
                r.list_day.to_string(),
                s.course_id.clone().unwrap_or_default(),
                s.suspect_matched.to_string(),
                s.reports.to_string(),
                s.rank.map_or_else(String::new, |k| k.to_string()),
                r.shape.courses.to_string(),
                s.rank.map_or_else(String::new, |k| format!("{:.4}", k as f64 / r.shape.courses.max(1) as f64)),
                s.within(0.01, r.shape.courses).to_string(),
                s.within(0.05, r.shape.courses).to_string(),
                s.priority.map_or("", |p| p.as_str()).to_string(),
                s.by_rules.map_or("", |p| p.as_str()).to_string(),
                conduct_domain::cell::inert(&s.reasons).to_string(),
            ])?;
        }
        w.flush()?;
        std::fs::write(out.join("early_warning.json"), serde_json::to_string_pretty(&summary)? + "\n")?;
    }
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    outln!(
        "{n} courses ended in serious violence ({} as-of days); as of {}:",
        lists.len(),
        if args.as_of { "the day before the violent report" } else { "the end of the export" }
    )?;
    outln!("  in a course          {in_list} ({})", pct(share(in_list)))?;
    outln!("  top 1% of the list   {top1} ({})", pct(share(top1)))?;
    outln!("  top 5% of the list   {top5} ({})", pct(share(top5)))?;
    outln!("  urgent or high       {urgent_or_high} ({})", pct(share(urgent_or_high)))?;
    outln!(
        "  lists: {:.0} courses on average, {} urgent, {} high ({} urgent or high)",
        summary["lists"]["courses_mean"].as_f64().unwrap_or(0.0),
        pct(list_share(|l| l.urgent)),
        pct(list_share(|l| l.high)),
        pct(list_share(|l| l.urgent + l.high))
    )?;
    if args.out.is_none() {
        outln!("{}", serde_json::to_string_pretty(&summary)?)?;
    }
    Ok(ExitCode::SUCCESS)
}

//! `conduct`: the command-line front of Conduct. Thin by design: it parses arguments, draws
//! progress, prints summaries and maps outcomes to exit codes; the work is in the crates
//! (`conduct-ingest`, `conduct-store`, `conduct-synth`, …).
//!
//! Exit codes: 0 success; 1 when the input could not be opened or nothing usable was read;
//! 2 for a command-line mistake.

#[macro_use]
mod out;

mod attack_cmd;
mod courses_cmd;
mod demo;
mod encode_cmd;
mod export_cmd;
mod ingest;
mod link_cmd;
mod population_cmd;
mod progress;
mod report_cmd;
mod run_cmd;
mod serve_cmd;
mod stats_cmd;
mod synth;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

// Import moves millions of small strings from the reading thread to the writing thread; glibc's
// allocator spends a fifth of the run on that cross-thread traffic, mimalloc very little.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Find the course of conduct in police stalking and harassment records.
#[derive(Parser)]
#[command(name = "conduct", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a synthetic world, run the whole pipeline on it and score it against its truth.
    Demo(demo::Args),
    /// Run the whole pipeline on an export: import, link, courses, statistics, reports.
    Run(run_cmd::Args),
    /// Import a force export (incidents, people, orders) into the workspace.
    Ingest(ingest::Args),
    /// Write a synthetic world: incidents, people and orders with ground truth.
    Synth(synth::Args),
    /// Show what the workspace holds.
    Status(ingest::StatusArgs),
    /// Link people records into persons: probabilistic record linkage that explains itself.
    Link(link_cmd::LinkArgs),
    /// A person's history in a linked population: merges, splits, and where its id went.
    History(population_cmd::HistoryArgs),
    /// Encode a force's people records for cross-force linkage: keyed encodings to send to a
    /// hub, and the keymap that stays with the force.
    Encode(encode_cmd::EncodeArgs),
    /// Show how two people records score against each other, comparison by comparison.
    Explain(link_cmd::ExplainArgs),
    /// Link reports into courses of conduct, find hidden repeats and breaches, and rank for review.
    Courses(courses_cmd::Args),
    /// Export a course of conduct, a person's network or a force's courses for the analyst's
    /// tools: an i2 Analyst's Notebook chart (ANX), GraphML (Gephi, yEd, Neo4j) or Parquet.
    Export(export_cmd::Args),
    /// Score outputs against ground truth.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Statistics in the Home Office's published layout, from a force export or the published tables.
    Stats(stats_cmd::Args),
    /// Stories, FOI answers and HTML reports written from the statistics.
    Report(report_cmd::Args),
    /// Serve the analyst dashboard and its JSON API.
    Serve(serve_cmd::ServeArgs),
    /// Add an export to the server's data and publish the analysis of all its exports.
    Publish(serve_cmd::PublishArgs),
    /// Manage the server's accounts.
    #[command(subcommand)]
    User(serve_cmd::UserCommand),
    /// Check the server's audit trail.
    #[command(subcommand)]
    Audit(serve_cmd::AuditCommand),
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Score persons.csv against ground truth: pairwise precision, recall, F1 and B-cubed.
    Persons(link_cmd::EvalPersonsArgs),
    /// Score courses.csv against true_course_id: pairwise F1, hidden-repeat and breach recall.
    Courses(courses_cmd::EvalArgs),
    /// Early warning: where each course that ended in serious violence (true_serious_violence)
    /// stood in the review list, with --as-of the day before the violent report.
    Triage(courses_cmd::EvalTriageArgs),
    /// Score a hub's cross-force links (or a plaintext persons.csv) on cross-force pairs.
    Encodings(encode_cmd::EvalEncodingsArgs),
    /// Re-identification attack on one party's encodings with a plaintext population.
    Attack(attack_cmd::AttackArgs),
}

/// A mistake in the command line that clap cannot see (a period that cannot be read, or lies
/// outside the supported years): exit code 2, like clap's own.
#[derive(Debug)]
pub(crate) struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// The workspace directory when none is given: `$CONDUCT_WORKSPACE` or `./conduct-workspace`.
pub(crate) fn default_workspace() -> PathBuf {
    std::env::var_os("CONDUCT_WORKSPACE").map_or_else(|| PathBuf::from("conduct-workspace"), PathBuf::from)
}

/// Switches transparent huge pages off for this process, unless the user has said how mimalloc
/// should treat them (`MIMALLOC_ALLOW_THP`, which then decides).
///
/// mimalloc asks the kernel for huge pages, and the kernel zeroes each 2 MB page whole the first
/// time it is touched: a quarter of the CPU samples of an incremental update, and system time of
/// 3–11 s in a link or a run at 1M. Without them (idle machine, 2026-12-03; docs/benchmarks.md):
/// `conduct link` of 1M people rows 7.7–8.2 s against 9.0–9.6 s, `conduct run` of the
/// 1M-incident world 30.2–30.5 s against 32.7–33.1 s, outputs identical; an incremental update
/// of 10,000 rows no different beyond the noise (about 1.0–1.2 s either way).
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // A kernel without the flag (before 3.15) keeps its pages as they were: nothing to report.
        let _ = rustix::thread::disable_transparent_huge_pages(true);
    }
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Run(a) => run_cmd::run(a),
        Command::Ingest(a) => ingest::run(a),
        Command::Synth(a) => synth::run(a),
        Command::Status(a) => ingest::status(a),
        Command::Link(a) => link_cmd::run_link(a),
        Command::Explain(a) => link_cmd::run_explain(a),
        Command::Encode(a) => encode_cmd::encode(a),
        Command::Eval(EvalCommand::Encodings(a)) => encode_cmd::eval(a),
        Command::Eval(EvalCommand::Attack(a)) => attack_cmd::attack(a),
        Command::History(a) => population_cmd::history(a),
        Command::Eval(EvalCommand::Persons(a)) => link_cmd::run_eval_persons(a),
        Command::Courses(a) => courses_cmd::run(a),
        Command::Eval(EvalCommand::Courses(a)) => courses_cmd::eval(a),
        Command::Eval(EvalCommand::Triage(a)) => courses_cmd::eval_triage(a),
        Command::Export(a) => export_cmd::run(a),
        Command::Stats(a) => stats_cmd::run(a),
        Command::Report(a) => report_cmd::run(a),
        Command::Serve(a) => serve_cmd::serve(a),
        Command::Publish(a) => serve_cmd::publish(a),
        Command::User(c) => serve_cmd::user(c),
        Command::Audit(c) => serve_cmd::audit(c),
    };
    // What print! left without a newline is written now, where a closed pipe is still seen.
    let result = result.and_then(|code| out::flush().map(|()| code));
    match result {
        Ok(code) => code,
        // The reader of standard output had all it wanted (`conduct status | head -1`).
        Err(e) if out::is_closed(&e) => ExitCode::SUCCESS,
        Err(e) if e.is::<Usage>() => {
            note!("conduct: error: {}", chain(&e));
            ExitCode::from(2)
        }
        Err(e) => {
            note!("conduct: error: {}", chain(&e));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes, as `{:#}` prints them, without a cause whose text the message
/// already holds: the libraries' errors name their source in their own message and also return
/// it as `source()`, so the plain chain said "No such file or directory" three times.
fn chain(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !c.is_empty() && !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    /// Regression (issue 13 review): "x.csv: No such file or directory (os error 2)" followed by
    /// the same io error again, once per layer that kept it as its source.
    #[test]
    fn an_error_chain_says_each_cause_once() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let text = io.to_string();
        #[derive(Debug)]
        struct Wrapped(std::io::Error);
        impl std::fmt::Display for Wrapped {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "x.csv: {}", self.0)
            }
        }
        impl std::error::Error for Wrapped {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let e = anyhow::Error::new(Wrapped(io)).context("nothing was imported");
        let said = super::chain(&e);
        assert_eq!(said, format!("nothing was imported: x.csv: {text}"));
        assert_eq!(said.matches(&text).count(), 1);
        // A cause that adds something is kept.
        let e = anyhow::anyhow!("bad period").context("conduct stats");
        assert_eq!(super::chain(&e), "conduct stats: bad period");
    }
}

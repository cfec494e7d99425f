//! Helpers shared by the integration tests: run the binary, read CSV outputs, look inside a
//! workspace.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `conduct` binary Cargo built for these tests.
pub fn conduct() -> Command {
    Command::new(env!("CARGO_BIN_EXE_conduct"))
}

/// A fixture path under tests/data.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)
}

/// `v` in the order of a permutation drawn from `seed` (Fisher-Yates over a small xorshift
/// generator), for the tests that the order of an export's rows changes nothing.
pub fn shuffled<T>(mut v: Vec<T>, seed: u64) -> Vec<T> {
    let mut x = seed | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

/// Every file `conduct run` wrote into `out` (paths relative to it, sorted) but those that
/// follow the order of the input by design: the import's rejects, warnings and summaries
/// (which name lines), the statistics' summary, persons.csv and pairs.csv (in row order) and
/// the workspace's database. The same export in any order of its rows writes these alike.
pub fn order_free_outputs(out: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, at: &Path, found: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(at).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(dir, &p, found);
            } else {
                found.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    let mut found = Vec::new();
    walk(out, out, &mut found);
    found.retain(|f| {
        let f = f.to_string_lossy().replace('\\', "/");
        !(f.starts_with("import/")
            || f.starts_with("workspace/")
            || f.ends_with("summary.json")
            || f == "link/persons.csv"
            || f == "link/pairs.csv")
    });
    found.sort();
    found
}

/// Whether this run must run every part of the suite: `CI=true` (as `.ci/run` sets it, and as
/// most CI services do).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// Whether a test, or part of one, can run here; call it where the test would otherwise return
/// early: `if !util::require(cond, "why not") { return; }`. When `can_run` is false, in CI
/// (`CI=true`) the test fails with `reason`; elsewhere it prints `SKIPPED: <test>: <reason>`
/// on the process's standard error (written past the test harness's capture, so that a
/// skipped test is seen in a passing run) and returns false. A test never passes silently
/// without having run.
#[track_caller]
pub fn require(can_run: bool, reason: &str) -> bool {
    if can_run {
        return true;
    }
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    assert!(!in_ci(), "{test} cannot run, and CI=true requires every test to run: {reason}");
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {test}: {reason}");
    false
}

/// Runs a command, returning its output; panics with stderr if it could not start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the conduct binary runs")
}

/// Runs a command that must end within `deadline`: a command that hangs is killed and the
/// test fails, rather than holding the suite until CI's own limit. The deadline bounds a hang,
/// it is not a speed check; give it room for a loaded machine.
pub fn run_within(cmd: &mut Command, deadline: std::time::Duration) -> Output {
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the conduct binary runs");
    // Drain both pipes on threads so that a chatty child cannot block on a full pipe.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited on") {
            break status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the command did not end within {deadline:?}: {cmd:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// Runs a command that must succeed.
pub fn ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "command failed ({:?}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Reads a CSV file into header-keyed rows.
pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect()
}

/// Opens a workspace's store.
pub fn store(workspace: &Path) -> conduct_store::Store {
    conduct_store::Store::open_workspace(workspace).expect("workspace opens")
}

/// One column of a table, sorted, as text.
pub fn column(workspace: &Path, sql: &str) -> Vec<String> {
    let s = store(workspace);
    let mut stmt = s.sqlite().expect("an SQLite workspace").prepare(sql).unwrap();
    let mut v: Vec<String> = stmt
        .query_map([], |r| r.get::<_, rusqlite::types::Value>(0))
        .unwrap()
        .map(|v| match v.unwrap() {
            rusqlite::types::Value::Null => String::new(),
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Real(f) => f.to_string(),
            rusqlite::types::Value::Text(t) => t,
            rusqlite::types::Value::Blob(_) => "<blob>".into(),
        })
        .collect();
    v.sort();
    v
}

/// Every row of every contract table, as sorted text lines, to compare workspaces.
pub fn dump(workspace: &Path) -> Vec<String> {
    let mut all = Vec::new();
    for table in ["incidents", "people", "orders"] {
        let s = store(workspace);
        let mut stmt = s.sqlite().expect("an SQLite workspace").prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = stmt.column_count();
        let rows: Vec<String> = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n).map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap())).collect();
                Ok(format!("{table}|{}", cells.join("|")))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        all.extend(rows);
    }
    all.sort();
    all
}

/// The summary.json an import wrote.
pub fn summary(report_dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(report_dir.join("summary.json")).expect("summary.json written");
    serde_json::from_str(&text).expect("summary.json is JSON")
}

/// The timeline of `course` in a courses folder's `timelines.jsonl` (one JSON per line, in
/// course order); every line must parse and the course must be there.
pub fn timeline(courses_dir: &Path, course: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(courses_dir.join("timelines.jsonl")).unwrap();
    let all: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let found: Vec<&serde_json::Value> = all.iter().filter(|t| t["course_id"] == course).collect();
    assert_eq!(found.len(), 1, "{course} has one timeline");
    found[0].clone()
}

//! `conduct serve`, `conduct publish`, `conduct user` and `conduct audit`: the dashboard server
//! and the commands that set it up and check it (accounts, data, the audit trail).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use conduct_server::{auth, db};

/// Where the server keeps its things.
#[derive(clap::Args, Clone)]
pub struct Where {
    /// Database: an SQLite file path (default DATA/conduct-server.db) or postgres://user@host/db.
    #[arg(long, env = "CONDUCT_DATABASE")]
    pub database: Option<String>,
    /// Folder where uploads wait for their analysis (and the SQLite database when no
    /// --database is given). Their records are then held in the database.
    #[arg(long, env = "CONDUCT_DATA", default_value = "conduct-server")]
    pub data: PathBuf,
    /// A workspace made by `conduct ingest` (or `conduct run`): its database, WORKSPACE/conduct.db,
    /// is the dashboard's too, so its records are served without importing them again, and
    /// uploads wait in the workspace folder. Takes the place of --data and --database.
    #[arg(long, conflicts_with = "database")]
    pub workspace: Option<PathBuf>,
}

impl Where {
    fn url(&self) -> db::Url {
        match (&self.database, &self.workspace) {
            (Some(d), _) => db::Url::parse(d),
            (None, Some(w)) => db::Url::Sqlite(w.join(conduct_store::DATABASE_FILE)),
            (None, None) => db::Url::Sqlite(self.data.join("conduct-server.db")),
        }
    }

    /// The folder where uploads wait.
    fn data(&self) -> PathBuf {
        self.workspace.clone().unwrap_or_else(|| self.data.clone())
    }

    fn open(&self) -> anyhow::Result<db::Conn> {
        let url = self.url();
        if let db::Url::Sqlite(p) = &url {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
        }
        let mut c = db::Conn::open(&url)?;
        conduct_store::migrate(&mut c).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(c)
    }
}

/// Arguments of `conduct serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub at: Where,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Largest upload accepted, in MiB.
    #[arg(long, default_value_t = 512)]
    pub max_upload_mb: usize,
    /// Mark session cookies Secure (set when a TLS proxy fronts the server; requests with
    /// X-Forwarded-Proto: https get Secure cookies anyway).
    #[arg(long)]
    pub secure_cookies: bool,
    /// Database connections serving requests at once (two more are kept for the audit writer
    /// and publications).
    #[arg(long, default_value_t = 8)]
    pub pool_size: u32,
    /// Rejected rows stored per upload (downloadable as CSV); every reject is still counted
    /// and tallied by kind of reason in the upload's report.
    #[arg(long, env = "CONDUCT_MAX_STORED_REJECTS", default_value_t = conduct_server::dataset::Limits::default().max_stored_rejects)]
    pub max_stored_rejects: usize,
    /// Rows (accepted and rejected) one upload may hold; a larger upload is refused whole.
    #[arg(long, env = "CONDUCT_MAX_UPLOAD_ROWS", default_value_t = conduct_server::dataset::Limits::default().max_upload_rows)]
    pub max_upload_rows: u64,
}

pub fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    let data = a.at.data();
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let limits = conduct_server::dataset::Limits { max_stored_rejects: a.max_stored_rejects, max_upload_rows: a.max_upload_rows };
    conduct_server::serve_with(
        conduct_server::Config {
            database: a.at.url(),
            data_dir: data.clone(),
            bind: a.bind,
            max_upload_bytes: a.max_upload_mb << 20,
            secure_cookies: a.secure_cookies,
            pool_size: a.pool_size,
        },
        limits,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `conduct publish`.
#[derive(clap::Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub at: Where,
    /// Folder holding incidents.*, people.*, and optionally orders.* and risk_assessments.*
    /// (or give the files).
    pub folder: Option<PathBuf>,
    /// Incidents file(s).
    #[arg(long)]
    pub incidents: Vec<PathBuf>,
    /// People file(s).
    #[arg(long)]
    pub people: Vec<PathBuf>,
    /// Orders file(s).
    #[arg(long)]
    pub orders: Vec<PathBuf>,
    /// Risk screening file(s) (DASH, S-DASH, SASH; the contract's risk_assessments).
    #[arg(long)]
    pub risk_assessments: Vec<PathBuf>,
    /// The cross-force mode: what the hub sent back for the force whose records the store
    /// holds (`links-FORCE.csv`, or the hub's folder holding it, with `reports-FORCE.csv`
    /// beside it). It replaces what was held from the hub before, and the other forces' reports
    /// join the courses as those forces sent them (their name, their report pseudonym, the date
    /// and the offence codes; no narrative, no names). Given with or without an export (an
    /// export is published first).
    #[arg(long, requires = "keymap", value_name = "FILE_OR_DIR")]
    pub cross_force_links: Option<PathBuf>,
    /// The keymap.csv `conduct encode` wrote for this force (record_id,pseudonym): maps the
    /// hub's links back to the force's records.
    #[arg(long, requires = "cross_force_links")]
    pub keymap: Option<PathBuf>,
    /// Write every analysis table whole. By default a table where few rows changed (a new
    /// export's reports and records, the persons they join) is written by those rows only,
    /// and the rest whole; the published content is the same either way.
    #[arg(long)]
    pub rewrite: bool,
}

fn published_line(p: &conduct_server::dataset::Published, at: &Where, seconds: f64) -> anyhow::Result<()> {
    outln!(
        "published {} incidents, {} people rows, {} persons, {} courses, {} orders, {} possible breaches to {} ({:.1} s)",
        p.incidents,
        p.records,
        p.persons,
        p.courses,
        p.orders,
        p.breaches,
        at.url().describe(),
        seconds
    )?;
    let stages: Vec<String> = p.stages.iter().map(|(n, t)| format!("{n} {t:.1}")).collect();
    if !stages.is_empty() {
        note!("stages (s): {}", stages.join(", "));
    }
    let update: Vec<String> = p.update_stages.iter().map(|(n, t)| format!("{n} {t:.2}")).collect();
    if !update.is_empty() {
        note!("update stages (s): {}", update.join(", "));
    }
    // How each analysis table was written: by its changes (rows deleted and inserted) or whole.
    let tables: Vec<String> = p.tables.iter().map(|(t, w)| format!("{t} {w}")).collect();
    if !tables.is_empty() {
        note!("tables: {}", tables.join(", "));
    }
    let x = &p.cross_force;
    if x.reports > 0 || x.left_out > 0 {
        outln!("cross-force: {} reports of other forces ({} records) joined the courses", x.reports, x.records)?;
    }
    if let (n @ 1.., Some(why)) = (x.left_out, &x.why_left_out) {
        note!("cross-force: {n} report rows held from the hub were left out: {why}");
    }
    Ok(())
}

/// `conduct publish --cross-force-links … --keymap …`: reads what the hub sent back for the
/// store's force and holds it (see [`conduct_server::receive_cross_force`]).
fn receive_cross_force(a: &PublishArgs, links: &std::path::Path, keymap: &std::path::Path, actor: &str) -> anyhow::Result<()> {
    let mut c = a.at.open()?;
    let t = std::time::Instant::now();
    let force = conduct_server::own_force(&mut c)?;
    let received = conduct_pprl::read_received(links, keymap, force.name())?;
    let reports = received.reports_for(force)?;
    if !reports.not_forces.is_empty() {
        note!("cross-force: reports of parties that are not police forces left out: {}", reports.not_forces.join(", "));
    }
    let source = format!("{} and {} (keymap {})", received.links_file.display(), received.reports_file.display(), keymap.display());
    let (receipt, p) =
        conduct_server::receive_cross_force(&mut c, &a.at.data(), force, &reports.reports, &source, &reports.not_forces, actor)?;
    outln!(
        "held {} report rows from the hub for {} ({})",
        receipt.reports,
        receipt.own_force,
        if receipt.forces.is_empty() { "no other force".to_string() } else { receipt.forces.replace(';', ", ") }
    )?;
    published_line(&p, &a.at, t.elapsed().as_secs_f64())
}

pub fn publish(a: PublishArgs) -> anyhow::Result<ExitCode> {
    let mut inputs = match &a.folder {
        Some(f) => conduct_server::dataset::inputs_in(f)?,
        None => conduct_ingest::Inputs::default(),
    };
    inputs.incidents.extend(a.incidents.iter().cloned());
    inputs.people.extend(a.people.iter().cloned());
    inputs.orders.extend(a.orders.iter().cloned());
    inputs.risk_assessments.extend(a.risk_assessments.iter().cloned());
    let actor = format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()));
    let export_given = !(inputs.incidents.is_empty() && inputs.people.is_empty() && inputs.orders.is_empty());
    if let (Some(links), Some(keymap), false) = (&a.cross_force_links, &a.keymap, export_given) {
        receive_cross_force(&a, links, keymap, &actor)?;
        return Ok(ExitCode::SUCCESS);
    }
    if inputs.incidents.is_empty() || inputs.people.is_empty() {
        bail!(
            "give an export: a folder holding incidents and people files, or --incidents and --people (or only --cross-force-links and --keymap)"
        );
    }
    let mut c = a.at.open()?;
    let t = std::time::Instant::now();
    let writes = if a.rewrite { conduct_server::dataset::Writes::Whole } else { conduct_server::dataset::Writes::Changes };
    let (v, p) = conduct_server::publish_export(&mut c, &a.at.data(), &inputs, &actor, writes)?;
    outln!(
        "read {} rows: {} accepted, {} rejected, {} warnings",
        v.summary.read(),
        v.summary.accepted(),
        v.summary.rejected(),
        v.summary.warnings()
    )?;
    for r in v.rejects.iter().take(20) {
        outln!("  rejected {}:{} {} — {}", r.file.display(), r.line, r.column, r.reason)?;
    }
    // The rejects listed are at most those kept; the summary counts them all.
    let (rejected, listed) = (v.summary.rejected(), v.rejects.len().min(20) as u64);
    if rejected > listed {
        outln!("  … and {} more rejects", rejected - listed)?;
    }
    published_line(&p, &a.at, t.elapsed().as_secs_f64())?;
    drop(c);
    if let (Some(links), Some(keymap)) = (&a.cross_force_links, &a.keymap) {
        receive_cross_force(&a, links, keymap, &actor)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `conduct user …`
#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Create an account (the password is read from stdin, or from CONDUCT_PASSWORD).
    Add(UserAddArgs),
    /// Grant a cross-force reviewer access to a force's identifiable data (recorded).
    Grant(GrantArgs),
}

/// Arguments of `conduct user add`.
#[derive(clap::Args)]
pub struct UserAddArgs {
    #[command(flatten)]
    pub at: Where,
    /// Login name.
    pub username: String,
    /// analyst, reviewer or admin.
    #[arg(long)]
    pub role: String,
    /// The analyst's force (a reviewer's home force, optional).
    #[arg(long)]
    pub force: Option<String>,
}

/// Arguments of `conduct user grant`.
#[derive(clap::Args)]
pub struct GrantArgs {
    #[command(flatten)]
    pub at: Where,
    /// The reviewer.
    pub username: String,
    /// The force.
    #[arg(long)]
    pub force: String,
    /// Why access is given (recorded in the audit log).
    #[arg(long)]
    pub reason: String,
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("CONDUCT_PASSWORD") {
        return Ok(p);
    }
    note!("password (at least 12 characters), then Enter:");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

pub fn user(cmd: UserCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        UserCommand::Add(a) => {
            let role = auth::Role::parse(&a.role).with_context(|| format!("role is analyst, reviewer or admin, not {:?}", a.role))?;
            let force = a.force.as_deref().map(conduct_domain::Force::resolve).transpose()?;
            let password = read_password()?;
            let mut c = a.at.open()?;
            auth::add_user(&mut c, &a.username, &password, role, force)?;
            conduct_server::audit::append(
                &mut c,
                &[conduct_server::audit::Entry {
                    actor: actor(),
                    action: "user.add".into(),
                    object: format!("user/{}", a.username),
                    force: force.map_or("-", |f| f.name()).into(),
                    outcome: "allowed".into(),
                    detail: role.as_str().into(),
                }],
            )?;
            outln!("added {} ({}{})", a.username, role.as_str(), force.map_or(String::new(), |f| format!(", {}", f.name())))?;
        }
        UserCommand::Grant(a) => {
            let force = conduct_domain::Force::resolve(&a.force)?;
            let mut c = a.at.open()?;
            auth::grant(&mut c, &a.username, force, &a.reason, &actor())?;
            conduct_server::audit::append(
                &mut c,
                &[conduct_server::audit::Entry {
                    actor: actor(),
                    action: "grant".into(),
                    object: format!("user/{}", a.username),
                    force: force.name().into(),
                    outcome: "allowed".into(),
                    detail: a.reason.clone(),
                }],
            )?;
            outln!("granted {} access to {}", a.username, force.name())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `conduct audit …`
#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check the whole audit log: sequence, links and hashes. Exit code 1 if anything is wrong.
    Verify(VerifyArgs),
}

/// Arguments of `conduct audit verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub at: Where,
    /// A head printed by an earlier verify (SEQ:HASH), which must still be in the log: this is
    /// what finds a log cut short at its end.
    #[arg(long)]
    pub expect: Option<String>,
}

pub fn audit(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    let AuditCommand::Verify(a) = cmd;
    let expect = a.expect.as_deref().map(conduct_server::audit::parse_head).transpose()?;
    let mut c = a.at.open()?;
    let v = conduct_server::audit::verify(&mut c, expect.as_ref().map(|(s, h)| (*s, h.as_str())))?;
    for p in &v.problems {
        outln!("problem: {p}")?;
    }
    if v.problem_count as usize > v.problems.len() {
        outln!("… {} problems in all", v.problem_count)?;
    }
    match &v.head {
        Some((seq, hash)) => outln!("{} entries; head {seq}:{hash}", v.entries)?,
        None => outln!("the audit log is empty")?,
    }
    if v.problem_count == 0 {
        outln!("audit log intact")?;
        Ok(ExitCode::SUCCESS)
    } else {
        outln!("audit log NOT intact: {} problems", v.problem_count)?;
        Ok(ExitCode::from(1))
    }
}

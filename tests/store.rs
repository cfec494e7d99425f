//! The embedded store: a process killed mid-import leaves the previous state intact.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::util::{column, conduct, data, dump, ok, summary};

/// Imports a small export, then kills a second, large import while its transaction is open
/// (after thousands of rows were written to the database file's journal). The workspace must
/// hold exactly the first import, pass SQLite's integrity check, and accept the second import
/// when it is run again.
#[test]
fn killed_import_leaves_previous_state_intact() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let world = tmp.path().join("world");
    ok(conduct().args(["synth", "--incidents", "6000", "--seed", "7", "--out"]).arg(&world));
    ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r1")));
    let before = dump(&ws);

    let mut child = conduct()
        .arg("ingest")
        .arg(&world)
        .arg("--workspace")
        .arg(&ws)
        .arg("--report-dir")
        .arg(tmp.path().join("r2"))
        .env("CONDUCT_FAILPOINT_IMPORT_STALL", "5000")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut stalled = false;
    for line in stderr.lines() {
        if line.unwrap().contains("failpoint: import stalled") {
            stalled = true;
            break;
        }
    }
    assert!(stalled, "the import reached the failpoint inside its transaction");
    child.kill().unwrap();
    child.wait().unwrap();

    let mut s = crate::util::store(&ws);
    s.integrity_check().expect("the file is sound after the kill");
    drop(s);
    assert_eq!(dump(&ws), before, "the killed import left no trace");
    assert_eq!(column(&ws, "SELECT count(*) FROM imports"), ["1"]);

    // The workspace is usable: the same import now goes through whole.
    ok(conduct().arg("ingest").arg(&world).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r3")));
    let s3 = summary(&tmp.path().join("r3"));
    assert_eq!(s3["read"], s3["accepted"]);
    assert_eq!(column(&ws, "SELECT count(*) FROM imports"), ["2"]);
}

#[test]
fn status_reports_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r")));
    let out = ok(conduct().arg("status").arg("--workspace").arg(&ws));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("incidents  5"), "{text}");
    assert!(text.contains("people     8"), "{text}");
    assert!(text.contains(&format!("schema     version {}", conduct_store::SCHEMA_VERSION)), "{text}");
}

/// One store on both dialects: the same imports into SQLite and into PostgreSQL report the same
/// changes and hold the same records, read back in the order first imported; re-importing
/// changes nothing; a newer export of the same force updates rows in place.
#[test]
fn store_holds_the_same_records_on_sqlite_and_postgres() {
    use conduct_store::db::Url;
    let tmp = tempfile::tempdir().unwrap();
    let pg = crate::serve::pg_database("store");
    let mut urls = vec![Url::Sqlite(tmp.path().join("conduct.db"))];
    urls.extend(pg.as_ref().map(|p| Url::Postgres(p.url.clone())));
    let inputs = |dir: &str| conduct_ingest::Inputs::in_folder(&data(dir)).unwrap();
    let (first, _) = conduct_ingest::Ingest::new().read_whole(&inputs("good")).unwrap();
    let mut held = Vec::new();
    for url in &urls {
        let mut store = conduct_store::Store::open_url(url).unwrap();
        assert_eq!(store.schema_version().unwrap(), conduct_store::SCHEMA_VERSION);
        let r = store.import(&inputs("good"), conduct_ingest::Ingest::new()).unwrap();
        assert_eq!(r.incidents.new as usize, first.incidents.len(), "{url:?}");
        assert_eq!(store.load_export().unwrap(), first, "{url:?}: the records read back are the records read");
        // What a publication reads beside the people rows (its linked population) is read on the
        // same store, and the records are read as ever.
        let count = |c: &mut conduct_store::db::Conn| c.query_one("SELECT count(*) FROM incidents", &[]).unwrap().and_then(|r| r[0].int());
        let (read, counted) = conduct_store::load_export_then(store.conn(), count);
        assert_eq!((read.unwrap(), counted), (first.clone(), Some(first.incidents.len() as i64)), "{url:?}");
        let again = store.import(&inputs("good"), conduct_ingest::Ingest::new()).unwrap();
        assert!(!again.changed_anything(), "{url:?}: re-importing changes nothing");
        assert_eq!(again.incidents.unchanged as usize, first.incidents.len());
        let v2 = store.import(&inputs("good-v2"), conduct_ingest::Ingest::new()).unwrap();
        assert!(v2.incidents.updated > 0, "{url:?}: good-v2 changes incidents of good");
        let after = store.load_export().unwrap();
        // Updated in place: the first export's incidents keep their places.
        let refs = |e: &conduct_ingest::Export| e.incidents.iter().map(|i| (i.force, i.incident_ref.clone())).collect::<Vec<_>>();
        assert_eq!(refs(&after)[..first.incidents.len()], refs(&first)[..], "{url:?}");
        let counts = store.counts().unwrap();
        assert_eq!(counts.imports, 3);
        held.push(((v2.incidents, v2.people, v2.orders), after));
        // Inside a transaction the records are read on its own connection, and so with its
        // writes not yet committed (on SQLite the people are otherwise read on a second
        // connection, which would not see them).
        store.conn().execute("BEGIN", &[]).unwrap();
        store.conn().execute("UPDATE people SET forename = 'Uncommitted' WHERE record_id = 'G1'", &[]).unwrap();
        let inside = store.load_export().unwrap();
        store.conn().execute("ROLLBACK", &[]).unwrap();
        let g1 = |e: &conduct_ingest::Export| e.people.iter().find(|p| p.record_id == "G1").map(|p| p.forename.clone());
        assert_eq!(g1(&inside).as_deref(), Some("Uncommitted"), "{url:?}: the transaction's own write is read");
        assert_ne!(g1(&store.load_export().unwrap()).as_deref(), Some("Uncommitted"), "{url:?}: rolled back");
        // A row the store cannot read back as a record (written by something other than
        // Conduct) ends the read with an error naming it.
        store.conn().execute("UPDATE people SET role = 'bystander' WHERE record_id = 'G2'", &[]).unwrap();
        let e = store.load_export().unwrap_err();
        let bad_row =
            matches!(e.kind(), conduct_store::ErrorKind::BadRow { table: "people", column: "role", key, .. } if key.contains("G2"));
        assert!(bad_row, "{url:?}: {e}");
        let (read, ran) = conduct_store::load_export_then(store.conn(), |_| true);
        assert!(read.is_err() && ran, "{url:?}: the read fails, and what follows it still ran");
    }
    if let [(sqlite_changes, sqlite), (pg_changes, pg)] = &held[..] {
        assert_eq!(sqlite_changes, pg_changes, "the same changes on both");
        assert_eq!(sqlite, pg, "the same records on both");
    }
}

/// `conduct serve` on a workspace made by `conduct ingest` publishes the records it holds when
/// it starts: nothing is imported again.
#[test]
fn a_workspace_made_by_ingest_is_served_without_importing_again() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r")));
    let imports = |ws: &std::path::Path| column(ws, "SELECT count(*) FROM imports");
    assert_eq!(imports(&ws), ["1"]);
    let database = ws.join(conduct_store::DATABASE_FILE).display().to_string();
    let server = crate::serve::spawn_serve(ws.clone(), database, tmp.path().join("serve.log"), &[], &[], None);
    let pw = server.add_user("admin", "admin", None);
    let mut admin = crate::serve::signed_in(&server, "admin", &pw);
    let t = std::time::Instant::now();
    let incidents = loop {
        let (_, n) = admin.get("/api/forces");
        let sum: i64 = n["forces"].as_array().map_or(0, |f| f.iter().map(|f| f["incidents"].as_i64().unwrap_or(0)).sum());
        if sum > 0 || t.elapsed() > std::time::Duration::from_secs(60) {
            break sum;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let good = std::fs::read_to_string(data("good/incidents.csv")).unwrap().lines().count() as i64 - 1;
    assert!(good > 0);
    // Rejected rows of the fixture are not incidents; every accepted one is published.
    // The force figures count stalking and harassment offences by principal crime, as the Home
    // Office does (until they were taken from conduct-stats, every incident held).
    let held = column(&ws, "SELECT offence_code FROM incidents")
        .iter()
        .filter(|c| crate::force_figures::counts_as_stalking_or_harassment(c))
        .count();
    assert_eq!(incidents, held as i64, "the workspace's incidents are published");
    assert_eq!(imports(&ws), ["1"], "and not imported again");
    // A newer export ingested into the workspace while it is served is published within a
    // minute (the server looks every 30 s).
    ok(conduct().arg("ingest").arg(data("good-v2")).arg("--workspace").arg(&ws).arg("--report-dir").arg(tmp.path().join("r2")));
    let t = std::time::Instant::now();
    while column(&ws, "SELECT value FROM meta WHERE key = 'published_import'") != ["2"] {
        assert!(t.elapsed() < std::time::Duration::from_secs(90), "the second import was never published");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    assert_eq!(column(&ws, "SELECT count(*) FROM published_incidents"), column(&ws, "SELECT count(*) FROM incidents"));
    drop(server);
    // The workspace is the dashboard's database: its audit trail is checked the same way.
    ok(conduct().args(["audit", "verify", "--workspace"]).arg(&ws));
}

/// A pooled PostgreSQL connection whose backend ends while it sits in the pool fails one
/// check-out at most (one handed back within 500 ms is not tested first): its
/// failed statement closes it, it is dropped when handed back, and the next check-out has a
/// new backend. (The store's own test: here for the suite's scratch PostgreSQL database.)
#[test]
fn a_pooled_postgres_connection_ended_in_the_pool_fails_one_checkout_at_most() {
    use conduct_store::db::{Conn, Url, get, pool};
    let Some(pg) = crate::serve::pg_database("pool") else { return };
    let url = Url::Postgres(pg.url.clone());
    let pool = pool(&url, 1).unwrap();
    let pid = |c: &mut Conn| c.query_one("SELECT pg_backend_pid()", &[]).map(|r| r.and_then(|r| r[0].int()).unwrap());
    let first = pid(&mut get(&pool).unwrap()).unwrap();
    let mut other = Conn::open(&url).unwrap();
    let ended = other.query_one("SELECT CAST(pg_terminate_backend(CAST(? AS INTEGER)) AS INTEGER)", &[first.into()]).unwrap();
    assert_eq!(ended.map(|r| r[0].int()), Some(Some(1)), "the pooled connection's backend is told to end");
    // Until it has (the signal is asynchronous).
    let gone = (0..500).any(|_| {
        let left = other.query_one("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = CAST(? AS INTEGER)", &[first.into()]);
        std::thread::sleep(std::time::Duration::from_millis(10));
        left.unwrap().and_then(|r| r[0].int()) == Some(0)
    });
    assert!(gone, "backend {first} ended");
    let mut failures = 0;
    let second = loop {
        match pid(&mut get(&pool).unwrap()) {
            Ok(p) => break p,
            Err(e) => {
                failures += 1;
                assert!(failures <= 1, "the ended connection was handed out again: {e}");
            }
        }
    };
    assert_ne!(second, first, "a new backend");
}

/// `Store::import_keeping_then` (what `conduct run` starts its analysis on) tells the read's
/// summary and ingest once every file is read and every batch kept, before the import commits;
/// the import then commits those records with their key indexes, as `Store::import` would.
#[test]
fn an_import_tells_its_read_before_it_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = conduct_store::Store::open_workspace(tmp.path()).unwrap();
    let inputs = conduct_ingest::Inputs::in_folder(&data("bad")).unwrap();
    let db = tmp.path().join(conduct_store::DATABASE_FILE);
    let kept = std::cell::Cell::new([0usize; 3]);
    let mut told = None;
    let (report, ingest) = store
        .import_keeping_then(
            &inputs,
            conduct_ingest::Ingest::new(),
            &mut |batch| {
                let mut k = kept.get();
                match batch {
                    conduct_ingest::Batch::Incidents(v) => k[0] += v.len(),
                    conduct_ingest::Batch::People(v) => k[1] += v.len(),
                    conduct_ingest::Batch::Orders(v) => k[2] += v.len(),
                }
                kept.set(k);
            },
            &mut |summary, ingest| {
                let other = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
                let held: i64 = other.query_row("SELECT count(*) FROM incidents", [], |r| r.get(0)).unwrap();
                told = Some((kept.get(), summary.clone(), ingest.rejects().len(), held));
            },
        )
        .unwrap();
    let (kept_then, summary, rejects, held) = told.expect("the read was told");
    assert_eq!(kept_then, kept.get(), "every batch was kept before the read was told");
    assert!(kept_then[0] > 0 && kept_then[1] > 0, "{kept_then:?}");
    assert_eq!(summary, report.summary, "the summary told is the import's");
    assert!(rejects > 0 && rejects == ingest.rejects().len(), "the bad fixture's rejects were told: {rejects}");
    assert_eq!(held, 0, "told before the import committed");
    drop(store);
    let ws = tmp.path();
    assert_eq!(column(ws, "SELECT count(*) FROM incidents"), [kept_then[0].to_string()]);
    assert_eq!(column(ws, "SELECT count(*) FROM people"), [kept_then[1].to_string()]);
    for index in ["incidents_key", "people_key", "orders_key"] {
        assert_eq!(column(ws, &format!("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = '{index}'")), ["1"], "{index}");
    }
}

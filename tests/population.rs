//! Incremental linkage (`conduct link --update`, `--verify`, `conduct history`) on small,
//! real-shaped exports written by hand (tests/data/small), not on the generator's world.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::util::{conduct, data, ok, read_csv, run};

/// Splits a people file into `n` batches of consecutive rows (the order an export is written
/// in: by report), each with the header.
fn split(src: &Path, n: usize, dir: &Path) -> Vec<PathBuf> {
    let mut r = csv::Reader::from_path(src).unwrap();
    let header = r.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let per = rows.len().div_ceil(n);
    rows.chunks(per)
        .enumerate()
        .map(|(i, chunk)| {
            let path = dir.join(format!("batch-{:02}.csv", i + 1));
            let mut w = csv::Writer::from_path(&path).unwrap();
            w.write_record(&header).unwrap();
            for row in chunk {
                w.write_record(row).unwrap();
            }
            w.flush().unwrap();
            path
        })
        .collect()
}

/// persons.csv as record_id → person_id.
fn persons(out: &Path) -> BTreeMap<String, String> {
    read_csv(&out.join("persons.csv")).into_iter().map(|r| (r["record_id"].clone(), r["person_id"].clone())).collect()
}

/// Adds one batch.
fn update(ws: &Path, batch: &Path, out: &Path) -> std::process::Output {
    ok(conduct().args(["link", "--update", "--people"]).arg(batch).arg("--workspace").arg(ws).arg("--out").arg(out))
}

/// Pairwise agreement (F1) of two assignments of the same records.
fn pairwise_f1(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> f64 {
    let pairs = |m: &HashMap<(String, String), u64>| m.values().map(|&n| n * n.saturating_sub(1) / 2).sum::<u64>();
    let (mut x, mut y, mut xy) = (HashMap::new(), HashMap::new(), HashMap::new());
    for (k, p) in a {
        let q = &b[k];
        *x.entry((p.clone(), String::new())).or_insert(0u64) += 1;
        *y.entry((q.clone(), String::new())).or_insert(0u64) += 1;
        *xy.entry((p.clone(), q.clone())).or_insert(0u64) += 1;
    }
    let (px, py, both) = (pairs(&x), pairs(&y), pairs(&xy));
    if px == 0 && py == 0 {
        return 1.0;
    }
    2.0 * both as f64 / (px + py) as f64
}

/// The true person of every record (the fixtures carry `true_person_id`, which Conduct never
/// reads).
fn truth(people: &Path) -> BTreeMap<String, String> {
    read_csv(people).into_iter().map(|r| (r["record_id"].clone(), r["true_person_id"].clone())).collect()
}

/// Each fixture in five batches, one after another: the final persons agree with a full link of
/// the whole file; the repeat victim's twenty reports are one person, as in a full link; no id
/// is ever reused for another person, and every id that disappears redirects to one that exists.
#[test]
fn small_exports_linked_batch_by_batch_agree_with_a_full_link() {
    for fixture in ["repeat-victim", "one-family", "father-son"] {
        let tmp = tempfile::tempdir().unwrap();
        let people = data(&format!("small/{fixture}/people.csv"));
        let batches = split(&people, 5, tmp.path());
        let ws = tmp.path().join("ws");
        let out = tmp.path().join("out");
        let mut seen: Vec<BTreeMap<String, String>> = Vec::new();
        for b in &batches {
            update(&ws, b, &out);
            seen.push(persons(&out));
        }
        let incremental = seen.last().unwrap().clone();
        assert_eq!(incremental.len(), truth(&people).len(), "{fixture}: every record has a person");
        let full_dir = tmp.path().join("full");
        ok(conduct().args(["link", "--people"]).arg(&people).arg("--out").arg(&full_dir));
        let full = persons(&full_dir);
        let f1 = pairwise_f1(&incremental, &full);
        eprintln!("{fixture}: incremental against full link, pairwise F1 {f1:.4}");
        assert!(f1 >= 0.99, "{fixture}: incremental persons agree with a full link (pairwise F1 {f1:.4})");
        let t = truth(&people);
        let (fi, ff) = (pairwise_f1(&incremental, &t), pairwise_f1(&full, &t));
        eprintln!("{fixture}: against the truth, incremental F1 {fi:.4}, full {ff:.4}");
        assert!(fi >= ff - 0.01, "{fixture}: incremental accuracy {fi:.4} within 0.01 of the full link's {ff:.4}");

        // Ids that last: an id seen in one batch and still there in the next holds some of the
        // same records; an id that disappears redirects to one that exists.
        for w in seen.windows(2) {
            let (before, after) = (&w[0], &w[1]);
            let mut of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
            for (r, p) in before {
                of.entry(p).or_default().insert(r);
            }
            let now: BTreeSet<&str> = after.values().map(String::as_str).collect();
            for (p, recs) in &of {
                if now.contains(p) {
                    assert!(recs.iter().any(|r| after[*r] == **p), "{fixture}: {p} now names none of its records");
                } else {
                    let h = ok(conduct().args(["history", "--json"]).arg(p).arg("--workspace").arg(&ws));
                    let v: serde_json::Value = serde_json::from_slice(&h.stdout).unwrap();
                    let current = v["current"].as_str().unwrap();
                    assert_ne!(current, *p, "{fixture}: {p} disappeared without a redirect");
                    assert!(now.contains(current), "{fixture}: {p} redirects to {current}, which exists");
                }
            }
        }
    }
}

/// The repeat victim of tests/data/small: twenty reports over five years, one person whatever
/// the batches, as in a full link.
#[test]
fn regression_a_repeat_victim_is_one_person_when_her_reports_arrive_in_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let people = data("small/repeat-victim/people.csv");
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    for b in split(&people, 10, tmp.path()) {
        update(&ws, &b, &out);
    }
    let p = persons(&out);
    let t = truth(&people);
    let hers: BTreeSet<&String> = t.iter().filter(|(_, v)| *v == "HARRIET").map(|(k, _)| &p[k]).collect();
    let full_dir = tmp.path().join("full");
    ok(conduct().args(["link", "--people"]).arg(&people).arg("--out").arg(&full_dir));
    let f = persons(&full_dir);
    let in_full: BTreeSet<&String> = t.iter().filter(|(_, v)| *v == "HARRIET").map(|(k, _)| &f[k]).collect();
    assert_eq!(hers.len(), in_full.len(), "as many persons for her as a full link finds ({hers:?} against {in_full:?})");
    assert_eq!(hers.len(), 1, "her reports are one person: {hers:?}");
}

/// A newer export changes a record: the record is re-linked with its new values, its old person
/// keeps its id with the records that stay, and the split is in the history.
#[test]
fn a_changed_record_is_relinked_and_the_split_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let header = "record_id,force,incident_ref,role,forename,surname,date_of_birth,postcode,phone\n";
    let first = tmp.path().join("b1.csv");
    std::fs::write(
        &first,
        format!(
            "{header}K1,Kent,K-1,victim,Joanna,Whitcombe,1984-11-02,CT1 2AB,07700900111\n\
             K2,Kent,K-2,victim,Joanna,Whitcombe,1984-11-02,CT1 2AB,07700900111\n\
             K3,Kent,K-3,victim,Joanna,Whitcombe,1984-11-02,CT1 2AB,07700900111\n\
             K4,Kent,K-3,suspect,Darren,Price,1979-04-09,ME4 5QQ,07700900222\n"
        ),
    )
    .unwrap();
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    update(&ws, &first, &out);
    let p1 = persons(&out);
    assert_eq!(p1["K1"], p1["K2"]);
    assert_eq!(p1["K1"], p1["K3"]);
    // K3 was keyed wrongly: it is someone else entirely.
    let second = tmp.path().join("b2.csv");
    std::fs::write(&second, format!("{header}K3,Kent,K-3,victim,Marcus,Oyelaran,1950-06-30,TN9 1XX,07700900999\n")).unwrap();
    let said = update(&ws, &second, &out);
    let text = String::from_utf8_lossy(&said.stderr);
    assert!(text.contains("0 new, 1 changed"), "{text}");
    let p2 = persons(&out);
    assert_eq!(p2["K1"], p1["K1"], "the person keeps its id");
    assert_eq!(p2["K2"], p1["K1"]);
    assert_ne!(p2["K3"], p1["K1"], "the changed record left her");
    assert_eq!(p2["K4"], p1["K4"], "an untouched person keeps its id");
    let h = ok(conduct().args(["history"]).arg(&p1["K1"]).arg("--workspace").arg(&ws));
    let h = String::from_utf8_lossy(&h.stdout);
    assert!(h.contains(&format!("{} split off {}", p2["K3"], p1["K1"])), "{h}");
    // The same batch again changes nothing.
    let again = update(&ws, &second, &out);
    assert!(String::from_utf8_lossy(&again.stderr).contains("0 new, 0 changed, 1 unchanged"));
    assert_eq!(persons(&out), p2);
}

/// Two persons that a new record shows to be one merge: the one with more records keeps its id,
/// the other redirects to it, and `conduct history` says why.
#[test]
fn a_bridging_record_merges_two_persons_and_the_old_id_redirects() {
    let tmp = tempfile::tempdir().unwrap();
    let header = "record_id,force,incident_ref,role,forename,surname,date_of_birth,postcode,phone,email\n";
    let first = tmp.path().join("b1.csv");
    // The same woman twice under her old address and phone, once under her new ones: nothing
    // links the third record to the first two but her name.
    std::fs::write(
        &first,
        format!(
            "{header}M1,Merseyside,M-1,victim,Aisling,Brennan-Keogh,,L20 8DX,07700900401,\n\
             M2,Merseyside,M-2,victim,Aisling,Brennan-Keogh,,L20 8DX,07700900401,\n\
             M3,Merseyside,M-3,victim,Aisling,Brennan-Keogh,1991-02-17,PR8 8BL,07700900777,aisling.bk@example.org\n"
        ),
    )
    .unwrap();
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    update(&ws, &first, &out);
    let p1 = persons(&out);
    if p1["M1"] == p1["M3"] {
        // The default model already joins them on the rare name: nothing to merge. The test
        // would assert nothing, so it says so and fails.
        panic!("the fixture no longer has two persons to merge: {p1:?}");
    }
    // A report that carries both her old phone and her date of birth and new e-mail.
    let second = tmp.path().join("b2.csv");
    std::fs::write(
        &second,
        format!("{header}M4,Merseyside,M-4,victim,Aisling,Brennan-Keogh,1991-02-17,L20 8DX,07700900401,aisling.bk@example.org\n"),
    )
    .unwrap();
    update(&ws, &second, &out);
    let p2 = persons(&out);
    assert_eq!(p2["M1"], p2["M3"], "one person now: {p2:?}");
    assert_eq!(p2["M1"], p2["M4"]);
    assert_eq!(p2["M1"], p1["M1"], "the person with more records keeps the id");
    let h = ok(conduct().args(["history"]).arg(&p1["M3"]).arg("--workspace").arg(&ws));
    let h = String::from_utf8_lossy(&h.stdout);
    assert!(h.contains(&format!("{} was merged into {}", p1["M3"], p1["M1"])), "{h}");
    assert!(h.contains("bits"), "the reason names the deciding comparisons: {h}");
}

/// A batch linked with another model is refused unless --retrain is given, and changes nothing;
/// so does a batch naming one record twice.
#[test]
fn a_batch_with_another_model_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let people = data("small/one-family/people.csv");
    let batches = split(&people, 2, tmp.path());
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    update(&ws, &batches[0], &out);
    let before = persons(&out);
    let model: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("model.json")).unwrap()).unwrap();
    let mut other = model.clone();
    other["threshold_weight"] = serde_json::json!(model["threshold_weight"].as_f64().unwrap() + 3.0);
    let other_path = tmp.path().join("other.json");
    std::fs::write(&other_path, serde_json::to_vec(&other).unwrap()).unwrap();
    let out2 = tmp.path().join("out2");
    // A threshold of its own for one batch is a usage error.
    let usage = run(conduct()
        .args(["link", "--update", "--threshold", "9", "--people"])
        .arg(&batches[1])
        .arg("--workspace")
        .arg(&ws)
        .arg("--out")
        .arg(&out2));
    assert_eq!(usage.status.code(), Some(2), "{}", String::from_utf8_lossy(&usage.stderr));
    let refused = run(conduct()
        .args(["link", "--update", "--people"])
        .arg(&batches[1])
        .arg("--workspace")
        .arg(&ws)
        .arg("--model")
        .arg(&other_path)
        .arg("--out")
        .arg(&out2));
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not the one in force"), "{}", String::from_utf8_lossy(&refused.stderr));
    // The model in force itself is accepted.
    let dup = tmp.path().join("dup.csv");
    let text = std::fs::read_to_string(&batches[1]).unwrap();
    let second_row = text.lines().nth(1).unwrap();
    std::fs::write(&dup, format!("{text}{second_row}\n")).unwrap();
    let refused = run(conduct().args(["link", "--update", "--people"]).arg(&dup).arg("--workspace").arg(&ws).arg("--out").arg(&out2));
    assert_ne!(refused.status.code(), Some(0), "a batch naming a record twice is not added");
    ok(conduct().args(["link", "--workspace"]).arg(&ws).args(["--retrain", "--out"]).arg(&out2));
    // Nothing was added by the refused batches: the population is the first batch's.
    assert_eq!(persons(&out2).keys().collect::<Vec<_>>(), before.keys().collect::<Vec<_>>());
    // With the model in force, the batch goes in.
    ok(conduct()
        .args(["link", "--update", "--people"])
        .arg(&batches[1])
        .arg("--workspace")
        .arg(&ws)
        .arg("--model")
        .arg(out2.join("model.json"))
        .arg("--out")
        .arg(&out2));
    assert_eq!(persons(&out2).len(), truth(&people).len());
}

/// Killing an update after its writes, before its commit, leaves the previous state; the same
/// batch then goes in whole.
#[test]
fn killing_an_update_before_its_commit_leaves_the_previous_state() {
    let tmp = tempfile::tempdir().unwrap();
    let people = data("small/repeat-victim/people.csv");
    let batches = split(&people, 2, tmp.path());
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    update(&ws, &batches[0], &out);
    let before = persons(&out);
    let mut child = conduct()
        .args(["link", "--update", "--people"])
        .arg(&batches[1])
        .arg("--workspace")
        .arg(&ws)
        .arg("--out")
        .arg(tmp.path().join("killed"))
        .env("CONDUCT_FAILPOINT_UPDATE_STALL", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let stalled = stderr.lines().any(|l| l.unwrap().contains("failpoint: update stalled"));
    assert!(stalled, "the update reached the failpoint before its commit");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut s = crate::util::store(&ws);
    s.integrity_check().unwrap();
    drop(s);
    assert_eq!(
        crate::util::column(&ws, "SELECT count(*) FROM population_records"),
        [before.len().to_string()],
        "the killed update left no record"
    );
    assert_eq!(crate::util::column(&ws, "SELECT count(*) FROM people"), [before.len().to_string()], "nor any people row");
    ok(conduct().args(["link", "--workspace"]).arg(&ws).arg("--verify"));
    update(&ws, &batches[1], &out);
    let after = persons(&out);
    assert_eq!(after.len(), truth(&people).len());
    for (r, p) in &before {
        assert!(after.contains_key(r), "{r} kept");
        let _ = p;
    }
}

/// `--verify` reports the agreement with a full re-link and changes nothing.
#[test]
fn verify_reports_agreement_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let people = data("small/father-son/people.csv");
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    for b in split(&people, 3, tmp.path()) {
        update(&ws, &b, &out);
    }
    let before = crate::util::column(&ws, "SELECT rec || ':' || person FROM population_records");
    let v = ok(conduct().args(["link", "--workspace"]).arg(&ws).args(["--verify", "--json"]));
    let v: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(v["records"].as_u64().unwrap() as usize, truth(&people).len());
    let f1 = v["agreement"]["f1"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&f1));
    assert!(f1 >= 0.99, "father-son: incremental against full re-link F1 {f1}");
    assert_eq!(crate::util::column(&ws, "SELECT rec || ':' || person FROM population_records"), before);
    // Unknown ids are refused clearly.
    let h = run(conduct().args(["history", "P9999999", "--workspace"]).arg(&ws));
    assert_eq!(h.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&h.stderr).contains("no person P9999999"));
}

/// `conduct ingest` into a workspace that holds a linked population adds the export's people to
/// it in the import's transaction; the same export again changes nothing.
#[test]
fn ingest_into_a_linked_workspace_adds_its_people_to_the_population() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    update(&ws, &data("small/repeat-victim/people.csv"), &out);
    let linked = persons(&out);
    let reports = tmp.path().join("r");
    let said = ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(&reports));
    let text = String::from_utf8_lossy(&said.stderr);
    assert!(text.contains("linked population: batch 2"), "{text}");
    let people = crate::util::column(&ws, "SELECT count(*) FROM people");
    assert_eq!(crate::util::column(&ws, "SELECT count(*) FROM population_records"), people, "every people row is in the population");
    assert!(reports.join("summary.json").exists());
    let again = ok(conduct().arg("ingest").arg(data("good")).arg("--workspace").arg(&ws).arg("--report-dir").arg(&reports));
    let text = String::from_utf8_lossy(&again.stderr);
    assert!(text.contains("0 people rows new, 0 changed"), "{text}");
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing changed"));
    // The persons linked before keep their ids.
    let all = tmp.path().join("all");
    ok(conduct()
        .args(["link", "--workspace"])
        .arg(&ws)
        .args(["--update", "--people"])
        .arg(data("small/repeat-victim/people.csv"))
        .arg("--out")
        .arg(&all));
    let now = persons(&all);
    for (r, p) in &linked {
        assert_eq!(&now[r], p, "{r} kept its person");
    }
}

/// One population on both dialects: the same batches, a changed row and a withdrawal, added to
/// an SQLite store and to a PostgreSQL one, give the same persons and the same history.
#[test]
fn the_same_batches_give_the_same_persons_on_sqlite_and_postgres() {
    use conduct_store::db::Url;
    let tmp = tempfile::tempdir().unwrap();
    let Some(pg) = crate::serve::pg_database("population") else { return };
    let people = data("small/one-family/people.csv");
    let batches = split(&people, 4, tmp.path());
    let mut results = Vec::new();
    for url in [Url::Sqlite(tmp.path().join("conduct.db")), Url::Postgres(pg.url.clone())] {
        let mut store = conduct_store::Store::open_url(&url).unwrap();
        let mut events = 0;
        for b in &batches {
            let file = conduct_ingest::read_people_files(std::slice::from_ref(b)).unwrap();
            let options = conduct_population::Options { link: conduct_pipeline::Options::default().link, ..Default::default() };
            let r = conduct_population::update(&mut store, &file.rows, conduct_ingest::Summary { files: file.summaries }, &options)
                .unwrap_or_else(|e| panic!("{url:?}: {e}"));
            events += r.merges + r.splits + r.moves;
        }
        // Then a changed row and a withdrawal: their old keys deleted on either dialect.
        let rows = conduct_ingest::read_people_files(std::slice::from_ref(&people)).unwrap().rows;
        let mut changed = rows[2].clone();
        changed.address = "9 Changed Row".into();
        let withdrawn = vec![(rows[5].force, rows[5].record_id.to_string())];
        let options = conduct_population::Options { link: conduct_pipeline::Options::default().link, withdrawn, ..Default::default() };
        let r = conduct_population::update(&mut store, &[changed], conduct_ingest::Summary::default(), &options)
            .unwrap_or_else(|e| panic!("{url:?}: {e}"));
        assert_eq!((r.changed, r.withdrawn), (1, 1), "{url:?}");
        events += r.merges + r.splits + r.moves;
        let out = tmp.path().join(format!("persons-{}.csv", results.len()));
        conduct_population::write_persons(&mut store, &out).unwrap();
        let v = conduct_population::verify(&mut store, &conduct_pipeline::Options::default().link).unwrap();
        results.push((std::fs::read_to_string(&out).unwrap(), events, v.agreement.f1));
    }
    assert_eq!(results[0], results[1], "SQLite and PostgreSQL agree");
}

/// An import that would leave the population's index behind (the dashboard's, or any direct use
/// of the store) is refused with a reason, and changes nothing.
#[test]
fn a_plain_import_into_a_linked_workspace_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    update(&ws, &data("small/ten-rows/people.csv"), &tmp.path().join("out"));
    let before = crate::util::column(&ws, "SELECT count(*) FROM people");
    let mut store = crate::util::store(&ws);
    let (export, summary) = conduct_ingest::Ingest::new().read_whole(&conduct_ingest::Inputs::in_folder(&data("good")).unwrap()).unwrap();
    let e = store.import_records(&export, summary).unwrap_err();
    assert!(matches!(e.kind(), conduct_store::ErrorKind::PopulationHeld), "{e}");
    assert!(e.to_string().contains("conduct ingest"), "{e}");
    drop(store);
    assert_eq!(crate::util::column(&ws, "SELECT count(*) FROM people"), before);
}

/// A force withdraws records: the record that bridged two sets of a woman's reports is
/// withdrawn, so they part again (the larger keeps the id); a person whose only record is
/// withdrawn is retired; the people rows go, and the history says so.
#[test]
fn withdrawn_records_leave_the_population_and_their_persons_are_reclustered() {
    let tmp = tempfile::tempdir().unwrap();
    let header = "record_id,force,incident_ref,role,forename,surname,date_of_birth,postcode,phone,email\n";
    let batch = tmp.path().join("b1.csv");
    std::fs::write(
        &batch,
        format!(
            "{header}M1,Merseyside,M-1,victim,Aisling,Brennan-Keogh,,L20 8DX,07700900401,\n\
             M2,Merseyside,M-2,victim,Aisling,Brennan-Keogh,,L20 8DX,07700900401,\n\
             M3,Merseyside,M-3,victim,Aisling,Brennan-Keogh,1991-02-17,PR8 8BL,07700900777,aisling.bk@example.org\n\
             M4,Merseyside,M-4,victim,Aisling,Brennan-Keogh,1991-02-17,L20 8DX,07700900401,aisling.bk@example.org\n\
             M5,Merseyside,M-4,suspect,Terence,Oduya,1979-08-30,L4 0TH,07700900555,\n"
        ),
    )
    .unwrap();
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    update(&ws, &batch, &out);
    let p1 = persons(&out);
    assert_eq!(p1["M1"], p1["M3"], "one person while the bridge stands: {p1:?}");
    let withdrawn = tmp.path().join("withdrawn.csv");
    std::fs::write(&withdrawn, "force,record_id\nMerseyside,M4\nMerseyside,M5\nMerseyside,NOT-HELD\n").unwrap();
    let said = ok(conduct().args(["link", "--update", "--withdrawn"]).arg(&withdrawn).arg("--workspace").arg(&ws).arg("--out").arg(&out));
    let text = String::from_utf8_lossy(&said.stderr);
    assert!(text.contains("2 withdrawn (1 named but not held)"), "{text}");
    let p2 = persons(&out);
    assert!(!p2.contains_key("M4") && !p2.contains_key("M5"), "withdrawn records leave persons.csv: {p2:?}");
    assert_ne!(p2["M1"], p2["M3"], "without the bridge the two sets part: {p2:?}");
    assert_eq!(p2["M1"], p1["M1"], "the larger part keeps the id");
    assert_eq!(p2["M1"], p2["M2"]);
    assert_eq!(crate::util::column(&ws, "SELECT count(*) FROM people"), ["3"], "the people rows go too");
    let h = String::from_utf8_lossy(&ok(conduct().arg("history").arg(&p1["M1"]).arg("--workspace").arg(&ws)).stdout).to_string();
    assert!(h.contains(&format!("records of {} withdrawn", p1["M1"])), "{h}");
    assert!(h.contains(&format!("{} split off {}", p2["M3"], p1["M1"])), "{h}");
    let h = String::from_utf8_lossy(&ok(conduct().arg("history").arg(&p1["M5"]).arg("--workspace").arg(&ws)).stdout).to_string();
    assert!(h.contains("every record was withdrawn; the id is retired"), "{h}");
    // A record both in a batch and withdrawn is refused, and nothing changes.
    let refused = run(conduct()
        .args(["link", "--update", "--people"])
        .arg(&batch)
        .arg("--withdrawn")
        .arg(&withdrawn)
        .arg("--workspace")
        .arg(&ws)
        .arg("--out")
        .arg(tmp.path().join("o2")));
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("both in the batch and withdrawn"));
    assert_eq!(crate::util::column(&ws, "SELECT count(*) FROM people"), ["3"]);
}

/// Rows of a batch that the reader sets aside are not added and not lost: rejects.csv lists each
/// with its reason, and the good rows go in.
#[test]
fn rejected_rows_of_a_batch_are_listed_with_their_reasons() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("b.csv");
    std::fs::write(
        &batch,
        "record_id,force,incident_ref,role,forename,surname,date_of_birth\n\
         K1,Kent,K-1,victim,Joanna,Whitcombe,1984-11-02\n\
         K2,Atlantis,K-2,victim,Joanna,Whitcombe,1984-11-02\n",
    )
    .unwrap();
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    let said = update(&ws, &batch, &out);
    assert!(String::from_utf8_lossy(&said.stderr).contains("1 rejected and not added"));
    assert_eq!(persons(&out).keys().collect::<Vec<_>>(), ["K1"]);
    let rejects = read_csv(&out.join("rejects.csv"));
    assert_eq!(rejects.len(), 1, "{rejects:?}");
    assert_eq!(rejects[0]["line"], "3");
    assert!(rejects[0]["reason"].to_lowercase().contains("force"), "{rejects:?}");
}

/// Writes an export folder: incidents (harassment reports of Merseyside, each `ref,date`) and
/// people rows (already with their header).
fn export_folder(dir: &Path, reports: &[(&str, &str)], people: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let mut incidents = String::from(
        "force,incident_ref,recorded_date,occurred_date,offence_code,offence_description,domestic_abuse,cyber,linked_refs,outcome_type,outcome_date,narrative\n",
    );
    for (r, d) in reports {
        incidents.push_str(&format!("Merseyside,{r},{d},{d},8L,Harassment,N,N,,,,\n"));
    }
    std::fs::write(dir.join("incidents.csv"), incidents).unwrap();
    std::fs::write(dir.join("people.csv"), people).unwrap();
}

/// The people header of the hand-written exports below.
const PEOPLE_HEADER: &str = "record_id,force,incident_ref,role,forename,surname,date_of_birth,postcode,phone,email\n";

/// The woman of `a_bridging_record_merges_two_persons_and_the_old_id_redirects`: three
/// harassment reports of hers with no suspect named (two under her old address and phone, one
/// under her new ones, nothing but her name linking them), and another woman's report.
fn two_women(dir: &Path) {
    export_folder(
        dir,
        &[("M-1", "2024-01-05"), ("M-2", "2024-02-09"), ("M-3", "2024-03-14"), ("M-5", "2024-03-20")],
        &format!(
            "{PEOPLE_HEADER}M1,Merseyside,M-1,victim,Aisling,Brennan-Keogh,,L20 8DX,07700900401,\n\
             M2,Merseyside,M-2,victim,Aisling,Brennan-Keogh,,L20 8DX,07700900401,\n\
             M3,Merseyside,M-3,victim,Aisling,Brennan-Keogh,1991-02-17,PR8 8BL,07700900777,aisling.bk@example.org\n\
             O1,Merseyside,M-5,victim,Olumide,Adeyemi,1979-10-02,L8 1XY,07700900555,\n"
        ),
    );
}

/// [`two_women`] as export `e1` in `tmp`, linked into the population of workspace `ws` by
/// `conduct link --update` and published: (the export, the workspace).
fn two_women_linked_and_published(tmp: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (first, ws) = (tmp.join("e1"), tmp.join("ws"));
    two_women(&first);
    update(&ws, &first.join("people.csv"), &tmp.join("out1"));
    ok(conduct().arg("publish").arg(&first).arg("--workspace").arg(&ws));
    (first, ws)
}

/// Her next report, carrying both her old phone and her date of birth and new e-mail: it bridges
/// the two persons of [`two_women`].
fn her_bridging_report(dir: &Path) {
    export_folder(
        dir,
        &[("M-4", "2024-04-20")],
        &format!("{PEOPLE_HEADER}M4,Merseyside,M-4,victim,Aisling,Brennan-Keogh,1991-02-17,L20 8DX,07700900401,aisling.bk@example.org\n"),
    );
}

/// A report by someone never seen before, in a later export.
fn a_new_victim(dir: &Path) {
    export_folder(
        dir,
        &[("M-6", "2024-05-02")],
        &format!("{PEOPLE_HEADER}N1,Merseyside,M-6,victim,Nkechi,Obi,1990-12-12,L1 2AB,07700900123,\n"),
    );
}

/// The dashboard's published person of each record, as `record_id=person_id`.
fn published_persons(ws: &Path) -> BTreeMap<String, String> {
    crate::util::column(ws, "SELECT record_id || '=' || person_id FROM records")
        .into_iter()
        .filter_map(|l| l.split_once('=').map(|(r, p)| (r.to_string(), p.to_string())))
        .collect()
}

/// A workspace holding a linked population is published with the population's persons under
/// its ids (before, the publication refused to import into it: "this store holds a population
/// linked incrementally"); a later export that bridges two persons merges them in the
/// population and on the dashboard alike, the retired id leading to the survivor, and the
/// merge in the dashboard's history with its deciding comparisons.
#[test]
fn publishing_a_linked_workspace_shows_the_populations_persons_under_their_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("e1");
    two_women(&first);
    let ws = tmp.path().join("ws");
    let out = tmp.path().join("out");
    update(&ws, &first.join("people.csv"), &out);
    let linked = persons(&out);
    if linked["M1"] == linked["M3"] {
        panic!("the fixture no longer has two persons to merge: {linked:?}");
    }
    ok(conduct().arg("publish").arg(&first).arg("--workspace").arg(&ws));
    assert_eq!(published_persons(&ws), linked, "the dashboard shows the population's persons under its ids");
    assert_eq!(crate::util::column(&ws, "SELECT value FROM meta WHERE key = 'persons_from'"), ["population"]);

    let second = tmp.path().join("e2");
    her_bridging_report(&second);
    let said = ok(conduct().arg("publish").arg(&second).arg("--workspace").arg(&ws));
    let stages = String::from_utf8_lossy(&said.stdout).into_owned() + &String::from_utf8_lossy(&said.stderr);
    assert!(stages.contains("update"), "the export went through the population's update: {stages}");
    let now = published_persons(&ws);
    let survivor = &linked["M1"];
    for r in ["M1", "M2", "M3", "M4"] {
        assert_eq!(&now[r], survivor, "{r} is one person now, under the id of the part with more records: {now:?}");
    }
    assert_eq!(now["O1"], linked["O1"], "a person untouched keeps the id");
    // The dashboard's persons are the population's, record for record.
    let population = crate::util::column(&ws, "SELECT record_id || '=' || printf('P%07d', person) FROM population_records");
    let dashboard: Vec<String> = now.iter().map(|(r, p)| format!("{r}={p}")).collect();
    assert_eq!(dashboard, population);
    // The retired id leads to the survivor, and the merge is in the history with its reason.
    let retired = &linked["M3"];
    assert_eq!(
        crate::util::column(&ws, &format!("SELECT current_id FROM id_successors WHERE old_id = '{retired}'")),
        std::slice::from_ref(survivor)
    );
    let merges = crate::util::column(
        &ws,
        &format!("SELECT kind || ' ' || id || ' ' || other_id || ' ' || reason FROM id_events WHERE other_id = '{retired}'"),
    );
    assert_eq!(merges.len(), 1, "{merges:?}");
    assert!(merges[0].starts_with(&format!("merge {survivor} {retired} ")), "{merges:?}");
    assert!(merges[0].contains("bits"), "the reason names the deciding comparisons: {merges:?}");
    // One course of her four reports, under the one victim.
    assert_eq!(crate::util::column(&ws, "SELECT victim || ' ' || reports FROM courses"), [format!("{survivor} 4")]);
}

/// A people row changed by `conduct link --update` between two publications (imported, not
/// published) is published changed by the next publication, though that one's own export does
/// not hold it: a publication compares the records by their keys only when nothing was imported
/// since the publication it replaces, and here something was, so it compares every column.
#[test]
fn a_row_changed_between_two_publications_is_published_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, ws) = two_women_linked_and_published(tmp.path());
    let surname = |ws: &Path| crate::util::column(ws, "SELECT surname FROM records WHERE record_id = 'O1'");
    assert_eq!(surname(&ws), ["Adeyemi"]);
    // Her surname corrected by an update of the population alone.
    let changed = tmp.path().join("changed.csv");
    std::fs::write(&changed, format!("{PEOPLE_HEADER}O1,Merseyside,M-5,victim,Olumide,Adeyemi-Grant,1979-10-02,L8 1XY,07700900555,\n"))
        .unwrap();
    update(&ws, &changed, &tmp.path().join("out2"));
    // Another export, about somebody else, published through the population.
    let second = tmp.path().join("e2");
    a_new_victim(&second);
    ok(conduct().arg("publish").arg(&second).arg("--workspace").arg(&ws));
    assert_eq!(surname(&ws), ["Adeyemi-Grant"], "the row changed between the publications is published changed");
    // And the next export is compared by keys again, the correction standing.
    let third = tmp.path().join("e3");
    her_bridging_report(&third);
    ok(conduct().arg("publish").arg(&third).arg("--workspace").arg(&ws));
    assert_eq!(surname(&ws), ["Adeyemi-Grant"]);
    assert_eq!(crate::util::column(&ws, "SELECT count(*) FROM records"), ["6"]);
}

/// A publication keeps SQLite's statement journals in memory (its commit wrote a third of its
/// pages to them in a file) and gives the connection back as it found it, so a served page's
/// large sort still spills to a file.
#[test]
fn a_publication_gives_back_the_connections_temporary_storage() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, ws) = two_women_linked_and_published(tmp.path());
    let second = tmp.path().join("e2");
    a_new_victim(&second);
    let staged = conduct_server::dataset::stage_copy(&ws, &conduct_ingest::Inputs::in_folder(&second).unwrap()).unwrap();
    let mut c = conduct_server::db::Conn::open(&conduct_server::db::Url::Sqlite(ws.join(conduct_store::DATABASE_FILE))).unwrap();
    let temp_store = |c: &mut conduct_server::db::Conn| c.query_one("PRAGMA temp_store", &[]).unwrap().unwrap()[0].int().unwrap();
    c.batch("PRAGMA temp_store = FILE").unwrap();
    assert_eq!(temp_store(&mut c), 1);
    conduct_server::dataset::publish(&mut c, &ws, &[staged]).unwrap();
    assert_eq!(temp_store(&mut c), 1, "as it was before the publication");
    assert_eq!(crate::util::column(&ws, "SELECT count(*) FROM exports"), ["2"]);
}

/// A report sent again with an outcome is published with it: a publication through the
/// population compares the incidents by their keys, and the reports its export imported whole.
/// And a report changed by an import that no publication followed (`conduct ingest`) is
/// published changed by the next one, which then compares every incident.
#[test]
fn an_incident_changed_by_an_export_is_published_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, ws) = two_women_linked_and_published(tmp.path());
    let outcome = |ws: &Path, r: &str| {
        crate::util::column(
            ws,
            &format!(
                "SELECT coalesce(CAST(outcome_type AS TEXT), '-') || ' ' || coalesce(narrative, '-') FROM published_incidents WHERE incident_ref = '{r}'"
            ),
        )
    };
    assert_eq!(outcome(&ws, "M-2"), ["- -"]);
    // Her second report sent again: she withdrew her support.
    let again = tmp.path().join("e2");
    std::fs::create_dir_all(&again).unwrap();
    let incidents = std::fs::read_to_string(first.join("incidents.csv")).unwrap();
    let header = incidents.lines().next().unwrap();
    std::fs::write(
        again.join("incidents.csv"),
        format!("{header}\nMerseyside,M-2,2024-02-09,2024-02-09,8L,Harassment,N,N,,16,2024-04-01,Victim withdrew\n"),
    )
    .unwrap();
    let people = std::fs::read_to_string(first.join("people.csv")).unwrap();
    let hers: String = people.lines().filter(|l| l.starts_with("record_id") || l.contains(",M-2,")).map(|l| format!("{l}\n")).collect();
    std::fs::write(again.join("people.csv"), hers).unwrap();
    ok(conduct().arg("publish").arg(&again).arg("--workspace").arg(&ws));
    assert_eq!(outcome(&ws, "M-2"), ["16 Victim withdrew"], "the report sent again is published with its outcome");
    assert_eq!(outcome(&ws, "M-1"), ["- -"]);
    // Her first report corrected by an import alone, then another export published.
    let corrected = tmp.path().join("e3");
    std::fs::create_dir_all(&corrected).unwrap();
    std::fs::write(
        corrected.join("incidents.csv"),
        format!("{header}\nMerseyside,M-1,2024-01-05,2024-01-05,8L,Harassment,N,N,,14,2024-04-02,Declined\n"),
    )
    .unwrap();
    ok(conduct().arg("ingest").arg("--incidents").arg(corrected.join("incidents.csv")).arg("--workspace").arg(&ws));
    let fourth = tmp.path().join("e4");
    a_new_victim(&fourth);
    ok(conduct().arg("publish").arg(&fourth).arg("--workspace").arg(&ws));
    assert_eq!(outcome(&ws, "M-1"), ["14 Declined"], "the report changed between the publications is published changed");
    assert_eq!(outcome(&ws, "M-2"), ["16 Victim withdrew"]);
    assert_eq!(crate::util::column(&ws, "SELECT count(*) FROM published_incidents"), ["5"]);
}

/// A dashboard that published persons of its own linkage before its store came to hold a
/// population keeps its own ids: the population numbers its persons afresh, so adopting its
/// ids then would hand an id the dashboard had shown (or retired) to somebody else.
#[test]
fn a_dashboard_published_before_its_population_keeps_its_own_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let header = PEOPLE_HEADER;
    let aisling_new = "Aisling,Brennan-Keogh,1991-02-17";
    // Aisling twice as two persons (old phone; new phone, e-mail and date of birth), and Olu.
    let first = tmp.path().join("e1");
    export_folder(
        &first,
        &[("M-1", "2024-01-05"), ("M-3", "2024-03-14"), ("M-5", "2024-03-20")],
        &format!(
            "{header}M1,Merseyside,M-1,victim,Aisling,Brennan-Keogh,,L20 8DX,07700900401,\n\
             M6,Merseyside,M-3,victim,{aisling_new},PR8 8BL,07700900777,aisling.bk@example.org\n\
             O1,Merseyside,M-5,victim,Olumide,Adeyemi,1979-10-02,L8 1XY,07700900555,\n"
        ),
    );
    let ws = tmp.path().join("ws");
    ok(conduct().arg("publish").arg(&first).arg("--workspace").arg(&ws));
    let before = published_persons(&ws);
    if before["M1"] == before["M6"] {
        panic!("the fixture no longer has two persons to merge: {before:?}");
    }
    // The bridging report merges them on the dashboard: one of their two ids is retired.
    let second = tmp.path().join("e2");
    export_folder(
        &second,
        &[("M-4", "2024-04-20")],
        &format!("{header}M4,Merseyside,M-4,victim,{aisling_new},L20 8DX,07700900401,aisling.bk@example.org\n"),
    );
    ok(conduct().arg("publish").arg(&second).arg("--workspace").arg(&ws));
    let shown = published_persons(&ws);
    assert_eq!(shown["M1"], shown["M6"], "{shown:?}");
    let retired = if shown["M1"] == before["M1"] { &before["M6"] } else { &before["M1"] };
    assert_eq!(crate::util::column(&ws, "SELECT value FROM meta WHERE key = 'persons_from'"), ["linkage"]);
    // The population is made afterwards, over everything the store holds, numbered afresh (by
    // the records' ranks, in which M6's record comes first of them all).
    let out = tmp.path().join("out");
    update(&ws, &first.join("people.csv"), &out);
    let linked = persons(&out);
    assert!(
        ["M1", "M6", "M4", "O1"].iter().any(|r| shown[*r] != linked[*r]),
        "the two numberings must differ, or the test asserts nothing: {shown:?} {linked:?}"
    );
    // A third export, published into the store that now holds the population.
    let third = tmp.path().join("e3");
    a_new_victim(&third);
    let said = ok(conduct().arg("publish").arg(&third).arg("--workspace").arg(&ws));
    assert!(String::from_utf8_lossy(&said.stderr).contains("update"), "it went through the population's update");
    let now = published_persons(&ws);
    for r in ["M1", "M6", "M4", "O1"] {
        assert_eq!(now[r], shown[r], "{r} keeps the id the dashboard showed");
    }
    let fresh = &now["N1"];
    assert!(!shown.values().any(|id| id == fresh) && fresh != retired, "the new person has an id never shown: {now:?}");
    assert_eq!(crate::util::column(&ws, "SELECT value FROM meta WHERE key = 'persons_from'"), ["linkage"]);
    assert_eq!(
        crate::util::column(&ws, &format!("SELECT current_id FROM id_successors WHERE old_id = '{retired}'")),
        std::slice::from_ref(&shown["M1"]),
        "the retired id still leads to the survivor"
    );
}

/// A people row held but missing from the population (the index and the records disagree)
/// refuses the publication with a way out, rather than publishing the row under no person or a
/// person made up for it; the publication before stands.
#[test]
fn a_people_row_missing_from_the_population_refuses_the_publication() {
    let tmp = tempfile::tempdir().unwrap();
    let header = PEOPLE_HEADER;
    let first = tmp.path().join("e1");
    export_folder(
        &first,
        &[("M-1", "2024-01-05"), ("M-5", "2024-03-20")],
        &format!(
            "{header}M1,Merseyside,M-1,victim,Aisling,Brennan-Keogh,,L20 8DX,07700900401,\n\
             O1,Merseyside,M-5,victim,Olumide,Adeyemi,1979-10-02,L8 1XY,07700900555,\n"
        ),
    );
    let ws = tmp.path().join("ws");
    update(&ws, &first.join("people.csv"), &tmp.path().join("out"));
    ok(conduct().arg("publish").arg(&first).arg("--workspace").arg(&ws));
    let published = crate::util::column(&ws, "SELECT value FROM meta WHERE key = 'publication'");
    crate::util::store(&ws).sqlite().unwrap().execute("DELETE FROM population_records WHERE record_id = 'M1'", []).unwrap();
    let second = tmp.path().join("e2");
    a_new_victim(&second);
    let out = run(conduct().arg("publish").arg(&second).arg("--workspace").arg(&ws));
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("not in its linked population") && said.contains("--verify"), "{said}");
    assert!(!said.contains("Aisling") && !said.contains("M1"), "no identifier in the message: {said}");
    assert_eq!(crate::util::column(&ws, "SELECT value FROM meta WHERE key = 'publication'"), published, "the publication before stands");
}

/// The same on PostgreSQL: a population linked in a PostgreSQL store (`conduct link --update
/// --database postgres://…`) is published by `conduct publish --database postgres://…` with its
/// persons under its ids, and a bridging export merges two of them on both sides.
#[test]
fn publishing_a_linked_population_on_postgres_shows_its_persons_under_their_ids() {
    use conduct_store::db::{Conn, Url};
    let Some(pg) = crate::serve::pg_database("population_publish") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("e1");
    two_women(&first);
    // The population is made in the dashboard's database from the command line.
    let out = tmp.path().join("linked");
    ok(conduct()
        .args(["link", "--update", "--people"])
        .arg(first.join("people.csv"))
        .arg("--database")
        .arg(&pg.url)
        .arg("--out")
        .arg(&out));
    let linked: BTreeMap<String, String> =
        read_csv(&out.join("persons.csv")).into_iter().map(|r| (r["record_id"].clone(), r["person_id"].clone())).collect();
    if linked["M1"] == linked["M3"] {
        panic!("the fixture no longer has two persons to merge: {linked:?}");
    }
    let data_dir = tmp.path().join("data");
    let publish = |export: &Path| ok(conduct().arg("publish").arg(export).arg("--database").arg(&pg.url).arg("--data").arg(&data_dir));
    let published = || -> BTreeMap<String, String> {
        let mut c = Conn::open(&Url::Postgres(pg.url.clone())).unwrap();
        c.query("SELECT record_id, person_id FROM records", &[]).unwrap().iter().map(|r| (r[0].text(), r[1].text())).collect()
    };
    publish(&first);
    assert_eq!(published(), linked, "the dashboard shows the population's persons under its ids");
    let second = tmp.path().join("e2");
    her_bridging_report(&second);
    publish(&second);
    let now = published();
    for r in ["M1", "M2", "M3", "M4"] {
        assert_eq!(now[r], linked["M1"], "{r}: {now:?}");
    }
    assert_eq!(now["O1"], linked["O1"]);
    let mut c = Conn::open(&Url::Postgres(pg.url.clone())).unwrap();
    let successor = c.query("SELECT current_id FROM id_successors WHERE old_id = ?", &[linked["M3"].as_str().into()]).unwrap();
    assert_eq!(successor.iter().map(|r| r[0].text()).collect::<Vec<_>>(), [linked["M1"].clone()]);
    let merges = c.query("SELECT kind, reason FROM id_events WHERE other_id = ?", &[linked["M3"].as_str().into()]).unwrap();
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0][0].text(), "merge");
    assert!(merges[0][1].text().contains("bits"), "{}", merges[0][1].text());
    // `conduct history --database` reads the same history.
    let h = ok(conduct().arg("history").arg(&linked["M3"]).arg("--database").arg(&pg.url));
    let h = String::from_utf8_lossy(&h.stdout);
    assert!(h.contains(&format!("{} was merged into {}", linked["M3"], linked["M1"])), "{h}");
}

/// `--database` names the store instead of `--workspace`: an SQLite file given so holds the
/// same population, ids and history as the workspace whose database it is. Without --update,
/// --verify or --retrain the option is a mistake (exit 2), and so is giving both.
#[test]
fn link_update_takes_the_population_from_a_database_as_from_a_workspace() {
    let tmp = tempfile::tempdir().unwrap();
    let (first, second) = (tmp.path().join("e1"), tmp.path().join("e2"));
    two_women(&first);
    her_bridging_report(&second);
    let ws = tmp.path().join("ws");
    let db = ws.join(conduct_store::DATABASE_FILE);
    let by_workspace = tmp.path().join("w");
    update(&ws, &first.join("people.csv"), &by_workspace);
    let by_database = tmp.path().join("d");
    let link = |people: &Path, out: &Path| {
        ok(conduct().args(["link", "--update", "--people"]).arg(people).arg("--database").arg(&db).arg("--out").arg(out))
    };
    link(&second.join("people.csv"), &by_database);
    let p1 = persons(&by_workspace);
    let p2 = persons(&by_database);
    assert_ne!(p1["M1"], p1["M3"], "the fixture has two persons to merge: {p1:?}");
    assert_eq!(p2["M3"], p1["M1"], "the batch through --database joined the workspace's population: {p2:?}");
    let h = ok(conduct().arg("history").arg(&p1["M3"]).arg("--database").arg(&db));
    let h = String::from_utf8_lossy(&h.stdout);
    assert!(h.contains(&format!("{} was merged into {}", p1["M3"], p1["M1"])), "{h}");
    let verify = ok(conduct().args(["link", "--verify", "--database"]).arg(&db));
    assert!(String::from_utf8_lossy(&verify.stderr).contains("pairwise agreement"));

    let usage = |args: &[&std::ffi::OsStr]| {
        let o = run(conduct().args(args));
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        err
    };
    let people = first.join("people.csv");
    let err = usage(&[
        "link".as_ref(),
        "--people".as_ref(),
        people.as_os_str(),
        "--out".as_ref(),
        "o".as_ref(),
        "--database".as_ref(),
        db.as_os_str(),
    ]);
    assert!(err.contains("--database is for --update"), "{err}");
    let err = usage(&[
        "link".as_ref(),
        "--update".as_ref(),
        "--people".as_ref(),
        people.as_os_str(),
        "--out".as_ref(),
        "o".as_ref(),
        "--database".as_ref(),
        db.as_os_str(),
        "--workspace".as_ref(),
        ws.as_os_str(),
    ]);
    assert!(err.contains("cannot be used with"), "{err}");
    let err = usage(&["link".as_ref(), "--update".as_ref(), "--people".as_ref(), people.as_os_str(), "--out".as_ref(), "o".as_ref()]);
    assert!(err.contains("--workspace <DIR>|--database <URL>"), "{err}");
    // A database that cannot be reached is named, without its password (nothing listens on
    // port 1).
    let o = run(conduct().args(["history", "P0000001", "--database", "postgres://analyst:s3cret-pw@127.0.0.1:1/conduct"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("opening the database") && err.contains("127.0.0.1:1/conduct"), "{err}");
    assert!(!err.contains("s3cret-pw"), "the password is not printed: {err}");
}

/// One export a force sends, for [`publications_keep_ids_through_any_sequence_of_exports`].
#[derive(Clone, Debug)]
enum Sent {
    /// The next reports not sent yet (this many, or the rest), with their people rows.
    New(usize),
    /// An export sent before, sent again with what is held now: nothing changes.
    Again(usize),
    /// A report sent again with one of its people given another held record's surname.
    Change(usize, usize),
    /// A report sent again with one of its people given another held record's name, date of
    /// birth, postcode and phone: the two persons are bridged.
    Bridge(usize, usize),
    /// A report sent before, sent again with an outcome (the victim withdrew) and a longer
    /// narrative.
    Outcome(usize),
}

/// A fixture's reports and people rows, as CSV records with their header.
struct Fixture {
    incidents: (csv::StringRecord, Vec<csv::StringRecord>),
    people: (csv::StringRecord, Vec<csv::StringRecord>),
}

fn fixture_rows(name: &str) -> Fixture {
    let read = |file: &str| {
        let mut r = csv::Reader::from_path(data(&format!("small/{name}/{file}"))).unwrap();
        (r.headers().unwrap().clone(), r.records().map(Result::unwrap).collect::<Vec<_>>())
    };
    Fixture { incidents: read("incidents.csv"), people: read("people.csv") }
}

fn write_rows(path: &Path, header: &csv::StringRecord, rows: &[&csv::StringRecord]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(header).unwrap();
    for r in rows {
        w.write_record(*r).unwrap();
    }
    w.flush().unwrap();
}

/// What a publication shows: each record's person, each person's record count, each course's
/// reports, and where retired ids lead.
#[derive(Debug, PartialEq)]
struct Shown {
    records: BTreeMap<String, String>,
    persons: BTreeMap<String, String>,
    courses: BTreeMap<String, BTreeSet<String>>,
    successors: BTreeMap<String, String>,
}

/// A store the publication tests read: a workspace, or the dashboard's PostgreSQL database.
trait Queried {
    /// One column of a query's rows, sorted, as text.
    fn column(&self, sql: &str) -> Vec<String>;
}

impl Queried for Path {
    fn column(&self, sql: &str) -> Vec<String> {
        crate::util::column(self, sql)
    }
}

impl Queried for std::path::PathBuf {
    fn column(&self, sql: &str) -> Vec<String> {
        crate::util::column(self, sql)
    }
}

/// Where a publication test publishes: a workspace (SQLite), or a PostgreSQL database with the
/// dashboard's data folder beside it.
enum Place {
    Workspace(std::path::PathBuf),
    Postgres { db: crate::serve::PgDatabase, data: std::path::PathBuf },
}

impl Place {
    /// The options that name this store to `conduct link --update` and `conduct publish`.
    fn args(&self, publish: bool) -> Vec<std::ffi::OsString> {
        match self {
            Place::Workspace(ws) => vec!["--workspace".into(), ws.into()],
            Place::Postgres { db, data } if publish => vec!["--database".into(), (&db.url).into(), "--data".into(), data.into()],
            Place::Postgres { db, .. } => vec!["--database".into(), (&db.url).into()],
        }
    }
}

impl Queried for Place {
    fn column(&self, sql: &str) -> Vec<String> {
        match self {
            Place::Workspace(ws) => crate::util::column(ws, sql),
            Place::Postgres { db, .. } => {
                use conduct_store::db::{Conn, Url};
                let mut c = Conn::open(&Url::Postgres(db.url.clone())).unwrap();
                let mut v: Vec<String> = c.query(sql, &[]).unwrap().iter().map(|r| r[0].text()).collect();
                v.sort();
                v
            }
        }
    }
}

/// The rows of a query of two columns joined by `=` (`a || '=' || b`), as pairs.
fn pairs(ws: &(impl Queried + ?Sized), sql: &str) -> Vec<(String, String)> {
    ws.column(sql).into_iter().map(|l| l.split_once('=').map(|(a, b)| (a.to_string(), b.to_string())).unwrap()).collect()
}

fn shown(ws: &(impl Queried + ?Sized)) -> Shown {
    let pairs = |sql: &str| pairs(ws, sql);
    let mut courses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (c, i) in pairs("SELECT course_id || '=' || incident_ref FROM course_incidents") {
        courses.entry(c).or_default().insert(i);
    }
    for c in ws.column("SELECT course_id FROM courses") {
        courses.entry(c).or_default();
    }
    Shown {
        records: pairs("SELECT record_id || '=' || person_id FROM records").into_iter().collect(),
        persons: pairs("SELECT person_id || '=' || records FROM persons").into_iter().collect(),
        courses,
        successors: pairs("SELECT old_id || '=' || current_id FROM id_successors").into_iter().collect(),
    }
}

/// Ids last on the dashboard whatever a force sends, in whatever order: over random sequences of
/// exports of the real-shaped fixtures (new reports, exports sent again, changed people rows,
/// rows that bridge two persons), each published into a workspace holding a linked population
/// or into one that links every record again at each publication, after every publication the
/// published records are exactly the store's people rows (each under the population's person,
/// where there is one); the persons' counts are their records'; every retired id
/// leads to one that is shown; a person or course id that goes on holds some of what it held;
/// an id that disappears without a successor is never shown again, and a new id was never shown
/// before; an export sent again changes no table.
#[test]
fn publications_keep_ids_through_any_sequence_of_exports() {
    keep_ids_through_any_sequence_of_exports(12, &|tmp| Some(Place::Workspace(tmp.join("ws"))));
}

/// The same on PostgreSQL: the population linked and the exports published in the dashboard's
/// PostgreSQL database (`--database postgres://…`), a fresh database for each sequence.
#[test]
fn publications_keep_ids_through_any_sequence_of_exports_on_postgres() {
    if crate::serve::pg_database("ids_probe").is_none() {
        return;
    }
    keep_ids_through_any_sequence_of_exports(6, &|tmp| {
        Some(Place::Postgres { db: crate::serve::pg_database("ids")?, data: tmp.join("data") })
    });
}

/// [`publications_keep_ids_through_any_sequence_of_exports`] over `cases` random sequences, each
/// published into the store `place` makes in its scratch folder.
fn keep_ids_through_any_sequence_of_exports(cases: u32, place: &dyn Fn(&Path) -> Option<Place>) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let fixtures: Vec<Fixture> = ["repeat-victim", "one-family", "father-son"].into_iter().map(fixture_rows).collect();
    let sent = prop_oneof![
        3 => (1usize..40).prop_map(Sent::New),
        1 => any::<usize>().prop_map(Sent::Again),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Sent::Change(a, b)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Sent::Bridge(a, b)),
        1 => any::<usize>().prop_map(Sent::Outcome),
    ];
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&(0..fixtures.len(), any::<bool>(), prop::collection::vec(sent, 1..7)), |(f, linked, steps)| {
            let fx = &fixtures[f];
            // The reports as last sent (an outcome changes one).
            let (ih, mut incidents) = (&fx.incidents.0, fx.incidents.1.clone());
            let (ph, people) = (&fx.people.0, &fx.people.1);
            let col = |h: &csv::StringRecord, name: &str| h.iter().position(|c| c == name).unwrap();
            let (i_ref, p_id, p_ref) = (col(ih, "incident_ref"), col(ph, "record_id"), col(ph, "incident_ref"));
            let tmp = tempfile::tempdir().unwrap();
            let ws = place(tmp.path()).expect("the store this test publishes into");
            // The people rows as last sent, by record_id; the reports sent, in order.
            let mut held: BTreeMap<String, csv::StringRecord> = BTreeMap::new();
            let (mut next, mut exports) = (0usize, Vec::<Vec<usize>>::new());
            let mut before: Option<Shown> = None;
            let mut ever: BTreeSet<String> = BTreeSet::new();
            for (n, step) in steps.iter().enumerate() {
                let nth = |i: usize| held.keys().nth(i % held.len().max(1)).cloned();
                let (reports, changed): (Vec<usize>, Option<csv::StringRecord>) = match step {
                    Sent::New(k) => {
                        let end = (next + k).min(incidents.len());
                        let r: Vec<usize> = (next..end).collect();
                        next = end;
                        (r, None)
                    }
                    Sent::Again(i) if !exports.is_empty() => (exports[i % exports.len()].clone(), None),
                    Sent::Outcome(i) if next > 0 => {
                        let report = i % next;
                        let mut row: Vec<String> = incidents[report].iter().map(String::from).collect();
                        row[col(ih, "outcome_type")] = "16".to_string();
                        row[col(ih, "outcome_date")] = row[col(ih, "recorded_date")].clone();
                        row[col(ih, "narrative")].push_str(" The victim withdrew her support.");
                        incidents[report] = csv::StringRecord::from(row);
                        (vec![report], None)
                    }
                    Sent::Change(a, b) | Sent::Bridge(a, b) if !held.is_empty() => {
                        let (id, other) = (nth(*a).unwrap(), nth(*b).unwrap());
                        let mut row: Vec<String> = held[&id].iter().map(String::from).collect();
                        let from = &held[&other];
                        let copied: &[&str] = match step {
                            Sent::Change(..) => &["surname"],
                            _ => &["forename", "surname", "date_of_birth", "postcode", "phone"],
                        };
                        for c in copied {
                            row[col(ph, c)] = from[col(ph, c)].to_string();
                        }
                        let report = incidents.iter().position(|i| i[i_ref] == row[p_ref]).unwrap();
                        (vec![report], Some(csv::StringRecord::from(row)))
                    }
                    _ => continue,
                };
                if reports.is_empty() {
                    continue;
                }
                // The export: its reports, and their people rows as held (the changed one as
                // changed, and new rows as the fixture has them).
                let refs: BTreeSet<&str> = reports.iter().map(|&i| &incidents[i][i_ref]).collect();
                if let Some(c) = &changed {
                    held.insert(c[p_id].to_string(), c.clone());
                }
                let rows: Vec<csv::StringRecord> = people
                    .iter()
                    .filter(|p| refs.contains(&p[p_ref]))
                    .map(|p| held.get(&p[p_id]).cloned().unwrap_or_else(|| p.clone()))
                    .collect();
                let dir = tmp.path().join(format!("export-{n}"));
                std::fs::create_dir_all(&dir).unwrap();
                write_rows(&dir.join("incidents.csv"), ih, &reports.iter().map(|&i| &incidents[i]).collect::<Vec<_>>());
                write_rows(&dir.join("people.csv"), ph, &rows.iter().collect::<Vec<_>>());
                if linked && before.is_none() {
                    // The population linked first, then published (as `bench/republish.sh` does).
                    ok(conduct()
                        .args(["link", "--update", "--people"])
                        .arg(dir.join("people.csv"))
                        .args(ws.args(false))
                        .arg("--out")
                        .arg(tmp.path().join("first")));
                }
                let out = ok(conduct().arg("publish").arg(&dir).args(ws.args(true)));
                for r in &rows {
                    held.insert(r[p_id].to_string(), r.clone());
                }
                if matches!(step, Sent::New(_)) {
                    exports.push(reports.clone());
                }
                let now = shown(&ws);
                // The records are the people rows held, each under the population's person.
                prop_assert!(now.records.keys().eq(held.keys()), "{step:?}: the published records are those held");
                // Value for value: a changed people row or report is published changed (a
                // publication through the population compares the other records and incidents by
                // their keys only).
                let records = "record_id || '|' || incident_ref || '|' || role || '|' || coalesce(forename, '') || '|' || \
                               coalesce(surname, '') || '|' || coalesce(date_of_birth, '') || '|' || coalesce(postcode, '') || '|' || \
                               coalesce(phone, '') || '|' || coalesce(email, '')";
                let incidents = "incident_ref || '|' || recorded_date || '|' || coalesce(CAST(outcome_type AS TEXT), '') || '|' || \
                                 coalesce(outcome_date, '') || '|' || coalesce(narrative, '')";
                for (values, published, held) in [(records, "records", "people"), (incidents, "published_incidents", "incidents")] {
                    prop_assert_eq!(
                        ws.column(&format!("SELECT {values} FROM {published}")),
                        ws.column(&format!("SELECT {values} FROM {held}")),
                        "{:?}: {} holds the {} rows held, value for value",
                        step,
                        published,
                        held
                    );
                }
                if linked {
                    let population: BTreeMap<String, String> = pairs(&ws, "SELECT record_id || '=' || person FROM population_records")
                        .into_iter()
                        .map(|(r, p)| (r, conduct_population::person_label(p.parse().unwrap())))
                        .collect();
                    prop_assert_eq!(&now.records, &population, "{:?}: records under the population's persons", step);
                }
                let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                for p in now.records.values() {
                    *counts.entry(p.clone()).or_default() += 1;
                }
                let persons: BTreeMap<String, usize> = now.persons.iter().map(|(p, n)| (p.clone(), n.parse().unwrap())).collect();
                prop_assert_eq!(&persons, &counts, "{:?}: each person's records", step);
                for (old, current) in &now.successors {
                    let shown_now = now.persons.contains_key(current) || now.courses.contains_key(current);
                    prop_assert!(shown_now, "{step:?}: {old} leads to {current}, which is not shown");
                }
                let ids_now: BTreeSet<String> = now.persons.keys().chain(now.courses.keys()).cloned().collect();
                if let Some(was) = &before {
                    if matches!(step, Sent::Again(_)) {
                        let stderr = String::from_utf8_lossy(&out.stderr);
                        let tables = stderr.lines().find(|l| l.starts_with("tables:")).unwrap_or_default().to_string();
                        prop_assert!(tables.split(", ").all(|t| t.ends_with("-0 +0")), "{step:?}: sent again, yet {tables}");
                        prop_assert!(&now == was, "{step:?}: sent again, yet the publication changed");
                    }
                    for (id, recs) in
                        was.persons.keys().map(|p| (p, was.records.iter().filter(|(_, q)| *q == p).map(|(r, _)| r).collect::<Vec<_>>()))
                    {
                        if now.persons.contains_key(id) {
                            prop_assert!(recs.iter().any(|r| now.records.get(*r) == Some(id)), "{step:?}: {id} kept none of its records");
                        } else {
                            prop_assert!(now.successors.contains_key(id), "{step:?}: person {id} disappeared without a successor");
                        }
                    }
                    for (id, reports) in &was.courses {
                        if let Some(now_reports) = now.courses.get(id) {
                            prop_assert!(
                                reports.is_empty() || !reports.is_disjoint(now_reports),
                                "{step:?}: course {id} kept none of its reports"
                            );
                        }
                    }
                }
                for id in ids_now
                    .difference(&before.as_ref().map(|b| b.persons.keys().chain(b.courses.keys()).cloned().collect()).unwrap_or_default())
                {
                    prop_assert!(!ever.contains(id), "{step:?}: {id} shown again after it disappeared");
                }
                ever.extend(ids_now);
                before = Some(now);
            }
            Ok(())
        })
        .unwrap();
}

/// Records grouped by person, and reports grouped by course with the course's priority.
type Partitions = (BTreeSet<BTreeSet<String>>, BTreeSet<(BTreeSet<String>, String)>);

/// Records grouped by published person, and reports grouped by published course (ids left
/// out), with each course's priority: what a publication shows, whatever it numbered.
fn partitions(ws: &(impl Queried + ?Sized)) -> Partitions {
    let shown = shown(ws);
    let mut persons: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (r, p) in &shown.records {
        persons.entry(p).or_default().insert(r.clone());
    }
    let priority: BTreeMap<String, String> = pairs(ws, "SELECT course_id || '=' || priority FROM courses").into_iter().collect();
    (persons.into_values().collect(), shown.courses.into_iter().map(|(c, i)| (i, priority[&c].clone())).collect())
}

/// A dashboard that links every record again at each publication shows the same persons and
/// courses (with the same priorities) however the reports arrived: the real-shaped fixtures
/// split at random into exports published one after another give what one publication of the
/// whole gives.
#[test]
fn publications_in_any_split_show_what_one_publication_of_the_whole_shows() {
    in_any_split_as_the_whole(8, &|tmp| Some(Place::Workspace(tmp.join("ws"))));
}

/// The same with the split exports published into PostgreSQL (a fresh database for each split),
/// against the whole published into a workspace: the two databases show the same persons and
/// courses.
#[test]
fn publications_in_any_split_on_postgres_show_what_one_publication_of_the_whole_shows() {
    if crate::serve::pg_database("split_probe").is_none() {
        return;
    }
    in_any_split_as_the_whole(4, &|tmp| Some(Place::Postgres { db: crate::serve::pg_database("split")?, data: tmp.join("data") }));
}

/// [`publications_in_any_split_show_what_one_publication_of_the_whole_shows`] over `cases`
/// random splits, each published into the store `place` makes in its scratch folder.
fn in_any_split_as_the_whole(cases: u32, place: &dyn Fn(&Path) -> Option<Place>) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let fixtures: Vec<Fixture> = ["repeat-victim", "one-family", "father-son"].into_iter().map(fixture_rows).collect();
    let tmp = tempfile::tempdir().unwrap();
    let mut whole = Vec::new();
    for (f, name) in ["repeat-victim", "one-family", "father-son"].into_iter().enumerate() {
        let ws = tmp.path().join(format!("whole-{f}"));
        ok(conduct().arg("publish").arg(data(&format!("small/{name}"))).arg("--workspace").arg(&ws));
        whole.push(partitions(&ws));
    }
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    runner
        .run(&(0..fixtures.len(), 2usize..5, prop::collection::vec(any::<u8>(), 200)), |(f, k, export_of)| {
            let fx = &fixtures[f];
            let (ih, incidents) = (&fx.incidents.0, &fx.incidents.1);
            let (ph, people) = (&fx.people.0, &fx.people.1);
            let i_ref = ih.iter().position(|c| c == "incident_ref").unwrap();
            let p_ref = ph.iter().position(|c| c == "incident_ref").unwrap();
            let dir = tempfile::tempdir().unwrap();
            let ws = place(dir.path()).expect("the store this test publishes into");
            for e in 0..k {
                let mine: Vec<&csv::StringRecord> = incidents
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| export_of[i % export_of.len()] as usize % k == e)
                    .map(|(_, r)| r)
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let refs: BTreeSet<&str> = mine.iter().map(|r| &r[i_ref]).collect();
                let export = dir.path().join(format!("export-{e}"));
                std::fs::create_dir_all(&export).unwrap();
                write_rows(&export.join("incidents.csv"), ih, &mine);
                write_rows(&export.join("people.csv"), ph, &people.iter().filter(|p| refs.contains(&p[p_ref])).collect::<Vec<_>>());
                ok(conduct().arg("publish").arg(&export).args(ws.args(true)));
            }
            let (persons, courses) = partitions(&ws);
            prop_assert!(persons == whole[f].0, "fixture {f} in {k} exports: other persons");
            prop_assert!(courses == whole[f].1, "fixture {f} in {k} exports: other courses");
            Ok(())
        })
        .unwrap();
}

/// The published review list ordered its courses by their dense rank, so a new course near
/// the top moved every course below it: a weekly export of the 1M world rewrote the list
/// rows of 123,261 of the 123,265 courses held, though their reports, reasons and priority
/// were the same. Each course's place is now its own (`dataset::list_positions`). The
/// one-family export (one surname in a third of its rows), then a new victim's reports
/// whose threat to kill puts her course at the head of the list, dated within the export's
/// span so that the list's day stays where it was.
#[test]
fn regression_a_new_course_moved_every_course_below_it_in_the_published_list() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    ok(conduct().arg("publish").arg(data("small/one-family")).arg("--workspace").arg(&ws));
    // Per course: its id, then its row but for the list's place, then the place.
    let rows = || -> BTreeMap<String, (String, String)> {
        crate::util::column(
            &ws,
            "SELECT course_id || char(31) || forces || victim || coalesce(suspect, '') || first_date || last_date || reports \
             || priority || reasons || char(31) || pos || ' ' || triage_rank FROM courses",
        )
        .into_iter()
        .map(|r| {
            let f: Vec<&str> = r.split('\u{1f}').collect();
            (f[0].to_string(), (f[1].to_string(), f[2].to_string()))
        })
        .collect()
    };
    let before = rows();
    let places_before: BTreeSet<&String> = before.values().map(|(_, p)| p).collect();
    let second = tmp.path().join("e2");
    std::fs::create_dir_all(&second).unwrap();
    std::fs::write(
        second.join("incidents.csv"),
        "force,incident_ref,recorded_date,occurred_date,offence_code,offence_description,domestic_abuse,cyber,linked_refs,outcome_type,outcome_date,narrative\n\
         Cheshire,CHE-23-9001,2023-09-01,2023-09-01,8L,Harassment,N,N,,,,Suspect keeps turning up at her work\n\
         Cheshire,CHE-23-9002,2023-10-01,2023-10-01,8L,Harassment,N,N,,,,Suspect threatened to kill her\n",
    )
    .unwrap();
    std::fs::write(
        second.join("people.csv"),
        format!(
            "{PEOPLE_HEADER}J1,Cheshire,CHE-23-9001,victim,Joanne,Pryce,1988-06-30,CH2 4QB,07700900931,\n\
             K1,Cheshire,CHE-23-9001,suspect,Kyle,Marsh,1986-01-11,CH1 1AA,,\n\
             J2,Cheshire,CHE-23-9002,victim,Joanne,Pryce,1988-06-30,CH2 4QB,07700900931,\n\
             K2,Cheshire,CHE-23-9002,suspect,Kyle,Marsh,1986-01-11,CH1 1AA,,\n"
        ),
    )
    .unwrap();
    ok(conduct().arg("publish").arg(&second).arg("--workspace").arg(&ws));
    let after = rows();
    assert_eq!(after.len(), before.len() + 1, "one course more: {after:?}");
    let (new_id, (_, new_place)) = after.iter().find(|(id, _)| !before.contains_key(*id)).unwrap();
    let new_pos: i64 = new_place.split(' ').next().unwrap().parse().unwrap();
    let below = before.keys().filter(|id| after[*id].1.split(' ').next().unwrap().parse::<i64>().unwrap() > new_pos).count();
    assert!(below > 0, "the new course {new_id} ({new_place}) is not above any course held: the test shows nothing");
    let mut same = 0;
    for (id, (row, place)) in &before {
        if after[id].0 == *row {
            same += 1;
            assert_eq!(&after[id].1, place, "course {id}: the same row, its place in the list moved");
        }
    }
    assert!(same >= below, "{same} courses unchanged, {below} below the new one");
    assert!(!places_before.contains(new_place), "a place of its own");
}

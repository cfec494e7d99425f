use std::path::Path;

use conduct_domain::{Force, Involvement, Role};
use conduct_ingest::{Ingest, Inputs, Reject};

use super::*;

fn row(id: &str) -> Involvement {
    Involvement::new(id, Force::resolve("Kent").unwrap(), "K-1", Role::Victim)
}

fn reject(key: &str) -> Reject {
    Reject { file: "people.csv".into(), line: 9, column: String::new(), reason: "bad".into(), key: key.into() }
}

#[test]
fn rejected_rows_that_name_a_record_are_persons_of_their_own_after_the_linked_ones() {
    let people = [row("A"), row("B"), row("C")];
    // A rejected duplicate of an accepted record is that record's, listed once; a reject
    // without a key names nobody.
    let persons = Persons::linked(vec![0, 1, 0], &people, &[reject("X"), reject(""), reject("B"), reject("Y")]);
    assert_eq!(persons.linked_count(), 2);
    assert_eq!(persons.rejected(), ["X", "Y"]);
    assert_eq!(persons.count(), 4);
    assert_eq!(persons.id(0), "P0000001");
    assert_eq!(persons.id(3), "P0000004");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("persons.csv");
    persons.write_csv(&path, &people).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "record_id,person_id\nA,P0000001\nB,P0000002\nC,P0000001\nX,P0000003\nY,P0000004\n"
    );
}

/// Each pair names its rows' ids, made inert and quoted as persons.csv's are, from any row
/// (the first, the last, one named twice, either side), with its weight and probability.
#[test]
fn pairs_csv_names_each_pairs_records_made_inert() {
    let people = [row("=1+1"), row("a,\"b\""), row("plain"), row("Z")];
    let pair = |a: u32, b: u32, weight: f32| conduct_resolve::ScoredPair { a, b, weight };
    let linked = Linked {
        model: conduct_resolve::Model::builtin_default(),
        stats: conduct_resolve::LinkStats::default(),
        pairs: vec![pair(0, 1, 5.0), pair(2, 3, -1.25), pair(3, 0, 12.3456), pair(1, 2, 0.0)],
        tf: conduct_resolve::model::TermFrequencies::default(),
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pairs.csv");
    linked.write_pairs(&path, &people).unwrap();
    let p = |w: f32| format!("{:.6}", conduct_resolve::model::probability(f64::from(w)));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!(
            "record_id_l,record_id_r,match_weight,match_probability\n\
             '=1+1,\"a,\"\"b\"\"\",5.000,{}\nplain,Z,-1.250,{}\nZ,'=1+1,12.346,{}\n\"a,\"\"b\"\"\",plain,0.000,{}\n",
            p(5.0),
            p(-1.25),
            p(12.3456),
            p(0.0)
        )
    );
    let none = Linked { pairs: Vec::new(), ..linked };
    none.write_pairs(&path, &people).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "record_id_l,record_id_r,match_weight,match_probability\n");
}

#[test]
fn persons_csv_is_quoted_by_the_csv_crate_made_inert_and_read_back_as_written() {
    let people = [row("=1+1"), row("a,\"b\""), row("plain"), row("unlisted")];
    let persons = Persons::linked(vec![0, 1, 0, 2], &people, &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("persons.csv");
    persons.write_csv(&path, &people[..3].iter().cloned().chain([row("unlisted")]).collect::<Vec<_>>()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("'=1+1,P0000001\n"), "{text}");
    assert!(text.contains("\"a,\"\"b\"\"\",P0000002\n"), "{text}");

    // Read back: the same persons, numbered by first appearance; a row the file does not list
    // is a person of its own.
    let kept: Vec<String> = text.lines().filter(|l| !l.starts_with("unlisted")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, kept.concat()).unwrap();
    let back = Persons::read_csv(&path, &people).unwrap();
    assert_eq!(back.of_row(), [0, 1, 0, 2]);
    assert_eq!(back.unlisted(), 1);
    assert_eq!(back.id(0), "P0000001");
    assert_eq!(back.id(2), "unlinked:unlisted");

    std::fs::write(&path, "record_id,person\nA,P1\n").unwrap();
    let e = Persons::read_csv(&path, &people).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Persons);
    assert!(e.to_string().ends_with("no column person_id"), "{e}");
}

#[test]
fn linkage_options_that_cannot_work_are_a_linkage_error_with_its_source() {
    let options = Options { link: LinkOptions { max_block_size: 1, ..Options::default().link }, ..Options::default() };
    let e = analyse(&Export::default(), &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Linkage);
    assert!(std::error::Error::source(&e).is_some());
    assert!(e.chain().contains("max block size must be at least 2"), "{}", e.chain());
}

fn read(dir: &Path) -> Export {
    let inputs = Inputs::in_folder(dir).unwrap();
    let mut ingest = Ingest::new();
    let (records, summary) = ingest.read_whole(&inputs).unwrap();
    Export {
        incidents: records.incidents,
        people: records.people,
        orders: records.orders,
        risk_assessments: records.risk_assessments,
        summary,
        rejects: ingest.rejects().to_vec(),
    }
}

/// Every file under `dir` (name and bytes), in name order.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    for p in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            v.extend(files(&p).into_iter().map(|(n, b)| (format!("{name}/{n}"), b)));
        } else {
            v.push((name, std::fs::read(&p).unwrap()));
        }
    }
    v.sort();
    v
}

fn write_tables(tables: &conduct_stats::Tables, dir: &Path) -> Vec<(String, Vec<u8>)> {
    std::fs::create_dir_all(dir).unwrap();
    conduct_stats::published::write_recorded(&dir.join("recorded.csv"), tables).unwrap();
    conduct_stats::published::write_outcomes(&dir.join("outcomes.csv"), tables).unwrap();
    let options = conduct_stats::derived::Options::default();
    conduct_stats::derived::write_derived(dir, tables, &options.periods_for(tables).unwrap(), options.fold_years).unwrap();
    files(dir)
}

#[test]
fn the_analysis_of_an_export_read_once_is_the_analysis_of_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world");
    conduct_synth::generate(&conduct_synth::SynthConfig { incidents: 3000, seed: 5 }, &world).unwrap();
    let export = read(&world);
    let analysis = analyse(&export, &Options::default()).unwrap();

    // The statistics from the records in memory are those `conduct stats` reads from the files.
    let from_files = conduct_stats::incidents::read_export(&[world.join("incidents.csv")], &[world.join("orders.csv")]).unwrap();
    assert_eq!(write_tables(&analysis.statistics.tables, &dir.path().join("a")), write_tables(&from_files.tables, &dir.path().join("b")));
    assert_eq!(analysis.statistics.files, from_files.summary.files);
    assert_eq!(analysis.statistics.used(), 3000 + export.orders.len() as u64);

    // Courses found again from the persons written and read back are the same courses.
    let persons = dir.path().join("persons.csv");
    analysis.persons.write_csv(&persons, &export.people).unwrap();
    let again = analyse_with_persons(&export, Persons::read_csv(&persons, &export.people).unwrap(), &Options::default());
    assert_eq!(again.persons.unlisted(), 0);
    let name = |p: u32| analysis.persons.id(p);
    let name_again = |p: u32| again.persons.id(p);
    analysis.found(&export, &name).write(&dir.path().join("c1")).unwrap();
    again.found(&export, &name_again).write(&dir.path().join("c2")).unwrap();
    assert_eq!(files(&dir.path().join("c1")), files(&dir.path().join("c2")));
    assert!(!analysis.courses.courses.is_empty());
    assert!(analysis.linked.as_ref().is_some_and(|l| !l.pairs.is_empty() && l.pairs.iter().all(|p| p.weight >= 0.0)));
}

//! Fits the default model on a people file (a synthetic world) and writes it stamped as the
//! shipped default: `train_default_model PEOPLE.csv OUT.json VERSION "WHAT IT WAS TRAINED ON"`.
//! Run through `crates/resolve/model/train.sh`, which makes the world. Also writes
//! persons.csv beside the world's people file's folder's parent (`$tmp/persons.csv`) so the
//! script can score the fit.

use std::io::Write;
use std::path::PathBuf;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [people, out, version, trained_on] = args.as_slice() else {
        panic!("usage: train_default_model PEOPLE.csv OUT.json VERSION DESCRIPTION");
    };
    let file = conduct_ingest::read_people(&PathBuf::from(people)).expect("people file reads");
    // Always fit: this is the model small files fall back on.
    let options = conduct_resolve::LinkOptions { default_when_too_small: false, ..Default::default() };
    let linkage = conduct_resolve::link(&file.rows, &options).expect("links");
    eprint!("{}", linkage.stats.to_text());
    let mut model = linkage.model;
    model.notes.source = "default".into();
    model.notes.persons = linkage.stats.persons;
    model.notes.default_version = version.parse().expect("version is a number");
    model.notes.trained_on = format!("{trained_on} ({} people rows)", file.rows.len());
    model.save(&PathBuf::from(out)).expect("model written");
    let persons = PathBuf::from(people).parent().and_then(|p| p.parent()).expect("world in a folder").join("persons.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&persons).expect("persons.csv"));
    writeln!(w, "record_id,person_id").unwrap();
    for (r, &p) in file.rows.iter().zip(&linkage.person) {
        writeln!(w, "{},{}", r.record_id, conduct_domain::ids::PersonId::from_index(p)).unwrap();
    }
}

//! Who is who: the person of every people row, the rows the read set aside that still name a
//! record (each a person of its own, so that nothing is dropped), and the files that say so —
//! `persons.csv` (`record_id,person_id`) and `pairs.csv` (the scored candidate pairs).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use conduct_domain::Involvement;
use conduct_domain::cell::{inert, restore};
use conduct_domain::ids::PersonId;
use conduct_ingest::Reject;
use conduct_resolve::{LinkOptions, LinkStats, Model, ScoredPair};
use rayon::prelude::*;

use crate::error::{Error, ErrorKind};

/// The person of every people row, by number: persons `0..linked` are those of the accepted
/// rows (numbered as linkage numbers them: by their records' ranks, not by where the rows sit),
/// then one for each record id that only rejected rows name ([`Persons::rejected`], in byte
/// order). So the same export in any order of its rows is given the same numbers.
#[derive(Clone, Debug)]
pub struct Persons {
    of_row: Vec<u32>,
    linked: u32,
    rejected: Vec<String>,
    ids: Ids,
    unlisted: usize,
}

/// How person numbers are written.
#[derive(Clone, Debug)]
enum Ids {
    /// `P0000001` for 0 ([`PersonId::from_index`]).
    Numbered,
    /// As named in a persons file, by number.
    Given(Vec<String>),
}

impl Persons {
    /// The persons linkage found (`person`: one number per accepted row of `people`), with the
    /// rejected people rows that name a record (`rejects`; a key that is an accepted row's
    /// record_id — a rejected duplicate — is that row's) as persons of their own, one per record
    /// id, numbered after the linked ones in the byte order of the ids.
    pub fn linked(person: Vec<u32>, people: &[Involvement], rejects: &[Reject]) -> Persons {
        let linked = person.iter().copied().max().map_or(0, |m| m + 1);
        let named = rejects.iter().filter(|r| !r.key.is_empty());
        let accepted: HashSet<&str> =
            if named.clone().next().is_some() { people.iter().map(|r| r.record_id.as_str()).collect() } else { HashSet::new() };
        let mut rejected: Vec<String> = named.filter(|r| !accepted.contains(r.key.as_str())).map(|r| r.key.clone()).collect();
        rejected.sort_unstable();
        rejected.dedup();
        Persons { of_row: person, linked, rejected, ids: Ids::Numbered, unlisted: 0 }
    }

    /// The persons a persons file (`record_id,person_id`, as [`Persons::write_csv`] writes it,
    /// or any other with those columns) gives the rows of `people`. Persons are numbered by
    /// first appearance in the file; a row the file does not list is a person of its own
    /// (`unlinked:RECORD_ID`, counted in [`Persons::unlisted`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Persons`] when the file cannot be read as CSV or lacks either column.
    pub fn read_csv(path: &Path, people: &[Involvement]) -> Result<Persons, Error> {
        let err = |e: csv::Error| Error::new(ErrorKind::Persons, format!("reading {}", path.display()), e);
        let mut r = csv::Reader::from_path(path).map_err(err)?;
        let h = r.headers().map_err(err)?.clone();
        let col = |n: &str| {
            h.iter()
                .position(|x| x.eq_ignore_ascii_case(n))
                .ok_or_else(|| Error::message(ErrorKind::Persons, format!("{}: no column {n}", path.display())))
        };
        let (cr, cp) = (col("record_id")?, col("person_id")?);
        let mut names: Vec<String> = Vec::new();
        let mut number: HashMap<String, u32> = HashMap::new();
        let mut of_record: HashMap<String, u32> = HashMap::new();
        for rec in r.records() {
            let rec = rec.map_err(err)?;
            // A persons file is Conduct's own: its cells are read back as they were before
            // being made inert for spreadsheets.
            let person = restore(&rec[cp]).into_owned();
            let n = *number.entry(person.clone()).or_insert_with(|| {
                names.push(person);
                names.len() as u32 - 1
            });
            of_record.insert(restore(&rec[cr]).into_owned(), n);
        }
        let mut unlisted = 0usize;
        let of_row = people
            .iter()
            .map(|p| {
                of_record.get(p.record_id.as_str()).copied().unwrap_or_else(|| {
                    unlisted += 1;
                    names.push(format!("unlinked:{}", p.record_id));
                    names.len() as u32 - 1
                })
            })
            .collect();
        Ok(Persons { of_row, linked: names.len() as u32, rejected: Vec::new(), ids: Ids::Given(names), unlisted })
    }

    /// Persons numbered by whoever linked them (a linked population, whose ids last):
    /// `of_row[i]` is the person number of accepted people row `i`, below `names.len()`, and
    /// `names[n]` the person_id of number `n`.
    pub fn given(of_row: Vec<u32>, names: Vec<String>) -> Persons {
        debug_assert!(of_row.iter().all(|&n| (n as usize) < names.len()));
        Persons { of_row, linked: names.len() as u32, rejected: Vec::new(), ids: Ids::Given(names), unlisted: 0 }
    }

    /// These persons with rows appended after the accepted ones (`of_rows`: the person number
    /// of each, one of these persons): the rows of other forces' reports that `conduct courses
    /// --cross-force-links` adds, each the person of the force's own record it is linked to.
    pub fn with_rows(&self, of_rows: &[u32]) -> Persons {
        let mut p = self.clone();
        p.of_row.extend_from_slice(of_rows);
        p
    }

    /// The person number of each accepted people row, in row order.
    pub fn of_row(&self) -> &[u32] {
        &self.of_row
    }

    /// Persons of the accepted rows (numbers `0..linked()`).
    pub fn linked_count(&self) -> u32 {
        self.linked
    }

    /// Every person: those of the accepted rows and those of the rejected rows.
    pub fn count(&self) -> u64 {
        u64::from(self.linked) + self.rejected.len() as u64
    }

    /// The record ids of rejected rows listed as persons of their own, in byte order (person
    /// numbers `linked_count()..`).
    pub fn rejected(&self) -> &[String] {
        &self.rejected
    }

    /// People rows a persons file did not list (each taken as a person of its own).
    pub fn unlisted(&self) -> usize {
        self.unlisted
    }

    /// The person_id of person number `n`.
    pub fn id(&self, n: u32) -> String {
        match &self.ids {
            Ids::Numbered => PersonId::from_index(n).to_string(),
            Ids::Given(names) => names[n as usize].clone(),
        }
    }

    /// Writes `persons.csv`: `record_id,person_id` for every accepted row of `people` (the rows
    /// these persons were found for), then for every rejected row that names a record. Cells
    /// are made inert for spreadsheets ([`conduct_domain::cell::inert`]).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Write`] when the file cannot be written.
    pub fn write_csv(&self, path: &Path, people: &[Involvement]) -> Result<(), Error> {
        let chunks = people
            .par_chunks(CHUNK)
            .zip(self.of_row.par_chunks(CHUNK))
            .map(|(rows, persons)| {
                chunk(rows.iter().zip(persons), |w, (row, &p)| w.write_record([inert(&row.record_id).as_ref(), self.id(p).as_str()]))
            })
            .chain(rayon::iter::once(chunk(self.rejected.iter().zip(self.linked..), |w, (key, n)| {
                w.write_record([inert(key).as_ref(), self.id(n).as_str()])
            })))
            .collect();
        write_chunks(path, &["record_id", "person_id"], chunks)
    }
}

/// What linkage found besides the persons: the model it used, its counts and timings, and the
/// scored candidate pairs it kept ([`LinkOptions::keep_pairs_from_weight`]).
#[derive(Clone, Debug)]
pub struct Linked {
    /// The model used (saved as `model.json`).
    pub model: Model,
    /// Counts and timings.
    pub stats: LinkStats,
    /// Scored candidate pairs (row numbers into the people rows linked).
    pub pairs: Vec<ScoredPair>,
    /// The term frequencies of names the pairs were scored with.
    pub tf: conduct_resolve::model::TermFrequencies,
}

impl Linked {
    /// Writes `pairs.csv`: `record_id_l,record_id_r,match_weight,match_probability` for every
    /// pair kept, `people` being the rows that were linked.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Write`] when the file cannot be written.
    pub fn write_pairs(&self, path: &Path, people: &[Involvement]) -> Result<(), Error> {
        let ids = RecordIds::of(if self.pairs.is_empty() { &[] } else { people });
        let chunks = self
            .pairs
            .par_chunks(CHUNK)
            .map(|pairs| {
                let (mut weight, mut probability) = (String::new(), String::new());
                chunk(pairs.iter(), |w, p| {
                    use std::fmt::Write as _;
                    weight.clear();
                    probability.clear();
                    three_places(p.weight, &mut weight);
                    let _ = write!(probability, "{:.6}", conduct_resolve::model::probability(f64::from(p.weight)));
                    w.write_record([ids.get(p.a), ids.get(p.b), weight.as_str(), probability.as_str()])
                })
            })
            .collect();
        write_chunks(path, &["record_id_l", "record_id_r", "match_weight", "match_probability"], chunks)
    }
}

/// `weight` as `format!("{:.3}", weight)` writes it, made from its thousandths as a whole
/// number. The weight times 1,000 is exact in an `f64` (24 bits of mantissa times 125 times 8),
/// so rounding it half to even, as the formatter rounds the exact value, gives the same digits
/// (test `a_weight_to_three_places_is_written_as_the_formatter_writes_it`). The formatter's
/// exact path was about a third of writing the 1M world's 3.7M pairs (session 47).
fn three_places(weight: f32, out: &mut String) {
    use std::fmt::Write as _;
    let thousandths = f64::from(weight) * 1000.0;
    // Beyond 2^53 an f64 holds no fraction to round, and the text would be long: the formatter
    // writes those (and NaN, the infinities), never met in a weight.
    if !thousandths.is_finite() || thousandths.abs() >= 9e15 {
        let _ = write!(out, "{weight:.3}");
        return;
    }
    let n = thousandths.round_ties_even().abs() as u64;
    if weight.is_sign_negative() {
        out.push('-');
    }
    let _ = write!(out, "{}.", n / 1000);
    let frac = n % 1000;
    out.extend([b'0' + (frac / 100) as u8, b'0' + (frac / 10 % 10) as u8, b'0' + (frac % 10) as u8].map(char::from));
}

/// Every row's record id, made inert ([`conduct_domain::cell::inert`]), in one buffer in row
/// order. The pairs name rows at random: read from the rows themselves (424 bytes apart, over
/// 0.8 GB at the 1M world) the ids were a third of the time `pairs.csv` took to write.
struct RecordIds {
    text: String,
    ends: Vec<usize>,
}

impl RecordIds {
    fn of(people: &[Involvement]) -> RecordIds {
        let mut ids = RecordIds { text: String::new(), ends: Vec::with_capacity(people.len()) };
        for p in people {
            ids.text.push_str(&inert(&p.record_id));
            ids.ends.push(ids.text.len());
        }
        ids
    }

    /// Row `k`'s id, made inert.
    fn get(&self, k: u32) -> &str {
        let k = k as usize;
        &self.text[k.checked_sub(1).map_or(0, |before| self.ends[before])..self.ends[k]]
    }
}

/// Links the accepted people rows into persons with `options`; the rejected people rows that
/// name a record (`rejects`) become persons of their own ([`Persons::linked`]).
///
/// # Errors
///
/// [`ErrorKind::Linkage`] when the options cannot work (a maximum block size under 2) or a given
/// model does not fit this engine.
pub fn link(people: &[Involvement], rejects: &[Reject], options: &LinkOptions) -> Result<(Persons, Linked), Error> {
    let linkage = conduct_resolve::link(people, options).map_err(|e| Error::new(ErrorKind::Linkage, "linking people into persons", e))?;
    let persons = Persons::linked(linkage.person, people, rejects);
    Ok((persons, Linked { model: linkage.model, stats: linkage.stats, pairs: linkage.pairs, tf: linkage.tf }))
}

/// Rows formatted per parallel chunk when writing persons.csv and pairs.csv.
const CHUNK: usize = 1 << 16;

/// CSV records written into memory, without a header: one chunk of a file written in parallel.
fn chunk<T>(items: impl Iterator<Item = T>, mut row: impl FnMut(&mut csv::Writer<Vec<u8>>, T) -> csv::Result<()>) -> csv::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for item in items {
        row(&mut w, item)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Writes a CSV file: `header`, then the records formatted in `chunks` (in order).
fn write_chunks(path: &Path, header: &[&str], chunks: csv::Result<Vec<Vec<u8>>>) -> Result<(), Error> {
    use std::io::Write;
    let err = |e: csv::Error| Error::new(ErrorKind::Write, format!("writing {}", path.display()), e);
    let chunks = chunks.map_err(err)?;
    let file = std::fs::File::create(path).map_err(|e| err(e.into()))?;
    let mut w = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    w.write_record(header).map_err(err)?;
    let mut file = w.into_inner().map_err(|e| err(e.into_error().into()))?;
    for c in &chunks {
        file.write_all(c).map_err(|e| err(e.into()))?;
    }
    file.flush().map_err(|e| err(e.into()))
}

#[cfg(test)]
mod tests {
    use super::three_places;
    use proptest::prelude::*;

    fn written(w: f32) -> String {
        let mut s = String::new();
        three_places(w, &mut s);
        s
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Any weight, a weight of few binary places (halfway between two thousandths: 1/16,
        /// 3/128, ...; the formatter rounds those to even) and a weight near a thousandth are
        /// written as `{:.3}` writes them, sign and negative zero included.
        #[test]
        fn a_weight_to_three_places_is_written_as_the_formatter_writes_it(
            bits in any::<u32>(),
            ticks in -400_000i32..400_000,
            shift in 0u32..12,
            thousandths in -60_000i32..60_000,
            nudge in -3i32..=3,
        ) {
            let near = f32::from_bits((thousandths as f32 / 1000.0).to_bits().wrapping_add_signed(nudge));
            for w in [f32::from_bits(bits), ticks as f32 / (1u32 << shift) as f32, near, -0.0, 0.0, -0.0004, 0.0005, -0.0625, 1e20] {
                prop_assert_eq!(written(w), format!("{w:.3}"), "{:?} ({:#x})", w, w.to_bits());
            }
        }
    }
}

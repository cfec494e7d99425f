//! Encoding a force's people records: pseudonyms, keyed per-field Bloom filters and keyed
//! blocking tokens.
//!
//! Each field's text (normalised exactly as plaintext linkage normalises it,
//! [`conduct_resolve::normalise`]) is cut into tokens: letter pairs of names, addresses,
//! postcodes, phones, e-mails, handles and identifiers; the components of a date of birth. Each
//! token sets `k` bits of the field's filter, chosen by a keyed PRF (SipHash-1-3 with a key
//! derived for that field from the shared secret) that seeds a generator — "random hashing",
//! not the double hashing whose structure known attacks exploit. Without the secret nobody can
//! compute which bits a token sets.
//!
//! Forename and surname are encoded with one key, so that the hub can compare them crosswise
//! when a record has the names swapped; an initial is encoded as its leading letter pair alone,
//! so that it is contained in the filter of every forename it could stand for.
//!
//! Hardening (the default, [`Hardening::Default`]): each filter has 1% of its bits flipped, by
//! a generator seeded from the record's own keyed pseudonym, so two records with the same value
//! carry different patterns (counting identical patterns says nothing about how common a value
//! is) while re-encoding the same record gives the same bits. What this does and does not
//! resist is measured by `conduct eval attack` (DESIGN.md).

use std::collections::HashMap;

use conduct_domain::{Incident, Involvement};
use conduct_resolve::block::RULES;
use conduct_resolve::model::SplitMix;
use conduct_resolve::normalise::{Features, Nicknames, normalise};
use hmac::{Hmac, KeyInit, Mac};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use siphasher::sip128::SipHasher13;

use crate::Secret;
use crate::file::ReportFacts;

/// The encodings' schema version: a hub refuses files of another.
pub const SCHEMA_VERSION: u32 = 1;

/// How much the encodings are hardened against re-identification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hardening {
    /// 1% of each filter's bits flipped per record, seeded by the record's pseudonym.
    #[default]
    Default,
    /// No flips: the plain per-field Bloom filters of the literature, offered to measure what
    /// hardening buys, not to be sent.
    None,
}

/// One encoded field: its name, filter length in bits, and bits set per token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldSpec {
    /// The field's name (`name`, `forename`, `surname`, `dob`, …).
    pub name: String,
    /// Filter length in bits (a multiple of 64).
    pub bits: u32,
    /// Bits set per token.
    pub k: u32,
    /// How two filters of the field are compared.
    #[serde(default)]
    pub measure: Measure,
}

/// How the hub compares two filters of a field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Measure {
    /// Dice: 2|A∩B| / (|A|+|B|).
    #[default]
    Dice,
    /// Overlap: |A∩B| / min(|A|,|B|); a partial date of birth (a year alone) is contained in
    /// the full date.
    Overlap,
}

/// Everything a hub must agree on to compare two parties' encodings. Written into each file;
/// the hub refuses files whose settings differ from the first file's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// [`SCHEMA_VERSION`].
    pub schema: u32,
    /// The hardening.
    pub hardening: Hardening,
    /// Bits flipped per 10,000 (0 for none).
    pub flips_per_10k: u32,
    /// The fields, in column order.
    pub fields: Vec<FieldSpec>,
    /// The blocking rules' names, in token order (the tokens themselves are keyed).
    pub blocking_rules: Vec<String>,
    /// The key-check value of the shared secret ([`Secret::check_value`]).
    pub key_check: String,
}

impl Settings {
    /// The settings for `hardening` with `secret`.
    pub fn new(hardening: Hardening, secret: &Secret) -> Settings {
        let f = |name: &str, bits, k| FieldSpec { name: name.to_string(), bits, k, measure: Measure::Dice };
        let mut fields = match hardening {
            // The forename's tokens are salted with the surname's sound: a forename filter
            // compares only between records whose surnames sound alike, and its patterns
            // follow the frequencies of whole names, not of forenames.
            Hardening::Default | Hardening::None => vec![f("forename", 512, 8), f("surname", 512, 8)],
        };
        // Sizes keep each filter about a fifth full for a typical value, so that two unrelated
        // values share few bits by chance (a fuller filter makes strangers look alike).
        fields.extend([
            f("sex", 64, 4),
            f("dob", 512, 8),
            f("address", 1024, 6),
            f("postcode", 256, 6),
            f("phone", 256, 6),
            f("email", 512, 6),
            f("handles", 512, 6),
            f("ids", 512, 6),
        ]);
        Settings {
            schema: SCHEMA_VERSION,
            hardening,
            flips_per_10k: if hardening == Hardening::Default { 100 } else { 0 },
            fields,
            blocking_rules: RULES.iter().map(|r| r.name.to_string()).collect(),
            key_check: secret.check_value(),
        }
    }

    /// Words (64 bits) in each field's filter.
    pub fn words(&self) -> Vec<usize> {
        self.fields.iter().map(|f| f.bits as usize / 64).collect()
    }

    /// Whether the settings are ones this version can link: sizes, counts and rule names.
    ///
    /// # Errors
    ///
    /// What is wrong, in words.
    pub fn check(&self) -> Result<(), String> {
        if self.schema != SCHEMA_VERSION {
            return Err(format!("encodings schema {} (this version links schema {SCHEMA_VERSION})", self.schema));
        }
        if self.fields.is_empty() || self.fields.len() > 16 {
            return Err(format!("{} fields (1 to 16 expected)", self.fields.len()));
        }
        for f in &self.fields {
            if f.bits == 0 || f.bits % 64 != 0 || f.bits > 8192 || f.k == 0 || f.k > 64 {
                return Err(format!("field {} has {} bits and k = {} (bits a multiple of 64 up to 8192, k 1 to 64)", f.name, f.bits, f.k));
            }
        }
        // The hub reads each token by its rule (which fields it is made of, which is the full
        // name): the rules must be this version's, in this order.
        if !self.blocking_rules.iter().map(String::as_str).eq(RULES.iter().map(|r| r.name)) {
            return Err("blocking rules other than this version's (encoded by another version of Conduct)".into());
        }
        if self.flips_per_10k > 2_000 {
            return Err(format!("{} flips per 10,000 bits (at most 2,000)", self.flips_per_10k));
        }
        Ok(())
    }
}

/// One record's encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedRecord {
    /// The record's pseudonym (hex), keyed with the force's key.
    pub pseudonym: String,
    /// Per field, the filter's words; `None` when the record has nothing for the field.
    pub filters: Vec<Option<Vec<u64>>>,
    /// Per blocking rule, the keyed token; 0 when the rule does not apply.
    pub blocks: Vec<u64>,
}

impl EncodedRecord {
    /// Whether the record has anything encoded.
    pub fn is_empty(&self) -> bool {
        self.filters.iter().all(Option::is_none)
    }
}

/// The encoder: settings and the keys derived from the secrets.
pub struct Encoder {
    settings: Settings,
    field_keys: Vec<(u64, u64)>,
    block_key: (u64, u64),
    flip_key: (u64, u64),
    pseudonym_key: [u8; 32],
    nicknames: Nicknames,
}

/// One field's tokens, written one after another into one buffer (no allocation per token).
#[derive(Default)]
pub struct Sink {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Sink {
    fn push(&mut self, token: &[u8]) {
        self.bytes.extend_from_slice(token);
        self.ends.push(self.bytes.len());
    }

    fn push_tagged(&mut self, tag: u8, rest: &[u8]) {
        self.bytes.push(tag);
        self.bytes.extend_from_slice(rest);
        self.ends.push(self.bytes.len());
    }

    fn fmt(&mut self, args: std::fmt::Arguments<'_>) {
        use std::io::Write as _;
        let _ = self.bytes.write_fmt(args);
        self.ends.push(self.bytes.len());
    }

    /// The tokens, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(a, b)| &self.bytes[a..b])
    }

    /// Whether there is no token.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Letter pairs of ` s `, padded so that first and last letters count.
fn bigrams(s: &str, tag: u8, out: &mut Sink) {
    if s.is_empty() {
        return;
    }
    let mut prev = b' ';
    for c in s.bytes().chain(std::iter::once(b' ')) {
        out.push(&[tag, prev, c]);
        prev = c;
    }
}

impl Encoder {
    /// An encoder with the shared `secret` and the force's own `force_secret` for pseudonyms.
    /// Without a force secret, the pseudonym key is derived from the shared secret and the
    /// force's name (DESIGN.md says what that allows another party holding the secret to do).
    pub fn new(hardening: Hardening, secret: &Secret, force_secret: Option<&Secret>, force: &str) -> Encoder {
        let settings = Settings::new(hardening, secret);
        // Forename and surname share a key (and their letter pairs a tag), so that the hub can
        // compare one record's forename with the other's surname when names are swapped.
        let field_keys = settings
            .fields
            .iter()
            .map(|f| secret.sip_key(&format!("field {}", if f.name == "surname" { "forename" } else { &f.name })))
            .collect();
        let pseudonym_key = match force_secret {
            Some(s) => s.derive("pseudonym"),
            None => secret.derive(&format!("pseudonym for {force}")),
        };
        Encoder {
            field_keys,
            block_key: secret.sip_key("blocking"),
            flip_key: secret.sip_key("flips"),
            pseudonym_key,
            settings,
            nicknames: Nicknames::builtin(),
        }
    }

    /// The settings written into the encodings file.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The pseudonym of `record_id` in `force`: HMAC-SHA256 with the pseudonym key, 16 bytes
    /// as hex.
    pub fn pseudonym(&self, force: &str, record_id: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.pseudonym_key).expect("HMAC takes any key length");
        mac.update(force.as_bytes());
        mac.update(&[0x1f]);
        mac.update(record_id.as_bytes());
        let out = mac.finalize().into_bytes();
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(32);
        for b in &out[..16] {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0xf)]));
        }
        hex
    }

    /// The pseudonym of report `incident_ref` in `force`: HMAC-SHA256 with the pseudonym key
    /// (the force's own), 16 bytes as hex; separated from record pseudonyms by its own
    /// delimiter byte, so no reference and record id share one.
    pub fn reference_pseudonym(&self, force: &str, incident_ref: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.pseudonym_key).expect("HMAC takes any key length");
        mac.update(force.as_bytes());
        mac.update(&[0x1e]);
        mac.update(incident_ref.as_bytes());
        let out = mac.finalize().into_bytes();
        out[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The tokens of each field of a normalised record, in field order.
    pub fn tokens(&self, f: &Features) -> Vec<Vec<Vec<u8>>> {
        self.sinks(f).iter().map(|s| s.iter().map(<[u8]>::to_vec).collect()).collect()
    }

    /// The tokens of each field, in field order, each field's in one buffer.
    pub fn sinks(&self, f: &Features) -> Vec<Sink> {
        self.settings
            .fields
            .iter()
            .map(|spec| {
                let mut t = Sink::default();
                match spec.name.as_str() {
                    "forename" => {
                        if f.forename.len() == 1 {
                            // An initial is its leading letter pair alone: contained in the
                            // filter of every forename that starts with it.
                            t.push(&[b'f', b' ', f.forename.as_bytes()[0]]);
                        } else {
                            bigrams(&f.forename, b'f', &mut t);
                            self.nickname_token(f, &mut t);
                        }
                    }
                    "surname" => bigrams(&f.surname, b'f', &mut t),
                    "sex" if f.sex != 0 => t.push(&[b'x', f.sex]),
                    "dob" => {
                        let d = f.dob;
                        if d.year != 0 {
                            t.fmt(format_args!("y{}", d.year));
                            if d.month != 0 {
                                t.fmt(format_args!("m{}", d.month));
                                t.fmt(format_args!("ym{}-{}", d.year, d.month));
                            }
                            if d.day != 0 {
                                t.fmt(format_args!("d{}", d.day));
                                t.fmt(format_args!("yd{}-{}", d.year, d.day));
                            }
                            // Month and day as values, wherever written: a transposed date keeps them.
                            for v in [d.month, d.day].into_iter().filter(|v| *v != 0) {
                                t.fmt(format_args!("v{v}"));
                            }
                            if d.month != 0 && d.day != 0 {
                                t.fmt(format_args!("md{}-{}", d.month, d.day));
                                // Day and month transposed still share this token.
                                t.fmt(format_args!("dm{}-{}", d.month.min(d.day), d.month.max(d.day)));
                            }
                            // The decade and the year's digits: a year typo keeps some.
                            t.fmt(format_args!("c{}", d.year / 10));
                        }
                    }
                    "address" => bigrams(&f.address, b'a', &mut t),
                    "postcode" => bigrams(&f.postcode, b'p', &mut t),
                    "phone" if f.phone != 0 => {
                        let digits = f.phone.to_string();
                        let tail = &digits[digits.len().saturating_sub(10)..];
                        bigrams(tail, b't', &mut t);
                    }
                    "email" => bigrams(&f.email, b'e', &mut t),
                    "handles" => {
                        for h in &f.handle_names {
                            bigrams(h, b'h', &mut t);
                        }
                    }
                    "ids" => {
                        bigrams(&f.pnc, b'c', &mut t);
                        bigrams(&f.ni, b'i', &mut t);
                    }
                    _ => {}
                }
                t
            })
            .collect()
    }

    fn nickname_token(&self, f: &Features, t: &mut Sink) {
        if f.forename.is_empty() {
            return;
        }
        // Three tokens, so that a nickname and its formal name ("Bob", "Robert") share enough
        // of their filters not to look like two different forenames.
        let g = self.nicknames.group_of(&f.forename);
        for tag in [b'g', b'h', b'j'] {
            t.push_tagged(tag, g.as_bytes());
        }
    }

    /// Encodes one row.
    pub fn encode(&self, row: &Involvement) -> EncodedRecord {
        let f = normalise(row, &self.nicknames);
        let pseudonym = self.pseudonym(row.force.name(), &row.record_id);
        self.encode_features(&f, pseudonym)
    }

    /// Encodes one normalised record under `pseudonym`.
    pub fn encode_features(&self, f: &Features, pseudonym: String) -> EncodedRecord {
        let tokens = self.sinks(f);
        let flip_seed = SipHasher13::new_with_keys(self.flip_key.0, self.flip_key.1).hash(pseudonym.as_bytes());
        let filters = self
            .settings
            .fields
            .iter()
            .zip(&tokens)
            .zip(&self.field_keys)
            .enumerate()
            .map(|(i, ((spec, toks), key))| {
                if toks.is_empty() {
                    return None;
                }
                let bits = u64::from(spec.bits);
                let mut words = vec![0u64; spec.bits as usize / 64];
                let sip = SipHasher13::new_with_keys(key.0, key.1);
                for tok in toks.iter() {
                    let h = sip.hash(tok);
                    let mut g = SplitMix::from_state(h.h1);
                    for _ in 0..spec.k {
                        let r = g.next_u64() ^ h.h2;
                        let pos = ((u128::from(r) * u128::from(bits)) >> 64) as usize;
                        words[pos / 64] |= 1 << (pos % 64);
                    }
                }
                if self.settings.flips_per_10k > 0 {
                    flip(
                        &mut words,
                        self.settings.flips_per_10k,
                        flip_seed.h1 ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ flip_seed.h2,
                    );
                }
                Some(words)
            })
            .collect();
        let block = SipHasher13::new_with_keys(self.block_key.0, self.block_key.1);
        let blocks = RULES
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let k = (rule.key)(f);
                if k == 0 {
                    return 0;
                }
                let mut buf = [0u8; 9];
                buf[0] = i as u8;
                buf[1..].copy_from_slice(&k.to_le_bytes());
                block.hash(&buf).h1 | 1
            })
            .collect();
        EncodedRecord { pseudonym, filters, blocks }
    }
}

/// Flips each bit with probability `per_10k` / 10,000, by a generator seeded with `seed`:
/// gaps between flips are drawn from the geometric distribution.
fn flip(words: &mut [u64], per_10k: u32, seed: u64) {
    let mut g = SplitMix::from_state(seed);
    let p = f64::from(per_10k) / 10_000.0;
    let total = words.len() * 64;
    let ln_q = (1.0 - p).ln();
    let mut pos = 0usize;
    loop {
        let u = ((g.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        pos += (u.ln() / ln_q) as usize;
        if pos >= total {
            break;
        }
        words[pos / 64] ^= 1 << (pos % 64);
        pos += 1;
    }
}

/// What encoding a file did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct EncodeSummary {
    /// Records encoded.
    pub records: usize,
    /// Records with nothing to encode (no name, date of birth, address, contact or id): they
    /// are sent, and stay singletons at the hub.
    pub empty: usize,
    /// Per field, records that have it.
    pub fields: Vec<(String, usize)>,
}

/// Encodes `rows` (one party's) in parallel, in order.
pub fn encode_people(encoder: &Encoder, rows: &[Involvement]) -> (Vec<EncodedRecord>, EncodeSummary) {
    let encoded: Vec<EncodedRecord> = rows.par_iter().with_min_len(256).map(|r| encoder.encode(r)).collect();
    let mut summary = EncodeSummary { records: encoded.len(), ..EncodeSummary::default() };
    summary.empty = encoded.iter().filter(|e| e.is_empty()).count();
    summary.fields = encoder
        .settings
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| (f.name.clone(), encoded.iter().filter(|e| e.filters[i].is_some()).count()))
        .collect();
    (encoded, summary)
}

/// What the force sends about each row's report, beside its encodings (`conduct encode
/// --incidents`): the row's role, the report's reference pseudonymised with the force's own key
/// ([`Encoder::reference_pseudonym`]), its recorded date and its offence codes. Nothing else of
/// the report (no narrative, description, outcome, links or flags). A row whose report is not
/// among `incidents` gets `None`; the second value counts them.
pub fn report_facts(encoder: &Encoder, rows: &[Involvement], incidents: &[Incident]) -> (Vec<Option<ReportFacts>>, usize) {
    let index: HashMap<(&str, &str), &Incident> = incidents.iter().map(|i| ((i.force.name(), i.incident_ref.as_str()), i)).collect();
    let mut missing = 0;
    let facts = rows
        .iter()
        .map(|r| {
            let Some(i) = index.get(&(r.force.name(), r.incident_ref.as_str())) else {
                missing += 1;
                return None;
            };
            let codes: Vec<&str> =
                std::iter::once(i.offence_code.as_str()).chain(i.secondary_offence_codes.iter().map(|c| c.as_str())).collect();
            Some(ReportFacts {
                role: r.role.as_str().to_string(),
                reference: encoder.reference_pseudonym(r.force.name(), &i.incident_ref),
                date: i.recorded_date.to_string(),
                offence_codes: codes.join(";"),
            })
        })
        .collect();
    (facts, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret::from_bytes(s.as_bytes().to_vec()).unwrap()
    }

    fn features(forename: &str, surname: &str) -> Features {
        Features {
            forename: forename.to_lowercase().into(),
            surname: surname.to_lowercase().into(),
            dob: conduct_resolve::normalise::Dob { year: 1984, month: 3, day: 12 },
            ..Features::default()
        }
    }

    fn dice(a: &[u64], b: &[u64]) -> f64 {
        let both: u32 = a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum();
        let n: u32 = a.iter().chain(b).map(|x| x.count_ones()).sum();
        2.0 * f64::from(both) / f64::from(n)
    }

    #[test]
    fn the_same_record_encodes_the_same_and_another_secret_differently() {
        let a = Encoder::new(Hardening::Default, &secret("0123456789abcdef0123"), None, "Kent");
        let b = Encoder::new(Hardening::Default, &secret("0123456789abcdef0124"), None, "Kent");
        let f = features("Jane", "Smith");
        assert_eq!(a.encode_features(&f, "p1".into()), a.encode_features(&f, "p1".into()));
        assert_ne!(a.encode_features(&f, "p1".into()).filters, b.encode_features(&f, "p1".into()).filters);
        assert_ne!(a.settings().key_check, b.settings().key_check);
    }

    #[test]
    fn flips_make_equal_values_differ_but_stay_similar() {
        let e = Encoder::new(Hardening::Default, &secret("0123456789abcdef0123"), None, "Kent");
        let f = features("Jane", "Smith");
        let (x, y) = (e.encode_features(&f, "p1".into()), e.encode_features(&f, "p2".into()));
        let (nx, ny) = (x.filters[1].as_ref().unwrap(), y.filters[1].as_ref().unwrap());
        assert_ne!(nx, ny, "two records with one surname carry different patterns");
        assert!(dice(nx, ny) > 0.85, "{}", dice(nx, ny));
        let other = e.encode_features(&features("Tom", "Brown"), "p3".into());
        assert!(dice(nx, other.filters[1].as_ref().unwrap()) < 0.5);
    }

    #[test]
    fn a_surname_and_the_same_word_as_forename_share_their_bits() {
        let e = Encoder::new(Hardening::None, &secret("0123456789abcdef0123"), None, "Kent");
        let (a, b) = (e.encode_features(&features("Jane", "Smith"), "p".into()), e.encode_features(&features("Smith", "Jane"), "p".into()));
        let (fa, sa, fb, sb) = (
            a.filters[0].as_ref().unwrap(),
            a.filters[1].as_ref().unwrap(),
            b.filters[0].as_ref().unwrap(),
            b.filters[1].as_ref().unwrap(),
        );
        assert!(dice(fa, fb) < 0.4, "different forenames");
        // The forename carries its nickname group's tokens too; the letter pairs are the same.
        assert!(dice(sa, fb) > 0.7, "{}", dice(sa, fb));
        assert!(dice(fa, sb) > 0.7, "{}", dice(fa, sb));
    }

    #[test]
    fn an_initial_is_contained_in_the_forenames_it_may_stand_for() {
        let e = Encoder::new(Hardening::None, &secret("0123456789abcdef0123"), None, "Kent");
        let ini = e.encode_features(&features("J", "Smith"), "p".into()).filters[0].clone().unwrap();
        let full = e.encode_features(&features("Jane", "Smith"), "p".into()).filters[0].clone().unwrap();
        let other = e.encode_features(&features("Mary", "Smith"), "p".into()).filters[0].clone().unwrap();
        let contained = |a: &[u64], b: &[u64]| a.iter().zip(b).all(|(x, y)| x & y == *x);
        assert!(contained(&ini, &full));
        assert!(!contained(&ini, &other));
        assert!(ini.iter().map(|w| w.count_ones()).sum::<u32>() <= 8);
    }

    #[test]
    fn pseudonyms_depend_on_the_force_key() {
        let s = secret("0123456789abcdef0123");
        let own = secret("fedcba9876543210fedc");
        let a = Encoder::new(Hardening::Default, &s, None, "Kent");
        let b = Encoder::new(Hardening::Default, &s, Some(&own), "Kent");
        assert_eq!(a.pseudonym("Kent", "r1").len(), 32);
        assert_ne!(a.pseudonym("Kent", "r1"), b.pseudonym("Kent", "r1"));
        assert_ne!(a.pseudonym("Kent", "r1"), a.pseudonym("Kent", "r2"));
    }

    #[test]
    fn flip_rate_is_near_its_setting() {
        let mut words = vec![0u64; 1024];
        flip(&mut words, 100, 7);
        let set: u32 = words.iter().map(|w| w.count_ones()).sum();
        assert!((500..=820).contains(&set), "{set} of 65536 bits flipped at 1%");
    }
}

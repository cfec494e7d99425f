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
//! Hardening, in two steps, both on by default (`--hardening diffused`, [`Hardening::Default`],
//! since schema 3):
//!
//! 1. **Flips.** Each filter has 1% of its bits flipped, by a generator seeded from the
//!    record's own keyed pseudonym, so two records with the same value carry different
//!    patterns (counting identical patterns says nothing about how common a value is) while
//!    re-encoding the same record gives the same bits. Alone (`--hardening flips`,
//!    [`Hardening::Flips`], the default of schemas 1 and 2) they do not resist the clustered
//!    attack (65.5% of records re-identified, `docs/benchmarks.md`).
//! 2. **Diffusion** of the forename and surname filters (Armknecht, Heng and Schnell 2023):
//!    each of the 512 bits sent is the XOR of [`DIFFUSION_T`] (8) bits of the flipped Bloom
//!    filter at keyed positions, so a sent bit belongs to no letter pair and the image is about
//!    half set whatever the name; the Bloom filter's set-bit count is sent beside it (one more
//!    word). The clustered attack re-identifies about 0.5% of records from it.
//!
//! Diffusion hides what a nickname or a short form shares with its formal name: "Bob" and
//! "Robert", or "Lou" and "Louise", differ in more letter pairs than the hub can still estimate
//! through it, look like two different forenames, and the hub's forename veto would keep them
//! apart. The default encoding therefore sends, beside the blocking tokens and keyed like them
//! (SipHash with the blocking key), the [`SHORT_FORM_TOKENS`]: the forename itself when it
//! has 3 to 5 letters, and its first 3, 4 and 5 letters when it is longer, each with the
//! surname's sound and the birth year. The hub lifts a far-apart diffused forename to a
//! nickname's level ([`crate::hub::NICKNAME_LEVEL`]) when the two records share the blocking
//! token "forename group + surname sound + birth year" (one nickname group; already sent) or
//! when one's whole forename token is among the other's prefix tokens (a short form); it
//! blocks on neither.
//!
//! **What the hub can learn.** Of each record: the pseudonym; which fields it has; per field
//! the number of bits its Bloom filter sets (about the value's length in letter pairs, blurred
//! by the flips); which records share each keyed blocking token (so how many records share a
//! full name, a surname sound with a date of birth, a phone…, never the value). Of two
//! records: for each undiffused field, the bits their filters share (the similarity of their
//! values); for a diffused name, an estimate of it ([`distance_table`]) that is close for
//! values within a few letter pairs of each other and says only "far apart" once they differ
//! in more than about seven. The date of birth, address, postcode, phone, e-mail, handles and
//! identifiers are never diffused (diffusing the date cost 0.02 F1 on the synthetic world).
//! From the short-form tokens (default hardening): which records share a forename prefix of
//! 3, 4 or 5 letters, or have a forename of 3 to 5 letters that is such a prefix, together with
//! the surname's sound and the birth year. Records sharing a surname sound and birth year are
//! already grouped by the blocking tokens ("forename group + surname sound + birth year", "name
//! sounds + birth year"); the new tokens split those groups by forename prefix. A token never
//! stands for a forename alone (a forename-only token would let anyone count forenames and
//! align them with a population's, the attack the diffusion defeats). Which of the four tokens
//! a record has tells its forename's length exactly for 3, 4 and 5 letters, and "6 or more"
//! otherwise (the set-bit count told it only roughly); the attack reads both that and the
//! shared prefixes ([`crate::attack`], `docs/benchmarks.md` for what they add).
//! Anyone with the hub's view and a population (the attack) can count clusters of
//! near-identical names and align the most frequent with the population's most frequent
//! names: that much remains under any hardening the hub can still link through.

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

/// The encodings' schema version: a hub refuses files of another. Version 2: a field's
/// filter may be diffused ([`FieldSpec::diffusion`]) and then carries its set-bit count in one
/// more word, which a version-1 hub would misread. Version 3: the default hardening is the
/// diffused one (a version-2 file's `default` meant the flips alone), whose tokens end with
/// the [`SHORT_FORM_TOKENS`].
pub const SCHEMA_VERSION: u32 = 3;

/// Input bits XORed into each output bit of a diffused filter ([`Hardening::Default`]).
/// Measured on the synthetic world (`docs/benchmarks.md`): 8 recovers about as much linkage
/// as 4 while leaving the attack far less; 16 costs more F1 for no measured gain in resistance.
pub const DIFFUSION_T: u32 = 8;

/// Keyed tokens sent after the blocking rules' with the default (diffused) hardening, in this
/// order, for the hub to see what a short form shares with its full forename ("Lou",
/// "Louise"), which diffusion hides: the forename itself when it has 3 to 5 letters, then its
/// first 3, 4 and 5 letters when it is longer; each with the surname's sound and the birth
/// year, as the blocking token "forename group + surname sound + birth year" is. The hub
/// blocks on none of them: two records are a forename and its short form when one's whole
/// forename token is among the other's prefix tokens.
pub const SHORT_FORM_TOKENS: [&str; 4] = [
    "forename of 3 to 5 letters + surname sound + birth year",
    "forename's first 3 letters + surname sound + birth year",
    "forename's first 4 letters + surname sound + birth year",
    "forename's first 5 letters + surname sound + birth year",
];

/// How much the encodings are hardened against re-identification.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Hardening {
    /// The default since schema 3 (`--hardening diffused`): 1% of each filter's bits flipped
    /// per record, seeded by the record's pseudonym, then the forename and surname filters
    /// pass through a keyed diffusion layer ([`DIFFUSION_T`]). What a nickname shares with its
    /// formal name, which diffusion hides, reaches the hub through the keyed blocking token
    /// "forename group + surname sound + birth year" (see the module docs).
    #[default]
    #[serde(alias = "diffused")]
    Default,
    /// The flips alone (`--hardening flips`; the default of schemas 1 and 2): falls to the
    /// clustered attack, kept to measure what diffusion buys.
    Flips,
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
    /// Diffusion: each sent bit is the XOR of this many bits of the Bloom filter, at keyed
    /// positions (0: the Bloom filter is sent as it is). A diffused filter is followed by one
    /// word holding the Bloom filter's set-bit count.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub diffusion: u32,
    /// A diffused filter's length in bits (a multiple of 64; 0: as long as the Bloom filter).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub diffused_bits: u32,
}

fn is_zero(x: &u32) -> bool {
    *x == 0
}

impl FieldSpec {
    /// Words (64 bits) of a filter as compared: the Bloom filter, or its diffused image.
    pub fn compared_words(&self) -> usize {
        self.compared_bits() as usize / 64
    }

    /// Bits of a filter as compared.
    pub fn compared_bits(&self) -> u32 {
        if self.diffusion > 0 && self.diffused_bits > 0 { self.diffused_bits } else { self.bits }
    }

    /// Words of a filter as stored: a diffused filter carries its set-bit count in one more.
    pub fn stored_words(&self) -> usize {
        self.compared_words() + usize::from(self.diffusion > 0)
    }

    /// The Bloom filter's set-bit count of a stored filter.
    pub fn pop(&self, stored: &[u64]) -> u32 {
        if self.diffusion > 0 {
            stored[self.compared_words()].min(u64::from(self.bits)) as u32
        } else {
            stored.iter().map(|w| w.count_ones()).sum()
        }
    }
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
        let f = |name: &str, bits, k| FieldSpec { name: name.to_string(), bits, k, measure: Measure::Dice, diffusion: 0, diffused_bits: 0 };
        let mut fields = vec![f("forename", 512, 8), f("surname", 512, 8)];
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
        if hardening == Hardening::Default {
            // The names only: diffusing the date of birth as well (t = 8) cost 0.02 F1 on the
            // synthetic world, since a date with one part wrong differs from the true date in
            // about as many bits as two unrelated names.
            for spec in fields.iter_mut().filter(|s| matches!(s.name.as_str(), "forename" | "surname")) {
                spec.diffusion = DIFFUSION_T;
            }
        }
        Settings {
            schema: SCHEMA_VERSION,
            hardening,
            flips_per_10k: if hardening == Hardening::None { 0 } else { 100 },
            fields,
            blocking_rules: RULES
                .iter()
                .map(|r| r.name)
                .chain(SHORT_FORM_TOKENS.into_iter().filter(|_| hardening == Hardening::Default))
                .map(str::to_string)
                .collect(),
            key_check: secret.check_value(),
        }
    }

    /// Words (64 bits) in each field's filter as stored ([`FieldSpec::stored_words`]).
    pub fn words(&self) -> Vec<usize> {
        self.fields.iter().map(FieldSpec::stored_words).collect()
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
            if f.diffusion > 64 || f.diffusion > f.bits || f.diffused_bits % 64 != 0 || f.diffused_bits > 8192 {
                return Err(format!(
                    "field {} has a diffusion of {} bits per output bit into {} bits (at most 64, into a multiple of 64 up to 8192)",
                    f.name, f.diffusion, f.diffused_bits
                ));
            }
        }
        // The hub reads each token by its rule (which fields it is made of, which is the full
        // name): the rules must be this version's, in this order.
        let rules = RULES.iter().map(|r| r.name);
        let names = self.blocking_rules.iter().map(String::as_str);
        if !names.clone().eq(rules.clone()) && !names.eq(rules.chain(SHORT_FORM_TOKENS)) {
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
    /// Per field, its diffusion layer column by column: for each Bloom filter bit, the output
    /// bits it is XORed into (`bits / 64` words each); `None` for a field sent as it is.
    diffusion: Vec<Option<Vec<u64>>>,
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
        let diffusion = settings
            .fields
            .iter()
            .map(|f| {
                (f.diffusion > 0).then(|| {
                    // Forename and surname share their layer as they share their key.
                    let name = if f.name == "surname" { "forename" } else { &f.name };
                    diffusion_layer(f.bits, f.compared_bits(), f.diffusion, secret.sip_key(&format!("diffusion {name}")))
                })
            })
            .collect();
        Encoder {
            diffusion,
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
                if let Some(layer) = &self.diffusion[i] {
                    return Some(diffuse(&words, layer));
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
        let mut blocks: Vec<u64> = blocks;
        if self.settings.blocking_rules.len() > RULES.len() {
            blocks.extend(short_form_tokens(f, &block));
        }
        EncodedRecord { pseudonym, filters, blocks }
    }
}

/// The [`SHORT_FORM_TOKENS`] of a record (0 where one does not apply): keyed like the blocking
/// tokens, over the forename or its prefix, the surname's sound and the birth year, so that a
/// whole forename token and a prefix token agree when the strings do.
fn short_form_tokens(f: &Features, block: &SipHasher13) -> [u64; 4] {
    let mut out = [0u64; 4];
    let letters = f.forename.chars().count();
    if f.forename.is_empty() || f.surname_phon == 0 {
        return out;
    }
    let token = |k: usize| {
        let mut buf: Vec<u8> = Vec::with_capacity(32);
        buf.push(0xf5);
        let end = f.forename.char_indices().nth(k).map_or(f.forename.len(), |(i, _)| i);
        buf.extend_from_slice(&f.forename.as_bytes()[..end]);
        buf.push(0);
        buf.extend_from_slice(&f.surname_phon.to_le_bytes());
        buf.extend_from_slice(&f.dob.year.to_le_bytes());
        block.hash(&buf).h1 | 1
    };
    if (3..=5).contains(&letters) {
        out[0] = token(letters);
    }
    for (slot, k) in (3..=5).enumerate() {
        if letters > k {
            out[slot + 1] = token(k);
        }
    }
    out
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

/// A keyed diffusion layer for `bits`-bit filters (Armknecht, Heng and Schnell 2023): each
/// output bit is the XOR of `t` distinct input bits at positions drawn by a generator seeded
/// with `key`. Stored column by column: for input bit `i`, the output bits it feeds, in
/// `bits / 64` words from `i * bits / 64`.
fn diffusion_layer(bits: u32, out_bits: u32, t: u32, key: (u64, u64)) -> Vec<u64> {
    let m = bits as usize;
    let w = out_bits as usize / 64;
    let mut cols = vec![0u64; m * w];
    let mut g = SplitMix::from_state(SipHasher13::new_with_keys(key.0, key.1).hash(&bits.to_le_bytes()).h1);
    let mut chosen: Vec<usize> = Vec::with_capacity(t as usize);
    for out in 0..out_bits as usize {
        chosen.clear();
        while chosen.len() < t as usize {
            let i = g.below(bits.into()) as usize;
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        for &i in &chosen {
            cols[i * w + out / 64] |= 1 << (out % 64);
        }
    }
    cols
}

/// The diffused image of a Bloom filter, followed by the filter's set-bit count.
fn diffuse(words: &[u64], layer: &[u64]) -> Vec<u64> {
    let w = layer.len() / (words.len() * 64);
    let mut out = vec![0u64; w + 1];
    for (wi, &x) in words.iter().enumerate() {
        let mut x = x;
        while x != 0 {
            let i = wi * 64 + x.trailing_zeros() as usize;
            x &= x - 1;
            for (o, c) in out.iter_mut().zip(&layer[i * w..(i + 1) * w]) {
                *o ^= c;
            }
        }
    }
    out[w] = words.iter().map(|x| u64::from(x.count_ones())).sum();
    out
}

/// For a diffused field of `bits` Bloom filter bits, `t` inputs per output bit and `out_bits`
/// output bits: per count `x` of output bits in which two diffused filters differ (0 to
/// `out_bits`), the estimated number of
/// Bloom filter bits in which they differ. An output bit differs when an odd number of its `t`
/// inputs do, which happens with probability p(d) = Σ_{j odd} C(d,j)·C(m−d,t−j) / C(m,t) for
/// `d` differing inputs; the table inverts p (linearly between whole `d`) and stops where p
/// stops rising, near 1/2: beyond that, two filters look like strangers whatever they hold.
/// The second table is the estimate's variance (binomial noise of `x` through the inverse).
pub fn distance_table(bits: u32, t: u32, out_bits: u32) -> (Vec<f32>, Vec<f32>) {
    let m = bits as usize;
    let l = out_bits as usize;
    let t = t as usize;
    let mut lnf = vec![0f64; m + 1];
    for i in 1..=m {
        lnf[i] = lnf[i - 1] + (i as f64).ln();
    }
    let ln_c = |n: usize, k: usize| if k > n { f64::NEG_INFINITY } else { lnf[n] - lnf[k] - lnf[n - k] };
    let p: Vec<f64> = (0..=m / 2).map(|d| (1..=t).step_by(2).map(|j| (ln_c(d, j) + ln_c(m - d, t - j) - ln_c(m, t)).exp()).sum()).collect();
    // Where p stops rising.
    let top = (1..p.len()).find(|&d| p[d] <= p[d - 1]).map_or(p.len() - 1, |d| d - 1);
    // Where the binomial noise of the count (2.5 standard deviations) reaches the top, the
    // count says only "far apart": inverting it there would turn a little noise into a large
    // shared part (two unrelated forenames at Dice 0.5).
    let lf = out_bits as f64;
    let sat = p[top] - 2.5 * 0.5 / lf.sqrt();
    let inv = |h: f64| -> f64 {
        if h >= sat {
            return top as f64;
        }
        let d = p[..=top].partition_point(|&x| x <= h).max(1) - 1;
        let (lo, hi) = (p[d], p[d + 1]);
        d as f64 + if hi > lo { (h - lo) / (hi - lo) } else { 0.0 }
    };
    let mf = m as f64;
    let est: Vec<f32> = (0..=l).map(|x| inv(x as f64 / lf) as f32).collect();
    let var = (0..=l)
        .map(|x| {
            let h = x as f64 / lf;
            let slope = (inv((x as f64 + 1.0) / lf) - inv((x as f64 - 1.0).max(0.0) / lf)) / 2.0;
            let v = slope * slope * lf * h.max(1.0 / lf) * (1.0 - h).max(1.0 / lf);
            // Saturated: no information (a variance as large as the filter).
            if h >= sat { (mf * mf) as f32 } else { v as f32 }
        })
        .collect();
    (est, var)
}

/// How a field's stored filters compare: bits in common (estimated, for a diffused field)
/// and set-bit counts. The hub and the attack both compare through it.
#[derive(Clone, Debug)]
pub struct Comparer {
    spec: FieldSpec,
    table: Option<(Vec<f32>, Vec<f32>)>,
}

impl Comparer {
    /// The comparer of a field.
    pub fn new(spec: &FieldSpec) -> Comparer {
        Comparer {
            spec: spec.clone(),
            table: (spec.diffusion > 0).then(|| distance_table(spec.bits, spec.diffusion, spec.compared_bits())),
        }
    }

    /// The Bloom filter's set-bit count of a stored filter.
    pub fn pop(&self, stored: &[u64]) -> u32 {
        self.spec.pop(stored)
    }

    /// Bits the two Bloom filters have in common, estimated for a diffused field from the
    /// bits in which their images differ; and the estimate's variance (0 when exact).
    pub fn common(&self, a: &[u64], b: &[u64]) -> (f32, f32) {
        let w = self.spec.compared_words();
        match &self.table {
            None => (a[..w].iter().zip(&b[..w]).map(|(x, y)| (x & y).count_ones()).sum::<u32>() as f32, 0.0),
            Some((est, var)) => {
                let x: u32 = a[..w].iter().zip(&b[..w]).map(|(x, y)| (x ^ y).count_ones()).sum();
                let (pa, pb) = (self.pop(a) as f32, self.pop(b) as f32);
                (((pa + pb - est[x as usize]) / 2.0).clamp(0.0, pa.min(pb)), var[x as usize] / 4.0)
            }
        }
    }

    /// Bits set in both stored filters as compared (the images, for a diffused field).
    pub fn overlap(&self, a: &[u64], b: &[u64]) -> u32 {
        let w = self.spec.compared_words();
        a[..w].iter().zip(&b[..w]).map(|(x, y)| (x & y).count_ones()).sum()
    }

    /// For a diffused field, its inputs per output bit and output bits.
    pub fn diffusion(&self) -> Option<(u32, u32)> {
        (self.spec.diffusion > 0).then(|| (self.spec.diffusion, self.spec.compared_bits()))
    }

    /// Dice: 2|A∩B| / (|A|+|B|), estimated for a diffused field.
    pub fn dice(&self, a: &[u64], b: &[u64]) -> f64 {
        let n = self.pop(a) + self.pop(b);
        if n == 0 { 1.0 } else { 2.0 * f64::from(self.common(a, b).0) / f64::from(n) }
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
        let e = Encoder::new(Hardening::Flips, &secret("0123456789abcdef0123"), None, "Kent");
        let f = features("Jane", "Smith");
        let (x, y) = (e.encode_features(&f, "p1".into()), e.encode_features(&f, "p2".into()));
        let (nx, ny) = (x.filters[1].as_ref().unwrap(), y.filters[1].as_ref().unwrap());
        assert_ne!(nx, ny, "two records with one surname carry different patterns");
        let cmp = Comparer::new(&e.settings().fields[1]);
        assert!(cmp.dice(nx, ny) > 0.8, "{}", cmp.dice(nx, ny));
        let other = e.encode_features(&features("Tom", "Brown"), "p3".into());
        assert!(cmp.dice(nx, other.filters[1].as_ref().unwrap()) < 0.5);
    }

    #[test]
    fn diffusion_keeps_near_values_near_and_hides_what_unrelated_values_share() {
        let s = secret("0123456789abcdef0123");
        let (plain, hard) = (Encoder::new(Hardening::None, &s, None, "Kent"), Encoder::new(Hardening::Default, &s, None, "Kent"));
        let spec = &hard.settings().fields[1];
        assert_eq!((spec.name.as_str(), spec.diffusion), ("surname", DIFFUSION_T));
        assert_eq!(hard.settings().fields.iter().filter(|f| f.diffusion > 0).count(), 2, "forename and surname");
        let cmp = Comparer::new(spec);
        let surname = |e: &Encoder, name: &str, p: &str| e.encode_features(&features("Jane", name), p.into()).filters[1].clone().unwrap();
        // Near values: the estimate follows the Bloom filters' own Dice.
        for (a, b) in [("smith", "smyth"), ("thompson", "thomson"), ("robinson", "robertson")] {
            let truth = dice(&surname(&plain, a, "p1"), &surname(&plain, b, "p2"));
            let (x, y) = (surname(&hard, a, "p1"), surname(&hard, b, "p2"));
            assert_eq!(x.len(), 512 / 64 + 1, "the image and the set-bit count");
            assert!((cmp.dice(&x, &y) - truth).abs() < 0.15, "{a}/{b}: {} against {truth}", cmp.dice(&x, &y));
            // The image is about half full whatever the name: its own count says little.
            let ones: u32 = x[..8].iter().map(|w| w.count_ones()).sum();
            assert!((100..=352).contains(&ones), "{ones}");
        }
        // Unrelated values that share a letter pair or two look like any two strangers: the
        // partial overlaps a graph-matching attack reads are gone.
        let (x, y) = (surname(&hard, "smith", "p1"), surname(&hard, "hargreaves", "p2"));
        assert!(cmp.common(&x, &y).1 > 1000.0, "saturated: {:?}", cmp.common(&x, &y));
    }

    #[test]
    fn the_distance_table_inverts_what_diffusion_does() {
        let (est, var) = distance_table(512, 16, 512);
        assert_eq!(est[0], 0.0);
        assert!(est.windows(2).all(|w| w[0] <= w[1]), "monotone");
        assert!(*est.last().unwrap() <= 256.0);
        assert!(var[20] < var[200], "noisier towards saturation");
    }

    #[test]
    fn settings_of_the_previous_schema_are_refused() {
        let mut old = Settings::new(Hardening::Default, &secret("0123456789abcdef0123"));
        assert!(old.check().is_ok());
        old.schema = 2;
        assert!(old.check().unwrap_err().contains("schema 2"));
        // A file of the old schema read with this version's fields still fails on its schema.
        let json = serde_json::to_string(&old).unwrap();
        let back: Settings = serde_json::from_str(&json).unwrap();
        assert!(back.check().is_err());
        // A schema-2 file's `default` was the flips alone, its `diffused` today's default:
        // both read, and both are refused on their schema, not misread.
        for (label, diffused) in [("default", false), ("diffused", true)] {
            let mut s = Settings::new(if diffused { Hardening::Default } else { Hardening::Flips }, &secret("0123456789abcdef0123"));
            s.schema = 2;
            let json =
                serde_json::to_string(&s).unwrap().replace(if diffused { "\"default\"" } else { "\"flips\"" }, &format!("\"{label}\""));
            assert!(json.contains(&format!("\"hardening\":\"{label}\"")), "{json}");
            let back: Settings = serde_json::from_str(&json).unwrap();
            assert!(back.check().unwrap_err().contains("schema 2"));
        }
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

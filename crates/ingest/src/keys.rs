//! Exact sets of keys — `(force, incident_ref)`, `(force, order_ref)`, `record_id` — in compact
//! memory, for the duplicate and reference checks.
//!
//! A 64-bit hash of the key only picks the bucket: every lookup then compares the force and the
//! key's bytes themselves, so two different keys are never taken for one, however their hashes
//! fall (issue 11: `Kent,K-1` and `Essex,K-8` shared a seeded hash and Essex's report was
//! rejected as a duplicate). The key bytes live in one arena, with a 24-byte entry per key and
//! a chain through the entries that share a hash, so a key costs its length plus about 40 bytes
//! — about 60 bytes for a typical reference, a little more than the 16 bytes a hash alone took,
//! and the price of never losing a valid row.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// No chain continues past this entry.
const END: u32 = u32::MAX;

/// One key: where its bytes are in the arena, the force it belongs to (0 when the key is
/// unique across forces), where it was first seen, and the next entry with the same hash.
#[derive(Clone, Copy, Debug)]
struct Entry {
    start: u64,
    len: u32,
    force: u8,
    file: u32,
    line: u32,
    next: u32,
}

/// The hash is a hash already: hash it no further.
#[derive(Default, Clone, Copy)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only u64s are hashed here; fold anything else in rather than fail.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// A set of keys, each with the place (file index, line) where it was first seen.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyIndex {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
    /// hash → the latest entry with that hash (the head of its chain).
    heads: HashMap<u64, u32, BuildHasherDefault<Prehashed>>,
}

fn hash(force: u8, key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(key, u64::from(force))
}

impl KeyIndex {
    /// The number of distinct keys held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    fn find(&self, h: u64, force: u8, key: &[u8]) -> Option<&Entry> {
        let mut i = *self.heads.get(&h)?;
        while i != END {
            let e = &self.entries[i as usize];
            if e.force == force && self.bytes[e.start as usize..e.start as usize + e.len as usize] == *key {
                return Some(e);
            }
            i = e.next;
        }
        None
    }

    /// Whether the key is held (compared exactly).
    pub fn contains(&self, force: u8, key: &str) -> bool {
        self.find(hash(force, key.as_bytes()), force, key.as_bytes()).is_some()
    }

    /// Adds the key if it is new and returns `None`; if the very same key (same force, same
    /// bytes) is held already, returns where it was first seen and changes nothing.
    pub fn first_or_insert(&mut self, force: u8, key: &str, file: u32, line: u64) -> Option<(u32, u64)> {
        let bytes = key.as_bytes();
        let h = hash(force, bytes);
        if let Some(e) = self.find(h, force, bytes) {
            return Some((e.file, u64::from(e.line)));
        }
        let index = u32::try_from(self.entries.len()).expect("fewer than 4 billion keys in one import");
        let next = self.heads.insert(h, index).unwrap_or(END);
        self.entries.push(Entry {
            start: self.bytes.len() as u64,
            len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            force,
            file,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            next,
        });
        self.bytes.extend_from_slice(&bytes[..bytes.len().min(u32::MAX as usize)]);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_share_a_hash_are_still_told_apart() {
        // Force every key into one bucket by inserting straight into the chain's head: the
        // check must walk the chain and compare bytes and force.
        let mut k = KeyIndex::default();
        assert_eq!(k.first_or_insert(1, "K-1", 0, 2), None);
        assert_eq!(k.first_or_insert(2, "K-1", 0, 3), None, "same reference, other force");
        assert_eq!(k.first_or_insert(1, "K-8", 0, 4), None);
        assert_eq!(k.first_or_insert(1, "K-1", 0, 9), Some((0, 2)));
        assert_eq!(k.first_or_insert(2, "K-1", 1, 9), Some((0, 3)));
        assert!(k.contains(1, "K-8"));
        assert!(!k.contains(3, "K-8"));
        assert!(!k.contains(1, "K-"));
        assert_eq!(k.len(), 3);
    }

    #[test]
    fn a_chain_of_colliding_hashes_compares_every_entry() {
        // Build a chain by hand under one hash value, as a collision would.
        let mut k = KeyIndex::default();
        for (i, key) in ["a", "b", "c"].iter().enumerate() {
            let next = k.heads.insert(42, i as u32).unwrap_or(END);
            k.entries.push(Entry { start: k.bytes.len() as u64, len: 1, force: 7, file: 0, line: i as u32, next });
            k.bytes.extend_from_slice(key.as_bytes());
        }
        for (i, key) in ["a", "b", "c"].iter().enumerate() {
            assert_eq!(k.find(42, 7, key.as_bytes()).map(|e| e.line), Some(i as u32));
        }
        assert!(k.find(42, 7, b"d").is_none());
        assert!(k.find(42, 6, b"a").is_none());
    }

    use proptest::prelude::*;

    /// References of the shapes forces use, and shapes built to collide: short numbers,
    /// prefixed numbers, zero-padded numbers, the same digits in another force, empty-ish and
    /// non-ASCII text.
    fn reference() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u32..100_000).prop_map(|n| n.to_string()),
            (0u32..100_000).prop_map(|n| format!("K-{n}")),
            (0u32..100_000).prop_map(|n| format!("{n:07}")),
            (0u32..1_000, 0u32..100).prop_map(|(n, y)| format!("{n:02}/{n:06}/{y:02}")),
            "[A-Z]{0,2}-?[0-9]{1,3}",
            "\\PC{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// Whatever the keys, a key is reported as seen exactly when the same force and the
        /// same bytes were inserted before: never a different key, never a missed repeat.
        #[test]
        fn a_key_is_a_duplicate_exactly_when_it_was_seen(keys in proptest::collection::vec((0u8..44, reference()), 1..600)) {
            let mut index = KeyIndex::default();
            let mut seen = std::collections::HashMap::new();
            for (i, (force, key)) in keys.iter().enumerate() {
                let got = index.first_or_insert(*force, key, 0, i as u64);
                let want = seen.get(&(*force, key.clone())).map(|&line| (0u32, line));
                prop_assert_eq!(got, want, "force {} key {:?}", force, key);
                seen.entry((*force, key.clone())).or_insert(i as u64);
            }
            prop_assert_eq!(index.len(), seen.len());
            for (force, key) in seen.keys() {
                prop_assert!(index.contains(*force, key));
            }
        }
    }
}

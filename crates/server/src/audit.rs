//! The audit trail: every read of identifiable data, every refusal and every change, appended to
//! a hash-chained log that `conduct audit verify` checks.
//!
//! Entry `n` stores `hash = SHA-256(hash of entry n-1, n, its fields)`, so editing an entry breaks
//! its own hash, deleting one breaks the sequence and the next entry's `prev_hash`, and reordering
//! breaks both. Truncating the end of the log leaves a shorter valid chain: against that, `verify`
//! takes a head recorded earlier (`--expect SEQ:HASH`, printed by every verify) and checks that it
//! is still there. Triggers refuse UPDATE and DELETE on the table in both databases.
//!
//! Entries are written by one thread in batches (group commit): a request that reads identifiable
//! data waits until its entry is committed, so nothing is shown that was not recorded, while 200
//! concurrent readers cost one transaction per batch rather than one each.

use std::sync::mpsc;
use std::thread;

use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::db::{Conn, Pool, Result, Value};

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry, before it is chained.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// Who: a username, or `-` before login.
    pub actor: String,
    /// What kind of act: `read`, `refused`, `login`, `import`, `grant`, `user.add`, …
    pub action: String,
    /// What was touched: `person/P000123`, `course/C000004`, `triage`, …
    pub object: String,
    /// The force whose data it was, or `-`.
    pub force: String,
    /// `allowed`, `denied`, `pseudonymous`, `failed`, …
    pub outcome: String,
    /// Anything else worth keeping (never a name or date of birth).
    pub detail: String,
}

/// The chained hash of an entry.
pub fn chain_hash(prev: &str, seq: i64, at: &str, e: &Entry) -> String {
    let canonical = serde_json::to_string(&[prev, &seq.to_string(), at, &e.actor, &e.action, &e.object, &e.force, &e.outcome, &e.detail])
        .expect("strings serialise");
    hex(&Sha256::digest(canonical.as_bytes()))
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Now, as an RFC 3339 UTC timestamp with milliseconds.
pub fn now() -> String {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let days = secs.div_euclid(86_400) as i32;
    let rem = secs.rem_euclid(86_400);
    let date = conduct_domain::Date::from_days_since_epoch(days);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        date.year(),
        date.month(),
        date.day(),
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
}

/// Appends entries in one transaction, chained onto the current head.
///
/// # Errors
///
/// A [`conduct_store::Error`] when the transaction fails (nothing is appended then).
pub fn append(conn: &mut Conn, entries: &[Entry]) -> Result<()> {
    conn.transaction(|c| {
        if c.is_postgres() {
            // Serialise writers across processes sharing the database.
            c.batch("LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE")?;
        }
        let head = c.query_one("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &[])?;
        let (mut seq, mut prev) = head.map_or((0, GENESIS.to_string()), |r| (r[0].int().unwrap_or(0), r[1].text()));
        let at = now();
        let mut rows = Vec::with_capacity(entries.len());
        for e in entries {
            seq += 1;
            let hash = chain_hash(&prev, seq, &at, e);
            rows.push(vec![
                Value::Int(seq),
                at.clone().into(),
                (&e.actor).into(),
                (&e.action).into(),
                (&e.object).into(),
                (&e.force).into(),
                (&e.outcome).into(),
                (&e.detail).into(),
                prev.clone().into(),
                hash.clone().into(),
            ]);
            prev = hash;
        }
        c.bulk_insert("audit", &["seq", "at", "actor", "action", "object", "force", "outcome", "detail", "prev_hash", "hash"], &rows)
    })
}

type Job = (Entry, oneshot::Sender<std::result::Result<(), String>>);

/// The audit writer: a thread that commits entries in batches.
#[derive(Clone)]
pub struct Auditor {
    tx: mpsc::Sender<Job>,
}

impl Auditor {
    /// Starts the writer on `pool`.
    pub fn start(pool: Pool) -> Auditor {
        let (tx, rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || {
                while let Ok(first) = rx.recv() {
                    let mut jobs = vec![first];
                    while jobs.len() < 1024 {
                        match rx.try_recv() {
                            Ok(j) => jobs.push(j),
                            Err(_) => break,
                        }
                    }
                    let entries: Vec<Entry> = jobs.iter().map(|j| j.0.clone()).collect();
                    let result = crate::db::get(&pool).and_then(|mut c| append(&mut c, &entries)).map_err(|e| e.to_string());
                    for (_, reply) in jobs {
                        let _ = reply.send(result.clone());
                    }
                }
            })
            .expect("start the audit writer");
        Auditor { tx }
    }

    /// Records `entry` and waits until it is committed.
    ///
    /// # Errors
    ///
    /// The error's text when the writer has stopped, or the batch holding the entry could not be
    /// committed.
    pub async fn record(&self, entry: Entry) -> std::result::Result<(), String> {
        let (reply, wait) = oneshot::channel();
        self.tx.send((entry, reply)).map_err(|_| "the audit writer has stopped".to_string())?;
        wait.await.map_err(|_| "the audit writer has stopped".to_string())?
    }
}

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Verification {
    /// Entries read.
    pub entries: u64,
    /// The last entry: (seq, hash).
    pub head: Option<(i64, String)>,
    /// Problems, in log order (at most 100 listed).
    pub problems: Vec<String>,
    /// Problems found in all.
    pub problem_count: u64,
}

impl Verification {
    fn problem(&mut self, p: String) {
        self.problem_count += 1;
        if self.problems.len() < 100 {
            self.problems.push(p);
        }
    }
}

/// Walks the whole log checking sequence, links and hashes; `expect` is a head recorded earlier
/// that must still be present.
///
/// # Errors
///
/// A [`conduct_store::Error`] when the log cannot be read; a broken chain is not an error but the
/// [`Verification`]'s problems.
pub fn verify(conn: &mut Conn, expect: Option<(i64, &str)>) -> Result<Verification> {
    let mut v = Verification::default();
    let mut prev_seq = 0i64;
    let mut prev_hash = GENESIS.to_string();
    let mut expected_seen = false;
    loop {
        let rows = conn.query(
            "SELECT seq, at, actor, action, object, force, outcome, detail, prev_hash, hash FROM audit WHERE seq > ? ORDER BY seq LIMIT 10000",
            &[Value::Int(prev_seq)],
        )?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            let seq = r[0].int().unwrap_or(-1);
            let at = r[1].text();
            let e = Entry {
                actor: r[2].text(),
                action: r[3].text(),
                object: r[4].text(),
                force: r[5].text(),
                outcome: r[6].text(),
                detail: r[7].text(),
            };
            let stored_prev = r[8].text();
            let stored_hash = r[9].text();
            v.entries += 1;
            if seq != prev_seq + 1 {
                v.problem(format!("entries {}..{} are missing (deleted)", prev_seq + 1, seq - 1));
            }
            if stored_prev != prev_hash {
                v.problem(format!(
                    "entry {seq}: its link to the entry before it does not match (an entry before it was deleted or edited)"
                ));
            }
            if chain_hash(&stored_prev, seq, &at, &e) != stored_hash {
                v.problem(format!("entry {seq}: its contents do not match its hash (edited)"));
            }
            if let Some((s, h)) = expect {
                if s == seq {
                    expected_seen = true;
                    if h != stored_hash {
                        v.problem(format!("entry {seq}: not the entry recorded earlier as the head (hash differs)"));
                    }
                }
            }
            prev_seq = seq;
            prev_hash = stored_hash;
        }
    }
    if let Some((s, _)) = expect {
        if !expected_seen {
            v.problem(format!("entry {s}, recorded earlier as the head, is gone: the log was cut short"));
        }
    }
    if v.entries > 0 {
        v.head = Some((prev_seq, prev_hash));
    }
    Ok(v)
}

/// Parses `SEQ:HASH`.
///
/// # Errors
///
/// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid) when `s` is not a number, a `:` and a
/// hash (it is what the user typed, not what the database said).
pub fn parse_head(s: &str) -> std::result::Result<(i64, String), crate::Error> {
    let (a, b) = s.split_once(':').ok_or_else(|| crate::Error::invalid(format!("expected SEQ:HASH, got {s:?}")))?;
    let seq = a.trim().parse().map_err(|_| crate::Error::invalid(format!("expected a number before ':', got {a:?}")))?;
    Ok((seq, b.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Url;

    fn entry(n: usize) -> Entry {
        Entry {
            actor: "alice".into(),
            action: "read".into(),
            object: format!("person/P{n:06}"),
            force: "Kent".into(),
            outcome: "allowed".into(),
            detail: String::new(),
        }
    }

    fn log() -> (tempfile::TempDir, Conn) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Conn::open(&Url::Sqlite(dir.path().join("a.db"))).unwrap();
        conduct_store::migrate(&mut c).unwrap();
        append(&mut c, &(0..5).map(entry).collect::<Vec<_>>()).unwrap();
        append(&mut c, &[entry(5)]).unwrap();
        (dir, c)
    }

    #[test]
    fn an_intact_log_verifies() {
        let (_d, mut c) = log();
        let v = verify(&mut c, None).unwrap();
        assert_eq!(v.entries, 6);
        assert!(v.problems.is_empty(), "{:?}", v.problems);
        let head = v.head.unwrap();
        assert_eq!(head.0, 6);
        assert!(verify(&mut c, Some((6, &head.1))).unwrap().problems.is_empty());
    }

    #[test]
    fn the_table_refuses_updates_and_deletes() {
        let (_d, mut c) = log();
        assert!(c.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2", &[]).is_err());
        assert!(c.execute("DELETE FROM audit WHERE seq = 2", &[]).is_err());
    }

    #[test]
    fn an_edited_entry_is_found() {
        let (_d, mut c) = log();
        c.batch("DROP TRIGGER audit_no_update").unwrap();
        c.execute("UPDATE audit SET object = 'person/P999999' WHERE seq = 3", &[]).unwrap();
        let v = verify(&mut c, None).unwrap();
        assert_eq!(v.problems, vec!["entry 3: its contents do not match its hash (edited)".to_string()]);
    }

    #[test]
    fn a_deleted_entry_is_found() {
        let (_d, mut c) = log();
        c.batch("DROP TRIGGER audit_no_delete").unwrap();
        c.execute("DELETE FROM audit WHERE seq = 4", &[]).unwrap();
        let v = verify(&mut c, None).unwrap();
        assert_eq!(v.problem_count, 2, "{:?}", v.problems);
        assert!(v.problems[0].contains("entries 4..4 are missing"));
    }

    #[test]
    fn a_cut_short_log_is_found_against_a_recorded_head() {
        let (_d, mut c) = log();
        let head = verify(&mut c, None).unwrap().head.unwrap();
        c.batch("DROP TRIGGER audit_no_delete").unwrap();
        c.execute("DELETE FROM audit WHERE seq = 6", &[]).unwrap();
        assert!(verify(&mut c, None).unwrap().problems.is_empty(), "a shorter chain is still a chain");
        let v = verify(&mut c, Some((head.0, &head.1))).unwrap();
        assert!(v.problems[0].contains("cut short"), "{:?}", v.problems);
    }
}

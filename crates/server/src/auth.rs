//! Accounts, sessions and who may see what.
//!
//! Passwords are stored as Argon2id hashes (PHC strings, the crate's default parameters).
//! A session is a random 256-bit token in an HttpOnly, SameSite=Strict cookie; the database keeps
//! only its SHA-256, so a copy of the database does not hold usable sessions. Each session has
//! its own CSRF token, which every form and every state-changing API call must send back.
//!
//! Roles:
//! - `analyst`: one force; sees that force's identifiable data only. Another force's share of a
//!   cross-force person or course is shown as a count and a pseudonymous reference.
//! - `reviewer`: cross-force; sees every force's aggregates and triage list, and other forces'
//!   persons and courses as pseudonymous references until an administrator grants access to
//!   that force (recorded, with a reason, in the grants table and the audit log).
//! - `admin`: manages accounts and grants, reads the audit log, imports any force's exports, and
//!   sees all data (every read audited like anyone's).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use conduct_domain::Force;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::audit::hex;
use crate::db::{Conn, Value};
use conduct_store::Error as StoreError;

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// One force's analyst.
    Analyst,
    /// Cross-force reviewer.
    Reviewer,
    /// Administrator.
    Admin,
}

impl Role {
    /// Parses `analyst`, `reviewer` or `admin`.
    pub fn parse(s: &str) -> Option<Role> {
        match s.trim().to_ascii_lowercase().as_str() {
            "analyst" => Some(Role::Analyst),
            "reviewer" => Some(Role::Reviewer),
            "admin" | "administrator" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Analyst => "analyst",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct User {
    /// Stored id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Home force (required for analysts).
    pub force: Option<Force>,
    /// Forces an administrator has granted this user access to.
    pub grants: Vec<Force>,
}

/// How much of a force's data a user sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Identifiable data.
    Full,
    /// That the force holds something, as a pseudonymous reference.
    Pseudonymous,
}

impl User {
    /// What this user sees of `force`'s data.
    pub fn access(&self, force: Force) -> Access {
        match self.role {
            Role::Admin => Access::Full,
            Role::Analyst | Role::Reviewer => {
                if self.force == Some(force) || self.grants.contains(&force) {
                    Access::Full
                } else {
                    Access::Pseudonymous
                }
            }
        }
    }

    /// Whether this user sees every force's triage list and figures.
    pub fn sees_all_forces(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Reviewer)
    }
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b
}

/// Hashes a password with Argon2id.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes is a valid salt");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters").to_string()
}

/// Checks a password against its stored hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash that costs the same to check as a real one, for unknown usernames (so that timing
/// does not tell which usernames exist).
pub fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| hash_password("not a password anyone has"))
}

/// Longest username, in bytes: accounts are made no longer, so a longer one is refused at
/// sign-in before anything is looked up or stored.
pub const MAX_USERNAME_BYTES: usize = 64;
/// Longest password, in bytes (Argon2 would hash any length; the cost of a sign-in stays
/// bounded).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Largest sign-in request body, in bytes (JSON or form): room for the longest username and
/// password, escaped, and nothing like an upload.
pub const MAX_LOGIN_BODY_BYTES: usize = 16 * 1024;

/// A username as an unauthenticated caller sent it, fit to store: at most
/// [`MAX_USERNAME_BYTES`] bytes, control characters replaced, and when cut, a marker saying so
/// and how long it was.
pub fn stored_username(name: &str) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect::<String>();
    if name.len() <= MAX_USERNAME_BYTES {
        return clean(name);
    }
    let mut cut = MAX_USERNAME_BYTES;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…[cut: {} bytes]", clean(&name[..cut]), name.len())
}

/// Creates an account. Analysts must have a force; passwords must be at least 12 characters.
///
/// # Errors
///
/// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid) when the username or password is not valid,
/// an analyst is given no force, or the username is taken; [`ErrorKind::Db`](crate::ErrorKind::Db)
/// when the database fails.
pub fn add_user(conn: &mut Conn, username: &str, password: &str, role: Role, force: Option<Force>) -> Result<i64, Error> {
    let username = username.trim();
    if username.is_empty()
        || username.len() > MAX_USERNAME_BYTES
        || !username.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        return Err(Error::invalid("a username is 1–64 letters, digits or . _ - @"));
    }
    if password.chars().count() < 12 {
        return Err(Error::invalid("a password must be at least 12 characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(format!("a password is at most {MAX_PASSWORD_BYTES} bytes")));
    }
    if role == Role::Analyst && force.is_none() {
        return Err(Error::invalid("an analyst belongs to one force: give --force"));
    }
    let hash = hash_password(password);
    conn.transaction(|c| -> Result<i64, Error> {
        if c.query_one("SELECT id FROM users WHERE username = ?", &[username.into()])?.is_some() {
            return Err(Error::invalid(format!("there is already a user {username:?}")));
        }
        let id = c.query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM users", &[])?.and_then(|r| r[0].int()).unwrap_or(1);
        c.execute(
            "INSERT INTO users (id, username, password_hash, role, force, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            &[id.into(), username.into(), hash.into(), role.as_str().into(), force.map(|f| f.name()).into(), crate::audit::now().into()],
        )?;
        Ok(id)
    })
}

fn user_from_row(conn: &mut Conn, r: &[Value]) -> Result<User, StoreError> {
    let id = r[0].int().unwrap_or(0);
    let force = Force::resolve(&r[3].text()).ok();
    let grants = conn
        .query("SELECT force FROM grants WHERE user_id = ?", &[id.into()])?
        .iter()
        .filter_map(|g| Force::resolve(&g[0].text()).ok())
        .collect();
    Ok(User { id, username: r[1].text(), role: Role::parse(&r[2].text()).unwrap_or(Role::Analyst), force, grants })
}

/// Checks a username and password; the user when they match.
///
/// # Errors
///
/// A [`StoreError`] when the database fails (wrong credentials are `Ok(None)`).
pub fn check_login(conn: &mut Conn, username: &str, password: &str) -> Result<Option<User>, StoreError> {
    let row = conn
        .query_one("SELECT id, username, role, force, password_hash FROM users WHERE username = ? AND disabled = 0", &[username.into()])?;
    match row {
        Some(r) => {
            if verify_password(password, &r[4].text()) {
                Ok(Some(user_from_row(conn, &r)?))
            } else {
                Ok(None)
            }
        }
        None => {
            let _ = verify_password(password, dummy_hash());
            Ok(None)
        }
    }
}

/// Session lifetime.
pub const SESSION_HOURS: i64 = 8;

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Starts a session; returns (token for the cookie, CSRF token).
///
/// # Errors
///
/// A [`StoreError`] when expired sessions cannot be deleted or the new one cannot be stored.
pub fn start_session(conn: &mut Conn, user: &User) -> Result<(String, String), StoreError> {
    let token = hex(&random_bytes::<32>());
    let csrf = hex(&random_bytes::<32>());
    conn.execute("DELETE FROM sessions WHERE expires_at < ?", &[unix_now().into()])?;
    conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        &[
            token_hash(&token).into(),
            user.id.into(),
            csrf.clone().into(),
            crate::audit::now().into(),
            (unix_now() + SESSION_HOURS * 3600).into(),
        ],
    )?;
    Ok((token, csrf))
}

/// The user and CSRF token of a live session.
///
/// # Errors
///
/// A [`StoreError`] when the database fails (an unknown or expired session is `Ok(None)`).
pub fn session(conn: &mut Conn, token: &str) -> Result<Option<(User, String)>, StoreError> {
    // The values in CASTs: bare, SQLite (STAT4) prepared this statement, which every request
    // runs, again each time.
    let row = conn.query_one(
        "SELECT u.id, u.username, u.role, u.force, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = CAST(? AS TEXT) AND s.expires_at > CAST(? AS BIGINT) AND u.disabled = 0",
        &[token_hash(token).into(), unix_now().into()],
    )?;
    match row {
        Some(r) => {
            let csrf = r[4].text();
            Ok(Some((user_from_row(conn, &r)?, csrf)))
        }
        None => Ok(None),
    }
}

/// Ends a session.
///
/// # Errors
///
/// A [`StoreError`] when the delete fails.
pub fn end_session(conn: &mut Conn, token: &str) -> Result<(), StoreError> {
    conn.execute("DELETE FROM sessions WHERE token_hash = ?", &[token_hash(token).into()]).map(|_| ())
}

/// Grants `username` access to `force`'s identifiable data.
///
/// # Errors
///
/// [`ErrorKind::Invalid`](crate::ErrorKind::Invalid) when the reason is under 5 characters, there is
/// no such user, or the user is not a reviewer; [`ErrorKind::Db`](crate::ErrorKind::Db) when the
/// database fails.
pub fn grant(conn: &mut Conn, username: &str, force: Force, reason: &str, by: &str) -> Result<(), Error> {
    if reason.trim().len() < 5 {
        return Err(Error::invalid("a grant needs a reason (at least 5 characters)"));
    }
    let row = conn.query_one("SELECT id, role FROM users WHERE username = ?", &[username.into()])?;
    let Some(r) = row else { return Err(Error::invalid(format!("no user {username:?}"))) };
    if Role::parse(&r[1].text()) != Some(Role::Reviewer) {
        return Err(Error::invalid("access is granted to cross-force reviewers only"));
    }
    conn.execute("DELETE FROM grants WHERE user_id = ? AND force = ?", &[r[0].clone(), force.name().into()])?;
    conn.execute(
        "INSERT INTO grants (user_id, force, reason, granted_by, granted_at) VALUES (?, ?, ?, ?, ?)",
        &[r[0].clone(), force.name().into(), reason.trim().into(), by.into(), crate::audit::now().into()],
    )?;
    Ok(())
}

/// The key pseudonymous references are made with: random, made once per database.
///
/// # Errors
///
/// A [`StoreError`] when the key cannot be read or stored.
pub fn pseudonym_key(conn: &mut Conn) -> Result<Vec<u8>, StoreError> {
    if let Some(r) = conn.query_one("SELECT value FROM meta WHERE key = 'pseudonym_key'", &[])? {
        return Ok(r[0].text().into_bytes());
    }
    let key = hex(&random_bytes::<32>());
    conn.execute("INSERT INTO meta (key, value) VALUES ('pseudonym_key', ?) ON CONFLICT (key) DO NOTHING", &[key.into()])?;
    let r = conn.query_one("SELECT value FROM meta WHERE key = 'pseudonym_key'", &[])?;
    Ok(r.map(|r| r[0].text().into_bytes()).unwrap_or_default())
}

/// A pseudonymous reference to an object (`person`, `course`, `incident`) of a force: the same
/// object always gets the same reference, and it cannot be turned back into the id without the
/// key.
pub fn pseudonym(key: &[u8], kind: &str, force: Force, id: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(kind.as_bytes());
    mac.update(&[0]);
    mac.update(force.name().as_bytes());
    mac.update(&[0]);
    mac.update(id.as_bytes());
    let h = hex(&mac.finalize().into_bytes());
    format!("REF-{}", &h[..16])
}

/// Failed logins allowed per username within [`LOCKOUT`].
pub const MAX_FAILURES: u32 = 5;
/// Failed logins allowed per client address within [`LOCKOUT`]: higher, because one office
/// behind one address must not be locked out by one person's typos.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// How long failures count, and how long a locked name or address waits.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// The limiter's key for a client address: the address itself for IPv4, its /64 network for
/// IPv6 (one subscriber holds a whole /64, so counting single addresses would count nothing).
pub fn address_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(a) => format!("addr:{a}"),
        std::net::IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => format!("addr:{v4}"),
            None => {
                let s = a.segments();
                format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Counts failed logins per username and per client address.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

fn limit_of(key: &str) -> u32 {
    if key.starts_with("addr:") { MAX_FAILURES_PER_ADDRESS } else { MAX_FAILURES }
}

impl LoginLimiter {
    /// Seconds to wait if `keys` (username, address) are locked.
    pub fn locked(&self, keys: &[&str]) -> Option<u64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        Self::wait(&map, keys)
    }

    fn wait(map: &HashMap<String, (u32, Instant)>, keys: &[&str]) -> Option<u64> {
        keys.iter()
            .filter_map(|k| map.get(*k).map(|v| (*k, v)))
            .filter(|(k, (n, since))| *n >= limit_of(k) && since.elapsed() < LOCKOUT)
            .map(|(_, (_, since))| (LOCKOUT - since.elapsed()).as_secs() + 1)
            .max()
    }

    /// Records a failure against each key.
    pub fn failed(&self, keys: &[&str]) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        Self::count(&mut map, keys);
    }

    fn count(map: &mut HashMap<String, (u32, Instant)>, keys: &[&str]) {
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < LOCKOUT);
        }
        for k in keys {
            let e = map.entry(k.to_string()).or_insert((0, Instant::now()));
            if e.1.elapsed() >= LOCKOUT {
                *e = (0, Instant::now());
            }
            e.0 += 1;
        }
    }

    /// Clears the username's failures after a success.
    pub fn succeeded(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

/// Refusals of callers who are not signed in (locked-out sign-ins, malformed ones), counted
/// rather than each stored: the first refusal of a kind (key: client address, and the username
/// when only that is locked) in a window is written to the audit log at once; the rest are
/// counted, and one more entry gives their number when the window closes. So however many
/// requests an anonymous caller sends, the audit log grows by at most two entries per key per
/// window, and at most [`MAX_REFUSAL_KEYS`] keys are counted at once (beyond that they share
/// one key).
pub struct RefusalCounter {
    window: Duration,
    tallies: Mutex<HashMap<String, Tally>>,
    /// Entries stored one by one for anonymous callers in the current window (its start and
    /// the count), across every address: past [`MAX_STORED_PER_WINDOW`] they are counted.
    stored: Mutex<(Option<Instant>, u64)>,
}

/// Anonymous entries (failed sign-ins, first refusals of a kind) stored one by one per window,
/// across all clients. A caller with many addresses (a /48 of IPv6 holds 65,536 /64s) can then
/// make the audit log grow by at most this many entries per window, plus one counted summary.
pub const MAX_STORED_PER_WINDOW: u64 = 1_000;

struct Tally {
    since: Instant,
    since_at: String,
    more: u64,
    first: crate::audit::Entry,
}

/// Keys a [`RefusalCounter`] tells apart within one window.
pub const MAX_REFUSAL_KEYS: usize = 10_000;

impl RefusalCounter {
    /// Counts per `window`.
    pub fn new(window: Duration) -> RefusalCounter {
        RefusalCounter { window, tallies: Mutex::default(), stored: Mutex::new((None, 0)) }
    }

    /// Whether one more anonymous entry may be stored by itself at `now` (and counts it).
    pub fn admit(&self, now: Instant) -> bool {
        let mut s = self.stored.lock().unwrap_or_else(|e| e.into_inner());
        if s.0.is_none_or(|since| now.saturating_duration_since(since) >= self.window) {
            *s = (Some(now), 0);
        }
        s.1 += 1;
        s.1 <= MAX_STORED_PER_WINDOW
    }

    /// A failed sign-in: stored by itself while the window's budget lasts ([`Self::admit`]),
    /// counted under one shared key after.
    pub fn failed(&self, entry: crate::audit::Entry, now: Instant) -> Vec<crate::audit::Entry> {
        if self.admit(now) {
            return vec![entry];
        }
        self.note_shared("failed sign-ins past the window's budget, counted together", entry, now)
    }

    fn note_shared(&self, why: &str, mut entry: crate::audit::Entry, now: Instant) -> Vec<crate::audit::Entry> {
        entry.actor = "(many)".into();
        entry.detail = why.into();
        self.count(format!("(budget) {}", entry.outcome), entry, now)
    }

    /// Counts a refusal under `key` at `now`; returns the entries to store now: `entry` itself
    /// when it is the first of its key in a window (with the summary of the key's last window,
    /// if that had more), and nothing otherwise.
    pub fn note(&self, key: &str, entry: crate::audit::Entry, now: Instant) -> Vec<crate::audit::Entry> {
        let known = self.tallies.lock().unwrap_or_else(|e| e.into_inner()).contains_key(key);
        if !known && !self.admit(now) {
            return self.note_shared("refusals past the window's budget, counted together", entry, now);
        }
        self.count(key.to_string(), entry, now)
    }

    fn count(&self, mut key: String, mut entry: crate::audit::Entry, now: Instant) -> Vec<crate::audit::Entry> {
        let mut map = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(&key) && map.len() >= MAX_REFUSAL_KEYS {
            key = "(too many kinds at once)".into();
            entry.detail = "refusals of too many clients at once, counted together".into();
        }
        let mut out = Vec::new();
        if let Some(t) = map.get_mut(&key) {
            if now.saturating_duration_since(t.since) < self.window {
                t.more += 1;
                return out;
            }
            out.extend(self.summary(t));
        }
        let minutes = self.window.as_secs().div_ceil(60);
        let first = entry.clone();
        let counted = format!("more like it in the next {minutes} minutes are counted, not stored one by one");
        entry.detail = if entry.detail.is_empty() { counted } else { format!("{}; {counted}", entry.detail) };
        out.push(entry);
        map.insert(key, Tally { since: now, since_at: crate::audit::now(), more: 0, first });
        out
    }

    /// The entries of windows closed by `now` (one per key that counted more than its first
    /// refusal), forgetting those keys.
    pub fn flush(&self, now: Instant) -> Vec<crate::audit::Entry> {
        let mut map = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        map.retain(|_, t| {
            if now.saturating_duration_since(t.since) < self.window {
                return true;
            }
            out.extend(self.summary(t));
            false
        });
        out
    }

    fn summary(&self, t: &Tally) -> Option<crate::audit::Entry> {
        (t.more > 0).then(|| {
            let mut e = t.first.clone();
            let what = if e.detail.is_empty() { String::new() } else { format!(" ({})", e.detail) };
            e.detail = format!(
                "{} more refused like this{what} in the {} minutes from {}",
                t.more,
                self.window.as_secs().div_ceil(60),
                t.since_at
            );
            e
        })
    }
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
    }

    #[test]
    fn the_limiter_locks_after_five_failures() {
        let l = LoginLimiter::default();
        for _ in 0..4 {
            l.failed(&["user:a", "addr:1"]);
        }
        assert_eq!(l.locked(&["user:a"]), None);
        l.failed(&["user:a", "addr:1"]);
        assert!(l.locked(&["user:a"]).is_some());
        assert_eq!(l.locked(&["user:b", "addr:1"]), None, "the address has a higher limit");
        for _ in 0..15 {
            l.failed(&["user:c", "addr:1"]);
        }
        assert!(l.locked(&["user:b", "addr:1"]).is_some());
        assert_eq!(l.locked(&["user:b", "addr:2"]), None);
    }

    #[test]
    fn addresses_are_counted_by_ipv6_network() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_eq!(address_key("10.0.0.1".parse().unwrap()), "addr:10.0.0.1");
        assert_eq!(address_key("::ffff:10.0.0.1".parse().unwrap()), "addr:10.0.0.1");
    }

    /// Review of issue 11's fix: refusals were bounded per address, not overall, so a caller
    /// with a /48 of IPv6 (65,536 /64s) could still store 20 entries per address per window.
    #[test]
    fn many_addresses_store_at_most_the_window_budget() {
        let c = RefusalCounter::new(Duration::from_secs(900));
        let t0 = Instant::now();
        let entry = |who: String| crate::audit::Entry {
            actor: who,
            action: "login".into(),
            object: "session".into(),
            force: "-".into(),
            outcome: "denied".into(),
            detail: String::new(),
        };
        let mut stored = 0;
        for i in 0..50_000u64 {
            stored += c.failed(entry(format!("user{i}")), t0).len();
            stored += c.note(&format!("too long|addr:{i}"), entry(format!("long{i}")), t0).len();
        }
        // The budget, plus one first entry for each shared key (failed, refused).
        assert!(stored as u64 <= MAX_STORED_PER_WINDOW + 2, "{stored} entries stored for 100,000 refusals");
        // The next window stores again, and says how many were counted in the last.
        let later = c.failed(entry("next".into()), t0 + Duration::from_secs(901));
        assert_eq!(later.len(), 1);
        let summaries = c.flush(t0 + Duration::from_secs(902));
        assert!(summaries.iter().any(|e| e.detail.contains("more refused like this")), "{summaries:?}");
    }

    #[test]
    fn long_usernames_are_stored_cut_and_marked() {
        assert_eq!(stored_username("ana"), "ana");
        let huge = "é".repeat(1_500_000);
        let s = stored_username(&huge);
        assert!(s.len() < MAX_USERNAME_BYTES + 40, "{s}");
        assert!(s.ends_with("…[cut: 3000000 bytes]"), "{s}");
        assert_eq!(stored_username("a\nb"), "a\u{FFFD}b");
    }

    #[test]
    fn repeated_refusals_are_counted_not_stored() {
        let c = RefusalCounter::new(Duration::from_secs(900));
        let t0 = Instant::now();
        let e = |n: &str| crate::audit::Entry { actor: n.into(), action: "login".into(), outcome: "locked".into(), ..Default::default() };
        let first = c.note("locked|addr:1", e("x"), t0);
        assert_eq!(first.len(), 1);
        assert!(first[0].detail.contains("counted, not stored"), "{:?}", first[0]);
        for i in 0..10_000 {
            assert!(c.note("locked|addr:1", e(&format!("y{i}")), t0 + Duration::from_secs(1)).is_empty());
        }
        assert!(c.flush(t0 + Duration::from_secs(899)).is_empty(), "the window is still open");
        let summary = c.flush(t0 + Duration::from_secs(900));
        assert_eq!(summary.len(), 1);
        assert!(summary[0].detail.starts_with("10000 more refused like this"), "{:?}", summary[0]);
        assert_eq!(summary[0].actor, "x");
        // A new window starts with a stored entry again; a key that counted nothing more
        // leaves no summary.
        assert_eq!(c.note("locked|addr:1", e("z"), t0 + Duration::from_secs(901)).len(), 1);
        assert!(c.flush(t0 + Duration::from_secs(2000)).is_empty());
        // Past the window's budget of stored entries, new keys share one.
        let mut stored = 0;
        for i in 0..MAX_REFUSAL_KEYS + 500 {
            stored += c.note(&format!("k{i}"), e("w"), t0 + Duration::from_secs(3000)).len();
        }
        assert_eq!(stored as u64, MAX_STORED_PER_WINDOW + 1);
    }

    #[test]
    fn pseudonyms_are_stable_and_keyed() {
        let kent = Force::resolve("Kent").unwrap();
        let a = pseudonym(b"k1", "person", kent, "P000001");
        assert_eq!(a, pseudonym(b"k1", "person", kent, "P000001"));
        assert_ne!(a, pseudonym(b"k2", "person", kent, "P000001"));
        assert_ne!(a, pseudonym(b"k1", "person", kent, "P000002"));
        assert!(!a.contains("P000001"));
    }

    #[test]
    fn analysts_see_their_own_force_only() {
        let kent = Force::resolve("Kent").unwrap();
        let essex = Force::resolve("Essex").unwrap();
        let u = User { id: 1, username: "a".into(), role: Role::Analyst, force: Some(kent), grants: vec![] };
        assert_eq!(u.access(kent), Access::Full);
        assert_eq!(u.access(essex), Access::Pseudonymous);
        let r = User { role: Role::Reviewer, force: None, grants: vec![essex], ..u };
        assert_eq!(r.access(essex), Access::Full);
        assert_eq!(r.access(kent), Access::Pseudonymous);
    }
}

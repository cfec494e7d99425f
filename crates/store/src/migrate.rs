//! Versioned schema migrations: numbered SQL files applied in order, each in its own
//! transaction, recorded in `schema_migrations`. A workspace newer than this build is refused.

use rusqlite::Connection;

use crate::error::{Error, ErrorKind};

/// The migrations, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[(u32, &str, &str)] = &[(1, "initial", include_str!("../migrations/0001_initial.sql"))];

pub(crate) fn version(conn: &Connection) -> Result<u32, Error> {
    Ok(conn.query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| r.get(0))?)
}

pub(crate) fn migrate(conn: &mut Connection) -> Result<(), Error> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        )",
    )?;
    let current = version(conn)?;
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if current > known {
        return Err(Error::new(ErrorKind::NewerSchema { found: current, known }, std::path::Path::new("")));
    }
    for &(v, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if v == 1 {
            seed_forces(&tx)?;
        }
        tx.execute("INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)", (v, name))?;
        tx.commit()?;
    }
    check_forces(conn)
}

/// Stored force ids are positions in `forces.csv`, which is append-only: check that the
/// workspace agrees with this build, and add forces appended since it was created.
fn check_forces(conn: &Connection) -> Result<(), Error> {
    let stored: Vec<(u8, String)> = conn
        .prepare("SELECT id, name FROM forces ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, name) in &stored {
        let ours = conduct_domain::Force::from_id(*id).map(|f| f.name());
        if ours != Some(name.as_str()) {
            return Err(Error::new(
                ErrorKind::Corrupt(format!(
                    "force id {id} is {name:?} in the workspace but {ours:?} in this build (forces.csv must be append-only)"
                )),
                std::path::Path::new(""),
            ));
        }
    }
    for f in conduct_domain::Force::all_entries().skip(stored.len()) {
        conn.execute("INSERT INTO forces (id, name) VALUES (?1, ?2)", (f.id(), f.name()))?;
    }
    Ok(())
}

fn seed_forces(conn: &Connection) -> Result<(), Error> {
    let mut stmt = conn.prepare("INSERT INTO forces (id, name) VALUES (?1, ?2)")?;
    for f in conduct_domain::Force::all_entries() {
        stmt.execute((f.id(), f.name()))?;
    }
    Ok(())
}

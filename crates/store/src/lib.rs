//! Conduct's embedded workspace store: a single SQLite file (`conduct.db` in the workspace
//! directory) with versioned migrations.
//!
//! An import is one transaction: the export is read on one thread while this one writes, and
//! nothing becomes visible until the whole import commits, so a process killed mid-import
//! leaves the previous state intact. Rows are upserted on the contract's keys: re-importing the
//! same files changes nothing, and a newer export of the same force updates rows in place.

pub mod db;
mod error;
mod import;
mod migrate;
pub mod rows;

pub use error::{Error, ErrorKind};
pub use import::{Changes, ImportReport, Timings};

use std::path::{Path, PathBuf};

use rusqlite::Connection;

/// The name of the database file inside a workspace directory.
pub const DATABASE_FILE: &str = "conduct.db";

/// An open workspace.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Row counts of the workspace's tables.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Incidents held.
    pub incidents: u64,
    /// People rows held.
    pub people: u64,
    /// Orders held.
    pub orders: u64,
    /// Imports recorded.
    pub imports: u64,
}

impl Store {
    /// Opens (creating if needed) the workspace in directory `dir`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the folder cannot be made; otherwise as [`Store::open`].
    pub fn open_workspace(dir: &Path) -> Result<Store, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::new(ErrorKind::Io(e), dir))?;
        Store::open(&dir.join(DATABASE_FILE))
    }

    /// Opens (creating if needed) a database file and brings its schema up to date.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Sqlite`] when the file cannot be opened or migrated, [`ErrorKind::NewerSchema`]
    /// when a newer Conduct wrote it, [`ErrorKind::Corrupt`] when its forces disagree with this build's.
    pub fn open(path: &Path) -> Result<Store, Error> {
        let sql = |e| Error::new(ErrorKind::Sqlite(e), path);
        let mut conn = Connection::open(path).map_err(sql)?;
        // WAL lets readers (the dashboard) work while an import runs; an import that has the
        // file to itself switches to a rollback journal for its duration (see `import`).
        conn.pragma_update(None, "journal_mode", "WAL").map_err(sql)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(sql)?;
        conn.pragma_update(None, "cache_size", -262_144).map_err(sql)?;
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(sql)?;
        // Helper threads for SQLite's sorter, which builds the key indexes after a bulk load.
        conn.pragma_update(None, "threads", 2).map_err(sql)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(sql)?;
        migrate::migrate(&mut conn).map_err(|e| e.at(path))?;
        Ok(Store { conn, path: path.to_path_buf() })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version (number of the last migration applied).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Sqlite`] when the query fails.
    pub fn schema_version(&self) -> Result<u32, Error> {
        migrate::version(&self.conn).map_err(|e| e.at(&self.path))
    }

    /// Row counts.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Sqlite`] when a query fails.
    pub fn counts(&self) -> Result<Counts, Error> {
        let count = |table: &str| -> Result<u64, Error> {
            self.conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(|e| Error::new(ErrorKind::Sqlite(e), &self.path))
        };
        Ok(Counts { incidents: count("incidents")?, people: count("people")?, orders: count("orders")?, imports: count("imports")? })
    }

    /// Runs SQLite's own integrity check; `Ok(())` when the file is sound.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Sqlite`] when the check cannot run, [`ErrorKind::Corrupt`] with SQLite's report
    /// when it fails.
    pub fn integrity_check(&self) -> Result<(), Error> {
        let result: String =
            self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(|e| Error::new(ErrorKind::Sqlite(e), &self.path))?;
        if result == "ok" { Ok(()) } else { Err(Error::new(ErrorKind::Corrupt(result), &self.path)) }
    }

    /// The underlying connection, for read queries by later stages.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_workspace_is_migrated_and_seeded() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_workspace(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), 1);
        let forces: i64 = store.connection().query_row("SELECT count(*) FROM forces", [], |r| r.get(0)).unwrap();
        assert_eq!(forces as usize, conduct_domain::Force::all_entries().count());
        assert_eq!(store.counts().unwrap(), Counts::default());
        store.integrity_check().unwrap();
        // Opening again applies nothing twice.
        drop(store);
        let again = Store::open_workspace(dir.path()).unwrap();
        assert_eq!(again.schema_version().unwrap(), 1);
    }

    #[test]
    fn a_workspace_from_a_newer_conduct_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_workspace(dir.path()).unwrap();
        store.connection().execute("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')", []).unwrap();
        drop(store);
        let err = Store::open_workspace(dir.path()).err().expect("refused");
        assert!(matches!(err.kind(), ErrorKind::NewerSchema { found: 99, known: 1 }), "{err}");
        assert!(err.to_string().contains("upgrade Conduct"));
    }

    #[test]
    fn a_workspace_whose_forces_disagree_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_workspace(dir.path()).unwrap();
        store.connection().execute("UPDATE forces SET name = 'Atlantis' WHERE id = 0", []).unwrap();
        drop(store);
        let err = Store::open_workspace(dir.path()).err().expect("refused");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
}

//! Conduct's one store: the schema, its migrations and the imported records, for the command
//! line's workspace (an SQLite file, `conduct.db` in the workspace directory) and the
//! dashboard's database (the same file, or PostgreSQL) alike. [`db`] is the small SQL layer over
//! both dialects; [`migrate()`] makes or upgrades the schema; [`schema`] lists the dashboard's
//! and the published analysis's tables; [`rows`] says how a record is a row.
//!
//! An import is one transaction: the export is read on one thread while this one writes, and
//! nothing becomes visible until the whole import commits, so a process killed mid-import
//! leaves the previous state intact. Rows are upserted on the contract's keys: re-importing the
//! same files changes nothing, and a newer export of the same force updates rows in place.

pub mod cross_force;
pub mod db;
mod error;
mod import;
mod load;
mod migrate;
pub mod rows;
pub mod schema;

pub use error::{Error, ErrorKind};
pub use import::{
    Changes, ImportReport, Records, Timings, import_records, import_records_in, import_rows, known_incidents, now, write_transaction,
};
pub use load::{load_export, load_export_then, load_people};
pub use migrate::{LATEST as SCHEMA_VERSION, migrate};

use std::path::{Path, PathBuf};

use db::{Conn, Url};

/// The name of the database file inside a workspace directory.
pub const DATABASE_FILE: &str = "conduct.db";

/// How much of a database file a SQLite connection maps into memory: all of it, however large
/// it grows (1 TiB). Pages past the mapping are read through the connection's own small page
/// cache, which cost an update of 10M records several times what the same reads cost mapped.
/// SQLite caps the setting at its compile-time `SQLITE_MAX_MMAP_SIZE` (2 GB unless built
/// otherwise); `.cargo/config.toml` builds the bundled SQLite with the same 1 TiB.
pub const MMAP_BYTES: i64 = 1 << 40;

/// An open store.
pub struct Store {
    conn: Conn,
    path: PathBuf,
}

/// Row counts of the store's record tables.
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

/// Row counts of the record tables behind `conn`.
pub(crate) fn counts(conn: &mut Conn) -> Result<Counts, Error> {
    let mut count = |table: &str| -> Result<u64, Error> {
        let n = conn.query_one(&format!("SELECT count(*) FROM {table}"), &[])?;
        Ok(n.and_then(|r| r[0].int()).unwrap_or(0) as u64)
    };
    Ok(Counts { incidents: count("incidents")?, people: count("people")?, orders: count("orders")?, imports: count("imports")? })
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

    /// Opens (creating if needed) an SQLite database file and brings its schema up to date.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Db`] when the file cannot be opened or migrated, [`ErrorKind::NewerSchema`]
    /// when a newer Conduct wrote it, [`ErrorKind::Corrupt`] when its forces disagree with this
    /// build's.
    pub fn open(path: &Path) -> Result<Store, Error> {
        Store::open_url(&Url::Sqlite(path.to_path_buf()))
    }

    /// Opens a store on SQLite or PostgreSQL and brings its schema up to date.
    ///
    /// # Errors
    ///
    /// As [`Store::open`].
    pub fn open_url(url: &Url) -> Result<Store, Error> {
        let path = match url {
            Url::Sqlite(p) => p.clone(),
            Url::Postgres(_) => PathBuf::from(url.describe()),
        };
        let mut conn = Conn::open(url).map_err(|e| e.at(&path))?;
        if let Conn::Sqlite(c) = &conn {
            let sql = |e| Error::new(ErrorKind::Sqlite(e), &path);
            // A bulk import and the reads after it: a large page cache, sorts in memory, and
            // helper threads for SQLite's sorter, which builds the key indexes after a bulk load.
            c.pragma_update(None, "cache_size", -262_144).map_err(sql)?;
            c.pragma_update(None, "temp_store", "MEMORY").map_err(sql)?;
            c.pragma_update(None, "threads", 2).map_err(sql)?;
            c.busy_timeout(std::time::Duration::from_secs(30)).map_err(sql)?;
        }
        migrate(&mut conn).map_err(|e| e.at(&path))?;
        Ok(Store { conn, path })
    }

    /// The database file (for PostgreSQL: its description, without password).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version (number of the last migration applied).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Db`] when the query fails.
    pub fn schema_version(&mut self) -> Result<u32, Error> {
        migrate::version(&mut self.conn).map_err(|e| e.at(&self.path))
    }

    /// Row counts.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Db`] when a query fails.
    pub fn counts(&mut self) -> Result<Counts, Error> {
        counts(&mut self.conn).map_err(|e| e.at(&self.path))
    }

    /// Runs SQLite's own integrity check; `Ok(())` when the file is sound (PostgreSQL: always).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Db`] when the check cannot run, [`ErrorKind::Corrupt`] with SQLite's report
    /// when it fails.
    pub fn integrity_check(&mut self) -> Result<(), Error> {
        if self.conn.is_postgres() {
            return Ok(());
        }
        let result = self.conn.query_one("PRAGMA integrity_check", &[]).map_err(|e| e.at(&self.path))?;
        let result = result.map(|r| r[0].text()).unwrap_or_default();
        if result == "ok" { Ok(()) } else { Err(Error::new(ErrorKind::Corrupt(result), &self.path)) }
    }

    /// Every record the store holds ([`load_export`]).
    ///
    /// # Errors
    ///
    /// As [`load_export`].
    pub fn load_export(&mut self) -> Result<conduct_ingest::Export, Error> {
        load_export(&mut self.conn).map_err(|e| e.at(&self.path))
    }

    /// The connection, for the stages that read and write the store's other tables.
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.conn
    }

    /// The SQLite connection of a workspace (`None` on PostgreSQL), for read queries in tests
    /// and tools.
    pub fn sqlite(&self) -> Option<&rusqlite::Connection> {
        match &self.conn {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The workspace's connection maps the whole file as asked: the bundled SQLite was built
    /// with `.cargo/config.toml`'s cap (without it SQLite silently caps the mapping at 2 GB).
    #[test]
    fn a_workspace_maps_the_whole_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_workspace(dir.path()).unwrap();
        let mapped: i64 = store.sqlite().unwrap().query_row("PRAGMA mmap_size", [], |r| r.get(0)).unwrap();
        assert_eq!(mapped, MMAP_BYTES, "SQLite built without LIBSQLITE3_FLAGS=-DSQLITE_MAX_MMAP_SIZE (see .cargo/config.toml)");
    }

    #[test]
    fn a_new_workspace_is_migrated_and_seeded() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_workspace(dir.path()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        let forces: i64 = store.sqlite().unwrap().query_row("SELECT count(*) FROM forces", [], |r| r.get(0)).unwrap();
        assert_eq!(forces as usize, conduct_domain::Force::all_entries().count());
        assert_eq!(store.counts().unwrap(), Counts::default());
        store.integrity_check().unwrap();
        // Opening again applies nothing twice.
        drop(store);
        let mut again = Store::open_workspace(dir.path()).unwrap();
        assert_eq!(again.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_workspace_from_a_newer_conduct_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_workspace(dir.path()).unwrap();
        store
            .sqlite()
            .unwrap()
            .execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')", [])
            .unwrap();
        drop(store);
        let err = Store::open_workspace(dir.path()).err().expect("refused");
        assert!(matches!(err.kind(), ErrorKind::NewerSchema { found: 99, known: SCHEMA_VERSION }), "{err}");
        assert!(err.to_string().contains("upgrade Conduct"));
    }

    #[test]
    fn a_workspace_whose_forces_disagree_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_workspace(dir.path()).unwrap();
        store.sqlite().unwrap().execute("UPDATE forces SET name = 'Atlantis' WHERE id = 0", []).unwrap();
        drop(store);
        let err = Store::open_workspace(dir.path()).err().expect("refused");
        assert!(err.to_string().contains("append-only"), "{err}");
    }
}

-- Conduct workspace, schema version 1: the three contract tables and the import log.
-- Keys are the contract's: incident_ref and order_ref unique within a force, record_id unique
-- per force. They are named unique indexes (not table constraints) so that an import into an
-- empty table can drop them, append, and rebuild them in the same transaction. Empty values are stored as NULL; `invalid` lists optional columns whose values
-- were invalid (kept as given, treated as unknown). Values that can be derived again from a
-- stored column (date-of-birth components, canonical phone) are not stored: import speed is
-- bound by the bytes SQLite writes.
CREATE TABLE forces (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE imports (
    id                INTEGER PRIMARY KEY,
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL,
    rows_read         INTEGER NOT NULL,
    rows_accepted     INTEGER NOT NULL,
    rows_rejected     INTEGER NOT NULL,
    incidents_new     INTEGER NOT NULL,
    incidents_updated INTEGER NOT NULL,
    people_new        INTEGER NOT NULL,
    people_updated    INTEGER NOT NULL,
    orders_new        INTEGER NOT NULL,
    orders_updated    INTEGER NOT NULL,
    summary           TEXT NOT NULL
);

CREATE TABLE incidents (
    force_id            INTEGER NOT NULL REFERENCES forces(id),
    incident_ref        TEXT NOT NULL,
    recorded_date       TEXT NOT NULL,
    occurred_date       TEXT,
    offence_code        TEXT NOT NULL,
    offence_class       TEXT NOT NULL,
    offence_description TEXT,
    domestic_abuse      INTEGER,
    cyber               INTEGER,
    linked_refs         TEXT,
    outcome_type        INTEGER,
    outcome_date        TEXT,
    narrative           TEXT,
    invalid             TEXT
);
CREATE UNIQUE INDEX incidents_key ON incidents (force_id, incident_ref);

CREATE TABLE people (
    force_id        INTEGER NOT NULL REFERENCES forces(id),
    record_id       TEXT NOT NULL,
    incident_ref    TEXT NOT NULL,
    role            TEXT NOT NULL,
    local_person_id TEXT,
    forename        TEXT,
    middle_names    TEXT,
    surname         TEXT,
    date_of_birth   TEXT,
    sex             TEXT,
    address         TEXT,
    postcode        TEXT,
    phone           TEXT,
    email           TEXT,
    online_handles  TEXT,
    pnc_id          TEXT,
    ni_number       TEXT,
    invalid         TEXT
);
CREATE UNIQUE INDEX people_key ON people (force_id, record_id);

CREATE TABLE orders (
    force_id     INTEGER NOT NULL REFERENCES forces(id),
    order_ref    TEXT NOT NULL,
    order_type   TEXT NOT NULL,
    incident_ref TEXT NOT NULL,
    applied_date TEXT,
    granted_date TEXT,
    expires_date TEXT,
    status       TEXT,
    invalid      TEXT
);
CREATE UNIQUE INDEX orders_key ON orders (force_id, order_ref);

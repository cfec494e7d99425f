-- Conduct workspace, schema version 4: the population index of incremental linkage
-- (conduct-population). Every linked people row has one row in population_records (its
-- person, numbered from 1 and never reused) and one row in population_keys per blocking rule
-- that gives it a key (the rule's key mixed with the rule number; a key picks candidates, the
-- records themselves are then compared). Name counts are kept for the term-frequency
-- adjustment. Merges and splits of persons are events; a person id that disappears
-- redirects to its successor. All of it is written in the transaction that imports the rows.
CREATE TABLE population (
    id             INTEGER PRIMARY KEY,
    model          TEXT NOT NULL,
    engine         TEXT NOT NULL,
    next_person    INTEGER NOT NULL,
    batches        INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    forename_records INTEGER NOT NULL,
    forename_people  INTEGER NOT NULL,
    surname_records  INTEGER NOT NULL,
    surname_people   INTEGER NOT NULL
);

CREATE TABLE population_records (
    rec       INTEGER PRIMARY KEY,
    force_id  INTEGER NOT NULL,
    record_id TEXT NOT NULL,
    person    INTEGER NOT NULL,
    batch     INTEGER NOT NULL
);
CREATE UNIQUE INDEX population_records_key ON population_records (force_id, record_id);
CREATE INDEX population_records_person ON population_records (person);

CREATE TABLE population_keys (
    k   INTEGER NOT NULL,
    nb  INTEGER NOT NULL,
    rec INTEGER NOT NULL,
    PRIMARY KEY (k, nb, rec)
) WITHOUT ROWID;

-- Keys of records added since the last merge: a small table whose pages stay in cache, so that
-- a batch's keys are not written into random pages of the large one; merged into it (in key
-- order) when it grows past an eighth of its size.
CREATE TABLE population_keys_recent (
    k   INTEGER NOT NULL,
    nb  INTEGER NOT NULL,
    rec INTEGER NOT NULL,
    PRIMARY KEY (k, nb, rec)
) WITHOUT ROWID;

CREATE TABLE population_identities (
    forename_h INTEGER NOT NULL,
    surname_h  INTEGER NOT NULL,
    year       INTEGER NOT NULL,
    month_day  INTEGER NOT NULL,
    records    INTEGER NOT NULL,
    PRIMARY KEY (forename_h, surname_h, year, month_day)
) WITHOUT ROWID;

CREATE TABLE population_names (
    which   INTEGER NOT NULL,
    h       INTEGER NOT NULL,
    records INTEGER NOT NULL,
    people  INTEGER NOT NULL,
    PRIMARY KEY (which, h)
) WITHOUT ROWID;

CREATE TABLE person_redirects (
    from_person INTEGER PRIMARY KEY,
    to_person   INTEGER NOT NULL,
    batch       INTEGER NOT NULL
);

CREATE TABLE person_events (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    batch     INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    person    INTEGER NOT NULL,
    other     INTEGER NOT NULL,
    records   TEXT NOT NULL,
    reason    TEXT NOT NULL
);
CREATE INDEX person_events_person ON person_events (person);
CREATE INDEX person_events_other ON person_events (other);

CREATE INDEX people_incident ON people (force_id, incident_ref);

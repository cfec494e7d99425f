-- Conduct workspace, schema version 5 (issue 17): incidents' secondary offence codes and the
-- contract's optional risk_assessments table (DASH, S-DASH and SASH screenings).
-- `secondary_offence_codes` and `yes_answers` are `;`-joined lists, NULL when empty, as
-- `linked_refs` is. A screening is keyed by its incident, tool and day: the same screening
-- imported again is updated in place.
ALTER TABLE incidents ADD COLUMN secondary_offence_codes TEXT;

CREATE TABLE risk_assessments (
    force_id       INTEGER NOT NULL REFERENCES forces(id),
    incident_ref   TEXT NOT NULL,
    assessed_date  TEXT NOT NULL,
    tool           TEXT NOT NULL,
    grade          TEXT,
    yes_answers    TEXT,
    assessor_notes TEXT,
    invalid        TEXT
);
CREATE UNIQUE INDEX risk_assessments_key ON risk_assessments (force_id, incident_ref, tool, assessed_date);

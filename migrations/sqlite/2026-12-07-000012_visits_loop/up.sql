-- Home visits close the loop: a completed visit is a session, and residents follow the van by a
-- tracking link.

-- A completed visit is recorded as a COMPLETED session of its case (mode HOME_VISIT, the van's
-- crew as its mediators), so that ratings, statistics and assessments count it like any other:
-- the session names the visit it records and the driving to it.
ALTER TABLE appointments ADD COLUMN home_visit_id TEXT;
ALTER TABLE appointments ADD COLUMN travel_seconds INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX appointments_by_home_visit ON appointments (home_visit_id)
    WHERE home_visit_id IS NOT NULL;

-- How the visit ended, and the session that records it (both set when it is COMPLETED).
ALTER TABLE home_visits ADD COLUMN outcome_result TEXT;
ALTER TABLE home_visits ADD COLUMN agreement_summary TEXT NOT NULL DEFAULT '';
ALTER TABLE home_visits ADD COLUMN referred_to TEXT NOT NULL DEFAULT '';
ALTER TABLE home_visits ADD COLUMN appointment_id TEXT;

-- The tracking link of a visit: only the SHA-256 of its random token is kept; one per visit.
CREATE TABLE visit_tracking (
    token_hash TEXT PRIMARY KEY NOT NULL,
    visit_id TEXT NOT NULL UNIQUE REFERENCES home_visits (id),
    created_at TIMESTAMP NOT NULL
);

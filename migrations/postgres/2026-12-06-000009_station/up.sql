-- The dispute at the station: the 110 handover, sessions started on the spot, and both parties.

-- A case handed over by the police carries the 110 incident number (unique per station) and
-- the officer who handed it over.
ALTER TABLE cases ADD COLUMN police_incident_id TEXT;
ALTER TABLE cases ADD COLUMN handed_over_by TEXT NOT NULL DEFAULT '';
-- Why staff let a case proceed although a party declined (empty: nobody overrode a decline).
ALTER TABLE cases ADD COLUMN proceed_reason TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX cases_by_incident ON cases (site_id, police_incident_id)
    WHERE police_incident_id IS NOT NULL;
CREATE INDEX cases_waiting ON cases (site_id, status, created_at);

-- Each party's answer to the invitation, and the blind index of their phone, by which a
-- resident who registers with that phone finds the case. Parties written before this migration
-- have no index until `mediation rekey` fills it; they count as having accepted.
ALTER TABLE case_parties ADD COLUMN participation TEXT NOT NULL DEFAULT 'ACCEPTED';
ALTER TABLE case_parties ADD COLUMN answer_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE case_parties ADD COLUMN phone_index TEXT;
CREATE INDEX case_parties_by_phone_index ON case_parties (phone_index);

-- A session started at once at the station (StartSessionNow) rather than booked ahead.
ALTER TABLE appointments ADD COLUMN on_the_spot BOOLEAN NOT NULL DEFAULT FALSE;

-- Cases: a dispute, graded by its pre-assessment, handled by a station.
CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites (id),
    applicant_account_id TEXT REFERENCES accounts (id),
    created_by TEXT NOT NULL REFERENCES accounts (id),
    category TEXT NOT NULL REFERENCES specialties (code),
    summary TEXT NOT NULL,
    origin TEXT NOT NULL,
    grade TEXT NOT NULL,
    grade_rationale TEXT NOT NULL,
    status TEXT NOT NULL,
    amount_in_dispute_yuan BIGINT NOT NULL,
    party_count INTEGER NOT NULL,
    violence_risk BOOLEAN NOT NULL,
    vulnerable_party BOOLEAN NOT NULL,
    repeat_dispute BOOLEAN NOT NULL,
    group_incident_risk BOOLEAN NOT NULL,
    petition_history BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_by_site ON cases (site_id, created_at);
CREATE INDEX cases_by_applicant ON cases (applicant_account_id);

CREATE TABLE case_parties (
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (case_id, position)
);

-- The history of a case; grade overrides are audited here.
CREATE TABLE case_events (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    actor_id TEXT,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX case_events_by_case ON case_events (case_id, at);

-- Weekly rules in the site's local time; minutes since local midnight; day 1 = Monday.
CREATE TABLE working_hours (
    id TEXT PRIMARY KEY NOT NULL,
    mediator_id TEXT NOT NULL REFERENCES mediators (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    day_of_week INTEGER NOT NULL,
    start_minute INTEGER NOT NULL,
    end_minute INTEGER NOT NULL,
    effective_from DATE,
    effective_to DATE
);
CREATE INDEX working_hours_by_mediator ON working_hours (mediator_id, site_id);

CREATE TABLE schedule_exceptions (
    id TEXT PRIMARY KEY NOT NULL,
    mediator_id TEXT NOT NULL REFERENCES mediators (id),
    site_id TEXT REFERENCES sites (id),
    kind TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL
);
CREATE INDEX schedule_exceptions_by_mediator ON schedule_exceptions (mediator_id, starts_at);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    site_id TEXT NOT NULL REFERENCES sites (id),
    room_id TEXT REFERENCES rooms (id),
    mode TEXT NOT NULL,
    status TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    join_url TEXT NOT NULL DEFAULT '',
    cancel_reason TEXT NOT NULL DEFAULT '',
    outcome_result TEXT,
    agreement_summary TEXT NOT NULL DEFAULT '',
    referred_to TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX appointments_by_case ON appointments (case_id);
CREATE INDEX appointments_by_site ON appointments (site_id, starts_at);

CREATE TABLE appointment_mediators (
    appointment_id TEXT NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    mediator_id TEXT NOT NULL REFERENCES mediators (id),
    PRIMARY KEY (appointment_id, mediator_id)
);
CREATE INDEX appointment_mediators_by_mediator ON appointment_mediators (mediator_id);

-- What a live appointment holds: each mediator and the room, for its time. The database refuses
-- two overlapping holds on one resource (here a trigger; on PostgreSQL an exclusion constraint).
CREATE TABLE resource_holds (
    resource TEXT NOT NULL,
    appointment_id TEXT NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    PRIMARY KEY (resource, appointment_id),
    CHECK (starts_at < ends_at)
);
CREATE INDEX resource_holds_by_time ON resource_holds (resource, starts_at);

CREATE TRIGGER resource_holds_no_overlap
BEFORE INSERT ON resource_holds
WHEN EXISTS (
    SELECT 1 FROM resource_holds h
    WHERE h.resource = NEW.resource AND h.starts_at < NEW.ends_at AND NEW.starts_at < h.ends_at
)
BEGIN
    SELECT RAISE(ABORT, 'resource_holds_no_overlap');
END;

-- The consultation thread of a case.
CREATE TABLE case_messages (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES accounts (id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX case_messages_by_case ON case_messages (case_id, id);

-- Messages to send, written in the same transaction as the change they announce, delivered by a
-- background worker at or after deliver_after.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    appointment_id TEXT,
    deliver_after TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    delivered_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (delivered_at, cancelled_at, deliver_after);
CREATE INDEX outbox_by_appointment ON outbox (appointment_id);

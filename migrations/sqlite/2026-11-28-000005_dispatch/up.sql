-- Mobile mediation vans, their shifts and crews, home visits, and route plans (issue #6).

CREATE TABLE vans (
    id TEXT PRIMARY KEY NOT NULL,
    plate TEXT NOT NULL UNIQUE,
    -- The station the van leaves from and returns to.
    depot_site_id TEXT NOT NULL REFERENCES sites (id),
    seats INTEGER NOT NULL,
    -- AVAILABLE or OUT_OF_SERVICE.
    status TEXT NOT NULL,
    -- The last position a crew reported.
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    located_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX vans_by_depot ON vans (depot_site_id, id);

-- One shift per van and local date (YYYY-MM-DD at the depot).
CREATE TABLE van_shifts (
    van_id TEXT NOT NULL REFERENCES vans (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    PRIMARY KEY (van_id, day),
    CHECK (starts_at < ends_at)
);

-- The crew of a shift, with the shift's span so that the database can refuse a mediator on two
-- vans at overlapping times (van_crew_no_overlap).
CREATE TABLE van_crew (
    van_id TEXT NOT NULL,
    day TEXT NOT NULL,
    mediator_id TEXT NOT NULL REFERENCES mediators (id),
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    PRIMARY KEY (van_id, day, mediator_id),
    FOREIGN KEY (van_id, day) REFERENCES van_shifts (van_id, day) ON DELETE CASCADE,
    CHECK (starts_at < ends_at)
);
CREATE INDEX van_crew_by_mediator ON van_crew (mediator_id, starts_at);
CREATE TRIGGER van_crew_no_overlap
BEFORE INSERT ON van_crew
WHEN EXISTS (
    SELECT 1 FROM van_crew c
    WHERE c.mediator_id = NEW.mediator_id AND c.starts_at < NEW.ends_at AND NEW.starts_at < c.ends_at
)
BEGIN
    SELECT RAISE(ABORT, 'van_crew_no_overlap');
END;

CREATE TABLE home_visits (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    -- The case's station, and the visit's local date there.
    station_id TEXT NOT NULL REFERENCES sites (id),
    day TEXT NOT NULL,
    -- Personal data: shown masked to all but the resident, dispatchers and the assigned crew.
    address TEXT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    duration_minutes INTEGER NOT NULL,
    -- PRIVACY, MOBILITY, ELDERLY or OTHER.
    reason TEXT NOT NULL,
    specialty_code TEXT,
    priority INTEGER NOT NULL,
    -- REQUESTED, PLANNED, EN_ROUTE, ARRIVED, COMPLETED, FAILED or CANCELLED.
    status TEXT NOT NULL,
    van_id TEXT REFERENCES vans (id),
    position INTEGER,
    eta TIMESTAMP,
    note TEXT NOT NULL,
    cancel_reason TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (window_start < window_end)
);
CREATE INDEX home_visits_by_day ON home_visits (station_id, day, id);
CREATE INDEX home_visits_by_case ON home_visits (case_id);
CREATE INDEX home_visits_by_van ON home_visits (van_id, day);

-- The version of a station's date: bumped by every change of that date's visits or shifts and
-- of the station's vans. A plan records the version it was made from; committing it bumps the
-- version only if it is still the same, so a stale plan is refused even across processes.
CREATE TABLE dispatch_days (
    station_id TEXT NOT NULL,
    day TEXT NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (station_id, day)
);

CREATE TABLE dispatch_plans (
    id TEXT PRIMARY KEY NOT NULL,
    station_id TEXT NOT NULL REFERENCES sites (id),
    day TEXT NOT NULL,
    version BIGINT NOT NULL,
    -- The routes and unassigned visits, as JSON.
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    committed_at TIMESTAMP
);
CREATE INDEX dispatch_plans_by_day ON dispatch_plans (station_id, day);

-- One rating per appointment, mediator and rater. Hidden ratings are kept for the record.
CREATE TABLE ratings (
    id TEXT PRIMARY KEY NOT NULL,
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    mediator_id TEXT NOT NULL REFERENCES mediators (id),
    rater_account_id TEXT NOT NULL REFERENCES accounts (id),
    overall INTEGER NOT NULL CHECK (overall BETWEEN 1 AND 5),
    fairness INTEGER NOT NULL CHECK (fairness BETWEEN 1 AND 5),
    professionalism INTEGER NOT NULL CHECK (professionalism BETWEEN 1 AND 5),
    timeliness INTEGER NOT NULL CHECK (timeliness BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    settled BOOLEAN NOT NULL,
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    hidden_reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (appointment_id, mediator_id, rater_account_id)
);
CREATE INDEX ratings_by_mediator ON ratings (mediator_id, created_at);

-- Running sums of each mediator's visible ratings, kept current in the transaction that changes
-- a rating, so that reads never aggregate.
CREATE TABLE rating_summaries (
    mediator_id TEXT PRIMARY KEY NOT NULL REFERENCES mediators (id),
    count INTEGER NOT NULL,
    sum_overall INTEGER NOT NULL,
    sum_fairness INTEGER NOT NULL,
    sum_professionalism INTEGER NOT NULL,
    sum_timeliness INTEGER NOT NULL,
    stars_1 INTEGER NOT NULL,
    stars_2 INTEGER NOT NULL,
    stars_3 INTEGER NOT NULL,
    stars_4 INTEGER NOT NULL,
    stars_5 INTEGER NOT NULL,
    settled_count INTEGER NOT NULL,
    settled_sum INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Who hid which rating, when and why.
CREATE TABLE rating_moderations (
    id TEXT PRIMARY KEY NOT NULL,
    rating_id TEXT NOT NULL REFERENCES ratings (id),
    actor_id TEXT NOT NULL REFERENCES accounts (id),
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);

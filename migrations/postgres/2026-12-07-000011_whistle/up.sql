-- Feedback to the police, and the whistle: cases escalated to the centre, tasks dispatched to
-- partner bodies (or other stations), acknowledged and reported back.

-- A station's police desk, where the outcome of a POLICE_110 case goes: a phone for SMS (E.164)
-- and/or a webhook URL; empty when the station has none. Institutional contacts, not personal
-- data, so kept in clear.
ALTER TABLE sites ADD COLUMN police_desk_phone TEXT NOT NULL DEFAULT '';
ALTER TABLE sites ADD COLUMN police_desk_webhook_url TEXT NOT NULL DEFAULT '';

-- How a notice travels: SMS (through the notification sink) or WEBHOOK (POSTed to the URL in
-- `recipient`). `dedup_key` makes an enqueue idempotent: a second notice with the same key is
-- not written (NULL keys never collide), so a notice owed once is written once even when the
-- same change is attempted twice or by two replicas.
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'SMS';
ALTER TABLE outbox ADD COLUMN dedup_key TEXT;
CREATE UNIQUE INDEX outbox_by_dedup_key ON outbox (dedup_key);

-- A case its station put on the centre's list (EscalateCase), with the reason.
ALTER TABLE cases ADD COLUMN escalated_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN escalation_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX cases_escalated ON cases (escalated_at);

-- A task the centre dispatched for a case to an assignee site (a PARTNER body or a station).
-- `status` is OPEN, ACKNOWLEDGED or REPORTED; OVERDUE is not stored but read from `due_at`.
-- `overdue_noticed_at` records that the dispatcher was told it ran late (once).
CREATE TABLE case_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    assignee_site_id TEXT NOT NULL REFERENCES sites (id),
    dispatched_by TEXT NOT NULL REFERENCES accounts (id),
    instructions TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    result TEXT,
    note TEXT NOT NULL DEFAULT '',
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT,
    reported_at TIMESTAMP,
    reported_by TEXT,
    overdue_noticed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX case_tasks_by_assignee ON case_tasks (assignee_site_id, id);
CREATE INDEX case_tasks_by_case ON case_tasks (case_id);
CREATE INDEX case_tasks_due ON case_tasks (status, due_at);

-- The mediation agreement (调解协议书) a settled session ends in, its signatures, and the
-- follow-up of whether it was kept.

-- One agreement per case at a time: a VOID one may be followed by a new draft. `text` and
-- `terms` name the parties, so both are sealed like the parties' names; `content_sha256` is the
-- SHA-256 (hex) of the plain text, which goes into the audit chain when the agreement is SIGNED.
CREATE TABLE agreements (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    appointment_id TEXT NOT NULL REFERENCES appointments (id),
    status TEXT NOT NULL,
    text TEXT NOT NULL,
    terms TEXT NOT NULL,
    performance_deadline TIMESTAMP NOT NULL,
    content_sha256 TEXT NOT NULL,
    drafted_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    signed_at TIMESTAMP,
    void_reason TEXT NOT NULL DEFAULT '',
    voided_at TIMESTAMP
);
CREATE UNIQUE INDEX agreements_live_per_case ON agreements (case_id) WHERE status <> 'VOID';
CREATE INDEX agreements_by_signed_at ON agreements (signed_at);

-- A party's signature, by their position in the case's parties.
CREATE TABLE agreement_signatures (
    agreement_id TEXT NOT NULL REFERENCES agreements (id),
    party_position INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (agreement_id, party_position)
);

-- Whether a signed agreement was kept, as a party or staff who called them answered.
CREATE TABLE follow_ups (
    id TEXT PRIMARY KEY NOT NULL,
    agreement_id TEXT NOT NULL REFERENCES agreements (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    result TEXT NOT NULL,
    note TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX follow_ups_by_agreement ON follow_ups (agreement_id, recorded_at);

-- Notices about an agreement (AGREEMENT_TO_SIGN, FOLLOW_UP), so that voiding it withdraws the
-- follow-up not yet sent.
ALTER TABLE outbox ADD COLUMN agreement_id TEXT;
CREATE INDEX outbox_by_agreement ON outbox (agreement_id);

-- The audit log: append-only, hash-chained. Each record holds the hash of the one before it and
-- its own SHA-256 over a canonical encoding of its fields (crates/audit/src/chain.rs), so an
-- edited or deleted record breaks the chain. `audit_head` holds the last sequence number and
-- hash; appending updates it first, which serialises appends (SQLite has one writer anyway) and
-- lets verification notice a record cut off the end.
CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    peer TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_events_by_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_by_action ON audit_events (action, seq);
CREATE INDEX audit_events_by_at ON audit_events (at);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Refuse changes through SQL by mistake; someone with write access can drop these, which is
-- what the hash chain is for.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- Disabled accounts and the per-account token not-before: an access token issued (iat) before
-- `tokens_not_before` is refused by the gateway on every call. A row exists only for accounts
-- that were ever disabled, so the lookup on each call is a primary-key probe that usually misses.
CREATE TABLE account_blocks (
    account_id TEXT PRIMARY KEY NOT NULL REFERENCES accounts (id),
    disabled BOOLEAN NOT NULL,
    tokens_not_before TIMESTAMP NOT NULL,
    reason TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

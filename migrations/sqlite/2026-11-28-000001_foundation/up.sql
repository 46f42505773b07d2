-- Accounts of every role. Residents log in by phone, staff by login, kiosks by id and secret
-- (kept in password_hash). Phones are E.164.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY NOT NULL,
    role TEXT NOT NULL,
    login TEXT UNIQUE,
    phone TEXT UNIQUE,
    password_hash TEXT,
    display_name TEXT NOT NULL,
    site_id TEXT,
    phone_verified BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- One-time codes sent to phones; only a keyed hash of the code is kept.
CREATE TABLE phone_codes (
    id TEXT PRIMARY KEY NOT NULL,
    phone TEXT NOT NULL,
    purpose TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    consumed_at TIMESTAMP
);
CREATE INDEX phone_codes_by_phone ON phone_codes (phone, purpose, created_at);

-- Refresh tokens, stored as SHA-256 of the token. A family shares one absolute expiry; a token
-- used twice revokes its family.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    issued_at TIMESTAMP NOT NULL,
    family_expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);

-- The JWT signing key generated on first start, shared by every replica on this database.
CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Every create is idempotent by (principal, method, request_id): the first response is replayed.
CREATE TABLE idempotency_keys (
    principal TEXT NOT NULL,
    method TEXT NOT NULL,
    request_id TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    response BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (principal, method, request_id)
);

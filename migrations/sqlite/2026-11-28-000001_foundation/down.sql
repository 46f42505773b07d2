DROP TABLE idempotency_keys;
DROP TABLE signing_keys;
DROP TABLE refresh_tokens;
DROP TABLE phone_codes;
DROP TABLE accounts;

-- Personal data at rest (issue #9). Phones, party names and home addresses are now sealed by the
-- application (AES-256-GCM, `v1:<key id>:<base64>` in the same TEXT columns: accounts.phone,
-- case_parties.name and phone, home_visits.address, outbox.recipient; idempotency_keys.response
-- as the bytes of that text), so no column changes type here. Lookups by phone go through a
-- keyed blind index instead.
--
-- Rows written before this migration are still plain text and have no index: run
-- `mediation rekey` once after upgrading; it seals them and fills the indexes. Until then those
-- rows cannot be read and those residents cannot log in by phone.

ALTER TABLE accounts ADD COLUMN phone_index TEXT;
CREATE UNIQUE INDEX accounts_by_phone_index ON accounts (phone_index);

-- A phone code only needs to be found by its phone, never to show it: keep the index alone.
-- Open codes live ten minutes; those in flight are dropped and their owners ask for another.
DELETE FROM phone_codes;
ALTER TABLE phone_codes RENAME COLUMN phone TO phone_index;

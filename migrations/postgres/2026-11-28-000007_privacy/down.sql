-- Back to plain-text columns. Sealed values stay sealed: only a database that never held
-- personal data (or one restored from before the upgrade) is usable after this.
DELETE FROM phone_codes;
ALTER TABLE phone_codes RENAME COLUMN phone_index TO phone;
DROP INDEX accounts_by_phone_index;
ALTER TABLE accounts DROP COLUMN phone_index;

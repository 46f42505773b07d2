DROP INDEX outbox_by_agreement;
ALTER TABLE outbox DROP COLUMN agreement_id;
DROP TABLE follow_ups;
DROP TABLE agreement_signatures;
DROP TABLE agreements;

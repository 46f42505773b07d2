DROP TABLE case_tasks;
DROP INDEX cases_escalated;
ALTER TABLE cases DROP COLUMN escalation_reason;
ALTER TABLE cases DROP COLUMN escalated_at;
DROP INDEX outbox_by_dedup_key;
ALTER TABLE outbox DROP COLUMN dedup_key;
ALTER TABLE outbox DROP COLUMN channel;
ALTER TABLE sites DROP COLUMN police_desk_webhook_url;
ALTER TABLE sites DROP COLUMN police_desk_phone;

DROP TABLE account_blocks;
DROP TRIGGER audit_events_no_truncate ON audit_events;
DROP TRIGGER audit_events_no_change ON audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE audit_head;
DROP TABLE audit_events;

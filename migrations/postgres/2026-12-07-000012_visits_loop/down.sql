DROP TABLE visit_tracking;
ALTER TABLE home_visits DROP COLUMN appointment_id;
ALTER TABLE home_visits DROP COLUMN referred_to;
ALTER TABLE home_visits DROP COLUMN agreement_summary;
ALTER TABLE home_visits DROP COLUMN outcome_result;
DROP INDEX appointments_by_home_visit;
ALTER TABLE appointments DROP COLUMN travel_seconds;
ALTER TABLE appointments DROP COLUMN home_visit_id;

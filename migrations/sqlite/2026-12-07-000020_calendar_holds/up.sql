-- The holds join what availability keeps in memory: `holds` moves with every hold taken, moved
-- or released, so that each gateway can keep every hold and still answer a search from current
-- data. A search reads this one row (both counters at once) and uses the holds it has only when
-- they are at least that new. Triggers, not the services, move it, in the same transaction as
-- the change.
ALTER TABLE calendar_generation ADD COLUMN holds BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER resource_holds_insert_moves_holds AFTER INSERT ON resource_holds
BEGIN
    UPDATE calendar_generation SET holds = holds + 1 WHERE id = 1;
END;

CREATE TRIGGER resource_holds_update_moves_holds AFTER UPDATE ON resource_holds
BEGIN
    UPDATE calendar_generation SET holds = holds + 1 WHERE id = 1;
END;

CREATE TRIGGER resource_holds_delete_moves_holds AFTER DELETE ON resource_holds
BEGIN
    UPDATE calendar_generation SET holds = holds + 1 WHERE id = 1;
END;

-- Leave and extra hours change as rarely as working hours: they join the calendar.
CREATE TRIGGER schedule_exceptions_insert_moves_calendar AFTER INSERT ON schedule_exceptions
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER schedule_exceptions_update_moves_calendar AFTER UPDATE ON schedule_exceptions
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER schedule_exceptions_delete_moves_calendar AFTER DELETE ON schedule_exceptions
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

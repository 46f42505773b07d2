-- The holds join what availability keeps in memory: `holds` moves with every hold taken, moved
-- or released, so that each gateway can keep every hold and still answer a search from current
-- data. A search reads this one row (both counters at once) and uses the holds it has only when
-- they are at least that new. Triggers, not the services, move it, in the same transaction as
-- the change.
ALTER TABLE calendar_generation ADD COLUMN holds BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION move_hold_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calendar_generation SET holds = holds + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

-- Deferred to the commit: the row lock serialises the transactions that change holds, and
-- taken at the end it is held only while the commit is written, not for the rest of a booking.
CREATE CONSTRAINT TRIGGER resource_holds_move_holds AFTER INSERT OR UPDATE OR DELETE ON resource_holds
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION move_hold_generation();

-- Leave and extra hours change as rarely as working hours: they join the calendar.
CREATE TRIGGER schedule_exceptions_moves_calendar AFTER INSERT OR UPDATE OR DELETE ON schedule_exceptions
    FOR EACH STATEMENT EXECUTE FUNCTION move_calendar_generation();

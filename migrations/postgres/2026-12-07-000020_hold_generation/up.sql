-- A counter that moves with every hold taken, moved or released, so that each gateway can keep
-- the holds in memory and still answer a search from current data: a search reads this one row
-- and uses the holds it has only when they are at least that new. Triggers, not the services,
-- move it, in the same transaction as the change.
CREATE TABLE hold_generation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO hold_generation (id, generation) VALUES (1, 0);

CREATE FUNCTION move_hold_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE hold_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

-- Deferred to the commit: the counter's row lock serialises the transactions that change
-- holds, and taken at the end it is held only while the commit is written, not for the rest of
-- a booking.
CREATE CONSTRAINT TRIGGER resource_holds_move_holds AFTER INSERT OR UPDATE OR DELETE ON resource_holds
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION move_hold_generation();

-- Leave and extra hours change as rarely as working hours: they join the calendar.
CREATE TRIGGER schedule_exceptions_moves_calendar AFTER INSERT OR UPDATE OR DELETE ON schedule_exceptions
    FOR EACH STATEMENT EXECUTE FUNCTION move_calendar_generation();

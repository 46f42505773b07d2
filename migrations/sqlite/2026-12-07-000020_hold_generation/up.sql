-- A counter that moves with every hold taken, moved or released, so that each gateway can keep
-- the holds in memory and still answer a search from current data: a search reads this one row
-- and uses the holds it has only when they are at least that new. Triggers, not the services,
-- move it, in the same transaction as the change.
CREATE TABLE hold_generation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO hold_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER resource_holds_insert_moves_holds AFTER INSERT ON resource_holds
BEGIN
    UPDATE hold_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER resource_holds_update_moves_holds AFTER UPDATE ON resource_holds
BEGIN
    UPDATE hold_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER resource_holds_delete_moves_holds AFTER DELETE ON resource_holds
BEGIN
    UPDATE hold_generation SET generation = generation + 1 WHERE id = 1;
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

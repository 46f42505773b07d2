-- A counter that moves whenever anything availability reads besides the holds changes
-- (mediators and their specialities, sites, rooms, weekly working hours), so that each gateway
-- can keep those in memory and still answer every search from current data: a search reads
-- this one row first and reloads them when it moved. Bookings and leave are not counted: a
-- search reads them afresh each time. Triggers, not the services, move it, in the same
-- transaction as the change.
CREATE TABLE calendar_generation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO calendar_generation (id, generation) VALUES (1, 0);

CREATE TRIGGER mediators_insert_moves_calendar AFTER INSERT ON mediators
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER mediators_update_moves_calendar AFTER UPDATE ON mediators
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER mediators_delete_moves_calendar AFTER DELETE ON mediators
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER mediator_specialties_insert_moves_calendar AFTER INSERT ON mediator_specialties
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER mediator_specialties_update_moves_calendar AFTER UPDATE ON mediator_specialties
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER mediator_specialties_delete_moves_calendar AFTER DELETE ON mediator_specialties
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER sites_insert_moves_calendar AFTER INSERT ON sites
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER sites_update_moves_calendar AFTER UPDATE ON sites
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER sites_delete_moves_calendar AFTER DELETE ON sites
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER rooms_insert_moves_calendar AFTER INSERT ON rooms
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER rooms_update_moves_calendar AFTER UPDATE ON rooms
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER rooms_delete_moves_calendar AFTER DELETE ON rooms
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER working_hours_insert_moves_calendar AFTER INSERT ON working_hours
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER working_hours_update_moves_calendar AFTER UPDATE ON working_hours
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

CREATE TRIGGER working_hours_delete_moves_calendar AFTER DELETE ON working_hours
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
END;

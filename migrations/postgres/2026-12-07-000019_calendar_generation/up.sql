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

-- Once per statement, not per row: seeding ten thousand mediators' hours moves it once.
CREATE FUNCTION move_calendar_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calendar_generation SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER mediators_moves_calendar AFTER INSERT OR UPDATE OR DELETE ON mediators
    FOR EACH STATEMENT EXECUTE FUNCTION move_calendar_generation();
CREATE TRIGGER mediator_specialties_moves_calendar AFTER INSERT OR UPDATE OR DELETE ON mediator_specialties
    FOR EACH STATEMENT EXECUTE FUNCTION move_calendar_generation();
CREATE TRIGGER sites_moves_calendar AFTER INSERT OR UPDATE OR DELETE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION move_calendar_generation();
CREATE TRIGGER rooms_moves_calendar AFTER INSERT OR UPDATE OR DELETE ON rooms
    FOR EACH STATEMENT EXECUTE FUNCTION move_calendar_generation();
CREATE TRIGGER working_hours_moves_calendar AFTER INSERT OR UPDATE OR DELETE ON working_hours
    FOR EACH STATEMENT EXECUTE FUNCTION move_calendar_generation();

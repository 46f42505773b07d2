DROP TRIGGER working_hours_moves_calendar ON working_hours;
DROP TRIGGER rooms_moves_calendar ON rooms;
DROP TRIGGER sites_moves_calendar ON sites;
DROP TRIGGER mediator_specialties_moves_calendar ON mediator_specialties;
DROP TRIGGER mediators_moves_calendar ON mediators;
DROP FUNCTION move_calendar_generation();
DROP TABLE calendar_generation;

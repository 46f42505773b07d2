DROP TRIGGER schedule_exceptions_moves_calendar ON schedule_exceptions;
DROP TRIGGER resource_holds_move_holds ON resource_holds;
DROP FUNCTION move_hold_generation();
ALTER TABLE calendar_generation DROP COLUMN holds;

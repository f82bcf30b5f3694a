-- INSERT OR REPLACE deletes the row it collides with without firing DELETE triggers (SQLite runs them
-- on REPLACE only with recursive_triggers on), so 0001's triggers alone let a replace rewrite an event.
-- Refuse any insert that would collide with a stored event, before conflict resolution can run.
CREATE TRIGGER events_refuse_overwrite BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE position = NEW.position)
    OR EXISTS (SELECT 1 FROM events WHERE stream = NEW.stream AND version = NEW.version)
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: overwriting an event refused');
END;

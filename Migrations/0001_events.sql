-- The append-only event ledger (SPEC section 3.1).
CREATE TABLE events (
    position    INTEGER PRIMARY KEY,
    stream      TEXT    NOT NULL CHECK (length(stream) BETWEEN 1 AND 200),
    version     INTEGER NOT NULL CHECK (version >= 1),
    type        TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 100),
    data        TEXT    NOT NULL CHECK (json_valid(data)),
    recorded_at INTEGER NOT NULL,
    hash        BLOB    NOT NULL CHECK (length(hash) = 32),
    UNIQUE (stream, version)
);

-- The database itself refuses to change or remove an event.
CREATE TRIGGER events_refuse_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: UPDATE refused');
END;

CREATE TRIGGER events_refuse_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events is append-only: DELETE refused');
END;

CREATE INDEX events_by_type ON events (type, position);

-- `rooms` and `call_history` were keyed by a room's code (and `room-<code>`), which is random: a room
-- code is what a link names, so it must not be guessable. Every join, leave and end of a room updates
-- its `rooms` row, and joins and the end its `call_history` row, so each such event dirtied pages that
-- no other event of a group commit shared, and the commit wrote every one of those pages whole.
--
-- Both tables are now keyed by the ledger position of the event that made the row (`room.created`, or
-- `invite.received`), which grows with time: the rows of the calls in progress sit together on the
-- last pages. The code and the call id stay unique through named indexes, which change only when a
-- row is made. `rooms_live` and `call_history_by_start` now also hold the code and the call id, so
-- that the live rooms' order (creation, then code) and the history's (start, then call id) still come
-- from the index alone.
--
-- A room's row always has its `room.created` event (the projection writes the row from it), so the
-- subquery finds its position.
CREATE TABLE rooms_by_position (
    position      INTEGER PRIMARY KEY,       -- ledger position of the room's room.created
    code          TEXT    NOT NULL,
    host_name     TEXT    NOT NULL,
    max_peers     INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    state         TEXT    NOT NULL,          -- live | ended
    peer_count    INTEGER NOT NULL,
    ended_at      INTEGER,
    end_reason    TEXT
);
INSERT INTO rooms_by_position (position, code, host_name, max_peers, created_by, created_at, expires_at, state,
        peer_count, ended_at, end_reason)
    SELECT (SELECT position FROM events WHERE stream = 'room-' || rooms.code AND version = 1),
        code, host_name, max_peers, created_by, created_at, expires_at, state, peer_count, ended_at, end_reason
    FROM rooms;
DROP TABLE rooms;
ALTER TABLE rooms_by_position RENAME TO rooms;
CREATE UNIQUE INDEX rooms_by_code ON rooms (code);
CREATE INDEX rooms_live ON rooms (state, created_at, code);

CREATE TABLE call_history_by_position (
    position     INTEGER PRIMARY KEY,        -- ledger position of room.created or invite.received
    call_id      TEXT    NOT NULL,           -- room-<code> (hosted) | invite-<id> (incoming)
    direction    TEXT    NOT NULL,           -- outgoing | incoming
    room_code    TEXT    NOT NULL,
    counterpart  TEXT    NOT NULL,           -- host name (outgoing) or caller name (incoming)
    participants TEXT    NOT NULL,           -- JSON array of display names, in join order, distinct
    peak_peers   INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    duration_ms  INTEGER,
    outcome      TEXT    NOT NULL            -- ongoing | answered | unanswered | ringing | accepted | declined | dismissed | missed
);
INSERT INTO call_history_by_position (position, call_id, direction, room_code, counterpart, participants, peak_peers,
        started_at, ended_at, duration_ms, outcome)
    SELECT position, call_id, direction, room_code, counterpart, participants, peak_peers, started_at, ended_at,
        duration_ms, outcome
    FROM call_history;
DROP TABLE call_history;
ALTER TABLE call_history_by_position RENAME TO call_history;
CREATE UNIQUE INDEX call_history_by_call ON call_history (call_id);
CREATE INDEX call_history_by_start ON call_history (started_at, call_id);

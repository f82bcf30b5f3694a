-- Call history is read from the rows it repeated. A hosted call's history row held what its `rooms` row
-- holds (code, host, start, end) plus who joined, the peak count and the duration; a received call's
-- held what its `incoming_calls` row holds. Every event of a call wrote both rows: a join updated the
-- room's count and then the history's participants and peak, an answer updated the invite's status and
-- then the history's outcome. Now the room row keeps the three values only the history had, and the
-- history is a query over the two tables (`Queries.history`): one table fewer for those events to
-- write, and for a rebuild.
--
-- Outcomes are derived when read, as the history projection computed them: a live room is `ongoing`,
-- an ended one `answered` when at least two people were in it at once, else `unanswered`; a received
-- call's outcome is its status, and its end is the time the status last changed unless it still rings.
ALTER TABLE rooms ADD COLUMN participants TEXT    NOT NULL DEFAULT '[]';  -- JSON array of display names, in join order, distinct
ALTER TABLE rooms ADD COLUMN peak_peers   INTEGER NOT NULL DEFAULT 0;     -- most people present at once
ALTER TABLE rooms ADD COLUMN duration_ms  INTEGER;                        -- from room.ended

UPDATE rooms SET participants = h.participants, peak_peers = h.peak_peers, duration_ms = h.duration_ms
    FROM call_history AS h
    WHERE h.position = rooms.position AND h.direction = 'outgoing';

DROP TABLE call_history;
DELETE FROM projection_checkpoints WHERE name = 'call_history';

-- The history pages back by start, newest first: a room's start is its creation.
CREATE INDEX rooms_by_start ON rooms (created_at, code);

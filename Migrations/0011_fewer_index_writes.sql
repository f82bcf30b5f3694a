-- Every index entry an event adds, moves or removes is one more page that its commit writes whole, and
-- one more index that a rebuild sorts and writes. Three indexes did more than their readers need.
--
-- `call_history_by_call` kept the call id unique and found a call's row for its updates. The id is
-- `room-<code>` or `invite-<id>`, random text, so every new call dirtied a page of that index that no
-- other event shared. The uniqueness is already there: a hosted call's row is made with its room's
-- row, whose code `rooms_by_code` keeps unique, and a received call's with its `incoming_calls` row,
-- keyed by the invite id, in the same transaction. Both of those rows hold the position that keys
-- the call's `call_history` row, so the updates find it through them.
DROP INDEX IF EXISTS call_history_by_call;

-- `rooms_live` held every room, live or ended, to list the live ones; a room's end moved its entry
-- from one end of the index to the other. It now holds only the live rooms: a room enters it when it
-- is made and leaves when it ends, and a rebuild builds it over the few rooms still open.
DROP INDEX IF EXISTS rooms_live;
CREATE INDEX rooms_live ON rooms (created_at, code) WHERE state = 'live';

-- The outbox reads only pending invites, oldest first; every later state change moved an entry of
-- this index too. It now holds only the pending ones (the table's key, the invite id, is part of
-- every entry, so the order by request time and then id still comes from the index alone).
DROP INDEX IF EXISTS outgoing_invites_by_state;
CREATE INDEX outgoing_invites_pending ON outgoing_invites (requested_at) WHERE state = 'pending';

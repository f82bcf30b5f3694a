-- The token hash and the Nostr event id stay unique, but through named unique indexes instead of
-- UNIQUE column constraints. SQLite cannot drop the index behind a column constraint, so a rebuild had
-- to insert every row into it one at a time, in random order (the keys are hashes). A named index can
-- be dropped before the rebuild writes the rows and built again after them, sorted once.
-- SQLite cannot remove a column constraint in place: each table is copied into one without it.

CREATE TABLE tokens_without_unique_column (
    token_id       TEXT    PRIMARY KEY,
    room_code      TEXT    NOT NULL,
    token_hash     TEXT    NOT NULL,
    role           TEXT    NOT NULL,          -- host | guest
    label          TEXT,
    invitee        TEXT,
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    state          TEXT    NOT NULL,          -- issued | used | revoked (expired is derived)
    used_by_peer   TEXT,
    used_at        INTEGER,
    revoked_reason TEXT,
    revoked_at     INTEGER
) WITHOUT ROWID;
INSERT INTO tokens_without_unique_column
    SELECT token_id, room_code, token_hash, role, label, invitee, issued_at, expires_at, state,
        used_by_peer, used_at, revoked_reason, revoked_at
    FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_without_unique_column RENAME TO tokens;
CREATE INDEX tokens_by_room ON tokens (room_code);
CREATE UNIQUE INDEX tokens_by_hash ON tokens (token_hash);

CREATE TABLE incoming_calls_without_unique_column (
    invite_id         TEXT    PRIMARY KEY,
    nostr_event_id    TEXT    NOT NULL,
    sender_pubkey     TEXT    NOT NULL,
    sender_name       TEXT    NOT NULL,
    room_code         TEXT    NOT NULL,
    join_url          TEXT    NOT NULL,
    sent_at           INTEGER NOT NULL,
    received_at       INTEGER NOT NULL,
    status            TEXT    NOT NULL,       -- ringing | dismissed | accepted | declined | missed
    status_changed_at INTEGER NOT NULL,
    position          INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO incoming_calls_without_unique_column
    SELECT invite_id, nostr_event_id, sender_pubkey, sender_name, room_code, join_url, sent_at, received_at,
        status, status_changed_at, position
    FROM incoming_calls;
DROP TABLE incoming_calls;
ALTER TABLE incoming_calls_without_unique_column RENAME TO incoming_calls;
CREATE INDEX incoming_calls_by_received ON incoming_calls (received_at);
CREATE UNIQUE INDEX incoming_calls_by_nostr_event ON incoming_calls (nostr_event_id);

-- A token's secret hash and a received invite's Nostr event id are 32-byte values that events carry as
-- 64 hex characters. Both are kept unique by an index and looked up by value, never read as text by
-- SQL, so their rows and index entries now hold the 32 bytes: half the bytes in the row and in the
-- index, a smaller file, and less for a rebuild to write and sort.
--
-- `crow_digest_bytes` is registered by the gateway's migrator on its connection. It turns 64 lowercase
-- hex characters into their bytes and returns anything else unchanged, so a row whose value was not
-- canonical hex keeps its text and loses nothing. The projections write the same forms from here on,
-- and read the bytes back as the lowercase hex they came from.
CREATE TABLE tokens_by_digest (
    token_id       TEXT    PRIMARY KEY,
    room_code      TEXT    NOT NULL,
    token_hash     BLOB    NOT NULL,          -- SHA-256 of the secret: 32 bytes
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
INSERT INTO tokens_by_digest (token_id, room_code, token_hash, role, label, invitee, issued_at, expires_at, state,
        used_by_peer, used_at, revoked_reason, revoked_at)
    SELECT token_id, room_code, crow_digest_bytes(token_hash), role, label, invitee, issued_at, expires_at, state,
        used_by_peer, used_at, revoked_reason, revoked_at
    FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_by_digest RENAME TO tokens;
CREATE UNIQUE INDEX tokens_by_hash ON tokens (token_hash);
CREATE INDEX tokens_by_room ON tokens (room_code);

CREATE TABLE incoming_calls_by_digest (
    invite_id         TEXT    PRIMARY KEY,
    nostr_event_id    BLOB    NOT NULL,       -- the invite's Nostr event id: 32 bytes
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
INSERT INTO incoming_calls_by_digest (invite_id, nostr_event_id, sender_pubkey, sender_name, room_code, join_url,
        sent_at, received_at, status, status_changed_at, position)
    SELECT invite_id, crow_digest_bytes(nostr_event_id), sender_pubkey, sender_name, room_code, join_url,
        sent_at, received_at, status, status_changed_at, position
    FROM incoming_calls;
DROP TABLE incoming_calls;
ALTER TABLE incoming_calls_by_digest RENAME TO incoming_calls;
CREATE UNIQUE INDEX incoming_calls_by_nostr_event ON incoming_calls (nostr_event_id);
CREATE INDEX incoming_calls_by_received ON incoming_calls (received_at);

-- Read models derived from the ledger (SPEC section 4). Every row here can be dropped and rebuilt
-- from `events`; clock-dependent states (missed, expired) are derived at read time.

CREATE TABLE projection_checkpoints (
    name     TEXT    PRIMARY KEY,
    position INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE rooms (
    code          TEXT    PRIMARY KEY,
    host_name     TEXT    NOT NULL,
    max_peers     INTEGER NOT NULL,
    created_by    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    state         TEXT    NOT NULL,          -- live | ended
    peer_count    INTEGER NOT NULL,
    ended_at      INTEGER,
    end_reason    TEXT
) WITHOUT ROWID;
CREATE INDEX rooms_live ON rooms (state, created_at);

CREATE TABLE room_peers (
    room_code    TEXT    NOT NULL,
    peer_id      TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    token_id     TEXT    NOT NULL,
    joined_at    INTEGER NOT NULL,
    PRIMARY KEY (room_code, peer_id)
) WITHOUT ROWID;

CREATE TABLE tokens (
    token_id       TEXT    PRIMARY KEY,
    room_code      TEXT    NOT NULL,
    token_hash     TEXT    NOT NULL UNIQUE,
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
CREATE INDEX tokens_by_room ON tokens (room_code);

CREATE TABLE incoming_calls (
    invite_id         TEXT    PRIMARY KEY,
    nostr_event_id    TEXT    NOT NULL UNIQUE,
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
CREATE INDEX incoming_calls_by_received ON incoming_calls (received_at);

CREATE TABLE outgoing_invites (
    invite_id      TEXT    PRIMARY KEY,
    room_code      TEXT    NOT NULL,
    contact_pubkey TEXT    NOT NULL,
    transport      TEXT    NOT NULL,          -- nip17 | crow
    token_id       TEXT,
    requested_at   INTEGER NOT NULL,
    state          TEXT    NOT NULL,          -- pending | sent | failed | declined | answered | cancelled
    attempts       INTEGER NOT NULL,
    relays_ok      INTEGER NOT NULL,
    last_error     TEXT,
    updated_at     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX outgoing_invites_by_state ON outgoing_invites (state, requested_at);
CREATE INDEX outgoing_invites_by_room ON outgoing_invites (room_code);
CREATE INDEX outgoing_invites_by_token ON outgoing_invites (token_id);

CREATE TABLE call_history (
    call_id      TEXT    PRIMARY KEY,         -- room-<code> (hosted) | invite-<id> (incoming)
    direction    TEXT    NOT NULL,            -- outgoing | incoming
    room_code    TEXT    NOT NULL,
    counterpart  TEXT    NOT NULL,            -- host name (outgoing) or caller name (incoming)
    participants TEXT    NOT NULL,            -- JSON array of display names, in join order, distinct
    peak_peers   INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    duration_ms  INTEGER,
    outcome      TEXT    NOT NULL,            -- ongoing | answered | unanswered | ringing | accepted | declined | dismissed | missed
    position     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX call_history_by_start ON call_history (started_at);

CREATE TABLE bell (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    unread   INTEGER NOT NULL,
    position INTEGER NOT NULL
);
INSERT INTO bell (id, unread, position) VALUES (1, 0, 0);

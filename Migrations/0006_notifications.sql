-- Notifications that reach the owner when no gateway page is open: the browsers subscribed to Web Push,
-- and how far the notification dispatcher has followed the ledger. Ordinary tables beside the owner's
-- records: not events, not hashed into the chain, not rebuilt from the ledger.

-- One row per browser push subscription (PushSubscription.toJSON()).
CREATE TABLE push_subscriptions (
    subscription_id TEXT    PRIMARY KEY,      -- public identifier, safe to log
    endpoint        TEXT    NOT NULL UNIQUE,  -- the push service URL for this browser (a capability: never logged)
    p256dh          TEXT    NOT NULL,         -- the browser's P-256 key, base64url
    auth            TEXT    NOT NULL,         -- the browser's 16-byte auth secret, base64url
    created_at      INTEGER NOT NULL,
    last_sent_at    INTEGER,
    failures        INTEGER NOT NULL DEFAULT 0  -- sends failed in a row
) WITHOUT ROWID;

-- At most one row: the ledger position up to which every notification has been dealt with.
CREATE TABLE notification_cursor (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    position   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Sends already made for events beyond the cursor, so that a restart in the middle of an event sends
-- again only to the targets that had not taken it. Rows at or below the cursor are deleted.
CREATE TABLE notification_sends (
    position INTEGER NOT NULL,
    target   TEXT    NOT NULL,               -- a subscription id, or 'ntfy'
    sent_at  INTEGER NOT NULL,
    PRIMARY KEY (position, target)
) WITHOUT ROWID;

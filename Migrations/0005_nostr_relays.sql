-- The gateway's own Nostr relays as edited in the panel's settings, and how far each relay's
-- subscription has been followed. Ordinary tables beside the owner's records: not events, not hashed
-- into the chain, not rebuilt from the ledger.

-- Relays the owner added in the panel (the ones from CROW_NOSTR_RELAYS or --nostr-relay are not stored:
-- they come from the configuration on every start).
CREATE TABLE nostr_relays (
    url      TEXT    PRIMARY KEY,   -- ws(s) URL as entered (checked by the same rules as contact relays)
    position INTEGER NOT NULL,      -- order in the panel
    added_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The subscription cursor of each relay: the last moment (Unix seconds) up to which every event the
-- relay had was delivered to the gateway (the end of stored events, then kept fresh while the
-- subscription stays open). A new subscription asks from this moment minus the gift-wrap back-dating.
CREATE TABLE nostr_relay_cursors (
    url        TEXT    PRIMARY KEY,
    caught_up  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

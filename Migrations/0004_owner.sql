-- The owner's account, credentials and address book. Ordinary tables in the ledger's file: they are not
-- events, are not hashed into the chain, and are not rebuilt from the ledger. Secrets (session cookies,
-- API tokens, the setup secret) are stored only as lowercase hex SHA-256; the password only as a scrypt
-- hash with its salt and cost parameters, so the cost can be raised later (rehash on the next login).

-- At most one row: the owner's password.
CREATE TABLE owner_account (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    kdf           TEXT    NOT NULL CHECK (kdf = 'scrypt'),
    kdf_log_n     INTEGER NOT NULL,          -- scrypt N = 2^kdf_log_n
    kdf_r         INTEGER NOT NULL,
    kdf_p         INTEGER NOT NULL,
    salt          TEXT    NOT NULL,          -- hex
    password_hash TEXT    NOT NULL,          -- hex
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- At most one row: the one-time secret of the first-run setup URL, replaced on every start without an owner.
CREATE TABLE owner_setup (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    secret_hash TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Browser sessions (the `crow_session` cookie).
CREATE TABLE owner_sessions (
    session_id  TEXT    PRIMARY KEY,          -- public identifier, safe to log
    secret_hash TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX owner_sessions_expiry ON owner_sessions (expires_at);

-- Bearer tokens made with `crow-calls api-token create`.
CREATE TABLE owner_api_tokens (
    token_id    TEXT    PRIMARY KEY,          -- public identifier, safe to log
    secret_hash TEXT    NOT NULL UNIQUE,
    label       TEXT,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) WITHOUT ROWID;

-- The owner's contacts: who invites can be sent to and received from.
CREATE TABLE contacts (
    contact_id TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    pubkey     TEXT    NOT NULL UNIQUE,       -- 64 lowercase hex (x-only Nostr key)
    relays     TEXT    NOT NULL DEFAULT '[]', -- JSON array of ws(s) URLs
    transport  TEXT    NOT NULL CHECK (transport IN ('nip17', 'crow')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX contacts_by_name ON contacts (name COLLATE NOCASE);

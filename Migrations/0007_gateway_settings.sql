-- Settings the owner changes in the panel that the gateway itself needs, such as the public address
-- other people reach it at. One row per setting, by name. Ordinary records beside the owner's tables:
-- not events, not hashed into the chain, not rebuilt from the ledger. A setting from the configuration
-- (an environment variable or a command-line option) is never stored here, and wins over a stored one.
CREATE TABLE gateway_settings (
    name       TEXT    PRIMARY KEY,   -- e.g. 'public_address'
    value      TEXT    NOT NULL,      -- checked by the setting's own rule before it is written
    updated_at INTEGER NOT NULL       -- unix ms
) WITHOUT ROWID;

import GRDB

/// The gateway's own Nostr relays that the owner keeps in the panel, and the subscription cursor of every
/// relay the gateway follows. Relays from the configuration (`CROW_NOSTR_RELAYS`, `--nostr-relay`) are
/// not stored here: they are read on every start and always used.
extension OwnerStore {
    /// The relays saved in the panel, in the owner's order.
    public func savedRelays() async throws(OwnerError) -> [String] {
        try await ownerRead { db in
            try String.fetchAll(db, sql: "SELECT url FROM nostr_relays ORDER BY position, url")
        }
    }

    /// Replaces the saved relays with `relays`, checked by the rules for contact relays (at most 16;
    /// `wss://`, or `ws://` to a loopback or tailnet host; duplicates dropped). Returns what was saved.
    @discardableResult
    public func replaceSavedRelays(_ relays: [String]) async throws(OwnerError) -> [String] {
        let checked: [String]
        do {
            checked = try ContactRules.relays(relays)
        } catch .invalidContact(let message) {
            throw .invalidRelays(message)
        }
        let now = clock()
        try await ownerWrite { db in
            try db.execute(sql: "DELETE FROM nostr_relays")
            for (position, url) in checked.enumerated() {
                try db.execute(
                    sql: "INSERT INTO nostr_relays (url, position, added_at) VALUES (?, ?, ?)",
                    arguments: [url, position, now]
                )
            }
        }
        return checked
    }

    /// Up to when (Unix seconds) every event on `relay` is known to have reached the gateway, if ever.
    public func relayCursor(_ relay: String) async throws(OwnerError) -> Int64? {
        try await ownerRead { db in
            try Int64.fetchOne(db, sql: "SELECT caught_up FROM nostr_relay_cursors WHERE url = ?", arguments: [relay])
        }
    }

    /// Moves `relay`'s cursor forward to `caughtUp` (Unix seconds); a cursor never moves back.
    public func advanceRelayCursor(_ relay: String, to caughtUp: Int64) async throws(OwnerError) {
        let now = clock()
        try await ownerWrite { db in
            try db.execute(
                sql: """
                    INSERT INTO nostr_relay_cursors (url, caught_up, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (url) DO UPDATE SET caught_up = max(caught_up, excluded.caught_up), updated_at = excluded.updated_at
                    """,
                arguments: [relay, caughtUp, now]
            )
        }
    }
}

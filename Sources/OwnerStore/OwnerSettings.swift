import GRDB

/// Settings the owner keeps in the panel that the gateway itself needs (`gateway_settings`). One
/// named row each; a setting from the configuration is not stored here and wins over a stored one.
extension OwnerStore {
    static let publicAddressSetting = "public_address"

    /// The public address saved in setup or in the panel, if any (already checked by
    /// `PublicAddressRule`).
    public func savedPublicAddress() async throws(OwnerError) -> String? {
        try await ownerRead { db in try Self.publicAddress(in: db) }
    }

    /// Saves the public address after checking it with `PublicAddressRule`, or forgets it when `address`
    /// is nil or blank. Returns what is saved now.
    @discardableResult
    public func savePublicAddress(_ address: String?) async throws(OwnerError) -> String? {
        let checked = try PublicAddressRule.checked(address)
        let now = clock()
        try await ownerWrite { db in try Self.writePublicAddress(checked, now: now, in: db) }
        return checked
    }

    static func publicAddress(in db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM gateway_settings WHERE name = ?", arguments: [publicAddressSetting])
    }

    static func writePublicAddress(_ address: String?, now: Int64, in db: Database) throws {
        if let address {
            try db.execute(
                sql: """
                    INSERT INTO gateway_settings (name, value, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """,
                arguments: [publicAddressSetting, address, now]
            )
        } else {
            try db.execute(sql: "DELETE FROM gateway_settings WHERE name = ?", arguments: [publicAddressSetting])
        }
    }
}

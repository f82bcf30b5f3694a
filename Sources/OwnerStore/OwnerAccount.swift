import CrowSecurity
import GRDB
import Foundation

/// The owner's password as stored: a scrypt hash with its salt and cost, never the password.
public struct OwnerPasswordHash: Sendable, Hashable {
    /// scrypt N = 2^logN.
    public var logN: Int
    public var r: Int
    public var p: Int
    /// Hex.
    public var salt: String
    /// Hex.
    public var hash: String

    public init(logN: Int, r: Int, p: Int, salt: String, hash: String) {
        self.logN = logN
        self.r = r
        self.p = p
        self.salt = salt
        self.hash = hash
    }
}

/// A bearer secret handed out once (session cookie value or API token) with its public identifier.
public struct IssuedOwnerSecret: Sendable, Hashable {
    /// Public identifier, safe to log and show.
    public var id: String
    /// The secret itself: shown once, stored only as its SHA-256.
    public var secret: String
    /// Unix milliseconds; nil when it does not expire (API tokens).
    public var expiresAt: Int64?
}

/// An API token as listed (no secret).
public struct OwnerAPITokenRecord: Sendable, Hashable {
    public var id: String
    public var label: String?
    public var createdAt: Int64
    public var revokedAt: Int64?
}

/// Owner account, first-run setup, sessions and API tokens: ordinary tables of the ledger file
/// (migration 0004), not events. Secrets are looked up by their SHA-256 and compared in constant time.
extension OwnerStore {
    // MARK: - Password and setup

    /// The stored password hash; nil until the owner has completed setup.
    public func ownerPasswordHash() async throws(OwnerError) -> OwnerPasswordHash? {
        try await ownerRead { db in try Self.passwordHash(in: db) }
    }

    /// Whether the owner password is set.
    public func ownerExists() async throws(OwnerError) -> Bool {
        try await ownerPasswordHash() != nil
    }

    /// Draws a new one-time setup secret, replacing any earlier one, and returns it; returns nil (and
    /// forgets any leftover secret) when the owner password is already set.
    public func replaceOwnerSetupSecret() async throws(OwnerError) -> String? {
        let now = clock()
        return try await ownerWrite { db in
            if try Self.passwordHash(in: db) != nil {
                try db.execute(sql: "DELETE FROM owner_setup")
                return nil
            }
            let secret = Secrets.token()
            try db.execute(
                sql: "INSERT OR REPLACE INTO owner_setup (id, secret_hash, created_at) VALUES (1, ?, ?)",
                arguments: [Secrets.hash(secret), now]
            )
            return secret
        }
    }

    /// Whether `secret` is the current setup secret and no owner exists yet.
    public func ownerSetupSecretIsValid(_ secret: String) async throws(OwnerError) -> Bool {
        try await ownerRead { db in try Self.setupSecretMatches(secret, in: db) }
    }

    /// Sets the owner password with the one-time setup secret, consumes the secret and opens a session,
    /// all in one transaction: of concurrent attempts with one secret, exactly one succeeds.
    public func completeOwnerSetup(
        secret: String,
        password: OwnerPasswordHash,
        sessionLifetime: Int64,
        publicAddress: String? = nil
    ) async throws(OwnerError) -> IssuedOwnerSecret {
        let address = try PublicAddressRule.checked(publicAddress)
        let now = clock()
        return try await ownerWrite { db in
            if try Self.passwordHash(in: db) != nil { throw OwnerError.ownerExists }
            guard try Self.setupSecretMatches(secret, in: db) else { throw OwnerError.setupSecretInvalid }
            try db.execute(
                sql: """
                    INSERT INTO owner_account (id, kdf, kdf_log_n, kdf_r, kdf_p, salt, password_hash, created_at, updated_at)
                    VALUES (1, 'scrypt', ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [password.logN, password.r, password.p, password.salt, password.hash, now, now]
            )
            try db.execute(sql: "DELETE FROM owner_setup")
            if let address { try Self.writePublicAddress(address, now: now, in: db) }
            return try Self.insertSession(now: now, lifetime: sessionLifetime, in: db)
        }
    }

    /// Replaces the stored hash of the same password (to raise the cost after a successful login).
    public func replaceOwnerPasswordHash(_ password: OwnerPasswordHash) async throws(OwnerError) {
        let now = clock()
        try await ownerWrite { db in
            try db.execute(
                sql: """
                    UPDATE owner_account SET kdf_log_n = ?, kdf_r = ?, kdf_p = ?, salt = ?, password_hash = ?, updated_at = ?
                    WHERE id = 1
                    """,
                arguments: [password.logN, password.r, password.p, password.salt, password.hash, now]
            )
        }
    }

    // MARK: - Sessions

    /// Opens a browser session that ends `lifetime` milliseconds from now; also drops expired sessions.
    public func createOwnerSession(lifetime: Int64) async throws(OwnerError) -> IssuedOwnerSecret {
        let now = clock()
        return try await ownerWrite { db in try Self.insertSession(now: now, lifetime: lifetime, in: db) }
    }

    /// The id of the live session whose cookie value is `secret`; nil when unknown or expired.
    public func ownerSessionID(secret: String) async throws(OwnerError) -> String? {
        try await ownerSession(secret: secret)?.id
    }

    /// The live session whose cookie value is `secret`, with its expiry; nil when unknown or expired.
    public func ownerSession(secret: String) async throws(OwnerError) -> (id: String, expiresAt: Int64)? {
        let now = clock()
        let presented = Secrets.hash(secret)
        return try await ownerRead { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT session_id, secret_hash, expires_at FROM owner_sessions WHERE secret_hash = ?",
                    arguments: [presented]
                ),
                ConstantTime.equals(row["secret_hash"] as String, presented),
                (row["expires_at"] as Int64) > now
            else { return nil }
            return (row["session_id"] as String, row["expires_at"] as Int64)
        }
    }

    /// Ends the session whose cookie value is `secret` (no-op when unknown).
    public func endOwnerSession(secret: String) async throws(OwnerError) {
        let presented = Secrets.hash(secret)
        try await ownerWrite { db in
            try db.execute(sql: "DELETE FROM owner_sessions WHERE secret_hash = ?", arguments: [presented])
        }
    }

    /// How many sessions are live (for tests and status pages).
    public func ownerSessionCount() async throws(OwnerError) -> Int {
        let now = clock()
        return try await ownerRead { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM owner_sessions WHERE expires_at > ?", arguments: [now]) ?? 0
        }
    }

    // MARK: - API tokens

    /// A new Bearer token for the owner's API. The secret is returned once and stored only hashed.
    public func createOwnerAPIToken(label: String?) async throws(OwnerError) -> IssuedOwnerSecret {
        let now = clock()
        let label = label.map { TextRules.clean($0, limit: TextRules.maxLabel) }.flatMap { $0.isEmpty ? nil : $0 }
        return try await ownerWrite { db in
            let id = Secrets.identifier()
            let secret = Secrets.token()
            try db.execute(
                sql: "INSERT INTO owner_api_tokens (token_id, secret_hash, label, created_at) VALUES (?, ?, ?, ?)",
                arguments: [id, Secrets.hash(secret), label, now]
            )
            return IssuedOwnerSecret(id: id, secret: secret, expiresAt: nil)
        }
    }

    /// The id of the unrevoked API token `secret`; nil otherwise.
    public func ownerAPITokenID(secret: String) async throws(OwnerError) -> String? {
        let presented = Secrets.hash(secret)
        return try await ownerRead { db in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT token_id, secret_hash FROM owner_api_tokens WHERE secret_hash = ? AND revoked_at IS NULL",
                    arguments: [presented]
                ),
                ConstantTime.equals(row["secret_hash"] as String, presented)
            else { return nil }
            return row["token_id"] as String
        }
    }

    public func ownerAPITokens() async throws(OwnerError) -> [OwnerAPITokenRecord] {
        try await ownerRead { db in
            try Row.fetchAll(
                db,
                sql: "SELECT token_id, label, created_at, revoked_at FROM owner_api_tokens ORDER BY created_at, token_id"
            ).map { row in
                OwnerAPITokenRecord(
                    id: row["token_id"],
                    label: row["label"],
                    createdAt: row["created_at"],
                    revokedAt: row["revoked_at"]
                )
            }
        }
    }

    /// Revokes an API token; false when there is no unrevoked token with this id.
    @discardableResult
    public func revokeOwnerAPIToken(id: String) async throws(OwnerError) -> Bool {
        let now = clock()
        return try await ownerWrite { db in
            try db.execute(
                sql: "UPDATE owner_api_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                arguments: [now, id]
            )
            return db.changesCount > 0
        }
    }

    // MARK: - Helpers

    static func passwordHash(in db: Database) throws -> OwnerPasswordHash? {
        guard
            let row = try Row.fetchOne(
                db,
                sql: "SELECT kdf_log_n, kdf_r, kdf_p, salt, password_hash FROM owner_account WHERE id = 1"
            )
        else { return nil }
        return OwnerPasswordHash(
            logN: row["kdf_log_n"],
            r: row["kdf_r"],
            p: row["kdf_p"],
            salt: row["salt"],
            hash: row["password_hash"]
        )
    }

    static func setupSecretMatches(_ secret: String, in db: Database) throws -> Bool {
        guard try passwordHash(in: db) == nil,
            let stored = try String.fetchOne(db, sql: "SELECT secret_hash FROM owner_setup WHERE id = 1")
        else { return false }
        return ConstantTime.equals(stored, Secrets.hash(secret))
    }

    static func insertSession(now: Int64, lifetime: Int64, in db: Database) throws -> IssuedOwnerSecret {
        try db.execute(sql: "DELETE FROM owner_sessions WHERE expires_at <= ?", arguments: [now])
        let id = Secrets.identifier()
        let secret = Secrets.token()
        let expiresAt = now + lifetime
        try db.execute(
            sql: "INSERT INTO owner_sessions (session_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?)",
            arguments: [id, Secrets.hash(secret), now, expiresAt]
        )
        return IssuedOwnerSecret(id: id, secret: secret, expiresAt: expiresAt)
    }
}

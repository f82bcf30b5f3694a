import Crypto
import Foundation
public import GRDB
public import LedgerMigrations

/// Applies the numbered migrations in order, each in its own transaction, and records each one with the
/// SHA-256 of its text so that an edited or unknown migration is refused instead of silently skipped.
///
/// A migration's SQL may call the functions registered here on the connection first
/// (`StoredDigest.sqlFunctionName`), which SQLite's own SQL lacks in the version Debian 12 ships.
public enum Migrator {
    public static func migrate(_ db: Database, migrations: [SchemaMigration] = schemaMigrations, now: Int64) throws {
        db.addStoredDigestFunction()
        try db.execute(
            sql: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    number     INTEGER PRIMARY KEY,
                    name       TEXT    NOT NULL,
                    checksum   TEXT    NOT NULL,
                    applied_at INTEGER NOT NULL
                )
                """
        )
        let done = try checkApplied(db, migrations: migrations)
        for migration in migrations.sorted(by: { $0.number < $1.number }) where !done.contains(migration.number) {
            try db.inTransaction(.immediate) {
                try db.execute(sql: migration.sql)
                try db.execute(
                    sql: "INSERT INTO schema_migrations (number, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                    arguments: [migration.number, migration.name, checksum(migration.sql), now]
                )
                return .commit
            }
        }
    }

    /// Checks, without changing anything, that every migration recorded in the file is one this build
    /// ships with unchanged text. Returns the numbers applied.
    @discardableResult
    public static func checkApplied(_ db: Database, migrations: [SchemaMigration] = schemaMigrations) throws -> Set<Int> {
        let applied = try Row.fetchAll(db, sql: "SELECT number, name, checksum FROM schema_migrations ORDER BY number")
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.number, $0) })
        for row in applied {
            let number: Int = row["number"]
            guard let migration = known[number] else { throw LedgerError.migrationUnknown(number: number) }
            if checksum(migration.sql) != (row["checksum"] as String) {
                throw LedgerError.migrationModified(number: number, name: migration.name)
            }
        }
        return Set(applied.map { $0["number"] as Int })
    }

    /// Checks, without changing anything, that the file holds every migration this build ships and no
    /// other: what a read-only comparison with this build's schema needs (`crow-ledger verify`). Throws
    /// `migrationPending` for the first one missing.
    public static func checkCurrent(_ db: Database, migrations: [SchemaMigration] = schemaMigrations) throws {
        let applied = try checkApplied(db, migrations: migrations)
        if let pending = migrations.sorted(by: { $0.number < $1.number }).first(where: { !applied.contains($0.number) }) {
            throw LedgerError.migrationPending(number: pending.number, name: pending.name)
        }
    }

    static func checksum(_ sql: String) -> String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

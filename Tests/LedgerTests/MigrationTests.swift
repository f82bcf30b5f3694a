import Foundation
import GRDB
import Ledger
import Testing
import TestSupport

/// Shipped migrations are immutable: a file migrated with different text, or by a newer build, is refused.
@Suite struct MigrationTests {
    @Test func aFreshFileGetsEveryMigrationOnceWithItsChecksum() async throws {
        let dir = try TemporaryDirectory()
        try makeStore(in: dir).close()
        try makeStore(in: dir).close()  // reopening applies nothing twice
        let rows = try rawQueue(dir.file("ledger.sqlite")).read { db in
            try Row.fetchAll(db, sql: "SELECT number, name, length(checksum) AS l FROM schema_migrations ORDER BY number")
        }
        #expect(rows.map { $0["number"] as Int } == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(
            rows.map { $0["name"] as String } == [
                "events", "projections", "events_refuse_replace", "owner", "nostr_relays", "notifications", "gateway_settings",
                "events_without_type_index",
            ])
        #expect(rows.allSatisfy { $0["l"] as Int == 64 })
        let mode = try await rawQueue(dir.file("ledger.sqlite")).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func synchronousIsFullByDefaultAndNormalWhenAsked() async throws {
        let dir = try TemporaryDirectory()
        let full = try makeStore(in: dir, name: "full.sqlite")
        #expect(try full.readSync { _ in () } == ())
        let fullMode = try full.maintenanceWrite { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(fullMode == 2)
        let normal = try makeStore(in: dir, name: "normal.sqlite", synchronous: .normal)
        let normalMode = try normal.maintenanceWrite { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(normalMode == 1)
    }

    @Test func anEditedMigrationIsRefused() async throws {
        let dir = try TemporaryDirectory()
        try makeStore(in: dir).close()
        try await rawQueue(dir.file("ledger.sqlite")).write { db in
            try db.execute(sql: "UPDATE schema_migrations SET checksum = 'deadbeef' WHERE number = 2")
        }
        #expect(throws: LedgerError.migrationModified(number: 2, name: "projections")) {
            try makeStore(in: dir)
        }
    }

    @Test func aFileFromANewerBuildIsRefused() async throws {
        let dir = try TemporaryDirectory()
        try makeStore(in: dir).close()
        try await rawQueue(dir.file("ledger.sqlite")).write { db in
            try db.execute(sql: "INSERT INTO schema_migrations VALUES (99, 'future', 'x', 0)")
        }
        let error = #expect(throws: LedgerError.self) { try makeStore(in: dir) }
        #expect(error == .migrationUnknown(number: 99))
        #expect(error?.code == "migration_unknown")
    }

    @Test func aFileThatIsNotADatabaseIsATypedStorageError() throws {
        let dir = try TemporaryDirectory()
        try Data("this is not sqlite, just some text that is long enough to be read as a header".utf8)
            .write(to: URL(fileURLWithPath: dir.file("ledger.sqlite")))
        let error = #expect(throws: LedgerError.self) { try makeStore(in: dir) }
        #expect(error?.code == "storage_error")
    }

    /// Migration 8 drops `events_by_type` (written by every append, read by nothing). A ledger migrated
    /// before it has the index and no row 8: opening it drops the index, records the migration, and
    /// leaves the events, the chain and the projections as they were.
    @Test func aLedgerFromBeforeMigration8LosesTheTypeIndexAndKeepsItsEvents() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ledger.sqlite")
        let before = try makeStore(in: dir)
        try await before.append([roomCreated("oldoldoldold")], to: StreamName.room("oldoldoldold"), expectedVersion: .noStream)
        try await before.append([peerJoined("oldoldoldold", peer: "p1")], to: StreamName.room("oldoldoldold"), expectedVersion: .exact(1))
        try before.close()
        let freshSchema = try Self.schema(of: path)
        // The file as migrations 1 to 7 left it: 0001's index, and no record of 8.
        try await rawQueue(path).write { db in
            try db.execute(sql: "CREATE INDEX events_by_type ON events (type, position)")
            try db.execute(sql: "DELETE FROM schema_migrations WHERE number = 8")
        }
        #expect(try Self.indexes(of: path).contains("events_by_type"))

        let store = try makeStore(in: dir)
        #expect(try Self.indexes(of: path).contains("events_by_type") == false)
        #expect(try Self.schema(of: path) == freshSchema)
        let applied = try store.readSync { db in
            try Row.fetchOne(db, sql: "SELECT name, length(checksum) AS l FROM schema_migrations WHERE number = 8")
                .map { ($0["name"] as String, $0["l"] as Int) }
        }
        #expect(applied?.0 == "events_without_type_index")
        #expect(applied?.1 == 64)
        // The old events are there, and appends go on from them.
        try await store.append([peerJoined("oldoldoldold", peer: "p2")], to: StreamName.room("oldoldoldold"), expectedVersion: .exact(2))
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        #expect(report.events == 3)
        let peers = try await store.read { db in try Int.fetchOne(db, sql: "SELECT peer_count FROM rooms WHERE code = 'oldoldoldold'") }
        #expect(peers == 2)
        try store.close()
    }

    private static func indexes(of path: String) throws -> Set<String> {
        try rawQueue(path).read { db in
            Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'"))
        }
    }

    private static func schema(of path: String) throws -> [String] {
        try rawQueue(path).read { db in
            try String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
        }
    }
}

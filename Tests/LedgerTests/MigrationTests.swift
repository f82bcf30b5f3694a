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
        #expect(rows.map { $0["number"] as Int } == [1, 2, 3, 4, 5, 6, 7])
        #expect(rows.map { $0["name"] as String } == ["events", "projections", "events_refuse_replace", "owner", "nostr_relays", "notifications", "gateway_settings"])
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
}

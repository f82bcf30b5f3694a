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
        #expect(rows.map { $0["number"] as Int } == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(
            rows.map { $0["name"] as String } == [
                "events", "projections", "events_refuse_replace", "owner", "nostr_relays", "notifications", "gateway_settings",
                "events_without_type_index", "unique_keys_as_named_indexes",
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

    /// Migration 9 moves the uniqueness of `tokens.token_hash` and `incoming_calls.nostr_event_id` from
    /// column constraints to named unique indexes (which a rebuild can drop and build again). A ledger
    /// from before it keeps every row, ends with the schema of a fresh file, and still refuses a second
    /// token with the same hash.
    @Test func aLedgerFromBeforeMigration9KeepsItsRowsAndItsUniqueKeys() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ledger.sqlite")
        let before = try makeStore(in: dir)
        try await before.append(
            [.tokenIssued(TokenIssued(tokenId: "t1", room: "r1", tokenHash: String(repeating: "ab", count: 32), role: .guest, expiresAt: 9))],
            to: StreamName.token("t1"), expectedVersion: .noStream
        )
        try await before.append(
            [
                .inviteReceived(
                    InviteReceived(
                        inviteId: "i1", nostrEventId: String(repeating: "cd", count: 32), senderPubkey: String(repeating: "ef", count: 32),
                        senderName: "Ada", room: "theirs", joinUrl: "https://b.example/calls?room=theirs", sentAt: 1, receivedAt: 2
                    ))
            ],
            to: StreamName.invite("i1"), expectedVersion: .noStream
        )
        try before.close()
        let freshSchema = try Self.schema(of: path)
        let rowsBefore = try Self.projectionRows(of: path)
        #expect(rowsBefore.count == 2)
        // The two tables as they were before migration 9, the key unique through a constraint (behind an
        // index SQLite made and will not drop), and no record of 9.
        try await rawQueue(path).write { db in
            for (table, column) in [("tokens", "token_hash"), ("incoming_calls", "nostr_event_id")] {
                let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table]) ?? ""
                let columns = sql[try #require(sql.firstIndex(of: "("))...]
                try db.execute(
                    sql: "CREATE TABLE old_\(table) "
                        + columns.replacingOccurrences(of: "\n) WITHOUT ROWID", with: "\n    , UNIQUE (\(column))\n) WITHOUT ROWID")
                )
                try db.execute(sql: "INSERT INTO old_\(table) SELECT * FROM \(table)")
                try db.execute(sql: "DROP TABLE \(table)")
                try db.execute(sql: "ALTER TABLE old_\(table) RENAME TO \(table)")
            }
            try db.execute(sql: "CREATE INDEX tokens_by_room ON tokens (room_code)")
            try db.execute(sql: "CREATE INDEX incoming_calls_by_received ON incoming_calls (received_at)")
            try db.execute(sql: "DELETE FROM schema_migrations WHERE number = 9")
        }
        let oldIndexes = try Self.indexes(of: path)
        #expect(oldIndexes.contains("sqlite_autoindex_tokens_2"))
        #expect(!oldIndexes.contains("tokens_by_hash"))

        let store = try makeStore(in: dir)
        #expect(try Self.schema(of: path) == freshSchema)
        #expect(try Self.projectionRows(of: path) == rowsBefore)
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        // The same hash under another token id is still refused, now by `tokens_by_hash`.
        let error = await #expect(throws: LedgerError.self) {
            try await store.append(
                [.tokenIssued(TokenIssued(tokenId: "t2", room: "r1", tokenHash: String(repeating: "ab", count: 32), role: .guest, expiresAt: 9))],
                to: StreamName.token("t2"), expectedVersion: .noStream
            )
        }
        #expect(error?.code == "invalid_append")
        try store.close()
    }

    private static func projectionRows(of path: String) throws -> [Row] {
        try rawQueue(path).read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tokens") + Row.fetchAll(db, sql: "SELECT * FROM incoming_calls")
        }
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

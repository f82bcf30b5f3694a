import Foundation
import GRDB
import Ledger
import Projections
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
        #expect(rows.map { $0["number"] as Int } == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
        #expect(
            rows.map { $0["name"] as String } == [
                "events", "projections", "events_refuse_replace", "owner", "nostr_relays", "notifications", "gateway_settings",
                "events_without_type_index", "unique_keys_as_named_indexes", "rooms_and_history_by_position",
                "fewer_index_writes", "digests_as_bytes", "history_from_rooms_and_invites",
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
        try await before.append([Self.inviteReceived], to: StreamName.invite("i1"), expectedVersion: .noStream)
        try before.close()
        let freshSchema = try Self.schema(of: path)
        let rowsBefore = try Self.projectionRows(of: path)
        #expect(rowsBefore.count == 2)
        // The two tables as they were before migration 9, the key unique through a constraint (behind an
        // index SQLite made and will not drop), and no record of 9 (nor of 12, which comes after it and
        // types the two keys as bytes).
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
            try db.execute(sql: "DELETE FROM schema_migrations WHERE number IN (9, 12)")
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

    /// Migration 10 keys `rooms` and `call_history` by the ledger position of the event that made each
    /// row instead of by the room's code and the call id. A ledger from before it keeps every row, each
    /// keyed by its own `room.created` or `invite.received`, ends with the schema of a fresh file, and
    /// goes on: a join updates the migrated room and its call, and a second room with the same code is
    /// still refused.
    @Test func aLedgerFromBeforeMigration10KeysRoomsAndCallsByPosition() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ledger.sqlite")
        let before = try makeStore(in: dir)
        for code in ["bbbbbbbbbbbb", "aaaaaaaaaaaa"] {
            try await before.append([roomCreated(code)], to: StreamName.room(code), expectedVersion: .noStream)
        }
        try await before.append([peerJoined("bbbbbbbbbbbb", peer: "p1")], to: StreamName.room("bbbbbbbbbbbb"), expectedVersion: .exact(1))
        try await before.append([Self.inviteReceived], to: StreamName.invite("i1"), expectedVersion: .noStream)
        let callsBefore = try before.readSync { db in try Queries.history(in: db) }
        try before.close()
        let freshSchema = try Self.schema(of: path)
        let roomsBefore = try Self.rows(of: path, "SELECT * FROM rooms ORDER BY code")
        #expect(roomsBefore.count == 2 && callsBefore.count == 3)
        // The two tables as migration 2 made them, keyed by code and call id, the outbox's index as it was
        // before migration 11, and no record of 10 or later.
        try await rawQueue(path).write { db in
            try Self.restoreCallHistory(db)
            try db.execute(
                sql: """
                    CREATE TABLE old_rooms (
                        code TEXT PRIMARY KEY, host_name TEXT NOT NULL, max_peers INTEGER NOT NULL, created_by TEXT NOT NULL,
                        created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, state TEXT NOT NULL, peer_count INTEGER NOT NULL,
                        ended_at INTEGER, end_reason TEXT
                    ) WITHOUT ROWID;
                    INSERT INTO old_rooms SELECT code, host_name, max_peers, created_by, created_at, expires_at, state, peer_count,
                        ended_at, end_reason FROM rooms;
                    DROP TABLE rooms;
                    ALTER TABLE old_rooms RENAME TO rooms;
                    CREATE INDEX rooms_live ON rooms (state, created_at);
                    CREATE TABLE old_call_history (
                        call_id TEXT PRIMARY KEY, direction TEXT NOT NULL, room_code TEXT NOT NULL, counterpart TEXT NOT NULL,
                        participants TEXT NOT NULL, peak_peers INTEGER NOT NULL, started_at INTEGER NOT NULL, ended_at INTEGER,
                        duration_ms INTEGER, outcome TEXT NOT NULL, position INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO old_call_history SELECT call_id, direction, room_code, counterpart, participants, peak_peers,
                        started_at, ended_at, duration_ms, outcome, position FROM call_history;
                    DROP TABLE call_history;
                    ALTER TABLE old_call_history RENAME TO call_history;
                    CREATE INDEX call_history_by_start ON call_history (started_at);
                    DROP INDEX outgoing_invites_pending;
                    CREATE INDEX outgoing_invites_by_state ON outgoing_invites (state, requested_at);
                    DELETE FROM schema_migrations WHERE number >= 10;
                    """
            )
        }
        #expect(try Self.schema(of: path) != freshSchema)

        let store = try makeStore(in: dir)
        #expect(try Self.schema(of: path) == freshSchema)
        #expect(try Self.rows(of: path, "SELECT * FROM rooms ORDER BY code") == roomsBefore)
        #expect(try store.readSync { db in try Queries.history(in: db) } == callsBefore)
        // Each row's key is the position of the event that made it: rooms in the order they were created.
        let keys = try Self.rows(
            of: path,
            """
            SELECT rooms.position = events.position AS same FROM rooms
                JOIN events ON events.stream = 'room-' || rooms.code AND events.version = 1
            """
        )
        #expect(keys.count == 2 && keys.allSatisfy { $0["same"] as Bool })
        let codes = try Self.rows(of: path, "SELECT code FROM rooms ORDER BY position").map { $0["code"] as String }
        #expect(codes == ["bbbbbbbbbbbb", "aaaaaaaaaaaa"])

        try await store.append([peerJoined("aaaaaaaaaaaa", peer: "p2")], to: StreamName.room("aaaaaaaaaaaa"), expectedVersion: .exact(1))
        let joined = try Self.rows(of: path, "SELECT peer_count, participants FROM rooms WHERE code = 'aaaaaaaaaaaa'")
        #expect(joined.first?["peer_count"] as Int? == 1)
        #expect(joined.first?["participants"] as String? == #"["Peer p2"]"#)
        // The code stays unique, now through `rooms_by_code`: a second room.created for it, on a stream of
        // its own, is refused and leaves nothing behind.
        let error = await #expect(throws: LedgerError.self) {
            try await store.append([roomCreated("aaaaaaaaaaaa")], to: "room-copy", expectedVersion: .noStream)
        }
        #expect(error?.code == "invalid_append")
        #expect(try Self.rows(of: path, "SELECT code FROM rooms").count == 2)
        #expect(try await store.version(of: "room-copy") == 0)
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        try store.close()
    }

    /// Migration 11 drops the index on the call id and keeps only live rooms and pending invites in the
    /// indexes that list them. A ledger from before it ends with the schema of a fresh file and the same
    /// rows and history; the live rooms and the pending invites are still read through an index, in their
    /// order; and later events still reach the calls' history.
    @Test func aLedgerFromBeforeMigration11FindsCallsThroughTheirRoomOrInvite() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ledger.sqlite")
        let before = try makeStore(in: dir)
        for code in ["bbbbbbbbbbbb", "aaaaaaaaaaaa"] {
            try await before.append([roomCreated(code)], to: StreamName.room(code), expectedVersion: .noStream)
        }
        try await before.append(
            [.roomEnded(RoomEnded(room: "bbbbbbbbbbbb", reason: .closed, durationMs: 5))], to: StreamName.room("bbbbbbbbbbbb"),
            expectedVersion: .exact(1)
        )
        try await before.append([Self.inviteReceived], to: StreamName.invite("i1"), expectedVersion: .noStream)
        for (id, contact) in [("o1", "a"), ("o2", "b")] {
            let requested = InviteRequested(
                inviteId: id, room: "aaaaaaaaaaaa", contactPubkey: String(repeating: contact, count: 64), transport: .nip17, tokenId: nil,
                nostrEvents: []
            )
            try await before.append([.inviteRequested(requested)], to: StreamName.invite(id), expectedVersion: .noStream)
        }
        let historyBefore = try before.readSync { db in try Queries.history(in: db) }
        try before.close()
        let freshSchema = try Self.schema(of: path)
        let tables = ["rooms", "incoming_calls", "outgoing_invites"]
        let rowsBefore = try tables.map { try Self.rows(of: path, "SELECT * FROM \($0) ORDER BY 1") }
        // The three indexes as migration 10 left them, and no record of 11.
        try await rawQueue(path).write { db in
            try Self.restoreCallHistory(db)
            try db.execute(
                sql: """
                    CREATE UNIQUE INDEX call_history_by_call ON call_history (call_id);
                    DROP INDEX rooms_live;
                    CREATE INDEX rooms_live ON rooms (state, created_at, code);
                    DROP INDEX outgoing_invites_pending;
                    CREATE INDEX outgoing_invites_by_state ON outgoing_invites (state, requested_at);
                    DELETE FROM schema_migrations WHERE number = 11;
                    """
            )
        }
        #expect(try Self.schema(of: path) != freshSchema)

        let store = try makeStore(in: dir)
        #expect(try Self.schema(of: path) == freshSchema)
        #expect(try tables.map { try Self.rows(of: path, "SELECT * FROM \($0) ORDER BY 1") } == rowsBefore)
        #expect(try store.readSync { db in try Queries.history(in: db) } == historyBefore)
        #expect(!(try Self.indexes(of: path)).contains("call_history_by_call"))
        let live = try Self.rows(of: path, "SELECT code FROM rooms WHERE state = 'live' ORDER BY created_at, code")
        #expect(live.map { $0["code"] as String } == ["aaaaaaaaaaaa"])
        let pending = try Self.rows(of: path, "SELECT invite_id FROM outgoing_invites WHERE state = 'pending' ORDER BY requested_at, invite_id")
        #expect(pending.map { $0["invite_id"] as String } == ["o1", "o2"])
        // Both lists come from their partial index alone, without a sort of their own.
        for (sql, index) in [
            ("SELECT * FROM rooms WHERE state = 'live' ORDER BY created_at, code", "rooms_live"),
            ("SELECT COUNT(*) FROM rooms WHERE state = 'live'", "rooms_live"),
            ("SELECT * FROM outgoing_invites WHERE state = 'pending' ORDER BY requested_at, invite_id LIMIT 10", "outgoing_invites_pending"),
        ] {
            let plan = try Self.rows(of: path, "EXPLAIN QUERY PLAN \(sql)").map { $0["detail"] as String }
            #expect(plan.contains { $0.contains("USING") && $0.contains(index) }, "\(sql): \(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(sql): \(plan)")
        }
        // A join and the room's end reach its call; the invite's answer reaches the received call.
        try await store.append([peerJoined("aaaaaaaaaaaa", peer: "p1")], to: StreamName.room("aaaaaaaaaaaa"), expectedVersion: .exact(1))
        try await store.append([peerJoined("aaaaaaaaaaaa", peer: "p2")], to: StreamName.room("aaaaaaaaaaaa"), expectedVersion: .exact(2))
        try await store.append(
            [.roomEnded(RoomEnded(room: "aaaaaaaaaaaa", reason: .closed, durationMs: 7))], to: StreamName.room("aaaaaaaaaaaa"),
            expectedVersion: .exact(3)
        )
        try await store.append([.inviteAccepted(InviteAccepted(inviteId: "i1"))], to: StreamName.invite("i1"), expectedVersion: .exact(1))
        let calls = try store.readSync { db in try Queries.history(in: db) }.sorted { $0.position < $1.position }
        #expect(calls.map(\.callId) == ["room-bbbbbbbbbbbb", "room-aaaaaaaaaaaa", "invite-i1"])
        #expect(calls[1].participants == #"["Peer p1","Peer p2"]"#)
        #expect(calls[1].peakPeers == 2 && calls[1].durationMs == 7 && calls[1].outcome == .answered)
        #expect(calls[0].outcome == .unanswered)
        #expect(calls[2].outcome == .accepted)
        #expect(try Self.rows(of: path, "SELECT code FROM rooms WHERE state = 'live'").isEmpty)
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        try store.close()
    }

    /// Migration 12 stores a token's hash and a received invite's Nostr event id as their 32 bytes
    /// instead of 64 hex characters. A ledger from before it ends with the schema of a fresh file and the
    /// rows a fresh file holds: canonical hex becomes bytes that read back as the same text, a value that
    /// was not canonical hex keeps its text. Lookups by either still find their row through the unique
    /// index, and a second token with a migrated hash is still refused.
    @Test func aLedgerFromBeforeMigration12KeepsItsDigestsAsBytes() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ledger.sqlite")
        let canonical = String(repeating: "0a", count: 32)
        let uppercase = String(repeating: "0A", count: 32)
        let before = try makeStore(in: dir)
        for (id, hash) in [("t1", canonical), ("t2", uppercase)] {
            try await before.append(
                [.tokenIssued(TokenIssued(tokenId: id, room: "r1", tokenHash: hash, role: .guest, expiresAt: 9))],
                to: StreamName.token(id), expectedVersion: .noStream
            )
        }
        try await before.append([Self.inviteReceived], to: StreamName.invite("i1"), expectedVersion: .noStream)
        try before.close()
        let freshSchema = try Self.schema(of: path)
        let rowsBefore = try Self.projectionRows(of: path)
        #expect(rowsBefore.count == 3)
        let storedForms = "SELECT token_id AS id, typeof(token_hash) AS type, length(token_hash) AS length FROM tokens"
            + " UNION ALL SELECT invite_id, typeof(nostr_event_id), length(nostr_event_id) FROM incoming_calls ORDER BY 1"
        let forms = { try Self.rows(of: path, storedForms).map { "\($0["id"] as String) \($0["type"] as String) \($0["length"] as Int)" } }
        #expect(try forms() == ["i1 blob 32", "t1 blob 32", "t2 text 64"])

        // The two tables as migration 11 left them: TEXT columns holding the hex, and no record of 12.
        try await rawQueue(path).write { db in
            for (table, column) in [("tokens", "token_hash"), ("incoming_calls", "nostr_event_id")] {
                let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table]) ?? ""
                let indexes = try String.fetchAll(
                    db, sql: "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", arguments: [table]
                )
                let columns = String(sql[try #require(sql.firstIndex(of: "("))...])
                #expect(columns.contains("\(column) ") && columns.contains("BLOB    NOT NULL"))
                try db.execute(sql: "CREATE TABLE old_\(table) " + columns.replacingOccurrences(of: "BLOB    NOT NULL", with: "TEXT    NOT NULL"))
                try db.execute(sql: "INSERT INTO old_\(table) SELECT * FROM \(table)")
                try db.execute(sql: "UPDATE old_\(table) SET \(column) = lower(hex(\(column))) WHERE typeof(\(column)) = 'blob'")
                try db.execute(sql: "DROP TABLE \(table)")
                try db.execute(sql: "ALTER TABLE old_\(table) RENAME TO \(table)")
                for index in indexes { try db.execute(sql: index) }
            }
            try db.execute(sql: "DELETE FROM schema_migrations WHERE number = 12")
        }
        #expect(try forms() == ["i1 text 64", "t1 text 64", "t2 text 64"])
        #expect(try Self.schema(of: path) != freshSchema)

        let store = try makeStore(in: dir)
        #expect(try Self.schema(of: path) == freshSchema)
        #expect(try Self.projectionRows(of: path) == rowsBefore)
        #expect(try forms() == ["i1 blob 32", "t1 blob 32", "t2 text 64"])
        let found = try store.readSync { db in
            (
                try Queries.token(hash: canonical, in: db)?.tokenId, try Queries.token(hash: canonical, in: db)?.tokenHash,
                try Queries.token(hash: uppercase, in: db)?.tokenHash, try Queries.token(hash: uppercase.lowercased(), in: db)?.tokenId,
                try Queries.incomingCall(nostrEventId: String(repeating: "cd", count: 32), in: db)?.inviteId
            )
        }
        #expect(found.0 == "t1" && found.1 == canonical && found.2 == uppercase && found.4 == "i1")
        #expect(found.3 == "t1")  // the lowercase form of t2's text is t1's value, not t2's
        for sql in [
            "SELECT * FROM tokens WHERE token_hash = x'\(canonical)'",
            "SELECT * FROM incoming_calls WHERE nostr_event_id = x'\(String(repeating: "cd", count: 32))'",
        ] {
            let plan = try Self.rows(of: path, "EXPLAIN QUERY PLAN \(sql)").map { $0["detail"] as String }
            #expect(plan.contains { $0.contains("USING INDEX tokens_by_hash") || $0.contains("USING INDEX incoming_calls_by_nostr_event") }, "\(plan)")
        }
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        // The same hash under another token id is still refused, by `tokens_by_hash` over the bytes.
        let error = await #expect(throws: LedgerError.self) {
            try await store.append(
                [.tokenIssued(TokenIssued(tokenId: "t3", room: "r1", tokenHash: canonical, role: .guest, expiresAt: 9))],
                to: StreamName.token("t3"), expectedVersion: .noStream
            )
        }
        #expect(error?.code == "invalid_append")
        try store.close()
    }

    /// Migration 13 reads the call history from the rooms and the received calls instead of a table of
    /// its own. A ledger from before it ends with the schema of a fresh file, its rooms take over who
    /// joined, the peak and the duration from the old table, and the history reads the same calls with
    /// the outcomes the history projection gave them. Each side of the history's page is read through
    /// its index on the start, and later events still reach the history.
    @Test func aLedgerFromBeforeMigration13ReadsItsHistoryFromRoomsAndInvites() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ledger.sqlite")
        let before = try makeStore(in: dir)
        func append(_ stream: String, _ events: [LedgerEvent]) async throws {
            try await before.append(events, to: stream, expectedVersion: .exact(try await before.version(of: stream)))
        }
        func received(_ id: String, _ n: Int) -> LedgerEvent {
            .inviteReceived(
                InviteReceived(
                    inviteId: id, nostrEventId: String(repeating: "0\(n)", count: 32), senderPubkey: String(repeating: "ef", count: 32),
                    senderName: "Ada", room: "theirs\(n)", joinUrl: "https://b.example/calls?room=theirs\(n)", sentAt: 1, receivedAt: Int64(n)
                ))
        }
        let (answered, unanswered, live) = ("aaaaaaaaaaaa", "bbbbbbbbbbbb", "cccccccccccc")
        for code in [answered, unanswered, live] { try await append(StreamName.room(code), [roomCreated(code)]) }
        try await append(StreamName.room(answered), [peerJoined(answered, peer: "p1"), peerJoined(answered, peer: "p2")])
        try await append(StreamName.room(answered), [.peerLeft(PeerLeft(room: answered, peerId: "p1", reason: .hangup))])
        try await append(StreamName.room(answered), [peerJoined(answered, peer: "p1", token: "t2")])
        try await append(StreamName.room(answered), [.roomEnded(RoomEnded(room: answered, reason: .closed, durationMs: 7))])
        try await append(StreamName.room(unanswered), [.roomEnded(RoomEnded(room: unanswered, reason: .empty, durationMs: 5))])
        try await append(StreamName.room(live), [peerJoined(live, peer: "p3")])
        try await append(StreamName.invite("i1"), [received("i1", 1), .inviteAccepted(InviteAccepted(inviteId: "i1"))])
        try await append(StreamName.invite("i2"), [received("i2", 2), .inviteCancelled(InviteCancelled(inviteId: "i2", reason: "gone"))])
        try await append(StreamName.invite("i3"), [received("i3", 3)])
        let historyBefore = try before.readSync { db in try Queries.history(in: db) }
        try before.close()
        let freshSchema = try Self.schema(of: path)
        let roomsBefore = try Self.rows(of: path, "SELECT * FROM rooms ORDER BY position")
        #expect(!(try Self.indexes(of: path)).contains("call_history_by_start"))

        try await rawQueue(path).write { db in try Self.restoreCallHistory(db) }
        #expect(try Self.schema(of: path) != freshSchema)
        #expect(try Self.rows(of: path, "SELECT * FROM call_history").count == 6)

        let store = try makeStore(in: dir)
        #expect(try Self.schema(of: path) == freshSchema)
        #expect(try Self.rows(of: path, "SELECT * FROM rooms ORDER BY position") == roomsBefore)
        #expect(try Self.rows(of: path, "SELECT name FROM projection_checkpoints WHERE name = 'call_history'").isEmpty)
        let history = try store.readSync { db in try Queries.history(in: db) }
        #expect(history == historyBefore)
        // What the history projection wrote for each call.
        let settled = try Self.rows(of: path, "SELECT stream, recorded_at FROM events WHERE version = 2 AND stream LIKE 'invite-%'")
        let settledAt = Dictionary(uniqueKeysWithValues: settled.map { ($0["stream"] as String, $0["recorded_at"] as Int64) })
        let calls = Dictionary(uniqueKeysWithValues: history.map { ($0.callId, $0) })
        let hosted = try #require(calls[StreamName.room(answered)])
        #expect(hosted.direction == .outgoing && hosted.counterpart == "Host" && hosted.participants == #"["Peer p1","Peer p2"]"#)
        #expect(hosted.peakPeers == 2 && hosted.durationMs == 7 && hosted.endedAt != nil && hosted.outcome == .answered)
        let empty = try #require(calls[StreamName.room(unanswered)])
        #expect(empty.participants == "[]" && empty.peakPeers == 0 && empty.durationMs == 5 && empty.outcome == .unanswered)
        let ongoing = try #require(calls[StreamName.room(live)])
        #expect(ongoing.participants == #"["Peer p3"]"# && ongoing.peakPeers == 1 && ongoing.endedAt == nil && ongoing.outcome == .ongoing)
        let accepted = try #require(calls[StreamName.invite("i1")])
        #expect(accepted.direction == .incoming && accepted.counterpart == "Ada" && accepted.participants == #"["Ada"]"#)
        #expect(accepted.startedAt == 1 && accepted.outcome == .accepted && accepted.roomCode == "theirs1")
        #expect(accepted.endedAt == settledAt["invite-i1"] && accepted.durationMs == settledAt["invite-i1"].map { $0 - 1 })
        let missed = try #require(calls[StreamName.invite("i2")])
        #expect(missed.outcome == .missed && missed.endedAt == settledAt["invite-i2"] && missed.durationMs == settledAt["invite-i2"].map { $0 - 2 })
        let ringing = try #require(calls[StreamName.invite("i3")])
        #expect(ringing.outcome == .ringing && ringing.endedAt == nil && ringing.durationMs == nil && ringing.peakPeers == 0)
        // Pages of two, newest first, walk the same calls in the same order.
        var paged: [CallHistoryRecord] = []
        var cursor: (startedAt: Int64, callId: String)? = nil
        while true {
            let page = try store.readSync { db in try Queries.history(limit: 2, before: cursor, in: db) }
            paged += page
            guard let last = page.last, page.count == 2 else { break }
            cursor = (last.startedAt, last.callId)
        }
        #expect(paged == history)
        #expect(history.map(\.startedAt) == history.map(\.startedAt).sorted(by: >))
        // Each side of a page walks its index on the start backwards and stops: no scan, no sort of a table.
        let plan = try Self.rows(
            of: path,
            "EXPLAIN QUERY PLAN " + Queries.historySQL.replacingOccurrences(of: "?1", with: "5").replacingOccurrences(of: "?2", with: "'x'")
                .replacingOccurrences(of: "?3", with: "50")
        ).map { $0["detail"] as String }
        #expect(plan.contains { $0.hasPrefix("SEARCH rooms USING INDEX rooms_by_start") }, "\(plan)")
        #expect(plan.contains { $0.hasPrefix("SEARCH incoming_calls USING") && $0.contains("incoming_calls_by_received") }, "\(plan)")
        #expect(!plan.contains { $0.hasPrefix("SCAN rooms") || $0.hasPrefix("SCAN incoming_calls") }, "\(plan)")

        // A join after the migration reaches the live room's history.
        try await store.append([peerJoined(live, peer: "p4")], to: StreamName.room(live), expectedVersion: .exact(2))
        let joined = try store.readSync { db in try Queries.history(in: db) }.first { $0.callId == StreamName.room(live) }
        #expect(joined?.participants == #"["Peer p3","Peer p4"]"# && joined?.peakPeers == 2 && joined?.outcome == .ongoing)
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        try store.close()
    }

    /// A call received from a contact, invite `i1`.
    private static let inviteReceived = LedgerEvent.inviteReceived(
        InviteReceived(
            inviteId: "i1", nostrEventId: String(repeating: "cd", count: 32), senderPubkey: String(repeating: "ef", count: 32),
            senderName: "Ada", room: "theirs", joinUrl: "https://b.example/calls?room=theirs", sentAt: 1, receivedAt: 2
        ))

    /// Takes a file back to before migration 13: the `call_history` table as migrations 10 and 11 left
    /// it, filled from the rooms and the received calls as the history projection wrote it, the three
    /// columns the rooms took over dropped, the history's checkpoint back, and no record of 13.
    static func restoreCallHistory(_ db: Database) throws {
        try db.execute(
            sql: """
                DROP INDEX rooms_by_start;
                CREATE TABLE call_history (
                    position     INTEGER PRIMARY KEY,
                    call_id      TEXT    NOT NULL,
                    direction    TEXT    NOT NULL,
                    room_code    TEXT    NOT NULL,
                    counterpart  TEXT    NOT NULL,
                    participants TEXT    NOT NULL,
                    peak_peers   INTEGER NOT NULL,
                    started_at   INTEGER NOT NULL,
                    ended_at     INTEGER,
                    duration_ms  INTEGER,
                    outcome      TEXT    NOT NULL
                );
                CREATE INDEX call_history_by_start ON call_history (started_at, call_id);
                INSERT INTO call_history
                    SELECT position, 'room-' || code, 'outgoing', code, host_name, participants, peak_peers, created_at, ended_at,
                        duration_ms, CASE WHEN state = 'live' THEN 'ongoing' WHEN peak_peers >= 2 THEN 'answered' ELSE 'unanswered' END
                    FROM rooms
                    UNION ALL
                    SELECT position, 'invite-' || invite_id, 'incoming', room_code, sender_name, json_array(sender_name), 0,
                        received_at, iif(status = 'ringing', NULL, status_changed_at),
                        iif(status = 'ringing', NULL, status_changed_at - received_at), status
                    FROM incoming_calls;
                ALTER TABLE rooms DROP COLUMN participants;
                ALTER TABLE rooms DROP COLUMN peak_peers;
                ALTER TABLE rooms DROP COLUMN duration_ms;
                INSERT INTO projection_checkpoints (name, position) SELECT 'call_history', position FROM projection_checkpoints
                    WHERE name = 'rooms';
                DELETE FROM schema_migrations WHERE number = 13;
                """
        )
    }

    private static func rows(of path: String, _ sql: String) throws -> [Row] {
        try rawQueue(path).read { db in try Row.fetchAll(db, sql: sql) }
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

import Foundation
import GRDB
import Ledger
import Testing
import TestSupport

/// The `events` table refuses change at the SQLite level, and refused appends leave no trace.
@Suite struct AppendOnlyTests {
    @Test func sqliteRefusesUpdateAndDeleteOfEvents() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        try await store.append([roomCreated("room1")], to: StreamName.room("room1"), expectedVersion: .noStream)
        try store.close()

        let raw = try rawQueue(dir.file("ledger.sqlite"))
        let update = #expect(throws: DatabaseError.self) {
            try raw.write { db in try db.execute(sql: "UPDATE events SET data = '{}' WHERE position = 1") }
        }
        #expect(update?.message?.contains("append-only: UPDATE refused") == true)
        let delete = #expect(throws: DatabaseError.self) {
            try raw.write { db in try db.execute(sql: "DELETE FROM events") }
        }
        #expect(delete?.message?.contains("append-only: DELETE refused") == true)
        // A replace deletes without firing DELETE triggers; it is refused before it gets that far.
        let replace = #expect(throws: DatabaseError.self) {
            try raw.write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO events SELECT position, stream, version, type, '{}', recorded_at, hash FROM events"
                )
            }
        }
        #expect(replace?.message?.contains("overwriting an event refused") == true)
        // So is an upsert, and a replace that collides on (stream, version) under a new position.
        #expect(throws: DatabaseError.self) {
            try raw.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO events SELECT position, stream, version, type, data, recorded_at, hash FROM events
                        ON CONFLICT (position) DO UPDATE SET data = '{}'
                        """
                )
            }
        }
        #expect(throws: DatabaseError.self) {
            try raw.write { db in
                try db.execute(
                    sql: "REPLACE INTO events SELECT 2, stream, version, type, '{}', recorded_at, hash FROM events WHERE position = 1"
                )
            }
        }
        let stored = try await raw.read { db in try String.fetchOne(db, sql: "SELECT data FROM events WHERE position = 1") }
        #expect(stored?.contains("room1") == true)
        let count = try await raw.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") }
        #expect(count == 1)
    }

    @Test func versionConflictIsTypedAndWritesNothing() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        try await store.append([roomCreated("a")], to: StreamName.room("a"), expectedVersion: .noStream)
        try await store.append([roomCreated("b")], to: StreamName.room("b"), expectedVersion: .noStream)
        let before = store.statistics

        // Two streams in one append: the first would be fine, the second conflicts; neither is written.
        let error = await #expect(throws: LedgerError.self) {
            try await store.append([
                StreamAppend(stream: StreamName.room("a"), expected: .exact(1), events: [peerJoined("a", peer: "p1")]),
                StreamAppend(stream: StreamName.room("b"), expected: .exact(7), events: [peerJoined("b", peer: "p2")]),
            ])
        }
        #expect(error == .versionConflict(stream: StreamName.room("b"), expected: .exact(7), actual: 1))
        #expect(error?.code == "version_conflict")

        // .noStream on an existing stream.
        await #expect(throws: LedgerError.versionConflict(stream: StreamName.room("a"), expected: .noStream, actual: 1)) {
            try await store.append([roomCreated("a")], to: StreamName.room("a"), expectedVersion: .noStream)
        }

        let (events, peers, head) = try await store.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events")!,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM room_peers")!,
                try EventReader.headPosition(in: db)
            )
        }
        #expect(events == 2)
        #expect(peers == 0)
        #expect(head == 2)
        #expect(store.statistics.refused == before.refused + 2)
        #expect(try await store.version(of: StreamName.room("a")) == 1)

        // The next good append continues the chain at position 3 without a gap.
        let written = try await store.append(
            [peerJoined("a", peer: "p1")],
            to: StreamName.room("a"),
            expectedVersion: .exact(1)
        )
        #expect(written.map(\.position) == [3])
        #expect(written.map(\.version) == [2])
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
    }

    @Test func invalidAppendsAreRefusedBeforeTouchingTheFile() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        await #expect(throws: LedgerError.self) { try await store.append([]) }
        await #expect(throws: LedgerError.self) {
            try await store.append([StreamAppend(stream: "room-x", expected: .any, events: [])])
        }
        let twice = await #expect(throws: LedgerError.self) {
            try await store.append([
                StreamAppend(stream: "room-x", expected: .any, events: [roomCreated("x")]),
                StreamAppend(stream: "room-x", expected: .any, events: [roomCreated("x")]),
            ])
        }
        #expect(twice?.code == "invalid_append")
        await #expect(throws: LedgerError.self) {
            try await store.append([roomCreated("x")], to: String(repeating: "s", count: 201), expectedVersion: .any)
        }
        #expect(try await store.read { db in try EventReader.headPosition(in: db) } == 0)
        #expect(store.statistics.transactions == 0)
    }

    @Test func aProjectionConstraintRefusesOnlyTheOffendingAppend() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        let hash = String(repeating: "ab", count: 32)
        func issue(_ id: String) -> StreamAppend {
            StreamAppend(
                stream: StreamName.token(id),
                expected: .noStream,
                events: [.tokenIssued(TokenIssued(tokenId: id, room: "r", tokenHash: hash, role: .guest, expiresAt: 1))]
            )
        }
        try await store.append([issue("t1")])
        // Same secret hash under another id: the tokens table's UNIQUE(token_hash) refuses it.
        let error = await #expect(throws: LedgerError.self) { try await store.append([issue("t2")]) }
        #expect(error?.code == "invalid_append")
        #expect(try await store.version(of: StreamName.token("t2")) == 0)
        #expect(try await store.read { db in try EventReader.headPosition(in: db) } == 1)
    }

    @Test func eventsRoundTripWithTheirTypeVersionAndUnknownFields() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        let written = try await store.append([roomCreated("rt", maxPeers: 3)], to: "room-rt", expectedVersion: .noStream)
        let stored = try await store.read { db in try EventReader.events(in: db, positions: 1...1) }
        #expect(stored == written)
        #expect(stored[0].type == "room.created")
        let json = try JSONSerialization.jsonObject(with: Data(stored[0].data.utf8)) as? [String: Any]
        #expect(json?["v"] as? Int == 1)
        #expect(json?["maxPeers"] as? Int == 3)
        // A newer build's event type is kept as `.unknown` rather than refused.
        #expect(try LedgerEvent.decode(type: "room.renamed", data: Data(#"{"v":1}"#.utf8)) == .unknown(type: "room.renamed"))
    }
}

/// A stream an append only checks: its version must hold at commit, and nothing is written to it.
@Suite struct ConditionAppendTests {
    @Test func aConditionHoldsTheStreamSteadyWithoutWritingToIt() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        try await store.append([roomCreated("cond")], to: "room-cond", expectedVersion: .noStream)
        let issued = LedgerEvent.tokenIssued(
            TokenIssued(tokenId: "t1", room: "cond", tokenHash: String(repeating: "1", count: 64), role: .guest, expiresAt: 4_000_000_000_000)
        )
        // The room is still at version 1: the token is written, the room stream is not.
        let written = try await store.append([
            StreamAppend(stream: "token-t1", expected: .noStream, events: [issued]),
            .condition(stream: "room-cond", expected: .exact(1)),
        ])
        #expect(written.map(\.stream) == ["token-t1"])
        #expect(try await store.version(of: "room-cond") == 1)

        // The room moved on (it ended): the same kind of append is refused, and nothing of it is written.
        try await store.append(
            [.roomEnded(RoomEnded(room: "cond", reason: .closed, durationMs: 1))],
            to: "room-cond",
            expectedVersion: .exact(1)
        )
        let late = LedgerEvent.tokenIssued(
            TokenIssued(tokenId: "t2", room: "cond", tokenHash: String(repeating: "2", count: 64), role: .guest, expiresAt: 4_000_000_000_000)
        )
        let refused = await #expect(throws: LedgerError.self) {
            try await store.append([
                StreamAppend(stream: "token-t2", expected: .noStream, events: [late]),
                .condition(stream: "room-cond", expected: .exact(1)),
            ])
        }
        #expect(refused?.code == "version_conflict")
        #expect(try await store.version(of: "token-t2") == 0)
        #expect(try await store.read { db in try EventReader.headPosition(in: db) } == 3)
        try store.close()
    }
}

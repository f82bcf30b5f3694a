@testable import CallStore
import Foundation
import GRDB
import Ledger
@testable import Projections
import Testing
import TestSupport

/// The fold thread folds chunks the caller decoded and chunks it decodes itself alike, and a row that
/// does not decode fails the rebuild wherever it was decoded.
@Suite struct FoldThreadTests {
    /// The rows of the whole ledger, undecoded.
    static func rows(_ store: EventStore) throws -> [ReplayRow] {
        try store.readSync { db in
            var rows: [ReplayRow] = []
            try EventReader.forEachRowForReplay(in: db, positions: 1...Int64.max) { rows.append($0) }
            return rows
        }
    }

    /// A fresh in-memory database holding `fold`'s tables.
    static func tables(of fold: ProjectionFold, order: ProjectionFold.WriteOrder? = nil) throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.writeWithoutTransaction { db in try Migrator.migrate(db, now: 0) }
        try queue.inTransaction { db in
            try fold.write(into: db, order: order)
            return .commit
        }
        return queue
    }

    @Test(arguments: [UInt64(7), 4242])
    func chunksDecodedOnEitherSideFoldToTheSameTables(seed: UInt64) async throws {
        let dir = try TemporaryDirectory()
        let store = try await simulatedCalls(dir, seed: seed, calls: 40, chaos: 0.7)
        let rows = try Self.rows(store.ledger)
        #expect(rows.count > 100)

        // One thread, every row decoded in order.
        var alone = ProjectionFold()
        for row in rows { try alone.apply(row.decode(), position: row.position, recordedAt: row.recordedAt) }

        // The fold thread, with chunks of odd sizes handed over in turn decoded and undecoded.
        let folder = FoldThread(depth: 2)
        var start = 0
        var decoded = false
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + 13)]
            if decoded {
                folder.submit(.events(try chunk.map { FoldThread.Event(position: $0.position, recordedAt: $0.recordedAt, event: try $0.decode()) }))
            } else {
                folder.submit(.rows(Array(chunk)))
            }
            decoded.toggle()
            start += chunk.count
        }
        let (threaded, order) = try folder.finish()
        // The order names each row once, by where it is in the fold, in key order (rooms in position
        // order).
        #expect(order.tokens.map { threaded.tokens[$0].key } == threaded.tokens.keys.sorted())
        #expect(order.rooms.map { threaded.rooms[$0].value.position } == threaded.rooms.values.map(\.position).sorted())

        let expected = try Self.tables(of: alone)
        let actual = try Self.tables(of: threaded, order: order)
        let issues = try await expected.read { db in try ProjectionRebuilder.compare(snapshot: actual, live: db) }
        #expect(issues.isEmpty, "\(issues.prefix(5))")
        let historyRows = try await actual.read { db in try Queries.history(limit: 1000, in: db).count }
        #expect(historyRows > 10)
    }

    /// A payload that no longer decodes is reported as `corruptEvent` at its position, whether the
    /// rebuild's thread or the fold thread decodes it: a small ledger goes to the fold thread whole.
    @Test func aPayloadThatDoesNotDecodeFailsTheRebuildAtItsPosition() async throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("ledger.sqlite")
        let store = try EventStore(configuration: LedgerConfiguration(path: path), projector: CallProjector())
        for n in 1...5 {
            let code = "foldroom\(n)"
            try await store.append(
                [.roomCreated(RoomCreated(code: code, hostName: "Ada", maxPeers: 4, createdBy: .panel, expiresAt: 9_999_999_999_999))],
                to: StreamName.room(code), expectedVersion: .noStream
            )
        }
        try store.close()
        let raw = try DatabaseQueue(path: path)
        try await raw.write { db in
            try db.execute(sql: "DROP TRIGGER events_refuse_update")
            try db.execute(sql: #"UPDATE events SET data = '{"v":1,"code":7}' WHERE position = 3"#)
        }
        try raw.close()

        let reopened = try EventStore(configuration: LedgerConfiguration(path: path), projector: CallProjector())
        defer { try? reopened.close() }
        let error = #expect(throws: LedgerError.self) { try ProjectionRebuilder.rebuildSnapshot(of: reopened) }
        guard case .corruptEvent(let position, _)? = error else {
            Issue.record("expected corruptEvent, got \(String(describing: error))")
            return
        }
        #expect(position == 3)
        // The rebuild in place fails the same way and leaves the live tables as they were.
        #expect(throws: LedgerError.self) { try ProjectionRebuilder.rebuildInPlace(reopened) }
        let rooms = try reopened.readSync { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rooms") }
        #expect(rooms == 5)
    }
}

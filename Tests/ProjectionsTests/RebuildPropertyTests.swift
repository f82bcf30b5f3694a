import CallSimulation
@testable import CallStore
import Foundation
import GRDB
import Ledger
import Projections
import Testing
import TestSupport

/// Property: whatever sequence of valid and refused commands runs, the projections kept up to date in
/// the append transaction equal a rebuild from zero, and the domain's invariants hold.
@Suite struct RebuildPropertyTests {
    static let seeds: [UInt64] = [1, 2, 3, 42, 1337, 0xC0FFEE, 20_261_125, 987_654_321]

    @Test(arguments: seeds)
    func liveProjectionsEqualARebuildFromZero(seed: UInt64) async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)
        var simulator = CallSimulator(store: store, clock: clock, seed: seed, chaos: 0.6)
        let summary = try await simulator.run(calls: 40)
        #expect(summary.calls == 40)
        #expect(summary.accepted > 40, "seed \(seed)")
        #expect(!summary.rejections.isEmpty, "seed \(seed): chaos should have been refused somewhere")
        // Not only guessed links: spent, revoked or expired tokens were presented again, so the
        // invariant on token reuse below has something to check.
        #expect(summary.rejections.keys.contains { $0.hasPrefix("token_") }, "seed \(seed): \(summary.rejections)")

        let differences = try differencesFromRebuild(store)
        #expect(differences.isEmpty, "seed \(seed): \(differences.prefix(5))")
        try await Self.checkInvariants(store, seed: seed)
    }

    @Test func concurrentSimulationsOnOneLedgerStillEqualARebuild() async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)
        // Four simulations at once: their appends share group commits and race on nothing but the file.
        try await withThrowingTaskGroup(of: CallSimulator.Summary.self) { group in
            for seed in 100..<104 {
                group.addTask {
                    var simulator = CallSimulator(store: store, clock: clock, seed: UInt64(seed), chaos: 0.5)
                    return try await simulator.run(calls: 15)
                }
            }
            for try await summary in group { #expect(summary.calls == 15) }
        }
        #expect(store.statistics.transactions < store.statistics.appends)
        let differences = try differencesFromRebuild(store)
        #expect(differences.isEmpty, "\(differences.prefix(5))")
        try await Self.checkInvariants(store, seed: 100)
    }

    @Test func rebuildInPlaceRestoresProjectionsThatWereDamaged() async throws {
        let dir = try TemporaryDirectory()
        let (store, clock) = try makeSimulatedStore(dir)
        var simulator = CallSimulator(store: store, clock: clock, seed: 7)
        _ = try await simulator.run(calls: 20)
        let before = try await Self.projectionDump(store)
        try store.ledger.maintenanceWrite { db in
            try db.execute(sql: "DELETE FROM tokens WHERE token_id IN (SELECT token_id FROM tokens LIMIT 3)")
            try db.execute(sql: "UPDATE rooms SET peer_count = 99")
        }
        #expect(try !differencesFromRebuild(store).isEmpty)
        let replayed = try ProjectionRebuilder.rebuildInPlace(store.ledger)
        #expect(replayed == (try await store.read { db in try EventReader.headPosition(in: db) }))
        #expect(try differencesFromRebuild(store).isEmpty)
        #expect(try await Self.projectionDump(store) == before)
    }

    /// Rules the events must obey, checked against the ledger itself.
    static func checkInvariants(_ store: CallStore, seed: UInt64) async throws {
        let (reusedTokens, overfull, countMismatch, pending, checkpoints, head) = try await store.read { db in
            (
                try String.fetchAll(
                    db,
                    sql: "SELECT stream FROM events WHERE type = 'token.used' GROUP BY stream HAVING COUNT(*) > 1"
                ),
                try String.fetchAll(db, sql: "SELECT code FROM rooms WHERE peer_count > max_peers"),
                try String.fetchAll(
                    db,
                    sql: """
                        SELECT code FROM rooms
                        WHERE peer_count != (SELECT COUNT(*) FROM room_peers WHERE room_code = rooms.code)
                        """
                ),
                try Queries.pendingInvites(in: db),
                try Queries.checkpoints(in: db),
                try EventReader.headPosition(in: db)
            )
        }
        #expect(reusedTokens.isEmpty, "seed \(seed): tokens used twice: \(reusedTokens)")
        #expect(overfull.isEmpty, "seed \(seed): rooms over capacity: \(overfull)")
        #expect(countMismatch.isEmpty, "seed \(seed): occupancy differs from the peers table: \(countMismatch)")
        #expect(pending.isEmpty, "seed \(seed): the simulation left invites pending")
        #expect(checkpoints.count == CallProjector.projections.count)
        #expect(checkpoints.values.allSatisfy { $0 == head })
        // Ended rooms hold nobody.
        let occupiedEnded = try await store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM room_peers JOIN rooms ON code = room_code WHERE state = 'ended'")!
        }
        #expect(occupiedEnded == 0)
    }

    static func projectionDump(_ store: CallStore) async throws -> [String] {
        try await store.read { db in
            var rows: [String] = []
            for table in CallProjector.tables {
                rows += try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY 1, 2").map { "\(table): \($0)" }
            }
            return rows
        }
    }
}

import Foundation
import Synchronization
import GRDB
@testable import Ledger
import Testing
import TestSupport

/// Concurrent appends share transactions, and every acknowledged event is durable and in order.
@Suite struct GroupCommitTests {
    @Test func sixtyFourWritersShareTransactionsAndLoseNothing() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        let writers = 64
        let perWriter = 20
        // Each writer appends to its own room stream with exact expected versions, so a lost or reordered
        // append would show as a version conflict or a gap.
        let acknowledged = try await withThrowingTaskGroup(of: [RecordedEvent].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let code = roomCode(writer)
                    var mine: [RecordedEvent] = []
                    mine += try await store.append([roomCreated(code)], to: StreamName.room(code), expectedVersion: .noStream)
                    for n in 1..<perWriter {
                        let event = n % 2 == 1 ? peerJoined(code, peer: "p\(n)") : LedgerEvent.peerLeft(
                            PeerLeft(room: code, peerId: "p\(n - 1)", reason: .hangup)
                        )
                        mine += try await store.append([event], to: StreamName.room(code), expectedVersion: .exact(n))
                    }
                    return mine
                }
            }
            var all: [RecordedEvent] = []
            for try await events in group { all += events }
            return all
        }
        let stats = store.statistics
        try store.close()

        #expect(acknowledged.count == writers * perWriter)
        #expect(stats.appends == writers * perWriter)
        #expect(stats.events == writers * perWriter)
        #expect(stats.refused == 0)
        // One fsync served many callers: far fewer transactions than events.
        #expect(stats.transactions * 4 <= stats.events, "transactions: \(stats.transactions), events: \(stats.events)")

        // Reopen the file: every acknowledged event is there, exactly as acknowledged, positions 1...N.
        let reopened = try makeStore(in: dir)
        let stored = try reopened.readSync { db in try EventReader.events(in: db, positions: 1...Int64.max) }
        #expect(stored.map(\.position) == Array(1...Int64(writers * perWriter)))
        let byPosition = Dictionary(uniqueKeysWithValues: stored.map { ($0.position, $0) })
        for event in acknowledged {
            #expect(byPosition[event.position] == event)
        }
        // Within each stream, ledger order is the order each writer was acknowledged in.
        for writer in 0..<writers {
            let stream = StreamName.room(roomCode(writer))
            #expect(stored.filter { $0.stream == stream }.map(\.version) == Array(1...perWriter))
        }
        let report = try reopened.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        #expect(report.headPosition == Int64(writers * perWriter))
    }

    @Test func conflictingWritersInOneBatchDoNotDisturbEachOther() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        // 32 writers race to create the same stream; exactly one wins, the rest get a typed conflict,
        // and 32 other writers on their own streams all succeed in the same batches.
        let results = await withTaskGroup(of: (Bool, Result<Void, LedgerError>).self) { group in
            for n in 0..<64 {
                group.addTask {
                    let contested = n % 2 == 0
                    let code = contested ? "contested" : roomCode(n)
                    do throws(LedgerError) {
                        try await store.append([roomCreated(code)], to: StreamName.room(code), expectedVersion: .noStream)
                        return (contested, .success(()))
                    } catch {
                        return (contested, .failure(error))
                    }
                }
            }
            var all: [(Bool, Result<Void, LedgerError>)] = []
            for await result in group { all.append(result) }
            return all
        }
        let contested = results.filter(\.0).map(\.1)
        let own = results.filter { !$0.0 }.map(\.1)
        #expect(contested.filter { if case .success = $0 { true } else { false } }.count == 1)
        for case .failure(let error) in contested {
            #expect(error.code == "version_conflict")
        }
        #expect(own.allSatisfy { if case .success = $0 { true } else { false } })
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        #expect(report.events == 33)
    }
}

/// A batch is first written without savepoints; a failure after an append's first write sends it back
/// to be written with one savepoint per append, so only that append is refused.
@Suite struct GroupCommitRefusalTests {
    @Test func aProjectionConstraintInASharedBatchRefusesOnlyItsAppend() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        let taken = String(repeating: "cd", count: 32)
        func issue(_ id: String, hash: String) -> StreamAppend {
            StreamAppend(
                stream: StreamName.token(id),
                expected: .noStream,
                events: [.tokenIssued(TokenIssued(tokenId: id, room: "r", tokenHash: hash, role: .guest, expiresAt: 1))]
            )
        }
        try await store.append([issue("first", hash: taken)])
        let released = Atomic<Bool>(false)
        async let blocker: Void = store.writeRecords { _ in
            while !released.load(ordering: .acquiring) { usleep(1_000) }
        }
        async let held = store.append([roomCreated("heldheld0001")], to: StreamName.room("heldheld0001"), expectedVersion: .noStream)
        try await waitUntil { store.commitQueue.committing }

        // Queued behind the held append, so they share one batch: four good appends, one whose token
        // hash is taken (the tokens table's UNIQUE refuses it after its event is inserted) and one
        // whose expected version is wrong (refused before anything is written).
        let good = (0..<4).map { n in
            Task {
                try await store.append([issue("good\(n)", hash: String(repeating: "\(n)", count: 64))])
            }
        }
        let duplicate = Task {
            try await store.append([issue("duplicate", hash: taken)])
        }
        let conflict = Task {
            try await store.append([roomCreated("x")], to: StreamName.token("first"), expectedVersion: .noStream)
        }
        try await waitUntil { store.commitQueue.queued == 6 }
        let transactionsBefore = store.statistics.transactions
        released.store(true, ordering: .releasing)
        try await blocker
        _ = try await held

        for task in good { #expect(try await task.value.count == 1) }
        #expect(await duplicate.result.failureCode == "invalid_append")
        #expect(await conflict.result.failureCode == "version_conflict")
        // The held append, then the six in one transaction (the rolled-back first try is not counted).
        #expect(store.statistics.transactions == transactionsBefore + 2)
        #expect(try await store.version(of: StreamName.token("duplicate")) == 0)
        let tokens = try await store.read { db in try String.fetchAll(db, sql: "SELECT token_id FROM tokens ORDER BY token_id") }
        #expect(tokens == ["first", "good0", "good1", "good2", "good3"])
        let report = try store.readSync { db in try ChainVerifier.verify(in: db) }
        #expect(report.issues.isEmpty)
        #expect(report.headPosition == 6)
    }
}

extension Result where Failure == any Error {
    fileprivate var failureCode: String? {
        if case .failure(let error) = self { (error as? LedgerError)?.code } else { nil }
    }
}

/// A batch serves every caller in it, so it must not stop when the caller that happens to lead it
/// is cancelled.
@Suite struct GroupCommitCancellationTests {
    @Test func aCancelledLeaderDoesNotFailItsBatch() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        // Hold the writer connection so that appends pile up behind a first one.
        let released = Atomic<Bool>(false)
        async let blocker: Void = store.writeRecords { _ in
            while !released.load(ordering: .acquiring) { usleep(1_000) }
        }
        async let first = store.append([roomCreated("firstfirst01")], to: StreamName.room("firstfirst01"), expectedVersion: .noStream)
        try await waitUntil { store.commitQueue.committing }

        // The cancelled caller queues first, so it leads the next batch; ten others queue behind it.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await store.append([roomCreated("cancelled001")], to: StreamName.room("cancelled001"), expectedVersion: .noStream)
        }
        try await waitUntil { store.commitQueue.queued == 1 }
        let others = (0..<10).map { n in
            Task { try await store.append([roomCreated(roomCode(n))], to: StreamName.room(roomCode(n)), expectedVersion: .noStream) }
        }
        try await waitUntil { store.commitQueue.queued == 11 }
        let transactionsBefore = store.statistics.transactions
        released.store(true, ordering: .releasing)
        try await blocker
        _ = try await first

        for other in others {
            let events = try await other.value
            #expect(events.count == 1)
        }
        // The cancelled append was written too: once queued, an append is carried out.
        _ = try await cancelled.value
        // All eleven went in one transaction led by the cancelled caller.
        #expect(store.statistics.transactions == transactionsBefore + 2)
        let count = try store.readSync { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") }
        #expect(count == 12)
    }
}

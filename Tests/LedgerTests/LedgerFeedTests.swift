import Foundation
@testable import Ledger
import Synchronization
import TestSupport
import Testing

/// The feed of committed events: every event once, in position order, after COMMIT, from this process
/// and from another writer on the same file, for followers that start anywhere and read at any pace.
@Suite struct LedgerFeedTests {
    /// Collects what a follower receives from `after` until it has seen `through`.
    static func follow(_ feed: LedgerFeed, after: Int64, through: Int64, batchSize: Int = 256) async throws -> [RecordedEvent] {
        var received: [RecordedEvent] = []
        for try await batch in feed.events(after: after, batchSize: batchSize) {
            received += batch
            if let last = batch.last, last.position >= through { break }
        }
        return received
    }

    @Test func followersSeeEveryEventOnceInOrderFromAnyStart() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        for n in 0..<10 {
            try await store.append([roomCreated(roomCode(n))], to: StreamName.room(roomCode(n)), expectedVersion: .noStream)
        }
        // One follower from the start, one from the middle; both started before the next 90 appends.
        try await withThrowingTaskGroup(of: [RecordedEvent].self) { group in
            group.addTask { try await Self.follow(store.feed, after: 0, through: 100) }
            group.addTask { try await Self.follow(store.feed, after: 5, through: 100, batchSize: 7) }
            try await withThrowingTaskGroup(of: Void.self) { writers in
                for writer in 0..<9 {
                    writers.addTask {
                        for n in 0..<10 {
                            let code = roomCode(100 + writer * 10 + n)
                            try await store.append([roomCreated(code)], to: StreamName.room(code), expectedVersion: .noStream)
                        }
                    }
                }
                try await writers.waitForAll()
            }
            let fromStart = try #require(try await group.next())
            let fromMiddle = try #require(try await group.next())
            let (all, middle) = fromStart.count > fromMiddle.count ? (fromStart, fromMiddle) : (fromMiddle, fromStart)
            #expect(all.map(\.position) == Array(1...100))
            #expect(middle.map(\.position) == Array(6...100))
            let stored = try store.readSync { db in try EventReader.events(in: db, positions: 1...100) }
            #expect(all == stored)
        }
        try store.close()
    }

    @Test func appendsByAnotherWriterOnTheFileArriveInOrderWithTheLocalOnes() async throws {
        let dir = try TemporaryDirectory()
        let local = try makeStore(in: dir)
        let other = try makeStore(in: dir)  // another process, as far as `local` can tell
        try await withThrowingTaskGroup(of: [RecordedEvent].self) { group in
            group.addTask { try await Self.follow(local.feed, after: 0, through: 40) }
            for n in 0..<20 {
                let (writer, code) = n % 2 == 0 ? (local, roomCode(n)) : (other, roomCode(n))
                try await writer.append([roomCreated(code)], to: StreamName.room(code), expectedVersion: .noStream)
                // What the gateway's LedgerFeedService does when the ledger file changes.
                if n % 5 == 4 { try await local.feed.catchUp() }
            }
            for n in 20..<40 {
                try await other.append([roomCreated(roomCode(n))], to: StreamName.room(roomCode(n)), expectedVersion: .noStream)
            }
            #expect(try await local.feed.catchUp() > 0)
            let received = try #require(try await group.next())
            #expect(received.map(\.position) == Array(1...40))
            #expect(Set(received.map(\.stream)).count == 40)
        }
        try other.close()
        try local.close()
    }

    @Test func aFollowerFarBehindReadsTheFileAndMissesNothing() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        // More events than the feed keeps in memory (4,096), appended before anyone follows.
        let appends = (0..<5_000).map { n in
            let code = "feed" + String(repeating: "0", count: 8 - String(n).count) + String(n)
            return StreamAppend(stream: StreamName.room(code), expected: .noStream, events: [roomCreated(code)])
        }
        for chunk in stride(from: 0, to: appends.count, by: 500) {
            try await store.append(Array(appends[chunk..<min(appends.count, chunk + 500)]))
        }
        let received = try await Self.follow(store.feed, after: 0, through: 5_000, batchSize: 1_000)
        #expect(received.map(\.position) == Array(1...5_000))
        try store.close()
    }

    @Test func aFollowerEndsWhenCancelledOrWhenTheLedgerCloses() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        let waiting = Task { try await Self.follow(store.feed, after: 0, through: 1) }
        try await waitUntil("the follower waits") { store.feed.waiterCount == 1 }
        waiting.cancel()
        #expect(try await waiting.value.isEmpty)

        let closing = Task { try await Self.follow(store.feed, after: 0, through: 1) }
        try await waitUntil("the follower waits") { store.feed.waiterCount == 1 }
        try store.close()
        #expect(try await closing.value.isEmpty)
    }
}

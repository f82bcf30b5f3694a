@testable import Ledger
import Synchronization
import TestSupport
import Testing

/// The one way services follow the ledger: from where they start, every event once in order, a
/// failure retried from the last event handled, a persisted cursor saved per batch and read back, and
/// an end when cancelled or when the ledger closes.
@Suite struct FeedFollowerTests {
    struct Failure: Error {}

    /// A cursor in memory that can be told to fail its next loads.
    final class MemoryCursor: FeedCursor {
        let saved = Mutex<Int64?>(nil)
        let failLoads = Mutex(0)
        func load() async throws -> Int64? {
            let fail = failLoads.withLock { count in
                let failing = count > 0
                count = max(0, count - 1)
                return failing
            }
            if fail { throw Failure() }
            return saved.withLock { $0 }
        }
        func save(_ position: Int64) async throws { saved.withLock { $0 = position } }
    }

    static let quick = Backoff(base: .milliseconds(1), cap: .milliseconds(4))

    static func appendRooms(_ store: EventStore, _ numbers: Range<Int>) async throws {
        for n in numbers {
            try await store.append([roomCreated(roomCode(n))], to: StreamName.room(roomCode(n)), expectedVersion: .noStream)
        }
    }

    @Test func aFailedBatchIsRetriedFromTheLastEventHandled() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        try await Self.appendRooms(store, 0..<10)
        let seen = Mutex<[Int64]>([])
        let failures = Mutex<[Int]>([])
        let failedOnce = Mutex(false)
        let follower = FeedFollower(feed: store.feed, start: .position(2), backoff: Self.quick) { _, inARow in
            failures.withLock { $0.append(inARow) }
        }
        let task = Task {
            await follower.run { events, position in
                for event in events {
                    // Event 6 fails the first time it is handled: 3...5 are not handled again.
                    if event.position == 6, !failedOnce.withLock({ failed in
                        let before = failed
                        failed = true
                        return before
                    }) { throw Failure() }
                    seen.withLock { $0.append(event.position) }
                    position = event.position
                }
            }
        }
        try await waitUntil("the follower reached event 10") { seen.withLock { $0.last } == 10 }
        task.cancel()
        let last = await task.value
        #expect(seen.withLock { $0 } == Array(3...10))
        #expect(failures.withLock { $0 } == [1])
        #expect(last == 10)
        try store.close()
    }

    @Test func aPersistedCursorStartsAtTheHeadOnceAndThenWhereItWasSaved() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        try await Self.appendRooms(store, 0..<4)
        let cursor = MemoryCursor()
        cursor.failLoads.withLock { $0 = 2 }  // the cursor's table is busy at first: retried
        final class Record: Sendable {
            let seen = Mutex<[Int64]>([])
            let failures = Mutex(0)
        }
        let record = Record()
        func follow() -> Task<Int64, Never> {
            let follower = FeedFollower(feed: store.feed, start: .persisted(cursor), backoff: Self.quick) { _, _ in
                record.failures.withLock { $0 += 1 }
            }
            return Task {
                await follower.run { events, position in
                    record.seen.withLock { $0 += events.map(\.position) }
                    position = events.last?.position ?? position
                }
            }
        }
        let first = follow()
        try await waitUntil("the cursor was saved at the head") { cursor.saved.withLock { $0 } == 4 }
        #expect(record.failures.withLock { $0 } == 2)
        try await Self.appendRooms(store, 4..<6)
        try await waitUntil("the follower saved event 6") { cursor.saved.withLock { $0 } == 6 }
        first.cancel()
        _ = await first.value
        // Events from before the first start were not handled; after a restart, only what is new.
        try await Self.appendRooms(store, 6..<8)
        let second = follow()
        try await waitUntil("the restarted follower saved event 8") { cursor.saved.withLock { $0 } == 8 }
        second.cancel()
        _ = await second.value
        #expect(record.seen.withLock { $0 } == [5, 6, 7, 8])
        try store.close()
    }

    @Test func followingEndsWhenTheLedgerCloses() async throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(in: dir)
        try await Self.appendRooms(store, 0..<3)
        let follower = FeedFollower(feed: store.feed, start: .head, backoff: Self.quick)
        let task = Task { await follower.run { events, position in position = events.last?.position ?? position } }
        try store.close()
        #expect(await task.value == 3)
    }
}

import CrowSecurity
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
@testable import Gateway
import TestSupport
import Testing

/// The owner credential cache: an entry holds only while this process wrote no owner record and the
/// ledger's write-ahead log is untouched, for at most its lifetime, and never past the session's own
/// expiry.
@Suite struct OwnerCredentialCacheTests {
    /// Stands in for `OwnerStore.recordWrites`.
    final class WriteCount: Sendable {
        let value = Atomic<UInt64>(0)
        func add() { value.add(1, ordering: .releasing) }
        var current: UInt64 { value.load(ordering: .acquiring) }
    }

    static let a = SecretDigest("a"), b = SecretDigest("b"), s = SecretDigest("s")

    @Test func anEntryHoldsUntilTheLogChangesItsLifetimeEndsOrTheSessionExpires() throws {
        let dir = try TemporaryDirectory()
        let ledger = dir.path + "/ledger.sqlite"
        let wal = ledger + "-wal"
        let writes = WriteCount()
        // The file is looked at on every request here, to show what a look finds.
        let cache = OwnerCredentialCache(ledgerPath: ledger, localWrites: { writes.current }, lifetime: 1000, fileCheckInterval: .zero)
        let (a, b, s) = (Self.a, Self.b, Self.s)
        // No log file: nothing can be checked, so nothing is cached.
        cache.remember(digest: a, principal: .apiToken(id: "t1"), stamp: cache.stamp(), now: 0)
        #expect(cache.principal(digest: a, now: 1) == nil)

        try Data("frame".utf8).write(to: URL(fileURLWithPath: wal))
        cache.remember(digest: a, principal: .apiToken(id: "t1"), stamp: cache.stamp(), now: 0)
        #expect(cache.principal(digest: a, now: 1) == .apiToken(id: "t1"))
        #expect(cache.principal(digest: b, now: 1) == nil)
        // The lifetime is a backstop.
        #expect(cache.principal(digest: a, now: 1000) == nil)

        // Any write to the log (a commit by any process) drops it, even one of the same size.
        let before = try #require(cache.stamp())
        cache.remember(digest: a, principal: .apiToken(id: "t1"), stamp: before, now: 0)
        // A file's times come from the kernel's coarse clock: wait for it to pass the log's last write
        // (a condition, not a guess at how long a tick is), so the next write is stamped later.
        try Self.waitForCoarseClock(after: before.file.modified)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: Data("FRAME".utf8))
        try handle.close()
        #expect(cache.principal(digest: a, now: 1) == nil)

        // A session's expiry bounds its entry.
        cache.remember(digest: s, principal: .session(id: "s1"), stamp: cache.stamp(), now: 0, expiresAt: 300)
        #expect(cache.principal(digest: s, now: 299) == .session(id: "s1"))
        #expect(cache.principal(digest: s, now: 300) == nil)

        // A sign-out is forgotten at once.
        cache.remember(digest: s, principal: .session(id: "s1"), stamp: cache.stamp(), now: 0)
        cache.forget(digest: s)
        #expect(cache.principal(digest: s, now: 1) == nil)

        // A write of the owner's records by this process drops everything at once.
        cache.remember(digest: a, principal: .apiToken(id: "t1"), stamp: cache.stamp(), now: 0)
        #expect(cache.principal(digest: a, now: 1) == .apiToken(id: "t1"))
        writes.add()
        #expect(cache.principal(digest: a, now: 1) == nil)
    }

    /// Between two looks at the file, a commit by another process is not seen yet, while this process's
    /// own writes still are: that is what a look at most once a millisecond trades.
    @Test func theFileIsLookedAtOncePerIntervalAndLocalWritesAlways() throws {
        let dir = try TemporaryDirectory()
        let ledger = dir.path + "/ledger.sqlite"
        let wal = ledger + "-wal"
        try Data("frame".utf8).write(to: URL(fileURLWithPath: wal))
        let writes = WriteCount()
        let cache = OwnerCredentialCache(ledgerPath: ledger, localWrites: { writes.current }, lifetime: 60_000, fileCheckInterval: .seconds(3600))
        let before = try #require(cache.stamp())
        cache.remember(digest: Self.a, principal: .apiToken(id: "t1"), stamp: before, now: 0)
        // An append: the size alone would show it to a look at the file.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("another frame".utf8))
        try handle.close()
        #expect(cache.principal(digest: Self.a, now: 1) == .apiToken(id: "t1"), "the file was looked at again within the interval")
        writes.add()
        #expect(cache.principal(digest: Self.a, now: 1) == nil)
        // The next read of the owner's records is stamped with the count it was read at.
        cache.remember(digest: Self.a, principal: .apiToken(id: "t1"), stamp: cache.stamp(), now: 0)
        #expect(cache.principal(digest: Self.a, now: 1) == .apiToken(id: "t1"))
    }

    /// Polls the clock file times are taken from until it reads later than `nanoseconds` (bounded).
    static func waitForCoarseClock(after nanoseconds: Int64) throws {
        for _ in 0..<10_000 {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME_COARSE, &now)
            if Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) > nanoseconds { return }
            usleep(200)
        }
        throw HarnessError.timedOut("the coarse clock did not move")
    }

    @Test func aFullCacheStaysBounded() throws {
        let dir = try TemporaryDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.path + "/ledger.sqlite-wal"))
        let cache = OwnerCredentialCache(ledgerPath: dir.path + "/ledger.sqlite", localWrites: { 0 }, lifetime: 1000, capacity: 4)
        for n in 0..<10 {
            cache.remember(digest: SecretDigest("h\(n)"), principal: .apiToken(id: "t\(n)"), stamp: cache.stamp(), now: 0)
        }
        let kept = (0..<10).filter { cache.principal(digest: SecretDigest("h\($0)"), now: 1) != nil }
        #expect(kept.count <= 4)
        #expect(kept.contains(9))
    }
}

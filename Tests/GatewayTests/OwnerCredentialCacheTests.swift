import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Gateway
import TestSupport
import Testing

/// The owner credential cache: an entry holds only while the ledger's write-ahead log is untouched,
/// for at most its lifetime, and never past the session's own expiry.
@Suite struct OwnerCredentialCacheTests {
    @Test func anEntryHoldsUntilTheLogChangesItsLifetimeEndsOrTheSessionExpires() throws {
        let dir = try TemporaryDirectory()
        let ledger = dir.path + "/ledger.sqlite"
        let wal = ledger + "-wal"
        let cache = OwnerCredentialCache(ledgerPath: ledger, lifetime: 1000)
        // No log file: nothing can be checked, so nothing is cached.
        cache.remember(hash: "a", principal: .apiToken(id: "t1"), stamp: cache.stamp(), now: 0)
        #expect(cache.principal(hash: "a", now: 1) == nil)

        try Data("frame".utf8).write(to: URL(fileURLWithPath: wal))
        cache.remember(hash: "a", principal: .apiToken(id: "t1"), stamp: cache.stamp(), now: 0)
        #expect(cache.principal(hash: "a", now: 1) == .apiToken(id: "t1"))
        #expect(cache.principal(hash: "b", now: 1) == nil)
        // The lifetime is a backstop.
        #expect(cache.principal(hash: "a", now: 1000) == nil)

        // Any write to the log (a commit by any process) drops it, even one of the same size.
        let before = try #require(cache.stamp())
        cache.remember(hash: "a", principal: .apiToken(id: "t1"), stamp: before, now: 0)
        // A file's times come from the kernel's coarse clock: wait for it to pass the log's last write
        // (a condition, not a guess at how long a tick is), so the next write is stamped later.
        try Self.waitForCoarseClock(after: before.modified)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: Data("FRAME".utf8))
        try handle.close()
        #expect(cache.principal(hash: "a", now: 1) == nil)

        // A session's expiry bounds its entry.
        cache.remember(hash: "s", principal: .session(id: "s1"), stamp: cache.stamp(), now: 0, expiresAt: 300)
        #expect(cache.principal(hash: "s", now: 299) == .session(id: "s1"))
        #expect(cache.principal(hash: "s", now: 300) == nil)

        // A sign-out is forgotten at once.
        cache.remember(hash: "s", principal: .session(id: "s1"), stamp: cache.stamp(), now: 0)
        cache.forget(hash: "s")
        #expect(cache.principal(hash: "s", now: 1) == nil)
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
        let cache = OwnerCredentialCache(ledgerPath: dir.path + "/ledger.sqlite", lifetime: 1000, capacity: 4)
        for n in 0..<10 {
            cache.remember(hash: "h\(n)", principal: .apiToken(id: "t\(n)"), stamp: cache.stamp(), now: 0)
        }
        let kept = (0..<10).filter { cache.principal(hash: "h\($0)", now: 1) != nil }
        #expect(kept.count <= 4)
        #expect(kept.contains(9))
    }
}

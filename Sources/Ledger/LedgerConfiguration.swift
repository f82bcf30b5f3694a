/// How durable a commit is. See docs/LEDGER.md.
public enum SynchronousMode: String, Sendable, CaseIterable {
    /// Every commit is fsynced before it is acknowledged: survives power loss. The default.
    case full = "FULL"
    /// Commits are fsynced at WAL checkpoints: survives a process crash, may lose the last commits on power loss.
    case normal = "NORMAL"
}

/// Where and how the ledger stores its events.
public struct LedgerConfiguration: Sendable {
    /// Path of the SQLite file, usually `<data dir>/ledger.sqlite`.
    public var path: String
    public var synchronous: SynchronousMode
    /// The most appends one group commit writes in one transaction.
    public var maxBatch: Int
    /// How long a writer waits for another process holding the write lock, in seconds.
    public var busyTimeout: Double
    /// The size, in bytes, the write-ahead log is cut back to when it starts over after a checkpoint
    /// (SQLite's `journal_size_limit`). SQLite reuses the log file from its start instead of shrinking
    /// it, so without a limit one large transaction (an in-place rebuild writes every projection page)
    /// would leave a log that size on disk for good. The log stays near 4 MiB in ordinary use (a
    /// checkpoint every 1,000 pages), so the default limit is never reached then.
    public var walSizeLimit: Int
    /// Unix milliseconds for `recorded_at`. Injected so that simulations can run on a virtual clock.
    public var clock: @Sendable () -> Int64

    public init(
        path: String,
        synchronous: SynchronousMode = .full,
        maxBatch: Int = 1024,
        busyTimeout: Double = 10,
        walSizeLimit: Int = 16 << 20,
        clock: @escaping @Sendable () -> Int64 = LedgerClock.systemMilliseconds
    ) {
        self.path = path
        self.synchronous = synchronous
        self.maxBatch = maxBatch
        self.busyTimeout = busyTimeout
        self.walSizeLimit = walSizeLimit
        self.clock = clock
    }
}

public enum LedgerClock {
    @Sendable public static func systemMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

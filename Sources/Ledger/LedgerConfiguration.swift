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
    /// would leave a log that size on disk for good. The log stays near 8 MiB in ordinary use (a
    /// checkpoint every `checkpointFrames` pages), so the default limit is never reached then.
    public var walSizeLimit: Int
    /// How many pages the write-ahead log holds before the commit that passes it copies them into the
    /// database file (SQLite's `wal_autocheckpoint`; SQLite's own default is 1,000). A checkpoint copies
    /// each page once however often the commits since the last one wrote it, and syncs the database
    /// file once, so fewer and larger checkpoints copy and sync less per event. Keep this many pages
    /// (4,120 bytes each as a log frame) well under `walSizeLimit`: a log cut back after every checkpoint
    /// grows again, and commits that grow the log file are slower, presumably because they also sync
    /// its new size (single appends measured a quarter slower with 8,000 pages against the 16 MiB
    /// limit; docs/BENCHMARKS.md).
    public var checkpointFrames: Int
    /// Unix milliseconds for `recorded_at`. Injected so that simulations can run on a virtual clock.
    public var clock: @Sendable () -> Int64

    public init(
        path: String,
        synchronous: SynchronousMode = .full,
        maxBatch: Int = 1024,
        busyTimeout: Double = 10,
        walSizeLimit: Int = 16 << 20,
        checkpointFrames: Int = 2000,
        clock: @escaping @Sendable () -> Int64 = LedgerClock.systemMilliseconds
    ) {
        self.path = path
        self.synchronous = synchronous
        self.maxBatch = maxBatch
        self.busyTimeout = busyTimeout
        self.walSizeLimit = walSizeLimit
        self.checkpointFrames = checkpointFrames
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

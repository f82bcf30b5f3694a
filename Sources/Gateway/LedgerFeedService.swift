import CallStore
import Ledger
import Logging
import ServiceLifecycle

/// Brings appends made by other processes on the same ledger file (`crow-calls mcp`, `crow-ledger`)
/// into the ledger's feed. Appends made by this process reach the feed when they commit; this one
/// watches the file for the others.
///
/// Every `watch` (50 ms) it takes the stamp of the ledger's write-ahead log (a `stat`, about a
/// microsecond), which every commit by any process changes, and reads the file's head only when the
/// stamp moved. An invite queued by `crow-calls mcp` is thus sent within about `watch` of its commit,
/// where a read of the head every 250 ms used to leave it waiting 125 ms on average. File times come
/// from the kernel's coarse clock, so the head is also read at least every `backstop` (250 ms).
struct LedgerFeedService: Service {
    let store: CallStore
    let ledgerPath: String
    let watch: Duration
    let backstop: Duration
    let logger: Logger

    func run() async throws {
        let feed = store.feed
        let wal = ledgerPath + "-wal"
        try? await cancelWhenGracefulShutdown {
            var failing = false
            // The first turn reads the head whatever the file shows: another process may have appended
            // between the feed's start and this service's.
            var seen: FileStamp?
            var readAt: ContinuousClock.Instant?
            while !Task.isCancelled {
                // The stamp is taken before the head is read: a commit after it changes the next stamp.
                let stamp = FileStamp.of(wal)
                let now = ContinuousClock.now
                if let readAt, stamp == seen, now - readAt < backstop {
                    try await Task.sleep(for: watch)
                    continue
                }
                seen = stamp
                readAt = now
                do {
                    try await feed.catchUp()
                    failing = false
                } catch {
                    if Task.isCancelled { return }  // shutting down: the read was interrupted
                    if !failing { logger.error("reading the ledger head failed", metadata: ["error": "\(error)"]) }
                    failing = true
                }
                try await Task.sleep(for: watch)
            }
        }
    }
}

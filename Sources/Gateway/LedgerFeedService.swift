import CallStore
import Ledger
import Logging
import ServiceLifecycle

/// Brings appends made by other processes on the same ledger file (`crow-calls mcp`, `crow-ledger`)
/// into the ledger's feed. Appends made by this process reach the feed when they commit; this only
/// looks at the file's head a few times a second and reads what another process added.
struct LedgerFeedService: Service {
    let store: CallStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let feed = store.feed
        try? await cancelWhenGracefulShutdown {
            var failing = false
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    try await feed.catchUp()
                    failing = false
                } catch {
                    if Task.isCancelled { return }  // shutting down: the read was interrupted
                    if !failing { logger.error("reading the ledger head failed", metadata: ["error": "\(error)"]) }
                    failing = true
                }
            }
        }
    }
}

import CallStore
import Logging
import ServiceLifecycle

/// Owns the ledger's lifetime in the service group: on graceful shutdown it closes the database after
/// the server has stopped taking requests.
struct LedgerService: Service {
    let store: CallStore
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try store.close()
        } catch {
            logger.error("closing the ledger failed", metadata: ["error": "\(error)"])
        }
    }
}

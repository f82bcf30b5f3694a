public import Logging
public import ServiceLifecycle
import Synchronization

/// The publishing connections kept open, one per relay (`RelayLink`), shared by every publisher of the
/// gateway: the outbox's invites and the answers. Runs as a service so that graceful shutdown closes
/// them; a link that carried nothing for `keepOpen` closes by itself.
public final class RelayLinks: Service, Sendable {
    public let keepOpen: Duration
    let logger: Logger
    private let links = Mutex<[String: RelayLink]>([:])
    private let stopped = Mutex(false)

    public init(keepOpen: Duration, logger: Logger) {
        self.keepOpen = keepOpen
        self.logger = logger
    }

    /// The open link to `relay`, opened now when there is none (nil once the service has stopped).
    func link(to relay: String) -> RelayLink? {
        let (link, opened) = links.withLock { links -> (RelayLink?, Bool) in
            if stopped.withLock({ $0 }) { return (nil, false) }
            if let link = links[relay], !link.isClosed { return (link, false) }
            let link = RelayLink(relay: relay, keepOpen: keepOpen, logger: logger)
            links[relay] = link
            return (link, true)
        }
        if let link, opened {
            Task {
                await link.run()
                self.links.withLock { links in
                    if links[relay] === link { links[relay] = nil }
                }
            }
        }
        return link
    }

    /// Open links right now (tests).
    var openCount: Int { links.withLock { $0.values.filter { !$0.isClosed }.count } }

    public func run() async throws {
        try? await gracefulShutdown()
        closeAll()
    }

    /// Closes every link and takes no new one.
    public func closeAll() {
        let all = links.withLock { links -> [RelayLink] in
            stopped.withLock { $0 = true }
            defer { links.removeAll() }
            return Array(links.values)
        }
        for link in all { link.close() }
    }
}

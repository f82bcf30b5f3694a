public import Ledger
public import Logging
public import ServiceLifecycle
import Synchronization

/// The publishing connections kept open, one per relay (`RelayLink`), shared by every publisher of the
/// gateway: the outbox's invites and the answers. A link to any relay is opened by the first publish
/// and closes after `keepOpen` without one. Links to the gateway's own relays (the `directory`, when
/// given) are opened at start and kept open for as long as the relay is in the list, opened again after
/// a backoff when the relay or the network drops them: the first call after a quiet hour does not wait
/// for a connect either. Runs as a service, so that graceful shutdown closes them all.
public final class RelayLinks: Service, Sendable {
    public let keepOpen: Duration
    let directory: RelayDirectory?
    let logger: Logger
    /// Between connections to one of the gateway's own relays: 1 s doubling to 32 s, give or take a quarter.
    let reconnect: Backoff
    private struct State {
        var links: [String: RelayLink] = [:]
        var pinned: Set<String> = []
        var stopped = false
    }

    private let state = Mutex(State())
    /// Links a publish opened, handed to `run`, which runs each in its own task group: no link
    /// outlives the service.
    private let opened: AsyncStream<RelayLink>
    private let openedLinks: AsyncStream<RelayLink>.Continuation

    public init(
        keepOpen: Duration,
        directory: RelayDirectory? = nil,
        logger: Logger,
        reconnect: Backoff = Backoff(base: .seconds(1), cap: .seconds(32), jitter: 0.25)
    ) {
        self.keepOpen = keepOpen
        self.directory = directory
        self.logger = logger
        self.reconnect = reconnect
        (opened, openedLinks) = AsyncStream.makeStream(of: RelayLink.self)
    }

    /// The open link to `relay`, opened now when there is none (nil once the service has stopped).
    func link(to relay: String) -> RelayLink? {
        let (link, opened) = state.withLock { state -> (RelayLink?, Bool) in
            if state.stopped { return (nil, false) }
            if let link = state.links[relay], !link.isClosed { return (link, false) }
            let link = RelayLink(relay: relay, keepOpen: keepOpen, logger: logger) { [weak self] in
                self?.state.withLock { $0.pinned.contains(relay) } ?? false
            }
            state.links[relay] = link
            return (link, true)
        }
        if let link, opened { openedLinks.yield(link) }
        return link
    }

    /// Open links right now (tests).
    var openCount: Int { state.withLock { $0.links.values.filter { !$0.isClosed }.count } }

    public func run() async throws {
        await withTaskCancellationHandler {
            await withDiscardingTaskGroup { links in
                links.addTask {
                    try? await cancelWhenGracefulShutdown { try await self.keepOwnRelaysLinked() }
                    self.closeAll()
                }
                for await link in opened {
                    links.addTask {
                        await link.run()
                        self.state.withLock { state in
                            if state.links[link.relay] === link { state.links[link.relay] = nil }
                        }
                    }
                }
            }
        } onCancel: {
            closeAll()
        }
        closeAll()
    }

    /// Keeps a link open to each of the gateway's own relays for as long as it is listed; without a
    /// directory, waits for the graceful shutdown.
    private func keepOwnRelaysLinked() async throws {
        guard let directory else { return try await gracefulShutdown() }
        await withDiscardingTaskGroup { group in
            var pinned = Set<String>()
            for await relays in directory.changes() {
                pinned.formIntersection(relays)
                for relay in relays where !pinned.contains(relay) {
                    pinned.insert(relay)
                    group.addTask {
                        await withTaskGroup(of: Void.self) { inner in
                            inner.addTask { await self.keepLinked(relay) }
                            inner.addTask { await directory.waitUntilRemoved(relay) }
                            await inner.next()
                            inner.cancelAll()
                            self.unpin(relay)
                        }
                    }
                }
            }
        }
    }

    /// Keeps a link to one of the gateway's own relays open until the task is cancelled.
    private func keepLinked(_ relay: String) async {
        state.withLock { _ = $0.pinned.insert(relay) }
        var failures = 0
        while !Task.isCancelled {
            guard let link = link(to: relay) else { return }
            let opened = ContinuousClock.now
            await link.waitUntilClosed()
            if Task.isCancelled { return }
            // A link that lasted a minute counts as healthy: start the backoff again.
            failures = ContinuousClock.now - opened > .seconds(60) ? 1 : failures + 1
            try? await reconnect.wait(afterFailures: failures)
        }
    }

    /// A relay left the list: its link is no longer kept, and closes now.
    private func unpin(_ relay: String) {
        let link = state.withLock { state -> RelayLink? in
            state.pinned.remove(relay)
            return state.links.removeValue(forKey: relay)
        }
        link?.close()
    }

    /// Closes every link and takes no new one; `run` then returns once every link has ended.
    public func closeAll() {
        let all = state.withLock { state -> [RelayLink] in
            state.stopped = true
            defer { state.links.removeAll() }
            return Array(state.links.values)
        }
        for link in all { link.close() }
        openedLinks.finish()
    }
}

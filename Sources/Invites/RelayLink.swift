import Foundation
import HummingbirdWSClient
import Logging
import Nostr
import Synchronization

/// One open connection to one relay that publishes share, so an invite costs half a round trip to the
/// relay instead of a TCP (and TLS) handshake, a WebSocket upgrade and then the `EVENT`.
///
/// It is opened by the first publish that asks for it (or, for the gateway's own relays, by `RelayLinks`
/// at start) and closes itself once it has carried nothing for `keepOpen`, unless it is `pinned` (or
/// when the relay, the network or `close()` ends it). Every publish waits for its own `OK`
/// (matched by event id; an answer with an empty id, as nostr-relay gives a refusal, goes to the oldest
/// publish still waiting, since a relay answers a connection's events in order). When the connection
/// ends before an answer came, the publish is told `nil`, and the caller publishes again on a fresh
/// connection: nothing counts as delivered without the relay's `OK`. A publish left unanswered for its
/// whole timeout closes the link, so the next one starts on a new connection.
final class RelayLink: Sendable {
    private struct Waiter {
        let eventID: String
        let continuation: CheckedContinuation<RelayPublisher.Outcome?, Never>
    }

    private struct State {
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
        var lastUsed = ContinuousClock.now
    }

    let relay: String
    private let keepOpen: Duration
    /// True while the link is to be kept open however long it is idle (one of the gateway's own relays).
    private let pinned: @Sendable () -> Bool
    private let logger: Logger
    private let state = Mutex(State())
    private let outgoing: AsyncStream<String>.Continuation
    private let messages: AsyncStream<String>

    init(relay: String, keepOpen: Duration, logger: Logger, pinned: @escaping @Sendable () -> Bool = { false }) {
        self.relay = relay
        self.keepOpen = keepOpen
        self.pinned = pinned
        self.logger = logger
        (messages, outgoing) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(256))
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Connects and carries publishes until idle, closed or dropped; then answers every waiting publish
    /// with nil.
    func run() async {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = RelayMessage.maxBytes
        configuration.closeTimeout = .seconds(2)
        configuration.autoPing = .enabled(timePeriod: .seconds(30))
        let messages = self.messages
        let keepOpen = self.keepOpen
        let pinned = self.pinned
        do {
            _ = try await WebSocketClient.connect(url: relay, configuration: configuration, logger: logger) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in messages { try await outbound.write(.text(text)) }
                    }
                    group.addTask {
                        // Closes the link once it has been idle for `keepOpen` with nothing in flight.
                        while true {
                            let idleSince = self.state.withLock { $0.waiters.isEmpty && !pinned() ? $0.lastUsed : ContinuousClock.now }
                            let left = keepOpen - (ContinuousClock.now - idleSince)
                            if left <= .zero { return }
                            try await Task.sleep(for: left)
                        }
                    }
                    group.addTask {
                        for try await message in inbound.messages(maxSize: RelayMessage.maxBytes) {
                            guard case .text(let text) = message, case .ok(let id, let accepted, let note)? = RelayMessage.parse(text, fromRelay: true)
                            else { continue }
                            self.answer(id: id, accepted: accepted, note: note)
                        }
                    }
                    // Whichever ends first (idle, the relay closing, a failed write) ends the link.
                    _ = try await group.next()
                    group.cancelAll()
                }
                try? await outbound.close(.normalClosure, reason: nil)
            }
        } catch {
            logger.debug("[nostr] publishing connection ended", metadata: ["relay": "\(RelaySubscriber.loggable(relay))", "error": "\(error)"])
        }
        close()
    }

    /// Publishes one event over this link and waits for the relay's answer, at most `timeout`. Nil when
    /// the link closed before an answer came (publish again on a new connection).
    func publish(_ event: NostrEvent, timeout: Duration) async -> RelayPublisher.Outcome? {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let text = RelayMessage.publish(event).json()
        let relay = self.relay
        enum Step: Sendable {
            case answered(RelayPublisher.Outcome?)
            case timedOut(RelayPublisher.Outcome?)
        }
        return await withTaskGroup(of: Step.self) { group in
            group.addTask {
                let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<RelayPublisher.Outcome?, Never>) in
                    let open = self.state.withLock { state -> Bool in
                        guard !state.closed else { return false }
                        state.waiters[id] = Waiter(eventID: event.id, continuation: continuation)
                        state.lastUsed = .now
                        return true
                    }
                    guard open else { return continuation.resume(returning: nil) }
                    if case .enqueued = self.outgoing.yield(text) { return }
                    // The link's queue is closed or full: this publish takes a connection of its own.
                    self.state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume(returning: nil)
                }
                return .answered(outcome)
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                // Only a timeout that takes the waiter decides; else the answer is already on its way.
                guard let waiter = self.state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return .timedOut(nil) }
                waiter.continuation.resume(returning: nil)
                return .timedOut(RelayPublisher.Outcome(relay: relay, accepted: false, message: "no answer within \(timeout)"))
            }
            for await step in group {
                switch step {
                case .answered(let outcome):
                    group.cancelAll()
                    return outcome
                case .timedOut(let outcome?):
                    // A connection that left a publish unanswered is not trusted with the next one.
                    self.close()
                    return outcome
                case .timedOut(nil):
                    continue
                }
            }
            return nil
        }
    }

    /// Ends the link: no new publish is taken, and those waiting are told to publish again elsewhere.
    func close() {
        let (waiters, closeWaiters) = state.withLock { state -> ([Waiter], [CheckedContinuation<Void, Never>]) in
            state.closed = true
            defer {
                state.waiters.removeAll()
                state.closeWaiters.removeAll()
            }
            return (Array(state.waiters.values), state.closeWaiters)
        }
        outgoing.finish()
        for waiter in waiters { waiter.continuation.resume(returning: nil) }
        for waiter in closeWaiters { waiter.resume() }
    }

    /// Returns once the link is closed.
    func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let closed = state.withLock { state -> Bool in
                if state.closed { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if closed { continuation.resume() }
        }
    }

    private func answer(id: String, accepted: Bool, note: String) {
        let waiter = state.withLock { state -> Waiter? in
            let key =
                id.isEmpty
                ? state.waiters.keys.min()
                : state.waiters.filter { $0.value.eventID == id }.keys.min()
            guard let key else { return nil }
            state.lastUsed = .now
            return state.waiters.removeValue(forKey: key)
        }
        guard let waiter else { return }
        // "duplicate:" means the relay has the event already (a publish repeated after a crash); some
        // relays say so with `false`. It is delivered.
        let delivered = id == waiter.eventID && (accepted || note.hasPrefix("duplicate:"))
        waiter.continuation.resume(returning: RelayPublisher.Outcome(relay: relay, accepted: delivered, message: String(note.prefix(200))))
    }
}

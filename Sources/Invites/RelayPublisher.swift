import Foundation
import HummingbirdWSClient
public import Ledger
public import Logging
public import Nostr
import Synchronization

/// Publishes one event to one relay: send `EVENT`, wait for the relay's `OK`. With `links`, over the
/// connection kept open to that relay (`RelayLink`), opened by the first publish; without, or when that
/// connection ends before the answer, on a connection of its own (connect, send, wait, close). Every
/// step is bounded by `timeout`, and a relay that sends garbage, too much, or nothing costs only its own
/// connection. The answer is a `RelayOutcome`-shaped result, never an error.
public struct RelayPublisher: Sendable {
    public struct Outcome: Sendable, Hashable {
        public var relay: String
        public var accepted: Bool
        public var message: String
    }

    public var timeout: Duration
    public var logger: Logger
    /// The connections kept open between publishes; nil connects for every publish.
    public var links: RelayLinks?

    public init(timeout: Duration = .seconds(10), logger: Logger = Logger(label: "crow-calls.nostr"), links: RelayLinks? = nil) {
        self.timeout = timeout
        self.logger = logger
        self.links = links
    }

    /// Relay URLs this gateway will talk to: `ws://` or `wss://` with a host, no user info, at most 512
    /// bytes.
    public static func isRelayURL(_ text: String) -> Bool {
        guard text.utf8.count <= 512, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "ws" || scheme == "wss", let host = url.host, !host.isEmpty, url.user == nil, url.password == nil
        else { return false }
        return true
    }

    public func publish(_ event: NostrEvent, to relay: String) async -> Outcome {
        guard Self.isRelayURL(relay) else { return Outcome(relay: relay, accepted: false, message: "not a ws:// or wss:// URL") }
        if let link = links?.link(to: relay), let outcome = await link.publish(event, timeout: timeout) { return outcome }
        return await publishOnce(event, to: relay)
    }

    /// Connect, send, wait for the answer, close: one connection for one event.
    func publishOnce(_ event: NostrEvent, to relay: String) async -> Outcome {
        let answer = AnswerBox()
        let logger = self.logger
        let timeout = self.timeout
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var configuration = WebSocketClientConfiguration()
                    configuration.maxFrameSize = RelayMessage.maxBytes
                    configuration.closeTimeout = .seconds(2)
                    _ = try await WebSocketClient.connect(url: relay, configuration: configuration, logger: logger) { inbound, outbound, _ in
                        try await outbound.write(.text(RelayMessage.publish(event).json()))
                        for try await message in inbound.messages(maxSize: RelayMessage.maxBytes) {
                            guard case .text(let text) = message, case .ok(let id, let accepted, let note)? = RelayMessage.parse(text, fromRelay: true)
                            else { continue }
                            // Some relays (nostr-relay 1.14) answer a refusal with an empty id.
                            guard id == event.id || id.isEmpty else { continue }
                            // "duplicate:" means the relay has the event already (a publish repeated
                            // after a crash); some relays say so with `false`. It is delivered.
                            let delivered = id == event.id && (accepted || note.hasPrefix("duplicate:"))
                            answer.set(Outcome(relay: relay, accepted: delivered, message: String(note.prefix(200))))
                            break
                        }
                        try? await outbound.close(.normalClosure, reason: nil)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw CancellationError()
                }
                // Whichever ends first ends both: the answer, the connection dropping, or the timeout.
                _ = try await group.next()
                group.cancelAll()
            }
        } catch {
            if let outcome = answer.get() { return outcome }
            return Outcome(relay: relay, accepted: false, message: error is CancellationError ? "no answer within \(timeout)" : "unreachable")
        }
        return answer.get() ?? Outcome(relay: relay, accepted: false, message: "closed without an answer")
    }

    /// Every event to every relay, concurrently; one outcome per relay (accepted when it took every event).
    public func publish(_ events: [NostrEvent], to targets: [String]) async -> [RelayOutcome] {
        await withTaskGroup(of: RelayOutcome.self) { group in
            for relay in targets {
                group.addTask {
                    var messages: [String] = []
                    var accepted = true
                    for event in events {
                        let outcome = await self.publish(event, to: relay)
                        accepted = accepted && outcome.accepted
                        if !outcome.message.isEmpty { messages.append(outcome.message) }
                    }
                    return RelayOutcome(url: relay, ok: accepted, message: messages.isEmpty ? nil : messages.joined(separator: "; "))
                }
            }
            var outcomes: [RelayOutcome] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.url < $1.url }
        }
    }

    /// The relay's answer, written by the connection's task and read once the group is done.
    private final class AnswerBox: Sendable {
        private let value = Mutex<Outcome?>(nil)
        func set(_ outcome: Outcome) { value.withLock { $0 = outcome } }
        func get() -> Outcome? { value.withLock { $0 } }
    }
}

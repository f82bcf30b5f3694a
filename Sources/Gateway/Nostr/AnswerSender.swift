import Foundation
import Logging
import Nostr
import OwnerStore
import ServiceLifecycle

/// Answers to incoming calls that go back to the caller's gateway: today `call_declined`, sent when the
/// owner declines. The caller's outgoing invite then shows the refusal.
///
/// An answer goes to the caller's relays (from the contact entry), the configured relays, and the inbox
/// of the gateway the call came from (`/nostr` on the host of its join URL), over the caller's
/// transport. It is best effort: a few tries over a few seconds, then a log line. The decline itself
/// is in the ledger either way, and the caller's call rings out on its own.
struct AnswerSender: Service {
    struct Answer: Sendable {
        var caller: NostrPublicKey
        var envelope: CrowEnvelope
        /// The join URL of the call being answered, to find the caller's own inbox.
        var joinURL: String
    }

    /// Handlers put answers here; the service sends them in order. Bounded: when more than 256 wait,
    /// the oldest are dropped (and logged by their absence of delivery), never the gateway's memory.
    final class Queue: Sendable {
        let stream: AsyncStream<Answer>
        private let continuation: AsyncStream<Answer>.Continuation

        init() {
            (stream, continuation) = AsyncStream.makeStream(of: Answer.self, bufferingPolicy: .bufferingNewest(256))
        }

        func enqueue(_ answer: Answer) { continuation.yield(answer) }
    }

    let queue: Queue
    let identity: NostrSecretKey
    let owners: OwnerStore
    let relays: [String]
    let publisher: RelayPublisher
    let logger: Logger

    func run() async throws {
        let queue = self.queue
        try? await cancelWhenGracefulShutdown {
            for await answer in queue.stream {
                await send(answer)
            }
        }
    }

    func send(_ answer: Answer) async {
        let contact = try? await owners.contact(pubkey: answer.caller.hex)
        let wire: InviteWire = contact?.transport == .crow ? .crow : .nip17
        var targets = Set(relays + (contact?.relays ?? []))
        if let inbox = Self.inbox(forJoinURL: answer.joinURL) { targets.insert(inbox) }
        guard !targets.isEmpty, let event = try? InviteWire.event(answer.envelope, wire: wire, from: identity, to: answer.caller) else {
            logger.notice("an answer to a call had nowhere to go", metadata: ["room": "\(answer.envelope.roomCode)"])
            return
        }
        for attempt in 1...3 {
            let delivered = await publisher.publish([event], to: targets.sorted()).filter(\.ok).count
            if delivered > 0 {
                logger.info("answer sent", metadata: ["room": "\(answer.envelope.roomCode)", "relays": "\(delivered)"])
                return
            }
            if attempt < 3 { try? await Task.sleep(for: .seconds(1 << attempt)) }
        }
        logger.notice("an answer to a call was not delivered", metadata: ["room": "\(answer.envelope.roomCode)"])
    }

    /// `ws(s)://<host>/nostr` of the gateway that made a join URL (https → wss, http → ws).
    static func inbox(forJoinURL text: String) -> String? {
        guard JoinURLRule.isAcceptable(text), var components = URLComponents(string: text) else { return nil }
        components.scheme = components.scheme?.lowercased() == "https" ? "wss" : "ws"
        components.path = "/nostr"
        components.query = nil
        components.fragment = nil
        return components.string
    }
}

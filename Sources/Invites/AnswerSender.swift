public import Ledger
import Foundation
public import Logging
public import Nostr
public import OwnerStore
public import ServiceLifecycle

/// Short Crow messages about a call that is already under way, sent to the other gateway:
/// `call_declined` to the caller when the owner declines an incoming call (the caller's outgoing invite
/// then shows the refusal), and `room_closed` to each invitee when one of the owner's rooms ends (their
/// ringing call turns into a missed one).
///
/// A message goes to the recipient's relays (from the contact entry), the gateway's own relays, and, for
/// an answer, the inbox of the gateway the call came from (`/nostr` on the host of its join URL), over
/// the recipient's transport. It is best effort: a few tries over a few seconds, then a log line. The
/// decline or the end of the room is in the ledger either way, and the other side's call rings out on
/// its own.
public struct AnswerSender: Service {
    struct Answer: Sendable {
        var recipient: NostrPublicKey
        var envelope: CrowEnvelope
        /// The join URL of the call being answered, to find the caller's own inbox.
        var joinURL: String? = nil
    }

    /// Handlers put answers here; the service sends them in order. Bounded: when more than 256 wait,
    /// the oldest are dropped (and logged by their absence of delivery), never the gateway's memory.
    public final class Queue: Sendable {
        let stream: AsyncStream<Answer>
        private let continuation: AsyncStream<Answer>.Continuation

        public init() {
            (stream, continuation) = AsyncStream.makeStream(of: Answer.self, bufferingPolicy: .bufferingNewest(256))
        }

        func enqueue(_ answer: Answer) { continuation.yield(answer) }

        /// Tells the caller of an incoming call that the owner declined it (`call_declined`), so the
        /// caller's outgoing invite shows the refusal. `joinURL` finds the caller's own inbox.
        public func declined(caller: NostrPublicKey, roomCode: String, joinURL: String?) {
            enqueue(Answer(recipient: caller, envelope: .callDeclined(roomCode: roomCode), joinURL: joinURL))
        }
    }

    let queue: Queue
    let identity: NostrSecretKey
    let owners: OwnerStore
    /// The gateway's own relays (configured and saved in the panel).
    let directory: RelayDirectory
    let publisher: any InvitePublishing
    let logger: Logger
    /// Whether the gateway is on a tailnet (its public address is), so a caller's inbox may be there
    /// too. Asked per answer: the owner may change the address while the gateway runs.
    var allowTailnet: @Sendable () -> Bool = { false }
    /// Three tries, 2 s and then 4 s apart.
    var retry = Backoff(base: .seconds(2), cap: .seconds(4))

    public init(
        queue: Queue,
        identity: NostrSecretKey,
        owners: OwnerStore,
        directory: RelayDirectory,
        publisher: any InvitePublishing,
        logger: Logger,
        allowTailnet: @escaping @Sendable () -> Bool = { false },
        retry: Backoff = Backoff(base: .seconds(2), cap: .seconds(4))
    ) {
        self.queue = queue
        self.identity = identity
        self.owners = owners
        self.directory = directory
        self.publisher = publisher
        self.logger = logger
        self.allowTailnet = allowTailnet
        self.retry = retry
    }

    public func run() async throws {
        let queue = self.queue
        await cancelWhenGracefulShutdown {
            for await answer in queue.stream {
                await send(answer)
            }
        }
    }

    func send(_ answer: Answer) async {
        let contact = try? await owners.contact(pubkey: answer.recipient.hex)
        let wire: InviteWire = contact?.transport == .crow ? .crow : .nip17
        var targets = Set(directory.current + (contact?.relays ?? []))
        if let inbox = answer.joinURL.flatMap(Self.inbox(forJoinURL:)) {
            if let host = URLComponents(string: inbox)?.host, await InboxAddressRule.permits(host: host, allowTailnet: allowTailnet()) {
                targets.insert(inbox)
            } else {
                logger.notice(
                    "not sending to the inbox of a join URL's host: it is not one other machines can use",
                    metadata: ["room": "\(answer.envelope.roomCode)"]
                )
            }
        }
        guard !targets.isEmpty, let event = try? InviteWire.event(answer.envelope, wire: wire, from: identity, to: answer.recipient) else {
            logger.notice("a message about a call had nowhere to go", metadata: ["room": "\(answer.envelope.roomCode)"])
            return
        }
        for attempt in 1...3 {
            let delivered = await publisher.publish([event], to: targets.sorted()).filter(\.ok).count
            if delivered > 0 {
                logger.info(
                    "call message sent",
                    metadata: ["room": "\(answer.envelope.roomCode)", "type": "\(answer.envelope.subtype)", "relays": "\(delivered)"]
                )
                return
            }
            if attempt < 3 { try? await retry.wait(afterFailures: attempt) }
        }
        logger.notice("a message about a call was not delivered", metadata: ["room": "\(answer.envelope.roomCode)"])
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

import Foundation
import Hummingbird
import HummingbirdWebSocket
import Invites
import Logging
import Nostr
import Signaling

/// `/nostr`: the gateway's own inbox, speaking the NIP-01 relay protocol for publishing. Another gateway
/// (or any Nostr client) can deliver an invite straight here, with no third-party relay: it connects,
/// sends `["EVENT", …]`, and gets `["OK", id, accepted, reason]`. Only events the receive rules accept
/// are kept, which means events addressed to this gateway's key from its contacts. The inbox stores and
/// serves nothing else: a `REQ` gets `EOSE` and `CLOSED` at once.
struct NostrInboxEndpoint: Sendable {
    let inbox: InviteInbox
    let abuse: AbuseGuard
    let maxMessageBytes: Int

    func shouldUpgrade(_ request: Request, context: GatewayContext) -> RouterShouldUpgrade {
        let ip = context.clientIP
        guard abuse.openConnection(ip: ip) else { return .dontUpgrade }
        let abuse = self.abuse
        context.channel.closeFuture.whenComplete { _ in abuse.closeConnection(ip: ip) }
        return .upgrade([:])
    }

    func handle(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, context: WebSocketRouterContext<GatewayContext>) async throws {
        var rate = MessageRateLimiter(limits: abuse.limits, now: Self.now())
        for try await message in inbound.messages(maxSize: maxMessageBytes) {
            switch rate.frame(now: Self.now()) {
            case .accept: break
            case .slowDown:
                try await outbound.write(.text(RelayMessage.notice("rate-limited: slow down").json()))
                continue
            case .close:
                try await outbound.close(.policyViolation, reason: "too many messages")
                return
            }
            guard case .text(let text) = message, let parsed = RelayMessage.parse(text, fromRelay: false) else {
                try await outbound.write(.text(RelayMessage.notice("invalid: not a NIP-01 client message").json()))
                continue
            }
            switch parsed {
            case .publish(let event):
                let (accepted, note) = await inbox.receive(event).okMessage
                try await outbound.write(.text(RelayMessage.ok(eventId: event.id, accepted: accepted, message: note).json()))
            case .request(let subscription, _):
                try await outbound.write(.text(RelayMessage.endOfStoredEvents(subscription: subscription).json()))
                try await outbound.write(
                    .text(RelayMessage.closed(subscription: subscription, message: "unsupported: this inbox only accepts invites").json())
                )
            case .close:
                continue
            default:
                continue
            }
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

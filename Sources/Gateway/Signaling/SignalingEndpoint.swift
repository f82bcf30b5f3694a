import CallStore
import CrowSecurity
import Decisions
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Ledger
import Logging
import NIOCore
import NIOWebSocket
import Signaling

/// `/calls/ws` (docs/SIGNALING.md): the upgrade check that admits a participant before the socket exists, and the
/// handler that runs one socket. The handler reads in its own task and is the socket's only task: the
/// hub writes each message straight onto the connection (`ChannelSocket`). When reading ends the hub is
/// told the socket is gone.
struct SignalingEndpoint: Sendable {
    let store: CallStore
    let hub: SignalingHub
    let abuse: AbuseGuard
    let metrics: GatewayMetrics
    let refusals: UpgradeRefusals
    let maxMessageBytes: Int

    // MARK: - Before the upgrade

    func shouldUpgrade(_ request: Request, context: GatewayContext) async -> RouterShouldUpgrade {
        switch SignalingCheck.request(request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }) {
        case .join:
            break
        case .check:
            do {
                try admitCheck(context: context)
                context.handoff.putCheck()
                return .upgrade([:])
            } catch {
                refusals.put(error, for: context.channel)
                return .dontUpgrade
            }
        case .malformed(let reason):
            refusals.put(.invalidRequest(reason), for: context.channel)
            return .dontUpgrade
        }
        do {
            let admission = try await admit(request, context: context)
            context.handoff.put(admission)
            return .upgrade([:])
        } catch {
            metrics.refusedJoin(error.code)
            refusals.put(error, for: context.channel)
            return .dontUpgrade
        }
    }

    /// Validates the join and, for a token, appends `token.used` + `peer.joined`. Throws the refusal.
    func admit(_ request: Request, context: GatewayContext) async throws(GatewayError) -> SignalingAdmission {
        let ip = context.clientIP
        let now = store.settings.clock()
        if let wait = abuse.blockedFor(ip: ip, now: now) { throw .rateLimited(retryAfter: wait) }
        let query = request.uri.queryParameters
        guard let room = query["room"].map(String.init), TextRules.isRoomCode(room) else {
            throw .invalidRequest("room is missing or malformed")
        }
        let token = query["token"].map(String.init)
        let resume = query["resume"].map(String.init)
        guard (token == nil) != (resume == nil) else {
            throw .invalidRequest("give either token or resume")
        }
        guard abuse.openConnection(ip: ip) else {
            throw GatewayError(.tooManyRequests, code: "rate_limited", message: "too many open connections from this address")
        }
        // Counted until the connection closes, however it ends: refused, upgraded, or lost mid-upgrade.
        let abuse = self.abuse
        context.channel.closeFuture.whenComplete { _ in abuse.closeConnection(ip: ip) }
        do {
            if let token {
                guard (1...256).contains(token.utf8.count) else { throw CallError.rejected(.tokenInvalid) }
                let name = query["name"].map(String.init) ?? ""
                let admission = try await metrics.timeAppend {
                    try await store.admit(room: room, token: token, displayName: String(name.prefix(512)))
                }
                // The ledger admitted the join; the hub seats it when it reaches that position. A room
                // that ended right after the join was committed has no seat to go to.
                guard await hub.isSeated(room: room, peerId: admission.peerId, after: admission.position) else {
                    throw CallError.rejected(.roomEnded)
                }
                return SignalingAdmission(room: room, peerId: admission.peerId, ip: ip)
            }
            guard let resume, (1...256).contains(resume.utf8.count),
                let peerId = await hub.resumableSeat(room: room, secretHash: Secrets.hash(resume))
            else { throw CallError.rejected(.tokenInvalid) }
            return SignalingAdmission(room: room, peerId: peerId, ip: ip)
        } catch {
            let refusal = ErrorStatus.gatewayError(error)
            if AbuseGuard.isFailedJoin(refusal.code) {
                abuse.recordFailure(ip: ip, now: now)
            }
            throw refusal
        }
    }

    /// The self-test socket (`SignalingCheck`): throttled per client, counted as an open connection
    /// until it closes; no ledger, no hub.
    func admitCheck(context: GatewayContext) throws(GatewayError) {
        let ip = context.clientIP
        if let wait = abuse.beginCheck(ip: ip, now: store.settings.clock()) { throw .rateLimited(retryAfter: wait) }
        guard abuse.openConnection(ip: ip) else {
            throw GatewayError(.tooManyRequests, code: "rate_limited", message: "too many open connections from this address")
        }
        let abuse = self.abuse
        context.channel.closeFuture.whenComplete { _ in abuse.closeConnection(ip: ip) }
    }

    // MARK: - The socket

    func handle(
        inbound: WebSocketInboundStream,
        outbound: WebSocketOutboundWriter,
        context: WebSocketRouterContext<GatewayContext>
    ) async throws {
        if context.requestContext.handoff.takeCheck() {
            try await outbound.write(.text(SignalingCheck.answer))
            try await outbound.close(.normalClosure, reason: "check done")
            return
        }
        guard let admission = context.requestContext.handoff.take() else {
            try await outbound.close(.policyViolation, reason: "not admitted")
            return
        }
        let socket = ChannelSocket(channel: context.requestContext.channel, limit: hub.settings.outgoingQueue)
        await socket.watchInbound()
        let id = await hub.connect(admission, socket: socket)
        var failure: (any Error)?
        // The reader runs in the handler's own task; messages to this socket are written by the hub as
        // it routes them (`ChannelSocket`). Reading ends when the peer closes, when the connection drops,
        // or when the hub orders a close (the socket's close signal arrives among the frames read).
        do {
            var rate = MessageRateLimiter(limits: abuse.limits, now: store.settings.clock())
            reading: for try await message in inbound.messages(maxSize: maxMessageBytes) {
                if case .text(let text) = message, socket.isCloseSignal(text) { break reading }
                // Every frame counts, text or binary: a binary flood is a flood.
                switch rate.frame(now: store.settings.clock()) {
                case .accept:
                    break
                case .slowDown:
                    await hub.notify(id, .error(code: "rate_limited", message: "too many messages; slow down"))
                    continue
                case .close:
                    metrics.socketClosedByServer("flood")
                    await hub.close(id, code: 1008, reason: "too many messages")
                    break reading
                }
                guard case .text(let text) = message else {
                    await hub.notify(id, .error(code: "invalid_message", message: "messages are JSON text"))
                    continue
                }
                switch Result(catching: { () throws(ClientMessage.Invalid) in try ClientMessage.parse(text) }) {
                case .success(let parsed): await hub.receive(parsed, on: id)
                case .failure(let invalid): await hub.notify(id, .error(code: invalid.code, message: invalid.message))
                }
            }
        } catch {
            failure = error
        }
        socket.finish()
        if let order = socket.closeOrder {
            // The close frame the hub ordered goes out now, after every message written before it.
            failure = nil
            try? await outbound.close(WebSocketErrorCode(codeNumber: Int(order.code)), reason: order.reason)
        }
        // The seat's grace starts (unless the peer left).
        await hub.disconnected(id)
        // Rethrown so the WebSocket layer closes with the matching code (1009 for an oversized message).
        if let failure { throw failure }
    }
}

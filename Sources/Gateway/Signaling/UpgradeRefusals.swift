import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// Refusals decided by the WebSocket upgrade check, waiting to be written as the HTTP answer.
///
/// Hummingbird answers a declined upgrade with an empty 400. The protocol (docs/SIGNALING.md) wants the refusal's own status and
/// JSON error body (401 `token_invalid`, 409 `room_full`, 429 `rate_limited`...). The check records
/// its refusal here, keyed by the connection's channel, and `UpgradeRefusalWriter`, which sits in the
/// HTTP pipeline, swaps the empty 400 for it.
final class UpgradeRefusals: Sendable {
    private let pending = Mutex<[ObjectIdentifier: GatewayError]>([:])

    func put(_ error: GatewayError, for channel: any Channel) {
        let key = ObjectIdentifier(channel)
        pending.withLock { $0[key] = error }
        // Forget it if the connection goes away before the answer is written.
        channel.closeFuture.whenComplete { [weak self] _ in self?.pending.withLock { _ = $0.removeValue(forKey: key) } }
    }

    func take(for channel: any Channel) -> GatewayError? {
        pending.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { pending.withLock { $0.count } }
}

/// Rewrites the empty 400 of a declined upgrade into the recorded refusal. Every other response
/// passes through untouched.
final class UpgradeRefusalWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let refusals: UpgradeRefusals
    private var body: ByteBuffer?

    init(refusals: UpgradeRefusals) {
        self.refusals = refusals
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status == .badRequest:
            guard let refusal = refusals.take(for: context.channel) else { break }
            let bytes = refusal.body
            head.status = refusal.status
            head.headerFields[.contentType] = "application/json; charset=utf-8"
            head.headerFields[.contentLength] = "\(bytes.count)"
            head.headerFields[.cacheControl] = "no-store"
            for field in refusal.headers { head.headerFields.append(field) }
            body = context.channel.allocator.buffer(bytes: bytes)
            context.write(wrapOutboundOut(.head(head)), promise: promise)
            return
        case .end(let trailers):
            if let body {
                self.body = nil
                context.write(wrapOutboundOut(.body(body)), promise: nil)
                context.write(wrapOutboundOut(.end(trailers)), promise: promise)
                return
            }
        default:
            break
        }
        context.write(data, promise: promise)
    }
}

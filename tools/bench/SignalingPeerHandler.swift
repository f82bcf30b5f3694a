import Foundation
import NIOCore
import NIOWebSocket

/// One benchmark client socket, after the WebSocket upgrade. Lives on its channel's event loop, which
/// is also the loop of its room and of its `SignalingLoopDriver`, so nothing here needs a lock.
///
/// Timestamped messages go to the driver; the first `welcome` gives the peer id; pings are answered
/// (both servers ping idle sockets); everything else (peer-joined, state, ...) is ignored.
final class SignalingPeerHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let driver: SignalingLoopDriver
    let room: SignalingClientRoom
    let slot: Int
    /// Completed once the socket is usable: on the welcome, or at once when the server sends none (echo).
    private var ready: EventLoopPromise<Void>?
    private let expectsWelcome: Bool
    private(set) var peerId: String?
    /// The message text up to the timestamp, addressed to this peer's target (set by `SignalingClientRoom.wire`).
    var prefix: [UInt8] = []
    private var context: ChannelHandlerContext?
    private var flushPending = false

    init(driver: SignalingLoopDriver, room: SignalingClientRoom, slot: Int, expectsWelcome: Bool, ready: EventLoopPromise<Void>) {
        self.driver = driver
        self.room = room
        self.slot = slot
        self.expectsWelcome = expectsWelcome
        self.ready = ready
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        room.attach(self)
        if !expectsWelcome { markReady() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            let payload = frame.unmaskedData
            if let stamp = SignalingWire.stamp(in: payload) {
                driver.received(stamp: stamp, by: self)
            } else if ready != nil, expectsWelcome {
                readWelcome(payload)
            } else if SignalingWire.isError(payload) {
                driver.serverErrors += 1
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.write(wrapOutboundOut(pong), promise: nil)
            flushPending = true
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfPending()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.socketClosed()
        if let ready {
            self.ready = nil
            ready.fail(BenchError("socket closed before it was ready (room \(room.index), peer \(slot))"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Sends one timestamped message to this peer's target. Without `flush` the write waits for
    /// `flushIfPending` (the end of the current read batch, or the driver's call), so replies sent
    /// while reading go out in one syscall. False when the socket is gone.
    @discardableResult
    func send(stamp: UInt64, flush: Bool) -> Bool {
        guard let context, !prefix.isEmpty else { return false }
        var buffer = context.channel.allocator.buffer(capacity: prefix.count + SignalingWire.suffix.count + 20)
        SignalingWire.write(prefix: prefix, stamp: stamp, into: &buffer)
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer)
        if flush {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        } else {
            context.write(wrapOutboundOut(frame), promise: nil)
            flushPending = true
        }
        return true
    }

    func flushIfPending() {
        guard flushPending, let context else { return }
        flushPending = false
        context.flush()
    }

    func close() {
        context?.close(promise: nil)
    }

    private func readWelcome(_ payload: ByteBuffer) {
        let object = (try? JSONSerialization.jsonObject(with: Data(payload.readableBytesView))) as? [String: Any]
        guard object?["type"] as? String == "welcome" else { return }
        guard let id = object?["peerId"] as? String, SignalingWire.isPlainIdentifier(id) else {
            ready?.fail(BenchError("welcome without a usable peerId"))
            ready = nil
            return
        }
        peerId = id
        markReady()
    }

    private func markReady() {
        ready?.succeed(())
        ready = nil
    }
}

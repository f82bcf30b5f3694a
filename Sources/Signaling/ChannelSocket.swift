import CrowSecurity
import Decisions
public import NIOCore
import NIOWebSocket
import Synchronization

/// A signaling socket's way out, with no task and no queue of its own: the hub's messages are written
/// straight onto the connection's channel as WebSocket text frames, in the order the hub sends them.
/// (A writer task and its queue per socket cost about 4 KiB per idle socket; `crow-bench` measures it.)
/// Pings come from the hub's tick too (`keepAlive`), rather than from a ping task per socket.
///
/// Messages written but not yet taken by the peer are counted until their write completes; at `limit`
/// the socket is too slow, and the hub aborts it rather than buffer without bound.
///
/// A close the hub orders is not written here. The close handshake belongs to HummingbirdWebSocket,
/// driven from the socket's handler, which sits waiting for the peer's next frame. So the order is kept,
/// and a text frame holding this socket's own random close signal is handed to the handler's inbound
/// stream, as if it had just been read, right after the WebSocket decoder. The handler recognises it,
/// stops reading and sends the close frame with the ordered code (after every message written before
/// it); HummingbirdWebSocket then waits for the peer's answering close frame as usual. (Closing the
/// channel's input instead would end the wait too, but then nobody reads the peer's next bytes, say a
/// trickled ICE candidate, and a connection closed with unread bytes ends in a TCP reset, which can
/// destroy the close frame and the last messages before the browser has read them.)
public final class ChannelSocket: SignalingSocket {
    public struct CloseOrder: Sendable, Equatable {
        public let code: UInt16
        public let reason: String
    }

    private struct State {
        var pending = 0
        var order: CloseOrder?
        var finished = false
        /// Keep-alive: since when nothing was heard, and when the ping went out (hub clock, ms).
        var quietSince: Int64?
        var pingedAt: Int64?
        /// The frame watcher could not be installed: pongs would go unseen, so never time out.
        var unwatched = false
    }

    private let channel: any Channel
    private let limit: Int
    private let state = Mutex(State())
    /// Set by `InboundFrameWatcher` whenever a frame arrives; taken by `keepAlive`.
    private let heardFlag = Atomic<Bool>(false)
    /// Random per socket, so no peer can send it.
    private let closeSignal = "\u{0}close " + Secrets.token()

    public init(channel: any Channel, limit: Int) {
        self.channel = channel
        self.limit = max(1, limit)
    }

    /// The close the hub ordered, if any: the handler sends it once its reading has ended.
    public var closeOrder: CloseOrder? { state.withLock { $0.order } }

    /// Whether a message the handler read is this socket's close signal (the hub ordered a close).
    public func isCloseSignal(_ text: String) -> Bool {
        text.utf8.count == closeSignal.utf8.count && text == closeSignal && closeOrder != nil
    }

    public func send(_ text: String) -> SocketSendOutcome {
        let outcome = state.withLock { state -> SocketSendOutcome in
            guard !state.finished, state.order == nil else { return .closed }
            guard state.pending < limit else { return .tooSlow }
            state.pending += 1
            return .sent
        }
        guard outcome == .sent else { return outcome }
        let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: text))
        // One task on the channel's event loop, which then registers the completion and writes in
        // place. (Done from the hub's thread, each of the two would be a task of its own.)
        let channel = self.channel
        channel.eventLoop.execute {
            channel.writeAndFlush(frame).whenComplete { _ in self.state.withLock { $0.pending -= 1 } }
        }
        return .sent
    }

    public func close(code: UInt16, reason: String) {
        let first = state.withLock { state -> Bool in
            guard !state.finished, state.order == nil else { return false }
            state.order = CloseOrder(code: code, reason: reason)
            return true
        }
        if first { wakeReader() }
    }

    /// Hands the close signal to the handler's inbound stream, after the decoder, on the event loop.
    private func wakeReader() {
        let (channel, signal) = (self.channel, closeSignal)
        channel.eventLoop.execute {
            guard
                let decoder = try? channel.pipeline.syncOperations.context(
                    handlerType: ByteToMessageHandler<WebSocketFrameDecoder>.self)
            else {
                // No decoder: the connection is going away, and the reader with it.
                channel.close(mode: .all, promise: nil)
                return
            }
            let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(string: signal))
            decoder.fireChannelRead(NIOAny(frame))
            decoder.fireChannelReadComplete()
        }
    }

    public func finish() {
        state.withLock { $0.finished = true }
    }

    public func abort() {
        finish()
        channel.close(mode: .all, promise: nil)
    }

    // MARK: - Keep-alive

    /// Puts an `InboundFrameWatcher` right after the WebSocket decoder, so every frame from the peer
    /// (pongs included, which the WebSocket layer answers and consumes itself) counts as a sign of life.
    public func watchInbound() async {
        let channel = self.channel
        let installed: Void? = try? await channel.eventLoop.submit {
            let decoder = try channel.pipeline.syncOperations.handler(type: ByteToMessageHandler<WebSocketFrameDecoder>.self)
            try channel.pipeline.syncOperations.addHandler(InboundFrameWatcher(socket: self), position: .after(decoder))
        }.get()
        if installed == nil { state.withLock { $0.unwatched = true } }
    }

    /// A frame arrived from the peer (on the event loop).
    public func heard() {
        heardFlag.store(true, ordering: .relaxed)
    }

    public func keepAlive(now: Int64, interval: Int64) -> KeepAlive {
        let heard = heardFlag.exchange(false, ordering: .relaxed)
        let (ping, silent) = state.withLock { state -> (Bool, Bool) in
            guard !state.finished, state.order == nil, !state.unwatched else { return (false, false) }
            guard !heard, let since = state.quietSince else {
                state.quietSince = now
                state.pingedAt = nil
                return (false, false)
            }
            if let pinged = state.pingedAt { return (false, now - pinged >= interval) }
            guard now - since >= interval else { return (false, false) }
            state.pingedAt = now
            return (true, false)
        }
        if ping {
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .ping, data: channel.allocator.buffer(capacity: 0)), promise: nil)
        }
        return silent ? .silent : .alive
    }
}

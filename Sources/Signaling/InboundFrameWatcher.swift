import NIOCore
import NIOWebSocket

/// Tells a signaling socket that its peer sent something (any frame: a message, a ping, a pong), for
/// the hub's keep-alive. It sits right after the WebSocket decoder and passes every frame on unchanged.
final class InboundFrameWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame

    private let socket: ChannelSocket

    init(socket: ChannelSocket) {
        self.socket = socket
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        socket.heard()
        context.fireChannelRead(data)
    }
}

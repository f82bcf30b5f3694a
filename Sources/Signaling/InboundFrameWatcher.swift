public import NIOCore
public import NIOWebSocket

/// Tells a signaling socket that its peer sent something (any frame: a message, a ping, a pong), for
/// the hub's keep-alive. It sits right after the WebSocket decoder and passes every frame on unchanged.
public final class InboundFrameWatcher: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias InboundOut = WebSocketFrame

    private let socket: ChannelSocket

    public init(socket: ChannelSocket) {
        self.socket = socket
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        socket.heard()
        context.fireChannelRead(data)
    }
}

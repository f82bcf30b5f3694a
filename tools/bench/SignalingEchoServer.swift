import Hummingbird
import HummingbirdWebSocket
import Logging

/// The ceiling: a WebSocket echo on the gateway's own stack (Hummingbird 2, HummingbirdWebSocket, the
/// same upgrade path, frame limit, auto-ping and close timeout as `buildApplication`), doing nothing
/// but sending every text message back on its socket. What the gateway spends beyond this is its
/// own work: parsing, routing in the hub, re-encoding, and the second socket.
enum SignalingEchoServer {
    static func build(
        host: String, port: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        webSocketRouter.ws("calls/ws") { inbound, outbound, _ in
            for try await message in inbound.messages(maxSize: 65_536) {
                if case .text(let text) = message {
                    try await outbound.write(.text(text))
                }
            }
        }
        return Application(
            router: Router(),
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSocketRouter,
                configuration: .init(
                    ws: .init(maxFrameSize: 65_536, autoPing: .enabled(timePeriod: .seconds(30)), closeTimeout: .seconds(5))
                )
            ),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "signaling-echo"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}

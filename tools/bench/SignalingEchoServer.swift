import Hummingbird
import HummingbirdWebSocket
import Logging

/// The ceiling: a WebSocket echo on the gateway's own stack (Hummingbird 2, HummingbirdWebSocket, the
/// same upgrade path, frame limit and close timeout as `buildApplication`), doing nothing but sending
/// every text message back on its socket. What the gateway spends beyond this is its own work: parsing,
/// routing in the hub, re-encoding, the second socket, its keep-alive and its state per socket. It
/// sends no pings (the gateway pings idle sockets from its hub; HummingbirdWebSocket's own auto-ping
/// would add a task per socket here), so it is the stack's floor. With `queued`, each socket's writes go
/// through a queue and a writer task, as the gateway's did before `ChannelSocket`, so the difference to
/// the plain echo is what that structure costs.
enum SignalingEchoServer {
    static func build(
        host: String, port: Int, queued: Bool = false, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let webSocketRouter = Router(context: BasicWebSocketRequestContext.self)
        webSocketRouter.ws("calls/ws") { inbound, outbound, _ in
            guard queued else {
                for try await message in inbound.messages(maxSize: 65_536) {
                    if case .text(let text) = message {
                        try await outbound.write(.text(text))
                    }
                }
                return
            }
            // The gateway's former socket structure: the reader yields into a bounded queue, and one child
            // task per socket drains it onto the socket until the queue is finished.
            let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingOldest(256))
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in stream {
                        do { try await outbound.write(.text(text)) } catch { return }
                    }
                }
                do {
                    for try await message in inbound.messages(maxSize: 65_536) {
                        if case .text(let text) = message { continuation.yield(text) }
                    }
                } catch {}
                continuation.finish()
            }
        }
        return Application(
            router: Router(),
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSocketRouter,
                configuration: .init(
                    ws: .init(maxFrameSize: 65_536, autoPing: .disabled, closeTimeout: .seconds(5))
                )
            ),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "signaling-echo"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }
}

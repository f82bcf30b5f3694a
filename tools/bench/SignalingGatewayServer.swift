import Gateway
import Hummingbird
import Logging

/// The gateway as `crow-calls serve` builds it (`buildApplication`), with the per-IP and per-socket
/// limits lifted: every benchmark socket comes from 127.0.0.1, and the closed-loop phase sends far
/// more than the 50 messages/s a real participant may. Everything else keeps its default.
enum SignalingGatewayServer {
    static func configuration(dataDirectory: String, peersPerRoom: Int) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.dataDirectory = dataDirectory
        configuration.maxPeers = peersPerRoom
        configuration.connectionsPerIP = 1_000_000
        configuration.failedJoinsPerIP = 1_000_000
        configuration.messagesPerSecond = 1_000_000_000
        return configuration
    }

    static func build(
        dataDirectory: String, peersPerRoom: Int, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void
    ) async throws -> some ApplicationProtocol {
        try await buildApplication(
            configuration(dataDirectory: dataDirectory, peersPerRoom: peersPerRoom),
            logger: logger,
            onServerRunning: onServerRunning
        )
    }
}

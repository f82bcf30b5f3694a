import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import NIOSSL

/// HTTP/1 with the two WebSocket upgrades, over TLS when a certificate is configured. Switched off,
/// the server does not speak WebSocket at all: an upgrade request is an ordinary request for a route
/// that does not exist (404).
func buildServer(_ parts: GatewayComponents) throws -> HTTPServerBuilder {
    let configuration = parts.configuration
    var server: HTTPServerBuilder =
        configuration.enabled
        ? .http1WebSocketUpgrade(
            webSocketRouter: buildWebSocketRouter(parts),
            configuration: .init(
                http1: .init(additionalChannelHandlers: [UpgradeRefusalWriter(refusals: parts.refusals)]),
                ws: .init(
                    maxFrameSize: configuration.maxMessageBytes,
                    // The hub pings idle sockets itself, from one loop (`ChannelSocket.keepAlive`), instead
                    // of a ping task per socket.
                    autoPing: .disabled,
                    closeTimeout: .seconds(5)
                )
            )
        )
        : .http1()
    if let certificate = configuration.tlsCertificate, let key = configuration.tlsKey {
        server = try .tls(server, tlsConfiguration: try tlsConfiguration(certificate: certificate, key: key))
    }
    return server
}

/// TLS from PEM files; a file that does not parse stops the start with a message naming it.
func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
    let chain: [NIOSSLCertificate]
    let privateKey: NIOSSLPrivateKey
    do {
        chain = try NIOSSLCertificate.fromPEMFile(certificate)
    } catch {
        throw ConfigurationError(setting: "tls-cert", value: certificate, reason: "is not a PEM certificate")
    }
    do {
        privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
    } catch {
        throw ConfigurationError(setting: "tls-key", value: key, reason: "is not a PEM private key")
    }
    return TLSConfiguration.makeServerConfiguration(
        certificateChain: chain.map { .certificate($0) },
        privateKey: .privateKey(privateKey)
    )
}

import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOSSL
import Testing
import TestSupport

/// With a certificate and key, the gateway serves HTTPS (and so WSS) itself.
/// `.live`: TLS needs a real listening socket.
@Suite struct TLSTests {
    /// A throwaway self-signed certificate for localhost, made with the openssl command.
    static func selfSigned(in dir: TemporaryDirectory) throws -> (certificate: String, key: String) {
        let certificate = dir.file("cert.pem")
        let key = dir.file("key.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestPeerError.timeout("openssl failed") }
        return (certificate, key)
    }

    @Test func healthAnswersOverTLSAndPlainHTTPIsRefused() async throws {
        let dir = try TemporaryDirectory()
        let (certificate, key) = try await onOwnThread { try Self.selfSigned(in: dir) }
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.dataDirectory = dir.path
        configuration.tlsCertificate = certificate
        configuration.tlsKey = key
        let app = try await buildApplication(configuration)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // The framework's own client speaks plain HTTP, which this server refuses at once; the try still
            // settles its connection, so the test's shutdown closes it (see `liveTest`).
            _ = try? await client.execute(uri: "/healthz", method: .get) { _ in }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate))
            // Verified in full: the chain against our certificate, and the name (SNI cannot carry an IP).
            let secure = TestClient(host: "localhost", port: port, configuration: .init(tlsConfiguration: tls, serverName: "localhost"))
            secure.connect()
            let response = try await secure.execute(.init("/healthz", method: .get))
            try await secure.shutdown()
            #expect(response.status == .ok)
            #expect(response.body.map { String(buffer: $0) } == "ok\n")
            // Plain HTTP on the TLS port gets no HTTP answer: the server speaks only TLS (an alert, or
            // nothing but the end of the connection).
            let plain = try RawSocket(port: port)
            defer { plain.close() }
            let reply = try plain.exchange("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            #expect(!reply.starts(with: Array("HTTP/".utf8)), "\(reply.prefix(16))")
            #expect(reply.isEmpty || reply.first == 0x15, "\(reply.prefix(16))")
        }
    }

    @Test func unreadableOrInvalidTLSFilesStopTheStartNamingTheSetting() async throws {
        let dir = try TemporaryDirectory()
        try Data("not a certificate".utf8).write(to: URL(fileURLWithPath: dir.file("bad.pem")))
        let (_, key) = try await onOwnThread { try Self.selfSigned(in: dir) }
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.dataDirectory = dir.path
        configuration.tlsCertificate = dir.file("bad.pem")
        configuration.tlsKey = key
        let error = await #expect(throws: ConfigurationError.self) { _ = try await buildApplication(configuration) }
        #expect(error?.setting == "tls-cert")
    }
}

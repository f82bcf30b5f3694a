import ArgumentParser
import Foundation
import Gateway
import Hummingbird
import Logging

@main
struct CrowCalls: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crow-calls",
        abstract: "Self-hosted gateway for peer-to-peer WebRTC calls between self-hosted instances.",
        subcommands: [Serve.self, ApiTokenCommand.self, ContactsCommand.self, IdentityCommand.self, MCPCommand.self],
        defaultSubcommand: Serve.self
    )
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @Option(help: "Address to listen on (CROW_CALLS_HOST, default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (CROW_CALLS_PORT, default 8444; 0 picks a free one).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Data directory (CROW_CALLS_DATA, default ./data).") var dataDirectory: String?
    @Option(name: .customLong("gateway-url"), help: "Public base URL used in invite links (CROW_GATEWAY_URL).") var gatewayURL: String?
    @Option(name: .customLong("tls-cert"), help: "TLS certificate (PEM).") var tlsCertificate: String?
    @Option(name: .customLong("tls-key"), help: "TLS private key (PEM).") var tlsKey: String?
    @Option(
        name: .customLong("nostr-relay"),
        help: "A Nostr relay (ws:// or wss://) of the gateway's own; repeat for more. Replaces CROW_NOSTR_RELAYS."
    ) var nostrRelays: [String] = []

    func run() async throws {
        var configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
            if let host { configuration.host = host }
            if let port { configuration.port = port }
            if let dataDirectory { configuration.dataDirectory = dataDirectory }
            if let gatewayURL { configuration.gatewayURL = gatewayURL }
            if let tlsCertificate { configuration.tlsCertificate = tlsCertificate }
            if let tlsKey { configuration.tlsKey = tlsKey }
            if !nostrRelays.isEmpty { configuration.nostrRelays = nostrRelays }
            try configuration.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        // Log lines carry the local time. With TZ unset, glibc looks at /etc/localtime again (a `stat`)
        // for every line; with the access log on that was 5% of the gateway's time under load. Naming
        // the same file in TZ makes glibc read it once: a new time zone applies after a restart.
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
        var logger = Logger(label: "crow-calls")
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let host = configuration.host
        let ledgerPath = configuration.ledgerPath
        let scheme = configuration.tlsCertificate == nil ? "http" : "https"
        let app = try await buildApplication(
            configuration,
            logger: logger,
            onServerRunning: { port in
                // Scripts and tests wait for this line; write it unbuffered.
                FileHandle.standardOutput.write(
                    Data("crow-calls listening on \(scheme)://\(host):\(port) (ledger: \(ledgerPath))\n".utf8)
                )
            },
            onSetupURL: { url in
                FileHandle.standardOutput.write(
                    Data("crow-calls has no owner yet. Set the owner password once at: \(url)\n".utf8)
                )
            },
            onOwnerReady: { loginURL in
                FileHandle.standardOutput.write(Data("crow-calls owner login: \(loginURL)\n".utf8))
            }
        )
        try await app.runService()
    }
}

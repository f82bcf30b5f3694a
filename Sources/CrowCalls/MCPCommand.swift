import ArgumentParser
import Foundation
import CallsMCP
import Gateway
import Logging

/// `crow-calls mcp`: the gateway's call tools for an AI assistant, over MCP on stdio.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the call tools (crow_room_invite and friends) to an AI assistant over MCP on stdio.",
        discussion: """
            Run it against the data directory of the running gateway: the rooms and invites it creates are in \
            the same ledger, and the gateway's outbox delivers the invites. Settings are read from the same \
            environment as `serve` (CROW_GATEWAY_URL sets the base of call links).
            """
    )

    @Option(name: .customLong("data-dir"), help: "Data directory (CROW_CALLS_DATA, default ./data).") var dataDirectory: String?

    func run() async throws {
        var configuration: GatewayConfiguration
        do {
            configuration = try GatewayConfiguration.fromEnvironment(ProcessInfo.processInfo.environment)
            if let dataDirectory { configuration.dataDirectory = dataDirectory }
            try configuration.validate()
        } catch {
            throw ValidationError("\(error)")
        }
        // stdout belongs to the protocol: logs go to stderr.
        var logger = Logger(label: "crow-calls.mcp") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .notice
        let storage = try GatewayStorage.open(configuration)
        defer { try? storage.store.close() }
        try await runMCPServer(
            store: storage.store,
            owners: storage.owners,
            identity: storage.identity,
            configuredAddress: configuration.gatewayURL,
            maxPeers: configuration.maxPeers,
            logger: logger
        )
    }
}

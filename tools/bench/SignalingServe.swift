import ArgumentParser
import Foundation
import Logging

/// `crow-bench signaling serve --stack gateway|echo|echo-queued`: one server under test, started by
/// `crow-bench signaling` as a child process so its memory and CPU are measured on their own.
/// Prints `... listening on port <n>` once it accepts connections; SIGTERM shuts it down gracefully.
/// It exits by itself if the benchmark that started it goes away.
struct SignalingServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run one signaling server under test (started by `crow-bench signaling`).",
        shouldDisplay: false
    )

    enum Stack: String, ExpressibleByArgument, Sendable {
        case gateway
        case echo
        case echoQueued = "echo-queued"
    }

    @Option(help: "gateway (buildApplication with lifted limits), echo (Hummingbird WebSocket echo) or echo-queued (the echo writing through a per-socket queue and writer task).")
    var stack: Stack

    @Option(name: .customLong("data-dir"), help: "The gateway's data directory (its ledger must already hold the rooms).")
    var dataDirectory: String?

    @Option(help: "Peers per room (the gateway's CROW_CALLS_MAX_PEERS).")
    var peers: Int = 4

    func validate() throws {
        guard (2...16).contains(peers) else { throw ValidationError("--peers must be 2...16") }
        if stack == .gateway, dataDirectory == nil { throw ValidationError("--data-dir is required for the gateway") }
    }

    func run() async throws {
        var logger = Logger(label: "signaling-bench-\(stack.rawValue)")
        logger.logLevel = .error
        let name = stack.rawValue
        let announce: @Sendable (Int) async -> Void = { port in
            FileHandle.standardOutput.write(Data("signaling-bench \(name) listening on port \(port)\n".utf8))
        }
        Self.exitWithParent()
        switch stack {
        case .gateway:
            let app = try await SignalingGatewayServer.build(
                dataDirectory: dataDirectory ?? ".", peersPerRoom: peers, logger: logger, onServerRunning: announce)
            try await app.runService()
        case .echo, .echoQueued:
            let app = SignalingEchoServer.build(
                host: "127.0.0.1", port: 0, queued: stack == .echoQueued, logger: logger, onServerRunning: announce)
            try await app.runService()
        }
    }

    /// A server orphaned by a crashed or killed benchmark would keep its port and memory; once the
    /// parent is gone (we get re-parented), exit.
    private static func exitWithParent() {
        let parent = getppid()
        Thread.detachNewThread {
            while getppid() == parent { Thread.sleep(forTimeInterval: 1) }
            Foundation.exit(3)
        }
    }
}

import CallStore
import Foundation
import GRDB
import Gateway
import Ledger
import NIOWebSocket
import Projections
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What happens to people in a call when the gateway stops, cleanly or not.
@Suite struct ShutdownTests {
    /// A room with a host and a guest link, made before the gateway starts.
    static func prepare(_ dir: TemporaryDirectory) async throws -> (GatewayConfiguration, CallStore.CreatedRoom) {
        var configuration = GatewayConfiguration()
        configuration.dataDirectory = dir.path
        let side = try sideStore(configuration)
        defer { try? side.close() }
        let room = try await side.createRoom(hostName: "Ada", createdBy: .api, guest: CallStore.GuestRequest(label: "Bob"))
        return (configuration, room)
    }

    /// Two peers connected to `server` and welcomed, for the duration of `body`.
    static func withTwoPeers(
        _ server: ServedGateway,
        _ room: CallStore.CreatedRoom,
        _ body: (TestPeer, TestPeer) async throws -> Void
    ) async throws {
        let ada = TestPeer(port: server.port, query: query(room.code, token: room.hostToken.secret))
        let bob = TestPeer(port: server.port, query: query(room.code, token: try #require(room.guest).token.secret))
        try await withPeers([ada, bob]) { _ in try await body(ada, bob) }
    }

    @Test func sigtermClosesSocketsWithACloseFrameAndRecordsShutdown() async throws {
        let dir = try TemporaryDirectory()
        let (configuration, room) = try await Self.prepare(dir)
        let server = try await ServedGateway(dataDirectory: dir.path)
        try await Self.withTwoPeers(server, room) { ada, bob in
            try await server.stop(SIGTERM)
            #expect(try await ada.closed() == .normalClosure)
            #expect(try await bob.closed() == .normalClosure)
        }
        #expect(server.process.terminationReason == .exit)
        #expect(server.process.terminationStatus == 0)
        let side = try sideStore(configuration)
        #expect(try await leaveReasons(side, room: room.code) == ["shutdown", "shutdown"])
        #expect(try await side.read { db in try Queries.allPresentPeers(in: db) }.isEmpty)
    }

    @Test func afterSIGKILLARestartShowsNobodyPresentAndTheLedgerVerifies() async throws {
        let dir = try TemporaryDirectory()
        let (configuration, room) = try await Self.prepare(dir)
        let first = try await ServedGateway(dataDirectory: dir.path)
        try await Self.withTwoPeers(first, room) { ada, bob in
            try await first.stop(SIGKILL)
            _ = try? await ada.closed()
            _ = try? await bob.closed()
        }
        #expect(first.process.terminationReason == .uncaughtSignal)
        // Both were seated when the process died.
        #expect(try await sideStore(configuration).read { db in try Queries.peers(in: room.code, db: db) }.count == 2)

        let second = try await ServedGateway(dataDirectory: dir.path)
        let side = try sideStore(configuration)
        #expect(try await side.read { db in try Queries.peers(in: room.code, db: db) }.isEmpty)
        #expect(try await leaveReasons(side, room: room.code) == ["restart", "restart"])
        try await second.stop(SIGTERM)
        try side.close()

        let verify = try await runTool(try productBinary("crow-ledger"), ["verify", "--data-dir", dir.path])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("OK: hash chain, projections and rules verified"))
    }
}

import CallStore
import Foundation
import Gateway
import HummingbirdTesting
import Ledger
import Projections
import Testing
import TestSupport

/// The real application through the one composition root (`buildApplication`), its router called
/// directly (`.router`): the services run, no port is opened.
@Suite struct HealthTests {
    static func configuration(_ dir: TemporaryDirectory) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.port = 0
        configuration.dataDirectory = dir.path
        return configuration
    }

    @Test func healthReadinessAndMetricsAnswer() async throws {
        let dir = try TemporaryDirectory()
        let app = try await buildApplication(Self.configuration(dir))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok\n")
            }
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(json?["status"] as? String == "ready")
                #expect(json?["ledgerPosition"] as? Int == 0)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("crow_ledger_head_position 0"))
                #expect(text.contains("crow_rooms_live 0"))
            }
            try await client.execute(uri: "/no-such-route", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        // The migrations ran on the file in the data directory.
        #expect(FileManager.default.fileExists(atPath: dir.file("ledger.sqlite")))
    }

    @Test func startingClosesSeatsLeftOpenByACrash() async throws {
        let dir = try TemporaryDirectory()
        let configuration = Self.configuration(dir)
        do {
            let store = try CallStore(
                ledger: LedgerConfiguration(path: configuration.ledgerPath),
                settings: CallSettings(clock: LedgerClock.systemMilliseconds)
            )
            let room = try await store.createRoom(hostName: "Ada", createdBy: .panel)
            _ = try await store.admit(room: room.code, token: room.hostToken.secret, displayName: "Ada")
            try store.close()
        }
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("crow_peers_present 0"))
                #expect(text.contains("crow_rooms_live 1"))
            }
        }
        let store = try EventStore(configuration: LedgerConfiguration(path: configuration.ledgerPath))
        defer { try? store.close() }
        let last = try store.readSync { db in try EventReader.events(in: db, positions: 1...Int64.max).last }
        guard case .peerLeft(let left) = last?.event else {
            Issue.record("the last event is \(String(describing: last?.type)), not peer.left")
            return
        }
        #expect(left.reason == .restart)
    }

    @Test func anInvalidConfigurationStopsBeforeAnythingStarts() async throws {
        let dir = try TemporaryDirectory()
        var configuration = Self.configuration(dir)
        configuration.maxPeers = 1
        await #expect(throws: ConfigurationError.self) { _ = try await buildApplication(configuration) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("ledger.sqlite")))
    }
}

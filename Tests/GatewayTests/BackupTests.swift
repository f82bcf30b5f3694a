import Foundation
import Gateway
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing
import TestSupport

/// `crow-ledger backup DEST` while the gateway runs and rooms keep being made: the copy verifies, and a
/// gateway started on it serves the same rooms, contacts and identity.
@Suite struct BackupTests {
    final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    static func auth(_ token: String) -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: "application/json"]
    }

    static func rooms(_ client: some TestClientProtocol, _ auth: HTTPFields) async throws -> Set<String> {
        let answer = OwnerHarness.object(try await client.execute(uri: "/api/rooms", method: .get, headers: auth))
        return Set((answer["rooms"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String })
    }

    @Test func aBackupTakenWhileCallsChurnServesTheSameGateway() async throws {
        let dir = try TemporaryDirectory()
        let backups = try TemporaryDirectory()
        let configuration = signalingConfiguration(dir)
        let token = try await ownerAPIToken(configuration)
        let auth = Self.auth(token)
        let destination = backups.file("copy")
        let ledgerTool = try productBinary("crow-ledger")

        let app = try await buildApplication(configuration)
        let (before, contacts, npub) = try await app.test(.router) { client in
            for name in ["Grace", "Linus"] {
                let key = String(repeating: name == "Grace" ? "1" : "2", count: 63) + "a"
                let added = try await client.execute(
                    uri: "/api/contacts", method: .post, headers: auth, body: try OwnerHarness.jsonBody(["name": name, "pubkey": key]))
                #expect(added.status == .created, "\(String(buffer: added.body))")
            }
            for _ in 0..<3 {
                _ = try await client.execute(uri: "/api/rooms", method: .post, headers: auth, body: try OwnerHarness.jsonBody(["hostName": "Ada"]))
            }
            let before = try await Self.rooms(client, auth)
            let contacts = String(buffer: try await client.execute(uri: "/api/contacts", method: .get, headers: auth).body)
            let npub = OwnerHarness.object(try await client.execute(uri: "/api/owner", method: .get, headers: auth))["npub"] as? String

            // Rooms are made and closed while the backup runs.
            let finished = Flag()
            var churned = 0
            let backup = try await withThrowingTaskGroup(of: ToolOutput.self) { group in
                group.addTask {
                    defer { finished.set() }
                    return try await runTool(ledgerTool, ["backup", "--data-dir", dir.path, destination])
                }
                while !finished.isSet || churned < 5 {
                    let room = OwnerHarness.object(
                        try await client.execute(uri: "/api/rooms", method: .post, headers: auth, body: try OwnerHarness.jsonBody([:])))
                    if let code = room["roomCode"] as? String, churned % 2 == 0 {
                        _ = try await client.execute(uri: "/api/rooms/\(code)/close", method: .post, headers: auth)
                    }
                    churned += 1
                }
                return try await group.next()!
            }
            #expect(backup.status == 0, "\(backup.stdout) \(backup.stderr)")
            #expect(backup.stdout.contains("files: ledger.sqlite, nostr.key, vapid.key"), "\(backup.stdout)")
            #expect(churned >= 5)
            return (before, contacts, npub)
        }

        // The copy is sound, its files private, and it is a gateway of its own.
        let verify = try await runTool(ledgerTool, ["verify", "--data-dir", destination])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        for name in ["ledger.sqlite", "nostr.key", "vapid.key"] {
            let mode = try FileManager.default.attributesOfItem(atPath: (destination as NSString).appendingPathComponent(name))[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name)")
        }
        var restored = signalingConfiguration(try TemporaryDirectory())
        restored.dataDirectory = destination
        let copy = try await buildApplication(restored)
        try await copy.test(.router) { client in
            // The API token lives in the copied file too.
            let rooms = try await Self.rooms(client, auth)
            #expect(rooms.isSuperset(of: before))
            let copiedContacts = String(buffer: try await client.execute(uri: "/api/contacts", method: .get, headers: auth).body)
            #expect(copiedContacts == contacts)
            let owner = OwnerHarness.object(try await client.execute(uri: "/api/owner", method: .get, headers: auth))
            #expect(owner["npub"] as? String == npub)
        }

        // A stopped gateway backs up the same way; a second backup into the same place is refused and
        // leaves the first one alone.
        let again = try await runTool(ledgerTool, ["backup", "--data-dir", dir.path, destination])
        #expect(again.status != 0)
        #expect(again.stderr.contains("exists: back up into a new or empty directory"), "\(again.stderr)")
        #expect(try await runTool(ledgerTool, ["verify", "--data-dir", destination]).status == 0)
        let stopped = try await runTool(ledgerTool, ["backup", "--data-dir", dir.path, backups.file("second")])
        #expect(stopped.status == 0, "\(stopped.stdout) \(stopped.stderr)")
    }
}

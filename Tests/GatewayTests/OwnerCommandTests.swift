import Foundation
import Gateway
import HummingbirdTesting
import TestSupport
import Testing

/// `crow-calls api-token` and `crow-calls contacts`, run as the built binary against a served data directory.
@Suite struct OwnerCommandTests {
    typealias H = OwnerHarness

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> ToolOutput {
        try await runTool(try productBinary("crow-calls"), arguments, environment: environment)
    }

    @Test func anAPITokenFromTheCommandLineWorksAsBearerWhileTheGatewayRuns() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let created = try await Self.run(["api-token", "create", "--label", "ci <script>", "--data-dir", harness.dir.path])
            #expect(created.status == 0, "\(created.stderr)")
            let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.count == 43)
            #expect(created.stderr.contains("only this once"))
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(bearer: token)) { response in
                #expect(response.status == .ok)
                #expect(H.object(response)["owner"] as? String == "api_token")
            }
            // Stored hashed; listed without the secret.
            #expect(!(try await harness.dump("owner_api_tokens")).contains(token))
            let listed = try await Self.run(["api-token", "list", "--data-dir", harness.dir.path])
            #expect(listed.status == 0)
            #expect(listed.stdout.contains("active"))
            #expect(listed.stdout.contains("ci <script>"))
            #expect(!listed.stdout.contains(token))
            let id = try #require(listed.stdout.split(separator: "\t").first.map(String.init))
            let revoked = try await Self.run(["api-token", "revoke", id, "--data-dir", harness.dir.path])
            #expect(revoked.status == 0)
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(bearer: token)) { #expect($0.status == .unauthorized) }
            let again = try await Self.run(["api-token", "revoke", id, "--data-dir", harness.dir.path])
            #expect(again.status != 0)
            #expect(again.stderr.contains("no active API token"))
        }
    }

    @Test func theDataDirectoryComesFromTheEnvironmentToo() async throws {
        let dir = try TemporaryDirectory()
        let created = try await Self.run(["api-token", "create"], environment: ["CROW_CALLS_DATA": dir.path])
        #expect(created.status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.file("ledger.sqlite")))
    }

    @Test func contactsAddedOnTheCommandLineAreServedByTheAPI() async throws {
        let harness = try H()
        let data = ["--data-dir", harness.dir.path]
        let added = try await Self.run(
            ["contacts", "add", "--name", "Ada", "--pubkey", ContactsAPITests.adaNpub, "--relay", "wss://relay.example.com",
             "--relay", "ws://127.0.0.1:7777", "--transport", "crow"] + data
        )
        #expect(added.status == 0, "\(added.stderr)")
        let fields = added.stdout.trimmingCharacters(in: .newlines).split(separator: "\t").map(String.init)
        #expect(fields.count == 6)
        #expect(fields.dropFirst().elementsEqual(
            ["Ada", ContactsAPITests.adaNpub, ContactsAPITests.adaHex, "crow", "wss://relay.example.com,ws://127.0.0.1:7777"]
        ))
        let hex = try await Self.run(["contacts", "add", "--name", "Grace", "--pubkey", String(repeating: "cd", count: 32)] + data)
        #expect(hex.status == 0)

        let listed = try await Self.run(["contacts", "list"] + data)
        #expect(listed.status == 0)
        #expect(listed.stdout.split(separator: "\n").count == 2)
        let json = try await Self.run(["contacts", "list", "--json"] + data)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [[String: Any]]]
        #expect(object?["contacts"]?.map { $0["name"] as? String } == ["Ada", "Grace"])

        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let token = try await Self.run(["api-token", "create"] + data).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try await client.execute(uri: "/api/contacts", method: .get, headers: H.json(bearer: token)) { response in
                let contacts = try #require(H.object(response)["contacts"] as? [[String: Any]])
                #expect(contacts.first?["pubkey"] as? String == ContactsAPITests.adaHex)
                #expect(contacts.first?["transport"] as? String == "crow")
            }
        }
    }

    @Test func badInputGetsAClearMessageAndANonZeroStatus() async throws {
        let dir = try TemporaryDirectory()
        let data = ["--data-dir", dir.path]
        let key = String(repeating: "ab", count: 32)
        let cases: [([String], String)] = [
            (["contacts", "add", "--name", "Ada", "--pubkey", "npub1nope"], "pubkey"),
            (["contacts", "add", "--name", "", "--pubkey", key], "name"),
            (["contacts", "add", "--name", "Ada", "--pubkey", key, "--relay", "http://relay.example.com"], "relay"),
            (["contacts", "add", "--name", "Ada", "--pubkey", key, "--transport", "smtp"], "transport"),
            (["contacts", "add", "--name", "Ada"], "--pubkey"),
            (["contacts", "remove", "nope"], "no contact"),
            (["api-token", "create", "--label", String(repeating: "x", count: 121)], "label"),
            (["api-token", "create", "--frobnicate"], "frobnicate"),
        ]
        for (arguments, mention) in cases {
            let outcome = try await Self.run(arguments + data)
            #expect(outcome.status != 0, "\(arguments)")
            #expect(outcome.stderr.contains(mention), "\(arguments): \(outcome.stderr)")
        }
        let first = try await Self.run(["contacts", "add", "--name", "Ada", "--pubkey", key] + data)
        #expect(first.status == 0)
        let duplicate = try await Self.run(["contacts", "add", "--name", "Ada 2", "--pubkey", key] + data)
        #expect(duplicate.status == 1)
        #expect(duplicate.stderr.contains("already exists"))
    }

    @Test func identityPrintsTheKeyTheGatewayUses() async throws {
        let harness = try H()
        let first = try await Self.run(["identity", "--data-dir", harness.dir.path])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("made a new Nostr key"))
        let lines = first.stdout.split(separator: "\n").map(String.init)
        let npub = try #require(lines.first { $0.hasPrefix("npub: ") }).dropFirst(6)
        let hex = try #require(lines.first { $0.hasPrefix("hex:  ") }).dropFirst(6)
        #expect(npub.hasPrefix("npub1") && hex.count == 64)
        // The secret never appears on the terminal; the same key on every run.
        #expect(!first.stdout.contains("nsec"))
        let again = try await Self.run(["identity", "--data-dir", harness.dir.path])
        #expect(again.stdout == first.stdout && again.stderr.isEmpty)
        let token = try await harness.apiToken()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(bearer: token)) { response in
                #expect(H.object(response)["npub"] as? String == String(npub))
                #expect(H.object(response)["pubkey"] as? String == String(hex))
            }
        }
        // A key file others can read stops the gateway with the reason.
        chmod(harness.configuration.nostrKeyPath, 0o644)
        await #expect(throws: ConfigurationError.self) { _ = try await buildApplication(harness.configuration) }
        let refused = try await Self.run(["identity", "--data-dir", harness.dir.path])
        #expect(refused.status != 0 && refused.stderr.contains("chmod 600"))
    }
}

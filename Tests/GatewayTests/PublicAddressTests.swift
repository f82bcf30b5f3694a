import CallStore
import Foundation
import GRDB
@testable import Gateway
import HTTPTypes
import HummingbirdTesting
import Ledger
import Logging
import NIOCore
import Nostr
import OwnerStore
import Testing
import TestSupport

/// The address other people reach the gateway at: without one, no invite or guest link leaves with a
/// link to the owner's own machine; setup asks for it, the panel's API keeps it, the configuration wins.
@Suite struct PublicAddressTests {
    static func auth(_ token: String) -> HTTPFields {
        [.authorization: "Bearer \(token)", .contentType: "application/json"]
    }

    static func eventCount(_ configuration: GatewayConfiguration) async throws -> Int {
        try await readLedger(configuration) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }

    static func readLedger<T: Sendable>(_ configuration: GatewayConfiguration, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        var readOnly = Configuration()
        readOnly.readonly = true
        let queue = try DatabaseQueue(path: configuration.ledgerPath, configuration: readOnly)
        defer { try? queue.close() }
        return try await queue.read(body)
    }

    /// The join URL the contact `grace` reads when she opens the newest invite queued for her.
    static func joinURLSent(to grace: NostrSecretKey, _ configuration: GatewayConfiguration) async throws -> String {
        let data = try await readLedger(configuration) { db in
            try String.fetchOne(db, sql: "SELECT data FROM events WHERE type = 'invite.requested' ORDER BY position DESC LIMIT 1")
        }
        let text = try #require(data)
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let first = try #require((payload["nostrEvents"] as? [Any])?.first)
        let event = try JSONDecoder().decode(NostrEvent.self, from: try JSONSerialization.data(withJSONObject: first))
        switch await InviteIntake.open(event, me: grace, isContact: { _ in true }) {
        case .success(let opened):
            guard case .roomInvite(let invite) = opened.envelope else { throw TestPeerError.timeout("not an invite: \(opened.envelope)") }
            return invite.joinURL
        case .failure(let drop): throw TestPeerError.timeout("the invite did not open: \(drop)")
        }
    }

    @Test func invitesAndGuestLinksWaitForAPublicAddressAndThenCarryIt() async throws {
        let dir = try TemporaryDirectory()
        var adjusted = signalingConfiguration(dir)
        adjusted.gatewayURL = nil
        let configuration = adjusted
        let token = try await ownerAPIToken(configuration)
        let auth = Self.auth(token)
        let grace = NostrSecretKey.generate()
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            let added = try await client.execute(
                uri: "/api/contacts", method: .post, headers: auth,
                body: try OwnerHarness.jsonBody(["name": "Grace", "pubkey": grace.publicKey.hex]))
            #expect(added.status == .created)
            let contact = try #require(OwnerHarness.object(added)["id"] as? String)

            let unknown = OwnerHarness.object(try await client.execute(uri: "/api/settings/address", method: .get, headers: auth))
            #expect(unknown["address"] is NSNull)
            #expect(unknown["source"] is NSNull)
            // Seen from loopback, nothing can be suggested.
            #expect((unknown["suggestions"] as? [String]) == [])

            // Calling the contact is refused before anything is recorded: no room, no token, no invite.
            let before = try await Self.eventCount(configuration)
            let refused = try await client.execute(
                uri: "/api/rooms", method: .post, headers: auth, body: try OwnerHarness.jsonBody(["hostName": "Ada", "contact": contact]))
            #expect(refused.status == .conflict)
            #expect(OwnerHarness.errorCode(refused) == "public_address_needed")
            #expect(String(buffer: refused.body).contains("Set the public address"))
            #expect(try await Self.eventCount(configuration) == before)

            // A room of the owner's own still opens, with a link for the owner's own browser; a guest link
            // for someone else is refused the same way.
            let own = OwnerHarness.object(
                try await client.execute(uri: "/api/rooms", method: .post, headers: auth, body: try OwnerHarness.jsonBody(["hostName": "Ada"])))
            let code = try #require(own["roomCode"] as? String)
            #expect((own["callUrl"] as? String)?.hasPrefix("http://localhost") == true)
            let afterRoom = try await Self.eventCount(configuration)
            let noLink = try await client.execute(uri: "/api/rooms/\(code)/invites", method: .post, headers: auth, body: try OwnerHarness.jsonBody([:]))
            #expect(noLink.status == .conflict)
            #expect(OwnerHarness.errorCode(noLink) == "public_address_needed")
            #expect(try await Self.eventCount(configuration) == afterRoom)

            // This machine's own address is refused in plain words; a reachable one is kept.
            for loopback in ["http://127.0.0.1:8444", "https://localhost:8444", "https://0.0.0.0:8444"] {
                let bad = try await client.execute(
                    uri: "/api/settings/address", method: .put, headers: auth, body: try OwnerHarness.jsonBody(["address": loopback]))
                #expect(bad.status == .badRequest)
                #expect(OwnerHarness.errorCode(bad) == "invalid_public_address")
            }
            let saved = OwnerHarness.object(
                try await client.execute(
                    uri: "/api/settings/address", method: .put, headers: auth,
                    body: try OwnerHarness.jsonBody(["address": "https://Calls.Example.net/"])))
            #expect(saved["address"] as? String == "https://calls.example.net")
            #expect(saved["source"] as? String == "saved")

            let link = OwnerHarness.object(
                try await client.execute(uri: "/api/rooms/\(code)/invites", method: .post, headers: auth, body: try OwnerHarness.jsonBody([:])))
            #expect((link["callUrl"] as? String)?.hasPrefix("https://calls.example.net/calls?room=\(code)&token=") == true)
            let called = try await client.execute(
                uri: "/api/rooms", method: .post, headers: auth, body: try OwnerHarness.jsonBody(["hostName": "Ada", "contact": contact]))
            #expect(called.status == .created)
            let room = try #require(OwnerHarness.object(called)["roomCode"] as? String)
            #expect(try await Self.joinURLSent(to: grace, configuration).hasPrefix("https://calls.example.net/calls?room=\(room)&token="))
        }

        // Kept across a restart; a blank address forgets it, and links stop again.
        let again = try await buildApplication(configuration)
        try await again.test(.router) { client in
            let kept = OwnerHarness.object(try await client.execute(uri: "/api/settings/address", method: .get, headers: auth))
            #expect(kept["address"] as? String == "https://calls.example.net")
            let cleared = OwnerHarness.object(
                try await client.execute(uri: "/api/settings/address", method: .put, headers: auth, body: try OwnerHarness.jsonBody(["address": ""])))
            #expect(cleared["address"] is NSNull)
            let own = OwnerHarness.object(
                try await client.execute(uri: "/api/rooms", method: .post, headers: auth, body: try OwnerHarness.jsonBody(["hostName": "Ada"])))
            let code = try #require(own["roomCode"] as? String)
            let noLink = try await client.execute(uri: "/api/rooms/\(code)/invites", method: .post, headers: auth, body: try OwnerHarness.jsonBody([:]))
            #expect(OwnerHarness.errorCode(noLink) == "public_address_needed")
        }
    }

    @Test func theConfiguredAddressWinsOverTheSavedOne() async throws {
        let dir = try TemporaryDirectory()
        var adjusted = signalingConfiguration(dir)
        adjusted.gatewayURL = "https://ada.tail1234.ts.net/"
        let configuration = adjusted
        let token = try await ownerAPIToken(configuration)
        let auth = Self.auth(token)
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in
            let answer = OwnerHarness.object(
                try await client.execute(
                    uri: "/api/settings/address", method: .put, headers: auth,
                    body: try OwnerHarness.jsonBody(["address": "https://calls.example.net"])))
            #expect(answer["address"] as? String == "https://ada.tail1234.ts.net")
            #expect(answer["source"] as? String == "configured")
            #expect(answer["saved"] as? String == "https://calls.example.net")
            let own = OwnerHarness.object(
                try await client.execute(uri: "/api/rooms", method: .post, headers: auth, body: try OwnerHarness.jsonBody(["hostName": "Ada"])))
            let code = try #require(own["roomCode"] as? String)
            let link = OwnerHarness.object(
                try await client.execute(uri: "/api/rooms/\(code)/invites", method: .post, headers: auth, body: try OwnerHarness.jsonBody([:])))
            #expect((link["callUrl"] as? String)?.hasPrefix("https://ada.tail1234.ts.net/calls?room=") == true)
        }
    }

    @Test func setupAsksForTheAddressAndKeepsIt() async throws {
        let harness = try OwnerHarness()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let secret = try await harness.setupSecret()
            let page = try await client.execute(uri: "/setup?token=\(secret)", method: .get)
            #expect(String(buffer: page.body).contains("name=\"address\""))
            #expect(String(buffer: page.body).contains("Address other people reach this gateway at"))

            // This machine's own address: the form comes back with the reason, and nothing is set up.
            let fields = ["token": secret, "password": OwnerHarness.password, "confirm": OwnerHarness.password]
            let loopback = try await client.execute(
                uri: "/setup", method: .post, headers: OwnerHarness.form(origin: OwnerHarness.origin),
                body: OwnerHarness.formBody(fields.merging(["address": "https://127.0.0.1:8444"]) { $1 }))
            #expect(loopback.status == .badRequest)
            #expect(String(buffer: loopback.body).contains("own address"))
            #expect(String(buffer: loopback.body).contains("value=\"https://127.0.0.1:8444\""))
            #expect(try await harness.withStore { try await $0.ownerPasswordHash() } == nil)

            let done = try await client.execute(
                uri: "/setup", method: .post, headers: OwnerHarness.form(origin: OwnerHarness.origin),
                body: OwnerHarness.formBody(fields.merging(["address": "https://calls.example.net"]) { $1 }))
            #expect(done.status == .seeOther)
            #expect(try await harness.withStore { try await $0.savedPublicAddress() } == "https://calls.example.net")
            let cookie = try #require(OwnerHarness.sessionCookie(done))
            let shown = OwnerHarness.object(
                try await client.execute(uri: "/api/settings/address", method: .get, headers: OwnerHarness.json(cookie: cookie)))
            #expect(shown["address"] as? String == "https://calls.example.net")
        }
    }

    @Test func setupShowsTheConfiguredAddressInsteadOfAsking() async throws {
        let harness = try OwnerHarness { $0.gatewayURL = "https://calls.example.net" }
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let secret = try await harness.setupSecret()
            let page = String(buffer: try await client.execute(uri: "/setup?token=\(secret)", method: .get).body)
            #expect(!page.contains("name=\"address\""))
            #expect(page.contains("<code>https://calls.example.net</code>, set by <code>CROW_GATEWAY_URL</code>"))
        }
    }

    /// A stand-in for the `tailscale` command (there is no tailnet here): prints what `tailscale status
    /// --json` prints on a logged-in machine, or leaves a mark that it started and hangs.
    ///
    /// The executable is written by `install`, a child process, not by this one: a file this process
    /// had open for writing could be inherited by a child that another test forks at that moment, and
    /// running it would then fail with "text file busy".
    static func fakeTailscale(in dir: TemporaryDirectory, hangs: Bool = false) async throws -> String {
        let source = dir.file("tailscale.txt")
        let path = dir.file("tailscale")
        let script =
            hangs
            ? "#!/bin/sh\n: > \"$0.started\"\nexec sleep 30\n"
            : "#!/bin/sh\n[ \"$1 $2\" = \"status --json\" ] || exit 2\necho '{\"Self\":{\"DNSName\":\"ada.tail1234.ts.net.\",\"HostName\":\"ada\"}}'\n"
        try script.write(toFile: source, atomically: true, encoding: .utf8)
        let installed = try await runTool("/usr/bin/install", ["-m", "0755", source, path])
        try #require(installed.status == 0, "\(installed.stderr)")
        return path
    }

    @Test func suggestionsComeFromTheRequestTheCertificateAndTheTailnet() async throws {
        let dir = try TemporaryDirectory()
        let certificate = dir.file("cert.pem")
        let made = try await runTool(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir.file("key.pem"),
                "-out", certificate, "-days", "1", "-subj", "/CN=gw.example.test",
                "-addext", "subjectAltName=DNS:gw.example.test,DNS:*.example.test,IP:10.1.2.3,DNS:localhost,IP:127.0.0.1",
            ]
        )
        try #require(made.status == 0, "\(made.stderr)")
        var configuration = GatewayConfiguration()
        configuration.port = 8444
        configuration.tlsCertificate = certificate
        configuration.tlsKey = dir.file("key.pem")
        let suggestions = PublicAddressSuggestions(
            configuration: configuration, tailscale: try await Self.fakeTailscale(in: dir), logger: Logger(label: "test"))
        // From loopback: the certificate's names (not loopback, not wildcards), then the tailnet name.
        #expect(
            await suggestions.suggestions(authority: "127.0.0.1:8444")
                == ["https://gw.example.test:8444", "https://10.1.2.3:8444", "https://ada.tail1234.ts.net:8444"])
        // From another machine: the address it used comes first.
        #expect(await suggestions.suggestions(authority: "192.168.1.20:8444").first == "https://192.168.1.20:8444")

        // A `tailscale` that hangs is stopped (after three seconds), and then there is no tailnet name. It
        // did run: it left its mark.
        let hangingDir = try TemporaryDirectory()
        let hangingTool = try await Self.fakeTailscale(in: hangingDir, hangs: true)
        let hanging = PublicAddressSuggestions(configuration: configuration, tailscale: hangingTool, logger: Logger(label: "test"))
        #expect(await hanging.tailnet() == nil)
        #expect(FileManager.default.fileExists(atPath: hangingTool + ".started"))
        // Without one at all, only the request and the certificate speak.
        var plain = GatewayConfiguration()
        plain.port = 8080
        let none = PublicAddressSuggestions(configuration: plain, tailscale: nil, logger: Logger(label: "test"))
        #expect(await none.suggestions(authority: "localhost:8080") == [])
    }
}

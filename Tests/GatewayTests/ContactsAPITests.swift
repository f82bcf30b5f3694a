import Decisions
import Foundation
@testable import OwnerStore
import Gateway
import HummingbirdTesting
import Testing

@testable import CallStore

/// `/api/contacts` on the real server, with an API token.
@Suite struct ContactsAPITests {
    typealias H = OwnerHarness
    static let adaHex = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
    static let adaNpub = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"

    @Test func createListUpdateAndDelete() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let auth = H.json(bearer: try await harness.apiToken())
            try await client.execute(uri: "/api/contacts", method: .get, headers: auth) { response in
                #expect(response.status == .ok)
                #expect((H.object(response)["contacts"] as? [Any])?.isEmpty == true)
            }
            // By npub, with relays and a transport.
            let ada = try await client.execute(
                uri: "/api/contacts",
                method: .post,
                headers: auth,
                body: try H.jsonBody([
                    "name": "  Ada   Lovelace ", "pubkey": Self.adaNpub,
                    "relays": ["wss://relay.example.com", "ws://127.0.0.1:7777", "wss://relay.example.com"], "transport": "crow",
                ])
            ) { response in
                #expect(response.status == .created)
                let contact = H.object(response)
                #expect(contact["name"] as? String == "Ada Lovelace")
                #expect(contact["pubkey"] as? String == Self.adaHex)
                #expect(contact["npub"] as? String == Self.adaNpub)
                #expect(contact["relays"] as? [String] == ["wss://relay.example.com", "ws://127.0.0.1:7777"])
                #expect(contact["transport"] as? String == "crow")
                return try #require(contact["id"] as? String)
            }
            // By hex (upper case accepted), transport defaults to nip17.
            let grace = try await client.execute(
                uri: "/api/contacts",
                method: .post,
                headers: auth,
                body: try H.jsonBody(["name": "Grace", "pubkey": String(repeating: "AB", count: 32)])
            ) { response in
                #expect(response.status == .created)
                let contact = H.object(response)
                #expect(contact["pubkey"] as? String == String(repeating: "ab", count: 32))
                #expect((contact["npub"] as? String)?.hasPrefix("npub1") == true)
                #expect(contact["transport"] as? String == "nip17")
                #expect((contact["relays"] as? [String])?.isEmpty == true)
                return try #require(contact["id"] as? String)
            }
            // The same key twice is a conflict.
            try await client.execute(
                uri: "/api/contacts",
                method: .post,
                headers: auth,
                body: try H.jsonBody(["name": "Ada again", "pubkey": Self.adaHex])
            ) { response in
                #expect(response.status == .conflict)
                #expect(H.errorCode(response) == "contact_exists")
            }
            try await client.execute(uri: "/api/contacts", method: .get, headers: auth) { response in
                let contacts = try #require(H.object(response)["contacts"] as? [[String: Any]])
                #expect(contacts.map { $0["name"] as? String } == ["Ada Lovelace", "Grace"])
            }
            // PATCH changes only what is given.
            try await client.execute(
                uri: "/api/contacts/\(grace)",
                method: .patch,
                headers: auth,
                body: try H.jsonBody(["name": "Grace Hopper", "relays": ["wss://nos.example.org"]])
            ) { response in
                #expect(response.status == .ok)
                let contact = H.object(response)
                #expect(contact["name"] as? String == "Grace Hopper")
                #expect(contact["relays"] as? [String] == ["wss://nos.example.org"])
                #expect(contact["transport"] as? String == "nip17")
            }
            try await client.execute(uri: "/api/contacts/\(grace)", method: .patch, headers: auth, body: try H.jsonBody(["pubkey": Self.adaNpub])) {
                #expect($0.status == .conflict)
            }
            try await client.execute(uri: "/api/contacts/\(grace)", method: .patch, headers: auth, body: try H.jsonBody([:])) {
                #expect($0.status == .badRequest)
            }
            try await client.execute(uri: "/api/contacts/nope", method: .patch, headers: auth, body: try H.jsonBody(["name": "X"])) { response in
                #expect(response.status == .notFound)
                #expect(H.errorCode(response) == "not_found")
            }
            try await client.execute(uri: "/api/contacts/\(ada)", method: .get, headers: auth) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/contacts/\(ada)", method: .delete, headers: auth) { response in
                #expect(response.status == .noContent)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/api/contacts/\(ada)", method: .delete, headers: auth) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/contacts/\(ada)", method: .get, headers: auth) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/contacts", method: .get, headers: auth) { response in
                let contacts = try #require(H.object(response)["contacts"] as? [[String: Any]])
                #expect(contacts.map { $0["id"] as? String } == [grace])
            }
        }
    }

    @Test func badInputIsRefusedWithInvalidRequest() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let auth = H.json(bearer: try await harness.apiToken())
            let key = String(repeating: "ab", count: 32)
            let cases: [(String, [String: Any])] = [
                ("missing name", ["pubkey": key]),
                ("missing pubkey", ["name": "Ada"]),
                ("empty name", ["name": " \u{202E}\u{0007} ", "pubkey": key]),
                ("long name", ["name": String(repeating: "x", count: 65), "pubkey": key]),
                ("name not a string", ["name": 42, "pubkey": key]),
                ("short hex", ["name": "Ada", "pubkey": "abcd"]),
                ("not hex", ["name": "Ada", "pubkey": String(repeating: "zz", count: 32)]),
                ("npub with a broken checksum", ["name": "Ada", "pubkey": String(Self.adaNpub.dropLast()) + "h"]),
                ("nsec instead of npub", ["name": "Ada", "pubkey": "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"]),
                ("http relay", ["name": "Ada", "pubkey": key, "relays": ["https://relay.example.com"]]),
                ("plain ws to the internet", ["name": "Ada", "pubkey": key, "relays": ["ws://relay.example.com"]]),
                ("javascript relay", ["name": "Ada", "pubkey": key, "relays": ["javascript:alert(1)"]]),
                ("relay with credentials", ["name": "Ada", "pubkey": key, "relays": ["wss://user:pw@relay.example.com"]]),
                ("too many relays", ["name": "Ada", "pubkey": key, "relays": (0...16).map { "wss://r\($0).example.com" }]),
                ("relays not a list", ["name": "Ada", "pubkey": key, "relays": "wss://relay.example.com"]),
                ("unknown transport", ["name": "Ada", "pubkey": key, "transport": "email"]),
            ]
            for (label, body) in cases {
                try await client.execute(uri: "/api/contacts", method: .post, headers: auth, body: try H.jsonBody(body)) { response in
                    #expect(response.status == .badRequest, "\(label)")
                    #expect(H.errorCode(response) == "invalid_request", "\(label)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                }
            }
            try await client.execute(uri: "/api/contacts", method: .post, headers: auth, body: .init(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                #expect(H.errorCode(response) == "invalid_request")
            }
            let huge = try H.jsonBody(["name": String(repeating: "x", count: 20_000), "pubkey": key])
            try await client.execute(uri: "/api/contacts", method: .post, headers: auth, body: huge) { response in
                #expect(response.status == .contentTooLarge)
                #expect(H.errorCode(response) == "invalid_request")
            }
            #expect(try await harness.withStore { try await $0.contacts() }.isEmpty)
        }
    }

    @Test func hostileNamesComeBackAsPlainJSONStrings() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let auth = H.json(bearer: try await harness.apiToken())
            let hostile = "<img src=x onerror=alert(1)>"
            try await client.execute(
                uri: "/api/contacts",
                method: .post,
                headers: auth,
                body: try H.jsonBody(["name": hostile, "pubkey": Self.adaHex])
            ) { response in
                #expect(response.status == .created)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                #expect(H.object(response)["name"] as? String == hostile)
            }
            try await client.execute(uri: "/api/contacts", method: .get, headers: auth) { response in
                let contacts = try #require(H.object(response)["contacts"] as? [[String: Any]])
                #expect(contacts.first?["name"] as? String == hostile)
            }
            // Bidi overrides and control characters are removed from names.
            try await client.execute(
                uri: "/api/contacts",
                method: .post,
                headers: auth,
                body: try H.jsonBody(["name": "Eve\u{202E}gnp.exe\u{0000}", "pubkey": String(repeating: "01", count: 32)])
            ) { response in
                #expect(H.object(response)["name"] as? String == "Evegnp.exe")
            }
        }
    }
}

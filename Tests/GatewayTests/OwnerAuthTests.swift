import CallStore
@testable import CrowSecurity
import Decisions
import Foundation
import OwnerStore
import GRDB
@testable import Gateway
import HTTPTypes
import HummingbirdTesting
import Testing

/// Owner authentication on the real application: first-run setup, login, logout, sessions, API tokens and
/// the Origin rule for cookie-authenticated writes.
@Suite struct OwnerAuthTests {
    typealias H = OwnerHarness

    @Test func theSetupURLWorksOnceAndSignsTheOwnerIn() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let secret = try await harness.setupSecret()
            // The page shows a form that carries the secret back.
            try await client.execute(uri: "/setup?token=\(secret)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(String(buffer: response.body).contains("value=\"\(secret)\""))
            }
            // Too short and mismatched passwords are refused and keep the secret usable.
            let short = H.formBody(["token": secret, "password": "short", "confirm": "short"])
            try await client.execute(uri: "/setup", method: .post, headers: H.form(), body: short) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("at least 12"))
            }
            let mismatch = H.formBody(["token": secret, "password": H.password, "confirm": H.password + "!"])
            try await client.execute(uri: "/setup", method: .post, headers: H.form(), body: mismatch) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("do not match"))
            }
            // A foreign Origin on the setup form is refused.
            let good = H.formBody(["token": secret, "password": H.password, "confirm": H.password])
            try await client.execute(uri: "/setup", method: .post, headers: H.form(origin: "https://evil.example"), body: good) {
                #expect($0.status == .forbidden)
            }
            let cookie = try await client.execute(uri: "/setup", method: .post, headers: H.form(origin: H.origin), body: good) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/calls")
                let header = try #require(response.headers[.setCookie])
                #expect(header.contains("HttpOnly"))
                #expect(header.contains("SameSite=Strict"))
                #expect(header.contains("Path=/"))
                #expect(!header.contains("Secure"))  // plain HTTP on loopback
                return try #require(H.sessionCookie(response))
            }
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(cookie: cookie)) { response in
                #expect(response.status == .ok)
                #expect(H.object(response)["owner"] as? String == "session")
            }
            // The second use fails, and so does the page.
            try await client.execute(uri: "/setup", method: .post, headers: H.form(), body: good) { response in
                #expect(response.status == .gone)
                #expect(H.sessionCookie(response) == nil)
            }
            try await client.execute(uri: "/setup?token=\(secret)", method: .get) { #expect($0.status == .gone) }
        }
        // With an owner, a start prints no setup URL.
        #expect(try await harness.setupURL() == nil)
    }

    @Test func eachStartReplacesTheSetupSecret() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let first = try await harness.setupSecret()
            let second = try await harness.setupSecret()
            #expect(first != second)
            try await client.execute(uri: "/setup?token=\(first)", method: .get) { #expect($0.status == .notFound) }
            let body = H.formBody(["token": first, "password": H.password, "confirm": H.password])
            try await client.execute(uri: "/setup", method: .post, headers: H.form(), body: body) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/setup?token=\(second)", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/setup?token=", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/setup", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func loginSucceedsWithThePasswordAndFailsWithoutIt() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            // Before setup nobody can log in, and the page says why.
            try await client.execute(uri: "/login", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("setup link"))
            }
            try await client.execute(uri: "/login", method: .post, headers: H.form(), body: H.formBody(["password": H.password])) {
                #expect($0.status == .unauthorized)
            }
            _ = try await harness.setUpOwner(client)
            try await client.execute(uri: "/login", method: .post, headers: H.form(), body: H.formBody(["password": "wrong password!!"])) {
                response in
                #expect(response.status == .unauthorized)
                #expect(H.sessionCookie(response) == nil)
                #expect(String(buffer: response.body).contains("Wrong password"))
            }
            try await client.execute(uri: "/login", method: .post, headers: H.form(), body: H.formBody([:])) {
                #expect($0.status == .unauthorized)
            }
            let formCookie = try await client.execute(
                uri: "/login",
                method: .post,
                headers: H.form(origin: H.origin),
                body: H.formBody(["password": H.password])
            ) { response in
                #expect(response.status == .seeOther)
                return try #require(H.sessionCookie(response))
            }
            // The web client's JSON form of the same.
            let jsonCookie = try await client.execute(
                uri: "/login",
                method: .post,
                headers: H.json(),
                body: try H.jsonBody(["password": H.password])
            ) { response in
                #expect(response.status == .ok)
                #expect(H.object(response)["owner"] as? String == "session")
                return try #require(H.sessionCookie(response))
            }
            try await client.execute(uri: "/login", method: .post, headers: H.json(), body: try H.jsonBody(["password": "nope nope nope"])) {
                response in
                #expect(response.status == .unauthorized)
                #expect(H.errorCode(response) == "invalid_credentials")
            }
            #expect(formCookie != jsonCookie)
            for cookie in [formCookie, jsonCookie] {
                try await client.execute(uri: "/api/owner", method: .get, headers: H.json(cookie: cookie)) { #expect($0.status == .ok) }
            }
            try await client.execute(uri: "/login", method: .get, headers: H.json(cookie: formCookie)) { response in
                #expect(String(buffer: response.body).contains("signed in"))
            }
        }
    }

    @Test func logoutEndsTheSessionOnTheServer() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let cookie = try await harness.setUpOwner(client)
            let other = try await client.execute(uri: "/login", method: .post, headers: H.form(), body: H.formBody(["password": H.password])) {
                try #require(H.sessionCookie($0))
            }
            // Logging out with the cookie needs the Origin like any other cookie-authenticated write.
            try await client.execute(uri: "/logout", method: .post, headers: H.form(), body: H.formBody([:])) {
                #expect($0.status == .seeOther)  // no cookie: nothing to end, just cleared
            }
            var headers = H.form()
            headers[.cookie] = "crow_session=\(cookie)"
            try await client.execute(uri: "/logout", method: .post, headers: headers, body: H.formBody([:])) {
                #expect($0.status == .forbidden)
            }
            headers[.origin] = H.origin
            try await client.execute(uri: "/logout", method: .post, headers: headers, body: H.formBody([:])) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/login")
                #expect(H.sessionCookie(response) == "")
                #expect(response.headers[.setCookie]?.contains("Max-Age=0") == true)
            }
            // The old cookie no longer works, even if a client keeps sending it; the other session does.
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(cookie: cookie)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(cookie: other)) { #expect($0.status == .ok) }
            #expect(try await harness.withStore { try await $0.ownerSessionCount() } == 1)
        }
    }

    @Test func ownerEndpointsRefuseMissingInvalidAndCrossOriginCredentials() async throws {
        // The revocation below comes from another connection, which the gateway sees by looking at the
        // file: looked at on every request, so the very next one must be refused.
        let harness = try H { $0.credentialFileCheck = .zero }
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let cookie = try await harness.setUpOwner(client)
            let token = try await harness.apiToken(label: "tests")
            let contact = try H.jsonBody(["name": "Ada", "pubkey": String(repeating: "ab", count: 32)])

            // Missing credentials.
            try await client.execute(uri: "/api/owner", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(H.errorCode(response) == "unauthorized")
            }
            try await client.execute(uri: "/api/contacts", method: .post, headers: H.json(origin: H.origin), body: contact) {
                #expect($0.status == .unauthorized)
            }
            // Invalid credentials: wrong, malformed, and of the wrong kind (a session secret as a Bearer).
            for headers in [
                H.json(bearer: String(repeating: "A", count: 43)),
                H.json(bearer: "not-a-token"),
                H.json(bearer: cookie),
                H.json(cookie: String(repeating: "A", count: 43)),
                H.json(cookie: token),
                [.authorization: "Basic \(Data("owner:\(H.password)".utf8).base64EncodedString())"],
            ] as [HTTPFields] {
                try await client.execute(uri: "/api/owner", method: .get, headers: headers) { #expect($0.status == .unauthorized) }
            }
            // A cookie with a foreign or missing Origin cannot change anything: 403 bad_origin.
            for origin in ["https://evil.example", "http://localhost.evil.example", "null", "http://localhost:1", nil] as [String?] {
                try await client.execute(uri: "/api/contacts", method: .post, headers: H.json(cookie: cookie, origin: origin), body: contact) {
                    response in
                    #expect(response.status == .forbidden, "Origin \(origin ?? "(none)")")
                    #expect(H.errorCode(response) == "bad_origin")
                }
            }
            #expect(try await harness.withStore { try await $0.contacts() }.isEmpty)
            // Reads with the cookie need no Origin; writes with the right one pass.
            try await client.execute(uri: "/api/contacts", method: .get, headers: H.json(cookie: cookie)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/contacts", method: .post, headers: H.json(cookie: cookie, origin: H.origin), body: contact) {
                #expect($0.status == .created)
            }
            // Bearer needs no Origin (browsers never send it on their own), whatever Origin comes along.
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(bearer: token)) { response in
                #expect(response.status == .ok)
                #expect(H.object(response)["owner"] as? String == "api_token")
            }
            let second = try H.jsonBody(["name": "Grace", "pubkey": String(repeating: "cd", count: 32)])
            try await client.execute(uri: "/api/contacts", method: .post, headers: H.json(bearer: token), body: second) {
                #expect($0.status == .created)
            }
            // A revoked token stops working at once, also after it was recognised from memory: the
            // revocation comes from another connection (as `crow-calls api-token revoke` is).
            for _ in 0..<3 {
                try await client.execute(uri: "/api/owner", method: .get, headers: H.json(bearer: token)) { #expect($0.status == .ok) }
            }
            let tokens = try await harness.withStore { try await $0.ownerAPITokens() }
            try await harness.withStore { _ = try await $0.revokeOwnerAPIToken(id: tokens[0].id) }
            try await client.execute(uri: "/api/owner", method: .get, headers: H.json(bearer: token)) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func theConfiguredGatewayURLIsTheOriginAndMakesTheCookieSecure() async throws {
        let harness = try H { $0.gatewayURL = "https://calls.example.net/" }
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let secret = try await harness.setupSecret()
            let body = H.formBody(["token": secret, "password": H.password, "confirm": H.password])
            let cookie = try await client.execute(uri: "/setup", method: .post, headers: H.form(origin: "https://calls.example.net"), body: body) {
                response in
                #expect(response.headers[.setCookie]?.contains("; Secure") == true)
                return try #require(H.sessionCookie(response))
            }
            let contact = try H.jsonBody(["name": "Ada", "pubkey": String(repeating: "ab", count: 32)])
            // The Host-derived origin is not enough once a gateway URL is configured.
            try await client.execute(uri: "/api/contacts", method: .post, headers: H.json(cookie: cookie, origin: H.origin), body: contact) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/api/contacts",
                method: .post,
                headers: H.json(cookie: cookie, origin: "https://CALLS.example.net:443"),
                body: contact
            ) { #expect($0.status == .created) }
        }
    }

    @Test func secretsAreStoredOnlyAsHashes() async throws {
        let harness = try H { $0.ownerPasswordCost = .standard }
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let setupSecret = try await harness.setupSecret()
            let setupTable = try await harness.dump("owner_setup")
            #expect(!setupTable.contains(setupSecret))
            #expect(setupTable.contains(Self.sha256(setupSecret)))

            let body = H.formBody(["token": setupSecret, "password": H.password, "confirm": H.password])
            let cookie = try await client.execute(uri: "/setup", method: .post, headers: H.form(), body: body) { try #require(H.sessionCookie($0)) }
            // The write-ahead log as the gateway's own writes left it, read before the harness opens and
            // closes a store of its own (closing a store empties the log into the file).
            let walAfterSetup = try #require(FileManager.default.contents(atPath: harness.dir.file("ledger.sqlite-wal")))
            #expect(!walAfterSetup.isEmpty)
            for secret in [H.password, setupSecret, cookie] {
                #expect(walAfterSetup.range(of: Data(secret.utf8)) == nil)
            }
            let token = try await harness.apiToken()

            let account = try await harness.dump("owner_account")
            #expect(!account.contains(H.password))
            #expect(account.contains("scrypt"))
            let stored = try #require(try await harness.withStore { try await $0.ownerPasswordHash() })
            #expect(stored.logN >= 15 && stored.r >= 8 && stored.p >= 1)
            #expect(stored.salt.count == 32 && stored.hash.count == 64)

            let sessions = try await harness.dump("owner_sessions")
            #expect(!sessions.contains(cookie))
            #expect(sessions.contains(Self.sha256(cookie)))
            let tokens = try await harness.dump("owner_api_tokens")
            #expect(!tokens.contains(token))
            #expect(tokens.contains(Self.sha256(token)))
            #expect(try await harness.dump("owner_setup").isEmpty)  // consumed

            // Nor anywhere else in the file or its log.
            let main = try #require(FileManager.default.contents(atPath: harness.dir.file("ledger.sqlite")))
            let wal = FileManager.default.contents(atPath: harness.dir.file("ledger.sqlite-wal")) ?? Data()
            for data in [main, wal] {
                for secret in [H.password, setupSecret, cookie, token] {
                    #expect(data.range(of: Data(secret.utf8)) == nil)
                }
            }
        }
    }

    @Test func hostileTextInTheSetupLinkIsInert() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            _ = try await harness.setupSecret()
            let hostile = "<img src=x onerror=alert(1)>"
            let query = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/setup?token=\(query)", method: .get) { response in
                #expect(response.status == .notFound)
                let html = String(buffer: response.body)
                #expect(!html.contains("<img"))
                #expect(!html.contains("onerror"))
                #expect(response.headers[.contentSecurityPolicy] != nil)
            }
            // A hostile form post is not reflected either.
            let body = H.formBody(["token": hostile, "password": hostile + hostile, "confirm": hostile + hostile])
            try await client.execute(uri: "/setup", method: .post, headers: H.form(), body: body) { response in
                // The unknown token gets the HTML error page, with nothing of the post in it.
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let html = String(buffer: response.body)
                #expect(html.contains("<html") || html.contains("<!doctype") || html.contains("<!DOCTYPE"))
                #expect(!html.contains("<img"))
                #expect(!html.contains("onerror"))
            }
        }
    }

    @Test func aLoginRaisesAnOlderPasswordCost() async throws {
        let harness = try H { $0.ownerPasswordCost = .standard }
        let older = try await OwnerPasswordHasher(cost: .init(logN: 14, r: 8, p: 1)).hash(H.password)
        try await harness.withStore { store in
            let secret = try #require(try await store.replaceOwnerSetupSecret())
            _ = try await store.completeOwnerSetup(secret: secret, password: older, sessionLifetime: 60_000)
        }
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/login", method: .post, headers: H.form(), body: H.formBody(["password": H.password])) {
                #expect($0.status == .seeOther)
            }
        }
        let stored = try #require(try await harness.withStore { try await $0.ownerPasswordHash() })
        #expect(stored.logN == 15)
        #expect(stored.salt != older.salt)
    }

    @Test func originsAreComparedInNormalForm() {
        let cases: [(String, String?)] = [
            ("http://localhost", "http://localhost"),
            ("HTTP://LocalHost:80", "http://localhost"),
            ("https://calls.example.net:443/some/path?q", "https://calls.example.net"),
            ("https://calls.example.net:8443", "https://calls.example.net:8443"),
            ("http://[::1]:8444", "http://[::1]:8444"),
            ("null", nil),
            ("file:///etc/passwd", nil),
            ("javascript:alert(1)", nil),
            ("http://user@localhost", nil),
            ("http://", nil),
            ("", nil),
        ]
        for (input, expected) in cases {
            #expect(OwnerOriginPolicy.normalize(input) == expected, "\(input)")
        }
        #expect(OwnerOriginPolicy.isBearerSecret(String(repeating: "a", count: 43)))
        #expect(!OwnerOriginPolicy.isBearerSecret(String(repeating: "a", count: 42)))
        #expect(!OwnerOriginPolicy.isBearerSecret(String(repeating: "a", count: 42) + "="))
    }

    @Test func theSetupURLUsesTheGivenBase() async throws {
        let harness = try H()
        let url = try #require(
            try await harness.withStore { try await ownerSetupURL(owners: $0, baseURL: "https://calls.example.net/") }
        )
        #expect(url.hasPrefix("https://calls.example.net/setup?token="))
        #expect(url.count == "https://calls.example.net/setup?token=".count + 43)
        var configuration = harness.configuration
        configuration.host = "0.0.0.0"
        #expect(ownerBaseURL(configuration: configuration, port: 8444) == "http://127.0.0.1:8444")
        configuration.gatewayURL = "https://calls.example.net"
        #expect(ownerBaseURL(configuration: configuration, port: 8444) == "https://calls.example.net")
    }

    static func sha256(_ text: String) -> String {
        // The same digest `Secrets.hash` stores.
        Secrets.hash(text)
    }
}

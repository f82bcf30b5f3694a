import CallStore
import Foundation
@testable import Gateway
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TestSupport
import Testing

/// The web client's routes on the real application: pages with their security headers, embedded
/// assets with revalidation, the client settings, call modes, and the link preview (which never uses a
/// token and is throttled like a join).
/// `.live` only for the link preview tests: a peer joins, or is refused, on a real WebSocket; the rest go through the router.
@Suite struct WebClientTests {
    typealias H = OwnerHarness

    @Test func theCallPageIsStaticWithAStrictPolicyAndLoadingItSpendsNothing() async throws {
        try await withLiveRoom(overSocket: false) { live in
            let token = live.room.hostToken.secret
            for _ in 0..<2 {
                try await live.client.execute(uri: "/calls?room=\(live.room.code)&token=\(token)", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.headers[.cacheControl] == "no-store")
                    let policy = try #require(response.headers[.contentSecurityPolicy])
                    #expect(policy.contains("script-src 'self';"))
                    #expect(policy.contains("style-src 'self';"))
                    #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
                    #expect(policy.contains("frame-ancestors 'none'"))
                    #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                    let html = String(buffer: response.body)
                    #expect(html.contains("<script type=\"module\" src=\"/calls/assets/call.js\"></script>"))
                    // The page is the same file whatever the query says: nothing from the URL is in it.
                    #expect(!html.contains(token) && !html.contains(live.room.code))
                    // No inline script: every <script> has a src.
                    #expect(html.components(separatedBy: "<script").count - 1 == html.components(separatedBy: "<script src=").count - 1 + html.components(separatedBy: "<script type=\"module\" src=").count - 1)
                }
            }
            let status = try await live.side.read { db in
                try String.fetchOne(db, sql: "SELECT state FROM tokens WHERE token_id = ?", arguments: [live.room.hostToken.id])
            }
            #expect(status == "issued")
        }
    }

    @Test func thePanelIsForTheOwnerAndSendsAnyoneElseToSignIn() async throws {
        let harness = try H()
        let token = try await harness.apiToken()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/calls", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/login")
            }
            try await client.execute(uri: "/calls", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("/calls/assets/panel.js"))
                #expect(String(buffer: response.body).contains("<script src=\"/calls/toast.js\" defer></script>"))
            }
            // The signed-in page includes the toast, with a policy that allows exactly that.
            let cookie = try await harness.setUpOwner(client)
            try await client.execute(uri: "/login", method: .get, headers: [.cookie: "crow_session=\(cookie)"]) { response in
                #expect(String(buffer: response.body).contains("<script src=\"/calls/toast.js\" defer></script>"))
                #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            }
            try await client.execute(uri: "/login", method: .get) { response in
                #expect(!String(buffer: response.body).contains("<script"))
                #expect(response.headers[.contentSecurityPolicy]?.contains("script-src") == false)
            }
        }
    }

    @Test func assetsAreRevalidatedByETagAndOnlyListedFilesAreServed() async throws {
        let harness = try H()
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            let etag = try await client.execute(uri: "/calls/assets/call.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
                #expect(response.headers[.cacheControl] == "no-cache")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(String(buffer: response.body).contains("new Mesh("))
                return try #require(response.headers[.eTag])
            }
            try await client.execute(uri: "/calls/assets/call.js", method: .get, headers: [.ifNoneMatch: etag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/calls/assets/call.js", method: .get, headers: [.ifNoneMatch: "\"other\""]) { response in
                #expect(response.status == .ok)
            }
            for uri in ["/calls/toast.js", "/calls/assets/toast.css", "/calls/assets/calls.css", "/calls/assets/icon.svg", "/calls/assets/safe-url.js"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok, "\(uri)") }
            }
            // The link rule has one copy: the toast is served with it in front (one tag on any page), and
            // neither the toast nor the service worker carries its own.
            let rule = try await client.execute(uri: "/calls/assets/safe-url.js", method: .get) { String(buffer: $0.body) }
            try await client.execute(uri: "/calls/toast.js", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.hasPrefix(rule))
                #expect(text.components(separatedBy: "url.protocol === 'http:'").count == 2)
            }
            try await client.execute(uri: "/calls/sw.js", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("importScripts('/calls/assets/safe-url.js')"))
                #expect(!text.contains("url.protocol"))
            }
            // Pages only through their routes; nothing outside the embedded list; no path tricks.
            for uri in [
                "/calls/assets/call.html", "/calls/assets/nope.js", "/calls/assets/..%2FPackage.swift",
                "/calls/assets/WebAssets.swift", "/calls/modes/test-canvas.js",
            ] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .notFound, "\(uri)") }
            }
        }
    }

    @Test func clientSettingsNameTheConfiguredModesAndServeThem() async throws {
        let modes = try TemporaryDirectory()
        try "export default { label: 'Mine', start() { return { stream: new MediaStream() }; } };"
            .write(toFile: modes.path + "/avatar.js", atomically: true, encoding: .utf8)
        let harness = try H {
            $0.callModes = ["test-canvas", "avatar"]
            $0.callModesDirectory = modes.path
            $0.bellPollInterval = 7
            $0.stunURLs = ["stun:stun.example.net:3478"]
        }
        let app = try await buildApplication(harness.configuration)
        try await app.test(.router) { client in
            try await client.execute(uri: "/calls/client.json", method: .get) { response in
                let body = H.object(response)
                #expect(body["bellPollSeconds"] as? Int == 7)
                #expect(body["invites"] as? Bool == true)
                // Which kinds of ICE server participants get; a TURN server needs its secret too.
                #expect(body["iceServers"] as? [String: Bool] == ["stun": true, "turn": false])
                // The call page's debug hook (which holds the resume secret) is off unless configured.
                #expect(body["debug"] as? Bool == false)
                let listed = (body["modes"] as? [[String: Any]])?.compactMap { $0["module"] as? String }
                #expect(listed == ["/calls/modes/test-canvas.js", "/calls/modes/avatar.js"])
            }
            try await client.execute(uri: "/calls/modes/avatar.js", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("label: 'Mine'"))
            }
            try await client.execute(uri: "/calls/modes/test-canvas.js", method: .get) { response in
                #expect(String(buffer: response.body).contains("captureStream"))
            }
            try await client.execute(uri: "/calls/modes/other.js", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func badModeSettingsStopTheStartWithTheirName() throws {
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.fromEnvironment(["CROW_CALLS_MODES": "test-canvas,Bad Name"]).validate()
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.fromEnvironment(["CROW_CALLS_MODES": "missing"]).validate()
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.fromEnvironment(["CROW_CALLS_BELL_INTERVAL": "0"])
        }
        do {
            try GatewayConfiguration.fromEnvironment(["CROW_CALLS_MODES": "missing", "CROW_CALLS_MODES_DIR": "/nonexistent"]).validate()
            Issue.record("a mode with no file was accepted")
        } catch {
            #expect(error.setting == "CROW_CALLS_MODES" && error.value == "missing")
        }
        try GatewayConfiguration.fromEnvironment(["CROW_CALLS_MODES": "test-canvas"]).validate()
    }

    @Test func theLinkPreviewAnswersLikeAJoinWithoutUsingTheToken() async throws {
        try await withLiveRoom { live in
            let code = live.room.code
            let host = live.room.hostToken.secret
            let guest = try #require(live.room.guest).token.secret
            try await live.client.execute(uri: "/calls/link?room=\(code)&token=\(host)", method: .get) { response in
                #expect(response.status == .ok)
                let body = H.object(response)
                #expect(body["role"] as? String == "host")
                #expect(body["hostName"] as? String == "Ada")
                #expect(body["peerCount"] as? Int == 0)
                #expect(body["maxPeers"] as? Int == 4)
            }
            // The token still admits, once; afterwards the preview says it was used.
            let ada = live.host(name: "Ada")
            try await withPeers([ada]) { _ in
                try await live.client.execute(uri: "/calls/link?room=\(code)&token=\(host)", method: .get) { response in
                    #expect(response.status == .conflict)
                    #expect(H.errorCode(response) == "token_used")
                }
                try await live.client.execute(uri: "/calls/link?room=\(code)&token=\(guest)", method: .get) { response in
                    #expect(H.object(response)["peerCount"] as? Int == 1)
                }
            }
            for (uri, status, code) in [
                ("/calls/link?room=\(code)", 400, "invalid_request"),
                ("/calls/link?room=bad!&token=x", 400, "invalid_request"),
                ("/calls/link?room=\(code)&token=unknown", 401, "token_invalid"),
                ("/calls/link?room=aaaaaaaaaaaa&token=\(guest)", 404, "room_not_found"),
            ] {
                try await live.client.execute(uri: uri, method: .get) { response in
                    #expect(Int(response.status.code) == status, "\(uri)")
                    #expect(H.errorCode(response) == code, "\(uri)")
                }
            }
        }
    }

    @Test func failedPreviewsCountAsFailedJoinsForTheThrottle() async throws {
        try await withLiveRoom { live in
            let guest = try #require(live.room.guest).token.secret
            // Ten failed previews from one client reach the limit of ten failed joins a minute.
            for attempt in 0..<10 {
                try await live.client.execute(uri: "/calls/link?room=\(live.room.code)&token=wrong\(attempt)", method: .get) { response in
                    #expect(response.status == .unauthorized)
                }
            }
            try await live.client.execute(uri: "/calls/link?room=\(live.room.code)&token=\(guest)", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] != nil)
            }
            // The same client is refused on the WebSocket too, even with a good token.
            let upgrade = try await upgradeAttempt(port: live.port, query: query(live.room.code, token: guest))
            #expect(upgrade.status == 429 && upgrade.code == "rate_limited")
        }
    }
}

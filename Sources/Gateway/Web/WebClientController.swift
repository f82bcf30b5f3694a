import CallStore
import CrowSecurity
import Decisions
import Foundation
import HTTPTypes
import Hummingbird
import Signaling
import WebAssets

/// The web client's routes (docs/WEB.md): the call page, the Calls panel, the self-test page, their
/// scripts and styles, the toast banner, the extra call modes, and the one guest read the call page
/// needs (`/calls/link`).
///
/// The pages are static files: everything they show comes from the JSON API, so no server-side
/// template ever interpolates untrusted text into HTML.
struct WebClientController: Sendable {
    let store: CallStore
    let abuse: AbuseGuard
    let configuration: GatewayConfiguration
    let assets: [String: StaticFile]
    let callPage: StaticFile
    let panelPage: StaticFile
    /// `/calls/check`, the self-test page: for anyone (a guest sent there by an error on the call page),
    /// with the owner's part loaded from owner-only routes.
    let checkPage: StaticFile
    let toast: StaticFile
    let serviceWorker: StaticFile
    /// Mode name → its module, for the modes switched on in configuration.
    let modes: [String: StaticFile]

    /// Pages may run only the gateway's own scripts and styles, talk only to the gateway (HTTP and its
    /// WebSocket: CSP's `'self'` covers `ws:`/`wss:` to the same host), and show camera and screen
    /// streams. No inline script or style anywhere.
    static let pagePolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static let pageHeaders: HTTPFields = [
        .contentSecurityPolicy: pagePolicy,
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Permissions-Policy")!: "camera=(self), microphone=(self), display-capture=(self)",
        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
    ]

    /// The Calls panel's: the same, but with `Referrer-Policy: same-origin`. Its forms and fetches post
    /// to the gateway with the session cookie, and under `no-referrer` browsers send `Origin: null` on
    /// those (the owner rule then needs `Sec-Fetch-Site`, which some browsers do not send). The call
    /// page keeps `no-referrer`: its URL holds a join token, and it posts nothing with a cookie.
    static let panelHeaders: HTTPFields = {
        var headers = pageHeaders
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return headers
    }()

    init(store: CallStore, abuse: AbuseGuard, configuration: GatewayConfiguration) throws {
        self.store = store
        self.abuse = abuse
        self.configuration = configuration
        let assets = WebAssets.all.mapValues { StaticFile(contentType: $0.contentType, bytes: $0.bytes) }
        guard let callPage = assets["call.html"], let panelPage = assets["panel.html"], let checkPage = assets["check.html"],
            let toast = WebAssets.all["toast.js"], let safeURL = WebAssets.all["safe-url.js"], let serviceWorker = assets["sw.js"]
        else {
            preconditionFailure("the web client's pages are missing from WebAssets.all")
        }
        self.assets = assets
        self.callPage = callPage
        self.panelPage = panelPage
        self.checkPage = checkPage
        // `/calls/toast.js` stays one tag for any page: it carries the link rule it needs in front of it.
        self.toast = StaticFile(contentType: toast.contentType, bytes: safeURL.bytes + Array("\n".utf8) + toast.bytes)
        self.serviceWorker = serviceWorker
        var modes: [String: StaticFile] = [:]
        for name in configuration.callModes {
            if let builtIn = WebAssets.builtInModes[name], let asset = WebAssets.all[builtIn] {
                modes[name] = StaticFile(contentType: asset.contentType, bytes: asset.bytes)
            } else if let directory = configuration.callModesDirectory {
                let path = CallModeName.file(name, in: directory)
                guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else {
                    throw ConfigurationError(setting: "CROW_CALLS_MODES", value: name, reason: "\(path) cannot be read or is over 1 MiB")
                }
                modes[name] = StaticFile(contentType: "text/javascript; charset=utf-8", bytes: Array(data))
            }
        }
        self.modes = modes
    }

    func addRoutes(to router: Router<GatewayContext>) {
        router.get("calls") { request, context in page(request, context: context) }
        router.get("calls/check") { request, _ -> Response in checkPage.response(to: request, headers: Self.pageHeaders) }
        router.get("calls/assets/:name") { request, context -> Response in
            guard let name = context.parameters.get("name"), let file = assets[name], !name.hasSuffix(".html"), name != "sw.js" else {
                return Response(status: .notFound)
            }
            return file.response(to: request, revalidated: true)
        }
        router.get("calls/toast.js") { request, _ -> Response in
            toast.response(to: request, revalidated: true)
        }
        // The service worker for Web Push, under /calls so that its scope is /calls/.
        router.get("calls/sw.js") { request, _ -> Response in
            serviceWorker.response(to: request, revalidated: true)
        }
        router.get("calls/modes/:file") { request, context -> Response in
            guard let file = context.parameters.get("file"), file.hasSuffix(".js"), let mode = modes[String(file.dropLast(3))] else {
                return Response(status: .notFound)
            }
            return mode.response(to: request, revalidated: true)
        }
        router.get("calls/client.json") { _, _ in try clientSettings() }
        router.get("calls/link") { request, context in try await previewLink(request, context: context) }
    }

    /// `/calls?room=…&token=…` is the call page for whoever holds the link; `/calls` alone is the
    /// owner's panel, and sends anyone else to sign in.
    func page(_ request: Request, context: GatewayContext) -> Response {
        if request.uri.queryParameters["room"] != nil {
            return callPage.response(to: request, headers: Self.pageHeaders)
        }
        guard context.owner != nil else {
            return Response(status: .seeOther, headers: [.location: "/login", .cacheControl: "no-store"])
        }
        return panelPage.response(to: request, headers: Self.panelHeaders)
    }

    /// What every page needs to know about this gateway. Nothing secret: the call page reads it too.
    func clientSettings() throws -> Response {
        struct Mode: Encodable {
            var name: String
            var module: String
        }
        /// Which kinds of ICE server participants get (the call page's welcome lists them anyway).
        struct IceServers: Encodable {
            var stun: Bool
            var turn: Bool
        }
        struct Settings: Encodable {
            var bellPollSeconds: Int
            /// `CROW_CALLS_DEBUG`: the call page exposes `window.crowCall`.
            var debug: Bool
            var iceServers: IceServers
            /// Always true: every gateway sends invites through its Nostr outbox. Kept for pages of older
            /// versions, which read it.
            var invites: Bool
            var maxPeers: Int
            var modes: [Mode]
            /// How long (ms) a dropped participant's seat is kept for a resume: the call page stops
            /// reconnecting after it.
            var resumeGraceMs: Int64
        }
        return try JSONBody.response(
            Settings(
                bellPollSeconds: configuration.bellPollInterval,
                debug: configuration.debugHooks,
                iceServers: IceServers(stun: !configuration.stunURLs.isEmpty, turn: !configuration.turnURLs.isEmpty && configuration.turnSecret != nil),
                invites: true,
                maxPeers: configuration.maxPeers,
                modes: configuration.callModes.map { Mode(name: $0, module: "/calls/modes/\($0).js") },
                resumeGraceMs: configuration.resumeGrace
            )
        )
    }

    /// `GET /calls/link?room=&token=`: what the link would do if used now, without using it. Refusals
    /// are those of a join (same codes, same statuses) and count as failed joins for the throttle, so
    /// this is no better an oracle for guessing tokens than `/calls/ws` itself.
    func previewLink(_ request: Request, context: GatewayContext) async throws -> Response {
        let ip = context.clientIP
        let now = store.settings.clock()
        if let wait = abuse.blockedFor(ip: ip, now: now) { throw GatewayError.rateLimited(retryAfter: wait) }
        let query = request.uri.queryParameters
        guard let room = query["room"].map(String.init), TextRules.isRoomCode(room) else {
            throw GatewayError.invalidRequest("room is missing or malformed")
        }
        guard let token = query["token"].map(String.init), (1...256).contains(token.utf8.count) else {
            throw GatewayError.invalidRequest("token is missing or malformed")
        }
        struct Preview: Encodable {
            var roomCode: String
            var hostName: String
            var role: String
            var maxPeers: Int
            var peerCount: Int
            var expiresAt: Int64
        }
        do {
            let preview = try await store.previewLink(room: room, token: token)
            return try JSONBody.response(
                Preview(
                    roomCode: preview.roomCode,
                    hostName: preview.hostName,
                    role: preview.role.rawValue,
                    maxPeers: preview.maxPeers,
                    peerCount: preview.peerCount,
                    expiresAt: preview.expiresAt
                )
            )
        } catch {
            let refusal = ErrorStatus.gatewayError(error)
            if AbuseGuard.isFailedJoin(refusal.code) {
                abuse.recordFailure(ip: ip, now: now)
            }
            throw refusal
        }
    }
}

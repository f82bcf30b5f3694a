import CrowSecurity
import Invites
import OwnerStore
import CallStore
import Decisions
import Foundation
import Hummingbird
import Logging
import Nostr
import NIOCore

/// First-run setup, login, logout and `GET /api/owner`.
///
/// Form posts (`application/x-www-form-urlencoded`, what the pages send) are answered with pages and
/// redirects; JSON posts (the web client's `fetch`) with JSON and the error shape of docs/API.md.
struct OwnerRoutes: Sendable {
    let owners: OwnerStore
    let origins: OwnerOriginPolicy
    /// Told of a sign-out at once, so the cookie stops working on the very next request.
    let credentials: OwnerCredentialCache
    /// The gateway's Nostr public key, shown to the owner (contacts add it to call this gateway).
    let identity: NostrPublicKey
    let throttle: LoginThrottle
    let hasher: OwnerPasswordHasher
    /// Milliseconds.
    let sessionLifetime: Int64
    /// The public address: setup asks for it (unless the configuration sets it).
    let address: PublicAddress
    let suggestions: PublicAddressSuggestions
    /// Where a successful login or setup leads.
    static let home = "/calls"
    static let maxFormBytes = 8192

    static let busy = GatewayError(
        .serviceUnavailable,
        code: "busy",
        message: "too many sign-ins at once; try again in a moment",
        headers: [.retryAfter: "1"]
    )
    static let wrongPassword = GatewayError(.unauthorized, code: "invalid_credentials", message: "wrong password")

    func addRoutes(to router: Router<GatewayContext>) {
        router.get("setup") { request, _ in try await setupPage(request) }
        router.post("setup") { request, context in try await setup(request, context: context) }
        router.get("login") { _, context in try await loginPage(context) }
        router.post("login") { request, context in try await login(request, context: context) }
        router.post("logout") { request, context in try await logout(request, context: context) }
        router.group("api/owner").add(middleware: RequireOwnerMiddleware()).get { _, context in
            try JSONBody.response(["owner": Self.kind(of: context.owner), "npub": identity.npub, "pubkey": identity.hex])
        }
    }

    static func kind(of owner: OwnerPrincipal?) -> String {
        switch owner {
        case .session: return "session"
        case .apiToken: return "api_token"
        case nil: return "none"
        }
    }

    // MARK: - Setup

    func setupPage(_ request: Request) async throws -> Response {
        guard try await !ownerExists() else { return OwnerHTML.alreadySetUp() }
        guard let token = request.uri.queryParameters["token"].map(String.init),
            OwnerOriginPolicy.isBearerSecret(token),
            try await call({ try await owners.ownerSetupSecretIsValid(token) })
        else { return OwnerHTML.setupInvalid() }
        return OwnerHTML.setupForm(token: token, address: try await setupAddress(request, entered: nil))
    }

    /// The address part of the setup form: the configured address, or a field prefilled with what the
    /// owner entered or else the best suggestion.
    func setupAddress(_ request: Request, entered: String?) async throws -> OwnerHTML.SetupAddress {
        if let configured = address.configured { return .configured(configured) }
        let offered = await suggestions.suggestions(authority: request.head.authority, https: request.head.scheme == "https")
        return .field(value: entered ?? offered.first ?? "", suggestions: offered)
    }

    func setup(_ request: Request, context: GatewayContext) async throws -> Response {
        guard origins.allowsIfPresent(request) else { throw GatewayError.forbiddenOrigin }
        let form = try await Self.form(request)
        let token = form["token"] ?? ""
        guard try await !ownerExists() else { return OwnerHTML.alreadySetUp() }
        guard OwnerOriginPolicy.isBearerSecret(token), try await call({ try await owners.ownerSetupSecretIsValid(token) }) else {
            return OwnerHTML.setupInvalid()
        }
        let entered = address.configured == nil ? form["address"] : nil
        if let problem = OwnerPasswordHasher.problem(password: form["password"] ?? "", confirmation: form["confirm"] ?? "") {
            return OwnerHTML.setupForm(
                token: token, address: try await setupAddress(request, entered: entered), error: problem, status: .badRequest)
        }
        let publicAddress: String?
        do {
            publicAddress = try PublicAddressRule.checked(entered)
        } catch {
            return OwnerHTML.setupForm(
                token: token, address: try await setupAddress(request, entered: entered), error: error.description, status: .badRequest)
        }
        let hash: OwnerPasswordHash
        do {
            hash = try await hasher.hash(form["password"] ?? "")
        } catch is OwnerPasswordHasher.Busy {
            throw Self.busy
        }
        let session: IssuedOwnerSecret
        do {
            session = try await owners.completeOwnerSetup(
                secret: token, password: hash, sessionLifetime: sessionLifetime, publicAddress: publicAddress)
        } catch .ownerExists {
            return OwnerHTML.alreadySetUp()
        } catch .setupSecretInvalid {
            return OwnerHTML.setupInvalid()
        } catch {
            throw ErrorStatus.storageError
        }
        if let publicAddress { address.setSaved(publicAddress) }
        context.logger.notice("owner password set; setup link consumed", metadata: ["session": "\(session.id)"])
        return redirect(to: Self.home, setting: session, request)
    }

    // MARK: - Login and logout

    func loginPage(_ context: GatewayContext) async throws -> Response {
        if case .session = context.owner { return OwnerHTML.login(signedIn: true) }
        return OwnerHTML.login(ownerExists: try await ownerExists())
    }

    func login(_ request: Request, context: GatewayContext) async throws -> Response {
        guard origins.allowsIfPresent(request) else { throw GatewayError.forbiddenOrigin }
        let wantsJSON = Self.isJSON(request)
        let password: String
        if wantsJSON {
            struct Credentials: Decodable { var password: String? }
            password = try await JSONBody.decode(Credentials.self, from: request, limit: Self.maxFormBytes).password ?? ""
        } else {
            password = try await Self.form(request)["password"] ?? ""
        }
        let client = context.clientIP
        if case .refused(let retryAfter) = throttle.begin(client) {
            context.logger.notice("owner login throttled", metadata: ["client": "\(client)"])
            let refusal = GatewayError.rateLimited(retryAfter: retryAfter)
            if wantsJSON { throw refusal }
            return OwnerHTML.login(
                error: "Too many failed attempts. Try again in \(retryAfter) seconds.",
                status: .tooManyRequests,
                headers: refusal.headers
            )
        }
        let stored = try await call { try await owners.ownerPasswordHash() }
        let matches: Bool
        do {
            matches = try await hasher.verify(password, against: stored)
        } catch is OwnerPasswordHasher.Busy {
            throw Self.busy
        }
        guard matches, let stored else {
            context.logger.notice("owner login failed", metadata: ["client": "\(client)"])
            if wantsJSON { throw Self.wrongPassword }
            return OwnerHTML.login(error: "Wrong password.", ownerExists: stored != nil, status: .unauthorized)
        }
        throttle.succeeded(client)
        let session = try await call { try await owners.createOwnerSession(lifetime: sessionLifetime) }
        if hasher.needsRehash(stored), let upgraded = try? await hasher.hash(password) {
            try? await owners.replaceOwnerPasswordHash(upgraded)
        }
        context.logger.notice("owner signed in", metadata: ["session": "\(session.id)", "client": "\(client)"])
        if wantsJSON {
            var response = try JSONBody.response(["owner": "session"])
            response.headers[.setCookie] = cookie(for: session, request)
            return response
        }
        return redirect(to: Self.home, setting: session, request)
    }

    /// Ends the session of the presented cookie (server side too) and clears the cookie. A valid session
    /// reaching here has passed the Origin check of `OwnerAuthMiddleware`.
    func logout(_ request: Request, context: GatewayContext) async throws -> Response {
        guard origins.allowsIfPresent(request) else { throw GatewayError.forbiddenOrigin }
        if let secret = OwnerOriginPolicy.sessionSecret(in: request) {
            try await call { try await owners.endOwnerSession(secret: secret) }
            credentials.forget(digest: SecretDigest(secret))
        }
        if case .session(let id) = context.owner { context.logger.notice("owner signed out", metadata: ["session": "\(id)"]) }
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers[.setCookie] = origins.clearedSessionCookie(secure: origins.isSecure(request))
        if Self.isForm(request) {
            headers[.location] = "/login"
            return Response(status: .seeOther, headers: headers)
        }
        return Response(status: .noContent, headers: headers)
    }

    // MARK: - Helpers

    func ownerExists() async throws -> Bool {
        try await call { try await owners.ownerExists() }
    }

    func cookie(for session: IssuedOwnerSecret, _ request: Request) -> String {
        origins.sessionCookie(session.secret, maxAge: sessionLifetime / 1000, secure: origins.isSecure(request))
    }

    func redirect(to location: String, setting session: IssuedOwnerSecret, _ request: Request) -> Response {
        var headers: HTTPFields = [.location: location, .cacheControl: "no-store"]
        headers[.setCookie] = cookie(for: session, request)
        return Response(status: .seeOther, headers: headers)
    }

    func call<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch is OwnerError {
            throw ErrorStatus.storageError
        }
    }

    static func isJSON(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true
    }

    static func isForm(_ request: Request) -> Bool {
        request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
    }

    /// An `application/x-www-form-urlencoded` body of at most `maxFormBytes`; the first value of each name.
    static func form(_ request: Request) async throws -> [String: String] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxFormBytes)
        } catch {
            throw GatewayError(.contentTooLarge, code: "invalid_request", message: "the body is larger than \(maxFormBytes) bytes")
        }
        return parseForm(String(buffer: buffer))
    }

    static func parseForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String? {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]) else { continue }
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if fields[name] == nil, let value { fields[name] = value }
        }
        return fields
    }
}

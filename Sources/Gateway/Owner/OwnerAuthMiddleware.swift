import CallStore
import Decisions
import Hummingbird
import OwnerStore

/// Recognises owner credentials on every request mounted after it: `Authorization: Bearer <api token>`
/// or the `crow_session` cookie. A valid one sets `context.owner`; an invalid one leaves it nil (routes
/// that need the owner then answer 401). Secrets are never logged.
///
/// CSRF: a state-changing request (anything but GET, HEAD, OPTIONS) authenticated by the cookie must
/// carry an `Origin` equal to the gateway's own, or it is refused with 403 `bad_origin`. Bearer requests
/// are exempt: browsers never attach that header on their own.
struct OwnerAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let owners: OwnerStore
    let origins: OwnerOriginPolicy
    let credentials: OwnerCredentialCache
    let clock: @Sendable () -> Int64

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let bearer = OwnerOriginPolicy.bearerSecret(in: request), let owner = try await apiToken(bearer) {
            context.owner = owner
        } else if let cookie = OwnerOriginPolicy.sessionSecret(in: request), let owner = try await session(cookie) {
            if OwnerOriginPolicy.changesState(request.method) && !origins.matches(request), case .session(let id) = owner {
                context.logger.notice("refused a cookie-authenticated request without a matching Origin", metadata: ["session": "\(id)"])
                throw GatewayError.forbiddenOrigin
            }
            context.owner = owner
        }
        return try await next(request, context)
    }

    private func apiToken(_ secret: String) async throws -> OwnerPrincipal? {
        let hash = Secrets.hash(secret)
        let now = clock()
        if let known = credentials.principal(hash: hash, now: now) { return known }
        let stamp = credentials.stamp()
        guard let id = try await lookup({ try await owners.ownerAPITokenID(secret: secret) }) else { return nil }
        credentials.remember(hash: hash, principal: .apiToken(id: id), stamp: stamp, now: now)
        return .apiToken(id: id)
    }

    private func session(_ secret: String) async throws -> OwnerPrincipal? {
        let hash = Secrets.hash(secret)
        let now = clock()
        if let known = credentials.principal(hash: hash, now: now) { return known }
        let stamp = credentials.stamp()
        guard let session = try await lookup({ try await owners.ownerSession(secret: secret) }) else { return nil }
        credentials.remember(hash: hash, principal: .session(id: session.id), stamp: stamp, now: now, expiresAt: session.expiresAt)
        return .session(id: session.id)
    }

    private func lookup<T>(_ body: () async throws -> T?) async throws -> T? {
        do {
            return try await body()
        } catch is OwnerError {
            throw ErrorStatus.storageError
        }
    }
}

/// Refuses requests without owner credentials: 401 `unauthorized` with `WWW-Authenticate: Bearer`.
/// Put it on every owner-only group (after `OwnerAuthMiddleware`, which `addOwnerRoutes` mounts first).
struct RequireOwnerMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    init() {}

    static let refusal: GatewayError = {
        var error = GatewayError.unauthorized
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.owner != nil else { throw Self.refusal }
        return try await next(request, context)
    }
}

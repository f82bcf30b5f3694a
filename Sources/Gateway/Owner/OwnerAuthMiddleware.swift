import Hummingbird

/// Recognises owner credentials on every request mounted after it: `Authorization: Bearer <api token>`
/// or the `crow_session` cookie. A valid one sets `context.owner`; an invalid one leaves it nil (routes
/// that need the owner then answer 401). Secrets are never logged.
///
/// CSRF: a state-changing request (anything but GET, HEAD, OPTIONS) authenticated by the cookie must
/// come from the gateway's own pages (`OwnerOriginPolicy.isSameOrigin`: a matching `Origin`, or
/// `Sec-Fetch-Site: same-origin` where the browser sent `Origin: null` or none), or it is refused with
/// 403 `bad_origin`. Bearer requests are exempt: browsers never attach that header on their own.
struct OwnerAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let credentials: OwnerCredentialCheck
    let origins: OwnerOriginPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let bearer = OwnerOriginPolicy.bearerSecret(in: request), let owner = try await credentials.principal(.apiToken(bearer)) {
            context.owner = owner
        } else if let cookie = OwnerOriginPolicy.sessionSecret(in: request), let owner = try await credentials.principal(.session(cookie)) {
            if OwnerOriginPolicy.changesState(request.method) && !origins.isSameOrigin(request), case .session(let id) = owner {
                context.logger.notice("refused a cookie-authenticated request without a matching Origin", metadata: ["session": "\(id)"])
                throw GatewayError.forbiddenOrigin
            }
            context.owner = owner
        }
        return try await next(request, context)
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

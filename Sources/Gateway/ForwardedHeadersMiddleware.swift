import HTTPTypes
import Hummingbird

/// Behind a trusted reverse proxy (`CROW_TRUSTED_PROXIES`), takes the client's address from
/// `X-Forwarded-For` and the scheme from `X-Forwarded-Proto` (see `TrustedProxies.resolve`), so that
/// per-IP limits count real clients and the owner's pages know they were reached over HTTPS. Mounted
/// first, on the HTTP and the WebSocket routers alike. From any other peer it changes nothing.
struct ForwardedHeadersMiddleware: RouterMiddleware {
    typealias Context = GatewayContext

    let trusted: TrustedProxies

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !trusted.isEmpty, trusted.contains(context.clientIP) else { return try await next(request, context) }
        let resolved = trusted.resolve(
            peer: context.clientIP,
            forwardedFor: request.headers[values: Self.forwardedFor],
            forwardedProto: request.headers[Self.forwardedProto]
        )
        var context = context
        context.clientIP = resolved.client
        guard resolved.https else { return try await next(request, context) }
        // The scheme the browser used, where the owner's pages look for it (`OwnerOriginPolicy.isSecure`).
        var head = request.head
        head.scheme = "https"
        return try await next(Request(head: head, body: request.body), context)
    }
}

public import Foundation
public import Hummingbird
import HTTPTypes

/// An error answered as `{"error":{"code":"...","message":"..."}}` with its HTTP status (docs/API.md).
/// `code` is stable: clients branch on it; `message` is for people.
public struct GatewayError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Extra response headers, such as `Retry-After` or `WWW-Authenticate`.
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The JSON body.
    public var body: Data {
        struct Envelope: Encodable {
            struct Inner: Encodable {
                let code: String
                let message: String
            }
            let error: Inner
        }
        return (try? JSONBody.encode(Envelope(error: .init(code: code, message: message)))) ?? Data()
    }

    // Common errors.
    public static func invalidRequest(_ message: String) -> GatewayError {
        GatewayError(.badRequest, code: "invalid_request", message: message)
    }
    public static let unauthorized = GatewayError(
        .unauthorized,
        code: "unauthorized",
        message: "owner credentials are missing or invalid"
    )
    public static let forbiddenOrigin = GatewayError(
        .forbidden,
        code: "bad_origin",
        message: "the request's Origin does not match this gateway"
    )
    public static func rateLimited(retryAfter seconds: Int) -> GatewayError {
        GatewayError(
            .tooManyRequests,
            code: "rate_limited",
            message: "too many attempts; try again later",
            headers: [.retryAfter: "\(seconds)"]
        )
    }
    public static func notFound(_ message: String = "not found") -> GatewayError {
        GatewayError(.notFound, code: "not_found", message: message)
    }
}

import OwnerStore
import Foundation
import HTTPTypes
import Hummingbird

/// Which origin the owner's browser pages live on, and the session cookie's attributes.
///
/// The expected origin is the one of `CROW_GATEWAY_URL` when it is set; otherwise the request's own
/// `Host` with `https` under TLS and `http` without. A cookie-authenticated request that changes state
/// must carry an `Origin` equal to it.
struct OwnerOriginPolicy: Sendable {
    /// Normalized origin of the configured gateway URL.
    let configuredOrigin: String?
    let tls: Bool
    /// Whether the session cookie gets `Secure`.
    let secureCookies: Bool

    init(configuration: GatewayConfiguration) {
        configuredOrigin = configuration.gatewayURL.flatMap(Self.normalize)
        tls = configuration.tlsCertificate != nil
        secureCookies = tls || configuration.gatewayURL?.lowercased().hasPrefix("https://") == true
    }

    /// The origin a same-site browser request to this gateway carries, or nil when it cannot be known.
    func expectedOrigin(for request: Request) -> String? {
        if let configuredOrigin { return configuredOrigin }
        guard let host = request.head.authority, !host.isEmpty else { return nil }
        return Self.normalize("\(isSecure(request) ? "https" : "http")://\(host)")
    }

    /// Whether the browser reached the gateway over HTTPS: its own TLS, or a trusted proxy's
    /// (`X-Forwarded-Proto`, applied by `ForwardedHeadersMiddleware`).
    func isSecure(_ request: Request) -> Bool {
        tls || request.head.scheme == "https"
    }

    /// Whether the request carries an `Origin` header equal to the expected origin.
    func matches(_ request: Request) -> Bool {
        guard let presented = request.headers[.origin], let origin = Self.normalize(presented),
            let expected = expectedOrigin(for: request)
        else { return false }
        return origin == expected
    }

    /// Whether the request comes from this gateway's own pages. An `Origin` decides when it names one:
    /// it must equal the expected origin. Browsers send `Origin: null` instead (on a form post from a
    /// page with a strict referrer policy, among others), or no `Origin`; then only the browser's own
    /// `Sec-Fetch-Site: same-origin` vouches for it, a header no page script can set. `null` with
    /// anything else, or nothing, counts as cross-site.
    func isSameOrigin(_ request: Request) -> Bool {
        if let presented = request.headers[.origin], presented.trimmingCharacters(in: .whitespaces) != "null" {
            return matches(request)
        }
        return request.headers[Self.secFetchSite]?.lowercased() == "same-origin"
    }

    /// For form posts that need no session (login, setup): a request from a browser (it carries `Origin`
    /// or `Sec-Fetch-Site`) must be same-origin; one with neither (curl, scripts) is accepted.
    func allowsIfPresent(_ request: Request) -> Bool {
        if request.headers[.origin] == nil && request.headers[Self.secFetchSite] == nil { return true }
        return isSameOrigin(request)
    }

    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// Methods that change state: everything except GET, HEAD and OPTIONS.
    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    /// `scheme://host[:port]`, lowercased, default ports dropped; nil for anything that is not an
    /// http(s) origin (including the opaque origin `null`).
    static func normalize(_ text: String) -> String? {
        guard text.utf8.count <= 2048, !text.contains(where: { $0.isWhitespace || $0 == "\\" || $0 == "@" }),
            let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port = components.port, port != defaultPort { return "\(scheme)://\(hostPart):\(port)" }
        return "\(scheme)://\(hostPart)"
    }

    // MARK: - Session cookie

    static let cookieName = "crow_session"

    /// `secure`: the request came over HTTPS (see `isSecure`), which also earns the cookie `Secure`.
    func sessionCookie(_ value: String, maxAge seconds: Int64, secure: Bool = false) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(max(0, seconds)); HttpOnly; SameSite=Strict"
            + (secureCookies || secure ? "; Secure" : "")
    }

    func clearedSessionCookie(secure: Bool) -> String { sessionCookie("", maxAge: 0, secure: secure) }

    /// The session cookie's value, if it has the shape of one (43 base64url characters).
    static func sessionSecret(in request: Request) -> String? {
        guard let value = request.cookies[cookieName]?.value, isBearerSecret(value) else { return nil }
        return value
    }

    /// The Bearer token of an `Authorization` header, if it has the shape of one.
    static func bearerSecret(in request: Request) -> String? {
        // The header's own value, without the joined copy that `headers[.authorization]` makes. A request
        // with two `Authorization` fields names no single credential and gets none.
        var found: String?
        for field in request.headers where field.name == .authorization {
            guard found == nil else { return nil }
            found = field.value
        }
        guard var header = found else { return nil }
        // Byte by byte in the value's own storage, without copies or Foundation: this runs on every
        // request that carries credentials. The scheme is case-insensitive; spaces and tabs around the
        // token are allowed.
        return header.withUTF8 { bytes -> String? in
            let scheme: StaticString = "bearer"
            let length = scheme.utf8CodeUnitCount
            guard bytes.count > length, bytes[length] == 0x20 else { return nil }
            for index in 0..<length where bytes[index] | 0x20 != scheme.utf8Start[index] { return nil }
            var start = length
            var end = bytes.count
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            let token = UnsafeBufferPointer(rebasing: bytes[start..<end])
            return isBearerSecret(token) ? String(decoding: token, as: UTF8.self) : nil
        }
    }

    /// 32 random bytes as unpadded base64url.
    static func isBearerSecret(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isBearerSecret($0) }
    }

    static func isBearerSecret(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 43
            && bytes.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D
                    || $0 == 0x5F
            }
    }
}

public import Crypto
import Foundation

/// A browser's push subscription, as `PushSubscription.toJSON()` gives it: where to send (the push
/// service's endpoint URL) and the keys that encrypt for that browser. Checked on construction.
public struct PushSubscription: Sendable, Hashable {
    public let endpoint: String
    /// The browser's P-256 public key, uncompressed (65 bytes), base64url.
    public let p256dh: String
    /// The 16-byte authentication secret, base64url.
    public let auth: String

    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case endpoint
        case p256dh
        case auth

        public var description: String {
            switch self {
            case .endpoint: return "endpoint must be an https:// URL of at most 1024 characters (http:// only on loopback)"
            case .p256dh: return "keys.p256dh must be a P-256 public key (65 bytes, base64url)"
            case .auth: return "keys.auth must be 16 bytes, base64url"
            }
        }
    }

    public init(endpoint: String, p256dh: String, auth: String) throws(Refusal) {
        guard Self.isEndpoint(endpoint) else { throw .endpoint }
        guard let key = Base64URL.decode(p256dh), key.count == 65, (try? P256.KeyAgreement.PublicKey(x963Representation: key)) != nil else {
            throw .p256dh
        }
        guard let secret = Base64URL.decode(auth), secret.count == 16 else { throw .auth }
        self.endpoint = endpoint
        self.p256dh = Base64URL.encode(key)
        self.auth = Base64URL.encode(secret)
    }

    /// The browser's key, parsed.
    public var publicKey: P256.KeyAgreement.PublicKey {
        // Checked in init.
        try! P256.KeyAgreement.PublicKey(x963Representation: Base64URL.decode(p256dh)!)
    }

    public var authSecret: [UInt8] { Base64URL.decode(auth)! }

    /// `https://` to any host; `http://` only to a loopback host (a local receiver in tests or on the
    /// same machine). No user info, no fragment.
    public static func isEndpoint(_ text: String) -> Bool {
        guard text.utf8.count <= 1024, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty, url.user == nil, url.password == nil, url.fragment == nil
        else { return false }
        if scheme == "https" { return true }
        return scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
    }

    /// `scheme://host[:port]` of the endpoint: the audience of the VAPID token.
    public var origin: String {
        let url = URLComponents(string: endpoint)!
        var origin = "\(url.scheme!.lowercased())://\(url.host!)"
        if let port = url.port { origin += ":\(port)" }
        return origin
    }
}

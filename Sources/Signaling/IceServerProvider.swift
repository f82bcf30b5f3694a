import Crypto
import Foundation

/// The ICE servers a welcome carries (docs/CONFIGURATION.md). None by default: on a LAN or tailnet,
/// host candidates suffice. STUN URLs are passed as they are. TURN gets coturn's "REST API"
/// credentials: username `<expiry unix seconds>:<peer id>`, credential base64(HMAC-SHA1(secret, username)),
/// valid for `ttl` seconds. They go only to admitted peers, in their welcome.
public struct IceServerProvider: Sendable {
    public var stunURLs: [String]
    public var turnURLs: [String]
    public var turnSecret: String?
    /// Seconds.
    public var ttl: Int64

    public init(stunURLs: [String] = [], turnURLs: [String] = [], turnSecret: String? = nil, ttl: Int64 = 86_400) {
        self.stunURLs = stunURLs
        self.turnURLs = turnURLs
        self.turnSecret = turnSecret
        self.ttl = ttl
    }

    public func servers(for peerId: String, now: Int64) -> [IceServer] {
        var servers: [IceServer] = []
        if !stunURLs.isEmpty { servers.append(IceServer(urls: stunURLs)) }
        if !turnURLs.isEmpty, let turnSecret, !turnSecret.isEmpty {
            let username = "\(now / 1000 + ttl):\(peerId)"
            let mac = HMAC<Insecure.SHA1>.authenticationCode(
                for: Data(username.utf8),
                using: SymmetricKey(data: Data(turnSecret.utf8))
            )
            servers.append(IceServer(urls: turnURLs, username: username, credential: Data(mac).base64EncodedString()))
        }
        return servers
    }
}

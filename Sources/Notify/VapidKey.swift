import Crypto
import Foundation
public import SecretFile

/// The gateway's VAPID key (RFC 8292): a P-256 signing key that identifies it to push services. Browsers
/// subscribe with its public key; every push carries a short-lived ES256 token signed with it.
public struct VapidKey: Sendable {
    let key: P256.Signing.PrivateKey

    public init() {
        key = P256.Signing.PrivateKey()
    }

    /// From the private scalar as web-push tools write it: 32 bytes, base64url.
    public init?(privateKey text: String) {
        guard let raw = Base64URL.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32,
            let key = try? P256.Signing.PrivateKey(rawRepresentation: raw)
        else { return nil }
        self.key = key
    }

    /// The public key browsers pass to `pushManager.subscribe` (65 bytes uncompressed, base64url).
    public var publicKey: String { Base64URL.encode(key.publicKey.x963Representation) }

    /// The private scalar, base64url: what the key file holds.
    var privateKeyText: String { Base64URL.encode(key.rawRepresentation) }

    /// The `Authorization` header for a push to `audience` (the endpoint's origin):
    /// `vapid t=<JWT>, k=<public key>`. The token expires at `expiresAt` (Unix seconds; RFC 8292 allows
    /// at most 24 hours ahead).
    public func authorization(audience: String, subject: String, expiresAt: Int64) throws -> String {
        let header = Base64URL.encode(Array(#"{"typ":"JWT","alg":"ES256"}"#.utf8))
        let claims: [String: Any] = ["aud": audience, "exp": expiresAt, "sub": subject]
        let claimsJSON = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])
        let signingInput = header + "." + Base64URL.encode(claimsJSON)
        let signature = try key.signature(for: Data(signingInput.utf8))
        return "vapid t=\(signingInput).\(Base64URL.encode(signature.rawRepresentation)), k=\(publicKey)"
    }

    /// The key in `path`, made first when the file does not exist (mode 0600, atomic; `SecretFile`).
    public static func loadOrCreate(at path: String) throws(SecretFile.Failure) -> (key: VapidKey, created: Bool) {
        if !FileManager.default.fileExists(atPath: path) {
            let fresh = VapidKey()
            if try SecretFile.createOnce(at: path, contents: fresh.privateKeyText + "\n") { return (fresh, true) }
        }
        guard let key = VapidKey(privateKey: try SecretFile.read(at: path)) else {
            throw SecretFile.Failure(path: path, reason: "does not hold a VAPID private key (32 bytes, base64url)")
        }
        return (key, false)
    }
}

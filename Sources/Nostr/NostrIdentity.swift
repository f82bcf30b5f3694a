import Foundation
import SecretFile

/// The gateway's own Nostr key, kept in a file: one line with the `nsec`. The file is created on first
/// use with mode 0600, atomically, and never rewritten (`SecretFile`). A key file that others can read
/// is refused, as ssh refuses such a private key, because it would let them impersonate the gateway.
public enum NostrIdentity {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "Nostr key file \(path): \(reason)" }
    }

    /// The key in `path`, made first if the file does not exist. `created` says which.
    public static func loadOrCreate(at path: String) throws(Failure) -> (key: NostrSecretKey, created: Bool) {
        if FileManager.default.fileExists(atPath: path) { return (try load(at: path), false) }
        let key = NostrSecretKey.generate()
        guard let nsec = key.withUnsafeBytes({ NostrKey.nsec(Array($0)) }) else { throw Failure(path: path, reason: "could not encode the key") }
        let created: Bool
        do {
            created = try SecretFile.createOnce(at: path, contents: nsec + "\n")
        } catch {
            throw Failure(path: path, reason: error.reason)
        }
        // Another process made the file first: its key is the one.
        return created ? (key, true) : (try load(at: path), false)
    }

    /// The key in `path`: an `nsec` or 64 hex characters, alone on its line.
    public static func load(at path: String) throws(Failure) -> NostrSecretKey {
        var text: String
        do {
            text = try SecretFile.read(at: path)
        } catch {
            throw Failure(path: path, reason: error.reason)
        }
        defer { text = "" }
        guard let key = NostrSecretKey(text) else { throw Failure(path: path, reason: "does not hold an nsec or a 64-hex secret key") }
        return key
    }
}

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The gateway's own Nostr key, kept in a file: one line with the `nsec`. The file is created on first
/// use with mode 0600, atomically, and never rewritten. A key file that others can read is refused, as ssh refuses
/// such a private key, because it would let them impersonate the gateway.
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
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // Written whole to a private temporary file, then linked into place: the key file appears
        // complete or not at all, and when two processes start at once, the second link fails and that
        // process reads the first one's key.
        let temporary = path + ".tmp-\(Hex.encode(SystemRandom.bytes(6)))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw Failure(path: path, reason: "cannot be created (\(String(cString: strerror(errno))))") }
        defer { unlink(temporary) }
        let bytes = Array((nsec + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0 else { throw Failure(path: path, reason: "could not be written") }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return (try load(at: path), false) }
            throw Failure(path: path, reason: "cannot be created (\(String(cString: strerror(errno))))")
        }
        return (key, true)
    }

    /// The key in `path`: an `nsec` or 64 hex characters, alone on its line.
    public static func load(at path: String) throws(Failure) -> NostrSecretKey {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(path: path, reason: "cannot be read") }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(path: path, reason: "is readable by others; run chmod 600 on it")
        }
        guard info.st_size <= 1024, let data = FileManager.default.contents(atPath: path) else {
            throw Failure(path: path, reason: "cannot be read")
        }
        var text = String(decoding: data, as: UTF8.self)
        defer { text = "" }
        guard let key = NostrSecretKey(text) else { throw Failure(path: path, reason: "does not hold an nsec or a 64-hex secret key") }
        return key
    }
}

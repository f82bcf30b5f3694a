import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small file holding one secret (a private key), kept as ssh keeps its keys: created once with mode
/// 0600, atomically, never rewritten, and refused when group or others can read it.
public enum SecretFile {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }

        public init(path: String, reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// Writes `contents` to `path` unless the file exists. True when this call created it; false when
    /// it was there already, including when another process created it at the same moment.
    ///
    /// The text goes whole to a private temporary file that is then linked into place, so the file
    /// appears complete or not at all, and of two processes starting at once the second one's link
    /// fails and it reads the first one's secret.
    public static func createOnce(at path: String, contents: String) throws(Failure) -> Bool {
        if FileManager.default.fileExists(atPath: path) { return false }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let temporary = path + ".tmp-\(UInt64.random(in: 0...UInt64.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw Failure(path: path, reason: "cannot be created (\(String(cString: strerror(errno))))") }
        defer { unlink(temporary) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0 else { throw Failure(path: path, reason: "could not be written") }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return false }
            throw Failure(path: path, reason: "cannot be created (\(String(cString: strerror(errno))))")
        }
        return true
    }

    /// The file's text, after checking that only its owner can read it and that it is small.
    public static func read(at path: String, maxBytes: Int = 1024) throws(Failure) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(path: path, reason: "cannot be read") }
        guard info.st_mode & 0o077 == 0 else {
            throw Failure(path: path, reason: "is readable by others; run chmod 600 on it")
        }
        guard info.st_size <= maxBytes, let data = FileManager.default.contents(atPath: path) else {
            throw Failure(path: path, reason: "cannot be read")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

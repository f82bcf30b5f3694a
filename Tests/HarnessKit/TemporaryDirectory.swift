public import Foundation

/// A private directory (`<prefix>.XXXXXX`, mode 0700) under `parent` or the system temp dir, removed
/// by `remove()` or when the last reference goes.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "crow-tests", under parent: String? = nil) throws {
        let base = parent ?? NSTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var template = Array((base as NSString).appendingPathComponent("\(prefix).XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw HarnessError.failed("cannot create a temporary directory under \(base)") }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The path of `name` inside the directory (nothing is created or removed).
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The path of a database file `name` inside the directory, its earlier -wal/-shm files removed.
    public func freshDatabase(_ name: String) -> String {
        let file = file(name)
        removeDatabase(at: file)
        return file
    }

    /// Removes a database file and the files SQLite keeps beside it.
    public func removeDatabase(at file: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            try? FileManager.default.removeItem(atPath: file + suffix)
        }
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }

    deinit { remove() }
}

import Foundation

/// A private directory for benchmark files, removed by `remove()`.
struct TemporaryDirectory: Sendable {
    let path: String

    init(under parent: String?) throws {
        let base = parent ?? NSTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        var template = Array((base as NSString).appendingPathComponent("crow-bench.XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw BenchError("cannot create a temporary directory under \(base)") }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A path inside the directory for a database file, with its -wal/-shm files removed first.
    func file(_ name: String) -> String {
        let file = (path as NSString).appendingPathComponent(name)
        removeDatabase(at: file)
        return file
    }

    func removeDatabase(at file: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            try? FileManager.default.removeItem(atPath: file + suffix)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A failure of the benchmark harness itself.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

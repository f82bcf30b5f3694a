import Foundation

@testable import Nostr

/// The official test vectors, copied from ../shared/vectors (Vectors/SOURCES.md says where each file
/// comes from and how it was checked).
enum Vectors {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }

    static func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: data(name)) as? [String: Any] ?? [:]
    }

    static func bytes(_ hex: String) -> [UInt8] {
        guard let bytes = Hex.decode(hex) else { preconditionFailure("a vector holds bad hex: \(hex.prefix(20))") }
        return bytes
    }
}

import Crypto
public import Foundation

/// Random identifiers and secrets, all from the system CSPRNG.
public enum Secrets {
    static let codeAlphabet = Array("abcdefghijkmnpqrstuvwxyz23456789".utf8)

    /// A 12-character room code from a 32-symbol alphabet without look-alikes (60 bits).
    public static func roomCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<12).map { _ in codeAlphabet[Int(generator.next() % 32)] }, as: UTF8.self)
    }

    /// A public identifier (token, invite, peer): 16 lowercase hex characters.
    public static func identifier() -> String {
        hex(randomBytes(8))
    }

    /// A bearer secret: 32 random bytes (256 bits), base64url without padding.
    public static func token() -> String {
        Data(randomBytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What the ledger stores in place of a secret: lowercase hex SHA-256 of its UTF-8 bytes.
    public static func hash(_ secret: String) -> String {
        var text = secret
        let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        return digest.withUnsafeBytes { hex($0) }
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hex($0) }
    }

    /// Hex without intermediate arrays: the owner middleware hashes a secret on every request.
    static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let digits: StaticString = "0123456789abcdef"
            digits.withUTF8Buffer { digits in
                for (index, byte) in bytes.enumerated() {
                    out[2 * index] = digits[Int(byte >> 4)]
                    out[2 * index + 1] = digits[Int(byte & 0xF)]
                }
            }
            return bytes.count * 2
        }
    }
}

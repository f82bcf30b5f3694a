import TextCoding
import Crypto
import Foundation
import Synchronization

/// Random identifiers and secrets, all from the system CSPRNG.
public enum Secrets {
    static let codeAlphabet = Array("abcdefghijkmnpqrstuvwxyz23456789".utf8)

    /// A 12-character room code from a 32-symbol alphabet without look-alikes (60 bits).
    public static func roomCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(decoding: (0..<12).map { _ in codeAlphabet[Int(generator.next() % 32)] }, as: UTF8.self)
    }

    /// A public identifier (peer, contact, session): 16 lowercase hex characters.
    public static func identifier() -> String {
        hex(randomBytes(8))
    }

    /// A public identifier that sorts by the time `now` (unix milliseconds) it was made, in the same
    /// 16-hex format (`OrderedIdentifiers`): for the ids that key ledger tables and streams (tokens,
    /// invites sent and received), so that new rows land on the last page of their tables.
    public static func orderedIdentifier(now: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        let random = UInt32(truncatingIfNeeded: generator.next())
        return ordered.withLock { $0.next(now: now, random: random) }
    }

    /// One generator per process, so that its ids never repeat.
    private static let ordered = Mutex(OrderedIdentifiers())

    /// A bearer secret: 32 random bytes (256 bits), base64url without padding.
    public static func token() -> String {
        Data(randomBytes(32)).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What the ledger stores in place of a secret: lowercase hex SHA-256 of its UTF-8 bytes.
    public static func hash(_ secret: String) -> String {
        SecretDigest(secret).hex
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { Hex.encode($0) }
    }
}

import Foundation
import Testing

@testable import Nostr

/// Every row of the BIP-340 test vectors: signing where a secret key is given, and verification.
@Suite struct BIP340Tests {
    struct Row: CustomStringConvertible {
        var index: Int
        var secret: String
        var publicKey: String
        var aux: String
        var message: String
        var signature: String
        var valid: Bool
        var comment: String
        var description: String { "row \(index) \(comment)" }
    }

    static func rows() throws -> [Row] {
        let text = String(decoding: try Vectors.data("bip340-test-vectors.csv"), as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Row(
                index: Int(fields[0])!, secret: fields[1], publicKey: fields[2], aux: fields[3], message: fields[4],
                signature: fields[5], valid: fields[6] == "TRUE", comment: fields.count > 7 ? fields[7] : ""
            )
        }
    }

    @Test func allNineteenRows() throws {
        let rows = try Self.rows()
        #expect(rows.count == 19)
        for row in rows {
            let message = Vectors.bytes(row.message)
            let signature = Vectors.bytes(row.signature)
            if !row.secret.isEmpty {
                let key = try #require(NostrSecretKey(bytes: Vectors.bytes(row.secret)), "\(row)")
                #expect(key.publicKey.hex == row.publicKey.lowercased(), "\(row)")
                #expect(key.sign(message, auxiliary: Vectors.bytes(row.aux)) == signature, "\(row)")
            }
            // Some rows carry a public key that is not on the curve: that is a failed verification.
            let verified = NostrPublicKey(bytes: Vectors.bytes(row.publicKey))?.verify(signature: signature, message: message) ?? false
            #expect(verified == row.valid, "\(row)")
        }
    }

    @Test func secretKeysOutsideTheCurveOrderAreRefused() {
        #expect(NostrSecretKey(bytes: [UInt8](repeating: 0, count: 32)) == nil)
        #expect(NostrSecretKey(bytes: [UInt8](repeating: 0xff, count: 32)) == nil)
        #expect(NostrSecretKey(bytes: [1, 2, 3]) == nil)
        let key = NostrSecretKey.generate()
        let again = key.withUnsafeBytes { NostrSecretKey(bytes: Array($0)) }
        #expect(again?.publicKey == key.publicKey)
        #expect(NostrSecretKey(NostrKey.nsec(key.withUnsafeBytes { Array($0) })!)?.publicKey == key.publicKey)
    }
}

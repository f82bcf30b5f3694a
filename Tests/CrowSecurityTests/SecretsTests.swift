@testable import CrowSecurity
import Testing


/// What the ledger stores in place of a secret must never change: hashes written by any earlier build
/// have to keep matching.
@Suite struct SecretsTests {
    @Test(arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("é🙂", "7382f537af6a53054b6a72792df00fa0be0f5d2e8214db9cd6ebbcc3d57d02b9"),
    ])
    func hashIsLowercaseHexSHA256OfTheUTF8Bytes(secret: String, expected: String) {
        #expect(Secrets.hash(secret) == expected)
    }

    /// The in-memory key of a secret: equal for equal secrets, and its hex is what the ledger stores.
    @Test func aDigestIsTheStoredHashAsAKey() {
        #expect(SecretDigest("abc") == SecretDigest("abc"))
        #expect(SecretDigest("abc") != SecretDigest("abd"))
        #expect(Set([SecretDigest("abc"), SecretDigest("abc"), SecretDigest("")]).count == 2)
        #expect(SecretDigest("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hexCoversEveryByte() {
        let bytes = (0...255).map { UInt8($0) }
        let text = Secrets.hex(bytes)
        #expect(text.count == 512)
        #expect(text.hasPrefix("000102") && text.hasSuffix("fdfeff"))
    }

    @Test func secretsAndIdentifiersHaveTheirShapes() {
        #expect(Secrets.token().utf8.count == 43)
        #expect(Secrets.identifier().utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        #expect(Secrets.identifier().count == 16)
    }
}
